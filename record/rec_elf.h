/*
 * rec_elf.h - ELF symbol tables for the recorder (libelf): function name ->
 * file offset (where a uprobe goes) and address -> function (symbolizing
 * user stacks on the node).  Build-ids are kept for re-symbolization.
 */
#ifndef INGERO_REC_ELF_H
#define INGERO_REC_ELF_H

#include <stddef.h>
#include <stdint.h>

struct rec_elf_sym {
	uint64_t addr;      /* st_value (ELF virtual address) */
	uint64_t size;
	const char *name;   /* points into rec_elf storage */
};

struct rec_elf_load {
	uint64_t vaddr, off, filesz;
};

struct rec_elf {
	struct rec_elf_sym *syms;   /* functions of .symtab and .dynsym, by addr */
	size_t nsyms;
	char *names;
	struct rec_elf_load load[16];
	int nload;
	char build_id[41];          /* hex, "" if none */
};

/* Read the symbol tables of path.  NULL when the file cannot be read or is
 * not ELF (errno set). */
struct rec_elf *rec_elf_open(const char *path);
void rec_elf_free(struct rec_elf *e);
/* Function named `name` (exact, no version suffix), or NULL. */
const struct rec_elf_sym *rec_elf_find_name(const struct rec_elf *e, const char *name);
/* Function containing vaddr (or the nearest below when sizes are unknown). */
const struct rec_elf_sym *rec_elf_find_addr(const struct rec_elf *e, uint64_t vaddr);
/* Convert between ELF virtual addresses and file offsets via PT_LOAD.
 * Return 0 on success, -1 when outside every loadable segment. */
int rec_elf_vaddr_to_off(const struct rec_elf *e, uint64_t vaddr, uint64_t *off);
int rec_elf_off_to_vaddr(const struct rec_elf *e, uint64_t off, uint64_t *vaddr);
/* 1 when the instruction at b (>= 4 bytes) is one the x86 uprobe code
 * emulates (push reg, nop, jmp/call rel): ~5.5 us per hit here instead of
 * ~19 us for a single-stepped one (endbr64, lea, mov...). */
int rec_elf_insn_emulated(const uint8_t *b);

#endif
