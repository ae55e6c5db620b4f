/*
 * unit-format.c - writer/reader/clock/names unit tests of formats/.
 * Every record kind round trip, damage handling (truncation at every byte,
 * flipped bytes, hostile lengths, unknown and must-understand kinds),
 * directories, bundles, stdin, rotation, disk budget, ENOSPC, determinism,
 * and an independent msgpack-c validation of the decompressed stream.
 */
#include <msgpack.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <zstd.h>

#include "unit.h"
#include "common.h"

/* ---------------------------------------------------- sample records */

static struct ingero_stack g_stack;

static int n_sample;
static struct ingero_record sample[64];

static void build_samples(void)
{
	struct ingero_record *r;
	memset(sample, 0, sizeof(sample));
	n_sample = 0;
#define NEW(k) do { r = &sample[n_sample++]; r->kind = (k); } while (0)
	NEW(INGERO_REC_PROCESS);
	r->u.proc = (struct ingero_process){ 4242, 1, 1000, "python3", "python3 train.py --epochs 3",
					     2, 0, 8, 0xabcdef0123ull, 1000000500 };
	NEW(INGERO_REC_THREAD);
	r->u.thr = (struct ingero_thread){ 4243, 4242, "pt_data_worker" };
	NEW(INGERO_REC_MODULE);
	r->u.mod = (struct ingero_module){ 7, 4242, 0x7f0000000000ull, 0x7f0000100000ull, 0x1000,
					   "/usr/lib/libcudart.so.12", "0123456789abcdef" };
	NEW(INGERO_REC_SYMBOL);
	r->u.sym = (struct ingero_symbol){ 9, 7, 0x4a10, "cudaLaunchKernel" };
	g_stack.id = 77; g_stack.pid = 4242; g_stack.depth = 5;
	for (int i = 0; i < 5; i++) {
		g_stack.ips[i] = 0x7f0000004a10ull + (uint64_t)i * 0x100;
		g_stack.syms[i] = i == 4 ? 0 : 9;
		g_stack.offs[i] = (uint32_t)i * 3;
	}
	g_stack.npy = 2; g_stack.py[0] = 5; g_stack.py[1] = 3;
	NEW(INGERO_REC_PYFRAME);
	r->u.pyframe = (struct ingero_pyframe){ 5, 4242, 142, "/home/u/train.py", "Model.forward" };
	NEW(INGERO_REC_PYFRAME);
	r->u.pyframe = (struct ingero_pyframe){ 3, 4242, 0, "", "<lambda>" };
	NEW(INGERO_REC_STACK); r->u.stack = &g_stack;
	NEW(INGERO_REC_SYS);
	r->u.sys = (struct ingero_sys){ 1000100000, 93.5, 71.25, 2048, 17, 12.5, 3.75, 123456, 987654321 };
	NEW(INGERO_REC_GPU);
	r->u.gpu = (struct ingero_gpu){ 1000100001, 1, 99.0, 40000, 81920, 1980, 2619, 0x4, 71, 412.5 };
	NEW(INGERO_REC_ANCHOR);
	r->u.anchor = (struct ingero_anchor){ 2000000000, 1700000001000000123ull, 1999000000, 4000 };
	NEW(INGERO_REC_LOST);
	r->u.lost = (struct ingero_lost){ 1000200000, INGERO_SRC_HOST, 12, 0 };
	NEW(INGERO_REC_NODE);
	r->u.nodeinfo = (struct ingero_node){ 1, "node-b", "host-b", "boot-b", 1, -123456, 12.5,
					      1000000000, "anchors", 2500.0, 42 };
	NEW(INGERO_REC_NOTE);
	r->u.note = (struct ingero_note){ 1000300000, 1, "disk nearly full \"quoted\"\nsecond line" };
	NEW(INGERO_REC_SAMPLING);
	r->u.sampling = (struct ingero_sampling){ 1000300001, 4242, INGERO_SRC_HOST, 1, 10 };
	NEW(INGERO_REC_CTX); r->u.ctx_node = 2;
	/* events with every field set, negative ret and a ts before the previous end */
	NEW(INGERO_REC_EVENT);
	r->u.ev = (struct ingero_event){ 1000400000, 5000, 4242, 4243, INGERO_SRC_CUDA,
		INGERO_CUDA_MEMCPY_ASYNC, 3, -700, 5, 77, { 1 << 20, 1, 0x55d0c0de7000ull, 4, 5, UINT64_MAX } };
	NEW(INGERO_REC_EVENT);
	r->u.ev = (struct ingero_event){ 1000401000, 0, 4242, 4242, INGERO_SRC_HOST,
		INGERO_HOST_SCHED_SWITCH, 0, 0, 1, 0, { 1, 999, 1000, 0, 0, 0 } };
	NEW(INGERO_REC_EVENT);
	r->u.ev = (struct ingero_event){ 1000399000, 1, 1, 1, INGERO_SRC_NCCL, INGERO_NCCL_ALL_REDUCE,
		INGERO_EVF_SAMPLED, INT32_MIN, UINT32_MAX, UINT64_MAX,
		{ 0xdeadbeef, 1024, 7, 3ull | 8ull << 32, 7 | 0 << 8, 0x55d0c0de7000ull } };
	NEW(INGERO_REC_CTX); r->u.ctx_node = 0;
	NEW(INGERO_REC_EVENT);
	r->u.ev = (struct ingero_event){ 1000500000, 4500, 4242, 4242, INGERO_SRC_CUDA,
		INGERO_CUDA_LAUNCH_KERNEL, 0, 0, 0, 0, { 0x7f3a12001000ull, 0x55d0c0de7000ull, 0, 0, 0, 0 } };
	NEW(INGERO_REC_FOOTER);
	r->u.footer = (struct ingero_footer){ 3, 1000399000, 1000505000, 12 };
#undef NEW
}

static int write_samples(const char *path, int level)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = path;
	o.zstd_level = level;
	if (ingero_writer_open(&w, &o, &e))
		return -1;
	for (int i = 0; i < n_sample; i++)
		if (ingero_writer_append(w, &sample[i]))
			return -1;
	return ingero_writer_close(w);
}

