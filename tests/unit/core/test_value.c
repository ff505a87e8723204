/* test_value.c: src/core/value.c (attribute lists and symbol sets) and
 * sb_event_format (src/core/event.c). */
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core.h"
#include "core/event.h"
#include "core/value.h"
#include "unit/test.h"

/* Sorted by key whatever the input order; values travel with their keys;
 * the input is not modified. */
static void attrs_copy_sorts(void **state) {
    (void)state;
    sb_attr in[4] = {
        {30, sb_val_num(3.5)},
        {10, sb_val_str(77)},
        {40, sb_val_bool(true)},
        {20, sb_val_num(-1)},
    };
    sb_attr saved[4];
    memcpy(saved, in, sizeof(in));
    sb_attrs a = {NULL, 0};
    assert_int_equal(sb_attrs_copy(&a, in, 4), SB_OK);
    assert_int_equal(a.len, 4);
    const sb_sym keys[4] = {10, 20, 30, 40};
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(a.items[i].key, keys[i]);
    assert_int_equal(a.items[0].val.type, SB_VAL_STR);
    assert_int_equal(a.items[0].val.u.str, 77);
    assert_int_equal(a.items[1].val.type, SB_VAL_NUM);
    assert_true(a.items[1].val.u.num == -1);
    assert_true(a.items[2].val.u.num == 3.5);
    assert_int_equal(a.items[3].val.type, SB_VAL_BOOL);
    assert_true(a.items[3].val.u.b);
    assert_memory_equal(in, saved, sizeof(in));
    assert_ptr_not_equal(a.items, in);
    sb_attrs_free(&a);
    assert_null(a.items);
    assert_int_equal(a.len, 0);
}

/* Both sorts (up to 16 attributes, and more): any order and the largest
 * keys, values with their keys; a duplicate found whatever its place. */
static void attrs_copy_sorts_long_lists(void **state) {
    (void)state;
    for (uint32_t n = 15; n <= 18; n++) {
        sb_attr in[18];
        for (uint32_t i = 0; i < n; i++) { /* a permutation: 7 is prime to n */
            uint32_t r = (i * 7) % n;
            in[i] = (sb_attr){UINT32_MAX - 3 * r, sb_val_num((double)r)};
        }
        sb_attr buf[18];
        sb_attrs a = {NULL, 0};
        assert_int_equal(sb_attrs_copy_into(&a, in, n, buf), SB_OK);
        assert_ptr_equal(a.items, buf);
        assert_int_equal(a.len, n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = n - 1 - i;
            assert_int_equal(a.items[i].key, UINT32_MAX - 3 * r);
            assert_true(a.items[i].val.u.num == (double)r);
        }
        in[n - 1].key = in[0].key;
        assert_int_equal(sb_attrs_copy(&a, in, n), SB_EINVAL);
    }
}

static void attrs_copy_empty(void **state) {
    (void)state;
    sb_attrs a = {(sb_attr *)1, 99};
    assert_int_equal(sb_attrs_copy(&a, NULL, 0), SB_OK);
    assert_int_equal(a.len, 0);
    assert_null(sb_attrs_get(&a, 1));
    sb_attrs_free(&a);
}

/* Duplicate keys (also when not adjacent in the input) and key 0 are
 * refused, leaving out untouched and nothing allocated. */
static void attrs_copy_rejects_duplicates(void **state) {
    (void)state;
    size_t before = sb_mem_used();
    sb_attr dup[3] = {{5, sb_val_num(1)}, {9, sb_val_num(2)}, {5, sb_val_num(3)}};
    sb_attrs a = {(sb_attr *)0x1234, 42};
    assert_int_equal(sb_attrs_copy(&a, dup, 3), SB_EINVAL);
    assert_ptr_equal(a.items, (sb_attr *)0x1234);
    assert_int_equal(a.len, 42);
    sb_attr zero[2] = {{0, sb_val_num(1)}, {3, sb_val_num(2)}};
    assert_int_equal(sb_attrs_copy(&a, zero, 2), SB_EINVAL);
    sb_attr zero1[1] = {{0, sb_val_num(1)}};
    assert_int_equal(sb_attrs_copy(&a, zero1, 1), SB_EINVAL);
    assert_int_equal(a.len, 42);
    assert_int_equal(sb_mem_used(), before);
}

