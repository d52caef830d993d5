/* SPDX-License-Identifier: MIT */
/*
 * analyze.h - the numbers of a report, computed from finished processes:
 * per (process, call) statistics, per lock contention (and hold times
 * when the recorder saw every acquisition), the slowest calls, per SQL
 * query statistics with the N+1 loops, repeated queries and slow
 * executions among them.
 * The findings are made from these (findings.h); the text and JSON
 * reports only print both.  Each process's timeline is read once, in time order, and
 * no event is kept but the slowest few.
 */
#ifndef WHYSLOW_ANALYZE_H
#define WHYSLOW_ANALYZE_H

#include "analysis/ipc.h"
#include "analysis/pipes.h"
#include "base/histogram.h"
#include "conc/concurrency.h"
#include "conc/stall.h"
#include "analysis/endpoints.h"
#include "analysis/helpers.h"
#include "analysis/mark_groups.h"
#include "http/requests.h"
#include "log/calls.h"
#include "marks/marks.h"
#include "log/process.h"
#include "sql/nplusone.h"
#include "sql/queries.h"
#include "sql/repeated.h"
#include "sql/slow_queries.h"
#include "time/breakdown.h"

#include <whyslow/format.h>

#include <stddef.h>
#include <stdint.h>

#define SLOWEST_MAX 20

struct call_stat {
    unsigned call;
    uint64_t count, errors, bytes, total_ns, max_ns;
    struct histogram hist;
};

struct lock_stat {
    uint64_t addr;
    enum lock_kind kind;
    uint64_t contended; /* waits */
    uint64_t wait_total_ns, wait_max_ns;
    uint32_t threads;      /* distinct threads that waited */
    uint64_t caller;       /* the most frequent caller of its waits */
    uint32_t longest_tid;  /* the thread of the longest wait */
    uint64_t acquisitions; /* successful lock calls recorded */
    uint64_t hold_total_ns, hold_max_ns;
    enum wait_role role;      /* what its waits were for (wakes.h) */
    struct event_stack stack; /* of the longest wait */
};

/* The calls of one name on one target that took at least the threshold
 * (a slow_syscall finding). */
struct slow_group {
    unsigned call;
    uint32_t target; /* strpool id */
    uint64_t count, max_ns, total_ns;
    uint32_t tid;             /* the thread of the slowest */
    uint64_t caller;          /* where the slowest was called from (return address) */
    struct event_stack stack; /* of the slowest */
};

struct proc_report {
    struct ws_process *p;
    int all_locks;           /* the recorder saw every acquisition (WS_PROC_LOCKS_ALL) */
    struct call_stat *calls; /* most total time first */
    size_t ncalls;
    struct lock_stat *locks; /* most wait first */
    size_t nlocks;
    struct ws_event slowest[SLOWEST_MAX]; /* slowest first (copies, without payload) */
    size_t nslowest;
    struct slow_group *slow; /* in the order of their first slow call */
    size_t nslow;
    struct query *queries; /* SQL statements by fingerprint, in query id order */
    size_t nqueries;
    uint32_t *query_order;      /* query ids, most total time first */
    struct nplus1_loop *nplus1; /* N+1 loops, by parent and child query */
    size_t nnplus1;
    struct repeat *repeats; /* repeated queries, most total time first */
    size_t nrepeats;
    struct slow_query *slow_queries; /* in the order of their first slow execution */
    size_t nslow_queries;
    struct obj_wait *objwaits; /* its threads' semaphore and futex waits (breakdown.h) */
    size_t nobjwaits;
    struct pipe_uses pipes;       /* the pipes it read and wrote (pipes.h) */
    struct pipe_wait *pipe_waits; /* what it waited for reading them, most first */
    size_t npipe_waits;
    struct thread_time *thread_times; /* where each thread's time went, busiest first */
    size_t nthread_times;
    struct time_total time_total; /* the same over its threads */
    struct loop_stall *stalls;    /* event loops that stalled, most stalled first */
    size_t nstalls;
    struct conc_report *conc;      /* wake links: pools, thread pools, the GIL */
    struct http_request *requests; /* HTTP requests served and called, in start order */
    size_t nrequests;
    size_t nrequests_found;           /* before a narrowing (numbers the requests) */
    struct map request_counts;        /* (request index, query id) -> executions in it */
    struct map tallies;               /* (finding key, request id) -> its events (attribute.h) */
    struct helper_span *helper_spans; /* other threads' work for requests (helpers.h) */
    size_t nhelper_spans;
    struct mark *marks; /* the program's marks (marks.h), in the order they began */
    size_t nmarks;
    struct map mark_counts;  /* (mark index, query id) -> executions in it */
    struct map mark_tallies; /* (finding key, mark id) -> its events (attribute.h) */
};

struct slow_ref {
    const struct proc_report *pr;
    const struct ws_event *ev;
};

/* What the report was asked for (whyslow report's options). */
struct analyze_opts {
    uint64_t slow_ns;    /* --slow-ms */
    unsigned nplus1_min; /* --nplus1-min: executions that make an N+1 loop */
    unsigned repeat_min; /* --repeat-min: executions that make a repeated query */
    uint64_t stall_ns;   /* --stall-ms: an event loop stalls from this long */
    /* --endpoint PATTERN, --request ID: the analysis narrowed to those
     * served requests (docs/rules.md, requests); NULL, 0: not */
    const char *endpoint;
    uint64_t request;
};

#define NPLUS1_MIN_DEFAULT 5
#define REPEAT_MIN_DEFAULT 5

/* report's defaults (--slow-ms 10 and so on), unnarrowed. */
void analyze_opts_default(struct analyze_opts *o);

struct analysis {
    uint64_t slow_ns;
    unsigned nplus1_min, repeat_min;
    uint64_t stall_ns;
    struct proc_report *procs;
    size_t nprocs;
    struct slow_ref slowest[SLOWEST_MAX]; /* over all processes */
    size_t nslowest;
    struct ipc_group *ipc; /* lock contention between processes (ipc.h) */
    size_t nipc;
    struct endpoint *endpoints; /* endpoints served (endpoints.h), most total time first */
    size_t nendpoints;
    struct endpoint *called; /* endpoints of other services called */
    size_t ncalled;
    struct http_nplus1 *http_nplus1; /* N+1s of HTTP calls (endpoints.h) */
    size_t nhttp_nplus1;
    struct mark_group *mark_groups; /* marks by kind and name (mark_groups.h) */
    size_t nmark_groups;
    /* Narrowed by --endpoint or --request: to this many served requests
     * (0: not narrowed; then narrowed_to says what was asked for). */
    size_t narrowed;
    const char *narrowed_to;
};

/* Analyzes the processes (finished by timeline_finish), which must
 * outlive the analysis; reading their timelines settles them (see
 * timeline.h). */
/* Returns 0, or -1 when a narrowing selects no request (a->narrowed 0). */
int analyze(struct analysis *a, struct ws_process **procs, size_t n,
            const struct analyze_opts *opts);
void analysis_free(struct analysis *a);

#endif
