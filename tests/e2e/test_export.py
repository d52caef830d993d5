# SPDX-License-Identifier: MIT
"""test_export.py - e2e cases: `whyslow export --format perfetto|chrome` on
real runs (the lock-contention and pool examples, a Node server serving
requests at once), read back and checked against the JSON report of the
same logs: a track per thread named as the report names it, in one per
process; a slice per call, query and lock wait, nesting on each thread;
an arrow from each wake to the wait it ended; overlapping requests on
async tracks.  The Perfetto file is decoded with Debian's `protoc
--decode` against perfetto/trace_subset.proto (Perfetto's field numbers,
each checked against upstream: see that file).  Then the filters
(--pid, --from/--to, --endpoint, --test), the size bound (--max-events)
and the errors.

Run by tests/run.py, one case per process (ctest: e2e.export.CASE); OTLP
has its own cases (test_export_otlp.py).
"""
import codecs
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import zlib

from whyslow_test import (EXAMPLES, PROGS, TMP, check, eq, gen, one_line_error, record, report,
                          require, skip, whyslow)

HERE = os.path.dirname(os.path.abspath(__file__))  # tests/e2e
sys.path.insert(0, HERE)
from test_check import django_project, pytest_recorded  # noqa: E402
from test_http import read_response, serve, stop  # noqa: E402

PROTO_DIR = os.path.join(HERE, "perfetto")
BEGIN, END, INSTANT, COUNTER = "TYPE_SLICE_BEGIN", "TYPE_SLICE_END", "TYPE_INSTANT", "TYPE_COUNTER"


def export(data, fmt, *args):
    """Runs `whyslow export --format FMT ARGS DATA` to a file; returns
    (the file's bytes, the slice count its stderr line gives, stderr)."""
    out = os.path.join(TMP, "trace-%d.%s" % (len(os.listdir(TMP)), fmt))
    rc, stdout, err = whyslow("export", "--format", fmt, "-o", out, *args, data)
    require(rc == 0, "export %s exited %d: %s" % (" ".join(args), rc, err))
    m = re.search(r"(\d+) slices written to (.*?) \(open it", err)
    require(m and m.group(2) == out, "stderr names the slices and the file: %r" % err)
    with open(out, "rb") as f:
        return f.read(), int(m.group(1)), err


# ---- reading a Perfetto trace ----

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def fields(b):
    """The (field number, wire type, value) of a message's bytes."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def uncompressed(raw):
    """The trace with its compressed_packets (TracePacket field 50: zlib)
    inflated: a Trace whose packets are all plain ones."""
    out = bytearray()
    for num, wt, packet in fields(raw):
        require(num == 1 and wt == 2, "a Trace holds packets (field 1): got field %d" % num)
        inner = [v for n, w, v in fields(packet) if n == 50]
        if not inner:
            out += b"\x0a" + encode_varint(len(packet)) + packet
            continue
        eq(len(list(fields(packet))), 1, "a compressed packet holds nothing else")
        z = zlib.decompress(inner[0])
        check(len(z) < 512 * 1024, "a batch inflates to less than 512 KiB: %d" % len(z))
        out += z
    return bytes(out)


def encode_varint(n):
    b = bytearray()
    while True:
        if n < 0x80:
            b.append(n)
            return bytes(b)
        b.append(n & 0x7F | 0x80)
        n >>= 7


def protoc_text(trace):
    """protoc --decode=perfetto.protos.Trace of a trace's bytes."""
    p = subprocess.run(["protoc", "--decode=perfetto.protos.Trace", "--proto_path=" + PROTO_DIR,
                        "trace_subset.proto"], input=trace, capture_output=True, timeout=120)
    require(p.returncode == 0, "protoc --decode failed: %s" % p.stderr.decode()[:500])
    require(b"\n1:" not in p.stdout and not re.search(rb"^\s*\d+: ", p.stdout, re.M),
            "fields protoc does not know (numbers the proto lacks)")
    return p.stdout.decode()


def parse_text(text):
    """protoc's text format as nested dicts: each key to a list of values."""
    root = {}
    stack = [root]
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
        elif line.endswith(" {"):
            d = {}
            stack[-1].setdefault(line[:-2], []).append(d)
            stack.append(d)
        else:
            key, v = line.split(": ", 1)
            if v.startswith('"'):
                v = codecs.escape_decode(v[1:-1].encode())[0].decode("utf-8", "replace")
            elif re.fullmatch(r"-?\d+", v):
                v = int(v)
            elif re.fullmatch(r"-?[\d.e+-]+|inf|-inf|nan", v):
                v = float(v)
            stack[-1].setdefault(key, []).append(v)
    return root


