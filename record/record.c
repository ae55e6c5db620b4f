/*
 * record.c - ingero-record: the eBPF recorder.
 *
 * parse -> preflight (BTF, permissions, output) -> open skeleton -> rodata
 * -> load -> attach tracepoints -> open writer -> find CUDA libraries and
 * attach uprobes -> drain the ring buffer on a short timer -> flush every
 * second -> footer.  The BPF structs (bpf/ingero_bpf.h) are translated here
 * into format records (formats/ingero.h); raw BPF structs never reach disk.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ingero.h"
#include "record.h"
#include "rec_elf.h"
#include "rec_int.h"
#include "rec_nvml.h"
#include "rec_proc.h"
#include "rec_util.h"
#include "../bpf/ingero_bpf.h"
#include "bpf/ingero.skel.h"

#define PROG "ingero-record"
#define NSEC 1000000000ULL

static const char usage_text[] =
	"usage: ingero-record [record] [options]\n"
	"Trace CUDA runtime/driver (and NCCL) calls plus scheduler, memory, process and\n"
	"block-I/O events of CUDA processes with eBPF; write a recording (seg-*.igz).\n"
	"Needs root (or CAP_BPF + CAP_PERFMON) and kernel BTF.\n"
	"\n"
	"Targets (default: every process that maps libcudart/libcuda, found by\n"
	"scanning /proc/*/maps every --scan-interval seconds):\n"
	"  -p, --pid LIST          only these pids (comma-separated) and their children\n"
	"  -u, --user NAME         only processes of this user\n"
	"      --cuda-lib PATH     probe this library file (repeatable) instead of searching\n"
	"      --nccl              also probe libnccl (collectives, per-communicator sequence)\n"
	"      --wait=BOOL         keep scanning when no CUDA library is found (default true);\n"
	"                          --wait=false exits with status 1 instead\n"
	"      --scan-interval S   seconds between /proc scans (default 2)\n"
	"Output:\n"
	"  -o, --output DIR        recording directory (default ~/.ingero/rec/NODE/ of the\n"
	"                          invoking user, also under sudo; files mode 0640)\n"
	"      --node NAME         node name (default: hostname)\n"
	"  -d, --duration T        stop after T (e.g. 30, 30s, 5m, 2h; default: until Ctrl-C)\n"
	"      --max-disk SIZE     delete the oldest segments beyond SIZE (default 10g, 0 = off)\n"
	"      --segment-size SIZE rotate segments at SIZE compressed (default 256m)\n"
	"      --segment-time T    rotate segments after T (default 1h)\n"
	"      --zstd-level N      compression level (default 1: cheapest per event)\n"
	"      --json              also stream events as NDJSON on stdout\n"
	"  -q, --quiet             no status line on stderr\n"
	"Probes:\n"
	"      --stack=BOOL        user stacks for CUDA/driver calls (default true)\n"
	"      --no-sched          no sched_switch/sched_wakeup\n"
	"      --no-io             no block I/O\n"
	"      --overhead-budget P estimated probe cost allowed per traced process, percent\n"
	"                          of its wall time (default 2, 0 = off); past it the\n"
	"                          highest-rate ops are sampled 1-in-N in the kernel\n"
	"      --ringbuf-size SIZE ring buffer size (power of 2, default 16m)\n"
	"      --poll-ms MS        consumer poll period (default 50)\n"
	"  -h, --help              this text\n"
	"Exit status: 0 success, 1 failure, 2 usage error.  SIGINT/SIGTERM stop cleanly.\n";

/* ------------------------------------------------------------- options */

struct opts {
	const char *out;
	char node[256];
	uint64_t duration_ns;
	uint64_t max_disk, seg_size, seg_ns, ringbuf;
	uint32_t pids[256];
	int npids;
	int uid;                 /* -1 all */
	const char *cuda_libs[16];
	int ncuda_libs;
	bool nccl, stack, wait, json, quiet, no_sched, no_io;
	double budget_pct;
	int scan_s, poll_ms;
	int zstd_level;
};

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t m = 1;

	if (end == s || v < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 0: break;
	case 'k': m = 1ULL << 10; end++; break;
	case 'm': m = 1ULL << 20; end++; break;
	case 'g': m = 1ULL << 30; end++; break;
	case 't': m = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -1;
	*out = (uint64_t)(v * (double)m);
	return 0;
}

static int parse_dur(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	double m = 1;

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		m = 1;
	else if (!strcmp(end, "ms"))
		m = 1e-3;
	else if (!strcmp(end, "m"))
		m = 60;
	else if (!strcmp(end, "h"))
		m = 3600;
	else
		return -1;
	*ns = (uint64_t)(v * m * 1e9);
	return 0;
}

static int parse_bool(const char *s, bool *b)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes"))
		*b = true;
	else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
		*b = false;
	else
		return -1;
	return 0;
}

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": see 'ingero-record --help'\n");
	return INGERO_EXIT_USAGE;
}

enum {
	O_NODE = 256, O_MAXDISK, O_SEGSIZE, O_SEGTIME, O_JSON, O_STACK, O_NOSCHED, O_NOIO,
	O_BUDGET, O_RINGBUF, O_POLL, O_CUDALIB, O_NCCL, O_WAIT, O_SCAN, O_ZSTD,
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "output", required_argument, 0, 'o' },
		{ "pid", required_argument, 0, 'p' },
		{ "user", required_argument, 0, 'u' },
		{ "duration", required_argument, 0, 'd' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ "node", required_argument, 0, O_NODE },
		{ "max-disk", required_argument, 0, O_MAXDISK },
		{ "segment-size", required_argument, 0, O_SEGSIZE },
		{ "segment-time", required_argument, 0, O_SEGTIME },
		{ "json", no_argument, 0, O_JSON },
		{ "stack", optional_argument, 0, O_STACK },
		{ "no-sched", no_argument, 0, O_NOSCHED },
		{ "no-io", no_argument, 0, O_NOIO },
		{ "overhead-budget", required_argument, 0, O_BUDGET },
		{ "ringbuf-size", required_argument, 0, O_RINGBUF },
		{ "poll-ms", required_argument, 0, O_POLL },
		{ "cuda-lib", required_argument, 0, O_CUDALIB },
		{ "nccl", no_argument, 0, O_NCCL },
		{ "wait", optional_argument, 0, O_WAIT },
		{ "scan-interval", required_argument, 0, O_SCAN },
		{ "zstd-level", required_argument, 0, O_ZSTD },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->uid = -1;
	o->stack = o->wait = true;
	o->budget_pct = 2;
	o->max_disk = 10ULL << 30;
	o->seg_size = 256ULL << 20;
	o->seg_ns = 3600 * NSEC;
	o->ringbuf = 16 << 20;
	o->scan_s = 2;
	o->poll_ms = 50;
	o->zstd_level = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:p:u:d:qh", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'p': {
			char *s = optarg, *end;

			while (*s) {
				unsigned long v = strtoul(s, &end, 10);

				if (end == s || !v || v > INT_MAX || o->npids == 256)
					return usage_err("bad --pid list '%s'", optarg);
				o->pids[o->npids++] = v;
				s = *end == ',' ? end + 1 : end;
				if (*end && *end != ',')
					return usage_err("bad --pid list '%s'", optarg);
			}
			break;
		}
		case 'u': {
			struct passwd *pw = getpwnam(optarg);
			char *end;
			long v = strtol(optarg, &end, 10);

			if (pw)
				o->uid = pw->pw_uid;
			else if (*optarg && !*end && v >= 0)
				o->uid = v;
			else
				return usage_err("unknown user '%s'", optarg);
			break;
		}
		case 'd':
			if (parse_dur(optarg, &o->duration_ns))
				return usage_err("bad duration '%s'", optarg);
			break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case O_NODE: snprintf(o->node, sizeof(o->node), "%s", optarg); break;
		case O_MAXDISK:
			if (parse_size(optarg, &o->max_disk))
				return usage_err("bad size '%s'", optarg);
			break;
		case O_SEGSIZE:
			if (parse_size(optarg, &o->seg_size) || !o->seg_size)
				return usage_err("bad size '%s'", optarg);
			break;
		case O_SEGTIME:
			if (parse_dur(optarg, &o->seg_ns) || !o->seg_ns)
				return usage_err("bad duration '%s'", optarg);
			break;
		case O_JSON: o->json = true; break;
		case O_STACK:
			if (parse_bool(optarg, &o->stack))
				return usage_err("bad --stack value '%s' (true or false)", optarg);
			break;
		case O_NOSCHED: o->no_sched = true; break;
		case O_NOIO: o->no_io = true; break;
		case O_BUDGET: {
			char *end;

			o->budget_pct = strtod(optarg, &end);
			if (end == optarg || *end || o->budget_pct < 0 || o->budget_pct > 100)
				return usage_err("bad --overhead-budget '%s' (percent, 0-100)", optarg);
			break;
		}
		case O_RINGBUF:
			if (parse_size(optarg, &o->ringbuf) || o->ringbuf < 4096 ||
			    (o->ringbuf & (o->ringbuf - 1)))
				return usage_err("bad --ringbuf-size '%s' (power of 2, >= 4k)", optarg);
			break;
		case O_POLL:
			o->poll_ms = atoi(optarg);
			if (o->poll_ms < 1 || o->poll_ms > 1000)
				return usage_err("bad --poll-ms '%s' (1-1000)", optarg);
			break;
		case O_CUDALIB:
			if (o->ncuda_libs == 16)
				return usage_err("too many --cuda-lib");
			o->cuda_libs[o->ncuda_libs++] = optarg;
			break;
		case O_NCCL: o->nccl = true; break;
		case O_WAIT:
			if (parse_bool(optarg, &o->wait))
				return usage_err("bad --wait value '%s' (true or false)", optarg);
			break;
		case O_SCAN:
			o->scan_s = atoi(optarg);
			if (o->scan_s < 1)
				return usage_err("bad --scan-interval '%s'", optarg);
			break;
		case O_ZSTD:
			o->zstd_level = atoi(optarg);
			if (o->zstd_level < 1 || o->zstd_level > 19)
				return usage_err("bad --zstd-level '%s' (1-19)", optarg);
			break;
		case ':':
			return usage_err("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_err("unexpected argument '%s'", argv[optind]);
	if (!o->node[0] && gethostname(o->node, sizeof(o->node)))
		snprintf(o->node, sizeof(o->node), "unknown");
	return 0;
}

