/* SPDX-License-Identifier: MIT */
/*
 * helpers.c - work other threads did for served requests (helpers.h),
 * and which of a request's waits were for them (parks) and not for a lock.
 *
 * Windows first, from the wake links: one per (helper thread, request)
 * stretch, sorted by thread and start and made disjoint.  A second read
 * of the timeline then counts each helper event's span inside its
 * window, each instant once (the spans of a thread nest: a query holds
 * its reads), as requests.c counts a request's own.
 */
#include "analysis/helpers.h"

#include "analysis/analyze.h"
#include "base/util.h"
#include "log/timeline.h"
#include "sql/queries.h"

#include <string.h>

/* Served requests by thread, then start. */
struct req_key {
    uint32_t thread;
    int64_t start;
    size_t i;
};

struct thread_requests {
    struct map index; /* thread serial -> first position + 1 << 32 | count */
    struct req_key *v;
};

static int cmp_req_key(const void *a, const void *b)
{
    const struct req_key *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void thread_requests_build(struct thread_requests *t, const struct proc_report *pr)
{
    memset(t, 0, sizeof(*t));
    t->v = xmalloc((pr->nrequests ? pr->nrequests : 1) * sizeof(*t->v));
    size_t n = 0;
    for (size_t i = 0; i < pr->nrequests; i++)
        if (!pr->requests[i].outgoing)
            t->v[n++] = (struct req_key){pr->requests[i].thread, pr->requests[i].start, i};
    xsort(t->v, n, sizeof(*t->v), cmp_req_key);
    for (size_t k = 0; k < n; k++) {
        int created;
        uint64_t *slot = map_put(&t->index, t->v[k].thread, 0, &created);
        if (created) *slot = (uint64_t)(k + 1) << 32;
        (*slot)++;
    }
}

/* The served request of thread (a serial) that was open at `at`, if any:
 * index + 1. */
static size_t request_at(const struct thread_requests *t, const struct proc_report *pr,
                         uint32_t thread, int64_t at)
{
    const uint64_t *v = map_get(&t->index, thread, 0);
    if (!v) return 0;
    size_t first = (size_t)((*v >> 32) - 1), n = (size_t)(*v & 0xffffffffu);
    size_t lo = 0, hi = n; /* the last that started at or before at */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[first + mid].start <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) return 0;
    size_t i = t->v[first + lo - 1].i;
    return at < pr->requests[i].end ? i + 1 : 0;
}

/* Waits by thread: positions of d->waits, thread by thread, each in
 * start order (a stable counting sort by thread). */
struct thread_waits {
    size_t *first; /* of thread t: order[first[t]] .. order[first[t + 1] - 1] */
    size_t *order;
};

static void thread_waits_build(struct thread_waits *t, const struct wake_data *d)
{
    t->first = xcalloc(d->nthreads + 2, sizeof(*t->first));
    t->order = xmalloc((d->nwaits ? d->nwaits : 1) * sizeof(*t->order));
    for (size_t i = 0; i < d->nwaits; i++)
        t->first[d->waits[i].thread + 2]++;
    for (size_t k = 2; k < d->nthreads + 2; k++)
        t->first[k] += t->first[k - 1];
    for (size_t i = 0; i < d->nwaits; i++)
        t->order[t->first[d->waits[i].thread + 1]++] = i;
}

/* When thread (an index) last stopped waiting at or before `at` (0: it
 * had not waited). */
static int64_t last_wait_end(const struct thread_waits *t, const struct wake_data *d,
                             uint32_t thread, int64_t at)
{
    size_t lo = t->first[thread], hi = t->first[thread + 1];
    while (lo < hi) { /* the first that started after at */
        size_t mid = lo + (hi - lo) / 2;
        if (d->waits[t->order[mid]].start <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t last = 0;
    for (size_t k = lo; k > t->first[thread] && k + 4 > lo; k--) { /* (few overlap) */
        const struct wk_wait *a = &d->waits[t->order[k - 1]];
        if (a->end <= at && a->end > last) last = a->end;
    }
    return last;
}

static int cmp_window(const void *a, const void *b)
{
    const struct helper_span *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return x->request < y->request ? -1 : x->request > y->request;
}

/* The windows of the wake links (see helpers.h), sorted and disjoint. */
static struct helper_span *find_windows(const struct proc_report *pr, const struct wake_data *d,
                                        const struct thread_requests *tr, size_t *nout)
{
    struct thread_waits tw;
    thread_waits_build(&tw, d);
    struct helper_span *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        /* (a thread's end hands its work over: a join waits for it) */
        if (!(a->flags & WAIT_OK) || (a->flags & WAIT_HANDSHAKE) || !a->waker ||
            a->role != WAIT_PARK || a->kind == LOCK_NOTIFY)
            continue;
        const struct wk_wake *k = &d->wakes[a->waker - 1];
        if (k->thread == a->thread) continue;
        uint32_t helper = d->threads[k->thread].serial;
        size_t r = request_at(tr, pr, d->threads[a->thread].serial, a->start);
        if (!r || a->end > pr->requests[r - 1].end || request_at(tr, pr, helper, k->at)) continue;
        /* From when the helper took the work up (its last wait's end),
         * but not before the request began. */
        int64_t from = pr->requests[r - 1].start, last = last_wait_end(&tw, d, k->thread, k->at);
        if (last > from) from = last;
        if (k->at > from)
            ARRAY_PUSH(v, n, cap) =
                (struct helper_span){.thread = helper, .from = from, .to = k->at, .request = r - 1};
    }
    xfree(tw.first);
    xfree(tw.order);
    xsort(v, n, sizeof(*v), cmp_window);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct helper_span w = v[i];
        struct helper_span *prev = m ? &v[m - 1] : NULL;
        if (prev && prev->thread == w.thread && w.from < prev->to) {
            if (prev->request == w.request) { /* the same stretch, seen from two waits */
                if (w.to > prev->to) prev->to = w.to;
                continue;
            }
            w.from = prev->to; /* each instant for one request */
            if (w.to <= w.from) continue;
        }
        v[m++] = w;
    }
    *nout = m;
    return v;
}

