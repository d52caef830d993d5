/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the parts of libwhyslow.so share.
 *
 * The recorder is a set of wrappers (wrap_*.c) around libc calls.  A
 * wrapper times the real call and appends one fixed-size raw record to its
 * thread's buffer (buffer.c).  The flusher process (flusher.c) turns raw
 * records into the compact log format of include/whyslow/format.h,
 * compresses them and appends them to the process's log.  init.c reads the
 * configuration and handles the process's life: start, fork, exec, exit.
 *
 * Rules of the hot path (everything reached from a wrapper before the real
 * call returns and until the wrapper returns):
 *  - no locks, no allocation, no syscalls except on rare slow paths (first
 *    sight of a thread or an fd, a full buffer);
 *  - async-signal-safe: a wrapper may run in a signal handler that
 *    interrupted another wrapper on the same thread;
 *  - errno as the real call left it when the wrapper returns;
 *  - the tracer's own calls never come back into the wrappers: it calls
 *    the real functions through the real_* pointers.
 */
#ifndef WHYSLOW_INTERNAL_H
#define WHYSLOW_INTERNAL_H

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h> /* ws_getpid() and the like, below */
#include <sys/types.h>

#include <urcu/wfcqueue.h>

#include "whyslow/format.h"
#include "whyslow/serve.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier()   __asm__ __volatile__("" ::: "memory")
#define WS_EXPORT   __attribute__((visibility("default")))
#define WS_CALLER   ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* ---- clock.c ---- */

extern int ws_clock_tsc; /* 1: timestamps are TSC ticks */

/* A timestamp of the kind tsc says (ws_clock_tsc, read by the caller: a
 * wrapper reads it once, before the real call, so that its page is not
 * touched again after a syscall that may have flushed the TLB). */
static inline uint64_t ws_stamp(int tsc)
{
#if defined(__x86_64__) || defined(__i386__)
    if (likely(tsc)) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
    }
#endif
    extern uint64_t ws_now_mono(void);
    return ws_now_mono();
}

static inline uint64_t ws_now(void)
{
    return ws_stamp(ws_clock_tsc);
}

void ws_clock_init(void);
uint64_t ws_mono_ns(void);
uint64_t ws_real_ns(void);
/* A timestamp with CLOCK_MONOTONIC and CLOCK_REALTIME read at the same
 * moment, for a CLOCK record; sys: the clocks by system calls (clock.c). */
void ws_clock_pair(uint64_t *ts, uint64_t *mono_ns, uint64_t *real_ns, int sys);

/* ---- buffer.c: per-thread state and the raw record buffers ---- */

/*
 * A raw record, as a wrapper writes it into its thread's buffer: fixed
 * size so the write is a few stores; the flusher compacts it.  A payload
 * of plen bytes follows, padded to 8.  Its first word (plen, call, pad,
 * err) is stored last, with release: a record whose first word is not 0
 * is whole (call is never 0), and the word past a thread's last record
 * is 0 (a buffer is zeroed before it is used again).  So the flusher
 * reads a buffer being filled up to its first 0 word, and the program's
 * commit is a store to the record's own cache line, not to the buffer's
 * header (after a system call that flushed the TLB, a page more).
 */
struct ws_raw {
    uint16_t plen; /* payload bytes, with the stack's */
    uint8_t call;
    uint8_t pad; /* frames of the stack at the end of the payload */
    uint32_t err;
    uint64_t start;
    uint64_t dur;
    int64_t obj;
    int64_t result;
    uint64_t caller;
};

/* The bytes a record of plen bytes of payload (its stack's included)
 * takes in a buffer. */
static inline uint32_t ws_raw_size(uint32_t plen)
{
    return (uint32_t)sizeof(struct ws_raw) + ((plen + 7u) & ~7u);
}

/* The record's first word as ws_emit_commit() stores it. */
static inline uint64_t ws_raw_word(uint32_t plen, unsigned call, unsigned pad, uint32_t err)
{
    return (uint64_t)(uint16_t)plen | (uint64_t)(uint8_t)call << 16 | (uint64_t)(uint8_t)pad << 24 |
           (uint64_t)err << 32;
}
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && offsetof(struct ws_raw, call) == 2 &&
                   offsetof(struct ws_raw, pad) == 3 && offsetof(struct ws_raw, err) == 4,
               "ws_raw_word() is the first 8 bytes of a struct ws_raw");

#define WS_BUF_SIZE    (64 * 1024)
#define WS_MAX_PAYLOAD 4096

/* FREE -> CLAIMED (a thread sets it up) -> ACTIVE (filled; the flusher
 * reads it) -> FULL (handed over) -> FREE (written by the flusher). */
