/* SPDX-License-Identifier: MIT */
/*
 * median.h - the median of a benchmark's timings (sorted in place), for
 * the benchmarks that compare blocks side by side in one process
 * (bench_write --side-by-side, bench_mutex --side-by-side).
 */
#ifndef WHYSLOW_BENCH_MEDIAN_H
#define WHYSLOW_BENCH_MEDIAN_H

#include <stdlib.h>

static inline int bench_by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n > 0; v is left sorted. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
