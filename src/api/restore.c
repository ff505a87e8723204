/* restore.c: start-up rebuilds a tenant's routing state from the store.
 *
 * What is stored: every interaction's document, as "live" while it is
 * unfinished (so a restart reads only those) and as "ix" once finished,
 * each agent's last state ("agent.state") and the journal.  Rebuilding: agents that were logged in log in again; work that
 * was connected or in wrap-up goes straight back onto its agent; waiting
 * and offered interactions are queued again in creation order with their
 * original arrival time, so they line up as before; the journal's last
 * sequence continues.  None of this is journaled again: it is the state
 * the journal already describes.  What is new is journaled: the offers
 * open at the stop are withdrawn (interaction.withdrawn), then agents
 * return to ready or not-ready.  Agents whose desktop does not
 * reconnect (a stream subscription to their agent topic) within the grace
 * period are logged out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"
#include "config/config.h"

/* The live interactions' records, from the "live" documents, in id
 * order, i.e. creation order. */
typedef struct recs {
    sb__tenant *t;
    sb__rec **v;
    size_t n, cap;
} recs;

static sb__rec *record_of(const sb__tenant *t, uint64_t id, json_t *o);

static int collect_live(void *data, const sb_store_doc *d) {
    recs *l = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o == NULL) return 0; /* not a record: skipped (and said so below) */
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = sb_realloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = record_of(l->t, strtoull(d->id, NULL, 10), o);
    json_decref(o);
    return 0;
}

typedef struct agent_state {
    sb_id agent;
    int state;
    sb_id reason;
} agent_state;

typedef struct agents {
    sb__tenant *t;
    agent_state *v;
    size_t n, cap;
} agents;

