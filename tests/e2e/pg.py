"""pg.py - a throwaway PostgreSQL server for the end-to-end tests.

    with PgServer() as pg:          # or pg = PgServer(); pg.start() ... pg.stop()
        pg.psql("create table t (id int)")
        subprocess.run([...], env=pg.env())   # PGHOST, PGUSER, PGDATABASE set

The server is Debian's (/usr/lib/postgresql/<version>/bin, the newest
version there), run as the `postgres` user when the tests run as root (the
server refuses to run as root), else as the current user.  The postmaster
is this process's own child, not left to init by pg_ctl.  Its data
directory and Unix socket are in a fresh temporary folder; it listens on no
TCP port, trusts every local connection, and runs with fsync off.  It has a
role and a database, both named `whyslow`, for the tests.  Starting takes
about a second (initdb most of it), stopping a few hundredths; one server
can serve every test of a process.

stop() (also on the way out of a `with`, on failure too) stops it and
removes the folder.  A watchdog process does the same if the test process
dies without stopping it (killed by a timeout, say), so nothing is left
running.  unavailable() says why no server can be had here, or None.
"""
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

USER = "whyslow"
DATABASE = "whyslow"


def bin_dir():
    """The bin folder of the newest PostgreSQL installed, or None."""
    found = []
    for pg_ctl in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        version = pg_ctl.split("/")[4]
        try:
            found.append((tuple(int(x) for x in version.split(".")), os.path.dirname(pg_ctl)))
        except ValueError:
            continue
    return max(found)[1] if found else None


def unavailable():
    """Why a server cannot be started here (a sentence), or None."""
    b = bin_dir()
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
WATCHDOG = r"""
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
    def __init__(self):
        self.bin = bin_dir()
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
        e.update(PGHOST=self.dir, PGUSER=USER, PGDATABASE=DATABASE)
        return e

    def dsn(self):
        return "host=%s user=%s dbname=%s" % (self.dir, USER, DATABASE)

    def psql(self, sql, user=USER, db=DATABASE):
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
        self.watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(os.getpid()), self.data, self.dir],
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
            self.server = subprocess.Popen(
                [self.tool("postgres"), "-D", self.data, "-k", self.dir,
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
        self.psql("create role %s login superuser" % USER, user="postgres", db="postgres")
        self.psql("create database %s owner %s" % (DATABASE, USER), user="postgres",
                  db="postgres")

    def stop(self):
        if self.dir is None:
            return
        if self.server is not None:
            if self.server.poll() is None:
                self.server.send_signal(signal.SIGQUIT)  # immediate shutdown
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
    # python3 pg.py: starts a server, says how long it took, stops it.
    why = unavailable()
    if why:
        print("unavailable: " + why)
        sys.exit(0)
    t0 = time.monotonic()
    with PgServer() as pg:
        t1 = time.monotonic()
        print(pg.psql("select version()").strip())
        print("started in %.2f s at %s" % (t1 - t0, pg.dir))
    print("stopped in %.2f s" % (time.monotonic() - t1))
