#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""compare_decoders.py - checks that a change to the decoder changes no
output: two builds of `whyslow` read the same logs, and what they print
must be byte for byte the same.

This is the behaviour check of a reorganisation of the decoder (issue 9:
files moved into folders, things renamed; "behaviour does not change").
Unit and end-to-end tests check what they know to expect; this checks
everything the report says, on logs of real programs, against what the
decoder said before the change.

Usage: compare_decoders.py [--base REV] [--new REV | --new-build DIR]
                           [--corpus DIR] [--rename OLD=NEW ...]
                           [--only NAME ...] [--keep]

  the base  REV (default origin/main if there is one, else HEAD), checked
            out in a temporary `git worktree` and built there with cmake.
  the new   by default the working tree this script is in, uncommitted
            changes included, built in build-compare/build (never build/);
            --new REV builds another commit in a second temporary worktree;
            --new-build DIR takes the whyslow of an existing build.
  corpus    logs recorded once, by the base's recorder, into --corpus
            (default build-compare/corpus) and reused while it is complete
            (it has its CORPUS-COMPLETE stamp): the examples, gen_log's
            synthetic logs (tests/unit/gen_log.c), CPython test modules,
            Django and SQLAlchemy on SQLite, psycopg2 and pgbench on a
            throwaway PostgreSQL server (tests/e2e/pg.py) with the server
            traced too.  Each entry is a directory of *.wslog files; an entry
            whose prerequisite is missing is "skipped: why".
  outputs   per entry, both decoders run with the same arguments, from the
            corpus directory: `report --json`, `report --json --slow-ms 1
            --stall-ms 20` (low thresholds: more findings), `report` and
            `dump`.  JSON is reported first, text and dump apart.  Their
            outputs go to build-compare/out/ (removed at the end unless
            --keep; the .diff files of differences are always kept).

--rename OLD=NEW allows one renamed name (a call name, say): in the base's
output, the JSON string "OLD" becomes "NEW" (and OLD inside JSON strings,
as in findings' summaries), and the word OLD becomes NEW in text and dump,
where a line it was renamed on may also differ in spacing (padded columns).

Exit status: 0 when every output compared is the same, 1 when one differs,
2 on a usage or build error.  Needs Debian's python3 only (stdlib), git,
cmake and the project's build packages.
"""
import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"  # Debian's, whatever python3 is first on PATH
STAMP = "CORPUS-COMPLETE"  # written last: the corpus is complete
MARKER = ".whyslow-compare-corpus"  # the folder is ours, may be emptied

# gen_log's big modes take an event count; these are enough for the
# chunk-by-chunk paths and keep the corpus small.
GEN_EVENTS = {"big": "300000", "sqlbig": "100000"}

# CPython's own tests (Debian: libpython3.11-testsuite): threads, sockets,
# fork and subprocesses, in about 25 s traced.
PYTHON_TESTS = [("python_test_threading", ["test_threading"]),
                ("python_test_socketserver", ["-u", "network", "test_socketserver"])]

# The outputs compared: (name, verb and options, JSON or not).
KINDS = [("json", ["report", "--json"], True),
         ("json-low", ["report", "--json", "--slow-ms", "1", "--stall-ms", "20"], True),
         ("text", ["report"], False),
         ("dump", ["dump"], False)]


class Failure(Exception):
    """A usage, build or setup error: exit status 2."""


def say(msg=""):
    print(msg, flush=True)


def git(repo, *args):
    p = subprocess.run(["git", "-C", repo] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure("git %s: %s" % (" ".join(args), p.stderr.strip()))
    return p.stdout.strip()


def resolve(repo, rev):
    """The commit REV names, as a full hash."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", rev + "^{commit}")
    except Failure:
        raise Failure("%s: no such commit" % rev)


def short(sha):
    return sha[:10]


