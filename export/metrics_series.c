/*
 * metrics_series.c - the series engine of ingero-metrics (see metrics.h):
 * windows, per-series state, the spill file and the regrouping by series.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

/* bucket bounds: CUDA call durations in microseconds, step durations in ns */
static const double us_bounds[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
				    10000, 20000, 50000, 100000, 200000, 500000, 1000000 };
static const double step_bounds[] = { 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7,
				      1e8, 2.5e8, 5e8, 1e9, 2.5e9, 5e9, 1e10 };
static const double ms_bounds[] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000 };
#define NB(a) (int)(sizeof(a) / sizeof(a[0]))

const struct mt_family mt_families[F_MAX] = {
	[F_OP_COUNT] = { "gpu.cuda.operation.count", "gpu_cuda_operation_count", "unknown", "{call}",
			 "Total event count per operation", MT_COUNTER, 1, NULL, 0 },
	[F_OP_DUR] = { "gpu.cuda.operation.duration", "gpu_cuda_operation_duration_microseconds", "gauge", "us",
		       "CUDA operation latency percentiles", MT_PCTL, 0, us_bounds, NB(us_bounds), 1000 },
	[F_ANOMALY] = { "ingero.anomaly.count", "ingero_anomaly_count", "unknown", "{chain}",
			"Total anomaly events (causal chains)", MT_COUNTER, 1, NULL, 0 },
	[F_CPU_UTIL] = { "system.cpu.utilization", "system_cpu_utilization", "gauge", "1",
			 "System CPU utilization ratio", MT_GAUGE, 0, NULL, 0 },
	[F_MEM_UTIL] = { "system.memory.utilization", "system_memory_utilization", "gauge", "1",
			 "System memory utilization ratio", MT_GAUGE, 0, NULL, 0 },
	[F_MEM_AVAIL] = { "system.memory.usage.available", "system_memory_usage_available", "gauge", "By",
			  "Available memory in bytes", MT_GAUGE, 1, NULL, 0 },
	[F_LOAD1] = { "system.cpu.load_average.1m", "system_cpu_load_average_1m", "gauge", "{thread}",
		      "1-minute load average", MT_GAUGE, 0, NULL, 0 },
	[F_SWAP] = { "system.paging.usage", "system_paging_usage_bytes", "gauge", "By",
		     "Swap in use in bytes", MT_GAUGE, 1, NULL, 0 },
	[F_THR_POWER] = { "gpu.throttle.power_active", "gpu_throttle_power_active", "gauge", "1",
			  "GPU clock throttling for power reasons (1=active)", MT_GAUGE, 1, NULL, 0 },
	[F_THR_THERMAL] = { "gpu.throttle.thermal_active", "gpu_throttle_thermal_active", "gauge", "1",
			    "GPU clock throttling for thermal reasons (1=active)", MT_GAUGE, 1, NULL, 0 },
	[F_THR_SW] = { "gpu.throttle.sw_active", "gpu_throttle_sw_active", "gauge", "1",
		       "GPU clock throttling for software-imposed reasons (1=active)", MT_GAUGE, 1, NULL, 0 },
	[F_THR_HW] = { "gpu.throttle.hw_active", "gpu_throttle_hw_active", "gauge", "1",
		       "GPU clock throttling for hardware reasons, umbrella (1=active)", MT_GAUGE, 1, NULL, 0 },
	[F_GPU_MEM_USED] = { "gpu.memory.used_bytes", "gpu_memory_used_bytes", "gauge", "By",
			     "GPU memory currently allocated (NVML poll)", MT_GAUGE, 1, NULL, 0 },
	[F_GPU_MEM_FREE] = { "gpu.memory.free_bytes", "gpu_memory_free_bytes", "gauge", "By",
			     "GPU memory free (NVML poll)", MT_GAUGE, 1, NULL, 0 },
	[F_GPU_MEM_TOTAL] = { "gpu.memory.total_bytes", "gpu_memory_total_bytes", "gauge", "By",
			      "Total GPU memory (NVML poll)", MT_GAUGE, 1, NULL, 0 },
	[F_GPU_UTIL] = { "gpu.utilization", "gpu_utilization", "gauge", "1",
			 "GPU utilization ratio (NVML poll)", MT_GAUGE, 0, NULL, 0 },
	[F_MEMCPY_BYTES] = { "gpu.memcpy.bytes_total", "gpu_memcpy_bytes_total", "counter", "By",
			     "Cumulative CUDA memcpy bytes by direction", MT_COUNTER, 1, NULL, 0 },
	[F_MEMCPY_DUR] = { "gpu.memcpy.duration_ms", "gpu_memcpy_duration_ms", "histogram", "ms",
			   "Per-event CUDA memcpy duration by direction", MT_HIST, 0, ms_bounds, NB(ms_bounds), 1e6 },
	[F_NCCL_COUNT] = { "gpu.nccl.collective.count", "gpu_nccl_collective_count", "unknown", "{call}",
			   "Total NCCL collective events captured per op_type", MT_COUNTER, 1, NULL, 0 },
	[F_NCCL_BYTES] = { "gpu.nccl.collective.bytes_total", "gpu_nccl_collective_bytes_total", "counter", "By",
			   "Cumulative bytes transferred by NCCL collective per op_type", MT_COUNTER, 1, NULL, 0 },
	[F_NCCL_DUR] = { "nccl.collective.duration_ms", "nccl_collective_duration_ms", "histogram", "ms",
			 "NCCL collective call duration (enqueue time, not the barrier wait)", MT_HIST, 0, ms_bounds,
			 NB(ms_bounds), 1e6 },
	[F_OFFCPU] = { "ingero.process.offcpu.time", "ingero_process_offcpu_time_seconds_total", "counter", "s",
		       "Cumulative off-CPU time per process (preempted or blocked)", MT_COUNTER, 0, NULL, 0, 1e9 },
	[F_STEP_DUR] = { "ingero.infer.step_duration_ns", "ingero_infer_step_duration_ns", "histogram", "ns",
			 "Per-workload step duration distribution (cumulative)", MT_HIST, 0, step_bounds,
			 NB(step_bounds) },
	[F_STEP_OUTLIER] = { "ingero.infer.outlier_total", "ingero_infer_outlier_total", "counter", "{step}",
			     "Cumulative step-duration outliers per bucket", MT_COUNTER, 1, NULL, 0 },
	[F_STEP_MEAN] = { "ingero.infer.baseline_mean_ns", "ingero_infer_baseline_mean_ns", "gauge", "ns",
			  "Per-workload step baseline mean", MT_GAUGE, 0, NULL, 0 },
	[F_STEP_P95] = { "ingero.infer.baseline_p95_ns", "ingero_infer_baseline_p95_ns", "gauge", "ns",
			 "Per-workload step baseline p95", MT_GAUGE, 0, NULL, 0 },
};

