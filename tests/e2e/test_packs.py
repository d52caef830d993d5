# SPDX-License-Identifier: MIT
"""test_packs.py - e2e cases: the logs of short processes under record,
packed (preload/logpack.c).  Each process keeps a log of its own, with all
its events, named PACK#N where a pack holds it; a process that lives past
WS_PACK_MS gets a file of its own; a pack that cannot grow leaves the logs
after it to files of their own, and no log is lost.

Run by tests/run.py, one case per process (ctest: e2e.packs.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import resource
import signal
import subprocess
import sys
import time

from whyslow_test import (TMP, WHYSLOW, check, eq, require, report, record, whyslow, log_file)


def files(data):
    return sorted(f for f in os.listdir(data) if f.endswith(".wslog"))


def cats(rep):
    return [p for p in rep["processes"] if p["argv"][:1] == ["cat"]]


def calls_of(rep, pid):
    return {s["call"]: s["count"] for s in rep["syscalls"] if s["pid"] == pid}


def case_short_processes_packed():
    """20 short processes and one that sleeps 2.5 s: each has its log,
    with its events; the short ones in packs (fewer files than processes),
    the long one in a file of its own."""
    script = "for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; cat /etc/hostname; done; sleep 2.5"
    data, out = record(["sh", "-c", script])
    rep = report(data)
    progs = sorted(os.path.basename(p["argv"][0]) for p in rep["processes"])
    eq(progs, ["cat"] * 10 + ["sh", "sleep"] + ["true"] * 10, "a log per process")
    packed = [p for p in rep["processes"] if "#" in p["log"]]
    check(packed and len(files(data)) < len(rep["processes"]),
          "short processes packed: %s" % files(data))
    sleep = [p for p in rep["processes"] if p["argv"][:1] == ["sleep"]][0]
    eq(os.path.basename(sleep["log"]), "%d.wslog" % sleep["pid"], "the long one's own file")
    for p in cats(rep):
        check(p["lost_events"] == 0 and not p["truncated"] and p["end"]["kind"] == "exit",
              "cat %d: a whole log, ended by exit: %s" % (p["pid"], p["end"]))
    # Each member reads alone by the name the report gives it.
    p = next(p for p in packed if p["argv"][:1] == ["cat"])
    alone = report(p["log"])["processes"]
    eq([(q["pid"], q["events"]) for q in alone], [(p["pid"], p["events"])], "report PACK#N")
    rc, out, err = whyslow("dump", p["log"])
    check(rc == 0 and " read " in out and "/etc/hostname" in out, "dump PACK#N: %s" % err)
    # A pack is a zstd stream, like a log.
    raw = subprocess.run(["zstd", "-dcq", log_file(p["log"])], capture_output=True)
    check(raw.returncode == 0 and b"/etc/hostname" in raw.stdout, "zstd -dc of a pack")


def case_pack_cannot_grow():
    """Where a pack cannot grow (record's file size limit, 16 KiB), the
    logs after it go to files of their own: 200 processes, 200 whole logs.
    The traced shell lifts its own limit, so what it starts is traced
    (under the limit a process is not: its buffers are a file larger than
    that).  The processes do not wait for their flushers, so record may
    serve them with several, a pack each: 200 logs of 1.4 KiB fill one
    unless 18 flushers share them."""
    limit = 16 << 10

    def lower():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    data = os.path.join(TMP, "limited")
    script = "ulimit -f unlimited; for i in $(seq 200); do cat /etc/hostname; done >/dev/null"
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--", "sh", "-c", script],
                       capture_output=True, text=True, preexec_fn=lower, timeout=120)
    eq(r.returncode, 0, "record: %s" % r.stderr)
    rep = report(data)
    eq(len(cats(rep)), 200, "a log per cat")
    whole = [p for p in cats(rep) if not p["truncated"] and p["lost_events"] == 0 and
             calls_of(rep, p["pid"]).get("read") == 2 and calls_of(rep, p["pid"]).get("write") == 1]
    eq(len(whole), 200, "whole logs with each cat's reads and write")
    sizes = {f: os.path.getsize(os.path.join(data, f)) for f in files(data)}
    check(any(f.startswith("pack-") for f in sizes) and
          any(not f.startswith("pack-") for f in sizes), "a pack, then files: %s" % sizes)


def case_count_hostile_pack():
    """record counts the logs in packs by their headers: a pack whose
    member length wraps around (written into the log directory by the
    program itself) is one cut member, and record ends (it looped for
    ever before)."""
    data = os.path.join(TMP, "hostile")
    code = ("import struct, sys\n"
            "hdr = struct.pack('<II8sII', 0x184D2A5D, 16, b'WSPACK\\0\\0', 1, 0)\n"
            "m = struct.pack('<IIQ', 0x184D2A5C, 8, (1 << 64) - 16)\n"
            "open(sys.argv[1] + '/pack-evil.wslog', 'wb').write(hdr + m + m)\n")
    r = subprocess.run([WHYSLOW, "record", "-o", data, "--", sys.executable, "-c", code, data],
                       capture_output=True, text=True, timeout=60)
    eq(r.returncode, 0, "record: %s" % r.stderr)
    check("2 logs in" in r.stderr, "python's log and the cut member: %r" % r.stderr)


def case_flusher_killed():
    """A flusher killed (kill -9) while it holds its process's log in
    memory: the program runs on as untraced would, and record says that a
    log was lost."""
    data = os.path.join(TMP, "killed")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", "sh", "-c", "sleep 2; echo done"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim, deadline = None, time.monotonic() + 10
    while victim is None and time.monotonic() < deadline:
        # Its own sleep: another test may run one at the same time.
        sleeps = [pid for pid in pids() if comm(pid) == "sleep" and ppid(ppid(pid)) == p.pid]
        for pid in pids():
            words = cmdline(pid).split()
            if len(words) == 2 and words[0] == "whyslow-flush" and words[1].isdigit() and \
                    int(words[1]) in sleeps:
                victim = pid
        time.sleep(0.01)
    require(victim is not None, "the flusher serving sleep")
    os.kill(victim, signal.SIGKILL)
    out, err = p.communicate(timeout=60)
    eq((p.returncode, out), (0, "done\n"), "the program")
    check("whyslow: warning: the log of 1 process was lost or cut: its flusher was killed" in err,
          "record says so: %r" % err)


def pids():
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
