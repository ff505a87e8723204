/* stream.c: GET /v1/stream, the event stream over WebSocket.
 *
 * A subscriber names topics and, to resume, the last sequence it saw.  It
 * first reads the journal (committed events, up to the last one published
 * live), in chunks between loop turns and only while its socket keeps up;
 * once it has caught up with t->published it is "live" and receives each
 * event as the store makes it durable (commit.c).  Both sides advance one
 * cursor (sent), so there is no gap and no duplicate.
 *
 * Live delivery looks subscribers up by topic (t->topic_subs: the
 * subscribers of each queue, agent and interaction topic, and of the whole
 * tenant under ALL_KEY), so an event costs the subscribers that want it,
 * not all the tenant's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/jsonw.h"
#include "base/mem.h"
#include "base/status.h"
#include "net/ws.h"

#define MAX_TOPICS 256
#define CHUNK 512                /* journal events read per subscriber per turn */
#define CATCHUP_BUFFER (256 * 1024) /* read on only below this many unsent bytes */

struct sb__sub {
    sb__tenant *t;
    sb_api *api;
    sb_ws *ws;
    sb__sub *next, **pprev;
    bool subscribed, live, all;
    sb__who who;   /* as authenticated at the upgrade */
    int64_t expires_at; /* the session's end, 0 for an API key */
    char user[72];
    uint64_t sent; /* every event up to this seq has been dealt with */
    uint32_t ntopics;
    struct topic {
        char kind; /* 'q' queue, 'a' agent, 'i' interaction; 's' a queue's
                    * statistics, 'T' the tenant's (no events) */
        bool pending;  /* stats: changed, not yet pushed */
        uint64_t id;
        int64_t last;  /* stats: pushed at (at most once a second) */
    } *topics;
};

/* ---- the index of subscribers by topic ------------------------------------ */

/* A topic's key in t->topic_subs (never 0, which the map reserves); the
 * whole tenant is ALL_KEY.  Interaction ids are sequence numbers, far
 * below 2^62. */
#define ALL_KEY 4
static uint64_t topic_key(char kind, uint64_t id) {
    return kind == 'q' ? id << 2 | 1 : kind == 'a' ? id << 2 | 2 : id << 2 | 3;
}

static void index_one(sb__tenant *t, uint64_t key, sb__sub *s, bool add) {
    if (add)
        sb_multimap_add(&t->topic_subs, key, s);
    else
        sb_multimap_del(&t->topic_subs, key, s);
}

/* Enter (or leave) the index under each of s's event topics. */
static void index_sub(sb__sub *s, bool add) {
    if (s->all) index_one(s->t, ALL_KEY, s, add);
    for (uint32_t i = 0; i < s->ntopics; i++)
        if (strchr("qai", s->topics[i].kind)) index_one(s->t, topic_key(s->topics[i].kind, s->topics[i].id), s, add);
}

void sb__stream_tenant_free(sb__tenant *t) {
    sb_multimap_free(&t->topic_subs);
}

/* ---- events as JSON -------------------------------------------------------- */

/* Events are on the write path of every request, so their JSON is
 * printed directly: every string in them is a configuration id (checked
 * to be of A-Z a-z 0-9 _ . -) or a fixed name; sb_jw_str quotes them. */
static void put_str(sb_jw *w, const char *key, size_t klen, const char *v) {
    sb_jw_raw(w, key, klen);
    sb_jw_str(w, v);
}

static void put_int(sb_jw *w, const char *key, size_t klen, int64_t v) {
    sb_jw_raw(w, key, klen);
    sb_jw_int(w, v);
}

static void put_name(sb_jw *w, const char *key, size_t klen, const sb__tenant *t, sb_id id) {
    if (id) put_str(w, key, klen, sb__name(t, id));
}

