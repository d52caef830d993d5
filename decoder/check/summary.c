/* SPDX-License-Identifier: MIT */
/*
 * summary.c - a run's counts as stable JSON (summary.h).
 */
#include "check/summary.h"

#include "base/util.h"
#include "log/calls.h"
#include "log/logset.h"
#include "report/sites.h"
#include "report/json.h"
#include "sql/sql_fingerprint.h"
#include "symbols/lock_name.h"

#include <stdlib.h>
#include <string.h>

static const char *program(const struct proc_report *pr)
{
    const char *exe = pr->p->exe ? strrchr(pr->p->exe, '/') : NULL;
    return exe ? exe + 1 : pr->p->exe ? pr->p->exe : "?";
}

const char *finding_key(const struct finding *f, char *buf, size_t len)
{
    char fp[17], name[256];
    switch (f->kind) {
    case FINDING_N_PLUS_ONE:
    case FINDING_REPEATED_QUERY:
    case FINDING_SLOW_QUERY:
        snprintf(buf, len, "%s", sql_fingerprint_hex(f->query->fp, fp));
        break;
    case FINDING_SLOW_SYSCALL:
        snprintf(buf, len, "%s %s", call_name(f->call), f->target ? f->target : "-");
        break;
    case FINDING_LOCK_CONTENTION:
        snprintf(buf, len, "%s %s", lock_kind_name(f->lock->kind),
                 lock_name(f->pr->p, f->lock->addr, NULL, name, sizeof(name)));
        break;
    case FINDING_HTTP_N_PLUS_ONE:
        endpoint_name(&f->a->called[f->http->called], buf, len);
        break;
    default:
        snprintf(buf, len, "%s", program(f->pr));
        break;
    }
    return buf;
}

/* ---- sorted lists ---- */

struct item {
    char *name; /* what it is sorted by */
    const char *text;
    uint64_t count, queries;
    size_t i; /* its source */
};

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static void items_free(struct item *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xfree(v[i].name);
    xfree(v);
}

static void statements_json(struct json *j, const struct mark_statement *st, size_t n)
{
    struct item *v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        char fp[17];
        v[i] = (struct item){xstrdup(sql_fingerprint_hex(st[i].fp, fp)), st[i].normalized,
                             st[i].count, 0, i};
    }
    xsort(v, n, sizeof(*v), cmp_item);
    json_key(j, "statements");
    json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(j);
        json_kv_str(j, "fingerprint", v[i].name);
        json_kv_str(j, "normalized", v[i].text);
        json_kv_uint(j, "count", v[i].count);
        json_end_object(j);
    }
    json_end_array(j);
    items_free(v, n);
}

static void run_statements(struct json *j, const struct analysis *a)
{
    struct map index = {0};
    struct mark_statement *st = NULL;
    size_t n = 0, cap = 0;
    for (size_t p = 0; p < a->nprocs; p++) {
        const struct proc_report *pr = &a->procs[p];
        for (size_t q = 0; q < pr->nqueries; q++) {
            int created;
            uint64_t *slot = map_put(&index, pr->queries[q].fp, 0, &created);
            if (created) {
                ARRAY_PUSH(st, n, cap) =
                    (struct mark_statement){pr->queries[q].fp, pr->queries[q].normalized, 0};
                *slot = n;
            }
            st[*slot - 1].count += pr->queries[q].count;
        }
    }
    statements_json(j, st, n);
    map_free(&index);
    xfree(st);
}

static void calls(struct json *j, const struct analysis *a)
{
    uint64_t count[256] = {0};
    for (size_t p = 0; p < a->nprocs; p++)
        for (size_t k = 0; k < a->procs[p].ncalls; k++)
            count[a->procs[p].calls[k].call & 0xff] += a->procs[p].calls[k].count;
    struct item *v = xcalloc(256, sizeof(*v));
    size_t n = 0;
    for (unsigned c = 0; c < 256; c++)
        if (count[c]) v[n++] = (struct item){xstrdup(call_name(c)), NULL, count[c], 0, c};
    xsort(v, n, sizeof(*v), cmp_item);
    json_key(j, "calls");
    json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(j);
        json_kv_str(j, "call", v[i].name);
        json_kv_uint(j, "count", v[i].count);
        json_end_object(j);
    }
    json_end_array(j);
    items_free(v, n);
}

static void findings(struct json *j, const struct findings *fs)
{
    struct item *v = xcalloc(fs->n ? fs->n : 1, sizeof(*v));
    for (size_t i = 0; i < fs->n; i++) {
        char key[1200], name[1400];
        snprintf(name, sizeof(name), "%s %s", finding_kind_name(fs->v[i].kind),
                 finding_key(&fs->v[i], key, sizeof(key)));
        v[i] = (struct item){xstrdup(name), NULL, fs->v[i].count, 0, i};
    }
    xsort(v, fs->n, sizeof(*v), cmp_item);
    json_key(j, "findings");
    json_begin_array(j);
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = &fs->v[v[i].i];
        char key[1200];
        json_begin_object(j);
        json_kv_str(j, "kind", finding_kind_name(f->kind));
        json_kv_str(j, "key", finding_key(f, key, sizeof(key)));
        json_kv_str(j, "statement", f->query ? f->query->normalized : NULL);
        json_kv_uint(j, "count", f->count);
        const char *test = NULL, *phase = "";
        for (size_t k = 0; k < f->in_marks.n && !test; k++) {
            const struct mark_group *g = &f->a->mark_groups[f->in_marks.v[k].group];
            if (strcmp(g->kind, "test") == 0) {
                test = g->name;
                phase = g->phases[f->in_marks.v[k].phase].name;
            }
        }
        json_kv_str(j, "test", test);
        json_kv_str(j, "phase", test ? phase : NULL);
        json_kv_str(j, "summary", f->summary);
        json_end_object(j);
    }
    json_end_array(j);
    items_free(v, fs->n);
}

