/*
 * ingero-dump - print an Ingero recording one record per line (or a summary,
 * or NDJSON, or the raw msgpack values).  Reads anything ingero_reader_open
 * accepts.  Exit 0 on success (warnings about damaged frames included: they
 * go to stderr), 1 on a fatal error, 2 on a usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "common.h"
#include "ingero.h"

static const char *prog = "ingero-dump";
static int json;      /* --json or --ndjson: JSON objects */
static int json_doc;  /* --json: one document (an array), lossless integers */
static long n_out;    /* records written (for the array's commas) */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ingero-dump [--no-offsets] [--summary | --json | --ndjson | --raw] INPUT\n"
		"  INPUT: a segment file (seg-NNNNNN.igz), a recording directory, a\n"
		"         tar/tar.zst/tar.gz bundle, or - for stdin\n"
		"  (default)     one line per record: kind and fields, prefixed with the\n"
		"                compressed offset of its frame and '# file' lines\n"
		"  --no-offsets  drop offsets and file lines (stable, for golden tests)\n"
		"  --summary     nodes, time span, counts by op, processes, lost, warnings\n"
		"  --json        one JSON document: an array of one object per record;\n"
		"                integers above 2^53 (timestamps, hashes) are strings of\n"
		"                decimal digits, so jq 1.6 and JavaScript keep every digit\n"
		"  --ndjson      one JSON object per line, every integer a JSON number\n"
		"                (until 0.1 this was --json)\n"
		"  --raw         every msgpack value of the decompressed stream, as\n"
		"                msgpack-c prints it (segment files only)\n"
		"  --help        this text;  --version  the version\n"
		"Warnings about damaged frames go to stderr; they do not change the exit\n"
		"status (0), a fatal error gives 1, a usage error 2.\n"
		"examples:\n"
		"  ingero-dump --summary rec/\n"
		"  ingero-dump --ndjson rec/ | jq -c 'select(.kind == \"event\")' | head\n");
}

static void on_warn(void *ctx, const struct ingero_error *e)
{
	char buf[1200];
	(void)ctx;
	fprintf(stderr, "%s: warning: %s\n", prog, ingero_strerror(e, buf, sizeof(buf)));
}

static void pstr(const char *s)
{
	if (json) {
		ig_json_str(stdout, s);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') { putchar('\\'); putchar(*p); }
		else if (*p == '\n') fputs("\\n", stdout);
		else if (*p == '\t') fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f) printf(json ? "\\u%04x" : "\\x%02x", *p);
		else putchar(*p);
	}
	putchar('"');
}

/* text: key=value; json: "key":value */
static int nf;
static void k_(const char *k) { if (json) printf("%s\"%s\":", nf++ ? "," : "", k); else printf(" %s=", k); }
static void fu(const char *k, uint64_t v)
{
	k_(k);
	if (json_doc && v > (1ull << 53))
		ig_json_u64str(stdout, v);
	else
		printf("%" PRIu64, v);
}
static void fi(const char *k, int64_t v)
{
	k_(k);
	if (json_doc && (v > (1ll << 53) || v < -(1ll << 53)))
		ig_json_i64str(stdout, v);
	else
		printf("%" PRId64, v);
}
static void fd(const char *k, double v) { k_(k); printf("%.6f", v); }
static void fs(const char *k, const char *v) { k_(k); pstr(v ? v : ""); }

static const char *kind_name(int k)
{
	static const char *const n[] = { "HEADER", "EVENT", "PROCESS", "THREAD", "MODULE",
		"SYMBOL", "STACK", "SYS", "GPU", "ANCHOR", "LOST", "FOOTER", "NODE", "FRAME",
		"CTX", "NOTE", "SAMPLING", "PYFRAME" };
	return k >= 0 && k < INGERO_REC_KIND_MAX ? n[k] : "UNKNOWN";
}

