# SPDX-License-Identifier: MIT
"""test_harm.py - e2e cases: the traced program runs as it does untraced.
Its output, errno, exit status and descriptors are the same; where the
recorder cannot help (no log folder, WHYSLOW_DISABLE, a setuid program,
odd arguments, unwinding that could crash) it stays out of the way.

Run by tests/run.py, one case per process (ctest: e2e.harm.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import shutil
import subprocess
import tempfile

from whyslow_test import (PYTHON, LIB, PROGS, TMP, WHYSLOW, check, count, eq, fail, require, skip,
                          report, record, prog, wait_logs)


# CPython's own tests (Debian's libpython3.11-testsuite) of what the
# recorder touches most in a Python program: threads and their locks,
# sockets and servers, queues, and the frames of generators, coroutines
# and tracing (which the recorder reads).  About 25 s.
CPYTHON_TESTS = ["test_threading", "test_socketserver", "test_queue", "test_generators",
                 "test_coroutines", "test_sys_settrace"]


def case_cpython_test_suite():
    """CPython's tests of threads, sockets, queues, generators, coroutines
    and tracing pass under the recorder as they do without it, with its
    Python frames read."""
    r = subprocess.run([PYTHON, "-c", "import test.test_threading"], capture_output=True)
    if r.returncode != 0:
        skip("CPython's test modules are not installed (Debian: libpython3.11-testsuite)")
    argv = [PYTHON, "-m", "test", "-u", "network"] + CPYTHON_TESTS
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    check(plain.returncode == 0, "untraced: %s" % plain.stdout[-800:])
    data, out = record(argv)
    ok = "All %d tests OK." % len(CPYTHON_TESTS)
    check(ok in out and "Tests result: SUCCESS" in out, "traced: %s" % out[-800:])
    rep = report(data)
    pythons = [p for p in rep["processes"] if p["python"]]
    check(pythons and all(p["python"]["frames"] for p in pythons),
          "their frames read: %s" % [(p["pid"], p["python"]) for p in pythons][:5])


def case_errno_and_output():
    plain = subprocess.run([prog("io_basic"), TMP], capture_output=True, text=True)
    data, out = record([prog("io_basic"), TMP])
    check(plain.returncode == 0, "untraced run failed")
    check(out == plain.stdout, "output differs: %r vs %r" % (out, plain.stdout))
    check("errno ok" in out, "errno changed under the tracer")


def preloaded(argv, what, **env):
    """argv's output with the library preloaded and env set; it must exit 0."""
    p = subprocess.run(argv, env=dict(os.environ, LD_PRELOAD=LIB, **env), capture_output=True,
                       text=True, timeout=60)
    require(p.returncode == 0, "%s: exit %d: %s" % (what, p.returncode, p.stderr))
    return p.stdout


def data_dir():
    """A fresh log folder."""
    return tempfile.mkdtemp(prefix="data-", dir=TMP)


def case_own_calls_bound():
    """The library's own calls into other objects: the loader looks up
    those a process may make before it records at every start (some 60),
    not the hundred of BIND_NOW; the others are bound at their first use, or, in a process
    that records, all before its first record (a lazy binding would run
    the loader's resolver on the caller's stack: a signal handler's may be
    small), each to what the loader would bind it to (preload/bind.c).
    With a flusher of its own or under record alike, a process records
    from its first event, and binds them there."""
    argv = [prog("bindings")]

    def fields(out):
        words = out.split()
        require(len(words) == 8, "bindings printed %r" % out)
        return dict(zip(words[0::2], map(int, words[1::2])))

    d = fields(preloaded(argv, "disabled", WHYSLOW_DISABLE="1"))
    check(d["now"] == 0 and d["eager"] <= 64, "looked up at the start: %s" % d)
    check(d["lazy"] > 0 and d["after"] == d["lazy"], "disabled, nothing bound for it: %s" % d)
    o = fields(preloaded(argv, "own flusher", WHYSLOW_DIR=data_dir()))
    check(o["lazy"] > 0 and o["after"] == 0, "own flusher, bound at its first event: %s" % o)
    data, out = record(argv, data=data_dir())
    r = fields(out)
    check(r["lazy"] > 0 and r["after"] == 0, "served, bound at its first event: %s" % r)
    rep = report(data)
    check(count(rep, "open") == 1 and count(rep, "write") >= 1, "its open and write recorded")


