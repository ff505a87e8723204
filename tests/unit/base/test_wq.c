/* test_wq.c: src/base/wq.c against a brute-force reference. */
#include <stdlib.h>

#include "base/mem.h"
#include "base/rand.h"
#include "base/wq.h"
#include "unit/test.h"

typedef struct item {
    sb_wq_node node;
    sb_hkey key;
    bool in;   /* reference: is it queued? */
    bool good; /* predicate answer for sb_wq_find */
} item;

#define ITEM(n) sb_container_of((n), item, node)

static uint32_t rnd(sb_rand *r, uint32_t n) { return (uint32_t)(sb_rand_next(r) % n); }

/* The least queued item (for which good holds, when only_good), or NULL. */
static item *ref_least(item *items, uint32_t n, bool only_good) {
    item *best = NULL;
    for (uint32_t i = 0; i < n; i++)
        if (items[i].in && (!only_good || items[i].good) &&
            (best == NULL || sb_hkey_less(&items[i].key, &best->key)))
            best = &items[i];
    return best;
}

static bool good_pred(const sb_wq_node *n, void *ctx) {
    (void)ctx;
    return ITEM(n)->good;
}

static void check(sb_wq *w, item *items, uint32_t n, sb_heap_scratch *scratch) {
    uint32_t len = 0;
    for (uint32_t i = 0; i < n; i++) {
        len += items[i].in;
        assert_int_equal(sb_wq_node_linked(&items[i].node), items[i].in);
    }
    assert_int_equal(sb_wq_len(w), len);
    item *least = ref_least(items, n, false);
    assert_ptr_equal(sb_wq_top(w) ? ITEM(sb_wq_top(w)) : NULL, least);
    if (least) {
        sb_hkey t = sb_wq_top_key(w);
        assert_true(t.a == least->key.a && t.b == least->key.b && t.c == least->key.c);
        assert_true(sb_wq_top_a(w) == t.a && sb_wq_top_c(w) == t.c);
    }
    sb_wq_node *f = sb_wq_find(w, good_pred, NULL, scratch);
    assert_ptr_equal(f ? ITEM(f) : NULL, ref_least(items, n, true));
}

/* Keys that mostly grow (appends to the ring), with runs of equal first
 * parts (the tie read from the ring's last slot) and some that go back
 * (the side heap); unique by c. */
static sb_hkey next_key(sb_rand *r, int64_t *clock, uint64_t seq) {
    uint32_t x = rnd(r, 10);
    if (x < 6) *clock += rnd(r, 3); /* 0: a tie in a */
    int64_t a = x == 9 ? *clock - (int64_t)rnd(r, 20) : *clock;
    int64_t b = (int64_t)rnd(r, 3) - 1;
    return (sb_hkey){a, b, seq};
}

static void run_ops(uint64_t seed, uint32_t n, uint32_t ops) {
    sb_rand r;
    sb_rand_seed(&r, seed);
    item *items = sb_calloc(n, sizeof(*items));
    for (uint32_t i = 0; i < n; i++) sb_wq_node_init(&items[i].node);
    sb_wq w;
    sb_wq_init(&w);
    sb_heap_scratch scratch = {0};
    int64_t clock = 0;
    uint64_t seq = 0;
    for (uint32_t k = 0; k < ops; k++) {
        item *it = &items[rnd(&r, n)];
        uint32_t op = rnd(&r, 10);
        if (!it->in && op < 6) {
            it->key = next_key(&r, &clock, ++seq);
            it->good = rnd(&r, 4) != 0;
            bool became_top = sb_wq_push(&w, &it->node, it->key);
            it->in = true;
            assert_int_equal(became_top, ref_least(items, n, false) == it);
        } else if (op < 8) {
            item *least = ref_least(items, n, false);
            if (least) { /* take the best, as routing does */
                assert_true(sb_wq_remove(&w, &least->node));
                least->in = false;
            }
        } else if (it->in) { /* from the middle: a hole */
            bool was_top = ref_least(items, n, false) == it;
            assert_int_equal(sb_wq_remove(&w, &it->node), was_top);
            it->in = false;
        }
        check(&w, items, n, &scratch);
    }
    sb_wq_free(&w);
    for (uint32_t i = 0; i < n; i++) assert_false(sb_wq_node_linked(&items[i].node));
    sb_heap_scratch_free(&scratch);
    sb_free(items);
}

static void test_wq_random_small(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) run_ops(seed, 12, 400);
}

