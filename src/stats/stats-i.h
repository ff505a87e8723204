/* stats-i.h: functions shared between the files of src/stats (sb__
 * prefix).  Nothing outside src/stats includes it. */
#ifndef SB_STATS_STATS_I_H
#define SB_STATS_STATS_I_H

#include "stats/stats-t.h"

#define SB__MINUTE_MS 60000

/* floor(t / unit) for any sign. */
static inline int64_t sb__floordiv(int64_t t, int64_t unit) {
    return t >= 0 ? t / unit : -((-t + unit - 1) / unit);
}

/* stats.c: objects */
/* The queue / agent of that id, created on first sight. */
sb__squeue *sb__stats_queue(sb_stats *s, sb_id id);
sb__sagent *sb__stats_agent(sb_stats *s, sb_id id);
/* Append to a growing array of n elements of `size` bytes (capacity *cap). */
void *sb__stats_grow(void *arr, uint32_t n, uint32_t *cap, size_t size);

/* counts.c: counters, periods, sliding windows */
void sb__stats_period(sb_stats_period *p, const sb_stats_counts *c);
/* The window bucket of time t (reset if it held an older minute). */
sb_stats_counts *sb__stats_bucket(sb__squeue *q, uint32_t window_min, int64_t t);
/* Sum of the buckets of the last `minutes` minutes at now (the minute of
 * now and the minutes - 1 before it). */
void sb__stats_window(const sb__squeue *q, uint32_t window_min, int64_t now, uint32_t minutes,
                      sb_stats_counts *out);

/* interval.c: fixed intervals */
int64_t sb__stats_iv_start(const sb_stats *s, int64_t t);
/* The open interval of q starting at start, created if create (else NULL
 * when closed or never opened). */
sb_stats_interval *sb__stats_qiv(sb_stats *s, sb__squeue *q, int64_t start, bool create);
/* A segment that entered q at `entered` has its outcome: counted out of
 * its interval's unresolved, which may close it. */
void sb__stats_qiv_resolve(sb_stats *s, sb__squeue *q, int64_t entered);
/* Close (and hand out) every open interval of q. */
void sb__stats_qiv_close_all(sb_stats *s, sb__squeue *q);
/* Hand out a closed row if anything happened in it. */
void sb__stats_emit(sb_stats *s, const sb_stats_interval *row);
/* Close what is due at the clock. */
void sb__stats_close_due(sb_stats *s);

/* agents.c: states, activity, time accrual */
/* Accrue the agent's activity time up to t (today and its intervals,
 * closing those that end). */
void sb__stats_accrue(sb_stats *s, sb__sagent *a, int64_t t);
/* The agent's open interval at t (accrued to t first), opened if needed. */
sb_stats_counts *sb__stats_agent_iv(sb_stats *s, sb__sagent *a, int64_t t);
void sb__stats_agent_state(sb_stats *s, sb__sagent *a, uint8_t state, sb_id reason, int64_t t);
/* The agent takes (+1) or lets go of (-1) an interaction at t. */
void sb__stats_agent_hold(sb_stats *s, sb__sagent *a, int delta, int64_t t);
/* Count the agent in (+1) or out of (-1) the activity tallies of its queues. */
void sb__stats_agent_tally(sb__sagent *a, int sign);

/* feed.c */
void sb__stats_rec_free_all(sb_stats *s);

#endif
