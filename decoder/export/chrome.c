/* SPDX-License-Identifier: MIT */
/*
 * chrome.c - `whyslow export --format chrome`: the run as Chrome's JSON
 * trace events (the Trace Event Format), which the Perfetto UI,
 * chrome://tracing and other timeline viewers open.  A sink of the walker
 * (export.h): each slice is written as it comes and nothing is kept of
 * it, so memory stays the same whatever the run's size.
 *
 * The document is one object, its events one a line:
 *
 *   {"displayTimeUnit":"ns","traceEvents":[
 *   {"ph":"M","name":"process_name",...},
 *   {"ph":"X","name":"read",...}
 *   ],"otherData":{"origin_unix_ns":"...",...}}
 *
 * otherData comes last: what the walk left out for size is known at its
 * end (the calls that woke a kept wait are kept however short).
 *
 * A process and its threads are named by metadata events ("M"); a slice
 * on a thread is a complete event ("X"); an async slice (a request among
 * others overlapping on an event loop) is a pair of nestable async events
 * ("b", "e"), a track of its own; a wake is a flow ("s", "f") from the
 * waker's slice to the end of the wait it ended; a counter is a counter
 * event ("C") of the process, a track for each thread.  Events come in
 * the walker's order, not in time order (an async slice's end is written
 * with its begin): the viewers sort them.
 *
 * The format's times are microseconds, read as doubles.  They are written
 * from the run's start (otherData.origin_unix_ns), with three decimals: a
 * double holds that to the nanosecond, which it could not do for Unix
 * time in microseconds.
 */
#include "export/export.h"

#include "base/units.h"
#include "base/util.h"
#include "report/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct chrome {
    FILE *f;
    const struct export_stats *st;
    int header;         /* the document's opening is written */
    uint64_t events;    /* events written: all but the first follow a comma */
    uint64_t processes; /* processes seen: the next one's sort index */
    uint64_t first_pid; /* the first process's: the note on what was left out */
};

/* ---- values ---- */

/* s as a JSON string; NULL as "" (a viewer names an unnamed slice). */
static void put_str(FILE *f, const char *s)
{
    json_write_string(f, s ? s : "", s ? strlen(s) : 0);
}

static void put_key_str(FILE *f, const char *key, const char *s)
{
    fprintf(f, ",\"%s\":", key);
    put_str(f, s);
}

static void put_key_uint(FILE *f, const char *key, uint64_t v)
{
    fprintf(f, ",\"%s\":%" PRIu64, key, v);
}

/* A 64-bit id as a string of hex: a JSON number is read as a double,
 * which loses ids past 2^53. */
static void put_key_id(FILE *f, const char *key, uint64_t id)
{
    fprintf(f, ",\"%s\":\"0x%" PRIx64 "\"", key, id);
}

/* A time or a duration of ns nanoseconds, in microseconds with three
 * decimals: integer arithmetic, so the nanoseconds are exact. */
static void put_key_us(FILE *f, const char *key, int64_t ns)
{
    fprintf(f, ",\"%s\":%" PRId64 ".%03" PRId64, key, ns / 1000, ns % 1000);
}

/* A time as the events have it: since the run's start.  Nothing should
 * come before it; if something did, it is shown at the start. */
static int64_t since_origin(const struct chrome *c, int64_t t)
{
    return t > c->st->origin ? t - c->st->origin : 0;
}

/* ---- the document ---- */

/* Opens the document, once: it is written at the first event rather than
 * in chrome_sink(), which runs before the walker has filled st. */
static void header(struct chrome *c)
{
    if (c->header) return;
    c->header = 1;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", c->f);
}

/* Closes the document with what the walk knows at its end. */
static void trailer(struct chrome *c)
{
    const struct export_stats *st = c->st;
    fprintf(c->f, "\n],\"otherData\":{\"origin_unix_ns\":\"%" PRId64 "\"", st->origin);
    if (st->dropped) {
        put_key_uint(c->f, "dropped_events", st->dropped);
        put_key_uint(c->f, "dropped_shorter_than_ns", st->dropped_below);
    }
    fputs("}}\n", c->f);
}

/* Starts an event on a line of its own, down to its pid; the caller adds
 * the rest and closes it. */
