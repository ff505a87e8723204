/* heap.h: an intrusive binary min-heap with keys stored inline.
 *
 * Objects embed an sb_heap_node; the heap's array holds each member's key
 * next to a pointer to its node, so comparisons never leave the array
 * (members are often cold in cache).  Each node remembers its slot, so
 * removal and re-keying of an arbitrary member are O(log n).  Keys are
 * compared lexicographically (a, then b, then c), least first; make them
 * unique (end with an id or sequence number) for deterministic order.
 *
 * A node belongs to at most one heap at a time; index == SB_HEAP_NONE when
 * it is in none. */
#ifndef SB_BASE_HEAP_H
#define SB_BASE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HEAP_NONE UINT32_MAX

typedef struct sb_hkey {
    int64_t a, b;
    uint64_t c;
} sb_hkey;

static inline bool sb_hkey_less(const sb_hkey *x, const sb_hkey *y) {
    if (x->a != y->a) return x->a < y->a;
    if (x->b != y->b) return x->b < y->b;
    return x->c < y->c;
}

typedef struct sb_heap_node {
    uint32_t index;
} sb_heap_node;

typedef struct sb_heap_item {
    sb_hkey key;
    sb_heap_node *node;
} sb_heap_item;

typedef struct sb_heap {
    sb_heap_item *items;
    uint32_t len, cap;
    sb_hkey top; /* a copy of items[0].key: the least key without touching items */
} sb_heap;

/* Scratch space for the best-first searches; reusable, owned by caller. */
typedef struct sb_heap_scratch {
    uint32_t *idx;
    uint32_t len, cap;
} sb_heap_scratch;

static inline void sb_heap_node_init(sb_heap_node *n) { n->index = SB_HEAP_NONE; }
static inline bool sb_heap_node_linked(const sb_heap_node *n) {
    return n->index != SB_HEAP_NONE;
}

void sb_heap_init(sb_heap *h);
/* Unlinks every member and frees the array. */
void sb_heap_free(sb_heap *h);
static inline uint32_t sb_heap_len(const sb_heap *h) { return h->len; }
static inline sb_heap_node *sb_heap_top(const sb_heap *h) {
    return h->len ? h->items[0].node : NULL;
}
/* The least key; only when len > 0.  Read from the heap itself, so a
 * caller comparing many heaps' tops touches no item array. */
static inline const sb_hkey *sb_heap_top_key(const sb_heap *h) { return &h->top; }
/* The key of a member (in the array: valid until the next push or
 * remove). */
static inline const sb_hkey *sb_heap_key(const sb_heap *h, const sb_heap_node *n) {
    return &h->items[n->index].key;
}
void sb_heap_push(sb_heap *h, sb_heap_node *n, sb_hkey key);
/* Remove a node that is in h.  The array is halved when a quarter or
 * less of it is in use (see heap.c). */
void sb_heap_remove(sb_heap *h, sb_heap_node *n);
/* Give a member of h a new key. */
void sb_heap_update(sb_heap *h, sb_heap_node *n, sb_hkey key);
/* A member's node was moved in memory (its object copied elsewhere, e.g.
 * by a realloc of the array holding it, index and all): its slot names it
 * at its new address.  Nothing is compared or moved. */
static inline void sb_heap_moved(sb_heap *h, sb_heap_node *n) {
    h->items[n->index].node = n;
}
sb_heap_node *sb_heap_pop(sb_heap *h);

/* The member with the least key for which pred(node, ctx) is true, or
 * NULL.  A best-first walk: it expands the children of a member only when
 * the member fails pred, so the cost is O(k log k) for k rejected members
 * and O(1) when the top qualifies.  Allocation-free once scratch grew. */
typedef bool (*sb_heap_pred_fn)(const sb_heap_node *n, void *ctx);
sb_heap_node *sb_heap_find(const sb_heap *h, sb_heap_pred_fn pred, void *ctx,
                           sb_heap_scratch *scratch);
void sb_heap_scratch_free(sb_heap_scratch *s);

#endif
