/* stats.h: contact-center statistics from the core's events.
 *
 * One sb_stats follows one sb_core (one tenant).  The caller feeds it every
 * event the core drains, in order (sb_stats_events), tells it its
 * configuration (which queues have which service-level threshold, which
 * agents serve which queues and belong to which teams) and when a new day
 * begins; the figures are kept up to date event by event, never by
 * scanning interactions.  Like the core it is pure: no I/O, no clock, no
 * threads.  Time is the events' `at` and the `now` of the calls, in ms; it
 * never goes back (an earlier value counts as the latest seen).
 *
 * docs/statistics.md defines every figure; in short:
 *
 *   segment   one stay of an interaction in a queue, from entering it
 *             (created, transferred, overflowed) to its outcome there:
 *             answered, abandoned, canceled, ended by a rule, or moved on
 *   wait      outcome time - entry time
 *   SL        answered_in_sl / (answered + abandoned - short_abandoned),
 *             answered_in_sl: wait <= the queue's threshold,
 *             short abandon: wait < the tenant's short-abandon threshold
 *   ASA       answer_wait_ms / answered
 *   AHT       (talk_ms + wrap_ms) / handled; talk = accepted .. wrap-up
 *             (or completion), wrap = wrap-up .. completion
 *   today     events since sb_stats_day_start, by event time
 *   window    the last W minutes (minute buckets), by event time
 *   interval  fixed [start, start + interval_ms) aligned to the epoch:
 *             arrival-based figures by the segment's entry time,
 *             completion-based ones (handled, talk, wrap) by completion
 *
 * Ratios are -1 when their denominator is 0 ("no data").
 * Return values: SB_OK or a negative sb_status (base/status.h). */
#ifndef SB_STATS_STATS_H
#define SB_STATS_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"
#include "core/event.h"

typedef struct sb_stats sb_stats;

/* ---- configuration ---------------------------------------------------- */

typedef struct sb_stats_config {
    int64_t interval_ms;       /* whole minutes dividing a day: 5, 15 (default), 30, 60 min */
    int64_t interval_grace_ms; /* how long past its end an interval waits for
                                  outcomes of segments still waiting (default 1 h) */
    uint32_t window_min;       /* sliding window in minutes, 1..1440 (default 15) */
    int64_t short_abandon_ms;  /* default 5000 */
    int64_t default_sl_ms;     /* threshold of queues never set (default 20000) */
} sb_stats_config;

void sb_stats_config_default(sb_stats_config *cfg);

/* cfg NULL = the defaults; NULL for an invalid configuration. */
sb_stats *sb_stats_new(const sb_stats_config *cfg);
void sb_stats_free(sb_stats *s);

/* The tenant's short-abandon threshold (>= 0); applies from now on. */
int sb_stats_set_short_abandon(sb_stats *s, int64_t ms);
/* Create a queue or change its service-level threshold (>= 0). */
int sb_stats_set_queue(sb_stats *s, sb_id queue, int64_t sl_threshold_ms);
/* SB_EINUSE while interactions are in it.  Its open intervals are closed. */
int sb_stats_remove_queue(sb_stats *s, sb_id queue);
/* Create an agent or replace its teams and queues (ids non-zero, no
 * duplicates; unknown queues are created with the default threshold).
 * Its state and figures are kept. */
int sb_stats_set_agent(sb_stats *s, sb_id agent, const sb_id *teams, uint32_t nteams,
                       const sb_id *queues, uint32_t nqueues);
/* SB_ESTATE unless logged out and holding nothing.  Its open interval is
 * closed. */
int sb_stats_remove_agent(sb_stats *s, sb_id agent);

/* "Today" begins at t (or at the stats clock if later): every today
 * figure of queues and agents starts again from zero.  Sliding windows and
 * intervals are not affected. */
void sb_stats_day_start(sb_stats *s, int64_t t);

/* ---- feeding ------------------------------------------------------------ */

/* The core's events, in the order drained.  Unknown queues and agents are
 * created on sight. */
