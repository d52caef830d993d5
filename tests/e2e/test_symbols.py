# SPDX-License-Identifier: MIT
"""test_symbols.py - e2e cases: symbolization.  Locks named by their variable,
call sites and stacks by function, file and line (also in a library loaded
with dlopen), a stripped program (module+offset, nothing invented), the
GIL recognized, and damaged real logs that must not crash the decoder.

Run by tests/run.py, one case per process (ctest: e2e.symbols.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import subprocess

from whyslow_test import (PYTHON, BUILD, PROGS, EXAMPLES, TMP, check, require, fail, skip, report,
                          text_report, dump, record, prog, findings_of)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


def site_line(path, tag):
    """The number of the line of path marked "SITE:tag"."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if "SITE:" + tag in line:
                return n
    fail("no SITE:%s in %s" % (tag, path))


def lock_findings(rep):
    """{lock name: lock_contention finding}."""
    found = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    by_name = {f["lock"]: f for f in found}
    check(len(by_name) == len(found), "two findings with one lock name: %s" % found)
    return by_name


def nm_symbols(path, *flags):
    """{name: (address, size)} of the defined symbols nm lists."""
    out = subprocess.run(["nm", "-S", "--defined-only"] + list(flags) + [path],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return syms


def module_bias(site):
    return int(site["addr"], 16) - int(site["module_offset"], 16)


def case_sym_lock_names():
    """Locks named by their variable, and the functions that took them by
    name, file and line: a global in .bss, a heap mutex (taken in an
    inlined function), a mutex inside a struct."""
    src = os.path.join(HERE, "progs", "sym_locks.c")
    data, _ = record([prog("sym_locks")])
    rep = report(data)
    found = lock_findings(rep)
    heap = [name for name in found if name.endswith(" (heap)")]
    require(len(heap) == 1 and set(found) == {"queue_lock", "stats+0x8", heap[0]},
            "lock names %s" % sorted(found))
    check(heap[0] == "mutex %s (heap)" % found[heap[0]]["addr"], "heap lock %r" % heap[0])
    for name, fn in (("queue_lock", "take_job"), (heap[0], "take_result"),
                     ("stats+0x8", "count_stat")):
        f = found[name]
        site = f["site"]
        want = {"function": fn, "file": src, "line": site_line(src, fn), "module": "e2e_sym_locks",
                "addr": f["caller"]}
        check({k: site.get(k) for k in want} == want, "%s: site %s, expected %s" % (name, site, want))
        check(f["summary"].startswith("mutex %s: " % name.replace("mutex ", "")),
              "summary %r" % f["summary"])
        # How many waits depends on the scheduler (the machine may be busy):
        # what is checked is the naming.
        check(f["contended"] >= 2 and f["threads"] >= 2, "%s: waits %s" % (name, f))
    # The stacks of the longest waits: the function, where it was called
    # (an inlined function, then the one it was inlined into), the thread's
    # start.
    def frames(f, n):
        return [(x.get("function"), x.get("file"), x.get("line"), x.get("inlined", False))
                for x in f["stack"][:n]]
    check(frames(found["queue_lock"], 2) ==
          [("take_job", src, site_line(src, "take_job"), False),
           ("worker", src, site_line(src, "worker_take_job"), False)],
          "queue_lock's stack %s" % found["queue_lock"]["stack"])
    heap_stack = found[heap[0]]["stack"]
    check(frames(found[heap[0]], 2) ==
          [("take_result", src, site_line(src, "take_result"), True),
           ("worker", src, site_line(src, "worker_take_result"), False)] and
          heap_stack[0]["addr"] == heap_stack[1]["addr"], "heap lock's stack %s" % heap_stack)
    for f in found.values():
        check(f["stack"][0]["addr"] == f["caller"] and
              f["stack"][-1].get("module") == "libc.so.6",
              "stack to the thread's start (in libc): %s" % f["stack"])
    # The names agree with nm: the lock's offset in the file is queue_lock's.
    syms = nm_symbols(prog("sym_locks"))
    q = found["queue_lock"]
    check(int(q["addr"], 16) - module_bias(q["site"]) == syms["queue_lock"][0],
          "queue_lock at %s, nm says 0x%x" % (q["addr"], syms["queue_lock"][0]))
    check(q["site"]["module_offset"] != q["site"]["addr"], "a PIE's offsets are not addresses")
    locks = {l["lock"]: l for l in rep["locks"]}
    for name in found:
        check(locks[name]["site"] == found[name]["site"] and not locks[name].get("gil"),
              "locks[] %s: %s" % (name, locks.get(name)))
    text = text_report(data)
    line = site_line(src, "take_job")
    check("mutex queue_lock: " in text and
          "most waits called from take_job (sym_locks.c:%d)\n" % line in text and
          "the longest wait's stack:\n" in text and
          "    at take_job (sym_locks.c:%d)\n" % line in text and
          "    at worker (sym_locks.c:%d)\n" % site_line(src, "worker_take_job") in text,
          "text findings:\n" + text[:1500])
    check(re.search(r"\n  mutex  queue_lock +\d+ .* take_job \(sym_locks\.c:%d\)\n" % line, text),
          "text locks table:\n" + text)
    check(re.search(r"\n  mutex  0x[0-9a-f]+ \(heap\) +\d+ .* take_result \(sym_locks\.c:%d\)\n" %
                    site_line(src, "take_result"), text), "heap lock in the text:\n" + text)


def case_sym_stripped():
    """The same program stripped: nothing named, nothing invented; the
    module and the offset in it, which addr2line on the unstripped file
    turns into the same function."""
    exe = os.path.join(TMP, "sym_locks_stripped")
    subprocess.run(["strip", "-o", exe, prog("sym_locks")], check=True)
    data, _ = record([exe])
    rep = report(data)
    syms = nm_symbols(prog("sym_locks"))
    found = lock_findings(rep)
    check(len(found) == 3, "three contended locks: %s" % sorted(found))
    by_fn = {}
    for name, f in found.items():
        site = f["site"]
        check(set(site) == {"module", "module_offset", "addr"} and
              site["module"] == "sym_locks_stripped", "%s: site %s" % (name, site))
        a2l = subprocess.run(["addr2line", "-f", "-e", prog("sym_locks"),
                              "0x%x" % (int(site["module_offset"], 16) - 1)],
                             capture_output=True, text=True, check=True).stdout.split()
        by_fn[a2l[0]] = (name, f)
    require(set(by_fn) == {"take_job", "take_result", "count_stat"}, "sites %s" % by_fn)
    for fn, var, off in (("take_job", "queue_lock", 0), ("count_stat", "stats", 8)):
        name, f = by_fn[fn]
        want = "mutex %s (sym_locks_stripped+0x%x)" % (f["addr"], syms[var][0] + off)
        check(name == want, "lock %r, expected %r" % (name, want))
    name, f = by_fn["take_result"]
    check(name == "mutex %s (heap)" % f["addr"], "heap lock %r" % name)
    text = text_report(data)
    check("most waits called from sym_locks_stripped+0x" in text, "text:\n" + text[:1500])
    check(not any(n.startswith("cannot read") for n in rep["processes"][0]["notes"]), "notes")


def case_sym_dlopen_site():
    """A slow write made by a library loaded with dlopen (and unloaded
    before the end): slow_syscall and slowest[] name its function."""
    lib = os.path.join(PROGS, "libsym_slowwrite.so")
    src = os.path.join(HERE, "progs", "sym_slowwrite.c")
    data, _ = record([prog("sym_dlopen"), lib])
    rep = report(data)
    # The write blocks at least 50 ms, till the reader starts.  The
    # reader's own reads are quick unless the writer cannot run (a busy
    # machine: 15.6 ms seen under tests/stress.sh): such a finding names
    # the reader's function, never the library's.
    slow = [f for f in rep["findings"] if f["kind"] == "slow_syscall"]
    check(all(f["call"] == "write" or f["site"].get("function") == "drain" for f in slow),
          "slow calls other than the write and the reader's reads: %s" % slow)
    slow = [f for f in slow if f["call"] == "write"]
    require(len(slow) == 1 and slow[0]["target"].startswith("pipe:["),
            "findings %s" % rep["findings"])
    site = slow[0]["site"]
    want = {"function": "slow_write", "file": src, "line": site_line(src, "slow_write"),
            "module": "libsym_slowwrite.so"}
    check({k: site.get(k) for k in want} == want, "site %s, expected %s" % (site, want))
    main_src = os.path.join(HERE, "progs", "sym_dlopen.c")
    stack = [(x.get("function"), x.get("file"), x.get("line")) for x in slow[0]["stack"][:2]]
    check(stack == [("slow_write", src, want["line"]), ("main", main_src, site_line(main_src, "main"))],
          "stack %s" % slow[0]["stack"])
    write = [s for s in rep["slowest"] if s["call"] == "write"]
    check(len(write) == 1 and write[0]["site"] == site, "slowest write %s" % write)
    reads = [s for s in rep["slowest"] if s["call"] == "read" and "pipe:[" in (s["target"] or "")]
    check(reads and all(r["site"].get("function") == "drain" and
                        r["site"]["module"] == "e2e_sym_dlopen" for r in reads),
          "the reads are the program's own: %s" % reads[:2])
    # The library was gone from the last map: an earlier one named it.
    maps = [l for l in dump(data) if " meta maps " in l]
    check(len(maps) >= 2, "maps records: %s" % maps)
    text = text_report(data)
    check("the slowest called from slow_write (sym_slowwrite.c:%d)" % want["line"] in text,
          "text:\n" + text[:1500])


def case_sym_python_gil():
    """CPython threads taking turns on the GIL: locks[] names it the GIL,
    and no lock_contention finding is made of it, even at a 1 us
    threshold; it is a gil_contention finding."""
    py = os.path.realpath(PYTHON)
    runtime = nm_symbols(py, "-D").get("_PyRuntime")
    if not runtime:
        skip("%s does not export _PyRuntime" % py)
    elf = subprocess.run(["readelf", "-h", py], capture_output=True, text=True).stdout
    if "EXEC (Executable file)" not in elf:
        skip("%s is position independent: its addresses are not nm's" % py)
    start, size = runtime
    data, _ = record([PYTHON, os.path.join(HERE, "progs", "py_gil.py")])
    rep = report("--slow-ms", "0.001", data)

    def in_runtime(addr):
        return start <= int(addr, 16) < start + size

    gil = [l for l in rep["locks"] if l.get("gil")]
    check(any(l["kind"] == "cond" and l["contended"] >= 10 and l["threads"] >= 2 for l in gil),
          "the GIL's waits: %s" % gil)
    for l in rep["locks"]:
        check(bool(l.get("gil")) == in_runtime(l["addr"]) and
              (l["lock"] == "GIL") == in_runtime(l["addr"]), "lock %s" % l)
    # The program's other waits (Thread.start, join) are no locks either.
    contention = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    check(len(findings_of(rep, "gil_contention")) == 1, "no gil_contention: %s" % rep["findings"])
    for f in contention:
        check(not in_runtime(f["addr"]) and not f.get("gil") and f["lock"] != "GIL",
              "a lock_contention finding of the GIL: %s" % f)
    text = text_report("--slow-ms", "0.001", data)
    check(re.search(r"\n  cond   the GIL +\d+", text), "text locks:\n" + text)
    findings_text = text.split("\npid ")[0]
    check(not re.search(r"lock_contention .*GIL", findings_text) and
          "gil_contention" in findings_text, "text findings:\n" + findings_text)
    # The time breakdown counts the GIL waits as lock time, and says so.
    gil_waits = {}
    for l in dump(data):
        m = re.search(r" tid=(\d+) pthread_cond_timedwait cond=(0x[0-9a-f]+) .* dur=", l)
        if m and in_runtime(m.group(2)):
            gil_waits[int(m.group(1))] = True
    busy = [t for t in rep["threads"] if t["tid"] in gil_waits]
    check(len(busy) >= 2, "threads waiting for the GIL: %s" % rep["threads"])
    for t in busy:
        check(0 < t["gil_ns"] <= t["breakdown"]["lock_ns"], "gil_ns of %s" % t)
    # The main thread joins them: a park (idle), counted as wait, not lock
    # (how long, against its GIL waits, is the scheduler's to say: on a
    # loaded machine it waited 128 ms of 184 for the GIL, 43 in the join).
    pid = rep["processes"][0]["pid"]
    main = next(t for t in rep["threads"] if t["tid"] == pid)
    b = main["breakdown"]
    check(b["wait_ns"] > 0 and b["lock_ns"] == main["gil_ns"], "main: %s" % main)


def case_sym_fuzz():
    """Real logs with real maps, damaged: the decoder (symbolizing with
    maps and files that no longer agree) never crashes."""
    data, _ = record([prog("sym_locks")])
    logs = [os.path.join(data, n) for n in os.listdir(data)]
    env = dict(os.environ, FUZZ_ROUNDS="400")
    p = subprocess.run([os.path.join(BUILD, "tests", "unit", "test_fuzz")] + logs, env=env,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and "no crash" in p.stdout, "fuzz: %s %s" % (p.stdout, p.stderr[-2000:]))


def case_example_lock_contention():
    """The C example of `make demo`: 4 threads queueing on stats_lock."""
    exe = os.path.join(EXAMPLES, "lock_contention")
    src = os.path.join(HERE, "..", "..", "examples", "lock_contention.c")
    with open(src) as f:
        line = [n for n, l in enumerate(f, 1) if "pthread_mutex_lock(&stats_lock)" in l]
    require(len(line) == 1, "one place takes stats_lock")
    data, out = record([exe])
    rep = report(data)
    found = lock_findings(rep)
    check(list(found) == ["stats_lock"], "findings %s" % rep["findings"])
    f = found["stats_lock"]
    # How many of the 4 threads queue, and how often, is the scheduler's
    # to say: glibc's mutex lets the thread that unlocks take it again
    # first, and on a busy machine one may run alone for a while (47 waits
    # were seen under load, some 300 on a quiet one).  The 480 holds of
    # 2 ms are serialized whatever happens, so the waits add up.
    check(f["severity"] == "high" and 2 <= f["threads"] <= 4 and f["contended"] >= 10 and
          f["wait_total_ns"] >= 200 * 1000000, "finding %s" % f)
    check((f["site"].get("function"), os.path.basename(f["site"].get("file", "")),
           f["site"].get("line")) == ("update_stats", "lock_contention.c", line[0]),
          "site %s" % f["site"])
    text = text_report(data)
    check("mutex stats_lock: " in text and
          "most waits called from update_stats (lock_contention.c:%d)" % line[0] in text,
          "text:\n" + text[:1500])
