/* test_heap.c: src/base/heap.c against brute-force references. */
#include <stdlib.h>
#include <string.h>

#include "base/heap.h"
#include "base/mem.h"
#include "base/rand.h"
#include "unit/test.h"

/* A heap member: key with ties broken on the unique id, as heap.h asks. */
typedef struct item {
    sb_heap_node node;
    uint32_t key;
    uint32_t id;
    bool in;   /* reference: is it in the heap? */
    bool good; /* predicate answer for sb_heap_find tests */
} item;

#define ITEM(n) sb_container_of((n), item, node)

static bool item_less(const sb_heap_node *a, const sb_heap_node *b) {
    const item *x = ITEM(a), *y = ITEM(b);
    return x->key != y->key ? x->key < y->key : x->id < y->id;
}

static int item_cmp(const void *a, const void *b) {
    const item *x = *(item *const *)a, *y = *(item *const *)b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static uint32_t rnd(sb_rand *r, uint32_t n) {
    return (uint32_t)(sb_rand_next(r) % n);
}

/* Every slot knows its index, every parent precedes its children, members
 * are exactly the reference set, non-members are unlinked. */
static void check_heap(const sb_heap *h, const item *items, uint32_t n) {
    uint32_t members = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (items[i].in) {
            members++;
            assert_true(sb_heap_node_linked(&items[i].node));
            assert_true(items[i].node.index < h->len);
            assert_ptr_equal(h->items[items[i].node.index], &items[i].node);
        } else {
            assert_false(sb_heap_node_linked(&items[i].node));
        }
    }
    assert_int_equal(sb_heap_len(h), members);
    for (uint32_t i = 0; i < h->len; i++) {
        assert_int_equal(h->items[i]->index, i);
        if (i > 0) assert_false(item_less(h->items[i], h->items[(i - 1) / 2]));
    }
}

/* The least member, by brute force. */
static item *ref_min(item *items, uint32_t n) {
    item *best = NULL;
    for (uint32_t i = 0; i < n; i++)
        if (items[i].in && (best == NULL || item_less(&items[i].node, &best->node)))
            best = &items[i];
    return best;
}

static item *pick_member(sb_rand *r, item *items, uint32_t n, uint32_t members) {
    uint32_t k = rnd(r, members);
    for (uint32_t i = 0; i < n; i++)
        if (items[i].in && k-- == 0) return &items[i];
    return NULL;
}

static item *pick_outsider(sb_rand *r, item *items, uint32_t n, uint32_t members) {
    uint32_t k = rnd(r, n - members);
    for (uint32_t i = 0; i < n; i++)
        if (!items[i].in && k-- == 0) return &items[i];
    return NULL;
}

static void init_items(item *items, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        sb_heap_node_init(&items[i].node);
        items[i].key = 0;
        items[i].id = i;
        items[i].in = false;
        items[i].good = false;
    }
}

static void test_heap_empty(void **state) {
    (void)state;
    sb_heap h;
    sb_heap_init(&h, item_less);
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    assert_null(sb_heap_pop(&h));
    assert_null(sb_heap_pop(&h));
    sb_heap_free(&h);
    sb_heap_free(&h); /* freeing twice is harmless: free resets the heap */

    /* empty again after draining, and reusable */
    item it[3];
    init_items(it, 3);
    it[0].key = 5, it[1].key = 1, it[2].key = 3;
    for (int i = 0; i < 3; i++)
        sb_heap_push(&h, &it[i].node);
    assert_ptr_equal(sb_heap_pop(&h), &it[1].node);
    assert_ptr_equal(sb_heap_pop(&h), &it[2].node);
    assert_ptr_equal(sb_heap_pop(&h), &it[0].node);
    assert_null(sb_heap_pop(&h));
    assert_null(sb_heap_top(&h));
    assert_int_equal(sb_heap_len(&h), 0);
    for (int i = 0; i < 3; i++)
        assert_false(sb_heap_node_linked(&it[i].node));
    sb_heap_free(&h);
}

