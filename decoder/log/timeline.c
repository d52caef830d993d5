/* SPDX-License-Identifier: MIT */
/*
 * timeline.c - from raw records to a process timeline.
 *
 * Clock: with WS_CLOCK_TSC, ticks become ns through the two CLOCK records
 * farthest apart (Δmonotonic_ns / Δts); with fewer than two, one tick is
 * taken as one ns and the process gets the note "clock rate unknown".
 * The process starts at the earliest CLOCK record (the recorder takes one
 * when it starts); without any, at its earliest event.
 *
 * Order: each thread's events are in its stream order (chunks by seq),
 * and the threads are merged by start time, ties going to the lower
 * thread serial, with a binary heap of one cursor per thread.  A cursor
 * inflates its thread's chunks one at a time from the log's bytes.
 *
 * The start times of one thread go back when a call was recorded inside
 * another one: an SQL statement's record is written when it ends, after
 * those of the calls made during its span (a signal handler's calls come
 * before the call they interrupted, too).  For such a thread, its lag was
 * measured as its chunks were checked (chunk_decode.c, then across chunks
 * in order_streams): how far at most a start goes back behind the latest
 * start before it.  Its cursor reads ahead into a window, a heap of
 * events by start time (stream order among equals), and hands an event
 * out once a start later than it by the lag or more has been read: no
 * record still to come can start before it.  The window holds the events
 * of about one lag's time, and the chunks they came from stay inflated
 * while it does.
 *
 * A log may claim any lag: the windows of a timeline hold at most
 * WINDOW_EVENTS(len) events and WINDOW_BYTES(len) bytes of inflated
 * chunks (len: the log's size).  Past either, a cursor hands out its
 * earliest event without waiting, and an event read later that starts
 * before the last one it handed out is moved to that start, so that each
 * thread's events still come in time order; the process gets a note.  A
 * real log comes nowhere near: its window holds what its threads did
 * during one SQL statement.
 */
#include "log/timeline.h"

#include "base/text.h"
#include "base/util.h"
#include "log/calls.h"
#include "log/chunk_decode.h"
#include "log/fdmodel.h"
#include "log/pysites.h"

#include <whyslow/format.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static int64_t to_ns(const struct ws_process *p, uint64_t ts)
{
    __int128 d = (__int128)ts - (__int128)p->ts_start;
    __int128 ns;
    uint64_t prod;
    if (p->ts_num == p->ts_den)
        ns = d;
    else if (d >= 0 && d <= UINT64_MAX && !__builtin_mul_overflow((uint64_t)d, p->ts_num, &prod))
        ns = prod / p->ts_den; /* the same value, without 128-bit division */
    else
        ns = d * p->ts_num / p->ts_den;
    if (ns > INT64_MAX) return INT64_MAX;
    if (ns < INT64_MIN) return INT64_MIN;
    return (int64_t)ns;
}

