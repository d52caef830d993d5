/* SPDX-License-Identifier: MIT */
/*
 * marks.c - the marker API through its header (include/whyslow/mark.h),
 * for the end-to-end tests of marks: it links without libwhyslow.so and
 * runs with or without it.
 *
 *   job "outer"         sleeps 20 ms, then holds
 *     step "inner"      sleeps 30 ms
 *   bench:warmup/run "loop"   phases of one mark: 10 ms, then 2 x 10 ms
 *   job "left open"     begun on a thread that ends without ending it
 *
 * Prints what the calls returned, and whether errno was kept:
 * "begin=B end=E extra_end=X errno_kept=K".
 */
#include <whyslow/mark.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void *left_open(void *arg)
{
    (void)arg;
    whyslow_begin("job", "left open");
    sleep_ms(5);
    return NULL;
}

int main(void)
{
    errno = 1234;
    int begin = whyslow_begin("job", "outer");
    int kept = errno == 1234;
    sleep_ms(20);
    whyslow_begin("step", "inner");
    sleep_ms(30);
    whyslow_end();
    errno = 4321;
    int end = whyslow_end();
    kept = kept && errno == 4321;

    whyslow_begin("bench:warmup", "loop");
    sleep_ms(10);
    whyslow_end();
    for (int i = 0; i < 2; i++) {
        whyslow_begin("bench:run", "loop");
        sleep_ms(10);
        whyslow_end();
    }
    int extra_end = whyslow_end(); /* none open: -1 */

    pthread_t t;
    if (pthread_create(&t, NULL, left_open, NULL) == 0) pthread_join(t, NULL);
    printf("begin=%d end=%d extra_end=%d errno_kept=%d\n", begin, end, extra_end, kept);
    return 0;
}
