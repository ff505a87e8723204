/* stats.c: the statistics object, its configuration (queues, agents,
 * teams), the clock and the day. */
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "stats/stats-i.h"

#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)

void sb_stats_config_default(sb_stats_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->interval_ms = 15 * SB__MINUTE_MS;
    cfg->interval_grace_ms = 60 * SB__MINUTE_MS;
    cfg->window_min = 15;
    cfg->short_abandon_ms = 5000;
    cfg->default_sl_ms = 20000;
}

static bool config_ok(const sb_stats_config *c) {
    return c->interval_ms >= SB__MINUTE_MS && c->interval_ms % SB__MINUTE_MS == 0 &&
           DAY_MS % c->interval_ms == 0 && c->interval_grace_ms >= 0 &&
           c->interval_grace_ms <= WEEK_MS && c->window_min >= 1 && c->window_min <= 1440 &&
           c->short_abandon_ms >= 0 && c->default_sl_ms >= 0;
}

void *sb__stats_grow(void *arr, uint32_t n, uint32_t *cap, size_t size) {
    if (n < *cap) return arr;
    *cap = *cap ? *cap * 2 : 8;
    return sb_realloc(arr, *cap * size);
}

sb_stats *sb_stats_new(const sb_stats_config *cfg) {
    sb_stats_config def;
    if (cfg == NULL) {
        sb_stats_config_default(&def);
        cfg = &def;
    }
    if (!config_ok(cfg)) return NULL;
    sb_stats *s = sb_calloc(1, sizeof(*s));
    s->cfg = *cfg;
    sb_map_init(&s->ixs);
    sb_map_init(&s->queues);
    sb_map_init(&s->agents);
    sb_map_init(&s->teams);
    s->next_close = s->agent_roll = INT64_MAX;
    return s;
}

static void queue_free(sb__squeue *q) {
    sb_free(q->ring);
    sb_free(q->ivs);
    sb_free(q);
}

static void team_free(sb__steam *t) {
    sb_free(t->members);
    sb_free(t->queues);
    sb_free(t);
}

static void agent_free(sb__sagent *a) {
    sb_free(a->queues);
    sb_free(a->teams);
    sb_free(a);
}

void sb_stats_free(sb_stats *s) {
    if (s == NULL) return;
    sb__stats_rec_free_all(s);
    for (uint32_t i = 0; i < s->nq; i++) queue_free(s->qv[i]);
    for (uint32_t i = 0; i < s->na; i++) agent_free(s->av[i]);
    for (uint32_t i = 0; i < s->nt; i++) team_free(s->tv[i]);
    sb_free(s->qv);
    sb_free(s->av);
    sb_free(s->tv);
    sb_map_free(&s->ixs);
    sb_map_free(&s->queues);
    sb_map_free(&s->agents);
    sb_map_free(&s->teams);
    sb_free(s->out);
    sb_free(s);
}

/* ---- objects ---- */

sb__squeue *sb__stats_queue(sb_stats *s, sb_id id) {
    SB_ASSERT(id != 0);
    sb__squeue *q = sb_map_get(&s->queues, id);
    if (q) return q;
    q = sb_calloc(1, sizeof(*q));
    q->id = id;
    q->sl_ms = s->cfg.default_sl_ms;
    q->ring = sb_calloc(s->cfg.window_min, sizeof(*q->ring));
    for (uint32_t i = 0; i < s->cfg.window_min; i++) q->ring[i].minute = INT64_MIN;
    sb_map_put(&s->queues, id, q);
    s->qv = sb__stats_grow(s->qv, s->nq, &s->cap_q, sizeof(*s->qv));
    q->pos = s->nq;
    s->qv[s->nq++] = q;
    return q;
}

sb__sagent *sb__stats_agent(sb_stats *s, sb_id id) {
    SB_ASSERT(id != 0);
    sb__sagent *a = sb_map_get(&s->agents, id);
    if (a) return a;
    a = sb_calloc(1, sizeof(*a));
    a->id = id;
    a->state = SB_AGENT_LOGGED_OUT;
    a->act = SB_STATS_LOGGED_OUT;
    a->acc = a->state_since = a->act_since = s->now;
    sb_map_put(&s->agents, id, a);
    s->av = sb__stats_grow(s->av, s->na, &s->cap_a, sizeof(*s->av));
    a->pos = s->na;
    s->av[s->na++] = a;
    return a;
}

static sb__steam *team_get(sb_stats *s, sb_id id) {
    sb__steam *t = sb_map_get(&s->teams, id);
    if (t) return t;
    t = sb_calloc(1, sizeof(*t));
    t->id = id;
    sb_map_put(&s->teams, id, t);
    s->tv = sb__stats_grow(s->tv, s->nt, &s->cap_t, sizeof(*s->tv));
    t->pos = s->nt;
    s->tv[s->nt++] = t;
    return t;
}

/* A team's queues are counted by how many of its members serve each. */
static void team_queue_ref(sb__steam *t, sb__squeue *q, int delta) {
    for (uint32_t i = 0; i < t->nqueues; i++) {
        if (t->queues[i].q != q) continue;
        t->queues[i].refs += (uint32_t)delta;
        if (t->queues[i].refs == 0) t->queues[i] = t->queues[--t->nqueues];
        return;
    }
    SB_ASSERT(delta > 0);
    t->queues = sb__stats_grow(t->queues, t->nqueues, &t->cap_queues, sizeof(*t->queues));
    t->queues[t->nqueues++] = (sb__steam_queue){q, 1};
}

