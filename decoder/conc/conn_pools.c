/* SPDX-License-Identifier: MIT */
/*
 * conn_pools.c - pool_exhaustion: threads that waited for one of a fixed
 * set of database connections while every one of them was checked out.
 * The rule (the set, a wait for the pool, who holds a connection when,
 * pool_size) is in docs/rules.md (pool_exhaustion).
 *
 * The pools are the databases that more than one thread used.  The waits
 * looked at are those whose waker's last database call before the wake
 * was on a pooled connection (a hand-over), and each is kept when, all
 * through it, every connection of the set then open had a holder: some
 * other thread's run of calls on it (wakes.h) overlaps it, or it was being
 * handed over.
 */
#include "base/hashmap.h"
#include "base/util.h"
#include "conc/concurrency.h"
#include "log/calls.h"

#include <stdlib.h>
#include <string.h>

/* A connection between its opening and the next at its address. */
struct inst {
    uint32_t group;       /* index + 1 of its set, when pooled */
    uint32_t threads;     /* distinct threads that used it */
    int64_t first, last;  /* its first call's start, its last call's end */
    size_t span0, nspans; /* its holder spans in the span array */
};

struct span {
    int64_t start, end, max_end; /* max_end: the latest end of it and those before it */
    uint32_t thread;
};

struct group {
    int postgres;
    uint32_t resource;
    uint32_t *insts; /* the pooled connections of the set */
    size_t ninsts, instcap;
    struct pool_ex ex;
    struct map threads; /* waiter threads seen */
    struct map callers; /* caller -> waits */
    uint64_t best_caller_waits;
};

struct candidate {
    size_t wait, rx, rw;
};

struct pools {
    const struct wake_data *d;
    struct inst *insts;
    size_t ninsts, instcap;
    uint32_t *run_inst; /* per run: its connection's index */
    struct group *groups;
    size_t ngroups, groupcap;
    uint32_t *by_thread;          /* run indices, by thread then start */
    size_t *thread0;              /* per thread: its first position in by_thread (nthreads + 1) */
    int64_t *ext_start, *ext_end; /* per run: its holder span */
    struct span *spans;
    struct candidate *cand; /* the waits with a hand-over */
    uint64_t held_steps;    /* the spans held() looked at, to be spent */
    size_t ncand;
};

static const struct wk_run *sort_runs;

static int cmp_run_thread(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, k = *(const uint32_t *)b;
    const struct wk_run *x = &sort_runs[i], *y = &sort_runs[k];
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return i < k ? -1 : i > k;
}

/* The connections, the threads that used each, and the pooled sets. */
static void find_sets(struct pools *s)
{
    const struct wake_data *d = s->d;
    struct map ix = {0};   /* (conn, db) -> inst index + 1 */
    struct map used = {0}; /* (inst, thread) -> 1 */
    struct map sets = {0}; /* (postgres, resource) -> group index + 1 */
    s->run_inst = xmalloc((d->nruns ? d->nruns : 1) * sizeof(*s->run_inst));
    for (size_t i = 0; i < d->nruns; i++) {
        const struct wk_run *r = &d->runs[i];
        int created;
        uint64_t *slot = map_put(&ix, r->conn, r->db, &created);
        if (created) {
            struct inst in = {.first = r->start, .last = r->end};
            ARRAY_PUSH(s->insts, s->ninsts, s->instcap) = in;
            *slot = s->ninsts;
        }
        struct inst *in = &s->insts[*slot - 1];
        s->run_inst[i] = (uint32_t)(*slot - 1);
        if (r->end > in->last) in->last = r->end;
        map_put(&used, *slot - 1, r->thread, &created);
        if (created) in->threads++;
    }
    for (size_t i = 0; i < d->nruns; i++) {
        const struct wk_run *r = &d->runs[i];
        struct inst *in = &s->insts[s->run_inst[i]];
        if (in->threads < 2 || in->group) continue;
        uint32_t resource = r->db ? d->conns[r->db - 1].resource : 0;
        int created;
        uint64_t *slot = map_put(&sets, r->postgres, resource, &created);
        if (created) {
            struct group g = {.postgres = r->postgres, .resource = resource};
            ARRAY_PUSH(s->groups, s->ngroups, s->groupcap) = g;
            *slot = s->ngroups;
        }
        struct group *g = &s->groups[*slot - 1];
        ARRAY_PUSH(g->insts, g->ninsts, g->instcap) = s->run_inst[i];
        in->group = (uint32_t)*slot;
    }
    map_free(&ix);
    map_free(&used);
    map_free(&sets);
}

/* Each thread's runs in order, to find a thread's last run before a time
 * and its first after one. */