def clean_env(extra=None):
    """This environment without the recorder's settings, so every run
    records (and decodes) the same way whatever the caller set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("WHYSLOW_") and k != "LD_PRELOAD"}
    env.update(extra or {})
    return env


# ---- the two sides: checkouts and builds ----

class Side:
    """One decoder: where its sources are, where it is built."""

    def __init__(self, name, src, build, label):
        self.name = name  # "base" or "new"
        self.src = src  # None for --new-build
        self.build = build
        self.label = label  # what it is, for the reader
        self.whyslow = os.path.join(build, "whyslow")


class Worktrees:
    """The temporary `git worktree`s of one run; remove_all() at the end,
    whatever happened."""

    def __init__(self, repo):
        self.repo = repo
        self.paths = []

    def add(self, sha, path):
        self.paths.append(path)
        git(self.repo, "worktree", "add", "--detach", "--quiet", path, sha)

    def remove_all(self):
        for path in self.paths:
            subprocess.run(["git", "-C", self.repo, "worktree", "remove", "--force", path],
                           capture_output=True)
        if self.paths:  # a worktree whose folder went already: forget it too
            subprocess.run(["git", "-C", self.repo, "worktree", "prune"], capture_output=True)
        self.paths = []


def cmake_targets(build):
    """The targets a configured build dir has (`cmake --build --target help`
    of the Makefile generator: lines "... NAME")."""
    p = subprocess.run(["cmake", "--build", build, "--target", "help"], capture_output=True,
                       text=True)
    return {line[4:].split()[0] for line in p.stdout.splitlines() if line.startswith("... ")}


def build_side(side, targets, log):
    """Configures and builds the targets of side; those its CMakeLists
    does not have (an example needing a package not installed) are left
    out.  Returns the targets built.  The compiler's words go to log."""
    say("building %s: %s" % (side.name, side.label))
    t0 = time.monotonic()
    with open(log, "w") as out:
        steps = [["cmake", "-S", side.src, "-B", side.build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"]]
        if subprocess.run(steps[0], stdout=out, stderr=subprocess.STDOUT).returncode == 0:
            have = cmake_targets(side.build)
            targets = [t for t in targets if t in have]
            steps.append(["cmake", "--build", side.build, "-j2", "--target"] + targets)
            out.flush()
            if subprocess.run(steps[1], stdout=out, stderr=subprocess.STDOUT).returncode == 0:
                say("  built %s in %.0f s (log: %s)" % (" ".join(targets), time.monotonic() - t0,
                                                       log))
                return targets
    with open(log) as f:
        tail = f.read().splitlines()[-25:]
    raise Failure("building %s failed (%s):\n    %s" % (side.name, log, "\n    ".join(tail)))


def checkout(repo, worktrees, tmp, name, rev):
    """A Side for commit REV, checked out in a temporary worktree."""
    sha = resolve(repo, rev)
    path = os.path.join(tmp, name)
    worktrees.add(sha, path)
    subject = git(repo, "log", "-1", "--format=%s", sha)
    return Side(name, path, os.path.join(path, "build"),
                "%s = %s \"%s\" (worktree %s)" % (rev, short(sha), subject, path)), sha


def working_tree_label(repo):
    head = git(repo, "rev-parse", "HEAD")
    dirty = git(repo, "status", "--porcelain", "--untracked-files=no")
    return "working tree %s, HEAD %s%s" % (repo, short(head),
                                           " + uncommitted changes" if dirty else "")


# ---- the corpus ----

class Recorder:
    """Records corpus entries with the base's `whyslow record`; each
    entry's outcome goes to self.entries (for the stamp)."""

    def __init__(self, corpus, base, tmp):
        self.corpus = corpus
        self.base = base
        self.tmp = tmp
        self.bin = os.path.join(corpus, "bin")
        self.whyslow = os.path.join(self.bin, "whyslow")
        self.out = os.path.join(corpus, "output")  # what the traced programs printed
        self.entries = {}  # name -> {"logs", "bytes"} or {"skipped": why}

    def scratch(self):
        """A fresh folder for a program's files (databases, work dirs)."""
        return tempfile.mkdtemp(dir=self.tmp, prefix="run-")

    def skip(self, name, why):
        say("  %-30s skipped: %s" % (name, why))
        self.entries[name] = {"skipped": why}

    def done(self, name, status, seconds):
        """Notes what an entry's folder holds once its program is done.  A
        program that failed fails the recording: its logs are not what the
        corpus should hold, and a corpus without its stamp is recorded
        again next time."""
        output = os.path.join(self.out, name + ".txt")
        if status != 0:
            raise Failure("recording %s failed (exit %d); what it printed: %s" % (name, status,
                                                                              output))
        folder = os.path.join(self.corpus, name)
        logs = [f for f in os.listdir(folder) if f.endswith(".wslog")]
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in logs)
        if not logs:
            raise Failure("recording %s wrote no logs; what it printed: %s" % (name, output))
        say("  %-30s %4d log%s %9.1f KiB %6.1f s" % (name, len(logs), " " if len(logs) == 1
                                                     else "s", size / 1024, seconds))
        self.entries[name] = {"logs": len(logs), "bytes": size}

    def record(self, name, argv, env=None, timeout=600):
        """Runs argv under `whyslow record -o CORPUS/name`, in a process
        group of its own: on a timeout or Ctrl-C, the whole group goes (the
        traced program and its children, not only the recorder)."""
        t0 = time.monotonic()
        with open(os.path.join(self.out, name + ".txt"), "w") as out:
            p = subprocess.Popen([self.whyslow, "record", "-o", os.path.join(self.corpus, name),
                                  "--"] + argv, env=clean_env(env), cwd=self.scratch(),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            try:
                status = p.wait(timeout=timeout)
            except BaseException:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                if not isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
                    raise
                status = 124
        self.done(name, status, time.monotonic() - t0)

    def generate(self, name, argv):
        """A synthetic entry: gen_log writes it (OUT is at the end of argv)."""
        t0 = time.monotonic()
        os.makedirs(os.path.join(self.corpus, name), exist_ok=True)
        with open(os.path.join(self.out, name + ".txt"), "w") as out:
            status = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=self.corpus).returncode
        self.done(name, status, time.monotonic() - t0)


def copy_tools(rec, built):
    """Copies the base's recorder and example programs into CORPUS/bin and
    records from there: the logs name these files, and the decoder reads
    their symbols back when it reports, so they must outlive the
    temporary worktree for as long as the corpus lives."""
    os.makedirs(os.path.join(rec.bin, "examples"))
    for f in ("whyslow", "libwhyslow.so"):
        shutil.copy2(os.path.join(rec.base.build, f), rec.bin)
    examples = []
    for name in sorted(built):
        exe = os.path.join(rec.base.build, "examples", name)
        if os.path.isfile(exe):
            shutil.copy2(exe, os.path.join(rec.bin, "examples"))
            examples.append(name)
    return examples


def example_names(src):
    """The example programs of examples/: one per examples/*.c."""
    folder = os.path.join(src, "examples")
    if not os.path.isdir(folder):
        return []
    return sorted(f[:-2] for f in os.listdir(folder) if f.endswith(".c"))


def record_examples(rec, wanted, built):
    for name in wanted:
        if name not in built:
            rec.skip("example_" + name, "not built (its CMakeLists needs a package that is "
                     "missing? see examples/CMakeLists.txt)")
        else:
            rec.record("example_" + name, [os.path.join(rec.bin, "examples", name)])


def gen_modes(src):
    """gen_log's modes, as its main() tells them apart."""
    try:
        with open(os.path.join(src, "tests", "unit", "gen_log.c")) as f:
            text = f.read()
    except OSError:
        return []
    modes = []
    for m in re.findall(r'strcmp\(mode, "(\w+)"\)', text):
        if m not in modes:
            modes.append(m)
    return modes


def record_gen_logs(rec):
    gen = os.path.join(rec.base.build, "tests", "unit", "gen_log")
    modes = gen_modes(rec.base.src)
    if not os.access(gen, os.X_OK) or not modes:
        rec.skip("gen_*", "no tests/unit/gen_log in the base")
        return
    for mode in modes:
        name = "gen_" + mode
        # multi writes a folder; the others one file, into the entry's folder.
        out = name if mode == "multi" else os.path.join(name, mode + ".wslog")
        rec.generate(name, [gen, mode, out] + ([GEN_EVENTS[mode]] if mode in GEN_EVENTS else []))


def python_has(module):
    return subprocess.run([PYTHON, "-c", "import " + module], capture_output=True).returncode == 0


def record_python_tests(rec):
    for name, args in PYTHON_TESTS:
        module = args[-1]
        if not python_has("test." + module):
            rec.skip(name, "%s has no test.%s (Debian: apt-get install libpython3.11-testsuite)"
                     % (PYTHON, module))
        else:
            rec.record(name, [PYTHON, "-m", "test"] + args)


def record_orms(rec):
    progs = os.path.join(rec.base.src, "tests", "e2e", "progs")
    runs = [("django", "python3-django", "py_django.py", ["nplus1", "select_related"]),
            ("sqlalchemy", "python3-sqlalchemy", "py_sqlalchemy.py", ["nplus1", "selectinload"])]
    for module, package, prog, modes in runs:
        for mode in modes:
            name = "%s_%s" % (module, mode)
            if not python_has(module):
                rec.skip(name, "%s is not installed (no %s module for %s)" % (package, module,
                                                                              PYTHON))
            elif not os.path.exists(os.path.join(progs, prog)):
                rec.skip(name, "the base has no tests/e2e/progs/" + prog)
            else:
                # A database file, not :memory:, so SQLite's I/O is in the logs too.
                db = os.path.join(rec.scratch(), "orm.db")
                rec.record(name, [PYTHON, os.path.join(progs, prog), mode, db])


# ---- PostgreSQL: a throwaway server (tests/e2e/pg.py), traced itself ----

def import_pg():
    """The throwaway server of this script's tree: (PgServer, a function
    saying why no server can be had here), or None.  It is tests/e2e/pg.py;
    since the tests' reorganisation (main, "tests by area") the same class
    lives in tests/lib/whyslow_test.py, so either is taken."""
    sys.dont_write_bytecode = True  # no __pycache__ left in the tree
    tests = os.path.dirname(HERE)
    for folder, module, unavailable in (("e2e", "pg", "unavailable"),
                                        ("lib", "whyslow_test", "pg_unavailable")):
        path = os.path.join(tests, folder)
        if os.path.exists(os.path.join(path, module + ".py")):
            sys.path.insert(0, path)
            m = __import__(module)
            return m.PgServer, getattr(m, unavailable)
    return None


def owner_can_run(server, whyslow):
    """Whether the server's owner (postgres, when we are root) can run our
    copy of whyslow: it needs to read and search every folder above it."""
    p = subprocess.run([whyslow, "--version"], capture_output=True, **server.owner)
    return p.returncode == 0


def traced_server(pg_server_class, rec, name):
    """A pg.PgServer whose postmaster runs under `whyslow record -o
    CORPUS/name`: pg.py starts tool("postgres"), here a small script that
    execs the real one under the recorder."""
    folder = os.path.join(rec.corpus, name)
    os.makedirs(folder)
    server = pg_server_class()
    if server.owner:  # the server's owner writes the logs
        os.chown(folder, server.owner["user"], server.owner["group"])
    wrapper = os.path.join(rec.bin, "postgres-traced")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n# compare_decoders.py: the PostgreSQL server, traced\n"
                "exec %s record -o %s -- %s \"$@\"\n" % (
                    shlex.quote(rec.whyslow), shlex.quote(folder),
                    shlex.quote(server.tool("postgres"))))
    os.chmod(wrapper, 0o755)
    real_tool = server.tool
    server.tool = lambda tool: wrapper if tool == "postgres" else real_tool(tool)
    return server