int mt_nvals(const struct mt_family *f)
{
	switch (f->kind) {
	case MT_PCTL: return MT_PCT_N + 2 + f->nb + 1;
	case MT_HIST: return 2 + f->nb + 1;
	default: return 1;
	}
}

void mt_init(struct mt_engine *e, int64_t tmin, int64_t tmax, int64_t step, const char *tmpnear)
{
	memset(e, 0, sizeof *e);
	e->step = step;
	e->t0 = tmin - (((tmin % step) + step) % step);
	e->nw = (tmax - e->t0) / step + 1;
	e->nodes = xcalloc(1, sizeof *e->nodes);
	e->grp_fd = -1;
	e->spill_path = ig_tmp_create(tmpnear, ".spill");
	if (!e->spill_path || !(e->spill = fopen(e->spill_path, "w+b")))
		ig_die("cannot create a scratch file: %s", strerror(errno));
	setvbuf(e->spill, NULL, _IOFBF, 1 << 20);
}

void mt_release(struct mt_engine *e)
{
	for (size_t i = 0; i < e->n; i++) {
		struct mt_series *s = &e->s[i];
		for (int j = 0; j < s->nlab; j++)
			free(s->lv[j]);
		free(s->key);
		free(s->bk);
		free(s->obs);
	}
	free(e->s);
	free(e->order);
	ig_map_release(&e->idx);
	if (e->nodes) {
		ig_strtab_release(e->nodes);
		free(e->nodes);
	}
	if (e->spill)
		fclose(e->spill);
	if (e->grp_fd >= 0)
		close(e->grp_fd);
	char *paths[2] = { e->spill_path, e->grp_path };
	for (int i = 0; i < 2; i++) {
		if (!paths[i])
			continue;
		unlink(paths[i]);
		ig_tmp_unregister(paths[i]);
		free(paths[i]);
	}
	memset(e, 0, sizeof *e);
}

