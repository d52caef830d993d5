/* SPDX-License-Identifier: MIT */
/*
 * walk.c - the analysed run as a timeline, handed to a writer (export.h,
 * docs/export.md).
 *
 * Each process's timeline is read twice more after the analysis: once to
 * link every wait to the call that woke it (conc/wakes.h, the same rules
 * the report uses), then to hand each event to the sink as a slice,
 * merged in start order with the spans the analysis found (the requests
 * served and made, the program's marks).  Nothing is kept per event: the
 * memory is the analysis's, the wake links of one process, and a stack
 * of open slices per thread.
 *
 * Slices of one thread must nest in a timeline viewer.  Events do (a
 * statement's span holds the reads it made); when the log says otherwise
 * (a clock step), the inner end is cut to the outer one.  Requests that
 * overlap other requests on their thread (an event loop serving several
 * at once), and spans that would not nest, get an async track of their
 * own instead.
 *
 * Past max_events, the shortest events are left out: a first read of
 * every timeline counts the events by duration, and those under the
 * duration that keeps at most max_events are dropped.  Requests, marks
 * and the calls that woke a kept wait are always kept.
 */
#include "export/export.h"

#include "analysis/narrow.h"
#include "base/units.h"
#include "base/util.h"
#include "conc/wakes.h"
#include "log/calls.h"
#include "log/timeline.h"
#include "report/report.h"
#include "report/sites.h"
#include "sql/queries.h"
#include "symbols/lock_name.h"
#include "symbols/symbolize.h"

#include <inttypes.h>
#include <string.h>

/* Durations are counted for the drop threshold in log-linear steps:
 * 8 per power of two, so the threshold is within 12.5 % of the exact one. */
#define STEP_BITS 3
#define STEPS     (64 << STEP_BITS)

#define STACK_LINES 32 /* frames shown in a slow event's stack */

static unsigned step_of(uint64_t d)
{
    if (d < (1u << STEP_BITS)) return (unsigned)d;
    unsigned e = 63 - (unsigned)__builtin_clzll(d);
    return e << STEP_BITS | (unsigned)(d >> (e - STEP_BITS) & ((1u << STEP_BITS) - 1));
}

/* The smallest duration of a step. */
static uint64_t step_floor(unsigned s)
{
    unsigned e = s >> STEP_BITS, m = s & ((1u << STEP_BITS) - 1);
    if (e < STEP_BITS) return s;
    return (uint64_t)((1u << STEP_BITS) | m) << (e - STEP_BITS);
}

struct walk {
    const struct analysis *a;
    const struct export_opts *o;
    const struct ex_sink *sink;
    struct export_stats *st;
    struct analyze_opts narrow; /* --endpoint, as the report's narrowing */
    struct windows **win;       /* per process: --endpoint's or --test's spans, or NULL */
    int64_t from, to;           /* --from, --to: Unix ns */
    uint64_t drop_below;        /* events shorter than this are left out */
};

/* Whether a span [at, at + dur) of a thread is in what was asked for. */
static int in_scope(const struct walk *w, size_t pi, uint32_t thread, int64_t at, uint64_t dur)
{
    const struct ws_process *p = w->a->procs[pi].p;
    int64_t start = (int64_t)p->start_unix_ns + at;
    int64_t end = dur > (uint64_t)(INT64_MAX - start) ? INT64_MAX : start + (int64_t)dur;
    if (w->o->has_from && end < w->from) return 0;
    if (w->o->has_to && start > w->to) return 0;
    if (w->win) {
        struct ws_event e = {.thread = thread, .at = at, .dur = dur};
        if (!narrow_inside(w->win[pi], &e)) return 0;
    }
    return 1;
}

static int exported(const struct ws_event *ev)
{
    return call_family(ev->call) != FAMILY_RECORD;
}

/* ---- the drop threshold ---- */

