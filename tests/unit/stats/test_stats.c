/* test_stats.c: src/stats fed by a real core through scripted sequences,
 * against figures computed by hand (docs/statistics.md). */
#include <math.h>
#include <string.h>

#include "unit/stats/fixture.h"

#define assert_ratio(got, num, den) assert_true(fabs((got) - (double)(num) / (double)(den)) < 1e-12)

static const sb_id Q1[] = {1}, Q2[] = {2}, Q3[] = {3}, Q12[] = {1, 2};

static void voice(sb_id ix, sb_id queue) {
    sc_voice(F.s, ix, queue, 0);
    fx_feed();
}

static void accept(sb_id agent, sb_id ix) {
    assert_int_equal(sc_offered(F.s, ix), agent);
    sc_accept(F.s, agent, ix);
    fx_feed();
}

static void end(sb_id ix) {
    sc_end(F.s, ix);
    fx_feed();
}

static void ready(sb_id agent) {
    sc_ready(F.s, agent);
    fx_feed();
}

static void abandon(sb_id ix) { FX_OK(sb_interaction_abandon(F.s->c, F.s->now, ix)); }

/* ---- the figures of one queue ------------------------------------------ */

/* 4 arrivals; a short abandon and a counted one; two answers, one in SL;
 * talk and wrap-up on both. */
static void sl_asa_aht_exact(void **state) {
    (void)state;
    const int64_t B = HMS(10, 0, 0);
    fx_start(NULL);
    fx_at(B);
    fx_queue_new(1, SB_WRAPUP_OPTIONAL, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    voice(1, 1);
    fx_at(B + 1000);
    voice(2, 1);
    fx_at(B + 2000);
    voice(3, 1);
    fx_at(B + 3000);
    voice(4, 1);
    fx_at(B + 4000);
    abandon(4); /* waited 1 s: short */
    fx_at(B + 10000);
    abandon(3); /* waited 8 s */
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.waiting, 2);
    assert_int_equal(v.oldest_wait_ms, 10000);
    fx_at(B + 15000);
    ready(10);
    accept(10, 1); /* waited 15 s: within 20 s */
    fx_at(B + 75000);
    end(1); /* 60 s talk */
    fx_at(B + 85000);
    sc_wrapup_done(F.s, 1, 0); /* 10 s wrap-up; ix 2 offered at once */
    fx_feed();
    fx_at(B + 86000);
    accept(10, 2); /* waited 85 s */
    fx_at(B + 116000);
    end(2); /* 30 s talk */
    fx_at(B + 120000);
    sc_wrapup_done(F.s, 2, 0); /* 4 s wrap-up */
    fx_feed();
    fx_at(B + 180000);

    v = fx_queue(1);
    const sb_stats_counts *c = &v.today.c;
    assert_int_equal(c->offered, 4);
    assert_int_equal(c->answered, 2);
    assert_int_equal(c->answered_in_sl, 1);
    assert_int_equal(c->abandoned, 2);
    assert_int_equal(c->short_abandoned, 1);
    assert_int_equal(c->handled, 2);
    assert_int_equal(c->answer_wait_ms, 15000 + 85000);
    assert_int_equal(c->abandon_wait_ms, 1000 + 8000);
    assert_int_equal(c->max_wait_ms, 85000);
    assert_int_equal(c->talk_ms, 60000 + 30000);
    assert_int_equal(c->wrap_ms, 10000 + 4000);
    assert_ratio(v.today.sl, 1, 2 + 2 - 1);
    assert_ratio(v.today.asa_ms, 100000, 2);
    assert_ratio(v.today.aht_ms, 60000 + 10000 + 30000 + 4000, 2);
    assert_int_equal(v.waiting, 0);
    assert_int_equal(v.oldest_wait_ms, 0);
    assert_int_equal(v.window.c.offered, 4); /* all within the last 15 minutes */
    assert_ratio(v.window.sl, 1, 3);
    assert_int_equal(v.agents, 1);
    assert_int_equal(v.logged_in, 1);
    assert_int_equal(v.by_activity[SB_STATS_READY], 1);

    sb_stats_agent_view a = fx_agent(10);
    assert_int_equal(a.today.c.answered, 2);
    assert_int_equal(a.today.c.answered_in_sl, 1);
    assert_int_equal(a.today.c.handled, 2);
    assert_int_equal(a.today.c.talk_ms, 90000);
    assert_int_equal(a.today.c.wrap_ms, 14000);
    /* not ready 15 s; busy from the first offer to the last wrap-up end */
    assert_int_equal(a.time_ms[SB_STATS_NOT_READY], 15000);
    assert_int_equal(a.time_ms[SB_STATS_BUSY], 105000);
    assert_int_equal(a.time_ms[SB_STATS_READY], 60000);
    assert_int_equal(a.logged_in_ms, 180000);
    assert_ratio(a.occupancy, 105000, 180000);
    assert_int_equal(a.state, SB_AGENT_READY);
    assert_int_equal(a.state_ms, 60000);
    assert_int_equal(a.activity, SB_STATS_READY);
    assert_int_equal(a.activity_ms, 60000);
}

