/* SPDX-License-Identifier: MIT */
/*
 * serve.h - how `whyslow record` writes the logs of the processes it
 * traces: the contract between record and libwhyslow.so for served
 * flushers (preload/launch.c starts one, preload/serve.c is one,
 * decoder/cli/serve.c serves them).
 *
 * Why: a flusher that is a process of the program's own tree is seen by
 * whatever reaps orphans above it (PID 1 of a container, a subreaper), and
 * costs each process a clone.  Forked by record instead, it is in no
 * traced process's tree.
 *
 * record listens on an abstract unix socket (SOCK_SEQPACKET) and names it
 * in WHYSLOW_SOCK ("@" and the name) in the environment of the command it
 * runs.  A traced process, at its first event (of its image, or in the
 * child of fork()), connects and sends one message: a struct
 * ws_serve_hello, with the memfd of its shared region and a pidfd of
 * itself (SCM_RIGHTS), then closes the socket and goes on: it does not
 * wait for an answer, which a short process would spend most of its life
 * on.  A process whose image ends by exit or _exit before its first event
 * (most short processes of a build or a script: true, cmake -E, as) has
 * no region: it sends a closing hello instead, with no fds, followed by
 * head_len bytes, the start of the head its region would hold at its end
 * (struct ws_shared in preload/internal.h, up to the end of its command
 * line: the library's own layout, as the region is), and record writes
 * its log from that copy, at once, itself.  A closing hello record cannot take (or
 * read) is counted as a process not recorded; one from another uid or
 * pid namespace is not record's, and is dropped.  A process killed before
 * its first event sends nothing and has no log.  (A reaper, launch.c,
 * sends its hello at its start.)  What its flusher could not
 * read in /proc once the process is gone or has exec'd (its executable,
 * its arguments) it put in the region first; at its end, one that
 * recorded events puts there its memory map and its threads' names too,
 * when they fit, and goes without waiting for its flusher.  The answer comes in the
 * region: the first word of its head (struct ws_serve_status), at the
 * offset the hello gives, says whether a flusher took it.  record serves
 * only a process of its own uid and pid namespace (SO_PEERCRED; a pid the
 * process does not see as its own is another namespace's); a flusher it
 * forked ahead maps the region (in a place it keeps for them, or at the
 * address the process has it: addr below), sets the word to WS_SERVED,
 * and creates the log in record's log directory (when it cannot, it
 * exits with WS_SERVE_NO_LOG, which record reports).
 * When record cannot serve, it (or the flusher) sets the word to the errno
 * value, negated.
 *
 * The process looks at the word only when something would be lost without
 * a flusher: at its end (exit, _exit, exec) once it recorded events.  The
 * name of record's socket, "whyslow-PID-UID-..." (its pid and effective
 * uid, in decimal), lets the process judge its hello as record will:
 * connected, it asks the kernel for record's pid (SO_PEERCRED, which gives
 * it in the asker's pid namespace, 0 where record is not in sight); one
 * that sees another pid than the name's is in another pid namespace, sends
 * no hello (it closes the connection), and starts a flusher of its own at
 * its first event.  At exit or _exit, once it put its memory map and its
 * threads' names in the region, a process whose hello went with record's
 * euid and pid namespace need not wait for an answer while record is there
 * (kill 0): it sets the word to WS_SERVE_LEFT by compare-and-swap and
 * goes.  A flusher takes a left region as any other, and one that record
 * refuses all the same is counted as a process not recorded
 * (ws_serve_refuse()).  Otherwise it waits at most WS_SERVE_TIMEOUT_MS for
 * an answer (not at all when record is gone); if there is none, it takes
 * the word (WS_SERVE_GIVEN_UP, so that a flusher that comes late leaves it
 * alone) and, like a process that was refused, starts a flusher of its
 * own, which writes all it recorded.  A process that cannot make a pidfd
 * (a kernel before 5.3), or a reaper (launch.c), waits for the answer when
 * it sends its hello.
 *
 * Once the process ended and all is written, the flusher waits to be
 * handed another (decoder/cli/serve.c).  A hello of another version of
 * this contract is answered on the socket, with a struct ws_serve_reply
 * (EPROTO), which a process of that version waits for.
 */
#ifndef WHYSLOW_SERVE_H
#define WHYSLOW_SERVE_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define WS_SERVE_ENV        "WHYSLOW_SOCK"
#define WS_SERVE_MAGIC      0x57535356u /* "VSSW" */
#define WS_SERVE_VERSION    9
#define WS_SERVE_HEAD_MAX   (1u << 17) /* a closing hello's head_len, at most */
#define WS_SERVE_TIMEOUT_MS 2000
#define WS_SERVE_NO_LOG     3 /* a flusher's exit status: it could not create the log */
#define WS_SERVE_BAD_HEAD   4 /* whyslow_write_closing(): a head it could not take */
#define WS_SERVE_LOST       5 /* a flusher's exit status: it refused a process that had left */

/* The first word of a served process's region's head: the answer. */
struct ws_serve_status {
    _Atomic int32_t word; /* a futex */
};
#define WS_SERVE_PENDING  0 /* no answer yet */
#define WS_SERVED         1 /* a flusher took the region */
#define WS_SERVE_GIVEN_UP 2 /* the process waited in vain: it has a flusher of its own */
#define WS_SERVE_LEFT     3 /* the process went without waiting: record will serve it */
/* else -errno: refused */

