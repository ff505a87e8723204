#include "core/value.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"

static int cmp_sym(const void *a, const void *b) {
    sb_sym x = *(const sb_sym *)a, y = *(const sb_sym *)b;
    return (x > y) - (x < y);
}

static int cmp_attr(const void *a, const void *b) {
    return cmp_sym(&((const sb_attr *)a)->key, &((const sb_attr *)b)->key);
}

/* Insertion sort: these arrays are short (a handful of attributes,
 * skills or languages), where it beats qsort's set-up. */
#define SB__ISORT(arr, n, T, key)                                                \
    for (uint32_t i_ = 1; i_ < (n); i_++) {                                    \
        T v_ = (arr)[i_];                                                        \
        uint32_t j_ = i_;                                                        \
        for (; j_ > 0 && (arr)[j_ - 1] key > v_ key; j_--) (arr)[j_] = (arr)[j_ - 1]; \
        (arr)[j_] = v_;                                                          \
    }

uint32_t sb_syms_normalize(sb_sym *set, uint32_t n) {
    if (n == 0) return 0;
    if (n <= 16) {
        SB__ISORT(set, n, sb_sym, )
    } else {
        qsort(set, n, sizeof(*set), cmp_sym);
    }
    uint32_t w = 1;
    for (uint32_t i = 1; i < n; i++)
        if (set[i] != set[w - 1]) set[w++] = set[i];
    return w;
}

bool sb_syms_has(const sb_sym *set, uint32_t n, sb_sym s) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (set[mid] < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && set[lo] == s;
}

int sb_attrs_copy(sb_attrs *out, const sb_attr *in, uint32_t n) {
    return sb_attrs_copy_into(out, in, n, NULL);
}

int sb_attrs_copy_into(sb_attrs *out, const sb_attr *in, uint32_t n, sb_attr *buf) {
    sb_attr *items = NULL;
    bool sets = false;
    if (n) {
        items = buf ? buf : sb_malloc(n * sizeof(*items));
        if (n > 16) {
            memcpy(items, in, n * sizeof(*items));
            qsort(items, n, sizeof(*items), cmp_attr);
        } else {
            /* Sort keys with their indices (8 bytes each, not 24), then
             * copy each attribute once, to its place. */
            uint64_t ord[16];
            for (uint32_t i = 0; i < n; i++)
                ord[i] = (uint64_t)in[i].key << 32 | i;
            SB__ISORT(ord, n, uint64_t, )
            for (uint32_t i = 0; i < n; i++)
                items[i] = in[(uint32_t)ord[i]];
        }
        /* Sorted: a key equal to the one before is a duplicate, and 0 (no
         * key) can only come first. */
        sb_sym prev = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (items[i].key == prev) {
                if (items != buf) sb_free(items);
                return SB_EINVAL;
            }
            prev = items[i].key;
            sets |= items[i].val.type == SB_VAL_SET;
        }
    }
    for (uint32_t i = 0; sets && i < n; i++) {
        sb_value *v = &items[i].val;
        if (v->type != SB_VAL_SET) continue;
        sb_sym *s = sb_malloc((v->set_len ? v->set_len : 1) * sizeof(*s));
        if (v->set_len) memcpy(s, v->u.set, v->set_len * sizeof(*s));
        v->set_len = sb_syms_normalize(s, v->set_len);
        v->u.set = s;
    }
    out->items = items;
    out->len = n;
    return SB_OK;
}

void sb_attrs_clear(sb_attrs *a) {
    for (uint32_t i = 0; i < a->len; i++)
        if (a->items[i].val.type == SB_VAL_SET) sb_free((void *)a->items[i].val.u.set);
    a->len = 0;
}

bool sb_attrs_has_sets(const sb_attrs *a) {
    for (uint32_t i = 0; i < a->len; i++)
        if (a->items[i].val.type == SB_VAL_SET) return true;
    return false;
}

void sb_attrs_free(sb_attrs *a) {
    sb_attrs_clear(a);
    sb_free(a->items);
    a->items = NULL;
}

const sb_value *sb_attrs_get(const sb_attrs *a, sb_sym key) {
    uint32_t lo = 0, hi = a->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->items[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < a->len && a->items[lo].key == key) ? &a->items[lo].val : NULL;
}

uint64_t sb_attrs_bytes(const sb_attrs *a) {
    uint64_t b = (uint64_t)a->len * sizeof(sb_attr);
    for (uint32_t i = 0; i < a->len; i++)
        if (a->items[i].val.type == SB_VAL_SET)
            b += (uint64_t)a->items[i].val.set_len * sizeof(sb_sym);
    return b;
}