static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static int rec_equal(const struct ingero_record *a, const struct ingero_record *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case INGERO_REC_EVENT: return !memcmp(&a->u.ev, &b->u.ev, sizeof(a->u.ev));
	case INGERO_REC_PROCESS: {
		const struct ingero_process *x = &a->u.proc, *y = &b->u.proc;
		return x->pid == y->pid && x->ppid == y->ppid && x->uid == y->uid &&
		       streq(x->comm, y->comm) && streq(x->cmdline, y->cmdline) && x->rank == y->rank &&
		       x->local_rank == y->local_rank && x->world_size == y->world_size &&
		       x->cgroup_id == y->cgroup_id && x->start_ts == y->start_ts;
	}
	case INGERO_REC_THREAD:
		return a->u.thr.tid == b->u.thr.tid && a->u.thr.pid == b->u.thr.pid &&
		       streq(a->u.thr.name, b->u.thr.name);
	case INGERO_REC_MODULE: {
		const struct ingero_module *x = &a->u.mod, *y = &b->u.mod;
		return x->id == y->id && x->pid == y->pid && x->start == y->start && x->end == y->end &&
		       x->file_offset == y->file_offset && streq(x->path, y->path) &&
		       streq(x->build_id, y->build_id);
	}
	case INGERO_REC_SYMBOL:
		return a->u.sym.id == b->u.sym.id && a->u.sym.module_id == b->u.sym.module_id &&
		       a->u.sym.offset == b->u.sym.offset && streq(a->u.sym.name, b->u.sym.name);
	case INGERO_REC_STACK: {
		const struct ingero_stack *x = a->u.stack, *y = b->u.stack;
		if (x->id != y->id || x->pid != y->pid || x->depth != y->depth || x->npy != y->npy) return 0;
		for (uint32_t i = 0; i < x->depth; i++)
			if (x->ips[i] != y->ips[i] || x->syms[i] != y->syms[i] || x->offs[i] != y->offs[i])
				return 0;
		for (uint32_t i = 0; i < x->npy; i++)
			if (x->py[i] != y->py[i])
				return 0;
		return 1;
	}
	case INGERO_REC_PYFRAME: {
		const struct ingero_pyframe *x = &a->u.pyframe, *y = &b->u.pyframe;
		return x->id == y->id && x->pid == y->pid && x->line == y->line &&
		       streq(x->file, y->file) && streq(x->func, y->func);
	}
	case INGERO_REC_SYS: return !memcmp(&a->u.sys, &b->u.sys, sizeof(a->u.sys));
	case INGERO_REC_GPU:
		return a->u.gpu.ts == b->u.gpu.ts && a->u.gpu.index == b->u.gpu.index &&
		       a->u.gpu.util_pct == b->u.gpu.util_pct && a->u.gpu.mem_used_mb == b->u.gpu.mem_used_mb &&
		       a->u.gpu.mem_total_mb == b->u.gpu.mem_total_mb &&
		       a->u.gpu.sm_clock_mhz == b->u.gpu.sm_clock_mhz &&
		       a->u.gpu.mem_clock_mhz == b->u.gpu.mem_clock_mhz &&
		       a->u.gpu.throttle_reasons == b->u.gpu.throttle_reasons &&
		       a->u.gpu.temp_c == b->u.gpu.temp_c && a->u.gpu.power_w == b->u.gpu.power_w;
	case INGERO_REC_ANCHOR: return !memcmp(&a->u.anchor, &b->u.anchor, sizeof(a->u.anchor));
	case INGERO_REC_LOST:
		return a->u.lost.ts == b->u.lost.ts && a->u.lost.source == b->u.lost.source &&
		       a->u.lost.count == b->u.lost.count && a->u.lost.reason == b->u.lost.reason;
	case INGERO_REC_FOOTER: return !memcmp(&a->u.footer, &b->u.footer, sizeof(a->u.footer));
	case INGERO_REC_NODE: {
		const struct ingero_node *x = &a->u.nodeinfo, *y = &b->u.nodeinfo;
		return x->index == y->index && streq(x->name, y->name) && streq(x->host, y->host) &&
		       streq(x->boot_id, y->boot_id) && x->rank == y->rank && x->offset_ns == y->offset_ns &&
		       x->drift_ppb == y->drift_ppb && x->ref_ts == y->ref_ts && streq(x->method, y->method) &&
		       x->confidence_ns == y->confidence_ns && x->samples == y->samples;
	}
	case INGERO_REC_CTX: return a->u.ctx_node == b->u.ctx_node;
	case INGERO_REC_NOTE:
		return a->u.note.ts == b->u.note.ts && a->u.note.level == b->u.note.level &&
		       streq(a->u.note.text, b->u.note.text);
	case INGERO_REC_SAMPLING:
		return a->u.sampling.ts == b->u.sampling.ts && a->u.sampling.pid == b->u.sampling.pid &&
		       a->u.sampling.source == b->u.sampling.source && a->u.sampling.op == b->u.sampling.op &&
		       a->u.sampling.rate == b->u.sampling.rate;
	}
	return 0;
}

/* ---------------------------------------------------- tests */

static void test_roundtrip(void)
{
	const char *p = tpath("all.igz");
	T_CHECK(write_samples(p, 0) == 0, "roundtrip: write every record kind");
	struct ingero_reader *r;
	struct ingero_error e;
	T_CHECK(ingero_reader_open(&r, p, &e) == 0, "roundtrip: open");
	struct ingero_record rec;
	int i = 0, ok = 1, seen_hdr = 0, frames = 0, footers = 0, bad_node = 0, rc;
	int seen[INGERO_REC_KIND_MAX] = { 0 };
	uint32_t want_node = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1) {
		seen[rec.kind]++;
		if (rec.kind == INGERO_REC_HEADER) {
			const struct ingero_header *h = &rec.u.hdr;
			seen_hdr = h->major == 1 && h->minor == INGERO_FORMAT_MINOR && streq(h->node, "node-a") &&
				   streq(h->host, "host-a") && streq(h->kernel, "6.1.0-test") &&
				   streq(h->boot_id, "0b5e1d2c-aaaa-bbbb-cccc-000000000001") &&
				   streq(h->recorder, "ingero-record test") && streq(h->cmdline, "ingero-record --test") &&
				   streq(h->clock, "boottime") && h->start_ts == 1000000000 && h->segment == 1 &&
				   h->rank == 3 && h->anchor.boottime == 1000000000 &&
				   h->anchor.realtime == 1700000000000000000ull &&
				   h->anchor.monotonic == 999000000 && h->anchor.error_ns == 5000;
			continue;
		}
		if (rec.kind == INGERO_REC_FRAME) { frames++; continue; }
		if (rec.kind == INGERO_REC_ANCHOR && rec.u.anchor.boottime == 1000000000)
			continue;   /* the header's anchor, emitted by the writer */
		if (rec.kind == INGERO_REC_FOOTER && i >= n_sample) { footers++; continue; }
		if (i >= n_sample || !rec_equal(&rec, &sample[i])) {
			printf("# mismatch at record %d kind %d\n", i, rec.kind);
			ok = 0;
		}
		if (rec.kind == INGERO_REC_CTX) want_node = rec.u.ctx_node;
		if (rec.node != want_node) bad_node++;
		i++;
	}
	T_CHECK(rc == 0, "roundtrip: reads to the end (rc=%d)", rc);
	T_CHECK(seen_hdr, "roundtrip: header fields");
	T_CHECK(ok && i == n_sample, "roundtrip: every record kind and field equal (%d of %d)", i, n_sample);
	T_CHECK(frames == 1 && footers == 1, "roundtrip: one FRAME, one writer FOOTER (%d, %d)", frames, footers);
	T_CHECK(!bad_node, "roundtrip: CTX scopes node of following records");
	int all = 1;
	for (int k = 0; k < INGERO_REC_KIND_MAX; k++)
		if (!seen[k]) all = 0;
	T_CHECK(all, "roundtrip: all %d kinds seen", INGERO_REC_KIND_MAX);
	T_CHECK(ingero_reader_warnings(r) == 0, "roundtrip: no warnings");
	const struct ingero_header *h = ingero_reader_header(r);
	T_CHECK(h && streq(h->node, "node-a") && h->segment == 1, "roundtrip: reader_header persists");
	ingero_reader_close(r);
	struct stat st;
	T_CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640, "writer: file mode 0640 (%o)", st.st_mode & 0777);
}

static void test_strings(void)
{
	static char big[70001];
	memset(big, 'x', sizeof(big) - 1);
	const size_t lens[] = { 0, 1, 31, 32, 255, 256, 65535, 65536, 70000 };
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = tpath("strings.igz");
	T_CHECK(ingero_writer_open(&w, &o, &e) == 0, "strings: open");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *s = strndup(big, lens[i]);
		struct ingero_record rec = { .kind = INGERO_REC_THREAD };
		rec.u.thr = (struct ingero_thread){ (uint32_t)i, 1, s };
		ingero_writer_append(w, &rec);
		free(s);
	}
	T_CHECK(ingero_writer_close(w) == 0, "strings: close");
	struct ingero_reader *r;
	ingero_reader_open(&r, o.path, &e);
	struct ingero_record rec;
	int good = 0;
	while (ingero_reader_next(r, &rec) == 1)
		if (rec.kind == INGERO_REC_THREAD && rec.u.thr.tid < 9 &&
		    strlen(rec.u.thr.name) == lens[rec.u.thr.tid] && !strncmp(rec.u.thr.name, big, lens[rec.u.thr.tid]))
			good++;
	T_CHECK(good == 9, "strings: str8/16/32 boundaries NUL-terminated in place (%d/9)", good);
	ingero_reader_close(r);
}

static void test_deterministic(void)
{
	const char *a = tpath("det-a.igz"), *b = tpath("det-b.igz");
	write_samples(a, 0);
	write_samples(b, 0);
	size_t la, lb;
	unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
	T_CHECK(x && y && la == lb && !memcmp(x, y, la), "determinism: identical input -> identical bytes");
	free(x);
	free(y);
}

