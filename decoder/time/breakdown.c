/* SPDX-License-Identifier: MIT */
/*
 * breakdown.c - each thread's wall time split by what it was doing (see
 * breakdown.h).  Which part a call counts for is the part column of the
 * table of calls (include/whyslow/calls.h); where it says BY_FD, what the
 * fd is decides (fd_part); the rule as a whole is in docs/rules.md (the
 * time breakdown).
 */
#include "time/breakdown.h"

#include "base/hashmap.h"
#include "base/util.h"
#include "log/calls.h"
#include "symbols/symbolize.h"
#include "time/sweep.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>

/*
 * Whether a lock (mutex or condition variable) at addr is CPython's GIL,
 * whose state lives in the data symbol _PyRuntime: a Python thread waiting
 * for the GIL waits on it with pthread_cond_timedwait (and mutex waits).
 * The symbolizer answers from the recorded maps and keeps its answers in
 * the process (hence the cast: the process is not otherwise changed).
 */
static int lock_is_gil(const struct ws_process *p, uint64_t addr)
{
    return sym_is_gil((struct ws_process *)p, addr);
}

const char *time_part_name(enum time_part part)
{
    static const char *const names[TIME_PARTS] = {"disk",  "net",  "lock", "db",
                                                  "sleep", "wait", "other"};
    return part >= 0 && part < TIME_PARTS ? names[part] : "none";
}

char time_part_letter(enum time_part part)
{
    static const char letters[TIME_PARTS] = {'D', 'N', 'L', 'B', 'S', 'W', '.'};
    return part >= 0 && part < TIME_PARTS ? letters[part] : ' ';
}

unsigned time_part_priority(enum time_part part)
{
    switch (part) {
    case PART_DB:
        return 6;
    case PART_LOCK:
        return 5;
    case PART_DISK:
        return 4;
    case PART_NET:
        return 3;
    case PART_SLEEP:
        return 2;
    case PART_WAIT:
        return 1;
    default:
        return 0;
    }
}

/* A call whose part is BY_FD in the table (read, write, readv, writev,
 * close): by what the fd is.  Reading from a pipe, a terminal or an
 * eventfd waits for whoever writes it; closing one takes no waiting. */
static enum time_part fd_part(const struct ws_event *ev)
{
    unsigned flags = ws_call_flags(ev->call);
    switch (ev->target_kind) {
    case WS_FD_FILE:
        return PART_DISK;
    case WS_FD_SOCKET:
        return PART_NET;
    case WS_FD_PIPE:
    case WS_FD_TTY:
        return flags & (WS_CALL_READS | WS_CALL_WRITES) ? PART_WAIT : PART_OTHER;
    case WS_FD_OTHER:
        return flags & WS_CALL_READS ? PART_WAIT : PART_OTHER;
    default:
        return PART_OTHER;
    }
}

/* The part column of the table of calls (include/whyslow/calls.h). */
#define PART_BY_FD TIME_PARTS

static int table_part(unsigned call)
{
#define PART_OF(id, num, name, family, obj, flags, part)                                           \
    case num:                                                                                      \
        return PART_##part;
    switch (call) {
        WS_CALLS(PART_OF)
    default: /* calls of a newer recorder; its records last no time */
        return call < 100 ? PART_OTHER : PART_NONE;
    }
#undef PART_OF
}

enum time_part time_part_of(const struct ws_process *p, const struct ws_event *ev, int *gil)
{
    *gil = 0;
    int part = table_part(ev->call);
    if (lock_kind_of(ev->call) != LOCK_NONE) { /* only waits take time */
        if (!lock_event_waited(ev)) return PART_NONE;
        if (lock_is_gil(p, (uint64_t)ev->obj)) {
            *gil = 1;
            return PART_LOCK;
        }
    }
    /* A poll or select given no descriptors only sleeps (PostgreSQL's
     * pg_usleep); -1: the recorder did not say. */
    if ((ev->call == WS_POLL || ev->call == WS_PPOLL || ev->call == WS_SELECT) && ev->obj == 0)
        return PART_SLEEP;
    return part == PART_BY_FD ? fd_part(ev) : (enum time_part)part;
}

