# SPDX-License-Identifier: MIT
"""test_damage.py - report checks: logs cut short, damaged, of an unknown
version or with unknown records, and files that are no logs: always a
report of what can be read, or exactly one line saying what is wrong.

Run by tests/run.py, one case per process (ctest: unit.report.damage.CASE);
the helpers and the check machinery are tests/lib/whyslow_test.py's.
"""
import json
import os
import re
import subprocess

import whyslow_test
from whyslow_test import (TMP, check, eq, whyslow, report, gen, one_line_error, pack_header,
                          pack_member, pack_of)


def event_records(chunks, upto):
    """Records in the EVENTS chunks that end at or before byte upto."""
    return sum(c[3] for c in chunks if c[2] == "events" and c[1] <= upto)


def case_unknown_records():
    log = os.path.join(TMP, "unknown.wslog")
    # gen_log takes the first ids the table of calls does not know and says
    # which: a call (below 100) and a thread record.
    out = subprocess.run([whyslow_test.GEN_LOG, "unknown", log], capture_output=True, text=True,
                         check=True).stdout
    call, record = re.search(r"^unknown call (\d+) record (\d+)$", out, re.M).groups()
    r = report(log)
    p = r["processes"][0]
    eq((p["events"], p["truncated"], p["end"]["kind"]), (3, False, "exec"), "unknown records")
    eq(p["notes"], ["skipped chunks of unknown kind 7"], "notes")
    eq(sorted(s["call"] for s in r["syscalls"]), ["call#" + call, "write"],
       "unknown call in the table")
    rc, out, err = whyslow("dump", log)
    check(" call#%s obj=3 result=0" % call in out and " call#%s result=0" % record in out,
          "dump names unknown calls")


def case_truncated_cuts():
    log = os.path.join(TMP, "normal.wslog")
    chunks, _ = gen("normal", log)
    data = open(log, "rb").read()
    cut = os.path.join(TMP, "cut.wslog")

    def cut_report(n):
        with open(cut, "wb") as f:
            f.write(data[:n])
        return report(cut)["processes"][0]

    for c in chunks[:-1]:
        end = c[1]
        p = cut_report(end)  # a chunk boundary: a shorter, intact log
        eq((p["truncated"], p["events"]), (False, event_records(chunks, end)), f"cut at {end}")
        p = cut_report(end + 5)
        eq((p["truncated"], p["events"]), (True, event_records(chunks, end)), f"cut at {end}+5")
        eq(p["truncated_reason"], f"at byte {end}: frame header cut short (5 of 8 bytes)",
           f"reason at {end}+5")
        p = cut_report(end + 20)
        eq(p["truncated_reason"], f"at byte {end}: chunk header cut short", f"reason at {end}+20")
        p = cut_report(end + 45)
        eq((p["truncated"], p["events"]), (True, event_records(chunks, end)), f"cut at {end}+45")
        check(p["truncated_reason"].startswith(f"at byte {end + 40}: zstd frame cut short"),
              f"reason at {end}+45: {p['truncated_reason']}")
    for n in range(24, len(data), 7):  # everywhere: never a crash, always a report
        with open(cut, "wb") as f:
            f.write(data[:n])
        rc, out, err = whyslow("report", "--json", cut)
        eq(rc, 0, f"exit status when cut at {n}")
    p = cut_report(24)
    eq((p["pid"], p["events"], p["truncated"]), (0, 0, False), "header only")
    with open(cut, "wb") as f:
        f.write(data[:10])
    one_line_error(["report", cut], 1,
                   f"whyslow: {cut}: not a whyslow log (cut inside its 24-byte file header)")
    p = cut_report(len(data) - 1)
    eq(p["truncated"], True, "last byte missing")
    rc, out, err = whyslow("report", cut)
    check("WARNING: log truncated at byte" in out, "text report shows the truncation")