static void set_threshold(struct walk *w)
{
    const struct analysis *a = w->a;
    uint64_t total = 0;
    for (size_t i = 0; i < a->nprocs; i++)
        total += a->procs[i].p->nev;
    if (total <= w->o->max_events) return; /* a bound: records count too */

    uint64_t *count = xcalloc(STEPS, sizeof(*count));
    struct ws_event ev;
    for (size_t i = 0; i < a->nprocs; i++) {
        struct timeline *tl = timeline_open(a->procs[i].p);
        while (timeline_next(tl, &ev))
            if (exported(&ev) && in_scope(w, i, ev.thread, ev.at, ev.dur)) count[step_of(ev.dur)]++;
        timeline_close(tl);
    }
    /* The lowest step from which the events up make at most max_events
     * (the walk counts those it leaves out: st->dropped). */
    uint64_t kept = 0;
    unsigned s = STEPS;
    while (s > 0 && kept + count[s - 1] <= w->o->max_events)
        kept += count[--s];
    w->drop_below = w->st->dropped_below = s < STEPS ? step_floor(s) : UINT64_MAX;
    xfree(count);
}

/* ---- who woke whom ---- */

/* A process's wake links as flows: the waits kept, by (thread, start),
 * and the waits each wake ended, by the wake's (thread, at). */
struct flows {
    struct wake_data d;
    uint64_t base;     /* flow ids: base | (wait index + 1) */
    struct map waits;  /* (serial, start) -> wait index + 1 */
    struct map wakes;  /* (serial, at) -> wake index + 1, for wakes of a kept wait */
    uint32_t *by_wake; /* wait indices grouped by wake: those of k at first[k] .. first[k+1] */
    size_t *first;
};

static void flows_open(struct flows *f, const struct walk *w, size_t pi)
{
    struct ws_process *p = w->a->procs[pi].p;
    memset(f, 0, sizeof(*f));
    f->base = (uint64_t)(pi + 1) << 40;
    struct wakes *wk = wakes_open(p);
    struct timeline *tl = timeline_open(p);
    struct ws_event ev;
    while (timeline_next(tl, &ev))
        wakes_event(wk, &ev);
    timeline_close(tl);
    wakes_close(wk, &f->d);

    /* The waits whose slices are written, grouped by the wake that
     * ended them (a counting sort). */
    const struct wake_data *d = &f->d;
    f->first = xcalloc(d->nwakes + 2, sizeof(*f->first));
    f->by_wake = xmalloc((d->nwaits ? d->nwaits : 1) * sizeof(*f->by_wake));
    uint8_t *kept = xcalloc(d->nwaits ? d->nwaits : 1, 1);
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *x = &d->waits[i];
        uint32_t serial = d->threads[x->thread].serial;
        uint64_t dur = (uint64_t)(x->end - x->start);
        if (!x->waker || dur < w->drop_below || !in_scope(w, pi, serial, x->start, dur)) continue;
        kept[i] = 1;
        f->first[x->waker]++; /* wake index + 1: counts land one slot up */
        *map_put(&f->waits, serial, (uint64_t)x->start, NULL) = i + 1;
    }
    for (size_t k = 1; k <= d->nwakes + 1; k++)
        f->first[k] += f->first[k - 1];
    size_t *fill = xmalloc((d->nwakes + 1) * sizeof(*fill));
    memcpy(fill, f->first, (d->nwakes + 1) * sizeof(*fill));
    for (size_t i = 0; i < d->nwaits; i++)
        if (kept[i]) f->by_wake[fill[d->waits[i].waker - 1]++] = (uint32_t)i;
    for (size_t k = 0; k < d->nwakes; k++)
        if (f->first[k + 1] > f->first[k])
            *map_put(&f->wakes, d->threads[d->wakes[k].thread].serial, (uint64_t)d->wakes[k].at,
                     NULL) = k + 1;
    xfree(fill);
    xfree(kept);
}

static void flows_close(struct flows *f)
{
    wake_data_free(&f->d);
    map_free(&f->waits);
    map_free(&f->wakes);
    xfree(f->by_wake);
    xfree(f->first);
}

/* Whether ev is the call a wake or wait of kind was made of: another
 * event of its thread may start at the same time (a call that took no
 * time), and must not take its flows. */
static int is_kind(const struct ws_event *ev, int kind, int wake)
{
    if (kind == LOCK_NOTIFY) /* a write to an event loop's fd, an epoll wait */
        return wake ? (ws_call_flags(ev->call) & WS_CALL_WRITES) != 0
                    : ev->call == WS_EPOLL_WAIT || ev->call == WS_EPOLL_PWAIT;
    return lock_kind_of(ev->call) == kind && (wake ? lock_event_wakes(ev) : lock_event_waited(ev));
}

