/* SPDX-License-Identifier: MIT */
/*
 * perfetto.c - `whyslow export --format perfetto`: the run as a Perfetto
 * trace (docs/export.md), the protobuf format ui.perfetto.dev and
 * trace_processor read natively.  A sink of the walker (export.h): each
 * slice is encoded as it comes, and the packets are written in
 * zlib-compressed batches, so that memory stays bounded whatever the
 * run's size: what is held is one batch, and per process its interning
 * tables, tracks and open slices.
 *
 * The protobuf is encoded by hand (a varint, a tag, a length: a few
 * lines); the field numbers are upstream's, as listed in
 * tests/e2e/perfetto/trace_subset.proto.  The file is a Trace: a run of
 * TracePackets, each batch of them one packet whose compressed_packets
 * holds a zlib stream of a serialized Trace.
 *
 * Each process is a packet sequence of its own (trusted_packet_sequence_id
 * 1, 2, ...) with its tracks: the process, a track per thread, one per
 * async slice, one per counter.  A slice is a SLICE_BEGIN and a SLICE_END
 * event on its track; the END is held back until a slice begins on the
 * track at or after it, so that each track's events are written in time
 * order.  Names, categories, argument names and string values are
 * interned per sequence: a statement run a million times is written
 * once, then referred to by a number.  A wake's flow starts on the
 * waker's slice and ends on a "woken" instant at the end of the wait it
 * ended, so that the arrow points forward in time.
 */
#include "export/export.h"

#include "base/hashmap.h"
#include "base/units.h"
#include "base/util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A batch is compressed once the next packet would take it past this;
 * readers inflate a batch whole, so batches stay well under 512 KiB. */
#define BATCH_MAX  (256u << 10)
#define ZLIB_LEVEL 3

/* Wire types. */
enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2 };

/* Field numbers, by message. */
enum { TRACE_PACKET = 1 };
enum {
    TP_TIMESTAMP = 8,
    TP_SEQUENCE_ID = 10, /* trusted_packet_sequence_id */
    TP_TRACK_EVENT = 11,
    TP_INTERNED_DATA = 12,
    TP_SEQUENCE_FLAGS = 13,
    TP_COMPRESSED_PACKETS = 50,
    TP_TRACK_DESCRIPTOR = 60,
    TP_FIRST_PACKET_ON_SEQUENCE = 87,
};
enum { SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2 };
enum {
    TD_UUID = 1,
    TD_NAME = 2,
    TD_PROCESS = 3,
    TD_THREAD = 4,
    TD_PARENT_UUID = 5,
    TD_COUNTER = 8,
};
enum { PD_PID = 1, PD_PROCESS_NAME = 6 };
enum { THD_PID = 1, THD_TID = 2, THD_THREAD_NAME = 5 };
enum {
    TE_CATEGORY_IIDS = 3,
    TE_DEBUG_ANNOTATIONS = 4,
    TE_TYPE = 9,
    TE_NAME_IID = 10,
    TE_TRACK_UUID = 11,
    TE_DOUBLE_COUNTER_VALUE = 44,
    TE_FLOW_IDS = 47,
    TE_TERMINATING_FLOW_IDS = 48,
};
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4 };
enum { DA_NAME_IID = 1, DA_BOOL_VALUE = 2, DA_INT_VALUE = 4, DA_STRING_VALUE_IID = 17 };
/* EventCategory, EventName, DebugAnnotationName and InternedString alike. */
enum { INTERNED_IID = 1, INTERNED_STRING = 2 };

/* The interning tables, and the InternedData field of each. */
enum { IN_CATEGORY, IN_EVENT_NAME, IN_ANNOTATION_NAME, IN_ANNOTATION_STRING, IN_KINDS };
static const unsigned interned_field[IN_KINDS] = {1, 2, 3, 29};

/* The kinds of track, a part of their uuids. */
enum { TRACK_PROCESS, TRACK_THREAD, TRACK_ASYNC, TRACK_COUNTER };

struct buf {
    uint8_t *p;
    size_t len, cap;
};

/* A slice begun on a thread's track whose END is not written yet. */
struct open_slice {
    int64_t start, end;
    uint64_t flow_in; /* the wake that ended it (a "woken" instant), or 0 */
};

