/*
 * timeline.c - from raw records to a process timeline.
 *
 * Clock: with WS_CLOCK_TSC, ticks become ns through the two CLOCK records
 * farthest apart (Δmonotonic_ns / Δts); with fewer than two, one tick is
 * taken as one ns and the process gets the note "clock rate unknown".
 * The process starts at the earliest CLOCK record (the recorder takes one
 * when it starts); without any, at its earliest event.
 */
#include "timeline.h"

#include "fdmodel.h"
#include "text.h"
#include "util.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>

struct clock_conv {
    uint64_t start;    /* raw ts of the process start */
    uint64_t num, den; /* ns = ticks * num / den */
};

static int cmp_chunk(const void *a, const void *b)
{
    const struct ws_chunk_ref *x = a, *y = b;
    if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_event(const void *a, const void *b)
{
    const struct ws_event *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int64_t to_ns(const struct clock_conv *c, uint64_t ts)
{
    __int128 d = (__int128)ts - (__int128)c->start;
    __int128 ns = d * c->num / c->den;
    if (ns > INT64_MAX) return INT64_MAX;
    if (ns < INT64_MIN) return INT64_MIN;
    return (int64_t)ns;
}

static uint64_t dur_ns(const struct clock_conv *c, uint64_t dur)
{
    unsigned __int128 ns = (unsigned __int128)dur * c->num / c->den;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static void set_clock(struct ws_process *p, struct clock_conv *c)
{
    c->num = c->den = 1;
    if (p->clock_source == WS_CLOCK_TSC) {
        if (p->nclocks >= 2 && p->clock_hi_ts > p->clock_lo_ts &&
            p->clock_hi_mono > p->clock_lo_mono) {
            c->num = p->clock_hi_mono - p->clock_lo_mono;
            c->den = p->clock_hi_ts - p->clock_lo_ts;
            /* Keep ts * num within 128 bits whatever the log says. */
            while (c->num >= 1ull << 62 || c->den >= 1ull << 62) {
                c->num = c->num >> 1 | 1;
                c->den = c->den >> 1 | 1;
            }
        } else {
            process_note(p, "clock rate unknown (fewer than two clock records): "
                            "TSC ticks are shown as nanoseconds");
        }
    } else if (p->has_process_record && p->clock_source != WS_CLOCK_MONOTONIC) {
        process_note(p, "unknown clock source %llu: timestamps taken as nanoseconds",
                     (unsigned long long)p->clock_source);
    }
    p->ticks_per_ns = (double)c->den / (double)c->num;

    if (p->nclocks) {
        c->start = p->clock_lo_ts;
    } else {
        c->start = p->nev ? (uint64_t)p->ev[0].at : 0;
        for (size_t i = 0; i < p->nev; i++)
            if ((uint64_t)p->ev[i].at < c->start) c->start = (uint64_t)p->ev[i].at;
    }
}

/* Sets ev[].order: the position of each event in its thread's stream,
 * threads one after the other, chunks in seq order.  Only the order of
 * seq is used: it grows, but need not grow by the chunk's size. */
static void order_streams(struct ws_process *p)
{
    uint64_t order = 0;
    xsort(p->chunks, p->nchunks, sizeof(*p->chunks), cmp_chunk);
    for (size_t i = 0; i < p->nchunks; i++)
        for (size_t k = 0; k < p->chunks[i].n; k++)
            p->ev[p->chunks[i].first + k].order = order++;
}

static void name_thread(struct ws_process *p, uint32_t serial, const uint8_t *s, size_t len)
{
    char name[256];
    size_t n = text_clean(s, len, name, sizeof(name));
    if (n) process_thread(p, serial)->name = strpool_intern(&p->strings, name, n);
}

/* Event counts, names (events in time order, then the META names, which
 * describe the threads alive at the end) and final lock counters. */
static void settle_threads(struct ws_process *p)
{
    for (size_t i = 0; i < p->nev; i++) {
        const struct ws_event *ev = &p->ev[i];
        struct ws_thread *t = process_thread(p, ev->thread);
        t->events++;
        if (ev->call == WS_EV_THREAD_START || ev->call == WS_EV_THREAD_NAME)
            name_thread(p, ev->thread, ev->payload, ev->payload_len);
        if (ev->call == WS_EV_THREAD_END) {
            t = process_thread(p, ev->thread);
            t->uncontended = (uint64_t)ev->result;
            t->final_count = 1;
        }
    }
    for (size_t i = 0; i < p->nmeta; i++)
        if (p->meta[i].type == WS_META_THREAD_NAME && p->meta[i].str)
            process_thread(p, (uint32_t)p->meta[i].v[0])->name = p->meta[i].str;
    p->thread_count = 0;
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i].events || p->threads[i].name) p->thread_count++;
}

void timeline_finish(struct ws_process *p)
{
    struct clock_conv c;

    if (!p->has_process_record) process_note(p, "no process record (pid, command) in the log");
    order_streams(p);
    set_clock(p, &c);
    for (size_t i = 0; i < p->nev; i++) {
        p->ev[i].at = to_ns(&c, (uint64_t)p->ev[i].at);
        p->ev[i].dur = dur_ns(&c, p->ev[i].dur);
    }
    xsort(p->ev, p->nev, sizeof(*p->ev), cmp_event);

    int64_t last = 0;
    for (size_t i = 0; i < p->nev; i++)
        if (event_end(&p->ev[i]) > last) last = event_end(&p->ev[i]);
    if (p->has_end) {
        int64_t end = to_ns(&c, p->end_ts);
        p->end_ts = end > 0 ? (uint64_t)end : 0;
        if (end > last) last = end;
    }
    p->duration_ns = last;

    settle_threads(p);

    struct fdmodel fm;
    fdmodel_init(&fm, &p->strings);
    for (size_t i = 0; i < p->nev; i++)
        p->ev[i].target = fdmodel_event(&fm, &p->ev[i]);
    fdmodel_free(&fm);
}
