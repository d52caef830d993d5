/* SPDX-License-Identifier: MIT */
/*
 * log_read.c - the framing of a log file: the file header, then chunks,
 * each a skippable frame holding a struct ws_chunk_header followed by one
 * zstd frame.  Frames are inflated here and handed to chunk_decode.c,
 * which checks every record; the process keeps the file's bytes and
 * where the good EVENTS chunks are, for timelines to read again.  The
 * first thing that does not fit stops the file: the process is marked
 * truncated and keeps everything decoded before.
 *
 * A recorder's flusher holds an exclusive flock on the log while it
 * writes; a log still locked is read as it is now, with a note.
 */
#include "log/log_read.h"

#include "base/fileopen.h"
#include "base/text.h"
#include "base/util.h"
#include "log/chunk_decode.h"

#include <whyslow/format.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define FRAME_HEADER     8 /* skippable frame: u32 magic, u32 size */
#define FILE_HEADER      (FRAME_HEADER + 16)
#define MEMBER_HEADER    (FRAME_HEADER + 8)
#define ZSTD_FRAME_MAGIC 0xFD2FB528u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Checks the file header; LOG_OK or the status and reason. */
static enum log_status check_header(const uint8_t *d, size_t len, char *err, size_t errlen)
{
    uint8_t want[FILE_HEADER];

    if (len == 0) {
        snprintf(err, errlen, "empty file");
        return LOG_EMPTY;
    }
    /* The bytes every version-1 header starts with (up to the version). */
    put_le32(want, WS_MAGIC_FILE);
    put_le32(want + 4, 16);
    memcpy(want + 8, WS_FILE_TAG, 8);
    size_t fixed = FRAME_HEADER + 8;
    if (memcmp(d, want, len < fixed ? len : fixed) != 0) {
        snprintf(err, errlen, "not a whyslow log");
        return LOG_ERROR;
    }
    if (len < FILE_HEADER) {
        snprintf(err, errlen, "not a whyslow log (cut inside its %d-byte file header)",
                 FILE_HEADER);
        return LOG_SHORT_HEADER;
    }
    uint32_t version = le32(d + 16);
    if (version < 1 || version > WS_FORMAT_VERSION) {
        snprintf(err, errlen,
                 "log format version %u is not supported (this whyslow reads versions 1 to %d)",
                 version, WS_FORMAT_VERSION);
        return LOG_ERROR;
    }
    return LOG_OK;
}

/* A buffer the chunks are inflated into, one after the other. */
struct scratch {
    uint8_t *buf;
    size_t cap;
};

/* Inflates the zstd frame of one chunk and decodes its records.  Returns
 * the frame's compressed size, or 0 after marking the process truncated. */
