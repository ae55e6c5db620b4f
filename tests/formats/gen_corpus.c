/*
 * gen_corpus.c - writes the committed corpus in testdata/corpus/ once.
 * NEVER re-run it over the committed files: they are the compatibility
 * promise (old files must keep reading the same).  Usage: gen-corpus OUTDIR
 */
#include <zstd.h>

#include "common.h"

static const char *out;

static char *op(const char *name)
{
	static char buf[4][1024];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", out, name);
	return buf[i];
}

static struct ingero_writer *open_w(const char *path, const char *dir, uint32_t frame_max)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = path;
	o.dir = dir;
	o.frame_max_bytes = frame_max;
	if (dir) o.seg_max_bytes = 1200;
	if (ingero_writer_open(&w, &o, &e)) {
		fprintf(stderr, "gen-corpus: %s: %s\n", e.file, e.msg);
		exit(1);
	}
	return w;
}

static void app(struct ingero_writer *w, struct ingero_record *r)
{
	if (ingero_writer_append(w, r)) { fprintf(stderr, "gen-corpus: append failed\n"); exit(1); }
}

static void meta(struct ingero_writer *w)
{
	struct ingero_record r;
	memset(&r, 0, sizeof(r));
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ 4242, 1, 1000, "python3", "python3 train.py --epochs 3",
					    0, 0, 2, 0x1234, 1000000100 };
	app(w, &r);
	r.kind = INGERO_REC_PROCESS;
	r.u.proc = (struct ingero_process){ 999, 1, 0, "stress-ng", "stress-ng --cpu 4", -1, -1, -1, 0x99, 1000000200 };
	app(w, &r);
	r.kind = INGERO_REC_THREAD;
	r.u.thr = (struct ingero_thread){ 4243, 4242, "pt_data_worker" };
	app(w, &r);
}

/* launch-heavy steps: 8 launches, 1 memcpy, 1 sync */
static void steps(struct ingero_writer *w, int n, uint64_t *t, uint64_t *x)
{
	static const uint64_t kern[4] = { 0x7f3a12001000ull, 0x7f3a12001400ull, 0x7f3a12002200ull, 0x7f3a12003100ull };
	for (int i = 0; i < n * 10; i++) {
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
		struct ingero_event e = { .pid = 4242, .tid = 4242, .source = INGERO_SRC_CUDA, .cpu = 3 };
		int k = i % 10;
		*t += 900 + ((*x >> 33) % 200);
		e.ts = *t;
		if (k < 8) { e.op = INGERO_CUDA_LAUNCH_KERNEL; e.arg[0] = kern[k % 4]; e.arg[1] = 0x55d0c0de7000ull; e.dur = 3000 + (*x >> 40) % 3000; }
		else if (k == 8) { e.op = INGERO_CUDA_MEMCPY; e.arg[0] = 4 << 20; e.arg[1] = INGERO_MEMCPY_D2H; e.dur = 80000 + (*x >> 40) % 20000; }
		else { e.op = INGERO_CUDA_STREAM_SYNC; e.arg[0] = 0x55d0c0de7000ull; e.dur = 2000000 + (*x >> 40) % 1000000; }
		*t += e.dur;
		if (ingero_writer_event(w, &e)) exit(1);
	}
}

static void zframe_raw(FILE *f, const unsigned char *raw, size_t n, int known_size)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, known_size);
	size_t cap = ZSTD_compressBound(n) + 64;
	unsigned char *o = malloc(cap);
	size_t k;
	if (known_size) {
		k = ZSTD_compress2(c, o, cap, raw, n);
	} else {   /* streaming, no pledged size: content size unknown */
		ZSTD_inBuffer in = { raw, n, 0 };
		ZSTD_outBuffer ob = { o, cap, 0 };
		while (ZSTD_compressStream2(c, &ob, &in, ZSTD_e_end) != 0) {}
		k = ob.pos;
	}
	fwrite(o, 1, k, f);
	free(o);
	ZSTD_freeCCtx(c);
}

static size_t hdr_raw(unsigned char *p, int minor)
{
	unsigned char *s = p;
	*p++ = 0x95; *p++ = 0;
	*p++ = 0xaa; memcpy(p, "INGERO-REC", 10); p += 10;
	*p++ = 1; *p++ = (unsigned char)minor;
	*p++ = 0x83;
	*p++ = 0xa4; memcpy(p, "node", 4); p += 4; *p++ = 0xa6; memcpy(p, "future", 6); p += 6;
	*p++ = 0xa5; memcpy(p, "clock", 5); p += 5; *p++ = 0xa8; memcpy(p, "boottime", 8); p += 8;
	*p++ = 0xaa; memcpy(p, "new_thing1", 10); p += 10; *p++ = 0x92; *p++ = 1; *p++ = 0xc3;
	*p++ = 0x93; *p++ = INGERO_REC_FRAME; *p++ = 0; *p++ = 0xce; p[0] = 0x3b; p[1] = 0x9a; p[2] = 0xca; p[3] = 0; p += 4;
	return (size_t)(p - s);
}