static void order_runs(struct pools *s)
{
    const struct wake_data *d = s->d;
    s->by_thread = xmalloc((d->nruns ? d->nruns : 1) * sizeof(*s->by_thread));
    for (size_t i = 0; i < d->nruns; i++)
        s->by_thread[i] = (uint32_t)i;
    sort_runs = d->runs;
    xsort(s->by_thread, d->nruns, sizeof(*s->by_thread), cmp_run_thread);
    sort_runs = NULL;
    s->thread0 = xcalloc(d->nthreads + 1, sizeof(*s->thread0));
    for (size_t i = 0; i < d->nruns; i++)
        s->thread0[d->runs[i].thread + 1]++;
    for (size_t t = 0; t < d->nthreads; t++)
        s->thread0[t + 1] += s->thread0[t];
}

/* The thread's last run that started at or before t, or -1. */
static long last_run_before(const struct pools *s, uint32_t thread, int64_t t)
{
    size_t lo = s->thread0[thread], hi = s->thread0[thread + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->d->runs[s->by_thread[mid]].start <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > s->thread0[thread] ? (long)s->by_thread[lo - 1] : -1;
}

/* The thread's run that follows its wait [start, end]: its first run that
 * starts at or after start, or -1; -1 too when one of its runs spans the
 * wait (it held a connection while it waited). */
static long run_after_wait(const struct pools *s, uint32_t thread, int64_t start, int64_t end)
{
    size_t t0 = s->thread0[thread], lo = t0, hi = s->thread0[thread + 1], t1 = hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->d->runs[s->by_thread[mid]].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > t0 && s->d->runs[s->by_thread[lo - 1]].end > end) return -1;
    return lo < t1 ? (long)s->by_thread[lo] : -1;
}

/* The set of a pooled run's connection, or 0. */
static uint32_t group_of(const struct pools *s, long run)
{
    return run < 0 ? 0 : s->insts[s->run_inst[run]].group;
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* The holder spans of each connection: its runs, stretched to the
 * hand-overs; sorted by start, with running maxima of their ends. */
static void holder_spans(struct pools *s)
{
    const struct wake_data *d = s->d;
    s->spans = xmalloc((d->nruns ? d->nruns : 1) * sizeof(*s->spans));
    size_t *fill = xcalloc(s->ninsts ? s->ninsts : 1, sizeof(*fill));
    for (size_t i = 0; i < d->nruns; i++)
        s->insts[s->run_inst[i]].nspans++;
    size_t at = 0;
    for (size_t i = 0; i < s->ninsts; i++) {
        s->insts[i].span0 = at;
        at += s->insts[i].nspans;
    }
    for (size_t i = 0; i < d->nruns; i++) {
        struct inst *in = &s->insts[s->run_inst[i]];
        struct span sp = {s->ext_start[i], s->ext_end[i], 0, d->runs[i].thread};
        s->spans[in->span0 + fill[s->run_inst[i]]++] = sp;
    }
    xfree(fill);
    for (size_t i = 0; i < s->ninsts; i++) {
        struct span *v = s->spans + s->insts[i].span0;
        xsort(v, s->insts[i].nspans, sizeof(*v), cmp_span);
        for (size_t k = 0; k < s->insts[i].nspans; k++)
            v[k].max_end = k && v[k - 1].max_end > v[k].end ? v[k - 1].max_end : v[k].end;
    }
}

/* Whether another thread than `thread` held the connection at some time
 * in (start, end). */
static int held(struct pools *s, const struct inst *in, uint32_t thread, int64_t start, int64_t end)
{
    const struct span *v = s->spans + in->span0;
    size_t lo = 0, hi = in->nspans;
    while (lo < hi) { /* the first span starting at or after end */
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].start < end)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k-- > 0 && v[k].max_end > start;) {
        s->held_steps++;
        if (v[k].end > start && v[k].thread != thread) return 1;
    }
    return 0;
}

/* Counts a wait for the pool in its set. */
static void count_wait(struct group *g, const struct wk_wait *a, const struct wk_thread *w,
                       uint32_t alive)
{
    uint64_t dur = (uint64_t)(a->end - a->start);
    struct pool_ex *x = &g->ex;
    int created;
    if (x->waiters == 0 || dur > x->wait_max_ns) {
        x->wait_max_ns = dur;
        x->tid = w->tid;
    }
    x->waiters++;
    x->wait_total_ns += dur;
    if (alive > x->pool_size) x->pool_size = alive;
    map_put(&g->threads, a->thread, 0, &created);
    if (created) x->threads++;
    uint64_t *n = map_put(&g->callers, a->caller, 0, NULL);
    if (++*n > g->best_caller_waits) {
        g->best_caller_waits = *n;
        x->caller = a->caller;
    }
}