def start_server(pg_server_class, rec, name):
    """Starts a server traced into CORPUS/name, or else untraced (and name
    skipped, saying why); None when no server starts at all."""
    server = traced_server(pg_server_class, rec, name)
    if not owner_can_run(server, rec.whyslow):
        why = ("the server's owner cannot run %s (a folder above it closed to others?)"
               % rec.whyslow)
    else:
        try:
            return server.start()
        except RuntimeError as e:
            why = "the traced server did not start: %s" % str(e)[-300:]
    shutil.rmtree(os.path.join(rec.corpus, name), ignore_errors=True)
    rec.skip(name, why + "; it runs untraced")
    try:
        return pg_server_class().start()
    except RuntimeError as e:
        say("  PostgreSQL: the server did not start: %s" % str(e)[-300:])
        return None


def stop_server(server, log=None):
    """Stops a server started by pg.py: SIGINT first, PostgreSQL's fast
    shutdown, which `whyslow record` passes on and which lets every process
    end cleanly (pg.py's stop sends SIGQUIT, which would kill the recorder
    before its program); then pg.py's stop for the rest.  Returns the
    exit status of the server (or of the recorder running it)."""
    status = -1
    if server.server is not None:
        if server.server.poll() is None:
            server.server.send_signal(signal.SIGINT)
            try:
                server.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        status = server.server.returncode if server.server.returncode is not None else -1
    if server.dir and log:
        shutil.copy(os.path.join(server.dir, "server.log"), log)
    server.stop()
    return status


