# SPDX-License-Identifier: MIT
"""test_export_otlp.py - e2e cases: `whyslow export --format otlp` on real
runs, checked against the OTLP/JSON rules (one TracesData a line,
lowerCamelCase keys, ids in hex of 32 and 16 digits, enums as integers,
64-bit integers as decimal strings) and against the JSON report of the
same logs: one root span per process with its queries (one span per
execution, its normalized statement as db.query.text) and lock waits;
one server span per request served, with its queries as children; a
request that carried a W3C traceparent joins that trace.  And --send, to
an HTTP server of the test's own on the loopback: the bodies it gets,
their headers (OTEL_EXPORTER_OTLP_HEADERS), the retries after 503, the
failures (400, nothing listening) in one stderr line.

Run by tests/run.py, one case per process (ctest: e2e.export_otlp.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import sys
import urllib.request

from whyslow_test import (EXAMPLES, PYTHON, TMP, WHYSLOW, at_end, check, eq, need_file, record,
                          report, require, whyslow)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e
sys.path.insert(0, HERE)
from test_http import serve, stop  # noqa: E402

SCHEMA_URL = "https://opentelemetry.io/schemas/1.33.0"
KIND_INTERNAL, KIND_SERVER, KIND_CLIENT = 1, 2, 3
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX16 = re.compile(r"[0-9a-f]{16}")
DECIMAL = re.compile(r"-?[0-9]+")
CAMEL = re.compile(r"[a-z][a-zA-Z0-9]*")


# ---- reading and checking OTLP/JSON ----

def value_of(v, where):
    """The Python value of an AnyValue, checked: one member, 64-bit
    integers as decimal strings."""
    require(isinstance(v, dict) and len(v) == 1, "%s: an AnyValue has one member: %r" % (where, v))
    (kind, x), = v.items()
    if kind == "stringValue":
        check(isinstance(x, str), "%s: a string: %r" % (where, x))
        return x
    if kind == "intValue":
        check(isinstance(x, str) and DECIMAL.fullmatch(x), "%s: intValue %r is a decimal string"
              % (where, x))
        return int(x)
    if kind == "boolValue":
        check(isinstance(x, bool), "%s: a bool: %r" % (where, x))
        return x
    if kind == "arrayValue":
        return [value_of(e, where) for e in x.get("values", [])]
    check(False, "%s: unexpected AnyValue %r" % (where, v))
    return None


def attrs(kvs, where):
    """{key: value} of a list of KeyValue; each key once."""
    out = {}
    for kv in kvs:
        require(set(kv) == {"key", "value"}, "%s: a KeyValue: %r" % (where, kv))
        check(kv["key"] not in out, "%s: attribute %s twice" % (where, kv["key"]))
        out[kv["key"]] = value_of(kv["value"], "%s %s" % (where, kv["key"]))
    return out


def bad_keys(v, path="", found=None):
    """The object keys of v that are not lowerCamelCase."""
    found = [] if found is None else found
    if isinstance(v, dict):
        for k, x in v.items():
            if not CAMEL.fullmatch(k):
                found.append(path + "." + k)
            bad_keys(x, path + "." + k, found)
    elif isinstance(v, list):
        for x in v:
            bad_keys(x, path + "[]", found)
    return found


def nano(v, what):
    check(isinstance(v, str) and DECIMAL.fullmatch(v), "%s: %r is a decimal string" % (what, v))
    return int(v)


class Span:
    def __init__(self, raw, resource):
        self.raw = raw
        self.resource = resource
        self.trace = raw.get("traceId")
        self.id = raw.get("spanId")
        self.parent = raw.get("parentSpanId")
        self.name = raw.get("name")
        self.kind = raw.get("kind")
        self.start = nano(raw.get("startTimeUnixNano"), "startTimeUnixNano")
        self.end = nano(raw.get("endTimeUnixNano"), "endTimeUnixNano")
        self.attrs = attrs(raw.get("attributes", []), "span %s" % self.name)
        self.events = raw.get("events", [])
        self.status = raw.get("status", {}).get("code", 0)

    def __repr__(self):
        return "<%s %s %s>" % (self.name, self.id, self.attrs.get("whyslow.request.id", ""))


def parse_lines(text, what):
    """The TracesData objects of OTLP/JSON lines, each parsed."""
    lines = text.splitlines()
    require(lines, "%s: no line" % what)
    out = []
    for n, line in enumerate(lines, 1):
        try:
            out.append(json.loads(line))
        except ValueError as e:
            require(False, "%s: line %d is no JSON (%s): %r" % (what, n, e, line[:300]))
    return out


def spans_of(datas, what):
    """Every span of TracesData objects, checked against the OTLP/JSON
    rules; returns [Span], each with its resource's attributes."""
    spans = []
    for d in datas:
        eq(list(d), ["resourceSpans"], "%s: a TracesData's members" % what)
        eq(bad_keys(d), [], "%s: keys that are not lowerCamelCase" % what)
        for rs in d["resourceSpans"]:
            res = attrs(rs["resource"]["attributes"], "resource")
            eq(rs.get("schemaUrl"), SCHEMA_URL, "%s: the resource's schemaUrl" % what)
            for ss in rs["scopeSpans"]:
                eq(ss["scope"].get("name"), "whyslow", "%s: the scope's name" % what)
                check(ss["scope"].get("version"), "%s: the scope's version" % what)
                eq(ss.get("schemaUrl"), SCHEMA_URL, "%s: the scope's schemaUrl" % what)
                for raw in ss["spans"]:
                    spans.append(Span(raw, res))
    require(spans, "%s: no span" % what)
    ids = set()
    for s in spans:
        check(isinstance(s.trace, str) and HEX32.fullmatch(s.trace) and s.trace != "0" * 32,
              "%s: traceId %r" % (s, s.trace))
        check(isinstance(s.id, str) and HEX16.fullmatch(s.id) and s.id != "0" * 16,
              "%s: spanId %r" % (s, s.id))
        check(s.parent is None or (HEX16.fullmatch(s.parent) and s.parent != "0" * 16),
              "%s: parentSpanId %r" % (s, s.parent))
        check(s.id not in ids, "%s: spanId used twice" % s)
        ids.add(s.id)
        check(type(s.kind) is int and s.kind in (KIND_INTERNAL, KIND_SERVER, KIND_CLIENT),
              "%s: kind %r is an integer enum" % (s, s.kind))
        check(type(s.status) is int and s.status in (0, 2), "%s: status %r" % (s, s.status))
        check(s.end >= s.start > 1500000000 * 10**9, "%s: times %d..%d" % (s, s.start, s.end))
        for e in s.events:
            nano(e.get("timeUnixNano"), "%s: event time" % s)
            attrs(e.get("attributes", []), "event %s" % e.get("name"))
    return spans


