/* SPDX-License-Identifier: MIT */
/*
 * pipes.h - reads of pipes, which wait for whoever writes the other end:
 * for each process, the time it spent reading pipes, and which traced
 * processes wrote them, grouped by program ("bash waited 118 ms for
 * git-upload-pack").  A pipe is known by its inode ("pipe:[N]" in the fd
 * model), the same in every process's log.
 */
#ifndef WHYSLOW_PIPES_H
#define WHYSLOW_PIPES_H

#include "base/hashmap.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/* One pipe a process read or wrote. */
struct pipe_use {
    uint64_t inode;
    uint64_t reads, read_ns; /* its reads and their time */
    int wrote;               /* it wrote to the pipe */
};

/* The pipes of one process, as its timeline is read. */
struct pipe_uses {
    struct pipe_use *v;
    size_t n, cap;
    struct map index; /* inode -> index + 1 */
};

/* What a process waited for, reading pipes, per writing program. */
#define PIPE_PIDS 4 /* writers' pids kept */
struct pipe_wait {
    const char *program;      /* the writers' executable's name; NULL: no writer seen (not
                                 traced, or writing through stdio) */
    uint64_t pids[PIPE_PIDS]; /* the first writers' pids */
    size_t npids;             /* writers in all */
    uint64_t reads, total_ns;
};

/* An event of the process (its target and target_kind set). */
void pipes_event(struct pipe_uses *u, const struct ws_process *p, const struct ws_event *ev);

struct proc_report;

/* Links the readers to the writers among n analyzed processes: each one's
 * pipe_waits (most time first); frees what only linking needed. */
void pipes_link(struct proc_report *procs, size_t n);

#endif
