/* SPDX-License-Identifier: MIT */
/*
 * log_read.h - reading a log file into a struct ws_process (a pack of logs
 * into one each): the file header, then each chunk (skippable frame header + zstd frame).  Damage
 * after the header does not fail the read: the process keeps what came
 * before it and is marked truncated, with the byte offset and the reason.
 */
#ifndef WHYSLOW_LOG_READ_H
#define WHYSLOW_LOG_READ_H

#include "base/fileopen.h"
#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/*
 * What the decoder reads of a log, at most, by the log's size (len bytes):
 * a log is a file anyone may have made, and its chunks may inflate a
 * thousandfold (zstd's limit is higher still).  What a log holds past
 * either bound is not read: the process is marked truncated there, with
 * the bound as the reason, like damage.
 *
 *   inflated bytes  LOG_RAW_PER_BYTE * len + LOG_RAW_FREE.  The largest
 *                   ratio of real logs measured is 16.4 for a whole log
 *                   (a lock-heavy program recorded with WHYSLOW_LOCKS=all),
 *                   49 for one chunk; docs/how-it-works.md has the
 *                   figures.  Inflating is what every read of a timeline
 *                   does again: this bounds the decoder's time.
 *   records         LOG_RECORDS_PER_BYTE * len + LOG_RECORDS_FREE, META
 *                   and EVENTS records together.  Real logs hold at most
 *                   1.23 a byte (the same program).  With the bytes,
 *                   this bounds the time of each read of a timeline; the
 *                   memory is bounded apart (base/util.h), and the other
 *                   bounds are in docs/how-it-works.md ("Bounds").
 *
 * The members of a pack share one free part (LOG_RAW_FREE,
 * LOG_RECORDS_FREE): a pack of many small members is bounded as one log
 * of its size, not as that many logs.
 *
 * Chunks larger than format.h's WS_EVENTS_RAW_MAX and WS_META_RAW_MAX,
 * and payloads longer than WS_PAYLOAD_MAX, are damage.
 */
#define LOG_RAW_PER_BYTE     64u
#define LOG_RAW_FREE         (16u << 20)
#define LOG_RECORDS_PER_BYTE 4u
#define LOG_RECORDS_FREE     (128u << 10)
/* The work of adding memory maps to their union (memmap.h): a real log
 * writes its map at the start and when its file mappings change, some
 * hundreds of lines each time. */
#define MAPS_WORK(len) ((16u << 20) + 4 * (size_t)(len))
/* And 2^31 records whatever the size: record and string numbers fit 32
 * bits (about a 2 GB log). */
#define LOG_RECORDS_MAX (1ull << 31)

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
 * links says whether a symbolic link to one is followed.  The file is a
 * log or a pack of them (whyslow/format.h): each process read is handed to
 * each(ctx, p); damage between a pack's members ends the pack with a
 * warning on stderr, and the status is still LOG_OK. */
typedef void (*log_each)(void *ctx, struct ws_process *p);
enum log_status log_read_file(const char *path, enum open_links links, log_each each, void *ctx,
                              char *err, size_t errlen);

/* The members of the pack in data[0..len), its header checked: each read
 * as a log named PATH#N (N from 1) and handed to each(ctx, p).  Returns
 * how many were. */
int log_read_pack(const uint8_t *data, size_t len, const char *path, log_each each, void *ctx);

#endif
