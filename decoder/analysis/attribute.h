/* SPDX-License-Identifier: MIT */
/*
 * attribute.h - in which served endpoints a finding's events happened
 * (docs/rules.md, requests: "Findings name their endpoints").
 *
 * The analysis's one pass over a timeline knows the served request each
 * event counted for (requests.h), and the mark (marks.h); for the events a
 * finding is made of (a slow call, a lock wait) it tallies those under
 * the finding's key.  Once every request has its endpoint (endpoints.h)
 * and every mark its group (mark_groups.h), a finding's tallies become
 * counts per endpoint and per mark group's phase.  Findings about statements count
 * the executions of their statement in each request (the counts the
 * requests keep); an event loop's stall names the request its thread was
 * serving when the longest stall began.
 */
#ifndef WHYSLOW_ATTRIBUTE_H
#define WHYSLOW_ATTRIBUTE_H

#include "base/hashmap.h"

#include <stddef.h>
#include <stdint.h>

struct proc_report;

/* Keys of what is tallied: the calls of one name on one target, the waits
 * on one lock. */
uint64_t tally_call_key(unsigned call, uint32_t target);
uint64_t tally_lock_key(int kind, uint64_t addr);

/* Whether key is a call's, and which (call, target). */
int tally_call_of(uint64_t key, unsigned *call, uint32_t *target);

/* One more event under key inside the served request request_id:
 * tallies is a map (key, request id) -> events. */
void tally_add(struct map *tallies, uint64_t key, uint64_t request_id);

/* A finding's events in one endpoint (group: its index in
 * analysis.endpoints, phase 0), or in one mark group's phase (group: its
 * index in analysis.mark_groups, phase: the phase's there). */
struct group_count {
    uint32_t group, phase;
    uint64_t count;
};

struct in_groups {
    struct group_count *v; /* most first */
    size_t n;
    uint64_t total; /* the sum of the counts */
};

/* Where the events tallied under key in pr happened: in which endpoints
 * (marks 0: pr->tallies), or in which marks (marks 1: pr->mark_tallies). */
void in_groups_of_key(const struct proc_report *pr, int marks, uint64_t key, struct in_groups *out);

/* The endpoints whose requests, or the marks that, ran query qid, with
 * its executions there. */
void in_groups_of_query(const struct proc_report *pr, int marks, uint32_t qid,
                        struct in_groups *out);

/* The endpoint of the request thread (a serial) served at `at` (ns since
 * the process start), or the innermost mark it had open then, counted
 * once; none when there was none. */
void in_groups_at(const struct proc_report *pr, int marks, uint32_t thread, int64_t at,
                  struct in_groups *out);

void in_groups_free(struct in_groups *g);

#endif
