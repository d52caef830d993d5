#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make_pack.py - writes a pack (include/whyslow/format.h) of the logs
named, as `whyslow record` packs the logs of short processes: a fuzz seed
(test_fuzz.c damages the pack and each of its members).

Usage: make_pack.py OUT LOG...
"""
import struct
import sys

with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<II8sII", 0x184D2A5D, 16, b"WSPACK\0\0", 1, 0))
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            log = f.read()
        out.write(struct.pack("<IIQ", 0x184D2A5C, 8, len(log)) + log)
