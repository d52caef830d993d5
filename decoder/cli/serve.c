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
 * reaps its children as they end (cmd_record.c), keeps one per live traced
 * process, those still writing the logs of processes that ended, and the
 * free ones.
 *
 * A flusher is forked ahead and waits on a socketpair to be handed a
 * process: a fork, with the child's first writes to what it shares with
 * its parent, takes a good part of a millisecond on these machines, which
 * would delay the flusher of a short process past its end.  When its
 * process has ended and all is written, the flusher says so on the `done`
 * pipe and waits for the next: a build or a script of many short
 * processes is served by a few warm flushers, not a fork, its page faults
 * and its teardown each.  One that was stopped by a signal, or failed,
 * exits.
 *
 * A traced process does not wait for its flusher, so a loop of short ones
 * can run ahead of the flushers on a busy machine: when none is free, a
 * process waits in a queue here for one to be free again, and record
 * forks another only when the first in the queue has waited WAIT_FORK_MS
 * (a flusher that serves a long-lived process is not free before that
 * process ends), one per WAIT_FORK_MS at most, or while it has fewer than
 * SPARE_MAX flushers.  So the flushers stay a few, however far a busy
 * machine lets them lag.  When record cannot fork, the queue waits for
 * one to be free; when the queue is full, or record has no fds for one
 * more, it takes no more, and they wait in the socket's backlog: most
 * processes do not wait for an answer, and a refusal (or a hello whose
 * fds the kernel dropped) would lose what they recorded.
 *
 * While processes start one after another (a build, a script), record
 * looks at the socket every BURST_TICK_MS instead of sleeping on it: a
 * connect and a hello each wake a poll() that waits on the socket, and on
 * a virtual machine the wake-up is an interrupt sent to record's CPU,
 * which the starting process pays for (35 to 45 us each on a 2-CPU VM,
 * against 5 us for the call when nothing waits: a traced /bin/true's start
 * took 100 us less).  The process does not wait for record: a tick
 * delays only its flusher, which a process waits for when it ends with
 * events.  BURST_MS after the last process taken (two empty ticks),
 * record sleeps on the socket again, so an idle record costs nothing, and
 * one whose processes come tens of ms apart (a build's compilers) is
 * woken by each rather than ticking between them: with 50 ms, a make -j2
 * of this project woke record every 2 ms for its whole length, a third
 * of the build's context switches (45000 against 11000 untraced; 33000
 * with 5 ms), and a short process with events waited a tick at its end.
 *
 * A process that ended before its first event sends a closing hello, its
 * head with it (whyslow/serve.h): record writes its log at once, itself
 * (whyslow_write_closing()), in a pack of its own.  Handed to a flusher,
 * each such process (most of a build's) cost two context switches more,
 * on a virtual machine more than all the writing.
 *
 * A process is served only when it is of record's uid (another user's
 * process could otherwise have record write logs of its making, or fork
 * for it without end) and in record's pid namespace (the flusher reads its
 * /proc).  It may have ended by the time record reads its hello: it did
 * not wait (whyslow/serve.h).
 */
#include "cli/serve.h"

#include <whyslow/serve.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_FORK_MS  20 /* see above */
#define SPARE_MAX     4
#define QUEUE_MAX     256  /* processes waiting (each holds two fds here) */
#define REAP_MAX_MS   1000 /* for the free flushers to exit, at record's end */
#define BURST_TICK_MS 2    /* see above */
#define BURST_MS      5
#define SHORT_LOOK_MS 100 /* short of fds: how often to look for room again */

/* A flusher of ours: serving a process (busy) or waiting for one. */
struct flusher {
    pid_t pid;
    int ctl; /* our end of its socketpair: processes are handed over on it */
    int busy;
};

/* What a flusher is handed, with the memfd and the pidfd. */
struct handoff {
    struct ws_serve_hello hello;
    pid_t pid;
};

/* A process waiting for a free flusher: its region's memfd and its
 * pidfd. */
struct waiting {
    struct handoff ho;
    int memfd, pidfd;
    long long since_ms;
};

