/* SPDX-License-Identifier: MIT */
/*
 * check.c - the findings that fail a run and the budgets it broke
 * (check.h; the rules: docs/check.md).
 *
 * Counts only: what a change does to a program's work is exactly
 * reproducible (queries, executions, calls), its times are not, so time
 * budgets exist only with a tolerance the user states.
 */
#include "check/check.h"

#include "base/util.h"
#include "log/calls.h"
#include "report/sites.h"
#include "sql/sql_fingerprint.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int matches(const char *glob, const char *s)
{
    return !glob || (s && fnmatch(glob, s, 0) == 0);
}

static struct violation *add(struct check_result *r)
{
    ARRAY_PUSH(r->v, r->n, r->cap) = (struct violation){.limit = -1};
    return &r->v[r->n - 1];
}

/* ---- findings ---- */

static int severity_level(const char *severity)
{
    return severity[0] == 'h' ? FAIL_HIGH : severity[0] == 'm' ? FAIL_MEDIUM : FAIL_LOW;
}

/* The test a finding's events were in most (its name; *phase), or NULL;
 * with rules_only, only a test's setup or call. */
static const char *finding_test(const struct analysis *a, const struct finding *f,
                                const char **phase, int rules_only)
{
    for (size_t k = 0; k < f->in_marks.n; k++) {
        const struct mark_group *g = &a->mark_groups[f->in_marks.v[k].group];
        const char *ph = g->phases[f->in_marks.v[k].phase].name;
        if (strcmp(g->kind, "test") != 0 ||
            (rules_only && strcmp(ph, "setup") != 0 && strcmp(ph, "call") != 0))
            continue;
        *phase = ph;
        return g->name;
    }
    return NULL;
}

/* Whether the run has tests marked. */
static int has_tests(const struct analysis *a)
{
    for (size_t g = 0; g < a->nmark_groups; g++)
        if (strcmp(a->mark_groups[g].kind, "test") == 0) return 1;
    return 0;
}

/* The endpoint a finding happened in, in name. */
static const char *finding_endpoint(const struct analysis *a, const struct finding *f, char *name,
                                    size_t len)
{
    if (f->kind == FINDING_HTTP_N_PLUS_ONE)
        return f->http->served >= 0 ? endpoint_name(&a->endpoints[f->http->served], name, len)
                                    : NULL;
    if (f->kind == FINDING_N_PLUS_ONE) {
        size_t e = 0, k = 0;
        return endpoint_nplus1_next(a, f->loop, &e, &k) ? endpoint_name(&a->endpoints[e], name, len)
                                                        : NULL;
    }
    return f->in.n ? endpoint_name(&a->endpoints[f->in.v[0].group], name, len) : NULL;
}

static int allowed(const struct budget *b, const struct analysis *a, const struct finding *f,
                   const char *site, const char *test, const char *endpoint)
{
    char fp[17];
    const char *stmt = f->query ? f->query->normalized : NULL;
    const char *hex = f->query ? sql_fingerprint_hex(f->query->fp, fp) : NULL;
    (void)a;
    for (size_t i = 0; i < b->nallows; i++) {
        const struct budget_allow *al = &b->allows[i];
        if (al->kind >= 0 && al->kind != (int)f->kind) continue;
        if (al->statement && !matches(al->statement, stmt) &&
            !(hex && strcmp(al->statement, hex) == 0))
            continue;
        if (al->site && !matches(al->site, site)) continue;
        if (al->test && !matches(al->test, test)) continue;
        if (al->endpoint && !matches(al->endpoint, endpoint)) continue;
        return 1;
    }
    return 0;
}

static void check_findings(struct check_result *r, const struct findings *fs)
{
    const struct analysis *a = r->a;
    for (int k = 0; k < FINDING_KINDS; k++)
        r->rules += r->b->fail_on[k] != FAIL_NEVER;
    int tests_only = !r->b->findings_everywhere && has_tests(a);
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = &fs->v[i];
        enum fail_from from = r->b->fail_on[f->kind];
        if (from == FAIL_NEVER || severity_level(f->severity) < (int)from) continue;
        char site[1024] = "", endpoint[1200];
        const struct sym_code *c = f->caller ? sym_code(f->pr->p, f->caller) : NULL;
        if (c) site_text(c, site, sizeof(site));
        const char *phase = "", *test = finding_test(a, f, &phase, tests_only);
        if (tests_only && !test) {
            r->outside++;
            continue;
        }
        const char *ep = finding_endpoint(a, f, endpoint, sizeof(endpoint));
        if (allowed(r->b, a, f, site, test, ep)) {
            r->allowed++;
            continue;
        }
        struct violation *v = add(r);
        v->finding = f;
        v->scope = test ? "test" : ep ? "endpoint" : "run";
        v->where = test ? xprintf("%s%s%s%s", test, *phase ? " (" : "", phase, *phase ? ")" : "")
                   : ep ? xstrdup(ep)
                        : NULL;
        v->what = xstrdup(finding_kind_name(f->kind));
        v->count = f->count;
        v->statement = f->query ? xstrdup(f->query->normalized) : NULL;
        v->site = *site ? xstrdup(site) : NULL;
        if (c && c->file && c->line) {
            v->file = xstrdup(c->file);
            v->line = c->line;
        }
        v->test = test ? xstrdup(test) : NULL;
        v->message = xprintf("%s (%s)%s%s: %s", finding_kind_name(f->kind), f->severity,
                             v->where ? " in " : "", v->where ? v->where : "", f->summary);
    }
}

