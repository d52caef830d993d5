/* SPDX-License-Identifier: MIT */
/*
 * flusher.c - the flusher: what writes a traced process's events to its log.
 *
 * Threads hand full buffers over a liburcu wait-free queue in the shared
 * region (an exchange and a store: safe in any context) and wake the
 * flusher with a futex.  Every WHYSLOW_FLUSH_MS it also reads what is
 * committed in buffers still being filled.  Each piece becomes a chunk:
 * raw records compacted (deltas, varints), compressed as one zstd frame
 * with its checksum, behind a skippable frame header naming the thread and
 * the piece's offset in the thread's stream.
 *
 * The same loop runs in each of the three places launch.c may start it: a
 * process cloned from the program, a process `whyslow record` forked from
 * itself (serve.c), or a thread of the program.  What differs is how the
 * flusher learns that the program's image ended:
 *   - exit and _exit post how it ends and wait (a few ms, at most 5 s) for
 *     the flusher to write the rest: the same everywhere;
 *   - exec: a flusher process watches the program's memory map for the
 *     shared region, gone when the exec succeeded; a flusher thread dies
 *     with the image, so the program first waits for it to write all
 *     (sync_req, sync_done);
 *   - death (SIGKILL...): a flusher process polls a pidfd of the program;
 *     a thread dies with it, and what it had not written is lost.
 * Nothing committed is lost otherwise, SIGKILL included.
 *
 * A flusher process ends on SIGTERM or SIGINT sent to it: it writes what
 * is committed, a STOPPED record, and tells the program to record nothing
 * more.  Every other signal is blocked.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <zstd.h>

#include "intern.h"
#include "internal.h"
#include "meta.h"
#include "sql_redact.h"

/* libzstd, loaded where a flusher runs (ws_flusher_init), not linked: a
 * program whose flusher is served or is a process of its own never maps
 * it, and does not pay at its start for loading and relocating it. */
static struct {
    ZSTD_CCtx *(*createCCtx)(void);
    size_t (*setParameter)(ZSTD_CCtx *, ZSTD_cParameter, int);
    size_t (*compress2)(ZSTD_CCtx *, void *, size_t, const void *, size_t);
    unsigned (*isError)(size_t);
    size_t (*reset)(ZSTD_CCtx *, ZSTD_ResetDirective);
} zstd;
static ZSTD_CCtx *cctx;
static uint8_t *enc;                            /* compacted records of one chunk */
static uint8_t *batch;                          /* chunks waiting to be written */
static WS_BIG uint8_t redacted[WS_MAX_PAYLOAD]; /* a statement's text, redacted */
static size_t batch_len;
static size_t batch_cap;
static int failed; /* the log cannot be written: stop writing */

static enum ws_flusher_mode mode;
/* The flusher's own queue, which takes the shared one's buffers in one
 * splice, and when it last wrote the periodic records (flush()). */
static struct cds_wfcq_head head;
static struct cds_wfcq_tail tail;
static uint64_t last_clock_ns, last_maps_ns, last_meta_ns;
#define MAPS_EVERY_NS 500000000u /* how often the memory map is looked at */
#define MAPS_FIRST_NS 100000000u /* when a served flusher first looks (run()) */
static int program_fd = -1;      /* a flusher process's: a pidfd of the program */
/* A served flusher that did not map the region where the program has it
 * (serve.c: most do not): the queue's links are the program's addresses,
 * so it takes the buffers handed over by their state instead. */
static int relocated;
static int closed; /* served from a closing hello: the program ended first (serve.c) */
/* The region's buffers as the flusher found them at its start: the
 * region is the program's to scribble on, so its own counts and pointers
 * are not trusted after that. */
static unsigned nbufs;
static uint8_t *data0;
static volatile sig_atomic_t stop_signal;

pid_t ws_proc_pid; /* the program, as the flusher's /proc names it */

#define ENC_CAP   (2 * WS_BUF_SIZE + 4096)
#define CHUNK_MAX (8u << 20) /* the largest raw chunk: a META one */
/* What this writes stays within what the format says a recorder writes. */
_Static_assert(ENC_CAP <= WS_EVENTS_RAW_MAX, "EVENTS chunks within the format's limit");
_Static_assert(CHUNK_MAX <= WS_META_RAW_MAX, "META chunks within the format's limit");
_Static_assert(WS_MAX_PAYLOAD <= WS_PAYLOAD_MAX, "payloads within the format's limit");