def one(d, key, default=None):
    v = d.get(key)
    return v[0] if v else default


class Perfetto:
    """A decoded trace: its tracks and, per track, its events in the order
    of the file with names resolved through each sequence's interning."""

    def __init__(self, raw):
        trace = parse_text(protoc_text(uncompressed(raw)))
        self.tracks = {}  # uuid -> descriptor dict
        self.events = {}  # uuid -> [event]
        interned = {}  # sequence -> {(table, iid): text}
        for p in trace.get("packet", []):
            seq = one(p, "trusted_packet_sequence_id")
            flags = one(p, "sequence_flags", 0)
            if flags & 1:
                interned[seq] = {}
            table = interned.setdefault(seq, {})
            for idata in p.get("interned_data", []):
                for name, key in (("event_names", "name"), ("event_categories", "name"),
                                  ("debug_annotation_names", "name"),
                                  ("debug_annotation_string_values", "str")):
                    for e in idata.get(name, []):
                        table[(name, one(e, "iid"))] = one(e, key)
            for td in p.get("track_descriptor", []):
                uuid = one(td, "uuid")
                check(uuid not in self.tracks, "track %d described once" % uuid)
                self.tracks[uuid] = td
            for te in p.get("track_event", []):
                if "name_iid" in te or "category_iids" in te or te.get("debug_annotations"):
                    check(flags & 2, "a packet with interned ids says it needs them")
                ev = {"type": one(te, "type"), "ts": one(p, "timestamp"),
                      "track": one(te, "track_uuid"),
                      "name": table.get(("event_names", one(te, "name_iid")), one(te, "name")),
                      "cats": [table.get(("event_categories", c)) for c in te.get("category_iids", [])],
                      "flows": te.get("flow_ids", []),
                      "ends": te.get("terminating_flow_ids", []),
                      "value": one(te, "double_counter_value"), "args": {}}
                for a in te.get("debug_annotations", []):
                    k = table.get(("debug_annotation_names", one(a, "name_iid")), one(a, "name"))
                    if "string_value_iid" in a:
                        v = table.get(("debug_annotation_string_values", one(a, "string_value_iid")))
                        check(v is not None, "interned value %s of %s" % (a, ev["name"]))
                    else:
                        v = next(iter(one(a, x) for x in ("int_value", "bool_value", "uint_value",
                                                          "double_value", "string_value")
                                      if x in a), None)
                    ev["args"][k] = v
                check(ev["name"] is not None or ev["type"] in (END, COUNTER),
                      "an event's name resolves: %s" % te)
                self.events.setdefault(ev["track"], []).append(ev)

    def threads(self):
        """{(pid, tid): (uuid, name)} of the thread tracks."""
        out = {}
        for uuid, td in self.tracks.items():
            for t in td.get("thread", []):
                out[(one(t, "pid"), one(t, "tid"))] = (uuid, one(t, "thread_name"))
        return out

    def processes(self):
        out = {}
        for uuid, td in self.tracks.items():
            for p in td.get("process", []):
                out[one(p, "pid")] = (uuid, one(p, "process_name"))
        return out

    def slices(self, uuid):
        """The track's slices, (name, start, end, args, flows, depth),
        checking that begins and ends pair as a stack."""
        out, stack = [], []
        evs = sorted(self.events.get(uuid, []), key=lambda e: e["ts"])  # stable: file order on ties
        for e in evs:
            if e["type"] == BEGIN:
                stack.append([e, len(out)])
                out.append(None)
            elif e["type"] == END:
                require(stack, "an end without a begin on track %d at %d" % (uuid, e["ts"]))
                b, i = stack.pop()
                check(e["ts"] >= b["ts"], "%s ends after it begins" % b["name"])
                out[i] = (b["name"], b["ts"], e["ts"], b["args"], b["flows"], len(stack), b["cats"])
        check(not stack, "every slice of track %d ends" % uuid)
        return [s for s in out if s]


# ---- reading a Chrome trace ----

def chrome(raw):
    doc = json.loads(raw)
    evs = doc["traceEvents"]
    for e in evs:
        for k in ("ts", "dur"):
            if k in e:
                check(isinstance(e[k], (int, float)), "%s is a number" % k)
    return doc, evs


