/* SPDX-License-Identifier: MIT */
/*
 * strpool.h - interned strings.  Each process keeps the names the report
 * shows (file paths, peers, thread names) once, and events refer to them
 * by a small id; id 0 means "no string".
 */
#ifndef WHYSLOW_STRPOOL_H
#define WHYSLOW_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strpool {
    char **strs;      /* strs[id - 1] */
    uint64_t *hashes; /* hashes[id - 1] */
    size_t n, cap;
    uint32_t *table; /* open addressing: ids, 0 = empty */
    size_t tcap;
};

/* The id of the string s[0..len), cut at its first NUL (a copy is stored
 * the first time). */
uint32_t strpool_intern(struct strpool *sp, const char *s, size_t len);

/* The string of an id, or NULL for id 0 or an unknown id. */
const char *strpool_get(const struct strpool *sp, uint32_t id);

void strpool_free(struct strpool *sp);

#endif
