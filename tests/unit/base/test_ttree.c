/* test_ttree.c: src/base/ttree.c against brute-force references. */
#include <stdlib.h>
#include <string.h>

#include "base/heap.h"
#include "base/rand.h"
#include "base/ttree.h"
#include "unit/test.h"

#define NO_SLOT UINT32_MAX

/* A value living in a slot; the reference remembers its key. */
typedef struct obj {
    uint32_t id;
    uint32_t slot; /* NO_SLOT when in no slot */
    bool present;  /* reference: in contention? */
    sb_hkey key;   /* reference: its key when present */
    bool good;     /* predicate answer for sb_ttree_find tests */
} obj;

/* The reference: which object owns each slot, dense 0..len-1. */
typedef struct ref {
    obj **slot;
    uint32_t len;
} ref;

static uint32_t rnd(sb_rand *r, uint32_t n) {
    return (uint32_t)(sb_rand_next(r) % n);
}

static bool key_eq(const sb_hkey *x, const sb_hkey *y) {
    return x->a == y->a && x->b == y->b && x->c == y->c;
}

/* Many ties in a and b; unique: c ends with the id.  a stays below
 * INT64_MAX, which marks an absent slot. */
static sb_hkey rnd_key(sb_rand *r, uint32_t id, bool unique) {
    sb_hkey k;
    uint32_t x = rnd(r, 16);
    k.a = x == 0 ? INT64_MIN : x == 1 ? INT64_MAX - 1 : (int64_t)rnd(r, 5) - 2;
    x = rnd(r, 16);
    k.b = x == 0 ? INT64_MIN : x == 1 ? INT64_MAX : (int64_t)rnd(r, 4) - 1;
    x = rnd(r, 16);
    if (unique)
        k.c = x == 0 ? UINT64_MAX - 100000 + id : ((uint64_t)rnd(r, 3) << 32) | id;
    else
        k.c = x == 0 ? UINT64_MAX : rnd(r, 3);
    return k;
}

/* The least present object, by brute force. */
static obj *ref_best(const ref *rf) {
    obj *best = NULL;
    for (uint32_t s = 0; s < rf->len; s++) {
        obj *o = rf->slot[s];
        if (o->present && (best == NULL || sb_hkey_less(&o->key, &best->key))) best = o;
    }
    return best;
}

/* The tree agrees with the reference slot by slot, every internal node
 * caches the least key below it (with a slot that holds that key), slots
 * past len are absent, and best answers the brute-force least. */
static void check_tree(const sb_ttree *t, const ref *rf, bool unique) {
    assert_int_equal(t->len, rf->len);
    assert_true(t->len <= t->cap);
    for (uint32_t s = 0; s < rf->len; s++) {
        obj *o = rf->slot[s];
        assert_int_equal(o->slot, s);
        assert_ptr_equal(t->val[s], o);
        assert_int_equal(sb_ttree_present(t, s), o->present);
        if (o->present) assert_true(key_eq(&t->node[t->cap + s].key, &o->key));
    }
    for (uint32_t s = rf->len; s < t->cap; s++)
        assert_false(sb_ttree_present(t, s));
    for (uint32_t i = 1; i < t->cap; i++) {
        const sb_hkey *l = &t->node[2 * i].key, *r = &t->node[2 * i + 1].key;
        const sb_hkey *m = sb_hkey_less(r, l) ? r : l;
        assert_true(key_eq(&t->node[i].key, m));
        assert_true(t->node[i].slot < t->cap);
        assert_true(key_eq(&t->node[t->cap + t->node[i].slot].key, m));
    }
    obj *want = ref_best(rf);
    sb_hkey k = {0, 0, 0};
    obj *got = sb_ttree_best(t, &k);
    if (want == NULL) {
        assert_null(got);
        assert_null(sb_ttree_best(t, NULL));
        return;
    }
    assert_non_null(got);
    assert_true(got->present);
    assert_true(key_eq(&got->key, &want->key));
    assert_true(key_eq(&k, &want->key));
    if (unique) assert_ptr_equal(got, want);
    assert_ptr_equal(sb_ttree_best(t, NULL), got);
}

