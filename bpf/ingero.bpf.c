// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ingero.bpf.c - every kernel-side program of ingero-record.
 *
 * uprobes: one generic entry and one generic return program, attached to
 * each CUDA runtime / driver / graph / NCCL function with a cookie
 * (source << 8 | op) that tells them which arguments to read.
 * tp_btf: sched_switch/wakeup, mm_page_alloc, mark_victim (OOM), process
 * exec/exit/fork, block_rq_issue/complete.
 *
 * Records go to one ring buffer, submitted without a wakeup unless the ring
 * is filling up: the consumer polls on a short timer (per-record wakeups
 * cost ~5.6 us of consumer CPU each on this VM).  Every failed reserve is
 * counted per source in `lost`.  Times: bpf_ktime_get_boot_ns (BOOTTIME).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ingero_bpf.h"

/* source and op codes: the INGERO_SRC_* and INGERO_<op> enums that
 * formats/ingero_ops.h generates from formats/ops.def (via ingero_bpf.h) */

/* user stacks of CUDA calls (docs/recorder.md "Stacks"), taken at return:
 * IBPF_STACK_SMART: the first stack_first_n calls of each thread at each call
 * site, every call slower than stack_slow_factor x its op's running mean
 * (and >= stack_slow_min_ns), and 1 in stack_sample_n of the rest */
const volatile __u32 stack_mode = IBPF_STACK_SMART;
const volatile __u32 stack_first_n = 2;
const volatile __u32 stack_sample_n = 128;
const volatile __u32 stack_slow_factor = 4;
const volatile __u64 stack_slow_min_ns = 20000;
const volatile bool filter_uprobes = false;  /* only tgids in `traced` */
const volatile __u32 target_uid = (__u32)-1; /* --user */
const volatile __u32 self_tgid = 0;          /* the recorder: never traced */
const volatile __u64 wake_bytes = 1 << 20;   /* force a wakeup past this backlog */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IBPF_SRC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* per-source hit counters (every probe hit, sampled away or not) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IBPF_SRC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);  /* tgid */
	__type(value, __u8); /* IBPF_TRACED_* */
} traced SEC(".maps");

/* set by the recorder once any (tgid, op) is sampled: skip the lookup before */
volatile __u32 sampling_on;

struct entry {
	__u64 ts;
	__u64 arg[IBPF_NARGS];
	__u64 outp;          /* out-pointer dereferenced at return */
	__u64 ip;            /* the probed function's address */
	__u16 flags;
	__u16 pad[3];
};

/* a thread's calls in flight, one per source (runtime -> driver nesting):
 * task-local storage (no hashing, freed with the thread); ts 0 = none */
#define INFLIGHT_SLOTS 16      /* >= IBPF_SRC_MAX, a power of two (verifier bound) */
struct inflight_slots {
	struct entry e[INFLIGHT_SLOTS];
	/* want_uprobe() said yes for this thread: its tgid stays in `traced`
	 * until the whole group exits (on_exit), so later calls skip the hash
	 * lookup; the storage exists only for such threads */
	__u32 admitted;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight_slots);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, IBPF_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* per op (source * INGERO_OP_MAX + op), per CPU: running mean duration
 * and a call counter, for the stack policy */
struct durstat {
	__u64 mean_ns;
	__u64 calls;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IBPF_SRC_MAX * INGERO_OP_MAX);
	__type(key, __u32);
	__type(value, struct durstat);
} durstat SEC(".maps");

/* stacks taken so far per (thread, call site, op): a direct-mapped table
 * per CPU (a collision or a migration only gives a few more stacks) */
#define SITE_SLOTS 1024
struct site_tab {
	__u64 tag[SITE_SLOTS];
	__u32 n[SITE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct site_tab);
} sites SEC(".maps");

struct sample_val {
	__u32 rate;
	__u32 pad;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ibpf_sample_key);
	__type(value, struct sample_val);
} sampling SEC(".maps");

