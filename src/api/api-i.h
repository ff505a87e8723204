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
#include "core/core.h"

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
    int64_t version; /* of its "ix" document */
    int64_t created_at, ended_at;
    sb_id queue, agent, preferred;
    uint8_t channel, state;
    int32_t priority;
    int64_t arrived_at;
    char *customer;  /* NULL: none */
    char *attrs;     /* the attributes object as JSON text */
    struct sb__offer {
        sb_id agent;
        int64_t deadline;
    } offers[SB__MAX_OFFERS]; /* outstanding offers (broadcast: several) */
    uint8_t noffers;
    bool dirty;      /* changed since its document was last put */
    struct sb__rec *next_dirty;
} sb__rec;

/* The document of an interaction (without history). */
json_t *sb__rec_json(const sb__tenant *t, const sb__rec *x);
void sb__rec_free(sb__rec *x);
/* Store document id of an interaction: zero-padded, so ids sort. */
void sb__rec_docid(uint64_t id, char out[24]);

/* ---- tenants (tenant.c) ----------------------------------------------- */

struct sb__tenant {
    uint64_t id;
    char name[72];
    sb_api *api;
    sb_core *core;
    json_t *res[SB__RES_COUNT]; /* id -> stored object, with "version" */
    sb_map live;                /* interaction id -> sb__rec */
    sb__rec *dirty;              /* records changed in this turn */
    uint64_t published;         /* the last seq streamed (durable) */
    sb__sub *subs;              /* stream subscribers */
    sb_map idem_pending;        /* hash of an Idempotency-Key in flight -> 1 */
    uv_timer_t timer;           /* the core's next deadline */
    int64_t timer_at;
    uv_timer_t grace;           /* after a restart: agents' reconnect grace */
    sb_id *grace_agents;        /* the agents restored logged in, while it runs */
    size_t ngrace;
    struct sb__tenant *next;
};

struct sb_api {
    sb_api_env env;
    sb__tenant *tenants;
    uint64_t next_tenant;
    int64_t clock_base;         /* wall ms at start minus uv_now at start */
    int64_t grace_ms;           /* agents' reconnect grace after a restart */
    uv_idle_t catchup;          /* feeds resuming stream subscribers */
    uv_timer_t prune;           /* drops journal events and idempotency keys
                                 * older than SB__RETAIN_MS, every few minutes */
    int catching_up;            /* subscribers still reading the journal */
    bool started;               /* sb_api_start succeeded: prune runs */
    bool stopping;
};

/* Events are kept this long at least (stream resume), and idempotency
 * keys too; older ones are pruned in bounded steps. */
#define SB__RETAIN_MS (25 * 3600 * 1000LL)
#define SB__PRUNE_EVERY_MS (5 * 60 * 1000)
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
/* What to answer once durable: status and a JSON document (stolen; NULL:
 * no body), an ETag version (0: none). */
void sb__txn_respond(sb__txn *x, int status, json_t *doc, int64_t etag);
/* Answer with interaction id's document as this transaction puts it
 * (the last state, even when it has just ended), with its ETag. */
void sb__txn_respond_rec(sb__txn *x, int status, uint64_t id);
/* Remember the response under an Idempotency-Key (in the same batch). */
void sb__txn_idem(sb__txn *x, const char *key);
/* Hand the transaction to the store. */
void sb__txn_commit(sb__txn *x);
/* Commit and run the loop until it is durable (start-up only). */
int sb__txn_wait(sb__txn *x, char *err, size_t errlen);
/* Drop a transaction that staged nothing (a refused request). */
void sb__txn_abandon(sb__txn *x);

/* The key of an Idempotency-Key in tenant->idem_pending (FNV-1a). */
static inline uint64_t sb__idem_hash(const char *key) {
    uint64_t h = 1469598103934665603ull;
    while (*key) h = (h ^ (unsigned char)*key++) * 1099511628211ull;
    return h;
}

/* Put a resource document into the batch. */
void sb__txn_put_doc(sb__txn *x, const char *kind, const char *id, const json_t *doc);

/* ---- requests (api.c) ------------------------------------------------- */

typedef struct sb__req {
    sb_api *api;
    sb_http_request *http;
    sb__tenant *t;
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
/* A valid configuration id (1-64 of A-Z a-z 0-9 _ . -). */
bool sb__valid_id(const char *s);

/* Route handlers, by file. */
void sb__res_list(sb__req *r);
void sb__res_get(sb__req *r);
void sb__res_create(sb__req *r);
void sb__res_put(sb__req *r);
void sb__res_delete(sb__req *r);

void sb__ix_create(sb__req *r);
void sb__ix_get(sb__req *r);
void sb__ix_list(sb__req *r);
void sb__ix_patch(sb__req *r);
void sb__ix_action(sb__req *r);
void sb__ix_explain(sb__req *r);

void sb__agent_state(sb__req *r);
void sb__agent_action(sb__req *r);

void sb__stream_open(sb__req *r);

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
/* Close every subscriber with 1001 (shutdown). */
void sb__stream_close_all(sb_api *api);
/* An agent's desktop is connected (for the reconnect grace). */
bool sb__stream_agent_connected(const sb__tenant *t, sb_id agent);

/* The JSON of an event ("type": "event"); caller frees. */
char *sb__event_text(const sb__tenant *t, const sb_event *e, size_t *len);

/* ---- start-up (restore.c) --------------------------------------------- */

int sb__restore(sb__tenant *t, char *err, size_t errlen);

#endif
