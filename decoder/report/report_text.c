/* SPDX-License-Identifier: MIT */
/*
 * report_text.c - `whyslow report`: the analysis for a person.  Findings
 * come first (by severity, then cost), then each process: what it was, how it
 * ended, where its threads' time went, its syscall table with a sparkline
 * of the duration buckets, its SQL queries, its slowest calls and its
 * contended locks.
 */
#include "base/text.h"
#include "base/units.h"
#include "base/util.h"
#include "findings/findings.h"
#include "report/report_marks.h"
#include "report/report.h"
#include "report/report_http.h"
#include "report/report_programs.h"
#include "report/report_time.h"
#include "report/sites.h"
#include "symbols/lock_name.h"

#include <whyslow/format.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SLOWEST_SHOWN 10
#define LOCKS_SHOWN   10
#define WAITED_SHOWN  10 /* programs a process waited for, reading pipes */
#define QUERIES_SHOWN 15
#define QUERY_TEXT    48 /* characters of a query's text: a line fits 120 columns */
/* With more processes than SECTIONS_ALL, the sections of those with a
 * finding and of the SECTIONS_LONGEST longest only. */
#define SECTIONS_ALL     20
#define SECTIONS_LONGEST 10

/* Its arguments, joined by spaces (its exe when it has none). */
static const char *arguments(const struct ws_process *p, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->argc && o + 8 < len; i++) {
        if (i) buf[o++] = ' ';
        o += text_clean((const uint8_t *)p->argv[i], strlen(p->argv[i]), buf + o, len - o);
    }
    if (o == 0) text_clean((const uint8_t *)p->exe, strlen(p->exe), buf, len);
    if (buf[0] == '\0') snprintf(buf, len, "(unknown command)");
    return buf;
}

const char *process_command(const struct ws_process *p, char *buf, size_t len)
{
    if (!p->title || !p->title[0]) return arguments(p, buf, len);
    text_clean((const uint8_t *)p->title, strlen(p->title), buf, len);
    return buf;
}

/* A bar per log2 bucket, from the lowest non-empty one to the highest,
 * then the range of the durations: the smallest and the largest. */
