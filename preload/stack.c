/* SPDX-License-Identifier: MIT */
/*
 * stack.c - the native call stacks of slow events.
 *
 * An event that lasted at least WHYSLOW_STACK_MS (1 ms by default) keeps
 * the call stack of its caller, so the report can say where a slow call or
 * a long lock wait came from.  The stack is taken after the call returned,
 * in the wrapper, so only slow events pay for it (a few microseconds
 * against the millisecond they already took); the uncontended and fast
 * paths only compare their duration with ws_stack_ticks.
 *
 * The unwinder is libgcc's _Unwind_Backtrace, which reads the DWARF CFI
 * that every Debian object carries (.eh_frame), so it works without frame
 * pointers.  With glibc 2.35 and later it finds an address's object with
 * _dl_find_object, which takes no lock: unwinding cannot deadlock with a
 * dlopen in another thread, nor in a signal handler.  It neither
 * allocates nor calls into the wrappers.  It is linked in, hidden
 * (libgcc_eh.a), not libgcc_s.so: loading that costs every traced
 * process, short ones too, its constructor's CPUID instructions, each a
 * trap to the hypervisor in a virtual machine.  Our copy has unwind data
 * registered by no one: the program's JIT frames (__register_frame) go to
 * libgcc_s's, so a stack just ends at such a frame, and our lookups never
 * take the registry's mutex, which a signal handler's stack could find
 * held by the code it interrupted.
 *
 * Where unwinding could harm the program, no stack is taken:
 *  - with too little stack left: libgcc's unwinder needs about 2 KiB more
 *    than the call did, and a thread may run close to the end of a small
 *    stack.  A thread's stack bounds are learned when it starts (threads
 *    are started through our pthread_create, see below; the main thread's
 *    follow from RLIMIT_STACK); a thread whose bounds are unknown, or a
 *    call made on another stack (a sigaltstack, a coroutine's), gets none;
 *  - past a signal frame: the code a signal interrupted may be at any
 *    address (a crash handler's slow write after a jump to nowhere), and
 *    libgcc reads the code bytes of a frame it has no unwind data for.
 *
 * The duration threshold is in timestamp units.  With the TSC their rate
 * is known only once some time has passed: until then the threshold
 * assumes 1 tick per ns (TSCs tick at 1 GHz or more, so no slow event is
 * missed), and the first slow-looking event after 10 ms measures the rate
 * against CLOCK_MONOTONIC and sets the exact threshold.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unwind.h>

#include "internal.h"

extern void *__libc_stack_end; /* the loader's: where argc is, on the main stack */

_Atomic uint64_t ws_stack_ticks = UINT64_MAX; /* no stacks until ws_stack_init() */

/* (WS_START_RW: every traced start writes them) */
static uint64_t stack_ns WS_START_RW;      /* the threshold in ns (0: no stacks) */
static _Atomic int calibrated WS_START_RW; /* ws_stack_ticks is exact */
/* this library's code: frames left out */
static uintptr_t self_lo WS_START_RW, self_hi WS_START_RW;

/* The calling thread's stack, [lo, hi); 0, 0 when unknown. */
static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

/* Stack the unwinder may use: it needs about 2 KiB; the rest is for a
 * signal handler that may interrupt it. */
#define STACK_ROOM (32 * 1024)

static inline uintptr_t stack_pointer(void)
{
    return (uintptr_t)__builtin_frame_address(0);
}

