/* api-i.h: the API's internals, shared by its files (sb__ prefix).
 *
 * Who owns what.  sb_api holds the tenants; a tenant (sb__tenant) holds its
 * routing core, its configuration resources (JSON objects, the stored
 * documents), its live interactions and its stream subscribers.  All of it
 * lives on the loop thread.
 *
 * The write path (commit.c).  A handler validates, changes the core and
 * the resources in memory, then hands a transaction to the store: the
 * core's new events (journal), the documents they touched, the response.
 * The response goes out, and the events to the stream, only when the
 * store says the batch is durable.  Reads answer from memory or from the
 * store's committed data and never wait. */
#ifndef SB_API_API_I_H
#define SB_API_API_I_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "base/map.h"
#include "base/multimap.h"
#include "core/core.h"
#include "net/ws.h"

typedef struct sb__tenant sb__tenant;
typedef struct sb__sub sb__sub;

/* ---- configuration resources (resources.c) ---------------------------- */

typedef enum sb__res {
    SB__RES_SKILL,
    SB__RES_TEAM,
    SB__RES_WRAPUP,
    SB__RES_REASON,
    SB__RES_FIELD,
    SB__RES_PROFILE,
    SB__RES_QUEUE,
    SB__RES_AGENT,
    SB__RES_USER,
    SB__RES_COUNT
} sb__res;

/* "skills", ... (the collection in the URL) and the store's document kind. */
const char *sb__res_collection(int res);
const char *sb__res_kind(int res);

/* ---- interactions (ix.c) ---------------------------------------------- */

#define SB__MAX_OFFERS 8 /* offers of one interaction an agent's state lists */

/* A live interaction's record; terminal ones live only in the store. */
typedef struct sb__rec {
    uint64_t id;
    int64_t version; /* of its document ("live", then "ix") */
    int64_t created_at, ended_at;
    sb_id queue, agent, preferred;
    int64_t preferred_until; /* 0: no limit (while preferred is set) */
    int64_t answered_at;     /* first accepted, 0 if never */
    sb_id wrapup_code;       /* given at completion */
    uint8_t channel, state;
    int32_t priority;
    uint32_t slot;   /* the core's hint for it (sb_event.slot) */
    int64_t arrived_at;
    char *customer;  /* NULL: none */
    char *attrs;     /* the attributes object as JSON text */
    char *contact;   /* web chat: {name, email} as JSON text; NULL: none */
    uint32_t nmsg, nnotes; /* chat messages and notes so far (chat.c) */
    struct sb__offer {
        sb_id agent;
        int64_t deadline;
    } offers[SB__MAX_OFFERS]; /* outstanding offers (broadcast: several) */
    uint8_t noffers;
    /* the agents whose work index lists it (agents.c: sb__work_update) */
    sb_id listed[1 + SB__MAX_OFFERS];
    uint8_t nlisted;
    bool dirty;      /* changed since its document was last put */
    struct sb__rec *next_dirty;
} sb__rec;

/* The document of an interaction (without history), as compact JSON text
 * (sb_free; *len its length if len) or as a jansson object. */
char *sb__rec_text(const sb__tenant *t, const sb__rec *x, size_t *len);
json_t *sb__rec_json(const sb__tenant *t, const sb__rec *x);
void sb__rec_free(sb__rec *x);
/* Store document id of an interaction: zero-padded, so ids sort. */
void sb__rec_docid(uint64_t id, char out[24]);

/* ---- identity (auth.c) ------------------------------------------------- */

typedef enum sb__role {
    SB__ROLE_NONE = 0, /* not authenticated */
    SB__ROLE_ADMIN,
    SB__ROLE_SUPERVISOR,
    SB__ROLE_AGENT,
    SB__ROLE_INTEGRATION,
    SB__ROLE_CUSTOMER, /* a web chat customer: its one conversation (chat.c) */
} sb__role;

