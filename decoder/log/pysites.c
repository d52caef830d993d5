/* SPDX-License-Identifier: MIT */
/*
 * pysites.c - Python code objects, their lines, and sites (pysites.h).
 */
#include "log/pysites.h"

#include "base/hashmap.h"
#include "base/util.h"

#include <string.h>

struct py_code {
    const char *function, *file; /* interned in the process's strings */
    uint32_t where;              /* "function\1file", interned: the pair's number */
    int first_line;
    unsigned minor; /* the Python version's (its line table's format) */
    uint8_t *table; /* its line table */
    size_t tlen;
    int users; /* the file is the user's code */
};

struct py_state {
    struct map code_ix; /* code number -> index + 1 in codes */
    struct py_code *codes;
    size_t ncodes, codecap;
    struct map frame_ix; /* (where, line) -> frame index + 1 */
    struct py_frame *frames;
    size_t nframes, framecap;
    struct map site_ix; /* (frame, user frame + 1 or 0) -> site index + 1 */
    struct py_site *sites;
    size_t nsites, sitecap;
};

static struct py_state *state(struct ws_process *p)
{
    if (!p->py) p->py = xcalloc(1, sizeof(*p->py));
    return p->py;
}

int py_file_is_users(const char *file)
{
    if (!file || !file[0] || file[0] == '<') return 0;
    if (strstr(file, "/site-packages/") || strstr(file, "/dist-packages/")) return 0;
    for (const char *s = file; (s = strstr(s, "/lib/python")) != NULL; s++)
        if (s[11] >= '0' && s[11] <= '9') return 0;
    return 1;
}

static uint32_t intern(struct ws_process *p, const uint8_t *s, size_t len)
{
    return strpool_intern(&p->strings, (const char *)s, len);
}

void py_code_add(struct ws_process *p, const struct ws_event *ev)
{
    if (ev->payload_len < 4 || ev->obj <= 0 || ev->obj > UINT32_MAX) return;
    const uint8_t *q = ev->payload;
    size_t nlen = (size_t)q[0] | (size_t)q[1] << 8, flen = (size_t)q[2] | (size_t)q[3] << 8;
    if (4 + nlen + flen > ev->payload_len) return;
    struct py_state *s = state(p);
    int created;
    uint64_t *slot = map_put(&s->code_ix, (uint64_t)ev->obj, 0, &created);
    if (!created) return; /* a number names one code object */
    struct py_code c = {
        .function = strpool_get(&p->strings, intern(p, q + 4, nlen)),
        .file = strpool_get(&p->strings, intern(p, q + 4 + nlen, flen)),
        .first_line = (int)ev->result,
        .minor = (unsigned)(ev->err & 0xff),
        .tlen = ev->payload_len - 4 - nlen - flen,
    };
    char *where = xmalloc(nlen + flen + 2);
    memcpy(where, q + 4, nlen);
    where[nlen] = '\1';
    memcpy(where + nlen + 1, q + 4 + nlen, flen);
    c.where = strpool_intern(&p->strings, where, nlen + 1 + flen);
    xfree(where);
    c.table = xmalloc(c.tlen ? c.tlen : 1);
    memcpy(c.table, q + 4 + nlen + flen, c.tlen);
    c.users = py_file_is_users(c.file);
    ARRAY_PUSH(s->codes, s->ncodes, s->codecap) = c;
    *slot = s->ncodes;
}

