/* value.h: typed attribute values of agents and interactions.
 *
 * Strings are interned symbols (see base/intern.h), so equality is an
 * integer compare.  Sets are sorted arrays of distinct symbols.  An
 * attribute list (sb_attrs) is sorted by key for binary search; the core
 * owns the arrays it stores (it copies what callers pass in). */
#ifndef SB_CORE_VALUE_H
#define SB_CORE_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/intern.h"

typedef enum sb_val_type {
    SB_VAL_NULL = 0, /* missing */
    SB_VAL_NUM,
    SB_VAL_STR,
    SB_VAL_BOOL,
    SB_VAL_SET,
} sb_val_type;

typedef struct sb_value {
    uint8_t type;     /* sb_val_type */
    uint32_t set_len; /* SB_VAL_SET only */
    union {
        double num;
        sb_sym str;
        bool b;
        const sb_sym *set; /* sorted, distinct */
    } u;
} sb_value;

typedef struct sb_attr {
    sb_sym key;
    sb_value val;
} sb_attr;

typedef struct sb_attrs {
    sb_attr *items; /* sorted by key, keys distinct */
    uint32_t len;
} sb_attrs;

/* A skill with its integer level (e.g. 1-10). */
typedef struct sb_skill {
    sb_sym name;
    int32_t level;
} sb_skill;

static inline sb_value sb_val_num(double n) {
    sb_value v = {.type = SB_VAL_NUM, .u.num = n};
    return v;
}
static inline sb_value sb_val_str(sb_sym s) {
    sb_value v = {.type = SB_VAL_STR, .u.str = s};
    return v;
}
static inline sb_value sb_val_bool(bool b) {
    sb_value v = {.type = SB_VAL_BOOL, .u.b = b};
    return v;
}
/* set must be sorted and distinct (sb_attrs_copy sorts and dedups). */
static inline sb_value sb_val_set(const sb_sym *set, uint32_t n) {
    sb_value v = {.type = SB_VAL_SET, .set_len = n, .u.set = set};
    return v;
}

/* Deep-copy n attributes into out: sorted by key, duplicate keys rejected
 * (returns SB_EINVAL, out untouched), set values sorted and deduplicated. */
int sb_attrs_copy(sb_attrs *out, const sb_attr *in, uint32_t n);
/* The same into buf (room for n, or NULL to allocate; not overlapping
 * in), which out->items then is; on an error buf is left to the caller. */
int sb_attrs_copy_into(sb_attrs *out, const sb_attr *in, uint32_t n, sb_attr *buf);
void sb_attrs_free(sb_attrs *a);
/* Free what the values own and empty the list, keeping its array. */
void sb_attrs_clear(sb_attrs *a);
bool sb_attrs_has_sets(const sb_attrs *a);
/* The value for key, or NULL. O(log n). */
const sb_value *sb_attrs_get(const sb_attrs *a, sb_sym key);
/* Membership in a sorted symbol array. O(log n). */
bool sb_syms_has(const sb_sym *set, uint32_t n, sb_sym s);
/* Sort and dedup a symbol array in place; returns the new length. */
uint32_t sb_syms_normalize(sb_sym *set, uint32_t n);
/* Approximate heap bytes owned by an attribute list (for benchmarks). */
uint64_t sb_attrs_bytes(const sb_attrs *a);

#endif
