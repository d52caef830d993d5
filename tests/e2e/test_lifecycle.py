# SPDX-License-Identifier: MIT
"""test_lifecycle.py - e2e cases: threads and processes from start to end.
Threads created and named, fork, vfork, exec, posix_spawn, _exit, signal
handlers, SIGKILL; and the log readable while the process still runs.

Run by tests/run.py, one case per process (ctest: e2e.lifecycle.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import ctypes
import os
import re
import shutil
import signal
import subprocess
import time

from whyslow_test import (LIB, MS, PYTHON, TMP, WHYSLOW, check, eq, require, skip, at_end,
                          report, dump, record, prog, count, children_named, until, pack_header)

PR_SET_CHILD_SUBREAPER = 36  # (linux/prctl.h)


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
    require(len(root) == 1, "one image that ended by exec")
    root = root[0]
    # The image before the exec names its code too: its flusher read its
    # memory map before the exec replaced it.
    check(any("meta maps" in l for l in dump(root["log"])), "a memory map of the image that exec'd")
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


def case_fork_children_lazy():
    # A child of fork makes its region at its first event: one that execs
    # at once leaves only the new image's log, one that records nothing
    # still has a log saying how it ended, and one whose first event is a
    # signal handler's loses nothing.
    data, _ = record([prog("lifecycle"), "forks"])
    procs = report(data)["processes"]
    check(len(procs) == 4, "processes %d, expected 4: %s" % (len(procs), [p["argv"] for p in procs]))
    parent = [p for p in procs if p["argv"][1:] == ["forks"] and p["end"]["kind"] == "exit"]
    require(len(parent) == 1, "one parent image: %s" % [(p["argv"], p["end"]) for p in procs])
    parent = parent[0]
    execd = [p for p in procs if p["argv"][1:] == ["leaf", "1"]]
    require(len(execd) == 1, "the exec'd child")
    check(execd[0]["ppid"] == parent["pid"], "exec'd child's parent")
    check(sum(1 for p in procs if p["pid"] == execd[0]["pid"]) == 1,
          "no log of the child before its exec")
    check(count(report(execd[0]["log"]), "write") == 1, "exec'd child's write")
    quiet = [p for p in procs if p["end"] == {"kind": "_exit", "status": 9}]
    check(len(quiet) == 1 and quiet[0]["ppid"] == parent["pid"], "child that recorded nothing: %s"
          % [p["end"] for p in procs])
    handler = [p for p in procs if p["end"] == {"kind": "_exit", "status": 0}]
    require(len(handler) == 1, "the child whose first event is a handler's")
    check(count(report(handler[0]["log"]), "write") == 3, "handler child's writes %d"
          % count(report(handler[0]["log"]), "write"))
    for p in procs:
        check(p["lost_events"] == 0 and not p["truncated"], "clean log %s" % p["log"])


def maps_of(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def case_served_one_after_another():
    """A served flusher maps the regions it serves one after another in a
    place of its own, not at the process's address (serve.c); a region
    too large for that place is mapped where the process has it.  Either
    way record's flusher serves it (the log of a process that ends within
    a second is in its pack) with all its events: a shell runs a program
    of 4 threads writing 3000 times each (some 10 ms), three times, then
    once with 300 MiB of buffers."""
    data = os.path.join(TMP, "data")
    run = "%s 4 3000" % prog("threads")
    script = "%s; %s; %s; WHYSLOW_BUFFER_MB=300 %s" % (run, run, run, run)
    record(["sh", "-c", script], data=data)
    rep = report(data)
    threads = [p for p in rep["processes"] if p["exe"].endswith("e2e_threads")]
    eq(len(threads), 4, "processes of the program")
    for p in threads:
        eq((count(rep, "write", p["pid"]), p["lost_events"]), (12000, 0),
           "writes and losses of pid %d" % p["pid"])
        # (a process refused by record's flusher writes a log of its own)
        check("/pack-" in p["log"], "pid %d served by record: its log %s" % (p["pid"], p["log"]))


def case_served_region_at_first_event():
    """Under record, a process makes its region (and says hello) at its
    first event, not at its start: while it records nothing it has none;
    after its first writes it has one; its log has them all and how it
    ended."""
    data = os.path.join(TMP, "data")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", prog("lifecycle"), "pending"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    at_end(lambda: (p.kill(), p.wait()))

    def wait_named(comm):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kids = children_named(p.pid, comm)
            if kids:
                return kids[0]
            time.sleep(0.01)
        require(False, "no child named %s" % comm)

    pid = wait_named("pending-1")
    maps = maps_of(pid)
    check("libwhyslow.so" in maps and "whyslow-buffers" not in maps,
          "loaded, no region before the first event")
    os.kill(pid, signal.SIGUSR2)
    wait_named("pending-2")
    check("whyslow-buffers" in maps_of(pid), "a region after the first event")
    os.kill(pid, signal.SIGUSR2)
    out, err = p.communicate(timeout=60)
    eq(p.returncode, 3, "the program's status: %s" % err)
    procs = report(data)["processes"]
    eq([(q["pid"], q["end"]) for q in procs], [(pid, {"kind": "exit", "status": 3})],
       "one log, ended by exit(3)")
    eq(count(report(data), "write"), 2, "its writes")


def case_served_end_gives_proc():
    """A served process that recorded events puts its memory map and its
    threads' names in its region at its end, and goes without waiting for
    its flusher (launch.c, give_proc()): with that flusher stopped, it
    ends and record reaps it; once the flusher goes on, /proc has nothing
    of it left, and its log still names its code and its threads."""
    data = os.path.join(TMP, "data")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", prog("lifecycle"), "given"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = []
    at_end(lambda: ([os.kill(f, signal.SIGCONT) for f in stopped], p.kill(), p.wait()))
    deadline = time.monotonic() + 30
    pid = serving = None
    while time.monotonic() < deadline and serving is None:
        kids = children_named(p.pid, "given-1")
        pid = kids[0] if kids else pid
        for f in children_named(p.pid, "whyslow-flush") if pid else []:
            try:
                if "whyslow-buffers" in maps_of(f):
                    serving = f
            except OSError:
                pass
        time.sleep(0.01)
    require(serving is not None, "a flusher of record's took the region of %s" % pid)
    os.kill(serving, signal.SIGSTOP)
    stopped.append(serving)
    os.kill(pid, signal.SIGUSR2)

    def state():
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"
    while time.monotonic() < deadline and state() not in ("Z", "gone"):
        time.sleep(0.01)
    eq(state() in ("Z", "gone"), True, "the process ended while its flusher was stopped")
    os.kill(serving, signal.SIGCONT)
    stopped.remove(serving)
    out, err = p.communicate(timeout=60)
    eq(p.returncode, 4, "the program's status: %s" % err)
    rep = report(data)
    procs = rep["processes"]
    eq([(q["pid"], q["end"], q["events"] >= 3) for q in procs],
       [(pid, {"kind": "exit", "status": 4}, True)], "one log, ended by exit(4), its writes")
    eq(sorted(t["name"] for t in rep["threads"]), ["given-1", "given-worker"],
       "the threads' names at the end")
    sites = [w["site"] or {} for w in rep["slowest"] if w["call"] == "write"]
    check(sites and all(os.path.basename(s.get("module", "")) == "e2e_lifecycle" and
                        s.get("function") == "writes" for s in sites),
          "the writes' code named: %s" % sites)


def state_of(pid):
    """A process's state letter (Z: a zombie), or "gone"."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def start_then_stop_record(mode, name):
    """record running prog("lifecycle") mode, stopped (SIGSTOP) once the
    program, named name, waits for its SIGUSR2 before its first event:
    the Popen and the program's pid.  at_end lets record go on."""
    data = os.path.join(TMP, "data")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", prog("lifecycle"), mode],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    at_end(lambda: (p.poll() is None and os.kill(p.pid, signal.SIGCONT), p.kill(), p.wait()))
    kids = until(lambda: children_named(p.pid, name))
    require(kids, "no child named %s" % name)
    at_end(lambda: state_of(kids[0]) != "gone" and os.kill(kids[0], signal.SIGKILL))
    os.kill(p.pid, signal.SIGSTOP)
    return p, kids[0]


