/* SPDX-License-Identifier: MIT */
/*
 * attribute.c - a finding's events by served endpoint (attribute.h).
 */
#include "analysis/attribute.h"

#include "analysis/analyze.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#define TALLY_CALL 1ull
#define TALLY_LOCK 2ull

uint64_t tally_call_key(unsigned call, uint32_t target)
{
    return TALLY_CALL << 60 | (uint64_t)(call & 0xffffu) << 32 | target;
}

/* (user-space addresses fit in 48 bits) */
uint64_t tally_lock_key(int kind, uint64_t addr)
{
    return TALLY_LOCK << 60 | (uint64_t)(kind & 0xff) << 52 | (addr & 0xffffffffffffull);
}

int tally_call_of(uint64_t key, unsigned *call, uint32_t *target)
{
    *call = (unsigned)(key >> 32 & 0xffffu);
    *target = (uint32_t)key;
    return key >> 60 == TALLY_CALL;
}

void tally_add(struct map *tallies, uint64_t key, uint64_t request_id)
{
    (*map_put(tallies, key, request_id, NULL))++;
}

/* The served request numbered id (requests are kept in id order). */
static const struct http_request *request_by_id(const struct proc_report *pr, uint64_t id)
{
    size_t lo = 0, hi = pr->nrequests;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pr->requests[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == pr->nrequests || pr->requests[lo].id != id || pr->requests[lo].outgoing) return NULL;
    return &pr->requests[lo];
}

static void count(struct in_groups *out, uint32_t group, uint32_t phase, uint64_t n)
{
    size_t k;
    for (k = 0; k < out->n && (out->v[k].group != group || out->v[k].phase != phase); k++)
        ;
    if (k == out->n) {
        out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = (struct group_count){group, phase, 0};
    }
    out->v[k].count += n;
    out->total += n;
}

static int cmp_count(const void *a, const void *b)
{
    const struct group_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return x->phase < y->phase ? -1 : x->phase > y->phase;
}

/* The group and phase of the request or mark numbered id: 0, or 1. */
static int group_of(const struct proc_report *pr, int marks, uint64_t id, uint32_t *group,
                    uint32_t *phase)
{
    if (marks) { /* (marks are numbered in order from the process's first) */
        if (!pr->nmarks || id < pr->marks[0].id || id - pr->marks[0].id >= pr->nmarks) return 0;
        const struct mark *k = &pr->marks[id - pr->marks[0].id];
        *group = k->group;
        *phase = k->phase;
        return 1;
    }
    const struct http_request *r = request_by_id(pr, id);
    if (!r) return 0;
    *group = r->endpoint;
    *phase = 0;
    return 1;
}

void in_groups_of_key(const struct proc_report *pr, int marks, uint64_t key, struct in_groups *out)
{
    memset(out, 0, sizeof(*out));
    const struct map *t = marks ? &pr->mark_tallies : &pr->tallies;
    for (size_t k = 0; k < t->cap; k++) {
        const struct map_slot *s = &t->slots[k];
        uint32_t group, phase;
        if (s->used && s->a == key && group_of(pr, marks, s->b, &group, &phase))
            count(out, group, phase, s->value);
    }
    xsort(out->v, out->n, sizeof(*out->v), cmp_count);
}

void in_groups_of_query(const struct proc_report *pr, int marks, uint32_t qid,
                        struct in_groups *out)
{
    memset(out, 0, sizeof(*out));
    if (marks) {
        for (size_t i = 0; i < pr->nmarks; i++) {
            const uint64_t *c = map_get(&pr->mark_counts, i, qid);
            if (c && *c) count(out, pr->marks[i].group, pr->marks[i].phase, *c);
        }
    } else {
        for (size_t i = 0; i < pr->nrequests; i++) {
            const struct http_request *r = &pr->requests[i];
            const uint64_t *c = r->outgoing ? NULL : map_get(&pr->request_counts, i, qid);
            if (c && *c) count(out, r->endpoint, 0, *c);
        }
    }
    xsort(out->v, out->n, sizeof(*out->v), cmp_count);
}

void in_groups_at(const struct proc_report *pr, int marks, uint32_t thread, int64_t at,
                  struct in_groups *out)
{
    memset(out, 0, sizeof(*out));
    if (marks) {
        /* The innermost: the latest begun of those open then. */
        const struct mark *best = NULL;
        for (size_t i = 0; i < pr->nmarks; i++) {
            const struct mark *k = &pr->marks[i];
            if (k->thread == thread && k->start <= at && at < k->end) best = k;
        }
        if (best) count(out, best->group, best->phase, 1);
        return;
    }
    /* On an event loop several may be open: the latest begun is the one
     * whose bytes the loop was handling last. */
    const struct http_request *best = NULL;
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        if (!r->outgoing && r->thread == thread && r->start <= at && at < r->end) best = r;
    }
    if (best) count(out, best->endpoint, 0, 1);
}

void in_groups_free(struct in_groups *g)
{
    xfree(g->v);
    memset(g, 0, sizeof(*g));
}
