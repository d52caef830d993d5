# SPDX-License-Identifier: MIT
"""test_sql.py - report checks: gen_log's sql log (build_sql in gen_log.c):
queries[], the n_plus_one and repeated_query findings, their text and
dump forms, --nplus1-min and --repeat-min, and a big log of queries.

Run by tests/run.py, one case per process (ctest: unit.report.sql.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import resource
import subprocess
import time

from whyslow_test import (US, MS, GEN_LOG, TMP, check, eq, require, whyslow, report, gen,
                          one_line_error)


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

# By severity, then cost (the 120 small N+1 queries are medium by their
# count): (kind, variant, db, normalized, count, total_ns, tid, conn,
# parent_normalized, parent_rows, loops, severity).
SQL_FINDINGS = [
    ("n_plus_one", None, "postgres", AUTHOR, 30, 24 * MS, 7101, "0x5000b000", BOOKS, 30, 1, "medium"),
    ("n_plus_one", None, "sqlite", "select label from tag_label where tag_id = ?", 120, 1200 * US,
     7102, "0x5000c000", "select id from tag", 120, 1, "medium"),
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
]


def sql_findings(r):
    return [f for f in r["findings"] if f["kind"] in ("n_plus_one", "repeated_query")]


def case_sql_json():
    log = os.path.join(TMP, "sql.wslog")
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
       [w[:5] for w in want], "n_plus_one and repeated_query findings, by severity, then cost")
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
            check("N+1: " in x["summary"] and "select_related" in x["summary"], f"{what}: summary")
        else:
            eq(x["variant"], w[1], f"{what}: variant")
            key = "connections" if w[1] else "parameter_sets"
            eq(x.get(key), 1, f"{what}: {key}")
    eq(f[0]["summary"],
       "N+1: 30 executions of `select name from author where id = ?`, one per row of "
       "`select id, title, author_id from book order by id` (30 rows): load them with one query "
       "(a JOIN, or WHERE id IN (...)) or the ORM's eager loading (Django "
       "select_related/prefetch_related, SQLAlchemy selectinload/joinedload)", "N+1 summary")
    eq(f[4]["summary"].split(": load")[0],
       'N+1: 12 executions of `select ... from "shop_product" where "shop_product"."id" = ? limit ?`,'
       ' one per row of `select ... from "shop_order"` (12 rows)', "long SELECT lists shortened")
    eq(f[9]["summary"].split(", one per row")[0],
       "N+1: 16 executions of `select price from price where item_id = ?` in 2 loops", "loops")
    eq(f[2]["example"], "INSERT INTO audit (event) VALUES ('e0')", "unbatched: the first text")
    eq(f[2]["summary"],
       "7 executions of `insert into audit(event) values (?)` outside a transaction, each committed "
       "on its own (14 ms in all): run them in one transaction (BEGIN ... COMMIT) or as a batch "
       "(executemany inside a transaction, COPY, a multi-row VALUES)", "unbatched summary")
    eq(f[7]["summary"],
       "6 executions of `select count(*) from book where author_id = ?` with the same parameters on "
       "one connection (3 ms in all): run it once and keep the result, or cache it",
       "repeated summary")
    eq(f[7]["example"], "SELECT count(*) FROM book WHERE author_id = 7", "repeated: its text")
    eq([x["kind"] for x in r["findings"] if x["kind"] != "slow_query"], [x["kind"] for x in f],
       "no other findings")


def case_slow_query():
    """The BOOKS SELECT spans 30 ms, 20 author lookups of 200 us inside
    it: its own time is 26 ms, a slow_query at 10 ms, none at 30 ms (its
    span) nor at 27 ms; no other statement took 10 ms."""
    log = os.path.join(TMP, "sql.wslog")
    gen("sql", log)
    r = report(log)
    slow = [x for x in r["findings"] if x["kind"] == "slow_query"]
    eq(len(slow), 1, "slow_query findings")
    for k, v in {"db": "sqlite", "normalized": BOOKS, "count": 1, "executions": 1,
                 "max_ns": 26 * MS, "total_ns": 26 * MS, "lib_ns": 0, "tid": 7100,
                 "conn": "0x5000a000", "severity": "medium",
                 "site": {"addr": "0x402000"}}.items():
        eq(slow[0].get(k), v, f"slow_query.{k}")
    check(slow[0]["summary"].startswith("1 of 1 executions of `select id, title, author_id from "
                                        "book order by id` took \u226510 ms (max 26 ms"),
          "summary: %s" % slow[0]["summary"])
    for ms in ("27", "30"):
        eq([x for x in report("--slow-ms", ms, log)["findings"] if x["kind"] == "slow_query"], [],
           f"no slow_query at {ms} ms")


def case_sql_text():
    log = os.path.join(TMP, "sql.wslog")
    gen("sql", log)
    rc, out, err = whyslow("report", log)
    eq((rc, err), (0, ""), "exit status and stderr")
    lines = out.splitlines()
    check("whyslow report: 1 process, 374 events, 0 lost, 11 findings" in out, "headline")
    first = next(i for i, l in enumerate(lines) if "n_plus_one" in l)
    check(lines[first].startswith("  medium  n_plus_one              pid 7100 tid 7101: N+1: 30 executions"),
          f"most costly finding first: {lines[first]!r}")
    check(any(l.startswith("  low     repeated_query          pid 7100 tid 7100: 6 executions of `update book")
              for l in lines), "unbatched writes shown")
    head = next((i for i, l in enumerate(lines) if l.split()[:2] == ["db", "count"]), None)
    require(head is not None, "a queries table")
    eq(lines[head].split(), ["db", "count", "rows", "total", "p50", "p99", "max", "query"], "columns")
    rows = lines[head + 1:head + 16]
    eq(rows[0].split()[:5], ["sqlite", "1", "20", "30", "ms"], "the costliest query first")
    check(rows[0].endswith("select id, title, author_id from book order b..."),
          f"texts cut to fit a line: {rows[0]!r}")
    eq(rows[1].split()[:3] + [rows[1].split("  ")[-1]], ["postgres", "30", "30", "select name from author where id = ?"],
       "the PostgreSQL lookups")
    check(all(len(l) <= 120 for l in rows), "lines fit 120 columns")
    eq(lines[head + 16], f"  ... and {len(SQL_QUERIES) - 15} more (see --json)", "the rest")
    check("no syscalls recorded" in out, "no syscall table")


def case_sql_dump():
    log = os.path.join(TMP, "sql.wslog")
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
        '   0.010000000 pid=7100 tid=7100 sqlite3_step conn=0x5000a000 rows=20 params=0x00000000 '
        'lib=0ns "SELECT id, title, author_id FROM book ORDER BY id" result=101 dur=30ms '
        'caller=0x402000',
        '   0.010500000 pid=7100 tid=7100 sqlite3_step conn=0x5000a000 rows=1 params=0x000003e8 '
        'lib=0ns "SELECT name FROM author WHERE id = ?" result=101 dur=200us',
        ' sqlite3_stmt obj=',
        ' sqlite3_exec conn=0x5000a000 "BEGIN; INSERT INTO log VALUES (1); COMMIT;" result=0 dur=2ms',
        ' sqlite3_prepare conn=0x5000a000 "SELECT * FROM missing" result=1 dur=20us',
        ' sqlite3_close conn=0x5000a000 result=0 dur=30us',
        ' PQconnectdb conn=0x5000b000 "host=127.0.0.1 port=5432 dbname=shop user=app" result=0 dur=3ms',
        ' PQexec conn=0x5000b000 rows=1 params=0x00000000 lib=400us '
        '"SELECT name FROM author WHERE id = 30" result=2 dur=800us',
        ' PQexec conn=0x5000b000 rows=0 params=0x00000000 lib=150us "SELECT * FROM nope" result=7 '
        'dur=300us',
        ' PQfinish conn=0x5000b000 result=0 dur=40us',
    ]:
        check(any(want in l for l in events), f"dump lacks {want!r}")
    check(not any(" err=" in l for l in events), "rows are not errors")


def case_sql_options():
    log = os.path.join(TMP, "sql.wslog")
    gen("sql", log)

    def found(*args):
        r = report(*args, log)
        return [(x["kind"], x["db"], x["count"]) for x in sql_findings(r)], r

    f, r = found("--nplus1-min", "13", "--repeat-min=7")
    eq((r["nplus1_min"], r["repeat_min"]), (13, 7), "the minimums asked for")
    eq(f, [("n_plus_one", "postgres", 30), ("n_plus_one", "sqlite", 120),
           ("repeated_query", "postgres", 7), ("n_plus_one", "sqlite", 20),
           ("repeated_query", "sqlite", 8)],
       "with 13 and 7: not the loops of 12, nor the two loops of 8, the 6 writes, the 6 repeats")
    f, r = found("--nplus1-min", "2", "--repeat-min", "2")
    kinds = [k for k in f if k[0] == "n_plus_one"]
    check(("n_plus_one", "sqlite", 3) in kinds, f"with 2: the short loop of 3 is one: {kinds}")
    check(("repeated_query", "sqlite", 16) in f, f"with 2: the price lookups, twice each: {f}")
    check(("repeated_query", "sqlite", 5) not in f and ("repeated_query", "sqlite", 50) not in f,
          f"with 2: writes in a savepoint or a transaction are not: {f}")
    for bad in ("1", "x", "1000001", ""):
        one_line_error(["report", "--nplus1-min", bad, log], 2,
                       f"whyslow report: --nplus1-min: '{bad}' is not a count from 2 to 1000000 "
                       "(see whyslow report --help)")
    one_line_error(["report", "--repeat-min"], 2,
                   "whyslow report: --repeat-min needs a value (see whyslow report --help)")


def case_sql_big():
    n = 400000
    cycles = n // 364
    log = os.path.join(TMP, "sqlbig.wslog")
    subprocess.run([GEN_LOG, "sqlbig", log, str(n)], check=True, stdout=subprocess.DEVNULL)
    start = time.monotonic()
    r = report(log)
    took = time.monotonic() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    check(took < 10, f"quick: {took:.1f} s")
    # Every thread's start times go back (a parent's record follows its
    # children's): its cursor's window holds a block's events, not the thread.
    check(maxrss_kib < 48 * 1024, f"memory stays small: {maxrss_kib} KiB")

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