char *sb__event_text(const sb__tenant *t, const sb_event *e, size_t *len) {
    sb_jw w;
    sb_jw_init(&w, 256);
    put_int(&w, SB_JW_KEY("{\"type\":\"event\",\"seq\":"), (int64_t)e->seq);
    put_int(&w, SB_JW_KEY(",\"at\":"), e->at);
    put_str(&w, SB_JW_KEY(",\"event\":"), sb_event_type_name(e->type));
    if (e->ix) {
        put_int(&w, SB_JW_KEY(",\"interaction\":\""), (int64_t)e->ix);
        sb_jw_lit(&w, "\"");
    }
    put_name(&w, SB_JW_KEY(",\"agent\":"), t, e->agent);
    put_name(&w, SB_JW_KEY(",\"queue\":"), t, e->queue);
    put_name(&w, SB_JW_KEY(",\"from_queue\":"), t, e->queue2);
    put_name(&w, SB_JW_KEY(",\"target_agent\":"), t, e->target);
    switch (e->type) {
    case SB_EV_AGENT_STATE:
        put_str(&w, SB_JW_KEY(",\"state\":"), sb_agent_state_name(e->state));
        put_str(&w, SB_JW_KEY(",\"reason\":"), e->code ? sb__name(t, e->code) : NULL);
        break;
    case SB_EV_IX_CREATED:
        put_str(&w, SB_JW_KEY(",\"channel\":"), sb_channel_name(e->channel));
        put_int(&w, SB_JW_KEY(",\"priority\":"), e->priority);
        put_int(&w, SB_JW_KEY(",\"arrived_at\":"), e->value);
        break;
    case SB_EV_IX_QUEUED:
        put_int(&w, SB_JW_KEY(",\"arrived_at\":"), e->value);
        /* fall through */
    case SB_EV_IX_STEP:
        put_int(&w, SB_JW_KEY(",\"step\":"), e->step);
        break;
    case SB_EV_IX_OFFERED:
    case SB_EV_IX_WRAP_UP:
        if (e->value) put_int(&w, SB_JW_KEY(",\"deadline\":"), e->value);
        break;
    case SB_EV_IX_COMPLETED:
        put_name(&w, SB_JW_KEY(",\"wrapup_code\":"), t, e->code);
        break;
    case SB_EV_IX_TRANSFERRED:
        if (e->value)
            sb_jw_lit(&w, ",\"keep_arrival\":true");
        else
            sb_jw_lit(&w, ",\"keep_arrival\":false");
        break;
    case SB_EV_IX_PREFERRED:
        if (e->value) put_int(&w, SB_JW_KEY(",\"until\":"), e->value);
        break;
    default:
        break;
    }
    if (e->reason && e->type != SB_EV_AGENT_STATE) put_str(&w, SB_JW_KEY(",\"reason\":"), sb_reason_name(e->reason));
    sb_jw_lit(&w, "}");
    return sb_jw_take(&w, len);
}

/* ---- topics ---------------------------------------------------------------------- */

static bool wants(const sb__sub *s, uint64_t ix, sb_id agent, sb_id target, sb_id queue, sb_id queue2) {
    if (s->all) return true;
    for (uint32_t i = 0; i < s->ntopics; i++) {
        const struct topic *tp = &s->topics[i];
        if ((tp->kind == 'i' && tp->id == ix) ||
            (tp->kind == 'a' && (tp->id == agent || tp->id == target)) ||
            (tp->kind == 'q' && (tp->id == queue || tp->id == queue2)))
            return true;
    }
    return false;
}

/* A message to the subscriber; while a commit's events are published,
 * held back so that each stream gets them in one write. */
static void ws_send(sb__sub *s, const char *text, size_t len) {
    sb_api *api = s->t->api;
    if (api->corking)
        sb_ws_send_text_corked(s->ws, &api->cork, text, len);
    else
        sb_ws_send_text(s->ws, text, len);
}

static void send_json(sb__sub *s, json_t *o) {
    char *text = json_dumps(o, JSON_COMPACT);
    ws_send(s, text, strlen(text));
    free(text);
    json_decref(o);
}

static void send_error(sb__sub *s, const char *code, const char *detail) {
    send_json(s, json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "detail", detail));
}

/* What a chat customer is told of its conversation (docs/api.md): not
 * offers, rejections, steps or attributes. */
