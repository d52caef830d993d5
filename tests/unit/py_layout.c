/* SPDX-License-Identifier: MIT */
/*
 * py_layout.c - prints, for the CPython whose headers it is built with,
 * the offsets preload/pyframes.c walks frames with, in the order of its
 * layouts[] table.  check_py_layout.py builds it against each installed
 * version's headers and compares.
 */
#define Py_BUILD_CORE 1
#include <Python.h>

#include "internal/pycore_code.h"
#include "internal/pycore_frame.h"

#include <stddef.h>
#include <stdio.h>

int main(void)
{
    printf("%d %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\n", PY_MINOR_VERSION,
           offsetof(PyThreadState, cframe), offsetof(_PyCFrame, current_frame),
           offsetof(_PyInterpreterFrame, f_code), offsetof(_PyInterpreterFrame, previous),
           offsetof(_PyInterpreterFrame, prev_instr), offsetof(_PyInterpreterFrame, owner),
           offsetof(PyCodeObject, co_filename), offsetof(PyCodeObject, co_qualname),
           offsetof(PyCodeObject, co_linetable), offsetof(PyCodeObject, co_firstlineno),
           offsetof(PyCodeObject, co_code_adaptive), sizeof(PyASCIIObject),
           sizeof(PyCompactUnicodeObject));
    return 0;
}