static void print_record(const struct ingero_record *r)
{
	nf = 0;
	if (json) {
		char lk[32];
		snprintf(lk, sizeof(lk), "%s", kind_name(r->kind));
		for (char *p = lk; *p; p++) *p = (char)(*p | 0x20);
		if (json_doc)
			fputs(n_out ? ",\n" : "[\n", stdout);
		printf("{\"kind\":\"%s\"", lk);
		nf = 1;
	} else {
		fputs(kind_name(r->kind), stdout);
	}
	fu("node", r->node);
	switch (r->kind) {
	case INGERO_REC_HEADER: {
		const struct ingero_header *h = &r->u.hdr;
		fu("major", h->major); fu("minor", h->minor); fs("node_name", h->node);
		fs("host", h->host); fs("boot_id", h->boot_id); fs("kernel", h->kernel);
		fs("recorder", h->recorder); fs("cmdline", h->cmdline); fs("clock", h->clock);
		fu("start_ts", h->start_ts); fu("segment", h->segment); fi("rank", h->rank);
		fu("anchor_boottime", h->anchor.boottime); fu("anchor_realtime", h->anchor.realtime);
		fu("anchor_monotonic", h->anchor.monotonic); fu("anchor_error_ns", h->anchor.error_ns);
		break;
	}
	case INGERO_REC_EVENT: {
		const struct ingero_event *e = &r->u.ev;
		const char *sn = ingero_source_name(e->source), *on = ingero_op_name(e->source, e->op);
		fu("ts", e->ts); fu("dur", e->dur); fu("source", e->source); fu("op", e->op);
		fs("name", on ? on : sn ? sn : "?");
		fu("pid", e->pid); fu("tid", e->tid);
		for (int i = 0; i < INGERO_EV_NARGS; i++) {
			static const char *const an[INGERO_EV_NARGS] = { "arg0", "arg1", "arg2", "arg3", "arg4", "arg5" };
			fu(an[i], e->arg[i]);
		}
		fi("ret", e->ret); fu("cpu", e->cpu); fu("flags", e->flags); fu("stack_id", e->stack_id);
		break;
	}
	case INGERO_REC_PROCESS: {
		const struct ingero_process *x = &r->u.proc;
		fu("pid", x->pid); fu("ppid", x->ppid); fu("uid", x->uid); fs("comm", x->comm);
		fs("cmdline", x->cmdline); fi("rank", x->rank); fi("local_rank", x->local_rank);
		fi("world_size", x->world_size); fu("cgroup_id", x->cgroup_id); fu("start_ts", x->start_ts);
		break;
	}
	case INGERO_REC_THREAD:
		fu("tid", r->u.thr.tid); fu("pid", r->u.thr.pid); fs("name", r->u.thr.name);
		break;
	case INGERO_REC_MODULE: {
		const struct ingero_module *x = &r->u.mod;
		fu("id", x->id); fu("pid", x->pid); fu("start", x->start); fu("end", x->end);
		fu("file_offset", x->file_offset); fs("path", x->path); fs("build_id", x->build_id);
		break;
	}
	case INGERO_REC_SYMBOL:
		fu("id", r->u.sym.id); fu("module_id", r->u.sym.module_id);
		fu("offset", r->u.sym.offset); fs("name", r->u.sym.name);
		break;
	case INGERO_REC_STACK: {
		const struct ingero_stack *x = r->u.stack;
		fu("id", x->id); fu("pid", x->pid); fu("depth", x->depth);
		k_("frames");
		printf(json ? "[" : "");
		for (uint32_t i = 0; i < x->depth; i++) {
			if (json)
				printf("%s[%" PRIu64 ",%" PRIu64 ",%u]", i ? "," : "", x->ips[i], x->syms[i], x->offs[i]);
			else
				printf("%s%" PRIu64 ":%" PRIu64 "+%u", i ? "," : "", x->ips[i], x->syms[i], x->offs[i]);
		}
		printf(json ? "]" : "");
		if (x->npy) {      /* 1.2; absent when none, so older dumps read the same */
			k_("py");
			printf(json ? "[" : "");
			for (uint32_t i = 0; i < x->npy; i++)
				printf("%s%" PRIu64, i ? "," : "", x->py[i]);
			printf(json ? "]" : "");
		}
		break;
	}
	case INGERO_REC_PYFRAME:
		fu("id", r->u.pyframe.id); fu("pid", r->u.pyframe.pid);
		fs("file", r->u.pyframe.file); fs("function", r->u.pyframe.func);
		fu("line", r->u.pyframe.line);
		break;
	case INGERO_REC_SYS: {
		const struct ingero_sys *x = &r->u.sys;
		fu("ts", x->ts); fd("cpu_pct", x->cpu_pct); fd("mem_pct", x->mem_pct);
		fu("mem_avail_mb", x->mem_avail_mb); fu("swap_used_mb", x->swap_used_mb);
		fd("load1", x->load1); fd("iowait_pct", x->iowait_pct); fu("pgmajfault", x->pgmajfault);
		fu("ctxt", x->ctxt);
		break;
	}
	case INGERO_REC_GPU: {
		const struct ingero_gpu *x = &r->u.gpu;
		fu("ts", x->ts); fu("index", x->index); fd("util_pct", x->util_pct);
		fu("mem_used_mb", x->mem_used_mb); fu("mem_total_mb", x->mem_total_mb);
		fu("sm_clock_mhz", x->sm_clock_mhz); fu("mem_clock_mhz", x->mem_clock_mhz);
		fu("throttle_reasons", x->throttle_reasons); fu("temp_c", x->temp_c);
		fd("power_w", x->power_w);
		break;
	}
	case INGERO_REC_ANCHOR:
		fu("boottime", r->u.anchor.boottime); fu("realtime", r->u.anchor.realtime);
		fu("monotonic", r->u.anchor.monotonic); fu("error_ns", r->u.anchor.error_ns);
		break;
	case INGERO_REC_LOST:
		fu("ts", r->u.lost.ts); fu("source", r->u.lost.source); fu("count", r->u.lost.count);
		fu("reason", r->u.lost.reason);
		break;
	case INGERO_REC_FOOTER:
		fu("events", r->u.footer.events); fu("min_ts", r->u.footer.min_ts);
		fu("max_ts", r->u.footer.max_ts); fu("lost", r->u.footer.lost);
		break;
	case INGERO_REC_NODE: {
		const struct ingero_node *x = &r->u.nodeinfo;
		fu("index", x->index); fs("name", x->name); fs("host", x->host); fs("boot_id", x->boot_id);
		fi("rank", x->rank); fi("offset_ns", x->offset_ns); fd("drift_ppb", x->drift_ppb);
		fu("ref_ts", x->ref_ts); fs("method", x->method); fd("confidence_ns", x->confidence_ns);
		fu("samples", x->samples);
		break;
	}
	case INGERO_REC_FRAME:
		fu("seq", r->u.frame.seq); fu("base_ts", r->u.frame.base_ts);
		break;
	case INGERO_REC_CTX:
		fu("ctx_node", r->u.ctx_node);
		break;
	case INGERO_REC_NOTE:
		fu("ts", r->u.note.ts); fu("level", r->u.note.level); fs("text", r->u.note.text);
		break;
	case INGERO_REC_SAMPLING:
		fu("ts", r->u.sampling.ts); fu("pid", r->u.sampling.pid); fu("source", r->u.sampling.source);
		fu("op", r->u.sampling.op); fu("rate", r->u.sampling.rate);
		break;
	}
	fputs(json_doc ? "}" : json ? "}\n" : "\n", stdout);
	n_out++;
}