def case_bad_checksum():
    log = os.path.join(TMP, "bad.wslog")
    chunks, flipped = gen("badchecksum", log)
    chunk = next(c for c in chunks if c[0] <= flipped < c[1])
    r = report(log)
    p = r["processes"][0]
    eq((p["truncated"], p["events"]), (True, event_records(chunks, chunk[0])), "damaged frame")
    eq(p["truncated_reason"],
       f"at byte {chunk[0] + 40}: zstd frame does not decode (Restored data doesn't match checksum)",
       "reason")


def case_foreign_files():
    text = os.path.join(TMP, "notes.txt")
    with open(text, "w") as f:
        f.write("hello, this is not a log at all\n")
    one_line_error(["report", "/bin/sh"], 1, "whyslow: /bin/sh: not a whyslow log")
    one_line_error(["report", text], 1, f"whyslow: {text}: not a whyslow log")
    one_line_error(["dump", text], 1, f"whyslow: {text}: not a whyslow log")
    good = os.path.join(TMP, "good.wslog")
    gen("normal", good)
    one_line_error(["report", good, text], 1, f"whyslow: {text}: not a whyslow log")
    d = os.path.join(TMP, "dir")
    os.mkdir(d)
    gen("normal", os.path.join(d, "a.wslog"))
    with open(os.path.join(d, "b.wslog"), "w") as f:
        f.write("garbage garbage garbage garbage\n")
    one_line_error(["report", d], 1, f"whyslow: {d}/b.wslog: not a whyslow log")


def case_empty_file():
    empty = os.path.join(TMP, "empty.wslog")
    open(empty, "w").close()
    one_line_error(["report", empty], 1, f"whyslow: {empty}: empty file")
    one_line_error(["dump", empty], 1, f"whyslow: {empty}: empty file")


def case_bad_version():
    log = os.path.join(TMP, "v9.wslog")
    gen("version9", log)
    one_line_error(["report", log], 1,
                   f"whyslow: {log}: log format version 9 is not supported "
                   "(this whyslow reads versions 1 to 5)")
    # Version 2 only added records: a version 1 log reads as before.
    v1 = os.path.join(TMP, "v1.wslog")
    gen("version1", v1)
    normal = os.path.join(TMP, "v2.wslog")
    gen("normal", normal)
    eq(report(v1)["findings"], report(normal)["findings"], "findings of a version 1 log")


def case_no_logs():
    d = os.path.join(TMP, "nothing")
    os.mkdir(d)
    one_line_error(["report", d], 1, f"whyslow: {d}: no whyslow logs (*.wslog) found")
    open(os.path.join(d, "x.wslog"), "w").close()
    rc, out, err = whyslow("report", d)
    eq(rc, 1, "only an empty log")
    check("no whyslow logs" in err.splitlines()[-1], "only an empty log: error")
    one_line_error(["report", os.path.join(TMP, "missing")], 1,
                   f"whyslow: {TMP}/missing: No such file or directory")
    one_line_error(["report"], 1, "whyslow: whyslow.data: No such file or directory (record first...",
                   cwd=TMP)
    one_line_error(["dump"], 1, "whyslow: whyslow.data: No such file or directory...", cwd=TMP)


