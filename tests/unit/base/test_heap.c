/* test_heap.c: src/base/heap.c against brute-force references. */
#include <stdlib.h>
#include <string.h>

#include "base/heap.h"
#include "base/mem.h"
#include "base/rand.h"
#include "unit/test.h"

/* A heap member with the reference copy of its key. */
typedef struct item {
    sb_heap_node node;
    sb_hkey key; /* reference: the key it was last given */
    uint32_t id;
    bool in;   /* reference: is it in the heap? */
    bool good; /* predicate answer for sb_heap_find tests */
} item;

#define ITEM(n) sb_container_of((n), item, node)

static bool key_eq(const sb_hkey *x, const sb_hkey *y) {
    return x->a == y->a && x->b == y->b && x->c == y->c;
}

static int key_cmp(const sb_hkey *x, const sb_hkey *y) {
    return sb_hkey_less(x, y) ? -1 : sb_hkey_less(y, x) ? 1 : 0;
}

static int item_cmp(const void *a, const void *b) {
    const item *x = *(item *const *)a, *y = *(item *const *)b;
    return key_cmp(&x->key, &y->key);
}

static uint32_t rnd(sb_rand *r, uint32_t n) {
    return (uint32_t)(sb_rand_next(r) % n);
}

/* A key with many ties in a and b.  unique: c ends with the id, so no two
 * members tie; otherwise c is small too and whole keys repeat.  The a and
 * b ranges straddle zero (signed order) and sometimes hit the extremes. */
static sb_hkey rnd_key(sb_rand *r, uint32_t id, bool unique) {
    sb_hkey k;
    uint32_t x = rnd(r, 16);
    k.a = x == 0 ? INT64_MIN : x == 1 ? INT64_MAX : (int64_t)rnd(r, 5) - 2;
    x = rnd(r, 16);
    k.b = x == 0 ? INT64_MIN : x == 1 ? INT64_MAX : (int64_t)rnd(r, 4) - 1;
    x = rnd(r, 16);
    if (unique)
        k.c = x == 0 ? UINT64_MAX - 1000 + id : ((uint64_t)rnd(r, 3) << 32) | id;
    else
        k.c = x == 0 ? UINT64_MAX : rnd(r, 3);
    return k;
}

/* Every slot knows its index and holds its member's key, every parent is
 * no greater than its children, members are exactly the reference set,
 * non-members are unlinked, sb_heap_key agrees. */
static void check_heap(const sb_heap *h, const item *items, uint32_t n) {
    uint32_t members = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (items[i].in) {
            members++;
            assert_true(sb_heap_node_linked(&items[i].node));
            assert_true(items[i].node.index < h->len);
            assert_ptr_equal(h->items[items[i].node.index].node, &items[i].node);
            assert_true(key_eq(sb_heap_key(h, &items[i].node), &items[i].key));
        } else {
            assert_false(sb_heap_node_linked(&items[i].node));
        }
    }
    assert_int_equal(sb_heap_len(h), members);
    for (uint32_t i = 0; i < h->len; i++) {
        assert_int_equal(h->items[i].node->index, i);
        assert_true(key_eq(&h->items[i].key, &ITEM(h->items[i].node)->key));
        if (i > 0) assert_false(sb_hkey_less(&h->items[i].key, &h->items[(i - 1) / 2].key));
    }
    if (h->len) {
        assert_ptr_equal(sb_heap_top(h), h->items[0].node);
        /* The cached copy of the least key is exactly the top item's. */
        assert_true(key_eq(sb_heap_top_key(h), &h->items[0].key));
    }
}

/* The least member, by brute force (the first of equals by index). */
static item *ref_min(item *items, uint32_t n) {
    item *best = NULL;
    for (uint32_t i = 0; i < n; i++)
        if (items[i].in && (best == NULL || sb_hkey_less(&items[i].key, &best->key)))
            best = &items[i];
    return best;
}

/* The top is a least member: its key is the brute-force least key, and
 * when keys are unique it is that very member. */
