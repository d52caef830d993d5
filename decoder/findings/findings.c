/* SPDX-License-Identifier: MIT */
/*
 * findings.c - turning statistics into findings: slow syscalls from the
 * groups analyze.c made of them (one per call and target), lock
 * contention from its lock statistics (only locks whose role is a lock:
 * wakes.h); the database findings are made in findings_db.c, the event
 * loop stalls in findings_stall.c, the concurrency ones in
 * findings_conc.c.  All are then ordered by severity, then cost.
 */
#include "findings/findings.h"

#include "base/units.h"
#include "analysis/programs.h"
#include "base/util.h"
#include "symbols/lock_name.h"
#include "symbols/symbolize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *finding_kind_name(enum finding_kind kind)
{
    switch (kind) {
    case FINDING_SLOW_SYSCALL:
        return "slow_syscall";
    case FINDING_LOCK_CONTENTION:
        return "lock_contention";
    case FINDING_N_PLUS_ONE:
        return "n_plus_one";
    case FINDING_EVENT_LOOP_STALL:
        return "event_loop_stall";
    case FINDING_POOL_EXHAUSTION:
        return "pool_exhaustion";
    case FINDING_THREAD_POOL_EXHAUSTION:
        return "thread_pool_exhaustion";
    case FINDING_GIL_CONTENTION:
        return "gil_contention";
    case FINDING_SLOW_QUERY:
        return "slow_query";
    case FINDING_CPU_STARVATION:
        return "cpu_starvation";
    case FINDING_IPC_CONTENTION:
        return "ipc_contention";
    case FINDING_HTTP_N_PLUS_ONE:
        return "n_plus_one_http";
    default:
        return "repeated_query";
    }
}

const char *finding_severity(uint64_t cost_ns, int64_t duration_ns)
{
    unsigned __int128 cost = cost_ns, dur = duration_ns > 0 ? (uint64_t)duration_ns : 0;
    if (cost * 10 >= dur) return "high";
    if (cost * 100 >= dur) return "medium";
    return "low";
}

struct finding *finding_add(struct findings *fs, enum finding_kind kind,
                            const struct proc_report *pr)
{
    struct finding f = {.kind = kind, .pr = pr, .a = fs->a};
    ARRAY_PUSH(fs->v, fs->n, fs->cap) = f;
    return &fs->v[fs->n - 1];
}

static void slow_syscalls(struct findings *fs, const struct proc_report *pr)
{
    const struct ws_process *p = pr->p;
    char thr[UNITS_BUF], max[UNITS_BUF], total[UNITS_BUF];

    fmt_dur(fs->a->slow_ns, thr);
    for (size_t i = 0; i < pr->nslow; i++) {
        const struct slow_group *g = &pr->slow[i];
        struct finding *f = finding_add(fs, FINDING_SLOW_SYSCALL, pr);
        f->call = g->call;
        f->target = strpool_get(&p->strings, g->target);
        f->target_id = g->target;
        f->count = g->count;
        f->max_ns = g->max_ns;
        f->total_ns = g->total_ns;
        f->tid = g->tid;
        f->caller = g->caller;
        f->stack = &g->stack;
        f->cost_ns = f->total_ns;
        f->severity = finding_severity(f->cost_ns, p->duration_ns);
        snprintf(f->summary, sizeof(f->summary),
                 "%" PRIu64 " %s call%s%s%s took \u2265%s (max %s, total %s)", f->count,
                 call_name(f->call), f->count == 1 ? "" : "s", f->target ? " on " : "",
                 f->target ? f->target : "", thr, fmt_dur(f->max_ns, max),
                 fmt_dur(f->total_ns, total));
    }
}

/* CPython's GIL is not a lock_contention finding: it has one of its own. */
static void lock_contention(struct findings *fs, const struct proc_report *pr)
{
    char total[UNITS_BUF], max[UNITS_BUF], name[256];

    for (size_t i = 0; i < pr->nlocks; i++) {
        const struct lock_stat *l = &pr->locks[i];
        if (l->role != WAIT_LOCK || !l->contended || l->wait_total_ns < fs->a->slow_ns) continue;
        struct finding *f = finding_add(fs, FINDING_LOCK_CONTENTION, pr);
        f->lock = l;
        f->tid = l->longest_tid;
        f->caller = l->caller;
        f->stack = &l->stack;
        f->cost_ns = l->wait_total_ns;
        f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);
        snprintf(f->summary, sizeof(f->summary),
                 "%s %s: %" PRIu64 " contended wait%s by %u thread%s, %s in total (max %s)",
                 lock_kind_name(l->kind), lock_name(pr->p, l->addr, NULL, name, sizeof(name)),
                 l->contended, l->contended == 1 ? "" : "s", l->threads, l->threads == 1 ? "" : "s",
                 fmt_dur(l->wait_total_ns, total), fmt_dur(l->wait_max_ns, max));
    }
}

static int starved(const struct proc_report *pr)
{
    const struct time_total *t = &pr->time_total;
    return t->runq_ns >= STARVATION_MIN_NS &&
           (unsigned __int128)t->runq_ns * 100 >=
               (unsigned __int128)t->wall_ns * STARVATION_MIN_PERCENT;
}

