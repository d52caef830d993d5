/*
 * calls.h - what the analysis needs to know about each call beyond the
 * flags in format.h: its display name (also for ids this decoder does
 * not know), which calls move bytes, what counts as an error, and the
 * kind of lock a lock call works on.
 */
#ifndef WHYSLOW_CALLS_H
#define WHYSLOW_CALLS_H

#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

enum lock_kind {
    LOCK_NONE = -1,
    LOCK_MUTEX,
    LOCK_RWLOCK,
    LOCK_COND,
    LOCK_SEM,
    LOCK_FUTEX,
};

/* The call's name from format.h, or "call#N" for an unknown id. */
const char *call_name(unsigned call);

/* A call shown in the syscall table: not a lock call, not a database
 * call, not a thread record (known or unknown ids below 100, lock and
 * database ids excluded). */
int call_is_syscall(unsigned call);

/* A database call (SQLite, libpq): WS_CALL_IS_DB. */
int call_is_db(unsigned call);

/* A syscall whose duration means something is slow: not one whose job
 * is to wait (poll, sleeps, accept, ...). */
int call_can_be_slow(unsigned call);

/* The bytes an event moved (read/write family, result >= 0), else 0. */
uint64_t event_bytes(const struct ws_event *ev);

/* Whether a syscall event failed: result -1, or for getaddrinfo and
 * clock_nanosleep (which return an error code) result != 0. */
int event_failed(const struct ws_event *ev);

/* The name of a failed event's error: "ENOENT", "EAI_NONAME" (the
 * getaddrinfo code), or "error N" when unknown.  Returns buf. */
const char *event_error_name(const struct ws_event *ev, char *buf, size_t len);

/* The lock kind of a lock call, or LOCK_NONE. */
enum lock_kind lock_kind_of(unsigned call);
const char *lock_kind_name(enum lock_kind kind);

/* Whether a lock call acquires (lock/trylock/timedlock) or releases. */
int lock_call_acquires(unsigned call);
int lock_call_releases(unsigned call);

/* Whether a lock event is a wait: the CONTENDED flag, or a cond, sem or
 * futex wait (those always block). */
int lock_event_waited(const struct ws_event *ev);

/* Whether a lock event woke waiters: a cond signal or broadcast, a
 * sem_post, a FUTEX_WAKE, or the release of a mutex that had waiters. */
int lock_event_wakes(const struct ws_event *ev);

#endif