/* Answered exactly at the threshold is within it; abandoned exactly at
 * the short threshold is not short. */
static void thresholds_at_their_edges(void **state) {
    (void)state;
    const int64_t B = HMS(9, 0, 0);
    fx_start(NULL);
    fx_at(B);
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    fx_agent_new(11, Q1, 1, NULL, 0);
    for (sb_id ix = 1; ix <= 4; ix++) voice(ix, 1);
    fx_at(B + 4999);
    abandon(1);
    fx_at(B + 5000);
    abandon(2);
    fx_at(B + 20000);
    ready(10);
    accept(10, 3);
    fx_at(B + 20001);
    ready(11);
    accept(11, 4);
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.today.c.abandoned, 2);
    assert_int_equal(v.today.c.short_abandoned, 1);
    assert_int_equal(v.today.c.answered, 2);
    assert_int_equal(v.today.c.answered_in_sl, 1);
    assert_ratio(v.today.sl, 1, 3);

    /* The tenant's short-abandon threshold changes from now on. */
    assert_int_equal(sb_stats_set_short_abandon(F.st, -1), SB_EINVAL);
    assert_int_equal(sb_stats_set_short_abandon(F.st, 0), SB_OK);
    fx_at(B + 30000);
    voice(5, 1);
    abandon(5); /* waited 0: not < 0 */
    v = fx_queue(1);
    assert_int_equal(v.today.c.abandoned, 3);
    assert_int_equal(v.today.c.short_abandoned, 1);
    /* and the queue's threshold */
    assert_int_equal(sb_stats_set_queue(F.st, 1, 60000), SB_OK);
    fx_at(B + 31000);
    voice(6, 1);
    fx_at(B + 91000);
    end(3);
    accept(10, 6); /* waited 60 s: within the new 60 s */
    v = fx_queue(1);
    assert_int_equal(v.sl_threshold_ms, 60000);
    assert_int_equal(v.today.c.answered_in_sl, 2);
}

/* ---- intervals ----------------------------------------------------------- */

/* 14:59:59.999 is in [14:45, 15:00), 15:00:00.000 in [15:00, 15:15).
 * Outcomes go to the interval of arrival, which closes once all its
 * arrivals have one; handle time goes to the interval of completion. */
static void interval_boundary_by_arrival(void **state) {
    (void)state;
    sb_stats_interval r[8];
    fx_start(NULL);
    fx_at(HMS(14, 59, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    fx_at(HMS(14, 59, 59) + 999);
    voice(1, 1);
    fx_at(HMS(15, 0, 0));
    voice(2, 1);
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 8), 0); /* ix 1 still waits */
    fx_at(HMS(15, 0, 5));
    ready(10); /* offered ix 1, the longest waiting */
    fx_at(HMS(15, 0, 7));
    abandon(2); /* waited 7 s: not short */
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 8), 0);
    fx_at(HMS(15, 0, 10));
    accept(10, 1); /* waited 10.001 s: the 14:45 interval is complete */
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 8), 1);
    assert_int_equal(r[0].id, 1);
    assert_int_equal(r[0].start, HMS(14, 45, 0));
    assert_int_equal(r[0].end, HMS(15, 0, 0));
    assert_int_equal(r[0].c.offered, 1);
    assert_int_equal(r[0].c.answered, 1);
    assert_int_equal(r[0].c.answered_in_sl, 1);
    assert_int_equal(r[0].c.answer_wait_ms, 10001);
    assert_int_equal(r[0].c.abandoned, 0);
    assert_int_equal(r[0].c.handled, 0);
    assert_int_equal(r[0].unresolved, 0);
    fx_at(HMS(15, 1, 10));
    end(1); /* handled in [15:00, 15:15) */
    fx_at(HMS(15, 14, 59) + 999);
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 8), 0);
    fx_at(HMS(15, 15, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 8), 1);
    assert_int_equal(r[0].start, HMS(15, 0, 0));
    assert_int_equal(r[0].c.offered, 1);
    assert_int_equal(r[0].c.answered, 0);
    assert_int_equal(r[0].c.abandoned, 1);
    assert_int_equal(r[0].c.short_abandoned, 0);
    assert_int_equal(r[0].c.abandon_wait_ms, 7000);
    assert_int_equal(r[0].c.handled, 1);
    assert_int_equal(r[0].c.talk_ms, 60000);
    sb_stats_sizes z;
    sb_stats_sizes_get(F.st, &z);
    assert_int_equal(z.interactions, 0);
    assert_int_equal(z.open_intervals, 1); /* the agent's [15:15, 15:30) */
}

/* Agent rows: time split at the boundaries; answered and handled when
 * they happened. */