static size_t read_chunk(struct ws_process *p, ZSTD_DCtx *dctx, struct scratch *sc,
                         const struct ws_chunk_header *h, uint64_t chunk_at, const uint8_t *f,
                         size_t avail, uint64_t frame_at)
{
    char why[300];

    if (avail < 4) {
        process_truncate(p, frame_at, "the chunk's zstd frame is missing or cut short");
        return 0;
    }
    if (le32(f) != ZSTD_FRAME_MAGIC) {
        process_truncate(p, frame_at, "expected a zstd frame after the chunk header, found 0x%08x",
                         le32(f));
        return 0;
    }
    size_t csize = ZSTD_findFrameCompressedSize(f, avail);
    if (ZSTD_isError(csize)) {
        process_truncate(p, frame_at, "zstd frame cut short or damaged (%s)",
                         ZSTD_getErrorName(csize));
        return 0;
    }
    if (h->kind != WS_CHUNK_EVENTS && h->kind != WS_CHUNK_META) {
        process_note(p, "skipped chunks of unknown kind %u", h->kind);
        return csize;
    }
    uint32_t most = h->kind == WS_CHUNK_EVENTS ? WS_EVENTS_RAW_MAX : WS_META_RAW_MAX;
    if (h->raw_size > most) {
        process_truncate(p, chunk_at,
                         "%s chunk of %u bytes inflated, over the %u a recorder writes at most",
                         h->kind == WS_CHUNK_EVENTS ? "EVENTS" : "META", h->raw_size, most);
        return 0;
    }
    if (h->raw_size > p->raw_left) {
        process_truncate(p, chunk_at,
                         "the log inflates to more than the decoder reads from a file of %zu "
                         "bytes (%u times its size and %u MiB%s): the rest is not read",
                         p->len, LOG_RAW_PER_BYTE, LOG_RAW_FREE >> 20,
                         p->in_pack ? ", shared by its pack's logs" : "");
        return 0;
    }
    p->raw_left -= h->raw_size;
    unsigned long long content = ZSTD_getFrameContentSize(f, csize);
    if (content == ZSTD_CONTENTSIZE_ERROR) {
        process_truncate(p, frame_at, "zstd frame header is damaged");
        return 0;
    }
    if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != h->raw_size) {
        process_truncate(p, frame_at, "zstd frame holds %llu bytes, its chunk header says %u",
                         content, h->raw_size);
        return 0;
    }

    xreserve(&sc->buf, &sc->cap, (size_t)h->raw_size + 1);
    uint8_t *raw = sc->buf;
    size_t n = ZSTD_decompressDCtx(dctx, raw, h->raw_size, f, csize);
    if (ZSTD_isError(n)) {
        process_truncate(p, frame_at, "zstd frame does not decode (%s)", ZSTD_getErrorName(n));
        return 0;
    }
    if (n != h->raw_size) {
        process_truncate(p, frame_at, "zstd frame holds %zu bytes, its chunk header says %u", n,
                         h->raw_size);
        return 0;
    }

    int rc;
    if (h->kind == WS_CHUNK_EVENTS) {
        struct ws_chunk_ref ref = {.thread = h->thread,
                                   .tid = h->tid,
                                   .seq = h->seq,
                                   .base_ts = h->base_ts,
                                   .frame = frame_at,
                                   .csize = csize,
                                   .raw_size = h->raw_size,
                                   .index = p->nchunks};
        rc = decode_events(p, &ref, raw, n, why, sizeof(why));
    } else {
        rc = decode_meta(p, raw, n, why, sizeof(why));
    }
    if (rc == DECODE_BOUND) {
        process_truncate(p, chunk_at, "%s", why);
        return 0;
    }
    if (rc < 0) {
        if (h->kind == WS_CHUNK_EVENTS)
            process_truncate(p, chunk_at, "EVENTS chunk of thread %u: %s", h->thread, why);
        else
            process_truncate(p, chunk_at, "META chunk: %s", why);
        return 0;
    }
    return csize;
}

/* What a log may inflate and hold beyond its share by size (log_read.h):
 * a log's own, or what the members of a pack read before it left. */
struct free_part {
    uint64_t raw, records;
    int pack; /* a pack's, its members share it */
};

/* log_read_mem, on data[0..len) the process takes over (or frees), with
 * the free part of the bounds *fp, less what it takes of it. */
static enum log_status read_log_in(uint8_t *d, size_t len, const char *name,
                                   struct ws_process **out, char *err, size_t errlen,
                                   struct free_part *fp)
{
    struct scratch sc = {0};

    *out = NULL;
    enum log_status st = check_header(d, len, err, errlen);
    if (st != LOG_OK) {
        xfree(d);
        return st;
    }

