/* names.c - the op table of ops.def as data (names, classes, lookup), error text. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingero.h"

static const struct ingero_op_info ops[] = {
#define INGERO_OP(SRC, CODE, ID, NAME, LIB, SYM, CLASS, FLAGS, DESC) \
	{ INGERO_SRC_##SRC, CODE, INGERO_OPC_##CLASS, INGERO_LIB_##LIB, FLAGS, NAME, SYM, DESC },
#include "ops.def"
};
#define NOPS (sizeof ops / sizeof ops[0])

static const struct ingero_op_alias aliases[] = {
#define INGERO_OP_ALIAS(NAME, SRC, ID, PROBE) { NAME, INGERO_SRC_##SRC, INGERO_##ID, PROBE },
#include "ops.def"
};
#define NALIASES (sizeof aliases / sizeof aliases[0])

static const struct { const char *name, *desc; } sources[INGERO_SRC_MAX] = {
#define INGERO_SOURCE(ID, CODE, NAME, DESC) [CODE] = { NAME, DESC },
#include "ops.def"
};

#define INGERO_SOURCE(ID, CODE, NAME, DESC) \
	_Static_assert((CODE) > 0 && (CODE) < INGERO_SRC_MAX, "ops.def: source code out of range");
#define INGERO_OP(SRC, CODE, ID, NAME, LIB, SYM, CLASS, FLAGS, DESC) \
	_Static_assert((CODE) > 0 && (CODE) < INGERO_OP_MAX, "ops.def: op code out of range");
#include "ops.def"

static const char *const class_names[INGERO_OPC_MAX] = {
	[INGERO_OPC_NONE] = "other", [INGERO_OPC_LAUNCH] = "launch", [INGERO_OPC_MEMCPY] = "memcpy",
	[INGERO_OPC_SYNC] = "sync", [INGERO_OPC_ALLOC] = "alloc", [INGERO_OPC_FREE] = "free",
	[INGERO_OPC_GRAPH] = "graph", [INGERO_OPC_COLL] = "collective", [INGERO_OPC_P2P] = "p2p",
	[INGERO_OPC_COMM] = "comm", [INGERO_OPC_SCHED] = "sched", [INGERO_OPC_MEM] = "mem",
	[INGERO_OPC_PROC] = "proc", [INGERO_OPC_IO] = "io", [INGERO_OPC_NET] = "net",
};

const struct ingero_op_info *ingero_ops(size_t *n)
{
	if (n)
		*n = NOPS;
	return ops;
}

const struct ingero_op_alias *ingero_op_aliases(size_t *n)
{
	if (n)
		*n = NALIASES;
	return aliases;
}

const struct ingero_op_info *ingero_op_info(int source, int op)
{
	/* rows are in (source, op) order: binary search */
	size_t lo = 0, hi = NOPS;
	if (source <= 0 || source >= INGERO_SRC_MAX || op <= 0 || op >= INGERO_OP_MAX)
		return NULL;
	int key = source * INGERO_OP_MAX + op;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int k = ops[mid].source * INGERO_OP_MAX + ops[mid].op;
		if (k == key)
			return &ops[mid];
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int ingero_op_class(int source, int op)
{
	const struct ingero_op_info *i = ingero_op_info(source, op);
	return i ? i->cls : INGERO_OPC_NONE;
}

unsigned ingero_op_flags(int source, int op)
{
	const struct ingero_op_info *i = ingero_op_info(source, op);
	return i ? i->flags : 0;
}

const char *ingero_op_class_name(int cls)
{
	return cls >= 0 && cls < INGERO_OPC_MAX ? class_names[cls] : "other";
}

const char *ingero_source_name(int source)
{
	if (source <= 0 || source >= INGERO_SRC_MAX)
		return NULL;
	return sources[source].name;
}

const char *ingero_source_desc(int source)
{
	if (source <= 0 || source >= INGERO_SRC_MAX)
		return NULL;
	return sources[source].desc;
}

const char *ingero_op_name(int source, int op)
{
	const struct ingero_op_info *i = ingero_op_info(source, op);
	return i ? i->name : NULL;
}

int ingero_op_lookup(const char *name, int *source, int *op)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < NOPS; i++)
		if (!strcasecmp(ops[i].name, name)) {
			if (source) *source = ops[i].source;
			if (op) *op = ops[i].op;
			return 0;
		}
	for (size_t i = 0; i < NALIASES; i++)
		if (!strcasecmp(aliases[i].name, name)) {
			if (source) *source = aliases[i].source;
			if (op) *op = aliases[i].op;
			return 0;
		}
	return -1;
}

const char *ingero_strerror(const struct ingero_error *e, char *buf, size_t len)
{
	if (!buf || !len)
		return "";
	if (!e || (!e->code && !e->msg[0]))
		snprintf(buf, len, "no error");
	else if (e->file[0])
		snprintf(buf, len, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
	return buf;
}
