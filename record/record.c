/*
 * record.c - ingero-record: the eBPF recorder's lifecycle.
 *
 * parse -> preflight (BTF, permissions, output) -> open skeleton -> rodata
 * -> load -> attach tracepoints -> open writer -> find CUDA libraries and
 * attach uprobes -> drain the ring buffer on a short timer -> flush every
 * second -> footer.  The BPF structs (bpf/ingero_bpf.h) are translated into
 * format records (formats/ingero.h) by record_events.c; raw BPF structs
 * never reach disk.  record_int.h maps the other files.
 */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "record_int.h"
#include "rec_nvml.h"
#include "../bpf/ingero_bpf.h"
#include "bpf/ingero.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

void rec_note(struct rec *r, int level, const char *fmt, ...)
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

/*
 * ring_buffer__poll, or the failure INGERO_TEST_FAIL_POLL=N injects at the
 * N-th call (tests/record/t-core-cli.sh: a failed poll must not exit 0).
 */
static int poll_rb(struct rec *r)
{
	static long calls, fail_at = -1;

	if (fail_at < 0) {
		const char *t = getenv("INGERO_TEST_FAIL_POLL");

		fail_at = t && atol(t) > 0 ? atol(t) : 0;
	}
	if (fail_at && ++calls >= fail_at)
		return -EBADF;
	return ring_buffer__poll(r->rb, r->o.poll_ms);
}

/* Drain the ring buffer until a signal, the duration or an error.
 * 0, or -1 after printing why. */
static int consume_loop(struct rec *r)
{
	uint64_t start, last_tick, last_scan, last_budget;

	start = last_tick = last_scan = last_budget = rec_monotonic_ns();
	while (!exiting) {
		uint64_t now;
		int err = poll_rb(r);

		/* records are submitted without wakeups: always drain */
		if (err >= 0 || err == -EINTR)
			err = ring_buffer__consume(r->rb);
		if (err < 0 && err != -EINTR) {
			/* on stderr and as an error NOTE in the recording */
			rec_note(r, 2, "reading the BPF ring buffer failed: %s: the recording in "
				 "'%s' ends here", strerror(-err), r->outdir);
			return -1;
		}
		now = rec_monotonic_ns();
		if (now - last_tick >= NSEC) {
			rec_tick(r, rec_boottime_ns(), (now - last_tick) / 1e9);
			last_tick = now;
		}
		/* the budget reacts within a quarter second */
		if (now - last_budget >= NSEC / 4) {
			rec_overhead_check(r, rec_boottime_ns(), (now - last_budget) / 1e9);
			last_budget = now;
		}
		if (now - last_scan >= (uint64_t)r->o.scan_s * NSEC) {
			rec_scan(r);
			last_scan = now;
		}
		if (r->o.duration_ns && now - start >= r->o.duration_ns)
			break;
	}
	return 0;
}

/* bytes of the segments in dir (after the writer closed them) */
static uint64_t segments_bytes(const char *dir)
{
	DIR *d = dir[0] ? opendir(dir) : NULL;
	struct dirent *de;
	uint64_t n = 0;

	while (d && (de = readdir(d))) {
		struct stat st;

		if (!strncmp(de->d_name, "seg-", 4) && !fstatat(dirfd(d), de->d_name, &st, 0) &&
		    S_ISREG(st.st_mode))
			n += st.st_size;
	}
	if (d)
		closedir(d);
	return n;
}

/* --json: one document on stdout describing the run (bytes: the segments
 * in the output directory) */
static void json_summary(const struct rec *r, int rc, uint64_t bytes)
{
	FILE *f = stdout;
	int first = 1;

	fputs("{\"output\":", f);
	ig_json_str(f, r->outdir);
	fputs(",\"node\":", f);
	ig_json_str(f, r->o.node);
	fprintf(f, ",\"exit_status\":%d,\"events\":%llu,\"dropped\":%llu,\"not_written\":%llu,"
		"\"bytes\":%llu,\"events_by_source\":{", rc, (unsigned long long)r->events,
		(unsigned long long)r->lost_total, (unsigned long long)r->unwritten,
		(unsigned long long)bytes);
	for (int s = 0; s < INGERO_SRC_MAX; s++) {
		if (!r->events_src[s] || !ingero_source_name(s))
			continue;
		fprintf(f, "%s", first ? "" : ",");
		ig_json_str(f, ingero_source_name(s));
		fprintf(f, ":%llu", (unsigned long long)r->events_src[s]);
		first = 0;
	}
	fputs("},\"libraries\":[", f);
	for (int i = 0; i < r->nlibs; i++) {
		if (i)
			fputc(',', f);
		ig_json_str(f, r->libs[i].path);
	}
	fputs("]}\n", f);
}

