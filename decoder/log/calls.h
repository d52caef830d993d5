/* SPDX-License-Identifier: MIT */
/*
 * calls.h - what the analysis needs to know about each call, from the
 * table of include/whyslow/calls.h: its name (also for ids this decoder
 * does not know), its family, which calls move bytes, what counts as an
 * error, and the kind of lock a lock call works on.
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
    LOCK_NOTIFY, /* no lock call's: an epoll set woken through an fd (conc/wakes.h) */
};

/* The family column of the table; an unknown id below 100 is taken for
 * a syscall (of a newer recorder), one above for a record. */
enum call_family {
    FAMILY_SYSCALL,
    FAMILY_LOCK,
    FAMILY_SQLITE,
    FAMILY_PQ,
    FAMILY_RECORD,
};

enum call_family call_family(unsigned call);

/* The obj column of the table: what an event's obj field holds. */
enum call_obj {
    OBJ_NONE,
    OBJ_FD,
    OBJ_DIRFD,
    OBJ_MUTEX,
    OBJ_RWLOCK,
    OBJ_COND,
    OBJ_SEM,
    OBJ_FUTEX,
    OBJ_CONN,
    OBJ_STMT,
};

/* OBJ_NONE for an unknown id. */
enum call_obj call_obj(unsigned call);

/* The call's name from the table, or "call#N" for an unknown id. */
const char *call_name(unsigned call);

/* A call shown in the syscall table: of the SYSCALL family. */
int call_is_syscall(unsigned call);

/* A database call: of the SQLITE or PQ family. */
int call_is_db(unsigned call);

/* A syscall whose duration means something is slow: not one whose job
 * is to wait (poll, sleeps, accept, ...). */
int call_can_be_slow(unsigned call);

/* The bytes an event moved (read/write family, result >= 0), else 0. */
uint64_t event_bytes(const struct ws_event *ev);

/* Whether a syscall event failed: result -1, or for a call that returns
 * an error code (getaddrinfo, clock_nanosleep) result != 0. */
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

/* Whether a lock event is a wait: a call whose job is to wait (a cond,
 * sem or futex wait), or one marked WS_LOCK_CONTENDED. */
int lock_event_waited(const struct ws_event *ev);

/* Whether a lock event woke waiters: a cond signal or broadcast, a
 * sem_post, a FUTEX_WAKE, or the release of a mutex that had waiters. */
int lock_event_wakes(const struct ws_event *ev);

#endif
