/* SPDX-License-Identifier: MIT */
/*
 * fdmodel.h - what each file descriptor of a process refers to, replayed
 * from its events in time order: opens name a path, connect and accept
 * name a peer, dup copies, close forgets, and FD_INFO records describe
 * fds the recorder met without seeing them opened.  The result is the
 * "target" each event is shown with: a path, a peer, or "fd N", and what
 * kind of thing it is (a file, a socket, a pipe...), which tells how the
 * time of a read or write counts (breakdown.h).
 */
#ifndef WHYSLOW_FDMODEL_H
#define WHYSLOW_FDMODEL_H

#include "base/hashmap.h"
#include "base/strpool.h"
#include "log/process.h"

#include <stdint.h>

struct fdmodel {
    struct map fds; /* fd -> strpool id | kind << 32 */
    struct strpool *names;
    struct map texts; /* ws_event.text -> strpool id of the text cleaned:
                         a string is cleaned and interned once */
    /* What the target of the last event given to fdmodel_event() is: an
     * enum ws_fd_kind (format.h), 0 when unknown or not an fd. */
    unsigned kind;
};

void fdmodel_init(struct fdmodel *fm, struct strpool *names);
void fdmodel_free(struct fdmodel *fm);

/* The name of fd now: what is known about it, else "fd N". */
uint32_t fdmodel_name(struct fdmodel *fm, int64_t fd);

/* The target of ev (0 when it is not on anything nameable), then updates
 * the model with what ev did.  Call it on every event, in time order. */
uint32_t fdmodel_event(struct fdmodel *fm, const struct ws_event *ev);

/* The payload of ev as a name (cleaned for printing: base/text.h), its
 * strpool id; 0 for an empty one. */
uint32_t fdmodel_text(struct fdmodel *fm, const struct ws_event *ev);

#endif