/* The flows of the slice of ev: the waits it woke, the wake that ended
 * it, each taken once.  Returns whether it woke a kept wait (and must be
 * kept). */
static int event_flows(struct flows *f, const struct ws_event *ev, struct ex_slice *s)
{
    int woke = 0;
    const uint64_t *k = map_get(&f->wakes, ev->thread, (uint64_t)ev->at);
    if (k && is_kind(ev, f->d.wakes[*k - 1].kind, 1)) {
        for (size_t i = f->first[*k - 1]; i < f->first[*k] && s->nflows_out < EX_FLOWS_MAX; i++)
            s->flows_out[s->nflows_out++] = f->base | (f->by_wake[i] + 1);
        map_del(&f->wakes, ev->thread, (uint64_t)ev->at);
        woke = 1;
    }
    const uint64_t *x = map_get(&f->waits, ev->thread, (uint64_t)ev->at);
    if (x && is_kind(ev, f->d.waits[*x - 1].kind, 0) && f->d.waits[*x - 1].end == event_end(ev)) {
        const struct wk_wait *wt = &f->d.waits[*x - 1];
        s->flow_in = f->base | *x;
        s->flow_in_tid = f->d.threads[f->d.wakes[wt->waker - 1].thread].tid;
        map_del(&f->waits, ev->thread, (uint64_t)ev->at);
    }
    return woke;
}

/* ---- names, cached per process ---- */

/* Texts worked out once per key (a caller's site, a lock's name): a
 * process may have millions of events from a few hundred places. */
struct names {
    struct map index;    /* (key, kind) -> its id in pool */
    struct strpool pool; /* (its strings stay where they are) */
};

static const char *names_get(struct names *nm, uint64_t key, uint64_t kind)
{
    const uint64_t *id = map_get(&nm->index, key, kind);
    return id ? strpool_get(&nm->pool, (uint32_t)*id) : NULL;
}

static const char *names_put(struct names *nm, uint64_t key, uint64_t kind, const char *text)
{
    uint32_t id = strpool_intern(&nm->pool, text, strlen(text));
    *map_put(&nm->index, key, kind, NULL) = id;
    return strpool_get(&nm->pool, id);
}

static void names_free(struct names *nm)
{
    map_free(&nm->index);
    strpool_free(&nm->pool);
}

enum { NAME_SITE, NAME_LOCK };

static const char *site_of(struct names *nm, struct ws_process *p, uint64_t caller)
{
    const char *t = names_get(nm, caller, NAME_SITE);
    char buf[512];
    return t ? t
             : names_put(nm, caller, NAME_SITE, site_text(sym_code(p, caller), buf, sizeof(buf)));
}

static const char *lock_of(struct names *nm, struct ws_process *p, uint64_t addr)
{
    const char *t = names_get(nm, addr, NAME_LOCK);
    char buf[512];
    return t ? t : names_put(nm, addr, NAME_LOCK, lock_name(p, addr, NULL, buf, sizeof(buf)));
}

/* A slow event's stack, one frame a line: its Python frames (the
 * program's code) then its native ones, as the report shows them. */
static const char *stack_of(struct ws_process *p, const struct ws_event *ev, char *buf, size_t len)
{
    size_t o = 0, lines = 0;
    char site[512];
    buf[0] = '\0';
    for (uint32_t i = 0; i < ev->npyframes && lines < STACK_LINES && o + 1 < len; i++, lines++)
        o += (size_t)snprintf(buf + o, len - o, "%s\n",
                              site_text(sym_code(p, ev->pyframes[i]), site, sizeof(site)));
    for (uint32_t i = 0; i < ev->nframes && lines < STACK_LINES && o + 1 < len; i++)
        for (const struct sym_code *c = sym_code(p, event_frame(ev, i));
             c && lines < STACK_LINES && o + 1 < len; c = c->outer, lines++) {
            if (ev->npyframes && site_is_interpreter(c)) break; /* CPython's own: folded */
            o += (size_t)snprintf(buf + o, len - o, "%s\n", site_text(c, site, sizeof(site)));
        }
    if (o >= len) o = len - 1;
    if (o && buf[o - 1] == '\n') buf[o - 1] = '\0';
    return o ? buf : NULL;
}