def case_packs():
    """A pack's members read as the logs they are, each named PACK#N, which
    report and dump take; a pack cut inside a member reads that member as
    a log cut there; damage between members ends the pack with a warning
    line; an unknown pack version is one line of error."""
    a, b = os.path.join(TMP, "a.wslog"), os.path.join(TMP, "b.wslog")
    chunks, _ = gen("normal", a)
    gen("version1", b)
    whole = pack_of([open(a, "rb").read(), open(b, "rb").read()])
    pack = os.path.join(TMP, "pack-1.wslog")
    with open(pack, "wb") as f:
        f.write(whole)
    procs = report(pack)["processes"]
    eq([p["log"] for p in procs], [pack + "#1", pack + "#2"], "members named")
    alone = [report(a)["processes"][0], report(b)["processes"][0]]
    eq([(p["events"], p["truncated"]) for p in procs],
       [(p["events"], p["truncated"]) for p in alone], "members read as the logs alone")
    eq(report(pack + "#2")["processes"][0]["events"], alone[1]["events"], "report PACK#2")
    rc, out, err = whyslow("dump", pack + "#1")
    _, out_a, _ = whyslow("dump", a)
    eq((rc, out.replace(pack + "#1", a)), (0, out_a), "dump PACK#1 is the dump of its log")
    one_line_error(["report", pack + "#3"], 1,
                   f"whyslow: {pack}#3: no such process in the pack (it holds 2)")
    check(subprocess.run(["zstd", "-tq", pack]).returncode == 0, "a pack is a zstd stream")

    # Cut inside the second member, after its first chunk and 5 bytes more.
    second = 24 + 16 + os.path.getsize(a) + 16
    end = chunks[0][1]
    with open(pack, "wb") as f:
        f.write(whole[:second + end + 5])
    rc, out, err = whyslow("report", "--json", pack)
    procs = json.loads(out)["processes"] if rc == 0 else []
    eq((rc, err, len(procs)), (0, "", 2), "cut inside a member: both read, no warning")
    check(procs[1]["truncated"] and "the pack ends inside this process's log" in procs[1]["notes"],
          "the cut member: %s" % procs[1])

    # Damage between members: what came before is read, one warning line.
    for bad, why in ((whole[:second - 10], "a member header cut short"),
                     (whole[:second - 16] + b"\0" * 16 + whole[second:],
                      "no member header where one should be")):
        with open(pack, "wb") as f:
            f.write(bad)
        rc, out, err = whyslow("report", "--json", pack)
        eq((rc, len(json.loads(out)["processes"]) if rc == 0 else None), (0, 1), why)
        eq(err, f"whyslow: warning: {pack}: pack damaged at byte {second - 16} ({why}): "
           "read up to it\n", "warning: " + why)

    with open(pack, "wb") as f:
        f.write(pack_of([open(a, "rb").read()], version=9))
    one_line_error(["report", pack], 1, f"whyslow: {pack}: pack version 9 is not supported "
                   "(this whyslow reads versions 1 to 1)")


def case_pack_members_damaged():
    """A member that is no log is skipped with a warning and the next one
    read; a pack cut inside its header is skipped in a directory as a log
    cut there is; a wrapping member length ends the pack."""
    a = os.path.join(TMP, "a.wslog")
    gen("normal", a)
    good = open(a, "rb").read()
    hdr, member = pack_header(), pack_member(good)
    pack = os.path.join(TMP, "pack-2.wslog")
    with open(pack, "wb") as f:
        f.write(hdr + member + pack_member(b"no log here, " * 4) + member)
    rc, out, err = whyslow("report", "--json", pack)
    eq(rc, 0, "a pack with a bad member: %s" % err)
    eq([p["log"] for p in json.loads(out)["processes"]], [pack + "#1", pack + "#3"],
       "the members around it")
    eq(err, f"whyslow: warning: {pack}#2: not a whyslow log, skipped\n", "the warning")

    d = os.path.join(TMP, "cutpack")
    os.mkdir(d)
    with open(os.path.join(d, "pack-3.wslog"), "wb") as f:
        f.write(hdr[:10])
    with open(os.path.join(d, "a.wslog"), "wb") as f:
        f.write(good)
    rc, out, err = whyslow("report", "--json", d)
    eq((rc, len(json.loads(out)["processes"]) if rc == 0 else None), (0, 1),
       "a directory with a pack cut in its header: %s" % err)
    check("pack-3.wslog: not a whyslow log (a pack cut inside its 24-byte header), skipped" in err,
          "its warning: %r" % err)

    with open(pack, "wb") as f:
        f.write(hdr + member + pack_member(good, length=(1 << 64) - 16))
    rc, out, err = whyslow("report", "--json", pack)
    eq((rc, [p["log"] for p in json.loads(out)["processes"]] if rc == 0 else None),
       (0, [pack + "#1", pack + "#2"]), "a wrapping length: the rest read as one cut member")
