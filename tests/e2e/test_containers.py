# SPDX-License-Identifier: MIT
"""test_containers.py - e2e cases: the traced program as a container's init
or a supervisor would run it.  A process that reaps orphans (PID 1 of a pid
namespace, a child subreaper) must never see a process it did not make;
`whyslow record` keeps the processes it adds bounded; a flusher does not
look like the program and ends on SIGTERM or SIGINT sent to it.

Run by tests/run.py, one case per process (ctest: e2e.containers.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import shutil
import signal
import subprocess
import time

from whyslow_test import (LIB, PYTHON, TMP, WHYSLOW, check, eq, require, skip, at_end, report,
                          record, prog, count, children, children_named, named_below, until,
                          log_names)

REAPED = "reaped 4 unknown 0"  # its 3 children and the leaf one of them orphaned


def run_bounded(argv, env=None, timeout=60):
    """Runs argv in a session of its own; kills the whole session if it
    hangs (a PID 1 ignores the signals it has no handler for)."""
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return None, out, err
    return p.returncode, out, err


def need_root_ns():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        skip("needs root and unshare(1)")


def check_reaper_logs(data, what, pid1):
    """The reaper, its 3 children, the image one exec'd and the leaf one
    spawned: 6 logs with their writes, none lost or cut."""
    rep = report(data)
    procs = [p for p in rep["processes"] if p["exe"].endswith("e2e_reaper")]
    eq(len(procs), 6, "%s: logs of the reaper's processes" % what)
    writes = sorted(count(rep, "write", p["pid"]) if p["end"] and p["end"]["kind"] != "exec"
                    else -1 for p in procs)
    # The reaper 2, a child 5, the child that spawned a leaf 5 and 1 to a
    # pipe, the leaves 3 (the other child's first image is left out: 5).
    eq(sorted(w for w in writes if w >= 0), [2, 3, 3, 5, 6], "%s: writes per process" % what)
    for p in procs:
        check(p["lost_events"] == 0 and not p["truncated"], "%s: clean log %s" % (what, p["log"]))
    if pid1:
        check(any(p["pid"] == 1 for p in procs), "%s: the reaper is PID 1" % what)


def case_pid1_reaper():
    """The program is PID 1 of a pid namespace, preloaded by hand: it reaps
    its children and the orphans below it, and sees no other process.  Its
    flusher and those of every traced process below it are threads."""
    need_root_ns()
    plain = run_bounded(["unshare", "--pid", "--fork", "--mount-proc", prog("reaper")])
    require(plain[0] == 0 and REAPED in plain[1], "untraced: %s" % (plain,))
    data = os.path.join(TMP, "pid1")
    os.mkdir(data, 0o700)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    rc, out, err = run_bounded(["unshare", "--pid", "--fork", "--mount-proc", prog("reaper")],
                               env=env)
    eq((rc, out, err), plain, "PID 1 traced: what it does and sees (fds too)")
    check_reaper_logs(data, "PID 1", True)


def case_pid1_reaper_seccomp():
    """The same where unshare(2) is refused, as under a container runtime's
    seccomp profile, and the program closes every fd from 3 up at start: the
    flusher thread's log is kept in the program's own fd table, guarded."""
    need_root_ns()
    argv = ["unshare", "--pid", "--fork", "--mount-proc", prog("noshare"), prog("reaper"),
            "closefds"]
    plain = run_bounded(argv)
    require(plain[0] == 0 and REAPED in plain[1], "untraced: %s" % (plain,))
    data = os.path.join(TMP, "pid1")
    os.mkdir(data, 0o700)
    rc, out, err = run_bounded(argv, env=dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data))
    check(rc == 0 and REAPED in out and err == "", "PID 1 traced: %s" % ((rc, out, err),))
    check_reaper_logs(data, "guarded log", True)


def case_closefds_shared_table():
    """A flusher thread that must share the program's fd table opens /proc
    files at the lowest free numbers while the program closes every fd
    from 3 up and opens a pipe, over and over: the program never loses its
    pipe to the thread (it did: the thread read the program's data, and
    both then waited on the pipe for good)."""
    data = os.path.join(TMP, "cf")
    os.mkdir(data, 0o700)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_FLUSH_MS="1",
               WHYSLOW_REAPER="1")
    rc, out, err = run_bounded([prog("noshare"), prog("closefds"), "1500"], env=env, timeout=30)
    m = re.match(r"rounds (\d+) bad 0$", out.strip())
    check(rc == 0 and m and err == "", "traced: %s" % ((rc, out, err),))
    if not m:
        return
    rep = report(data)
    runs = [p for p in rep["processes"] if p["exe"] == prog("closefds")]
    eq(len(runs), 1, "one log of the program")
    eq(count(rep, "write", runs[0]["pid"]), int(m.group(1)), "a write per round")
    check(runs[0]["lost_events"] == 0 and runs[0]["end"] == {"kind": "exit", "status": 0},
          "clean log, and its end: %s" % runs[0])


def case_pid1_reaper_recorded():
    """Under `whyslow record`, PID 1 of another pid namespace cannot be
    served (record's /proc names it otherwise): it too gets a thread."""
    need_root_ns()
    data = os.path.join(TMP, "rec")
    rc, out, err = run_bounded([WHYSLOW, "record", "-o", data, "--", "unshare", "--pid", "--fork",
                                "--mount-proc", prog("reaper")])
    check(rc == 0 and REAPED in out, "recorded: %s" % ((rc, out, err),))
    check_reaper_logs(data, "recorded", True)


def case_record_refuses():
    """A process record cannot serve (its pid is another namespace's, as
    the name of record's socket shows) sends no hello: its own flusher
    starts at its first event, and writes its log while it runs, not only
    at its end."""
    need_root_ns()
    data = os.path.join(TMP, "rec")
    # PID 1 of the namespace is not traced: the program below it is no
    # reaper's, and starts no thread.
    script = 'env -u WHYSLOW_DISABLE -u WHYSLOW_REAPER "$0" pending; echo done'
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", "unshare", "--pid", "--fork",
                          "--mount-proc", "env", "WHYSLOW_DISABLE=1", "sh", "-c", script,
                          prog("lifecycle")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    mine = []

    def stop():  # the program too: record's end does not end it
        for pid in mine:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        p.kill()
        p.wait()
    at_end(stop)
    deadline = time.monotonic() + 30

    def wait_for(what, ok):
        while time.monotonic() < deadline and not ok():
            time.sleep(0.01)
        require(ok(), what)
    wait_for("the program waits for its signal", lambda: named_below(p.pid, "pending-1"))
    pid = named_below(p.pid, "pending-1")[0]
    mine.append(pid)
    os.kill(pid, signal.SIGUSR2)  # its first events
    wait_for("it wrote", lambda: named_below(p.pid, "pending-2"))
    with open("/proc/%d/status" % pid) as f:  # its pid in its namespace: its log's name
        nspid = re.search(r"^NSpid:.*\s(\d+)$", f.read(), re.M).group(1)
    wait_for("its log, made while it runs", lambda: os.path.exists(
        os.path.join(data, nspid + ".wslog")))
    os.kill(pid, signal.SIGUSR2)  # exit(3)
    out, err = p.communicate(timeout=60)
    eq((p.returncode, out), (0, "done\n"), "the script's status and output (%s)" % err)
    rep = report(data)
    runs = [q for q in rep["processes"] if q["exe"] == prog("lifecycle")]
    eq(len(runs), 1, "one log of the program")
    eq(count(rep, "write", runs[0]["pid"]), 2, "its writes")
    check(runs[0]["lost_events"] == 0 and runs[0]["end"] == {"kind": "exit", "status": 3},
          "clean log, and its end: %s" % runs[0])


def case_subreaper():
    """A program that becomes a child subreaper after its start (prctl):
    wait() gives it its children and orphans, never a flusher, with the
    library preloaded by hand and under record."""
    data = os.path.join(TMP, "sub")
    os.mkdir(data, 0o700)
    rc, out, err = run_bounded([prog("reaper"), "subreaper"],
                               env=dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data))
    check(rc == 0 and REAPED in out and err == "", "preloaded: %s" % ((rc, out, err),))
    check_reaper_logs(data, "preloaded", False)
    data, out = record([prog("reaper"), "subreaper"], data=os.path.join(TMP, "rec"))
    check(REAPED in out, "recorded: %r" % out)
    check_reaper_logs(data, "recorded", False)


