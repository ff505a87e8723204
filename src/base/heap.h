/* heap.h: an intrusive binary min-heap.
 *
 * Objects embed an sb_heap_node; the heap stores pointers to the nodes and
 * each node remembers its slot, so removal and re-keying of an arbitrary
 * member are O(log n).  Ordering is given by a strict "less" function; to
 * keep results deterministic the function must be total (break ties on a
 * unique id or sequence number).
 *
 * A node belongs to at most one heap at a time; index == SB_HEAP_NONE when
 * it is in none. */
#ifndef SB_BASE_HEAP_H
#define SB_BASE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HEAP_NONE UINT32_MAX

typedef struct sb_heap_node {
    uint32_t index;
} sb_heap_node;

typedef bool (*sb_heap_less_fn)(const sb_heap_node *a, const sb_heap_node *b);

typedef struct sb_heap {
    sb_heap_node **items;
    uint32_t len, cap;
    sb_heap_less_fn less;
} sb_heap;

/* Scratch space for sb_heap_find(); reusable across calls, owned by caller. */
typedef struct sb_heap_scratch {
    uint32_t *idx;
    uint32_t len, cap;
} sb_heap_scratch;

static inline void sb_heap_node_init(sb_heap_node *n) { n->index = SB_HEAP_NONE; }
static inline bool sb_heap_node_linked(const sb_heap_node *n) {
    return n->index != SB_HEAP_NONE;
}

void sb_heap_init(sb_heap *h, sb_heap_less_fn less);
void sb_heap_free(sb_heap *h);
static inline uint32_t sb_heap_len(const sb_heap *h) { return h->len; }
static inline sb_heap_node *sb_heap_top(const sb_heap *h) {
    return h->len ? h->items[0] : NULL;
}
void sb_heap_push(sb_heap *h, sb_heap_node *n);
/* Remove a node that is in h. */
void sb_heap_remove(sb_heap *h, sb_heap_node *n);
/* Restore order after the key of n (in h) changed either way. */
void sb_heap_update(sb_heap *h, sb_heap_node *n);
sb_heap_node *sb_heap_pop(sb_heap *h);

/* The least node for which pred(node, ctx) is true, or NULL.
 *
 * A best-first walk: it expands the children of a node only when the node
 * fails pred, so the cost is O(k log k) for k rejected nodes, and O(1) when
 * the top qualifies.  Allocation-free once scratch has grown. */
typedef bool (*sb_heap_pred_fn)(const sb_heap_node *n, void *ctx);
sb_heap_node *sb_heap_find(const sb_heap *h, sb_heap_pred_fn pred, void *ctx,
                           sb_heap_scratch *scratch);
void sb_heap_scratch_free(sb_heap_scratch *s);

#endif