/* Decompress with plain zstd streaming and validate every value with msgpack-c. */
static void test_msgpack_valid(void)
{
	size_t n;
	unsigned char *c = slurp(tpath("all.igz"), &n);
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap);
	ZSTD_inBuffer in = { c, n, 0 };
	int zerr = 0;
	while (in.pos < in.size) {
		ZSTD_outBuffer o = { out + len, cap - len, 0 };
		size_t k = ZSTD_decompressStream(d, &o, &in);
		if (ZSTD_isError(k)) { zerr = 1; break; }
		len += o.pos;
	}
	T_CHECK(!zerr, "msgpack-c: stream decompresses with zstd streaming API");
	size_t off = 0;
	int values = 0, arrays_ok = 1, frames = 0, hdr_first = 0;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	while (off < len) {
		if (msgpack_unpack_next(&u, out, len, &off) != MSGPACK_UNPACK_SUCCESS) { arrays_ok = 0; break; }
		msgpack_object *ob = &u.data;
		if (ob->type != MSGPACK_OBJECT_ARRAY || ob->via.array.size < 1 ||
		    ob->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			arrays_ok = 0;
		else {
			if (values == 0 && ob->via.array.ptr[0].via.u64 == 0 && ob->via.array.size >= 5 &&
			    ob->via.array.ptr[1].type == MSGPACK_OBJECT_STR &&
			    ob->via.array.ptr[4].type == MSGPACK_OBJECT_MAP)
				hdr_first = 1;
			if (ob->via.array.ptr[0].via.u64 == INGERO_REC_FRAME) frames++;
		}
		values++;
	}
	msgpack_unpacked_destroy(&u);
	T_CHECK(arrays_ok && off == len && values > n_sample, "msgpack-c: every value is an array with an integer kind (%d values)", values);
	T_CHECK(hdr_first && frames == 1, "msgpack-c: header first, then a FRAME");
	free(out);
	free(c);
	ZSTD_freeDCtx(d);
}

/* many small frames */
static int write_multiframe(const char *path, int nev)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = path;
	o.frame_max_bytes = 200;
	if (ingero_writer_open(&w, &o, &e))
		return -1;
	for (int i = 0; i < nev; i++) {
		struct ingero_event ev = { .ts = 1000000000 + (uint64_t)i * 1000, .dur = 400 + (uint64_t)(i % 7),
			.pid = 10, .tid = 11, .source = 1, .op = 3, .arg = { 0x1000 + (uint64_t)(i % 3), 7 } };
		if (ingero_writer_event(w, &ev))
			return -1;
	}
	return ingero_writer_close(w);
}

static void test_truncation(void)
{
	const char *full = tpath("multi.igz");
	T_CHECK(write_multiframe(full, 60) == 0, "truncate: write multi-frame segment");
	size_t n;
	unsigned char *b = slurp(full, &n);
	/* frame starts: record offsets of a full read */
	struct ingero_reader *r;
	struct ingero_error e;
	ingero_reader_open(&r, full, &e);
	struct ingero_record rec;
	uint64_t starts[256];
	long recs_before[256];   /* records in frames before frame i */
	int nf = 0;
	long total = 0;
	while (ingero_reader_next(r, &rec) == 1) {
		if (!nf || starts[nf - 1] != rec.offset) {
			starts[nf] = rec.offset;
			recs_before[nf] = total;
			nf++;
		}
		total++;
	}
	ingero_reader_close(r);
	T_CHECK(nf >= 5, "truncate: segment has %d frames", nf);
	int bad = 0, badwarn = 0;
	const char *cut = tpath("cut.igz");
	for (size_t len = 0; len <= n; len++) {
		spit(cut, b, len);
		/* frames wholly inside [0, len) */
		int k = 0;
		while (k + 1 < nf && starts[k + 1] <= len) k++;
		long want;
		uint64_t part;   /* start of the partial frame, or UINT64_MAX */
		if (len == n) { want = total; part = UINT64_MAX; }
		else if (starts[k] == len) { want = recs_before[k]; part = len ? UINT64_MAX : 0; }
		else { want = recs_before[k]; part = starts[k]; }
		if (len > 0 && starts[k] > len) { want = 0; part = 0; }
		struct ingero_reader *rr;
		long got = 0;
		int rc = ingero_reader_open(&rr, cut, &e);
		if (rc == 0) {
			while ((rc = ingero_reader_next(rr, &rec)) == 1) got++;
			const struct ingero_error *lw = ingero_reader_last_warning(rr);
			unsigned nw = ingero_reader_warnings(rr);
			if (part == UINT64_MAX ? nw != 0 : (nw != 1 || !lw || lw->offset != part)) {
				if (badwarn++ < 3) printf("# len %zu: %u warnings, last offset %llu, want %llu\n", len, nw,
						   lw ? (unsigned long long)lw->offset : 0ull, (unsigned long long)part);
			} else if (part != UINT64_MAX) {
				char msg[64];
				snprintf(msg, sizeof(msg), "at byte %llu", (unsigned long long)part);
				if (!strstr(lw->msg, msg)) badwarn++;
			}
			ingero_reader_close(rr);
		}
		if (rc != 0 || got != want) {
			if (bad++ < 3) printf("# len %zu: rc %d got %ld want %ld\n", len, rc, got, want);
		}
	}
	T_CHECK(!bad, "truncate: every cut 0..%zu keeps exactly the complete frames", n);
	T_CHECK(!badwarn, "truncate: every partial frame gives one warning naming its offset");
	free(b);
}

static void test_flips(void)
{
	const char *full = tpath("multi.igz");
	size_t n;
	unsigned char *b = slurp(full, &n);
	unsigned warns;
	long total = read_all(full, &warns, NULL);
	const char *p = tpath("flip.igz");
	int silent_change = 0, detected = 0, crashes = 0;
	for (size_t i = 0; i < n; i++) {
		b[i] ^= 0x5a;
		spit(p, b, n);
		b[i] ^= 0x5a;
		int rc = 0;
		long got = read_all(p, &warns, &rc);
		if (got < 0 || rc < 0 || warns)
			detected++;
		else if (got != total)
			silent_change++;
	}
	(void)crashes;
	T_CHECK(detected > (int)n * 9 / 10, "flip: %d of %zu single-byte flips detected (rest harmless header bits)", detected, n);
	T_CHECK(!silent_change, "flip: no flip silently changes the record count");
	free(b);
}

/* hand-made frames ------------------------------------------------------ */

static size_t put_hdr(unsigned char *p)
{
	unsigned char *s = p;
	*p++ = 0x95; *p++ = 0;
	*p++ = 0xaa; memcpy(p, "INGERO-REC", 10); p += 10;
	*p++ = 1; *p++ = 7;   /* minor 7: a newer minor */
	*p++ = 0x82;
	*p++ = 0xa4; memcpy(p, "node", 4); p += 4; *p++ = 0xa1; *p++ = 'z';
	*p++ = 0xa6; memcpy(p, "future", 6); p += 6; *p++ = 0x92; *p++ = 1; *p++ = 0xa1; *p++ = 'f';
	*p++ = 0x93; *p++ = INGERO_REC_FRAME; *p++ = 0; *p++ = 0;
	return (size_t)(p - s);
}

static int zframe(const char *path, const unsigned char *raw, size_t n, int append)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	size_t cap = ZSTD_compressBound(n);
	unsigned char *out = malloc(cap);
	size_t k = ZSTD_compress2(c, out, cap, raw, n);
	ZSTD_freeCCtx(c);
	FILE *f = fopen(path, append ? "ab" : "wb");
	fwrite(out, 1, k, f);
	fclose(f);
	free(out);
	return 0;
}

/* 1.1 packed events (kind 64): the escape form (negative gap, a gap or a
 * duration that does not fit), all tail fields, the tbits of later frames,
 * and hand-made frames (FRAME without tbits: every event escaped). */
