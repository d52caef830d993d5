# SPDX-License-Identifier: MIT
"""test_servers.py - e2e cases: real servers from Debian's packages traced
under `whyslow record`, on loopback, under a bounded load, stopped at the
end: nginx under wrk beside busy processes, Redis under redis-benchmark.
They must run as untraced, lose nothing, and be reported right: named by
the titles they give themselves, their inherited fds named, waits that
never return counted as waits, no call blamed for time its thread was not
scheduled.  Skipped where the packages are not installed.

Run by tests/run.py, one case per process (ctest: e2e.servers.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import re
import signal
import socket
import subprocess
import time

from whyslow_test import (TMP, WHYSLOW, MS, check, eq, require, at_end, report, dump, need_file,
                          count)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        require(proc.poll() is None, "%s exited: %s" % (what, proc.poll()))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    require(False, "%s did not listen on %d in 30 s" % (what, port))


def start(argv, data):
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--"] + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    at_end(lambda: (p.poll() is None and p.kill(), p.wait()))
    return p


NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
user root;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 64; }
http {
    access_log %(dir)s/access.log;
    sendfile on;
    server {
        listen 127.0.0.1:%(port)d;
        root %(dir)s/www;
    }
}
"""


def case_nginx_wrk():
    """nginx (master and one worker) serving a small file to wrk for 2 s,
    beside 4 busy processes: it serves every request, the worker is named
    by its title and its access log by its path (opened by the master
    before the fork), the master's sigsuspend counts as waiting, and no
    slow_syscall blames its non-blocking calls for the time the busy
    machine kept it off a CPU."""
    nginx, wrk = "/usr/sbin/nginx", "/usr/bin/wrk"
    need_file(nginx, "Debian's nginx-light package")
    need_file(wrk, "Debian's wrk package")
    d = os.path.join(TMP, "nginx")
    os.makedirs(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "index.html"), "w") as f:
        f.write("hello\n" * 100)
    port = free_port()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF % {"dir": d, "port": port})
    data = os.path.join(TMP, "data")
    server = start([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf")], data)
    wait_port(port, server, "nginx")
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(4)]
    try:
        load = subprocess.run([wrk, "-t1", "-c4", "-d2s", "http://127.0.0.1:%d/" % port],
                              capture_output=True, text=True, timeout=60)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    require(load.returncode == 0, "wrk: %s" % load.stderr)
    check("Non-2xx" not in load.stdout and "Socket errors" not in load.stdout,
          "every request served: %s" % load.stdout)
    server.send_signal(signal.SIGQUIT)  # graceful stop, passed on by record
    out, err = server.communicate(timeout=60)
    eq(server.returncode, 0, "nginx's status (%s)" % err[-300:])

    rep = report(data)
    procs = rep["processes"]
    check(all(p["lost_events"] == 0 for p in procs), "nothing lost")
    titles = [p["title"] or "" for p in procs]
    workers = [p for p in procs if (p["title"] or "").startswith("nginx: worker process")]
    masters = [p for p in procs if (p["title"] or "").startswith("nginx: master process")]
    if not check(len(workers) == 1 and len(masters) == 1, "titles: %s" % titles):
        return
    w, m = workers[0], masters[0]
    access = os.path.join(d, "access.log")
    lines = [l for l in dump(data) if "pid=%d " % w["pid"] in l and " write" in l]
    check(any(access in l for l in lines) and not [l for l in lines if re.search(r"\(fd \d+\)", l)],
          "the worker's writes, its access log named: %s" % lines[:3])
    mt = [t for t in rep["threads"] if t["pid"] == m["pid"]][0]
    check(mt["breakdown"]["wait_ns"] >= 0.8 * mt["wall_ns"],
          "the master waited in sigsuspend: %s" % mt["breakdown"])
    slow = [f["summary"] for f in rep["findings"]
            if f["kind"] == "slow_syscall" and f["pid"] == w["pid"]]
    eq(slow, [], "no slow_syscall on the worker's non-blocking calls")
    # Every request it served, each answered with the file by sendfile:
    # as many as its access log has lines, complete but for those wrk's 4
    # connections left in flight when it stopped (one each at most: the
    # client gone, sendfile's last write failed).
    with open(access) as f:
        served = sum(1 for _ in f)
    ep = [e for e in rep["endpoints"] if e["method"] == "GET" and e["path"] == "/"]
    check(served > 0 and len(ep) == 1 and ep[0]["count"] == served and ep[0]["incomplete"] <= 4,
          "GET / served %d times, complete but for the last of each connection: %s" % (served, ep))
    check(count(rep, "sendfile", w["pid"]) >= served, "its bodies went by sendfile")


def case_redis_benchmark():
    """Redis under redis-benchmark (2000 SETs and GETs): every request
    served, nothing lost, the server named by its title, and its
    background threads, parked on a condition until the end, waiting
    rather than running."""
    server_bin, bench = "/usr/bin/redis-server", "/usr/bin/redis-benchmark"
    need_file(server_bin, "Debian's redis-server package")
    need_file(bench, "Debian's redis-tools package")
    d = os.path.join(TMP, "redis")
    os.makedirs(d)
    port = free_port()
    data = os.path.join(TMP, "data")
    server = start([server_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", d], data)
    wait_port(port, server, "redis-server")
    load = subprocess.run([bench, "-p", str(port), "-n", "2000", "-c", "4", "-q", "-t", "set,get"],
                          capture_output=True, text=True, timeout=120)
    require(load.returncode == 0, "redis-benchmark: %s" % load.stderr)
    check("SET:" in load.stdout and "GET:" in load.stdout, "benchmark: %s" % load.stdout)
    server.send_signal(signal.SIGTERM)
    out, err = server.communicate(timeout=60)
    eq(server.returncode, 0, "redis's status")

    rep = report(data)
    procs = [p for p in rep["processes"] if p["exe"].endswith("redis-server") or
             "redis-check" in p["exe"]]
    require(len(procs) >= 1, "redis's log: %s" % [p["exe"] for p in rep["processes"]])
    p = procs[0]
    eq(p["lost_events"], 0, "nothing lost")
    check((p["title"] or "").startswith("%s 127.0.0.1:%d" % (server_bin, port)) or
          "127.0.0.1:%d" % port in (p["title"] or ""), "title %r" % p["title"])
    bio = [t for t in rep["threads"] if t["pid"] == p["pid"] and (t["name"] or "").startswith("bio_")]
    check(len(bio) >= 2, "its bio threads: %s" % [(t["tid"], t["name"]) for t in rep["threads"]])
    for t in bio:
        check(t["breakdown"]["wait_ns"] >= 0.8 * t["wall_ns"],
              "%s waited, not ran: %s" % (t["name"], t["breakdown"]))
