/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - giving out a thread's time among nested spans (see sweep.h).
 */
#include "time/sweep.h"

#include "base/util.h"

#include <stdlib.h>

void sweep_init(struct sweep *s, int64_t from, sweep_fn fn, void *ctx)
{
    s->spans = NULL;
    s->n = s->cap = 0;
    s->pos = from;
    s->fn = fn;
    s->ctx = ctx;
}

void sweep_to(struct sweep *s, int64_t to)
{
    while (s->pos < to) {
        /* Forget the spans that ended; among the others, find the winner
         * and the first end, where the winner may change. */
        size_t n = 0, best = 0;
        int64_t next = to;
        for (size_t i = 0; i < s->n; i++) {
            if (s->spans[i].end <= s->pos) continue;
            s->spans[n] = s->spans[i];
            if (n == 0 || s->spans[n].prio >= s->spans[best].prio) best = n;
            if (s->spans[n].end < next) next = s->spans[n].end;
            n++;
        }
        s->n = n;
        if (n == 0) {
            s->pos = to;
            return;
        }
        s->fn(s->ctx, s->pos, next, &s->spans[best]);
        s->pos = next;
    }
}

void sweep_add(struct sweep *s, int64_t start, int64_t end, unsigned prio, uint64_t a, uint64_t b)
{
    sweep_to(s, start);
    if (end <= s->pos) return;
    if (s->n == SWEEP_RUNNING) {
        /* Only a damaged log gets here: the same span again grows the one
         * running, else the least one (lowest priority, first to end)
         * makes room. */
        size_t least = 0;
        for (size_t i = 0; i < s->n; i++) {
            struct sweep_span *sp = &s->spans[i];
            if (sp->prio == prio && sp->a == a && sp->b == b) {
                if (end > sp->end) sp->end = end;
                return;
            }
            if (sp->prio < s->spans[least].prio ||
                (sp->prio == s->spans[least].prio && sp->end < s->spans[least].end))
                least = i;
        }
        for (size_t i = least; i + 1 < s->n; i++)
            s->spans[i] = s->spans[i + 1];
        s->n--;
    }
    if (s->n == s->cap) xgrow(&s->spans, &s->cap, s->n + 1, sizeof(*s->spans));
    s->spans[s->n++] = (struct sweep_span){.end = end, .prio = prio, .a = a, .b = b};
}

int sweep_running(const struct sweep *s, unsigned prio)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->spans[i].prio == prio && s->spans[i].end > s->pos) return 1;
    return 0;
}

void sweep_free(struct sweep *s)
{
    xfree(s->spans);
    s->spans = NULL;
    s->n = s->cap = 0;
}
