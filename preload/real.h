/*
 * real.h - pointers to the real functions behind the wrappers.
 *
 * ws_resolve() fills them with dlsym(RTLD_NEXT); it runs in the
 * constructor, and earlier when another library's constructor calls a
 * wrapped function first (REAL() below).  The tracer calls libc through
 * these pointers so that its own calls are never traced.
 */
#ifndef WHYSLOW_REAL_H
#define WHYSLOW_REAL_H

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
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

/* X(name): every function the library wraps or calls for itself. */
/* clang-format off */
#define WS_REAL_LIST(X) \
    X(read) X(write) X(pread) X(pwrite) X(pread64) X(pwrite64) X(readv) X(writev) X(send) \
    X(recv) X(sendto) X(recvfrom) X(sendmsg) X(recvmsg) X(connect) X(accept) X(accept4) X(open) \
    X(open64) X(openat) X(openat64) X(__open_2) X(__open64_2) X(__openat_2) X(__openat64_2) \
    X(close) X(close_range) X(fsync) X(fdatasync) X(poll) X(ppoll) X(select) X(epoll_wait) \
    X(epoll_pwait) X(nanosleep) X(clock_nanosleep) X(usleep) X(sleep) X(getaddrinfo) X(dup) \
    X(dup2) X(dup3) X(__read_chk) X(__pread64_chk) X(__recv_chk) X(__recvfrom_chk) X(__poll_chk) \
    X(__ppoll_chk) X(pthread_mutex_lock) X(pthread_mutex_trylock) X(pthread_mutex_timedlock) \
    X(pthread_mutex_clocklock) X(pthread_mutex_unlock) X(pthread_rwlock_rdlock) \
    X(pthread_rwlock_wrlock) X(pthread_rwlock_tryrdlock) X(pthread_rwlock_trywrlock) \
    X(pthread_rwlock_timedrdlock) X(pthread_rwlock_timedwrlock) X(pthread_rwlock_clockrdlock) \
    X(pthread_rwlock_clockwrlock) X(pthread_rwlock_unlock) X(pthread_cond_wait) \
    X(pthread_cond_timedwait) X(pthread_cond_clockwait) X(pthread_cond_signal) \
    X(pthread_cond_broadcast) X(sem_wait) X(sem_trywait) X(sem_post) \
    X(sem_timedwait) X(sem_clockwait) X(syscall) X(execve) X(execv) X(execvp) X(execvpe) \
    X(fexecve) X(_exit) X(_Exit) X(exit) X(__libc_start_main) X(pthread_create) X(dlclose)
/* clang-format on */

#define WS_REAL_DECLARE(name) extern __typeof__(name) *real_##name;
WS_REAL_LIST(WS_REAL_DECLARE)
#undef WS_REAL_DECLARE

void ws_resolve(void);

/* The real function, resolving first if no constructor has run yet. */
#define REAL(name)                                                                                 \
    (__builtin_expect(real_##name != NULL, 1) ? real_##name : (ws_resolve(), real_##name))

#endif