/* The scopes an API key may carry. */
#define SB__SCOPE_MAP(X)                           \
    X(CONFIG_READ, "config:read")                  \
    X(CONFIG_WRITE, "config:write")                \
    X(INTERACTIONS_READ, "interactions:read")      \
    X(INTERACTIONS_WRITE, "interactions:write")    \
    X(AGENTS_READ, "agents:read")                  \
    X(AGENTS_WRITE, "agents:write")                \
    X(STREAM_READ, "stream:read")                  \
    X(AUDIT_READ, "audit:read")                    \
    X(STATS_READ, "stats:read")

enum {
#define SB__SCOPE_BIT(name, str) SB__SCOPE_BIT_##name,
    SB__SCOPE_MAP(SB__SCOPE_BIT)
#undef SB__SCOPE_BIT
};
#define SB__SCOPE(name) (1u << SB__SCOPE_BIT_##name)

/* A session (login) or an API key: what a bearer token stands for. */
typedef struct sb__cred {
    uint8_t hash[32];  /* BLAKE2b of the secret; the secret is never kept */
    bool api_key;
    char user[72];     /* the user, or the API key's id */
    uint32_t scopes;   /* API keys */
    uint64_t ix;       /* customer tokens: the conversation's interaction */
    int64_t expires_at; /* sessions; 0: never (API keys until revoked) */
    char csrf[48];     /* sessions: the value X-CSRF-Token must carry */
    double tokens;     /* request rate limit: a token bucket */
    int64_t tokens_at;
} sb__cred;

/* Who is asking. */
typedef struct sb__who {
    int role;          /* sb__role */
    const char *user;  /* user id (or API key id); "" when none */
    sb_id agent;       /* the user's agent, 0 if none */
    uint32_t scopes;   /* integration: its scopes; others: 0 */
    uint64_t ix;       /* customer: its interaction */
    bool cookie;       /* authenticated by the session cookie */
    sb__cred *cred;
} sb__who;

int sb__role_parse(const char *s);
const char *sb__role_name(int role);
/* Who sent req: from "Authorization: Bearer" or the session cookie.
 * 0 with who->role NONE when the request carries neither; 0 with who and
 * *t filled for a valid token; 401 for a token that is unknown, expired,
 * revoked or of a deleted user. */
int sb__authenticate(sb_api *api, sb_http_request *req, sb__tenant **t, sb__who *who);
/* The same for a token given otherwise (the chat stream's query). */
int sb__authenticate_token(sb_api *api, const char *token, sb__tenant **t, sb__who *who);
/* A new customer token for interaction ix into out (TOKEN_MAX bytes),
 * valid 24 hours, stored in the transaction. */
#define SB__TOKEN_MAX 128
struct sb__txn;
void sb__customer_token(struct sb__txn *x, uint64_t ix, char *out);
/* Seconds to wait before the token may make another request, 0: go on. */
double sb__rate_wait(sb_api *api, sb__who *who);
/* A cookie-authenticated state-changing request carries the CSRF value. */
struct sb__req;
bool sb__csrf_ok(const struct sb__req *r);
int sb__auth_load(sb__tenant *t);
void sb__auth_free(sb__tenant *t);
/* Forget expired sessions and customer tokens (memory and store). */
void sb__creds_prune(sb__tenant *t, sb_store_batch *b, int64_t now);
void sb__throttle_prune(sb_api *api);
/* Argon2id (interactive limits) of password into out (crypto_pwhash_STRBYTES). */
int sb__password_hash(const char *password, char *out);

/* ---- the one authorization point (access.c) ---------------------------- */

typedef enum sb__rule {
    SB__RULE_PUBLIC,       /* no identity needed */
    SB__RULE_ANY,          /* any identity */
    SB__RULE_ADMIN,        /* admins only */
    SB__RULE_CONFIG_READ,
    SB__RULE_CONFIG_WRITE,
    SB__RULE_IX_CREATE,
    SB__RULE_IX_READ,
    SB__RULE_IX_WRITE,
    SB__RULE_IX_EXPLAIN,
    SB__RULE_AGENT_READ,
    SB__RULE_AGENT_WRITE,
    SB__RULE_STREAM,
    SB__RULE_AUDIT,
    SB__RULE_STATS,        /* statistics and reports of visible objects */
    SB__RULE_STATS_TENANT, /* the tenant's rollup: admin, supervisor, stats:read */
    SB__RULE_METRICS,      /* /metrics: admin, stats:read */
    SB__RULE_CUSTOMER,     /* a web chat customer's own conversation */
} sb__rule;

