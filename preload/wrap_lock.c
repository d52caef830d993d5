/* SPDX-License-Identifier: MIT */
/*
 * wrap_lock.c - locks: pthread mutexes and rwlocks, condition variables,
 * semaphores, and futex waits made through syscall().
 *
 * As mutrace does, an acquisition first tries the lock (pthread_mutex_lock
 * looks at it instead, see below).  When it is free that is all: a
 * per-thread counter goes up, and the cost is a few loads and an increment.  Only when the lock is
 * busy is the wait timed and recorded, with the lock's address and the caller.  A try that fails
 * with anything but EBUSY has the same result the blocking call would
 * have had (EINVAL, EOWNERDEAD, EAGAIN...) and is returned as it is.
 *
 * Condition waits, semaphore waits that cannot take the count at once, and
 * futex waits always block, so they are always recorded.
 *
 * WHYSLOW_LOCKS=all also records every acquisition and release (err
 * without WS_LOCK_CONTENDED), so the decoder can measure hold times.
 *
 * Wake-ups (who let a waiter go on) are recorded only when there was a
 * waiter to wake: the wrapper reads glibc's own count of waiters, the
 * one its signal/post/unlock tests before making a futex call, so a call
 * that wakes nobody costs one load more than the real one.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "internal.h"

/*
 * The fast path is kept tiny on purpose: what an uncontended pair costs is
 * the few instructions below, so everything else (the first event of a
 * thread, "all" mode, a busy lock) is in out-of-line functions that the
 * fast path only jumps to.
 */
#define noinline __attribute__((noinline))

/*
 * Where the fast paths of pthread_mutex_lock, pthread_mutex_unlock and
 * pthread_rwlock_unlock go: the real function, once the settings are read
 * (the slow path sets it) and WHYSLOW_LOCKS is not "all"; until then, and
 * in "all" mode, a function of ours that takes the slow path.  Never NULL,
 * so that the fast path tests nothing to know where to go: with
 * ws_locks_all tested there, a load and a branch more in each, a pair
 * added 2.5 ns on a host in its slow state (the untraced pair at 8-9 ns
 * instead of 6.2), 1 ns more than without.  Ours are reached by the fast
 * path's tail jump, so their return address is the program's call.
 *
 * The two mutex wrappers start a cache line (aligned(64)): placed where
 * the fast path's last jump crossed a 32-byte boundary, a pair added a
 * cycle more (0.93 against 0.62 ns, the host in its fast state).
 */
static int lock_counted(pthread_mutex_t *lock);
static int mutex_unlock_first(pthread_mutex_t *lock);
static int rwlock_unlock_first(pthread_rwlock_t *lock);
static WS_HOT int (*fast_mutex_lock)(pthread_mutex_t *) = lock_counted;
static WS_HOT int (*fast_mutex_unlock)(pthread_mutex_t *) = mutex_unlock_first;
static WS_HOT int (*fast_rwlock_unlock)(pthread_rwlock_t *) = rwlock_unlock_first;

/* The real function; kept in fast when the fast path may call it.
 * Stored only once: every contended lock takes the slow path, and a store
 * to ws_hot's line would take it from the other CPUs' caches. */
#define FAST_TOO(fast, name)                                                                       \
    (atomic_load_explicit(&ws_settled, memory_order_acquire) && !ws_locks_all &&                   \
             fast != REAL(name)                                                                    \
         ? (fast = REAL(name))                                                                     \
         : REAL(name))

static noinline void uncontended_slow(unsigned call, const void *lock, uint64_t caller)
{
    struct ws_thread *t = ws_me.self;
    if (t == NULL && (t = ws_enter_slow()) != NULL) t->uncontended++; /* first event */
    if (ws_locks_all && (t = ws_enter()) != NULL) {
        uint64_t now = ws_now();
        ws_emit(t, call, 0, (int64_t)(uintptr_t)lock, 0, now, now, caller, NULL, 0);
    }
}

/* A free lock was taken: count it (and record it in "all" mode). */
static inline void uncontended(unsigned call, const void *lock, uint64_t caller)
{
    struct ws_thread *t = ws_me.self;
    if (likely(t != NULL)) t->uncontended++;
    if (unlikely(t == NULL || ws_locks_all)) uncontended_slow(call, lock, caller);
}

