#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_span.py - libwhyslow.so spans less than 2 MiB of address space.

The loader maps a library's segments in one reservation of its whole
span, and the kernel places a mapping of 2 MiB or more at a 2 MiB
boundary: the libraries loaded after ours then land lower, each at a
place of its own, and a program of many libraries (cmake: some 30) took
more page tables to map them, some 70 to 130 us more at each start,
traced or disabled (paired spawns of `cmake -E true`).  Large tables go in
memory mapped when first used (preload/http.c's connections), not in the
library's .bss.

usage: check_span.py LIBWHYSLOW_SO
"""
import struct
import sys

LIMIT = 2 << 20
PT_LOAD = 1


def span(path):
    """The bytes from the lowest PT_LOAD's address to the highest one's end."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit("check_span: %s is not a 64-bit ELF file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    lo, hi = None, 0
    for i in range(phnum):
        p_type, _, _, vaddr, _, _, memsz, _ = struct.unpack_from("<IIQQQQQQ", data,
                                                                 phoff + i * phentsize)
        if p_type == PT_LOAD:
            lo = vaddr if lo is None else min(lo, vaddr)
            hi = max(hi, vaddr + memsz)
    return hi - (lo or 0)


def main():
    n = span(sys.argv[1])
    if n >= LIMIT:
        print("FAIL: %s spans %d bytes, 2 MiB or more: the kernel would place it at a 2 MiB "
              "boundary (see this file's docstring); map large tables when first used"
              % (sys.argv[1], n))
        return 1
    print("ok: %s spans %d bytes (under %d)" % (sys.argv[1], n, LIMIT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
