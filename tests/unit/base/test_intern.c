/* test_intern.c: src/base/intern.c, plus the small facilities it sits on:
 * status names (status.c) and the allocator wrapper (mem.c). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/intern.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/status.h"
#include "unit/test.h"

/* ---- intern ----------------------------------------------------------- */

static void test_intern_same_and_different(void **state) {
    (void)state;
    sb_intern t;
    sb_intern_init(&t);
    sb_sym a = sb_intern_cstr(&t, "queue");
    sb_sym b = sb_intern_cstr(&t, "agent");
    sb_sym c = sb_intern_cstr(&t, "skill");
    assert_int_not_equal(a, 0);
    assert_int_not_equal(b, 0);
    assert_int_not_equal(c, 0);
    assert_int_not_equal(a, b);
    assert_int_not_equal(b, c);
    assert_int_not_equal(a, c);
    /* same string, from a different buffer, gives the same symbol */
    char buf[16];
    strcpy(buf, "agent");
    assert_int_equal(sb_intern_cstr(&t, buf), b);
    assert_int_equal(sb_intern_n(&t, buf, 5), b);
    assert_int_equal(sb_intern_cstr(&t, "queue"), a);
    /* symbols are small and dense: 1, 2, 3 */
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(c, 3);
    /* case matters */
    assert_int_not_equal(sb_intern_cstr(&t, "Queue"), a);
    sb_intern_free(&t);
}

static void test_intern_find(void **state) {
    (void)state;
    sb_intern t;
    sb_intern_init(&t);
    /* on a table that has never interned anything */
    assert_int_equal(sb_intern_find(&t, "x", 1), 0);
    assert_int_equal(sb_intern_find(&t, "", 0), 0);
    sb_sym x = sb_intern_cstr(&t, "x");
    assert_int_equal(sb_intern_find(&t, "x", 1), x);
    assert_int_equal(sb_intern_find(&t, "y", 1), 0);
    assert_int_equal(sb_intern_find(&t, "xx", 2), 0);
    /* find does not create: the next new string takes the next symbol */
    assert_int_equal(sb_intern_find(&t, "new", 3), 0);
    assert_int_equal(sb_intern_find(&t, "new", 3), 0);
    assert_int_equal(sb_intern_cstr(&t, "other"), x + 1);
    assert_int_equal(sb_intern_find(&t, "new", 3), 0);
    sb_intern_free(&t);
}

/* Strings that are prefixes of each other are all different symbols; the
 * length, not a terminator, delimits the string. */
static void test_intern_prefixes(void **state) {
    (void)state;
    sb_intern t;
    sb_intern_init(&t);
    const char *s = "abcdef";
    sb_sym syms[7];
    for (size_t k = 0; k <= 6; k++) {
        syms[k] = sb_intern_n(&t, s, k);
        assert_int_not_equal(syms[k], 0);
        for (size_t j = 0; j < k; j++)
            assert_int_not_equal(syms[j], syms[k]);
    }
    for (size_t k = 0; k <= 6; k++) {
        /* stored copies are exactly the prefix, NUL-terminated */
        assert_int_equal(strlen(sb_intern_str(&t, syms[k])), k);
        assert_memory_equal(sb_intern_str(&t, syms[k]), s, k);
        assert_int_equal(sb_intern_find(&t, s, k), syms[k]);
    }
    assert_int_equal(sb_intern_cstr(&t, "abc"), syms[3]);
    assert_int_equal(sb_intern_cstr(&t, ""), syms[0]);
    assert_string_equal(sb_intern_str(&t, syms[0]), "");
    /* a longer string sharing the prefix is new */
    assert_int_equal(sb_intern_find(&t, "abcdefg", 7), 0);
    /* embedded NUL bytes are part of the string */
    sb_sym n1 = sb_intern_n(&t, "a\0b", 3), n2 = sb_intern_n(&t, "a\0c", 3);
    assert_int_not_equal(n1, n2);
    assert_int_not_equal(n1, syms[1]); /* "a" */
    assert_int_equal(sb_intern_n(&t, "a\0b", 3), n1);
    assert_memory_equal(sb_intern_str(&t, n1), "a\0b", 4);
    sb_intern_free(&t);
}

