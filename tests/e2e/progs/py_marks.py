# SPDX-License-Identifier: MIT
"""py_marks.py - the marker API through ctypes (no whyslow package): two
steps of point selects on SQLite, each a mark, for the end-to-end tests of
marks.  Prints "marked" when the recorder was found, else "unmarked"; the
program runs the same either way.

  step "load"   7 selects
  step "save"   3 selects
"""
import ctypes
import sqlite3

lib = ctypes.CDLL(None)
begin = getattr(lib, "whyslow_mark_begin", None)
end = getattr(lib, "whyslow_mark_end", None)
if begin:
    begin.argtypes = [ctypes.c_char_p, ctypes.c_char_p]

db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
db.executemany("INSERT INTO users VALUES (?, ?)", [(i, "user %d" % i) for i in range(10)])
for step, n in (("load", 7), ("save", 3)):
    if begin:
        begin(b"step", step.encode())
    for i in range(n):
        db.execute("SELECT name FROM users WHERE id = ?", (i,)).fetchone()
    if end:
        end()
print("marked" if begin else "unmarked")
