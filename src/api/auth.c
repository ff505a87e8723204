/* auth.c: identity.  Passwords are Argon2id hashes (libsodium's
 * crypto_pwhash_str), checked and made on the libuv thread pool, never on
 * the loop.  A login makes a session: an opaque bearer token of 256
 * random bits of which only a BLAKE2b hash is stored, with an expiry; the
 * browser gets it as an HttpOnly, SameSite=Strict cookie plus a CSRF
 * value that state-changing requests must echo.  API keys are the same
 * kind of token with scopes, shown once.  Tokens name their tenant
 * ("sbt.<tenant>.<secret>", "sbk.<tenant>.<secret>"), so a token of one
 * tenant can never be looked up in another.  Logins are throttled per
 * user and per address with a growing back-off; requests per token by a
 * token bucket (429 with Retry-After). */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

#define THROTTLE_FREE 3            /* failures before the back-off starts */
#define THROTTLE_MAX_S 900         /* the longest back-off */
#define SECRET_BYTES 32
#define TOKEN_MAX SB__TOKEN_MAX
#define CUSTOMER_TTL_MS (24 * 3600 * 1000LL)

static const char *const scope_names[] = {
#define SB__SCOPE_NAME(name, str) str,
    SB__SCOPE_MAP(SB__SCOPE_NAME)
#undef SB__SCOPE_NAME
};
#define NSCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

static const char *const role_names[] = {"", "admin", "supervisor", "agent", "integration", "customer"};

int sb__role_parse(const char *s) {
    for (int i = SB__ROLE_ADMIN; s && i <= SB__ROLE_INTEGRATION; i++)
        if (!strcmp(s, role_names[i])) return i;
    return SB__ROLE_NONE;
}

const char *sb__role_name(int role) { return role_names[role]; }

/* ---- tokens ------------------------------------------------------------------ */

static uint64_t key_of(const uint8_t hash[32]) {
    uint64_t k;
    memcpy(&k, hash, sizeof(k));
    return k;
}

static void hash_secret(const char *secret, size_t len, uint8_t out[32]) {
    crypto_generichash(out, 32, (const unsigned char *)secret, len, NULL, 0);
}

static void hex(const uint8_t *b, size_t n, char *out) { sodium_bin2hex(out, 2 * n + 1, b, n); }

/* A new token for tenant t: its text into out, its hash into hash. */
static void new_token(const sb__tenant *t, char kind, char out[TOKEN_MAX], uint8_t hash[32]) {
    uint8_t raw[SECRET_BYTES];
    char secret[64];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(secret, sizeof(secret), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(out, TOKEN_MAX, "sb%c.%llu.%s", kind, (unsigned long long)t->id, secret);
    hash_secret(secret, strlen(secret), hash);
    sodium_memzero(raw, sizeof(raw));
}

/* Find the credential a token stands for; NULL if none (or expired). */
static sb__cred *lookup(sb_api *api, const char *token, sb__tenant **tp) {
    /* sb<kind>.<tenant id>.<secret> */
    if (strlen(token) >= TOKEN_MAX || strncmp(token, "sb", 2) != 0) return NULL;
    char kind = token[2];
    if ((kind != 't' && kind != 'k' && kind != 'c') || token[3] != '.' || token[4] < '0' || token[4] > '9')
        return NULL;
    char *end;
    errno = 0;
    unsigned long long tid = strtoull(token + 4, &end, 10);
    if (errno || *end != '.') return NULL;
    size_t off = (size_t)(end + 1 - token);
    sb__tenant *t = NULL;
    for (t = api->tenants; t && t->id != tid; t = t->next) {
    }
    if (t == NULL) return NULL;
    uint8_t hash[32];
    hash_secret(token + off, strlen(token + off), hash);
    sb__cred *c = sb_map_get(&t->creds, key_of(hash));
    if (c == NULL || sodium_memcmp(c->hash, hash, 32) != 0 || c->api_key != (kind == 'k') ||
        (c->ix != 0) != (kind == 'c'))
        return NULL;
    if (c->expires_at && c->expires_at <= sb__now(api)) return NULL;
    *tp = t;
    return c;
}

/* The value of cookie `name` into out; false when absent. */
static bool cookie(const sb_http_request *req, const char *name, char *out, size_t size) {
    size_t n = sb_http_request_header_count(req), nl = strlen(name);
    for (size_t i = 0; i < n; i++) {
        const char *h, *v;
        sb_http_request_header_at(req, i, &h, &v);
        if (strcasecmp(h, "Cookie")) continue;
        for (const char *p = v; p && *p;) {
            while (*p == ' ' || *p == ';') p++;
            const char *end = strchr(p, ';');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len > nl && !strncmp(p, name, nl) && p[nl] == '=' && len - nl - 1 < size) {
                memcpy(out, p + nl + 1, len - nl - 1);
                out[len - nl - 1] = '\0';
                return true;
            }
            p = end;
        }
    }
    return false;
}

