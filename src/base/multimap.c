#include "base/multimap.h"

#include "base/mem.h"

typedef struct list {
    uint32_t n, cap;
    void *v[]; /* grows with the list */
} list;

void sb_multimap_init(sb_multimap *mm) { sb_map_init(&mm->lists); }

void sb_multimap_free(sb_multimap *mm) { sb_map_free_all(&mm->lists, sb_free); }

void sb_multimap_add(sb_multimap *mm, uint64_t key, void *val) {
    list *l = sb_map_get(&mm->lists, key);
    if (l == NULL || l->n == l->cap) {
        uint32_t n = l ? l->n : 0, cap = l ? 2 * l->cap : 4;
        l = sb_realloc(l, sizeof(*l) + cap * sizeof(l->v[0]));
        l->n = n;
        l->cap = cap;
        sb_map_put(&mm->lists, key, l);
    }
    l->v[l->n++] = val;
}

void sb_multimap_del(sb_multimap *mm, uint64_t key, void *val) {
    list *l = sb_map_get(&mm->lists, key);
    for (uint32_t i = 0; l && i < l->n; i++)
        if (l->v[i] == val) {
            l->v[i] = l->v[--l->n];
            break;
        }
    if (l && l->n == 0) {
        sb_map_del(&mm->lists, key);
        sb_free(l);
    }
}

void *const *sb_multimap_get(const sb_multimap *mm, uint64_t key, uint32_t *n) {
    const list *l = sb_map_get(&mm->lists, key);
    *n = l ? l->n : 0;
    return l ? l->v : NULL;
}