def export(data, *args, env=None):
    """The spans of `whyslow export --format otlp ARGS DATA` (to a file)."""
    out = os.path.join(TMP, "spans-%d.jsonl" % len(os.listdir(TMP)))
    rc, stdout, err = whyslow("export", "--format", "otlp", "-o", out, *args, data, env=env)
    require(rc == 0, "export exited %d: %s" % (rc, err))
    with open(out) as f:
        text = f.read()
    return text, spans_of(parse_lines(text, "export"), "export")


def roots_and_children(spans):
    """Checks every parentSpanId names a span of the same trace (but a
    server span's: its caller's, from a traceparent); returns the spans
    without a parent."""
    by_id = {s.id: s for s in spans}
    for s in spans:
        if s.parent is not None and s.kind != KIND_SERVER:
            p = by_id.get(s.parent)
            if check(p is not None, "%s: its parent %s is no span" % (s, s.parent)):
                eq(s.trace, p.trace, "%s: its trace is its parent's" % s)
    return [s for s in spans if s.parent is None]


def run_roots(spans, rep):
    """The process spans: one root of kind INTERNAL per process, named
    and with the resource of its process."""
    roots = [s for s in roots_and_children(spans) if s.kind == KIND_INTERNAL]
    pids = sorted(p["pid"] for p in rep["processes"])
    eq(sorted(s.resource["process.pid"] for s in roots), pids, "one root span per process")
    for s in roots:
        proc = [p for p in rep["processes"] if p["pid"] == s.resource["process.pid"]][0]
        eq(s.attrs.get("process.pid"), proc["pid"], "the root's pid")
        eq(s.resource.get("process.executable.path"), proc["exe"], "process.executable.path")
        eq(s.resource.get("process.command_line"), " ".join(proc["argv"]), "process.command_line")
        eq(s.resource.get("process.parent_pid"), proc["ppid"], "process.parent_pid")
        prog = os.path.basename(proc["argv"][0] if proc["argv"] else proc["exe"])
        if prog.startswith("python") and len(proc["argv"]) > 1 and proc["argv"][1] != "-c":
            prog = os.path.basename(proc["argv"][1])  # the script, not the interpreter
        eq(s.resource.get("service.name"), prog, "service.name: the program")
        eq(s.name, prog, "the run is named after it")
        eq(s.resource.get("host.name"), socket.gethostname(), "host.name: where it ran")
        eq(proc["host"], socket.gethostname(), "the report's host")
        eq(s.start, proc["start_unix_ns"], "the root starts with its process")
    return roots


