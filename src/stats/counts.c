/* counts.c: counters, their ratios, and the sliding window's minute
 * buckets. */
#include <string.h>

#include "stats/stats-i.h"

void sb_stats_counts_add(sb_stats_counts *sum, const sb_stats_counts *c) {
    sum->offered += c->offered;
    sum->answered += c->answered;
    sum->answered_in_sl += c->answered_in_sl;
    sum->abandoned += c->abandoned;
    sum->short_abandoned += c->short_abandoned;
    sum->canceled += c->canceled;
    sum->ended += c->ended;
    sum->moved += c->moved;
    sum->handled += c->handled;
    sum->transferred += c->transferred;
    sum->answer_wait_ms += c->answer_wait_ms;
    sum->abandon_wait_ms += c->abandon_wait_ms;
    if (c->max_wait_ms > sum->max_wait_ms) sum->max_wait_ms = c->max_wait_ms;
    sum->talk_ms += c->talk_ms;
    sum->wrap_ms += c->wrap_ms;
}

double sb_stats_sl(const sb_stats_counts *c) {
    /* short_abandoned <= abandoned always: the difference is >= 0. */
    uint64_t den = c->answered + (c->abandoned - c->short_abandoned);
    return den ? (double)c->answered_in_sl / (double)den : -1;
}

double sb_stats_asa_ms(const sb_stats_counts *c) {
    return c->answered ? (double)c->answer_wait_ms / (double)c->answered : -1;
}

double sb_stats_aht_ms(const sb_stats_counts *c) {
    return c->handled ? (double)(c->talk_ms + c->wrap_ms) / (double)c->handled : -1;
}

void sb__stats_period(sb_stats_period *p, const sb_stats_counts *c) {
    p->c = *c;
    p->sl = sb_stats_sl(c);
    p->asa_ms = sb_stats_asa_ms(c);
    p->aht_ms = sb_stats_aht_ms(c);
}

const char *sb_stats_activity_name(int act) {
    static const char *const names[SB_STATS_ACT_COUNT] = {"logged_out", "ready", "busy", "not_ready",
                                                          "not_responding"};
    return act >= 0 && act < SB_STATS_ACT_COUNT ? names[act] : NULL;
}

/* Buckets are only ever written at the clock's minute, the latest: an
 * older minute found in a slot has left the window. */
sb_stats_counts *sb__stats_bucket(sb__squeue *q, uint32_t window_min, int64_t t) {
    int64_t m = sb__floordiv(t, SB__MINUTE_MS);
    sb__sbucket *b = &q->ring[(uint64_t)(m - sb__floordiv(m, window_min) * window_min)];
    if (b->minute != m) {
        memset(&b->c, 0, sizeof(b->c));
        b->minute = m;
    }
    return &b->c;
}

void sb__stats_window(const sb__squeue *q, uint32_t window_min, int64_t now, uint32_t minutes,
                      sb_stats_counts *out) {
    memset(out, 0, sizeof(*out));
    int64_t m = sb__floordiv(now, SB__MINUTE_MS);
    for (uint32_t i = 0; i < window_min; i++) {
        const sb__sbucket *b = &q->ring[i];
        if (b->minute <= m && b->minute > m - (int64_t)minutes) sb_stats_counts_add(out, &b->c);
    }
}