/* The waits with a hand-over from a pooled connection to one of its set;
 * the holder spans of the runs, stretched to the hand-overs. */
static void handover_waits(struct pools *s)
{
    const struct wake_data *d = s->d;
    size_t cap = 0;
    s->ext_start = xmalloc(d->nruns * sizeof(*s->ext_start));
    s->ext_end = xmalloc(d->nruns * sizeof(*s->ext_end));
    for (size_t i = 0; i < d->nruns; i++) {
        s->ext_start[i] = d->runs[i].start;
        s->ext_end[i] = d->runs[i].end;
    }
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        /* A connection is handed over through a lock or a park, not by
         * waking an event loop. */
        if (!a->waker || (a->flags & WAIT_HANDSHAKE) || a->role == WAIT_GIL ||
            a->kind == LOCK_NOTIFY)
            continue;
        const struct wk_wake *k = &d->wakes[a->waker - 1];
        if (k->flags & WAKE_EXIT) continue;
        long rx = last_run_before(s, k->thread, k->at);
        long rw = run_after_wait(s, a->thread, a->start, a->end);
        uint32_t g = group_of(s, rx);
        if (!g || g != group_of(s, rw)) continue;
        if (k->at > s->ext_end[rx]) s->ext_end[rx] = k->at;
        if (a->end < s->ext_start[rw]) s->ext_start[rw] = a->end;
        ARRAY_PUSH(s->cand, s->ncand, cap) = (struct candidate){i, (size_t)rx, (size_t)rw};
    }
}

/* Counts the waits with a hand-over during which every connection of the
 * set had a holder. */
static void count_waits_for_pool(struct conc_report *c, struct pools *s)
{
    const struct wake_data *d = s->d;
    for (size_t i = 0; i < s->ncand; i++) {
        const struct wk_wait *a = &d->waits[s->cand[i].wait];
        struct group *g = &s->groups[group_of(s, (long)s->cand[i].rx) - 1];
        /* Each connection of the set, and its holders' spans before: a log
         * can hold thousands of connections to one database. */
        if (!conc_spend(c, g->ninsts + s->held_steps)) return;
        s->held_steps = 0;
        uint32_t alive = 0;
        int all = 1;
        for (size_t k = 0; k < g->ninsts && all; k++) {
            const struct inst *in = &s->insts[g->insts[k]];
            if (in->first >= a->end || in->last <= a->start) continue; /* not open then */
            alive++;
            all = held(s, in, a->thread, a->start, a->end);
        }
        if (all && alive) count_wait(g, a, &d->threads[a->thread], alive);
    }
}

static int cmp_pool(const void *a, const void *b)
{
    const struct pool_ex *x = a, *y = b;
    if (x->wait_total_ns != y->wait_total_ns) return x->wait_total_ns > y->wait_total_ns ? -1 : 1;
    if (x->postgres != y->postgres) return x->postgres < y->postgres ? -1 : 1;
    return x->resource < y->resource ? -1 : x->resource > y->resource;
}

/* The sets whose waits make a finding: two or more, of slow_ns in all. */
static void add_findings(struct conc_report *c, struct pools *s, uint64_t slow_ns)
{
    size_t cap = 0;
    for (size_t i = 0; i < s->ngroups; i++) {
        struct group *g = &s->groups[i];
        g->ex.postgres = g->postgres;
        g->ex.resource = g->resource;
        if (g->ex.waiters >= 2 && g->ex.wait_total_ns >= slow_ns)
            ARRAY_PUSH(c->pools, c->npools, cap) = g->ex;
    }
    xsort(c->pools, c->npools, sizeof(*c->pools), cmp_pool);
}

static void free_pools(struct pools *s)
{
    for (size_t i = 0; i < s->ngroups; i++) {
        xfree(s->groups[i].insts);
        map_free(&s->groups[i].threads);
        map_free(&s->groups[i].callers);
    }
    xfree(s->groups);
    xfree(s->insts);
    xfree(s->run_inst);
    xfree(s->by_thread);
    xfree(s->thread0);
    xfree(s->ext_start);
    xfree(s->ext_end);
    xfree(s->spans);
    xfree(s->cand);
}

void find_pools(struct conc_report *c, const struct wake_data *d, uint64_t slow_ns)
{
    if (d->nruns == 0 || d->nwaits == 0) return;
    struct pools s = {.d = d};
    find_sets(&s);
    if (s.ngroups > 0) {
        order_runs(&s);
        handover_waits(&s);
        holder_spans(&s);
        count_waits_for_pool(c, &s);
        add_findings(c, &s, slow_ns);
    }
    free_pools(&s);
}