/* ---- slices ---- */

static void arg_str(struct ex_slice *s, const char *key, const char *v)
{
    if (v && s->nargs < EX_ARGS_MAX) s->args[s->nargs++] = (struct ex_arg){key, v, 0};
}

static void arg_int(struct ex_slice *s, const char *key, int64_t v)
{
    if (s->nargs < EX_ARGS_MAX) s->args[s->nargs++] = (struct ex_arg){key, NULL, v};
}

/* Each thread's open slices: the ends of those a new slice may be in. */
struct thread_stack {
    int64_t *ends;
    size_t n, cap;
};

struct proc_walk {
    struct walk *w;
    size_t pi;
    struct ex_process xp;
    struct ws_process *p;
    const struct proc_report *pr;
    struct map stack_index; /* thread serial -> index + 1 in stacks */
    struct thread_stack *stacks;
    size_t nstacks, stackcap;
    struct names names;
    struct query_table qt;
    uint8_t *async; /* per request: on a track of its own (find_async()) */
};

static struct thread_stack *thread_stack(struct proc_walk *pw, uint32_t serial)
{
    int created;
    uint64_t *slot = map_put(&pw->stack_index, serial, 0, &created);
    if (created) {
        ARRAY_PUSH(pw->stacks, pw->nstacks, pw->stackcap) = (struct thread_stack){0};
        *slot = pw->nstacks;
    }
    return &pw->stacks[*slot - 1];
}

/* Hands a slice over, nested in its thread's open ones (async: on its
 * own track).  Returns 0 without handing it when it cannot nest and
 * may_async: the caller then makes it async. */
static int emit(struct proc_walk *pw, struct ex_slice *s, int may_async)
{
    if (!s->async_id) {
        struct thread_stack *t = thread_stack(pw, s->thread);
        while (t->n && t->ends[t->n - 1] <= s->start)
            t->n--;
        if (t->n && s->end > t->ends[t->n - 1]) {
            if (may_async) return 0;
            s->end = t->ends[t->n - 1]; /* the log's clock stepped: cut to the outer end */
        }
        ARRAY_PUSH(t->ends, t->n, t->cap) = s->end;
    }
    pw->w->sink->slice(pw->w->sink->ctx, &pw->xp, s);
    pw->w->st->slices++;
    return 1;
}

static void emit_span(struct proc_walk *pw, struct ex_slice *s, uint64_t async_id, int async)
{
    if (async) s->async_id = async_id;
    if (!emit(pw, s, 1)) {
        s->async_id = async_id;
        emit(pw, s, 0);
    }
}

static void request_slice(struct proc_walk *pw, size_t i)
{
    const struct http_request *r = &pw->pr->requests[i];
    const struct strpool *sp = &pw->p->strings;
    struct ex_slice s = {0};
    char name[1200];
    const char *method = r->method ? strpool_get(sp, r->method) : "?";
    s.kind = r->outgoing ? EX_OUTGOING : EX_REQUEST;
    if (r->turn)
        snprintf(name, sizeof(name), "turn %s", r->peer ? strpool_get(sp, r->peer) : "");
    else if (r->outgoing)
        snprintf(name, sizeof(name), "%s %s%s", method, r->host ? strpool_get(sp, r->host) : "",
                 r->path ? strpool_get(sp, r->path) : "");
    else
        snprintf(name, sizeof(name), "%s %s", method,
                 strpool_get(sp, r->template ? r->template : r->path));
    s.name = name;
    s.cat = r->turn ? "turn" : r->outgoing ? "http.client" : "http";
    s.start = (int64_t)pw->p->start_unix_ns + r->start;
    s.end = (int64_t)pw->p->start_unix_ns + r->end;
    s.tid = r->tid;
    s.thread = r->thread;
    s.request = r->outgoing ? r->parent : (int64_t)i;
    s.req = r;
    s.failed = r->status >= 500;
    arg_int(&s, "id", (int64_t)r->id);
    arg_str(&s, "method", method);
    if (r->target) arg_str(&s, "target", strpool_get(sp, r->target));
    if (r->host) arg_str(&s, "host", strpool_get(sp, r->host));
    if (r->status) arg_int(&s, "status", r->status);
    if (r->peer) arg_str(&s, "peer", strpool_get(sp, r->peer));
    arg_int(&s, "bytes_in", (int64_t)r->bytes_in);
    arg_int(&s, "bytes_out", (int64_t)r->bytes_out);
    if (!r->outgoing) arg_int(&s, "queries", (int64_t)r->queries);
    if (!r->complete) arg_int(&s, "incomplete", 1);
    emit_span(pw, &s, i + 1, pw->async[i]);
}

