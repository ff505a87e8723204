/* test_map.c: src/base/map.c against a brute-force reference, and the
 * seeded PRNG of src/base/rand.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/map.h"
#include "base/rand.h"
#include "unit/test.h"

/* ---- map -------------------------------------------------------------- */

/* Distinct values to store: their addresses. */
static char tokens[4096];
#define TOKEN(i) ((void *)&tokens[(i) % sizeof(tokens)])

static uint32_t rnd(sb_rand *r, uint32_t n) {
    return (uint32_t)(sb_rand_next(r) % n);
}

/* Linear-probing invariant: every stored key is reachable from its home
 * slot without crossing an empty slot; no key twice; len is the count;
 * capacity a power of two and load <= 0.75. */
static void check_layout(const sb_map *m) {
    if (m->slots == NULL) {
        assert_int_equal(m->len, 0);
        return;
    }
    uint32_t cap = m->mask + 1, used = 0;
    assert_int_equal(cap & m->mask, 0);
    assert_true((uint64_t)m->len * 4 <= (uint64_t)cap * 3);
    for (uint32_t p = 0; p < cap; p++) {
        uint64_t k = m->slots[p].key;
        if (k == 0) continue;
        used++;
        for (uint32_t i = (uint32_t)sb_hash64(k) & m->mask; i != p; i = (i + 1) & m->mask) {
            assert_int_not_equal(m->slots[i].key, 0);
            /* a twin of k would sit on this path (or k on the twin's) */
            assert_true(m->slots[i].key != k);
        }
    }
    assert_int_equal(used, m->len);
}

/* The map holds exactly the reference (keys[i] -> vals[i], NULL = absent). */
static void check_against(const sb_map *m, const uint64_t *keys, void *const *vals, uint32_t n) {
    uint32_t present = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_ptr_equal(sb_map_get(m, keys[i]), vals[i]);
        present += vals[i] != NULL;
    }
    assert_int_equal(sb_map_len(m), present);
}

/* Keys whose hash agrees with `low` in the low 12 bits: they share a home
 * slot at every capacity up to 4096. */
static uint32_t colliding_keys(uint64_t *out, uint32_t want, uint64_t low, uint64_t start) {
    uint32_t n = 0;
    for (uint64_t k = start; n < want; k++)
        if ((sb_hash64(k) & 0xfff) == low) out[n++] = k;
    return n;
}

static void test_map_empty(void **state) {
    (void)state;
    sb_map m;
    sb_map_init(&m);
    assert_int_equal(sb_map_len(&m), 0);
    assert_null(sb_map_get(&m, 1));
    assert_null(sb_map_get(&m, UINT64_MAX));
    assert_null(sb_map_del(&m, 1));
    uint32_t it = 0;
    uint64_t k = 0;
    void *v = NULL;
    assert_int_equal(sb_map_next(&m, &it, &k, &v), 0);
    sb_map_free(&m);
    sb_map_free(&m);
    /* emptied by deletes: still nothing to iterate */
    sb_map_put(&m, 42, TOKEN(1));
    assert_ptr_equal(sb_map_del(&m, 42), TOKEN(1));
    assert_int_equal(sb_map_len(&m), 0);
    assert_null(sb_map_get(&m, 42));
    it = 0;
    assert_int_equal(sb_map_next(&m, &it, &k, &v), 0);
    sb_map_free(&m);
    assert_null(m.slots);
    assert_int_equal(sb_map_len(&m), 0);
}

static void test_map_replace(void **state) {
    (void)state;
    sb_map m;
    sb_map_init(&m);
    sb_map_put(&m, 7, TOKEN(1));
    sb_map_put(&m, 8, TOKEN(2));
    sb_map_put(&m, 7, TOKEN(3)); /* replace */
    assert_int_equal(sb_map_len(&m), 2);
    assert_ptr_equal(sb_map_get(&m, 7), TOKEN(3));
    assert_ptr_equal(sb_map_get(&m, 8), TOKEN(2));
    sb_map_put(&m, 7, NULL); /* a NULL value is stored, and counted */
    assert_int_equal(sb_map_len(&m), 2);
    assert_null(sb_map_get(&m, 7));
    sb_map_put(&m, 7, TOKEN(4));
    assert_int_equal(sb_map_len(&m), 2);
    /* del returns the latest value, then the key is gone */
    assert_ptr_equal(sb_map_del(&m, 7), TOKEN(4));
    assert_null(sb_map_del(&m, 7));
    assert_null(sb_map_get(&m, 7));
    assert_int_equal(sb_map_len(&m), 1);
    assert_ptr_equal(sb_map_get(&m, 8), TOKEN(2));

    /* replacing many times does not grow the count (nor break the layout) */
    for (uint32_t i = 0; i < 1000; i++)
        sb_map_put(&m, 8, TOKEN(i));
    assert_int_equal(sb_map_len(&m), 1);
    assert_ptr_equal(sb_map_get(&m, 8), TOKEN(999));
    check_layout(&m);
    sb_map_free(&m);
}

