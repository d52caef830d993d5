/* SPDX-License-Identifier: MIT */
/*
 * narrow.c - the analysis narrowed to some served requests (--endpoint,
 * --request; narrow.h).
 *
 * A first analysis finds the requests; the ones asked for give, per
 * process and thread, the spans the second analysis looks at (with the
 * stretches other threads worked for them, helpers.h): an event
 * counts when it overlaps one (the requests module alone sees every event,
 * so that requests and their numbers are the first analysis's).  Then
 * only the requests asked for are kept, with the calls they made, and
 * each thread's time is that of its requests (and of the stretches other
 * threads worked for them: helpers.h).
 */
#include "analysis/narrow.h"

#include "base/util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

struct window {
    uint32_t thread;
    int64_t start, end;
};

struct windows {
    struct window *v; /* by thread, then start */
    int64_t *maxend;  /* the latest end among v[..i] of the same thread */
    size_t n;
    struct map index; /* thread -> first index + 1 << 32 | count */
};

static int matches(const struct analyze_opts *o, const struct proc_report *pr,
                   const struct http_request *r, uint64_t id)
{
    if (r->outgoing) return 0;
    if (o->request) return id == o->request;
    const char *m = r->method ? strpool_get(&pr->p->strings, r->method) : "";
    const char *t = r->template ? strpool_get(&pr->p->strings, r->template) : "";
    char name[1200];
    /* "GET /albums/{id}" or "/albums*": with its method when it has one */
    snprintf(name, sizeof(name), strchr(o->endpoint, ' ') ? "%s %s" : "%.0s%s", m, t);
    return fnmatch(o->endpoint, name, 0) == 0;
}

static int cmp_window(const void *a, const void *b)
{
    const struct window *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Indexes w's windows: by thread, then start, each thread's found by
 * its serial, with the latest end so far for the overlap test. */
static void index_windows(struct windows *w)
{
    xsort(w->v, w->n, sizeof(*w->v), cmp_window);
    w->maxend = xmalloc((w->n ? w->n : 1) * sizeof(*w->maxend));
    for (size_t i = 0; i < w->n; i++) {
        int first = i == 0 || w->v[i - 1].thread != w->v[i].thread;
        w->maxend[i] = first || w->v[i].end > w->maxend[i - 1] ? w->v[i].end : w->maxend[i - 1];
        if (first) {
            size_t k = i;
            while (k < w->n && w->v[k].thread == w->v[i].thread)
                k++;
            *map_put(&w->index, w->v[i].thread, 0, NULL) = (uint64_t)(i + 1) << 32 | (k - i);
        }
    }
}

struct windows **narrow_windows(const struct analysis *a1, const struct analyze_opts *o,
                                size_t *selected)
{
    struct windows **all = xcalloc(a1->nprocs ? a1->nprocs : 1, sizeof(*all));
    uint64_t id = 1;
    *selected = 0;
    for (size_t p = 0; p < a1->nprocs; p++) {
        const struct proc_report *pr = &a1->procs[p];
        struct windows *w = all[p] = xcalloc(1, sizeof(*w));
        size_t cap = 0;
        for (size_t i = 0; i < pr->nrequests; i++, id++) {
            const struct http_request *r = &pr->requests[i];
            if (!matches(o, pr, r, id)) continue;
            ARRAY_PUSH(w->v, w->n, cap) = (struct window){r->thread, r->start, r->end};
            (*selected)++;
        }
        /* What other threads did for them (helpers.h). */
        for (size_t k = 0; k < pr->nhelper_spans; k++) {
            const struct helper_span *s = &pr->helper_spans[k];
            const struct http_request *r = &pr->requests[s->request];
            if (matches(o, pr, r, r->id))
                ARRAY_PUSH(w->v, w->n, cap) = (struct window){s->thread, s->from, s->to};
        }
        index_windows(w);
    }
    return all;
}

int narrow_selects(const struct analyze_opts *o, const struct proc_report *pr,
                   const struct http_request *r)
{
    if (r->outgoing && r->parent >= 0) r = &pr->requests[r->parent];
    return matches(o, pr, r, r->id);
}

/* Whether m is a mark of a test whose node id matches pattern. */
static int is_test(const struct proc_report *pr, const struct mark *m, const char *pattern)
{
    const char *kind = strpool_get(&pr->p->strings, m->kind);
    if (strncmp(kind, "test", 4) != 0 || (kind[4] != '\0' && kind[4] != ':')) return 0;
    return fnmatch(pattern, strpool_get(&pr->p->strings, m->name), 0) == 0;
}

struct windows **narrow_windows_tests(const struct analysis *a1, const char *pattern,
                                      size_t *selected)
{
    struct windows **all = xcalloc(a1->nprocs ? a1->nprocs : 1, sizeof(*all));
    *selected = 0;
    for (size_t p = 0; p < a1->nprocs; p++) {
        const struct proc_report *pr = &a1->procs[p];
        struct windows *w = all[p] = xcalloc(1, sizeof(*w));
        size_t cap = 0;
        for (size_t i = 0; i < pr->nmarks; i++) {
            const struct mark *m = &pr->marks[i];
            if (!is_test(pr, m, pattern)) continue;
            ARRAY_PUSH(w->v, w->n, cap) = (struct window){m->thread, m->start, m->end};
            (*selected)++;
        }
        index_windows(w);
    }
    return all;
}

int narrow_empty(const struct windows *w)
{
    return w->n == 0;
}

int narrow_inside(const struct windows *w, const struct ws_event *ev)
{
    const uint64_t *slot = map_get(&w->index, ev->thread, 0);
    if (!slot) return 0;
    size_t lo = (size_t)(*slot >> 32) - 1, n = (size_t)(*slot & 0xffffffffu);
    int64_t at = ev->at, end = event_end(ev);
    /* The last window that starts before the event ends, and whether any
     * up to it ends after the event starts. */
    size_t a = lo, b = lo + n;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (w->v[mid].start <= end)
            a = mid + 1;
        else
            b = mid;
    }
    return a > lo && w->maxend[a - 1] >= at;
}

