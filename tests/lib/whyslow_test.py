# SPDX-License-Identifier: MIT
"""whyslow_test.py - what the Python tests of whyslow share.

The tests are cases: the case_* functions of the test_AREA.py files of a
suite's folder, tests/e2e (real programs traced by the real recorder) and
tests/unit/report (the CLI on gen_log's logs, whose content is exactly
known).  tests/run.py lists them for ctest and runs one per process; see
there for how to run one by hand.  The test files import from here:

  - where things are: BUILD, WHYSLOW, LIB, GEN_LOG, PROGS, EXAMPLES,
    PYTHON, and TMP, the running case's own temporary folder.  run.py sets
    them (configure()) before it imports the test files, which is why a
    test file can import them by name;
  - the one way of asserting.  check(cond, msg) and eq(got, want, what)
    note a failure and let the case go on; require(cond, msg) and
    fail(msg) note it and end the case, for what the rest of it needs (the
    program ran, the report was read, the row looked for is there);
    skip(why) ends it as skipped.  run_case() then lists every failure of
    the case, with the exception that ended it, if one did;
  - the CLI: whyslow(), report(), text_report(), dump(), record();
  - for the e2e cases: prog(), calls(), count(), traced_like_untraced(),
    need_file(), need_python_module(), the checks of queries[] and
    findings, and a throwaway PostgreSQL server (pg_server());
  - for the report checks: gen() (runs gen_log) and one_line_error().
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# ---- where things are ----

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"  # Debian's, whatever python3 is first on PATH
US = 1000
MS = 1000 * US

# Set by configure(); None while run.py only lists the cases.
BUILD = WHYSLOW = LIB = GEN_LOG = PROGS = EXAMPLES = TMP = None


def configure(build, tmp):
    """Where the build tree and the case's temporary folder are."""
    global BUILD, WHYSLOW, LIB, GEN_LOG, PROGS, EXAMPLES, TMP
    BUILD = os.path.abspath(build)
    WHYSLOW = os.path.join(BUILD, "whyslow")
    LIB = os.path.join(BUILD, "libwhyslow.so")
    GEN_LOG = os.path.join(BUILD, "tests", "unit", "gen_log")
    PROGS = os.path.join(BUILD, "tests", "e2e")
    EXAMPLES = os.path.join(BUILD, "examples")
    TMP = tmp


# ---- checks ----

SKIP = 77  # the exit status of a skipped case (ctest's SKIP_RETURN_CODE)


class Stop(Exception):
    """Raised by require() and fail(): the case cannot go on."""


class Skipped(Exception):
    """Raised by skip(): something the case needs is not here."""


failures = []  # the messages of the failed checks of the running case
checks = 0  # how many checks it made
cleanups = []  # what to stop when the case ends, failed or not


def check(cond, msg):
    """Notes a failure (msg) unless cond, and lets the case go on.
    Returns whether cond held, for code that needs it to go on."""
    global checks
    checks += 1
    if not cond:
        failures.append(msg)
    return bool(cond)


def eq(got, want, what):
    """check(got == want), the message saying both."""
    return check(got == want, f"{what}: got {got!r}, expected {want!r}")


def require(cond, msg):
    """check(), but a failure ends the case."""
    if not check(cond, msg):
        raise Stop(msg)


def fail(msg):
    """A failure that ends the case."""
    require(False, msg)


def skip(why):
    """Ends the case as skipped: something it needs is not installed here."""
    raise Skipped(why)


def at_end(stop):
    """Calls stop() when the case ends, whichever way."""
    cleanups.append(stop)


def run_case(name, case):
    """Runs one case; prints how it went; returns the exit status: 0
    passed, 1 failed (every failure listed), SKIP skipped."""
    skipped = None
    try:
        case()
    except Skipped as e:
        skipped = str(e)
    except Stop:
        pass  # its failure is noted already
    except Exception:
        failures.append("exception:\n" + traceback.format_exc().rstrip())
    finally:
        for stop in reversed(cleanups):
            try:
                stop()
            except Exception:
                failures.append("exception while cleaning up:\n" +
                                traceback.format_exc().rstrip())
    if failures:
        print(f"FAIL: {name} ({checks} checks made):")
        for n, msg in enumerate(failures, 1):
            print(f"  {n}. " + msg.replace("\n", "\n     "))
        return 1
    if skipped is not None:
        print(f"skipped: {name}: {skipped}")
        return SKIP
    print(f"ok: {name} ({checks} checks)")
    return 0