static void mark_slice(struct proc_walk *pw, size_t i)
{
    const struct mark *m = &pw->pr->marks[i];
    const struct strpool *sp = &pw->p->strings;
    struct ex_slice s = {0};
    s.kind = EX_MARK;
    s.name = strpool_get(sp, m->name);
    s.cat = strpool_get(sp, m->kind);
    s.start = (int64_t)pw->p->start_unix_ns + m->start;
    s.end = (int64_t)pw->p->start_unix_ns + m->end;
    s.tid = m->tid;
    s.thread = m->thread;
    s.request = -1;
    s.mark = m;
    arg_int(&s, "id", (int64_t)m->id);
    arg_int(&s, "queries", (int64_t)m->queries);
    if (m->caller) arg_str(&s, "site", site_of(&pw->names, pw->p, m->caller));
    if (!m->complete) arg_int(&s, "incomplete", 1);
    emit_span(pw, &s, pw->pr->nrequests + i + 1, 0);
}

static void event_slice(struct proc_walk *pw, const struct ws_event *ev, uint32_t qid, size_t in,
                        struct flows *f)
{
    struct walk *w = pw->w;
    struct ws_process *p = pw->p;
    struct ex_slice s = {0};
    char err[64], stack[8192], name[600];

    int woke = event_flows(f, ev, &s);
    if (!in_scope(w, pw->pi, ev->thread, ev->at, ev->dur) && !woke) return;
    if (ev->dur < w->drop_below && !woke) {
        w->st->dropped++;
        pw->xp.dropped++;
        return;
    }
    enum lock_kind lk = lock_kind_of(ev->call);
    int syscall = call_is_syscall(ev->call);
    s.name = call_name(ev->call);
    s.start = (int64_t)p->start_unix_ns + ev->at;
    s.end = (int64_t)p->start_unix_ns + event_end(ev);
    s.tid = ev->tid;
    s.thread = ev->thread;
    s.request = in ? (int64_t)in - 1 : -1;
    s.slow = ev->dur >= w->a->slow_ns && (!syscall || call_can_be_slow(ev->call));
    if (qid != NO_QUERY) {
        s.kind = EX_QUERY;
        s.cat = "db";
        s.query = &pw->qt.q[qid];
        s.name = s.query->normalized;
        arg_str(&s, "db", db_name(event_db(ev)));
        arg_str(&s, "call", call_name(ev->call));
        if (ev->call != WS_SQLITE_EXEC) arg_int(&s, "rows", (int64_t)ev->err);
        s.failed = statement_failed(ev);
        if (s.failed) arg_int(&s, "result", ev->result); /* SQLite's code, libpq's status */
    } else if (lk != LOCK_NONE) {
        /* "pthread_mutex_lock(stats_lock)": which lock, on the slice itself */
        const char *lock = lock_of(&pw->names, p, (uint64_t)ev->obj);
        snprintf(name, sizeof(name), "%s(%s)", s.name, lock);
        s.name = name;
        s.kind = EX_LOCK;
        s.cat = "lock";
        arg_str(&s, "call", call_name(ev->call));
        arg_str(&s, "lock", lock);
        if (lock_event_waited(ev)) arg_int(&s, "wait", 1);
    } else {
        s.kind = EX_CALL;
        s.cat = syscall ? "syscall" : call_is_db(ev->call) ? "db" : "call";
        s.failed = syscall && event_failed(ev);
        if (syscall) {
            uint64_t bytes = event_bytes(ev);
            if (bytes) arg_int(&s, "bytes", (int64_t)bytes);
            arg_int(&s, "result", ev->result);
            if (s.failed) arg_str(&s, "error", event_error_name(ev, err, sizeof(err)));
        }
    }
    if (ev->target) arg_str(&s, "target", strpool_get(&p->strings, ev->target));
    if (ev->caller) arg_str(&s, "site", site_of(&pw->names, p, ev->caller));
    if (ev->unfinished) arg_int(&s, "unfinished", 1);
    if (s.slow) s.stack = stack_of(p, ev, stack, sizeof(stack));
    emit(pw, &s, 0);
}

