/*
 * rec_proc.h - what the recorder reads from /proc: process identity,
 * memory maps, the 1 Hz system sample, and clock anchors.
 */
#ifndef INGERO_REC_PROC_H
#define INGERO_REC_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "ingero.h"

struct rec_procinfo {
	uint32_t pid, ppid, uid;
	char comm[32];
	char cmdline[1024];
	int32_t rank, local_rank, world_size;   /* -1 when absent */
	uint64_t cgroup_id;                     /* cgroup v2 directory inode, 0 unknown */
};

/* Fill *pi from /proc/PID (root is the /proc mount, normally "/proc").
 * Reads RANK/LOCAL_RANK/WORLD_SIZE from environ and nothing else of it.
 * Returns 0, or -1 when the process is gone. */
int rec_proc_info(const char *root, uint32_t pid, struct rec_procinfo *pi);

/* Parse RANK / LOCAL_RANK / WORLD_SIZE from a NUL-separated environment
 * block (exposed for unit tests). */
void rec_proc_parse_env(const char *env, size_t len, struct rec_procinfo *pi);

/* One /proc/PID/maps line. */
struct rec_mapping {
	uint64_t start, end, off;
	uint64_t dev, ino;       /* dev as makedev(major, minor) */
	char perms[5];
	const char *path;        /* "" for anonymous; valid during the callback */
};
/* Parse one maps line into *m (path points into line).  0 or -1. */
int rec_maps_parse_line(char *line, struct rec_mapping *m);
/* Call fn for every mapping of pid; stops early when fn returns non-zero.
 * Returns 0, or -1 when the maps file cannot be read. */
int rec_maps_foreach(uint32_t pid, int (*fn)(void *ctx, const struct rec_mapping *m), void *ctx);

/* System sampler: cumulative /proc/stat counters between calls. */
struct rec_sys_state {
	uint64_t busy, total, iowait;
	int primed;
};
int rec_sys_sample(struct rec_sys_state *st, struct ingero_sys *out);

/* boottime, realtime, monotonic read back to back + adjtimex maxerror. */
void rec_anchor_now(struct ingero_anchor *a);
uint64_t rec_boottime_ns(void);
uint64_t rec_monotonic_ns(void);

#endif
