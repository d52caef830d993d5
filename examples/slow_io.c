/* SPDX-License-Identifier: MIT */
/*
 * slow_io.c - whyslow example: a program whose time goes into slow I/O.
 *
 * It fetches a price for each of RECORDS items from a "quote server" over
 * TCP and appends one record per item to a log file in /tmp, calling fsync()
 * after every record.  The quote server is a thread of this program that
 * listens on 127.0.0.1 and answers each request after 30 ms, so recv() from
 * 127.0.0.1:PORT is slow whatever the disk; fsync() adds milliseconds more on
 * most real disks.  Runs about 1 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECORDS     30
#define MSG_SIZE    32 /* requests and replies are fixed-size messages */
#define SERVER_WAIT 30 /* ms the quote server takes to answer */

static void die(const char *what)
{
    fprintf(stderr, "slow_io: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("send");
        buf += n;
        len -= (size_t)n;
    }
}

/* Reads one whole message; returns 0 at end of stream. */
static int recv_msg(int fd, char *buf)
{
    ssize_t n;
    do {
        n = recv(fd, buf, MSG_SIZE, MSG_WAITALL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) die("recv");
    if (n != 0 && n != MSG_SIZE) {
        fprintf(stderr, "slow_io: short message (%zd bytes)\n", n);
        exit(1);
    }
    return n != 0;
}

/* The quote server: answers each request on one connection after 30 ms. */
static void *quote_server(void *arg)
{
    int listener = *(int *)arg;
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) die("accept");

    char req[MSG_SIZE], reply[MSG_SIZE];
    while (recv_msg(conn, req)) {
        struct timespec wait = {0, SERVER_WAIT * 1000000L};
        nanosleep(&wait, NULL); /* "looking the price up" */
        int item = atoi(req + 5);
        memset(reply, 0, sizeof reply);
        snprintf(reply, sizeof reply, "%d.%02d", 100 + item * 7 % 50, item * 13 % 100);
        send_all(conn, reply, sizeof reply);
    }
    close(conn);
    return NULL;
}

int main(void)
{
    /* Start the quote server on a free port of 127.0.0.1. */
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addrlen = sizeof addr;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 1) < 0) die("listen");
    if (getsockname(listener, (struct sockaddr *)&addr, &addrlen) < 0) die("getsockname");
    int port = ntohs(addr.sin_port);

    pthread_t server;
    if (pthread_create(&server, NULL, quote_server, &listener) != 0) {
        fprintf(stderr, "slow_io: cannot start the quote server thread\n");
        return 1;
    }

    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) die("socket");
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");

    char path[64];
    snprintf(path, sizeof path, "/tmp/whyslow-slow_io-%d.log", (int)getpid());
    int logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0644);
    if (logfd < 0) die(path);

    double t0 = now_ms(), in_recv = 0, in_fsync = 0;
    for (int i = 0; i < RECORDS; i++) {
        char req[MSG_SIZE], reply[MSG_SIZE];
        memset(req, 0, sizeof req);
        snprintf(req, sizeof req, "ITEM %d", i);
        send_all(sock, req, sizeof req);

        double t = now_ms();
        if (!recv_msg(sock, reply)) {
            fprintf(stderr, "slow_io: the quote server hung up\n");
            return 1;
        }
        in_recv += now_ms() - t;

        char rec[128];
        int len = snprintf(rec, sizeof rec, "item %d price %s\n", i, reply);
        if (write(logfd, rec, (size_t)len) != len) die("write");
        t = now_ms();
        if (fsync(logfd) < 0) die("fsync");
        in_fsync += now_ms() - t;
    }
    double total = now_ms() - t0;

    shutdown(sock, SHUT_WR); /* the server sees the end and exits */
    pthread_join(server, NULL);
    close(sock);
    close(listener);
    close(logfd);
    unlink(path);

    printf("slow_io: fetched %d prices from the quote server at 127.0.0.1:%d "
           "(%.0f ms waiting in recv)\n",
           RECORDS, port, in_recv);
    printf("slow_io: appended %d records to %s with an fsync after each "
           "(%.1f ms in fsync), then removed it\n",
           RECORDS, path, in_fsync);
    printf("slow_io: done in %.0f ms\n", total);
    return 0;
}
