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

/* The decoder turns timestamps into nanoseconds by the rate between two
 * such pairs (format.h), so a pair must be read at one moment: a thread
 * preempted, or faulting on a fresh page, between its timestamp and its
 * clocks pairs them milliseconds apart, and a short process's every time
 * comes out some per cent off (a 30 ms sleep read as 28.7 ms under load).
 * Of three reads, the one whose bracketing timestamps are closest, its
 * clocks given the middle of them. */
void ws_clock_pair(uint64_t *ts, uint64_t *mono_ns, uint64_t *real_ns)
{
    int tsc = ws_clock_tsc;
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t a = ws_stamp(tsc), m = ws_mono_ns(), r = ws_real_ns(), b = ws_stamp(tsc);
        if (b >= a && b - a < best) {
            best = b - a;
            *ts = a + (b - a) / 2;
            *mono_ns = m;
            *real_ns = r;
        }
    }
    if (best == UINT64_MAX) { /* (a clock that went back: take the last) */
        *ts = ws_stamp(tsc);
        *mono_ns = ws_mono_ns();
        *real_ns = ws_real_ns();
    }
}

/* The region's start clocks, read now, start_ts with them. */
void ws_clock_start(struct ws_shared *sh)
{
    uint64_t ts, mono, real; /* (read first, stored after: a store to a fresh page faults) */
    ws_clock_pair(&ts, &mono, &real);
    sh->start_ts = ts;
    sh->start_mono_ns = mono;
    sh->start_real_ns = real;
}

/* `whyslow record`'s clocks when it loaded the library (ws_clock_anchor()):
 * its served flushers, forked from it, take the tick rate since. */
static struct ws_clock_read anchor;

void ws_clock_anchor(void)
{
    ws_clock_init();
    if (ws_clock_tsc) ws_clock_read(&anchor);
}

void ws_clock_read(struct ws_clock_read *c)
{
    ws_clock_pair(&c->ts, &c->mono, &c->real);
}

/*
 * The clocks at sh's start_ts (TSC ticks), worked out from a pair read now
 * and the tick rate between it and since (record's anchor when NULL): ticks
 * go at a constant rate on every CPU, so any process of the host may.  A
 * since less than 1 ms old gives too rough a rate: one is waited for.
 */
void ws_clock_start_at(struct ws_shared *sh, const struct ws_clock_read *since)
{
    struct ws_clock_read base = since ? *since : anchor, now;
    ws_clock_read(&now);
    if (base.ts == 0 || now.ts <= base.ts || now.mono < base.mono + 1000000) {
        base = now;
        struct timespec ms = {0, 1000000};
        do {
            real_nanosleep(&ms, NULL);
            ws_clock_read(&now);
        } while (now.mono < base.mono + 1000000 || now.ts <= base.ts);
    }
    double ns_per_tick = (double)(now.mono - base.mono) / (double)(now.ts - base.ts);
    int64_t back = (int64_t)((double)(int64_t)(now.ts - sh->start_ts) * ns_per_tick);
    sh->start_mono_ns = now.mono - (uint64_t)back;
    sh->start_real_ns = now.real - (uint64_t)back;
}

/* CPUID 0x80000007, EDX bit 8: the TSC runs at a constant rate in every
 * P-, C- and T-state.  Read from what glibc learned at its start, not with
 * CPUID: in a virtual machine each CPUID traps to the hypervisor (about
 * 6 us here, four of them in __get_cpuid), which every traced process,
 * the shortest too, would pay.  WHYSLOW_CLOCK=monotonic forces the
 * fallback. */
void ws_clock_init(void)
{
    ws_clock_tsc = 0;
#if defined(__x86_64__) || defined(__i386__)
    ws_clock_tsc = CPU_FEATURE_PRESENT(INVARIANT_TSC) != 0;
#endif
}
