/* SPDX-License-Identifier: MIT */
/*
 * sweep.h - a thread's time given out once among spans that may overlap.
 *
 * A thread's calls follow each other, except that some run inside others:
 * the calls SQLite or libpq make during a statement's span, the calls of a
 * signal handler inside the call it interrupted.  Spans are added in the
 * order they start (the order a timeline hands a thread's events out), and
 * the sweep hands each stretch of time, in order, to the span that wins
 * it: the highest priority among the spans covering it, and among equals
 * the one added last (the innermost).  Time no span covers is handed to no
 * one.  So the stretches never overlap, and their sum is at most the time
 * swept.  The time breakdown (breakdown.h) and the event-loop stalls
 * (stall.h) are both sums of such stretches.
 *
 * Only the spans still running are held: a few (at most SWEEP_RUNNING,
 * should a damaged log nest spans without end).
 */
#ifndef WHYSLOW_SWEEP_H
#define WHYSLOW_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#define SWEEP_RUNNING 64

struct sweep_span {
    int64_t end;
    unsigned prio;
    uint64_t a, b; /* what the span is, for the one who added it */
};

/* Called for each stretch [from, to) won by a span. */
typedef void (*sweep_fn)(void *ctx, int64_t from, int64_t to, const struct sweep_span *winner);

struct sweep {
    struct sweep_span *spans; /* running, in the order added */
    size_t n, cap;
    int64_t pos; /* the time before pos is handed out */
    sweep_fn fn;
    void *ctx;
};

/* Starts a sweep at time `from`. */
void sweep_init(struct sweep *s, int64_t from, sweep_fn fn, void *ctx);

/* Hands out the time from pos up to `to` (nothing when to <= pos). */
void sweep_to(struct sweep *s, int64_t to);

/* Hands out the time up to start, then adds the span [start, end) (what
 * of it lies before pos, already handed out, is dropped). */
void sweep_add(struct sweep *s, int64_t start, int64_t end, unsigned prio, uint64_t a, uint64_t b);

/* Whether a span of priority prio is running at pos. */
int sweep_running(const struct sweep *s, unsigned prio);

void sweep_free(struct sweep *s);

#endif