def case_pages_written():
    """A short process writes few pages of the library's zeroed memory
    (.bss, .lbss): each is a page fault at every start, tens of
    microseconds on a virtual machine whose page tables the host shadows.
    What every traced start writes is in .data, on the page the loader
    writes (after relocating .data, it zeroes the rest of that page):
    the real functions' pointers, the start's own variables, the head of
    a served process that has no region yet.  Disabled, none.  Recording
    a write, only its fd's entry in the table of fds known; with a flusher
    of its own, the clone's stack too.  Under record, a process that makes
    no traced call ends by sending a closing hello, its text in a small
    buffer on that page too: none (one more each for the start's variables
    and for the head, before)."""
    argv = [prog("pages")]

    def pages(out):
        words = out.split()
        require(len(words) == 2 and words[0] == "pages", "e2e_pages printed %r" % out)
        return int(words[1])

    for mode in ([], ["quiet"]):
        what = " ".join(["e2e_pages"] + mode)
        plain = subprocess.run(argv + mode, capture_output=True, text=True, timeout=60)
        require(plain.returncode == 0 and pages(plain.stdout) == -1,
                "%s untraced: %r %s" % (what, plain.stdout, plain.stderr))
        disabled = preloaded(argv + mode, what + " disabled", WHYSLOW_DISABLE="1")
        check(pages(disabled) == 0, "%s disabled: %s" % (what, disabled.strip()))
        own = preloaded(argv + mode, what + ", own flusher", WHYSLOW_DIR=data_dir())
        check(pages(own) <= (1 if mode else 2), "%s with its own flusher: %s" % (what, own.strip()))
        data, out = record(argv + mode, data=data_dir())
        check(pages(out) == (0 if mode else 1), "%s under record: %s" % (what, out.strip()))
        if not mode:
            check(count(report(data), "write") == 1, "its write recorded")
        else:
            ends = [q for q in report(data)["processes"] if q["argv"][1:] == ["end"]]
            check(len(ends) == 1 and ends[0]["events"] == 0 and ends[0]["exe"] == argv[0],
                  "the quiet child's log, from its closing hello: %s" % ends)


def case_child_exec():
    """A child of fork() that execs, as a shell's child does for each
    command, reads none of libc's symbol tables to do it, as untraced, and
    gets the same errno: the real execve was found at its parent's start,
    also where the library is disabled, or the parent is served by record
    and has recorded nothing yet.  Found by each child, the lookup faulted
    the tables in again (38 pages here), 50 to 90 us a command on a virtual
    machine whose page tables the host shadows (preload/real.c)."""
    argv = [prog("child_exec")]

    def tables(out, what):
        words = out.split()
        require(len(words) == 4 and words[0] == "tables" and words[2] == "errno",
                "%s: e2e_child_exec printed %r" % (what, out))
        return int(words[1]), int(words[3])

    plain = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    require(plain.returncode == 0, "untraced: exit %d: %s" % (plain.returncode, plain.stderr))
    base, err = tables(plain.stdout, "untraced")
    eq(err, 2, "untraced: the failed execve's errno (ENOENT)")
    runs = {what: tables(preloaded(argv, what, **env), what)
            for what, env in (("disabled", {"WHYSLOW_DISABLE": "1"}),
                              ("own flusher", {"WHYSLOW_DIR": data_dir()}))}
    data, out = record(argv, data=data_dir())
    runs["under record"] = tables(out, "under record")
    for what, (n, e) in runs.items():
        eq(n, base, "%s: pages of libc's symbol tables the child mapped" % what)
        eq(e, err, "%s: the failed execve's errno" % what)


