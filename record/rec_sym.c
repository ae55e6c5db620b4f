/*
 * rec_sym.c - user stacks: read once per (pid, BPF stack id) from the
 * kernel's STACK_TRACE map (the kernel deduplicates identical stacks), then
 * symbolized here on the node against the ELF files the process maps, so
 * the recording needs no binaries to be read elsewhere.  MODULE, SYMBOL and
 * STACK records are written on first use and again after each rotation
 * (generation bump), so every segment is self-contained.
 */
#include <bpf/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_elf.h"
#include "rec_int.h"
#include "rec_proc.h"

#define GEN_MASK 0xffffu

static struct rec_elf *get_elf(struct rec_sym *s, uint32_t pid, struct rec_pmap *m);

void rec_sym_init(struct rec_sym *s, struct ingero_writer *w, int stacks_fd)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->stacks_fd = stacks_fd;
	s->gen = 1;
}

static void free_pmaps(struct rec_pmaps *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void rec_sym_release(struct rec_sym *s)
{
	ig_map_release(&s->tops);
	for (size_t i = 0; i < s->npm; i++)
		free_pmaps(&s->pm[i]);
	free(s->pm);
	for (size_t i = 0; i < s->nelfs; i++)
		rec_elf_free(s->elfs[i].e);
	free(s->elfs);
	ig_map_release(&s->stacks);
	ig_map_release(&s->pystacks);
	ig_map_release(&s->pmaps);
	ig_map_release(&s->elfidx);
	ig_map_release(&s->syms);
}

struct load_ctx {
	struct rec_pmaps *p;
	size_t cap;
};

static int add_map(void *ctx, const struct rec_mapping *m)
{
	struct load_ctx *lc = ctx;
	struct rec_pmaps *p = lc->p;

	if (m->perms[2] != 'x' || m->path[0] != '/')
		return 0;
	if (p->n == lc->cap) {
		size_t nc = lc->cap ? lc->cap * 2 : 32;
		void *nv = realloc(p->v, nc * sizeof(*p->v));

		if (!nv)
			return 1;
		p->v = nv;
		lc->cap = nc;
	}
	p->v[p->n++] = (struct rec_pmap){ m->start, m->end, m->off, m->dev, m->ino,
					  strdup(m->path), 0, 0, -2 };
	return 0;
}

static struct rec_pmaps *get_maps(struct rec_sym *s, uint32_t pid, bool reload)
{
	uint64_t *ix = ig_map_get(&s->pmaps, pid);
	struct rec_pmaps *p;
	struct load_ctx lc;

	if (ix && !reload)
		return &s->pm[*ix - 1];
	if (!ix) {
		if (s->npm == s->cappm) {
			size_t nc = s->cappm ? s->cappm * 2 : 16;
			void *nv = realloc(s->pm, nc * sizeof(*s->pm));

			if (!nv)
				return NULL;
			s->pm = nv;
			s->cappm = nc;
		}
		p = &s->pm[s->npm++];
		memset(p, 0, sizeof(*p));
		p->pid = pid;
		ig_map_put(&s->pmaps, pid, s->npm);
	} else {
		p = &s->pm[*ix - 1];
		free_pmaps(p);
	}
	lc.p = p;
	lc.cap = 0;
	rec_maps_foreach(pid, add_map, &lc);
	return p;
}

void rec_sym_preload(struct rec_sym *s, uint32_t pid)
{
	struct rec_pmaps *p = get_maps(s, pid, true);

	/* open the ELF files now: a short-lived process may be gone by the
	 * time its first stack is read */
	for (size_t i = 0; p && i < p->n; i++)
		get_elf(s, pid, &p->v[i]);
}

void rec_sym_forget(struct rec_sym *s, uint32_t pid)
{
	uint64_t *ix = ig_map_get(&s->pmaps, pid);

	/* the slot stays; a lookup miss re-reads the maps */
	if (ix)
		free_pmaps(&s->pm[*ix - 1]);
}

static struct rec_pmap *find_map(struct rec_pmaps *p, uint64_t ip)
{
	for (size_t i = 0; i < p->n; i++)
		if (ip >= p->v[i].start && ip < p->v[i].end)
			return &p->v[i];
	return NULL;
}

static struct rec_elf *get_elf(struct rec_sym *s, uint32_t pid, struct rec_pmap *m)
{
	uint64_t key, *ix;
	char path[128];
	struct rec_elf *e;

	if (m->elf >= 0)
		return s->elfs[m->elf].e;
	if (m->elf == -1)
		return NULL;
	key = ig_hash64(m->dev) ^ m->ino;
	ix = ig_map_get(&s->elfidx, key);
	if (ix) {
		m->elf = *ix - 1;
		return s->elfs[m->elf].e;
	}
	/* map_files reaches the very file mapped, even inside a container */
	snprintf(path, sizeof(path), "/proc/%u/map_files/%llx-%llx", pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	e = rec_elf_open(path);
	if (!e)
		e = rec_elf_open(m->path);
	if (s->nelfs == s->capelfs) {
		size_t nc = s->capelfs ? s->capelfs * 2 : 16;
		void *nv = realloc(s->elfs, nc * sizeof(*s->elfs));

		if (!nv) {
			rec_elf_free(e);
			m->elf = -1;
			return NULL;
		}
		s->elfs = nv;
		s->capelfs = nc;
	}
	s->elfs[s->nelfs] = (struct rec_elf_ent){ m->dev, m->ino, e };
	m->elf = s->nelfs++;
	ig_map_put(&s->elfidx, key, s->nelfs);
	return e;
}

static void emit_module(struct rec_sym *s, uint32_t pid, struct rec_pmap *m, struct rec_elf *e)
{
	struct ingero_record r = { .kind = INGERO_REC_MODULE };

	if (!m->module_id)
		m->module_id = ++s->next_module;
	if (m->gen == s->gen)
		return;
	m->gen = s->gen;
	r.u.mod.id = m->module_id;
	r.u.mod.pid = pid;
	r.u.mod.start = m->start;
	r.u.mod.end = m->end;
	r.u.mod.file_offset = m->off;
	r.u.mod.path = m->path;
	r.u.mod.build_id = e ? e->build_id : "";
	ingero_writer_append(s->w, &r);
}

static uint64_t emit_symbol(struct rec_sym *s, struct rec_pmap *m, struct rec_elf *e,
			    const struct rec_elf_sym *sym)
{
	uint64_t key = m->module_id << 24 ^ (uint64_t)(sym - e->syms);
	uint64_t *v = ig_map_get(&s->syms, key), id;
	struct ingero_record r = { .kind = INGERO_REC_SYMBOL };

	if (v && (*v & GEN_MASK) == (s->gen & GEN_MASK))
		return *v >> 16;
	id = v ? *v >> 16 : ++s->next_symbol;
	ig_map_put(&s->syms, key, id << 16 | (s->gen & GEN_MASK));
	r.u.sym.id = id;
	r.u.sym.module_id = m->module_id;
	r.u.sym.offset = sym->addr;
	r.u.sym.name = sym->name;
	ingero_writer_append(s->w, &r);
	return id;
}

/* Read BPF stack bpf_stack_id of pid and symbolize it into *st (MODULE and
 * SYMBOL records on first use); ips[0] = top_ip when set.  -1: not in the map. */
static int build_stack(struct rec_sym *s, uint32_t pid, int32_t bpf_stack_id, uint64_t top_ip,
		       struct ingero_stack *st)
{
	uint64_t ips[INGERO_STACK_MAX + 1];
	struct rec_pmaps *p;
	bool reloaded = false;

	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(s->stacks_fd, &bpf_stack_id, ips + (top_ip ? 1 : 0))) {
		s->stack_misses++;
		return -1;
	}
	ips[0] = top_ip ? top_ip : ips[0];
	st->pid = pid;
	st->depth = 0;
	p = get_maps(s, pid, false);
	for (int i = 0; i < INGERO_STACK_MAX && ips[i]; i++) {
		struct rec_pmap *m = p ? find_map(p, ips[i]) : NULL;
		struct rec_elf *e;
		uint64_t vaddr;
		const struct rec_elf_sym *sym;

		st->ips[i] = ips[i];
		st->syms[i] = 0;
		st->offs[i] = 0;
		st->depth = i + 1;
		if (!m && p && !reloaded) {
			/* a library loaded since we last looked */
			p = get_maps(s, pid, true);
			reloaded = true;
			m = p ? find_map(p, ips[i]) : NULL;
		}
		if (!m)
			continue;
		e = get_elf(s, pid, m);
		emit_module(s, pid, m, e);
		if (!e || rec_elf_off_to_vaddr(e, ips[i] - m->start + m->off, &vaddr))
			continue;
		sym = rec_elf_find_addr(e, vaddr);
		if (!sym)
			continue;
		st->syms[i] = emit_symbol(s, m, e, sym);
		st->offs[i] = (uint32_t)(vaddr - sym->addr);
	}
	return 0;
}

uint64_t rec_sym_stack(struct rec_sym *s, uint32_t pid, int32_t bpf_stack_id, uint64_t top_ip)
{
	static struct ingero_stack st;
	uint64_t key, *v, id, top = 0;
	struct ingero_record r = { .kind = INGERO_REC_STACK };
	uint32_t slot;

	if (bpf_stack_id < 0 || bpf_stack_id >= (1 << 14) || pid >= (1u << 22))
		return 0;
	if (top_ip) {
		/* the function's address, interned: part of the key */
		uint64_t *t = ig_map_get(&s->tops, top_ip);

		if (!t) {
			if (s->tops.n >= (1u << 28) - 1)
				return 0;
			t = ig_map_put(&s->tops, top_ip, s->tops.n + 1);
			if (!t)
				return 0;
		}
		top = *t;
	}
	key = (uint64_t)pid << 42 | top << 14 | (uint32_t)bpf_stack_id;
	slot = ig_hash64(key) & (REC_SYM_CACHE - 1);
	if (s->cache_key[slot] == key && (s->cache_val[slot] & GEN_MASK) == (s->gen & GEN_MASK))
		return s->cache_val[slot] >> 16;
	v = ig_map_get(&s->stacks, key);
	if (v && (*v & GEN_MASK) == (s->gen & GEN_MASK)) {
		s->cache_key[slot] = key;
		s->cache_val[slot] = *v;
		return *v >> 16;
	}
	memset(&st, 0, sizeof(st));
	if (build_stack(s, pid, bpf_stack_id, top_ip, &st))
		return 0;
	id = v ? *v >> 16 : ++s->next_stack;
	st.id = id;
	ig_map_put(&s->stacks, key, id << 16 | (s->gen & GEN_MASK));
	r.u.stack = &st;
	ingero_writer_append(s->w, &r);
	s->stacks_emitted++;
	return id;
}

uint64_t rec_sym_stack_py(struct rec_sym *s, uint32_t pid, int32_t bpf_stack_id, uint64_t top_ip,
			  uint32_t pyseq, const uint64_t *py, uint32_t npy)
{
	static struct ingero_stack st;
	struct ingero_record r = { .kind = INGERO_REC_STACK };
	uint64_t native = rec_sym_stack(s, pid, bpf_stack_id, top_ip), key, *v, id;

	if (!pyseq || pyseq >= (1u << 24) || native >= (1ull << 40) || npy > INGERO_STACK_PY_MAX)
		return native;
	/* one STACK per (native stack, Python frame sequence): exact key */
	key = native << 24 | pyseq;
	v = ig_map_get(&s->pystacks, key);
	if (v && (*v & GEN_MASK) == (s->gen & GEN_MASK))
		return *v >> 16;
	memset(&st, 0, sizeof(st));
	st.pid = pid;
	if (native && build_stack(s, pid, bpf_stack_id, top_ip, &st))
		st.depth = 0;        /* gone from the map since: Python frames only */
	id = v ? *v >> 16 : ++s->next_stack;
	st.id = id;
	st.npy = npy;
	memcpy(st.py, py, npy * sizeof(*py));
	ig_map_put(&s->pystacks, key, id << 16 | (s->gen & GEN_MASK));
	r.u.stack = &st;
	ingero_writer_append(s->w, &r);
	s->stacks_emitted++;
	return id;
}