static void test_heap_single(void **state) {
    (void)state;
    sb_heap h;
    sb_heap_init(&h, item_less);
    item a;
    init_items(&a, 1);
    assert_false(sb_heap_node_linked(&a.node));
    sb_heap_push(&h, &a.node);
    assert_true(sb_heap_node_linked(&a.node));
    assert_int_equal(a.node.index, 0);
    assert_ptr_equal(sb_heap_top(&h), &a.node);
    /* removing the only (and last-slot) member */
    sb_heap_remove(&h, &a.node);
    assert_false(sb_heap_node_linked(&a.node));
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    /* a removed node can go back in */
    sb_heap_push(&h, &a.node);
    assert_ptr_equal(sb_heap_pop(&h), &a.node);
    assert_false(sb_heap_node_linked(&a.node));
    sb_heap_free(&h);
}

/* sb_heap_free unlinks the members it still holds. */
static void test_heap_free_unlinks(void **state) {
    (void)state;
    enum { N = 100 };
    static item items[N];
    init_items(items, N);
    sb_heap h;
    sb_heap_init(&h, item_less);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = (i * 37) % N;
        sb_heap_push(&h, &items[i].node);
    }
    for (uint32_t i = 0; i < N / 2; i++)
        sb_heap_pop(&h);
    sb_heap_free(&h);
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    for (uint32_t i = 0; i < N; i++)
        assert_false(sb_heap_node_linked(&items[i].node));
    /* and the heap works again after free */
    for (uint32_t i = 0; i < N; i++)
        sb_heap_push(&h, &items[i].node);
    for (uint32_t i = 0; i < N; i++) {
        sb_heap_node *n = sb_heap_pop(&h);
        assert_non_null(n);
        assert_int_equal(ITEM(n)->key, i); /* keys are a permutation of 0..N-1 */
    }
    sb_heap_free(&h);
}

/* Equal keys come out in id order: the tie-break is honoured. */
static void test_heap_ties(void **state) {
    (void)state;
    enum { N = 64 };
    static item items[N];
    init_items(items, N);
    sb_heap h;
    sb_heap_init(&h, item_less);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t j = N - 1 - i; /* push in reverse id order */
        items[j].key = 7;
        sb_heap_push(&h, &items[j].node);
    }
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(ITEM(sb_heap_pop(&h))->id, i);
    sb_heap_free(&h);
}

/* Thousands of random push / pop / remove / update operations against a
 * brute-force reference, then a full drain against a sorted copy. */
static void test_heap_random_ops(void **state) {
    (void)state;
    enum { N = 400, OPS = 20000 };
    static item items[N];
    static item *sorted[N];
    sb_rand r;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        sb_rand_seed(&r, seed);
        init_items(items, N);
        sb_heap h;
        sb_heap_init(&h, item_less);
        uint32_t members = 0, key_range = seed == 2 ? 8 : 1000; /* seed 2: many ties */
        uint32_t pops = 0, removes = 0, updates = 0;
        for (int op = 0; op < OPS; op++) {
            uint32_t what = rnd(&r, 10);
            /* bias: grow to a few hundred, then hover */
            if (members == 0 || (what < 4 && members < N)) {
                item *it = pick_outsider(&r, items, N, members);
                it->key = rnd(&r, key_range);
                sb_heap_push(&h, &it->node);
                it->in = true;
                members++;
            } else if (what < 6) {
                item *want = ref_min(items, N);
                assert_ptr_equal(sb_heap_top(&h), &want->node);
                sb_heap_node *got = sb_heap_pop(&h);
                assert_ptr_equal(got, &want->node);
                want->in = false;
                members--;
                pops++;
            } else if (what < 8) {
                item *it = pick_member(&r, items, N, members);
                sb_heap_remove(&h, &it->node);
                it->in = false;
                members--;
                removes++;
            } else {
                item *it = pick_member(&r, items, N, members);
                /* move the key either way, sometimes to an extreme */
                uint32_t how = rnd(&r, 4);
                it->key = how == 0 ? 0 : how == 1 ? key_range : rnd(&r, key_range);
                sb_heap_update(&h, &it->node);
                updates++;
            }
            if (members) {
                assert_ptr_equal(sb_heap_top(&h), &ref_min(items, N)->node);
            } else {
                assert_null(sb_heap_top(&h));
            }
            if (op % 97 == 0) check_heap(&h, items, N);
        }
        check_heap(&h, items, N);
        assert_true(pops > 1000 && removes > 1000 && updates > 1000);

        uint32_t k = 0;
        for (uint32_t i = 0; i < N; i++)
            if (items[i].in) sorted[k++] = &items[i];
        assert_int_equal(k, members);
        qsort(sorted, k, sizeof(*sorted), item_cmp);
        for (uint32_t i = 0; i < k; i++) {
            sb_heap_node *n = sb_heap_pop(&h);
            assert_ptr_equal(n, &sorted[i]->node);
            assert_false(sb_heap_node_linked(n));
        }
        assert_null(sb_heap_pop(&h));
        sb_heap_free(&h);
    }
}

