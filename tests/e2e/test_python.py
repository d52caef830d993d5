# SPDX-License-Identifier: MIT
"""test_python.py - e2e cases: a CPython program's report names its own
Python code: the function, file and line of each finding's site, the
parent query of an N+1, the Python frames of a slow call's stack, the
coroutine that stalled a loop; on every CPython the machine has (Debian's,
and pyenv's when there: 3.8 to 3.13 read, 3.6 and 3.7 saying they are not);
and a program that recurses, generates, awaits and makes and frees
functions runs the same traced.

Run by tests/run.py, one case per process (ctest: e2e.python.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import glob
import os
import re
import subprocess

from whyslow_test import (PYTHON, TMP, check, eq, require, report, record, dump, findings_of,
                          need_python_module, traced_like_untraced, marked_line, site_of)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e
PROGS = os.path.join(HERE, "progs")
FRAMES = os.path.join(PROGS, "py_frames.py")


def pythons():
    """Debian's python3 and each pyenv version's, with its version:
    [(path, (major, minor))], 3.6 and later."""
    found = [PYTHON] + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*")))
    out = []
    for path in found:
        if not re.search(r"python3(\.\d+)?$", path) or not os.access(path, os.X_OK):
            continue
        v = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                           capture_output=True, text=True)
        if v.returncode != 0:
            continue
        version = tuple(int(x) for x in v.stdout.split())
        if version >= (3, 6):
            out.append((path, version))
    print("pythons: %s" % ", ".join("%s (%d.%d)" % (p, *v) for p, v in out))
    return out


def line(name):
    return marked_line(FRAMES, name)


def check_sites(rep, label):
    """The findings of py_frames.py sites, each at its marked line."""
    f_name = os.path.basename(FRAMES)
    loops = {site_of(f["site"]): site_of(f["parent_site"]) for f in findings_of(rep, "n_plus_one")}
    eq(loops, {("author_of", f_name, line("child1")): ("list_books", f_name, line("parent1")),
               ("list_again", f_name, line("child2")): ("list_again", f_name, line("parent2"))},
       "%s: two N+1 loops, each with its line and its parent query's" % label)
    eq({site_of(f["site"]) for f in findings_of(rep, "repeated_query")},
       {("poll_status", f_name, line("repeat1")), ("poll_again", f_name, line("repeat2")),
        ("poll_one", f_name, line("repeat3")), ("poll_two", f_name, line("repeat4")),
        ("poll_both", f_name, line("repeat5"))},
       "%s: five repeated queries, each with its line" % label)
    recv = [f for f in findings_of(rep, "slow_syscall") if f["call"] == "recv"]
    if check(len(recv) == 1, "%s: the slow recv: %s" % (label, findings_of(rep, "slow_syscall"))):
        eq(site_of(recv[0]["site"]), ("fetch_price", f_name, line("recv")), "%s: recv's site" % label)
        stack = [site_of(s) for s in recv[0]["py_stack"]]
        eq(stack[:2], [("fetch_price", f_name, line("recv")), ("sites", f_name, line("fetch"))],
           "%s: recv's Python stack" % label)
    locks = findings_of(rep, "lock_contention")
    eq([site_of(f["site"]) for f in locks], [("hold_lock", f_name, line("lock"))],
       "%s: the lock's site" % label)
    # The pool's finding itself is e2e.concurrency's to check: on a loaded
    # machine a worker may start late and the log show no queue (one run
    # in nine here under a parallel build); its site is checked when found.
    pools = findings_of(rep, "thread_pool_exhaustion")
    check(len(pools) <= 1, "%s: thread pools: %s" % (label, pools))
    for f in pools:
        s = site_of(f["site"]) or ("", "", 0)
        # The generator expression's code: "wait_for_results.<locals>.<genexpr>",
        # before 3.11 (no qualified names) "<genexpr>".
        check(s[0] in ("wait_for_results.<locals>.<genexpr>", "<genexpr>") and
              s[1:] == (f_name, line("results")),
              "%s: the thread pool's site %s" % (label, f["site"]))


def case_sites_every_python():
    """py_frames.py sites on each CPython: from 3.8 on, every finding names
    the function and line of the program that made it; before, the report
    says the frames were not read, and sites stay native."""
    for path, version in pythons():
        label = "python %d.%d" % version
        data, out = record([path, FRAMES, "sites"], data=os.path.join(TMP, label.replace(" ", "")))
        eq(out, "30 30\n42.00\n56\n", "%s: program output" % label)
        rep = report(data)
        proc = rep["processes"][0]
        eq(proc["python"] and proc["python"]["version"].split(".")[:2],
           [str(x) for x in version], "%s: the version read" % label)
        if version >= (3, 8):
            eq(proc["python"]["frames"], True, "%s: frames read" % label)
            check_sites(rep, label)
            continue
        eq(proc["python"]["frames"], False, "%s: frames not read" % label)
        check(any("its frames were not read" in n for n in proc["notes"]),
              "%s: a note says so: %s" % (label, proc["notes"]))
        check(all(site_of(f.get("site")) is None for f in rep["findings"]),
              "%s: no Python site made up" % label)


def case_db_site_gil_held():
    """SQLite called by a thread that holds the GIL (ctypes.PyDLL): the
    repeated query's site is still the Python line that runs it, not
    libffi's address (the recorder asked whether the thread held the GIL,
    for database calls too, and then read no frames)."""
    prog = os.path.join(PROGS, "py_gil_held.py")
    data, out = record([PYTHON, prog])
    eq(out, "done\n", "program output")
    rep = report(data)
    eq([(f["count"], site_of(f["site"])) for f in findings_of(rep, "repeated_query")],
       [(20, ("poll", "py_gil_held.py", marked_line(prog, "step")))], "the query's line")


def case_harm_every_python():
    """Deep recursion, generators, coroutines, and 300 functions made with
    exec() and freed (their code objects' addresses reused): the same
    output traced; each query of the 300 named by its own function."""
    for path, version in pythons():
        label = "python %d.%d" % version
        data, out = traced_like_untraced([path, FRAMES, "harm"])
        eq(out, "recursion stopped\n332833500\n2450\n44850\n", "%s: program output" % label)
        if version < (3, 8):
            continue
        named, wrong = set(), []
        for l in dump(data):
            m = re.search(r' sqlite3_step .*"select (\d+)".* via (\S+) \((\S+)\)', l)
            if not m:
                continue
            named.add(int(m.group(1)))
            if (m.group(2), m.group(3)) != ("gen_" + m.group(1), "<gen_%s>:2" % m.group(1)):
                wrong.append(l)
        eq((len(named), wrong[:3]), (300, []), "%s: each generated function's query names it" %
           label)


def case_django_view():
    """Django: the lazy foreign key in a view function's loop; the N+1
    names the view's line that reads it and the loop's query, with the
    ORM's innermost frame as via."""
    need_python_module("django", "python3-django")
    prog = os.path.join(PROGS, "py_django.py")
    data, _ = traced_like_untraced([PYTHON, prog, "nplus1"])
    found = findings_of(report(data), "n_plus_one")
    require(len(found) == 1, "one N+1: %s" % found)
    f = found[0]
    eq(site_of(f["site"]), ("book_list", "py_django.py", marked_line(prog, "lazy")), "its site")
    eq(site_of(f["parent_site"]), ("book_list", "py_django.py", marked_line(prog, "parent")),
       "the parent query's site")
    via = f["site"]["via"] or {}
    check("/django/" in via.get("file", ""), "via Django's code: %s" % via)


def case_sqlalchemy_lazy():
    """SQLAlchemy: a lazy relationship read in a loop; the N+1 names the
    line that reads it and the loop's query."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    prog = os.path.join(PROGS, "py_sqlalchemy.py")
    data, _ = traced_like_untraced([PYTHON, prog, "nplus1"])
    found = findings_of(report(data), "n_plus_one")
    require(len(found) == 1, "one N+1: %s" % found)
    eq(site_of(found[0]["site"]), ("<module>", "py_sqlalchemy.py", marked_line(prog, "lazy")),
       "its site")
    eq(site_of(found[0]["parent_site"]),
       ("<module>", "py_sqlalchemy.py", marked_line(prog, "parent")), "the parent query's site")


def case_sqlalchemy_pool():
    """SQLAlchemy's QueuePool of 2 for 6 threads: pool_exhaustion names the
    line that waited for a connection."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    prog = os.path.join(PROGS, "py_pools.py")
    db = os.path.join(TMP, "app.db")
    data, _ = traced_like_untraced([PYTHON, prog, "sqlalchemy", "sqlite:///" + db, "2"])
    found = findings_of(report(data), "pool_exhaustion")
    require(len(found) == 1, "one pool_exhaustion: %s" % found)
    eq(site_of(found[0]["site"]),
       ("sqlalchemy_pool.<locals>.work", "py_pools.py", marked_line(prog, "checkout")), "its site")


def case_asyncio_stall_site():
    """asyncio: a coroutine that sleeps 300 ms blocks the loop; the stall
    names it, and its stack holds the coroutine's frames."""
    prog = os.path.join(PROGS, "py_asyncio.py")
    data, out = record([PYTHON, prog, "sleep"])
    eq(out, "done sleep\n", "program output")
    found = findings_of(report(data), "event_loop_stall")
    require(len(found) == 1, "one stall: %s" % found)
    f = found[0]
    eq(site_of(f["site"]), ("blocker", "py_asyncio.py", marked_line(prog, "block")), "its site")
    eq(site_of(f["during"][0]["site"]), site_of(f["site"]), "the sleep's site")
    check([site_of(s)[0] for s in f["py_stack"][:2]] == ["blocker", "main"],
          "the coroutine's frames: %s" % f["py_stack"][:3])


def case_example_nplus1_view():
    """The Python example of `make demo`: a view's N+1 named by the view's
    lines, the loop's query and the query the loop goes over; the JOIN is
    no finding."""
    prog = os.path.join(HERE, "..", "..", "examples", "nplus1_view.py")
    data, out = record([PYTHON, prog])
    eq(out, "40 books, 40 with one query\n", "program output")
    found = findings_of(report(data), "n_plus_one")
    require(len(found) == 1, "one N+1: %s" % found)
    eq((site_of(found[0]["site"]), site_of(found[0]["parent_site"]), found[0]["count"]),
       (("book_list", "nplus1_view.py", marked_line(prog, "child")),
        ("book_list", "nplus1_view.py", marked_line(prog, "parent")), 40), "its sites and count")
