#include "base/intern.h"

#include <string.h>

#include "base/mem.h"

static uint32_t hash_str(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

void sb_intern_init(sb_intern *t) { memset(t, 0, sizeof(*t)); }

void sb_intern_free(sb_intern *t) {
    for (uint32_t i = 1; i < t->count; i++) sb_free(t->names[i]);
    sb_free(t->names);
    sb_free(t->lens);
    sb_free(t->table);
    memset(t, 0, sizeof(*t));
}

static uint32_t *slot(const sb_intern *t, const char *s, size_t n) {
    for (uint32_t i = hash_str(s, n) & t->mask;; i = (i + 1) & t->mask) {
        uint32_t sym = t->table[i];
        if (sym == 0 || (t->lens[sym] == n && memcmp(t->names[sym], s, n) == 0))
            return &t->table[i];
    }
}

sb_sym sb_intern_find(const sb_intern *t, const char *s, size_t n) {
    return t->table ? *slot(t, s, n) : 0;
}

static void rehash(sb_intern *t) {
    uint32_t cap = t->table ? (t->mask + 1) * 2 : 64;
    sb_free(t->table);
    t->table = sb_calloc(cap, sizeof(*t->table));
    t->mask = cap - 1;
    for (uint32_t sym = 1; sym < t->count; sym++)
        *slot(t, t->names[sym], t->lens[sym]) = sym;
}

sb_sym sb_intern_n(sb_intern *t, const char *s, size_t n) {
    if (t->count == 0) t->count = 1; /* reserve symbol 0 */
    if (t->table == NULL || t->count * 2 > t->mask + 1) rehash(t);
    uint32_t *sl = slot(t, s, n);
    if (*sl) return *sl;
    if (t->count >= t->cap) { /* >=: count starts at 1, cap at 0 */
        t->cap = t->cap ? t->cap * 2 : 64;
        t->names = sb_realloc(t->names, t->cap * sizeof(*t->names));
        t->lens = sb_realloc(t->lens, t->cap * sizeof(*t->lens));
    }
    sb_sym sym = t->count++;
    t->names[sym] = sb_strndup(s, n);
    t->lens[sym] = (uint32_t)n;
    *sl = sym;
    return sym;
}

sb_sym sb_intern_cstr(sb_intern *t, const char *s) { return sb_intern_n(t, s, strlen(s)); }

const char *sb_intern_str(const sb_intern *t, sb_sym sym) {
    return (sym > 0 && sym < t->count) ? t->names[sym] : "";
}

void sb_intern_copy(sb_intern *dst, const sb_intern *src) {
    sb_intern_free(dst);
    for (uint32_t sym = 1; sym < src->count; sym++)
        sb_intern_n(dst, src->names[sym], src->lens[sym]);
}
