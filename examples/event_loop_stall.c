/* SPDX-License-Identifier: MIT */
/*
 * event_loop_stall.c - an event loop blocked by one of its own handlers.
 *
 * A small service runs an epoll event loop that serves its clients (it
 * listens for them on a port of its own) and a 20 ms heartbeat timer.  On two of the ticks
 * a handler needs a price from a backend and asks for it the simple way:
 * a blocking send and recv on its TCP connection, while the backend (a
 * thread here) takes 300 ms to answer.  For those 300 ms the loop serves
 * nothing: no heartbeat, no other client.
 *
 * `whyslow report` shows an event_loop_stall finding on the loop's
 * thread: it stalled 2 times, about 300 ms each, in recv on 127.0.0.1:PORT.
 * The fix: put the backend's socket in the loop (non-blocking, in epoll)
 * and go on when the answer is there, or ask from a worker thread.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TICKS      15 /* heartbeats the loop serves */
#define TICK_MS    20
#define BACKEND_MS 300 /* how long the backend takes to answer */
#define ASK_EVERY  5   /* the ticks whose handler asks the backend */

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* The backend: answers each request after BACKEND_MS. */
static void *backend(void *arg)
{
    int listener = *(int *)arg;
    int c = accept(listener, NULL, NULL);
    if (c < 0) die("accept");
    char req[16];
    struct timespec delay = {BACKEND_MS / 1000, (BACKEND_MS % 1000) * 1000000L};
    while (recv(c, req, sizeof(req), 0) > 0) {
        nanosleep(&delay, NULL);
        if (send(c, "42.00", 5, 0) != 5) die("send");
    }
    close(c);
    return NULL;
}

/* The handler of a heartbeat: on some ticks it asks the backend, and
 * waits for the answer right there, in the loop's thread. */
static void on_tick(int backend_fd, int tick)
{
    if (tick % ASK_EVERY != 0 || tick == TICKS) return;
    char price[16];
    if (send(backend_fd, "price?", 6, 0) != 6) die("send");
    ssize_t n = recv(backend_fd, price, sizeof(price) - 1, 0); /* blocks the loop */
    if (n <= 0) die("recv");
    price[n] = '\0';
    printf("tick %d: price %s\n", tick, price);
}

int main(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&sa, len) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&sa, &len) != 0)
        die("listen");
    pthread_t tid;
    if (pthread_create(&tid, NULL, backend, &listener) != 0) die("pthread_create");
    int backend_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(backend_fd, (struct sockaddr *)&sa, len) != 0) die("connect");

    /* The service's own port, where its clients connect (none do here). */
    struct sockaddr_in own = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int clients = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (bind(clients, (struct sockaddr *)&own, sizeof(own)) != 0 || listen(clients, 16) != 0)
        die("listen");

    int ep = epoll_create1(0);
    int timer = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec period = {{0, TICK_MS * 1000000L}, {0, TICK_MS * 1000000L}};
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = timer};
    struct epoll_event cev = {.events = EPOLLIN, .data.fd = clients};
    if (ep < 0 || timer < 0 || timerfd_settime(timer, 0, &period, NULL) != 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, timer, &ev) != 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, clients, &cev) != 0)
        die("epoll");

    for (int tick = 0; tick < TICKS;) {
        struct epoll_event ready[8];
        int n = epoll_wait(ep, ready, 8, -1);
        for (int i = 0; i < n; i++) {
            uint64_t expired;
            if (ready[i].data.fd != timer) continue;
            if (read(timer, &expired, sizeof(expired)) != sizeof(expired)) die("read");
            on_tick(backend_fd, ++tick);
        }
    }
    close(backend_fd);
    pthread_join(tid, NULL);
    close(timer);
    close(ep);
    return 0;
}
