/* SPDX-License-Identifier: MIT */
/*
 * wrap_io.c - the I/O calls: reads, writes, sockets, opens, syncs, waits.
 *
 * Every wrapper has the same shape: if this thread may not record, call
 * the real function and nothing else; otherwise stamp, call, stamp, and
 * append one record.  errno is read only when the call failed and is left
 * as the real call set it.  The fortified forms (__read_chk, ...) that
 * Debian's programs call are wrapped too, and recorded under the plain
 * call's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/wait.h>

#include "internal.h"

/* A call on fd returned r: describe fd if it was new, then record with
 * obj (the fd itself, or a count for a call on no fd).  The globals it
 * needs (the stack threshold, whether fd is known) were read before the
 * call (ws_emit_at()).  A call that took an eighth of the stack
 * threshold (125 us by default) gets its Python site; a slow one its
 * stacks (stack.c). */
static inline __attribute__((always_inline)) void
io_event(struct ws_thread *t, unsigned call, int fd, int64_t obj, int64_t r, uint64_t start,
         uint64_t end, uint64_t caller, uint64_t slow, int known)
{
    uint32_t err = r < 0 ? (uint32_t)errno : 0;
    if (!known) ws_fd_describe(t, fd, start);
    /* Long enough to be among the slowest, too short to keep stacks: in
     * a Python program, where in its Python code. */
    if (unlikely(end - start >= slow >> 3) && end - start < slow) ws_py_note_site(t, start);
    ws_emit_at(t, call, err, obj, r, start, end, caller, slow);
}

/* Whether iovecs ask for any byte (a read of none returns 0 too). */
static inline int iov_wanted(const struct iovec *iov, size_t cnt)
{
    for (size_t i = 0; iov && i < cnt; i++)
        if (iov[i].iov_len) return 1;
    return 0;
}

/* The wrapper of a call whose result is a count or -1: on fd (-1: none,
 * nothing to describe), recorded with obj, read before the call.  A
 * call that waits says so in its thread's slot meanwhile (constant per
 * call: no cost to the others).  On a stream socket whose bytes http.c
 * follows, `bytes` (a statement) hands it what the call moved: its record
 * comes after the call's. */
#define WRAP_BYTES(ret, name, call, params, args, fd, obj, bytes)                                  \
    WS_REAL(name);                                                                                 \
    WS_EXPORT ret name params                                                                      \
    {                                                                                              \
        struct ws_thread *t = ws_enter();                                                          \
        if (!t) return REAL(name) args;                                                            \
        int tsc = ws_clock_tsc;                                                                    \
        unsigned state = ws_fd_state(fd);                                                          \
        uint64_t slow = ws_stack_threshold();                                                      \
        int64_t o = (obj);                                                                         \
        uint64_t s = ws_stamp(tsc);                                                                \
        if (ws_call_flags(call) & WS_CALL_WAITS) ws_wait_begin(t, call, o, s, WS_CALLER);          \
        ret r = real_##name args;                                                                  \
        uint64_t e = ws_stamp(tsc);                                                                \
        if (ws_call_flags(call) & WS_CALL_WAITS) ws_wait_end(t);                                   \
        io_event(t, call, fd, o, (int64_t)r, s, e, WS_CALLER, slow, state != 0);                   \
        if (unlikely(state & WS_FD_WATCH)) {                                                       \
            int err = errno;                                                                       \
            bytes;                                                                                 \
            errno = err;                                                                           \
        }                                                                                          \
        return r;                                                                                  \
    }
#define WRAP_OBJ(ret, name, call, params, args, fd, obj)                                           \
    WRAP_BYTES(ret, name, call, params, args, fd, obj, (void)0)

/* A call on an fd, recorded with it. */
#define WRAP_FD(ret, name, call, params, args, fd) WRAP_OBJ(ret, name, call, params, args, fd, fd)

/* Calls that may move bytes of a stream socket: what they read (0 when
 * something was asked for: the peer's end) or wrote, to http.c.  A peek
 * leaves the bytes for the next read; MSG_TRUNC drops them unread (the
 * buffer may be smaller than what was read: they are only counted).
 * Returns whether the bytes read are to be followed. */
