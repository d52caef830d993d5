/* SPDX-License-Identifier: MIT */
/*
 * report_json.c - `whyslow report --json`: one JSON object, schema
 * "whyslow.report/2".  Every field is described in docs/report-json.md;
 * change both together, and bump the schema for incompatible changes.
 */
#include "findings/findings.h"
#include "report/json.h"
#include "report/report.h"
#include "report/report_conc.h"
#include "report/report_programs.h"
#include "report/report_time.h"
#include "report/sites.h"
#include "report/report_http.h"
#include "report/report_marks.h"
#include "sql/sql_fingerprint.h"
#include "symbols/lock_name.h"

#include <inttypes.h>
#include <stdio.h>

static void process(struct json *j, const struct proc_report *pr)
{
    const struct ws_process *p = pr->p;
    uint64_t uncontended = 0;
    for (size_t i = 0; i < p->nthreads; i++)
        uncontended += p->threads[i].uncontended;

    json_begin_object(j);
    json_kv_uint(j, "pid", p->pid);
    json_kv_uint(j, "ppid", p->ppid);
    json_kv_str(j, "exe", p->exe);
    json_key(j, "argv");
    json_begin_array(j);
    for (size_t i = 0; i < p->argc; i++)
        json_str(j, p->argv[i]);
    json_end_array(j);
    json_kv_uint(j, "start_unix_ns", p->start_unix_ns);
    json_kv_int(j, "duration_ns", p->duration_ns);
    json_kv_uint(j, "threads", p->thread_count);
    json_kv_uint(j, "events", p->nev);
    json_kv_uint(j, "lost_events", p->lost);
    json_kv_bool(j, "truncated", p->truncated);
    json_kv_str(j, "truncated_reason", p->truncated_reason);
    json_kv_str(j, "title", p->title);
    json_kv_str(j, "host", p->host);
    json_key(j, "python");
    if (p->py_version) {
        char v[32];
        snprintf(v, sizeof(v), "%u.%u.%u", (unsigned)(p->py_version >> 24 & 0xff),
                 (unsigned)(p->py_version >> 16 & 0xff), (unsigned)(p->py_version >> 8 & 0xff));
        json_begin_object(j);
        json_kv_str(j, "version", v);
        json_kv_bool(j, "frames", p->py_frames);
        json_end_object(j);
    } else {
        json_null(j);
    }
    json_key(j, "end");
    if (p->has_end) {
        json_begin_object(j);
        json_kv_str(j, "kind", process_end_kind_name(p->end_kind));
        json_key(j, "status");
        if (p->end_status == -1) /* unknown, as when main returns */
            json_null(j);
        else
            json_int(j, p->end_status);
        json_end_object(j);
    } else {
        json_null(j);
    }
    json_key(j, "gone_ns");
    if (!p->has_end && p->gone)
        json_uint(j, p->gone_ts);
    else
        json_null(j);
    json_key(j, "waited_for");
    json_begin_array(j);
    for (size_t i = 0; i < pr->npipe_waits; i++) {
        const struct pipe_wait *w = &pr->pipe_waits[i];
        json_begin_object(j);
        json_kv_str(j, "program", w->program);
        json_key(j, "pids");
        json_begin_array(j);
        for (size_t k = 0; k < w->npids && k < PIPE_PIDS; k++)
            json_uint(j, w->pids[k]);
        json_end_array(j);
        json_kv_uint(j, "processes", w->npids);
        json_kv_uint(j, "reads", w->reads);
        json_kv_uint(j, "total_ns", w->total_ns);
        json_end_object(j);
    }
    json_end_array(j);
    json_kv_uint(j, "uncontended_locks", uncontended);
    report_json_process_time(j, pr);
    json_kv_str(j, "log", p->log);
    json_key(j, "notes");
    json_begin_array(j);
    for (size_t i = 0; i < p->nnotes; i++)
        json_str(j, p->notes[i]);
    json_end_array(j);
    json_end_object(j);
}

static void fingerprint(struct json *j, uint64_t fp)
{
    char buf[17];
    json_str(j, sql_fingerprint_hex(fp, buf));
}

/* Which statement: its database, fingerprint, normalized text and first
 * real text. */
static void statement(struct json *j, const struct query *q)
{
    json_kv_str(j, "db", db_name(q->db));
    json_key(j, "fingerprint");
    fingerprint(j, q->fp);
    json_kv_str(j, "normalized", q->normalized);
    json_kv_str(j, "example", q->example);
}