/* Finds the mapped range of the object holding this file's code. */
WS_EVERY_PROCESS static int find_self(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t me = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (me >= lo && me < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

WS_EVERY_PROCESS void ws_stack_init(uint64_t ns)
{
    stack_ns = ns;
    if (stack_ns == 0) {
        atomic_store(&ws_stack_ticks, UINT64_MAX);
        return;
    }
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ws_stack_init);
    /* The main thread's stack: every frame lies below where the loader
     * found argc (__libc_stack_end: the frame-pointer walk must not read
     * past the stack's top), and it ends RLIMIT_STACK below its top (the
     * arguments and environment above argc take at most a quarter of it).
     * Unlimited: not known.  (pthread_getattr_np would read
     * /proc/self/maps: a cost to every process.) */
    struct rlimit rl;
    uintptr_t top = (uintptr_t)__libc_stack_end;
    if (top && getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < top / 2) {
        stack_hi = top;
        stack_lo = top - rl.rlim_cur * 3 / 4 + 65536;
    }
    atomic_store(&calibrated, !ws_clock_tsc);
    atomic_store(&ws_stack_ticks, stack_ns); /* exact for ns, a lower bound for ticks */
}

/* With the TSC: once 10 ms have passed since the start, the tick rate is
 * known well enough (the two clock reads are ~20 ns apart). */
static void calibrate(void)
{
    uint64_t ns = ws_mono_ns() - ws_sh->start_mono_ns;
    uint64_t ticks = ws_now() - ws_sh->start_ts;
    if (ns < 10000000u) return;
    atomic_store(&ws_stack_ticks, (uint64_t)((double)stack_ns * ((double)ticks / (double)ns)));
    atomic_store(&calibrated, 1);
}

struct unwind {
    uint64_t *frames;
    unsigned n;
    int signal;   /* it stopped at a signal frame: we are in a handler */
    uintptr_t fp; /* the last frame's frame pointer (rbp) */
};

/* Whether ip may be a signal trampoline (rt_sigreturn: glibc's "mov
 * $15,%rax; syscall", musl's "mov $15,%eax; syscall"): the frame a handler
 * returns to.  ip's page is mapped (libgcc found unwind data for it), the
 * next one may not be: only bytes of ip's page are read, and a pattern
 * that would go on past it counts as a match (stopping early only makes
 * the stack shorter). */
static int matches(uintptr_t ip, const uint8_t *pattern, size_t len)
{
    size_t in_page = 4096 - (ip & 4095);
    return memcmp((const void *)ip, pattern, len < in_page ? len : in_page) == 0;
}

static int sigreturn_at(uintptr_t ip)
{
#if defined(__x86_64__)
    static const uint8_t glibc[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    static const uint8_t musl[7] = {0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    return matches(ip, glibc, sizeof glibc) || matches(ip, musl, sizeof musl);
#else
    (void)ip;
    return 1; /* elsewhere: stop at any frame we cannot vouch for */
#endif
}

static _Unwind_Reason_Code one_frame(struct _Unwind_Context *ctx, void *data)
{
    struct unwind *u = data;
    uintptr_t ip = _Unwind_GetIP(ctx);
    if (ip == 0) return _URC_END_OF_STACK;
    if (ip >= self_lo && ip < self_hi) return _URC_NO_REASON; /* ours */
    if (sigreturn_at(ip)) {                                   /* not past a signal */
        u->signal = 1;
        return _URC_END_OF_STACK;
    }
#if defined(__x86_64__)
    u->fp = _Unwind_GetGR(ctx, 6); /* DWARF register 6: rbp */
#endif
    u->frames[u->n++] = ip;
    return u->n == WS_STACK_MAX ? _URC_END_OF_STACK : _URC_NO_REASON;
}

/* The unwinder stops at the first frame it has no unwind data for: JIT
 * code (V8's, the JVM's), which keeps frame pointers instead.  From the
 * last frame's rbp, the frames go on as the chain of saved rbp and return
 * addresses, read only inside this thread's stack, each further out
 * than the one before.  A stack that really ended (_start, a new thread)
 * has rbp 0 there. */
static void by_frame_pointers(struct unwind *u)
{
    uintptr_t fp = u->fp, lo = stack_pointer();
    if (lo < stack_lo) lo = stack_lo;
    while (u->n < WS_STACK_MAX && fp >= lo && fp + 16 <= stack_hi && !(fp & 7)) {
        uintptr_t next = ((const uintptr_t *)fp)[0], ip = ((const uintptr_t *)fp)[1];
        if (ip < 4096 || (ip >= self_lo && ip < self_hi)) break;
        u->frames[u->n++] = ip;
        if (next <= fp) break;
        fp = next;
    }
}

/* Whether this thread, here, has the room to unwind. */
static int room_to_unwind(void)
{
    uintptr_t sp = stack_pointer();
    return stack_lo && sp > stack_lo + STACK_ROOM && sp < stack_hi;
}

uint8_t *ws_emit_reserve_stack(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                               int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                               uint32_t plen)
{
    uint64_t frames[WS_STACK_MAX];
    struct unwind u = {frames, 0, 0, 0};
    if (!atomic_load_explicit(&calibrated, memory_order_relaxed)) calibrate();
    /* Not while an emit is under way on this thread (we are in a signal
     * handler: ws_emit_put drops the event), nor inside another unwind. */
    if (end - start >= atomic_load_explicit(&ws_stack_ticks, memory_order_relaxed) &&
        !ws_me.depth && !t->unwinding && room_to_unwind()) {
        t->unwinding = 1;
        barrier();
        _Unwind_Backtrace(one_frame, &u);
        if (!u.signal) by_frame_pointers(&u);
        barrier();
        t->unwinding = 0;
        /* Its Python frames, but in a signal handler: the interpreter
         * it interrupted may be changing them. */
        if (u.n && !u.signal) ws_py_emit_stack(t, start);
    }
    return ws_emit_put(t, call, err, obj, result, start, end, caller, plen, frames, u.n);
}

/* ---- threads: their creator and their stack's bounds ---- */

struct start {
    void *(*fn)(void *);
    void *arg;
    uint32_t parent; /* the creator's serial */
};

__thread uint32_t ws_parent __attribute__((tls_model("initial-exec")));

/* A new thread learns its creator and its stack's bounds, then runs its
 * function.  It is no signal handler and holds no lock: pthread_getattr_np
 * may allocate. */
static void *thread_start(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    ws_parent = s.parent;
    pthread_attr_t attr;
    void *addr;
    size_t size;
    int saved = errno;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            stack_lo = (uintptr_t)addr;
            stack_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    /* Its THREAD_START now, not at its first traced call: a wake it makes
     * long after it started is then no start handshake (wakes.c). */
    ws_enter();
    errno = saved;
    return s.fn(s.arg);
}

WS_REAL(pthread_create);
WS_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
                             void *arg)
{
    int saved = errno;
    struct start *s = atomic_load_explicit(&ws_on, memory_order_relaxed) ? malloc(sizeof *s) : NULL;
    errno = saved;
    if (!s) return REAL(pthread_create)(thread, attr, fn, arg);
    s->fn = fn;
    s->arg = arg;
    /* The creator's serial: it may not have recorded anything yet (main
     * starting its workers first thing), so it is attached now. */
    struct ws_thread *me = ws_enter();
    s->parent = me ? me->serial : 0;
    int r = REAL(pthread_create)(thread, attr, thread_start, s);
    if (r != 0) free(s);
    errno = saved;
    return r;
}
