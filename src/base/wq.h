/* wq.h: an intrusive priority queue for keys that mostly come in order.
 *
 * A queue's waiting interactions arrive with keys that are nearly always
 * the greatest so far (a newcomer waits behind those before it) and leave
 * from the least end (the best is taken).  A binary heap pays for both
 * with a walk of O(log n) cold cache lines, writing a slot index into
 * every member it moves.  Here a key no less than the last one appended
 * goes to the end of a ring of slots, which stays sorted, in O(1); any
 * other key goes into a side heap (sb_heap).  The least member is the
 * lesser of the ring's first and the side heap's top.  Taking the ring's
 * first is O(1) plus the holes behind it; removing a member from the
 * middle of the ring leaves a hole.  A full ring is compacted when at
 * least half of it is holes and doubled otherwise; one whose span (live
 * slots and holes) falls to an eighth of it is halved, down to
 * SB_WQ_MIN_SHRINK slots, so a burst's memory is returned.  Every
 * operation is O(1) or O(log n) amortized.
 *
 * Keys are sb_hkey, compared as in sb_heap (least first); they must be
 * unique (end with a sequence number).  A node is in at most one queue. */
#ifndef SB_BASE_WQ_H
#define SB_BASE_WQ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/heap.h"
#include "base/mem.h"

enum { SB_WQ_NONE = 0, SB_WQ_RING, SB_WQ_SIDE };
enum { SB_WQ_MIN_SHRINK = 64 }; /* slots: a ring this small is never halved */

typedef struct sb_wq_node {
    sb_heap_node hn; /* while in the side heap */
    uint32_t pos;    /* while in the ring: its position (mod 2^32) */
    uint8_t where;   /* SB_WQ_* */
} sb_wq_node;

typedef struct sb_wq_slot {
    sb_hkey key;
    sb_wq_node *node; /* NULL: a hole */
} sb_wq_slot;

typedef struct sb_wq {
    /* The first line holds all that finding, taking and appending read
     * and write; the side heap, rarely used, follows. */
    _Alignas(64) sb_wq_slot *v;
    sb_wq_node *top;     /* the least member, while len > 0: a reader of the
                          * header reaches it without reading its slot */
    uint32_t cap;        /* a power of two, or 0 */
    uint32_t head, tail; /* the ring is [head, tail) mod 2^32; v[head] is live unless empty */
    uint32_t nring;      /* live slots in the ring */
    uint32_t len;        /* members: ring and side heap */
    int64_t top_a;       /* the least key's first and last parts, while len > 0 */
    uint64_t top_c;      /* (its middle part is read from its slot: sb_wq_top_b) */
    int64_t last_a;      /* the first part of the last key appended; on a tie the
                          * ring's last slot (live or a hole) has the whole key */
    sb_heap side;
} sb_wq;

void sb_wq_init(sb_wq *w);
/* Unlinks every member and frees the arrays. */
void sb_wq_free(sb_wq *w);
static inline void sb_wq_node_init(sb_wq_node *n) {
    sb_heap_node_init(&n->hn);
    n->where = SB_WQ_NONE;
}
static inline bool sb_wq_node_linked(const sb_wq_node *n) { return n->where != SB_WQ_NONE; }
static inline uint32_t sb_wq_len(const sb_wq *w) { return w->len; }
/* The least key's first and last parts, read from the header alone; only
 * when len > 0. */
static inline int64_t sb_wq_top_a(const sb_wq *w) { return w->top_a; }
static inline uint64_t sb_wq_top_c(const sb_wq *w) { return w->top_c; }
/* Its middle part, read from its slot (for ties of the first); len > 0. */
int64_t sb_wq_top_b(const sb_wq *w);
/* The whole least key; only when len > 0. */
sb_hkey sb_wq_top_key(const sb_wq *w);
/* Hints that change nothing: start fetching the slot of member n, or
 * the slot the next append would write. */
SB_HINT_FN void sb_wq_prefetch_node(const sb_wq *w, const sb_wq_node *n) {
    if (n->where == SB_WQ_RING && w->cap) __builtin_prefetch(&w->v[n->pos & (w->cap - 1)]);
}
SB_HINT_FN void sb_wq_prefetch_end(const sb_wq *w) {
    if (w->cap) __builtin_prefetch(&w->v[w->tail & (w->cap - 1)], 1);
}
/* The member with the least key, or NULL (from the header alone). */
static inline sb_wq_node *sb_wq_top(const sb_wq *w) { return w->len ? w->top : NULL; }
/* A hint: start fetching the least member's slot, if in the ring. */
SB_HINT_FN void sb_wq_prefetch_first(const sb_wq *w) {
    if (w->nring) __builtin_prefetch(&w->v[w->head & (w->cap - 1)]);
}
/* Insert; true when it became the least. */
bool sb_wq_push(sb_wq *w, sb_wq_node *n, sb_hkey key);
/* Remove a member; true when it was the least. */
bool sb_wq_remove(sb_wq *w, sb_wq_node *n);

/* The member with the least key for which pred(node, ctx) holds, or NULL:
 * the ring is read in order up to the first that does, the side heap
 * best-first (sb_heap_find), so the cost grows with the members passed. */
typedef bool (*sb_wq_pred_fn)(const sb_wq_node *n, void *ctx);
sb_wq_node *sb_wq_find(const sb_wq *w, sb_wq_pred_fn pred, void *ctx, sb_heap_scratch *scratch);

#endif
