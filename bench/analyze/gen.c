/* analyze-gen: write a deterministic synthetic recording of N events for the
 * ingero-analyze benchmark and import tests.
 *
 *   analyze-gen N OUT [--node NAME] [--file] [--offset NS] [--csv FILE] [--frame-bytes N]
 *   analyze-gen --count RECORDING
 *       prints "EVENTS FIRST_EVENT_TS ANCHOR_BOOTTIME ANCHOR_REALTIME" (first in file order)
 *
 * OUT is a recording directory (segments) or, with --file, one segment file.
 * Clock: boottime starting at 1000 s; anchors every second of recorded time
 * with realtime = boottime + OFFSET (default 1.7e18 ns) + 1 us per anchor of
 * drift, so conversion is checkable.  --csv also writes the rows ingero-analyze
 * would store in events (unix ns start), for the sqlite3 .import comparison. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingero.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	return rng;
}

#define NPROC 4
static const struct { uint32_t pid; const char *comm; int rank; } procs[NPROC] = {
	{1000, "python3", 0}, {1001, "python3", 1}, {2000, "logrotate", -1}, {1500, "pt_data_worker", -1},
};

int main(int argc, char **argv)
{
	const char *out = NULL, *node = "gen-node", *csv_path = NULL;
	uint64_t n = 0, offset = 1700000000000000000ULL;
	int file = 0;
	uint32_t frame_bytes = 0;
	if (argc == 3 && !strcmp(argv[1], "--count")) {
		/* count EVENT records through the reader (reference for tests) */
		struct ingero_reader *rd;
		struct ingero_error e = { 0 };
		struct ingero_record rec;
		unsigned long long cnt = 0;
		char b[1024];
		if (ingero_reader_open(&rd, argv[2], &e) < 0) {
			fprintf(stderr, "analyze-gen: %s\n", ingero_strerror(&e, b, sizeof b));
			return 1;
		}
		/* also: first event's boottime and the first anchor (boottime realtime) */
		unsigned long long ev0 = 0, ab = 0, ar = 0;
		while (ingero_reader_next(rd, &rec) > 0) {
			if (rec.kind == INGERO_REC_EVENT && !cnt++)
				ev0 = rec.u.ev.ts;
			if (rec.kind == INGERO_REC_ANCHOR && !ab) {
				ab = rec.u.anchor.boottime;
				ar = rec.u.anchor.realtime;
			}
		}
		ingero_reader_close(rd);
		printf("%llu %llu %llu %llu\n", cnt, ev0, ab, ar);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--node") && i + 1 < argc) node = argv[++i];
		else if (!strcmp(argv[i], "--file")) file = 1;
		else if (!strcmp(argv[i], "--frame-bytes") && i + 1 < argc) frame_bytes = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--offset") && i + 1 < argc) offset = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc) csv_path = argv[++i];
		else if (!n) n = strtoull(argv[i], NULL, 10);
		else out = argv[i];
	}
	if (!n || !out) {
		fprintf(stderr, "usage: analyze-gen N OUT [--node NAME] [--file] [--offset NS] [--csv FILE]\n");
		return 2;
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL;
	if (csv_path && !csv) {
		perror(csv_path);
		return 1;
	}

	uint64_t t = 1000000000000ULL;   /* boottime 1000 s */
	struct ingero_writer_opts o = {
		.dir = file ? NULL : out, .path = file ? out : NULL, .fsync = INGERO_FSYNC_NONE,
		.zstd_level = 1, .frame_max_bytes = frame_bytes,
		.hdr = { .node = node, .host = node, .boot_id = "00000000-gen", .kernel = "6.1.0-gen",
			 .recorder = "analyze-gen", .cmdline = "analyze-gen", .clock = "boottime",
			 .start_ts = t, .rank = -1, .anchor.boottime = t, .anchor.realtime = t + offset,
			 .anchor.monotonic = t - 5000000000ULL },
	};
	struct ingero_writer *w;
	struct ingero_error err = { 0 };
	char buf[1024];
	if (ingero_writer_open(&w, &o, &err) < 0) {
		fprintf(stderr, "analyze-gen: %s\n", ingero_strerror(&err, buf, sizeof buf));
		return 1;
	}
	struct ingero_record r;
	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_ANCHOR;
	r.u.anchor = (struct ingero_anchor){ t, t + offset, t - 5000000000ULL, 1000 };
	ingero_writer_append(w, &r);
	for (int i = 0; i < NPROC; i++) {
		memset(&r, 0, sizeof r);
		r.kind = INGERO_REC_PROCESS;
		r.u.proc = (struct ingero_process){ .pid = procs[i].pid, .ppid = 1, .uid = 0,
			.comm = procs[i].comm, .cmdline = procs[i].comm, .rank = procs[i].rank,
			.local_rank = procs[i].rank, .world_size = procs[i].rank >= 0 ? 2 : -1,
			.start_ts = t };
		ingero_writer_append(w, &r);
	}
	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_MODULE;
	r.u.mod = (struct ingero_module){ .id = 1, .pid = 1000, .start = 0x7f0000000000ULL,
		.end = 0x7f0000100000ULL, .path = "/usr/lib/libcudart.so.12", .build_id = "" };
	ingero_writer_append(w, &r);
	memset(&r, 0, sizeof r);
	r.kind = INGERO_REC_SYMBOL;
	r.u.sym = (struct ingero_symbol){ .id = 1, .module_id = 1, .offset = 0x1000, .name = "cudaLaunchKernel" };
	ingero_writer_append(w, &r);
	static struct ingero_stack st;
	for (int s = 1; s <= 8; s++) {
		memset(&st, 0, sizeof st);
		st.id = (uint64_t)s;
		st.pid = 1000;
		st.depth = 3;
		st.ips[0] = 0x7f0000001010ULL;
		st.syms[0] = 1;
		st.offs[0] = 0x10;
		st.ips[1] = 0x400000ULL + (uint64_t)s * 64;
		st.ips[2] = 0x400800ULL;
		memset(&r, 0, sizeof r);
		r.kind = INGERO_REC_STACK;
		r.u.stack = &st;
		ingero_writer_append(w, &r);
	}

	uint64_t next_anchor = t + 1000000000ULL, k = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t x = next();
		t += 2000 + x % 20000;   /* ~12 us apart on average */
		if (t >= next_anchor) {
			k++;
			memset(&r, 0, sizeof r);
			r.kind = INGERO_REC_ANCHOR;
			r.u.anchor = (struct ingero_anchor){ next_anchor, next_anchor + offset + k * 1000,
							    next_anchor - 5000000000ULL, 1000 };
			ingero_writer_append(w, &r);
			memset(&r, 0, sizeof r);
			r.kind = INGERO_REC_SYS;
			r.u.sys = (struct ingero_sys){ .ts = next_anchor, .cpu_pct = 50, .mem_pct = 40,
				.mem_avail_mb = 8000, .load1 = 1.5 };
			ingero_writer_append(w, &r);
			next_anchor += 1000000000ULL;
		}
		struct ingero_event e;
		memset(&e, 0, sizeof e);
		unsigned pick = (unsigned)(x >> 32) % 100;
		int pi = (x >> 20) % 2;
		e.ts = t;
		e.pid = e.tid = procs[pi].pid;
		e.cpu = (uint32_t)(x >> 40) % 8;
		if (pick < 50) {
			e.source = INGERO_SRC_CUDA; e.op = INGERO_CUDA_LAUNCH_KERNEL;
			e.dur = 4000 + (x >> 8) % 8000;
			e.arg[0] = 0x5000 + (x >> 12) % 16; e.arg[1] = 7;
			e.stack_id = 1 + (x >> 50) % 8;
		} else if (pick < 65) {
			e.source = INGERO_SRC_CUDA; e.op = INGERO_CUDA_MEMCPY_ASYNC;
			e.dur = 10000 + (x >> 8) % 50000; e.arg[0] = 1 << 20; e.arg[1] = INGERO_MEMCPY_H2D;
		} else if (pick < 75) {
			e.source = INGERO_SRC_CUDA; e.op = INGERO_CUDA_STREAM_SYNC;
			e.dur = 20000 + (x >> 8) % 200000;
		} else if (pick < 85) {
			e.source = INGERO_SRC_DRIVER; e.op = INGERO_DRV_LAUNCH_KERNEL;
			e.dur = 2000 + (x >> 8) % 4000;
		} else if (pick < 93) {
			e.source = INGERO_SRC_HOST; e.op = INGERO_HOST_SCHED_SWITCH;
			e.dur = 5000 + (x >> 8) % 100000;
			e.arg[0] = (x >> 30) & 1; e.arg[1] = 2000; e.arg[2] = 2000;
		} else if (pick < 95) {
			e.source = INGERO_SRC_HOST; e.op = INGERO_HOST_PAGE_ALLOC;
			e.dur = 1000000; e.arg[0] = 4096 * (1 + (x >> 8) % 64); e.arg[1] = 1;
		} else if (pick < 97) {
			e.source = INGERO_SRC_IO; e.op = INGERO_IO_READ; e.pid = e.tid = 1500;
			e.dur = 100000 + (x >> 8) % 900000; e.arg[0] = 4096; e.arg[1] = x >> 44;
			e.arg[2] = (259u << 20);
		} else if (pick < 99) {
			e.source = INGERO_SRC_NCCL; e.op = INGERO_NCCL_ALL_REDUCE;
			e.dur = 50000 + (x >> 8) % 100000; e.arg[0] = 0xabcdef; e.arg[1] = 1 << 20;
			e.arg[2] = i; e.arg[3] = (uint64_t)pi | (2ULL << 32); e.arg[4] = 7 | (0 << 8);
			e.arg[5] = 7;
		} else {
			e.source = INGERO_SRC_GRAPH; e.op = INGERO_GRAPH_LAUNCH;
			e.dur = 3000; e.arg[0] = 7; e.arg[1] = 0x9000; e.arg[2] = 0x9100;
		}
		if (ingero_writer_event(w, &e) < 0)
			break;
		if (csv) {
			/* rows as stored: unix ns (interpolated like ingero_clock: +1 us per second) */
			uint64_t sec = (t - 1000000000000ULL) / 1000000000ULL;
			uint64_t into = (t - 1000000000000ULL) % 1000000000ULL;
			uint64_t wall = t + offset + sec * 1000 + into / 1000000;
			fprintf(csv, "%llu,gen-node,%llu,%u,%u,%u,%u,%llu,%llu,%llu,0,0,%llu,%llu,%u,%u\n",
				(unsigned long long)(i + 1), (unsigned long long)wall, e.pid, e.tid, e.source,
				e.op, (unsigned long long)e.dur, (unsigned long long)e.arg[0],
				(unsigned long long)e.arg[1], (unsigned long long)e.arg[2],
				(unsigned long long)e.arg[3], e.cpu, e.flags);
		}
	}
	int rc = ingero_writer_close(w);
	if (csv)
		fclose(csv);
	if (rc < 0) {
		fprintf(stderr, "analyze-gen: write failed\n");
		return 1;
	}
	return 0;
}
