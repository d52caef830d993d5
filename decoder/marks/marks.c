/* SPDX-License-Identifier: MIT */
/*
 * marks.c - marks from a process's timeline (marks.h).
 *
 * One pass, with the analysis's: each thread keeps its open marks,
 * innermost last.  A begin record at depth d (format.h: the thread's
 * marks open before it) first ends, incomplete, any deeper mark still
 * open (its end was lost); an end record at depth d ends the mark there
 * and, incomplete, any deeper.  Each other event of a thread with a mark
 * open counts for the innermost: its span from the mark's begin on, each
 * instant once (a query's span holds the reads inside it), its database
 * executions.
 */
#include "marks/marks.h"

#include "base/util.h"
#include "conc/stall.h" /* NO_QUERY */
#include "log/calls.h"

#include <whyslow/format.h>

#include <string.h>

struct thread_marks {
    size_t *open; /* mark indexes, outermost first */
    size_t nopen, cap;
};

struct mark_state {
    struct ws_process *p;
    struct mark *v;
    size_t n, cap;
    int64_t *cursor;  /* per mark: how far its spans were counted */
    uint64_t *nested; /* per mark: the time of the marks nested in it */
    size_t cursorcap, nestedcap;
    struct map thread_index; /* thread serial -> index + 1 in threads */
    struct thread_marks *threads;
    size_t nthreads, threadcap;
    struct map counts; /* (mark index, query id) -> executions */
    int64_t last_at;
    uint64_t slow_ns;
};

struct mark_state *marks_open(struct ws_process *p, uint64_t slow_ns)
{
    struct mark_state *m = xcalloc(1, sizeof(*m));
    m->p = p;
    m->slow_ns = slow_ns;
    return m;
}

static struct thread_marks *thread_of(struct mark_state *m, uint32_t thread, int make)
{
    int created = 0;
    uint64_t *slot = make ? map_put(&m->thread_index, thread, 0, &created)
                          : map_get(&m->thread_index, thread, 0);
    if (!slot) return NULL;
    if (created) {
        ARRAY_PUSH(m->threads, m->nthreads, m->threadcap) = (struct thread_marks){0};
        *slot = m->nthreads;
    }
    return &m->threads[*slot - 1];
}

/* Ends t's marks from depth `depth` on at `at`; the one at depth is
 * complete when its end was recorded (complete). */
static void end_from(struct mark_state *m, struct thread_marks *t, size_t depth, int64_t at,
                     int complete)
{
    while (t->nopen > depth) {
        struct mark *k = &m->v[t->open[--t->nopen]];
        k->end = at > k->start ? at : k->start;
        k->complete = complete && t->nopen == depth;
        uint64_t span = (uint64_t)(k->end - k->start), covered = 0;
        for (int p = 0; p < TIME_PARTS; p++)
            covered += k->part_ns[p];
        /* What its nested marks spanned is theirs: its own other is what
         * neither it nor they covered. */
        covered += m->nested[t->open[t->nopen]];
        k->part_ns[PART_OTHER] += span > covered ? span - covered : 0;
        if (k->parent >= 0) m->nested[k->parent] += span;
    }
}

static void begin(struct mark_state *m, const struct ws_event *ev)
{
    struct thread_marks *t = thread_of(m, ev->thread, 1);
    size_t depth = ev->obj >= 0 ? (size_t)ev->obj : 0;
    if (depth < t->nopen) end_from(m, t, depth, ev->at, 0);
    const char *s = (const char *)ev->payload;
    size_t klen = strnlen(s, ev->payload_len);
    ARRAY_PUSH(m->v, m->n, m->cap) = (struct mark){0};
    xgrow(&m->cursor, &m->cursorcap, m->n, sizeof(*m->cursor));
    xgrow(&m->nested, &m->nestedcap, m->n, sizeof(*m->nested));
    m->nested[m->n - 1] = 0;
    struct mark *k = &m->v[m->n - 1];
    k->kind = strpool_intern(&m->p->strings, s, klen);
    k->name = klen < ev->payload_len
                  ? strpool_intern(&m->p->strings, s + klen + 1, ev->payload_len - klen - 1)
                  : strpool_intern(&m->p->strings, "", 0);
    k->thread = ev->thread;
    k->tid = ev->tid;
    k->start = k->end = ev->at;
    k->caller = ev->caller;
    k->parent = t->nopen ? (int64_t)t->open[t->nopen - 1] : -1;
    m->cursor[m->n - 1] = ev->at;
    ARRAY_PUSH(t->open, t->nopen, t->cap) = m->n - 1;
}

/* What ev adds to mark i. */
static void count_in(struct mark_state *m, size_t i, const struct ws_event *ev, uint32_t qid)
{
    struct mark *k = &m->v[i];
    if (qid != NO_QUERY) {
        k->queries++;
        (*map_put(&m->counts, i, qid, NULL))++;
    }
    int gil;
    enum time_part part = time_part_of(m->p, ev, &gil);
    if (part == PART_NONE) return;
    int64_t from = ev->at > m->cursor[i] ? ev->at : m->cursor[i], to = event_end(ev);
    if (call_is_syscall(ev->call) && call_can_be_slow(ev->call) && ev->dur >= m->slow_ns)
        k->slow_calls++;
    int64_t in_from = ev->at > k->start ? ev->at : k->start; /* its span in the mark */
    if (to > in_from && (uint64_t)(to - in_from) > k->longest_ns) {
        k->longest_ns = (uint64_t)(to - in_from);
        k->longest_call = ev->call;
        k->longest_target = ev->target;
        k->longest_caller = ev->caller;
    }
    if (to <= from) return;
    k->part_ns[part] += (uint64_t)(to - from);
    m->cursor[i] = to;
}

size_t marks_event(struct mark_state *m, const struct ws_event *ev, uint32_t qid)
{
    m->last_at = event_end(ev) > m->last_at ? event_end(ev) : m->last_at;
    if (ev->call == WS_EV_MARK_BEGIN) {
        begin(m, ev);
        return 0;
    }
    if (!m->n) return 0; /* (most programs mark nothing) */
    struct thread_marks *t = thread_of(m, ev->thread, 0);
    if (ev->call == WS_EV_MARK_END) {
        size_t depth = ev->obj >= 0 ? (size_t)ev->obj : 0;
        if (t && depth < t->nopen) end_from(m, t, depth, ev->at, 1);
        return 0;
    }
    if (ev->call == WS_EV_THREAD_END && t) {
        end_from(m, t, 0, ev->at, 0);
        return 0;
    }
    if (!t || !t->nopen || ev->call >= 100) return 0; /* (records are no calls) */
    size_t i = t->open[t->nopen - 1];
    count_in(m, i, ev, qid);
    return i + 1;
}

void marks_close(struct mark_state *m, struct mark **marks, size_t *n, struct map *counts)
{
    for (size_t k = 0; k < m->nthreads; k++) {
        end_from(m, &m->threads[k], 0, m->last_at, 0);
        xfree(m->threads[k].open);
    }
    map_free(&m->thread_index);
    xfree(m->threads);
    xfree(m->cursor);
    xfree(m->nested);
    *marks = m->v;
    *n = m->n;
    *counts = m->counts;
    xfree(m);
}
