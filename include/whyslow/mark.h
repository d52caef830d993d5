/* SPDX-License-Identifier: MIT */
/*
 * whyslow/mark.h - the marker API: a program says what it is doing (a
 * test, a benchmark's iteration, a job's step), and whyslow's report
 * counts what happened inside each mark (docs/marks.md).
 *
 *     #include <whyslow/mark.h>
 *
 *     whyslow_begin("test", "test_checkout");
 *     ... the work ...
 *     whyslow_end();
 *
 * Marks belong to the calling thread and nest: whyslow_end() ends the
 * thread's innermost open mark.  kind is a short word (a mark's kind:
 * "test", "step"); name says which one (up to some 4000 bytes).
 *
 * libwhyslow.so, when a program runs under `whyslow record` (or with
 * LD_PRELOAD), exports whyslow_mark_begin() and whyslow_mark_end().
 * This header declares them weak: a program built with it links and runs
 * without the library, and whyslow_begin() and whyslow_end() then do
 * nothing.  Through an FFI (Python's ctypes, say), look the two symbols up
 * in the process (ctypes.CDLL(None)) and call them only when found.
 *
 * Both return 0 when the mark was recorded, -1 when not (no recorder, the
 * recorder is off, or the mark could not be stored: it is then counted as
 * lost).  They never change errno, allocate nothing, take no lock, and
 * may be called from a signal handler.
 */
#ifndef WHYSLOW_MARK_H
#define WHYSLOW_MARK_H

#ifdef __cplusplus
extern "C" {
#endif

int whyslow_mark_begin(const char *kind, const char *name) __attribute__((weak));
int whyslow_mark_end(void) __attribute__((weak));

static inline int whyslow_begin(const char *kind, const char *name)
{
    return whyslow_mark_begin ? whyslow_mark_begin(kind, name) : -1;
}

static inline int whyslow_end(void)
{
    return whyslow_mark_end ? whyslow_mark_end() : -1;
}

#ifdef __cplusplus
}
#endif

#endif
