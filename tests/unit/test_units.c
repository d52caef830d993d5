/* SPDX-License-Identifier: MIT */
/*
 * test_units.c - durations and sizes as the text report shows them.
 */
#include "base/units.h"
#include "check.h"

int main(void)
{
    char b[UNITS_BUF];
    CHECK_STR(fmt_dur(0, b), "0 ns");
    CHECK_STR(fmt_dur(850, b), "850 ns");
    CHECK_STR(fmt_dur(1000, b), "1 us");
    CHECK_STR(fmt_dur(450000, b), "450 us");
    CHECK_STR(fmt_dur(12345678, b), "12.3 ms");
    CHECK_STR(fmt_dur(10000000, b), "10 ms");
    CHECK_STR(fmt_dur(48200000, b), "48.2 ms");
    CHECK_STR(fmt_dur(999999, b), "1 ms"); /* rounds up into the next unit */
    CHECK_STR(fmt_dur(1230000000, b), "1.23 s");
    CHECK_STR(fmt_dur(2100000000, b), "2.1 s");
    CHECK_STR(fmt_dur(5000000000000ull, b), "5000 s");
    CHECK_STR(fmt_bytes(0, b), "0 B");
    CHECK_STR(fmt_bytes(1023, b), "1023 B");
    CHECK_STR(fmt_bytes(1024, b), "1 KiB");
    CHECK_STR(fmt_bytes(1536, b), "1.5 KiB");
    CHECK_STR(fmt_bytes(12900000, b), "12.3 MiB");
    CHECK_STR(fmt_bytes(UINT64_MAX, b), "16 EiB");
    CHECK_DONE();
}
