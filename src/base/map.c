#include "base/map.h"

#include "base/mem.h"

void sb_map_init(sb_map *m) {
    m->slots = NULL;
    m->len = 0;
    m->mask = 0;
}

void sb_map_free(sb_map *m) {
    sb_free(m->slots);
    sb_map_init(m);
}

void sb_map_free_all(sb_map *m, void (*free_val)(void *)) {
    for (uint32_t i = 0; m->slots && i <= m->mask; i++)
        if (m->slots[i].key) free_val(m->slots[i].val);
    sb_map_free(m);
}

static sb_map_slot *find(const sb_map *m, uint64_t key) {
    /* key 0 marks empty slots: it would "match" one, and del would then
     * decrement len for a key that was never there */
    if (m->slots == NULL || key == 0) return NULL;
    for (uint32_t i = (uint32_t)sb_hash64(key) & m->mask;; i = (i + 1) & m->mask) {
        sb_map_slot *s = &m->slots[i];
        if (s->key == key) return s;
        if (s->key == 0) return NULL;
    }
}

void *sb_map_get(const sb_map *m, uint64_t key) {
    sb_map_slot *s = find(m, key);
    return s ? s->val : NULL;
}

static void grow(sb_map *m) {
    uint32_t oldcap = m->slots ? m->mask + 1 : 0;
    uint32_t cap = oldcap ? oldcap * 2 : 16;
    sb_map_slot *old = m->slots;
    m->slots = sb_calloc(cap, sizeof(*m->slots));
    m->mask = cap - 1;
    m->len = 0;
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i].key) sb_map_put(m, old[i].key, old[i].val);
    sb_free(old);
}

void sb_map_put(sb_map *m, uint64_t key, void *val) {
    SB_ASSERT(key != 0);
    if (m->slots == NULL || (m->len + 1) * 4 > (m->mask + 1) * 3) grow(m);
    for (uint32_t i = (uint32_t)sb_hash64(key) & m->mask;; i = (i + 1) & m->mask) {
        sb_map_slot *s = &m->slots[i];
        if (s->key == key) {
            s->val = val;
            return;
        }
        if (s->key == 0) {
            s->key = key;
            s->val = val;
            m->len++;
            return;
        }
    }
}

void *sb_map_del(sb_map *m, uint64_t key) {
    sb_map_slot *s = find(m, key);
    if (s == NULL) return NULL;
    void *val = s->val;
    uint32_t i = (uint32_t)(s - m->slots), j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->slots[j].key == 0) break;
        uint32_t home = (uint32_t)sb_hash64(m->slots[j].key) & m->mask;
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->slots[i].val = NULL;
    m->len--;
    return val;
}

int sb_map_next(const sb_map *m, uint32_t *iter, uint64_t *key, void **val) {
    if (m->slots == NULL) return 0;
    for (; *iter <= m->mask; (*iter)++) {
        sb_map_slot *s = &m->slots[*iter];
        if (s->key) {
            if (key) *key = s->key;
            if (val) *val = s->val;
            (*iter)++;
            return 1;
        }
    }
    return 0;
}
