/*
 * export-mkrec - deterministic recordings for the ingero-perfetto tests and
 * bench (written with the formats writer, so no dependency on the demo).
 *
 *   export-mkrec OUT.igz                 mixed: every record kind and event kind
 *   export-mkrec OUT.igz --launch N      launch-heavy: N runtime+driver launches
 *                                        on 4 threads (cudaLaunchKernel containing
 *                                        cuLaunchKernel), plus a sync every 64
 *
 * Prints the expected counts on stdout: "events=E threads=T slices=S instants=I
 * counters=C" (what ingero-perfetto --stats must report).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"

static struct ingero_writer *w;
static uint64_t n_events, n_slices, n_instants, n_counters;

static void die(const char *what)
{
	const struct ingero_error *e = w ? ingero_writer_error(w) : NULL;
	fprintf(stderr, "export-mkrec: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

static void rec(struct ingero_record *r)
{
	if (ingero_writer_append(w, r) < 0) die("append");
}

static void ev(uint64_t ts, uint64_t dur, uint32_t pid, uint32_t tid, int src, int op,
	       uint64_t a0, uint64_t a1, uint64_t a2, uint64_t stack)
{
	struct ingero_event e = { .ts = ts, .dur = dur, .pid = pid, .tid = tid, .source = (uint8_t)src,
				  .op = (uint8_t)op, .stack_id = stack, .arg = { a0, a1, a2 } };
	if (src == INGERO_SRC_NCCL) { e.arg[3] = 1ull | 4ull << 32; e.arg[4] = 7; e.arg[5] = 3; }
	if (ingero_writer_event(w, &e) < 0) die("event");
	n_events++;
	int instant = dur == 0 || (src == INGERO_SRC_HOST && op != INGERO_HOST_SCHED_SWITCH);
	if (instant) n_instants++; else n_slices++;
}

int main(int argc, char **argv)
{
	struct ingero_writer_opts o = { 0 };
	struct ingero_error err = { 0 };
	struct ingero_record r;
	uint64_t launch = 0;
	const uint64_t B0 = 5000000000ull;          /* boottime of the start */
	const uint64_t R0 = 1775000000000000000ull; /* its realtime */

	if (argc < 2) { fprintf(stderr, "usage: export-mkrec OUT [--launch N]\n"); return 2; }
	if (argc == 4 && !strcmp(argv[2], "--launch")) launch = strtoull(argv[3], NULL, 10);
	o.path = argv[1];
	o.fsync = INGERO_FSYNC_NONE;
	o.zstd_level = 1;
	o.frame_max_bytes = 64 * 1024; /* many frames: truncation tests cut between them */
	o.hdr.major = INGERO_FORMAT_MAJOR;
	o.hdr.minor = INGERO_FORMAT_MINOR;
	o.hdr.node = "test-node";
	o.hdr.host = "test-host";
	o.hdr.boot_id = "00000000-0000-0000-0000-000000000001";
	o.hdr.kernel = "6.1.0";
	o.hdr.recorder = "export-mkrec";
	o.hdr.cmdline = "export-mkrec";
	o.hdr.clock = "boottime";
	o.hdr.start_ts = B0;
	o.hdr.segment = 1;
	o.hdr.rank = 2;
	o.hdr.anchor.boottime = B0;
	o.hdr.anchor.realtime = R0;
	o.hdr.anchor.monotonic = B0;
	if (ingero_writer_open(&w, &o, &err) < 0) { fprintf(stderr, "export-mkrec: %s\n", err.msg); return 1; }

	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ .pid = 100, .ppid = 1, .comm = "trainer", .cmdline = "python train.py",
					    .rank = 2, .local_rank = 0, .world_size = 4, .start_ts = B0 };
	rec(&r);
	r.u.proc = (struct ingero_process){ .pid = 200, .ppid = 1, .comm = "stress-ng", .cmdline = "stress-ng",
					    .rank = -1, .local_rank = -1, .world_size = -1, .start_ts = B0 };
	rec(&r);
	r.kind = INGERO_REC_THREAD;
	r.u.thr = (struct ingero_thread){ .tid = 100, .pid = 100, .name = "python" };
	rec(&r);
	r.u.thr = (struct ingero_thread){ .tid = 101, .pid = 100, .name = "dataloader" };
	rec(&r);
	r.u.thr = (struct ingero_thread){ .tid = 102, .pid = 100, .name = "pt_worker" };
	rec(&r);
	r.u.thr = (struct ingero_thread){ .tid = 103, .pid = 100, .name = "pt_worker2" };
	rec(&r);
	r.kind = INGERO_REC_MODULE;
	r.u.mod = (struct ingero_module){ .id = 1, .pid = 100, .start = 0x400000, .end = 0x500000,
					  .path = "/usr/bin/python3", .build_id = "" };
	rec(&r);
	r.kind = INGERO_REC_SYMBOL;
	r.u.sym = (struct ingero_symbol){ .id = 1, .module_id = 1, .offset = 0x100, .name = "train_step" };
	rec(&r);
	r.u.sym = (struct ingero_symbol){ .id = 2, .module_id = 1, .offset = 0x200, .name = "at::launch" };
	rec(&r);
	static struct ingero_stack st;
	st.id = 5; st.pid = 100; st.depth = 2;
	st.ips[0] = 0x400210; st.syms[0] = 2; st.offs[0] = 0x10;
	st.ips[1] = 0x400120; st.syms[1] = 1; st.offs[1] = 0x20;
	r.kind = INGERO_REC_STACK;
	r.u.stack = &st;
	rec(&r);

	if (launch) {
		/* 4 threads; each call: runtime launch 4 us containing a 2.5 us driver launch */
		uint64_t t[4] = { B0 + 1000, B0 + 1300, B0 + 1700, B0 + 2100 };
		for (uint64_t i = 0; i < launch / 2; i++) {
			int k = (int)(i & 3);
			uint32_t tid = 100 + (uint32_t)k;
			uint64_t s = t[k];
			uint64_t d = 3800 + (i * 37 % 500);
			ev(s + 600, d - 1200, 100, tid, INGERO_SRC_DRIVER, INGERO_DRV_LAUNCH_KERNEL,
			   0x7f0000001000ull + (i % 16) * 0x40, 7, 0, 0);
			ev(s, d, 100, tid, INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL,
			   0x7f0000001000ull + (i % 16) * 0x40, 7, 0, 0);
			t[k] = s + d + 1500 + (i * 13 % 700);
		}
	} else {
		uint64_t t = B0 + 10000;
		for (int i = 0; i < 200; i++) {
			/* launch (driver nested in runtime), memcpy, sync with an off-CPU interval inside */
			ev(t + 500, 2000, 100, 100, INGERO_SRC_DRIVER, INGERO_DRV_LAUNCH_KERNEL, 0x1000, 7, 0, 0);
			ev(t, 3000, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_LAUNCH_KERNEL, 0x1000, 7, 0, 5);
			t += 4000;
			ev(t, 20000, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY, 1 << 20, INGERO_MEMCPY_H2D, 0, 5);
			t += 21000;
			/* every 20th sync is slow: stress-ng preempts the trainer inside it */
			uint64_t slow = i % 20 == 7 ? 2000000 : 0;
			ev(t + 1000, 30000 + slow, 100, 100, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH,
			   slow ? 0 : (uint64_t)(i % 3 == 0), 200, 200, 0);
			ev(t, 40000 + slow, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_STREAM_SYNC, 7, 0, 0, 0);
			t += 41000 + slow;
			if (i % 10 == 0) {
				ev(t, 0, 100, 101, INGERO_SRC_HOST, INGERO_HOST_PAGE_ALLOC, 4096 * 64, 64, 0, 0);
				ev(t + 10, 500000, 100, 101, INGERO_SRC_IO, INGERO_IO_READ, 65536, 2048, 8u << 20 | 1, 0);
				ev(t + 20, 8000, 100, 102, INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE, 0xabcdef, 1024,
				   (uint64_t)i / 10 + 1, 0);
				ev(t + 30, 7000, 100, 102, INGERO_SRC_GRAPH, INGERO_GRAPH_LAUNCH, 7, 0x5000, 0x6000, 0);
				ev(t + 40, 9000, 100, 100, INGERO_SRC_CUDA, INGERO_CUDA_MALLOC, 1 << 24, 0x7f00deadb000ull, 0, 0);
				ev(t + 50, 0, 100, 101, INGERO_SRC_CUDA, INGERO_CUDA_FREE, 0x7f00deadb000ull, 0, 0, 0);
				r.kind = INGERO_REC_SYS;
				r.u.sys = (struct ingero_sys){ .ts = t, .cpu_pct = 50 + i % 40, .mem_pct = 40, .mem_avail_mb = 9000,
							       .swap_used_mb = 0, .load1 = 3.5, .iowait_pct = 1 };
				rec(&r);
				n_counters += 6;
				r.kind = INGERO_REC_GPU;
				r.u.gpu = (struct ingero_gpu){ .ts = t, .index = 0, .util_pct = 90, .mem_used_mb = 10000,
							       .mem_total_mb = 16000, .sm_clock_mhz = 1500 };
				rec(&r);
				n_counters += 4;
			}
		}
		ev(t, 0, 300, 300, INGERO_SRC_HOST, INGERO_HOST_EXEC, 0, 0, 0, 0);
		ev(t + 10, 0, 100, 100, INGERO_SRC_HOST, INGERO_HOST_FORK, 300, 0, 0, 0);
		ev(t + 20, 0, 300, 300, INGERO_SRC_HOST, INGERO_HOST_OOM_KILL, 300, 12345, 0, 0);
		ev(t + 30, 0, 300, 300, INGERO_SRC_HOST, INGERO_HOST_EXIT, 0, 0, 0, 0);
		r.kind = INGERO_REC_LOST;
		r.u.lost = (struct ingero_lost){ .ts = t + 40, .source = INGERO_SRC_CUDA, .count = 17, .reason = 0 };
		rec(&r);
		n_counters += 1;
		n_instants += 1;
	}
	r.kind = INGERO_REC_ANCHOR;
	r.u.anchor = (struct ingero_anchor){ B0 + 10000000000ull, R0 + 10000000000ull, B0 + 10000000000ull, 0 };
	rec(&r);
	if (ingero_writer_close(w) < 0) die("close");
	printf("events=%" PRIu64 " threads=%d slices=%" PRIu64 " instants=%" PRIu64 " counters=%" PRIu64 "\n",
	       n_events, launch ? 4 : 5, n_slices, n_instants, n_counters);
	return 0;
}
