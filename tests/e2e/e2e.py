"""e2e.py - end-to-end tests: real programs run under the real recorder,
their logs read by the real decoder, the report checked for what a user
would see (exact counts, findings, the process tree, exit codes).

Usage: e2e.py BUILD_DIR CASE   (ctest runs one CASE per test)
"""
import json
import re
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pg  # noqa: E402  (tests/e2e/pg.py: a throwaway PostgreSQL server)

BUILD = os.path.abspath(sys.argv[1])
WHYSLOW = os.path.join(BUILD, "whyslow")
LIB = os.path.join(BUILD, "libwhyslow.so")
PROGS = os.path.join(BUILD, "tests", "e2e")
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, whatever python3 is first on PATH

TMP = tempfile.mkdtemp(prefix="whyslow-e2e-")


def prog(name):
    return os.path.join(PROGS, "e2e_" + name)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def record(argv, env=None, data=None, expect_rc=0):
    """Runs argv under `whyslow record`; returns (data dir, stdout)."""
    data = data or os.path.join(TMP, "data")
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--"] + argv, env=e,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == expect_rc,
          "record %s exited %d, not %d: %s" % (argv, p.returncode, expect_rc, p.stderr))
    return data, p.stdout


def report(path, *args):
    p = subprocess.run([WHYSLOW, "report", "--json"] + list(args) + [path],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "report failed: %s" % p.stderr)
    return json.loads(p.stdout)


def dump(path):
    p = subprocess.run([WHYSLOW, "dump", path], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "dump failed: %s" % p.stderr)
    return p.stdout.splitlines()


def calls(rep, pid=None):
    """{call: syscalls[] row} of one process (the only one by default)."""
    if pid is None:
        check(len(rep["processes"]) == 1, "expected one process, got %d" % len(rep["processes"]))
        pid = rep["processes"][0]["pid"]
    return {s["call"]: s for s in rep["syscalls"] if s["pid"] == pid}


def count(rep, call, pid=None):
    row = calls(rep, pid).get(call)
    return row["count"] if row else 0


# ---- cases ----

def case_io_counts():
    data, out = record([prog("io_basic"), TMP])
    rep = report(data)
    p = rep["processes"][0]
    check(p["threads"] == 2, "threads %d" % p["threads"])
    check(p["lost_events"] == 0, "lost %d" % p["lost_events"])
    check(not p["truncated"], "truncated")
    c = calls(rep)
    expect = {"write": (107, 0, 1007), "pread64": (100, 0, 1000), "read": (8, 1, 7),
              "open": (2, 1, 0), "fsync": (1, 0, 0), "close": (6, 0, 0), "connect": (1, 0, 0),
              "accept": (1, 0, 0), "send": (10, 0, 40), "recv": (10, 0, 40)}
    for call, (n, errors, nbytes) in expect.items():
        row = c.get(call)
        check(row is not None, "no %s in the report" % call)
        got = (row["count"], row["errors"], row["bytes"])
        check(got == (n, errors, nbytes), "%s: count/errors/bytes %s, expected %s" %
              (call, got, (n, errors, nbytes)))
    check(set(c) == set(expect), "unexpected calls: %s" % (set(c) - set(expect)))
    # Each event is named by what its fd is.
    lines = dump(data)
    path = os.path.join(TMP, "io_basic.dat")
    check(sum(1 for l in lines if " write " in l and path in l) == 100, "writes on the file")
    check(sum(1 for l in lines if " write " in l and "pipe:[" in l) == 7, "writes on the pipe")
    check(sum(1 for l in lines if " send " in l and "127.0.0.1:" in l) == 10, "sends to a peer")
    check(any(" connect " in l and "127.0.0.1:" in l for l in lines), "connect's peer")


def case_errno_and_output():
    plain = subprocess.run([prog("io_basic"), TMP], capture_output=True, text=True)
    data, out = record([prog("io_basic"), TMP])
    check(plain.returncode == 0, "untraced run failed")
    check(out == plain.stdout, "output differs: %r vs %r" % (out, plain.stdout))
    check("errno ok" in out, "errno changed under the tracer")


def case_threads_exact():
    data, _ = record([prog("threads"), "8", "1000"])
    rep = report(data)
    p = rep["processes"][0]
    check(p["threads"] == 9, "threads %d, expected 9" % p["threads"])
    check(count(rep, "write") == 8000, "writes %d" % count(rep, "write"))
    check(p["lost_events"] == 0, "lost %d" % p["lost_events"])
    names = [l for l in dump(data) if "thread_end" in l]
    check(len(names) == 8, "thread ends %d" % len(names))
    check(sum(1 for l in dump(data) if 'name="worker-' in l) >= 8, "thread names")
    # Each worker's start names its creator: main, thread 1.
    starts = [re.search(r"thread_start thread=(\d+) .* parent=(\d+)", l) for l in dump(data)]
    parents = sorted((int(m.group(1)), int(m.group(2))) for m in starts if m)
    check(parents == [(1, 0)] + [(n, 1) for n in range(2, 10)], "thread parents %s" % parents)


def case_lifecycle_tree():
    data, _ = record([prog("lifecycle")])
    rep = report(data)
    procs = rep["processes"]
    check(len(procs) == 5, "processes %d, expected 5" % len(procs))
    by_args = {}
    for p in procs:
        by_args.setdefault(" ".join(p["argv"][1:]), []).append(p)
    root = [p for p in by_args[""] if p["end"] and p["end"]["kind"] == "exec"]
    check(len(root) == 1, "one image that ended by exec")
    root = root[0]
    forked = [p for p in by_args[""] if p is not root]
    check(len(forked) == 1 and forked[0]["end"] == {"kind": "_exit", "status": 7},
          "fork child ends with _exit(7): %s" % forked)
    check(forked[0]["ppid"] == root["pid"], "fork child's parent")
    execd = by_args["leaf 6"][0]
    check(execd["pid"] == root["pid"], "exec keeps the pid")
    # Writes per image: pre-exec 3+1, fork child 5, vfork+exec 2, spawn 4, exec'd 6.
    per_log = {}
    for p in procs:
        sub = report(p["log"])
        per_log[" ".join(p["argv"][1:]) + ("#" + p["end"]["kind"] if p["end"] else "")] = \
            count(sub, "write")
    expect = {"#exec": 4, "#_exit": 5, "leaf 2#exit": 2, "leaf 4#exit": 4, "leaf 6#exit": 6}
    check(per_log == expect, "writes per process %s, expected %s" % (per_log, expect))
    for p in procs:
        check(p["lost_events"] == 0 and not p["truncated"], "clean log %s" % p["log"])


def case_sigkill_keeps_events():
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    p = subprocess.Popen([prog("killed"), "5000"], env=env, stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "program did not start")
    p.send_signal(signal.SIGKILL)
    p.wait()
    time.sleep(0.5)  # the flusher notices the death on its next period
    rep = report(data)
    proc = rep["processes"][0]
    check(count(rep, "write") == 5000, "writes after SIGKILL: %d" % count(rep, "write"))
    check(proc["end"] is None, "a killed process has no end record")
    check(proc["lost_events"] == 0, "lost %d" % proc["lost_events"])


def case_signal_handlers():
    data, out = record([prog("signals")])
    check(out.startswith("fired=200 got=200"), "signals disturbed: %r" % out)
    rep = report(data)
    p = rep["processes"][0]
    # Calls from handlers are recorded, or, when one interrupted the
    # recorder itself, counted as lost: never silently missing.
    check(count(rep, "write") + p["lost_events"] > 200, "handler writes")


