/*
 * util.h - small helpers for the decoder: allocation that fails loudly
 * (one line, exit 1) instead of returning NULL, growing arrays, and a
 * qsort that accepts empty arrays.
 */
#ifndef WHYSLOW_UTIL_H
#define WHYSLOW_UTIL_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Makes room for `need` elements of `size` bytes in the array *p of
 * capacity *cap, doubling it as needed. */
void xgrow(void *p, size_t *cap, size_t need, size_t size);

/* qsort, which may be given no array at all when n < 2. */
void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Appends one element to a growing array: ARRAY_PUSH(arr, n, cap) = value. */
#define ARRAY_PUSH(arr, n, cap) (*(xgrow(&(arr), &(cap), (n) + 1, sizeof(*(arr))), &(arr)[(n)++]))

#endif