/* Set values are deep-copied, sorted and deduplicated. */
static void attrs_copy_normalises_sets(void **state) {
    (void)state;
    sb_sym set[6] = {9, 3, 9, 1, 3, 7};
    sb_attr in[2] = {{2, sb_val_set(set, 6)}, {1, sb_val_set(NULL, 0)}};
    sb_attrs a = {NULL, 0};
    assert_int_equal(sb_attrs_copy(&a, in, 2), SB_OK);
    const sb_value *v = sb_attrs_get(&a, 2);
    assert_non_null(v);
    assert_int_equal(v->type, SB_VAL_SET);
    assert_int_equal(v->set_len, 4);
    const sb_sym want[4] = {1, 3, 7, 9};
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(v->u.set[i], want[i]);
    assert_ptr_not_equal(v->u.set, set);
    /* the caller's array is its own: changing it changes nothing here */
    set[0] = set[1] = set[2] = 100;
    assert_int_equal(v->u.set[3], 9);
    const sb_value *e = sb_attrs_get(&a, 1);
    assert_non_null(e);
    assert_int_equal(e->type, SB_VAL_SET);
    assert_int_equal(e->set_len, 0);
    assert_true(sb_attrs_bytes(&a) >= 2 * sizeof(sb_attr) + 4 * sizeof(sb_sym));
    sb_attrs_free(&a);
}

static void attrs_get(void **state) {
    (void)state;
    sb_attr in[5];
    for (uint32_t i = 0; i < 5; i++)
        in[i] = (sb_attr){(sb_sym)(10 * (5 - i)), sb_val_num(i)};
    sb_attrs a = {NULL, 0};
    assert_int_equal(sb_attrs_copy(&a, in, 5), SB_OK);
    for (uint32_t i = 0; i < 5; i++) {
        const sb_value *v = sb_attrs_get(&a, (sb_sym)(10 * (5 - i)));
        assert_non_null(v);
        assert_true(v->u.num == i);
    }
    const sb_sym missing[] = {1, 9, 11, 25, 49, 51, 1000};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++)
        assert_null(sb_attrs_get(&a, missing[i]));
    sb_attrs_free(&a);
}

static void syms_has(void **state) {
    (void)state;
    const sb_sym set[5] = {2, 4, 8, 16, 32};
    assert_false(sb_syms_has(set, 0, 2));
    assert_false(sb_syms_has(NULL, 0, 2));
    for (uint32_t i = 0; i < 5; i++)
        assert_true(sb_syms_has(set, 5, set[i]));
    const sb_sym out[] = {0, 1, 3, 5, 17, 31, 33, 1000};
    for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
        assert_false(sb_syms_has(set, 5, out[i]));
    const sb_sym one[1] = {7};
    assert_true(sb_syms_has(one, 1, 7));
    assert_false(sb_syms_has(one, 1, 6));
    assert_false(sb_syms_has(one, 1, 8));
}

static void syms_normalize(void **state) {
    (void)state;
    sb_sym s[7] = {5, 5, 5, 2, 9, 2, 5};
    assert_int_equal(sb_syms_normalize(s, 7), 3);
    assert_int_equal(s[0], 2);
    assert_int_equal(s[1], 5);
    assert_int_equal(s[2], 9);
    assert_int_equal(sb_syms_normalize(s, 0), 0);
    sb_sym same[3] = {4, 4, 4};
    assert_int_equal(sb_syms_normalize(same, 3), 1);
    assert_int_equal(same[0], 4);
}

/* ---- sb_event_format ---- */

/* e formats as want, and the count returned is its length. */
static void assert_formats(const sb_event *e, const char *want) {
    char buf[256];
    assert_int_equal(sb_event_format(e, buf, sizeof(buf)), (int)strlen(want));
    assert_string_equal(buf, want);
}

