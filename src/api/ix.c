/* ix.c: /v1/interactions: create (idempotent), read with history, list,
 * update attributes, the lifecycle actions, explain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/jsonw.h"
#include "base/mem.h"
#include "base/status.h"
#include "config/config.h"

void sb__rec_docid(uint64_t id, char out[24]) { snprintf(out, 24, "%020llu", (unsigned long long)id); }

void sb__rec_free(sb__rec *x) {
    if (x == NULL) return;
    sb_free(x->customer);
    free(x->attrs);
    free(x->contact);
    sb_free(x);
}

static json_t *name_or_null(const sb__tenant *t, sb_id id) {
    return id ? json_string(sb__name(t, id)) : json_null();
}

/* ,"key":"name" or ,"key":null */
static void put_name(sb_jw *w, const char *key, size_t klen, const sb__tenant *t, sb_id id) {
    sb_jw_raw(w, key, klen);
    sb_jw_str(w, id ? sb__name(t, id) : NULL);
}

static void put_int_or_null(sb_jw *w, const char *key, size_t klen, bool set, int64_t v) {
    sb_jw_raw(w, key, klen);
    if (set)
        sb_jw_int(w, v);
    else
        sb_jw_lit(w, "null");
}

/* Printed directly, not through a jansson tree: it is on the write path
 * of every change of an interaction.  attrs and contact are kept as the
 * compact JSON text jansson printed, and copied as they are. */
char *sb__rec_text(const sb__tenant *t, const sb__rec *x, size_t *len) {
    sb_jw w;
    sb_jw_init(&w, 512);
    sb_jw_lit(&w, "{\"id\":\"");
    sb_jw_int(&w, (int64_t)x->id);
    put_name(&w, SB_JW_KEY("\",\"queue\":"), t, x->queue);
    sb_jw_lit(&w, ",\"channel\":");
    sb_jw_str(&w, sb_channel_name(x->channel));
    sb_jw_lit(&w, ",\"priority\":");
    sb_jw_int(&w, x->priority);
    sb_jw_lit(&w, ",\"attributes\":");
    if (x->attrs)
        sb_jw_raw(&w, x->attrs, strlen(x->attrs));
    else
        sb_jw_lit(&w, "{}");
    sb_jw_lit(&w, ",\"customer\":");
    sb_jw_str(&w, x->customer);
    sb_jw_lit(&w, ",\"state\":");
    sb_jw_str(&w, sb_ix_state_name(x->state));
    put_name(&w, SB_JW_KEY(",\"agent\":"), t, x->agent);
    put_name(&w, SB_JW_KEY(",\"preferred_agent\":"), t, x->preferred);
    put_int_or_null(&w, SB_JW_KEY(",\"preferred_until\":"), x->preferred && x->preferred_until,
                    x->preferred_until);
    put_int_or_null(&w, SB_JW_KEY(",\"arrived_at\":"), true, x->arrived_at);
    put_int_or_null(&w, SB_JW_KEY(",\"created_at\":"), true, x->created_at);
    put_int_or_null(&w, SB_JW_KEY(",\"ended_at\":"), x->ended_at, x->ended_at);
    put_int_or_null(&w, SB_JW_KEY(",\"version\":"), true, x->version);
    put_int_or_null(&w, SB_JW_KEY(",\"answered_at\":"), x->answered_at, x->answered_at);
    put_name(&w, SB_JW_KEY(",\"wrapup_code\":"), t, x->wrapup_code);
    if (x->contact) {
        sb_jw_lit(&w, ",\"contact\":");
        sb_jw_raw(&w, x->contact, strlen(x->contact));
    }
    if (x->nmsg) put_int_or_null(&w, SB_JW_KEY(",\"messages\":"), true, x->nmsg);
    if (x->nnotes) put_int_or_null(&w, SB_JW_KEY(",\"notes\":"), true, x->nnotes);
    if (x->noffers) { /* the agents it is offered to now (a restart withdraws them) */
        sb_jw_lit(&w, ",\"offered_to\":[");
        for (uint8_t i = 0; i < x->noffers; i++) {
            if (i) sb_jw_lit(&w, ",");
            sb_jw_str(&w, sb__name(t, x->offers[i].agent));
        }
        sb_jw_lit(&w, "]");
    }
    sb_jw_lit(&w, "}");
    return sb_jw_take(&w, len);
}