/* ---------------------------------------------------------- probe table */

enum { LIB_CUDART = 1, LIB_CUDA = 2, LIB_NCCL = 4 };

struct probe_def {
	const char *sym;
	uint8_t src, op;
	uint8_t lib;
	bool optional;
};

static const struct probe_def probes[] = {
	{ "cudaMalloc", INGERO_SRC_CUDA, INGERO_CUDA_MALLOC, LIB_CUDART, false },
	{ "cudaFree", INGERO_SRC_CUDA, INGERO_CUDA_FREE, LIB_CUDART, false },
	{ "cudaLaunchKernel", INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL, LIB_CUDART, false },
	{ "cudaMemcpy", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY, LIB_CUDART, false },
	{ "cudaMemcpyAsync", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_ASYNC, LIB_CUDART, false },
	{ "cudaStreamSynchronize", INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, LIB_CUDART, false },
	{ "cudaDeviceSynchronize", INGERO_SRC_CUDA, INGERO_CUDA_DEVICE_SYNC, LIB_CUDART, false },
	{ "cudaMallocManaged", INGERO_SRC_CUDA, INGERO_CUDA_MALLOC_MANAGED, LIB_CUDART, true },
	{ "cudaMemcpy2D", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_2D, LIB_CUDART, true },
	{ "cudaMemcpy2DAsync", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_2D_ASYNC, LIB_CUDART, true },
	{ "cudaMemcpyPeer", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_PEER, LIB_CUDART, true },
	{ "cudaMemcpyPeerAsync", INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_PEER_ASYNC, LIB_CUDART, true },
	{ "cudaStreamBeginCapture", INGERO_SRC_GRAPH, INGERO_GRAPH_BEGIN_CAPTURE, LIB_CUDART, true },
	{ "cudaStreamEndCapture", INGERO_SRC_GRAPH, INGERO_GRAPH_END_CAPTURE, LIB_CUDART, true },
	{ "cudaGraphInstantiate", INGERO_SRC_GRAPH, INGERO_GRAPH_INSTANTIATE, LIB_CUDART, true },
	{ "cudaGraphLaunch", INGERO_SRC_GRAPH, INGERO_GRAPH_LAUNCH, LIB_CUDART, true },
	{ "cuLaunchKernel", INGERO_SRC_DRIVER, INGERO_DRV_LAUNCH_KERNEL, LIB_CUDA, false },
	{ "cuMemcpy", INGERO_SRC_DRIVER, INGERO_DRV_MEMCPY, LIB_CUDA, true },
	{ "cuMemcpyAsync", INGERO_SRC_DRIVER, INGERO_DRV_MEMCPY_ASYNC, LIB_CUDA, true },
	{ "cuCtxSynchronize", INGERO_SRC_DRIVER, INGERO_DRV_CTX_SYNC, LIB_CUDA, false },
	{ "cuMemAlloc_v2", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC, LIB_CUDA, false },
	{ "cuMemAllocManaged", INGERO_SRC_DRIVER, INGERO_DRV_MEM_ALLOC_MANAGED, LIB_CUDA, true },
	{ "ncclCommInitRank", INGERO_SRC_NCCL, INGERO_NCCL_COMM_INIT_RANK, LIB_NCCL, false },
	{ "ncclCommDestroy", INGERO_SRC_NCCL, INGERO_NCCL_COMM_DESTROY, LIB_NCCL, true },
	{ "ncclAllReduce", INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE, LIB_NCCL, false },
	{ "ncclAllGather", INGERO_SRC_NCCL, INGERO_NCCL_ALL_GATHER, LIB_NCCL, true },
	{ "ncclReduceScatter", INGERO_SRC_NCCL, INGERO_NCCL_REDUCE_SCATTER, LIB_NCCL, true },
	{ "ncclBroadcast", INGERO_SRC_NCCL, INGERO_NCCL_BCAST, LIB_NCCL, true },
	{ "ncclBcast", INGERO_SRC_NCCL, INGERO_NCCL_BCAST | IBPF_NCCL_BCAST_LEGACY, LIB_NCCL, true },
	{ "ncclSend", INGERO_SRC_NCCL, INGERO_NCCL_SEND, LIB_NCCL, true },
	{ "ncclRecv", INGERO_SRC_NCCL, INGERO_NCCL_RECV, LIB_NCCL, true },
};
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* Costs measured on this VM for the issue (docs/recorder.md), per call:
 * entry probe (emulated or single-stepped first instruction) + uretprobe.
 * calibrate() replaces them with a measurement at startup. */
#define COST_EMULATED_NS 5500
#define COST_STEPPED_NS 19000
#define COST_URETPROBE_NS 12000

/* ------------------------------------------------------------- state */

struct lib {
	uint64_t dev, ino;
	char path[512];
	int kinds;
	struct bpf_link *links[2 * NPROBES];
	int nlinks;
	int multi_fd[2];         /* uprobe_multi links (entry, return), -1 none */
};

