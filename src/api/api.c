/* api.c: routing, the authorization point, problem documents. */
#include "api/api.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"

struct sb_api {
    sb_api_env env;
};

typedef void (*route_fn)(sb_api *api, sb_http_request *req);

typedef struct route {
    const char *method, *path;
    route_fn fn;
} route;

static void send_json(sb_http_request *req, int status, json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    sb_http_respond(req, status, "application/json", text, text ? strlen(text) : 0);
    free(text);
    json_decref(doc);
}

void sb_api_problem(sb_http_request *req, int status, const char *code, const char *detail) {
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
                            sb_http_status_text(status), "status", status, "code", code);
    if (detail) json_object_set_new(doc, "detail", json_string(detail));
    char *text = json_dumps(doc, JSON_COMPACT);
    sb_http_respond(req, status, "application/problem+json", text, text ? strlen(text) : 0);
    free(text);
    json_decref(doc);
}

/* GET /v1/health: alive, and what the store has been doing. */
static void get_health(sb_api *api, sb_http_request *req) {
    sb_store_stats st;
    sb_store_stats_get(api->env.store, &st);
    uint64_t uptime = uv_now(api->env.loop) - api->env.started_ms;
    send_json(req, 200,
              json_pack("{s:s, s:s, s:I, s:{s:I, s:I, s:I}}", "status", "ok", "version",
                        api->env.version, "uptime_ms", (json_int_t)uptime, "store", "batches",
                        (json_int_t)st.batches, "transactions", (json_int_t)st.transactions,
                        "last_commit_us", (json_int_t)st.last_commit_us));
}

/* GET /v1/openapi.json: the published description of this API. */
static void get_openapi(sb_api *api, sb_http_request *req) {
    sb_http_respond(req, 200, "application/json", api->env.openapi, api->env.openapi_len);
}

static const route routes[] = {
    {"GET", "/v1/health", get_health},
    {"GET", "/v1/openapi.json", get_openapi},
};

size_t sb_api_route_count(void) { return sizeof(routes) / sizeof(routes[0]); }

void sb_api_route_at(size_t i, const char **method, const char **path) {
    *method = routes[i].method;
    *path = routes[i].path;
}

/* The one authorization point every request passes.  Identity and roles
 * come with the security issue; until then every request is allowed and
 * this is where the decision will be made. */
static int authorize(const sb_api *api, const sb_http_request *req, const route *r) {
    (void)api;
    (void)req;
    (void)r;
    return SB_OK;
}

void sb_api_handle(sb_http_request *req, void *ud) {
    sb_api *api = ud;
    const char *method = sb_http_request_method(req), *path = sb_http_request_path(req);
    const route *found = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path) != 0) continue;
        path_known = true;
        if (!strcmp(routes[i].method, method) ||
            (!strcmp(method, "HEAD") && !strcmp(routes[i].method, "GET")))
            found = &routes[i];
    }
    if (found == NULL) {
        if (path_known) {
            sb_http_response_header(req, "Allow", "GET, HEAD");
            sb_api_problem(req, 405, "method_not_allowed", NULL);
        } else {
            sb_api_problem(req, 404, "not_found", "no such resource");
        }
        return;
    }
    if (authorize(api, req, found) != SB_OK) {
        sb_api_problem(req, 404, "not_found", "no such resource");
        return;
    }
    found->fn(api, req);
}

sb_api *sb_api_new(const sb_api_env *env) {
    sb_api *api = sb_calloc(1, sizeof(*api));
    api->env = *env;
    return api;
}

void sb_api_free(sb_api *api) { sb_free(api); }
