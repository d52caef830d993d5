/* SPDX-License-Identifier: MIT */
/*
 * sym_locks.c - locks for the symbolization tests, each taken by 4
 * threads 10 times and held 1 ms, in three places (the threads start each
 * one together, so that they queue on each):
 *   take_job():    the global `queue_lock` (zero-initialized: in .bss)
 *   take_result(): a mutex malloc'd at the start of main (in the heap);
 *                  take_result is inlined into its caller
 *   count_stat():  the mutex inside the global struct `stats`, 8 bytes in
 * The lines that lock are tagged with their function's name (SITE) for
 * the test to find.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS  10

pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *result_lock;
struct stats {
    long jobs;
    pthread_mutex_t lock;
} stats = {0, PTHREAD_MUTEX_INITIALIZER};
static long jobs, results;
static pthread_barrier_t start;

__attribute__((noinline)) static void take_job(void)
{
    pthread_mutex_lock(&queue_lock); /* SITE:take_job */
    jobs++;
    usleep(1000);
    pthread_mutex_unlock(&queue_lock);
}

static inline __attribute__((always_inline)) void take_result(void)
{
    pthread_mutex_lock(result_lock); /* SITE:take_result */
    results++;
    usleep(1000);
    pthread_mutex_unlock(result_lock);
}

__attribute__((noinline)) static void count_stat(void)
{
    pthread_mutex_lock(&stats.lock); /* SITE:count_stat */
    stats.jobs++;
    usleep(1000);
    pthread_mutex_unlock(&stats.lock);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < ROUNDS; i++)
        take_job(); /* SITE:worker_take_job */
    pthread_barrier_wait(&start);
    for (int i = 0; i < ROUNDS; i++)
        take_result(); /* SITE:worker_take_result */
    pthread_barrier_wait(&start);
    for (int i = 0; i < ROUNDS; i++)
        count_stat();
    return NULL;
}

int main(void)
{
    result_lock = malloc(sizeof(*result_lock));
    pthread_mutex_init(result_lock, NULL);
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    return jobs == THREADS * ROUNDS && results == THREADS * ROUNDS ? 0 : 1;
}