static void init_objs(obj *objs, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        objs[i] = (obj){.id = i, .slot = NO_SLOT};
}

static void add(sb_ttree *t, ref *rf, obj *o) {
    uint32_t s = sb_ttree_add(t, o);
    assert_int_equal(s, rf->len); /* slots are dense: a new one is last */
    assert_false(sb_ttree_present(t, s));
    o->slot = s;
    o->present = false;
    rf->slot[rf->len++] = o;
}

static void del(sb_ttree *t, ref *rf, uint32_t s) {
    uint32_t last = rf->len - 1;
    obj *gone = rf->slot[s], *lastobj = rf->slot[last];
    obj *moved = sb_ttree_del(t, s);
    gone->slot = NO_SLOT;
    gone->present = false;
    rf->len--;
    if (s == last) {
        assert_null(moved);
    } else {
        /* the last slot's value now lives in the deleted slot, with its
         * key and presence */
        assert_ptr_equal(moved, lastobj);
        assert_ptr_equal(t->val[s], moved);
        assert_int_equal(sb_ttree_present(t, s), moved->present);
        if (moved->present) assert_true(key_eq(&t->node[t->cap + s].key, &moved->key));
        moved->slot = s;
        rf->slot[s] = moved;
    }
    /* the last slot is gone */
    assert_int_equal(t->len, last);
    assert_false(sb_ttree_present(t, last));
}

static void set(sb_ttree *t, obj *o, sb_hkey k) {
    sb_ttree_set(t, o->slot, k);
    o->key = k;
    o->present = true;
    assert_true(sb_ttree_present(t, o->slot));
}

static void clear(sb_ttree *t, obj *o) {
    sb_ttree_clear(t, o->slot);
    o->present = false;
    assert_false(sb_ttree_present(t, o->slot));
}

/* Thousands of random add / del / set / clear operations against the
 * brute force, with best checked after every one. */
static void test_ttree_random_ops(void **state) {
    (void)state;
    enum { N = 300, OPS = 20000 };
    static obj objs[N];
    static obj *slots[N];
    sb_rand r;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        sb_rand_seed(&r, seed);
        init_objs(objs, N);
        ref rf = {slots, 0};
        sb_ttree t;
        sb_ttree_init(&t);
        bool unique = seed % 2 == 1; /* even seeds: whole keys repeat */
        uint32_t adds = 0, dels = 0, sets = 0, clears = 0, lastdels = 0, peak = 0;
        for (int op = 0; op < OPS; op++) {
            uint32_t what = rnd(&r, 20);
            /* phases: grow toward N, shrink toward 0, then hover */
            bool shrink = op / 2500 % 3 == 1;
            if (rf.len == 0 || (rf.len < N && what < (shrink ? 2u : 6u))) {
                uint32_t k = rnd(&r, N);
                while (objs[k].slot != NO_SLOT)
                    k = (k + 1) % N;
                add(&t, &rf, &objs[k]);
                if (rnd(&r, 2)) set(&t, &objs[k], rnd_key(&r, objs[k].id, unique));
                adds++;
            } else if (what < (shrink ? 10u : 9u)) {
                uint32_t s = rnd(&r, 8) == 0 ? rf.len - 1 : rnd(&r, rf.len);
                lastdels += s == rf.len - 1;
                del(&t, &rf, s);
                dels++;
            } else if (what < 16) {
                obj *o = rf.slot[rnd(&r, rf.len)];
                sb_hkey k = rnd_key(&r, o->id, unique);
                uint32_t how = rnd(&r, 6);
                if (how == 0) k.a = INT64_MIN;
                if (how == 1) k.a = INT64_MAX - 1, k.b = INT64_MAX; /* c keeps it unique */
                if (how == 2 && o->present) k = o->key;             /* unchanged */
                set(&t, o, k);
                sets++;
            } else {
                clear(&t, rf.slot[rnd(&r, rf.len)]);
                clears++;
            }
            if (rf.len > peak) peak = rf.len;
            check_tree(&t, &rf, unique);
        }
        assert_true(adds > 1000 && dels > 1000 && sets > 1000 && clears > 1000);
        assert_true(lastdels > 100 && peak > N / 2);

        /* drain by repeatedly deleting the best: keys come out in order */
        sb_hkey prev = {INT64_MIN, INT64_MIN, 0};
        for (;;) {
            sb_hkey k;
            obj *o = sb_ttree_best(&t, &k);
            if (o == NULL) break;
            assert_false(sb_hkey_less(&k, &prev));
            prev = k;
            del(&t, &rf, o->slot);
            check_tree(&t, &rf, unique);
        }
        assert_null(ref_best(&rf));
        while (rf.len)
            del(&t, &rf, rnd(&r, rf.len));
        check_tree(&t, &rf, unique);
        sb_ttree_free(&t);
    }
}