/* ---------------------------------------------------------- summary */

struct opstat { uint64_t count, total, max; };
struct proc { uint32_t pid; char comm[64]; char cmd[128]; };
struct nodeinfo { char name[128], host[128], boot_id[64], clock[16]; int32_t rank; };

static int cmp_proc(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void fmt_wall(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) { frac += 1000000000; s--; }
	struct tm tm;
	gmtime_r(&s, &tm);
	char t[40];
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", t, frac);
}

static int summary(struct ingero_reader *rd, const char *input)
{
	static struct opstat ops[INGERO_SRC_MAX][32];
	struct proc *procs = NULL;
	size_t np = 0, capp = 0;
	struct nodeinfo nodes[64];
	size_t nn = 0;
	uint64_t records = 0, events = 0, segments = 0, frames = 0, other_ops = 0;
	uint64_t lost[INGERO_SRC_MAX + 1] = { 0 }, lost_total = 0;
	uint64_t tmin = UINT64_MAX, tmax = 0;
	struct ingero_clock clk;
	ingero_clock_init(&clk);
	struct ingero_record r;
	int rc;
	while ((rc = ingero_reader_next(rd, &r)) == 1) {
		records++;
		n_out++;
		switch (r.kind) {
		case INGERO_REC_EVENT: {
			const struct ingero_event *e = &r.u.ev;
			events++;
			if (e->source < INGERO_SRC_MAX && e->op < 32) {
				struct opstat *o = &ops[e->source][e->op];
				o->count++; o->total += e->dur;
				if (e->dur > o->max) o->max = e->dur;
			} else other_ops++;
			if (e->ts < tmin) tmin = e->ts;
			if (e->ts + e->dur > tmax) tmax = e->ts + e->dur;
			break;
		}
		case INGERO_REC_HEADER: {
			segments++;
			if (!strcmp(r.u.hdr.clock, "unix"))
				clk.identity = 1;
			size_t i;
			for (i = 0; i < nn; i++)
				if (!strcmp(nodes[i].name, r.u.hdr.node) && !strcmp(nodes[i].boot_id, r.u.hdr.boot_id))
					break;
			if (i == nn && nn < 64) {
				snprintf(nodes[nn].name, sizeof(nodes[nn].name), "%s", r.u.hdr.node);
				snprintf(nodes[nn].host, sizeof(nodes[nn].host), "%s", r.u.hdr.host);
				snprintf(nodes[nn].boot_id, sizeof(nodes[nn].boot_id), "%s", r.u.hdr.boot_id);
				snprintf(nodes[nn].clock, sizeof(nodes[nn].clock), "%s", r.u.hdr.clock);
				nodes[nn].rank = r.u.hdr.rank;
				nn++;
			}
			break;
		}
		case INGERO_REC_NODE:
			if (nn < 64) {
				snprintf(nodes[nn].name, sizeof(nodes[nn].name), "%s", r.u.nodeinfo.name);
				snprintf(nodes[nn].host, sizeof(nodes[nn].host), "%s", r.u.nodeinfo.host);
				snprintf(nodes[nn].boot_id, sizeof(nodes[nn].boot_id), "%s", r.u.nodeinfo.boot_id);
				snprintf(nodes[nn].clock, sizeof(nodes[nn].clock), "merged");
				nodes[nn].rank = r.u.nodeinfo.rank;
				nn++;
			}
			break;
		case INGERO_REC_FRAME: frames++; break;
		case INGERO_REC_ANCHOR:
			if (r.node == 0) ingero_clock_add(&clk, &r.u.anchor);
			break;
		case INGERO_REC_LOST:
			lost[r.u.lost.source < INGERO_SRC_MAX ? r.u.lost.source : INGERO_SRC_MAX] += r.u.lost.count;
			lost_total += r.u.lost.count;
			break;
		case INGERO_REC_PROCESS: {
			size_t i;
			for (i = 0; i < np; i++)
				if (procs[i].pid == r.u.proc.pid) break;
			if (i == np) {
				if (np == capp) {
					capp = capp ? capp * 2 : 64;
					struct proc *n2 = realloc(procs, capp * sizeof(*n2));
					if (!n2) { free(procs); ingero_clock_release(&clk); return 1; }
					procs = n2;
				}
				np++;
			}
			procs[i].pid = r.u.proc.pid;
			snprintf(procs[i].comm, sizeof(procs[i].comm), "%s", r.u.proc.comm);
			snprintf(procs[i].cmd, sizeof(procs[i].cmd), "%s", r.u.proc.cmdline);
			break;
		}
		}
	}
	printf("recording: %s\n", input);
	printf("format: %u.%u\n", ingero_reader_header(rd) ? ingero_reader_header(rd)->major : 0,
	       ingero_reader_header(rd) ? ingero_reader_header(rd)->minor : 0);
	printf("segments: %" PRIu64 "  frames: %" PRIu64 "  records: %" PRIu64 "  events: %" PRIu64 "\n",
	       segments, frames, records, events);
	printf("nodes: %zu\n", nn);
	for (size_t i = 0; i < nn; i++)
		printf("  %s host=%s boot_id=%s rank=%d clock=%s\n", nodes[i].name, nodes[i].host,
		       nodes[i].boot_id, nodes[i].rank, nodes[i].clock);
	if (events) {
		printf("time: %" PRIu64 " .. %" PRIu64 " ns (%s), span %.6f s\n", tmin, tmax,
		       clk.identity ? "unix" : "boottime", (double)(tmax - tmin) / 1e9);
		if (clk.n || clk.identity) {
			char a[64], b[64];
			fmt_wall(ingero_clock_to_wall(&clk, tmin), a, sizeof(a));
			fmt_wall(ingero_clock_to_wall(&clk, tmax), b, sizeof(b));
			printf("wall: %s .. %s (%zu anchors)\n", a, b, clk.n);
		} else {
			printf("wall: unknown (no clock anchors)\n");
		}
	}
	printf("ops:\n");
	for (int s = 0; s < INGERO_SRC_MAX; s++)
		for (int o = 0; o < 32; o++) {
			const struct opstat *x = &ops[s][o];
			if (!x->count) continue;
			const char *sn = ingero_source_name(s), *on = ingero_op_name(s, o);
			char name[64];
			if (on) snprintf(name, sizeof(name), "%s/%s", sn, on);
			else snprintf(name, sizeof(name), "%d/%d", s, o);
			printf("  %-32s %10" PRIu64 "  avg %.3f us  max %.3f us\n", name, x->count,
			       (double)x->total / (double)x->count / 1e3, (double)x->max / 1e3);
		}
	if (other_ops)
		printf("  %-32s %10" PRIu64 "\n", "(out of range source/op)", other_ops);
	if (np)
		qsort(procs, np, sizeof(*procs), cmp_proc);
	printf("processes: %zu\n", np);
	for (size_t i = 0; i < np; i++)
		printf("  %u %s %s\n", procs[i].pid, procs[i].comm, procs[i].cmd);
	printf("lost: %" PRIu64 "\n", lost_total);
	for (int s = 0; s <= INGERO_SRC_MAX; s++)
		if (lost[s])
			printf("  %s %" PRIu64 "\n", s < INGERO_SRC_MAX && ingero_source_name(s) ?
			       ingero_source_name(s) : "other", lost[s]);
	printf("warnings: %u\n", ingero_reader_warnings(rd));
	free(procs);
	ingero_clock_release(&clk);
	return rc;
}

