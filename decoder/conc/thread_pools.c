/* SPDX-License-Identifier: MIT */
/*
 * thread_pools.c - thread_pool_exhaustion: a pool of worker threads that was
 * entirely busy while tasks waited and other threads waited for results.
 * The rule, what can be seen of a pool and what cannot, is in
 * docs/rules.md (thread_pool_exhaustion).
 *
 * find_tpools() finds pools by their queue (a park two workers waited on
 * at once), pools_at_end() those saturated from their first task to their
 * last, by how their workers end; one_pool() then judges a pool: its
 * saturated spans, whether a task was queued, and the cost.  What the
 * workers did while saturated (busy_ns, by breakdown.h's parts) takes a
 * second read of the process's timeline, made only for a pool that is a
 * finding.
 */
#include "base/hashmap.h"
#include "base/util.h"
#include "conc/concurrency.h"
#include "log/calls.h"
#include "log/timeline.h"
#include "time/breakdown.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>

struct ival {
    int64_t start, end;
};

static int cmp_ival(const void *a, const void *b)
{
    const struct ival *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Whether two of the waits ix[0..n) (sorted by start) by different
 * threads overlap: the pool's queue, shared. */
static int shared_at_once(const struct wake_data *d, const uint32_t *ix, size_t n)
{
    int64_t end1 = INT64_MIN,
            end2 = INT64_MIN; /* the latest end, and the latest of other threads */
    uint32_t thread1 = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        const struct wk_wait *a = &d->waits[ix[i]];
        if ((a->thread != thread1 && end1 > a->start) || (a->thread == thread1 && end2 > a->start))
            return 1;
        if (a->thread == thread1) {
            if (a->end > end1) end1 = a->end;
        } else if (a->end > end1) {
            end2 = end1;
            end1 = a->end;
            thread1 = a->thread;
        } else if (a->end > end2) {
            end2 = a->end;
        }
    }
    return 0;
}

/* The overlap of [start, end) with sorted, disjoint spans. */
static uint64_t overlap(const struct ival *v, size_t n, int64_t start, int64_t end)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first span ending after start */
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].end <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t sum = 0;
    for (size_t i = lo; i < n && v[i].start < end; i++) {
        int64_t s = v[i].start > start ? v[i].start : start, e = v[i].end < end ? v[i].end : end;
        if (e > s) sum += (uint64_t)(e - s);
    }
    return sum;
}

/* A worker's wait for work. */
struct work_wait {
    int64_t end;
    uint32_t calls; /* the worker's calls before it */
};

