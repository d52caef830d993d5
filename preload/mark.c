/* SPDX-License-Identifier: MIT */
/*
 * mark.c - the marker API (include/whyslow/mark.h): the program's own
 * marks of what a thread is doing, recorded as events (format.h: marks).
 *
 * A mark is a record like a call's, written on the calling thread's
 * buffer with the same few stores: no lock, no allocation, safe in a
 * signal handler (ws_emit_put() drops, and counts, what would race with
 * an emit the handler interrupted).  The thread's count of open marks
 * gives each record its depth, so that the decoder can pair ends with
 * begins even where marks were lost.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define KIND_MAX 64 /* bytes of a kind kept */

WS_EXPORT int whyslow_mark_begin(const char *kind, const char *name)
{
    int saved = errno;
    struct ws_thread *t = ws_enter();
    if (!t || !kind) {
        errno = saved;
        return -1;
    }
    uint64_t now = ws_now();
    size_t klen = strnlen(kind, KIND_MAX);
    size_t nlen = name ? strnlen(name, WS_MAX_PAYLOAD) : 0;
    if (klen + 1 + nlen > WS_MAX_PAYLOAD) nlen = WS_MAX_PAYLOAD - klen - 1;
    uint32_t plen = (uint32_t)(klen + 1 + nlen);
    uint8_t *p =
        ws_emit_put(t, WS_EV_MARK_BEGIN, 0, t->marks, 0, now, now, WS_CALLER, plen, NULL, 0);
    int r = -1;
    if (p) {
        memcpy(p, kind, klen);
        p[klen] = 0;
        if (nlen) memcpy(p + klen + 1, name, nlen);
        ws_emit_commit();
        r = 0;
    }
    /* Counted even when lost, so that its end pairs with it. */
    t->marks++;
    errno = saved;
    return r;
}

WS_EXPORT int whyslow_mark_end(void)
{
    int saved = errno;
    struct ws_thread *t = ws_enter();
    if (!t || !t->marks) {
        errno = saved;
        return -1;
    }
    uint64_t now = ws_now();
    t->marks--;
    uint8_t *p = ws_emit_put(t, WS_EV_MARK_END, 0, t->marks, 0, now, now, WS_CALLER, 0, NULL, 0);
    if (p) ws_emit_commit();
    errno = saved;
    return p ? 0 : -1;
}