typedef struct pred_ctx {
    uint32_t calls;
} pred_ctx;

static bool obj_good(const void *val, void *ctx) {
    const obj *o = val;
    ((pred_ctx *)ctx)->calls++;
    assert_true(o->present); /* only values in contention are asked about */
    return o->good;
}

/* sb_ttree_find returns exactly the least present value satisfying the
 * predicate, over random trees and random predicates, and leaves the tree
 * alone. */
static void test_ttree_find_random(void **state) {
    (void)state;
    enum { N = 300, ROUNDS = 600 };
    static obj objs[N];
    static obj *slots[N];
    static sb_tnode snapshot[2 * 512];
    sb_rand r;
    sb_rand_seed(&r, 77);
    sb_heap_scratch scratch = {0}; /* reused across every call */
    uint32_t found = 0, missed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        init_objs(objs, N);
        ref rf = {slots, 0};
        sb_ttree t;
        sb_ttree_init(&t);
        uint32_t n = 1 + rnd(&r, N);
        uint32_t mode = rnd(&r, 3); /* 0: all keys tie; 1: many ties; 2: unique */
        uint32_t density = rnd(&r, 1001);
        for (uint32_t i = 0; i < n; i++) {
            add(&t, &rf, &objs[i]);
            if (rnd(&r, 1000) < density)
                set(&t, &objs[i], mode == 0 ? (sb_hkey){4, -4, 4} : rnd_key(&r, i, mode == 2));
        }
        /* churn so the layout is not just add order */
        for (uint32_t i = 0; i < n / 4 && rf.len > 1; i++) {
            del(&t, &rf, rnd(&r, rf.len));
            obj *o = rf.slot[rnd(&r, rf.len)];
            if (rnd(&r, 1000) < density)
                set(&t, o, mode == 0 ? o->key : rnd_key(&r, o->id, mode == 2));
            else
                clear(&t, o);
        }
        check_tree(&t, &rf, mode == 2);
        uint32_t present = 0;
        for (uint32_t s = 0; s < rf.len; s++)
            present += rf.slot[s]->present;
        assert_true(t.cap <= 512);
        memcpy(snapshot, t.node, 2 * t.cap * sizeof(*snapshot));
        for (int q = 0; q < 8; q++) {
            /* acceptance probability from 0 to 1, including exactly 0 and 1 */
            uint32_t permille = q == 0 ? 0 : q == 1 ? 1000 : rnd(&r, 1001);
            if (q == 2) permille = 3; /* sparse: the walk goes deep */
            for (uint32_t s = 0; s < rf.len; s++)
                rf.slot[s]->good = rnd(&r, 1000) < permille;
            obj *want = NULL;
            for (uint32_t s = 0; s < rf.len; s++) {
                obj *o = rf.slot[s];
                if (o->present && o->good && (want == NULL || sb_hkey_less(&o->key, &want->key)))
                    want = o;
            }
            pred_ctx ctx = {0};
            sb_hkey k = {0, 0, 0};
            obj *got = sb_ttree_find(&t, obj_good, &ctx, &k, &scratch);
            if (want) {
                assert_non_null(got);
                assert_true(got->present && got->good);
                assert_true(key_eq(&got->key, &want->key));
                assert_true(key_eq(&k, &want->key));
                if (mode == 2) assert_ptr_equal(got, want);
                /* a NULL key pointer is allowed and gives the same answer */
                pred_ctx ctx2 = {0};
                assert_ptr_equal(sb_ttree_find(&t, obj_good, &ctx2, NULL, &scratch), got);
                found++;
            } else {
                assert_null(got);
                missed++;
                /* a miss asks about every value in contention exactly once */
                assert_int_equal(ctx.calls, present);
            }
            /* the predicate is never asked more than once per value */
            assert_true(ctx.calls <= present);
            /* find does not change the tree */
            assert_int_equal(t.len, rf.len);
            assert_memory_equal(snapshot, t.node, 2 * t.cap * sizeof(*snapshot));
        }
        sb_ttree_free(&t);
    }
    assert_true(found > 500 && missed > 500);
    sb_heap_scratch_free(&scratch);
    assert_null(scratch.idx);
}