def wait_ended(pid, what):
    until(lambda: state_of(pid) in ("Z", "gone"))
    eq(state_of(pid), "Z", what)


def continue_record(p, pid, status):
    """Lets the stopped record go on to its end, which must say nothing
    amiss: the program's log is its one log, whole, with its 2 writes and
    its exit(status).  The report."""
    os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=60)
    eq(p.returncode, status, "the program's status: %s" % err)
    check("warning" not in err, "record warns of nothing: %r" % err)
    rep = report(os.path.join(TMP, "data"))
    eq([(q["pid"], q["end"], q["lost_events"]) for q in rep["processes"]],
       [(pid, {"kind": "exit", "status": status}, 0)], "one log, ended by exit(%d)" % status)
    eq(count(rep, "write"), 2, "its writes")
    return rep


def case_served_end_leaves():
    """A served process that recorded events, and has no answer from
    record yet when it ends, goes without waiting for one when record will
    serve it (launch.c, settle_end()): with record stopped before the
    program's first event, the program ends, and nothing wrote its log
    meanwhile (it started no flusher of its own).  Once record goes on,
    the log is whole: its writes, how it ended, its thread's name, its
    code."""
    p, pid = start_then_stop_record("pending", "pending-1")
    data = os.path.join(TMP, "data")
    os.kill(pid, signal.SIGUSR2)  # its first events, and its hello
    until(lambda: children_named(p.pid, "pending-2"))
    os.kill(pid, signal.SIGUSR2)  # exit(3)
    wait_ended(pid, "the process ended while record was stopped")
    eq([f for f in os.listdir(data) if f.endswith(".wslog")], [], "no log written meanwhile")
    rep = continue_record(p, pid, 3)
    eq([t["name"] for t in rep["threads"]], ["pending-2"], "its thread's name at the end")
    sites = [w["site"] or {} for w in rep["slowest"] if w["call"] == "write"]
    check(sites and all(s.get("function") == "writes" for s in sites),
          "the writes' code named: %s" % sites)


def case_served_other_euid():
    """record serves only a process of its uid, as it was at the hello
    (SO_PEERCRED): a process that wrote as another uid and is back to
    record's at its end does not go without the answer.  With record
    stopped it waits, in vain, and its own flusher writes all it
    recorded; the refusal that comes later finds the word taken."""
    if os.geteuid() != 0:
        skip("needs root (seteuid)")
    p, pid = start_then_stop_record("other-euid", "euid-1")
    os.kill(pid, signal.SIGUSR2)
    wait_ended(pid, "the process ended while record was stopped")
    continue_record(p, pid, 0)


LEFT_LOST = """
import os, socket, struct
fd = os.memfd_create("forged")
os.ftruncate(fd, 8192)
os.pwrite(fd, struct.pack("=i", 3), 4096)  # WS_SERVE_LEFT, where the head is
# A hello (version 9) for a region that is not what it says (1 buffer in
# 8 KiB): the flusher refuses it, and finds that the process left.
hello = struct.pack("=IIQQQIiII", 0x57535356, 9, 0, 8192, 4096, 1, os.getpid(), 0, 0)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("\\0" + os.environ["WHYSLOW_SOCK"][1:])
socket.send_fds(s, [hello], [fd])
s.close()
print("sent")
"""