def us(e, key="ts"):
    """A Chrome time in integer ns (the export writes exact decimals)."""
    return round(e[key] * 1000)


def check_chrome_nesting(evs):
    """Per thread, X events nest: one that starts inside another ends in it."""
    by_thread = {}
    for e in evs:
        if e["ph"] == "X":
            by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    for key, xs in by_thread.items():
        xs.sort(key=lambda e: (us(e), -us(e, "dur")))
        stack = []
        for e in xs:
            s, t = us(e), us(e) + us(e, "dur")
            while stack and stack[-1] <= s:
                stack.pop()
            check(not stack or t <= stack[-1],
                  "thread %s: %s [%d, %d] nests in its parent (ends %s)"
                  % (key, e["name"], s, t, stack[-1] if stack else None))
            stack.append(t)
    return by_thread


def enclosing(xs, at):
    """The innermost X event of a thread's (sorted) list that holds time at."""
    best = None
    for e in xs:
        if us(e) <= at <= us(e) + us(e, "dur"):
            best = e
    return best


# ---- the lock-contention example ----

def lock_run():
    data, _ = record([os.path.join(EXAMPLES, "lock_contention")])
    rep = report(data)
    locks = [l for l in rep["locks"] if l["lock"] == "stats_lock"]
    require(len(locks) == 1, "the report has stats_lock: %s" % rep["locks"])
    return data, rep, locks[0]


def report_threads(rep):
    return {(t["pid"], t["tid"]): t.get("name") for t in rep["threads"]}


def case_perfetto_lock_contention():
    """Tracks named as the report names its process and threads; each
    thread's slices nest; the waits on stats_lock are slices named by the
    lock with its site; an arrow goes from each unlock to the wait it
    ended, as many as the report's contended waits."""
    data, rep, lock = lock_run()
    raw, nslices, _ = export(data, "perfetto")
    t = Perfetto(raw)
    proc = rep["processes"][0]
    procs = t.processes()
    eq(list(procs), [proc["pid"]], "one process track, its pid")
    eq(procs[proc["pid"]][1], " ".join(proc["argv"]), "the process track's name")
    threads = t.threads()
    eq({k: v[1] for k, v in threads.items()}, report_threads(rep), "thread tracks and names")
    for (pid, tid), (uuid, _) in threads.items():
        eq(one(t.tracks[uuid], "parent_uuid"), procs[pid][0], "thread %d's track in its process" % tid)

    slices = {tid: t.slices(uuid) for (pid, tid), (uuid, _) in threads.items()}
    eq(sum(len(s) for s in slices.values()), nslices, "the slices stderr counts")
    waits = [s for ss in slices.values() for s in ss
             if s[0] == "pthread_mutex_lock(stats_lock)" and s[3].get("wait") == 1]
    eq(len(waits), lock["contended"], "wait slices on stats_lock: the report's contended waits")
    check(all(s[3].get("site", "").startswith("update_stats (lock_contention.c:") for s in waits),
          "each wait names its site: %s" % {s[3].get("site") for s in waits})
    check(all(s[6] == ["lock"] for s in waits), "waits are of category lock")
    slow = [s for s in waits if s[2] - s[1] >= rep["slow_ns"]]
    check(slow and all("update_stats (lock_contention.c:" in s[3].get("stack", "") for s in slow),
          "slow waits carry their stack")

    # Flows: from a slice's begin (the unlock) to an instant at the end of
    # the wait it ended, on the waiter's track.
    starts = {}
    for tid, ss in slices.items():
        for s in ss:
            for f in s[4]:
                check(f not in starts, "flow %d starts once" % f)
                starts[f] = (tid, s)
    check(all(s[0] == "pthread_mutex_unlock(stats_lock)" for _, s in starts.values()),
          "flows start at unlocks: %s" % {s[0] for _, s in starts.values()})
    ends = 0
    for (pid, tid), (uuid, _) in threads.items():
        for e in t.events.get(uuid, []):
            for f in e["ends"]:
                require(f in starts, "flow %d ends where it started" % f)
                ends += 1
                wait = [s for s in slices[tid] if s[1] <= e["ts"] <= s[2] and s[3].get("wait")]
                check(len(wait) == 1 and e["ts"] == max(wait[0][1], wait[0][2] - 1),
                      "the arrow ends at the end of a wait of its thread")
                wtid, waker = starts[f]
                check(wtid != tid and wait and waker[1] <= wait[0][2] + 2000000,
                      "it comes from another thread's unlock, by the wait's end")
    # Every contended wait of this example is released by an unlock; the
    # links follow the report's rules (a wake within 2 ms of the wait's
    # end), which a machine loaded enough could miss for a few.
    check(0.9 * lock["contended"] <= ends <= lock["contended"],
          "an arrow per contended wait: %d of %d" % (ends, lock["contended"]))