    struct ws_process *p = process_new(name);
    p->data = d;
    p->len = len;
    p->in_pack = fp->pack;
    uint64_t raw_share = (uint64_t)LOG_RAW_PER_BYTE * len,
             records_share = (uint64_t)LOG_RECORDS_PER_BYTE * len;
    p->raw_left = raw_share + fp->raw;
    p->records_left = records_share + fp->records;
    if (p->records_left > LOG_RECORDS_MAX) p->records_left = LOG_RECORDS_MAX;
    uint64_t raw0 = p->raw_left, records0 = p->records_left;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx) {
        fprintf(stderr, "whyslow: out of memory (zstd context)\n");
        exit(1);
    }

    size_t off = FILE_HEADER;
    while (off < len) {
        size_t avail = len - off;
        if (avail < FRAME_HEADER) {
            process_truncate(p, off, "frame header cut short (%zu of 8 bytes)", avail);
            break;
        }
        uint32_t magic = le32(d + off), size = le32(d + off + 4);
        if (magic == WS_MAGIC_CHUNK) {
            if (size != sizeof(struct ws_chunk_header)) {
                process_truncate(p, off, "chunk header of %u bytes, expected %zu", size,
                                 sizeof(struct ws_chunk_header));
                break;
            }
            if (avail - FRAME_HEADER < size) {
                process_truncate(p, off, "chunk header cut short");
                break;
            }
            const uint8_t *c = d + off + FRAME_HEADER;
            struct ws_chunk_header h = {
                .kind = le32(c),
                .thread = le32(c + 4),
                .seq = le64(c + 8),
                .base_ts = le64(c + 16),
                .tid = le32(c + 24),
                .raw_size = le32(c + 28),
            };
            size_t frame_at = off + FRAME_HEADER + size;
            size_t csize =
                read_chunk(p, dctx, &sc, &h, off, d + frame_at, len - frame_at, frame_at);
            if (csize == 0) break;
            off = frame_at + csize;
        } else if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {
            /* Another skippable frame: not ours to read, skip it. */
            if (avail - FRAME_HEADER < size) {
                process_truncate(p, off, "skippable frame cut short");
                break;
            }
            off += FRAME_HEADER + (size_t)size;
        } else {
            process_truncate(p, off, "expected a chunk header, found 0x%08x", magic);
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    xfree(sc.buf);
    uint64_t raw = raw0 - p->raw_left, records = records0 - p->records_left;
    fp->raw -= raw > raw_share ? raw - raw_share : 0;
    fp->records -= records > records_share ? records - records_share : 0;
    *out = p;
    return LOG_OK;
}

static enum log_status read_log(uint8_t *d, size_t len, const char *name, struct ws_process **out,
                                char *err, size_t errlen)
{
    struct free_part own = {LOG_RAW_FREE, LOG_RECORDS_FREE, 0};
    return read_log_in(d, len, name, out, err, errlen, &own);
}

enum log_status log_read_mem(const uint8_t *data, size_t len, const char *name,
                             struct ws_process **out, char *err, size_t errlen)
{
    uint8_t *copy = xmalloc(len);
    if (len) memcpy(copy, data, len);
    return read_log(copy, len, name, out, err, errlen);
}

/* Reads from fd into data[*len..cap) until cap or the end of the file;
 * 0, or -1 with errno. */
static int read_upto(int fd, uint8_t *data, size_t *len, size_t cap)
{
    while (*len < cap) {
        ssize_t n = read(fd, data + *len, cap - *len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        *len += (size_t)n;
    }
    return 0;
}

/* The pack header in d[0..FILE_HEADER): LOG_OK, or LOG_ERROR and why. */
static enum log_status check_pack(const uint8_t *d, char *err, size_t errlen)
{
    if (le32(d + 4) != 16 || memcmp(d + 8, WS_PACK_TAG, 8) != 0) {
        snprintf(err, errlen, "not a whyslow log");
        return LOG_ERROR;
    }
    uint32_t version = le32(d + 16);
    if (version < 1 || version > WS_PACK_VERSION) {
        snprintf(err, errlen,
                 "pack version %u is not supported (this whyslow reads versions 1 to %d)", version,
                 WS_PACK_VERSION);
        return LOG_ERROR;
    }
    return LOG_OK;
}

int log_read_pack(const uint8_t *d, size_t len, const char *path, log_each each, void *ctx)
{
    size_t off = FILE_HEADER;
    char err[256], name[4200], safe[4096];
    const char *damage = NULL;
    unsigned n = 0, member = 0;
    /* One free part for the whole pack: a file of many small members
     * inflates no more than one log of its size (log_read.h). */
    struct free_part pack = {LOG_RAW_FREE, LOG_RECORDS_FREE, 1};
    while (off < len) {
        if (len - off < MEMBER_HEADER) {
            damage = "a member header cut short";
            break;
        }
        if (le32(d + off) != WS_MAGIC_MEMBER || le32(d + off + 4) != 8) {
            damage = "no member header where one should be";
            break;
        }
        uint64_t want = le64(d + off + 8);
        off += MEMBER_HEADER;
        /* A length past the end is a member cut short (a pack being
         * appended to, or cut): its log is read as far as it goes. */
        size_t have = want < len - off ? (size_t)want : len - off;
        uint8_t *copy = xmalloc(have ? have : 1);
        memcpy(copy, d + off, have);
        snprintf(name, sizeof name, "%s#%u", path, ++member);
        struct ws_process *p;
        if (read_log_in(copy, have, name, &p, err, sizeof err, &pack) != LOG_OK) {
            /* A member that is no log, whole: the next follows it. */
            fprintf(stderr, "whyslow: warning: %s: %s, skipped\n",
                    text_safe(name, safe, sizeof safe), err);
            off += have;
            continue;
        }
        n++;
        if (have < want) process_note(p, "the pack ends inside this process's log");
        each(ctx, p);
        off += have;
    }
    if (damage)
        fprintf(stderr, "whyslow: warning: %s: pack damaged at byte %zu (%s): read up to it\n",
                text_safe(path, safe, sizeof safe), off, damage);
    return (int)n;
}

enum log_status log_read_file(const char *path, enum open_links links, log_each each, void *ctx,
                              char *err, size_t errlen)
{
    struct stat st;
    size_t len = 0;

    /* Only a regular file: a FIFO or a device named *.wslog is refused
     * before it is opened (fileopen.h). */
    int fd = open_regular(path, links, &st, err, errlen);
    if (fd < 0) return LOG_ERROR;
    /* The memory the decoder takes grows with the logs it reads (util.h). */
    mem_bound_add((size_t)st.st_size);
    mem_blame(path);
    /* The flusher writing a log holds LOCK_EX on it until it is done (a
     * pack: while it appends a process's log). */
    int busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    /* Read what is there now; a log still being written may grow.  The
     * header first: a file that is no log is refused after 24 bytes, not
     * read whole (it may be a disk image). */
    size_t cap = (size_t)st.st_size + 4096; /* room to see the end without growing */
    uint8_t *data = xmalloc(cap > FILE_HEADER ? cap : FILE_HEADER);
    if (read_upto(fd, data, &len, FILE_HEADER) < 0) goto failed;
    int pack = len >= 4 && le32(data) == WS_MAGIC_PACK;
    if (pack && len < FILE_HEADER) {
        snprintf(err, errlen, "not a whyslow log (a pack cut inside its %d-byte header)",
                 FILE_HEADER);
        xfree(data);
        close(fd);
        return LOG_SHORT_HEADER;
    }
    enum log_status rc =
        pack ? check_pack(data, err, errlen) : check_header(data, len, err, errlen);
    if (rc != LOG_OK) {
        xfree(data);
        close(fd);
        return rc;
    }
    for (;;) {
        if (len == cap) xgrow(&data, &cap, cap + 1, 1);
        size_t before = len;
        if (read_upto(fd, data, &len, cap) < 0) goto failed;
        if (len < cap || len == before) break;
    }
    close(fd);
    if (len > (size_t)st.st_size) mem_bound_add(len - (size_t)st.st_size); /* it grew */
    if (pack) {
        mem_bound_add(len); /* (its members are copied out) */
        log_read_pack(data, len, path, each, ctx);
        xfree(data);
        return LOG_OK;
    }
    struct ws_process *p;
    rc = read_log(data, len, path, &p, err, errlen);
    if (rc != LOG_OK) return rc;
    if (busy) process_note(p, "log still being written: the process may still be running");
    each(ctx, p);
    return LOG_OK;

failed:
    snprintf(err, errlen, "%s", strerror(errno));
    xfree(data);
    close(fd);
    return LOG_ERROR;
}