/* Remove every member in a random order: each removal of an interior node
 * must keep the heap consistent whichever way the moved last node goes. */
static void test_heap_remove_all(void **state) {
    (void)state;
    enum { N = 257 };
    static item items[N];
    uint32_t order[N];
    sb_rand r;
    sb_rand_seed(&r, 99);
    init_items(items, N);
    sb_heap h;
    sb_heap_init(&h, item_less);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = rnd(&r, 50);
        items[i].in = true;
        sb_heap_push(&h, &items[i].node);
        order[i] = i;
    }
    check_heap(&h, items, N);
    for (uint32_t i = N - 1; i > 0; i--) {
        uint32_t j = rnd(&r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < N; i++) {
        sb_heap_remove(&h, &items[order[i]].node);
        items[order[i]].in = false;
        check_heap(&h, items, N);
    }
    assert_int_equal(sb_heap_len(&h), 0);
    sb_heap_free(&h);
}

/* sb_heap_update after raising and lowering every key. */
static void test_heap_update_each(void **state) {
    (void)state;
    enum { N = 200 };
    static item items[N];
    sb_rand r;
    sb_rand_seed(&r, 5);
    init_items(items, N);
    sb_heap h;
    sb_heap_init(&h, item_less);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = 1000 + rnd(&r, 1000);
        items[i].in = true;
        sb_heap_push(&h, &items[i].node);
    }
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = i % 2 ? items[i].key + 5000 : items[i].key / 10; /* up or down */
        sb_heap_update(&h, &items[i].node);
        check_heap(&h, items, N);
        assert_ptr_equal(sb_heap_top(&h), &ref_min(items, N)->node);
    }
    /* update with an unchanged key is a no-op for ordering */
    sb_heap_node *top = sb_heap_top(&h);
    sb_heap_update(&h, top);
    assert_ptr_equal(sb_heap_top(&h), top);
    check_heap(&h, items, N);
    sb_heap_free(&h);
}

typedef struct pred_ctx {
    uint32_t calls;
} pred_ctx;

static bool item_good(const sb_heap_node *n, void *ctx) {
    ((pred_ctx *)ctx)->calls++;
    return ITEM(n)->good;
}

/* sb_heap_find returns exactly the least member satisfying the predicate,
 * over random heaps and random predicates, and leaves the heap alone. */
