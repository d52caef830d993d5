/* SPDX-License-Identifier: MIT */
/*
 * intern.c - the flusher's table of strings already written to the log.
 *
 * A path, a peer address or a thread name is written to the log once, in a
 * WS_META_STRING record; events refer to it by number (format.h).  Programs
 * open the same files and talk to the same peers again and again, so this
 * keeps a loop of opens to a few bytes per event.  The table lives in the
 * flusher process only, and is bounded: when it is full, strings are
 * written as literals.
 */
#include <string.h>
#include <sys/mman.h>

#include "intern.h"
#include "meta.h"

#define SLOTS      (1u << 16) /* a power of two, twice the strings kept */
#define MAX_STRS   (SLOTS / 2)
#define ARENA_SIZE (16u << 20)

struct slot {
    uint32_t off; /* in the arena, + 1; 0: empty */
    uint32_t len;
};

static struct slot *slots;
static uint8_t *arena;
static uint32_t arena_used;
static uint32_t nstrings;
static uint32_t *ids;    /* slot -> string number */
static uint32_t *filled; /* string number -> slot */

int ws_intern_init(void)
{
    if (slots) {
        /* Again, for a new log (the child of fork(), a served flusher's
         * next process), which knows no string yet: only the slots used
         * are emptied, not the whole table (512 KiB per process). */
        for (uint32_t k = 0; k < nstrings; k++)
            slots[filled[k]].off = 0;
        nstrings = 0;
        arena_used = 0;
        return 0;
    }
    slots = mmap(NULL, SLOTS * sizeof *slots, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ids = mmap(NULL, SLOTS * sizeof *ids, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    filled = mmap(NULL, MAX_STRS * sizeof *filled, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED || ids == MAP_FAILED || filled == MAP_FAILED || arena == MAP_FAILED) {
        slots = NULL;
        return -1;
    }
    return 0;
}

/* Eight bytes at a time: the flusher hashes every statement's text. */
static uint32_t hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
    return (uint32_t)(h ^ (h >> 32));
}

long ws_intern(const void *s, size_t n)
{
    const uint8_t *p = s;
    for (uint32_t i = hash(p, n) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        struct slot *sl = &slots[i];
        if (sl->off == 0) {
            if (nstrings >= MAX_STRS || arena_used + n > ARENA_SIZE) return -1;
            memcpy(arena + arena_used, p, n);
            sl->off = arena_used + 1;
            sl->len = (uint32_t)n;
            arena_used += (uint32_t)n;
            filled[nstrings] = i;
            ids[i] = nstrings++;
            ws_meta_string(p, n);
            return ids[i];
        }
        if (sl->len == n && memcmp(arena + sl->off - 1, p, n) == 0) return ids[i];
    }
}
