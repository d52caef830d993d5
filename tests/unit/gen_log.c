/* SPDX-License-Identifier: MIT */
/*
 * gen_log.c - writes synthetic whyslow logs with exactly known content,
 * following include/whyslow/format.h, so the decoder can be tested
 * without (and independently of) the recorder.  The cases of tests/unit/report/
 * know what each mode contains and check the report's numbers exactly.
 *
 * usage: gen_log MODE OUT [EVENTS | PATH]
 *   normal       3 threads: file, socket and DNS calls, lock waits, lost 7,
 *                an END record (exit 3); chunks written out of order
 *   badchecksum  normal, with the checksum of one zstd frame damaged
 *   locksall     WHYSLOW_LOCKS=all: every acquisition and release
 *   tsc          TSC timestamps, 3 ticks per ns
 *   tsc1         TSC timestamps with a single CLOCK record
 *   version9     a header saying format version 9 (not known)
 *   version1     normal, with a header saying format version 1
 *   noend        no END record
 *   unknown      unknown call ids, META types, skippable frames, chunk kinds
 *   multi        OUT is a directory: pid 100, pid 200, an empty log, a text file
 *   unordered    a thread whose start times go back (a call recorded inside
 *                another), and start times equal across threads
 *   mainret      an END record with status -1 (unknown, as when main returns)
 *   sql          SQLite and PostgreSQL statements: N+1 loops, repeated
 *                queries, and what is neither; see build_sql for exactly what
 *   sqlbig       about EVENTS (default 1,000,000; rounded down to a multiple
 *                of 364) SQLite statement executions in 4 threads, written
 *                chunk by chunk: N+1 loops inside their parents' spans, and
 *                inserts with literals; see write_sqlbig for exactly what
 *   time         threads that each do known things for known times, nested
 *                and overlapping: the time breakdown and event loop stalls;
 *                see build_time for exactly what
 *   wakes        waits and the wake-ups that ended them: a pool of 2 SQLite
 *                connections that runs dry, semaphores used as locks (one by
 *                a holder that never waits) and as parks (a producer's, a
 *                thread's exit); see build_wakes for exactly what
 *   tpoolend     a thread pool given all its tasks at once, one worker seen
 *                waiting for work only at its end; see build_tpool_end
 *   tpoolnoend   the same threads never waiting for work (progress reports)
 *   tpoollate    tpoolend as a busy machine may show it: no start
 *                handshakes, most of one worker's results found ready, it
 *                alone seen waiting for work; see build_tpool_end
 *   tpoolunseen  tpoollate with none of T3's results waited for, and both
 *                workers waiting for work at the end; see build_tpool_end
 *   tpoolslow    a pool of 2 workers one of which, started on a busy
 *                machine, runs only once the other took both tasks; see
 *                build_tpool_slow
 *   escapes      terminal escapes in every string a log gives; see
 *                build_escapes
 *   maps         OUT PATH: a memory map naming the file PATH (any bytes: a
 *                FIFO, a device, escapes), a slow write and a contended
 *                lock whose addresses lie in it; see build_maps
 *   big          EVENTS events (default 10,000,000) in 4 threads, written
 *                chunk by chunk: mutex lock/unlock (all mode) and writes;
 *                see build_big for exactly what
 *
 *   bomb-KIND    OUT [CHUNKS [BYTES]]: a log small on disk that inflates to
 *                much (issue 10); see write_bomb for the kinds
 *
 * It prints one line per chunk written: "chunk OFFSET END KIND RECORDS",
 * and "flipped OFFSET" for the damaged byte.
 */
#include <whyslow/format.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <zstd.h>

#define MS(x)      ((uint64_t)((x)*1000000.0))
#define US(x)      ((uint64_t)((x)*1000.0))
#define T0         1000000000ull          /* monotonic ns at the process start */
#define R0         1700000000000000000ull /* realtime ns at the process start */
#define MAX_CHUNKS 256

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (n == 0) return;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_u8(struct buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put_uv(struct buf *b, uint64_t v)
{
    uint8_t tmp[WS_VARINT_MAX];
    put(b, tmp, (size_t)(ws_put_uv(tmp, v) - tmp));
}

static void put_sv(struct buf *b, int64_t v)
{
    put_uv(b, ws_zigzag(v));
}

static void put_str(struct buf *b, const char *s)
{
    put_uv(b, strlen(s));
    put(b, s, strlen(s));
}

struct chunk {
    struct ws_chunk_header h;
    struct buf raw;
    int records;
    int used; /* a slot written out early (big) is used again */
};

static struct chunk chunks[MAX_CHUNKS];
static int nchunks;
static uint64_t ticks_per_ns = 1; /* TSC modes: 3 */
static int skippable_after = -1;  /* write a foreign skippable frame after chunk N */

static struct chunk *new_chunk(uint32_t kind)
{
    int i = 0;
    while (i < nchunks && chunks[i].used)
        i++;
    if (i == MAX_CHUNKS) abort();
    if (i == nchunks) nchunks++;
    struct chunk *c = &chunks[i];
    memset(c, 0, sizeof(*c));
    c->h.kind = kind;
    c->used = 1;
    return c;
}

/* ---- event records ---- */

struct thread {
    uint32_t serial, tid;
    uint64_t stream_off;
    struct chunk *cur;
    uint64_t prev_start, prev_caller;
};

static void end_chunk(struct thread *t)
{
    if (!t->cur) return;
    t->cur->h.raw_size = (uint32_t)t->cur->raw.n;
    t->stream_off += t->cur->raw.n;
    t->cur = NULL;
}

/*
 * Interned strings: when strings_chunk is set (the first META chunk, ahead
 * of every EVENTS chunk in the file), each new payload becomes a
 * WS_META_STRING record there and events refer to it by number, as the
 * recorder writes them; otherwise, or once MAX_STRINGS are interned (as
 * when the recorder's table is full), payloads are literals.
 */
#define MAX_STRINGS 64
static struct chunk *strings_chunk;
static struct buf interned[MAX_STRINGS];
static size_t ninterned;

static void meta(struct chunk *c, unsigned type, const struct buf *rec);

static void put_payload(struct buf *b, const void *payload, size_t plen)
{
    size_t id = 0;
    while (id < ninterned &&
           !(interned[id].n == plen && memcmp(interned[id].p, payload, plen) == 0))
        id++;
    if (id == ninterned && strings_chunk && plen > 0 && ninterned < MAX_STRINGS) {
        memset(&interned[id], 0, sizeof interned[id]);
        put(&interned[id], payload, plen);
        meta(strings_chunk, WS_META_STRING, &interned[id]);
        ninterned++;
    }
    if (id == ninterned) {
        put_uv(b, plen * 2);
        put(b, payload, plen);
        return;
    }
    put_uv(b, id * 2 + 1);
}

/* Appends a record at time `at` ns after the start, lasting dur_ns; aux1
 * and aux2 (aux2 in ns, written in timestamp units) only go to calls with
 * WS_CALL_HAS_AUX. */
static void ev_aux(struct thread *t, unsigned call, uint64_t at, uint64_t dur_ns, int64_t obj,
                   int64_t result, uint64_t err, uint64_t caller, uint64_t aux1, uint64_t aux2_ns,
                   const void *payload, size_t plen)
{
    uint64_t start = (T0 + at) * ticks_per_ns;
    if (!t->cur) {
        t->cur = new_chunk(WS_CHUNK_EVENTS);
        t->cur->h.thread = t->serial;
        t->cur->h.tid = t->tid;
        t->cur->h.seq = t->stream_off;
        t->cur->h.base_ts = start - 7; /* a non-zero first delta */
        t->prev_start = t->cur->h.base_ts;
        t->prev_caller = 0;
    }
    struct buf *b = &t->cur->raw;
    put_u8(b, call);
    put_sv(b, (int64_t)(start - t->prev_start));
    put_uv(b, dur_ns * ticks_per_ns);
    put_sv(b, obj);
    put_sv(b, result);
    put_uv(b, err);
    put_sv(b, (int64_t)(caller - t->prev_caller));
    if (ws_call_flags(call) & WS_CALL_HAS_AUX) {
        put_uv(b, aux1);
        /* SQLite's aux2 is a statement's address, not a time. */
        put_uv(b, call == WS_SQLITE_QUERY ? aux2_ns : aux2_ns * ticks_per_ns);
    }
    if (ws_call_flags(call) & WS_CALL_HAS_PAYLOAD) put_payload(b, payload, plen);
    t->prev_start = start;
    t->prev_caller = caller;
    t->cur->records++;
}

static void ev(struct thread *t, unsigned call, uint64_t at, uint64_t dur_ns, int64_t obj,
               int64_t result, uint64_t err, uint64_t caller, const void *payload, size_t plen)
{
    ev_aux(t, call, at, dur_ns, obj, result, err, caller, 0, 0, payload, plen);
}

static void ev_str(struct thread *t, unsigned call, uint64_t at, uint64_t dur, int64_t obj,
                   int64_t result, uint64_t err, const char *s)
{
    ev(t, call, at, dur, obj, result, err, 0x401234, s, strlen(s));
}

/* A plain call: no payload, caller 0x401234. */
static void ev0(struct thread *t, unsigned call, uint64_t at, uint64_t dur, int64_t obj,
                int64_t result, uint64_t err)
{
    ev(t, call, at, dur, obj, result, err, 0x401234, NULL, 0);
}

static size_t sockaddr_in4(uint8_t *out, const char *ip, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &sa.sin_addr);
    memcpy(out, &sa, sizeof(sa));
    return sizeof(sa);
}

static size_t sockaddr_in6(uint8_t *out, const char *ip, uint16_t port)
{
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, ip, &sa.sin6_addr);
    memcpy(out, &sa, sizeof(sa));
    return sizeof(sa);
}

static size_t sockaddr_unix(uint8_t *out, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    size_t len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
    memcpy(out, &sa, len);
    return len;
}

/* ---- metadata records ---- */

static void meta(struct chunk *c, unsigned type, const struct buf *rec)
{
    put_u8(&c->raw, type);
    put_uv(&c->raw, rec->n);
    put(&c->raw, rec->p, rec->n);
    c->h.raw_size = (uint32_t)c->raw.n;
    c->records++;
}

static void meta_process(struct chunk *c, uint64_t pid, uint64_t ppid, const char *exe, int argc,
                         const char *const *argv, uint64_t clock, uint64_t flags)
{
    struct buf r = {0};
    put_uv(&r, pid);
    put_uv(&r, ppid);
    put_str(&r, exe);
    put_uv(&r, (uint64_t)argc);
    for (int i = 0; i < argc; i++)
        put_str(&r, argv[i]);
    put_uv(&r, R0 + (pid == 200 ? MS(1000) : 0));
    put_uv(&r, clock);
    put_uv(&r, flags);
    meta(c, WS_META_PROCESS, &r);
    free(r.p);
}

static void meta_clock(struct chunk *c, uint64_t at)
{
    struct buf r = {0};
    put_uv(&r, (T0 + at) * ticks_per_ns);
    put_uv(&r, T0 + at);
    put_uv(&r, R0 + at);
    meta(c, WS_META_CLOCK, &r);
    free(r.p);
}

static void meta_u(struct chunk *c, unsigned type, int n, uint64_t a, uint64_t b, uint64_t d)
{
    struct buf r = {0};
    uint64_t v[3] = {a, b, d};
    for (int i = 0; i < n; i++)
        put_uv(&r, v[i]);
    meta(c, type, &r);
    free(r.p);
}

