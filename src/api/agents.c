/* agents.c: /v1/agents/{id}/...: an agent's runtime state and actions
 * (login, logout, ready, not-ready, accept, reject). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

/* The path's agent, a configured one; 0 after answering 404. */
static sb_id path_agent(sb__req *r) {
    if (json_object_get(r->t->res[SB__RES_AGENT], r->id) == NULL ||
        !sb__see_agent(r->t, &r->who, sb__id_of(r->t, r->id))) {
        sb__problem(r->http, 404, "not_found", NULL, "no such agent");
        return 0;
    }
    return sb__id_of(r->t, r->id);
}

/* ---- each agent's work ---------------------------------------------------- */

/* t->agent_work lists, under each agent, the live interactions it holds or
 * is offered: its state reads these instead of every live interaction. */

static bool has(const sb_id *v, uint8_t n, sb_id a) {
    for (uint8_t i = 0; i < n; i++)
        if (v[i] == a) return true;
    return false;
}

void sb__work_update(sb__tenant *t, sb__rec *x) {
    sb_id want[1 + SB__MAX_OFFERS];
    uint8_t n = 0;
    if (x->state < SB_IX_COMPLETED) {
        if (x->agent) want[n++] = x->agent;
        for (uint8_t i = 0; i < x->noffers; i++)
            if (!has(want, n, x->offers[i].agent)) want[n++] = x->offers[i].agent;
    }
    for (uint8_t i = 0; i < x->nlisted; i++)
        if (!has(want, n, x->listed[i])) sb_multimap_del(&t->agent_work, x->listed[i], x);
    for (uint8_t i = 0; i < n; i++)
        if (!has(x->listed, x->nlisted, want[i])) sb_multimap_add(&t->agent_work, want[i], x);
    memcpy(x->listed, want, n * sizeof(want[0]));
    x->nlisted = n;
}

static int by_id(const void *a, const void *b) {
    uint64_t x = (*(const sb__rec *const *)a)->id, y = (*(const sb__rec *const *)b)->id;
    return (x > y) - (x < y);
}

/* ---- state and actions ------------------------------------------------------- */

static json_t *state_json(sb__tenant *t, sb_id agent) {
    sb_agent_info in;
    if (sb_agent_info_get(t->core, agent, &in) != SB_OK) return NULL;
    json_t *channels = json_object(), *ixs = json_array(), *offers = json_array();
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        if (in.count[ch]) json_object_set_new(channels, sb_channel_name(ch), json_integer(in.count[ch]));
    uint32_t n;
    void *const *work = sb_multimap_get(&t->agent_work, agent, &n);
    const sb__rec **recs = NULL;
    if (n) { /* oldest first */
        recs = sb_malloc(n * sizeof(*recs));
        memcpy(recs, work, n * sizeof(*recs));
        qsort(recs, n, sizeof(*recs), by_id);
    }
    for (uint32_t k = 0; k < n; k++) {
        const sb__rec *x = recs[k];
        char id[24];
        snprintf(id, sizeof(id), "%llu", (unsigned long long)x->id);
        if (x->agent == agent) json_array_append_new(ixs, json_string(id));
        for (uint8_t i = 0; i < x->noffers; i++)
            if (x->offers[i].agent == agent)
                json_array_append_new(offers, json_pack("{s:s, s:s, s:I}", "interaction", id,
                                                        "channel", sb_channel_name(x->channel),
                                                        "deadline", (json_int_t)x->offers[i].deadline));
    }
    sb_free(recs);
    return json_pack("{s:s, s:s, s:o, s:b, s:i, s:o, s:I, s:o, s:o}", "id", sb__name(t, agent), "state",
                     sb_agent_state_name(in.state), "reason",
                     in.reason ? json_string(sb__name(t, in.reason)) : json_null(), "busy", in.busy,
                     "units_used", (int)in.units_used, "channels", channels, "state_since",
                     (json_int_t)in.state_since, "interactions", ixs, "offers", offers);
}

void sb__agent_state(sb__req *r) {
    sb_id agent = path_agent(r);
    if (agent) sb__send(r->http, 200, state_json(r->t, agent), 0);
}

/* An interaction id member; 0 after answering 400. */
static uint64_t ix_member(sb__req *r, json_t *body) {
    json_t *v = json_object_get(body, "interaction");
    const char *s = json_string_value(v);
    char *end;
    unsigned long long id = s ? strtoull(s, &end, 10) : 0;
    if (!s || !*s || *end || id == 0) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "interaction"),
                    "interaction: an interaction id is required");
        return 0;
    }
    return id;
}