def whyslow_processes(root):
    """record's children now: its flushers, and zombies of anything (other
    tests' flushers are not ours)."""
    flushers = zombies = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) != root:
            continue
        if comm == "whyslow-flush":
            flushers += 1
        if state == "Z":
            zombies += 1
    return flushers, zombies


def case_record_bounded():
    """300 short processes under record: the processes record adds stay a
    few at a time (it serves the flushers and reaps as they end), in a pids
    cgroup where untraced the loop fits."""
    loop = ["sh", "-c", "for i in $(seq 300); do /bin/true; done"]
    data = os.path.join(TMP, "loop")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--"] + loop, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    most = (0, 0)
    while p.poll() is None:
        most = tuple(max(a, b) for a, b in zip(most, whyslow_processes(p.pid)))
        time.sleep(0.002)
    out, err = p.communicate()
    eq(p.returncode, 0, "the loop's status")
    # record reuses its flushers, reaps what ends, and when the loop runs
    # ahead of them (its processes do not wait for theirs) forks another
    # only once one waited 20 ms, one per 20 ms: a few at once here, and
    # the bound allows for a busy machine's lag.  Before record reaped, 191
    # were there at once.
    check(most[0] <= 30 and most[1] <= 30, "flushers and zombies at once: %s" % (most,))
    # sh, its child for $(seq 300) and the seq it execs, and 300 /bin/true:
    # a log each, most of them packed, a file for each flusher (and for a
    # process that outlived WS_PACK_MS, as the loop's sh may).
    eq(len(report(data)["processes"]), 303, "a log per image")
    check("303 logs in" in err, "record's count: %s" % err)
    files = [f for f in os.listdir(data) if f.endswith(".wslog")]
    check(len(files) <= 60 and any(f.startswith("pack-") for f in files),
          "%d files for 303 logs: %s" % (len(files), files))

    # Under a parent that reaps nothing (a container's init may not), a
    # process record left behind would stay its zombie child: none.
    parent = ("import ctypes, os, subprocess, sys\n"
              "ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER\n"
              "subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL)\n"
              "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
              "    try: stat = open('/proc/%s/stat' % pid).read()\n"
              "    except OSError: continue  # another's, gone\n"
              "    if int(stat[stat.rindex(')') + 2:].split()[1]) == os.getpid():\n"
              "        print(stat[stat.index('(') + 1:stat.rindex(')')])\n")
    left = subprocess.run([PYTHON, "-c", parent, WHYSLOW, "record", "-o", data, "--"]
                          + loop, capture_output=True, text=True, timeout=120)
    eq(left.stdout.split(), [], "record's processes left behind (%r)" % left.stderr[-300:])

    cg = "/sys/fs/cgroup/pids"
    if os.geteuid() != 0 or not os.path.isdir(cg):
        return
    group = os.path.join(cg, "whyslow-test-%d" % os.getpid())
    os.mkdir(group)
    try:
        with open(os.path.join(group, "pids.max"), "w") as f:
            f.write("12")
        run = ["sh", "-c", 'echo $$ > %s/cgroup.procs && exec "$@"' % group, "sh"]
        plain = subprocess.run(run + loop, capture_output=True, text=True, timeout=120)
        require(plain.returncode == 0 and plain.stderr == "", "untraced in 12 pids: %s" % plain)
        traced = subprocess.run(run + [WHYSLOW, "record", "-o", data, "--"] + loop,
                                capture_output=True, text=True, timeout=120)
        check(traced.returncode == 0 and "fork" not in traced.stderr,
              "traced in 12 pids: %d %r" % (traced.returncode, traced.stderr[-300:]))
        # record reaped its flushers before it exited: an orphan's zombie
        # waits for init, which in a container may never reap it.
        eq(cgroup_comms(group), [], "processes left in the cgroup after record")
    finally:
        for _ in range(500):
            if not cgroup_comms(group):
                break
            time.sleep(0.01)
        os.rmdir(group)


