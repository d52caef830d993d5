# SPDX-License-Identifier: MIT
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
import time

import whyslow_test
from whyslow_test import TMP, WHYSLOW, check, eq, require, gen, pack_of

HANG = 60  # seconds on the clock: what never finishes is a hang


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


# ---- bombs: small on disk, huge inflated ----

MEM_FREE, MEM_PER_BYTE = 32 << 20, 192  # decoder/base/util.h


def bomb(kind, chunks=None, size=None):
    """gen_log's bomb of this kind; its path and size."""
    log = os.path.join(TMP, f"{kind}.wslog")
    args = [whyslow_test.GEN_LOG, "bomb-" + kind, log]
    args += [str(chunks)] if chunks is not None else []
    args += [str(size)] if size is not None else []
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return log, os.path.getsize(log)


def measured(*args, timeout=HANG):
    """whyslow ARGS with its own time and peak memory: (exit status,
    stdout, stderr, CPU seconds, peak RSS in bytes).  Its outputs go to
    files and it is waited for with wait4(), for its own resource usage:
    its CPU time, not the clock's, which on a loaded machine says more of
    the other processes (13.5 s seen under tests/stress.sh for 0.3 s of
    work)."""
    outs = [open(os.path.join(TMP, name), "w+b") for name in ("out", "err")]
    start = time.monotonic()
    p = subprocess.Popen([WHYSLOW, *args], stdout=outs[0], stderr=outs[1])
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            p.kill()
            os.wait4(p.pid, 0)
            whyslow_test.fail(f"whyslow {' '.join(args)} still running after {timeout} s")
        time.sleep(0.01)
    took = usage.ru_utime + usage.ru_stime
    p.returncode = os.waitstatus_to_exitcode(status)
    got = []
    for f in outs:
        f.seek(0)
        got.append(f.read())
        f.close()
    return p.returncode, got[0], got[1], took, usage.ru_maxrss * 1024


def check_bounded(log, size, took, peak, seconds=10):
    """The issue's bounds: seconds (of CPU), and 64 MiB and 256 times the
    size."""
    check(took < seconds, f"{log}: {took:.1f} s of CPU")
    check(peak <= (64 << 20) + 256 * size,
          f"{log}: {peak >> 20} MiB, over 64 MiB and 256 times its {size} bytes")


def truncated_at(out, want):
    """The text report's warning that the log is read up to a bound."""
    check(f"  WARNING: log truncated {want}\n".encode() in out,
          f"warning {want!r} in {out[:2000]!r}")


def memory_error(log, size):
    bound = MEM_FREE + MEM_PER_BYTE * size
    return (f"whyslow: {log}: needs more than {bound >> 20} MiB of memory, the most whyslow "
            f"takes for {size} bytes of logs (32 MiB and 192 times their size): a damaged or "
            "hostile log?\n").encode()


def case_meta_bomb():
    """The issue's: one META chunk of 64 MiB of zero bytes in 3.5 KB (25 s
    and 1.9 GB before), eight of them (3.7 GB and more)."""
    for chunks in (1, 8):
        log, size = bomb("meta", chunks)
        rc, out, err, took, peak = measured("report", log)
        eq((rc, err), (0, b""), f"{chunks} chunks")
        truncated_at(out, "at byte 144: META chunk of 67108864 bytes inflated, over the "
                     "16777216 a recorder writes at most")
        check_bounded(log, size, took, peak)
    # Within the chunk limit: 16 MiB of empty records, 8 times.
    log, size = bomb("meta", 8, 16 << 20)
    rc, out, err, took, peak = measured("report", log)
    eq((rc, err), (0, b""), "16 MiB chunks")
    truncated_at(out, f"at byte 144: the log holds more records than the decoder reads from a "
                 f"file of {size} bytes (4 a byte and 131072 more): the rest is not read")
    check_bounded(log, size, took, peak)


def case_event_bomb():
    """The issue's CPU bomb: 200 EVENTS chunks of 64 MiB of minimal records
    (busy past 60 s before); then chunks of the largest size allowed."""
    log, size = bomb("events")
    rc, out, err, took, peak = measured("report", log)
    eq((rc, err), (0, b""), "64 MiB chunks")
    truncated_at(out, "at byte 144: EVENTS chunk of 67108860 bytes inflated, over the 1048576 "
                 "a recorder writes at most")
    check_bounded(log, size, took, peak)
    log, size = bomb("events", 3000, 1 << 20)
    rc, out, err, took, peak = measured("report", log)
    eq((rc, err), (0, b""), "1 MiB chunks")
    check(b"the log holds more records than the decoder reads from a file of" in out,
          "1 MiB chunks: read up to the bound")
    check_bounded(log, size, took, peak)
    rc, out, err, took, peak = measured("dump", log)
    eq(rc, 0, "dump")
    check(f"truncated at byte".encode() in out, "dump says where it stopped")
    check(took < 30, f"dump: {took:.1f} s")


