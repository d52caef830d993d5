/*
 * gil.c - gil_contention: the time a Python process's threads spent
 * waiting for the GIL, CPython's global interpreter lock, which lets one
 * thread at a time run Python code.
 *
 * A thread that wants the GIL waits on its mutex and then on its
 * condition variable in steps of the switch interval (5 ms), asking the
 * holder to let go; every such wait, on any object inside _PyRuntime
 * (wakes.h), counts.  A thread's share is its waiting over its wall time;
 * the process's, every thread's waiting over every thread's wall time.
 * The finding needs GIL_MIN_PERCENT of the thread time and GIL_MIN_NS.
 * It lists the CPU-bound threads that took turns on the GIL: those that
 * waited GIL_THREAD_PERCENT of their own time or more for it, and spent
 * most of their time running or waiting to run (outside any recorded
 * call but the GIL waits); not a thread that mostly waited for other
 * things (I/O, a join) and met a busy GIL when it came back.
 */
#include "concurrency.h"

#include "util.h"

#include <stdlib.h>

static int cmp_gil_thread(const void *a, const void *b)
{
    const struct gil_thread *x = a, *y = b;
    if (x->wait_ns != y->wait_ns) return x->wait_ns > y->wait_ns ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void find_gil(struct conc_report *c, const struct wake_data *d)
{
    if (!d->has_gil) return;
    uint64_t wait = 0, wall = 0;
    for (size_t i = 0; i < d->nthreads; i++) {
        wait += d->threads[i].gil_wait_ns;
        wall += (uint64_t)(d->threads[i].end - d->threads[i].start);
    }
    if (wait < GIL_MIN_NS ||
        (unsigned __int128)wait * 100 < (unsigned __int128)wall * GIL_MIN_PERCENT)
        return;

    struct gil_ex *g = xcalloc(1, sizeof(*g));
    g->wait_total_ns = wait;
    g->thread_ns = wall;
    size_t cap = 0;
    for (size_t i = 0; i < d->nthreads; i++) {
        const struct wk_thread *t = &d->threads[i];
        uint64_t own = (uint64_t)(t->end - t->start);
        uint64_t off_calls = own > t->calls_ns ? own - t->calls_ns : 0;
        if (t->gil_wait_ns == 0 ||
            (unsigned __int128)t->gil_wait_ns * 100 < (unsigned __int128)own * GIL_THREAD_PERCENT ||
            (off_calls + t->gil_wait_ns) * 2 < own)
            continue;
        const struct ws_thread *rec = process_find_thread(d->p, t->serial);
        struct gil_thread gt = {
            .tid = t->tid, .name = rec ? rec->name : 0, .wait_ns = t->gil_wait_ns, .wall_ns = own};
        ARRAY_PUSH(g->threads, g->nthreads, cap) = gt;
    }
    xsort(g->threads, g->nthreads, sizeof(*g->threads), cmp_gil_thread);
    c->gil = g;
}
