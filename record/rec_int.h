/*
 * rec_int.h - state shared by the recorder's source files (record.c: the
 * lifecycle and the event path, see record_int.h; rec_sym.c: stacks,
 * modules, symbols).
 * Single-threaded: everything runs on the consumer loop.
 */
#ifndef INGERO_REC_INT_H
#define INGERO_REC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ingero.h"
#include "common.h"

struct rec_elf;

/* one /proc/PID/maps entry kept for symbolization */
struct rec_pmap {
	uint64_t start, end, off, dev, ino;
	char *path;
	uint64_t module_id;     /* 0 until emitted once */
	uint32_t gen;           /* writer generation the MODULE was written in */
	int elf;                /* index in rec_sym.elfs, -1 none, -2 not tried */
};

struct rec_pmaps {
	uint32_t pid;
	size_t n;
	struct rec_pmap *v;
};

struct rec_elf_ent {
	uint64_t dev, ino;
	struct rec_elf *e;      /* NULL when unreadable */
};

struct rec_sym {
	struct ingero_writer *w;
	int stacks_fd;          /* BPF STACK_TRACE map */
	uint32_t gen;           /* bumped on rotation: metadata is re-emitted */
	struct ig_map stacks;  /* pid << 42 | top << 14 | bpf stack id -> id << 16 | gen */
	struct ig_map pystacks; /* native id << 24 | Python sequence -> id << 16 | gen */
	struct ig_map tops;    /* function address of a stack taken at return -> top (1..) */
	struct ig_map pmaps;   /* pid -> index+1 in pm */
	struct rec_pmaps *pm;
	size_t npm, cappm;
	struct ig_map elfidx;  /* hash(dev, ino) -> index+1 in elfs */
	struct rec_elf_ent *elfs;
	size_t nelfs, capelfs;
	struct ig_map syms;    /* module id << 24 ^ symbol index -> id << 16 | gen */
	uint64_t next_stack, next_module, next_symbol;
#define REC_SYM_CACHE 256
	uint64_t cache_key[REC_SYM_CACHE], cache_val[REC_SYM_CACHE]; /* front of `stacks` */
	uint64_t stacks_emitted, stack_misses;
};

void rec_sym_init(struct rec_sym *s, struct ingero_writer *w, int stacks_fd);
void rec_sym_release(struct rec_sym *s);
/* Ingero stack id for (pid, BPF stack id, top_ip), writing STACK / MODULE /
 * SYMBOL records the first time (and again after a rotation).  top_ip: the
 * called function's address, prepended to a stack taken at return (whose
 * frames start at the call site); 0 = the stack as BPF took it.  0 = no stack. */
uint64_t rec_sym_stack(struct rec_sym *s, uint32_t pid, int32_t bpf_stack_id, uint64_t top_ip);
/* The same with Python frames: the id of a STACK holding the native stack
 * (depth 0 when there is none: bpf_stack_id < 0) and py[0..npy), PYFRAME
 * ids innermost first; pyseq (> 0) names that id sequence exactly
 * (record_py.c interns it).  pyseq 0: rec_sym_stack. */
uint64_t rec_sym_stack_py(struct rec_sym *s, uint32_t pid, int32_t bpf_stack_id, uint64_t top_ip,
			  uint32_t pyseq, const uint64_t *py, uint32_t npy);
/* Read pid's maps and ELF files now (a target was found). */
void rec_sym_preload(struct rec_sym *s, uint32_t pid);
/* Forget pid's cached maps (exit, exec). */
void rec_sym_forget(struct rec_sym *s, uint32_t pid);

#endif
