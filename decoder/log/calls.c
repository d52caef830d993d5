/* SPDX-License-Identifier: MIT */
/*
 * calls.c - classification of call ids for the analysis, generated from
 * the table of include/whyslow/calls.h (see calls.h).
 */
#include "log/calls.h"

#include <whyslow/format.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>

enum call_family call_family(unsigned call)
{
#define FAMILY_OF(id, num, name, family, obj, flags, part)                                         \
    case num:                                                                                      \
        return FAMILY_##family;
    switch (call) {
        WS_CALLS(FAMILY_OF)
    default:
        return call < 100 ? FAMILY_SYSCALL : FAMILY_RECORD;
    }
#undef FAMILY_OF
}

const char *call_name(unsigned call)
{
    static char unknown[256][12];
    const char *name = ws_call_name(call);
    if (name) return name;
    call &= 0xff;
    if (!unknown[call][0]) snprintf(unknown[call], sizeof(unknown[call]), "call#%u", call);
    return unknown[call];
}

int call_is_syscall(unsigned call)
{
    return call > 0 && call_family(call) == FAMILY_SYSCALL;
}

int call_is_db(unsigned call)
{
    enum call_family f = call_family(call);
    return f == FAMILY_SQLITE || f == FAMILY_PQ;
}

int call_can_be_slow(unsigned call)
{
    return call_is_syscall(call) && !(ws_call_flags(call) & WS_CALL_WAITS);
}

uint64_t event_bytes(const struct ws_event *ev)
{
    if (!(ws_call_flags(ev->call) & (WS_CALL_READS | WS_CALL_WRITES)) || ev->result < 0) return 0;
    return (uint64_t)ev->result;
}

int event_failed(const struct ws_event *ev)
{
    if (ws_call_flags(ev->call) & WS_CALL_RETURNS_ERR) return ev->result != 0;
    return ev->result == -1;
}

static const char *eai_name(int64_t code)
{
    switch (code) {
    case EAI_BADFLAGS:
        return "EAI_BADFLAGS";
    case EAI_NONAME:
        return "EAI_NONAME";
    case EAI_AGAIN:
        return "EAI_AGAIN";
    case EAI_FAIL:
        return "EAI_FAIL";
    case EAI_FAMILY:
        return "EAI_FAMILY";
    case EAI_SOCKTYPE:
        return "EAI_SOCKTYPE";
    case EAI_SERVICE:
        return "EAI_SERVICE";
    case EAI_MEMORY:
        return "EAI_MEMORY";
    case EAI_SYSTEM:
        return "EAI_SYSTEM";
    case EAI_OVERFLOW:
        return "EAI_OVERFLOW";
    case EAI_NODATA:
        return "EAI_NODATA";
    case EAI_ADDRFAMILY:
        return "EAI_ADDRFAMILY";
    default:
        return NULL;
    }
}

const char *event_error_name(const struct ws_event *ev, char *buf, size_t len)
{
    const char *name = NULL;
    if (ev->call == WS_GETADDRINFO && ev->result != EAI_SYSTEM) {
        name = eai_name(ev->result);
        if (!name) snprintf(buf, len, "EAI %lld", (long long)ev->result);
    } else {
        name = ev->err > 0 && ev->err < 4096 ? strerrorname_np((int)ev->err) : NULL;
        if (!name) snprintf(buf, len, "error %llu", (unsigned long long)ev->err);
    }
    if (name) snprintf(buf, len, "%s", name);
    return buf;
}

enum call_obj call_obj(unsigned call)
{
#define OBJ_OF(id, num, name, family, obj, flags, part)                                            \
    case num:                                                                                      \
        return OBJ_##obj;
    switch (call) {
        WS_CALLS(OBJ_OF)
    default:
        return OBJ_NONE;
    }
#undef OBJ_OF
}

enum lock_kind lock_kind_of(unsigned call)
{
    switch (call_obj(call)) {
    case OBJ_MUTEX:
        return LOCK_MUTEX;
    case OBJ_RWLOCK:
        return LOCK_RWLOCK;
    case OBJ_COND:
        return LOCK_COND;
    case OBJ_SEM:
        return LOCK_SEM;
    case OBJ_FUTEX:
        return LOCK_FUTEX;
    default:
        return LOCK_NONE;
    }
}

const char *lock_kind_name(enum lock_kind kind)
{
    switch (kind) {
    case LOCK_MUTEX:
        return "mutex";
    case LOCK_RWLOCK:
        return "rwlock";
    case LOCK_COND:
        return "cond";
    case LOCK_SEM:
        return "sem";
    case LOCK_FUTEX:
        return "futex";
    case LOCK_NOTIFY:
        return "epoll";
    default:
        return "none";
    }
}

int lock_call_acquires(unsigned call)
{
    return (ws_call_flags(call) & WS_CALL_ACQUIRES) != 0;
}

int lock_call_releases(unsigned call)
{
    return (ws_call_flags(call) & WS_CALL_RELEASES) != 0;
}

int lock_event_wakes(const struct ws_event *ev)
{
    unsigned flags = ws_call_flags(ev->call);
    return (flags & WS_CALL_WAKES) || ((flags & WS_CALL_RELEASES) && (ev->err & WS_LOCK_WAKES));
}

int lock_event_waited(const struct ws_event *ev)
{
    unsigned flags = ws_call_flags(ev->call);
    if (!(flags & WS_CALL_IS_LOCK) || (flags & WS_CALL_WAKES)) return 0;
    return (flags & WS_CALL_WAITS) || (ev->err & WS_LOCK_CONTENDED);
}
