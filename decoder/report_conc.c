/*
 * report_conc.c - the JSON fields of the concurrency findings
 * (pool_exhaustion, thread_pool_exhaustion, gil_contention), written by
 * report_json.c after the fields every finding has.  Documented in
 * docs/report-json.md.
 */
#include "report_conc.h"

#include "sites.h"

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
    json_key(j, "db");
    json_str(j, x->postgres ? "postgres" : "sqlite");
    json_key(j, "resource");
    json_str(j, pool_resource(f->pr->p, x, what, sizeof(what)));
    json_key(j, "pool_size");
    json_uint(j, x->pool_size);
    json_key(j, "waiters");
    json_uint(j, x->waiters);
    json_key(j, "threads");
    json_uint(j, x->threads);
    json_key(j, "wait_total_ns");
    json_uint(j, x->wait_total_ns);
    json_key(j, "wait_max_ns");
    json_uint(j, x->wait_max_ns);
    where(j, f, x->caller);
}

static void tpool(struct json *j, const struct finding *f)
{
    const struct tpool_ex *x = f->tpool;
    char key[16];
    json_key(j, "workers");
    json_uint(j, x->workers);
    json_key(j, "queue");
    json_hex(j, x->queue);
    json_key(j, "queue_kind");
    json_str(j, lock_kind_name((enum lock_kind)x->queue_kind));
    json_key(j, "saturated_ns");
    json_uint(j, x->saturated_ns);
    json_key(j, "waits");
    json_uint(j, x->waits);
    json_key(j, "wait_total_ns");
    json_uint(j, x->wait_total_ns);
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
        json_key(j, "tid");
        json_uint(j, t->tid);
        const char *name = strpool_get(&f->pr->p->strings, t->name);
        json_key(j, "name");
        json_str(j, name && *name ? name : NULL);
        json_key(j, "wait_ns");
        json_uint(j, t->wait_ns);
        json_key(j, "wall_ns");
        json_uint(j, t->wall_ns);
        json_key(j, "share");
        json_ratio(j, t->wait_ns, t->wall_ns);
        json_end_object(j);
    }
    json_end_array(j);
    json_key(j, "wait_total_ns");
    json_uint(j, x->wait_total_ns);
    json_key(j, "thread_ns");
    json_uint(j, x->thread_ns);
    json_key(j, "share");
    json_ratio(j, x->wait_total_ns, x->thread_ns);
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
