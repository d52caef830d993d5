/* SPDX-License-Identifier: MIT */
/*
 * histogram.h - the durations of one kind of call: their count, smallest
 * and largest, log2 buckets for display (bucket i holds [2^i, 2^(i+1))
 * ns; bucket 0 also holds 0 ns), and nearest-rank percentiles.
 *
 * Percentiles are exact up to HIST_EXACT durations, which are all kept.
 * Past that, the durations are only counted, in log-linear steps (256 per
 * power of two, 1 ns wide below 256 ns), and a percentile is the top of
 * its step, never above the largest duration: at most 1/256 (0.4 %) above
 * the exact value.  So a histogram holds at most 8 MiB (HIST_EXACT
 * durations) or 114 KiB (the steps), however many calls there were.
 */
#ifndef WHYSLOW_HISTOGRAM_H
#define WHYSLOW_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_BUCKETS  64
#define HIST_EXACT    (1u << 20)
#define HIST_SUB_BITS 8 /* 2^8 steps per power of two */
#define HIST_STEPS    ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct histogram {
    uint64_t n; /* durations added */
    uint64_t min, max;
    uint64_t buckets[HIST_BUCKETS];
    uint64_t *durs; /* every duration while n <= HIST_EXACT, sorted on demand */
    size_t cap;
    int sorted;
    uint64_t *steps; /* past HIST_EXACT: the count in each log-linear step */
};

/* The bucket of a duration: floor(log2(ns)), 0 for 0 and 1. */
int hist_bucket(uint64_t ns);

void hist_add(struct histogram *h, uint64_t ns);

/* The nearest-rank percentile pct (1..100) of the durations: the smallest
 * duration d such that at least pct % of them are <= d (see above past
 * HIST_EXACT durations).  0 when empty. */
uint64_t hist_percentile(struct histogram *h, unsigned pct);

/* The smallest and the largest duration (0 when empty). */
uint64_t hist_min(const struct histogram *h);
uint64_t hist_max(const struct histogram *h);

/* The lowest and highest non-empty bucket; returns 0 when empty. */
int hist_range(const struct histogram *h, int *lo, int *hi);

void hist_free(struct histogram *h);

#endif