static int cmp_work_wait(const void *a, const void *b)
{
    const struct work_wait *x = a, *y = b;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* A pool being examined. */
struct pool {
    const struct wake_data *d;
    const uint32_t *ix; /* its queue's waits, ix[0..n) */
    size_t n;
    uint32_t queue;    /* the queue's object */
    uint32_t *workers; /* their threads */
    size_t nworkers;
    uint32_t *slot;   /* thread -> worker number + 1, 0: not a worker */
    int64_t from, to; /* while every worker was alive */
    struct ival *sat; /* the saturated spans, sorted */
    size_t nsat;
    struct work_wait *ends; /* each worker's waits for work, by end */
    size_t *first_end;      /* worker w's are ends[first_end[w]..first_end[w + 1]) */
};

/* The workers' time while saturated, by part (a second timeline read). */
static void busy_parts(struct tpool_ex *x, const struct pool *p)
{
    const struct wake_data *d = p->d;
    struct map worker = {0}; /* thread serial -> index + 1 in watermark */
    int64_t *mark = xmalloc(p->nworkers * sizeof(*mark));
    for (size_t i = 0; i < p->nworkers; i++) {
        *map_put(&worker, d->threads[p->workers[i]].serial, 0, NULL) = i + 1;
        mark[i] = INT64_MIN;
    }
    uint64_t classified = 0;
    struct ws_event ev;
    struct timeline *tl = timeline_open(d->p);
    while (timeline_next(tl, &ev)) {
        uint64_t *w = map_get(&worker, ev.thread, 0);
        int gil;
        enum time_part part;
        if (!w || (part = time_part_of(d->p, &ev, &gil)) == PART_NONE || part == PART_OTHER)
            continue;
        /* Spans inside one already counted (a statement's reads) count once. */
        int64_t start = ev.at > mark[*w - 1] ? ev.at : mark[*w - 1], end = event_end(&ev);
        if (end <= start) continue;
        mark[*w - 1] = end;
        uint64_t t = overlap(p->sat, p->nsat, start, end);
        x->busy_ns[part] += t;
        classified += t;
    }
    timeline_close(tl);
    uint64_t all = x->saturated_ns * p->nworkers;
    x->busy_ns[PART_OTHER] = all > classified ? all - classified : 0;
    map_free(&worker);
    xfree(mark);
}

/* The spans of [from, to) no park covers. */
static size_t saturated_spans(struct ival *parks, size_t n, int64_t from, int64_t to,
                              struct ival **out)
{
    xsort(parks, n, sizeof(*parks), cmp_ival);
    struct ival *v = NULL;
    size_t nv = 0, cap = 0;
    int64_t at = from;
    for (size_t i = 0; i <= n && at < to; i++) {
        int64_t s = i < n ? parks[i].start : to, e = i < n ? parks[i].end : to;
        if (s > at) ARRAY_PUSH(v, nv, cap) = (struct ival){at, s < to ? s : to};
        if (e > at) at = e;
    }
    *out = v;
    return nv;
}

/* A wait for a result: one a worker woke, by a thread outside the pool,
 * on another object than the queue; not a start handshake or a join. */
static const struct wk_wake *result_wait(const struct pool *p, const struct wk_wait *a)
{
    if (!a->waker || a->role != WAIT_PARK || (a->flags & WAIT_HANDSHAKE) || a->oid == p->queue)
        return NULL;
    const struct wk_wake *k = &p->d->wakes[a->waker - 1];
    if ((k->flags & WAKE_EXIT) || !p->slot[k->thread] || p->slot[a->thread]) return NULL;
    return k;
}

/* The workers: the threads that waited on the queue, then more[0..nmore);
 * and the time all of them were alive. */
static void find_workers(struct pool *p, const uint32_t *more, size_t nmore)
{
    const struct wake_data *d = p->d;
    size_t cap = 0;
    p->slot = xcalloc(d->nthreads, sizeof(*p->slot));
    p->from = INT64_MIN;
    p->to = INT64_MAX;
    for (size_t i = 0; i < p->n + nmore; i++) {
        uint32_t th = i < p->n ? d->waits[p->ix[i]].thread : more[i - p->n];
        if (p->slot[th]) continue;
        ARRAY_PUSH(p->workers, p->nworkers, cap) = th;
        p->slot[th] = (uint32_t)p->nworkers;
        const struct wk_thread *t = &d->threads[th];
        if (t->start > p->from) p->from = t->start;
        if (t->end < p->to) p->to = t->end;
    }
}

/* Whether threads outside the pool waited for results twice or more:
 * else there is nothing to see. */
static int results_waited_twice(const struct pool *p)
{
    size_t results = 0;
    for (size_t i = 0; i < p->d->nwaits && results < 2; i++)
        results += result_wait(p, &p->d->waits[i]) != NULL;
    return results >= 2;
}

/* Saturated: every worker alive, none waiting for work, none still on its
 * way to its first task: a worker that waited for work before it
 * delivered any result was starting until that wait (on a busy machine a
 * new thread may not run for a while, and the tasks go to the others: no
 * sign of too few workers), or until its first call if that came first:
 * it had taken a task without waiting, whose results no one waited for
 * (they were ready before the consumer asked).  Returns how long in all. */
static uint64_t find_saturated(struct pool *p)
{
    const struct wake_data *d = p->d;
    int64_t *first_wait = xmalloc(p->nworkers * sizeof(*first_wait));
    int64_t *first_result = xmalloc(p->nworkers * sizeof(*first_result));
    for (size_t w = 0; w < p->nworkers; w++)
        first_wait[w] = first_result[w] = INT64_MAX;
    for (size_t i = 0; i < p->n; i++) {
        const struct wk_wait *a = &d->waits[p->ix[i]];
        size_t w = p->slot[a->thread] - 1;
        if (a->start < first_wait[w]) first_wait[w] = a->start;
    }
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wake *k = result_wait(p, &d->waits[i]);
        size_t w = k ? p->slot[k->thread] - 1 : 0;
        if (k && k->at < first_result[w]) first_result[w] = k->at;
    }
    struct ival *parks = xmalloc((p->n + p->nworkers) * sizeof(*parks));
    size_t np = 0;
    for (size_t i = 0; i < p->n; i++)
        parks[np++] = (struct ival){d->waits[p->ix[i]].start, d->waits[p->ix[i]].end};
    for (size_t w = 0; w < p->nworkers; w++)
        if (first_wait[w] != INT64_MAX && first_result[w] > first_wait[w]) {
            const struct wk_thread *t = &d->threads[p->workers[w]];
            int64_t busy = t->first_call < first_wait[w] ? t->first_call : first_wait[w];
            parks[np++] = (struct ival){t->start, busy};
        }
    if (p->from < p->to) p->nsat = saturated_spans(parks, np, p->from, p->to, &p->sat);
    xfree(parks);
    xfree(first_wait);
    xfree(first_result);
    uint64_t sum = 0;
    for (size_t i = 0; i < p->nsat; i++)
        sum += (uint64_t)(p->sat[i].end - p->sat[i].start);
    return sum;
}