def case_chrome_lock_contention():
    """The same run as Chrome JSON: names as metadata, X slices that nest
    per thread, an s/f flow pair per contended wait that binds to the
    unlock and to the wait."""
    data, rep, lock = lock_run()
    raw, nslices, _ = export(data, "chrome")
    doc, evs = chrome(raw)
    for line in raw.decode().splitlines()[1:-1]:
        json.loads(line.rstrip(","))  # one event a line
    proc = rep["processes"][0]
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in evs
             if e["ph"] == "M" and e["name"] == "thread_name"}
    eq(names, report_threads(rep), "thread names")
    pname = [e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "process_name"]
    eq(pname, [" ".join(proc["argv"])], "the process's name")
    xs = [e for e in evs if e["ph"] == "X"]
    eq(len(xs), nslices, "X slices: the count on stderr")
    by_thread = check_chrome_nesting(evs)
    waits = [e for e in xs if e["name"] == "pthread_mutex_lock(stats_lock)" and e["args"].get("wait")]
    eq(len(waits), lock["contended"], "waits on stats_lock")
    s = {e["id"]: e for e in evs if e["ph"] == "s"}
    f = [e for e in evs if e["ph"] == "f"]
    check(0.9 * lock["contended"] <= len(f) <= lock["contended"],
          "flow ends: one per contended wait: %d of %d" % (len(f), lock["contended"]))
    for e in f:
        require(e["id"] in s, "flow %s has a start" % e["id"])
        eq(e.get("bp"), "e", "a flow end binds to its enclosing slice")
        start = s[e["id"]]
        src = enclosing(sorted(by_thread[(start["pid"], start["tid"])], key=us), us(start))
        check(src is not None and src["name"] == "pthread_mutex_unlock(stats_lock)",
              "the flow starts on an unlock: %s" % (src and src["name"]))
        dst = enclosing(by_thread[(e["pid"], e["tid"])], us(e))
        check(dst is not None and dst["args"].get("wait") == 1 and
              us(e) == us(dst) + us(dst, "dur") - 1, "the flow ends at the end of a wait")


# ---- the pool example: semaphore-like waits and queries ----

def case_perfetto_pool():
    """The pool example: each query a slice named by its normalized
    statement (as many as the report counts), nested in its thread; the
    waits for a connection, each with an arrow from the give-back that
    ended it."""
    data, _ = record([os.path.join(EXAMPLES, "pool_exhaustion")])
    rep = report(data)
    t = Perfetto(export(data, "perfetto")[0])
    names = {}
    flows_out, flows_in = set(), 0
    for (pid, tid), (uuid, _) in t.threads().items():
        for s in t.slices(uuid):
            names[s[0]] = names.get(s[0], 0) + 1
            flows_out.update(s[4])
        flows_in += sum(len(e["ends"]) for e in t.events.get(uuid, []))
    require(rep["queries"], "the report has queries")
    for q in rep["queries"]:
        eq(names.get(q["normalized"]), q["count"], "slices of %r" % q["normalized"])
    conds = [n for n in names if n.startswith("pthread_cond_wait(")]
    check(conds, "waits on the pool's condition: %s" % sorted(names))
    check(flows_in > 0 and flows_in == len(flows_out), "arrows end where they start: %d, %d"
          % (flows_in, len(flows_out)))


# ---- an event loop serving requests at once ----

def node_run():
    node = "/usr/bin/node"
    if not os.path.exists(node):
        skip("no /usr/bin/node (Debian's nodejs package)")
    data = os.path.join(TMP, "data")
    port, p = serve([node, os.path.join(HERE, "progs", "node_http_async.js")], data)
    socks = []
    for i in range(6):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /wait/40?n=%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
        socks.append(s)
    for s in socks:
        eq(read_response(s, b"")[0], 200, "an answer")
        s.close()
    stop(port, p)
    return data, report(data)


