/* commit.c: the write path.  A transaction gathers what one request (or
 * one timer) changed: the core's events, the documents of the
 * interactions and agents they touched, the response.  The store commits
 * it with the other batches of the loop turn; then, and only then, the
 * response is sent and the events go out on the stream, in journal order
 * (the store runs completions in submission order). */
#include <stdio.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

typedef struct pub {
    sb_event ev;
    char *text;
    size_t len;
} pub;

struct sb__txn {
    sb__tenant *t;
    sb_http_request *req;
    sb_store_batch *b;
    int status;
    char *body; /* response text, NULL: none */
    size_t len;
    int64_t etag;
    char *idem_key;
    pub *pubs;
    size_t npubs, cappubs;
    int *wait; /* sb__txn_wait: the status, once known (else 1) */
    int route;          /* the request's route, for its latency (-1: none) */
    uint64_t t0, submitted; /* uv_hrtime: the request's start, the batch's submission */
    struct put_rec {
        uint64_t id;
        int64_t version;
        char *text; /* the document put (sb_free), reused for the response */
        size_t len;
    } *recs;
    size_t nrecs, caprecs;
};

sb__txn *sb__txn_begin(sb__tenant *t, sb_http_request *req) {
    sb__txn *x = sb_calloc(1, sizeof(*x));
    x->t = t;
    x->req = req;
    x->b = sb_store_batch_new(sb__now(t->api));
    x->route = -1;
    sb__metrics *m = t->api->metrics;
    if (req && m->cur_route >= 0) { /* answered when durable: counted then */
        x->route = m->cur_route;
        x->t0 = m->cur_t0;
        m->cur_deferred = true;
    }
    return x;
}

sb_store_batch *sb__txn_batch(sb__txn *x) { return x->b; }

sb__tenant *sb__txn_tenant(sb__txn *x) { return x->t; }

void sb__txn_put_doc(sb__txn *x, const char *kind, const char *id, const json_t *doc) {
    char *text = json_dumps(doc, JSON_COMPACT);
    sb_store_batch_put(x->b, x->t->id, kind, id, SB_STORE_ANY_VERSION, text, strlen(text));
    free(text);
}

/* What an event changes in its interaction's record.  The state that the
 * core still knows is read back from it after the drain (refresh()); the
 * terminal ones only the event tells. */
static void ix_event(sb__tenant *t, const sb_event *e) {
    sb__rec *x = sb_map_get(&t->live, e->ix);
    if (x == NULL) return;
    x->slot = e->slot;
    switch (e->type) {
    case SB_EV_IX_OFFERED:
        if (x->noffers < SB__MAX_OFFERS) x->offers[x->noffers++] = (struct sb__offer){e->agent, e->value};
        break;
    case SB_EV_IX_ACCEPTED:
        if (x->answered_at == 0) x->answered_at = e->at;
        /* the accepted offer is no longer outstanding */
        __attribute__((fallthrough));
    case SB_EV_IX_REJECTED:
    case SB_EV_IX_TIMED_OUT:
    case SB_EV_IX_WITHDRAWN:
        for (uint8_t i = 0; i < x->noffers;) {
            if (x->offers[i].agent == e->agent)
                x->offers[i] = x->offers[--x->noffers];
            else
                i++;
        }
        break;
    case SB_EV_IX_COMPLETED:
        x->state = SB_IX_COMPLETED;
        x->wrapup_code = e->code;
        break;
    case SB_EV_IX_ABANDONED: x->state = SB_IX_ABANDONED; break;
    case SB_EV_IX_CANCELED: x->state = SB_IX_CANCELED; break;
    case SB_EV_IX_ENDED: x->state = SB_IX_ENDED; break;
    case SB_EV_IX_PREFERRED: /* at creation, or a transfer to an agent */
        x->preferred = e->target;
        x->preferred_until = e->value;
        break;
    case SB_EV_IX_QUEUED:
        if (e->reason == SB_REASON_PREFERRED_EXPIRED) x->preferred = 0, x->preferred_until = 0;
        break;
    default: break;
    }
    if (x->state >= SB_IX_COMPLETED && x->ended_at == 0) x->ended_at = e->at;
    sb__rec_dirty(t, x);
}

void sb__rec_dirty(sb__tenant *t, sb__rec *x) {
    if (x->dirty) return;
    x->dirty = true;
    x->next_dirty = t->dirty;
    t->dirty = x;
}

static void refresh(sb__tenant *t, sb__rec *x) {
    sb_ix_info in;
    if (x->state >= SB_IX_COMPLETED || sb_interaction_info(t->core, x->id, &in) != SB_OK) return;
    x->state = in.state;
    x->queue = in.queue;
    x->agent = in.agent;
    x->priority = in.priority;
    x->arrived_at = in.arrived_at;
}

