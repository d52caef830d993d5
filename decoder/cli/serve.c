/*
 * serve.c - `whyslow record`'s side of served flushers
 * (include/whyslow/serve.h): the socket the traced processes ask on, and a
 * flusher forked for each process that asks.
 *
 * The flusher's code is the recorder's own: record loads libwhyslow.so
 * with dlopen (WHYSLOW_HOST set, so that it traces nothing of record), and
 * a child forked for a process calls its whyslow_serve().  So a traced
 * process gets no process of its own tree for its log, and record, which
 * reaps its children as they end (cmd_record.c), keeps at most one per
 * live traced process.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct server {
    int listen_fd;
    int dirfd;
    char dir[4096];
    void (*serve)(int, int, const struct ws_serve_hello *, pid_t, int, const char *);
    pid_t *flushers; /* live */
    size_t nflushers, cap;
    unsigned served, refused;
};

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
    s->serve = (void (*)(int, int, const struct ws_serve_hello *, pid_t, int, const char *))dlsym(
        lib, "whyslow_serve");
    if (!s->serve) {
        snprintf(msg, msglen, "the recorder library has no whyslow_serve");
        free(s);
        return NULL;
    }
    s->dirfd = dirfd;
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
    return s;
}

int server_fd(const struct server *s)
{
    return s->listen_fd;
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
    pid_t child = err ? -1 : fork();
    if (child == 0) s->serve(conn, memfd, &h, cred.pid, s->dirfd, s->dir); /* no return */
    if (child < 0 && !err) err = errno;
    if (err) {
        refuse(conn, err);
        s->refused++;
    } else {
        if (s->nflushers == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            pid_t *v = realloc(s->flushers, cap * sizeof *v);
            if (v) {
                s->flushers = v;
                s->cap = cap;
            }
        }
        if (s->nflushers < s->cap) s->flushers[s->nflushers++] = child;
        s->served++;
    }
    if (memfd >= 0) close(memfd);
    close(conn);
}

void server_accept(struct server *s)
{
    int conn;
    while ((conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        serve_one(s, conn);
}

int server_reaped(struct server *s, pid_t pid)
{
    for (size_t i = 0; i < s->nflushers; i++)
        if (s->flushers[i] == pid) {
            s->flushers[i] = s->flushers[--s->nflushers];
            return 1;
        }
    return 0;
}

size_t server_flushers(const struct server *s)
{
    return s->nflushers;
}

void server_counts(const struct server *s, unsigned *served, unsigned *refused)
{
    *served = s->served;
    *refused = s->refused;
}

void server_free(struct server *s)
{
    if (!s) return;
    close(s->listen_fd);
    free(s->flushers);
    free(s);
}
