/* SPDX-License-Identifier: MIT */
/*
 * findings_stall.c - the event_loop_stall findings of a process: one per
 * thread whose event loop stalled (stall.h), with a summary that says
 * what held the loop in its longest stall: a sleep, a query, a lock, a
 * blocking call, or the CPU.
 */
#include "base/text.h"
#include "base/units.h"
#include "findings/findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define ITEMS_SHOWN 3  /* what the summary names of the longest stall */
#define SQL_SHOWN   60 /* characters of a statement in it */

/* One thing the longest stall was spent on, in words: "sleeping
 * (clock_nanosleep) 300 ms", "sqlite query `select ...` 250 ms (3
 * executions)". */
static void describe(char *out, size_t len, const struct proc_report *pr,
                     const struct stall_group *g)
{
    const struct ws_process *p = pr->p;
    char time[UNITS_BUF], times[48] = "", sql[SQL_SHOWN + 1];
    const char *what = g->kind == STALL_QUERY  ? "executions"
                       : g->kind == STALL_LOCK ? "waits"
                                               : "calls";
    fmt_dur(g->time_ns, time);
    if (g->count > 1) snprintf(times, sizeof(times), " (%" PRIu64 " %s)", g->count, what);
    switch (g->kind) {
    case STALL_SLEEP:
        snprintf(out, len, "sleeping (%s) %s%s", call_name(g->call), time, times);
        break;
    case STALL_QUERY: {
        const struct query *q = &pr->queries[g->qid];
        text_clean((const uint8_t *)q->normalized, strlen(q->normalized), sql, sizeof(sql));
        snprintf(out, len, "%s query `%s` %s%s", db_name(q->db), sql, time, times);
        break;
    }
    case STALL_LOCK:
        snprintf(out, len, "waiting on %s 0x%" PRIx64 " %s%s", lock_kind_name(g->lock), g->addr,
                 time, times);
        break;
    case STALL_MORE:
        snprintf(out, len, "%" PRIu64 " other calls %s", g->count, time);
        break;
    default: {
        const char *target = strpool_get(&p->strings, g->target);
        snprintf(out, len, "%s%s%s %s%s", call_name(g->call), target ? " on " : "",
                 target ? target : "", time, times);
        break;
    }
    }
}

/* "; in the longest: A, B, C": what took at least a twentieth of it, the
 * CPU among them, most first (at least the first). */
static void longest(char *out, size_t len, const struct proc_report *pr, const struct loop_stall *s)
{
    char item[256], cpu[UNITS_BUF];
    size_t o = (size_t)snprintf(out, len, "; %s: ", s->count == 1 ? "in it" : "in the longest");
    int cpu_done = 0, shown = 0;
    size_t i = 0;
    while (shown < ITEMS_SHOWN && o < len) {
        const struct stall_group *g = i < s->nduring ? &s->during[i] : NULL;
        int take_cpu = !cpu_done && (!g || s->cpu_ns > g->time_ns);
        uint64_t ns = take_cpu ? s->cpu_ns : g ? g->time_ns : 0;
        if (!take_cpu && !g) break;
        if (shown > 0 && (ns == 0 || ns * 20 < s->stall_ns)) break;
        if (take_cpu) {
            snprintf(item, sizeof(item), "CPU or untraced work %s", fmt_dur(ns, cpu));
            cpu_done = 1;
        } else {
            describe(item, sizeof(item), pr, g);
            i++;
        }
        o += (size_t)snprintf(out + o, len - o, "%s%s", shown ? ", " : "", item);
        shown++;
    }
}

static void stall(struct findings *fs, const struct proc_report *pr, const struct loop_stall *s)
{
    char thr[UNITS_BUF], max[UNITS_BUF], total[UNITS_BUF], rest[512];
    struct finding *f = finding_add(fs, FINDING_EVENT_LOOP_STALL, pr);
    f->stall = s;
    f->tid = s->tid;
    f->caller = s->blocker;
    f->stack = s->stack.n || s->stack.npy ? &s->stack : NULL;
    f->count = s->count;
    f->max_ns = s->stall_ns;
    f->total_ns = s->total_ns;
    f->cost_ns = s->total_ns;
    f->severity = finding_severity(f->cost_ns, pr->p->duration_ns);
    fmt_dur(fs->a->stall_ns, thr);
    fmt_dur(s->stall_ns, max);
    fmt_dur(s->total_ns, total);
    longest(rest, sizeof(rest), pr, s);
    if (s->count == 1)
        snprintf(f->summary, sizeof(f->summary),
                 "the event loop of thread %u (%s) stalled once, for %s (\u2265%s)%s", s->tid,
                 call_name(s->call), max, thr, rest);
    else
        snprintf(f->summary, sizeof(f->summary),
                 "the event loop of thread %u (%s) stalled %" PRIu64
                 " times for \u2265%s, up to %s, %s in all%s",
                 s->tid, call_name(s->call), s->count, thr, max, total, rest);
}

void find_stall_findings(struct findings *fs, const struct proc_report *pr)
{
    for (size_t i = 0; i < pr->nstalls; i++)
        stall(fs, pr, &pr->stalls[i]);
}
