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
 * inflates its thread's chunks one at a time from the log's bytes.  The
 * start times of one thread only go back when a call was recorded inside
 * another one (a signal handler's, say); such a thread is decoded whole
 * and sorted by start time (stable) instead.
 */
#include "timeline.h"

#include "chunk_decode.h"
#include "fdmodel.h"
#include "text.h"
#include "util.h"

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
 * thread where its chunks are and whether its start times keep going
 * forward across them. */
static void order_streams(struct ws_process *p)
{
    xsort(p->chunks, p->nchunks, sizeof(*p->chunks), cmp_chunk);
    for (size_t i = 0; i < p->nchunks;) {
        struct ws_thread *t = process_thread(p, p->chunks[i].thread);
        t->chunk0 = i;
        t->in_order = 1;
        t->events = 0;
        const struct ws_chunk_ref *prev = NULL;
        for (; i < p->nchunks && p->chunks[i].thread == t->serial; i++) {
            const struct ws_chunk_ref *c = &p->chunks[i];
            t->events += c->n;
            if (c->n == 0) continue;
            if (!c->in_order || (prev && c->first_ts < prev->last_ts)) t->in_order = 0;
            prev = c;
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
    }

    /* Threads with events or a name; only META records can name a thread
     * that has no events. */
    for (size_t i = 0; i < p->nmeta; i++)
        if (p->meta[i].type == WS_META_THREAD_NAME && p->meta[i].str)
            process_thread(p, (uint32_t)p->meta[i].v[0])->name = p->meta[i].str;
    p->thread_count = 0;
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i].events || p->threads[i].name) p->thread_count++;
}

/* ---- reading the events back ---- */

struct cursor {
    struct ws_thread *t;
    size_t chunk, end; /* the next chunk of the thread, and past its last */
    uint8_t *buf;      /* the current chunk, inflated */
    size_t cap;
    const uint8_t *q, *qend;
    size_t left; /* its records not read yet */
    uint64_t ts, caller;
    uint32_t tid;

    /* A thread out of order: all its events, sorted, and their chunks. */
    struct ws_event *evs;
    size_t nevs, pos;
    uint8_t **bufs;
    size_t nbufs;

    struct ws_event head; /* the thread's next event */
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
};

/* Inflates chunk c into *buf (growing it); 0 if it does not inflate,
 * which log_read.c made sure it does. */
static int inflate(ZSTD_DCtx *dctx, const struct ws_process *p, const struct ws_chunk_ref *c,
                   uint8_t **buf, size_t *cap)
{
    xgrow(buf, cap, (size_t)c->raw_size + 1, 1);
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
}

/* Decodes the next record of the thread's stream into *ev; returns 0 at
 * the end of the thread. */