static void meta_end(struct chunk *c, uint64_t kind, int64_t status, uint64_t at)
{
    struct buf r = {0};
    put_uv(&r, kind);
    put_sv(&r, status);
    put_uv(&r, (T0 + at) * ticks_per_ns);
    meta(c, WS_META_END, &r);
    free(r.p);
}

static void meta_thread_name(struct chunk *c, uint64_t serial, uint64_t tid, const char *name)
{
    struct buf r = {0};
    put_uv(&r, serial);
    put_uv(&r, tid);
    put_str(&r, name);
    meta(c, WS_META_THREAD_NAME, &r);
    free(r.p);
}

/* ---- the file ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void write_header(FILE *f, uint32_t version)
{
    uint8_t h[24];
    put_le32(h, WS_MAGIC_FILE);
    put_le32(h + 4, 16);
    memcpy(h + 8, WS_FILE_TAG, 8);
    put_le32(h + 16, version);
    put_le32(h + 20, 0);
    fwrite(h, 1, sizeof(h), f);
}

/* Writes chunk c; returns the offset of the byte after its frame. */
static long write_chunk(FILE *f, const struct chunk *c, int flip_checksum)
{
    static ZSTD_CCtx *cctx;
    if (!cctx) {
        cctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    }
    size_t cap = ZSTD_compressBound(c->raw.n);
    uint8_t *z = malloc(cap);
    size_t zn = ZSTD_compress2(cctx, z, cap, c->raw.p ? c->raw.p : (const uint8_t *)"", c->raw.n);
    if (ZSTD_isError(zn)) abort();

    long at = ftell(f);
    uint8_t fh[8];
    put_le32(fh, WS_MAGIC_CHUNK);
    put_le32(fh + 4, sizeof(struct ws_chunk_header));
    fwrite(fh, 1, 8, f);
    fwrite(&c->h, 1, sizeof(c->h), f); /* little endian host */
    if (flip_checksum) {
        z[zn - 1] ^= 0x5a;
        printf("flipped %ld\n", at + 8 + (long)sizeof(c->h) + (long)zn - 1);
    }
    fwrite(z, 1, zn, f);
    free(z);
    printf("chunk %ld %ld %s %d\n", at, ftell(f),
           c->h.kind == WS_CHUNK_EVENTS ? "events"
           : c->h.kind == WS_CHUNK_META ? "meta"
                                        : "other",
           c->records);
    return ftell(f);
}

/* A skippable frame of another magic, not ours: readers skip it. */
static void write_skippable(FILE *f)
{
    uint8_t h[8 + 5];
    put_le32(h, 0x184D2A50u);
    put_le32(h + 4, 5);
    memcpy(h + 8, "hello", 5);
    fwrite(h, 1, sizeof(h), f);
}

/* Writes the first META chunk, then the other chunks in reverse order of
 * creation (so each thread's chunks come out of seq order), then the
 * remaining META chunks. */
static void write_log(const char *path, uint32_t version, int flip_chunk)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_log: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    write_header(f, version);
    int order[MAX_CHUNKS], n = 0;
    order[n++] = 0;
    for (int i = nchunks - 1; i > 0; i--)
        if (chunks[i].h.kind != WS_CHUNK_META) order[n++] = i;
    for (int i = 1; i < nchunks; i++)
        if (chunks[i].h.kind == WS_CHUNK_META) order[n++] = i;
    for (int i = 0; i < n; i++) {
        write_chunk(f, &chunks[order[i]], i == flip_chunk);
        if (i + 1 == skippable_after) write_skippable(f);
    }
    fclose(f);
    for (int i = 0; i < nchunks; i++)
        free(chunks[i].raw.p);
    nchunks = 0;
    for (size_t i = 0; i < ninterned; i++)
        free(interned[i].p);
    ninterned = 0;
    strings_chunk = NULL;
}

/* A log of one process, pid, running /usr/bin/NAME with no arguments on
 * the monotonic clock, its strings interned from the start. */
static void begin_log(uint64_t pid, const char *name)
{
    char exe[64];
    snprintf(exe, sizeof exe, "/usr/bin/%s", name);
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, pid, 1, exe, 1, &name, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    strings_chunk = m0;
}

/* Its end: exit(0) at `at`. */
static void end_log(uint64_t at)
{
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, at);
    meta_end(m1, WS_END_EXIT, 0, at);
}

static const char *const demo_argv[] = {"demo", "--fast", "tab\there \"q\"", "bad\xffutf8"};

/* The process of the "normal" expectations of report/test_basics.py. */
static void build_normal(int with_end)
{
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 4242, 4200, "/usr/bin/demo", 4, demo_argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    strings_chunk = m0; /* this log's payloads are interned */

    struct thread t1 = {.serial = 1, .tid = 4242};
    struct thread t2 = {.serial = 2, .tid = 4243};
    struct thread t3 = {.serial = 3, .tid = 4244};
    uint8_t sa[128];
    size_t salen;

    /* Thread 1: a log file, a socket, DNS, and waits that are not slow. */
    ev_str(&t1, WS_OPENAT, MS(1), US(50), -100, 5, 0, "/tmp/app.log");
    static const double write_ms[] = {1, 1, 1, 1, 1, 12, 14, 16, 18, 20};
    for (int i = 0; i < 10; i++)
        ev0(&t1, WS_WRITE, MS(10 + 30 * i), MS(write_ms[i]), 5, 100, 0);
    end_chunk(&t1);
    ev0(&t1, WS_DUP, MS(400), US(1), 5, 9, 0);
    ev0(&t1, WS_WRITE, MS(401), MS(25), 9, 50, 0);
    ev0(&t1, WS_CLOSE, MS(450), US(1), 5, 0, 0);
    ev0(&t1, WS_WRITE, MS(451), US(2), 5, -1, EBADF);
    ev0(&t1, WS_FSYNC, MS(500), MS(250), 9, 0, 0);
    ev0(&t1, WS_READ, MS(800), US(3), 0, -1, EAGAIN);
    end_chunk(&t1);
    ev0(&t1, WS_POLL, MS(810), MS(500), -1, 0, 0);
    ev0(&t1, WS_NANOSLEEP, MS(1320), MS(200), -1, 0, 0);
    salen = sockaddr_in4(sa, "10.0.0.1", 5432);
    ev(&t1, WS_CONNECT, MS(1530), MS(1), 7, -1, EINPROGRESS, 0x401300, sa, salen);
    ev0(&t1, WS_SEND, MS(1540), MS(30), 7, 300, 0);
    ev_str(&t1, WS_GETADDRINFO, MS(1580), MS(15), -1, 0, 0, "db.example.com");
    ev_str(&t1, WS_GETADDRINFO, MS(1600), MS(5), -1, -2, 0, "nx.example.com");
    end_chunk(&t1);
    salen = sockaddr_in6(sa, "::1", 8080);
    ev(&t1, WS_ACCEPT, MS(1610), MS(100), 3, 8, 0, 0x401400, sa, salen);
    ev0(&t1, WS_RECV, MS(1711), MS(14), 8, 10, 0);
    salen = sockaddr_unix(sa, "/run/x.sock");
    ev(&t1, WS_EV_FD_INFO, MS(1730), 0, 4, 0, WS_FD_SOCKET, 0, sa, salen);
    ev0(&t1, WS_READ, MS(1731), MS(12), 4, 20, 0);
    end_chunk(&t1);

    /* Thread 2: waits on the hot mutex. */
    const uint64_t hot = 0x7f0000001000;
    ev_str(&t2, WS_EV_THREAD_START, MS(5), 0, 0, 1, 0, "worker-1");
    ev(&t2, WS_MUTEX_LOCK, MS(100), MS(10), (int64_t)hot, 0, WS_LOCK_CONTENDED, 0x401000, 0, 0);
    ev(&t2, WS_MUTEX_LOCK, MS(200), MS(20), (int64_t)hot, 0, WS_LOCK_CONTENDED, 0x402000, 0, 0);
    end_chunk(&t2);
    ev(&t2, WS_MUTEX_LOCK, MS(300), MS(30), (int64_t)hot, 0, WS_LOCK_CONTENDED, 0x401000, 0, 0);
    ev0(&t2, WS_EV_THREAD_END, MS(1900), 0, 0, 60, 0);
    end_chunk(&t2);

    /* Thread 3: renamed; the hot mutex and other locks. */
    ev_str(&t3, WS_EV_THREAD_START, MS(6), 0, 0, 1, 0, "worker-2");
    ev_str(&t3, WS_EV_THREAD_NAME, MS(7), 0, 0, 0, 0, "db-pool");
    ev(&t3, WS_MUTEX_LOCK, MS(150), MS(5), (int64_t)hot, 0, WS_LOCK_CONTENDED, 0x401000, 0, 0);
    ev(&t3, WS_MUTEX_LOCK, MS(250), MS(15), (int64_t)hot, 0, WS_LOCK_CONTENDED, 0x401000, 0, 0);
    ev(&t3, WS_MUTEX_LOCK, MS(350), MS(2), 0x7f0000002000, 0, WS_LOCK_CONTENDED, 0x401500, 0, 0);
    ev(&t3, WS_COND_WAIT, MS(400), MS(300), 0x7f0000003000, 0, 0, 0x401600, 0, 0);
    end_chunk(&t3);
    ev(&t3, WS_SEM_WAIT, MS(760), MS(11), 0x7f0000004000, 0, 0, 0x401700, 0, 0);
    ev(&t3, WS_FUTEX_WAIT, MS(780), MS(4), 0x7f0000005000, 0, 0, 0x401800, 0, 0);
    ev(&t3, WS_RWLOCK_WRLOCK, MS(800), MS(9), 0x7f0000006000, 0, WS_LOCK_CONTENDED, 0x401900, 0, 0);
    ev(&t3, WS_RWLOCK_RDLOCK, MS(820), MS(4), 0x7f0000006000, 0, WS_LOCK_CONTENDED, 0x401900, 0, 0);
    end_chunk(&t3);

    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_u(m1, WS_META_LOST, 1, 3, 0, 0);
    meta_u(m1, WS_META_COUNTERS, 3, 1, 4242, 100);
    meta_u(m1, WS_META_COUNTERS, 3, 2, 4243, 50);
    meta_u(m1, WS_META_COUNTERS, 3, 3, 4244, 25);
    meta_u(m1, WS_META_LOST, 1, 7, 0, 0);
    meta_thread_name(m1, 1, 4242, "main-thr");
    meta_clock(m1, MS(2000));
    if (with_end) meta_end(m1, WS_END_EXIT, 3, MS(2000));
}