static void agent_doc(sb__txn *x, const sb_event *e) {
    json_t *doc = json_pack("{s:s, s:s, s:I}", "state", sb_agent_state_name(e->state), "reason",
                            sb__name(x->t, e->code), "since", (json_int_t)e->at);
    sb__txn_put_doc(x, "agent.state", sb__name(x->t, e->agent), doc);
    json_decref(doc);
}

static void pub_add(sb__txn *x, const sb_event *e, char *text, size_t len) {
    if (x->npubs == x->cappubs) {
        x->cappubs = x->cappubs ? 2 * x->cappubs : 8;
        x->pubs = sb_realloc(x->pubs, x->cappubs * sizeof(*x->pubs));
    }
    x->pubs[x->npubs++] = (pub){*e, text, len};
}

void sb__txn_event(sb__txn *x, const sb_event *e) {
    sb__tenant *t = x->t;
    size_t len;
    char *text = sb__event_text(t, e, &len);
    sb_store_batch_append(x->b, t->id, e->seq, e->at, e->ix, sb_event_type_name(e->type), text, len);
    if (e->ix) ix_event(t, e);
    if (e->type == SB_EV_AGENT_STATE) agent_doc(x, e);
    sb__tstats_feed(t, e);
    pub_add(x, e, text, len);
}

const char *sb__event_name(int type) {
    return type == SB__EV_CHAT_MESSAGE ? "chat.message" : sb_event_type_name(type);
}

void sb__txn_api_event(sb__txn *x, int type, uint64_t ix, sb_id queue, sb_id agent, json_t *doc) {
    sb__tenant *t = x->t;
    sb__txn_drain(x); /* the core's events so far come first */
    sb_event e = {.seq = sb_core_next_seq(t->core), .at = sb__now(t->api), .type = (uint16_t)type,
                  .ix = ix, .queue = queue, .agent = agent};
    sb_core_set_next_seq(t->core, e.seq + 1);
    char sid[24];
    snprintf(sid, sizeof(sid), "%llu", (unsigned long long)ix);
    json_object_set_new(doc, "type", json_string("event"));
    json_object_set_new(doc, "seq", json_integer((json_int_t)e.seq));
    json_object_set_new(doc, "at", json_integer(e.at));
    json_object_set_new(doc, "event", json_string(sb__event_name(type)));
    json_object_set_new(doc, "interaction", json_string(sid));
    if (queue) json_object_set_new(doc, "queue", json_string(sb__name(t, queue)));
    if (agent) json_object_set_new(doc, "agent", json_string(sb__name(t, agent)));
    char *dumped = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    size_t len = strlen(dumped);
    char *text = sb_strndup(dumped, len); /* pubs hold sb_ memory */
    free(dumped);
    sb_store_batch_append(x->b, t->id, e.seq, e.at, ix, sb__event_name(type), text, len);
    pub_add(x, &e, text, len);
}

void sb__txn_drain(sb__txn *x) {
    sb__tenant *t = x->t;
    uint32_t n;
    const sb_event *evs = sb_core_events(t->core, &n);
    for (uint32_t i = 0; i < n; i++) sb__txn_event(x, &evs[i]);
    sb_core_events_clear(t->core);
    char docid[24];
    while (t->dirty) {
        sb__rec *r = t->dirty;
        t->dirty = r->next_dirty;
        r->dirty = false;
        refresh(t, r);
        sb__work_update(t, r);
        r->version++;
        sb__rec_docid(r->id, docid);
        size_t len;
        char *text = sb__rec_text(t, r, &len);
        if (x->nrecs == x->caprecs) {
            x->caprecs = x->caprecs ? 2 * x->caprecs : 4;
            x->recs = sb_realloc(x->recs, x->caprecs * sizeof(*x->recs));
        }
        x->recs[x->nrecs++] = (struct put_rec){r->id, r->version, text, len};
        /* One document per interaction: "live" while unfinished (all a
         * restart reads), "ix" once finished. */
        if (r->state >= SB_IX_COMPLETED) {
            sb_store_batch_set(x->b, t->id, "ix", docid, r->version, text, len);
            sb_store_batch_delete(x->b, t->id, "live", docid, SB_STORE_ANY_VERSION);
            sb_map_del(&t->live, r->id);
            sb__rec_free(r);
        } else {
            sb_store_batch_set(x->b, t->id, "live", docid, r->version, text, len);
        }
    }
}

void sb__txn_respond(sb__txn *x, int status, json_t *doc, int64_t etag) {
    x->status = status;
    x->etag = etag;
    free(x->body);
    x->body = NULL;
    x->len = 0;
    if (doc) {
        x->body = json_dumps(doc, JSON_COMPACT);
        x->len = strlen(x->body);
        json_decref(doc);
    }
}