/* Each worker's waits for work, by end: which stretch of work a wake is in. */
static void sort_wait_ends(struct pool *p)
{
    const struct wake_data *d = p->d;
    p->ends = xmalloc(p->n * sizeof(*p->ends));
    p->first_end = xcalloc(p->nworkers + 1, sizeof(*p->first_end));
    for (size_t i = 0; i < p->n; i++)
        p->first_end[p->slot[d->waits[p->ix[i]].thread]]++;
    for (size_t i = 0; i < p->nworkers; i++)
        p->first_end[i + 1] += p->first_end[i];
    size_t *fill = xcalloc(p->nworkers, sizeof(*fill));
    for (size_t i = 0; i < p->n; i++) {
        const struct wk_wait *a = &d->waits[p->ix[i]];
        size_t w = p->slot[a->thread] - 1;
        p->ends[p->first_end[w] + fill[w]++] = (struct work_wait){a->end, a->calls};
    }
    for (size_t i = 0; i < p->nworkers; i++)
        xsort(p->ends + p->first_end[i], p->first_end[i + 1] - p->first_end[i], sizeof(*p->ends),
              cmp_work_wait);
    xfree(fill);
}

/* The stretch of work of worker w (from 0) a wake at `at` is in: how many
 * of its waits for work ended before. */