struct offcpu {
	__u64 ts;
	__u32 state;
	__u32 cpu;
	__u32 npid, ntid;
	char comm[IBPF_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);  /* tid */
	__type(value, struct offcpu);
} offcpu_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);  /* tgid */
	__type(value, struct ibpf_page_agg);
} pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);  /* ncclComm_t */
	__type(value, struct ibpf_nccl_comm);
} nccl_comms SEC(".maps");

struct blk_start {
	__u64 ts;
	__u64 sector;
	__u32 pid, tid;
	__u32 bytes;
	__u32 dev;
	__u32 op;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);  /* struct request * */
	__type(value, struct blk_start);
} blk SEC(".maps");

static __always_inline void count(void *map, __u32 src)
{
	__u64 *c = bpf_map_lookup_elem(map, &src);

	if (c)
		(*c)++;
}

static __always_inline struct ibpf_event *reserve(__u8 src)
{
	struct ibpf_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e) {
		count(&lost, src);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->source = src;
	e->stack_id = -1;
	return e;
}

/* an event that names other tasks: 32 more bytes for two comms */
static __always_inline struct ibpf_event_comm *reserve_comm(__u8 src)
{
	struct ibpf_event_comm *c = bpf_ringbuf_reserve(&rb, sizeof(*c), 0);

	if (!c) {
		count(&lost, src);
		return NULL;
	}
	__builtin_memset(c, 0, sizeof(*c));
	c->e.source = src;
	c->e.stack_id = -1;
	c->e.flags = IBPF_F_HAS_COMM;
	return c;
}

static __always_inline void submit(void *e)
{
	__u64 avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, avail >= wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#include "pyframes.bpf.h"

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

/* Should a uprobe hit of the current task be recorded? */
static __always_inline bool want_uprobe(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (target_uid != (__u32)-1 && (__u32)bpf_get_current_uid_gid() != target_uid)
		return false;
	if (is_traced(tgid))
		return true;
	if (filter_uprobes)
		return false;
	/* default mode: a process calling CUDA is a target; trace its threads */
	__u8 v = IBPF_TRACED_AUTO;
	bpf_map_update_elem(&traced, &tgid, &v, BPF_NOEXIST);
	return true;
}

static __always_inline __u64 stack_arg(struct pt_regs *ctx, int n)
{
	/* at function entry sp points at the return address; arg 7 is at sp+8 */
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8 * (n - 6)));
	return v;
}

static __always_inline void nccl_comm_args(struct entry *en, __u64 comm)
{
	struct ibpf_nccl_comm *c = bpf_map_lookup_elem(&nccl_comms, &comm);

	if (!c) {
		/* comm created before we attached: key by pointer, rank unknown */
		struct ibpf_nccl_comm n = { .hash = comm, .rank = (__u32)-1 };

		bpf_map_update_elem(&nccl_comms, &comm, &n, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&nccl_comms, &comm);
		if (!c)
			return;
	}
	en->arg[0] = c->hash;
	en->arg[2] = __sync_fetch_and_add(&c->seq, 1) + 1;
	en->arg[3] = c->rank | (__u64)c->nranks << 32;
}