static void agent_rows_split_time(void **state) {
    (void)state;
    sb_stats_interval r[16];
    sb_stats_config cfg;
    sb_stats_config_default(&cfg);
    cfg.interval_ms = 5 * 60000;
    fx_start(&cfg);
    fx_at(HMS(10, 3, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    ready(10);
    fx_at(HMS(10, 4, 0));
    voice(1, 1);
    fx_at(HMS(10, 4, 5));
    accept(10, 1);
    fx_at(HMS(10, 5, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 1);
    assert_int_equal(r[0].id, 10);
    assert_int_equal(r[0].start, HMS(10, 0, 0));
    assert_int_equal(r[0].time_ms[SB_STATS_READY], 60000);
    assert_int_equal(r[0].time_ms[SB_STATS_BUSY], 60000);
    assert_int_equal(r[0].c.answered, 1);
    assert_int_equal(r[0].c.answer_wait_ms, 5000);
    fx_at(HMS(10, 6, 0));
    end(1);
    fx_at(HMS(10, 10, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 1);
    assert_int_equal(r[0].start, HMS(10, 5, 0));
    assert_int_equal(r[0].time_ms[SB_STATS_BUSY], 60000);
    assert_int_equal(r[0].time_ms[SB_STATS_READY], 240000);
    assert_int_equal(r[0].c.handled, 1);
    assert_int_equal(r[0].c.talk_ms, 115000);
    fx_at(HMS(10, 12, 0));
    sc_logout(F.s, 10);
    fx_feed();
    fx_at(HMS(10, 14, 59));
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 0);
    fx_at(HMS(10, 15, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 1);
    assert_int_equal(r[0].time_ms[SB_STATS_READY], 120000);
    fx_at(HMS(11, 0, 0)); /* logged out: no rows */
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 0);
    /* Logged in through nine intervals without a single event. */
    sc_login(F.s, 10);
    fx_feed();
    fx_at(HMS(11, 45, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_AGENT, r, 16), 9);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(r[i].start, HMS(11, 5 * i, 0));
        assert_int_equal(r[i].time_ms[SB_STATS_NOT_READY], 300000);
    }
}

/* An interval still waiting for an outcome closes at end + grace with its
 * unresolved count; the late outcome is in today only. */
static void interval_grace(void **state) {
    (void)state;
    sb_stats_interval r[4];
    sb_stats_config cfg;
    sb_stats_config_default(&cfg);
    cfg.interval_grace_ms = 10 * 60000;
    fx_start(&cfg);
    fx_at(HMS(16, 0, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    voice(1, 1);
    fx_at(HMS(16, 24, 59) + 999);
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 4), 0);
    fx_at(HMS(16, 25, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 4), 1);
    assert_int_equal(r[0].start, HMS(16, 0, 0));
    assert_int_equal(r[0].c.offered, 1);
    assert_int_equal(r[0].unresolved, 1);
    fx_at(HMS(16, 30, 0));
    abandon(1);
    fx_at(HMS(17, 0, 0));
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 4), 0);
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.today.c.abandoned, 1);
    assert_int_equal(v.today.c.max_wait_ms, 30 * 60000);
}

/* ---- sliding window and the day ------------------------------------------ */

