/* SPDX-License-Identifier: MIT */
/*
 * logfile.c - the log directory, and the process's log file in it.
 *
 * The directory: WHYSLOW_DIR, made if missing, then opened with
 * O_DIRECTORY | O_NOFOLLOW and checked, as ssh checks a key and sudo a
 * file, before anything is created in it.  A process traced as root in a
 * directory another user controls would let that user replace, delete or
 * point elsewhere the logs root then reads (or, through a symlink, make
 * root create files where they choose).  So a directory is refused when it
 * is a symbolic link, when it belongs to another user than the process's
 * (root's are fine), or when others may write in it without the sticky
 * bit, which would let them rename or delete what is in it.  Logs are
 * created relative to the opened directory, never by path again.
 *
 * The log: <pid>.wslog (<pid>-N.wslog when a log of that pid exists
 * already, as after exec), created with mode 0600, O_EXCL and O_NOFOLLOW;
 * under `whyslow record`, a short process's log goes to a pack instead
 * (logpack.c), and ws_log_write() hands it there while it is kept.
 * Whoever writes it (the flusher, flusher.c) holds an exclusive flock on
 * it until it is done: `whyslow record` waits for those locks, so a report
 * never reads a log still being written.
 *
 * A flusher thread writes from the program's own process (launch.c).  It
 * keeps the log's fd in an fd table of its own (unshare(CLONE_FILES)), so
 * the program never sees it; where the kernel refuses (a seccomp filter,
 * as in a container), the fd is in the program's table, at a high number,
 * and guarded: the program's close, close_range, dup2 and dup3 of it are
 * kept from touching it (wrap_io.c), so that its number never comes to
 * name a file of the program's.  The files such a thread opens for a
 * moment (the log's directory, /proc files) are at the lowest free
 * numbers, where a program that closes every fd from 3 up would close
 * them and open its own in their place, which the thread would then read
 * from and close: the program's close, close_range, dup2 and dup3 wait
 * while it holds one (the fence below).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

int ws_log_fd = -1;
WS_BIG char ws_why[512];

_Atomic int ws_guard_fd = -1;
/* The flusher's writes, and dup2/dup3 onto the guarded fd.  (This and
 * the fence's words below in .data, WS_START_RW: a traced process's
 * close() and dup2() read them, and a page of .bss is a fault more.) */
static _Atomic int guard_lock WS_START_RW;

void ws_guard_take(void)
{
    while (atomic_exchange_explicit(&guard_lock, 1, memory_order_acquire))
        sched_yield();
}

void ws_guard_give(void)
{
    atomic_store_explicit(&guard_lock, 0, memory_order_release);
}

/*
 * The fence: while a flusher thread that shares the program's fd table
 * holds an fd of its own at a low number, the program's calls that end
 * or replace fds wait.  A Dekker handshake on two counters, so that the
 * program's side takes no lock: a call counts itself in, then looks at
 * the fence; the thread raises the fence, then waits for the count to
 * fall to 0.  Sequentially consistent atomics on both sides make one of
 * the two see the other.  The program waits while the thread reads a
 * file (a /proc file: microseconds, a large map a millisecond or so).
 * The thread gives up after 10 ms (a close that lingers on a socket, or
 * a call a signal interrupted whose handler now waits at the fence,
 * would keep it out for ever) and reads the file at a later period.
 */
/* Such a thread may hold one: the calls look at the fence.  Set whenever
 * ws_guard_fd is (wrap_io.c looks at the guard only then). */
_Atomic int ws_fds_shared WS_START_RW;
static _Atomic int fd_fence WS_START_RW;  /* it holds one, or is about to */
static _Atomic int fd_inside WS_START_RW; /* program calls past the fence */

void ws_fds_enter(void)
{
    for (;;) {
        atomic_fetch_add(&fd_inside, 1);
        if (!atomic_load(&fd_fence)) return;
        atomic_fetch_sub(&fd_inside, 1);
        while (atomic_load(&fd_fence))
            sched_yield();
    }
}

void ws_fds_leave(void)
{
    atomic_fetch_sub(&fd_inside, 1);
}

