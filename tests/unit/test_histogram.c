/* SPDX-License-Identifier: MIT */
/*
 * test_histogram.c - log2 buckets, the smallest and largest duration, and
 * nearest-rank percentiles: exact up to HIST_EXACT durations, within
 * 1/256 above the exact value past that.
 */
#include "base/histogram.h"
#include "check.h"

#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of v[0..n), sorted. */
static uint64_t exact(const uint64_t *v, size_t n, unsigned pct)
{
    size_t rank = (size_t)(((unsigned __int128)pct * n + 99) / 100);
    return v[rank ? rank - 1 : 0];
}

/* n pseudo-random durations from 0 to about 2^40 ns, spread over the
 * powers of two; checks every percentile against the exact one: equal
 * when exact_wanted, else at most 1/256 above. */
static void check_many(size_t n, int exact_wanted)
{
    struct histogram h = {0};
    uint64_t *v = malloc(n * sizeof(*v)), x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (x >> 24) >> (x % 41);
        hist_add(&h, v[i]);
    }
    CHECK_U64(h.n, n);
    CHECK(exact_wanted ? h.steps == NULL : h.steps != NULL);
    qsort(v, n, sizeof(*v), cmp_u64);
    for (unsigned pct = 1; pct <= 100; pct++) {
        uint64_t want = exact(v, n, pct), got = hist_percentile(&h, pct);
        if (exact_wanted) {
            CHECK_U64(got, want);
        } else {
            CHECK(got >= want);
            CHECK(got - want <= want / 256);
        }
    }
    CHECK_U64(hist_min(&h), v[0]);
    CHECK_U64(hist_max(&h), v[n - 1]);
    CHECK_U64(hist_percentile(&h, 100), v[n - 1]);
    hist_free(&h);
    free(v);
}

int main(void)
{
    CHECK_U64(hist_bucket(0), 0);
    CHECK_U64(hist_bucket(1), 0);
    CHECK_U64(hist_bucket(2), 1);
    CHECK_U64(hist_bucket(3), 1);
    CHECK_U64(hist_bucket(4), 2);
    CHECK_U64(hist_bucket(1023), 9);
    CHECK_U64(hist_bucket(1024), 10);
    CHECK_U64(hist_bucket(1000000), 19);
    CHECK_U64(hist_bucket(UINT64_MAX), 63);

    struct histogram h = {0};
    int lo, hi;
    CHECK(!hist_range(&h, &lo, &hi));
    CHECK_U64(hist_percentile(&h, 50), 0);

    /* 1..100 added in reverse: p50 = 50, p99 = 99, p100 = 100, p1 = 1. */
    for (uint64_t v = 100; v >= 1; v--)
        hist_add(&h, v);
    CHECK_U64(h.n, 100);
    CHECK_U64(hist_percentile(&h, 50), 50);
    CHECK_U64(hist_percentile(&h, 99), 99);
    CHECK_U64(hist_percentile(&h, 100), 100);
    CHECK_U64(hist_percentile(&h, 1), 1);
    CHECK(hist_range(&h, &lo, &hi));
    CHECK_U64(lo, 0);
    CHECK_U64(hi, 6);
    CHECK_U64(h.buckets[0], 1);  /* 1 */
    CHECK_U64(h.buckets[1], 2);  /* 2, 3 */
    CHECK_U64(h.buckets[6], 37); /* 64..100 */
    hist_free(&h);

    /* Nearest rank on a few values: 3 values, p50 is the 2nd, p99 the 3rd. */
    hist_add(&h, 30);
    hist_add(&h, 10);
    hist_add(&h, 20);
    CHECK_U64(hist_percentile(&h, 50), 20);
    CHECK_U64(hist_percentile(&h, 99), 30);
    CHECK_U64(hist_percentile(&h, 33), 10);
    CHECK_U64(hist_percentile(&h, 34), 20);
    hist_add(&h, 5); /* added after sorting: sorted again */
    CHECK_U64(hist_percentile(&h, 25), 5);
    CHECK_U64(hist_percentile(&h, 50), 10);
    hist_free(&h);

    /* One value: every percentile is it. */
    hist_add(&h, 7);
    CHECK_U64(hist_percentile(&h, 1), 7);
    CHECK_U64(hist_percentile(&h, 99), 7);
    CHECK_U64(hist_min(&h), 7);
    CHECK_U64(hist_max(&h), 7);
    hist_free(&h);

    /* The smallest and the largest, whatever the order. */
    CHECK_U64(hist_min(&h), 0);
    CHECK_U64(hist_max(&h), 0);
    hist_add(&h, 30200000);
    hist_add(&h, 30400000);
    hist_add(&h, 30100000);
    CHECK_U64(hist_min(&h), 30100000);
    CHECK_U64(hist_max(&h), 30400000);
    hist_free(&h);

    /* Exact with 100,000 durations, and with HIST_EXACT; within 1/256
     * with more (then only counted, in steps). */
    check_many(100000, 1);
    check_many(HIST_EXACT, 1);
    check_many(HIST_EXACT + 1, 0);
    check_many(3 * HIST_EXACT, 0);

    /* Past HIST_EXACT, durations below 256 ns are still exact, and a
     * percentile in the top step is the largest duration itself. */
    for (uint64_t i = 0; i < 2 * HIST_EXACT; i++)
        hist_add(&h, i % 200 == 0 ? 1000003 : i % 3 + 100);
    CHECK(h.steps != NULL);
    CHECK_U64(hist_percentile(&h, 50), 101);
    CHECK_U64(hist_percentile(&h, 99), 102);
    CHECK_U64(hist_percentile(&h, 100), 1000003);
    CHECK_U64(hist_min(&h), 100);
    hist_free(&h);
    CHECK_DONE();
}