static void test_packed(void)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = tpath("packed.igz");
	o.frame_max_bytes = 4000;   /* several frames: tbits from the previous one */
	T_CHECK(ingero_writer_open(&w, &o, &e) == 0, "packed: open");
	enum { N = 3000 };
	static struct ingero_event ev[N];
	uint64_t t = 5000000000ull, x = 7;
	int wfail = 0;
	for (int i = 0; i < N; i++) {
		struct ingero_event *v = &ev[i];
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v->source = 1; v->op = (uint8_t)(1 + i % 12); v->pid = 77; v->tid = 78 + (i & 1);
		t += 700 + (x >> 55);
		if (i % 97 == 5) t -= 5000;                /* overlap: negative gap */
		if (i % 211 == 7) t += 1ull << 40;         /* a gap too wide for T */
		v->ts = t;
		v->dur = i % 301 == 9 ? ~0ull >> 3 : 3000 + (x >> 50);   /* a duration too long for T */
		if (i % 5 == 0) {   /* every tail field set: 18 elements */
			v->cpu = 5; v->stack_id = 99; v->ret = -3; v->flags = 2;
			for (int a = 0; a < 6; a++) v->arg[a] = x >> (a * 8);
		} else if (i % 5 == 1) {
			v->arg[0] = 0x7f3a12001000ull;
		}
		wfail += ingero_writer_event(w, v) != 0;
		if (i % 211 != 7)
			t += v->dur;
	}
	T_CHECK(!wfail && ingero_writer_close(w) == 0, "packed: write %d events", N);
	struct ingero_reader *r;
	T_CHECK(ingero_reader_open(&r, tpath("packed.igz"), &e) == 0, "packed: reopen");
	struct ingero_record rec;
	int n = 0, same = 1, rc, frames = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1) {
		if (rec.kind == INGERO_REC_FRAME)
			frames++;
		if (rec.kind != INGERO_REC_EVENT)
			continue;
		const struct ingero_event *a = &rec.u.ev, *b = &ev[n < N ? n : 0];
		if (n < N && (a->ts != b->ts || a->dur != b->dur || a->pid != b->pid || a->tid != b->tid ||
			      a->source != b->source || a->op != b->op || a->flags != b->flags ||
			      a->ret != b->ret || a->cpu != b->cpu || a->stack_id != b->stack_id ||
			      memcmp(a->arg, b->arg, sizeof(a->arg)))) {
			if (same)
				printf("  first difference at event %d: ts %llu/%llu dur %llu/%llu\n", n,
				       (unsigned long long)rec.u.ev.ts, (unsigned long long)ev[n].ts,
				       (unsigned long long)rec.u.ev.dur, (unsigned long long)ev[n].dur);
			same = 0;
		}
		n++;
	}
	T_CHECK(rc == 0 && n == N && same && ingero_reader_warnings(r) == 0,
		"packed: %d events over %d frames read back exactly (escapes, all fields)", n, frames);
	T_CHECK(frames > 3, "packed: several frames");
	ingero_reader_close(r);

	/* hand-made: [64, src, op, pid, tid, T] with tbits 4, then a FRAME without tbits */
	unsigned char raw[256], *p = raw;
	p += put_hdr(p);
	p[-4] = 0x94; *p++ = 4;                             /* FRAME seq 0, base 0, tbits 4 */
	*p++ = 0x96; *p++ = 64; *p++ = 1; *p++ = 3; *p++ = 9; *p++ = 9;
	*p++ = 0xcc; *p++ = 0xa3;                           /* T = 10 << 4 | 3: dts 3, dur 10 */
	*p++ = 0x99; *p++ = 64; *p++ = 1; *p++ = 3; *p++ = 9; *p++ = 9;
	*p++ = 2;                                           /* tail: cpu 2 */
	*p++ = 0xff; *p++ = 20; *p++ = 15;                  /* escaped: dts -1, dur 20, T = 15 */
	*p++ = 0x93; *p++ = INGERO_REC_FRAME; *p++ = 1; *p++ = 100;   /* no tbits: K = 0 */
	*p++ = 0x98; *p++ = 64; *p++ = 1; *p++ = 5; *p++ = 9; *p++ = 9; *p++ = 4; *p++ = 6; *p++ = 0;
	*p++ = 0x92; *p++ = 64; *p++ = 1;                   /* too short: corrupt */
	const char *f = tpath("packed-hand.igz");
	zframe(f, raw, (size_t)(p - raw), 0);
	T_CHECK(ingero_reader_open(&r, f, &e) == 0, "packed: open hand-made");
	uint64_t got[3][4];
	int k = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1)
		if (rec.kind == INGERO_REC_EVENT && k < 3) {
			got[k][0] = rec.u.ev.ts; got[k][1] = rec.u.ev.dur; got[k][2] = rec.u.ev.cpu; got[k][3] = rec.u.ev.op;
			k++;
		}
	T_CHECK(k == 3 && got[0][0] == 3 && got[0][1] == 10 && got[0][2] == 0 &&
		got[1][0] == 12 && got[1][1] == 20 && got[1][2] == 2 &&
		got[2][0] == 104 && got[2][1] == 6 && got[2][3] == 5,
		"packed: hand-made T, escape and tbits 0 decode as specified");
	T_CHECK(rc == 0 && ingero_reader_warnings(r) == 1, "packed: a packed event with < 5 elements is a bad record");
	ingero_reader_close(r);
}

/* 1.3 node events (kind 66): events of many nodes interleaved, with and
 * without per-node gaps, read back exactly with their node; a CTX is left
 * as it was; the header says 1.3; the API refuses what it cannot write. */
static void test_node_events(void)
{
	for (int ng = 0; ng < 2; ng++) {
		struct ingero_writer_opts o;
		struct ingero_writer *w;
		struct ingero_error e;
		base_opts(&o);
		o.path = tpath(ng ? "nodeev-gaps.igz" : "nodeev.igz");
		o.frame_max_bytes = 3000;
		o.node_gaps = ng;
		o.node_events = 1;
		T_CHECK(ingero_writer_open(&w, &o, &e) == 0, "node events: open");
		enum { N = 2000 };
		static struct ingero_event ev[N];
		static uint32_t nd[N];
		uint64_t t = 9000000000ull, x = 3;
		int wfail = 0;
		struct ingero_record c;
		memset(&c, 0, sizeof(c));
		c.kind = INGERO_REC_CTX;
		c.u.ctx_node = 7;
		wfail += ingero_writer_append(w, &c) != 0;
		for (int i = 0; i < N; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			nd[i] = i % 50 == 3 ? 1000000 + (uint32_t)(x >> 60) : (uint32_t)(x >> 61);
			struct ingero_event *v = &ev[i];
			v->source = 1; v->op = 3; v->pid = 100 + nd[i]; v->tid = v->pid;
			t += (x >> 54) % 3000;
			v->ts = t - (x >> 59) * 700;   /* overlaps: negative gaps */
			v->dur = 2000 + (x >> 52) % 5000;
			v->arg[0] = 0xf00 + nd[i];
			wfail += ingero_writer_event_node(w, nd[i], v) != 0;
		}
		struct ingero_record th;
		memset(&th, 0, sizeof(th));
		th.kind = INGERO_REC_THREAD;
		th.u.thr = (struct ingero_thread){ 5, 5, "after" };
		wfail += ingero_writer_append(w, &th) != 0;
		T_CHECK(ingero_writer_event_node(w, 1u << 20, &ev[0]) == INGERO_EINVAL,
			"node events: node 2^20 refused");
		T_CHECK(!wfail && ingero_writer_close(w) == 0, "node events: write %d events", N);
		struct ingero_reader *r;
		T_CHECK(ingero_reader_open(&r, o.path, &e) == 0, "node events: reopen");
		struct ingero_record rec;
		int n = 0, same = 1, rc, thr_node = -1;
		while ((rc = ingero_reader_next(r, &rec)) == 1) {
			if (rec.kind == INGERO_REC_THREAD)
				thr_node = (int)rec.node;
			if (rec.kind != INGERO_REC_EVENT)
				continue;
			if (n < N && (rec.node != nd[n] || rec.u.ev.ts != ev[n].ts || rec.u.ev.dur != ev[n].dur ||
				      rec.u.ev.pid != ev[n].pid || rec.u.ev.arg[0] != ev[n].arg[0]))
				same = 0;
			n++;
		}
		const struct ingero_header *h = ingero_reader_header(r);
		T_CHECK(rc == 0 && n == N && same && ingero_reader_warnings(r) == 0,
			"node events%s: %d events of 9 nodes read back with their node and time", ng ? " (node gaps)" : "", n);
		T_CHECK(thr_node == 7, "node events: the CTX stays (a THREAD after them is node 7's, got %d)", thr_node);
		T_CHECK(h && h->major == 1 && h->minor == INGERO_FORMAT_MINOR_NODE_EVENTS, "node events: header 1.3");
		ingero_reader_close(r);
	}
	/* without opts.node_events: refused, and the header stays 1.1 */
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = tpath("nodeev-off.igz");
	T_CHECK(ingero_writer_open(&w, &o, &e) == 0, "node events off: open");
	struct ingero_event v;
	memset(&v, 0, sizeof(v));
	T_CHECK(ingero_writer_event_node(w, 1, &v) == INGERO_EINVAL, "node events off: refused");
	T_CHECK(ingero_writer_event(w, &v) == 0 && ingero_writer_close(w) == 0, "node events off: close");
	struct ingero_reader *r;
	struct ingero_record rec;
	T_CHECK(ingero_reader_open(&r, o.path, &e) == 0 && ingero_reader_next(r, &rec) == 1 &&
		ingero_reader_header(r) && ingero_reader_header(r)->minor == INGERO_FORMAT_MINOR,
		"node events off: header 1.2");
	ingero_reader_close(r);
	/* hand-made: a node number of 2^20 is a bad record */
	unsigned char raw[128], *p = raw;
	p += put_hdr(p);
	p[-4] = 0x94; *p++ = 4;                             /* FRAME seq 0, base 0, tbits 4 */
	*p++ = 0x97; *p++ = 66; *p++ = 2; *p++ = 1; *p++ = 3; *p++ = 9; *p++ = 9;
	*p++ = 0xcc; *p++ = 0xa3;                           /* node 2, T: dts 3, dur 10 */
	*p++ = 0x97; *p++ = 66; *p++ = 0xce; *p++ = 0x00; *p++ = 0x10; *p++ = 0x00; *p++ = 0x00;
	*p++ = 1; *p++ = 3; *p++ = 9; *p++ = 9; *p++ = 0x05;   /* node 2^20: bad */
	const char *f = tpath("nodeev-hand.igz");
	zframe(f, raw, (size_t)(p - raw), 0);
	T_CHECK(ingero_reader_open(&r, f, &e) == 0, "node events: open hand-made");
	int k = 0, rc;
	uint32_t node = 0;
	uint64_t ts = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1)
		if (rec.kind == INGERO_REC_EVENT) {
			k++;
			node = rec.node;
			ts = rec.u.ev.ts;
		}
	T_CHECK(k == 1 && node == 2 && ts == 3 && rc == 0 && ingero_reader_warnings(r) == 1,
		"node events: hand-made event of node 2; node 2^20 is a bad record");
	ingero_reader_close(r);
}

