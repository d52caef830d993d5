/* SPDX-License-Identifier: MIT */
/*
 * findings_conc.c - the concurrency findings of a process, from what
 * concurrency.h's detectors found: pool_exhaustion, thread_pool_exhaustion
 * and gil_contention, each with a summary that says what happened, what
 * it cost, and what to do about it.  Their cost is the time threads
 * waited, so they rank with the other findings by time.
 */
#include "base/units.h"
#include "findings/findings.h"
#include "symbols/symbolize.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void pool(struct findings *fs, const struct proc_report *pr, const struct pool_ex *x)
{
    char what[320], total[UNITS_BUF], max[UNITS_BUF], all[32];
    struct finding *f = finding_add(fs, FINDING_POOL_EXHAUSTION, pr);
    f->pool = x;
    f->tid = x->tid;
    f->caller = x->caller;
    f->cost_ns = x->wait_total_ns;
    f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);
    if (x->pool_size == 1)
        snprintf(all, sizeof(all), "it was");
    else if (x->pool_size == 2)
        snprintf(all, sizeof(all), "both were");
    else
        snprintf(all, sizeof(all), "all %u were", x->pool_size);
    snprintf(f->summary, sizeof(f->summary),
             "the pool of %u %s ran dry: %" PRIu64 " waits by %u thread%s for a connection while "
             "%s in use, %s in all (max %s): make the pool bigger, or hold each connection for "
             "less time (do not keep one across slow work that is not database work)",
             x->pool_size, pool_resource(pr->p, x, what, sizeof(what)), x->waiters, x->threads,
             x->threads == 1 ? "" : "s", all, fmt_dur(x->wait_total_ns, total),
             fmt_dur(x->wait_max_ns, max));
}

/* What busy workers did, for people. */
static const char *busy_words(int part)
{
    static const char *const words[TIME_PARTS] = {"on disk I/O",
                                                  "on network I/O",
                                                  "waiting for locks",
                                                  "in database calls",
                                                  "sleeping",
                                                  "waiting (poll, condition variables)",
                                                  "on CPU or untraced calls"};
    return part >= 0 && part < TIME_PARTS ? words[part] : "";
}

static void tpool(struct findings *fs, const struct proc_report *pr, const struct tpool_ex *x)
{
    char sat[UNITS_BUF], total[UNITS_BUF], busy[160] = "";
    struct finding *f = finding_add(fs, FINDING_THREAD_POOL_EXHAUSTION, pr);
    f->tpool = x;
    f->tid = x->tid;
    f->caller = x->caller;
    f->cost_ns = x->wait_total_ns;
    f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);

    /* The two biggest parts of the workers' busy time. */
    uint64_t all = 0;
    int top[2] = {-1, -1};
    for (int i = 0; i < TIME_PARTS; i++) {
        all += x->busy_ns[i];
        if (!x->busy_ns[i]) continue;
        if (top[0] < 0 || x->busy_ns[i] > x->busy_ns[top[0]]) {
            top[1] = top[0];
            top[0] = i;
        } else if (top[1] < 0 || x->busy_ns[i] > x->busy_ns[top[1]]) {
            top[1] = i;
        }
    }
    if (all && top[0] >= 0) {
        size_t o = (size_t)snprintf(busy, sizeof(busy), "; the workers were busy %s %u %%",
                                    busy_words(top[0]),
                                    (unsigned)((x->busy_ns[top[0]] * 100 + all / 2) / all));
        unsigned second = top[1] < 0 ? 0 : (unsigned)((x->busy_ns[top[1]] * 100 + all / 2) / all);
        if (second && o < sizeof(busy))
            snprintf(busy + o, sizeof(busy) - o, ", %s %u %%", busy_words(top[1]), second);
    }
    /* libuv's pool (Node's fs, dns.lookup, crypto, zlib) has 4 workers
     * unless the environment says otherwise. */
    const struct sym_code *site = x->caller ? sym_code(pr->p, x->caller) : NULL;
    int libuv = x->loop && site && site->function && strncmp(site->function, "uv_", 3) == 0;
    char every[24] = "both";
    if (x->workers != 2) snprintf(every, sizeof(every), "all %u", x->workers);
    snprintf(f->summary, sizeof(f->summary),
             "%s worker threads of %s were busy for %s in all while tasks were queued, "
             "and %s waited %s for results from them (%" PRIu64 " wait%s)%s: %s, or make each "
             "task shorter",
             every, libuv ? "libuv's thread pool" : "a pool", fmt_dur(x->saturated_ns, sat),
             x->loop ? "the event loop" : "threads", fmt_dur(x->wait_total_ns, total), x->waits,
             x->waits == 1 ? "" : "s", busy,
             libuv ? "set UV_THREADPOOL_SIZE higher in the program's environment (the tasks are "
                     "waiting for a free worker, not running)"
                   : "add workers (the tasks are waiting for a free one, not running)");
}