def case_record_cannot_fork():
    """record, once its first flusher is forked, moved alone into a pids
    cgroup it fills: it can fork no other.  The loop's shell records an
    event first, and that flusher serves it to its end; the 300 cats after
    it, which do not wait for their flushers, queue (more than the queue
    holds: the rest wait in the socket's backlog) until the shell ends.
    Then each is served: 301 logs, none lost, no warning.  (Refused when
    record could not fork, each cat that had left was lost.)"""
    cg = "/sys/fs/cgroup/pids"
    if os.geteuid() != 0 or not os.path.isdir(cg):
        skip("needs root and a pids cgroup")
    group = os.path.join(cg, "whyslow-test-%d" % os.getpid())
    os.mkdir(group)
    go = os.path.join(TMP, "go")
    data = os.path.join(TMP, "data")
    loop = ('while [ ! -e %s ]; do :; done; read x < %s; i=0; '
            'while [ $i -lt 300 ]; do cat /etc/hostname; i=$((i + 1)); done >/dev/null' % (go, go))
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", "sh", "-c", loop],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        # record's children: the shell, and the flusher it forked first
        while time.monotonic() < deadline and len(children(p.pid)) < 2:
            time.sleep(0.01)
        require(len(children(p.pid)) == 2, "record's first flusher: %s" % children(p.pid))
        with open(os.path.join(group, "pids.max"), "w") as f:
            f.write("1")
        with open(os.path.join(group, "cgroup.procs"), "w") as f:
            f.write(str(p.pid))
        with open(go, "w") as f:
            f.write("go\n")
        out, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:  # the shell too, which would wait for ever
            for kid in children(p.pid):
                os.kill(kid, signal.SIGKILL)
            p.kill()
            p.wait()
        os.rmdir(group)
    eq(p.returncode, 0, "record: %s" % err)
    check("warning" not in err, "no warning: %r" % err[-500:])
    rep = report(data)
    cats = [q for q in rep["processes"] if q["exe"].endswith("/cat")]
    eq(len(cats), 300, "a log per cat")
    eq(sum(1 for q in cats if q["lost_events"] == 0 and q["end"] == {"kind": "exit", "status": 0}
           and count(rep, "write", q["pid"]) == 1), 300, "whole logs, each with its write")