/* The user's role and agent from its resource. */
static bool fill_user(const sb__tenant *t, const char *user, sb__who *who) {
    json_t *u = json_object_get(t->res[SB__RES_USER], user);
    if (u == NULL) return false;
    who->role = sb__role_parse(json_string_value(json_object_get(u, "role")));
    const char *agent = json_string_value(json_object_get(u, "agent"));
    who->agent = agent ? sb__id_of(t, agent) : 0;
    return who->role != SB__ROLE_NONE;
}

int sb__authenticate(sb_api *api, sb_http_request *req, sb__tenant **tp, sb__who *who) {
    memset(who, 0, sizeof(*who));
    who->user = "";
    char token[TOKEN_MAX];
    const char *h = sb_http_request_header(req, "Authorization");
    bool from_cookie = false;
    if (h) {
        if (strncasecmp(h, "Bearer ", 7) != 0 || strlen(h + 7) >= sizeof(token)) return 401;
        snprintf(token, sizeof(token), "%s", h + 7);
    } else if (cookie(req, "sb_session", token, sizeof(token))) {
        from_cookie = true;
    } else {
        return 0; /* anonymous */
    }
    int st = sb__authenticate_token(api, token, tp, who);
    who->cookie = from_cookie && st == 0;
    if (from_cookie && who->role == SB__ROLE_CUSTOMER) return 401; /* never a cookie */
    return st;
}

int sb__authenticate_token(sb_api *api, const char *token, sb__tenant **tp, sb__who *who) {
    memset(who, 0, sizeof(*who));
    who->user = "";
    sb__tenant *t;
    sb__cred *c = lookup(api, token, &t);
    if (c == NULL) return 401;
    who->cred = c;
    who->user = c->user;
    if (c->ix) {
        who->role = SB__ROLE_CUSTOMER;
        who->ix = c->ix;
    } else if (c->api_key) {
        who->role = SB__ROLE_INTEGRATION;
        who->scopes = c->scopes;
    } else if (!fill_user(t, c->user, who)) {
        return 401; /* the user was deleted */
    }
    *tp = t;
    return 0;
}

double sb__rate_wait(sb_api *api, sb__who *who) {
    sb__cred *c = who->cred;
    if (c == NULL || api->rate <= 0) return 0;
    int64_t now = sb__now(api);
    double burst = 2 * api->rate;
    if (c->tokens_at == 0) c->tokens = burst;
    c->tokens = fmin(burst, c->tokens + (double)(now - c->tokens_at) * api->rate / 1000.0);
    c->tokens_at = now;
    if (c->tokens >= 1) {
        c->tokens -= 1;
        return 0;
    }
    return (1 - c->tokens) / api->rate;
}

bool sb__csrf_ok(const sb__req *r) {
    if (!r->who.cookie) return true;
    const char *m = sb_http_request_method(r->http);
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) return true;
    const char *h = sb_http_request_header(r->http, "X-CSRF-Token");
    return h && strlen(h) == strlen(r->who.cred->csrf) &&
           sodium_memcmp(h, r->who.cred->csrf, strlen(h)) == 0;
}

