# SPDX-License-Identifier: MIT
"""test_cli.py - report checks: the CLI's usage and errors, `whyslow record`
(its errors, exit statuses, waiting for a log still being written), and a
log locked by a running process.

Run by tests/run.py, one case per process (ctest: unit.report.cli.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import fcntl
import os
import re
import time

from whyslow_test import (PYTHON, WHYSLOW, TMP, check, eq, skip, whyslow, report, gen,
                          one_line_error)


def case_cli_usage():
    rc, out, err = whyslow()
    eq(rc, 2, "no command")
    check("usage: whyslow" in err, "usage on stderr")
    for args in (["--help"], ["report", "--help"], ["dump", "--help"], ["record", "--help"]):
        rc, out, err = whyslow(*args)
        eq((rc, err), (0, ""), f"whyslow {' '.join(args)}")
        check(out.startswith("usage: whyslow"), f"whyslow {' '.join(args)} prints usage")
    one_line_error(["frob"], 2, "whyslow: unknown command 'frob' (see whyslow --help)")
    one_line_error(["--frob"], 2, "whyslow: unknown option '--frob' (see whyslow --help)")
    one_line_error(["report", "--frob"], 2,
                   "whyslow report: unknown option '--frob' (see whyslow report --help)")
    one_line_error(["dump", "--json"], 2,
                   "whyslow dump: unknown option '--json' (see whyslow dump --help)")
    one_line_error(["report", "--pid"], 2,
                   "whyslow report: --pid needs a value (see whyslow report --help)")
    one_line_error(["report", "--pid", "12x"], 2,
                   "whyslow report: --pid: '12x' is not a process id (see whyslow report --help)")
    one_line_error(["record"], 2, "whyslow record: no command to run (see whyslow record --help)")
    one_line_error(["record", "-x", "true"], 2,
                   "whyslow record: unknown option '-x' (see whyslow record --help)")


def case_version():
    """--version: the project's version (CMakeLists.txt), the log format
    version (format.h) and the report schema."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    with open(os.path.join(root, "CMakeLists.txt")) as f:
        version = re.search(r"project\(whyslow VERSION ([0-9.]+)", f.read()).group(1)
    with open(os.path.join(root, "include", "whyslow", "format.h")) as f:
        fmt = re.search(r"#define WS_FORMAT_VERSION (\d+)", f.read()).group(1)
    rc, out, err = whyslow("--version")
    eq((rc, out, err),
       (0, "whyslow %s (log format %s, report schema whyslow.report/2)\n" % (version, fmt), ""),
       "whyslow --version")


def case_record_errors():
    lib = os.path.join(os.path.dirname(WHYSLOW), "libwhyslow.so")
    if not os.path.exists(lib):
        skip(f"{lib} is not built")
    d = os.path.join(TMP, "out")
    os.mkdir(d)
    open(os.path.join(d, "stale.wslog"), "w").close()
    open(os.path.join(d, "keep.txt"), "w").close()
    one_line_error(["record", "-o", d, "--", "/nonexistent/cmd"], 127,
                   "whyslow: /nonexistent/cmd: No such file or directory")
    check(not os.path.exists(os.path.join(d, "stale.wslog")), "stale logs deleted")
    check(os.path.exists(os.path.join(d, "keep.txt")), "other files kept")

    env = dict(os.environ, LD_PRELOAD="")
    rc, out, err = whyslow("record", "-o", "rel/out", "sh", "-c",
                           'echo "$WHYSLOW_DIR|$LD_PRELOAD"; exit 7', cwd=TMP, env=env)
    eq(rc, 7, "record exits with the command's status")
    eq(out, f"{os.path.realpath(TMP)}/rel/out|{lib}\n", "WHYSLOW_DIR and LD_PRELOAD")
    check(err.endswith(f"run: whyslow report {os.path.realpath(TMP)}/rel/out\n"), f"says where: {err!r}")
    rc, out, err = whyslow("record", "-o", d, "sh", "-c", "kill -TERM $$")
    eq(rc, 128 + 15, "killed by SIGTERM: 128+15")
    if os.geteuid() == 0:  # a program setuid to someone else
        suid = os.path.join(TMP, "suid-true")
        with open("/bin/true", "rb") as src, open(suid, "wb") as dst:
            dst.write(src.read())
        os.chown(suid, 65534, 65534)
        os.chmod(suid, 0o4755)
        rc, out, err = whyslow("record", "-o", d, suid)
        check(f"whyslow: warning: {suid} is setuid; preloading cannot trace it" in err,
              f"setuid warning: {err!r}")
    if os.path.exists("/sbin/ldconfig"):
        rc, out, err = whyslow("record", "-o", d, "/sbin/ldconfig", "--version")
        check("whyslow: warning: /sbin/ldconfig is statically linked; preloading cannot trace it"
              in err, f"static warning: {err!r}")


def case_record_waits():
    lib = os.path.join(os.path.dirname(WHYSLOW), "libwhyslow.so")
    if not os.path.exists(lib):
        skip(f"{lib} is not built")
    d = os.path.join(TMP, "out")
    late = os.path.join(d, "late.wslog")
    # Creates late.wslog locked, then exits at once, leaving a child that
    # holds the lock 0.5 s more before it writes and exits: like a flusher.
    script = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
if os.fork() == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # so that only the lock, not our output pipes, keeps record waiting
    os.dup2(null, 2)
    time.sleep(0.5)
    os.write(fd, b"done")
    os._exit(0)
"""
    start = time.monotonic()
    rc, out, err = whyslow("record", "-o", d, PYTHON, "-c", script, late)
    took = time.monotonic() - start
    eq(rc, 0, f"exit status ({err.strip()})")
    check(took >= 0.45, f"record waited for the lock: {took:.2f} s")
    with open(late, "rb") as f:
        eq(f.read(), b"done", "the log was complete when record returned")
    check(took < 5, f"and not much longer: {took:.2f} s")
    check("still being written" not in err, f"no warning: {err!r}")


NOTE = "log still being written: the process may still be running"


def case_busy_log():
    d = os.path.join(TMP, "logs")
    os.mkdir(d)
    log = os.path.join(d, "4242.wslog")
    gen("normal", log)
    fd = os.open(log, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as the recorder's flusher holds it while it writes
    start = time.monotonic()
    r = report(d)
    eq(r["processes"][0]["notes"], [NOTE], "a locked log: read, with a note")
    eq(r["processes"][0]["events"], 42, "and everything in it")
    rc, out, err = whyslow("report", log)
    check(f"  note: {NOTE}\n" in out, "the note in the text report")
    rc, out, err = whyslow("dump", log)
    check(f"# pid=4242 note: {NOTE}\n" in out, "the note in the dump")
    check(time.monotonic() - start < 5, "no waiting for the lock")
    os.close(fd)
    eq(report(d)["processes"][0]["notes"], [], "no note once unlocked")
