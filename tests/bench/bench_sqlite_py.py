# SPDX-License-Identifier: MIT
"""bench_sqlite_py.py - benchmark: a Python loop of point selects on SQLite
(`select v from t where id = ?` on an indexed table of ROWS rows, through
Python's sqlite3 module and its statement cache, as an application would).

Usage: bench_sqlite_py.py [N]  (default 30000).  Prints "ns_per_op=X
queries=Q": X the wall time of one query, the best of SLICES loops of N
queries (the least disturbed by the noise of a shared machine); Q the
queries it ran in all (setup included).
tests/bench/run.sh runs it untraced and under libwhyslow.so, interleaved,
and prints the overhead in percent and the log bytes per query.
"""
import sqlite3
import sys
import time

ROWS = 10000
SLICES = 5

n = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
db = sqlite3.connect(":memory:")
db.execute("create table t (id integer primary key, v text not null)")
db.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < %d)"
           " insert into t select i, 'value ' || i from n" % ROWS)
db.commit()
queries = 2

best = None
for _ in range(SLICES):
    t0 = time.perf_counter_ns()
    for i in range(n):
        (v,) = db.execute("select v from t where id = ?", (i % ROWS + 1,)).fetchone()
    ns = (time.perf_counter_ns() - t0) / n
    queries += n
    best = ns if best is None else min(best, ns)
db.close()
print("ns_per_op=%.1f queries=%d" % (best, queries))