json_t *sb__rec_json(const sb__tenant *t, const sb__rec *x) {
    char *text = sb__rec_text(t, x, NULL);
    json_t *doc = json_loads(text, 0, NULL);
    sb_free(text);
    return doc;
}

/* The {id} of the path as an interaction id; 0 when it is not one. */
static uint64_t path_id(const sb__req *r) {
    char *end;
    if (r->id[0] < '1' || r->id[0] > '9') return 0;
    unsigned long long v = strtoull(r->id, &end, 10);
    return *end || v > INT64_MAX ? 0 : v;
}

json_t *sb__ix_stored(sb__req *r, uint64_t id) {
    char docid[24];
    sb__rec_docid(id, docid);
    sb_store_doc d;
    /* Finished: "ix".  Finishing (out of memory, its "ix" document not
     * committed yet): "live" still.  A database written before the two were
     * one may hold both for an interaction: "live" is the newer. */
    if (sb_store_doc_get(r->api->env.store, r->t->id, "live", docid, &d) != SB_OK &&
        sb_store_doc_get(r->api->env.store, r->t->id, "ix", docid, &d) != SB_OK)
        return NULL;
    json_t *doc = json_loadb(d.body, d.len, 0, NULL);
    sb_store_doc_free(&d);
    return doc;
}

json_t *sb__ix_doc(sb__req *r, uint64_t id) {
    sb__rec *x = sb_map_get(&r->t->live, id);
    return x ? sb__rec_json(r->t, x) : sb__ix_stored(r, id);
}

/* May the caller see the stored interaction document? */
static bool see_doc(const sb__req *r, json_t *doc) {
    const char *q = json_string_value(json_object_get(doc, "queue"));
    const char *a = json_string_value(json_object_get(doc, "agent"));
    return sb__see_ix(r->t, &r->who, q ? sb__id_of(r->t, q) : 0, a ? sb__id_of(r->t, a) : 0, NULL);
}

/* The live record of the path's interaction; NULL after answering 404, or
 * 409 with the state of a finished one. */
sb__rec *sb__ix_live(sb__req *r) {
    uint64_t id = path_id(r);
    sb__rec *x = id ? sb_map_get(&r->t->live, id) : NULL;
    if (x && sb__see_ix(r->t, &r->who, x->queue, x->agent, x)) return x;
    json_t *doc = id && !x ? sb__ix_stored(r, id) : NULL;
    if (doc && !see_doc(r, doc)) {
        json_decref(doc);
        doc = NULL;
    }
    if (doc == NULL) {
        sb__problem(r->http, 404, "not_found", NULL, "no such interaction");
        return NULL;
    }
    sb__problem(r->http, 409, "invalid_state", json_pack("{s:O}", "state", json_object_get(doc, "state")),
                "the interaction has ended");
    json_decref(doc);
    return NULL;
}

/* ---- create --------------------------------------------------------------- */

static bool valid_key(const char *k) {
    size_t n = strlen(k);
    if (n == 0 || n > 128) return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e) return false;
    return true;
}

/* Answer a repeated Idempotency-Key from the store; true when answered. */
static bool idem_repeat(sb__req *r, const char *key) {
    if (sb_map_get(&r->t->idem_pending, sb__idem_hash(key))) {
        sb__problem(r->http, 409, "idempotency_key_in_flight", NULL,
                    "a request with this Idempotency-Key is still being processed");
        return true;
    }
    sb_store_idem prev;
    if (sb_store_idem_get(r->api->env.store, r->t->id, key, &prev) != SB_OK) return false;
    sb_http_response_header(r->http, "Idempotent-Replayed", "true");
    json_t *doc = json_loadb(prev.body, prev.len, 0, NULL); /* the same headers as the first time */
    const char *id = json_string_value(json_object_get(doc, "id"));
    json_int_t version = json_integer_value(json_object_get(doc, "version"));
    char h[64];
    if (id && prev.status == 201) {
        snprintf(h, sizeof(h), "/v1/interactions/%s", id);
        sb_http_response_header(r->http, "Location", h);
    }
    if (version > 0) {
        snprintf(h, sizeof(h), "\"%lld\"", (long long)version);
        sb_http_response_header(r->http, "ETag", h);
    }
    json_decref(doc);
    sb_http_respond(r->http, prev.status, prev.len ? "application/json" : NULL, prev.body, prev.len);
    sb_store_idem_free(&prev);
    return true;
}

