/*
 * thread_pools.c - thread_pool_exhaustion: a pool of worker threads that was
 * entirely busy while tasks waited and other threads waited for results.
 *
 * What can be seen, and what cannot:
 *   - The pool: worker threads wait for work on one object, the pool's
 *     queue (a cond, or a sem or futex that a producer posts: a park,
 *     wakes.h).  Two workers waiting on it at the same time show it is
 *     one object shared by them (an address reused by another object
 *     could not be waited on twice at once).  The workers are the threads
 *     that waited on it.  A pool saturated from its first task to its
 *     last waits for work only at its end, maybe by one worker only: it
 *     is recognized by how its workers end instead (pools_at_end()).  A
 *     pool none of whose workers waited for work while traced cannot be
 *     told from threads that report progress, and is not found.
 *   - Saturation: while every worker lives and none waits on the queue,
 *     all are busy with tasks.
 *   - Tasks waiting: a task put into the queue while every worker is
 *     busy wakes no one, so the put itself shows nothing.  What shows is
 *     the queue's effect: a worker that delivers results (wakes a thread
 *     that waited on something else than the queue) twice to the same
 *     thread without waiting for work in between took the second task
 *     from the queue at once: it was queued, waiting for a worker.  That
 *     evidence is required.  A wake at a worker's start (its creator
 *     waiting for it to run) or exit (a join) is no result.
 *   - The cost: the time threads outside the pool spent waiting for
 *     results that workers then delivered, while the pool was saturated
 *     (wait_total_ns); and how long it was saturated (saturated_ns).
 * What the workers did while saturated (busy_ns, by breakdown.h's parts:
 * the time breakdown's classifier) takes a second read of the process's
 * timeline, made only for a pool that is a finding.
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

/* The workers' time while saturated, by part (a second timeline read). */
static void busy_parts(struct tpool_ex *x, const struct wake_data *d, const uint32_t *workers,
                       size_t nworkers, const struct ival *sat, size_t nsat)
{
    struct map worker = {0}; /* thread serial -> index + 1 in watermark */
    int64_t *mark = xmalloc(nworkers * sizeof(*mark));
    for (size_t i = 0; i < nworkers; i++) {
        *map_put(&worker, d->threads[workers[i]].serial, 0, NULL) = i + 1;
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
        uint64_t t = overlap(sat, nsat, start, end);
        x->busy_ns[part] += t;
        classified += t;
    }
    timeline_close(tl);
    uint64_t all = x->saturated_ns * nworkers;
    x->busy_ns[PART_OTHER] = all > classified ? all - classified : 0;
    map_free(&worker);
    free(mark);
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
static const struct wk_wake *result_wait(const struct wake_data *d, const struct wk_wait *a,
                                         uint32_t queue, const uint32_t *slot)
{
    if (!a->waker || a->role != WAIT_PARK || (a->flags & WAIT_HANDSHAKE) || a->oid == queue)
        return NULL;
    const struct wk_wake *k = &d->wakes[a->waker - 1];
    if ((k->flags & WAKE_EXIT) || !slot[k->thread] || slot[a->thread]) return NULL;
    return k;
}

/* One pool: its queue's waits are ix[0..n), by its workers, who are the
 * threads that waited there and those in more[0..nmore) (workers seen
 * delivering results, never waiting for work). */
static void one_pool(struct conc_report *c, const struct wake_data *d, const uint32_t *ix, size_t n,
                     const uint32_t *more, size_t nmore, uint64_t slow_ns, size_t *cap)
{
    const struct wk_wait *q = &d->waits[ix[0]];
    uint32_t *slot = xcalloc(d->nthreads, sizeof(*slot)); /* thread -> worker number + 1 */
    uint32_t *workers = NULL;
    size_t nworkers = 0, wcap = 0;
    int64_t from = INT64_MIN, to = INT64_MAX;
    for (size_t i = 0; i < n + nmore; i++) {
        uint32_t th = i < n ? d->waits[ix[i]].thread : more[i - n];
        if (slot[th]) continue;
        ARRAY_PUSH(workers, nworkers, wcap) = th;
        slot[th] = (uint32_t)nworkers;
        const struct wk_thread *t = &d->threads[th];
        if (t->start > from) from = t->start;
        if (t->end < to) to = t->end;
    }
    size_t results = 0;
    for (size_t i = 0; i < d->nwaits && results < 2; i++)
        results += result_wait(d, &d->waits[i], q->oid, slot) != NULL;
    if (results < 2) { /* no one waited for results twice: nothing to see */
        free(slot);
        free(workers);
        return;
    }

    /* Saturated: every worker alive, none waiting for work. */
    struct ival *parks = xmalloc(n * sizeof(*parks)), *sat = NULL;
    for (size_t i = 0; i < n; i++)
        parks[i] = (struct ival){d->waits[ix[i]].start, d->waits[ix[i]].end};
    size_t nsat = from < to ? saturated_spans(parks, n, from, to, &sat) : 0;
    struct tpool_ex x = {
        .queue = d->objects[q->oid].obj, .queue_kind = q->kind, .workers = (uint32_t)nworkers};
    for (size_t i = 0; i < nsat; i++)
        x.saturated_ns += (uint64_t)(sat[i].end - sat[i].start);

    /* Each worker's waits for work, by end: which stretch of work a wake is in. */
    struct ival *ends = xmalloc(n * sizeof(*ends));
    size_t *first = xcalloc(nworkers + 1, sizeof(*first));
    for (size_t i = 0; i < n; i++)
        first[slot[d->waits[ix[i]].thread]]++;
    for (size_t i = 0; i < nworkers; i++)
        first[i + 1] += first[i];
    size_t *fill = xcalloc(nworkers, sizeof(*fill));
    for (size_t i = 0; i < n; i++) {
        size_t w = slot[d->waits[ix[i]].thread] - 1;
        ends[first[w] + fill[w]++] = (struct ival){d->waits[ix[i]].end, d->waits[ix[i]].start};
    }
    for (size_t i = 0; i < nworkers; i++)
        xsort(ends + first[i], first[i + 1] - first[i], sizeof(*ends), cmp_ival);

    /* Results delivered by workers to threads outside the pool. */
    struct map delivered = {0}; /* (worker * 2^32 + stretch, waiter) -> deliveries */
    struct map waited = {0};    /* waiter thread -> time */
    struct map callers = {0};
    uint64_t best_caller = 0, best_waiter = 0;
    int queued = 0;
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        const struct wk_wake *k = result_wait(d, a, q->oid, slot);
        if (!k) continue;
        const uint32_t *w = &slot[k->thread];
        /* The stretch: how many of the worker's waits for work ended before. */
        size_t lo = first[*w - 1], hi = first[*w];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ends[mid].start <= k->at)
                lo = mid + 1;
            else
                hi = mid;
        }
        uint64_t *dn =
            map_put(&delivered, (uint64_t)(*w - 1) << 32 | (lo - first[*w - 1]), a->thread, NULL);
        if (++*dn >= 2) queued = 1;
        uint64_t t = overlap(sat, nsat, a->start, a->end);
        if (!t) continue;
        x.waits++;
        x.wait_total_ns += t;
        uint64_t *wt = map_put(&waited, a->thread, 0, NULL);
        if ((*wt += t) > best_waiter) {
            best_waiter = *wt;
            x.tid = d->threads[a->thread].tid;
        }
        uint64_t *nc = map_put(&callers, a->caller, 0, NULL);
        if (++*nc > best_caller) {
            best_caller = *nc;
            x.caller = a->caller;
        }
    }
    if (queued && x.wait_total_ns >= slow_ns && x.wait_total_ns > 0) {
        busy_parts(&x, d, workers, nworkers, sat, nsat);
        ARRAY_PUSH(c->tpools, c->ntpools, *cap) = x;
    }
    map_free(&delivered);
    map_free(&waited);
    map_free(&callers);
    free(slot);
    free(fill);
    free(first);
    free(ends);
    free(parks);
    free(sat);
    free(workers);
}