def case_small_altstack():
    """A signal handler on a small alternate stack whose write() is the
    process's first traced call (its thread's, and fd 1's first use), or
    whose fork()'s child writes (the child's first event makes its region
    and flusher), or that only calls _exit() (a served process's quiet
    end, no record: lazily bound calls of ours crashed it below 3.9 KiB),
    runs traced on a stack as small as it needs untraced,
    give or take our wrapper's frame.  Describing the fd took printf's
    1 KiB there, and a copy of a 512-byte message the start of a flusher:
    handlers that ran untraced in 2.9 KiB crashed traced below 3.8 KiB.
    So does one that execs (execve() is async-signal-safe): the exec's
    wrapper kept 8 KiB for a copy of the environment only a reaper's line
    makes, and crashed it."""
    for extra in ([], ["fork"], ["exit"], ["exec"]):
        argv = [prog("small_altstack")]
        want = {"fork": "child\nhandled\ndone\n", "exit": "", "exec": "exec\n"}.get(
            "".join(extra), "handled\ndone\n")

        def runs(size, env=None):
            p = subprocess.run(argv + [str(size)] + extra, env=env, capture_output=True, text=True,
                               timeout=60)
            return p.returncode == 0 and p.stdout == want

        need = next((k for k in range(1024, 16384, 128) if runs(k)), None)
        require(need is not None, "%s untraced, no alternate stack up to 16 KiB was enough" % extra)
        size = need + 256  # our wrapper's own frame
        own = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data_dir())
        check(runs(size, own), "%s with its own flusher, on %d bytes (untraced: %d)" % (extra, size, need))
        data, out = record(argv + [str(size)] + extra, data=data_dir())
        check(out == want, "%s under record, on %d bytes (untraced: %d): %r" % (extra, size, need, out))
        if extra == ["exec"]:  # (echo writes through stdio: libc's own write, not ours)
            procs = [(q["argv"], q["end"]) for q in report(data)["processes"]]
            eq(procs, [(["/bin/echo", "exec"], {"kind": "exit", "status": 0})],
               "the exec'd image's log, and none of the image before it, which recorded nothing")
        elif want:
            writes = sum(s["count"] for s in report(data)["syscalls"] if s["call"] == "write")
            check(writes >= len(want.splitlines()), "%s its writes recorded: %d" % (extra, writes))


def case_stack_harm():
    # Where unwinding could harm the program, the recorder takes no stack:
    # each mode exits and prints the same traced (default 1 ms threshold,
    # so every slow call there is a candidate) as untraced.
    for mode in ("crash", "altstack", "tiny", "register"):
        argv = [prog("stack_harm"), mode]
        plain = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        data, out = record(argv, data=data_dir(),
                           expect_rc=plain.returncode)
        check(out == plain.stdout, "%s: traced output %r, untraced %r" % (mode, out, plain.stdout))
        check(plain.returncode == (3 if mode == "crash" else 0), "%s: exit %d" % (mode, plain.returncode))