static void build_locksall(void)
{
    static const char *const argv[] = {"locks"};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 5000, 1, "/usr/bin/locks", 1, argv, WS_CLOCK_MONOTONIC, WS_PROC_LOCKS_ALL);
    meta_clock(m0, 0);

    struct thread t1 = {.serial = 1, .tid = 5000}, t2 = {.serial = 2, .tid = 5001};
    const int64_t a = 0xa000, b = 0xb000;
    ev0(&t1, WS_MUTEX_LOCK, MS(10), US(1), a, 0, 0);
    ev0(&t1, WS_MUTEX_UNLOCK, MS(15), 0, a, 0, 0); /* held 5 ms - 1 us */
    ev0(&t1, WS_MUTEX_LOCK, MS(20), MS(2), a, 0, WS_LOCK_CONTENDED);
    ev0(&t1, WS_MUTEX_UNLOCK, MS(30), 0, a, 0, 0); /* held 8 ms */
    ev0(&t1, WS_MUTEX_LOCK, MS(40), 0, a, 0, 0);
    ev0(&t1, WS_MUTEX_LOCK, MS(41), 0, a, 0, 0); /* recursive */
    ev0(&t1, WS_MUTEX_UNLOCK, MS(42), 0, a, 0, 0);
    ev0(&t1, WS_MUTEX_UNLOCK, MS(50), 0, a, 0, 0);      /* held 10 ms */
    ev0(&t1, WS_MUTEX_TRYLOCK, MS(60), 0, a, EBUSY, 0); /* not acquired */
    ev0(&t1, WS_MUTEX_LOCK, MS(70), 0, b, 0, 0);
    ev0(&t1, WS_MUTEX_UNLOCK, MS(71), 0, b, 0, 0); /* held 1 ms */
    end_chunk(&t1);
    ev0(&t2, WS_MUTEX_UNLOCK, MS(12), 0, a, 0, 0); /* not its lock: ignored */
    end_chunk(&t2);

    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, MS(100));
    meta_end(m1, WS_END_EXIT, 0, MS(100));
}

static void build_tsc(int clocks)
{
    static const char *const argv[] = {"tsc"};
    ticks_per_ns = 3;
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 6000, 1, "/usr/bin/tsc", 1, argv, WS_CLOCK_TSC, 0);
    meta_clock(m0, 0);
    struct thread t1 = {.serial = 1, .tid = 6000};
    ev_str(&t1, WS_OPEN, MS(50), MS(1), -100, 3, 0, "/data/db");
    ev0(&t1, WS_PREAD, MS(100), MS(20), 3, 4096, 0);
    ev0(&t1, WS_PREAD, MS(200), MS(40), 3, 4096, 0);
    end_chunk(&t1);
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    if (clocks == 2) meta_clock(m1, MS(2000));
    meta_end(m1, WS_END__EXIT, 0, MS(2000));
}

static void build_small(uint64_t pid, const char *exe, int64_t status)
{
    const char *argv[] = {exe};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, pid, 1, exe, 1, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    struct thread t1 = {.serial = 1, .tid = (uint32_t)pid};
    ev0(&t1, WS_WRITE, MS(10), MS(pid == 200 ? 40 : 1), 1, 10, 0);
    ev0(&t1, WS_READ, MS(60), MS(2), 0, 10, 0);
    end_chunk(&t1);
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, MS(100));
    meta_end(m1, WS_END_EXIT, status, MS(100));
}

/* A process that lives end_ms with one slow write of write_ms: its
 * finding's severity is the write's share of that time. */
static void build_one_write(uint64_t pid, const char *name, double write_ms, double end_ms)
{
    begin_log(pid, name);
    struct thread t1 = {.serial = 1, .tid = (uint32_t)pid};
    ev0(&t1, WS_WRITE, MS(5), MS(write_ms), 1, 10, 0);
    end_chunk(&t1);
    end_log(MS(end_ms));
}

/* A process whose memory map puts the file `path` at 0x400000 (its code)
 * and 0x7f0000000000 (its data): a slow write called from 0x401234 and a
 * contended mutex at 0x7f0000001000, so the report looks both up in it. */
static void build_maps(const char *path)
{
    static const char *const argv[] = {"maps"};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 600, 1, "/usr/bin/maps", 1, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    struct buf text = {0}, r = {0};
    char line[128];
    snprintf(line, sizeof(line), "00400000-00500000 r-xp 00000000 08:01 1234 ");
    put(&text, line, strlen(line));
    put(&text, path, strlen(path));
    snprintf(line, sizeof(line), "\n7f0000000000-7f0000010000 rw-p 00100000 08:01 1234 ");
    put(&text, line, strlen(line));
    put(&text, path, strlen(path));
    put_u8(&text, '\n');
    put_uv(&r, text.n);
    put(&r, text.p, text.n);
    meta(m0, WS_META_MAPS, &r);
    free(text.p);
    free(r.p);
    struct thread t1 = {.serial = 1, .tid = 600}, t2 = {.serial = 2, .tid = 601};
    ev0(&t1, WS_WRITE, MS(10), MS(50), 1, 10, 0);
    end_chunk(&t1);
    ev(&t2, WS_MUTEX_LOCK, MS(20), MS(30), 0x7f0000001000, 0, WS_LOCK_CONTENDED, 0x401300, 0, 0);
    end_chunk(&t2);
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, MS(100));
    meta_end(m1, WS_END_EXIT, 0, MS(100));
}

/* The first id from `from` on that the table of calls (calls.h) does not
 * know: a call or record of a newer recorder. */
static unsigned unknown_id(unsigned from)
{
    while (ws_call_name(from))
        from++;
    return from;
}

static void build_unknown(void)
{
    static const char *const argv[] = {"odd"};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 7000, 1, "/usr/bin/odd", 1, argv, WS_CLOCK_MONOTONIC, 0);
    struct buf r = {0};
    put_uv(&r, 12345);
    put_str(&r, "future");
    meta(m0, 99, &r); /* an unknown META type, skipped by its length */
    free(r.p);
    meta_clock(m0, 0);
    struct thread t1 = {.serial = 1, .tid = 7000};
    unsigned call = unknown_id(1), record = unknown_id(100);
    printf("unknown call %u record %u\n", call, record);
    ev0(&t1, call, MS(1), US(5), 3, 0, 0); /* unknown, payload-free */
    ev0(&t1, WS_WRITE, MS(2), US(5), 3, 1, 0);
    ev0(&t1, record, MS(3), US(5), 0, 0, 0); /* unknown thread record */
    end_chunk(&t1);
    struct chunk *odd = new_chunk(7); /* an unknown chunk kind */
    put(&odd->raw, "whatever", 8);
    odd->h.raw_size = 8;
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, MS(10));
    meta_end(m1, WS_END_EXEC, 0, MS(10));
}

/* Thread 2 (tid 102) records a read inside a select, so its start times
 * go back; thread 1 (tid 101) has events at the same times as thread 2.
 * In time order, ties to the lower serial:
 *   10 ms t102 write, 11 ms t102 select, 12 ms t101 write, 12 ms t102 read,
 *   20 ms t101 write, 20 ms t102 write (in thread 2's second chunk).
 * The writes take 1 ms, but t101's last 0.9 ms. */
static void build_unordered(void)
{
    static const char *const argv[] = {"unordered"};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 8000, 1, "/usr/bin/unordered", 1, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    struct thread t1 = {.serial = 1, .tid = 101}, t2 = {.serial = 2, .tid = 102};
    ev0(&t2, WS_WRITE, MS(10), MS(1), 1, 1, 0);
    ev0(&t2, WS_READ, MS(12), MS(1), 0, 2, 0);
    ev0(&t2, WS_SELECT, MS(11), MS(5), -1, 1, 0);
    end_chunk(&t2);
    ev0(&t2, WS_WRITE, MS(20), MS(1), 1, 3, 0);
    end_chunk(&t2);
    ev0(&t1, WS_WRITE, MS(12), MS(1), 1, 4, 0);
    ev0(&t1, WS_WRITE, MS(20), MS(0.9), 1, 5, 0);
    end_chunk(&t1);
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_clock(m1, MS(30));
    meta_end(m1, WS_END_EXIT, 0, MS(30));
}

/* ---- SQL statements (the sql and sqlbig modes) ---- */

#define CONN_A 0x5000a000 /* SQLite, thread 1 */
#define CONN_B 0x5000b000 /* PostgreSQL, thread 2 */
#define CONN_C 0x5000c000 /* SQLite, thread 3 */

/* An SQLite execution at at_us lasting dur_us that ended with
 * SQLITE_DONE, as the recorder writes it: the statement's text once per
 * thread (a WS_SQLITE_STMT record; the statement's address is made up
 * from the text), then executions that refer to it. */
static void sq(struct thread *t, uint64_t conn, double at_us, double dur_us, uint64_t rows,
               uint64_t params, const char *sql)
{
    static struct {
        uint32_t serial;
        const char *sql;
    } told[1024];
    static size_t ntold;
    uint64_t stmt = 0x7000000;
    for (const char *c = sql; *c; c++)
        stmt = stmt * 31 + (unsigned char)*c;
    stmt = 0x7000000 + 16 * (stmt & 0xfffff);
    size_t i = 0;
    while (i < ntold && !(told[i].serial == t->serial && strcmp(told[i].sql, sql) == 0))
        i++;
    if (i == ntold) {
        if (ntold == 1024) {
            fprintf(stderr, "gen_log: too many statements\n");
            exit(1);
        }
        told[ntold].serial = t->serial;
        told[ntold++].sql = strdup(sql); /* sql may be a reused buffer */
        ev_aux(t, WS_SQLITE_STMT, US(at_us), 0, (int64_t)stmt, 0, 0, 0x402000, 0, 0, sql,
               strlen(sql));
    }
    ev_aux(t, WS_SQLITE_QUERY, US(at_us), US(dur_us), (int64_t)conn, 101, rows, 0x402000, params,
           stmt, NULL, 0);
}

/* A libpq execution likewise: PGRES_TUPLES_OK with rows, else
 * PGRES_COMMAND_OK. */
static void pq(struct thread *t, double at_us, double dur_us, uint64_t rows, const char *sql)
{
    ev_aux(t, WS_PG_QUERY, US(at_us), US(dur_us), CONN_B, rows ? 2 : 1, rows, 0x403000, 0,
           US(dur_us) / 2, sql, strlen(sql));
}

/* printf into a static buffer, for texts with literals. */
static const char *fmt(const char *f, int a)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), f, a);
    return buf;
}

#define AUTHOR_BY_ID "SELECT name FROM author WHERE id = ?"
#define BOOKS        "SELECT id, title, author_id FROM book ORDER BY id"
#define CUSTOMER_BY_ID                                                                             \
    "SELECT \"shop_customer\".\"id\", \"shop_customer\".\"name\" FROM \"shop_customer\" WHERE "    \
    "\"shop_customer\".\"id\" = %d LIMIT 21"
#define PRODUCT_BY_ID                                                                              \
    "SELECT \"shop_product\".\"id\", \"shop_product\".\"title\" FROM \"shop_product\" WHERE "      \
    "\"shop_product\".\"id\" = %d LIMIT 21"
#define ORDERS                                                                                     \
    "SELECT \"shop_order\".\"id\", \"shop_order\".\"customer_id\", \"shop_order\".\"product_id\" " \
    "FROM \"shop_order\""