static bool field_error(sb__req *r, const char *field, const char *why) {
    sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", field), "%s: %s", field, why);
    return false;
}

/* A member naming a configured resource (string id), or absent. */
static bool ref_member(sb__req *r, json_t *body, const char *key, int res, sb_id *out) {
    json_t *v = json_object_get(body, key);
    *out = 0;
    if (v == NULL || json_is_null(v)) return true;
    if (!json_is_string(v)) return field_error(r, key, "must be a string");
    if (json_object_get(r->t->res[res], json_string_value(v)) == NULL)
        return field_error(r, key, "no such id");
    *out = sb__id_of(r->t, json_string_value(v));
    return true;
}

/* Attributes checked against the custom fields and made core values. */
static bool attrs_of(sb__req *r, json_t *attrs, sb_attr **out, uint32_t *n) {
    *out = NULL;
    *n = 0;
    if (attrs && !json_is_object(attrs)) return field_error(r, "attributes", "must be an object");
    if (!sb__check_attrs(r, attrs, "interaction", "attributes")) return false;
    sb_config_error err;
    if (sb_config_attrs_parse(r->t->core, attrs, "attributes", out, n, &err)) {
        sb_config_attrs_free(*out, *n);
        return field_error(r, err.path, err.reason);
    }
    return true;
}

void sb__ix_create(sb__req *r) {
    static const char *const fields[] = {"queue", "channel", "priority", "attributes", "customer",
                                         "preferred_agent", "preferred_wait_seconds", NULL};
    const char *key = sb_http_request_header(r->http, "Idempotency-Key");
    if (key && !valid_key(key)) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "Idempotency-Key"),
                    "Idempotency-Key must be 1 to 128 visible ASCII characters");
        return;
    }
    if (key && idem_repeat(r, key)) return;
    json_t *body = sb__body(r);
    sb__rec *x;
    if (body == NULL || !sb__check_fields(r, body, "", fields) || (x = sb__rec_create(r, body)) == NULL) {
        json_decref(body);
        return;
    }
    sb__txn *tx = sb__txn_begin(r->t, r->http);
    uint64_t id = x->id;
    sb__ix_index_customer(tx, x);
    sb__txn_drain(tx); /* routes it; it may even have ended */
    char loc[64];
    snprintf(loc, sizeof(loc), "/v1/interactions/%llu", (unsigned long long)id);
    sb_http_response_header(r->http, "Location", loc);
    sb__txn_respond_rec(tx, 201, id);
    if (key) sb__txn_idem(tx, key);
    sb__txn_commit(tx);
    json_decref(body);
}

sb__rec *sb__rec_create(sb__req *r, json_t *body) {
    sb__tenant *t = r->t;
    json_t *q = json_object_get(body, "queue"), *ch = json_object_get(body, "channel"),
           *pr = json_object_get(body, "priority"), *cust = json_object_get(body, "customer"),
           *pw = json_object_get(body, "preferred_wait_seconds");
    if (!json_is_string(q)) {
        field_error(r, "queue", "a queue id is required");
        return NULL;
    }
    if (json_object_get(t->res[SB__RES_QUEUE], json_string_value(q)) == NULL) {
        field_error(r, "queue", "no such queue");
        return NULL;
    }
    int channel = json_is_string(ch) ? sb_channel_parse(json_string_value(ch)) : -1;
    if (channel < 0) {
        field_error(r, "channel", "one of voice, chat, email, message, callback, task is required");
        return NULL;
    }
    if (pr && (!json_is_integer(pr) || json_integer_value(pr) < -1000000 ||
               json_integer_value(pr) > 1000000)) {
        field_error(r, "priority", "an integer from -1000000 to 1000000");
        return NULL;
    }
    if (cust && !json_is_null(cust) && (!json_is_string(cust) || json_string_length(cust) == 0 ||
                                        json_string_length(cust) > 256)) {
        field_error(r, "customer", "a string of 1 to 256 characters");
        return NULL;
    }
    if (pw && (!json_is_number(pw) || json_number_value(pw) < 0 || json_number_value(pw) > 86400)) {
        field_error(r, "preferred_wait_seconds", "a number from 0 to 86400");
        return NULL;
    }
    sb_id preferred;
    if (!ref_member(r, body, "preferred_agent", SB__RES_AGENT, &preferred)) return NULL;
    json_t *attrs = json_object_get(body, "attributes");
    sb_attr *av;
    uint32_t an;
    if (!attrs_of(r, attrs, &av, &an)) return NULL;

    int64_t now = sb__now(r->api);
    sb__rec *x = sb_calloc(1, sizeof(*x));
    /* Ids: the sequence number the core gives next.  Each creation uses
     * up at least that number, so ids only grow, and after a restart the
     * journal's last sequence puts them beyond every id ever given. */
    x->id = sb_core_next_seq(t->core);
    x->created_at = now;
    x->channel = (uint8_t)channel;
    x->preferred = preferred;
    x->attrs = json_is_object(attrs) ? json_dumps(attrs, JSON_COMPACT) : strdup("{}");
    x->customer = json_is_string(cust) ? sb_strdup(json_string_value(cust)) : NULL;
    sb_map_put(&t->live, x->id, x);
    sb_interaction_def def = {
        .id = x->id,
        .queue = sb__id_of(t, json_string_value(q)),
        .channel = (uint8_t)channel,
        .priority = pr ? (int32_t)json_integer_value(pr) : 0,
        .attrs = av,
        .nattrs = an,
        .customer = x->customer ? sb_core_sym(t->core, x->customer) : 0,
        .preferred_agent = preferred,
        .preferred_wait_ms = pw ? (int64_t)(json_number_value(pw) * 1000) : 0,
    };
    uint64_t t0 = uv_hrtime();
    int rc = sb_interaction_create(t->core, now, &def);
    sb__metric_decision(t->api, t0);
    sb_config_attrs_free(av, an);
    if (rc != SB_OK) {
        sb_map_del(&t->live, x->id);
        sb__rec_free(x);
        sb__core_error(r, rc, "queue", -1);
        return NULL;
    }
    return x;
}