# ---- the CLI ----

def whyslow(*args, cwd=None, env=None, timeout=120):
    """Runs whyslow ARGS; returns (exit status, stdout, stderr)."""
    res = subprocess.run([WHYSLOW, *args], capture_output=True, text=True, errors="replace",
                         cwd=cwd, env=env, timeout=timeout)
    return res.returncode, res.stdout, res.stderr


def log_file(log):
    """The file a process's log is in: the log itself, or for PACK#N (a
    member of a pack, as the report names it) the pack."""
    base, _, n = log.rpartition("#")
    return base if base and n.isdigit() and os.path.isfile(base) else log


# Packs (include/whyslow/format.h): a header, then each log behind a
# member header giving its length.
def pack_header(version=1):
    import struct
    return struct.pack("<II8sII", 0x184D2A5D, 16, b"WSPACK\0\0", version, 0)


def pack_member(data, length=None):
    """A member holding data; length, if given, is the one its header says."""
    import struct
    return struct.pack("<IIQ", 0x184D2A5C, 8, len(data) if length is None else length) + data


def pack_of(logs, version=1):
    """A pack of the logs given (their bytes), in order."""
    return pack_header(version) + b"".join(pack_member(log) for log in logs)


def log_names(data):
    """The logs in the directory data, named as the report names them: a
    log file's path, PACK#N for each member of a pack (format.h)."""
    import struct
    names = []
    for f in sorted(os.listdir(data)):
        path = os.path.join(data, f)
        if not f.endswith(".wslog"):
            continue
        with open(path, "rb") as fh:
            body = fh.read()
        if body[:4] != pack_header()[:4]:
            names.append(path)
            continue
        off, n = 24, 0
        while off + 16 <= len(body):
            n += 1
            names.append("%s#%d" % (path, n))
            off += 16 + struct.unpack("<Q", body[off + 8:off + 16])[0]
    return names


def wait_logs(data, timeout=10):
    """Waits until data holds a log and none is still being written (its
    flusher holds a lock on it): a program preloaded by hand does not wait
    for its flusher, which may still be writing when it has exited."""
    import fcntl
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = [os.path.join(data, f) for f in os.listdir(data) if f.endswith(".wslog")]
        busy = False
        for log in logs:
            with open(log, "rb") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    busy = True
        if logs and not busy:
            return
        time.sleep(0.02)


def marked_line(path, marker):
    """The number of the one line of the file at path that ends with the
    comment "# marker" (the Python programs mark the lines a report must
    name)."""
    with open(path) as f:
        lines = [n for n, l in enumerate(f, 1) if l.rstrip().endswith("# " + marker)]
    require(len(lines) == 1, "%s: %d lines marked %r" % (path, len(lines), marker))
    return lines[0]


def site_of(site):
    """A Python site of the JSON report as (function, file's name, line),
    or None when it is no Python site."""
    if not site or site.get("language") != "python":
        return None
    return (site["function"], os.path.basename(site["file"]), site["line"])


def report(*args):
    """The JSON report of whyslow report --json ARGS (the logs last); a
    failure here ends the case."""
    rc, out, err = whyslow("report", "--json", *args)
    require(rc == 0, f"whyslow report --json {' '.join(args)} exited {rc}: {err.strip()}")
    return json.loads(out)


def text_report(*args):
    """The text of whyslow report ARGS (the logs last); a failure here ends
    the case."""
    rc, out, err = whyslow("report", *args)
    require(rc == 0, f"whyslow report {' '.join(args)} exited {rc}: {err.strip()}")
    return out


def dump(path):
    """The lines of whyslow dump PATH; a failure here ends the case."""
    rc, out, err = whyslow("dump", path)
    require(rc == 0, "dump failed: %s" % err)
    return out.splitlines()


def record(argv, env=None, data=None, expect_rc=0):
    """Runs argv under `whyslow record`; returns (data dir, stdout).  It
    must exit expect_rc, or the case ends."""
    data = data or os.path.join(TMP, "data")
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([WHYSLOW, "record", "-o", data, "--"] + argv, env=e,
                       capture_output=True, text=True, timeout=120)
    require(p.returncode == expect_rc,
            "record %s exited %d, not %d: %s" % (argv, p.returncode, expect_rc, p.stderr))
    return data, p.stdout