/* ---- spans: requests and marks, in start order ---- */

struct span {
    int64_t start, end;
    uint32_t thread;
    uint8_t mark, outgoing;
    size_t i;
};

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1; /* the enclosing one first */
    return x->mark != y->mark ? (x->mark ? 1 : -1) : (x->i < y->i ? -1 : x->i > y->i);
}

static int cmp_span_thread(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    return cmp_span(a, b);
}

/* Requests served at once by one thread (an event loop), and calls made
 * at once by one thread, are async: each goes on a track of its own. */
static void find_async(struct proc_walk *pw, struct span *v, size_t n)
{
    xsort(v, n, sizeof(*v), cmp_span_thread);
    for (int outgoing = 0; outgoing < 2; outgoing++) {
        int64_t maxend = INT64_MIN;
        size_t owner = 0;
        uint32_t thread = UINT32_MAX;
        for (size_t k = 0; k < n; k++) {
            if (v[k].mark || v[k].outgoing != outgoing) continue;
            if (v[k].thread != thread) thread = v[k].thread, maxend = INT64_MIN;
            if (v[k].start < maxend) pw->async[v[k].i] = pw->async[owner] = 1;
            if (v[k].end > maxend) maxend = v[k].end, owner = v[k].i;
        }
    }
    xsort(v, n, sizeof(*v), cmp_span);
}

/* The spans in scope, in start order. */
static struct span *spans_of(struct proc_walk *pw, size_t *n)
{
    const struct proc_report *pr = pw->pr;
    struct walk *w = pw->w;
    struct span *v = xmalloc((pr->nrequests + pr->nmarks + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < pr->nrequests; i++) {
        const struct http_request *r = &pr->requests[i];
        if (!in_scope(w, pw->pi, r->thread, r->start, (uint64_t)(r->end - r->start)) ||
            (w->o->endpoint && !narrow_selects(&w->narrow, pr, r)))
            continue;
        v[(*n)++] = (struct span){r->start, r->end, r->thread, 0, (uint8_t)r->outgoing, i};
    }
    find_async(pw, v, *n);
    for (size_t i = 0; i < pr->nmarks; i++) {
        const struct mark *m = &pr->marks[i];
        if (!in_scope(w, pw->pi, m->thread, m->start, (uint64_t)(m->end - m->start))) continue;
        v[(*n)++] = (struct span){m->start, m->end, m->thread, 1, 0, i};
    }
    xsort(v, *n, sizeof(*v), cmp_span);
    return v;
}

static void emit_spans_until(struct proc_walk *pw, const struct span *v, size_t n, size_t *next,
                             int64_t at)
{
    for (; *next < n && v[*next].start <= at; ++*next)
        if (v[*next].mark)
            mark_slice(pw, v[*next].i);
        else
            request_slice(pw, v[*next].i);
}

/* ---- a process ---- */

static void declare_process(struct proc_walk *pw, char *cmd, size_t len)
{
    struct ws_process *p = pw->p;
    const struct ex_sink *k = pw->w->sink;
    struct ex_process *xp = &pw->xp;
    xp->pr = pw->pr;
    xp->p = p;
    xp->pid = p->pid;
    xp->ppid = p->ppid;
    xp->name = process_command(p, cmd, len);
    xp->exe = p->exe;
    xp->start = (int64_t)p->start_unix_ns;
    xp->end = xp->start + p->duration_ns;
    xp->lost = p->lost;
    k->process(k->ctx, xp);
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct log_thread *t = &p->threads[i];
        if (!t->events && !t->name) continue;
        k->thread(k->ctx, xp, t->tid, t->serial,
                  t->name ? strpool_get(&p->strings, t->name) : NULL);
        /* The kernel's count of its time runnable but not running. */
        for (size_t s = 0; s < t->nsched; s++)
            k->counter(k->ctx, xp, t->tid, "waiting for a CPU (ms)", xp->start + t->sched[s].at,
                       (double)t->sched[s].wait_ns / 1e6);
    }
    if (p->lost) {
        k->counter(k->ctx, xp, 0, "events lost", xp->start, 0);
        k->counter(k->ctx, xp, 0, "events lost", xp->end, (double)p->lost);
    }
}