static void check_top(const sb_heap *h, item *items, uint32_t n, bool unique) {
    item *want = ref_min(items, n);
    sb_heap_node *top = sb_heap_top(h);
    if (want == NULL) {
        assert_null(top);
        assert_int_equal(sb_heap_len(h), 0);
        return;
    }
    assert_non_null(top);
    assert_true(ITEM(top)->in);
    assert_true(key_eq(&ITEM(top)->key, &want->key));
    assert_true(key_eq(sb_heap_top_key(h), &want->key));
    assert_true(key_eq(sb_heap_key(h, top), &want->key));
    if (unique) assert_ptr_equal(top, &want->node);
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
        items[i].key = (sb_hkey){0, 0, i};
        items[i].id = i;
        items[i].in = false;
        items[i].good = false;
    }
}

/* An empty heap and n items outside it. */
static void fresh(sb_heap *h, item *items, uint32_t n) {
    init_items(items, n);
    sb_heap_init(h);
}

static void push(sb_heap *h, item *it, sb_hkey k) {
    it->key = k;
    it->in = true;
    sb_heap_push(h, &it->node, k);
}

static void test_heap_empty(void **state) {
    (void)state;
    sb_heap h;
    sb_heap_init(&h);
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    assert_null(sb_heap_pop(&h));
    assert_null(sb_heap_pop(&h));
    sb_heap_free(&h);
    sb_heap_free(&h); /* freeing twice is harmless: free resets the heap */
    assert_int_equal(sb_heap_len(&h), 0);

    /* empty again after draining, and reusable */
    item it[3];
    init_items(it, 3);
    push(&h, &it[0], (sb_hkey){5, 0, 0});
    push(&h, &it[1], (sb_hkey){1, 0, 0});
    push(&h, &it[2], (sb_hkey){3, 0, 0});
    assert_int_equal(sb_heap_top_key(&h)->a, 1);
    assert_ptr_equal(sb_heap_pop(&h), &it[1].node);
    assert_int_equal(sb_heap_top_key(&h)->a, 3);
    assert_ptr_equal(sb_heap_pop(&h), &it[2].node);
    assert_int_equal(sb_heap_top_key(&h)->a, 5);
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
    sb_heap_init(&h);
    item a;
    init_items(&a, 1);
    assert_false(sb_heap_node_linked(&a.node));
    sb_hkey k = {-7, 3, 9};
    sb_heap_push(&h, &a.node, k);
    assert_true(sb_heap_node_linked(&a.node));
    assert_int_equal(a.node.index, 0);
    assert_int_equal(sb_heap_len(&h), 1);
    assert_ptr_equal(sb_heap_top(&h), &a.node);
    assert_true(key_eq(sb_heap_top_key(&h), &k));
    assert_true(key_eq(sb_heap_key(&h, &a.node), &k));
    /* re-keying the only member, either way */
    k = (sb_hkey){INT64_MAX, INT64_MAX, UINT64_MAX};
    sb_heap_update(&h, &a.node, k);
    assert_int_equal(a.node.index, 0);
    assert_true(key_eq(sb_heap_top_key(&h), &k));
    k = (sb_hkey){INT64_MIN, INT64_MIN, 0};
    sb_heap_update(&h, &a.node, k);
    assert_true(key_eq(sb_heap_key(&h, &a.node), &k));
    /* removing the only (and last-slot) member */
    sb_heap_remove(&h, &a.node);
    assert_false(sb_heap_node_linked(&a.node));
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    /* a removed node can go back in, with another key */
    k = (sb_hkey){1, 2, 3};
    sb_heap_push(&h, &a.node, k);
    assert_true(key_eq(sb_heap_top_key(&h), &k));
    assert_ptr_equal(sb_heap_pop(&h), &a.node);
    assert_false(sb_heap_node_linked(&a.node));
    assert_null(sb_heap_top(&h));
    sb_heap_free(&h);
}

/* sb_heap_free unlinks the members it still holds. */
static void test_heap_free_unlinks(void **state) {
    (void)state;
    enum { N = 100 };
    static item items[N];
    sb_heap h;
    fresh(&h, items, N);
    for (uint32_t i = 0; i < N; i++)
        push(&h, &items[i], (sb_hkey){(i * 37) % N, 0, 0});
    for (uint32_t i = 0; i < N / 2; i++)
        ITEM(sb_heap_pop(&h))->in = false;
    check_heap(&h, items, N);
    sb_heap_free(&h);
    assert_int_equal(sb_heap_len(&h), 0);
    assert_null(sb_heap_top(&h));
    assert_null(h.items);
    for (uint32_t i = 0; i < N; i++)
        assert_false(sb_heap_node_linked(&items[i].node));
    /* and the heap works again after free */
    for (uint32_t i = 0; i < N; i++)
        push(&h, &items[i], (sb_hkey){(i * 37) % N, 0, 0});
    for (uint32_t i = 0; i < N; i++) {
        assert_int_equal(sb_heap_top_key(&h)->a, i);
        sb_heap_node *n = sb_heap_pop(&h);
        assert_non_null(n);
        assert_int_equal(ITEM(n)->key.a, i); /* keys are a permutation of 0..N-1 */
    }
    sb_heap_free(&h);
}

