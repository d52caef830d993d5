/* SPDX-License-Identifier: MIT */
/*
 * units.h - numbers for people: durations ("850 ns", "450 us", "12.3 ms",
 * "2.1 s") and byte counts ("512 B", "4 KiB", "12.3 MiB"), three
 * significant digits, trailing zeros dropped.
 */
#ifndef WHYSLOW_UNITS_H
#define WHYSLOW_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_BUF 32

/* Each writes into buf (UNITS_BUF bytes) and returns it. */
char *fmt_dur(uint64_t ns, char *buf);
char *fmt_bytes(uint64_t bytes, char *buf);

#endif