bool sb__access_route(const sb__who *w, int rule);
bool sb__see_agent(const sb__tenant *t, const sb__who *w, sb_id agent);
bool sb__see_queue(const sb__tenant *t, const sb__who *w, sb_id queue);
bool sb__see_resource(const sb__tenant *t, const sb__who *w, int res, const char *id);
/* An interaction in queue, with agent (0 if none) and, if live, its record. */
struct sb__rec;
bool sb__see_ix(const sb__tenant *t, const sb__who *w, sb_id queue, sb_id agent, const struct sb__rec *live);
bool sb__see_event(const sb__tenant *t, const sb__who *w, uint64_t ix, sb_id agent, sb_id target,
                   sb_id queue, sb_id queue2);

/* ---- tenants (tenant.c) ----------------------------------------------- */

struct sb__tenant {
    uint64_t id;
    char name[72];
    sb_api *api;
    sb_core *core;
    json_t *res[SB__RES_COUNT]; /* id -> stored object, with "version" */
    sb_map live;                /* interaction id -> sb__rec */
    sb_multimap agent_work;     /* agent -> the live interactions (sb__rec) it holds or is offered (agents.c) */
    sb__rec *dirty;              /* records changed in this turn */
    uint64_t published;         /* the last seq streamed (durable) */
    sb__sub *subs;              /* stream subscribers */
    sb_multimap topic_subs;     /* their index by topic (stream.c) */
    sb_map idem_pending;        /* hash of an Idempotency-Key in flight -> 1 */
    sb_map creds;               /* first 8 bytes of a token hash -> sb__cred */
    sb_map chat_conns;          /* interaction -> its customer's open streams */
    sb_map chat_gone;           /* waiting chat whose customer has no stream -> since (ms) */
    json_t *passwords;          /* user id -> Argon2id hash string */
    uint64_t audit_n;           /* audit entries written by this process */
    uv_timer_t timer;           /* the core's next deadline */
    int64_t timer_at;
    uv_timer_t grace;           /* after a restart: agents' reconnect grace */
    sb_id *grace_agents;        /* the agents restored logged in, while it runs */
    size_t ngrace;
    struct sb_stats *stats;     /* the tenant's figures (figures.c) */
    int64_t stats_day;          /* the UTC day "today" began (days since the epoch) */
    sb_map stats_dirty;         /* queues whose figures changed since the last push */
    bool stats_dirty_any;       /* anything changed since the last push (tenant topic) */
    /* After a restart, today's journal is replayed into the figures in
     * chunks (figures.c); new events wait in replay_buf meanwhile. */
    bool stats_replaying;
    uint64_t replay_next, replay_end; /* journal seqs still to read */
    sb_event *replay_buf;
    size_t replay_n, replay_cap;
    struct sb__tenant *next;
};

