#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run.py - runs one of whyslow's Python tests, or lists them.

    python3 tests/run.py BUILD_DIR TEST    runs one test, e.g.
        python3 tests/run.py build e2e.locks.lock_waits
        python3 tests/run.py build unit.report.sql.sql_json
        python3 tests/run.py build lock_waits      (a name's end will do when only one ends so)
    E2E_KEEP=1 python3 tests/run.py ...    keeps the test's temporary folder (its logs) and
                                           says where it is
    python3 tests/run.py --list [SUITE]    the names of the tests (of SUITE: e2e, unit.report)

A test is named SUITE.AREA.CASE: the function case_CASE of the file
tests/SUITE/test_AREA.py, a suite's dots being the folders of its path
(unit.report is tests/unit/report).  To add a test, add a case_ function
to the file of its area (or a new test_AREA.py); the build configures
again and ctest has it.  The functions every test file shares, and how a
case asserts, are in tests/lib/whyslow_test.py.

ctest runs this same command, one test per case: at configure time,
tests/CMakeLists.txt (add_python_tests) adds one test per name that
`run.py --list SUITE` prints, labelled with its suite and area, so that
`ctest -L locks` runs one area and `ctest -L e2e` one suite.

Exit status: 0 passed, 1 failed, 77 skipped (something it needs is not
installed; ctest's SKIP_RETURN_CODE), 2 no such test.  Any python3 runs
this; the Python programs the e2e tests trace run under Debian's
/usr/bin/python3 (whyslow_test.PYTHON), whose packages they need.
"""
import glob
import importlib.util
import os
import shutil
import sys
import tempfile

TESTS = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(TESTS, "lib"))
import whyslow_test  # noqa: E402


def suites():
    """Every suite: the folders under tests/ that hold test_*.py files."""
    found = {os.path.dirname(p) for p in glob.glob(os.path.join(TESTS, "**", "test_*.py"),
                                                   recursive=True)}
    return sorted(os.path.relpath(d, TESTS).replace(os.sep, ".") for d in found)


def cases(suite, area="*"):
    """{SUITE.AREA.CASE: function} of one suite (of one of its areas), in
    the order of its files.  Imports them: when a case is to run,
    whyslow_test.configure() must come first."""
    folder = os.path.join(TESTS, *suite.split("."))
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, f"test_{area}.py"))):
        its_area = os.path.basename(path)[len("test_"):-len(".py")]
        spec = importlib.util.spec_from_file_location(f"{suite}.test_{its_area}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, fn in vars(module).items():
            if name.startswith("case_") and callable(fn):
                found[f"{suite}.{its_area}.{name[len('case_'):]}"] = fn
    return found


def find(wanted):
    """{name: function} of the case named wanted, or else of the cases
    whose names end with it."""
    for suite in suites():
        if wanted.startswith(suite + "."):  # a full name: import its file only
            found = cases(suite, wanted[len(suite) + 1:].split(".")[0])
            if wanted in found:
                return {wanted: found[wanted]}
    found = {}
    for suite in suites():
        found.update(cases(suite))
    return {name: fn for name, fn in found.items() if name.endswith("." + wanted)}


def main(argv):
    if argv[:1] == ["--list"]:
        for suite in argv[1:] or suites():
            if suite not in suites():
                print(f"run.py: no suite {suite} (suites: {' '.join(suites())})", file=sys.stderr)
                return 2
            for name in cases(suite):
                print(name)
        return 0
    if len(argv) != 2 or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    build, wanted = argv
    tmp = tempfile.mkdtemp(prefix="whyslow-test-")
    whyslow_test.configure(build, tmp)
    found = find(wanted)
    if len(found) != 1:
        shutil.rmtree(tmp)
        print(f"run.py: {len(found) or 'no'} tests named {wanted}" +
              "".join("\n  " + name for name in found) + ("" if found else " (see run.py --list)"),
              file=sys.stderr)
        return 2
    [(name, case)] = found.items()
    try:
        return whyslow_test.run_case(name, case)
    finally:
        if os.environ.get("E2E_KEEP"):  # E2E_KEEP=1 keeps the logs to look at
            print("kept: " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
