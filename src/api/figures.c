/* figures.c: src/stats wired into the server.  Each tenant has an sb_stats
 * fed with every event the write path drains (commit.c) and configured
 * from the queue and agent resources (resources.c); one 1 s timer per API
 * moves every tenant's stats clock, starts a new day at UTC midnight,
 * stores the intervals that closed (documents of kind "interval") and
 * pushes the changed figures to the stream's stats topics.  The views of
 * GET /v1/stats/... are here too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"
#include "stats/stats.h"

#define DAY_MS 86400000LL
#define TICK_MS 1000

/* ---- lifetime and configuration -------------------------------------------- */

void sb__tstats_init(sb__tenant *t) {
    sb_stats_config cfg;
    sb_stats_config_default(&cfg);
    if (t->api->stats_interval_ms > 0) cfg.interval_ms = t->api->stats_interval_ms;
    t->stats = sb_stats_new(&cfg);
    if (t->stats == NULL) t->stats = sb_stats_new(NULL); /* checked by serve; belt and braces */
    sb_map_init(&t->stats_dirty);
}

void sb__tstats_free(sb__tenant *t) {
    sb_stats_free(t->stats);
    t->stats = NULL;
    sb_map_free(&t->stats_dirty);
}

/* "Today" is the UTC day: a new one starts at 00:00 UTC. */
static void clock_to(sb__tenant *t, int64_t at) {
    int64_t day = at / DAY_MS;
    if (day > t->stats_day) {
        t->stats_day = day;
        sb_stats_day_start(t->stats, day * DAY_MS);
    }
}

/* The ids of a JSON list of names, without duplicates. */
static uint32_t ids_of(sb__tenant *t, json_t *list, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_string(v) || n == max) continue;
        sb_id id = sb_core_sym(t->core, json_string_value(v));
        uint32_t k = 0;
        while (k < n && out[k] != id) k++;
        if (k == n && id) out[n++] = id;
    }
    return n;
}

void sb__tstats_config(sb__tenant *t, int res, const char *id, json_t *o) {
    sb_id sid = sb_core_sym(t->core, id);
    if (res == SB__RES_QUEUE) {
        if (o == NULL) {
            sb_stats_remove_queue(t->stats, sid);
            sb_map_del(&t->stats_dirty, sid);
            return;
        }
        json_t *th = json_object_get(json_object_get(o, "service_level"), "threshold_seconds");
        double s = json_is_number(th) ? json_number_value(th) : 20.0;
        sb_stats_set_queue(t->stats, sid, (int64_t)llround(s * 1000.0));
    } else if (res == SB__RES_AGENT) {
        if (o == NULL) {
            sb_stats_remove_agent(t->stats, sid);
            return;
        }
        json_t *tl = json_object_get(o, "teams"), *ql = json_object_get(o, "queues");
        uint32_t nt = (uint32_t)json_array_size(tl), nq = (uint32_t)json_array_size(ql);
        sb_id *teams = sb_malloc((nt + 1) * sizeof(*teams)), *queues = sb_malloc((nq + 1) * sizeof(*queues));
        nt = ids_of(t, tl, teams, nt);
        nq = ids_of(t, ql, queues, nq);
        sb_stats_set_agent(t->stats, sid, teams, nt, queues, nq);
        for (uint32_t i = 0; i < nq; i++) sb_map_put(&t->stats_dirty, queues[i], t);
        sb_free(teams);
        sb_free(queues);
    } else {
        return;
    }
    t->stats_dirty_any = true;
}

/* ---- feeding --------------------------------------------------------------- */

static void mark_agent_queues(sb__tenant *t, sb_id agent) {
    json_t *a = json_object_get(t->res[SB__RES_AGENT], sb__name(t, agent));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(a, "queues"), i, v) {
        sb_id q = json_is_string(v) ? sb__id_of(t, json_string_value(v)) : 0;
        if (q) sb_map_put(&t->stats_dirty, q, t);
    }
}

