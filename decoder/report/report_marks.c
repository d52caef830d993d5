/* SPDX-License-Identifier: MIT */
/*
 * report_marks.c - marks in the report (report_marks.h): a table per
 * kind in text, most queries first; every group in JSON, with its
 * phases, their statements and the findings whose events were in it.
 */
#include "report/report_marks.h"

#include "base/text.h"
#include "base/units.h"
#include "base/util.h"
#include "log/calls.h"
#include "report/report_time.h"
#include "report/sites.h"
#include "sql/sql_fingerprint.h"

#include <inttypes.h>
#include <string.h>

/* The findings with events in group g, in the findings' order. */
static void group_findings(struct json *j, const struct findings *fs, size_t g)
{
    json_key(j, "findings");
    json_begin_array(j);
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = &fs->v[i];
        for (size_t k = 0; k < f->in_marks.n; k++) {
            const struct group_count *c = &f->in_marks.v[k];
            if (c->group != g) continue;
            json_begin_object(j);
            json_kv_str(j, "kind", finding_kind_name(f->kind));
            json_kv_str(j, "severity", f->severity);
            json_kv_str(j, "phase", fs->a->mark_groups[g].phases[c->phase].name);
            json_kv_uint(j, "count", c->count);
            json_kv_str(j, "summary", f->summary);
            json_end_object(j);
        }
    }
    json_end_array(j);
}

static void phase_json(struct json *j, const struct mark_phase *ph)
{
    json_begin_object(j);
    json_kv_str(j, "phase", ph->name);
    json_kv_uint(j, "count", ph->count);
    json_kv_uint(j, "incomplete", ph->incomplete);
    json_kv_uint(j, "duration_ns", ph->total_ns);
    json_kv_uint(j, "max_ns", ph->max_ns);
    json_kv_uint(j, "queries", ph->queries);
    report_json_breakdown(j, ph->part_ns);
    json_kv_uint(j, "slow_calls", ph->slow_calls);
    json_key(j, "longest_call");
    if (ph->longest) {
        const struct mark *k = ph->longest;
        json_begin_object(j);
        json_kv_str(j, "call", call_name(k->longest_call));
        json_kv_str(j, "target", strpool_get(&ph->longest_pr->p->strings, k->longest_target));
        json_kv_uint(j, "ns", k->longest_ns);
        json_key(j, "site");
        site_json(j, sym_code(ph->longest_pr->p, k->longest_caller));
        json_end_object(j);
    } else {
        json_null(j);
    }
    json_key(j, "statements");
    json_begin_array(j);
    for (size_t s = 0; s < ph->nstmts; s++) {
        char fp[17];
        json_begin_object(j);
        json_kv_str(j, "fingerprint", sql_fingerprint_hex(ph->stmts[s].fp, fp));
        json_kv_str(j, "normalized", ph->stmts[s].normalized);
        json_kv_uint(j, "count", ph->stmts[s].count);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

static void group_json(struct json *j, const struct findings *fs, size_t g)
{
    const struct mark_group *m = &fs->a->mark_groups[g];
    json_begin_object(j);
    json_kv_str(j, "kind", m->kind);
    json_kv_str(j, "name", m->name);
    json_kv_uint(j, "pid", m->pid);
    json_kv_uint(j, "duration_ns", m->total_ns);
    json_kv_uint(j, "queries", m->queries);
    json_key(j, "phases");
    json_begin_array(j);
    for (size_t p = 0; p < m->nphases; p++)
        phase_json(j, &m->phases[p]);
    json_end_array(j);
    group_findings(j, fs, g);
    json_end_object(j);
}

void report_json_marks(struct json *j, const struct analysis *a, const struct findings *fs)
{
    for (int tests = 1; tests >= 0; tests--) {
        json_key(j, tests ? "tests" : "marks");
        json_begin_array(j);
        for (size_t g = 0; g < a->nmark_groups; g++)
            if ((strcmp(a->mark_groups[g].kind, "test") == 0) == tests) group_json(j, fs, g);
        json_end_array(j);
    }
}

/* ---- text ---- */

static const struct mark_group *sort_groups;

static int cmp_by_queries(const void *a, const void *b)
{
    const struct mark_group *x = &sort_groups[*(const size_t *)a];
    const struct mark_group *y = &sort_groups[*(const size_t *)b];
    if (x->queries != y->queries) return x->queries > y->queries ? -1 : 1;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Findings with events in group g. */
static size_t findings_in(const struct findings *fs, size_t g)
{
    size_t n = 0;
    for (size_t i = 0; i < fs->n; i++)
        for (size_t k = 0; k < fs->v[i].in_marks.n; k++)
            if (fs->v[i].in_marks.v[k].group == g) {
                n++;
                break;
            }
    return n;
}

/* One kind's table: each group's time and queries, by phase. */
static void kind_table(FILE *f, const struct analysis *a, const struct findings *fs,
                       const char *kind)
{
    size_t *v = xmalloc((a->nmark_groups ? a->nmark_groups : 1) * sizeof(*v)), n = 0;
    for (size_t g = 0; g < a->nmark_groups; g++)
        if (strcmp(a->mark_groups[g].kind, kind) == 0) v[n++] = g;
    sort_groups = a->mark_groups;
    xsort(v, n, sizeof(*v), cmp_by_queries);
    sort_groups = NULL;
    char title[96], upper[64];
    size_t k;
    for (k = 0; kind[k] && k < sizeof(upper) - 1; k++)
        upper[k] = (char)(kind[k] >= 'a' && kind[k] <= 'z' ? kind[k] - 32 : kind[k]);
    upper[k] = 0;
    snprintf(title, sizeof(title), strcmp(kind, "test") == 0 ? "TESTS" : "MARKS: %s", upper);
    fprintf(f, "%s (%zu, most queries first)\n", title, n);
    fprintf(f, "  %-52s %10s %8s  %s\n", "name", "time", "queries", "by phase");
    for (size_t i = 0; i < n && i < MARKS_SHOWN; i++) {
        const struct mark_group *m = &a->mark_groups[v[i]];
        char t[UNITS_BUF], pt[UNITS_BUF], name[128];
        text_clean((const uint8_t *)m->name, strlen(m->name), name, sizeof(name));
        fprintf(f, "  %-52s %10s %8" PRIu64 " ", name, fmt_dur(m->total_ns, t), m->queries);
        for (size_t p = 0; p < m->nphases; p++) {
            const struct mark_phase *ph = &m->phases[p];
            fprintf(f, "%s%s %s (%" PRIu64 " quer%s)%s", p ? "; " : " ",
                    *ph->name ? ph->name : "own", fmt_dur(ph->total_ns, pt), ph->queries,
                    ph->queries == 1 ? "y" : "ies", ph->incomplete ? ", unended" : "");
        }
        size_t nf = findings_in(fs, v[i]);
        if (nf) fprintf(f, "; %zu finding%s", nf, nf == 1 ? "" : "s");
        fputc('\n', f);
    }
    if (n > MARKS_SHOWN) fprintf(f, "  ... %zu more (see --json)\n", n - MARKS_SHOWN);
    fputc('\n', f);
    xfree(v);
}

void report_text_marks(FILE *f, const struct analysis *a, const struct findings *fs)
{
    /* One table per kind, in the groups' order (tests first). */
    for (size_t g = 0; g < a->nmark_groups; g++) {
        int seen = 0;
        for (size_t h = 0; h < g && !seen; h++)
            seen = strcmp(a->mark_groups[h].kind, a->mark_groups[g].kind) == 0;
        if (!seen) kind_table(f, a, fs, a->mark_groups[g].kind);
    }
}
