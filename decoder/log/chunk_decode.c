/* SPDX-License-Identifier: MIT */
/*
 * chunk_decode.c - decoding the records of one chunk.  Every read is
 * bounded by the chunk's end; the first record that does not fit stops
 * the chunk (and log_read.c stops the file there).
 */
#include "log/chunk_decode.h"

#include "log/pysites.h"

#include "base/text.h"
#include "base/util.h"
#include "log/log_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_sv(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    if (ws_get_uv(pp, end, &u) < 0) return -1;
    *out = ws_unzigzag(u);
    return 0;
}

/* A "str": uv length, then the bytes, which must fit before end. */
static int get_str(const uint8_t **pp, const uint8_t *end, const uint8_t **s, size_t *len)
{
    uint64_t n;
    if (ws_get_uv(pp, end, &n) < 0 || n > (uint64_t)(end - *pp)) return -1;
    *s = *pp;
    *len = (size_t)n;
    *pp += n;
    return 0;
}

static char *dup_str(const uint8_t *s, size_t len)
{
    return xstrndup((const char *)s, strnlen((const char *)s, len));
}

/* Bytes named by a payload tag: odd, string number tag/2; even, a literal
 * of tag/2 bytes that follows. */
static enum record_status get_bytes(const struct ws_process *p, const uint8_t **pp,
                                    const uint8_t *end, const uint8_t **bytes, uint32_t *len,
                                    uint32_t *text)
{
    uint64_t tag;
    if (ws_get_uv(pp, end, &tag) < 0) return RECORD_CUT;
    *text = 0;
    if (tag & 1) {
        if ((tag >> 1) >= p->nistrs) return RECORD_BAD_STRING;
        *bytes = p->istrs[tag >> 1].bytes;
        *len = p->istrs[tag >> 1].len;
        *text = (uint32_t)(tag >> 1) + 1;
    } else {
        if ((tag >> 1) > WS_PAYLOAD_MAX) return RECORD_BAD_PAYLOAD;
        if ((tag >> 1) > (uint64_t)(end - *pp)) return RECORD_CUT;
        *bytes = *pp;
        *len = (uint32_t)(tag >> 1);
        *pp += tag >> 1;
    }
    return RECORD_OK;
}

enum record_status decode_record(const struct ws_process *p, const uint8_t **pp, const uint8_t *end,
                                 uint64_t *ts, uint64_t *caller, struct ws_event *ev)
{
    const uint8_t *q = *pp;
    int64_t start, dcaller;
    int has_stack;

    has_stack = (*q & WS_CALL_STACK) != 0;
    ev->call = *q++ & ~WS_CALL_STACK;
    if (ev->call == 0) return RECORD_BAD_CALL;
    if (get_sv(&q, end, &start) < 0 || ws_get_uv(&q, end, &ev->dur) < 0 ||
        get_sv(&q, end, &ev->obj) < 0 || get_sv(&q, end, &ev->result) < 0 ||
        ws_get_uv(&q, end, &ev->err) < 0 || get_sv(&q, end, &dcaller) < 0)
        return RECORD_CUT;
    ev->aux1 = ev->aux2 = 0;
    if ((ws_call_flags(ev->call) & WS_CALL_HAS_AUX) &&
        (ws_get_uv(&q, end, &ev->aux1) < 0 || ws_get_uv(&q, end, &ev->aux2) < 0))
        return RECORD_CUT;
    ev->payload = ev->frames = NULL;
    ev->payload_len = ev->nframes = ev->text = 0;
    ev->pyframes = NULL; /* the timeline attaches them */
    ev->npyframes = 0;
    ev->unfinished = 0;
    enum record_status st;
    if ((ws_call_flags(ev->call) & WS_CALL_HAS_PAYLOAD) &&
        (st = get_bytes(p, &q, end, &ev->payload, &ev->payload_len, &ev->text)) != RECORD_OK)
        return st;
    if (has_stack) {
        uint32_t len, text;
        if ((st = get_bytes(p, &q, end, &ev->frames, &len, &text)) != RECORD_OK) return st;
        if (len % 8 || len / 8 > WS_STACK_MAX) return RECORD_BAD_STACK;
        ev->nframes = len / 8;
    }
    *ts += (uint64_t)start; /* wraps like the encoder's subtraction */
    *caller += (uint64_t)dcaller;
    ev->at = (int64_t)*ts;
    ev->caller = ev->native_caller = *caller;
    ev->target = 0;
    *pp = q;
    return RECORD_OK;
}

/* The reason a log's records stop being read at log_read.h's bound. */
static void out_of_records(const struct ws_process *p, char *why, size_t whylen)
{
    snprintf(why, whylen,
             "the log holds more records than the decoder reads from a file of %zu bytes (%u a "
             "byte and %u more%s): the rest is not read",
             p->len, LOG_RECORDS_PER_BYTE, LOG_RECORDS_FREE,
             p->in_pack ? ", shared by its pack's logs" : "");
}