/* A wait: where in the program's Python code, if any, then the record. */
static inline void waited(struct ws_thread *t, unsigned call, const void *lock, int r, uint64_t s,
                          uint64_t e, uint64_t caller)
{
    ws_py_note_site(t, s);
    ws_emit(t, call, WS_LOCK_CONTENDED, (int64_t)(uintptr_t)lock, r, s, e, caller, NULL, 0);
}

/*
 * Try first; time the blocking call only when the lock was busy.
 * ws_enter() comes after the try: an uncontended lock never pays for it.
 */
#define UNPAREN(...) __VA_ARGS__

/* The program's own tries: recorded only in "all" mode, when they succeed.
 * The wrappers below try with them first. */
#define WRAP_TRY(name, call, type)                                                                 \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name(type *lock)                                                                 \
    {                                                                                              \
        int r = REAL(name)(lock);                                                                  \
        if (r == 0) uncontended(call, lock, WS_CALLER);                                            \
        return r;                                                                                  \
    }

WRAP_TRY(pthread_mutex_trylock, WS_MUTEX_TRYLOCK, pthread_mutex_t)
WRAP_TRY(pthread_rwlock_tryrdlock, WS_RWLOCK_TRYRDLOCK, pthread_rwlock_t)
WRAP_TRY(pthread_rwlock_trywrlock, WS_RWLOCK_TRYWRLOCK, pthread_rwlock_t)

/* The wait for a busy lock, timed. */
#define WRAP_BUSY(name, call, params, args, obj)                                                   \
    WS_REAL(name);                                                                                 \
    static noinline int name##_busy(uint64_t caller, UNPAREN params)                               \
    {                                                                                              \
        struct ws_thread *t = ws_enter();                                                          \
        if (!t) return REAL(name) args;                                                            \
        uint64_t s = ws_now();                                                                     \
        ws_wait_begin(t, call, (int64_t)(uintptr_t)obj, s, caller);                                \
        int r = real_##name args;                                                                  \
        uint64_t e = ws_now();                                                                     \
        ws_wait_end(t);                                                                            \
        waited(t, call, obj, r, s, e, caller);                                                     \
        return r;                                                                                  \
    }

/* A timeout or clock the real call refuses (EINVAL) before it even tries
 * the lock: then the try must not happen either. */
