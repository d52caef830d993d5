/* SPDX-License-Identifier: MIT */
/*
 * concurrency.c - runs the concurrency detectors on a process's wake
 * links (see concurrency.h), then keeps only what the report needs: their
 * findings and the roles of the objects waited on.
 */
#include "conc/concurrency.h"

#include "base/util.h"
#include "log/calls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conc_report *conc_analyze(struct wakes *w, uint64_t slow_ns,
                                 const struct thread_time *threads, size_t nthreads)
{
    struct conc_report *c = xcalloc(1, sizeof(*c));
    wakes_close(w, &c->links);
    c->work_left = CONC_WORK(c->links.p->len);
    find_pools(c, &c->links, slow_ns);
    find_tpools(c, &c->links, slow_ns);
    find_gil(c, threads, nthreads);
    return c;
}

void conc_trim(struct conc_report *c)
{
    struct wake_data *d = &c->links;
    xfree(d->threads);
    xfree(d->waits);
    xfree(d->wakes);
    xfree(d->runs);
    xfree(d->conns);
    d->threads = NULL;
    d->waits = NULL;
    d->wakes = NULL;
    d->runs = NULL;
    d->conns = NULL;
    d->nthreads = d->nwaits = d->nwakes = d->nruns = d->nconns = 0;
}

int conc_spend(struct conc_report *c, uint64_t steps)
{
    if (steps <= c->work_left) {
        c->work_left -= steps;
        return 1;
    }
    process_note(c->links.p,
                 "the pool and thread pool detectors stopped after %llu steps, the most they "
                 "take for a log of %zu bytes: some findings of theirs may be missing",
                 (unsigned long long)CONC_WORK(c->links.p->len), c->links.p->len);
    c->work_left = 0;
    return 0;
}

void conc_report_free(struct conc_report *c)
{
    if (!c) return;
    wake_data_free(&c->links);
    xfree(c->pools);
    xfree(c->tpools);
    if (c->gil) xfree(c->gil->threads);
    xfree(c->gil);
    xfree(c);
}

enum wait_role conc_lock_role(const struct conc_report *c, uint64_t addr, int kind)
{
    if (!c) return kind == LOCK_MUTEX || kind == LOCK_RWLOCK ? WAIT_LOCK : WAIT_PARK;
    return wake_role(&c->links, addr, kind);
}

const char *pool_resource(const struct ws_process *p, const struct pool_ex *x, char *buf,
                          size_t len)
{
    const char *what = strpool_get(&p->strings, x->resource);
    const char *db = x->postgres ? "postgres" : "sqlite";
    if (what && *what)
        snprintf(buf, len, "%s connections to %s", db, what);
    else
        snprintf(buf, len, "%s connections", db);
    return buf;
}
