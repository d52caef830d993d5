/* SPDX-License-Identifier: MIT */
/*
 * bench_write.c - benchmark: the cost of one write() of 1 byte to /dev/null.
 *
 * Usage: bench_write [N]  (default 200000).  Prints "ns_per_op=X", the
 * best of SLICES timings of N calls each (the least disturbed by the noise
 * of a shared machine).  tests/bench/run.sh runs it untraced and under
 * libwhyslow.so, interleaved, and prints the difference.
 *
 * bench_write --side-by-side [BLOCKS [PER]]  (default 300 blocks of 2000
 * calls), preloaded with libwhyslow.so and libwsref.so (ref_write.c):
 * calls libc's own write(), the reference wrapper's ws_ref_write() and
 * write() (whyslow's) in turn, a block of PER calls each, the order
 * rotating, in one process.  Prints "untraced_ns=U reference_ns=R
 * whyslow_ns=W added_reference=AR added_whyslow=AW over_reference=O": the
 * medians of the blocks' times per call and of the differences between
 * the blocks of one turn.  Separate processes differ by more than what is
 * measured here (where their pages land changes the cost of a page walk
 * after each syscall), so run.sh takes the median over several.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "median.h"

#define SLICES 5

typedef ssize_t (*write_fn)(int, const void *, size_t);

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int side_by_side(int fd, int blocks, int per)
{
    enum { UNTRACED, REFERENCE, WHYSLOW, MODES };
    void *libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_NOW);
    write_fn fn[MODES] = {
        libc ? (write_fn)dlsym(libc, "write") : NULL,
        (write_fn)dlsym(RTLD_DEFAULT, "ws_ref_write"),
        write,
    };
    if (!fn[UNTRACED] || !fn[REFERENCE] || fn[WHYSLOW] == fn[UNTRACED]) {
        fprintf(stderr, "bench_write: --side-by-side wants libwhyslow.so and libwsref.so "
                        "preloaded\n");
        return 2;
    }
    double *ns = malloc(sizeof *ns * (size_t)blocks * MODES * 2);
    if (!ns) return 1;
    double *diff = ns + (size_t)blocks * MODES;
    char c = 'x';
    for (int m = 0; m < MODES; m++) /* warm up: the recorder takes a buffer */
        for (int i = 0; i < 1000; i++)
            if (fn[m](fd, &c, 1) != 1) return 1;
    for (int b = 0; b < blocks; b++)
        for (int k = 0; k < MODES; k++) {
            int m = (b + k) % MODES;
            double t0 = now_ns();
            for (int i = 0; i < per; i++)
                if (fn[m](fd, &c, 1) != 1) {
                    perror("bench_write: write");
                    return 1;
                }
            ns[m * blocks + b] = (now_ns() - t0) / per;
        }
    double d[3];
    const int pairs[3][2] = {{REFERENCE, UNTRACED}, {WHYSLOW, UNTRACED}, {WHYSLOW, REFERENCE}};
    for (int p = 0; p < 3; p++) {
        for (int b = 0; b < blocks; b++)
            diff[b] = ns[pairs[p][0] * blocks + b] - ns[pairs[p][1] * blocks + b];
        d[p] = bench_median(diff, blocks);
    }
    double mid[MODES];
    for (int m = 0; m < MODES; m++)
        mid[m] = bench_median(ns + m * blocks, blocks);
    /* Where whyslow's write() lies in its page: its figure moved by some
     * 5 ns with that alone (docs/benchmarks.md). */
    printf("untraced_ns=%.2f reference_ns=%.2f whyslow_ns=%.2f added_reference=%.2f "
           "added_whyslow=%.2f over_reference=%.2f page_offset=%#lx\n",
           mid[UNTRACED], mid[REFERENCE], mid[WHYSLOW], d[0], d[1], d[2],
           (unsigned long)((uintptr_t)fn[WHYSLOW] & 4095));
    free(ns);
    return 0;
}

int main(int argc, char **argv)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("bench_write: /dev/null");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--side-by-side") == 0) {
        int blocks = argc > 2 ? atoi(argv[2]) : 300, per = argc > 3 ? atoi(argv[3]) : 2000;
        if (blocks <= 0 || per <= 0) {
            fprintf(stderr, "usage: bench_write --side-by-side [BLOCKS [PER]]\n");
            return 2;
        }
        return side_by_side(fd, blocks, per);
    }
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_write [N] | --side-by-side [BLOCKS [PER]]\n");
        return 2;
    }
    char c = 'x';

    /* Warm up: the recorder sets up a thread's buffer on its first event. */
    for (int i = 0; i < 1000; i++) {
        if (write(fd, &c, 1) != 1) return 1;
    }

    double best = 0;
    for (int s = 0; s < SLICES; s++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            if (write(fd, &c, 1) != 1) {
                perror("bench_write: write");
                return 1;
            }
        }
        double ns = (now_ns() - t0) / n;
        if (s == 0 || ns < best) best = ns;
    }

    close(fd);
    printf("ns_per_op=%.2f\n", best);
    return 0;
}