/* Equal a: b decides; equal a and b: c decides; comparisons are signed in
 * a and b and unsigned in c. */
static void test_heap_ties(void **state) {
    (void)state;
    enum { N = 64 };
    static item items[N];
    sb_heap h;
    fresh(&h, items, N);
    /* the expected order is id order: id = 16*a' + 4*b' + c' */
    static const int64_t as[4] = {INT64_MIN, -1, 0, INT64_MAX};
    static const int64_t bs[4] = {INT64_MIN, -5, 5, INT64_MAX};
    static const uint64_t cs[4] = {0, 1, (uint64_t)1 << 63, UINT64_MAX};
    for (uint32_t i = 0; i < N; i++) {
        uint32_t j = (i * 29 + 11) % N; /* a scrambled push order */
        push(&h, &items[j], (sb_hkey){as[j / 16], bs[j / 4 % 4], cs[j % 4]});
    }
    check_heap(&h, items, N);
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
    for (uint64_t seed = 1; seed <= 4; seed++) {
        sb_rand_seed(&r, seed);
        sb_heap h;
        fresh(&h, items, N);
        bool unique = seed % 2 == 1; /* even seeds: whole keys repeat */
        uint32_t members = 0;
        uint32_t pops = 0, removes = 0, updates = 0;
        for (int op = 0; op < OPS; op++) {
            uint32_t what = rnd(&r, 10);
            /* bias: grow to a few hundred, then hover */
            if (members == 0 || (what < 4 && members < N)) {
                item *it = pick_outsider(&r, items, N, members);
                push(&h, it, rnd_key(&r, it->id, unique));
                members++;
            } else if (what < 6) {
                item *want = ref_min(items, N);
                sb_hkey top = *sb_heap_top_key(&h);
                assert_true(key_eq(&top, &want->key));
                sb_heap_node *got = sb_heap_pop(&h);
                assert_non_null(got);
                assert_true(ITEM(got)->in);
                assert_true(key_eq(&ITEM(got)->key, &top));
                if (unique) assert_ptr_equal(got, &want->node);
                assert_false(sb_heap_node_linked(got));
                ITEM(got)->in = false;
                members--;
                pops++;
            } else if (what < 8) {
                item *it = pick_member(&r, items, N, members);
                sb_heap_remove(&h, &it->node);
                assert_false(sb_heap_node_linked(&it->node));
                it->in = false;
                members--;
                removes++;
            } else {
                item *it = pick_member(&r, items, N, members);
                /* move the key either way, sometimes to an extreme or to
                 * an equal key */
                uint32_t how = rnd(&r, 5);
                sb_hkey k = rnd_key(&r, it->id, unique);
                if (how == 0) k.a = INT64_MIN;
                if (how == 1) k.a = INT64_MAX, k.b = INT64_MAX;
                if (how == 2) k = it->key;
                it->key = k;
                sb_heap_update(&h, &it->node, k);
                assert_true(key_eq(sb_heap_key(&h, &it->node), &k));
                updates++;
            }
            check_top(&h, items, N, unique);
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
            assert_non_null(n);
            assert_true(key_eq(&ITEM(n)->key, &sorted[i]->key));
            if (unique) assert_ptr_equal(n, &sorted[i]->node);
            assert_false(sb_heap_node_linked(n));
            ITEM(n)->in = false;
        }
        assert_null(sb_heap_pop(&h));
        check_heap(&h, items, N);
        sb_heap_free(&h);
    }
}

/* Push all n items with random keys; order[] gets their indices in a
 * random order (for removals). */
