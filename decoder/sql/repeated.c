/* SPDX-License-Identifier: MIT */
/*
 * repeated.c - counting identical SELECTs and writes outside transactions
 * per connection (the rules are in repeated.h).
 *
 * A SELECT seen once costs one map entry holding its duration; a group
 * (count, total, example) is made only when it runs a second time, and
 * its text is copied only when it reaches the minimum, so a program that
 * never repeats itself costs little.
 */
#include "sql/repeated.h"

#include "base/util.h"
#include "log/pysites.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_ONCE (1ull << 63) /* a seen entry holding a duration, not a group */

/* The transaction state of a connection: TXN_OPEN, TXN_BY_SAVEPOINT and,
 * above TXN_DEPTH, the savepoints open in a transaction a savepoint began. */
#define TXN_OPEN         1u
#define TXN_BY_SAVEPOINT 2u
#define TXN_DEPTH        8

struct repeat_group {
    uint32_t qid, tid;
    int unbatched;
    uint64_t conn, count, total_ns;
    uint64_t caller; /* of its first execution */
    char *example;   /* identical: copied when count reaches the minimum (they
                        are all the same text); unbatched: the first */
};

void repeated_init(struct repeated *r, const struct query_table *qt, unsigned min)
{
    memset(r, 0, sizeof(*r));
    r->qt = qt;
    r->min = min;
}

static size_t new_group(struct repeated *r, const struct ws_event *ev, const struct stmt *st,
                        int unbatched)
{
    struct repeat_group g = {.qid = st->qid,
                             .tid = ev->tid,
                             .unbatched = unbatched,
                             .conn = (uint64_t)ev->obj,
                             .caller = ev->caller};
    ARRAY_PUSH(r->groups, r->ngroups, r->groupcap) = g;
    return r->ngroups;
}

/* The statement's text, as a copy. */
static char *text_of(const struct ws_event *ev)
{
    return xstrndup(ev->payload ? (const char *)ev->payload : "", ev->payload_len);
}

static void count(struct repeated *r, size_t index, const struct ws_event *ev)
{
    struct repeat_group *g = &r->groups[index - 1];
    g->count++;
    g->total_ns += ev->dur;
    if (g->count == r->min && !g->example) g->example = text_of(ev);
}

/* Repeats from two lines of a Python program are two (a native caller is
 * the database module's, the same for all): their site goes in the key. */
static uint64_t line_of(const struct ws_event *ev)
{
    return py_is_site(ev->caller) ? ev->caller : 0;
}

static void identical(struct repeated *r, const struct ws_event *ev, const struct stmt *st)
{
    int created;
    uint64_t *slot = map_put(&r->seen, st->params ^ line_of(ev) * 0x9e3779b97f4a7c15ull,
                             (uint64_t)ev->obj, &created);
    if (created) {
        *slot = SEEN_ONCE | (ev->dur < SEEN_ONCE ? ev->dur : SEEN_ONCE - 1);
        return;
    }
    if (*slot & SEEN_ONCE) {
        uint64_t first = *slot & ~SEEN_ONCE;
        *slot = new_group(r, ev, st, 0);
        r->groups[*slot - 1].count = 1;
        r->groups[*slot - 1].total_ns = first;
    }
    count(r, *slot, ev);
}

static void unbatched(struct repeated *r, const struct ws_event *ev, const struct stmt *st)
{
    int created;
    uint64_t *slot =
        map_put(&r->writes, (uint64_t)st->qid << 32 ^ line_of(ev), (uint64_t)ev->obj, &created);
    if (created) {
        *slot = new_group(r, ev, st, 1);
        r->groups[*slot - 1].example = text_of(ev);
    }
    count(r, *slot, ev);
}

static void transaction(struct repeated *r, uint64_t conn, enum sql_kind kind)
{
    uint64_t *t = map_put(&r->txn, conn, 0, NULL);
    int by_savepoint = (*t & TXN_BY_SAVEPOINT) != 0;
    switch (kind) {
    case SQL_BEGIN:
        *t = TXN_OPEN;
        break;
    case SQL_COMMIT:
    case SQL_ROLLBACK:
        *t = 0;
        break;
    case SQL_SAVEPOINT:
        if (!(*t & TXN_OPEN))
            *t = TXN_OPEN | TXN_BY_SAVEPOINT | 1ull << TXN_DEPTH;
        else if (by_savepoint)
            *t += 1ull << TXN_DEPTH;
        break;
    case SQL_RELEASE:
        if (by_savepoint) *t = (*t >> TXN_DEPTH) <= 1 ? 0 : *t - (1ull << TXN_DEPTH);
        break;
    default:
        break;
    }
}

void repeated_statement(struct repeated *r, const struct ws_event *ev, const struct stmt *st)
{
    const struct query *q = &r->qt->q[st->qid];
    if (q->kind == SQL_SELECT) {
        identical(r, ev, st);
    } else if (q->kind == SQL_INSERT || q->kind == SQL_UPDATE || q->kind == SQL_DELETE) {
        const uint64_t *t = map_get(&r->txn, (uint64_t)ev->obj, 0);
        if (!t || !(*t & TXN_OPEN)) unbatched(r, ev, st);
    }
    if (q->last_txn != SQL_OTHER) transaction(r, (uint64_t)ev->obj, q->last_txn);
}

void repeated_close(struct repeated *r, uint64_t conn)
{
    map_del(&r->txn, conn, 0);
}

static int cmp_repeat(const void *a, const void *b)
{
    const struct repeat *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    if (x->qid != y->qid) return x->qid < y->qid ? -1 : 1;
    return x->unbatched - y->unbatched;
}

void repeated_finish(struct repeated *r)
{
    struct map index = {0}; /* (query, unbatched, Python site) -> found index + 1 */
    size_t cap = 0;
    for (size_t i = 0; i < r->ngroups; i++) {
        struct repeat_group *g = &r->groups[i];
        if (g->count < r->min) continue;
        int created;
        uint64_t *slot = map_put(&index, (uint64_t)g->qid << 1 | (uint64_t)g->unbatched,
                                 py_is_site(g->caller) ? g->caller : 0, &created);
        if (created) {
            struct repeat f = {.qid = g->qid,
                               .unbatched = g->unbatched,
                               .tid = g->tid,
                               .conn = g->conn,
                               .caller = g->caller,
                               .example = g->example};
            g->example = NULL;
            ARRAY_PUSH(r->found, r->nfound, cap) = f;
            *slot = r->nfound;
        }
        struct repeat *f = &r->found[*slot - 1];
        f->count += g->count;
        f->groups++;
        f->total_ns += g->total_ns;
    }
    for (size_t i = 0; i < r->ngroups; i++)
        xfree(r->groups[i].example);
    xfree(r->groups);
    r->groups = NULL;
    r->ngroups = r->groupcap = 0;
    map_free(&index);
    map_free(&r->seen);
    map_free(&r->writes);
    map_free(&r->txn);
    xsort(r->found, r->nfound, sizeof(*r->found), cmp_repeat);
}