uint64_t thread_time_busy(const struct thread_time *t)
{
    uint64_t idle = t->part_ns[PART_WAIT] + t->part_ns[PART_SLEEP];
    return t->wall_ns > idle ? t->wall_ns - idle : 0;
}

/* ---- the threads of a process ---- */

/* The b of a span (sweep.h): a wait for the GIL, or a semaphore or futex
 * wait (addr * 4 + its kind's code), or 0. */
#define SPAN_GIL   1
#define SPAN_SEM   2
#define SPAN_FUTEX 3

struct thread_state {
    struct thread_time t;
    struct map *waits; /* the breakdown's: (serial, span b) -> ns */
    struct sweep sw;
    int ended;        /* its THREAD_END was seen, at t.end_ns */
    int64_t last_end; /* where its latest event ended */
};

#define DIRECT 256 /* threads found by their serial without the map */

struct breakdown {
    const struct ws_process *p;
    struct thread_state **ts; /* each apart: its sweep points to it */
    size_t n, cap;
    struct thread_state *direct[DIRECT]; /* by serial, the first serials */
    struct map index;                    /* the others: serial -> index in ts + 1 */
    struct map waits;                    /* (serial, span b) -> lock ns */
};

/* A stretch of a thread's time won by a span: the span's part. */
static void count_stretch(void *ctx, int64_t from, int64_t to, const struct sweep_span *winner)
{
    struct thread_state *s = ctx;
    uint64_t ns = (uint64_t)((__int128)to - from);
    s->t.part_ns[winner->a] += ns;
    if (winner->b == SPAN_GIL)
        s->t.gil_ns += ns;
    else if (winner->b)
        *map_put(s->waits, s->t.serial, winner->b, NULL) += ns;
}

struct breakdown *breakdown_open(const struct ws_process *p)
{
    struct breakdown *b = xcalloc(1, sizeof(*b));
    b->p = p;
    return b;
}

/* The main thread: the one whose tid is the pid (the first thread when
 * the log has no pid). */
static int is_main(const struct ws_process *p, const struct ws_event *ev)
{
    return p->pid ? ev->tid == p->pid : ev->thread == 1;
}

/* The state of ev's thread, started at ev when it is its first event. */
static struct thread_state *thread_of(struct breakdown *b, const struct ws_event *ev)
{
    uint64_t *slot = NULL;
    if (ev->thread < DIRECT) {
        if (b->direct[ev->thread]) return b->direct[ev->thread];
    } else {
        int created;
        slot = map_put(&b->index, ev->thread, 0, &created);
        if (!created) return b->ts[*slot - 1];
    }

    struct thread_state *s = xcalloc(1, sizeof(*s));
    s->t.serial = ev->thread;
    s->t.tid = ev->tid;
    s->t.start_ns = is_main(b->p, ev) && ev->at > 0 ? 0 : ev->at;
    s->last_end = s->t.start_ns;
    s->waits = &b->waits;
    sweep_init(&s->sw, s->t.start_ns, count_stretch, s);
    ARRAY_PUSH(b->ts, b->n, b->cap) = s;
    if (slot)
        *slot = b->n;
    else
        b->direct[ev->thread] = s;
    return s;
}

void breakdown_event(struct breakdown *b, const struct ws_event *ev)
{
    struct thread_state *s = thread_of(b, ev);
    int64_t end = event_end(ev);
    if (end > s->last_end) s->last_end = end;
    if (ev->call == WS_EV_THREAD_END && !s->ended) {
        s->ended = 1;
        s->t.end_ns = ev->at;
    }
    int gil;
    enum time_part part = time_part_of(b->p, ev, &gil);
    if (part == PART_NONE || ev->dur == 0) return;
    uint64_t tag = gil ? SPAN_GIL : 0;
    enum lock_kind lk = lock_kind_of(ev->call);
    if (part == PART_LOCK && !gil && (lk == LOCK_SEM || lk == LOCK_FUTEX))
        tag = (uint64_t)ev->obj * 4 + (lk == LOCK_SEM ? SPAN_SEM : SPAN_FUTEX);
    sweep_add(&s->sw, ev->at, end, time_part_priority(part), (uint64_t)part, tag);
}

