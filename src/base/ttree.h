/* ttree.h: a tournament (winner) tree over a fixed set of slots.
 *
 * For sets whose members stay put and only change key or drop in and out
 * of contention, such as the agents of a queue becoming free and busy:
 * each member owns a slot for life, a member out of contention holds the
 * "absent" key, and every internal node caches the least key below it with
 * its slot.  Updating a slot recomputes its path to the root: O(log n)
 * comparisons within one contiguous array, no pointer chasing and no
 * moving members around.  Keys are sb_hkey (base/heap.h), least first.
 *
 * Slots are dense (0..len-1): removing a slot moves the last one into it.
 * A key whose `a` is INT64_MAX means "absent": keep real keys below it. */
#ifndef SB_BASE_TTREE_H
#define SB_BASE_TTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/heap.h"

typedef struct sb_tnode {
    sb_hkey key;   /* the least key in this subtree (a leaf: its own) */
    uint32_t slot; /* where it is */
} sb_tnode;

typedef struct sb_ttree {
    sb_tnode *node; /* [2 * cap]; node[1] is the root, leaves at node[cap + slot] */
    void **val;     /* [cap] */
    uint32_t cap, len;
} sb_ttree;

void sb_ttree_init(sb_ttree *t);
void sb_ttree_free(sb_ttree *t);

/* A new slot for val, absent from contention; returns the slot. */
uint32_t sb_ttree_add(sb_ttree *t, void *val);
/* Remove a slot.  The last slot's value moves into it: returns that value
 * (whose owner must learn its new slot), or NULL if slot was the last. */
void *sb_ttree_del(sb_ttree *t, uint32_t slot);
/* Put a slot in contention with key, or give it a new key. */
void sb_ttree_set(sb_ttree *t, uint32_t slot, sb_hkey key);
/* Take a slot out of contention. */
void sb_ttree_clear(sb_ttree *t, uint32_t slot);
static inline bool sb_ttree_present(const sb_ttree *t, uint32_t slot) {
    return t->node[t->cap + slot].key.a != INT64_MAX;
}
/* The value in contention with the least key, or NULL. */
void *sb_ttree_best(const sb_ttree *t, sb_hkey *key);

/* The least-key value in contention for which pred(val, ctx) holds, or
 * NULL; *key gets its key.  Best-first over the tree: O(1) when the best
 * qualifies, O(k log n) when k in contention are rejected. */
typedef bool (*sb_ttree_pred_fn)(const void *val, void *ctx);
void *sb_ttree_find(const sb_ttree *t, sb_ttree_pred_fn pred, void *ctx, sb_hkey *key,
                    sb_heap_scratch *scratch);

#endif