static uint64_t dur_ns(const struct ws_process *p, uint64_t dur)
{
    uint64_t prod;
    if (p->ts_num == p->ts_den) return dur;
    if (!__builtin_mul_overflow(dur, p->ts_num, &prod)) return prod / p->ts_den;
    unsigned __int128 ns = (unsigned __int128)dur * p->ts_num / p->ts_den;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static void set_clock(struct ws_process *p, uint64_t min_ts)
{
    p->ts_num = p->ts_den = 1;
    if (p->clock_source == WS_CLOCK_TSC) {
        if (p->nclocks >= 2 && p->clock_hi_ts > p->clock_lo_ts &&
            p->clock_hi_mono > p->clock_lo_mono) {
            p->ts_num = p->clock_hi_mono - p->clock_lo_mono;
            p->ts_den = p->clock_hi_ts - p->clock_lo_ts;
            /* Keep ts * num within 128 bits whatever the log says. */
            while (p->ts_num >= 1ull << 62 || p->ts_den >= 1ull << 62) {
                p->ts_num = p->ts_num >> 1 | 1;
                p->ts_den = p->ts_den >> 1 | 1;
            }
        } else {
            process_note(p, "clock rate unknown (fewer than two clock records): "
                            "TSC ticks are shown as nanoseconds");
        }
    } else if (p->has_process_record && p->clock_source != WS_CLOCK_MONOTONIC) {
        process_note(p, "unknown clock source %llu: timestamps taken as nanoseconds",
                     (unsigned long long)p->clock_source);
    }
    p->ticks_per_ns = (double)p->ts_den / (double)p->ts_num;
    p->ts_start = p->nclocks ? p->clock_lo_ts : min_ts;
}

static int cmp_chunk(const void *a, const void *b)
{
    const struct ws_chunk_ref *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Puts the chunks in stream order (by thread, then seq: only the order of
 * seq is used, it need not grow by the chunk's size) and tells each
 * thread where its chunks are and how far its start times go back. */
static void order_streams(struct ws_process *p)
{
    xsort(p->chunks, p->nchunks, sizeof(*p->chunks), cmp_chunk);
    for (size_t i = 0; i < p->nchunks;) {
        struct log_thread *t = process_thread(p, p->chunks[i].thread);
        uint64_t max = 0; /* the latest start in the chunks before */
        int any = 0;
        t->chunk0 = i;
        t->lag = 0;
        t->events = 0;
        for (; i < p->nchunks && p->chunks[i].thread == t->serial; i++) {
            const struct ws_chunk_ref *c = &p->chunks[i];
            t->events += c->n;
            if (c->n == 0) continue;
            if (c->lag > t->lag) t->lag = c->lag;
            if (any && c->min_ts < max && max - c->min_ts > t->lag) t->lag = max - c->min_ts;
            if (!any || c->max_ts > max) max = c->max_ts;
            any = 1;
        }
        t->nchunks = i - t->chunk0;
    }
}

void timeline_finish(struct ws_process *p)
{
    if (!p->has_process_record) process_note(p, "no process record (pid, command) in the log");
    order_streams(p);

    uint64_t min_ts = 0;
    int any = 0;
    for (size_t i = 0; i < p->nchunks; i++) {
        if (p->chunks[i].n == 0) continue;
        if (!any || p->chunks[i].min_ts < min_ts) min_ts = p->chunks[i].min_ts;
        any = 1;
    }
    set_clock(p, min_ts);
    p->first_at = any ? to_ns(p, min_ts) : 0;

    /* The duration grows to the end of the last event as a timeline is read. */
    p->duration_ns = 0;
    if (p->has_end) {
        int64_t end = to_ns(p, p->end_ts);
        p->end_ts = end > 0 ? (uint64_t)end : 0;
        if (end > 0) p->duration_ns = end;
    } else if (p->gone) {
        /* Killed: it lived at least until its last event (read later),
         * and at most until its flusher found it gone. */
        int64_t gone = to_ns(p, p->gone_ts);
        p->gone_ts = gone > 0 ? (uint64_t)gone : 0;
        if (gone > 0) p->duration_ns = gone;
    }
    if (p->stopped) {
        int64_t at = to_ns(p, p->stopped_ts);
        const char *abbrev = p->stopped_signal < 65 ? sigabbrev_np((int)p->stopped_signal) : NULL;
        char sig[32];
        if (abbrev)
            snprintf(sig, sizeof sig, "SIG%s", abbrev);
        else
            snprintf(sig, sizeof sig, "signal %llu", (unsigned long long)p->stopped_signal);
        process_note(p,
                     "recording stopped at %.3f s: %s was sent to its flusher; what the process "
                     "did after that is not in the log",
                     at > 0 ? (double)at / 1e9 : 0.0, sig);
    }

    /* The CPU samples' times, in ns. */
    for (size_t i = 0; i < p->nthreads; i++)
        for (size_t k = 0; k < p->threads[i].nsched; k++)
            p->threads[i].sched[k].at = to_ns(p, (uint64_t)p->threads[i].sched[k].at);

    /* Threads with events or a name; only META records can name a thread
     * that has no events. */
    for (size_t i = 0; i < p->nmeta; i++)
        if (p->meta[i].type == WS_META_THREAD_NAME && p->meta[i].v[2])
            process_thread(p, (uint32_t)p->meta[i].v[0])->name = (uint32_t)p->meta[i].v[2];
    p->thread_count = 0;
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i].events || p->threads[i].name || p->threads[i].uf_call) p->thread_count++;
}

/* ---- reading the events back ---- */

#define NO_BUF SIZE_MAX

/* The bounds of the windows (see above): 136 bytes an event, so 8.5 MiB
 * and 34 times the log's size at most, and the chunks. */
#define WINDOW_EVENTS(len) ((64u << 10) + (len) / 4)
#define WINDOW_BYTES(len)  ((8u << 20) + 8 * (len))

/* An inflated chunk of a thread, kept while events of it are waiting. */
struct chunk_buf {
    uint8_t *p;
    size_t cap;
    size_t refs; /* events in the window, or handed out, that came from it */
};

/* An event read ahead by the cursor of a thread out of order. */
struct pending {
    struct ws_event ev;
    uint64_t ts;  /* its raw start */
    uint64_t seq; /* its position in the thread's stream */
    size_t buf;   /* the chunk buffer it came from */
};

struct cursor {
    struct log_thread *t;
    size_t chunk, end;      /* the next chunk of the thread, and past its last */
    struct chunk_buf *bufs; /* bufs[cur]: the chunk being read */
    size_t nbufs, bufcap, cur;
    const uint8_t *q, *qend;
    size_t left; /* its records not read yet */
    uint64_t ts, caller;
    uint32_t tid;

    /* A thread out of order (t->lag > 0): the window, a heap by start. */
    struct pending *win;
    size_t nwin, wincap;
    uint64_t seq, max_ts; /* records read so far, and their latest raw start */
    int done;             /* its stream is read to the end */
    int uf_done;          /* its unfinished call (unfinished_event()) was handed out */
    size_t head_buf;      /* the buffer of the event handed out last, or NO_BUF */
    int handed;           /* it handed an event out, starting at out_ts (raw), out_at */
    uint64_t out_ts;
    int64_t out_at;

    struct ws_event head; /* the thread's next event */

    /* The Python site and stack its last WS_EV_PYSITE and WS_EV_PYSTACK
     * records gave, for its next event (py_attach()); and the tagged
     * frames handed out with the event last handed out. */
    uint64_t py_site;
    uint64_t db_site; /* the site of its database executions (WS_PYSITE_DB) */
    uint64_t py_keys[PY_STACK_MAX];
    uint32_t npy_keys;
    int64_t py_site_at, py_keys_at; /* the start of the event they are for */
    uint64_t py_out[PY_STACK_MAX];
};

struct timeline {
    struct ws_process *p;
    ZSTD_DCtx *dctx;
    struct cursor *cursors;
    size_t ncursors;
    struct cursor **heap; /* by head.at, then thread serial */
    size_t nheap;
    struct cursor *taken; /* whose head was handed out last: advanced next time */
    struct fdmodel fm;
    int settled;
    /* What the windows hold: events, and bytes of the chunks they pin;
     * and at most. */
    size_t pending, pinned, pending_max, pinned_max;
    /* SQLite statement texts (WS_SQLITE_STMT): (thread, statement) ->
     * index + 1 in texts.  An interned text is pointed to; a literal one
     * copied (own), with a text number of its own, from next_text. */
    struct map stmts;
    struct stmt_text {
        uint8_t *own;
        const uint8_t *bytes;
        uint32_t len, text;
    } * texts;
    size_t ntexts, textcap;
    uint32_t next_text;
};

/* Inflates chunk c into *buf (growing it); 0 if it does not inflate,
 * which log_read.c made sure it does. */
static int inflate(ZSTD_DCtx *dctx, const struct ws_process *p, const struct ws_chunk_ref *c,
                   uint8_t **buf, size_t *cap)
{
    xreserve(buf, cap, (size_t)c->raw_size + 1);
    size_t n = ZSTD_decompressDCtx(dctx, *buf, c->raw_size, p->data + c->frame, c->csize);
    return !ZSTD_isError(n) && n == c->raw_size;
}

/* A decoded record becomes an event of the thread, in ns. */
static void as_event(const struct ws_process *p, const struct cursor *c, uint32_t tid,
                     struct ws_event *ev)
{
    ev->thread = c->t->serial;
    ev->tid = tid;
    ev->at = to_ns(p, (uint64_t)ev->at);
    ev->dur = dur_ns(p, ev->dur);
    if (ev->call == WS_PG_QUERY) ev->aux2 = dur_ns(p, ev->aux2);
}

/* Makes bufs[cur] a buffer that no waiting event came from. */
static void free_buffer(struct cursor *c)
{
    if (c->nbufs && c->bufs[c->cur].refs == 0) return;
    for (size_t i = 0; i < c->nbufs; i++) {
        if (c->bufs[i].refs == 0) {
            c->cur = i;
            return;
        }
    }
    xgrow(&c->bufs, &c->bufcap, c->nbufs + 1, sizeof(*c->bufs));
    c->bufs[c->nbufs] = (struct chunk_buf){0};
    c->cur = c->nbufs++;
}

/* Decodes the next record of the thread's stream into *ev, its raw start
 * into *ts; returns 0 at the end of the thread. */
static int stream_next(struct timeline *tl, struct cursor *c, struct ws_event *ev, uint64_t *ts)
{
    const struct ws_process *p = tl->p;
    while (c->left == 0) {
        if (c->chunk == c->end) return 0;
        const struct ws_chunk_ref *ch = &p->chunks[c->chunk++];
        if (ch->n == 0) continue;
        free_buffer(c);
        struct chunk_buf *b = &c->bufs[c->cur];
        if (!inflate(tl->dctx, p, ch, &b->p, &b->cap)) {
            c->chunk = c->end;
            return 0;
        }
        c->q = b->p;
        c->qend = b->p + ch->raw_size;
        c->left = ch->n;
        c->ts = ch->base_ts;
        c->caller = 0;
        c->tid = ch->tid;
    }
    if (decode_record(p, &c->q, c->qend, &c->ts, &c->caller, ev) != RECORD_OK) {
        c->left = 0;
        c->chunk = c->end;
        return 0;
    }
    c->left--;
    *ts = (uint64_t)ev->at;
    as_event(p, c, c->tid, ev);
    return 1;
}

static int pending_before(const struct pending *a, const struct pending *b)
{
    if (a->ts != b->ts) return a->ts < b->ts;
    return a->seq < b->seq;
}

static void window_push(struct cursor *c, const struct pending *pe)
{
    xgrow(&c->win, &c->wincap, c->nwin + 1, sizeof(*c->win));
    size_t i = c->nwin++;
    while (i > 0 && pending_before(pe, &c->win[(i - 1) / 2])) {
        c->win[i] = c->win[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->win[i] = *pe;
}

static void window_pop(struct cursor *c)
{
    struct pending last = c->win[--c->nwin];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct pending *best = &last;
        if (l < c->nwin && pending_before(&c->win[l], best)) m = l, best = &c->win[l];
        if (r < c->nwin && pending_before(&c->win[r], best)) m = r;
        if (m == i) break;
        c->win[i] = c->win[m];
        i = m;
    }
    if (c->nwin > 0) c->win[i] = last;
}

/* One more (or one fewer) event of the window, or handed out, from
 * buffer i: a buffer is pinned while any is. */
static void buf_ref(struct timeline *tl, struct cursor *c, size_t i)
{
    if (c->bufs[i].refs++ == 0) tl->pinned += c->bufs[i].cap;
}

static void buf_unref(struct timeline *tl, struct cursor *c, size_t i)
{
    if (--c->bufs[i].refs == 0) tl->pinned -= c->bufs[i].cap;
}

/* The next event of a thread out of order, through its window. */
static int advance_window(struct timeline *tl, struct cursor *c)
{
    uint64_t lag = c->t->lag;
    if (c->head_buf != NO_BUF) buf_unref(tl, c, c->head_buf); /* the caller is done with it */
    c->head_buf = NO_BUF;
    for (;;) {
        int full = tl->pending >= tl->pending_max || tl->pinned >= tl->pinned_max;
        int ready = c->nwin && c->max_ts >= lag && c->win[0].ts <= c->max_ts - lag;
        if (c->nwin && (c->done || ready || full)) {
            c->head = c->win[0].ev;
            c->head_buf = c->win[0].buf;
            c->handed = 1;
            c->out_ts = c->win[0].ts;
            c->out_at = c->head.at;
            window_pop(c);
            tl->pending--;
            return 1;
        }
        if (c->done) return 0;
        struct pending pe;
        if (!stream_next(tl, c, &pe.ev, &pe.ts)) {
            c->done = 1;
            continue;
        }
        if (c->handed && pe.ts < c->out_ts) {
            process_note(tl->p, "start times go back further than the decoder follows: some "
                                "events were moved later, to the start of their thread's "
                                "event before");
            pe.ts = c->out_ts;
            pe.ev.at = c->out_at;
        }
        pe.seq = c->seq++;
        pe.buf = c->cur;
        buf_ref(tl, c, c->cur);
        if (pe.seq == 0 || pe.ts > c->max_ts) c->max_ts = pe.ts;
        window_push(c, &pe);
        tl->pending++;
    }
}

/* After a thread's last record: the waiting call it was still in at the
 * end, if any, as an event that lasts to the end (the process's end
 * record, else when the flusher looked); 0 when there is none. */
static int unfinished_event(struct timeline *tl, struct cursor *c)
{
    const struct ws_process *p = tl->p;
    const struct log_thread *t = c->t;
    if (!t->uf_call || c->uf_done) return 0;
    c->uf_done = 1;
    struct ws_event *ev = &c->head;
    memset(ev, 0, sizeof(*ev));
    ev->call = (uint8_t)t->uf_call;
    ev->obj = t->uf_obj;
    ev->at = to_ns(p, t->uf_start);
    int64_t end = p->has_end ? (int64_t)p->end_ts : to_ns(p, t->uf_seen);
    ev->dur = end > ev->at ? (uint64_t)(end - ev->at) : 0;
    /* A lock call's record says it waited. */
    if (ws_call_flags(t->uf_call) & WS_CALL_IS_LOCK) ev->err = WS_LOCK_CONTENDED;
    ev->unfinished = 1;
    ev->caller = ev->native_caller = t->uf_caller;
    ev->thread = t->serial;
    ev->tid = t->tid;
    return 1;
}

/* Moves the cursor to the thread's next event; 0 when there is none. */
static int advance(struct timeline *tl, struct cursor *c)
{
    uint64_t ts;
    int more = c->t->lag ? advance_window(tl, c) : stream_next(tl, c, &c->head, &ts);
    return more || unfinished_event(tl, c);
}

static int before(const struct cursor *a, const struct cursor *b)
{
    if (a->head.at != b->head.at) return a->head.at < b->head.at;
    return a->t->serial < b->t->serial;
}

static void sift_down(struct timeline *tl, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < tl->nheap && before(tl->heap[l], tl->heap[m])) m = l;
        if (r < tl->nheap && before(tl->heap[r], tl->heap[m])) m = r;
        if (m == i) return;
        struct cursor *tmp = tl->heap[i];
        tl->heap[i] = tl->heap[m];
        tl->heap[m] = tmp;
        i = m;
    }
}