/* ---- the stored credentials -------------------------------------------------- */

static sb__cred *cred_add(sb__tenant *t, const uint8_t hash[32]) {
    sb__cred *c = sb_calloc(1, sizeof(*c));
    memcpy(c->hash, hash, 32);
    sb__cred *old = sb_map_get(&t->creds, key_of(hash));
    sb_free(old); /* a collision of 64 bits of BLAKE2b: the newer wins */
    sb_map_put(&t->creds, key_of(hash), c);
    return c;
}

static int load_session(void *data, const sb_store_doc *d) {
    sb__tenant *t = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    uint8_t hash[32];
    size_t n = 0;
    const char *user = json_string_value(json_object_get(o, "user"));
    if (user && sodium_hex2bin(hash, 32, d->id, strlen(d->id), NULL, &n, NULL) == 0 && n == 32) {
        sb__cred *c = cred_add(t, hash);
        snprintf(c->user, sizeof(c->user), "%s", user);
        c->expires_at = json_integer_value(json_object_get(o, "expires_at"));
        snprintf(c->csrf, sizeof(c->csrf), "%s", json_string_value(json_object_get(o, "csrf")) ?: "");
    }
    json_decref(o);
    return 0;
}

static int load_customer(void *data, const sb_store_doc *d) {
    sb__tenant *t = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    uint8_t hash[32];
    size_t n = 0;
    json_int_t ix = json_integer_value(json_object_get(o, "interaction"));
    if (ix > 0 && sodium_hex2bin(hash, 32, d->id, strlen(d->id), NULL, &n, NULL) == 0 && n == 32) {
        sb__cred *c = cred_add(t, hash);
        c->ix = (uint64_t)ix;
        snprintf(c->user, sizeof(c->user), "customer:%lld", (long long)ix);
        c->expires_at = json_integer_value(json_object_get(o, "expires_at"));
    }
    json_decref(o);
    return 0;
}

void sb__customer_token(sb__txn *x, uint64_t ix, char *out) {
    sb__tenant *t = sb__txn_tenant(x);
    uint8_t hash[32];
    new_token(t, 'c', out, hash);
    sb__cred *c = cred_add(t, hash);
    c->ix = ix;
    snprintf(c->user, sizeof(c->user), "customer:%llu", (unsigned long long)ix);
    c->expires_at = sb__now(t->api) + CUSTOMER_TTL_MS;
    char id[65];
    hex(hash, 32, id);
    json_t *doc = json_pack("{s:I, s:I}", "interaction", (json_int_t)ix, "expires_at", (json_int_t)c->expires_at);
    sb__txn_put_doc(x, "chat_session", id, doc);
    json_decref(doc);
}

static uint32_t scopes_of(json_t *arr, const char **bad) {
    uint32_t s = 0;
    size_t i;
    json_t *v;
    *bad = NULL;
    json_array_foreach(arr, i, v) {
        size_t k = 0;
        while (k < NSCOPES && (!json_is_string(v) || strcmp(json_string_value(v), scope_names[k]))) k++;
        if (k == NSCOPES) *bad = json_is_string(v) ? json_string_value(v) : "?";
        else s |= 1u << k;
    }
    return s;
}

static int load_key(void *data, const sb_store_doc *d) {
    sb__tenant *t = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    uint8_t hash[32];
    size_t n = 0;
    const char *h = json_string_value(json_object_get(o, "hash")), *bad;
    if (h && sodium_hex2bin(hash, 32, h, strlen(h), NULL, &n, NULL) == 0 && n == 32) {
        sb__cred *c = cred_add(t, hash);
        c->api_key = true;
        snprintf(c->user, sizeof(c->user), "%s", d->id);
        c->scopes = scopes_of(json_object_get(o, "scopes"), &bad);
    }
    json_decref(o);
    return 0;
}