def case_served_left_lost():
    """A process that left without waiting (WS_SERVE_LEFT) and that record
    could not serve all the same is counted: record says one process was
    not recorded.  The sender's own log is whole."""
    data = os.path.join(TMP, "data")
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--", PYTHON, "-c", LEFT_LOST],
                       capture_output=True, text=True, timeout=120)
    eq((r.returncode, r.stdout), (0, "sent\n"), "the program: %s" % r.stderr)
    check("whyslow: warning: 1 process was not recorded: it ended before whyslow record could "
          "serve it" in r.stderr, "record says so: %r" % r.stderr)
    procs = report(data)["processes"]
    check(len(procs) == 1 and procs[0]["lost_events"] == 0, "the sender's log")


def case_served_nothing_recorded():
    """A process that ends before its first event has no region: its log
    comes from what it sends record at its end (a closing hello), with
    its arguments, its parent, its times and how it ended; one that
    execs first leaves no log of that image, as a fork child's."""
    data, _ = record(["sh", "-c", "exec /bin/true alone"], data=os.path.join(TMP, "exec"))
    eq([q["argv"] for q in report(data)["processes"]], [["/bin/true", "alone"]],
       "no log of a shell that exec'd before its first event")
    before = time.time_ns()
    data, out = record(["sh", "-c", "/bin/true one two; sh -c 'exit 5'; exec /bin/true three"])
    after = time.time_ns()
    procs = report(data)["processes"]
    shells = [q for q in procs if q["argv"][:1] == ["sh"]]
    trues = sorted((q for q in procs if q["exe"].endswith("/true")), key=lambda q: q["argv"])
    eq([q["argv"] for q in trues], [["/bin/true", "one", "two"], ["/bin/true", "three"]],
       "the true processes, with their arguments")
    require(len(shells) == 2, "two shells: %s" % [q["argv"] for q in procs])
    outer = [q for q in shells if q["argv"][2].startswith("/bin/true")][0]
    inner = [q for q in shells if q is not outer][0]
    eq(len(procs), 4, "the outer shell (it waited: events), true one two, sh, true three")
    eq(inner["end"], {"kind": "_exit", "status": 5}, "exit 5 (dash ends by _exit)")
    check(inner["events"] == 0 and trues[0]["events"] == 0, "nothing recorded")
    eq(trues[1]["pid"], outer["pid"], "the exec'd image keeps the pid")
    # record writes those logs itself, in its own pack (no flusher's
    # hand-over); the outer shell's parent is record.
    for q in trues + [inner]:
        check(os.path.basename(q["log"]).startswith("pack-%d.wslog#" % outer["ppid"]),
              "%s's log written by record: %s" % (q["argv"], q["log"]))
    for q in trues + [inner]:
        check(q["ppid"] == outer["pid"] or q is trues[1], "parent of %s" % q["argv"])
        check(before <= q["start_unix_ns"] and q["start_unix_ns"] + q["duration_ns"] <= after,
              "%s ran within record: %d + %d" % (q["argv"], q["start_unix_ns"], q["duration_ns"]))
        check(q["lost_events"] == 0 and not q["truncated"], "clean log %s" % q["log"])


def run_reaping(argv, env):
    """Runs argv with env, this process a child subreaper meanwhile: a
    flusher process cloned below it (orphaned at once) comes back to it,
    and is waited for here.  Returns argv's exit status and how many such
    processes were reaped."""
    libc = ctypes.CDLL(None, use_errno=True)
    require(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "a subreaper")
    try:
        rc = subprocess.run(argv, env=env, timeout=60).returncode
        reaped = 0
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return rc, reaped
            reaped += 1
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def case_own_nothing_recorded():
    """With a flusher of its own (no record), a process makes its region
    and clones its flusher at its first event, not at its start.  One that
    ends before then clones none: it writes its log itself
    (preload/closelog.c), into the folder's pack of such logs, which is a
    valid zstd stream; the log says what a flusher's would (its
    executable, arguments, parent, times, how it ended, what it lost).
    One that execs first leaves no log of that image.  One that records
    has a flusher, a log file of its own, and all its events."""
    data = os.path.join(TMP, "own")
    os.mkdir(data)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    before = time.time_ns()
    eq(run_reaping(["sh", "-c", "exec /bin/true one two"], env), (0, 0),
       "a shell that execs true: exit status, flushers")
    eq(run_reaping(["sh", "-c", "exit 5"], env), (5, 0), "a shell that exits 5 (by _exit)")
    eq(run_reaping([prog("lifecycle"), "leaf", "3"], env), (0, 1), "3 writes: one flusher")
    after = time.time_ns()
    procs = sorted(report(data)["processes"], key=lambda q: q["start_unix_ns"])
    eq([(q["argv"], q["end"], q["events"] > 0) for q in procs],
       [(["/bin/true", "one", "two"], {"kind": "exit", "status": 0}, False),
        (["sh", "-c", "exit 5"], {"kind": "_exit", "status": 5}, False),
        ([prog("lifecycle"), "leaf", "3"], {"kind": "exit", "status": 0}, True)],
       "the logs: no log of the shell that exec'd")
    eq([os.path.realpath(q["exe"]) for q in procs],
       [os.path.realpath("/bin/true"), os.path.realpath("/bin/sh"), prog("lifecycle")],
       "the executables, as /proc names them")
    eq(count(report(procs[2]["log"]), "write"), 3, "the writes of the one that recorded")
    for q in procs:
        check(q["ppid"] == os.getpid(), "parent of %s: %d" % (q["argv"], q["ppid"]))
        check(before <= q["start_unix_ns"] and q["start_unix_ns"] + q["duration_ns"] <= after,
              "%s ran within the test: %d + %d" % (q["argv"], q["start_unix_ns"], q["duration_ns"]))
        check(q["lost_events"] == 0 and not q["truncated"], "clean log %s" % q["log"])
    eq([os.path.basename(q["log"]) for q in procs],
       ["pack-closing.wslog#1", "pack-closing.wslog#2", "%d.wslog" % procs[2]["pid"]],
       "the logs' files")
    for log in ("pack-closing.wslog", "%d.wslog" % procs[2]["pid"]):
        z = subprocess.run(["zstd", "-tq", os.path.join(data, log)], capture_output=True, text=True)
        eq((z.returncode, z.stderr), (0, ""), "zstd -t %s" % log)


