/* SPDX-License-Identifier: MIT */
/*
 * calls.h - every call and record the recorder writes, in one table.
 *
 * This is part of the log format (format.h includes it): an id is in
 * every log written with it, so ids never change and are never reused; a
 * new call takes a free one.  Everything else either side knows about a
 * call is generated from its line here: the enum ws_call, its flags
 * (ws_call_flags), its name (ws_call_name), and in the decoder how it
 * is classed and which part of a thread's time it counts to.  Adding a
 * call is a line here and its wrapper in preload/, nothing else.
 *
 * Columns of WS_CALLS(X):
 *
 *   id      WS_<id> is its enum ws_call constant
 *   num     the id in logs (1..127; 1..99 calls, 100..127 records about
 *           the thread: a decoder takes an unknown id below 100 for a
 *           syscall of a newer recorder, one above for a record)
 *   name    what a user sees: the function the program called (the
 *           plain name where the recorder also wraps other forms:
 *           "open" for open64 and __open_2, "dup" for dup2 and dup3,
 *           "nanosleep" for usleep and sleep); for a record, what it is
 *   family  SYSCALL  a system call or libc function doing I/O or waiting
 *           LOCK     a pthread lock, condition, semaphore or futex call
 *           SQLITE   SQLite's C API (the connection is a sqlite3*)
 *           PQ       libpq (the connection is a PGconn*)
 *           RECORD   no call: a record about the thread or an fd
 *   obj     what the record's obj field holds: FD, DIRFD (open's
 *           directory fd, -100 for AT_FDCWD), NONE (-1), MUTEX, RWLOCK,
 *           COND, SEM, FUTEX (the object's address), CONN (the database
 *           connection), STMT (the sqlite3_stmt*)
 *   flags   WS_CALL_* below, or'ed; 0 for none
 *   part    the part of a thread's time its span counts to (the decoder's
 *           time breakdown, docs/rules.md): DISK, NET, LOCK, DB, SLEEP,
 *           WAIT, OTHER; NONE for records and for lock calls that cannot
 *           wait; BY_FD when it depends on what the fd is (a file: disk,
 *           a socket: network, a pipe or terminal: wait).  For a lock
 *           family call, only its waits count, and a semaphore or futex
 *           wait that the decoder finds to be a park (waiting for work,
 *           not for a lock) counts as WAIT.
 */
#ifndef WHYSLOW_FORMAT_CALLS_H
#define WHYSLOW_FORMAT_CALLS_H

/* Flags of a call (the flags column). */
#define WS_CALL_HAS_PAYLOAD 1u    /* the record ends with a payload */
#define WS_CALL_HAS_AUX     2u    /* the record has "uv aux1, uv aux2" after caller */
#define WS_CALL_WAITS       4u    /* its job is to wait (a long one is no slow call) */
#define WS_CALL_READS       8u    /* result >= 0: bytes it read */
#define WS_CALL_WRITES      16u   /* result >= 0: bytes it wrote */
#define WS_CALL_RETURNS_ERR 32u   /* returns an error code, not -1 with errno */
#define WS_CALL_ACQUIRES    64u   /* takes a lock (result 0: taken) */
#define WS_CALL_RELEASES    128u  /* releases a lock */
#define WS_CALL_WAKES       256u  /* lets waiting threads go on (format.h: wake-ups) */
#define WS_CALL_POLLS       512u  /* waits for events on a set of fds */
#define WS_CALL_CLOSES      1024u /* ends its obj (an fd, a connection) */

/* Flags the family gives (not in the table). */
#define WS_CALL_IS_LOCK 4096u /* family LOCK */
#define WS_CALL_IS_DB   8192u /* family SQLITE or PQ */