/* WS_EV_PYTHON: which CPython the program is; a note when its frames
 * could not be read, so that no one looks for them. */
static void python_record(struct ws_process *p, const struct ws_event *ev)
{
    static const char *const why[] = {
        [WS_PY_VERSION] = "this whyslow reads the frames of CPython 3.8 to 3.13",
        [WS_PY_DEBUG] = "a debug build",
        [WS_PY_FREE_THREADED] = "a free-threaded build",
        [WS_PY_OFF] = "WHYSLOW_PYTHON=off",
    };
    p->py_version = (uint64_t)ev->obj;
    p->py_frames = ev->result == 1;
    if (!p->py_frames)
        process_note(p, "python %u.%u: its frames were not read (%s): sites name its C code",
                     (unsigned)(p->py_version >> 24 & 0xff), (unsigned)(p->py_version >> 16 & 0xff),
                     ev->err < sizeof(why) / sizeof(*why) && why[ev->err] ? why[ev->err]
                                                                          : "unknown reason");
}

int decode_events(struct ws_process *p, struct ws_chunk_ref *ref, const uint8_t *raw, size_t len,
                  char *why, size_t whylen)
{
    const uint8_t *q = raw, *end = raw + len;
    uint64_t ts = ref->base_ts, caller = 0;
    int rc = 0;

    process_thread(p, ref->thread)->tid = ref->tid;
    ref->n = 0;
    ref->lag = 0;
    while (q < end) {
        struct ws_event ev;
        const uint8_t *rec = q;
        if (p->records_left == 0) {
            out_of_records(p, why, whylen);
            rc = DECODE_BOUND;
            break;
        }
        p->records_left--;
        enum record_status st = decode_record(p, &q, end, &ts, &caller, &ev);
        if (st == RECORD_BAD_CALL) {
            snprintf(why, whylen, "record %zu (offset %zu in the chunk): unknown call id %u",
                     ref->n, (size_t)(rec - raw), ev.call);
            rc = -1;
            break;
        }
        if (st == RECORD_BAD_STRING) {
            snprintf(why, whylen,
                     "record %zu (offset %zu in the chunk) names a string not defined before",
                     ref->n, (size_t)(rec - raw));
            rc = -1;
            break;
        }
        if (st == RECORD_BAD_STACK) {
            snprintf(why, whylen, "record %zu (offset %zu in the chunk) has a malformed stack",
                     ref->n, (size_t)(rec - raw));
            rc = -1;
            break;
        }
        if (st == RECORD_BAD_PAYLOAD) {
            snprintf(why, whylen,
                     "record %zu (offset %zu in the chunk) has a payload over the %u bytes a "
                     "recorder writes at most",
                     ref->n, (size_t)(rec - raw), WS_PAYLOAD_MAX);
            rc = -1;
            break;
        }
        if (st == RECORD_CUT) {
            snprintf(why, whylen, "record %zu (offset %zu in the chunk) runs past the chunk's end",
                     ref->n, (size_t)(rec - raw));
            rc = -1;
            break;
        }
        /* Code objects are named before any event of any thread is
         * handed out: a thread may use another's name from earlier. */
        if (ev.call == WS_EV_PYCODE) py_code_add(p, &ev);
        if (ev.call == WS_EV_PYTHON) python_record(p, &ev);
        if (ref->n == 0) {
            ref->min_ts = ref->max_ts = ts;
        } else if (ts < ref->max_ts) {
            if (ref->max_ts - ts > ref->lag) ref->lag = ref->max_ts - ts;
            if (ts < ref->min_ts) ref->min_ts = ts;
        } else {
            ref->max_ts = ts;
        }
        ref->n++;
    }
    p->nev += ref->n;
    ARRAY_PUSH(p->chunks, p->nchunks, p->chunkcap) = *ref;
    return rc;
}

static void note_clock(struct ws_process *p, uint64_t ts, uint64_t mono)
{
    if (p->nclocks == 0 || ts < p->clock_lo_ts) {
        p->clock_lo_ts = ts;
        p->clock_lo_mono = mono;
    }
    if (p->nclocks == 0 || ts > p->clock_hi_ts) {
        p->clock_hi_ts = ts;
        p->clock_hi_mono = mono;
    }
    p->nclocks++;
}

/* WS_META_PROCESS: uv pid, uv ppid, str exe, uv argc, str argv[argc],
 * uv start_realtime_ns, uv clock_source, uv flags. */