/*
 * A pool seen only at its end.  Saturated from its first task to its last
 * (a one-shot ThreadPoolExecutor.map: all tasks queued at once), its
 * workers never wait for work but at the end, and then maybe only one of
 * them (the others find the queue's end mark at once): no queue is shared
 * at once.  What shows instead:
 *   - the consumer M of a worker W: the thread W delivered the most
 *     results to (woke its waits on other objects);
 *   - W's last wait was on a park Q that M posted (put work, or the end
 *     of work, into) and never waited on, woken by M or by a fellow
 *     worker (passing the end mark on, maybe as its last act), and W
 *     delivered no result after it: W waited there for work;
 *   - the other workers: threads started by the thread that started W
 *     (THREAD_START records tell it, or else the start handshakes:
 *     wakes.h) that delivered results to M, or whose last wait was on Q
 *     too;
 *   - one of them delivered results to M twice or more without waiting
 *     for work in between (a task was queued: one_pool()).
 * M takes the results in the order it queued the tasks: of two workers
 * that end tasks at about once, it waits for one only, so a worker may
 * deliver a single result that M waited for, or none.
 * Threads that each deliver results but never end up waiting for more
 * (threads reporting progress) are no pool; nor is a thread whose parent
 * is unknown.  A pool whose workers all found the end mark without
 * waiting shows nothing of its queue, and is not found.
 */
