/* api.c: routing, the authorization point, problem documents, request
 * bodies; the service's own routes (health, openapi, tenant). */
#include "api/api.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"
#include "base/map.h"

typedef void (*route_fn)(sb__req *r);

typedef struct route {
    const char *method, *path; /* a path segment "{id}" matches any one segment */
    route_fn fn;
    const void *arg;
    int rule; /* sb__rule: who may call it (access.c) */
} route;

/* ---- answers ------------------------------------------------------------ */

static void send_text(sb_http_request *req, int status, const char *type, json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    sb_http_respond(req, status, type, text, text ? strlen(text) : 0);
    free(text);
    json_decref(doc);
}

void sb__send(sb_http_request *req, int status, json_t *doc, int64_t version) {
    if (version > 0) {
        char etag[32];
        snprintf(etag, sizeof(etag), "\"%lld\"", (long long)version);
        sb_http_response_header(req, "ETag", etag);
    }
    if (doc == NULL) {
        sb_http_respond(req, status, NULL, NULL, 0);
        return;
    }
    send_text(req, status, "application/json", doc);
}

void sb__problem(sb_http_request *req, int status, const char *code, json_t *extra,
                 const char *fmt, ...) {
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
                            sb_http_status_text(status), "status", status, "code", code);
    if (fmt) {
        char detail[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        json_object_set_new(doc, "detail", json_string(detail));
    }
    if (extra) {
        json_object_update(doc, extra);
        json_decref(extra);
    }
    send_text(req, status, "application/problem+json", doc);
}

void sb_api_problem(sb_http_request *req, int status, const char *code, const char *detail) {
    if (detail)
        sb__problem(req, status, code, NULL, "%s", detail);
    else
        sb__problem(req, status, code, NULL, NULL);
}

/* ---- request helpers ------------------------------------------------------ */

json_t *sb__body(sb__req *r) {
    const char *ct = sb_http_request_header(r->http, "Content-Type");
    size_t n = strlen("application/json");
    if (ct == NULL || strncasecmp(ct, "application/json", n) != 0 ||
        (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
        sb__problem(r->http, 415, "unsupported_media_type", NULL,
                    "the body must be application/json");
        return NULL;
    }
    size_t len;
    const char *body = sb_http_request_body(r->http, &len);
    json_error_t e;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (doc == NULL) {
        sb__problem(r->http, 400, "invalid_json", NULL, "line %d, column %d: %s", e.line,
                    e.column, e.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        sb__problem(r->http, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    return doc;
}

bool sb__check_fields(sb__req *r, json_t *obj, const char *path, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0) a++;
        if (*a == NULL) {
            char field[200];
            snprintf(field, sizeof(field), "%s%s%s", path, *path ? "." : "", key);
            sb__problem(r->http, 400, "unknown_field", json_pack("{s:s}", "field", field),
                        "unknown field '%s'", field);
            return false;
        }
    }
    return true;
}

int64_t sb__if_match(sb__req *r) {
    const char *h = sb_http_request_header(r->http, "If-Match");
    if (h == NULL) return 0;
    char *end;
    const char *p = h[0] == '"' ? h + 1 : h;
    long long v = strtoll(p, &end, 10);
    if (end == p || v <= 0 || (h[0] == '"' && *end++ != '"') || *end != '\0') {
        sb__problem(r->http, 412, "precondition_failed", NULL, "If-Match must be an ETag such as \"3\"");
        return -1;
    }
    return v;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into out; false when malformed, too long or NUL. */
static bool decode(const char *s, size_t n, char *out, size_t size, bool plus) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) return false;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0 || o + 1 >= size) return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

bool sb__query(const sb__req *r, const char *name, char *buf, size_t size) {
    const char *q = sb_http_request_query(r->http);
    size_t nl = strlen(name);
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=')
            return decode(q + nl + 1, len - nl - 1, buf, size, true);
        q += len + (amp != NULL);
    }
    return false;
}

bool sb__limit(sb__req *r, size_t *limit) {
    char text[16];
    if (!sb__query(r, "limit", text, sizeof(text))) return true;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < 1 || v > 1000) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "limit"),
                    "limit must be from 1 to 1000");
        return false;
    }
    *limit = (size_t)v;
    return true;
}

bool sb__valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-') return false;
    return true;
}

