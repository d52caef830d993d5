/*
 * threads.c - N threads that each write K times to /dev/null and end, some
 * before others start; thread names set with pthread_setname_np.
 * Usage: threads N K
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int devnull, k;

static void *work(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker-%ld", (long)arg);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0; i < k; i++)
        write(devnull, "x", 1);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    k = argc > 2 ? atoi(argv[2]) : 1000;
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