/* ---- budgets ---- */

static void broken(struct check_result *r, const struct budget_rule *ru, const char *where,
                   const char *what, uint64_t count, double limit, const char *statement,
                   const char *test, const char *file)
{
    struct violation *v = add(r);
    v->rule = ru;
    v->scope = budget_scope_name(ru->scope);
    v->where = where ? xstrdup(where) : NULL;
    v->what = xstrdup(what);
    v->count = count;
    v->limit = limit;
    v->statement = statement ? xstrdup(statement) : NULL;
    v->test = test ? xstrdup(test) : NULL;
    v->file = file ? xstrdup(file) : NULL;
    v->excess = limit > 0 ? (double)count / limit : (double)count + 1e9;
    const char *unit = strcmp(what, "time") == 0 ? " ms" : "";
    v->message = xprintf("%s%s%s: %s %" PRIu64 "%s, over its budget of %g%s (%s:%d)", v->scope,
                         where ? " " : "", where ? where : "", what, count, unit, limit, unit,
                         r->b->file, ru->line);
}

/* Executions by statement (fingerprint) across the processes. */
struct stmt_total {
    uint64_t fp, count;
    const char *normalized;
};

static struct stmt_total *statements(const struct analysis *a, const struct proc_report *only,
                                     size_t *n)
{
    struct map index = {0};
    struct stmt_total *v = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t p = 0; p < a->nprocs; p++) {
        const struct proc_report *pr = &a->procs[p];
        if (only && pr != only) continue;
        for (size_t q = 0; q < pr->nqueries; q++) {
            int created;
            uint64_t *slot = map_put(&index, pr->queries[q].fp, 0, &created);
            if (created) {
                ARRAY_PUSH(v, *n, cap) =
                    (struct stmt_total){pr->queries[q].fp, 0, pr->queries[q].normalized};
                *slot = *n;
            }
            v[*slot - 1].count += pr->queries[q].count;
        }
    }
    map_free(&index);
    return v;
}

/* The most executed statement of v (n of them). */
static const struct stmt_total *most(const struct stmt_total *v, size_t n)
{
    const struct stmt_total *m = NULL;
    for (size_t i = 0; i < n; i++)
        if (!m || v[i].count > m->count) m = &v[i];
    return m;
}

/* Queries, executions and calls of the run (only NULL) or of one process. */
static void check_counts(struct check_result *r, const struct budget_rule *ru,
                         const struct proc_report *only, const char *where)
{
    const struct analysis *a = r->a;
    size_t n;
    struct stmt_total *v = statements(a, only, &n);
    uint64_t queries = 0;
    for (size_t i = 0; i < n; i++)
        queries += v[i].count;
    const struct stmt_total *m = most(v, n);
    if (ru->max_queries >= 0 && queries > (uint64_t)ru->max_queries)
        broken(r, ru, where, "queries", queries, (double)ru->max_queries, m ? m->normalized : NULL,
               NULL, NULL);
    if (ru->max_executions >= 0 && m && m->count > (uint64_t)ru->max_executions) {
        char *what = xprintf("executions of one statement");
        broken(r, ru, where, what, m->count, (double)ru->max_executions, m->normalized, NULL, NULL);
        xfree(what);
    }
    for (size_t c = 0; c < ru->ncalls; c++) {
        uint64_t calls = 0;
        for (size_t p = 0; p < a->nprocs; p++) {
            if (only && &a->procs[p] != only) continue;
            for (size_t k = 0; k < a->procs[p].ncalls; k++)
                if (a->procs[p].calls[k].call == ru->calls[c].call)
                    calls += a->procs[p].calls[k].count;
        }
        if (calls > ru->calls[c].max) {
            char *what = xprintf("%s calls", call_name(ru->calls[c].call));
            broken(r, ru, where, what, calls, (double)ru->calls[c].max, NULL, NULL, NULL);
            xfree(what);
        }
    }
    xfree(v);
}

