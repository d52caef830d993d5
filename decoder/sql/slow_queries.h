/* SPDX-License-Identifier: MIT */
/*
 * slow_queries.h - the executions of each statement that took at least
 * --slow-ms (a slow_query finding, docs/rules.md).
 *
 * An execution's time is its own: an SQLite execution's span runs from
 * its first step to its last, and holds what the program did between two
 * rows, the statements it ran meanwhile included (an N+1 loop's queries
 * inside their parent's span); those statements' spans are taken out.  A
 * libpq execution's time inside libpq (waiting for the server) is kept
 * beside it.
 */
#ifndef WHYSLOW_SLOW_QUERIES_H
#define WHYSLOW_SLOW_QUERIES_H

#include "base/hashmap.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

struct slow_query {
    uint32_t qid; /* its query (queries.h) */
    uint64_t count, total_ns, max_ns;
    uint64_t lib_ns;          /* of total_ns, inside libpq: waiting for the server */
    uint32_t tid;             /* the thread of the slowest */
    uint64_t conn;            /* its connection */
    uint64_t caller;          /* where the slowest was run from */
    struct event_stack stack; /* of the slowest */
};

#define SLOW_OPEN_MAX 4 /* statements open inside each other, per thread */

/* An execution whose span may still hold other statements of its thread. */
struct slow_open {
    uint32_t qid;
    int64_t end;
    uint64_t own_ns, lib_ns;
    uint32_t tid;
    uint64_t conn, caller;
    struct event_stack stack;
};

struct slow_queries {
    uint64_t slow_ns;
    struct map threads; /* thread serial -> index + 1 in open */
    struct slow_thread {
        size_t n;
        struct slow_open s[SLOW_OPEN_MAX];
    } * open;
    size_t nopen, opencap;
    struct map index; /* query id -> index + 1 in found */
    struct slow_query *found;
    size_t nfound, foundcap;
};

void slow_queries_init(struct slow_queries *sq, uint64_t slow_ns);

/* An execution of query qid, in time order (of starts). */
void slow_queries_statement(struct slow_queries *sq, const struct ws_event *ev, uint32_t qid);

/* What was found, in the order of each query's first slow execution. */
void slow_queries_finish(struct slow_queries *sq, struct slow_query **found, size_t *n);

#endif