static void pools_at_end(struct conc_report *c, const struct wake_data *d, const uint32_t *pos,
                         const size_t *first, uint32_t *ix, uint8_t *pooled, uint64_t slow_ns,
                         size_t *cap)
{
    size_t nt = d->nthreads;
    uint32_t *parent = xcalloc(nt, sizeof(*parent));     /* index + 1, 0: unknown */
    uint32_t *last = xcalloc(nt, sizeof(*last));         /* its last wait's index + 1 */
    uint32_t *consumer = xcalloc(nt, sizeof(*consumer)); /* index + 1, 0: none */
    int64_t *last_given = xcalloc(nt, sizeof(*last_given));
    struct map given = {0}; /* (worker, consumer) -> results */
    /* A thread's parent: the one its THREAD_START names (recorders since
     * format 2 know it), else the one its start handshake woke. */
    struct map serial_ix = {0};
    for (size_t t = 0; t < nt; t++)
        *map_put(&serial_ix, d->threads[t].serial, 0, NULL) = t + 1;
    for (size_t t = 0; t < nt; t++) {
        const uint64_t *ix =
            d->threads[t].parent ? map_get(&serial_ix, d->threads[t].parent, 0) : NULL;
        if (ix && *ix != t + 1) parent[t] = (uint32_t)*ix;
    }
    map_free(&serial_ix);
    /* The last wake of a thread whose log lacks its THREAD_END record (it
     * ran until the process ended): its end, as a join it ends, unflagged.
     * A thread that ended is flagged where it is so: its last wake before
     * may be a result no one joined it after. */
    uint32_t *last_wake = xcalloc(nt, sizeof(*last_wake)); /* index + 1 */
    for (size_t i = 0; i < d->nwakes; i++)
        if (!d->threads[d->wakes[i].thread].ended) last_wake[d->wakes[i].thread] = (uint32_t)i + 1;
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (a->role == WAIT_GIL) continue;
        if (!last[a->thread] || d->waits[last[a->thread] - 1].end <= a->end)
            last[a->thread] = (uint32_t)i + 1;
        if (!a->waker) continue;
        const struct wk_wake *k = &d->wakes[a->waker - 1];
        if (a->flags & WAIT_HANDSHAKE) {
            if ((k->flags & WAKE_FIRST) && k->thread != a->thread && !parent[k->thread])
                parent[k->thread] = a->thread + 1;
        } else if (a->role == WAIT_PARK && !(k->flags & WAKE_EXIT) && k->thread != a->thread &&
                   a->waker != last_wake[k->thread]) {
            uint64_t *g = map_put(&given, k->thread, a->thread, NULL);
            uint32_t *best = &consumer[k->thread];
            if (++*g > (*best ? *map_get(&given, k->thread, *best - 1) : 0)) *best = a->thread + 1;
            if (k->at > last_given[k->thread]) last_given[k->thread] = k->at;
        }
    }
    uint32_t *wpos;
    size_t *wfirst;
    by_object(d->nobjects, d->nwakes, &d->wakes[0].oid, sizeof(*d->wakes), &wpos, &wfirst);
    /* The threads that could be workers: known parent, results given twice. */
    uint32_t *cand = xmalloc(nt * sizeof(*cand)), *more = xmalloc(nt * sizeof(*more));
    size_t ncand = 0;
    for (size_t t = 0; t < nt; t++)
        if (parent[t] && consumer[t]) cand[ncand++] = (uint32_t)t;
    for (size_t ci = 0; ci < ncand; ci++) {
        uint32_t w = cand[ci];
        if (!last[w] || pooled[w]) continue;
        const struct wk_wait *e = &d->waits[last[w] - 1];
        uint32_t q = e->oid, m = consumer[w] - 1;
        if (e->role != WAIT_PARK || (e->flags & WAIT_HANDSHAKE) || !e->waker || pooled[m]) continue;
        if (last_given[w] > e->start) continue;
        const struct wk_wake *k = &d->wakes[e->waker - 1];
        if (k->thread == m ? (k->flags & WAKE_EXIT) != 0
                           : k->thread == w || parent[k->thread] != parent[w])
            continue;
        int m_posts = 0, m_waits = 0;
        for (size_t i = wfirst[q]; i < wfirst[q + 1] && !m_posts; i++)
            m_posts = d->wakes[wpos[i]].thread == m;
        for (size_t i = first[q]; i < first[q + 1] && !m_waits; i++)
            m_waits = d->waits[pos[i]].thread == m;
        if (!m_posts || m_waits) continue;

        size_t nmore = 0;
        for (uint32_t t = 0; t < nt; t++) {
            if (t == w || t == m || pooled[t] || parent[t] != parent[w]) continue;
            const uint64_t *g = map_get(&given, t, m);
            if ((g && *g) || (last[t] && d->waits[last[t] - 1].oid == q)) more[nmore++] = t;
        }
        if (!nmore) continue;
        size_t n = 0; /* the workers' waits on q (2 marks this pool's workers) */
        pooled[w] = 2;
        for (size_t j = 0; j < nmore; j++)
            pooled[more[j]] = 2;
        for (size_t i = first[q]; i < first[q + 1]; i++)
            if (!(d->waits[pos[i]].flags & WAIT_HANDSHAKE) && pooled[d->waits[pos[i]].thread] == 2)
                ix[n++] = pos[i];
        pooled[w] = 1;
        for (size_t j = 0; j < nmore; j++)
            pooled[more[j]] = 1;
        one_pool(c, d, ix, n, more, nmore, slow_ns, cap);
    }
    map_free(&given);
    free(parent);
    free(last);
    free(last_wake);
    free(consumer);
    free(last_given);
    free(cand);
    free(more);
    free(wpos);
    free(wfirst);
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
        if (d->objects[o].role != WAIT_PARK || first[o + 1] - first[o] < 2) continue;
        size_t n = 0;
        for (size_t i = first[o]; i < first[o + 1]; i++)
            if (!(d->waits[pos[i]].flags & WAIT_HANDSHAKE)) ix[n++] = pos[i];
        if (n < 2 || !shared_at_once(d, ix, n)) continue;
        for (size_t i = 0; i < n; i++)
            pooled[d->waits[ix[i]].thread] = 1;
        one_pool(c, d, ix, n, NULL, 0, slow_ns, &cap);
    }
    pools_at_end(c, d, pos, first, ix, pooled, slow_ns, &cap);
    free(pooled);
    free(ix);
    free(pos);
    free(first);
    xsort(c->tpools, c->ntpools, sizeof(*c->tpools), cmp_tpool);
}