struct rec {
	struct opts o;
	struct ingero_bpf *skel;
	struct ring_buffer *rb;
	struct ingero_writer *w;
	struct rec_sym sym;
	char outdir[PATH_MAX];
	uid_t own_uid;
	gid_t own_gid;
	bool chown_files;
	struct lib *libs;
	int nlibs, caplibs;
	struct rec_map pids;     /* pid -> gen the PROCESS record was written in */
	uint64_t pid_cache[64], tid_cache[256]; /* gen << 32 | id: known, skip the map */
	struct rec_map tids;     /* tid -> gen of the THREAD record */
	struct rec_map targets;  /* tgid -> 1: in the BPF traced map */
	struct rec_map parents;  /* child tgid -> parent tgid, from fork events */
	struct rec_map opcount;  /* pid << 16 | src << 8 | op -> calls this second */
	struct rec_map rates;    /* same key -> 1-in-N in force */
	uint32_t gen;
	uint32_t op_cost[INGERO_SRC_MAX][32]; /* ns per hit (entry + return) */
	/* counters */
	uint64_t events, events_src[INGERO_SRC_MAX], tick_src[INGERO_SRC_MAX];
	uint64_t lost_seen[INGERO_SRC_MAX], lost_total;
	uint64_t unwritten, unwritten_src[INGERO_SRC_MAX];
	uint64_t disk_full_since;
	bool disk_full;
	bool discard;            /* INGERO_BENCH_DISCARD=1: empty consumer (bench) */
	uint64_t min_ts, max_ts;
	int write_err;
	struct rec_sys_state sys;
	struct rec_nvml *nvml;
	int uprobe_multi_type;   /* BPF_TRACE_UPROBE_MULTI of this kernel, 0 = absent */
	uint32_t cost_emulated, cost_stepped; /* ns per probed call (entry + return) */
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static void note(struct rec *r, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	struct ingero_record rec = { .kind = INGERO_REC_NOTE };

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!r->o.quiet || level > 0)
		fprintf(stderr, PROG ": %s\n", buf);
	if (!r->w || r->disk_full)
		return;
	rec.u.note.ts = rec_boottime_ns();
	rec.u.note.level = level;
	rec.u.note.text = buf;
	ingero_writer_append(r->w, &rec);
}

/* -------------------------------------------------- process metadata */

static void write_process(struct rec *r, uint32_t pid, const char *comm_hint)
{
	struct rec_procinfo pi;
	struct ingero_record rec = { .kind = INGERO_REC_PROCESS };
	uint64_t *parent;

	if (rec_proc_info("/proc", pid, &pi)) {
		/* gone already (short-lived child): inherit from the parent */
		parent = rec_map_get(&r->parents, pid);
		if (!parent || rec_proc_info("/proc", *parent, &pi)) {
			memset(&pi, 0, sizeof(pi));
			pi.rank = pi.local_rank = pi.world_size = -1;
		}
		pi.comm[0] = 0;
		pi.pid = pid;
		pi.ppid = parent ? *parent : 0;
	}
	if (!pi.comm[0] && comm_hint)
		snprintf(pi.comm, sizeof(pi.comm), "%s", comm_hint);
	if (!pid)
		snprintf(pi.comm, sizeof(pi.comm), "swapper");
	rec.u.proc.pid = pid;
	rec.u.proc.ppid = pi.ppid;
	rec.u.proc.uid = pi.uid;
	rec.u.proc.comm = pi.comm;
	rec.u.proc.cmdline = pi.cmdline;
	rec.u.proc.rank = pi.rank;
	rec.u.proc.local_rank = pi.local_rank;
	rec.u.proc.world_size = pi.world_size;
	rec.u.proc.cgroup_id = pi.cgroup_id;
	rec.u.proc.start_ts = rec_boottime_ns();
	ingero_writer_append(r->w, &rec);
}

static inline void ensure_pid(struct rec *r, uint32_t pid, const char *comm_hint)
{
	uint64_t *g;
	uint64_t ck = (uint64_t)r->gen << 32 | pid;

	/* direct-mapped front cache: the map lookup is a third of the path */
	if (r->pid_cache[pid & 63] == ck)
		return;
	g = rec_map_get(&r->pids, pid);
	if (g && *g == r->gen) {
		r->pid_cache[pid & 63] = ck;
		return;
	}
	rec_map_put(&r->pids, pid, r->gen);
	write_process(r, pid, comm_hint);
}

static inline void ensure_tid(struct rec *r, uint32_t pid, uint32_t tid)
{
	uint64_t *g;
	uint64_t ck = (uint64_t)r->gen << 32 | tid;
	char path[64], name[32] = "";
	struct ingero_record rec = { .kind = INGERO_REC_THREAD };
	int fd;

	if (r->tid_cache[tid & 255] == ck)
		return;
	g = rec_map_get(&r->tids, tid);
	if (g && *g == r->gen) {
		r->tid_cache[tid & 255] = ck;
		return;
	}
	rec_map_put(&r->tids, tid, r->gen);
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, name, sizeof(name) - 1);

		name[n > 0 ? n : 0] = 0;
		name[strcspn(name, "\n")] = 0;
		close(fd);
	}
	rec.u.thr.tid = tid;
	rec.u.thr.pid = pid;
	rec.u.thr.name = name;
	ingero_writer_append(r->w, &rec);
}

static void on_rotate(void *ctx, struct ingero_writer *w)
{
	struct rec *r = ctx;
	struct ingero_record rec = { .kind = INGERO_REC_ANCHOR };

	(void)w;
	/* metadata is re-emitted lazily in the new segment */
	r->gen++;
	r->sym.gen++;
	rec_anchor_now(&rec.u.anchor);
	ingero_writer_append(w, &rec);
}

/* -------------------------------------------------------- event path */

static void json_event(const struct ingero_event *ev)
{
	const char *s = ingero_source_name(ev->source), *o = ingero_op_name(ev->source, ev->op);

	printf("{\"ts\":%llu,\"dur\":%llu,\"pid\":%u,\"tid\":%u,\"source\":\"%s\",\"op\":\"%s\","
	       "\"ret\":%d,\"cpu\":%u,\"flags\":%u,\"stack_id\":%llu,\"args\":[%llu,%llu,%llu,%llu,"
	       "%llu,%llu]}\n",
	       (unsigned long long)ev->ts, (unsigned long long)ev->dur, ev->pid, ev->tid,
	       s ? s : "?", o ? o : "?", ev->ret, ev->cpu, ev->flags,
	       (unsigned long long)ev->stack_id, (unsigned long long)ev->arg[0],
	       (unsigned long long)ev->arg[1], (unsigned long long)ev->arg[2],
	       (unsigned long long)ev->arg[3], (unsigned long long)ev->arg[4],
	       (unsigned long long)ev->arg[5]);
}