static void query(struct json *j, const struct proc_report *pr, struct query *q)
{
    json_begin_object(j);
    json_kv_uint(j, "pid", pr->p->pid);
    statement(j, q);
    json_kv_uint(j, "count", q->count);
    json_kv_uint(j, "total_ns", q->total_ns);
    json_kv_uint(j, "db_ns", q->db_ns);
    json_kv_uint(j, "p50_ns", hist_percentile(&q->hist, 50));
    json_kv_uint(j, "p99_ns", hist_percentile(&q->hist, 99));
    json_kv_uint(j, "max_ns", q->max_ns);
    json_kv_uint(j, "rows", q->rows);
    json_kv_uint(j, "errors", q->errors);
    json_end_object(j);
}

static void syscall(struct json *j, const struct proc_report *pr, struct call_stat *cs)
{
    json_begin_object(j);
    json_kv_uint(j, "pid", pr->p->pid);
    json_kv_str(j, "call", call_name(cs->call));
    json_kv_uint(j, "count", cs->count);
    json_kv_uint(j, "errors", cs->errors);
    json_kv_uint(j, "bytes", cs->bytes);
    json_kv_uint(j, "total_ns", cs->total_ns);
    json_kv_uint(j, "p50_ns", hist_percentile(&cs->hist, 50));
    json_kv_uint(j, "p99_ns", hist_percentile(&cs->hist, 99));
    json_kv_uint(j, "max_ns", cs->max_ns);
    json_key(j, "histogram");
    json_begin_array(j);
    for (int b = 0; b < HIST_BUCKETS; b++) {
        if (!cs->hist.buckets[b]) continue;
        json_begin_array(j);
        json_int(j, b);
        json_uint(j, cs->hist.buckets[b]);
        json_end_array(j);
    }
    json_end_array(j);
    json_end_object(j);
}

/* The fields a lock and a lock_contention finding share; kind_key is
 * "kind" in locks[] and "lock_kind" in findings[] (where "kind" is the
 * finding's). */
static void lock_fields(struct json *j, const struct proc_report *pr, const struct lock_stat *l,
                        const char *kind_key)
{
    char name[256];
    json_kv_str(j, "lock", lock_name(pr->p, l->addr, lock_kind_name(l->kind), name, sizeof(name)));
    if (sym_is_gil(pr->p, l->addr)) {
        json_kv_bool(j, "gil", 1);
    }
    json_kv_hex(j, "addr", l->addr);
    json_key(j, kind_key);
    json_str(j, lock_kind_name(l->kind));
    json_key(j, "site");
    site_json(j, sym_code(pr->p, l->caller));
    json_key(j, "caller");
    if (l->caller)
        json_hex(j, l->caller);
    else
        json_null(j);
    json_kv_uint(j, "contended", l->contended);
    json_kv_uint(j, "wait_total_ns", l->wait_total_ns);
    json_kv_uint(j, "wait_max_ns", l->wait_max_ns);
    json_kv_uint(j, "threads", l->threads);
    json_kv_str(j, "role", wait_role_name(l->role));
    if (pr->all_locks && (l->kind == LOCK_MUTEX || l->kind == LOCK_RWLOCK)) {
        json_kv_uint(j, "acquisitions", l->acquisitions);
        json_kv_uint(j, "hold_total_ns", l->hold_total_ns);
        json_kv_uint(j, "hold_max_ns", l->hold_max_ns);
    }
}

static void lock(struct json *j, const struct proc_report *pr, const struct lock_stat *l)
{
    json_begin_object(j);
    json_kv_uint(j, "pid", pr->p->pid);
    lock_fields(j, pr, l, "kind");
    json_end_object(j);
}

/* The fields of n_plus_one and repeated_query findings. */
static void db_finding_fields(struct json *j, const struct finding *f)
{
    const struct nplus1_loop *l = f->loop;
    const struct repeat *r = f->repeat;
    if (r) {
        json_key(j, "variant");
        if (r->unbatched)
            json_str(j, "unbatched_writes");
        else
            json_null(j);
    }
    json_kv_str(j, "db", db_name(f->query->db));
    json_kv_hex(j, "conn", l ? l->conn : r->conn);
    json_key(j, "fingerprint");
    fingerprint(j, f->query->fp);
    json_kv_str(j, "normalized", f->query->normalized);
    json_kv_str(j, "example", r ? r->example : f->query->example);
    json_kv_uint(j, "count", f->count);
    json_kv_uint(j, "total_ns", f->total_ns);
    if (l) {
        json_kv_uint(j, "loops", l->loops);
        json_key(j, "parent_fingerprint");
        fingerprint(j, f->parent->fp);
        json_kv_str(j, "parent_normalized", f->parent->normalized);
        json_kv_uint(j, "parent_rows", l->parent_rows);
        json_key(j, "site");
        site_json(j, sym_code(f->pr->p, f->caller));
        json_key(j, "parent_site");
        site_json(j, sym_code(f->pr->p, l->parent_caller));
        /* The endpoints whose requests ran it (endpoints.h). */
        json_key(j, "endpoints");
        json_begin_array(j);
        const struct endpoint_nplus1 *n;
        for (size_t e = 0, k = 0; f->a && (n = endpoint_nplus1_next(f->a, l, &e, &k));) {
            char name[1200];
            json_begin_object(j);
            json_kv_str(j, "endpoint", endpoint_name(&f->a->endpoints[e], name, sizeof(name)));
            report_json_nplus1_counts(j, n);
            json_end_object(j);
        }
        json_end_array(j);
    } else {
        json_key(j, r->unbatched ? "connections" : "parameter_sets");
        json_uint(j, r->groups);
        json_key(j, "site");
        site_json(j, sym_code(f->pr->p, f->caller));
    }
}

