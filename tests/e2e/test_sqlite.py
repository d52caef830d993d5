# SPDX-License-Identifier: MIT
"""test_sqlite.py - e2e cases: SQLite queries, from Python's sqlite3 and from C
(tests/e2e/progs/py_sqlite.py, sqlite_threads.c, the nplus1_sqlite example):
queries[] counted exactly, n_plus_one and repeated_query found only where
they are, errors, statements shared by threads, WHYSLOW_SQL=redact.

Run by tests/run.py, one case per process (ctest: e2e.sqlite.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import subprocess

from whyslow_test import (log_file, MS, PYTHON, WHYSLOW, EXAMPLES, TMP, check, eq, report, record, prog, need_file,
                          traced_like_untraced, findings_of, AUTHOR_BY_ID, BOOKS_QUERY, squash,
                          db_queries, find_query, describe, check_nplus1, check_clean, check_db)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


SQLITE_PROG = os.path.join(HERE, "progs", "py_sqlite.py")


def case_sqlite_nplus1():
    """Python's sqlite3, bound parameters: 1 books query + 30 author lookups."""
    data, out = traced_like_untraced([PYTHON, SQLITE_PROG, "nplus1"])
    check(out.count(" by Author ") == 30, "program output %r" % out[:200])
    rep = report(data)
    check_db(rep, "sqlite")
    check_nplus1(rep, AUTHOR_BY_ID, BOOKS_QUERY, 30, "sqlite")
    child = find_query(rep, AUTHOR_BY_ID)
    check((child["count"], child["rows"]) == (30, 30), "author lookups %s" % child)
    parent = find_query(rep, BOOKS_QUERY)
    check((parent["count"], parent["rows"]) == (1, 30), "books query %s" % parent)
    check(child["db_ns"] > 0 and child["max_ns"] >= child["p99_ns"] >= child["p50_ns"] > 0,
          "author lookup times %s" % child)
    check(not findings_of(rep, "repeated_query"),
          "each lookup has its own parameter: %s" % describe(rep))


def case_sqlite_nplus1_literal():
    """The same loop with the id formatted into the text: 30 texts, one
    statement once literals are normalized."""
    data, out = traced_like_untraced([PYTHON, SQLITE_PROG, "nplus1_literal"])
    rep = report(data)
    check_db(rep, "sqlite")
    f = check_nplus1(rep, AUTHOR_BY_ID, BOOKS_QUERY, 30, "sqlite")
    child = find_query(rep, AUTHOR_BY_ID)
    check(child["count"] == 30, "author lookups %s" % child)
    check(child["example"].startswith(AUTHOR_BY_ID) and child["example"][-1].isdigit(),
          "example %r: a real statement, literal included" % child["example"])
    check("?" in child["normalized"], "normalized %r keeps the literal" % child["normalized"])
    check(f["example"].startswith(AUTHOR_BY_ID), "finding example %r" % f["example"])