static int decode_process(struct ws_process *p, const uint8_t *q, const uint8_t *end)
{
    uint64_t pid, ppid, argc, start, clock, flags;
    const uint8_t *s;
    size_t slen;

    if (ws_get_uv(&q, end, &pid) < 0 || ws_get_uv(&q, end, &ppid) < 0 ||
        get_str(&q, end, &s, &slen) < 0 || ws_get_uv(&q, end, &argc) < 0)
        return -1;
    if (argc > (uint64_t)(end - q)) return -1; /* each argument takes a byte at least */
    xfree(p->exe);
    p->exe = dup_str(s, slen);
    for (size_t i = 0; i < p->argc; i++)
        xfree(p->argv[i]);
    xfree(p->argv);
    p->argv = xcalloc(argc ? argc : 1, sizeof(*p->argv));
    p->argc = 0;
    for (uint64_t i = 0; i < argc; i++) {
        if (get_str(&q, end, &s, &slen) < 0) return -1;
        p->argv[p->argc++] = dup_str(s, slen);
    }
    if (ws_get_uv(&q, end, &start) < 0 || ws_get_uv(&q, end, &clock) < 0 ||
        ws_get_uv(&q, end, &flags) < 0)
        return -1;
    p->has_process_record = 1;
    p->pid = pid;
    p->ppid = ppid;
    p->start_unix_ns = start;
    p->clock_source = clock;
    p->flags = flags;
    return 0;
}

static const char *meta_name(unsigned type)
{
    switch (type) {
    case WS_META_PROCESS:
        return "PROCESS";
    case WS_META_CLOCK:
        return "CLOCK";
    case WS_META_MAPS:
        return "MAPS";
    case WS_META_LOST:
        return "LOST";
    case WS_META_COUNTERS:
        return "COUNTERS";
    case WS_META_END:
        return "END";
    case WS_META_THREAD_NAME:
        return "THREAD_NAME";
    case WS_META_STRING:
        return "STRING";
    case WS_META_STOPPED:
        return "STOPPED";
    case WS_META_SCHED:
        return "SCHED";
    case WS_META_UNFINISHED:
        return "UNFINISHED";
    case WS_META_GONE:
        return "GONE";
    case WS_META_TITLE:
        return "TITLE";
    case WS_META_JITMAP:
        return "JITMAP";
    case WS_META_HOST:
        return "HOST";
    default:
        return "unknown";
    }
}

/* Decodes one known META record in [q, end) into p and m; -1 if it does
 * not hold its fields. */