/* Key 0 is reserved for empty slots: it is never found, and deleting it
 * does not disturb the map. */
static void test_map_key_zero_absent(void **state) {
    (void)state;
    sb_map m;
    sb_map_init(&m);
    assert_null(sb_map_get(&m, 0));
    assert_null(sb_map_del(&m, 0));
    for (uint64_t k = 1; k <= 5; k++)
        sb_map_put(&m, k, TOKEN(k));
    assert_null(sb_map_get(&m, 0));
    assert_null(sb_map_del(&m, 0));
    assert_int_equal(sb_map_len(&m), 5);
    for (uint64_t k = 1; k <= 5; k++)
        assert_ptr_equal(sb_map_get(&m, k), TOKEN(k));
    check_layout(&m);
    sb_map_free(&m);
}

/* Iteration visits every key exactly once with its value. */
static void test_map_iterate(void **state) {
    (void)state;
    enum { N = 3000 };
    static uint64_t keys[N];
    static uint8_t seen[N];
    sb_rand r;
    sb_rand_seed(&r, 11);
    sb_map m;
    sb_map_init(&m);
    for (uint32_t i = 0; i < N; i++) {
        do
            keys[i] = sb_rand_next(&r);
        while (keys[i] == 0);
        sb_map_put(&m, keys[i], TOKEN(i));
    }
    /* drop every third key so iteration also walks holes left by deletes */
    uint32_t live = N;
    for (uint32_t i = 0; i < N; i += 3) {
        assert_ptr_equal(sb_map_del(&m, keys[i]), TOKEN(i));
        live--;
    }
    assert_int_equal(sb_map_len(&m), live);

    memset(seen, 0, sizeof(seen));
    uint32_t visits = 0, it = 0;
    uint64_t k;
    void *v;
    while (sb_map_next(&m, &it, &k, &v)) {
        visits++;
        /* the value identifies the key's index */
        size_t i = (size_t)((char *)v - tokens);
        assert_true(i < N);
        assert_true(keys[i] == k);
        assert_true(i % 3 != 0);
        assert_int_equal(seen[i], 0);
        seen[i] = 1;
    }
    assert_int_equal(visits, live);
    /* exhausted stays exhausted */
    assert_int_equal(sb_map_next(&m, &it, &k, &v), 0);

    /* NULL out-parameters are allowed */
    it = 0;
    visits = 0;
    while (sb_map_next(&m, &it, NULL, NULL))
        visits++;
    assert_int_equal(visits, live);
    sb_map_free(&m);
}

/* sb_map_free_all hands every value, and only the values, to free_val
 * once, holes left by deletes included. */
static uint8_t freed[64];
static void count_free(void *v) {
    freed[(char *)v - tokens]++;
}

static void test_map_free_all(void **state) {
    (void)state;
    sb_map m;
    sb_map_init(&m);
    sb_map_free_all(&m, count_free); /* empty: nothing to free */
    for (uint32_t i = 1; i < 40; i++)
        sb_map_put(&m, i * 977, TOKEN(i));
    for (uint32_t i = 1; i < 40; i += 4)
        sb_map_del(&m, i * 977);
    memset(freed, 0, sizeof(freed));
    sb_map_free_all(&m, count_free);
    for (uint32_t i = 0; i < 64; i++)
        assert_int_equal(freed[i], i >= 1 && i < 40 && (i - 1) % 4 != 0);
    assert_null(m.slots);
    assert_int_equal(sb_map_len(&m), 0);
}

/* Random put/get/del against a reference, over a key set that mixes random
 * keys with clusters that share a home slot (including the last slot, so
 * clusters wrap around the end of the table and run into one another). */
