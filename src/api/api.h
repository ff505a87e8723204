/* api.h: the HTTP API of `switchboard serve`, version 1.
 *
 * One entry point takes every request the HTTP layer parsed: it finds the
 * route, passes the request through the single authorization point, and
 * calls the route's handler; errors are RFC 9457 problem documents with a
 * stable machine-readable `code`.  This file grows with the server issue;
 * for now it serves the service's own resources (health). */
#ifndef SB_API_API_H
#define SB_API_API_H

#include <stdint.h>

#include "net/http.h"
#include "store/store.h"

typedef struct sb_api sb_api;

/* What the API needs from the process: the store and the version text. */
typedef struct sb_api_env {
    sb_store *store;
    const char *version;
    uint64_t started_ms; /* loop time at start, for uptime */
    uv_loop_t *loop;
    const char *openapi; /* docs/openapi.json as built in */
    size_t openapi_len;
} sb_api_env;

sb_api *sb_api_new(const sb_api_env *env);
void sb_api_free(sb_api *api);

/* The sb_http_request_cb for the HTTP server (ud: the sb_api). */
void sb_api_handle(sb_http_request *req, void *ud);

/* The router's routes, for checking them against docs/openapi.json. */
size_t sb_api_route_count(void);
void sb_api_route_at(size_t i, const char **method, const char **path);

/* Answer with an application/problem+json document: status, a stable
 * code (e.g. "not_found"), a title and an optional detail. */
void sb_api_problem(sb_http_request *req, int status, const char *code, const char *detail);

#endif