static double fam_div(const struct mt_family *f)
{
	return f->div > 0 ? f->div : 1;
}

uint32_t mt_series(struct mt_engine *e, int fam, const char *node, int nlab0,
		   const char *const *keys0, const char *const *vals0)
{
	const char *keys[MT_MAXLAB], *vals[MT_MAXLAB];
	int nlab = 0;
	for (int i = 0; i < nlab0 && nlab < MT_MAXLAB; i++)
		if (vals0[i][0]) {
			keys[nlab] = keys0[i];
			vals[nlab++] = vals0[i];
		}
	uint64_t h = ig_fnv64a(IG_FNV64_OFFSET, &fam, sizeof fam);
	const char *nd = node ? node : "";
	h = ig_fnv64a(h, nd, strlen(nd) + 1);
	for (int i = 0; i < nlab; i++) {
		h = ig_fnv64a(h, keys[i], strlen(keys[i]) + 1);
		h = ig_fnv64a(h, vals[i], strlen(vals[i]) + 1);
	}
	if (h == IG_MAP_EMPTY)
		h--;
	/* open addressing over the hash: probe h, h+1, ... on a mismatch */
	uint32_t node_id = node ? ig_strtab_id(e->nodes, node) : 0;
	uint64_t k = h;
	for (uint64_t *p; (p = ig_map_get(&e->idx, k)); k = k + 1 == IG_MAP_EMPTY ? 0 : k + 1) {
		struct mt_series *s = &e->s[*p];
		int same = (int)s->fam == fam && s->node == node_id && s->nlab == nlab;
		for (int i = 0; same && i < nlab; i++)
			same = !strcmp(s->lk[i], keys[i]) && !strcmp(s->lv[i], vals[i]);
		if (same)
			return (uint32_t)*p;
	}
	ig_grow(&e->s, &e->cap, e->n + 1, sizeof *e->s);
	struct mt_series *s = &e->s[e->n];
	memset(s, 0, sizeof *s);
	s->fam = (uint32_t)fam;
	s->node = node_id;
	s->nlab = nlab;
	size_t klen = 0;
	for (int i = 0; i < s->nlab; i++) {
		s->lk[i] = keys[i];
		s->lv[i] = xstrdup(vals[i]);
		klen += strlen(keys[i]) + strlen(vals[i]) + 2;
	}
	/* sort key: node, then the label values in order */
	s->key = xmalloc(klen + strlen(nd) + 2);
	char *q = s->key;
	q += sprintf(q, "%s", nd);
	for (int i = 0; i < s->nlab; i++) {
		*q++ = '\x01';
		q += sprintf(q, "%s", s->lv[i]);
	}
	s->first_w = e->cur_w < 0 ? 0 : e->cur_w;
	const struct mt_family *f = &mt_families[fam];
	if (f->kind == MT_PCTL || f->kind == MT_HIST)
		s->bk = xcalloc((size_t)f->nb + 1, sizeof *s->bk);
	ig_map_xput(&e->idx, k, e->n);
	return (uint32_t)e->n++;
}

void mt_pass_begin(struct mt_engine *e)
{
	e->pass_first = e->n;
	e->cur_w = 0;
}