enum ws_buf_state { WS_BUF_FREE = 0, WS_BUF_CLAIMED = 1, WS_BUF_ACTIVE = 2, WS_BUF_FULL = 3 };

struct ws_buf {
    struct cds_wfcq_node node; /* on the flusher's queue when FULL */
    _Atomic uint32_t state;
    _Atomic uint32_t committed; /* bytes the flusher may read, once FULL */
    uint32_t flushed;           /* bytes the flusher has read: its own */
    uint32_t thread;            /* the owner's serial */
    pid_t tid;
    uint64_t stream_off; /* offset of byte 0 in the owner's stream */
    uint8_t *data;
};

/*
 * What a wrapped call reads of the library's globals (the clock's kind,
 * the region, the database and Python switches and offsets), kept
 * together in a few cache lines: the program's own work between two calls
 * (SQLite's, the interpreter's) evicts them, and scattered through the
 * library's data they cost a point select through Python's sqlite3 some
 * ten misses.  Only read-mostly variables: one written often would evict
 * the rest from the other threads' caches.
 */
#define WS_HOT __attribute__((section("ws_hot")))

/*
 * The library's large zeroed arrays (the table of fds known, the served
 * start's head, scratch buffers) go apart from its small variables, which
 * .bss would otherwise scatter between them: a process touches the
 * small ones at its start, and on some hosts each page it touches costs
 * tens of microseconds (a fault, and its teardown at the end).  All of
 * the library stays under 1 MiB (tests/unit/check_span.py says why):
 * a table only some programs need is mapped when first used (table.c).
 */
#define WS_BIG __attribute__((section(".lbss")))

/* *table, mapped (size bytes of zeroes) by its first caller; NULL if it
 * cannot be.  Keeps errno (table.c). */
void *ws_table_map(void *_Atomic *table, size_t size);

/*
 * Code every process runs, traced or not (its start, main's wrapper, its
 * exit), what the start of every traced one runs (its settings, its clock
 * pair, the stack's and Python's set-up) and what the end of a served one
 * that recorded nothing runs (its closing hello) goes with the
 * constructor, in .text.startup: the start touches those pages anyway,
 * where the others would each cost a fault on the hosts above (the kernel
 * maps 64 KiB of our text at each) and, where the hypervisor shadows page
 * tables, some 1.5 us more for each page touched.
 */
#define WS_EVERY_PROCESS __attribute__((section(".text.startup")))

/*
 * Strings a process reads at its start, traced or not (the names of the
 * settings it looks for, of the functions it looks up), kept with that
 * code in the text rather than in .rodata: the start touches nothing else
 * of .rodata (no constant either: see WS_NO_MERGE), whose page would cost
 * every process a fault for a few names.  (Read-only data in an
 * executable section is readable.)
 */
#define WS_START_DATA __attribute__((section(".text.startup.str")))
#define WS_START_STR(s)                                                                            \
    (__extension__({                                                                               \
        static const char ws_str_[] WS_START_DATA = s;                                             \
        ws_str_;                                                                                   \
    }))

/*
 * What every process writes at its start, traced or not (main's real
 * function and the program's), and what a traced short process writes
 * (the start's variables, a served image's head and closing hello, the
 * fd fence), kept in .data: the page where .data ends is written by the
 * loader anyway (it zeroes what follows .data there), where a variable
 * of the .bss past it may lie on a page of its own, which would cost
 * every process a fault as the library grows.  That page also holds
 * ws_hot, the real functions' pointers (real.h) and the start of .bss
 * (real.c's and init.c's variables first): some 3.6 KiB in all, and
 * e2e.harm.pages_written fails when they no longer fit.
 */
#define WS_START_RW __attribute__((section(".data.ws_start")))

/* Between two stores of constants in the start: the compiler would merge
 * them into one wider constant, which it reads from .rodata. */
#define WS_NO_MERGE() __asm__ volatile("" ::: "memory")

/*
 * Per-thread state.  It lives in a static array rather than in TLS so that
 * the flusher may read a thread's counters at any time, even as the thread
 * exits; the thread finds its slot through its TLS (ws_me.self).  What
 * a wrapper writes with is in the thread's TLS instead (struct ws_local).
 */
