/* SPDX-License-Identifier: MIT */
/*
 * bench_mark.c - benchmark: the cost of one whyslow_begin() +
 * whyslow_end() pair (include/whyslow/mark.h) in a single thread.
 * Usage: bench_mark [N]  (default 2000000).  Prints "ns_per_op=X", the best
 * of SLICES timings of N/SLICES pairs each.  Untraced, the header's calls
 * find no library and return at once; traced, each pair writes two
 * records: tests/bench/run.sh prints the difference.
 */
#include <whyslow/mark.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICES 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_mark [N]\n");
        return 2;
    }
    long per_slice = n / SLICES > 0 ? n / SLICES : 1, failed = 0;
    double best = 0;
    for (int s = 0; s < SLICES; s++) {
        double t0 = now_ns();
        for (long i = 0; i < per_slice; i++) {
            failed += whyslow_begin("iteration", "bench_mark") != 0;
            whyslow_end();
        }
        double ns = (now_ns() - t0) / per_slice;
        if (s == 0 || ns < best) best = ns;
    }
    printf("ns_per_op=%.3f\nrecorded=%ld\n", best, SLICES * per_slice - failed);
    return 0;
}