static unsigned percent(uint64_t part, uint64_t whole)
{
    return whole ? (unsigned)(((unsigned __int128)part * 100 + whole / 2) / whole) : 0;
}

static void gil(struct findings *fs, const struct proc_report *pr, const struct gil_ex *x)
{
    char total[UNITS_BUF], each[200] = "";
    struct finding *f = finding_add(fs, FINDING_GIL_CONTENTION, pr);
    f->gil = x;
    f->tid = x->nthreads ? x->threads[0].tid : 0;
    f->cost_ns = x->wait_total_ns;
    f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);
    size_t o = 0;
    for (size_t i = 0; i < x->nthreads && i < 4 && o < sizeof(each); i++)
        o += (size_t)snprintf(
            each + o, sizeof(each) - o, i ? ", tid %u %u %%" : "; tid %u waited %u %% of its time",
            x->threads[i].tid, percent(x->threads[i].wait_ns, x->threads[i].wall_ns));
    if (x->nthreads > 4 && o < sizeof(each)) snprintf(each + o, sizeof(each) - o, ", ...");
    char who[160];
    const char *advice, *fewer = "";
    if (x->nthreads > GIL_SHORT_LIVED * x->peak) {
        /* A thread per request or task: fewer threads would not help. */
        snprintf(who, sizeof(who),
                 "%zu CPU-bound Python threads, at most %zu alive at once, took turns on the GIL",
                 x->nthreads, x->peak);
        each[0] = '\0'; /* which of so many short ones waited most says little */
        advice = "the threads that serve requests or tasks run their Python code one at a "
                 "time: serve them with several processes (the server's workers: gunicorn "
                 "--workers, uvicorn --workers), or move the CPU-bound part to processes "
                 "(ProcessPoolExecutor) or to a C extension that releases the GIL";
    } else {
        if (x->nthreads)
            snprintf(who, sizeof(who), "%zu CPU-bound Python thread%s took turns on the GIL",
                     x->nthreads, x->nthreads == 1 ? "" : "s");
        else
            snprintf(who, sizeof(who), "Python threads waited for the GIL");
        advice = "only one thread runs Python code at a time: move the CPU-bound work to "
                 "processes (multiprocessing, ProcessPoolExecutor) or to a C extension that "
                 "releases the GIL";
        /* Fewer threads help only where many were alive together. */
        if (x->peak > 4) fewer = ", or use fewer threads";
    }
    snprintf(f->summary, sizeof(f->summary),
             "%s: threads waited %s for it, %u %% of the process's thread time%s; %s%s", who,
             fmt_dur(x->wait_total_ns, total), percent(x->wait_total_ns, x->thread_ns), each,
             advice, fewer);
}

void find_conc_findings(struct findings *fs, const struct proc_report *pr)
{
    const struct conc_report *c = pr->conc;
    if (!c) return;
    for (size_t i = 0; i < c->npools; i++)
        pool(fs, pr, &c->pools[i]);
    for (size_t i = 0; i < c->ntpools; i++)
        tpool(fs, pr, &c->tpools[i]);
    if (c->gil) gil(fs, pr, c->gil);
}