def case_chrome_event_loop():
    """Six requests served at once by Node's one thread: each on an async
    track of its own (b/e pairs), the thread's X slices still nesting."""
    data, rep = node_run()
    doc, evs = chrome(export(data, "chrome")[0])
    check_chrome_nesting(evs)
    b = [e for e in evs if e["ph"] == "b" and e["name"] == "GET /wait/{id}"]
    e_ = [e for e in evs if e["ph"] == "e" and e["name"] == "GET /wait/{id}"]
    eq(len(b), 6, "six async begins")
    eq(sorted(x["id2"]["local"] for x in b), sorted(x["id2"]["local"] for x in e_),
       "each begin has its end")
    eq(len({x["id2"]["local"] for x in b}), 6, "one async track each")
    eq([x for x in evs if x["ph"] == "X" and x["name"] == "GET /wait/{id}"], [],
       "no overlapping request on the thread's track")
    quit_ = [x for x in evs if x["name"] == "GET /quit"]
    eq([x["ph"] for x in quit_], ["X"], "the lone /quit request stays on its thread")


def case_perfetto_event_loop():
    """The same in Perfetto: an async track per overlapping request, under
    the process's track, each holding its one slice."""
    data, rep = node_run()
    t = Perfetto(export(data, "perfetto")[0])
    procs = {uuid for uuid, _ in t.processes().values()}
    reqs = []
    for uuid, td in t.tracks.items():
        if td.get("thread") or td.get("process") or td.get("counter"):
            continue
        check(one(td, "parent_uuid") in procs, "an async track under its process")
        reqs += [s for s in t.slices(uuid)]
    eq(sorted(s[0] for s in reqs), ["GET /wait/{id}"] * 6, "the requests on async tracks")
    check(all(s[3].get("status") == 200 and s[3].get("method") == "GET" for s in reqs),
          "with method and status: %s" % [s[3] for s in reqs])


# ---- filters ----

def two_processes():
    ex = EXAMPLES
    data, _ = record(["/bin/sh", "-c", "%s/lock_contention; %s/slow_io" % (ex, ex)])
    rep = report(data)
    return data, rep


def pids_of(evs):
    return {e["pid"] for e in evs if e["ph"] in "XbeC"}


def case_filter_pid():
    data, rep = two_processes()
    lc = [p["pid"] for p in rep["processes"] if p["argv"][0].endswith("lock_contention")]
    require(len(lc) == 1, "the lock_contention process")
    _, evs = chrome(export(data, "chrome", "--pid", str(lc[0]))[0])
    eq(pids_of(evs), {lc[0]}, "only its slices")
    one_line_error(["export", "--pid", "1", "-o", os.path.join(TMP, "x"), data], 1,
                   "whyslow: no process with pid 1 in these logs")


def case_filter_time():
    """--from/--to keep what overlaps the window, after the run's start."""
    data, rep = lock_run()[:2]
    _, evs = chrome(export(data, "chrome")[0])
    _, win = chrome(export(data, "chrome", "--from", "200ms", "--to", "0.4s")[0])
    # (an unlock that ended a wait in the window is kept with it)
    woke = {(s["pid"], s["tid"], us(s)) for s in win if s["ph"] == "s"}
    xs = [e for e in win if e["ph"] == "X" and (e["pid"], e["tid"], us(e)) not in woke]
    check(0 < len(xs) < len([e for e in evs if e["ph"] == "X"]), "fewer slices: %d" % len(xs))
    check(all(us(e) + us(e, "dur") >= 200000000 and us(e) <= 400000000 for e in xs),
          "each overlaps [200 ms, 400 ms]")
    inside = [e for e in evs if e["ph"] == "X" and us(e) + us(e, "dur") >= 200000000
              and us(e) <= 400000000 and (e["pid"], e["tid"], us(e)) not in woke]
    eq(len(xs), len(inside), "every slice that overlaps it")
    # A window past any run (its sum with the run's start past 2^63 ns).
    _, late = chrome(export(data, "chrome", "--from", "9e9s")[0])
    eq([e for e in late if e["ph"] == "X"], [], "nothing after the run")


