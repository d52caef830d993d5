# SPDX-License-Identifier: MIT
"""check_py_layout.py - the offsets preload/pyframes.c reads CPython 3.8
to 3.12 frames with are the ones each installed version's headers give.

Builds py_layout.c against every set of headers found (Debian's
python3.11-dev, pyenv's versions) and compares its line with the row of
layouts[] for that minor version.  Versions without headers are skipped,
and said so; none found at all fails, since the table would go unchecked.

usage: check_py_layout.py SOURCE_DIR
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

src = sys.argv[1]
with open(os.path.join(src, "preload", "pyframes.c")) as f:
    text = f.read()
table = text[text.index("static const struct layout layouts[]"):]
table = table[:table.index("};")]
rows = {}
for m in re.finditer(r"\{(\d+), ([^}]*)\}", table):
    rows[int(m.group(1))] = [-1 if x.strip() == "NONE" else int(x) for x in m.group(2).split(",")]

dirs = sorted(set(glob.glob("/usr/include/python3.*") +
                  glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/include/python3.*"))))
dirs = [d for d in dirs if re.search(r"python3\.(8|9|1[012])$", d)]
failed, checked = 0, 0
with tempfile.TemporaryDirectory() as tmp:
    exe = os.path.join(tmp, "py_layout")
    for d in dirs:
        new = not re.search(r"python3\.[89]$|python3\.10$", d)
        if new and not os.path.exists(os.path.join(d, "internal", "pycore_frame.h")):
            print("skipped %s: no internal headers" % d)
            continue
        subprocess.run(["cc", "-DPY_LAYOUT_NEW=%d" % new, "-I", d, "-o", exe,
                        os.path.join(src, "tests", "unit", "py_layout.c")], check=True)
        got = [int(x) for x in subprocess.run([exe], capture_output=True, text=True,
                                              check=True).stdout.split()]
        minor, offsets = got[0], got[1:]
        want = rows.get(minor)
        if want != offsets:
            print("FAIL %s: headers give %s, layouts[] has %s" % (d, offsets, want))
            failed += 1
        else:
            print("ok %s (3.%d)" % (d, minor))
        checked += 1
if checked == 0:
    print("FAIL: no CPython 3.8 to 3.12 headers found to check layouts[] against")
    sys.exit(1)
sys.exit(1 if failed else 0)
