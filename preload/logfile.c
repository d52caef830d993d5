/*
 * logfile.c - the process's log file: creating it, and appending to it.
 *
 * One log per process, $WHYSLOW_DIR/<pid>.wslog (<pid>-N.wslog when a
 * log of that pid exists already, as after exec), created with mode 0600,
 * O_EXCL and O_NOFOLLOW so that no symlink planted there is followed.
 * The program creates it and hands it to the flusher process, which holds
 * an exclusive flock on it while it writes: `whyslow record` waits for
 * those locks, so a report never reads a log still being written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#include "internal.h"

int ws_log_fd = -1;

/* Creates the log with its file header; returns its fd, or -1. */
int ws_log_create(void)
{
    char path[4200];
    int fd = -1;
    for (int n = 0; n < 1000 && fd < 0; n++) {
        if (n == 0)
            snprintf(path, sizeof path, "%s/%d.wslog", ws_dir, (int)ws_sh->pid);
        else
            snprintf(path, sizeof path, "%s/%d-%d.wslog", ws_dir, (int)ws_sh->pid, n);
        fd = real_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND, 0600);
        if (fd < 0 && errno != EEXIST) return -1;
    }
    if (fd < 0) return -1;
    flock(fd, LOCK_EX);

    uint8_t hdr[24];
    uint32_t magic = WS_MAGIC_FILE, size = 16, version = WS_FORMAT_VERSION, flags = 0;
    memcpy(hdr, &magic, 4);
    memcpy(hdr + 4, &size, 4);
    memcpy(hdr + 8, WS_FILE_TAG, 8);
    memcpy(hdr + 16, &version, 4);
    memcpy(hdr + 20, &flags, 4);
    ws_log_fd = fd;
    if (ws_log_write(hdr, sizeof hdr) != 0) {
        real_close(fd);
        ws_log_fd = -1;
        return -1;
    }
    ws_log_fd = -1;
    return fd;
}

int ws_log_write(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = real_write(ws_log_fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}
