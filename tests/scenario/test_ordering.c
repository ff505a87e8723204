/* Scenarios: which waiting interaction an agent gets when it frees up:
 * priority (with aging) first, then arrival, then enqueue order, chosen
 * globally and deterministically across all the agent's queues. */
#include <stdio.h>

#include "scenario/harness.h"

/* Make agent take its offers one by one (accept + end at once) until
 * nothing is offered; returns the interactions in the order offered. */
static uint32_t drain(sc *s, sb_id agent, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    for (;;) {
        sb_agent_info ai = sc_agent_info(s, agent);
        if (ai.count[SB_CH_VOICE] == 0) break;
        /* the interaction offered to agent most recently */
        sb_id ix = 0;
        for (uint32_t i = s->nlog; i-- > 0;)
            if (s->log[i].type == SB_EV_IX_OFFERED && s->log[i].agent == agent) {
                ix = s->log[i].ix;
                break;
            }
        assert_true(ix != 0 && n < max);
        out[n++] = ix;
        sc_accept(s, agent, ix);
        sc_end(s, ix);
    }
    return n;
}

/* Agent 10 goes ready now and takes its offers one by one: they are
 * exactly want[0..n), in this order. */
static void ready_takes(sc *s, const sb_id *want, uint32_t n) {
    sc_mark(s);
    sc_ready(s, 10);
    sb_id got[16];
    sc_assert_ids(got, drain(s, 10, got, 16), want, n);
}

static void aging_queue(sc *s, sb_id id, double aging_per_s) {
    sb_queue_def d = sc_qdef_all();
    d.aging_per_s = aging_per_s;
    sc_queue_set(s, id, &d);
}

/* ---- one queue --------------------------------------------------------- */

static void priority_first_then_arrival(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_agent_nr(s, 10, "queues=1");
    const struct {
        sb_id id;
        int prio;
    } arrivals[] = {{1, 1}, {2, 5}, {3, 3}, {4, 5}, {5, 3}, {6, 1}, {7, -2}, {8, 10}};
    for (int i = 0; i < 8; i++) {
        sc_at(s, 100 * (i + 1));
        sc_voice(s, arrivals[i].id, 1, arrivals[i].prio);
    }
    /* positions as explain tells them */
    const sb_id want[8] = {8, 2, 4, 3, 5, 1, 6, 7};
    for (uint32_t i = 0; i < 8; i++) {
        sb_explain ex = sc_explain(s, want[i]);
        assert_int_equal(ex.position, i + 1);
        assert_int_equal(ex.waiting, 8);
    }
    sc_at(s, 5000);
    ready_takes(s, want, 8);
}

/* Two interactions in one aging queue: low (priority 0) arrives at 1000,
 * high (priority 5) `gap` ms later; the agent frees up at `ready_at`.
 * Returns the first one it is offered.  With aging a points/s, low
 * overtakes when a * gap / 1000 >= 5 (equal scores: the earlier arrival). */
static sb_id first_of_two(double aging, int64_t gap, int64_t ready_at) {
    sc *s = sc_new(1);
    aging_queue(s, 1, aging);
    sc_agent_nr(s, 10, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 1000 + gap);
    sc_voice(s, 2, 1, 5);
    sc_at(s, ready_at);
    sc_mark(s);
    sc_ready(s, 10);
    sb_id got = sc_offered(s, 1) ? 1 : sc_offered(s, 2) ? 2 : 0;
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sc_free(s);
    return got;
}

static void aging_overtake_is_exact(void **state) {
    (void)state;
    /* 1 point/s: 5 points take 5000 ms */
    assert_int_equal(first_of_two(1.0, 4999, 6000), 2);
    assert_int_equal(first_of_two(1.0, 5000, 6000), 1); /* tie: earlier arrival */
    assert_int_equal(first_of_two(1.0, 5001, 6001), 1);
    /* in one queue the order does not depend on when the agent frees up */
    assert_int_equal(first_of_two(1.0, 4999, 600000), 2);
    assert_int_equal(first_of_two(1.0, 5001, 600000), 1);
    /* 0.25 point/s: 5 points take 20000 ms */
    assert_int_equal(first_of_two(0.25, 19999, 30000), 2);
    assert_int_equal(first_of_two(0.25, 20000, 30000), 1);
    /* 0.001 point/s: 5 points take 5000000 ms */
    assert_int_equal(first_of_two(0.001, 4999999, 5001000), 2);
    assert_int_equal(first_of_two(0.001, 5000000, 5001000), 1);
    /* no aging: priority wins whatever the wait */
    assert_int_equal(first_of_two(0, 10000000, 10001000), 2);
}

