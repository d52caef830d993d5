/* SPDX-License-Identifier: MIT */
/*
 * logset.h - the logs a command reads: PATH arguments that are log files
 * or directories of *.wslog files, each read, finished and sorted by
 * process start.  Errors are printed here, in one line naming the file.
 */
#ifndef WHYSLOW_LOGSET_H
#define WHYSLOW_LOGSET_H

#include "log/process.h"

#include <stddef.h>

#define LOGSET_DEFAULT_DIR "whyslow.data"

struct logset {
    struct ws_process **procs;
    size_t n, cap;
};

/* Loads the logs of paths[0..npaths) (the default directory when
 * npaths is 0).  Returns 0, or 1 after printing why on stderr. */
int logset_load(struct logset *ls, char *const *paths, size_t npaths);

/* Keeps only the processes with this pid; returns how many remain. */
size_t logset_keep_pid(struct logset *ls, uint64_t pid);

void logset_free(struct logset *ls);

#endif