static void test_map_random_ops(void **state) {
    (void)state;
    enum { RANDOM = 1200, CLUSTER = 40, U = RANDOM + 3 * CLUSTER, OPS = 60000 };
    static uint64_t keys[U];
    static void *vals[U];
    sb_rand r;
    sb_rand_seed(&r, 77);
    for (uint32_t i = 0; i < RANDOM; i++) {
        do
            keys[i] = sb_rand_next(&r);
        while (keys[i] == 0);
    }
    keys[0] = UINT64_MAX;
    keys[1] = 1;
    colliding_keys(keys + RANDOM, CLUSTER, 0xfff, 1);
    colliding_keys(keys + RANDOM + CLUSTER, CLUSTER, 0x000, 1);
    colliding_keys(keys + RANDOM + 2 * CLUSTER, CLUSTER, 0x001, 1);

    sb_map m;
    sb_map_init(&m);
    memset(vals, 0, sizeof(vals));
    uint32_t dels_hit = 0;
    for (int op = 0; op < OPS; op++) {
        /* phases: grow, shrink hard (lots of backward shifts), mixed */
        int phase = (op / 10000) % 3;
        uint32_t put_pct = phase == 0 ? 70 : phase == 1 ? 20 : 45;
        /* half of the operations aim at the colliding clusters */
        uint32_t i = rnd(&r, 2) ? rnd(&r, U) : RANDOM + rnd(&r, 3 * CLUSTER);
        uint32_t roll = rnd(&r, 100);
        if (roll < put_pct) {
            void *v = TOKEN(op);
            sb_map_put(&m, keys[i], v);
            vals[i] = v;
        } else if (roll < 95) {
            void *got = sb_map_del(&m, keys[i]);
            assert_ptr_equal(got, vals[i]);
            dels_hit += got != NULL;
            vals[i] = NULL;
        } else {
            assert_ptr_equal(sb_map_get(&m, keys[i]), vals[i]);
        }
        if (op % 500 == 0) {
            check_against(&m, keys, vals, U);
            check_layout(&m);
        }
    }
    assert_true(dels_hit > 10000);
    check_against(&m, keys, vals, U);
    check_layout(&m);

    /* delete everything that is left, checking the survivors each time */
    for (uint32_t i = 0; i < U; i++) {
        if (vals[i] == NULL) continue;
        assert_ptr_equal(sb_map_del(&m, keys[i]), vals[i]);
        vals[i] = NULL;
        if (i % 50 == 0) check_against(&m, keys, vals, U);
    }
    assert_int_equal(sb_map_len(&m), 0);
    check_layout(&m);
    sb_map_free(&m);
}

/* A small table that is mostly one wrapped cluster: every delete shifts. */
static void test_map_cluster_churn(void **state) {
    (void)state;
    enum { C = 11, U = 3 * C }; /* 33 keys: the table grows to 64 slots, no more */
    static uint64_t keys[U];
    static void *vals[U];
    colliding_keys(keys, C, 0xfff, 1000);
    colliding_keys(keys + C, C, 0x000, 1000);
    colliding_keys(keys + 2 * C, C, 0xffe, 1000);
    memset(vals, 0, sizeof(vals));
    sb_rand r;
    sb_rand_seed(&r, 3);
    sb_map m;
    sb_map_init(&m);
    for (int op = 0; op < 20000; op++) {
        uint32_t i = rnd(&r, U);
        if (rnd(&r, 2)) {
            sb_map_put(&m, keys[i], TOKEN(op));
            vals[i] = TOKEN(op);
        } else {
            assert_ptr_equal(sb_map_del(&m, keys[i]), vals[i]);
            vals[i] = NULL;
        }
        check_layout(&m);
        if (op % 10 == 0) check_against(&m, keys, vals, U);
    }
    sb_map_free(&m);
}

/* Growth keeps every entry: insert in order, check all, delete half. */
static void test_map_growth(void **state) {
    (void)state;
    enum { N = 50000 };
    sb_map m;
    sb_map_init(&m);
    for (uint64_t k = 1; k <= N; k++) {
        sb_map_put(&m, k, TOKEN(k));
        assert_int_equal(sb_map_len(&m), k);
    }
    for (uint64_t k = 1; k <= N; k++)
        assert_ptr_equal(sb_map_get(&m, k), TOKEN(k));
    assert_null(sb_map_get(&m, N + 1));
    check_layout(&m);
    for (uint64_t k = 2; k <= N; k += 2)
        assert_ptr_equal(sb_map_del(&m, k), TOKEN(k));
    assert_int_equal(sb_map_len(&m), N / 2);
    for (uint64_t k = 1; k <= N; k++)
        assert_ptr_equal(sb_map_get(&m, k), k % 2 ? TOKEN(k) : NULL);
    check_layout(&m);
    sb_map_free(&m);
}

/* ---- rand ------------------------------------------------------------- */