def case_keeping_bombs():
    """Records the analysis keeps something for (a wait, a lock, an fd's
    name, a query, a thread, a connection pool's candidate), a few bytes
    each on disk: the report, within the bounds, or one line saying the
    log needs too much memory."""
    for kind, chunks in (("waits", 400), ("locks", 6), ("fds", 6), ("sql", 20),
                         ("threads", 2), ("pools", 4), ("text", 400)):
        log, size = bomb(kind, chunks, 1 << 20)
        rc, out, err, took, peak = measured("report", log)
        if rc == 0:
            eq(err, b"", f"{kind}: stderr")
        else:
            eq((rc, out, err), (1, b"", memory_error(log, size)), f"{kind}: the error")
        check_bounded(log, size, took, peak)


def case_reading_bombs():
    """Records that cost work per record: one 4 KiB text named by every
    query or statement, start times that go back (the window), memory maps
    that make the union of maps grow with each."""
    for kind, chunks, chunk in (("text", 40, 1 << 20), ("stmt", 400, 1 << 20),
                                ("lag", 400, 1 << 20), ("maps", 2, 4 << 20)):
        log, size = bomb(kind, chunks, chunk)
        rc, out, err, took, peak = measured("report", log)
        if rc == 0:
            eq(err, b"", f"{kind}: stderr")
            check(b"  WARNING: log truncated at byte" in out or b"  note: " in out,
                  f"{kind}: the report says what it did not read")
        else:
            eq((rc, out, err), (1, b"", memory_error(log, size)), f"{kind}: the error")
        check_bounded(log, size, took, peak)
    eq(b"  note: more memory maps than the decoder reads from a file of %d bytes: the later ones "
       b"are not read, and what only they map is not named\n" % size in out, True, "maps: note")


# ---- terminal escapes ----

EVIL = b"\x1b]0;pwned\x07\x1b[2J\x9b31m\xc2\x9b1m\xe2\x80\xaeevil"  # gen_log.c's EVIL
# What text.h makes of it: controls '?', the lone byte U+FFFD.
EVIL_SHOWN = b"?]0;pwned??[2J\xef\xbf\xbd31m?1m?evil"


def check_clean(what, out):
    """Nothing a terminal obeys: no ESC, BEL, 8-bit CSI (as a byte or as
    UTF-8), right-to-left override; and valid UTF-8."""
    for bad in (b"\x1b", b"\x07", b"\x9b", b"\xe2\x80\xae"):
        check(bad not in out, f"{what}: {bad!r} in {out[:3000]!r}")
    try:
        out.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"{what}: not UTF-8: {e}")


def case_escapes_in_log():
    log = os.path.join(TMP, "esc.wslog")
    gen("escapes", log)
    for args in (["report", log], ["dump", log]):
        rc, out, err = run(*args)
        eq((rc, err), (0, b""), " ".join(args))
        check_clean(" ".join(args), out)
    rc, out, err = run("report", log)
    check(b"pid 800 (ppid 1) esc" + EVIL_SHOWN + b" --x=" + EVIL_SHOWN + b" " in out,
          "the command, cleaned")
    check(b"write call on /tmp/f" + EVIL_SHOWN + b" took" in out, "the path, cleaned")
    check(b"connect call on unix:/run/s" + EVIL_SHOWN + b" took" in out, "the peer, cleaned")
    rc, out, err = run("dump", log)
    check(b" name=\"thr" + EVIL_SHOWN + b"\"" in out, "dump: the thread's name, cleaned")
    check(b"SELECT '" + EVIL_SHOWN + b"' FROM t WHERE id = ?" in out, "dump: the SQL, cleaned")
    # JSON keeps the strings (what is not UTF-8 as U+FFFD), the controls
    # escaped: a program gets them, a terminal showing the file does not.
    rc, out, err = run("report", "--json", log)
    eq((rc, err), (0, b""), "report --json")
    check_clean("report --json", out)
    p = json.loads(out)["processes"][0]
    evil = EVIL.decode("utf-8", errors="replace")
    eq(p["argv"], ["esc" + evil, "--x=" + evil], "JSON: the command as it was")
    check("\\u202e" in out.decode() and "\\u009b" in out.decode(), "JSON: escapes")