static const int customer_types[] = {SB__EV_CHAT_MESSAGE, SB_EV_IX_QUEUED,    SB_EV_IX_ACCEPTED,
                                     SB_EV_IX_TRANSFERRED, SB_EV_IX_WRAP_UP,   SB_EV_IX_COMPLETED,
                                     SB_EV_IX_ABANDONED,  SB_EV_IX_CANCELED,  SB_EV_IX_ENDED};

static bool customer_type(int type) {
    for (size_t i = 0; i < sizeof(customer_types) / sizeof(customer_types[0]); i++)
        if (customer_types[i] == type) return true;
    return false;
}

/* The type of a journaled event's name (0 if unknown). */
static int type_named(const char *name) {
    if (!strcmp(name, sb__event_name(SB__EV_CHAT_MESSAGE))) return SB__EV_CHAT_MESSAGE;
    for (int i = 1; i < SB_EV_COUNT; i++)
        if (!strcmp(name, sb_event_type_name(i))) return i;
    return 0;
}

/* Beyond who may see the interaction: a customer is told only some kinds
 * of event; an agent gets a conversation's messages only as its agent (a
 * waiting chat's messages are not every agent's of the queue). */
static bool kind_ok(const sb__sub *s, int type, sb_id agent) {
    if (s->who.role == SB__ROLE_CUSTOMER) return customer_type(type);
    if (s->who.role == SB__ROLE_AGENT && type == SB__EV_CHAT_MESSAGE) return agent && agent == s->who.agent;
    return true;
}

/* Send an event's text; a customer gets only its kind, time, interaction,
 * queue, agent (and its display name) and message: never codes, reasons
 * or other members. */
static void send_event(sb__sub *s, const char *text, size_t len) {
    static const char *const keep[] = {"type", "seq", "at", "event", "interaction", "queue", "agent", "message", NULL};
    if (s->who.role != SB__ROLE_CUSTOMER) {
        ws_send(s, text, len);
        return;
    }
    json_t *o = json_loadb(text, len, 0, NULL), *out = json_object();
    for (const char *const *k = keep; o && *k; k++) {
        json_t *v = json_object_get(o, *k);
        if (v) json_object_set(out, *k, v);
    }
    /* the agent as the customer should see it: by its display name */
    const char *agent = json_string_value(json_object_get(o, "agent"));
    const char *name = agent ? json_string_value(json_object_get(json_object_get(s->t->res[SB__RES_AGENT], agent),
                                                                  "display_name"))
                             : NULL;
    if (agent) json_object_set_new(out, "agent_name", json_string(name ? name : agent));
    json_decref(o);
    send_json(s, out);
}

/* Topics, then the authorization point: may this subscriber see it? */
static bool deliver(const sb__sub *s, uint64_t ix, sb_id agent, sb_id target, sb_id queue, sb_id queue2) {
    return wants(s, ix, agent, target, queue, queue2) &&
           sb__see_event(s->t, &s->who, ix, agent, target, queue, queue2);
}

/* A stream lasts no longer than its session: once that has expired, it
 * ends (4401, as for a revoked one) and nothing more is delivered. */
static bool expired(sb__sub *s, int64_t now) {
    if (s->expires_at == 0 || now < s->expires_at) return false;
    sb_ws_close(s->ws, 4401, "session expired");
    return true;
}

void sb__stream_publish(sb__tenant *t, uint64_t seq, const sb_event *e, const char *text, size_t len) {
    if (sb_multimap_keys(&t->topic_subs) == 0) return;
    int64_t now = sb__now(t->api);
    const uint64_t keys[] = {ALL_KEY,
                             e->queue ? topic_key('q', e->queue) : 0,
                             e->queue2 ? topic_key('q', e->queue2) : 0,
                             e->agent ? topic_key('a', e->agent) : 0,
                             e->target ? topic_key('a', e->target) : 0,
                             e->ix ? topic_key('i', e->ix) : 0};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        if (k && keys[k] == 0) continue;
        uint32_t n;
        void *const *subs = sb_multimap_get(&t->topic_subs, keys[k], &n);
        for (uint32_t i = 0; i < n; i++) {
            sb__sub *s = subs[i];
            /* sent: once per event, however many of its topics match */
            if (!s->live || seq <= s->sent) continue;
            s->sent = seq;
            if (expired(s, now)) continue; /* closing: it leaves the index in on_close */
            if (sb__see_event(t, &s->who, e->ix, e->agent, e->target, e->queue, e->queue2) &&
                kind_ok(s, e->type, e->agent))
                send_event(s, text, len);
        }
    }
}