# ---- e2e: programs and what they did ----

def prog(name):
    """A test program of tests/e2e/progs, as built."""
    return os.path.join(PROGS, "e2e_" + name)


def calls(rep, pid=None):
    """{call: syscalls[] row} of one process (the only one by default)."""
    if pid is None:
        require(len(rep["processes"]) == 1, "expected one process, got %d" % len(rep["processes"]))
        pid = rep["processes"][0]["pid"]
    return {s["call"]: s for s in rep["syscalls"] if s["pid"] == pid}


def count(rep, call, pid=None):
    row = calls(rep, pid).get(call)
    return row["count"] if row else 0


def need_python_module(module, package):
    """Skips the case when Debian's python3 lacks a module."""
    r = subprocess.run([PYTHON, "-c", "import " + module], capture_output=True)
    if r.returncode != 0:
        skip("%s is not installed (no %s module for %s)" % (package, module, PYTHON))


def need_file(path, why):
    """Skips the case when path is missing."""
    if not os.path.exists(path):
        skip("%s is missing (%s)" % (path, why))


def traced_like_untraced(argv, env=None):
    """Runs argv untraced, then under `whyslow record` (into a data folder
    of its own); checks both exit 0 with the same output.  Returns (data
    folder, output)."""
    e = dict(os.environ)
    e.update(env or {})
    plain = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=120)
    require(plain.returncode == 0, "untraced %s exited %d: %s" % (argv, plain.returncode,
                                                                   plain.stderr))
    data, out = record(argv, env=env, data=tempfile.mkdtemp(prefix="data-", dir=TMP))
    check(out == plain.stdout, "%s: output traced differs from untraced:\n%s\n---\n%s" %
          (argv, out[-2000:], plain.stdout[-2000:]))
    return data, out


def children(pid):
    """The pids of process pid's children (of any of its threads), from
    /proc."""
    found = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found += [int(kid) for kid in f.read().split()]
    except OSError:
        pass
    return found


def comm_of(pid):
    """Process pid's name, or None when it is gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().rstrip("\n")
    except OSError:
        return None


def children_named(pid, comm):
    """Process pid's children whose name is comm."""
    return [kid for kid in children(pid) if comm_of(kid) == comm]


def named_below(root, comm):
    """The pids of process root's descendants named comm, from /proc (not
    another test's processes of that name)."""
    found, todo = [], children(root)
    while todo:
        pid = todo.pop()
        todo += children(pid)
        if comm_of(pid) == comm:
            found.append(pid)
    return found


def until(ok, seconds=30):
    """Waits until ok() is true, seconds at most; what ok() last said."""
    deadline = time.monotonic() + seconds
    while not ok() and time.monotonic() < deadline:
        time.sleep(0.01)
    return ok()


def findings_of(rep, kind):
    return [f for f in rep["findings"] if f["kind"] == kind]


# ---- e2e: database queries ----

# The library of tests/e2e/progs/py_sqlite.py and py_psycopg2.py (and the
# example nplus1_sqlite): books, and an author looked up for each.
AUTHOR_BY_ID = "select name from author where id ="
BOOKS_QUERY = "select id, title, author_id from book"


def squash(text):
    return " ".join(text.lower().split()).rstrip(";").strip()


def db_queries(rep):
    return rep.get("queries", [])


def find_query(rep, needle, exact=False):
    """The one queries[] row whose normalized text contains needle (equals
    it, with exact), compared lower-case with spaces squashed; the case
    ends when there is not exactly one."""
    n = squash(needle)
    rows = [q for q in db_queries(rep)
            if (squash(q["normalized"]) == n if exact else n in squash(q["normalized"]))]
    require(len(rows) == 1, "%d queries[] rows match %r: %s" % (
        len(rows), needle, [(q["normalized"], q["count"]) for q in db_queries(rep)]))
    return rows[0]


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
    require(len(found) == 1, "expected one n_plus_one finding: %s" % describe(rep))
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


# ---- report checks: gen_log's logs ----

