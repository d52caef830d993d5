# SPDX-License-Identifier: MIT
"""test_check.py - e2e cases: marks (the marker API from C through its
header and from Python through ctypes, the pytest plugin) and `whyslow
check` on a Django project tested with pytest-django: the N+1 of one view
is its test's, check fails naming the test, the statement, the count and
the site, and passes once the view uses select_related; budgets, the
allow-list, JUnit and GitHub outputs, and bad input.

Run by tests/run.py, one case per process (ctest: e2e.check.CASE); the
helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

from whyslow_test import (PYTHON, TMP, WHYSLOW as WHYSLOW_BIN, check, eq, require, report,
                          text_report, findings_of, need_python_module, one_line_error, record,
                          whyslow, prog)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e
MS = 1000000


def group(rep, kind, name):
    key = "tests" if kind == "test" else "marks"
    found = [g for g in rep[key] if g["kind"] == kind and g["name"] == name]
    require(len(found) == 1, "one %s mark %r: %s" % (kind, name,
                                                     [(g["kind"], g["name"]) for g in rep[key]]))
    return found[0]


def phase(g, name):
    found = [p for p in g["phases"] if p["phase"] == name]
    require(len(found) == 1, "phase %r of %s: %s" % (name, g["name"], g["phases"]))
    return found[0]


def case_marker_api_c():
    """The header's functions do nothing without the library, and record
    marks with it; marks nest, each event counts for the innermost."""
    out = subprocess.run([prog("marks")], capture_output=True, text=True, timeout=60).stdout
    eq(out, "begin=-1 end=-1 extra_end=-1 errno_kept=1\n", "without the library")
    data, out = record([prog("marks")])
    eq(out, "begin=0 end=0 extra_end=-1 errno_kept=1\n", "recorded")
    rep = report(data)
    eq(rep["tests"], [], "no test marked")
    outer, inner = group(rep, "job", "outer"), group(rep, "step", "inner")
    o, i = phase(outer, ""), phase(inner, "")
    eq((o["count"], o["incomplete"], i["count"], i["incomplete"]), (1, 0, 1, 0), "one each, ended")
    check(i["breakdown"]["sleep_ns"] >= 30 * MS, "inner slept 30 ms: %s" % i["breakdown"])
    check(o["breakdown"]["sleep_ns"] >= 20 * MS, "outer slept 20 ms itself: %s" % o["breakdown"])
    check(o["breakdown"]["sleep_ns"] <= o["duration_ns"] - i["duration_ns"],
          "outer's own time holds none of inner's: %s, inner %d" % (o, i["duration_ns"]))
    eq(sum(o["breakdown"].values()), o["duration_ns"] - i["duration_ns"], "outer's own parts")
    # Each mark's longest call is its own, not its nested mark's.
    lo, li = o["longest_call"], i["longest_call"]
    check(li and li["call"] == "nanosleep" and li["ns"] >= 30 * MS, "inner's longest: %s" % li)
    check(lo and lo["call"] == "nanosleep" and 20 * MS <= lo["ns"] <= o["duration_ns"] -
          i["duration_ns"], "outer's longest: %s" % lo)
    loop = group(rep, "bench", "loop")
    eq([(p["phase"], p["count"]) for p in loop["phases"]], [("warmup", 1), ("run", 2)],
       "the phases of one mark")
    check(phase(loop, "run")["max_ns"] >= 10 * MS, "a run took 10 ms: %s" % loop)
    left = phase(group(rep, "job", "left open"), "")
    eq((left["count"], left["incomplete"]), (1, 1), "a mark its thread left open")
    text = text_report(data)
    check("MARKS: JOB" in text and "MARKS: BENCH" in text, "the text report's marks")


def case_marker_api_ctypes():
    """Through ctypes: each mark counts its statements exactly."""
    script = os.path.join(HERE, "progs", "py_marks.py")
    out = subprocess.run([PYTHON, script], capture_output=True, text=True, timeout=60).stdout
    eq(out, "unmarked\n", "without the recorder")
    data, out = record([PYTHON, script])
    eq(out, "marked\n", "recorded")
    rep = report(data)
    for name, n in (("load", 7), ("save", 3)):
        p = phase(group(rep, "step", name), "")
        eq(p["queries"], n, "queries of step %s" % name)
        eq([(s["normalized"], s["count"]) for s in p["statements"]],
           [("select name from users where id = ?", n)], "statements of step %s" % name)


def django_project():
    """A copy of the test shop (tests/e2e/progs/pytest_django) in TMP."""
    need_python_module("pytest_django", "python3-pytest-django")
    project = os.path.join(TMP, "shop")
    shutil.copytree(os.path.join(HERE, "progs", "pytest_django"), project)
    return project


def pytest_recorded(project, data, env=None):
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    p = subprocess.run([WHYSLOW_BIN, "record", "-o", data, "--", PYTHON, "-m", "pytest", "-q",
                        "-p", "no:cacheprovider"], cwd=project, env=e, capture_output=True,
                       text=True, timeout=300)
    require(p.returncode == 0, "pytest under record exited %d: %s %s"
            % (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return data


def case_pytest_django():
    """whyslow record -- pytest: the plugin loads by itself; the N+1 is
    test_book_list's call; check fails naming it, then passes once fixed."""
    project = django_project()
    data = pytest_recorded(project, os.path.join(TMP, "data"))
    rep = report(data)
    listing, detail = (group(rep, "test", "tests/test_views.py::" + n)
                       for n in ("test_book_list", "test_book_detail"))
    eq([p["phase"] for p in listing["phases"]], ["setup", "call", "teardown"], "its phases")
    call = phase(listing, "call")
    authors = [s for s in call["statements"] if '"shop_author"."id" = ?' in s["normalized"]]
    eq([s["count"] for s in authors], [30], "the author lookups of test_book_list's call")
    eq(phase(detail, "call")["queries"], 1, "test_book_detail's call: one query")
    setup = group(rep, "fixture", "django_db_setup (session)")
    check(phase(setup, "setup")["queries"] > 0, "the test database is the fixture's: %s" % setup)
    nplus1 = findings_of(rep, "n_plus_one")
    require(len(nplus1) == 1, "one n_plus_one: %s" % nplus1)
    eq([(m["name"], m["phase"], m["count"]) for m in nplus1[0]["marks"]],
       [("tests/test_views.py::test_book_list", "call", 30)], "the N+1's test")
    # (findings of times, a slow_query on a loaded machine, may come too)
    counted = ("n_plus_one", "repeated_query", "n_plus_one_http")
    eq([(f["kind"], f["phase"]) for f in listing["findings"] if f["kind"] in counted],
       [("n_plus_one", "call")], "the test lists its finding")
    eq([f for f in detail["findings"] if f["kind"] in counted], [], "the other test has none")

    rc, out, err = whyslow("check", data)
    eq(rc, 1, "check fails: %s" % err)
    require(out.startswith("whyslow check: FAILED, 1 failure"), "summary: %s" % out)
    for want in ("FAIL  n_plus_one (low) in tests/test_views.py::test_book_list (call)",
                 'statement: select "shop_author"."id", "shop_author"."name" from "shop_author" '
                 'where "shop_author"."id" = ? limit ?', "count: 30",
                 "(shop/views.py:15)"):
        check(want in out, "check's output lacks %r: %s" % (want, out))
    junit = os.path.join(TMP, "junit.xml")
    rc, out, err = whyslow("check", "--junit", junit, data)
    eq(rc, 1, "check with --junit")
    cases = {c.get("name"): c for c in ET.parse(junit).iter("testcase")}
    failed = cases["tests/test_views.py::test_book_list"].findall("failure")
    check(len(failed) == 1 and failed[0].get("type") == "n_plus_one",
          "JUnit: test_book_list failed: %s" % ET.tostring(cases["tests/test_views.py::"
                                                              "test_book_list"]))
    eq(cases["tests/test_views.py::test_book_detail"].findall("failure"), [],
       "JUnit: test_book_detail passed")
    p = subprocess.run([WHYSLOW_BIN, "check", "--format", "github", data], capture_output=True,
                       text=True, env=dict(os.environ, GITHUB_WORKSPACE=project))
    first = p.stdout.splitlines()[0]
    check(re.fullmatch(r"::error file=shop/views\.py,line=15,title=whyslow%3A n_plus_one::"
                       r"n_plus_one \(low\) in tests/test_views\.py::test_book_list \(call\): "
                       r"[^\r\n]*", first), "the GitHub annotation: %r" % first)

    fixed = pytest_recorded(project, os.path.join(TMP, "fixed"), {"SHOP_FIXED": "1"})
    rc, out, err = whyslow("check", fixed)
    eq(rc, 0, "check passes once the view uses select_related: %s" % out)
    off = pytest_recorded(project, os.path.join(TMP, "off"), {"WHYSLOW_PYTEST": "off"})
    eq(report(off)["tests"], [], "WHYSLOW_PYTEST=off: no test marked")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def case_check_budgets():
    """A budget's limits per test, statement and run; the allow-list; past
    ten failures, GitHub is told how many were left out."""
    project = django_project()
    data = pytest_recorded(project, os.path.join(TMP, "data"))
    budget = write(os.path.join(TMP, "budget.yml"), """\
# the shop's budget
version: 1
allow:
  - kind: n_plus_one
    statement: 'select * from "shop_author" where *'
    reason: the list is short
budgets:
  - scope: test
    name: "tests/test_views.py::test_book_list"
    max_queries: 20
  - scope: test
    name: "tests/test_views.py::test_book_detail"
    max_queries: 20
  - scope: statement
    name: 'select "shop_author"."id", "shop_author"."name" from "shop_author" where *'
    max_executions: 10
""")
    rc, out, err = whyslow("check", "--budget", budget, data)
    eq(rc, 1, "the budget is broken: %s" % err)
    check("1 finding allowed by %s" % budget in out, "the N+1 is allowed: %s" % out)
    lines = [l for l in out.splitlines() if l.startswith("FAIL")]
    eq(len(lines), 2, "two budgets broken: %s" % out)
    check(any(l.startswith("FAIL  test tests/test_views.py::test_book_list: queries ") and
              "over its budget of 20 (%s:8)" % budget in l for l in lines), "per test: %s" % lines)
    check(any(l.startswith('FAIL  statement select "shop_author"."id"') and
              "executions 30, over its budget of 10 (%s:14)" % budget in l for l in lines),
          "per statement: %s" % lines)
    rc, out, err = whyslow("check", "--json", "--budget", budget, data)
    result = json.loads(out)
    eq((result["schema"], result["passed"], len(result["failures"]), result["allowed"]),
       ("whyslow.check/1", False, 2, 1), "the JSON result")
    many = write(os.path.join(TMP, "many.yml"), "version: 1\nbudgets:\n"
                 "  - scope: statement\n    max_executions: 0\n")
    p = subprocess.run([WHYSLOW_BIN, "check", "--format", "github", "--budget", many, data],
                       capture_output=True, text=True)
    errors = [l for l in p.stdout.splitlines() if l.startswith("::error ")]
    notices = [l for l in p.stdout.splitlines() if l.startswith("::notice ")]
    fails = [l for l in p.stdout.splitlines() if l.startswith("FAIL")]
    check(len(fails) > 10 and len(errors) == 10 and len(notices) == 1 and
          notices[0].startswith("::notice title=whyslow::%d more failures not annotated"
                                % (len(fails) - 10)), "ten annotations, then how many more: %s"
          % p.stdout[:3000])


