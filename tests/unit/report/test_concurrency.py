# SPDX-License-Identifier: MIT
"""test_concurrency.py - report checks: waits linked to the wakes that ended
them, the roles of locks (lock or park), pool_exhaustion and
thread_pool_exhaustion, on gen_log's wakes and tpool* logs.

Run by tests/run.py, one case per process (ctest: unit.report.concurrency.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os

from whyslow_test import (US, MS, TMP, eq, report, gen)


def case_wakes_json():
    """gen_log's wakes mode (see build_wakes): each wait linked to the wake
    that ended it, the roles of the objects, the pool that ran dry."""
    log = os.path.join(TMP, "wakes.wslog")
    gen("wakes", log)
    r = report(log)
    eq([(l["kind"], l["addr"], l["contended"], l["wait_total_ns"], l["role"]) for l in r["locks"]],
       [("cond", "0x7f0000100000", 2, 85010 * US, "park"),
        ("sem", "0x7f0000500000", 1, 49500 * US, "park"),
        ("sem", "0x7f0000400000", 1, 30 * MS, "lock"),
        ("sem", "0x7f0000300000", 1, 20 * MS, "park"),
        ("sem", "0x7f0000600000", 3, 16 * MS, "lock"),
        ("sem", "0x7f0000200000", 2, 12 * MS, "lock")],
       "locks and their roles: the pool's cond, a join, a holder that never waits, a producer's "
       "sem, a lock's sem at a future's address, a sem two threads take and give back")
    f = r["findings"]
    eq([(x["kind"], x.get("addr"), x["severity"]) for x in f],
       [("pool_exhaustion", None, "high"), ("lock_contention", "0x7f0000400000", "medium"),
        ("lock_contention", "0x7f0000600000", "medium"),
        ("lock_contention", "0x7f0000200000", "medium")], "findings")
    want = {"pid": 5500, "tid": 5504, "db": "sqlite", "resource": "sqlite connections to /srv/app.db",
            "pool_size": 2, "waiters": 2, "threads": 2, "wait_total_ns": 85010 * US,
            "wait_max_ns": 47010 * US, "caller": "0x401234",
            "summary": "the pool of 2 sqlite connections to /srv/app.db ran dry: 2 waits by 2 "
                       "threads for a connection while both were in use, 85 ms in all (max 47 ms): "
                       "make the pool bigger, or hold each connection for less time (do not keep "
                       "one across slow work that is not database work)"}
    for k, v in want.items():
        eq(f[0][k], v, f"pool_exhaustion.{k}")
    # At 31 ms, the pool's 85 ms still count; the 30 ms lock no longer does.
    r = report("--slow-ms", "31", log)
    eq([x["kind"] for x in r["findings"]], ["pool_exhaustion"], "findings at 31 ms")


def case_tpool_slow_start():
    """gen_log's tpoolslow mode (see build_tpool_slow): a worker that first
    runs after the other took both tasks (a busy machine) is no sign of too
    few workers: no thread_pool_exhaustion; it shows as soon as the late
    worker's start counts as busy (--slow-ms below the 80 ms main waited)."""
    log = os.path.join(TMP, "tpoolslow.wslog")
    gen("tpoolslow", log)
    eq([f["kind"] for f in report(log)["findings"]], [], "findings")
    eq([f["kind"] for f in report("--slow-ms", "1", log)["findings"]], [], "findings at 1 ms")


def one_tpool(mode):
    """The one thread_pool_exhaustion of gen_log's mode's log, else None
    (and a failed check)."""
    log = os.path.join(TMP, mode + ".wslog")
    gen(mode, log)
    found = [f for f in report(log)["findings"] if f["kind"] == "thread_pool_exhaustion"]
    eq(len(found), 1, "%s: thread_pool_exhaustion findings" % mode)
    return found[0] if len(found) == 1 else None


def case_tpool_unseen_worker():
    """gen_log's tpoolunseen mode (see build_tpool_end): a worker none of
    whose results was waited for (they were ready when main asked), seen
    only waiting for work at the end, took its tasks without waiting: it
    was busy from its first call, not on its way to its first task.  The
    pool was saturated from T3's first sleep (1.3 ms) to T2's wait for work
    (201.12), and after the end of work (201.42) until both ended (201.5).
    The repro of a CI failure of e2e.concurrency.thread_pool_map."""
    f = one_tpool("tpoolunseen")
    if f:
        eq((f["workers"], f["queue"], f["tid"]), (2, "0x7f0000800000", 5600),
           "tpoolunseen: workers, queue, the thread waiting")
        eq(f["saturated_ns"], (199820 + 80) * US, "tpoolunseen: saturated")
        eq((f["waits"], f["wait_total_ns"]), (5, (39710 + 4 * 39760) * US),
           "tpoolunseen: main's 5 waits for T2's results, the first from T3's first sleep")


def case_tpool_end_json():
    """gen_log's tpoolend mode (see build_tpool_end): 2 workers queued 10
    tasks at once, only one seen waiting for work, at its end: one
    thread_pool_exhaustion of 2 workers; tpoolnoend, the same threads
    never waiting for work (reporting progress): none."""
    f = one_tpool("tpoolend")
    if f:
        eq((f["workers"], f["queue"], f["queue_kind"], f["tid"]),
           (2, "0x7f0000800000", "sem", 5600), "workers, queue, the thread waiting")
        eq(f["saturated_ns"], 199950 * US, "saturated: T3's start to T2's wait for work, and after")
        eq((f["waits"], f["wait_total_ns"]), (9, 199390 * US),
           "main's waits for results while saturated (not the last, while T2 waited on Q)")
    log = os.path.join(TMP, "tpoolnoend.wslog")
    gen("tpoolnoend", log)
    eq([f["kind"] for f in report(log)["findings"]], [], "findings of threads reporting progress")
    # tpoollate: the parents from THREAD_START; T3 with one result, and
    # T2 whose last wake is a result, are the 2 workers.
    f = one_tpool("tpoollate")
    if f:
        eq((f["workers"], f["queue"], f["tid"]), (2, "0x7f0000800000", 5600),
           "tpoollate: workers, queue, the thread waiting")
        eq(f["saturated_ns"], 199950 * US, "tpoollate: saturated")
        # T2's last result is its last act before its end: taken for an
        # exit (a join), it is not counted.
        eq((f["waits"], f["wait_total_ns"]), (5, 159150 * US),
           "tpoollate: main's first 4 waits for T2's results and 1 for T3's")