static void test_unknown_and_extra(void)
{
	unsigned char raw[512], *p = raw;
	p += put_hdr(p);
	/* unknown kind 20 with nested content */
	*p++ = 0x93; *p++ = 20; *p++ = 0xa3; memcpy(p, "abc", 3); p += 3; *p++ = 0x91; *p++ = 0x81; p[-1] = 0x80;
	/* event with 19 elements: 17 known + 2 extra trailing (a string and a map) */
	*p++ = 0xdc; *p++ = 0; *p++ = 19;
	*p++ = 1; *p++ = 1; *p++ = 3; *p++ = 5; *p++ = 6; *p++ = 100; *p++ = 50;
	*p++ = 2; *p++ = 9;   /* cpu, stack_id */
	for (int i = 0; i < 6; i++) *p++ = (unsigned char)(i + 1);
	*p++ = 0xff; *p++ = 0;   /* ret, flags */
	*p++ = 0xa1; *p++ = 'x'; *p++ = 0x81; *p++ = 1; *p++ = 2;
	/* thread with an extra trailing field */
	*p++ = 0x95; *p++ = 3; *p++ = 6; *p++ = 5; *p++ = 0xa2; *p++ = 'w'; *p++ = '1'; *p++ = 0xc3;
	/* short event: only kind..dur -> args default 0 */
	*p++ = 0x97; *p++ = 1; *p++ = 1; *p++ = 5; *p++ = 5; *p++ = 6; *p++ = 10; *p++ = 1;
	const char *f = tpath("unknown.igz");
	zframe(f, raw, (size_t)(p - raw), 0);
	struct ingero_reader *r;
	struct ingero_error e;
	T_CHECK(ingero_reader_open(&r, f, &e) == 0, "forward: open hand-made segment");
	struct ingero_record rec;
	int kinds[8], nk = 0, rc, ev_ok = 0, thr_ok = 0, short_ok = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1 && nk < 8) {
		kinds[nk++] = rec.kind;
		(void)kinds;
		if (rec.kind == INGERO_REC_EVENT && rec.u.ev.op == 3)
			ev_ok = rec.u.ev.ts == 100 && rec.u.ev.dur == 50 && rec.u.ev.pid == 5 && rec.u.ev.tid == 6 &&
				rec.u.ev.arg[0] == 1 && rec.u.ev.arg[5] == 6 && rec.u.ev.ret == -1 &&
				rec.u.ev.cpu == 2 && rec.u.ev.flags == 0 && rec.u.ev.stack_id == 9;
		if (rec.kind == INGERO_REC_EVENT && rec.u.ev.op == 5)
			short_ok = rec.u.ev.ts == 150 + 10 && rec.u.ev.dur == 1 && rec.u.ev.arg[0] == 0 && rec.u.ev.ret == 0;
		if (rec.kind == INGERO_REC_THREAD)
			thr_ok = rec.u.thr.tid == 6 && rec.u.thr.pid == 5 && streq(rec.u.thr.name, "w1");
	}
	T_CHECK(rc == 0 && nk == 5, "forward: unknown kind < 64 skipped (%d records, rc %d)", nk, rc);
	T_CHECK(ingero_reader_warnings(r) == 0, "forward: skipping is silent");
	T_CHECK(ev_ok, "forward: extra trailing event elements ignored");
	T_CHECK(thr_ok, "forward: extra trailing thread element ignored");
	T_CHECK(short_ok, "forward: short event array takes defaults (delta from previous end)");
	const struct ingero_header *h = ingero_reader_header(r);
	T_CHECK(h && h->minor == 7 && streq(h->node, "z") && h->rank == -1, "forward: newer minor, unknown header keys skipped");
	ingero_reader_close(r);

	/* must-understand kind */
	p = raw;
	p += put_hdr(p);
	*p++ = 0x92; *p++ = 3; *p++ = 0;   /* thread with defaults (n=2 < 4) */
	*p++ = 0x92; *p++ = 67; *p++ = 1;   /* 64-66 are known (1.1, 1.3) */
	*p++ = 0x92; *p++ = 3; *p++ = 0;
	f = tpath("critical.igz");
	zframe(f, raw, (size_t)(p - raw), 0);
	ingero_reader_open(&r, f, &e);
	int before = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1)
		before++;
	T_CHECK(rc == INGERO_ECRITICAL && before == 3, "critical: kind >= 64 stops with ECRITICAL after the records before it (rc %d, %d)", rc, before);
	T_CHECK(ingero_reader_next(r, &rec) == INGERO_ECRITICAL, "critical: error is sticky");
	ingero_reader_close(r);

	/* unsupported major */
	p = raw;
	p += put_hdr(p);
	raw[13] = 2;
	f = tpath("major2.igz");
	zframe(f, raw, (size_t)(p - raw), 0);
	ingero_reader_open(&r, f, &e);
	rc = ingero_reader_next(r, &rec);
	T_CHECK(rc == INGERO_EFORMAT, "version: major 2 refused with EFORMAT (rc %d)", rc);
	ingero_reader_close(r);
}

static void test_hostile_lengths(void)
{
	static const unsigned char bad[][8] = {
		{ 0x93, 3, 1, 0xdb, 0xff, 0xff, 0xff, 0xff },   /* str32 4 GiB */
		{ 0x93, 3, 1, 0xc6, 0xff, 0xff, 0xff, 0xff },   /* bin32 4 GiB */
		{ 0xdd, 0xff, 0xff, 0xff, 0xff, 1, 1, 1 },       /* array32 of 4G */
		{ 0x93, 20, 0xdd, 0xff, 0xff, 0xff, 0xff, 0 },   /* unknown kind, nested array32 */
		{ 0x93, 20, 0xdf, 0xff, 0xff, 0xff, 0xff, 0 },   /* map32 */
		{ 0x96, 6, 1, 1, 0xdd, 0xff, 0xff, 0xff },       /* stack ips array32 */
		{ 0x93, 20, 0xc9, 0xff, 0xff, 0xff, 0xff, 1 },   /* ext32 */
	};
	int ok = 0;
	for (size_t t = 0; t < sizeof(bad) / sizeof(bad[0]); t++) {
		unsigned char raw[128], *p = raw;
		p += put_hdr(p);
		*p++ = 0x92; *p++ = 14; *p++ = 0;   /* CTX: one good record first */
		memcpy(p, bad[t], 8); p += 8;
		const char *f = tpath("hostile.igz");
		zframe(f, raw, (size_t)(p - raw), 0);
		/* a good second frame after the bad one */
		unsigned char raw2[16] = { 0x93, INGERO_REC_FRAME, 1, 0, 0x94, 3, 1, 2, 0xa1, 'k' };
		zframe(f, raw2, 10, 1);
		struct ingero_reader *r;
		struct ingero_error e;
		ingero_reader_open(&r, f, &e);
		struct ingero_record rec;
		int rc, n = 0, thr = 0;
		while ((rc = ingero_reader_next(r, &rec)) == 1) {
			n++;
			if (rec.kind == INGERO_REC_THREAD && streq(rec.u.thr.name, "k")) thr = 1;
		}
		const struct ingero_error *w = ingero_reader_last_warning(r);
		if (rc == 0 && thr && ingero_reader_warnings(r) == 1 && w && w->offset == 0 && n == 5)
			ok++;
		else
			printf("# hostile case %zu: rc %d n %d warnings %u\n", t, rc, n, ingero_reader_warnings(r));
		ingero_reader_close(r);
	}
	T_CHECK(ok == (int)(sizeof(bad) / sizeof(bad[0])), "hostile: 4 GiB str/bin/array/map/ext lengths -> warning, next frame read (%d)", ok);

	/* a zstd frame header claiming 4 GiB of content */
	unsigned char z[] = { 0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 1, 0, 0, 0, 0x09, 0, 0, 0x90 };
	const char *f = tpath("bigframe.igz");
	spit(f, z, sizeof(z));
	unsigned warns;
	int rc;
	long n = read_all(f, &warns, &rc);
	T_CHECK(n == 0 && rc == 0 && warns == 1, "hostile: frame claiming 4 GiB content -> warning, no allocation (n %ld rc %d w %u)", n, rc, warns);
}