void sb__txn_respond_rec(sb__txn *x, int status, uint64_t id) {
    for (size_t i = x->nrecs; i-- > 0;)
        if (x->recs[i].id == id) {
            x->status = status;
            x->etag = x->recs[i].version;
            free(x->body);
            x->body = strdup(x->recs[i].text);
            x->len = x->recs[i].len;
            return;
        }
    sb__rec *r = sb_map_get(&x->t->live, id);
    if (r) {
        sb__txn_respond(x, status, sb__rec_json(x->t, r), r->version);
        return;
    }
    char sid[24];
    snprintf(sid, sizeof(sid), "%llu", (unsigned long long)id);
    sb__txn_respond(x, status, json_pack("{s:s}", "id", sid), 0);
}

json_t *sb__txn_rec_doc(sb__txn *x, uint64_t id) {
    for (size_t i = x->nrecs; i-- > 0;)
        if (x->recs[i].id == id) return json_loads(x->recs[i].text, 0, NULL);
    sb__rec *r = sb_map_get(&x->t->live, id);
    return r ? sb__rec_json(x->t, r) : NULL;
}

void sb__txn_idem(sb__txn *x, const char *key) {
    x->idem_key = sb_strdup(key);
    sb_map_put(&x->t->idem_pending, sb__idem_hash(key), x);
}

static void on_committed(void *data, int status, const sb_store_batch *b) {
    sb__txn *x = data;
    sb__tenant *t = x->t;
    sb__metrics *m = t->api->metrics;
    if (b) sb__hist_add(&m->commit, sb__lat_bounds, (double)(uv_hrtime() - x->submitted) / 1e9);
    if (x->req && x->route >= 0)
        sb__hist_add(&m->route[x->route], sb__lat_bounds, (double)(uv_hrtime() - x->t0) / 1e9);
    if (status == SB_OK) {
        sb_api *api = t->api;
        api->corking = x->npubs > 1; /* each stream gets the commit's events in one write */
        for (size_t i = 0; i < x->npubs; i++) {
            sb__stream_publish(t, x->pubs[i].ev.seq, &x->pubs[i].ev, x->pubs[i].text,
                               x->pubs[i].len);
            t->published = x->pubs[i].ev.seq;
        }
        api->corking = false;
        sb_ws_uncork(&api->cork);
    } else {
        fprintf(stderr, "switchboard: tenant %s: a write failed: %s (%s)\n", t->name,
                sb_status_name(status),
                b ? sb_store_batch_error(b) : sb_store_errmsg(t->api->env.store));
    }
    if (x->idem_key) sb_map_del(&t->idem_pending, sb__idem_hash(x->idem_key));
    if (x->wait) *x->wait = status;
    if (x->req) {
        if (status != SB_OK) {
            sb__problem(x->req, 503, "storage_error", NULL, "the change could not be stored");
        } else {
            if (x->etag > 0) {
                char etag[32];
                snprintf(etag, sizeof(etag), "\"%lld\"", (long long)x->etag);
                sb_http_response_header(x->req, "ETag", etag);
            }
            sb_http_respond(x->req, x->status ? x->status : 204, x->body ? "application/json" : NULL,
                            x->body, x->len);
        }
    }
    for (size_t i = 0; i < x->npubs; i++) sb_free(x->pubs[i].text);
    sb_free(x->pubs);
    for (size_t i = 0; i < x->nrecs; i++) sb_free(x->recs[i].text);
    sb_free(x->recs);
    free(x->body);
    sb_free(x->idem_key);
    sb_free(x);
}

void sb__txn_commit(sb__txn *x) {
    sb__txn_drain(x);
    if (x->idem_key)
        sb_store_batch_idem(x->b, x->t->id, x->idem_key, x->status, x->body ? x->body : "",
                            x->len);
    sb__tenant *t = x->t;
    if (x->req == NULL && sb_store_batch_ops(x->b) == 0) { /* a timer that changed nothing */
        sb_store_batch_free(x->b);
        on_committed(x, SB_OK, NULL);
        sb__tenant_arm(t);
        return;
    }
    x->submitted = uv_hrtime();
    sb__hist_add(&t->api->metrics->batch_ops, sb__size_bounds, (double)sb_store_batch_ops(x->b));
    int rc = sb_store_submit(t->api->env.store, x->b, on_committed, x);
    if (rc != SB_OK) {
        x->b = NULL;
        on_committed(x, rc, NULL);
    }
    sb__tenant_arm(t);
}

int sb__txn_wait(sb__txn *x, char *err, size_t errlen) {
    int status = 1;
    x->wait = &status;
    uv_loop_t *loop = x->t->api->env.loop;
    sb__txn_commit(x);
    while (status == 1) uv_run(loop, UV_RUN_ONCE);
    if (status) snprintf(err, errlen, "the store refused the write: %s", sb_status_name(status));
    return status;
}

void sb__txn_abandon(sb__txn *x) {
    if (x->route >= 0) x->t->api->metrics->cur_deferred = false; /* answered now, by the caller */
    sb_store_batch_free(x->b);
    free(x->body);
    sb_free(x);
}
