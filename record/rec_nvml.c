/* rec_nvml.c - see rec_nvml.h.  Prototypes are NVML's public C API. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "rec_nvml.h"
#include "rec_proc.h"

typedef void *nvml_dev;
struct nvml_util { unsigned gpu, memory; };
struct nvml_mem { unsigned long long total, free, used; };

struct rec_nvml {
	void *h;
	unsigned count;
	nvml_dev dev[16];
	int (*util)(nvml_dev, struct nvml_util *);
	int (*mem)(nvml_dev, struct nvml_mem *);
	int (*clock)(nvml_dev, int, unsigned *);
	int (*throttle)(nvml_dev, unsigned long long *);
	int (*temp)(nvml_dev, int, unsigned *);
	int (*power)(nvml_dev, unsigned *);
	int (*shutdown)(void);
};

struct rec_nvml *rec_nvml_open(void)
{
	struct rec_nvml *n;
	int (*init)(void), (*count)(unsigned *), (*handle)(unsigned, nvml_dev *);
	void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		goto fail;
	n->h = h;
	*(void **)&init = dlsym(h, "nvmlInit_v2");
	*(void **)&count = dlsym(h, "nvmlDeviceGetCount_v2");
	*(void **)&handle = dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&n->util = dlsym(h, "nvmlDeviceGetUtilizationRates");
	*(void **)&n->mem = dlsym(h, "nvmlDeviceGetMemoryInfo");
	*(void **)&n->clock = dlsym(h, "nvmlDeviceGetClockInfo");
	*(void **)&n->throttle = dlsym(h, "nvmlDeviceGetCurrentClocksThrottleReasons");
	*(void **)&n->temp = dlsym(h, "nvmlDeviceGetTemperature");
	*(void **)&n->power = dlsym(h, "nvmlDeviceGetPowerUsage");
	*(void **)&n->shutdown = dlsym(h, "nvmlShutdown");
	if (!init || !count || !handle || init() != 0)
		goto fail;
	if (count(&n->count) != 0)
		n->count = 0;
	if (n->count > 16)
		n->count = 16;
	for (unsigned i = 0; i < n->count; i++)
		if (handle(i, &n->dev[i]) != 0)
			n->dev[i] = NULL;
	return n;
fail:
	free(n);
	dlclose(h);
	return NULL;
}

int rec_nvml_sample(struct rec_nvml *n, uint32_t index, struct ingero_gpu *g)
{
	struct nvml_util u = { 0 };
	struct nvml_mem m = { 0 };
	unsigned v = 0;
	unsigned long long t = 0;
	nvml_dev d;

	if (!n || index >= n->count)
		return -1;
	memset(g, 0, sizeof(*g));
	g->ts = rec_boottime_ns();
	g->index = index;
	d = n->dev[index];
	if (!d)
		return 0;
	if (n->util && !n->util(d, &u))
		g->util_pct = u.gpu;
	if (n->mem && !n->mem(d, &m)) {
		g->mem_used_mb = m.used >> 20;
		g->mem_total_mb = m.total >> 20;
	}
	if (n->clock && !n->clock(d, 1, &v))
		g->sm_clock_mhz = v;
	if (n->clock && !n->clock(d, 2, &v))
		g->mem_clock_mhz = v;
	if (n->throttle && !n->throttle(d, &t))
		g->throttle_reasons = t;
	if (n->temp && !n->temp(d, 0, &v))
		g->temp_c = v;
	if (n->power && !n->power(d, &v))
		g->power_w = v / 1000.0;
	return 0;
}

void rec_nvml_close(struct rec_nvml *n)
{
	if (!n)
		return;
	if (n->shutdown)
		n->shutdown();
	dlclose(n->h);
	free(n);
}