/* ---------------------------------------------------------- raw */

static int raw(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "%s: %s: cannot open at byte 0\n", prog, path);
		return 1;
	}
	ZSTD_DCtx *d = ZSTD_createDCtx();
	msgpack_unpacker up;
	msgpack_unpacked res;
	msgpack_unpacker_init(&up, 1 << 16);
	msgpack_unpacked_init(&res);
	static uint8_t in[1 << 16];
	size_t n, last = 1;
	uint64_t off = 0;
	int rc = 0;
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		ZSTD_inBuffer ib = { in, n, 0 };
		while (ib.pos < ib.size) {
			if (msgpack_unpacker_buffer_capacity(&up) < (1 << 16) &&
			    !msgpack_unpacker_reserve_buffer(&up, 1 << 16)) { rc = 1; goto out; }
			ZSTD_outBuffer ob = { msgpack_unpacker_buffer(&up), msgpack_unpacker_buffer_capacity(&up), 0 };
			last = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(last)) {
				fprintf(stderr, "%s: %s: %s at byte %" PRIu64 "\n", prog, path,
					ZSTD_getErrorName(last), off + ib.pos);
				rc = 1;
				goto out;
			}
			msgpack_unpacker_buffer_consumed(&up, ob.pos);
			msgpack_unpack_return ur;
			while ((ur = msgpack_unpacker_next(&up, &res)) == MSGPACK_UNPACK_SUCCESS) {
				msgpack_object_print(stdout, res.data);
				putchar('\n');
			}
			if (ur == MSGPACK_UNPACK_PARSE_ERROR) {
				fprintf(stderr, "%s: %s: invalid msgpack at byte %" PRIu64 "\n", prog, path, off);
				rc = 1;
				goto out;
			}
		}
		off += n;
	}
	if (last != 0) {
		fprintf(stderr, "%s: %s: truncated frame at byte %" PRIu64 "\n", prog, path, off);
		rc = 1;
	}
