/* tenant.c: the tenants of the process, each with its own core; the
 * tenant registry is stored as documents of kind "tenant" in the store's
 * tenant 0; the core's timers run on a libuv timer per tenant. */
#include <stdio.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

const char *sb__name(const sb__tenant *t, sb_id id) {
    if (id == 0) return "";
    const char *s = sb_intern_str(sb_core_syms(t->core), (sb_sym)id);
    return s ? s : "";
}

sb_id sb__id_of(const sb__tenant *t, const char *name) {
    return sb_intern_find(sb_core_syms(t->core), name, strlen(name));
}

sb__tenant *sb__tenant_find(sb_api *api, const char *name) {
    for (sb__tenant *t = api->tenants; t; t = t->next)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}

static void on_timer(uv_timer_t *h) {
    sb__tenant *t = h->data;
    t->timer_at = INT64_MAX;
    uint64_t t0 = uv_hrtime();
    sb_core_advance(t->core, sb__now(t->api));
    sb__metric_decision(t->api, t0);
    sb__txn *x = sb__txn_begin(t, NULL);
    sb__txn_commit(x); /* drains what the timers did; re-arms */
}

void sb__tenant_arm(sb__tenant *t) {
    if (t->api->stopping) return; /* the timer is closed */
    int64_t at = sb_core_next_deadline(t->core);
    if (at == t->timer_at) return;
    t->timer_at = at;
    if (at == INT64_MAX) {
        uv_timer_stop(&t->timer);
        return;
    }
    int64_t now = sb__now(t->api);
    uv_timer_start(&t->timer, on_timer, at > now ? (uint64_t)(at - now) : 0, 0);
}

static sb__tenant *tenant_new(sb_api *api, uint64_t id, const char *name) {
    sb__tenant *t = sb_calloc(1, sizeof(*t));
    t->id = id;
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->api = api;
    t->core = sb_core_new(id);
    for (int i = 0; i < SB__RES_COUNT; i++) t->res[i] = json_object();
    sb_map_init(&t->live);
    sb_map_init(&t->idem_pending);
    sb_map_init(&t->creds);
    sb_map_init(&t->chat_conns);
    sb_map_init(&t->chat_gone);
    sb_multimap_init(&t->topic_subs);
    sb_multimap_init(&t->agent_work);
    t->passwords = json_object();
    sb__tstats_init(t);
    t->timer_at = INT64_MAX;
    uv_timer_init(api->env.loop, &t->timer);
    t->timer.data = t;
    t->next = api->tenants;
    api->tenants = t;
    if (id >= api->next_tenant) api->next_tenant = id + 1;
    return t;
}

typedef struct wait_one {
    int done, status;
    char error[200];
} wait_one;

static void on_done(void *data, int status, const sb_store_batch *b) {
    wait_one *w = data;
    w->done = 1;
    w->status = status;
    snprintf(w->error, sizeof(w->error), "%s", sb_store_batch_error(b));
}

/* Commit a batch and run the loop until it is durable (start-up only). */
static int commit_now(sb_api *api, sb_store_batch *b, char *err, size_t errlen) {
    wait_one w = {0};
    int rc = sb_store_submit(api->env.store, b, on_done, &w);
    if (rc) {
        snprintf(err, errlen, "%s", sb_store_errmsg(api->env.store));
        return rc;
    }
    while (!w.done) uv_run(api->env.loop, UV_RUN_ONCE);
    if (w.status) snprintf(err, errlen, "%s", w.error);
    return w.status;
}

int sb__tenant_create(sb_api *api, const char *name, sb__tenant **out) {
    char err[200];
    uint64_t id = api->next_tenant;
    json_t *doc = json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    sb_store_batch *b = sb_store_batch_new(sb__now(api));
    sb_store_batch_put(b, 0, "tenant", name, 0, text, strlen(text));
    free(text);
    int rc = commit_now(api, b, err, sizeof(err));
    if (rc) return rc;
    *out = tenant_new(api, id, name);
    return SB_OK;
}