struct sb_api {
    sb_api_env env;
    sb__tenant *tenants;
    uint64_t next_tenant;
    int64_t clock_base;         /* wall ms at start minus uv_now at start */
    int64_t grace_ms;           /* agents' reconnect grace after a restart */
    double rate;                /* requests per second per token (burst: 2x) */
    sb_map throttle;            /* login failures per user and per address */
    sb_map chat_buckets;        /* new chat sessions per address (chat.c) */
    uv_idle_t catchup;          /* feeds resuming stream subscribers */
    uv_timer_t prune;           /* drops journal events and idempotency keys
                                 * older than SB__RETAIN_MS, every few minutes */
    int catching_up;            /* subscribers still reading the journal */
    bool started;               /* sb_api_start succeeded: prune runs */
    uv_idle_t replay_idle;      /* replays today's journal into the figures */
    int replaying;              /* tenants still replaying */
    bool stopping;
    int64_t stats_interval_ms;  /* length of the stored statistics intervals */
    uv_timer_t tick;            /* every second: stats clock, intervals, pushes, loop lag */
    uint64_t tick_hr;           /* uv_hrtime of the last tick */
    bool tick_started;
    struct sb__metrics *metrics; /* metrics.c */
    struct sb__web *web;        /* the browser pages (web.c), NULL: none */
    sb_ws_cork cork;            /* while corking: the streams a commit's events went to */
    bool corking;               /* events of one commit are being published */
};

/* Events are kept this long at least (stream resume), and idempotency
 * keys too; older ones are pruned in bounded steps. */
#define SB__RETAIN_MS (25 * 3600 * 1000LL)
#define SB__PRUNE_EVERY_MS (5 * 60 * 1000)
#define SB__PRUNE_FIRST_MS 2000
#define SB__PRUNE_MAX 20000

/* The API's clock: wall-clock ms, never going back within a process. */
int64_t sb__now(const sb_api *api);

sb__tenant *sb__tenant_find(sb_api *api, const char *name);
/* Create tenant `name` (stored, then usable).  Runs the loop until the
 * tenant document is committed; for start-up only. */
int sb__tenant_create(sb_api *api, const char *name, sb__tenant **out);
/* Load every tenant from the store (start-up). */
int sb__tenants_load(sb_api *api, char *err, size_t errlen);
void sb__tenants_free(sb_api *api);
/* Arm the tenant's timer at the core's next deadline. */
void sb__tenant_arm(sb__tenant *t);

/* Interned name of an id given by the core ("" for 0). */
const char *sb__name(const sb__tenant *t, sb_id id);
/* The id of a name only if the tenant's symbol table already has it. */
sb_id sb__id_of(const sb__tenant *t, const char *name);

/* ---- the write path (commit.c) ---------------------------------------- */

typedef struct sb__txn sb__txn;

/* A transaction of tenant t; req may be NULL (nobody waits). */
sb__txn *sb__txn_begin(sb__tenant *t, sb_http_request *req);
sb_store_batch *sb__txn_batch(sb__txn *x);
/* Move the core's new events into the transaction: journal, history of
 * their interactions, stream.  Idempotent; commit calls it too. */
void sb__txn_drain(sb__txn *x);
/* One event into the transaction (journal, records, figures, stream), as
 * the drain does for the core's; its seq must follow the journal's. */
void sb__txn_event(sb__txn *x, const sb_event *e);
/* What to answer once durable: status and a JSON document (stolen; NULL:
 * no body), an ETag version (0: none). */
void sb__txn_respond(sb__txn *x, int status, json_t *doc, int64_t etag);
/* Answer with interaction id's document as this transaction puts it
 * (the last state, even when it has just ended), with its ETag. */
void sb__txn_respond_rec(sb__txn *x, int status, uint64_t id);
/* Interaction id's document as this transaction puts it (or, untouched,
 * as it is live); NULL if neither.  Caller frees. */
json_t *sb__txn_rec_doc(sb__txn *x, uint64_t id);
/* Remember the response under an Idempotency-Key (in the same batch). */
void sb__txn_idem(sb__txn *x, const char *key);
/* Hand the transaction to the store. */
void sb__txn_commit(sb__txn *x);
/* Commit and run the loop until it is durable (start-up only). */
int sb__txn_wait(sb__txn *x, char *err, size_t errlen);
/* Drop a transaction that staged nothing (a refused request). */
void sb__txn_abandon(sb__txn *x);
sb__tenant *sb__txn_tenant(sb__txn *x);

/* ---- identity writes (auth.c) and the audit log (audit.c) ------------- */

