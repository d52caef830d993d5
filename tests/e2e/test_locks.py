# SPDX-License-Identifier: MIT
"""test_locks.py - e2e cases: lock waits of each kind (mutex, rwlock, cond,
sem, futex), WHYSLOW_LOCKS=all, who woke whom, the stacks of slow calls, and
library-internal locks (SQLite's, CPython's) left alone.

Run by tests/run.py, one case per process (ctest: e2e.locks.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import subprocess

from whyslow_test import (PYTHON, LIB, TMP, check, require, report, dump, record, prog,
                          traced_like_untraced, find_query)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


def case_lock_waits():
    data, out = record([prog("locks")])
    rep = report(data)
    locks = {}
    for l in rep["locks"]:
        locks.setdefault(l["kind"], []).append(l)
    mutex = max(locks["mutex"], key=lambda l: l["wait_total_ns"])
    # How often 4 threads collide depends on the scheduler: a few times at least.
    check(mutex["contended"] >= 3 and mutex["threads"] >= 2, "mutex contention %s" % mutex)
    # Main's wait for the writer is certain; the writer's for main, likely
    # (a busy machine may run it only after main let go).
    check(locks["rwlock"][0]["contended"] in (1, 2) and
          locks["rwlock"][0]["wait_total_ns"] >= 50e6, "rwlock waits %s" % locks["rwlock"])
    for kind in ("cond", "sem", "futex"):
        waits = locks.get(kind, [])  # none: it never had to wait
        check(len(waits) == 1 and waits[0]["contended"] == 1, "%s: %s" % (kind, waits))
        if waits:
            check(waits[0]["wait_total_ns"] >= 5e6, "%s wait %d" % (kind, waits[0]["wait_total_ns"]))
    found = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    addrs = {f["addr"] for f in found}
    check(mutex["addr"] in addrs, "no lock_contention finding for the hot mutex")
    check(locks["cond"][0]["addr"] not in addrs, "a cond wait is not contention")
    p = rep["processes"][0]
    # Without WHYSLOW_LOCKS=all, uncontended acquisitions are only counted.
    check(p["uncontended_locks"] >= 1000, "uncontended %d" % p["uncontended_locks"])
    check(not any(l["kind"] == "mutex" and l["contended"] == 0 for l in rep["locks"]),
          "uncontended locks listed without WHYSLOW_LOCKS=all")


def case_locks_all():
    data, out = record([prog("locks")], env={"WHYSLOW_LOCKS": "all"})
    rep = report(data)
    acq = sorted(l.get("acquisitions", 0) for l in rep["locks"] if l["kind"] in ("mutex", "rwlock"))
    check(acq == [2, 3, 100, 1000], "acquisitions %s" % acq)
    hot = next(l for l in rep["locks"] if l.get("acquisitions") == 100)
    check(hot["hold_total_ns"] >= 100 * 200000, "hold time %d" % hot["hold_total_ns"])
    p = rep["processes"][0]
    contended = sum(l["contended"] for l in rep["locks"] if l["kind"] in ("mutex", "rwlock"))
    check(p["uncontended_locks"] == 1105 - contended,
          "uncontended %d, contended %d" % (p["uncontended_locks"], contended))
    # Each acquisition and release names its call in the program, not one
    # in the recorder (a fast path hands "all" mode's calls to the slow
    # path by a tail jump: wrap_lock.c): near main's cond wait, within the
    # program's few KiB of code.
    main_at = int(next(l for l in rep["locks"] if l["kind"] == "cond")["caller"], 16)
    callers = set()
    for line in dump(data):
        m = re.search(r" pthread_(mutex|rwlock)_\w+ .* caller=(0x[0-9a-f]+)", line)
        if m:
            callers.add(int(m.group(2), 16))
    far = sorted(hex(c) for c in callers if abs(c - main_at) > 0x10000)
    check(len(callers) >= 4 and not far, "callers %d, outside the program: %s" % (len(callers), far))


def dump_dur_ns(line):
    """The duration of a record, from its dump line (dur=878ns, 1.2ms...)."""
    m = re.search(r" dur=([0-9.]+)(ns|us|ms|s) ", line)
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    return float(m.group(1)) * scale[m.group(2)] if m else 0


def case_wakes_and_stacks():
    data, out = record([prog("wakes")])
    addr = {k: int(v, 16) for k, v in (f.split("=") for f in out.split())}
    lines = dump(data)

    def records(call, obj):
        return [l for l in lines if " %s " % call in l and "=0x%x " % addr[obj] in l]

    # Wake-ups: exactly the ones that had a waiter.
    check(len(records("pthread_cond_signal", "cond")) == 5, "cond signals")
    check(len(records("pthread_cond_broadcast", "all")) == 1, "broadcast")
    check(len(records("sem_post", "sem")) == 3, "sem_posts")
    futex = records("futex(FUTEX_WAKE)", "word")
    check(len(futex) == 1 and " result=1 " in futex[0], "futex wakes %s" % futex)
    main_tid = re.search(r" tid=(\d+) thread_start thread=1 ", "\n".join(lines)).group(1)
    held = [l for l in records("pthread_mutex_unlock", "held") if " tid=%s " % main_tid in l]
    check(len(held) == 1 and " wakes " in held[0], "unlock with a waiter %s" % held)
    rw = records("pthread_rwlock_unlock", "rw")
    check(len(rw) == 1 and " tid=%s " % main_tid in rw[0] and " wakes " in rw[0],
          "rwlock unlocks: only the one with a reader blocked %s" % rw)
    reader = [l for l in records("pthread_rwlock_rdlock", "rw") if " contended " in l]
    check(len(reader) == 1, "the reader's wait %s" % reader)
    # Stacks: the 5 ms sleeps keep theirs (the caller, slow_outer, main),
    # the fast writes none.
    sleeps = [l for l in lines if " nanosleep " in l]
    deep = []
    for l in sleeps:
        m = re.search(r"caller=(0x[0-9a-f]+) stack=([0-9a-fx,]+)", l)
        if not m:
            continue
        frames = [int(f, 16) for f in m.group(2).split(",")]
        if 0 <= frames[0] - addr["slow_inner"] < 64:
            check(frames[0] == int(m.group(1), 16), "first frame is the caller: %s" % l)
            check(0 <= frames[1] - addr["slow_outer"] < 64, "second frame in slow_outer: %s" % l)
            check(0 <= frames[2] - addr["main"] < 4096, "third frame in main: %s" % l)
            deep.append(l)
    check(len(deep) == 3, "sleeps with their stack: %d" % len(deep))
    # A stack only for a write that lasted long (WHYSLOW_STACK_MS, 1 ms;
    # in the first 10 ms, before the TSC's rate is known, 1 M ticks, a
    # quarter of that at most): on a busy machine a write may be
    # preempted that long.
    writes = [l for l in lines if " write " in l and "(/dev/null)" in l]
    stacked = [l for l in writes if "stack=" in l]
    check(len(writes) == 100 and all(dump_dur_ns(l) >= 250000 for l in stacked),
          "stacks only on slow writes: %s" % stacked)
    # WHYSLOW_STACK_MS=0: no stacks at all.
    data, out = record([prog("wakes")], env={"WHYSLOW_STACK_MS": "0"})
    check(not any("stack=" in l for l in dump(data)), "stacks with WHYSLOW_STACK_MS=0")


def case_sem_reused():
    """A semaphore destroyed and another made at its address (a future's,
    posted by a producer, then a lock's that two threads take and give
    back): the address is a lock, and lock_contention names it; without
    sem_destroy the two are one object, whose producer makes it a park."""
    for mode, role in (("destroy", "lock"), ("nodestroy", "park")):
        data, out = record([prog("sem_reuse"), mode])
        require(out.startswith("same=1 "), "%s: the second semaphore at the first's address: %s" %
                (mode, out))
        addr = out.split("sem=")[1].strip()
        destroys = [l for l in dump(data) if " sem_destroy sem=%s " % addr in l]
        check(len(destroys) == (2 if mode == "destroy" else 1),
              "%s: sem_destroy records: %s" % (mode, destroys))
        rep = report(data)
        lock = [l for l in rep["locks"] if l["addr"] == addr]
        check(len(lock) == 1 and lock[0]["contended"] == 3 and lock[0]["role"] == role,
              "%s: its line, 3 waits, a %s: %s" % (mode, role, lock))
        found = [f for f in rep["findings"] if f["kind"] == "lock_contention" and
                 f["addr"] == addr]
        check(len(found) == (role == "lock"), "%s: lock_contention: %s" % (mode, found))


def case_library_locks_bypassed():
    # SQLite's and CPython's own mutexes go straight to libc (bypass.c):
    # threads sharing a connection still compute the same, their queries are
    # all recorded, and the uncontended lock count holds only the
    # program's other locks; WHYSLOW_LOCKS=all sees SQLite's again.
    argv = [PYTHON, os.path.join(HERE, "progs", "py_shared_conn.py"), "500"]
    data, out = traced_like_untraced(argv)
    rep = report(data)
    q = find_query(rep, "select v from t where id = ?", exact=True)
    check(q["count"] == 2000, "queries %d" % q["count"])
    p = rep["processes"][0]
    check(p["uncontended_locks"] < 2000, "uncontended locks %d: SQLite's mutexes are counted"
          % p["uncontended_locks"])
    data, out = traced_like_untraced(argv, env={"WHYSLOW_LOCKS": "all"})
    p = report(data)["processes"][0]
    check(p["uncontended_locks"] > 20 * 2000, "WHYSLOW_LOCKS=all: uncontended locks %d"
          % p["uncontended_locks"])
    # Not recording (WHYSLOW_DISABLE=1), the locks are bypassed too: the
    # same results, and no log.
    quiet = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DISABLE="1",
                 WHYSLOW_DIR=os.path.join(TMP, "quiet"))
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    q = subprocess.run(argv, capture_output=True, text=True, env=quiet, timeout=120)
    check(q.returncode == 0 and q.stdout == plain.stdout, "disabled: %r vs %r (%s)"
          % (q.stdout[-200:], plain.stdout[-200:], q.stderr[-500:]))
    check(not os.path.exists(os.path.join(TMP, "quiet")), "disabled: a log was written")
