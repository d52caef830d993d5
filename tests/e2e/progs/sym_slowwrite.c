/* SPDX-License-Identifier: MIT */
/*
 * sym_slowwrite.c - a library that sym_dlopen.c loads with dlopen: its
 * function makes one slow write (on the line the test finds by its tag).
 */
#include <stddef.h>
#include <unistd.h>

ssize_t slow_write(int fd, const void *buf, size_t len);

ssize_t slow_write(int fd, const void *buf, size_t len)
{
    ssize_t n = write(fd, buf, len); /* SITE:slow_write */
    return n;
}
