/* SPDX-License-Identifier: MIT */
/*
 * jitmap.c - names for JIT code from a perf map (jitmap.h).
 */
#include "symbols/jitmap.h"

#include "base/text.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hex number at *p, "0x" or not. */
static int hex(const char **p, const char *end, uint64_t *v)
{
    if (*p + 2 <= end && (*p)[0] == '0' && ((*p)[1] == 'x' || (*p)[1] == 'X')) *p += 2;
    return text_number(p, end, 16, v);
}

static int by_start(const void *a, const void *b)
{
    const struct jit_entry *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->name < y->name ? -1 : x->name > y->name; /* the later line last */
}

void jitmap_parse(const char *text, size_t len, struct jitmap *m)
{
    size_t cap = 0;
    memset(m, 0, sizeof(*m));
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *q = p;
        struct jit_entry e;
        if (hex(&q, eol, &e.start) == 0 && q < eol && *q++ == ' ' && hex(&q, eol, &e.size) == 0 &&
            q < eol && *q++ == ' ' && e.size > 0 && e.start + e.size > e.start) {
            e.name = q;
            e.len = (size_t)(eol - q);
            ARRAY_PUSH(m->v, m->n, cap) = e;
        }
        p = nl ? nl + 1 : end;
    }
    xsort(m->v, m->n, sizeof(*m->v), by_start);
}

const struct jit_entry *jitmap_find(const struct jitmap *m, uint64_t pc)
{
    /* The last range starting at or before pc; code may be freed and its
     * space reused, so earlier ones that hold pc are looked at too, the
     * latest line first, a few back. */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].start <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, k = 0; i-- > 0 && k < 64; k++)
        if (pc < m->v[i].start + m->v[i].size) return &m->v[i];
    return NULL;
}

/* The number [p, end) is, all digits, or -1. */
static long digits(const char *p, const char *end)
{
    uint64_t v;
    if (end - p > 9 || text_number(&p, end, 10, &v) < 0 || p != end) return -1;
    return (long)v;
}

/* The colon at or before q - 1 in [lo, q), or NULL. */
static const char *colon_before(const char *lo, const char *q)
{
    while (q > lo)
        if (*--q == ':') return q;
    return NULL;
}

void jit_name_parts(const char *name, size_t len, char *fn, size_t fnlen, char *file,
                    size_t filelen, unsigned *line)
{
    static const char *const kinds[] = {"JS:", "LazyCompile:", "Function:", "Eval:", "Script:"};
    *line = 0;
    file[0] = '\0';
    /* "JS:~handler /app/server.js:12:20": a kind, a tier mark (~
     * interpreted, ^ baseline, + maglev, * optimized), the function, then
     * its location "FILE:LINE:COLUMN".  Other kinds ("RegExp:...", a
     * stub's) are only a name. */
    const char *p = NULL, *end = name + len;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds) && !p; i++)
        if (len >= strlen(kinds[i]) && memcmp(name, kinds[i], strlen(kinds[i])) == 0)
            p = name + strlen(kinds[i]);
    if (!p) {
        snprintf(fn, fnlen, "%.*s", (int)len, name);
        return;
    }
    if (p < end && strchr("~^+*-", *p)) p++;
    size_t rest = p < end ? (size_t)(end - p) : 0;
    const char *sp = rest ? memchr(p, ' ', rest) : NULL;
    const char *fend = sp ? sp : end;
    if (fend > p)
        snprintf(fn, fnlen, "%.*s", (int)(fend - p), p);
    else
        snprintf(fn, fnlen, "(anonymous)");
    if (!sp) return;
    /* From the end: ":COLUMN" and ":LINE" or only ":LINE", each digits;
     * what is before is the file (which may hold colons: "node:fs",
     * "file:///app/x.mjs"). */
    const char *loc = sp + 1, *fe = end, *c = colon_before(loc, end);
    long last = c ? digits(c + 1, end) : -1;
    if (last >= 0) {
        const char *c1 = colon_before(loc, c);
        long first = c1 ? digits(c1 + 1, c) : -1;
        fe = first >= 0 ? c1 : c;
        *line = (unsigned)(first >= 0 ? first : last);
    }
    snprintf(file, filelen, "%.*s", (int)(fe - loc), loc);
}

void jitmap_free(struct jitmap *m)
{
    xfree(m->v);
    memset(m, 0, sizeof(*m));
}
