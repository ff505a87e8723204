/* Scenarios: sb_interaction_explain, "why is this one still waiting?".
 * One scene where every count is distinct and non-zero, the step fields
 * as steps widen, and the position by priority and arrival. */
#include <string.h>

#include "scenario/harness.h"

/* Three steps: skill x >= 5, then >= 1 after 30 s, then anyone after 90 s. */
static void three_step_queue(sc *s, sb_id id) {
    sb_step_def steps[3] = {
        {"agent.skills.x >= 5", 0}, {"agent.skills.x >= 1", 30000}, {"", 90000}};
    sb_queue_def d = sc_qdef(steps, 3);
    sc_queue_set(s, id, &d);
}

enum {
    A1 = 1, /* available: ready, chat room (no email in its profile) */
    B1,
    B2, /* blocked by capacity: ready, on a call */
    P,  /* not ready (the preferred agent) */
    N1, /* wrap-up */
    N2, /* not responding */
    R1,
    R2,
    R3,
    R4, /* rejected X: excluded */
    L1, /* eligible but logged out */
    I1, /* ready but not eligible at step 0 */
};
enum { X = 100, Y, W, V };

/* Queue 1: X (chat) parked for P, emails Y (before X), W (after X, with
 * priority 5), V (after X).  X: position 3 of 4 waiting; of 12 members,
 * 7 eligible: 1 available, 2 blocked, 3 not ready (and one logged out);
 * 4 excluded. */
static sc *scene(void) {
    sc *s = sc_fresh(1);
    three_step_queue(s, 1);
    sb_queue_def d2 = sc_qdef_all();
    d2.wrapup = SB_WRAPUP_OPTIONAL;
    sc_queue_set(s, 2, &d2);
    sb_profile_def p;
    sb_profile_default(&p);
    p.max[SB_CH_EMAIL] = 0;
    sc_profile(s, 7, &p);

    assert_int_equal(sc_agent_spec(s, A1, "skills=x:5 queues=1 profile=7"), SB_OK);
    for (sb_id a = B1; a <= N2; a++)
        assert_int_equal(
            sc_agent_spec(s, a, a == P ? "skills=x:5 queues=1" : "skills=x:5 queues=1,2"), SB_OK);
    for (sb_id a = R1; a <= R4; a++)
        assert_int_equal(sc_agent_spec(s, a, "skills=x:9 queues=1 profile=7"), SB_OK);
    assert_int_equal(sc_agent_spec(s, L1, "skills=x:5 queues=1"), SB_OK);
    assert_int_equal(sc_agent_spec(s, I1, "skills=x:1 queues=1"), SB_OK);

    /* calls from queue 2 occupy B1, B2, N1 (then wrap-up), N2 (then missed) */
    sc_at(s, 100);
    sb_id call = 200;
    for (sb_id a = B1; a <= N2; a++) {
        if (a == P) continue;
        sc_login_ready(s, a);
        sc_voice(s, call, 2, 0);
        assert_int_equal(sc_offered(s, call), a);
        if (a != N2) sc_accept(s, a, call);
        if (a == N1) sc_end(s, call);
        call++;
    }
    assert_int_equal(sc_agent_state(s, N1), SB_AGENT_WRAP_UP);

    sc_at(s, 150);
    sc_arrive(s, Y, 1, SB_CH_EMAIL, 0);
    sc_at(s, 200);
    sc_arrive(s, X, 1, SB_CH_CHAT, 0);
    sc_at(s, 250);
    sc_arrive(s, W, 1, SB_CH_EMAIL, 5);
    sc_at(s, 260);
    sc_arrive(s, V, 1, SB_CH_EMAIL, 0);
    sc_mark(s);

    /* four agents turn X down and leave */
    for (sb_id a = R1; a <= R4; a++) {
        sc_at(s, 1000 + 100 * (int64_t)(a - R1));
        sc_login_ready(s, a);
        assert_int_equal(sc_offered(s, X), a);
        sc_reject(s, a, X);
        sc_logout(s, a);
    }
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 4);

    sc_at(s, 2000);
    sc_login(s, P);
    SC_OK(s, sb_interaction_transfer_agent(s->c, s->now, X, P, 0));
    sc_at(s, 3000);
    sc_login_ready(s, A1);
    sc_login_ready(s, I1);
    sc_at(s, 12000); /* N2's call timed out at 10100 */
    assert_int_equal(sc_agent_state(s, N2), SB_AGENT_NOT_RESPONDING);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 4);
    return s;
}

