/*
 * calls.c - classification of call ids for the analysis.
 */
#include "log/calls.h"

#include <whyslow/format.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>

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
    return call > 0 && call < WS_EV_THREAD_START &&
           !(ws_call_flags(call) & (WS_CALL_IS_LOCK | WS_CALL_IS_DB));
}

int call_is_db(unsigned call)
{
    return (ws_call_flags(call) & WS_CALL_IS_DB) != 0;
}

int call_can_be_slow(unsigned call)
{
    return call_is_syscall(call) && !(ws_call_flags(call) & WS_CALL_WAITS);
}

uint64_t event_bytes(const struct ws_event *ev)
{
    if (ev->call < WS_READ || ev->call > WS_RECVMSG || ev->result < 0) return 0;
    return (uint64_t)ev->result;
}

int event_failed(const struct ws_event *ev)
{
    /* These two return an error code rather than -1. */
    if (ev->call == WS_GETADDRINFO || ev->call == WS_CLOCK_NANOSLEEP) return ev->result != 0;
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

enum lock_kind lock_kind_of(unsigned call)
{
    switch (call) {
    case WS_MUTEX_LOCK:
    case WS_MUTEX_TRYLOCK:
    case WS_MUTEX_TIMEDLOCK:
    case WS_MUTEX_UNLOCK:
        return LOCK_MUTEX;
    case WS_RWLOCK_RDLOCK:
    case WS_RWLOCK_WRLOCK:
    case WS_RWLOCK_TIMEDRDLOCK:
    case WS_RWLOCK_TIMEDWRLOCK:
    case WS_RWLOCK_UNLOCK:
    case WS_RWLOCK_TRYRDLOCK:
    case WS_RWLOCK_TRYWRLOCK:
        return LOCK_RWLOCK;
    case WS_COND_WAIT:
    case WS_COND_TIMEDWAIT:
    case WS_COND_SIGNAL:
    case WS_COND_BROADCAST:
        return LOCK_COND;
    case WS_SEM_WAIT:
    case WS_SEM_TIMEDWAIT:
    case WS_SEM_POST:
        return LOCK_SEM;
    case WS_FUTEX_WAIT:
    case WS_FUTEX_WAKE:
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
    default:
        return "none";
    }
}

int lock_call_acquires(unsigned call)
{
    enum lock_kind k = lock_kind_of(call);
    return (k == LOCK_MUTEX || k == LOCK_RWLOCK) && !lock_call_releases(call);
}

int lock_call_releases(unsigned call)
{
    return call == WS_MUTEX_UNLOCK || call == WS_RWLOCK_UNLOCK;
}

int lock_event_wakes(const struct ws_event *ev)
{
    return (ev->call >= WS_COND_SIGNAL && ev->call <= WS_FUTEX_WAKE) ||
           (lock_call_releases(ev->call) && (ev->err & WS_LOCK_WAKES));
}

int lock_event_waited(const struct ws_event *ev)
{
    if (ev->call >= WS_COND_SIGNAL && ev->call <= WS_FUTEX_WAKE) return 0;
    enum lock_kind k = lock_kind_of(ev->call);
    if (k == LOCK_COND || k == LOCK_SEM || k == LOCK_FUTEX) return 1;
    return k != LOCK_NONE && (ev->err & WS_LOCK_CONTENDED);
}