static size_t stretch_of(const struct pool *p, size_t w, int64_t at)
{
    size_t lo = p->first_end[w], hi = p->first_end[w + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ends[mid].end <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - p->first_end[w];
}

/* Whether worker w made calls after a result it delivered through an
 * event loop's fd, before it next waited for work. */
static int worked_after(const struct pool *p, size_t w, const struct wk_wake *k)
{
    size_t next = p->first_end[w] + stretch_of(p, w, k->at);
    if (next == p->first_end[w + 1]) return 0; /* it ended: those may be its exit's */
    return p->ends[next].calls > k->calls;
}

/* Whether a task was queued: a worker delivered results to the same
 * thread twice in one stretch of work, taking the second task at once;
 * or, delivering through an event loop's fd, went on with calls before
 * it waited for work again (a loop's notifications coalesce: libuv
 * writes its eventfd once for all results delivered before the loop
 * reads it, so the second delivery may not show). */
static int tasks_queued(const struct pool *p)
{
    struct map delivered = {0}; /* (worker * 2^32 + stretch, waiter) -> deliveries */
    int queued = 0;
    for (size_t i = 0; i < p->d->nwaits && !queued; i++) {
        const struct wk_wait *a = &p->d->waits[i];
        const struct wk_wake *k = result_wait(p, a);
        if (!k) continue;
        size_t w = p->slot[k->thread] - 1;
        if (k->kind == LOCK_NOTIFY && worked_after(p, w, k)) {
            queued = 1;
            break;
        }
        uint64_t *dn =
            map_put(&delivered, (uint64_t)w << 32 | stretch_of(p, w, k->at), a->thread, NULL);
        queued = ++*dn >= 2;
    }
    map_free(&delivered);
    return queued;
}

/* Results delivered by workers to threads outside the pool: the waits for
 * them while the pool was saturated, the thread that waited the most and
 * the caller of most of them. */
static void count_result_waits(const struct pool *p, struct tpool_ex *x)
{
    const struct wake_data *d = p->d;
    struct map waited = {0}; /* waiter thread -> time */
    struct map callers = {0};
    uint64_t best_caller = 0, best_waiter = 0, loop_ns = 0;
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (!result_wait(p, a)) continue;
        uint64_t t = overlap(p->sat, p->nsat, a->start, a->end);
        if (!t) continue;
        x->waits++;
        x->wait_total_ns += t;
        if (a->kind == LOCK_NOTIFY) loop_ns += t;
        uint64_t *wt = map_put(&waited, a->thread, 0, NULL);
        if ((*wt += t) > best_waiter) {
            best_waiter = *wt;
            x->tid = d->threads[a->thread].tid;
        }
        uint64_t *nc = map_put(&callers, a->caller, 0, NULL);
        if (++*nc > best_caller) {
            best_caller = *nc;
            x->caller = a->caller;
        }
    }
    x->loop = loop_ns * 2 > x->wait_total_ns;
    map_free(&waited);
    map_free(&callers);
}

static void free_pool(struct pool *p)
{
    xfree(p->workers);
    xfree(p->slot);
    xfree(p->sat);
    xfree(p->ends);
    xfree(p->first_end);
}

/* One pool: its queue's waits are ix[0..n), by its workers, who are the
 * threads that waited there and those in more[0..nmore) (workers seen
 * delivering results, never waiting for work). */
static void one_pool(struct conc_report *c, const struct wake_data *d, const uint32_t *ix, size_t n,
                     const uint32_t *more, size_t nmore, uint64_t slow_ns, size_t *cap)
{
    const struct wk_wait *q = &d->waits[ix[0]];
    struct pool p = {.d = d, .ix = ix, .n = n, .queue = q->oid};
    struct tpool_ex x = {.queue = d->objects[q->oid].obj, .queue_kind = q->kind};
    /* Each step below looks at every thread, or every wait, or reads the
     * timeline again: a log can hold thousands of candidate pools. */
    if (!conc_spend(c, d->nthreads + n + nmore)) return;
    find_workers(&p, more, nmore);
    if (!conc_spend(c, d->nwaits) || !results_waited_twice(&p)) goto out;
    x.workers = (uint32_t)p.nworkers;
    x.saturated_ns = find_saturated(&p);
    sort_wait_ends(&p);
    if (!conc_spend(c, 2 * d->nwaits) || !tasks_queued(&p)) goto out;
    count_result_waits(&p, &x);
    if (x.wait_total_ns >= slow_ns && x.wait_total_ns > 0 && conc_spend(c, 16 * d->p->nev)) {
        busy_parts(&x, &p);
        ARRAY_PUSH(c->tpools, c->ntpools, *cap) = x;
    }
out:
    free_pool(&p);
}