static int load_password(void *data, const sb_store_doc *d) {
    sb__tenant *t = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    json_t *h = json_object_get(o, "hash");
    if (json_is_string(h)) json_object_set(t->passwords, d->id, h);
    json_decref(o);
    return 0;
}

int sb__auth_load(sb__tenant *t) {
    sb_store *st = t->api->env.store;
    if (sb_store_doc_list(st, t->id, "session", NULL, 0, load_session, t, NULL) < 0 ||
        sb_store_doc_list(st, t->id, "api_key", NULL, 0, load_key, t, NULL) < 0 ||
        sb_store_doc_list(st, t->id, "password", NULL, 0, load_password, t, NULL) < 0 ||
        sb_store_doc_list(st, t->id, "chat_session", NULL, 0, load_customer, t, NULL) < 0)
        return SB_EIO;
    return SB_OK;
}

void sb__creds_prune(sb__tenant *t, sb_store_batch *b, int64_t now) {
    enum { MAX = 10000 }; /* per pass: bounded work, the rest next time */
    uint64_t *gone = sb_malloc(MAX * sizeof(*gone));
    size_t n = 0;
    uint32_t it = 0;
    uint64_t key;
    void *val;
    while (n < MAX && sb_map_next(&t->creds, &it, &key, &val)) {
        sb__cred *c = val;
        if (c->api_key || c->expires_at == 0 || c->expires_at > now) continue;
        char id[65];
        hex(c->hash, 32, id);
        sb_store_batch_delete(b, t->id, c->ix ? "chat_session" : "session", id, SB_STORE_ANY_VERSION);
        gone[n++] = key;
    }
    for (size_t i = 0; i < n; i++) {
        sb_free(sb_map_get(&t->creds, gone[i]));
        sb_map_del(&t->creds, gone[i]);
    }
    sb_free(gone);
}

void sb__auth_free(sb__tenant *t) {
    sb_map_free_all(&t->creds, sb_free);
    json_decref(t->passwords);
}

int sb__password_hash(const char *password, char *out) {
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
               ? SB_OK
               : SB_ELIMIT;
}

void sb__password_stage(sb__txn *x, const char *user, const char *hash) {
    json_object_set_new(sb__txn_tenant(x)->passwords, user, json_string(hash));
    json_t *doc = json_pack("{s:s}", "hash", hash);
    sb__txn_put_doc(x, "password", user, doc);
    json_decref(doc);
}

/* Revoke every session of user (on logout everywhere, password change,
 * deletion). */
void sb__sessions_revoke(sb__txn *x, const char *user) {
    sb__tenant *t = sb__txn_tenant(x);
    size_t n, total = 0;
    do { /* collected in rounds: the map must not change while walked */
        uint32_t it = 0;
        uint64_t key;
        void *val;
        sb__cred *gone[256];
        n = 0;
        while (n < 256 && sb_map_next(&t->creds, &it, &key, &val)) {
            sb__cred *c = val;
            if (!c->api_key && !strcmp(c->user, user)) gone[n++] = c;
        }
        for (size_t i = 0; i < n; i++) {
            char id[65];
            hex(gone[i]->hash, 32, id);
            sb_store_batch_delete(sb__txn_batch(x), t->id, "session", id, SB_STORE_ANY_VERSION);
            sb_map_del(&t->creds, key_of(gone[i]->hash));
            sb_free(gone[i]);
        }
        total += n;
    } while (n == 256);
    if (total) sb__stream_revoke(t, user);
}

/* ---- login throttle ------------------------------------------------------------ */

typedef struct throttle {
    uint32_t failures;
    int64_t until, last;
} throttle;

static uint64_t throttle_key(const char *a, const char *b) {
    uint8_t h[8];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)a, strlen(a) + 1);
    crypto_generichash_update(&st, (const unsigned char *)b, strlen(b));
    crypto_generichash_final(&st, h, sizeof(h));
    uint64_t k;
    memcpy(&k, h, 8);
    return k;
}