/* An offer of interaction 7 to agent 3 in queue 1. */
static sb_event offered_event(void) {
    sb_event e = {.seq = 12,
                  .at = 1500,
                  .type = SB_EV_IX_OFFERED,
                  .ix = 7,
                  .agent = 3,
                  .queue = 1,
                  .value = 11500};
    return e;
}

static void format_offered(void **state) {
    (void)state;
    sb_event e = offered_event();
    assert_formats(&e, "#12 t=1500 interaction.offered ix=7 agent=3 queue=1 deadline=11500");
}

static void format_agent_state(void **state) {
    (void)state;
    sb_event e = {.seq = 1,
                  .at = 0,
                  .type = SB_EV_AGENT_STATE,
                  .agent = 4,
                  .state = SB_AGENT_NOT_READY,
                  .code = 5};
    assert_formats(&e, "#1 t=0 agent.state agent=4 state=not_ready code=5");
    e.state = SB_AGENT_LOGGED_OUT; /* state 0 is still printed */
    e.code = 0;
    assert_formats(&e, "#1 t=0 agent.state agent=4 state=logged_out");
}

static void format_created_and_others(void **state) {
    (void)state;
    sb_event c = {.seq = 2,
                  .at = 10,
                  .type = SB_EV_IX_CREATED,
                  .ix = 9,
                  .queue = 4,
                  .channel = SB_CH_CHAT,
                  .priority = -2,
                  .value = 10};
    assert_formats(&c, "#2 t=10 interaction.created ix=9 queue=4 channel=chat priority=-2");
    sb_event q = {
        .seq = 3, .at = 10, .type = SB_EV_IX_QUEUED, .ix = 9, .queue = 4, .reason = SB_REASON_NEW};
    assert_formats(&q, "#3 t=10 interaction.queued ix=9 queue=4 step=0 reason=new");
    sb_event o = {.seq = 4,
                  .at = 20,
                  .type = SB_EV_IX_OVERFLOWED,
                  .ix = 9,
                  .queue = 5,
                  .queue2 = 4,
                  .reason = SB_REASON_MAX_WAIT};
    assert_formats(&o, "#4 t=20 interaction.overflowed ix=9 queue=5 from=4 reason=max_wait");
    sb_event w = {.seq = 5, .at = 30, .type = SB_EV_IX_WRAP_UP, .ix = 9, .agent = 3, .queue = 5};
    assert_formats(&w, "#5 t=30 interaction.wrap_up ix=9 agent=3 queue=5"); /* no deadline */
    sb_event d = {.seq = 6,
                  .at = 40,
                  .type = SB_EV_IX_COMPLETED,
                  .ix = 9,
                  .agent = 3,
                  .queue = 5,
                  .code = 12,
                  .reason = SB_REASON_WRAPUP_TIMEOUT};
    assert_formats(
        &d, "#6 t=40 interaction.completed ix=9 agent=3 queue=5 reason=wrapup_timeout code=12");
    sb_event u = {.seq = 7, .at = 50, .type = 999};
    assert_formats(&u, "#7 t=50 unknown");
}

/* Like snprintf: a short buffer gets a terminated prefix, and the count
 * is the full length (so a caller can size its buffer). */
static void format_truncates_like_snprintf(void **state) {
    (void)state;
    sb_event e = offered_event();
    char full[256], small[16];
    int n = sb_event_format(&e, full, sizeof(full));
    memset(small, 'x', sizeof(small));
    int m = sb_event_format(&e, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, full, sizeof(small) - 1);
    assert_int_equal(m, n);
    assert_int_equal(sb_event_format(&e, NULL, 0), n);
}

SB_TEST_GROUP(value, cmocka_unit_test(attrs_copy_sorts),
              cmocka_unit_test(attrs_copy_sorts_long_lists), cmocka_unit_test(attrs_copy_empty),
              cmocka_unit_test(attrs_copy_rejects_duplicates),
              cmocka_unit_test(attrs_copy_normalises_sets), cmocka_unit_test(attrs_get),
              cmocka_unit_test(syms_has), cmocka_unit_test(syms_normalize),
              cmocka_unit_test(format_offered), cmocka_unit_test(format_agent_state),
              cmocka_unit_test(format_created_and_others),
              cmocka_unit_test(format_truncates_like_snprintf))
