#!/usr/bin/python3
"""check_report.py - what `whyslow report` and `whyslow dump` tell a user
about logs written by gen_log, whose content is exactly known (see the
builders in gen_log.c).  One check per run, so each is its own ctest test.

usage: check_report.py WHYSLOW GEN_LOG CHECK
"""
import fcntl
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

WHYSLOW, GEN_LOG, CHECK = sys.argv[1:4]
US = 1000
MS = 1000 * US
R0 = 1700000000000000000
failures = []


def eq(got, want, what):
    if got != want:
        failures.append(f"{what}: got {got!r}, expected {want!r}")


def ok(cond, what):
    if not cond:
        failures.append(what)


def gen(mode, out):
    """Runs gen_log; returns its chunks [(offset, end, kind, records)] and
    the offset of the byte it flipped (or None)."""
    res = subprocess.run([GEN_LOG, mode, out], capture_output=True, text=True, check=True)
    chunks, flipped = [], None
    for line in res.stdout.splitlines():
        f = line.split()
        if f[0] == "chunk":
            chunks.append((int(f[1]), int(f[2]), f[3], int(f[4])))
        elif f[0] == "flipped":
            flipped = int(f[1])
    return chunks, flipped


def whyslow(*args, cwd=None, env=None):
    res = subprocess.run([WHYSLOW, *args], capture_output=True, text=True, errors="replace",
                         cwd=cwd, env=env, timeout=60)
    return res.returncode, res.stdout, res.stderr


def report(*args):
    """The JSON report of ARGS; a failure here ends the check."""
    rc, out, err = whyslow("report", "--json", *args)
    if rc != 0:
        sys.exit(f"FAIL: whyslow report --json {' '.join(args)} exited {rc}: {err.strip()}")
    return json.loads(out)


def one_line_error(args, rc_want, line_want, cwd=None):
    """Checks that whyslow ARGS fails with status rc_want and exactly one
    stderr line (line_want, or containing it when it ends with '...')."""
    rc, out, err = whyslow(*args, cwd=cwd)
    eq(rc, rc_want, f"exit status of whyslow {' '.join(args)}")
    lines = err.splitlines()
    eq(len(lines), 1, f"stderr lines of whyslow {' '.join(args)}: {err!r}")
    if line_want.endswith("..."):
        ok(lines and line_want[:-3] in lines[0], f"stderr {err!r} lacks {line_want[:-3]!r}")
    else:
        eq(lines[0] if lines else None, line_want, f"stderr of whyslow {' '.join(args)}")
    eq(out, "", "stdout on error")


def by(items, **keys):
    return [i for i in items if all(i.get(k) == v for k, v in keys.items())]


def event_records(chunks, upto):
    """Records in the EVENTS chunks that end at or before byte upto."""
    return sum(c[3] for c in chunks if c[2] == "events" and c[1] <= upto)


# ---- the checks ----

def check_normal_json(tmp):
    log = os.path.join(tmp, "normal.wslog")
    gen("normal", log)
    r = report(log)
    eq(r["schema"], "whyslow.report/1", "schema")
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
    ok("acquisitions" not in hot, "hold fields only in all mode")
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
    ok(not by(s, call="poll") and not by(s, call="nanosleep") and not by(s, call="accept"),
       "waiting calls are not among the slowest")
    eq(s[-1], {"pid": 4242, "tid": 4242, "call": "read", "target": "fd 0", "dur_ns": 3 * US,
               "result": -1, "errno": 11, "at_ns": 800 * MS, "site": {"addr": "0x401234"}},
       "slowest[19]: a failed read")
    eq(by(s, call="getaddrinfo", result=-2)[0]["errno"], 0, "getaddrinfo's error is its result")
    ok(not by(s, call="dup") and not by(s, call="close"), "the fastest are not among the slowest")