static inline int read_follows(struct ws_thread *t, int fd, ssize_t r, int flags, int wanted,
                               uint64_t s, uint64_t e, uint64_t caller)
{
    if (r > 0 && (flags & MSG_PEEK)) return 0;
    if (r > 0 && (flags & MSG_TRUNC))
        ws_http_skip(t, fd, WS_HTTP_IN, (size_t)r, s, e, caller);
    else if (r == 0 && wanted)
        ws_http_eof(t, fd, s, e, caller);
    return r > 0 && !(flags & MSG_TRUNC);
}
#define READ_BYTES(buf, flags, want)                                                               \
    do {                                                                                           \
        if (read_follows(t, fd, r, flags, (want) > 0, s, e, WS_CALLER))                            \
            ws_http_bytes(t, fd, WS_HTTP_IN, buf, (size_t)r, s, e, WS_CALLER);                     \
    } while (0)
#define WRITE_BYTES(buf)                                                                           \
    do {                                                                                           \
        if (r > 0) ws_http_bytes(t, fd, WS_HTTP_OUT, buf, (size_t)r, s, e, WS_CALLER);             \
    } while (0)
#define READ_IOV(iov, cnt, flags)                                                                  \
    do {                                                                                           \
        if (read_follows(t, fd, r, flags, r == 0 && iov_wanted(iov, (size_t)(cnt)), s, e,          \
                         WS_CALLER))                                                               \
            ws_http_iov(t, fd, WS_HTTP_IN, iov, (size_t)(cnt), (size_t)r, s, e, WS_CALLER);        \
    } while (0)
#define WRITE_IOV(iov, cnt)                                                                        \
    do {                                                                                           \
        if (r > 0)                                                                                 \
            ws_http_iov(t, fd, WS_HTTP_OUT, iov, (size_t)(cnt), (size_t)r, s, e, WS_CALLER);       \
    } while (0)

WRAP_BYTES(ssize_t, read, WS_READ, (int fd, void *buf, size_t n), (fd, buf, n), fd, fd,
           READ_BYTES(buf, 0, n))
WRAP_BYTES(ssize_t, write, WS_WRITE, (int fd, const void *buf, size_t n), (fd, buf, n), fd, fd,
           WRITE_BYTES(buf))
WRAP_FD(ssize_t, pread64, WS_PREAD, (int fd, void *buf, size_t n, off64_t off), (fd, buf, n, off),
        fd)
WRAP_FD(ssize_t, pread, WS_PREAD, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off), fd)
WRAP_FD(ssize_t, pwrite, WS_PWRITE, (int fd, const void *buf, size_t n, off_t off),
        (fd, buf, n, off), fd)
WRAP_FD(ssize_t, pwrite64, WS_PWRITE, (int fd, const void *buf, size_t n, off64_t off),
        (fd, buf, n, off), fd)
WRAP_BYTES(ssize_t, readv, WS_READV, (int fd, const struct iovec *iov, int n), (fd, iov, n), fd, fd,
           READ_IOV(iov, n > 0 ? n : 0, 0))
WRAP_BYTES(ssize_t, writev, WS_WRITEV, (int fd, const struct iovec *iov, int n), (fd, iov, n), fd,
           fd, WRITE_IOV(iov, n > 0 ? n : 0))
WRAP_BYTES(ssize_t, send, WS_SEND, (int fd, const void *buf, size_t n, int flags),
           (fd, buf, n, flags), fd, fd, WRITE_BYTES(buf))
WRAP_BYTES(ssize_t, recv, WS_RECV, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags),
           fd, fd, READ_BYTES(buf, flags, n))
WRAP_BYTES(ssize_t, sendto, WS_SENDTO,
           (int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t tl),
           (fd, buf, n, flags, to, tl), fd, fd, WRITE_BYTES(buf))
WRAP_BYTES(ssize_t, recvfrom, WS_RECVFROM,
           (int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *fl),
           (fd, buf, n, flags, from, fl), fd, fd, READ_BYTES(buf, flags, n))
WRAP_BYTES(ssize_t, sendmsg, WS_SENDMSG, (int fd, const struct msghdr *m, int flags),
           (fd, m, flags), fd, fd, WRITE_IOV(m ? m->msg_iov : NULL, m ? m->msg_iovlen : 0))
WRAP_BYTES(ssize_t, recvmsg, WS_RECVMSG, (int fd, struct msghdr *m, int flags), (fd, m, flags), fd,
           fd, READ_IOV(m ? m->msg_iov : NULL, m ? m->msg_iovlen : 0, flags))
