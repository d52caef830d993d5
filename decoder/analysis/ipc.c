/* SPDX-License-Identifier: MIT */
/*
 * ipc.c - lock contention between processes (ipc.h).
 *
 * First every process's semaphores and futexes that it only parked on
 * (no post of its own woke them) and that lie in a shared mapping are
 * grouped by mapping; a mapping waited on by two processes or more is a
 * lock between them.  Then those objects' role becomes WAIT_IPC and their
 * waits' time moves back from wait to lock.
 */
#include "analysis/ipc.h"

#include "analysis/analyze.h"
#include "analysis/programs.h"
#include "base/hashmap.h"
#include "base/util.h"
#include "log/memmap.h"

/* The shared mapping a parked-on semaphore or futex of pr lies in. */
static const struct ws_mapping *shared_object(const struct proc_report *pr,
                                              const struct lock_stat *l)
{
    if ((l->kind != LOCK_SEM && l->kind != LOCK_FUTEX) || l->role != WAIT_PARK || !l->contended)
        return NULL;
    const struct ws_mapping *m = maps_find(&pr->p->maps, l->addr);
    return m && m->perms[3] == 's' ? m : NULL;
}

static uint64_t dev_of(const struct ws_mapping *m)
{
    return (uint64_t)m->dev_major << 32 | m->dev_minor;
}

/* is_lock() of breakdown_unpark(): pr's objects marked WAIT_IPC. */
static int marked(const void *ctx, uint64_t addr, int kind)
{
    const struct proc_report *pr = ctx;
    for (size_t i = 0; i < pr->nlocks; i++)
        if (pr->locks[i].addr == addr && (int)pr->locks[i].kind == kind)
            return pr->locks[i].role == WAIT_IPC;
    return 0;
}

void ipc_link(struct analysis *a)
{
    struct map index = {0}; /* (inode, device) -> group index + 1 */
    struct ipc_group *g = NULL;
    size_t ng = 0, cap = 0;
    /* Per group while counting: the last process counted (its index + 1),
     * its waits there, and the most any one process waited there. */
    struct tally {
        size_t last;
        uint64_t own, most;
    } *t = NULL;
    size_t nt = 0, tcap = 0;
    for (size_t i = 0; i < a->nprocs; i++) {
        const struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nlocks; k++) {
            const struct lock_stat *l = &pr->locks[k];
            const struct ws_mapping *m = shared_object(pr, l);
            if (!m) continue;
            int created;
            uint64_t *slot = map_put(&index, m->inode, dev_of(m), &created);
            if (created) {
                ARRAY_PUSH(g, ng, cap) = (struct ipc_group){.path = m->path, .most = i};
                ARRAY_PUSH(t, nt, tcap) = (struct tally){0};
                *slot = ng;
            }
            size_t x = *slot - 1;
            if (t[x].last != i + 1) {
                t[x] = (struct tally){.last = i + 1, .most = t[x].most};
                g[x].processes++;
            }
            t[x].own += l->wait_total_ns;
            if (t[x].own > t[x].most) {
                t[x].most = t[x].own;
                g[x].most = i;
            }
            g[x].waits += l->contended;
            g[x].wait_ns += l->wait_total_ns;
        }
    }
    xfree(t);
    /* Two processes or more: mark their objects, and give their time back
     * to lock. */
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        int any = 0;
        for (size_t k = 0; k < pr->nlocks; k++) {
            struct lock_stat *l = &pr->locks[k];
            const struct ws_mapping *m = shared_object(pr, l);
            uint64_t *slot = m ? map_get(&index, m->inode, dev_of(m)) : NULL;
            if (!slot || g[*slot - 1].processes < 2) continue;
            l->role = WAIT_IPC;
            any = 1;
        }
        if (any)
            breakdown_unpark(pr->thread_times, pr->nthread_times, &pr->time_total, pr->objwaits,
                             pr->nobjwaits, marked, pr);
    }
    size_t kept = 0;
    for (size_t x = 0; x < ng; x++)
        if (g[x].processes >= 2) {
            g[x].program = program_name(&a->procs[g[x].most]);
            g[kept++] = g[x];
        }
    a->ipc = g;
    a->nipc = kept;
    map_free(&index);
}