/* Loads libzstd's functions; 0, or -1 with ws_why set. */
static int load_zstd(void)
{
    void *h = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(ws_why, sizeof ws_why, "cannot load libzstd.so.1: %s", dlerror());
        return -1;
    }
    *(void **)&zstd.createCCtx = dlsym(h, "ZSTD_createCCtx");
    *(void **)&zstd.setParameter = dlsym(h, "ZSTD_CCtx_setParameter");
    *(void **)&zstd.compress2 = dlsym(h, "ZSTD_compress2");
    *(void **)&zstd.isError = dlsym(h, "ZSTD_isError");
    *(void **)&zstd.reset = dlsym(h, "ZSTD_CCtx_reset");
    if (!zstd.createCCtx || !zstd.setParameter || !zstd.compress2 || !zstd.isError || !zstd.reset) {
        snprintf(ws_why, sizeof ws_why, "libzstd.so.1 is older than 1.4 (no ZSTD_compress2)");
        return -1;
    }
    return 0;
}

int ws_flusher_init(void)
{
    if (!enc) {
        if (load_zstd() != 0) return -1;
        enc = mmap(NULL, ENC_CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        batch_cap = ZSTD_COMPRESSBOUND(CHUNK_MAX) + 64;
        batch = mmap(NULL, batch_cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        cctx = zstd.createCCtx();
        if (enc == MAP_FAILED || batch == MAP_FAILED || !cctx) {
            snprintf(ws_why, sizeof ws_why, "out of memory for the flusher");
            enc = NULL;
            return -1;
        }
        zstd.setParameter(cctx, ZSTD_c_compressionLevel, 1);
        zstd.setParameter(cctx, ZSTD_c_checksumFlag, 1);
    }
    /* Again in the child of fork(): a new log starts with nothing written. */
    batch_len = 0;
    failed = 0;
    cds_wfcq_init(&head, &tail);
    last_clock_ns = last_maps_ns = last_meta_ns = 0;
    if (ws_meta_init() == 0 && ws_intern_init() == 0) return 0;
    snprintf(ws_why, sizeof ws_why, "out of memory for the flusher");
    return -1;
}

/* The region is shared by two processes: no FUTEX_PRIVATE_FLAG. */
long ws_futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return real_syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static void write_batch(void)
{
    if (batch_len && !failed && ws_log_write(batch, batch_len) != 0) failed = 1;
    batch_len = 0;
}

/* Compresses raw[0..len) into a chunk at the end of the batch. */
static void put_chunk(uint32_t kind, uint32_t thread, uint64_t seq, uint64_t base_ts, pid_t tid,
                      const uint8_t *raw, size_t len)
{
    size_t need = 8 + sizeof(struct ws_chunk_header) + ZSTD_COMPRESSBOUND(len);
    if (batch_len + need > batch_cap) write_batch();
    uint8_t *p = batch + batch_len;
    uint32_t magic = WS_MAGIC_CHUNK, hsize = sizeof(struct ws_chunk_header);
    struct ws_chunk_header h = {
        .kind = kind,
        .thread = thread,
        .seq = seq,
        .base_ts = base_ts,
        .tid = (uint32_t)tid,
        .raw_size = (uint32_t)len,
    };
    memcpy(p, &magic, 4);
    memcpy(p + 4, &hsize, 4);
    memcpy(p + 8, &h, sizeof h);
    size_t off = 8 + sizeof h;
    size_t z = zstd.compress2(cctx, p + off, batch_cap - batch_len - off, raw, len);
    if (zstd.isError(z)) { /* cannot happen with a bound-sized output */
        zstd.reset(cctx, ZSTD_reset_session_only);
        return;
    }
    batch_len += off + z;
}

static void put_meta(void)
{
    size_t len;
    const uint8_t *m = ws_meta_take(&len);
    if (len) put_chunk(WS_CHUNK_META, 0, 0, 0, 0, m, len);
}

/* Does the call's payload hold SQL (which WHYSLOW_REDACT=sql redacts)? */
static int is_sql(unsigned call)
{
    return call == WS_SQLITE_STMT || call == WS_SQLITE_PREPARE || call == WS_SQLITE_EXEC ||
           call == WS_PG_QUERY || call == WS_PG_PREPARE;
}

/* Writes bytes as a payload tag (format.h): a string number, or a
 * literal when the string table is full. */
static uint8_t *put_bytes(uint8_t *o, const uint8_t *s, size_t len)
{
    long id = len ? ws_intern(s, len) : -1;
    if (id >= 0) return ws_put_uv(o, (uint64_t)id * 2 + 1);
    o = ws_put_uv(o, (uint64_t)len * 2);
    memcpy(o, s, len);
    return o + len;
}

/* The buffer's records start where the layout says, whatever its header
 * claims. */
static uint8_t *buf_data(const struct ws_buf *b)
{
    return ws_buf_memory(data0, nbufs, (size_t)(b - ws_bufs));
}

/* Where b's whole records end, from `from` on: its committed mark once
 * FULL; in a buffer being filled, at the first record whose first word is
 * still 0 (internal.h: struct ws_raw), or at its end. */
uint32_t ws_buf_filled(const struct ws_buf *b, uint32_t from)
{
    if (atomic_load_explicit(&b->state, memory_order_acquire) == WS_BUF_FULL)
        return atomic_load_explicit(&b->committed, memory_order_acquire);
    const uint8_t *data = buf_data(b);
    uint32_t at = from;
    while (at + sizeof(struct ws_raw) <= WS_BUF_SIZE) {
        uint64_t w =
            atomic_load_explicit((const _Atomic uint64_t *)(data + at), memory_order_acquire);
        uint32_t size = ws_raw_size((uint16_t)w); /* (its plen: the word's low 16 bits) */
        if (!w || at + size > WS_BUF_SIZE) break;
        at += size;
    }
    return at;
}

/* A buffer written goes back to the pool zeroed where it was written, so
 * that the word past its next owner's last record is 0.  (The program
 * writes only below its position: past `end` it is 0 already.) */
static void release_zeroed(struct ws_buf *b, uint32_t end)
{
    memset(buf_data(b), 0, end < WS_BUF_SIZE ? end : WS_BUF_SIZE);
    ws_buffer_release(b);
}

/* Raw records [from, to) of b become one EVENTS chunk. */
static void put_events(struct ws_buf *b, uint32_t from, uint32_t to)
{
    if (from >= to || to > WS_BUF_SIZE) return;
    const uint8_t *data = buf_data(b);
    const uint8_t *p = data + from, *end = data + to;
    uint64_t base = ((const struct ws_raw *)p)->start;
    uint64_t prev_start = base, prev_caller = 0;
    uint8_t *o = enc;
    while (p + sizeof(struct ws_raw) <= end) {
        const struct ws_raw *r = (const struct ws_raw *)p;
        /* Check each record, for the same reason. */
        if (r->plen > WS_MAX_PAYLOAD + WS_STACK_MAX * 8 || r->pad > WS_STACK_MAX ||
            r->pad * 8u > r->plen || p + ws_raw_size(r->plen) > end)
            break;
        *o++ = (uint8_t)(r->call | (r->pad ? WS_CALL_STACK : 0));
        o = ws_put_uv(o, ws_zigzag((int64_t)(r->start - prev_start)));
        o = ws_put_uv(o, r->dur);
        o = ws_put_uv(o, ws_zigzag(r->obj));
        o = ws_put_uv(o, ws_zigzag(r->result));
        o = ws_put_uv(o, r->err);
        o = ws_put_uv(o, ws_zigzag((int64_t)(r->caller - prev_caller)));
        unsigned flags = ws_call_flags(r->call);
        const uint8_t *pl = (const uint8_t *)(r + 1);
        size_t plen = r->plen - r->pad * 8u;
        if (flags & WS_CALL_HAS_AUX) { /* the raw payload starts with them */
            uint64_t aux[2] = {0, 0};
            size_t n = plen >= 16 ? 16 : plen;
            memcpy(aux, pl, n);
            o = ws_put_uv(o, aux[0]);
            o = ws_put_uv(o, aux[1]);
            pl += n;
            plen -= n;
        }
        if (flags & WS_CALL_HAS_PAYLOAD) {
            if (ws_redact_sql && plen && is_sql(r->call)) {
                plen = ws_sql_redact_text((const char *)pl, plen, (char *)redacted);
                pl = redacted;
            }
            o = put_bytes(o, pl, plen);
        }
        /* The stack: the last bytes of the raw payload.  Slow events come
         * from a few places, so stacks repeat: interned too. */
        if (r->pad) o = put_bytes(o, (const uint8_t *)(r + 1) + r->plen - r->pad * 8u, r->pad * 8u);
        prev_start = r->start;
        prev_caller = r->caller;
        p += ws_raw_size(r->plen);
    }
    /* New strings go first: a string is in the file before its first use. */
    if (ws_meta_pending()) put_meta();
    put_chunk(WS_CHUNK_EVENTS, b->thread, b->stream_off + from, base, b->tid, enc,
              (size_t)(o - enc));
}

/* A node the queue handed out, if it is one of the region's buffers. */
static struct ws_buf *queued_buf(struct cds_wfcq_node *node)
{
    struct ws_buf *b = caa_container_of(node, struct ws_buf, node);
    uintptr_t off = (uintptr_t)b - (uintptr_t)ws_bufs;
    if ((uintptr_t)b < (uintptr_t)ws_bufs || off % sizeof *b || off / sizeof *b >= nbufs)
        return NULL;
    return b;
}

/* Everything committed so far goes to the log. */
/* The buffers that may have been used (bounded: the region is the
 * program's to scribble on). */
unsigned ws_bufs_used(void)
{
    unsigned n = atomic_load(&ws_sh->bufs_used);
    return n < nbufs ? n : nbufs;
}

static int program_dead(void);

static void flush(int final)
{
    /* At the end, what /proc says of the program first (its map, its
     * threads' names): a served program waits for that only, and goes,
     * unless it gave them itself (launch.c). */
    if (final) {
        /* A program that recorded nothing has no address to name: a
         * quarter of a build's processes (cmake -E, as), whose map /proc
         * would format for nothing.  (What the program gave is looked at
         * first in any case: it forgets the last program's.) */
        if (ws_meta_given() != 0 && ws_slots_used() > 0) ws_meta_maps(0);
        ws_meta_counters(1);
        ws_meta_unfinished(ws_now());
        atomic_store(&ws_sh->proc_read, 1);
        if (!closed) ws_futex(&ws_sh->proc_read, FUTEX_WAKE, INT32_MAX, NULL);
        /* What the program need not wait for: its title (empty once it is
         * a zombie: the last one read stays; a pidfd says so at the cost
         * of a poll, where /proc would first make the pid's entries, a
         * good part of what a flusher spends on a short process that
         * recorded nothing) and its threads' CPU times, which the kernel
         * keeps until it is reaped. */
        if (!closed && (program_fd < 0 || !program_dead())) ws_meta_title();
        ws_meta_sched(1);
        /* (names for the addresses of its events: none, none to name,
         * unless the map is ours to remove) */
        if (ws_slots_used() > 0 || (ws_sh->jit_map_ours && !closed)) ws_meta_jitmap();
    }
    /* Full buffers first, in the order they were handed over.  Never
     * wait on the queue: a thread killed in the middle of an enqueue
     * would leave a link unset for ever.  What is not ready now is taken
     * at the next period; at the end, full buffers are found by state. */
    struct cds_wfcq_node *node;
    if (!relocated)
        __cds_wfcq_splice_nonblocking(&head, &tail, &ws_sh->queue_head, &ws_sh->queue_tail);
    while ((node = __cds_wfcq_dequeue_nonblocking(&head, &tail)) != NULL &&
           node != CDS_WFCQ_WOULDBLOCK) {
        struct ws_buf *b = queued_buf(node);
        if (!b) break;
        uint32_t end = atomic_load_explicit(&b->committed, memory_order_acquire);
        if (end > b->flushed) put_events(b, b->flushed, end);
        release_zeroed(b, end);
    }
    /* At the end nobody fills buffers any more: take the rest by state.
     * A relocated flusher always does (the log's chunks name their place
     * in their thread's stream, so their order in the file does not
     * matter); the program's queue then links nodes no one reads. */
    if (final || relocated)
        for (unsigned i = 0, n = ws_bufs_used(); i < n; i++) {
            struct ws_buf *b = &ws_bufs[i];
            if (atomic_load_explicit(&b->state, memory_order_acquire) != WS_BUF_FULL) continue;
            uint32_t end = atomic_load_explicit(&b->committed, memory_order_acquire);
            if (end > b->flushed) put_events(b, b->flushed, end);
            b->flushed = end;
            if (relocated) release_zeroed(b, end);
        }
    /* Then what is committed in buffers still being filled. */
    for (unsigned i = 0, n = ws_bufs_used(); i < n; i++) {
        struct ws_buf *b = &ws_bufs[i];
        if (atomic_load_explicit(&b->state, memory_order_acquire) != WS_BUF_ACTIVE) continue;
        uint32_t end = ws_buf_filled(b, b->flushed);
        if (end > b->flushed) {
            put_events(b, b->flushed, end);
            b->flushed = end;
        }
    }
    uint64_t now = ws_mono_ns();
    /* A served log kept too long gets its file (a write that failed
     * there cuts the log, as any). */
    if (ws_log_kept_tick(now) != 0) failed = 1;
    if (final || now - last_clock_ns >= 1000000000u) {
        ws_meta_clock_now();
        last_clock_ns = now;
    }
    if (!final && now - last_maps_ns >= MAPS_EVERY_NS) {
        ws_meta_maps(0);
        ws_meta_title();
        last_maps_ns = now;
    }
    if (final || now - last_meta_ns >= (uint64_t)ws_flush_ms * 1000000u) {
        ws_meta_lost(final);
        if (!final) {
            ws_meta_counters(0);
            ws_meta_sched(0);
        }
        last_meta_ns = now;
    }
    put_meta();
    write_batch();
}

/* Has the program died (it may be a zombie)?  A pidfd polls readable then;
 * without pidfds (kernels before 5.3), /proc says. */
static int program_dead(void)
{
    if (program_fd >= 0) {
        struct pollfd p = {.fd = program_fd, .events = POLLIN};
        return real_poll(&p, 1, 0) == 1;
    }
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)ws_proc_pid);
    int fd = real_open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    ssize_t n = real_read(fd, stat, sizeof stat - 1);
    real_close(fd);
    if (n <= 0) return 1;
    stat[n] = 0;
    const char *state = strrchr(stat, ')');
    return !state || state[1] == 0 || state[2] == 'Z' || state[2] == 'X';
}