def case_record_few_fds():
    """record under an fd limit of 30 it cannot raise, and 40 traced
    shells alive at once, each with a region and a flusher of record's
    until it ends: record takes a process only with fds for it (and forks
    a flusher only with fds to spare), so the others wait in its socket's
    backlog, and each is served in its turn: a log of each of the 121
    processes, none lost, no warning.  (Taking them regardless, the kernel
    dropped the fds of their hellos: 66 of 121 had no log, unsaid.)"""
    import resource

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (30, 30))
    data = os.path.join(TMP, "data")
    shells = ('i=0; while [ $i -lt 40 ]; do sh -c "read x < /etc/hostname; sleep 1" & '
              'i=$((i + 1)); done; wait')
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--", "sh", "-c", shells],
                       capture_output=True, text=True, timeout=300, preexec_fn=few_fds)
    eq(r.returncode, 0, "record: %s" % r.stderr)
    check("warning" not in r.stderr, "no warning: %r" % r.stderr[-500:])
    rep = report(data)
    logs = {}
    for q in rep["processes"]:
        logs.setdefault(os.path.basename(q["exe"]), []).append(q["lost_events"])
    # the loop's shell, 40 subshells it forked and the shells they exec'd,
    # 40 sleeps
    eq({exe: (len(lost), sum(lost)) for exe, lost in logs.items()},
       {"dash": (81, 0), "sleep": (40, 0)}, "the logs, and events lost in them")


