/* rec_elf.c - see rec_elf.h */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec_elf.h"

static int cmp_sym(const void *a, const void *b)
{
	const struct rec_elf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* sized symbols first, so lookups land on them */
	return (y->size > 0) - (x->size > 0);
}

static void read_build_id(Elf *elf, struct rec_elf *e)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + noff, "GNU", 4)) {
				const unsigned char *id = (unsigned char *)d->d_buf + doff;
				size_t n = nh.n_descsz > 20 ? 20 : nh.n_descsz;

				for (size_t i = 0; i < n; i++)
					snprintf(e->build_id + 2 * i, 3, "%02x", id[i]);
				return;
			}
		}
	}
}

struct rec_elf *rec_elf_open(const char *path)
{
	struct rec_elf *e = NULL;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t cap = 0, ncap = 0, nlen = 0, phnum, i;
	int fd, saved;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		errno = ENOEXEC;
		goto fail;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	if (!elf_getphdrnum(elf, &phnum)) {
		for (i = 0; i < phnum && e->nload < 16; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD)
				e->load[e->nload++] = (struct rec_elf_load){
					ph.p_vaddr, ph.p_offset, ph.p_filesz };
		}
	}
	read_build_id(elf, e);
	/* names are copied into one blob: first pass sizes it */
	for (int pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;
			size_t n;

			if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB &&
							sh.sh_type != SHT_DYNSYM))
				continue;
			d = elf_getdata(scn, NULL);
			if (!d || !sh.sh_entsize)
				continue;
			n = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < n; i++) {
				GElf_Sym s;
				const char *name;
				size_t l;

				if (!gelf_getsym(d, i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    s.st_shndx == SHN_UNDEF || !s.st_value)
					continue;
				name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				l = strlen(name) + 1;
				if (pass == 0) {
					ncap += l;
					cap++;
					continue;
				}
				memcpy(e->names + nlen, name, l);
				e->syms[e->nsyms++] = (struct rec_elf_sym){
					s.st_value, s.st_size, (const char *)(uintptr_t)nlen };
				nlen += l;
			}
		}
		if (pass == 0) {
			e->syms = calloc(cap ? cap : 1, sizeof(*e->syms));
			e->names = malloc(ncap ? ncap : 1);
			if (!e->syms || !e->names)
				goto fail;
		}
	}
	for (i = 0; i < e->nsyms; i++)
		e->syms[i].name = e->names + (uintptr_t)e->syms[i].name;
	qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_sym);
	elf_end(elf);
	close(fd);
	return e;
fail:
	saved = errno;
	if (elf)
		elf_end(elf);
	close(fd);
	rec_elf_free(e);
	errno = saved ? saved : EINVAL;
	return NULL;
}

void rec_elf_free(struct rec_elf *e)
{
	if (!e)
		return;
	free(e->syms);
	free(e->names);
	free(e);
}

const struct rec_elf_sym *rec_elf_find_name(const struct rec_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nsyms; i++)
		if (!strcmp(e->syms[i].name, name))
			return &e->syms[i];
	return NULL;
}

const struct rec_elf_sym *rec_elf_find_addr(const struct rec_elf *e, uint64_t vaddr)
{
	size_t lo = 0, hi = e->nsyms;
	const struct rec_elf_sym *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &e->syms[lo - 1];
	/* the first of equal addresses is the sized one */
	while (s > e->syms && s[-1].addr == s->addr)
		s--;
	if (s->size && vaddr >= s->addr + s->size)
		return NULL;
	return s;
}

int rec_elf_vaddr_to_off(const struct rec_elf *e, uint64_t vaddr, uint64_t *off)
{
	for (int i = 0; i < e->nload; i++)
		if (vaddr >= e->load[i].vaddr && vaddr < e->load[i].vaddr + e->load[i].filesz) {
			*off = vaddr - e->load[i].vaddr + e->load[i].off;
			return 0;
		}
	return -1;
}

int rec_elf_off_to_vaddr(const struct rec_elf *e, uint64_t off, uint64_t *vaddr)
{
	for (int i = 0; i < e->nload; i++)
		if (off >= e->load[i].off && off < e->load[i].off + e->load[i].filesz) {
			*vaddr = off - e->load[i].off + e->load[i].vaddr;
			return 0;
		}
	return -1;
}

int rec_elf_insn_emulated(const uint8_t *b)
{
	if (b[0] >= 0x50 && b[0] <= 0x57)                  /* push %reg */
		return 1;
	if (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)  /* push %r8..r15 */
		return 1;
	if (b[0] == 0x90 || (b[0] == 0x66 && b[1] == 0x90)) /* nop */
		return 1;
	if (b[0] == 0x0f && b[1] == 0x1f)                  /* multi-byte nop */
		return 1;
	if (b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb)  /* call/jmp rel */
		return 1;
	return 0;
}