/* The peer's address without its port. */
static void peer_host(const sb_http_request *req, char *out, size_t size) {
    snprintf(out, size, "%s", sb_http_request_remote(req));
    char *colon = strrchr(out, ':');
    if (colon) *colon = '\0';
}

/* Seconds to wait before another attempt for these keys, 0 if allowed. */
static int64_t throttled(sb_api *api, const uint64_t keys[2]) {
    int64_t now = sb__now(api), wait = 0;
    for (int i = 0; i < 2; i++) {
        throttle *th = sb_map_get(&api->throttle, keys[i]);
        if (th && th->until > now && (th->until - now + 999) / 1000 > wait) wait = (th->until - now + 999) / 1000;
    }
    return wait;
}

static void throttle_note(sb_api *api, const uint64_t keys[2], bool ok) {
    int64_t now = sb__now(api);
    for (int i = 0; i < 2; i++) {
        throttle *th = sb_map_get(&api->throttle, keys[i]);
        if (ok) {
            if (i == 0 && th) sb_free(sb_map_del(&api->throttle, keys[i]));
            continue;
        }
        if (th == NULL) {
            th = sb_calloc(1, sizeof(*th));
            sb_map_put(&api->throttle, keys[i], th);
        }
        th->failures++;
        th->last = now;
        if (th->failures >= THROTTLE_FREE) {
            int64_t s = 1LL << (th->failures - THROTTLE_FREE < 10 ? th->failures - THROTTLE_FREE : 10);
            th->until = now + 1000 * (s < THROTTLE_MAX_S ? s : THROTTLE_MAX_S);
        }
    }
}

void sb__throttle_prune(sb_api *api) {
    int64_t old = sb__now(api) - 2 * THROTTLE_MAX_S * 1000LL;
    uint32_t it = 0;
    uint64_t key, gone[512];
    void *val;
    size_t n = 0;
    while (sb_map_next(&api->throttle, &it, &key, &val) && n < 512)
        if (((throttle *)val)->last < old) gone[n++] = key;
    for (size_t i = 0; i < n; i++) sb_free(sb_map_del(&api->throttle, gone[i]));
}

/* ---- routes --------------------------------------------------------------------- */

typedef struct hash_work {
    uv_work_t w;
    sb__req r;        /* a copy: the request outlives the handler */
    json_t *body;
    char user[72];
    char actor[72];   /* who asked: r.who.user lives in a session, which may end meanwhile */
    char password[256];
    char hash[crypto_pwhash_STRBYTES];
    bool verify, ok, known; /* known: a real user's hash, not the stand-in */
    uint64_t keys[2];
} hash_work;

static void work_hash(uv_work_t *w) {
    hash_work *h = w->data;
    if (h->verify)
        h->ok = h->hash[0] && crypto_pwhash_str_verify(h->hash, h->password, strlen(h->password)) == 0;
    else
        h->ok = sb__password_hash(h->password, h->hash) == SB_OK;
    sodium_memzero(h->password, sizeof(h->password));
}

static void set_cookie(sb_http_request *req, const char *name, const char *value, bool http_only,
                       int64_t max_age_s) {
    char c[320];
    snprintf(c, sizeof(c), "%s=%s; Path=/; SameSite=Strict; Max-Age=%lld%s%s", name, value,
             (long long)max_age_s, http_only ? "; HttpOnly" : "",
             sb__is_tls(req) ? "; Secure" : "");
    sb_http_response_header(req, "Set-Cookie", c);
}