def case_filter_endpoint():
    data, rep = node_run()
    _, evs = chrome(export(data, "chrome", "--endpoint", "GET /quit")[0])
    reqs = [e["name"] for e in evs if e["ph"] in "Xb" and e.get("cat") == "http"]
    eq(reqs, ["GET /quit"], "only the /quit request")
    quit_ = [r for r in rep["requests"] if r["target"] == "/quit"]
    require(len(quit_) == 1, "the report's /quit request")
    lo = quit_[0]["start_unix_ns"] - int(json.loads(export(data, "chrome")[0])["otherData"]
                                         ["origin_unix_ns"])
    check(all(us(e) + us(e, "dur") >= lo for e in evs if e["ph"] == "X"),
          "nothing before the request")
    for out in (os.path.join(TMP, "x"), "-"):  # (one_line_error: nothing on stdout either)
        one_line_error(["export", "--endpoint", "GET /nothing", "-o", out, data], 1,
                       "whyslow: no served request of an endpoint matching 'GET /nothing' in these"
                       " logs")
    check(not os.path.exists(os.path.join(TMP, "x")), "no file made")


def case_filter_test():
    """--test keeps the tests it names (marks of kind test or test:PHASE,
    by node id) and what ran inside them: the 30 author lookups of
    test_book_list's call, not the other test's query."""
    project = django_project()
    data = pytest_recorded(project, os.path.join(TMP, "data"))
    listing = "tests/test_views.py::test_book_list"
    _, all_ = chrome(export(data, "chrome")[0])
    _, evs = chrome(export(data, "chrome", "--test", "*::test_book_list")[0])
    marks = {(e["cat"], e["name"]) for e in evs if e["ph"] == "X" and e["cat"].startswith("test")}
    eq(marks, {("test:setup", listing), ("test:call", listing), ("test:teardown", listing)},
       "the test's phases, no other test")
    windows = [(us(e), us(e) + us(e, "dur")) for e in evs
               if e["ph"] == "X" and e["cat"].startswith("test")]
    woke = {(s["pid"], s["tid"], us(s)) for s in evs if s["ph"] == "s"}
    check(all(any(us(e) <= b and us(e) + us(e, "dur") >= a for a, b in windows)
              for e in evs if e["ph"] == "X" and (e["pid"], e["tid"], us(e)) not in woke),
          "every slice overlaps the test")
    authors = [e for e in evs if e["ph"] == "X" and e["cat"] == "db"
               and '"shop_author"."id" = ?' in e["name"]]
    eq(len(authors), 30, "the author lookups of its call")
    check(len([e for e in evs if e["ph"] == "X"]) < len([e for e in all_ if e["ph"] == "X"]),
          "less than the whole run")
    # The time window narrows too.
    _, none = chrome(export(data, "chrome", "--test", "*::test_book_list", "--from", "1000s")[0])
    eq([e for e in none if e["ph"] == "X"], [], "a test outside the window is left out")
    # Marks of other kinds are no tests.
    data, _ = record([os.path.join(PROGS, "e2e_marks")], data=os.path.join(TMP, "marks"))
    _, evs = chrome(export(data, "chrome")[0])
    check({"outer", "inner"} <= {e["name"] for e in evs if e["ph"] == "X"},
          "marks are slices of their kind")
    one_line_error(["export", "--test", "*", "-o", os.path.join(TMP, "x"), data], 1,
                   "whyslow: no test matching '*' in these logs")


def case_bad_options():
    data, _ = record(["/bin/true"])
    for args, line in [
            (["--format", "xml"], "whyslow export: --format: 'xml' is not perfetto, chrome or otlp"
             " (see whyslow export --help)"),
            (["--from", "soon"], "whyslow export: --from: 'soon' is not a time such as 2.5s or"
             " 300ms (see whyslow export --help)"),
            (["--from", "2s", "--to", "1s"], "whyslow export: --to comes before --from"
             " (see whyslow export --help)"),
            (["--endpoint", "a", "--test", "b"], "whyslow export: --endpoint and --test: one or"
             " the other (see whyslow export --help)"),
            (["--send", "--format", "chrome"], "whyslow export: --send posts OTLP spans: not with"
             " --format chrome (see whyslow export --help)"),
            (["--max-events", "0"], "whyslow export: --max-events: '0' is not a positive count"
             " (see whyslow export --help)"),
            (["--slow-ms", "x"], "whyslow export: --slow-ms: 'x' is not a number of"
             " milliseconds (see whyslow export --help)"),
            (["--bogus"], "whyslow export: unknown option '--bogus' (see whyslow export --help)")]:
        one_line_error(["export"] + args + [data], 2, line)
    one_line_error(["export", "-o", "/nonexistent/dir/t", data], 1,
                   "whyslow: /nonexistent/dir/t: No such file or directory")
    rc, out, err = whyslow("export", "--help")
    eq(rc, 0, "export --help")
    check("--format" in out and "--max-events" in out, "the help names the options")


