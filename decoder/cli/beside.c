/* SPDX-License-Identifier: MIT */
/*
 * beside.c - where the whyslow command finds its parts: the recorder
 * library, the decoder and the Python plugin sit beside the command in a
 * build tree, and in their install directories once installed.
 */
#include "cli/cli.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int self_dir(char *buf, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash) return -1;
    *slash = '\0';
    int k = snprintf(buf, len, "%s", self);
    return k > 0 && (size_t)k < len ? 0 : -1;
}

char *find_part(const char *name, const char *installed_dir, int mode, char *buf, size_t len)
{
    char dir[PATH_MAX];
    if (self_dir(dir, sizeof(dir)) == 0) {
        int k = snprintf(buf, len, "%s/%s", dir, name);
        if (k > 0 && (size_t)k < len && access(buf, mode) == 0) return buf;
    }
    int k = snprintf(buf, len, "%s/%s", installed_dir, name);
    return k > 0 && (size_t)k < len && access(buf, mode) == 0 ? buf : NULL;
}
