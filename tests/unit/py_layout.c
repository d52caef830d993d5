/* SPDX-License-Identifier: MIT */
/*
 * py_layout.c - prints, for the CPython whose headers it is built with,
 * the row of preload/pyframes.c's layouts[] table its walk of frames
 * needs, in that order (-1 for NONE).  check_py_layout.py builds it
 * against each installed version's headers and compares.
 */
#if PY_LAYOUT_NEW
#define Py_BUILD_CORE 1
#endif
#include <Python.h>

#if PY_MINOR_VERSION >= 11
#include "internal/pycore_code.h"
#include "internal/pycore_frame.h"
#else
#include <frameobject.h>
#endif

#include <stddef.h>
#include <stdio.h>

#define NONE -1L

int main(void)
{
#if PY_MINOR_VERSION >= 11
    long row[] = {PY_MINOR_VERSION,
                  (long)offsetof(PyThreadState, cframe),
                  (long)offsetof(_PyCFrame, current_frame),
                  NONE,
                  (long)offsetof(_PyInterpreterFrame, f_code),
                  (long)offsetof(_PyInterpreterFrame, previous),
                  (long)offsetof(_PyInterpreterFrame, prev_instr),
                  (long)offsetof(_PyInterpreterFrame, owner),
                  (long)offsetof(PyCodeObject, co_filename),
                  (long)offsetof(PyCodeObject, co_qualname),
                  (long)offsetof(PyCodeObject, co_linetable),
                  (long)offsetof(PyCodeObject, co_firstlineno),
                  (long)offsetof(PyCodeObject, co_code_adaptive),
                  (long)sizeof(PyASCIIObject),
                  (long)sizeof(PyCompactUnicodeObject),
                  NONE,
                  0};
#else
    long row[] = {
        PY_MINOR_VERSION,
        NONE,
        NONE,
        NONE,
        (long)offsetof(PyFrameObject, f_code),
        (long)offsetof(PyFrameObject, f_back),
        (long)offsetof(PyFrameObject, f_lasti),
        NONE,
        (long)offsetof(PyCodeObject, co_filename),
        (long)offsetof(PyCodeObject, co_name),
#if PY_MINOR_VERSION >= 10
        (long)offsetof(PyCodeObject, co_linetable),
#else
        (long)offsetof(PyCodeObject, co_lnotab),
#endif
        (long)offsetof(PyCodeObject, co_firstlineno),
        NONE,
        (long)sizeof(PyASCIIObject),
        (long)sizeof(PyCompactUnicodeObject),
        (long)offsetof(PyThreadState, frame),
        PY_MINOR_VERSION >= 10 ? 2 : 1
    };
#endif
    for (size_t i = 0; i < sizeof row / sizeof *row; i++)
        printf("%s%ld", i ? " " : "", row[i]);
    putchar('\n');
    return 0;
}