/*
 * What report/test_sql.py expects, by thread (times in ms unless
 * said; every SQLite execution ends with SQLITE_DONE, spends half its
 * span in the library):
 *
 * thread 1 (tid 7100), SQLite connection A:
 *   1  sqlite3_open /tmp/shop.db
 *   N+1, nested (SQLite cursor iteration): BOOKS at 10 for 30 ms, 20 rows,
 *      recorded after the 20 AUTHOR_BY_ID (bound 1000+i) it started at
 *      10.5 + 1.4 i, 200 us each;
 *   N+1, after the parent, two relations per row (Django, literals):
 *      ORDERS at 50 (2 ms, 12 rows), then for i < 12 CUSTOMER_BY_ID (i+1)
 *      at 53 + 2i (300 us) and PRODUCT_BY_ID (100+i) at 54 + 2i (400 us);
 *      "SELECT count(*) FROM shop_order" at 80 (100 us, 1 row);
 *   a JOIN at 90 (3 ms, 20 rows);
 *   a short loop: a 3-row books query at 100 (200 us), 3 AUTHOR_BY_ID
 *      (bound 2000+i) at 101 + i (200 us);
 *   a repeated query: "SELECT id FROM setting_group" at 110 (100 us, 10
 *      rows), then 8 config lookups bound to the same value at 111 + i
 *      (250 us, 1 row);
 *   executemany in a transaction: BEGIN at 130 (20 us), 50 inserts into
 *      sale at 131 + 0.1 i (50 us, bound 5000+i), COMMIT at 137 (1 ms);
 *   unbatched writes: 6 UPDATE book at 140 + 2i (1.5 ms, bound 1+i);
 *   writes in a savepoint: SAVEPOINT sp1 at 160 (10 us), 5 DELETE FROM
 *      cart at 161 + i (100 us), RELEASE sp1 at 167 (10 us);
 *   sqlite3_exec "BEGIN; INSERT ...; COMMIT;" at 170 (2 ms, rc 0);
 *   sqlite3_prepare (rc 1) at 174.9 and a failed execution (rc 1) at 175
 *      (50 us) of "SELECT * FROM missing";
 *   180 sqlite3_close.
 * thread 2 (tid 7101), PostgreSQL connection B (psycopg2: literals):
 *   5  PQconnectdb (3 ms);
 *   BEGIN at 200 (100 us);
 *   N+1: BOOKS at 201 (1 ms, 30 rows), 30 "SELECT name FROM author WHERE
 *      id = <i+1>" at 203 + i (800 us, 1 row);
 *   a repeated query: 6 "SELECT count(*) FROM book WHERE author_id = 7" at
 *      240 + i (500 us, 1 row); COMMIT at 250 (200 us);
 *   unbatched writes: 7 "INSERT INTO audit (event) VALUES ('e<i>')" at
 *      260 + 2i (2 ms);
 *   in a transaction: BEGIN at 280 (100 us), 10 inserts into audit at
 *      281 + 0.5 i (300 us), COMMIT at 290 (100 us);
 *   a failed query (PGRES_FATAL_ERROR) at 295 (300 us); PQfinish at 300.
 * thread 3 (tid 7102), SQLite connection C:
 *   two loops half inside, half after the parent's span (Django fetching
 *      in chunks): at b = 400 and 500, "SELECT id FROM item WHERE shelf =
 *      ?" (3 ms, 8 rows, bound 77 then 78), 8 price lookups (100 us,
 *      bound 300+j) at b + 0.5 + 0.5 j for j < 5 (inside), at b + 4 +
 *      0.5 (j - 5) after;
 *   a long loop: "SELECT id FROM tag" at 600 (500 us, 120 rows), 120 tag
 *      label lookups (bound i) at 601 + 0.05 i (10 us).
 * The process ends at 2 s.
 */
static void build_sql(void)
{
    begin_log(7100, "shop");

    struct thread t1 = {.serial = 1, .tid = 7100}, t2 = {.serial = 2, .tid = 7101},
                  t3 = {.serial = 3, .tid = 7102};

    ev_str(&t1, WS_SQLITE_OPEN, MS(1), US(100), CONN_A, 0, 0, "/tmp/shop.db");
    for (int i = 0; i < 20; i++)
        sq(&t1, CONN_A, 10500 + 1400 * i, 200, 1, 1000 + (uint64_t)i, AUTHOR_BY_ID);
    sq(&t1, CONN_A, 10000, 30000, 20, 0, BOOKS);
    end_chunk(&t1);
    sq(&t1, CONN_A, 50000, 2000, 12, 0, ORDERS);
    for (int i = 0; i < 12; i++) {
        sq(&t1, CONN_A, 53000 + 2000 * i, 300, 1, 0, fmt(CUSTOMER_BY_ID, i + 1));
        sq(&t1, CONN_A, 54000 + 2000 * i, 400, 1, 0, fmt(PRODUCT_BY_ID, 100 + i));
    }
    sq(&t1, CONN_A, 80000, 100, 1, 0, "SELECT count(*) FROM shop_order");
    sq(&t1, CONN_A, 90000, 3000, 20, 0,
       "SELECT b.title, a.name FROM book b JOIN author a ON a.id = b.author_id ORDER BY b.id");
    sq(&t1, CONN_A, 100000, 200, 3, 0,
       "SELECT id, title, author_id FROM book WHERE id <= 3 ORDER BY id");
    for (int i = 0; i < 3; i++)
        sq(&t1, CONN_A, 101000 + 1000 * i, 200, 1, 2000 + (uint64_t)i, AUTHOR_BY_ID);
    end_chunk(&t1);
    sq(&t1, CONN_A, 110000, 100, 10, 0, "SELECT id FROM setting_group");
    for (int i = 0; i < 8; i++)
        sq(&t1, CONN_A, 111000 + 1000 * i, 250, 1, 0xc0ffee,
           "SELECT value FROM config WHERE key = ?");
    sq(&t1, CONN_A, 130000, 20, 0, 0, "BEGIN");
    for (int i = 0; i < 50; i++)
        sq(&t1, CONN_A, 131000 + 100 * i, 50, 0, 5000 + (uint64_t)i,
           "INSERT INTO sale (book_id, qty) VALUES (?, ?)");
    sq(&t1, CONN_A, 137000, 1000, 0, 0, "COMMIT");
    for (int i = 0; i < 6; i++)
        sq(&t1, CONN_A, 140000 + 2000 * i, 1500, 0, 1 + (uint64_t)i,
           "UPDATE book SET stock = stock - 1 WHERE id = ?");
    sq(&t1, CONN_A, 160000, 10, 0, 0, "SAVEPOINT sp1");
    for (int i = 0; i < 5; i++)
        sq(&t1, CONN_A, 161000 + 1000 * i, 100, 0, 10 + (uint64_t)i,
           "DELETE FROM cart WHERE id = ?");
    sq(&t1, CONN_A, 167000, 10, 0, 0, "RELEASE sp1");
    ev_str(&t1, WS_SQLITE_EXEC, MS(170), MS(2), CONN_A, 0, 0,
           "BEGIN; INSERT INTO log VALUES (1); COMMIT;");
    ev_str(&t1, WS_SQLITE_PREPARE, US(174900), US(20), CONN_A, 1, 0, "SELECT * FROM missing");
    ev_aux(&t1, WS_SQLITE_QUERY, MS(175), US(50), CONN_A, 1, 0, 0x402000, 0, US(25),
           "SELECT * FROM missing", 21);
    ev0(&t1, WS_SQLITE_CLOSE, MS(180), US(30), CONN_A, 0, 0);
    end_chunk(&t1);

    ev_str(&t2, WS_PG_CONNECT, MS(5), MS(3), CONN_B, 0, 0,
           "host=127.0.0.1 port=5432 dbname=shop user=app");
    pq(&t2, 200000, 100, 0, "BEGIN");
    pq(&t2, 201000, 1000, 30, BOOKS);
    for (int i = 0; i < 30; i++)
        pq(&t2, 203000 + 1000 * i, 800, 1, fmt("SELECT name FROM author WHERE id = %d", i + 1));
    end_chunk(&t2);
    for (int i = 0; i < 6; i++)
        pq(&t2, 240000 + 1000 * i, 500, 1, "SELECT count(*) FROM book WHERE author_id = 7");
    pq(&t2, 250000, 200, 0, "COMMIT");
    for (int i = 0; i < 7; i++)
        pq(&t2, 260000 + 2000 * i, 2000, 0, fmt("INSERT INTO audit (event) VALUES ('e%d')", i));
    pq(&t2, 280000, 100, 0, "BEGIN");
    for (int i = 0; i < 10; i++)
        pq(&t2, 281000 + 500 * i, 300, 0, fmt("INSERT INTO audit (event) VALUES ('f%d')", i));
    pq(&t2, 290000, 100, 0, "COMMIT");
    ev_aux(&t2, WS_PG_QUERY, MS(295), US(300), CONN_B, 7, 0, 0x403000, 0, US(150),
           "SELECT * FROM nope", 18);
    ev0(&t2, WS_PG_FINISH, MS(300), US(40), CONN_B, 0, 0);
    end_chunk(&t2);

    for (int l = 0; l < 2; l++) {
        double b = 400000 + 100000 * l;
        for (int j = 0; j < 5; j++)
            sq(&t3, CONN_C, b + 500 + 500 * j, 100, 1, 300 + (uint64_t)j,
               "SELECT price FROM price WHERE item_id = ?");
        sq(&t3, CONN_C, b, 3000, 8, 77 + (uint64_t)l, "SELECT id FROM item WHERE shelf = ?");
        for (int j = 5; j < 8; j++)
            sq(&t3, CONN_C, b + 4000 + 500 * (j - 5), 100, 1, 300 + (uint64_t)j,
               "SELECT price FROM price WHERE item_id = ?");
    }
    sq(&t3, CONN_C, 600000, 500, 120, 0, "SELECT id FROM tag");
    for (int i = 0; i < 120; i++)
        sq(&t3, CONN_C, 601000 + 50 * i, 10, 1, (uint64_t)i,
           "SELECT label FROM tag_label WHERE tag_id = ?");
    end_chunk(&t3);

    end_log(MS(2000));
}

/*
 * The time breakdown and event loop stalls (report/test_time.py's
 * checks).  Times in ms; the process ends at 1000.
 *
 * thread 1 (tid 7300, the main thread: from 0 to the end):
 *   openat /data/f -> fd 5 at 10 (1), write 5 at 20 (4), fsync 5 at 30
 *      (6): disk 11; fd 6 a socket: read 6 at 40 (5): net;
 *   fd 7 a pipe: read at 50 (10), write at 61 (2); fd 8 a tty: write at
 *      70 (1): wait 13; read of fd 9 (unknown) at 80 (3): other;
 *   dup 5 -> 10 at 90 (1): other; read 10 at 95 (2): disk;
 *   nanosleep at 100 (50); poll at 200 (20);
 *   an SQLite statement at 300 (100), recorded after what ran in it: a
 *      pread of 5 at 310 (20) and a contended mutex at 330 (10): db 100;
 *   poll at 500 (50) and in it (a signal handler) a write of 5 at 510
 *      (10): wait 40, disk 10;
 *   send on 6 at 600 (30) and a nanosleep at 620 (30) that overlaps it:
 *      net 30, sleep 20;
 *   contended mutex at 700 (15); uncontended one at 720 (5): no wait;
 *   cond wait at 730 (20): wait; sem wait at 760 (5), futex wait at 770
 *      (5): lock;
 *   getaddrinfo at 800 (8), connect at 810 (2): net; accept at 820 (30):
 *      wait;
 *   a PostgreSQL statement at 900 (20) with a recv on 6 in it at 905 (10).
 *   disk 23, net 45, lock 25, db 120, sleep 70, wait 123, other 594.
 * thread 2 (tid 7301): started at 100, ended at 400: SQLite statements A
 *   at 150 (100), B in it at 160 (20), C at 200 (100) overlapping A: db
 *   150 (recorded B, A, C), other 150.
 * thread 3 (tid 7302), an event loop (epoll_wait from 0x500000), started
 *   at 5, ended at 600: waits at 10 (10), 30 (20), 250 (100), 470 (10),
 *   500 (10);
 *   between 50 and 250: nanosleep at 60 (100), fd 11 is /data/log: write
 *      at 170 (30) and 205 (5), a poll from elsewhere (0x600000) at 210
 *      (10): a stall of 200, CPU 55;
 *   between 350 and 470: an SQLite statement "SELECT 1" at 360 (100), a
 *      pread of 11 at 370 (50) in it: a stall of 120, CPU 20;
 *   wait 160, sleep 100, disk 35, db 100, other 200.
 * thread 4 (tid 7303), started at 50, no end: PostgreSQL statements at
 *   100, 300, 500 (50), each with a poll from 0x700000 in it at +10 (30):
 *   the library's waits, no loop: db 150, other 800.
 * thread 5 (tid 7304), no start record: 2 epoll_waits (0x500000) at 100
 *   and 410 (10): too few for a loop; wait 20, other 880.
 * threads 6 to 15 (tid 7310 + i): started at 900 + i, a nanosleep then
 *   (1), ended at 901 + i: sleep 1.
 */
