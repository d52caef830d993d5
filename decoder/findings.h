/*
 * findings.h - the report's conclusions, most costly first:
 *
 *   slow_syscall     per (process, call, target): the calls that took at
 *                    least the threshold (--slow-ms), waiting calls and
 *                    lock calls excluded;
 *   lock_contention  per lock (mutex, rwlock, sem, futex; not cond: a
 *                    cond wait waits for work): waits totalling at least
 *                    the threshold.
 *
 * Severity compares a finding's total time with its process's duration:
 * "high" from 10 %, "medium" from 1 %, else "low".
 */
#ifndef WHYSLOW_FINDINGS_H
#define WHYSLOW_FINDINGS_H

#include "analyze.h"

#include <stdint.h>

enum finding_kind {
    FINDING_SLOW_SYSCALL,
    FINDING_LOCK_CONTENTION,
};

struct finding {
    enum finding_kind kind;
    const char *severity;
    const struct proc_report *pr;
    uint32_t tid;     /* the thread of the slowest call / the longest wait */
    uint64_t cost_ns; /* total time: what findings are ordered by */
    char summary[512];

    /* slow_syscall */
    unsigned call;
    uint64_t count, max_ns, total_ns;
    const char *target; /* may be NULL */

    /* lock_contention */
    const struct lock_stat *lock;
};

const char *finding_kind_name(enum finding_kind kind);

/* "high", "medium" or "low" for cost_ns in a process of duration_ns. */
const char *finding_severity(uint64_t cost_ns, int64_t duration_ns);

/* Fills a->findings from the statistics already in a (called by analyze). */
void find_findings(struct analysis *a);

#endif