static void test_heap_find_random(void **state) {
    (void)state;
    enum { N = 300, ROUNDS = 600 };
    static item items[N];
    static sb_heap_node *snapshot[N];
    sb_rand r;
    sb_rand_seed(&r, 2024);
    sb_heap_scratch scratch = {0}; /* reused across every call */
    uint32_t found = 0, missed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        init_items(items, N);
        sb_heap h;
        sb_heap_init(&h, item_less);
        uint32_t n = rnd(&r, N + 1);
        uint32_t key_range = 1 + rnd(&r, 3) * 100; /* 1: all keys tie */
        for (uint32_t i = 0; i < n; i++) {
            items[i].key = rnd(&r, key_range);
            items[i].in = true;
            sb_heap_push(&h, &items[i].node);
        }
        /* churn so the layout is not just push order */
        for (uint32_t i = 0; i < n / 3; i++) {
            item *it = &items[rnd(&r, n)];
            it->key = rnd(&r, key_range);
            sb_heap_update(&h, &it->node);
        }
        if (n) memcpy(snapshot, h.items, n * sizeof(*snapshot));
        for (int q = 0; q < 8; q++) {
            /* acceptance probability from 0 to 1, including exactly 0 and 1 */
            uint32_t permille = q == 0 ? 0 : q == 1 ? 1000 : rnd(&r, 1001);
            if (q == 2) permille = 3; /* sparse: the walk goes deep */
            for (uint32_t i = 0; i < n; i++)
                items[i].good = rnd(&r, 1000) < permille;
            item *want = NULL;
            for (uint32_t i = 0; i < n; i++)
                if (items[i].good && (want == NULL || item_less(&items[i].node, &want->node)))
                    want = &items[i];
            pred_ctx ctx = {0};
            sb_heap_node *got = sb_heap_find(&h, item_good, &ctx, &scratch);
            if (want) {
                assert_ptr_equal(got, &want->node);
                found++;
            } else {
                assert_null(got);
                missed++;
                /* a miss asks about every member exactly once */
                assert_int_equal(ctx.calls, n);
            }
            /* the predicate is never asked more than once per member */
            assert_true(ctx.calls <= n);
            /* find does not reorder the heap */
            assert_int_equal(sb_heap_len(&h), n);
            if (n) assert_memory_equal(snapshot, h.items, n * sizeof(*snapshot));
            for (uint32_t i = 0; i < n; i++)
                assert_int_equal(h.items[i]->index, i);
        }
        sb_heap_free(&h);
    }
    assert_true(found > 500 && missed > 500);
    sb_heap_scratch_free(&scratch);
    assert_null(scratch.idx);
}

/* When the top qualifies, find asks the predicate once and answers the top. */
static void test_heap_find_top_is_cheap(void **state) {
    (void)state;
    enum { N = 50 };
    static item items[N];
    init_items(items, N);
    sb_heap h;
    sb_heap_init(&h, item_less);
    for (uint32_t i = 0; i < N; i++) {
        items[i].key = N - i;
        items[i].good = true;
        sb_heap_push(&h, &items[i].node);
    }
    sb_heap_scratch scratch = {0};
    pred_ctx ctx = {0};
    assert_ptr_equal(sb_heap_find(&h, item_good, &ctx, &scratch), &items[N - 1].node);
    assert_int_equal(ctx.calls, 1);
    /* only the very largest qualifies: the answer is found at the bottom */
    for (uint32_t i = 0; i < N; i++)
        items[i].good = i == 0;
    ctx.calls = 0;
    assert_ptr_equal(sb_heap_find(&h, item_good, &ctx, &scratch), &items[0].node);
    assert_true(ctx.calls <= N);
    sb_heap_scratch_free(&scratch);
    sb_heap_free(&h);
}

static void test_heap_find_empty(void **state) {
    (void)state;
    sb_heap h;
    sb_heap_init(&h, item_less);
    sb_heap_scratch scratch = {0};
    pred_ctx ctx = {0};
    assert_null(sb_heap_find(&h, item_good, &ctx, &scratch));
    assert_int_equal(ctx.calls, 0);
    sb_heap_scratch_free(&scratch); /* never grown: still fine */
    sb_heap_free(&h);
}

SB_TEST_GROUP(heap, cmocka_unit_test(test_heap_empty), cmocka_unit_test(test_heap_single),
              cmocka_unit_test(test_heap_free_unlinks), cmocka_unit_test(test_heap_ties),
              cmocka_unit_test(test_heap_random_ops), cmocka_unit_test(test_heap_remove_all),
              cmocka_unit_test(test_heap_update_each), cmocka_unit_test(test_heap_find_random),
              cmocka_unit_test(test_heap_find_top_is_cheap), cmocka_unit_test(test_heap_find_empty))
