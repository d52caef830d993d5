/* SPDX-License-Identifier: MIT */
/*
 * bench_mutex.c - benchmark: the cost of one uncontended
 * pthread_mutex_lock() + pthread_mutex_unlock() pair in a single thread.
 * Usage: bench_mutex [N]  (default 20000000).  Prints "ns_per_op=X", the
 * best of SLICES timings of N/SLICES pairs each (the least disturbed by the
 * noise of a shared machine).
 * The mutex is a global and the calls go through the PLT into libc, as in
 * real programs, so the preloaded recorder's wrappers are what gets timed
 * when tests/bench/run.sh runs it traced.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLICES 5

pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;
long bench_counter;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_mutex [N]\n");
        return 2;
    }

    for (int i = 0; i < 100000; i++) { /* warm up */
        pthread_mutex_lock(&bench_lock);
        bench_counter++;
        pthread_mutex_unlock(&bench_lock);
    }

    long per_slice = n / SLICES > 0 ? n / SLICES : 1;
    double best = 0;
    for (int s = 0; s < SLICES; s++) {
        double t0 = now_ns();
        for (long i = 0; i < per_slice; i++) {
            pthread_mutex_lock(&bench_lock);
            bench_counter++;
            pthread_mutex_unlock(&bench_lock);
        }
        double ns = (now_ns() - t0) / per_slice;
        if (s == 0 || ns < best) best = ns;
    }

    printf("ns_per_op=%.3f\n", best);
    return bench_counter == 100000 + SLICES * per_slice ? 0 : 1;
}