def chown_tree(top, uid, gid):
    os.chown(top, uid, gid)
    for root, dirs, files in os.walk(top):
        for f in dirs + files:
            os.chown(os.path.join(root, f), uid, gid)


def record_postgres(rec, running):
    names = ["postgres_server", "psycopg2_nplus1", "psycopg2_batched", "pgbench_init", "pgbench",
             "pgbench_prepared"]
    pg = import_pg()
    why = "no tests/e2e/pg.py (nor tests/lib/whyslow_test.py)" if pg is None else pg[1]()
    t0 = time.monotonic()
    server = None if why else start_server(pg[0], rec, names[0])
    if server is None:
        for name in names:
            if name not in rec.entries:
                rec.skip(name, why or "no PostgreSQL server (see above)")
        return
    running.append(server)
    try:
        record_pg_clients(rec, server)
    finally:
        running.remove(server)
        status = stop_server(server, os.path.join(rec.out, names[0] + ".txt"))
    folder = os.path.join(rec.corpus, names[0])
    if os.path.isdir(folder):
        chown_tree(folder, os.getuid(), os.getgid())
        rec.done(names[0], status, time.monotonic() - t0)


def record_pg_clients(rec, server):
    """psycopg2 (py_psycopg2.py) and pgbench, on the server."""
    env = server.env()
    prog = os.path.join(rec.base.src, "tests", "e2e", "progs", "py_psycopg2.py")
    if not python_has("psycopg2"):
        for name in ("psycopg2_nplus1", "psycopg2_batched"):
            rec.skip(name, "python3-psycopg2 is not installed (no psycopg2 module for %s)"
                     % PYTHON)
    elif not os.path.exists(prog):
        for name in ("psycopg2_nplus1", "psycopg2_batched"):
            rec.skip(name, "the base has no tests/e2e/progs/py_psycopg2.py")
    else:
        setup = subprocess.run([PYTHON, prog, "setup"], env=clean_env(env), capture_output=True,
                               text=True, timeout=120)
        if setup.returncode != 0:
            raise Failure("py_psycopg2.py setup failed: " + setup.stderr)
        rec.record("psycopg2_nplus1", [PYTHON, prog, "nplus1"], env=env)
        rec.record("psycopg2_batched", [PYTHON, prog, "batched"], env=env)
    pgbench = server.tool("pgbench")
    if not os.access(pgbench, os.X_OK):
        for name in ("pgbench_init", "pgbench", "pgbench_prepared"):
            rec.skip(name, "no pgbench in " + server.bin)
        return
    rec.record("pgbench_init", [pgbench, "-i", "-s", "1", "-q"], env=env)
    # Two clients on two threads, the simple protocol (PQexec); then the
    # prepared one (PQexecPrepared).  Counts, not seconds, so that a slow
    # machine records as much as a fast one.
    rec.record("pgbench", [pgbench, "-n", "-c", "2", "-j", "2", "-t", "300"], env=env)
    rec.record("pgbench_prepared", [pgbench, "-n", "-c", "1", "-t", "200", "-M", "prepared"],
               env=env)