# Lowers record's fd limit below what it holds, once its own flusher took
# it, and runs /bin/true 20 times (each ends with a closing hello for
# record to write); then, told to, sets the limit back.
FDS_TAKEN = """import os, resource, subprocess, sys
rec = os.getppid()
sys.stdin.readline()
soft, hard = resource.prlimit(rec, resource.RLIMIT_NOFILE)
resource.prlimit(rec, resource.RLIMIT_NOFILE, (8, hard))
for i in range(20):
    subprocess.run(["/bin/true"])
print("ran", flush=True)
sys.stdin.readline()
resource.prlimit(rec, resource.RLIMIT_NOFILE, (soft, hard))
print("restored", flush=True)
sys.stdin.readline()
"""


def cpu_ticks(pid):
    """Process pid's CPU time so far, user and system, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def served_python(script, data):
    """`whyslow record` of a Python script (its stdin and stdout pipes),
    once the script's process is served by a flusher of record's."""
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", PYTHON, "-c", script],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    at_end(lambda: p.kill())
    py = until(lambda: named_below(p.pid, "python3"))
    require(py, "the program started")
    require(until(lambda: flusher_of(py[0])), "the program was served")
    return p


def case_record_fds_taken_away():
    """record's fd limit lowered from outside below what it holds (prlimit):
    its accept fails (EMFILE), and the processes that ask meanwhile wait in
    its socket's backlog while record sleeps, not spinning on a socket it
    cannot take from (under a tenth of its CPU time, while 4 busy loops
    would leave a spinning record some third of a CPU).  Once the limit is
    set back, record takes them within its next looks for room, while the
    program still runs: 20 logs in record's pack, none lost, no warning."""
    data = os.path.join(TMP, "data")
    p = served_python(FDS_TAKEN, data)
    p.stdin.write("\n")
    p.stdin.flush()
    eq(p.stdout.readline(), "ran\n", "the program ran its processes")
    before = cpu_ticks(p.pid)
    time.sleep(1)
    spent = cpu_ticks(p.pid) - before
    check(spent < 10, "record sleeps while it has no fds: %d ticks of CPU in 1 s" % spent)
    p.stdin.write("\n")
    p.stdin.flush()
    eq(p.stdout.readline(), "restored\n", "the limit was set back")
    packed = until(lambda: len([n for n in log_names(data) if "#" in n]) == 20, 10)
    check(packed, "the 20 logs written while the program runs: %r" % log_names(data))
    p.stdin.write("\n")
    p.stdin.flush()
    out, err = p.communicate(timeout=60)
    eq(p.returncode, 0, "record: %s" % err)
    check("warning" not in err, "no warning: %r" % err[-500:])
    rep = report(data)
    eq(sorted((os.path.basename(q["exe"]), q["lost_events"]) for q in rep["processes"]
              if not q["exe"].endswith("python3.11")),
       [("true", 0)] * 20, "a log of each /bin/true, nothing lost")


def case_record_fds_never_back():
    """record's fd limit lowered from outside below what it holds, and left
    so: the processes that asked after it cannot be taken, and record says
    so when it ends, not silently (the program's own log is whole)."""
    script = FDS_TAKEN.replace('print("ran", flush=True)', "sys.exit(0)")
    data = os.path.join(TMP, "data")
    p = served_python(script, data)
    out, err = p.communicate("\n", timeout=60)
    eq(p.returncode, 0, "record: %s" % err)
    check("processes that asked at the end were not recorded: whyslow record had no fds left"
          in err, "record says so: %r" % err[-500:])
    rep = report(data)
    eq([(os.path.basename(q["exe"]), q["lost_events"]) for q in rep["processes"]],
       [(os.path.basename(os.path.realpath(PYTHON)), 0)], "the program's log, whole")


