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
 *
 * bench_mutex --side-by-side [BLOCKS [PER]]  (default 300 blocks of 20000
 * pairs), preloaded with libwhyslow.so: libc's own lock and unlock (found
 * in libc by dlsym) and the program's (whyslow's wrappers) in turn, a
 * block of PER pairs each, the order alternating, in one process.  Prints
 * "untraced_ns=U whyslow_ns=W added=A": the medians of the blocks' times
 * per pair and of the differences between the two blocks of one turn.
 * Two processes, one traced and one not, differ by more than the 2 ns
 * measured here on a shared host (their rounds spread over 4 ns); side by
 * side, the host's drift cancels out.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "median.h"

#define SLICES 5

pthread_mutex_t bench_lock = PTHREAD_MUTEX_INITIALIZER;
long bench_counter;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef int (*lock_fn)(pthread_mutex_t *);

/* PER pairs of lock and unlock through lock and unlock: ns per pair. */
static double block(lock_fn lock, lock_fn unlock, long per)
{
    double t0 = now_ns();
    for (long i = 0; i < per; i++) {
        lock(&bench_lock);
        bench_counter++;
        unlock(&bench_lock);
    }
    return (now_ns() - t0) / per;
}

static int side_by_side(int blocks, long per)
{
    enum { UNTRACED, WHYSLOW, MODES };
    void *libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_NOW);
    lock_fn lock[MODES] = {libc ? (lock_fn)dlsym(libc, "pthread_mutex_lock") : NULL,
                           pthread_mutex_lock};
    lock_fn unlock[MODES] = {libc ? (lock_fn)dlsym(libc, "pthread_mutex_unlock") : NULL,
                             pthread_mutex_unlock};
    if (!lock[UNTRACED] || !unlock[UNTRACED] || lock[WHYSLOW] == lock[UNTRACED]) {
        fprintf(stderr, "bench_mutex: --side-by-side wants libwhyslow.so preloaded\n");
        return 2;
    }
    double *ns = malloc(sizeof *ns * (size_t)blocks * (MODES + 1));
    if (!ns) return 1;
    double *diff = ns + (size_t)blocks * MODES;
    for (int m = 0; m < MODES; m++) /* warm up */
        block(lock[m], unlock[m], 100000);
    for (int b = 0; b < blocks; b++)
        for (int k = 0; k < MODES; k++) {
            int m = (b + k) % MODES;
            ns[m * blocks + b] = block(lock[m], unlock[m], per);
        }
    for (int b = 0; b < blocks; b++)
        diff[b] = ns[WHYSLOW * blocks + b] - ns[UNTRACED * blocks + b];
    double added = bench_median(diff, blocks);
    double u = bench_median(ns + UNTRACED * blocks, blocks),
           w = bench_median(ns + WHYSLOW * blocks, blocks);
    printf("untraced_ns=%.3f whyslow_ns=%.3f added=%.3f\n", u, w, added);
    free(ns);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--side-by-side") == 0) {
        int blocks = argc > 2 ? atoi(argv[2]) : 300;
        long per = argc > 3 ? atol(argv[3]) : 20000;
        if (blocks <= 0 || per <= 0) {
            fprintf(stderr, "usage: bench_mutex --side-by-side [BLOCKS [PER]]\n");
            return 2;
        }
        return side_by_side(blocks, per);
    }
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_mutex [N] | --side-by-side [BLOCKS [PER]]\n");
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
