/* SPDX-License-Identifier: MIT */
/*
 * io_basic.c - known numbers of each I/O call, for exact counts in the
 * end-to-end tests: file writes, reads, fsync; a pipe; a TCP exchange on
 * loopback; failing calls whose errno must reach the program unchanged.
 * Prints what it saw, so the test can compare traced and untraced runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener;

static void *server(void *arg)
{
    (void)arg;
    int c = accept(listener, NULL, NULL);
    char buf[16];
    for (int i = 0; i < 5; i++) {
        if (recv(c, buf, 4, MSG_WAITALL) != 4) exit(10);
        if (send(c, "pong", 4, 0) != 4) exit(11);
    }
    close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/io_basic.dat", dir);

    /* 100 writes, fsync, 100 reads of 10 bytes. */
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0) return 1;
    for (int i = 0; i < 100; i++)
        if (write(fd, "0123456789", 10) != 10) return 2;
    if (fsync(fd) != 0) return 3;
    for (int i = 0; i < 100; i++)
        if (pread(fd, path + 4000, 10, i * 10) != 10) return 4;
    close(fd);

    /* errno must be what the real call set. */
    errno = 0;
    if (read(-1, path, 1) != -1 || errno != EBADF) return 5;
    if (open("/nonexistent/x", O_RDONLY) != -1 || errno != ENOENT) return 6;
    printf("errno ok\n");

    /* A pipe: 7 writes, 7 reads. */
    int p[2];
    if (pipe(p) != 0) return 7;
    char b[8];
    for (int i = 0; i < 7; i++)
        if (write(p[1], "x", 1) != 1 || read(p[0], b, 1) != 1) return 8;
    close(p[0]);
    close(p[1]);

    /* TCP on loopback: connect, 5 send/recv pairs each side. */
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 1) ||
        getsockname(listener, (struct sockaddr *)&a, &al))
        return 9;
    pthread_t th;
    pthread_create(&th, NULL, server, NULL);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 12;
    for (int i = 0; i < 5; i++)
        if (send(s, "ping", 4, 0) != 4 || recv(s, b, 4, MSG_WAITALL) != 4) return 13;
    close(s);
    pthread_join(th, NULL);
    close(listener);
    unlink(path);
    printf("port %d done\n", ntohs(a.sin_port) != 0);
    return 0;
}
