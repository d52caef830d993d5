/* SPDX-License-Identifier: MIT */
/*
 * mark_groups.c - marks by kind and name (mark_groups.h).
 */
#include "analysis/mark_groups.h"

#include "analysis/analyze.h"
#include "base/hashmap.h"
#include "base/strpool.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct building {
    struct strpool names; /* "kind\1name" and phase names, across processes */
    struct map index;     /* key id -> group index + 1 */
    struct mark_group *v;
    size_t n, cap;
    uint64_t *order; /* per group: when its kind was first seen << 32 | its own order */
    size_t ordercap;
    struct map kinds; /* kind id -> rank */
    uint64_t nkinds;
    struct map stmts; /* (group << 16 | phase, fingerprint) -> executions */
};

static size_t phase_of(struct mark_group *g, const char *name)
{
    for (size_t i = 0; i < g->nphases; i++)
        if (strcmp(g->phases[i].name, name) == 0) return i;
    g->phases = xrealloc(g->phases, (g->nphases + 1) * sizeof(*g->phases));
    g->phases[g->nphases] = (struct mark_phase){.name = xstrdup(name)};
    return g->nphases++;
}

static void add_mark(struct building *b, const struct proc_report *pr, struct mark *k)
{
    const struct strpool *ps = &pr->p->strings;
    const char *kind = strpool_get(ps, k->kind), *name = strpool_get(ps, k->name);
    kind = kind ? kind : "";
    name = name ? name : "";
    const char *colon = strchr(kind, ':');
    size_t klen = colon ? (size_t)(colon - kind) : strlen(kind);
    char *key = xmalloc(klen + strlen(name) + 2);
    memcpy(key, kind, klen);
    key[klen] = '\1';
    strcpy(key + klen + 1, name);
    uint32_t id = strpool_intern(&b->names, key, strlen(key));
    xfree(key);
    int created;
    uint64_t *slot = map_put(&b->index, id, 0, &created);
    if (created) {
        struct mark_group g = {
            .kind = xstrndup(kind, klen), .name = xstrdup(name), .pid = pr->p->pid};
        uint32_t kid = strpool_intern(&b->names, kind, klen);
        int kcreated;
        uint64_t *rank = map_put(&b->kinds, kid, 0, &kcreated);
        /* tests first, then kinds in the order first seen */
        if (kcreated) *rank = strcmp(g.kind, "test") == 0 ? 0 : ++b->nkinds;
        ARRAY_PUSH(b->v, b->n, b->cap) = g;
        xgrow(&b->order, &b->ordercap, b->n, sizeof(*b->order));
        b->order[b->n - 1] = *rank << 32 | (b->n - 1);
        *slot = b->n;
    }
    struct mark_group *g = &b->v[*slot - 1];
    k->group = (uint32_t)(*slot - 1);
    k->phase = (uint32_t)phase_of(g, colon ? colon + 1 : "");
    struct mark_phase *ph = &g->phases[k->phase];
    uint64_t span = (uint64_t)(k->end - k->start);
    ph->count++;
    ph->incomplete += !k->complete;
    ph->total_ns += span;
    if (span > ph->max_ns) ph->max_ns = span;
    ph->queries += k->queries;
    ph->slow_calls += k->slow_calls;
    if (k->longest_call && (!ph->longest || k->longest_ns > ph->longest->longest_ns)) {
        ph->longest = k;
        ph->longest_pr = pr;
    }
    for (int p = 0; p < TIME_PARTS; p++)
        ph->part_ns[p] += k->part_ns[p];
    g->total_ns += span;
    g->queries += k->queries;
}

static int cmp_stmt(const void *a, const void *b)
{
    const struct mark_statement *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->fp < y->fp ? -1 : x->fp > y->fp;
}

static const uint64_t *sort_order;

static int cmp_group(const void *a, const void *b)
{
    uint64_t x = sort_order[*(const size_t *)a], y = sort_order[*(const size_t *)b];
    return x < y ? -1 : x > y;
}

void mark_groups_build(struct analysis *a)
{
    struct building b = {0};
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nmarks; k++)
            add_mark(&b, pr, &pr->marks[k]);
    }
    /* Statements by phase: each mark's executions of each query. */
    for (size_t i = 0; i < a->nprocs; i++) {
        const struct proc_report *pr = &a->procs[i];
        for (size_t s = 0; s < pr->mark_counts.cap; s++) {
            const struct map_slot *e = &pr->mark_counts.slots[s];
            if (!e->used || e->a >= pr->nmarks || e->b >= pr->nqueries) continue;
            const struct mark *k = &pr->marks[e->a];
            const struct query *q = &pr->queries[e->b];
            int created;
            uint64_t *c = map_put(&b.stmts, (uint64_t)k->group << 16 | k->phase, q->fp, &created);
            *c += e->value;
            if (created) {
                struct mark_phase *ph = &b.v[k->group].phases[k->phase];
                ph->stmts = xrealloc(ph->stmts, (ph->nstmts + 1) * sizeof(*ph->stmts));
                ph->stmts[ph->nstmts++] = (struct mark_statement){q->fp, q->normalized, 0};
            }
        }
    }
    for (size_t g = 0; g < b.n; g++)
        for (size_t p = 0; p < b.v[g].nphases; p++) {
            struct mark_phase *ph = &b.v[g].phases[p];
            for (size_t s = 0; s < ph->nstmts; s++)
                ph->stmts[s].count = *map_get(&b.stmts, (uint64_t)g << 16 | p, ph->stmts[s].fp);
            xsort(ph->stmts, ph->nstmts, sizeof(*ph->stmts), cmp_stmt);
        }
    /* Sorted: the marks follow their group. */
    size_t *refs = xmalloc((b.n ? b.n : 1) * sizeof(*refs));
    size_t *to = xmalloc((b.n ? b.n : 1) * sizeof(*to));
    for (size_t g = 0; g < b.n; g++)
        refs[g] = g;
    sort_order = b.order;
    xsort(refs, b.n, sizeof(*refs), cmp_group);
    sort_order = NULL;
    struct mark_group *sorted = xmalloc((b.n ? b.n : 1) * sizeof(*sorted));
    for (size_t g = 0; g < b.n; g++) {
        sorted[g] = b.v[refs[g]];
        to[refs[g]] = g;
    }
    for (size_t i = 0; i < a->nprocs; i++)
        for (size_t k = 0; k < a->procs[i].nmarks; k++)
            a->procs[i].marks[k].group = (uint32_t)to[a->procs[i].marks[k].group];
    xfree(refs);
    xfree(to);
    xfree(b.v);
    xfree(b.order);
    map_free(&b.index);
    map_free(&b.kinds);
    map_free(&b.stmts);
    strpool_free(&b.names);
    a->mark_groups = sorted;
    a->nmark_groups = b.n;
}

void mark_groups_free(struct mark_group *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < v[i].nphases; p++) {
            xfree(v[i].phases[p].name);
            xfree(v[i].phases[p].stmts);
        }
        xfree(v[i].phases);
        xfree(v[i].kind);
        xfree(v[i].name);
    }
    xfree(v);
}

const struct mark_phase *mark_group_phase(const struct mark_group *g, const char *phase)
{
    for (size_t i = 0; i < g->nphases; i++)
        if (strcmp(g->phases[i].name, phase) == 0) return &g->phases[i];
    return NULL;
}
