/* SPDX-License-Identifier: MIT */
/*
 * wakes.h - who woke whom: each wait of a process linked to the thread
 * that let it go on, what the waits were for, and the database
 * connections each thread used, gathered in the one pass analyze.c makes
 * over a timeline.  The concurrency findings (concurrency.h: pools of
 * connections and of threads, the GIL) and the lock_contention finding
 * work from what this finds.
 *
 * The rules are in docs/rules.md ("Who woke whom"): which calls are waits
 * and wakes, how a wait is linked to its wake (WAKE_SLACK_NS after its
 * end at most), which wakes hand nothing over (a thread's last act before
 * it ends, a start handshake: flagged WAKE_EXIT and WAIT_HANDSHAKE, and
 * left out by the findings), and the role each object waited on gets:
 *   WAIT_GIL   it lies in CPython's _PyRuntime (sym_is_gil(), symbolize.h);
 *   WAIT_LOCK  threads waited there for a holder;
 *   WAIT_PARK  threads waited there for something to happen.
 * A wait's role is its object's.
 *
 * An event loop's epoll set is an object too (LOCK_NOTIFY): its waits are
 * the loop's epoll waits, its wakes the writes of other threads on an fd
 * it watches through which threads notify it (an eventfd, a pipe, a
 * socketpair), as workers deliver results to libuv's and asyncio's loops.
 *
 * Connections: each thread's database calls on one connection follow each
 * other in a run (split when the thread parks on something in between:
 * it may have given the connection back and taken it again), and each
 * connection is named by the file or server it was opened to.
 */
#ifndef WHYSLOW_WAKES_H
#define WHYSLOW_WAKES_H

#include "base/hashmap.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/* How far after a wait's end its waker's stamp may come. */
#define WAKE_SLACK_NS 2000000

/* WAIT_IPC: a semaphore or futex in memory shared between processes,
 * which several processes waited on for each other's posts (set after
 * all processes are read: analysis/ipc.h). */
enum wait_role { WAIT_LOCK, WAIT_PARK, WAIT_GIL, WAIT_IPC };

/* Flags of a wait. */
#define WAIT_OK        1u /* it succeeded (may have a waker) */
#define WAIT_HANDSHAKE 2u /* its waker started after it began (see above) */

/* Flags of a wake. */
#define WAKE_EXIT  1u /* its thread's last act before it ended */
#define WAKE_FIRST 2u /* its thread's first act */

struct wk_wait {
    int64_t start, end;
    uint64_t caller;
    uint32_t oid;    /* its object: index in wake_data.objects */
    uint32_t thread; /* index in wake_data.threads */
    uint32_t waker;  /* index + 1 in wake_data.wakes, 0: none found */
    uint32_t calls;  /* its thread's calls before it (syscalls and database calls) */
    uint8_t kind;    /* enum lock_kind */
    uint8_t role;    /* enum wait_role */
    uint8_t flags;   /* WAIT_* */
};

struct wk_wake {
    int64_t at;
    uint32_t oid;    /* its object: index in wake_data.objects */
    uint32_t thread; /* index in wake_data.threads */
    uint32_t calls;  /* its thread's calls up to it (syscalls and database calls) */
    uint16_t uses;   /* waiters it can wake: 1, FUTEX_WAKE's count, WAKE_ALL (broadcast) */
    uint8_t kind;
    uint8_t flags; /* WAKE_* */
};

#define WAKE_ALL UINT16_MAX

/* Database calls of one thread on one connection, one after another. */
struct wk_run {
    int64_t start, end;
    uint64_t conn;
    uint32_t thread;  /* index in wake_data.threads */
    uint32_t db;      /* its connection's index + 1 in wake_data.conns (0: never seen opened) */
    uint8_t postgres; /* libpq calls, else SQLite */
};

/* A connection as opened (an address may be reused by a later open). */
struct wk_conn {
    uint64_t conn;
    uint8_t postgres;  /* 1: libpq, 0: SQLite */
    uint32_t resource; /* strpool id of what it was opened to (0: unknown) */
};

struct wk_thread {
    uint32_t serial, tid;
    int64_t start, end; /* its wall time: see wakes_close() */
    int ended;          /* it has a THREAD_END record */
    uint32_t parent;    /* the serial of the thread that created it, or 0: unknown */
    int64_t first_call; /* the start of its first syscall or database call (INT64_MAX: none) */
};

/* An object waited on (or the GIL's), with its role.  An address may hold
 * several in turn: a semaphore destroyed ends one (WS_SEM_DESTROY). */
struct wk_object {
    uint64_t obj;
    int64_t wait_ns;         /* the time of the waits on it */
    uint32_t nwaits, nwakes; /* the waits on it, the wakes kept */
    uint8_t kind, role;
};

struct wake_data {
    struct ws_process *p;
    struct wk_thread *threads;
    size_t nthreads;
    struct wk_wait *waits; /* in start order */
    size_t nwaits;
    struct wk_wake *wakes; /* in time order */
    size_t nwakes;
    struct wk_run *runs; /* in start order */
    size_t nruns;
    struct wk_conn *conns;
    size_t nconns;
    struct wk_object *objects; /* in the order first waited on */
    uint32_t *objects_by_addr; /* their indices, by (obj, kind) */
    size_t nobjects;
};

struct wakes;

/* Starts collecting for a process (finished by timeline_finish). */
struct wakes *wakes_open(struct ws_process *p);

/* Adds an event; events come in timeline order. */
void wakes_event(struct wakes *w, const struct ws_event *ev);

/* Ends the collection (the timeline was read to its end, so the process's
 * duration is final), links waits to wakes, gives objects their roles,
 * and frees w.  Thread wall times: from the process start for the thread
 * whose tid is the pid, else from its THREAD_START record or first event,
 * to its THREAD_END record or the process's end. */
void wakes_close(struct wakes *w, struct wake_data *out);

void wake_data_free(struct wake_data *d);

/* The role of the object (addr, kind); for one never waited on, that of
 * its kind (a mutex or rwlock is a lock, the others are parks). */
enum wait_role wake_role(const struct wake_data *d, uint64_t addr, int kind);

/* Items by object: given n items whose object numbers are at oid_of, one
 * every stride bytes, the items of object o are *pos[(*first)[o]] ..
 * *pos[(*first)[o + 1] - 1], in their own order (a stable counting sort).
 * Both arrays are to be freed. */
void by_object(size_t nobjs, size_t n, const uint32_t *oid_of, size_t stride, uint32_t **pos,
               size_t **first);

/* "lock", "park", "gil" or "ipc". */
const char *wait_role_name(enum wait_role role);

#endif
