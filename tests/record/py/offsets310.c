#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <stddef.h>
#include <stdio.h>
#include "internal/pycore_runtime.h"
#include "internal/pycore_interp.h"
#define P(x, m) printf("%s %zu\n", #x "." #m, offsetof(x, m))
int main(void) {
	P(_PyRuntimeState, interpreters.head);
	P(PyInterpreterState, next);
	P(PyInterpreterState, tstate_head);
	P(PyThreadState, next);
	P(PyThreadState, thread_id);
	P(PyThreadState, frame);
	P(PyFrameObject, f_code); P(PyFrameObject, f_back); P(PyFrameObject, f_lasti);
	P(PyCodeObject, co_filename); P(PyCodeObject, co_name); P(PyCodeObject, co_firstlineno);
	P(PyCodeObject, co_linetable);
	return 0;
}