static double limit_ms(const struct budget_rule *ru)
{
    return ru->max_time_ms * (1 + ru->tolerance);
}

static void check_run_scope(struct check_result *r, const struct budget_rule *ru)
{
    check_counts(r, ru, NULL, NULL);
    if (ru->max_time_ms < 0) return;
    uint64_t first = UINT64_MAX, last = 0; /* from the first start to the last end */
    for (size_t p = 0; p < r->a->nprocs; p++) {
        const struct ws_process *pp = r->a->procs[p].p;
        if (pp->start_unix_ns < first) first = pp->start_unix_ns;
        if (pp->start_unix_ns + (uint64_t)pp->duration_ns > last)
            last = pp->start_unix_ns + (uint64_t)pp->duration_ns;
    }
    uint64_t ms = last > first ? (last - first) / 1000000 : 0;
    if ((double)ms > limit_ms(ru)) broken(r, ru, NULL, "time", ms, limit_ms(ru), NULL, NULL, NULL);
}

/* A process's name for a budget: its program's file name, or its command line. */
static int process_matches(const struct budget_rule *ru, const struct ws_process *p, char *line,
                           size_t len)
{
    size_t o = 0;
    line[0] = 0;
    for (size_t i = 0; i < p->argc && o + 1 < len; i++)
        o += (size_t)snprintf(line + o, len - o, "%s%s", i ? " " : "", p->argv[i]);
    const char *exe = p->exe ? strrchr(p->exe, '/') : NULL;
    exe = exe ? exe + 1 : p->exe;
    return matches(ru->name, exe) || matches(ru->name, line);
}

static void check_process_scope(struct check_result *r, const struct budget_rule *ru)
{
    for (size_t p = 0; p < r->a->nprocs; p++) {
        const struct proc_report *pr = &r->a->procs[p];
        char line[512];
        if (!process_matches(ru, pr->p, line, sizeof(line))) continue;
        char *where = xprintf("%" PRIu64 " (%s)", pr->p->pid, line);
        check_counts(r, ru, pr, where);
        uint64_t ms = (uint64_t)pr->p->duration_ns / 1000000;
        if (ru->max_time_ms >= 0 && (double)ms > limit_ms(ru))
            broken(r, ru, where, "time", ms, limit_ms(ru), NULL, NULL, NULL);
        xfree(where);
    }
}

static int phase_counted(const struct budget_rule *ru, const char *phase)
{
    if (!ru->nphases) return strcmp(phase, "setup") == 0 || strcmp(phase, "call") == 0;
    for (size_t i = 0; i < ru->nphases; i++)
        if (strcmp(ru->phases[i], phase) == 0) return 1;
    return 0;
}

/* The file of a test's node id ("tests/test_a.py::test_b"), in buf. */
static const char *test_file(const char *name, char *buf, size_t len)
{
    const char *sep = strstr(name, "::");
    if (!sep) return NULL;
    snprintf(buf, len, "%.*s", (int)(sep - name), name);
    return buf;
}

static void check_test_scope(struct check_result *r, const struct budget_rule *ru)
{
    const struct analysis *a = r->a;
    for (size_t g = 0; g < a->nmark_groups; g++) {
        const struct mark_group *m = &a->mark_groups[g];
        if (strcmp(m->kind, "test") != 0 || !matches(ru->name, m->name)) continue;
        uint64_t queries = 0, ms = 0;
        struct map execs = {0}; /* fingerprint -> executions in the phases counted */
        const struct mark_statement *top = NULL;
        uint64_t topn = 0;
        for (size_t p = 0; p < m->nphases; p++) {
            const struct mark_phase *ph = &m->phases[p];
            if (!phase_counted(ru, ph->name)) continue;
            queries += ph->queries;
            ms += ph->max_ns / 1000000;
            for (size_t s = 0; s < ph->nstmts; s++) {
                uint64_t *c = map_put(&execs, ph->stmts[s].fp, 0, NULL);
                *c += ph->stmts[s].count;
                if (*c > topn) {
                    topn = *c;
                    top = &ph->stmts[s];
                }
            }
        }
        map_free(&execs);
        char file[1024];
        const char *tf = test_file(m->name, file, sizeof(file));
        if (ru->max_queries >= 0 && queries > (uint64_t)ru->max_queries)
            broken(r, ru, m->name, "queries", queries, (double)ru->max_queries,
                   top ? top->normalized : NULL, m->name, tf);
        if (ru->max_executions >= 0 && topn > (uint64_t)ru->max_executions)
            broken(r, ru, m->name, "executions of one statement", topn, (double)ru->max_executions,
                   top->normalized, m->name, tf);
        if (ru->max_time_ms >= 0 && (double)ms > limit_ms(ru))
            broken(r, ru, m->name, "time", ms, limit_ms(ru), NULL, m->name, tf);
    }
}

