/* SPDX-License-Identifier: MIT */
/*
 * fileopen.h - opening files the decoder did not make (logs, and the
 * program files a log's memory maps name) for reading, when they are
 * regular files on disk and nothing else.
 *
 * A path in a log, or a directory entry, may name a FIFO (whose open
 * blocks until a writer comes), a device (whose open may act: a tape
 * rewinds, a watchdog starts), or a kernel pseudo-file of /proc or /sys
 * (/proc/kmsg and tracefs' trace_pipe are regular files whose reads block
 * or consume).  open_regular() never opens any of them: it looks at the
 * file through an O_PATH descriptor first, which opens nothing, and only
 * then opens that same inode for reading.
 */
#ifndef WHYSLOW_FILEOPEN_H
#define WHYSLOW_FILEOPEN_H

#include <stddef.h>
#include <sys/stat.h>

/* How open_regular treats a symbolic link as the path's last component. */
enum open_links {
    OPEN_FOLLOW,   /* follow it to what it names */
    OPEN_NOFOLLOW, /* refuse it */
};

/* Opens path read-only (close-on-exec) when it is a regular file, not of
 * a kernel pseudo-file system; fills *st.  Returns the descriptor, or -1
 * with the reason in err ("No such file or directory", "a FIFO, not a
 * regular file", ...), without the path. */
int open_regular(const char *path, enum open_links links, struct stat *st, char *err,
                 size_t errlen);

/* Whether path is absent, or names a regular file that open_regular would
 * open: for paths a library will open itself. */
int path_absent_or_regular(const char *path);

#endif