struct server {
    int listen_fd;
    int dirfd;
    char dir[4096];
    int (*serve)(int, int, const struct ws_serve_hello *, pid_t, int, const char *);
    int (*write_closing)(const struct ws_serve_hello *, const void *, size_t, pid_t, int,
                         const char *);
    uint8_t *msg; /* a hello, and the head of a closing one, as received */
    struct flusher *pool;
    size_t npool, cap;
    int done[2];        /* a pipe: flushers write their pid on it when they are free again */
    unsigned unwritten; /* processes whose log could not be made */
    unsigned untaken;   /* closing hellos not taken (their processes do not wait) */
    unsigned killed;    /* busy flushers a signal killed */
    unsigned lost;      /* processes that left (serve.h) and could not be served */
    int short_of_fds;   /* an accept or a hello found no room (server_accept()) */
    int held;           /* the connection whose hello waits for room, or -1 */
    uid_t uid;          /* ours: only a process of it is served */
    struct waiting queue[QUEUE_MAX]; /* a ring, oldest at head */
    size_t head, queued;
    long long forked_ms; /* when a flusher was last forked for them */
    long long taken_ms;  /* when a process was last taken (a burst) */
};

static void fork_flusher(struct server *s);

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
    s->write_closing = (int (*)(const struct ws_serve_hello *, const void *, size_t, pid_t, int,
                                const char *))dlsym(lib, "whyslow_write_closing");
    s->msg = malloc(sizeof(struct ws_serve_hello) + WS_SERVE_HEAD_MAX);
    if (!s->serve || !s->write_closing || !s->msg) {
        snprintf(msg, msglen,
                 s->msg ? "the recorder library has no whyslow_serve" : "out of memory");
        free(s->msg);
        free(s);
        return NULL;
    }
    s->dirfd = dirfd;
    s->uid = geteuid();
    s->done[0] = s->done[1] = -1;
    s->held = -1;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* An abstract name (no file to clean up, none to plant): unique by our
     * pid, and not guessable ahead by the time.  It says our uid too, by
     * which, and our pid, a process judges its hello as we will
     * (whyslow/serve.h). */
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "whyslow-%d-%u-%lx", (int)getpid(),
                     (unsigned)s->uid, (unsigned long)(ts.tv_nsec ^ ts.tv_sec * 2654435761u));
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, alen) != 0 ||
        listen(s->listen_fd, SOMAXCONN) != 0) {
        snprintf(msg, msglen, "cannot listen for the traced processes: %s", strerror(errno));
        if (s->listen_fd >= 0) close(s->listen_fd);
        free(s->msg);
        free(s);
        return NULL;
    }
    snprintf(name, len, "@%s", a.sun_path + 1);
    if (pipe2(s->done, O_CLOEXEC | O_NONBLOCK) != 0) s->done[0] = s->done[1] = -1;
    fork_flusher(s); /* for the first process */
    return s;
}

/* Whether n fds more can be opened (dups of fd, closed again): two
 * system calls each, so asked only where the kernel would not tell
 * (server_accept() says where).  We fork a flusher only with room for its
 * socketpair and one process more: the flushers, each an fd here for
 * good, must not take what a process needs to be taken. */
static int fds_free(int fd, int n)
{
    int got[5], k = 0;
    while (k < n && k < 5 && (got[k] = fcntl(fd, F_DUPFD_CLOEXEC, 0)) >= 0)
        k++;
    for (int i = 0; i < k; i++)
        close(got[i]);
    return k == n;
}

int server_fd(const struct server *s)
{
    if (s->queued >= QUEUE_MAX) return -1;
    if (!s->short_of_fds) return s->listen_fd;
    /* Room again for the held hello's fds (its connection is readable
     * while it waits), or for a connection and its hello's. */
    if (s->held >= 0) return fds_free(s->listen_fd, 2) ? s->held : -1;
    return fds_free(s->listen_fd, 3) ? s->listen_fd : -1;
}

int server_tick_ms(const struct server *s)
{
    return s->taken_ms && now_ms() - s->taken_ms < BURST_MS ? BURST_TICK_MS : -1;
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

    pid_t me = getpid(); /* said on the done pipe after each process */
    for (;;) {
        struct handoff ho;
        int fds[2]; /* the memfd, and the pidfd if it sent one */
        ssize_t got = ws_recv_fds(fd, &ho, sizeof ho, fds, 0);
        /* A process it had no fds for (its limit lowered from outside)
         * has no log, and record counts it as lost. */
        if (got < 0 && errno == EMFILE) _exit(WS_SERVE_LOST);
        if (got != (ssize_t)sizeof ho || fds[0] < 0) _exit(0);
        /* It closes both; it exits itself when it cannot serve again. */
        int rc = s->serve(fds[0], fds[1], &ho.hello, ho.pid, s->dirfd, s->dir);
        if (rc != 0 || s->done[1] < 0) _exit(rc == WS_SERVE_LOST ? rc : 0);
        sigprocmask(SIG_SETMASK, &all, NULL); /* while free, signals wait */
        if (write(s->done[1], &me, sizeof me) != (ssize_t)sizeof me) _exit(0);
    }
}