static inline int ts_ok(const struct timespec *ts)
{
    return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static inline int clock_ok(clockid_t c)
{
    return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC;
}

#define WRAP_TRY_FIRST(name, trylock, call, valid, params, args)                                   \
    WRAP_BUSY(name, call, params, args, lock)                                                      \
    WS_EXPORT int name params                                                                      \
    {                                                                                              \
        if (!(valid)) return REAL(name) args;                                                      \
        int r = REAL(trylock)(lock);                                                               \
        if (likely(r == 0)) {                                                                      \
            uncontended(call, lock, WS_CALLER);                                                    \
            return 0;                                                                              \
        }                                                                                          \
        if (r != EBUSY) return r;                                                                  \
        return name##_busy(WS_CALLER, UNPAREN args);                                               \
    }

WRAP_BUSY(pthread_mutex_lock, WS_MUTEX_LOCK, (pthread_mutex_t * lock), (lock), lock)

/*
 * pthread_mutex_lock, the hottest of all: glibc's trylock costs 1.5 ns more
 * than its lock, so rather than try first, look at the lock word (0: the
 * mutex is free, for every kind of glibc mutex) and when it is free, count
 * and tail-call the real lock.  A mutex taken by another thread in the
 * nanoseconds between the look and the call is then counted as
 * uncontended: a rare miss, against a cost paid on every lock.  Anything
 * else goes the way of the other locks: try, then time the wait.
 */
static noinline int mutex_lock_slow(pthread_mutex_t *lock, uint64_t caller)
{
    if (!atomic_load_explicit(&ws_on, memory_order_relaxed)) /* not recording */
        return REAL(pthread_mutex_lock)(lock);
    FAST_TOO(fast_mutex_lock, pthread_mutex_lock);
    int r = REAL(pthread_mutex_trylock)(lock);
    if (r == 0) {
        uncontended(WS_MUTEX_LOCK, lock, caller);
        return 0;
    }
    if (r != EBUSY) return r;
    return pthread_mutex_lock_busy(caller, lock);
}

/* The fast path counted as uncontended a lock it left to us (before the
 * slow path's first call, or in "all" mode): the slow path counts it
 * again if it is.  (The thread's slot is looked at again: a signal
 * handler that ran since may have forked, and its child has none.) */
static noinline int lock_counted(pthread_mutex_t *lock)
{
    struct ws_thread *t = ws_me.self;
    if (t) t->uncontended--;
    return mutex_lock_slow(lock, WS_CALLER);
}

WS_EXPORT __attribute__((aligned(64))) int pthread_mutex_lock(pthread_mutex_t *lock)
{
#ifdef __GLIBC__
    struct ws_thread *t = ws_me.self;
    if (likely(t != NULL && __atomic_load_n(&lock->__data.__lock, __ATOMIC_RELAXED) == 0)) {
        t->uncontended++;
        return fast_mutex_lock(lock);
    }
#endif
    return mutex_lock_slow(lock, WS_CALLER);
}
WRAP_TRY_FIRST(pthread_mutex_timedlock, pthread_mutex_trylock, WS_MUTEX_TIMEDLOCK, ts_ok(ts),
               (pthread_mutex_t * lock, const struct timespec *ts), (lock, ts))
WRAP_TRY_FIRST(pthread_mutex_clocklock, pthread_mutex_trylock, WS_MUTEX_TIMEDLOCK,
               ts_ok(ts) && clock_ok(c),
               (pthread_mutex_t * lock, clockid_t c, const struct timespec *ts), (lock, c, ts))
WRAP_TRY_FIRST(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, WS_RWLOCK_RDLOCK, 1,
               (pthread_rwlock_t * lock), (lock))
WRAP_TRY_FIRST(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, WS_RWLOCK_WRLOCK, 1,
               (pthread_rwlock_t * lock), (lock))
WRAP_TRY_FIRST(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock, WS_RWLOCK_TIMEDRDLOCK,
               ts_ok(ts), (pthread_rwlock_t * lock, const struct timespec *ts), (lock, ts))
WRAP_TRY_FIRST(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock, WS_RWLOCK_TIMEDWRLOCK,
               ts_ok(ts), (pthread_rwlock_t * lock, const struct timespec *ts), (lock, ts))
WRAP_TRY_FIRST(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock, WS_RWLOCK_TIMEDRDLOCK,
               ts_ok(ts) && clock_ok(c),
               (pthread_rwlock_t * lock, clockid_t c, const struct timespec *ts), (lock, c, ts))
WRAP_TRY_FIRST(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock, WS_RWLOCK_TIMEDWRLOCK,
               ts_ok(ts) && clock_ok(c),
               (pthread_rwlock_t * lock, clockid_t c, const struct timespec *ts), (lock, c, ts))

/*
 * Whether a glibc mutex has waiters: its lock word is 2 (normal and
 * adaptive mutexes) or has FUTEX_WAITERS (robust and PI ones), and an
 * unlock would release it (not a recursive mutex's inner unlock).
 */
static inline int mutex_has_waiters(const pthread_mutex_t *m)
{
#ifdef __GLIBC__
    int v = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
    return (v == 2 || (v & (int)0x80000000u)) && m->__data.__count <= 1;
#else
    (void)m;
    return 0;
#endif
}

/* A wake-up, stamped `at`, taken before its call.  The release happens
 * inside that call: a stamp taken after it comes after the wake-up it
 * caused whenever the thread is preempted in between (a loaded machine),
 * and the wait it ended would then seem to have ended before its cause,
 * with no waker. */
static noinline void woke(unsigned call, const void *obj, int64_t result, uint32_t err, uint64_t at,
                          uint64_t caller)
{
    struct ws_thread *t = ws_enter();
    if (!t) return;
    ws_emit(t, call, err, (int64_t)(uintptr_t)obj, result, at, at, caller, NULL, 0);
}

/* A release that may have woken waiters (wakes: WS_LOCK_WAKES, in the
 * record's err), or any release in "all" mode. */
static inline void released(unsigned call, uint32_t wakes, const void *lock, uint64_t at,
                            uint64_t caller)
{
    if (wakes || ws_locks_all) woke(call, lock, 0, wakes, at, caller);
}

WS_REAL(pthread_mutex_unlock);

static noinline int mutex_unlock_slow(pthread_mutex_t *lock, uint64_t caller)
{
    int (*real)(pthread_mutex_t *) = FAST_TOO(fast_mutex_unlock, pthread_mutex_unlock);
    uint32_t wakes = mutex_has_waiters(lock) ? WS_LOCK_WAKES : 0;
    if (!wakes && !ws_locks_all) return real(lock); /* all the fast path does */
    uint64_t at = ws_now();
    int r = real(lock);
    if (r == 0) released(WS_MUTEX_UNLOCK, wakes, lock, at, caller);
    return r;
}

static noinline int mutex_unlock_first(pthread_mutex_t *lock)
{
    return mutex_unlock_slow(lock, WS_CALLER);
}

WS_EXPORT __attribute__((aligned(64))) int pthread_mutex_unlock(pthread_mutex_t *lock)
{
    /* Both ways out are tail calls: no frame on the fast path. */
    if (likely(!mutex_has_waiters(lock))) return fast_mutex_unlock(lock);
    return mutex_unlock_slow(lock, WS_CALLER);
}

/*
 * Whether a glibc (2.25 and later) rwlock has threads blocked on it:
 * readers waiting for a write phase to end (RWAITING, 4, in __readers, or
 * the futex-used bit, 2, of __wrphase_futex), or writers waiting for the
 * writer lock (the futex-used bit of __writers_futex).  An unlock may then
 * release them; most unlocks find all three clear.
 */
static inline int rwlock_has_waiters(const pthread_rwlock_t *l)
{
#ifdef __GLIBC__
    unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
    unsigned p = __atomic_load_n(&l->__data.__wrphase_futex, __ATOMIC_RELAXED);
    unsigned w = __atomic_load_n(&l->__data.__writers_futex, __ATOMIC_RELAXED);
    return (r & 4) || ((p | w) & 2);
#else
    (void)l;
    return 0;
#endif
}

WS_REAL(pthread_rwlock_unlock);

static noinline int rwlock_unlock_slow(pthread_rwlock_t *lock, uint64_t caller)
{
    int (*real)(pthread_rwlock_t *) = FAST_TOO(fast_rwlock_unlock, pthread_rwlock_unlock);
    uint32_t wakes = rwlock_has_waiters(lock) ? WS_LOCK_WAKES : 0;
    if (!wakes && !ws_locks_all) return real(lock); /* all the fast path does */
    uint64_t at = ws_now();
    int r = real(lock);
    if (r == 0) released(WS_RWLOCK_UNLOCK, wakes, lock, at, caller);
    return r;
}

static noinline int rwlock_unlock_first(pthread_rwlock_t *lock)
{
    return rwlock_unlock_slow(lock, WS_CALLER);
}

WS_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *lock)
{
    /* Both ways out are tail calls: no frame on the fast path. */
    if (likely(!rwlock_has_waiters(lock))) return fast_rwlock_unlock(lock);
    return rwlock_unlock_slow(lock, WS_CALLER);
}