/* Threads that were runnable but not running a good share of their time:
 * the machine's CPUs were busy with other work.  The starved processes of
 * one program make one finding (8 busy backends of a database server are
 * one fact), on the most starved of them. */
static void cpu_starvation(struct findings *fs, const struct analysis *a)
{
    char *done = xcalloc(a->nprocs ? a->nprocs : 1, 1);
    for (size_t i = 0; i < a->nprocs; i++) {
        if (done[i] || !starved(&a->procs[i])) continue;
        const char *name = program_name(&a->procs[i]);
        uint64_t runq = 0, wall = 0;
        size_t n = 0, most = i;
        for (size_t k = i; k < a->nprocs; k++) {
            if (done[k] || !starved(&a->procs[k]) || strcmp(program_name(&a->procs[k]), name))
                continue;
            done[k] = 1;
            n++;
            runq += a->procs[k].time_total.runq_ns;
            wall += a->procs[k].time_total.wall_ns;
            if (a->procs[k].time_total.runq_ns > a->procs[most].time_total.runq_ns) most = k;
        }
        const struct proc_report *pr = &a->procs[most];
        struct finding *f = finding_add(fs, FINDING_CPU_STARVATION, pr);
        uint64_t longest = 0;
        for (size_t k = 0; k < pr->nthread_times; k++)
            if (pr->thread_times[k].runq_ns > longest) {
                longest = pr->thread_times[k].runq_ns;
                f->tid = pr->thread_times[k].tid;
            }
        f->processes = n;
        f->cost_ns = f->total_ns = runq;
        f->thread_ns = wall;
        f->severity = finding_severity(pr->time_total.runq_ns, pr->p->duration_ns);
        char total[UNITS_BUF], who[96] = "its threads";
        unsigned pct = (unsigned)(((unsigned __int128)runq * 100 + wall / 2) / wall);
        if (n > 1) snprintf(who, sizeof(who), "the threads of %zu %s processes", n, name);
        snprintf(f->summary, sizeof(f->summary),
                 "%s were ready to run but waited for a CPU %s in all, %u %% of their time: "
                 "the machine's CPUs were busy with other work; the times of their calls and "
                 "of the other findings include these waits (the RQ column of the threads)",
                 who, fmt_dur(runq, total), pct);
    }
    xfree(done);
}

/* Processes that waited for each other on semaphores or futexes in
 * shared memory (ipc.h): one finding per shared mapping, on the process
 * that waited most there. */
static void ipc_contention(struct findings *fs, const struct analysis *a)
{
    for (size_t i = 0; i < a->nipc; i++) {
        const struct ipc_group *g = &a->ipc[i];
        if (g->wait_ns < a->slow_ns) continue;
        const struct proc_report *pr = &a->procs[g->most];
        struct finding *f = finding_add(fs, FINDING_IPC_CONTENTION, pr);
        f->ipc = g;
        f->count = g->waits;
        f->cost_ns = f->total_ns = g->wait_ns;
        /* Its thread and site: those of its object waited on most. */
        uint64_t own = 0, top = 0;
        for (size_t k = 0; k < pr->nlocks; k++) {
            const struct lock_stat *l = &pr->locks[k];
            if (l->role != WAIT_IPC) continue;
            own += l->wait_total_ns;
            if (l->wait_total_ns >= top) {
                top = l->wait_total_ns;
                f->tid = l->longest_tid;
                f->caller = l->caller;
            }
        }
        f->severity = finding_severity(own, pr->p->duration_ns);
        char total[UNITS_BUF];
        snprintf(f->summary, sizeof(f->summary),
                 "%zu %s processes waited %s in %" PRIu64 " waits on semaphores or futexes in "
                 "shared memory (%s), released by each other: lock contention between "
                 "processes%s",
                 g->processes, g->program, fmt_dur(g->wait_ns, total), g->waits,
                 g->path && g->path[0] ? g->path : "anonymous",
                 strcmp(g->program, "postgres") == 0
                     ? " (PostgreSQL's lightweight locks: pg_stat_activity's wait_event names "
                       "which)"
                     : "");
    }
}

/* high first: severity is a finding's share of its process's life. */
static int severity_rank(const char *severity)
{
    return severity[0] == 'h' ? 0 : severity[0] == 'm' ? 1 : 2;
}

/* By severity, then cost: a short process's high finding is worth
 * reading before a long one's low finding that cost more. */
static int cmp_finding(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    int sx = severity_rank(x->severity), sy = severity_rank(y->severity);
    if (sx != sy) return sx < sy ? -1 : 1;
    if (x->cost_ns != y->cost_ns) return x->cost_ns > y->cost_ns ? -1 : 1;
    if (x->pr->p->pid != y->pr->p->pid) return x->pr->p->pid < y->pr->p->pid ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->summary, y->summary);
}

/* A finding whose stack went through JIT code (Node's JavaScript, named
 * by its perf map) is named by the innermost frame of the program's own
 * code there, as a Python finding is by its Python line: not the
 * runtime's ("node:fs"), nor code with no file. */
