# SPDX-License-Identifier: MIT
"""test_builds.py - e2e cases: the short-process jobs whyslow is asked
about ("why is my build slow?"): a git clone, whose git waits for its
upload-pack through pipes, and a small make, summed up by program.

Run by tests/run.py, one case per process (ctest: e2e.builds.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import os
import subprocess

from whyslow_test import TMP, check, eq, require, report, record, need_file


def git(*args, cwd=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    r = subprocess.run(["git"] + list(args), cwd=cwd, env=env, capture_output=True, text=True)
    require(r.returncode == 0, "git %s: %s" % (args, r.stderr))


def case_git_clone():
    """git clone --no-local of a small repository: it reads the pack from
    its upload-pack (another git process) through pipes, which the report
    names as waits for git, not slow calls."""
    need_file("/usr/bin/git", "Debian's git package")
    src = os.path.join(TMP, "src")
    os.makedirs(src)
    git("init", "-q", cwd=src)
    for i in range(5):
        with open(os.path.join(src, "f%d" % i), "w") as f:
            f.write("%d\n" % i * 1000)
        git("add", "f%d" % i, cwd=src)
        git("commit", "-qm", "c%d" % i, cwd=src)
    data, _ = record(["git", "clone", "-q", "--no-local", src, os.path.join(TMP, "dst")])
    check(os.path.exists(os.path.join(TMP, "dst", "f4")), "the clone")
    rep = report(data)
    # (A busy disk may make other calls slow: only reads of pipes are
    # checked.  A write to a pipe waits only while its reader lags, which
    # a loaded machine may make 10 ms, and the rule counts it then.)
    eq([f["summary"] for f in rep["findings"]
        if f["kind"] == "slow_syscall" and f["call"] in ("read", "readv") and
        (f["target"] or "").startswith("pipe:")], [],
       "no slow_syscall for reads of pipes")
    pids = {p["pid"] for p in rep["processes"]}
    waited = [(p["pid"], w) for p in rep["processes"] for w in p["waited_for"]
              if w["program"] == "git"]
    check(waited and all(w["pids"] and all(q != pid and q in pids for q in w["pids"])
                         for pid, w in waited),
          "git waited for other git processes: %s" % waited)
    roles = {(p["program"], p["role"]) for p in rep["programs"]}
    check({("git", "clone"), ("git", "upload-pack")} <= roles, "git's commands: %s" % roles)


MAKEFILE = """
all: a.o b.o c.o
%.o: %.c
\tcc -c $< -o $@
"""


def case_small_make():
    """make -j2 of three C files: the summary counts make once and the
    compiler proper (cc1) three times, and the longest chain
    starts at make."""
    need_file("/usr/bin/make", "Debian's make package")
    d = os.path.join(TMP, "mk")
    os.makedirs(d)
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write(MAKEFILE)
    for name in "abc":
        with open(os.path.join(d, name + ".c"), "w") as f:
            f.write("int %s(int x) { return x * 2; }\n" % name)
    data, _ = record(["make", "-s", "-j2", "-C", d])
    check(all(os.path.exists(os.path.join(d, n + ".o")) for n in "abc"), "the objects")
    rep = report(data)
    runs = {p["program"]: p["runs"] for p in rep["programs"]}
    check(runs.get("make") == 1 and runs.get("cc1") == 3, "programs: %s" % runs)
    eq(sum(runs.values()), len(rep["processes"]), "every process counted once")
    first = [p for p in rep["processes"] if p["pid"] == rep["chain"][0]]
    check(first and first[0]["exe"].endswith("/make"), "the chain: %s" % rep["chain"])
