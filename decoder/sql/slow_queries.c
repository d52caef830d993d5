/* SPDX-License-Identifier: MIT */
/*
 * slow_queries.c - the slow executions of each statement (slow_queries.h).
 *
 * Executions come in the order they started.  Each thread keeps a small
 * stack of the executions whose span is not over: one that starts inside
 * the innermost takes its span out of that one's time; one that starts
 * after an open one's end closes it, and it counts if its own time is
 * still at least the threshold.
 */
#include "sql/slow_queries.h"

#include "base/util.h"

#include <string.h>
#include <whyslow/format.h>

void slow_queries_init(struct slow_queries *sq, uint64_t slow_ns)
{
    memset(sq, 0, sizeof(*sq));
    sq->slow_ns = slow_ns;
}

static void count(struct slow_queries *sq, const struct slow_open *o)
{
    if (o->own_ns < sq->slow_ns) return;
    int created;
    uint64_t *slot = map_put(&sq->index, o->qid, 0, &created);
    if (created) {
        ARRAY_PUSH(sq->found, sq->nfound, sq->foundcap) = (struct slow_query){.qid = o->qid};
        *slot = sq->nfound;
    }
    struct slow_query *s = &sq->found[*slot - 1];
    if (s->count == 0 || o->own_ns > s->max_ns) {
        s->max_ns = o->own_ns;
        s->tid = o->tid;
        s->conn = o->conn;
        s->caller = o->caller;
        s->stack = o->stack;
    }
    s->count++;
    s->total_ns += o->own_ns;
    s->lib_ns += o->lib_ns;
}

void slow_queries_statement(struct slow_queries *sq, const struct ws_event *ev, uint32_t qid)
{
    int created;
    uint64_t *slot = map_put(&sq->threads, ev->thread, 0, &created);
    if (created) {
        ARRAY_PUSH(sq->open, sq->nopen, sq->opencap) = (struct slow_thread){0};
        *slot = sq->nopen;
    }
    struct slow_thread *t = &sq->open[*slot - 1];
    while (t->n && t->s[t->n - 1].end <= ev->at)
        count(sq, &t->s[--t->n]);
    if (t->n) { /* inside the innermost open one: not its own time */
        struct slow_open *in = &t->s[t->n - 1];
        in->own_ns = in->own_ns > ev->dur ? in->own_ns - ev->dur : 0;
    }
    if (ev->dur < sq->slow_ns) return; /* too short to count, whatever it holds */
    struct slow_open o = {.qid = qid,
                          .end = event_end(ev),
                          .own_ns = ev->dur,
                          .tid = ev->tid,
                          .conn = (uint64_t)ev->obj,
                          .caller = ev->caller};
    /* libpq's time inside the library (aux2); SQLite records none. */
    if (ev->call == WS_PG_QUERY) o.lib_ns = ev->aux2 < ev->dur ? ev->aux2 : ev->dur;
    event_stack_keep(&o.stack, ev);
    if (t->n == SLOW_OPEN_MAX)
        count(sq, &o); /* nested too deep to follow: its span as it is */
    else
        t->s[t->n++] = o;
}

void slow_queries_finish(struct slow_queries *sq, struct slow_query **found, size_t *n)
{
    for (size_t i = 0; i < sq->nopen; i++)
        while (sq->open[i].n)
            count(sq, &sq->open[i].s[--sq->open[i].n]);
    map_free(&sq->threads);
    map_free(&sq->index);
    xfree(sq->open);
    *found = sq->found;
    *n = sq->nfound;
}
