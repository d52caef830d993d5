/* SPDX-License-Identifier: MIT */
/*
 * serve.c - `whyslow record`'s side of served flushers
 * (include/whyslow/serve.h): the socket the traced processes ask on, and
 * the flushers, forked ahead, that serve them one after another.
 *
 * The flusher's code is the recorder's own: record loads libwhyslow.so
 * with dlopen (WHYSLOW_HOST set, so that it traces nothing of record), and
 * a child handed a process calls its whyslow_serve().  So a traced
 * process gets no process of its own tree for its log, and record, which
 * reaps its children as they end (cmd_record.c), keeps at most one per
 * live traced process, and the free ones.
 *
 * A flusher is forked ahead and waits on a socketpair to be handed a
 * process: a traced process waits for its flusher's answer, and a fork,
 * with the child's first writes to what it shares with its parent, takes
 * a good part of a millisecond on these machines.  When its process has
 * ended and all is written, the flusher says so on the `done` pipe and
 * waits for the next: a build or a script of many short processes is
 * served by a few warm flushers, not a fork, its page faults and its
 * teardown each.  One that was stopped by a signal, or failed, exits.
 *
 * A process is served only when it is of record's uid, in record's pid
 * namespace, and below record in the process tree: another user's process
 * could otherwise have record write logs of its making, or fork for it
 * without end.
 */
#include "cli/serve.h"

#include <whyslow/serve.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A flusher of ours: serving a process (busy) or waiting for one. */
struct flusher {
    pid_t pid;
    int ctl; /* our end of its socketpair: processes are handed over on it */
    int busy;
};

struct server {
    int listen_fd;
    int dirfd;
    char dir[4096];
    int (*serve)(int, int, const struct ws_serve_hello *, pid_t, int, const char *);
    struct flusher *pool;
    size_t npool, cap;
    int done[2]; /* a pipe: flushers write their pid on it when they are free again */
    unsigned unwritten;
};

/* What a flusher is handed, with the connection and the memfd. */
struct handoff {
    struct ws_serve_hello hello;
    pid_t pid;
};

static void fork_flusher(struct server *s);

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The recorder library, loaded to serve (and to check settings and the
 * log directory as it will); NULL with why in msg. */
void *server_load(const char *lib, char *msg, size_t len)
{
    setenv("WHYSLOW_HOST", "1", 1);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    unsetenv("WHYSLOW_HOST");
    if (!h) snprintf(msg, len, "cannot load %s: %s", lib, dlerror());
    return h;
}

/* Whether pid descends from us, by the parents /proc gives. */
static int descends(pid_t pid)
{
    pid_t self = getpid();
    for (int depth = 0; depth < 4096 && pid > 1; depth++) {
        char path[64], stat[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return 0;
        ssize_t n = read(fd, stat, sizeof stat - 1);
        close(fd);
        if (n <= 0) return 0;
        stat[n] = 0;
        const char *p = strrchr(stat, ')');
        int ppid;
        if (!p || sscanf(p, ") %*c %d", &ppid) != 1) return 0;
        if (ppid == self) return 1;
        pid = ppid;
    }
    return 0;
}

struct server *server_start(void *lib, int dirfd, const char *dir, char *name, size_t len,
                            char *msg, size_t msglen)
{
    struct server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    s->serve = (int (*)(int, int, const struct ws_serve_hello *, pid_t, int, const char *))dlsym(
        lib, "whyslow_serve");
    if (!s->serve) {
        snprintf(msg, msglen, "the recorder library has no whyslow_serve");
        free(s);
        return NULL;
    }
    s->dirfd = dirfd;
    s->done[0] = s->done[1] = -1;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* An abstract name (no file to clean up, none to plant): unique by our
     * pid, and not guessable ahead by the time. */
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "whyslow-%d-%lx", (int)getpid(),
                     (unsigned long)(ts.tv_nsec ^ ts.tv_sec * 2654435761u));
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, alen) != 0 ||
        listen(s->listen_fd, 128) != 0) {
        snprintf(msg, msglen, "cannot listen for the traced processes: %s", strerror(errno));
        if (s->listen_fd >= 0) close(s->listen_fd);
        free(s);
        return NULL;
    }
    snprintf(name, len, "@%s", a.sun_path + 1);
    if (pipe2(s->done, O_CLOEXEC | O_NONBLOCK) != 0) s->done[0] = s->done[1] = -1;
    fork_flusher(s); /* for the first process */
    return s;
}

int server_fd(const struct server *s)
{
    return s->listen_fd;
}

/* A flusher's life: it holds only what it needs (stderr for
 * WHYSLOW_DEBUG, its socketpair, the log directory, the done pipe) and
 * serves the processes it is handed, one after another; it ends when
 * record closes the socketpair, or when it cannot go on. */