int ws_fds_hold(void)
{
    if (!atomic_load(&ws_fds_shared)) return 0;
    atomic_store(&fd_fence, 1);
    for (int i = 0; atomic_load(&fd_inside) != 0; i++) {
        if (i == 1000) { /* about 10 ms */
            atomic_store(&fd_fence, 0);
            return -1;
        }
        struct timespec ten_us = {0, 10000};
        real_nanosleep(&ten_us, NULL);
    }
    return 0;
}

void ws_fds_release(void)
{
    /* (looked at first: a flusher process, a copy of the program, would
     * copy the page at its first write) */
    if (atomic_load(&fd_fence)) atomic_store(&fd_fence, 0);
}

/* After fork(), in the child: the parent's log is not ours to keep, and
 * its flusher thread, which may have held the fence, is not there. */
void ws_guard_forget(void)
{
    /* (looked at first: a fork child that writes nothing of ours copies
     * no page of ours) */
    if (atomic_load(&ws_guard_fd) < 0 && atomic_load(&guard_lock) == 0 &&
        atomic_load(&ws_fds_shared) == 0)
        return;
    int fd = atomic_exchange(&ws_guard_fd, -1);
    if (fd >= 0) real_close(fd);
    atomic_store(&guard_lock, 0);
    atomic_store(&ws_fds_shared, 0);
    atomic_store(&fd_fence, 0);
    atomic_store(&fd_inside, 0);
}

int ws_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = REAL(write)(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static __attribute__((noinline)) int why(int err, const char *fmt, const char *path)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, path);
    if (err)
        snprintf(ws_why, sizeof ws_why, "%s: %s", msg, strerror(err));
    else
        snprintf(ws_why, sizeof ws_why, "%s", msg);
    errno = err ? err : EPERM;
    return -1;
}

/* Why the directory st, open as fd, is refused (see above), in ws_why:
 * -1 (fd closed); 0 when it is not.  (A function of its own: the
 * messages' room is on the stack only when they are written, and an
 * image's closing log (closelog.c) may be written in a signal handler's
 * on a small alternate stack.) */
static __attribute__((noinline)) int refused(int fd, const char *path, const struct stat *st)
{
    uid_t me = (uid_t)ws_sys(SYS_geteuid); /* (libc's is a page of its own to fault in) */
    char fmt[160];
    if (st->st_uid != me && st->st_uid != 0)
        snprintf(fmt, sizeof fmt, "the log directory %%s belongs to uid %u, not to uid %u or root",
                 (unsigned)st->st_uid, (unsigned)me);
    else if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
        snprintf(fmt, sizeof fmt,
                 "the log directory %%s may be written by others (mode %04o) and has no sticky bit",
                 (unsigned)(st->st_mode & 07777));
    else
        return 0;
    ws_sys(SYS_close, fd);
    return why(0, fmt, path);
}

/* The log directory path, opened and checked (see above); made first when
 * `make` and missing.  Returns its fd, or -1 with ws_why set.  (System
 * calls, and mkdir() only when the open finds it missing: libc's open,
 * mkdir, fstat and geteuid were two pages of its text that the start of
 * every process with a flusher of its own faulted in, some 20 us each on a
 * virtual machine whose page tables the hypervisor shadows.) */
int ws_logdir_open(const char *path, int make)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = (int)ws_sys(SYS_openat, AT_FDCWD, path, flags);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR) && make) { /* (mkdir says which) */
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return why(errno, "cannot make the log directory %s", path);
        fd = (int)ws_sys(SYS_openat, AT_FDCWD, path, flags);
    }
    struct stat st;
    if (fd < 0) {
        int err = errno;
        if ((err == ELOOP || err == ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return why(0, "the log directory %s is a symbolic link", path);
        return why(err, "cannot open the log directory %s", path);
    }
    if (ws_sys(SYS_fstat, fd, &st) != 0) {
        int err = errno;
        ws_sys(SYS_close, fd);
        return why(err, "cannot read the log directory %s", path);
    }
    return refused(fd, path, &st) ? -1 : fd;
}

/* For `whyslow record`, which checks the directory as the library will. */
WS_EXPORT int whyslow_logdir_open(const char *path, int make, char *msg, size_t len)
{
    int fd = ws_logdir_open(path, make);
    if (fd < 0) snprintf(msg, len, "%s", ws_why);
    return fd;
}

void ws_file_header(uint8_t hdr[24], uint32_t magic, const char tag[8], uint32_t version)
{
    uint32_t size = 16, flags = 0;
    memcpy(hdr, &magic, 4);
    memcpy(hdr + 4, &size, 4);
    memcpy(hdr + 8, tag, 8);
    memcpy(hdr + 16, &version, 4);
    memcpy(hdr + 20, &flags, 4);
}

/* v in decimal at out (room for 12 bytes), ended by a NUL; returns the
 * end.  (Not snprintf: it may run at an _exit in a signal handler,
 * closelog.c, and its code is pages a short process would fault in.) */
char *ws_decimal(char *out, int v)
{
    char digits[12];
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    int n = 0;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0) *out++ = '-';
    while (n)
        *out++ = digits[--n];
    *out = 0;
    return out;
}