static void begin_event(struct chrome *c, char ph, const char *name, uint64_t pid)
{
    header(c);
    fputs(c->events++ ? ",\n" : "\n", c->f);
    fprintf(c->f, "{\"ph\":\"%c\",\"name\":", ph);
    put_str(c->f, name);
    put_key_uint(c->f, "pid", pid);
}

/* A metadata event naming a process or a thread (what: "process_name",
 * "thread_name", "process_labels": its args' key is then "labels"). */
static void name_event(struct chrome *c, const char *what, uint64_t pid, uint64_t tid,
                       const char *key, const char *name)
{
    begin_event(c, 'M', what, pid);
    put_key_uint(c->f, "tid", tid);
    fprintf(c->f, ",\"args\":{\"%s\":", key);
    put_str(c->f, name);
    fputs("}}", c->f);
}

/* A metadata event placing a process or a thread among the others. */
static void sort_event(struct chrome *c, const char *what, uint64_t pid, uint64_t tid,
                       uint64_t index)
{
    begin_event(c, 'M', what, pid);
    put_key_uint(c->f, "tid", tid);
    fprintf(c->f, ",\"args\":{\"sort_index\":%" PRIu64 "}}", index);
}

/* Says, on the global track at the run's start, that short slices were
 * left out: most viewers keep otherData out of sight, and the gaps would
 * pass for idle time. */
static void dropped_event(struct chrome *c, uint64_t pid)
{
    const struct export_stats *st = c->st;
    char below[UNITS_BUF];
    char *name = xprintf("whyslow: %" PRIu64 " events shorter than %s left out", st->dropped,
                         fmt_dur(st->dropped_below, below));
    begin_event(c, 'i', name, pid);
    xfree(name);
    put_key_uint(c->f, "tid", pid);
    put_key_str(c->f, "s", "g");
    put_key_us(c->f, "ts", 0);
    fprintf(c->f, ",\"args\":{\"dropped\":%" PRIu64 ",\"shorter_than_ns\":%" PRIu64 "}}",
            st->dropped, st->dropped_below);
}

/* ---- slices ---- */

/* Opens an args member: a comma after the first (*n counts them). */
static void arg_key(FILE *f, unsigned *n, const char *key)
{
    fputs((*n)++ ? "," : "", f);
    put_str(f, key);
    fputc(':', f);
}

/* The slice's values as the event's args, with its stack and whether it
 * failed or was slow. */
static void slice_args(FILE *f, const struct ex_slice *s)
{
    unsigned n = 0;
    fputs(",\"args\":{", f);
    for (unsigned i = 0; i < s->nargs && i < EX_ARGS_MAX; i++) {
        const struct ex_arg *arg = &s->args[i];
        if (!arg->key) continue;
        arg_key(f, &n, arg->key);
        if (arg->s)
            put_str(f, arg->s);
        else
            fprintf(f, "%" PRId64, arg->i);
    }
    if (s->stack) {
        arg_key(f, &n, "stack");
        put_str(f, s->stack);
    }
    if (s->failed) {
        arg_key(f, &n, "failed");
        fputs("true", f);
    }
    if (s->slow) {
        arg_key(f, &n, "slow");
        fputs("true", f);
    }
    fputc('}', f);
}

/* An async slice's begin or end event: the pair is matched by its cat,
 * name and id, which id2.local makes the process's own. */
static void async_event(struct chrome *c, char ph, uint64_t pid, const struct ex_slice *s,
                        int64_t at)
{
    begin_event(c, ph, s->name, pid);
    put_key_str(c->f, "cat", s->cat);
    fprintf(c->f, ",\"id2\":{\"local\":\"0x%" PRIx64 "\"}", s->async_id);
    put_key_uint(c->f, "tid", s->tid);
    put_key_us(c->f, "ts", since_origin(c, at));
}

/* A flow's start ("s") or end ("f").  A viewer binds it to the slice
 * enclosing its time on its thread, so it is written after that slice
 * (which matters when both have the same time); an end binds with "bp":
 * "e", to the enclosing slice rather than the next one to begin. */
static void flow_event(struct chrome *c, char ph, uint64_t pid, uint32_t tid, uint64_t id,
                       int64_t at)
{
    begin_event(c, ph, "wake", pid);
    if (ph == 'f') put_key_str(c->f, "bp", "e");
    put_key_str(c->f, "cat", "flow");
    put_key_id(c->f, "id", id);
    put_key_uint(c->f, "tid", tid);
    put_key_us(c->f, "ts", since_origin(c, at));
    fputc('}', c->f);
}