static void build_time(void)
{
    begin_log(7300, "timed");
    struct thread t1 = {.serial = 1, .tid = 7300}, t2 = {.serial = 2, .tid = 7301},
                  t3 = {.serial = 3, .tid = 7302}, t4 = {.serial = 4, .tid = 7303},
                  t5 = {.serial = 5, .tid = 7304};
    uint8_t sa[128];
    size_t salen = sockaddr_in4(sa, "10.0.0.1", 80);
    const int64_t mutex = 0x7f0000001000;

    ev_str(&t1, WS_OPENAT, MS(10), MS(1), -100, 5, 0, "/data/f");
    ev0(&t1, WS_WRITE, MS(20), MS(4), 5, 4096, 0);
    ev0(&t1, WS_FSYNC, MS(30), MS(6), 5, 0, 0);
    ev(&t1, WS_EV_FD_INFO, MS(40), 0, 6, 0, WS_FD_SOCKET, 0, sa, salen);
    ev0(&t1, WS_READ, MS(40), MS(5), 6, 10, 0);
    ev(&t1, WS_EV_FD_INFO, MS(50), 0, 7, 0, WS_FD_PIPE, 0, "pipe:[77]", 9);
    ev0(&t1, WS_READ, MS(50), MS(10), 7, 1, 0);
    ev0(&t1, WS_WRITE, MS(61), MS(2), 7, 1, 0);
    ev(&t1, WS_EV_FD_INFO, MS(70), 0, 8, 0, WS_FD_TTY, 0, "/dev/pts/1", 10);
    ev0(&t1, WS_WRITE, MS(70), MS(1), 8, 1, 0);
    ev0(&t1, WS_READ, MS(80), MS(3), 9, 1, 0);
    ev0(&t1, WS_DUP, MS(90), MS(1), 5, 10, 0);
    ev0(&t1, WS_READ, MS(95), MS(2), 10, 1, 0);
    ev0(&t1, WS_NANOSLEEP, MS(100), MS(50), -1, 0, 0);
    ev0(&t1, WS_POLL, MS(200), MS(20), -1, 0, 0);
    end_chunk(&t1);
    ev0(&t1, WS_PREAD, MS(310), MS(20), 5, 4096, 0);
    ev0(&t1, WS_MUTEX_LOCK, MS(330), MS(10), mutex, 0, WS_LOCK_CONTENDED);
    sq(&t1, 0x5000c000, 300000, 100000, 1, 0, "SELECT x FROM t");
    ev0(&t1, WS_WRITE, MS(510), MS(10), 5, 1, 0); /* a signal handler's, in the poll */
    ev0(&t1, WS_POLL, MS(500), MS(50), -1, 0, 0);
    ev0(&t1, WS_SEND, MS(600), MS(30), 6, 10, 0);
    ev0(&t1, WS_NANOSLEEP, MS(620), MS(30), -1, 0, 0);
    ev0(&t1, WS_MUTEX_LOCK, MS(700), MS(15), mutex, 0, WS_LOCK_CONTENDED);
    ev0(&t1, WS_MUTEX_LOCK, MS(720), MS(5), mutex, 0, 0);
    ev0(&t1, WS_COND_WAIT, MS(730), MS(20), mutex + 64, 0, 0);
    ev0(&t1, WS_SEM_WAIT, MS(760), MS(5), mutex + 128, 0, 0);
    ev0(&t1, WS_FUTEX_WAIT, MS(770), MS(5), mutex + 192, 0, 0);
    ev_str(&t1, WS_GETADDRINFO, MS(800), MS(8), -1, 0, 0, "db.example.com");
    ev(&t1, WS_CONNECT, MS(810), MS(2), 12, 0, 0, 0x401300, sa, salen);
    ev(&t1, WS_ACCEPT, MS(820), MS(30), 3, 13, 0, 0x401400, sa, salen);
    ev0(&t1, WS_RECV, MS(905), MS(10), 6, 10, 0);
    pq(&t1, 900000, 20000, 1, "SELECT y FROM u");
    end_chunk(&t1);

    ev_str(&t2, WS_EV_THREAD_START, MS(100), 0, 0, 1, 0, "db-worker");
    sq(&t2, 0x5000d000, 160000, 20000, 1, 0, "SELECT b FROM t");
    sq(&t2, 0x5000d000, 150000, 100000, 1, 0, "SELECT a FROM t");
    sq(&t2, 0x5000d000, 200000, 100000, 1, 0, "SELECT c FROM t");
    ev0(&t2, WS_EV_THREAD_END, MS(400), 0, 0, 0, 0);
    end_chunk(&t2);

    ev_str(&t3, WS_EV_THREAD_START, MS(5), 0, 0, 1, 0, "loop");
    ev(&t3, WS_EPOLL_WAIT, MS(10), MS(10), 20, 0, 0, 0x500000, NULL, 0);
    ev(&t3, WS_EPOLL_WAIT, MS(30), MS(20), 20, 0, 0, 0x500000, NULL, 0);
    ev0(&t3, WS_NANOSLEEP, MS(60), MS(100), -1, 0, 0);
    ev(&t3, WS_EV_FD_INFO, MS(165), 0, 11, 0, WS_FD_FILE, 0, "/data/log", 9);
    ev0(&t3, WS_WRITE, MS(170), MS(30), 11, 1, 0);
    ev0(&t3, WS_WRITE, MS(205), MS(5), 11, 1, 0);
    ev(&t3, WS_POLL, MS(210), MS(10), -1, 0, 0, 0x600000, NULL, 0);
    ev(&t3, WS_EPOLL_WAIT, MS(250), MS(100), 20, 0, 0, 0x500000, NULL, 0);
    ev0(&t3, WS_PREAD, MS(370), MS(50), 11, 1, 0);
    sq(&t3, 0x5000e000, 360000, 100000, 1, 0, "SELECT 1");
    ev(&t3, WS_EPOLL_WAIT, MS(470), MS(10), 20, 0, 0, 0x500000, NULL, 0);
    ev(&t3, WS_EPOLL_WAIT, MS(500), MS(10), 20, 0, 0, 0x500000, NULL, 0);
    ev0(&t3, WS_EV_THREAD_END, MS(600), 0, 0, 0, 0);
    end_chunk(&t3);

    ev_str(&t4, WS_EV_THREAD_START, MS(50), 0, 0, 1, 0, "pq");
    for (int i = 0; i < 3; i++) {
        ev(&t4, WS_POLL, MS(110 + 200 * i), MS(30), -1, 1, 0, 0x700000, NULL, 0);
        ev_aux(&t4, WS_PG_QUERY, MS(100 + 200 * i), MS(50), 0x5000f000, 2, 1, 0x403000, 0, MS(40),
               "SELECT z FROM v", 15);
    }
    end_chunk(&t4);

    ev(&t5, WS_EPOLL_WAIT, MS(100), MS(10), 21, 0, 0, 0x500000, NULL, 0);
    ev(&t5, WS_EPOLL_WAIT, MS(410), MS(10), 21, 0, 0, 0x500000, NULL, 0);
    end_chunk(&t5);

    for (int i = 0; i < 10; i++) {
        struct thread t = {.serial = 6 + (uint32_t)i, .tid = 7310 + (uint32_t)i};
        ev_str(&t, WS_EV_THREAD_START, MS(900 + i), 0, 0, 1, 0, "short");
        ev0(&t, WS_NANOSLEEP, MS(900 + i), MS(1), -1, 0, 0);
        ev0(&t, WS_EV_THREAD_END, MS(901 + i), 0, 0, 0, 0);
        end_chunk(&t);
    }

    end_log(MS(1000));
}

/* Writes the chunk of thread t if it holds enough, and frees its slot. */
/*
 * Wake links (pid 5500, 5 threads), times in ms:
 *   main opens C1 and C2 to /srv/app.db (1, 2); T2 runs a query on C1 and
 *   T3 one on C2 (10-11), then each signals the pool's cond P (50, 60): a
 *   connection back.  T4 waits on P 12-50 and then queries C1 (50.5), T5
 *   13-60.01 and then C2 (60.5): a pool of 2 that ran dry, 2 waits.
 *   S1: T2 waits 100-106 (T3 posts at 105.9), T3 waits 110-116 (T2 posts
 *   at 115.9): posters that wait too, a lock (12 ms).
 *   S2: T4 waits 130-150, main posts at 150 and never waits: a park.
 *   S3: T5 waits 200-230; T2, which never waits on it, posts at 205, 210,
 *   215 (no one got it: it took it back) and 229.9: a lock (30 ms).
 *   S4: main waits 250-299.5, T3 posts at 299 and ends at 300: its exit,
 *   a park.
 *   S5, an address reused: first a future's, T4 waits 232-236 and T2
 *   (which never waits there) posts at 235.9, a park; T4 destroys it at
 *   237; then a lock's, T5 waits 240-246 (T4 posts at 245.9), T4 waits
 *   250-256 (T5 posts at 255.9): the address's line (16 ms of waits, 12
 *   of them the lock's) is a lock.
 */
