#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_license.py - every source file of the project says its license
(LICENSE: MIT) in an SPDX line among its first two lines, so that a file
copied out of the tree still says it.  The files are what git tracks:
C, headers, Python, shell, JavaScript, CMake and make files.

usage: check_license.py SOURCE_DIR
"""
import os
import subprocess
import sys

TAG = "SPDX-License-Identifier: MIT"
SOURCES = (".c", ".h", ".py", ".sh", ".js")
NAMED = ("CMakeLists.txt", "Makefile", "run")
SKIP = 77  # ctest's SKIP_RETURN_CODE for this test


def main():
    root = sys.argv[1]
    listed = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True, text=True)
    if listed.returncode != 0:  # a release tarball, say: nothing says which files are ours
        print("skipped: %s is not a git checkout" % root)
        sys.exit(SKIP)
    files = [f for f in listed.stdout.split("\n")
             if f.endswith(SOURCES) or os.path.basename(f) in NAMED]
    missing = []
    for f in files:
        with open(os.path.join(root, f), errors="replace") as fh:
            head = [fh.readline() for _ in range(2)]
        if not any(TAG in line for line in head):
            missing.append(f)
    if missing:
        print("no '%s' line among the first two of:" % TAG)
        for f in missing:
            print("  " + f)
        sys.exit(1)
    print("%d source files carry the SPDX line" % len(files))


if __name__ == "__main__":
    main()