def case_damaged_log():
    """A log damaged in its middle is exported up to the damage, and
    stderr says so in one line naming the log."""
    data = os.path.join(TMP, "damaged")
    os.makedirs(data)
    log = os.path.join(data, "1.wslog")
    gen("badchecksum", log)
    for fmt in ("perfetto", "chrome", "otlp"):
        out = os.path.join(TMP, "damaged." + fmt)
        rc, stdout, err = whyslow("export", "--format", fmt, "-o", out, data)
        eq(rc, 0, "%s: exit status" % fmt)
        lines = err.splitlines()
        check(len(lines) == 2 and lines[0].startswith("whyslow: %s: truncated at byte " % log)
              and lines[0].endswith("; exported up to there"), "%s: stderr %r" % (fmt, err))
        check(os.path.getsize(out) > 0, "%s: what was before the damage" % fmt)
    _, evs = chrome(export(data, "chrome")[0])
    check([e for e in evs if e["ph"] == "X"], "slices before the damage")


def case_flows_once():
    """Each wake's arrow starts on the wake's own slice, once, though
    another call of its thread starts at the same moment (gen_log's
    thread pool: a post and a sleep stamped alike)."""
    for mode in ("tpoolslow", "tpoollate"):
        data = os.path.join(TMP, mode)
        os.makedirs(data)
        gen(mode, os.path.join(data, "1.wslog"))
        _, evs = chrome(export(data, "chrome")[0])
        starts, ends = {}, {}
        for e in evs:
            if e["ph"] in "sf":
                (starts if e["ph"] == "s" else ends).setdefault(e["id"], []).append(e)
        check(starts and all(len(v) == 1 for v in starts.values()),
              "%s: one start per arrow: %s" % (mode, [k for k, v in starts.items() if len(v) > 1]))
        eq(sorted(ends), sorted(starts), "%s: each arrow ends once" % mode)
        xs = [e for e in evs if e["ph"] == "X"]
        wakes = ("sem_post", "pthread_cond", "pthread_mutex_unlock")
        for fid, (st,) in starts.items():
            at = [x["name"] for x in xs
                  if (x["pid"], x["tid"], x["ts"]) == (st["pid"], st["tid"], st["ts"])]
            check(any(n.startswith(wakes) for n in at),
                  "%s: arrow %s starts at a wake: %s" % (mode, fid, at))


# ---- the size bound ----

def case_max_events():
    """Past --max-events, the shortest events are left out: stderr and the
    trace say how many and below what duration; those kept are the
    longest (and the unlocks that ended a kept wait)."""
    data, rep, lock = lock_run()
    _, full = chrome(export(data, "chrome")[0])
    raw, n, err = export(data, "chrome", "--max-events", "300")
    doc, evs = chrome(raw)
    m = re.search(r"whyslow: (\d+) events shorter than (\S+ \S+) left out to keep 300 at most", err)
    require(m, "stderr says what was left out: %r" % err)
    dropped = int(m.group(1))
    eq(doc["otherData"].get("dropped_events"), dropped, "the trace says it too")
    below = doc["otherData"]["dropped_shorter_than_ns"]
    note = [e for e in evs if e["ph"] == "i" and e["name"].startswith("whyslow: %d events" % dropped)]
    eq(len(note), 1, "a note on the timeline")
    xs = [e for e in evs if e["ph"] == "X"]
    woke = {(s["pid"], s["tid"], us(s)) for s in evs if s["ph"] == "s"}
    kept = [e for e in xs if (e["pid"], e["tid"], us(e)) not in woke]
    check(len(kept) <= 300, "at most 300 besides the wakes: %d" % len(kept))
    check(all(us(e, "dur") >= below for e in kept), "all kept are at least %d ns" % below)
    eq(len([e for e in full if e["ph"] == "X"]), len(xs) + dropped - 0,
       "kept and left out make the whole")
    # Each wait kept keeps its arrow, and the unlock it comes from.
    waits = [e for e in xs if e["args"].get("wait") == 1]
    eq(len([e for e in evs if e["ph"] == "f"]), len(waits), "an arrow per wait kept")
    eq(len(woke), len(waits), "from an unlock kept")
