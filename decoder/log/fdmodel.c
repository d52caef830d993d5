/* SPDX-License-Identifier: MIT */
/*
 * fdmodel.c - the fd table of a process, rebuilt from its events.  Each
 * fd keeps its name and its kind: open makes a file (a terminal when the
 * path is one, as the recorder decides for FD_INFO), connect and accept
 * make sockets, FD_INFO says, dup copies.
 */
#include "log/fdmodel.h"

#include "base/text.h"
#include "log/calls.h"
#include "log/sockaddr_fmt.h"

#include <whyslow/format.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void fdmodel_init(struct fdmodel *fm, struct strpool *names)
{
    fm->fds = (struct map){0};
    fm->texts = (struct map){0};
    fm->names = names;
}

void fdmodel_free(struct fdmodel *fm)
{
    map_free(&fm->fds);
    map_free(&fm->texts);
}

uint32_t fdmodel_name(struct fdmodel *fm, int64_t fd)
{
    const uint64_t *id = map_get(&fm->fds, (uint64_t)fd, 0);
    fm->kind = id ? (unsigned)(*id >> 32) : 0;
    if (id) return (uint32_t)*id;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "fd %" PRId64, fd);
    return strpool_intern(fm->names, buf, (size_t)n);
}

static uint32_t intern_text(struct fdmodel *fm, const uint8_t *p, size_t len)
{
    char buf[4096];
    size_t n = text_clean(p, len, buf, sizeof(buf));
    return strpool_intern(fm->names, buf, n);
}

uint32_t fdmodel_text(struct fdmodel *fm, const struct ws_event *ev)
{
    if (!ev->payload_len) return 0;
    if (!ev->text) return intern_text(fm, ev->payload, ev->payload_len);
    int created;
    uint64_t *id = map_put(&fm->texts, ev->text, 0, &created);
    if (created) *id = intern_text(fm, ev->payload, ev->payload_len);
    return (uint32_t)*id;
}

static uint32_t intern_peer(struct fdmodel *fm, const uint8_t *p, size_t len)
{
    char buf[256];
    sockaddr_format(p, len, buf, sizeof(buf));
    return strpool_intern(fm->names, buf, strlen(buf));
}

/* The name an FD_INFO record gives its fd. */
static uint32_t fd_info_name(struct fdmodel *fm, const struct ws_event *ev)
{
    if (ev->err == WS_FD_SOCKET) return intern_peer(fm, ev->payload, ev->payload_len);
    if (ev->payload_len == 0 || ev->payload[0] == 0) return fdmodel_name(fm, ev->obj);
    return fdmodel_text(fm, ev);
}

static void set(struct fdmodel *fm, int64_t fd, uint32_t name, unsigned kind)
{
    *map_put(&fm->fds, (uint64_t)fd, 0, NULL) = name | (uint64_t)kind << 32;
}

/* The kind of an opened path: a terminal, as fdinfo.c says, else a file
 * (a FIFO opened by its path counts as a file: nothing tells them apart). */
static unsigned path_kind(const uint8_t *p, size_t len)
{
    if ((len >= 9 && memcmp(p, "/dev/pts/", 9) == 0) || (len >= 8 && memcmp(p, "/dev/tty", 8) == 0))
        return WS_FD_TTY;
    return WS_FD_FILE;
}

uint32_t fdmodel_event(struct fdmodel *fm, const struct ws_event *ev)
{
    uint32_t target = 0;

    fm->kind = 0;
    switch (ev->call) {
    case WS_OPEN:
    case WS_OPENAT:
        fm->kind = path_kind(ev->payload, ev->payload_len);
        target = fdmodel_text(fm, ev);
        if (target && ev->result >= 0) set(fm, ev->result, target, fm->kind);
        break;
    case WS_CONNECT:
        target = ev->payload_len ? intern_peer(fm, ev->payload, ev->payload_len)
                                 : fdmodel_name(fm, ev->obj);
        fm->kind = WS_FD_SOCKET;
        if (ev->result == 0 || (ev->result == -1 && ev->err == EINPROGRESS))
            set(fm, ev->obj, target, WS_FD_SOCKET);
        break;
    case WS_ACCEPT:
    case WS_ACCEPT4:
        target = fdmodel_name(fm, ev->obj); /* the listening socket */
        fm->kind = WS_FD_SOCKET;
        if (ev->result >= 0)
            set(fm, ev->result, intern_peer(fm, ev->payload, ev->payload_len), WS_FD_SOCKET);
        break;
    case WS_DUP:
        target = fdmodel_name(fm, ev->obj);
        if (ev->result >= 0 && ev->result != ev->obj) set(fm, ev->result, target, fm->kind);
        break;
    case WS_CLOSE:
        target = fdmodel_name(fm, ev->obj);
        map_del(&fm->fds, (uint64_t)ev->obj, 0);
        break;
    case WS_EV_FD_INFO:
        target = fd_info_name(fm, ev);
        fm->kind = ev->err >= WS_FD_FILE && ev->err <= WS_FD_OTHER ? (unsigned)ev->err : 0;
        set(fm, ev->obj, target, fm->kind);
        break;
    case WS_GETADDRINFO:
        target = fdmodel_text(fm, ev);
        break;
    default: /* any other call on an fd: what the fd is */
        if (call_obj(ev->call) == OBJ_FD) target = fdmodel_name(fm, ev->obj);
        break;
    }
    return target;
}
