/* SPDX-License-Identifier: MIT */
/*
 * threads.c - N threads that each write K times to /dev/null and end, some
 * before others start; thread names set with pthread_setname_np.
 * Usage: threads N K [together]
 * "together": the threads of a wave wait for each other before they end,
 * so all of them hold a buffer at once.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int devnull, k, together;
static pthread_barrier_t wave;

static void *work(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", (long)arg);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0; i < k; i++)
        write(devnull, "x", 1);
    if (together) pthread_barrier_wait(&wave);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    k = argc > 2 ? atoi(argv[2]) : 1000;
    together = argc > 3 && strcmp(argv[3], "together") == 0;
    pthread_barrier_init(&wave, NULL, (unsigned)(n / 2));
    devnull = open("/dev/null", O_WRONLY);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    /* In two waves, so slots are reused. */
    for (int w = 0; w < 2; w++) {
        for (long i = w * n / 2; i < (w + 1) * n / 2; i++)
            pthread_create(&t[i], NULL, work, (void *)i);
        for (long i = w * n / 2; i < (w + 1) * n / 2; i++)
            pthread_join(t[i], NULL);
    }
    return 0;
}