/* Did the program's image end?  Returns the end kind, -1 when it was
 * killed, or 0 while it runs. */
static int program_ended(void)
{
    int kind = atomic_load(&ws_sh->end_kind);
    if (kind == WS_END_EXIT || kind == WS_END__EXIT) return kind;
    if (mode == WS_FLUSHER_THREAD) return 0; /* it would have taken us with it */
    if (program_dead()) return kind ? kind : -1;
    /* Under way: the region's leaving the program's map means success
     * (not a map that cannot be read: -1). */
    if (kind == WS_END_EXEC && ws_meta_maps(0) == 0) return kind;
    return 0;
}

/* A flusher thread, when the program is about to exec: write everything,
 * and the end the exec makes, while the program waits (launch.c).  If the
 * exec fails, a later end record replaces this one. */
static void sync_exec(void)
{
    uint32_t req = atomic_load(&ws_sh->sync_req);
    if (req == atomic_load(&ws_sh->sync_done)) return;
    flush(0);
    ws_meta_end(WS_END_EXEC, 0, ws_sh->end_ts);
    put_meta();
    write_batch();
    atomic_store(&ws_sh->sync_done, req);
    ws_futex(&ws_sh->sync_done, FUTEX_WAKE, INT32_MAX, NULL);
}

/* Stopped by a signal: write what is committed, say so, and tell the
 * program's threads to record nothing more (they would fill buffers no
 * one writes). */