def case_flusher_without_fds():
    """A spare flusher of record's whose fd limit was set to 0 from outside
    is handed a process: it cannot take the process's fds (they are cut
    from its hand-over), and record counts that process as not recorded,
    not silently (before, the flusher exited as if record had let it go)."""
    import resource
    # (posix_spawn: its child runs nothing of ours before cat, so the one
    # process handed over is cat's)
    script = ("import os, sys\nsys.stdin.readline()\n"
              "os.waitpid(os.posix_spawn('/bin/cat', ['cat', '/etc/hostname'], os.environ), 0)\n")
    data = os.path.join(TMP, "data")
    p = served_python(script, data)
    spares = until(lambda: children_named(p.pid, "whyslow"))
    require(spares, "record has a spare flusher")
    for f in spares:
        resource.prlimit(f, resource.RLIMIT_NOFILE, (0, 0))
    out, err = p.communicate("\n", timeout=60)
    eq(p.returncode, 0, "record: %s" % err)
    check("1 process was not recorded" in err, "record says so: %r" % err[-500:])
    rep = report(data)
    eq(sorted(os.path.basename(q["exe"]) for q in rep["processes"]),
       [os.path.basename(os.path.realpath(PYTHON))], "the program's log only")


def cgroup_comms(group):
    """The names of the processes in a cgroup (zombies included)."""
    comms = []
    with open(os.path.join(group, "cgroup.procs")) as f:
        for pid in f.read().split():
            try:
                with open("/proc/%s/comm" % pid) as c:
                    comms.append(c.read().strip())
            except OSError:
                comms.append(pid)
    return comms


SLEEPER = ("import os, sys, time\n"
           "for i in range(60):\n"
           "    os.write(1, b'.')\n"
           "    time.sleep(0.03)\n"
           "print(' done', sys.argv[1])\n")


def flusher_of(pid):
    """The flusher whose title names pid."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    cmd = f.read().split(b"\0")[0].decode(errors="replace").strip()
            except OSError:
                continue
            if cmd == "whyslow-flush %d" % pid:
                return int(entry)
    return None


def ended(pid):
    """Whether pid is a zombie or gone (and reaped, as record does, between
    any two looks)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def check_flusher(make, what, sig):
    """Starts the sleeper with make(); its flusher must not match it in
    process listings, must be in a session of its own, and must end on sig,
    which leaves the program running and says so in the report."""
    marker = "whyslow-marker-%d-%s" % (os.getpid(), sig.name)
    proc, data = make(marker)
    time.sleep(0.4)
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    comms = {int(p): open("/proc/%s/comm" % p).read().strip() for p in found}
    # The program, and record, whose arguments hold the program's; never a flusher.
    check("whyslow-flush" not in comms.values(), "%s: pgrep -f finds %s" % (what, comms))
    program = [p for p, comm in comms.items() if comm.startswith("python")]
    require(len(program) == 1, "%s: the program among %s" % (what, comms))
    flusher = flusher_of(program[0])
    require(flusher is not None, "%s: a flusher titled after the program" % what)
    check(os.getsid(flusher) != os.getsid(program[0]), "%s: the flusher's own session" % what)
    os.kill(flusher, sig)
    for _ in range(100):
        if ended(flusher):
            break
        time.sleep(0.02)
    else:
        check(False, "%s: the flusher ended on %s" % (what, sig.name))
    out, err = proc.communicate(timeout=30)
    eq((proc.returncode, out.strip()), (0, "." * 60 + " done " + marker),
       "%s: the program goes on unharmed" % what)
    rep = report(data)
    notes = [n for p in rep["processes"] for n in p["notes"]]
    check(any("recording stopped" in n and sig.name in n for n in notes),
          "%s: the report says recording stopped: %s" % (what, notes))


def case_flusher_title_and_signals():
    """The flusher a program clones for itself, and the one record serves."""
    def preloaded(marker):
        data = os.path.join(TMP, "pre-" + marker)
        os.mkdir(data, 0o700)
        env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
        return subprocess.Popen([PYTHON, "-c", SLEEPER, marker], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True), data

    def recorded(marker):
        data = os.path.join(TMP, "rec-" + marker)
        return subprocess.Popen([WHYSLOW, "record", "-o", data, "--", PYTHON, "-c", SLEEPER,
                                 marker], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True), data

    check_flusher(preloaded, "preloaded", signal.SIGINT)
    check_flusher(recorded, "recorded", signal.SIGTERM)