static void after_login(uv_work_t *w, int status) {
    hash_work *h = w->data;
    sb__req *r = &h->r;
    sb__tenant *t = r->t;
    bool ok = h->ok && h->known && status == 0;
    throttle_note(r->api, h->keys, ok);
    sb__who who = {.user = ""};
    if (!ok || !fill_user(t, h->user, &who)) {
        sb__problem(r->http, 401, "invalid_credentials", NULL, "wrong user or password");
    } else {
        char token[TOKEN_MAX], csrf[48];
        uint8_t hash[32], raw[24];
        new_token(t, 't', token, hash);
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(csrf, sizeof(csrf), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        int64_t ttl = r->api->env.session_ms ? r->api->env.session_ms : 12 * 3600 * 1000LL;
        int64_t expires = sb__now(r->api) + ttl;
        sb__cred *c = cred_add(t, hash);
        snprintf(c->user, sizeof(c->user), "%s", h->user);
        snprintf(c->csrf, sizeof(c->csrf), "%s", csrf);
        c->expires_at = expires;
        char id[65];
        hex(hash, 32, id);
        sb__txn *x = sb__txn_begin(t, r->http);
        json_t *doc = json_pack("{s:s, s:I, s:s}", "user", h->user, "expires_at", (json_int_t)expires, "csrf", csrf);
        sb__txn_put_doc(x, "session", id, doc);
        json_decref(doc);
        set_cookie(r->http, "sb_session", token, true, ttl / 1000);
        set_cookie(r->http, "sb_csrf", csrf, false, ttl / 1000);
        sb__txn_respond(x, 200,
                        json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:o}}", "token", token, "csrf_token", csrf,
                                  "expires_at", (json_int_t)expires, "user", "id", h->user, "role",
                                  sb__role_name(who.role), "agent",
                                  who.agent ? json_string(sb__name(t, who.agent)) : json_null()),
                        0);
        sb__audit(x, h->user, "login", "sessions", h->user, NULL, NULL);
        sb__txn_commit(x);
    }
    json_decref(h->body);
    sb_free(h);
}

/* POST /v1/auth/login {tenant?, user, password} */
void sb__auth_login(sb__req *r) {
    static const char *const fields[] = {"tenant", "user", "password", NULL};
    json_t *body = sb__body(r);
    if (body == NULL || !sb__check_fields(r, body, "", fields)) {
        json_decref(body);
        return;
    }
    const char *tenant = json_string_value(json_object_get(body, "tenant"));
    const char *user = json_string_value(json_object_get(body, "user"));
    const char *password = json_string_value(json_object_get(body, "password"));
    if (!user || !password || strlen(user) > 64 || strlen(password) > 200) {
        json_decref(body);
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", user ? "password" : "user"),
                    "user and password are required");
        return;
    }
    char host[64];
    peer_host(r->http, host, sizeof(host));
    hash_work *h = sb_calloc(1, sizeof(*h));
    h->keys[0] = throttle_key(tenant ? tenant : "default", user);
    h->keys[1] = throttle_key("", host);
    int64_t wait = throttled(r->api, h->keys);
    if (wait) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%lld", (long long)wait);
        sb_http_response_header(r->http, "Retry-After", ra);
        sb__problem(r->http, 429, "too_many_attempts", NULL, "too many failed logins: wait %lld s", (long long)wait);
        sb_free(h);
        json_decref(body);
        return;
    }
    sb__tenant *t = sb__tenant_find(r->api, tenant ? tenant : "default");
    h->r = *r;
    h->r.t = t ? t : r->api->tenants;
    h->body = body;
    h->verify = true;
    snprintf(h->user, sizeof(h->user), "%s", user);
    snprintf(h->password, sizeof(h->password), "%s", password);
    /* An unknown user or tenant is checked against a fixed hash all the
     * same, so the answer takes as long and says as little. */
    static char dummy[crypto_pwhash_STRBYTES];
    if (!dummy[0]) sb__password_hash("not a password", dummy);
    const char *stored = t ? json_string_value(json_object_get(t->passwords, user)) : NULL;
    h->known = stored != NULL;
    snprintf(h->hash, sizeof(h->hash), "%s", stored ? stored : dummy);
    h->w.data = h;
    uv_queue_work(r->api->env.loop, &h->w, work_hash, after_login);
}