/* Forks a free flusher; quietly none if it cannot. */
static void fork_flusher(struct server *s)
{
    int sv[2];
    if (!fds_free(s->listen_fd, 5)) return; /* (see fds_free()) */
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

/* What a waiting process holds here. */
static void let_go(struct waiting *w)
{
    if (w->memfd >= 0) close(w->memfd);
    if (w->pidfd >= 0) close(w->pidfd);
}

static struct flusher *free_flusher(struct server *s)
{
    for (size_t i = 0; i < s->npool; i++)
        if (!s->pool[i].busy) return &s->pool[i];
    return NULL;
}

/* Hands w to a free flusher; 0, or -1 when there is none (or it died:
 * its end is reaped). */
static int hand_over(struct server *s, struct waiting *w)
{
    struct flusher *f = free_flusher(s);
    if (!f) return -1;
    int fds[2] = {w->memfd, w->pidfd};
    f->busy = 1;
    if (ws_send_fds(sendmsg, f->ctl, &w->ho, sizeof w->ho, fds, w->pidfd >= 0 ? 2 : 1) !=
        (ssize_t)sizeof w->ho) {
        close(f->ctl); /* it is gone, or going: reaped as it ends */
        f->ctl = -1;
        return -1;
    }
    let_go(w);
    return 0;
}

/* When another flusher may be forked for the waiting processes: once the
 * oldest has waited WAIT_FORK_MS, and WAIT_FORK_MS after the last one so
 * forked, so that a queue that grew while record was not running does
 * not make a flusher each. */
static long long fork_due(const struct server *s)
{
    long long since = s->queue[s->head].since_ms;
    return (since > s->forked_ms ? since : s->forked_ms) + WAIT_FORK_MS;
}

/* Marks free the flushers that said so on the done pipe.  Read before
 * each hand-over, not as each says it: record then wakes once per
 * process, for its hello, not twice. */
static void read_done(struct server *s)
{
    /* Many at a time: a read that returns less has emptied the pipe, and
     * each call is one to the kernel more for every process served. */
    pid_t pids[64];
    ssize_t got;
    do {
        got = read(s->done[0], pids, sizeof pids);
        for (ssize_t k = 0; k < got / (ssize_t)sizeof *pids; k++)
            for (size_t i = 0; i < s->npool; i++)
                if (s->pool[i].pid == pids[k] && s->pool[i].ctl >= 0) s->pool[i].busy = 0;
    } while (got == (ssize_t)sizeof pids);
}

/* Hands the waiting processes, oldest first, to free flushers, forking
 * one when they have waited long enough (fork_due()). */
static void dispatch(struct server *s)
{
    read_done(s);
    while (s->queued) {
        struct waiting *w = &s->queue[s->head];
        if (!free_flusher(s)) {
            if (s->npool >= SPARE_MAX && now_ms() < fork_due(s)) return;
            fork_flusher(s);
            s->forked_ms = now_ms();
            /* We cannot fork (out of processes, of memory): it waits for
             * a flusher to be free, or for the next try (fork_due()).
             * Refused, a process that left would have been lost; one
             * that waits for the answer gives up after a while, and
             * starts its own. */
            if (!free_flusher(s)) return;
            if (hand_over(s, w) != 0) continue; /* it is gone already: another */
        } else if (hand_over(s, w) != 0) {
            continue; /* that one was gone: another */
        }
        s->head = (s->head + 1) % QUEUE_MAX;
        s->queued--;
    }
    if (!free_flusher(s) && s->npool < SPARE_MAX) fork_flusher(s); /* for the next */
}

/* A hello of another version: its process waits for this answer. */
static void answer_other_version(int conn)
{
    struct ws_serve_reply r = {.magic = WS_SERVE_MAGIC, .status = EPROTO};
    send(conn, &r, sizeof r, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Whether a hello received (got bytes of it and what followed in
 * s->msg, with fds) is one this record serves. */
static int hello_ok(const struct ws_serve_hello *h, ssize_t got, const int fds[2])
{
    if (got < (ssize_t)sizeof *h || h->magic != WS_SERVE_MAGIC || h->version != WS_SERVE_VERSION)
        return 0;
    if (h->closing) /* no region: the head follows */
        return fds[0] < 0 && h->head_len <= WS_SERVE_HEAD_MAX &&
               (size_t)got == sizeof *h + h->head_len;
    return got == (ssize_t)sizeof *h && fds[0] >= 0 && ws_serve_head_ok(h);
}

/* One process asking: its hello, its region's memfd and its pidfd (or
 * the head of a closing hello), put in the queue; 1 when taken or
 * refused.  The hello is read with MSG_PEEK: it stays in the connection
 * until we close it, so one that finds no room here, for its fds or for
 * the log of a closing one, is not lost with them, and 0 says so: the
 * connection is then held until there is room (server_fd()). */
static int take_one(struct server *s, int conn)
{
    struct ucred cred;
    socklen_t clen = sizeof cred;
    struct ws_serve_hello h;
    int fds[2];
    size_t cap = sizeof h + WS_SERVE_HEAD_MAX;
    /* It sends right after its connect: the hello is there, but for a
     * race that a short wait covers. */
    ssize_t got = ws_recv_fds(conn, s->msg, cap, fds, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        struct timeval tv = {0, 200000};
        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        got = ws_recv_fds(conn, s->msg, cap, fds, MSG_PEEK);
    }
    int cut = got < 0 && errno == EMFILE;
    memset(&h, 0, sizeof h);
    if (got > 0) memcpy(&h, s->msg, (size_t)got < sizeof h ? (size_t)got : sizeof h);
    int ok = hello_ok(&h, got, fds);
    /* Its fds did not fit, or a closing one's log would not (record
     * writes it, an fd or two): it waits.  (With room, a hello whose fds
     * were cut sent more than ours do: refused below.) */
    if ((cut || (ok && h.closing)) && !fds_free(conn, 2)) {
        s->held = conn;
        s->short_of_fds = 1;
        return 0;
    }
    if (!ok) {
        if (h.magic == WS_SERVE_MAGIC && h.version == WS_SERVE_VERSION && h.closing)
            s->untaken++; /* a closing hello cut or grown: no one to tell */
        else
            answer_other_version(conn);
    } else {
        int err = 0;
        if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0)
            err = errno;
        else if (cred.uid != s->uid || cred.pid != h.pid)
            err = EPERM;
        if (h.closing) {
            /* Its process does not wait for an answer.  Another user's,
             * or another pid namespace's, is not ours to count. */
            int rc = err ? WS_SERVE_BAD_HEAD
                         : s->write_closing(&h, s->msg + sizeof h, h.head_len, cred.pid, s->dirfd,
                                            s->dir);
            if (rc == WS_SERVE_NO_LOG) s->unwritten++;
            if (rc == WS_SERVE_BAD_HEAD && err != EPERM) s->untaken++;
        } else if (err) {
            s->lost += ws_serve_refuse(fds[0], h.head, err);
        } else {
            struct waiting *w = &s->queue[(s->head + s->queued++) % QUEUE_MAX];
            *w = (struct waiting){.ho = {.hello = h, .pid = cred.pid},
                                  .memfd = fds[0],
                                  .pidfd = fds[1],
                                  .since_ms = now_ms()};
            fds[0] = fds[1] = -1; /* the queue's now */
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) close(fds[i]);
    close(conn); /* (its hello, still there, goes with it) */
    return 1;
}

/*
 * Takes no process while the queue is full, or while we have no fds for
 * it: those that ask meanwhile wait in the socket's backlog (their hellos,
 * their regions' memfds with them) until a flusher is free again, and a
 * process whose connect finds that full too has a flusher of its own.
 * Refused instead, a process that left without waiting would have been
 * lost; taken without room, its hello's fds would be dropped by the
 * kernel (under an fd limit of 40, 66 of 121 processes had no log).
 *
 * Whether there is room, the kernel says: an accept without an fd fails
 * (EMFILE) and leaves the connection in the backlog, and a hello's fds
 * that do not fit are cut from a read that only peeks (take_one()).  Only
 * then is room looked for ahead (fds_free(), server_fd()) until there is
 * some again.  Looked for before each accept and at each turn of record's
 * loop, it was 10 of the 22 system calls record made for each process of
 * a loop of `cat`.
 */
void server_accept(struct server *s)
{
    if (s->short_of_fds) {
        if (server_fd(s) < 0) {
            dispatch(s); /* (which may make room) */
            return;
        }
        s->short_of_fds = 0;
        int held = s->held;
        s->held = -1;
        if (held >= 0 && !take_one(s, held)) {
            dispatch(s);
            return;
        }
    }
    while (s->queued < QUEUE_MAX) {
        int conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EMFILE || errno == ENFILE) s->short_of_fds = 1;
            break;
        }
        int taken = take_one(s, conn);
        s->taken_ms = now_ms();
        if (!taken) break;
    }
    dispatch(s);
}

int server_done_fd(const struct server *s)
{
    return s->done[0];
}

void server_take_done(struct server *s)
{
    dispatch(s); /* (which reads the pipe first) */
}

int server_wait_ms(const struct server *s)
{
    /* Short of fds, record looks for room again now and then: nothing
     * here may free one (an empty queue), and a limit raised from outside
     * says nothing. */
    int most = s->short_of_fds ? SHORT_LOOK_MS : -1;
    if (!s->queued) return most;
    long long left = fork_due(s) - now_ms();
    int ms = left > 0 ? (int)left : 0;
    return most >= 0 && most < ms ? most : ms;
}

int server_reaped(struct server *s, pid_t pid, int status)
{
    for (size_t i = 0; i < s->npool; i++)
        if (s->pool[i].pid == pid) {
            if (s->pool[i].busy && WIFEXITED(status) && WEXITSTATUS(status) == WS_SERVE_NO_LOG)
                s->unwritten++;
            /* A flusher killed (the OOM killer, kill -9) while it held its
             * process's log in memory (preload/logpack.c) lost it. */
            if (s->pool[i].busy && WIFSIGNALED(status)) s->killed++;
            if (s->pool[i].busy && WIFEXITED(status) && WEXITSTATUS(status) == WS_SERVE_LOST)
                s->lost++;
            if (s->pool[i].ctl >= 0) close(s->pool[i].ctl);
            s->pool[i] = s->pool[--s->npool];
            return 1;
        }
    return 0;
}

size_t server_flushers(const struct server *s)
{
    size_t busy = s->queued + (s->held >= 0);
    for (size_t i = 0; i < s->npool; i++)
        busy += s->pool[i].busy;
    return busy;
}

unsigned server_unwritten(const struct server *s)
{
    return s->unwritten;
}

unsigned server_untaken(const struct server *s)
{
    return s->untaken;
}

unsigned server_killed(const struct server *s)
{
    return s->killed;
}

unsigned server_lost(const struct server *s)
{
    return s->lost;
}

int server_left_asking(const struct server *s)
{
    struct pollfd p = {.fd = s->listen_fd, .events = POLLIN};
    return s->held >= 0 || (s->short_of_fds && poll(&p, 1, 0) == 1);
}

/* Reaps a flusher that is exiting, waiting until `until` (ms) at most.
 * Its pidfd says when it ended (Linux 5.3): sleeping a millisecond
 * between looks, as without one, kept every record a millisecond longer
 * than its program. */
static void reap_by(pid_t pid, long long until)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    while (waitpid(pid, NULL, WNOHANG | __WALL) == 0) {
        long long left = until - now_ms();
        if (left <= 0) break;
        if (fd < 0 || poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, (int)left) < 0)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    if (fd >= 0) close(fd);
}

void server_free(struct server *s)
{
    if (!s) return;
    for (; s->queued; s->queued--, s->head = (s->head + 1) % QUEUE_MAX)
        let_go(&s->queue[s->head]);
    if (s->held >= 0) close(s->held);
    /* Each flusher reads the end of its socketpair and exits, once done. */
    for (size_t i = 0; i < s->npool; i++)
        if (s->pool[i].ctl >= 0) close(s->pool[i].ctl);
    /* The free ones exit at once: reap them, so that record leaves no
     * process behind (an orphan's zombie waits for init, which in a
     * container may never reap it, and keeps a cgroup busy meanwhile).
     * One still writing after record's wait is left to finish. */
    long long until = now_ms() + REAP_MAX_MS;
    for (size_t i = 0; i < s->npool; i++)
        if (!s->pool[i].busy) reap_by(s->pool[i].pid, until);
    if (s->done[0] >= 0) close(s->done[0]);
    if (s->done[1] >= 0) close(s->done[1]);
    close(s->listen_fd);
    free(s->pool);
    free(s->msg);
    free(s);
}
