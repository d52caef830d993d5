/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers for the decoder: allocation that fails loudly
 * (one line, exit 1) instead of returning NULL, growing arrays, and a
 * qsort that accepts empty arrays.
 */
#ifndef WHYSLOW_UTIL_H
#define WHYSLOW_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
/* Frees what the functions here allocated (and only that). */
void xfree(void *p);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A string formatted as printf does, allocated (to xfree). */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The memory held at most, for logs of N bytes in all: MEM_FREE and
 * MEM_PER_BYTE times their size (util.c says what is counted).  Real logs
 * take less than 5 times their size (docs/how-it-works.md); the bound
 * keeps the whole program under 64 MiB and 256 times their size.  Until
 * mem_bound_add is first called, there is none; each call adds the size
 * of a log to N.
 */
#define MEM_FREE     (32u << 20)
#define MEM_PER_BYTE 192u
void mem_bound_add(size_t input);

/* What is being read, named by the message when the memory runs out (a
 * string that lives on). */
void mem_blame(const char *what);

/* Makes room for `need` elements of `size` bytes in the array *p of
 * capacity *cap, doubling it as needed. */
void xgrow(void *p, size_t *cap, size_t need, size_t size);

/* Makes the buffer *p of *cap bytes hold at least `need`, growing it to
 * need rounded up to 64 KiB: for buffers that chunks are inflated into,
 * which doubling would make up to twice as large as the largest chunk. */
void xreserve(uint8_t **p, size_t *cap, size_t need);

/* qsort, which may be given no array at all when n < 2. */
void xsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Appends one element to a growing array: ARRAY_PUSH(arr, n, cap) = value. */
#define ARRAY_PUSH(arr, n, cap) (*(xgrow(&(arr), &(cap), (n) + 1, sizeof(*(arr))), &(arr)[(n)++]))

#endif
