/* unit-rec-py.c - CPython version detection from mapped paths and the
 * per-version offset tables.  With "dump 3.N" it prints the table in the
 * format of tests/record/py/offsets*.c, which t-py-offsets.sh compares with
 * offsetof() compiled against the real headers where they are installed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "rec_py.h"

static void dump(int minor)
{
	const struct rec_py_offsets *o = rec_py_offsets(minor);
	if (!o)
		return;
#define D(name, v) printf("%s %u\n", name, (unsigned)(v))
	D("_PyRuntimeState.interpreters.head", o->rt_interp_head);
	D("PyInterpreterState.next", o->is_next);
	D(minor == 10 ? "PyInterpreterState.tstate_head" : "PyInterpreterState.threads.head", o->is_threads_head);
	D("PyThreadState.next", o->ts_next);
	D("PyThreadState.thread_id", o->ts_thread_id);
	if (minor == 10) {
		D("PyThreadState.frame", o->ts_frame);
		D("PyFrameObject.f_code", o->fr_code);
		D("PyFrameObject.f_back", o->fr_previous);
		D("PyFrameObject.f_lasti", o->fr_instr);
	} else {
		D("PyThreadState.native_thread_id", o->ts_native_tid);
		D("PyThreadState.cframe", o->ts_frame);
		D("_PyCFrame.current_frame", o->cf_current);
		D("_PyInterpreterFrame.f_code", o->fr_code);
		D("_PyInterpreterFrame.prev_instr", o->fr_instr);
		D("_PyInterpreterFrame.previous", o->fr_previous);
		D("_PyInterpreterFrame.owner", o->fr_owner);
		D("PyCodeObject.co_qualname", o->co_qualname);
		D("PyCodeObject.co_code_adaptive", o->co_code_adaptive);
	}
	D("PyCodeObject.co_filename", o->co_filename);
	D("PyCodeObject.co_name", o->co_name);
	D("PyCodeObject.co_firstlineno", o->co_firstlineno);
	D("PyCodeObject.co_linetable", o->co_linetable);
}

static int ver(const char *p)
{
	int m = -1;
	return rec_py_version_from_path(p, &m) ? m : -1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "dump")) {
		dump(atoi(argv[2] + 2));
		return 0;
	}
	T_CHECK(ver("/usr/bin/python3.11") == 11, "py: interpreter binary python3.11");
	T_CHECK(ver("/usr/lib/x86_64-linux-gnu/libpython3.12.so.1.0") == 12, "py: libpython3.12.so.1.0");
	T_CHECK(ver("/opt/py/lib/libpython3.10d.so") == 10, "py: debug libpython3.10d.so");
	T_CHECK(ver("/opt/py/bin/python3.13d") == 13, "py: debug interpreter python3.13d");
	T_CHECK(ver("/usr/bin/python3") == -1, "py: python3 (no minor) is not a mapped binary name");
	T_CHECK(ver("/usr/bin/python3.11-config") == -1, "py: python3.11-config is not an interpreter");
	T_CHECK(ver("/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so") == -1,
		"py: an extension module is not the interpreter");
	T_CHECK(ver("/usr/lib/libpython3.11.a") == -1, "py: a static archive is not mapped code");
	T_CHECK(ver("libpython2.7.so.1.0") == -1, "py: Python 2 is not CPython 3");
	T_CHECK(rec_py_offsets(9) == NULL && rec_py_offsets(13) == NULL, "py: no table for 3.9 and 3.13");
	const struct rec_py_offsets *o = rec_py_offsets(11);
	T_CHECK(o && o->ts_frame == 56 && o->cf_current == 8 && o->fr_code == 32 && o->fr_previous == 48 &&
		o->fr_instr == 56 && o->co_code_adaptive == 184 && o->ts_native_tid == 160,
		"py: 3.11 frame chain offsets (Include/internal/pycore_frame.h, cpython/pystate.h)");
	o = rec_py_offsets(10);
	T_CHECK(o && o->ts_native_tid == 0xffff && o->fr_owner == 0xffff, "py: 3.10 has no native_thread_id nor owner");
	T_CHECK(getpid() > 0 && rec_py_process_version((uint32_t)getpid(), NULL, 0) == 0,
		"py: this test process maps no CPython");
	T_DONE();
}
