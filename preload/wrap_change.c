/* SPDX-License-Identifier: MIT */
/*
 * wrap_change.c - calls that change what a process cloned from the
 * program would be: before them, the region and the flusher, when they
 * wait for the first event (init.c), are made.
 *
 * A process whose region waits for its first event (a fork child, a
 * served image: init.c) makes it then, and a flusher of its own cloned
 * then is what a child made then would be.  After unshare(CLONE_NEWPID)
 * or setns() it would be in the pid namespace of the program's children,
 * reparented to that namespace's first process (whose wait() would see
 * a process it never made) and killed with it; after chroot() the log's
 * directory would be out of its reach; after setuid() and the like it
 * would be another user, who may not create the log; after a seccomp
 * filter, it would run under it.  Under `whyslow record` the hello would
 * go with the new euid, or from another network namespace.  Made before
 * such a call, they are what they were at the start, as when the start
 * made them.  The calls themselves are not recorded.
 */
#include <grp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Made first when they wait: a word read, nothing more, otherwise. */
static inline void before(void)
{
    if (__builtin_expect(atomic_load_explicit(&ws_fork_pending, memory_order_relaxed) != 0, 0))
        ws_setup_before_change();
}

/* The real function of each: found at its first call, and kept in .lbss
 * rather than among the others (real.h), which every start reads and
 * writes on a page the loader writes too, and which these would crowd. */
#define BEFORE(ret, sym, params, args)                                                             \
    static WS_BIG struct ws_real real_##sym##_;                                                    \
    WS_EXPORT ret sym params                                                                       \
    {                                                                                              \
        before();                                                                                  \
        if (!real_##sym##_.fn) {                                                                   \
            real_##sym##_.name = #sym;                                                             \
            ws_resolve_one(&real_##sym##_);                                                        \
        }                                                                                          \
        return ((__typeof__(sym) *)real_##sym##_.fn)args;                                          \
    }

BEFORE(int, unshare, (int flags), (flags))
BEFORE(int, setns, (int fd, int nstype), (fd, nstype))
BEFORE(int, chroot, (const char *path), (path))
BEFORE(int, setuid, (uid_t uid), (uid))
BEFORE(int, setgid, (gid_t gid), (gid))
BEFORE(int, seteuid, (uid_t uid), (uid))
BEFORE(int, setegid, (gid_t gid), (gid))
BEFORE(int, setreuid, (uid_t r, uid_t e), (r, e))
BEFORE(int, setregid, (gid_t r, gid_t e), (r, e))
BEFORE(int, setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
BEFORE(int, setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
BEFORE(int, setgroups, (size_t n, const gid_t *list), (n, list))

/* The same calls made with syscall() (libseccomp installs its filters so;
 * pivot_root has no libc function), while they wait (wrap_lock.c looks). */
void ws_before_syscall(long number)
{
    switch (number) {
    case SYS_unshare:
    case SYS_setns:
    case SYS_chroot:
    case SYS_pivot_root:
    case SYS_setuid:
    case SYS_setgid:
    case SYS_setreuid:
    case SYS_setregid:
    case SYS_setresuid:
    case SYS_setresgid:
    case SYS_setgroups:
    case SYS_seccomp:
        ws_setup_before_change();
    }
}