static void stop(void)
{
    ws_stop_recording();
    flush(0);
    ws_meta_stopped(ws_now(), (unsigned)stop_signal);
    put_meta();
    write_batch();
}

/* The flusher's life, wherever it runs; returns when its program's image
 * ended or it was stopped. */
static void run(int mapped_at_fork)
{
    nbufs = ws_sh->nbufs;
    data0 = ws_region_data(nbufs);
    ws_meta_clock(ws_sh->start_ts, ws_sh->start_mono_ns, ws_sh->start_real_ns);
    /* A flusher forked from the program writes the map it has, a copy of
     * the program's.  A served one first reads the program's 0.1 s on:
     * most processes of a build or a script are gone by then, and the map
     * read at their end (which they wait for) is the only one they need,
     * where /proc's formatting of a map (some 200 lines for cmake) costs
     * more than all the rest the flusher does for them. */
    if (mapped_at_fork) {
        ws_meta_region(-1);
        ws_meta_maps(1);
    } else
        last_maps_ns = ws_mono_ns() - MAPS_EVERY_NS + MAPS_FIRST_NS;
    put_meta();
    write_batch();

    /* The first wait is short: a second CLOCK record 10 ms after the first
     * calibrates the TSC early, for programs that are killed. */
    struct timespec ts = {0, 10 * 1000000};
    int ended;
    for (;;) {
        /* The sequence first: an end posted after it wakes the wait. */
        uint32_t seq = atomic_load(&ws_sh->wake_seq);
        if ((ended = program_ended()) != 0 || stop_signal) break;
        if (atomic_load(&ws_sh->end_kind) == WS_END_EXEC && mode != WS_FLUSHER_THREAD) {
            /* exec is under way: look again soon, and go on flushing in
             * case it fails. */
            struct timespec ms2 = {0, 2000000};
            real_nanosleep(&ms2, NULL);
        } else {
            if (mode == WS_FLUSHER_THREAD) sync_exec();
            if (relocated || cds_wfcq_empty(&ws_sh->queue_head, &ws_sh->queue_tail)) {
                atomic_store(&ws_sh->sleeping, 1);
                ws_futex(&ws_sh->wake_seq, FUTEX_WAIT, seq, &ts);
                atomic_store(&ws_sh->sleeping, 0);
            }
        }
        ts.tv_sec = ws_flush_ms / 1000;
        ts.tv_nsec = (long)(ws_flush_ms % 1000) * 1000000;
        flush(0);
    }
    if (stop_signal) {
        stop();
    } else {
        if (ended > 0) ws_meta_end(ended, ws_sh->end_status, ws_sh->end_ts);
        if (ended < 0) ws_meta_gone(ws_now()); /* killed: when it was seen gone */
        flush(1);
    }
    atomic_store(&ws_sh->done, 1);
    if (!closed) ws_futex(&ws_sh->done, FUTEX_WAKE, INT32_MAX, NULL);
}