def case_check_errors():
    """Bad budgets, missing logs: one line, exit 2."""
    project = django_project()
    data = pytest_recorded(project, os.path.join(TMP, "data"))
    cases = [
        ("version: 1\nbudgets:\n  - scope: test\n    max_time_ms: 500\n",
         "whyslow check: {}:4:5: max_time_ms needs a tolerance (tolerance: 20%): a time is never "
         "the same twice"),
        ("version: 2\n", "whyslow check: {}:1:10: version 2: this whyslow reads budget version 1"),
        ("version: 1\nbudget: []\n",
         "whyslow check: {}:2:1: unknown key 'budget' (version, findings_in, fail_on, allow, "
         "budgets)"),
        ("version: 1\nbudgets: [{scope: tests, max_queries: 1}]\n",
         "whyslow check: {}:2:19: scope: 'tests' is none of run, process, test, endpoint, "
         "statement"),
        ("version: 1\nfail_on: {n_plus_one: sometimes}\n",
         "whyslow check: {}:2:23: n_plus_one: 'sometimes' is none of never, any, low, medium, "
         "high"),
        ("version: [1\n", "whyslow check: {}:2:1: not YAML: ..."),
        ("", "whyslow check: {}:1:1: the file is empty: a budget starts with 'version: 1'"),
    ]
    for i, (text, want) in enumerate(cases):
        path = write(os.path.join(TMP, "bad%d.yml" % i), text)
        one_line_error(["check", "--budget", path, data], 2, want.format(path))
    one_line_error(["check", "--budget", os.path.join(TMP, "none.yml"), data], 2,
                   "whyslow check: %s: No such file or directory" % os.path.join(TMP, "none.yml"))
    one_line_error(["check", os.path.join(TMP, "no-logs")], 2,
                   "whyslow: %s: No such file or directory" % os.path.join(TMP, "no-logs"))
    one_line_error(["check", "--format", "xml", data], 2,
                   "whyslow check: --format: 'xml' is none of text, github, json (see whyslow "
                   "check --help)")