static void build_wakes(void)
{
    begin_log(5500, "pool");
    struct thread t1 = {.serial = 1, .tid = 5500}, t2 = {.serial = 2, .tid = 5501},
                  t3 = {.serial = 3, .tid = 5502}, t4 = {.serial = 4, .tid = 5503},
                  t5 = {.serial = 5, .tid = 5504};
    const int64_t c1 = 0x5000a000, c2 = 0x5000b000, pool = 0x7f0000100000, s1 = 0x7f0000200000,
                  s2 = 0x7f0000300000, s3 = 0x7f0000400000, s4 = 0x7f0000500000,
                  s5 = 0x7f0000600000;

    ev_str(&t1, WS_SQLITE_OPEN, MS(1), US(100), c1, 0, 0, "/srv/app.db");
    ev_str(&t1, WS_SQLITE_OPEN, MS(2), US(100), c2, 0, 0, "/srv/app.db");
    ev_str(&t2, WS_EV_THREAD_START, MS(3), 0, 0, 1, 0, "worker");
    ev_str(&t3, WS_EV_THREAD_START, MS(3), 0, 0, 1, 0, "worker");
    ev_str(&t4, WS_EV_THREAD_START, MS(4), 0, 0, 1, 0, "worker");
    ev_str(&t5, WS_EV_THREAD_START, MS(4), 0, 0, 1, 0, "worker");
    sq(&t2, c1, 10000, 1000, 1, 0, "SELECT count(*) FROM orders");
    sq(&t3, c2, 10000, 1000, 1, 0, "SELECT count(*) FROM orders");
    ev0(&t4, WS_COND_WAIT, MS(12), MS(38), pool, 0, WS_LOCK_CONTENDED);
    ev0(&t5, WS_COND_WAIT, MS(13), US(47010), pool, 0, WS_LOCK_CONTENDED);
    ev0(&t2, WS_COND_SIGNAL, MS(50), 0, pool, 0, 0);
    sq(&t4, c1, 50500, 1000, 1, 0, "SELECT count(*) FROM orders");
    ev0(&t3, WS_COND_SIGNAL, MS(60), 0, pool, 0, 0);
    sq(&t5, c2, 60500, 1000, 1, 0, "SELECT count(*) FROM orders");

    ev0(&t2, WS_SEM_WAIT, MS(100), MS(6), s1, 0, WS_LOCK_CONTENDED);
    ev0(&t3, WS_SEM_POST, US(105900), 0, s1, 0, 0);
    ev0(&t3, WS_SEM_WAIT, MS(110), MS(6), s1, 0, WS_LOCK_CONTENDED);
    ev0(&t2, WS_SEM_POST, US(115900), 0, s1, 0, 0);
    ev0(&t4, WS_SEM_WAIT, MS(130), MS(20), s2, 0, WS_LOCK_CONTENDED);
    ev0(&t1, WS_SEM_POST, MS(150), 0, s2, 0, 0);
    ev0(&t5, WS_SEM_WAIT, MS(200), MS(30), s3, 0, WS_LOCK_CONTENDED);
    for (int i = 0; i < 3; i++)
        ev0(&t2, WS_SEM_POST, MS(205 + 5 * i), 0, s3, 0, 0);
    ev0(&t2, WS_SEM_POST, US(229900), 0, s3, 0, 0);
    ev0(&t4, WS_SEM_WAIT, MS(232), MS(4), s5, 0, WS_LOCK_CONTENDED);
    ev0(&t2, WS_SEM_POST, US(235900), 0, s5, 0, 0);
    ev0(&t4, WS_SEM_DESTROY, MS(237), 0, s5, 0, 0);
    ev0(&t5, WS_SEM_WAIT, MS(240), MS(6), s5, 0, WS_LOCK_CONTENDED);
    ev0(&t4, WS_SEM_POST, US(245900), 0, s5, 0, 0);
    ev0(&t4, WS_SEM_WAIT, MS(250), MS(6), s5, 0, WS_LOCK_CONTENDED);
    ev0(&t5, WS_SEM_POST, US(255900), 0, s5, 0, 0);
    ev0(&t1, WS_SEM_WAIT, MS(250), US(49500), s4, 0, WS_LOCK_CONTENDED);
    ev0(&t3, WS_SEM_POST, MS(299), 0, s4, 0, 0);
    ev0(&t3, WS_EV_THREAD_END, MS(300), 0, 0, 0, 0);
    ev0(&t2, WS_EV_THREAD_END, MS(310), 0, 0, 0, 0);
    ev0(&t4, WS_EV_THREAD_END, MS(310), 0, 0, 0, 0);
    ev0(&t5, WS_EV_THREAD_END, MS(310), 0, 0, 0, 0);
    ev0(&t1, WS_WRITE, MS(320), US(10), 1, 3, 0);
    end_chunk(&t1);
    end_chunk(&t2);
    end_chunk(&t3);
    end_chunk(&t4);
    end_chunk(&t5);
    end_log(MS(330));
}

/* The end of a pool of two workers' log: they end at `end`, main then
 * writes its result at `write`, and the log ends at `log_end`. */
static void end_pool_log(struct thread *t1, struct thread *t2, struct thread *t3, uint64_t end,
                         uint64_t write, uint64_t log_end)
{
    ev0(t2, WS_EV_THREAD_END, end, 0, 0, 0, 0);
    ev0(t3, WS_EV_THREAD_END, end, 0, 0, 0, 0);
    ev0(t1, WS_WRITE, write, US(10), 1, 3, 0);
    end_chunk(t1);
    end_chunk(t2);
    end_chunk(t3);
    end_log(log_end);
}

/*
 * A thread pool seen only at its end (pid 5600, 3 threads), times in ms:
 * main starts 2 workers, each telling it that it runs (main waits on a
 * sem 1-1.1 and 1.2-1.3, posted by T2 at 1.08 and T3 at 1.28, their first
 * acts).  10 tasks of 40 ms, all queued at once: in round k (0-4) T2
 * posts result 2k at 41.1 + 40k and T3 result 2k + 1 at 41.3 + 40k; main
 * waits for each in turn on a sem of its own (result 0 from 1.4, result
 * 2k from 41.35 + 40(k - 1), result 2k + 1 from 41.15 + 40k, each to 0.01
 * after its post).  With end_wait, T2 then waits for work on the queue Q
 * 201.12-201.42, and main posts Q at 201.4 (the end of work); T3 finds it
 * without waiting.  Both end at 201.5.  Without end_wait, no one waits on
 * Q: threads reporting progress.
 * With late, the workers' THREAD_START records name main as their parent
 * and main does not wait for them to run; the workers' tasks are sleeps
 * (40 ms to each result post), so a result is not a thread's first act;
 * main waits for T3's result only
 * in round 0 (it found the others ready), and T3, not T2, waits for work
 * on Q at the end: T3 delivered one result, and T2's last wake is a
 * result, not a join.
 * With unseen (and late), main waits for none of T3's results, as when
 * T3 is a little ahead of T2 (a busy machine): T3 took its tasks without
 * waiting, yet delivered nothing that shows.  Both wait for work at the
 * end, T2 201.12-201.42 and T3 201.2-201.42; main posts Q at 201.4 and T2
 * passes the end of work on at 201.41.
 */
static void build_tpool_end(int end_wait, int late, int unseen)
{
    begin_log(5600, "tpool");
    struct thread t1 = {.serial = 1, .tid = 5600}, t2 = {.serial = 2, .tid = 5601},
                  t3 = {.serial = 3, .tid = 5602};
    const int64_t h2 = 0x7f0000600000, h3 = 0x7f0000600040, r = 0x7f0000700000, q = 0x7f0000800000;

    ev_str(&t1, WS_EV_THREAD_START, US(500), 0, 0, 0, 0, "tpool");
    if (!late) ev0(&t1, WS_SEM_WAIT, MS(1), US(100), h2, 0, WS_LOCK_CONTENDED);
    ev_str(&t2, WS_EV_THREAD_START, US(1050), 0, 0, late, 0, "worker");
    if (!late) ev0(&t2, WS_SEM_POST, US(1080), 0, h2, 0, 0);
    if (!late) ev0(&t1, WS_SEM_WAIT, US(1200), US(100), h3, 0, WS_LOCK_CONTENDED);
    ev_str(&t3, WS_EV_THREAD_START, US(1250), 0, 0, late, 0, "worker");
    if (!late) ev0(&t3, WS_SEM_POST, US(1280), 0, h3, 0, 0);
    for (int k = 0; k < 5; k++) {
        uint64_t from = k ? US(41350 + 40000 * (k - 1)) : US(1400);
        uint64_t post = US(41100 + 40000 * k);
        ev0(&t1, WS_SEM_WAIT, from, post + US(10) - from, r + 0x80 * k, 0, WS_LOCK_CONTENDED);
        if (late) ev0(&t2, WS_CLOCK_NANOSLEEP, post - MS(40), MS(40), 0, 0, 0);
        ev0(&t2, WS_SEM_POST, post, 0, r + 0x80 * k, 0, 0);
        if (late) ev0(&t3, WS_CLOCK_NANOSLEEP, post + US(200) - MS(40), MS(40), 0, 0, 0);
        if (late && (k || unseen)) continue;
        ev0(&t1, WS_SEM_WAIT, post + US(50), US(160), r + 0x80 * k + 0x40, 0, WS_LOCK_CONTENDED);
        ev0(&t3, WS_SEM_POST, post + US(200), 0, r + 0x80 * k + 0x40, 0, 0);
    }
    if (unseen) {
        ev0(&t2, WS_SEM_WAIT, US(201120), US(300), q, 0, WS_LOCK_CONTENDED);
        ev0(&t3, WS_SEM_WAIT, US(201200), US(220), q, 0, WS_LOCK_CONTENDED);
        ev0(&t1, WS_SEM_POST, US(201400), 0, q, 0, 0);
        ev0(&t2, WS_SEM_POST, US(201410), 0, q, 0, 0);
    } else if (end_wait) {
        ev0(late ? &t3 : &t2, WS_SEM_WAIT, US(201120), US(300), q, 0, WS_LOCK_CONTENDED);
        ev0(&t1, WS_SEM_POST, US(201400), 0, q, 0, 0);
    }
    end_pool_log(&t1, &t2, &t3, US(201500), MS(202), MS(203));
}

/*
 * A pool of 2 workers on a busy machine (pid 5700), times in ms: main
 * starts T2 at 1 and T3 at 1.2 (their THREAD_START records name it) and
 * queues 2 tasks at 2.  T2 takes both without waiting: a 40 ms sleep, the
 * post of result 0 at 42, another sleep, result 1 at 82 (main waits for
 * them on sems of their own, 2.1-42.01 and 42.05-82.01).  T3 first runs
 * at 90, finds no task and waits on the queue Q 90-100.01, as T2 does
 * 82.1-100.01; main posts Q twice at 100 (the end of work).  All end at
 * 101.  A task was queued (T2 took the second at once), but T3 was not
 * busy: it was on its way to its first task until 90.
 */
static void build_tpool_slow(void)
{
    begin_log(5700, "tpool");
    struct thread t1 = {.serial = 1, .tid = 5700}, t2 = {.serial = 2, .tid = 5701},
                  t3 = {.serial = 3, .tid = 5702};
    const int64_t r = 0x7f0000700000, q = 0x7f0000800000;

    ev_str(&t1, WS_EV_THREAD_START, US(500), 0, 0, 0, 0, "tpool");
    ev_str(&t2, WS_EV_THREAD_START, MS(1), 0, 0, 1, 0, "worker");
    ev_str(&t3, WS_EV_THREAD_START, US(1200), 0, 0, 1, 0, "worker");
    for (int k = 0; k < 2; k++) {
        uint64_t from = k ? US(42050) : US(2100), post = MS(42 + 40 * k);
        ev0(&t1, WS_SEM_WAIT, from, post + US(10) - from, r + 0x40 * k, 0, WS_LOCK_CONTENDED);
        ev0(&t2, WS_CLOCK_NANOSLEEP, post - MS(40), MS(40), 0, 0, 0);
        ev0(&t2, WS_SEM_POST, post, 0, r + 0x40 * k, 0, 0);
    }
    ev0(&t2, WS_SEM_WAIT, US(82100), US(17910), q, 0, WS_LOCK_CONTENDED);
    ev0(&t3, WS_SEM_WAIT, MS(90), US(10010), q, 0, WS_LOCK_CONTENDED);
    ev0(&t1, WS_SEM_POST, MS(100), 0, q, 0, 0);
    ev0(&t1, WS_SEM_POST, US(100001), 0, q, 0, 0);
    end_pool_log(&t1, &t2, &t3, MS(101), MS(102), MS(103));
}

static void big_flush(FILE *f, struct thread *t, size_t at_least)
{
    struct chunk *c = t->cur;
    if (!c || c->raw.n < at_least) return;
    end_chunk(t);
    write_chunk(f, c, 0);
    free(c->raw.p);
    c->used = 0;
}