static void test_empty_and_foreign(void)
{
	const char *f = tpath("empty.igz");
	spit(f, "", 0);
	unsigned warns;
	int rc;
	long n = read_all(f, &warns, &rc);
	T_CHECK(n == 0 && rc == 0 && warns == 1, "empty: zero-length file -> no records, one warning (n %ld rc %d w %u)", n, rc, warns);
	f = tpath("text.txt");
	spit(f, "hello world, not a recording\n", 29);
	struct ingero_reader *r;
	struct ingero_error e;
	rc = ingero_reader_open(&r, f, &e);
	T_CHECK(rc == INGERO_EFORMAT && strstr(e.msg, "at byte 0") && strstr(e.file, "text.txt"), "foreign: text file -> EFORMAT naming file and offset");
	/* valid zstd, not msgpack records */
	unsigned char txt[] = "just some text compressed with zstd";
	zframe(tpath("text.zst"), txt, sizeof(txt) - 1, 0);
	rc = ingero_reader_open(&r, tpath("text.zst"), &e);
	struct ingero_record rec;
	int k = rc == 0 ? ingero_reader_next(r, &rec) : rc;
	T_CHECK(k == INGERO_EFORMAT, "foreign: zstd of non-records -> EFORMAT (%d)", k);
	if (rc == 0) ingero_reader_close(r);
	rc = ingero_reader_open(&r, tpath("does-not-exist"), &e);
	T_CHECK(rc == INGERO_EIO && e.sys_errno == ENOENT, "open: missing file -> EIO/ENOENT");
	char buf[1200];
	ingero_strerror(&e, buf, sizeof(buf));
	T_CHECK(strstr(buf, "does-not-exist: cannot open") != NULL, "strerror: 'file: msg' (%s)", buf);
	mkdir(tpath("emptydir"), 0755);
	rc = ingero_reader_open(&r, tpath("emptydir"), &e);
	T_CHECK(rc == INGERO_EFORMAT, "open: directory without segments -> EFORMAT");
}

static int rotations;
static void on_rot(void *ctx, struct ingero_writer *w)
{
	(void)ctx;
	rotations++;
	struct ingero_record rec = { .kind = INGERO_REC_PROCESS };
	rec.u.proc = (struct ingero_process){ .pid = 10, .comm = "worker", .cmdline = "worker", .rank = -1,
					      .local_rank = -1, .world_size = -1 };
	ingero_writer_append(w, &rec);
}

static long write_dir(const char *dir, uint64_t budget, int nev, uint64_t *deleted)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.dir = dir;
	o.frame_max_bytes = 2000;
	o.seg_max_bytes = 1500;
	o.disk_budget = budget;
	o.on_rotate = on_rot;
	o.fsync = INGERO_FSYNC_NONE;
	rotations = 0;
	if (ingero_writer_open(&w, &o, &e))
		return -1;
	uint64_t x = 1;
	for (int i = 0; i < nev; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		struct ingero_event ev = { .ts = 2000000000 + (uint64_t)i * 1000, .dur = (x >> 40) & 0xffff,
			.pid = 10, .tid = 10, .source = 1, .op = 3, .arg = { x >> 20, 7 } };
		if (ingero_writer_event(w, &ev))
			return -1;
	}
	if (deleted) *deleted = ingero_writer_deleted_segments(w);
	return ingero_writer_close(w);
}

static void test_directory(void)
{
	const char *d = tpath("rec");
	T_CHECK(write_dir(d, 0, 3000, NULL) == 0, "dir: write with rotation");
	T_CHECK(rotations >= 3, "dir: rotated %d times, on_rotate called", rotations);
	struct ingero_reader *r;
	struct ingero_error e;
	T_CHECK(ingero_reader_open(&r, d, &e) == 0, "dir: open");
	struct ingero_record rec;
	int rc, hdrs = 0, seq_ok = 1, ts_ok = 1, procs = 0, footers = 0;
	long events = 0;
	uint64_t last = 0, foot_events = 0;
	while ((rc = ingero_reader_next(r, &rec)) == 1) {
		if (rec.kind == INGERO_REC_HEADER) {
			hdrs++;
			if (rec.u.hdr.segment != (uint32_t)hdrs) seq_ok = 0;
			if (!strstr(rec.file, "seg-")) seq_ok = 0;
		}
		if (rec.kind == INGERO_REC_EVENT) {
			if (rec.u.ev.ts != 2000000000 + (uint64_t)events * 1000) ts_ok = 0;
			events++;
			last = rec.u.ev.ts;
		}
		if (rec.kind == INGERO_REC_PROCESS) procs++;
		if (rec.kind == INGERO_REC_FOOTER) { footers++; foot_events += rec.u.footer.events; }
	}
	(void)last;
	T_CHECK(rc == 0 && events == 3000 && ts_ok, "dir: all events in order across segments (%ld)", events);
	T_CHECK(hdrs == rotations + 1 && seq_ok, "dir: one header per segment, segment numbers 1..%d", hdrs);
	T_CHECK(procs == rotations, "dir: on_rotate metadata in every later segment");
	T_CHECK(footers == hdrs && foot_events == 3000, "dir: per-segment footers count every event");
	T_CHECK(ingero_reader_warnings(r) == 0, "dir: no warnings");
	ingero_reader_close(r);

	/* a second writer into the same directory continues the numbering */
	struct stat st;
	char p[800];
	snprintf(p, sizeof(p), "%s/seg-%06d.igz", d, hdrs + 1);
	T_CHECK(write_dir(d, 0, 10, NULL) == 0 && stat(p, &st) == 0, "dir: reopening never clobbers segments");
}

static void test_budget(void)
{
	const char *d = tpath("budget");
	uint64_t deleted = 0;
	T_CHECK(write_dir(d, 6000, 3000, &deleted) == 0, "budget: write");
	T_CHECK(deleted > 0, "budget: %llu oldest segments deleted", (unsigned long long)deleted);
	char p[800];
	snprintf(p, sizeof(p), "%s/seg-000001.igz", d);
	struct stat st;
	T_CHECK(stat(p, &st) < 0, "budget: seg-000001 is gone");
	uint64_t total = 0;
	int remaining = 0, contiguous = 1;
	for (int i = 1; i <= rotations + 1; i++) {
		snprintf(p, sizeof(p), "%s/seg-%06d.igz", d, i);
		int exists = stat(p, &st) == 0;
		if (exists) { total += (uint64_t)st.st_size; remaining++; }
		if (i > (int)deleted && !exists) contiguous = 0;
		if (i <= (int)deleted && exists) contiguous = 0;
	}
	T_CHECK(contiguous && remaining == rotations + 1 - (int)deleted, "budget: oldest whole segments deleted, newest kept");
	T_CHECK(total <= 6000 + 3000, "budget: disk use %llu near the 6000-byte budget", (unsigned long long)total);
	unsigned warns;
	int rc;
	long n = read_all(d, &warns, &rc);
	T_CHECK(n > 0 && rc == 0 && warns == 0, "budget: remaining segments read without warnings");
}

static long read_stdin_from(const char *path, unsigned *warns, int *rc)
{
	int saved = dup(0);
	int fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	long n = read_all("-", warns, rc);
	dup2(saved, 0);
	close(saved);
	return n;
}