WRAP_FD(int, fsync, WS_FSYNC, (int fd), (fd), fd)
WRAP_FD(int, fdatasync, WS_FDATASYNC, (int fd), (fd), fd)
WRAP_FD(int, epoll_wait, WS_EPOLL_WAIT, (int ep, struct epoll_event *ev, int n, int ms),
        (ep, ev, n, ms), ep)
WRAP_FD(int, epoll_pwait, WS_EPOLL_PWAIT,
        (int ep, struct epoll_event *ev, int n, int ms, const sigset_t *ss), (ep, ev, n, ms, ss),
        ep)
/* The descriptors a select() is given, counted before the call changes
 * the sets (0: it only sleeps, as PostgreSQL's pg_usleep does). */
static int fds_given(int n, const fd_set *rd, const fd_set *wr, const fd_set *ex)
{
    int count = 0;
    if (n > FD_SETSIZE) n = FD_SETSIZE;
    for (int fd = 0; fd < n; fd++)
        count += (rd && FD_ISSET(fd, rd)) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex));
    return count;
}

/* The record's obj: how many descriptors it was given (0: a sleep). */
WRAP_OBJ(int, poll, WS_POLL, (struct pollfd * fds, nfds_t n, int ms), (fds, n, ms), -1, (int64_t)n)
WRAP_OBJ(int, ppoll, WS_PPOLL,
         (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss),
         (fds, n, ts, ss), -1, (int64_t)n)
WRAP_OBJ(int, select, WS_SELECT, (int n, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv),
         (n, rd, wr, ex, tv), -1, fds_given(n, rd, wr, ex))

/* A record of a call with aux fields (WS_CALL_HAS_AUX): they are all its
 * payload. */
static void aux_event(struct ws_thread *t, unsigned call, int err, int64_t obj, int64_t r,
                      uint64_t s, uint64_t e, uint64_t caller, uint64_t aux1, uint64_t aux2)
{
    uint8_t *p = ws_emit_reserve(t, call, (uint32_t)err, obj, r, s, e, caller, 16);
    if (!p) return;
    uint64_t aux[2] = {aux1, aux2};
    __builtin_memcpy(p, aux, 16);
    ws_emit_commit();
}

/* epoll_ctl: which fds an epoll set watches, so that the decoder knows
 * what a loop waits on.  The record is on the fd (described when new),
 * with the epoll fd and the op in its aux fields. */
WS_REAL(epoll_ctl);
WS_EXPORT int epoll_ctl(int ep, int op, int fd, struct epoll_event *event)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(epoll_ctl)(ep, op, fd, event);
    int known = ws_fd_is_known(fd);
    uint64_t s = ws_now();
    int r = real_epoll_ctl(ep, op, fd, event);
    uint64_t e = ws_now();
    int err = r < 0 ? errno : 0;
    if (!known) ws_fd_describe(t, fd, s);
    aux_event(t, WS_EPOLL_CTL, err, fd, r, s, e, WS_CALLER, (uint64_t)(int64_t)ep,
              (uint64_t)(int64_t)op);
    if (err) errno = err;
    return r;
}
/* socketpair: which two fds are the ends of one pair, so that the decoder
 * knows a write on one wakes a loop that watches the other (asyncio's
 * self-pipe).  The record is on the first, with the second in aux1. */
WS_REAL(socketpair);
WS_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(socketpair)(domain, type, protocol, sv);
    uint64_t s = ws_now();
    int r = real_socketpair(domain, type, protocol, sv);
    uint64_t e = ws_now();
    int err = r < 0 ? errno : 0;
    aux_event(t, WS_SOCKETPAIR, err, r == 0 ? sv[0] : -1, r, s, e, WS_CALLER,
              (uint64_t)(r == 0 ? (int64_t)sv[1] : -1), 0);
    if (err) errno = err;
    return r;
}

WRAP_FD(int, nanosleep, WS_NANOSLEEP, (const struct timespec *req, struct timespec *rem),
        (req, rem), -1)

/* usleep() and sleep() sleep through libc's own nanosleep, unseen by
 * the wrapper above: recorded as nanosleep. */
WRAP_FD(int, usleep, WS_NANOSLEEP, (useconds_t us), (us), -1)
WRAP_FD(unsigned, sleep, WS_NANOSLEEP, (unsigned secs), (secs), -1)

/* Waits for a signal or a child.  glibc's wait() waits in its own
 * wait4, which the wrapper of wait4 does not see: each form is wrapped. */