static void jit_sites(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        struct finding *f = &fs->v[i];
        if (!f->stack || py_is_site(f->caller)) continue;
        for (uint32_t k = 0; k < f->stack->n; k++) {
            const struct sym_code *c = sym_code(f->pr->p, f->stack->frames[k]);
            if (c->module && strcmp(c->module, "[jit]") == 0 && c->file && c->file[0] != '<' &&
                strncmp(c->file, "node:", 5) != 0) {
                f->caller = f->stack->frames[k];
                break;
            }
        }
    }
}

/* Where the finding's events happened (attribute.h), in endpoints
 * (marks 0) or in marks (marks 1). */
static void find_groups(struct finding *f, int marks, struct in_groups *out)
{
    const struct proc_report *pr = f->pr;
    switch (f->kind) {
    case FINDING_SLOW_SYSCALL:
        in_groups_of_key(pr, marks, tally_call_key(f->call, f->target_id), out);
        break;
    case FINDING_LOCK_CONTENTION:
        in_groups_of_key(pr, marks, tally_lock_key(f->lock->kind, f->lock->addr), out);
        break;
    case FINDING_REPEATED_QUERY:
    case FINDING_SLOW_QUERY:
        in_groups_of_query(pr, marks, (uint32_t)(f->query - pr->queries), out);
        break;
    case FINDING_N_PLUS_ONE: /* (its endpoints by their own rule: endpoints.h) */
        if (marks) in_groups_of_query(pr, marks, f->loop->child, out);
        break;
    case FINDING_EVENT_LOOP_STALL:
        in_groups_at(pr, marks, f->stall->serial, f->stall->at_ns, out);
        break;
    default:
        break;
    }
}

/* "GET /albums/{id}", or "test tests/test_a.py::test_b (call)". */
static const char *group_name(const struct finding *f, int marks, const struct group_count *c,
                              char *buf, size_t len)
{
    if (!marks) return endpoint_name(&f->a->endpoints[c->group], buf, len);
    const struct mark_group *g = &f->a->mark_groups[c->group];
    const char *phase = g->phases[c->phase].name;
    snprintf(buf, len, "%s %s%s%s%s", g->kind, g->name, *phase ? " (" : "", phase,
             *phase ? ")" : "");
    return buf;
}

/* Where the finding's events happened, appended to its summary: "; all
 * in GET /albums/{id}", "; in test t.py::test_b (call)". */
static void name_groups(struct finding *f, int marks)
{
    struct in_groups *in = marks ? &f->in_marks : &f->in;
    find_groups(f, marks, in);
    if (!in->n || (f->kind == FINDING_N_PLUS_ONE && !marks)) return;
    uint64_t events = f->kind == FINDING_LOCK_CONTENTION ? f->lock->contended : f->count;
    char name[1200], more[96] = "", text[1400];
    const struct group_count *top = &in->v[0];
    group_name(f, marks, top, name, sizeof(name));
    if (in->n > 1)
        snprintf(
            more, sizeof(more), ", %" PRIu64 " in %zu other%s", in->total - top->count, in->n - 1,
            marks ? (in->n == 2 ? " mark" : " marks") : (in->n == 2 ? " endpoint" : " endpoints"));
    if (f->kind == FINDING_EVENT_LOOP_STALL)
        snprintf(text, sizeof(text), "; the longest %s %s", marks ? "in" : "while serving", name);
    else if (f->kind == FINDING_REPEATED_QUERY || f->kind == FINDING_SLOW_QUERY ||
             f->kind == FINDING_N_PLUS_ONE)
        snprintf(text, sizeof(text), "; the statement ran %" PRIu64 " time%s in %s%s", top->count,
                 top->count == 1 ? "" : "s", name, more);
    else if (in->n == 1 && top->count == events)
        snprintf(text, sizeof(text), "; all in %s", name);
    else
        snprintf(text, sizeof(text), "; %" PRIu64 " in %s%s", top->count, name, more);
    size_t len = strlen(f->summary);
    snprintf(f->summary + len, sizeof(f->summary) - len, "%s", text);
}

void find_findings(struct findings *fs, const struct analysis *a)
{
    memset(fs, 0, sizeof(*fs));
    fs->a = a;
    for (size_t i = 0; i < a->nprocs; i++) {
        slow_syscalls(fs, &a->procs[i]);
        lock_contention(fs, &a->procs[i]);
        find_db_findings(fs, &a->procs[i]);
        find_stall_findings(fs, &a->procs[i]);
        find_conc_findings(fs, &a->procs[i]);
    }
    cpu_starvation(fs, a);
    ipc_contention(fs, a);
    find_http_findings(fs, a);
    for (size_t i = 0; i < fs->n; i++) {
        name_groups(&fs->v[i], 0);
        name_groups(&fs->v[i], 1);
    }
    jit_sites(fs);
    xsort(fs->v, fs->n, sizeof(*fs->v), cmp_finding);
}

void findings_free(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        in_groups_free(&fs->v[i].in);
        in_groups_free(&fs->v[i].in_marks);
    }
    xfree(fs->v);
    memset(fs, 0, sizeof(*fs));
}
