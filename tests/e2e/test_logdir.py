# SPDX-License-Identifier: MIT
"""test_logdir.py - e2e cases: where logs go, and why nothing was recorded.
A log directory that is a symbolic link, belongs to another user or may be
written by others without the sticky bit is refused (as ssh refuses such
key files); every reason for not tracing names the path and the system's
error; settings that are not valid are said, not silently replaced; and
WHYSLOW_REDACT keeps what a user asks out of the log.

Run by tests/run.py, one case per process (ctest: e2e.logdir.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import subprocess

from whyslow_test import (LIB, PYTHON, TMP, WHYSLOW, check, eq, require, skip, report, record,
                          prog, whyslow)


def logs(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".wslog"))


def preloaded(argv, data, **env):
    """argv with the library preloaded by hand, WHYSLOW_DEBUG on."""
    e = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_DEBUG="1")
    e.update(env)
    return subprocess.run(argv, capture_output=True, text=True, env=e, timeout=60)


def check_refused(d, reason, what):
    """record refuses d in one line naming why, runs nothing and deletes
    nothing; a preloaded program is not traced, says why (WHYSLOW_DEBUG)
    and runs as untraced."""
    stale = os.path.join(d, "1.wslog")
    if os.path.isdir(d) and not os.path.islink(d):
        open(stale, "w").close()
    rc, out, err = whyslow("record", "-o", d, "--", "sh", "-c", "echo ran")
    eq((rc, out, err), (1, "", "whyslow: %s\n" % reason), "%s: record" % what)
    if os.path.isdir(d) and not os.path.islink(d):
        check(os.path.exists(stale), "%s: the old log is left alone" % what)
        os.unlink(stale)
    plain = subprocess.run([prog("io_basic"), TMP], capture_output=True, text=True)
    p = preloaded([prog("io_basic"), TMP], d)
    check(p.returncode == 0 and p.stdout == plain.stdout, "%s: the program unharmed" % what)
    m = re.fullmatch(r"whyslow: not tracing pid \d+: (.*)\n", p.stderr)
    check(m and m.group(1) == reason, "%s: why, with WHYSLOW_DEBUG: %r" % (what, p.stderr))
    if os.path.isdir(d) and not os.path.islink(d):
        eq(logs(d), [], "%s: no log made" % what)


def case_symlink_refused():
    """A symbolic link planted where the logs go (ln -s /etc x)."""
    target = os.path.join(TMP, "target")
    os.mkdir(target, 0o700)
    open(os.path.join(target, "keep.wslog"), "w").close()
    link = os.path.join(TMP, "whyslow.data")
    os.symlink(target, link)
    check_refused(link, "the log directory %s is a symbolic link" % link, "symlink")
    eq(logs(target), ["keep.wslog"], "nothing made, nothing deleted behind the link")


def case_other_owner_refused():
    """A directory another user owns: they could replace root's logs."""
    if os.geteuid() != 0:
        skip("needs root to give a directory away")
    d = os.path.join(TMP, "theirs")
    os.mkdir(d, 0o755)
    os.chown(d, 65534, 65534)
    check_refused(d, "the log directory %s belongs to uid 65534, not to uid 0 or root" % d,
                  "another user's")


def case_writable_by_others():
    """Mode 0777 without the sticky bit: refused; 01777 (as /tmp): used."""
    d = os.path.join(TMP, "open")
    os.mkdir(d)
    os.chmod(d, 0o777)
    check_refused(d, "the log directory %s may be written by others (mode 0777) and has no "
                  "sticky bit" % d, "0777")
    os.chmod(d, 0o1777)
    data, out = record([prog("io_basic"), TMP], data=d)
    eq(len(logs(d)), 1, "01777: traced")


def case_reasons_named():
    """Nothing recorded: each reason names the path and the error."""
    rc, out, err = whyslow("record", "-o", "/proc", "--", "true")
    check(rc == 1 and err.startswith("whyslow: cannot create a log in /proc: ") and
          err.count("\n") == 1, "record -o /proc: %r" % err)
    p = preloaded(["true"], "/proc/whyslow.data")
    check(p.returncode == 0 and "cannot make the log directory /proc/whyslow.data: " in p.stderr,
          "WHYSLOW_DEBUG, /proc: %r" % p.stderr)
    p = preloaded(["true"], "/dev/null/x")
    check(p.returncode == 0 and
          "cannot make the log directory /dev/null/x: Not a directory" in p.stderr,
          "WHYSLOW_DEBUG, under a file: %r" % p.stderr)
    if os.geteuid() == 0:  # a directory the user may not write
        d = os.path.join(TMP, "ro")
        os.mkdir(d, 0o755)
        os.chmod(TMP, 0o755)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            WHYSLOW, "record", "-o", d, "--", "true"],
                           capture_output=True, text=True)
        check(r.returncode == 1 and r.stderr.startswith("whyslow: ") and d in r.stderr and
              r.stderr.count("\n") == 1, "record as another user: %r" % r.stderr)


def case_bad_settings():
    """Settings that are not valid: record says which and runs nothing; a
    preloaded program says so with WHYSLOW_DEBUG and is traced with the
    defaults."""
    bad = {"WHYSLOW_BUFFER_MB": "0", "WHYSLOW_FLUSH_MS": "abc", "WHYSLOW_STACK_MS": "-1",
           "WHYSLOW_REDACT": "sql,passwords"}
    d = os.path.join(TMP, "data")
    rc, out, err = whyslow("record", "-o", d, "--", "sh", "-c", "echo ran",
                           env=dict(os.environ, **bad))
    eq((rc, out), (1, ""), "record refuses")
    for name, value in bad.items():
        check("%s=%s is not valid" % (name, value) in err, "record names %s: %r" % (name, err))
    check(err.count("\n") == 1, "in one line: %r" % err)
    os.makedirs(d, 0o700, exist_ok=True)
    p = preloaded([prog("io_basic"), TMP], d, **bad)
    check(p.returncode == 0 and "WHYSLOW_FLUSH_MS=abc is not valid" in p.stderr,
          "WHYSLOW_DEBUG names it: %r" % p.stderr)
    eq(len(logs(d)), 1, "traced with the defaults")


def case_redact():
    """WHYSLOW_REDACT=argv: a process's arguments, which may hold a password,
    are not in the log; sql and url are accepted with it."""
    data, out = record(["sh", "-c", "exit 0", "--password=hunter2"],
                       env={"WHYSLOW_REDACT": "argv,sql,url"})
    rep = report(data)
    argv = rep["processes"][0]["argv"]
    eq(argv, ["sh", "?", "?", "?"], "arguments redacted")
    with open(os.path.join(data, logs(data)[0]), "rb") as f:
        check(b"hunter2" not in subprocess.run(["zstd", "-dc"], stdin=f,
                                               capture_output=True).stdout,
              "the password is nowhere in the log")
    data, out = record(["sh", "-c", "exit 0", "--password=hunter2"])
    eq(report(data)["processes"][0]["argv"][3], "--password=hunter2", "kept by default")