/* ---- a flusher process: cloned from the program, or served by record ---- */

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* Blocks every signal but the two that stop it, and leaves the program's
 * session and process group, so a terminal's ^C and the program's
 * kill(0, ...) are not ours.  A served flusher serves one process after
 * another, with every signal blocked in between (decoder/cli/serve.c):
 * only the first time is all of it needed. */
static void own_signals(void)
{
    static int once;
    if (!once) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        setsid();
        struct sigaction sa = {.sa_handler = on_stop};
        sigfillset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        once = 1;
    }
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
}

/*
 * Its own name in process listings, not the program's command line: a
 * flusher process starts as a copy of the program (or of `whyslow record`,
 * whose arguments hold the program's), and `pgrep -f` must not take it
 * for the program.  The command line the kernel shows is the memory from
 * arg_start to arg_end (fields 48 and 49 of /proc/self/stat), a copy of
 * the program's since the fork: it is overwritten here.  When the title is
 * longer, it goes on over the environment's strings, which follow (fields
 * 50 and 51), as setproctitle does: the kernel reads on past arg_end when
 * the last byte before it is not a NUL.
 */
static void retitle(void)
{
    /* Read once: a served flusher, retitled for each process it serves,
     * keeps its name and its arguments' place. */
    static unsigned long long arg[2], env[2];
    static int known;
    if (!known) {
        known = -1;
        prctl(PR_SET_NAME, "whyslow-flush");
        char stat[1024];
        int fd = real_open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        ssize_t n = real_read(fd, stat, sizeof stat - 1);
        real_close(fd);
        if (n <= 0) return;
        stat[n] = 0;
        const char *p = strrchr(stat, ')');
        for (int field = 2; p && field < 48; field++) /* p is at the end of field 2 */
            p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %llu %llu %llu %llu", &arg[0], &arg[1], &env[0], &env[1]) < 2 ||
            arg[1] <= arg[0] + 1)
            return;
        known = 1;
    }
    if (known < 0) return;
    char title[64];
    size_t tlen = (size_t)snprintf(title, sizeof title, "whyslow-flush %d", (int)ws_sh->pid);
    char *area = (char *)(uintptr_t)arg[0];
    size_t len = (size_t)(arg[1] - arg[0]);
    if (tlen < len) { /* one argument, padded with spaces: NULs would read as empty ones */
        memcpy(area, title, tlen);
        memset(area + tlen, ' ', len - 1 - tlen);
        area[len - 1] = 0;
    } else if (env[0] == arg[1] && env[1] > env[0] && tlen < len + (size_t)(env[1] - env[0])) {
        memcpy(area, title, tlen);
        area[tlen] = 0;
    } else { /* what fits */
        memcpy(area, title, len - 1);
        area[len - 1] = 0;
    }
}

