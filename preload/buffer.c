/* SPDX-License-Identifier: MIT */
/*
 * buffer.c - per-thread state and the buffers that events are written to.
 *
 * The memory is bounded up front: a fixed pool of WS_BUF_SIZE buffers
 * (WHYSLOW_BUFFER_MB in all) and a fixed table of thread slots.  A thread
 * takes a free buffer on its first event and fills it; when it is full,
 * the thread hands it to the flusher over a wait-free queue and takes
 * another.  When none is free the event is dropped and counted, never
 * waited for.
 *
 * The flusher also reads buffers still being filled (every WHYSLOW_FLUSH_MS),
 * up to the first record not yet committed: the owner stores each
 * record's first word last, with release (internal.h: struct ws_raw), and
 * only ever writes past the records committed.  A buffer handed over says
 * where its records end in its `committed` mark.
 *
 * Signal handlers: a wrapper in a handler that interrupted ws_emit() on the
 * same thread would race with it for the buffer position, so such a nested
 * event is dropped and counted (depth > 1).  A handler that interrupts the
 * real call, which is where a thread spends nearly all of a wrapper's time,
 * records as usual.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "dbstate.h"
#include "internal.h"

WS_HOT struct ws_shared *ws_sh;
WS_HOT struct ws_thread *ws_threads;
WS_HOT struct ws_buf *ws_bufs;
int ws_region_fd = -1; /* the region's memfd, until the flusher started */
__thread struct ws_local ws_me __attribute__((tls_model("initial-exec")));

/* Threads that may not record: the tracer's own and those beyond the
 * slot table (their events count as lost).  Their ws_me.busy says so;
 * these only tell them apart.  Zeroed, in .bss: the last page of .data,
 * which the loader writes, holds the real functions' pointers (real.h). */
static struct ws_thread internal_thread;
static struct ws_thread no_slot_thread;

static void thread_exit(void *arg);

/* The key whose destructor tells us when a thread ends.  Made at the
 * first event of the process's first thread, not at its start:
 * pthread_key_create() writes libc's table of keys, a page that a process
 * which records nothing (most of those a build runs) would fault in for
 * it alone (15 us on a VM).  A thread that attaches while another makes
 * it waits for it, a few atomic operations; bounded, so that nothing can
 * hang on it (a thread that gives up is not told of its end).  (In
 * .data, WS_START_RW: every recording process writes them.) */
static pthread_key_t exit_key WS_START_RW;
static _Atomic int exit_key_state
    WS_START_RW; /* 0: not made, 1: being made, 2: made, 3: cannot be */

static int exit_key_ready(void)
{
    int st = 0;
    if (atomic_compare_exchange_strong(&exit_key_state, &st, 1)) {
        st = pthread_key_create(&exit_key, thread_exit) == 0 ? 2 : 3;
        atomic_store(&exit_key_state, st);
    }
    for (int spins = 0; st == 1 && spins < 100000; spins++)
        st = atomic_load(&exit_key_state);
    return st == 2;
}

/*
 * The shared region: nbufs buffers, their headers, the thread slots, and
 * last its head (struct ws_shared: state, the program's name), each part
 * page-aligned.  The head comes last because the kernel puts a new
 * mapping right below the lowest one (libc's, mostly): the region's last
 * pages share a page table with it, where its first would need page
 * tables of their own, made at the first touch and freed at the end.  A
 * process that records nothing (most of a build's) touches the head only:
 * on a 2-CPU VM, the first write to a fresh 64 MiB memfd mapping cost 62
 * us at its first page, 13 us at its last.  So too the buffers' memory is
 * handed out from the last down (ws_buf_memory()): the first buffer taken,
 * a short process's only one, lies right below the headers, under the
 * head's page table.
 * MAP_NORESERVE: a page costs memory only once it is written.
 * In the child of fork() a new region replaces the parent's (which the
 * child must not write: it is shared with the parent); the forking thread
 * starts unattached, none of the parent's events with it.
 */
static size_t page_up(size_t n)
{
    return (n + 4095) & ~(size_t)4095;
}