struct timeline *timeline_open(struct ws_process *p)
{
    struct timeline *tl = xcalloc(1, sizeof(*tl));
    tl->p = p;
    tl->dctx = ZSTD_createDCtx();
    if (!tl->dctx) {
        fprintf(stderr, "whyslow: out of memory (zstd context)\n");
        exit(1);
    }
    fdmodel_init(&tl->fm, &p->strings);
    tl->pending_max = WINDOW_EVENTS(p->len);
    tl->pinned_max = WINDOW_BYTES(p->len);
    tl->cursors = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*tl->cursors));
    tl->heap = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*tl->heap));
    for (size_t i = 0; i < p->nthreads; i++) {
        struct log_thread *t = &p->threads[i];
        if (!t->events && !t->uf_call) continue;
        struct cursor *c = &tl->cursors[tl->ncursors++];
        c->t = t;
        c->chunk = t->chunk0;
        c->end = t->chunk0 + t->nchunks;
        c->head_buf = NO_BUF;
        if (advance(tl, c)) tl->heap[tl->nheap++] = c;
    }
    for (size_t i = tl->nheap; i-- > 0;)
        sift_down(tl, i);
    return tl;
}

static void name_thread(struct ws_process *p, struct log_thread *t, const uint8_t *s, size_t len)
{
    char name[256];
    size_t n = text_clean(s, len, name, sizeof(name));
    if (n) t->name = strpool_intern(&p->strings, name, n);
}