def gen(mode, out):
    """Runs gen_log; returns its chunks [(offset, end, kind, records)] and
    the offset of the byte it flipped (or None)."""
    res = subprocess.run([GEN_LOG, mode, out], capture_output=True, text=True, check=True)
    chunks, flipped = [], None
    for line in res.stdout.splitlines():
        f = line.split()
        if f[0] == "chunk":
            chunks.append((int(f[1]), int(f[2]), f[3], int(f[4])))
        elif f[0] == "flipped":
            flipped = int(f[1])
    return chunks, flipped


def one_line_error(args, rc_want, line_want, cwd=None):
    """Checks that whyslow ARGS fails with status rc_want and exactly one
    stderr line (line_want, or containing it when it ends with '...')."""
    rc, out, err = whyslow(*args, cwd=cwd)
    eq(rc, rc_want, f"exit status of whyslow {' '.join(args)}")
    lines = err.splitlines()
    eq(len(lines), 1, f"stderr lines of whyslow {' '.join(args)}: {err!r}")
    if line_want.endswith("..."):
        check(lines and line_want[:-3] in lines[0], f"stderr {err!r} lacks {line_want[:-3]!r}")
    else:
        eq(lines[0] if lines else None, line_want, f"stderr of whyslow {' '.join(args)}")
    eq(out, "", "stdout on error")


# ---- a throwaway PostgreSQL server ----
#
#     server = pg_server()   # in a case: started, stopped when the case ends
#     server.psql("create table t (id int)")
#     subprocess.run([...], env=server.env())   # PGHOST, PGUSER, PGDATABASE set
#
# The server is Debian's (/usr/lib/postgresql/<version>/bin, the newest
# version there), run as the `postgres` user when the tests run as root
# (the server refuses to run as root), else as the current user.  The
# postmaster is this process's own child, not left to init by pg_ctl.  Its
# data directory and Unix socket are in a fresh temporary folder; it
# listens on no TCP port, trusts every local connection, and runs with
# fsync off.  It has a role and a database, both named `whyslow`, for the
# tests.  Starting takes about a second (initdb most of it), stopping a
# few hundredths.
#
# stop() (also on the way out of a `with`, on failure too) stops it and
# removes the folder.  A watchdog process does the same if the test process
# dies without stopping it (killed by a timeout, say), so nothing is left
# running.  pg_unavailable() says why no server can be had here, or None.
# `python3 tests/lib/whyslow_test.py pg` starts one, says how long it took,
# and stops it.

PG_USER = "whyslow"
PG_DATABASE = "whyslow"


def pg_server(traced=False):
    """A started throwaway PostgreSQL server (stopped when the case ends),
    or a skip when none is installed.  traced: the server runs under
    `whyslow record`, its logs in server.logs."""
    why = pg_unavailable()
    if why:
        skip(why)
    server = PgServer(traced)
    at_end(server.stop)
    return server.start()


def pg_bin_dir():
    """The bin folder of the newest PostgreSQL installed, or None."""
    found = []
    for pg_ctl in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        version = pg_ctl.split("/")[4]
        try:
            found.append((tuple(int(x) for x in version.split(".")), os.path.dirname(pg_ctl)))
        except ValueError:
            continue
    return max(found)[1] if found else None


def pg_unavailable():
    """Why a server cannot be started here (a sentence), or None."""
    b = pg_bin_dir()
    if b is None:
        return "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/pg_ctl)"
    for tool in ("initdb", "postgres", "psql"):
        if not os.access(os.path.join(b, tool), os.X_OK):
            return "no %s in %s" % (tool, b)
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


# The watchdog: waits for the test process to go, then stops the server
# (SIGQUIT: immediate shutdown) and removes its folder.  Runs as the
# server's owner, in a session of its own, so whatever kills the test
# process's group does not kill it first.
PG_WATCHDOG = r"""
import os, shutil, signal, sys, time


def alive(pid):  # a zombie is not (init may be slow to reap it)
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


parent, data, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
while alive(parent):
    time.sleep(0.5)
try:
    with open(os.path.join(data, "postmaster.pid")) as f:
        pid = int(f.readline())
    os.kill(pid, signal.SIGQUIT)
    for _ in range(100):
        if not alive(pid):
            break
        time.sleep(0.1)
except (OSError, ValueError):
    pass
shutil.rmtree(folder, ignore_errors=True)
"""