/*
 * Event i (0 <= i < n) is thread k = i % 4 (serial k + 1, tid 9000 + k),
 * its j = i / 4-th event, which is by j % 3:
 *   0: pthread_mutex_lock of 0x1000, contended (a wait of 1000 + j % 7000
 *      ns) when j % 48 == 0, else 100 ns;
 *   1: write to fd 1 of 100 bytes, lasting 500 + (j * 7919) % 100000 ns;
 *   2: pthread_mutex_unlock of 0x1000, 50 ns.
 * Each thread's next event starts 100 ns after its previous one ended.
 */
static void write_big(const char *path, uint64_t n)
{
    static const char *const argv[] = {"big"};
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_log: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    write_header(f, WS_FORMAT_VERSION);
    struct chunk *m = new_chunk(WS_CHUNK_META);
    meta_process(m, 9000, 1, "/usr/bin/big", 1, argv, WS_CLOCK_MONOTONIC, WS_PROC_LOCKS_ALL);
    meta_clock(m, 0);
    write_chunk(f, m, 0);
    free(m->raw.p);
    m->used = 0;

    struct thread t[4];
    uint64_t now[4];
    for (int k = 0; k < 4; k++) {
        t[k] = (struct thread){.serial = (uint32_t)k + 1, .tid = 9000 + (uint32_t)k};
        now[k] = US(1);
    }
    for (uint64_t i = 0; i < n; i++) {
        int k = (int)(i % 4);
        uint64_t j = i / 4, dur;
        big_flush(f, &t[k], 60000);
        switch (j % 3) {
        case 0:
            dur = j % 48 == 0 ? 1000 + j % 7000 : 100;
            ev0(&t[k], WS_MUTEX_LOCK, now[k], dur, 0x1000, 0, j % 48 == 0 ? WS_LOCK_CONTENDED : 0);
            break;
        case 1:
            dur = 500 + (j * 7919) % 100000;
            ev0(&t[k], WS_WRITE, now[k], dur, 1, 100, 0);
            break;
        default:
            dur = 50;
            ev0(&t[k], WS_MUTEX_UNLOCK, now[k], dur, 0x1000, 0, 0);
            break;
        }
        now[k] += dur + 100;
    }
    uint64_t last = 0;
    for (int k = 0; k < 4; k++) {
        big_flush(f, &t[k], 0);
        if (now[k] > last) last = now[k];
    }
    m = new_chunk(WS_CHUNK_META);
    meta_clock(m, last);
    meta_end(m, WS_END_EXIT, 0, last);
    write_chunk(f, m, 0);
    free(m->raw.p);
    nchunks = 0;
    fclose(f);
}

/*
 * cycles cycles of 4 blocks on each of 4 threads (serial k + 1, tid 9100 +
 * k, SQLite connection 0x6000 + k), 364 events a cycle.  Block b of a
 * thread starts at its `now`:
 *   "SELECT id, title, author_id FROM book WHERE shelf = ?" bound b, at
 *   now for 41 us, 20 rows, recorded after the 20 "SELECT name FROM
 *   author WHERE id = ?" it starts at now + 1 + 2 j us (1 us each, bound
 *   (20 b + j) % 5000 + 1);
 *   when b % 4 == 3, then BEGIN at now + 50 us, 5 "INSERT INTO log (block,
 *   n) VALUES (b, j)" (literals) at now + 51 + j us, COMMIT at now + 56 us
 *   (all 500 ns).
 * now then grows by 60 us.  Every execution carries its own text, as a
 * version 1 recorder wrote them (and its aux2, which version 1 left 0, is
 * the half of its span it spent in the library: read as no statement, it
 * means nothing to a version 2 decoder).
 */
static void write_sqlbig(const char *path, uint64_t cycles)
{
    static const char *const argv[] = {"sqlbig"};
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_log: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    write_header(f, WS_FORMAT_VERSION);
    struct chunk *m = new_chunk(WS_CHUNK_META);
    meta_process(m, 9100, 1, "/usr/bin/sqlbig", 1, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m, 0);
    strings_chunk = m; /* the texts with bound values are interned */
    struct buf scratch = {0};
    static const char *const texts[] = {"SELECT id, title, author_id FROM book WHERE shelf = ?",
                                        "SELECT name FROM author WHERE id = ?", "BEGIN", "COMMIT"};
    for (int i = 0; i < 4; i++)
        put_payload(&scratch, texts[i], strlen(texts[i]));
    free(scratch.p);
    strings_chunk = NULL; /* the others are literals */
    write_chunk(f, m, 0);
    free(m->raw.p);
    m->used = 0;

    struct thread t[4];
    uint64_t now[4];
    for (int k = 0; k < 4; k++) {
        t[k] = (struct thread){.serial = (uint32_t)k + 1, .tid = 9100 + (uint32_t)k};
        now[k] = US(10);
    }
    for (uint64_t b = 0; b < 4 * cycles; b++) {
        for (int k = 0; k < 4; k++) {
            uint64_t conn = 0x6000 + (uint64_t)k, at = now[k];
            big_flush(f, &t[k], 60000);
            for (uint64_t j = 0; j < 20; j++)
                ev_aux(&t[k], WS_SQLITE_QUERY, at + US(1 + 2 * j), US(1), (int64_t)conn, 101, 1,
                       0x402000, (20 * b + j) % 5000 + 1, 500, texts[1], strlen(texts[1]));
            ev_aux(&t[k], WS_SQLITE_QUERY, at, US(41), (int64_t)conn, 101, 20, 0x402000, b,
                   US(41) / 2, texts[0], strlen(texts[0]));
            if (b % 4 == 3) {
                ev_aux(&t[k], WS_SQLITE_QUERY, at + US(50), 500, (int64_t)conn, 101, 0, 0x402000, 0,
                       250, texts[2], strlen(texts[2]));
                for (int j = 0; j < 5; j++) {
                    char sql[96];
                    int n =
                        snprintf(sql, sizeof(sql), "INSERT INTO log (block, n) VALUES (%llu, %d)",
                                 (unsigned long long)b, j);
                    ev_aux(&t[k], WS_SQLITE_QUERY, at + US(51 + j), 500, (int64_t)conn, 101, 0,
                           0x402000, 0, 250, sql, (size_t)n);
                }
                ev_aux(&t[k], WS_SQLITE_QUERY, at + US(56), 500, (int64_t)conn, 101, 0, 0x402000, 0,
                       250, texts[3], strlen(texts[3]));
            }
            now[k] += US(60);
        }
    }
    for (int k = 0; k < 4; k++)
        big_flush(f, &t[k], 0);
    m = new_chunk(WS_CHUNK_META);
    meta_clock(m, now[0]);
    meta_end(m, WS_END_EXIT, 0, now[0]);
    write_chunk(f, m, 0);
    free(m->raw.p);
    nchunks = 0;
    fclose(f);
}

/* What a terminal obeys (issue 10): an OSC sequence setting the window's
 * title, BEL, a CSI clearing the screen, the 8-bit CSI as a byte (0x9b,
 * not UTF-8) and as UTF-8 (U+009B), and U+202E (right-to-left override). */
#define EVIL                                                                                       \
    "\033]0;pwned\007\033[2J"                                                                      \
    "\x9b"                                                                                         \
    "31m"                                                                                          \
    "\xc2\x9b"                                                                                     \
    "1m"                                                                                           \
    "\xe2\x80\xae"                                                                                 \
    "evil"

/* EVIL in every string a log gives: the command, the executable, thread
 * names, a path opened and written to slowly, a name looked up, a socket's
 * peer, a database opened and an SQL text run 6 times. */
static void build_escapes(void)
{
    static const char *const argv[] = {"esc" EVIL, "--x=" EVIL};
    struct chunk *m0 = new_chunk(WS_CHUNK_META);
    meta_process(m0, 800, 1, "/usr/bin/esc" EVIL, 2, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m0, 0);
    strings_chunk = m0;
    struct thread t1 = {.serial = 1, .tid = 800}, t2 = {.serial = 2, .tid = 801};
    uint8_t sa[128];
    ev_str(&t2, WS_EV_THREAD_START, MS(1), 0, 0, 1, 0, "thr" EVIL);
    ev0(&t2, WS_NANOSLEEP, MS(2), MS(5), -1, 0, 0);
    end_chunk(&t2);
    ev_str(&t1, WS_OPENAT, MS(2), US(50), -100, 5, 0, "/tmp/f" EVIL);
    ev0(&t1, WS_WRITE, MS(3), MS(30), 5, 10, 0);
    ev_str(&t1, WS_GETADDRINFO, MS(40), MS(20), -1, 0, 0, "host" EVIL);
    size_t salen = sockaddr_unix(sa, "/run/s" EVIL);
    ev(&t1, WS_CONNECT, MS(70), MS(15), 7, 0, 0, 0x401300, sa, salen);
    ev_str(&t1, WS_SQLITE_OPEN, MS(90), US(100), 0x6000, 0, 0, "/tmp/db" EVIL);
    for (int i = 0; i < 6; i++)
        sq(&t1, 0x6000, 100000 + 1000 * i, 500, 1, 7, "SELECT '" EVIL "' FROM t WHERE id = ?");
    end_chunk(&t1);
    struct chunk *m1 = new_chunk(WS_CHUNK_META);
    meta_thread_name(m1, 1, 800, "main" EVIL);
    meta_clock(m1, MS(200));
    meta_end(m1, WS_END_EXIT, 0, MS(200));
}

/*
 * Bombs (issue 10): logs small on disk that inflate to much, each aimed
 * at one thing the decoder does or keeps per record.  CHUNKS chunks of
 * BYTES raw bytes each (cut to whole records) follow a META chunk with the
 * process record, a clock and, for the text kinds, one interned string of
 * 4096 bytes.  Kinds (record k of the log, from 0):
 *   meta     META chunks of zero bytes: empty records of type 0
 *   events   read records, every field 0 (7 bytes)
 *   waits    contended mutex waits of one lock, threads 1 and 2 by turns
 *   locks    contended mutex waits, each of another lock (0x1000 + 64 k)
 *   pools    condition waits of 1 ms, threads 1 and 2 by turns, on
 *            100,000 objects in turn: as many candidate thread pools
 *   fds      writes of 20 ms, each on another fd (k)
 *   threads  META chunks of COUNTERS records of thread serial k + 1
 *   text     PostgreSQL queries whose text is the 4096-byte string
 *   stmt     SQLite statement texts, the 4096-byte string each
 *   sql      PostgreSQL queries of another shape each (literal texts)
 *   maps     META chunks of MAPS records of 64 lines each, all new ranges
 *   lag      writes of thread 1, the first starting 2^40 ns late: every
 *            later one goes back behind it
 * Where all records are alike from the third on, the chunks from the
 * third on are the second again, written without being built again.
 */