static void write_event(struct rec *r, const struct ingero_event *ev)
{
	int err;

	if (ev->source < INGERO_SRC_MAX) {
		r->events_src[ev->source]++;
		r->tick_src[ev->source]++;
	}
	r->events++;
	if (!r->min_ts || ev->ts < r->min_ts)
		r->min_ts = ev->ts;
	if (ev->ts + ev->dur > r->max_ts)
		r->max_ts = ev->ts + ev->dur;
	if (r->o.json)
		json_event(ev);
	if (r->disk_full) {
		r->unwritten++;
		if (ev->source < INGERO_SRC_MAX)
			r->unwritten_src[ev->source]++;
		return;
	}
	err = ingero_writer_event(r->w, ev);
	if (err == INGERO_ENOSPC) {
		r->disk_full = true;
		r->disk_full_since = rec_boottime_ns();
		r->unwritten++;
		if (ev->source < INGERO_SRC_MAX)
			r->unwritten_src[ev->source]++;
		fprintf(stderr, PROG ": disk full writing to '%s': probes keep running, events are "
			"counted but not written until space returns\n", r->outdir);
	} else if (err < 0 && !r->write_err) {
		char buf[1100];

		r->write_err = err;
		fprintf(stderr, PROG ": %s: check the output directory\n",
			ingero_strerror(ingero_writer_error(r->w), buf, sizeof(buf)));
	}
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct rec *r = ctx;
	const struct ibpf_event *e = data;
	struct ingero_event ev;

	if (len < sizeof(*e) || r->discard)
		return 0;
	if (r->disk_full) {
		/* still count, and keep --json going */
	} else {
		ensure_pid(r, e->pid, e->source == INGERO_SRC_HOST && e->op == INGERO_HOST_EXEC ?
				      e->comm : NULL);
		if (e->tid && e->tid != e->pid)
			ensure_tid(r, e->pid, e->tid);
	}
	ev.ts = e->ts;
	ev.dur = e->dur;
	ev.pid = e->pid;
	ev.tid = e->tid;
	ev.source = e->source;
	ev.op = e->op;
	ev.flags = e->flags & INGERO_EVF_SAMPLED;
	ev.ret = e->ret;
	ev.cpu = e->cpu;
	memcpy(ev.arg, e->arg, sizeof(ev.arg));
	ev.stack_id = 0;
	if (e->stack_id >= 0 && !r->disk_full)
		ev.stack_id = rec_sym_stack(&r->sym, e->pid, e->stack_id);
	if (e->source == INGERO_SRC_HOST && !r->disk_full) {
		switch (e->op) {
		case INGERO_HOST_SCHED_SWITCH: {
			/* name the task that ran instead (arg1) with a PROCESS record */
			char comm[IBPF_COMM_LEN + 1];

			memcpy(comm, e->comm, IBPF_COMM_LEN);
			comm[IBPF_COMM_LEN] = 0;
			ensure_pid(r, (uint32_t)e->arg[1], comm);
			memcpy(comm, e->comm2, IBPF_COMM_LEN);
			ensure_pid(r, (uint32_t)e->arg[3], comm);
			break;
		}
		case INGERO_HOST_FORK: {
			uint64_t one = IBPF_TRACED_CHILD;
			char comm[IBPF_COMM_LEN + 1];

			rec_map_put(&r->targets, e->arg[0], one);
			rec_map_put(&r->parents, e->arg[0], e->pid);
			memcpy(comm, e->comm, IBPF_COMM_LEN);
			comm[IBPF_COMM_LEN] = 0;
			ensure_pid(r, (uint32_t)e->arg[0], comm);
			ev.arg[2] = 0;
			break;
		}
		case INGERO_HOST_EXEC:
			rec_sym_forget(&r->sym, e->pid);
			/* a new program: its PROCESS record must be written again */
			rec_map_del(&r->pids, e->pid);
			r->pid_cache[e->pid & 63] = 0;
			ev.arg[2] = 0;
			break;
		case INGERO_HOST_EXIT:
			rec_map_del(&r->targets, e->pid);
			rec_sym_forget(&r->sym, e->pid);
			break;
		case INGERO_HOST_OOM_KILL: {
			char comm[IBPF_COMM_LEN + 1];

			memcpy(comm, e->comm, IBPF_COMM_LEN);
			comm[IBPF_COMM_LEN] = 0;
			ensure_pid(r, e->pid, comm);
			ev.arg[2] = 0;
			break;
		}
		}
	}
	if (r->o.budget_pct > 0 && e->source != INGERO_SRC_HOST && e->source != INGERO_SRC_IO) {
		uint64_t k = (uint64_t)e->pid << 16 | e->source << 8 | e->op;
		uint64_t *c = rec_map_get(&r->opcount, k);

		if (c)
			(*c)++;
		else
			rec_map_put(&r->opcount, k, 1);
	}
	write_event(r, &ev);
	return 0;
}

/* ------------------------------------------------------ per-tick work */

static void flush_pages(struct rec *r, uint64_t now)
{
	int fd = bpf_map__fd(r->skel->maps.pages), ncpu = libbpf_num_possible_cpus();
	struct ibpf_page_agg *vals;
	uint32_t key, next, *prev = NULL;
	uint32_t keys[4096];
	int nk = 0;

	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	while (nk < 4096 && !bpf_map_get_next_key(fd, prev, &next)) {
		keys[nk++] = next;
		key = next;
		prev = &key;
	}
	for (int i = 0; i < nk; i++) {
		struct ingero_event ev = { 0 };
		uint64_t first = UINT64_MAX, last = 0;

		if (bpf_map_lookup_elem(fd, &keys[i], vals))
			continue;
		bpf_map_delete_elem(fd, &keys[i]);
		for (int c = 0; c < ncpu; c++) {
			if (!vals[c].count)
				continue;
			ev.arg[0] += vals[c].bytes;
			ev.arg[1] += vals[c].count;
			if (vals[c].first_ts < first)
				first = vals[c].first_ts;
			if (vals[c].last_ts > last) {
				last = vals[c].last_ts;
				ev.tid = vals[c].tid;
			}
		}
		if (!ev.arg[1])
			continue;
		ev.ts = first;
		ev.dur = last > first ? last - first : 0;
		ev.pid = keys[i];
		ev.source = INGERO_SRC_HOST;
		ev.op = INGERO_HOST_PAGE_ALLOC;
		if (!r->disk_full)
			ensure_pid(r, ev.pid, NULL);
		write_event(r, &ev);
	}
	(void)now;
	free(vals);
}