/* Closes every fd but keep: the flusher holds none of the program's. */
void ws_close_all_but(int keep)
{
    if ((keep == 0 || real_syscall(SYS_close_range, 0, keep - 1, 0) == 0) &&
        real_syscall(SYS_close_range, keep + 1, ~0u, 0) == 0)
        return;
    for (int fd = 0; fd < 65536; fd++) /* kernels before 5.9 */
        if (fd != keep) real_close(fd);
}

/* One program's log, in a flusher process, with the log started
 * (ws_log_fd, or kept: logpack.c) and the program's pid as its /proc
 * names it; forked: a fork of the program (launch.c), not served by
 * `whyslow record` (serve.c); hosted: in record itself, whose signals and
 * title are its own. */
static void serve_program(pid_t pid, int forked, int hosted)
{
    if (!hosted) own_signals();
    ws_proc_pid = pid;
    if (forked)
        ws_meta_process_self();
    else
        ws_meta_process_given(program_fd);
    if (!hosted) retitle(); /* after: it overwrites the arguments */
    if (program_fd < 0 && !closed) program_fd = (int)real_syscall(SYS_pidfd_open, pid, 0);
    if (program_fd < 0) program_fd = -1; /* gone already, or an old kernel: /proc says */
    run(forked);
}

/* A flusher process cloned from the program (launch.c), which creates the
 * log; never returns. */