struct ws_thread {
    uint32_t retired[5]; /* (the writing position once: now in ws_local; kept so
                            that the fields after are where a flusher of an older
                            version looks) */
    uint32_t serial;     /* 1.. in this process; 0: slot free */
    pid_t tid;
    uint64_t stream_off;   /* bytes this thread handed over before its buffer */
    uint64_t uncontended;  /* lock acquisitions that did not wait */
    uint64_t reported;     /* the flusher's: uncontended last written */
    int busy;              /* stop recording at the next buffer (ws_all_busy()) */
    int unwinding;         /* taking a stack (stack.c): take no other */
    uint32_t db_depth;     /* inside a database wrapper (dbstate.h) */
    struct ws_dbstate *db; /* its executions in progress, or NULL */
    /* From here on, fields a flusher of an older version does not know:
     * it finds the others where it expects them, and zeros here. */
    uint32_t handed; /* buffers handed over since it last woke the flusher */
    /* The waiting call it is in (0: none), for the flusher at the end: a
     * thread that waits until its process ends (a worker parked on a
     * condition, a master in sigsuspend) never returns to record it. */
    _Atomic uint32_t wait_call;
    int64_t wait_obj;
    uint64_t wait_start, wait_caller;
    uint32_t marks;     /* its marks open (mark.c) */
    uint32_t buf_index; /* its buffer, 1 + its index in bufs[] (0: none), for
                           the flusher: how far it wrote (meta.c) */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ws_thread) == 128, "a thread's slot: two cache lines");

#define WS_MAX_THREADS 4096
#define WS_REGION_NAME "whyslow-buffers" /* as /proc/PID/maps shows it */
#define WS_ARGS_MAX    65536             /* bytes of a command line kept */
#define WS_EXE_MAX     4096              /* bytes of the executable's path kept */

/*
 * Everything the program's threads share with the flusher: one MAP_SHARED
 * mapping of a memfd, at the same address in both (a flusher process is a
 * fork of the program, or maps it there: launch.c), so the queue's
 * pointers are valid on both sides.  From its start: the buffers' memory,
 * the buffer headers (ws_bufs), the thread slots (ws_threads), and last
 * this head (ws_sh), for the reason buffer.c gives.
 */
struct ws_shared {
    struct ws_serve_status serve;    /* first: record's answer (whyslow/serve.h) */
    struct cds_wfcq_head queue_head; /* full buffers, to the flusher */
    struct cds_wfcq_tail queue_tail;
    _Atomic uint32_t wake_seq;  /* futex: the program wakes the flusher */
    _Atomic int sleeping;       /* the flusher waits on wake_seq */
    _Atomic uint32_t done;      /* futex: the flusher wrote the end */
    _Atomic uint32_t proc_read; /* futex: at the end, it read what it reads
                                   of the program in /proc (maps, thread
                                   names): all a served program waits for */
    _Atomic uint32_t maps_seen; /* futex: the flusher wrote a memory map of
                                   the program (a served one waits for it at
                                   exec: launch.c) */
    _Atomic pid_t flusher_pid;  /* the flusher process, when the program can
                                   signal it (0: a thread, or another pid
                                   namespace) */
    _Atomic int stopped;        /* a signal stopped the flusher: nothing more
                                   is written (launch.c) */
    /* A flusher thread, at exec: the program asks for everything to be
     * written (sync_req) and waits until it is (sync_done, a futex). */
    _Atomic uint32_t sync_req, sync_done;
    _Atomic uint32_t flusher_started; /* a flusher thread: 1 started, 2 failed */
    _Atomic int end_kind;             /* how the image ends (enum ws_end_kind) */
    int64_t end_status;
    uint64_t end_ts;
    _Atomic uint64_t lost; /* events dropped, whole process */
    _Atomic uint32_t next_serial;
    /* Slots [0, slots_used) may be in use: loops over the threads stop
     * there, so a short process's end touches one page of the table, not
     * its 128 (each a fault that allocates shared memory). */
    _Atomic uint32_t slots_used;
    _Atomic uint32_t bufs_used;                      /* the same for buffers */
    _Atomic int free_bufs;                           /* a hint, so an empty pool is not scanned */
    pid_t pid, ppid;                                 /* the program */
    uint64_t start_ts, start_mono_ns, start_real_ns; /* when it started */
    unsigned nbufs;
    /* The settings a flusher needs (init.c), for one that is not a copy
     * of the program (serve.c). */
    unsigned flush_ms;
    uint8_t locks_all, redact_sql, redact_argv, clock_tsc;
    uint8_t jit_map_ours; /* `whyslow record` asked Node for its perf map:
                             the flusher removes it once copied (meta.c) */
    /* A served program that recorded events puts, at its end, what its
     * flusher would read of it in /proc then (its memory map, then its
     * live threads' names: own_names struct ws_given_name, 4-aligned, by
     * slot) in text, after its command line, and stores the map's length
     * last (0: nothing given): it need not wait until the flusher has read
     * them (launch.c). */
    uint32_t own_names;
    _Atomic uint32_t own_maps_len;
    /* A served program's executable and arguments (as /proc/PID/exe and
     * /proc/PID/cmdline say them, or the path its exec was given:
     * exe_as_given), which its flusher may come too late to read there
     * (launch.c): the executable's path (at most
     * WS_EXE_MAX bytes), then the arguments, packed, so that a short
     * command line stays in the head's first page (on some hosts each
     * page a process touches costs it tens of microseconds: a fault, and
     * its unmapping at the end).  WS_TEXT_MAX bytes in a region; a served
     * image that has no region yet keeps only the fields before it
     * (init.c's pending_head) and puts its text elsewhere (launch.c). */
    uint32_t exe_len, args_len;
    uint8_t exe_as_given; /* the path exec was given, not yet /proc's (meta.c) */
    char text[];
};
#define WS_TEXT_MAX  (WS_EXE_MAX + WS_ARGS_MAX)
#define WS_HEAD_SIZE (offsetof(struct ws_shared, text) + WS_TEXT_MAX) /* in a region */