static uint64_t sum_percpu(int fd, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[512] = { 0 }, s = 0;

	if (ncpu <= 0 || ncpu > 512 || bpf_map_lookup_elem(fd, &key, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

static uint64_t check_lost(struct rec *r, uint64_t now)
{
	int fd = bpf_map__fd(r->skel->maps.lost);
	uint64_t total = 0;

	for (uint32_t s = 0; s < INGERO_SRC_MAX; s++) {
		uint64_t v = sum_percpu(fd, s);
		struct ingero_record rec = { .kind = INGERO_REC_LOST };

		total += v;
		if (v <= r->lost_seen[s])
			continue;
		rec.u.lost.ts = now;
		rec.u.lost.source = s;
		rec.u.lost.count = v - r->lost_seen[s];
		rec.u.lost.reason = 0;
		r->lost_seen[s] = v;
		if (!r->disk_full)
			ingero_writer_append(r->w, &rec);
	}
	r->lost_total = total;
	return total;
}

static void disk_retry(struct rec *r, uint64_t now)
{
	struct statvfs sv;

	/* resume only with room for a few frames, not on the first free block */
	if (statvfs(r->outdir, &sv) || (uint64_t)sv.f_bavail * sv.f_frsize < (1ULL << 20))
		return;
	if (ingero_writer_flush(r->w) < 0)
		return;
	r->disk_full = false;
	fprintf(stderr, PROG ": disk space is back: %llu events were not written\n",
		(unsigned long long)r->unwritten);
	note(r, 1, "disk full from %llu to %llu: %llu events not written",
	     (unsigned long long)r->disk_full_since, (unsigned long long)now,
	     (unsigned long long)r->unwritten);
	for (int s = 0; s < INGERO_SRC_MAX; s++) {
		struct ingero_record rec = { .kind = INGERO_REC_LOST };

		if (!r->unwritten_src[s])
			continue;
		rec.u.lost.ts = now;
		rec.u.lost.source = s;
		rec.u.lost.count = r->unwritten_src[s];
		rec.u.lost.reason = 1;
		ingero_writer_append(r->w, &rec);
		r->unwritten_src[s] = 0;
	}
	r->unwritten = 0;
	r->gen++;       /* re-emit metadata written while full */
	r->sym.gen++;
}

/*
 * --overhead-budget: estimated probe cost per process and second =
 * sum over ops of calls x rate x cost per hit.  Past the budget, the highest
 * rate op that is neither a sync, an allocation nor a host event is sampled
 * 1-in-N in the kernel so that its share fits; a SAMPLING record says so.
 */
static bool samplable(int src, int op)
{
	if (src == INGERO_SRC_CUDA)
		return op == INGERO_CUDA_LAUNCH_KERNEL || op == INGERO_CUDA_MEMCPY_ASYNC ||
		       op == INGERO_CUDA_MEMCPY_2D_ASYNC || op == INGERO_CUDA_MEMCPY_PEER_ASYNC;
	if (src == INGERO_SRC_DRIVER)
		return op == INGERO_DRV_LAUNCH_KERNEL || op == INGERO_DRV_MEMCPY_ASYNC;
	if (src == INGERO_SRC_GRAPH)
		return op == INGERO_GRAPH_LAUNCH;
	return false;
}

static void set_rate(struct rec *r, uint32_t pid, int src, int op, uint32_t rate, uint64_t now)
{
	struct ibpf_sample_key k = { .tgid = pid, .source = src, .op = op };
	struct { uint32_t rate, pad; uint64_t n; } v = { rate, 0, 0 };
	struct ingero_record rec = { .kind = INGERO_REC_SAMPLING };
	int fd = bpf_map__fd(r->skel->maps.sampling);

	if (rate <= 1)
		bpf_map_delete_elem(fd, &k);
	else
		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
	rec_map_put(&r->rates, (uint64_t)pid << 16 | src << 8 | op, rate);
	rec.u.sampling.ts = now;
	rec.u.sampling.pid = pid;
	rec.u.sampling.source = src;
	rec.u.sampling.op = op;
	rec.u.sampling.rate = rate;
	if (!r->disk_full)
		ingero_writer_append(r->w, &rec);
	if (!r->o.quiet)
		fprintf(stderr, PROG ": pid %u: %s sampled 1-in-%u (overhead budget %.1f%%)\n", pid,
			ingero_op_name(src, op) ? ingero_op_name(src, op) : "?", rate,
			r->o.budget_pct);
}

static void overhead_check(struct rec *r, uint64_t now, double secs)
{
	struct rec_map *m = &r->opcount;
	double budget = r->o.budget_pct / 100.0 * 1e9 * secs;

	if (r->o.budget_pct <= 0 || !m->cap) {
		rec_map_clear(m);
		return;
	}
	for (size_t i = 0; i < m->cap; i++) {
		uint32_t pid;
		double cost = 0, top_cost = 0;
		uint64_t top = 0;

		if (m->keys[i] == REC_MAP_EMPTY || !m->vals[i])
			continue;
		pid = m->keys[i] >> 16;
		/* gather this pid's ops (small: a handful of ops per pid) */
		for (size_t j = 0; j < m->cap; j++) {
			uint64_t k = m->keys[j], *rt;
			int src, op;
			double c;

			if (k == REC_MAP_EMPTY || (k >> 16) != pid)
				continue;
			src = (k >> 8) & 0xff;
			op = k & 0xff;
			rt = rec_map_get(&r->rates, k);
			c = (double)m->vals[j] * (rt ? (double)*rt : 1.0) *
			    (src < INGERO_SRC_MAX && op < 32 && r->op_cost[src][op] ?
				     r->op_cost[src][op] : r->cost_emulated);
			cost += c;
			if (samplable(src, op) && c > top_cost) {
				top_cost = c;
				top = k;
			}
		}
		if (cost > budget && top) {
			double rest = cost - top_cost, allowed = budget - rest;
			uint64_t *cur = rec_map_get(&r->rates, top);
			uint32_t rate = allowed <= top_cost / 1000 ? 1000 :
					(uint32_t)(top_cost / allowed) + 1;

			if (rate > 1000)
				rate = 1000;
			if (!cur || rate > *cur)
				set_rate(r, pid, (top >> 8) & 0xff, top & 0xff, rate, now);
		}
		/* mark this pid done */
		for (size_t j = 0; j < m->cap; j++)
			if (m->keys[j] != REC_MAP_EMPTY && (m->keys[j] >> 16) == pid)
				m->vals[j] = 0;
	}
	rec_map_clear(m);
}

/* ------------------------------------------------- library discovery */

static int lib_kind(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!strncmp(b, "libcudart.so", 12))
		return LIB_CUDART;
	if (!strncmp(b, "libcuda.so", 10))
		return LIB_CUDA;
	if (!strncmp(b, "libnccl.so", 10))
		return LIB_NCCL;
	return 0;
}

static struct lib *find_lib(struct rec *r, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < r->nlibs; i++)
		if (r->libs[i].dev == dev && r->libs[i].ino == ino)
			return &r->libs[i];
	return NULL;
}

/*
 * uprobe_multi (Linux 6.6+): one link per library and direction instead of
 * one perf event per function.  Tearing down a perf-event uprobe costs
 * ~0.1 s of kernel synchronization each here, so 44 of them made a clean stop
 * take seconds.  Our libbpf (1.1) predates the API: raw BPF_LINK_CREATE.
 * The attach type's value is read from the kernel's BTF (absent = fall back).
 */
static int probe_uprobe_multi(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id, v = 0;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_TRACE_UPROBE_MULTI"))
				v = e[i].val;
	}
	btf__free(btf);
	return v;
}

struct uprobe_multi_attr {     /* union bpf_attr, BPF_LINK_CREATE, uprobe_multi */
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, mflags, pid, pad;
	uint8_t rest[64];
};

static int uprobe_multi_link(int type, int prog_fd, const char *path, const uint64_t *offs,
			     const uint64_t *cookies, uint32_t n, bool ret)
{
	struct uprobe_multi_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = type;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offs;
	a.cookies = (uintptr_t)cookies;
	a.cnt = n;
	a.mflags = ret ? 1 /* BPF_F_UPROBE_MULTI_RETURN */ : 0;
	return syscall(__NR_bpf, 28 /* BPF_LINK_CREATE */, &a, sizeof(a));
}

/*
 * Measure what a probed call costs on this kernel right now: probe a
 * function of our own binary (cookie 0: the BPF programs return at once
 * for the recorder itself) and time calls to it.  The issue's figures
 * (5.5 / 19 + 12 us) were taken under load; idle, this VM does ~1.3 us.
 */
/* two probe targets: one starting with an instruction the kernel emulates
 * (push %rbp), one it must single-step (lea) */
__asm__(".text\n"
	".globl ingero_calib_emulated\n.type ingero_calib_emulated,@function\n"
	"ingero_calib_emulated:\n\tpush %rbp\n\tmov %rsp,%rbp\n\tlea 1(%rdi),%eax\n"
	"\tpop %rbp\n\tret\n.size ingero_calib_emulated, .-ingero_calib_emulated\n"
	".globl ingero_calib_stepped\n.type ingero_calib_stepped,@function\n"
	"ingero_calib_stepped:\n\tlea 1(%rdi),%eax\n\tret\n"
	".size ingero_calib_stepped, .-ingero_calib_stepped\n");
int ingero_calib_emulated(int x);
int ingero_calib_stepped(int x);

/* ns per call of fn with an entry and a return probe on symbol `name`; 0 on failure */
static uint32_t calib_one(struct rec *r, struct rec_elf *e, const char *self, const char *name,
			  int (*fn)(int))
{
	const struct rec_elf_sym *sym = rec_elf_find_name(e, name);
	uint64_t off, cookie = 0, t0, t1;
	struct bpf_link *le = NULL, *lr = NULL;
	int fe = -1, fr = -1, ok;
	volatile int sink = 0;
	const int calls = 5000;
	uint32_t per = 0;

	if (!sym || rec_elf_vaddr_to_off(e, sym->addr, &off))
		return 0;
	if (r->uprobe_multi_type) {
		fe = uprobe_multi_link(r->uprobe_multi_type,
				       bpf_program__fd(r->skel->progs.uprobe_entry), self, &off,
				       &cookie, 1, false);
		fr = uprobe_multi_link(r->uprobe_multi_type,
				       bpf_program__fd(r->skel->progs.uprobe_return), self, &off,
				       &cookie, 1, true);
		ok = fe >= 0 && fr >= 0;
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, uo);

		le = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_entry, 0, self, off, &uo);
		uo.retprobe = true;
		lr = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_return, 0, self, off, &uo);
		ok = le && lr;
	}
	if (ok) {
		t0 = rec_monotonic_ns();
		for (int i = 0; i < calls; i++)
			sink += fn(i);
		t1 = rec_monotonic_ns();
		per = (t1 - t0) / calls;
	}
	if (fe >= 0)
		close(fe);
	if (fr >= 0)
		close(fr);
	bpf_link__destroy(le);
	bpf_link__destroy(lr);
	(void)sink;
	return per;
}

/*
 * Measure what a probed call costs on this kernel right now (the BPF
 * programs return at once for the recorder's own calls, cookie 0), for
 * both instruction classes.  The issue's figures (5.5 or 19 us + 12 us) are
 * the fallback; they were taken under load (idle, this VM does ~1.3 us).
 */