static void bomb_record(struct buf *b, const char *kind, uint64_t k)
{
    if (strcmp(kind, "meta") == 0) {
        put_u8(b, 0);
        put_u8(b, 0);
    } else if (strcmp(kind, "threads") == 0) {
        struct buf r = {0};
        put_uv(&r, k + 1);
        put_uv(&r, k + 1);
        put_uv(&r, 0);
        put_u8(b, WS_META_COUNTERS);
        put_uv(b, r.n);
        put(b, r.p, r.n);
        free(r.p);
    } else if (strcmp(kind, "maps") == 0) {
        struct buf text = {0}, r = {0};
        for (uint64_t i = 0; i < 64; i++) {
            char line[96];
            uint64_t at = 0x10000000 + (k * 64 + i) * 0x2000;
            int n = snprintf(line, sizeof(line), "%llx-%llx r-xp 00000000 08:01 %llu /l%llu\n",
                             (unsigned long long)at, (unsigned long long)at + 0x1000,
                             (unsigned long long)k, (unsigned long long)k);
            put(&text, line, (size_t)n);
        }
        put_uv(&r, text.n);
        put(&r, text.p, text.n);
        put_u8(b, WS_META_MAPS);
        put_uv(b, r.n);
        put(b, r.p, r.n);
        free(text.p);
        free(r.p);
    } else if (strcmp(kind, "events") == 0) {
        put_u8(b, WS_READ);
        for (int i = 0; i < 6; i++)
            put_u8(b, 0);
    } else {
        /* call, start delta, dur, obj, result, err, caller delta */
        unsigned call = WS_WRITE;
        int64_t start = 1000, obj = 1, result = 0;
        uint64_t dur = 500, err = 0;
        if (strcmp(kind, "waits") == 0 || strcmp(kind, "locks") == 0) {
            call = WS_MUTEX_LOCK;
            obj = strcmp(kind, "locks") == 0 ? (int64_t)(0x1000 + 64 * k) : 0x1000;
            err = WS_LOCK_CONTENDED;
        } else if (strcmp(kind, "pools") == 0) {
            call = WS_COND_WAIT;
            obj = (int64_t)(0x1000 + 64 * (k % 100000));
            dur = MS(1);
        } else if (strcmp(kind, "fds") == 0) {
            obj = (int64_t)k;
            dur = MS(20);
            start = (int64_t)MS(21);
        } else if (strcmp(kind, "text") == 0 || strcmp(kind, "sql") == 0) {
            call = WS_PG_QUERY;
            obj = 0x5000;
            result = 2; /* PGRES_TUPLES_OK */
        } else if (strcmp(kind, "stmt") == 0) {
            call = WS_SQLITE_STMT;
            obj = 0x6000;
            dur = 0;
        } else if (strcmp(kind, "lag") == 0) {
            start = k == 0 ? (int64_t)1 << 40 : k == 1 ? -((int64_t)1 << 40) : 1000;
        }
        put_u8(b, call);
        put_sv(b, start);
        put_uv(b, dur);
        put_sv(b, obj);
        put_sv(b, result);
        put_uv(b, err);
        put_sv(b, 0);
        if (ws_call_flags(call) & WS_CALL_HAS_AUX) {
            put_uv(b, 0);
            put_uv(b, 0);
        }
        if (strcmp(kind, "sql") == 0) {
            char sql[64];
            int n = snprintf(sql, sizeof(sql), "select c%llu from t", (unsigned long long)k);
            put_uv(b, (uint64_t)n * 2);
            put(b, sql, (size_t)n);
        } else if (ws_call_flags(call) & WS_CALL_HAS_PAYLOAD) {
            put_uv(b, 1); /* the string number 0 */
        }
    }
}

static void write_bomb(const char *path, const char *kind, uint64_t nchunks, uint64_t bytes)
{
    static const char *const argv[] = {"bomb"};
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_log: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    write_header(f, WS_FORMAT_VERSION);
    struct chunk *m = new_chunk(WS_CHUNK_META);
    meta_process(m, 700, 1, "/usr/bin/bomb", 1, argv, WS_CLOCK_MONOTONIC, 0);
    meta_clock(m, 0);
    meta_clock(m, MS(1000));
    if (strcmp(kind, "text") == 0 || strcmp(kind, "stmt") == 0) {
        struct buf text = {0};
        static const char head[] = "SELECT a, b, c FROM t WHERE x = ? /* ";
        put(&text, head, sizeof(head) - 1);
        while (text.n < 4096 - 3)
            put_u8(&text, 'a' + text.n % 26);
        put(&text, " */", 3);
        meta(m, WS_META_STRING, &text);
        free(text.p);
    }
    write_chunk(f, m, 0);
    free(m->raw.p);
    m->used = 0;

    int is_meta =
        strcmp(kind, "meta") == 0 || strcmp(kind, "threads") == 0 || strcmp(kind, "maps") == 0;
    int two_threads =
        strcmp(kind, "waits") == 0 || strcmp(kind, "locks") == 0 || strcmp(kind, "pools") == 0;
    struct chunk c = {.h = {.kind = is_meta ? WS_CHUNK_META : WS_CHUNK_EVENTS, .tid = 700}};
    struct buf prev = {0};
    uint8_t *z = NULL;
    size_t zn = 0;
    uint64_t k = 0, seq[3] = {0, 0, 0};
    static ZSTD_CCtx *cctx;
    if (!cctx) cctx = ZSTD_createCCtx();
    /* The kinds whose records are all alike from the third on. */
    int alike = strcmp(kind, "fds") && strcmp(kind, "threads") && strcmp(kind, "sql") &&
                strcmp(kind, "maps") && strcmp(kind, "locks") && strcmp(kind, "pools");
    for (uint64_t i = 0; i < nchunks; i++) {
        struct buf raw = {0}, one = {0};
        /* From the third chunk on, one of alike records is the second
         * again: neither built nor compressed again. */
        for (; !(alike && i >= 2);) {
            one.n = 0;
            bomb_record(&one, kind, k);
            if (raw.n + one.n > bytes) break;
            put(&raw, one.p, one.n);
            k++;
        }
        free(one.p);
        if (raw.p || !(alike && i >= 2)) {
            free(z);
            z = malloc(ZSTD_compressBound(raw.n));
            zn = ZSTD_compress2(cctx, z, ZSTD_compressBound(raw.n), raw.p ? raw.p : z, raw.n);
            if (ZSTD_isError(zn)) abort();
            free(prev.p);
            prev = raw;
        }
        uint32_t thread = two_threads ? (uint32_t)(i % 2) + 1 : 1;
        if (!is_meta) {
            c.h.thread = thread;
            c.h.tid = 700 + thread;
            c.h.seq = seq[thread];
            c.h.base_ts = T0 + i * 1000;
            seq[thread] += prev.n;
        }
        c.h.raw_size = (uint32_t)prev.n;
        uint8_t fh[8];
        put_le32(fh, WS_MAGIC_CHUNK);
        put_le32(fh + 4, sizeof(struct ws_chunk_header));
        fwrite(fh, 1, 8, f);
        fwrite(&c.h, 1, sizeof(c.h), f);
        fwrite(z, 1, zn, f);
    }
    free(z);
    free(prev.p);
    m = new_chunk(WS_CHUNK_META);
    meta_clock(m, MS(2000));
    meta_end(m, WS_END_EXIT, 0, MS(2000));
    write_chunk(f, m, 0);
    free(m->raw.p);
    nchunks = 0;
    fclose(f);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    int bomb = argc >= 2 && strncmp(argv[1], "bomb-", 5) == 0;
    if (argc != 3 &&
        !(argc == 4 && (strcmp(argv[1], "big") == 0 || strcmp(argv[1], "sqlbig") == 0 ||
                        strcmp(argv[1], "maps") == 0)) &&
        !(bomb && argc <= 5)) {
        fprintf(stderr, "usage: gen_log MODE OUT [EVENTS|PATH]\n"
                        "       gen_log bomb-KIND OUT [CHUNKS [BYTES]]\n");
        return 2;
    }
    const char *mode = argv[1], *out = argv[2];
    if (bomb) {
        /* The defaults are the issue's: one META chunk of 64 MiB (3.5 KB
         * on disk), 200 EVENTS chunks of 64 MiB (2.1 MB). */
        uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : strcmp(mode, "bomb-meta") ? 200 : 1;
        uint64_t bytes = argc > 4 ? strtoull(argv[4], NULL, 10) : 64u << 20;
        write_bomb(out, mode + 5, n, bytes);
    } else if (strcmp(mode, "normal") == 0) {
        build_normal(1);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "badchecksum") == 0) {
        build_normal(1);
        write_log(out, WS_FORMAT_VERSION, 3);
    } else if (strcmp(mode, "noend") == 0) {
        build_normal(0);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "version9") == 0) {
        build_normal(1);
        write_log(out, 9, -1);
    } else if (strcmp(mode, "version1") == 0) {
        build_normal(1);
        write_log(out, 1, -1);
    } else if (strcmp(mode, "locksall") == 0) {
        build_locksall();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "tsc") == 0 || strcmp(mode, "tsc1") == 0) {
        build_tsc(strcmp(mode, "tsc") == 0 ? 2 : 1);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "unknown") == 0) {
        build_unknown();
        skippable_after = 1;
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "unordered") == 0) {
        build_unordered();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "sql") == 0) {
        build_sql();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "time") == 0) {
        build_time();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "wakes") == 0) {
        build_wakes();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "tpoolend") == 0 || strcmp(mode, "tpoolnoend") == 0) {
        build_tpool_end(strcmp(mode, "tpoolend") == 0, 0, 0);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "tpoollate") == 0) {
        build_tpool_end(1, 1, 0);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "tpoolunseen") == 0) {
        build_tpool_end(1, 1, 1);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "tpoolslow") == 0) {
        build_tpool_slow();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "mainret") == 0) {
        build_small(300, "/bin/mainret", -1);
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "escapes") == 0) {
        build_escapes();
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "maps") == 0) {
        build_maps(argc == 4 ? argv[3] : "/usr/lib/libmaps.so");
        write_log(out, WS_FORMAT_VERSION, -1);
    } else if (strcmp(mode, "big") == 0) {
        write_big(out, argc == 4 ? strtoull(argv[3], NULL, 10) : 10000000);
    } else if (strcmp(mode, "sqlbig") == 0) {
        write_sqlbig(out, (argc == 4 ? strtoull(argv[3], NULL, 10) : 1000000) / 364);
    } else if (strcmp(mode, "severity") == 0) {
        /* Costs in the reverse order of severities: a low 70 ms, a
         * medium 30 ms, a high 20 ms (report/test_basics.py). */
        char path[4096];
        mkdir(out, 0777);
        const struct {
            uint64_t pid;
            const char *name;
            double write_ms, end_ms;
        } ps[] = {{500, "long", 70, 8000}, {600, "middle", 30, 1000}, {700, "short", 20, 100}};
        for (int i = 0; i < 3; i++) {
            build_one_write(ps[i].pid, ps[i].name, ps[i].write_ms, ps[i].end_ms);
            snprintf(path, sizeof(path), "%s/%s.%d.wslog", out, ps[i].name, (int)ps[i].pid);
            write_log(path, WS_FORMAT_VERSION, -1);
        }
    } else if (strcmp(mode, "multi") == 0) {
        char path[4096];
        mkdir(out, 0777);
        build_small(100, "/bin/first", 0);
        snprintf(path, sizeof(path), "%s/first.100.wslog", out);
        write_log(path, WS_FORMAT_VERSION, -1);
        build_small(200, "/bin/second", 0);
        snprintf(path, sizeof(path), "%s/second.200.wslog", out);
        write_log(path, WS_FORMAT_VERSION, -1);
        snprintf(path, sizeof(path), "%s/killed.300.wslog", out);
        write_file(path, "");
        snprintf(path, sizeof(path), "%s/README.txt", out);
        write_file(path, "not a log\n");
    } else {
        fprintf(stderr, "gen_log: unknown mode '%s'\n", mode);
        return 2;
    }
    return 0;
}