/* The finding's call stacks, innermost first: arrays of sites, native
 * and Python. */
static void stack(struct json *j, const struct finding *f)
{
    json_key(j, "stack");
    json_begin_array(j);
    for (uint32_t i = 0; f->stack && i < f->stack->n; i++)
        for (const struct sym_code *c = sym_code(f->pr->p, f->stack->frames[i]); c; c = c->outer)
            site_json(j, c);
    json_end_array(j);
    json_key(j, "py_stack");
    json_begin_array(j);
    for (uint32_t i = 0; f->stack && i < f->stack->npy; i++)
        site_json(j, sym_code(f->pr->p, f->stack->py[i]));
    json_end_array(j);
}

/* Where the finding's slowest call was made, and its call stack. */
static void site_and_stack(struct json *j, const struct finding *f)
{
    json_key(j, "site");
    site_json(j, sym_code(f->pr->p, f->caller));
    stack(j, f);
}

static void slow_query_fields(struct json *j, const struct finding *f)
{
    const struct slow_query *s = f->slowq;
    struct query *q = &f->pr->queries[s->qid];
    statement(j, q);
    json_kv_hex(j, "conn", s->conn);
    json_kv_uint(j, "count", s->count);
    json_kv_uint(j, "executions", q->count);
    json_kv_uint(j, "max_ns", s->max_ns);
    json_kv_uint(j, "total_ns", s->total_ns);
    json_kv_uint(j, "lib_ns", s->lib_ns);
    json_kv_uint(j, "p99_ns", hist_percentile(&q->hist, 99));
    site_and_stack(j, f);
}

static void ipc_fields(struct json *j, const struct finding *f)
{
    json_kv_str(j, "mapping", f->ipc->path);
    json_kv_str(j, "program", f->ipc->program);
    json_kv_uint(j, "processes", f->ipc->processes);
    json_kv_uint(j, "waits", f->ipc->waits);
    json_kv_uint(j, "wait_total_ns", f->ipc->wait_ns);
    json_key(j, "site");
    site_json(j, sym_code(f->pr->p, f->caller));
}

static void finding(struct json *j, const struct finding *f)
{
    json_begin_object(j);
    json_kv_str(j, "kind", finding_kind_name(f->kind));
    json_kv_str(j, "severity", f->severity);
    json_kv_uint(j, "pid", f->pr->p->pid);
    json_kv_uint(j, "tid", f->tid);
    json_kv_str(j, "summary", f->summary);
    if (f->kind == FINDING_SLOW_SYSCALL) {
        json_kv_str(j, "call", call_name(f->call));
        json_kv_str(j, "target", f->target);
        json_kv_uint(j, "count", f->count);
        json_kv_uint(j, "max_ns", f->max_ns);
        json_kv_uint(j, "total_ns", f->total_ns);
        site_and_stack(j, f);
    } else if (f->kind == FINDING_LOCK_CONTENTION) {
        lock_fields(j, f->pr, f->lock, "lock_kind");
        stack(j, f);
    } else if (f->kind == FINDING_IPC_CONTENTION) {
        ipc_fields(j, f);
    } else if (f->kind == FINDING_HTTP_N_PLUS_ONE) {
        char name[1200];
        const struct http_nplus1 *h = f->http;
        json_kv_str(j, "endpoint", endpoint_name(&f->a->called[h->called], name, sizeof(name)));
        json_key(j, "in_endpoint");
        if (h->served >= 0)
            json_str(j, endpoint_name(&f->a->endpoints[h->served], name, sizeof(name)));
        else
            json_null(j);
        json_kv_uint(j, h->served >= 0 ? "requests" : "loops", h->groups);
        json_kv_uint(j, "count", h->calls);
        json_kv_uint(j, "total_ns", h->total_ns);
        json_key(j, "site");
        site_json(j, sym_code(f->pr->p, f->caller));
    } else if (f->kind == FINDING_CPU_STARVATION) {
        json_kv_uint(j, "processes", f->processes);
        json_kv_uint(j, "runq_ns", f->total_ns);
        json_kv_uint(j, "thread_ns", f->thread_ns);
    } else if (f->kind == FINDING_SLOW_QUERY) {
        slow_query_fields(j, f);
    } else if (f->kind == FINDING_EVENT_LOOP_STALL) {
        report_json_stall(j, f);
        site_and_stack(j, f);
    } else if (!conc_finding_json(j, f)) {
        db_finding_fields(j, f);
    }
    if (f->in.n && f->kind != FINDING_N_PLUS_ONE) { /* where its events happened (attribute.h) */
        char name[1200];
        json_key(j, "endpoints");
        json_begin_array(j);
        for (size_t k = 0; k < f->in.n; k++) {
            json_begin_object(j);
            json_kv_str(j, "endpoint",
                        endpoint_name(&f->a->endpoints[f->in.v[k].group], name, sizeof(name)));
            json_kv_uint(j, "count", f->in.v[k].count);
            json_end_object(j);
        }
        json_end_array(j);
    }
    if (f->in_marks.n) {
        json_key(j, "marks");
        json_begin_array(j);
        for (size_t k = 0; k < f->in_marks.n; k++) {
            const struct mark_group *g = &f->a->mark_groups[f->in_marks.v[k].group];
            json_begin_object(j);
            json_kv_str(j, "kind", g->kind);
            json_kv_str(j, "name", g->name);
            json_kv_str(j, "phase", g->phases[f->in_marks.v[k].phase].name);
            json_kv_uint(j, "count", f->in_marks.v[k].count);
            json_end_object(j);
        }
        json_end_array(j);
    }
    json_end_object(j);
}