void ws_flusher_process(pid_t pid) __attribute__((noreturn));
void ws_flusher_process(pid_t pid)
{
    mode = WS_FLUSHER_PROCESS;
    ws_thread_internal(); /* nothing it calls is the program's */
    atomic_store(&ws_on, 0);
    /* The program waits for its end only: it can tell we are gone. */
    atomic_store(&ws_sh->flusher_pid, getpid());
    int log_fd = ws_log_create();
    if (log_fd < 0 || ws_flusher_init() != 0) {
        ws_quiet_pid(pid, ws_why);
        ws_stop_recording();
        real__exit(1);
    }
    /* Keep only the log: holding the program's pipes or sockets open
     * would change what its peers see. */
    ws_close_all_but(log_fd);
    ws_log_fd = log_fd;
    serve_program(pid, 1, 0);
    real__exit(0);
    __builtin_unreachable();
}

/* A flusher `whyslow record` serves a program with (serve.c), which sent
 * a pidfd of itself (-1 if it could not; ended: it sent a closing hello,
 * and is gone or going, with nothing of it left to read in /proc): it
 * holds none of the program's fds.  hosted: record itself, writing a
 * closing hello's log.  Returns once the program ended and all is written
 * (serve.c ends the log and lets go of the region, to serve another): 0;
 * -1 when a signal stopped it. */
int ws_flusher_served(pid_t pid, int pidfd, int moved, int ended, int hosted)
{
    mode = WS_FLUSHER_SERVED;
    program_fd = pidfd;
    relocated = moved;
    closed = ended;
    ws_thread_internal();
    atomic_store(&ws_on, 0);
    serve_program(pid, 0, hosted);
    if (program_fd >= 0) real_close(program_fd);
    program_fd = -1;
    return stop_signal ? -1 : 0;
}

/* ---- a flusher thread ---- */

/* The thread's start: its own fd table when the kernel allows, so that the
 * program never sees or closes the log's fd (logfile.c). */
void *ws_flusher_thread(void *arg)
{
    (void)arg;
    mode = WS_FLUSHER_THREAD;
    ws_thread_internal();
    prctl(PR_SET_NAME, "whyslow-flush");
    ws_proc_pid = getpid();
    int fd = ws_log_open_private();
    atomic_store(&ws_sh->flusher_started, fd >= 0 ? 1 : 2);
    ws_futex((_Atomic uint32_t *)&ws_sh->flusher_started, FUTEX_WAKE, 1, NULL);
    if (fd < 0) return NULL;
    ws_log_fd = fd;
    ws_meta_process_self();
    run(1);
    return NULL;
}
