/*
 * rec_util.h - small helpers of the recorder: a u64 -> u64 open-addressing
 * hash map (the per-event caches: pids, tids, stacks, symbols).
 */
#ifndef INGERO_REC_UTIL_H
#define INGERO_REC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Keys are any u64 except REC_MAP_EMPTY. */
#define REC_MAP_EMPTY UINT64_MAX

struct rec_map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap;   /* power of two, 0 until the first put */
	size_t n;
};

/* Returns a pointer to the value of key, or NULL when absent.  Valid until
 * the next rec_map_put on the same map. */
uint64_t *rec_map_get(const struct rec_map *m, uint64_t key);
/* Insert or overwrite.  Returns a pointer to the stored value, NULL on ENOMEM. */
uint64_t *rec_map_put(struct rec_map *m, uint64_t key, uint64_t val);
/* Remove key (backward-shift deletion).  Returns 1 if it was present. */
int rec_map_del(struct rec_map *m, uint64_t key);
void rec_map_clear(struct rec_map *m);
void rec_map_release(struct rec_map *m);

static inline uint64_t rec_hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#endif
