#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_pack.py - writes a pack (include/whyslow/format.h) of the logs
named, as `whyslow record` packs the logs of short processes: a fuzz seed
(test_fuzz.c damages the pack and each of its members).

Usage: make_pack.py OUT LOG...
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from whyslow_test import pack_of  # noqa: E402

logs = []
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        logs.append(f.read())
with open(sys.argv[1], "wb") as out:
    out.write(pack_of(logs))