def prepare_corpus(corpus):
    """Empties the corpus folder for a new recording: only when it is
    ours (has the marker) or empty, never a folder given by mistake."""
    if os.path.isdir(corpus) and os.listdir(corpus):
        if not os.path.exists(os.path.join(corpus, MARKER)):
            raise Failure("%s is not empty and holds no corpus of ours (no %s): give another "
                          "--corpus" % (corpus, MARKER))
        shutil.rmtree(corpus)
    os.makedirs(corpus, exist_ok=True)
    open(os.path.join(corpus, MARKER), "w").close()


def read_stamp(corpus):
    try:
        with open(os.path.join(corpus, STAMP)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def record_corpus(corpus, base, base_sha, built, tmp, running):
    say("recording the corpus into %s with the base's recorder" % corpus)
    t0 = time.monotonic()
    prepare_corpus(corpus)
    rec = Recorder(corpus, base, tmp)
    os.makedirs(rec.out)
    examples = copy_tools(rec, built)
    record_examples(rec, example_names(base.src), examples)
    record_gen_logs(rec)
    record_python_tests(rec)
    record_orms(rec)
    record_postgres(rec, running)
    stamp = {"base": base_sha, "recorded": time.strftime("%Y-%m-%d %H:%M:%S %z"),
             "seconds": round(time.monotonic() - t0, 1), "entries": rec.entries}
    with open(os.path.join(corpus, STAMP), "w") as f:
        json.dump(stamp, f, indent=1)
    ok = [e for e in rec.entries.values() if "logs" in e]
    say("  corpus recorded in %.0f s: %d entries, %d logs, %.1f MiB" % (
        stamp["seconds"], len(ok), sum(e["logs"] for e in ok),
        sum(e["bytes"] for e in ok) / 1048576))
    return stamp


# ---- renames: the differences allowed ----

class Renames:
    """--rename OLD=NEW, applied to the base's output before comparing.
    All in one pass, so that A=B B=C does not make A into C."""

    def __init__(self, pairs):
        self.map = dict(pairs)
        self.counts = {old: {} for old in self.map}
        olds = sorted(self.map, key=len, reverse=True)  # the longest first
        # "Word boundaries" that also work for names ending in ')':
        # no word character just before or just after.
        self.pattern = re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(map(re.escape, olds))) \
            if olds else None

    def count(self, old, where):
        self.counts[old][where] = self.counts[old].get(where, 0) + 1

    def json(self, text):
        """"OLD" becomes "NEW"; so does OLD inside a longer JSON string
        (a finding's summary names its call), counted apart."""
        def swap(m):
            old, s, e = m.group(0), m.start(), m.end()
            whole = text[s - 1:s] == '"' and text[e:e + 1] == '"'
            self.count(old, "whole JSON strings" if whole else "inside JSON strings")
            return self.map[old]
        return self.pattern.sub(swap, text)

    def text(self, text, kind):
        """The word OLD becomes NEW; returns the text and the numbers of
        the lines renamed on."""
        lines = text.split("\n")
        renamed = set()
        for i, line in enumerate(lines):
            if self.pattern.search(line):
                def swap(m):
                    self.count(m.group(0), kind)
                    return self.map[m.group(0)]
                lines[i] = self.pattern.sub(swap, line)
                renamed.add(i)
        return "\n".join(lines), renamed

    def summary(self):
        for old, new in self.map.items():
            where = ", ".join("%d %s" % (n, w if w.endswith("strings") else "in " + w)
                              for w, n in self.counts[old].items())
            say("  rename %s -> %s: %s" % (old, new, where or "no occurrences"))