WRAP_FD(int, sigsuspend, WS_SIGSUSPEND, (const sigset_t *set), (set), -1)
WRAP_FD(int, pause, WS_PAUSE, (void), (), -1)
WRAP_FD(int, sigwaitinfo, WS_SIGWAITINFO, (const sigset_t *set, siginfo_t *info), (set, info), -1)
WRAP_FD(int, sigtimedwait, WS_SIGWAITINFO,
        (const sigset_t *set, siginfo_t *info, const struct timespec *ts), (set, info, ts), -1)
WRAP_FD(pid_t, wait, WS_WAITPID, (int *status), (status), -1)
WRAP_FD(pid_t, waitpid, WS_WAITPID, (pid_t pid, int *status, int options), (pid, status, options),
        -1)
WRAP_FD(pid_t, wait3, WS_WAITPID, (int *status, int options, struct rusage *ru),
        (status, options, ru), -1)
WRAP_FD(pid_t, wait4, WS_WAITPID, (pid_t pid, int *status, int options, struct rusage *ru),
        (pid, status, options, ru), -1)
WRAP_FD(int, waitid, WS_WAITID, (idtype_t type, id_t id, siginfo_t *info, int options),
        (type, id, info, options), -1)

/* sigwait returns its error rather than setting errno. */
WS_REAL(sigwait);
WS_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(sigwait)(set, sig);
    uint64_t s = ws_now();
    ws_wait_begin(t, WS_SIGWAIT, -1, s, WS_CALLER);
    int r = real_sigwait(set, sig);
    uint64_t e = ws_now();
    ws_wait_end(t);
    ws_emit(t, WS_SIGWAIT, (uint32_t)r, -1, r, s, e, WS_CALLER, NULL, 0);
    return r;
}

/* The fortified forms, as _FORTIFY_SOURCE builds call them. */
WRAP_BYTES(ssize_t, __read_chk, WS_READ, (int fd, void *buf, size_t n, size_t bl), (fd, buf, n, bl),
           fd, fd, READ_BYTES(buf, 0, n))
WRAP_FD(ssize_t, __pread64_chk, WS_PREAD, (int fd, void *buf, size_t n, off64_t off, size_t bl),
        (fd, buf, n, off, bl), fd)
WRAP_BYTES(ssize_t, __recv_chk, WS_RECV, (int fd, void *buf, size_t n, size_t bl, int flags),
           (fd, buf, n, bl, flags), fd, fd, READ_BYTES(buf, flags, n))
WRAP_BYTES(ssize_t, __recvfrom_chk, WS_RECVFROM,
           (int fd, void *buf, size_t n, size_t bl, int flags, struct sockaddr *from,
            socklen_t *fl),
           (fd, buf, n, bl, flags, from, fl), fd, fd, READ_BYTES(buf, flags, n))
WRAP_OBJ(int, __poll_chk, WS_POLL, (struct pollfd * fds, nfds_t n, int ms, size_t fl),
         (fds, n, ms, fl), -1, (int64_t)n)
WRAP_OBJ(int, __ppoll_chk, WS_PPOLL,
         (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss, size_t fl),
         (fds, n, ts, ss, fl), -1, (int64_t)n)

/* clock_nanosleep returns its error rather than setting errno. */
WS_REAL(clock_nanosleep);
WS_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(clock_nanosleep)(clk, flags, req, rem);
    uint64_t s = ws_now();
    ws_wait_begin(t, WS_CLOCK_NANOSLEEP, -1, s, WS_CALLER);
    int r = real_clock_nanosleep(clk, flags, req, rem);
    uint64_t e = ws_now();
    ws_wait_end(t);
    ws_emit(t, WS_CLOCK_NANOSLEEP, (uint32_t)r, -1, r, s, e, WS_CALLER, NULL, 0);
    return r;
}

/* sendfile and splice: bytes written to out (a socket, most often) from
 * in without passing through the program; what http.c follows of a
 * response's body (nginx sends files so).  Recorded on out, in in aux1. */
