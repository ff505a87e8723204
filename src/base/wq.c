#include "base/wq.h"

#include "base/mem.h"

void sb_wq_init(sb_wq *w) {
    *w = (sb_wq){0};
    sb_heap_init(&w->side);
}

static inline sb_wq_slot *slot(const sb_wq *w, uint32_t pos) { return &w->v[pos & (w->cap - 1)]; }

void sb_wq_free(sb_wq *w) {
    for (uint32_t p = w->head; p != w->tail; p++)
        if (slot(w, p)->node) slot(w, p)->node->where = SB_WQ_NONE;
    for (uint32_t i = 0; i < sb_heap_len(&w->side); i++)
        sb_container_of(w->side.items[i].node, sb_wq_node, hn)->where = SB_WQ_NONE;
    sb_heap_free(&w->side);
    sb_free(w->v);
    sb_wq_init(w);
}

/* Is the ring's first the least member? */
static inline bool ring_first(const sb_wq *w) {
    /* (len == nring: nothing in the side heap, whose header is not read) */
    return w->nring && (w->len == w->nring ||
                        sb_hkey_less(&slot(w, w->head)->key, sb_heap_top_key(&w->side)));
}

int64_t sb_wq_top_b(const sb_wq *w) {
    return ring_first(w) ? slot(w, w->head)->key.b : sb_heap_top_key(&w->side)->b;
}

sb_hkey sb_wq_top_key(const sb_wq *w) { return (sb_hkey){w->top_a, sb_wq_top_b(w), w->top_c}; }

/* Is key less than the least key (len > 0)?  Its middle part is read
 * only on a tie of the first. */
static bool less_than_top(const sb_wq *w, const sb_hkey *key) {
    if (key->a != w->top_a) return key->a < w->top_a;
    int64_t b = sb_wq_top_b(w);
    if (key->b != b) return key->b < b;
    return key->c < w->top_c;
}

/* The least member changed (len > 0): the lesser of the ring's first and
 * the side heap's top. */
static void retop(sb_wq *w) {
    if (ring_first(w)) {
        const sb_wq_slot *s = slot(w, w->head);
        w->top = s->node;
        w->top_a = s->key.a;
        w->top_c = s->key.c;
    } else {
        const sb_hkey *k = sb_heap_top_key(&w->side);
        w->top = sb_container_of(sb_heap_top(&w->side), sb_wq_node, hn);
        w->top_a = k->a;
        w->top_c = k->c;
    }
}

/* The ring moved to ncap slots (a power of two, at least its span
 * tail - head): every position keeps its slot p mod ncap, so the
 * members' positions stay valid.  On a cache line: no slot straddles
 * two. */
static void resize(sb_wq *w, uint32_t ncap) {
    sb_wq_slot *nv = sb_calloc_aligned(64, ncap * sizeof(*nv));
    for (uint32_t p = w->head; p != w->tail; p++) nv[p & (ncap - 1)] = *slot(w, p);
    sb_free(w->v);
    w->v = nv;
    w->cap = ncap;
}

/* A full ring: compacted in place when at least half of it is holes
 * (its live members get new positions), else doubled (positions kept). */
static void make_room(sb_wq *w) {
    uint32_t size = w->tail - w->head;
    if (w->cap && w->nring <= size / 2) {
        uint32_t to = w->head;
        for (uint32_t p = w->head; p != w->tail; p++) {
            sb_wq_slot *s = slot(w, p);
            if (s->node == NULL) continue;
            if (p != to) {
                *slot(w, to) = *s;
                s->node->pos = to;
            }
            to++;
        }
        w->tail = to;
        return;
    }
    resize(w, w->cap ? w->cap * 2 : 8);
}

/* After a burst: a ring whose span is down to an eighth of it is halved
 * (as often as that holds, to SB_WQ_MIN_SHRINK slots at the least), so
 * that growing back takes four times the span: O(1) amortized. */
static void shrink(sb_wq *w) {
    uint32_t ncap = w->cap, span = w->tail - w->head;
    while (ncap > SB_WQ_MIN_SHRINK && span <= ncap / 8) ncap /= 2;
    resize(w, ncap);
}

/* May key go to the ring's end?  When it is no less than the ring's
 * last slot's key, which is no less than every live key in the ring (a
 * hole keeps the key it had; compaction leaves a live one last).  The
 * key's first part nearly always decides, from the header alone. */
static inline bool appendable(const sb_wq *w, const sb_hkey *key) {
    if (w->nring == 0) return true;
    if (key->a != w->last_a) return key->a > w->last_a;
    return !sb_hkey_less(key, &slot(w, w->tail - 1)->key);
}

bool sb_wq_push(sb_wq *w, sb_wq_node *n, sb_hkey key) {
    SB_ASSERT_HOT(n->where == SB_WQ_NONE);
    bool top = w->len == 0 || less_than_top(w, &key);
    if (appendable(w, &key)) {
        if (w->nring == 0) w->head = w->tail = 0; /* drop the holes; reuse the first line */
        if (w->tail - w->head == w->cap) make_room(w);
        uint32_t p = w->tail++;
        *slot(w, p) = (sb_wq_slot){key, n};
        n->pos = p;
        n->where = SB_WQ_RING;
        w->nring++;
        w->last_a = key.a;
    } else {
        sb_heap_push(&w->side, &n->hn, key);
        n->where = SB_WQ_SIDE;
    }
    w->len++;
    if (top) {
        w->top = n;
        w->top_a = key.a;
        w->top_c = key.c;
    }
    return top;
}

bool sb_wq_remove(sb_wq *w, sb_wq_node *n) {
    if (n->where == SB_WQ_RING) {
        sb_wq_slot *s = slot(w, n->pos);
        SB_ASSERT_HOT(s->node == n);
        s->node = NULL;
        w->nring--;
        if (w->nring == 0)
            w->head = w->tail = 0;
        else
            while (slot(w, w->head)->node == NULL) w->head++;
        if (w->cap > SB_WQ_MIN_SHRINK && w->tail - w->head <= w->cap / 8) shrink(w);
    } else {
        SB_ASSERT_HOT(n->where == SB_WQ_SIDE);
        sb_heap_remove(&w->side, &n->hn);
    }
    n->where = SB_WQ_NONE;
    w->len--;
    if (n != w->top) return false;
    if (w->len) retop(w);
    return true;
}

typedef struct side_ctx {
    sb_wq_pred_fn pred;
    void *ctx;
} side_ctx;

static bool side_pred(const sb_heap_node *hn, void *arg) {
    const side_ctx *x = arg;
    return x->pred(sb_container_of(hn, sb_wq_node, hn), x->ctx);
}

sb_wq_node *sb_wq_find(const sb_wq *w, sb_wq_pred_fn pred, void *ctx, sb_heap_scratch *scratch) {
    const sb_wq_slot *r = NULL;
    for (uint32_t p = w->head; w->nring && p != w->tail; p++) {
        const sb_wq_slot *s = slot(w, p);
        if (s->node && pred(s->node, ctx)) {
            r = s;
            break;
        }
    }
    side_ctx x = {pred, ctx};
    sb_heap_node *hn = sb_heap_find(&w->side, side_pred, &x, scratch);
    if (hn == NULL) return r ? r->node : NULL;
    if (r && sb_hkey_less(&r->key, sb_heap_key(&w->side, hn))) return r->node;
    return sb_container_of(hn, sb_wq_node, hn);
}