void sb__agent_action(sb__req *r) {
    const char *action = r->arg;
    static const char *const none[] = {NULL}, *const reason_fields[] = {"reason", NULL},
                             *const ix_fields[] = {"interaction", NULL};
    bool not_ready = !strcmp(action, "not-ready"),
         offer = !strcmp(action, "accept") || !strcmp(action, "reject");
    /* A supervisor may force its agents out of the way, not work for them;
     * the role first, whatever the agent (docs/api.md: 403 before 404). */
    if (r->who.role == SB__ROLE_SUPERVISOR && strcmp(action, "logout") && !not_ready) {
        sb__problem(r->http, 403, "forbidden", NULL, "a supervisor may only set agents not ready or log them out");
        return;
    }
    json_t *body = NULL;
    size_t len;
    sb_http_request_body(r->http, &len);
    if (len || offer) {
        if ((body = sb__body(r)) == NULL) return;
        if (!sb__check_fields(r, body, "", not_ready ? reason_fields : offer ? ix_fields : none)) goto out;
    }
    sb_id agent = path_agent(r);
    if (agent == 0) goto out;
    sb_core *c = r->t->core;
    int64_t now = sb__now(r->api);
    uint64_t t0 = uv_hrtime(); /* the core's calls below, for /metrics */
    int rc;
    if (offer) {
        uint64_t ix = ix_member(r, body);
        if (ix == 0) goto out;
        rc = action[0] == 'a' ? sb_offer_accept(c, now, agent, ix) : sb_offer_reject(c, now, agent, ix);
        if (rc == SB_ENOENT) {
            sb__problem(r->http, 409, "invalid_state", NULL, "no such offer to this agent");
            goto out;
        }
    } else if (not_ready) {
        json_t *reason = json_object_get(body, "reason");
        const char *rs = json_string_value(reason);
        if (reason && !json_is_null(reason) &&
            (!rs || !json_object_get(r->t->res[SB__RES_REASON], rs))) {
            sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "reason"),
                        "reason: no such not-ready reason");
            goto out;
        }
        rc = sb_agent_not_ready(c, now, agent, rs ? sb__id_of(r->t, rs) : 0);
    } else if (!strcmp(action, "login")) {
        rc = sb_agent_login(c, now, agent);
    } else if (!strcmp(action, "logout")) {
        rc = sb_agent_logout(c, now, agent);
    } else {
        rc = sb_agent_ready(c, now, agent);
    }
    sb__metric_decision(r->api, t0);
    if (rc != SB_OK) {
        sb_agent_info in;
        sb__core_error(r, rc, "agent", sb_agent_info_get(c, agent, &in) == SB_OK ? in.state : -1);
        goto out;
    }
    sb__txn *x = sb__txn_begin(r->t, r->http);
    sb__txn_drain(x);
    sb__txn_respond(x, 200, state_json(r->t, agent), 0);
    sb__txn_commit(x);
out:
    json_decref(body);
}

static int by_key(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The ids of a resource collection, sorted (for stable lists). */
static const char **sorted_ids(json_t *coll, size_t *n) {
    const char **ids = malloc((json_object_size(coll) + 1) * sizeof(*ids));
    const char *id;
    json_t *o;
    *n = 0;
    json_object_foreach(coll, id, o) ids[(*n)++] = id;
    qsort(ids, *n, sizeof(*ids), by_key);
    return ids;
}

/* GET /v1/directory: whom work may be transferred to, for whoever may
 * transfer: every queue and agent of the tenant by id and name, and each
 * agent's state; no configuration and no work. */
void sb__directory(sb__req *r) {
    sb__tenant *t = r->t;
    json_t *queues = json_array(), *agents = json_array();
    size_t n;
    const char **ids = sorted_ids(t->res[SB__RES_QUEUE], &n);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(json_object_get(t->res[SB__RES_QUEUE], ids[i]), "name"));
        json_array_append_new(queues, json_pack("{s:s, s:s}", "id", ids[i], "name", name ? name : ids[i]));
    }
    free(ids);
    ids = sorted_ids(t->res[SB__RES_AGENT], &n);
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_object_get(t->res[SB__RES_AGENT], ids[i]);
        const char *name = json_string_value(json_object_get(a, "display_name"));
        sb_agent_info in;
        int state = sb_agent_info_get(t->core, sb__id_of(t, ids[i]), &in) == SB_OK ? in.state : SB_AGENT_LOGGED_OUT;
        json_array_append_new(agents, json_pack("{s:s, s:s, s:s}", "id", ids[i], "name", name ? name : ids[i],
                                                "state", sb_agent_state_name(state)));
    }
    free(ids);
    sb__send(r->http, 200, json_pack("{s:o, s:o}", "queues", queues, "agents", agents), 0);
}
