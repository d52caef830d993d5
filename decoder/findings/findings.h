/* SPDX-License-Identifier: MIT */
/*
 * findings.h - the report's conclusions, by severity then cost, each with its
 * severity, site and summary.  Each kind's rule, the thresholds and the
 * severity are in docs/rules.md; here they are made from what the
 * analysis found:
 *
 *   slow_syscall, lock_contention,     findings.c, from analyze.h's slow
 *   cpu_starvation                     groups, lock statistics and threads'
 *                                      CPU waits;
 *   n_plus_one, repeated_query,        findings_db.c (nplusone.h,
 *   slow_query                         repeated.h, analyze.h);
 *   event_loop_stall                   findings_stall.c (stall.h);
 *   pool_exhaustion, thread_pool_exhaustion, gil_contention
 *                                      findings_conc.c (concurrency.h).
 */
#ifndef WHYSLOW_FINDINGS_H
#define WHYSLOW_FINDINGS_H

#include "analysis/analyze.h"
#include "analysis/attribute.h"

#include <stdint.h>

enum finding_kind {
    FINDING_SLOW_SYSCALL,
    FINDING_LOCK_CONTENTION,
    FINDING_N_PLUS_ONE,
    FINDING_REPEATED_QUERY,
    FINDING_EVENT_LOOP_STALL,
    FINDING_POOL_EXHAUSTION,
    FINDING_THREAD_POOL_EXHAUSTION,
    FINDING_GIL_CONTENTION,
    FINDING_SLOW_QUERY,
    FINDING_CPU_STARVATION,
    FINDING_IPC_CONTENTION,
    FINDING_HTTP_N_PLUS_ONE,
};

/* cpu_starvation: its threads waited for a CPU at least this share
 * (percent) of their time, and this long. */
#define STARVATION_MIN_PERCENT 10
#define STARVATION_MIN_NS      50000000ull

/* Executions from which a database finding is at least "medium". */
#define DB_FINDING_MEDIUM_COUNT 100

struct finding {
    enum finding_kind kind;
    const char *severity;
    const struct proc_report *pr;
    const struct analysis *a; /* what it was found in */
    uint32_t tid;             /* the thread of the slowest call / the longest wait */
    uint64_t cost_ns;         /* total time: what findings are ordered by */
    char summary[768];
    uint64_t caller;                 /* the return address its site is named from (sites.h):
                                        the slowest call's, the lock's most frequent waiter's,
                                        the N+1 loop's first child's; 0 if none */
    const struct event_stack *stack; /* slow_syscall: the slowest call's;
                                        lock_contention: the longest wait's */
    /* The served endpoints its events happened in, and the marks
     * (attribute.h): the slow calls', the lock waits', its statement's
     * executions (an N+1's child's), the longest stall's; empty for the
     * other kinds (an N+1's endpoints are its loop's: endpoints.h). */
    struct in_groups in, in_marks;

    /* slow_syscall */
    unsigned call;
    uint64_t count, max_ns, total_ns;
    const char *target; /* may be NULL */
    uint32_t target_id; /* its strpool id */

    /* lock_contention */
    const struct lock_stat *lock;

    /* n_plus_one (count, total_ns above too) */
    const struct nplus1_loop *loop;
    const struct query *query, *parent; /* the child (also repeated_query) */

    /* repeated_query */
    const struct repeat *repeat;

    /* n_plus_one_http (count: the calls, total_ns: their latencies) */
    const struct http_nplus1 *http;

    /* slow_query (query, count, max_ns, total_ns above too) */
    const struct slow_query *slowq;

    /* ipc_contention (count: the waits, total_ns: their time) */
    const struct ipc_group *ipc;

    /* cpu_starvation (total_ns above: the CPU waits) */
    size_t processes;   /* of one program, starved */
    uint64_t thread_ns; /* their threads' time */

    /* event_loop_stall */
    const struct loop_stall *stall;
    /* pool_exhaustion, thread_pool_exhaustion, gil_contention */
    const struct pool_ex *pool;
    const struct tpool_ex *tpool;
    const struct gil_ex *gil;
};

/* The findings of an analysis, by severity, then cost. */
struct findings {
    const struct analysis *a; /* what they were found in, with its thresholds */
    struct finding *v;
    size_t n, cap;
};

const char *finding_kind_name(enum finding_kind kind);

/* "high", "medium" or "low" for cost_ns in a process of duration_ns. */
const char *finding_severity(uint64_t cost_ns, int64_t duration_ns);

/* Finds the findings of an analysis, which must outlive them. */
void find_findings(struct findings *fs, const struct analysis *a);
void findings_free(struct findings *fs);

/* Adds a finding of this kind for pr to fs. */
struct finding *finding_add(struct findings *fs, enum finding_kind kind,
                            const struct proc_report *pr);

/* The n_plus_one_http findings of an analysis (findings_db.c). */
void find_http_findings(struct findings *fs, const struct analysis *a);

/* The n_plus_one and repeated_query findings of a process (findings_db.c). */
void find_db_findings(struct findings *fs, const struct proc_report *pr);

/* The event_loop_stall findings of a process (findings_stall.c). */
void find_stall_findings(struct findings *fs, const struct proc_report *pr);

/* The pool_exhaustion, thread_pool_exhaustion and gil_contention findings
 * of a process (findings_conc.c). */
void find_conc_findings(struct findings *fs, const struct proc_report *pr);

#endif
