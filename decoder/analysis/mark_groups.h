/* SPDX-License-Identifier: MIT */
/*
 * mark_groups.h - the marks of every process (marks.h) grouped by kind
 * and name: a test, a benchmark's iteration, a job's step, however many
 * times and in however many processes it was marked.  A kind written
 * "K:P" is phase P of a mark of kind K (the pytest plugin marks a test's
 * "test:setup", "test:call" and "test:teardown" with its node id): the
 * phases of one name make one group, each phase counted apart.  The rules
 * are in docs/marks.md.
 */
#ifndef WHYSLOW_MARK_GROUPS_H
#define WHYSLOW_MARK_GROUPS_H

#include "time/breakdown.h"

#include <stddef.h>
#include <stdint.h>

struct analysis;

/* A statement run in a phase: its executions there. */
struct mark_statement {
    uint64_t fp;            /* its fingerprint (sql_fingerprint.h) */
    const char *normalized; /* the text, from the first process that ran it */
    uint64_t count;
};

struct mark_phase {
    char *name;     /* "" for marks of the kind alone */
    uint64_t count; /* marks */
    uint64_t incomplete;
    uint64_t total_ns, max_ns;
    uint64_t queries;
    uint64_t part_ns[TIME_PARTS];
    struct mark_statement *stmts; /* most executed first */
    size_t nstmts;
    uint64_t slow_calls;                  /* calls of its marks that took --slow-ms or more */
    const struct proc_report *longest_pr; /* the longest call of its marks (marks.h): */
    const struct mark *longest;           /* in this mark of that process; NULL: none */
};

struct mark_group {
    char *kind, *name;
    uint64_t pid;              /* of its first mark */
    struct mark_phase *phases; /* in the order first seen; "" first when there */
    size_t nphases;
    uint64_t total_ns, queries; /* over its phases */
};

/* Groups the marks of a's processes into a->mark_groups (tests first,
 * then by kind, each kind in the order its marks began) and gives each
 * mark its group. */
void mark_groups_build(struct analysis *a);

void mark_groups_free(struct mark_group *v, size_t n);

/* The phase named `phase` of g, or NULL. */
const struct mark_phase *mark_group_phase(const struct mark_group *g, const char *phase);

#endif