/* A thread's name as its program gave it at its end (see own_maps_len). */
struct ws_given_name {
    uint32_t slot, serial;
    pid_t tid;
    char name[16];
};

extern struct ws_shared *ws_sh;
extern struct ws_thread *ws_threads; /* [WS_MAX_THREADS], below ws_sh */
extern struct ws_buf *ws_bufs;       /* [nbufs], below ws_threads */
/* The serial of the thread that created this one with pthread_create
 * (stack.c), 0 when unknown: its WS_EV_THREAD_START record says so. */
extern __thread uint32_t ws_parent __attribute__((tls_model("initial-exec")));

/*
 * The calling thread's slot, where it writes its records, and whether it
 * may: in its TLS, one cache line, rather than in the slot.  On hosts
 * whose syscalls flush the TLB (page-table isolation without PCID) each
 * page a wrapper touches after the real call costs a page walk, and the
 * slot was one more than the buffer itself: with this, a traced write()
 * costs some 7-14 ns less there (tests/bench, the reference wrapper side
 * by side).  The TLS lies next to libc's own thread data, which the call
 * touches anyway.  A signal handler on the thread sees the same state
 * (depth).
 */
struct ws_local {
    struct ws_thread *self;     /* its slot; NULL before its first event */
    struct ws_buf *buf;         /* current buffer, or NULL */
    uint8_t *data;              /* its memory */
    uint32_t pos;               /* next free byte in it */
    uint32_t next_pos;          /* pos once the record being written is committed */
    uint64_t word;              /* its first word, stored last (ws_emit_commit()) */
    uint32_t depth;             /* emits in progress on this thread (signals) */
    int busy;                   /* do not record on this thread */
    _Atomic uint64_t fd_seen;   /* the last fd it asked of (ws_fd_state()) */
} __attribute__((aligned(64))); /* one cache line */
extern __thread struct ws_local ws_me __attribute__((tls_model("initial-exec")));

extern int ws_region_fd; /* its memfd, until the flusher started */

/* When the program started, and its parent then, as a region's head
 * says them. */
struct ws_start {
    uint64_t ts, mono_ns, real_ns;
    pid_t ppid;
};
int ws_shared_create(unsigned nbufs, const struct ws_start *started); /* NULL: now */
void ws_head_init(struct ws_shared *sh, unsigned nbufs, const struct ws_start *started);
size_t ws_region_size(unsigned nbufs);
size_t ws_region_head_at(unsigned nbufs);             /* where ws_sh is in the region */
void ws_region_place(uint8_t *start, unsigned nbufs); /* sets ws_sh and the rest */
uint8_t *ws_region_data(unsigned nbufs);              /* the region's start: its buffers' memory */
/* Buffer k's memory, of the nbufs from data on: from the last down, so
 * that the first taken lies next to the headers (buffer.c). */
static inline uint8_t *ws_buf_memory(uint8_t *data, unsigned nbufs, size_t k)
{
    return data + (nbufs - 1 - k) * (size_t)WS_BUF_SIZE;
}
unsigned ws_slots_used(void); /* bounded: the region is the program's to scribble on */
void ws_all_busy(void);       /* no thread records any more */
void ws_stop_recording(void); /* a flusher gave up: the program goes on untraced (stopped) */
struct ws_thread *ws_enter_slow(void);
void ws_thread_detach(struct ws_thread *t);
void ws_thread_internal(void);
void ws_buffer_release(struct ws_buf *b);
uint32_t ws_buf_filled(const struct ws_buf *b, uint32_t from); /* flusher.c */
struct ws_buf *ws_next_buffer(struct ws_thread *t);
void ws_lose(void);

/*
 * Appends one record to the calling thread's buffer (ws_me; t is its
 * slot): a few stores, inlined in every wrapper.  ws_emit_reserve()
 * writes the fixed part and returns where the plen bytes of payload go
 * (NULL when the event is dropped); then ws_emit_commit() publishes the
 * record.  A signal handler that interrupts
 * this on the same thread finds depth set and drops its event (counted)
 * rather than race for the position; one that runs before depth is set
 * finishes before we read the position, so nothing is written twice.
 *
 * A record may end with a call stack (nframes return addresses after the
 * payload, counted in plen; the count in pad), which the flusher writes
 * as the record's stack (format.h, WS_CALL_STACK).
 */