static void sparkline(FILE *f, const struct histogram *h)
{
    static const char *bars[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    char lo_s[UNITS_BUF], hi_s[UNITS_BUF];
    int lo, hi;
    uint64_t top = 0;

    if (!hist_range(h, &lo, &hi)) return;
    for (int b = lo; b <= hi; b++)
        if (h->buckets[b] > top) top = h->buckets[b];
    for (int b = lo; b <= hi; b++) {
        uint64_t n = h->buckets[b];
        fputs(bars[n ? (n * 8 + top - 1) / top : 0], f);
    }
    fmt_dur(hist_min(h), lo_s);
    fmt_dur(hist_max(h), hi_s);
    if (strcmp(lo_s, hi_s) != 0) fprintf(f, " %s..%s", lo_s, hi_s);
}

/* The findings' kind column: as wide as the longest kind's name,
 * thread_pool_exhaustion. */
#define KIND_WIDTH 22

/* Where a finding's calls come from, on a line of its own. */
static void finding_site(FILE *f, const struct finding *fd)
{
    static const char *what[] = {
        [FINDING_SLOW_SYSCALL] = "the slowest called from",
        [FINDING_LOCK_CONTENTION] = "most waits called from",
        [FINDING_N_PLUS_ONE] = "the loop's queries run from",
        [FINDING_REPEATED_QUERY] = "run from",
        [FINDING_POOL_EXHAUSTION] = "most waits called from",
        [FINDING_THREAD_POOL_EXHAUSTION] = "most waits for results called from",
        [FINDING_SLOW_QUERY] = "the slowest run from",
        [FINDING_IPC_CONTENTION] = "its waits called from",
        [FINDING_EVENT_LOOP_STALL] = "in the longest, its longest call from",
        [FINDING_HTTP_N_PLUS_ONE] = "the first call made from",
    };
    char site[512];
    if (!fd->caller || fd->kind >= sizeof(what) / sizeof(*what) || !what[fd->kind]) return;
    fprintf(f, "  %-6s  %-*s  %s %s\n", "", KIND_WIDTH, "", what[fd->kind],
            site_text(sym_code(fd->pr->p, fd->caller), site, sizeof(site)));
    if (fd->kind == FINDING_N_PLUS_ONE && fd->loop->parent_caller)
        fprintf(f, "  %-6s  %-*s  the parent query from %s\n", "", KIND_WIDTH, "",
                site_text(sym_code(fd->pr->p, fd->loop->parent_caller), site, sizeof(site)));
    if (!fd->stack || (!fd->stack->n && !fd->stack->npy)) return;
    fprintf(f, "  %-6s  %-*s  %s:\n", "", KIND_WIDTH, "",
            fd->kind == FINDING_LOCK_CONTENTION ? "the longest wait's stack" : "its stack");
    /* With Python frames, or JIT frames (Node's JavaScript): the native
     * frames that code called into (an extension, the database library,
     * libuv: those before the first of the runtime's own), then the
     * program's frames; the runtime's own frames and what called it say
     * nothing to a Python or JavaScript developer, and are folded. */
    const struct event_stack *st = fd->stack;
    int jit = 0;
    for (uint32_t i = 0; i < st->n && !jit; i++)
        jit = site_is_jit(sym_code(fd->pr->p, st->frames[i]));
    int managed = st->npy || jit, in_runtime = 0;
    unsigned shown = 0, more = 0, folded = 0; /* functions (an inlined one is one) */
    for (uint32_t i = 0; i < st->n; i++)
        for (const struct sym_code *c = sym_code(fd->pr->p, st->frames[i]); c; c = c->outer)
            if (managed &&
                (in_runtime || (in_runtime = site_is_interpreter(c) || site_is_jit(c)))) {
                folded += !site_is_jit(c);
            } else if (shown < STACK_SHOWN) {
                fprintf(f, "  %-6s  %-*s    at %s\n", "", KIND_WIDTH, "",
                        site_text(c, site, sizeof(site)));
                shown++;
            } else {
                more++;
            }
    for (uint32_t i = 0; i < st->npy + st->n; i++) {
        const struct sym_code *c =
            sym_code(fd->pr->p, i < st->npy ? st->py[i] : st->frames[i - st->npy]);
        if (i >= st->npy && !site_is_jit(c)) continue;
        if (shown++ < STACK_SHOWN)
            fprintf(f, "  %-6s  %-*s    at %s\n", "", KIND_WIDTH, "",
                    site_text(c, site, sizeof(site)));
        else
            more++;
    }
    if (more && folded)
        fprintf(f,
                "  %-6s  %-*s    ... %u more, and %u native frames of the runtime (see --json)\n",
                "", KIND_WIDTH, "", more, folded);
    else if (more)
        fprintf(f, "  %-6s  %-*s    ... %u more (see --json)\n", "", KIND_WIDTH, "", more);
    else if (folded)
        fprintf(f, "  %-6s  %-*s    ... and %u native frames of the runtime (see --json)\n", "",
                KIND_WIDTH, "", folded);
}

static void findings(FILE *f, const struct analysis *a, const struct findings *fs)
{
    char thr[UNITS_BUF];
    fmt_dur(a->slow_ns, thr);
    if (fs->n == 0) {
        fprintf(f,
                "FINDINGS: none (no call took \u2265%s, no lock waited \u2265%s in total, no N+1 "
                "query loop or repeated query, no event loop stalled)\n\n",
                thr, thr);
        return;
    }
    fprintf(f, "FINDINGS (by severity, then cost)\n");
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *fd = &fs->v[i];
        fprintf(f, "  %-6s  %-*s  pid %" PRIu64 " tid %u: %s\n", fd->severity, KIND_WIDTH,
                finding_kind_name(fd->kind), fd->pr->p->pid, fd->tid, fd->summary);
        finding_site(f, fd);
    }
    fputc('\n', f);
}

