/* SPDX-License-Identifier: MIT */
/*
 * bench_wake.c - benchmark: what contended waits and slow events cost.
 *
 *   bench_wake pingpong [N]  two threads hand a turn back and forth N times
 *                            through a mutex and a condition variable: each
 *                            hand-over is a cond wait that blocks and a
 *                            signal that wakes it (both recorded when
 *                            traced).  Prints "ns_per_op=X" per hand-over.
 *   bench_wake slow [N]      N reads of 1 MiB from /dev/zero (a syscall of
 *                            a steady ~20-60 us), each called 12 frames deep.
 *                            Run traced with WHYSLOW_STACK_MS=0.001 every
 *                            read keeps its stack; with a high threshold none
 *                            does: the difference is the price of a stack.
 *                            Prints "ns_per_op=X" per read.
 * Each prints the best of SLICES timed slices (the least disturbed by the
 * noise of a shared machine).  The process keeps to one CPU: a hand-over
 * is then a switch between two threads there, far steadier than a wake-up
 * across CPUs, whose latency varies by microseconds.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLICES 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long turn, rounds; /* turn: whose hand-over is next (0 main, 1 the other) */

/* Waits for `me`'s turn, then passes it on. */
static void hand_over(long me)
{
    pthread_mutex_lock(&lock);
    while (turn % 2 != me)
        pthread_cond_wait(&cond, &lock);
    turn++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void *other(void *arg)
{
    (void)arg;
    for (long i = 0; i < rounds; i++)
        hand_over(1);
    return NULL;
}

static double pingpong(long n)
{
    long per_slice = n / SLICES > 0 ? n / SLICES : 1;
    double best = 0;
    for (int s = 0; s < SLICES; s++) {
        pthread_t t;
        turn = 0;
        rounds = per_slice;
        double t0 = now_ns();
        if (pthread_create(&t, NULL, other, NULL) != 0) exit(1);
        for (long i = 0; i < per_slice; i++)
            hand_over(0);
        pthread_join(t, NULL);
        double ns = (now_ns() - t0) / (2.0 * per_slice);
        if (s == 0 || ns < best) best = ns;
    }
    return best;
}

static char buf[1 << 20];

/* depth frames, then the read: a stack of a realistic depth. */
__attribute__((noinline)) static long deep_read(int fd, int depth)
{
    if (depth > 0) {
        long r = deep_read(fd, depth - 1);
        __asm__ __volatile__("" ::: "memory"); /* no tail call */
        return r;
    }
    return read(fd, buf, sizeof buf);
}

static double slow(long n)
{
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0) exit(1);
    long per_slice = n / SLICES > 0 ? n / SLICES : 1;
    double best = 0;
    for (int s = 0; s < SLICES; s++) {
        double t0 = now_ns();
        for (long i = 0; i < per_slice; i++)
            if (deep_read(fd, 12) != (long)sizeof buf) exit(1);
        double ns = (now_ns() - t0) / per_slice;
        if (s == 0 || ns < best) best = ns;
    }
    close(fd);
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "pingpong") != 0 && strcmp(argv[1], "slow") != 0)) {
        fprintf(stderr, "usage: bench_wake pingpong|slow [N]\n");
        return 2;
    }
    int ping = strcmp(argv[1], "pingpong") == 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &one);
    sched_setaffinity(0, sizeof one, &one); /* threads created later inherit it */
    long n = argc > 2 ? atol(argv[2]) : ping ? 200000 : 5000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_wake pingpong|slow [N]\n");
        return 2;
    }
    printf("ns_per_op=%.1f\n", ping ? pingpong(n) : slow(n));
    return 0;
}