static int cmp_busy(const void *a, const void *b)
{
    const struct thread_time *x = a, *y = b;
    uint64_t bx = thread_time_busy(x), by = thread_time_busy(y);
    if (bx != by) return bx > by ? -1 : 1;
    if (x->tid != y->tid) return x->tid < y->tid ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

void breakdown_close(struct breakdown *b, struct thread_time **threads, size_t *n,
                     struct time_total *total, struct obj_wait **waits, size_t *nwaits)
{
    const struct ws_process *p = b->p;
    struct thread_time *out = xmalloc((b->n ? b->n : 1) * sizeof(*out));
    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < b->n; i++) {
        struct thread_state *s = b->ts[i];
        struct thread_time *t = &s->t;
        /* A thread still running at the end ends with the process; none
         * ends before its events. */
        int64_t end = s->ended ? t->end_ns : p->duration_ns;
        if (end < s->last_end) end = s->last_end;
        sweep_to(&s->sw, end);
        sweep_free(&s->sw);
        t->end_ns = end;
        t->wall_ns = (uint64_t)((__int128)end - t->start_ns);
        uint64_t parts = 0;
        for (int k = 0; k < PART_OTHER; k++)
            parts += t->part_ns[k];
        t->part_ns[PART_OTHER] = t->wall_ns - parts; /* parts <= wall: see sweep.h */
        const struct log_thread *wt = process_find_thread(p, t->serial);
        t->name = wt ? wt->name : 0;

        total->wall_ns += t->wall_ns;
        for (int k = 0; k < TIME_PARTS; k++)
            total->part_ns[k] += t->part_ns[k];
        total->gil_ns += t->gil_ns;
        out[i] = *t;
        xfree(s);
    }
    total->threads = b->n;
    xsort(out, b->n, sizeof(*out), cmp_busy);
    *threads = out;
    *n = b->n;

    size_t cap = 0;
    *waits = NULL;
    *nwaits = 0;
    for (size_t i = 0; i < b->waits.cap; i++) {
        const struct map_slot *m = &b->waits.slots[i];
        if (!m->used) continue;
        struct obj_wait w = {(uint32_t)m->a, (m->b & 3) == SPAN_SEM ? LOCK_SEM : LOCK_FUTEX,
                             m->b >> 2, m->value};
        ARRAY_PUSH(*waits, *nwaits, cap) = w;
    }
    xfree(b->ts);
    map_free(&b->index);
    map_free(&b->waits);
    xfree(b);
}

/* Moves the time of the waits pick() chooses from one part to another,
 * in the threads and their total, and sorts the threads again. */
static void move_waits(struct thread_time *threads, size_t n, struct time_total *total,
                       const struct obj_wait *waits, size_t nwaits,
                       int (*pick)(const void *ctx, uint64_t addr, int kind), const void *ctx,
                       enum time_part from, enum time_part to)
{
    struct map index = {0}; /* serial -> index + 1 */
    for (size_t i = 0; i < n; i++)
        *map_put(&index, threads[i].serial, 0, NULL) = i + 1;
    for (size_t i = 0; i < nwaits; i++) {
        const struct obj_wait *w = &waits[i];
        uint64_t *k = map_get(&index, w->serial, 0);
        if (!k || !pick(ctx, w->addr, w->kind)) continue;
        struct thread_time *t = &threads[*k - 1];
        uint64_t ns = w->ns < t->part_ns[from] ? w->ns : t->part_ns[from];
        t->part_ns[from] -= ns;
        t->part_ns[to] += ns;
        total->part_ns[from] -= ns;
        total->part_ns[to] += ns;
    }
    map_free(&index);
    xsort(threads, n, sizeof(*threads), cmp_busy);
}

void breakdown_parks(struct thread_time *threads, size_t n, struct time_total *total,
                     const struct obj_wait *waits, size_t nwaits,
                     int (*is_park)(const void *ctx, uint64_t addr, int kind), const void *ctx)
{
    move_waits(threads, n, total, waits, nwaits, is_park, ctx, PART_LOCK, PART_WAIT);
}

void breakdown_unpark(struct thread_time *threads, size_t n, struct time_total *total,
                      const struct obj_wait *waits, size_t nwaits,
                      int (*is_lock)(const void *ctx, uint64_t addr, int kind), const void *ctx)
{
    move_waits(threads, n, total, waits, nwaits, is_lock, ctx, PART_WAIT, PART_LOCK);
}