static inline uint8_t *ws_emit_put(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                                   int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                                   uint32_t plen, const uint64_t *frames, unsigned nframes)
{
    if (unlikely(ws_me.depth)) {
        ws_lose();
        return NULL;
    }
    ws_me.depth = 1;
    barrier();
    if (plen > WS_MAX_PAYLOAD) plen = WS_MAX_PAYLOAD;
    uint32_t size = ws_raw_size(plen + nframes * 8);
    struct ws_buf *b = ws_me.buf;
    if (unlikely(!b || ws_me.pos + size > WS_BUF_SIZE)) {
        b = ws_next_buffer(t);
        if (!b) {
            barrier();
            ws_me.depth = 0;
            ws_lose();
            return NULL;
        }
    }
    struct ws_raw *r = (struct ws_raw *)(ws_me.data + ws_me.pos);
    ws_me.word = ws_raw_word(plen + nframes * 8, call, nframes, err);
    r->start = start;
    r->dur = end - start;
    r->obj = obj;
    r->result = result;
    r->caller = caller;
    if (nframes) __builtin_memcpy((uint8_t *)(r + 1) + plen, frames, nframes * 8);
    ws_me.next_pos = ws_me.pos + size;
    return (uint8_t *)(r + 1);
}

/* pyframes.c: the Python frames of a CPython program's events.  A site
 * is taken where the event is (site[0] 0: none), and written just before
 * the event's record; a slow event's stack is written by
 * ws_emit_reserve_stack(). */
void ws_py_init(int off);
void ws_py_fork_child(void);
/* The site of a database call (its thread's frames stand still). */
void ws_py_site(struct ws_thread *t, uint64_t at, uint64_t site[2]);
/* The site of the thread's next event, taken and written now (a wait, a
 * call among the slowest); out of line: the wrappers only call it. */
__attribute__((noinline)) void ws_py_note_site(struct ws_thread *t, uint64_t at);
/* The site of a database execution: written only when it differs from
 * the one the thread's last execution had. */
void ws_py_emit_db_site(struct ws_thread *t, const uint64_t site[2], uint64_t at);
void ws_py_emit_stack(struct ws_thread *t, uint64_t at);

/* stack.c: events at least this long keep their call stack. */
extern _Atomic uint64_t ws_stack_ticks;
uint8_t *ws_emit_reserve_stack(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                               int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                               uint32_t plen);
void ws_stack_init(uint64_t ns); /* the threshold in ns, 0: no stacks */

/* The stack threshold (ws_stack_ticks), for a wrapper to read before its
 * real call (see ws_emit_at()). */
static inline uint64_t ws_stack_threshold(void)
{
    return atomic_load_explicit(&ws_stack_ticks, memory_order_relaxed);
}

/* ws_emit_reserve() given the stack threshold. */
static inline uint8_t *ws_emit_reserve_at(struct ws_thread *t, unsigned call, uint32_t err,
                                          int64_t obj, int64_t result, uint64_t start, uint64_t end,
                                          uint64_t caller, uint32_t plen, uint64_t slow)
{
    /* Only slow events pay for a stack, and only after their call. */
    if (unlikely(end - start >= slow))
        return ws_emit_reserve_stack(t, call, err, obj, result, start, end, caller, plen);
    return ws_emit_put(t, call, err, obj, result, start, end, caller, plen, NULL, 0);
}

static inline uint8_t *ws_emit_reserve(struct ws_thread *t, unsigned call, uint32_t err,
                                       int64_t obj, int64_t result, uint64_t start, uint64_t end,
                                       uint64_t caller, uint32_t plen)
{
    return ws_emit_reserve_at(t, call, err, obj, result, start, end, caller, plen,
                              ws_stack_threshold());
}

static inline void ws_emit_commit(void)
{
    /* Publish the record to the flusher: its first word, last. */
    atomic_store_explicit((_Atomic uint64_t *)(ws_me.data + ws_me.pos), ws_me.word,
                          memory_order_release);
    ws_me.pos = ws_me.next_pos;
    barrier();
    ws_me.depth = 0;
}

/* ws_emit() of a record without payload, with the stack threshold a
 * wrapper read before its real call: after a syscall that flushed the TLB
 * (PTI without PCID) each page touched costs a miss, so what the record
 * needs of the tracer's globals is read before, and after the call only
 * the thread's TLS (ws_me) and buffer are touched. */
