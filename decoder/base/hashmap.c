/* SPDX-License-Identifier: MIT */
/*
 * hashmap.c - open addressing hash map keyed by two 64-bit integers, with
 * linear probing and backward-shift deletion (no tombstones).
 */
#include "base/hashmap.h"

#include "base/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* The keys come from logs: with a hash anyone can compute, a log could
 * hold thousands of lock addresses that all land in one probe run, and
 * make every insert walk them all (quadratic time).  So the hash is keyed
 * by a secret drawn at the first use.  Nothing the decoder prints depends
 * on the order of a map's slots. */
static uint64_t seed[2];

static void draw_seed(void)
{
    if (getrandom(seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
        seed[1] = (uint64_t)(uintptr_t)&ts ^ (uint64_t)ts.tv_sec;
    }
    seed[0] |= 1; /* never both 0: 0 means not drawn */
}

uint64_t hash_mix(uint64_t h)
{
    if (!seed[0]) draw_seed();
    h = (h + seed[0]) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 30;
    h = (h ^ seed[1]) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

/* The map's own, inlined: the secret goes in before the one mixing step
 * that spreads the product's high bits, which depend on it, into the low
 * ones that pick the slot. */
static inline uint64_t hash(uint64_t a, uint64_t b)
{
    uint64_t h = (a ^ seed[0]) * 0x9e3779b97f4a7c15ull ^ (b + seed[1]);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

static struct map_slot *find(const struct map *m, uint64_t a, uint64_t b)
{
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash(a, b) & mask;; i = (i + 1) & mask) {
        struct map_slot *s = &m->slots[i];
        if (!s->used) return s;
        if (s->a == a && s->b == b) return s;
    }
}

uint64_t *map_get(const struct map *m, uint64_t a, uint64_t b)
{
    struct map_slot *s = find(m, a, b);
    return s && s->used ? &s->value : NULL;
}

static void rehash(struct map *m, size_t cap)
{
    if (!seed[0]) draw_seed(); /* before the first key goes in */
    struct map_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used) continue;
        *find(m, old[i].a, old[i].b) = old[i];
    }
    xfree(old);
}

uint64_t *map_put(struct map *m, uint64_t a, uint64_t b, int *created)
{
    if ((m->len + 1) * 2 > m->cap) rehash(m, m->cap ? m->cap * 2 : 16);
    struct map_slot *s = find(m, a, b);
    if (created) *created = !s->used;
    if (!s->used) {
        s->used = 1;
        s->a = a;
        s->b = b;
        s->value = 0;
        m->len++;
    }
    return &s->value;
}

void map_del(struct map *m, uint64_t a, uint64_t b)
{
    struct map_slot *s = find(m, a, b);
    if (!s || !s->used) return;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);
    /* Shift later members of the probe run back into the hole. */
    for (size_t i = (hole + 1) & mask; m->slots[i].used; i = (i + 1) & mask) {
        size_t home = hash(m->slots[i].a, m->slots[i].b) & mask;
        /* Move slot i to the hole unless its home lies cyclically in (hole, i]. */
        int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (stays) continue;
        m->slots[hole] = m->slots[i];
        hole = i;
    }
    m->slots[hole].used = 0;
    m->len--;
}

void map_free(struct map *m)
{
    xfree(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}
