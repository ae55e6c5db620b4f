/* unit-rec-util.c - the recorder's user-space helpers: the u64 hash map (ig_map),
 * /proc/PID/maps parsing, RANK env parsing, ELF symbols and the uprobe
 * instruction classes.  No BPF or root needed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "rec_elf.h"
#include "rec_proc.h"
#include "common.h"

int unit_marker_function(int x);
__attribute__((noinline)) int unit_marker_function(int x)
{
	return x * 3 + 1;
}

static void test_map(void)
{
	struct ig_map m = { 0 };
	int ok = 1;

	for (uint64_t i = 0; i < 10000; i++)
		if (!ig_map_put(&m, i * 7919, i))
			ok = 0;
	T_CHECK(ok && m.n == 10000, "map: 10000 inserts");
	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t *v = ig_map_get(&m, i * 7919);

		if (!v || *v != i)
			ok = 0;
	}
	T_CHECK(ok, "map: every key found with its value");
	for (uint64_t i = 0; i < 10000; i += 2)
		ig_map_del(&m, i * 7919);
	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t *v = ig_map_get(&m, i * 7919);

		if ((i % 2 == 0) != (v == NULL) || (v && *v != i))
			ok = 0;
	}
	T_CHECK(ok && m.n == 5000, "map: deletes keep the other keys reachable");
	T_CHECK(ig_map_get(&m, 123456789) == NULL, "map: absent key");
	ig_map_clear(&m);
	T_CHECK(m.n == 0 && ig_map_get(&m, 7919) == NULL, "map: clear");
	ig_map_release(&m);
}

static void test_maps_line(void)
{
	char line[] = "7f3c1a200000-7f3c1a3c5000 r-xp 00028000 fd:01 1835029    "
		      "/usr/lib/x86_64-linux-gnu/libc.so.6\n";
	char anon[] = "7ffd1c5e1000-7ffd1c602000 rw-p 00000000 00:00 0 \n";
	struct rec_mapping m;

	T_CHECK(rec_maps_parse_line(line, &m) == 0 && m.start == 0x7f3c1a200000ULL &&
			m.end == 0x7f3c1a3c5000ULL && m.off == 0x28000 && m.ino == 1835029 &&
			!strcmp(m.perms, "r-xp") &&
			!strcmp(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
		"maps: file-backed line parsed");
	T_CHECK(rec_maps_parse_line(anon, &m) == 0 && m.path[0] == 0, "maps: anonymous line");
	T_CHECK(rec_maps_parse_line((char[]){ "garbage" }, &m) == -1, "maps: garbage rejected");
}

static void test_env(void)
{
	const char env[] = "PATH=/bin\0RANK=3\0LOCAL_RANK=1\0SECRET=x\0WORLD_SIZE=8\0";
	struct rec_procinfo pi = { .rank = -1, .local_rank = -1, .world_size = -1 };

	rec_proc_parse_env(env, sizeof(env), &pi);
	T_CHECK(pi.rank == 3 && pi.local_rank == 1 && pi.world_size == 8, "env: rank variables");
	memset(&pi, 0, sizeof(pi));
	pi.rank = pi.local_rank = pi.world_size = -1;
	rec_proc_parse_env("XRANK=5\0", 8, &pi);
	T_CHECK(pi.rank == -1, "env: only exact names match");
}

static void test_proc(void)
{
	struct rec_procinfo pi;

	T_CHECK(rec_proc_info("/proc", getpid(), &pi) == 0 && pi.pid == (uint32_t)getpid() &&
			pi.ppid == (uint32_t)getppid() && strstr(pi.cmdline, "unit-rec-util"),
		"proc: own process info");
	T_CHECK(rec_proc_info("/proc", 0x7ffffff0, &pi) == -1, "proc: missing pid");
}

static void test_elf(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct rec_elf *e;
	const struct rec_elf_sym *s, *s2;
	uint64_t off, va;

	self[n > 0 ? n : 0] = 0;
	e = rec_elf_open(self);
	T_CHECK(e != NULL && e->nsyms > 0, "elf: own binary opened");
	if (!e)
		return;
	s = rec_elf_find_name(e, "unit_marker_function");
	T_CHECK(s != NULL && s->size > 0, "elf: symbol by name");
	if (s) {
		s2 = rec_elf_find_addr(e, s->addr + 1);
		T_CHECK(s2 && !strcmp(s2->name, "unit_marker_function"), "elf: symbol by address");
		T_CHECK(rec_elf_vaddr_to_off(e, s->addr, &off) == 0 &&
				rec_elf_off_to_vaddr(e, off, &va) == 0 && va == s->addr,
			"elf: vaddr <-> file offset round trip");
	}
	T_CHECK(strlen(e->build_id) == 40 || e->build_id[0] == 0, "elf: build-id is hex or empty");
	T_CHECK(rec_elf_find_name(e, "no_such_function_xyz") == NULL, "elf: missing symbol");
	rec_elf_free(e);
	T_CHECK(rec_elf_open("/nonexistent/lib.so") == NULL, "elf: missing file gives NULL");
}

static void test_insn(void)
{
	T_CHECK(rec_elf_insn_emulated((const uint8_t[]){ 0x55, 0x48, 0x89, 0xe5 }),
		"insn: push %%rbp emulated");
	T_CHECK(rec_elf_insn_emulated((const uint8_t[]){ 0x41, 0x57, 0, 0 }), "insn: push %%r15");
	T_CHECK(rec_elf_insn_emulated((const uint8_t[]){ 0x0f, 0x1f, 0x44, 0 }), "insn: nopl");
	T_CHECK(!rec_elf_insn_emulated((const uint8_t[]){ 0xf3, 0x0f, 0x1e, 0xfa }),
		"insn: endbr64 single-stepped");
	T_CHECK(!rec_elf_insn_emulated((const uint8_t[]){ 0x48, 0x8d, 0x05, 0 }),
		"insn: lea single-stepped");
}

int main(void)
{
	test_map();
	test_maps_line();
	test_env();
	test_proc();
	test_elf();
	test_insn();
	T_DONE();
}
