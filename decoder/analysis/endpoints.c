/* SPDX-License-Identifier: MIT */
/*
 * endpoints.c - requests by endpoint (endpoints.h).
 */
#include "analysis/endpoints.h"

#include "analysis/analyze.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Whether a path segment of n bytes names one thing among many: a number,
 * a UUID, 16 hex digits or more, or a token of 24 characters or more
 * (letters, digits, - and _) holding a digit. */
static int is_identifier(const char *s, size_t n)
{
    if (n == 0) return 0;
    size_t digits = 0, hex = 0, token = 0, dashes = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        digits += isdigit(c) != 0;
        hex += isxdigit(c) != 0;
        token += isalnum(c) || c == '-' || c == '_';
        dashes += c == '-';
    }
    if (digits == n) return 1;
    if (n == 36 && dashes == 4 && hex == 32 && s[8] == '-' && s[13] == '-' && s[18] == '-' &&
        s[23] == '-')
        return 1;
    if (n >= 16 && hex == n) return 1;
    return n >= 24 && token == n && digits > 0;
}

uint32_t http_template(struct strpool *sp, const char *path)
{
    char out[1024];
    size_t o = 0;
    const char *p = path;
    while (*p && o + 8 < sizeof(out)) {
        if (*p == '/') {
            out[o++] = *p++;
            continue;
        }
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (is_identifier(p, n)) {
            memcpy(out + o, "{id}", 4);
            o += 4;
        } else {
            size_t k = n < sizeof(out) - 8 - o ? n : sizeof(out) - 8 - o;
            memcpy(out + o, p, k);
            o += k;
        }
        p += n;
    }
    return strpool_intern(sp, out, o);
}

const struct endpoint_nplus1 *
endpoint_nplus1_next(const struct analysis *a, const struct nplus1_loop *l, size_t *e, size_t *k)
{
    for (; *e < a->nendpoints; (*e)++, *k = 0)
        while (*k < a->endpoints[*e].nnplus1) {
            const struct endpoint_nplus1 *n = &a->endpoints[*e].nplus1[(*k)++];
            if (n->loop == l) return n;
        }
    return NULL;
}

const char *endpoint_name(const struct endpoint *e, char *buf, size_t len)
{
    if (e->outgoing && e->host)
        snprintf(buf, len, "%s %s%s", e->method, e->host, e->path);
    else
        snprintf(buf, len, "%s %s", e->method, e->path);
    return buf;
}

static int cmp_endpoint(const void *a, const void *b)
{
    const struct endpoint *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    int c = strcmp(x->method, y->method);
    if (c) return c;
    c = strcmp(x->path, y->path);
    if (c) return c;
    return strcmp(x->host ? x->host : "", y->host ? y->host : "");
}

struct sort_ref {
    const struct endpoint *e;
    size_t old;
};

static int cmp_ref(const void *a, const void *b)
{
    return cmp_endpoint(((const struct sort_ref *)a)->e, ((const struct sort_ref *)b)->e);
}

struct grouping {
    struct strpool names; /* the endpoints' strings, across processes */
    struct map index[2];  /* (method, path << 32 | host) -> endpoint index + 1 */
    struct endpoint *v[2];
    size_t n[2], cap[2];
};

static size_t endpoint_of(struct grouping *g, const struct proc_report *pr,
                          const struct http_request *r)
{
    const struct strpool *ps = &pr->p->strings;
    const char *method = r->method ? strpool_get(ps, r->method) : "?";
    const char *path = r->template ? strpool_get(ps, r->template) : "?";
    const char *host = NULL;
    if (r->outgoing) host = strpool_get(ps, r->host ? r->host : r->peer);
    uint32_t m = strpool_intern(&g->names, method, strlen(method));
    uint32_t t = strpool_intern(&g->names, path, strlen(path));
    uint32_t h = host ? strpool_intern(&g->names, host, strlen(host)) : 0;
    int k = r->outgoing != 0, created;
    uint64_t *slot = map_put(&g->index[k], m, (uint64_t)t << 32 | h, &created);
    if (created) {
        struct endpoint e = {.outgoing = k,
                             .method = xstrdup(method),
                             .path = xstrdup(path),
                             .host = host ? xstrdup(host) : NULL};
        ARRAY_PUSH(g->v[k], g->n[k], g->cap[k]) = e;
        *slot = g->n[k];
    }
    return *slot - 1;
}