static void test_rand_same_seed_same_sequence(void **state) {
    (void)state;
    sb_rand a, b;
    sb_rand_seed(&a, 12345);
    sb_rand_seed(&b, 12345);
    for (int i = 0; i < 10000; i++)
        assert_true(sb_rand_next(&a) == sb_rand_next(&b));
    /* reseeding restarts the sequence */
    sb_rand_seed(&a, 12345);
    uint64_t first = sb_rand_next(&a);
    sb_rand_seed(&b, 12345);
    assert_true(sb_rand_next(&b) == first);
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_rand_different_seeds_differ(void **state) {
    (void)state;
    /* neighbouring seeds, including 0, give unrelated sequences */
    enum { SEEDS = 1000 };
    static uint64_t first[SEEDS];
    for (uint64_t s = 0; s < SEEDS; s++) {
        sb_rand r;
        sb_rand_seed(&r, s);
        first[s] = sb_rand_next(&r);
    }
    qsort(first, SEEDS, sizeof(first[0]), u64_cmp);
    for (int i = 1; i < SEEDS; i++)
        assert_true(first[i - 1] != first[i]);

    sb_rand a, b;
    sb_rand_seed(&a, 1);
    sb_rand_seed(&b, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += sb_rand_next(&a) == sb_rand_next(&b);
    assert_int_equal(same, 0);
}

/* Known answers, so seeded runs reproduce across platforms and versions:
 * splitmix64 from 0 and xoshiro256** from state {1,2,3,4} (reference
 * values of the published algorithms). */
static void test_rand_known_answers(void **state) {
    (void)state;
    sb_rand r;
    sb_rand_seed(&r, 0);
    assert_true(r.s[0] == 0xe220a8397b1dcdafULL);
    assert_true(r.s[1] == 0x6e789e6aa1b965f4ULL);
    assert_true(r.s[2] == 0x06c45d188009454fULL);
    assert_true(r.s[3] == 0xf88bb8a8724c81ecULL);

    r.s[0] = 1, r.s[1] = 2, r.s[2] = 3, r.s[3] = 4;
    assert_true(sb_rand_next(&r) == 11520ULL);
    assert_true(sb_rand_next(&r) == 0ULL);
    assert_true(sb_rand_next(&r) == 1509978240ULL);
    assert_true(sb_rand_next(&r) == 1215971899390074240ULL);
}

static uint64_t inverse_odd(uint64_t a) { /* a * result == 1 mod 2^64 */
    uint64_t x = a;
    for (int i = 0; i < 6; i++)
        x *= 2 - a * x;
    return x;
}

static void test_rand_double_range(void **state) {
    (void)state;
    sb_rand r;
    sb_rand_seed(&r, 42);
    enum { N = 200000, B = 10 };
    uint32_t bucket[B] = {0};
    double sum = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double d = sb_rand_double(&r);
        assert_true(d >= 0.0);
        assert_true(d < 1.0);
        sum += d;
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        bucket[(int)(d * B)]++;
    }
    assert_true(fabs(sum / N - 0.5) < 0.01);
    assert_true(lo < 0.001 && hi > 0.999);
    for (int b = 0; b < B; b++)
        assert_true(bucket[b] > N / B * 9 / 10 && bucket[b] < N / B * 11 / 10);

    /* the extremes: a generator output of all ones must still be < 1
     * (a naive next / 2^64 rounds to 1.0), and 0 maps to 0. */
    uint64_t x = UINT64_MAX * inverse_odd(9); /* rotl(s1 * 5, 7) == x */
    x = (x >> 7) | (x << 57);                 /* s1 * 5 */
    r.s[0] = r.s[2] = r.s[3] = 0;
    r.s[1] = x * inverse_odd(5);
    sb_rand probe = r;
    assert_true(sb_rand_next(&probe) == UINT64_MAX);
    double top = sb_rand_double(&r);
    assert_true(top < 1.0);
    assert_true(top > 0.9999999);
    r.s[0] = r.s[1] = r.s[2] = r.s[3] = 0;
    assert_true(sb_rand_double(&r) == 0.0);
}

SB_TEST_GROUP(map, cmocka_unit_test(test_map_empty), cmocka_unit_test(test_map_replace),
              cmocka_unit_test(test_map_key_zero_absent), cmocka_unit_test(test_map_iterate),
              cmocka_unit_test(test_map_random_ops), cmocka_unit_test(test_map_cluster_churn),
              cmocka_unit_test(test_map_growth), cmocka_unit_test(test_map_free_all),
              cmocka_unit_test(test_rand_same_seed_same_sequence),
              cmocka_unit_test(test_rand_different_seeds_differ),
              cmocka_unit_test(test_rand_known_answers), cmocka_unit_test(test_rand_double_range))