def queries_by_text(spans):
    counts = {}
    for s in spans:
        if "db.query.text" in s.attrs:
            counts[s.attrs["db.query.text"]] = counts.get(s.attrs["db.query.text"], 0) + 1
    return counts


# ---- runs without requests ----

def case_queries_no_requests():
    """The N+1 example: a root span per process, each execution of each
    statement a client span under it, the N+1 finding an event of it."""
    need_file(os.path.join(EXAMPLES, "nplus1_sqlite"), "the examples are built by `make`")
    data, _ = record([os.path.join(EXAMPLES, "nplus1_sqlite")])
    rep = report(data)
    text, spans = export(data)
    roots = run_roots(spans, rep)
    require(len(roots) == 1, "one process")
    root = roots[0]
    queries = [s for s in spans if "db.query.text" in s.attrs]
    for s in queries:
        eq((s.kind, s.parent, s.trace), (KIND_CLIENT, root.id, root.trace),
           "%s: a client span under the run" % s)
        eq(s.attrs.get("db.system.name"), "sqlite", "%s: db.system.name" % s)
        op = s.attrs.get("db.operation.name")
        check(op and op == op.upper() and s.name.startswith(op), "%s: db.operation.name %r"
              % (s, op))
        check(root.start <= s.start <= s.end <= root.end, "%s: inside its process" % s)
    want = {q["normalized"]: q["count"] for q in rep["queries"]}
    eq(queries_by_text(spans), want, "executions per normalized statement")
    lookup = [s for s in queries if s.attrs["db.query.text"].startswith("select name from author")]
    check(lookup and all(s.name == "SELECT author" and
                         s.attrs.get("db.collection.name") == "author" for s in lookup),
          "the N+1's child is named SELECT author: %s" % lookup[:1])
    kinds = sorted(e["name"] for e in root.events)
    eq(kinds, sorted(f["kind"] for f in rep["findings"]), "the findings, events of the run")
    nplus1 = [e for e in root.events if e["name"] == "n_plus_one"]
    if check(nplus1, "an n_plus_one event"):
        a = attrs(nplus1[0]["attributes"], "n_plus_one")
        eq(a.get("whyslow.summary"),
           [f["summary"] for f in rep["findings"] if f["kind"] == "n_plus_one"][0], "its summary")
        check(a.get("whyslow.severity") in ("high", "medium", "low"), "its severity: %s" % a)
    # The same logs give the same lines: ids are not random.
    again, _ = export(data)
    eq(again == text, True, "a second export is the same")


def case_lock_waits():
    """The lock example: its lock waits are spans under the run of their
    process; the lock_contention finding is an event of the run."""
    need_file(os.path.join(EXAMPLES, "lock_contention"), "the examples are built by `make`")
    data, _ = record([os.path.join(EXAMPLES, "lock_contention")])
    rep = report(data)
    _, spans = export(data)
    roots = run_roots(spans, rep)
    require(len(roots) == 1, "one process")
    root = roots[0]
    waits = [s for s in spans if s.attrs.get("whyslow.category") == "lock"]
    check(len(waits) >= 10, "lock waits exported: %d" % len(waits))
    for s in waits:
        eq((s.kind, s.parent), (KIND_INTERNAL, root.id), "%s: under the run" % s)
        eq((s.name, s.attrs.get("whyslow.lock")), ("pthread_mutex_lock", "stats_lock"),
           "a wait is named by its call; the lock is an attribute")
        eq(s.attrs.get("whyslow.wait"), 1, "%s: a wait" % s)
        check(isinstance(s.attrs.get("thread.id"), int), "%s: thread.id" % s)
    contended = sum(l["contended"] for l in rep["locks"])
    check(len(waits) <= contended, "no more waits (%d) than the report counts (%d)"
          % (len(waits), contended))
    eq([e["name"] for e in root.events if e["name"] == "lock_contention"], ["lock_contention"],
       "the lock_contention finding on the run")
    for s in spans:
        if s is not root:
            check(s.trace == root.trace and s.parent == root.id, "%s: a child of the run" % s)