void sb_stats_event(sb_stats *s, const sb_event *e);
void sb_stats_events(sb_stats *s, const sb_event *ev, uint32_t n);
/* Move the clock to now: intervals that are due close. */
void sb_stats_advance(sb_stats *s, int64_t now);

/* ---- figures ------------------------------------------------------------ */

/* Counters over a period.  Queue rows use every field; agent rows use
 * answered, answered_in_sl, answer_wait_ms, max_wait_ms, handled,
 * transferred, talk_ms and wrap_ms. */
typedef struct sb_stats_counts {
    uint64_t offered;         /* segments that entered the queue */
    uint64_t answered;        /* accepted by an agent */
    uint64_t answered_in_sl;  /* answered with wait <= the queue's threshold */
    uint64_t abandoned;       /* the customer left while waiting (short ones included) */
    uint64_t short_abandoned; /* abandoned with wait < the short-abandon threshold */
    uint64_t canceled;        /* withdrawn by the business while waiting */
    uint64_t ended;           /* ended by a queue rule (max wait, nowhere to go) */
    uint64_t moved;           /* left waiting for another segment (transfer, overflow) */
    uint64_t handled;         /* completed (after talk and wrap-up) */
    uint64_t transferred;     /* connected work transferred away by its agent */
    int64_t answer_wait_ms;   /* sum of the waits of the answered */
    int64_t abandon_wait_ms;  /* sum of the waits of the abandoned */
    int64_t max_wait_ms;      /* longest wait among the answered and abandoned */
    int64_t talk_ms, wrap_ms; /* sums over the handled */
} sb_stats_counts;

/* Sums every counter of c into sum; max_wait_ms takes the larger. */
void sb_stats_counts_add(sb_stats_counts *sum, const sb_stats_counts *c);
/* answered_in_sl / (answered + abandoned - short_abandoned), or -1. */
double sb_stats_sl(const sb_stats_counts *c);
/* answer_wait_ms / answered, or -1. */
double sb_stats_asa_ms(const sb_stats_counts *c);
/* (talk_ms + wrap_ms) / handled, or -1. */
double sb_stats_aht_ms(const sb_stats_counts *c);

/* Counters and their ratios (computed from the counters). */
typedef struct sb_stats_period {
    sb_stats_counts c;
    double sl, asa_ms, aht_ms;
} sb_stats_period;

/* What an agent is doing, derived from its core state and the work it
 * holds; every logged-in agent is in exactly one of READY..NOT_RESPONDING. */
typedef enum sb_stats_activity {
    SB_STATS_LOGGED_OUT = 0,
    SB_STATS_READY,          /* ready and holding nothing: available */
    SB_STATS_BUSY,           /* holding >= 1 interaction offered, connected or in wrap-up */
    SB_STATS_NOT_READY,      /* not ready, holding nothing */
    SB_STATS_NOT_RESPONDING, /* missed an offer, holding nothing */
    SB_STATS_ACT_COUNT
} sb_stats_activity;

/* "logged_out", "ready", ...; NULL out of range. */
const char *sb_stats_activity_name(int act);

typedef struct sb_stats_queue_view {
    sb_id queue;
    int64_t sl_threshold_ms;
    uint32_t waiting;        /* segments not yet answered nor gone (queued or being offered) */
    uint32_t offering;       /* of those, being offered to an agent now */
    int64_t oldest_wait_ms;  /* now - entry of the longest waiting; 0 if none */
    int64_t estimated_wait_ms; /* for an arrival now: 0 while more agents are
                              * available than waiting; else (waiting + 1) x
                              * window length / answered in the window; -1
                              * when nothing was answered in the window */
    uint32_t agents;         /* agents serving it (set by sb_stats_set_agent) */
    uint32_t logged_in;      /* of those, logged in */
    uint32_t by_activity[SB_STATS_ACT_COUNT];
    sb_stats_period today;   /* since day_start */
    sb_stats_period window;  /* the last window_min minutes */
    uint32_t window_min;
    int64_t day_start;       /* when "today" began */
} sb_stats_queue_view;