/* POST /v1/auth/logout: this session ends. */
void sb__auth_logout(sb__req *r) {
    sb__cred *c = r->who.cred;
    sb__txn *x = sb__txn_begin(r->t, r->http);
    if (c && !c->api_key) {
        char id[65];
        hex(c->hash, 32, id);
        sb_store_batch_delete(sb__txn_batch(x), r->t->id, "session", id, SB_STORE_ANY_VERSION);
        sb_map_del(&r->t->creds, key_of(c->hash));
        sb__audit(x, c->user, "logout", "sessions", c->user, NULL, NULL);
        sb__stream_revoke(r->t, c->user);
        sb_free(c);
        r->who.cred = NULL;
    }
    set_cookie(r->http, "sb_session", "", true, 0);
    set_cookie(r->http, "sb_csrf", "", false, 0);
    sb__txn_respond(x, 204, NULL, 0);
    sb__txn_commit(x);
}

/* GET /v1/auth/me */
void sb__auth_me(sb__req *r) {
    json_t *scopes = json_array();
    for (size_t k = 0; k < NSCOPES; k++)
        if (r->who.scopes & (1u << k)) json_array_append_new(scopes, json_string(scope_names[k]));
    sb__send(r->http, 200,
             json_pack("{s:s, s:s, s:s, s:o, s:o}", "tenant", r->t->name, "user", r->who.user, "role",
                       sb__role_name(r->who.role), "agent",
                       r->who.agent ? json_string(sb__name(r->t, r->who.agent)) : json_null(), "scopes",
                       scopes),
             0);
}

static void after_password(uv_work_t *w, int status) {
    hash_work *h = w->data;
    sb__req *r = &h->r;
    if (!h->ok || status != 0) {
        sb__problem(r->http, 503, "hash_failed", NULL, "the password could not be hashed");
    } else if (json_object_get(r->t->res[SB__RES_USER], h->user) == NULL) {
        sb__problem(r->http, 404, "not_found", NULL, "no such user");
    } else {
        sb__txn *x = sb__txn_begin(r->t, r->http);
        sb__password_stage(x, h->user, h->hash);
        sb__sessions_revoke(x, h->user);
        sb__audit(x, h->actor, "password", "users", h->user, NULL, NULL);
        sb__txn_respond(x, 204, NULL, 0);
        sb__txn_commit(x);
    }
    json_decref(h->body);
    sb_free(h);
}

/* PUT /v1/users/{id}/password {password}: admins, or a user for itself.
 * Every session of the user is revoked. */
void sb__user_password(sb__req *r) {
    static const char *const fields[] = {"password", NULL};
    json_t *body = sb__body(r);
    if (body == NULL || !sb__check_fields(r, body, "", fields)) {
        json_decref(body);
        return;
    }
    const char *pw = json_string_value(json_object_get(body, "password"));
    /* An API key is nobody's self, even if a user has its id. */
    bool self = r->who.cred && !r->who.cred->api_key && !strcmp(r->who.user, r->id);
    if (json_object_get(r->t->res[SB__RES_USER], r->id) == NULL || (r->who.role != SB__ROLE_ADMIN && !self)) {
        json_decref(body);
        sb__problem(r->http, 404, "not_found", NULL, "no such user");
        return;
    }
    if (!pw || strlen(pw) < 10 || strlen(pw) > 200) {
        json_decref(body);
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "password"),
                    "password: 10 to 200 characters");
        return;
    }
    hash_work *h = sb_calloc(1, sizeof(*h));
    h->r = *r;
    h->r.who.cred = NULL; /* may be gone when the hash is done */
    snprintf(h->actor, sizeof(h->actor), "%s", r->who.user);
    h->r.who.user = h->actor;
    h->body = body;
    snprintf(h->user, sizeof(h->user), "%.64s", r->id);
    snprintf(h->password, sizeof(h->password), "%s", pw);
    h->w.data = h;
    uv_queue_work(r->api->env.loop, &h->w, work_hash, after_password);
}