static int stream_next(struct timeline *tl, struct cursor *c, struct ws_event *ev)
{
    const struct ws_process *p = tl->p;
    while (c->left == 0) {
        if (c->chunk == c->end) return 0;
        const struct ws_chunk_ref *ch = &p->chunks[c->chunk++];
        if (ch->n == 0) continue;
        if (!inflate(tl->dctx, p, ch, &c->buf, &c->cap)) {
            c->chunk = c->end;
            return 0;
        }
        c->q = c->buf;
        c->qend = c->buf + ch->raw_size;
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
    as_event(p, c, c->tid, ev);
    return 1;
}

struct sort_key {
    int64_t at;
    size_t i; /* position in the thread's stream */
};

static int cmp_key(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Reads a thread out of order whole (its chunks kept for the payloads)
 * and sorts its events by start time, stream order among equals. */
static void load_sorted(struct timeline *tl, struct cursor *c)
{
    const struct ws_process *p = tl->p;
    size_t max = c->t->events, n = 0, bufcap = 0;
    struct ws_event *evs = xmalloc((max ? max : 1) * sizeof(*evs));

    for (size_t i = c->chunk; i < c->end; i++) {
        const struct ws_chunk_ref *ch = &p->chunks[i];
        uint8_t *buf = NULL;
        size_t cap = 0;
        if (ch->n == 0) continue;
        if (!inflate(tl->dctx, p, ch, &buf, &cap)) {
            free(buf);
            break;
        }
        ARRAY_PUSH(c->bufs, c->nbufs, bufcap) = buf;
        const uint8_t *q = buf, *end = buf + ch->raw_size;
        uint64_t ts = ch->base_ts, caller = 0;
        for (size_t k = 0; k < ch->n && n < max; k++) {
            if (decode_record(p, &q, end, &ts, &caller, &evs[n]) != RECORD_OK) break;
            as_event(p, c, ch->tid, &evs[n]);
            n++;
        }
    }

    struct sort_key *keys = xmalloc((n ? n : 1) * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        keys[i] = (struct sort_key){evs[i].at, i};
    xsort(keys, n, sizeof(*keys), cmp_key);
    c->evs = xmalloc((n ? n : 1) * sizeof(*c->evs));
    for (size_t i = 0; i < n; i++)
        c->evs[i] = evs[keys[i].i];
    c->nevs = n;
    free(keys);
    free(evs);
}

/* Moves the cursor to the thread's next event; 0 when there is none. */
static int advance(struct timeline *tl, struct cursor *c)
{
    if (!c->t->in_order) {
        if (c->pos == c->nevs) return 0;
        c->head = c->evs[c->pos++];
        return 1;
    }
    return stream_next(tl, c, &c->head);
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
    tl->cursors = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*tl->cursors));
    tl->heap = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*tl->heap));
    for (size_t i = 0; i < p->nthreads; i++) {
        struct ws_thread *t = &p->threads[i];
        if (!t->events) continue;
        struct cursor *c = &tl->cursors[tl->ncursors++];
        c->t = t;
        c->chunk = t->chunk0;
        c->end = t->chunk0 + t->nchunks;
        if (!t->in_order) load_sorted(tl, c);
        if (advance(tl, c)) tl->heap[tl->nheap++] = c;
    }
    for (size_t i = tl->nheap; i-- > 0;)
        sift_down(tl, i);
    return tl;
}

static void name_thread(struct ws_process *p, struct ws_thread *t, const uint8_t *s, size_t len)
{
    char name[256];
    size_t n = text_clean(s, len, name, sizeof(name));
    if (n) t->name = strpool_intern(&p->strings, name, n);
}

/* What an event tells about its process: the end of the last event, and
 * thread names and lock counters (the last in time order wins). */
static void settle(struct ws_process *p, struct ws_thread *t, const struct ws_event *ev)
{
    if (ev->call == WS_EV_THREAD_START || ev->call == WS_EV_THREAD_NAME)
        name_thread(p, t, ev->payload, ev->payload_len);
    if (ev->call == WS_EV_THREAD_END) t->uncontended = (uint64_t)ev->result;
    if (event_end(ev) > p->duration_ns) p->duration_ns = event_end(ev);
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
                if (m->type == WS_META_THREAD_NAME && m->str)
                    process_thread(tl->p, (uint32_t)m->v[0])->name = m->str;
            }
            tl->settled = 1;
        }
        return 0;
    }
    struct cursor *c = tl->heap[0];
    tl->taken = c;
    *ev = c->head;
    ev->target = fdmodel_event(&tl->fm, ev);
    settle(tl->p, c->t, ev);
    return 1;
}

void timeline_close(struct timeline *tl)
{
    if (!tl) return;
    for (size_t i = 0; i < tl->ncursors; i++) {
        struct cursor *c = &tl->cursors[i];
        free(c->buf);
        free(c->evs);
        for (size_t k = 0; k < c->nbufs; k++)
            free(c->bufs[k]);
        free(c->bufs);
    }
    free(tl->cursors);
    free(tl->heap);
    fdmodel_free(&tl->fm);
    ZSTD_freeDCtx(tl->dctx);
    free(tl);
}