static void calibrate(struct rec *r)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct rec_elf *e;
	uint32_t em, st;

	r->cost_emulated = COST_EMULATED_NS + COST_URETPROBE_NS;
	r->cost_stepped = COST_STEPPED_NS + COST_URETPROBE_NS;
	if (n <= 0)
		return;
	self[n] = 0;
	e = rec_elf_open(self);
	if (!e)
		return;
	em = calib_one(r, e, self, "ingero_calib_emulated", ingero_calib_emulated);
	st = calib_one(r, e, self, "ingero_calib_stepped", ingero_calib_stepped);
	rec_elf_free(e);
	if (em)
		r->cost_emulated = em;
	if (st)
		r->cost_stepped = st > em ? st : em;
}

/* Attach every known function the file exports.  kinds = LIB_* to try. */
static int attach_lib(struct rec *r, const char *path, uint64_t dev, uint64_t ino, int kinds)
{
	struct rec_elf *e;
	struct lib *l;
	int attached = 0, fd;
	char missing[512] = "";

	if (r->nlibs == r->caplibs) {
		int nc = r->caplibs ? r->caplibs * 2 : 8;
		void *nv = realloc(r->libs, nc * sizeof(*r->libs));

		if (!nv)
			return -1;
		r->libs = nv;
		r->caplibs = nc;
	}
	l = &r->libs[r->nlibs++];
	memset(l, 0, sizeof(*l));
	l->dev = dev;
	l->ino = ino;
	l->kinds = kinds;
	l->multi_fd[0] = l->multi_fd[1] = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
	e = rec_elf_open(path);
	if (!e) {
		note(r, 1, "cannot read symbols of '%s': %s: skipped", path, strerror(errno));
		return -1;
	}
	uint64_t moffs[NPROBES], mcookies[NPROBES];
	uint32_t nm = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < NPROBES; i++) {
		const struct probe_def *p = &probes[i];
		const struct rec_elf_sym *s;
		uint64_t off;
		uint8_t insn[8] = { 0 };
		LIBBPF_OPTS(bpf_uprobe_opts, uo);
		struct bpf_link *le, *lr;
		uint32_t cost;

		if (!(p->lib & kinds) || (p->lib == LIB_NCCL && !r->o.nccl))
			continue;
		s = rec_elf_find_name(e, p->sym);
		if (!s || rec_elf_vaddr_to_off(e, s->addr, &off)) {
			if (!p->optional && (kinds & ~p->lib) == 0) {
				size_t n = strlen(missing);

				snprintf(missing + n, sizeof(missing) - n, "%s%s", n ? ", " : "",
					 p->sym);
			}
			continue;
		}
		if (fd >= 0 && pread(fd, insn, sizeof(insn), off) != sizeof(insn))
			memset(insn, 0, sizeof(insn));
		cost = rec_elf_insn_emulated(insn) ? r->cost_emulated : r->cost_stepped;
		if (cost > r->op_cost[p->src][p->op & 0x1f])
			r->op_cost[p->src][p->op & 0x1f] = cost;
		if (r->uprobe_multi_type) {
			moffs[nm] = off;
			mcookies[nm++] = IBPF_COOKIE(p->src, p->op);
			continue;
		}
		uo.bpf_cookie = IBPF_COOKIE(p->src, p->op);
		le = bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_entry, -1, path, off, &uo);
		uo.retprobe = true;
		lr = le ? bpf_program__attach_uprobe_opts(r->skel->progs.uprobe_return, -1, path,
							  off, &uo) : NULL;
		if (!le || !lr) {
			note(r, 1, "cannot attach uprobe %s in '%s': %s", p->sym, path,
			     strerror(errno));
			bpf_link__destroy(le);
			continue;
		}
		l->links[l->nlinks++] = le;
		l->links[l->nlinks++] = lr;
		attached++;
	}
	if (nm) {
		l->multi_fd[0] = uprobe_multi_link(r->uprobe_multi_type,
						   bpf_program__fd(r->skel->progs.uprobe_entry),
						   path, moffs, mcookies, nm, false);
		l->multi_fd[1] = l->multi_fd[0] < 0 ? -1 :
			uprobe_multi_link(r->uprobe_multi_type,
					  bpf_program__fd(r->skel->progs.uprobe_return), path, moffs,
					  mcookies, nm, true);
		if (l->multi_fd[1] < 0) {
			note(r, 1, "cannot attach uprobes in '%s': %s", path, strerror(errno));
			if (l->multi_fd[0] >= 0)
				close(l->multi_fd[0]);
			l->multi_fd[0] = -1;
		} else {
			attached = nm;
		}
	}
	if (fd >= 0)
		close(fd);
	rec_elf_free(e);
	if (missing[0])
		note(r, 0, "'%s' lacks %s: not probed", path, missing);
	note(r, 0, "attached %d probes to '%s'", attached, path);
	return attached;
}

struct scan_ctx {
	struct rec *r;
	uint32_t pid;
	int found;
};

static int scan_map(void *ctx, const struct rec_mapping *m)
{
	struct scan_ctx *sc = ctx;
	struct rec *r = sc->r;
	int kind;
	char alt[600];
	const char *path = m->path;
	struct stat st;

	if (m->path[0] != '/')
		return 0;
	if (r->o.ncuda_libs) {
		for (int i = 0; i < r->nlibs; i++)
			if (r->libs[i].dev == m->dev && r->libs[i].ino == m->ino)
				sc->found |= 1;
		return 0;
	}
	kind = lib_kind(m->path);
	if (!kind || (kind == LIB_NCCL && !r->o.nccl))
		return 0;
	if (kind != LIB_NCCL)
		sc->found |= 1;
	if (find_lib(r, m->dev, m->ino))
		return 0;
	/* the process may live in another mount namespace */
	if (stat(path, &st) || st.st_dev != m->dev || st.st_ino != m->ino) {
		snprintf(alt, sizeof(alt), "/proc/%u/root%s", sc->pid, m->path);
		path = alt;
	}
	attach_lib(r, path, m->dev, m->ino, kind == LIB_CUDART ? LIB_CUDART : kind);
	return 0;
}

static void add_target(struct rec *r, uint32_t pid, uint8_t why)
{
	int fd = bpf_map__fd(r->skel->maps.traced);

	if (rec_map_get(&r->targets, pid))
		return;
	rec_map_put(&r->targets, pid, why);
	bpf_map_update_elem(fd, &pid, &why, BPF_NOEXIST);
	ensure_pid(r, pid, NULL);
	if (r->o.stack)
		rec_sym_preload(&r->sym, pid);
}

static bool pid_selected(struct rec *r, uint32_t pid)
{
	if (!r->o.npids)
		return true;
	for (int i = 0; i < r->o.npids; i++)
		if (r->o.pids[i] == pid)
			return true;
	return rec_map_get(&r->targets, pid) != NULL;  /* followed children */
}

/* Walk /proc: attach new CUDA libraries, register target processes.
 * Returns the number of processes mapping a CUDA library. */
static int scan(struct rec *r)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	uint32_t self = getpid();

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		struct scan_ctx sc = { r, pid, 0 };

		if (*end || !pid || pid == self || !pid_selected(r, pid))
			continue;
		if (r->o.uid >= 0) {
			char p[64];
			struct stat st;

			snprintf(p, sizeof(p), "/proc/%lu", pid);
			if (stat(p, &st) || (int)st.st_uid != r->o.uid)
				continue;
		}
		rec_maps_foreach(pid, scan_map, &sc);
		if (sc.found) {
			n++;
			add_target(r, pid, IBPF_TRACED_PID);
		}
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------ status line */