/* ---- API keys --------------------------------------------------------------------- */

static int list_key(void *data, const sb_store_doc *d) {
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o) {
        json_object_del(o, "hash");
        json_array_append_new(data, o);
    }
    return 0;
}

void sb__keys_list(sb__req *r) {
    json_t *items = json_array();
    sb_store_doc_list(r->api->env.store, r->t->id, "api_key", NULL, 0, list_key, items, NULL);
    sb__send(r->http, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"), 0);
}

void sb__keys_create(sb__req *r) {
    static const char *const fields[] = {"name", "scopes", NULL};
    json_t *body = sb__body(r);
    if (body == NULL || !sb__check_fields(r, body, "", fields)) goto out;
    const char *name = json_string_value(json_object_get(body, "name")), *bad;
    json_t *scopes = json_object_get(body, "scopes");
    if (!name || !*name || strlen(name) > 200) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "name"), "name: 1 to 200 characters");
        goto out;
    }
    uint32_t bits = scopes_of(scopes, &bad);
    if (!json_is_array(scopes) || json_array_size(scopes) == 0 || bad) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "scopes"),
                    "scopes: a non-empty list of known scopes%s%s", bad ? ", not " : "", bad ? bad : "");
        goto out;
    }
    char token[TOKEN_MAX], id[17], hashhex[65];
    uint8_t hash[32], raw[8];
    new_token(r->t, 'k', token, hash);
    randombytes_buf(raw, sizeof(raw));
    hex(raw, sizeof(raw), id);
    hex(hash, 32, hashhex);
    sb__cred *c = cred_add(r->t, hash);
    c->api_key = true;
    c->scopes = bits;
    snprintf(c->user, sizeof(c->user), "%s", id);
    int64_t now = sb__now(r->api);
    json_t *doc = json_pack("{s:s, s:s, s:O, s:s, s:I, s:s}", "id", id, "name", name, "scopes", scopes,
                            "hash", hashhex, "created_at", (json_int_t)now, "created_by", r->who.user);
    sb__txn *x = sb__txn_begin(r->t, r->http);
    sb__txn_put_doc(x, "api_key", id, doc);
    json_object_del(doc, "hash");
    sb__audit(x, r->who.user, "create", "api-keys", id, NULL, doc);
    json_object_set_new(doc, "key", json_string(token));
    sb__txn_respond(x, 201, doc, 0);
    sb__txn_commit(x);
out:
    json_decref(body);
}

void sb__keys_delete(sb__req *r) {
    sb_store_doc d;
    if (!sb__valid_id(r->id) || sb_store_doc_get(r->api->env.store, r->t->id, "api_key", r->id, &d)) {
        sb__problem(r->http, 404, "not_found", NULL, "no such API key");
        return;
    }
    json_t *o = json_loadb(d.body, d.len, 0, NULL);
    sb_store_doc_free(&d);
    const char *h = json_string_value(json_object_get(o, "hash"));
    uint8_t hash[32];
    size_t n = 0;
    if (h && sodium_hex2bin(hash, 32, h, strlen(h), NULL, &n, NULL) == 0 && n == 32) {
        sb__cred *c = sb_map_get(&r->t->creds, key_of(hash));
        if (c && c->api_key) {
            sb_map_del(&r->t->creds, key_of(hash));
            sb_free(c);
        }
    }
    sb__stream_revoke(r->t, r->id); /* its streams end with it (4401) */
    json_object_del(o, "hash");
    sb__txn *x = sb__txn_begin(r->t, r->http);
    sb_store_batch_delete(sb__txn_batch(x), r->t->id, "api_key", r->id, SB_STORE_ANY_VERSION);
    sb__audit(x, r->who.user, "delete", "api-keys", r->id, o, NULL);
    sb__txn_respond(x, 204, NULL, 0);
    sb__txn_commit(x);
    json_decref(o);
}