static void check_endpoint_scope(struct check_result *r, const struct budget_rule *ru)
{
    const struct analysis *a = r->a;
    for (size_t e = 0; e < a->nendpoints; e++) {
        char name[1200];
        const struct endpoint *ep = &a->endpoints[e];
        if (!matches(ru->name, endpoint_name(ep, name, sizeof(name)))) continue;
        if (ru->max_queries >= 0 && ep->queries_max > (uint64_t)ru->max_queries)
            broken(r, ru, name, "queries in one request", ep->queries_max, (double)ru->max_queries,
                   NULL, NULL, NULL);
        if (ru->max_executions >= 0) {
            uint64_t topn = 0;
            const char *top = NULL;
            for (size_t p = 0; p < a->nprocs; p++) {
                const struct proc_report *pr = &a->procs[p];
                for (size_t k = 0; k < pr->request_counts.cap; k++) {
                    const struct map_slot *s = &pr->request_counts.slots[k];
                    if (!s->used || s->a >= pr->nrequests || s->b >= pr->nqueries) continue;
                    const struct http_request *q = &pr->requests[s->a];
                    if (q->outgoing || q->endpoint != e || s->value <= topn) continue;
                    topn = s->value;
                    top = pr->queries[s->b].normalized;
                }
            }
            if (topn > (uint64_t)ru->max_executions)
                broken(r, ru, name, "executions of one statement in one request", topn,
                       (double)ru->max_executions, top, NULL, NULL);
        }
        uint64_t p99 = ep->p99_ns / 1000000;
        if (ru->max_time_ms >= 0 && (double)p99 > limit_ms(ru))
            broken(r, ru, name, "time", p99, limit_ms(ru), NULL, NULL, NULL);
    }
}

static void check_statement_scope(struct check_result *r, const struct budget_rule *ru)
{
    size_t n;
    struct stmt_total *v = statements(r->a, NULL, &n);
    for (size_t i = 0; i < n; i++) {
        char fp[17];
        if (!matches(ru->name, v[i].normalized) &&
            !(ru->name && strcmp(ru->name, sql_fingerprint_hex(v[i].fp, fp)) == 0))
            continue;
        if (v[i].count > (uint64_t)ru->max_executions)
            broken(r, ru, v[i].normalized, "executions", v[i].count, (double)ru->max_executions,
                   v[i].normalized, NULL, NULL);
    }
    xfree(v);
}

static int cmp_excess(const void *a, const void *b)
{
    const struct violation *x = a, *y = b;
    if (x->excess != y->excess) return x->excess > y->excess ? -1 : 1;
    return strcmp(x->message, y->message);
}

void check_run(struct check_result *r, const struct analysis *a, const struct findings *fs,
               const struct budget *b)
{
    memset(r, 0, sizeof(*r));
    r->a = a;
    r->b = b;
    r->verb = "check";
    check_findings(r, fs); /* (in the findings' order: severity, then cost) */
    size_t first_budget = r->n;
    for (size_t i = 0; i < b->nrules; i++) {
        const struct budget_rule *ru = &b->rules[i];
        r->rules++;
        switch (ru->scope) {
        case SCOPE_RUN:
            check_run_scope(r, ru);
            break;
        case SCOPE_PROCESS:
            check_process_scope(r, ru);
            break;
        case SCOPE_TEST:
            check_test_scope(r, ru);
            break;
        case SCOPE_ENDPOINT:
            check_endpoint_scope(r, ru);
            break;
        case SCOPE_STATEMENT:
            check_statement_scope(r, ru);
            break;
        }
    }
    xsort(r->v + first_budget, r->n - first_budget, sizeof(*r->v), cmp_excess);
}

void check_free(struct check_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct violation *v = &r->v[i];
        xfree(v->where);
        xfree(v->what);
        xfree(v->message);
        xfree(v->statement);
        xfree(v->site);
        xfree(v->file);
        xfree(v->test);
    }
    xfree(r->v);
    memset(r, 0, sizeof(*r));
}
