# SPDX-License-Identifier: MIT
"""py_sqlite_io.py - SQLite on a database file, so that SQLite itself reads
and writes the file (pread64, pwrite64, fdatasync) inside its statements:
for the time breakdown's end-to-end test, where that I/O is database time,
not disk time.

Usage: py_sqlite_io.py DB_FILE   (made afresh)

Inserts 50,000 rows of 200 bytes in one transaction, reopens the database
(SQLite's cache empty) and reads every row back in one query.  Prints the
row count and the bytes read.
"""
import os
import sqlite3
import sys

path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
db = sqlite3.connect(path)
db.execute("create table t (id integer primary key, x text)")
db.executemany("insert into t (x) values (?)", (("x" * 200,) for _ in range(50000)))
db.commit()
db.close()
db = sqlite3.connect(path)
print(*db.execute("select count(*), sum(length(x)) from t").fetchone())
db.close()
