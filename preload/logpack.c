/* SPDX-License-Identifier: MIT */
/*
 * logpack.c - a served flusher's logs of short processes, packed: one
 * file for many (include/whyslow/format.h: a pack).
 *
 * Creating a file can be the dearest thing a flusher does for a short
 * process.  ext4 without a journal looks, for each new inode, at every
 * inode of the group deleted in the last minute or more, and a build
 * deletes thousands (its temporary files, the last build's tree).
 * Measured on such a host: 35 us a creation in a fresh directory, 170 to
 * 320 us after 4000 deletions, about 1 ms during a `make -j2`: a second of
 * CPU for a build of 1700 processes, on a machine the build keeps busy.
 *
 * So a flusher record serves a process with (serve.c) keeps the log in
 * memory at first.  If the process ends within WS_PACK_MS and its log
 * stays under WS_PACK_MAX bytes, the log is appended, whole and with one
 * write, to the flusher's pack: one file per flusher, which serves
 * processes one after another.  Otherwise the log gets its own file as
 * before, what was kept written first, and is written as it goes.  Nothing
 * changes for the program: what it committed is in its region until the
 * flusher took it, and the flusher, record's child, outlives it.
 *
 * The pack is locked (LOCK_EX) only while a member is appended, so a
 * reader sees a pack cut inside a member only then; an append that
 * fails is cut off again, so that the next one follows a whole member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "internal.h"

#define MEMBER_HEADER 16 /* skippable frame: magic, size 8, u64 length */
#define FILE_HEADER   24

/* The log being kept, and where it would go. */
static struct {
    int on;
    uint8_t *buf; /* MEMBER_HEADER bytes left for the pack, then the log */
    size_t len, cap;
    uint64_t since_ns;
    int cut; /* writes were lost: the log grew past a file that could not be made */
    int dirfd;
    const char *dir;
    pid_t pid;
} kept;

static int pack_fd = -1;
static off_t pack_size;

int ws_log_keep(int dirfd, const char *dir, pid_t pid)
{
    if (!kept.buf) {
        kept.cap = 64 << 10;
        kept.buf = malloc(kept.cap);
        if (!kept.buf) return -1;
    }
    kept.len = MEMBER_HEADER;
    ws_file_header(kept.buf + kept.len, WS_MAGIC_FILE, WS_FILE_TAG, WS_FORMAT_VERSION);
    kept.len += FILE_HEADER;
    kept.since_ns = ws_mono_ns();
    kept.dirfd = dirfd;
    kept.dir = dir;
    kept.pid = pid;
    kept.cut = 0;
    kept.on = 1;
    ws_log_fd = -1;
    return 0;
}

/* The log kept so far goes to a file of its own, written as it goes from
 * now on: 0; CUT when a write failed (the file is the log all the same,
 * cut where the disk filled); NO_FILE when none could be made (the log
 * stays kept). */
enum { CUT = -1, NO_FILE = -2 };
static int to_file(void)
{
    int fd = ws_log_create_in(kept.dirfd, kept.dir, kept.pid);
    if (fd < 0) return NO_FILE;
    kept.on = 0;
    ws_log_fd = fd;
    size_t skip = MEMBER_HEADER + FILE_HEADER; /* (the file has its header) */
    return ws_write_all(fd, kept.buf + skip, kept.len - skip) == 0 ? 0 : CUT;
}

int ws_log_kept(void)
{
    return kept.on;
}

int ws_log_kept_write(const uint8_t *p, size_t n)
{
    if (kept.len + n > kept.cap && kept.len + n <= WS_PACK_MAX) {
        size_t cap = kept.cap;
        while (cap < kept.len + n)
            cap *= 2;
        uint8_t *b = realloc(kept.buf, cap);
        if (b) {
            kept.buf = b;
            kept.cap = cap;
        }
    }
    if (kept.len + n <= kept.cap) {
        memcpy(kept.buf + kept.len, p, n);
        kept.len += n;
        return 0;
    }
    /* Too large to pack (or no memory for it): a file, as it goes.  One
     * that cannot be made leaves the log cut here, which its end says
     * (ws_log_finish()). */
    int rc = to_file();
    if (rc == NO_FILE) kept.cut = 1;
    if (rc != 0) return -1;
    return ws_write_all(ws_log_fd, p, n);
}

int ws_log_kept_tick(uint64_t now_ns)
{
    if (!kept.on || kept.cut || now_ns - kept.since_ns < (uint64_t)WS_PACK_MS * 1000000u) return 0;
    /* (no file made: kept, and tried again at the next flush) */
    return to_file() == CUT ? -1 : 0;
}

/* Creates this flusher's pack, with its header: 0, or -1. */
static int pack_open(void)
{
    char base[32];
    uint8_t hdr[FILE_HEADER];
    snprintf(base, sizeof base, "pack-%d", (int)getpid());
    ws_file_header(hdr, WS_MAGIC_PACK, WS_PACK_TAG, WS_PACK_VERSION);
    pack_fd = ws_file_new(kept.dirfd, base, hdr, 0, NULL);
    pack_size = FILE_HEADER;
    return pack_fd < 0 ? -1 : 0;
}

/* Appends the kept log to the pack: 0, or -1 with the pack as it was. */
static int pack_append(void)
{
    if (pack_fd < 0 && pack_open() != 0) return -1;
    uint32_t magic = WS_MAGIC_MEMBER, size = 8;
    uint64_t len = kept.len - MEMBER_HEADER;
    memcpy(kept.buf, &magic, 4);
    memcpy(kept.buf + 4, &size, 4);
    memcpy(kept.buf + 8, &len, 8);
    flock(pack_fd, LOCK_EX);
    int rc = ws_write_all(pack_fd, kept.buf, kept.len);
    if (rc == 0)
        pack_size += (off_t)kept.len;
    else if (ftruncate(pack_fd, pack_size) != 0) { /* (O_APPEND: the next write follows) */
        /* A pack that cannot be cut back ends here: the next gets a new one. */
        flock(pack_fd, LOCK_UN);
        real_close(pack_fd);
        pack_fd = -1;
        return -1;
    }
    flock(pack_fd, LOCK_UN);
    return rc;
}

int ws_log_finish(void)
{
    if (!kept.on) {
        if (ws_log_fd >= 0) real_close(ws_log_fd);
        ws_log_fd = -1;
        return 0;
    }
    /* A log cut because no file could be made for it is no log: said by
     * the flusher's status, as a log not made at all. */
    if (kept.cut) {
        kept.on = kept.cut = 0;
        return -1;
    }
    kept.on = 0;
    if (pack_append() == 0) return 0;
    /* The pack failed (a full disk, say): the log alone, then, even cut
     * where the disk filled. */
    int rc = to_file();
    if (ws_log_fd >= 0) real_close(ws_log_fd);
    ws_log_fd = -1;
    return rc == NO_FILE ? -1 : 0;
}