/* When the best qualifies, find asks once and needs no scratch; an absent
 * slot is never reported even with the least leftover key. */
static void test_ttree_find_cheap(void **state) {
    (void)state;
    enum { N = 40 };
    static obj objs[N];
    static obj *slots[N];
    init_objs(objs, N);
    ref rf = {slots, 0};
    sb_ttree t;
    sb_ttree_init(&t);
    for (uint32_t i = 0; i < N; i++) {
        add(&t, &rf, &objs[i]);
        objs[i].good = true;
        set(&t, &objs[i], (sb_hkey){0, N - i, 0});
    }
    sb_heap_scratch scratch = {0};
    pred_ctx ctx = {0};
    sb_hkey k;
    assert_ptr_equal(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch), &objs[N - 1]);
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(k.b, 1);
    assert_null(scratch.idx);
    /* only the largest qualifies */
    for (uint32_t i = 0; i < N; i++)
        objs[i].good = i == 0;
    ctx.calls = 0;
    assert_ptr_equal(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch), &objs[0]);
    assert_int_equal(k.b, N);
    assert_int_equal(ctx.calls, N);
    /* clearing the only qualifying one: nothing */
    clear(&t, &objs[0]);
    ctx.calls = 0;
    assert_null(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch));
    assert_int_equal(ctx.calls, N - 1);
    check_tree(&t, &rf, true);
    sb_heap_scratch_free(&scratch);
    sb_ttree_free(&t);
}

/* Growth across several capacity doublings keeps every slot's key,
 * presence and value. */
static void test_ttree_growth(void **state) {
    (void)state;
    enum { N = 1500 };
    static obj objs[N];
    static obj *slots[N];
    sb_rand r;
    sb_rand_seed(&r, 3);
    init_objs(objs, N);
    ref rf = {slots, 0};
    sb_ttree t;
    sb_ttree_init(&t);
    assert_int_equal(t.cap, 0);
    uint32_t doublings = 0, cap = 0;
    for (uint32_t i = 0; i < N; i++) {
        add(&t, &rf, &objs[i]);
        if (t.cap != cap) {
            assert_true(t.cap >= rf.len);
            if (cap) assert_int_equal(t.cap, 2 * cap);
            cap = t.cap;
            doublings++;
            check_tree(&t, &rf, true); /* right after growing */
        }
        /* most present, some absent; the newest sometimes the best */
        uint32_t x = rnd(&r, 4);
        if (x == 0)
            set(&t, &objs[i], (sb_hkey){-(int64_t)i, 0, i});
        else if (x < 3)
            set(&t, &objs[i], rnd_key(&r, i, true));
        if (i % 37 == 0) check_tree(&t, &rf, true);
    }
    assert_true(doublings >= 8);
    check_tree(&t, &rf, true);
    /* each slot kept its key: clear them one by one, best follows */
    for (uint32_t s = 0; s < rf.len; s += 3) {
        clear(&t, rf.slot[s]);
        if (s % 30 == 0) check_tree(&t, &rf, true);
    }
    check_tree(&t, &rf, true);
    sb_ttree_free(&t);
    assert_null(t.node);
    assert_int_equal(t.len, 0);
    assert_int_equal(t.cap, 0);
}