typedef struct sb_stats_agent_view {
    sb_id agent;
    uint8_t state;           /* sb_agent_state, as the core last said */
    sb_id reason;            /* not-ready reason */
    int64_t state_ms;        /* time in that state */
    uint8_t activity;        /* sb_stats_activity */
    int64_t activity_ms;     /* time in that activity */
    uint32_t holding;        /* interactions held: offered, connected, wrap-up */
    sb_stats_period today;   /* answered, handled, ... today */
    int64_t time_ms[SB_STATS_ACT_COUNT]; /* today, up to now */
    int64_t logged_in_ms, busy_ms;       /* today, up to now */
    double occupancy;        /* busy_ms / logged_in_ms, or -1 */
    int64_t day_start;       /* when "today" began */
} sb_stats_agent_view;

/* A team (its current members, and the queues any of them serves) or the
 * tenant (every agent and queue).  Agent figures are sums over agents,
 * queue figures sums over queues; ratios come from the sums. */
typedef struct sb_stats_group_view {
    uint32_t agents;                     /* members */
    uint32_t logged_in;
    uint32_t by_activity[SB_STATS_ACT_COUNT];
    sb_stats_period agent_today;         /* sums of the members' today */
    int64_t time_ms[SB_STATS_ACT_COUNT]; /* sums of the members' today */
    int64_t logged_in_ms, busy_ms;
    double occupancy;                    /* busy_ms / logged_in_ms, or -1 */
    uint32_t queues;                     /* queues summed */
    uint32_t waiting, offering;
    int64_t oldest_wait_ms;              /* the largest of the queues' */
    sb_stats_period today, window;       /* sums over the queues */
    uint32_t window_min;
    int64_t day_start;                   /* when "today" began */
} sb_stats_group_view;

/* SB_ENOENT for an unknown queue / agent / team. */
int sb_stats_queue_view_get(const sb_stats *s, sb_id queue, int64_t now, sb_stats_queue_view *out);
int sb_stats_agent_view_get(const sb_stats *s, sb_id agent, int64_t now, sb_stats_agent_view *out);
int sb_stats_team_view_get(const sb_stats *s, sb_id team, int64_t now, sb_stats_group_view *out);
void sb_stats_tenant_view_get(const sb_stats *s, int64_t now, sb_stats_group_view *out);
/* A queue's counters over the last `minutes` (1..window_min) at now:
 * SB_EINVAL for another length. */
int sb_stats_queue_window(const sb_stats *s, sb_id queue, int64_t now, uint32_t minutes,
                          sb_stats_counts *out);

/* ---- intervals ---------------------------------------------------------- */

typedef enum sb_stats_row_kind { SB_STATS_ROW_QUEUE = 1, SB_STATS_ROW_AGENT } sb_stats_row_kind;

/* One closed interval of one queue or agent.  Queue rows: offered and
 * every outcome (answered, abandoned, ..., waits) of the segments that
 * entered in [start, end), whenever the outcome came; handled,
 * transferred, talk and wrap of work completed (transferred) in it.
 * unresolved: segments that entered in it and were still waiting when it
 * closed (their outcome is in no interval).  Agent rows: answered,
 * handled, ... as they happened in it, and time_ms: the part of
 * [start, end) spent in each activity. */
typedef struct sb_stats_interval {
    uint8_t kind;  /* sb_stats_row_kind */
    sb_id id;      /* queue or agent */
    int64_t start, end;
    sb_stats_counts c;
    uint64_t unresolved;
    int64_t time_ms[SB_STATS_ACT_COUNT];
} sb_stats_interval;

/* Closed intervals not yet cleared, in the order they closed.  A queue
 * interval closes once the clock has reached its end and every segment
 * that entered in it has an outcome, or at end + interval_grace_ms; an
 * agent interval at its end.  Quiet intervals (nothing happened, agent
 * not logged in) have no row. */
const sb_stats_interval *sb_stats_intervals(const sb_stats *s, uint32_t *n);
void sb_stats_intervals_clear(sb_stats *s);

/* Live interaction records and objects, for tests and memory checks. */
typedef struct sb_stats_sizes {
    uint32_t interactions, queues, agents, teams, open_intervals;
} sb_stats_sizes;
void sb_stats_sizes_get(const sb_stats *s, sb_stats_sizes *out);

#endif