static void window_expires_by_minute(void **state) {
    (void)state;
    sb_stats_counts w;
    fx_start(NULL); /* 15-minute window */
    fx_at(HMS(10, 0, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_at(HMS(10, 0, 30));
    voice(1, 1);
    fx_at(HMS(10, 0, 35));
    abandon(1);
    fx_at(HMS(10, 0, 40));
    assert_int_equal(sb_stats_queue_window(F.st, 1, F.s->now, 1, &w), SB_OK);
    assert_int_equal(w.offered, 1);
    fx_at(HMS(10, 1, 0));
    assert_int_equal(sb_stats_queue_window(F.st, 1, F.s->now, 1, &w), SB_OK);
    assert_int_equal(w.offered, 0);
    assert_int_equal(fx_queue(1).window.c.offered, 1);
    assert_int_equal(fx_queue(1).window.c.abandoned, 1);
    fx_at(HMS(10, 14, 10));
    voice(2, 1);
    fx_at(HMS(10, 14, 59) + 999);
    assert_int_equal(fx_queue(1).window.c.offered, 2);
    fx_at(HMS(10, 15, 0)); /* the 10:00 minute leaves */
    assert_int_equal(fx_queue(1).window.c.offered, 1);
    assert_int_equal(fx_queue(1).window.c.abandoned, 0);
    fx_at(HMS(10, 15, 10));
    voice(3, 1); /* takes the ring slot of 10:00 */
    fx_at(HMS(10, 15, 20));
    assert_int_equal(fx_queue(1).window.c.offered, 2);
    fx_at(HMS(10, 29, 0));
    assert_int_equal(fx_queue(1).window.c.offered, 1);
    fx_at(HMS(10, 30, 0));
    assert_int_equal(fx_queue(1).window.c.offered, 0);
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.today.c.offered, 3);
    assert_int_equal(v.today.c.abandoned, 1);
    assert_int_equal(v.window_min, 15);
    assert_int_equal(v.waiting, 2);
    assert_int_equal(sb_stats_queue_window(F.st, 1, F.s->now, 16, &w), SB_EINVAL);
    assert_int_equal(sb_stats_queue_window(F.st, 1, F.s->now, 0, &w), SB_EINVAL);
}

static void day_start_resets_today(void **state) {
    (void)state;
    const int64_t D = HMS(24, 0, 0);
    fx_start(NULL);
    fx_at(HMS(23, 59, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    fx_at(HMS(23, 59, 10));
    voice(9, 1);
    fx_at(HMS(23, 59, 20));
    abandon(9);
    fx_at(HMS(23, 59, 50));
    voice(1, 1);
    fx_at(D);
    assert_int_equal(fx_queue(1).today.c.abandoned, 1);
    sb_stats_day_start(F.st, D);
    sb_stats_queue_view v = fx_queue(1);
    sb_stats_counts zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&v.today.c, &zero, sizeof(zero));
    assert_true(v.today.sl == -1 && v.today.asa_ms == -1 && v.today.aht_ms == -1);
    assert_int_equal(v.waiting, 1); /* live figures stay */
    assert_int_equal(v.day_start, D);
    assert_int_equal(fx_agent(10).day_start, D);
    assert_int_equal(fx_tenant().day_start, D);
    assert_int_equal(fx_agent(10).logged_in_ms, 0);
    fx_at(D + 5000);
    ready(10);
    accept(10, 1); /* waited 15 s across midnight */
    fx_at(D + 60000);
    v = fx_queue(1);
    assert_int_equal(v.today.c.offered, 0);
    assert_int_equal(v.today.c.answered, 1);
    assert_int_equal(v.today.c.answer_wait_ms, 15000);
    assert_int_equal(v.today.c.abandoned, 0);
    assert_ratio(v.today.sl, 1, 1);
    /* the window does not care about days */
    assert_int_equal(v.window.c.offered, 2);
    assert_int_equal(v.window.c.abandoned, 1);
    assert_int_equal(v.window.c.answered, 1);
    sb_stats_agent_view a = fx_agent(10);
    assert_int_equal(a.time_ms[SB_STATS_NOT_READY], 5000);
    assert_int_equal(a.time_ms[SB_STATS_BUSY], 55000);
    assert_int_equal(a.logged_in_ms, 60000);
    assert_ratio(a.occupancy, 55000, 60000);
    assert_int_equal(a.today.c.answered, 1);
}

/* ---- agents -------------------------------------------------------------- */

static void activity_and_occupancy(void **state) {
    (void)state;
    const int64_t B = HMS(8, 0, 0);
    fx_start(NULL);
    fx_at(B);
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    fx_agent_new(11, Q1, 1, NULL, 0);
    fx_agent_new(12, Q1, 1, NULL, 0);
    sb_agent_def d = {.queues = Q1, .nqueues = 1};
    SC_OK(F.s, sb_agent_set(F.s->c, F.s->now, 13, &d)); /* logged out */
    assert_int_equal(sb_stats_set_agent(F.st, 13, NULL, 0, Q1, 1), SB_OK);
    fx_at(B + 10000);
    ready(10);
    voice(1, 1); /* offered to 10, who says nothing */
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.waiting, 1);
    assert_int_equal(v.offering, 1);
    assert_int_equal(v.by_activity[SB_STATS_BUSY], 1);
    fx_at(B + 20000); /* the offer times out: 10 is not responding */
    v = fx_queue(1);
    assert_int_equal(v.waiting, 1);
    assert_int_equal(v.offering, 0);
    assert_int_equal(v.agents, 4);
    assert_int_equal(v.logged_in, 3);
    assert_int_equal(v.by_activity[SB_STATS_NOT_RESPONDING], 1);
    assert_int_equal(v.by_activity[SB_STATS_NOT_READY], 2);
    assert_int_equal(v.by_activity[SB_STATS_LOGGED_OUT], 1);
    assert_int_equal(v.by_activity[SB_STATS_BUSY], 0);
    assert_int_equal(v.oldest_wait_ms, 10000);
    fx_at(B + 25000);
    ready(11);
    fx_at(B + 27000);
    accept(11, 1); /* waited 17 s */
    fx_at(B + 30000);
    ready(10);
    fx_at(B + 60000);
    v = fx_queue(1);
    assert_int_equal(v.by_activity[SB_STATS_READY], 1);
    assert_int_equal(v.by_activity[SB_STATS_BUSY], 1);
    assert_int_equal(v.by_activity[SB_STATS_NOT_READY], 1);
    assert_int_equal(v.by_activity[SB_STATS_NOT_RESPONDING], 0);
    assert_int_equal(v.today.c.answered_in_sl, 1);
    sb_stats_agent_view a = fx_agent(10);
    assert_int_equal(a.time_ms[SB_STATS_NOT_READY], 10000);
    assert_int_equal(a.time_ms[SB_STATS_BUSY], 10000); /* the unanswered offer */
    assert_int_equal(a.time_ms[SB_STATS_NOT_RESPONDING], 10000);
    assert_int_equal(a.time_ms[SB_STATS_READY], 30000);
    assert_ratio(a.occupancy, 1, 6);
    assert_int_equal(a.today.c.answered, 0);
    a = fx_agent(11);
    assert_int_equal(a.activity, SB_STATS_BUSY);
    assert_int_equal(a.activity_ms, 35000); /* offered at +25 s */
    assert_int_equal(a.holding, 1);
    assert_int_equal(a.state, SB_AGENT_READY);
    assert_int_equal(a.state_ms, 35000);
    a = fx_agent(13);
    assert_int_equal(a.logged_in_ms, 0);
    assert_true(a.occupancy == -1);
}

/* Broadcast: every agent offered is busy until the first accept. */
static void broadcast_holds_every_agent_offered(void **state) {
    (void)state;
    fx_start(NULL);
    fx_at(HMS(9, 0, 0));
    sc_queue_broadcast(F.s, 1, 2);
    assert_int_equal(sb_stats_set_queue(F.st, 1, 20000), SB_OK);
    fx_feed();
    fx_agent_new(10, Q1, 1, NULL, 0);
    fx_agent_new(11, Q1, 1, NULL, 0);
    ready(10);
    ready(11);
    voice(1, 1);
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.offering, 1);
    assert_int_equal(v.waiting, 1);
    assert_int_equal(v.by_activity[SB_STATS_BUSY], 2);
    fx_at(HMS(9, 0, 2));
    sc_accept(F.s, 11, 1);
    fx_feed();
    v = fx_queue(1);
    assert_int_equal(v.offering, 0);
    assert_int_equal(v.waiting, 0);
    assert_int_equal(v.by_activity[SB_STATS_BUSY], 1);
    assert_int_equal(v.by_activity[SB_STATS_READY], 1);
    assert_int_equal(fx_agent(10).holding, 0);
    assert_int_equal(fx_agent(10).time_ms[SB_STATS_BUSY], 2000);
    assert_int_equal(fx_agent(11).today.c.answered, 1);
    assert_int_equal(v.today.c.answered, 1);
}