void sb__stream_typing(sb__tenant *t, uint64_t ix, sb_id agent, bool from_customer, bool typing) {
    char sid[24];
    snprintf(sid, sizeof(sid), "%llu", (unsigned long long)ix);
    json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "type", "typing", "interaction", sid, "from",
                          from_customer ? "customer" : "agent", "typing", typing);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    size_t len = strlen(text);
    const uint64_t keys[] = {topic_key('i', ix), agent ? topic_key('a', agent) : 0};
    sb__sub *sent[64]; /* once per subscriber, whichever topic matched */
    size_t nsent = 0;
    for (size_t k = 0; k < 2; k++) {
        uint32_t n = 0;
        void *const *subs = keys[k] ? sb_multimap_get(&t->topic_subs, keys[k], &n) : NULL;
        for (uint32_t i = 0; i < n; i++) {
            sb__sub *s = subs[i];
            bool customer = s->who.role == SB__ROLE_CUSTOMER, dup = false;
            if (customer == from_customer || !s->live) continue; /* to the other side only */
            if (!sb__see_event(t, &s->who, ix, agent, 0, 0, 0)) continue;
            for (size_t j = 0; j < nsent; j++) dup |= sent[j] == s;
            if (dup) continue;
            if (nsent < 64) sent[nsent++] = s;
            sb_ws_send_text(s->ws, text, len);
        }
    }
    free(text);
}

void sb__stream_revoke(sb__tenant *t, const char *user) {
    for (sb__sub *s = t->subs; s; s = s->next)
        if (!strcmp(s->user, user)) sb_ws_close(s->ws, 4401, "session ended");
}

bool sb__stream_agent_connected(const sb__tenant *t, sb_id agent) {
    for (const sb__sub *s = t->subs; s; s = s->next)
        for (uint32_t i = 0; i < s->ntopics; i++)
            if (s->topics[i].kind == 'a' && s->topics[i].id == agent) return true;
    return false;
}

/* ---- catching up from the journal ---------------------------------------------------- */

static sb_id id_member(const sb__tenant *t, json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? sb__id_of(t, s) : 0;
}

static int replay_one(void *data, const sb_store_event *ev) {
    sb__sub *s = data;
    if (ev->seq > s->t->published) return 1; /* not yet published live: stop here */
    s->sent = ev->seq;
    json_t *o = json_loadb(ev->body, ev->len, 0, NULL);
    if (o == NULL) return 0;
    const char *ix = json_string_value(json_object_get(o, "interaction"));
    sb_id agent = id_member(s->t, o, "agent");
    if (deliver(s, ix ? strtoull(ix, NULL, 10) : 0, agent, id_member(s->t, o, "target_agent"),
                id_member(s->t, o, "queue"), id_member(s->t, o, "from_queue")) &&
        kind_ok(s, type_named(ev->type), agent))
        send_event(s, ev->body, ev->len);
    json_decref(o);
    return 0;
}

static void catchup_stop(sb__sub *s) {
    if (s->live) return;
    s->live = true;
    if (--s->api->catching_up == 0) uv_idle_stop(&s->api->catchup);
}

/* One chunk of the journal for s; live once it has reached published. */
static void catchup_step(sb__sub *s) {
    if (s->sent >= s->t->published || expired(s, sb__now(s->api))) {
        catchup_stop(s);
        return;
    }
    if (sb_ws_buffered(s->ws) > CATCHUP_BUFFER) return; /* let the socket drain first */
    int rc = sb_store_events_after(s->api->env.store, s->t->id, s->sent, CHUNK, replay_one, s);
    if (rc < 0) {
        send_error(s, "storage_error", "cannot read the journal");
        sb_ws_close(s->ws, 1011, "storage error");
        catchup_stop(s);
    } else if (s->sent >= s->t->published) {
        catchup_stop(s);
    }
}

