# SPDX-License-Identifier: MIT
"""test_io.py - e2e cases: the calls a program makes, recorded exactly (counts,
errors, bytes), each named by what its descriptor is; and what the report
says when events had to be dropped.

Run by tests/run.py, one case per process (ctest: e2e.io.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import subprocess

from whyslow_test import (log_file, PYTHON, WHYSLOW, TMP, check, eq, report, dump, record, prog, calls,
                          count)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e


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
        if not check(row is not None, "no %s in the report" % call):
            continue
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


REUSE = """
import os, sys, threading
spare = os.open(os.devnull, os.O_RDONLY)
first = os.open(os.path.join(sys.argv[1], "first.dat"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
assert first == spare + 1, (spare, first)
fd = [first]
wrote, reopened = threading.Event(), threading.Event()
def worker():
    for _ in range(5):
        os.write(fd[0], b"a")
    wrote.set()
    reopened.wait()
    for _ in range(7):
        os.write(fd[0], b"b")
t = threading.Thread(target=worker)
t.start()
wrote.wait()
os.close(spare)
os.close(first)
r, w = os.pipe()  # not wrapped: its fds are described at their first use
assert w == first, (first, r, w)
fd[0] = w
reopened.set()
t.join()
"""


def case_reused_fd_renamed():
    # An fd closed and made again, by another thread than the one writing
    # on it, by a call that does not name it (pipe()): the writes after are
    # named by what it is now (a thread keeps what it last learned of an fd
    # until the table changes: ws_fd_state()).
    d = os.path.join(TMP, "reuse")
    os.makedirs(d, exist_ok=True)
    data, out = record([PYTHON, "-c", REUSE, d])
    lines = [l for l in dump(data) if " write " in l]
    eq(sum(1 for l in lines if os.path.join(d, "first.dat") in l), 5, "writes named first.dat")
    eq(sum(1 for l in lines if "pipe:[" in l), 7, "writes named by the pipe")


INHERIT = """
import os, socket, sys
f = open(sys.argv[1], "w")
f.write("parent\\n"); f.flush()
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()
c = socket.create_connection(srv.getsockname()); peer, _ = srv.accept()
c.send(b"p"); peer.recv(1)
pid = os.fork()
if pid == 0:
    for i in range(3):
        os.write(f.fileno(), b"child\\n")
        c.send(b"c")
    os._exit(0)
os.waitpid(pid, 0)
print(peer.recv(16).decode())
"""


def case_inherited_fds_named():
    """A child of fork() names the fds it inherited (opened before the
    fork, described in its parent's log): its writes name the file, its
    sends the peer, as its parent's do."""
    path = os.path.join(TMP, "inherited.txt")
    data, out = record([PYTHON, "-c", INHERIT, path])
    check(out.strip() == "ccc", "output %r" % out)
    rep = report(data)
    procs = sorted(rep["processes"], key=lambda p: p["start_unix_ns"])
    if not check(len(procs) == 2, "two processes: %s" % [p["pid"] for p in procs]):
        return
    child = procs[1]["pid"]
    lines = [l for l in dump(data) if "pid=%d " % child in l]
    writes = [l for l in lines if " write " in l]
    sends = [l for l in lines if " send" in l]
    check(len(writes) == 3 and all(path in l for l in writes),
          "the child's writes name the file: %s" % writes)
    check(len(sends) == 3 and all("127.0.0.1:" in l for l in sends),
          "the child's sends name the peer: %s" % sends)
    # Its flusher's start (a socket to record and a message on it) is the
    # recorder's doing, not the program's.
    check(not [l for l in lines if "@whyslow" in l], "the recorder's own calls: %s" %
          [l for l in lines if "@whyslow" in l])


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
    raw = subprocess.run(["zstd", "-dcq", log_file(p["log"])], capture_output=True).stdout
    check(b"_sqlite3" in raw, "the memory map misses the module loaded by dlopen")


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


def case_pipe_waits():
    """A shell waits for its command substitutions by reading their pipe:
    the report says for which program and process, and no slow_syscall
    calls those reads slow; a process reading what it wrote itself waited
    for nobody."""
    script = ('x=$(%s -c "import time; time.sleep(0.2); print(1)"); '
              '%s -c "import os; r, w = os.pipe(); os.write(w, b\'x\'); os.read(r, 1)"; '
              'echo "$x"' % (PYTHON, PYTHON))
    data, out = record(["bash", "-c", script])
    check(out.strip() == "1", "output %r" % out)
    rep = report(data)
    check(not [f for f in rep["findings"] if f["kind"] == "slow_syscall"],
          "reads of pipes are waits: %s" % [f["summary"] for f in rep["findings"]])
    pids = {p["pid"] for p in rep["processes"]}
    # The shell, and its children (a fork of bash each, which execs python).
    shell = [p for p in rep["processes"] if p["ppid"] not in pids]
    pythons = [p for p in rep["processes"] if "python" in p["exe"]]
    if not check(len(shell) == 1 and len(pythons) == 2, "processes: %s" % describe_procs(rep)):
        return
    w = shell[0]["waited_for"]
    check(len(w) == 1 and w[0]["program"].startswith("python") and w[0]["reads"] >= 1 and
          w[0]["total_ns"] >= 190 * 1000000 and w[0]["pids"][0] == pythons[0]["pid"],
          "the shell waited for python %d: %s" % (pythons[0]["pid"], w))
    for p in pythons:
        eq(p["waited_for"], [], "python %d waited for nobody" % p["pid"])


def describe_procs(rep):
    return [(p["pid"], p["ppid"], p["exe"]) for p in rep["processes"]]


CLIENTS = """
import socket, threading, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
def client():
    c = socket.create_connection(srv.getsockname())
    time.sleep(0.1)  # the server's recv waits for this
    c.send(b"x")
    c.close()
for i in range(5):
    threading.Thread(target=client).start()
    conn, _ = srv.accept()
    conn.recv(1)
    conn.close()
print("served")
"""


def case_peer_ports_grouped():
    """A server's slow reads from 5 clients, each on its own ephemeral
    port: one slow_syscall on 127.0.0.1:*, not one per port.  (A client
    of one server on an ephemeral port keeps the port: examples/slow_io.)"""
    data, out = record([PYTHON, "-c", CLIENTS])
    check(out.strip() == "served", "output %r" % out)
    rep = report(data)
    slow = [f for f in rep["findings"] if f["kind"] == "slow_syscall" and f["call"] == "recv"]
    # Each recv waits some 100 ms, unless the machine kept the server from
    # calling it that long: at least one is slow, and all go in one
    # finding, on the host's ports when there are two or more.
    check(len(slow) == 1 and 1 <= slow[0]["count"] <= 5 and
          (slow[0]["target"] == "127.0.0.1:*") == (slow[0]["count"] >= 2),
          "recv findings: %s" % [(f["target"], f["count"]) for f in slow])