static void flush_window(struct mt_engine *e, int64_t w)
{
	double vals[64];
	struct { uint32_t series, pad; int64_t w; } hdr;
	for (size_t i = e->pass_first; i < e->n; i++) {
		struct mt_series *s = &e->s[i];
		const struct mt_family *f = &mt_families[s->fam];
		int nv = mt_nvals(f);
		double div = fam_div(f);
		switch (f->kind) {
		case MT_COUNTER:
			vals[0] = (double)s->iv / div;
			break;
		case MT_GAUGE:
			vals[0] = s->v;
			break;
		case MT_PCTL:
			if (s->nobs) {
				/* p99 first: then p95 and p50 lie in a[0..r99] */
				size_t n = s->nobs, r99 = ig_rank(n, 0.99), r95 = ig_rank(n, 0.95), r50 = ig_rank(n, 0.50);
				vals[2] = (double)ig_kth_i64(s->obs, n, r99) / div;
				vals[1] = (double)ig_kth_i64(s->obs, r99 + 1, r95) / div;
				vals[0] = (double)ig_kth_i64(s->obs, r95 + 1, r50) / div;
				s->nobs = 0;
			} else {
				for (int k = 0; k < MT_PCT_N; k++)
					vals[k] = NAN;
			}
			vals[MT_PCT_N] = (double)s->count;
			vals[MT_PCT_N + 1] = (double)s->iv / div;
			for (int k = 0; k <= f->nb; k++)
				vals[MT_PCT_N + 2 + k] = (double)s->bk[k];
			break;
		case MT_HIST:
			vals[0] = (double)s->count;
			vals[1] = (double)s->iv / div;
			for (int k = 0; k <= f->nb; k++)
				vals[2 + k] = (double)s->bk[k];
			break;
		}
		hdr.series = (uint32_t)i;
		hdr.pad = 0;
		hdr.w = w;
		fwrite(&hdr, sizeof hdr, 1, e->spill);
		fwrite(vals, sizeof(double), (size_t)nv, e->spill);
		e->spill_bytes += sizeof hdr + sizeof(double) * (size_t)nv;
		e->points++;
	}
}

void mt_at(struct mt_engine *e, int64_t ts)
{
	int64_t w = mt_window(e, ts);
	while (e->cur_w < w)
		flush_window(e, e->cur_w++);
}

void mt_pass_end(struct mt_engine *e)
{
	while (e->cur_w < e->nw)
		flush_window(e, e->cur_w++);
}

/* compared in the input's integer unit, so SQL can count the same buckets
 * exactly (duration <= bound * div) */
static void bucket_add(struct mt_series *s, const struct mt_family *f, int64_t v)
{
	int k = 0;
	double d = fam_div(f);
	while (k < f->nb && (double)v > f->bounds[k] * d)
		k++;
	s->bk[k]++;
}

void mt_obs(struct mt_engine *e, uint32_t si, int64_t ns)
{
	struct mt_series *s = &e->s[si];
	ig_grow(&s->obs, &s->capobs, s->nobs + 1, sizeof *s->obs);
	s->obs[s->nobs++] = ns;
	mt_hist(e, si, ns);
}

void mt_hist(struct mt_engine *e, uint32_t si, int64_t v)
{
	struct mt_series *s = &e->s[si];
	const struct mt_family *f = &mt_families[s->fam];
	s->count++;
	s->iv += v;
	bucket_add(s, f, v);
}

static const struct mt_engine *sort_e;
static int cmp_series(const void *a, const void *b)
{
	const struct mt_series *x = &sort_e->s[*(const uint32_t *)a], *y = &sort_e->s[*(const uint32_t *)b];
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return strcmp(x->key, y->key);
}

#define DROP_EVERY (4u << 20)