def case_own_closing_pack_refused():
    """A closing log goes to a pack only when the pack is this user's own
    file: a pack-closing.wslog that is a symbolic link, or (as root) a
    file of another user's, is left as it was, and the log gets a file of
    its own."""
    cases = [("a symbolic link", None)]
    if os.geteuid() == 0:
        cases.append(("another user's", 65534))
    for what, owner in cases:
        data = os.path.join(TMP, "refused-%s" % (owner or "link"))
        os.mkdir(data)
        pack = os.path.join(data, "pack-closing.wslog")
        target = os.path.join(TMP, "elsewhere-%s" % (owner or "link"))
        with open(pack if owner else target, "wb") as f:
            f.write(pack_header())
        if owner:
            os.chown(pack, owner, owner)
        else:
            os.symlink(target, pack)
        env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
        eq(run_reaping(["/bin/true", "x"], env), (0, 0), "%s: exit status, flushers" % what)
        eq(os.path.getsize(pack), 24, "%s: the pack as it was" % what)
        if not owner:
            os.remove(pack)  # (the report refuses a link in a folder)
        procs = report(data)["processes"]
        eq([(q["argv"], os.path.basename(q["log"])) for q in procs],
           [(["/bin/true", "x"], "%d.wslog" % procs[0]["pid"])], "%s: a log of its own" % what)


def case_changes_before_first_event():
    """A process that, before its first event, becomes another user
    (setresuid, or syscall() as libseccomp would) or moves its root
    (chroot) makes its region first, and its flusher, as at its start:
    cloned after the change, a flusher of its own could not create the
    log in a folder only root may write, nor reach it; under record, the
    hello would come from another user, whom record does not serve.  Its
    log has its writes and its end, with a flusher of its own and under
    record alike."""
    if os.geteuid() != 0:
        skip("needs root")
    for what in (["setuid"], ["syscall-setuid"], ["chroot", TMP]):
        argv = [prog("lifecycle"), "change"] + what
        data = os.path.join(TMP, "changed-" + what[0])
        os.mkdir(data, 0o755)
        env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
        eq(run_reaping(argv, env), (0, 1), "%s: exit status, flushers" % what[0])
        recorded, _ = record(argv, data=os.path.join(TMP, "recorded-" + what[0]))
        for d in (data, recorded):
            procs = report(d)["processes"]
            eq([(q["end"], q["lost_events"]) for q in procs],
               [({"kind": "exit", "status": 0}, 0)], "%s: its log in %s" % (what[0], d))
            eq(count(report(d), "write"), 2, "%s: its writes in %s" % (what[0], d))


def case_served_nothing_recorded_names():
    """A closing hello's text (the executable's path, the arguments) goes
    in a small buffer when it fits and in a large one when it does not:
    both say them whole.  A relative path is made absolute with the
    directory of the start."""
    long_arg = "x" * 5000
    data, _ = record(["/bin/true", long_arg, "b"], data=os.path.join(TMP, "long"))
    procs = report(data)["processes"]
    eq([q["argv"] for q in procs], [["/bin/true", long_arg, "b"]], "a long command line, whole")
    check(procs[0]["events"] == 0 and procs[0]["exe"].endswith("/true"), "%s" % procs[0]["exe"])
    # In a short directory (the small buffer), then in a long one.
    for where in (TMP, os.path.join(TMP, "d" * 250)):
        os.makedirs(where, exist_ok=True)
        shutil.copy("/bin/true", os.path.join(where, "own-true"))
        data, _ = record(["sh", "-c", "cd %s && exec ./own-true a" % where],
                         data=os.path.join(where, "data-relative"))
        procs = report(data)["processes"]
        eq([(q["exe"], q["argv"]) for q in procs],
           [(os.path.join(where, "own-true"), ["./own-true", "a"])],
           "a relative path made absolute (%d bytes)" % len(where))


