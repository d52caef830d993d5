/*
 * flusher.c - the flusher: a small process that writes the events to the log.
 *
 * Why a process and not a thread: a second thread makes glibc take the
 * multi-threaded path of every cancellable call (about 45 ns more per
 * write() here, more than the whole budget of a traced call), changes the
 * process as the program sees it (signals, fork), and dies with it on
 * SIGKILL.  The flusher is a fork of the program made at start (cloned
 * twice, with no exit signal: it is no child of the program, whose wait()
 * never sees it, and no SIGCHLD is sent), in its own session, holding none
 * of the program's descriptors.  It shares one memory region with the program (buffer.c).
 *
 * Threads hand full buffers over a liburcu wait-free queue in that region
 * (an exchange and a store: safe in any context) and wake the flusher with
 * a futex.  Every WHYSLOW_FLUSH_MS it also reads what is committed in
 * buffers still being filled.  Each piece becomes a chunk: raw records
 * compacted (deltas, varints), compressed as one zstd frame with its
 * checksum, behind a skippable frame header naming the thread and the
 * piece's offset in the thread's stream.
 *
 * The end: at exit and _exit the program posts how it ends and waits (a
 * few ms, at most 5 s) for the flusher to write the rest.  At exec it posts
 * that an exec is under way, and the flusher watches the program's memory
 * map for the shared region: when the region is gone, the exec succeeded.
 * When the program dies (SIGKILL...), a pidfd of it polls readable.  The
 * program holds no descriptor of ours: it would see it (Python's own tests
 * list their fds).  Nothing committed is lost, even on SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <zstd.h>

#include "intern.h"
#include "internal.h"
#include "meta.h"
#include "sql_redact.h"

static ZSTD_CCtx *cctx;
static uint8_t *enc;                     /* compacted records of one chunk */
static uint8_t *batch;                   /* chunks waiting to be written */
static uint8_t redacted[WS_MAX_PAYLOAD]; /* a statement's text, redacted */
static size_t batch_len;
static size_t batch_cap;
static int failed; /* the log cannot be written: stop writing */

static int program_fd = -1; /* the flusher's: a pidfd of the program */

#define ENC_CAP   (2 * WS_BUF_SIZE + 4096)
#define CHUNK_MAX (8u << 20) /* the largest raw chunk: a META one */
/* What this writes stays within what the format says a recorder writes. */
_Static_assert(ENC_CAP <= WS_EVENTS_RAW_MAX, "EVENTS chunks within the format's limit");
_Static_assert(CHUNK_MAX <= WS_META_RAW_MAX, "META chunks within the format's limit");
_Static_assert(WS_MAX_PAYLOAD <= WS_PAYLOAD_MAX, "payloads within the format's limit");

