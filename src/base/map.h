/* map.h: hash map from 64-bit ids to pointers.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), power-of-two capacity, load factor <= 0.75.  Key 0 is
 * reserved as "empty": ids are never 0. */
#ifndef SB_BASE_MAP_H
#define SB_BASE_MAP_H

#include <stdint.h>

#include "base/mem.h"

typedef struct sb_map_slot {
    uint64_t key;
    void *val;
} sb_map_slot;

typedef struct sb_map {
    sb_map_slot *slots;
    uint32_t len, mask; /* mask = capacity - 1; capacity 0 when slots NULL */
} sb_map;

void sb_map_init(sb_map *m);
void sb_map_free(sb_map *m);
/* The same, after free_val on every value (the map owns its values). */
void sb_map_free_all(sb_map *m, void (*free_val)(void *));
void *sb_map_get(const sb_map *m, uint64_t key);
/* Insert or replace; key must not be 0. */
void sb_map_put(sb_map *m, uint64_t key, void *val);
/* Remove and return the value, or NULL if absent. */
void *sb_map_del(sb_map *m, uint64_t key);
static inline uint32_t sb_map_len(const sb_map *m) { return m->len; }

/* Start fetching the slot where a search for key begins: a hint that
 * changes nothing, for a caller with other work to do before the search. */
SB_HINT_FN void sb_map_prefetch(const sb_map *m, uint64_t key);

/* Iterate: for (uint32_t i = 0; sb_map_next(m, &i, &k, &v);) ... */
int sb_map_next(const sb_map *m, uint32_t *iter, uint64_t *key, void **val);

static inline uint64_t sb_hash64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

SB_HINT_FN void sb_map_prefetch(const sb_map *m, uint64_t key) {
    if (m->slots) __builtin_prefetch(&m->slots[(uint32_t)sb_hash64(key) & m->mask]);
}

#endif