static void moved(struct ws_thread *t, unsigned call, int in, int out, ssize_t r, uint64_t s,
                  uint64_t e, uint64_t caller, unsigned in_state, unsigned out_state)
{
    int err = r < 0 ? errno : 0;
    if (!out_state) ws_fd_describe(t, out, s);
    if (!in_state) ws_fd_describe(t, in, s);
    aux_event(t, call, err, out, r, s, e, caller, (uint64_t)(int64_t)in, 0);
    if (r > 0 && (out_state & WS_FD_WATCH))
        ws_http_skip(t, out, WS_HTTP_OUT, (size_t)r, s, e, caller);
    if (r > 0 && (in_state & WS_FD_WATCH)) ws_http_skip(t, in, WS_HTTP_IN, (size_t)r, s, e, caller);
    if (err) errno = err;
}

/* sendfile and sendfile64 differ in their offset's type only. */
#define WRAP_SENDFILE(name, off_type)                                                              \
    WS_REAL(name);                                                                                 \
    WS_EXPORT ssize_t name(int out, int in, off_type *offset, size_t count)                        \
    {                                                                                              \
        struct ws_thread *t = ws_enter();                                                          \
        if (!t) return REAL(name)(out, in, offset, count);                                         \
        unsigned os = ws_fd_state(out), is = ws_fd_state(in);                                      \
        uint64_t s = ws_now();                                                                     \
        ssize_t r = real_##name(out, in, offset, count);                                           \
        uint64_t e = ws_now();                                                                     \
        moved(t, WS_SENDFILE, in, out, r, s, e, WS_CALLER, is, os);                                \
        return r;                                                                                  \
    }

WRAP_SENDFILE(sendfile, off_t)
WRAP_SENDFILE(sendfile64, off64_t)

WS_REAL(splice);
WS_EXPORT ssize_t splice(int in, off64_t *in_off, int out, off64_t *out_off, size_t len,
                         unsigned flags)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(splice)(in, in_off, out, out_off, len, flags);
    unsigned os = ws_fd_state(out), is = ws_fd_state(in);
    uint64_t s = ws_now();
    ssize_t r = real_splice(in, in_off, out, out_off, len, flags);
    uint64_t e = ws_now();
    moved(t, WS_SPLICE, in, out, r, s, e, WS_CALLER, is, os);
    return r;
}

/* ---- calls that make fds: the record carries the path or the peer ---- */

static inline void open_event(struct ws_thread *t, unsigned call, int dirfd, const char *path,
                              int r, uint64_t s, uint64_t e, uint64_t caller)
{
    uint32_t err = r < 0 ? (uint32_t)errno : 0;
    /* The kernel said the path could not be read (EFAULT): neither can we. */
    int readable = path && err != EFAULT;
    ws_emit(t, call, err, dirfd, r, s, e, caller, path,
            readable ? (uint32_t)strnlen(path, 4096) : 0);
    if (r >= 0) ws_fd_set(r, 1);
}

#define NEEDS_MODE(flags) (((flags)&O_CREAT) || ((flags)&__O_TMPFILE) == __O_TMPFILE)

/* The body of every open wrapper: time the call, record the path and the
 * fd it made. */
#define OPEN_BODY(name, call, dirfd, args)                                                         \
    struct ws_thread *t = ws_enter();                                                              \
    if (!t) return REAL(name) args;                                                                \
    uint64_t s = ws_now();                                                                         \
    int r = real_##name args;                                                                      \
    uint64_t e = ws_now();                                                                         \
    open_event(t, call, dirfd, path, r, s, e, WS_CALLER);                                          \
    return r;

/* The mode argument is there only when the flags ask for one. */
#define MODE_ARG(flags)                                                                            \
    mode_t mode = 0;                                                                               \
    if (NEEDS_MODE(flags)) {                                                                       \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode = va_arg(ap, mode_t);                                                                 \
        va_end(ap);                                                                                \
    }

#define WRAP_OPEN(name)                                                                            \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name(const char *path, int flags, ...)                                           \
    {                                                                                              \
        MODE_ARG(flags)                                                                            \
        OPEN_BODY(name, WS_OPEN, AT_FDCWD, (path, flags, mode))                                    \
    }

#define WRAP_OPENAT(name)                                                                          \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name(int dirfd, const char *path, int flags, ...)                                \
    {                                                                                              \
        MODE_ARG(flags)                                                                            \
        OPEN_BODY(name, WS_OPENAT, dirfd, (dirfd, path, flags, mode))                              \
    }

/* The fortified forms, which take no mode. */
#define WRAP_OPEN_2(name)                                                                          \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name(const char *path, int flags)                                                \
    {                                                                                              \
        OPEN_BODY(name, WS_OPEN, AT_FDCWD, (path, flags))                                          \
    }