def case_served_exe_follows_links():
    """What record learned of an executable's path is reused only while
    the path leads to the same file: the same link, run twice, leading to
    true then to false, names each in its process's log.  Neither records
    an event: record names each from the path its exec was given, when it
    writes its log (docs/how-it-works.md), so the driver moves the link
    only once the first log is written (record's pack grew)."""
    work = os.path.join(TMP, "links")
    os.mkdir(work)
    driver = (
        "import os, subprocess, time\n"
        "pack = os.path.join(os.environ['WHYSLOW_DIR'], 'pack-%d.wslog' % os.getppid())\n"
        "size = lambda: os.path.getsize(pack) if os.path.exists(pack) else 0\n"
        "os.symlink('/bin/true', 'L')\n"
        "before = size()\n"
        "subprocess.run(['./L'])\n"
        "end = time.monotonic() + 60\n"
        "while size() == before and time.monotonic() < end:\n"
        "    time.sleep(0.01)\n"
        "os.remove('L')\n"
        "os.symlink('/bin/false', 'L')\n"
        "subprocess.run(['./L'])\n")
    p = subprocess.run([WHYSLOW, "record", "-o", os.path.join(TMP, "data"), "--", PYTHON, "-c",
                        driver], cwd=work, capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, "record: %s" % p.stderr)
    procs = sorted(report(os.path.join(TMP, "data"))["processes"], key=lambda q: q["start_unix_ns"])
    runs = [(q["exe"], q["end"]) for q in procs if q["argv"][:1] == ["./L"]]
    eq(runs, [(os.path.realpath("/bin/true"), {"kind": "exit", "status": 0}),
              (os.path.realpath("/bin/false"), {"kind": "exit", "status": 1})],
       "each run names the file it ran")


def case_vfork_before_first_event():
    """A vfork child of an image with no region yet writes twice and ends
    by _exit: it leaves that image alone (its two writes counted lost
    there), which then records and ends as usual."""
    data, _ = record([prog("lifecycle"), "vfork-first"])
    procs = report(data)["processes"]
    eq([q["end"] for q in procs], [{"kind": "exit", "status": 0}], "the parent's log alone")
    eq(count(report(data), "write"), 1, "its write")
    eq(procs[0]["lost_events"], 2, "the vfork child's writes, counted lost")


def case_served_identity_of_start():
    """What a served image's log says of it is its start's, though it is
    sent at its end: the executable given by a relative path, from the
    directory it started in (it moved to / since), its arguments in their
    order (it permuted argv since), its parent."""
    p = subprocess.Popen([WHYSLOW, "record", "-o", os.path.join(TMP, "data"), "--",
                          "./" + os.path.basename(prog("lifecycle")), "identity", "a", "b"],
                         cwd=os.path.dirname(prog("lifecycle")), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=60)
    eq(p.returncode, 0, "the program: %s" % err)
    procs = report(os.path.join(TMP, "data"))["processes"]
    eq([(q["exe"], q["argv"], q["ppid"], q["events"]) for q in procs],
       [(os.path.realpath(prog("lifecycle")),
         ["./" + os.path.basename(prog("lifecycle")), "identity", "a", "b"], p.pid, 0)],
       "its executable, arguments and parent")


def case_exit_in_handler_while_starting():
    """An _exit in a signal handler may come while the first event makes
    the region (and says hello): it never returns there, so the end
    finishes what the first event began.  A SIGALRM that calls _exit(7),
    due 20 to 400 us after the start, against a write loop: each run
    leaves one log, ended by _exit(7)."""
    for us in range(20, 420, 20):
        data = os.path.join(TMP, "alarm%d" % us)
        record([prog("lifecycle"), "alarm-exit", str(us)], data=data, expect_rc=7)
        ends = [q["end"] for q in report(data)["processes"]]
        eq(ends, [{"kind": "_exit", "status": 7}], "the log after an alarm at %d us" % us)


BAD_CLOSING = """
import os, socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("\\0" + os.environ["WHYSLOW_SOCK"][1:])
# A closing hello (version 9) that says 500 bytes of head follow; 10 do.
s.send(struct.pack("=IIQQQIiII", 0x57535356, 9, 0, 0, 0, 1, os.getpid(), 1, 500) + b"x" * 10)
s.close()
print("sent")
"""


def case_bad_closing_hello():
    """A closing hello that is cut is not served: record says a process
    was not recorded; the sender's own log is whole."""
    data = os.path.join(TMP, "data")
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--", PYTHON, "-c", BAD_CLOSING],
                       capture_output=True, text=True, timeout=120)
    eq((r.returncode, r.stdout), (0, "sent\n"), "the program: %s" % r.stderr)
    check("whyslow: warning: 1 process was not recorded: whyslow record could not take its end"
          in r.stderr, "record says so: %r" % r.stderr)
    procs = report(data)["processes"]
    check(len(procs) == 1 and procs[0]["lost_events"] == 0, "the sender's log")


def case_disabled_runs_alike():
    # WHYSLOW_DISABLE=1: the real functions are found at their first call;
    # every kind of process start and end works as untraced, and no log.
    quiet = os.path.join(TMP, "quiet")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DISABLE="1", WHYSLOW_DIR=quiet)
    for args in (["forks"], []):
        r = subprocess.run([prog("lifecycle")] + args, env=env, capture_output=True, timeout=60)
        check(r.returncode == 0, "lifecycle %s disabled: exit %d %s" % (args, r.returncode, r.stderr))
    check(not os.path.exists(quiet), "disabled: a log was written")


def page_faults(env, runs=9):
    """The fewest page faults of /bin/true in env over runs (the child's
    own, from wait4): a busy host adds faults to some runs, never takes."""
    counts = []
    for _ in range(runs):
        p = subprocess.Popen(["/bin/true"], env=env)
        _, status, usage = os.wait4(p.pid, 0)
        require(status == 0, "/bin/true failed: %d" % status)
        counts.append(usage.ru_minflt + usage.ru_majflt)
    return min(counts)