/* The N+1 loops of pr in its endpoints: the executions of each loop's
 * child query in each served request, summed by endpoint; an endpoint has
 * the loop when its requests that ran the child ran it nplus1_min times
 * each on average. */
static void nplus1_in(struct endpoint *served, size_t nserved, const struct proc_report *pr,
                      unsigned min)
{
    if (!nserved) return;
    uint64_t *reqs = xcalloc(nserved, sizeof(*reqs)), *execs = xcalloc(nserved, sizeof(*execs));
    for (size_t l = 0; l < pr->nnplus1; l++) {
        const struct nplus1_loop *loop = &pr->nplus1[l];
        memset(reqs, 0, nserved * sizeof(*reqs));
        memset(execs, 0, nserved * sizeof(*execs));
        for (size_t i = 0; i < pr->nrequests; i++) {
            const struct http_request *r = &pr->requests[i];
            const uint64_t *c = r->outgoing ? NULL : map_get(&pr->request_counts, i, loop->child);
            if (!c || !*c) continue;
            reqs[r->endpoint]++;
            execs[r->endpoint] += *c;
        }
        for (size_t e = 0; e < nserved; e++) {
            if (reqs[e] == 0 || execs[e] < (uint64_t)min * reqs[e]) continue;
            struct endpoint *ep = &served[e];
            ARRAY_PUSH(ep->nplus1, ep->nnplus1, ep->nplus1cap) =
                (struct endpoint_nplus1){pr, loop, reqs[e], execs[e]};
        }
    }
    xfree(reqs);
    xfree(execs);
}

void endpoints_build(struct analysis *a)
{
    struct grouping g = {0};
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nrequests; k++) {
            struct http_request *r = &pr->requests[k];
            size_t ix = endpoint_of(&g, pr, r);
            r->endpoint = (uint32_t)ix;
            struct endpoint *e = &g.v[r->outgoing != 0][ix];
            uint64_t lat = (uint64_t)(r->end - r->start);
            e->count++;
            e->errors_5xx += r->status >= 500;
            e->errors_4xx += r->status >= 400 && r->status < 500;
            e->incomplete += !r->complete;
            e->total_ns += lat;
            hist_add(&e->latency, lat);
            e->queries += r->queries;
            if (r->queries > e->queries_max) e->queries_max = r->queries;
        }
    }
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < g.n[k]; i++) {
            struct endpoint *e = &g.v[k][i];
            e->p50_ns = hist_percentile(&e->latency, 50);
            e->p99_ns = hist_percentile(&e->latency, 99);
            e->max_ns = hist_max(&e->latency);
        }
    /* Before sorting: the requests name their endpoint by its index. */
    for (size_t i = 0; i < a->nprocs; i++)
        nplus1_in(g.v[0], g.n[0], &a->procs[i], a->nplus1_min);
    /* Sorted, with each request's index following its endpoint. */
    for (int k = 0; k < 2; k++) {
        size_t n = g.n[k];
        struct sort_ref *refs = xmalloc((n ? n : 1) * sizeof(*refs));
        for (size_t i = 0; i < n; i++)
            refs[i] = (struct sort_ref){&g.v[k][i], i};
        xsort(refs, n, sizeof(*refs), cmp_ref);
        size_t *order = xmalloc((n ? n : 1) * sizeof(*order)); /* old index -> new */
        struct endpoint *sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
        for (size_t j = 0; j < n; j++) {
            sorted[j] = *refs[j].e;
            order[refs[j].old] = j;
        }
        for (size_t p = 0; p < a->nprocs; p++)
            for (size_t r = 0; r < a->procs[p].nrequests; r++)
                if ((a->procs[p].requests[r].outgoing != 0) == k)
                    a->procs[p].requests[r].endpoint =
                        (uint32_t)order[a->procs[p].requests[r].endpoint];
        xfree(refs);
        xfree(order);
        xfree(g.v[k]);
        g.v[k] = sorted;
        map_free(&g.index[k]);
    }
    strpool_free(&g.names);
    a->endpoints = g.v[0];
    a->nendpoints = g.n[0];
    a->called = g.v[1];
    a->ncalled = g.n[1];
}

void endpoints_free(struct endpoint *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xfree(v[i].method);
        xfree(v[i].path);
        xfree(v[i].host);
        hist_free(&v[i].latency);
        xfree(v[i].nplus1);
    }
    xfree(v);
}

