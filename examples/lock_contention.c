/* SPDX-License-Identifier: MIT */
/*
 * lock_contention.c - whyslow example: threads that queue on one mutex.
 *
 * WORKERS threads each handle UPDATES "requests".  For every request a
 * worker calls update_stats(), which takes the global stats_lock and,
 * while holding it, updates the shared statistics and writes them out to
 * a slow sink (simulated by a 2 ms sleep).  Only one thread can hold the
 * lock, so the others spend most of their time waiting for it.  whyslow
 * names the lock (stats_lock) and where it is taken (update_stats, with
 * its file and line).  Runs about 1 s.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define WORKERS   4
#define UPDATES   120  /* per worker */
#define HOLD_USEC 2000 /* time spent inside the critical section */

pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    long requests;
    unsigned long checksum;
} stats;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A little work outside the lock: hash the request number. */
static unsigned long handle_request(unsigned long id)
{
    unsigned long h = id * 2654435761u;
    for (int i = 0; i < 1000; i++)
        h = h * 6364136223846793005u + 1442695040888963407u;
    return h;
}

/* Counts a request in the shared stats and writes them out to the slow
 * sink, all under stats_lock: the critical section is as long as the
 * write. */
static void update_stats(unsigned long h)
{
    pthread_mutex_lock(&stats_lock);
    stats.requests++;
    stats.checksum ^= h;
    usleep(HOLD_USEC); /* "write the stats to the slow sink" */
    pthread_mutex_unlock(&stats_lock);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", id);
    pthread_setname_np(pthread_self(), name);

    for (int i = 0; i < UPDATES; i++)
        update_stats(handle_request((unsigned long)(id * UPDATES + i)));
    return NULL;
}

int main(void)
{
    pthread_t threads[WORKERS];
    double t0 = now_ms();
    for (long i = 0; i < WORKERS; i++) {
        if (pthread_create(&threads[i], NULL, worker, (void *)(i + 1)) != 0) {
            fprintf(stderr, "lock_contention: cannot start a worker thread\n");
            return 1;
        }
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(threads[i], NULL);
    double total = now_ms() - t0;

    printf("lock_contention: %d threads made %ld updates of the shared stats under stats_lock, "
           "each holding it for %d us\n",
           WORKERS, stats.requests, HOLD_USEC);
    printf("lock_contention: done in %.0f ms (checksum %lx)\n", total, stats.checksum);
    return 0;
}
