/* SPDX-License-Identifier: MIT */
/*
 * breakdown.c - threads that each spend their time on one thing, for the
 * time breakdown's end-to-end test (tests/e2e/test_time.py, case time_breakdown).  Each
 * thread is named after what it does:
 *
 *   disk        writes 4 KiB to a file and fsyncs it, for RUN_MS
 *   net-client  request/response round trips over TCP on loopback, RUN_MS
 *   net-server  answers them at once
 *   sleep       takes the mutex, sleeps SLEEP_MS, releases it
 *   lock-wait   waits for that mutex (the sleeper holds it)
 *   cpu         spins for RUN_MS without a call
 *
 * The recorder sees a thread from its first traced call: each starts with
 * one that costs nothing (close(-1)).  The sleeper takes the mutex before
 * the barrier every thread waits at, so the other one waits for it.
 *
 * usage: breakdown DIR   (the disk thread writes DIR/breakdown.dat)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RUN_MS   300
#define SLEEP_MS 300

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start; /* every thread ready, the mutex held */
static const char *dir;
static int listener;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void *disk(void *arg)
{
    (void)arg;
    close(-1);
    char path[4096], block[4096];
    memset(block, 'x', sizeof(block));
    snprintf(path, sizeof(path), "%s/breakdown.dat", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) die("open");
    pthread_barrier_wait(&start);
    for (double t0 = now_ms(); now_ms() - t0 < RUN_MS;) {
        if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) die("write");
        if (fsync(fd) != 0) die("fsync");
    }
    close(fd);
    return NULL;
}

static void *net_server(void *arg)
{
    (void)arg;
    close(-1);
    char buf[64];
    pthread_barrier_wait(&start);
    int c = accept(listener, NULL, NULL);
    if (c < 0) die("accept");
    ssize_t n;
    while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
        if (send(c, buf, (size_t)n, 0) != n) die("send");
    close(c);
    return NULL;
}

static void *net_client(void *arg)
{
    (void)arg;
    close(-1);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char buf[64] = "ping";
    if (getsockname(listener, (struct sockaddr *)&sa, &len) != 0) die("getsockname");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    pthread_barrier_wait(&start);
    if (connect(s, (struct sockaddr *)&sa, len) != 0) die("connect");
    for (double t0 = now_ms(); now_ms() - t0 < RUN_MS;) {
        if (send(s, buf, 4, 0) != 4) die("send");
        if (recv(s, buf, sizeof(buf), 0) <= 0) die("recv");
    }
    close(s);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    close(-1);
    struct timespec ts = {0, SLEEP_MS * 1000000L};
    pthread_mutex_lock(&mutex);
    pthread_barrier_wait(&start);
    nanosleep(&ts, NULL);
    pthread_mutex_unlock(&mutex);
    return NULL;
}

static void *lock_wait(void *arg)
{
    (void)arg;
    close(-1);
    pthread_barrier_wait(&start);
    pthread_mutex_lock(&mutex);
    pthread_mutex_unlock(&mutex);
    return NULL;
}

static void *cpu(void *arg)
{
    (void)arg;
    close(-1);
    volatile unsigned long x = 0;
    pthread_barrier_wait(&start);
    for (double t0 = now_ms(); now_ms() - t0 < RUN_MS;)
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i;
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void *(*fn)(void *);
    } threads[] = {{"sleep", sleeper},         {"disk", disk}, {"net-server", net_server},
                   {"net-client", net_client}, {"cpu", cpu},   {"lock-wait", lock_wait}};
    enum { N = sizeof(threads) / sizeof(threads[0]) };
    pthread_t tid[N];

    if (argc != 2) {
        fprintf(stderr, "usage: breakdown DIR\n");
        return 2;
    }
    dir = argv[1];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(listener, 1) != 0)
        die("listen");
    pthread_barrier_init(&start, NULL, N);
    for (int i = 0; i < N; i++) {
        if (pthread_create(&tid[i], NULL, threads[i].fn, NULL) != 0) die("pthread_create");
        pthread_setname_np(tid[i], threads[i].name);
    }
    for (int i = 0; i < N; i++)
        pthread_join(tid[i], NULL);
    printf("done\n");
    return 0;
}