/* ---- segments: transfers, overflow, cancel, rules ------------------------- */

static void segments_add_up(void **state) {
    (void)state;
    const int64_t B = HMS(11, 0, 0);
    fx_start(NULL);
    fx_at(B);
    fx_queue_new(2, SB_WRAPUP_NONE, 20000);
    sb_queue_def d = sc_qdef_all();
    d.max_wait_ms = 60000;
    d.max_wait_overflow = 2;
    sc_queue_set(F.s, 1, &d);
    d.max_wait_ms = 30000;
    d.max_wait_overflow = 0;
    sc_queue_set(F.s, 3, &d);
    fx_feed(); /* queues 1 and 3 get the default threshold (20 s) on sight */
    fx_agent_new(10, Q2, 1, NULL, 0);
    voice(1, 1);
    voice(2, 1);
    voice(3, 3);
    voice(4, 2);
    fx_at(B + 10000);
    FX_OK(sb_interaction_transfer_queue(F.s->c, F.s->now, 2, 2, true)); /* 1 -> 2 */
    fx_at(B + 20000);
    FX_OK(sb_interaction_cancel(F.s->c, F.s->now, 4));
    fx_at(B + 30000); /* ix 3 ends at queue 3's max wait */
    fx_at(B + 60000); /* ix 1 overflows to queue 2 */
    fx_at(B + 70000);
    ready(10);
    accept(10, 1); /* 10 s in queue 2 */
    fx_at(B + 80000);
    FX_OK(sb_interaction_transfer_queue(F.s->c, F.s->now, 1, 1, false)); /* 2 -> 1, connected */
    accept(10, 2); /* 70 s in queue 2 */
    fx_at(B + 90000);
    abandon(1); /* 10 s in queue 1, its third segment there */

    sb_stats_counts c1 = fx_queue(1).today.c, c2 = fx_queue(2).today.c, c3 = fx_queue(3).today.c;
    assert_int_equal(c1.offered, 3);
    assert_int_equal(c1.moved, 2);
    assert_int_equal(c1.abandoned, 1);
    assert_int_equal(c1.abandon_wait_ms, 10000);
    assert_int_equal(c1.answered, 0);
    assert_int_equal(c2.offered, 3);
    assert_int_equal(c2.canceled, 1);
    assert_int_equal(c2.answered, 2);
    assert_int_equal(c2.answered_in_sl, 1);
    assert_int_equal(c2.answer_wait_ms, 10000 + 70000);
    assert_int_equal(c2.transferred, 1);
    assert_int_equal(c3.offered, 1);
    assert_int_equal(c3.ended, 1);
    const sb_stats_counts *all[] = {&c1, &c2, &c3};
    for (int i = 0; i < 3; i++) /* nothing waits: every segment has its outcome */
        assert_int_equal(all[i]->offered, all[i]->answered + all[i]->abandoned + all[i]->canceled +
                                              all[i]->ended + all[i]->moved);
    sb_stats_agent_view a = fx_agent(10);
    assert_int_equal(a.today.c.answered, 2);
    assert_int_equal(a.today.c.transferred, 1);
    assert_int_equal(a.today.c.handled, 0);
    assert_int_equal(a.holding, 1);
    sb_stats_sizes z;
    sb_stats_sizes_get(F.st, &z);
    assert_int_equal(z.interactions, 1);
}