def case_lock_waits():
    data, out = record([prog("locks")])
    rep = report(data)
    locks = {}
    for l in rep["locks"]:
        locks.setdefault(l["kind"], []).append(l)
    mutex = max(locks["mutex"], key=lambda l: l["wait_total_ns"])
    # How often 4 threads collide depends on the scheduler: a few times at least.
    check(mutex["contended"] >= 3 and mutex["threads"] >= 2, "mutex contention %s" % mutex)
    check(locks["rwlock"][0]["contended"] == 2, "rwlock waits %s" % locks["rwlock"])
    for kind in ("cond", "sem", "futex"):
        check(len(locks[kind]) == 1 and locks[kind][0]["contended"] == 1, kind)
        check(locks[kind][0]["wait_total_ns"] >= 5e6, "%s wait %d" % (kind, locks[kind][0]["wait_total_ns"]))
    found = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    addrs = {f["addr"] for f in found}
    check(mutex["addr"] in addrs, "no lock_contention finding for the hot mutex")
    check(locks["cond"][0]["addr"] not in addrs, "a cond wait is not contention")
    p = rep["processes"][0]
    # Without WHYSLOW_LOCKS=all, uncontended acquisitions are only counted.
    check(p["uncontended_locks"] >= 1000, "uncontended %d" % p["uncontended_locks"])
    check(not any(l["kind"] == "mutex" and l["contended"] == 0 for l in rep["locks"]),
          "uncontended locks listed without WHYSLOW_LOCKS=all")


def case_locks_all():
    data, out = record([prog("locks")], env={"WHYSLOW_LOCKS": "all"})
    rep = report(data)
    acq = sorted(l.get("acquisitions", 0) for l in rep["locks"] if l["kind"] in ("mutex", "rwlock"))
    check(acq == [2, 3, 100, 1000], "acquisitions %s" % acq)
    hot = next(l for l in rep["locks"] if l.get("acquisitions") == 100)
    check(hot["hold_total_ns"] >= 100 * 200000, "hold time %d" % hot["hold_total_ns"])
    p = rep["processes"][0]
    contended = sum(l["contended"] for l in rep["locks"] if l["kind"] in ("mutex", "rwlock"))
    check(p["uncontended_locks"] == 1105 - contended,
          "uncontended %d, contended %d" % (p["uncontended_locks"], contended))


def case_wakes_and_stacks():
    data, out = record([prog("wakes")])
    addr = {k: int(v, 16) for k, v in (f.split("=") for f in out.split())}
    lines = dump(data)

    def records(call, obj):
        return [l for l in lines if " %s " % call in l and "=0x%x " % addr[obj] in l]

    # Wake-ups: exactly the ones that had a waiter.
    check(len(records("pthread_cond_signal", "cond")) == 5, "cond signals")
    check(len(records("pthread_cond_broadcast", "all")) == 1, "broadcast")
    check(len(records("sem_post", "sem")) == 3, "sem_posts")
    futex = records("futex_wake", "word")
    check(len(futex) == 1 and " result=1 " in futex[0], "futex wakes %s" % futex)
    main_tid = re.search(r" tid=(\d+) thread_start thread=1 ", "\n".join(lines)).group(1)
    held = [l for l in records("pthread_mutex_unlock", "held") if " tid=%s " % main_tid in l]
    check(len(held) == 1 and " wakes " in held[0], "unlock with a waiter %s" % held)
    rw = records("pthread_rwlock_unlock", "rw")
    check(len(rw) == 1 and " tid=%s " % main_tid in rw[0] and " wakes " in rw[0],
          "rwlock unlocks: only the one with a reader blocked %s" % rw)
    reader = [l for l in records("pthread_rwlock_rdlock", "rw") if " contended " in l]
    check(len(reader) == 1, "the reader's wait %s" % reader)
    # Stacks: the 5 ms sleeps keep theirs (the caller, slow_outer, main),
    # the fast writes none.
    sleeps = [l for l in lines if " nanosleep " in l]
    deep = []
    for l in sleeps:
        m = re.search(r"caller=(0x[0-9a-f]+) stack=([0-9a-fx,]+)", l)
        if not m:
            continue
        frames = [int(f, 16) for f in m.group(2).split(",")]
        if 0 <= frames[0] - addr["slow_inner"] < 64:
            check(frames[0] == int(m.group(1), 16), "first frame is the caller: %s" % l)
            check(0 <= frames[1] - addr["slow_outer"] < 64, "second frame in slow_outer: %s" % l)
            check(0 <= frames[2] - addr["main"] < 4096, "third frame in main: %s" % l)
            deep.append(l)
    check(len(deep) == 3, "sleeps with their stack: %d" % len(deep))
    writes = [l for l in lines if " write " in l and "(/dev/null)" in l]
    check(len(writes) == 100 and not any("stack=" in l for l in writes), "fast writes without stacks")
    # WHYSLOW_STACK_MS=0: no stacks at all.
    data, out = record([prog("wakes")], env={"WHYSLOW_STACK_MS": "0"})
    check(not any("stack=" in l for l in dump(data)), "stacks with WHYSLOW_STACK_MS=0")


def case_stack_harm():
    # Where unwinding could harm the program, the recorder takes no stack:
    # each mode exits and prints the same traced (default 1 ms threshold,
    # so every slow call there is a candidate) as untraced.
    for mode in ("crash", "altstack", "tiny", "register"):
        argv = [prog("stack_harm"), mode]
        plain = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        data, out = record(argv, data=tempfile.mkdtemp(prefix="data-", dir=TMP),
                           expect_rc=plain.returncode)
        check(out == plain.stdout, "%s: traced output %r, untraced %r" % (mode, out, plain.stdout))
        check(plain.returncode == (3 if mode == "crash" else 0), "%s: exit %d" % (mode, plain.returncode))


def case_disable_env():
    data, out = record([prog("io_basic"), TMP], env={"WHYSLOW_DISABLE": "1"})
    check("errno ok" in out, "program output")
    check(not [f for f in os.listdir(data) if f.endswith(".wslog")], "logs written while disabled")


def case_python_threads_sockets():
    data, out = record([PYTHON, os.path.join(HERE, "progs", "py_workload.py")])
    check(out.strip() == "ok", "python output %r" % out)
    rep = report(data)
    p = rep["processes"][0]
    check(p["threads"] == 4, "python threads %d" % p["threads"])
    lines = dump(data)
    devnull = sum(1 for l in lines if " write " in l and "(/dev/null)" in l)
    check(devnull == 300, "writes to /dev/null %d" % devnull)
    check(count(rep, "send") == 50 and count(rep, "recv") == 50,
          "socketpair send/recv %d/%d" % (count(rep, "send"), count(rep, "recv")))
    check(sum(1 for l in lines if " getaddrinfo " in l and "localhost" in l) == 1,
          "getaddrinfo of localhost")
    # The log is a zstd stream: the raw records hold the memory map's text,
    # which must cover the extension module loaded after start.
    raw = subprocess.run(["zstd", "-dcq", p["log"]], capture_output=True).stdout
    check(b"_sqlite3" in raw, "the memory map misses the module loaded by dlopen")


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


def case_monotonic_clock():
    """Where the TSC cannot be used, events are stamped with CLOCK_MONOTONIC."""
    data, _ = record([prog("locks")], env={"WHYSLOW_CLOCK": "monotonic"})
    check(any("clock=monotonic" in l for l in dump(data)), "clock source")
    rep = report(data)
    sem = next(l for l in rep["locks"] if l["kind"] == "sem")
    check(5e6 <= sem["wait_total_ns"] <= 5e8, "sem wait %d ns" % sem["wait_total_ns"])


def case_bounded_memory():
    """Many threads, a tiny buffer pool: events are dropped and counted,
    the program is not slowed down or changed, the report says so."""
    data, _ = record([prog("threads"), "64", "2000", "together"], env={"WHYSLOW_BUFFER_MB": "1"})
    rep = report(data)
    p = rep["processes"][0]
    writes = count(rep, "write")
    check(p["lost_events"] > 0, "nothing lost with 16 buffers for 64 threads")
    check(writes + p["lost_events"] >= 64 * 2000, "writes %d + lost %d" % (writes, p["lost_events"]))
    text = subprocess.run([WHYSLOW, "report", data], capture_output=True, text=True).stdout
    check("lost" in text.lower() and str(p["lost_events"]) in text, "text report hides the loss")