/* What pools_at_end() knows of the threads. */
struct at_end {
    const struct wake_data *d;
    const uint32_t *pos; /* the waits by object (by_object()) */
    const size_t *first;
    uint32_t *wpos; /* the wakes by object */
    size_t *wfirst;
    uint8_t *pooled;     /* workers of a pool found */
    uint32_t *parent;    /* index + 1, 0: unknown */
    uint32_t *last;      /* its last wait's index + 1 */
    uint32_t *consumer;  /* index + 1, 0: none */
    int64_t *last_given; /* when it delivered its last result */
    struct map given;    /* (worker, consumer) -> results */
};

/* A thread's parent: the one its THREAD_START names (recorders since
 * format 2 know it), else the one its start handshake woke. */
static void find_parents(struct at_end *e)
{
    const struct wake_data *d = e->d;
    size_t nt = d->nthreads;
    e->parent = xcalloc(nt, sizeof(*e->parent));
    struct map serial_ix = {0};
    for (size_t t = 0; t < nt; t++)
        *map_put(&serial_ix, d->threads[t].serial, 0, NULL) = t + 1;
    for (size_t t = 0; t < nt; t++) {
        const uint64_t *ix =
            d->threads[t].parent ? map_get(&serial_ix, d->threads[t].parent, 0) : NULL;
        if (ix && *ix != t + 1) e->parent[t] = (uint32_t)*ix;
    }
    map_free(&serial_ix);
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (a->role == WAIT_GIL || !a->waker || !(a->flags & WAIT_HANDSHAKE)) continue;
        const struct wk_wake *k = &d->wakes[a->waker - 1];
        if ((k->flags & WAKE_FIRST) && k->thread != a->thread && !e->parent[k->thread])
            e->parent[k->thread] = a->thread + 1;
    }
}

/* Each thread's last wait (the GIL's aside). */
static void find_last_waits(struct at_end *e)
{
    const struct wake_data *d = e->d;
    e->last = xcalloc(d->nthreads, sizeof(*e->last));
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (a->role == WAIT_GIL) continue;
        if (!e->last[a->thread] || d->waits[e->last[a->thread] - 1].end <= a->end)
            e->last[a->thread] = (uint32_t)i + 1;
    }
}

/* The last wake of a thread whose log lacks its THREAD_END record (it
 * ran until the process ended): its end, as a join it ends, unflagged.
 * A thread that ended is flagged where it is so: its last wake before
 * may be a result no one joined it after.  Index + 1, by thread. */
static uint32_t *last_wakes_unended(const struct wake_data *d)
{
    uint32_t *last_wake = xcalloc(d->nthreads, sizeof(*last_wake));
    for (size_t i = 0; i < d->nwakes; i++)
        if (!d->threads[d->wakes[i].thread].ended) last_wake[d->wakes[i].thread] = (uint32_t)i + 1;
    return last_wake;
}

/* The results each thread delivered to each other (woke its waits on a
 * park), when it delivered its last, and its consumer: the thread it
 * delivered the most to. */
static void find_consumers(struct at_end *e)
{
    const struct wake_data *d = e->d;
    e->consumer = xcalloc(d->nthreads, sizeof(*e->consumer));
    e->last_given = xcalloc(d->nthreads, sizeof(*e->last_given));
    uint32_t *last_wake = last_wakes_unended(d);
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (!a->waker || (a->flags & WAIT_HANDSHAKE) || a->role != WAIT_PARK) continue;
        const struct wk_wake *k = &d->wakes[a->waker - 1];
        if ((k->flags & WAKE_EXIT) || k->thread == a->thread || a->waker == last_wake[k->thread])
            continue;
        uint64_t *g = map_put(&e->given, k->thread, a->thread, NULL);
        uint32_t *best = &e->consumer[k->thread];
        if (++*g > (*best ? *map_get(&e->given, k->thread, *best - 1) : 0)) *best = a->thread + 1;
        if (k->at > e->last_given[k->thread]) e->last_given[k->thread] = k->at;
    }
    xfree(last_wake);
}

