/* SPDX-License-Identifier: MIT */
/*
 * killed.c - writes N times to /dev/null, says "ready" on stdout, then
 * sleeps until killed: the test sends SIGKILL and expects all N writes in
 * the log.  Usage: killed N
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < n; i++)
        write(fd, "x", 1);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
