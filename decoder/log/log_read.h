/*
 * log_read.h - reading one log file into a struct ws_process: the file
 * header, then each chunk (skippable frame header + zstd frame).  Damage
 * after the header does not fail the read: the process keeps what came
 * before it and is marked truncated, with the byte offset and the reason.
 */
#ifndef WHYSLOW_LOG_READ_H
#define WHYSLOW_LOG_READ_H

#include "base/fileopen.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/* The largest chunk the decoder will inflate. */
#define LOG_MAX_CHUNK (64u << 20)

enum log_status {
    LOG_OK = 0,
    LOG_EMPTY,        /* a 0-byte file */
    LOG_SHORT_HEADER, /* the start of a log, cut inside its file header */
    LOG_ERROR,        /* not a log, unsupported version, unreadable */
};

/* Reads the log in data[0..len) named `name`.  On LOG_OK, *out is the
 * decoded process (not yet finished: see timeline.h).  Otherwise *out is
 * NULL and err holds the reason, without the file name. */
enum log_status log_read_mem(const uint8_t *data, size_t len, const char *name,
                             struct ws_process **out, char *err, size_t errlen);

/* The same for a file, which must be a regular one (base/fileopen.h);
 * links says whether a symbolic link to one is followed. */
enum log_status log_read_file(const char *path, enum open_links links, struct ws_process **out,
                              char *err, size_t errlen);

#endif
