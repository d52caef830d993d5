/* SPDX-License-Identifier: MIT */
/*
 * gil.c - gil_contention: the time a Python process's threads spent
 * waiting for the GIL, CPython's global interpreter lock.  The rule, with
 * GIL_MIN_PERCENT, GIL_MIN_NS and GIL_THREAD_PERCENT (concurrency.h), is in
 * docs/rules.md (gil_contention).
 *
 * The numbers are the time breakdown's (breakdown.h counts the waits on
 * any object inside _PyRuntime as each thread's gil_ns), so the finding
 * agrees with the report's threads[].
 */
#include "base/util.h"
#include "conc/concurrency.h"

#include <stdlib.h>

/* A listed thread's start (+1) or end (-1). */
struct edge {
    int64_t at;
    int step;
};

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->step - y->step; /* an end before a start at the same time */
}

/* The most of the threads marked in `listed` alive at once. */
static size_t peak_alive(const struct thread_time *threads, size_t nthreads, const char *listed)
{
    struct edge *e = xmalloc((2 * nthreads + 1) * sizeof(*e));
    size_t n = 0, alive = 0, peak = 0;
    for (size_t i = 0; i < nthreads; i++)
        if (listed[i]) {
            e[n++] = (struct edge){threads[i].start_ns, 1};
            e[n++] = (struct edge){threads[i].end_ns, -1};
        }
    xsort(e, n, sizeof(*e), cmp_edge);
    for (size_t i = 0; i < n; i++) {
        alive += (size_t)e[i].step; /* wraps back on an end */
        if (alive > peak) peak = alive;
    }
    xfree(e);
    return peak;
}

static int cmp_gil_thread(const void *a, const void *b)
{
    const struct gil_thread *x = a, *y = b;
    if (x->wait_ns != y->wait_ns) return x->wait_ns > y->wait_ns ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void find_gil(struct conc_report *c, const struct thread_time *threads, size_t nthreads)
{
    uint64_t wait = 0, wall = 0;
    for (size_t i = 0; i < nthreads; i++) {
        wait += threads[i].gil_ns;
        wall += threads[i].wall_ns;
    }
    if (wait < GIL_MIN_NS ||
        (unsigned __int128)wait * 100 < (unsigned __int128)wall * GIL_MIN_PERCENT)
        return;

    struct gil_ex *g = xcalloc(1, sizeof(*g));
    g->wait_total_ns = wait;
    g->thread_ns = wall;
    size_t cap = 0;
    char *listed = xcalloc(nthreads + 1, 1);
    for (size_t i = 0; i < nthreads; i++) {
        const struct thread_time *t = &threads[i];
        uint64_t running = t->part_ns[PART_OTHER] + t->gil_ns;
        if (t->gil_ns == 0 ||
            (unsigned __int128)t->gil_ns * 100 <
                (unsigned __int128)t->wall_ns * GIL_THREAD_PERCENT ||
            running * 2 < t->wall_ns)
            continue;
        struct gil_thread gt = {
            .tid = t->tid, .name = t->name, .wait_ns = t->gil_ns, .wall_ns = t->wall_ns};
        ARRAY_PUSH(g->threads, g->nthreads, cap) = gt;
        listed[i] = 1;
    }
    g->peak = peak_alive(threads, nthreads, listed);
    xfree(listed);
    xsort(g->threads, g->nthreads, sizeof(*g->threads), cmp_gil_thread);
    c->gil = g;
}
