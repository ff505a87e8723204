/* test_multimap.c: src/base/multimap.c against a brute-force reference. */
#include <string.h>

#include "base/mem.h"
#include "base/multimap.h"
#include "base/rand.h"
#include "unit/test.h"

static char vals[64];
#define VAL(i) ((void *)&vals[(i)])

/* The reference: count[key][val] occurrences. */
static int ref[16][64];

static void check(const sb_multimap *mm) {
    uint32_t keys = 0;
    for (int k = 1; k < 16; k++) {
        uint32_t n;
        void *const *v = sb_multimap_get(mm, (uint64_t)k, &n);
        int want[64] = {0}, total = 0;
        for (int i = 0; i < 64; i++) total += ref[k][i];
        assert_int_equal(n, total);
        assert_true((v == NULL) == (n == 0));
        for (uint32_t i = 0; i < n; i++) want[(char *)v[i] - vals]++;
        assert_memory_equal(want, ref[k], sizeof(want));
        keys += n > 0;
    }
    assert_int_equal(sb_multimap_keys(mm), keys);
}

static void test_multimap_model(void **state) {
    (void)state;
    size_t before = sb_mem_used();
    sb_multimap mm;
    sb_multimap_init(&mm);
    memset(ref, 0, sizeof(ref));
    sb_rand r;
    sb_rand_seed(&r, 3);
    for (int step = 0; step < 20000; step++) {
        int k = 1 + (int)(sb_rand_next(&r) % 15), v = (int)(sb_rand_next(&r) % 64);
        if (sb_rand_next(&r) % 3) { /* add more often than remove: lists grow past their first size */
            sb_multimap_add(&mm, (uint64_t)k, VAL(v));
            ref[k][v]++;
        } else {
            sb_multimap_del(&mm, (uint64_t)k, VAL(v)); /* absent: nothing */
            if (ref[k][v]) ref[k][v]--;
        }
        if (step % 97 == 0) check(&mm);
    }
    check(&mm);
    /* empty every list: the keys go, and so does their memory */
    for (int k = 1; k < 16; k++)
        for (int v = 0; v < 64; v++)
            while (ref[k][v]) {
                sb_multimap_del(&mm, (uint64_t)k, VAL(v));
                ref[k][v]--;
            }
    check(&mm);
    assert_int_equal(sb_multimap_keys(&mm), 0);
    sb_multimap_add(&mm, 9, VAL(1)); /* freed with the map */
    sb_multimap_free(&mm);
    assert_int_equal(sb_mem_used(), before);
}

SB_TEST_GROUP(multimap, cmocka_unit_test(test_multimap_model))
