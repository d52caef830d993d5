/* SPDX-License-Identifier: MIT */
/*
 * report_conc.c - the JSON fields of the concurrency findings
 * (pool_exhaustion, thread_pool_exhaustion, gil_contention), written by
 * report_json.c after the fields every finding has.  Documented in
 * docs/report-json.md.
 */
#include "report/report_conc.h"

#include "report/sites.h"

#include <inttypes.h>
#include <stdio.h>

/* Where most waits were made: its site, and the return address. */
static void where(struct json *j, const struct finding *f, uint64_t caller)
{
    json_key(j, "site");
    site_json(j, sym_code(f->pr->p, caller));
    json_key(j, "caller");
    if (caller)
        json_hex(j, caller);
    else
        json_null(j);
}

static void pool(struct json *j, const struct finding *f)
{
    const struct pool_ex *x = f->pool;
    char what[320];
    json_kv_str(j, "db", x->postgres ? "postgres" : "sqlite");
    json_kv_str(j, "resource", pool_resource(f->pr->p, x, what, sizeof(what)));
    json_kv_uint(j, "pool_size", x->pool_size);
    json_kv_uint(j, "waiters", x->waiters);
    json_kv_uint(j, "threads", x->threads);
    json_kv_uint(j, "wait_total_ns", x->wait_total_ns);
    json_kv_uint(j, "wait_max_ns", x->wait_max_ns);
    where(j, f, x->caller);
}

static void tpool(struct json *j, const struct finding *f)
{
    const struct tpool_ex *x = f->tpool;
    char key[16];
    json_kv_uint(j, "workers", x->workers);
    json_kv_hex(j, "queue", x->queue);
    json_kv_str(j, "queue_kind", lock_kind_name((enum lock_kind)x->queue_kind));
    json_kv_uint(j, "saturated_ns", x->saturated_ns);
    json_kv_uint(j, "waits", x->waits);
    json_kv_uint(j, "wait_total_ns", x->wait_total_ns);
    json_kv_bool(j, "waited_by_event_loop", x->loop);
    json_key(j, "busy_in");
    json_begin_object(j);
    for (int i = 0; i < TIME_PARTS; i++) {
        snprintf(key, sizeof(key), "%s_ns", time_part_name((enum time_part)i));
        json_key(j, key);
        json_uint(j, x->busy_ns[i]);
    }
    json_end_object(j);
    where(j, f, x->caller);
}

static void gil(struct json *j, const struct finding *f)
{
    const struct gil_ex *x = f->gil;
    json_key(j, "threads");
    json_begin_array(j);
    for (size_t i = 0; i < x->nthreads; i++) {
        const struct gil_thread *t = &x->threads[i];
        json_begin_object(j);
        json_kv_uint(j, "tid", t->tid);
        const char *name = strpool_get(&f->pr->p->strings, t->name);
        json_kv_str(j, "name", name && *name ? name : NULL);
        json_kv_uint(j, "wait_ns", t->wait_ns);
        json_kv_uint(j, "wall_ns", t->wall_ns);
        json_kv_ratio(j, "share", t->wait_ns, t->wall_ns);
        json_end_object(j);
    }
    json_end_array(j);
    json_kv_uint(j, "wait_total_ns", x->wait_total_ns);
    json_kv_uint(j, "thread_ns", x->thread_ns);
    json_kv_uint(j, "peak_threads", x->peak);
    json_kv_ratio(j, "share", x->wait_total_ns, x->thread_ns);
}

int conc_finding_json(struct json *j, const struct finding *f)
{
    switch (f->kind) {
    case FINDING_POOL_EXHAUSTION:
        pool(j, f);
        return 1;
    case FINDING_THREAD_POOL_EXHAUSTION:
        tpool(j, f);
        return 1;
    case FINDING_GIL_CONTENTION:
        gil(j, f);
        return 1;
    default:
        return 0;
    }
}
