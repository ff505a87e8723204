/* test.h: the unit-test registry convention.
 *
 * Each test file mirrors one source file and ends with
 *
 *   SB_TEST_GROUP(expr, cmocka_unit_test(test_a), cmocka_unit_test(test_b))
 *
 * which defines sb_test_group_expr().  tests/unit/test-list.h names every
 * group once; tests/unit/main.c runs them all, or the ones named on its
 * command line (`build/unit expr heap`), and prints "N passed, N failed". */
#ifndef SB_TESTS_UNIT_TEST_H
#define SB_TESTS_UNIT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the includes above first */
#include <cmocka.h>

#define SB_TEST_GROUP(name, ...)                                              \
    int sb_test_group_##name(int *total);                                     \
    int sb_test_group_##name(int *total) {                                    \
        const struct CMUnitTest tests[] = {__VA_ARGS__};                      \
        *total = (int)(sizeof(tests) / sizeof(tests[0]));                     \
        return cmocka_run_group_tests_name(#name, tests, NULL, NULL);         \
    }

#endif