/* glibc's condition variable counts its waiters in __wrefs >> 3, and its
 * signal and broadcast return at once when there are none. */
static inline int cond_has_waiters(const pthread_cond_t *c)
{
#ifdef __GLIBC__
    return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) >> 3) != 0;
#else
    (void)c;
    return 0;
#endif
}

#define WRAP_COND_WAKE(name, call)                                                                 \
    WS_REAL(name);                                                                                 \
    static noinline int name##_wake(pthread_cond_t *c, uint64_t caller)                            \
    {                                                                                              \
        uint64_t at = ws_now(); /* before: see woke() */                                           \
        int r = REAL(name)(c);                                                                     \
        woke(call, c, r, 0, at, caller);                                                           \
        return r;                                                                                  \
    }                                                                                              \
    WS_EXPORT int name(pthread_cond_t *c)                                                          \
    {                                                                                              \
        if (likely(!cond_has_waiters(c) && real_##name)) return real_##name(c);                    \
        return name##_wake(c, WS_CALLER);                                                          \
    }

WRAP_COND_WAKE(pthread_cond_signal, WS_COND_SIGNAL)
WRAP_COND_WAKE(pthread_cond_broadcast, WS_COND_BROADCAST)

/* glibc's semaphore (64-bit form) keeps its waiters in the high half of
 * its first word; sem_post makes a futex call only when they are > 0. */
static inline int sem_has_waiters(const sem_t *sem)
{
#if defined(__GLIBC__) && defined(__x86_64__)
    uint64_t data = __atomic_load_n((const uint64_t *)(const void *)sem, __ATOMIC_RELAXED);
    return (data >> 32) != 0;
#else
    (void)sem;
    return 0;
#endif
}

WS_REAL(sem_post);

static noinline int sem_post_wake(sem_t *sem, uint64_t caller)
{
    uint64_t at = ws_now(); /* before: see woke() */
    int r = REAL(sem_post)(sem);
    int err = errno;
    woke(WS_SEM_POST, sem, r, r < 0 ? (uint32_t)err : 0, at, caller);
    errno = err;
    return r;
}

WS_EXPORT int sem_post(sem_t *sem)
{
    if (likely(!sem_has_waiters(sem) && real_sem_post)) return real_sem_post(sem);
    return sem_post_wake(sem, WS_CALLER);
}

/* The end of a semaphore: the decoder takes one made later at its
 * address for another object.  CPython frees a lock's semaphore and
 * mallocs the next one where it was: without this, the lock made where a
 * future's semaphore was (which its worker posted) would look like a
 * producer's queue, not a lock (docs/rules.md, lock roles).  glibc's
 * sem_destroy does nothing; CPython calls it once per lock it frees. */
WS_REAL(sem_destroy);

WS_EXPORT int sem_destroy(sem_t *sem)
{
    int r = REAL(sem_destroy)(sem);
    if (r == 0 && atomic_load_explicit(&ws_on, memory_order_relaxed)) {
        int err = errno;
        woke(WS_SEM_DESTROY, sem, 0, 0, ws_now(), WS_CALLER);
        errno = err;
    }
    return r;
}

/* A call that always blocks: time it. */
#define WRAP_WAIT(name, call, params, args, obj)                                                   \
    WRAP_BUSY(name, call, params, args, obj)                                                       \
    WS_EXPORT int name params                                                                      \
    {                                                                                              \
        return name##_busy(WS_CALLER, UNPAREN args);                                               \
    }

WRAP_WAIT(pthread_cond_wait, WS_COND_WAIT, (pthread_cond_t * c, pthread_mutex_t *m), (c, m), c)
WRAP_WAIT(pthread_cond_timedwait, WS_COND_TIMEDWAIT,
          (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *ts), (c, m, ts), c)
WRAP_WAIT(pthread_cond_clockwait, WS_COND_TIMEDWAIT,
          (pthread_cond_t * c, pthread_mutex_t *m, clockid_t k, const struct timespec *ts),
          (c, m, k, ts), c)

WS_REAL(sem_trywait);

/* Semaphores: sem_trywait first, as for locks.  sem_* report errors in
 * errno, so a failed try (EAGAIN) leaves errno to restore. */
#define WRAP_SEM(name, call, valid, params, args)                                                  \
    WS_REAL(name);                                                                                 \
    WS_EXPORT int name params                                                                      \
    {                                                                                              \
        if (!(valid)) return REAL(name) args;                                                      \
        /* sem_wait acts on a pending cancellation even with a count free:                         \
         * so must we, before the try (which is no cancellation point). */                         \
        pthread_testcancel();                                                                      \
        int saved = errno;                                                                         \
        if (REAL(sem_trywait)(sem) == 0) {                                                         \
            struct ws_thread *t0 = ws_me.self;                                                     \
            if (unlikely(t0 == NULL)) t0 = ws_enter_slow();                                        \
            if (likely(t0 != NULL)) t0->uncontended++;                                             \
            return 0;                                                                              \
        }                                                                                          \
        errno = saved;                                                                             \
        struct ws_thread *t = ws_enter();                                                          \
        if (!t) return REAL(name) args;                                                            \
        uint64_t s = ws_now();                                                                     \
        ws_wait_begin(t, call, (int64_t)(uintptr_t)sem, s, WS_CALLER);                             \
        int r = real_##name args;                                                                  \
        uint64_t e = ws_now();                                                                     \
        ws_wait_end(t);                                                                            \
        int err = errno;                                                                           \
        waited(t, call, sem, r < 0 ? err : 0, s, e, WS_CALLER);                                    \
        errno = err;                                                                               \
        return r;                                                                                  \
    }

WRAP_SEM(sem_wait, WS_SEM_WAIT, 1, (sem_t * sem), (sem))
WRAP_SEM(sem_timedwait, WS_SEM_TIMEDWAIT, ts_ok(ts), (sem_t * sem, const struct timespec *ts),
         (sem, ts))
WRAP_SEM(sem_clockwait, WS_SEM_TIMEDWAIT, ts_ok(ts) && clock_ok(c),
         (sem_t * sem, clockid_t c, const struct timespec *ts), (sem, c, ts))

/*
 * syscall(SYS_futex, ...): the waits are timed; everything else passes
 * through.  syscall() is variadic: its six possible arguments are passed
 * on as they came, as glibc's own syscall() reads them.
 */
static int futex_waits(long op)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        return 1;
    default:
        return 0;
    }
}