static void status_line(struct rec *r, double secs)
{
	static const char *const names[INGERO_SRC_MAX] = {
		[1] = "cuda", [3] = "host", [4] = "driver", [5] = "io", [8] = "graph", [9] = "nccl" };
	char buf[512];
	size_t n = 0;
	uint64_t tot = 0;

	for (int s = 0; s < INGERO_SRC_MAX; s++)
		tot += r->tick_src[s];
	n += snprintf(buf + n, sizeof(buf) - n, "%.0f ev/s (", tot / secs);
	for (int s = 0, first = 1; s < INGERO_SRC_MAX; s++) {
		if (!names[s])
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %.0f", first ? "" : " ", names[s],
			      r->tick_src[s] / secs);
		first = 0;
	}
	n += snprintf(buf + n, sizeof(buf) - n, ") total %llu, drops %llu, disk %.1f MB%s, %d libs",
		      (unsigned long long)r->events, (unsigned long long)r->lost_total,
		      ingero_writer_bytes(r->w) / 1e6, r->disk_full ? " FULL" : "", r->nlibs);
	if (isatty(2))
		fprintf(stderr, "\r\033[K" PROG ": %s", buf);
	else
		fprintf(stderr, PROG ": %s\n", buf);
}

/* ----------------------------------------------------- output setup */

static int mkdir_p(const char *dir, uid_t uid, gid_t gid, bool own)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			if (mkdir(tmp, 0750) == 0) {
				if (own && chown(tmp, uid, gid))
					return -1;
			} else if (errno != EEXIST) {
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static int setup_output(struct rec *r)
{
	const char *sudo_user = getenv("SUDO_USER");
	struct passwd *pw = NULL;

	r->own_uid = getuid();
	r->own_gid = getgid();
	if (sudo_user && geteuid() == 0 && (pw = getpwnam(sudo_user))) {
		r->own_uid = pw->pw_uid;
		r->own_gid = pw->pw_gid;
		r->chown_files = true;
	}
	if (r->o.out) {
		snprintf(r->outdir, sizeof(r->outdir), "%s", r->o.out);
	} else {
		const char *home = pw ? pw->pw_dir : getenv("HOME");

		if (!home) {
			struct passwd *me = getpwuid(getuid());

			home = me ? me->pw_dir : "/tmp";
		}
		snprintf(r->outdir, sizeof(r->outdir), "%s/.ingero/rec/%s", home, r->o.node);
	}
	if (mkdir_p(r->outdir, r->own_uid, r->own_gid, r->chown_files) ||
	    access(r->outdir, W_OK | X_OK)) {
		fprintf(stderr, PROG ": cannot write to '%s': %s: choose a writable directory "
			"with -o DIR\n", r->outdir, strerror(errno));
		return -1;
	}
	return 0;
}

static void chown_outputs(struct rec *r)
{
	DIR *d;
	struct dirent *de;

	if (!r->chown_files || !(d = opendir(r->outdir)))
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (!fstatat(dirfd(d), de->d_name, &st, 0) && st.st_uid != r->own_uid)
			if (fchownat(dirfd(d), de->d_name, r->own_uid, r->own_gid, 0))
				continue;
	}
	closedir(d);
}