static void test_wq_random_large(void **state) {
    (void)state;
    for (uint64_t seed = 100; seed <= 105; seed++) run_ops(seed, 300, 6000);
}

/* Fill, empty from the middle and the front (holes, compaction, growth),
 * then refill with keys equal in a to the last appended one. */
static void test_wq_ties_after_compaction(void **state) {
    (void)state;
    enum { N = 64 };
    item items[N];
    sb_heap_scratch scratch = {0};
    sb_wq w;
    sb_wq_init(&w);
    for (uint32_t i = 0; i < N; i++) {
        sb_wq_node_init(&items[i].node);
        items[i].in = false;
        items[i].good = i % 3 != 0;
    }
    for (uint32_t i = 0; i < 32; i++) {
        items[i].key = (sb_hkey){(int64_t)i / 4, 0, i};
        sb_wq_push(&w, &items[i].node, items[i].key);
        items[i].in = true;
    }
    for (uint32_t i = 1; i < 32; i += 2) { /* every other: half holes */
        sb_wq_remove(&w, &items[i].node);
        items[i].in = false;
    }
    sb_wq_remove(&w, &items[30].node); /* the last live one: a hole last */
    items[30].in = false;
    check(&w, items, N, &scratch);
    for (uint32_t i = 32; i < N; i++) { /* a = 7, as the last appended */
        items[i].key = (sb_hkey){7, (int64_t)(i % 5) - 2, i};
        sb_wq_push(&w, &items[i].node, items[i].key);
        items[i].in = true;
        check(&w, items, N, &scratch);
    }
    while (sb_wq_len(&w)) {
        item *least = ref_least(items, N, false);
        assert_true(sb_wq_remove(&w, &least->node));
        least->in = false;
        check(&w, items, N, &scratch);
    }
    sb_wq_free(&w);
    sb_heap_scratch_free(&scratch);
}

/* A burst grows the ring; draining it (from the front, and holes in the
 * middle) halves it back while the span is an eighth of it, down to
 * SB_WQ_MIN_SHRINK, every member keeping its place; it grows again. */
static void test_wq_shrinks_after_burst(void **state) {
    (void)state;
    enum { N = 5000 };
    item *items = sb_calloc(N, sizeof(*items));
    sb_heap_scratch scratch = {0};
    sb_wq w;
    sb_wq_init(&w);
    for (uint32_t i = 0; i < N; i++) {
        sb_wq_node_init(&items[i].node);
        items[i].key = (sb_hkey){(int64_t)i, 0, i};
        items[i].good = i % 7 == 0;
        sb_wq_push(&w, &items[i].node, items[i].key);
        items[i].in = true;
    }
    assert_int_equal(w.cap, 8192);
    uint32_t peak = w.cap, left = N;
    for (uint32_t i = 2000; i < 4000; i += 3) { /* holes in the middle */
        sb_wq_remove(&w, &items[i].node);
        items[i].in = false;
        left--;
    }
    assert_int_equal(w.cap, peak);
    for (uint32_t i = 0; left > 40; i++) { /* then from the front */
        if (!items[i].in) continue;
        assert_true(sb_wq_remove(&w, &items[i].node));
        items[i].in = false;
        left--;
        assert_true(w.cap >= w.tail - w.head);
        if (left % 97 == 0) check(&w, items, N, &scratch);
    }
    check(&w, items, N, &scratch);
    assert_true(w.cap < peak);
    assert_true(w.cap <= 8 * SB_WQ_MIN_SHRINK);
    while (sb_wq_len(&w)) {
        item *least = ref_least(items, N, false);
        assert_true(sb_wq_remove(&w, &least->node));
        least->in = false;
    }
    assert_int_equal(w.cap, SB_WQ_MIN_SHRINK);
    for (uint32_t i = 0; i < 1000; i++) { /* again, past the small ring */
        items[i].key = (sb_hkey){(int64_t)(N + i), 0, N + i};
        sb_wq_push(&w, &items[i].node, items[i].key);
        items[i].in = true;
    }
    check(&w, items, N, &scratch);
    assert_int_equal(w.cap, 1024);
    sb_wq_free(&w);
    sb_heap_scratch_free(&scratch);
    sb_free(items);
}

SB_TEST_GROUP(wq, cmocka_unit_test(test_wq_random_small), cmocka_unit_test(test_wq_random_large),
              cmocka_unit_test(test_wq_ties_after_compaction),
              cmocka_unit_test(test_wq_shrinks_after_burst))