#define THREADS_SIZE page_up(WS_MAX_THREADS * sizeof(struct ws_thread))

static size_t headers_size(unsigned nbufs)
{
    return page_up(nbufs * sizeof(struct ws_buf));
}

size_t ws_region_head_at(unsigned nbufs)
{
    return (size_t)nbufs * WS_BUF_SIZE + headers_size(nbufs) + THREADS_SIZE;
}

size_t ws_region_size(unsigned nbufs)
{
    return ws_region_head_at(nbufs) + page_up(WS_HEAD_SIZE);
}

void ws_region_place(uint8_t *start, unsigned nbufs)
{
    ws_sh = (struct ws_shared *)(start + ws_region_head_at(nbufs));
    ws_threads = (struct ws_thread *)((uint8_t *)ws_sh - THREADS_SIZE);
    ws_bufs = (struct ws_buf *)((uint8_t *)ws_threads - headers_size(nbufs));
}

uint8_t *ws_region_data(unsigned nbufs)
{
    return (uint8_t *)ws_sh - ws_region_head_at(nbufs);
}

/* What a head holds from the start: the program, its settings, when it
 * started and its parent then (started, or now when NULL). */
WS_EVERY_PROCESS void ws_head_init(struct ws_shared *sh, unsigned nbufs,
                                   const struct ws_start *started)
{
    struct ws_start now;
    if (!started) {
        /* (read first, stored after: a store to the fresh page faults) */
        ws_clock_pair(&now.ts, &now.mono_ns, &now.real_ns, 1);
        now.ppid = ws_getppid();
        started = &now;
    }
    cds_wfcq_init(&sh->queue_head, &sh->queue_tail);
    sh->nbufs = nbufs;
    sh->flush_ms = ws_flush_ms;
    sh->locks_all = (uint8_t)ws_locks_all;
    sh->redact_sql = (uint8_t)ws_redact_sql;
    sh->redact_argv = (uint8_t)ws_redact_argv;
    sh->clock_tsc = (uint8_t)ws_clock_tsc;
    sh->jit_map_ours = (uint8_t)ws_jit_map_ours;
    sh->pid = ws_getpid();
    sh->ppid = started->ppid;
    sh->end_status = -1;
    sh->start_ts = started->ts;
    sh->start_mono_ns = started->mono_ns;
    sh->start_real_ns = started->real_ns;
    atomic_store(&sh->free_bufs, (int)nbufs);
}

int ws_shared_create(unsigned nbufs, const struct ws_start *started)
{
    size_t size = ws_region_size(nbufs);
    /* A file grown past the process's RLIMIT_FSIZE (ulimit -f) sends it
     * SIGXFSZ, which kills it, and a memfd is a file: under such a limit
     * there is no region, and the process is not traced. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < size) {
        snprintf(ws_why, sizeof ws_why,
                 "the file size limit (ulimit -f: %llu bytes) is below the buffers' %zu bytes",
                 (unsigned long long)rl.rlim_cur, size);
        return -1;
    }
    /* A memfd rather than an anonymous mapping: its inode names it in
     * /proc/PID/maps, where the flusher sees it vanish at exec, and a
     * flusher that `whyslow record` serves maps it from the fd.  The fd is
     * closed once the flusher started (launch.c): the program never sees
     * it. */
    int fd = memfd_create(WS_START_STR(WS_REGION_NAME), MFD_CLOEXEC);
    uint8_t *start = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, (off_t)size) == 0)
        start = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    if (start == MAP_FAILED) {
        /* (errno's number: strerror() is not async-signal-safe, and a
         * fork child may get here in a signal handler) */
        snprintf(ws_why, sizeof ws_why, "cannot make the buffers (errno %d)", errno);
        if (fd >= 0) real_close(fd);
        return -1;
    }
    struct ws_shared *sh = (struct ws_shared *)(start + ws_region_head_at(nbufs));
    ws_region_fd = fd;
    ws_head_init(sh, nbufs, started);
    /* In the child of a fork that came while another thread made the key,
     * no one will finish making it: the child, alone, makes its own. */
    int making = 1;
    atomic_compare_exchange_strong(&exit_key_state, &making, 0);
    ws_region_place(start, nbufs);
    ws_me.self = NULL;
    return 0;
}

