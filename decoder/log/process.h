/* SPDX-License-Identifier: MIT */
/*
 * process.h - one decoded log: the process it describes, its threads, and
 * where its events are.  log_read.c fills it from a file (checking every
 * record, keeping none), timeline.c finishes it (clock, chunk order) and
 * reads its events back in time order for the analysis and the dump.
 */
#ifndef WHYSLOW_PROCESS_H
#define WHYSLOW_PROCESS_H

#include "base/hashmap.h"
#include "base/strpool.h"
#include "log/memmap.h"

#include <whyslow/format.h>

#include <stddef.h>
#include <stdint.h>

struct py_state;

/* One event record, as a timeline (timeline.h) hands it out: times in
 * nanoseconds (at: since the process start).  Events are not kept in
 * memory: a timeline decodes them from the log again each time it is
 * read, so payload points into a buffer valid until the next event. */
struct ws_event {
    int64_t at;
    uint64_t dur;
    int64_t obj;
    int64_t result;
    uint64_t err;
    uint64_t caller;        /* the return address recorded, or a Python site (pysites.h) */
    uint64_t native_caller; /* the return address recorded, always */
    uint64_t aux1, aux2;    /* calls with WS_CALL_HAS_AUX (0 otherwise); for DB
                               queries aux2 is in ns like dur */
    const uint8_t *payload;
    uint32_t payload_len;
    /* Who the payload's bytes are: the same number for the same interned
     * string (its number + 1) or SQLite statement text read by one
     * timeline; 0 for literal bytes.  What is worked out from a text (its
     * cleaned name, its query) is worked out once per number: a log may
     * name one 4 KiB string in millions of events. */
    uint32_t text;
    /* Its call stack, when the recorder kept one (a slow event): nframes
     * little-endian u64 return addresses, innermost first (event_frame()).
     * Valid as long as payload. */
    const uint8_t *frames;
    uint32_t nframes;
    /* Its Python frames, when the recorder kept a Python stack: tagged
     * sites of one frame each (pysites.h), innermost first.  Valid as
     * long as payload. */
    const uint64_t *pyframes;
    uint32_t npyframes;
    uint8_t unfinished; /* a waiting call still under way at the end
                           (WS_META_UNFINISHED): its span runs to the end,
                           and it returned nothing */
    uint32_t thread;    /* the thread's serial */
    uint32_t tid;
    uint32_t target; /* what the event was on (strpool id, 0 if nothing) */
    uint8_t call;
    uint8_t target_kind; /* what the target is: enum ws_fd_kind, 0 if unknown */
};

/* When an event ended (at + dur, saturated). */
static inline int64_t event_end(const struct ws_event *ev)
{
    __int128 end = (__int128)ev->at + ev->dur;
    return end > INT64_MAX ? INT64_MAX : (int64_t)end;
}

/* Frame i of an event's stack. */
static inline uint64_t event_frame(const struct ws_event *ev, uint32_t i)
{
    uint64_t a = 0;
    for (int b = 7; b >= 0; b--)
        a = a << 8 | ev->frames[i * 8 + (uint32_t)b];
    return a;
}

#define PY_STACK_MAX 128 /* Python frames a recorder keeps at most */

/* The call stack of one event, copied out of its timeline: return
 * addresses, innermost first (n is 0 when the recorder kept none). */
struct event_stack {
    uint32_t n, npy;
    uint64_t frames[WS_STACK_MAX];
    uint64_t py[PY_STACK_MAX]; /* its Python frames, as ws_event.pyframes */
};

static inline void event_stack_keep(struct event_stack *s, const struct ws_event *ev)
{
    s->n = ev->nframes < WS_STACK_MAX ? ev->nframes : WS_STACK_MAX;
    for (uint32_t i = 0; i < s->n; i++)
        s->frames[i] = event_frame(ev, i);
    s->npy = ev->npyframes < PY_STACK_MAX ? ev->npyframes : PY_STACK_MAX;
    for (uint32_t i = 0; i < s->npy; i++)
        s->py[i] = ev->pyframes[i];
}

/* A thread as its log describes it (the recorder's own per-thread state,
 * preload/internal.h's struct ws_thread, is another thing). */
struct log_thread {
    uint32_t serial;
    uint32_t tid;
    uint32_t name;        /* strpool id, 0 if unnamed */
    uint64_t uncontended; /* uncontended lock acquisitions */
    uint64_t events;
    /* Its EVENTS chunks, chunks[chunk0 .. chunk0 + nchunks) once
     * timeline_finish() has put them in stream order. */
    size_t chunk0, nchunks;
    /* How far (raw) a start time in its stream goes back behind the latest
     * start before it: 0 when its events are in time order.  A statement's
     * record comes when it ends, after the calls made during its span. */
    uint64_t lag;
    /* The waiting call it was still in at the end (WS_META_UNFINISHED):
     * its call (0: none), obj, raw start and seen times, and caller. */
    uint32_t uf_call;
    int64_t uf_obj;
    uint64_t uf_start, uf_seen, uf_caller;
    /* How long it ran and waited for a CPU (WS_META_SCHED), in time
     * order: at is raw, then ns since the start (timeline_finish()). */
    struct sched_sample {
        int64_t at;
        uint64_t run_ns, wait_ns;
    } * sched;
    size_t nsched, schedcap;
};

