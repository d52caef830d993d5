# SPDX-License-Identifier: MIT
"""py_shared_conn.py - e2e program: threads sharing one SQLite connection.

Four threads run point queries on one connection opened with
check_same_thread=False, so they queue on SQLite's own connection mutex
(serialized mode) and on the GIL.  Prints each thread's sum of the
values it read and the number of queries: the output must be the same
traced and untraced.  Usage: py_shared_conn.py [QUERIES_PER_THREAD]
"""
import sqlite3
import sys
import threading

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("create table t (id integer primary key, v integer not null)")
db.executemany("insert into t values (?, ?)", ((i, i * 7) for i in range(1, 1001)))
db.commit()
sums = [0] * 4


def work(k):
    for i in range(n):
        (v,) = db.execute("select v from t where id = ?", ((i * 4 + k) % 1000 + 1,)).fetchone()
        sums[k] += v


threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(" ".join(str(s) for s in sums), 4 * n)