/* *mark = max(*mark, n): the slots and buffers ever used. */
static void raise_to(_Atomic uint32_t *mark, uint32_t n)
{
    uint32_t now = atomic_load(mark);
    while (now < n && !atomic_compare_exchange_weak(mark, &now, n))
        ;
}

/* Takes a free buffer for t, or returns NULL when the pool is empty. */
static struct ws_buf *take_buffer(struct ws_thread *t)
{
    if (atomic_load_explicit(&ws_sh->free_bufs, memory_order_relaxed) <= 0) return NULL;
    /* Always scan from the first buffer: the lowest free ones were used
     * before, so their pages are mapped and likely cached, where a first
     * touch of a page costs a fault (microseconds).  A thread thus cycles
     * through a few warm buffers. */
    for (unsigned k = 0; k < ws_sh->nbufs; k++) {
        struct ws_buf *b = &ws_bufs[k];
        uint32_t expect = WS_BUF_FREE;
        if (atomic_load_explicit(&b->state, memory_order_relaxed) == WS_BUF_FREE &&
            atomic_compare_exchange_strong(&b->state, &expect, WS_BUF_CLAIMED)) {
            atomic_fetch_sub(&ws_sh->free_bufs, 1);
            raise_to(&ws_sh->bufs_used, k + 1);
            /* Set here, not at the start: the headers of the buffers never
             * used stay untouched, pages that cost nothing. */
            b->data = ws_buf_memory(ws_region_data(ws_sh->nbufs), ws_sh->nbufs, k);
            b->thread = t->serial;
            b->tid = t->tid;
            b->stream_off = t->stream_off;
            b->flushed = 0;
            cds_wfcq_node_init(&b->node);
            /* Only now may the flusher look at it. */
            atomic_store_explicit(&b->state, WS_BUF_ACTIVE, memory_order_release);
            t->buf_index = k + 1;
            return b;
        }
    }
    return NULL;
}

/* Hands t's buffer to the flusher (the flusher frees it once written). */
static void hand_over(struct ws_thread *t)
{
    struct ws_buf *b = ws_me.buf;
    if (!b) return;
    ws_me.buf = NULL;
    barrier();
    atomic_store_explicit(&b->committed, ws_me.pos, memory_order_release);
    t->buf_index = 0;
    t->stream_off += ws_me.pos;
    ws_me.pos = 0;
    atomic_store_explicit(&b->state, WS_BUF_FULL, memory_order_release);
    ws_flusher_enqueue(t, b);
}

void ws_buffer_release(struct ws_buf *b)
{
    atomic_store_explicit(&b->state, WS_BUF_FREE, memory_order_release);
    atomic_fetch_add(&ws_sh->free_bufs, 1);
}

void ws_lose(void)
{
    if (unlikely(atomic_load_explicit(&ws_fork_pending, memory_order_relaxed))) {
        ws_lose_pending(); /* ws_sh is still the parent's */
        return;
    }
    atomic_fetch_add_explicit(&ws_sh->lost, 1, memory_order_relaxed);
}

/* The record does not fit (or the thread has no buffer yet): hand the
 * buffer over and take another.  Called from ws_emit() with depth 1. */
struct ws_buf *ws_next_buffer(struct ws_thread *t)
{
    int saved = errno; /* the flusher's wake-up may set it */
    hand_over(t);
    /* Told to stop: the program ends, or its flusher gave up (ws_all_busy()
     * marks the slots; a wrapper looks only at ws_me, so each thread finds
     * out here, at its next buffer, and stops). */
    if (t->busy || !atomic_load_explicit(&ws_on, memory_order_relaxed)) {
        ws_me.busy = 1;
        errno = saved;
        return NULL;
    }
    struct ws_buf *b = take_buffer(t);
    ws_me.buf = b;
    if (b) ws_me.data = b->data;
    errno = saved;
    return b;
}

