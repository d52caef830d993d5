/* SPDX-License-Identifier: MIT */
/*
 * findings_db.c - the database findings of a process: n_plus_one from
 * the loops nplusone.c found, repeated_query from what repeated.c found,
 * slow_query from the executions over the threshold (analyze.c), each
 * with a summary that says what to do about it.  Statements in
 * summaries are their normalized text, with a long SELECT list shown as
 * "..." and the whole cut to a line.
 */
#include "base/text.h"
#include "base/units.h"
#include "findings/findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SQL_SHOWN 80 /* characters of a statement in a summary */

/* "select a, b, c from t where ..." as "select ... from t where ...",
 * cut to SQL_SHOWN characters; buf has SQL_SHOWN + 1 bytes. */
static const char *short_sql(const char *sql, char *buf)
{
    char tmp[SQL_SHOWN + 16];
    const char *from = NULL;
    if (strncmp(sql, "select ", 7) == 0) {
        int depth = 0, quoted = 0;
        for (const char *p = sql + 7; *p && !from; p++) {
            if (*p == '"') quoted = !quoted;
            if (quoted) continue;
            if (*p == '(') depth++;
            if (*p == ')') depth--;
            if (depth == 0 && strncmp(p, " from ", 6) == 0) from = p;
        }
    }
    if (from && from - (sql + 7) > 20) {
        snprintf(tmp, sizeof(tmp), "select ...%s", from);
        sql = tmp;
    }
    text_clean((const uint8_t *)sql, strlen(sql), buf, SQL_SHOWN + 1);
    return buf;
}

/* Severity by time share, and at least medium from 100 executions. */
static const char *severity(uint64_t cost_ns, int64_t duration_ns, uint64_t count)
{
    const char *s = finding_severity(cost_ns, duration_ns);
    if (count >= DB_FINDING_MEDIUM_COUNT && strcmp(s, "low") == 0) return "medium";
    return s;
}

static void nplus1(struct findings *fs, const struct proc_report *pr, const struct nplus1_loop *l)
{
    char child[SQL_SHOWN + 1], parent[SQL_SHOWN + 1], loops[48] = "";
    struct finding *f = finding_add(fs, FINDING_N_PLUS_ONE, pr);
    f->loop = l;
    f->query = &pr->queries[l->child];
    f->parent = &pr->queries[l->parent];
    f->tid = l->tid;
    f->caller = l->caller;
    f->count = l->count;
    f->total_ns = l->total_ns;
    f->cost_ns = l->total_ns;
    f->severity = severity(f->cost_ns, pr->p->duration_ns, f->count);
    if (l->loops > 1) snprintf(loops, sizeof(loops), " in %" PRIu64 " loops", l->loops);
    /* A loop that skipped rows (a condition in it) ran for some rows only. */
    char per[SQL_SHOWN + 96];
    short_sql(f->parent->normalized, parent);
    if (l->count < l->parent_rows)
        snprintf(per, sizeof(per), "for %" PRIu64 " of the %" PRIu64 " rows of `%s`", l->count,
                 l->parent_rows, parent);
    else
        snprintf(per, sizeof(per), "one per row of `%s` (%" PRIu64 " rows)", parent,
                 l->parent_rows);
    /* The endpoint whose requests ran it most (endpoints.h). */
    char where[160] = "";
    const struct endpoint *best = NULL;
    const struct endpoint_nplus1 *in = NULL, *n;
    for (size_t e = 0, k = 0; (n = endpoint_nplus1_next(fs->a, l, &e, &k));)
        if (!in || n->executions > in->executions) {
            in = n;
            best = &fs->a->endpoints[e];
        }
    if (best) {
        char name[96];
        snprintf(where, sizeof(where), " in %s (%.1f per request, %" PRIu64 " requests)",
                 endpoint_name(best, name, sizeof(name)),
                 (double)in->executions / (double)in->requests, in->requests);
    }
    snprintf(f->summary, sizeof(f->summary),
             "N+1%s: %" PRIu64 " executions of `%s`%s, %s: load them with one query (a JOIN, or "
             "WHERE id IN (...)) or the ORM's eager loading (Django "
             "select_related/prefetch_related, SQLAlchemy selectinload/joinedload)",
             where, l->count, short_sql(f->query->normalized, child), loops, per);
}