def case_disabled_touches_few_pages():
    # Loaded but disabled, the library costs a process the pages it touches
    # (on some hosts 25 us a fault): the loader's for any library (its
    # header, dynamic section, data and .bss: 4), the start's text.
    # Measured on Debian 12: 6 more than untraced, as many as a preloaded
    # library that does nothing (7 while the list of loaded objects had a
    # page of its own, 10 before the start's strings and names went with
    # its code and DT_FINI went away).  A count, not a time, and the fewest
    # of 9 runs: a busy host adds one or two to some runs (seen failing at
    # 9 in CI).
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    untraced = page_faults(env)
    disabled = page_faults(dict(env, LD_PRELOAD=LIB, WHYSLOW_DISABLE="1"))
    check(disabled - untraced <= 7, "a disabled /bin/true: %d page faults, untraced %d" % (disabled, untraced))


# The page faults of 9 /bin/true started with posix_spawn (no copy of the
# parent's pages to fault in before the exec), printed in order.
SPAWN_FAULTS = """
import os
counts = []
for _ in range(15):
    pid = os.posix_spawn("/bin/true", ["true"], os.environ)
    _, status, usage = os.wait4(pid, 0)
    assert status == 0
    counts.append(usage.ru_minflt + usage.ru_majflt)
print(" ".join(str(n) for n in sorted(counts)))
"""


def case_recorded_touches_few_pages():
    # Under `whyslow record`, a process that records nothing still pays
    # its start: the loader's pages for the library (4) and its text,
    # libc's pages for the atfork handler (1-2) and the loader's deeper
    # stack (1-2).  Measured on Debian 12: 5 to 6 more than untraced, the
    # fewest of 9 runs each (8 to 9 while the start's variables and the
    # closing hello's head had pages of .bss and .lbss; 12 to 14 while it
    # found the real functions at its start, read the clocks through the
    # vDSO and had its list of loaded objects on a page of its own; 13 to
    # 15 when the start read .rodata and called libc's getpid() and
    # fstat()).  On a later host (kernel 6.18), 7 to 8: 56 or 57 against 48
    # or 49, the fewest of 40, at 2d92ecd as at c78b733; and 9 once, the
    # fewest of 9 beside tests/stress.sh's busy loops.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    r = subprocess.run([PYTHON, "-c", SPAWN_FAULTS], env=env, capture_output=True, text=True,
                       timeout=60)
    require(r.returncode == 0, "untraced spawns: %s" % r.stderr)
    untraced = [int(n) for n in r.stdout.split()]
    _, out = record([PYTHON, "-c", SPAWN_FAULTS], env=env)
    traced = [int(n) for n in out.split()]
    # The fewest of each: a busy host adds faults to some runs, never takes.
    check(traced[0] - untraced[0] <= 9, "a recorded /bin/true: %s page faults, untraced %s"
          % (traced, untraced))


def case_sigkill_keeps_events():
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data)
    p = subprocess.Popen([prog("killed"), "5000"], env=env, stdout=subprocess.PIPE, text=True)
    at_end(p.kill)  # it waits to be killed
    require(p.stdout.readline().strip() == "ready", "program did not start")
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
    # The timer may fire once more between the program's loop seeing 200
    # and its turning the timer off: at least 200, every one arrived.
    m = re.match(r"fired=(\d+) got=(\d+) main_ok=yes\n", out)
    check(m and int(m.group(1)) >= 200 and m.group(1) == m.group(2), "signals disturbed: %r" % out)
    rep = report(data)
    p = rep["processes"][0]
    # Calls from handlers are recorded, or, when one interrupted the
    # recorder itself, counted as lost: never silently missing.
    check(count(rep, "write") + p["lost_events"] > 200, "handler writes")


def case_flush_period():
    """Events reach the log while the program still runs."""
    data = os.path.join(TMP, "data")
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_FLUSH_MS="50")
    p = subprocess.Popen([prog("killed"), "300"], env=env, stdout=subprocess.PIPE, text=True)
    at_end(p.kill)  # it waits to be killed, even when the case ends early
    require(p.stdout.readline().strip() == "ready", "program did not start")
    time.sleep(0.4)
    rep = report(data)
    n = count(rep, "write")
    p.kill()
    p.wait()
    check(n == 300, "writes visible while running: %d" % n)


def case_short_processes_with_events():
    """Processes that write once and exit, under record: each is served
    though it asked and ended before record took it, and its log holds its
    write, its name and arguments, its memory map and how it ended."""
    data, _ = record(["sh", "-c", 'for i in $(seq 30); do "$0" 1 1; done', prog("threads")])
    rep = report(data)
    runs = [p for p in rep["processes"] if p["argv"] == [prog("threads"), "1", "1"]]
    eq(len(runs), 30, "a log per run")
    for p in runs:
        check(p["exe"] == prog("threads") and p["end"] == {"kind": "exit", "status": 0},
              "the program's name and end: %s %s" % (p["exe"], p["end"]))
        eq(count(rep, "write", p["pid"]), 1, "the write of %d" % p["pid"])
        check(p["lost_events"] == 0 and not p["truncated"], "clean log %s" % p["log"])
        check(any("meta maps" in l for l in dump(p["log"])), "memory map of %s" % p["log"])


def case_record_killed():
    """record killed (SIGKILL) after a program's hello, before an answer:
    at its end the program finds record gone, and its own flusher writes
    all it recorded, at once."""
    p, pid = start_then_stop_record("pending", "pending-1")
    data = os.path.join(TMP, "data")
    os.kill(pid, signal.SIGUSR2)  # its first events, and its hello
    until(lambda: children_named(p.pid, "pending-2"))
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    os.kill(pid, signal.SIGUSR2)  # exit(3), an orphan: init reaps it
    until(lambda: state_of(pid) == "gone")
    eq(state_of(pid), "gone", "the program ended")
    rep = report(data)
    eq([(q["pid"], q["end"], q["lost_events"]) for q in rep["processes"]],
       [(pid, {"kind": "exit", "status": 3}, 0)], "one log, ended by exit(3)")
    eq(count(rep, "write"), 2, "its writes")