/* Work put back after a restart was never answered here: busy, but not
 * counted as offered, answered or handled. */
static void restored_work_is_not_counted(void **state) {
    (void)state;
    const int64_t B = HMS(12, 0, 0);
    fx_start(NULL);
    fx_at(B);
    fx_queue_new(1, SB_WRAPUP_OPTIONAL, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    sb_interaction_def d = {.id = 7, .queue = 1, .channel = SB_CH_VOICE, .arrived_at = B - 100000};
    FX_OK(sb_interaction_restore(F.s->c, F.s->now, &d, SB_IX_CONNECTED, 10, 0));
    d.id = 8;
    d.channel = SB_CH_EMAIL;
    FX_OK(sb_interaction_restore(F.s->c, F.s->now, &d, SB_IX_WRAP_UP, 10, 0));
    assert_int_equal(fx_agent(10).holding, 2);
    assert_int_equal(fx_agent(10).activity, SB_STATS_BUSY);
    fx_at(B + 10000);
    end(7);
    sc_wrapup_done(F.s, 7, 0);
    sc_wrapup_done(F.s, 8, 0);
    fx_feed();
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.today.c.offered, 0);
    assert_int_equal(v.today.c.answered, 0);
    assert_int_equal(v.today.c.handled, 0);
    assert_int_equal(fx_agent(10).holding, 0);
    assert_int_equal(fx_agent(10).time_ms[SB_STATS_BUSY], 10000);
    sb_stats_sizes z;
    sb_stats_sizes_get(F.st, &z);
    assert_int_equal(z.interactions, 0);
}

/* ---- rollups -------------------------------------------------------------- */

static void assert_counts_sum(const sb_stats_counts *got, const sb_stats_counts *const *parts,
                              int n) {
    sb_stats_counts sum;
    memset(&sum, 0, sizeof(sum));
    for (int i = 0; i < n; i++) sb_stats_counts_add(&sum, parts[i]);
    assert_memory_equal(got, &sum, sizeof(sum));
}

