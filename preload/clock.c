/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the timestamps of events.
 *
 * Events are stamped with rdtsc (10 to 20 ns on these hosts, against 25 ns for
 * clock_gettime) when the TSC is invariant: it then ticks at a constant
 * rate on every CPU, and the log's CLOCK records (TSC paired with
 * CLOCK_MONOTONIC and CLOCK_REALTIME) let the decoder turn ticks into
 * nanoseconds and wall time.  Where the TSC is not invariant, or on other
 * processors, events are stamped with CLOCK_MONOTONIC nanoseconds.
 */
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <sys/platform/x86.h>
#endif

#include "internal.h"

WS_HOT int ws_clock_tsc;

uint64_t ws_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ws_now_mono(void)
{
    return ws_mono_ns();
}

uint64_t ws_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC or CLOCK_REALTIME in ns: through the vDSO, or (sys)
 * by system calls.  A process's first read of the vDSO's clocks faults in
 * its data pages and libc's clock_gettime(), some 40 us on a virtual
 * machine whose page tables the hypervisor shadows, where each system
 * call costs a microsecond or two: the program's side reads its start's
 * pair by system calls (most short processes never read a clock
 * themselves); the flusher, which reads one every tick, by the vDSO. */
WS_EVERY_PROCESS static uint64_t clock_ns(clockid_t id, int sys)
{
    struct timespec ts;
    if (sys)
        ws_sys(SYS_clock_gettime, id, &ts);
    else
        clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The decoder turns timestamps into nanoseconds by the rate between two
 * such pairs (format.h), so a pair must be read at one moment: a thread
 * preempted, or faulting on a fresh page, between its timestamp and its
 * clocks pairs them milliseconds apart, and a short process's every time
 * comes out some per cent off (a 30 ms sleep read as 28.7 ms under load).
 * Of three reads, the one whose bracketing timestamps are closest, its
 * clocks given the middle of them. */
WS_EVERY_PROCESS void ws_clock_pair(uint64_t *ts, uint64_t *mono_ns, uint64_t *real_ns, int sys)
{
    int tsc = ws_clock_tsc;
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t a = ws_stamp(tsc), m = clock_ns(CLOCK_MONOTONIC, sys);
        uint64_t r = clock_ns(CLOCK_REALTIME, sys), b = ws_stamp(tsc);
        if (b >= a && b - a < best) {
            best = b - a;
            *ts = a + (b - a) / 2;
            *mono_ns = m;
            *real_ns = r;
        }
    }
    if (best == UINT64_MAX) { /* (a clock that went back: take the last) */
        *ts = ws_stamp(tsc);
        *mono_ns = clock_ns(CLOCK_MONOTONIC, sys);
        *real_ns = clock_ns(CLOCK_REALTIME, sys);
    }
}

/* CPUID 0x80000007, EDX bit 8: the TSC runs at a constant rate in every
 * P-, C- and T-state.  Read from what glibc learned at its start, not with
 * CPUID: in a virtual machine each CPUID traps to the hypervisor (about
 * 6 us here, four of them in __get_cpuid), which every traced process,
 * the shortest too, would pay.  WHYSLOW_CLOCK=monotonic forces the
 * fallback. */
WS_EVERY_PROCESS void ws_clock_init(void)
{
    ws_clock_tsc = 0;
#if defined(__x86_64__) || defined(__i386__)
    ws_clock_tsc = CPU_FEATURE_PRESENT(INVARIANT_TSC) != 0;
#endif
}
