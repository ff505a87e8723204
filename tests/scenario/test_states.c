/* Scenarios: agent states and wrap-up modes.  Login, ready, not-ready
 * with a reason, logout (withdrawing offers; refused while holding work),
 * wrap-up none / optional / mandatory / mandatory with timeout, and the
 * state requested during wrap-up taking effect when it ends. */
#include "scenario/harness.h"

/* Queue 1 (every member) with the given wrap-up mode and agent 10 ready
 * in it; at 1000 interaction 1 arrives on channel ch and agent 10 accepts
 * it. */
static sc *connected(int mode, int64_t wrapup_timeout_ms, int ch) {
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.wrapup = (uint8_t)mode;
    d.wrapup_timeout_ms = wrapup_timeout_ms;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    sc_connect(s, 10, 1, 1, ch);
    return s;
}

/* The events since the mark, all at t: interaction 1 completed by agent
 * 10, then agent 10 in `state` with reason `code`. */
static void expect_completed_then(const sc *s, int64_t t, int state, sb_id code) {
    SC_EXPECT(s, t, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark + 1].state, state);
    assert_int_equal(s->log[s->mark + 1].code, code);
}

static void login_ready_not_ready(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_LOGGED_OUT);
    assert_int_equal(sb_agent_ready(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_agent_not_ready(s->c, s->now, 10, 3), SB_ESTATE);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_agent_login(s->c, s->now, 99), SB_ENOENT);
    sc_at(s, 1000);
    sc_mark(s);
    sc_login(s, 10);
    SC_EXPECT(s, 1000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark].code, 0);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.state_since, 1000);
    assert_int_equal(sb_agent_login(s->c, s->now, 10), SB_ESTATE);
    /* not ready: an arrival waits */
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    sc_at(s, 2000);
    sc_mark(s);
    sc_ready(s, 10);
    SC_EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 1, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_READY);
    assert_int_equal(sc_agent_info(s, 10).state_since, 2000);
}

static void not_ready_reason_in_event(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 1000);
    sc_mark(s);
    sc_not_ready(s, 10, 42);
    SC_EXPECT(s, 1000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark].code, 42);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 42);
    /* the same reason again changes nothing; another reason is an event */
    sc_mark(s);
    sc_not_ready(s, 10, 42);
    sc_expect_none(s);
    sc_at(s, 2000);
    sc_not_ready(s, 10, 7);
    SC_EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].code, 7);
    assert_int_equal(sc_agent_info(s, 10).reason, 7);
    sc_mark(s);
    sc_ready(s, 10);
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(sc_agent_info(s, 10).reason, 0);
}

/* Logout withdraws pending offers: the interaction is requeued and offered
 * to another agent at once. */
static void logout_withdraws_offers(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    sc_mark(s);
    sc_logout(s, 10);
    SC_EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WITHDRAWN, 1, 10},
              {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_OFFERED, 1, 11});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_LOGGED_OUT);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_LOGGED_OUT);
    assert_false(ai.busy);
    assert_int_equal(ai.units_used, 0);
}

/* Logout is refused while the agent holds connected or wrap-up work. */
static void logout_refused_with_work(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_VOICE);
    sc_mark(s);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    sc_expect_none(s);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    sc_end(s, 1);
    sc_mark(s);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    sc_expect_none(s);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_wrapup_done(s, 1, 0);
    sc_logout(s, 10);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_LOGGED_OUT);
}

static void wrapup_none(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_NONE, 0, SB_CH_VOICE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 5), SB_ESTATE); /* not in wrap-up */
    sc_at(s, 2000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 2000, {SB_EV_IX_COMPLETED, 1, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_NONE);
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

static void wrapup_optional(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_VOICE);
    sc_at(s, 2000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_WRAP_UP);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 0);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    assert_int_equal(sb_interaction_end(s->c, s->now, 1), SB_ESTATE);
    sc_at(s, 3000);
    sc_mark(s);
    sc_wrapup_done(s, 1, 0); /* code optional */
    expect_completed_then(s, 3000, SB_AGENT_READY, 0);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

static void wrapup_mandatory(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_MANDATORY, 0, SB_CH_VOICE);
    sc_end(s, 1);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 500000);
    sc_mark(s);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_wrapup_done(s, 1, 77);
    expect_completed_then(s, 500000, SB_AGENT_READY, 0);
    assert_int_equal(s->log[s->mark].code, 77);
    assert_int_equal(s->log[s->mark].reason, SB_REASON_NONE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 77), SB_ENOENT);
}

/* Mandatory with timeout: the code is required before the deadline; at
 * exactly the deadline it completes without one (reason wrapup_timeout). */
static void wrapup_mandatory_timeout(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_MANDATORY_TIMEOUT, 30000, SB_CH_VOICE);
    sc_at(s, 5000);
    sc_end(s, 1);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 35000);
    assert_int_equal(sb_core_next_deadline(s->c), 35000);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_mark(s);
    sc_at(s, 34999);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    sc_at(s, 35000);
    expect_completed_then(s, 35000, SB_AGENT_READY, 0);
    assert_int_equal(s->log[s->mark].reason, SB_REASON_WRAPUP_TIMEOUT);
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(sc_agent_info(s, 10).idle_since, 35000);
}