int mt_finish(struct mt_engine *e)
{
	e->order = xmalloc((e->n ? e->n : 1) * sizeof *e->order);
	for (size_t i = 0; i < e->n; i++)
		e->order[i] = (uint32_t)i;
	sort_e = e;
	qsort(e->order, e->n, sizeof *e->order, cmp_series);
	uint64_t off = 0;
	for (size_t i = 0; i < e->n; i++) {
		struct mt_series *s = &e->s[e->order[i]];
		size_t recsz = 16 + sizeof(double) * (size_t)mt_nvals(&mt_families[s->fam]);
		s->off = s->cur = off;
		off += recsz * (uint64_t)(e->nw - s->first_w);
	}
	if (fflush(e->spill) || ferror(e->spill))
		return ig_error("%s: %s", e->spill_path, strerror(errno));
	if (off != e->spill_bytes)
		return ig_error("internal error: %llu bytes spilled, %llu expected",
				(unsigned long long)e->spill_bytes, (unsigned long long)off);
	e->grp_path = ig_tmp_create(e->spill_path, ".grp");
	if (!e->grp_path)
		return -1;
	e->grp_fd = open(e->grp_path, O_RDWR);
	if (e->grp_fd < 0 || (off && ftruncate(e->grp_fd, (off_t)off)))
		return ig_error("%s: %s", e->grp_path, strerror(errno));
	if (!off)
		return 0;
	unsigned char *map = mmap(NULL, off, PROT_READ | PROT_WRITE, MAP_SHARED, e->grp_fd, 0);
	if (map == MAP_FAILED)
		return ig_error("%s: mmap: %s", e->grp_path, strerror(errno));
	rewind(e->spill);
	unsigned char rec[16 + 8 * 64];
	uint64_t done = 0, since_drop = 0;
	while (done < off) {
		if (fread(rec, 16, 1, e->spill) != 1)
			break;
		uint32_t si;
		memcpy(&si, rec, 4);
		if (si >= e->n)
			break;
		struct mt_series *s = &e->s[si];
		size_t nv = (size_t)mt_nvals(&mt_families[s->fam]);
		if (fread(rec + 16, 8, nv, e->spill) != nv)
			break;
		size_t recsz = 16 + 8 * nv;
		memcpy(map + s->cur, rec, recsz);
		s->cur += recsz;
		done += recsz;
		/* keep the resident set small: the pages are in the file */
		if ((since_drop += recsz) >= DROP_EVERY) {
			madvise(map, off, MADV_DONTNEED);
			since_drop = 0;
		}
	}
	munmap(map, off);
	if (done != off)
		return ig_error("%s: short read of the scratch file", e->spill_path);
	/* the spill is no longer needed */
	fclose(e->spill);
	e->spill = NULL;
	unlink(e->spill_path);
	return 0;
}

void mt_reader_open(struct mt_rec_reader *r, const struct mt_engine *e, const struct mt_series *s)
{
	memset(r, 0, sizeof *r);
	r->fd = e->grp_fd;
	r->off = s->off;
	r->recsz = 16 + sizeof(double) * (size_t)mt_nvals(&mt_families[s->fam]);
	r->end = s->off + r->recsz * (uint64_t)(e->nw - s->first_w);
	size_t cap = r->recsz * 1024;
	r->buf = xmalloc(cap);
}

int mt_reader_next(struct mt_rec_reader *r, int64_t *w, const double **vals)
{
	if (r->bufpos >= r->bufn) {
		if (r->off >= r->end)
			return 0;
		size_t want = r->recsz * 1024;
		if (want > r->end - r->off)
			want = (size_t)(r->end - r->off);
		ssize_t got = pread(r->fd, r->buf, want, (off_t)r->off);
		if (got <= 0 || (size_t)got % r->recsz)
			ig_die("scratch file: short read: %s", got < 0 ? strerror(errno) : "truncated");
		r->off += (uint64_t)got;
		r->bufn = (size_t)got;
		r->bufpos = 0;
	}
	unsigned char *p = r->buf + r->bufpos;
	memcpy(w, p + 8, 8);
	*vals = (const double *)(void *)(p + 16);
	r->bufpos += r->recsz;
	return 1;
}

void mt_reader_close(struct mt_rec_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}