static void on_idle(uv_idle_t *h) {
    sb_api *api = h->data;
    for (sb__tenant *t = api->tenants; t; t = t->next)
        for (sb__sub *s = t->subs; s; s = s->next)
            if (s->subscribed && !s->live) catchup_step(s);
}

static void catchup_start(sb__sub *s) {
    if (!s->live) return;
    s->live = false;
    if (s->api->catching_up++ == 0) {
        s->api->catchup.data = s->api;
        uv_idle_start(&s->api->catchup, on_idle);
    }
    catchup_step(s);
}

/* ---- messages ------------------------------------------------------------------------- */

static bool parse_topic(sb__sub *s, const char *name, struct topic *out) {
    const sb__tenant *t = s->t;
    const char *colon = strchr(name, ':');
    if (!colon) return false;
    const char *id = colon + 1;
    size_t kl = (size_t)(colon - name);
    /* What the subscriber may not see is unknown to it, like a missing one. */
    if (kl == 5 && !strncmp(name, "queue", 5) && json_object_get(t->res[SB__RES_QUEUE], id) &&
        sb__see_queue(t, &s->who, sb__id_of(t, id))) {
        *out = (struct topic){.kind = 'q', .id = sb__id_of(t, id)};
    } else if (kl == 5 && !strncmp(name, "agent", 5) && json_object_get(t->res[SB__RES_AGENT], id) &&
               sb__see_agent(t, &s->who, sb__id_of(t, id))) {
        *out = (struct topic){.kind = 'a', .id = sb__id_of(t, id)};
    } else if (kl == 11 && !strncmp(name, "interaction", 11) && *id >= '1' && *id <= '9') {
        char *end;
        unsigned long long v = strtoull(id, &end, 10);
        if (*end) return false;
        const sb__rec *x = sb_map_get(&t->live, v);
        if (s->who.role == SB__ROLE_CUSTOMER) { /* its own, even once ended */
            if (v != s->who.ix) return false;
            *out = (struct topic){.kind = 'i', .id = v};
            return true;
        }
        if (x && !sb__see_ix(t, &s->who, x->queue, x->agent, x)) return false;
        if (!x && s->who.role != SB__ROLE_ADMIN && s->who.role != SB__ROLE_INTEGRATION) return false;
        *out = (struct topic){.kind = 'i', .id = v};
    } else {
        return false;
    }
    return true;
}

/* "stats:queue:ID" (whoever sees the queue; keys need stats:read) and
 * "stats:tenant" (admins, supervisors, keys with stats:read). */
static bool parse_stats_topic(sb__sub *s, const char *name, struct topic *out) {
    const sb__tenant *t = s->t;
    if (s->who.role == SB__ROLE_INTEGRATION && !(s->who.scopes & SB__SCOPE(STATS_READ))) return false;
    if (!strcmp(name, "stats:tenant") && sb__see_tenant_stats(&s->who)) {
        *out = (struct topic){.kind = 'T'};
        return true;
    }
    const char *id = name + strlen("stats:queue:");
    if (strncmp(name, "stats:queue:", strlen("stats:queue:")) || !json_object_get(t->res[SB__RES_QUEUE], id) ||
        !sb__see_queue(t, &s->who, sb__id_of(t, id)))
        return false;
    *out = (struct topic){.kind = 's', .id = sb__id_of(t, id)};
    return true;
}

static json_t *stats_of(sb__sub *s, const struct topic *tp, int64_t now) {
    return tp->kind == 'T' ? sb__tstats_tenant_json(s->t, now) : sb__tstats_queue_json(s->t, tp->id, now);
}

