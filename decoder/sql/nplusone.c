/* SPDX-License-Identifier: MIT */
/*
 * nplusone.c - finding N+1 loops (the rule is in nplusone.h).
 *
 * Each thread on each connection (a stream) keeps a small stack of the
 * parents it may still be in a loop of, oldest first, and for each the
 * child fingerprints seen since it started (at most KIDS_MAX).  A
 * statement is offered to the parents from the newest down: one whose
 * span it starts in, or that has already seen its fingerprint, counts it
 * and stops there; one whose loop it ends is closed and left; one still
 * in its first round notes the fingerprint and passes the statement on,
 * since it may as well belong to an older parent's loop.  A parent that
 * is closed becomes nplus1_loop records for its children that qualify.
 */
#include "sql/nplusone.h"

#include "base/util.h"
#include "log/pysites.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>

#define PARENTS_MAX 8 /* parents a stream keeps; the oldest goes first */
#define KIDS_MAX    8 /* child fingerprints a parent follows */

struct kid {
    uint32_t qid;
    int differs; /* not always run with the same parameters */
    uint64_t count;
    uint64_t first_params;
    uint64_t total_ns;
    uint64_t caller; /* of its first execution */
};

struct parent {
    uint32_t qid;
    uint64_t caller; /* where it ran from */
    int repeating;   /* one of its kids has run twice */
    uint64_t rows;
    int64_t end; /* when its span ended */
    struct kid kids[KIDS_MAX];
    int nkids;
};

struct nplus1_stream {
    uint32_t tid;
    uint64_t conn;
    struct parent parents[PARENTS_MAX];
    int n;
};

void nplus1_init(struct nplus1 *d, const struct query_table *qt, unsigned min)
{
    memset(d, 0, sizeof(*d));
    d->qt = qt;
    d->min = min;
}

static struct nplus1_stream *stream_of(struct nplus1 *d, const struct ws_event *ev)
{
    int created;
    uint64_t *slot = map_put(&d->index, ev->thread, (uint64_t)ev->obj, &created);
    if (created) {
        xgrow(&d->streams, &d->streamcap, d->nstreams + 1, sizeof(*d->streams));
        struct nplus1_stream *s = &d->streams[d->nstreams++];
        s->tid = ev->tid;
        s->conn = (uint64_t)ev->obj;
        s->n = 0;
        *slot = d->nstreams;
    }
    return &d->streams[*slot - 1];
}

/* The parent's loop is over: its children that qualify are N+1 loops. */
static void end_parent(struct nplus1 *d, const struct nplus1_stream *s, const struct parent *p)
{
    for (int k = 0; k < p->nkids; k++) {
        const struct kid *c = &p->kids[k];
        if (c->count < d->min || c->count > p->rows || !c->differs ||
            d->qt->q[c->qid].kind != SQL_SELECT)
            continue;
        /* Loops on one statement from two Python lines are two loops (a
         * native caller is the database module's, the same for all). */
        int created;
        uint64_t *slot = map_put(&d->found, (uint64_t)p->qid << 32 | c->qid,
                                 py_is_site(c->caller) ? c->caller : 0, &created);
        if (created) {
            struct nplus1_loop l = {.parent = p->qid,
                                    .child = c->qid,
                                    .tid = s->tid,
                                    .conn = s->conn,
                                    .caller = c->caller,
                                    .parent_caller = p->caller};
            ARRAY_PUSH(d->loops, d->nloops, d->loopcap) = l;
            *slot = d->nloops;
        }
        struct nplus1_loop *l = &d->loops[*slot - 1];
        l->loops++;
        l->count += c->count;
        l->parent_rows += p->rows;
        l->total_ns += c->total_ns;
    }
}

static void drop_parent(struct nplus1 *d, struct nplus1_stream *s, int i)
{
    end_parent(d, s, &s->parents[i]);
    memmove(&s->parents[i], &s->parents[i + 1], (size_t)(s->n - i - 1) * sizeof(*s->parents));
    s->n--;
}

static struct kid *find_kid(struct parent *p, uint32_t qid)
{
    for (int k = 0; k < p->nkids; k++)
        if (p->kids[k].qid == qid) return &p->kids[k];
    return NULL;
}

static struct kid *new_kid(struct parent *p, const struct stmt *st)
{
    if (p->nkids == KIDS_MAX) return NULL;
    struct kid *c = &p->kids[p->nkids++];
    *c = (struct kid){.qid = st->qid, .first_params = st->params};
    return c;
}

static void count_kid(struct parent *p, struct kid *c, const struct ws_event *ev,
                      const struct stmt *st)
{
    if (c->count == 0) c->caller = ev->caller;
    c->count++;
    c->total_ns += ev->dur;
    if (st->params != c->first_params) c->differs = 1;
    if (c->count >= 2) p->repeating = 1;
}

void nplus1_statement(struct nplus1 *d, const struct ws_event *ev, const struct stmt *st)
{
    struct nplus1_stream *s = stream_of(d, ev);

    for (int i = s->n - 1; i >= 0; i--) {
        struct parent *p = &s->parents[i];
        struct kid *c = p->qid == st->qid ? NULL : find_kid(p, st->qid);
        if (ev->at < p->end) {
            /* It started inside the parent's span: the parent's. */
            if (p->qid != st->qid && (c || (c = new_kid(p, st)))) count_kid(p, c, ev, st);
            break;
        }
        if (c) {
            count_kid(p, c, ev, st); /* a repetition of its loop */
            break;
        }
        if (p->qid == st->qid || p->repeating || p->nkids == KIDS_MAX) {
            drop_parent(d, s, i); /* the parent again, or not its loop: it is over */
            continue;
        }
        count_kid(p, new_kid(p, st), ev, st); /* its loop's first round, perhaps */
    }

    if (ev->call != WS_SQLITE_EXEC && ev->err >= d->min) {
        if (s->n == PARENTS_MAX) drop_parent(d, s, 0);
        struct parent *p = &s->parents[s->n++];
        p->qid = st->qid;
        p->caller = ev->caller;
        p->repeating = 0;
        p->rows = ev->err;
        p->end = event_end(ev);
        p->nkids = 0;
    }
}

static void end_stream(struct nplus1 *d, struct nplus1_stream *s)
{
    while (s->n > 0)
        drop_parent(d, s, s->n - 1);
}

void nplus1_close(struct nplus1 *d, uint64_t conn)
{
    for (size_t i = 0; i < d->nstreams; i++)
        if (d->streams[i].conn == conn) end_stream(d, &d->streams[i]);
}

void nplus1_finish(struct nplus1 *d)
{
    for (size_t i = 0; i < d->nstreams; i++)
        end_stream(d, &d->streams[i]);
    xfree(d->streams);
    d->streams = NULL;
    d->nstreams = d->streamcap = 0;
    map_free(&d->index);
    map_free(&d->found);
}