static void feed(sb__tenant *t, const sb_event *e) {
    clock_to(t, e->at);
    sb_stats_event(t->stats, e);
    t->stats_dirty_any = true;
    if (e->queue) sb_map_put(&t->stats_dirty, e->queue, t);
    if (e->queue2) sb_map_put(&t->stats_dirty, e->queue2, t);
    /* an agent's activity shows in the queues it serves */
    if (e->agent && (e->type == SB_EV_AGENT_STATE || !e->queue)) mark_agent_queues(t, e->agent);
}

void sb__tstats_feed(sb__tenant *t, const sb_event *e) {
    if (!t->stats_replaying) {
        feed(t, e);
        return;
    }
    if (t->replay_n == t->replay_cap) {
        t->replay_cap = t->replay_cap ? 2 * t->replay_cap : 256;
        t->replay_buf = sb_realloc(t->replay_buf, t->replay_cap * sizeof(*t->replay_buf));
    }
    t->replay_buf[t->replay_n++] = *e;
}

/* ---- after a restart: today's journal into the figures --------------------------- */

/* The figures live in memory; after a restart they are rebuilt from the
 * journal's events of the current UTC day, read in chunks between loop
 * turns so that serving starts at once.  Events made meanwhile wait in
 * replay_buf and follow, in order, once the journal is read up to the
 * last seq it had at start: no event twice, none missed. */
#define REPLAY_CHUNK 4096

static sb_id name_id(const sb__tenant *t, json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? sb__id_of(t, s) : 0;
}

/* The sb_event a journal entry was printed from (stream.c's format). */
static bool event_of(const sb__tenant *t, const sb_store_event *ev, sb_event *e) {
    memset(e, 0, sizeof(*e));
    for (int i = 1; i < SB_EV_COUNT && !e->type; i++)
        if (!strcmp(ev->type, sb_event_type_name(i))) e->type = (uint16_t)i;
    json_t *o = json_loadb(ev->body, ev->len, 0, NULL);
    if (o == NULL || !e->type) {
        json_decref(o);
        return false;
    }
    e->seq = ev->seq;
    e->at = ev->at;
    const char *ix = json_string_value(json_object_get(o, "interaction"));
    e->ix = ix ? strtoull(ix, NULL, 10) : 0;
    e->agent = name_id(t, o, "agent");
    e->queue = name_id(t, o, "queue");
    e->queue2 = name_id(t, o, "from_queue");
    e->target = name_id(t, o, "target_agent");
    const char *state = json_string_value(json_object_get(o, "state"));
    for (int i = 0; state && i <= SB_AGENT_NOT_RESPONDING; i++)
        if (!strcmp(state, sb_agent_state_name(i))) e->state = (uint8_t)i;
    const char *channel = json_string_value(json_object_get(o, "channel"));
    if (channel) e->channel = (uint8_t)sb_channel_parse(channel);
    e->priority = (int32_t)json_integer_value(json_object_get(o, "priority"));
    e->step = (uint8_t)json_integer_value(json_object_get(o, "step"));
    const char *reason = json_string_value(json_object_get(o, "reason"));
    if (e->type == SB_EV_AGENT_STATE) {
        e->code = reason ? sb__id_of(t, reason) : 0;
    } else {
        for (int i = 1; reason && i <= SB_REASON_CONFIG; i++)
            if (!strcmp(reason, sb_reason_name(i))) e->reason = (uint8_t)i;
        e->code = name_id(t, o, "wrapup_code");
    }
    static const char *const values[] = {"arrived_at", "deadline", "until", NULL};
    for (const char *const *v = values; *v; v++)
        if (json_object_get(o, *v)) e->value = json_integer_value(json_object_get(o, *v));
    if (json_is_true(json_object_get(o, "keep_arrival"))) e->value = 1;
    json_decref(o);
    return true;
}

static int replay_one(void *data, const sb_store_event *ev) {
    sb__tenant *t = data;
    sb_event e;
    if (ev->seq > t->replay_end) return 1;
    t->replay_next = ev->seq + 1;
    if (event_of(t, ev, &e)) feed(t, &e);
    return 0;
}

