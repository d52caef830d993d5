# SPDX-License-Identifier: MIT
"""test_http.py - e2e cases: HTTP requests found in the bytes of real
servers' sockets, with no change to them: Python's ThreadingHTTPServer
(keep-alive, pipelining, chunks, HEAD, 204, a body that ends with the
connection, a client that leaves early) and a Django app behind wsgiref's
threaded server (an endpoint with an N+1, one without).  The clients are
this test's own sockets, untraced, so that what they measured can be held
against what the report says.  And the negatives: bytes that are no HTTP
make no request, WHYSLOW_HTTP=off records none, WHYSLOW_REDACT=url keeps
no query string.

Run by tests/run.py, one case per process (ctest: e2e.http.CASE); the
helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import socket
import subprocess
import time
import urllib.request

from whyslow_test import (PYTHON, TMP, WHYSLOW, check, eq, require, at_end, report, text_report,
                          findings_of, need_python_module, record, skip, whyslow, prog)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e
SERVER = os.path.join(HERE, "progs", "py_http_server.py")


def serve(argv, data, env=None):
    """Starts argv under `whyslow record`; its port, and the process."""
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--"] + argv, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, **(env or {})))
    at_end(lambda: (p.poll() is None and p.kill(), p.wait()))
    line = p.stdout.readline()
    if not line.startswith("port="):
        p.kill()
        require(False, "the server did not start: %r %s" % (line, p.stderr.read()))
    return int(line[5:]), p


def stop(port, p):
    urllib.request.urlopen("http://127.0.0.1:%d/quit" % port, timeout=30).read()
    p.wait(timeout=60)
    if p.returncode != 0:
        require(False, "the server ended with %d: %s" % (p.returncode, p.stderr.read()))


def read_response(s, buf, head=False):
    """One response from socket s (buf: bytes already read); returns
    (status, raw bytes of it, what is left of buf)."""
    while b"\r\n\r\n" not in buf:
        more = s.recv(65536)
        require(more, "connection closed in a head")
        buf += more
    head_end = buf.index(b"\r\n\r\n") + 4
    lines = buf[:head_end].decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    if head or status == 204:
        return status, buf[:head_end], buf[head_end:]
    if "content-length" in headers:
        end = head_end + int(headers["content-length"])
        while len(buf) < end:
            buf += s.recv(65536)
        return status, buf[:end], buf[end:]
    if headers.get("transfer-encoding") == "chunked":
        while not buf.endswith(b"0\r\n\r\n"):
            buf += s.recv(65536)
        return status, buf, b""
    while True:  # until the connection's end
        more = s.recv(65536)
        if not more:
            return status, buf, b""
        buf += more


def endpoint(rep, name):
    for e in rep["endpoints"]:
        if "%s %s" % (e["method"], e["path"]) == name:
            return e
    return None


def requests_of(rep, name):
    return [r for r in rep["requests"] if r["endpoint"] == name and r["direction"] == "in"]


def case_threaded_server():
    data = os.path.join(TMP, "data")
    port, p = serve([PYTHON, SERVER], data)
    addr = ("127.0.0.1", port)
    client = {}  # target -> (unix ns sent, unix ns received, response bytes)
    # Five requests one after the other on one connection (keep-alive).
    with socket.create_connection(addr) as s:
        for i in range(1, 6):
            sent = time.time_ns()
            s.sendall(b"GET /items/%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
            status, raw, rest = read_response(s, b"")
            client["/items/%d" % i] = (sent, time.time_ns(), raw)
            eq(status, 200, "status of /items/%d" % i)
    # Three at once (pipelining): GET, HEAD, a 204.
    with socket.create_connection(addr) as s:
        s.sendall(b"GET /items/10 HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"HEAD /items/11 HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\n")
        rest = b""
        for head in (False, True, False):
            status, raw, rest = read_response(s, rest, head=head)
        eq(status, 204, "the pipelined 204")
    # Chunks; a body that ends with the connection; a long one.
    with socket.create_connection(addr) as s:
        s.sendall(b"GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n")
        status, raw, rest = read_response(s, b"")
        check(raw.endswith(b"0\r\n\r\n"), "chunked body read")
    with socket.create_connection(addr) as s:
        s.sendall(b"GET /close HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(s, b"")
    with socket.create_connection(addr) as s:
        sent = time.time_ns()
        s.sendall(b"GET /sleep/60 HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(s, b"")
        client["/sleep/60"] = (sent, time.time_ns(), None)
    # A client that leaves before its answer.
    s = socket.create_connection(addr)
    s.sendall(b"GET /sleep/100 HTTP/1.1\r\nHost: t\r\n\r\n")
    s.close()
    time.sleep(0.3)
    stop(port, p)

    rep = report(data)
    items = endpoint(rep, "GET /items/{id}")
    require(items is not None, "endpoint GET /items/{id}: %s" % [(e["method"], e["path"])
                                                                   for e in rep["endpoints"]])
    eq(items["count"], 6, "GET /items/{id} requests")
    eq(items["errors_4xx"] + items["errors_5xx"] + items["incomplete"], 0, "items: no error")
    for name, count in (("HEAD /items/{id}", 1), ("GET /nocontent", 1), ("GET /chunked", 1),
                        ("GET /close", 1), ("GET /sleep/{id}", 2), ("GET /quit", 1)):
        e = endpoint(rep, name)
        check(e is not None and e["count"] == count, "%s: %s" % (name, e))
    eq(rep["called_endpoints"], [], "the server called no other service")
    eq(rep["requests_total"], 13, "requests in all")
    for name, status in (("HEAD /items/{id}", 200), ("GET /nocontent", 204), ("GET /chunked", 200),
                         ("GET /close", 200)):
        r = requests_of(rep, name)
        check(len(r) == 1 and r[0]["status"] == status and r[0]["complete"],
              "%s answered %d, complete: %s" % (name, status, r))
    # What the server's side says holds with what the client measured: a
    # request starts after the client sent it (1 ms: the two clocks'
    # calibrations).  Its end is stamped when the write that sent the
    # answer returned, which a server thread preempted after its bytes
    # left makes later than the client's receipt by as long as the
    # scheduler keeps it off the CPU (1 ms and more beside busy loops):
    # no bound of the client's.  The thread's order is one: on a
    # keep-alive connection, a request ends before the next one starts.
    served = {}
    for target, (sent, got, raw) in client.items():
        r = [q for q in rep["requests"] if q["target"] == target and q["direction"] == "in"]
        require(len(r) == 1, "one request %s" % target)
        r = served[target] = r[0]
        check(r["start_unix_ns"] >= sent - 1000000 and r["start_unix_ns"] <= got + 1000000,
              "%s: served from %d, the client sent at %d and had the answer at %d"
              % (target, r["start_unix_ns"], sent, got))
        if raw is not None:
            eq(r["bytes_out"], len(raw), "%s: bytes written" % target)
    for i in range(1, 5):
        a, b = served["/items/%d" % i], served["/items/%d" % (i + 1)]
        check(a["start_unix_ns"] + a["latency_ns"] <= b["start_unix_ns"],
              "/items/%d ended at %d, before /items/%d started at %d"
              % (i, a["start_unix_ns"] + a["latency_ns"], i + 1, b["start_unix_ns"]))
    slept = requests_of(rep, "GET /sleep/{id}")
    check(any(r["target"] == "/sleep/60" and r["latency_ns"] >= 60000000 and
              r["longest_call"]["call"] in ("nanosleep", "clock_nanosleep") and
              r["longest_call"]["ns"] >= 60000000
              and r["breakdown"]["sleep_ns"] >= 60000000 for r in slept),
          "/sleep/60 took 60 ms or more, asleep: %s" % slept)
    text = text_report(data)
    check("ENDPOINTS SERVED" in text and "GET /items/{id}" in text, "the text report's endpoints")


def case_django_endpoints():
    need_python_module("django", "python3-django")
    data = os.path.join(TMP, "data")
    port, p = serve([PYTHON, os.path.join(HERE, "progs", "py_django_server.py"),
                     os.path.join(TMP, "books.sqlite3")], data)
    base = "http://127.0.0.1:%d" % port
    for _ in range(4):
        for path in ("/books/", "/books/eager/", "/books/7/"):
            with urllib.request.urlopen(base + path, timeout=30) as r:
                require(r.status == 200 and r.read(), "GET %s" % path)
    stop(port, p)

    rep = report(data)
    lazy, eager, detail = (endpoint(rep, n) for n in ("GET /books/", "GET /books/eager/",
                                                       "GET /books/{id}/"))
    require(lazy and eager and detail, "the three endpoints: %s"
            % [(e["method"], e["path"]) for e in rep["endpoints"]])
    eq((lazy["count"], eager["count"], detail["count"]), (4, 4, 4), "requests per endpoint")
    # Each request has a thread, so a connection, of its own: Django opens
    # it with `PRAGMA foreign_keys = ON`, then the list (1), its 30 authors.
    eq((lazy["queries_max"], eager["queries_max"], detail["queries_max"]), (32, 2, 3),
       "queries in one request")
    eq(lazy["queries_mean"], 32.0, "queries per request of the N+1 endpoint")
    eq(len(lazy["findings"]), 1, "the N+1 endpoint's finding")
    eq((lazy["findings"][0]["per_request"], lazy["findings"][0]["requests"]), (30.0, 4),
       "its child query per request")
    eq(eager["findings"] + detail["findings"], [], "no finding in the other endpoints")
    nplus1 = findings_of(rep, "n_plus_one")
    require(len(nplus1) == 1, "one n_plus_one finding: %d" % len(nplus1))
    eq([e["endpoint"] for e in nplus1[0]["endpoints"]], ["GET /books/"], "where the N+1 runs")
    check("in GET /books/" in nplus1[0]["summary"], "the summary names the endpoint: %s"
          % nplus1[0]["summary"])
    for r in requests_of(rep, "GET /books/"):
        check(r["queries"] == 32 and r["status"] == 200 and r["complete"],
              "a lazy request: %s" % r)
        check(r["breakdown"]["db_ns"] > 0, "its database time: %s" % r["breakdown"])

    # The report narrowed to an endpoint: its requests, their queries and
    # finding only; each thread's time is that of its requests.
    lazy_only = report("--endpoint", "GET /books/", data)
    eq(lazy_only["narrowed"], {"endpoint": "GET /books/", "requests": 4}, "narrowed")
    eq([(e["method"], e["path"]) for e in lazy_only["endpoints"]], [("GET", "/books/")],
       "only its endpoint")
    counts = {q["normalized"].split(" from ")[-1][:16]: q["count"] for q in lazy_only["queries"]}
    eq(sum(q["count"] for q in lazy_only["queries"]), 4 * 32, "only its queries: %s" % counts)
    eq(len(findings_of(lazy_only, "n_plus_one")), 1, "its N+1")
    eq(sum(t["wall_ns"] for t in lazy_only["threads"]),
       sum(r["latency_ns"] for r in lazy_only["requests"]), "its threads' time is its requests'")
    eager_only = report("--endpoint", "*/eager/", data)
    eq((eager_only["narrowed"]["requests"], findings_of(eager_only, "n_plus_one")), (4, []),
       "the eager endpoint, by a pattern: no N+1")
    one = [r for r in rep["requests"] if r["endpoint"] == "GET /books/{id}/"][0]
    single = report("--request", str(one["id"]), data)
    eq([(r["id"], r["target"], r["queries"]) for r in single["requests"]],
       [(one["id"], "/books/7/", 3)], "one request, by its id")
    rc, out, err = whyslow("report", "--endpoint", "GET /nothing", data)
    check(rc == 1 and err.count("\n") == 1 and "GET /nothing" in err,
          "no such endpoint: one line and status 1: %d %r" % (rc, err))


def case_work_on_other_threads():
    """A request's work done by a pool's worker counts for it (its queries,
    its N+1, the worker's time apart); findings name the endpoint their
    events happened in, and only that one."""
    data = os.path.join(TMP, "data")
    port, p = serve([PYTHON, os.path.join(HERE, "progs", "py_http_work.py"),
                     os.path.join(TMP, "work.sqlite3")], data)
    base = "http://127.0.0.1:%d" % port
    for path in ["/offload/7"] * 6 + ["/report", "/slowread", "/clean", "/clean"]:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            require(r.status == 200 and r.read(), "GET %s" % path)
    stop(port, p)

    rep = report("--slow-ms", "20", data)
    offload = requests_of(rep, "GET /offload/{id}")
    eq(len(offload), 6, "offloaded requests")
    # A handler that did not have to wait (its thread came back after the
    # worker's 50 ms) was not helped: it ran no query.  Any that waited was.
    helped = [r for r in offload if r["other_threads"]["threads"]]
    require(helped, "no request was linked to its worker: %s" % offload)
    for r in offload:
        want = (1, 8, 8) if r in helped else (0, 0, 0)
        eq((r["other_threads"]["threads"], r["other_threads"]["queries"], r["queries"]), want,
           "request %d: the worker's thread and queries" % r["id"])
    for r in helped:
        b = r["other_threads"]["breakdown"]
        check(b["sleep_ns"] >= 50 * 1000000 and b["db_ns"] > 0,
              "the worker's time for request %d: %s" % (r["id"], b))
        # (its lock time is the GIL's, after the wake: the scheduler's to say)
        # The handler may start waiting only once the worker has run its
        # queries and begun its sleep (the GIL goes to the worker after the
        # submit): its wait covers most of the sleep, not all of it.
        rb = r["breakdown"]
        check(rb["wait_ns"] >= b["sleep_ns"] / 2 and rb["wait_ns"] == max(rb.values()),
              "request %d waited (not for a lock) while the worker worked: %s"
              % (r["id"], rb))
    nplus1 = findings_of(rep, "n_plus_one")
    require(len(nplus1) == 1, "one n_plus_one: %s" % nplus1)
    eq([(e["endpoint"], e["requests"]) for e in nplus1[0]["endpoints"]],
       [("GET /offload/{id}", len(helped))], "the worker's N+1 is the endpoint's")

    slow = [f for f in findings_of(rep, "slow_syscall") if f["call"].startswith("recv")]
    require(len(slow) == 1, "one slow recv: %s" % findings_of(rep, "slow_syscall"))
    eq(slow[0]["endpoints"], [{"endpoint": "GET /slowread", "count": 1}], "the slow recv's endpoint")
    check(slow[0]["summary"].endswith("; all in GET /slowread"), "summary: %s" % slow[0]["summary"])
    # (on a loaded machine other statements may take 20 ms too)
    query = [f for f in findings_of(rep, "slow_query") if "with recursive" in f["normalized"]]
    require(len(query) == 1 and query[0]["count"] == 2, "one slow statement, run twice: %s" % query)
    eq(query[0]["endpoints"], [{"endpoint": "GET /report", "count": 1}],
       "the slow statement ran once in a request, once before any")
    check("the statement ran 1 time in GET /report" in query[0]["summary"],
          "summary: %s" % query[0]["summary"])
    for f in rep["findings"]:
        check(all(e["endpoint"] != "GET /clean" for e in f.get("endpoints", [])),
              "nothing found in GET /clean: %s" % f)
    text = text_report("--slow-ms", "20", data)
    check("for it on 1 other thread" in text, "the text report names the worker's part")
    # Narrowed to the endpoint, its requests keep the worker's queries.
    only = report("--endpoint", "GET /offload/*", data)
    eq(sorted(r["queries"] for r in only["requests"]), sorted(r["queries"] for r in offload),
       "narrowed, the same queries per request")


def http_calls_nplus1(tls):
    data = os.path.join(TMP, "data")
    argv = [PYTHON, os.path.join(HERE, "progs", "py_http_calls.py")]
    if tls:  # a self-signed certificate for the backend's HTTPS
        cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                           capture_output=True, text=True)
        require(r.returncode == 0, "openssl req: %s" % r.stderr)
        argv += [cert, key]
    port, p = serve(argv, data)
    for path in ("/albums", "/albums/batch") * 3:
        urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30).read()
    stop(port, p)
    rep = report(data)
    called = {"%s %s%s" % (e["method"], e["host"], e["path"]): e for e in rep["called_endpoints"]}
    items = [e for n, e in called.items() if n.endswith("/items/{id}")]
    require(len(items) == 1, "the called endpoint /items/{id}: %s" % list(called))
    eq(items[0]["count"], 6 + 3 * 8, "calls to /items/{id}")
    batch = [e for n, e in called.items() if e["path"] == "/items"]
    check(len(batch) == 1 and batch[0]["count"] == 3, "calls to /items: %s" % batch)
    found = findings_of(rep, "n_plus_one_http")
    inside = [f for f in found if f["in_endpoint"] == "GET /albums"]
    outside = [f for f in found if f["in_endpoint"] is None]
    eq(len(found), 2, "N+1s of HTTP calls: %s" % [f["summary"] for f in found])
    check(len(inside) == 1 and inside[0]["count"] == 24 and inside[0]["requests"] == 3
          and inside[0]["endpoint"].endswith("/items/{id}"), "inside GET /albums: %s" % inside)
    check(len(outside) == 1 and outside[0]["count"] == 6 and outside[0]["loops"] == 1,
          "the loop outside requests: %s" % outside)
    check(inside and "in GET /albums" in inside[0]["summary"], "the summary names the endpoint")
    site = inside[0]["site"] if inside else None
    check(site and site.get("function") == "Frontend.do_GET.<locals>.<listcomp>"
          or (site and "py_http_calls.py" in (site.get("file") or "")),
          "the calls' site is the app's line: %s" % site)
    served = [r for r in rep["requests"] if r["direction"] == "in" and r["target"] == "/albums"]
    check(all(r["calls"] == 8 for r in served) and len(served) == 3,
          "each GET /albums made 8 calls: %s" % [r["calls"] for r in served])
    made = [r for r in rep["requests"] if r["direction"] == "out" and r["made_for"] is not None]
    eq(len(made), 3 * 8 + 3, "calls made for a served request")
    served_back = [e for e in rep["endpoints"] if e["path"] == "/items/{id}"]
    check(len(served_back) == 1 and served_back[0]["count"] == 30,
          "the backend served /items/{id} 30 times: %s" % served_back)


def case_http_calls_nplus1():
    http_calls_nplus1(tls=False)


def case_https_calls_nplus1():
    # The same over HTTPS: the plaintext from OpenSSL's calls (Python's ssl
    # module loads libssl as its extension's dependency).
    http_calls_nplus1(tls=True)


def case_node_event_loop():
    # Ten requests at once to a Node server whose handlers wait 40 ms on a
    # timer: one thread serves them all, each request's latency is its own.
    node = "/usr/bin/node"
    if not os.path.exists(node):
        skip("no /usr/bin/node (Debian's nodejs package)")
    data = os.path.join(TMP, "data")
    port, p = serve([node, os.path.join(HERE, "progs", "node_http_async.js")], data)
    socks = []
    for i in range(10):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /wait/40?n=%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
        socks.append((s, time.time_ns()))
    for s, sent in socks:
        status, raw, rest = read_response(s, b"")
        eq(status, 200, "an answer")
        s.close()
    stop(port, p)
    rep = report(data)
    e = endpoint(rep, "GET /wait/{id}")
    require(e is not None, "the endpoint GET /wait/{id}: %s" % rep["endpoints"])
    eq((e["count"], e["incomplete"]), (10, 0), "requests, all complete")
    reqs = requests_of(rep, "GET /wait/{id}")
    eq(len({r["tid"] for r in reqs}), 1, "one thread served them all")
    # (libuv's timers count from its loop's clock, in milliseconds, read
    # once before it reads the requests of one turn of the loop: a timer
    # may end up to that turn's work sooner than 40 ms after its request
    # was read, 39.55 ms once beside two busy loops.)
    check(all(30000000 <= r["latency_ns"] < 2000000000 for r in reqs),
          "each took its 40 ms, not the others': %s" % [r["latency_ns"] for r in reqs])


def case_tls_not_seen():
    # Node links OpenSSL statically: its HTTPS is not seen in clear, and
    # the report says so rather than showing nothing (three connections to
    # an untraced HTTPS server).
    node = "/usr/bin/node"
    if not os.path.exists(node):
        skip("no /usr/bin/node (Debian's nodejs package)")
    cert, key = os.path.join(TMP, "cert.pem"), os.path.join(TMP, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True, text=True)
    require(r.returncode == 0, "openssl req: %s" % r.stderr)
    server = subprocess.Popen([PYTHON, "-c", """
import http.server, ssl, sys
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
""", cert, key], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=TMP)
    at_end(lambda: (server.kill(), server.wait()))
    port = int(server.stdout.readline())
    script = ("const https = require('https'); let n = 0;"
              "function get() { https.get({host: '127.0.0.1', port: %d, path: '/', agent: false,"
              " rejectUnauthorized: false}, (r) => { r.resume(); r.on('end', () => {"
              " if (++n < 3) get(); }); }); } get();" % port)
    data, _ = record([node, "-e", script])
    rep = report(data)
    notes = [n for p in rep["processes"] for n in p["notes"]]
    check(any(n.startswith("3 TLS connections carried no message seen in clear") for n in notes),
          "the notes say so: %s" % notes)
    eq((rep["called_endpoints"], rep["requests_total"]), ([], 0), "no call seen")


def case_reads_that_move_no_bytes():
    # recv(MSG_TRUNC) drops a request unread into a smaller buffer: the
    # recorder reads none of that buffer (before, it logged 35 bytes of the
    # stack as a turn's), and having lost the messages' thread it follows
    # that direction no more, not even as turns.  A read of 0 bytes returns
    # 0 and ends nothing: the client's first call is answered, complete.
    data, out = record([prog("http_edge")])
    eq(out.strip(), "ok", "the program's own result")
    rep = report(data)
    served = [r for r in rep["requests"] if r["direction"] == "in"]
    eq(served, [], "nothing served seen after the lost bytes")
    calls = [(r["target"], r["status"], r["complete"]) for r in rep["requests"]
             if r["direction"] == "out"]
    eq(calls[0], ("/dropped", 200, True), "the client's first call, answered (in order)")


def case_example_endpoints():
    # examples/endpoints.py, as `make demo` runs it: GET /books's N+1 of
    # queries, GET /stock's N+1 of HTTP calls, GET /books/joined clean.
    prog_py = os.path.join(HERE, "..", "..", "examples", "endpoints.py")
    data, out = record([PYTHON, prog_py])
    eq(out.strip(), "15 requests served", "the example's output")
    rep = report(data)
    books, joined, stock = (endpoint(rep, n) for n in ("GET /books", "GET /books/joined",
                                                       "GET /stock"))
    require(books and joined and stock, "its endpoints: %s" % [(e["method"], e["path"])
                                                               for e in rep["endpoints"]])
    eq((books["count"], books["queries_max"], len(books["findings"])), (5, 21, 1),
       "GET /books: 5 requests of 21 queries, an N+1")
    eq((joined["queries_max"], joined["findings"]), (1, []), "GET /books/joined: one query")
    http = [f for f in findings_of(rep, "n_plus_one_http") if f["in_endpoint"] == "GET /stock"]
    check(len(http) == 1 and http[0]["count"] == 5 * 20, "GET /stock's calls: %s" % http)


def case_not_http():
    # A program that reads files and talks over TCP in another protocol
    # (a line protocol, then binary): no HTTP request.
    prog = os.path.join(TMP, "nothttp.py")
    with open(prog, "w") as f:
        f.write("""
import socket, threading
srv = socket.create_server(("127.0.0.1", 0))
def serve():
    c, _ = srv.accept()
    while True:
        b = c.recv(4096)
        if not b:
            break
        c.sendall(b"+OK " + b)
    c.close()
t = threading.Thread(target=serve)
t.start()
s = socket.create_connection(srv.getsockname())
for msg in (b"PING\\r\\n", b"SET GET /x HTTP/1.1\\r\\n", b"\\x00\\x01binary"):
    s.sendall(msg)
    s.recv(4096)
open(__file__).read()
s.close()
t.join()
""")
    data, _ = record([PYTHON, prog])
    rep = report(data)
    # The server's connection is seen as turns: what it read, then what
    # it answered; no HTTP endpoint, no call.
    eq([(e["method"], e["path"], e["count"], e["incomplete"]) for e in rep["endpoints"]],
       [("TURN", "*", 3, 0)], "three turns on the served connection, no HTTP endpoint")
    eq(rep["called_endpoints"], [], "no call")
    turns = sorted(r["target"] for r in rep["requests"])
    eq(turns, ["PING\\x0d\\x0a", "SET GET /x HTTP/1.1\\x0d\\x0a", "\\x00\\x01binary"],
       "each turn's first bytes")


def case_http_off_and_redacted():
    data = os.path.join(TMP, "off")
    port, p = serve([PYTHON, SERVER], data, env={"WHYSLOW_HTTP": "off"})
    urllib.request.urlopen("http://127.0.0.1:%d/items/1?secret=yes" % port, timeout=30).read()
    stop(port, p)
    eq(report(data)["requests_total"], 0, "WHYSLOW_HTTP=off: no request")
    data = os.path.join(TMP, "redacted")
    port, p = serve([PYTHON, SERVER], data, env={"WHYSLOW_REDACT": "url"})
    urllib.request.urlopen("http://127.0.0.1:%d/items/1?secret=yes" % port, timeout=30).read()
    stop(port, p)
    rep = report(data)
    targets = [r["target"] for r in rep["requests"]]
    eq(sorted(targets), ["/items/1", "/quit"], "WHYSLOW_REDACT=url: no query string")
    out = subprocess.run(["sh", "-c", "zstd -dc %s/*.wslog | grep -c secret=yes" % data],
                         capture_output=True, text=True)
    eq(out.stdout.strip(), "0", "the query string is nowhere in the logs")