static void every_count_distinct(void **state) {
    (void)state;
    sc *s = scene();
    sb_explain x = sc_explain(s, X);
    assert_int_equal(x.state, SB_IX_QUEUED);
    assert_int_equal(x.position, 3);
    assert_int_equal(x.waiting, 4);
    assert_int_equal(x.step, 0);
    assert_int_equal(x.nsteps, 3);
    assert_int_equal(x.next_step_at, 2000 + 30000);
    assert_int_equal(x.members, 12);
    assert_int_equal(x.eligible, 7);
    assert_int_equal(x.available, 1);
    assert_int_equal(x.blocked_by_capacity, 2);
    assert_int_equal(x.not_ready, 3);
    assert_int_equal(x.excluded, 4);
    assert_int_equal(x.preferred_agent, P);
    assert_int_equal(x.preferred_until, 0);

    /* the others, for comparison */
    assert_int_equal(sc_explain(s, W).position, 1);
    assert_int_equal(sc_explain(s, Y).position, 2);
    sb_explain y = sc_explain(s, Y);
    assert_int_equal(y.excluded, 0);
    assert_int_equal(y.eligible, 11);
    assert_int_equal(y.preferred_agent, 0);
    assert_int_equal(y.next_step_at, 150 + 30000);

    /* P serves the queue too, and the best work for it is W (priority 5),
     * not X; with W, P has no room for a chat */
    sc_mark(s);
    sc_ready(s, P);
    assert_int_equal(sc_offered(s, W), P);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sb_explain w = sc_explain(s, W);
    assert_int_equal(w.state, SB_IX_OFFERED);
    assert_int_equal(w.position, 0);
    assert_int_equal(w.waiting, 3);
    x = sc_explain(s, X);
    assert_int_equal(x.position, 2);
    assert_int_equal(x.waiting, 3);
    assert_int_equal(x.eligible, 7);
    assert_int_equal(x.available, 1);
    assert_int_equal(x.blocked_by_capacity, 3);
    assert_int_equal(x.not_ready, 2);
    assert_int_equal(x.excluded, 4);
    sb_explain none;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 999, &none), SB_ENOENT);
}

/* Positions are places among all those waiting (waiting counts X, parked
 * for P): W 1, Y 2, X 3, V 4 -- no two share a place. */
static void positions_include_parked(void **state) {
    (void)state;
    sc *s = scene();
    const sb_id ids[4] = {W, Y, X, V};
    for (uint32_t i = 0; i < 4; i++) {
        sb_explain x = sc_explain(s, ids[i]);
        assert_int_equal(x.waiting, 4);
        assert_int_equal(x.position, i + 1);
    }
}

/* Step, next_step_at and eligibility as the steps widen (explain fires
 * the timers due at its `now`). */
static void steps_widen(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    three_step_queue(s, 1);
    sc_agent_nr(s, 1, "skills=x:1 queues=1"); /* step 1 */
    sc_agent_nr(s, 2, "queues=1");            /* step 2 */
    sc_at(s, 1000);
    sc_voice(s, 9, 1, 0);
    sb_explain x = sc_explain(s, 9);
    assert_int_equal(x.step, 0);
    assert_int_equal(x.nsteps, 3);
    assert_int_equal(x.next_step_at, 31000);
    assert_int_equal(x.members, 2);
    assert_int_equal(x.eligible, 0);
    sb_explain e;
    assert_int_equal(sb_interaction_explain(s->c, 30999, 9, &e), SB_OK);
    assert_int_equal(e.step, 0);
    assert_int_equal(sb_interaction_explain(s->c, 31000, 9, &e), SB_OK);
    assert_int_equal(e.step, 1);
    assert_int_equal(e.next_step_at, 91000);
    assert_int_equal(e.eligible, 1);
    assert_int_equal(e.not_ready, 1);
    sc_collect(s);
    const sb_event *st = sc_find(s, SB_EV_IX_STEP, 9, 0);
    assert_non_null(st);
    assert_int_equal(st->at, 31000);
    assert_int_equal(st->step, 1);
    s->now = 31000;
    sc_at(s, 91000);
    x = sc_explain(s, 9);
    assert_int_equal(x.step, 2);
    assert_int_equal(x.next_step_at, -1);
    assert_int_equal(x.eligible, 2);
    assert_int_equal(x.not_ready, 2);
    assert_int_equal(x.available, 0);
}

/* Position: priority first, then arrival, across channels. */
static void position_by_priority_then_arrival(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 2000);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 2);
    sc_at(s, 3000);
    sc_arrive(s, 3, 1, SB_CH_EMAIL, 0);
    sc_at(s, 4000);
    sc_voice(s, 4, 1, 2);
    sc_at(s, 5000);
    sc_voice(s, 5, 1, -1);
    const uint32_t want[6] = {0, 3, 1, 4, 2, 5};
    for (sb_id id = 1; id <= 5; id++) {
        sb_explain x = sc_explain(s, id);
        assert_int_equal(x.position, want[id]);
        assert_int_equal(x.waiting, 5);
    }
}

/* An interaction created for a preferred agent still has a place by its
 * priority: priority 5 goes before an earlier arrival with 0. */
static void position_of_one_waiting_for_its_agent(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_agent_nr(s, 10, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 2000);
    sb_interaction_def d = {
        .id = 2, .queue = 1, .channel = SB_CH_VOICE, .priority = 5, .preferred_agent = 10};
    assert_int_equal(sc_ix_def(s, &d), SB_OK);
    sb_explain x = sc_explain(s, 2);
    assert_int_equal(x.preferred_agent, 10);
    assert_int_equal(x.waiting, 2);
    assert_int_equal(x.position, 1);
}

SB_TEST_GROUP(scenario_explain, SC_TEST(every_count_distinct), SC_TEST(positions_include_parked),
              SC_TEST(steps_widen), SC_TEST(position_by_priority_then_arrival),
              SC_TEST(position_of_one_waiting_for_its_agent))