static void replay_done(sb__tenant *t) {
    t->stats_replaying = false;
    for (size_t i = 0; i < t->replay_n; i++) feed(t, &t->replay_buf[i]);
    sb_free(t->replay_buf);
    t->replay_buf = NULL;
    t->replay_n = t->replay_cap = 0;
    if (--t->api->replaying == 0) uv_idle_stop(&t->api->replay_idle);
}

static void on_replay(uv_idle_t *h) {
    sb_api *api = h->data;
    for (sb__tenant *t = api->tenants; t; t = t->next) {
        if (!t->stats_replaying) continue;
        uint64_t before = t->replay_next;
        int rc = sb_store_events_after(api->env.store, t->id, t->replay_next - 1, REPLAY_CHUNK, replay_one, t);
        if (rc < 0)
            fprintf(stderr, "switchboard: tenant %s: today's figures stay partial: %s\n", t->name,
                    sb_store_errmsg(api->env.store));
        if (rc < 0 || t->replay_next > t->replay_end || t->replay_next == before) replay_done(t);
    }
}

void sb__tstats_replay_prepare(sb__tenant *t) { t->stats_replaying = true; }

typedef struct probe {
    int64_t at;
    uint64_t seq;
} probe;

static int probe_one(void *data, const sb_store_event *ev) {
    probe *p = data;
    p->at = ev->at;
    p->seq = ev->seq;
    return 1;
}

void sb__tstats_replay_start(sb__tenant *t, uint64_t end) {
    sb_api *api = t->api;
    uint64_t first, last;
    int64_t today = sb__now(api) / DAY_MS * DAY_MS;
    if (sb_store_event_bounds(api->env.store, t->id, &first, &last) || first == 0 || end < first) {
        t->replay_end = 0;
    } else {
        /* the first event of today: seqs are contiguous and times grow */
        uint64_t lo = first, hi = end + 1;
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            probe p = {0, 0};
            sb_store_events_after(api->env.store, t->id, mid - 1, 1, probe_one, &p);
            if (p.seq && p.at < today)
                lo = mid + 1;
            else
                hi = mid;
        }
        t->replay_next = lo;
        t->replay_end = end;
    }
    if (t->replay_end == 0 || t->replay_next > t->replay_end) {
        t->stats_replaying = true; /* so that replay_done counts it down */
        api->replaying++;
        replay_done(t);
        return;
    }
    if (api->replaying++ == 0) {
        api->replay_idle.data = api;
        uv_idle_start(&api->replay_idle, on_replay);
    }
}

/* ---- closed intervals into the store ------------------------------------------ */

static json_t *counts_json(json_t *o, const sb_stats_counts *c) {
    json_object_set_new(o, "offered", json_integer((json_int_t)c->offered));
    json_object_set_new(o, "answered", json_integer((json_int_t)c->answered));
    json_object_set_new(o, "answered_in_sl", json_integer((json_int_t)c->answered_in_sl));
    json_object_set_new(o, "abandoned", json_integer((json_int_t)c->abandoned));
    json_object_set_new(o, "short_abandoned", json_integer((json_int_t)c->short_abandoned));
    json_object_set_new(o, "canceled", json_integer((json_int_t)c->canceled));
    json_object_set_new(o, "ended", json_integer((json_int_t)c->ended));
    json_object_set_new(o, "moved", json_integer((json_int_t)c->moved));
    json_object_set_new(o, "handled", json_integer((json_int_t)c->handled));
    json_object_set_new(o, "transferred", json_integer((json_int_t)c->transferred));
    json_object_set_new(o, "answer_wait_ms", json_integer(c->answer_wait_ms));
    json_object_set_new(o, "abandon_wait_ms", json_integer(c->abandon_wait_ms));
    json_object_set_new(o, "max_wait_ms", json_integer(c->max_wait_ms));
    json_object_set_new(o, "talk_ms", json_integer(c->talk_ms));
    json_object_set_new(o, "wrap_ms", json_integer(c->wrap_ms));
    return o;
}

