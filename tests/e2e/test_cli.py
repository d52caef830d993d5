# SPDX-License-Identifier: MIT
"""test_cli.py - e2e cases: `whyslow record` (exit statuses, LD_PRELOAD, a
static program) and recorder settings: where the logs go and with which
permissions, the clock (WHYSLOW_CLOCK).

Run by tests/run.py, one case per process (ctest: e2e.cli.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import stat
import subprocess

from whyslow_test import (WHYSLOW, LIB, TMP, check, require, report, dump, record, prog)


def case_record_cli():
    data = os.path.join(TMP, "d2")
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--", "sh", "-c", "exit 3"],
                       capture_output=True, text=True)
    check(p.returncode == 3, "exit status %d" % p.returncode)
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--", "sh", "-c", "kill -9 $$"],
                       capture_output=True, text=True)
    check(p.returncode == 128 + 9, "killed status %d" % p.returncode)
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--", "/nonexistent/cmd"],
                       capture_output=True, text=True)
    check(p.returncode == 127 and p.stderr.count("\n") == 1, "missing command: %d %r" %
          (p.returncode, p.stderr))
    # An existing LD_PRELOAD is kept, the library added to it.
    env = dict(os.environ, LD_PRELOAD="libm.so.6")
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--", "sh", "-c", "echo $LD_PRELOAD"],
                       capture_output=True, text=True, env=env)
    check("libm.so.6" in p.stdout and LIB in p.stdout, "LD_PRELOAD %r" % p.stdout)
    # A static program cannot be traced: say so, and still run it.
    static = os.path.join(TMP, "static")
    subprocess.run(["cc", "-static", "-o", static, "-x", "c", "-"],
                   input="int main(void){return 4;}", text=True, check=True)
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--", static], capture_output=True,
                       text=True)
    check(p.returncode == 4 and "statically linked" in p.stderr, "static: %r" % p.stderr)


def case_log_permissions():
    rel = "reldata"
    cwd = os.path.join(TMP, "cwd")
    os.makedirs(cwd)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=rel)
    r = subprocess.run([prog("threads"), "2", "10"], env=env, cwd=cwd)
    require(r.returncode == 0, "program failed")
    logs = os.listdir(os.path.join(cwd, rel))
    require(len(logs) == 1 and logs[0].endswith(".wslog"), "logs %s" % logs)
    mode = stat.S_IMODE(os.stat(os.path.join(cwd, rel, logs[0])).st_mode)
    check(mode == 0o600, "log mode %o" % mode)


def case_monotonic_clock():
    """Where the TSC cannot be used, events are stamped with CLOCK_MONOTONIC."""
    data, _ = record([prog("locks")], env={"WHYSLOW_CLOCK": "monotonic"})
    check(any("clock=monotonic" in l for l in dump(data)), "clock source")
    rep = report(data)
    sem = next(l for l in rep["locks"] if l["kind"] == "sem")
    check(5e6 <= sem["wait_total_ns"] <= 5e8, "sem wait %d ns" % sem["wait_total_ns"])