void sb__password_stage(sb__txn *x, const char *user, const char *hash);
void sb__sessions_revoke(sb__txn *x, const char *user);
/* Record who did what to (collection, id), before and after (borrowed,
 * may be NULL), in the transaction of the change. */
void sb__audit(sb__txn *x, const char *actor, const char *action, const char *collection,
               const char *id, json_t *before, json_t *after);
/* Whether the request came over TLS (cookies get Secure, HSTS is sent). */
bool sb__is_tls(sb_http_request *req);

/* The key of an Idempotency-Key in tenant->idem_pending (FNV-1a). */
static inline uint64_t sb__idem_hash(const char *key) {
    uint64_t h = 1469598103934665603ull;
    while (*key) h = (h ^ (unsigned char)*key++) * 1099511628211ull;
    return h;
}

/* Events of the API's own, beyond the core's (chat.c); journaled and
 * streamed like them. */
enum { SB__EV_CHAT_MESSAGE = 100 };
/* The name of a core or API event type. */
const char *sb__event_name(int type);
/* Such an event, after the core's events so far, with the next sequence
 * number: doc (stolen) gets "type", "seq", "at", "event", "interaction",
 * "queue", "agent". */
void sb__txn_api_event(sb__txn *x, int type, uint64_t ix, sb_id queue, sb_id agent, json_t *doc);

/* Put a resource document into the batch. */
void sb__txn_put_doc(sb__txn *x, const char *kind, const char *id, const json_t *doc);

/* ---- requests (api.c) ------------------------------------------------- */

typedef struct sb__req {
    sb_api *api;
    sb_http_request *http;
    sb__tenant *t;
    sb__who who;
    const void *arg;  /* the route's argument */
    char id[160];     /* the {id} of the path, percent-decoded */
} sb__req;