static void slow_call(struct json *j, const struct slow_ref *s)
{
    const struct ws_event *ev = s->ev;
    json_begin_object(j);
    json_kv_uint(j, "pid", s->pr->p->pid);
    json_kv_uint(j, "tid", ev->tid);
    json_kv_str(j, "call", call_name(ev->call));
    json_kv_str(j, "target", strpool_get(&s->pr->p->strings, ev->target));
    json_kv_uint(j, "dur_ns", ev->dur);
    json_kv_int(j, "result", ev->result);
    json_kv_uint(j, "errno", event_failed(ev) ? ev->err : 0);
    json_kv_int(j, "at_ns", ev->at);
    json_key(j, "site");
    site_json(j, sym_code(s->pr->p, ev->caller));
    json_end_object(j);
}

void report_json(FILE *f, struct analysis *a, const struct findings *fs)
{
    struct json j;
    json_init(&j, f);
    json_begin_object(&j);
    json_key(&j, "schema");
    json_str(&j, REPORT_SCHEMA);
    json_key(&j, "slow_ns");
    json_uint(&j, a->slow_ns);
    json_key(&j, "nplus1_min");
    json_uint(&j, a->nplus1_min);
    json_key(&j, "repeat_min");
    json_uint(&j, a->repeat_min);
    json_key(&j, "stall_ns");
    json_uint(&j, a->stall_ns);
    json_key(&j, "narrowed");
    if (a->narrowed) {
        json_begin_object(&j);
        json_kv_str(&j, "endpoint", a->narrowed_to);
        json_kv_uint(&j, "requests", a->narrowed);
        json_end_object(&j);
    } else {
        json_null(&j);
    }

    json_key(&j, "processes");
    json_begin_array(&j);
    for (size_t i = 0; i < a->nprocs; i++)
        process(&j, &a->procs[i]);
    json_end_array(&j);

    report_json_programs(&j, a);
    report_json_threads(&j, a);
    report_json_http(&j, a);
    report_json_marks(&j, a, fs);

    json_key(&j, "syscalls");
    json_begin_array(&j);
    for (size_t i = 0; i < a->nprocs; i++)
        for (size_t k = 0; k < a->procs[i].ncalls; k++)
            syscall(&j, &a->procs[i], &a->procs[i].calls[k]);
    json_end_array(&j);

    json_key(&j, "queries");
    json_begin_array(&j);
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nqueries; k++)
            query(&j, pr, &pr->queries[pr->query_order[k]]);
    }
    json_end_array(&j);

    json_key(&j, "locks");
    json_begin_array(&j);
    for (size_t i = 0; i < a->nprocs; i++)
        for (size_t k = 0; k < a->procs[i].nlocks; k++)
            lock(&j, &a->procs[i], &a->procs[i].locks[k]);
    json_end_array(&j);

    json_key(&j, "findings");
    json_begin_array(&j);
    for (size_t i = 0; i < fs->n; i++)
        finding(&j, &fs->v[i]);
    json_end_array(&j);

    json_key(&j, "slowest");
    json_begin_array(&j);
    for (size_t i = 0; i < a->nslowest; i++)
        slow_call(&j, &a->slowest[i]);
    json_end_array(&j);

    json_end_object(&j);
}