static void marks(struct json *j, const struct analysis *a)
{
    size_t n = 0;
    for (size_t g = 0; g < a->nmark_groups; g++)
        n += a->mark_groups[g].nphases;
    struct item *v = xcalloc(n ? n : 1, sizeof(*v));
    n = 0;
    for (size_t g = 0; g < a->nmark_groups; g++)
        for (size_t p = 0; p < a->mark_groups[g].nphases; p++) {
            const struct mark_group *m = &a->mark_groups[g];
            char *name = xmalloc(strlen(m->kind) + strlen(m->name) + strlen(m->phases[p].name) + 3);
            sprintf(name, "%s\1%s\1%s", m->kind, m->name, m->phases[p].name);
            v[n++] = (struct item){name, NULL, 0, 0, g << 16 | p};
        }
    xsort(v, n, sizeof(*v), cmp_item);
    json_key(j, "marks");
    json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        const struct mark_group *m = &a->mark_groups[v[i].i >> 16];
        const struct mark_phase *ph = &m->phases[v[i].i & 0xffff];
        json_begin_object(j);
        json_kv_str(j, "kind", m->kind);
        json_kv_str(j, "name", m->name);
        json_kv_str(j, "phase", ph->name);
        json_kv_uint(j, "count", ph->count);
        json_kv_uint(j, "queries", ph->queries);
        statements_json(j, ph->stmts, ph->nstmts);
        json_kv_uint(j, "duration_ns", ph->total_ns);
        json_end_object(j);
    }
    json_end_array(j);
    items_free(v, n);
}

static void endpoints(struct json *j, const struct analysis *a)
{
    struct item *v = xcalloc(a->nendpoints ? a->nendpoints : 1, sizeof(*v));
    for (size_t e = 0; e < a->nendpoints; e++) {
        char name[1200];
        v[e] = (struct item){xstrdup(endpoint_name(&a->endpoints[e], name, sizeof(name))), NULL,
                             a->endpoints[e].count, a->endpoints[e].queries, e};
    }
    xsort(v, a->nendpoints, sizeof(*v), cmp_item);
    json_key(j, "endpoints");
    json_begin_array(j);
    for (size_t i = 0; i < a->nendpoints; i++) {
        json_begin_object(j);
        json_kv_str(j, "endpoint", v[i].name);
        json_kv_uint(j, "requests", v[i].count);
        json_kv_uint(j, "queries", v[i].queries);
        json_kv_uint(j, "p99_ns", a->endpoints[v[i].i].p99_ns);
        json_end_object(j);
    }
    json_end_array(j);
    items_free(v, a->nendpoints);
}

void summary_write(FILE *f, const struct analysis *a, const struct findings *fs)
{
    struct json j;
    json_init(&j, f);
    json_begin_object(&j);
    json_kv_str(&j, "schema", SUMMARY_SCHEMA);
    json_kv_uint(&j, "processes", a->nprocs);
    run_statements(&j, a);
    calls(&j, a);
    findings(&j, fs);
    marks(&j, a);
    endpoints(&j, a);
    /* Times vary from run to run: kept, never compared by default. */
    struct time_total t = {0};
    for (size_t p = 0; p < a->nprocs; p++) {
        t.wall_ns += a->procs[p].time_total.wall_ns;
        for (int k = 0; k < TIME_PARTS; k++)
            t.part_ns[k] += a->procs[p].time_total.part_ns[k];
    }
    json_key(&j, "time");
    json_begin_object(&j);
    json_kv_uint(&j, "wall_ns", t.wall_ns);
    for (int k = 0; k < TIME_PARTS; k++) {
        char key[32];
        snprintf(key, sizeof(key), "%s_ns", time_part_name((enum time_part)k));
        json_kv_uint(&j, key, t.part_ns[k]);
    }
    json_end_object(&j);
    json_end_object(&j);
    fputc('\n', f);
}

char *summary_of_logs(const char *path, char *err, size_t errlen)
{
    struct logset ls = {0};
    char *paths[1] = {(char *)path};
    if (logset_load(&ls, paths, 1) || !ls.n) {
        snprintf(err, errlen, "%s: no recorded process there", path);
        logset_free(&ls);
        return NULL;
    }
    struct analyze_opts o;
    analyze_opts_default(&o);
    struct analysis a;
    struct findings fs;
    analyze(&a, ls.procs, ls.n, &o);
    find_findings(&fs, &a);
    symbolize_report(&a, &fs);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        summary_write(m, &a, &fs);
        fclose(m);
    }
    findings_free(&fs);
    analysis_free(&a);
    logset_free(&ls);
    mem_blame("whyslow"); /* (it named a log just freed) */
    return text;
}
