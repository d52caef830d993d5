/* SPDX-License-Identifier: MIT */
/*
 * bench_flusher.c - benchmark: how many events per second the recorder's
 * flusher keeps up with.  Two threads each write() 1 byte to /dev/null in a
 * busy loop for SECONDS (default 5).
 * Usage: bench_flusher [SECONDS] [MODE] [RATE]
 * MODE "mutex" makes each thread lock and unlock its own mutex instead:
 * run with WHYSLOW_LOCKS=all, each call is an event and far cheaper than a
 * syscall, so it loads the flusher harder than any syscall loop can.
 * RATE (millions of calls per second, both threads together) paces the
 * mutex loop, so that tests/bench/run.sh can find the highest rate the
 * flusher holds with no event lost.
 * Prints "calls=N seconds=T": the calls made and the loop's time.
 * tests/bench/run.sh runs it traced and reads the events recorded and lost
 * from `whyslow report --json`.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 2

static atomic_int stop;
static int devnull;
static double per_thread_rate; /* calls per second per thread, 0: no pacing */

struct writer {
    pthread_t thread;
    long calls;
    pthread_mutex_t lock;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char c = 'x';
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (write(devnull, &c, 1) != 1) {
            perror("bench_flusher: write");
            exit(1);
        }
        w->calls++;
    }
    return NULL;
}

static void *locker_main(void *arg)
{
    struct writer *w = arg;
    double t0 = now_s();
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 500; i++) {
            pthread_mutex_lock(&w->lock);
            pthread_mutex_unlock(&w->lock);
        }
        w->calls += 1000;
        /* Paced: wait until the clock catches up with the calls made. */
        if (per_thread_rate > 0)
            while (now_s() - t0 < w->calls / per_thread_rate &&
                   !atomic_load_explicit(&stop, memory_order_relaxed))
                ;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5;
    int mutex_mode = argc > 2 && strcmp(argv[2], "mutex") == 0;
    per_thread_rate = argc > 3 ? atof(argv[3]) * 1e6 / THREADS : 0;
    if (seconds <= 0 || (argc > 2 && !mutex_mode && strcmp(argv[2], "write") != 0)) {
        fprintf(stderr, "usage: bench_flusher [SECONDS] [write|mutex] [MILLION_PER_SECOND]\n");
        return 2;
    }
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0) {
        perror("bench_flusher: /dev/null");
        return 1;
    }

    struct writer writers[THREADS];
    double t0 = now_s();
    for (int i = 0; i < THREADS; i++) {
        writers[i].calls = 0;
        pthread_mutex_init(&writers[i].lock, NULL);
        if (pthread_create(&writers[i].thread, NULL, mutex_mode ? locker_main : writer_main,
                           &writers[i]) != 0) {
            fprintf(stderr, "bench_flusher: cannot start a thread\n");
            return 1;
        }
    }
    struct timespec run = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&run, NULL);
    atomic_store(&stop, 1);
    long calls = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(writers[i].thread, NULL);
        calls += writers[i].calls;
    }
    double t1 = now_s();

    printf("calls=%ld seconds=%.3f\n", calls, t1 - t0);
    return 0;
}