static void test_bundles(void)
{
	const char *d = tpath("rec");   /* from test_directory */
	unsigned warns;
	int rc;
	long want = read_all(d, &warns, &rc);
	char cmd[2400];
	struct { const char *name, *flag; } fmts[] = { { "b.tar", "" }, { "b.tar.gz", "-z" }, { "b.tar.zst", "--zstd" } };
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && tar %s -cf '%s' $(ls | sort) 2>/dev/null", d, fmts[i].flag, tpath(fmts[i].name));
		if (system(cmd) != 0) {
			T_SKIP("bundle %s: tar %s failed", fmts[i].name, fmts[i].flag);
			continue;
		}
		long got = read_all(tpath(fmts[i].name), &warns, &rc);
		T_CHECK(got == want && rc == 0 && warns == 0, "bundle: %s read in place (%ld of %ld records)", fmts[i].name, got, want);
	}
	/* entries out of name order: read in archive order, with a warning */
	snprintf(cmd, sizeof(cmd), "cd '%s' && tar -cf '%s' seg-000002.igz seg-000001.igz 2>/dev/null", d, tpath("rev.tar"));
	if (system(cmd) == 0) {
		struct ingero_reader *rr;
		struct ingero_error ee;
		struct ingero_record rec;
		uint32_t segs[4];
		int ns = 0;
		if (ingero_reader_open(&rr, tpath("rev.tar"), &ee) == 0) {
			while (ingero_reader_next(rr, &rec) == 1)
				if (rec.kind == INGERO_REC_HEADER && ns < 4) segs[ns++] = rec.u.hdr.segment;
			T_CHECK(ns == 2 && segs[0] == 1 && segs[1] == 2 && ingero_reader_warnings(rr) == 0,
				"bundle: entries read in name order from a file bundle stored out of order");
			ingero_reader_close(rr);
		}
		long got = read_stdin_from(tpath("rev.tar"), &warns, &rc);
		T_CHECK(got > 0 && rc == 0 && warns == 1, "bundle: on stdin, out-of-order entries are read as stored, with a warning (%u)", warns);
	}
	/* record.file names bundle:entry */
	struct ingero_reader *r;
	struct ingero_error e;
	if (ingero_reader_open(&r, tpath("b.tar"), &e) == 0) {
		struct ingero_record rec;
		int named = ingero_reader_next(r, &rec) == 1 && strstr(rec.file, "b.tar:seg-") != NULL;
		T_CHECK(named, "bundle: record file is 'bundle:entry'");
		ingero_reader_close(r);
	}
}

static void test_stdin(void)
{
	unsigned w1, w2;
	int rc1, rc2;
	long a = read_all(tpath("all.igz"), &w1, &rc1);
	long b = read_stdin_from(tpath("all.igz"), &w2, &rc2);
	T_CHECK(a > 0 && a == b && rc2 == 0 && w2 == 0, "stdin: segment stream (%ld of %ld)", b, a);
	a = read_all(tpath("rec"), &w1, &rc1);
	b = read_stdin_from(tpath("b.tar.zst"), &w2, &rc2);
	T_CHECK(a == b && rc2 == 0, "stdin: tar.zst bundle detected by content (%ld of %ld)", b, a);
	/* a directory of segments concatenated is also one valid stream */
	char cmd[2400];
	snprintf(cmd, sizeof(cmd), "cat '%s'/seg-*.igz > '%s'", tpath("rec"), tpath("cat.igz"));
	if (system(cmd) == 0) {
		b = read_all(tpath("cat.igz"), &w2, &rc2);
		T_CHECK(a == b && rc2 == 0 && w2 == 0, "concat: cat seg-*.igz reads as one stream");
	}
}

static void test_enospc(void)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = "/dev/full";
	if (access("/dev/full", W_OK) != 0) {
		T_SKIP("enospc: /dev/full not writable");
	} else {
		int rc = ingero_writer_open(&w, &o, &e);
		T_CHECK(rc == 0, "enospc: open /dev/full");
		if (rc == 0) {
			struct ingero_event ev = { .ts = 1000000001, .dur = 5, .pid = 1, .tid = 1, .source = 1, .op = 1 };
			ingero_writer_event(w, &ev);
			int fr = ingero_writer_flush(w);
			const struct ingero_error *we = ingero_writer_error(w);
			T_CHECK(fr == INGERO_ENOSPC && we && we->code == INGERO_ENOSPC && we->sys_errno == ENOSPC,
				"enospc: flush reports INGERO_ENOSPC (%d)", fr);
			ingero_writer_event(w, &ev);
			T_CHECK(ingero_writer_flush(w) == INGERO_ENOSPC, "enospc: a later append retries (and fails again)");
			T_CHECK(ingero_writer_close(w) == INGERO_ENOSPC, "enospc: close returns the first error");
		}
	}
	/* a real file system that fills up: earlier frames stay intact */
	const char *mnt = tpath("tiny");
	mkdir(mnt, 0755);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
		T_SKIP("enospc: tiny tmpfs needs root (mount)");
		return;
	}
	char path[800];
	snprintf(path, sizeof(path), "%s/full.igz", mnt);
	base_opts(&o);
	o.path = path;
	o.zstd_level = 1;
	o.frame_max_bytes = 16384;
	o.fsync = INGERO_FSYNC_FRAME;
	int first_err = 0, rc = ingero_writer_open(&w, &o, &e);
	uint64_t x = 7, okframes = 0;
	for (int i = 0; rc == 0 && i < 400000 && !first_err; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		struct ingero_event ev = { .ts = 1000000000 + (uint64_t)i * 100, .dur = x >> 50, .pid = 1, .tid = 1,
			.source = 1, .op = 3, .arg = { x, x >> 7, x >> 13 } };
		int k = ingero_writer_event(w, &ev);
		if (k == INGERO_ENOSPC) first_err = k;
		else if (k == 0 && ingero_writer_bytes(w)) okframes = ingero_writer_bytes(w);
	}
	T_CHECK(first_err == INGERO_ENOSPC, "enospc: tmpfs full -> INGERO_ENOSPC from append");
	ingero_writer_close(w);
	struct stat st;
	stat(path, &st);
	unsigned warns;
	int rrc;
	long n = read_all(path, &warns, &rrc);
	T_CHECK(n > 0 && rrc == 0 && warns == 0 && (uint64_t)st.st_size <= okframes + 64,
		"enospc: file cut back to whole frames, all readable (%ld records, %u warnings)", n, warns);

	/* space comes back: the next frame is written and close reports no error */
	unlink(path);
	char filler[800];
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	int ffd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char blk[4096];
	while (ffd >= 0 && write(ffd, blk, sizeof(blk)) > 0)
		;
	if (ffd >= 0)
		close(ffd);
	base_opts(&o);
	o.path = path;
	rc = ingero_writer_open(&w, &o, &e);
	if (rc != 0) {
		/* even the header did not fit: make room for it first */
		truncate(filler, 16384);
		rc = ingero_writer_open(&w, &o, &e);
	}
	T_CHECK(rc == 0, "enospc recovery: open on a nearly full fs (%d)", rc);
	if (rc == 0) {
		struct ingero_event ev = { .ts = 1000000001, .dur = 5, .pid = 1, .tid = 1, .source = 1, .op = 1 };
		int fr = 0;
		for (int i = 0; i < 2000 && fr == 0; i++) {
			ev.arg[0] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
			ingero_writer_event(w, &ev);
			ev.ts += 1000;
			if (i % 100 == 99)
				fr = ingero_writer_flush(w);
		}
		T_CHECK(fr == INGERO_ENOSPC && ingero_writer_error(w), "enospc recovery: the fs fills (%d)", fr);
		unlink(filler);
		ingero_writer_event(w, &ev);
		T_CHECK(ingero_writer_flush(w) == 0 && !ingero_writer_error(w),
			"enospc recovery: a frame written after space returns clears the error");
		T_CHECK(ingero_writer_close(w) == 0, "enospc recovery: close reports no error once recovered");
		n = read_all(path, &warns, &rrc);
		T_CHECK(n > 0 && rrc == 0 && warns == 0, "enospc recovery: file readable (%ld records, %u warnings)",
			n, warns);
	}
	umount(mnt);
}

