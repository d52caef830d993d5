/* SPDX-License-Identifier: MIT */
/*
 * pipes.c - who a process waited for when it read a pipe (pipes.h).
 *
 * Each process's pass notes the pipes it read (and how long) and those it
 * wrote.  Once every process is read, a pipe's writers are the processes
 * that wrote it, the reader itself left out; a read waits for all of
 * them, so its time goes to the group of each writing program once.
 */
#include "analysis/pipes.h"

#include "analysis/analyze.h"
#include "analysis/programs.h"
#include "base/util.h"
#include "log/calls.h"

#include <stdlib.h>
#include <string.h>
#include <whyslow/format.h>

void pipes_event(struct pipe_uses *u, const struct ws_process *p, const struct ws_event *ev)
{
    if (ev->target_kind != WS_FD_PIPE || ev->result < 0) return;
    unsigned flags = ws_call_flags(ev->call);
    if (!(flags & (WS_CALL_READS | WS_CALL_WRITES))) return;
    const char *name = strpool_get(&p->strings, ev->target);
    if (!name || strncmp(name, "pipe:[", 6) != 0) return;
    uint64_t inode = strtoull(name + 6, NULL, 10);
    int created;
    uint64_t *slot = map_put(&u->index, inode, 0, &created);
    if (created) {
        ARRAY_PUSH(u->v, u->n, u->cap) = (struct pipe_use){.inode = inode};
        *slot = u->n;
    }
    struct pipe_use *use = &u->v[*slot - 1];
    if (flags & WS_CALL_READS) {
        use->reads++;
        use->read_ns += ev->dur;
    } else {
        use->wrote = 1;
    }
}

static struct pipe_wait *wait_for(struct pipe_wait **v, size_t *n, size_t *cap, const char *program)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].program == program ||
            ((*v)[i].program && program && strcmp((*v)[i].program, program) == 0))
            return &(*v)[i];
    ARRAY_PUSH(*v, *n, *cap) = (struct pipe_wait){.program = program};
    return &(*v)[*n - 1];
}

static int cmp_wait(const void *a, const void *b)
{
    const struct pipe_wait *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    if (!x->program || !y->program) return !x->program - !y->program;
    return strcmp(x->program, y->program);
}

static void add_pid(struct pipe_wait *pw, uint64_t pid)
{
    for (size_t m = 0; m < pw->npids && m < PIPE_PIDS; m++)
        if (pw->pids[m] == pid) return;
    if (pw->npids < PIPE_PIDS) pw->pids[pw->npids] = pid;
    pw->npids++;
}

void pipes_link(struct proc_report *procs, size_t n)
{
    /* Each pipe's writers: inode -> index + 1 in w. */
    struct map index = {0};
    struct writers {
        size_t *procs;
        size_t n, cap;
    } *w = NULL;
    size_t nw = 0, wcap = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < procs[i].pipes.n; k++) {
            const struct pipe_use *u = &procs[i].pipes.v[k];
            if (!u->wrote) continue;
            int created;
            uint64_t *slot = map_put(&index, u->inode, 0, &created);
            if (created) {
                ARRAY_PUSH(w, nw, wcap) = (struct writers){0};
                *slot = nw;
            }
            struct writers *ws = &w[*slot - 1];
            ARRAY_PUSH(ws->procs, ws->n, ws->cap) = i;
        }
    for (size_t i = 0; i < n; i++) {
        struct pipe_wait *v = NULL;
        size_t nv = 0, cap = 0;
        for (size_t k = 0; k < procs[i].pipes.n; k++) {
            const struct pipe_use *u = &procs[i].pipes.v[k];
            if (!u->reads) continue;
            uint64_t *slot = map_get(&index, u->inode, 0);
            const struct writers *ws = slot ? &w[*slot - 1] : NULL;
            /* Its reads count once for each program that wrote it. */
            const char *counted[8]; /* programs (v may move as it grows) */
            size_t ncounted = 0;
            for (size_t j = 0; ws && j < ws->n; j++) {
                if (ws->procs[j] == i) continue; /* its own writes */
                const struct ws_process *q = procs[ws->procs[j]].p;
                struct pipe_wait *pw = wait_for(&v, &nv, &cap, process_program(q));
                add_pid(pw, q->pid);
                int again = 0;
                for (size_t m = 0; m < ncounted; m++)
                    again |= strcmp(counted[m], pw->program) == 0;
                if (again || ncounted == 8) continue;
                counted[ncounted++] = pw->program;
                pw->reads += u->reads;
                pw->total_ns += u->read_ns;
            }
            /* No writer seen: one that was not traced, or wrote through
             * stdio (whose writes libc makes inside itself); none at all
             * when the process itself was the only one seen writing. */
            int own = ws && ws->n > 0;
            for (size_t j = 0; ws && j < ws->n; j++)
                own &= ws->procs[j] == i;
            if (ncounted == 0 && !own) {
                struct pipe_wait *pw = wait_for(&v, &nv, &cap, NULL);
                pw->reads += u->reads;
                pw->total_ns += u->read_ns;
            }
        }
        xsort(v, nv, sizeof(*v), cmp_wait);
        procs[i].pipe_waits = v;
        procs[i].npipe_waits = nv;
    }
    for (size_t i = 0; i < nw; i++)
        xfree(w[i].procs);
    xfree(w);
    map_free(&index);
    for (size_t i = 0; i < n; i++)
        map_free(&procs[i].pipes.index);
}