def case_setuid_untouched():
    """A setuid program run by another user (secure-exec): the loader
    ignores LD_PRELOAD and the program runs untraced, unharmed."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("skipped: needs root and setpriv")
        return
    os.chmod(TMP, 0o777)
    exe = os.path.join(TMP, "suid_io")
    shutil.copy(prog("io_basic"), exe)
    os.chmod(exe, 0o4755)
    data = os.path.join(TMP, "suid_data")
    os.makedirs(data, mode=0o777)
    os.chmod(data, 0o777)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe, TMP],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 0 and "errno ok" in r.stdout, "setuid program: %d %r" %
          (r.returncode, r.stderr))
    # setpriv itself (not setuid) is traced until it execs the program.
    for p in report(data)["processes"]:
        check(not p["exe"].endswith("suid_io") and p["argv"][0] != exe,
              "a setuid program was traced: %s" % p["argv"])


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
    raw = subprocess.run(["zstd", "-dcq", p["log"]], capture_output=True).stdout
    check(b"alice@example" not in raw, "a literal reached the log")
    rep = report(data)
    examples = [q["example"] for q in rep["queries"]]
    check("select pin from u where email = ?" in examples, "redacted text: %s" % examples)
    # Without it, the text is kept as the program sent it.
    data, out = record([PYTHON, script])
    examples = [q["example"] for q in report(data)["queries"]]
    check("select pin from u where email = 'alice@example.com'" in examples, "text %s" % examples)


def case_no_harm_corner_cases():
    """Invalid timeouts, unreadable addresses, two copies of a library:
    the program sees exactly what it sees untraced."""
    args = [prog("harm"), PROGS]
    plain = subprocess.run(args, capture_output=True, text=True)
    check(plain.returncode == 0, "untraced run failed: %s" % plain.stdout)
    data, out = record(args)
    check(out == plain.stdout, "traced output differs:\n%s\nuntraced:\n%s" % (out, plain.stdout))
    check("copies 1 2" in out, "each copy answers for itself")


def case_flush_period():
    """Events reach the log while the program still runs."""
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_FLUSH_MS="50")
    p = subprocess.Popen([prog("killed"), "300"], env=env, stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "ready", "program did not start")
    time.sleep(0.4)
    rep = report(data)
    n = count(rep, "write")
    p.kill()
    p.wait()
    check(n == 300, "writes visible while running: %d" % n)


def case_log_permissions():
    rel = "reldata"
    cwd = os.path.join(TMP, "cwd")
    os.makedirs(cwd)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=rel)
    r = subprocess.run([prog("threads"), "2", "10"], env=env, cwd=cwd)
    check(r.returncode == 0, "program failed")
    logs = os.listdir(os.path.join(cwd, rel))
    check(len(logs) == 1 and logs[0].endswith(".wslog"), "logs %s" % logs)
    mode = stat.S_IMODE(os.stat(os.path.join(cwd, rel, logs[0])).st_mode)
    check(mode == 0o600, "log mode %o" % mode)


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


# ---- database calls ----

EXAMPLES = os.path.join(BUILD, "examples")


def skip(why):
    """Ends the case as skipped (exit 0), for a component not installed."""
    print("skipped: " + why)
    sys.exit(0)


def need_python_module(module, package):
    """Skips the case when Debian's python3 lacks a module."""
    r = subprocess.run([PYTHON, "-c", "import " + module], capture_output=True)
    if r.returncode != 0:
        skip("%s is not installed (no %s module for %s)" % (package, module, PYTHON))


def need_file(path, why):
    if not os.path.exists(path):
        skip("%s is missing (%s)" % (path, why))


STOP_AT_END = []  # what to stop when the case ends, failed or not


def pg_server():
    """A started throwaway PostgreSQL server (stopped when the case ends),
    or a skip when none is installed."""
    why = pg.unavailable()
    if why:
        skip(why)
    server = pg.PgServer()
    STOP_AT_END.append(server.stop)
    return server.start()


def traced_like_untraced(argv, env=None):
    """Runs argv untraced, then under `whyslow record` (into a data folder
    of its own); checks both exit 0 with the same output.  Returns (data
    folder, output)."""
    e = dict(os.environ)
    e.update(env or {})
    plain = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=120)
    check(plain.returncode == 0, "untraced %s exited %d: %s" % (argv, plain.returncode,
                                                                 plain.stderr))
    data, out = record(argv, env=env, data=tempfile.mkdtemp(prefix="data-", dir=TMP))
    check(out == plain.stdout, "%s: output traced differs from untraced:\n%s\n---\n%s" %
          (argv, out[-2000:], plain.stdout[-2000:]))
    return data, out


def squash(text):
    return " ".join(text.lower().split()).rstrip(";").strip()


def db_queries(rep):
    return rep.get("queries", [])


def find_query(rep, needle, exact=False):
    """The one queries[] row whose normalized text contains needle (equals
    it, with exact), compared lower-case with spaces squashed."""
    n = squash(needle)
    rows = [q for q in db_queries(rep)
            if (squash(q["normalized"]) == n if exact else n in squash(q["normalized"]))]
    check(len(rows) == 1, "%d queries[] rows match %r: %s" % (
        len(rows), needle, [(q["normalized"], q["count"]) for q in db_queries(rep)]))
    return rows[0]


def findings_of(rep, kind):
    return [f for f in rep["findings"] if f["kind"] == kind]


def describe(rep):
    """What the report found, for failure messages."""
    return json.dumps({"findings": [f for f in rep["findings"]
                                    if f["kind"] in ("n_plus_one", "repeated_query")],
                       "queries": [(q["normalized"], q["count"]) for q in db_queries(rep)]},
                      indent=1)[:4000]


def check_nplus1(rep, child, parent, count, db):
    """Exactly one n_plus_one finding: count executions of the child query
    driven by the parent query's rows."""
    found = findings_of(rep, "n_plus_one")
    check(len(found) == 1, "expected one n_plus_one finding: %s" % describe(rep))
    f = found[0]
    check(squash(child) in squash(f["normalized"]), "n_plus_one child %r" % f["normalized"])
    check(squash(parent) in squash(f["parent_normalized"]),
          "n_plus_one parent %r" % f["parent_normalized"])
    check(f["count"] == count, "n_plus_one count %d, expected %d" % (f["count"], count))
    check(f["parent_rows"] == count, "n_plus_one parent_rows %d, expected %d" %
          (f["parent_rows"], count))
    check(f["db"] == db, "n_plus_one db %r" % f["db"])
    check(f["total_ns"] > 0 and f["summary"], "n_plus_one total_ns/summary: %s" % f)
    check(f["fingerprint"] == find_query(rep, child)["fingerprint"],
          "the finding's fingerprint is not its query's")
    check(f["parent_fingerprint"] == find_query(rep, parent)["fingerprint"],
          "the finding's parent_fingerprint is not its parent query's")
    return f


def check_clean(rep, what):
    found = findings_of(rep, "n_plus_one") + findings_of(rep, "repeated_query")
    check(not found, "%s: no n_plus_one or repeated_query expected: %s" % (what, describe(rep)))


def check_db(rep, db):
    """One process, whose queries[] are all on db and without errors."""
    check(len(rep["processes"]) == 1, "%d processes in the report" % len(rep["processes"]))
    check(db_queries(rep), "no queries[] in the report")
    dbs = {q["db"] for q in db_queries(rep)}
    check(dbs == {db}, "queries[] db %s, expected %s" % (dbs, db))
    for q in db_queries(rep):
        check(q["errors"] == 0, "query with errors: %s" % q)


SQLITE_PROG = os.path.join(HERE, "progs", "py_sqlite.py")
AUTHOR_BY_ID = "select name from author where id ="
BOOKS_QUERY = "select id, title, author_id from book"


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


