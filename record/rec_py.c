/*
 * rec_py.c - CPython detection and per-version structure offsets.
 *
 * The offsets are offsetof() values of the published CPython headers
 * (Include/cpython/pystate.h, Include/internal/pycore_{runtime,interp,frame}.h,
 * Include/cpython/code.h) on x86-64, for 3.10.13, 3.11.7 and 3.12.1; the
 * layouts are stable within a minor version.  tests/record/unit-rec-py.c
 * recomputes them from the installed headers when those exist.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_proc.h"
#include "rec_py.h"

#define NONE 0xffff

static const struct rec_py_offsets py_tab[] = {
	{ .minor = 10, .frames_supported = 1,
	  .rt_interp_head = 32, .is_next = 0, .is_threads_head = 8,
	  .ts_next = 8, .ts_thread_id = 176, .ts_native_tid = NONE, .ts_frame = 24,
	  .cf_current = NONE,
	  .fr_code = 32, .fr_previous = 24, .fr_instr = 96, .fr_owner = NONE,
	  .co_filename = 104, .co_name = 112, .co_qualname = NONE, .co_firstlineno = 40,
	  .co_linetable = 120, .co_code_adaptive = NONE },
	{ .minor = 11, .frames_supported = 1,
	  .rt_interp_head = 40, .is_next = 0, .is_threads_head = 16,
	  .ts_next = 8, .ts_thread_id = 152, .ts_native_tid = 160, .ts_frame = 56,
	  .cf_current = 8,
	  .fr_code = 32, .fr_previous = 48, .fr_instr = 56, .fr_owner = 69,
	  .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 72,
	  .co_linetable = 136, .co_code_adaptive = 184 },
	{ .minor = 12, .frames_supported = 1,
	  .rt_interp_head = 40, .is_next = 0, .is_threads_head = 72,
	  .ts_next = 8, .ts_thread_id = 136, .ts_native_tid = 144, .ts_frame = 56,
	  .cf_current = 0,
	  .fr_code = 0, .fr_previous = 8, .fr_instr = 56, .fr_owner = 70,
	  .co_filename = 112, .co_name = 120, .co_qualname = 128, .co_firstlineno = 68,
	  .co_linetable = 136, .co_code_adaptive = 192 },
};

const struct rec_py_offsets *rec_py_offsets(int minor)
{
	for (size_t i = 0; i < sizeof(py_tab) / sizeof(py_tab[0]); i++)
		if (py_tab[i].minor == minor)
			return &py_tab[i];
	return NULL;
}

/* "3.11" at s (then a non-digit): the minor, else -1 */
static int parse_3x(const char *s)
{
	if (s[0] != '3' || s[1] != '.' || !isdigit((unsigned char)s[2]))
		return -1;
	int v = 0, i = 2;
	for (; isdigit((unsigned char)s[i]) && i < 5; i++)
		v = v * 10 + (s[i] - '0');
	return isdigit((unsigned char)s[i]) ? -1 : v;
}

int rec_py_version_from_path(const char *path, int *minor)
{
	const char *b = strrchr(path, '/');
	int v;

	b = b ? b + 1 : path;
	if (!strncmp(b, "libpython", 9)) {
		v = parse_3x(b + 9);
		/* libpython3.11.so..., libpython3.11d.so... */
		if (v >= 0 && strstr(b, ".so")) {
			*minor = v;
			return 1;
		}
		return 0;
	}
	if (!strncmp(b, "python", 6)) {
		v = parse_3x(b + 6);
		const char *e = b + 6 + 2 + (v >= 10 ? 2 : 1);
		/* the interpreter binary: python3.11, python3.11d (debug) */
		if (v >= 0 && (!*e || (e[0] == 'd' && !e[1]))) {
			*minor = v;
			return 1;
		}
	}
	return 0;
}

struct pyscan {
	int lib, exe;
	char lpath[512], epath[512];
};

static int pyscan_fn(void *ctx, const struct rec_mapping *m)
{
	struct pyscan *s = ctx;
	int v;

	if (!m->path[0] || !rec_py_version_from_path(m->path, &v))
		return 0;
	if (!strncmp(strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path, "lib", 3)) {
		if (!s->lib) {
			s->lib = v;
			snprintf(s->lpath, sizeof(s->lpath), "%s", m->path);
		}
	} else if (!s->exe) {
		s->exe = v;
		snprintf(s->epath, sizeof(s->epath), "%s", m->path);
	}
	return 0;
}