static inline void ws_emit_at(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                              int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                              uint64_t slow)
{
    if (ws_emit_reserve_at(t, call, err, obj, result, start, end, caller, 0, slow))
        ws_emit_commit();
}

static inline void ws_emit(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                           int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                           const void *payload, uint32_t plen)
{
    if (plen > WS_MAX_PAYLOAD) plen = WS_MAX_PAYLOAD;
    uint8_t *p = ws_emit_reserve(t, call, err, obj, result, start, end, caller, plen);
    if (!p) return;
    if (plen) __builtin_memcpy(p, payload, plen);
    ws_emit_commit();
}

/* Around the real call of a wrapper whose call waits (WS_CALL_WAITS):
 * the thread's slot says what it waits in.  The slot is the thread's
 * own, in its cache; the flusher reads it only at the end.  A signal
 * handler's wait inside another wait clears the mark of the outer one,
 * which then, if it never returns, is not seen. */
static inline void ws_wait_begin(struct ws_thread *t, unsigned call, int64_t obj, uint64_t start,
                                 uint64_t caller)
{
    t->wait_obj = obj;
    t->wait_start = start;
    t->wait_caller = caller;
    atomic_store_explicit(&t->wait_call, call, memory_order_release);
}

static inline void ws_wait_end(struct ws_thread *t)
{
    atomic_store_explicit(&t->wait_call, 0, memory_order_relaxed);
}

/* v in decimal at p, without snprintf() (a signal handler may run on a
 * small alternate stack: printf's machinery takes some 1 KiB of it);
 * returns the end.  For /proc paths. */
static inline char *ws_put_dec(char *p, unsigned v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

extern _Atomic int ws_on;      /* recording (init.c) */
extern _Atomic int ws_settled; /* the settings are read (ws_locks_all, ...) */

/*
 * The thread's state when the calling thread may record, else NULL: before
 * init and after shutdown, in the flusher, inside the tracer, and for
 * threads beyond WS_MAX_THREADS (whose events are counted as lost).
 */
static inline struct ws_thread *ws_enter(void)
{
    struct ws_thread *t = ws_me.self;
    if (likely(t && !ws_me.busy)) return t;
    /* Not recording: no call out (a thread's first event is rare, a
     * recorder gone quiet is not). */
    if (!t && !atomic_load_explicit(&ws_on, memory_order_relaxed)) return NULL;
    return ws_enter_slow();
}

/* ---- flusher.c: the flusher ---- */

enum ws_flusher_mode { WS_FLUSHER_PROCESS = 1, WS_FLUSHER_THREAD, WS_FLUSHER_SERVED };

int ws_flusher_init(void);
long ws_futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts);
unsigned ws_bufs_used(void);     /* the buffers that may have been used, bounded */
void ws_close_all_but(int keep); /* keep -1: every fd */
extern pid_t ws_proc_pid;        /* the program, as the flusher's /proc names it */

/* ---- launch.c: starting the flusher, ending with it ---- */

extern enum ws_flusher_mode ws_mode; /* where this process's flusher runs */
extern char **ws_start_argv;         /* the program's arguments, until its hello */
extern char ws_serve_sock[];         /* WHYSLOW_SOCK as it was at the start ("": none) */
void ws_note_sock(void);             /* reads it, at the start */
void ws_note_start(int argc, char **argv, int later); /* what the hello says of the start */
void ws_forget_start(void);                           /* a fork child: /proc says it */
size_t ws_start_args(char *args);        /* the arguments the start kept (WS_ARGS_MAX bytes) */
const char *ws_start_block(size_t *len); /* the same in place, when it kept exec's block */
/* Reads a small /proc file into buf, without tracing; its length, 0 on
 * failure (meta.c). */
size_t ws_read_file(const char *path, char *buf, size_t cap);
extern int ws_reaper_line; /* it reaps orphans, or a traced process above it does */
int ws_reaps_orphans(pid_t self);
int ws_flusher_start(void);
int ws_serve_closing(void); /* a closing hello: the log from the head (init.c) */
void ws_flusher_enqueue(struct ws_thread *t, struct ws_buf *b);
void ws_flusher_wake(void);
void ws_flusher_end(int end_kind, int64_t status);
void ws_flusher_exec_failed(void);

/* ---- closelog.c: the log of an image that recorded nothing, by itself ---- */

int ws_write_closing_log(void); /* from the head (init.c); 0 when written */

/* ---- logfile.c: the log directory and the log ---- */

extern char ws_why[512]; /* why the last step of starting failed */
int ws_logdir_open(const char *path, int make);
int ws_log_create_in(int dirfd, const char *dir, pid_t pid);
int ws_log_create(void);
int ws_log_open_private(void);
int ws_log_write(const uint8_t *p, size_t n);
int ws_write_all(int fd, const uint8_t *p, size_t n);
/* A log's or a pack's header (format.h), and a new file with one: BASE.wslog
 * in dirfd (BASE-N.wslog when taken; its name in name unless NULL), locked
 * (LOCK_EX) if lock; its fd, or -1 with errno. */