/* What an event tells about its process: the end of the last event, and
 * thread names and lock counters (the last in time order wins). */
static void settle(struct ws_process *p, struct log_thread *t, const struct ws_event *ev)
{
    if (ev->call == WS_EV_THREAD_START || ev->call == WS_EV_THREAD_NAME)
        name_thread(p, t, ev->payload, ev->payload_len);
    if (ev->call == WS_EV_THREAD_END) t->uncontended = (uint64_t)ev->result;
    if (event_end(ev) > p->duration_ns) p->duration_ns = event_end(ev);
}

/* A statement's text, kept for the executions that refer to it. */
static void stmt_remember(struct timeline *tl, const struct ws_event *ev)
{
    int created;
    uint64_t *slot = map_put(&tl->stmts, ev->thread, (uint64_t)ev->obj, &created);
    struct stmt_text *t;
    if (created) {
        t = &ARRAY_PUSH(tl->texts, tl->ntexts, tl->textcap);
        *slot = tl->ntexts;
    } else {
        t = &tl->texts[*slot - 1];
        xfree(t->own);
    }
    t->own = NULL;
    t->len = ev->payload_len;
    t->bytes = ev->payload;
    t->text = ev->text;
    if (!ev->text) { /* literal bytes, in a chunk's buffer: a copy */
        t->own = xmalloc(ev->payload_len + 1);
        if (ev->payload_len) memcpy(t->own, ev->payload, ev->payload_len);
        t->bytes = t->own;
        /* Numbers past the interned strings'; none once they run out. */
        if (!tl->next_text) tl->next_text = (uint32_t)(tl->p->nistrs + 1);
        t->text = tl->next_text == UINT32_MAX ? 0 : ++tl->next_text;
    }
}