int rec_py_process_version(uint32_t pid, char *path, unsigned pathlen)
{
	struct pyscan s = { 0 };

	if (rec_maps_foreach(pid, pyscan_fn, &s) != 0)
		return -1;
	if (path && pathlen)
		snprintf(path, pathlen, "%s", s.lib ? s.lpath : s.exe ? s.epath : "");
	return s.lib ? s.lib : s.exe;
}

/* ------------------------------------------------ live processes */

#include <fcntl.h>
#include <gelf.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../bpf/ingero_bpf.h"
#include "../bpf/pyframes_bpf.h"

/* st_value of an OBJECT symbol and the lowest PT_LOAD vaddr (page-aligned) */
static int elf_object(const char *path, const char *name, uint64_t *value, uint64_t *lowest)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t nph;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		close(fd);
		return -1;
	}
	*lowest = UINT64_MAX;
	if (!elf_getphdrnum(e, &nph))
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < *lowest)
				*lowest = ph.p_vaddr & ~0xfffULL;
		}
	while (!found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			n = elf_strptr(e, sh.sh_link, s.st_name);
			if (n && !strcmp(n, name)) {
				*value = s.st_value;
				found = 1;
				break;
			}
		}
	}
	elf_end(e);
	close(fd);
	return found && *lowest != UINT64_MAX ? 0 : -1;
}

struct basescan {
	const char *path;
	uint64_t base;
};

static int base_fn(void *ctx, const struct rec_mapping *m)
{
	struct basescan *b = ctx;

	if (m->off == 0 && !strcmp(m->path, b->path)) {
		b->base = m->start;
		return 1;
	}
	return 0;
}

int rec_py_proc_setup(uint32_t pid, struct ibpf_py_proc *pp, int *minor)
{
	char path[512], root[600];
	const struct rec_py_offsets *o;
	struct basescan bs = { path, 0 };
	uint64_t val = 0, lowest = 0;
	int v = rec_py_process_version(pid, path, sizeof(path));

	*minor = v > 0 ? v : 0;
	if (v <= 0)
		return 0;
	o = rec_py_offsets(v);
	if (!o || !o->frames_supported)
		return -1;
	snprintf(root, sizeof(root), "/proc/%u/root%s", pid, path);
	if (elf_object(root, "_PyRuntime", &val, &lowest) && elf_object(path, "_PyRuntime", &val, &lowest))
		return -1;
	if (rec_maps_foreach(pid, base_fn, &bs) || !bs.base)
		return -1;
	memset(pp, 0, sizeof(*pp));
	pp->runtime = bs.base - lowest + val;
	pp->rt_interp_head = o->rt_interp_head;
	pp->is_threads_head = o->is_threads_head;
	pp->ts_next = o->ts_next;
	pp->ts_native_tid = o->ts_native_tid;
	pp->ts_thread_id = o->ts_thread_id;
	pp->ts_frame = o->ts_frame;
	pp->cf_current = o->cf_current;
	pp->fr_code = o->fr_code;
	pp->fr_previous = o->fr_previous;
	pp->fr_instr = o->fr_instr;
	pp->fr_owner = o->fr_owner;
	pp->minor = (uint16_t)v;
	return 1;
}

