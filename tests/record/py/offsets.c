#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_MINOR_VERSION >= 11
#include "internal/pycore_frame.h"
#endif
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#define P(x, m) printf("%s %zu\n", #x "." #m, offsetof(x, m))
int main(void) {
	P(_PyRuntimeState, interpreters.head);
	P(PyInterpreterState, next);
	P(PyInterpreterState, threads.head);
	P(PyThreadState, next);
	P(PyThreadState, thread_id);
#if PY_MINOR_VERSION >= 11
	P(PyThreadState, native_thread_id);
#endif
#if PY_MINOR_VERSION == 10
	P(PyThreadState, frame);
	P(PyFrameObject, f_code); P(PyFrameObject, f_back); P(PyFrameObject, f_lasti);
#elif PY_MINOR_VERSION <= 12
	P(PyThreadState, cframe);
	P(_PyCFrame, current_frame);
#else
	P(PyThreadState, current_frame);
#endif
#if PY_MINOR_VERSION >= 11
#if PY_MINOR_VERSION >= 13
	P(_PyInterpreterFrame, f_executable);
	P(_PyInterpreterFrame, instr_ptr);
#else
	P(_PyInterpreterFrame, f_code);
	P(_PyInterpreterFrame, prev_instr);
#endif
	P(_PyInterpreterFrame, previous);
	P(_PyInterpreterFrame, owner);
	P(PyCodeObject, co_qualname);
	P(PyCodeObject, co_code_adaptive);
#endif
	P(PyCodeObject, co_filename); P(PyCodeObject, co_name); P(PyCodeObject, co_firstlineno);
	P(PyCodeObject, co_linetable);
	return 0;
}
