# SPDX-License-Identifier: MIT
"""test_postgres.py - e2e cases: PostgreSQL clients on a throwaway server
(whyslow_test.pg_server): psycopg2, pgbench in its three protocols, a C
program on libpq's async API.  Skipped when no server is installed.

Run by tests/run.py, one case per process (ctest: e2e.postgres.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import signal
import subprocess
import time

from whyslow_test import (MS, PYTHON, TMP, check, eq, require, report, record, dump, prog, need_python_module,
                          need_file, traced_like_untraced, AUTHOR_BY_ID, BOOKS_QUERY, squash,
                          db_queries, find_query, describe, check_nplus1, check_clean, check_db,
                          pg_server)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


def case_psycopg2_nplus1():
    """psycopg2 on a real server: 30 lookups whose texts differ by a literal
    (psycopg2 fills parameters in on the client), and one ANY(...) query."""
    need_python_module("psycopg2", "python3-psycopg2")
    server = pg_server()
    prog_ = os.path.join(HERE, "progs", "py_psycopg2.py")
    r = subprocess.run([PYTHON, prog_, "setup"], env=server.env(), capture_output=True,
                       text=True, timeout=60)
    require(r.returncode == 0, "setup failed: %s" % r.stderr)
    data, out = traced_like_untraced([PYTHON, prog_, "nplus1"], env=server.env())
    check(out.count(" by Author ") == 30, "program output %r" % out[:200])
    rep = report(data)
    check_db(rep, "postgres")
    check_nplus1(rep, AUTHOR_BY_ID, BOOKS_QUERY, 30, "postgres")
    child = find_query(rep, AUTHOR_BY_ID)
    check((child["count"], child["rows"]) == (30, 30), "author lookups %s" % child)
    check(child["example"].startswith(AUTHOR_BY_ID) and child["example"][-1].isdigit(),
          "example %r" % child["example"])

    data, _ = traced_like_untraced([PYTHON, prog_, "batched"], env=server.env())
    rep = report(data)
    check_db(rep, "postgres")
    check_clean(rep, "batched")
    q = find_query(rep, "from author where id = any(")
    check((q["count"], q["rows"]) == (1, 30), "batched query %s" % q)


PGBENCH_STATEMENTS = [
    ("begin", True), ("update pgbench_accounts set abalance", False),
    ("select abalance from pgbench_accounts", False), ("update pgbench_tellers", False),
    ("update pgbench_branches", False), ("insert into pgbench_history", False), ("end", True)]


def case_pgbench():
    """pgbench's TPC-B-like script, N transactions of 7 statements, in
    the simple, extended and prepared protocols: each statement counted
    exactly N times."""
    server = pg_server()
    pgbench = server.tool("pgbench")
    need_file(pgbench, "pgbench, of Debian's postgresql package")
    r = subprocess.run([pgbench, "-i", "-s", "1", "-q"], env=server.env(), capture_output=True,
                       text=True, timeout=120)
    require(r.returncode == 0, "pgbench -i failed: %s" % r.stderr)
    n = 200
    for mode in ("simple", "extended", "prepared"):
        data, out = record([pgbench, "-n", "-t", str(n), "-c", "1", "-M", mode], env=server.env(),
                           data=os.path.join(TMP, mode))
        check("number of transactions actually processed: %d/%d" % (n, n) in out,
              "pgbench %s: %s" % (mode, out))
        rep = report(data)
        check_db(rep, "postgres")
        for needle, exact in PGBENCH_STATEMENTS:
            q = find_query(rep, needle, exact)
            check(q["count"] == n, "-M %s: %r ran %d times, expected %d" % (
                mode, q["normalized"], q["count"], n))
        check(find_query(rep, "select abalance from pgbench_accounts")["rows"] == n,
              "-M %s: one row per SELECT" % mode)
        # Its writes are in transactions (BEGIN ... END): nothing to find.
        check_clean(rep, "pgbench -M " + mode)


def case_libpq_async():
    """A C program on libpq's async API: PQsendQuery, PQsendQueryParams,
    PQsendQueryPrepared, a non-blocking loop, pipeline mode."""
    exe = prog("pq_async")
    need_file(exe, "built only when libpq-dev was installed at configure time")
    server = pg_server()
    data, out = traced_like_untraced([exe], env=server.env())
    check(out.endswith("done\n"), "program output %r" % out[-200:])
    rep = report(data)
    check_db(rep, "postgres")
    expect = [  # (needle, exact, count, rows)
        ("create temp table item", False, 1, 0),
        ("insert into item select", False, 1, 0),
        ("select id, name from item order by id", True, 1, 20),
        ("select name from item where id =", False, 5, 5),
        ("select id, name from item where id =", False, 3, 3),
        ("select count(*) from item where id >", False, 2, 2),
        ("::int *", False, 4, 4),
    ]
    for needle, exact, n, rows in expect:
        q = find_query(rep, needle, exact)
        check((q["count"], q["rows"]) == (n, rows), "%r: count %d rows %d, expected %d %d" %
              (q["normalized"], q["count"], q["rows"], n, rows))
    two = [q for q in db_queries(rep) if "select 1" in squash(q["example"])]
    check(len(two) == 1 and (two[0]["count"], two[0]["rows"]) == (1, 2),
          "one send, two statements, two rows: %s" % two)
    total = sum(q["count"] for q in db_queries(rep))
    check(total == 18, "%d queries in all, expected 18: %s" % (total, describe(rep)))


def case_server_traced():
    """The server itself under record, then killed with SIGKILL: each of
    its processes is named by the title it gives itself, a backend's reads
    name its client's socket (accepted by the postmaster before the fork),
    and the postmaster's life runs to when it was killed, not to its last
    event."""
    server = pg_server(traced=True)
    server.psql("create table t (i int); insert into t select generate_series(1, 100)")
    # A session of five round trips, one of which computes for some 300 ms
    # in the server: its backend waits for its one client between them,
    # which is no event loop (it was found stalled, "CPU 365 ms").
    five = [server.tool("psql"), "-X", "-q", "-A", "-t"]
    for sql in ("select 1", "select count(*) from generate_series(1, 3000000)", "select 1",
                "select 1", "select 1"):
        five += ["-c", sql]
    r = subprocess.run(five, env=server.env(), capture_output=True, text=True, timeout=60)
    require(r.returncode == 0, "the five queries: %s" % r.stderr)
    session = subprocess.Popen([server.tool("psql"), "-X", "-q", "-A", "-t", "-c",
                                "select count(*) from t; select pg_sleep(30)"],
                               env=server.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    require(session.stdout.readline().strip() == "100", "the session's first query")
    postmaster = server.postmaster_pid()
    time.sleep(0.5)  # a quiet half second: nothing for the postmaster to record
    killed_at = time.time()
    os.kill(postmaster, signal.SIGKILL)
    session.kill()
    session.wait()
    rc = server.server.wait(timeout=60)
    eq(rc, 128 + signal.SIGKILL, "record's status: the server's")
    rep = report(server.logs)
    procs = {p["pid"]: p for p in rep["processes"]}
    pm = procs.get(postmaster)
    if check(pm is not None, "the postmaster's log: %s" % sorted(procs)):
        check(pm["end"] is None and pm["gone_ns"] is not None, "the postmaster's end: %s %s" %
              (pm["end"], pm["gone_ns"]))
        eq(pm["title"], None, "the postmaster keeps its arguments: no title")
        lived = killed_at - pm["start_unix_ns"] / 1e9
        check(pm["duration_ns"] >= (lived - 0.05) * 1e9,
              "the postmaster lived %.2f s; its duration %.3f s" % (lived, pm["duration_ns"] / 1e9))
    titles = [p["title"] or "" for p in rep["processes"]]
    check(any(t.startswith("postgres: checkpointer") for t in titles), "titles: %s" % titles)
    backends = [p for p in rep["processes"] if "[local]" in (p["title"] or "")]
    check(backends, "a backend's title names its client: %s" % titles)
    # The summary by program and role: a title's words up to its client.
    roles = {(p["program"], p["role"]) for p in rep["programs"]}
    check(("postgres", "checkpointer") in roles and ("postgres", None) in roles and
          not [r for _, r in roles if r and ("[" in r or "idle" in r)],
          "programs by role: %s" % sorted(roles, key=str))
    check(not [f for f in rep["findings"] if f["kind"] == "event_loop_stall"],
          "no event loop in the server: %s" % [f["summary"] for f in rep["findings"]])
    ended = [p for p in rep["processes"] if p["end"] is not None]
    check(ended and all(p["gone_ns"] is None for p in ended),
          "processes that exited are not gone: %s" % [(p["pid"], p["gone_ns"]) for p in ended])
    # The backends' client connections (accepted by the postmaster before
    # its fork) are seen as turns: the five queries of the session among
    # them, the one that computed 300 ms the longest of its backend's.
    turns = [r for r in rep["requests"] if r["method"] == "TURN"]
    queries = [r for r in turns if r["target"].startswith("Q")]
    check(len([r for r in queries if "generate_series(1, 3000000)" in r["target"]
               or "select count(*) from gene" in r["target"]]) == 1,
          "the long query's turn: %s" % [r["target"] for r in queries])
    # (the killed session's pg_sleep(30) is one turn with its count(*): the
    # backend answered it after its 30 s, to a client gone.)  Among the
    # turns of the long query's backend: the setup's, in other backends,
    # may take longer on a loaded machine (CI once kept `create database`
    # 565 ms, and the long query 492).
    long_pids = {r["pid"] for r in queries if "select count(*) from gene" in r["target"]}
    longest = max((r for r in queries if "from t;" not in r["target"] and r["pid"] in long_pids),
                  key=lambda r: r["latency_ns"], default=None)
    check(longest is not None and "select count(*) from gene" in longest["target"] and
          longest["latency_ns"] >= 100 * MS,
          "the longest answered turn is the long query's: %s" %
          [(r["target"][5:40], r["latency_ns"], r["complete"]) for r in queries])
    lines = dump(server.logs)
    for b in backends:
        reads = [l for l in lines if "pid=%d " % b["pid"] in l and (" recv" in l or " read " in l)]
        named = [l for l in reads if ".s.PGSQL." in l]
        check(named, "backend %d's reads name the server's socket: %s" % (b["pid"], reads[:3]))


def case_slow_query_pg():
    """psql on a real server: `select pg_sleep(0.05)` is a slow_query whose
    time was all spent waiting for the server; `select 1` is not, unless
    the server really kept it 10 ms (a loaded machine once kept it 103 ms,
    99 % of it in libpq waiting for the answer: then it is one)."""
    server = pg_server()
    data, out = record([server.tool("psql"), "-X", "-q", "-A", "-t", "-c", "select 1",
                        "-c", "select pg_sleep(0.05)"], env=server.env())
    rep = report(data)
    slow = [f for f in rep["findings"] if f["kind"] == "slow_query"]
    sleep = [f for f in slow if "pg_sleep" in f["normalized"]]
    check(all(f["max_ns"] >= 10 * MS for f in slow if f not in sleep),
          "a slow_query only for an execution of 10 ms or more: %s" % slow)
    if check(len(sleep) == 1, "slow_query findings: %s" % slow):
        f = sleep[0]
        check(f["db"] == "postgres" and "pg_sleep" in f["normalized"] and f["count"] == 1 and
              f["max_ns"] >= 50 * MS and f["lib_ns"] >= 0.9 * f["total_ns"],
              "the finding: %s" % f)
        check("waiting for the server" in f["summary"], "summary: %s" % f["summary"])


def case_lwlock_contention():
    """The server traced under pgbench's TPC-B-like load, 8 clients on a
    small machine: the backends wait for each other's lightweight locks,
    each sleeping on its own semaphore in shared memory until the backend
    that releases the lock posts it.  One ipc_contention finding names
    them, and their waits count as lock time, not as waiting for work."""
    server = pg_server(traced=True)
    pgbench = server.tool("pgbench")
    need_file(pgbench, "pgbench, of Debian's postgresql package")
    r = subprocess.run([pgbench, "-i", "-s", "1", "-q"], env=server.env(), capture_output=True,
                       text=True, timeout=120)
    require(r.returncode == 0, "pgbench -i failed: %s" % r.stderr)
    r = subprocess.run([pgbench, "-n", "-c", "8", "-T", "3"], env=server.env(),
                       capture_output=True, text=True, timeout=120)
    require(r.returncode == 0 and "number of failed transactions: 0" in r.stdout,
            "pgbench: %s %s" % (r.stdout[-300:], r.stderr[-300:]))
    server.server.send_signal(signal.SIGQUIT)
    server.server.wait(timeout=60)
    rep = report(server.logs)
    found = [f for f in rep["findings"] if f["kind"] == "ipc_contention"]
    if check(len(found) == 1, "ipc_contention findings: %s" % [f["summary"] for f in rep["findings"]]):
        f = found[0]
        check(f["program"] == "postgres" and f["processes"] >= 2 and f["waits"] >= 10 and
              f["site"].get("function") == "PGSemaphoreLock", "the finding: %s" % f)
    ipc = [l for l in rep["locks"] if l["role"] == "ipc"]
    check(len({l["pid"] for l in ipc}) >= 2, "locks of role ipc: %s" % ipc[:3])
    lock_ns = sum(t["breakdown"]["lock_ns"] for t in rep["threads"]
                  if t["pid"] in {l["pid"] for l in ipc})
    check(lock_ns >= sum(l["wait_total_ns"] for l in ipc) * 0.5,
          "their waits count as lock time: %d ns" % lock_ns)