/* An SQLite execution gets the text of its statement (aux2, version 2),
 * and aux2 its meaning of version 1: no time measured inside the library. */
static void stmt_text(struct timeline *tl, struct ws_event *ev)
{
    if (ev->aux2 && ev->payload_len == 0) {
        uint64_t *slot = map_get(&tl->stmts, ev->thread, ev->aux2);
        if (slot) {
            ev->payload = tl->texts[*slot - 1].bytes;
            ev->payload_len = tl->texts[*slot - 1].len;
            ev->text = tl->texts[*slot - 1].text;
        }
    }
    ev->aux2 = 0;
}

/* Python records name the site and stack of their thread's next event
 * (format.h): kept by its cursor until that event is handed out, which
 * then gets the site as its caller (pysites.h) and the frames. */
static void py_attach(struct timeline *tl, struct cursor *c, struct ws_event *ev)
{
    if (ev->call == WS_EV_PYSITE) {
        uint64_t site = ev->obj ? py_site_of(tl->p, (uint64_t)ev->obj, (uint64_t)ev->result) : 0;
        if (ev->err & WS_PYSITE_DB) {
            c->db_site = site;
        } else {
            c->py_site = site;
            c->py_site_at = ev->at;
        }
        return;
    }
    if (ev->call == WS_EV_PYSTACK) {
        size_t n = ev->payload_len / 8;
        c->npy_keys = (uint32_t)(n < PY_STACK_MAX ? n : PY_STACK_MAX);
        memcpy(c->py_keys, ev->payload, c->npy_keys * 8);
        c->py_keys_at = ev->at;
        return;
    }
    /* (An HTTP record takes one: the call it makes was named by it.) */
    if ((call_family(ev->call) == FAMILY_RECORD && ev->call != WS_EV_HTTP) ||
        ev->call == WS_SQLITE_STMT)
        return;
    /* A site or stack is its event's start's: one for an event that was
     * lost (the buffers were full) goes with nothing. */
    if (c->py_site && c->py_site_at != ev->at) c->py_site = 0;
    if (c->npy_keys && c->py_keys_at != ev->at) c->npy_keys = 0;
    if ((ev->call == WS_SQLITE_QUERY || ev->call == WS_PG_QUERY) && c->db_site && !c->py_site)
        c->py_site = c->db_site;
    if (!c->py_site && !c->npy_keys) return;
    for (uint32_t i = 0; i < c->npy_keys; i++)
        c->py_out[i] = py_site_of(tl->p, c->py_keys[i], 0);
    ev->pyframes = c->py_out;
    ev->npyframes = c->npy_keys;
    uint64_t site = c->py_site ? c->py_site : py_site_of_stack(tl->p, c->py_keys, c->npy_keys);
    if (site) ev->caller = site;
    c->py_site = 0;
    c->npy_keys = 0;
}

