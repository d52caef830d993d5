/* SPDX-License-Identifier: MIT */
/*
 * thread_pool.c - whyslow example: a thread pool too small for its work.
 *
 * A pool of WORKERS threads takes tasks from a queue (a mutex and a
 * condition variable the idle workers wait on).  The main thread handles
 * two batches of TASKS requests: it queues a task per request, each a
 * 40 ms sleep standing for a slow call to another service, then waits for
 * the results in order, and pauses 20 ms between the batches.  With fewer
 * workers than tasks, the tasks wait in the queue for a free worker while
 * the main thread waits for their results; whyslow's report has a
 * thread_pool_exhaustion finding: all 2 workers busy, the time the main
 * thread waited, and that the workers were busy sleeping.
 *
 * usage: thread_pool [WORKERS [TASKS]]   (default 2 and 8; with as many
 * workers as tasks, no task waits).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TASKS 64
#define TASK_USEC 40000
#define BATCHES   2

struct task {
    int id, result, done;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER; /* the idle workers wait here */
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER; /* a task is done */
static struct task *queue[MAX_TASKS];
static int head, tail, stopping;

static void submit(struct task *t)
{
    pthread_mutex_lock(&mu);
    queue[tail++ % MAX_TASKS] = t;
    pthread_cond_signal(&nonempty);
    pthread_mutex_unlock(&mu);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&mu);
        while (head == tail && !stopping)
            pthread_cond_wait(&nonempty, &mu);
        if (head == tail) {
            pthread_mutex_unlock(&mu);
            return NULL;
        }
        struct task *t = queue[head++ % MAX_TASKS];
        pthread_mutex_unlock(&mu);

        usleep(TASK_USEC); /* "call the other service" */

        pthread_mutex_lock(&mu);
        t->result = t->id * 2;
        t->done = 1;
        pthread_cond_broadcast(&finished);
        pthread_mutex_unlock(&mu);
    }
}

static int wait_for(struct task *t)
{
    pthread_mutex_lock(&mu);
    while (!t->done)
        pthread_cond_wait(&finished, &mu);
    pthread_mutex_unlock(&mu);
    return t->result;
}

int main(int argc, char **argv)
{
    int nworkers = argc > 1 ? atoi(argv[1]) : 2, ntasks = argc > 2 ? atoi(argv[2]) : 8;
    if (nworkers < 1 || nworkers > 64 || ntasks < 1 || ntasks > MAX_TASKS) {
        fprintf(stderr, "usage: thread_pool [WORKERS (1-64) [TASKS (1-%d)]]\n", MAX_TASKS);
        return 2;
    }
    pthread_t w[64];
    for (int i = 0; i < nworkers; i++)
        pthread_create(&w[i], NULL, worker, NULL);

    long sum = 0;
    for (int b = 0; b < BATCHES; b++) {
        struct task tasks[MAX_TASKS];
        for (int i = 0; i < ntasks; i++) {
            tasks[i] = (struct task){.id = b * ntasks + i};
            submit(&tasks[i]);
        }
        for (int i = 0; i < ntasks; i++)
            sum += wait_for(&tasks[i]);
        usleep(20000); /* between two batches of requests */
    }

    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&nonempty);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nworkers; i++)
        pthread_join(w[i], NULL);
    printf("%d tasks on %d workers: sum %ld\n", BATCHES * ntasks, nworkers, sum);
    return 0;
}