static void push_stats(sb__sub *s, struct topic *tp, int64_t now) {
    json_t *st = stats_of(s, tp, now);
    if (st == NULL) return;
    char topic[100];
    if (tp->kind == 'T')
        snprintf(topic, sizeof(topic), "stats:tenant");
    else
        snprintf(topic, sizeof(topic), "stats:queue:%s", sb__name(s->t, tp->id));
    send_json(s, json_pack("{s:s, s:s, s:o}", "type", "stats", "topic", topic, "stats", st));
    tp->last = now;
    tp->pending = false;
}

void sb__stream_stats_flush(sb__tenant *t, int64_t now) {
    for (sb__sub *s = t->subs; s; s = s->next) {
        if (!s->subscribed || expired(s, now)) continue;
        for (uint32_t i = 0; i < s->ntopics; i++) {
            struct topic *tp = &s->topics[i];
            if (tp->kind == 's' && sb_map_get(&t->stats_dirty, tp->id)) tp->pending = true;
            if (tp->kind == 'T' && t->stats_dirty_any) tp->pending = true;
            if (tp->pending && now - tp->last >= 1000) push_stats(s, tp, now);
        }
    }
}

uint32_t sb__stream_clients(const sb_api *api) {
    uint32_t n = 0;
    for (const sb__tenant *t = api->tenants; t; t = t->next)
        for (const sb__sub *s = t->subs; s; s = s->next) n++;
    return n;
}

static void subscribe(sb__sub *s, json_t *msg) {
    static const char *const keys[] = {"type", "topics", "after", NULL};
    const char *key;
    json_t *v, *topics = json_object_get(msg, "topics"), *after = json_object_get(msg, "after");
    json_object_foreach(msg, key, v) {
        const char *const *k = keys;
        while (*k && strcmp(*k, key)) k++;
        if (!*k) {
            char d[160];
            snprintf(d, sizeof(d), "unknown field '%s'", key);
            send_error(s, "unknown_field", d);
            return;
        }
    }
    if (!json_is_array(topics) || json_array_size(topics) == 0 || json_array_size(topics) > MAX_TOPICS) {
        send_error(s, "invalid_field", "topics: a list of 1 to 256 topics");
        return;
    }
    if (after && (!json_is_integer(after) || json_integer_value(after) < 0)) {
        send_error(s, "invalid_field", "after: a sequence number, 0 or more");
        return;
    }
    struct topic parsed[MAX_TOPICS];
    uint32_t n = 0;
    bool all = false;
    size_t i;
    json_array_foreach(topics, i, v) {
        const char *name = json_string_value(v);
        if (name && !strcmp(name, "tenant") &&
            (s->who.role == SB__ROLE_ADMIN || s->who.role == SB__ROLE_INTEGRATION)) {
            all = true;
        } else if (name && !strncmp(name, "stats:", 6)) {
            if (!parse_stats_topic(s, name, &parsed[n++])) {
                char d[200];
                snprintf(d, sizeof(d), "unknown topic '%.100s'", name);
                send_error(s, "unknown_topic", d);
                return;
            }
        } else if (!name || !parse_topic(s, name, &parsed[n++])) {
            char d[200];
            snprintf(d, sizeof(d), "unknown topic '%.100s'", name ? name : "?");
            send_error(s, "unknown_topic", d);
            return;
        }
    }
    if (after) {
        uint64_t first, last;
        sb_store_event_bounds(s->api->env.store, s->t->id, &first, &last);
        uint64_t a = (uint64_t)json_integer_value(after);
        if (first && a + 1 < first) {
            send_json(s, json_pack("{s:s, s:s, s:s, s:I}", "type", "error", "code", "resume_gap",
                                   "detail", "events after this sequence are no longer kept", "first",
                                   (json_int_t)first));
            sb_ws_close(s->ws, 4409, "resume gap");
            return;
        }
        if (a > s->t->published) { /* never sent: the client would wait for nothing */
            char d[120];
            snprintf(d, sizeof(d), "after: beyond the last event (%llu)",
                     (unsigned long long)s->t->published);
            send_error(s, "invalid_field", d);
            return;
        }
    }
    index_sub(s, false);
    s->topics = sb_realloc(s->topics, (n + 1) * sizeof(*s->topics));
    memcpy(s->topics, parsed, n * sizeof(parsed[0]));
    s->ntopics = n;
    s->all = all;
    index_sub(s, true);
    s->subscribed = true;
    send_json(s, json_pack("{s:s, s:O, s:I}", "type", "subscribed", "topics", topics, "seq",
                           (json_int_t)s->t->published));
    int64_t now = sb__now(s->api); /* the figures of stats topics at once, then as they change */
    for (uint32_t k = 0; k < s->ntopics; k++)
        if (s->topics[k].kind == 's' || s->topics[k].kind == 'T') push_stats(s, &s->topics[k], now);
    if (after) {
        s->sent = (uint64_t)json_integer_value(after);
        catchup_start(s);
    } else {
        s->sent = s->t->published;
        catchup_stop(s);
    }
}