static int decode_meta_record(struct ws_process *p, struct ws_meta *m, const uint8_t *q,
                              const uint8_t *end)
{
    const uint8_t *s;
    size_t slen;

    switch (m->type) {
    case WS_META_PROCESS:
        return decode_process(p, q, end);
    case WS_META_CLOCK:
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0 ||
            ws_get_uv(&q, end, &m->v[2]) < 0)
            return -1;
        note_clock(p, m->v[0], m->v[1]);
        return 0;
    case WS_META_MAPS:
        if (get_str(&q, end, &s, &slen) < 0) return -1;
        if (maps_add(&p->maps, (const char *)s, slen, MAPS_WORK(p->len)) < 0)
            process_note(p,
                         "more memory maps than the decoder reads from a file of %zu bytes: "
                         "the later ones are not read, and what only they map is not named",
                         p->len);
        return 0;
    case WS_META_LOST:
        if (ws_get_uv(&q, end, &m->v[0]) < 0) return -1;
        if (m->v[0] > p->lost) p->lost = m->v[0];
        return 0;
    case WS_META_COUNTERS: {
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0 ||
            ws_get_uv(&q, end, &m->v[2]) < 0)
            return -1;
        struct log_thread *t = process_thread(p, (uint32_t)m->v[0]);
        if (!t->tid) t->tid = (uint32_t)m->v[1];
        t->uncontended = m->v[2]; /* until a THREAD_END event says otherwise */
        return 0;
    }
    case WS_META_END:
        int64_t status;
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || get_sv(&q, end, &status) < 0 ||
            ws_get_uv(&q, end, &m->v[1]) < 0)
            return -1;
        p->has_end = 1;
        p->end_kind = m->v[0];
        p->end_status = status;
        m->v[2] = (uint64_t)status;
        p->end_ts = m->v[1];
        return 0;
    case WS_META_STOPPED:
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0) return -1;
        p->stopped = 1;
        p->stopped_ts = m->v[0];
        p->stopped_signal = m->v[1];
        return 0;
    case WS_META_GONE:
        if (ws_get_uv(&q, end, &m->v[0]) < 0) return -1;
        p->gone = 1;
        p->gone_ts = m->v[0];
        return 0;
    case WS_META_UNFINISHED: {
        uint64_t call, obj, start, seen, caller;
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0 ||
            ws_get_uv(&q, end, &call) < 0 || ws_get_uv(&q, end, &obj) < 0 ||
            ws_get_uv(&q, end, &start) < 0 || ws_get_uv(&q, end, &seen) < 0 ||
            ws_get_uv(&q, end, &caller) < 0)
            return -1;
        m->v[2] = call;
        if (call == 0 || call > WS_CALL_MAX ||
            (!(ws_call_flags((unsigned)call) & WS_CALL_WAITS) &&
             !(ws_call_flags((unsigned)call) & WS_CALL_ACQUIRES)))
            return 0; /* not a call that waits: nothing to make of it */
        struct log_thread *t = process_thread(p, (uint32_t)m->v[0]);
        if (!t->tid) t->tid = (uint32_t)m->v[1];
        if (!t->uf_call) p->nev++; /* the event it makes (timeline.c) */
        t->uf_call = (uint32_t)call;
        t->uf_obj = ws_unzigzag(obj);
        t->uf_start = start;
        t->uf_seen = seen;
        t->uf_caller = caller;
        return 0;
    }
    case WS_META_SCHED: {
        uint64_t at, run, wait;
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0 ||
            ws_get_uv(&q, end, &at) < 0 || ws_get_uv(&q, end, &run) < 0 ||
            ws_get_uv(&q, end, &wait) < 0)
            return -1;
        struct log_thread *t = process_thread(p, (uint32_t)m->v[0]);
        if (!t->tid) t->tid = (uint32_t)m->v[1];
        /* Kept in time order: a sample older than the last is dropped. */
        if (t->nsched && (int64_t)at <= t->sched[t->nsched - 1].at) return 0;
        ARRAY_PUSH(t->sched, t->nsched, t->schedcap) =
            (struct sched_sample){.at = (int64_t)at, .run_ns = run, .wait_ns = wait};
        return 0;
    }
    case WS_META_JITMAP:
        if (get_str(&q, end, &s, &slen) < 0) return -1;
        xfree(p->jit_map); /* the last one counts */
        p->jit_map = xmalloc(slen ? slen : 1);
        memcpy(p->jit_map, s, slen);
        p->jit_map_len = slen;
        return 0;
    case WS_META_TITLE:
        if (get_str(&q, end, &s, &slen) < 0) return -1;
        xfree(p->title); /* the last one counts */
        p->title = dup_str(s, slen);
        return 0;
    case WS_META_HOST:
        if (get_str(&q, end, &s, &slen) < 0) return -1;
        xfree(p->host);
        p->host = dup_str(s, slen);
        return 0;
    case WS_META_THREAD_NAME: {
        if (ws_get_uv(&q, end, &m->v[0]) < 0 || ws_get_uv(&q, end, &m->v[1]) < 0 ||
            get_str(&q, end, &s, &slen) < 0)
            return -1;
        /* Applied after the events' names, in timeline.c. */
        struct log_thread *t = process_thread(p, (uint32_t)m->v[0]);
        if (!t->tid) t->tid = (uint32_t)m->v[1];
        char name[256];
        size_t n = text_clean(s, slen, name, sizeof(name));
        m->v[2] = strpool_intern(&p->strings, name, n);
        return 0;
    }
    case WS_META_STRING: {
        if (end - q > WS_PAYLOAD_MAX) return -1;
        struct ws_bytes *b = &ARRAY_PUSH(p->istrs, p->nistrs, p->istrcap);
        b->len = (uint32_t)(end - q);
        b->bytes = xmalloc(b->len + 1);
        memcpy(b->bytes, q, b->len);
        b->bytes[b->len] = 0;
        m->v[0] = p->nistrs - 1;
        return 0;
    }
    default:
        return 0; /* unknown types are skipped by their length */
    }
}

int decode_meta(struct ws_process *p, const uint8_t *raw, size_t len, char *why, size_t whylen)
{
    const uint8_t *q = raw, *end = raw + len;
    size_t nrec = 0;

    while (q < end) {
        const uint8_t *rec = q;
        if (p->records_left == 0) {
            out_of_records(p, why, whylen);
            return DECODE_BOUND;
        }
        p->records_left--;
        struct ws_meta m = {.type = *q++};
        uint64_t rlen;

        if (ws_get_uv(&q, end, &rlen) < 0 || rlen > (uint64_t)(end - q)) {
            snprintf(why, whylen,
                     "META record %zu (offset %zu in the chunk) runs past the chunk's end", nrec,
                     (size_t)(rec - raw));
            return -1;
        }
        m.len = (uint32_t)rlen; /* a chunk is less than 4 GiB */
        if (decode_meta_record(p, &m, q, q + rlen) < 0) {
            snprintf(why, whylen, "META %s record (offset %zu in the chunk) is malformed",
                     meta_name(m.type), (size_t)(rec - raw));
            return -1;
        }
        ARRAY_PUSH(p->meta, p->nmeta, p->metacap) = m;
        q += rlen;
        nrec++;
    }
    return 0;
}