static __always_inline __u64 hash_unique_id(struct pt_regs *ctx)
{
	/* ncclUniqueId (128 bytes) is passed by value on the stack: FNV-1a */
	__u64 w[16] = {};
	__u64 h = 0xcbf29ce484222325ULL;

	bpf_probe_read_user(w, sizeof(w), (void *)(PT_REGS_SP(ctx) + 8));
	for (int i = 0; i < 16; i++) {
		h ^= w[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static __always_inline void read_args(struct pt_regs *ctx, __u8 src, __u8 op, struct entry *en)
{
	if (src == INGERO_SRC_CUDA) {
		switch (op) {
		case INGERO_CUDA_MALLOC: /* cudaMalloc(void **p, size_t) */
		case INGERO_CUDA_MALLOC_MANAGED: /* cudaMallocManaged(void **p, size_t, unsigned) */
			en->arg[0] = PT_REGS_PARM2(ctx);
			en->outp = PT_REGS_PARM1(ctx);
			break;
		case INGERO_CUDA_FREE: /* cudaFree(void *) */
		case INGERO_CUDA_STREAM_SYNC: /* cudaStreamSynchronize(stream) */
			en->arg[0] = PT_REGS_PARM1(ctx);
			break;
		case INGERO_CUDA_LAUNCH_KERNEL: /* cudaLaunchKernel(func, dim3 grid, dim3 block, args, shmem, stream) */
			/* each dim3 takes two registers: grid = rsi,rdx; block = rcx,r8 */
			en->arg[0] = PT_REGS_PARM1(ctx);
			en->arg[1] = stack_arg(ctx, 8);
			en->arg[2] = PT_REGS_PARM2(ctx);        /* grid.x | grid.y << 32 */
			en->arg[3] = PT_REGS_PARM3(ctx) & 0xffffffff; /* grid.z */
			en->arg[4] = PT_REGS_PARM4(ctx);        /* block.x | block.y << 32 */
			en->arg[5] = PT_REGS_PARM5(ctx) & 0xffffffff; /* block.z */
			break;
		case INGERO_CUDA_MEMCPY: /* cudaMemcpy(dst, src, count, kind) */
		case INGERO_CUDA_MEMCPY_ASYNC: /* cudaMemcpyAsync(dst, src, count, kind, stream) */
			en->arg[0] = PT_REGS_PARM3(ctx);
			en->arg[1] = PT_REGS_PARM4(ctx);
			if (op == INGERO_CUDA_MEMCPY_ASYNC)
				en->arg[2] = PT_REGS_PARM5(ctx);
			break;
		case INGERO_CUDA_MEMCPY_2D:  /* cudaMemcpy2D(dst, dpitch, src, spitch, width, height, kind) */
		case INGERO_CUDA_MEMCPY_2D_ASYNC: /* cudaMemcpy2DAsync(..., kind, stream) */
			en->arg[0] = PT_REGS_PARM5(ctx) * ctx->r9;
			en->arg[1] = stack_arg(ctx, 7);
			if (op == INGERO_CUDA_MEMCPY_2D_ASYNC)
				en->arg[2] = stack_arg(ctx, 8);
			break;
		case INGERO_CUDA_MEMCPY_PEER: /* cudaMemcpyPeer(dst, dstDev, src, srcDev, count) */
		case INGERO_CUDA_MEMCPY_PEER_ASYNC: /* cudaMemcpyPeerAsync(..., count, stream) */
			en->arg[0] = PT_REGS_PARM5(ctx);
			en->arg[1] = 3; /* D2D */
			if (op == INGERO_CUDA_MEMCPY_PEER_ASYNC)
				en->arg[2] = ctx->r9;
			break;
		}
	} else if (src == INGERO_SRC_DRIVER) {
		switch (op) {
		case INGERO_DRV_LAUNCH_KERNEL: /* cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, stream, ...) */
			en->arg[0] = PT_REGS_PARM1(ctx);
			en->arg[1] = stack_arg(ctx, 9);
			en->arg[2] = (PT_REGS_PARM2(ctx) & 0xffffffff) | PT_REGS_PARM3(ctx) << 32;
			en->arg[3] = PT_REGS_PARM4(ctx) & 0xffffffff;
			en->arg[4] = (PT_REGS_PARM5(ctx) & 0xffffffff) | ctx->r9 << 32;
			en->arg[5] = stack_arg(ctx, 7) & 0xffffffff;
			break;
		case INGERO_DRV_MEMCPY: /* cuMemcpy(dst, src, bytes) */
		case INGERO_DRV_MEMCPY_ASYNC: /* cuMemcpyAsync(dst, src, bytes, stream) */
			en->arg[0] = PT_REGS_PARM3(ctx);
			en->arg[1] = 4; /* unified addressing: direction inferred */
			if (op == INGERO_DRV_MEMCPY_ASYNC)
				en->arg[2] = PT_REGS_PARM4(ctx);
			break;
		case INGERO_DRV_MEM_ALLOC: /* cuMemAlloc_v2(CUdeviceptr *, size_t) */
		case INGERO_DRV_MEM_ALLOC_MANAGED: /* cuMemAllocManaged(CUdeviceptr *, size_t, unsigned) */
			en->arg[0] = PT_REGS_PARM2(ctx);
			en->outp = PT_REGS_PARM1(ctx);
			break;
		}
	} else if (src == INGERO_SRC_GRAPH) {
		switch (op) {
		case INGERO_GRAPH_BEGIN_CAPTURE: /* cudaStreamBeginCapture(stream, mode) */
			en->arg[0] = PT_REGS_PARM1(ctx);
			en->arg[3] = PT_REGS_PARM2(ctx) & 0xffffffff;
			break;
		case INGERO_GRAPH_END_CAPTURE: /* cudaStreamEndCapture(stream, cudaGraph_t *) */
			en->arg[0] = PT_REGS_PARM1(ctx);
			en->outp = PT_REGS_PARM2(ctx);
			break;
		case INGERO_GRAPH_INSTANTIATE: /* cudaGraphInstantiate(cudaGraphExec_t *, graph, ...) */
			en->arg[1] = PT_REGS_PARM2(ctx);
			en->outp = PT_REGS_PARM1(ctx);
			break;
		case INGERO_GRAPH_LAUNCH: /* cudaGraphLaunch(exec, stream) */
			en->arg[2] = PT_REGS_PARM1(ctx);
			en->arg[0] = PT_REGS_PARM2(ctx);
			break;
		}
	} else if (src == INGERO_SRC_NCCL) {
		__u64 comm = 0;

		switch (op) {
		case INGERO_NCCL_COMM_INIT_RANK: /* ncclCommInitRank(ncclComm_t *, nranks, ncclUniqueId, rank) */
			en->arg[0] = hash_unique_id(ctx);
			/* the 128-byte id goes on the stack, so rank is the 3rd register */
			en->arg[3] = (PT_REGS_PARM3(ctx) & 0xffffffff) | PT_REGS_PARM2(ctx) << 32;
			en->outp = PT_REGS_PARM1(ctx);
			return;
		case INGERO_NCCL_COMM_DESTROY: { /* ncclCommDestroy(comm) */
			struct ibpf_nccl_comm *c;

			comm = PT_REGS_PARM1(ctx);
			en->outp = comm;
			c = bpf_map_lookup_elem(&nccl_comms, &comm);
			if (c) {
				en->arg[0] = c->hash;
				en->arg[2] = c->seq;
				en->arg[3] = c->rank | (__u64)c->nranks << 32;
			} else {
				en->arg[0] = comm;
			}
			return;
		}
		case INGERO_NCCL_ALL_REDUCE: /* ncclAllReduce(sb, rb, count, dtype, op, comm, stream) */
		case INGERO_NCCL_REDUCE_SCATTER: /* ncclReduceScatter(sb, rb, recvcount, dtype, op, comm, stream) */
			en->arg[1] = PT_REGS_PARM3(ctx);
			en->arg[4] = (PT_REGS_PARM4(ctx) & 0xff) | (PT_REGS_PARM5(ctx) & 0xff) << 8;
			comm = ctx->r9;
			en->arg[5] = stack_arg(ctx, 7);
			break;
		case INGERO_NCCL_ALL_GATHER: /* ncclAllGather(sb, rb, sendcount, dtype, comm, stream) */
			en->arg[1] = PT_REGS_PARM3(ctx);
			en->arg[4] = PT_REGS_PARM4(ctx) & 0xff;
			comm = PT_REGS_PARM5(ctx);
			en->arg[5] = ctx->r9;
			break;
		case INGERO_NCCL_BCAST: /* ncclBroadcast(sb, rb, count, dtype, root, comm, stream) */
			en->arg[1] = PT_REGS_PARM3(ctx);
			en->arg[4] = (PT_REGS_PARM4(ctx) & 0xff) | ((PT_REGS_PARM5(ctx) + 1) & 0xffff) << 16;
			comm = ctx->r9;
			en->arg[5] = stack_arg(ctx, 7);
			break;
		case INGERO_NCCL_BCAST | IBPF_NCCL_BCAST_LEGACY: /* ncclBcast(buff, count, dtype, root, comm, stream) */
		case INGERO_NCCL_SEND: /* ncclSend(buf, count, dtype, peer, comm, stream) */
		case INGERO_NCCL_RECV: /* ncclRecv(buf, count, dtype, peer, comm, stream) */
			en->arg[1] = PT_REGS_PARM2(ctx);
			en->arg[4] = (PT_REGS_PARM3(ctx) & 0xff) | ((PT_REGS_PARM4(ctx) + 1) & 0xffff) << 16;
			comm = PT_REGS_PARM5(ctx);
			en->arg[5] = ctx->r9;
			break;
		}
		if (comm)
			nccl_comm_args(en, comm);
	}
}

SEC("uprobe")
int BPF_KPROBE(uprobe_entry)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u8 src = IBPF_COOKIE_SRC(cookie), op = IBPF_COOKIE_OP(cookie);
	struct inflight_slots *sl;
	struct entry *en;
	__u16 flags = 0;

	count(&hits, src);
	if (src >= IBPF_SRC_MAX)
		return 0;
	sl = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (sl && sl->admitted) {
		if (target_uid != (__u32)-1 && (__u32)bpf_get_current_uid_gid() != target_uid)
			return 0;
	} else {
		if (!want_uprobe(tgid))
			return 0;
		sl = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
					  BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!sl)
			return 0;
		sl->admitted = 1;
	}

	if (sampling_on) {
		struct ibpf_sample_key sk = { .tgid = tgid, .source = src, .op = op & 0x7f };
		struct sample_val *sv = bpf_map_lookup_elem(&sampling, &sk);

		if (sv && sv->rate > 1) {
			__u64 n = __sync_fetch_and_add(&sv->n, 1);

			if (n % sv->rate)
				return 0;
			flags = IBPF_F_SAMPLED;
		}
	}
	en = &sl->e[src & (INFLIGHT_SLOTS - 1)];
	__builtin_memset(en, 0, sizeof(*en));
	en->flags = flags;
	en->ip = PT_REGS_IP(ctx);
	read_args(ctx, src, op, en);
	en->ts = bpf_ktime_get_boot_ns();
	return 0;
}

/*
 * At return (the uretprobe's ip is the call site): should this call carry
 * a user stack?  Slow calls always, the first calls of a thread at a call
 * site, and 1 in stack_sample_n of the rest; the stack walk is most of a
 * probed call's cost, so the common fast call goes without.
 */
static __always_inline bool want_stack(struct pt_regs *ctx, __u8 src, __u8 op, __u32 tid,
				       __u64 dur)
{
	__u32 k = (__u32)src * INGERO_OP_MAX + (op & (INGERO_OP_MAX - 1));
	struct durstat *d;
	bool take = false;

	if (stack_mode == IBPF_STACK_OFF || src == INGERO_SRC_NCCL)
		return false;
	if (stack_mode == IBPF_STACK_ALL)
		return true;
	d = bpf_map_lookup_elem(&durstat, &k);
	if (d) {
		__u64 m = d->mean_ns;

		if (d->calls >= 8 && dur >= stack_slow_min_ns && dur > m * stack_slow_factor)
			take = true;
		/* exponential moving average, 1/16 */
		if (!d->calls)
			d->mean_ns = dur;
		else if (dur > m)
			d->mean_ns = m + ((dur - m) >> 4);
		else
			d->mean_ns = m - ((m - dur) >> 4);
		d->calls++;
		if (stack_sample_n && d->calls % stack_sample_n == 0)
			take = true;
	}
	if (take || !stack_first_n)
		return take;

	__u32 zero = 0;
	struct site_tab *t = bpf_map_lookup_elem(&sites, &zero);
	__u64 tag = PT_REGS_IP(ctx) ^ (__u64)tid << 40 ^ (__u64)k << 56;
	__u32 h = (__u32)((tag * 0x9e3779b97f4a7c15ULL) >> 54) & (SITE_SLOTS - 1);

	if (!t)
		return false;
	if (t->tag[h] != tag) {
		t->tag[h] = tag;
		t->n[h] = 1;
		return true;
	}
	if (t->n[h] < stack_first_n) {
		t->n[h]++;
		return true;
	}
	return false;
}

SEC("uretprobe")
int BPF_KRETPROBE(uprobe_return)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 id = bpf_get_current_pid_tgid();
	__u8 src = IBPF_COOKIE_SRC(cookie), op = IBPF_COOKIE_OP(cookie);
	struct inflight_slots *sl;
	struct entry *en;
	struct ibpf_event *e;
	__u64 now, out = 0;
	__s32 ret;
	bool stk;

	if (src >= IBPF_SRC_MAX)
		return 0;
	sl = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!sl)
		return 0;
	en = &sl->e[src & (INFLIGHT_SLOTS - 1)];
	if (!en->ts)
		return 0;
	now = bpf_ktime_get_boot_ns();
	ret = (__s32)PT_REGS_RC(ctx);
	stk = want_stack(ctx, src, op, (__u32)id, now - en->ts);
	if (stk)        /* before the event's reserve: the frames precede it */
		py_capture(id >> 32, (__u32)id, en->ts, src);
	/* every field written below (no memset: the hot path) */
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		count(&lost, src);
		goto done;
	}
	e->ts = en->ts;
	e->dur = now - en->ts;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->source = src;
	e->op = op & 0x7f;
	e->flags = en->flags;
	e->ret = ret;
	e->cpu = bpf_get_smp_processor_id();
	e->stack_id = stk ? bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK) : -1;
	e->ip = stk ? en->ip : 0;
	for (int i = 0; i < IBPF_NARGS; i++)
		e->arg[i] = en->arg[i];
	if (en->outp && ret == 0 && !(src == INGERO_SRC_NCCL && op == INGERO_NCCL_COMM_DESTROY))
		bpf_probe_read_user(&out, sizeof(out), (void *)en->outp);
	if ((src == INGERO_SRC_CUDA && (op == INGERO_CUDA_MALLOC || op == INGERO_CUDA_MALLOC_MANAGED)) ||
	    (src == INGERO_SRC_DRIVER && (op == INGERO_DRV_MEM_ALLOC || op == INGERO_DRV_MEM_ALLOC_MANAGED)))
		e->arg[1] = out;        /* returned device pointer */
	else if (src == INGERO_SRC_GRAPH && op == INGERO_GRAPH_END_CAPTURE)
		e->arg[1] = out;        /* cudaGraph_t */
	else if (src == INGERO_SRC_GRAPH && op == INGERO_GRAPH_INSTANTIATE)
		e->arg[2] = out;        /* cudaGraphExec_t */
	else if (src == INGERO_SRC_NCCL && op == INGERO_NCCL_COMM_INIT_RANK && out) {
		struct ibpf_nccl_comm c = {
			.hash = en->arg[0],
			.rank = (__u32)en->arg[3],
			.nranks = en->arg[3] >> 32,
		};
		bpf_map_update_elem(&nccl_comms, &out, &c, BPF_ANY);
	} else if (src == INGERO_SRC_NCCL && op == INGERO_NCCL_COMM_DESTROY) {
		bpf_map_delete_elem(&nccl_comms, &en->outp);
	}
	submit(e);