static void repeated(struct findings *fs, const struct proc_report *pr, const struct repeat *r)
{
    char sql[SQL_SHOWN + 1], total[UNITS_BUF];
    struct finding *f = finding_add(fs, FINDING_REPEATED_QUERY, pr);
    f->repeat = r;
    f->query = &pr->queries[r->qid];
    f->tid = r->tid;
    f->caller = r->caller;
    f->count = r->count;
    f->total_ns = r->total_ns;
    f->cost_ns = r->total_ns;
    f->severity = severity(f->cost_ns, pr->p->duration_ns, f->count);
    short_sql(f->query->normalized, sql);
    fmt_dur(r->total_ns, total);
    if (r->unbatched)
        snprintf(f->summary, sizeof(f->summary),
                 "%" PRIu64 " executions of `%s` outside a transaction, each committed on its own "
                 "(%s in all): run them in one transaction (BEGIN ... COMMIT) or as a batch "
                 "(executemany inside a transaction, COPY, a multi-row VALUES)",
                 r->count, sql, total);
    else if (r->groups == 1)
        snprintf(f->summary, sizeof(f->summary),
                 "%" PRIu64 " executions of `%s` with the same parameters on one connection "
                 "(%s in all): run it once and keep the result, or cache it",
                 r->count, sql, total);
    else
        snprintf(f->summary, sizeof(f->summary),
                 "%" PRIu64 " executions of `%s` repeating the same parameters (%" PRIu64
                 " parameter sets, each run %u times or more on one connection; %s in all): run "
                 "each once and keep the results, or cache them",
                 r->count, sql, r->groups, fs->a->repeat_min, total);
}

static void slow_query(struct findings *fs, const struct proc_report *pr,
                       const struct slow_query *s)
{
    char sql[SQL_SHOWN + 1], thr[UNITS_BUF], max[UNITS_BUF], total[UNITS_BUF], p99[UNITS_BUF];
    char server[96] = "";
    struct query *q = &pr->queries[s->qid];
    struct finding *f = finding_add(fs, FINDING_SLOW_QUERY, pr);
    f->slowq = s;
    f->query = q;
    f->tid = s->tid;
    f->caller = s->caller;
    f->stack = &s->stack;
    f->count = s->count;
    f->max_ns = s->max_ns;
    f->total_ns = s->total_ns;
    f->cost_ns = s->total_ns;
    f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);
    /* libpq's time inside the library is the wait for the server: there
     * the statement ran, or waited for another transaction's locks. */
    if (q->db == SQL_POSTGRES && s->total_ns)
        snprintf(server, sizeof(server), "; %u %% of it waiting for the server",
                 (unsigned)(s->lib_ns * 100 / s->total_ns));
    else /* only the span is known (slow_queries.h) */
        snprintf(server, sizeof(server),
                 "; from its first step to its last, with what the "
                 "program did between rows");
    /* The p99 of all its executions, where there are enough for one. */
    char all[64] = "";
    if (q->count >= 100)
        snprintf(all, sizeof(all), "; p99 of all %s", fmt_dur(hist_percentile(&q->hist, 99), p99));
    fmt_dur(fs->a->slow_ns, thr);
    snprintf(f->summary, sizeof(f->summary),
             "%" PRIu64 " of %" PRIu64 " executions of `%s` took \u2265%s (max %s, %s in all%s%s): "
             "look at its plan (EXPLAIN ANALYZE), its indexes, and what it waited for",
             s->count, q->count, short_sql(q->normalized, sql), thr, fmt_dur(s->max_ns, max),
             fmt_dur(s->total_ns, total), all, server);
}

void find_db_findings(struct findings *fs, const struct proc_report *pr)
{
    for (size_t i = 0; i < pr->nslow_queries; i++)
        slow_query(fs, pr, &pr->slow_queries[i]);
    for (size_t i = 0; i < pr->nnplus1; i++)
        nplus1(fs, pr, &pr->nplus1[i]);
    for (size_t i = 0; i < pr->nrepeats; i++)
        repeated(fs, pr, &pr->repeats[i]);
}

/* An N+1 of HTTP calls (docs/rules.md, n_plus_one_http). */
void find_http_findings(struct findings *fs, const struct analysis *a)
{
    for (size_t i = 0; i < a->nhttp_nplus1; i++) {
        const struct http_nplus1 *h = &a->http_nplus1[i];
        char called[160], in[200] = "";
        struct finding *f = finding_add(fs, FINDING_HTTP_N_PLUS_ONE, h->pr);
        f->http = h;
        f->tid = h->tid;
        f->caller = h->caller;
        f->count = h->calls;
        f->total_ns = h->total_ns;
        f->cost_ns = h->total_ns;
        f->severity = severity(f->cost_ns, h->pr->p->duration_ns, f->count);
        endpoint_name(&a->called[h->called], called, sizeof(called));
        if (h->served >= 0) {
            char name[160];
            snprintf(in, sizeof(in), " in %s (%.1f per request, %" PRIu64 " requests)",
                     endpoint_name(&a->endpoints[h->served], name, sizeof(name)),
                     (double)h->calls / (double)h->groups, h->groups);
        } else {
            snprintf(in, sizeof(in), " in %" PRIu64 " loop%s", h->groups,
                     h->groups == 1 ? "" : "s");
        }
        snprintf(f->summary, sizeof(f->summary),
                 "N+1 of HTTP calls%s: %" PRIu64 " calls of %s, one after the other: ask for "
                 "them in one call (a batch endpoint, or the list with what it holds), or make "
                 "them at once",
                 in, h->calls, called);
    }
}
