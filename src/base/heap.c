#include "base/heap.h"

#include "base/mem.h"

void sb_heap_init(sb_heap *h) {
    h->items = NULL;
    h->len = h->cap = 0;
    h->top = (sb_hkey){0, 0, 0};
}

void sb_heap_free(sb_heap *h) {
    for (uint32_t i = 0; i < h->len; i++) h->items[i].node->index = SB_HEAP_NONE;
    sb_free(h->items);
    sb_heap_init(h);
}

static inline void place(sb_heap *h, uint32_t i, sb_heap_item it) {
    h->items[i] = it;
    it.node->index = i;
    if (i == 0) h->top = it.key;
}

static void sift_up(sb_heap *h, uint32_t i) {
    sb_heap_item it = h->items[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!sb_hkey_less(&it.key, &h->items[p].key)) break;
        place(h, i, h->items[p]);
        i = p;
    }
    place(h, i, it);
}

static void sift_down(sb_heap *h, uint32_t i) {
    sb_heap_item it = h->items[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->len) break;
        if (c + 1 < h->len && sb_hkey_less(&h->items[c + 1].key, &h->items[c].key)) c++;
        if (!sb_hkey_less(&h->items[c].key, &it.key)) break;
        place(h, i, h->items[c]);
        i = c;
    }
    place(h, i, it);
}

static void restore(sb_heap *h, uint32_t i) {
    if (i > 0 && sb_hkey_less(&h->items[i].key, &h->items[(i - 1) / 2].key))
        sift_up(h, i);
    else
        sift_down(h, i);
}

void sb_heap_push(sb_heap *h, sb_heap_node *n, sb_hkey key) {
    SB_ASSERT_HOT(n->index == SB_HEAP_NONE);
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 4;
        h->items = sb_realloc(h->items, h->cap * sizeof(*h->items));
    }
    place(h, h->len++, (sb_heap_item){key, n});
    sift_up(h, h->len - 1);
}

/* After a surge the array gives memory back: halved when a quarter or
 * less is in use, down to SB_HEAP_MIN_SHRINK items.  It is then half
 * full, so growing or shrinking again takes as many operations as it
 * copies items: O(1) amortized.  Members hold their index, not an
 * address, so nothing else changes. */
#define SB_HEAP_MIN_SHRINK 64

static void shrink(sb_heap *h) {
    h->cap /= 2;
    h->items = sb_realloc(h->items, h->cap * sizeof(*h->items));
}

void sb_heap_remove(sb_heap *h, sb_heap_node *n) {
    uint32_t i = n->index;
    SB_ASSERT_HOT(i < h->len && h->items[i].node == n);
    n->index = SB_HEAP_NONE;
    h->len--;
    if (i != h->len) {
        place(h, i, h->items[h->len]);
        restore(h, i);
    }
    if (h->cap > SB_HEAP_MIN_SHRINK && h->len <= h->cap / 4) shrink(h);
}

void sb_heap_update(sb_heap *h, sb_heap_node *n, sb_hkey key) {
    uint32_t i = n->index;
    SB_ASSERT_HOT(i < h->len && h->items[i].node == n);
    h->items[i].key = key;
    if (i == 0) h->top = key;
    restore(h, i);
}

sb_heap_node *sb_heap_pop(sb_heap *h) {
    sb_heap_node *n = sb_heap_top(h);
    if (n) sb_heap_remove(h, n);
    return n;
}

/* The scratch array is itself a min-heap of item indices. */
static bool idx_less(const sb_heap *h, uint32_t a, uint32_t b) {
    return sb_hkey_less(&h->items[a].key, &h->items[b].key);
}

static void scratch_push(const sb_heap *h, sb_heap_scratch *s, uint32_t v) {
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->idx = sb_realloc(s->idx, s->cap * sizeof(*s->idx));
    }
    uint32_t i = s->len++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!idx_less(h, v, s->idx[p])) break;
        s->idx[i] = s->idx[p];
        i = p;
    }
    s->idx[i] = v;
}

static uint32_t scratch_pop(const sb_heap *h, sb_heap_scratch *s) {
    uint32_t top = s->idx[0], v = s->idx[--s->len], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= s->len) break;
        if (c + 1 < s->len && idx_less(h, s->idx[c + 1], s->idx[c])) c++;
        if (!idx_less(h, s->idx[c], v)) break;
        s->idx[i] = s->idx[c];
        i = c;
    }
    if (s->len) s->idx[i] = v;
    return top;
}

sb_heap_node *sb_heap_find(const sb_heap *h, sb_heap_pred_fn pred, void *ctx,
                           sb_heap_scratch *s) {
    if (h->len == 0) return NULL;
    if (pred(h->items[0].node, ctx)) return h->items[0].node;
    s->len = 0;
    scratch_push(h, s, 0);
    while (s->len) {
        uint32_t i = scratch_pop(h, s);
        if (i != 0 && pred(h->items[i].node, ctx)) return h->items[i].node;
        for (uint32_t c = 2 * i + 1; c <= 2 * i + 2 && c < h->len; c++) scratch_push(h, s, c);
    }
    return NULL;
}

void sb_heap_scratch_free(sb_heap_scratch *s) {
    sb_free(s->idx);
    s->idx = NULL;
    s->len = s->cap = 0;
}