static void flusher_life(struct server *s, int fd) __attribute__((noreturn));
static void flusher_life(struct server *s, int fd)
{
    /* Neither the terminal's signals nor record's are for it. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setsid();
    int keep[4] = {2, fd, s->dirfd, s->done[1]}; /* closes all others */
    qsort(keep, 4, sizeof *keep, cmp_int);
    unsigned from = 0;
    for (int i = 0; i < 4; i++) {
        if (keep[i] < 0 || (unsigned)keep[i] < from) continue;
        if ((unsigned)keep[i] > from) close_range(from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    close_range(from, ~0u, 0);

    for (;;) {
        struct handoff ho;
        int fds[2];
        struct iovec iov = {&ho, sizeof ho};
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof fds)];
        } c;
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
        ssize_t got;
        while ((got = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
            ;
        struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
        if (got != (ssize_t)sizeof ho || !cm || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof fds))
            _exit(0);
        memcpy(fds, CMSG_DATA(cm), sizeof fds);
        /* It closes both; it exits itself when it cannot serve again. */
        if (s->serve(fds[0], fds[1], &ho.hello, ho.pid, s->dirfd, s->dir) != 0 || s->done[1] < 0)
            _exit(0);
        sigprocmask(SIG_SETMASK, &all, NULL); /* while free, signals wait */
        pid_t me = getpid();
        if (write(s->done[1], &me, sizeof me) != (ssize_t)sizeof me) _exit(0);
    }
}

/* Forks a free flusher; quietly none if it cannot. */
static void fork_flusher(struct server *s)
{
    int sv[2];
    if (s->npool == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct flusher *v = realloc(s->pool, cap * sizeof *v);
        if (!v) return;
        s->pool = v;
        s->cap = cap;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return;
    pid_t pid = fork();
    if (pid == 0) flusher_life(s, sv[1]);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    s->pool[s->npool++] = (struct flusher){.pid = pid, .ctl = sv[0]};
}

static struct flusher *free_flusher(struct server *s)
{
    for (size_t i = 0; i < s->npool; i++)
        if (!s->pool[i].busy) return &s->pool[i];
    return NULL;
}

/* Hands the process to a free flusher; 0, or -1 when there is none (or
 * it died: its end is reaped). */
static int hand_over(struct server *s, int conn, int memfd, const struct ws_serve_hello *h,
                     pid_t pid)
{
    struct flusher *f = free_flusher(s);
    if (!f) return -1;
    struct handoff ho = {.hello = *h, .pid = pid};
    int fds[2] = {conn, memfd};
    if (ws_send_fds(f->ctl, &ho, sizeof ho, fds, 2) != (ssize_t)sizeof ho) {
        close(f->ctl); /* it is gone, or going: reaped as it ends */
        f->ctl = -1;
        f->busy = 1;
        return -1;
    }
    f->busy = 1;
    return 0;
}

static void refuse(int conn, int err)
{
    struct ws_serve_reply r = {.magic = WS_SERVE_MAGIC, .status = err};
    send(conn, &r, sizeof r, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* One process asking: its hello and its region's memfd. */
static void serve_one(struct server *s, int conn)
{
    struct ucred cred;
    socklen_t clen = sizeof cred;
    struct ws_serve_hello h;
    int memfd = -1;
    struct iovec iov = {&h, sizeof h};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } c;
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
    /* It sends right after its connect; a short wait covers the race. */
    struct timeval tv = {0, 200000};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
    struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(&memfd, CMSG_DATA(cm), sizeof(int));
    int err = 0;
    if (got != (ssize_t)sizeof h || memfd < 0 || h.magic != WS_SERVE_MAGIC)
        err = EPROTO;
    else if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
        err = errno;
    else if (cred.uid != geteuid() || cred.pid != h.pid || !descends(cred.pid))
        err = EPERM;
    if (!err && hand_over(s, conn, memfd, &h, cred.pid) != 0) {
        fork_flusher(s); /* none free: a new one */
        if (hand_over(s, conn, memfd, &h, cred.pid) != 0) err = EAGAIN;
    }
    if (err) refuse(conn, err);
    if (memfd >= 0) close(memfd);
    close(conn);
}

void server_accept(struct server *s)
{
    int conn;
    while ((conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        serve_one(s, conn);
    if (!free_flusher(s)) fork_flusher(s); /* for the next, while these go on */
}

int server_done_fd(const struct server *s)
{
    return s->done[0];
}

void server_take_done(struct server *s)
{
    pid_t pid;
    while (read(s->done[0], &pid, sizeof pid) == (ssize_t)sizeof pid)
        for (size_t i = 0; i < s->npool; i++)
            if (s->pool[i].pid == pid && s->pool[i].ctl >= 0) s->pool[i].busy = 0;
}

int server_reaped(struct server *s, pid_t pid, int status)
{
    for (size_t i = 0; i < s->npool; i++)
        if (s->pool[i].pid == pid) {
            if (s->pool[i].busy && WIFEXITED(status) && WEXITSTATUS(status) == WS_SERVE_NO_LOG)
                s->unwritten++;
            if (s->pool[i].ctl >= 0) close(s->pool[i].ctl);
            s->pool[i] = s->pool[--s->npool];
            return 1;
        }
    return 0;
}

size_t server_flushers(const struct server *s)
{
    size_t busy = 0;
    for (size_t i = 0; i < s->npool; i++)
        busy += s->pool[i].busy;
    return busy;
}

unsigned server_unwritten(const struct server *s)
{
    return s->unwritten;
}

void server_free(struct server *s)
{
    if (!s) return;
    /* Each flusher reads the end of its socketpair and exits, once done. */
    for (size_t i = 0; i < s->npool; i++)
        if (s->pool[i].ctl >= 0) close(s->pool[i].ctl);
    if (s->done[0] >= 0) close(s->done[0]);
    if (s->done[1] >= 0) close(s->done[1]);
    close(s->listen_fd);
    free(s->pool);
    free(s);
}
