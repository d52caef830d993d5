/* SPDX-License-Identifier: MIT */
/*
 * real.h - pointers to the real functions behind the wrappers.
 *
 * ws_resolve() fills them with what dlsym(RTLD_NEXT) gives (real.c).  The tracer calls libc
 * through these pointers so that its own calls are never traced.
 */
#ifndef WHYSLOW_REAL_H
#define WHYSLOW_REAL_H

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* The fortified forms that -D_FORTIFY_SOURCE builds (Debian's) call. */
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __pread64_chk(int, void *, size_t, off64_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
int __poll_chk(struct pollfd *, nfds_t, int, size_t);
int __ppoll_chk(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t);
int __open_2(const char *, int);
int __open64_2(const char *, int);
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);
int __libc_start_main(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
                      void (*)(void), void *);

/*
 * WS_REAL(name) defines real_<name>, the pointer to the real function,
 * and lists it for ws_resolve() in the section "ws_real" of the library:
 * each wrapper defines its own beside it, so that a new wrapper needs no
 * list elsewhere.  ws_resolve() runs in the constructor, before any
 * wrapper may record, and earlier when another library's constructor
 * calls a wrapped function first (REAL() below): never in a signal
 * handler, where dlsym is not safe.  The names are start data
 * (WS_START_DATA): the start of every process reads those of main's and
 * exit's wrappers.
 *
 * The pointers are written at a process's start (all, when it records)
 * or at a function's first call (disabled), so they are on the page the
 * loader writes anyway (after .data, see WS_START_RW): in .bss they lay on
 * two pages of their own, a page fault each for every process, some 25 us
 * on a host whose page tables the hypervisor shadows
 * (e2e.harm.pages_written counts them).  Each pointer is the first word of
 * its entry (real_<name> is an alias of it) rather than a variable the
 * entry points to: half the room on that page, where the start's own
 * variables must fit too.
 */
struct ws_real {
    void *fn; /* first: real_<name> */
    const char *name;
};

#define WS_REAL(name)                                                                              \
    static const char ws_real_name_##name[] WS_START_DATA = #name;                                 \
    struct ws_real ws_real_##name __attribute__((                                                  \
        used, section("ws_real"), aligned(sizeof(void *)))) = {NULL, ws_real_name_##name};         \
    extern __typeof__(name) *real_##name __attribute__((alias("ws_real_" #name)))

/* The real functions the recorder calls for itself outside the file that
 * wraps them. */
#define WS_REAL_EXTERN(name)                                                                       \
    extern __typeof__(name) *real_##name;                                                          \
    extern struct ws_real ws_real_##name
WS_REAL_EXTERN(read);
WS_REAL_EXTERN(write);
WS_REAL_EXTERN(open);
WS_REAL_EXTERN(close);
WS_REAL_EXTERN(poll);
WS_REAL_EXTERN(nanosleep);
WS_REAL_EXTERN(syscall);
WS_REAL_EXTERN(_exit);
WS_REAL_EXTERN(pthread_mutex_lock);
WS_REAL_EXTERN(pthread_mutex_unlock);
WS_REAL_EXTERN(pthread_cond_signal);
WS_REAL_EXTERN(pthread_cond_broadcast);
WS_REAL_EXTERN(pthread_create);
WS_REAL_EXTERN(prctl);
WS_REAL_EXTERN(sendmsg);

void ws_resolve(void);
void ws_resolve_one(struct ws_real *r);
void ws_resolve_child_calls(void); /* those a child of fork() calls before exec (real.c) */
void ws_locate(void);              /* where ws_resolve_one() looks: from the constructor */
int ws_walk_ready(void);           /* 1: ws_resolve() will only read the tables ws_locate() found */
void *ws_lookup(const char *name); /* dlsym(RTLD_DEFAULT, name), as cheaply */
void *ws_lookup_call(const char *name, const char *version); /* what the loader binds it to */
void ws_bind_calls(void); /* our own calls still lazy, bound now (bind.c) */

/* An address of an object's dynamic section (d_ptr), the object loaded at
 * base: the loader relocates them on x86-64; where it does not, they are
 * offsets from base. */
static inline const void *ws_dyn_ptr(ElfW(Addr) base, ElfW(Addr) p)
{
    return (const void *)(p < base ? p + base : p);
}

/* The real function, found first if it was not yet: before our
 * constructor ran (another library's constructor called it), or in a
 * process that does not record, whose constructor finds none (each found
 * at its first call: the few a short process calls cost it a fraction of
 * looking for all).  Safe in a signal handler: the lookup reads only the
 * symbol tables the constructor located (real.c). */
#define REAL(name)                                                                                 \
    (__builtin_expect(real_##name != NULL, 1) ? real_##name                                        \
                                              : (ws_resolve_one(&ws_real_##name), real_##name))

#endif
