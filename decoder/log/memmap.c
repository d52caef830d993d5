/* SPDX-License-Identifier: MIT */
/*
 * memmap.c - the union of a process's recorded memory maps (see memmap.h).
 *
 * A maps line is "START-END PERMS OFFSET MAJOR:MINOR INODE   PATH", the
 * numbers in hex but the inode (decimal), PATH absent for anonymous
 * memory.  Lines come from the log, so anything may be in them: a line
 * that does not parse is skipped, never trusted.
 */
#include "log/memmap.h"

#include "base/text.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static int expect(const char **pp, const char *end, char c)
{
    if (*pp >= end || **pp != c) return -1;
    (*pp)++;
    return 0;
}

int maps_parse_line(const char *line, size_t len, struct ws_mapping *m)
{
    const char *p = line, *end = line + len;
    uint64_t major, minor;

    memset(m, 0, sizeof(*m));
    if (text_number(&p, end, 16, &m->start) < 0 || expect(&p, end, '-') < 0 ||
        text_number(&p, end, 16, &m->end) < 0 || m->end <= m->start)
        return -1;
    p = skip_spaces(p, end);
    if (end - p < 4) return -1;
    memcpy(m->perms, p, 4);
    p += 4;
    p = skip_spaces(p, end);
    if (text_number(&p, end, 16, &m->offset) < 0) return -1;
    p = skip_spaces(p, end);
    if (text_number(&p, end, 16, &major) < 0 || expect(&p, end, ':') < 0 ||
        text_number(&p, end, 16, &minor) < 0 || major > UINT32_MAX || minor > UINT32_MAX)
        return -1;
    m->dev_major = (uint32_t)major;
    m->dev_minor = (uint32_t)minor;
    p = skip_spaces(p, end);
    if (text_number(&p, end, 10, &m->inode) < 0) return -1;
    if (p < end && *p != ' ' && *p != '\t') return -1;
    p = skip_spaces(p, end);
    while (end > p && (end[-1] == ' ' || end[-1] == '\r'))
        end--;
    if (p == end) return 0; /* anonymous */
    static const char deleted[] = " (deleted)";
    size_t n = (size_t)(end - p), dl = sizeof(deleted) - 1;
    if (n > dl && memcmp(end - dl, deleted, dl) == 0) {
        m->deleted = 1;
        n -= dl;
    }
    m->path = xstrndup(p, n);
    return 0;
}

int mapping_is_file(const struct ws_mapping *m)
{
    return m->path && m->path[0] == '/' && !m->deleted;
}

/* Whether a and b map the same file the same way where they overlap:
 * the same path and inode, and the same file offset at each address. */
static int same_mapping(const struct ws_mapping *a, const struct ws_mapping *b)
{
    if (!a->path || !b->path) return !a->path && !b->path;
    return strcmp(a->path, b->path) == 0 && a->inode == b->inode &&
           a->start - a->offset == b->start - b->offset;
}

int mapping_has_path(const struct ws_mapping *m)
{
    return m && m->path && m->path[0] == '/';
}

static int cmp_start(const void *a, const void *b)
{
    const struct ws_mapping *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The first mapping of v[0..n) (sorted, not overlapping) ending after addr. */
static size_t first_ending_after(const struct ws_mapping *v, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A copy of the part [start, end) of m. */
static struct ws_mapping piece(const struct ws_mapping *m, uint64_t start, uint64_t end)
{
    struct ws_mapping c = *m;
    c.offset = m->offset + (start - m->start);
    c.start = start;
    c.end = end;
    c.path = m->path ? xstrdup(m->path) : NULL;
    return c;
}

int maps_add(struct ws_maps *maps, const char *text, size_t len, size_t max_work)
{
    struct ws_mapping *fresh = NULL;
    size_t nfresh = 0, freshcap = 0;
    const char *p = text, *end = text + len;

    size_t work = maps->n + 1;
    for (const char *nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))); nl++)
        work++;
    if (work > max_work || maps->work > max_work - work) return -1;
    maps->work += work;
    maps->records++;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        struct ws_mapping m;
        if (maps_parse_line(p, (size_t)(nl - p), &m) == 0) ARRAY_PUSH(fresh, nfresh, freshcap) = m;
        p = nl + 1;
    }
    xsort(fresh, nfresh, sizeof(*fresh), cmp_start);
    /* One map never overlaps itself; a damaged one might: keep the first. */
    size_t n = 0;
    for (size_t i = 0; i < nfresh; i++) {
        if (n && fresh[i].start < fresh[n - 1].end) {
            xfree(fresh[i].path);
            continue;
        }
        fresh[n++] = fresh[i];
    }
    nfresh = n;

    /* The old mappings keep what the new ones do not cover. */
    struct ws_mapping *out = NULL;
    size_t nout = 0, outcap = 0;
    for (size_t i = 0; i < maps->n; i++) {
        struct ws_mapping *o = &maps->v[i];
        uint64_t at = o->start;
        for (size_t k = first_ending_after(fresh, nfresh, o->start);
             k < nfresh && fresh[k].start < o->end; k++) {
            struct ws_mapping *f = &fresh[k];
            if (mapping_has_path(o) && mapping_has_path(f) && (!same_mapping(o, f) || o->ambiguous))
                f->ambiguous = 1;
            if (f->start > at) ARRAY_PUSH(out, nout, outcap) = piece(o, at, f->start);
            at = f->end;
        }
        if (at < o->end) ARRAY_PUSH(out, nout, outcap) = piece(o, at, o->end);
        xfree(o->path);
    }
    for (size_t i = 0; i < nfresh; i++)
        ARRAY_PUSH(out, nout, outcap) = fresh[i];
    xfree(fresh);
    xsort(out, nout, sizeof(*out), cmp_start);
    xfree(maps->v);
    maps->v = out;
    maps->n = nout;
    maps->cap = outcap;
    return 0;
}

const struct ws_mapping *maps_find(const struct ws_maps *maps, uint64_t addr)
{
    size_t i = first_ending_after(maps->v, maps->n, addr);
    return i < maps->n && maps->v[i].start <= addr ? &maps->v[i] : NULL;
}

const struct ws_mapping *maps_below(const struct ws_maps *maps, uint64_t addr)
{
    size_t i = first_ending_after(maps->v, maps->n, addr);
    if (i < maps->n && maps->v[i].start <= addr) return &maps->v[i];
    return i > 0 ? &maps->v[i - 1] : NULL;
}

void maps_free(struct ws_maps *maps)
{
    for (size_t i = 0; i < maps->n; i++)
        xfree(maps->v[i].path);
    xfree(maps->v);
    memset(maps, 0, sizeof(*maps));
}