static void team_join(sb__steam *t, sb__sagent *a, int sign) {
    if (sign > 0) {
        t->members = sb__stats_grow(t->members, t->nmembers, &t->cap_members, sizeof(*t->members));
        t->members[t->nmembers++] = a;
    } else {
        for (uint32_t i = 0; i < t->nmembers; i++)
            if (t->members[i] == a) {
                t->members[i] = t->members[--t->nmembers];
                break;
            }
    }
    for (uint32_t i = 0; i < a->nqueues; i++) team_queue_ref(t, a->queues[i], sign);
}

/* Take the agent out of (sign -1) or into (+1) its queues and teams. */
static void agent_link(sb__sagent *a, int sign) {
    for (uint32_t i = 0; i < a->nteams; i++) team_join(a->teams[i], a, sign);
    sb__stats_agent_tally(a, sign);
    for (uint32_t i = 0; i < a->nqueues; i++) a->queues[i]->agents += (uint32_t)sign;
}

static bool ids_ok(const sb_id *ids, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] == 0) return false;
        for (uint32_t j = 0; j < i; j++)
            if (ids[j] == ids[i]) return false;
    }
    return true;
}

int sb_stats_set_agent(sb_stats *s, sb_id id, const sb_id *teams, uint32_t nteams,
                       const sb_id *queues, uint32_t nqueues) {
    if (id == 0 || !ids_ok(teams, nteams) || !ids_ok(queues, nqueues)) return SB_EINVAL;
    sb__sagent *a = sb__stats_agent(s, id);
    agent_link(a, -1);
    a->queues = sb_realloc(a->queues, (nqueues ? nqueues : 1) * sizeof(*a->queues));
    a->teams = sb_realloc(a->teams, (nteams ? nteams : 1) * sizeof(*a->teams));
    for (uint32_t i = 0; i < nqueues; i++) a->queues[i] = sb__stats_queue(s, queues[i]);
    for (uint32_t i = 0; i < nteams; i++) a->teams[i] = team_get(s, teams[i]);
    a->nqueues = nqueues;
    a->nteams = nteams;
    agent_link(a, +1);
    return SB_OK;
}

int sb_stats_remove_agent(sb_stats *s, sb_id id) {
    sb__sagent *a = sb_map_get(&s->agents, id);
    if (a == NULL) return SB_ENOENT;
    if (a->act != SB_STATS_LOGGED_OUT || a->held) return SB_ESTATE;
    sb__stats_accrue(s, a, s->now);
    if (a->iv_open) sb__stats_emit(s, &a->iv);
    agent_link(a, -1);
    s->av[a->pos] = s->av[--s->na];
    s->av[a->pos]->pos = a->pos;
    sb_map_del(&s->agents, id);
    agent_free(a);
    return SB_OK;
}

int sb_stats_set_queue(sb_stats *s, sb_id id, int64_t sl_threshold_ms) {
    if (id == 0 || sl_threshold_ms < 0) return SB_EINVAL;
    sb__stats_queue(s, id)->sl_ms = sl_threshold_ms;
    return SB_OK;
}

int sb_stats_remove_queue(sb_stats *s, sb_id id) {
    sb__squeue *q = sb_map_get(&s->queues, id);
    if (q == NULL) return SB_ENOENT;
    if (q->live) return SB_EINUSE;
    sb__stats_qiv_close_all(s, q);
    for (uint32_t k = 0; k < s->na; k++) {
        sb__sagent *a = s->av[k];
        for (uint32_t i = 0; i < a->nqueues; i++) {
            if (a->queues[i] != q) continue;
            for (uint32_t j = 0; j < a->nteams; j++) team_queue_ref(a->teams[j], q, -1);
            a->queues[i] = a->queues[--a->nqueues];
            break;
        }
    }
    s->qv[q->pos] = s->qv[--s->nq];
    s->qv[q->pos]->pos = q->pos;
    sb_map_del(&s->queues, id);
    queue_free(q);
    return SB_OK;
}

int sb_stats_set_short_abandon(sb_stats *s, int64_t ms) {
    if (ms < 0) return SB_EINVAL;
    s->cfg.short_abandon_ms = ms;
    return SB_OK;
}

/* ---- the clock and the day ---- */

void sb_stats_advance(sb_stats *s, int64_t now) {
    if (now > s->now) s->now = now;
    sb__stats_close_due(s);
}

void sb_stats_day_start(sb_stats *s, int64_t t) {
    sb_stats_advance(s, t);
    for (uint32_t i = 0; i < s->na; i++) {
        sb__sagent *a = s->av[i];
        sb__stats_accrue(s, a, s->now);
        memset(a->time_ms, 0, sizeof(a->time_ms));
        memset(&a->today, 0, sizeof(a->today));
    }
    for (uint32_t i = 0; i < s->nq; i++) memset(&s->qv[i]->today, 0, sizeof(s->qv[i]->today));
    s->day_start = s->now;
}

void sb_stats_sizes_get(const sb_stats *s, sb_stats_sizes *out) {
    memset(out, 0, sizeof(*out));
    out->interactions = s->nrecs;
    out->queues = s->nq;
    out->agents = s->na;
    out->teams = s->nt;
    for (uint32_t i = 0; i < s->nq; i++) out->open_intervals += s->qv[i]->nivs;
    for (uint32_t i = 0; i < s->na; i++) out->open_intervals += s->av[i]->iv_open;
}
