# SPDX-License-Identifier: MIT
"""bench_sqlite_py.py - benchmark: a Python loop of point selects on SQLite
(`select v from t where id = ?` on an indexed table of ROWS rows, through
Python's sqlite3 module and its statement cache, as an application would).

Usage:
  bench_sqlite_py.py LIB LOGDIR SLICES QUERIES
      starts two copies of this loop, one untraced and one under LIB
      (LD_PRELOAD, logging into LOGDIR), and has them run SLICES slices of
      QUERIES queries each, in turn (the order swapped every slice), so that
      both see the same moments of a shared, noisy machine, on the same
      CPU (compare() says why).  Prints
      "untraced_ns=U traced_ns=T overhead_pct=P median_pct=M queries=Q":
      U and T the wall time of one query in the fastest tenth of each
      copy's slices, P = T / U - 1 in percent, M the median of the slices'
      own traced/untraced ratios, Q the queries the traced copy ran in all
      (setup included).
  bench_sqlite_py.py --loop
      one copy: reads a number of queries a line, runs them, prints the
      nanoseconds they took; at the end of its input prints "queries=Q".

tests/bench/run.sh runs it and prints the overhead in percent and the log
bytes per query.  Slices of a few milliseconds, alternated: runs of whole
seconds, one after the other, differed by more than the overhead measured
(one untraced run 1.5 us a query, the next 2.4 us).
"""
import os
import statistics
import subprocess
import sys
import time

ROWS = 10000
WARMUP = 3  # slices each copy runs before the measured ones


def loop():
    import sqlite3
    db = sqlite3.connect(":memory:")
    db.execute("create table t (id integer primary key, v text not null)")
    db.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < %d)"
               " insert into t select i, 'value ' || i from n" % ROWS)
    db.commit()
    queries = 2
    i = 0
    for line in sys.stdin:
        n = int(line)
        t0 = time.perf_counter_ns()
        for _ in range(n):
            (v,) = db.execute("select v from t where id = ?", (i % ROWS + 1,)).fetchone()
            i += 1
        sys.stdout.write("%d\n" % (time.perf_counter_ns() - t0))
        sys.stdout.flush()
        queries += n
    db.close()
    sys.stdout.write("queries=%d\n" % queries)


def compare(lib, logdir, slices, n):
    # Both copies, their flusher and this process on one CPU: they take
    # turns, so none waits for another, and each copy runs where the other
    # does.  Left to the scheduler, a copy could stay on a CPU that ran
    # slower (a virtual CPU shares its host) for its whole run: with a
    # preloaded library that does nothing, single pairs differed by
    # -45..60 % (the middle half -18..13), and the median of 21 pairs moved
    # by 3 points from run to run; on one CPU, -4..10 % (-0.7..1.3), and
    # 0.42, 0.47, 0.82 % in three runs.  The flusher's work counts against
    # the traced copy this way, as on a machine with no idle CPU (whyslow
    # with a flusher that wrote nothing until the end measured the same).
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    me = [sys.executable, os.path.abspath(__file__), "--loop"]
    plain = dict(os.environ)
    plain.pop("LD_PRELOAD", None)
    traced = dict(plain, LD_PRELOAD=lib, WHYSLOW_DIR=logdir)
    copies = [subprocess.Popen(me, env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
              for e in (plain, traced)]

    def run(p):
        p.stdin.write("%d\n" % n)
        p.stdin.flush()
        return int(p.stdout.readline()) / n

    times = ([], [])
    for s in range(WARMUP + slices):
        order = (0, 1) if s % 2 == 0 else (1, 0)
        got = {}
        for k in order:
            got[k] = run(copies[k])
        if s >= WARMUP:
            times[0].append(got[0])
            times[1].append(got[1])
    ends = []
    for p in copies:
        out, _ = p.communicate()
        if p.returncode != 0:
            sys.exit("bench_sqlite_py: a copy failed (exit %d)" % p.returncode)
        ends.append(out)
    # Noise only adds time: the fastest tenth of each copy's slices is what
    # the loop costs undisturbed; the median of the slices' ratios is
    # printed beside it.
    fast = [statistics.quantiles(t, n=10)[0] for t in times]
    ratios = [(t / u - 1) * 100 for u, t in zip(*times)]
    print("untraced_ns=%.1f traced_ns=%.1f overhead_pct=%.2f median_pct=%.2f %s"
          % (fast[0], fast[1], (fast[1] / fast[0] - 1) * 100, statistics.median(ratios),
             ends[1].strip()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--loop"]:
        loop()
    elif len(sys.argv) == 5:
        compare(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__.split("\n\n")[1])