static int open_writer(struct rec *r, int argc, char **argv)
{
	struct ingero_writer_opts wo = { 0 };
	struct ingero_error err = { 0 };
	struct utsname un;
	char host[256] = "", boot_id[64] = "", cmdline[2048] = "";
	size_t n = 0;
	FILE *f;
	int rc;

	uname(&un);
	gethostname(host, sizeof(host));
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
		if (fgets(boot_id, sizeof(boot_id), f))
			boot_id[strcspn(boot_id, "\n")] = 0;
		fclose(f);
	}
	n = snprintf(cmdline, sizeof(cmdline), "ingero-record");
	for (int i = 1; i < argc && n < sizeof(cmdline); i++)
		n += snprintf(cmdline + n, sizeof(cmdline) - n, " %s", argv[i]);
	wo.dir = r->outdir;
	wo.seg_max_bytes = r->o.seg_size;
	wo.seg_max_ns = r->o.seg_ns;
	wo.disk_budget = r->o.max_disk;
	wo.frame_max_ns = NSEC;
	wo.fsync = INGERO_FSYNC_FRAME;
	/* level 1: ~40% less consumer CPU than 3 for ~15% more bytes */
	wo.zstd_level = r->o.zstd_level;
	wo.file_mode = 0640;
	wo.hdr.major = INGERO_FORMAT_MAJOR;
	wo.hdr.minor = INGERO_FORMAT_MINOR;
	wo.hdr.node = r->o.node;
	wo.hdr.host = host;
	wo.hdr.boot_id = boot_id;
	wo.hdr.kernel = un.release;
	wo.hdr.recorder = "ingero-record " INGERO_VERSION;
	wo.hdr.cmdline = cmdline;
	wo.hdr.clock = "boottime";
	wo.hdr.start_ts = rec_boottime_ns();
	wo.hdr.rank = -1;
	{
		struct ingero_anchor a;

		rec_anchor_now(&a);
		wo.hdr.anchor.boottime = a.boottime;
		wo.hdr.anchor.realtime = a.realtime;
		wo.hdr.anchor.monotonic = a.monotonic;
		wo.hdr.anchor.error_ns = a.error_ns;
	}
	wo.on_rotate = on_rotate;
	wo.rotate_ctx = r;
	rc = ingero_writer_open(&r->w, &wo, &err);
	if (rc < 0) {
		char buf[1100];

		fprintf(stderr, PROG ": %s: choose a writable directory with -o DIR\n",
			ingero_strerror(&err, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------- BPF setup */

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("INGERO_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("INGERO_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int preflight(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, PROG ": kernel BTF not found at /sys/kernel/btf/vmlinux: use a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels "
			"since 2020)\n");
		return -1;
	}
	return 0;
}

static void perm_error(int err)
{
	if (err == -EPERM || err == -EACCES || geteuid() != 0)
		fprintf(stderr, PROG ": permission denied loading BPF programs: run as root "
			"(sudo ingero-record ...) or grant CAP_BPF and CAP_PERFMON\n");
	else
		fprintf(stderr, PROG ": cannot load BPF programs: %s: run 'ingero-record check' "
			"(set INGERO_BPF_DEBUG=1 for the verifier log)\n", strerror(-err));
}

static int attach_tp(struct rec *r, struct bpf_program *p, struct bpf_link **l, bool required)
{
	*l = bpf_program__attach(p);
	if (*l)
		return 0;
	if (required) {
		perm_error(-errno);
		return -1;
	}
	note(r, 1, "tracepoint %s unavailable: %s", bpf_program__name(p), strerror(errno));
	return 0;
}

static int setup_bpf(struct rec *r)
{
	struct ingero_bpf *s;
	int err;

	libbpf_set_print(libbpf_quiet);
	s = ingero_bpf__open();
	if (!s) {
		perm_error(-errno);
		return -1;
	}
	r->skel = s;
	s->rodata->capture_stack = r->o.stack;
	s->rodata->filter_uprobes = r->o.npids > 0;
	s->rodata->target_uid = r->o.uid >= 0 ? (uint32_t)r->o.uid : (uint32_t)-1;
	s->rodata->self_tgid = getpid();
	s->rodata->wake_bytes = r->o.ringbuf / 4;
	bpf_map__set_max_entries(s->maps.rb, r->o.ringbuf);
	if (!getenv("INGERO_NO_UPROBE_MULTI"))
		r->uprobe_multi_type = probe_uprobe_multi();
	if (r->uprobe_multi_type) {
		bpf_program__set_expected_attach_type(s->progs.uprobe_entry, r->uprobe_multi_type);
		bpf_program__set_expected_attach_type(s->progs.uprobe_return, r->uprobe_multi_type);
	}
	if (!r->o.stack)
		bpf_map__set_max_entries(s->maps.stacks, 1);
	bpf_program__set_autoload(s->progs.on_sched_switch, !r->o.no_sched);
	bpf_program__set_autoload(s->progs.on_sched_wakeup, !r->o.no_sched);
	bpf_program__set_autoload(s->progs.on_block_issue, !r->o.no_io);
	bpf_program__set_autoload(s->progs.on_block_complete, !r->o.no_io);
	err = ingero_bpf__load(s);
	if (err) {
		perm_error(err);
		return -1;
	}
	if ((!r->o.no_sched &&
	     (attach_tp(r, s->progs.on_sched_switch, &s->links.on_sched_switch, true) ||
	      attach_tp(r, s->progs.on_sched_wakeup, &s->links.on_sched_wakeup, false))) ||
	    attach_tp(r, s->progs.on_exec, &s->links.on_exec, true) ||
	    attach_tp(r, s->progs.on_exit, &s->links.on_exit, true) ||
	    attach_tp(r, s->progs.on_fork, &s->links.on_fork, true) ||
	    attach_tp(r, s->progs.on_page_alloc, &s->links.on_page_alloc, false) ||
	    attach_tp(r, s->progs.on_mark_victim, &s->links.on_mark_victim, false) ||
	    (!r->o.no_io &&
	     (attach_tp(r, s->progs.on_block_issue, &s->links.on_block_issue, false) ||
	      attach_tp(r, s->progs.on_block_complete, &s->links.on_block_complete, false))))
		return -1;
	r->rb = ring_buffer__new(bpf_map__fd(s->maps.rb), handle_event, r, NULL);
	if (!r->rb) {
		fprintf(stderr, PROG ": cannot open the ring buffer: %s\n", strerror(errno));
		return -1;
	}
	rec_sym_init(&r->sym, NULL, bpf_map__fd(s->maps.stacks));
	return 0;
}

/* --------------------------------------------------------- main loop */

static void tick(struct rec *r, uint64_t now, double secs)
{
	struct ingero_record rec = { .kind = INGERO_REC_ANCHOR };

	flush_pages(r, now);
	check_lost(r, now);
	if (!r->disk_full) {
		rec_anchor_now(&rec.u.anchor);
		ingero_writer_append(r->w, &rec);
		rec.kind = INGERO_REC_SYS;
		if (!rec_sys_sample(&r->sys, &rec.u.sys))
			ingero_writer_append(r->w, &rec);
		if (r->nvml) {
			rec.kind = INGERO_REC_GPU;
			for (uint32_t i = 0; rec_nvml_sample(r->nvml, i, &rec.u.gpu) == 0; i++)
				ingero_writer_append(r->w, &rec);
		}
	}
	if (r->disk_full)
		disk_retry(r, now);
	else
		ingero_writer_flush(r->w);
	chown_outputs(r);
	if (!r->o.quiet)
		status_line(r, secs);
	memset(r->tick_src, 0, sizeof(r->tick_src));
	if (r->o.json)
		fflush(stdout);
}

int cmd_record(int argc, char **argv)
{
	static struct rec rr;
	struct rec *r = &rr;
	uint64_t start, last_tick, last_scan, last_budget;
	int rc = 1, nproc;

	memset(r, 0, sizeof(*r));
	r->gen = 1;
	/* keep freed buffers (zstd workspaces, frame buffers) in the heap:
	 * returning them to the kernel costs a page fault + clear per page
	 * on every frame, ~15% of the consumer's CPU */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	rc = parse_opts(argc, argv, &r->o);
	if (rc)
		return rc;
	rc = 1;
	/* first thing: a background job starts with SIGINT ignored, and a stop
	 * request during the (seconds long) setup must not be lost */
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	if (preflight() || setup_output(r))
		goto cleanup;
	if (setup_bpf(r))
		goto cleanup;
	if (open_writer(r, argc, argv))
		goto cleanup;
	r->sym.w = r->w;
	r->discard = getenv("INGERO_BENCH_DISCARD") && *getenv("INGERO_BENCH_DISCARD") == '1';
	r->nvml = rec_nvml_open();

	calibrate(r);
	note(r, 0, "probe cost measured: %u ns per call (emulated first instruction), %u ns "
	     "(single-stepped), entry + return", r->cost_emulated, r->cost_stepped);
	for (int i = 0; i < r->o.npids; i++)
		add_target(r, r->o.pids[i], IBPF_TRACED_PID);
	for (int i = 0; i < r->o.ncuda_libs; i++) {
		struct stat st;

		if (stat(r->o.cuda_libs[i], &st)) {
			fprintf(stderr, PROG ": cannot open --cuda-lib '%s': %s: give the path of "
				"a libcudart/libcuda/libnccl file\n", r->o.cuda_libs[i],
				strerror(errno));
			goto cleanup;
		}
		if (!find_lib(r, st.st_dev, st.st_ino))
			attach_lib(r, r->o.cuda_libs[i], st.st_dev, st.st_ino,
				   LIB_CUDART | LIB_CUDA | LIB_NCCL);
	}
	nproc = scan(r);
	if (!r->nlibs) {
		if (!r->o.wait) {
			fprintf(stderr, PROG ": no CUDA library found (no process maps libcudart or "
				"libcuda): start the workload first, give --cuda-lib PATH, or drop "
				"--wait=false to keep scanning\n");
			goto cleanup;
		}
		note(r, 0, "no CUDA library found yet: scanning every %d s (Ctrl-C to stop)",
		     r->o.scan_s);
	} else {
		note(r, 0, "recording %d CUDA process(es) to %s", nproc, r->outdir);
	}
	if (r->o.npids)
		note(r, 0, "tracing pid(s) given by --pid and their children");

	start = last_tick = last_scan = last_budget = rec_monotonic_ns();
	while (!exiting) {
		uint64_t now;
		int err = ring_buffer__poll(r->rb, r->o.poll_ms);

		if (err < 0 && err != -EINTR) {
			fprintf(stderr, PROG ": ring buffer poll failed: %s\n", strerror(-err));
			break;
		}
		/* records are submitted without wakeups: always drain */
		ring_buffer__consume(r->rb);
		now = rec_monotonic_ns();
		if (now - last_tick >= NSEC) {
			tick(r, rec_boottime_ns(), (now - last_tick) / 1e9);
			last_tick = now;
		}
		/* the budget reacts within a quarter second */
		if (now - last_budget >= NSEC / 4) {
			overhead_check(r, rec_boottime_ns(), (now - last_budget) / 1e9);
			last_budget = now;
		}
		if (now - last_scan >= (uint64_t)r->o.scan_s * NSEC) {
			scan(r);
			last_scan = now;
		}
		if (r->o.duration_ns && now - start >= r->o.duration_ns)
			break;
	}
	ring_buffer__consume(r->rb);
	flush_pages(r, rec_boottime_ns());
	check_lost(r, rec_boottime_ns());
	if (r->disk_full)
		disk_retry(r, rec_boottime_ns());
	rc = 0;
	if (!r->o.quiet && isatty(2))
		fputc('\n', stderr);
	if (!r->o.quiet)
		fprintf(stderr, PROG ": %llu events, %llu dropped, %llu not written, %.1f MB in %s\n",
			(unsigned long long)r->events, (unsigned long long)r->lost_total,
			(unsigned long long)r->unwritten, ingero_writer_bytes(r->w) / 1e6,
			r->outdir);
cleanup:
	if (r->w) {
		int cerr = ingero_writer_close(r->w);

		r->w = NULL;
		if (cerr < 0 && rc == 0) {
			fprintf(stderr, PROG ": closing the recording failed (code %d): check '%s'\n",
				cerr, r->outdir);
			rc = 1;
		}
		chown_outputs(r);
	}
	if (r->o.json)
		fflush(stdout);
	ring_buffer__free(r->rb);
	for (int i = 0; i < r->nlibs; i++)
	{
		for (int j = 0; j < r->libs[i].nlinks; j++)
			bpf_link__destroy(r->libs[i].links[j]);
		for (int j = 0; j < 2; j++)
			if (r->libs[i].multi_fd[j] >= 0)
				close(r->libs[i].multi_fd[j]);
	}
	free(r->libs);
	ingero_bpf__destroy(r->skel);
	rec_sym_release(&r->sym);
	rec_nvml_close(r->nvml);
	rec_map_release(&r->pids);
	rec_map_release(&r->tids);
	rec_map_release(&r->targets);
	rec_map_release(&r->parents);
	rec_map_release(&r->opcount);
	rec_map_release(&r->rates);
	return rc;
}