/* ---- read --------------------------------------------------------------------- */

static int add_event(void *data, const sb_store_event *ev) {
    json_t *e = json_loadb(ev->body, ev->len, 0, NULL);
    if (e) {
        json_object_del(e, "type");
        json_array_append_new(data, e);
    }
    return 0;
}

json_t *sb__ix_seen(sb__req *r, uint64_t *idp) {
    uint64_t id = path_id(r);
    sb__rec *x = id ? sb_map_get(&r->t->live, id) : NULL;
    json_t *doc = x ? sb__rec_json(r->t, x) : id ? sb__ix_stored(r, id) : NULL;
    if (doc && !(x ? sb__see_ix(r->t, &r->who, x->queue, x->agent, x) : see_doc(r, doc))) {
        json_decref(doc);
        doc = NULL;
    }
    if (doc == NULL) sb__problem(r->http, 404, "not_found", NULL, "no such interaction");
    *idp = id;
    return doc;
}

void sb__ix_get(sb__req *r) {
    uint64_t id;
    json_t *doc = sb__ix_seen(r, &id);
    if (doc == NULL) return;
    json_t *history = json_array();
    sb_store_events_of(r->api->env.store, r->t->id, id, add_event, history);
    json_object_set_new(doc, "history", history);
    int64_t version = json_integer_value(json_object_get(doc, "version"));
    sb__send(r->http, 200, doc, version);
}

typedef struct list_ctx {
    const sb__req *r;
    const char *state, *queue, *channel, *agent;
    json_t *items;
    size_t limit;
    char last[24]; /* the last document read */
    char kept[24]; /* the page's last item */
} list_ctx;

static bool same(json_t *doc, const char *key, const char *want) {
    if (want == NULL) return true;
    const char *v = json_string_value(json_object_get(doc, key));
    return v && strcmp(v, want) == 0;
}

static int list_one(void *data, const sb_store_doc *d) {
    list_ctx *l = data;
    snprintf(l->last, sizeof(l->last), "%s", d->id);
    json_t *doc = json_loadb(d->body, d->len, 0, NULL);
    uint64_t id = strtoull(d->id, NULL, 10);
    const sb__rec *x = sb_map_get(&l->r->t->live, id);
    if (doc && same(doc, "state", l->state) && same(doc, "queue", l->queue) &&
        same(doc, "channel", l->channel) && same(doc, "agent", l->agent) &&
        (x ? sb__see_ix(l->r->t, &l->r->who, x->queue, x->agent, x) : see_doc(l->r, doc))) {
        json_array_append(l->items, doc);
        if (json_array_size(l->items) == l->limit) snprintf(l->kept, sizeof(l->kept), "%s", d->id);
    }
    json_decref(doc);
    return json_array_size(l->items) > l->limit; /* one more: there is a next page */
}

