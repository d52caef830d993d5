# SPDX-License-Identifier: MIT
"""bench_pystack.py - benchmark: what a slow event's Python stack costs.

A loop of N os.write() calls of one byte to /dev/null, made DEPTH Python
frames deep.  tests/bench/run.sh runs it traced with every event keeping
its stacks (WHYSLOW_STACK_MS=0.0001) and the Python frames read, and the
same with WHYSLOW_PYTHON=off, interleaved: the difference is the price of
the Python stack of a slow event (the walk and its record).

Usage: bench_pystack.py [N [DEPTH]]  (default 20000, 20).  Prints
"ns_per_op=X": the wall time of one write, the best of SLICES loops.
"""
import os
import sys
import time

SLICES = 5
n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
depth = int(sys.argv[2]) if len(sys.argv) > 2 else 20
fd = os.open("/dev/null", os.O_WRONLY)


def loop():
    best = None
    for _ in range(SLICES):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            os.write(fd, b"x")
        ns = (time.perf_counter_ns() - t0) / n
        best = ns if best is None else min(best, ns)
    return best


def deeper(k):
    return deeper(k - 1) if k > 0 else loop()


print("ns_per_op=%.1f" % deeper(depth - 3))