/* Whether m posted to the park q and never waited on it. */
static int posts_never_waits(const struct at_end *e, uint32_t m, uint32_t q)
{
    int m_posts = 0, m_waits = 0;
    for (size_t i = e->wfirst[q]; i < e->wfirst[q + 1] && !m_posts; i++)
        m_posts = e->d->wakes[e->wpos[i]].thread == m;
    for (size_t i = e->first[q]; i < e->first[q + 1] && !m_waits; i++)
        m_waits = e->d->waits[e->pos[i]].thread == m;
    return m_posts && !m_waits;
}

/* The threads that could be workers: a known parent, and a consumer of
 * their results. */
static int could_be_worker(const struct at_end *e, uint32_t t)
{
    return e->parent[t] && e->consumer[t];
}

/* Whether w, not in a pool found yet, last waited for work: on a park
 * *queue its consumer posted to and never waited on, woken by the
 * consumer or by a fellow worker, with no result delivered after. */
static int waited_for_work_last(const struct at_end *e, uint32_t w, uint32_t *queue)
{
    const struct wake_data *d = e->d;
    if (!e->last[w] || e->pooled[w]) return 0;
    const struct wk_wait *a = &d->waits[e->last[w] - 1];
    uint32_t q = a->oid, m = e->consumer[w] - 1;
    if (a->role != WAIT_PARK || (a->flags & WAIT_HANDSHAKE) || !a->waker || e->pooled[m]) return 0;
    if (e->last_given[w] > a->start) return 0;
    const struct wk_wake *k = &d->wakes[a->waker - 1];
    if (k->thread == m ? (k->flags & WAKE_EXIT) != 0
                       : k->thread == w || e->parent[k->thread] != e->parent[w])
        return 0;
    if (!posts_never_waits(e, m, q)) return 0;
    *queue = q;
    return 1;
}

/* The other workers of w's pool, into more: threads with w's parent that
 * delivered results to its consumer, or whose last wait was on q too. */
static size_t fellow_workers(const struct at_end *e, uint32_t w, uint32_t q, uint32_t *more)
{
    const struct wake_data *d = e->d;
    uint32_t m = e->consumer[w] - 1;
    size_t nmore = 0;
    for (uint32_t t = 0; t < d->nthreads; t++) {
        if (t == w || t == m || e->pooled[t] || e->parent[t] != e->parent[w]) continue;
        const uint64_t *g = map_get(&e->given, t, m);
        if ((g && *g) || (e->last[t] && d->waits[e->last[t] - 1].oid == q)) more[nmore++] = t;
    }
    return nmore;
}

static void mark_pooled(uint8_t *pooled, uint32_t w, const uint32_t *more, size_t nmore,
                        uint8_t mark)
{
    pooled[w] = mark;
    for (size_t j = 0; j < nmore; j++)
        pooled[more[j]] = mark;
}

/* The workers' waits on q, into ix; the workers, w and more[0..nmore),
 * are marked pooled (2 marks this pool's, while they are looked for). */
static size_t workers_waits(const struct at_end *e, uint32_t w, const uint32_t *more, size_t nmore,
                            uint32_t q, uint32_t *ix)
{
    size_t n = 0;
    mark_pooled(e->pooled, w, more, nmore, 2);
    for (size_t i = e->first[q]; i < e->first[q + 1]; i++) {
        const struct wk_wait *a = &e->d->waits[e->pos[i]];
        if (!(a->flags & WAIT_HANDSHAKE) && e->pooled[a->thread] == 2) ix[n++] = e->pos[i];
    }
    mark_pooled(e->pooled, w, more, nmore, 1);
    return n;
}

static void free_at_end(struct at_end *e)
{
    xfree(e->wpos);
    xfree(e->wfirst);
    xfree(e->parent);
    xfree(e->last);
    xfree(e->consumer);
    xfree(e->last_given);
    map_free(&e->given);
}

