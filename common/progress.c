/* progress.c - a live progress line on a terminal (see common.h). */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

double ig_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t len, double v, const char *unit)
{
	if (v >= 1e9) snprintf(buf, len, "%.1f G%s", v / 1e9, unit);
	else if (v >= 1e6) snprintf(buf, len, "%.1f M%s", v / 1e6, unit);
	else if (v >= 1e3) snprintf(buf, len, "%.1f k%s", v / 1e3, unit);
	else snprintf(buf, len, "%.0f %s", v, unit);
}

void ig_progress_start(struct ig_progress *p, const char *phase, uint64_t total)
{
	p->phase = phase;
	p->total = total;
	p->done = p->events = 0;
	p->t0 = p->last = ig_now();
	p->on = !ig_quiet && isatty(2);
	p->drawn = 0;
}

void ig_progress_update(struct ig_progress *p, uint64_t done, uint64_t events)
{
	p->done = done;
	p->events = events;
	if (!p->on)
		return;
	double now = ig_now();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	double el = now - p->t0;
	char b1[32], b2[32], b3[32], eta[32] = "";
	human(b1, sizeof b1, (double)done, "B");
	human(b3, sizeof b3, el > 0 ? events / el : 0, "ev/s");
	if (p->total) {
		double frac = done >= p->total ? 1.0 : (double)done / p->total;
		human(b2, sizeof b2, (double)p->total, "B");
		if (frac > 0.01 && el > 0.5)
			snprintf(eta, sizeof eta, "  ETA %.0fs", el / frac - el);
		fprintf(stderr, "\r%s: %-8s %3.0f%%  %s/%s  %s%s\033[K", ig_prog(), p->phase,
			100 * frac, b1, b2, b3, eta);
	} else {
		fprintf(stderr, "\r%s: %-8s %s  %s\033[K", ig_prog(), p->phase, b1, b3);
	}
	p->drawn = 1;
}

void ig_progress_end(struct ig_progress *p)
{
	if (p->on && p->drawn)
		fprintf(stderr, "\r\033[K");
	p->drawn = 0;
}