def squeeze(line):
    return re.sub(" +", " ", line)


def forgive_spacing(base, new, renamed):
    """A renamed name of another length moves what follows it in a padded
    column (printf's %-16s): on the lines renamed on, takes the new line
    when the two differ only in runs of spaces.  Returns the base text and
    how many lines were forgiven so."""
    b, n = base.split("\n"), new.split("\n")
    forgiven = 0
    if len(b) == len(n):
        for i in renamed:
            if b[i] != n[i] and squeeze(b[i]) == squeeze(n[i]):
                b[i] = n[i]
                forgiven += 1
    return "\n".join(b), forgiven


# ---- comparing ----

def run_decoder(side, args, entry, corpus, out):
    """Runs one decoder on one entry from the corpus folder (so both name
    the logs alike, relative to it); stdout to out.  Returns (exit status,
    stderr bytes, seconds)."""
    t0 = time.monotonic()
    with open(out, "wb") as f:
        p = subprocess.run([side.whyslow] + args + [entry], cwd=corpus, stdout=f,
                           stderr=subprocess.PIPE, env=clean_env(), timeout=600)
    return p.returncode, p.stderr, time.monotonic() - t0


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def unified_diff(a, b, out):
    """diff -u of files a and b into out; its first lines, cut short (a
    line of JSON can be thousands of characters long)."""
    with open(out, "wb") as f:
        subprocess.run(["diff", "-u", "--label", "base", "--label", "new", a, b], stdout=f)
    with open(out, errors="replace") as f:
        lines = [line.rstrip("\n") for _, line in zip(range(12), f)]
    return [line if len(line) <= 200 else line[:200] + "..." for line in lines]


def compare_one(sides, entry, kind, corpus, work, renames):
    """Both decoders' output of one kind on one entry.  Returns (same,
    notes, diff lines, base seconds, new seconds)."""
    name, args, is_json = kind
    folder = os.path.join(work, entry)
    os.makedirs(folder, exist_ok=True)
    files = {s.name: os.path.join(folder, "%s.%s" % (name, s.name)) for s in sides}
    runs = {s.name: run_decoder(s, args, entry, corpus, files[s.name]) for s in sides}
    base, new = read_bytes(files["base"]), read_bytes(files["new"])
    forgiven = 0
    if renames.pattern:
        text = base.decode("utf-8", "surrogateescape")
        if is_json:
            text = renames.json(text)
        else:
            text, renamed = renames.text(text, name)
            text, forgiven = forgive_spacing(text, new.decode("utf-8", "surrogateescape"),
                                             renamed)
        renamed_base = text.encode("utf-8", "surrogateescape")
        if renamed_base != base:
            os.rename(files["base"], files["base"] + "-raw")
            write_bytes(files["base"], renamed_base)
            base = renamed_base
    (bst, berr, bt), (nst, nerr, nt) = runs["base"], runs["new"]
    problems = []
    if bst != nst:
        problems.append("exit status: base %d, new %d" % (bst, nst))
    if berr != nerr:
        problems.append("stderr differs: base %r, new %r" % (berr[:200], nerr[:200]))
    notes = []
    if bst == nst and bst != 0:  # the same failure: say so, a crash above all
        notes.append("both exit %d%s" % (bst, ", KILLED BY A SIGNAL" if bst < 0 else ""))
    if forgiven:
        notes.append("%d renamed line%s respaced" % (forgiven, "" if forgiven == 1 else "s"))
    if base == new and not problems:
        return True, notes, [], bt, nt
    diff = []
    if base != new:
        out = os.path.join(folder, name + ".diff")
        diff = unified_diff(files["base"], files["new"], out) + ["(full diff: %s)" % out]
    return False, notes, problems + diff, bt, nt