/* Absent strings that are prefixes of every stored string: a lookup must
 * compare whole strings, whatever it meets on its probe path. */
static void test_intern_prefix_of_stored(void **state) {
    (void)state;
    static const char *const absent[] = {"", "i", "it", "ite", "item", "item-"};
    sb_intern t;
    sb_intern_init(&t);
    char buf[32];
    for (int i = 0; i < 3000; i++) {
        int len = snprintf(buf, sizeof(buf), "item-%d", i);
        sb_intern_n(&t, buf, (size_t)len);
        if (i % 50 == 0)
            for (size_t a = 0; a < sizeof(absent) / sizeof(absent[0]); a++)
                assert_int_equal(sb_intern_find(&t, absent[a], strlen(absent[a])), 0);
    }
    /* and interning them makes new symbols that read back exactly */
    for (size_t a = 0; a < sizeof(absent) / sizeof(absent[0]); a++) {
        sb_sym s = sb_intern_cstr(&t, absent[a]);
        assert_int_equal(s, 3001 + a);
        assert_string_equal(sb_intern_str(&t, s), absent[a]);
    }
    sb_intern_free(&t);
}

static void test_intern_str(void **state) {
    (void)state;
    sb_intern t;
    sb_intern_init(&t);
    /* symbol 0 and out-of-range symbols read as "" */
    assert_string_equal(sb_intern_str(&t, 0), "");
    assert_string_equal(sb_intern_str(&t, 1), "");
    char buf[32];
    strcpy(buf, "wrapup_code");
    sb_sym s = sb_intern_cstr(&t, buf);
    memset(buf, 'z', sizeof(buf) - 1); /* the table keeps its own copy */
    assert_string_equal(sb_intern_str(&t, s), "wrapup_code");
    assert_ptr_not_equal(sb_intern_str(&t, s), buf);
    assert_string_equal(sb_intern_str(&t, 0), "");
    assert_string_equal(sb_intern_str(&t, s + 1), "");
    assert_string_equal(sb_intern_str(&t, UINT32_MAX), "");
    /* interning the table's own string is the same symbol */
    assert_int_equal(sb_intern_cstr(&t, sb_intern_str(&t, s)), s);
    sb_intern_free(&t);
    /* after free the table is empty again and can be reused */
    assert_string_equal(sb_intern_str(&t, s), "");
    assert_int_equal(sb_intern_find(&t, "wrapup_code", 11), 0);
    assert_int_equal(sb_intern_cstr(&t, "again"), 1);
    assert_string_equal(sb_intern_str(&t, 1), "again");
    sb_intern_free(&t);
}

/* 10,000 strings: several rehashes of the table and regrowths of the name
 * arrays; symbols stay dense, stable and round-trip, and the strings do
 * not move. */
static void test_intern_growth(void **state) {
    (void)state;
    enum { N = 10000 };
    static const char *ptrs[N + 1];
    sb_intern t;
    sb_intern_init(&t);
    sb_rand r;
    sb_rand_seed(&r, 8);
    char buf[64];
    for (uint32_t i = 1; i <= N; i++) {
        int len = snprintf(buf, sizeof(buf), "name-%u", i * 7919u);
        sb_sym s = sb_intern_n(&t, buf, (size_t)len);
        assert_int_equal(s, i);
        ptrs[i] = sb_intern_str(&t, s);
        assert_string_equal(ptrs[i], buf);
        /* an earlier string, looked up while the table grows */
        uint32_t j = 1 + (uint32_t)(sb_rand_next(&r) % i);
        len = snprintf(buf, sizeof(buf), "name-%u", j * 7919u);
        assert_int_equal(sb_intern_find(&t, buf, (size_t)len), j);
    }
    assert_int_equal(t.count - 1, N);
    for (uint32_t i = 1; i <= N; i++) {
        int len = snprintf(buf, sizeof(buf), "name-%u", i * 7919u);
        assert_int_equal(sb_intern_find(&t, buf, (size_t)len), i);
        assert_int_equal(sb_intern_cstr(&t, buf), i);
        assert_ptr_equal(sb_intern_str(&t, i), ptrs[i]);
        assert_string_equal(sb_intern_str(&t, i), buf);
        /* absent neighbours are still absent */
        len = snprintf(buf, sizeof(buf), "name-%u", i * 7919u + 1);
        assert_int_equal(sb_intern_find(&t, buf, (size_t)len), 0);
    }
    assert_int_equal(t.count - 1, N);
    assert_string_equal(sb_intern_str(&t, N + 1), "");
    sb_intern_free(&t);
}