static void walk_process(struct walk *w, size_t pi)
{
    struct proc_walk pw = {.w = w, .pi = pi, .pr = &w->a->procs[pi], .p = w->a->procs[pi].p};
    struct flows f;
    char cmd[1024];
    flows_open(&f, w, pi);
    pw.async = xcalloc(pw.pr->nrequests + 1, 1);
    size_t nspans, next = 0;
    struct span *spans = spans_of(&pw, &nspans);
    declare_process(&pw, cmd, sizeof(cmd));

    /* The requests see every event, in the analysis's order, so that
     * each event is attributed to the request the report counts it for. */
    struct http_state *hs = http_open(pw.p);
    struct timeline *tl = timeline_open(pw.p);
    struct ws_event ev;
    while (timeline_next(tl, &ev)) {
        uint32_t qid = NO_QUERY;
        struct stmt st;
        if (event_is_statement(&ev)) {
            queries_add(&pw.qt, &ev, &st);
            qid = st.qid;
        }
        size_t in = http_event(hs, &ev, qid);
        if (!exported(&ev)) continue;
        emit_spans_until(&pw, spans, nspans, &next, ev.at);
        event_slice(&pw, &ev, qid, in, &f);
    }
    timeline_close(tl);
    emit_spans_until(&pw, spans, nspans, &next, INT64_MAX);
    w->sink->process_end(w->sink->ctx, &pw.xp);

    struct http_request *reqs;
    size_t nreqs;
    struct map counts;
    http_close(hs, &reqs, &nreqs, &counts);
    xfree(reqs);
    map_free(&counts);
    queries_done(&pw.qt);
    queries_free(pw.qt.q, pw.qt.n);
    for (size_t i = 0; i < pw.nstacks; i++)
        xfree(pw.stacks[i].ends);
    xfree(pw.stacks);
    map_free(&pw.stack_index);
    names_free(&pw.names);
    xfree(pw.async);
    xfree(spans);
    flows_close(&f);
    sym_release(pw.p);
}

/* --endpoint's or --test's spans, per process; NULL without them. */
static struct windows **windows_of(const struct analysis *a, const struct export_opts *o,
                                   struct analyze_opts *narrow, size_t *selected)
{
    analyze_opts_default(narrow);
    narrow->endpoint = o->endpoint;
    *selected = 0;
    if (o->endpoint) return narrow_windows(a, narrow, selected);
    if (o->test) return narrow_windows_tests(a, o->test, selected);
    return NULL;
}

int export_selects(const struct analysis *a, const struct export_opts *o)
{
    struct analyze_opts narrow;
    size_t selected;
    struct windows **win = windows_of(a, o, &narrow, &selected);
    if (!win) return 1;
    narrow_free(win, a->nprocs);
    return selected > 0;
}

int export_walk(const struct analysis *a, const struct findings *fs, const struct export_opts *o,
                const struct ex_sink *sink, struct export_stats *st)
{
    struct walk w = {.a = a, .o = o, .sink = sink, .st = st};
    (void)fs;
    memset(st, 0, sizeof(*st));
    st->origin = INT64_MAX;
    for (size_t i = 0; i < a->nprocs; i++)
        if ((int64_t)a->procs[i].p->start_unix_ns < st->origin)
            st->origin = (int64_t)a->procs[i].p->start_unix_ns;
    if (!a->nprocs) st->origin = 0;
    /* (saturated: --from 1e10s is after any run) */
    w.from = o->from_ns > INT64_MAX - st->origin ? INT64_MAX : st->origin + o->from_ns;
    w.to = o->to_ns > INT64_MAX - st->origin ? INT64_MAX : st->origin + o->to_ns;
    size_t selected;
    w.win = windows_of(a, o, &w.narrow, &selected);

    set_threshold(&w);
    for (size_t i = 0; i < a->nprocs; i++)
        if (!w.win || !narrow_empty(w.win[i])) walk_process(&w, i);
    if (w.win) narrow_free(w.win, a->nprocs);
    return sink->finish(sink->ctx);
}
