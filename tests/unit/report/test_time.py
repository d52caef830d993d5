# SPDX-License-Identifier: MIT
"""test_time.py - report checks: gen_log's time log (build_time in gen_log.c):
each thread's time breakdown, the event_loop_stall finding, the time table
of the text report, --stall-ms.

Run by tests/run.py, one case per process (ctest: unit.report.time.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os

from whyslow_test import (MS, TMP, check, eq, require, whyslow, report, gen, one_line_error)


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
                     "wall_ns": (end - start) * MS, "breakdown": b, "gil_ns": 0,
                     "runq_ns": 0})
    busy = lambda r: r["wall_ns"] - r["breakdown"]["wait_ns"] - r["breakdown"]["sleep_ns"]
    return sorted(rows, key=lambda r: (-busy(r), r["tid"]))


def case_time_json():
    log = os.path.join(TMP, "time.wslog")
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
    # Each with the caller of its longest call (the generated log's callers
    # are in no mapping: only their addresses).
    eq(f.get("during"), [
        {"kind": "sleep", "call": "nanosleep", "count": 1, "time_ns": 100 * MS,
         "site": {"addr": "0x401234"}},
        {"kind": "call", "call": "write", "target": "/data/log", "count": 2, "time_ns": 35 * MS,
         "site": {"addr": "0x401234"}},
        {"kind": "call", "call": "poll", "target": None, "count": 1, "time_ns": 10 * MS,
         "site": {"addr": "0x600000"}},
    ], "what the longest stall was spent on")
    # The finding's site: the longest call in the longest stall, the sleep.
    eq(f.get("site"), {"addr": "0x401234"}, "the stall's site")
    eq(f.get("summary"), "the event loop of thread 7302 (epoll_wait) stalled 2 times for \u2265100 "
       "ms, up to 200 ms, 320 ms in all; in the longest: sleeping (nanosleep) 100 ms, CPU or "
       "untraced work 55 ms, write on /data/log 35 ms (2 calls)", "stall summary")
    costs = [x.get("total_ns", x.get("wait_total_ns")) for x in r["findings"]]
    eq(costs, sorted(costs, reverse=True), "findings ordered by time")


def case_time_text():
    log = os.path.join(TMP, "time.wslog")
    gen("time", log)
    rc, out, err = whyslow("report", log)
    eq((rc, err), (0, ""), "exit status and stderr")
    lines = out.splitlines()
    check(any(l.startswith("  high    event_loop_stall        pid 7300 tid 7302: the event loop of thread "
                           "7302 (epoll_wait) stalled 2 times") for l in lines), "the stall finding")
    head = next((i for i, l in enumerate(lines) if l.startswith("  time per thread:")), None)
    require(head is not None, "a time table")
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
    check(all(len(l) <= 100 for l in table), f"lines fit 100 columns: {max(map(len, table))}")


def case_time_options():
    log = os.path.join(TMP, "time.wslog")
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
    check("--stall-ms N" in out, "--help tells of --stall-ms")