/* ---- across queues ----------------------------------------------------- */

/* Agent 10 serves queue 1 (aging 1 point/s) and queue 2 (no aging).  Low
 * (priority 0) waits in queue 1 from 1000; high (priority 3) in queue 2
 * from high_at; created in the order given; the agent frees up at t.  The
 * choice is global: low's score at t is (t - 1000) / 1000 points. */
static sb_id cross_first(bool low_created_first, int64_t high_at, int64_t t) {
    sc *s = sc_new(1);
    aging_queue(s, 1, 1.0);
    aging_queue(s, 2, 0);
    sc_agent_nr(s, 10, "queues=1,2");
    sc_at(s, 1000);
    if (low_created_first) sc_voice(s, 1, 1, 0);
    sc_at(s, high_at);
    sc_voice(s, 2, 2, 3);
    if (!low_created_first) sc_voice(s, 1, 1, 0);
    sc_at(s, t);
    sc_mark(s);
    sc_ready(s, 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sb_id got = sc_offered(s, 1) ? 1 : 2;
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, got, 10);
    assert_int_equal(o->at, t);
    sc_free(s);
    return got;
}

static void aging_across_queues_is_exact(void **state) {
    (void)state;
    /* same arrival (1000), high created first: ties go to high */
    assert_int_equal(cross_first(false, 1000, 3999), 2);
    assert_int_equal(cross_first(false, 1000, 4000),
                     2); /* equal score, equal arrival: enqueue order */
    assert_int_equal(cross_first(false, 1000, 4001), 1);
    /* same arrival, low created first: the tie goes to low */
    assert_int_equal(cross_first(true, 1000, 3999), 2);
    assert_int_equal(cross_first(true, 1000, 4000), 1);
    /* high arrives later (2500): the tie goes to the earlier arrival */
    assert_int_equal(cross_first(true, 2500, 3999), 2);
    assert_int_equal(cross_first(true, 2500, 4000), 1);
    assert_int_equal(cross_first(true, 2500, 100000), 1);
}

/* The overtake in a multi-queue agent happens over time: the same agent,
 * freeing up again and again, sees the aged one move ahead exactly when
 * its score passes. */
static void aging_overtakes_while_waiting(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    aging_queue(s, 1, 0.5); /* 0.5 point/s */
    aging_queue(s, 2, 0);
    sc_agent_nr(s, 10, "queues=1,2");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0); /* reaches 2 points at 5000 */
    for (sb_id ix = 20; ix < 30; ix++)
        sc_voice(s, ix, 2, 2);
    /* The agent takes one call a second (ready at 2000, 3000, ...): the
     * queue-2 calls (priority 2) until low's score exceeds 2: at 5000 it
     * equals 2 (arrival ties, low was created first), so low goes then. */
    sb_id got[16];
    uint32_t n = 0;
    for (int64_t t = 2000; t <= 6000; t += 1000) {
        sc_at(s, t);
        sc_mark(s);
        if (t == 2000)
            sc_ready(s, 10);
        else
            sc_end(s, got[n - 1]);
        sb_id ix = 0;
        for (sb_id k = 1; k < 30 && !ix; k++)
            if (sc_find(s, SB_EV_IX_OFFERED, k, 10)) ix = k;
        assert_true(ix != 0);
        assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, ix, 10)->at, t);
        got[n++] = ix;
        sc_accept(s, 10, ix);
    }
    SC_ASSERT_IDS(got, n, 20, 21, 22, 1, 23);
}

/* The global script: agent 10 serves queues 1-3 (listed in the given
 * order), agent 11 serves queue 2 only; both busy while work piles up in
 * all three queues, then they free up. */
static sc *global_script(const char *queues10) {
    sc *s = sc_new(7);
    aging_queue(s, 1, 0);
    aging_queue(s, 2, 0.5);
    aging_queue(s, 3, 0);
    char spec[64];
    snprintf(spec, sizeof(spec), "queues=%s", queues10);
    sc_agent_nr(s, 10, spec);
    sc_agent_nr(s, 11, "queues=2");
    sc_at(s, 50);
    sc_voice(s, 1, 2, 1); /* q2 p1 @50: 1 + 0.5/s */
    sc_at(s, 100);
    sc_voice(s, 2, 1, 2); /* q1 p2 @100 */
    sc_at(s, 300);
    sc_voice(s, 3, 2, 5); /* q2 p5 @300 (before 4: same time) */
    sc_voice(s, 4, 3, 5); /* q3 p5 @300 */
    sc_at(s, 400);
    sc_voice(s, 5, 1, 5); /* q1 p5 @400 */
    sc_voice(s, 6, 3, 2); /* q3 p2 @400 */
    sc_at(s, 1000);
    sc_ready(s, 10);
    sb_id got[16];
    uint32_t n = drain(s, 10, got, 16);
    assert_int_equal(n, 6);
    sc_at(s, 3000);
    sc_ready(s, 11);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 11), 0);
    sc_at(s, 4000);
    sc_voice(s, 7, 2, 0);
    sc_voice(s, 8, 3, 0);
    return s;
}