# ---- served requests ----

SERVER = r'''
import http.server, sqlite3, sys, threading
DB = sys.argv[1]
setup = sqlite3.connect(DB)
setup.execute("CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT)")
setup.execute("DELETE FROM items")
setup.executemany("INSERT INTO items VALUES (?, ?)", [(i, "item %d" % i) for i in range(1, 11)])
setup.commit()
setup.close()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path.startswith("/items/"):
            db = sqlite3.connect(DB)
            n = int(self.path.rsplit("/", 1)[-1])
            ids = [r[0] for r in db.execute("SELECT id FROM items ORDER BY id LIMIT ?", (n,))]
            names = [db.execute("SELECT name FROM items WHERE id = ?", (i,)).fetchone()[0]
                     for i in ids]
            db.close()
            self.answer(200, ", ".join(names).encode())
        elif self.path == "/fail":
            db = sqlite3.connect(DB)
            db.execute("SELECT count(*) FROM items").fetchone()
            db.close()
            self.answer(500, b"no")
        elif self.path == "/quit":
            self.answer(200, b"bye")
            threading.Thread(target=server.shutdown).start()
        else:
            self.answer(404, b"")

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = False
print("port=%d" % server.server_address[1], flush=True)
server.serve_forever()
server.server_close()
'''

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def served_run():
    """Records the server above answering requests; its data folder and
    {target: traceparent sent or None}."""
    script = os.path.join(TMP, "items_server.py")
    with open(script, "w") as f:
        f.write(SERVER)
    data = os.path.join(TMP, "data")
    p = subprocess.Popen([WHYSLOW, "record", "-o", data, "--", PYTHON, script,
                          os.path.join(TMP, "items.sqlite3")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    at_end(lambda: (p.poll() is None and p.kill(), p.wait()))
    line = p.stdout.readline()
    require(line.startswith("port="), "the server did not start: %r" % line)
    base = "http://127.0.0.1:%d" % int(line[5:])
    sent = {}
    for target, tp in (("/items/6", None), ("/items/7", TRACEPARENT), ("/items/8", None),
                       ("/fail", None)):
        req = urllib.request.Request(base + target, headers={"traceparent": tp} if tp else {})
        try:
            urllib.request.urlopen(req, timeout=30).read()
        except urllib.error.HTTPError as e:
            eq(e.code, 500, "%s answered" % target)
        sent[target] = tp
    urllib.request.urlopen(base + "/quit", timeout=30).read()
    p.wait(timeout=60)
    require(p.returncode == 0, "the server ended with %d: %s" % (p.returncode, p.stderr.read()))
    return data, sent


def case_served_requests():
    """One server span per request the report lists, its queries its
    children (as many as the report counts in it); the request sent with
    a traceparent is in that trace, under that parent."""
    data, sent = served_run()
    rep = report(data)
    _, spans = export(data)
    roots = run_roots(spans, rep)
    require(len(roots) == 1, "one process")
    root = roots[0]
    by_parent = {}
    for s in spans:
        by_parent.setdefault(s.parent, []).append(s)
    served = [r for r in rep["requests"] if r["direction"] == "in"]
    eq(rep["requests_total"], len(rep["requests"]), "the report lists every request")
    servers = [s for s in spans if s.kind == KIND_SERVER]
    eq(sorted(s.attrs.get("whyslow.request.id") for s in servers), sorted(r["id"] for r in served),
       "one server span per request served")
    traces = set()
    for r in served:
        found = [s for s in servers if s.attrs.get("whyslow.request.id") == r["id"]]
        if not check(len(found) == 1, "request %s: one span" % r["id"]):
            continue
        s = found[0]
        eq(s.name, r["endpoint"], "request %s: its span's name" % r["id"])
        eq(s.attrs.get("http.request.method"), r["method"], "%s: http.request.method" % s)
        eq(s.attrs.get("url.path"), r["target"].split("?")[0], "%s: url.path" % s)
        eq(s.attrs.get("http.route"), r["endpoint"].split(" ", 1)[1], "%s: http.route" % s)
        eq(s.attrs.get("http.response.status_code"), r["status"], "%s: status" % s)
        check(s.attrs.get("client.address") == "127.0.0.1" and s.attrs.get("client.port"),
              "%s: client.address: %s" % (s, s.attrs))
        eq(s.start, r["start_unix_ns"], "%s: starts with its request" % s)
        eq(s.end - s.start, r["latency_ns"], "%s: lasts as long" % s)
        eq(s.status, 2 if r["status"] >= 500 else 0, "%s: status code" % s)
        children = by_parent.get(s.id, [])
        queries = [c for c in children if "db.query.text" in c.attrs]
        eq(len(queries), r["queries"], "request %s (%s): its query spans" % (r["id"], r["target"]))
        for c in children:
            eq(c.trace, s.trace, "%s: in the trace of its request" % c)
            check(s.start <= c.start and c.end <= s.end, "%s: inside its request %s" % (c, s))
        tp = sent.get(r["target"])
        if tp:
            eq(r["traceparent"], tp, "the report saw the traceparent")
            eq((s.trace, s.parent), (tp.split("-")[1], tp.split("-")[2]),
               "%s joins the trace of its traceparent" % s)
        elif r["target"] in sent or r["target"] == "/quit":
            eq(s.parent, None, "%s: a root of its own trace" % s)
        traces.add(s.trace)
    eq(len(traces), len(served), "each request in a trace of its own")
    # The N+1 (6 to 8 lookups a request) is an event of the run, and of
    # the first request of its endpoint only.
    nplus1 = [f for f in rep["findings"] if f["kind"] == "n_plus_one"]
    require(len(nplus1) == 1, "one n_plus_one finding: %s" % [f["kind"] for f in rep["findings"]])
    eq([e["endpoint"] for e in nplus1[0]["endpoints"]], ["GET /items/{id}"], "where it ran")
    eq([e["name"] for e in root.events].count("n_plus_one"), 1, "the N+1 on the run")
    items = sorted((s for s in servers if s.name == "GET /items/{id}"), key=lambda s: s.start)
    require(len(items) == 3, "three GET /items/{id} spans")
    # (Only the N+1's events: a loaded machine may make a call of one of
    # them slow, a slow_syscall event beside it.)
    eq([[e["name"] for e in s.events if e["name"] == "n_plus_one"] for s in items],
       [["n_plus_one"], [], []], "the N+1 on the first request of its endpoint")
    check(root.trace not in traces, "the run's trace is none of the requests'")
    # The statements run before serving (the table's set-up) are the run's.
    setup = [s for s in by_parent.get(root.id, []) if "db.query.text" in s.attrs]
    check(any(s.attrs["db.query.text"].startswith("insert into items") for s in setup),
          "the set-up's statements under the run: %s" % [s.name for s in setup])
    eq(sum(queries_by_text(spans).values()), sum(q["count"] for q in rep["queries"]),
       "every execution a span")


# ---- HTTP calls made ----

def case_outgoing_calls():
    """An app calling another service: each call a CLIENT span with
    url.full, server.address and server.port, the status; those made for
    a request its children, those made before serving the run's."""
    data = os.path.join(TMP, "data")
    port, p = serve([PYTHON, os.path.join(HERE, "progs", "py_http_calls.py")], data)
    for path in ("/albums", "/albums/batch"):
        urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30).read()
    stop(port, p)
    rep = report(data)
    _, spans = export(data)
    roots = run_roots(spans, rep)
    require(len(roots) == 1, "one process")
    by_id = {s.id: s for s in spans}
    calls = [s for s in spans if s.kind == KIND_CLIENT and "http.request.method" in s.attrs]
    made = [r for r in rep["requests"] if r["direction"] == "out"]
    eq(len(calls), len(made), "a client span per call the report lists")
    eq(len(calls), 8 + 8 + 1, "the calls: 8 at the start, 8 for /albums, 1 for /albums/batch")
    backend = None
    for c in calls:
        m = re.fullmatch(r"http://127\.0\.0\.1:(\d+)(/(items|stock)\S*)", c.attrs.get("url.full", ""))
        if not check(m, "%s: url.full %r" % (c, c.attrs.get("url.full"))):
            continue
        backend = int(m.group(1))
        eq((c.attrs.get("server.address"), c.attrs.get("server.port")), ("127.0.0.1", backend),
           "%s: server.address and server.port" % c)
        eq((c.attrs.get("http.request.method"), c.attrs.get("http.response.status_code"), c.status),
           ("GET", 200, 0), "%s: method, status" % c)
        parent = by_id.get(c.parent)
        require(parent is not None, "%s: its parent is exported" % c)
        if parent.kind == KIND_SERVER:
            check(parent.name in ("GET /albums", "GET /albums/batch"),
                  "%s: made for a frontend request, not %s" % (c, parent.name))
            check(parent.start <= c.start and c.end <= parent.end, "%s: inside its request" % c)
        else:
            eq(parent, roots[0], "%s: made outside requests: the run's" % c)
    under = {}
    for c in calls:
        under[by_id[c.parent].name] = under.get(by_id[c.parent].name, 0) + 1
    eq(under.get("GET /albums"), 8, "the N+1's calls under its request")
    eq(under.get("GET /albums/batch"), 1, "the batch call under its request")


# ---- a large process ----

MANY_QUERIES = 9000


def case_streamed():
    """A process of 9000 statements: its spans in lines of at most 4096
    (the export streams), each line a resource of that process; --send
    posts them in bodies of about 4 MiB at most."""
    data, _ = record([PYTHON, "-c", "import sqlite3\n"
                      "db = sqlite3.connect(':memory:')\n"
                      "for i in range(%d):\n"
                      "    db.execute('select ?', (i,)).fetchone()\n" % MANY_QUERIES])
    rep = report(data)
    text, spans = export(data)
    run_roots(spans, rep)
    per_line = []
    for d in parse_lines(text, "export"):
        eq(len(d["resourceSpans"]), 1, "a line holds one resource")
        rs = d["resourceSpans"][0]
        pid = attrs(rs["resource"]["attributes"], "resource")["process.pid"]
        per_line.append((pid, sum(len(ss["spans"]) for ss in rs["scopeSpans"])))
    check(max(n for _, n in per_line) <= 4096, "at most 4096 spans a line: %s" % per_line)
    longest = max(len(line.encode()) for line in text.splitlines())
    check(longest <= 1 << 20, "lines of 1 MiB at most (the file receiver's limit): %d" % longest)
    big = [p["pid"] for p in rep["processes"] if p["argv"][:1] == [PYTHON]]
    require(len(big) == 1, "one python process: %s" % [p["argv"] for p in rep["processes"]])
    lines = [n for pid, n in per_line if pid == big[0]]
    check(len(lines) >= 3, "the python process's spans in several lines: %s" % lines)
    count = queries_by_text(spans).get("select ?", 0)
    eq(count, MANY_QUERIES, "its statement's executions")
    c = Collector()
    rc, _, err, _ = send(data, c.url + "/v1/traces")
    eq((rc, err), (0, ""), "export --send")
    sizes = [len(b) for _, _, b in c.posts]
    check(len(sizes) >= 2 and max(sizes) <= (4 << 20) + (64 << 10),
          "bodies of about 4 MiB at most: %s" % sizes)
    got = spans_of([json.loads(b) for _, _, b in c.posts], "bodies")
    eq(len(got), len(spans), "the spans posted")


# ---- --send ----

class Collector:
    """An OTLP/HTTP receiver on the loopback: records each post (path,
    headers, body) and answers the statuses of `answers` in turn (200
    once they are used up); an answer (status, seconds) sends a
    Retry-After."""

    def __init__(self, answers=()):
        self.posts = []
        self.answers = list(answers)
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                collector.posts.append((self.path, dict(self.headers.items()), body))
                status = collector.answers.pop(0) if collector.answers else 200
                status, after = status if isinstance(status, tuple) else (status, None)
                out = b"{}" if status == 200 else b'{"message":"no"}'
                self.send_response(status)
                if after is not None:
                    self.send_header("Retry-After", str(after))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        at_end(lambda: (self.server.shutdown(), self.server.server_close()))


def small_run():
    need_file(os.path.join(EXAMPLES, "nplus1_sqlite"), "the examples are built by `make`")
    data, _ = record([os.path.join(EXAMPLES, "nplus1_sqlite")])
    return data


def send(data, url, env=None):
    """Runs export --send [URL]; (exit status, stdout, stderr, seconds)."""
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("OTEL_"):
            del e[k]
    e.update(env or {})
    args = ["export", "--format", "otlp", "--send"] + ([url] if url else []) + [data]
    t = time.monotonic()
    rc, out, err = whyslow(*args, env=e, timeout=120)
    return rc, out, err, time.monotonic() - t


def case_send():
    """The bodies posted parse, hold the spans of the file export, with
    Content-Type application/json and the headers of
    OTEL_EXPORTER_OTLP_HEADERS (values percent-decoded); without a URL,
    OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces."""
    data = small_run()
    _, want = export(data)
    c = Collector()
    rc, out, err, _ = send(data, None, {"OTEL_EXPORTER_OTLP_ENDPOINT": c.url,
                                        "OTEL_EXPORTER_OTLP_HEADERS":
                                            "x-token=abc%20def, x-other = two"})
    eq((rc, err), (0, ""), "export --send exit status and stderr")
    require(c.posts, "posts received")
    got = []
    for path, headers, body in c.posts:
        eq(path, "/v1/traces", "the path posted to")
        headers = {k.lower(): v for k, v in headers.items()}
        eq(headers.get("content-type"), "application/json", "Content-Type")
        eq(headers.get("x-token"), "abc def", "x-token, percent-decoded")
        eq(headers.get("x-other"), "two", "x-other, trimmed")
        text = body.decode()
        eq(text.count("\n") <= 1, True, "a body is one TracesData")
        got += spans_of([json.loads(text)], "a body")
    eq(sorted((s.id, s.name, s.trace, s.parent) for s in got),
       sorted((s.id, s.name, s.trace, s.parent) for s in want), "the spans posted")
    # A URL given is used as it is; the signal's own variables come first.
    c2 = Collector()
    rc, _, err, _ = send(data, c2.url + "/custom/path",
                         {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"})
    eq((rc, err), (0, ""), "export --send URL")
    eq(sorted({p for p, _, _ in c2.posts}), ["/custom/path"], "posted to the URL given")
    c3 = Collector()
    rc, _, err, _ = send(data, None, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": c3.url + "/t",
                                      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
                                      "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "a=1",
                                      "OTEL_EXPORTER_OTLP_HEADERS": "b=2"})
    eq((rc, err), (0, ""), "export --send with the traces variables")
    eq(sorted({p for p, _, _ in c3.posts}), ["/t"], "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is")
    h = {k.lower(): v for k, v in c3.posts[0][1].items()} if c3.posts else {}
    eq((h.get("a"), h.get("b")), ("1", None), "OTEL_EXPORTER_OTLP_TRACES_HEADERS first")


def case_send_retries():
    """503, 503, then 200: three posts of one body, and success."""
    data = small_run()
    c = Collector([503, 503])
    rc, out, err, took = send(data, c.url + "/v1/traces")
    eq((rc, err), (0, ""), "exit status and stderr after two 503s")
    eq(len(c.posts), 3, "posts: two refused, one taken")
    check(len({b for _, _, b in c.posts}) == 1, "the same body each time")
    check(took >= 1.4, "it waited 0.5 s then 1 s between them: %.2f s" % took)
    # A Retry-After is waited for instead.
    c = Collector([(429, 2)])
    rc, out, err, took = send(data, c.url + "/v1/traces")
    eq((rc, err, len(c.posts)), (0, "", 2), "exit status, stderr and posts after a 429")
    check(took >= 1.9, "it waited the 2 s of Retry-After: %.2f s" % took)


def case_send_fails():
    """A 400 is not tried again; nothing listening is, 5 times; either
    ends export with status 1 and one stderr line naming the URL."""
    data = small_run()
    c = Collector([400])
    url = c.url + "/v1/traces"
    rc, out, err, _ = send(data, url)
    eq(rc, 1, "exit status after a 400")
    lines = err.splitlines()
    eq(len(lines), 1, "one stderr line: %r" % err)
    check(lines and url in lines[0] and "400" in lines[0], "it names the URL and status: %r" % err)
    eq(len(c.posts), 1, "a 400 is not tried again")
    # A port nothing listens on.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d/v1/traces" % s.getsockname()[1]
    s.close()
    rc, out, err, took = send(data, url)
    eq(rc, 1, "exit status when nothing listens")
    lines = err.splitlines()
    eq(len(lines), 1, "one stderr line: %r" % err)
    check(lines and url in lines[0], "it names the URL: %r" % err)
    check(7 <= took < 20, "5 attempts, 7.5 s of waits between them: %.2f s" % took)
