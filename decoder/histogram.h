/*
 * histogram.h - the durations of one kind of call: every duration is kept
 * (so percentiles are exact, nearest-rank) and counted in log2 buckets for
 * display.  Bucket i holds [2^i, 2^(i+1)) ns; bucket 0 also holds 0 ns.
 */
#ifndef WHYSLOW_HISTOGRAM_H
#define WHYSLOW_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_BUCKETS 64

struct histogram {
    uint64_t *durs; /* every duration added, sorted on demand */
    size_t n, cap;
    int sorted;
    uint64_t buckets[HIST_BUCKETS];
};

/* The bucket of a duration: floor(log2(ns)), 0 for 0 and 1. */
int hist_bucket(uint64_t ns);

void hist_add(struct histogram *h, uint64_t ns);

/* The nearest-rank percentile pct (1..100) of the durations: the smallest
 * duration d such that at least pct % of them are <= d.  0 when empty. */
uint64_t hist_percentile(struct histogram *h, unsigned pct);

/* The smallest duration (0 when empty). */
uint64_t hist_min(struct histogram *h);

/* The lowest and highest non-empty bucket; returns 0 when empty. */
int hist_range(const struct histogram *h, int *lo, int *hi);

void hist_free(struct histogram *h);

#endif
