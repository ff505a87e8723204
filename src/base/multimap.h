/* multimap.h: 64-bit keys to unordered lists of pointers.
 *
 * An index such as "the subscribers of a topic" or "the interactions of
 * an agent": adding and removing are O(1) plus a scan of the key's own
 * list, a key with no values takes no memory.  Key 0 is reserved, as in
 * sb_map. */
#ifndef SB_BASE_MULTIMAP_H
#define SB_BASE_MULTIMAP_H

#include <stdint.h>

#include "base/map.h"

typedef struct sb_multimap {
    sb_map lists; /* key -> its list */
} sb_multimap;

void sb_multimap_init(sb_multimap *mm);
void sb_multimap_free(sb_multimap *mm);
/* Append val to key's list (a value twice is the caller's business). */
void sb_multimap_add(sb_multimap *mm, uint64_t key, void *val);
/* Remove one occurrence of val from key's list (the last one takes its
 * place); nothing if it is not there. */
void sb_multimap_del(sb_multimap *mm, uint64_t key, void *val);
/* Key's values, *n of them, in no order; NULL when none.  Valid until the
 * next add or del under that key. */
void *const *sb_multimap_get(const sb_multimap *mm, uint64_t key, uint32_t *n);
/* Keys that have values. */
static inline uint32_t sb_multimap_keys(const sb_multimap *mm) { return sb_map_len(&mm->lists); }

#endif