void sb__core_error(sb__req *r, int rc, const char *what, int state) {
    switch (rc) {
    case SB_ENOENT:
        sb__problem(r->http, 404, "not_found", NULL, "no such %s", what);
        break;
    case SB_ESTATE:
    case SB_EWRAPUP:
    case SB_EEXIST:
        sb__problem(r->http, 409, rc == SB_EWRAPUP ? "wrapup_code_required" : "invalid_state",
                    state >= 0 ? json_pack("{s:s}", "state", what[0] == 'a' ? sb_agent_state_name(state)
                                                                          : sb_ix_state_name(state))
                               : NULL,
                    "not possible in the %s's current state", what);
        break;
    case SB_EFULL:
        sb__problem(r->http, 409, "queue_full", NULL, "the queue is full");
        break;
    case SB_ECLOSED:
        sb__problem(r->http, 409, "queue_closed", NULL, "the queue is closed");
        break;
    case SB_EINUSE:
        sb__problem(r->http, 409, "in_use", NULL, "the %s is in use", what);
        break;
    default:
        sb__problem(r->http, 400, "invalid_field", NULL, "%s: %s", what, sb_status_name(rc));
    }
}

/* ---- the service's own routes ---------------------------------------------- */

/* GET /v1/health: alive, and what the store has been doing. */
static void get_health(sb__req *r) {
    sb_store_stats st;
    sb_store_stats_get(r->api->env.store, &st);
    uint64_t uptime = uv_now(r->api->env.loop) - r->api->env.started_ms;
    sb__send(r->http, 200,
             json_pack("{s:s, s:s, s:I, s:{s:I, s:I, s:I}}", "status", "ok", "version",
                       r->api->env.version, "uptime_ms", (json_int_t)uptime, "store", "batches",
                       (json_int_t)st.batches, "transactions", (json_int_t)st.transactions,
                       "last_commit_us", (json_int_t)st.last_commit_us),
             0);
}

/* GET /v1/openapi.json: the published description of this API. */
static void get_openapi(sb__req *r) {
    sb_http_respond(r->http, 200, "application/json", r->api->env.openapi, r->api->env.openapi_len);
}

static void get_tenant(sb__req *r) {
    char id[24];
    snprintf(id, sizeof(id), "%llu", (unsigned long long)r->t->id);
    sb__send(r->http, 200, json_pack("{s:s, s:s}", "id", id, "name", r->t->name), 0);
}

/* ---- the route table ---------------------------------------------------------- */

static const int res_ids[SB__RES_COUNT] = {0, 1, 2, 3, 4, 5, 6, 7, 8};

#define RES_ROUTES(i, coll, read, write)                                      \
    {"GET", "/v1/" coll, sb__res_list, &res_ids[i], read},                    \
        {"POST", "/v1/" coll, sb__res_create, &res_ids[i], write},            \
        {"GET", "/v1/" coll "/{id}", sb__res_get, &res_ids[i], read},         \
        {"PUT", "/v1/" coll "/{id}", sb__res_put, &res_ids[i], write},        \
        {"DELETE", "/v1/" coll "/{id}", sb__res_delete, &res_ids[i], write}
#define CONFIG(i, coll) RES_ROUTES(i, coll, SB__RULE_CONFIG_READ, SB__RULE_CONFIG_WRITE)

#define IX_ACTION(a) {"POST", "/v1/interactions/{id}/" a, sb__ix_action, a, SB__RULE_IX_WRITE}
#define AGENT_ACTION(a) {"POST", "/v1/agents/{id}/" a, sb__agent_action, a, SB__RULE_AGENT_WRITE}

