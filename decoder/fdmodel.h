/*
 * fdmodel.h - what each file descriptor of a process refers to, replayed
 * from its events in time order: opens name a path, connect and accept
 * name a peer, dup copies, close forgets, and FD_INFO records describe
 * fds the recorder met without seeing them opened.  The result is the
 * "target" each event is shown with: a path, a peer, or "fd N".
 */
#ifndef WHYSLOW_FDMODEL_H
#define WHYSLOW_FDMODEL_H

#include "map.h"
#include "process.h"
#include "strpool.h"

#include <stdint.h>

struct fdmodel {
    struct map fds; /* fd -> strpool id */
    struct strpool *names;
};

void fdmodel_init(struct fdmodel *fm, struct strpool *names);
void fdmodel_free(struct fdmodel *fm);

/* The name of fd now: what is known about it, else "fd N". */
uint32_t fdmodel_name(struct fdmodel *fm, int64_t fd);

/* The target of ev (0 when it is not on anything nameable), then updates
 * the model with what ev did.  Call it on every event, in time order. */
uint32_t fdmodel_event(struct fdmodel *fm, const struct ws_event *ev);

#endif
