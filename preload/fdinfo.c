/* SPDX-License-Identifier: MIT */
/*
 * fdinfo.c - what an fd is: a file, a socket and its peer, a pipe, a tty.
 *
 * The decoder learns what most fds are from the events that made them
 * (open's path, connect's and accept's peer).  Fds the recorder did not see
 * made (inherited, or from socket(), pipe(), dup through untraced paths)
 * are described once, on their first traced use, in a WS_EV_FD_INFO record
 * placed before that event.  ws_fd_known[fd] says the fd needs no
 * description; close() clears it, and so does the child of fork() for
 * every fd: its log is its own, and the descriptions are in its parent's.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

WS_BIG _Atomic uint8_t ws_fd_known[WS_FD_TABLE];
/* (WS_START_RW: written at a traced process's first open) */
_Atomic int ws_fd_high WS_START_RW;
/* In .data, on the page of the hot globals that every wrapper touches,
 * but a cache line of its own: it is written at every open and close.
 * From 1: a thread's fd_seen of 0 matches no generation. */
_Atomic uint32_t ws_fd_gen __attribute__((aligned(64))) = 1;

/* In the child of fork(): its fds are described again on their first use.
 * Only the table's used part is written, so that no page of it that the
 * parent never touched gets one of its own. */
void ws_fd_forget_all(void)
{
    int high = atomic_load_explicit(&ws_fd_high, memory_order_relaxed);
    for (int fd = 0; fd < high; fd++)
        if (atomic_load_explicit(&ws_fd_known[fd], memory_order_relaxed))
            atomic_store_explicit(&ws_fd_known[fd], 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&ws_fd_gen, 1, memory_order_release);
}

/* "/proc/self/fd/<fd>" into path (32 bytes).  Not snprintf: printf's
 * machinery takes some 1 KiB of stack, and a first use of an fd may be in
 * a signal handler on a small alternate stack (a handler that ran
 * untraced in 2.9 KiB of one needed 3.8 KiB traced). */
static void fd_path(char *path, int fd)
{
    static const char prefix[] = "/proc/self/fd/";
    memcpy(path, prefix, sizeof prefix - 1);
    *ws_put_dec(path + sizeof prefix - 1, (unsigned)fd) = 0;
}

void ws_fd_describe(struct ws_thread *t, int fd, uint64_t when)
{
    int saved = errno;
    char path[32], link[512];
    fd_path(path, fd);
    ssize_t n = readlink(path, link, sizeof link);
    if (n <= 0) { /* not open: the call will fail with EBADF */
        errno = saved;
        return;
    }
    unsigned kind = WS_FD_OTHER;
    int listening = 0;
    const void *payload = link;
    size_t plen = (size_t)n;
    struct sockaddr_storage ss;
    if (link[0] == '/') {
        kind = strncmp(link, "/dev/pts/", 9) == 0 || strncmp(link, "/dev/tty", 8) == 0 ? WS_FD_TTY
                                                                                       : WS_FD_FILE;
    } else if (strncmp(link, "pipe:", 5) == 0) {
        kind = WS_FD_PIPE;
    } else if (strncmp(link, "socket:", 7) == 0) {
        socklen_t len = sizeof ss;
        kind = WS_FD_SOCKET;
        payload = &ss;
        /* The peer; the local end when there is none, or when it has no
         * name (a client of a Unix socket: the server's path names it). */
        if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 || len <= sizeof(sa_family_t)) {
            len = sizeof ss;
            if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) len = 0;
        }
        plen = len > sizeof ss ? sizeof ss : len;
        /* A listening socket makes an event loop of whoever waits on it
         * (docs/rules.md, event_loop_stall). */
        socklen_t ilen = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0) listening = 0;
    }
    ws_emit(t, WS_EV_FD_INFO, kind, fd, listening != 0, when, when, 0, payload, (uint32_t)plen);
    ws_fd_set(fd, 1);
    if (kind == WS_FD_SOCKET && !listening) ws_http_watch(fd, -1);
    errno = saved;
}