/* Futex operations that wake waiters (their result: how many). */
static int futex_wakes(long op)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_WAKE_OP:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        return 1;
    default:
        return 0;
    }
}

WS_REAL(syscall);

WS_EXPORT long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    struct ws_thread *t;
    if (number == SYS_futex && futex_wakes(a2)) {
        uint64_t at = ws_now(); /* before: see woke() */
        long r = REAL(syscall)(number, a1, a2, a3, a4, a5, a6);
        if (r > 0) {
            int err = errno;
            woke(WS_FUTEX_WAKE, (const void *)a1, r, 0, at, WS_CALLER);
            errno = err;
        }
        return r;
    }
    if (number != SYS_futex &&
        unlikely(atomic_load_explicit(&ws_fork_pending, memory_order_relaxed)))
        ws_before_syscall(number); /* (a change of namespace, root, credentials: wrap_change.c) */
    if (number != SYS_futex || !futex_waits(a2) || !(t = ws_enter()))
        return REAL(syscall)(number, a1, a2, a3, a4, a5, a6);
    uint64_t s = ws_now();
    ws_wait_begin(t, WS_FUTEX_WAIT, a1, s, WS_CALLER);
    long r = real_syscall(number, a1, a2, a3, a4, a5, a6);
    uint64_t e = ws_now();
    ws_wait_end(t);
    int err = errno;
    ws_py_note_site(t, s);
    ws_emit(t, WS_FUTEX_WAIT, WS_LOCK_CONTENDED, a1, r < 0 ? err : 0, s, e, WS_CALLER, NULL, 0);
    errno = err;
    return r;
}

/* Our own wrappers under names no other library can interpose: bypass.c
 * tells a GOT slot that holds one of them from one that holds another
 * library's wrapper (which it leaves alone). */
extern __typeof__(pthread_mutex_lock) ws_own_mutex_lock
    __attribute__((nothrow, alias("pthread_mutex_lock"), visibility("hidden")));
extern __typeof__(pthread_mutex_unlock) ws_own_mutex_unlock
    __attribute__((nothrow, alias("pthread_mutex_unlock"), visibility("hidden")));
extern __typeof__(pthread_cond_signal) ws_own_cond_signal
    __attribute__((nothrow, alias("pthread_cond_signal"), visibility("hidden")));
extern __typeof__(pthread_cond_broadcast) ws_own_cond_broadcast
    __attribute__((nothrow, alias("pthread_cond_broadcast"), visibility("hidden")));