def case_sqlite_controls():
    """No N+1 where there is none: a JOIN, a loop of 3, executemany."""
    data, _ = traced_like_untraced([PYTHON, SQLITE_PROG, "join"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "join")
    q = find_query(rep, "join author a on")
    check((q["count"], q["rows"]) == (1, 30), "join query %s" % q)

    data, _ = traced_like_untraced([PYTHON, SQLITE_PROG, "short"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "a loop of 3")
    check(find_query(rep, AUTHOR_BY_ID)["count"] == 3, "3 author lookups")

    data, _ = traced_like_untraced([PYTHON, SQLITE_PROG, "executemany"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "executemany in a transaction")
    q = find_query(rep, "insert into sale")
    check((q["count"], q["rows"]) == (100, 0), "executemany inserts %s" % q)


def case_sqlite_unbatched_writes():
    """100 INSERTs in autocommit mode on a database file, each committed
    on its own: a repeated_query finding of the unbatched_writes variant."""
    db = os.path.join(TMP, "library.db")
    data, _ = traced_like_untraced([PYTHON, SQLITE_PROG, "autocommit", db])
    rep = report(data)
    check_db(rep, "sqlite")
    check(not findings_of(rep, "n_plus_one"), "autocommit: %s" % describe(rep))
    found = findings_of(rep, "repeated_query")
    check(len(found) == 1 and found[0]["variant"] == "unbatched_writes",
          "expected one unbatched_writes finding: %s" % describe(rep))
    f = found[0]
    check(f["count"] == 100 and "insert into sale" in squash(f["normalized"]),
          "unbatched_writes %s" % f)
    check(find_query(rep, "insert into sale")["count"] == 100, "queries[] count")


def case_sqlite_repeated():
    """The same statement with the same parameter, 10 times."""
    data, _ = traced_like_untraced([PYTHON, SQLITE_PROG, "repeated"])
    rep = report(data)
    check_db(rep, "sqlite")
    check(not findings_of(rep, "n_plus_one"), "no parent here: %s" % describe(rep))
    found = findings_of(rep, "repeated_query")
    check(len(found) == 1 and found[0]["variant"] is None,
          "expected one repeated_query finding: %s" % describe(rep))
    f = found[0]
    check(f["count"] == 10, "repeated_query count %d, expected 10" % f["count"])
    check("from book where author_id" in squash(f["normalized"]), "repeated %r" % f["normalized"])
    check(find_query(rep, "from book where author_id")["count"] == 10, "queries[] count")


def case_sqlite_errors():
    """Statements that fail are counted as executions with errors."""
    data, out = traced_like_untraced([PYTHON, SQLITE_PROG, "errors"])
    check(out.count("UNIQUE constraint failed") == 5, "program output %r" % out)
    rep = report(data)
    # The setup's one multi-row INSERT has the same fingerprint (a VALUES
    # list normalizes to one row): 6 executions, the 5 failed ones.
    q = find_query(rep, "insert into author(id, name) values (?, ?)", exact=True)
    check((q["count"], q["errors"], q["rows"]) == (6, 5, 0), "failed inserts %s" % q)
    others = [x for x in db_queries(rep) if x is not q and x["errors"]]
    check(not others, "errors on other queries: %s" % others)


def case_sqlite_threads():
    need_file(prog("sqlite_threads"), "libsqlite3-dev was missing at build time")
    inside = "B: first step 100\nB: reset inside 100\nB: 3 rows, rc 101\n"
    data, out = traced_like_untraced([prog("sqlite_threads")])
    check(out == "A: one\nA: two\nA: first step 100\nA: 5 rows, rc 101\n" + inside,
          "output %r" % out)
    rep = report(data)
    # Each statement's own text, though S2 may sit at S1's addresses.
    for name, value in (("first", "one"), ("second", "two")):
        q = find_query(rep, "select ? as " + name, exact=True)
        check(q["count"] == 1 and q["rows"] == 1 and q["example"] == "select '%s' as %s" % (
            value, name), "%s: %s" % (name, q))
    # S3's open execution, reset by the other thread, is lost, not made
    # into one of 300 ms; its second execution is fast.
    q = find_query(rep, "with recursive c(x) as")
    check(q["count"] == 1 and q["rows"] == 5 and q["max_ns"] < 100e6, "S3: %s" % q)
    check(rep["processes"][0]["lost_events"] == 1, "lost %d" % rep["processes"][0]["lost_events"])
    # S4, reset by a function S5 called, inside S5's step: its first
    # execution ends there, seen (nothing lost), with a thread or alone.
    check_reset_inside(rep, "two threads")
    data, out = traced_like_untraced([prog("sqlite_threads"), "single"])
    check(out == inside, "single: output %r" % out)
    rep = report(data)
    check_reset_inside(rep, "one thread")
    check(rep["processes"][0]["lost_events"] == 0, "single: lost %d" % rep["processes"][0]["lost_events"])


def check_reset_inside(rep, what):
    q = find_query(rep, "select y from d")
    check((q["count"], q["rows"]) == (2, 4), "%s: S4 %s" % (what, q))
    check(find_query(rep, "select reset_s4()")["count"] == 1, "%s: S5" % what)


def case_sql_redact():
    """WHYSLOW_SQL=redact: literals never reach the log; the query shapes do."""
    code = ("import sqlite3; db = sqlite3.connect(':memory:');"
            "db.execute(\"create table u(email text, pin int)\");"
            "db.execute(\"insert into u values ('alice@example.com', 4321)\");"
            "print(db.execute(\"select pin from u where email = 'alice@example.com'\").fetchone()[0])")
    script = os.path.join(TMP, "redact.py")  # not -c: argv is in the log
    with open(script, "w") as f:
        f.write("\n".join(line.strip() for line in code.split(";")))
    data, out = record([PYTHON, script], env={"WHYSLOW_SQL": "redact"})
    check(out.strip() == "4321", "program output %r" % out)
    p = report(data)["processes"][0]
    raw = subprocess.run(["zstd", "-dcq", log_file(p["log"])], capture_output=True).stdout
    check(b"select pin from u" in raw and b"alice@example" not in raw,
          "the statement, its literal redacted, in the log")
    rep = report(data)
    examples = [q["example"] for q in rep["queries"]]
    check("select pin from u where email = ?" in examples, "redacted text: %s" % examples)
    # Without it, the text is kept as the program sent it.
    data, out = record([PYTHON, script])
    examples = [q["example"] for q in report(data)["queries"]]
    check("select pin from u where email = 'alice@example.com'" in examples, "text %s" % examples)


def case_example_nplus1_sqlite():
    """The C example of `make demo`: 40 author lookups driven by the books
    query, on libsqlite3 directly."""
    exe = os.path.join(EXAMPLES, "nplus1_sqlite")
    need_file(exe, "built only when libsqlite3-dev was installed at configure time")
    data, out = traced_like_untraced([exe])
    rep = report(data)
    check_db(rep, "sqlite")
    check_nplus1(rep, AUTHOR_BY_ID, BOOKS_QUERY, 40, "sqlite")
    # The loop's site: where the program steps the child query.
    src = os.path.join(HERE, "..", "..", "examples", "nplus1_sqlite.c")
    with open(src) as f:
        line = [n for n, l in enumerate(f, 1) if "sqlite3_step(author)" in l]
    site = findings_of(rep, "n_plus_one")[0]["site"]
    check((site.get("function"), os.path.basename(site.get("file", "")), site.get("line")) ==
          ("main", "nplus1_sqlite.c", line[0]), "n_plus_one site %s" % site)
    text = subprocess.run([WHYSLOW, "report", data], capture_output=True, text=True).stdout
    check("n_plus_one" in text, "the text report does not show the finding:\n" + text[:2000])
    check("the loop's queries run from main (nplus1_sqlite.c:%d)" % line[0] in text,
          "the text report does not show the loop's site:\n" + text[:2000])


SLOW_SQLITE = """
import sqlite3
db = sqlite3.connect(":memory:")
db.execute("create table t (id integer primary key, v text)")
db.executemany("insert into t values (?, ?)", ((i, str(i)) for i in range(1000)))
print(db.execute("with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000)"
                 " select count(*) from c").fetchone()[0])
for i in range(200):
    db.execute("select v from t where id = ?", (i,)).fetchone()
"""


def case_slow_query_sqlite():
    """A recursive CTE of 300000 rows (tens of ms inside SQLite) is a
    slow_query, with the line that ran it; 200 point selects are not."""
    data, out = record([PYTHON, "-c", SLOW_SQLITE])
    check(out.strip() == "300000", "output %r" % out)
    rep = report(data)
    slow = findings_of(rep, "slow_query")
    cte = [f for f in slow if f["normalized"].startswith("with recursive")]
    if check(len(cte) == 1, "the CTE's slow_query: %s" % describe(rep)):
        f = cte[0]
        check((f["db"], f["count"], f["executions"]) == ("sqlite", 1, 1) and
              f["max_ns"] >= 10 * MS, "the CTE's finding: %s" % f)
        # The Python line that ran it (its first step, in execute()).
        eq({k: f["site"].get(k) for k in ("language", "function", "file", "line")},
           {"language": "python", "function": "<module>", "file": "<string>", "line": 6},
           "the CTE's site")
    # A point select takes microseconds; one the scheduler kept off the CPU
    # for 10 ms could count, but not many of the 200.
    points = [f for f in slow if f["normalized"].startswith("select v from t")]
    check(not points or points[0]["count"] <= 5, "point selects: %s" % points)
