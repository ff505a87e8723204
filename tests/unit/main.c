/* The unit-test runner: every group of test-list.h, or those named. */
#include <stdio.h>
#include <string.h>

#include "unit/test.h"

#define SB__DECL(name) int sb_test_group_##name(int *total);
#include "unit/test-list.h"
#undef SB__DECL

static const struct {
    const char *name;
    int (*run)(int *total);
} groups[] = {
#define SB__DECL(name) {#name, sb_test_group_##name},
#include "unit/test-list.h"
#undef SB__DECL
};

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], groups[i].name) == 0;
        if (!wanted) continue;
        int total = 0, f = groups[i].run(&total);
        failed += f;
        passed += total - f;
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