static void header(FILE *f, const struct proc_report *pr)
{
    const struct ws_process *p = pr->p;
    char cmd[256], dur[UNITS_BUF];

    fprintf(f,
            "pid %" PRIu64 " (ppid %" PRIu64 ") %s \u2014 %s, %zu thread%s, %zu events, %" PRIu64
            " lost\n",
            p->pid, p->ppid, process_command(p, cmd, sizeof(cmd)),
            fmt_dur(p->duration_ns > 0 ? (uint64_t)p->duration_ns : 0, dur), p->thread_count,
            p->thread_count == 1 ? "" : "s", p->nev, p->lost);
    if (p->title && p->title[0]) fprintf(f, "  started as: %s\n", arguments(p, cmd, sizeof(cmd)));
    if (p->has_end && p->end_kind == WS_END_EXEC)
        fprintf(f, "  ended: exec (the new program has its own log)\n");
    else if (p->has_end && p->end_status == -1)
        fprintf(f, "  ended: %s (status unknown)\n", process_end_kind_name(p->end_kind));
    else if (p->has_end)
        fprintf(f, "  ended: %s(%" PRId64 ")\n", process_end_kind_name(p->end_kind), p->end_status);
    else if (p->gone)
        fprintf(f, "  ended: killed (no exit; found gone at %.3f s, after its last event)\n",
                (double)p->gone_ts / 1e9);
    else
        fprintf(f, "  ended: no end record (killed, or still running)\n");
    if (p->lost) fprintf(f, "  WARNING: %" PRIu64 " events were lost (buffers full)\n", p->lost);
    /* Notes name paths of the log's (its maps); the log's own path is a
     * file or directory name: all cleaned for the terminal. */
    char safe[4096];
    if (p->truncated)
        fprintf(f, "  WARNING: log truncated %s\n",
                text_safe(p->truncated_reason, safe, sizeof(safe)));
    for (size_t i = 0; i < p->nnotes; i++)
        fprintf(f, "  note: %s\n", text_safe(p->notes[i], safe, sizeof(safe)));
    fprintf(f, "  log: %s\n", text_safe(p->log, safe, sizeof(safe)));
}

static void syscalls(FILE *f, struct proc_report *pr)
{
    char b[5][UNITS_BUF];
    if (pr->ncalls == 0) {
        fprintf(f, "\n  no syscalls recorded\n");
        return;
    }
    fprintf(f, "\n  %-16s %8s %7s %9s %9s %9s %9s %9s  %s\n", "call", "count", "errors", "bytes",
            "total", "p50", "p99", "max", "durations");
    for (size_t i = 0; i < pr->ncalls; i++) {
        struct call_stat *cs = &pr->calls[i];
        fprintf(f, "  %-16s %8" PRIu64 " %7" PRIu64 " %9s %9s %9s %9s %9s  ", call_name(cs->call),
                cs->count, cs->errors, cs->bytes ? fmt_bytes(cs->bytes, b[0]) : "-",
                fmt_dur(cs->total_ns, b[1]), fmt_dur(hist_percentile(&cs->hist, 50), b[2]),
                fmt_dur(hist_percentile(&cs->hist, 99), b[3]), fmt_dur(cs->max_ns, b[4]));
        sparkline(f, &cs->hist);
        fputc('\n', f);
    }
}

static void queries(FILE *f, struct proc_report *pr)
{
    char b[4][UNITS_BUF], text[QUERY_TEXT + 1];
    size_t n = pr->nqueries < QUERIES_SHOWN ? pr->nqueries : QUERIES_SHOWN;
    if (n == 0) return;
    fprintf(f, "\n  %-8s %8s %9s %9s %9s %9s %9s  %s\n", "db", "count", "rows", "total", "p50",
            "p99", "max", "query");
    for (size_t i = 0; i < n; i++) {
        struct query *q = &pr->queries[pr->query_order[i]];
        text_clean((const uint8_t *)q->normalized, strlen(q->normalized), text, sizeof(text));
        fprintf(f, "  %-8s %8" PRIu64 " %9" PRIu64 " %9s %9s %9s %9s  %s\n", db_name(q->db),
                q->count, q->rows, fmt_dur(q->total_ns, b[0]),
                fmt_dur(hist_percentile(&q->hist, 50), b[1]),
                fmt_dur(hist_percentile(&q->hist, 99), b[2]), fmt_dur(q->max_ns, b[3]), text);
    }
    if (pr->nqueries > n) fprintf(f, "  ... and %zu more (see --json)\n", pr->nqueries - n);
}

