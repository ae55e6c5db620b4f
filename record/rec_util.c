/* rec_util.c - see rec_util.h */
#include <stdlib.h>
#include <string.h>

#include "rec_util.h"

uint64_t *rec_map_get(const struct rec_map *m, uint64_t key)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = rec_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (m->keys[i] == REC_MAP_EMPTY)
			return NULL;
	}
}

static int grow(struct rec_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i;
	struct rec_map n = { .cap = ncap };

	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	memset(n.keys, 0xff, ncap * sizeof(*n.keys));
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] != REC_MAP_EMPTY)
			rec_map_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

uint64_t *rec_map_put(struct rec_map *m, uint64_t key, uint64_t val)
{
	size_t mask, i;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	mask = m->cap - 1;
	for (i = rec_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return &m->vals[i];
		}
		if (m->keys[i] == REC_MAP_EMPTY) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return &m->vals[i];
		}
	}
}

int rec_map_del(struct rec_map *m, uint64_t key)
{
	size_t mask, i, j, k;

	if (!m->cap)
		return 0;
	mask = m->cap - 1;
	for (i = rec_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == REC_MAP_EMPTY)
			return 0;
		if (m->keys[i] == key)
			break;
	}
	/* backward-shift: move later members of the probe run into the hole */
	for (j = i;;) {
		j = (j + 1) & mask;
		if (m->keys[j] == REC_MAP_EMPTY)
			break;
		k = rec_hash64(m->keys[j]) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = REC_MAP_EMPTY;
	m->n--;
	return 1;
}

void rec_map_clear(struct rec_map *m)
{
	if (m->cap)
		memset(m->keys, 0xff, m->cap * sizeof(*m->keys));
	m->n = 0;
}

void rec_map_release(struct rec_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