done:
	en->ts = 0;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_boot_ns();
	__u32 ptid = prev->pid, ntid = next->pid;
	struct offcpu *o;

	if (ptid && is_traced(prev->tgid)) {
		struct offcpu v = {
			.ts = now,
			/* a preempted task may already have set a sleep state */
			.state = preempt ? 0 : prev_state,
			.cpu = bpf_get_smp_processor_id(),
			.npid = next->tgid,
			.ntid = ntid,
		};
		__builtin_memcpy(v.comm, next->comm, sizeof(v.comm));
		/* a failed update would lose the interval silently: count it */
		if (bpf_map_update_elem(&offcpu_start, &ptid, &v, BPF_ANY))
			count(&lost, INGERO_SRC_HOST);
	}
	if (!ntid)
		return 0;
	o = bpf_map_lookup_elem(&offcpu_start, &ntid);
	if (!o)
		return 0;
	count(&hits, INGERO_SRC_HOST);
	struct ibpf_event_comm *c = reserve_comm(INGERO_SRC_HOST);
	if (c) {
		struct ibpf_event *e = &c->e;

		e->ts = o->ts;
		e->dur = now - o->ts;
		e->pid = next->tgid;
		e->tid = ntid;
		e->op = INGERO_HOST_SCHED_SWITCH;
		e->cpu = o->cpu;
		e->arg[5] = bpf_get_smp_processor_id();  /* cpu it resumed on */
		e->arg[0] = o->state;
		e->arg[1] = o->npid;
		e->arg[2] = o->ntid;
		/* and the task that ran last before this one got the CPU back */
		e->arg[3] = prev->tgid;
		e->arg[4] = ptid;
		__builtin_memcpy(c->comm, o->comm, sizeof(c->comm));
		__builtin_memcpy(c->comm2, prev->comm, sizeof(c->comm2));
		submit(c);
	}
	bpf_map_delete_elem(&offcpu_start, &ntid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_sched_wakeup, struct task_struct *p)
{
	if (!is_traced(p->tgid))
		return 0;
	count(&hits, INGERO_SRC_HOST);
	struct ibpf_event *e = reserve(INGERO_SRC_HOST);
	if (!e)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = p->tgid;
	e->tid = p->pid;
	e->op = INGERO_HOST_SCHED_WAKEUP;
	e->cpu = p->wake_cpu;
	e->arg[0] = id >> 32;
	e->arg[1] = (__u32)id;
	submit(e);
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(on_page_alloc, struct page *page, unsigned int order)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct ibpf_page_agg *a;
	__u64 now;

	if (!is_traced(tgid))
		return 0;
	now = bpf_ktime_get_boot_ns();
	a = bpf_map_lookup_elem(&pages, &tgid);
	if (!a) {
		struct ibpf_page_agg z = { .first_ts = now };

		bpf_map_update_elem(&pages, &tgid, &z, BPF_NOEXIST);
		a = bpf_map_lookup_elem(&pages, &tgid);
		if (!a)
			return 0;
	}
	if (!a->first_ts)
		a->first_ts = now;
	a->bytes += 4096ULL << order;
	a->count++;
	a->last_ts = now;
	a->tid = (__u32)id;
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(on_mark_victim, struct task_struct *task)
{
	/* never filtered: an OOM kill anywhere on the node is evidence */
	struct ibpf_event_comm *c = reserve_comm(INGERO_SRC_HOST);
	struct ibpf_event *e;

	if (!c)
		return 0;
	e = &c->e;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = task->tgid;
	e->tid = task->pid;
	e->op = INGERO_HOST_OOM_KILL;
	e->cpu = bpf_get_smp_processor_id();
	e->arg[0] = task->tgid;
	e->arg[1] = BPF_CORE_READ(task, mm, total_vm);
	__builtin_memcpy(c->comm, task->comm, sizeof(c->comm));
	submit(c);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p)
{
	if (!is_traced(p->tgid))
		return 0;
	struct ibpf_event_comm *c = reserve_comm(INGERO_SRC_HOST);
	if (!c)
		return 0;
	struct ibpf_event *e = &c->e;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = p->tgid;
	e->tid = p->pid;
	e->op = INGERO_HOST_EXEC;
	e->cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(c->comm, p->comm, sizeof(c->comm));
	submit(c);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid, tid = p->pid;

	if (!is_traced(tgid))
		return 0;
	bpf_map_delete_elem(&offcpu_start, &tid);
	if (!group_dead)
		return 0;
	bpf_map_delete_elem(&traced, &tgid);
	struct ibpf_event *e = reserve(INGERO_SRC_HOST);
	if (!e)
		return 0;
	int code = p->exit_code;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = tgid;
	e->tid = tid;
	e->op = INGERO_HOST_EXIT;
	e->cpu = bpf_get_smp_processor_id();
	/* exit status as a shell shows it: code, or -signal */
	e->ret = (code & 0x7f) ? -(code & 0x7f) : (code >> 8) & 0xff;
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ctgid = child->tgid;
	__u8 v = IBPF_TRACED_CHILD;

	/* threads share the tgid and are already covered */
	if (ctgid != child->pid || !is_traced(parent->tgid))
		return 0;
	bpf_map_update_elem(&traced, &ctgid, &v, BPF_NOEXIST);
	struct ibpf_event_comm *c = reserve_comm(INGERO_SRC_HOST);
	if (!c)
		return 0;
	struct ibpf_event *e = &c->e;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = parent->tgid;
	e->tid = parent->pid;
	e->op = INGERO_HOST_FORK;
	e->cpu = bpf_get_smp_processor_id();
	e->arg[0] = ctgid;
	__builtin_memcpy(c->comm, child->comm, sizeof(c->comm));
	submit(c);
	return 0;
}

/* task_rename fires before the new name is copied in: comm is the new one.
 * A renamed traced task gets its PROCESS (leader) or THREAD record written
 * again, so a worker that names itself right after fork is not left under
 * its parent's name (the recorder may read /proc before the rename). */
SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm)
{
	__u32 tgid = task->tgid;

	if (!is_traced(tgid))
		return 0;
	struct ibpf_event_comm *c = reserve_comm(INGERO_SRC_HOST);
	if (!c)
		return 0;
	struct ibpf_event *e = &c->e;
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = tgid;
	e->tid = task->pid;
	e->flags |= IBPF_F_RENAME;
	e->cpu = bpf_get_smp_processor_id();
	bpf_probe_read_kernel_str(c->comm, sizeof(c->comm), comm);
	submit(c);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(on_block_issue, struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key = (__u64)rq;
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & 0xff;
	struct blk_start s = {};

	/* REQ_OP_READ 0, WRITE 1, DISCARD 3; flushes etc. carry no data */
	if (op != 0 && op != 1 && op != 3)
		return 0;
	if ((id >> 32) == self_tgid)
		return 0;
	s.ts = bpf_ktime_get_boot_ns();
	s.pid = id >> 32;
	s.tid = (__u32)id;
	s.bytes = BPF_CORE_READ(rq, __data_len);
	s.sector = BPF_CORE_READ(rq, __sector);
	s.dev = BPF_CORE_READ(rq, part, bd_dev);
	s.op = op;
	bpf_map_update_elem(&blk, &key, &s, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_block_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	struct blk_start *s = bpf_map_lookup_elem(&blk, &key);

	if (!s)
		return 0;
	count(&hits, INGERO_SRC_IO);
	struct ibpf_event *e = reserve(INGERO_SRC_IO);
	if (e) {
		e->ts = s->ts;
		e->dur = bpf_ktime_get_boot_ns() - s->ts;
		e->pid = s->pid;
		e->tid = s->tid;
		e->op = s->op == 0 ? INGERO_IO_READ : s->op == 1 ? INGERO_IO_WRITE : INGERO_IO_DISCARD;
		e->ret = error;
		e->cpu = bpf_get_smp_processor_id();
		e->arg[0] = s->bytes;
		e->arg[1] = s->sector;
		e->arg[2] = s->dev;
		submit(e);
	}
	bpf_map_delete_elem(&blk, &key);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