static void push_all_shuffled(sb_heap *h, item *items, uint32_t *order, uint32_t n, sb_rand *r) {
    for (uint32_t i = 0; i < n; i++) {
        push(h, &items[i], rnd_key(r, i, false));
        order[i] = i;
    }
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = rnd(r, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
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
    sb_heap h;
    fresh(&h, items, N);
    push_all_shuffled(&h, items, order, N, &r);
    check_heap(&h, items, N);
    for (uint32_t i = 0; i < N; i++) {
        sb_heap_remove(&h, &items[order[i]].node);
        items[order[i]].in = false;
        check_heap(&h, items, N);
        check_top(&h, items, N, false);
    }
    assert_int_equal(sb_heap_len(&h), 0);
    sb_heap_free(&h);
}

/* After a surge the array is given back as members leave (halved at a
 * quarter in use, down to 64), the heap staying a heap throughout, and
 * it grows again. */
static void test_heap_shrinks(void **state) {
    (void)state;
    enum { N = 5000 };
    static item items[N];
    uint32_t order[N];
    sb_rand r;
    sb_rand_seed(&r, 7);
    sb_heap h;
    size_t m0 = sb_mem_used();
    fresh(&h, items, N);
    for (int round = 0; round < 2; round++) {
        push_all_shuffled(&h, items, order, N, &r);
        assert_int_equal(h.cap, 8192);
        for (uint32_t i = 0; i < N; i++) {
            sb_heap_remove(&h, &items[order[i]].node);
            items[order[i]].in = false;
            uint32_t len = sb_heap_len(&h);
            assert_true(h.cap >= len);
            assert_true(h.cap == 64 || len > h.cap / 4);
            if (i % 97 == 0 || len < 70) {
                check_heap(&h, items, N);
                check_top(&h, items, N, false);
            }
        }
        assert_int_equal(h.cap, 64);
    }
    sb_heap_free(&h);
    assert_int_equal(sb_mem_used(), m0);
}

/* sb_heap_update after raising and lowering every key. */
static void test_heap_update_each(void **state) {
    (void)state;
    enum { N = 200 };
    static item items[N];
    sb_rand r;
    sb_rand_seed(&r, 5);
    sb_heap h;
    fresh(&h, items, N);
    for (uint32_t i = 0; i < N; i++)
        push(&h, &items[i], (sb_hkey){1000 + rnd(&r, 1000), rnd(&r, 3), i});
    for (uint32_t i = 0; i < N; i++) {
        sb_hkey k = items[i].key;
        if (i % 4 == 0)
            k.a += 5000; /* up in a */
        else if (i % 4 == 1)
            k.a /= 10; /* down in a */
        else if (i % 4 == 2)
            k.b = -1 - (int64_t)i; /* down in b only */
        else
            k.c += (uint64_t)N << 32; /* up in c only */
        items[i].key = k;
        sb_heap_update(&h, &items[i].node, k);
        check_heap(&h, items, N);
        check_top(&h, items, N, true);
    }
    /* update with an unchanged key is a no-op for ordering */
    sb_heap_node *top = sb_heap_top(&h);
    sb_hkey tk = *sb_heap_top_key(&h);
    sb_heap_update(&h, top, tk);
    assert_ptr_equal(sb_heap_top(&h), top);
    check_heap(&h, items, N);
    sb_heap_free(&h);
}

/* Members copied to another array (as a realloc does) and announced with
 * sb_heap_moved are found at their new addresses; order and keys stay. */
static void test_heap_moved(void **state) {
    (void)state;
    enum { N = 150 };
    static item a[N], b[N];
    sb_rand r;
    sb_rand_seed(&r, 11);
    sb_heap h;
    fresh(&h, a, N);
    for (uint32_t i = 0; i < N; i++)
        if (i % 3) push(&h, &a[i], rnd_key(&r, i, true));
    check_heap(&h, a, N);
    memcpy(b, a, sizeof(a));
    memset(a, 0xa5, sizeof(a)); /* the old copies are garbage now */
    for (uint32_t i = 0; i < N; i++)
        if (b[i].in) sb_heap_moved(&h, &b[i].node);
    check_heap(&h, b, N);
    check_top(&h, b, N, true);
    /* and it keeps working from there */
    for (uint32_t i = 0; i < N; i += 3)
        push(&h, &b[i], rnd_key(&r, i, true));
    for (uint32_t i = 0; i < N; i++) {
        item *want = ref_min(b, N);
        assert_ptr_equal(sb_heap_pop(&h), &want->node);
        want->in = false;
    }
    assert_null(sb_heap_pop(&h));
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
    static sb_heap_item snapshot[N];
    sb_rand r;
    sb_rand_seed(&r, 2024);
    sb_heap_scratch scratch = {0}; /* reused across every call */
    uint32_t found = 0, missed = 0;
    for (int round = 0; round < ROUNDS; round++) {
        sb_heap h;
        fresh(&h, items, N);
        uint32_t n = rnd(&r, N + 1);
        uint32_t mode = rnd(&r, 3); /* 0: all keys tie; 1: many ties; 2: unique */
        for (uint32_t i = 0; i < n; i++)
            push(&h, &items[i], mode == 0 ? (sb_hkey){4, -4, 4} : rnd_key(&r, i, mode == 2));
        /* churn so the layout is not just push order */
        for (uint32_t i = 0; i < n / 3; i++) {
            item *it = &items[rnd(&r, n)];
            it->key = mode == 0 ? it->key : rnd_key(&r, it->id, mode == 2);
            sb_heap_update(&h, &it->node, it->key);
        }
        check_heap(&h, items, N);
        if (n) memcpy(snapshot, h.items, n * sizeof(*snapshot));
        for (int q = 0; q < 8; q++) {
            /* acceptance probability from 0 to 1, including exactly 0 and 1 */
            uint32_t permille = q == 0 ? 0 : q == 1 ? 1000 : rnd(&r, 1001);
            if (q == 2) permille = 3; /* sparse: the walk goes deep */
            for (uint32_t i = 0; i < n; i++)
                items[i].good = rnd(&r, 1000) < permille;
            item *want = NULL;
            for (uint32_t i = 0; i < n; i++)
                if (items[i].good && (want == NULL || sb_hkey_less(&items[i].key, &want->key)))
                    want = &items[i];
            pred_ctx ctx = {0};
            sb_heap_node *got = sb_heap_find(&h, item_good, &ctx, &scratch);
            if (want) {
                assert_non_null(got);
                assert_true(ITEM(got)->good);
                assert_true(key_eq(&ITEM(got)->key, &want->key));
                assert_true(key_eq(sb_heap_key(&h, got), &want->key));
                if (mode == 2) assert_ptr_equal(got, &want->node);
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
                assert_int_equal(h.items[i].node->index, i);
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
    sb_heap h;
    fresh(&h, items, N);
    for (uint32_t i = 0; i < N; i++) {
        items[i].good = true;
        push(&h, &items[i], (sb_hkey){0, N - i, 0});
    }
    sb_heap_scratch scratch = {0};
    pred_ctx ctx = {0};
    assert_ptr_equal(sb_heap_find(&h, item_good, &ctx, &scratch), &items[N - 1].node);
    assert_int_equal(ctx.calls, 1);
    assert_null(scratch.idx); /* no scratch needed */
    /* only the very largest qualifies: the answer is found at the bottom */
    for (uint32_t i = 0; i < N; i++)
        items[i].good = i == 0;
    ctx.calls = 0;
    assert_ptr_equal(sb_heap_find(&h, item_good, &ctx, &scratch), &items[0].node);
    assert_true(ctx.calls <= N);
    /* a single member that fails */
    sb_heap h1;
    sb_heap_init(&h1);
    item one;
    init_items(&one, 1);
    push(&h1, &one, (sb_hkey){0, 0, 0});
    ctx.calls = 0;
    assert_null(sb_heap_find(&h1, item_good, &ctx, &scratch));
    assert_int_equal(ctx.calls, 1);
    one.good = true;
    assert_ptr_equal(sb_heap_find(&h1, item_good, &ctx, &scratch), &one.node);
    sb_heap_free(&h1);
    sb_heap_scratch_free(&scratch);
    sb_heap_free(&h);
}

static void test_heap_find_empty(void **state) {
    (void)state;
    sb_heap h;
    sb_heap_init(&h);
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
              cmocka_unit_test(test_heap_shrinks), cmocka_unit_test(test_heap_update_each),
              cmocka_unit_test(test_heap_moved), cmocka_unit_test(test_heap_find_random),
              cmocka_unit_test(test_heap_find_top_is_cheap), cmocka_unit_test(test_heap_find_empty))
