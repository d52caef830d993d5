/* SPDX-License-Identifier: MIT */
/*
 * endpoints.h - requests grouped by endpoint: their method and path
 * template (docs/rules.md, requests: the template rule), over all the
 * processes of an analysis (a server's workers serve one endpoint).
 * Endpoints a program served and those it called are kept apart; a
 * called one is also named by its host.
 */
#ifndef WHYSLOW_ENDPOINTS_H
#define WHYSLOW_ENDPOINTS_H

#include "base/histogram.h"
#include "base/strpool.h"
#include "sql/nplusone.h"

#include <stddef.h>
#include <stdint.h>

struct proc_report;
struct analysis;

/* An N+1 loop (nplusone.h) inside an endpoint's requests. */
struct endpoint_nplus1 {
    const struct proc_report *pr;
    const struct nplus1_loop *loop;
    uint64_t requests;   /* requests that ran its child query */
    uint64_t executions; /* of the child query in them */
};

struct endpoint {
    int outgoing;        /* called by the program (else served) */
    char *method, *path; /* path: the template */
    char *host;          /* called: the Host header, or the peer; NULL for served */
    uint64_t count;      /* requests */
    uint64_t errors_5xx, errors_4xx;
    uint64_t incomplete; /* without a complete response */
    struct histogram latency;
    uint64_t p50_ns, p99_ns, max_ns, total_ns;
    uint64_t queries, queries_max; /* database executions in its requests */
    struct endpoint_nplus1 *nplus1;
    size_t nnplus1, nplus1cap;
};

/* An N+1 of HTTP calls (docs/rules.md, n_plus_one_http): one called
 * endpoint called nplus1_min times or more inside one served request, or
 * in a run of calls of one thread outside requests. */
struct http_nplus1 {
    const struct proc_report *pr;
    size_t called;     /* the endpoint called (analysis.called) */
    long served;       /* the served endpoint whose requests made them, -1: none */
    uint64_t groups;   /* requests (or runs, outside requests) with such calls */
    uint64_t calls;    /* calls in them */
    uint64_t total_ns; /* their latencies */
    uint32_t tid;      /* of the first group's */
    uint64_t caller;   /* where its first call was made */
};

/* The template of a path, interned in sp: segments that are identifiers
 * (numbers, UUIDs, long hex, long tokens with digits) become {id}. */
uint32_t http_template(struct strpool *sp, const char *path);

/* Groups every process's requests into a->endpoints (served, most total
 * time first) and a->called (likewise), and finds in which endpoints the
 * N+1 loops ran. */
void endpoints_build(struct analysis *a);

void endpoints_free(struct endpoint *v, size_t n);

/* The N+1s of HTTP calls of an analysis whose endpoints are built, into
 * a->http_nplus1 (most total time first). */
void http_nplus1_find(struct analysis *a);

/* The served endpoints in which N+1 loop l ran, one by one: returns the
 * next one's entry (its endpoint a->endpoints[*e]), or NULL; *e and *k
 * start at 0. */
const struct endpoint_nplus1 *
endpoint_nplus1_next(const struct analysis *a, const struct nplus1_loop *l, size_t *e, size_t *k);

/* "GET /albums/{id}" of endpoint e, in buf. */
const char *endpoint_name(const struct endpoint *e, char *buf, size_t len);

#endif
