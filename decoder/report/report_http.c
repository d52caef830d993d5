/* SPDX-License-Identifier: MIT */
/*
 * report_http.c - the report's requests: the endpoints served and called,
 * and the requests themselves (requests.h, endpoints.h), in text and in
 * JSON.
 */
#include "report/report_http.h"

#include "base/text.h"
#include "base/units.h"
#include "base/util.h"
#include "log/calls.h"
#include "report/report_time.h"
#include "report/sites.h"
#include "sql/sql_fingerprint.h"
#include "symbols/symbolize.h"

#include <inttypes.h>
#include <string.h>

static const char *str(const struct proc_report *pr, uint32_t id)
{
    return id ? strpool_get(&pr->p->strings, id) : NULL;
}

size_t http_total(const struct analysis *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nprocs; i++)
        n += a->procs[i].nrequests;
    return n;
}

/* Which requests JSON lists: all of them up to REQUESTS_ALL_MAX, else
 * those with a 5xx status or no complete response and the
 * REQUESTS_PER_ENDPOINT slowest of each endpoint (ties: the earlier).
 * listed[p][i] for request i of process p. */
struct req_key {
    uint64_t lat;
    size_t p, i;
};

static int cmp_req_key(const void *a, const void *b)
{
    const struct req_key *x = a, *y = b;
    if (x->lat != y->lat) return x->lat > y->lat ? -1 : 1;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static char **listed_requests(const struct analysis *a, size_t total)
{
    char **listed = xcalloc(a->nprocs ? a->nprocs : 1, sizeof(*listed));
    struct req_key *keys = xmalloc((total ? total : 1) * sizeof(*keys));
    size_t n = 0;
    for (size_t p = 0; p < a->nprocs; p++) {
        listed[p] = xcalloc(a->procs[p].nrequests ? a->procs[p].nrequests : 1, 1);
        for (size_t i = 0; i < a->procs[p].nrequests; i++) {
            const struct http_request *r = &a->procs[p].requests[i];
            if (total <= REQUESTS_ALL_MAX || r->status >= 500 || !r->complete) listed[p][i] = 1;
            keys[n++] = (struct req_key){(uint64_t)(r->end - r->start), p, i};
        }
    }
    if (total > REQUESTS_ALL_MAX) {
        /* The slowest first: each endpoint's first REQUESTS_PER_ENDPOINT. */
        xsort(keys, n, sizeof(*keys), cmp_req_key);
        size_t ne = a->nendpoints + a->ncalled;
        uint32_t *seen = xcalloc(ne ? ne : 1, sizeof(*seen));
        for (size_t k = 0; k < n; k++) {
            const struct http_request *r = &a->procs[keys[k].p].requests[keys[k].i];
            size_t e = r->outgoing ? a->nendpoints + r->endpoint : r->endpoint;
            if (e < ne && seen[e]++ < REQUESTS_PER_ENDPOINT) listed[keys[k].p][keys[k].i] = 1;
        }
        xfree(seen);
    }
    xfree(keys);
    return listed;
}

void report_json_nplus1_counts(struct json *j, const struct endpoint_nplus1 *n)
{
    json_kv_uint(j, "requests", n->requests);
    json_kv_uint(j, "executions", n->executions);
    json_key(j, "per_request");
    json_ratio(j, n->executions, n->requests);
}

static void endpoint_json(struct json *j, const struct endpoint *e)
{
    json_begin_object(j);
    json_kv_str(j, "method", e->method);
    json_kv_str(j, "path", e->path);
    if (e->outgoing) json_kv_str(j, "host", e->host);
    json_kv_uint(j, "count", e->count);
    json_kv_uint(j, "errors_5xx", e->errors_5xx);
    json_kv_uint(j, "errors_4xx", e->errors_4xx);
    json_kv_uint(j, "incomplete", e->incomplete);
    json_kv_uint(j, "p50_ns", e->p50_ns);
    json_kv_uint(j, "p99_ns", e->p99_ns);
    json_kv_uint(j, "max_ns", e->max_ns);
    json_kv_uint(j, "total_ns", e->total_ns);
    if (!e->outgoing) {
        json_key(j, "queries_mean");
        json_ratio(j, e->queries, e->count);
        json_kv_uint(j, "queries_max", e->queries_max);
        json_key(j, "findings");
        json_begin_array(j);
        for (size_t k = 0; k < e->nnplus1; k++) {
            const struct endpoint_nplus1 *n = &e->nplus1[k];
            json_begin_object(j);
            json_kv_str(j, "kind", "n_plus_one");
            json_kv_uint(j, "pid", n->pr->p->pid);
            json_key(j, "fingerprint");
            char fp[17];
            json_str(j, sql_fingerprint_hex(n->pr->queries[n->loop->child].fp, fp));
            json_kv_str(j, "normalized", n->pr->queries[n->loop->child].normalized);
            report_json_nplus1_counts(j, n);
            json_end_object(j);
        }
        json_end_array(j);
    }
    json_end_object(j);
}

static void request_json(struct json *j, const struct analysis *a, const struct proc_report *pr,
                         size_t i)
{
    const struct http_request *r = &pr->requests[i];
    const struct endpoint *e = r->outgoing ? &a->called[r->endpoint] : &a->endpoints[r->endpoint];
    char name[1200];
    json_begin_object(j);
    json_kv_uint(j, "id", pr->requests[i].id);
    json_kv_str(j, "direction", r->outgoing ? "out" : "in");
    json_kv_uint(j, "pid", pr->p->pid);
    json_kv_uint(j, "tid", r->tid);
    json_kv_str(j, "peer", str(pr, r->peer));
    json_kv_str(j, "method", str(pr, r->method));
    json_kv_str(j, "target", str(pr, r->target));
    json_kv_str(j, "endpoint", endpoint_name(e, name, sizeof(name)));
    json_kv_str(j, "host", str(pr, r->host));
    json_kv_str(j, "traceparent", str(pr, r->traceparent));
    json_key(j, "status");
    if (r->status)
        json_uint(j, r->status);
    else
        json_null(j);
    json_key(j, "complete");
    json_bool(j, r->complete);
    json_kv_uint(j, "start_unix_ns", pr->p->start_unix_ns + (uint64_t)r->start);
    json_kv_uint(j, "latency_ns", (uint64_t)(r->end - r->start));
    json_kv_uint(j, "bytes_in", r->bytes_in);
    json_kv_uint(j, "bytes_out", r->bytes_out);
    if (!r->outgoing) {
        json_kv_uint(j, "queries", r->queries);
        json_kv_uint(j, "calls", r->calls);
        json_kv_uint(j, "calls_ns", r->calls_ns);
        json_key(j, "longest_call");
        if (r->longest_call) {
            json_begin_object(j);
            json_kv_str(j, "call", call_name(r->longest_call));
            json_kv_str(j, "target", str(pr, r->longest_target));
            json_kv_uint(j, "ns", r->longest_ns);
            json_key(j, "site");
            site_json(j, sym_code(pr->p, r->longest_caller));
            json_end_object(j);
        } else {
            json_null(j);
        }
        report_json_breakdown(j, r->part_ns);
        /* What other threads did for it (helpers.h). */
        json_key(j, "other_threads");
        json_begin_object(j);
        json_kv_uint(j, "threads", r->helpers);
        json_kv_uint(j, "queries", r->helper_queries);
        report_json_breakdown(j, r->helper_ns);
        json_end_object(j);
    } else {
        json_key(j, "made_for");
        if (r->parent >= 0)
            json_uint(j, pr->requests[r->parent].id);
        else
            json_null(j);
    }
    json_end_object(j);
}

void report_json_http(struct json *j, const struct analysis *a)
{
    json_key(j, "endpoints");
    json_begin_array(j);
    for (size_t i = 0; i < a->nendpoints; i++)
        endpoint_json(j, &a->endpoints[i]);
    json_end_array(j);
    json_key(j, "called_endpoints");
    json_begin_array(j);
    for (size_t i = 0; i < a->ncalled; i++)
        endpoint_json(j, &a->called[i]);
    json_end_array(j);
    size_t total = http_total(a), shown = 0;
    char **listed = listed_requests(a, total);
    json_key(j, "requests");
    json_begin_array(j);
    for (size_t p = 0; p < a->nprocs; p++) {
        for (size_t i = 0; i < a->procs[p].nrequests; i++)
            if (listed[p][i]) {
                request_json(j, a, &a->procs[p], i);
                shown++;
            }
        xfree(listed[p]);
    }
    xfree(listed);
    json_end_array(j);
    json_kv_uint(j, "requests_total", total);
    json_kv_uint(j, "requests_listed", shown);
}

/* ---- text ---- */

static void endpoint_table(FILE *f, const struct endpoint *v, size_t n, const char *title)
{
    if (!n) return;
    char b[3][UNITS_BUF], name[1200], shown[48];
    fprintf(f, "%s (%zu, most total time first)\n", title, n);
    fprintf(f, "  %-44s %8s %5s %5s %10s %10s %10s %12s\n", "endpoint", "requests", "5xx", "4xx",
            "p50", "p99", "max", "queries/req");
    for (size_t i = 0; i < n && i < ENDPOINTS_SHOWN; i++) {
        const struct endpoint *e = &v[i];
        endpoint_name(e, name, sizeof(name));
        text_clean((const uint8_t *)name, strlen(name), shown, sizeof(shown));
        char q[32] = "-";
        if (!e->outgoing && e->count)
            snprintf(q, sizeof(q), "%.1f (%" PRIu64 ")", (double)e->queries / (double)e->count,
                     e->queries_max);
        fprintf(f, "  %-44s %8" PRIu64 " %5" PRIu64 " %5" PRIu64 " %10s %10s %10s %12s\n", shown,
                e->count, e->errors_5xx, e->errors_4xx, fmt_dur(e->p50_ns, b[0]),
                fmt_dur(e->p99_ns, b[1]), fmt_dur(e->max_ns, b[2]), q);
        for (size_t k = 0; k < e->nnplus1; k++)
            fprintf(
                f, "    N+1 in it: %.1f executions per request of `%.60s` (%" PRIu64 " requests)\n",
                (double)e->nplus1[k].executions / (double)e->nplus1[k].requests,
                e->nplus1[k].pr->queries[e->nplus1[k].loop->child].normalized,
                e->nplus1[k].requests);
        if (e->incomplete)
            fprintf(f, "    %" PRIu64 " without a complete response\n", e->incomplete);
    }
    if (n > ENDPOINTS_SHOWN) fprintf(f, "  ... and %zu more (see --json)\n", n - ENDPOINTS_SHOWN);
    fputc('\n', f);
}

struct req_ref {
    const struct proc_report *pr;
    size_t i;
    uint64_t lat;
};

static int cmp_req(const void *a, const void *b)
{
    const struct req_ref *x = a, *y = b;
    if (x->lat != y->lat) return x->lat > y->lat ? -1 : 1;
    if (x->pr != y->pr) return x->pr < y->pr ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void slowest_requests(FILE *f, const struct analysis *a)
{
    struct req_ref *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t p = 0; p < a->nprocs; p++)
        for (size_t i = 0; i < a->procs[p].nrequests; i++) {
            const struct http_request *r = &a->procs[p].requests[i];
            if (r->outgoing) continue;
            ARRAY_PUSH(v, n, cap) =
                (struct req_ref){&a->procs[p], i, (uint64_t)(r->end - r->start)};
        }
    if (!n) return;
    xsort(v, n, sizeof(*v), cmp_req);
    char b[UNITS_BUF], name[1200], shown[64], peer[64];
    fprintf(f, "SLOWEST REQUESTS (of %zu served)\n", n);
    for (size_t k = 0; k < n && k < REQUESTS_SHOWN; k++) {
        const struct proc_report *pr = v[k].pr;
        const struct http_request *r = &pr->requests[v[k].i];
        const char *target = str(pr, r->target);
        snprintf(name, sizeof(name), "%s %s", str(pr, r->method) ? str(pr, r->method) : "?",
                 target ? target : "?");
        text_clean((const uint8_t *)name, strlen(name), shown, sizeof(shown));
        const char *p = str(pr, r->peer);
        text_clean((const uint8_t *)(p ? p : "?"), strlen(p ? p : "?"), peer, sizeof(peer));
        char status[16];
        snprintf(status, sizeof(status), r->status ? "%u" : "-", r->status);
        fprintf(f, "  #%-5" PRIu64 " %-40s %4s %10s  from %s (pid %" PRIu64 " tid %u)\n", r->id,
                shown, status, fmt_dur(v[k].lat, b), peer, pr->p->pid, r->tid);
        fprintf(f, "         ");
        int first = 1;
        for (int t = 0; t < TIME_PARTS; t++) {
            if (!r->part_ns[t]) continue;
            fprintf(f, "%s%s %s", first ? "" : ", ", time_part_name((enum time_part)t),
                    fmt_dur(r->part_ns[t], b));
            first = 0;
        }
        fprintf(f, "; %" PRIu64 " quer%s", r->queries, r->queries == 1 ? "y" : "ies");
        if (r->calls)
            fprintf(f, ", %" PRIu64 " call%s out (%s)", r->calls, r->calls == 1 ? "" : "s",
                    fmt_dur(r->calls_ns, b));
        if (!r->complete) fprintf(f, "; no complete response");
        fputc('\n', f);
        if (r->helpers) {
            fprintf(f, "         for it on %u other thread%s:", r->helpers,
                    r->helpers == 1 ? "" : "s");
            const char *sep = " ";
            for (int t = 0; t < TIME_PARTS; t++) {
                if (!r->helper_ns[t]) continue;
                fprintf(f, "%s%s %s", sep, time_part_name((enum time_part)t),
                        fmt_dur(r->helper_ns[t], b));
                sep = ", ";
            }
            if (r->helper_queries) fprintf(f, "; %" PRIu64 " of its queries", r->helper_queries);
            fputc('\n', f);
        }
        if (r->longest_call) {
            char site[512], what[160];
            const char *t = str(pr, r->longest_target);
            snprintf(what, sizeof(what), "%s%s%s", call_name(r->longest_call), t ? " " : "",
                     t ? t : "");
            text_clean((const uint8_t *)what, strlen(what), shown, sizeof(shown));
            fprintf(f, "         longest in %s (%s) from %s\n", shown, fmt_dur(r->longest_ns, b),
                    site_text(sym_code(pr->p, r->longest_caller), site, sizeof(site)));
        }
    }
    fputc('\n', f);
    xfree(v);
}

void report_text_http(FILE *f, const struct analysis *a)
{
    endpoint_table(f, a->endpoints, a->nendpoints, "ENDPOINTS SERVED");
    endpoint_table(f, a->called, a->ncalled, "CALLS TO OTHER SERVICES");
    slowest_requests(f, a);
}
