/*
 * test_histogram.c - log2 buckets and nearest-rank percentiles.
 */
#include "check.h"

#include "histogram.h"

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
    hist_free(&h);
    CHECK_DONE();
}