/* ---- status ----------------------------------------------------------- */

static void test_status_known(void **state) {
    (void)state;
    assert_int_equal(SB_OK, 0);
    assert_string_equal(sb_status_name(SB_OK), "ok");
    assert_int_equal(sb_status_http(SB_OK), 200);
    assert_string_equal(sb_status_name(SB_ENOENT), "not_found");
    assert_int_equal(sb_status_http(SB_ENOENT), 404);
    assert_string_equal(sb_status_name(SB_EEXIST), "already_exists");
    assert_int_equal(sb_status_http(SB_EEXIST), 409);
    assert_string_equal(sb_status_name(SB_EINVAL), "invalid");
    assert_int_equal(sb_status_http(SB_EINVAL), 400);
    assert_string_equal(sb_status_name(SB_ESYNTAX), "expression_syntax");
    assert_int_equal(sb_status_http(SB_ESYNTAX), 400);
    assert_string_equal(sb_status_name(SB_EWRAPUP), "wrapup_code_required");
    assert_int_equal(sb_status_http(SB_EWRAPUP), 409);
}

static void test_status_unknown(void **state) {
    (void)state;
    const int unknown[] = {1, 2, 404, -13, -100, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(sb_status_name(unknown[i]), "unknown");
        assert_int_equal(sb_status_http(unknown[i]), 500);
    }
}

/* Every status of the table: OK is 0, the rest negative and distinct, with
 * a distinct lower-case name and a 2xx/4xx HTTP status (503 for storage). */
static void test_status_table(void **state) {
    (void)state;
    static const int all[] = {
#define X(name, val, str, http) SB_##name,
        SB_STATUS_MAP(X)
#undef X
    };
    size_t n = sizeof(all) / sizeof(all[0]);
    assert_true(n >= 12);
    for (size_t i = 0; i < n; i++) {
        const char *name = sb_status_name(all[i]);
        assert_string_not_equal(name, "unknown");
        assert_true(name[0] != '\0');
        for (const char *p = name; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        int http = sb_status_http(all[i]);
        if (all[i] == SB_OK) {
            assert_int_equal(http, 200);
        } else {
            assert_true(all[i] < 0);
            /* The caller's fault is 4xx; only the storage failing is 5xx. */
            if (all[i] == SB_EIO)
                assert_int_equal(http, 503);
            else
                assert_true(http >= 400 && http < 500);
        }
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(all[i], all[j]);
            assert_string_not_equal(sb_status_name(all[j]), name);
        }
    }
}

/* ---- mem -------------------------------------------------------------- */