struct thread_track {
    uint64_t uuid;
    struct open_slice *open; /* innermost last: their ends never increase */
    size_t nopen, cap;
};

struct perfetto {
    FILE *f;
    const struct export_stats *st;
    int failed;
    struct buf batch;    /* Trace.packet records, to be compressed */
    struct buf zbuf;     /* the batch compressed */
    struct buf pkt;      /* the TracePacket being built */
    struct buf payload;  /* its TrackEvent or TrackDescriptor */
    struct buf interned; /* its InternedData: what the payload refers to first */
    int uses_iids;       /* the payload refers to interned entries */

    /* The process being written: its sequence. */
    uint32_t seq;
    uint64_t process_uuid;
    struct map strings; /* two hashes of (table, string) -> its iid */
    uint64_t last_iid[IN_KINDS];
    struct thread_track *threads;
    size_t nthreads, threads_cap;
    struct map serials;  /* thread serial -> index in threads + 1 */
    struct map tids;     /* tid -> serial + 1 of the latest thread with it */
    struct map asyncs;   /* async id -> its track's number + 1 */
    struct map counters; /* two hashes of (tid, name) -> its track's number + 1 */
    uint32_t nasyncs, ncounters;
};

/* ---- encoding ---- */

static size_t varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static void put_raw(struct buf *b, const void *src, size_t n)
{
    xgrow(&b->p, &b->cap, b->len + n, 1);
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_varint(struct buf *b, uint64_t v)
{
    uint8_t tmp[10];
    put_raw(b, tmp, varint(tmp, v));
}

static void put_tag(struct buf *b, unsigned field, unsigned wire)
{
    put_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field: any integer type, a bool, an enum.  A negative int64
 * is its two's complement, as protobuf's int64 wants. */
static void put_uint(struct buf *b, unsigned field, uint64_t v)
{
    put_tag(b, field, WIRE_VARINT);
    put_varint(b, v);
}

static void put_fixed64(struct buf *b, unsigned field, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> 8 * i);
    put_tag(b, field, WIRE_I64);
    put_raw(b, le, sizeof(le));
}

static void put_double(struct buf *b, unsigned field, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    put_fixed64(b, field, bits);
}

static void put_bytes(struct buf *b, unsigned field, const void *p, size_t n)
{
    put_tag(b, field, WIRE_LEN);
    put_varint(b, n);
    put_raw(b, p, n);
}

static void put_str(struct buf *b, unsigned field, const char *s)
{
    put_bytes(b, field, s, strlen(s));
}

/* A nested message: msg_begin() writes its tag, the fields follow, and
 * msg_end() slides them over to put their length in front. */
static size_t msg_begin(struct buf *b, unsigned field)
{
    put_tag(b, field, WIRE_LEN);
    return b->len;
}

static void msg_end(struct buf *b, size_t at)
{
    uint8_t len[10];
    size_t n = b->len - at, k = varint(len, n);
    xgrow(&b->p, &b->cap, b->len + k, 1);
    memmove(b->p + at + k, b->p + at, n);
    memcpy(b->p + at, len, k);
    b->len += k;
}

/* ---- the file: batches of packets ---- */

static void write_out(struct perfetto *o, const void *p, size_t n)
{
    if (!o->failed && fwrite(p, 1, n, o->f) != n) o->failed = 1;
}

/* Compresses the batch into one packet and writes it. */
static void flush_batch(struct perfetto *o)
{
    if (!o->batch.len) return;
    uLongf zlen = compressBound(o->batch.len);
    xgrow(&o->zbuf.p, &o->zbuf.cap, zlen, 1);
    if (compress2(o->zbuf.p, &zlen, o->batch.p, o->batch.len, ZLIB_LEVEL) != Z_OK) {
        o->failed = 1;
    } else {
        /* The packet's field: its tag and length, then the stream. */
        uint8_t field[20], head[11];
        size_t nfield = varint(field, (uint64_t)TP_COMPRESSED_PACKETS << 3 | WIRE_LEN);
        nfield += varint(field + nfield, zlen);
        head[0] = TRACE_PACKET << 3 | WIRE_LEN;
        size_t nhead = 1 + varint(head + 1, nfield + zlen);
        write_out(o, head, nhead);
        write_out(o, field, nfield);
        write_out(o, o->zbuf.p, zlen);
    }
    o->batch.len = 0;
}

/* Adds the packet built in o->pkt to the batch, compressing the batch
 * first if the packet (and its record's tag and length, 11 bytes at
 * most) would take it past BATCH_MAX.  A packet larger
 * than that on its own (a huge statement, a deep stack) is written as it
 * is, uncompressed: a Trace may mix both. */
static void emit(struct perfetto *o)
{
    if (o->batch.len + o->pkt.len + 16 > BATCH_MAX) flush_batch(o);
    put_bytes(&o->batch, TRACE_PACKET, o->pkt.p, o->pkt.len);
    if (o->batch.len > BATCH_MAX) {
        write_out(o, o->batch.p, o->batch.len);
        o->batch.len = 0;
    }
}

/* ---- interning ---- */

/* Two unrelated 64-bit hashes of a string and a number (its table, its
 * thread): a 128-bit key, which two different strings share with a
 * chance too small to matter.  Keying on hashes alone spares keeping
 * every string interned (each stack, say) for comparison. */
static void hash_string(uint64_t seed, const char *s, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 0xcbf29ce484222325ull ^ seed; /* FNV-1a */
    uint64_t b = 0x9e3779b97f4a7c15ull + seed;
    for (; *s; s++) {
        a = (a ^ (unsigned char)*s) * 0x100000001b3ull;
        b = (b + (unsigned char)*s) * 0xbf58476d1ce4e5b9ull;
        b ^= b >> 29;
    }
    *h1 = a;
    *h2 = b;
}

/* The iid of s in table kind of the sequence.  Its first use defines it,
 * in the InternedData of the packet that uses it. */
static uint64_t intern(struct perfetto *o, int kind, const char *s)
{
    uint64_t h1, h2;
    int created;
    hash_string((uint64_t)kind, s, &h1, &h2);
    uint64_t *iid = map_put(&o->strings, h1, h2, &created);
    if (created) {
        *iid = ++o->last_iid[kind];
        size_t at = msg_begin(&o->interned, interned_field[kind]);
        put_uint(&o->interned, INTERNED_IID, *iid);
        put_str(&o->interned, INTERNED_STRING, s);
        msg_end(&o->interned, at);
    }
    o->uses_iids = 1;
    return *iid;
}

/* ---- packets ---- */

/* A track's uuid: unique in the file, as each process has its own
 * sequence number, and the same for the same logs.  id is the thread's
 * serial, or the async or counter track's number in the process. */
static uint64_t track_uuid(const struct perfetto *o, int kind, uint32_t id)
{
    return (uint64_t)o->seq << 34 | (uint64_t)kind << 32 | id;
}

/* Starts a packet's payload: a TrackEvent or TrackDescriptor. */
static void payload_begin(struct perfetto *o)
{
    o->payload.len = 0;
    o->interned.len = 0;
    o->uses_iids = 0;
}

/* Writes the TrackDescriptor in o->payload.  The sequence's first packet
 * says it starts with empty interning tables. */
static void descriptor_end(struct perfetto *o, int first)
{
    struct buf *b = &o->pkt;
    b->len = 0;
    put_uint(b, TP_SEQUENCE_ID, o->seq);
    if (first) {
        put_uint(b, TP_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
        put_uint(b, TP_FIRST_PACKET_ON_SEQUENCE, 1);
    }
    put_bytes(b, TP_TRACK_DESCRIPTOR, o->payload.p, o->payload.len);
    emit(o);
}

static void track_event_begin(struct perfetto *o, int type, uint64_t track)
{
    payload_begin(o);
    put_uint(&o->payload, TE_TYPE, (uint64_t)type);
    put_uint(&o->payload, TE_TRACK_UUID, track);
}

/* Writes the TrackEvent in o->payload, at ts, with the interned entries
 * it defines. */
static void track_event_end(struct perfetto *o, int64_t ts)
{
    struct buf *b = &o->pkt;
    b->len = 0;
    put_uint(b, TP_TIMESTAMP, (uint64_t)ts);
    put_uint(b, TP_SEQUENCE_ID, o->seq);
    if (o->uses_iids) put_uint(b, TP_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
    put_bytes(b, TP_TRACK_EVENT, o->payload.p, o->payload.len);
    if (o->interned.len) put_bytes(b, TP_INTERNED_DATA, o->interned.p, o->interned.len);
    emit(o);
}

static void track_event_name(struct perfetto *o, const char *name)
{
    put_uint(&o->payload, TE_NAME_IID, intern(o, IN_EVENT_NAME, name));
}

/* A debug annotation (an argument shown with the event): its name, and
 * the caller writes its value. */
static size_t annotation_begin(struct perfetto *o, const char *key)
{
    size_t at = msg_begin(&o->payload, TE_DEBUG_ANNOTATIONS);
    put_uint(&o->payload, DA_NAME_IID, intern(o, IN_ANNOTATION_NAME, key));
    return at;
}

static void annotate_int(struct perfetto *o, const char *key, int64_t v)
{
    size_t at = annotation_begin(o, key);
    put_uint(&o->payload, DA_INT_VALUE, (uint64_t)v);
    msg_end(&o->payload, at);
}

static void annotate_bool(struct perfetto *o, const char *key, int v)
{
    size_t at = annotation_begin(o, key);
    put_uint(&o->payload, DA_BOOL_VALUE, v != 0);
    msg_end(&o->payload, at);
}

static void annotate_str(struct perfetto *o, const char *key, const char *v)
{
    size_t at = annotation_begin(o, key);
    put_uint(&o->payload, DA_STRING_VALUE_IID, intern(o, IN_ANNOTATION_STRING, v));
    msg_end(&o->payload, at);
}

static const char *slice_name(const struct ex_slice *s)
{
    return s->name && *s->name ? s->name : "(unnamed)";
}

/* A slice's BEGIN, with its category, arguments and the flows it starts. */
static void slice_begin(struct perfetto *o, uint64_t track, const struct ex_slice *s)
{
    track_event_begin(o, TYPE_SLICE_BEGIN, track);
    track_event_name(o, slice_name(s));
    if (s->cat) put_uint(&o->payload, TE_CATEGORY_IIDS, intern(o, IN_CATEGORY, s->cat));
    for (unsigned i = 0; i < s->nargs && i < EX_ARGS_MAX; i++) {
        const struct ex_arg *arg = &s->args[i];
        if (!arg->key) continue;
        if (arg->s)
            annotate_str(o, arg->key, arg->s);
        else
            annotate_int(o, arg->key, arg->i);
    }
    if (s->stack) annotate_str(o, "stack", s->stack);
    if (s->failed) annotate_bool(o, "failed", 1);
    if (s->slow) annotate_bool(o, "slow", 1);
    /* Unpacked, one tag each: what upstream's readers expect. */
    for (unsigned i = 0; i < s->nflows_out && i < EX_FLOWS_MAX; i++)
        put_fixed64(&o->payload, TE_FLOW_IDS, s->flows_out[i]);
    track_event_end(o, s->start);
}

static void slice_end(struct perfetto *o, uint64_t track, int64_t end)
{
    track_event_begin(o, TYPE_SLICE_END, track);
    track_event_end(o, end);
}

/* The end of a flow from a waker: an instant just before the end of the
 * wait it ended, inside the wait, so that the arrow goes forward in time
 * (on the wait's BEGIN it would point back to the wake). */
static void woken(struct perfetto *o, uint64_t track, int64_t start, int64_t end, uint64_t flow)
{
    track_event_begin(o, TYPE_INSTANT, track);
    track_event_name(o, "woken");
    put_fixed64(&o->payload, TE_TERMINATING_FLOW_IDS, flow);
    track_event_end(o, end - 1 > start ? end - 1 : start);
}

/* ---- tracks ---- */

/* The track of the thread of that serial, its descriptor written the
 * first time (by the thread callback, which names it). */
static struct thread_track *thread_track(struct perfetto *o, const struct ex_process *p,
                                         uint32_t tid, uint32_t serial, const char *name)
{
    int created;
    uint64_t *slot = map_put(&o->serials, serial, 0, &created);
    if (!created) return &o->threads[*slot - 1];
    *slot = o->nthreads + 1;
    *map_put(&o->tids, tid, 0, NULL) = (uint64_t)serial + 1;
    struct thread_track *t = &ARRAY_PUSH(o->threads, o->nthreads, o->threads_cap);
    memset(t, 0, sizeof(*t));
    t->uuid = track_uuid(o, TRACK_THREAD, serial);

    payload_begin(o);
    put_uint(&o->payload, TD_UUID, t->uuid);
    put_uint(&o->payload, TD_PARENT_UUID, o->process_uuid);
    size_t at = msg_begin(&o->payload, TD_THREAD);
    put_uint(&o->payload, THD_PID, p->pid);
    put_uint(&o->payload, THD_TID, tid);
    if (name) put_str(&o->payload, THD_THREAD_NAME, name);
    msg_end(&o->payload, at);
    descriptor_end(o, 0);
    return t;
}

/* Writes the ENDs of the slices open on t that end by `until`, innermost
 * first, each wait's "woken" instant before its END. */
static void close_until(struct perfetto *o, struct thread_track *t, int64_t until)
{
    while (t->nopen && t->open[t->nopen - 1].end <= until) {
        const struct open_slice *s = &t->open[--t->nopen];
        if (s->flow_in) woken(o, t->uuid, s->start, s->end, s->flow_in);
        slice_end(o, t->uuid, s->end);
    }
}

/* The track of an async slice: one per async id, named after its slice. */
static uint64_t async_track(struct perfetto *o, const struct ex_slice *s)
{
    int created;
    uint64_t *slot = map_put(&o->asyncs, s->async_id, 0, &created);
    if (!created) return track_uuid(o, TRACK_ASYNC, (uint32_t)(*slot - 1));
    *slot = ++o->nasyncs;
    uint64_t uuid = track_uuid(o, TRACK_ASYNC, o->nasyncs - 1);
    payload_begin(o);
    put_uint(&o->payload, TD_UUID, uuid);
    put_uint(&o->payload, TD_PARENT_UUID, o->process_uuid);
    put_str(&o->payload, TD_NAME, slice_name(s));
    descriptor_end(o, 0);
    return uuid;
}

/* The track of a counter: one per (thread, name), under the thread's
 * track (the latest thread with that tid), or the process's for tid 0. */
static uint64_t counter_track(struct perfetto *o, uint32_t tid, const char *name)
{
    uint64_t h1, h2;
    int created;
    hash_string(tid, name, &h1, &h2);
    uint64_t *slot = map_put(&o->counters, h1, h2, &created);
    if (!created) return track_uuid(o, TRACK_COUNTER, (uint32_t)(*slot - 1));
    *slot = ++o->ncounters;
    uint64_t uuid = track_uuid(o, TRACK_COUNTER, o->ncounters - 1);
    const uint64_t *serial = tid ? map_get(&o->tids, tid, 0) : NULL;

    payload_begin(o);
    put_uint(&o->payload, TD_UUID, uuid);
    put_uint(&o->payload, TD_PARENT_UUID,
             serial ? track_uuid(o, TRACK_THREAD, (uint32_t)(*serial - 1)) : o->process_uuid);
    if (tid) {
        /* Perfetto lists a thread's counters with the process's: the
         * name says whose it is. */
        char *full = xprintf("%s (tid %" PRIu32 ")", name, tid);
        put_str(&o->payload, TD_NAME, full);
        xfree(full);
    } else {
        put_str(&o->payload, TD_NAME, name);
    }
    put_tag(&o->payload, TD_COUNTER, WIRE_LEN); /* an empty CounterDescriptor */
    put_varint(&o->payload, 0);
    descriptor_end(o, 0);
    return uuid;
}

/* ---- the sink ---- */

/* Forgets the process: its sequence's tables and tracks. */
static void free_process(struct perfetto *o)
{
    for (size_t i = 0; i < o->nthreads; i++)
        xfree(o->threads[i].open);
    xfree(o->threads);
    o->threads = NULL;
    o->nthreads = o->threads_cap = 0;
    map_free(&o->strings);
    map_free(&o->serials);
    map_free(&o->tids);
    map_free(&o->asyncs);
    map_free(&o->counters);
    o->nasyncs = o->ncounters = 0;
}

/* At the end, when the walk knows it: an instant at the run's start, on
 * a track and sequence of its own, saying what the export left out for
 * size (the gaps would pass for idle time). */
static void dropped_note(struct perfetto *o)
{
    char below[UNITS_BUF];
    o->seq++;
    o->process_uuid = track_uuid(o, TRACK_PROCESS, 0);
    memset(o->last_iid, 0, sizeof(o->last_iid));
    payload_begin(o);
    put_uint(&o->payload, TD_UUID, o->process_uuid);
    put_str(&o->payload, TD_NAME, "whyslow export");
    descriptor_end(o, 1);

    fmt_dur(o->st->dropped_below, below);
    char *name =
        xprintf("whyslow: %" PRIu64 " events shorter than %s left out", o->st->dropped, below);
    track_event_begin(o, TYPE_INSTANT, o->process_uuid);
    track_event_name(o, name);
    annotate_int(o, "dropped", (int64_t)o->st->dropped);
    annotate_int(o, "shorter_than_ns", (int64_t)o->st->dropped_below);
    track_event_end(o, o->st->origin);
    xfree(name);
    free_process(o);
}

static void on_process(void *ctx, const struct ex_process *p)
{
    struct perfetto *o = ctx;
    o->seq++;
    o->process_uuid = track_uuid(o, TRACK_PROCESS, 0);
    memset(o->last_iid, 0, sizeof(o->last_iid));

    payload_begin(o);
    put_uint(&o->payload, TD_UUID, o->process_uuid);
    size_t at = msg_begin(&o->payload, TD_PROCESS);
    put_uint(&o->payload, PD_PID, p->pid);
    if (p->name) put_str(&o->payload, PD_PROCESS_NAME, p->name);
    msg_end(&o->payload, at);
    descriptor_end(o, 1);
}

static void on_thread(void *ctx, const struct ex_process *p, uint32_t tid, uint32_t serial,
                      const char *name)
{
    thread_track(ctx, p, tid, serial, name);
}

static void on_slice(void *ctx, const struct ex_process *p, const struct ex_slice *s)
{
    struct perfetto *o = ctx;
    int64_t end = s->end > s->start ? s->end : s->start;
    if (s->async_id) {
        uint64_t track = async_track(o, s);
        slice_begin(o, track, s);
        if (s->flow_in) woken(o, track, s->start, end, s->flow_in);
        slice_end(o, track, end);
        return;
    }
    /* Slices of a thread nest: those still open that end by this one's
     * start are done. */
    struct thread_track *t = thread_track(o, p, s->tid, s->thread, NULL);
    close_until(o, t, s->start);
    slice_begin(o, t->uuid, s);
    struct open_slice *open = &ARRAY_PUSH(t->open, t->nopen, t->cap);
    open->start = s->start;
    open->end = end;
    open->flow_in = s->flow_in;
}

static void on_counter(void *ctx, const struct ex_process *p, uint32_t tid, const char *name,
                       int64_t at, double value)
{
    struct perfetto *o = ctx;
    (void)p;
    uint64_t track = counter_track(o, tid, name);
    track_event_begin(o, TYPE_COUNTER, track);
    put_double(&o->payload, TE_DOUBLE_COUNTER_VALUE, value);
    track_event_end(o, at);
}

static void on_process_end(void *ctx, const struct ex_process *p)
{
    struct perfetto *o = ctx;
    (void)p;
    for (size_t i = 0; i < o->nthreads; i++)
        close_until(o, &o->threads[i], INT64_MAX);
    free_process(o);
}

static int on_finish(void *ctx)
{
    struct perfetto *o = ctx;
    if (o->st && o->st->dropped) dropped_note(o);
    flush_batch(o);
    if (fflush(o->f) != 0 || ferror(o->f)) o->failed = 1;
    int rc = o->failed ? -1 : 0;
    free_process(o); /* if the walk stopped inside a process */
    xfree(o->batch.p);
    xfree(o->zbuf.p);
    xfree(o->pkt.p);
    xfree(o->payload.p);
    xfree(o->interned.p);
    xfree(o);
    return rc;
}

void perfetto_sink(struct ex_sink *s, FILE *f, const struct export_stats *st)
{
    struct perfetto *o = xcalloc(1, sizeof(*o));
    o->f = f;
    o->st = st;
    *s =
        (struct ex_sink){o, on_process, on_thread, on_slice, on_counter, on_process_end, on_finish};
}