/* The first event of a thread: give it a slot and say who it is. */
static struct ws_thread *attach(void)
{
    uint32_t serial = 0; /* taken once: a slot lost to another thread keeps no gap */
    for (unsigned i = 0; i < WS_MAX_THREADS; i++) {
        struct ws_thread *t = &ws_threads[i];
        uint32_t expect = 0;
        if (atomic_load_explicit((_Atomic uint32_t *)&t->serial, memory_order_relaxed) != 0)
            continue;
        /* Counted before it is taken: whoever then loops over the slots
         * (ws_all_busy() at the end) sees this one. */
        raise_to(&ws_sh->slots_used, i + 1);
        if (!serial) serial = atomic_fetch_add(&ws_sh->next_serial, 1) + 1;
        if (!atomic_compare_exchange_strong((_Atomic uint32_t *)&t->serial, &expect, serial))
            continue;
        ws_me = (struct ws_local){0};
        t->buf_index = 0;
        t->tid = gettid();
        t->stream_off = 0;
        t->uncontended = 0;
        t->reported = 0;
        t->busy = 0;
        t->handed = 0;
        t->db_depth = 0;
        t->db = NULL;
        t->unwinding = 0;
        t->marks = 0;
        ws_me.self = t;
        /* The key's destructor tells us when the thread ends. */
        if (exit_key_ready()) pthread_setspecific(exit_key, t);
        char name[17] = {0};
        REAL(prctl)(PR_GET_NAME, name);
        uint64_t now = ws_now();
        ws_emit(t, WS_EV_THREAD_START, 0, 0, ws_parent, now, now, 0, name, (uint32_t)strlen(name));
        return t;
    }
    ws_me.self = &no_slot_thread;
    ws_me.busy = 1;
    return NULL;
}

unsigned ws_slots_used(void)
{
    unsigned n = atomic_load(&ws_sh->slots_used);
    return n < WS_MAX_THREADS ? n : WS_MAX_THREADS;
}

void ws_all_busy(void)
{
    for (unsigned i = 0, n = ws_slots_used(); i < n; i++)
        ws_threads[i].busy = 1;
    ws_me.busy = 1; /* the caller at once */
}

void ws_stop_recording(void)
{
    atomic_store(&ws_sh->stopped, 1);
    ws_all_busy();
}

struct ws_thread *ws_enter_slow(void)
{
    struct ws_thread *t = ws_me.self;
    if (t == &no_slot_thread) {
        if (atomic_load_explicit(&ws_on, memory_order_relaxed)) ws_lose();
        return NULL;
    }
    if (t) return NULL; /* busy: the tracer's own call */
    if (!atomic_load_explicit(&ws_on, memory_order_acquire)) return NULL;
    /* A fork child's first event: its region first (init.c). */
    if (unlikely(atomic_load_explicit(&ws_fork_pending, memory_order_relaxed)) &&
        ws_fork_setup() != 0)
        return NULL;
    int saved = errno;
    t = attach();
    errno = saved;
    return t;
}

/* Marks the calling thread as the tracer's own: its calls are not traced. */
WS_EVERY_PROCESS void ws_thread_internal(void)
{
    ws_me.self = &internal_thread;
    ws_me.busy = 1;
}

/* The thread ends: its last words, then its buffer goes to the flusher and
 * its slot is free for another thread. */
void ws_thread_detach(struct ws_thread *t)
{
    char name[17] = {0};
    REAL(prctl)(PR_GET_NAME, name);
    uint64_t now = ws_now();
    ws_emit(t, WS_EV_THREAD_NAME, 0, 0, 0, now, now, 0, name, (uint32_t)strlen(name));
    ws_emit(t, WS_EV_THREAD_END, 0, 0, (int64_t)t->uncontended, now, now, 0, NULL, 0);
    hand_over(t);
    ws_db_free(t);
    ws_me.self = NULL;
    t->tid = 0;
    atomic_store_explicit((_Atomic uint32_t *)&t->serial, 0, memory_order_release);
    ws_flusher_wake();
}

static void thread_exit(void *arg)
{
    struct ws_thread *t = arg;
    if (t && ws_me.self == t && atomic_load(&ws_on)) {
        int saved = errno;
        ws_thread_detach(t);
        errno = saved;
    }
}