static void rollups_are_sums(void **state) {
    (void)state;
    const int64_t B = HMS(9, 0, 0);
    const sb_id T100[] = {100}, T200[] = {200};
    fx_start(NULL);
    fx_at(B);
    for (sb_id q = 1; q <= 3; q++) fx_queue_new(q, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q12, 2, T100, 1);
    fx_agent_new(11, Q2, 1, T100, 1);
    fx_agent_new(12, Q3, 1, T200, 1);
    voice(1, 1);
    fx_at(B + 1000);
    ready(10);
    accept(10, 1); /* q1: 1 s */
    fx_at(B + 2000);
    voice(2, 2);
    voice(3, 2);
    fx_at(B + 3000);
    voice(5, 3);
    fx_at(B + 3500);
    ready(12);
    accept(12, 5); /* q3: 0.5 s */
    fx_at(B + 10000);
    abandon(3); /* q2: 8 s */
    fx_at(B + 32000);
    ready(11);
    accept(11, 2); /* q2: 30 s */
    fx_at(B + 61000);
    end(1);
    fx_at(B + 62000);
    end(2);
    fx_at(B + 100000);

    sb_stats_queue_view q1 = fx_queue(1), q2 = fx_queue(2), q3 = fx_queue(3);
    assert_ratio(q1.today.sl, 1, 1);
    assert_ratio(q2.today.sl, 0, 2);
    sb_stats_group_view t = fx_team(100);
    assert_int_equal(t.queues, 2);
    assert_int_equal(t.today.c.offered, 3);
    assert_ratio(t.today.sl, 1, 3); /* not the mean of 1 and 0 */
    assert_ratio(t.today.asa_ms, 1000 + 30000, 2);
    assert_ratio(t.today.aht_ms, 60000 + 30000, 2);
    const sb_stats_counts *team_q[] = {&q1.today.c, &q2.today.c};
    assert_counts_sum(&t.today.c, team_q, 2);
    const sb_stats_counts *team_w[] = {&q1.window.c, &q2.window.c};
    assert_counts_sum(&t.window.c, team_w, 2);

    sb_stats_agent_view a10 = fx_agent(10), a11 = fx_agent(11), a12 = fx_agent(12);
    assert_int_equal(t.agents, 2);
    assert_int_equal(t.logged_in, 2);
    assert_int_equal(t.by_activity[SB_STATS_READY], 2);
    const sb_stats_counts *team_a[] = {&a10.today.c, &a11.today.c};
    assert_counts_sum(&t.agent_today.c, team_a, 2);
    for (int k = 0; k < SB_STATS_ACT_COUNT; k++)
        assert_int_equal(t.time_ms[k], a10.time_ms[k] + a11.time_ms[k]);
    assert_int_equal(a10.busy_ms, 60000);
    assert_int_equal(a11.busy_ms, 30000);
    assert_int_equal(t.busy_ms, 90000);
    assert_int_equal(t.logged_in_ms, 200000);
    assert_ratio(t.occupancy, 90000, 200000);

    sb_stats_group_view t2 = fx_team(200);
    assert_int_equal(t2.agents, 1);
    assert_int_equal(t2.by_activity[SB_STATS_BUSY], 1);
    assert_int_equal(t2.queues, 1);
    assert_ratio(t2.today.sl, 1, 1);
    assert_true(t2.today.aht_ms == -1);

    sb_stats_group_view all = fx_tenant();
    assert_int_equal(all.agents, 3);
    assert_int_equal(all.queues, 3);
    assert_int_equal(all.by_activity[SB_STATS_READY], 2);
    assert_int_equal(all.by_activity[SB_STATS_BUSY], 1);
    assert_ratio(all.today.sl, 2, 4);
    assert_ratio(all.today.asa_ms, 1000 + 30000 + 500, 3);
    const sb_stats_counts *all_q[] = {&q1.today.c, &q2.today.c, &q3.today.c};
    assert_counts_sum(&all.today.c, all_q, 3);
    const sb_stats_counts *all_a[] = {&a10.today.c, &a11.today.c, &a12.today.c};
    assert_counts_sum(&all.agent_today.c, all_a, 3);
    for (int k = 0; k < SB_STATS_ACT_COUNT; k++)
        assert_int_equal(all.time_ms[k], a10.time_ms[k] + a11.time_ms[k] + a12.time_ms[k]);
    assert_ratio(all.occupancy, 60000 + 30000 + 96500, 300000);

    /* Agent 11 moves to team 200: team figures follow the members. */
    assert_int_equal(sb_stats_set_agent(F.st, 11, T200, 1, Q2, 1), SB_OK);
    t = fx_team(100);
    assert_int_equal(t.agents, 1);
    assert_int_equal(t.queues, 2); /* agent 10 still serves 1 and 2 */
    t2 = fx_team(200);
    assert_int_equal(t2.agents, 2);
    assert_int_equal(t2.queues, 2);
    assert_int_equal(t2.agent_today.c.answered, 2);
}

/* ---- configuration and edges ---------------------------------------------- */