static void global_choice_across_queues(void **state) {
    (void)state;
    sc *s = global_script("1,2,3");
    sc_mark(s);
    s->mark = 0;
    /* At 1000 and after (all drained at 1000):
     *   3 (q2 p5 @300, aged 0.35) > 5? no: 3 scores 5.35, 4 and 5 score 5:
     *   4 (q3 @300) before 5 (q1 @400) by arrival;
     *   then 2 (q1 p2 @100) and 6 (q3 p2 @400) score 2, 1 (q2 p1 @50)
     *   scores 1 + 0.475 = 1.475 at 1000: 2, 6, 1.
     * Later arrivals: 7 to agent 11 (q2), 8 to agent 10 (q3). */
    sb_id got[16];
    SC_ASSERT_IDS(got, sc_offered_ixs(s, got, 16), 3, 4, 5, 2, 6, 1, 7, 8);
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 7, 11));
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 8, 10));
    sc_free(s);
}

static void global_choice_is_deterministic(void **state) {
    (void)state;
    sc *a = global_script("1,2,3");
    sc *b = global_script("1,2,3");
    sc *c = global_script("3,1,2"); /* membership order must not matter */
    assert_int_equal(a->nlog, b->nlog);
    assert_int_equal(a->nlog, c->nlog);
    assert_memory_equal(a->log, b->log, a->nlog * sizeof(*a->log));
    static char ta[1 << 16], tb[1 << 16], tc[1 << 16];
    sc_log_text(a, ta, sizeof(ta));
    sc_log_text(b, tb, sizeof(tb));
    sc_log_text(c, tc, sizeof(tc));
    assert_string_equal(ta, tb);
    assert_string_equal(ta, tc);
    sc_free(a);
    sc_free(b);
    sc_free(c);
}

/* ---- ties -------------------------------------------------------------- */

/* Equal priority: the earlier arrival (a restore passes the original),
 * then the earlier enqueue; never the id or the queue's place in the
 * agent's list. */
static void ties_by_arrival_then_enqueue_order(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    aging_queue(s, 1, 2.0);
    aging_queue(s, 2, 2.0);
    sc_agent_nr(s, 10, "queues=1,2");
    sc_at(s, 100);
    sc_voice(s, 200, 1, 3); /* @100, enqueued 1st */
    sc_voice(s, 100, 1, 3); /* @100, enqueued 2nd */
    sc_voice(s, 150, 2, 3); /* @100, enqueued 3rd, other queue */
    sc_at(s, 200);
    sc_voice(s, 50, 1, 3); /* @200 */
    sb_interaction_def d = {
        .id = 300, .queue = 2, .channel = SB_CH_VOICE, .priority = 3, .arrived_at = 60};
    assert_int_equal(sc_ix_def(s, &d), SB_OK); /* created at 200, arrived at 60 */
    sc_at(s, 1000);
    const sb_id want[5] = {300, 200, 100, 150, 50};
    ready_takes(s, want, 5);
}

/* Across queues with no aging, equal priorities: the earlier arrival wins
 * even when it was enqueued later (a restored interaction keeps its
 * arrival), and equal arrivals go by enqueue order, not by id or by the
 * queue's place in the agent's list. */
static void cross_queue_ties(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_queue(s, 3, "");
    sc_agent_nr(s, 10, "queues=1,2,3");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 2); /* @1000, enqueued 1st */
    sc_voice(s, 9, 3, 2); /* @1000, enqueued 2nd */
    sb_interaction_def d = {
        .id = 5, .queue = 2, .channel = SB_CH_VOICE, .priority = 2, .arrived_at = 900};
    assert_int_equal(sc_ix_def(s, &d), SB_OK); /* enqueued 3rd, arrived 900 */
    sc_at(s, 1500);
    sc_voice(s, 2, 3, 2); /* @1500 */
    sc_voice(s, 3, 1, 2); /* @1500 */
    d.id = 7;
    d.queue = 1;
    d.arrived_at = 950;
    assert_int_equal(sc_ix_def(s, &d),
                     SB_OK); /* same queue as 1, enqueued later, arrived earlier */
    assert_int_equal(sc_explain(s, 7).position, 1);
    sc_at(s, 2000);
    const sb_id want[6] = {5, 7, 1, 9, 2, 3};
    ready_takes(s, want, 6);
}