static void slowest(FILE *f, const struct proc_report *pr)
{
    char dur[UNITS_BUF], at[UNITS_BUF];
    size_t n = pr->nslowest < SLOWEST_SHOWN ? pr->nslowest : SLOWEST_SHOWN;
    if (n == 0) return;
    fprintf(f, "\n  slowest calls\n  %9s  %-16s %8s %10s  %s\n", "duration", "call", "tid", "at",
            "target");
    for (size_t i = 0; i < n; i++) {
        const struct ws_event *ev = &pr->slowest[i];
        const char *target = strpool_get(&pr->p->strings, ev->target);
        fprintf(f, "  %9s  %-16s %8u %10s  %s", fmt_dur(ev->dur, dur), call_name(ev->call), ev->tid,
                fmt_dur(ev->at > 0 ? (uint64_t)ev->at : 0, at), target ? target : "-");
        char err[64], site[512];
        if (event_failed(ev)) fprintf(f, " (%s)", event_error_name(ev, err, sizeof(err)));
        if (ev->caller)
            fprintf(f, "  from %s", site_text(sym_code(pr->p, ev->caller), site, sizeof(site)));
        fputc('\n', f);
    }
}

/* Who it waited for, reading pipes (pipes.h): the time is theirs. */
static void pipe_waits(FILE *f, const struct proc_report *pr)
{
    char total[UNITS_BUF], name[128];
    if (pr->npipe_waits == 0) return;
    fprintf(f, "\n  waited for other processes (reading pipes they wrote)\n");
    fprintf(f, "  %-24s %9s %10s  %s\n", "program", "reads", "total", "pids");
    for (size_t i = 0; i < pr->npipe_waits && i < WAITED_SHOWN; i++) {
        const struct pipe_wait *w = &pr->pipe_waits[i];
        if (w->program)
            text_clean((const uint8_t *)w->program, strlen(w->program), name, sizeof(name));
        else
            snprintf(name, sizeof(name), "(writer not seen)");
        fprintf(f, "  %-24s %9" PRIu64 " %10s ", name, w->reads, fmt_dur(w->total_ns, total));
        for (size_t k = 0; k < w->npids && k < PIPE_PIDS; k++)
            fprintf(f, " %" PRIu64, w->pids[k]);
        if (w->npids > PIPE_PIDS) fprintf(f, " and %zu more", w->npids - PIPE_PIDS);
        fputc('\n', f);
    }
    if (pr->npipe_waits > WAITED_SHOWN)
        fprintf(f, "  ... and %zu more (see --json)\n", pr->npipe_waits - WAITED_SHOWN);
}

/* One table of the locks whose role is (parks) or is not (locks and the
 * GIL) a park, most wait first. */
