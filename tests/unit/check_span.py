#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check_span.py - libwhyslow.so spans less than 1 MiB of address space.

The loader maps a library's segments in one reservation of its whole
span, in every process it is preloaded in, traced or disabled.  The
kernel places a mapping of 2 MiB or more at a 2 MiB boundary: the
libraries loaded after ours then land lower, each at a place of its own,
and a program of many libraries (cmake: some 30) took more page tables
to map them, some 70 to 130 us more at each start (paired spawns of
`cmake -E true`).  Under that, the wider the library, the more often it
straddles a 2 MiB boundary and takes a page table of its own: 1.4 MiB
cost a disabled /bin/true some 18 us more than 0.55 MiB where the
hypervisor shadows page tables.  Tables only some programs need are
mapped when first used (preload/table.c), not in the library's .bss.

usage: check_span.py LIBWHYSLOW_SO
"""
import struct
import sys

LIMIT = 1 << 20
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
        print("FAIL: %s spans %d bytes, 1 MiB or more: every process it is preloaded in pays "
              "for its span (see this file's docstring); map large tables when first used"
              % (sys.argv[1], n))
        return 1
    print("ok: %s spans %d bytes (under %d)" % (sys.argv[1], n, LIMIT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
