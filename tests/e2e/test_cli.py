# SPDX-License-Identifier: MIT
"""test_cli.py - e2e cases: `whyslow record` (exit statuses, LD_PRELOAD, a
static program) and recorder settings: where the logs go and with which
permissions, the clock (WHYSLOW_CLOCK).

Run by tests/run.py, one case per process (ctest: e2e.cli.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import shutil
import stat
import subprocess

from whyslow_test import (BUILD, WHYSLOW, LIB, TMP, check, eq, require, report, dump, record,
                          prog, skip)


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


def needed(path):
    """The shared objects an ELF file names as needed (readelf -d)."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True,
                         check=True).stdout
    return sorted(l.split("[")[1].split("]")[0] for l in out.splitlines() if "(NEEDED)" in l)


def case_decoder_apart():
    """`whyslow record` links libc alone, so neither it nor the flushers it
    forks load the decoder's libraries; the reading verbs run the decoder,
    found beside the command, and say in one line when it is missing."""
    eq(needed(WHYSLOW), ["libc.so.6"], "libraries the whyslow command needs")
    check(len(needed(os.path.join(BUILD, "whyslow-decode"))) > 3, "the decoder's libraries")
    # A whyslow command alone in its folder, and no decoder installed.
    alone = os.path.join(TMP, "bin")
    os.makedirs(alone)
    shutil.copy(WHYSLOW, alone)
    cache = open(os.path.join(BUILD, "CMakeCache.txt")).read()
    prefix = next(l.split("=", 1)[1] for l in cache.splitlines()
                  if l.startswith("CMAKE_INSTALL_PREFIX:"))
    if any(os.path.exists(os.path.join(prefix, lib, "whyslow", "whyslow-decode"))
           for lib in ("lib", "lib64", "lib/x86_64-linux-gnu")):
        skip("a decoder is installed under %s" % prefix)
    p = subprocess.run([os.path.join(alone, "whyslow"), "report", "nowhere"],
                       capture_output=True, text=True)
    eq(p.returncode, 2, "exit status without a decoder")
    eq(p.stderr.count("\n"), 1, "lines of %r" % p.stderr)
    check("cannot find whyslow-decode" in p.stderr, "message %r" % p.stderr)
    # With the decoder beside it, the verbs reach it with their arguments.
    shutil.copy(os.path.join(BUILD, "whyslow-decode"), alone)
    p = subprocess.run([os.path.join(alone, "whyslow"), "report", "--bogus"],
                       capture_output=True, text=True)
    eq(p.returncode, 2, "exit status of a bad option")
    check(p.stderr.startswith("whyslow report: unknown option '--bogus'"), "message %r" % p.stderr)
    data, _ = record(["sh", "-c", "echo hi > /dev/null"])
    p = subprocess.run([os.path.join(alone, "whyslow"), "report", "--json", data],
                       capture_output=True, text=True)
    eq(p.returncode, 0, "report through the decoder beside the command: %s" % p.stderr)
    check('"findings"' in p.stdout, "a JSON report")


def case_exe_names():
    """Each process is named by the file that ran, as /proc/PID/exe says
    it, also when its flusher comes after it ended (it then resolves the
    path exec was given): links followed, a relative path made absolute,
    a script named by the interpreter its #! line gives."""
    true = os.path.realpath("/bin/true")
    script = os.path.join(TMP, "script")
    with open(script, "w") as f:
        f.write("#!/bin/true -x\n")
    os.chmod(script, 0o755)
    link = os.path.join(TMP, "link")
    os.symlink("/bin/true", link)
    loop = "cd %s && for i in 1 2 3 4 5 6 7 8; do %s; %s; ./link; ./script; done" % (
        TMP, script, link)
    data, _ = record(["sh", "-c", loop])
    rep = report(data)
    exes = sorted(p["exe"] for p in rep["processes"])
    eq(exes, sorted([os.path.realpath("/bin/sh")] + [true] * 32), "executables")


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