/* present / clear semantics, and best on empty and all-absent trees. */
static void test_ttree_present_clear(void **state) {
    (void)state;
    enum { N = 9 };
    static obj objs[N];
    static obj *slots[N];
    init_objs(objs, N);
    ref rf = {slots, 0};
    sb_ttree t;
    sb_ttree_init(&t);
    sb_heap_scratch scratch = {0};
    pred_ctx ctx = {0};
    sb_hkey k = {1, 2, 3};

    /* empty, never grown */
    assert_null(sb_ttree_best(&t, &k));
    assert_null(sb_ttree_best(&t, NULL));
    assert_null(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch));
    assert_int_equal(ctx.calls, 0);
    assert_true(key_eq(&k, &(sb_hkey){1, 2, 3})); /* untouched */

    /* slots start absent: best is NULL */
    for (uint32_t i = 0; i < N; i++)
        add(&t, &rf, &objs[i]);
    for (uint32_t i = 0; i < N; i++)
        assert_false(sb_ttree_present(&t, i));
    assert_null(sb_ttree_best(&t, &k));
    objs[0].good = true;
    assert_null(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch));
    assert_int_equal(ctx.calls, 0);
    check_tree(&t, &rf, true);

    /* set makes present; a second set re-keys; clear makes absent */
    set(&t, &objs[4], (sb_hkey){5, 0, 4});
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[4]);
    assert_int_equal(k.a, 5);
    set(&t, &objs[2], (sb_hkey){5, 0, 2});
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[2]);
    set(&t, &objs[2], (sb_hkey){5, 1, 2}); /* b decides now */
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[4]);
    set(&t, &objs[4], (sb_hkey){5, 1, 7}); /* c decides now */
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[2]);
    assert_true(key_eq(&k, &(sb_hkey){5, 1, 2}));
    check_tree(&t, &rf, true);
    clear(&t, &objs[2]);
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[4]);
    clear(&t, &objs[2]); /* clearing an absent slot is a no-op */
    assert_false(sb_ttree_present(&t, 2));
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[4]);
    check_tree(&t, &rf, true);
    /* a cleared slot comes back with a new key */
    set(&t, &objs[2], (sb_hkey){-1, 0, 0});
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[2]);
    clear(&t, &objs[2]);
    clear(&t, &objs[4]);
    /* all absent again */
    assert_null(sb_ttree_best(&t, &k));
    ctx.calls = 0;
    assert_null(sb_ttree_find(&t, obj_good, &ctx, &k, &scratch));
    assert_int_equal(ctx.calls, 0);
    check_tree(&t, &rf, true);

    /* deleting a present last slot into an absent one, and the reverse */
    set(&t, &objs[8], (sb_hkey){0, 0, 8});
    del(&t, &rf, 1); /* objs[8] moves to slot 1 */
    assert_int_equal(objs[8].slot, 1);
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[8]);
    check_tree(&t, &rf, true);
    set(&t, &objs[3], (sb_hkey){1, 0, 3});
    del(&t, &rf, 3); /* an absent last value moves onto a present slot */
    assert_false(sb_ttree_present(&t, 3));
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[8]);
    check_tree(&t, &rf, true);
    /* delete down to empty: best NULL, then reuse */
    while (rf.len) {
        del(&t, &rf, 0);
        check_tree(&t, &rf, true);
    }
    assert_null(sb_ttree_best(&t, &k));
    add(&t, &rf, &objs[0]);
    assert_null(sb_ttree_best(&t, &k));
    set(&t, &objs[0], (sb_hkey){0, 0, 0});
    assert_ptr_equal(sb_ttree_best(&t, &k), &objs[0]);
    check_tree(&t, &rf, true);
    sb_heap_scratch_free(&scratch);
    sb_ttree_free(&t);
    sb_ttree_free(&t); /* freeing twice is harmless */
}

SB_TEST_GROUP(ttree, cmocka_unit_test(test_ttree_random_ops),
              cmocka_unit_test(test_ttree_find_random), cmocka_unit_test(test_ttree_find_cheap),
              cmocka_unit_test(test_ttree_growth), cmocka_unit_test(test_ttree_present_clear))
