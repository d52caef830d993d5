/* SPDX-License-Identifier: MIT */
/*
 * bench_mixed.c - benchmark workload: a realistic mix of calls, to measure
 * the log bytes per event.  For SECONDS (default 2) three threads run:
 *   files:  open/write/close then open/read/close of small files in /tmp
 *   writer: write()s messages into a pipe (after a poll() with timeout 0)
 *   reader: poll()s the pipe with timeout 0 and read()s what is there
 * and each sleeps 0-50 us now and then (nanosleep) and updates shared
 * counters under one mutex, which the others sometimes hold.
 * Usage: bench_mixed [SECONDS].  Prints "calls=N seconds=T", N being the
 * calls of the kinds whyslow records (each mutex lock+unlock counted once).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NFILES 8

static atomic_int stop;
static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counters[4];
static char dir[] = "/tmp/whyslow-bench-mixed.XXXXXX";
static int pipefd[2];

struct worker {
    pthread_t thread;
    unsigned seed;
    long calls;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps 0-50 us. */
static void short_sleep(struct worker *w)
{
    struct timespec ts = {0, (long)(rand_r(&w->seed) % 50001)};
    nanosleep(&ts, NULL);
    w->calls++;
}

/* Updates the shared counters, holding the lock for a little while. */
static void count(struct worker *w, int which, unsigned long v)
{
    pthread_mutex_lock(&counters_lock);
    for (int i = 0; i < 200; i++)
        v = v * 6364136223846793005u + 1442695040888963407u;
    counters[which] += v & 0xff;
    pthread_mutex_unlock(&counters_lock);
    w->calls++;
}

static void *files_main(void *arg)
{
    struct worker *w = arg;
    char buf[4096], path[64];
    memset(buf, 'f', sizeof buf);
    for (long i = 0; !atomic_load(&stop); i++) {
        snprintf(path, sizeof path, "%s/file%ld", dir, i % NFILES);
        size_t size = 100 + (size_t)rand_r(&w->seed) % (sizeof buf - 100);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, buf, size) != (ssize_t)size || close(fd) < 0) {
            perror("bench_mixed: writing a file");
            exit(1);
        }
        fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, buf, sizeof buf) < 0 || close(fd) < 0) {
            perror("bench_mixed: reading a file");
            exit(1);
        }
        w->calls += 6;
        count(w, 0, size);
        if (i % 4 == 0) short_sleep(w);
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    struct worker *w = arg;
    char msg[64];
    memset(msg, 'm', sizeof msg);
    for (long i = 0; !atomic_load(&stop); i++) {
        struct pollfd p = {.fd = pipefd[1], .events = POLLOUT};
        w->calls++;
        if (poll(&p, 1, 0) == 1) {
            if (write(pipefd[1], msg, 16 + i % 48) < 0) {
                perror("bench_mixed: write to the pipe");
                exit(1);
            }
            w->calls++;
        }
        count(w, 1, (unsigned long)i);
        if (i % 2 == 0) short_sleep(w);
    }
    return NULL;
}

static void *reader_main(void *arg)
{
    struct worker *w = arg;
    char buf[1024];
    for (long i = 0; !atomic_load(&stop); i++) {
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        w->calls++;
        if (poll(&p, 1, 0) == 1) {
            ssize_t n = read(pipefd[0], buf, sizeof buf);
            w->calls++;
            if (n <= 0) break;
            count(w, 2, (unsigned long)n);
        } else {
            short_sleep(w);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2;
    if (seconds <= 0) {
        fprintf(stderr, "usage: bench_mixed [SECONDS]\n");
        return 2;
    }
    if (!mkdtemp(dir) || pipe(pipefd) < 0) {
        perror("bench_mixed: setup");
        return 1;
    }

    void *(*mains[3])(void *) = {files_main, writer_main, reader_main};
    struct worker workers[3] = {{.seed = 1}, {.seed = 2}, {.seed = 3}};
    double t0 = now_s();
    for (int i = 0; i < 3; i++) {
        if (pthread_create(&workers[i].thread, NULL, mains[i], &workers[i]) != 0) {
            fprintf(stderr, "bench_mixed: cannot start a thread\n");
            return 1;
        }
    }
    struct timespec run = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&run, NULL);
    atomic_store(&stop, 1);
    long calls = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(workers[i].thread, NULL);
        calls += workers[i].calls;
    }
    double t1 = now_s();

    close(pipefd[0]);
    close(pipefd[1]);
    for (int i = 0; i < NFILES; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s/file%d", dir, i);
        unlink(path);
    }
    rmdir(dir);
    printf("calls=%ld seconds=%.3f\n", calls, t1 - t0);
    return 0;
}
