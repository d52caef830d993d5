/* SPDX-License-Identifier: MIT */
/*
 * strpool.c - interned strings: an array of copies and an open addressing
 * table of ids keyed by an FNV-1a hash, mixed with hashmap.c's secret (the
 * strings come from logs).
 */
#include "base/strpool.h"

#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void rehash(struct strpool *sp, size_t tcap)
{
    xfree(sp->table);
    sp->table = xcalloc(tcap, sizeof(*sp->table));
    sp->tcap = tcap;
    for (size_t id = 1; id <= sp->n; id++) {
        size_t i = hash_mix(sp->hashes[id - 1]) & (tcap - 1);
        while (sp->table[i])
            i = (i + 1) & (tcap - 1);
        sp->table[i] = (uint32_t)id;
    }
}

uint32_t strpool_intern(struct strpool *sp, const char *s, size_t len)
{
    len = strnlen(s, len); /* a string ends at its first NUL */
    if ((sp->n + 1) * 2 > sp->tcap) rehash(sp, sp->tcap ? sp->tcap * 2 : 64);
    uint64_t h = fnv1a(s, len);
    size_t i = hash_mix(h) & (sp->tcap - 1);
    for (; sp->table[i]; i = (i + 1) & (sp->tcap - 1)) {
        uint32_t id = sp->table[i];
        const char *t = sp->strs[id - 1];
        if (sp->hashes[id - 1] == h && strlen(t) == len && memcmp(t, s, len) == 0) return id;
    }
    size_t cap = sp->cap;
    xgrow(&sp->strs, &cap, sp->n + 1, sizeof(*sp->strs));
    xgrow(&sp->hashes, &sp->cap, sp->n + 1, sizeof(*sp->hashes));
    sp->strs[sp->n] = xstrndup(s, len);
    sp->hashes[sp->n] = h;
    sp->n++;
    sp->table[i] = (uint32_t)sp->n;
    return (uint32_t)sp->n;
}

const char *strpool_get(const struct strpool *sp, uint32_t id)
{
    if (id == 0 || id > sp->n) return NULL;
    return sp->strs[id - 1];
}

void strpool_free(struct strpool *sp)
{
    for (size_t i = 0; i < sp->n; i++)
        xfree(sp->strs[i]);
    xfree(sp->strs);
    xfree(sp->hashes);
    xfree(sp->table);
    memset(sp, 0, sizeof(*sp));
}