/* Answer a problem; `extra` (stolen, may be NULL) adds members. */
void sb__problem(sb_http_request *req, int status, const char *code, json_t *extra,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Answer a JSON document (stolen) with an ETag when version > 0. */
void sb__send(sb_http_request *req, int status, json_t *doc, int64_t version);
/* The request's JSON body as an object, or NULL after answering 415/400. */
json_t *sb__body(sb__req *r);
/* 400 unknown_field unless every member of obj is in allowed. */
bool sb__check_fields(sb__req *r, json_t *obj, const char *path, const char *const *allowed);
/* A parsed If-Match version: 0 when absent, -1 (answered 412) when malformed. */
int64_t sb__if_match(sb__req *r);
/* Answer the status of a core call that failed (404, 409 invalid_state...). */
void sb__core_error(sb__req *r, int rc, const char *what, int state);
/* Query parameter `name` into buf (percent-decoded); false when absent. */
bool sb__query(const sb__req *r, const char *name, char *buf, size_t size);
/* The `limit` query parameter (1-1000) into *limit, left as it is when
 * absent; false after answering 400. */
bool sb__limit(sb__req *r, size_t *limit);
/* A valid configuration id (1-64 of A-Z a-z 0-9 _ . -). */
bool sb__valid_id(const char *s);

/* Route handlers, by file. */
void sb__res_list(sb__req *r);
void sb__res_get(sb__req *r);
void sb__res_create(sb__req *r);
void sb__res_put(sb__req *r);
void sb__res_delete(sb__req *r);

void sb__ix_create(sb__req *r);
/* Create an interaction from a checked body (queue, channel, priority,
 * attributes, customer, preferred_agent, preferred_wait_seconds) in the
 * core: its record (routed by the next drain), or NULL after answering. */
sb__rec *sb__rec_create(sb__req *r, json_t *body);
/* The path's interaction, unfinished, if the caller sees it; NULL after
 * answering 404 (or 409 with the state of a finished one). */
sb__rec *sb__ix_live(sb__req *r);
/* Interaction id's committed document (finished ones are not in memory),
 * or NULL; sb__ix_doc: from memory while it is live, else the same. */
json_t *sb__ix_stored(sb__req *r, uint64_t id);
json_t *sb__ix_doc(sb__req *r, uint64_t id);
/* The path's interaction's document (live or stored) if the caller sees
 * it, its id in *id; NULL after answering 404. */
json_t *sb__ix_seen(sb__req *r, uint64_t *id);
/* Mark a record changed: its document is put by the next drain. */
void sb__rec_dirty(sb__tenant *t, sb__rec *x);
/* The other interactions' index by customer (chat.c), in x's transaction. */
void sb__ix_index_customer(sb__txn *tx, const sb__rec *x);
void sb__ix_get(sb__req *r);
void sb__ix_list(sb__req *r);
void sb__ix_patch(sb__req *r);
void sb__ix_action(sb__req *r);
void sb__ix_explain(sb__req *r);

/* Keep x in the work index of the agents that hold it or are offered it
 * (none once it has ended): after each change of its agent or offers. */
void sb__work_update(sb__tenant *t, sb__rec *x);
void sb__agent_state(sb__req *r);
void sb__agent_action(sb__req *r);
void sb__directory(sb__req *r);

void sb__stream_open(sb__req *r);

void sb__chat_session(sb__req *r);
void sb__chat_conversation(sb__req *r);
void sb__chat_say(sb__req *r);
void sb__chat_typing(sb__req *r);
void sb__chat_end(sb__req *r);
void sb__ix_messages(sb__req *r);
void sb__ix_say(sb__req *r);
void sb__ix_typing(sb__req *r);
void sb__ix_notes(sb__req *r);
void sb__ix_note(sb__req *r);
void sb__ix_related(sb__req *r);
void sb__expr_check(sb__req *r);
/* Free the per-address allowances of new chats. */
void sb__chat_free(sb_api *api);
/* A customer's stream opened (+1) or closed (-1). */
void sb__chat_connected(sb__tenant *t, uint64_t ix, int delta);
/* After a restart every waiting chat's customer counts as gone from now:
 * its widget reconnects, or the chat is abandoned in time. */
void sb__chat_restored(sb__tenant *t);
/* Every second: waiting chats whose customer is gone too long abandon. */
void sb__chat_tick(sb__tenant *t, int64_t now);

void sb__auth_login(sb__req *r);
void sb__auth_logout(sb__req *r);
void sb__auth_me(sb__req *r);
void sb__user_password(sb__req *r);
void sb__keys_list(sb__req *r);
void sb__keys_create(sb__req *r);
void sb__keys_delete(sb__req *r);
void sb__audit_list(sb__req *r);

/* ---- resources in the core (resources.c) ------------------------------ */

/* Apply every stored resource to the core (start-up). */
int sb__res_load(sb__tenant *t, char *err, size_t errlen);
/* Check interaction attributes against the custom fields; false after
 * answering 400. */
bool sb__check_attrs(sb__req *r, json_t *attrs, const char *entity, const char *path);

/* ---- the stream (stream.c) -------------------------------------------- */

/* A durable event, published to the tenant's subscribers. */
void sb__stream_publish(sb__tenant *t, uint64_t seq, const sb_event *e, const char *text,
                        size_t len);
/* Typing (not stored): from the customer to the staff who see the
 * interaction, from the agent to the customer. */
void sb__stream_typing(sb__tenant *t, uint64_t ix, sb_id agent, bool from_customer, bool typing);
/* Close every subscriber with 1001 (shutdown). */
void sb__stream_close_all(sb_api *api);
/* Free the tenant's index of subscribers (at the end). */
void sb__stream_tenant_free(sb__tenant *t);
/* Close the streams of user (its session ended). */
void sb__stream_revoke(sb__tenant *t, const char *user);
/* An agent's desktop is connected (for the reconnect grace). */
bool sb__stream_agent_connected(const sb__tenant *t, sb_id agent);

/* The JSON of an event ("type": "event"); caller frees (sb_free). */
char *sb__event_text(const sb__tenant *t, const sb_event *e, size_t *len);

/* Stats topics ("stats:queue:ID", "stats:tenant"): push what changed, at
 * most once a second per topic and subscriber (called by the tick). */
void sb__stream_stats_flush(sb__tenant *t, int64_t now);
/* WebSocket clients of every tenant (metrics). */
uint32_t sb__stream_clients(const sb_api *api);

/* ---- statistics (figures.c), reports (report.c), metrics (metrics.c) ---- */

void sb__tstats_init(sb__tenant *t);
void sb__tstats_free(sb__tenant *t);
/* Keep the stats' configuration in step with resource (res, id): o the
 * new object, NULL when removed.  After the core accepted it. */
void sb__tstats_config(sb__tenant *t, int res, const char *id, json_t *o);
/* One drained core event. */
void sb__tstats_feed(sb__tenant *t, const sb_event *e);
/* Before restore: new events wait for today's journal to be replayed. */
void sb__tstats_replay_prepare(sb__tenant *t);
/* After restore: replay today's journal up to seq `end`, in chunks. */
void sb__tstats_replay_start(sb__tenant *t, uint64_t end);
/* The 1 s timer of the API (started by sb_api_start, closed by stop). */
void sb__tstats_start(sb_api *api);
void sb__tstats_stop(sb_api *api);
/* A queue's view as JSON (the stream's "stats" member); NULL if unknown. */
json_t *sb__tstats_queue_json(sb__tenant *t, sb_id queue, int64_t now);
json_t *sb__tstats_tenant_json(sb__tenant *t, int64_t now);
bool sb__see_team(const sb__tenant *t, const sb__who *w, const char *team);
bool sb__see_tenant_stats(const sb__who *w);

void sb__tstats_queues(sb__req *r);
void sb__tstats_queue(sb__req *r);
void sb__tstats_agent(sb__req *r);
void sb__tstats_team(sb__req *r);
void sb__tstats_tenant(sb__req *r);
void sb__report_intervals(sb__req *r);
void sb__report_interactions(sb__req *r);
void sb__metrics_get(sb__req *r);

/* Latency histograms (seconds) and counters for /metrics. */
#define SB__HIST_N 14
typedef struct sb__hist {
    uint64_t n[SB__HIST_N + 1]; /* per bucket (not cumulative); the last: above all bounds */
    uint64_t count;
    double sum;
} sb__hist;
void sb__hist_add(sb__hist *h, const double *bounds, double v);
extern const double sb__lat_bounds[SB__HIST_N];  /* seconds */
extern const double sb__size_bounds[SB__HIST_N]; /* counts */

typedef struct sb__metrics {
    sb__hist *route;        /* per route of the table, then one for unmatched */
    size_t nroute;
    sb__hist decision;      /* time in the core's calls on the write path */
    sb__hist commit;        /* batch submitted .. durable */
    sb__hist batch_ops;     /* operations per submitted batch */
    sb__hist loop_lag;      /* lateness of the 1 s tick */
    int64_t lag_last_us;
    int cur_route;          /* the route whose handler runs now, -1 none */
    uint64_t cur_t0;        /* its start (uv_hrtime) */
    bool cur_deferred;      /* its answer waits for a commit (counted then) */
} sb__metrics;
sb__metrics *sb__metrics_new(size_t nroutes);
void sb__metrics_free(sb__metrics *m);
/* A core call on the write path took from t0 (uv_hrtime) until now. */
void sb__metric_decision(sb_api *api, uint64_t t0);

/* ---- the browser pages (web.c) --------------------------------------- */

/* Read every file of dir (and its folders) into memory. */
int sb__web_load(sb_api *api, const char *dir, char *err, size_t errlen);
void sb__web_free(sb_api *api);
/* Is there a page for this GET or HEAD of path? */
bool sb__web_has(const sb_api *api, const char *method, const char *path);
/* Answer it (after sb__web_has said yes). */
void sb__web_serve(sb_api *api, sb_http_request *req, const char *path);

/* ---- start-up (restore.c) --------------------------------------------- */

int sb__restore(sb__tenant *t, char *err, size_t errlen);

#endif
