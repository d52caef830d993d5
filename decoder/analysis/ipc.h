/* SPDX-License-Identifier: MIT */
/*
 * ipc.h - lock contention between processes: semaphores and futexes in
 * memory shared between processes, that several of the recorded
 * processes waited on for what the others released (PostgreSQL's
 * backends, each sleeping on its own semaphore until the backend that
 * releases a lightweight lock posts it).  Each process alone sees only
 * parks (no post of its own woke it); together they are a lock.
 *
 * A shared object is known by its mapping (device, inode) and its offset
 * in it, the same in every process whatever the address.  The rule is in
 * docs/rules.md (ipc_contention).
 */
#ifndef WHYSLOW_IPC_H
#define WHYSLOW_IPC_H

#include <stddef.h>
#include <stdint.h>

struct analysis;

/* One shared mapping whose semaphores or futexes several processes waited
 * on. */
struct ipc_group {
    const char *path;        /* the mapping's name, as its process's map says it */
    const char *program;     /* the program of the process that waited most */
    size_t processes;        /* processes that waited */
    size_t most;             /* the index (in the analysis) of the one that waited most */
    uint64_t waits, wait_ns; /* all their waits there */
};

/* Finds the groups among the analysis's processes, marks their locks
 * WAIT_IPC and moves their waits' time from wait to lock in the threads'
 * time; the groups into a->ipc. */
void ipc_link(struct analysis *a);

#endif