/* ---- N+1s of HTTP calls ---- */

struct nplus1_acc {
    struct map index; /* (process, called << 32 | served + 1) -> entry index + 1 */
    struct http_nplus1 *v;
    size_t n, cap;
};

/* A group of `calls` calls to one endpoint (first: the first of them). */
static void group_found(struct nplus1_acc *acc, const struct proc_report *pr, size_t called,
                        long served, uint64_t calls, uint64_t total_ns,
                        const struct http_request *first)
{
    int created; /* (one finding per process: its pid, thread, site) */
    uint64_t *slot = map_put(&acc->index, (uint64_t)(uintptr_t)pr,
                             (uint64_t)called << 32 | (uint64_t)(served + 1), &created);
    if (created) {
        ARRAY_PUSH(acc->v, acc->n, acc->cap) = (struct http_nplus1){.pr = pr,
                                                                    .called = called,
                                                                    .served = served,
                                                                    .tid = first->tid,
                                                                    .caller = first->caller};
        *slot = acc->n;
    }
    struct http_nplus1 *e = &acc->v[*slot - 1];
    e->groups++;
    e->calls += calls;
    e->total_ns += total_ns;
}

static int cmp_http_nplus1(const void *a, const void *b)
{
    const struct http_nplus1 *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    if (x->pr != y->pr) return x->pr < y->pr ? -1 : 1;
    if (x->called != y->called) return x->called < y->called ? -1 : 1;
    return x->served < y->served ? -1 : x->served > y->served;
}

/* Calls to one endpoint: inside one served request, or in one run of a
 * thread's calls outside requests. */
struct call_group {
    uint64_t key_a, key_b; /* (request index, endpoint) or (thread, run) */
    size_t called, first;
    long served;
    uint64_t calls, total_ns;
};

/* The calls of one process, grouped (nplus1_calls()). */
struct call_groups {
    struct map index; /* (key_a, key_b) -> group index + 1 */
    struct call_group *v;
    size_t n, cap;
};

static void group_add(struct call_groups *g, uint64_t a, uint64_t b, const struct proc_report *pr,
                      size_t i, long served)
{
    const struct http_request *r = &pr->requests[i];
    int created;
    uint64_t *slot = map_put(&g->index, a, b, &created);
    if (created) {
        ARRAY_PUSH(g->v, g->n, g->cap) = (struct call_group){
            .key_a = a, .key_b = b, .called = r->endpoint, .first = i, .served = served};
        *slot = g->n;
    }
    struct call_group *c = &g->v[*slot - 1];
    c->calls++;
    c->total_ns += (uint64_t)(r->end - r->start);
}

/* Calls of one process: inside a served request, those to one endpoint;
 * outside requests, a thread's consecutive calls to one endpoint (a run
 * ends at its call to another one). */
static void nplus1_calls(struct nplus1_acc *acc, const struct proc_report *pr, unsigned min)
{
    struct call_groups g = {0};
    struct map runs = {0}; /* thread -> (run number << 32 | endpoint + 1) of its current run */
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        if (!r->outgoing) continue;
        if (r->parent >= 0) {
            group_add(&g, (uint64_t)r->parent, r->endpoint, pr, i,
                      (long)pr->requests[r->parent].endpoint);
            continue;
        }
        uint64_t *cur = map_put(&runs, r->thread, 0, NULL);
        if ((*cur & 0xffffffffu) != r->endpoint + 1u) /* a new run */
            *cur = ((*cur >> 32) + 1) << 32 | (r->endpoint + 1u);
        group_add(&g, (uint64_t)1 << 63 | r->thread, *cur, pr, i, -1);
    }
    for (size_t k = 0; k < g.n; k++)
        if (g.v[k].calls >= min)
            group_found(acc, pr, g.v[k].called, g.v[k].served, g.v[k].calls, g.v[k].total_ns,
                        &pr->requests[g.v[k].first]);
    map_free(&g.index);
    xfree(g.v);
    map_free(&runs);
}

void http_nplus1_find(struct analysis *a)
{
    struct nplus1_acc acc = {0};
    for (size_t i = 0; i < a->nprocs; i++)
        nplus1_calls(&acc, &a->procs[i], a->nplus1_min);
    map_free(&acc.index);
    xsort(acc.v, acc.n, sizeof(*acc.v), cmp_http_nplus1);
    a->http_nplus1 = acc.v;
    a->nhttp_nplus1 = acc.n;
}
