/* SPDX-License-Identifier: MIT */
/*
 * util.c - small helpers for the decoder.  Running out of memory on a
 * huge or hostile log is reported in one line and ends the program with
 * status 1; nothing else in the decoder checks for NULL.
 *
 * The memory the decoder holds is counted (what malloc gave each block,
 * malloc_usable_size, from allocation to xfree), and bounded by the size
 * of the logs read (mem_bound_add): the bounds on what a log is read for
 * (log_read.h) bound the time, but what the analysis keeps per record
 * differs by record, and a log can hold millions of distinct locks, fds
 * or queries in a few bytes each.  Past the bound, whyslow stops with one
 * line naming the log then being read (mem_blame) rather than take all of
 * the machine's memory.  What libraries allocate (libdw reading the
 * program's files, libpg_query, zstd) is not counted: it depends on
 * those files, not on the log.
 */
#include "base/util.h"

#include "base/text.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t held;                   /* bytes of the blocks allocated here, not yet freed */
static size_t bound = SIZE_MAX;       /* at most */
static size_t bound_input;            /* the bytes of logs it was set for */
static const char *blame = "whyslow"; /* what is being read */

static void out_of_memory(size_t n)
{
    fprintf(stderr, "whyslow: out of memory (allocating %zu bytes)\n", n);
    exit(1);
}

void mem_bound_add(size_t input)
{
    bound_input = input > SIZE_MAX - bound_input ? SIZE_MAX : bound_input + input;
    size_t per = MEM_PER_BYTE;
    bound = bound_input > (SIZE_MAX - MEM_FREE) / per ? SIZE_MAX : MEM_FREE + per * bound_input;
}

void mem_blame(const char *what)
{
    blame = what;
}

static void count(void *p, size_t was)
{
    held += malloc_usable_size(p) - was;
    if (held > bound) {
        char safe[4096];
        fprintf(stderr,
                "whyslow: %s: needs more than %zu MiB of memory, the most whyslow takes for %zu "
                "bytes of logs (%u MiB and %u times their size): a damaged or hostile log?\n",
                text_safe(blame, safe, sizeof(safe)), bound >> 20, bound_input, MEM_FREE >> 20,
                MEM_PER_BYTE);
        exit(1);
    }
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    count(p, 0);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) out_of_memory(n * size);
    count(p, 0);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    size_t was = p ? malloc_usable_size(p) : 0;
    p = realloc(p, n ? n : 1);
    if (!p) out_of_memory(n);
    count(p, was);
    return p;
}

void xfree(void *p)
{
    if (!p) return;
    held -= malloc_usable_size(p);
    free(p);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void xgrow(void *p, size_t *cap, size_t need, size_t size)
{
    void **arr = p;
    if (need <= *cap) return;
    size_t n = *cap ? *cap : 8;
    while (n < need) {
        if (n > SIZE_MAX / 2) out_of_memory(SIZE_MAX);
        n *= 2;
    }
    if (n > SIZE_MAX / size) out_of_memory(SIZE_MAX);
    *arr = xrealloc(*arr, n * size);
    *cap = n;
}

void xreserve(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return;
    size_t n = need > SIZE_MAX - 65535 ? need : (need + 65535) & ~(size_t)65535;
    *p = xrealloc(*p, n);
    *cap = n;
}

void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(base, n, size, cmp);
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    size_t len = n > 0 ? (size_t)n + 1 : 1;
    char *s = xmalloc(len);
    va_start(ap, fmt);
    vsnprintf(s, len, fmt, ap);
    va_end(ap);
    return s;
}