/* With a code before the deadline it completes then, and the timer is
 * gone. */
static void wrapup_mandatory_timeout_completed_early(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_MANDATORY_TIMEOUT, 30000, SB_CH_VOICE);
    sc_end(s, 1);
    sc_at(s, 2000);
    sc_wrapup_done(s, 1, 9);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_mark(s);
    sc_at(s, 40000);
    sc_expect_none(s);
}

/* During wrap-up the agent gets no offers even with spare capacity; when
 * it ends, the waiting work is offered in that instant. */
static void no_offers_during_wrapup(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_CHAT);
    sc_end(s, 1);
    assert_int_equal(sc_agent_info(s, 10).avail_mask, SB_CH_BIT(SB_CH_CHAT)); /* room for chats */
    sc_at(s, 2000);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    sc_ready(s, 10); /* recorded for after wrap-up: no event */
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 4000);
    sc_wrapup_done(s, 1, 0);
    SC_EXPECT(s, 4000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10},
              {SB_EV_IX_OFFERED, 2, 10});
}

/* With two chats, the agent stays in wrap-up until the last wrap-up is
 * done; only then is it offered more. */
static void wrapup_of_several_interactions(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_CHAT);
    sc_connect(s, 10, 2, 1, SB_CH_CHAT);
    sc_at(s, 2000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    sc_arrive(s, 3, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    sc_end(s, 2);
    SC_EXPECT(s, 3000, {SB_EV_IX_WRAP_UP, 2, 10});
    sc_at(s, 4000);
    sc_mark(s);
    sc_wrapup_done(s, 1, 0);
    SC_EXPECT(s, 4000, {SB_EV_IX_COMPLETED, 1, 10});
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    sc_at(s, 5000);
    sc_mark(s);
    sc_wrapup_done(s, 2, 0);
    SC_EXPECT(s, 5000, {SB_EV_IX_COMPLETED, 2, 10}, {SB_EV_AGENT_STATE, 0, 10},
              {SB_EV_IX_OFFERED, 3, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_READY);
}

/* Not-ready requested during wrap-up applies when wrap-up ends (with its
 * reason); nothing is offered then. */
static void not_ready_during_wrapup_applies_after(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_MANDATORY_TIMEOUT, 20000, SB_CH_VOICE);
    sc_end(s, 1); /* deadline 21000 */
    sc_voice(s, 2, 1, 0);
    sc_at(s, 2000);
    sc_mark(s);
    sc_not_ready(s, 10, 5);
    sc_expect_none(s);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_int_equal(ai.reason, 0);
    sc_at(s, 21000);
    expect_completed_then(s, 21000, SB_AGENT_NOT_READY, 5);
    ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 5);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Not-ready taken while connected survives the wrap-up that follows. */
static void not_ready_while_connected_kept_after_wrapup(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_VOICE);
    sc_not_ready(s, 10, 8);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_READY);
    sc_end(s, 1);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_voice(s, 2, 1, 0);
    sc_at(s, 2000);
    sc_mark(s);
    sc_wrapup_done(s, 1, 0);
    expect_completed_then(s, 2000, SB_AGENT_NOT_READY, 8);
}

/* An offer that times out during wrap-up makes the agent not responding
 * when wrap-up ends, like a timeout outside wrap-up: with reason 0, even
 * if not-ready with a reason had been requested before. */
static void timeout_during_wrapup(void **state) {
    (void)state;
    sc *s = connected(SB_WRAPUP_OPTIONAL, 0, SB_CH_CHAT);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_offered(s, 2), 10); /* deadline 11000 */
    sc_not_ready(s, 10, 5);
    sc_end(s, 1);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_at(s, 11000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 2, 10));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_at(s, 12000);
    sc_mark(s);
    sc_wrapup_done(s, 1, 0);
    expect_completed_then(s, 12000, SB_AGENT_NOT_RESPONDING, 0);
    assert_int_equal(sc_agent_info(s, 10).reason, 0);
}

/* busy is derived from capacity in use, not a state: a ready agent with
 * one chat is busy and still routable for chats. */
static void busy_is_derived(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_false(sc_agent_info(s, 10).busy);
    sc_at(s, 1000);
    sc_connect(s, 10, 1, 1, SB_CH_CHAT);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_true(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_offered(s, 2), 10);
    sc_not_ready(s, 10, 1);
    assert_true(sc_agent_info(s, 10).busy); /* not ready, still holding work */
    sc_reject(s, 10, 2);
    sc_end(s, 1);
    ai = sc_agent_info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
}

SB_TEST_GROUP(scenario_states, SC_TEST(login_ready_not_ready), SC_TEST(not_ready_reason_in_event),
              SC_TEST(logout_withdraws_offers), SC_TEST(logout_refused_with_work),
              SC_TEST(wrapup_none), SC_TEST(wrapup_optional), SC_TEST(wrapup_mandatory),
              SC_TEST(wrapup_mandatory_timeout), SC_TEST(wrapup_mandatory_timeout_completed_early),
              SC_TEST(no_offers_during_wrapup), SC_TEST(wrapup_of_several_interactions),
              SC_TEST(not_ready_during_wrapup_applies_after),
              SC_TEST(not_ready_while_connected_kept_after_wrapup), SC_TEST(timeout_during_wrapup),
              SC_TEST(busy_is_derived))
