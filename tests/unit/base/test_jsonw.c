/* test_jsonw.c: src/base/jsonw.c against what jansson prints for the same
 * values (json_dumps with JSON_COMPACT), which it promises to match. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/mem.h"
#include "base/rand.h"
#include "unit/test.h"

static void same_as_jansson_str(const char *s) {
    json_t *v = json_string(s);
    assert_non_null(v);
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    sb_jw w;
    sb_jw_init(&w, 1);
    sb_jw_str(&w, s);
    size_t n;
    char *got = sb_jw_take(&w, &n);
    assert_string_equal(got, want);
    assert_int_equal(n, strlen(want));
    sb_free(got);
    free(want);
}

static void test_jsonw_strings(void **state) {
    (void)state;
    const char *fixed[] = {"", "plain", "quote \" and \\ back", "\b\f\n\r\t", "\x01\x1f\x7f",
                           "slash / stays", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                           "<script>alert(1)</script>"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) same_as_jansson_str(fixed[i]);
    /* every byte below 0x80, and random mixes of them with UTF-8 */
    char all[128];
    for (int c = 1; c < 128; c++) all[c - 1] = (char)c;
    all[127] = '\0';
    same_as_jansson_str(all);
    static const char *pieces[] = {"a", "\"", "\\", "\n", "\x02", "\xc3\xa9", "\xe2\x82\xac", " ", "\x1b"};
    sb_rand r;
    sb_rand_seed(&r, 7);
    for (int round = 0; round < 500; round++) {
        char s[256] = "";
        int k = (int)(sb_rand_next(&r) % 40);
        for (int i = 0; i < k; i++) strcat(s, pieces[sb_rand_next(&r) % 9]);
        same_as_jansson_str(s);
    }
}

static void test_jsonw_ints_and_objects(void **state) {
    (void)state;
    const int64_t v[] = {0, 1, -1, 9, 10, -10, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        json_t *j = json_integer(v[i]);
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(j);
        sb_jw w;
        sb_jw_init(&w, 0);
        sb_jw_int(&w, v[i]);
        assert_string_equal(w.p, want);
        sb_jw_free(&w);
        free(want);
    }
    /* an object written piece by piece, growing from a tiny buffer */
    sb_jw w;
    sb_jw_init(&w, 1);
    sb_jw_lit(&w, "{\"a\":");
    sb_jw_str(&w, NULL);
    sb_jw_lit(&w, ",\"b\":[");
    for (int i = 0; i < 300; i++) {
        if (i) sb_jw_lit(&w, ",");
        sb_jw_int(&w, i * 1000);
    }
    sb_jw_lit(&w, "]}");
    size_t n;
    char *text = sb_jw_take(&w, &n);
    assert_null(w.p);
    json_error_t err;
    json_t *o = json_loadb(text, n, 0, &err);
    assert_non_null(o);
    assert_true(json_is_null(json_object_get(o, "a")));
    assert_int_equal(json_array_size(json_object_get(o, "b")), 300);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "b"), 299)), 299000);
    json_decref(o);
    sb_free(text);
}

SB_TEST_GROUP(jsonw, cmocka_unit_test(test_jsonw_strings), cmocka_unit_test(test_jsonw_ints_and_objects))