static json_t *ratio(double v) { return v < 0 ? json_null() : json_real(v); }

static json_t *acts_json(const int64_t *ms) {
    json_t *o = json_object();
    for (int a = 1; a < SB_STATS_ACT_COUNT; a++)
        json_object_set_new(o, sb_stats_activity_name(a), json_integer(ms[a]));
    return o;
}

static void persist_intervals(sb__tenant *t) {
    uint32_t n;
    const sb_stats_interval *iv = sb_stats_intervals(t->stats, &n);
    if (n == 0) return;
    sb__txn *x = sb__txn_begin(t, NULL);
    for (uint32_t i = 0; i < n; i++) {
        bool queue = iv[i].kind == SB_STATS_ROW_QUEUE;
        const char *name = sb__name(t, iv[i].id);
        char docid[160];
        snprintf(docid, sizeof(docid), "%013lld.%s.%s", (long long)iv[i].start, queue ? "queue" : "agent", name);
        json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "kind", queue ? "queue" : "agent", queue ? "queue" : "agent",
                              name, "start", (json_int_t)iv[i].start, "end", (json_int_t)iv[i].end);
        counts_json(o, &iv[i].c);
        if (queue)
            json_object_set_new(o, "unresolved", json_integer((json_int_t)iv[i].unresolved));
        else
            json_object_set_new(o, "time_ms", acts_json(iv[i].time_ms));
        sb__txn_put_doc(x, "interval", docid, o);
        json_decref(o);
    }
    sb_stats_intervals_clear(t->stats);
    sb__txn_commit(x);
}

/* ---- the tick ------------------------------------------------------------------ */

static void on_tick(uv_timer_t *h) {
    sb_api *api = h->data;
    uint64_t hr = uv_hrtime();
    if (api->tick_hr) { /* how late this tick came: the loop's lag */
        int64_t late = (int64_t)(hr - api->tick_hr) - (int64_t)TICK_MS * 1000000;
        if (late < 0) late = 0;
        api->metrics->lag_last_us = late / 1000;
        sb__hist_add(&api->metrics->loop_lag, sb__lat_bounds, (double)late / 1e9);
    }
    api->tick_hr = hr;
    int64_t now = sb__now(api);
    for (sb__tenant *t = api->tenants; t; t = t->next) {
        sb__chat_tick(t, now);
        if (t->stats_replaying) continue; /* its clock is in the replayed past */
        clock_to(t, now);
        sb_stats_advance(t->stats, now);
        persist_intervals(t);
        sb__stream_stats_flush(t, now);
        if (sb_map_len(&t->stats_dirty)) {
            sb_map_free(&t->stats_dirty);
            sb_map_init(&t->stats_dirty);
        }
        t->stats_dirty_any = false;
    }
}

void sb__tstats_start(sb_api *api) {
    if (api->tick_started) return;
    uv_timer_init(api->env.loop, &api->tick);
    api->tick.data = api;
    uv_timer_start(&api->tick, on_tick, TICK_MS, TICK_MS);
    api->tick_hr = uv_hrtime();
    api->tick_started = true;
}

/* Closing: the tick stops; intervals that closed since the last tick are
 * stored still (the store commits what was submitted before it closes). */
void sb__tstats_stop(sb_api *api) {
    if (!api->tick_started) return;
    uv_close((uv_handle_t *)&api->tick, NULL);
    int64_t now = sb__now(api);
    for (sb__tenant *t = api->tenants; t; t = t->next) {
        clock_to(t, now);
        sb_stats_advance(t->stats, now);
        persist_intervals(t);
    }
}

/* ---- views as JSON --------------------------------------------------------------- */

static json_t *period_json(const sb_stats_period *p) {
    json_t *o = counts_json(json_object(), &p->c);
    json_object_set_new(o, "service_level", ratio(p->sl));
    json_object_set_new(o, "asa_ms", ratio(p->asa_ms));
    json_object_set_new(o, "aht_ms", ratio(p->aht_ms));
    return o;
}

