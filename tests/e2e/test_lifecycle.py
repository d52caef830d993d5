# SPDX-License-Identifier: MIT
"""test_lifecycle.py - e2e cases: threads and processes from start to end.
Threads created and named, fork, vfork, exec, posix_spawn, _exit, signal
handlers, SIGKILL; and the log readable while the process still runs.

Run by tests/run.py, one case per process (ctest: e2e.lifecycle.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import signal
import subprocess
import time

from whyslow_test import (LIB, TMP, check, require, at_end, report, dump, record, prog, count)


def case_threads_exact():
    data, _ = record([prog("threads"), "8", "1000"])
    rep = report(data)
    p = rep["processes"][0]
    check(p["threads"] == 9, "threads %d, expected 9" % p["threads"])
    check(count(rep, "write") == 8000, "writes %d" % count(rep, "write"))
    check(p["lost_events"] == 0, "lost %d" % p["lost_events"])
    names = [l for l in dump(data) if "thread_end" in l]
    check(len(names) == 8, "thread ends %d" % len(names))
    check(sum(1 for l in dump(data) if 'name="worker-' in l) >= 8, "thread names")
    # Each worker's start names its creator: main, thread 1.
    starts = [re.search(r"thread_start thread=(\d+) .* parent=(\d+)", l) for l in dump(data)]
    parents = sorted((int(m.group(1)), int(m.group(2))) for m in starts if m)
    check(parents == [(1, 0)] + [(n, 1) for n in range(2, 10)], "thread parents %s" % parents)


def case_lifecycle_tree():
    data, _ = record([prog("lifecycle")])
    rep = report(data)
    procs = rep["processes"]
    check(len(procs) == 5, "processes %d, expected 5" % len(procs))
    by_args = {}
    for p in procs:
        by_args.setdefault(" ".join(p["argv"][1:]), []).append(p)
    root = [p for p in by_args[""] if p["end"] and p["end"]["kind"] == "exec"]
    require(len(root) == 1, "one image that ended by exec")
    root = root[0]
    forked = [p for p in by_args[""] if p is not root]
    check(len(forked) == 1 and forked[0]["end"] == {"kind": "_exit", "status": 7},
          "fork child ends with _exit(7): %s" % forked)
    check(forked[0]["ppid"] == root["pid"], "fork child's parent")
    execd = by_args["leaf 6"][0]
    check(execd["pid"] == root["pid"], "exec keeps the pid")
    # Writes per image: pre-exec 3+1, fork child 5, vfork+exec 2, spawn 4, exec'd 6.
    per_log = {}
    for p in procs:
        sub = report(p["log"])
        per_log[" ".join(p["argv"][1:]) + ("#" + p["end"]["kind"] if p["end"] else "")] = \
            count(sub, "write")
    expect = {"#exec": 4, "#_exit": 5, "leaf 2#exit": 2, "leaf 4#exit": 4, "leaf 6#exit": 6}
    check(per_log == expect, "writes per process %s, expected %s" % (per_log, expect))
    for p in procs:
        check(p["lost_events"] == 0 and not p["truncated"], "clean log %s" % p["log"])


def case_sigkill_keeps_events():
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    p = subprocess.Popen([prog("killed"), "5000"], env=env, stdout=subprocess.PIPE, text=True)
    at_end(p.kill)  # it waits to be killed
    require(p.stdout.readline().strip() == "ready", "program did not start")
    p.send_signal(signal.SIGKILL)
    p.wait()
    time.sleep(0.5)  # the flusher notices the death on its next period
    rep = report(data)
    proc = rep["processes"][0]
    check(count(rep, "write") == 5000, "writes after SIGKILL: %d" % count(rep, "write"))
    check(proc["end"] is None, "a killed process has no end record")
    check(proc["lost_events"] == 0, "lost %d" % proc["lost_events"])


def case_signal_handlers():
    data, out = record([prog("signals")])
    # The timer may fire once more between the program's loop seeing 200
    # and its turning the timer off: at least 200, every one arrived.
    m = re.match(r"fired=(\d+) got=(\d+) main_ok=yes\n", out)
    check(m and int(m.group(1)) >= 200 and m.group(1) == m.group(2), "signals disturbed: %r" % out)
    rep = report(data)
    p = rep["processes"][0]
    # Calls from handlers are recorded, or, when one interrupted the
    # recorder itself, counted as lost: never silently missing.
    check(count(rep, "write") + p["lost_events"] > 200, "handler writes")


def case_flush_period():
    """Events reach the log while the program still runs."""
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_FLUSH_MS="50")
    p = subprocess.Popen([prog("killed"), "300"], env=env, stdout=subprocess.PIPE, text=True)
    at_end(p.kill)  # it waits to be killed, even when the case ends early
    require(p.stdout.readline().strip() == "ready", "program did not start")
    time.sleep(0.4)
    rep = report(data)
    n = count(rep, "write")
    p.kill()
    p.wait()
    check(n == 300, "writes visible while running: %d" % n)