/* A varint of the line table: 6 bits a byte, low first, 0x40 for more. */
static int varint(const uint8_t **q, const uint8_t *end, uint32_t *v)
{
    uint32_t x = 0;
    for (unsigned shift = 0; *q < end && shift < 32; shift += 6) {
        uint8_t b = *(*q)++;
        x |= (uint32_t)(b & 63) << shift;
        if (!(b & 64)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* CPython 3.11's location table (Objects/locations.md): entries of one
 * byte 1CCCCLLL (C the kind, L the code units covered - 1) and what the
 * kind says follows: 15 no location, 14 the long form (signed line delta,
 * end line delta, column, end column), 13 no column (signed line delta),
 * 10 to 12 one line (delta kind - 10, then column and end column bytes),
 * 0 to 9 the short form (same line, one byte of columns). */
static unsigned locations(const uint8_t *table, size_t len, int first_line, uint32_t offset)
{
    const uint8_t *q = table, *end = table + len;
    int64_t line = first_line;
    uint64_t addr = 0;
    while (q < end) {
        uint8_t head = *q++;
        if (!(head & 0x80)) return 0; /* not an entry's start: damaged */
        unsigned kind = head >> 3 & 15, units = (head & 7) + 1;
        uint32_t v, skip;
        int has_line = 1;
        if (kind == 15) {
            has_line = 0;
        } else if (kind == 14 || kind == 13) {
            if (varint(&q, end, &v) < 0) return 0;
            line += (v & 1) ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
            if (kind == 14 && (varint(&q, end, &skip) < 0 || varint(&q, end, &skip) < 0 ||
                               varint(&q, end, &skip) < 0))
                return 0;
        } else if (kind >= 10) {
            line += kind - 10;
            q += 2;
        } else {
            q += 1;
        }
        uint64_t next = addr + units * 2;
        if (offset >= addr && offset < next) return has_line && line > 0 ? (unsigned)line : 0;
        addr = next;
    }
    return 0;
}

/* CPython 3.10's co_linetable (PEP 626): byte pairs, the bytes of code
 * covered and a signed line delta, -128 for no line. */
static unsigned linetable_310(const uint8_t *table, size_t len, int first_line, uint32_t offset)
{
    int64_t line = first_line;
    uint64_t addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        uint64_t next = addr + table[i];
        int8_t delta = (int8_t)table[i + 1];
        int has_line = delta != -128;
        if (has_line) line += delta;
        if (offset >= addr && offset < next) return has_line && line > 0 ? (unsigned)line : 0;
        addr = next;
    }
    return 0;
}

/* CPython 3.8's and 3.9's co_lnotab: byte pairs, the bytes of code to
 * the next line change and the signed change (PyCode_Addr2Line). */
static unsigned lnotab(const uint8_t *table, size_t len, int first_line, uint32_t offset)
{
    int64_t line = first_line;
    uint64_t addr = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        addr += table[i];
        if (addr > offset) break;
        line += (int8_t)table[i + 1];
    }
    return line > 0 ? (unsigned)line : 0;
}

unsigned py_line(const uint8_t *table, size_t len, int first_line, uint32_t offset, unsigned minor)
{
    if (minor >= 11) return locations(table, len, first_line, offset);
    if (minor == 10) return linetable_310(table, len, first_line, offset);
    return lnotab(table, len, first_line, offset);
}

/* A frame's number (index) for a key; -1 when its code is not named.
 * Frames are told apart by function, file and line: one code object named
 * under two numbers (by two threads) makes one frame. */
static long frame_of(struct ws_process *p, uint64_t key)
{
    struct py_state *s = state(p);
    uint64_t *ix = map_get(&s->code_ix, key >> 32, 0);
    if (!ix) return -1;
    const struct py_code *c = &s->codes[*ix - 1];
    unsigned line = py_line(c->table, c->tlen, c->first_line, (uint32_t)key, c->minor);
    int created;
    uint64_t *slot = map_put(&s->frame_ix, c->where, line, &created);
    if (created) {
        ARRAY_PUSH(s->frames, s->nframes, s->framecap) =
            (struct py_frame){.function = c->function, .file = c->file, .line = line};
        *slot = s->nframes;
    }
    return (long)*slot - 1;
}

static uint64_t site_tag(struct ws_process *p, long at, long user, int at_is_users)
{
    struct py_state *s = state(p);
    int created;
    uint64_t *slot = map_put(&s->site_ix, (uint64_t)at, (uint64_t)(user + 1), &created);
    if (created) {
        struct py_site site = {.at = s->frames[at], .at_is_users = at_is_users};
        if (user >= 0) {
            site.user = s->frames[user];
            site.has_user = 1;
        }
        ARRAY_PUSH(s->sites, s->nsites, s->sitecap) = site;
        *slot = s->nsites;
    }
    return PY_TAG | (*slot - 1);
}

static int code_is_users(struct ws_process *p, uint64_t key)
{
    uint64_t *ix = map_get(&state(p)->code_ix, key >> 32, 0);
    return ix && p->py->codes[*ix - 1].users;
}

uint64_t py_site_of(struct ws_process *p, uint64_t at_key, uint64_t user_key)
{
    long at = frame_of(p, at_key), user = user_key ? frame_of(p, user_key) : -1;
    if (at < 0) return 0;
    return site_tag(p, at, user, code_is_users(p, at_key));
}

uint64_t py_site_of_stack(struct ws_process *p, const uint64_t *keys, size_t n)
{
    if (n == 0) return 0;
    size_t u = 0;
    while (u < n && !code_is_users(p, keys[u]))
        u++;
    return py_site_of(p, keys[0], u > 0 && u < n ? keys[u] : 0);
}

const struct py_site *py_site_get(const struct ws_process *p, uint64_t tag)
{
    if (!py_is_site(tag) || !p->py) return NULL;
    uint64_t i = tag & ~PY_TAG;
    return i < p->py->nsites ? &p->py->sites[i] : NULL;
}

void py_free(struct ws_process *p)
{
    struct py_state *s = p->py;
    if (!s) return;
    for (size_t i = 0; i < s->ncodes; i++)
        xfree(s->codes[i].table);
    xfree(s->codes);
    xfree(s->frames);
    xfree(s->sites);
    map_free(&s->code_ix);
    map_free(&s->frame_ix);
    map_free(&s->site_ix);
    xfree(s);
    p->py = NULL;
}
