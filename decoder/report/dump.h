/* SPDX-License-Identifier: MIT */
/*
 * dump.h - `whyslow dump`: every event of every process as one readable
 * line, in time order, for scripts and for debugging the recorder.
 * Lines about processes and metadata records start with '#'.
 */
#ifndef WHYSLOW_DUMP_H
#define WHYSLOW_DUMP_H

#include "log/process.h"

#include <stddef.h>
#include <stdio.h>

void dump(FILE *f, struct ws_process **procs, size_t n);

#endif
