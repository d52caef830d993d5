/* SPDX-License-Identifier: MIT */
/*
 * bench_write.c - benchmark: the cost of one write() of 1 byte to /dev/null.
 * Usage: bench_write [N]  (default 200000).  Prints "ns_per_op=X", the
 * best of SLICES timings of N calls each (the least disturbed by the noise
 * of a shared machine).
 * tests/bench/run.sh runs it untraced and under libwhyslow.so, interleaved,
 * and prints the difference: what the recorder adds to each call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SLICES 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_write [N]\n");
        return 2;
    }
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("bench_write: /dev/null");
        return 1;
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