void narrow_requests(struct proc_report *pr, const struct analyze_opts *o, uint64_t id_base)
{
    size_t *to = xmalloc((pr->nrequests ? pr->nrequests : 1) * sizeof(*to)); /* old -> new + 1 */
    size_t n = 0;
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        int keep = matches(o, pr, r, id_base + i) ||
                   (r->outgoing && r->parent >= 0 && to[r->parent]); /* its calls */
        to[i] = keep ? ++n : 0;
    }
    struct map counts = {0};
    for (size_t i = 0, k = 0; i < pr->nrequests; i++) {
        if (!to[i]) continue;
        struct http_request r = pr->requests[i];
        if (r.parent >= 0) r.parent = (int64_t)to[r.parent] - 1;
        pr->requests[k++] = r;
    }
    /* The query counts follow their requests (one walk of the map's
     * slots, whatever their order: each lands under its new index). */
    for (size_t k = 0; k < pr->request_counts.cap; k++) {
        const struct map_slot *e = &pr->request_counts.slots[k];
        if (e->used && e->a < pr->nrequests && to[e->a])
            *map_put(&counts, to[e->a] - 1, e->b, NULL) = e->value;
    }
    map_free(&pr->request_counts);
    pr->request_counts = counts;
    pr->nrequests = n;
    size_t m = 0; /* the helpers' stretches follow their requests */
    for (size_t k = 0; k < pr->nhelper_spans; k++) {
        struct helper_span s = pr->helper_spans[k];
        if (!to[s.request]) continue;
        s.request = to[s.request] - 1;
        pr->helper_spans[m++] = s;
    }
    pr->nhelper_spans = m;
    xfree(to);
}

void narrow_thread_times(struct proc_report *pr)
{
    size_t n = 0;
    struct map of_thread = {0}; /* thread serial -> index + 1 in thread_times */
    memset(&pr->time_total, 0, sizeof(pr->time_total));
    for (size_t i = 0; i < pr->nthread_times; i++) {
        struct thread_time *t = &pr->thread_times[i];
        *map_put(&of_thread, t->serial, 0, NULL) = i + 1;
        memset(t->part_ns, 0, sizeof(t->part_ns));
        t->wall_ns = t->gil_ns = t->runq_ns = 0;
    }
    for (size_t k = 0; k < pr->nrequests; k++) { /* each request to its thread */
        const struct http_request *r = &pr->requests[k];
        const uint64_t *i = r->outgoing ? NULL : map_get(&of_thread, r->thread, 0);
        if (!i) continue;
        struct thread_time *t = &pr->thread_times[*i - 1];
        t->wall_ns += (uint64_t)(r->end - r->start);
        for (int p = 0; p < TIME_PARTS; p++)
            t->part_ns[p] += r->part_ns[p];
    }
    for (size_t k = 0; k < pr->nhelper_spans; k++) { /* and their helpers' stretches */
        const struct helper_span *s = &pr->helper_spans[k];
        const uint64_t *i = map_get(&of_thread, s->thread, 0);
        if (!i) continue;
        struct thread_time *t = &pr->thread_times[*i - 1];
        t->wall_ns += (uint64_t)(s->to - s->from);
        for (int p = 0; p < TIME_PARTS; p++)
            t->part_ns[p] += s->part_ns[p];
    }
    map_free(&of_thread);
    for (size_t i = 0; i < pr->nthread_times; i++) {
        struct thread_time t = pr->thread_times[i];
        if (!t.wall_ns) continue;
        pr->time_total.wall_ns += t.wall_ns;
        for (int p = 0; p < TIME_PARTS; p++)
            pr->time_total.part_ns[p] += t.part_ns[p];
        pr->thread_times[n++] = t;
    }
    pr->nthread_times = n;
    pr->time_total.threads = n;
}

void narrow_free(struct windows **all, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!all[i]) continue;
        xfree(all[i]->v);
        xfree(all[i]->maxend);
        map_free(&all[i]->index);
        xfree(all[i]);
    }
    xfree(all);
}