def case_escapes_in_maps():
    path = "/tmp/x\x1b]0;pwned\x07\x1b[2J/slow\u202e"
    log = gen_maps("m", path)
    rc, out, err = run("report", log)
    eq((rc, err), (0, b""), "report")
    check_clean("report", out)
    check(b"  note: cannot read /tmp/x?]0;pwned??[2J/slow? (No such file or directory): its code "
          b"is not named\n" in out, f"the note, cleaned: {out!r}")
    rc, out, err = run("dump", log)
    check_clean("dump", out)


def case_escapes_in_names():
    """File and directory names: the log's, in errors and warnings, and
    record's messages about its directory and its command."""
    evil = os.fsdecode(EVIL)
    d = os.path.join(TMP, "dir" + evil)
    os.mkdir(d)
    log = os.path.join(d, "log" + evil + ".wslog")
    gen("normal", log)
    rc, out, err = run("report", d)
    eq((rc, err), (0, b""), "report")
    check_clean("report", out)
    shown = os.fsencode(TMP) + b"/dir" + EVIL_SHOWN + b"/log" + EVIL_SHOWN + b".wslog"
    check(b"  log: " + shown + b"\n" in out, "the log's name, cleaned")
    rc, out, err = run("dump", d)
    check_clean("dump", out)
    # A warning (an empty log), then an error (a FIFO).
    open(os.path.join(d, "empty" + evil + ".wslog"), "w").close()
    os.mkfifo(os.path.join(d, "z" + evil + ".wslog"))
    rc, out, err = run("report", d)
    dshown = os.fsencode(TMP) + b"/dir" + EVIL_SHOWN
    eq((rc, out, err),
       (1, b"", b"whyslow: warning: " + dshown + b"/empty" + EVIL_SHOWN + b".wslog: empty file, "
        b"skipped (its process may have been killed before writing its header)\n"
        b"whyslow: " + dshown + b"/z" + EVIL_SHOWN + b".wslog: a FIFO, not a regular file\n"),
       "warning and error, cleaned")
    rc, out, err = run("report", os.path.join(TMP, "missing" + evil))
    eq((rc, err), (1, b"whyslow: " + os.fsencode(TMP) + b"/missing" + EVIL_SHOWN +
                   b": No such file or directory\n"), "a missing path, cleaned")
    # record: its directory, and a command that is not there.
    data = os.path.join(TMP, "data" + evil)
    rc, out, err = run("record", "-o", data, "--", "/bin/true")
    eq(rc, 0, "record")
    check_clean("record", err)
    rc, out, err = run("record", "-o", data, "--", "/nonexistent" + evil)
    eq((rc, err), (127, b"whyslow: /nonexistent" + EVIL_SHOWN + b": No such file or directory\n"),
       "record: a command not there, cleaned")


def case_pack_bomb():
    """A pack of 40 bombs (each 8 META chunks of 16 MiB of empty records):
    its members share one log's free bounds, so the pack is read within
    the bounds of one file of its size, not of 40 logs."""
    log, size = bomb("meta", 8, 16 << 20)
    one = open(log, "rb").read()
    pack = os.path.join(TMP, "pack-bomb.wslog")
    with open(pack, "wb") as f:
        f.write(pack_of([one] * 40))
    size = os.path.getsize(pack)
    rc, out, err, took, peak = measured("report", "--json", pack)
    eq((rc, err), (0, b""), "the pack")
    check_bounded(pack, size, took, peak)
    reasons = [p["truncated_reason"] for p in json.loads(out)["processes"]]
    # The first member takes the free part and stops at the records'
    # bound, as the bomb alone does; the others have only their share by
    # size left to inflate.
    eq(reasons[0], f"at byte 144: the log holds more records than the decoder reads from a file "
       f"of {len(one)} bytes (4 a byte and 131072 more, shared by its pack's logs): the rest is "
       "not read", "the first member")
    eq(set(reasons[1:]), {f"at byte 144: the log inflates to more than the decoder reads from a "
                          f"file of {len(one)} bytes (64 times its size and 16 MiB, shared by its "
                          "pack's logs): the rest is not read"}, "the 39 others")
