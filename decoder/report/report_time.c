/* SPDX-License-Identifier: MIT */
/*
 * report_time.c - where the time went, in the report (see report_time.h).
 *
 * The text table has one line per thread, busiest first: its wall time,
 * a bar of TIME_BAR letters whose segments are its parts (D disk, N
 * network, L lock, B database, S sleep, W wait, '.' other: CPU or calls
 * not traced), and each part in percent, so a line says at a glance what
 * the thread was bound by.  Lines fit in 100 columns.
 */
#include "report/report_time.h"

#include "base/text.h"
#include "base/units.h"
#include "findings/findings.h"
#include "report/sites.h"
#include "sql/sql_fingerprint.h"

#include <inttypes.h>
#include <string.h>

#define NAME_SHOWN 14 /* characters of a thread's name */

/* The bar of parts out of wall: each part gets its share of TIME_BAR
 * letters, rounded so that they add up to TIME_BAR (largest remainders
 * first). */
static void bar(FILE *f, const uint64_t *part, uint64_t wall)
{
    int letters[TIME_PARTS], given = 0;
    unsigned __int128 rem[TIME_PARTS];
    if (wall == 0) {
        fprintf(f, "%*s", TIME_BAR, "");
        return;
    }
    for (int k = 0; k < TIME_PARTS; k++) {
        unsigned __int128 scaled = (unsigned __int128)part[k] * TIME_BAR;
        letters[k] = (int)(scaled / wall);
        rem[k] = scaled % wall;
        given += letters[k];
    }
    while (given < TIME_BAR) {
        int best = 0;
        for (int k = 1; k < TIME_PARTS; k++)
            if (rem[k] > rem[best]) best = k;
        letters[best]++;
        rem[best] = 0;
        given++;
    }
    for (int k = 0; k < TIME_PARTS; k++)
        for (int i = 0; i < letters[k]; i++)
            fputc(time_part_letter((enum time_part)k), f);
}

/* " 12", " <1" or "  -" (nothing): a part's share in percent, 4 columns. */
static void percent(FILE *f, uint64_t part, uint64_t wall)
{
    if (part == 0 || wall == 0) {
        fprintf(f, "%4s", "-");
        return;
    }
    unsigned pct = (unsigned)(((unsigned __int128)part * 100 + wall / 2) / wall);
    if (pct == 0)
        fprintf(f, "%4s", "<1");
    else
        fprintf(f, "%4u", pct);
}

static void line(FILE *f, const char *tid, const char *name, uint64_t wall, const uint64_t *part,
                 uint64_t gil, int with_gil, uint64_t runq, int with_runq)
{
    char w[UNITS_BUF];
    fprintf(f, "  %7s  %-*s %8s  ", tid, NAME_SHOWN, name, fmt_dur(wall, w));
    bar(f, part, wall);
    fputc(' ', f);
    for (int k = 0; k < TIME_PARTS; k++)
        percent(f, part[k], wall);
    if (with_gil) {
        fputc(' ', f);
        percent(f, gil, wall);
    }
    if (with_runq) {
        fputc(' ', f);
        percent(f, runq, wall);
    }
    fputc('\n', f);
}

void report_text_threads(FILE *f, const struct proc_report *pr)
{
    const struct time_total *tot = &pr->time_total;
    size_t n = pr->nthread_times < THREADS_SHOWN ? pr->nthread_times : THREADS_SHOWN;
    if (n == 0) return;
    int with_gil = tot->gil_ns > 0;
    /* Waiting for a CPU, when it is worth a column (1 % of the time). */
    int with_runq = tot->runq_ns > 0 && tot->runq_ns * 100 >= tot->wall_ns;

    fprintf(f, "\n  time per thread: D disk  N network  L lock  B database  S sleep  W wait"
               "  . other (CPU, untraced)\n");
    if (with_runq) fprintf(f, "  RQ: of its time, ready to run but waiting for a CPU\n");
    fprintf(f, "  %7s  %-*s %8s  %-*s ", "tid", NAME_SHOWN, "thread", "wall", TIME_BAR,
            "where the time went");
    for (int k = 0; k < TIME_PARTS; k++)
        fprintf(f, "  %c%%", time_part_letter((enum time_part)k));
    fprintf(f, "%s%s\n", with_gil ? " GIL%" : "", with_runq ? "  RQ%" : "");

    for (size_t i = 0; i < n; i++) {
        const struct thread_time *t = &pr->thread_times[i];
        const char *raw = strpool_get(&pr->p->strings, t->name);
        char tid[16], name[NAME_SHOWN + 1];
        snprintf(tid, sizeof(tid), "%u", t->tid);
        if (raw)
            text_clean((const uint8_t *)raw, strlen(raw), name, sizeof(name));
        else
            snprintf(name, sizeof(name), "-");
        line(f, tid, name, t->wall_ns, t->part_ns, t->gil_ns, with_gil, t->runq_ns, with_runq);
    }
    if (pr->nthread_times > n)
        fprintf(f, "  ... and %zu more thread%s (see --json)\n", pr->nthread_times - n,
                pr->nthread_times - n == 1 ? "" : "s");
    if (pr->nthread_times > 1) {
        char all[32];
        snprintf(all, sizeof(all), "%zu threads", pr->nthread_times);
        line(f, "all", all, tot->wall_ns, tot->part_ns, tot->gil_ns, with_gil, tot->runq_ns,
             with_runq);
    }
}

