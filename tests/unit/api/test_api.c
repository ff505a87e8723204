/* Tests for src/api: the router and docs/openapi.json describe the same
 * routes, both ways. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "unit/test.h"

static json_t *load_doc(void) {
    json_error_t err;
    json_t *doc = json_load_file("docs/openapi.json", 0, &err);
    if (doc == NULL) fail_msg("docs/openapi.json: %d:%d: %s", err.line, err.column, err.text);
    return doc;
}

static void router_routes_are_documented(void **state) {
    (void)state;
    json_t *doc = load_doc(), *paths = json_object_get(doc, "paths");
    assert_true(json_is_object(paths));
    for (size_t i = 0; i < sb_api_route_count(); i++) {
        const char *method, *path;
        sb_api_route_at(i, &method, &path);
        char lower[16];
        size_t n = strlen(method);
        assert_true(n < sizeof(lower));
        for (size_t k = 0; k <= n && k < sizeof(lower); k++)
            lower[k] = (char)(method[k] | (method[k] ? 0x20 : 0));
        json_t *ops = json_object_get(paths, path);
        if (ops == NULL || json_object_get(ops, lower) == NULL)
            fail_msg("%s %s is served but not in docs/openapi.json", method, path);
    }
    json_decref(doc);
}

static void documented_routes_are_served(void **state) {
    (void)state;
    json_t *doc = load_doc(), *paths = json_object_get(doc, "paths"), *ops;
    const char *path;
    size_t documented = 0;
    json_object_foreach(paths, path, ops) {
        const char *method;
        json_t *op;
        json_object_foreach(ops, method, op) {
            documented++;
            bool found = false;
            for (size_t i = 0; i < sb_api_route_count() && !found; i++) {
                const char *m, *p;
                sb_api_route_at(i, &m, &p);
                found = !strcmp(p, path) && !strcasecmp(m, method);
            }
            if (!found) fail_msg("%s %s is documented but not served", method, path);
        }
    }
    assert_int_equal(documented, sb_api_route_count());
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_decref(doc);
}

SB_TEST_GROUP(api, cmocka_unit_test(router_routes_are_documented),
              cmocka_unit_test(documented_routes_are_served))
