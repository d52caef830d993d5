/* SPDX-License-Identifier: MIT */
/*
 * marks.h - the marks a program made with the marker API
 * (include/whyslow/mark.h) and what happened inside each, from a
 * process's timeline; the rules are in docs/marks.md.
 *
 * A mark spans its thread's time from its begin record to its end
 * record (or to the thread's or process's end, incomplete).  Marks nest;
 * each event of a thread counts for the innermost mark open on it, and
 * only for that one: a session fixture's mark inside a test's setup takes
 * what it did away from the setup.
 */
#ifndef WHYSLOW_MARKS_H
#define WHYSLOW_MARKS_H

#include "base/hashmap.h"
#include "log/process.h"
#include "time/breakdown.h"

#include <stddef.h>
#include <stdint.h>

struct mark {
    uint64_t id;                  /* its number in the report: 1.. over the processes */
    uint32_t kind, name;          /* strpool ids */
    uint32_t thread, tid;         /* the thread that made it */
    int64_t start, end;           /* ns since the process start */
    int complete;                 /* its end was recorded */
    int64_t parent;               /* the mark it is inside (index), -1: none */
    uint64_t caller;              /* where it began */
    uint64_t queries;             /* database executions inside it (its own: see above) */
    uint64_t part_ns[TIME_PARTS]; /* its own time by part (other: what no call covers) */
    /* Its calls that took at least the slow threshold (--slow-ms), and the
     * longest of its calls: its id (0: none), target (strpool id), span in
     * the mark, and where it was made. */
    uint64_t slow_calls;
    unsigned longest_call;
    uint32_t longest_target;
    uint64_t longest_ns, longest_caller;
    uint32_t group, phase; /* its group's index in the analysis, its phase's in the group
                              (mark_groups.h) */
};

struct mark_state;

/* slow_ns: from how long a call is slow (--slow-ms). */
struct mark_state *marks_open(struct ws_process *p, uint64_t slow_ns);

/* Every event of the process's timeline, in its order; qid: the query of
 * a database execution (queries.h), NO_QUERY otherwise.  Returns the index
 * + 1 of the mark ev counted for, 0: none. */
size_t marks_event(struct mark_state *m, const struct ws_event *ev, uint32_t qid);

/* Ends what is open at the process's end and hands the marks over (the
 * caller's to free), in the order they began.  *counts (the caller's to
 * free) maps (mark index, query id) to executions. */
void marks_close(struct mark_state *m, struct mark **marks, size_t *n, struct map *counts);

#endif