out:
	msgpack_unpacked_destroy(&res);
	msgpack_unpacker_destroy(&up);
	ZSTD_freeDCtx(d);
	if (f != stdin) fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	int no_off = 0, do_summary = 0, do_raw = 0, do_json = 0;
	static const struct option lo[] = {
		{ "no-offsets", no_argument, 0, 'n' }, { "summary", no_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' }, { "ndjson", no_argument, 0, 'J' },
		{ "raw", no_argument, 0, 'r' }, { "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' }, { 0, 0, 0, 0 } };
	int c;
	ig_set_prog(prog);
	while ((c = ig_getopt(argc, argv, "nsjrh", lo, NULL)) != -1) {
		switch (c) {
		case 'n': no_off = 1; break;
		case 's': do_summary = 1; break;
		case 'j': json = json_doc = 1; do_json++; break;
		case 'J': json = 1; do_json++; break;
		case 'V': ig_print_version(); return ig_exit(0);
		case 'r': do_raw = 1; break;
		case 'h': usage(stdout); return ig_exit(0);
		default: return 2;
		}
	}
	if (optind != argc - 1 || do_summary + do_json + do_raw > 1) {
		if (optind == argc)
			fprintf(stderr, "%s: no INPUT given\n", prog);
		else if (optind < argc - 1)
			fprintf(stderr, "%s: one INPUT only ('%s' is extra)\n", prog, argv[optind + 1]);
		else
			fprintf(stderr, "%s: --summary, --json, --ndjson and --raw exclude each other\n", prog);
		fprintf(stderr, "Try '%s --help' for more information.\n", prog);
		return 2;
	}
	const char *input = argv[optind];
	if (do_raw)
		return ig_exit(raw(input));
	struct ingero_error err;
	struct ingero_reader *rd;
	char buf[1200];
	if (ingero_reader_open(&rd, input, &err) < 0) {
		fprintf(stderr, "%s: %s\n", prog, ingero_strerror(&err, buf, sizeof(buf)));
		return 1;
	}
	ingero_reader_set_warn(rd, on_warn, NULL);
	int rc;
	if (do_summary) {
		rc = summary(rd, input);
	} else {
		struct ingero_record r;
		char lastfile[512] = "";
		while ((rc = ingero_reader_next(rd, &r)) == 1) {
			if (!no_off && !json && strcmp(r.file, lastfile)) {
				printf("# file %s\n", r.file);
				snprintf(lastfile, sizeof(lastfile), "%s", r.file);
			}
			if (!no_off && !json)
				printf("@%" PRIu64 " ", r.offset);
			print_record(&r);
		}
	}
	if (rc < 0) {
		const struct ingero_error *e = ingero_reader_last_warning(rd);
		fprintf(stderr, "%s: %s\n", prog, e ? ingero_strerror(e, buf, sizeof(buf)) : "read error");
	} else if (!n_out) {
		/* a segment always holds a header: nothing at all is an error,
		   as in every tool (docs/cli.md) */
		fprintf(stderr, "%s: %s: empty recording (no records)\n", prog, input);
		rc = -1;
	}
	ingero_reader_close(rd);
	if (json_doc)
		fputs(n_out ? "\n]\n" : "[]\n", stdout);
	return ig_exit(rc < 0 ? 1 : 0);
}