static void config_and_errors(void **state) {
    (void)state;
    sb_stats_config cfg;
    sb_stats_config_default(&cfg);
    cfg.interval_ms = 7 * 60000; /* does not divide a day */
    assert_null(sb_stats_new(&cfg));
    sb_stats_config_default(&cfg);
    cfg.window_min = 0;
    assert_null(sb_stats_new(&cfg));
    sb_stats_config_default(&cfg);
    cfg.interval_ms = 60 * 60000;
    cfg.window_min = 60;
    fx_start(&cfg);

    sb_stats_counts zero;
    memset(&zero, 0, sizeof(zero));
    assert_true(sb_stats_sl(&zero) == -1);
    assert_true(sb_stats_asa_ms(&zero) == -1);
    assert_true(sb_stats_aht_ms(&zero) == -1);
    zero.abandoned = zero.short_abandoned = 3; /* only short abandons: still 0/0 */
    assert_true(sb_stats_sl(&zero) == -1);

    const sb_id dup[] = {1, 1}, nul[] = {0};
    assert_int_equal(sb_stats_set_agent(F.st, 0, NULL, 0, NULL, 0), SB_EINVAL);
    assert_int_equal(sb_stats_set_agent(F.st, 5, NULL, 0, dup, 2), SB_EINVAL);
    assert_int_equal(sb_stats_set_agent(F.st, 5, dup, 2, NULL, 0), SB_EINVAL);
    assert_int_equal(sb_stats_set_agent(F.st, 5, nul, 1, NULL, 0), SB_EINVAL);
    assert_int_equal(sb_stats_set_queue(F.st, 0, 1000), SB_EINVAL);
    assert_int_equal(sb_stats_set_queue(F.st, 1, -1), SB_EINVAL);

    sb_stats_queue_view qv;
    sb_stats_agent_view av;
    sb_stats_group_view gv;
    assert_int_equal(sb_stats_queue_view_get(F.st, 9, 0, &qv), SB_ENOENT);
    assert_int_equal(sb_stats_agent_view_get(F.st, 9, 0, &av), SB_ENOENT);
    assert_int_equal(sb_stats_team_view_get(F.st, 9, 0, &gv), SB_ENOENT);

    fx_at(HMS(13, 0, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, Q3, 1); /* team 3 */
    voice(1, 1);
    assert_int_equal(sb_stats_remove_queue(F.st, 1), SB_EINUSE);
    assert_int_equal(sb_stats_remove_agent(F.st, 10), SB_ESTATE);
    assert_int_equal(fx_queue(1).window_min, 60);
    abandon(1);
    assert_int_equal(sb_stats_remove_queue(F.st, 1), SB_OK);
    assert_int_equal(sb_stats_queue_view_get(F.st, 1, 0, &qv), SB_ENOENT);
    assert_int_equal(fx_team(3).queues, 0);
    sb_stats_interval r[4];
    assert_int_equal(fx_rows(SB_STATS_ROW_QUEUE, r, 4), 1); /* closed with the queue */
    assert_int_equal(r[0].c.abandoned, 1);
    sc_logout(F.s, 10);
    fx_feed();
    assert_int_equal(sb_stats_remove_agent(F.st, 10), SB_OK);
    assert_int_equal(sb_stats_remove_agent(F.st, 10), SB_ENOENT);
    assert_int_equal(fx_team(3).agents, 0);
    sb_stats_sizes z;
    sb_stats_sizes_get(F.st, &z);
    assert_int_equal(z.queues, 0);
    assert_int_equal(z.agents, 0);
    assert_int_equal(z.interactions, 0);
    /* Events without the ids their type needs are ignored. */
    const sb_event bad[] = {{.type = SB_EV_IX_CREATED, .at = F.s->now},
                            {.type = SB_EV_AGENT_STATE, .state = SB_AGENT_READY},
                            {.type = SB_EV_IX_QUEUED, .ix = 5, .reason = SB_REASON_NEW},
                            {.type = SB_EV_IX_OFFERED, .ix = 5, .queue = 1},
                            {.type = SB_EV_IX_ACCEPTED, .ix = 5, .agent = 3},
                            {.type = SB_EV_COUNT + 7, .ix = 5}};
    sb_stats_events(F.st, bad, sizeof(bad) / sizeof(bad[0]));
    sb_stats_sizes_get(F.st, &z);
    assert_int_equal(z.interactions + z.queues + z.agents, 0);
    assert_string_equal(sb_stats_activity_name(SB_STATS_NOT_RESPONDING), "not_responding");
    assert_null(sb_stats_activity_name(SB_STATS_ACT_COUNT));
}

/* Estimated wait: 0 with more ready agents than waiting; unknown with no
 * answers in the window; else (waiting + 1) x window / answered. */
static void estimated_wait(void **state) {
    (void)state;
    fx_start(NULL); /* 15-minute window: 900,000 ms */
    fx_at(HMS(9, 0, 0));
    fx_queue_new(1, SB_WRAPUP_NONE, 20000);
    fx_agent_new(10, Q1, 1, NULL, 0);
    assert_int_equal(fx_queue(1).estimated_wait_ms, -1); /* nobody ready, nothing answered */
    ready(10);
    assert_int_equal(fx_queue(1).estimated_wait_ms, 0); /* 1 ready > 0 waiting */
    voice(1, 1);
    accept(10, 1);
    fx_at(HMS(9, 1, 0));
    end(1); /* answered 1 in the window; agent ready again */
    voice(2, 1);
    accept(10, 2); /* answered 2 */
    voice(3, 1);
    voice(4, 1); /* 2 waiting, 0 ready */
    sb_stats_queue_view v = fx_queue(1);
    assert_int_equal(v.waiting, 2);
    assert_int_equal(v.window.c.answered, 2);
    assert_int_equal(v.estimated_wait_ms, 3 * 900000 / 2);
}

SB_TEST_GROUP(stats, FX_TEST(estimated_wait), FX_TEST(sl_asa_aht_exact), FX_TEST(thresholds_at_their_edges),
              FX_TEST(interval_boundary_by_arrival), FX_TEST(agent_rows_split_time),
              FX_TEST(interval_grace), FX_TEST(window_expires_by_minute),
              FX_TEST(day_start_resets_today), FX_TEST(activity_and_occupancy),
              FX_TEST(broadcast_holds_every_agent_offered), FX_TEST(segments_add_up),
              FX_TEST(restored_work_is_not_counted), FX_TEST(rollups_are_sums),
              FX_TEST(config_and_errors))