def slower_note(bt, nt):
    """A word when the new decoder took much longer: one run each is
    noisy by a tenth of a second or so, hence the margins."""
    if nt > 1.5 * bt and nt - bt > 0.25:
        return "new slower (x%.2f)" % (nt / bt)
    return ""


def compare_all(sides, entries, corpus, work, renames):
    """Prints one line per (entry, output); returns how many differ."""
    sections = [("JSON (report --json; json-low: --slow-ms 1 --stall-ms 20)",
                 [k for k in KINDS if k[2]]),
                ("text report and dump", [k for k in KINDS if not k[2]])]
    totals = {"base": 0.0, "new": 0.0}
    differ = {}
    for title, kinds in sections:
        say()
        say("== %s" % title)
        say("%-30s %-9s %-9s %7s %7s" % ("entry", "output", "result", "base s", "new s"))
        same = different = 0
        for entry in entries:
            for kind in kinds:
                ok, notes, lines, bt, nt = compare_one(sides, entry, kind, corpus, work, renames)
                totals["base"] += bt
                totals["new"] += nt
                notes = [n for n in notes + [slower_note(bt, nt)] if n]
                say("%-30s %-9s %-9s %7.2f %7.2f  %s" % (entry, kind[0],
                                                        "same" if ok else "DIFFERENT", bt, nt,
                                                        "; ".join(notes)))
                for line in lines:
                    say("      " + line)
                same += ok
                different += not ok
        differ[title] = (same, different)
    say()
    for title, (same, different) in differ.items():
        say("%s: %d same, %d DIFFERENT" % (title.split(" (")[0], same, different)
            if different else "%s: all %d same" % (title.split(" (")[0], same))
    say("decoder time, all outputs: base %.2f s, new %.2f s (new/base %.2f)" % (
        totals["base"], totals["new"], totals["new"] / max(totals["base"], 1e-9)))
    return sum(d for _, d in differ.values())


def clean_outputs(work, keep):
    """Without --keep, only the .diff files stay."""
    if keep:
        return
    for root, dirs, files in os.walk(work, topdown=False):
        for f in files:
            if not f.endswith(".diff"):
                os.remove(os.path.join(root, f))
        if not os.listdir(root):
            os.rmdir(root)


# ---- main ----

def parse_args(repo):
    ap = argparse.ArgumentParser(
        prog="compare_decoders.py",
        description="Two decoders (whyslow report --json, report, dump) on one corpus of "
                    "logs: the same output byte for byte?  Exit 0: all the same; 1: a "
                    "difference; 2: a usage or build error.  See tests/compare/README.md.")
    ap.add_argument("--base", metavar="REV",
                    help="the commit to compare against (default: origin/main if there is "
                         "one, else HEAD); also records the corpus")
    new = ap.add_mutually_exclusive_group()
    new.add_argument("--new", metavar="REV",
                     help="build this commit as the new side (default: this working tree, "
                          "built in build-compare/build)")
    new.add_argument("--new-build", metavar="DIR",
                     help="the new side is DIR/whyslow, already built")
    ap.add_argument("--corpus", metavar="DIR",
                    default=os.path.join(repo, "build-compare", "corpus"),
                    help="where the logs are recorded once, then reused (default: %(default)s)")
    ap.add_argument("--rename", metavar="OLD=NEW", action="append", default=[],
                    help="allow a renamed name: OLD in the base's output counts as NEW "
                         "(repeatable)")
    ap.add_argument("--only", metavar="NAME", action="append", default=[],
                    help="compare only this corpus entry (a glob: 'example_*'; repeatable)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the decoders' outputs in build-compare/out/ (else only the "
                         "diffs stay)")
    args = ap.parse_args()
    renames = []
    for r in args.rename:
        old, eq, new_name = r.partition("=")
        if not eq or not old or not new_name:
            ap.error("--rename %r: expected OLD=NEW" % r)
        renames.append((old, new_name))
    args.renames = renames
    return args


