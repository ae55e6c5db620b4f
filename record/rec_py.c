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
