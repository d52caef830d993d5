# SPDX-License-Identifier: MIT
"""test_basics.py - report checks: what `whyslow report` (JSON and text) and
`whyslow dump` say of gen_log's logs, whose content is exactly known (see
the builders in tests/unit/gen_log.c): the normal log, thresholds, --pid,
the TSC clock, WHYSLOW_LOCKS=all, a missing end, time order, a big log.

Run by tests/run.py, one case per process (ctest: unit.report.basics.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import json
import os
import resource
import subprocess

from whyslow_test import (US, MS, GEN_LOG, TMP, check, eq, whyslow, report, gen, one_line_error)


R0 = 1700000000000000000


def by(items, **keys):
    return [i for i in items if all(i.get(k) == v for k, v in keys.items())]


def case_normal_json():
    log = os.path.join(TMP, "normal.wslog")
    gen("normal", log)
    r = report(log)
    eq(r["schema"], "whyslow.report/2", "schema")
    eq(len(r["processes"]), 1, "processes")
    p = r["processes"][0]
    want = {
        "pid": 4242, "ppid": 4200, "exe": "/usr/bin/demo",
        "argv": ["demo", "--fast", 'tab\there "q"', "bad\ufffdutf8"],
        "start_unix_ns": R0, "duration_ns": 2000 * MS, "threads": 3, "events": 42,
        "lost_events": 7, "truncated": False, "truncated_reason": None,
        "end": {"kind": "exit", "status": 3}, "uncontended_locks": 185, "log": log, "notes": [],
    }
    for k, v in want.items():
        eq(p.get(k), v, f"processes[0].{k}")

    calls = {s["call"]: s for s in r["syscalls"]}
    eq([s["call"] for s in r["syscalls"]],
       ["poll", "fsync", "nanosleep", "write", "accept", "send", "getaddrinfo", "recv", "read",
        "connect", "openat", "close", "dup"], "syscalls by total time")
    w = calls["write"]
    durs = sorted([1 * MS] * 5 + [12 * MS, 14 * MS, 16 * MS, 18 * MS, 20 * MS, 25 * MS, 2 * US])
    buckets = {}
    for d in durs:
        buckets[d.bit_length() - 1] = buckets.get(d.bit_length() - 1, 0) + 1
    for k, v in {"pid": 4242, "count": 12, "errors": 1, "bytes": 1050, "total_ns": sum(durs),
                 "p50_ns": 1 * MS, "p99_ns": 25 * MS, "max_ns": 25 * MS,
                 "histogram": [[b, n] for b, n in sorted(buckets.items())]}.items():
        eq(w[k], v, f"write.{k}")
    eq(w["histogram"], [[10, 1], [19, 5], [23, 3], [24, 3]], "write histogram")
    eq((calls["read"]["count"], calls["read"]["errors"], calls["read"]["bytes"]), (2, 1, 20), "read")
    eq((calls["getaddrinfo"]["count"], calls["getaddrinfo"]["errors"]), (2, 1), "getaddrinfo")
    eq(calls["getaddrinfo"]["total_ns"], 20 * MS, "getaddrinfo total")
    eq((calls["send"]["bytes"], calls["recv"]["bytes"]), (300, 10), "socket bytes")
    eq(calls["poll"]["total_ns"], 500 * MS, "poll total")

    eq([(l["kind"], l["addr"]) for l in r["locks"]],
       [("cond", "0x7f0000003000"), ("mutex", "0x7f0000001000"), ("rwlock", "0x7f0000006000"),
        ("sem", "0x7f0000004000"), ("futex", "0x7f0000005000"), ("mutex", "0x7f0000002000")],
       "locks by wait")
    hot = r["locks"][1]
    # No maps in the log: the lock and its site are only addresses.
    for k, v in {"pid": 4242, "lock": "mutex 0x7f0000001000", "site": {"addr": "0x401000"},
                 "caller": "0x401000", "contended": 5,
                 "wait_total_ns": 80 * MS, "wait_max_ns": 30 * MS, "threads": 2}.items():
        eq(hot[k], v, f"hot mutex.{k}")
    check("acquisitions" not in hot, "hold fields only in all mode")
    # No thread was seen releasing the sem or the futex: nothing says a
    # holder kept them, so they are places where threads waited for
    # something to happen (parks), as the cond is; mutexes and rwlocks are locks.
    eq([l["role"] for l in r["locks"]], ["park", "lock", "lock", "park", "park", "lock"],
       "roles of the locks")

    f = r["findings"]
    eq([(x["kind"], x.get("call") or x.get("lock_kind"), x["severity"]) for x in f],
       [("slow_syscall", "fsync", "high"), ("slow_syscall", "write", "medium"),
        ("lock_contention", "mutex", "medium"), ("slow_syscall", "send", "medium"),
        ("slow_syscall", "getaddrinfo", "low"), ("slow_syscall", "recv", "low"),
        ("lock_contention", "rwlock", "low"), ("slow_syscall", "read", "low")], "findings")
    for k, v in {"pid": 4242, "tid": 4242, "call": "fsync", "target": "/tmp/app.log", "count": 1,
                 "max_ns": 250 * MS, "total_ns": 250 * MS,
                 "summary": "1 fsync call on /tmp/app.log took \u226510 ms (max 250 ms, total 250 ms)"
                 }.items():
        eq(f[0][k], v, f"findings[0].{k}")
    for k, v in {"target": "/tmp/app.log", "count": 6, "max_ns": 25 * MS, "total_ns": 105 * MS,
                 "tid": 4242}.items():
        eq(f[1][k], v, f"write finding.{k}")
    for k, v in {"kind": "lock_contention", "lock_kind": "mutex", "addr": "0x7f0000001000",
                 "contended": 5,
                 "wait_total_ns": 80 * MS, "wait_max_ns": 30 * MS, "threads": 2, "tid": 4243,
                 "caller": "0x401000", "lock": "mutex 0x7f0000001000", "site": {"addr": "0x401000"},
                 "summary": "mutex 0x7f0000001000: 5 contended waits by 2 threads, 80 ms in total "
                            "(max 30 ms)"}.items():
        eq(f[2][k], v, f"mutex finding.{k}")
    eq([x.get("target") for x in f if x["kind"] == "slow_syscall"],
       ["/tmp/app.log", "/tmp/app.log", "10.0.0.1:5432", "db.example.com", "[::1]:8080",
        "unix:/run/x.sock"], "slow_syscall targets")
    eq([x["wait_total_ns"] for x in f if x["kind"] == "lock_contention"], [80 * MS, 13 * MS],
       "lock_contention totals (not the cond, the sem or futex no one released, the 2 ms mutex)")
    eq(f[6]["kind"] == "lock_contention" and (f[6]["threads"], f[6]["contended"]), (1, 2), "rwlock")

    s = r["slowest"]
    eq(len(s), 20, "slowest count")
    eq([(x["call"], x["dur_ns"] // MS) for x in s[:11]],
       [("fsync", 250), ("send", 30), ("write", 25), ("write", 20), ("write", 18), ("write", 16),
        ("getaddrinfo", 15), ("write", 14), ("recv", 14), ("write", 12), ("read", 12)],
       "slowest calls")
    for k, v in {"pid": 4242, "tid": 4242, "target": "/tmp/app.log", "dur_ns": 250 * MS,
                 "result": 0, "errno": 0, "at_ns": 500 * MS}.items():
        eq(s[0][k], v, f"slowest[0].{k}")
    check(not by(s, call="poll") and not by(s, call="nanosleep") and not by(s, call="accept"),
          "waiting calls are not among the slowest")
    eq(s[-1], {"pid": 4242, "tid": 4242, "call": "read", "target": "fd 0", "dur_ns": 3 * US,
               "result": -1, "errno": 11, "at_ns": 800 * MS, "site": {"addr": "0x401234"}},
       "slowest[19]: a failed read")
    eq(by(s, call="getaddrinfo", result=-2)[0]["errno"], 0, "getaddrinfo's error is its result")
    check(not by(s, call="dup") and not by(s, call="close"), "the fastest are not among the slowest")


def case_normal_text():
    log = os.path.join(TMP, "normal.wslog")
    gen("normal", log)
    rc, out, err = whyslow("report", log)
    eq(rc, 0, "exit status")
    eq(err, "", "stderr")
    for want in [
        "whyslow report: 1 process, 42 events, 7 lost, 8 findings",
        "FINDINGS (by severity, then cost)",
        "1 fsync call on /tmp/app.log took \u226510 ms (max 250 ms, total 250 ms)",
        "6 write calls on /tmp/app.log took \u226510 ms (max 25 ms, total 105 ms)",
        "mutex 0x7f0000001000: 5 contended waits by 2 threads, 80 ms in total (max 30 ms)",
        "most waits called from 0x401000",
        "pid 4242 (ppid 4200) demo --fast tab?here \"q\" bad\ufffdutf8 \u2014 2 s, 3 threads, "
        "42 events, 7 lost",
        "ended: exit(3)",
        "WARNING: 7 events were lost (buffers full)",
        "slowest calls",
    ]:
        check(want in out, f"text report lacks {want!r}")
    lines = out.splitlines()
    row = [l.split() for l in lines if l.split()[:1] == ["write"]]
    eq(row[0][:4] if row else None, ["write", "12", "1", "1.03"], "write row: count, errors, KiB")
    rows = {l.split()[0]: l for l in lines if l.startswith("  ") and len(l.split()) > 8}
    check(rows.get("write", "").endswith(" 2 us..25 ms"),
          f"write durations from 2 us to 25 ms: {rows.get('write')!r}")
    check(rows.get("getaddrinfo", "").endswith("\u2588\u2588 5 ms..15 ms"),
          f"getaddrinfo: two buckets, 5 to 15 ms: {rows.get('getaddrinfo')!r}")
    check(rows.get("connect", "").endswith("1 ms  \u2588"),
          f"one call, no range: {rows.get('connect')!r}")
    fsync = next(i for i, l in enumerate(lines) if "fsync call" in l)
    writes = next(i for i, l in enumerate(lines) if "write calls" in l)
    check(fsync < writes, "most costly finding first")
    check("high" in lines[fsync] and "medium" in lines[writes], "severities shown")
    check(not any("poll" in l and "slow_syscall" in l for l in lines), "poll is not a finding")

    def table(heading):
        """The first words of the rows under heading, up to a blank line."""
        at = next((i for i, l in enumerate(lines) if l.strip().startswith(heading)), None)
        if at is None:
            return None
        rows = []
        for l in lines[at + 2:]:
            if not l.strip():
                break
            rows.append(tuple(l.split()[:2]))
        return rows

    # Parks (waiting for work or an event) are no locks: a table of their own.
    eq(table("locks (contended)"), [("mutex", "0x7f0000001000"), ("rwlock", "0x7f0000006000"),
                                    ("mutex", "0x7f0000002000")], "the locks table")
    eq(table("parked"), [("cond", "0x7f0000003000"), ("sem", "0x7f0000004000"),
                         ("futex", "0x7f0000005000")], "the parks table")


def case_normal_dump():
    log = os.path.join(TMP, "normal.wslog")
    gen("normal", log)
    rc, out, err = whyslow("dump", log)
    eq(rc, 0, "exit status")
    events = [l for l in out.splitlines() if not l.startswith("#")]
    eq(len(events), 42, "dump event lines")
    times = [float(l.split()[0]) for l in events]
    eq(times, sorted(times), "dump is in time order")
    for want in [
        '   0.001000000 pid=4242 tid=4242 openat "/tmp/app.log" result=5 dur=50us caller=0x401234',
        "   0.010000000 pid=4242 tid=4242 write fd=5 (/tmp/app.log) result=100 dur=1ms caller=0x401234",
        " write fd=5 (fd 5) result=-1 err=EBADF dur=2us",
        " read fd=0 (fd 0) result=-1 err=EAGAIN dur=3us",
        " connect fd=7 (10.0.0.1:5432) result=-1 err=EINPROGRESS dur=1ms",
        ' getaddrinfo "nx.example.com" result=-2 err=EAI_NONAME',
        " pthread_mutex_lock mutex=0x7f0000001000 contended result=0 dur=10ms caller=0x401000",
        ' thread_start thread=2 name="worker-1" parent=1',
        ' thread_name thread=3 name="db-pool"',
        " thread_end thread=2 uncontended=60",
        " fd_info fd=4 kind=socket (unix:/run/x.sock)",
        "# pid=4242 meta lost 7",
        "# pid=4242 meta end kind=exit status=3",
        "# pid=4242 meta thread_name thread=1 tid=4242 name=main-thr",
        "# process pid=4242 ppid=4200 exe=/usr/bin/demo",
    ]:
        check(any(want in l for l in out.splitlines()), f"dump lacks {want!r}")


def case_slow_threshold():
    log = os.path.join(TMP, "normal.wslog")
    gen("normal", log)

    def kinds(ms):
        r = report("--slow-ms", str(ms), log)
        eq(r["slow_ns"], int(float(ms) * MS), f"slow_ns at {ms}")
        return [(x["kind"], x.get("call"), x.get("total_ns", x.get("wait_total_ns")))
                for x in r["findings"]]

    eq(kinds(100), [("slow_syscall", "fsync", 250 * MS)], "findings at 100 ms")
    eq(kinds(26), [("slow_syscall", "fsync", 250 * MS), ("lock_contention", None, 80 * MS),
                   ("slow_syscall", "send", 30 * MS)], "findings at 26 ms")
    eq(kinds(300), [], "findings at 300 ms: not poll (500 ms) nor the cond wait (300 ms)")
    eq(kinds(12.5), [("slow_syscall", "fsync", 250 * MS), ("slow_syscall", "write", 93 * MS),
                     ("lock_contention", None, 80 * MS), ("slow_syscall", "send", 30 * MS),
                     ("slow_syscall", "getaddrinfo", 15 * MS), ("slow_syscall", "recv", 14 * MS),
                     ("lock_contention", None, 13 * MS)], "findings at 12.5 ms")
    one_line_error(["report", "--slow-ms", "fast", log], 2,
                   "whyslow report: --slow-ms: 'fast' is not a number of milliseconds "
                   "(see whyslow report --help)")


def case_pid_filter():
    d = os.path.join(TMP, "multi")
    gen("multi", d)
    rc, out, err = whyslow("report", "--json", d)
    eq(rc, 0, "exit status with an empty log in the directory")
    eq(err.count("\n"), 1, "one warning line")
    check("killed.300.wslog: empty file, skipped" in err, f"warning about the empty log: {err!r}")
    r = json.loads(out)
    eq([p["pid"] for p in r["processes"]], [100, 200], "both processes, in start order")
    eq([(f["pid"], f["call"]) for f in r["findings"]], [(200, "write")], "findings of both")

    r = report("--pid", "200", d)
    eq([p["pid"] for p in r["processes"]], [200], "--pid 200 processes")
    eq({s["pid"] for s in r["syscalls"]}, {200}, "--pid 200 syscalls")
    eq([s["pid"] for s in r["slowest"]], [200, 200], "--pid 200 slowest")
    r = report("--pid=100", d)
    eq([p["pid"] for p in r["processes"]], [100], "--pid=100 processes")
    eq(r["findings"], [], "--pid 100 findings")
    rc, out, err = whyslow("report", "--pid", "999", d)
    eq((rc, out), (1, ""), "--pid 999: exit status and output")
    eq(err.splitlines()[-1], "whyslow: no process with pid 999 in these logs", "--pid 999 error")
    rc, out, err = whyslow("dump", "--pid", "100", d)
    eq(rc, 0, "dump --pid exit status")
    eq(len([l for l in out.splitlines() if not l.startswith("#")]), 2, "dump --pid 100 events")
    check(all("pid=100" in l for l in out.splitlines()), "dump --pid shows one process")
    rc, out, err = whyslow("report", os.path.join(d, "first.100.wslog"),
                           os.path.join(d, "second.200.wslog"))
    eq(rc, 0, "two files")
    check("2 processes" in out, "two files: two processes")


def case_severity_order():
    """Findings are listed by severity, then cost: a high 20 ms finding of
    a short process before a medium 30 ms one and a low 70 ms one (the
    shares of their processes' lives: 20 %, 3 %, 0.9 %)."""
    d = os.path.join(TMP, "severity")
    gen("severity", d)
    r = report(d)
    eq([(f["pid"], f["severity"], f["total_ns"]) for f in r["findings"]],
       [(700, "high", 20 * MS), (600, "medium", 30 * MS), (500, "low", 70 * MS)],
       "findings: pid, severity, cost")
    rc, out, err = whyslow("report", d)
    eq(rc, 0, "text report status")
    lines = [l for l in out.splitlines() if "write call" in l]
    eq([l.split()[0] for l in lines], ["high", "medium", "low"],
       "text: severities in order (%s)" % lines)


def case_tsc_clock():
    log = os.path.join(TMP, "tsc.wslog")
    gen("tsc", log)
    r = report(log)
    p = r["processes"][0]
    eq((p["duration_ns"], p["notes"], p["end"]), (2000 * MS, [], {"kind": "_exit", "status": 0}),
       "tsc process")
    pr = by(r["syscalls"], call="pread64")[0]
    eq((pr["count"], pr["total_ns"], pr["max_ns"], pr["bytes"]), (2, 60 * MS, 40 * MS, 8192),
       "pread64 in ns")
    eq((r["slowest"][0]["at_ns"], r["slowest"][0]["dur_ns"], r["slowest"][0]["target"]),
       (200 * MS, 40 * MS, "/data/db"), "slowest in ns")


def case_tsc_single_clock():
    log = os.path.join(TMP, "tsc1.wslog")
    gen("tsc1", log)
    r = report(log)
    p = r["processes"][0]
    check(any("clock rate unknown" in n for n in p["notes"]), f"note: {p['notes']}")
    eq(p["duration_ns"], 6000 * MS, "ticks taken as ns")
    eq((r["slowest"][0]["at_ns"], r["slowest"][0]["dur_ns"]), (600 * MS, 120 * MS), "slowest")
    rc, out, err = whyslow("report", log)
    check("note: clock rate unknown" in out, "note in the text report")


def case_locks_all():
    log = os.path.join(TMP, "locksall.wslog")
    gen("locksall", log)
    r = report(log)
    eq([l["addr"] for l in r["locks"]], ["0xa000", "0xb000"], "locks in all mode")
    a, b = r["locks"]
    eq((a["acquisitions"], a["hold_total_ns"], a["hold_max_ns"], a["contended"],
        a["wait_total_ns"], a["threads"]),
       (4, 5 * MS - 1 * US + 8 * MS + 10 * MS, 10 * MS, 1, 2 * MS, 1), "lock 0xa000")
    eq((b["acquisitions"], b["hold_total_ns"], b["hold_max_ns"], b["contended"]),
       (1, 1 * MS, 1 * MS, 0), "lock 0xb000")
    eq(r["findings"], [], "no contention finding at 10 ms")
    r = report("--slow-ms", "1", log)
    eq([(f["kind"], f["addr"], f["severity"]) for f in r["findings"]],
       [("lock_contention", "0xa000", "medium")], "contention finding at 1 ms")
    eq(r["findings"][0]["lock_kind"], "mutex", "its lock kind")


def case_no_end():
    log = os.path.join(TMP, "noend.wslog")
    gen("noend", log)
    r = report(log)
    eq((r["processes"][0]["end"], r["processes"][0]["duration_ns"]), (None, 1900 * MS),
       "no END: end null, duration to the last event")
    rc, out, err = whyslow("report", log)
    check("ended: no end record (killed, or still running)" in out, "text says so")


def case_unordered():
    log = os.path.join(TMP, "unordered.wslog")
    gen("unordered", log)
    rc, out, err = whyslow("dump", log)
    eq(rc, 0, "exit status")
    events = [" ".join(l.split()[:4]) for l in out.splitlines() if not l.startswith("#")]
    eq(events, ["0.010000000 pid=8000 tid=102 write", "0.011000000 pid=8000 tid=102 select",
                "0.012000000 pid=8000 tid=101 write", "0.012000000 pid=8000 tid=102 read",
                "0.020000000 pid=8000 tid=101 write", "0.020000000 pid=8000 tid=102 write"],
       "time order across threads and inside the thread that goes back, ties to thread 1")
    r = report(log)
    w = by(r["syscalls"], call="write")[0]
    eq((w["count"], w["p50_ns"], w["max_ns"], r["processes"][0]["duration_ns"]),
       (4, 1 * MS, 1 * MS, 30 * MS), "writes")
    rc, out, err = whyslow("report", log)
    row = [l for l in out.splitlines() if l.split()[:1] == ["write"]]
    check(row and row[0].endswith(" \u2588 900 us..1 ms"),
          f"one bucket, yet the real smallest and largest: {row}")


def case_status_unknown():
    log = os.path.join(TMP, "mainret.wslog")
    gen("mainret", log)
    eq(report(log)["processes"][0]["end"], {"kind": "exit", "status": None}, "status null")
    rc, out, err = whyslow("report", log)
    check("  ended: exit (status unknown)\n" in out, f"text: status unknown: {out!r}")
    rc, out, err = whyslow("dump", log)
    check("# pid=300 meta end kind=exit status=-1 " in out, "dump shows the record as it is")


def case_big_log():
    n = 3300000
    log = os.path.join(TMP, "big.wslog")
    subprocess.run([GEN_LOG, "big", log, str(n)], check=True, stdout=subprocess.DEVNULL)
    r = report(log)
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check(maxrss_kib < 150 * 1024, f"memory stays small: {maxrss_kib} KiB")

    # What build_big wrote (see gen_log.c).
    writes, locks, waits, ends = [], 0, [], []
    for k in range(4):
        now = 1 * US
        for j in range((n - 1 - k) // 4 + 1):
            if j % 3 == 0:
                dur = 1000 + j % 7000 if j % 48 == 0 else 100
                locks += 1
                if j % 48 == 0:
                    waits.append(dur)
            elif j % 3 == 1:
                dur = 500 + (j * 7919) % 100000
                writes.append(dur)
            else:
                dur = 50
            now += dur + 100
        ends.append(now)
    p = r["processes"][0]
    eq((p["events"], p["threads"], p["duration_ns"]), (n, 4, max(ends)),
       "events, threads, duration")
    w = by(r["syscalls"], call="write")[0]
    check(len(writes) > 1048576, "more writes than are kept for exact percentiles")
    eq((w["count"], w["bytes"], w["total_ns"], w["max_ns"]),
       (len(writes), 100 * len(writes), sum(writes), max(writes)), "write statistics")
    writes.sort()
    for pct in (50, 99):
        exact = writes[(pct * len(writes) + 99) // 100 - 1]
        got = w[f"p{pct}_ns"]
        check(exact <= got <= exact + exact // 256, f"p{pct}: {got}, exact {exact}")
    buckets = {}
    for d in writes:
        buckets[d.bit_length() - 1] = buckets.get(d.bit_length() - 1, 0) + 1
    eq(w["histogram"], [[b, c] for b, c in sorted(buckets.items())], "write histogram")
    lock = r["locks"][0]
    eq((lock["addr"], lock["acquisitions"], lock["contended"], lock["wait_total_ns"],
        lock["wait_max_ns"], lock["threads"]),
       ("0x1000", locks, len(waits), sum(waits), max(waits), 4), "the lock")