#define WRAP_OPENAT_2(name)                                                                        \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name(int dirfd, const char *path, int flags)                                     \
    {                                                                                              \
        OPEN_BODY(name, WS_OPENAT, dirfd, (dirfd, path, flags))                                    \
    }

WRAP_OPEN(open)
WRAP_OPEN(open64)
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)
WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)

WS_REAL(connect);
WS_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(connect)(fd, addr, len);
    uint64_t s = ws_now();
    int r = real_connect(fd, addr, len);
    uint64_t e = ws_now();
    uint32_t err = r < 0 ? (uint32_t)errno : 0;
    size_t plen = !addr || err == EFAULT                  ? 0 /* unreadable, the kernel said */
                  : len < sizeof(struct sockaddr_storage) ? len
                                                          : sizeof(struct sockaddr_storage);
    ws_emit(t, WS_CONNECT, err, fd, r, s, e, WS_CALLER, addr, (uint32_t)plen);
    ws_fd_set(fd, 1);
    if (r == 0 || err == EINPROGRESS) ws_http_watch(fd, 0);
    return r;
}

/* The new fd's peer, asked of the kernel: the caller's buffer may hold a
 * truncated address, or be none. */
static void accept_event(struct ws_thread *t, unsigned call, int fd, int r, uint64_t s, uint64_t e,
                         uint64_t caller)
{
    uint32_t err = r < 0 ? (uint32_t)errno : 0;
    struct sockaddr_storage ss;
    socklen_t plen = 0;
    const void *peer = NULL;
    if (r >= 0) {
        int saved = errno;
        plen = sizeof ss;
        if (getpeername(r, (struct sockaddr *)&ss, &plen) == 0)
            peer = &ss;
        else
            plen = 0;
        errno = saved;
    }
    ws_fd_seen(t, fd, s);
    ws_emit(t, call, err, fd, r, s, e, caller, peer, plen);
    if (r >= 0) {
        ws_fd_set(r, 1);
        ws_http_watch(r, 1);
    }
}

WS_REAL(accept);
WS_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(accept)(fd, addr, len);
    uint64_t s = ws_now();
    ws_wait_begin(t, WS_ACCEPT, fd, s, WS_CALLER);
    int r = real_accept(fd, addr, len);
    uint64_t e = ws_now();
    ws_wait_end(t);
    accept_event(t, WS_ACCEPT, fd, r, s, e, WS_CALLER);
    return r;
}

WS_REAL(accept4);
WS_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(accept4)(fd, addr, len, flags);
    uint64_t s = ws_now();
    ws_wait_begin(t, WS_ACCEPT4, fd, s, WS_CALLER);
    int r = real_accept4(fd, addr, len, flags);
    uint64_t e = ws_now();
    ws_wait_end(t);
    accept_event(t, WS_ACCEPT4, fd, r, s, e, WS_CALLER);
    return r;
}

WS_REAL(getaddrinfo);
WS_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(getaddrinfo)(node, service, hints, res);
    uint64_t s = ws_now();
    int r = real_getaddrinfo(node, service, hints, res);
    uint64_t e = ws_now();
    uint32_t err = r == EAI_SYSTEM ? (uint32_t)errno : 0;
    ws_emit(t, WS_GETADDRINFO, err, -1, r, s, e, WS_CALLER, node,
            node ? (uint32_t)strnlen(node, 1024) : 0);
    return r;
}

/* ---- calls that end or copy fds ---- */

/* A flusher thread's log, where it must share the program's fd table
 * (logfile.c): kept from the program's close and dup2, which would leave
 * its number free to name a file of the program's, into which the log
 * would then be written.  close() of it does nothing and succeeds. */
static inline int guarded(int fd)
{
    return fd >= 0 && fd == atomic_load_explicit(&ws_guard_fd, memory_order_relaxed);
}

/* dup2 or dup3 onto the guarded fd: move the log elsewhere first. */
static void unguard(int fd)
{
    ws_guard_take();
    if (guarded(fd)) {
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
        atomic_store(&ws_guard_fd, moved); /* -1: the log ends here */
        ws_log_fd = moved;
    }
    ws_guard_give();
}

/* Where a flusher thread shares the program's fd table (and only there:
 * one load otherwise), the calls below that end or replace fds keep off
 * its log (guarded) and wait at the fence while it holds a file of its
 * own at a number the program may name (logfile.c).  (Atomic operations
 * leave errno as the call set it.) */