/* A declined interaction keeps its place (arrival and enqueue order). */
static void requeue_keeps_place(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_agent_nr(s, 11, "queues=1");
    sc_at(s, 100);
    sc_voice(s, 1, 1, 0); /* offered to 10 */
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 200);
    sc_voice(s, 2, 1, 0);
    sc_voice(s, 3, 1, 0);
    sc_at(s, 300);
    sc_reject(s, 10, 1); /* back in line, ahead of 2 and 3 */
    sc_at(s, 400);
    sc_mark(s);
    sc_ready(s, 11);
    assert_int_equal(sc_offered(s, 1), 11);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 11), 1);
}

/* Interactions that do not arrive in their queue's order (a priority
 * boost worth a few seconds of waiting, a requeue after a reject, keeping
 * the original arrival) still leave it in order, among many that do. */
static void out_of_order_arrivals_keep_order(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    aging_queue(s, 1, 1.0); /* one point per second */
    sc_agent_nr(s, 10, "queues=1");
    sc_agent(s, 11, "queues=1");
    /* 1 at 1 s is offered to agent 11, which turns it down and leaves: 1
     * waits again with its arrival */
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 11);
    sc_at(s, 1500);
    sc_reject(s, 11, 1);
    sc_not_ready(s, 11, 0);
    /* 2..12 every second, priority 0 */
    for (sb_id i = 2; i <= 12; i++) {
        sc_at(s, 1000 * (int64_t)i);
        sc_voice(s, i, 1, 0);
    }
    /* 13 arrives at 13 s with priority 5: as if it had come at 8 s, after
     * 8 (equal score, earlier arrival first) */
    sc_at(s, 13000);
    sc_voice(s, 13, 1, 5);
    /* 14 at 14 s with priority 20: the front */
    sc_at(s, 14000);
    sc_voice(s, 14, 1, 20);
    const sb_id want[] = {14, 1, 2, 3, 4, 5, 6, 7, 8, 13, 9, 10, 11, 12};
    ready_takes(s, want, 14);
}

/* Several interactions go back to waiting at the same instant (their
 * agent logs out with two chat offers pending); the one free slot goes to
 * the best of them, not to the one that happens to be handled first. */
static void released_together_best_first(void **state) {
    (void)state;
    int failures = 0;
    for (int better_first = 0; better_first < 2; better_first++) {
        sc *s = sc_new(1);
        sc_queue(s, 1, "");
        sb_profile_def one_chat;
        sb_profile_default(&one_chat);
        one_chat.max[SB_CH_CHAT] = 1;
        sc_profile(s, 2, &one_chat);
        sc_agent(s, 11, "queues=1");
        sc_agent_nr(s, 10, "queues=1 profile=2");
        sc_at(s, 1000);
        int prio[2] = {better_first ? 5 : 0, better_first ? 0 : 5};
        sc_arrive(s, 100, 1, SB_CH_CHAT, prio[0]);
        sc_arrive(s, 101, 1, SB_CH_CHAT, prio[1]);
        assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 11), 2);
        sc_ready(s, 10); /* nothing waits: both are offered to 11 */
        sc_at(s, 2000);
        sc_mark(s);
        sc_logout(s, 11);
        failures += !sc_only_offer(s, better_first ? 100 : 101, 10, "better one offered %s",
                                   better_first ? "first" : "second");
        sc_free(s);
    }
    assert_int_equal(failures, 0);
}

SB_TEST_GROUP(scenario_ordering, SC_TEST(priority_first_then_arrival),
              SC_TEST(aging_overtake_is_exact), SC_TEST(aging_across_queues_is_exact),
              SC_TEST(aging_overtakes_while_waiting), SC_TEST(global_choice_across_queues),
              SC_TEST(global_choice_is_deterministic), SC_TEST(ties_by_arrival_then_enqueue_order),
              SC_TEST(cross_queue_ties), SC_TEST(requeue_keeps_place),
              SC_TEST(out_of_order_arrivals_keep_order),
              SC_TEST(released_together_best_first))