def voluntary_switches(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", f.read()).group(1))


def case_record_idle_after_burst():
    """record looks at its socket every few ms while processes start one
    after another; once they stop, it sleeps: while the script sleeps 1 s
    after a burst of 20 processes, record wakes a few times at most (a
    record that went on ticking every 2 ms would wake some 500 times)."""
    data = os.path.join(TMP, "data")
    script = 'for i in $(seq 20); do /bin/true; done; echo ready; sleep 1.5; echo end'
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", "sh", "-c", script],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    at_end(lambda: (p.kill(), p.wait()))
    require(p.stdout.readline() == "ready\n", "the script's burst")
    time.sleep(0.3)  # the burst's end: 50 ms without a process
    before = voluntary_switches(p.pid)
    time.sleep(1.0)
    woke = voluntary_switches(p.pid) - before
    out, _ = p.communicate(timeout=60)
    eq((p.returncode, out), (0, "end\n"), "the script's status and output")
    check(woke < 50, "record woke %d times in 1 s with no process starting" % woke)
    runs = [q for q in report(data)["processes"] if q["exe"].endswith("/true")]
    eq(len(runs), 20, "a log per process of the burst")


def case_served_start_clock():
    """A served process's start clocks are its own, however late its
    flusher comes: the time each `date` prints lies within its process's
    span, the second one's served half a second after it ended (record
    stopped meanwhile)."""
    script = ('date +%s%N; kill -STOP $PPID; date +%s%N; sleep 0.5; kill -CONT $PPID; '
              'date +%s%N')
    data, out = record(["sh", "-c", script])
    printed = [int(line) for line in out.split()]
    dates = sorted((p for p in report(data)["processes"] if p["exe"].endswith("/date")),
                   key=lambda p: p["start_unix_ns"])
    eq(len(dates), 3, "the date processes")
    for at, p in zip(printed, dates):
        check(p["start_unix_ns"] <= at <= p["start_unix_ns"] + p["duration_ns"],
              "date printed %d, its process ran from %d for %d ns"
              % (at, p["start_unix_ns"], p["duration_ns"]))


def stand_in_record(name, argv):
    """Stands in for record (serve.h): listens on the abstract socket
    name, runs argv traced with WHYSLOW_SOCK naming it, and takes its
    hello.  The program, its log directory, the hello and its fds."""
    import socket
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind("\0" + name)
    listener.listen(4)
    data = os.path.join(TMP, "data")
    os.mkdir(data, 0o700)
    env = dict(os.environ, LD_PRELOAD=LIB, WHYSLOW_DIR=data, WHYSLOW_SOCK="@" + name)
    env.pop("WHYSLOW_HOST", None)
    p = subprocess.Popen(argv, env=env)
    at_end(p.kill)
    listener.settimeout(30)
    conn, _ = listener.accept()
    hello, fds, _, _ = socket.recv_fds(conn, 64, 2)
    conn.close()
    return p, data, hello, fds


def case_served_elsewhere():
    """A served flusher that finds something of its own where the program
    has its region maps it elsewhere and takes the buffers by their state:
    all 10000 writes of a program that fills several buffers reach the
    log.  This case stands in for record (serve.h): it listens, takes the
    hello, puts a mapping where the region is, and serves."""
    import ctypes
    import struct
    os.environ["WHYSLOW_HOST"] = "1"  # loaded to serve: traces nothing here
    lib = ctypes.CDLL(LIB)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    p, data, hello, fds = stand_in_record("whyslow-test-%d" % os.getpid(),
                                          [prog("threads"), "2", "5000"])
    magic, version, addr, size, nbufs, pid = struct.unpack("=IIQQIi", hello[:32])
    require(len(fds) == 2 and magic == 0x57535356, "a hello with its memfd and pidfd")
    # PROT_NONE, private, anonymous, fixed but not replacing.
    got = libc.mmap(addr, size, 0, 0x02 | 0x20 | 0x100000, -1, 0)
    require(got == addr, "a mapping where the program has its region")
    dirfd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)
    child = os.fork()
    if child == 0:
        r = lib.whyslow_serve(fds[0], fds[1], ctypes.c_char_p(hello), pid, dirfd,
                              data.encode())
        os._exit(10 + r)
    _, status = os.waitpid(child, 0)
    eq((os.waitstatus_to_exitcode(status), p.wait(timeout=60)), (10, 0),
       "the flusher served it to its end, and the program ended well")
    rep = report(data)
    eq(count(rep, "write"), 10000, "the program's writes")
    check(rep["processes"][0]["lost_events"] == 0, "none lost")


def case_served_name_unjudged():
    """A name of record's socket a process cannot read (not
    "whyslow-PID-UID-..."): it cannot judge its hello, sends it, and at
    its end waits for the answer.  A stand-in for record takes the hello
    and never answers: the program's own flusher writes its log after 2 s."""
    import struct
    p, data, hello, fds = stand_in_record("whyslow-test-%d" % os.getpid(),
                                          [prog("threads"), "1", "10"])
    for fd in fds:
        os.close(fd)
    magic, version = struct.unpack("=II", hello[:8])
    eq((magic, version, len(fds)), (0x57535356, 9, 2), "a hello, with its memfd and pidfd")
    eq(p.wait(timeout=60), 0, "the program's status")
    rep = report(data)
    eq(count(rep, "write"), 10, "its writes, by its own flusher")