static int collect_agent(void *data, const sb_store_doc *d) {
    agents *l = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    const char *state = json_string_value(json_object_get(o, "state"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    sb_id agent = sb__id_of(l->t, d->id);
    int st = SB_AGENT_LOGGED_OUT;
    for (int i = 0; state && i <= SB_AGENT_NOT_RESPONDING; i++)
        if (!strcmp(state, sb_agent_state_name(i))) st = i;
    if (agent && st != SB_AGENT_LOGGED_OUT) {
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            l->v = sb_realloc(l->v, l->cap * sizeof(*l->v));
        }
        /* not-ready reasons are not core objects: intern the name */
        l->v[l->n++] = (agent_state){agent, st, reason && *reason ? sb_core_sym(l->t->core, reason) : 0};
    }
    json_decref(o);
    return 0;
}

static sb__rec *record_of(const sb__tenant *t, uint64_t id, json_t *o) {
    sb__rec *x = sb_calloc(1, sizeof(*x));
    x->id = id;
    x->version = json_integer_value(json_object_get(o, "version"));
    x->created_at = json_integer_value(json_object_get(o, "created_at"));
    x->arrived_at = json_integer_value(json_object_get(o, "arrived_at"));
    x->priority = (int32_t)json_integer_value(json_object_get(o, "priority"));
    x->channel = (uint8_t)sb_channel_parse(json_string_value(json_object_get(o, "channel")));
    const char *q = json_string_value(json_object_get(o, "queue"));
    const char *a = json_string_value(json_object_get(o, "agent"));
    const char *c = json_string_value(json_object_get(o, "customer"));
    const char *pref = json_string_value(json_object_get(o, "preferred_agent"));
    x->preferred = pref ? sb__id_of(t, pref) : 0;
    x->preferred_until = json_integer_value(json_object_get(o, "preferred_until"));
    x->answered_at = json_integer_value(json_object_get(o, "answered_at"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "offered_to"), i, v) /* withdrawn below */
        if (x->noffers < SB__MAX_OFFERS && json_is_string(v))
            x->offers[x->noffers++] = (struct sb__offer){sb__id_of(t, json_string_value(v)), 0};
    const char *state = json_string_value(json_object_get(o, "state"));
    x->queue = q ? sb__id_of(t, q) : 0;
    x->agent = a ? sb__id_of(t, a) : 0;
    x->customer = c ? sb_strdup(c) : NULL;
    x->attrs = json_dumps(json_object_get(o, "attributes"), JSON_COMPACT);
    json_t *contact = json_object_get(o, "contact");
    x->contact = json_is_object(contact) ? json_dumps(contact, JSON_COMPACT) : NULL;
    x->nmsg = (uint32_t)json_integer_value(json_object_get(o, "messages"));
    x->nnotes = (uint32_t)json_integer_value(json_object_get(o, "notes"));
    if (x->attrs == NULL) x->attrs = strdup("{}");
    for (int s = SB_IX_QUEUED; state && s <= SB_IX_ENDED; s++)
        if (!strcmp(state, sb_ix_state_name(s))) x->state = (uint8_t)s;
    return x;
}

/* Put one live interaction back into the core. */
static int restore_ix(sb__tenant *t, int64_t now, sb__rec *x) {
    sb_attr *av;
    uint32_t an;
    sb_config_error err;
    json_t *attrs = json_loads(x->attrs, 0, NULL);
    int rc = sb_config_attrs_parse(t->core, attrs, "attributes", &av, &an, &err);
    json_decref(attrs);
    if (rc) {
        sb_config_attrs_free(av, an);
        return SB_EINVAL;
    }
    sb_interaction_def def = {
        .id = x->id,
        .queue = x->queue,
        .channel = x->channel,
        .priority = x->priority,
        .attrs = av,
        .nattrs = an,
        .customer = x->customer ? sb_core_sym(t->core, x->customer) : 0,
        .arrived_at = x->arrived_at,
    };
    /* Still reserved for its preferred agent: for what is left of the wait
     * (gone by now: it routes normally, as the core would have done). */
    if (x->preferred && (x->preferred_until == 0 || x->preferred_until > now)) {
        def.preferred_agent = x->preferred;
        def.preferred_wait_ms = x->preferred_until ? x->preferred_until - now : 0;
    } else {
        x->preferred = 0;
        x->preferred_until = 0;
    }
    if ((x->state == SB_IX_CONNECTED || x->state == SB_IX_WRAP_UP) && x->agent)
        rc = sb_interaction_restore(t->core, now, &def, x->state, x->agent, 0);
    else
        rc = sb_interaction_create(t->core, now, &def);
    sb_config_attrs_free(av, an);
    return rc;
}

static void on_grace(uv_timer_t *h);

int sb__restore(sb__tenant *t, char *err, size_t errlen) {
    sb_store *st = t->api->env.store;
    int64_t now = sb__now(t->api);
    uint64_t first, last;
    recs live = {.t = t};
    agents ag = {.t = t};
    int rc = sb_store_event_bounds(st, t->id, &first, &last);
    if (!rc) rc = sb_store_doc_list(st, t->id, "live", NULL, 0, collect_live, &live, NULL);
    if (!rc) rc = sb_store_doc_list(st, t->id, "agent.state", NULL, 0, collect_agent, &ag, NULL);
    if (rc) {
        snprintf(err, errlen, "tenant %s: cannot read the store: %s", t->name, sb_store_errmsg(st));
        goto out;
    }
    /* Agents first (logged in, not ready), then their work, then the rest. */
    for (size_t i = 0; i < ag.n; i++) sb_agent_login(t->core, now, ag.v[i].agent);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < live.n; i++) {
            sb__rec *x = live.v[i];
            if (x == NULL) continue;
            bool on_agent = x->state == SB_IX_CONNECTED || x->state == SB_IX_WRAP_UP;
            if (on_agent != (pass == 0)) continue;
            int r = restore_ix(t, now, x);
            if (r == SB_OK) {
                sb_map_put(&t->live, x->id, x);
            } else {
                /* It cannot come back (its queue or agent is gone): it stays
                 * a stored record; say so and go on. */
                fprintf(stderr, "switchboard: tenant %s: interaction %llu not restored: %s\n",
                        t->name, (unsigned long long)x->id, sb_status_name(r));
                sb__rec_free(x);
            }
            live.v[i] = NULL;
        }
    /* That was the journal's state again, not news. */
    sb_core_events_clear(t->core);
    t->published = last;
    /* News: the offers open at the stop are gone (the interactions queue
     * again); say so, so that the journal does not show two offers with
     * nothing between them. */
    sb__txn *tx = sb__txn_begin(t, NULL);
    uint64_t seq = last + 1;
    uint32_t iter = 0;
    uint64_t id;
    void *rec;
    while (sb_map_next(&t->live, &iter, &id, &rec)) {
        sb__rec *x = rec;
        while (x->noffers) {
            sb_event e = {.seq = seq++, .at = now, .type = SB_EV_IX_WITHDRAWN, .ix = x->id,
                          .agent = x->offers[x->noffers - 1].agent, .queue = x->queue};
            sb__txn_event(tx, &e); /* takes the offer off the record */
        }
    }
    sb_core_set_next_seq(t->core, seq);
    /* Now the agents' states: new events, journaled. */
    for (size_t i = 0; i < ag.n; i++) {
        if (ag.v[i].state == SB_AGENT_READY)
            sb_agent_ready(t->core, now, ag.v[i].agent);
        else if (ag.v[i].state == SB_AGENT_NOT_READY || ag.v[i].state == SB_AGENT_NOT_RESPONDING)
            sb_agent_not_ready(t->core, now, ag.v[i].agent, ag.v[i].reason);
    }
    /* Each record's state as the core now has it: those it changed (an
     * offer is queued again) are stored; the others keep their version. */
    uint32_t it = 0;
    uint64_t key;
    void *val;
    while (sb_map_next(&t->live, &it, &key, &val)) {
        sb__rec *x = val;
        sb_ix_info in;
        if (x->dirty || (sb_interaction_info(t->core, x->id, &in) == SB_OK && in.state == x->state &&
                         in.agent == x->agent && in.queue == x->queue))
            continue;
        x->dirty = true;
        x->next_dirty = t->dirty;
        t->dirty = x;
    }
    sb__txn_commit(tx);
    it = 0; /* the agents' work index: the records the commit did not touch too */
    while (sb_map_next(&t->live, &it, &key, &val)) sb__work_update(t, val);
    if (ag.n) {
        t->grace_agents = sb_malloc(ag.n * sizeof(sb_id));
        for (size_t i = 0; i < ag.n; i++) t->grace_agents[i] = ag.v[i].agent;
        t->ngrace = ag.n;
        uv_timer_init(t->api->env.loop, &t->grace);
        t->grace.data = t;
        uv_timer_start(&t->grace, on_grace, (uint64_t)t->api->grace_ms, 0);
    }
out:
    for (size_t i = 0; i < live.n; i++) sb__rec_free(live.v[i]); /* those not restored */
    sb_free(live.v);
    sb_free(ag.v);
    return rc ? SB_EIO : SB_OK;
}

/* The grace period is over: agents without a desktop log out (or, while
 * they still hold work, become not ready). */
static void on_grace(uv_timer_t *h) {
    sb__tenant *t = h->data;
    int64_t now = sb__now(t->api);
    for (size_t i = 0; i < t->ngrace; i++) {
        sb_id a = t->grace_agents[i];
        if (sb__stream_agent_connected(t, a)) continue;
        if (sb_agent_logout(t->core, now, a) != SB_OK) sb_agent_not_ready(t->core, now, a, 0);
    }
    sb_free(t->grace_agents);
    t->grace_agents = NULL;
    t->ngrace = 0;
    uv_close((uv_handle_t *)h, NULL);
    sb__txn_commit(sb__txn_begin(t, NULL));
}