def diff_sections(out):
    """{section title (before its parenthesis): its lines} of whyslow diff's text."""
    sections, current = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            current = line.split(" (")[0]
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line.strip())
    return sections


def case_diff_regression():
    """A clean and a regressed version of the shop: diff shows exactly the
    added executions and the new finding; --fail-on makes it fail."""
    project = django_project()
    base = pytest_recorded(project, os.path.join(TMP, "base"), {"SHOP_FIXED": "1"})
    head = pytest_recorded(project, os.path.join(TMP, "head"))
    rc, summary, err = whyslow("report", "--summary", base)
    eq((rc, json.loads(summary)["schema"]), (0, "whyslow.summary/1"), "the summary: %s" % err)
    base_file = write(os.path.join(TMP, "base.json"), summary)
    base_queries = sum(st["count"] for st in json.loads(summary)["statements"])
    author = ('select "shop_author"."id", "shop_author"."name" from "shop_author" where '
              '"shop_author"."id" = ? limit ?')
    listing = 'select "shop_book"."id", "shop_book"."title", "shop_book"."author_id" from "shop_book"'
    joined = listing[:-len(' from "shop_book"')] + ', "shop_author"."id", "shop_author"."name" from "shop_book"'
    for b in (base, base_file):
        rc, out, err = whyslow("diff", b, head)
        eq(rc, 0, "diff without --fail-on: %s" % err)
        s = diff_sections(out)
        eq(s["STATEMENTS"], ["+30  %s (0 -> 30)" % author,
                             "+1  %s order by \"shop_book\".\"id\" asc (0 -> 1)" % listing,
                             "-1  %s inner join \"shop_author\" on (\"shop_book\".\"author_id\" = "
                             "\"shop_author\".\"id\") order by \"shop_book\".\"id\" asc (1 -> 0)"
                             % joined], "the statements that changed")
        eq(s["TESTS AND MARKS"][0], "test tests/test_views.py::test_book_list (call): queries 1 -> 31",
           "the test that changed")
        eq(len(s["TESTS AND MARKS"]), 4, "only its statements: %s" % s["TESTS AND MARKS"])
        eq(len(s["FINDINGS"]), 1, "one new finding: %s" % s["FINDINGS"])
        check(s["FINDINGS"][0].startswith("new:  n_plus_one: N+1: 30 executions"),
              "the new N+1: %s" % s["FINDINGS"])
    rc, out, err = whyslow("diff", "--fail-on", "queries,findings", "--json", base_file, head)
    eq(rc, 1, "--fail-on: fails")
    result = json.loads(out)
    eq(sorted((f["scope"], f["what"], f["count"]) for f in result["failures"]),
       [("run", "more queries", base_queries + 30), ("test", "more queries", 31),
        ("test", "n_plus_one", 30)], "its failures")
    rc, out, err = whyslow("diff", "--fail-on", "queries,findings", head, base_file)
    eq(rc, 0, "the other way, fewer queries and a finding gone: %s" % out)


