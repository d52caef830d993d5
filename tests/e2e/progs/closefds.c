/* SPDX-License-Identifier: MIT */
/*
 * closefds.c - a program that closes every fd from 3 up, over and over,
 * then opens a pipe and reads back what it wrote to it, as a daemon or a
 * supervisor that closes what it did not open does before each task.  A
 * flusher thread that shares the program's fd table (preload/logfile.c)
 * opens files of its own meanwhile: the program must never close one of
 * them and then see its own pipe closed by the flusher in its stead.
 *
 * usage: closefds MS
 *   loops for MS milliseconds; prints "rounds N bad M" (M: rounds whose
 *   pipe did not give back what was written) and exits 0 when M is 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: closefds MS\n");
        return 2;
    }
    double until = now_ms() + atof(argv[1]);
    long rounds = 0, bad = 0;
    while (now_ms() < until) {
        for (int fd = 3; fd < 8; fd++)
            close(fd);
        int p[2];
        if (pipe(p) != 0) return 3;
        char got[8] = "";
        if (write(p[1], "ping", 4) != 4 || read(p[0], got, sizeof got) != 4 ||
            memcmp(got, "ping", 4) != 0)
            bad++;
        close(p[0]);
        close(p[1]);
        rounds++;
    }
    printf("rounds %ld bad %ld\n", rounds, bad);
    return bad == 0 ? 0 : 1;
}