def case_served_name_other_pid():
    """Where the listener on record's socket is not the pid its name says,
    as the kernel tells a process of another pid namespace (SO_PEERCRED),
    the process sends no hello: it closes the connection and its own
    flusher writes its log.  The name's other fields are right (this pid
    namespace's inode, as records before named it): the process judges by
    the listener, not by the name."""
    ns = os.stat("/proc/self/ns/pid").st_ino
    p, data, hello, fds = stand_in_record("whyslow-1-%d-%d-1" % (os.geteuid(), ns),
                                          [prog("threads"), "1", "10"])
    eq((hello, fds), (b"", []), "no hello, no fds")
    eq(p.wait(timeout=60), 0, "the program's status")
    rep = report(data)
    eq(count(rep, "write"), 10, "its writes, by its own flusher")
    eq(rep["processes"][0]["lost_events"], 0, "none lost")


UNFINISHED = """
import os, signal, sys, threading, time
cv = threading.Condition()
def worker():
    with cv:
        cv.wait()  # never notified: parked until the end
threading.Thread(target=worker, daemon=True).start()
pid = os.fork()
if pid == 0:
    signal.pause()  # until SIGKILL
    os._exit(0)
time.sleep(0.3)
os.kill(pid, signal.SIGKILL)
print(pid, os.waitpid(pid, 0)[1])
time.sleep(0.3)
"""


def case_unfinished_waits():
    """Waits that never return count as waits: a worker parked on a
    condition until its process exits, a child in pause() until SIGKILL;
    the child's life runs to when it was found gone; waitpid is recorded
    with the child it reaped.  Without them, both threads' time was all
    "other" (taken for CPU)."""
    data, out = record([PYTHON, "-c", UNFINISHED])
    child, status = (int(x) for x in out.split())
    eq(status, signal.SIGKILL, "the child's status")
    rep = report(data)
    procs = {p["pid"]: p for p in rep["processes"]}
    eq(len(procs), 2, "two processes")
    parent = [p for p in procs if p != child][0]
    c = procs[child]
    check(c["end"] is None and c["gone_ns"] is not None and c["duration_ns"] >= 250 * MS,
          "the child: end %s, gone %s, duration %s" % (c["end"], c["gone_ns"], c["duration_ns"]))
    eq([(s["call"], s["count"]) for s in rep["syscalls"] if s["pid"] == child], [("pause", 1)],
       "the child's calls")
    threads = {(t["pid"], t["tid"]): t for t in rep["threads"]}
    for (pid, tid), t in sorted(threads.items()):
        if pid == parent and tid == parent:
            continue  # the main thread sleeps, then exits
        # (Most of it, not all: before its wait and after its end, a loaded
        # machine may keep a thread tens of ms, 33 of 324 ms once.)
        b = t["breakdown"]
        check(b["wait_ns"] >= 0.5 * t["wall_ns"] and b["other_ns"] < 0.5 * t["wall_ns"],
              "thread %d of %d waited most of its life: %s of %d ns" % (tid, pid, b, t["wall_ns"]))
    eq(len(threads), 3, "threads: %s" % sorted(threads))
    reaped = [l for l in dump(data) if " waitpid " in l]
    check(len(reaped) == 1 and "result=%d " % child in reaped[0], "waitpid: %s" % reaped)
    unfinished = [l for l in dump(data) if "unfinished" in l]
    eq(len(unfinished), 2, "two calls under way at the end: %s" % unfinished)


def case_many_processes_summary():
    """A script of 30 short processes and one that sleeps 0.3 s: the
    report's summary groups them by program (runs, time, where it went),
    names the longest chain (the shell, then the sleep), and shows
    the sections of the longest processes only, saying how many it left
    out."""
    loop = ["sh", "-c", "for i in $(seq 30); do /bin/true; done; sleep 0.3"]
    data, _ = record(loop)
    rep = report(data)
    programs = {p["program"]: p for p in rep["programs"]}
    eq(programs.get("true", {}).get("runs"), 30, "runs of true")
    sl = programs.get("sleep", {})
    check(sl.get("runs") == 1 and sl.get("longest_ns", 0) >= 290 * MS and
          sl["breakdown"]["sleep_ns"] >= 0.9 * sl["thread_ns"], "sleep: %s" % sl)
    eq(sum(p["runs"] for p in rep["programs"]), len(rep["processes"]), "every process counted")
    by_pid = {p["pid"]: p for p in rep["processes"]}
    names = [by_pid[pid]["exe"].rsplit("/", 1)[-1] for pid in rep["chain"]]
    check(names[:1] == ["dash"] or names[:1] == ["sh"], "the chain starts at the shell: %s" % names)
    check(names[-1:] == ["sleep"], "the chain ends in the sleep: %s" % names)
    rc, out, err = run_text(data)
    check(out.startswith("whyslow report: ") and
          "\nPROGRAMS (%d processes of " % len(rep["processes"]) in out,
          "the text summary: %r" % out[:300])
    check(re.search(r"\n  true +30 ", out) and "the longest chain: " in out,
          "the programs table and chain: %r" % out[:1200])
    left = re.search(r"\n(\d+) other processes are not shown", out)
    sections = len(re.findall(r"\npid \d+ \(ppid", out))
    # The 10 longest, and any other with a finding (a busy machine may
    # give one a slow call or a CPU wait).
    with_findings = {f["pid"] for f in rep["findings"]}
    check(left and 10 <= sections <= 10 + len(with_findings) and
          sections + int(left.group(1)) == len(rep["processes"]),
          "sections: %d shown, %s left out" % (sections, left and left.group(1)))


def run_text(data):
    p = subprocess.run([WHYSLOW, "report", data], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr
