# SPDX-License-Identifier: MIT
"""test_time.py - e2e cases: where each thread's time goes (the breakdown of
threads[]), and event loops that stall (asyncio, Node.js, a C epoll loop).

Run by tests/run.py, one case per process (ctest: e2e.time.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import glob
import os
import subprocess

from whyslow_test import (PYTHON, WHYSLOW, EXAMPLES, TMP, check, eq, require, report, record, prog,
                          calls, count, need_file, dump)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


def thread_named(rep, name):
    rows = [t for t in rep["threads"] if t["name"] == name]
    require(len(rows) == 1, "%d threads named %r: %s" % (len(rows), name, rep["threads"]))
    return rows[0]


def dominant(t):
    """The part of a threads[] entry that took the most time."""
    return max(t["breakdown"], key=lambda k: t["breakdown"][k])


def check_sums(rep):
    """Each thread's parts add up to its wall time; each process's parts
    are its threads' summed."""
    for t in rep["threads"]:
        check(sum(t["breakdown"].values()) == t["wall_ns"], "parts of %s do not add up to %d" %
              (t, t["wall_ns"]))
    for p in rep["processes"]:
        mine = [t for t in rep["threads"] if t["pid"] == p["pid"]]
        for k, v in p["breakdown"].items():
            check(v == sum(t["breakdown"][k] for t in mine), "process %s: %s" % (k, p["breakdown"]))


def case_time_breakdown():
    """Threads that each do one thing: each one's largest part is that
    thing, in the amounts the program spent."""
    data, out = record([prog("breakdown"), TMP])
    check(out == "done\n", "program output %r" % out)
    rep = report(data)
    check_sums(rep)
    expect = {"disk": "disk_ns", "net-client": "net_ns", "net-server": "net_ns",
              "lock-wait": "lock_ns", "sleep": "sleep_ns", "cpu": "other_ns"}
    for name, part in expect.items():
        t = thread_named(rep, name)
        check(dominant(t) == part, "thread %s: most time in %s, not %s: %s" %
              (name, dominant(t), part, t["breakdown"]))
        check(t["breakdown"][part] >= 0.5 * t["wall_ns"], "thread %s: %s is not most of its "
              "time: %s" % (name, part, t))
    ms = 1000000
    sleep = thread_named(rep, "sleep")["breakdown"]["sleep_ns"]
    # At least what the program did; how much later a busy machine lets a
    # thread run again is the scheduler's to say (the waiter once waited
    # 311 ms for a mutex held 300 ms, under tests/stress.sh).  Less by the
    # calibration of the time stamp counter against the clock, which is
    # measured over the process's life (299.83 ms seen once: 0.06 % off).
    check(299 * ms <= sleep, "slept %d ns for 300 ms" % sleep)
    # The waiter starts waiting once it runs after the barrier, a little
    # after the sleeper started sleeping (later on a loaded machine).
    lock = thread_named(rep, "lock-wait")["breakdown"]["lock_ns"]
    check(200 * ms <= lock, "waited %d ns for a mutex held %d ns" % (lock, sleep))
    cpu = thread_named(rep, "cpu")
    check(cpu["breakdown"]["other_ns"] >= 295 * ms, "spun %d ns for 300 ms" %
          cpu["breakdown"]["other_ns"])
    check(sum(v for k, v in cpu["breakdown"].items() if k != "other_ns") < ms,
          "the spinning thread waited: %s" % cpu["breakdown"])
    disk = thread_named(rep, "disk")
    file_calls = sum(row["total_ns"] for call, row in calls(rep).items()
                     if call in ("open", "openat", "write", "fsync", "close"))
    check(disk["breakdown"]["disk_ns"] <= file_calls, "disk time beyond the disk calls (%d ns): "
          "%s" % (file_calls, disk))
    text = subprocess.run([WHYSLOW, "report", data], capture_output=True, text=True).stdout
    table = text[text.index("  time per thread:"):].split("\n\n")[0].splitlines()
    check(all(len(l) <= 100 for l in table), "the table is wider than 100 columns:\n" +
          "\n".join(table))
    row = next(l for l in table[2:] if l.split()[1] == "sleep")
    # Mostly sleep (29 of 30 on a quiet machine, 28 seen under load).
    check("S" * 15 in row, "the sleeping thread's bar: %r" % row)


def case_time_breakdown_sqlite():
    """What SQLite reads and writes inside its statements is database
    time, not disk time."""
    db = os.path.join(TMP, "io.db")
    data, out = record([PYTHON, os.path.join(HERE, "progs", "py_sqlite_io.py"), db])
    check(out == "50000 10000000\n", "program output %r" % out)
    rep = report(data)
    check_sums(rep)
    c = calls(rep)
    check(c["pread64"]["count"] >= 100, "SQLite read its file %d times" % c["pread64"]["count"])
    sqlite_io = sum(c[k]["total_ns"] for k in ("pread64", "pwrite64", "fdatasync") if k in c)
    t = rep["threads"][0]
    check(len(rep["threads"]) == 1 and t["tid"] == rep["processes"][0]["pid"], "one thread")
    b = t["breakdown"]
    check(b["disk_ns"] < sqlite_io / 2, "SQLite's I/O (%d ns) counted as disk: %s" % (sqlite_io, b))
    check(b["db_ns"] >= sqlite_io, "SQLite's I/O (%d ns) not in its statements: %s" %
          (sqlite_io, b))
    queries = sum(q["total_ns"] for q in rep["queries"])
    check(b["db_ns"] >= queries, "db %d below the statements' %d" % (b["db_ns"], queries))


def stalls_of(rep):
    return [f for f in rep["findings"] if f["kind"] == "event_loop_stall"]


def one_stall(rep, what, least_ms=290):
    found = stalls_of(rep)
    require(len(found) == 1, "%s: %d event_loop_stall findings: %s" % (what, len(found), found))
    f = found[0]
    ms = 1000000
    # The block is the longest stall.  A busy machine may add shorter ones,
    # which are the scheduler's (Node beside two busy loops: a second one
    # of 122 ms), and make the block longer (2.4 s seen for a 0.3 s query
    # under stress.sh).
    check(f["count"] >= 1 and f["stall_ns"] <= f["total_ns"], "%s: its stalls: %s" % (what, f))
    check(least_ms * ms <= f["stall_ns"], "%s: stall of %d ns" % (what, f["stall_ns"]))
    check(f["tid"] == f["pid"] and f["waits"] >= 3, "%s: the main thread's loop: %s" % (what, f))
    check(f["severity"] == "high" and f["summary"], "%s: severity/summary %s" % (what, f))
    check(sum(g["time_ns"] for g in f["during"]) + f["cpu_ns"] == f["stall_ns"],
          "%s: the parts of the stall do not add up: %s" % (what, f))
    return f


def case_asyncio_stall():
    """asyncio: a coroutine that sleeps, queries or computes without
    awaiting stalls the loop once; awaiting does not, nor a loop that waits
    both briefly and long."""
    script = os.path.join(HERE, "progs", "py_asyncio.py")
    ms = 1000000
    for mode in ("sleep", "query", "cpu", "await", "idle"):
        data, out = record([PYTHON, script, mode], data=os.path.join(TMP, mode))
        check(out == "done %s\n" % mode, "program output %r" % out)
        rep = report(data)
        check(count(rep, "epoll_wait") >= 10, "%s: the loop's waits: %d" %
              (mode, count(rep, "epoll_wait")))
        if mode in ("await", "idle"):
            # idle: the waits that return at once and the long one are made
            # from one place, though only the long one keeps a stack (and a
            # Python site): one loop, not two whose gaps hold the other's.
            check(not stalls_of(rep), "%s: no stall expected: %s" % (mode, stalls_of(rep)))
            continue
        # The query's length is measured before, in CPU time, at about
        # 300 ms; a busy machine's measure can be off by half (137 ms seen
        # under stress.sh -i): at least the 100 ms threshold.
        f = one_stall(rep, mode, 100 if mode == "query" else 290)
        check(f["call"] == "epoll_wait", "%s: loop call %s" % (mode, f["call"]))
        top = f["during"][0] if f["during"] else {}
        if mode == "sleep":
            check(top.get("kind") == "sleep" and top.get("call") == "clock_nanosleep" and
                  top.get("count") == 1, "sleep: during %s" % f["during"])
            check(300 * ms <= top["time_ns"], "sleep: slept %d ns" % top["time_ns"])
            check("sleeping (clock_nanosleep)" in f["summary"], "sleep: %s" % f["summary"])
        elif mode == "query":
            check(top.get("kind") == "query" and top.get("db") == "sqlite" and
                  "with recursive" in top.get("normalized", "") and top.get("count") == 1,
                  "query: during %s" % f["during"])
            check(top["time_ns"] >= 0.9 * f["stall_ns"], "query: %d of %d ns" %
                  (top["time_ns"], f["stall_ns"]))
            check("sqlite query `with recursive" in f["summary"], "query: %s" % f["summary"])
        else:
            # Mostly CPU: the calls made meanwhile take longer on a busy
            # machine, the loop itself does not move.
            check(f["cpu_ns"] >= 0.5 * f["stall_ns"], "cpu: %d of %d ns" %
                  (f["cpu_ns"], f["stall_ns"]))
            check("in it: CPU" in f["summary"], "cpu: %s" % f["summary"])


def case_node_stall():
    """Node.js: a timer callback that busy-loops 300 ms stalls the loop;
    timers that return at once do not."""
    node = "/usr/bin/node"
    need_file(node, "Debian's nodejs package")
    script = os.path.join(HERE, "progs", "node_loop.js")
    for mode in ("busy", "timers"):
        data, out = record([node, script, mode], data=os.path.join(TMP, mode))
        check(out == "done %s\n" % mode, "program output %r" % out)
        # 200 ms, not the default 100: on a busy 2-core machine Node's own
        # start (compiling, loading) can keep its loop from waiting for
        # over 100 ms; the callback's stall is 300 ms.
        rep = report("--stall-ms", "200", data)
        pid = rep["processes"][0]["pid"]
        waits = count(rep, "epoll_pwait", pid) + count(rep, "epoll_wait", pid)
        check(waits >= 10, "%s: the loop's waits: %d" % (mode, waits))
        if mode == "timers":
            check(not stalls_of(rep), "timers: no stall expected: %s" % stalls_of(rep))
            continue
        f = one_stall(rep, mode)
        # Mostly CPU (290 of 324 ms seen under stress.sh: the calls made
        # meanwhile take longer on a busy machine).
        check(f["cpu_ns"] >= 0.5 * f["stall_ns"] and "in it: CPU" in f["summary"],
              "busy: cpu %d of %d ns: %s" % (f["cpu_ns"], f["stall_ns"], f["summary"]))


def case_node_handler_stall():
    """Node.js: an HTTP handler that blocks the loop in a traced call
    (execSync('sleep 0.3'), whose child libuv waits for on an epoll set of
    its own; Atomics.wait for 300 ms) stalls it; the stall names the
    handler's JavaScript function, from the perf map `record` asked Node
    for (removed once copied into the log).  With WHYSLOW_JIT=off, no
    JavaScript names; a NODE_OPTIONS of the user's is kept."""
    node = "/usr/bin/node"
    need_file(node, "Debian's nodejs package")
    script = os.path.join(HERE, "progs", "node_http_block.js")
    with open(script) as f:
        handler = next(n for n, l in enumerate(f, 1) if l.startswith("function handleReport("))
    v8_logs = set(glob.glob("isolate-*-v8.log"))
    for mode in ("exec", "atomics"):
        data, out = record([node, script, mode], data=os.path.join(TMP, mode))
        check(out == "done %s\n" % mode, "program output %r" % out)
        rep = report(data)
        f = one_stall(rep, mode, 250)
        site = f["site"] or {}
        eq((site.get("function"), os.path.basename(site.get("file", "")), site.get("line"),
            site.get("module")), ("handleReport", "node_http_block.js", handler, "[jit]"),
           "%s: the stall's site" % mode)
        names = [s.get("function") for s in f["stack"]]
        check("handleReport" in names and (mode != "exec" or "execSync" in names),
              "%s: the JavaScript frames of its stack: %s" % (mode, names))
        pid = next(p["pid"] for p in rep["processes"] if p["exe"].endswith("/node"))
        check(not os.path.exists("/tmp/perf-%d.map" % pid), "%s: the perf map removed" % mode)
        # (--perf-basic-prof, unlike its -only-functions form, also wrote
        # V8 logs into the program's directory.)
        new_logs = set(glob.glob("isolate-*-v8.log")) - v8_logs
        check(not new_logs, "%s: V8 logs left in %s: %s" % (mode, os.getcwd(), new_logs))
    data, out = record([node, script, "atomics"], env={"WHYSLOW_JIT": "off"},
                       data=os.path.join(TMP, "off"))
    f = one_stall(report(data), "WHYSLOW_JIT=off", 250)
    check((f["site"] or {}).get("module") != "[jit]" and
          all(s.get("module") != "[jit]" for s in f["stack"]), "off: no JavaScript names: %s" % f)
    data, out = record([node, "-e", "console.log(process.env.NODE_OPTIONS)"],
                       env={"NODE_OPTIONS": "--max-old-space-size=123"},
                       data=os.path.join(TMP, "options"))
    eq(out, "--max-old-space-size=123 --perf-basic-prof-only-functions "
       "--interpreted-frames-native-stack\n",
       "the user's NODE_OPTIONS kept, ours after")


def case_jit_map_copied():
    """A process's perf map goes into its log at its end, line for line
    (the lines naming JIT code: not V8's builtins, not a line over 64 KiB),
    and the map `record` asked for is removed."""
    data, out = record([PYTHON, os.path.join(HERE, "progs", "py_perfmap.py")])
    eq(out, "ok\n", "program output")
    kept = ["%x 40 JS:~function_number_%d /app/x.js:%d:1\n" % (0x100000 + i * 0x40, i, i + 1)
            for i in range(5000)] + ["%x 40 JS:~last /app/last.js:7:1\n" % 0x300000]
    lines = [l for l in dump(data) if " jitmap " in l]
    eq(lines, ["# pid=%d jitmap lines=%d bytes=%d" % (report(data)["processes"][0]["pid"],
                                                      len(kept), len("".join(kept)))],
       "the map's lines in the log")
    pid = report(data)["processes"][0]["pid"]
    check(not os.path.exists("/tmp/perf-%d.map" % pid), "the map removed")


def case_example_event_loop_stall():
    """The C example of `make demo`: an epoll loop whose handler waits for
    a backend twice, 300 ms each time, in recv."""
    data, out = record([os.path.join(EXAMPLES, "event_loop_stall")])
    check(out.count("price 42.00") == 2, "program output %r" % out)
    rep = report(data)
    found = stalls_of(rep)
    require(len(found) == 1, "event_loop_stall findings: %s" % found)
    f = found[0]
    ms = 1000000
    check(f["count"] == 2 and f["call"] == "epoll_wait" and f["waits"] >= 15, "stall %s" % f)
    check(300 * ms <= f["stall_ns"] and 600 * ms <= f["total_ns"], "stall times %s" % f)
    top = f["during"][0]
    check(top["kind"] == "call" and top["call"] == "recv" and top["target"].startswith("127.0.0.1:")
          and top["count"] == 1 and top["time_ns"] >= 290 * ms, "what blocked it: %s" % f["during"])
    check("recv on 127.0.0.1:" in f["summary"], "summary %r" % f["summary"])


LOOP_OR_NOT = """
import select, selectors, socket, sys, time
sel = selectors.EpollSelector()
a, b = socket.socketpair()
sel.register(a, selectors.EVENT_READ)
if sys.argv[1] == "server":  # it also listens for clients
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sel.register(listener, selectors.EVENT_READ)
for i in range(6):
    b.send(b"x")
    sel.select(1)
    a.recv(1)
    if i == 3:
        time.sleep(0.3)
select.select([], [], [], 0.2)  # no descriptors: a sleep
print("done")
"""


def case_loop_or_not():
    """The same epoll waits, six from one place with 300 ms of sleep after
    the fourth: with a listening socket in the set it is an event loop
    that stalled; with one connection only (a socketpair, as a PostgreSQL
    backend waits on its one client) it is no loop.  A select() given no
    descriptors sleeps."""
    for mode in ("server", "client"):
        data, out = record([PYTHON, "-c", LOOP_OR_NOT, mode], data=os.path.join(TMP, mode))
        check(out == "done\n", "%s: output %r" % (mode, out))
        rep = report(data)
        if mode == "server":
            f = one_stall(rep, mode)
            check(f["call"] == "epoll_wait" and f["count"] == 1, "server: %s" % f)
        else:
            check(not stalls_of(rep), "one connection is no loop: %s" % stalls_of(rep))
        t = [t for t in rep["threads"] if t["tid"] == rep["processes"][0]["pid"]][0]
        check(t["breakdown"]["sleep_ns"] >= 490 * 1000000,
              "%s: the sleeps, select's included: %s" % (mode, t["breakdown"]))


SPIN = """
import time
t0 = time.monotonic()
x = 0
while time.monotonic() - t0 < 0.6:
    x += 1
print("done")
"""


def case_cpu_starvation():
    """Two CPU-bound Pythons sharing one CPU with 3 busy processes are
    ready to run most of the time but wait for the CPU: one cpu_starvation
    finding for the two (each gets about a fifth of the CPU), with the RQ
    share of their threads; a program that sleeps is starved only as far
    as its CPU waits say."""
    hogs = [subprocess.Popen(["taskset", "-c", "0", "sh", "-c", "while :; do :; done"])
            for _ in range(3)]
    two = 'taskset -c 0 "$0" -c "$1" & taskset -c 0 "$0" -c "$1"; wait'
    try:
        data, out = record(["sh", "-c", two, PYTHON, SPIN])
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    check(out.count("done") == 2, "output %r" % out)  # the two may interleave
    rep = report(data)
    found = [f for f in rep["findings"] if f["kind"] == "cpu_starvation"]
    # Two starved processes of one program: one finding.
    if check(len(found) == 1, "cpu_starvation findings: %s" % rep["findings"]):
        f = found[0]
        check(f["processes"] == 2 and f["runq_ns"] >= 0.3 * f["thread_ns"] and
              f["runq_ns"] >= 300 * 1000000 and "2 python" in f["summary"],
              "waited for the CPU: %s" % f)
    spin = [t for t in rep["threads"] if t["runq_ns"] > 0]
    check(spin and max(t["runq_ns"] for t in spin) >= 0.3 * max(t["wall_ns"] for t in spin),
          "threads' runq_ns: %s" % [(t["tid"], t["runq_ns"], t["wall_ns"]) for t in rep["threads"]])
    # A sleeper wants almost no CPU: starved only if the machine kept even
    # that from it (at load 7, tests/stress.sh -i, its start waited 50 ms).
    data, _ = record(["sleep", "0.5"], data=os.path.join(TMP, "s"))
    rep = report(data)
    runq = sum(t["runq_ns"] for t in rep["threads"])
    wall = sum(t["wall_ns"] for t in rep["threads"])
    starved = runq >= 50 * 1000000 and runq * 10 >= wall
    eq(bool([f for f in rep["findings"] if f["kind"] == "cpu_starvation"]), starved,
       "a sleeper is starved only when its CPU waits say so (%d of %d ns)" % (runq, wall))
    check(runq < 0.5 * wall, "a sleeper waited for a CPU %d ns of %d" % (runq, wall))