def case_diff_repeatable():
    """The same suite run ten times: ten diffs with no count changed."""
    project = django_project()
    first = pytest_recorded(project, os.path.join(TMP, "run0"))
    for i in range(1, 11):
        again = pytest_recorded(project, os.path.join(TMP, "run%d" % i))
        rc, out, err = whyslow("diff", "--fail-on", "queries,findings,endpoints", first, again)
        s = diff_sections(out)
        check(rc == 0 and s["STATEMENTS"] == ["none"] and s["TESTS AND MARKS"] == ["none"] and
              s["FINDINGS"] == ["none"], "run %d: counts changed: %s %s" % (i, out, err))
        shutil.rmtree(again)


def case_diff_errors():
    """Summaries of another schema, missing paths, bad usage: one line, exit 2."""
    bad = write(os.path.join(TMP, "other.json"), '{"schema": "whyslow.summary/9"}')
    notjson = write(os.path.join(TMP, "notjson.json"), "{ nope")
    one_line_error(["diff", bad, bad], 2, "whyslow diff: %s: schema whyslow.summary/9 is not "
                   "whyslow.summary/1, the one this whyslow reads" % bad)
    one_line_error(["diff", notjson, bad], 2, "whyslow diff: %s: not a summary: ..." % notjson)
    missing = os.path.join(TMP, "missing.json")
    one_line_error(["diff", missing, bad], 2,
                   "whyslow diff: %s: No such file or directory" % missing)
    one_line_error(["diff", bad], 2, "whyslow diff: two runs to compare: BASE HEAD (see whyslow "
                   "diff --help)")
    one_line_error(["diff", "--fail-on", "speed", bad, bad], 2,
                   "whyslow diff: --fail-on: 'speed' is none of queries, findings, endpoints, "
                   "calls (see whyslow diff --help)")