/* clang-format off */
#define WS_CALLS(X)                                                                                                             \
/*  id                   num name                          family   obj     flags                                      part */  \
    X(READ,                 1, "read",                       SYSCALL, FD,     WS_CALL_READS,                             BY_FD) \
    X(WRITE,                2, "write",                      SYSCALL, FD,     WS_CALL_WRITES,                            BY_FD) \
    X(PREAD,                3, "pread64",                    SYSCALL, FD,     WS_CALL_READS,                             DISK)  \
    X(PWRITE,               4, "pwrite64",                   SYSCALL, FD,     WS_CALL_WRITES,                            DISK)  \
    X(READV,                5, "readv",                      SYSCALL, FD,     WS_CALL_READS,                             BY_FD) \
    X(WRITEV,               6, "writev",                     SYSCALL, FD,     WS_CALL_WRITES,                            BY_FD) \
    X(SEND,                 7, "send",                       SYSCALL, FD,     WS_CALL_WRITES,                            NET)   \
    X(RECV,                 8, "recv",                       SYSCALL, FD,     WS_CALL_READS,                             NET)   \
    X(SENDTO,               9, "sendto",                     SYSCALL, FD,     WS_CALL_WRITES,                            NET)   \
    X(RECVFROM,            10, "recvfrom",                   SYSCALL, FD,     WS_CALL_READS,                             NET)   \
    X(SENDMSG,             11, "sendmsg",                    SYSCALL, FD,     WS_CALL_WRITES,                            NET)   \
    X(RECVMSG,             12, "recvmsg",                    SYSCALL, FD,     WS_CALL_READS,                             NET)   \
    /* payload: the peer's struct sockaddr */                                                                                   \
    X(CONNECT,             13, "connect",                    SYSCALL, FD,     WS_CALL_HAS_PAYLOAD,                       NET)   \
    X(ACCEPT,              14, "accept",                     SYSCALL, FD,     WS_CALL_HAS_PAYLOAD | WS_CALL_WAITS,       WAIT)  \
    X(ACCEPT4,             15, "accept4",                    SYSCALL, FD,     WS_CALL_HAS_PAYLOAD | WS_CALL_WAITS,       WAIT)  \
    /* payload: the path; result: the new fd */                                                                                 \
    X(OPEN,                16, "open",                       SYSCALL, DIRFD,  WS_CALL_HAS_PAYLOAD,                       DISK)  \
    X(OPENAT,              17, "openat",                     SYSCALL, DIRFD,  WS_CALL_HAS_PAYLOAD,                       DISK)  \
    X(CLOSE,               18, "close",                      SYSCALL, FD,     WS_CALL_CLOSES,                            BY_FD) \
    X(FSYNC,               19, "fsync",                      SYSCALL, FD,     0,                                         DISK)  \
    X(FDATASYNC,           20, "fdatasync",                  SYSCALL, FD,     0,                                         DISK)  \
    /* poll, ppoll, select: obj the descriptors given (0: a sleep; -1 in logs of whyslow before 0.4.0) */                       \
    X(POLL,                21, "poll",                       SYSCALL, NONE,   WS_CALL_WAITS | WS_CALL_POLLS,             WAIT)  \
    X(PPOLL,               22, "ppoll",                      SYSCALL, NONE,   WS_CALL_WAITS | WS_CALL_POLLS,             WAIT)  \
    X(SELECT,              23, "select",                     SYSCALL, NONE,   WS_CALL_WAITS | WS_CALL_POLLS,             WAIT)  \
    X(EPOLL_WAIT,          24, "epoll_wait",                 SYSCALL, FD,     WS_CALL_WAITS | WS_CALL_POLLS,             WAIT)  \
    X(EPOLL_PWAIT,         25, "epoll_pwait",                SYSCALL, FD,     WS_CALL_WAITS | WS_CALL_POLLS,             WAIT)  \
    X(NANOSLEEP,           26, "nanosleep",                  SYSCALL, NONE,   WS_CALL_WAITS,                             SLEEP) \
    X(CLOCK_NANOSLEEP,     27, "clock_nanosleep",            SYSCALL, NONE,   WS_CALL_WAITS | WS_CALL_RETURNS_ERR,       SLEEP) \
    /* payload: the node name; result: the EAI_* code */                                                                        \
    X(GETADDRINFO,         28, "getaddrinfo",                SYSCALL, NONE,   WS_CALL_HAS_PAYLOAD | WS_CALL_RETURNS_ERR, NET)   \
    /* obj: the old fd; result: the new one */                                                                                  \
    X(DUP,                 29, "dup",                        SYSCALL, FD,     0,                                         OTHER) \
    /* waits for a signal: sigsuspend, pause, sigwaitinfo (also sigtimedwait; result: the signal), sigwait */                     \
    X(SIGSUSPEND,          30, "sigsuspend",                 SYSCALL, NONE,   WS_CALL_WAITS,                             WAIT)  \
    X(PAUSE,               31, "pause",                      SYSCALL, NONE,   WS_CALL_WAITS,                             WAIT)  \
    X(SIGWAITINFO,         32, "sigwaitinfo",                SYSCALL, NONE,   WS_CALL_WAITS,                             WAIT)  \
    X(SIGWAIT,             33, "sigwait",                    SYSCALL, NONE,   WS_CALL_WAITS | WS_CALL_RETURNS_ERR,       WAIT)  \
    /* waits for a child: waitpid (also wait, wait3, wait4; result: the pid of the child), waitid */                             \
    X(WAITPID,             34, "waitpid",                    SYSCALL, NONE,   WS_CALL_WAITS,                             WAIT)  \
    X(WAITID,              35, "waitid",                     SYSCALL, NONE,   WS_CALL_WAITS,                             WAIT)  \
    /* obj: the fd added, changed or removed; aux1: the epoll fd, aux2: the op (EPOLL_CTL_ADD...) */                          \
    X(EPOLL_CTL,           36, "epoll_ctl",                  SYSCALL, FD,     WS_CALL_HAS_AUX,                           OTHER) \
    /* obj: the first fd of the pair (-1: failed), aux1: the second */                                                        \
    X(SOCKETPAIR,          37, "socketpair",                 SYSCALL, FD,     WS_CALL_HAS_AUX,                           OTHER) \
    /* obj the fd written, aux1 the fd read (its offset is not recorded) */                                                     \
    X(SENDFILE,            38, "sendfile",                   SYSCALL, FD,     WS_CALL_WRITES | WS_CALL_HAS_AUX,          BY_FD) \
    /* obj the fd written, aux1 the fd read */                                                                                  \
    X(SPLICE,              39, "splice",                     SYSCALL, FD,     WS_CALL_WRITES | WS_CALL_HAS_AUX,          BY_FD) \
                                                                                                                                \
    X(MUTEX_LOCK,          40, "pthread_mutex_lock",         LOCK,    MUTEX,  WS_CALL_ACQUIRES,                          LOCK)  \
    X(MUTEX_TRYLOCK,       41, "pthread_mutex_trylock",      LOCK,    MUTEX,  WS_CALL_ACQUIRES,                          LOCK)  \
    X(MUTEX_TIMEDLOCK,     42, "pthread_mutex_timedlock",    LOCK,    MUTEX,  WS_CALL_ACQUIRES,                          LOCK)  \
    X(MUTEX_UNLOCK,        43, "pthread_mutex_unlock",       LOCK,    MUTEX,  WS_CALL_RELEASES,                          NONE)  \
    X(RWLOCK_RDLOCK,       44, "pthread_rwlock_rdlock",      LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(RWLOCK_WRLOCK,       45, "pthread_rwlock_wrlock",      LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(RWLOCK_TIMEDRDLOCK,  46, "pthread_rwlock_timedrdlock", LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(RWLOCK_TIMEDWRLOCK,  47, "pthread_rwlock_timedwrlock", LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(RWLOCK_UNLOCK,       48, "pthread_rwlock_unlock",      LOCK,    RWLOCK, WS_CALL_RELEASES,                          NONE)  \
    X(COND_WAIT,           49, "pthread_cond_wait",          LOCK,    COND,   WS_CALL_WAITS,                             WAIT)  \
    /* also pthread_cond_clockwait */                                                                                           \
    X(COND_TIMEDWAIT,      50, "pthread_cond_timedwait",     LOCK,    COND,   WS_CALL_WAITS,                             WAIT)  \
    X(SEM_WAIT,            51, "sem_wait",                   LOCK,    SEM,    WS_CALL_WAITS,                             LOCK)  \
    /* also sem_clockwait */                                                                                                    \
    X(SEM_TIMEDWAIT,       52, "sem_timedwait",              LOCK,    SEM,    WS_CALL_WAITS,                             LOCK)  \
    /* syscall(SYS_futex, FUTEX_WAIT and the like) */                                                                           \
    X(FUTEX_WAIT,          53, "futex(FUTEX_WAIT)",          LOCK,    FUTEX,  WS_CALL_WAITS,                             LOCK)  \
    X(RWLOCK_TRYRDLOCK,    54, "pthread_rwlock_tryrdlock",   LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(RWLOCK_TRYWRLOCK,    55, "pthread_rwlock_trywrlock",   LOCK,    RWLOCK, WS_CALL_ACQUIRES,                          LOCK)  \
    X(COND_SIGNAL,         56, "pthread_cond_signal",        LOCK,    COND,   WS_CALL_WAKES,                             NONE)  \
    X(COND_BROADCAST,      57, "pthread_cond_broadcast",     LOCK,    COND,   WS_CALL_WAKES,                             NONE)  \
    X(SEM_POST,            58, "sem_post",                   LOCK,    SEM,    WS_CALL_WAKES,                             NONE)  \
    /* syscall(SYS_futex, FUTEX_WAKE and the like); result: threads woken */                                                    \
    X(FUTEX_WAKE,          59, "futex(FUTEX_WAKE)",          LOCK,    FUTEX,  WS_CALL_WAKES,                             NONE)  \
                                                                                                                                \
    /* payload: the file name */                                                                                                \
    X(SQLITE_OPEN,         60, "sqlite3_open",               SQLITE,  CONN,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    X(SQLITE_CLOSE,        61, "sqlite3_close",              SQLITE,  CONN,   WS_CALL_CLOSES,                            DB)    \
    /* payload: the text prepared */                                                                                            \
    X(SQLITE_PREPARE,      62, "sqlite3_prepare",            SQLITE,  CONN,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    /* one execution: its sqlite3_step calls, first to last (format.h) */                                                       \
    X(SQLITE_QUERY,        63, "sqlite3_step",               SQLITE,  CONN,   WS_CALL_HAS_PAYLOAD | WS_CALL_HAS_AUX,     DB)    \
    /* payload: the SQL */                                                                                                      \
    X(SQLITE_EXEC,         64, "sqlite3_exec",               SQLITE,  CONN,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    /* also PQconnectdbParams, PQconnectStart; payload: "host=... user=..." */                                                  \
    X(PG_CONNECT,          65, "PQconnectdb",                PQ,      CONN,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    X(PG_FINISH,           66, "PQfinish",                   PQ,      CONN,   WS_CALL_CLOSES,                            DB)    \
    /* payload: the text prepared */                                                                                            \
    X(PG_PREPARE,          67, "PQprepare",                  PQ,      CONN,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    /* one execution: PQexec*, or PQsend* and its results (format.h) */                                                         \
    X(PG_QUERY,            68, "PQexec",                     PQ,      CONN,   WS_CALL_HAS_PAYLOAD | WS_CALL_HAS_AUX,     DB)    \
    X(PG_RESET,            69, "PQreset",                    PQ,      CONN,   0,                                         DB)    \
    /* a statement's text, written before its first execution (format.h) */                                                     \
    X(SQLITE_STMT,         70, "sqlite3_stmt",               SQLITE,  STMT,   WS_CALL_HAS_PAYLOAD,                       DB)    \
    /* a semaphore's end: one made later at its address is another object */                                                    \
    X(SEM_DESTROY,         71, "sem_destroy",                LOCK,    SEM,    0,                                         NONE)  \
                                                                                                                                \
    /* result: the parent thread's serial or 0; payload: the name */                                                            \
    X(EV_THREAD_START,    100, "thread_start",               RECORD,  NONE,   WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* result: its uncontended lock acquisitions */                                                                             \
    X(EV_THREAD_END,      101, "thread_end",                 RECORD,  NONE,   0,                                         NONE)  \
    /* an fd first seen used, not opened: err enum ws_fd_kind, payload what it is */                                            \
    X(EV_FD_INFO,         102, "fd_info",                    RECORD,  FD,     WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* payload: the thread's new name */                                                                                        \
    X(EV_THREAD_NAME,     104, "thread_name",                RECORD,  NONE,   WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* a Python code object named (format.h: Python frames) */                                                                  \
    X(EV_PYCODE,          105, "py_code",                    RECORD,  NONE,   WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* the Python site of the thread's next event: obj the innermost frame, result the user's */                                \
    X(EV_PYSITE,          106, "py_site",                    RECORD,  NONE,   0,                                         NONE)  \
    /* the Python stack of the thread's next event: payload its frames */                                                       \
    X(EV_PYSTACK,         107, "py_stack",                   RECORD,  NONE,   WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* a CPython program: obj its version (as Py_Version), result 1 when its frames are read, err why not (format.h) */       \
    X(EV_PYTHON,          108, "python",                     RECORD,  NONE,   0,                                         NONE)  \
    /* an HTTP/1.x message on an fd (format.h: HTTP messages): err WS_HTTP_*, result its status */                             \
    X(EV_HTTP,            109, "http",                       RECORD,  FD,     WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* a mark begins on the thread (format.h: marks): payload kind, NUL, name */                                                \
    X(EV_MARK_BEGIN,      110, "mark_begin",                 RECORD,  NONE,   WS_CALL_HAS_PAYLOAD,                       NONE)  \
    /* the thread's innermost open mark ends */                                                                                 \
    X(EV_MARK_END,        111, "mark_end",                   RECORD,  NONE,   0,                                         NONE)

enum ws_call {
#define WS_CALL_ENUM(id, num, name, family, obj, flags, part) WS_##id = num,
    WS_CALLS(WS_CALL_ENUM)
#undef WS_CALL_ENUM
    WS_CALL_MAX = 127,
};
/* clang-format on */

#define WS_FAMILY_FLAGS_SYSCALL 0u
#define WS_FAMILY_FLAGS_LOCK    WS_CALL_IS_LOCK
#define WS_FAMILY_FLAGS_SQLITE  WS_CALL_IS_DB
#define WS_FAMILY_FLAGS_PQ      WS_CALL_IS_DB
#define WS_FAMILY_FLAGS_RECORD  0u

/* The flags of a call, its family's included; 0 for an unknown id. */
static inline unsigned ws_call_flags(unsigned call)
{
    switch (call) {
#define WS_CALL_FLAGS(id, num, name, family, obj, flags, part)                                     \
    case num:                                                                                      \
        return (flags) | WS_FAMILY_FLAGS_##family;
        WS_CALLS(WS_CALL_FLAGS)
#undef WS_CALL_FLAGS
    default:
        return 0;
    }
}

/* The name of a call or record (the name column), or NULL for an unknown
 * id. */
static inline const char *ws_call_name(unsigned call)
{
    switch (call) {
#define WS_CALL_NAME(id, num, name, family, obj, flags, part)                                      \
    case num:                                                                                      \
        return name;
        WS_CALLS(WS_CALL_NAME)
#undef WS_CALL_NAME
    default:
        return NULL;
    }
}

#endif
