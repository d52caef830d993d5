#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_layers.py - the decoder's folders are the stages of its pipeline
(decoder/README.md), and no stage may use one that comes after it: a file
includes headers of its own folder or of folders listed before it.  The
order is the one decoder/CMakeLists.txt lists its sources in, so it is
written in one place.

usage: check_layers.py DECODER_DIR
"""
import os
import re
import sys


def stage_order(decoder):
    """The folders, in the order CMakeLists.txt first names them."""
    order = []
    with open(os.path.join(decoder, "CMakeLists.txt")) as f:
        for m in re.finditer(r"^\s+([a-z_]+)/[a-z_]+\.c\s*$", f.read(), re.M):
            if m.group(1) not in order:
                order.append(m.group(1))
    return order


def main():
    decoder = sys.argv[1]
    order = stage_order(decoder)
    rank = {stage: i for i, stage in enumerate(order)}
    errors = []
    for stage in sorted(os.listdir(decoder)):
        folder = os.path.join(decoder, stage)
        if not os.path.isdir(folder):
            continue
        if stage not in rank:
            errors.append("%s/: a folder CMakeLists.txt does not list" % stage)
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(folder, name)) as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'#include "([a-z_]+)/[a-z_]+\.h"', line)
                    if not m:
                        continue
                    used = m.group(1)
                    if used not in rank:
                        errors.append("%s/%s:%d: includes from unknown folder %s/"
                                      % (stage, name, n, used))
                    elif rank[used] > rank[stage]:
                        errors.append("%s/%s:%d: %s/ comes after %s/ in the pipeline"
                                      % (stage, name, n, used, stage))
    for e in errors:
        print("FAIL: " + e)
    if errors:
        sys.exit(1)
    print("ok: %s" % " -> ".join(order))


if __name__ == "__main__":
    main()