struct ws_serve_hello {
    uint32_t magic, version;
    uint64_t addr, size; /* the region: where the process maps it, its size */
    uint64_t head;       /* where its head is in it (page-aligned) */
    uint32_t nbufs;      /* buffers in it */
    int32_t pid;         /* the process's pid, as it sees it */
    uint32_t closing;    /* 1: a closing hello (addr, size and head 0), see above */
    uint32_t head_len;   /* a closing hello: the bytes of its head that follow */
};

/* Whether the head a hello names lies in its region, where a page of it
 * can be mapped. */
static inline int ws_serve_head_ok(const struct ws_serve_hello *h)
{
    return h->head % 4096 == 0 && h->head < h->size && h->size - h->head >= 4096;
}

/* Only to a hello of another version (see above). */
struct ws_serve_reply {
    uint32_t magic;
    int32_t status; /* an errno value */
    int32_t flusher_pid;
};

/* Sends msg[0..len) with nfds (at most 2) fds over a unix socket, as
 * both sides do (the hello with its memfd and pidfd, record's hand-over to
 * a spare flusher), with send_msg (sendmsg, or for the library the real
 * one: its own wrapper's page is one a traced process need not touch);
 * what it returns. */
static inline ssize_t ws_send_fds(ssize_t (*send_msg)(int, const struct msghdr *, int), int sock,
                                  const void *msg, size_t len, const int *fds, int nfds)
{
    struct iovec iov = {(void *)msg, len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } c;
    memset(&c, 0, sizeof c);
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = c.buf,
                       .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    /* Two stores, kept apart: merged, they would be one 8-byte constant
     * the compiler reads from .rodata, a page the start of a traced
     * process would fault in for it alone. */
    cm->cmsg_level = SOL_SOCKET;
    __asm__ volatile("" ::: "memory");
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
    return send_msg(sock, &m, MSG_NOSIGNAL);
}

/* Receives at most len bytes into msg and up to 2 fds (the rest of fds is
 * -1), as both receivers do (record the hello, a spare flusher its
 * hand-over), with recvmsg()'s flags; what it returns, after EINTR.  -1
 * with errno EMFILE when the fds did not all come (MSG_CTRUNC: the
 * receiver had no room for them, or more than 2 were sent): those that
 * came are closed. */
static inline ssize_t ws_recv_fds(int sock, void *msg, size_t len, int fds[2], int flags)
{
    struct iovec iov = {msg, len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } c;
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf};
    ssize_t got;
    while ((got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags)) < 0 && errno == EINTR)
        ;
    fds[0] = fds[1] = -1;
    struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
        cm->cmsg_len >= CMSG_LEN(sizeof(int)) && cm->cmsg_len <= CMSG_LEN(2 * sizeof(int)))
        memcpy(fds, CMSG_DATA(cm), cm->cmsg_len - CMSG_LEN(0));
    if (got >= 0 && (m.msg_flags & MSG_CTRUNC)) {
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) close(fds[i]);
        fds[0] = fds[1] = -1;
        errno = EMFILE;
        return -1;
    }
    return got;
}

/* Refuses a process: the errno value err, in the first word of the head
 * of the region memfd holds (at offset head; a mapping of its own,
 * wherever it lands), unless the process already gave up waiting or
 * left; and wakes the process.  1 when it had left (WS_SERVE_LEFT):
 * nobody will write what it recorded, and the caller counts it. */
static inline int ws_serve_refuse(int memfd, uint64_t head, int err)
{
    struct ws_serve_status *st =
        mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, (off_t)head);
    if (st == MAP_FAILED) { /* it waits in vain, and goes on by itself, unless it left */
        int32_t word = 0;
        return pread(memfd, &word, sizeof word, (off_t)head) == (ssize_t)sizeof word &&
               word == WS_SERVE_LEFT;
    }
    int32_t pending = WS_SERVE_PENDING;
    atomic_compare_exchange_strong(&st->word, &pending, -err);
    syscall(SYS_futex, &st->word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
    munmap(st, sizeof *st);
    return pending == WS_SERVE_LEFT;
}

/*
 * Exported by libwhyslow.so for record, which loads it with dlopen (with
 * WHYSLOW_HOST set, so that it records nothing of record itself).
 */

/* The log directory, made if missing (make) and checked as the recorder
 * checks it (preload/logfile.c); returns an fd, or -1 with why in msg. */
int whyslow_logdir_open(const char *path, int make, char *msg, size_t len);

/* The recorder's settings in this environment (WHYSLOW_*): 0, or -1 with
 * what is wrong in msg. */
int whyslow_settings(char *msg, size_t len);

/* In a child record forked for it: serves the process pid (as record's
 * /proc names it) that sent hello with memfd and pidfd (-1 if it sent
 * none; both closed here), writing its log in dirfd (dir in messages),
 * until that process ended and all is written.  Returns 0 when it may
 * serve another, -1 when it must exit (it could not serve this one, or a
 * signal stopped it), WS_SERVE_LOST when it could not serve a process
 * that had left (record counts it); exits itself with WS_SERVE_NO_LOG
 * when it could not create the log. */
int whyslow_serve(int memfd, int pidfd, const struct ws_serve_hello *hello, pid_t pid, int dirfd,
                  const char *dir);

/* In record itself: the log of the process that sent a closing hello and
 * the len bytes of head that followed it (it has ended, or is about to),
 * written at once in dirfd.  Returns 0, WS_SERVE_NO_LOG when the log
 * could not be made, or WS_SERVE_BAD_HEAD when the head is not one. */
int whyslow_write_closing(const struct ws_serve_hello *hello, const void *head, size_t len,
                          pid_t pid, int dirfd, const char *dir);

#endif