typedef struct load_ctx {
    sb_api *api;
    int rc;
    char *err;
    size_t errlen;
} load_ctx;

static int load_one(void *data, const sb_store_doc *d) {
    load_ctx *l = data;
    json_t *doc = json_loadb(d->body, d->len, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    if (id <= 0) {
        snprintf(l->err, l->errlen, "tenant %s: stored document has no id", d->id);
        return SB_EINVAL;
    }
    tenant_new(l->api, (uint64_t)id, d->id);
    return 0;
}

/* Retention: one bounded prune per tenant and kind, every few minutes
 * (a backlog after a long stop drains over several rounds): journal
 * events and idempotency keys past SB__RETAIN_MS, expired sessions and
 * customer tokens. */
static void on_prune(uv_timer_t *h) {
    sb_api *api = h->data;
    int64_t before = sb__now(api) - SB__RETAIN_MS;
    sb__throttle_prune(api);
    for (sb__tenant *t = api->tenants; t; t = t->next) {
        sb_store_batch *b = sb_store_batch_new(sb__now(api));
        sb_store_batch_prune_events(b, t->id, before, SB__PRUNE_MAX);
        sb_store_batch_prune_idem(b, t->id, before, SB__PRUNE_MAX);
        sb__creds_prune(t, b, sb__now(api));
        sb_store_submit(api->env.store, b, NULL, NULL);
    }
}

int sb__tenants_load(sb_api *api, char *err, size_t errlen) {
    load_ctx l = {api, 0, err, errlen};
    int rc = sb_store_doc_list(api->env.store, 0, "tenant", NULL, 0, load_one, &l, NULL);
    if (rc) {
        if (!*err) snprintf(err, errlen, "%s", sb_store_errmsg(api->env.store));
        return rc;
    }
    sb__tenant *t;
    if (api->tenants == NULL && (rc = sb__tenant_create(api, "default", &t))) {
        snprintf(err, errlen, "cannot create the default tenant: %s", sb_status_name(rc));
        return rc;
    }
    for (t = api->tenants; t; t = t->next) {
        if ((rc = sb__res_load(t, err, errlen))) return rc;
        if ((rc = sb__auth_load(t))) {
            snprintf(err, errlen, "tenant %s: cannot read the credentials", t->name);
            return rc;
        }
        sb__tstats_replay_prepare(t); /* from here on, new events wait for the replay */
        if ((rc = sb__restore(t, err, errlen))) return rc;
        sb__chat_restored(t);
        sb__tstats_replay_start(t, t->published); /* the journal as it was at start */
        sb__tenant_arm(t);
    }
    uv_timer_init(api->env.loop, &api->prune);
    api->prune.data = api;
    /* the first round soon after start: what expired while stopped goes */
    uv_timer_start(&api->prune, on_prune, SB__PRUNE_FIRST_MS, SB__PRUNE_EVERY_MS);
    api->started = true;
    return SB_OK;
}

static void rec_free(void *r) { sb__rec_free(r); }

void sb__tenants_free(sb_api *api) {
    while (api->tenants) {
        sb__tenant *t = api->tenants;
        api->tenants = t->next;
        sb_map_free_all(&t->live, rec_free);
        sb_multimap_free(&t->agent_work);
        sb_map_free(&t->idem_pending);
        sb_map_free(&t->chat_conns);
        sb_map_free(&t->chat_gone);
        sb__auth_free(t);
        sb__stream_tenant_free(t);
        sb_free(t->replay_buf);
        sb_free(t->grace_agents);
        for (int i = 0; i < SB__RES_COUNT; i++) json_decref(t->res[i]);
        sb__tstats_free(t);
        sb_core_free(t->core);
        sb_free(t); /* its timer was closed by sb_api_stop, and the loop has run since */
    }
}