static void test_mem_accounting(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    char *p = sb_malloc(1000);
    assert_non_null(p);
    assert_true(sb_mem_used() >= base + 1000);
    memset(p, 'x', 1000);
    p = sb_realloc(p, 100000);
    assert_true(sb_mem_used() >= base + 100000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(p[i], 'x'); /* kept */
    p = sb_realloc(p, 10);
    assert_true(sb_mem_used() < base + 100000);
    assert_int_equal(p[9], 'x');
    sb_free(p);
    assert_int_equal(sb_mem_used(), base);

    unsigned char *z = sb_calloc(300, 7);
    assert_true(sb_mem_used() >= base + 2100);
    for (int i = 0; i < 2100; i++)
        assert_int_equal(z[i], 0);
    sb_free(z);
    assert_int_equal(sb_mem_used(), base);

    /* zero-size requests still give a pointer that can be freed */
    void *e = sb_malloc(0), *f = sb_calloc(0, 8), *g = sb_realloc(NULL, 0);
    assert_non_null(e);
    assert_non_null(f);
    assert_non_null(g);
    sb_free(e);
    sb_free(f);
    sb_free(g);
    sb_free(NULL);
    assert_int_equal(sb_mem_used(), base);
}

static void test_mem_strdup(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    const char raw[5] = {'h', 'e', 'l', 'l', 'o'}; /* not terminated */
    char *a = sb_strndup(raw, 3);
    assert_string_equal(a, "hel");
    char *b = sb_strndup(raw, 5);
    assert_string_equal(b, "hello");
    char *c = sb_strndup(raw, 0);
    assert_string_equal(c, "");
    char *d = sb_strdup("switchboard");
    assert_string_equal(d, "switchboard");
    assert_true(sb_mem_used() > base);
    sb_free(a);
    sb_free(b);
    sb_free(c);
    sb_free(d);
    assert_int_equal(sb_mem_used(), base);
}

typedef struct outer {
    int a;
    double b;
    char member[3];
} outer;

static void test_mem_container_of(void **state) {
    (void)state;
    outer o;
    char(*m)[3] = &o.member;
    assert_ptr_equal(sb_container_of(m, outer, member), &o);
    assert_ptr_equal(sb_container_of(&o.a, outer, a), &o);
}

/* Run fn in a child with stderr silenced; return its wait status.  The
 * child exits 42 if fn returns. */
static int run_child(void (*fn)(void)) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL); /* whatever the runner installed */
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, 2);
        fn();
        _exit(42);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void child_panic(void) {
    sb_panic("test %d", 1);
}
static void child_assert_false(void) {
    SB_ASSERT(1 + 1 == 3);
}
static void child_assert_true(void) {
    SB_ASSERT(1 + 1 == 2);
}
static void child_calloc_overflow(void) {
    /* count * size wraps to 0 in size_t; the policy is abort, never NULL */
    void *p = sb_calloc(SIZE_MAX / 2 + 1, 2);
    _exit(p ? 43 : 42);
}

static void test_mem_panic_aborts(void **state) {
    (void)state;
    int st = run_child(child_panic);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = run_child(child_assert_false);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = run_child(child_assert_true);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 42);
}

/* An allocation that cannot be satisfied never comes back as NULL. (Under
 * AddressSanitizer the sanitizer reports and kills the child first.) */
static void test_mem_calloc_overflow_aborts(void **state) {
    (void)state;
    int st = run_child(child_calloc_overflow);
    assert_false(WIFEXITED(st) && (WEXITSTATUS(st) == 42 || WEXITSTATUS(st) == 43));
}

/* Blocks for large arrays: aligned on 2 MiB, zeroed, counted while held;
 * a size that is not a whole number of 2 MiB pages is a broken caller. */
static void test_mem_huge(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    unsigned char *a = sb_calloc_huge(SB_HUGE_PAGE, false);
    unsigned char *b = sb_calloc_huge(2 * SB_HUGE_PAGE, true);
    assert_int_equal((uintptr_t)a % SB_HUGE_PAGE, 0);
    assert_int_equal((uintptr_t)b % SB_HUGE_PAGE, 0);
    assert_true(b + 2 * SB_HUGE_PAGE <= a || a + SB_HUGE_PAGE <= b);
    assert_int_equal(sb_mem_used(), base + 3 * SB_HUGE_PAGE);
    for (size_t i = 0; i < 2 * SB_HUGE_PAGE; i += 4093) {
        assert_int_equal(b[i], 0);
        b[i] = 0xab;
    }
    assert_int_equal(a[0] | a[SB_HUGE_PAGE - 1] | b[2 * SB_HUGE_PAGE - 1], 0);
    a[SB_HUGE_PAGE - 1] = 1;
    sb_free_huge(a, SB_HUGE_PAGE);
    sb_free_huge(b, 2 * SB_HUGE_PAGE);
    sb_free_huge(NULL, SB_HUGE_PAGE);
    assert_int_equal(sb_mem_used(), base);
}