static const route routes[] = {
    {"GET", "/v1/health", get_health, NULL, SB__RULE_PUBLIC},
    {"GET", "/v1/openapi.json", get_openapi, NULL, SB__RULE_PUBLIC},
    {"POST", "/v1/auth/login", sb__auth_login, NULL, SB__RULE_PUBLIC},
    {"POST", "/v1/auth/logout", sb__auth_logout, NULL, SB__RULE_ANY},
    {"GET", "/v1/auth/me", sb__auth_me, NULL, SB__RULE_ANY},
    {"GET", "/v1/tenant", get_tenant, NULL, SB__RULE_ANY},
    {"GET", "/v1/stream", sb__stream_open, NULL, SB__RULE_STREAM},
    CONFIG(SB__RES_SKILL, "skills"),
    CONFIG(SB__RES_TEAM, "teams"),
    CONFIG(SB__RES_WRAPUP, "wrapup-codes"),
    CONFIG(SB__RES_REASON, "not-ready-reasons"),
    CONFIG(SB__RES_FIELD, "custom-fields"),
    CONFIG(SB__RES_PROFILE, "capacity-profiles"),
    CONFIG(SB__RES_QUEUE, "queues"),
    CONFIG(SB__RES_AGENT, "agents"),
    RES_ROUTES(SB__RES_USER, "users", SB__RULE_ADMIN, SB__RULE_ADMIN),
    {"PUT", "/v1/users/{id}/password", sb__user_password, NULL, SB__RULE_ANY},
    {"GET", "/v1/api-keys", sb__keys_list, NULL, SB__RULE_ADMIN},
    {"POST", "/v1/api-keys", sb__keys_create, NULL, SB__RULE_ADMIN},
    {"DELETE", "/v1/api-keys/{id}", sb__keys_delete, NULL, SB__RULE_ADMIN},
    {"GET", "/v1/audit", sb__audit_list, NULL, SB__RULE_AUDIT},
    {"GET", "/v1/interactions", sb__ix_list, NULL, SB__RULE_IX_READ},
    {"POST", "/v1/interactions", sb__ix_create, NULL, SB__RULE_IX_CREATE},
    {"GET", "/v1/interactions/{id}", sb__ix_get, NULL, SB__RULE_IX_READ},
    {"PATCH", "/v1/interactions/{id}", sb__ix_patch, NULL, SB__RULE_IX_WRITE},
    {"GET", "/v1/interactions/{id}/explain", sb__ix_explain, NULL, SB__RULE_IX_EXPLAIN},
    {"GET", "/v1/interactions/{id}/messages", sb__ix_messages, NULL, SB__RULE_IX_READ},
    {"POST", "/v1/interactions/{id}/messages", sb__ix_say, NULL, SB__RULE_IX_WRITE},
    {"POST", "/v1/interactions/{id}/typing", sb__ix_typing, NULL, SB__RULE_IX_WRITE},
    {"GET", "/v1/interactions/{id}/notes", sb__ix_notes, NULL, SB__RULE_IX_READ},
    {"POST", "/v1/interactions/{id}/notes", sb__ix_note, NULL, SB__RULE_IX_WRITE},
    {"GET", "/v1/interactions/{id}/related", sb__ix_related, NULL, SB__RULE_IX_READ},
    {"POST", "/v1/chat/sessions", sb__chat_session, NULL, SB__RULE_PUBLIC},
    {"GET", "/v1/chat/conversation", sb__chat_conversation, NULL, SB__RULE_CUSTOMER},
    {"POST", "/v1/chat/messages", sb__chat_say, NULL, SB__RULE_CUSTOMER},
    {"POST", "/v1/chat/typing", sb__chat_typing, NULL, SB__RULE_CUSTOMER},
    {"POST", "/v1/chat/end", sb__chat_end, NULL, SB__RULE_CUSTOMER},
    {"GET", "/v1/chat/stream", sb__stream_open, NULL, SB__RULE_CUSTOMER},
    {"POST", "/v1/expressions/check", sb__expr_check, NULL, SB__RULE_CONFIG_READ},
    IX_ACTION("transfer"),
    IX_ACTION("cancel"),
    IX_ACTION("complete"),
    IX_ACTION("wrapup"),
    IX_ACTION("abandon"),
    {"GET", "/v1/agents/{id}/state", sb__agent_state, NULL, SB__RULE_AGENT_READ},
    {"GET", "/v1/directory", sb__directory, NULL, SB__RULE_IX_WRITE},
    AGENT_ACTION("login"),
    AGENT_ACTION("logout"),
    AGENT_ACTION("ready"),
    AGENT_ACTION("not-ready"),
    AGENT_ACTION("accept"),
    AGENT_ACTION("reject"),
    {"GET", "/v1/stats/queues", sb__tstats_queues, NULL, SB__RULE_STATS},
    {"GET", "/v1/stats/queues/{id}", sb__tstats_queue, NULL, SB__RULE_STATS},
    {"GET", "/v1/stats/agents/{id}", sb__tstats_agent, NULL, SB__RULE_STATS},
    {"GET", "/v1/stats/teams/{id}", sb__tstats_team, NULL, SB__RULE_STATS},
    {"GET", "/v1/stats/tenant", sb__tstats_tenant, NULL, SB__RULE_STATS_TENANT},
    {"GET", "/v1/reports/intervals", sb__report_intervals, NULL, SB__RULE_STATS},
    {"GET", "/v1/reports/interactions", sb__report_interactions, NULL, SB__RULE_STATS},
    {"GET", "/metrics", sb__metrics_get, NULL, SB__RULE_METRICS},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

size_t sb_api_route_count(void) { return NROUTES; }

void sb_api_route_at(size_t i, const char **method, const char **path) {
    *method = routes[i].method;
    *path = routes[i].path;
}

/* Does `path` match the template?  The {id} segment goes to id. */
static bool match(const char *tpl, const char *path, char *id, size_t idsize) {
    while (*tpl && *path) {
        if (*tpl == '{' && strncmp(tpl, "{id}", 4) == 0) {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || !decode(path, n, id, idsize, false)) return false;
            path += n;
            tpl += 4;
            continue;
        }
        if (*tpl++ != *path++) return false;
    }
    return *tpl == '\0' && *path == '\0';
}