/*
 * A pool seen only at its end, saturated from its first task to its last
 * (docs/rules.md: the pool found "by how its workers end").  With W a
 * candidate worker and M its consumer (the thread it delivered the most
 * results to): W's last wait was on a park Q that M posts and never waits
 * on, woken by M or a fellow worker, and W delivered no result after it;
 * its fellow workers are threads with W's creator that delivered results
 * to M or whose last wait was on Q.  one_pool() then asks for a queued
 * task as for any pool.
 */
static void pools_at_end(struct conc_report *c, const struct wake_data *d, const uint32_t *pos,
                         const size_t *first, uint32_t *ix, uint8_t *pooled, uint64_t slow_ns,
                         size_t *cap)
{
    struct at_end e = {.d = d, .pos = pos, .first = first, .pooled = pooled};
    find_parents(&e);
    find_last_waits(&e);
    find_consumers(&e);
    by_object(d->nobjects, d->nwakes, d->wakes ? &d->wakes[0].oid : NULL, sizeof(*d->wakes),
              &e.wpos, &e.wfirst);
    uint32_t *more = xmalloc(d->nthreads * sizeof(*more));
    for (uint32_t w = 0; w < d->nthreads; w++) {
        uint32_t q;
        if (!could_be_worker(&e, w)) continue;
        /* The waits and wakes of w's last object, then every thread. */
        const struct wk_wait *last = e.last[w] ? &d->waits[e.last[w] - 1] : NULL;
        uint64_t steps = d->nthreads + (last ? (first[last->oid + 1] - first[last->oid]) +
                                                   (e.wfirst[last->oid + 1] - e.wfirst[last->oid])
                                             : 0);
        if (!conc_spend(c, steps)) break;
        if (!waited_for_work_last(&e, w, &q)) continue;
        size_t nmore = fellow_workers(&e, w, q, more);
        if (!nmore) continue;
        size_t n = workers_waits(&e, w, more, nmore, q, ix);
        one_pool(c, d, ix, n, more, nmore, slow_ns, cap);
    }
    xfree(more);
    free_at_end(&e);
}

static int cmp_tpool(const void *a, const void *b)
{
    const struct tpool_ex *x = a, *y = b;
    if (x->wait_total_ns != y->wait_total_ns) return x->wait_total_ns > y->wait_total_ns ? -1 : 1;
    return x->queue < y->queue ? -1 : x->queue > y->queue;
}

void find_tpools(struct conc_report *c, const struct wake_data *d, uint64_t slow_ns)
{
    if (d->nwaits < 2) return;
    uint32_t *pos;
    size_t *first, cap = 0;
    by_object(d->nobjects, d->nwaits, &d->waits[0].oid, sizeof(*d->waits), &pos, &first);
    uint32_t *ix = xmalloc(d->nwaits * sizeof(*ix));
    uint8_t *pooled = xcalloc(d->nthreads, 1); /* workers of a pool found */
    for (size_t o = 0; o < d->nobjects; o++) {
        /* An epoll set two threads wait on is no queue of tasks. */
        if (d->objects[o].role != WAIT_PARK || d->objects[o].kind == LOCK_NOTIFY ||
            first[o + 1] - first[o] < 2)
            continue;
        size_t n = 0;
        for (size_t i = first[o]; i < first[o + 1]; i++)
            if (!(d->waits[pos[i]].flags & WAIT_HANDSHAKE)) ix[n++] = pos[i];
        if (n < 2 || !shared_at_once(d, ix, n)) continue;
        for (size_t i = 0; i < n; i++)
            pooled[d->waits[ix[i]].thread] = 1;
        one_pool(c, d, ix, n, NULL, 0, slow_ns, &cap);
    }
    pools_at_end(c, d, pos, first, ix, pooled, slow_ns, &cap);
    xfree(pooled);
    xfree(ix);
    xfree(pos);
    xfree(first);
    xsort(c->tpools, c->ntpools, sizeof(*c->tpools), cmp_tpool);
}