void report_json_breakdown(struct json *j, const uint64_t *part)
{
    char key[16];
    json_key(j, "breakdown");
    json_begin_object(j);
    for (int k = 0; k < TIME_PARTS; k++) {
        snprintf(key, sizeof(key), "%s_ns", time_part_name((enum time_part)k));
        json_key(j, key);
        json_uint(j, part[k]);
    }
    json_end_object(j);
}

void report_json_process_time(struct json *j, const struct proc_report *pr)
{
    report_json_breakdown(j, pr->time_total.part_ns);
    json_kv_uint(j, "gil_ns", pr->time_total.gil_ns);
    json_kv_uint(j, "runq_ns", pr->time_total.runq_ns);
}

void report_json_threads(struct json *j, const struct analysis *a)
{
    json_key(j, "threads");
    json_begin_array(j);
    for (size_t i = 0; i < a->nprocs; i++) {
        const struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nthread_times; k++) {
            const struct thread_time *t = &pr->thread_times[k];
            json_begin_object(j);
            json_kv_uint(j, "pid", pr->p->pid);
            json_kv_uint(j, "tid", t->tid);
            json_kv_str(j, "name", strpool_get(&pr->p->strings, t->name));
            json_kv_int(j, "start_ns", t->start_ns);
            json_kv_int(j, "end_ns", t->end_ns);
            json_kv_uint(j, "wall_ns", t->wall_ns);
            report_json_breakdown(j, t->part_ns);
            json_kv_uint(j, "gil_ns", t->gil_ns);
            json_kv_uint(j, "runq_ns", t->runq_ns);
            json_end_object(j);
        }
    }
    json_end_array(j);
}

static const char *group_kind_name(enum stall_group_kind kind)
{
    switch (kind) {
    case STALL_CALL:
        return "call";
    case STALL_SLEEP:
        return "sleep";
    case STALL_QUERY:
        return "query";
    case STALL_LOCK:
        return "lock";
    default:
        return "more";
    }
}

static void during_group(struct json *j, const struct proc_report *pr, const struct stall_group *g)
{
    json_begin_object(j);
    json_kv_str(j, "kind", group_kind_name(g->kind));
    if (g->kind != STALL_MORE) {
        json_kv_str(j, "call", call_name(g->call));
    }
    if (g->kind == STALL_CALL) {
        json_kv_str(j, "target", strpool_get(&pr->p->strings, g->target));
    } else if (g->kind == STALL_QUERY) {
        const struct query *q = &pr->queries[g->qid];
        char fp[17];
        json_kv_str(j, "db", db_name(q->db));
        json_kv_str(j, "fingerprint", sql_fingerprint_hex(q->fp, fp));
        json_kv_str(j, "normalized", q->normalized);
    } else if (g->kind == STALL_LOCK) {
        json_kv_str(j, "lock_kind", lock_kind_name(g->lock));
        json_kv_hex(j, "addr", g->addr);
    }
    json_kv_uint(j, "count", g->count);
    json_kv_uint(j, "time_ns", g->time_ns);
    json_key(j, "site");
    site_json(j, sym_code(pr->p, g->caller));
    json_end_object(j);
}

void report_json_stall(struct json *j, const struct finding *f)
{
    const struct loop_stall *s = f->stall;
    json_kv_str(j, "call", call_name(s->call));
    json_kv_hex(j, "caller", s->caller);
    json_kv_uint(j, "waits", s->waits);
    json_kv_uint(j, "count", s->count);
    json_kv_uint(j, "stall_ns", s->stall_ns);
    json_kv_uint(j, "total_ns", s->total_ns);
    json_kv_int(j, "at_ns", s->at_ns);
    json_kv_uint(j, "cpu_ns", s->cpu_ns);
    json_key(j, "during");
    json_begin_array(j);
    for (size_t i = 0; i < s->nduring; i++)
        during_group(j, f->pr, &s->during[i]);
    json_end_array(j);
}
