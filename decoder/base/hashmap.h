/* SPDX-License-Identifier: MIT */
/*
 * hashmap.h - a hash map from a pair of 64-bit integers to a 64-bit value.
 * The analysis keys everything it groups by this way: fd -> name,
 * (address, kind) -> lock, (thread, address) -> held lock, and so on.
 */
#ifndef WHYSLOW_HASHMAP_H
#define WHYSLOW_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct map_slot {
    uint64_t a, b;
    uint64_t value;
    int used;
};

struct map {
    struct map_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t len;
};

/* The value stored under (a, b), or NULL. */
uint64_t *map_get(const struct map *m, uint64_t a, uint64_t b);

/* The value stored under (a, b), inserted as 0 if absent (*created says
 * which, when not NULL).  The pointer is valid until the next insert. */
uint64_t *map_put(struct map *m, uint64_t a, uint64_t b, int *created);

/* Removes (a, b) if present. */
void map_del(struct map *m, uint64_t a, uint64_t b);

void map_free(struct map *m);

/* h mixed with a secret drawn once per run: where a hash of something a
 * log says picks a slot, a log cannot pick colliding keys (see
 * hashmap.c). */
uint64_t hash_mix(uint64_t h);

#endif
