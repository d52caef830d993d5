/*
 * histogram.c - durations per call: exact nearest-rank percentiles from
 * the sorted durations, and log2 buckets for the report's sparkline and
 * the JSON "histogram" arrays.
 */
#include "histogram.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

int hist_bucket(uint64_t ns)
{
    return ns ? 63 - __builtin_clzll(ns) : 0;
}

void hist_add(struct histogram *h, uint64_t ns)
{
    xgrow(&h->durs, &h->cap, h->n + 1, sizeof(*h->durs));
    h->durs[h->n++] = ns;
    h->sorted = 0;
    h->buckets[hist_bucket(ns)]++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort(struct histogram *h)
{
    if (!h->sorted) xsort(h->durs, h->n, sizeof(*h->durs), cmp_u64);
    h->sorted = 1;
}

uint64_t hist_min(struct histogram *h)
{
    if (h->n == 0) return 0;
    sort(h);
    return h->durs[0];
}

uint64_t hist_percentile(struct histogram *h, unsigned pct)
{
    if (h->n == 0) return 0;
    sort(h);
    if (pct > 100) pct = 100;
    /* rank = ceil(pct/100 * n), at least 1 */
    size_t rank = (size_t)(((unsigned __int128)pct * h->n + 99) / 100);
    if (rank < 1) rank = 1;
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
    free(h->durs);
    memset(h, 0, sizeof(*h));
}