int ws_file_new(int dirfd, const char *base, const uint8_t hdr[24], int lock, char name[64])
{
    char own[64];
    if (!name) name = own;
    size_t blen = strnlen(base, 40);
    int fd = -1;
    for (int n = 0; n < 1000 && fd < 0; n++) {
        memcpy(name, base, blen);
        char *p = name + blen;
        if (n > 0) {
            *p++ = '-';
            p = ws_decimal(p, n);
        }
        memcpy(p, ".wslog", 7);
        fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND,
                    0600);
        if (fd < 0 && errno != EEXIST) return -1;
    }
    if (fd < 0) return -1;
    if (lock) flock(fd, LOCK_EX);
    if (ws_write_all(fd, hdr, 24) != 0) {
        int err = errno;
        REAL(close)(fd);
        unlinkat(dirfd, name, 0); /* (a file cut in its header is no log) */
        errno = err;
        return -1;
    }
    return fd;
}

/* Creates the log of process pid in the directory dirfd (named dir in
 * messages), with its file header, locked; returns its fd, or -1 with
 * ws_why set. */
int ws_log_create_in(int dirfd, const char *dir, pid_t pid)
{
    char base[16];
    uint8_t hdr[24];
    ws_decimal(base, pid);
    ws_file_header(hdr, WS_MAGIC_FILE, WS_FILE_TAG, WS_FORMAT_VERSION);
    int fd = ws_file_new(dirfd, base, hdr, 1, NULL);
    if (fd < 0) return why(errno, "cannot create a log in %s", dir);
    return fd;
}

/* The log of this process in WHYSLOW_DIR; returns its fd, or -1 with
 * ws_why set. */
int ws_log_create(void)
{
    int dirfd = ws_logdir_open(ws_dir, 0);
    if (dirfd < 0) return -1;
    int fd = ws_log_create_in(dirfd, ws_dir, ws_sh->pid);
    real_close(dirfd);
    return fd;
}

/* The log of a flusher thread (see above), which calls this. */
int ws_log_open_private(void)
{
    if (unshare(CLONE_FILES) == 0) {
        atomic_store(&ws_fds_shared, 0);
        /* The copies of the program's fds: holding its pipes and sockets
         * open would change what their peers see. */
        ws_close_all_but(-1);
        return ws_log_create();
    }
    /* (for a second at most: the program waits for this thread's start) */
    for (int tries = 0; ws_fds_hold() != 0; tries++)
        if (tries == 100) return why(EBUSY, "cannot keep the log open in %s", ws_dir);
    int fd = ws_log_create();
    if (fd < 0) {
        ws_fds_release();
        return -1;
    }
    struct rlimit rl;
    int floor = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1200) floor = (int)rl.rlim_cur * 3 / 4;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0) high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    real_close(fd);
    if (high >= 0) atomic_store(&ws_guard_fd, high);
    ws_fds_release();
    if (high < 0) return why(errno, "cannot keep the log open in %s", ws_dir);
    return high;
}

int ws_log_write(const uint8_t *p, size_t n)
{
    if (ws_log_kept()) return ws_log_kept_write(p, n); /* (logpack.c) */
    /* A guarded fd moves when the program dup2()s onto it: take it under
     * the lock its wrapper takes. */
    int guarded = atomic_load_explicit(&ws_guard_fd, memory_order_relaxed) >= 0;
    if (guarded) ws_guard_take();
    int r = ws_write_all(guarded ? atomic_load(&ws_guard_fd) : ws_log_fd, p, n);
    if (guarded) ws_guard_give();
    return r;
}
