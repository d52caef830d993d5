/* SPDX-License-Identifier: MIT */
/*
 * fileopen.c - opening only regular files on disk (see fileopen.h).
 *
 * The file is first reached with O_PATH, which opens nothing: no FIFO
 * waits for a writer, no device driver runs.  Its type and file system
 * are checked on that descriptor, and the very inode it names is then
 * opened for reading through /proc/self/fd, so nothing can be swapped in
 * between.  Without /proc, the path is opened again (O_NONBLOCK, so a FIFO
 * put there in the meantime cannot block) and must be the same inode.
 */
#include "base/fileopen.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* What a file that is not a regular one is. */
static const char *kind_of(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO:
        return "a FIFO";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symbolic link";
    default:
        return "not a regular file";
    }
}

/* Whether a file system type is one of the kernel's interfaces, whose
 * "regular files" are no files on disk. */
static int pseudo_fs(long type)
{
    switch ((unsigned long)type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case BPF_FS_MAGIC:
    case EFIVARFS_MAGIC:
    case PSTOREFS_MAGIC:
    case SELINUX_MAGIC:
    case SMACK_MAGIC:
    case BINFMTFS_MAGIC:
    case 0x62656570: /* configfs */
    case 0x65735543: /* fusectl */
        return 1;
    default:
        return 0;
    }
}

/* Why the file st (on file system fs) is not to be opened, or NULL. */
static const char *refusal(const struct stat *st, const struct statfs *fs)
{
    if (!S_ISREG(st->st_mode)) return kind_of(st->st_mode);
    if (pseudo_fs((long)fs->f_type)) return "a kernel pseudo-file (/proc, /sys...)";
    return NULL;
}

int open_regular(const char *path, enum open_links links, struct stat *st, char *err, size_t errlen)
{
    int nofollow = links == OPEN_NOFOLLOW ? O_NOFOLLOW : 0;
    struct statfs fs;
    int pfd = open(path, O_PATH | O_CLOEXEC | nofollow);
    if (pfd < 0 || fstat(pfd, st) < 0 || fstatfs(pfd, &fs) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        if (pfd >= 0) close(pfd);
        return -1;
    }
    const char *why = refusal(st, &fs);
    if (why) {
        snprintf(err, errlen, "%s%s", why, S_ISREG(st->st_mode) ? "" : ", not a regular file");
        close(pfd);
        return -1;
    }

    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
    int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = open(self, flags);
    if (fd < 0 && errno == ENOENT) {
        /* No /proc here: the path again, which must lead to the same file. */
        struct stat again;
        fd = open(path, flags | nofollow);
        if (fd >= 0 &&
            (fstat(fd, &again) < 0 || again.st_dev != st->st_dev || again.st_ino != st->st_ino)) {
            close(fd);
            fd = -1;
            errno = ESTALE;
        }
    }
    int saved = errno;
    close(pfd);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(saved));
        return -1;
    }
    return fd;
}

int path_absent_or_regular(const char *path)
{
    struct stat st;
    struct statfs fs;
    if (stat(path, &st) < 0 || statfs(path, &fs) < 0) return 1; /* absent, or out of reach */
    return refusal(&st, &fs) == NULL;
}