/* Headers every answer carries: no sniffing, no framing, no referrer, a
 * strict content policy, no caching of API answers; HSTS under TLS. */
static void security_headers(sb_http_request *req, const char *cache) {
    sb_http_response_header(req, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'");
    sb_http_response_header(req, "X-Content-Type-Options", "nosniff");
    sb_http_response_header(req, "X-Frame-Options", "DENY");
    sb_http_response_header(req, "Referrer-Policy", "no-referrer");
    sb_http_response_header(req, "Cache-Control", cache);
    if (sb__is_tls(req))
        sb_http_response_header(req, "Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

/* The one authorization point every request passes: who is asking (a
 * token or the session cookie), in which tenant, may it call this route
 * at all, has it made too many requests, does a cookie-authenticated
 * change carry its CSRF value.  Objects are then checked by the handlers
 * with the same rules (access.c).  Returns true to go on; otherwise the
 * request has been answered. */
static bool authorize(sb__req *r, const route *rt) {
    int st = sb__authenticate(r->api, r->http, &r->t, &r->who);
    char token[SB__TOKEN_MAX];
    /* a browser cannot give a WebSocket a header: the chat stream's token
     * may come in the query */
    if (st == 0 && r->who.role == SB__ROLE_NONE && rt->rule == SB__RULE_CUSTOMER &&
        sb__query(r, "token", token, sizeof(token)))
        st = sb__authenticate_token(r->api, token, &r->t, &r->who);
    if (st == 401 && rt->rule == SB__RULE_PUBLIC) {
        /* A route that needs no identity ignores a stale one: a browser
         * whose session cookie expired or was revoked must still log in. */
        memset(&r->who, 0, sizeof(r->who));
        r->who.user = "";
        r->t = NULL;
    } else if (st == 401) {
        sb_http_response_header(r->http, "WWW-Authenticate", "Bearer");
        sb__problem(r->http, 401, "unauthenticated", NULL, "the token is unknown, expired or revoked");
        return false;
    }
    if (rt->rule == SB__RULE_PUBLIC) {
        if (r->t == NULL) r->t = sb__tenant_find(r->api, "default");
        if (r->t == NULL) r->t = r->api->tenants;
        return r->t != NULL;
    }
    if (r->who.role == SB__ROLE_NONE) {
        sb_http_response_header(r->http, "WWW-Authenticate", "Bearer");
        sb__problem(r->http, 401, "unauthenticated", NULL, "log in first (POST /v1/auth/login)");
        return false;
    }
    double wait = sb__rate_wait(r->api, &r->who);
    if (wait > 0) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%d", (int)(wait + 0.999));
        sb_http_response_header(r->http, "Retry-After", ra);
        sb__problem(r->http, 429, "rate_limited", NULL, "too many requests: retry after %s s", ra);
        return false;
    }
    if (!sb__access_route(&r->who, rt->rule)) {
        sb__problem(r->http, 403, "forbidden", NULL, "the %s role may not do this", sb__role_name(r->who.role));
        return false;
    }
    if (!sb__csrf_ok(r)) {
        sb__problem(r->http, 403, "csrf", NULL, "a change made with the session cookie needs X-CSRF-Token");
        return false;
    }
    return true;
}

void sb_api_handle(sb_http_request *req, void *ud) {
    sb_api *api = ud;
    const char *method = sb_http_request_method(req), *path = sb_http_request_path(req);
    sb__req r = {.api = api, .http = req};
    const route *found = NULL;
    char allow[64] = "";
    if (!strncmp(path, "/v1/chat/", 9)) { /* the widget runs on the business's own site */
        sb_http_response_header(req, "Access-Control-Allow-Origin", "*");
        if (!strcmp(method, "OPTIONS")) {
            sb_http_response_header(req, "Access-Control-Allow-Methods", "GET, POST");
            sb_http_response_header(req, "Access-Control-Allow-Headers", "Authorization, Content-Type");
            sb_http_response_header(req, "Access-Control-Max-Age", "600");
            security_headers(req, "no-store");
            sb_http_respond(req, 204, NULL, NULL, 0);
            return;
        }
    }
    for (size_t i = 0; i < NROUTES && found == NULL; i++) {
        if (!match(routes[i].path, path, r.id, sizeof(r.id))) continue;
        if (!strcmp(routes[i].method, method) ||
            (!strcmp(method, "HEAD") && !strcmp(routes[i].method, "GET"))) {
            found = &routes[i];
            break;
        }
        if (strlen(allow) + 12 < sizeof(allow)) {
            if (*allow) strcat(allow, ", ");
            strcat(allow, routes[i].method);
            if (!strcmp(routes[i].method, "GET")) strcat(allow, ", HEAD");
        }
    }
    sb__metrics *m = api->metrics;
    uint64_t t0 = uv_hrtime();
    /* the pages change with the server: revalidated, never stale;
     * API answers are never stored */
    bool page = found == NULL && !*allow && strncmp(path, "/v1/", 4) && sb__web_has(api, method, path);
    security_headers(req, page ? "no-cache" : "no-store");
    if (found == NULL) {
        sb__hist_add(&m->route[NROUTES], sb__lat_bounds, (double)(uv_hrtime() - t0) / 1e9);
        if (page) {
            sb__web_serve(api, req, path);
        } else if (*allow) {
            sb_http_response_header(req, "Allow", allow);
            sb__problem(req, 405, "method_not_allowed", NULL, "allowed: %s", allow);
        } else {
            sb__problem(req, 404, "not_found", NULL, "no such resource");
        }
        return;
    }
    if (api->stopping) {
        sb_http_response_header(req, "Connection", "close");
        sb__problem(req, 503, "shutting_down", NULL, "the server is shutting down");
        return;
    }
    /* Counted when answered: now, or (writes) once durable (commit.c). */
    m->cur_route = (int)(found - routes);
    m->cur_t0 = t0;
    m->cur_deferred = false;
    if (authorize(&r, found)) {
        r.arg = found->arg;
        found->fn(&r);
    }
    if (!m->cur_deferred)
        sb__hist_add(&m->route[m->cur_route], sb__lat_bounds, (double)(uv_hrtime() - t0) / 1e9);
    m->cur_route = -1;
}

bool sb__is_tls(sb_http_request *req) {
    return sb_http_request_is_tls(req) != 0;
}

/* ---- the API object ------------------------------------------------------------- */

int64_t sb__now(const sb_api *api) {
    return api->clock_base + (int64_t)uv_now(api->env.loop);
}

sb_api *sb_api_new(const sb_api_env *env) {
    if (sodium_init() < 0) {
        fprintf(stderr, "switchboard: libsodium cannot start\n");
        abort();
    }
    sb_api *api = sb_calloc(1, sizeof(*api));
    api->env = *env;
    struct timeval tv;
    uv_update_time(env->loop); /* the cached loop time may be from before the store opened */
    gettimeofday(&tv, NULL);
    api->clock_base = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 - (int64_t)uv_now(env->loop);
    api->grace_ms = env->grace_ms ? env->grace_ms : 60000;
    api->next_tenant = 1;
    api->rate = env->rate;
    sb_map_init(&api->throttle);
    sb_map_init(&api->chat_buckets);
    uv_idle_init(env->loop, &api->catchup);
    uv_idle_init(env->loop, &api->replay_idle);
    api->stats_interval_ms = (env->stats_interval_min > 0 ? env->stats_interval_min : 15) * 60000LL;
    api->metrics = sb__metrics_new(NROUTES);
    return api;
}

int sb_api_start(sb_api *api, char *err, size_t errlen) {
    int rc = api->env.web_dir ? sb__web_load(api, api->env.web_dir, err, errlen) : SB_OK;
    if (rc == SB_OK) rc = sb__tenants_load(api, err, errlen);
    if (rc == SB_OK) sb__tstats_start(api);
    return rc;
}

void sb_api_stop(sb_api *api) {
    if (api->stopping) return;
    api->stopping = true;
    sb__stream_close_all(api);
    if (api->replaying) uv_idle_stop(&api->replay_idle);
    uv_close((uv_handle_t *)&api->replay_idle, NULL);
    if (api->started) uv_close((uv_handle_t *)&api->prune, NULL);
    sb__tstats_stop(api);
    for (sb__tenant *t = api->tenants; t; t = t->next) {
        uv_close((uv_handle_t *)&t->timer, NULL);
        if (t->grace_agents) uv_close((uv_handle_t *)&t->grace, NULL);
    }
}

void sb_api_free(sb_api *api) {
    if (api == NULL) return;
    sb__tenants_free(api);
    sb_map_free_all(&api->throttle, sb_free);
    sb__metrics_free(api->metrics);
    sb__web_free(api);
    sb__chat_free(api);
    sb_ws_cork_free(&api->cork);
    sb_free(api);
}