static json_t *agents_json(uint32_t agents, uint32_t logged_in, const uint32_t *by) {
    json_t *o = json_pack("{s:I, s:I, s:I}", "total", (json_int_t)agents, "logged_in", (json_int_t)logged_in,
                          "logged_out", (json_int_t)(agents - logged_in));
    for (int a = 1; a < SB_STATS_ACT_COUNT; a++)
        json_object_set_new(o, sb_stats_activity_name(a), json_integer(by[a]));
    return o;
}

static json_t *queue_json(const sb__tenant *t, const sb_stats_queue_view *v, int64_t now) {
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I}", "queue", sb__name(t, v->queue),
                     "at", (json_int_t)now, "sl_threshold_ms", (json_int_t)v->sl_threshold_ms, "waiting",
                     (json_int_t)v->waiting, "offering", (json_int_t)v->offering, "oldest_wait_ms",
                     (json_int_t)v->oldest_wait_ms, "estimated_wait_ms",
                     v->estimated_wait_ms >= 0 ? json_integer(v->estimated_wait_ms) : json_null(), "agents", agents_json(v->agents, v->logged_in, v->by_activity),
                     "today", period_json(&v->today), "window", period_json(&v->window), "window_minutes",
                     (json_int_t)v->window_min, "day_start", (json_int_t)v->day_start);
}

static json_t *group_json(const sb_stats_group_view *v, int64_t now) {
    return json_pack("{s:I, s:o, s:o, s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I}", "at",
                     (json_int_t)now, "agents", agents_json(v->agents, v->logged_in, v->by_activity),
                     "agent_today", period_json(&v->agent_today), "time_ms", acts_json(v->time_ms),
                     "logged_in_ms", (json_int_t)v->logged_in_ms, "busy_ms", (json_int_t)v->busy_ms, "occupancy",
                     ratio(v->occupancy), "queues", (json_int_t)v->queues, "waiting", (json_int_t)v->waiting,
                     "offering", (json_int_t)v->offering, "oldest_wait_ms", (json_int_t)v->oldest_wait_ms,
                     "today", period_json(&v->today), "window", period_json(&v->window), "window_minutes",
                     (json_int_t)v->window_min, "day_start", (json_int_t)v->day_start);
}

json_t *sb__tstats_queue_json(sb__tenant *t, sb_id queue, int64_t now) {
    sb_stats_queue_view v;
    clock_to(t, now);
    if (sb_stats_queue_view_get(t->stats, queue, now, &v) != SB_OK) return NULL;
    return queue_json(t, &v, now);
}

json_t *sb__tstats_tenant_json(sb__tenant *t, int64_t now) {
    sb_stats_group_view v;
    clock_to(t, now);
    sb_stats_tenant_view_get(t->stats, now, &v);
    return group_json(&v, now);
}

/* ---- visibility ------------------------------------------------------------------ */

bool sb__see_tenant_stats(const sb__who *w) {
    return w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_SUPERVISOR ||
           (w->role == SB__ROLE_INTEGRATION && (w->scopes & SB__SCOPE(STATS_READ)));
}

bool sb__see_team(const sb__tenant *t, const sb__who *w, const char *team) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    if (w->role != SB__ROLE_SUPERVISOR) return false;
    json_t *u = json_object_get(t->res[SB__RES_USER], w->user);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(u, "teams"), i, v) if (json_is_string(v) && !strcmp(json_string_value(v), team))
        return true;
    return false;
}

/* ---- routes ---------------------------------------------------------------------- */

static void not_found(sb__req *r, const char *what) {
    sb__problem(r->http, 404, "not_found", NULL, "no such %s", what);
}

