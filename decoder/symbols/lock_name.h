/* SPDX-License-Identifier: MIT */
/*
 * lock_name.h - the name a report gives a lock: its variable, "GIL" for
 * CPython's, else its address and the kind of memory it lies in.  Made
 * from what symbolize.h finds; the findings name locks in their summaries
 * and the reports in their tables.
 */
#ifndef WHYSLOW_LOCK_NAME_H
#define WHYSLOW_LOCK_NAME_H

#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/* The name of the lock at addr: its variable ("queue_lock", or
 * "queue_lock+0x8" inside a bigger one), "GIL" for CPython's GIL, else
 * the address and where it is ("0x55d0c2a0 (heap)"), after the kind of
 * lock when kind is not NULL ("mutex 0x55d0c2a0 (heap)").  Returns buf. */
const char *lock_name(struct ws_process *p, uint64_t addr, const char *kind, char *buf, size_t len);

#endif
