/* map.c - u64 hash map and string table (see common.h). */
#include <stdlib.h>
#include <string.h>

#include "common.h"

uint64_t *ig_map_get(const struct ig_map *m, uint64_t key)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = ig_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key)
			return &m->vals[i];
		if (m->keys[i] == IG_MAP_EMPTY)
			return NULL;
	}
}

static int grow(struct ig_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i;
	struct ig_map n = { .cap = ncap };

	n.keys = malloc(ncap * sizeof(*n.keys));
	n.vals = malloc(ncap * sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	memset(n.keys, 0xff, ncap * sizeof(*n.keys));
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] != IG_MAP_EMPTY)
			ig_map_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

uint64_t *ig_map_put(struct ig_map *m, uint64_t key, uint64_t val)
{
	size_t mask, i;

	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	mask = m->cap - 1;
	for (i = ig_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return &m->vals[i];
		}
		if (m->keys[i] == IG_MAP_EMPTY) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return &m->vals[i];
		}
	}
}

int ig_map_del(struct ig_map *m, uint64_t key)
{
	size_t mask, i, j, k;

	if (!m->cap)
		return 0;
	mask = m->cap - 1;
	for (i = ig_hash64(key) & mask;; i = (i + 1) & mask) {
		if (m->keys[i] == IG_MAP_EMPTY)
			return 0;
		if (m->keys[i] == key)
			break;
	}
	/* backward-shift: move later members of the probe run into the hole */
	for (j = i;;) {
		j = (j + 1) & mask;
		if (m->keys[j] == IG_MAP_EMPTY)
			break;
		k = ig_hash64(m->keys[j]) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = IG_MAP_EMPTY;
	m->n--;
	return 1;
}

void ig_map_clear(struct ig_map *m)
{
	if (m->cap)
		memset(m->keys, 0xff, m->cap * sizeof(*m->keys));
	m->n = 0;
}

void ig_map_release(struct ig_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

uint64_t *ig_map_xput(struct ig_map *m, uint64_t key, uint64_t val)
{
	uint64_t *v = ig_map_put(m, key, val);
	if (!v)
		ig_die("out of memory");
	return v;
}

/* ---------------------------------------------------------- strtab */

static uint64_t hash_str(const char *s)
{
	uint64_t h = ig_fnv64a(IG_FNV64_OFFSET, s, strlen(s));
	return h == IG_MAP_EMPTY ? 0 : h;
}

/* keys colliding on the 64-bit hash continue with a derived key */
static uint64_t next_key(uint64_t k)
{
	k = ig_hash64(k + 1);
	return k == IG_MAP_EMPTY ? 0 : k;
}

uint32_t ig_strtab_find(const struct ig_strtab *t, const char *s)
{
	for (uint64_t k = hash_str(s);; k = next_key(k)) {
		uint64_t *v = ig_map_get(&t->idx, k);
		if (!v)
			return 0;
		if (!strcmp(t->s[*v - 1], s))
			return (uint32_t)*v;
	}
}

uint32_t ig_strtab_id(struct ig_strtab *t, const char *s)
{
	uint64_t k = hash_str(s);
	for (;; k = next_key(k)) {
		uint64_t *v = ig_map_get(&t->idx, k);
		if (!v)
			break;
		if (!strcmp(t->s[*v - 1], s))
			return (uint32_t)*v;
	}
	if ((t->max && t->n >= t->max) || t->n == UINT32_MAX)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap;
		ig_grow(&t->s, &cap, (size_t)t->n + 1, sizeof *t->s);
		t->cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	}
	t->s[t->n++] = xstrdup(s);
	ig_map_xput(&t->idx, k, t->n);
	return t->n;
}

void ig_strtab_release(struct ig_strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	ig_map_release(&t->idx);
	memset(t, 0, sizeof *t);
}