static inline int fds_shared(void)
{
    return atomic_load_explicit(&ws_fds_shared, memory_order_relaxed);
}

static int close_traced(int fd);

WS_REAL(close);
WS_EXPORT int close(int fd)
{
    if (likely(!fds_shared())) return close_traced(fd);
    if (guarded(fd)) return 0;
    ws_fds_enter();
    int r = close_traced(fd);
    ws_fds_leave();
    return r;
}

static int close_traced(int fd)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(close)(fd);
    unsigned state = ws_fd_state(fd);
    uint64_t s = ws_now();
    /* A body that ran to the connection's end ends: said before the close,
     * and done before it (then the fd's number may name another
     * connection, accepted by another thread). */
    if (state & WS_FD_WATCH) ws_http_closed(t, fd, s, s, WS_CALLER);
    if (state) ws_fd_set(fd, 0);
    int r = real_close(fd);
    uint64_t e = ws_now();
    /* Not described after the fact: the fd is gone, or another thread's. */
    ws_emit(t, WS_CLOSE, r < 0 ? (uint32_t)errno : 0, fd, r, s, e, WS_CALLER, NULL, 0);
    return r;
}

WS_REAL(close_range);
static int close_range_known(unsigned first, unsigned last, int flags)
{
    int r = REAL(close_range)(first, last, flags);
    if (r == 0)
        for (unsigned fd = first; fd <= last && fd < WS_FD_TABLE; fd++)
            ws_fd_set((int)fd, 0);
    return r;
}

WS_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    if (likely(!fds_shared())) return close_range_known(first, last, flags);
    ws_fds_enter();
    int g = atomic_load_explicit(&ws_guard_fd, memory_order_relaxed), r;
    if (g < 0 || (unsigned)g < first || (unsigned)g > last) {
        r = close_range_known(first, last, flags);
    } else { /* around it */
        r = g > 0 && (unsigned)g > first ? close_range_known(first, (unsigned)g - 1, flags) : 0;
        if (r == 0 && (unsigned)g < last) r = close_range_known((unsigned)g + 1, last, flags);
    }
    ws_fds_leave();
    return r;
}

static inline void dup_event(struct ws_thread *t, int old, int r, uint64_t s, uint64_t e,
                             uint64_t caller)
{
    uint32_t err = r < 0 ? (uint32_t)errno : 0;
    ws_fd_seen(t, old, s);
    ws_emit(t, WS_DUP, err, old, r, s, e, caller, NULL, 0);
    if (r >= 0 && (unsigned)old < WS_FD_TABLE) {
        unsigned state = atomic_load(&ws_fd_known[old]);
        if (state & WS_FD_WATCH) ws_http_reset(r); /* a new connection's parsers */
        ws_fd_set(r, (uint8_t)state);
    }
}

WS_REAL(dup);
WS_EXPORT int dup(int old)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(dup)(old);
    uint64_t s = ws_now();
    int r = real_dup(old);
    uint64_t e = ws_now();
    dup_event(t, old, r, s, e, WS_CALLER);
    return r;
}

static int dup2_traced(int old, int new);

WS_REAL(dup2);
WS_EXPORT int dup2(int old, int new)
{
    if (likely(!fds_shared())) return dup2_traced(old, new);
    ws_fds_enter();
    if (guarded(new)) unguard(new);
    int r = dup2_traced(old, new);
    ws_fds_leave();
    return r;
}

static int dup2_traced(int old, int new)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(dup2)(old, new);
    uint64_t s = ws_now();
    int r = real_dup2(old, new);
    uint64_t e = ws_now();
    dup_event(t, old, r, s, e, WS_CALLER);
    return r;
}

static int dup3_traced(int old, int new, int flags);

WS_REAL(dup3);
WS_EXPORT int dup3(int old, int new, int flags)
{
    if (likely(!fds_shared())) return dup3_traced(old, new, flags);
    ws_fds_enter();
    if (guarded(new)) unguard(new);
    int r = dup3_traced(old, new, flags);
    ws_fds_leave();
    return r;
}

static int dup3_traced(int old, int new, int flags)
{
    struct ws_thread *t = ws_enter();
    if (!t) return REAL(dup3)(old, new, flags);
    uint64_t s = ws_now();
    int r = real_dup3(old, new, flags);
    uint64_t e = ws_now();
    dup_event(t, old, r, s, e, WS_CALLER);
    return r;
}