/* The time a thread waited for a CPU while runnable (its last
 * WS_META_SCHED sample), 0 when the log has none. */
static inline uint64_t thread_runq_ns(const struct log_thread *t)
{
    return t->nsched ? t->sched[t->nsched - 1].wait_ns : 0;
}

/* The time the thread waited for a CPU in the sample intervals that
 * [from, to) overlaps: at most that much of the span was such a wait. */
uint64_t thread_runq_between(const struct log_thread *t, int64_t from, int64_t to);

/* A metadata record, kept for `whyslow dump` (32 bytes: a log may hold
 * millions). */
struct ws_meta {
    uint64_t v[3]; /* its integers, in order; WS_META_END: kind, ts, then the
                      status (int64_t); WS_META_THREAD_NAME: serial, tid,
                      then the name (strpool id) */
    uint32_t len;  /* the record's length */
    uint8_t type;
};

/* One EVENTS chunk of the file, found good by log_read.c: where its zstd
 * frame is, and what its records hold. */
struct ws_chunk_ref {
    uint32_t thread, tid;
    uint64_t seq, base_ts;
    size_t frame, csize; /* the zstd frame: offset in the file data, size */
    uint32_t raw_size;
    size_t n;                /* records to decode (those before any damage) */
    size_t index;            /* position in the file */
    uint64_t min_ts, max_ts; /* raw start times */
    uint64_t lag;            /* inside the chunk, as log_thread.lag */
};

struct ws_process {
    char *log;     /* the file this came from */
    uint8_t *data; /* the file's bytes, read again by timelines */
    size_t len;

    int has_process_record;
    uint64_t pid, ppid;
    char *exe;
    char **argv;
    size_t argc;
    uint64_t start_unix_ns;
    uint64_t clock_source;
    uint64_t flags; /* WS_PROC_* */

    /* CLOCK records: how many, and the two farthest apart in ts. */
    size_t nclocks;
    uint64_t clock_lo_ts, clock_lo_mono;
    uint64_t clock_hi_ts, clock_hi_mono;
    double ticks_per_ns; /* set by timeline_finish() */
    /* Set by timeline_finish(): ns = (ts - ts_start) * ts_num / ts_den. */
    uint64_t ts_start, ts_num, ts_den;

    size_t nev;       /* event records decoded */
    int64_t first_at; /* the earliest event's start, ns (0 without events) */
    struct ws_chunk_ref *chunks;
    size_t nchunks, chunkcap;
    struct log_thread *threads;
    size_t nthreads, threadcap;
    struct map thread_index; /* serial -> index + 1 */
    struct ws_meta *meta;
    size_t nmeta, metacap;

    uint64_t lost;
    int has_end;
    int stopped; /* a signal stopped its flusher (WS_META_STOPPED) */
    uint64_t stopped_ts, stopped_signal;
    int gone;            /* found gone with no end (WS_META_GONE): killed */
    uint64_t gone_ts;    /* raw, then ns since start */
    char *title;         /* the command line it gave itself (WS_META_TITLE), or NULL */
    char *host;          /* the host it ran on (WS_META_HOST), or NULL */
    struct py_state *py; /* its Python code objects and sites (pysites.h), or NULL */
    char *jit_map;       /* the names of its JIT code (WS_META_JITMAP), or NULL */
    size_t jit_map_len;
    uint64_t py_version; /* a CPython program's version (WS_EV_PYTHON), 0: none */
    int py_frames;       /* its frames were read */
    uint64_t end_kind;
    int64_t end_status;
    uint64_t end_ts;     /* raw, then ns since start */
    int64_t duration_ns; /* final once a timeline was read to its end */
    size_t thread_count; /* threads with events or a name */

    /* While the log is read: the records it may still hold and the bytes
     * it may still inflate (log_read.h's bounds). */
    uint64_t records_left, raw_left;
    int in_pack; /* a member of a pack: the free part of those bounds is shared */

    int truncated;
    char *truncated_reason;
    char **notes;
    size_t nnotes, notecap;

    struct strpool strings;

    /* The union of its memory maps (WS_META_MAPS records, memmap.h), and
     * what names addresses with them, made when first asked
     * (symbols/symbolize.h, a later stage, which also says how to free
     * it). */
    struct ws_maps maps;
    struct symbolizer *sym;
    void (*sym_free)(struct symbolizer *);

    /* The log's interned strings (WS_META_STRING records) in file order:
     * event payloads refer to them by number. */
    struct ws_bytes {
        uint8_t *bytes;
        uint32_t len;
    } * istrs;
    size_t nistrs, istrcap;
};

struct ws_process *process_new(const char *log);
void process_free(struct ws_process *p);

/* The thread with this serial, created if new. */
struct log_thread *process_thread(struct ws_process *p, uint32_t serial);

/* The thread with this serial, or NULL. */
const struct log_thread *process_find_thread(const struct ws_process *p, uint32_t serial);

/* Adds a note (shown with the process in the report), once per text. */
void process_note(struct ws_process *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the process as truncated at byte offset `at`, for a reason. */
void process_truncate(struct ws_process *p, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "exit", "_exit", "exec" or "unknown" for a WS_META_END kind. */
const char *process_end_kind_name(uint64_t kind);

#endif
