"""test_hostile.py - report checks: logs and files other people made
(issue 10).  A log may name a FIFO or a device, in its memory maps or as
itself; it may be small on disk and huge inflated (a bomb); its strings
may hold terminal escapes.  Whatever it holds, whyslow ends in seconds,
within its memory bound, with a report or exactly one line saying what is
wrong, and prints nothing a terminal would obey.

Run by tests/run.py, one case per process (ctest: unit.report.hostile.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import json
import os
import subprocess

import whyslow_test
from whyslow_test import TMP, WHYSLOW, check, eq, require, gen

HANG = 20  # seconds: what never finishes is a hang


def run(*args, timeout=HANG, cwd=None):
    """whyslow ARGS; (exit status, stdout, stderr) as bytes, or a failure
    that ends the case when it does not end within timeout."""
    try:
        p = subprocess.run([WHYSLOW, *args], capture_output=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        whyslow_test.fail(f"whyslow {' '.join(args)} still running after {timeout} s")
    return p.returncode, p.stdout, p.stderr


def error_line(args, want):
    """whyslow ARGS ends at once with status 1 and exactly the line want."""
    rc, out, err = run(*args)
    eq((rc, out, err.decode(errors="replace")), (1, b"", want + "\n"), f"whyslow {' '.join(args)}")


def gen_maps(name, path):
    """gen_log's maps log, its memory map naming path; the log's path."""
    log = os.path.join(TMP, name + ".wslog")
    subprocess.run([whyslow_test.GEN_LOG, "maps", log, path], check=True,
                   stdout=subprocess.DEVNULL)
    return log


# ---- logs that are no regular files ----

def case_fifo_log():
    d = os.path.join(TMP, "d")
    os.mkdir(d)
    fifo = os.path.join(d, "1.wslog")
    os.mkfifo(fifo)
    for verb in ("report", "dump"):
        error_line([verb, d], f"whyslow: {fifo}: a FIFO, not a regular file")
        error_line([verb, fifo], f"whyslow: {fifo}: a FIFO, not a regular file")


def case_device_log():
    error_line(["report", "/dev/null"], "whyslow: /dev/null: a character device, not a regular file")
    d = os.path.join(TMP, "d")
    os.makedirs(os.path.join(d, "sub.wslog"))
    error_line(["report", d], f"whyslow: {d}/sub.wslog: a directory, not a regular file")
    if os.path.exists("/proc/self/status"):
        error_line(["report", "/proc/self/status"],
                   "whyslow: /proc/self/status: a kernel pseudo-file (/proc, /sys...)")


def case_symlinked_logs():
    good = os.path.join(TMP, "good.wslog")
    gen("normal", good)
    # Named on the command line, a link is followed.
    named = os.path.join(TMP, "named.wslog")
    os.symlink(good, named)
    rc, out, err = run("report", named)
    eq((rc, err), (0, b""), "a link named on the command line")
    check(b"pid 4242" in out, "its report")
    # In a directory, it is not: neither to a log nor to a FIFO.
    fifo = os.path.join(TMP, "fifo")
    os.mkfifo(fifo)
    for target in (good, fifo):
        d = os.path.join(TMP, "dir-" + os.path.basename(target))
        os.mkdir(d)
        os.symlink(target, os.path.join(d, "1.wslog"))
        error_line(["report", d], f"whyslow: {d}/1.wslog: a symbolic link: not followed in a "
                   "directory (name it to read what it leads to)")


# ---- paths a log names ----

def case_maps_name_no_files():
    fifo = os.path.join(TMP, "libfifo.so")
    os.mkfifo(fifo)
    link = os.path.join(TMP, "liblink.so")
    os.symlink(fifo, link)
    for path, what in ((fifo, "a FIFO"), ("/dev/zero", "a character device"),
                       (link, "a FIFO"), ("/dev/tty", "a character device")):
        if not os.path.exists(path) and not os.path.islink(path):
            continue
        log = gen_maps("m", path)
        rc, out, err = run("report", "--json", log)
        eq((rc, err), (0, b""), f"a map naming {path}")
        require(rc == 0, "the report")
        p = json.loads(out)["processes"][0]
        check(f"cannot read {path} ({what}, not a regular file): its code is not named"
              in p["notes"], f"{path}: the note says why: {p['notes']}")


def case_debuglink_fifo():
    """A file the map names is a regular ELF file, but where libdwfl looks
    for its separate debug information there is a FIFO."""
    d = os.path.join(TMP, "lib")
    os.mkdir(d)
    prog = os.path.join(d, "prog")
    with open("/usr/bin/true", "rb") as src, open(prog, "wb") as dst:
        dst.write(src.read())
    os.utime(prog, (1600000000, 1600000000))  # before the recording gen_log made
    res = subprocess.run(["objcopy", "--dump-section", ".gnu_debuglink=/dev/stdout", prog,
                          "/dev/null"], capture_output=True)
    names = {"prog.debug"}
    if res.returncode == 0 and res.stdout:
        names.add(res.stdout.split(b"\0")[0].decode())
    for name in names:
        os.mkfifo(os.path.join(d, name))
    log = gen_maps("dbg", prog)
    rc, out, err = run("report", log)
    eq((rc, err), (0, b""), "report")
    check(b"from prog+0x1234" in out, f"the code is named by its module: {out!r}")