static void lock_table(FILE *f, const struct proc_report *pr, int parks)
{
    char b[5][UNITS_BUF];
    size_t n = 0, more = 0;
    for (size_t i = 0; i < pr->nlocks; i++)
        if ((pr->locks[i].role == WAIT_PARK) == parks) {
            if (n < LOCKS_SHOWN)
                n++;
            else
                more++;
        }
    if (n == 0) return;
    if (parks)
        fprintf(f, "\n  parked (threads waiting for work or an event there: no lock)\n");
    else
        fprintf(f, "\n  locks%s\n", pr->all_locks ? "" : " (contended)");
    fprintf(f, "  %-6s %-24s %9s %10s %9s %7s", "kind", parks ? "object" : "lock", "waits",
            "wait total", "wait max", "threads");
    if (pr->all_locks) fprintf(f, " %9s %10s %9s", "acquired", "hold total", "hold max");
    fprintf(f, "  site (most waits)\n");
    for (size_t i = 0, shown = 0; i < pr->nlocks && shown < n; i++) {
        const struct lock_stat *l = &pr->locks[i];
        if ((l->role == WAIT_PARK) != parks) continue;
        shown++;
        char name[256], site[512];
        if (sym_is_gil(pr->p, l->addr))
            snprintf(name, sizeof(name), "the GIL");
        else
            lock_name(pr->p, l->addr, NULL, name, sizeof(name));
        site_text(sym_code(pr->p, l->caller), site, sizeof(site));
        fprintf(f, "  %-6s %-24s %9" PRIu64 " %10s %9s %7u", lock_kind_name(l->kind), name,
                l->contended, fmt_dur(l->wait_total_ns, b[0]), fmt_dur(l->wait_max_ns, b[1]),
                l->threads);
        if (pr->all_locks)
            fprintf(f, " %9" PRIu64 " %10s %9s", l->acquisitions, fmt_dur(l->hold_total_ns, b[2]),
                    fmt_dur(l->hold_max_ns, b[3]));
        fprintf(f, "  %s\n", site);
    }
    if (more) fprintf(f, "  ... and %zu more (see --json)\n", more);
}

/* Locks, then where threads parked: a condition or semaphore that a
 * worker waits on for its next task is no lock (wakes.h's roles). */
static void locks(FILE *f, const struct proc_report *pr)
{
    lock_table(f, pr, 0);
    lock_table(f, pr, 1);
}

void report_text(FILE *f, struct analysis *a, const struct findings *fs)
{
    size_t events = 0;
    uint64_t lost = 0;
    for (size_t i = 0; i < a->nprocs; i++) {
        events += a->procs[i].p->nev;
        lost += a->procs[i].p->lost;
    }
    fprintf(f, "whyslow report: %zu process%s, %zu events, %" PRIu64 " lost, %zu finding%s\n\n",
            a->nprocs, a->nprocs == 1 ? "" : "es", events, lost, fs->n, fs->n == 1 ? "" : "s");
    if (a->narrowed)
        fprintf(f,
                "Narrowed to %zu served request%s (%s): every table and finding counts only the "
                "calls made in them, each thread's time is theirs\n\n",
                a->narrowed, a->narrowed == 1 ? "" : "s",
                a->narrowed_to ? a->narrowed_to : "--request");
    if (lost)
        fprintf(f,
                "WARNING: %" PRIu64 " events were lost (buffers full): counts are lower bounds\n\n",
                lost);
    findings(f, a, fs);
    report_text_http(f, a);
    report_text_marks(f, a, fs);
    report_text_programs(f, a);
    /* Of many processes (a build), the sections of those that matter: with
     * a finding, or among the longest; the others are in --json. */
    char *shown = xcalloc(a->nprocs ? a->nprocs : 1, 1);
    size_t nshown = a->nprocs;
    if (a->nprocs > SECTIONS_ALL) {
        nshown = 0;
        for (size_t i = 0; i < fs->n; i++)
            shown[fs->v[i].pr - a->procs] = 1;
        for (size_t k = 0; k < SECTIONS_LONGEST; k++) {
            size_t best = a->nprocs;
            for (size_t i = 0; i < a->nprocs; i++)
                if (!shown[i] && (best == a->nprocs ||
                                  a->procs[i].p->duration_ns > a->procs[best].p->duration_ns))
                    best = i;
            if (best < a->nprocs) shown[best] = 1;
        }
        for (size_t i = 0; i < a->nprocs; i++)
            nshown += shown[i];
    } else {
        memset(shown, 1, a->nprocs);
    }
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        if (!shown[i]) continue;
        header(f, pr);
        report_text_threads(f, pr);
        syscalls(f, pr);
        pipe_waits(f, pr);
        queries(f, pr);
        slowest(f, pr);
        locks(f, pr);
        fputc('\n', f);
    }
    if (nshown < a->nprocs)
        fprintf(f,
                "%zu other processes are not shown (no finding, and not among the %d longest): "
                "whyslow report --pid PID, or --json\n",
                a->nprocs - nshown, SECTIONS_LONGEST);
    xfree(shown);
}