def case_file_size_limit():
    """Under a file size limit (ulimit -f) below the recorder's buffers, a
    traced program runs as untraced, with the reason said: growing the
    buffers' memfd past the limit would send it SIGXFSZ, which it died of
    (exit 153) before."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    argv = [prog("io_basic"), TMP]
    plain = subprocess.run(argv, capture_output=True, text=True, preexec_fn=limit, timeout=60)
    check(plain.returncode == 0 and "errno ok" in plain.stdout, "untraced: %d" % plain.returncode)
    data = data_dir()
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_DEBUG="1")
    traced = subprocess.run(argv, capture_output=True, text=True, preexec_fn=limit, env=env,
                            timeout=60)
    check((traced.returncode, traced.stdout) == (0, plain.stdout),
          "preloaded: exit %d, output %r" % (traced.returncode, traced.stdout))
    check("the file size limit (ulimit -f: 1048576 bytes) is below the buffers'" in traced.stderr,
          "the reason: %r" % traced.stderr)
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--"] + argv, capture_output=True,
                       text=True, preexec_fn=limit, timeout=60)
    check((r.returncode, r.stdout) == (0, plain.stdout),
          "recorded: exit %d, output %r" % (r.returncode, r.stdout))
    check("no logs in" in r.stderr, "record says none were written: %r" % r.stderr)
    # A process that records nothing writes its own log at its end, with
    # its own flusher: into the folder's pack of such logs, which others
    # grew past this one's limit (an append there got SIGXFSZ, exit 153),
    # so into a file of its own, which fits.
    small = 4096
    for i in range(20):
        preloaded(["/bin/true", "x" * 300, str(i)], "a closing log", WHYSLOW_DIR=data)
    pack = os.path.join(data, "pack-closing.wslog")
    require(os.path.getsize(pack) > small, "the pack: %d bytes" % os.path.getsize(pack))
    q = subprocess.run(["/bin/true", "limited"],
                       env=dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data),
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (small, small)),
                       timeout=60)
    eq(q.returncode, 0, "a quiet process under a limit the pack is past")
    logs = [p for p in report(data)["processes"] if p["argv"] == ["/bin/true", "limited"]]
    require(len(logs) == 1, "one log of it: %s" % logs)
    eq(os.path.basename(logs[0]["log"]), "%d.wslog" % logs[0]["pid"], "its log, a file of its own")


def case_closing_pack_held():
    """A process that records nothing, with its own flusher, appends its
    log to the folder's pack of such logs under the pack's lock; one held
    by another (a process stopped while it appended) keeps it waiting 10
    ms at most: its log then goes to a file of its own.  Before, it waited
    for the lock for good."""
    import fcntl
    data = data_dir()
    preloaded(["/bin/true", "first"], "the pack's first", WHYSLOW_DIR=data)
    with open(os.path.join(data, "pack-closing.wslog"), "rb") as pack:
        fcntl.flock(pack, fcntl.LOCK_EX)
        try:
            q = subprocess.run(["/bin/true", "held"], timeout=30,
                               env=dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data))
        except subprocess.TimeoutExpired:
            fail("waited 30 s for the pack's lock")
        eq(q.returncode, 0, "its exit status")
    logs = sorted((p["argv"][1], os.path.basename(p["log"]) == "%d.wslog" % p["pid"])
                  for p in report(data)["processes"])
    eq(logs, [("first", False), ("held", True)], "the logs (in a file of its own)")


def case_disable_env():
    data, out = record([prog("io_basic"), TMP], env={"WHYSLOW_DISABLE": "1"})
    check("errno ok" in out, "program output")
    check(not [f for f in os.listdir(data) if f.endswith(".wslog")], "logs written while disabled")


def case_no_visible_fds():
    """The traced program sees no descriptor of the tracer's, nor do its
    children."""
    code = ("import os, subprocess, sys; print(sorted(os.listdir('/proc/self/fd')));"
            "sys.stdout.flush(); subprocess.run([sys.executable, '-c',"
            "'import os; print(sorted(os.listdir(\\'/proc/self/fd\\')))'])")
    plain = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True)
    data, out = record([PYTHON, "-c", code])
    check(plain.returncode == 0 and out == plain.stdout,
          "fds differ: traced %r, untraced %r" % (out, plain.stdout))


def case_unusable_dir():
    """When the log cannot be made, the program runs as if untraced."""
    plain = subprocess.run([prog("io_basic"), TMP], capture_output=True, text=True)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR="/dev/null/cannot")
    traced = subprocess.run([prog("io_basic"), TMP], capture_output=True, text=True, env=env)
    check(traced.returncode == plain.returncode == 0, "exit %d" % traced.returncode)
    check(traced.stdout == plain.stdout and traced.stderr == "", "output changed")


def case_setuid_untouched():
    """A setuid program run by another user (secure-exec): the loader
    ignores LD_PRELOAD and the program runs untraced, unharmed."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        skip("needs root and setpriv")
    os.chmod(TMP, 0o777)
    exe = os.path.join(TMP, "suid_io")
    shutil.copy(prog("io_basic"), exe)
    os.chmod(exe, 0o4755)
    data = os.path.join(TMP, "suid_data")
    os.makedirs(data, mode=0o777)
    os.chmod(data, 0o1777)  # others may write, as in /tmp: with the sticky bit
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe, TMP],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 0 and "errno ok" in r.stdout, "setuid program: %d %r" %
          (r.returncode, r.stderr))
    # setpriv itself (not setuid) is traced until it execs the program; its
    # flusher may still be writing (nothing waits for it here).
    wait_logs(data)
    for p in report(data)["processes"]:
        check(not p["exe"].endswith("suid_io") and p["argv"][0] != exe,
              "a setuid program was traced: %s" % p["argv"])


def case_no_harm_corner_cases():
    """Invalid timeouts, unreadable addresses, two copies of a library:
    the program sees exactly what it sees untraced."""
    args = [prog("harm"), PROGS]
    plain = subprocess.run(args, capture_output=True, text=True)
    check(plain.returncode == 0, "untraced run failed: %s" % plain.stdout)
    data, out = record(args)
    check(out == plain.stdout, "traced output differs:\n%s\nuntraced:\n%s" % (out, plain.stdout))
    check("copies 1 2" in out, "each copy answers for itself")