static void on_text(sb_ws *ws, const char *data, size_t len, void *ud) {
    sb__sub *s = ud;
    json_error_t e;
    json_t *msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (msg == NULL || !json_is_object(msg)) {
        send_error(s, "invalid_json", msg ? "a message is a JSON object" : e.text);
    } else if (expired(s, sb__now(s->api))) {
        /* nothing more for an expired session */
    } else if (type && !strcmp(type, "subscribe")) {
        subscribe(s, msg);
    } else if (type && !strcmp(type, "ping")) {
        send_json(s, json_pack("{s:s, s:I}", "type", "pong", "seq", (json_int_t)s->t->published));
    } else {
        send_error(s, "unknown_type", "type: \"subscribe\" or \"ping\"");
    }
    json_decref(msg);
    (void)ws;
}

static void on_open(sb_ws *ws, void *ud) {
    sb__sub *s = ud;
    s->ws = ws;
    s->live = true; /* nothing to catch up until a subscribe says so */
    s->next = s->t->subs;
    if (s->next) s->next->pprev = &s->next;
    s->pprev = &s->t->subs;
    s->t->subs = s;
    if (s->who.role == SB__ROLE_CUSTOMER) sb__chat_connected(s->t, s->who.ix, +1);
}

static void on_close(sb_ws *ws, int code, void *ud) {
    sb__sub *s = ud;
    (void)ws;
    (void)code;
    if (s->pprev) {
        if (s->who.role == SB__ROLE_CUSTOMER) sb__chat_connected(s->t, s->who.ix, -1);
        catchup_stop(s);
        index_sub(s, false);
        *s->pprev = s->next;
        if (s->next) s->next->pprev = s->pprev;
    }
    sb_free(s->topics);
    sb_free(s);
}

void sb__stream_open(sb__req *r) {
    if (r->api->stopping) {
        sb__problem(r->http, 503, "shutting_down", NULL, "the server is shutting down");
        return;
    }
    if (r->who.cookie) { /* a browser: only from a page of this server */
        const char *origin = sb_http_request_header(r->http, "Origin");
        const char *host = sb_http_request_header(r->http, "Host");
        const char *o = origin ? strstr(origin, "://") : NULL;
        if (!o || !host || strcmp(o + 3, host)) {
            sb__problem(r->http, 403, "forbidden", NULL, "cross-origin WebSocket refused");
            return;
        }
    }
    sb__sub *s = sb_calloc(1, sizeof(*s));
    s->t = r->t;
    s->api = r->api;
    s->who = r->who;
    s->expires_at = r->who.cred && !r->who.cred->api_key ? r->who.cred->expires_at : 0;
    snprintf(s->user, sizeof(s->user), "%s", r->who.user);
    s->who.user = s->user;
    s->who.cred = NULL;
    static const sb_ws_callbacks cb = {on_open, on_text, on_close};
    if (sb_ws_accept(r->http, NULL, &cb, s) != SB_OK) sb_free(s);
}

void sb__stream_close_all(sb_api *api) {
    for (sb__tenant *t = api->tenants; t; t = t->next)
        for (sb__sub *s = t->subs; s; s = s->next) sb_ws_close(s->ws, 1001, "going away");
    if (api->catching_up) uv_idle_stop(&api->catchup);
    uv_close((uv_handle_t *)&api->catchup, NULL);
}
