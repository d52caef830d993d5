/* SPDX-License-Identifier: MIT */
/*
 * units.c - human-readable durations and sizes.
 */
#include "base/units.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Writes v (>= 1) with three significant digits, trailing zeros dropped;
 * returns 0 instead if it would round to 1000 or more and a larger unit
 * exists (not `last`). */
static int sig3(double v, const char *unit, int last, char *buf)
{
    int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
    if (!last && v >= 999.5) return 0;
    snprintf(buf, UNITS_BUF, "%.*f", decimals, v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.') *e = '\0';
    }
    strcat(buf, " ");
    strcat(buf, unit);
    return 1;
}

char *fmt_dur(uint64_t ns, char *buf)
{
    static const char *units[] = {"us", "ms", "s"};
    if (ns < 1000) {
        snprintf(buf, UNITS_BUF, "%" PRIu64 " ns", ns);
        return buf;
    }
    double v = (double)ns;
    for (int i = 0; i < 3; i++) {
        v /= 1000;
        if (sig3(v, units[i], i == 2, buf)) return buf;
    }
    return buf;
}

char *fmt_bytes(uint64_t bytes, char *buf)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, UNITS_BUF, "%" PRIu64 " B", bytes);
        return buf;
    }
    double v = (double)bytes;
    for (int i = 0; i < 6; i++) {
        v /= 1024;
        if (sig3(v, units[i], i == 5, buf)) return buf;
    }
    return buf;
}
