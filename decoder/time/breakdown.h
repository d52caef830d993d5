/* SPDX-License-Identifier: MIT */
/*
 * breakdown.h - where each thread's time went: its wall time split into
 * disk, network, lock, database, sleep, wait, and other (CPU, or calls
 * that are not traced).  The rule (a thread's wall time, which call counts
 * for which part, overlaps) is in docs/rules.md (the time breakdown): each
 * recorded call's span counts for one part (time_part_of), overlaps are
 * given out by sweep.h, and what no span covers is other, so the parts add
 * up to the wall time exactly.
 *
 * analyze.c feeds every event to a breakdown as it reads the timeline, and
 * closes it once the process's duration is known.
 */
#ifndef WHYSLOW_BREAKDOWN_H
#define WHYSLOW_BREAKDOWN_H

#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

enum time_part {
    PART_NONE = -1, /* an event that is no span of time (thread records...) */
    PART_DISK,
    PART_NET,
    PART_LOCK,
    PART_DB,
    PART_SLEEP,
    PART_WAIT,
    PART_OTHER,
    TIME_PARTS,
};

struct thread_time {
    uint32_t serial, tid;
    uint32_t name; /* strpool id, 0 if unnamed */
    int64_t start_ns, end_ns;
    uint64_t wall_ns;
    uint64_t part_ns[TIME_PARTS]; /* they add up to wall_ns */
    uint64_t gil_ns;              /* the part of lock that waited for CPython's GIL */
    uint64_t runq_ns;             /* runnable, waiting for a CPU (WS_META_SCHED): it
                                     overlaps the parts, other most often */
};

/* The threads of a process added up. */
struct time_total {
    uint64_t wall_ns;
    uint64_t part_ns[TIME_PARTS];
    uint64_t gil_ns;
    uint64_t runq_ns;
    size_t threads;
};

/* "disk", "net", "lock", "db", "sleep", "wait" or "other". */
const char *time_part_name(enum time_part part);

/* The letter of a part in the report's bars: D N L B S W and '.'. */
char time_part_letter(enum time_part part);

/* The part an event's span counts for, and in *gil whether it was a wait
 * for CPython's GIL (counted as lock). */
enum time_part time_part_of(const struct ws_process *p, const struct ws_event *ev, int *gil);

/* Which part wins time where spans overlap: the higher. */
unsigned time_part_priority(enum time_part part);

/* Time not waited away: the wall time but wait and sleep. */
uint64_t thread_time_busy(const struct thread_time *t);

struct breakdown;

struct breakdown *breakdown_open(const struct ws_process *p);

/* Adds an event; a thread's events come in the order they started. */
void breakdown_event(struct breakdown *b, const struct ws_event *ev);

/*
 * A thread's lock time on one semaphore or futex.  Whether such a wait
 * was for a lock or for work, an event or another thread's end (a park:
 * idle waiting) is known only once every wake-up is linked (wakes.h), so
 * the breakdown counts them as lock, keeps these, and breakdown_parks()
 * moves the parks' time to wait.
 */
struct obj_wait {
    uint32_t serial; /* the thread's */
    int kind;        /* enum lock_kind: LOCK_SEM or LOCK_FUTEX */
    uint64_t addr;
    uint64_t ns;
};

/* Ends every thread (the process's duration is final) and frees b: the
 * threads, busiest first (thread_time_busy, then tid), in *threads (to
 * free), their sum in *total, their semaphore and futex waits in *waits
 * (to free). */
void breakdown_close(struct breakdown *b, struct thread_time **threads, size_t *n,
                     struct time_total *total, struct obj_wait **waits, size_t *nwaits);

/* Moves the time of the waits that is_park() says were parks from lock to
 * wait, in the threads and their total, and sorts the threads again. */
void breakdown_parks(struct thread_time *threads, size_t n, struct time_total *total,
                     const struct obj_wait *waits, size_t nwaits,
                     int (*is_park)(const void *ctx, uint64_t addr, int kind), const void *ctx);

/* The other way: moves the time of the waits is_lock() says were a lock
 * after all (between processes: analysis/ipc.h) from wait back to lock. */
void breakdown_unpark(struct thread_time *threads, size_t n, struct time_total *total,
                      const struct obj_wait *waits, size_t nwaits,
                      int (*is_lock)(const void *ctx, uint64_t addr, int kind), const void *ctx);

#endif