void ws_file_header(uint8_t hdr[24], uint32_t magic, const char tag[8], uint32_t version);
int ws_file_new(int dirfd, const char *base, const uint8_t hdr[24], int lock, char name[64]);
char *ws_decimal(char *out, int v); /* v in decimal, ended by a NUL (12 bytes) */
extern int ws_log_fd;

/* ---- logpack.c: a served process's log kept in memory, then packed ---- */

#define WS_PACK_MS  1000      /* a log kept this long (seen at a flush) gets its file, */
#define WS_PACK_MAX (1 << 20) /* and one this large */
int ws_log_keep(int dirfd, const char *dir, pid_t pid);
int ws_log_kept(void);
int ws_log_kept_write(const uint8_t *p, size_t n);
int ws_log_kept_tick(uint64_t now_ns);
int ws_log_finish(void);
/* A flusher thread's log fd in the program's own table (-1: none) */
extern _Atomic int ws_guard_fd;
void ws_guard_take(void);
void ws_guard_give(void);
void ws_guard_forget(void);
/* The fence between a flusher thread's fds and the program's calls that
 * end or replace fds, where they share one table (logfile.c). */
extern _Atomic int ws_fds_shared;
void ws_fds_enter(void);
void ws_fds_leave(void);
int ws_fds_hold(void);
void ws_fds_release(void);

/* ---- fdinfo.c ---- */

#define WS_FD_TABLE 65536
extern _Atomic uint8_t ws_fd_known[WS_FD_TABLE];
extern _Atomic int ws_fd_high; /* no fd at or above it is marked known */
void ws_fd_describe(struct ws_thread *t, int fd, uint64_t when);
void ws_fd_forget_all(void);

/* Whether fd was described (or is past the table): a wrapper may ask
 * before its real call. */
static inline int ws_fd_is_known(int fd)
{
    return (unsigned)fd >= WS_FD_TABLE ||
           atomic_load_explicit(&ws_fd_known[fd], memory_order_relaxed);
}

/* Bumped after every change to ws_fd_known (ws_fd_set(), ws_fd_forget_all()). */
extern _Atomic uint32_t ws_fd_gen;

/*
 * What ws_fd_known says of fd (an fd past the table: known, not followed).
 * A thread keeps the answer for the last fd it asked of in its TLS, with
 * ws_fd_gen then, packed in one word (a signal handler asking between
 * two stores would otherwise pair one fd with another's state): a thread
 * that works on one fd at a time (most loops) then does not touch the
 * table, a page of its own, which after a syscall that flushed the TLB
 * costs a page walk.
 */
static inline unsigned ws_fd_state(int fd)
{
    if ((unsigned)fd >= WS_FD_TABLE) return 1;
    uint64_t gen = atomic_load_explicit(&ws_fd_gen, memory_order_acquire);
    uint64_t seen = atomic_load_explicit(&ws_me.fd_seen, memory_order_relaxed);
    uint64_t key = gen << 32 | (uint64_t)fd << 8;
    if (likely((seen & ~(uint64_t)0xff) == key)) return (unsigned)(seen & 0xff);
    unsigned state = atomic_load_explicit(&ws_fd_known[fd], memory_order_relaxed);
    atomic_store_explicit(&ws_me.fd_seen, key | state, memory_order_relaxed);
    return state;
}

/* Before an event on fd that started at `when`: describe the fd the first
 * time it is seen, stamped with the event's start so that it sorts first. */
static inline void ws_fd_seen(struct ws_thread *t, int fd, uint64_t when)
{
    if (!ws_fd_is_known(fd)) ws_fd_describe(t, fd, when);
}

static inline void ws_fd_set(int fd, uint8_t known)
{
    if ((unsigned)fd >= WS_FD_TABLE) return;
    atomic_store_explicit(&ws_fd_known[fd], known, memory_order_relaxed);
    atomic_fetch_add_explicit(&ws_fd_gen, 1, memory_order_release);
    /* Raised only: a lower value lost to a race leaves some fds known that
     * ws_fd_forget_all() does not clear, which costs only their names in
     * a child. */
    if (known && fd >= atomic_load_explicit(&ws_fd_high, memory_order_relaxed))
        atomic_store_explicit(&ws_fd_high, fd + 1, memory_order_relaxed);
}

/* ---- http.c: HTTP/1.x messages on stream sockets ---- */

struct iovec;

