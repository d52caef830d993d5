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

static void count(struct in_endpoints *out, uint32_t endpoint, uint64_t n)
{
    size_t k;
    for (k = 0; k < out->n && out->v[k].endpoint != endpoint; k++)
        ;
    if (k == out->n) {
        out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = (struct endpoint_count){endpoint, 0};
    }
    out->v[k].count += n;
    out->total += n;
}

static int cmp_count(const void *a, const void *b)
{
    const struct endpoint_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->endpoint < y->endpoint ? -1 : x->endpoint > y->endpoint;
}

void in_endpoints_of_key(const struct proc_report *pr, uint64_t key, struct in_endpoints *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t k = 0; k < pr->tallies.cap; k++) {
        const struct map_slot *s = &pr->tallies.slots[k];
        if (!s->used || s->a != key) continue;
        const struct http_request *r = request_by_id(pr, s->b);
        if (r) count(out, r->endpoint, s->value);
    }
    xsort(out->v, out->n, sizeof(*out->v), cmp_count);
}

void in_endpoints_of_query(const struct proc_report *pr, uint32_t qid, struct in_endpoints *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        const uint64_t *c = r->outgoing ? NULL : map_get(&pr->request_counts, i, qid);
        if (c && *c) count(out, r->endpoint, *c);
    }
    xsort(out->v, out->n, sizeof(*out->v), cmp_count);
}

void in_endpoints_at(const struct proc_report *pr, uint32_t thread, int64_t at,
                     struct in_endpoints *out)
{
    memset(out, 0, sizeof(*out));
    /* On an event loop several may be open: the latest begun is the one
     * whose bytes the loop was handling last. */
    const struct http_request *best = NULL;
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        if (!r->outgoing && r->thread == thread && r->start <= at && at < r->end) best = r;
    }
    if (best) count(out, best->endpoint, 1);
}

void in_endpoints_free(struct in_endpoints *e)
{
    xfree(e->v);
    memset(e, 0, sizeof(*e));
}