def check_normal_text(tmp):
    log = os.path.join(tmp, "normal.wslog")
    gen("normal", log)
    rc, out, err = whyslow("report", log)
    eq(rc, 0, "exit status")
    eq(err, "", "stderr")
    for want in [
        "whyslow report: 1 process, 42 events, 7 lost, 8 findings",
        "FINDINGS (most costly first)",
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
        ok(want in out, f"text report lacks {want!r}")
    lines = out.splitlines()
    row = [l.split() for l in lines if l.split()[:1] == ["write"]]
    eq(row[0][:4] if row else None, ["write", "12", "1", "1.03"], "write row: count, errors, KiB")
    rows = {l.split()[0]: l for l in lines if l.startswith("  ") and len(l.split()) > 8}
    ok(rows.get("write", "").endswith(" 2 us..25 ms"),
       f"write durations from 2 us to 25 ms: {rows.get('write')!r}")
    ok(rows.get("getaddrinfo", "").endswith("\u2588\u2588 5 ms..15 ms"),
       f"getaddrinfo: two buckets, 5 to 15 ms: {rows.get('getaddrinfo')!r}")
    ok(rows.get("connect", "").endswith("1 ms  \u2588"),
       f"one call, no range: {rows.get('connect')!r}")
    fsync = next(i for i, l in enumerate(lines) if "fsync call" in l)
    writes = next(i for i, l in enumerate(lines) if "write calls" in l)
    ok(fsync < writes, "most costly finding first")
    ok("high" in lines[fsync] and "medium" in lines[writes], "severities shown")
    ok(not any("poll" in l and "slow_syscall" in l for l in lines), "poll is not a finding")


def check_normal_dump(tmp):
    log = os.path.join(tmp, "normal.wslog")
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
        ok(any(want in l for l in out.splitlines()), f"dump lacks {want!r}")


def check_slow_threshold(tmp):
    log = os.path.join(tmp, "normal.wslog")
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


def check_pid_filter(tmp):
    d = os.path.join(tmp, "multi")
    gen("multi", d)
    rc, out, err = whyslow("report", "--json", d)
    eq(rc, 0, "exit status with an empty log in the directory")
    eq(err.count("\n"), 1, "one warning line")
    ok("killed.300.wslog: empty file, skipped" in err, f"warning about the empty log: {err!r}")
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
    ok(all("pid=100" in l for l in out.splitlines()), "dump --pid shows one process")
    rc, out, err = whyslow("report", os.path.join(d, "first.100.wslog"),
                           os.path.join(d, "second.200.wslog"))
    eq(rc, 0, "two files")
    ok("2 processes" in out, "two files: two processes")


def check_tsc_clock(tmp):
    log = os.path.join(tmp, "tsc.wslog")
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


def check_tsc_single_clock(tmp):
    log = os.path.join(tmp, "tsc1.wslog")
    gen("tsc1", log)
    r = report(log)
    p = r["processes"][0]
    ok(any("clock rate unknown" in n for n in p["notes"]), f"note: {p['notes']}")
    eq(p["duration_ns"], 6000 * MS, "ticks taken as ns")
    eq((r["slowest"][0]["at_ns"], r["slowest"][0]["dur_ns"]), (600 * MS, 120 * MS), "slowest")
    rc, out, err = whyslow("report", log)
    ok("note: clock rate unknown" in out, "note in the text report")


def check_locks_all(tmp):
    log = os.path.join(tmp, "locksall.wslog")
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


def check_no_end(tmp):
    log = os.path.join(tmp, "noend.wslog")
    gen("noend", log)
    r = report(log)
    eq((r["processes"][0]["end"], r["processes"][0]["duration_ns"]), (None, 1900 * MS),
       "no END: end null, duration to the last event")
    rc, out, err = whyslow("report", log)
    ok("ended: no end record (killed, or still running)" in out, "text says so")


def check_unknown_records(tmp):
    log = os.path.join(tmp, "unknown.wslog")
    gen("unknown", log)
    r = report(log)
    p = r["processes"][0]
    eq((p["events"], p["truncated"], p["end"]["kind"]), (3, False, "exec"), "unknown records")
    eq(p["notes"], ["skipped chunks of unknown kind 7"], "notes")
    eq(sorted(s["call"] for s in r["syscalls"]), ["call#30", "write"], "unknown call in the table")
    rc, out, err = whyslow("dump", log)
    ok(" call#30 obj=3 result=0" in out and " call#120 result=0" in out, "dump names unknown calls")


def check_truncated_cuts(tmp):
    log = os.path.join(tmp, "normal.wslog")
    chunks, _ = gen("normal", log)
    data = open(log, "rb").read()
    cut = os.path.join(tmp, "cut.wslog")

    def cut_report(n):
        with open(cut, "wb") as f:
            f.write(data[:n])
        return report(cut)["processes"][0]

    for c in chunks[:-1]:
        end = c[1]
        p = cut_report(end)  # a chunk boundary: a shorter, intact log
        eq((p["truncated"], p["events"]), (False, event_records(chunks, end)), f"cut at {end}")
        p = cut_report(end + 5)
        eq((p["truncated"], p["events"]), (True, event_records(chunks, end)), f"cut at {end}+5")
        eq(p["truncated_reason"], f"at byte {end}: frame header cut short (5 of 8 bytes)",
           f"reason at {end}+5")
        p = cut_report(end + 20)
        eq(p["truncated_reason"], f"at byte {end}: chunk header cut short", f"reason at {end}+20")
        p = cut_report(end + 45)
        eq((p["truncated"], p["events"]), (True, event_records(chunks, end)), f"cut at {end}+45")
        ok(p["truncated_reason"].startswith(f"at byte {end + 40}: zstd frame cut short"),
           f"reason at {end}+45: {p['truncated_reason']}")
    for n in range(24, len(data), 7):  # everywhere: never a crash, always a report
        with open(cut, "wb") as f:
            f.write(data[:n])
        rc, out, err = whyslow("report", "--json", cut)
        eq(rc, 0, f"exit status when cut at {n}")
    p = cut_report(24)
    eq((p["pid"], p["events"], p["truncated"]), (0, 0, False), "header only")
    with open(cut, "wb") as f:
        f.write(data[:10])
    one_line_error(["report", cut], 1,
                   f"whyslow: {cut}: not a whyslow log (cut inside its 24-byte file header)")
    p = cut_report(len(data) - 1)
    eq(p["truncated"], True, "last byte missing")
    rc, out, err = whyslow("report", cut)
    ok("WARNING: log truncated at byte" in out, "text report shows the truncation")


def check_bad_checksum(tmp):
    log = os.path.join(tmp, "bad.wslog")
    chunks, flipped = gen("badchecksum", log)
    chunk = next(c for c in chunks if c[0] <= flipped < c[1])
    r = report(log)
    p = r["processes"][0]
    eq((p["truncated"], p["events"]), (True, event_records(chunks, chunk[0])), "damaged frame")
    eq(p["truncated_reason"],
       f"at byte {chunk[0] + 40}: zstd frame does not decode (Restored data doesn't match checksum)",
       "reason")


def check_foreign_files(tmp):
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("hello, this is not a log at all\n")
    one_line_error(["report", "/bin/sh"], 1, "whyslow: /bin/sh: not a whyslow log")
    one_line_error(["report", text], 1, f"whyslow: {text}: not a whyslow log")
    one_line_error(["dump", text], 1, f"whyslow: {text}: not a whyslow log")
    good = os.path.join(tmp, "good.wslog")
    gen("normal", good)
    one_line_error(["report", good, text], 1, f"whyslow: {text}: not a whyslow log")
    d = os.path.join(tmp, "dir")
    os.mkdir(d)
    gen("normal", os.path.join(d, "a.wslog"))
    with open(os.path.join(d, "b.wslog"), "w") as f:
        f.write("garbage garbage garbage garbage\n")
    one_line_error(["report", d], 1, f"whyslow: {d}/b.wslog: not a whyslow log")


def check_empty_file(tmp):
    empty = os.path.join(tmp, "empty.wslog")
    open(empty, "w").close()
    one_line_error(["report", empty], 1, f"whyslow: {empty}: empty file")
    one_line_error(["dump", empty], 1, f"whyslow: {empty}: empty file")


def check_bad_version(tmp):
    log = os.path.join(tmp, "v9.wslog")
    gen("version9", log)
    one_line_error(["report", log], 1,
                   f"whyslow: {log}: log format version 9 is not supported "
                   "(this whyslow reads versions 1 to 2)")
    # Version 2 only added records: a version 1 log reads as before.
    v1 = os.path.join(tmp, "v1.wslog")
    gen("version1", v1)
    normal = os.path.join(tmp, "v2.wslog")
    gen("normal", normal)
    eq(report(v1)["findings"], report(normal)["findings"], "findings of a version 1 log")


def check_no_logs(tmp):
    d = os.path.join(tmp, "nothing")
    os.mkdir(d)
    one_line_error(["report", d], 1, f"whyslow: {d}: no whyslow logs (*.wslog) found")
    open(os.path.join(d, "x.wslog"), "w").close()
    rc, out, err = whyslow("report", d)
    eq(rc, 1, "only an empty log")
    ok("no whyslow logs" in err.splitlines()[-1], "only an empty log: error")
    one_line_error(["report", os.path.join(tmp, "missing")], 1,
                   f"whyslow: {tmp}/missing: No such file or directory")
    one_line_error(["report"], 1, "whyslow: whyslow.data: No such file or directory (record first...",
                   cwd=tmp)
    one_line_error(["dump"], 1, "whyslow: whyslow.data: No such file or directory...", cwd=tmp)


def check_cli_usage(tmp):
    rc, out, err = whyslow()
    eq(rc, 2, "no command")
    ok("usage: whyslow" in err, "usage on stderr")
    for args in (["--help"], ["report", "--help"], ["dump", "--help"], ["record", "--help"]):
        rc, out, err = whyslow(*args)
        eq((rc, err), (0, ""), f"whyslow {' '.join(args)}")
        ok(out.startswith("usage: whyslow"), f"whyslow {' '.join(args)} prints usage")
    one_line_error(["frob"], 2, "whyslow: unknown command 'frob' (see whyslow --help)")
    one_line_error(["--frob"], 2, "whyslow: unknown option '--frob' (see whyslow --help)")
    one_line_error(["report", "--frob"], 2,
                   "whyslow report: unknown option '--frob' (see whyslow report --help)")
    one_line_error(["dump", "--json"], 2,
                   "whyslow dump: unknown option '--json' (see whyslow dump --help)")
    one_line_error(["report", "--pid"], 2,
                   "whyslow report: --pid needs a value (see whyslow report --help)")
    one_line_error(["report", "--pid", "12x"], 2,
                   "whyslow report: --pid: '12x' is not a process id (see whyslow report --help)")
    one_line_error(["record"], 2, "whyslow record: no command to run (see whyslow record --help)")
    one_line_error(["record", "-x", "true"], 2,
                   "whyslow record: unknown option '-x' (see whyslow record --help)")


def check_record_errors(tmp):
    lib = os.path.join(os.path.dirname(WHYSLOW), "libwhyslow.so")
    if not os.path.exists(lib):
        print(f"SKIP: {lib} is not built")
        return
    d = os.path.join(tmp, "out")
    os.mkdir(d)
    open(os.path.join(d, "stale.wslog"), "w").close()
    open(os.path.join(d, "keep.txt"), "w").close()
    one_line_error(["record", "-o", d, "--", "/nonexistent/cmd"], 127,
                   "whyslow: /nonexistent/cmd: No such file or directory")
    ok(not os.path.exists(os.path.join(d, "stale.wslog")), "stale logs deleted")
    ok(os.path.exists(os.path.join(d, "keep.txt")), "other files kept")

    env = dict(os.environ, LD_PRELOAD="")
    rc, out, err = whyslow("record", "-o", "rel/out", "sh", "-c",
                           'echo "$WHYSLOW_DIR|$LD_PRELOAD"; exit 7', cwd=tmp, env=env)
    eq(rc, 7, "record exits with the command's status")
    eq(out, f"{os.path.realpath(tmp)}/rel/out|{lib}\n", "WHYSLOW_DIR and LD_PRELOAD")
    ok(err.endswith(f"run: whyslow report {os.path.realpath(tmp)}/rel/out\n"), f"says where: {err!r}")
    rc, out, err = whyslow("record", "-o", d, "sh", "-c", "kill -TERM $$")
    eq(rc, 128 + 15, "killed by SIGTERM: 128+15")
    if os.geteuid() == 0:  # a program setuid to someone else
        suid = os.path.join(tmp, "suid-true")
        with open("/bin/true", "rb") as src, open(suid, "wb") as dst:
            dst.write(src.read())
        os.chown(suid, 65534, 65534)
        os.chmod(suid, 0o4755)
        rc, out, err = whyslow("record", "-o", d, suid)
        ok(f"whyslow: warning: {suid} is setuid; preloading cannot trace it" in err,
           f"setuid warning: {err!r}")
    if os.path.exists("/sbin/ldconfig"):
        rc, out, err = whyslow("record", "-o", d, "/sbin/ldconfig", "--version")
        ok("whyslow: warning: /sbin/ldconfig is statically linked; preloading cannot trace it"
           in err, f"static warning: {err!r}")


def check_unordered(tmp):
    log = os.path.join(tmp, "unordered.wslog")
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
    ok(row and row[0].endswith(" \u2588 900 us..1 ms"),
       f"one bucket, yet the real smallest and largest: {row}")


def check_status_unknown(tmp):
    log = os.path.join(tmp, "mainret.wslog")
    gen("mainret", log)
    eq(report(log)["processes"][0]["end"], {"kind": "exit", "status": None}, "status null")
    rc, out, err = whyslow("report", log)
    ok("  ended: exit (status unknown)\n" in out, f"text: status unknown: {out!r}")
    rc, out, err = whyslow("dump", log)
    ok("# pid=300 meta end kind=exit status=-1 " in out, "dump shows the record as it is")


NOTE = "log still being written: the process may still be running"


def check_busy_log(tmp):
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    log = os.path.join(d, "4242.wslog")
    gen("normal", log)
    fd = os.open(log, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as the recorder's flusher holds it while it writes
    start = time.monotonic()
    r = report(d)
    eq(r["processes"][0]["notes"], [NOTE], "a locked log: read, with a note")
    eq(r["processes"][0]["events"], 42, "and everything in it")
    rc, out, err = whyslow("report", log)
    ok(f"  note: {NOTE}\n" in out, "the note in the text report")
    rc, out, err = whyslow("dump", log)
    ok(f"# pid=4242 note: {NOTE}\n" in out, "the note in the dump")
    ok(time.monotonic() - start < 5, "no waiting for the lock")
    os.close(fd)
    eq(report(d)["processes"][0]["notes"], [], "no note once unlocked")


def check_record_waits(tmp):
    lib = os.path.join(os.path.dirname(WHYSLOW), "libwhyslow.so")
    if not os.path.exists(lib):
        print(f"SKIP: {lib} is not built")
        return
    d = os.path.join(tmp, "out")
    late = os.path.join(d, "late.wslog")
    # Creates late.wslog locked, then exits at once, leaving a child that
    # holds the lock 0.5 s more before it writes and exits: like a flusher.
    script = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
if os.fork() == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # so that only the lock, not our output pipes, keeps record waiting
    os.dup2(null, 2)
    time.sleep(0.5)
    os.write(fd, b"done")
    os._exit(0)
"""
    start = time.monotonic()
    rc, out, err = whyslow("record", "-o", d, "/usr/bin/python3", "-c", script, late)
    took = time.monotonic() - start
    eq(rc, 0, f"exit status ({err.strip()})")
    ok(took >= 0.45, f"record waited for the lock: {took:.2f} s")
    with open(late, "rb") as f:
        eq(f.read(), b"done", "the log was complete when record returned")
    ok(took < 5, f"and not much longer: {took:.2f} s")
    ok("still being written" not in err, f"no warning: {err!r}")


def check_big_log(tmp):
    n = 3300000
    log = os.path.join(tmp, "big.wslog")
    subprocess.run([GEN_LOG, "big", log, str(n)], check=True, stdout=subprocess.DEVNULL)
    r = report(log)
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ok(maxrss_kib < 150 * 1024, f"memory stays small: {maxrss_kib} KiB")

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
    ok(len(writes) > 1048576, "more writes than are kept for exact percentiles")
    eq((w["count"], w["bytes"], w["total_ns"], w["max_ns"]),
       (len(writes), 100 * len(writes), sum(writes), max(writes)), "write statistics")
    writes.sort()
    for pct in (50, 99):
        exact = writes[(pct * len(writes) + 99) // 100 - 1]
        got = w[f"p{pct}_ns"]
        ok(exact <= got <= exact + exact // 256, f"p{pct}: {got}, exact {exact}")
    buckets = {}
    for d in writes:
        buckets[d.bit_length() - 1] = buckets.get(d.bit_length() - 1, 0) + 1
    eq(w["histogram"], [[b, c] for b, c in sorted(buckets.items())], "write histogram")
    lock = r["locks"][0]
    eq((lock["addr"], lock["acquisitions"], lock["contended"], lock["wait_total_ns"],
        lock["wait_max_ns"], lock["threads"]),
       ("0x1000", locks, len(waits), sum(waits), max(waits), 4), "the lock")


# ---- SQL: gen_log's sql mode (see build_sql in gen_log.c) ----

def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return f"{h:016x}"


AUTHOR = "select name from author where id = ?"
BOOKS = "select id, title, author_id from book order by id"
ORDERS = 'select "shop_order"."id", "shop_order"."customer_id", "shop_order"."product_id" from "shop_order"'
CUSTOMER = ('select "shop_customer"."id", "shop_customer"."name" from "shop_customer" where '
            '"shop_customer"."id" = ? limit ?')
PRODUCT = ('select "shop_product"."id", "shop_product"."title" from "shop_product" where '
           '"shop_product"."id" = ? limit ?')
EXEC = "begin; insert into log values (?); commit"

# (db, normalized): (count, rows, total_ns, errors); db_ns is half of total_ns
# but for sqlite3_exec (all of it).
SQL_QUERIES = {
    ("sqlite", BOOKS): (1, 20, 30 * MS, 0),
    ("sqlite", AUTHOR): (23, 23, 23 * 200 * US, 0),
    ("sqlite", ORDERS): (1, 12, 2 * MS, 0),
    ("sqlite", CUSTOMER): (12, 12, 12 * 300 * US, 0),
    ("sqlite", PRODUCT): (12, 12, 12 * 400 * US, 0),
    ("sqlite", "select count(*) from shop_order"): (1, 1, 100 * US, 0),
    ("sqlite", "select b.title, a.name from book b join author a on a.id = b.author_id order by b.id"):
        (1, 20, 3 * MS, 0),
    ("sqlite", "select id, title, author_id from book where id <= ? order by id"): (1, 3, 200 * US, 0),
    ("sqlite", "select id from setting_group"): (1, 10, 100 * US, 0),
    ("sqlite", "select value from config where key = ?"): (8, 8, 2 * MS, 0),
    ("sqlite", "begin"): (1, 0, 20 * US, 0),
    ("sqlite", "insert into sale(book_id, qty) values (?, ?)"): (50, 0, 50 * 50 * US, 0),
    ("sqlite", "commit"): (1, 0, 1 * MS, 0),
    ("sqlite", "update book set stock = stock - ? where id = ?"): (6, 0, 9 * MS, 0),
    ("sqlite", "savepoint sp1"): (1, 0, 10 * US, 0),
    ("sqlite", "delete from cart where id = ?"): (5, 0, 500 * US, 0),
    ("sqlite", "release sp1"): (1, 0, 10 * US, 0),
    ("sqlite", EXEC): (1, 0, 2 * MS, 0),
    ("sqlite", "select * from missing"): (1, 0, 50 * US, 1),
    ("sqlite", "select id from item where shelf = ?"): (2, 16, 6 * MS, 0),
    ("sqlite", "select price from price where item_id = ?"): (16, 16, 16 * 100 * US, 0),
    ("sqlite", "select id from tag"): (1, 120, 500 * US, 0),
    ("sqlite", "select label from tag_label where tag_id = ?"): (120, 120, 120 * 10 * US, 0),
    ("postgres", "begin"): (2, 0, 200 * US, 0),
    ("postgres", BOOKS): (1, 30, 1 * MS, 0),
    ("postgres", AUTHOR): (30, 30, 30 * 800 * US, 0),
    ("postgres", "select count(*) from book where author_id = ?"): (6, 6, 3 * MS, 0),
    ("postgres", "commit"): (2, 0, 300 * US, 0),
    ("postgres", "insert into audit(event) values (?)"): (17, 0, 7 * 2 * MS + 10 * 300 * US, 0),
    ("postgres", "select * from nope"): (1, 0, 300 * US, 1),
}

# Most costly first: (kind, variant, db, normalized, count, total_ns, tid, conn,
# parent_normalized, parent_rows, loops, severity).
SQL_FINDINGS = [
    ("n_plus_one", None, "postgres", AUTHOR, 30, 24 * MS, 7101, "0x5000b000", BOOKS, 30, 1, "medium"),
    ("repeated_query", "unbatched_writes", "postgres", "insert into audit(event) values (?)", 7,
     14 * MS, 7101, "0x5000b000", None, None, None, "low"),
    ("repeated_query", "unbatched_writes", "sqlite", "update book set stock = stock - ? where id = ?",
     6, 9 * MS, 7100, "0x5000a000", None, None, None, "low"),
    ("n_plus_one", None, "sqlite", PRODUCT, 12, 4800 * US, 7100, "0x5000a000", ORDERS, 12, 1, "low"),
    ("n_plus_one", None, "sqlite", AUTHOR, 20, 4 * MS, 7100, "0x5000a000", BOOKS, 20, 1, "low"),
    ("n_plus_one", None, "sqlite", CUSTOMER, 12, 3600 * US, 7100, "0x5000a000", ORDERS, 12, 1, "low"),
    ("repeated_query", None, "postgres", "select count(*) from book where author_id = ?", 6, 3 * MS,
     7101, "0x5000b000", None, None, None, "low"),
    ("repeated_query", None, "sqlite", "select value from config where key = ?", 8, 2 * MS, 7100,
     "0x5000a000", None, None, None, "low"),
    ("n_plus_one", None, "sqlite", "select price from price where item_id = ?", 16, 1600 * US, 7102,
     "0x5000c000", "select id from item where shelf = ?", 16, 2, "low"),
    ("n_plus_one", None, "sqlite", "select label from tag_label where tag_id = ?", 120, 1200 * US,
     7102, "0x5000c000", "select id from tag", 120, 1, "medium"),
]


def sql_findings(r):
    return [f for f in r["findings"] if f["kind"] in ("n_plus_one", "repeated_query")]


def check_sql_json(tmp):
    log = os.path.join(tmp, "sql.wslog")
    gen("sql", log)
    r = report(log)
    eq((r["nplus1_min"], r["repeat_min"]), (5, 5), "the minimums")
    p = r["processes"][0]
    eq((p["pid"], p["events"], p["threads"], p["duration_ns"]), (7100, 374, 3, 2000 * MS), "process")
    eq(r["syscalls"], [], "database calls are not syscalls")

    got = {(q["db"], q["normalized"]): q for q in r["queries"]}
    eq(sorted(got), sorted(SQL_QUERIES), "queries[]: one per database and statement")
    for key, (count, rows, total, errors) in SQL_QUERIES.items():
        q = got.get(key)
        if not q:
            continue
        # SQLite measures no time inside the library: its span is its db time.
        db_ns = total if q["db"] == "sqlite" else total // 2
        eq((q["pid"], q["count"], q["rows"], q["total_ns"], q["db_ns"], q["errors"]),
           (7100, count, rows, total, db_ns, errors), f"queries[] {key}")
        eq(q["max_ns"] >= q["p99_ns"] >= q["p50_ns"] > 0, True, f"percentiles of {key}")
    order = [(q["total_ns"], q["fingerprint"]) for q in r["queries"]]
    eq(order, sorted(order, key=lambda x: (-x[0], x[1])), "queries[] by total time")
    audit = got[("postgres", "insert into audit(event) values (?)")]
    eq((audit["p50_ns"], audit["p99_ns"], audit["max_ns"]), (300 * US, 2 * MS, 2 * MS),
       "percentiles of the audit inserts")
    eq(got[("sqlite", CUSTOMER)]["example"],
       'SELECT "shop_customer"."id", "shop_customer"."name" FROM "shop_customer" WHERE '
       '"shop_customer"."id" = 1 LIMIT 21', "a real text: the first one")
    eq(got[("sqlite", AUTHOR)]["fingerprint"], fnv1a64(AUTHOR), "SQLite: the normalized text's hash")
    eq(got[("postgres", AUTHOR)]["fingerprint"], "818263e4939d53e4",
       "PostgreSQL: libpg_query's fingerprint")
    eq(got[("postgres", "select * from nope")]["fingerprint"] != fnv1a64("select * from nope"), True,
       "PostgreSQL: not our hash where its parser reads the text")

    f = sql_findings(r)
    want = SQL_FINDINGS
    eq([(x["kind"], x.get("variant"), x["db"], x["normalized"], x["count"]) for x in f],
       [w[:5] for w in want], "n_plus_one and repeated_query findings, most costly first")
    for x, w in zip(f, want):
        what = f"{w[0]} {w[4]} x {w[3][:30]}"
        eq((x["total_ns"], x["tid"], x["conn"], x["severity"], x["pid"]), (w[5], w[6], w[7], w[11], 7100),
           f"{what}: total, tid, conn, severity")
        eq(x["fingerprint"], got[(w[2], w[3])]["fingerprint"], f"{what}: its query's fingerprint")
        if w[0] == "n_plus_one":
            site = {"addr": "0x403000" if w[2] == "postgres" else "0x402000"}
            eq((x["parent_normalized"], x["parent_rows"], x["loops"], x["site"]),
               (w[8], w[9], w[10], site), f"{what}: parent and the child's site")
            eq(x["parent_fingerprint"], got[(w[2], w[8])]["fingerprint"], f"{what}: parent fingerprint")
            eq(x["example"], got[(w[2], w[3])]["example"], f"{what}: example")
            ok("N+1: " in x["summary"] and "select_related" in x["summary"], f"{what}: summary")
        else:
            eq(x["variant"], w[1], f"{what}: variant")
            key = "connections" if w[1] else "parameter_sets"
            eq(x.get(key), 1, f"{what}: {key}")
    eq(f[0]["summary"],
       "N+1: 30 executions of `select name from author where id = ?`, one per row of "
       "`select id, title, author_id from book order by id` (30 rows): load them with one query "
       "(a JOIN, or WHERE id IN (...)) or the ORM's eager loading (Django "
       "select_related/prefetch_related, SQLAlchemy selectinload/joinedload)", "N+1 summary")
    eq(f[3]["summary"].split(": load")[0],
       'N+1: 12 executions of `select ... from "shop_product" where "shop_product"."id" = ? limit ?`,'
       ' one per row of `select ... from "shop_order"` (12 rows)', "long SELECT lists shortened")
    eq(f[8]["summary"].split(", one per row")[0],
       "N+1: 16 executions of `select price from price where item_id = ?` in 2 loops", "loops")
    eq(f[1]["example"], "INSERT INTO audit (event) VALUES ('e0')", "unbatched: the first text")
    eq(f[1]["summary"],
       "7 executions of `insert into audit(event) values (?)` outside a transaction, each committed "
       "on its own (14 ms in all): run them in one transaction (BEGIN ... COMMIT) or as a batch "
       "(executemany inside a transaction, COPY, a multi-row VALUES)", "unbatched summary")
    eq(f[6]["summary"],
       "6 executions of `select count(*) from book where author_id = ?` with the same parameters on "
       "one connection (3 ms in all): run it once and keep the result, or cache it",
       "repeated summary")
    eq(f[6]["example"], "SELECT count(*) FROM book WHERE author_id = 7", "repeated: its text")
    eq([x["kind"] for x in r["findings"]], [x["kind"] for x in f], "no other findings")


def check_sql_text(tmp):
    log = os.path.join(tmp, "sql.wslog")
    gen("sql", log)
    rc, out, err = whyslow("report", log)
    eq((rc, err), (0, ""), "exit status and stderr")
    lines = out.splitlines()
    ok("whyslow report: 1 process, 374 events, 0 lost, 10 findings" in out, "headline")
    first = next(i for i, l in enumerate(lines) if "n_plus_one" in l)
    ok(lines[first].startswith("  medium  n_plus_one              pid 7100 tid 7101: N+1: 30 executions"),
       f"most costly finding first: {lines[first]!r}")
    ok(any(l.startswith("  low     repeated_query          pid 7100 tid 7100: 6 executions of `update book")
           for l in lines), "unbatched writes shown")
    head = next((i for i, l in enumerate(lines) if l.split()[:2] == ["db", "count"]), None)
    ok(head is not None, "a queries table")
    if head is None:
        return
    eq(lines[head].split(), ["db", "count", "rows", "total", "p50", "p99", "max", "query"], "columns")
    rows = lines[head + 1:head + 16]
    eq(rows[0].split()[:5], ["sqlite", "1", "20", "30", "ms"], "the costliest query first")
    ok(rows[0].endswith("select id, title, author_id from book order b..."),
       f"texts cut to fit a line: {rows[0]!r}")
    eq(rows[1].split()[:3] + [rows[1].split("  ")[-1]], ["postgres", "30", "30", "select name from author where id = ?"],
       "the PostgreSQL lookups")
    ok(all(len(l) <= 120 for l in rows), "lines fit 120 columns")
    eq(lines[head + 16], f"  ... and {len(SQL_QUERIES) - 15} more (see --json)", "the rest")
    ok("no syscalls recorded" in out, "no syscall table")


def check_sql_dump(tmp):
    log = os.path.join(tmp, "sql.wslog")
    gen("sql", log)
    rc, out, err = whyslow("dump", log)
    eq(rc, 0, "exit status")
    events = [l for l in out.splitlines() if not l.startswith("#")]
    # 331 calls, and the 43 SQLite statement texts written once each.
    eq(len(events), 374, "one line per event")
    times = [float(l.split()[0]) for l in events]
    eq(times, sorted(times), "in time order, the nested parent before its children")
    for want in [
        '   0.001000000 pid=7100 tid=7100 sqlite3_open conn=0x5000a000 "/tmp/shop.db" result=0 '
        'dur=100us',
        '   0.010000000 pid=7100 tid=7100 sqlite3_query conn=0x5000a000 rows=20 params=0x00000000 '
        'lib=0ns "SELECT id, title, author_id FROM book ORDER BY id" result=101 dur=30ms '
        'caller=0x402000',
        '   0.010500000 pid=7100 tid=7100 sqlite3_query conn=0x5000a000 rows=1 params=0x000003e8 '
        'lib=0ns "SELECT name FROM author WHERE id = ?" result=101 dur=200us',
        ' sqlite3_stmt obj=',
        ' sqlite3_exec conn=0x5000a000 "BEGIN; INSERT INTO log VALUES (1); COMMIT;" result=0 dur=2ms',
        ' sqlite3_prepare conn=0x5000a000 "SELECT * FROM missing" result=1 dur=20us',
        ' sqlite3_close conn=0x5000a000 result=0 dur=30us',
        ' PQconnect conn=0x5000b000 "host=127.0.0.1 port=5432 dbname=shop user=app" result=0 dur=3ms',
        ' PQquery conn=0x5000b000 rows=1 params=0x00000000 lib=400us '
        '"SELECT name FROM author WHERE id = 30" result=2 dur=800us',
        ' PQquery conn=0x5000b000 rows=0 params=0x00000000 lib=150us "SELECT * FROM nope" result=7 '
        'dur=300us',
        ' PQfinish conn=0x5000b000 result=0 dur=40us',
    ]:
        ok(any(want in l for l in events), f"dump lacks {want!r}")
    ok(not any(" err=" in l for l in events), "rows are not errors")


def check_sql_options(tmp):
    log = os.path.join(tmp, "sql.wslog")
    gen("sql", log)

    def found(*args):
        r = report(*args, log)
        return [(x["kind"], x["db"], x["count"]) for x in sql_findings(r)], r

    f, r = found("--nplus1-min", "13", "--repeat-min=7")
    eq((r["nplus1_min"], r["repeat_min"]), (13, 7), "the minimums asked for")
    eq(f, [("n_plus_one", "postgres", 30), ("repeated_query", "postgres", 7),
           ("n_plus_one", "sqlite", 20), ("repeated_query", "sqlite", 8),
           ("n_plus_one", "sqlite", 120)],
       "with 13 and 7: not the loops of 12, nor the two loops of 8, the 6 writes, the 6 repeats")
    f, r = found("--nplus1-min", "2", "--repeat-min", "2")
    kinds = [k for k in f if k[0] == "n_plus_one"]
    ok(("n_plus_one", "sqlite", 3) in kinds, f"with 2: the short loop of 3 is one: {kinds}")
    ok(("repeated_query", "sqlite", 16) in f, f"with 2: the price lookups, twice each: {f}")
    ok(("repeated_query", "sqlite", 5) not in f and ("repeated_query", "sqlite", 50) not in f,
       f"with 2: writes in a savepoint or a transaction are not: {f}")
    for bad in ("1", "x", "1000001", ""):
        one_line_error(["report", "--nplus1-min", bad, log], 2,
                       f"whyslow report: --nplus1-min: '{bad}' is not a count from 2 to 1000000 "
                       "(see whyslow report --help)")
    one_line_error(["report", "--repeat-min"], 2,
                   "whyslow report: --repeat-min needs a value (see whyslow report --help)")


def check_sql_big(tmp):
    n = 400000
    cycles = n // 364
    log = os.path.join(tmp, "sqlbig.wslog")
    subprocess.run([GEN_LOG, "sqlbig", log, str(n)], check=True, stdout=subprocess.DEVNULL)
    start = time.monotonic()
    r = report(log)
    took = time.monotonic() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ok(took < 10, f"quick: {took:.1f} s")
    # Every thread's start times go back (a parent's record follows its
    # children's): its cursor's window holds a block's events, not the thread.
    ok(maxrss_kib < 48 * 1024, f"memory stays small: {maxrss_kib} KiB")

    # What write_sqlbig wrote (see gen_log.c).
    blocks = 4 * 4 * cycles
    writes = 4 * cycles
    eq(r["processes"][0]["events"], 364 * cycles, "events")
    got = {q["normalized"]: (q["count"], q["rows"], q["total_ns"], q["db_ns"]) for q in r["queries"]}
    eq(got, {
        "select id, title, author_id from book where shelf = ?":
            (blocks, 20 * blocks, 41 * US * blocks, 41 * US * blocks),
        AUTHOR: (20 * blocks, 20 * blocks, 1 * US * 20 * blocks, 1 * US * 20 * blocks),
        "begin": (writes, 0, 500 * writes, 500 * writes),
        "insert into log(block, n) values (?, ?)": (5 * writes, 0, 500 * 5 * writes, 500 * 5 * writes),
        "commit": (writes, 0, 500 * writes, 500 * writes),
    }, "queries[]")
    f = sql_findings(r)
    eq([(x["kind"], x["normalized"], x["count"]) for x in f],
       [("n_plus_one", AUTHOR, 20 * blocks), ("repeated_query", AUTHOR, 20 * blocks)],
       "one N+1 finding, and the lookups repeat their parameters")
    eq((f[0]["loops"], f[0]["parent_rows"], f[0]["total_ns"]), (blocks, 20 * blocks, 20 * blocks * US),
       "every block is a loop")
    eq(f[1]["parameter_sets"], 4 * 5000, "5000 authors on each of 4 connections")

# ---- time: gen_log's time mode (see build_time in gen_log.c) ----

PARTS = ("disk", "net", "lock", "db", "sleep", "wait", "other")

# tid: (start, end, {part: ms}) -- other is the rest of the wall.  The main
# thread's sem and futex waits (5 ms each), which no thread ends, are parks:
# wait, not lock.
TIME_THREADS = {
    7300: (0, 1000, {"disk": 23, "net": 45, "lock": 15, "db": 120, "sleep": 70, "wait": 133}),
    7301: (100, 400, {"db": 150}),
    7302: (5, 600, {"disk": 35, "db": 100, "sleep": 100, "wait": 160}),
    7303: (50, 1000, {"db": 150}),
    7304: (100, 1000, {"wait": 20}),
}
for i in range(10):
    TIME_THREADS[7310 + i] = (900 + i, 901 + i, {"sleep": 1})


def time_expected():
    """The threads[] entries build_time makes, busiest first."""
    rows = []
    for tid, (start, end, parts) in TIME_THREADS.items():
        b = {f"{k}_ns": parts.get(k, 0) * MS for k in PARTS}
        b["other_ns"] = (end - start) * MS - sum(parts.values()) * MS
        rows.append({"pid": 7300, "tid": tid, "start_ns": start * MS, "end_ns": end * MS,
                     "wall_ns": (end - start) * MS, "breakdown": b, "gil_ns": 0})
    busy = lambda r: r["wall_ns"] - r["breakdown"]["wait_ns"] - r["breakdown"]["sleep_ns"]
    return sorted(rows, key=lambda r: (-busy(r), r["tid"]))


def check_time_json(tmp):
    log = os.path.join(tmp, "time.wslog")
    gen("time", log)
    r = report(log)
    eq(r["stall_ns"], 100 * MS, "the stall threshold")
    want = time_expected()
    got = [{k: v for k, v in t.items() if k != "name"} for t in r["threads"]]
    eq(got, want, "threads[]: exact parts, nested and overlapping spans counted once")
    names = {t["tid"]: t["name"] for t in r["threads"]}
    eq((names[7300], names[7301], names[7302], names[7310]), (None, "db-worker", "loop", "short"),
       "thread names")
    for t in r["threads"]:
        eq(sum(t["breakdown"].values()), t["wall_ns"], f"parts of {t['tid']} add up to its wall")
    p = r["processes"][0]
    eq(p["breakdown"], {f"{k}_ns": sum(t["breakdown"][f"{k}_ns"] for t in want) for k in PARTS},
       "the process's breakdown: its threads summed")
    eq(p["gil_ns"], 0, "no GIL known")

    stalls = [f for f in r["findings"] if f["kind"] == "event_loop_stall"]
    eq(len(stalls), 1, "one loop stalled: not the library's polls, not 2 waits")
    f = stalls[0] if stalls else {}
    for k, v in {"severity": "high", "pid": 7300, "tid": 7302, "call": "epoll_wait",
                 "caller": "0x500000", "waits": 5, "count": 2, "stall_ns": 200 * MS,
                 "total_ns": 320 * MS, "at_ns": 50 * MS, "cpu_ns": 55 * MS}.items():
        eq(f.get(k), v, f"stall.{k}")
    eq(f.get("during"), [
        {"kind": "sleep", "call": "nanosleep", "count": 1, "time_ns": 100 * MS},
        {"kind": "call", "call": "write", "target": "/data/log", "count": 2, "time_ns": 35 * MS},
        {"kind": "call", "call": "poll", "target": None, "count": 1, "time_ns": 10 * MS},
    ], "what the longest stall was spent on")
    eq(f.get("summary"), "the event loop of thread 7302 (epoll_wait) stalled 2 times for \u2265100 "
       "ms, up to 200 ms, 320 ms in all; in the longest: sleeping (nanosleep) 100 ms, CPU or "
       "untraced work 55 ms, write on /data/log 35 ms (2 calls)", "stall summary")
    costs = [x.get("total_ns", x.get("wait_total_ns")) for x in r["findings"]]
    eq(costs, sorted(costs, reverse=True), "findings ordered by time")


def check_time_text(tmp):
    log = os.path.join(tmp, "time.wslog")
    gen("time", log)
    rc, out, err = whyslow("report", log)
    eq((rc, err), (0, ""), "exit status and stderr")
    lines = out.splitlines()
    ok(any(l.startswith("  high    event_loop_stall        pid 7300 tid 7302: the event loop of thread "
                        "7302 (epoll_wait) stalled 2 times") for l in lines), "the stall finding")
    head = next((i for i, l in enumerate(lines) if l.startswith("  time per thread:")), None)
    ok(head is not None, "a time table")
    if head is None:
        return
    table = lines[head:head + 16]
    eq(table[1].split(), ["tid", "thread", "wall", "where", "the", "time", "went", "D%", "N%", "L%",
                          "B%", "S%", "W%", ".%"], "columns")
    rows = table[2:14]
    eq([int(l.split()[0]) for l in rows], [t["tid"] for t in time_expected()[:12]],
       "the busiest 12 threads first")
    main = next(l for l in rows if l.split()[0] == "7300")
    eq(main.split(), ["7300", "-", "1", "s", "DNBBBBSSWWWW" + "." * 18, "2", "5", "2", "12", "7",
                      "13", "59"], "the main thread's line: a bar of 30, percents")
    short = next(l for l in rows if l.split()[0] == "7310")
    eq(short.split()[4:], ["S" * 30, "-", "-", "-", "-", "100", "-", "-"], "all asleep")
    eq(table[14], "  ... and 3 more threads (see --json)", "the threads left out")
    eq(table[15].split()[:3], ["all", "15", "threads"], "the total line")
    ok(all(len(l) <= 100 for l in table), f"lines fit 100 columns: {max(map(len, table))}")


def check_time_options(tmp):
    log = os.path.join(tmp, "time.wslog")
    gen("time", log)

    def stalls(*args):
        r = report(*args, log)
        return r["stall_ns"], [(f["tid"], f["count"], f["stall_ns"], f["total_ns"])
                               for f in r["findings"] if f["kind"] == "event_loop_stall"]

    eq(stalls("--stall-ms", "150"), (150 * MS, [(7302, 1, 200 * MS, 200 * MS)]), "from 150 ms")
    eq(stalls("--stall-ms=120"), (120 * MS, [(7302, 2, 200 * MS, 320 * MS)]), "at 120 ms exactly")
    eq(stalls("--stall-ms", "200.5"), (200500000, []), "none from 200.5 ms")
    one_line_error(["report", "--stall-ms", "soon", log], 2,
                   "whyslow report: --stall-ms: 'soon' is not a number of milliseconds "
                   "(see whyslow report --help)")
    rc, out, err = whyslow("report", "--help")
    ok("--stall-ms N" in out, "--help tells of --stall-ms")


def check_wakes_json(tmp):
    """gen_log's wakes mode (see build_wakes): each wait linked to the wake
    that ended it, the roles of the objects, the pool that ran dry."""
    log = os.path.join(tmp, "wakes.wslog")
    gen("wakes", log)
    r = report(log)
    eq([(l["kind"], l["addr"], l["contended"], l["wait_total_ns"], l["role"]) for l in r["locks"]],
       [("cond", "0x7f0000100000", 2, 85010 * US, "park"),
        ("sem", "0x7f0000500000", 1, 49500 * US, "park"),
        ("sem", "0x7f0000400000", 1, 30 * MS, "lock"),
        ("sem", "0x7f0000300000", 1, 20 * MS, "park"),
        ("sem", "0x7f0000200000", 2, 12 * MS, "lock")],
       "locks and their roles: the pool's cond, a join, a holder that never waits, a producer's "
       "sem, a sem two threads take and give back")
    f = r["findings"]
    eq([(x["kind"], x.get("addr"), x["severity"]) for x in f],
       [("pool_exhaustion", None, "high"), ("lock_contention", "0x7f0000400000", "medium"),
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


def check_tpool_end_json(tmp):
    """gen_log's tpoolend mode (see build_tpool_end): 2 workers queued 10
    tasks at once, only one seen waiting for work, at its end: one
    thread_pool_exhaustion of 2 workers; tpoolnoend, the same threads
    never waiting for work (reporting progress): none."""
    log = os.path.join(tmp, "tpoolend.wslog")
    gen("tpoolend", log)
    found = [f for f in report(log)["findings"] if f["kind"] == "thread_pool_exhaustion"]
    eq(len(found), 1, "thread_pool_exhaustion findings")
    if found:
        f = found[0]
        eq((f["workers"], f["queue"], f["queue_kind"], f["tid"]),
           (2, "0x7f0000800000", "sem", 5600), "workers, queue, the thread waiting")
        eq(f["saturated_ns"], 199950 * US, "saturated: T3's start to T2's wait for work, and after")
        eq((f["waits"], f["wait_total_ns"]), (9, 199390 * US),
           "main's waits for results while saturated (not the last, while T2 waited on Q)")
    log = os.path.join(tmp, "tpoolnoend.wslog")
    gen("tpoolnoend", log)
    eq([f["kind"] for f in report(log)["findings"]], [], "findings of threads reporting progress")
    # tpoollate: the parents from THREAD_START; T3 with one result, and
    # T2 whose last wake is a result, are the 2 workers.
    log = os.path.join(tmp, "tpoollate.wslog")
    gen("tpoollate", log)
    found = [f for f in report(log)["findings"] if f["kind"] == "thread_pool_exhaustion"]
    eq(len(found), 1, "tpoollate: thread_pool_exhaustion findings")
    if found:
        f = found[0]
        eq((f["workers"], f["queue"], f["tid"]), (2, "0x7f0000800000", 5600),
           "tpoollate: workers, queue, the thread waiting")
        eq(f["saturated_ns"], 199950 * US, "tpoollate: saturated")
        # T2's last result is its last act before its end: taken for an
        # exit (a join), it is not counted.
        eq((f["waits"], f["wait_total_ns"]), (5, 159150 * US),
           "tpoollate: main's first 4 waits for T2's results and 1 for T3's")


def main():
    check = globals().get("check_" + CHECK)
    if not check:
        print(f"check_report.py: no check named {CHECK}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        check(tmp)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