void sb__ix_list(sb__req *r) {
    char state[32], queue[72], channel[16], agent[72], cursor[32];
    list_ctx l = {.r = r};
    l.state = sb__query(r, "state", state, sizeof(state)) ? state : NULL;
    l.queue = sb__query(r, "queue", queue, sizeof(queue)) ? queue : NULL;
    l.channel = sb__query(r, "channel", channel, sizeof(channel)) ? channel : NULL;
    l.agent = sb__query(r, "agent", agent, sizeof(agent)) ? agent : NULL;
    l.limit = 100;
    if (!sb__limit(r, &l.limit)) return;
    bool has_cursor = sb__query(r, "cursor", cursor, sizeof(cursor));
    if (has_cursor && (strlen(cursor) != 20 || strspn(cursor, "0123456789") != 20)) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "cursor"),
                    "not a cursor this server gave");
        return;
    }
    l.items = json_array();
    int more = 0;
    /* Filtering reads at most this many documents per page; a page may
     * then be short, with a cursor to go on from. */
    size_t budget = 20 * l.limit + 1000;
    int rc = sb_store_doc_list_over(r->api->env.store, r->t->id, "ix", "live",
                                    has_cursor ? cursor : NULL, budget, list_one, &l, &more);
    if (rc < 0) {
        json_decref(l.items);
        sb__problem(r->http, 503, "storage_error", NULL, "%s", sb_store_errmsg(r->api->env.store));
        return;
    }
    /* A full page and one more match: the next page starts after the page's
     * last item.  The reading budget ran out: after what was read. */
    const char *next = NULL;
    if (json_array_size(l.items) > l.limit) {
        json_array_remove(l.items, l.limit);
        next = l.kept;
    } else if (rc == 0 && more) {
        next = l.last;
    }
    sb__send(r->http, 200,
             json_pack("{s:o, s:o}", "items", l.items, "next_cursor", next ? json_string(next) : json_null()),
             0);
}

/* ---- change ---------------------------------------------------------------------- */

/* Answer with the interaction once the change is durable. */
static void commit_ix(sb__req *r, uint64_t id, int status) {
    sb__txn *tx = sb__txn_begin(r->t, r->http);
    sb__txn_drain(tx);
    sb__txn_respond_rec(tx, status, id);
    sb__txn_commit(tx);
}

void sb__ix_patch(sb__req *r) {
    static const char *const fields[] = {"attributes", NULL};
    /* The role first, whatever the object (docs/api.md: 403 before 404). */
    if (r->who.role == SB__ROLE_AGENT) {
        sb__problem(r->http, 403, "forbidden", NULL, "an agent may complete, wrap up or transfer, not change attributes");
        return;
    }
    json_t *body = sb__body(r);
    if (body == NULL || !sb__check_fields(r, body, "", fields)) goto out;
    int64_t want = sb__if_match(r);
    if (want < 0) goto out;
    sb__rec *x = sb__ix_live(r);
    if (x == NULL) goto out;
    if (want && want != x->version) {
        sb__problem(r->http, 412, "precondition_failed",
                    json_pack("{s:I}", "version", (json_int_t)x->version),
                    "the interaction is at version %lld", (long long)x->version);
        goto out;
    }
    json_t *attrs = json_object_get(body, "attributes");
    if (attrs == NULL) {
        field_error(r, "attributes", "required");
        goto out;
    }
    sb_attr *av;
    uint32_t an;
    if (!attrs_of(r, attrs, &av, &an)) goto out;
    int rc = sb_interaction_set_attrs(r->t->core, sb__now(r->api), x->id, av, an);
    sb_config_attrs_free(av, an);
    if (rc != SB_OK) {
        sb__core_error(r, rc, "interaction", x->state);
        goto out;
    }
    free(x->attrs);
    x->attrs = json_is_object(attrs) ? json_dumps(attrs, JSON_COMPACT) : strdup("{}");
    sb__rec_dirty(r->t, x); /* the core's attributes event marks it too; be sure */
    commit_ix(r, x->id, 200);
out:
    json_decref(body);
}