int ws_flusher_init(void)
{
    enc = mmap(NULL, ENC_CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    batch_cap = ZSTD_compressBound(CHUNK_MAX) + 64;
    batch = mmap(NULL, batch_cap, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (enc == MAP_FAILED || batch == MAP_FAILED) return -1;
    cctx = ZSTD_createCCtx();
    if (!cctx) return -1;
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    return ws_meta_init() == 0 && ws_intern_init() == 0 ? 0 : -1;
}

/* The region is shared by two processes: no FUTEX_PRIVATE_FLAG. */
static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return real_syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

void ws_flusher_enqueue(struct ws_buf *b)
{
    cds_wfcq_enqueue(&ws_sh->queue_head, &ws_sh->queue_tail, &b->node);
    /* Wake the flusher at once: it frees the buffer soon, and the thread
     * takes it again (the lowest free first), so a thread cycles through a
     * couple of buffers that stay in its cache.  The wake-up is one futex
     * call per 64 KiB of records. */
    ws_flusher_wake();
}

void ws_flusher_wake(void)
{
    atomic_fetch_add(&ws_sh->wake_seq, 1);
    if (atomic_load(&ws_sh->sleeping)) futex(&ws_sh->wake_seq, FUTEX_WAKE, 1, NULL);
}

/* ---- the flusher's side ---- */

static void write_batch(void)
{
    if (batch_len && !failed && ws_log_write(batch, batch_len) != 0) failed = 1;
    batch_len = 0;
}

/* Compresses raw[0..len) into a chunk at the end of the batch. */
static void put_chunk(uint32_t kind, uint32_t thread, uint64_t seq, uint64_t base_ts, pid_t tid,
                      const uint8_t *raw, size_t len)
{
    size_t need = 8 + sizeof(struct ws_chunk_header) + ZSTD_compressBound(len);
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
    size_t z = ZSTD_compress2(cctx, p + off, batch_cap - batch_len - off, raw, len);
    if (ZSTD_isError(z)) { /* cannot happen with a bound-sized output */
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
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

/* Does the call's payload hold SQL (which WHYSLOW_SQL=redact redacts)? */
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

/* Raw records [from, to) of b become one EVENTS chunk. */
static void put_events(struct ws_buf *b, uint32_t from, uint32_t to)
{
    const uint8_t *p = b->data + from, *end = b->data + to;
    uint64_t base = ((const struct ws_raw *)p)->start;
    uint64_t prev_start = base, prev_caller = 0;
    uint8_t *o = enc;
    while (p < end) {
        const struct ws_raw *r = (const struct ws_raw *)p;
        /* The region is the program's to scribble on: check each record. */
        if (r->plen > WS_MAX_PAYLOAD + WS_STACK_MAX * 8 || r->pad > WS_STACK_MAX ||
            r->pad * 8u > r->plen || p + sizeof *r + ((r->plen + 7u) & ~7u) > end)
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
            if (ws_sql_redact && plen && is_sql(r->call)) {
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
        p += sizeof *r + ((r->plen + 7u) & ~7u);
    }
    /* New strings go first: a string is in the file before its first use. */
    if (ws_meta_pending()) put_meta();
    put_chunk(WS_CHUNK_EVENTS, b->thread, b->stream_off + from, base, b->tid, enc,
              (size_t)(o - enc));
}

/* Everything committed so far goes to the log. */
static void flush(int final)
{
    static uint64_t last_clock_ns, last_maps_ns;
    /* Full buffers first, in the order they were handed over.  Never
     * wait on the queue: a thread killed in the middle of an enqueue
     * would leave a link unset for ever.  What is not ready now is taken
     * at the next period; at the end, full buffers are found by state. */
    static struct cds_wfcq_head head;
    static struct cds_wfcq_tail tail;
    static int queue_ready;
    if (!queue_ready) {
        cds_wfcq_init(&head, &tail);
        queue_ready = 1;
    }
    __cds_wfcq_splice_nonblocking(&head, &tail, &ws_sh->queue_head, &ws_sh->queue_tail);
    struct cds_wfcq_node *node;
    while ((node = __cds_wfcq_dequeue_nonblocking(&head, &tail)) != NULL &&
           node != CDS_WFCQ_WOULDBLOCK) {
        struct ws_buf *b = caa_container_of(node, struct ws_buf, node);
        uint32_t end = atomic_load_explicit(&b->committed, memory_order_acquire);
        if (end > b->flushed) put_events(b, b->flushed, end);
        ws_buffer_release(b);
    }
    if (final) /* nobody fills buffers any more: take the rest by state */
        for (unsigned i = 0; i < ws_sh->nbufs; i++) {
            struct ws_buf *b = &ws_sh->bufs[i];
            if (atomic_load_explicit(&b->state, memory_order_acquire) != WS_BUF_FULL) continue;
            uint32_t end = atomic_load_explicit(&b->committed, memory_order_acquire);
            if (end > b->flushed) put_events(b, b->flushed, end);
            b->flushed = end;
        }
    /* Then what is committed in buffers still being filled. */
    for (unsigned i = 0; i < ws_sh->nbufs; i++) {
        struct ws_buf *b = &ws_sh->bufs[i];
        if (atomic_load_explicit(&b->state, memory_order_acquire) != WS_BUF_ACTIVE) continue;
        uint32_t end = atomic_load_explicit(&b->committed, memory_order_acquire);
        if (end > b->flushed) {
            put_events(b, b->flushed, end);
            b->flushed = end;
        }
    }
    uint64_t now = ws_mono_ns();
    if (final || now - last_clock_ns >= 1000000000u) {
        ws_meta_clock_now();
        last_clock_ns = now;
    }
    if (final || now - last_maps_ns >= 500000000u) {
        ws_meta_maps(0);
        last_maps_ns = now;
    }
    static uint64_t last_meta_ns;
    if (final || now - last_meta_ns >= (uint64_t)ws_flush_ms * 1000000u) {
        ws_meta_lost(final);
        ws_meta_counters(final);
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
    snprintf(path, sizeof path, "/proc/%d/stat", (int)ws_sh->pid);
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
    if (program_dead()) return kind ? kind : -1;
    /* Under way: the region's leaving the program's map means success
     * (not a map that cannot be read: -1). */
    if (kind == WS_END_EXEC && ws_meta_maps(0) == 0) return kind;
    return 0;
}

/* Closes every fd but keep: the flusher holds none of the program's. */
static void close_all_but(int keep)
{
    if ((keep == 0 || real_syscall(SYS_close_range, 0, keep - 1, 0) == 0) &&
        real_syscall(SYS_close_range, keep + 1, ~0u, 0) == 0)
        return;
    for (int fd = 0; fd < 65536; fd++) /* kernels before 5.9 */
        if (fd != keep) real_close(fd);
}

/* Runs in the new process; never returns. */
static void flusher_run(int log_fd)
{
    /* Blocks every signal; leaves the program's session and process group,
     * so its terminal's ^C and its kill(0, ...) are not ours. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setsid();
    prctl(PR_SET_NAME, "whyslow-flush");
    ws_thread_internal();
    atomic_store(&ws_on, 0);
    /* Keep only the log: holding the program's pipes or sockets open
     * would change what its peers see. */
    close_all_but(log_fd);
    ws_log_fd = log_fd;
    program_fd = (int)real_syscall(SYS_pidfd_open, ws_sh->pid, 0);
    if (program_fd < 0 && errno == ESRCH) program_fd = -1; /* gone already: /proc says so */
    atomic_store(&ws_sh->flusher_pid, getpid());

    ws_meta_process();
    ws_meta_clock(ws_sh->start_ts, ws_sh->start_mono_ns, ws_sh->start_real_ns);
    ws_meta_maps(1);
    put_meta();
    write_batch();

    /* The first wait is short: a second CLOCK record 10 ms after the first
     * calibrates the TSC early, for programs that are killed. */
    struct timespec ts = {0, 10 * 1000000};
    int ended;
    for (;;) {
        /* The sequence first: an end posted after it wakes the wait. */
        uint32_t seq = atomic_load(&ws_sh->wake_seq);
        if ((ended = program_ended()) != 0) break;
        if (atomic_load(&ws_sh->end_kind) == WS_END_EXEC) {
            /* exec is under way: look again soon, and go on flushing in
             * case it fails. */
            struct timespec ms2 = {0, 2000000};
            real_nanosleep(&ms2, NULL);
        } else if (cds_wfcq_empty(&ws_sh->queue_head, &ws_sh->queue_tail)) {
            atomic_store(&ws_sh->sleeping, 1);
            futex(&ws_sh->wake_seq, FUTEX_WAIT, seq, &ts);
            atomic_store(&ws_sh->sleeping, 0);
        }
        ts.tv_sec = ws_flush_ms / 1000;
        ts.tv_nsec = (long)(ws_flush_ms % 1000) * 1000000;
        flush(0);
    }
    if (ended > 0) ws_meta_end(ended, ws_sh->end_status, ws_sh->end_ts);
    flush(1);
    atomic_store(&ws_sh->done, 1);
    futex(&ws_sh->done, FUTEX_WAKE, 1, NULL);
    real__exit(0);
}

/* Creates the log and the flusher process; in the program, at start and
 * in the child of fork(). */
int ws_flusher_start(void)
{
    int log_fd = ws_log_create();
    if (log_fd < 0) return -1;
    batch_len = 0;
    failed = 0;
    /* Forked twice, with no exit signal: the flusher is not the program's
     * child, so neither the program's wait(), whatever its flags, nor an
     * image that replaces the program by exec ever sees it or its end. */
    long mid = real_syscall(SYS_clone, 0L /* no exit signal */, 0L, 0L, 0L, 0L);
    if (mid == 0) {
        long pid = real_syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
        if (pid == 0) flusher_run(log_fd);
        real__exit(pid < 0 ? 1 : 0);
    }
    real_close(log_fd);
    if (mid < 0) return -1;
    int status = 1;
    while (waitpid((pid_t)mid, &status, __WALL) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/*
 * The program's image ends by exit or _exit: post how, and wait until the
 * flusher wrote everything (or died).  Not in a vfork() child: it shares
 * our memory but is another process, and the parent's log is the parent's.
 */
void ws_flusher_end(int end_kind, int64_t status)
{
    if (!atomic_load(&ws_on) || getpid() != ws_sh->pid) return;
    int saved = errno;
    ws_sh->end_status = status;
    ws_sh->end_ts = ws_now();
    if (end_kind == WS_END_EXEC) {
        atomic_store(&ws_sh->end_kind, end_kind);
        ws_flusher_wake();
        errno = saved;
        return;
    }
    /* Later calls on any thread pass straight through. */
    atomic_store(&ws_on, 0);
    for (unsigned i = 0; i < WS_MAX_THREADS; i++)
        ws_sh->threads[i].busy = 1;
    atomic_store(&ws_sh->end_kind, end_kind);
    ws_flusher_wake();
    struct timespec step = {0, 10 * 1000000};
    pid_t flusher = atomic_load(&ws_sh->flusher_pid);
    for (int waited = 0; waited < 500 && !atomic_load(&ws_sh->done); waited++) {
        futex(&ws_sh->done, FUTEX_WAIT, 0, &step);
        if (flusher > 0 && kill(flusher, 0) != 0 && errno == ESRCH) break; /* it died */
    }
    errno = saved;
}

/* exec failed: the program goes on, and so does the flusher. */
void ws_flusher_exec_failed(void)
{
    if (atomic_load(&ws_on) && getpid() == ws_sh->pid) atomic_store(&ws_sh->end_kind, 0);
}
