/* SPDX-License-Identifier: MIT */
/*
 * stall.h - event loops that stalled (the event_loop_stall finding; the
 * rule, LOOP_MIN_WAITS and what a stall holds are in docs/rules.md).
 *
 * For the longest stall of each loop, this keeps what its thread did then:
 * the calls that started in it, grouped (syscalls by call and target,
 * sleeps, database statements by query, lock waits by lock), each with its
 * count and time, and the time no recorded call covers.  Times are given
 * out as in the time breakdown (sweep.h).
 *
 * analyze.c feeds every event to a stall finder while it reads the
 * timeline; findings_stall.c makes the findings.
 */
#ifndef WHYSLOW_STALL_H
#define WHYSLOW_STALL_H

#include "log/calls.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

#define LOOP_MIN_WAITS   3
#define STALL_MS_DEFAULT 100
#define NO_QUERY         UINT32_MAX

enum stall_group_kind {
    STALL_CALL,  /* syscalls of one call on one target (or a database call) */
    STALL_SLEEP, /* nanosleep, clock_nanosleep */
    STALL_QUERY, /* executions of one SQL statement (query id) */
    STALL_LOCK,  /* waits on one lock */
    STALL_MORE,  /* the calls past the groups kept (STALL_GROUPS) */
};

struct stall_group {
    enum stall_group_kind kind;
    unsigned call;       /* CALL, SLEEP, LOCK: the call */
    uint32_t target;     /* CALL: what it was on (strpool id, 0: nothing) */
    uint32_t qid;        /* QUERY: the query, an index in the process's table */
    uint64_t addr;       /* LOCK: the lock */
    enum lock_kind lock; /* LOCK: its kind */
    uint64_t count;      /* calls that started in the stall */
    uint64_t time_ns;    /* the stall's time they took */
    uint64_t caller;     /* where the longest of them was called from */
};

struct loop_stall {
    uint32_t serial, tid;
    unsigned call;   /* the loop's wait */
    uint64_t caller; /* where the loop calls it from */
    uint64_t waits;  /* its waits from there */
    uint64_t count;  /* stalls */
    uint64_t stall_ns, total_ns;
    int64_t at_ns;              /* when the longest began */
    uint64_t cpu_ns;            /* of the longest, the time no recorded call covers */
    struct stall_group *during; /* in the longest, most time first */
    size_t nduring;
    /* The longest call that started in the longest stall, if any: where
     * it came from and its stack (a coroutine's or callback's line). */
    uint64_t blocker;
    struct event_stack stack;
};

struct stall_finder;

struct stall_finder *stall_open(const struct ws_process *p, uint64_t stall_ns);

/* Adds an event (a thread's events come in the order they started); qid
 * is its query for an SQL statement, else NO_QUERY. */
void stall_event(struct stall_finder *sf, const struct ws_event *ev, uint32_t qid);

/* The loops that stalled, one per thread, most stalled time first; frees
 * sf. */
void stall_close(struct stall_finder *sf, struct loop_stall **stalls, size_t *n);

void loop_stalls_free(struct loop_stall *stalls, size_t n);

#endif
