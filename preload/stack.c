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
 * allocates nor calls into the wrappers.
 *
 * The duration threshold is in timestamp units.  With the TSC their rate
 * is known only once some time has passed: until then the threshold
 * assumes 1 tick per ns (TSCs tick at 1 GHz or more, so no slow event is
 * missed), and the first slow-looking event after 10 ms measures the rate
 * against CLOCK_MONOTONIC and sets the exact threshold.
 */
#include <link.h>
#include <stdint.h>
#include <unwind.h>

#include "internal.h"

_Atomic uint64_t ws_stack_ticks = UINT64_MAX; /* no stacks until ws_stack_init() */

static uint64_t stack_ns;          /* the threshold in ns (0: no stacks) */
static _Atomic int calibrated;     /* ws_stack_ticks is exact */
static uintptr_t self_lo, self_hi; /* this library's code: frames left out */

/* Finds the mapped range of the object holding this file's code. */
static int find_self(struct dl_phdr_info *info, size_t size, void *data)
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

void ws_stack_init(double stack_ms)
{
    stack_ns = (uint64_t)(stack_ms * 1e6);
    if (stack_ns == 0) {
        atomic_store(&ws_stack_ticks, UINT64_MAX);
        return;
    }
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&ws_stack_init);
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
};

static _Unwind_Reason_Code one_frame(struct _Unwind_Context *ctx, void *data)
{
    struct unwind *u = data;
    uintptr_t ip = _Unwind_GetIP(ctx);
    if (ip == 0) return _URC_END_OF_STACK;
    if (ip >= self_lo && ip < self_hi) return _URC_NO_REASON; /* ours */
    u->frames[u->n++] = ip;
    return u->n == WS_STACK_MAX ? _URC_END_OF_STACK : _URC_NO_REASON;
}

uint8_t *ws_emit_reserve_stack(struct ws_thread *t, unsigned call, uint32_t err, int64_t obj,
                               int64_t result, uint64_t start, uint64_t end, uint64_t caller,
                               uint32_t plen)
{
    uint64_t frames[WS_STACK_MAX];
    struct unwind u = {frames, 0};
    if (!atomic_load_explicit(&calibrated, memory_order_relaxed)) calibrate();
    /* Not while an emit is under way on this thread (we are in a signal
     * handler: ws_emit_put drops the event), nor inside another unwind. */
    if (end - start >= atomic_load_explicit(&ws_stack_ticks, memory_order_relaxed) && !t->depth &&
        !t->unwinding) {
        t->unwinding = 1;
        barrier();
        _Unwind_Backtrace(one_frame, &u);
        barrier();
        t->unwinding = 0;
    }
    return ws_emit_put(t, call, err, obj, result, start, end, caller, plen, frames, u.n);
}
