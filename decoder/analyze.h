/*
 * analyze.h - the numbers of a report, computed from finished processes:
 * per (process, call) statistics, per lock contention (and hold times
 * when the recorder saw every acquisition), the slowest calls, and the
 * findings (see findings.h).  The text and JSON reports only print this.
 */
#ifndef WHYSLOW_ANALYZE_H
#define WHYSLOW_ANALYZE_H

#include "calls.h"
#include "histogram.h"
#include "process.h"

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
};

struct proc_report {
    struct ws_process *p;
    int all_locks;           /* the recorder saw every acquisition (WS_PROC_LOCKS_ALL) */
    struct call_stat *calls; /* most total time first */
    size_t ncalls;
    struct lock_stat *locks; /* most wait first */
    size_t nlocks;
    const struct ws_event *slowest[SLOWEST_MAX]; /* slowest first */
    size_t nslowest;
};

struct slow_ref {
    const struct proc_report *pr;
    const struct ws_event *ev;
};

struct finding;

struct analysis {
    uint64_t slow_ns;
    struct proc_report *procs;
    size_t nprocs;
    struct slow_ref slowest[SLOWEST_MAX]; /* over all processes */
    size_t nslowest;
    struct finding *findings; /* most costly first */
    size_t nfindings, findcap;
};

/* Analyzes the processes (finished by timeline_finish), which must
 * outlive the analysis. */
void analyze(struct analysis *a, struct ws_process **procs, size_t n, uint64_t slow_ns);
void analysis_free(struct analysis *a);

#endif
