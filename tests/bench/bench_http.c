/* SPDX-License-Identifier: MIT */
/*
 * bench_http.c - a small HTTP/1.1 keep-alive server and the client that
 * loads it, for the requests benchmark (tests/bench/run.sh runs the
 * server traced and not, the client never).
 *
 * Usage:
 *   bench_http serve PORT_FILE   listens on 127.0.0.1, writes its port to
 *                                PORT_FILE, serves one connection after
 *                                another until a request for /quit
 *   bench_http load PORT N       N requests for /items/<i> on one
 *                                keep-alive connection, one at a time;
 *                                prints "requests_per_s=R"
 *   bench_http compare PORT_A PORT_B SLICES N
 *                                the same on two servers at once, taking
 *                                turns at slices of N requests (SLICES
 *                                each): both see the same moments of a
 *                                noisy machine; prints "a_per_s=A
 *                                b_per_s=B" from the fastest tenth of each
 *                                one's slices (noise only adds time)
 *   bench_http quit PORT         asks the server to stop
 * The server reads each request to its empty line and answers with a
 * 5-byte body and a Content-Length, as a small API server does.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 5\r\n\r\nhello";

static int serve(const char *port_file)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &len) != 0) {
        perror("bench_http: listen");
        return 1;
    }
    FILE *f = fopen(port_file, "w");
    if (!f) {
        perror(port_file);
        return 1;
    }
    fprintf(f, "%d\n", ntohs(a.sin_port));
    fclose(f);
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char buf[4096];
        size_t have = 0;
        for (;;) {
            ssize_t n = read(c, buf + have, sizeof buf - have);
            if (n <= 0) break;
            have += (size_t)n;
            char *end;
            while (have && (end = memmem(buf, have, "\r\n\r\n", 4))) {
                int quit = strncmp(buf, "GET /quit ", 10) == 0;
                if (write(c, RESPONSE, sizeof RESPONSE - 1) < 0) break;
                if (quit) {
                    close(c);
                    close(ls);
                    return 0;
                }
                size_t used = (size_t)(end + 4 - buf);
                memmove(buf, buf + used, have - used);
                have -= used;
            }
            if (have == sizeof buf) break; /* no head that long */
        }
        close(c);
    }
}

static int connect_to(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("bench_http: connect");
        exit(1);
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

/* One request and its whole response. */
static int exchange(int s, const char *path)
{
    char req[256], buf[4096];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
    if (write(s, req, (size_t)n) != n) return -1;
    size_t have = 0;
    while (have < sizeof RESPONSE - 1) {
        ssize_t k = read(s, buf + have, sizeof buf - have);
        if (k <= 0) return -1;
        have += (size_t)k;
    }
    return 0;
}

static int load(int port, long n)
{
    int s = connect_to(port);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/items/%ld", i % 1000);
        if (exchange(s, path) != 0) {
            fprintf(stderr, "bench_http: request %ld failed\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(s);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("requests_per_s=%.1f\n", (double)n / secs);
    return 0;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The ns a request took in a slice, for the two servers in turn. */
static int compare(int port_a, int port_b, int slices, long n)
{
    int s[2] = {connect_to(port_a), connect_to(port_b)};
    double *ns[2] = {calloc((size_t)slices, sizeof(double)),
                     calloc((size_t)slices, sizeof(double))};
    long item = 0;
    for (int k = 0; k < slices; k++)
        for (int j = 0; j < 2; j++) {
            int which = k % 2 ? 1 - j : j; /* the order swapped every slice */
            double t0 = now_ns();
            for (long i = 0; i < n; i++) {
                char path[64];
                snprintf(path, sizeof path, "/items/%ld", item++ % 1000);
                if (exchange(s[which], path) != 0) {
                    fprintf(stderr, "bench_http: a request failed\n");
                    return 1;
                }
            }
            ns[which][k] = (now_ns() - t0) / (double)n;
        }
    for (int j = 0; j < 2; j++) {
        qsort(ns[j], (size_t)slices, sizeof(double), cmp_double);
        close(s[j]);
    }
    printf("a_per_s=%.1f b_per_s=%.1f\n", 1e9 / ns[0][slices / 10], 1e9 / ns[1][slices / 10]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "compare") == 0)
        return compare(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atol(argv[5]));
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
    if (argc == 4 && strcmp(argv[1], "load") == 0) return load(atoi(argv[2]), atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "quit") == 0) {
        int s = connect_to(atoi(argv[2]));
        return exchange(s, "/quit") != 0;
    }
    fprintf(stderr, "usage: bench_http serve PORT_FILE | load PORT N | compare PORT_A PORT_B "
                    "SLICES N | quit PORT\n");
    return 2;
}