/* ---- the sink ---- */

static void on_process(void *ctx, const struct ex_process *p)
{
    struct chrome *c = ctx;
    name_event(c, "process_name", p->pid, p->pid, "name", p->name);
    sort_event(c, "process_sort_index", p->pid, p->pid, c->processes);
    if (c->processes++ == 0) c->first_pid = p->pid;
    if (p->lost) {
        char *label = xprintf("%" PRIu64 " events lost by the recorder", p->lost);
        name_event(c, "process_labels", p->pid, p->pid, "labels", label);
        xfree(label);
    }
}

static void on_thread(void *ctx, const struct ex_process *p, uint32_t tid, uint32_t serial,
                      const char *name)
{
    struct chrome *c = ctx;
    char unnamed[24];
    if (!name) {
        snprintf(unnamed, sizeof(unnamed), "tid %" PRIu32, tid);
        name = unnamed;
    }
    name_event(c, "thread_name", p->pid, tid, "name", name);
    sort_event(c, "thread_sort_index", p->pid, tid, serial);
}

static void on_slice(void *ctx, const struct ex_process *p, const struct ex_slice *s)
{
    struct chrome *c = ctx;
    FILE *f = c->f;
    int64_t end = s->end > s->start ? s->end : s->start;

    if (s->async_id) {
        async_event(c, 'b', p->pid, s, s->start);
        slice_args(f, s);
        fputc('}', f);
        async_event(c, 'e', p->pid, s, end);
        fputc('}', f);
    } else {
        begin_event(c, 'X', s->name, p->pid);
        put_key_str(f, "cat", s->cat);
        put_key_uint(f, "tid", s->tid);
        put_key_us(f, "ts", since_origin(c, s->start));
        put_key_us(f, "dur", since_origin(c, end) - since_origin(c, s->start));
        slice_args(f, s);
        fputc('}', f);
    }

    /* The waker's flows start at its start; the wait's flow ends just
     * before its end, where the wait is still the enclosing slice. */
    for (unsigned i = 0; i < s->nflows_out && i < EX_FLOWS_MAX; i++)
        flow_event(c, 's', p->pid, s->tid, s->flows_out[i], s->start);
    if (s->flow_in) {
        int64_t at = end - 1 > s->start ? end - 1 : s->start;
        flow_event(c, 'f', p->pid, s->tid, s->flow_in, at);
    }
}

/* A counter belongs to its process in this format: a thread's gets a name
 * of its own, so that each thread has its own track. */
static void on_counter(void *ctx, const struct ex_process *p, uint32_t tid, const char *name,
                       int64_t at, double value)
{
    struct chrome *c = ctx;
    char num[32];
    if (!isfinite(value)) return; /* JSON has no NaN nor infinity */
    /* The shortest of 15 to 17 digits that reads back as the same double:
     * "0.1" rather than "0.10000000000000001"; integers print as such. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(num, sizeof(num), "%.*g", digits, value);
        if (strtod(num, NULL) == value) break;
    }
    if (tid) {
        char *track = xprintf("%s (tid %" PRIu32 ")", name ? name : "", tid);
        begin_event(c, 'C', track, p->pid);
        xfree(track);
    } else {
        begin_event(c, 'C', name, p->pid);
    }
    put_key_us(c->f, "ts", since_origin(c, at));
    fprintf(c->f, ",\"args\":{\"value\":%s}}", num);
}

static void on_process_end(void *ctx, const struct ex_process *p)
{
    /* Nothing: every event of the process is written already. */
    (void)ctx, (void)p;
}

static int on_finish(void *ctx)
{
    struct chrome *c = ctx;
    int rc;
    if (c->st->dropped) dropped_event(c, c->first_pid);
    header(c); /* a run with nothing to show is an empty trace still */
    trailer(c);
    rc = fflush(c->f) != 0 || ferror(c->f) ? -1 : 0;
    xfree(c);
    return rc;
}

void chrome_sink(struct ex_sink *s, FILE *f, const struct export_stats *st)
{
    struct chrome *c = xcalloc(1, sizeof(*c));
    c->f = f;
    c->st = st;
    *s =
        (struct ex_sink){c, on_process, on_thread, on_slice, on_counter, on_process_end, on_finish};
}