/* The last window of thread that [at, end] overlaps, index + 1 (windows
 * by thread, then start, disjoint). */
static size_t window_at(const struct helper_span *v, size_t n, uint32_t thread, int64_t at,
                        int64_t end)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].thread < thread || (v[mid].thread == thread && v[mid].from <= end))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo && v[lo - 1].thread == thread && at < v[lo - 1].to ? lo : 0;
}

/* A request's semaphore and futex waits were counted as lock time when
 * the pass met them; those whose object turned out a park (wakes.h) are
 * wait, as in the threads' breakdown (breakdown_parks()). */
static void request_parks(struct proc_report *pr, const struct wake_data *d,
                          const struct thread_requests *tr)
{
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if ((a->kind != LOCK_SEM && a->kind != LOCK_FUTEX) || a->role != WAIT_PARK) continue;
        size_t r = request_at(tr, pr, d->threads[a->thread].serial, a->start);
        if (!r) continue;
        struct http_request *q = &pr->requests[r - 1];
        int64_t to = a->end < q->end ? a->end : q->end;
        uint64_t ns = to > a->start ? (uint64_t)(to - a->start) : 0;
        if (ns > q->part_ns[PART_LOCK]) ns = q->part_ns[PART_LOCK];
        q->part_ns[PART_LOCK] -= ns;
        q->part_ns[PART_WAIT] += ns;
    }
}

void helpers_find(struct proc_report *pr, const struct wake_data *d, const struct map *stmts)
{
    if (!pr->nrequests || !d->nwaits) return;
    struct thread_requests tr;
    thread_requests_build(&tr, pr);
    request_parks(pr, d, &tr);
    size_t n;
    struct helper_span *v = find_windows(pr, d, &tr, &n);
    map_free(&tr.index);
    xfree(tr.v);
    if (!n) {
        xfree(v);
        return;
    }
    /* Helper threads per request. */
    struct map seen = {0};
    for (size_t k = 0; k < n; k++) {
        int created;
        map_put(&seen, v[k].request, v[k].thread, &created);
        pr->requests[v[k].request].helpers += created;
    }
    map_free(&seen);
    /* The calls a helper made to other services, for the request. */
    for (size_t i = 0; i < pr->nrequests; i++) {
        struct http_request *c = &pr->requests[i];
        size_t w =
            c->outgoing && c->parent < 0 ? window_at(v, n, c->thread, c->start, c->start) : 0;
        if (!w) continue;
        c->parent = (int64_t)v[w - 1].request;
        pr->requests[c->parent].calls++;
        pr->requests[c->parent].calls_ns += (uint64_t)(c->end - c->start);
    }

    /* The helpers' events: each window keeps how far its spans were
     * counted, and how much of it they covered. */
    int64_t *cursor = xmalloc(n * sizeof(*cursor));
    uint64_t *covered = xcalloc(n, sizeof(*covered));
    for (size_t k = 0; k < n; k++)
        cursor[k] = v[k].from;
    struct map threads = {0}; /* helper serials */
    for (size_t k = 0; k < n; k++)
        map_put(&threads, v[k].thread, 0, NULL);
    struct ws_event ev;
    struct timeline *tl = timeline_open(pr->p);
    while (timeline_next(tl, &ev)) {
        if (ev.call >= 100 || !map_get(&threads, ev.thread, 0)) continue;
        size_t w = window_at(v, n, ev.thread, ev.at, event_end(&ev));
        if (!w) continue;
        struct http_request *r = &pr->requests[v[w - 1].request];
        if (event_is_statement(&ev)) {
            r->queries++;
            r->helper_queries++;
            /* (a narrowed analysis did not read the helper's statements) */
            const uint64_t *q = map_get(stmts, ev.thread, (uint64_t)ev.at);
            if (q) (*map_put(&pr->request_counts, v[w - 1].request, *q - 1, NULL))++;
        }
        int gil;
        enum time_part part = time_part_of(pr->p, &ev, &gil);
        int64_t from = ev.at > cursor[w - 1] ? ev.at : cursor[w - 1];
        int64_t to = event_end(&ev) < v[w - 1].to ? event_end(&ev) : v[w - 1].to;
        if (part == PART_NONE || to <= from) continue;
        r->helper_ns[part] += (uint64_t)(to - from);
        v[w - 1].part_ns[part] += (uint64_t)(to - from);
        covered[w - 1] += (uint64_t)(to - from);
        cursor[w - 1] = to;
    }
    timeline_close(tl);
    for (size_t k = 0; k < n; k++) {
        uint64_t span = (uint64_t)(v[k].to - v[k].from);
        uint64_t rest = span > covered[k] ? span - covered[k] : 0;
        pr->requests[v[k].request].helper_ns[PART_OTHER] += rest;
        v[k].part_ns[PART_OTHER] += rest;
    }
    map_free(&threads);
    xfree(cursor);
    xfree(covered);
    pr->helper_spans = v;
    pr->nhelper_spans = n;
}