void sb__ix_action(sb__req *r) {
    const char *action = r->arg;
    static const char *const transfer_fields[] = {"queue", "keep_arrival", "agent", "wait_seconds", NULL};
    static const char *const wrapup_fields[] = {"code", NULL};
    static const char *const none[] = {NULL};
    bool is_transfer = !strcmp(action, "transfer"), is_wrapup = !strcmp(action, "wrapup");
    /* The role first, whatever the object (docs/api.md: 403 before 404). */
    if (r->who.role == SB__ROLE_AGENT && strcmp(action, "complete") && strcmp(action, "wrapup") &&
        strcmp(action, "transfer")) {
        sb__problem(r->http, 403, "forbidden", NULL, "an agent may complete, wrap up or transfer, not %s", action);
        return;
    }
    json_t *body = NULL;
    size_t len;
    sb_http_request_body(r->http, &len);
    if (len || is_transfer) {
        if ((body = sb__body(r)) == NULL) return;
        if (!sb__check_fields(r, body, "",
                              is_transfer ? transfer_fields : is_wrapup ? wrapup_fields : none))
            goto out;
    }
    sb__rec *x = sb__ix_live(r);
    if (x == NULL) goto out;
    sb_core *c = r->t->core;
    int64_t now = sb__now(r->api);
    uint64_t t0 = uv_hrtime(); /* the core's calls below, for /metrics */
    int rc;
    if (is_transfer) {
        sb_id queue, agent;
        json_t *keep = json_object_get(body, "keep_arrival"), *wait = json_object_get(body, "wait_seconds");
        if (!ref_member(r, body, "queue", SB__RES_QUEUE, &queue) ||
            !ref_member(r, body, "agent", SB__RES_AGENT, &agent))
            goto out;
        if ((queue != 0) == (agent != 0)) {
            field_error(r, "queue", "give either a queue or an agent");
            goto out;
        }
        if (keep && !json_is_boolean(keep)) {
            field_error(r, "keep_arrival", "must be true or false");
            goto out;
        }
        if (wait && (!json_is_number(wait) || json_number_value(wait) < 0)) {
            field_error(r, "wait_seconds", "a number of seconds, 0 or more");
            goto out;
        }
        rc = queue ? sb_interaction_transfer_queue(c, now, x->id, queue, json_is_true(keep))
                   : sb_interaction_transfer_agent(c, now, x->id, agent,
                                                   wait ? (int64_t)(json_number_value(wait) * 1000) : 0);
    } else if (is_wrapup) {
        sb_id code;
        if (!ref_member(r, body, "code", SB__RES_WRAPUP, &code)) goto out;
        rc = sb_wrapup_complete(c, now, x->id, code);
    } else if (!strcmp(action, "cancel")) {
        rc = sb_interaction_cancel(c, now, x->id);
    } else if (!strcmp(action, "complete")) {
        rc = sb_interaction_end_hint(c, now, x->id, x->slot);
    } else {
        rc = sb_interaction_abandon(c, now, x->id);
    }
    sb__metric_decision(r->api, t0);
    if (rc != SB_OK) {
        sb_ix_info in;
        int state = sb_interaction_info(c, x->id, &in) == SB_OK ? in.state : x->state;
        sb__core_error(r, rc, "interaction", state);
        goto out;
    }
    commit_ix(r, x->id, 200);
out:
    json_decref(body);
}

void sb__ix_explain(sb__req *r) {
    sb__rec *x = sb__ix_live(r);
    if (x == NULL) return;
    sb_explain e;
    int rc = sb_interaction_explain(r->t->core, sb__now(r->api), x->id, &e);
    if (rc != SB_OK) {
        sb__core_error(r, rc, "interaction", x->state);
        return;
    }
    sb__send(r->http, 200,
             json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o}", "state",
                       sb_ix_state_name(e.state), "position", (int)e.position, "waiting",
                       (int)e.waiting, "step", (int)e.step, "steps", (int)e.nsteps, "members",
                       (int)e.members, "eligible", (int)e.eligible, "available", (int)e.available,
                       "blocked_by_capacity", (int)e.blocked_by_capacity, "not_ready",
                       (int)e.not_ready, "excluded", (int)e.excluded, "preferred_agent",
                       name_or_null(r->t, e.preferred_agent), "preferred_until",
                       e.preferred_agent ? json_integer(e.preferred_until) : json_null(),
                       "next_step_at", e.next_step_at >= 0 ? json_integer(e.next_step_at) : json_null()),
             0);
}
