/* SPDX-License-Identifier: MIT */
/*
 * histogram.c - durations per call: exact nearest-rank percentiles from
 * the sorted durations (log-linear steps past HIST_EXACT of them), and
 * log2 buckets for the report's sparkline and the JSON "histogram" arrays.
 */
#include "base/histogram.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define SUB ((uint64_t)1 << HIST_SUB_BITS)

int hist_bucket(uint64_t ns)
{
    return ns ? 63 - __builtin_clzll(ns) : 0;
}

/* The log-linear step of a duration: ns itself below SUB, else SUB steps
 * per power of two. */
static size_t step_of(uint64_t ns)
{
    if (ns < SUB) return (size_t)ns;
    int e = hist_bucket(ns); /* >= HIST_SUB_BITS */
    int shift = e - HIST_SUB_BITS;
    return ((size_t)(shift + 1) << HIST_SUB_BITS) + (size_t)((ns >> shift) - SUB);
}

/* The largest duration in a step. */
static uint64_t step_top(size_t step)
{
    if (step < SUB) return step;
    int shift = (int)(step >> HIST_SUB_BITS) - 1;
    uint64_t low = (SUB + (step & (SUB - 1))) << shift;
    return low + (((uint64_t)1 << shift) - 1);
}

void hist_add(struct histogram *h, uint64_t ns)
{
    if (h->n == 0 || ns < h->min) h->min = ns;
    if (ns > h->max) h->max = ns;
    h->buckets[hist_bucket(ns)]++;
    h->n++;
    if (!h->steps && h->n > HIST_EXACT) {
        /* Too many to keep: count them in steps from now on. */
        h->steps = xcalloc(HIST_STEPS, sizeof(*h->steps));
        for (size_t i = 0; i < h->n - 1; i++)
            h->steps[step_of(h->durs[i])]++;
        xfree(h->durs);
        h->durs = NULL;
        h->cap = 0;
    }
    if (h->steps) {
        h->steps[step_of(ns)]++;
        return;
    }
    xgrow(&h->durs, &h->cap, (size_t)h->n, sizeof(*h->durs));
    h->durs[h->n - 1] = ns;
    h->sorted = 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t hist_min(const struct histogram *h)
{
    return h->min;
}

uint64_t hist_max(const struct histogram *h)
{
    return h->max;
}

uint64_t hist_percentile(struct histogram *h, unsigned pct)
{
    if (h->n == 0) return 0;
    if (pct > 100) pct = 100;
    /* rank = ceil(pct/100 * n), at least 1 */
    uint64_t rank = (uint64_t)(((unsigned __int128)pct * h->n + 99) / 100);
    if (rank < 1) rank = 1;
    if (h->steps) {
        uint64_t seen = 0;
        for (size_t s = 0; s < HIST_STEPS; s++) {
            seen += h->steps[s];
            if (seen >= rank) return step_top(s) < h->max ? step_top(s) : h->max;
        }
        return h->max;
    }
    if (!h->sorted) xsort(h->durs, (size_t)h->n, sizeof(*h->durs), cmp_u64);
    h->sorted = 1;
    return h->durs[rank - 1];
}

int hist_range(const struct histogram *h, int *lo, int *hi)
{
    *lo = -1;
    *hi = -1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        if (!h->buckets[i]) continue;
        if (*lo < 0) *lo = i;
        *hi = i;
    }
    return *lo >= 0;
}

void hist_free(struct histogram *h)
{
    xfree(h->durs);
    xfree(h->steps);
    memset(h, 0, sizeof(*h));
}