static int rd(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	return process_vm_readv((pid_t)pid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

static int rd64(uint32_t pid, uint64_t addr, uint64_t *v)
{
	return rd(pid, addr, v, sizeof(*v));
}

/* A str object as UTF-8 (bounded to out's size). */
static int rd_str(uint32_t pid, int minor, uint64_t obj, char *out, size_t outlen)
{
	uint8_t hdr[48];
	uint64_t len;
	uint32_t state, kind, compact, ascii;
	size_t asz = minor >= 12 ? 40 : 48, csz = minor >= 12 ? 56 : 72, o = 0;
	uint8_t buf[1024];

	out[0] = 0;
	if (!obj || rd(pid, obj, hdr, sizeof(hdr)))
		return -1;
	memcpy(&len, hdr + 16, 8);
	memcpy(&state, hdr + 32, 4);
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (!compact || kind < 1 || kind > 4 || kind == 3)
		return -1;
	if (len > sizeof(buf) / kind)
		len = sizeof(buf) / kind;
	if (rd(pid, obj + (ascii ? asz : csz), buf, len * kind))
		return -1;
	for (uint64_t i = 0; i < len; i++) {
		uint32_t c = kind == 1 ? buf[i] : kind == 2 ? ((uint16_t *)buf)[i] : ((uint32_t *)buf)[i];
		char u[4];
		size_t n;

		if (c < 0x80) { u[0] = (char)c; n = 1; }
		else if (c < 0x800) { u[0] = (char)(0xc0 | c >> 6); u[1] = (char)(0x80 | (c & 63)); n = 2; }
		else if (c < 0x10000) { u[0] = (char)(0xe0 | c >> 12); u[1] = (char)(0x80 | (c >> 6 & 63));
			u[2] = (char)(0x80 | (c & 63)); n = 3; }
		else { u[0] = (char)(0xf0 | c >> 18); u[1] = (char)(0x80 | (c >> 12 & 63));
			u[2] = (char)(0x80 | (c >> 6 & 63)); u[3] = (char)(0x80 | (c & 63)); n = 4; }
		if (o + n >= outlen)
			break;
		memcpy(out + o, u, n);
		o += n;
	}
	out[o] = 0;
	return 0;
}

static unsigned varint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned v = 0, shift = 0;
	uint8_t b;

	do {
		if (*i >= len || shift > 28)
			return v;
		b = t[(*i)++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return v;
}

static int svarint(const uint8_t *t, size_t len, size_t *i)
{
	unsigned v = varint(t, len, i);

	return v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
}

int rec_py_line(int minor, const uint8_t *t, size_t len, int firstlineno, uint32_t idx)
{
	int line = firstlineno;

	if (minor == 10) {
		/* 3.10 co_linetable: (byte delta, signed line delta, -128 = none) pairs;
		 * f_lasti counts 2-byte code units */
		uint32_t addr = 0, target = idx * 2;
		for (size_t i = 0; i + 1 < len; i += 2) {
			int ld = (int8_t)t[i + 1];
			uint32_t end = addr + t[i];

			if (ld != -128)
				line += ld;
			if (target >= addr && target < end)
				return ld == -128 ? 0 : line;
			addr = end;
		}
		return 0;
	}
	/* 3.11+: entries of 1 + (b & 7) code units; code (b >> 3) & 15 */
	uint32_t addr = 0;
	size_t i = 0;

	while (i < len) {
		uint8_t b = t[i++];
		unsigned code = (b >> 3) & 15, n = (b & 7) + 1;
		int l = line, none = 0;

		if (!(b & 0x80))
			return 0;            /* not at an entry start: damaged table */
		if (code == 15) {
			none = 1;
		} else if (code == 14) {
			l += svarint(t, len, &i);
			varint(t, len, &i);
			varint(t, len, &i);
			varint(t, len, &i);
		} else if (code == 13) {
			l += svarint(t, len, &i);
		} else if (code >= 10) {
			l += (int)code - 10;
			i += 2;
		} else {
			i += 1;
		}
		if (!none)
			line = l;
		if (idx >= addr && idx < addr + n)
			return none ? 0 : line;
		addr += n;
	}
	return 0;
}

int rec_py_resolve(uint32_t pid, int minor, uint64_t code, uint64_t instr, struct rec_py_loc *out)
{
	const struct rec_py_offsets *o = rec_py_offsets(minor);
	uint64_t fn, nm, tab, tlen;
	int32_t first = 0;
	uint8_t t[4096];
	uint32_t idx;

	memset(out, 0, sizeof(*out));
	if (!o || !code)
		return -1;
	if (rd64(pid, code + o->co_filename, &fn) || rd64(pid, code + o->co_linetable, &tab) ||
	    rd64(pid, code + (o->co_qualname != NONE ? o->co_qualname : o->co_name), &nm) ||
	    rd(pid, code + o->co_firstlineno, &first, 4))
		return -1;
	if (rd_str(pid, minor, fn, out->file, sizeof(out->file)))
		snprintf(out->file, sizeof(out->file), "?");
	if (rd_str(pid, minor, nm, out->func, sizeof(out->func)))
		snprintf(out->func, sizeof(out->func), "?");
	if (minor == 10) {
		idx = (uint32_t)instr;
	} else {
		uint64_t start = code + o->co_code_adaptive;
		idx = instr >= start ? (uint32_t)((instr - start) / 2) : 0;
	}
	out->line = first;
	if (tab && !rd64(pid, tab + 16, &tlen)) {       /* PyBytes: ob_size, ob_sval at 32 */
		if (tlen > sizeof(t))
			tlen = sizeof(t);
		if (!rd(pid, tab + 32, t, tlen)) {
			int l = rec_py_line(minor, t, tlen, first, idx);
			if (l > 0)
				out->line = l;
		}
	}
	return 0;
}
