/* access.c: what each role may do and see.  These functions are the one
 * authorization point: api.c asks them for every route, the handlers for
 * every object they answer with or list, the stream for every
 * subscription and every event it delivers.  Whatever is not visible
 * answers exactly as a missing object would (404, absent from lists,
 * never delivered).
 *
 *   admin        everything in its tenant
 *   supervisor   reads the configuration (not users, keys, audit); the
 *                agents of its teams and the interactions of its queues
 *                or of those agents; may force those agents not ready or
 *                logged out, and act on those interactions
 *   agent        its own state, offers and interactions (offered to it,
 *                connected, in wrap-up, or handled before); reads the
 *                queues it serves and the shared lists (skills, codes,
 *                reasons, fields, teams, profiles)
 *   integration  an API key: only what its scopes name, tenant-wide
 *   customer     a web chat customer's token: the chat routes of its one
 *                conversation, the events of that interaction (the
 *                stream filters their kinds), nothing else
 *
 * Statistics follow the objects: a queue's figures for whoever sees the
 * queue, an agent's for whoever sees the agent, a team's for admins, keys
 * and the supervisors of that team, the tenant's rollup and /metrics for
 * admins and keys with stats:read (the rollup for supervisors too). */
#include <string.h>

#include "api/api-i.h"

static bool has_scope(const sb__who *w, uint32_t scope) {
    return w->role == SB__ROLE_INTEGRATION && (w->scopes & scope);
}

bool sb__access_route(const sb__who *w, int rule) {
    int role = w->role;
    if (rule == SB__RULE_PUBLIC) return true;
    if (role == SB__ROLE_NONE) return false;
    if (role == SB__ROLE_CUSTOMER || rule == SB__RULE_CUSTOMER) return role == SB__ROLE_CUSTOMER && rule == SB__RULE_CUSTOMER;
    if (role == SB__ROLE_ADMIN) return true;
    switch (rule) {
    case SB__RULE_ANY: return true;
    case SB__RULE_CONFIG_READ:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT || has_scope(w, SB__SCOPE(CONFIG_READ));
    case SB__RULE_CONFIG_WRITE: return has_scope(w, SB__SCOPE(CONFIG_WRITE));
    case SB__RULE_ADMIN: return false;
    case SB__RULE_IX_CREATE: return has_scope(w, SB__SCOPE(INTERACTIONS_WRITE));
    case SB__RULE_IX_READ:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT ||
               has_scope(w, SB__SCOPE(INTERACTIONS_READ));
    case SB__RULE_IX_WRITE:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT ||
               has_scope(w, SB__SCOPE(INTERACTIONS_WRITE));
    case SB__RULE_IX_EXPLAIN:
        return role == SB__ROLE_SUPERVISOR || has_scope(w, SB__SCOPE(INTERACTIONS_READ));
    case SB__RULE_AGENT_READ:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT || has_scope(w, SB__SCOPE(AGENTS_READ));
    case SB__RULE_AGENT_WRITE:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT || has_scope(w, SB__SCOPE(AGENTS_WRITE));
    case SB__RULE_STREAM:
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT || has_scope(w, SB__SCOPE(STREAM_READ));
    case SB__RULE_AUDIT: return has_scope(w, SB__SCOPE(AUDIT_READ));
    case SB__RULE_STATS: /* each object then as the role sees it */
        return role == SB__ROLE_SUPERVISOR || role == SB__ROLE_AGENT || has_scope(w, SB__SCOPE(STATS_READ));
    case SB__RULE_STATS_TENANT:
        return role == SB__ROLE_SUPERVISOR || has_scope(w, SB__SCOPE(STATS_READ));
    case SB__RULE_METRICS: return has_scope(w, SB__SCOPE(STATS_READ));
    default: return false;
    }
}

/* Does the JSON list of ids have name? */
static bool listed(json_t *list, const char *name) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), name)) return true;
    return false;
}

static json_t *user_of(const sb__tenant *t, const sb__who *w) {
    return json_object_get(t->res[SB__RES_USER], w->user);
}

bool sb__see_agent(const sb__tenant *t, const sb__who *w, sb_id agent) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    if (w->role == SB__ROLE_AGENT) return agent != 0 && agent == w->agent;
    if (w->role != SB__ROLE_SUPERVISOR || agent == 0) return false;
    json_t *teams = json_object_get(user_of(t, w), "teams");
    json_t *a = json_object_get(t->res[SB__RES_AGENT], sb__name(t, agent));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(a, "teams"), i, v) if (listed(teams, json_string_value(v))) return true;
    return false;
}

bool sb__see_queue(const sb__tenant *t, const sb__who *w, sb_id queue) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    const char *q = sb__name(t, queue);
    if (w->role == SB__ROLE_SUPERVISOR) return listed(json_object_get(user_of(t, w), "queues"), q);
    if (w->role == SB__ROLE_AGENT) {
        json_t *a = json_object_get(t->res[SB__RES_AGENT], sb__name(t, w->agent));
        return w->agent && listed(json_object_get(a, "queues"), q);
    }
    return false;
}

bool sb__see_resource(const sb__tenant *t, const sb__who *w, int res, const char *id) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    switch (res) {
    case SB__RES_USER: return false; /* route rules keep them to admins; belt and braces */
    case SB__RES_AGENT: return sb__see_agent(t, w, sb__id_of(t, id));
    case SB__RES_QUEUE:
        return w->role == SB__ROLE_SUPERVISOR || sb__see_queue(t, w, sb__id_of(t, id));
    default: return true;
    }
}

bool sb__see_ix(const sb__tenant *t, const sb__who *w, sb_id queue, sb_id agent, const sb__rec *live) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    if (w->role == SB__ROLE_AGENT) {
        if (w->agent == 0) return false;
        if (agent == w->agent) return true;
        for (uint8_t i = 0; live && i < live->noffers; i++)
            if (live->offers[i].agent == w->agent) return true;
        return false;
    }
    if (w->role == SB__ROLE_SUPERVISOR)
        return sb__see_queue(t, w, queue) || (agent && sb__see_agent(t, w, agent));
    return false;
}

bool sb__see_event(const sb__tenant *t, const sb__who *w, uint64_t ix, sb_id agent, sb_id target,
                   sb_id queue, sb_id queue2) {
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    if (w->role == SB__ROLE_CUSTOMER) return ix != 0 && ix == w->ix;
    if (w->role == SB__ROLE_AGENT) {
        /* only what concerns this agent; a queue's events about nobody in
         * particular (queued, steps) too, for the queues it serves */
        if (agent || target) return agent == w->agent || target == w->agent;
        if (ix) {
            const sb__rec *x = sb_map_get(&t->live, ix);
            if (x && (x->agent == w->agent || sb__see_ix(t, w, x->queue, x->agent, x))) return true;
        }
        return (queue && sb__see_queue(t, w, queue)) || (queue2 && sb__see_queue(t, w, queue2));
    }
    if (w->role == SB__ROLE_SUPERVISOR)
        return (queue && sb__see_queue(t, w, queue)) || (queue2 && sb__see_queue(t, w, queue2)) ||
               (agent && sb__see_agent(t, w, agent)) || (target && sb__see_agent(t, w, target));
    return false;
}
