#include "base/ttree.h"

#include <string.h>

#include "base/mem.h"

static const sb_hkey ABSENT = {INT64_MAX, INT64_MAX, UINT64_MAX};

void sb_ttree_init(sb_ttree *t) { memset(t, 0, sizeof(*t)); }

void sb_ttree_free(sb_ttree *t) {
    sb_free(t->node);
    sb_free(t->val);
    sb_ttree_init(t);
}

static inline void pull(sb_ttree *t, uint32_t i) {
    const sb_tnode *l = &t->node[2 * i], *r = &t->node[2 * i + 1];
    t->node[i] = sb_hkey_less(&r->key, &l->key) ? *r : *l;
}

static void grow(sb_ttree *t) {
    uint32_t cap = t->cap ? t->cap * 2 : 4;
    sb_tnode *node = sb_malloc(2 * cap * sizeof(*node));
    for (uint32_t s = 0; s < cap; s++) {
        node[cap + s].key = s < t->len ? t->node[t->cap + s].key : ABSENT;
        node[cap + s].slot = s;
    }
    sb_free(t->node);
    t->node = node;
    t->cap = cap;
    for (uint32_t i = cap - 1; i >= 1; i--) pull(t, i);
    t->val = sb_realloc(t->val, cap * sizeof(*t->val));
}

/* Two cases keep the walk short.  A key that got better only has to be
 * carried up while it beats the winner above.  A key that got worse only
 * matters where this slot was the winner: above the first node that it
 * did not win, nothing changes. */
void sb_ttree_set(sb_ttree *t, uint32_t slot, sb_hkey key) {
    uint32_t i = t->cap + slot;
    bool better = sb_hkey_less(&key, &t->node[i].key);
    t->node[i].key = key;
    if (better) {
        for (i /= 2; i >= 1; i /= 2) {
            sb_tnode *n = &t->node[i];
            if (n->slot != slot && !sb_hkey_less(&key, &n->key)) break;
            n->key = key;
            n->slot = slot;
        }
        return;
    }
    for (i /= 2; i >= 1 && t->node[i].slot == slot; i /= 2) pull(t, i);
}

void sb_ttree_clear(sb_ttree *t, uint32_t slot) {
    if (sb_ttree_present(t, slot)) sb_ttree_set(t, slot, ABSENT);
}

uint32_t sb_ttree_add(sb_ttree *t, void *val) {
    if (t->len == t->cap) grow(t);
    uint32_t s = t->len++;
    t->val[s] = val;
    return s; /* its leaf is already ABSENT */
}

void *sb_ttree_del(sb_ttree *t, uint32_t slot) {
    uint32_t last = --t->len;
    void *moved = NULL;
    if (slot != last) {
        sb_hkey key = t->node[t->cap + last].key;
        moved = t->val[last];
        t->val[slot] = moved;
        sb_ttree_set(t, slot, key);
    }
    sb_ttree_clear(t, last);
    return moved;
}

void *sb_ttree_best(const sb_ttree *t, sb_hkey *key) {
    if (t->len == 0 || t->node[1].key.a == INT64_MAX) return NULL;
    if (key) *key = t->node[1].key;
    return t->val[t->node[1].slot];
}

/* The scratch holds tree node indices, as a min-heap on their keys. */
static bool nless(const sb_ttree *t, uint32_t a, uint32_t b) {
    return sb_hkey_less(&t->node[a].key, &t->node[b].key);
}

static void spush(const sb_ttree *t, sb_heap_scratch *s, uint32_t v) {
    if (t->node[v].key.a == INT64_MAX) return;
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->idx = sb_realloc(s->idx, s->cap * sizeof(*s->idx));
    }
    uint32_t i = s->len++;
    while (i > 0 && nless(t, v, s->idx[(i - 1) / 2])) {
        s->idx[i] = s->idx[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->idx[i] = v;
}

static uint32_t spop(const sb_ttree *t, sb_heap_scratch *s) {
    uint32_t top = s->idx[0], v = s->idx[--s->len], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= s->len) break;
        if (c + 1 < s->len && nless(t, s->idx[c + 1], s->idx[c])) c++;
        if (!nless(t, s->idx[c], v)) break;
        s->idx[i] = s->idx[c];
        i = c;
    }
    if (s->len) s->idx[i] = v;
    return top;
}

/* A subtree's winner failing pred says nothing of its other leaves, so a
 * failed internal node is replaced by its two children; a node popped
 * from the scratch heap is always the least pending key, so the first
 * qualifying winner popped is the least qualifying leaf. */
void *sb_ttree_find(const sb_ttree *t, sb_ttree_pred_fn pred, void *ctx, sb_hkey *key,
                    sb_heap_scratch *s) {
    void *best = sb_ttree_best(t, key);
    if (best == NULL || pred(best, ctx)) return best;
    s->len = 0;
    spush(t, s, 1);
    while (s->len) {
        uint32_t i = spop(t, s);
        if (i >= t->cap) {
            void *v = t->val[i - t->cap];
            if (i != t->cap + t->node[1].slot && pred(v, ctx)) {
                if (key) *key = t->node[i].key;
                return v;
            }
            continue;
        }
        /* The winner of i came from one child; that child's subtree still
         * has to be searched past it, so expand both children. */
        spush(t, s, 2 * i);
        spush(t, s, 2 * i + 1);
    }
    return NULL;
}