int main(int argc, char **argv)
{
	if (argc != 2) { fprintf(stderr, "usage: gen-corpus OUTDIR\n"); return 2; }
	out = argv[1];
	mkdir(out, 0755);
	uint64_t t = 1000001000, x = 42;

	/* every kind, all fields */
	struct ingero_writer *w = open_w(op("good-all-kinds.igz"), NULL, 0);
	meta(w);
	struct ingero_record r;
	memset(&r, 0, sizeof(r));
	r.kind = INGERO_REC_MODULE;
	r.u.mod = (struct ingero_module){ 7, 4242, 0x7f0000000000ull, 0x7f0000100000ull, 0x1000,
					  "/usr/lib/x86_64-linux-gnu/libcudart.so.12", "4f1e2d3c" };
	app(w, &r);
	r.kind = INGERO_REC_SYMBOL; r.u.sym = (struct ingero_symbol){ 9, 7, 0x4a10, "cudaLaunchKernel" }; app(w, &r);
	r.kind = INGERO_REC_SYMBOL; r.u.sym = (struct ingero_symbol){ 10, 7, 0x8000, "train_step(float*)" }; app(w, &r);
	static struct ingero_stack st = { .id = 77, .pid = 4242, .depth = 3,
		.ips = { 0x7f0000004a20ull, 0x7f0000008010ull, 0x401000 }, .syms = { 9, 10, 0 }, .offs = { 0x10, 0x10, 0 } };
	r.kind = INGERO_REC_STACK; r.u.stack = &st; app(w, &r);
	r.kind = INGERO_REC_SYS;
	r.u.sys = (struct ingero_sys){ 1000500000, 93.5, 71.25, 2048, 17, 12.5, 3.75, 123456, 987654321 }; app(w, &r);
	r.kind = INGERO_REC_GPU;
	r.u.gpu = (struct ingero_gpu){ 1000500001, 0, 99.5, 40000, 81920, 1980, 2619, 0x4, 71, 412.25 }; app(w, &r);
	r.kind = INGERO_REC_ANCHOR;
	r.u.anchor = (struct ingero_anchor){ 2000000000, 1700000001000100000ull, 1999000000, 4000 }; app(w, &r);
	r.kind = INGERO_REC_LOST; r.u.lost = (struct ingero_lost){ 1000600000, INGERO_SRC_HOST, 12, 0 }; app(w, &r);
	r.kind = INGERO_REC_NOTE; r.u.note = (struct ingero_note){ 1000600001, 1, "uprobe attach failed: \"libnccl.so.2\" not found\tskipped" }; app(w, &r);
	r.kind = INGERO_REC_SAMPLING; r.u.sampling = (struct ingero_sampling){ 1000600002, 4242, INGERO_SRC_HOST, 1, 10 }; app(w, &r);
	struct ingero_event evs[] = {
		{ 1000700000, 5000, 4242, 4243, INGERO_SRC_CUDA, INGERO_CUDA_MEMCPY_ASYNC, 0, 0, 5, 77, { 1 << 20, 1, 0x55d0c0de7000ull } },
		{ 1000706000, 2100000, 4242, 4242, INGERO_SRC_HOST, INGERO_HOST_SCHED_SWITCH, 0, 0, 1, 0, { 0, 999, 999 } },
		{ 1000705000, 200, 4242, 4242, INGERO_SRC_CUDA, INGERO_CUDA_MALLOC, 0, -2, 1, 0, { 1ull << 34, 0 } },
		{ 1000800000, 0, 4242, 4242, INGERO_SRC_DRIVER, INGERO_DRV_LAUNCH_KERNEL, INGERO_EVF_NO_RETURN, 0, 2, 77, { 0x7f3a12001000ull } },
		{ 1000900000, 1500000, 4242, 4242, INGERO_SRC_IO, INGERO_IO_READ, 0, 0, 0, 0, { 1 << 20, 123456, (8u << 20) | 1 } },
		{ 1001000000, 0, 4242, 4242, INGERO_SRC_HOST, INGERO_HOST_PAGE_ALLOC, INGERO_EVF_SAMPLED, 0, 0, 0, { 4 << 20, 1024 } },
		{ 1001100000, 300000, 4242, 4242, INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE, 0, 0, 4, 0,
		  { 0xdeadbeefcafeull, 1 << 20, 17, 0ull | 2ull << 32, 7 | 0 << 8, 0x55d0c0de7000ull } },
		{ 1001200000, 4000, 4242, 4242, INGERO_SRC_GRAPH, INGERO_GRAPH_LAUNCH, 0, 0, 3, 0, { 0x55d0c0de7000ull, 0xa1, 0xb2, 0 } },
		{ 1001300000, 0, 4242, 4242, 7, 1, 0, 0, 0, 0, { 1500 } },
		{ 1001300001, 0, 4242, 4242, 12, 40, 0, 0, 0, 0, { 0 } },   /* unknown source/op: kept */
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) { r.kind = INGERO_REC_EVENT; r.u.ev = evs[i]; app(w, &r); }
	ingero_writer_close(w);

	/* 1.2: Python frames: PYFRAME records, a stack with native and Python
	 * frames, one with Python frames only (depth 0), calls on each */
	w = open_w(op("good-pyframes.igz"), NULL, 0);
	meta(w);
	r.kind = INGERO_REC_PYFRAME;
	r.u.pyframe = (struct ingero_pyframe){ 1, 4242, 12, "/work/train.py", "launch" }; app(w, &r);
	r.u.pyframe = (struct ingero_pyframe){ 2, 4242, 27, "/work/train.py", "Model.forward" }; app(w, &r);
	r.u.pyframe = (struct ingero_pyframe){ 3, 4242, 0, "<string>", "<lambda>" }; app(w, &r);
	static struct ingero_stack ps1 = { .id = 1, .pid = 4242, .depth = 2,
		.ips = { 0x7f0000004a20ull, 0x401000 }, .syms = { 0, 0 }, .offs = { 0, 0 },
		.npy = 2, .py = { 1, 2 } };
	static struct ingero_stack ps2 = { .id = 2, .pid = 4242, .depth = 0, .npy = 3, .py = { 3, 1, 2 } };
	r.kind = INGERO_REC_STACK; r.u.stack = &ps1; app(w, &r);
	r.kind = INGERO_REC_STACK; r.u.stack = &ps2; app(w, &r);
	r.kind = INGERO_REC_EVENT;
	r.u.ev = (struct ingero_event){ 1000001000, 4000, 4242, 4242, INGERO_SRC_CUDA,
		INGERO_CUDA_LAUNCH_KERNEL, 0, 0, 2, 1, { 0x7f3a12001000ull, 0, 0, 0, 0, 0 } }; app(w, &r);
	r.u.ev = (struct ingero_event){ 1000006000, 90000, 4242, 4243, INGERO_SRC_CUDA,
		INGERO_CUDA_STREAM_SYNC, 0, 0, 2, 2, { 0 } }; app(w, &r);
	ingero_writer_close(w);

	/* launch-heavy, several frames */
	w = open_w(op("good-launch-heavy.igz"), NULL, 1024);
	meta(w);
	steps(w, 30, &t, &x);
	memset(&r, 0, sizeof(r));
	r.kind = INGERO_REC_LOST; r.u.lost = (struct ingero_lost){ t, INGERO_SRC_CUDA, 5, 0 }; app(w, &r);
	steps(w, 5, &t, &x);
	ingero_writer_close(w);

	/* a merged recording: unix clock, node table, CTX switches; then the
	 * same with per-node gaps (node_gaps) and overlapping events of the
	 * two nodes, as ingero-merge writes them */
	for (int ng = 0; ng < 2; ng++) {
		struct ingero_writer_opts o;
		struct ingero_error e;
		base_opts(&o);
		o.path = op(ng ? "good-merged-node-gaps.igz" : "good-merged-unix.igz");
		o.node_gaps = ng;
		o.hdr.clock = "unix";
		o.hdr.node = "merged";
		o.hdr.recorder = "ingero-merge 0.1.0";
		o.hdr.rank = -1;
		o.hdr.start_ts = 1700000000000000000ull;
		o.hdr.anchor.boottime = o.hdr.anchor.realtime = o.hdr.anchor.monotonic = o.hdr.anchor.error_ns = 0;
		o.frame_max_bytes = 300;
		if (ingero_writer_open(&w, &o, &e)) return 1;
		for (uint32_t n = 0; n < 2; n++) {
			memset(&r, 0, sizeof(r));
			r.kind = INGERO_REC_NODE;
			r.u.nodeinfo = (struct ingero_node){ n, n ? "gpu-node-2" : "gpu-node-1", n ? "host2" : "host1",
				n ? "boot-2" : "boot-1", (int32_t)n, n ? -1234567 : 0, n ? 3.5 : 0.0, 1000000000,
				n ? "collectives" : "anchors", n ? 850.0 : 0.0, n ? 64 : 0 };
			app(w, &r);
		}
		for (int i = 0; i < 40; i++) {
			memset(&r, 0, sizeof(r));
			r.kind = INGERO_REC_CTX; r.u.ctx_node = (uint32_t)(i % 2); app(w, &r);
			struct ingero_event e2 = { 1700000000000000000ull + (uint64_t)i * 500000,
				(ng ? 1750000 : 250000) + (uint64_t)i,
				(uint32_t)(100 + i % 2), (uint32_t)(100 + i % 2), INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE, 0, 0, 0, 0,
				{ 0xabcdef, 1 << 20, (uint64_t)(i / 2 + 1), (uint64_t)(i % 2) | 2ull << 32, 7, 0x5000 } };
			r.kind = INGERO_REC_EVENT; r.u.ev = e2; app(w, &r);
		}
		ingero_writer_close(w);
	}

	/* 1.3 node events (kind 66): the same two nodes, events naming their
	 * node, with per-node gaps; metadata still follows a CTX, and a node
	 * event leaves the CTX as it was (the THREAD after node 1's events is
	 * node 0's).  Added with 1.3; the files above are older and unchanged. */
	{
		struct ingero_writer_opts o;
		struct ingero_error e;
		base_opts(&o);
		o.path = op("good-merged-node-events.igz");
		o.node_gaps = 1;
		o.node_events = 1;
		o.hdr.clock = "unix";
		o.hdr.node = "merged";
		o.hdr.recorder = "ingero-merge 0.1.0";
		o.hdr.rank = -1;
		o.hdr.start_ts = 1700000000000000000ull;
		o.hdr.anchor.boottime = o.hdr.anchor.realtime = o.hdr.anchor.monotonic = o.hdr.anchor.error_ns = 0;
		o.frame_max_bytes = 300;
		if (ingero_writer_open(&w, &o, &e)) return 1;
		for (uint32_t n = 0; n < 2; n++) {
			memset(&r, 0, sizeof(r));
			r.kind = INGERO_REC_NODE;
			r.u.nodeinfo = (struct ingero_node){ n, n ? "gpu-node-2" : "gpu-node-1", n ? "host2" : "host1",
				n ? "boot-2" : "boot-1", (int32_t)n, n ? -1234567 : 0, n ? 3.5 : 0.0, 1000000000,
				n ? "collectives" : "anchors", n ? 850.0 : 0.0, n ? 64 : 0 };
			app(w, &r);
		}
		memset(&r, 0, sizeof(r));
		r.kind = INGERO_REC_CTX; r.u.ctx_node = 0; app(w, &r);
		for (int i = 0; i < 40; i++) {
			if (i == 21) {
				memset(&r, 0, sizeof(r));
				r.kind = INGERO_REC_THREAD;
				r.u.thr = (struct ingero_thread){ 101, 100, "ctx-stays-node-0" };
				app(w, &r);
			}
			struct ingero_event e2 = { 1700000000000000000ull + (uint64_t)i * 500000,
				1750000 + (uint64_t)i,
				(uint32_t)(100 + i % 2), (uint32_t)(100 + i % 2), INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE, 0, 0, 0, 0,
				{ 0xabcdef, 1 << 20, (uint64_t)(i / 2 + 1), (uint64_t)(i % 2) | 2ull << 32, 7, 0x5000 } };
			if (ingero_writer_event_node(w, (uint32_t)(i % 2), &e2)) return 1;
		}
		ingero_writer_close(w);
	}

	/* a directory of rotated segments */
	w = open_w(NULL, op("good-dir"), 500);
	meta(w);
	steps(w, 12, &t, &x);
	ingero_writer_close(w);

	/* damaged files derived from a multi-frame segment */
	w = open_w(op("tmp-base.igz"), NULL, 600);
	meta(w);
	steps(w, 12, &t, &x);
	ingero_writer_close(w);
	size_t n = 0;
	unsigned char *b = slurp(op("tmp-base.igz"), &n);
	if (!b || n < 100) return 1;
	unlink(op("tmp-base.igz"));
	spit(op("damaged-truncated.igz"), b, n - 37);
	b[n / 2] ^= 0x40;
	spit(op("damaged-bitflip.igz"), b, n);
	b[n / 2] ^= 0x40;
	{   /* junk between frames: the reader resyncs on the next frame magic */
		FILE *f = fopen(op("damaged-garbage-between.igz"), "wb");
		size_t cut = 0;
		for (size_t i = n / 3; i + 4 <= n; i++)
			if (b[i] == 0x28 && b[i + 1] == 0xb5 && b[i + 2] == 0x2f && b[i + 3] == 0xfd) { cut = i; break; }
		fwrite(b, 1, cut, f);
		fwrite("GARBAGE\x28\xb5\x2f\x00junk", 1, 16, f);
		fwrite(b + cut, 1, n - cut, f);
		fclose(f);
	}
	free(b);
	spit(op("damaged-empty.igz"), "", 0);

	/* hand-made: unknown kinds, extra fields, newer minor, unknown header keys */
	unsigned char raw[1024], *p = raw;
	p += hdr_raw(p, 3);
	*p++ = 0x93; *p++ = 33; *p++ = 0xa5; memcpy(p, "later", 5); p += 5; *p++ = 0x92; *p++ = 1; *p++ = 2;
	*p++ = 0xdc; *p++ = 0; *p++ = 19;
	*p++ = 1; *p++ = 1; *p++ = 3; *p++ = 0xcd; *p++ = 0x10; *p++ = 0x92; *p++ = 0xcd; *p++ = 0x10; *p++ = 0x92;
	*p++ = 0xd0; *p++ = 0x9c; *p++ = 0xcd; *p++ = 0x11; *p++ = 0x94;
	*p++ = 3; *p++ = 0;   /* cpu, stack_id */
	for (int i = 0; i < 6; i++) *p++ = (unsigned char)(i + 1);
	*p++ = 0; *p++ = 0;   /* ret, flags */
	*p++ = 0xa3; memcpy(p, "new", 3); p += 3; *p++ = 0xcb; memset(p, 0x40, 8); p += 8;
	*p++ = 0x95; *p++ = 3; *p++ = 0xcd; *p++ = 0x10; *p++ = 0x93; *p++ = 0xcd; *p++ = 0x10; *p++ = 0x92;
	*p++ = 0xa6; memcpy(p, "worker", 6); p += 6; *p++ = 0xc2;
	*p++ = 0x92; *p++ = 63; *p++ = 0xc0;
	*p++ = 0x97; *p++ = 1; *p++ = 3; *p++ = 1; *p++ = 1; *p++ = 1; *p++ = 0xff; *p++ = 100;
	FILE *f = fopen(op("compat-unknown-kinds.igz"), "wb");
	zframe_raw(f, raw, (size_t)(p - raw), 1);
	fclose(f);

	/* content size unknown (as `zstd` writes from a pipe), two frames */
	p = raw;
	p += hdr_raw(p, 0);
	*p++ = 0x94; *p++ = 3; *p++ = 7; *p++ = 7; *p++ = 0xa4; memcpy(p, "main", 4); p += 4;
	f = fopen(op("compat-unknown-content-size.igz"), "wb");
	zframe_raw(f, raw, (size_t)(p - raw), 0);
	unsigned char fr2[] = { 0x93, INGERO_REC_FRAME, 1, 0xce, 0x3b, 0x9a, 0xca, 0x00,
				0x98, 1, 1, 5, 7, 7, 10, 20, 3 };
	zframe_raw(f, fr2, sizeof(fr2), 0);
	fclose(f);

	/* must-understand kind after one good record */
	p = raw;
	p += hdr_raw(p, 0);
	*p++ = 0x94; *p++ = 3; *p++ = 7; *p++ = 7; *p++ = 0xa4; memcpy(p, "main", 4); p += 4;
	*p++ = 0x92; *p++ = 70; *p++ = 1;
	f = fopen(op("damaged-critical-kind.igz"), "wb");
	zframe_raw(f, raw, (size_t)(p - raw), 1);
	fclose(f);

	/* a 4 GiB string length claim in the middle of a valid frame, then a good frame */
	p = raw;
	p += hdr_raw(p, 0);
	*p++ = 0x94; *p++ = 3; *p++ = 7; *p++ = 7; *p++ = 0xa4; memcpy(p, "main", 4); p += 4;
	*p++ = 0x94; *p++ = 3; *p++ = 8; *p++ = 7; *p++ = 0xdb; *p++ = 0xff; *p++ = 0xff; *p++ = 0xff; *p++ = 0xff;
	f = fopen(op("damaged-hostile-length.igz"), "wb");
	zframe_raw(f, raw, (size_t)(p - raw), 1);
	zframe_raw(f, fr2, sizeof(fr2), 1);
	fclose(f);
	return 0;
}