/* GET /v1/stats/queues: every visible queue, in id order. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

void sb__tstats_queues(sb__req *r) {
    sb__tenant *t = r->t;
    int64_t now = sb__now(r->api);
    json_t *all = t->res[SB__RES_QUEUE];
    const char **ids = sb_malloc((json_object_size(all) + 1) * sizeof(*ids));
    size_t n = 0;
    const char *id;
    json_t *o;
    json_object_foreach(all, id, o) if (sb__see_queue(t, &r->who, sb__id_of(t, id))) ids[n++] = id;
    qsort(ids, n, sizeof(*ids), cmp_str);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *q = sb__tstats_queue_json(t, sb__id_of(t, ids[i]), now);
        if (q) json_array_append_new(items, q);
    }
    sb_free(ids);
    sb__send(r->http, 200, json_pack("{s:o}", "items", items), 0);
}

void sb__tstats_queue(sb__req *r) {
    sb__tenant *t = r->t;
    sb_id q = sb__id_of(t, r->id);
    json_t *doc = NULL;
    if (json_object_get(t->res[SB__RES_QUEUE], r->id) && sb__see_queue(t, &r->who, q))
        doc = sb__tstats_queue_json(t, q, sb__now(r->api));
    if (doc == NULL) return not_found(r, "queue");
    sb__send(r->http, 200, doc, 0);
}

void sb__tstats_agent(sb__req *r) {
    sb__tenant *t = r->t;
    sb_id a = sb__id_of(t, r->id);
    int64_t now = sb__now(r->api);
    sb_stats_agent_view v;
    clock_to(t, now);
    if (!json_object_get(t->res[SB__RES_AGENT], r->id) || !sb__see_agent(t, &r->who, a) ||
        sb_stats_agent_view_get(t->stats, a, now, &v) != SB_OK)
        return not_found(r, "agent");
    const char *activity = sb_stats_activity_name(v.activity);
    json_t *doc = json_pack(
        "{s:s, s:I, s:s, s:s?, s:I, s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:I}", "agent", r->id, "at",
        (json_int_t)now, "state", sb_agent_state_name(v.state), "reason", v.reason ? sb__name(t, v.reason) : NULL,
        "state_ms", (json_int_t)v.state_ms, "activity", activity ? activity : "", "activity_ms",
        (json_int_t)v.activity_ms, "holding", (json_int_t)v.holding, "handled", (json_int_t)v.today.c.handled,
        "today", period_json(&v.today), "time_ms", acts_json(v.time_ms), "logged_in_ms", (json_int_t)v.logged_in_ms,
        "busy_ms", (json_int_t)v.busy_ms, "occupancy", ratio(v.occupancy), "day_start", (json_int_t)v.day_start);
    sb__send(r->http, 200, doc, 0);
}

void sb__tstats_team(sb__req *r) {
    sb__tenant *t = r->t;
    int64_t now = sb__now(r->api);
    if (!json_object_get(t->res[SB__RES_TEAM], r->id) || !sb__see_team(t, &r->who, r->id))
        return not_found(r, "team");
    sb_stats_group_view v;
    clock_to(t, now);
    if (sb_stats_team_view_get(t->stats, sb__id_of(t, r->id), now, &v) != SB_OK) {
        /* a team nobody is in yet: its figures are zeros */
        sb_stats_group_view all;
        sb_stats_tenant_view_get(t->stats, now, &all);
        memset(&v, 0, sizeof(v));
        v.occupancy = v.agent_today.sl = v.agent_today.asa_ms = v.agent_today.aht_ms = -1;
        v.today = v.window = v.agent_today;
        v.window_min = all.window_min;
        v.day_start = all.day_start;
    }
    json_t *doc = group_json(&v, now);
    json_object_set_new(doc, "team", json_string(r->id));
    sb__send(r->http, 200, doc, 0);
}

void sb__tstats_tenant(sb__req *r) {
    if (!sb__see_tenant_stats(&r->who)) {
        sb__problem(r->http, 403, "forbidden", NULL, "the %s role may not do this", sb__role_name(r->who.role));
        return;
    }
    sb__send(r->http, 200, sb__tstats_tenant_json(r->t, sb__now(r->api)), 0);
}
