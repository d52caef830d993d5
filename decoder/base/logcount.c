/* SPDX-License-Identifier: MIT */
/*
 * logcount.c - counting the processes of a log file by its headers alone
 * (logcount.h): `record` links libc only, and reads no log.
 */
#include "base/logcount.h"

#include <whyslow/format.h>

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define FRAME_HEADER  8
#define FILE_HEADER   (FRAME_HEADER + 16)
#define MEMBER_HEADER (FRAME_HEADER + 8)

static uint64_t le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

unsigned log_processes_at(int dirfd, const char *name)
{
    /* (O_NONBLOCK: a FIFO put in the log's place opens, and is no file) */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    uint8_t h[FILE_HEADER];
    unsigned n = 1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        n = 0;
    } else if (pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h && le(h, 4) == WS_MAGIC_PACK) {
        /* Each member within the file, or the count ends: a length is
         * the file's to say, and may be damage. */
        uint64_t off = FILE_HEADER, size = (uint64_t)st.st_size;
        for (n = 0; size - off >= MEMBER_HEADER; n++) {
            uint8_t m[MEMBER_HEADER];
            if (pread(fd, m, sizeof m, (off_t)off) != (ssize_t)sizeof m ||
                le(m, 4) != WS_MAGIC_MEMBER || le(m + 4, 4) != 8)
                break;
            uint64_t len = le(m + 8, 8);
            off += MEMBER_HEADER;
            if (len > size - off) { /* cut short: the last */
                n++;
                break;
            }
            off += len;
        }
    }
    close(fd);
    return n;
}