def default_base(repo):
    try:
        resolve(repo, "origin/main")
        return "origin/main"
    except Failure:
        return "HEAD"


def check_only(stamp, only):
    for pat in only:
        if not any(fnmatch.fnmatchcase(name, pat) for name in stamp["entries"]):
            raise Failure("--only %s: no such entry in the corpus (%s)" % (
                pat, ", ".join(stamp["entries"])))


def pick_entries(stamp, only):
    """The entries to compare: those recorded, in recording order, kept
    by --only; says which were skipped and why."""
    check_only(stamp, only)
    entries = []
    for name, e in stamp["entries"].items():
        if only and not any(fnmatch.fnmatchcase(name, pat) for pat in only):
            continue
        if "skipped" in e:
            say("%-30s skipped: %s" % (name, e["skipped"]))
        else:
            entries.append(name)
    return entries


def new_side(args, repo, work, tmp, worktrees):
    """The new side, built."""
    if args.new_build:
        say("new: " + args.new_build_side.label)
        return args.new_build_side
    if args.new:
        new, _ = checkout(repo, worktrees, tmp, "new", args.new)
    else:
        new = Side("new", repo, os.path.join(work, "build"), working_tree_label(repo))
    build_side(new, ["whyslow"], os.path.join(work, "new-build.log"))
    return new


def run(args, repo, tmp, worktrees, running):
    work = os.path.join(repo, "build-compare")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.abspath(args.corpus)
    stamp = read_stamp(corpus)
    # Mistakes in the arguments show before the builds, not after.
    base_rev = args.base or default_base(repo)
    for rev in (base_rev, args.new):
        if rev:
            resolve(repo, rev)
    if args.new_build:
        build = os.path.abspath(args.new_build)
        args.new_build_side = Side("new", None, build, "the build in " + build)
        if not os.access(args.new_build_side.whyslow, os.X_OK):
            raise Failure("--new-build: no %s" % args.new_build_side.whyslow)
    if stamp is not None:
        check_only(stamp, args.only)

    base, base_sha = checkout(repo, worktrees, tmp, "base", base_rev)
    # The recorder and the programs to trace, only when recording.
    targets = ["whyslow"]
    if stamp is None:
        targets += ["whyslow_preload", "gen_log"] + example_names(base.src)
    built = build_side(base, targets, os.path.join(work, "base-build.log"))
    new = new_side(args, repo, work, tmp, worktrees)

    if stamp is None:
        stamp = record_corpus(corpus, base, base_sha, built, tmp, running)
    else:
        say("corpus: reusing %s (recorded %s by base %s; delete it to record again)" % (
            corpus, stamp["recorded"], short(stamp["base"])))
    say()
    entries = pick_entries(stamp, args.only)

    renames = Renames(args.renames)
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    differ = compare_all([base, new], entries, corpus, out, renames)
    if args.renames:
        say("renames applied to the base's output (all entries and outputs):")
        renames.summary()
    clean_outputs(out, args.keep)
    if args.keep:
        say("outputs kept in " + out)
    return 1 if differ else 0


def interrupted(signum, frame):
    raise KeyboardInterrupt  # so that the cleanup below runs, as on Ctrl-C


def main():
    repo = git(HERE, "rev-parse", "--show-toplevel")
    args = parse_args(repo)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    tmp = tempfile.mkdtemp(prefix="whyslow-compare-")
    worktrees = Worktrees(repo)
    running = []  # PostgreSQL servers to stop on the way out
    t0 = time.monotonic()
    try:
        status = run(args, repo, tmp, worktrees, running)
    except Failure as e:
        say("error: %s" % e)
        status = 2
    except KeyboardInterrupt:
        say("interrupted")
        status = 130
    finally:
        for server in running:
            stop_server(server)
        worktrees.remove_all()
        shutil.rmtree(tmp, ignore_errors=True)
    say("done in %.0f s: %s" % (time.monotonic() - t0, {0: "all the same", 1: "DIFFERENCES",
                                                       2: "error"}.get(status, "interrupted")))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:  # before the run starts (not in a git checkout, say)
        print("error: %s" % e, file=sys.stderr)
        sys.exit(2)
