/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - work other threads did for a served request (docs/rules.md,
 * requests: "Work on other threads").
 *
 * A thread serving a request that waits, inside the request, for
 * something to happen (a park: a future's result, a queue's item, a
 * condition; not a lock, not the GIL, not an event loop's epoll) and is
 * woken by another thread was waiting for that thread's work: what the
 * waker did from when it took the work up (the end of its last wait, or
 * the request's start if later) up to its wake counts for the request, unless the waker was
 * serving a request of its own then.  The wake links are wakes.h's.  Its
 * statements count among the request's queries (so an N+1 a worker runs
 * for an endpoint is that endpoint's), its time by part apart from the
 * request thread's own, and the calls it made to other services are the
 * request's calls.
 */
#ifndef WHYSLOW_HELPERS_H
#define WHYSLOW_HELPERS_H

#include "base/hashmap.h"
#include "conc/wakes.h"

#include "time/breakdown.h"

struct proc_report;

/* A stretch of a helper thread's time spent for a served request. */
struct helper_span {
    uint32_t thread; /* the helper's serial */
    int64_t from, to;
    size_t request;               /* index in the process's requests */
    uint64_t part_ns[TIME_PARTS]; /* its time by part */
};

/* Adds to pr's requests (whose counts and calls are final) what other
 * threads did for them, reading the timeline again when any thread did;
 * and moves the time of their semaphore and futex waits that were parks
 * from lock to wait.
 * stmts maps (thread serial, start) -> query id + 1 of the statements run
 * outside requests (the only ones a helper can have run). */
void helpers_find(struct proc_report *pr, const struct wake_data *d, const struct map *stmts);

/* The stretches are kept in pr->helper_spans, by thread then start: a
 * narrowed analysis (narrow.h) looks at them with their requests. */

#endif