/* ws_fd_known[fd]: a stream socket whose bytes http.c follows. */
#define WS_FD_WATCH 2
extern int ws_http_on;    /* WHYSLOW_HTTP is not "off" */
extern int ws_redact_url; /* WHYSLOW_REDACT=url */
void ws_http_reset(int fd);
void ws_http_bytes(struct ws_thread *t, int fd, int dir, const void *buf, size_t n, uint64_t s,
                   uint64_t e, uint64_t caller);
void ws_http_iov(struct ws_thread *t, int fd, int dir, const struct iovec *iov, size_t cnt,
                 size_t n, uint64_t s, uint64_t e, uint64_t caller);
/* Plaintext of a TLS connection on fd (wrap_ssl.c). */
void ws_http_plain(struct ws_thread *t, int fd, int dir, const void *buf, size_t n, uint64_t s,
                   uint64_t e, uint64_t caller);
void ws_http_skip(struct ws_thread *t, int fd, int dir, size_t n, uint64_t s, uint64_t e,
                  uint64_t caller);
void ws_http_eof(struct ws_thread *t, int fd, uint64_t s, uint64_t e, uint64_t caller);
void ws_http_closed(struct ws_thread *t, int fd, uint64_t s, uint64_t e, uint64_t caller);
/* A new socket fd (accepted, connected, first seen): followed when it is
 * a stream socket; served: 1 accepted, 0 connected, -1 not known (as an
 * accept in this process or its parent said). */
void ws_http_watch(int fd, int served);

/* ---- init.c: configuration and lifecycle ---- */

extern int ws_hands_off;     /* a setuid program or the like: no change at all */
extern int ws_debug;         /* WHYSLOW_DEBUG */
extern int ws_jit_map_ours;  /* WHYSLOW_JIT_MAP=record (init.c) */
extern int ws_redact_sql;    /* WHYSLOW_REDACT=sql (or WHYSLOW_SQL=redact) */
extern int ws_redact_argv;   /* WHYSLOW_REDACT=argv */
extern int ws_locks_all;     /* WHYSLOW_LOCKS=all */
extern unsigned ws_flush_ms; /* WHYSLOW_FLUSH_MS */
extern const char *ws_dir;   /* WHYSLOW_DIR, absolute */

void ws_quiet(const char *why);
/* The region is not made yet: in a fork child, or in an image before
 * its first event (init.c). */
extern _Atomic int ws_fork_pending;
int ws_fork_setup(void);
void ws_setup_before_change(void);   /* made before a call that changes the process */
void ws_before_syscall(long number); /* the same for syscall(number) (wrap_change.c) */
void ws_lose_pending(void);
int ws_end_pending(int end_kind, int64_t status); /* an end while it is not made: 1 to go on */
void ws_quiet_pid(pid_t pid, const char *why);    /* about another process: a flusher's */
void ws_load_settings(void);                      /* a served flusher's, from the region */

/* ---- bypass.c ---- */

/* The object holding addr (SQLite, CPython) calls libc's mutex lock,
 * unlock, signal and broadcast directly from now on. */
void ws_bypass_locks_of(const void *addr);

/* wrap_lock.c's wrappers, by names no other library interposes. */
int ws_own_mutex_lock(pthread_mutex_t *m) __attribute__((nothrow, visibility("hidden")));
int ws_own_mutex_unlock(pthread_mutex_t *m) __attribute__((nothrow, visibility("hidden")));
int ws_own_cond_signal(pthread_cond_t *c) __attribute__((nothrow, visibility("hidden")));
int ws_own_cond_broadcast(pthread_cond_t *c) __attribute__((nothrow, visibility("hidden")));

/* ---- real functions ---- */

#include "real.h"

/*
 * A system call made here, not through libc: what a served process does
 * before its first event and at its end (its pid, its clocks, the closing
 * hello) must not need the real functions found (real.c: their pointers
 * are a page of our .bss, the lookups some 30 us), nor fault in a page of
 * libc's text for one call (15 to 25 us on a virtual machine whose page
 * tables the hypervisor shadows).  As syscall(): -1 with errno set on
 * failure.  Elsewhere than x86-64, libc's syscall().
 */
#if defined(__x86_64__)
static inline long ws_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long r;
    __asm__ __volatile__("syscall"
                         : "=a"(r)
                         : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
#else
#define ws_sys6(n, a, b, c, d, e, f) REAL(syscall)(n, a, b, c, d, e, f)
#endif
#define ws_sys(...) ws_sys_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)
#define ws_sys_(n, a, b, c, d, e, f, ...)                                                          \
    ws_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* getpid() and getppid() in a traced process's start and end: libc's
 * getpid() is a page of its text that the start would fault in for it
 * alone. */
#define ws_getpid()  ((pid_t)ws_sys(SYS_getpid))
#define ws_getppid() ((pid_t)ws_sys(SYS_getppid))

#endif
