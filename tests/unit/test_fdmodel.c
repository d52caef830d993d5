/* SPDX-License-Identifier: MIT */
/*
 * test_fdmodel.c - what each event is shown "on": the fd model replayed
 * over a sequence of events (open, dup, close, connect, accept, FD_INFO),
 * and what kind of thing (file, socket, pipe, terminal) each target is.
 */
#include "check.h"
#include "log/fdmodel.h"

#include <whyslow/format.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

static struct strpool pool;
static struct fdmodel fm;

/* The target of one event, as a string ("" for none). */
static const char *on(unsigned call, int64_t obj, int64_t result, uint64_t err, const void *payload,
                      size_t plen)
{
    struct ws_event ev = {.call = (uint8_t)call,
                          .obj = obj,
                          .result = result,
                          .err = err,
                          .payload = payload,
                          .payload_len = (uint32_t)plen};
    const char *s = strpool_get(&pool, fdmodel_event(&fm, &ev));
    return s ? s : "";
}

#define ON(call, obj, result)        on(call, obj, result, 0, NULL, 0)
#define ON_STR(call, obj, result, s) on(call, obj, result, 0, s, strlen(s))

int main(void)
{
    fdmodel_init(&fm, &pool);

    CHECK_STR(ON(WS_READ, 0, 10), "fd 0");
    CHECK_STR(ON_STR(WS_OPENAT, -100, 3, "/etc/hosts"), "/etc/hosts");
    CHECK_STR(ON(WS_READ, 3, 100), "/etc/hosts");
    CHECK_STR(ON(WS_DUP, 3, 10), "/etc/hosts");
    CHECK_STR(ON(WS_CLOSE, 3, 0), "/etc/hosts");
    CHECK_STR(ON(WS_READ, 3, -1), "fd 3"); /* forgotten after close */
    CHECK_STR(ON(WS_READ, 10, 5), "/etc/hosts");
    CHECK_STR(ON_STR(WS_OPEN, -1, -1, "/nonexistent"), "/nonexistent");
    CHECK_STR(ON(WS_FSYNC, -1, -1), "fd -1"); /* a failed open names no fd */
    CHECK_STR(ON_STR(WS_OPEN, -1, 11, "a\nb"), "a?b");

    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(5432)};
    inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
    CHECK_STR(on(WS_CONNECT, 4, -1, EINPROGRESS, &in, sizeof(in)), "10.0.0.1:5432");
    CHECK_STR(ON(WS_SEND, 4, 20), "10.0.0.1:5432");
    CHECK_STR(on(WS_CONNECT, 5, -1, ECONNREFUSED, &in, sizeof(in)), "10.0.0.1:5432");
    CHECK_STR(ON(WS_WRITE, 5, -1), "fd 5"); /* the failed connect named nothing */
    CHECK_STR(on(WS_CONNECT, 6, 0, 0, &in, sizeof(in)), "10.0.0.1:5432");
    CHECK_STR(ON(WS_RECV, 6, 1), "10.0.0.1:5432");

    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(8080)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    CHECK_STR(on(WS_ACCEPT4, 7, 8, 0, &in6, sizeof(in6)), "fd 7");
    CHECK_STR(ON(WS_READ, 8, 1), "[::1]:8080");

    CHECK_STR(on(WS_EV_FD_INFO, 1, 0, WS_FD_PIPE, "pipe:[1234]", 11), "pipe:[1234]");
    CHECK_STR(ON(WS_WRITE, 1, 4), "pipe:[1234]");
    CHECK_STR(on(WS_EV_FD_INFO, 9, 0, WS_FD_SOCKET, NULL, 0), "socket");
    CHECK_STR(ON(WS_WRITEV, 9, 4), "socket");
    CHECK_STR(on(WS_EV_FD_INFO, 2, 0, WS_FD_TTY, "/dev/pts/3", 10), "/dev/pts/3");
    CHECK_STR(ON(WS_WRITE, 2, 4), "/dev/pts/3");

    CHECK_STR(ON(WS_POLL, -1, 0), "");
    CHECK_STR(ON(WS_NANOSLEEP, -1, 0), "");
    CHECK_STR(ON(WS_MUTEX_LOCK, 0x1000, 0), "");
    CHECK_STR(ON_STR(WS_GETADDRINFO, -1, 0, "db.example.com"), "db.example.com");
    CHECK_STR(ON(WS_EPOLL_WAIT, 10, 1), "/etc/hosts");

    /* Dup onto an open fd replaces what it was. */
    CHECK_STR(ON(WS_DUP, 8, 10), "[::1]:8080");
    CHECK_STR(ON(WS_READ, 10, 1), "[::1]:8080");

    /* The kind of each event's target. */
    CHECK_STR(ON_STR(WS_OPENAT, -100, 3, "/etc/hosts"), "/etc/hosts");
    CHECK_U64(fm.kind, WS_FD_FILE);
    CHECK_STR(ON(WS_PREAD, 3, 10), "/etc/hosts");
    CHECK_U64(fm.kind, WS_FD_FILE);
    CHECK_STR(ON(WS_DUP, 3, 12), "/etc/hosts");
    CHECK_STR(ON(WS_CLOSE, 12, 0), "/etc/hosts");
    CHECK_U64(fm.kind, WS_FD_FILE); /* what it was until closed */
    CHECK_STR(ON(WS_WRITE, 12, 1), "fd 12");
    CHECK_U64(fm.kind, 0);
    ON_STR(WS_OPEN, -1, 13, "/dev/tty");
    CHECK_U64(fm.kind, WS_FD_TTY);
    CHECK_STR(ON(WS_READ, 13, 1), "/dev/tty");
    CHECK_U64(fm.kind, WS_FD_TTY);
    ON(WS_READ, 6, 1);
    CHECK_U64(fm.kind, WS_FD_SOCKET); /* connected above */
    ON(WS_READ, 8, 1);
    CHECK_U64(fm.kind, WS_FD_SOCKET); /* accepted above, then dup'd to 10 */
    ON(WS_READ, 10, 1);
    CHECK_U64(fm.kind, WS_FD_SOCKET);
    ON(WS_WRITE, 1, 4);
    CHECK_U64(fm.kind, WS_FD_PIPE);
    ON(WS_WRITE, 2, 4);
    CHECK_U64(fm.kind, WS_FD_TTY);
    on(WS_EV_FD_INFO, 14, 0, WS_FD_OTHER, "anon_inode:[eventfd]", 20);
    CHECK_U64(fm.kind, WS_FD_OTHER);
    on(WS_EV_FD_INFO, 15, 0, 99, "odd", 3);
    CHECK_U64(fm.kind, 0); /* a kind this decoder does not know */
    ON(WS_POLL, -1, 0);
    CHECK_U64(fm.kind, 0);

    fdmodel_free(&fm);
    strpool_free(&pool);
    CHECK_DONE();
}
