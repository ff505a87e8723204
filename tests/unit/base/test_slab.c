/* test_slab.c: src/base/slab.c: objects carved from 2 MiB blocks, named
 * by index, given back and taken again zeroed. */
#include <stdint.h>
#include <string.h>

#include "base/mem.h"
#include "base/slab.h"
#include "unit/test.h"

#ifdef SB_ASAN
#include <sanitizer/asan_interface.h>
#endif

static void test_slab_carve_and_index(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    sb_slab s;
    sb_slab_init(&s, 256);
    assert_int_equal(1u << s.shift, SB_HUGE_PAGE / 256); /* 8192 per block */
    assert_null(sb_slab_at(&s, 0));
    enum { N = 8192 + 100 };
    static unsigned char *seen[N];
    for (uint32_t i = 0; i < N; i++) {
        uint32_t idx = UINT32_MAX;
        unsigned char *p = sb_slab_carve(&s, &idx);
        assert_int_equal(idx, i);
        assert_int_equal((uintptr_t)p % 64, 0);
        for (int k = 0; k < 256; k += 37)
            assert_int_equal(p[k], 0);
        memset(p, (int)(i & 0xff), 256);
        assert_ptr_equal(sb_slab_at(&s, i), p);
        seen[i] = p;
    }
    assert_int_equal(sb_slab_count(&s), N);
    assert_int_equal(s.nblocks, 2);
    assert_null(sb_slab_at(&s, N));
    assert_null(sb_slab_at(&s, UINT32_MAX));
    /* Nothing overlaps: every object still holds what was written. */
    for (uint32_t i = 0; i < N; i += 97) {
        assert_int_equal(seen[i][0], i & 0xff);
        assert_int_equal(seen[i][255], i & 0xff);
    }
    assert_int_equal(sb_mem_used() - base >= 2 * SB_HUGE_PAGE, 1);
    sb_slab_free(&s);
    assert_int_equal(sb_mem_used(), base);
    assert_int_equal(sb_slab_count(&s), 0);
}

/* Objects given back come out again zeroed, last first; then new ones.
 * Under AddressSanitizer, poisoned while given back. */
static void test_slab_take_put(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    sb_slab s;
    sb_slab_init(&s, 7872); /* an odd size: 256 per block */
    assert_int_equal(1u << s.shift, 256);
    char *a = sb_slab_take(&s), *b = sb_slab_take(&s);
    assert_ptr_not_equal(a, b);
    memset(a, 1, 7872);
    memset(b, 2, 7872);
    sb_slab_put(&s, a);
    sb_slab_put(&s, b);
#ifdef SB_ASAN /* given back: poisoned whole, so a use after it is reported */
    assert_ptr_equal(__asan_region_is_poisoned(a, 7872), a);
    assert_true(__asan_address_is_poisoned(b + 7871));
#endif
    char *c = sb_slab_take(&s), *d = sb_slab_take(&s), *e = sb_slab_take(&s);
    assert_ptr_equal(c, b);
    assert_ptr_equal(d, a);
#ifdef SB_ASAN /* taken again: usable whole */
    assert_null(__asan_region_is_poisoned(c, 7872));
    assert_null(__asan_region_is_poisoned(d, 7872));
#endif
    for (int k = 0; k < 7872; k += 101)
        assert_int_equal(c[k] | d[k] | e[k], 0);
    assert_int_equal(sb_slab_count(&s), 3);
    sb_slab_free(&s);
    assert_int_equal(sb_mem_used(), base);
}

SB_TEST_GROUP(slab, cmocka_unit_test(test_slab_carve_and_index),
              cmocka_unit_test(test_slab_take_put))