class PgServer:
    def __init__(self, traced=False):
        self.bin = pg_bin_dir()
        self.traced = traced
        self.logs = None  # where record writes, when traced
        self.dir = None
        self.data = None
        self.server = None
        self.watchdog = None
        self.owner = {}  # Popen arguments that run a process as the server's owner
        if os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam("postgres")
            self.owner = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])

    def tool(self, name):
        return os.path.join(self.bin, name)

    def env(self, base=None):
        """An environment in which libpq clients (psql, pgbench, psycopg2,
        PQconnectdb("")) reach this server's test database."""
        e = dict(os.environ if base is None else base)
        for k in list(e):
            if k.startswith("PG"):
                del e[k]
        e.update(PGHOST=self.dir, PGUSER=PG_USER, PGDATABASE=PG_DATABASE)
        return e

    def dsn(self):
        return "host=%s user=%s dbname=%s" % (self.dir, PG_USER, PG_DATABASE)

    def psql(self, sql, user=PG_USER, db=PG_DATABASE):
        """Runs SQL with psql (stops at the first error); returns its output."""
        p = subprocess.run([self.tool("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.dir, "-U", user, "-d", db, "-c", sql],
                           capture_output=True, text=True, env=self.env(), timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (sql, p.stderr))
        return p.stdout

    def log(self):
        """The server's log so far (for failure messages)."""
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()
        except OSError:
            return ""

    # ---- life ----

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="whyslow-pg-")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        if self.owner:
            os.chown(self.dir, self.owner["user"], self.owner["group"])
        self.data = os.path.join(self.dir, "data")
        # Run by Debian's python: the server's owner may not be able to run
        # this one (a pyenv in root's home, say).
        python = PYTHON if os.access(PYTHON, os.X_OK) else sys.executable
        self.watchdog = subprocess.Popen(
            [python, "-c", PG_WATCHDOG, str(os.getpid()), self.data, self.dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd="/", **self.owner)
        p = subprocess.run([self.tool("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                            "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
                           capture_output=True, text=True, cwd=self.dir, timeout=120, **self.owner)
        if p.returncode != 0:
            raise RuntimeError("initdb failed: %s%s" % (p.stdout, p.stderr))
        # The postmaster is this process's child (no pg_ctl, which would
        # leave it to init), so stopping it reaps it.
        with open(os.path.join(self.dir, "server.log"), "w") as log:
            if self.owner:
                os.chown(log.name, self.owner["user"], self.owner["group"])
            record = []
            if self.traced:
                r = subprocess.run([WHYSLOW, "--version"], capture_output=True, **self.owner)
                if r.returncode != 0:
                    skip("the server's owner cannot run %s" % WHYSLOW)
                self.logs = os.path.join(self.dir, "whyslow.data")
                record = [WHYSLOW, "record", "-o", self.logs, "--"]
            self.server = subprocess.Popen(
                record + [self.tool("postgres"), "-D", self.data, "-k", self.dir,
                 "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "autovacuum=off",
                 "-c", "max_connections=20", "-c", "shared_buffers=16MB"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir,
                **self.owner)
        deadline = time.monotonic() + 60
        while True:
            if self.server.poll() is not None:
                raise RuntimeError("the server exited (%d): %s" % (self.server.returncode,
                                                                  self.log()))
            r = subprocess.run([self.tool("pg_isready"), "-q", "-h", self.dir],
                               capture_output=True)
            if r.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s: %s" % self.log())
            time.sleep(0.05)
        self.psql("create role %s login superuser" % PG_USER, user="postgres", db="postgres")
        self.psql("create database %s owner %s" % (PG_DATABASE, PG_USER), user="postgres",
                  db="postgres")

    def stop(self):
        if self.dir is None:
            return
        if self.server is not None:
            if self.server.poll() is None:
                # immediate shutdown (record passes it on to the server)
                self.server.send_signal(signal.SIGQUIT)
                try:
                    self.server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.server.kill()
                    self.server.wait()
            self.server = None
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
            self.watchdog = None
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["pg"]:
        sys.exit("usage: whyslow_test.py pg   (starts a PostgreSQL server, stops it; "
                 "tests/run.py runs the tests)")
    why = pg_unavailable()
    if why:
        print("unavailable: " + why)
        sys.exit(0)
    t0 = time.monotonic()
    with PgServer() as pg:
        t1 = time.monotonic()
        print(pg.psql("select version()").strip())
        print("started in %.2f s at %s" % (t1 - t0, pg.dir))
    print("stopped in %.2f s" % (time.monotonic() - t1))