/* Set up everything and attach.  0, or 1 after printing why. */
static int start(struct rec *r, int argc, char **argv)
{
	int nproc;

	if (rec_preflight() || rec_setup_output(r) || rec_setup_bpf(r) ||
	    rec_open_writer(r, argc, argv))
		return 1;
	r->sym.w = r->w;
	r->discard = getenv("INGERO_BENCH_DISCARD") && *getenv("INGERO_BENCH_DISCARD") == '1';
	r->nvml = rec_nvml_open();

	rec_calibrate(r);
	rec_note(r, 0, "probe cost measured: %u ns per call (emulated first instruction), %u ns "
		 "(single-stepped), entry + return", r->cost_emulated, r->cost_stepped);
	for (int i = 0; i < r->o.npids; i++)
		rec_add_target(r, r->o.pids[i], IBPF_TRACED_PID);
	for (int i = 0; i < r->o.ncuda_libs; i++)
		if (rec_attach_cuda_lib(r, r->o.cuda_libs[i]))
			return 1;
	nproc = rec_scan(r);
	if (!r->nlibs) {
		if (!r->o.wait) {
			fprintf(stderr, PROG ": no CUDA library found (no process maps libcudart or "
				"libcuda): start the workload first, give --cuda-lib PATH, or drop "
				"--wait=false to keep scanning\n");
			return 1;
		}
		rec_note(r, 0, "no CUDA library found yet: scanning every %d s (Ctrl-C to stop)",
			 r->o.scan_s);
	} else {
		rec_note(r, 0, "recording %d CUDA process(es) to %s", nproc, r->outdir);
	}
	if (r->o.npids)
		rec_note(r, 0, "tracing pid(s) given by --pid and their children");
	return 0;
}

/* After the loop: last events, losses, the summary line. */
static void finish(struct rec *r)
{
	ring_buffer__consume(r->rb);
	rec_flush_pages(r);
	rec_check_lost(r, rec_boottime_ns());
	if (r->disk_full)
		rec_disk_retry(r, rec_boottime_ns());
	if (!r->o.quiet && isatty(2))
		fputc('\n', stderr);
	if (!r->o.quiet)
		fprintf(stderr, PROG ": %llu events, %llu dropped, %llu not written, %.1f MB in %s\n",
			(unsigned long long)r->events, (unsigned long long)r->lost_total,
			(unsigned long long)r->unwritten, ingero_writer_bytes(r->w) / 1e6,
			r->outdir);
}

int cmd_record(int argc, char **argv, bool verb)
{
	static struct rec rr;
	struct rec *r = &rr;
	int rc;

	memset(r, 0, sizeof(*r));
	r->gen = 1;
	/* keep freed buffers (zstd workspaces, frame buffers) in the heap:
	 * returning them to the kernel costs a page fault + clear per page
	 * on every frame, ~15% of the consumer's CPU */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
	rc = rec_parse_opts(argc, argv, verb, &r->o);
	if (rc)
		return rc == REC_EXIT_DONE ? ig_exit(0) : rc;
	/* first thing: a background job starts with SIGINT ignored, and a stop
	 * request during the (seconds long) setup must not be lost */
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	rc = start(r, argc, argv);
	if (!rc) {
		rc = consume_loop(r) ? 1 : 0;
		finish(r);
	}
	if (r->w) {
		int cerr;

		cerr = ingero_writer_close(r->w);
		r->w = NULL;
		if (cerr < 0 && rc == 0) {
			fprintf(stderr, PROG ": closing the recording failed (code %d): check '%s'\n",
				cerr, r->outdir);
			rc = 1;
		}
		rec_chown_outputs(r);
	}
	if (r->o.json)
		json_summary(r, rc, segments_bytes(r->outdir));
	ring_buffer__free(r->rb);
	rec_detach_all(r);
	ingero_bpf__destroy(r->skel);
	rec_sym_release(&r->sym);
	rec_nvml_close(r->nvml);
	ig_map_release(&r->pids);
	ig_map_release(&r->tids);
	ig_map_release(&r->targets);
	ig_map_release(&r->parents);
	ig_map_release(&r->opcount);
	ig_map_release(&r->rates);
	return r->o.json || r->o.ndjson ? ig_exit(rc) : rc;
}
