/* view.c: queries: a queue, an agent, a team, the tenant, at `now`. */
#include <string.h>

#include "base/status.h"
#include "stats/stats-i.h"

static int64_t clock_at(const sb_stats *s, int64_t now) { return now > s->now ? now : s->now; }

static int64_t oldest(const sb__squeue *q, int64_t now) {
    return q->head ? now - q->head->entered : 0;
}

int sb_stats_queue_view_get(const sb_stats *s, sb_id id, int64_t now, sb_stats_queue_view *out) {
    const sb__squeue *q = sb_map_get(&s->queues, id);
    if (q == NULL) return SB_ENOENT;
    now = clock_at(s, now);
    memset(out, 0, sizeof(*out));
    out->queue = id;
    out->sl_threshold_ms = q->sl_ms;
    out->waiting = q->waiting;
    out->offering = q->offering;
    out->oldest_wait_ms = oldest(q, now);
    out->agents = q->agents;
    out->logged_in = q->agents - q->by_act[SB_STATS_LOGGED_OUT];
    memcpy(out->by_activity, q->by_act, sizeof(out->by_activity));
    sb__stats_period(&out->today, &q->today);
    sb_stats_counts w;
    sb__stats_window(q, s->cfg.window_min, now, s->cfg.window_min, &w);
    sb__stats_period(&out->window, &w);
    out->window_min = s->cfg.window_min;
    out->day_start = s->day_start;
    /* The queue empties at the pace it was answered lately. */
    if (out->by_activity[SB_STATS_READY] > out->waiting)
        out->estimated_wait_ms = 0;
    else if (w.answered == 0)
        out->estimated_wait_ms = -1;
    else
        out->estimated_wait_ms =
            (int64_t)(((double)out->waiting + 1) * (double)s->cfg.window_min * 60000.0 / (double)w.answered);
    return SB_OK;
}

int sb_stats_queue_window(const sb_stats *s, sb_id id, int64_t now, uint32_t minutes,
                          sb_stats_counts *out) {
    const sb__squeue *q = sb_map_get(&s->queues, id);
    if (q == NULL) return SB_ENOENT;
    if (minutes < 1 || minutes > s->cfg.window_min) return SB_EINVAL;
    sb__stats_window(q, s->cfg.window_min, clock_at(s, now), minutes, out);
    return SB_OK;
}

/* Today's activity times of a, the current stretch counted up to now. */
static void agent_times(const sb__sagent *a, int64_t now, int64_t *time_ms) {
    memcpy(time_ms, a->time_ms, sizeof(a->time_ms));
    if (a->act != SB_STATS_LOGGED_OUT) time_ms[a->act] += now - a->acc;
}

static double ratio(int64_t num, int64_t den) { return den ? (double)num / (double)den : -1; }

static int64_t logged_in_ms(const int64_t *time_ms) {
    int64_t sum = 0;
    for (int k = SB_STATS_LOGGED_OUT + 1; k < SB_STATS_ACT_COUNT; k++) sum += time_ms[k];
    return sum;
}

int sb_stats_agent_view_get(const sb_stats *s, sb_id id, int64_t now, sb_stats_agent_view *out) {
    const sb__sagent *a = sb_map_get(&s->agents, id);
    if (a == NULL) return SB_ENOENT;
    now = clock_at(s, now);
    memset(out, 0, sizeof(*out));
    out->agent = id;
    out->state = a->state;
    out->reason = a->reason;
    out->state_ms = now - a->state_since;
    out->activity = a->act;
    out->activity_ms = now - a->act_since;
    out->holding = a->held;
    sb__stats_period(&out->today, &a->today);
    agent_times(a, now, out->time_ms);
    out->logged_in_ms = logged_in_ms(out->time_ms);
    out->busy_ms = out->time_ms[SB_STATS_BUSY];
    out->occupancy = ratio(out->busy_ms, out->logged_in_ms);
    out->day_start = s->day_start;
    return SB_OK;
}

/* ---- teams and the tenant ---- */

typedef struct group_sum {
    sb_stats_counts agent_today, today, window;
} group_sum;

static void add_agent(sb_stats_group_view *v, group_sum *g, const sb__sagent *a, int64_t now) {
    int64_t t[SB_STATS_ACT_COUNT];
    agent_times(a, now, t);
    for (int k = 0; k < SB_STATS_ACT_COUNT; k++) v->time_ms[k] += t[k];
    v->agents++;
    v->by_activity[a->act]++;
    sb_stats_counts_add(&g->agent_today, &a->today);
}

static void add_queue(const sb_stats *s, sb_stats_group_view *v, group_sum *g, const sb__squeue *q,
                      int64_t now) {
    v->queues++;
    v->waiting += q->waiting;
    v->offering += q->offering;
    int64_t o = oldest(q, now);
    if (o > v->oldest_wait_ms) v->oldest_wait_ms = o;
    sb_stats_counts_add(&g->today, &q->today);
    sb_stats_counts w;
    sb__stats_window(q, s->cfg.window_min, now, s->cfg.window_min, &w);
    sb_stats_counts_add(&g->window, &w);
}

static void finish(const sb_stats *s, sb_stats_group_view *v, const group_sum *g) {
    v->logged_in = v->agents - v->by_activity[SB_STATS_LOGGED_OUT];
    v->logged_in_ms = logged_in_ms(v->time_ms);
    v->busy_ms = v->time_ms[SB_STATS_BUSY];
    v->occupancy = ratio(v->busy_ms, v->logged_in_ms);
    sb__stats_period(&v->agent_today, &g->agent_today);
    sb__stats_period(&v->today, &g->today);
    sb__stats_period(&v->window, &g->window);
    v->window_min = s->cfg.window_min;
    v->day_start = s->day_start;
}

int sb_stats_team_view_get(const sb_stats *s, sb_id id, int64_t now, sb_stats_group_view *out) {
    const sb__steam *t = sb_map_get(&s->teams, id);
    if (t == NULL) return SB_ENOENT;
    now = clock_at(s, now);
    memset(out, 0, sizeof(*out));
    group_sum g;
    memset(&g, 0, sizeof(g));
    for (uint32_t i = 0; i < t->nmembers; i++) add_agent(out, &g, t->members[i], now);
    for (uint32_t i = 0; i < t->nqueues; i++) add_queue(s, out, &g, t->queues[i].q, now);
    finish(s, out, &g);
    return SB_OK;
}

void sb_stats_tenant_view_get(const sb_stats *s, int64_t now, sb_stats_group_view *out) {
    now = clock_at(s, now);
    memset(out, 0, sizeof(*out));
    group_sum g;
    memset(&g, 0, sizeof(g));
    for (uint32_t i = 0; i < s->na; i++) add_agent(out, &g, s->av[i], now);
    for (uint32_t i = 0; i < s->nq; i++) add_queue(s, out, &g, s->qv[i], now);
    finish(s, out, &g);
}