def case_django_orm():
    """Django on SQLite: lazy foreign keys in a loop (1 + 30 queries), and
    select_related (one JOIN, no finding)."""
    need_python_module("django", "python3-django")
    prog_ = os.path.join(HERE, "progs", "py_django.py")
    data, out = traced_like_untraced([PYTHON, prog_, "nplus1"])
    check(out.count(" by Author ") == 30, "program output %r" % out[:200])
    rep = report(data)
    check_db(rep, "sqlite")
    author = 'from "library_author" where "library_author"."id" ='
    check_nplus1(rep, author, 'from "library_book"', 30, "sqlite")
    check(find_query(rep, author)["count"] == 30, "author lookups")

    data, _ = traced_like_untraced([PYTHON, prog_, "select_related"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "select_related")
    q = find_query(rep, 'inner join "library_author"')
    check((q["count"], q["rows"]) == (1, 30), "select_related query %s" % q)


def case_sqlalchemy_orm():
    """SQLAlchemy on SQLite: lazy loading in a loop (1 + 30 queries), and
    selectinload (2 queries, no finding)."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    prog_ = os.path.join(HERE, "progs", "py_sqlalchemy.py")
    data, _ = traced_like_untraced([PYTHON, prog_, "nplus1"])
    rep = report(data)
    check_db(rep, "sqlite")
    author = "from author where author.id ="
    check_nplus1(rep, author, "from book order by book.id", 30, "sqlite")

    data, _ = traced_like_untraced([PYTHON, prog_, "selectinload"])
    rep = report(data)
    check_db(rep, "sqlite")
    check_clean(rep, "selectinload")
    q = find_query(rep, "from author where author.id in")
    check((q["count"], q["rows"]) == (1, 30), "selectinload query %s" % q)


def case_psycopg2_nplus1():
    """psycopg2 on a real server: 30 lookups whose texts differ by a literal
    (psycopg2 fills parameters in on the client), and one ANY(...) query."""
    need_python_module("psycopg2", "python3-psycopg2")
    server = pg_server()
    prog_ = os.path.join(HERE, "progs", "py_psycopg2.py")
    r = subprocess.run([PYTHON, prog_, "setup"], env=server.env(), capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0, "setup failed: %s" % r.stderr)
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
    check(r.returncode == 0, "pgbench -i failed: %s" % r.stderr)
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


def case_library_locks_bypassed():
    # SQLite's and CPython's own mutexes go straight to libc (bypass.c):
    # threads sharing a connection still compute the same, their queries are
    # all recorded, and the uncontended lock count holds only the
    # program's other locks; WHYSLOW_LOCKS=all sees SQLite's again.
    argv = [PYTHON, os.path.join(HERE, "progs", "py_shared_conn.py"), "500"]
    data, out = traced_like_untraced(argv)
    rep = report(data)
    q = find_query(rep, "select v from t where id = ?", exact=True)
    check(q["count"] == 2000, "queries %d" % q["count"])
    p = rep["processes"][0]
    check(p["uncontended_locks"] < 2000, "uncontended locks %d: SQLite's mutexes are counted"
          % p["uncontended_locks"])
    data, out = traced_like_untraced(argv, env={"WHYSLOW_LOCKS": "all"})
    p = report(data)["processes"][0]
    check(p["uncontended_locks"] > 20 * 2000, "WHYSLOW_LOCKS=all: uncontended locks %d"
          % p["uncontended_locks"])
    # Not recording (WHYSLOW_DISABLE=1), the locks are bypassed too: the
    # same results, and no log.
    quiet = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DISABLE="1",
                 WHYSLOW_DIR=os.path.join(TMP, "quiet"))
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    q = subprocess.run(argv, capture_output=True, text=True, env=quiet, timeout=120)
    check(q.returncode == 0 and q.stdout == plain.stdout, "disabled: %r vs %r (%s)"
          % (q.stdout[-200:], plain.stdout[-200:], q.stderr[-500:]))
    check(not os.path.exists(os.path.join(TMP, "quiet")), "disabled: a log was written")


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


# ---- symbolization: locks and call sites by name ----

def site_line(path, tag):
    """The number of the line of path marked "SITE:tag"."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if "SITE:" + tag in line:
                return n
    fail("no SITE:%s in %s" % (tag, path))


def text_report(data, *args):
    p = subprocess.run([WHYSLOW, "report"] + list(args) + [data], capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, "report failed: %s" % p.stderr)
    return p.stdout


def lock_findings(rep):
    """{lock name: lock_contention finding}."""
    found = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    by_name = {f["lock"]: f for f in found}
    check(len(by_name) == len(found), "two findings with one lock name: %s" % found)
    return by_name


def nm_symbols(path, *flags):
    """{name: (address, size)} of the defined symbols nm lists."""
    out = subprocess.run(["nm", "-S", "--defined-only"] + list(flags) + [path],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            syms[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return syms


def module_bias(site):
    return int(site["addr"], 16) - int(site["module_offset"], 16)


def case_sym_lock_names():
    """Locks named by their variable, and the functions that took them by
    name, file and line: a global in .bss, a heap mutex (taken in an
    inlined function), a mutex inside a struct."""
    src = os.path.join(HERE, "progs", "sym_locks.c")
    data, _ = record([prog("sym_locks")])
    rep = report(data)
    found = lock_findings(rep)
    heap = [name for name in found if name.endswith(" (heap)")]
    check(len(heap) == 1 and set(found) == {"queue_lock", "stats+0x8", heap[0]},
          "lock names %s" % sorted(found))
    check(heap[0] == "mutex %s (heap)" % found[heap[0]]["addr"], "heap lock %r" % heap[0])
    for name, fn in (("queue_lock", "take_job"), (heap[0], "take_result"),
                     ("stats+0x8", "count_stat")):
        f = found[name]
        site = f["site"]
        want = {"function": fn, "file": src, "line": site_line(src, fn), "module": "e2e_sym_locks",
                "addr": f["caller"]}
        check({k: site.get(k) for k in want} == want, "%s: site %s, expected %s" % (name, site, want))
        check(f["summary"].startswith("mutex %s: " % name.replace("mutex ", "")),
              "summary %r" % f["summary"])
        # How many waits depends on the scheduler (the machine may be busy):
        # what is checked is the naming.
        check(f["contended"] >= 2 and f["threads"] >= 2, "%s: waits %s" % (name, f))
    # The stacks of the longest waits: the function, where it was called
    # (an inlined function, then the one it was inlined into), the thread's
    # start.
    def frames(f, n):
        return [(x.get("function"), x.get("file"), x.get("line"), x.get("inlined", False))
                for x in f["stack"][:n]]
    check(frames(found["queue_lock"], 2) ==
          [("take_job", src, site_line(src, "take_job"), False),
           ("worker", src, site_line(src, "worker_take_job"), False)],
          "queue_lock's stack %s" % found["queue_lock"]["stack"])
    heap_stack = found[heap[0]]["stack"]
    check(frames(found[heap[0]], 2) ==
          [("take_result", src, site_line(src, "take_result"), True),
           ("worker", src, site_line(src, "worker_take_result"), False)] and
          heap_stack[0]["addr"] == heap_stack[1]["addr"], "heap lock's stack %s" % heap_stack)
    for f in found.values():
        check(f["stack"][0]["addr"] == f["caller"] and
              f["stack"][-1].get("module") == "libc.so.6",
              "stack to the thread's start (in libc): %s" % f["stack"])
    # The names agree with nm: the lock's offset in the file is queue_lock's.
    syms = nm_symbols(prog("sym_locks"))
    q = found["queue_lock"]
    check(int(q["addr"], 16) - module_bias(q["site"]) == syms["queue_lock"][0],
          "queue_lock at %s, nm says 0x%x" % (q["addr"], syms["queue_lock"][0]))
    check(q["site"]["module_offset"] != q["site"]["addr"], "a PIE's offsets are not addresses")
    locks = {l["lock"]: l for l in rep["locks"]}
    for name in found:
        check(locks[name]["site"] == found[name]["site"] and not locks[name].get("gil"),
              "locks[] %s: %s" % (name, locks.get(name)))
    text = text_report(data)
    line = site_line(src, "take_job")
    check("mutex queue_lock: " in text and
          "most waits called from take_job (sym_locks.c:%d)\n" % line in text and
          "the longest wait's stack:\n" in text and
          "    at take_job (sym_locks.c:%d)\n" % line in text and
          "    at worker (sym_locks.c:%d)\n" % site_line(src, "worker_take_job") in text,
          "text findings:\n" + text[:1500])
    check(re.search(r"\n  mutex  queue_lock +\d+ .* take_job \(sym_locks\.c:%d\)\n" % line, text),
          "text locks table:\n" + text)
    check(re.search(r"\n  mutex  0x[0-9a-f]+ \(heap\) +\d+ .* take_result \(sym_locks\.c:%d\)\n" %
                    site_line(src, "take_result"), text), "heap lock in the text:\n" + text)


def case_sym_stripped():
    """The same program stripped: nothing named, nothing invented; the
    module and the offset in it, which addr2line on the unstripped file
    turns into the same function."""
    exe = os.path.join(TMP, "sym_locks_stripped")
    subprocess.run(["strip", "-o", exe, prog("sym_locks")], check=True)
    data, _ = record([exe])
    rep = report(data)
    syms = nm_symbols(prog("sym_locks"))
    found = lock_findings(rep)
    check(len(found) == 3, "three contended locks: %s" % sorted(found))
    by_fn = {}
    for name, f in found.items():
        site = f["site"]
        check(set(site) == {"module", "module_offset", "addr"} and
              site["module"] == "sym_locks_stripped", "%s: site %s" % (name, site))
        a2l = subprocess.run(["addr2line", "-f", "-e", prog("sym_locks"),
                              "0x%x" % (int(site["module_offset"], 16) - 1)],
                             capture_output=True, text=True, check=True).stdout.split()
        by_fn[a2l[0]] = (name, f)
    check(set(by_fn) == {"take_job", "take_result", "count_stat"}, "sites %s" % by_fn)
    for fn, var, off in (("take_job", "queue_lock", 0), ("count_stat", "stats", 8)):
        name, f = by_fn[fn]
        want = "mutex %s (sym_locks_stripped+0x%x)" % (f["addr"], syms[var][0] + off)
        check(name == want, "lock %r, expected %r" % (name, want))
    name, f = by_fn["take_result"]
    check(name == "mutex %s (heap)" % f["addr"], "heap lock %r" % name)
    text = text_report(data)
    check("most waits called from sym_locks_stripped+0x" in text, "text:\n" + text[:1500])
    check(not any(n.startswith("cannot read") for n in rep["processes"][0]["notes"]), "notes")


def case_sym_dlopen_site():
    """A slow write made by a library loaded with dlopen (and unloaded
    before the end): slow_syscall and slowest[] name its function."""
    lib = os.path.join(PROGS, "libsym_slowwrite.so")
    src = os.path.join(HERE, "progs", "sym_slowwrite.c")
    data, _ = record([prog("sym_dlopen"), lib])
    rep = report(data)
    slow = [f for f in rep["findings"] if f["kind"] == "slow_syscall"]
    check(len(slow) == 1 and slow[0]["call"] == "write" and slow[0]["target"].startswith("pipe:["),
          "findings %s" % rep["findings"])
    site = slow[0]["site"]
    want = {"function": "slow_write", "file": src, "line": site_line(src, "slow_write"),
            "module": "libsym_slowwrite.so"}
    check({k: site.get(k) for k in want} == want, "site %s, expected %s" % (site, want))
    main_src = os.path.join(HERE, "progs", "sym_dlopen.c")
    stack = [(x.get("function"), x.get("file"), x.get("line")) for x in slow[0]["stack"][:2]]
    check(stack == [("slow_write", src, want["line"]), ("main", main_src, site_line(main_src, "main"))],
          "stack %s" % slow[0]["stack"])
    write = [s for s in rep["slowest"] if s["call"] == "write"]
    check(len(write) == 1 and write[0]["site"] == site, "slowest write %s" % write)
    reads = [s for s in rep["slowest"] if s["call"] == "read" and "pipe:[" in (s["target"] or "")]
    check(reads and all(r["site"].get("function") == "drain" and
                        r["site"]["module"] == "e2e_sym_dlopen" for r in reads),
          "the reads are the program's own: %s" % reads[:2])
    # The library was gone from the last map: an earlier one named it.
    maps = [l for l in dump(data) if " meta maps " in l]
    check(len(maps) >= 2, "maps records: %s" % maps)
    text = text_report(data)
    check("the slowest called from slow_write (sym_slowwrite.c:%d)" % want["line"] in text,
          "text:\n" + text[:1500])


def case_sym_python_gil():
    """CPython threads taking turns on the GIL: locks[] names it the GIL,
    and no lock_contention finding is made of it, even at a 1 us
    threshold; it is a gil_contention finding."""
    py = os.path.realpath(PYTHON)
    runtime = nm_symbols(py, "-D").get("_PyRuntime")
    if not runtime:
        skip("%s does not export _PyRuntime" % py)
    elf = subprocess.run(["readelf", "-h", py], capture_output=True, text=True).stdout
    if "EXEC (Executable file)" not in elf:
        skip("%s is position independent: its addresses are not nm's" % py)
    start, size = runtime
    data, _ = record([PYTHON, os.path.join(HERE, "progs", "py_gil.py")])
    rep = report(data, "--slow-ms", "0.001")

    def in_runtime(addr):
        return start <= int(addr, 16) < start + size

    gil = [l for l in rep["locks"] if l.get("gil")]
    check(any(l["kind"] == "cond" and l["contended"] >= 10 and l["threads"] >= 2 for l in gil),
          "the GIL's waits: %s" % gil)
    for l in rep["locks"]:
        check(bool(l.get("gil")) == in_runtime(l["addr"]) and
              (l["lock"] == "GIL") == in_runtime(l["addr"]), "lock %s" % l)
    # The program's other waits (Thread.start, join) are no locks either.
    contention = [f for f in rep["findings"] if f["kind"] == "lock_contention"]
    check(len(findings_of(rep, "gil_contention")) == 1, "no gil_contention: %s" % rep["findings"])
    for f in contention:
        check(not in_runtime(f["addr"]) and not f.get("gil") and f["lock"] != "GIL",
              "a lock_contention finding of the GIL: %s" % f)
    text = text_report(data, "--slow-ms", "0.001")
    check(re.search(r"\n  cond   the GIL +\d+", text), "text locks:\n" + text)
    findings_text = text.split("\npid ")[0]
    check(not re.search(r"lock_contention .*GIL", findings_text) and
          "gil_contention" in findings_text, "text findings:\n" + findings_text)
    # The time breakdown counts the GIL waits as lock time, and says so.
    gil_waits = {}
    for l in dump(data):
        m = re.search(r" tid=(\d+) pthread_cond_timedwait cond=(0x[0-9a-f]+) .* dur=", l)
        if m and in_runtime(m.group(2)):
            gil_waits[int(m.group(1))] = True
    busy = [t for t in rep["threads"] if t["tid"] in gil_waits]
    check(len(busy) >= 2, "threads waiting for the GIL: %s" % rep["threads"])
    for t in busy:
        check(0 < t["gil_ns"] <= t["breakdown"]["lock_ns"], "gil_ns of %s" % t)
    # The main thread joins them: a park (idle), counted as wait, not lock.
    pid = rep["processes"][0]["pid"]
    main = next(t for t in rep["threads"] if t["tid"] == pid)
    b = main["breakdown"]
    check(b["wait_ns"] > main["wall_ns"] // 4 and b["lock_ns"] == main["gil_ns"], "main: %s" % main)


def case_sym_fuzz():
    """Real logs with real maps, damaged: the decoder (symbolizing with
    maps and files that no longer agree) never crashes."""
    data, _ = record([prog("sym_locks")])
    logs = [os.path.join(data, n) for n in os.listdir(data)]
    env = dict(os.environ, FUZZ_ROUNDS="400")
    p = subprocess.run([os.path.join(BUILD, "tests", "unit", "test_fuzz")] + logs, env=env,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and "no crash" in p.stdout, "fuzz: %s %s" % (p.stdout, p.stderr[-2000:]))

def case_example_lock_contention():
    """The C example of `make demo`: 4 threads queueing on stats_lock."""
    exe = os.path.join(EXAMPLES, "lock_contention")
    src = os.path.join(HERE, "..", "..", "examples", "lock_contention.c")
    with open(src) as f:
        line = [n for n, l in enumerate(f, 1) if "pthread_mutex_lock(&stats_lock)" in l]
    check(len(line) == 1, "one place takes stats_lock")
    data, out = record([exe])
    rep = report(data)
    found = lock_findings(rep)
    check(list(found) == ["stats_lock"], "findings %s" % rep["findings"])
    f = found["stats_lock"]
    # How many of the 4 threads queue, and how often, is the scheduler's
    # to say: on a busy machine one may run alone for a while.
    check(f["severity"] == "high" and 2 <= f["threads"] <= 4 and f["contended"] >= 50,
          "finding %s" % f)
    check((f["site"].get("function"), os.path.basename(f["site"].get("file", "")),
           f["site"].get("line")) == ("update_stats", "lock_contention.c", line[0]),
          "site %s" % f["site"])
    text = text_report(data)
    check("mutex stats_lock: " in text and
          "most waits called from update_stats (lock_contention.c:%d)" % line[0] in text,
          "text:\n" + text[:1500])


# ---- where the time goes, and event loops that stall ----

def thread_named(rep, name):
    rows = [t for t in rep["threads"] if t["name"] == name]
    check(len(rows) == 1, "%d threads named %r: %s" % (len(rows), name, rep["threads"]))
    return rows[0]


def dominant(t):
    """The part of a threads[] entry that took the most time."""
    return max(t["breakdown"], key=lambda k: t["breakdown"][k])


def check_sums(rep):
    """Each thread's parts add up to its wall time; each process's parts
    are its threads' summed."""
    for t in rep["threads"]:
        check(sum(t["breakdown"].values()) == t["wall_ns"], "parts of %s do not add up to %d" %
              (t, t["wall_ns"]))
    for p in rep["processes"]:
        mine = [t for t in rep["threads"] if t["pid"] == p["pid"]]
        for k, v in p["breakdown"].items():
            check(v == sum(t["breakdown"][k] for t in mine), "process %s: %s" % (k, p["breakdown"]))


def case_time_breakdown():
    """Threads that each do one thing: each one's largest part is that
    thing, in the amounts the program spent."""
    data, out = record([prog("breakdown"), TMP])
    check(out == "done\n", "program output %r" % out)
    rep = report(data)
    check_sums(rep)
    expect = {"disk": "disk_ns", "net-client": "net_ns", "net-server": "net_ns",
              "lock-wait": "lock_ns", "sleep": "sleep_ns", "cpu": "other_ns"}
    for name, part in expect.items():
        t = thread_named(rep, name)
        check(dominant(t) == part, "thread %s: most time in %s, not %s: %s" %
              (name, dominant(t), part, t["breakdown"]))
        check(t["breakdown"][part] >= 0.5 * t["wall_ns"], "thread %s: %s is not most of its "
              "time: %s" % (name, part, t))
    ms = 1000000
    sleep = thread_named(rep, "sleep")["breakdown"]["sleep_ns"]
    check(300 * ms <= sleep <= 330 * ms, "slept %d ns for 300 ms" % sleep)
    # The waiter starts waiting once it runs after the barrier, a little
    # after the sleeper started sleeping (later on a loaded machine).
    lock = thread_named(rep, "lock-wait")["breakdown"]["lock_ns"]
    check(200 * ms <= lock <= sleep + 10 * ms, "waited %d ns for a mutex held %d ns" %
          (lock, sleep))
    cpu = thread_named(rep, "cpu")
    check(cpu["breakdown"]["other_ns"] >= 295 * ms, "spun %d ns for 300 ms" %
          cpu["breakdown"]["other_ns"])
    check(sum(v for k, v in cpu["breakdown"].items() if k != "other_ns") < ms,
          "the spinning thread waited: %s" % cpu["breakdown"])
    disk = thread_named(rep, "disk")
    file_calls = sum(row["total_ns"] for call, row in calls(rep).items()
                     if call in ("open", "openat", "write", "fsync", "close"))
    check(disk["breakdown"]["disk_ns"] <= file_calls, "disk time beyond the disk calls (%d ns): "
          "%s" % (file_calls, disk))
    text = subprocess.run([WHYSLOW, "report", data], capture_output=True, text=True).stdout
    table = text[text.index("  time per thread:"):].split("\n\n")[0].splitlines()
    check(all(len(l) <= 100 for l in table), "the table is wider than 100 columns:\n" +
          "\n".join(table))
    row = next(l for l in table[2:] if l.split()[1] == "sleep")
    check("S" * 29 in row, "the sleeping thread's bar: %r" % row)


def case_time_breakdown_sqlite():
    """What SQLite reads and writes inside its statements is database
    time, not disk time."""
    db = os.path.join(TMP, "io.db")
    data, out = record([PYTHON, os.path.join(HERE, "progs", "py_sqlite_io.py"), db])
    check(out == "50000 10000000\n", "program output %r" % out)
    rep = report(data)
    check_sums(rep)
    c = calls(rep)
    check(c["pread64"]["count"] >= 100, "SQLite read its file %d times" % c["pread64"]["count"])
    sqlite_io = sum(c[k]["total_ns"] for k in ("pread64", "pwrite64", "fdatasync") if k in c)
    t = rep["threads"][0]
    check(len(rep["threads"]) == 1 and t["tid"] == rep["processes"][0]["pid"], "one thread")
    b = t["breakdown"]
    check(b["disk_ns"] < sqlite_io / 2, "SQLite's I/O (%d ns) counted as disk: %s" % (sqlite_io, b))
    check(b["db_ns"] >= sqlite_io, "SQLite's I/O (%d ns) not in its statements: %s" %
          (sqlite_io, b))
    queries = sum(q["total_ns"] for q in rep["queries"])
    check(b["db_ns"] >= queries, "db %d below the statements' %d" % (b["db_ns"], queries))


def stalls_of(rep):
    return [f for f in rep["findings"] if f["kind"] == "event_loop_stall"]


def one_stall(rep, what, least_ms=290):
    found = stalls_of(rep)
    check(len(found) == 1, "%s: %d event_loop_stall findings: %s" % (what, len(found), found))
    f = found[0]
    ms = 1000000
    check(f["count"] == 1 and f["stall_ns"] == f["total_ns"], "%s: one stall: %s" % (what, f))
    check(least_ms * ms <= f["stall_ns"] <= 1500 * ms, "%s: stall of %d ns" % (what, f["stall_ns"]))
    check(f["tid"] == f["pid"] and f["waits"] >= 3, "%s: the main thread's loop: %s" % (what, f))
    check(f["severity"] == "high" and f["summary"], "%s: severity/summary %s" % (what, f))
    check(sum(g["time_ns"] for g in f["during"]) + f["cpu_ns"] == f["stall_ns"],
          "%s: the parts of the stall do not add up: %s" % (what, f))
    return f


def case_asyncio_stall():
    """asyncio: a coroutine that sleeps, queries or computes without
    awaiting stalls the loop once; awaiting does not."""
    script = os.path.join(HERE, "progs", "py_asyncio.py")
    ms = 1000000
    for mode in ("sleep", "query", "cpu", "await"):
        data, out = record([PYTHON, script, mode], data=os.path.join(TMP, mode))
        check(out == "done %s\n" % mode, "program output %r" % out)
        rep = report(data)
        check(count(rep, "epoll_wait") >= 10, "%s: the loop's waits: %d" %
              (mode, count(rep, "epoll_wait")))
        if mode == "await":
            check(not stalls_of(rep), "await: no stall expected: %s" % stalls_of(rep))
            continue
        # The query's length is measured before, roughly: at least 150 ms.
        f = one_stall(rep, mode, 150 if mode == "query" else 290)
        check(f["call"] == "epoll_wait", "%s: loop call %s" % (mode, f["call"]))
        top = f["during"][0] if f["during"] else {}
        if mode == "sleep":
            check(top.get("kind") == "sleep" and top.get("call") == "clock_nanosleep" and
                  top.get("count") == 1, "sleep: during %s" % f["during"])
            check(300 * ms <= top["time_ns"] <= 330 * ms, "sleep: slept %d ns" % top["time_ns"])
            check("sleeping (clock_nanosleep)" in f["summary"], "sleep: %s" % f["summary"])
        elif mode == "query":
            check(top.get("kind") == "query" and top.get("db") == "sqlite" and
                  "with recursive" in top.get("normalized", "") and top.get("count") == 1,
                  "query: during %s" % f["during"])
            check(top["time_ns"] >= 0.9 * f["stall_ns"], "query: %d of %d ns" %
                  (top["time_ns"], f["stall_ns"]))
            check("sqlite query `with recursive" in f["summary"], "query: %s" % f["summary"])
        else:
            check(f["cpu_ns"] >= 0.95 * f["stall_ns"], "cpu: %d of %d ns" %
                  (f["cpu_ns"], f["stall_ns"]))
            check("in it: CPU" in f["summary"], "cpu: %s" % f["summary"])


def case_node_stall():
    """Node.js: a timer callback that busy-loops 300 ms stalls the loop;
    timers that return at once do not."""
    node = "/usr/bin/node"
    need_file(node, "Debian's nodejs package")
    script = os.path.join(HERE, "progs", "node_loop.js")
    for mode in ("busy", "timers"):
        data, out = record([node, script, mode], data=os.path.join(TMP, mode))
        check(out == "done %s\n" % mode, "program output %r" % out)
        # 200 ms, not the default 100: on a busy 2-core machine Node's own
        # start (compiling, loading) can keep its loop from waiting for
        # over 100 ms; the callback's stall is 300 ms.
        rep = report(data, "--stall-ms", "200")
        pid = rep["processes"][0]["pid"]
        waits = count(rep, "epoll_pwait", pid) + count(rep, "epoll_wait", pid)
        check(waits >= 10, "%s: the loop's waits: %d" % (mode, waits))
        if mode == "timers":
            check(not stalls_of(rep), "timers: no stall expected: %s" % stalls_of(rep))
            continue
        f = one_stall(rep, mode)
        check(f["cpu_ns"] >= 0.95 * f["stall_ns"], "busy: cpu %d of %d ns" %
              (f["cpu_ns"], f["stall_ns"]))


def case_example_event_loop_stall():
    """The C example of `make demo`: an epoll loop whose handler waits for
    a backend twice, 300 ms each time, in recv."""
    data, out = record([os.path.join(EXAMPLES, "event_loop_stall")])
    check(out.count("price 42.00") == 2, "program output %r" % out)
    rep = report(data)
    found = stalls_of(rep)
    check(len(found) == 1, "event_loop_stall findings: %s" % found)
    f = found[0]
    ms = 1000000
    check(f["count"] == 2 and f["call"] == "epoll_wait" and f["waits"] >= 15, "stall %s" % f)
    check(300 * ms <= f["stall_ns"] <= 400 * ms and 600 * ms <= f["total_ns"] <= 800 * ms,
          "stall times %s" % f)
    top = f["during"][0]
    check(top["kind"] == "call" and top["call"] == "recv" and top["target"].startswith("127.0.0.1:")
          and top["count"] == 1 and top["time_ns"] >= 290 * ms, "what blocked it: %s" % f["during"])
    check("recv on 127.0.0.1:" in f["summary"], "summary %r" % f["summary"])
# ---- concurrency: pools of connections and of threads, the GIL, locks ----

POOLS_PROG = os.path.join(HERE, "progs", "py_pools.py")
MS = 1000000


def kinds(rep):
    return sorted({f["kind"] for f in rep["findings"]})


def check_none(rep, what, *kinds_):
    found = [f for f in rep["findings"] if f["kind"] in kinds_]
    check(not found, "%s: no %s expected: %s" % (what, "/".join(kinds_), found))


def check_pool(rep, size, resource, what):
    """One pool_exhaustion finding: SIZE connections to RESOURCE (a prefix),
    6 threads of which at least 4 had to wait at their first checkout."""
    found = findings_of(rep, "pool_exhaustion")
    check(len(found) == 1, "%s: expected one pool_exhaustion finding: %s" % (what, rep["findings"]))
    f = found[0]
    check(f["pool_size"] == size, "%s: pool_size %d, expected %d" % (what, f["pool_size"], size))
    check(f["resource"].startswith(resource), "%s: resource %r" % (what, f["resource"]))
    check(f["waiters"] >= 4 and 4 <= f["threads"] <= 6,
          "%s: waiters %d by %d threads" % (what, f["waiters"], f["threads"]))
    check(f["wait_total_ns"] >= 100 * MS and 20 * MS <= f["wait_max_ns"] <= f["wait_total_ns"],
          "%s: waits %d ns, max %d ns" % (what, f["wait_total_ns"], f["wait_max_ns"]))
    check(f["severity"] == "high" and "ran dry" in f["summary"] and "bigger" in f["summary"],
          "%s: %s" % (what, f))
    check(f["site"] is not None and f["caller"], "%s: no site: %s" % (what, f))
    check_none(rep, what, "lock_contention", "thread_pool_exhaustion")
    return f


def case_pool_exhaustion_sqlalchemy():
    """SQLAlchemy's QueuePool of 2 SQLite connections, 6 threads holding
    one across 30 ms of other work: pool_exhaustion; a pool of 6: none."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    db = os.path.join(TMP, "app.db")
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "sqlalchemy", "sqlite:///" + db, "2"])
    check(out == "ok 18\n", "program output %r" % out)
    check_pool(report(data), 2, "sqlite connections to " + db, "pool of 2")
    data, _ = traced_like_untraced([PYTHON, POOLS_PROG, "sqlalchemy", "sqlite:///" + db, "6"])
    rep = report(data)
    check_none(rep, "pool of 6", "pool_exhaustion", "lock_contention", "thread_pool_exhaustion")


def case_pool_exhaustion_postgres():
    """The same on a real PostgreSQL server through psycopg2."""
    need_python_module("sqlalchemy", "python3-sqlalchemy")
    need_python_module("psycopg2", "python3-psycopg2")
    server = pg_server()
    url = "postgresql+psycopg2://"  # libpq takes the server from PGHOST and the rest
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "sqlalchemy", url, "2"],
                                     env=server.env())
    check(out == "ok 18\n", "program output %r" % out)
    f = check_pool(report(data), 2, "postgres connections to host=", "pool of 2")
    check(f["db"] == "postgres" and "dbname=whyslow" in f["resource"], "resource %r" % f)
    data, _ = traced_like_untraced([PYTHON, POOLS_PROG, "sqlalchemy", url, "6"], env=server.env())
    check_none(report(data), "pool of 6", "pool_exhaustion", "lock_contention")


def source_line(name, needle):
    with open(os.path.join(HERE, "..", "..", "examples", name)) as f:
        lines = [n for n, l in enumerate(f, 1) if needle in l]
    check(len(lines) == 1, "%s: %d lines with %r" % (name, len(lines), needle))
    return lines[0]


def case_example_pool_exhaustion():
    """The C example: 2 sqlite3 connections behind a mutex and a condition
    variable for 6 threads; with 6 connections, no finding."""
    exe = os.path.join(EXAMPLES, "pool_exhaustion")
    need_file(exe, "built only when libsqlite3-dev was installed at configure time")
    data, out = record([exe])
    check("with a pool of 2 connections" in out, "output %r" % out)
    rep = report(data)
    f = check_pool(rep, 2, "sqlite connections to /tmp/pool_exhaustion-", "C pool of 2")
    line = source_line("pool_exhaustion.c", "pthread_cond_wait(&pool.avail")
    check((f["site"].get("function"), os.path.basename(f["site"].get("file", "")),
           f["site"].get("line")) == ("checkout", "pool_exhaustion.c", line), "site %s" % f["site"])
    text = text_report(data)
    check("pool_exhaustion" in text and "most waits called from checkout (pool_exhaustion.c:%d)"
          % line in text, "text:\n" + text[:1500])
    data, _ = record([exe, "6", "6"], data=os.path.join(TMP, "big"))
    check_none(report(data), "C pool of 6", "pool_exhaustion", "lock_contention")


def check_thread_pool(rep, what, saturated_min=200 * MS):
    """One thread_pool_exhaustion finding: 2 workers busy sleeping through
    2 batches of 8 tasks of 40 ms (4 rounds each, 320 ms in all), or
    saturated_min of tasks."""
    found = findings_of(rep, "thread_pool_exhaustion")
    check(len(found) == 1, "%s: expected one thread_pool_exhaustion: %s" % (what, rep["findings"]))
    f = found[0]
    check(f["workers"] == 2, "%s: workers %d" % (what, f["workers"]))
    check(saturated_min <= f["saturated_ns"], "%s: saturated %d ns" % (what, f["saturated_ns"]))
    check(f["waits"] >= 4 and 100 * MS <= f["wait_total_ns"] <= f["saturated_ns"],
          "%s: %d waits, %d ns" % (what, f["waits"], f["wait_total_ns"]))
    busy = f["busy_in"]
    check(set(busy) == {"disk_ns", "net_ns", "lock_ns", "db_ns", "sleep_ns", "wait_ns", "other_ns"},
          "%s: busy_in %s" % (what, busy))
    check(sum(busy.values()) == 2 * f["saturated_ns"], "%s: busy_in adds up to %d, not 2 x %d" %
          (what, sum(busy.values()), f["saturated_ns"]))
    check(busy["sleep_ns"] >= 0.8 * 2 * f["saturated_ns"], "%s: busy sleeping %s" % (what, busy))
    check("sleeping" in f["summary"] and "add workers" in f["summary"], "%s: %s" % (what, f))
    check(f["site"] is not None, "%s: no site" % what)
    check_none(rep, what, "lock_contention", "pool_exhaustion")
    return f


def case_thread_pool_executor():
    """concurrent.futures.ThreadPoolExecutor(max_workers=2), 2 batches of
    8 tasks of 40 ms, the main thread waiting on the results: a
    thread_pool_exhaustion finding; with 8 workers, none."""
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "executor", "2"])
    check(out == "ok 120\n", "program output %r" % out)
    check_thread_pool(report(data), "2 workers")
    data, _ = traced_like_untraced([PYTHON, POOLS_PROG, "executor", "8"])
    check_none(report(data), "8 workers", "thread_pool_exhaustion", "lock_contention")


def case_thread_pool_map():
    """The one-shot list(ThreadPoolExecutor(max_workers=2).map(task,
    range(10))), tasks of 40 ms: its workers wait for work only at the end
    (maybe one of them only), yet a thread_pool_exhaustion finding of 2
    workers (5 rounds: 200 ms saturated, less the gap between the workers'
    starts); with 10 workers, none.  When both workers find the queue's
    end mark without waiting (a busy machine may delay them), the log shows
    no queue, and the run is made again, up to 5 times."""
    for _ in range(5):
        data, out = traced_like_untraced([PYTHON, POOLS_PROG, "map", "2"])
        check(out == "ok 45\n", "program output %r" % out)
        lines = dump(data)
        pid = next(m.group(1) for m in map(re.compile(r" pid=(\d+) ").search, lines) if m)
        if any(" sem_wait " in l and " tid=%s " % pid not in l for l in lines):
            break  # a worker waited for work
    else:
        check(False, "no worker waited for work in 5 runs")
    check_thread_pool(report(data), "map, 2 workers", saturated_min=190 * MS)
    data, _ = traced_like_untraced([PYTHON, POOLS_PROG, "map", "10"])
    check_none(report(data), "map, 10 workers", "thread_pool_exhaustion", "lock_contention")


def case_thread_progress():
    """2 long-running threads that each report progress to the main thread
    10 times (an Event it waits on, or a Condition) deliver results in
    turn like pool workers, but never wait for work: no
    thread_pool_exhaustion."""
    for kind in ("event", "cond"):
        data, out = traced_like_untraced([PYTHON, POOLS_PROG, "progress", kind])
        check(out == "ok 20\n", "program output %r" % out)
        check_none(report(data), "progress " + kind, "thread_pool_exhaustion")


def case_example_thread_pool():
    """The C example: 2 workers parked on a condition variable between
    tasks; with 8 workers for 8 tasks, no finding."""
    exe = os.path.join(EXAMPLES, "thread_pool")
    data, out = record([exe])
    check(out == "16 tasks on 2 workers: sum 240\n", "output %r" % out)
    rep = report(data)
    f = check_thread_pool(rep, "C pool of 2")
    line = source_line("thread_pool.c", "pthread_cond_wait(&finished")
    check((f["site"].get("function"), f["site"].get("line")) == ("wait_for", line),
          "site %s" % f["site"])
    check(f["queue_kind"] == "cond", "queue %s %s" % (f["queue"], f["queue_kind"]))
    data, _ = record([exe, "8", "8"], data=os.path.join(TMP, "big"))
    check_none(report(data), "C pool of 8", "thread_pool_exhaustion", "lock_contention")


def case_gil_contention():
    """3 CPU-bound Python threads: gil_contention with their shares; 3
    threads that sleep, or a single CPU-bound one: none."""
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "gil", "cpu", "3"])
    rep = report(data)
    found = findings_of(rep, "gil_contention")
    check(len(found) == 1, "expected one gil_contention finding: %s" % rep["findings"])
    f = found[0]
    pid = rep["processes"][0]["pid"]
    tids = [t["tid"] for t in f["threads"]]
    check(len(tids) == 3 and len(set(tids)) == 3 and pid not in tids,
          "the 3 spinning threads, not the main one: %s" % f["threads"])
    for t in f["threads"]:
        check(0.2 <= t["share"] <= 1 and t["wait_ns"] <= t["wall_ns"], "thread %s" % t)
        check(abs(t["share"] - t["wait_ns"] / t["wall_ns"]) < 0.001, "share %s" % t)
    check(f["wait_total_ns"] >= sum(t["wait_ns"] for t in f["threads"]) and
          f["wait_total_ns"] >= 50 * MS and 0.1 <= f["share"] < 1,
          "totals %d ns, share %s" % (f["wait_total_ns"], f["share"]))
    check(f["summary"].startswith("3 CPU-bound Python threads took turns on the GIL"),
          "summary %r" % f["summary"])
    check_none(rep, "cpu 3", "lock_contention", "thread_pool_exhaustion", "pool_exhaustion")
    for args in (["io", "3"], ["cpu", "1"]):
        data, _ = traced_like_untraced([PYTHON, POOLS_PROG, "gil"] + args)
        check_none(report(data), " ".join(args), "gil_contention", "lock_contention")


def case_lock_or_park():
    """lock_contention names a threading.Lock 4 threads queue on (its
    releasers also wait for it); not a worker parked on its queue, threads
    waiting on Events or for a result (sem waits too, in CPython)."""
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "lock", "4"])
    check(out == "ok 60\n", "program output %r" % out)
    rep = report(data)
    found = findings_of(rep, "lock_contention")
    check(len(found) == 1, "expected one lock_contention finding: %s" % rep["findings"])
    f = found[0]
    # One of the 4 may never have to wait when the scheduler favours it.
    check((f["lock_kind"], f["role"]) == ("sem", "lock") and f["threads"] >= 3 and
          f["contended"] >= 5, "the lock: %s" % f)
    data, out = traced_like_untraced([PYTHON, POOLS_PROG, "parked"])
    check(out == "ok 5\n", "program output %r" % out)
    rep = report(data)
    check_none(rep, "parked", "lock_contention", "thread_pool_exhaustion", "pool_exhaustion")
    sems = [l for l in rep["locks"] if l["kind"] == "sem"]
    check(sems and all(l["role"] == "park" for l in sems), "roles of the sems: %s" % sems)
    check(sum(l["wait_total_ns"] for l in sems) >= 100 * MS, "parked time %s" % sems)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    try:
        CASES[sys.argv[2]]()
    finally:
        for stop in STOP_AT_END:
            stop()
        if not os.environ.get("E2E_KEEP"):  # E2E_KEEP=1 keeps the logs to look at
            shutil.rmtree(TMP, ignore_errors=True)
    print("ok")
