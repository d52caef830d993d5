/* SPDX-License-Identifier: MIT */
/*
 * logcount.h - how many processes a log file holds, for `record`'s last
 * line: one for a log, one per member for a pack (whyslow/format.h).
 */
#ifndef WHYSLOW_LOGCOUNT_H
#define WHYSLOW_LOGCOUNT_H

/* The processes the file name in the directory dirfd holds, as its
 * headers say; 0 when it cannot be read.  A link is not followed. */
unsigned log_processes_at(int dirfd, const char *name);

#endif
