/* agents.c: agent states and activity, the activity tallies of queues,
 * and the accrual of activity time into today and the agent's interval. */
#include <string.h>

#include "stats/stats-i.h"

static uint8_t activity_of(const sb__sagent *a) {
    if (a->state == SB_AGENT_LOGGED_OUT) return SB_STATS_LOGGED_OUT;
    if (a->held || a->state == SB_AGENT_WRAP_UP) return SB_STATS_BUSY;
    if (a->state == SB_AGENT_READY) return SB_STATS_READY;
    if (a->state == SB_AGENT_NOT_RESPONDING) return SB_STATS_NOT_RESPONDING;
    return SB_STATS_NOT_READY;
}

void sb__stats_agent_tally(sb__sagent *a, int sign) {
    for (uint32_t i = 0; i < a->nqueues; i++) a->queues[i]->by_act[a->act] += (uint32_t)sign;
}

static void open_iv(sb_stats *s, sb__sagent *a, int64_t t) {
    memset(&a->iv, 0, sizeof(a->iv));
    a->iv.kind = SB_STATS_ROW_AGENT;
    a->iv.id = a->id;
    a->iv.start = sb__stats_iv_start(s, t);
    a->iv.end = a->iv.start + s->cfg.interval_ms;
    a->iv_open = true;
    if (a->iv.end < s->agent_roll) s->agent_roll = a->iv.end;
}

/* Logged-out time is not counted: an agent logged out with no interval
 * open jumps to t.  A logged-in agent always has its interval open, so
 * that the clock closes it even when nothing happens. */
void sb__stats_accrue(sb_stats *s, sb__sagent *a, int64_t t) {
    while (a->acc < t) {
        if (!a->iv_open) {
            if (a->act == SB_STATS_LOGGED_OUT) {
                a->acc = t;
                break;
            }
            open_iv(s, a, a->acc);
        }
        int64_t upto = t < a->iv.end ? t : a->iv.end;
        if (a->act != SB_STATS_LOGGED_OUT) {
            a->time_ms[a->act] += upto - a->acc;
            a->iv.time_ms[a->act] += upto - a->acc;
        }
        a->acc = upto;
        if (upto == a->iv.end) {
            sb__stats_emit(s, &a->iv);
            a->iv_open = false;
        }
    }
    if (a->act != SB_STATS_LOGGED_OUT && !a->iv_open) open_iv(s, a, a->acc);
}

sb_stats_counts *sb__stats_agent_iv(sb_stats *s, sb__sagent *a, int64_t t) {
    sb__stats_accrue(s, a, t);
    if (!a->iv_open) open_iv(s, a, t);
    return &a->iv.c;
}

static void refresh(sb_stats *s, sb__sagent *a, int64_t t) {
    uint8_t act = activity_of(a);
    if (act == a->act) return;
    sb__stats_agent_tally(a, -1);
    a->act = act;
    sb__stats_agent_tally(a, +1);
    a->act_since = t;
    if (act != SB_STATS_LOGGED_OUT && !a->iv_open) open_iv(s, a, t);
}

void sb__stats_agent_state(sb_stats *s, sb__sagent *a, uint8_t state, sb_id reason, int64_t t) {
    sb__stats_accrue(s, a, t);
    a->state = state;
    a->reason = reason;
    a->state_since = t;
    refresh(s, a, t);
}

void sb__stats_agent_hold(sb_stats *s, sb__sagent *a, int delta, int64_t t) {
    sb__stats_accrue(s, a, t);
    if (delta > 0)
        a->held++;
    else if (a->held) /* history from before the stats began may be missing */
        a->held--;
    refresh(s, a, t);
}