int timeline_next(struct timeline *tl, struct ws_event *ev)
{
    if (tl->taken) {
        /* The event handed out last is done with: on to its thread's next. */
        if (advance(tl, tl->taken))
            sift_down(tl, 0);
        else if (--tl->nheap > 0) {
            tl->heap[0] = tl->heap[tl->nheap];
            sift_down(tl, 0);
        }
        tl->taken = NULL;
    }
    if (tl->nheap == 0) {
        if (!tl->settled) {
            /* The names of the threads alive at the end come last. */
            for (size_t i = 0; i < tl->p->nmeta; i++) {
                const struct ws_meta *m = &tl->p->meta[i];
                if (m->type == WS_META_THREAD_NAME && m->v[2])
                    process_thread(tl->p, (uint32_t)m->v[0])->name = (uint32_t)m->v[2];
            }
            tl->settled = 1;
        }
        return 0;
    }
    struct cursor *c = tl->heap[0];
    tl->taken = c;
    *ev = c->head;
    if (c->py_site || c->db_site || c->npy_keys || ev->call == WS_EV_PYSITE ||
        ev->call == WS_EV_PYSTACK)
        py_attach(tl, c, ev);
    if (ev->call == WS_SQLITE_STMT) stmt_remember(tl, ev);
    if (ev->call == WS_SQLITE_QUERY) stmt_text(tl, ev);
    ev->target = fdmodel_event(&tl->fm, ev);
    ev->target_kind = (uint8_t)tl->fm.kind;
    settle(tl->p, c->t, ev);
    return 1;
}

void timeline_close(struct timeline *tl)
{
    if (!tl) return;
    for (size_t i = 0; i < tl->ncursors; i++) {
        struct cursor *c = &tl->cursors[i];
        for (size_t k = 0; k < c->nbufs; k++)
            xfree(c->bufs[k].p);
        xfree(c->bufs);
        xfree(c->win);
    }
    xfree(tl->cursors);
    xfree(tl->heap);
    fdmodel_free(&tl->fm);
    map_free(&tl->stmts);
    for (size_t i = 0; i < tl->ntexts; i++)
        xfree(tl->texts[i].own);
    xfree(tl->texts);
    ZSTD_freeDCtx(tl->dctx);
    xfree(tl);
}