static void test_frame_bounds(void)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.path = tpath("timeframes.igz");
	o.frame_max_ns = 1000000;   /* 1 ms */
	ingero_writer_open(&w, &o, &e);
	for (int i = 0; i < 100; i++) {   /* 100 events over 10 ms */
		struct ingero_event ev = { .ts = 1000000000 + (uint64_t)i * 100000, .dur = 10, .pid = 1, .tid = 1,
			.source = 1, .op = 5 };
		ingero_writer_event(w, &ev);
	}
	ingero_writer_flush(w);
	ingero_writer_flush(w);   /* empty flush writes nothing */
	ingero_writer_close(w);
	struct ingero_reader *r;
	ingero_reader_open(&r, o.path, &e);
	struct ingero_record rec;
	int frames = 0, ev = 0, ok = 1;
	uint64_t base = 0;
	while (ingero_reader_next(r, &rec) == 1) {
		if (rec.kind == INGERO_REC_FRAME) { frames++; base = rec.u.frame.base_ts; if (rec.u.frame.seq != (uint64_t)frames - 1) ok = 0; }
		if (rec.kind == INGERO_REC_EVENT) {
			if (rec.u.ev.ts - base >= 1000000) ok = 0;
			ev++;
		}
	}
	ingero_reader_close(r);
	T_CHECK(frames == 10 || frames == 11, "frames: closed every 1 ms of recorded time (%d frames)", frames);
	T_CHECK(ok && ev == 100, "frames: sequence numbers and spans within the bound");
	/* appends the writer refuses */
	ingero_writer_open(&w, &o, &e);
	struct ingero_record bad = { .kind = INGERO_REC_HEADER };
	T_CHECK(ingero_writer_append(w, &bad) == INGERO_EINVAL, "writer: HEADER append refused");
	bad.kind = INGERO_REC_FRAME;
	T_CHECK(ingero_writer_append(w, &bad) == INGERO_EINVAL, "writer: FRAME append refused");
	bad.kind = 99;
	T_CHECK(ingero_writer_append(w, &bad) == INGERO_EINVAL, "writer: unknown kind refused");
	ingero_writer_close(w);
	T_CHECK(ingero_writer_close(NULL) == 0, "writer: close(NULL) accepted");
	ingero_reader_close(NULL);
	struct ingero_writer_opts none;
	memset(&none, 0, sizeof(none));
	T_CHECK(ingero_writer_open(&w, &none, &e) == INGERO_EINVAL, "writer: needs dir or path");
}

static void test_time_rotation(void)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	base_opts(&o);
	o.dir = tpath("timerot");
	o.frame_max_ns = 500000;     /* 0.5 ms */
	o.seg_max_ns = 2000000;      /* 2 ms */
	rotations = 0;
	o.on_rotate = on_rot;
	T_CHECK(ingero_writer_open(&w, &o, &e) == 0, "time rotation: open");
	for (int i = 0; i < 100; i++) {   /* 10 ms of events */
		struct ingero_event ev = { .ts = 5000000000ull + (uint64_t)i * 100000, .dur = 50, .pid = 1, .tid = 1,
			.source = 1, .op = 3 };
		ingero_writer_event(w, &ev);
	}
	ingero_writer_close(w);
	T_CHECK(rotations >= 3 && rotations <= 5, "time rotation: a segment per ~2 ms of recorded time (%d rotations)", rotations);
	unsigned warns;
	int rc;
	long n = read_all(o.dir, &warns, &rc);
	T_CHECK(n > 100 && rc == 0 && warns == 0, "time rotation: segments read back (%ld records)", n);
}

static void big_rot(void *ctx, struct ingero_writer *w)
{
	static char big[3000];
	memset(big, 'm', sizeof(big) - 1);
	(*(int *)ctx)++;
	struct ingero_record rec = { .kind = INGERO_REC_NOTE };
	rec.u.note = (struct ingero_note){ 1, 0, big };
	for (int i = 0; i < 4; i++)
		ingero_writer_append(w, &rec);
}

static void test_rotate_callback_bounded(void)
{
	struct ingero_writer_opts o;
	struct ingero_writer *w;
	struct ingero_error e;
	int calls = 0;
	base_opts(&o);
	o.dir = tpath("bigrot");
	o.seg_max_bytes = 100;       /* smaller than a header frame */
	o.frame_max_bytes = 1000;    /* the callback's notes close frames */
	o.on_rotate = big_rot;
	o.rotate_ctx = &calls;
	ingero_writer_open(&w, &o, &e);
	for (int i = 0; i < 20; i++) {
		struct ingero_event ev = { .ts = 1000000000 + (uint64_t)i, .pid = 1, .tid = 1, .source = 1, .op = 3 };
		ingero_writer_event(w, &ev);
		ingero_writer_flush(w);
	}
	T_CHECK(ingero_writer_close(w) == 0, "rotation: callback writing more than a segment does not recurse");
	T_CHECK(calls >= 1 && calls <= 21, "rotation: one callback per rotation (%d)", calls);
	unsigned warns;
	int rc;
	long n = read_all(o.dir, &warns, &rc);
	T_CHECK(n > 20 && rc == 0 && warns == 0, "rotation: all segments readable (%ld records)", n);
}

static void test_clock(void)
{
	struct ingero_clock c;
	ingero_clock_init(&c);
	T_CHECK(ingero_clock_to_wall(&c, 123) == 123, "clock: no anchors -> unchanged");
	struct ingero_anchor a1 = { 1000, 1000000000000ull, 0, 0 };
	ingero_clock_add(&c, &a1);
	T_CHECK(ingero_clock_to_wall(&c, 1500) == 1000000000500ll && ingero_clock_to_wall(&c, 500) == 999999999500ll,
		"clock: one anchor -> offset, slope 1");
	/* second anchor: the clock ran 1000 ppm fast in wall terms */
	struct ingero_anchor a2 = { 1000001000, 1000000000000ull + 1001000000ull, 0, 0 };
	struct ingero_anchor a0 = { 2000001000ull, 1000000000000ull + 2002000000ull, 0, 0 };
	ingero_clock_add(&c, &a0);   /* out of order */
	ingero_clock_add(&c, &a2);
	T_CHECK(c.n == 3 && c.a[1].boottime == 1000001000, "clock: anchors kept sorted");
	T_CHECK(ingero_clock_to_wall(&c, 500001000) == 1000000000000ll + 500500000ll, "clock: interpolates between anchors");
	T_CHECK(ingero_clock_to_wall(&c, 0) == 1000000000000ll - 1001, "clock: extrapolates before the first with its segment's slope");
	T_CHECK(ingero_clock_to_wall(&c, 3000001000ull) == 1000000000000ll + 3003000000ll,
		"clock: extrapolates after the last with its segment's slope");
	c.identity = 1;
	T_CHECK(ingero_clock_to_wall(&c, 42) == 42, "clock: identity for unix-clock recordings");
	ingero_clock_release(&c);
	T_CHECK(c.n == 0 && c.a == NULL, "clock: release");
}

static void test_names(void)
{
	int s = 0, o = 0;
	T_CHECK(streq(ingero_source_name(INGERO_SRC_CUDA), "cuda") && streq(ingero_source_name(INGERO_SRC_NCCL), "nccl") &&
		ingero_source_name(2) == NULL && ingero_source_name(99) == NULL, "names: sources");
	T_CHECK(streq(ingero_op_name(1, INGERO_CUDA_STREAM_SYNC), "cudaStreamSync") &&
		streq(ingero_op_name(4, INGERO_DRV_CTX_SYNC), "cuCtxSynchronize") &&
		streq(ingero_op_name(3, INGERO_HOST_PAGE_ALLOC), "mm_page_alloc") &&
		streq(ingero_op_name(8, INGERO_GRAPH_LAUNCH), "graphLaunch") &&
		streq(ingero_op_name(9, INGERO_NCCL_RECV), "Recv") && ingero_op_name(1, 13) == NULL &&
		ingero_op_name(1, -1) == NULL, "names: ops as the original's table");
	T_CHECK(ingero_op_lookup("CUDASTREAMSYNC", &s, &o) == 0 && s == 1 && o == 5, "names: lookup case-insensitive");
	T_CHECK(ingero_op_lookup("cudaStreamSynchronize", &s, &o) == 0 && s == 1 && o == 5, "names: API spelling alias");
	T_CHECK(ingero_op_lookup("cuMemAlloc_v2", &s, &o) == 0 && s == 4 && o == 5, "names: cuMemAlloc_v2 alias");
	T_CHECK(ingero_op_lookup("sched_switch", &s, &o) == 0 && s == 3 && o == 1, "names: host op");
	T_CHECK(ingero_op_lookup("noSuchOp", &s, &o) == -1 && ingero_op_lookup(NULL, &s, &o) == -1, "names: unknown -> -1");
}

int main(void)
{
	build_samples();
	test_roundtrip();
	test_strings();
	test_deterministic();
	test_msgpack_valid();
	test_truncation();
	test_flips();
	test_unknown_and_extra();
	test_hostile_lengths();
	test_empty_and_foreign();
	test_directory();
	test_budget();
	test_bundles();
	test_stdin();
	test_enospc();
	test_frame_bounds();
	test_time_rotation();
	test_rotate_callback_bounded();
	test_clock();
	test_names();
	test_packed();
	test_node_events();
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir());
	if (system(cmd) != 0) { /* scratch left behind */ }
	T_DONE();
}
