# SPDX-License-Identifier: MIT
"""py_gil_held.py - a program for test_python.py: SQLite called holding the
GIL (ctypes.PyDLL, as a C extension that does not give it up would), the
same statement 20 times from one line.  Its report must name that line:
such a thread is in a C call of its interpreter, its frames standing
still."""
import ctypes
import importlib

importlib.import_module("sqlite3")  # loads libsqlite3: the global names are the recorder's
lib = ctypes.PyDLL(None)  # calls holding the GIL, unlike CDLL's
db, stmt = ctypes.c_void_p(), ctypes.c_void_p()
lib.sqlite3_open(b":memory:", ctypes.byref(db))
lib.sqlite3_prepare_v2(db, b"select 42", -1, ctypes.byref(stmt), None)


def poll():
    for _ in range(20):
        lib.sqlite3_step(stmt)  # step
        lib.sqlite3_reset(stmt)


poll()
lib.sqlite3_finalize(stmt)
lib.sqlite3_close(db)
print("done")