static bool reserved_soon(unsigned n) {
    for (int i = 0; i < 500 && sb_mem_huge_reserved() != n; i++) usleep(10000);
    return sb_mem_huge_reserved() == n;
}

/* The reserve hands out pages faulted ahead and refills; stopped, it
 * keeps none, and blocks are mapped on demand as before. */
static void test_mem_huge_reserve(void **state) {
    (void)state;
    size_t base = sb_mem_used();
    sb_mem_huge_reserve(2);
    assert_true(reserved_soon(2));
    assert_int_equal(sb_mem_used(), base); /* kept blocks are not in use */
    unsigned char *a = sb_calloc_huge(SB_HUGE_PAGE, true);
    assert_int_equal((uintptr_t)a % SB_HUGE_PAGE, 0);
    assert_int_equal(a[0] | a[SB_HUGE_PAGE / 2] | a[SB_HUGE_PAGE - 1], 0);
    memset(a, 0x5a, SB_HUGE_PAGE);
    assert_int_equal(sb_mem_used(), base + SB_HUGE_PAGE);
    assert_true(reserved_soon(2)); /* refilled */
    /* Larger blocks, or without 2 MiB pages, are mapped as asked. */
    unsigned char *b = sb_calloc_huge(2 * SB_HUGE_PAGE, true);
    assert_int_equal(sb_mem_huge_reserved(), 2);
    sb_mem_huge_reserve(0);
    assert_int_equal(sb_mem_huge_reserved(), 0);
    unsigned char *c = sb_calloc_huge(SB_HUGE_PAGE, true);
    assert_int_equal(c[SB_HUGE_PAGE - 1] | b[0], 0);
    sb_free_huge(a, SB_HUGE_PAGE);
    sb_free_huge(b, 2 * SB_HUGE_PAGE);
    sb_free_huge(c, SB_HUGE_PAGE);
    assert_int_equal(sb_mem_used(), base);
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>

/* Stores n new heap blocks' addresses in blk only (a copy of the last
 * few may linger in registers or dead stack, not of all). */
__attribute__((noinline)) static void hide_in(void **blk, int n) {
    for (int i = 0; i < n; i++) blk[i] = sb_malloc(48);
}

/* LeakSanitizer sees what only a 2 MiB block points to: the block is one
 * of its roots, so an agent's arrays are not reported while in use. */
static void test_mem_huge_is_a_leak_root(void **state) {
    (void)state;
    void **blk = sb_calloc_huge(SB_HUGE_PAGE, true);
    hide_in(blk, 64);
    assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
    for (int i = 0; i < 64; i++) sb_free(blk[i]);
    sb_free_huge(blk, SB_HUGE_PAGE);
}
#define HUGE_LEAK_ROOT_TEST , cmocka_unit_test(test_mem_huge_is_a_leak_root)
#else
#define HUGE_LEAK_ROOT_TEST
#endif

static void child_huge_odd_size(void) {
    void *p = sb_calloc_huge(SB_HUGE_PAGE + 4096, true);
    _exit(p ? 43 : 44);
}

static void test_mem_huge_odd_size_aborts(void **state) {
    (void)state;
    int st = run_child(child_huge_odd_size);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

SB_TEST_GROUP(intern, cmocka_unit_test(test_intern_same_and_different),
              cmocka_unit_test(test_intern_find), cmocka_unit_test(test_intern_prefixes),
              cmocka_unit_test(test_intern_prefix_of_stored), cmocka_unit_test(test_intern_str),
              cmocka_unit_test(test_intern_growth), cmocka_unit_test(test_status_known),
              cmocka_unit_test(test_status_unknown), cmocka_unit_test(test_status_table),
              cmocka_unit_test(test_mem_accounting), cmocka_unit_test(test_mem_strdup),
              cmocka_unit_test(test_mem_container_of), cmocka_unit_test(test_mem_panic_aborts),
              cmocka_unit_test(test_mem_calloc_overflow_aborts), cmocka_unit_test(test_mem_huge),
              cmocka_unit_test(test_mem_huge_odd_size_aborts),
              cmocka_unit_test(test_mem_huge_reserve) HUGE_LEAK_ROOT_TEST)
