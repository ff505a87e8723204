/* api.h: the HTTP API of `switchboard serve`, version 1.
 *
 * One entry point takes every request the HTTP layer parsed: it finds the
 * route, passes the request through the single authorization point, and
 * calls the route's handler; errors are RFC 9457 problem documents with a
 * stable machine-readable `code`.  Routes and their meaning: docs/api.md. */
#ifndef SB_API_API_H
#define SB_API_API_H

#include <jansson.h>
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
    int64_t grace_ms;    /* after a restart, agents keep their login this long
                          * for their desktop to reconnect; 0: 60000 */
    int64_t session_ms;  /* how long a login session lasts; 0: 12 hours */
    double rate;         /* requests per second per token (burst twice as
                          * many), beyond: 429; 0: unlimited */
    int stats_interval_min; /* stored statistics intervals, minutes dividing
                             * a day; 0: 15 */
    const char *web_dir;    /* the browser pages (docs/web.md); NULL: none */
    int64_t chat_abandon_ms; /* a waiting chat customer without a stream this
                              * long abandons; 0: 60000 */
} sb_api_env;

sb_api *sb_api_new(const sb_api_env *env);
/* Load the tenants from the store (creating "default" on a new store) and
 * rebuild their routing state.  Runs the loop while it waits for the
 * store.  SB_OK, or an error with a reason in err. */
int sb_api_start(sb_api *api, char *err, size_t errlen);
/* Import a configuration (docs/config.md plus "skills", "teams",
 * "wrapup_codes", "not_ready_reasons", "custom_fields", "users" lists;
 * users may carry a "password") into tenant `tenant` when that tenant has
 * no queues and no users yet; for the demo. */
int sb_api_seed(sb_api *api, const char *tenant, json_t *doc, char *err, size_t errlen);
/* Shutting down: refuse new requests, close the streams with 1001. */
void sb_api_stop(sb_api *api);
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
