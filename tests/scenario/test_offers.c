/* Scenarios: offers are leases.  A reject or a timeout puts the
 * interaction back at its original place and excludes the agent for it;
 * a timeout also makes the agent not-responding until it goes ready. */
#include "scenario/harness.h"

/* Reject: back at the original place (ahead of a later arrival), the
 * rejecting agent excluded for it but given other work at once. */
static void reject_returns_to_original_place(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK); /* logged out for now */
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    sc_reject(s, 10, 1);
    SC_EXPECT(s, 3000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0},
              {SB_EV_IX_OFFERED, 2, 10});
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    assert_int_equal(q->queue, 1);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.arrived_at, 1000);
    assert_int_equal(ii.queued_at, 1000);
    assert_int_equal(ii.offers, 0);
    sc_at(s, 4000);
    sc_voice(s, 3, 1, 0);
    sb_explain x = sc_explain(s, 1);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.waiting, 2);
    assert_int_equal(x.excluded, 1);
    assert_int_equal(sc_explain(s, 3).position, 2);
    sc_at(s, 5000);
    sc_mark(s);
    sc_login_ready(s, 11);
    assert_int_equal(sc_offered(s, 1), 11);
    assert_int_equal(sc_offered(s, 3), 0);
}

/* The rejecting agent never gets it back, even as the only ready agent
 * and after finishing other work. */
static void rejecting_agent_is_excluded(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    sc_mark(s);
    sc_reject(s, 10, 1);
    SC_EXPECT(s, 2000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.avail_mask, 0x3f);
    /* other work still comes to it */
    sc_at(s, 3000);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_offered(s, 2), 10);
    sc_accept(s, 10, 2);
    sc_at(s, 4000);
    sc_end(s, 2);
    sc_not_ready(s, 10, 0);
    sc_ready(s, 10);
    sc_at(s, 1000000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 1, 0), 0);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    assert_int_equal(sc_explain(s, 1).excluded, 1);
    assert_int_equal(sc_explain(s, 1).eligible, 0);
}

/* Timeout at exactly offer_timeout_ms: timed_out, agent not responding,
 * the interaction back at its place; no offers until the agent is ready. */
static void timeout_at_exact_deadline(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 1, 10)->value, 11000);
    assert_int_equal(sb_core_next_deadline(s->c), 11000);
    sc_at(s, 5000);
    sc_voice(s, 2, 1, 0);
    sc_mark(s);
    sc_at(s, 10999);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    sc_at(s, 11000);
    SC_EXPECT(s, 11000, {SB_EV_IX_TIMED_OUT, 1, 10}, {SB_EV_AGENT_STATE, 0, 10},
              {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(sc_find(s, SB_EV_AGENT_STATE, 0, 10)->state, SB_AGENT_NOT_RESPONDING);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    sb_explain x = sc_explain(s, 1);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.excluded, 1);
    assert_int_equal(sc_explain(s, 2).position, 2);
    /* not responding: nothing is offered to it */
    sc_at(s, 20000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    /* another agent gets the timed-out one first (earlier arrival) */
    sc_mark(s);
    sc_login_ready(s, 11);
    assert_int_equal(sc_offered(s, 1), 11);
    /* ready again: offers resume */
    sc_at(s, 21000);
    sc_mark(s);
    sc_ready(s, 10);
    SC_EXPECT(s, 21000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 2, 10});
}

/* An agent that times out keeps its connected work, gets nothing new
 * even as capacity frees up, until it goes ready; the missed one is
 * never offered to it again. */
static void timeout_with_connected_work(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 1000);
    sc_arrive(s, 1, 1, SB_CH_CHAT, 0);
    sc_accept(s, 10, 1);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_offered(s, 2), 10);
    sc_at(s, 11000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 2, 10));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    sc_at(s, 12000);
    sc_arrive(s, 3, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 13000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 13000, {SB_EV_IX_COMPLETED, 1, 10});
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    sc_at(s, 14000);
    sc_mark(s);
    sc_ready(s, 10);
    SC_EXPECT(s, 14000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 3, 10});
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Accept after the timeout is refused, also once another agent has it. */
static void accept_after_timeout_is_refused(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 10000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 1, 10));
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 1), SB_ESTATE);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    sc_login_ready(s, 11);
    assert_int_equal(sc_offered(s, 1), 11);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
    sc_expect_none(s);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_OFFERED);
    assert_int_equal(ii.offers, 1);
    sc_accept(s, 11, 1);
    assert_int_equal(sc_ix_info(s, 1).agent, 11);
}

/* Accept or reject by an agent holding no offer for it: SB_ESTATE and no
 * change, whether the interaction is offered to another or queued. */
static void accept_without_offer_is_refused(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_offered(s, 2), 11);
    sc_voice(s, 3, 1, 0);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 11, 1), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 11, 1), SB_ESTATE);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 3), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 3), SB_ESTATE);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_accept(s, 10, 1);
    /* connected: a second accept by the same agent is refused too */
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
}

static void unknown_ids(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_voice(s, 1, 1, 0);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 99, 1), SB_ENOENT);
    assert_int_equal(sb_offer_reject(s->c, s->now, 99, 1), SB_ENOENT);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 999), SB_ENOENT);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 999), SB_ENOENT);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    sc_accept(s, 10, 1);
    sc_end(s, 1);
    /* completed interactions are gone */
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ENOENT);
}

SB_TEST_GROUP(scenario_offers, SC_TEST(reject_returns_to_original_place),
              SC_TEST(rejecting_agent_is_excluded), SC_TEST(timeout_at_exact_deadline),
              SC_TEST(timeout_with_connected_work), SC_TEST(accept_after_timeout_is_refused),
              SC_TEST(accept_without_offer_is_refused), SC_TEST(unknown_ids))
