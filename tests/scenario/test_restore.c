/* Scenarios: restoring work after a restart (sb_interaction_restore).
 * Connected and wrap-up interactions go straight onto their agent, with
 * the capacity they cost and without an offer, and then behave exactly
 * like offered and accepted ones: end, wrap-up (by code or by timeout),
 * transfers, logout refusal, capacity blocking, the customer's last agent.
 * Refusals leave no trace. */
#include <string.h>

#include "scenario/harness.h"

/* Restore interaction id (no attributes, priority 0) in queue q onto
 * agent in state st; returns the core's status and logs the events. */
static int restore(sc *s, sb_id id, sb_id q, int ch, int st, sb_id agent, int64_t arrived_at,
                   int64_t deadline) {
    sb_interaction_def d = {.id = id, .queue = q, .channel = (uint8_t)ch, .arrived_at = arrived_at};
    int rc = sb_interaction_restore(s->c, s->now, &d, (uint8_t)st, agent, deadline);
    sc_collect(s);
    return rc;
}

/* Queue 1 (every member, the given wrap-up mode and timeout) and agent 10
 * ready in it; the clock at 5000, as if the process had just started. */
static sc *scene(int wrapup, int64_t timeout_ms) {
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.wrapup = (uint8_t)wrapup;
    d.wrapup_timeout_ms = timeout_ms;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 5000);
    return s;
}

/* Restored connected: created and accepted, nothing offered or queued;
 * the original arrival is kept; the agent holds the capacity and its
 * state; logout is refused; end completes it and frees the agent. */
static void connected_then_end(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_NONE, 0);
    sc_mark(s);
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_CONNECTED, 10, 1234, 0), SB_OK);
    SC_EXPECT(s, 5000, {SB_EV_IX_CREATED, 1, 0}, {SB_EV_IX_ACCEPTED, 1, 10});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e->queue, 1);
    assert_int_equal(e->channel, SB_CH_VOICE);
    assert_int_equal(e->value, 1234);
    assert_int_equal(s->log[s->mark + 1].queue, 1);

    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_CONNECTED);
    assert_int_equal(ii.agent, 10);
    assert_int_equal(ii.queue, 1);
    assert_int_equal(ii.channel, SB_CH_VOICE);
    assert_int_equal(ii.arrived_at, 1234);
    assert_int_equal(ii.offers, 0);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_true(ai.busy);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.units_used, 100);
    assert_int_equal(ai.avail_mask, 0);
    assert_int_equal(ai.state_since, 0); /* the state was left alone */
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.interactions, 1);
    assert_int_equal(st.waiting, 0);
    assert_int_equal(st.offers, 0);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);

    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_ESTATE);

    sc_at(s, 9000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 9000, {SB_EV_IX_COMPLETED, 1, 10});
    assert_int_equal(sc_ix_state(s, 1), 0);
    ai = sc_agent_info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.units_used, 0);
    assert_int_equal(ai.avail_mask, 0x3f);
    assert_int_equal(ai.idle_since, 9000);
    sc_logout(s, 10);
}

/* Ending a restored connected interaction follows the queue's wrap-up
 * mode, as for an accepted one. */
static void connected_then_end_with_wrapup(void **state) {
    (void)state;
    /* optional: wrap-up, a code is optional */
    sc *s = scene(SB_WRAPUP_OPTIONAL, 0);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_OK);
    assert_int_equal(sc_ix_info(s, 1).arrived_at, 5000); /* 0: now */
    sc_at(s, 6000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 6000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    assert_int_equal(s->log[s->mark + 1].value, 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    assert_int_equal(sc_ix_info(s, 1).state, SB_IX_WRAP_UP);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    sc_at(s, 7000);
    sc_mark(s);
    sc_wrapup_done(s, 1, 0);
    SC_EXPECT(s, 7000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    sc_free(s);

    /* mandatory with timeout: the deadline runs from the end */
    s = scene(SB_WRAPUP_MANDATORY_TIMEOUT, 30000);
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_CONNECTED, 10, 100, 0), SB_OK);
    sc_at(s, 8000);
    sc_end(s, 1);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 38000);
    assert_int_equal(sb_core_next_deadline(s->c), 38000);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_mark(s);
    sc_at(s, 38000);
    SC_EXPECT(s, 38000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_WRAPUP_TIMEOUT);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
}

/* A restored call holds the agent's capacity: queued voice and chat go to
 * another agent or wait, although agent 10 has been idle longest; the
 * call's end frees it and the waiting chat is offered at once. */
static void capacity_taken(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_NONE, 0);
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_CONNECTED, 10, 0, 0), SB_OK);
    sc_at(s, 6000);
    sc_agent(s, 11, "queues=1");
    sc_mark(s);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_offered(s, 2), 11);
    sc_accept(s, 11, 2);
    sc_arrive(s, 3, 1, SB_CH_CHAT, 0);
    sc_arrive(s, 4, 1, SB_CH_VOICE, 0);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 10), 0);
    sb_explain ex = sc_explain(s, 3);
    assert_int_equal(ex.blocked_by_capacity, 2);
    assert_int_equal(ex.available, 0);

    sc_at(s, 7000);
    sc_mark(s);
    sc_end(s, 1);
    SC_EXPECT(s, 7000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_IX_OFFERED, 3, 10});
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED); /* one chat leaves no room for a call */
}

/* A restored chat costs its units and leaves room for three more. */
static void restored_chat_leaves_room(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_NONE, 0);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_OK);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.units_used, 25);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    for (sb_id id = 2; id <= 5; id++)
        sc_arrive(s, id, 1, SB_CH_CHAT, 0);
    for (sb_id id = 2; id <= 4; id++)
        assert_int_equal(sc_offered(s, id), 10);
    assert_int_equal(sc_ix_state(s, 5), SB_IX_QUEUED);
    assert_int_equal(sc_agent_info(s, 10).units_used, 100);
}

/* Restored in wrap-up (mandatory with timeout): the agent goes into
 * wrap-up, the given deadline is armed and completes it by
 * sb_core_advance; the agent then returns to ready and takes the work
 * that waited. */
static void wrapup_deadline_fires(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_MANDATORY_TIMEOUT, 30000);
    sc_mark(s);
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_WRAP_UP, 10, 2000, 7000), SB_OK);
    SC_EXPECT(s, 5000, {SB_EV_IX_CREATED, 1, 0}, {SB_EV_IX_ACCEPTED, 1, 10},
              {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    assert_int_equal(s->log[s->mark + 2].state, SB_AGENT_WRAP_UP);
    assert_int_equal(s->log[s->mark + 3].value, 7000);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_WRAP_UP);
    assert_int_equal(ii.agent, 10);
    assert_int_equal(ii.arrived_at, 2000);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(sb_core_next_deadline(s->c), 7000);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_interaction_end(s->c, s->now, 1), SB_ESTATE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);

    sc_at(s, 6000);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_mark(s);
    sb_core_advance(s->c, 6999);
    sc_collect(s);
    sc_expect_none(s);
    sb_core_advance(s->c, 7000);
    sc_collect(s);
    SC_EXPECT(s, 7000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10},
              {SB_EV_IX_OFFERED, 2, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_WRAPUP_TIMEOUT);
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

/* Deadline 0 in mandatory_timeout: now + the queue's timeout.  A deadline
 * that passed while the process was down fires at the next advance.  In
 * other modes there is no timer and a code completes it. */
static void wrapup_deadline_default_and_past(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_MANDATORY_TIMEOUT, 30000);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_WRAP_UP, 10, 0, 0), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 35000);
    assert_int_equal(sb_core_next_deadline(s->c), 35000);
    /* a second one on the same agent, overdue */
    assert_int_equal(restore(s, 2, 1, SB_CH_CHAT, SB_IX_WRAP_UP, 10, 0, 3000), SB_OK);
    assert_int_equal(sb_core_next_deadline(s->c), 3000);
    assert_int_equal(sc_agent_info(s, 10).count[SB_CH_CHAT], 2);
    sc_mark(s);
    sc_at(s, 5001);
    SC_EXPECT(s, 5000, {SB_EV_IX_COMPLETED, 2, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_WRAPUP_TIMEOUT);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP); /* 1 still in wrap-up */
    sc_mark(s);
    sc_wrapup_done(s, 1, 4);
    SC_EXPECT(s, 5001, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].code, 4);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_free(s);

    s = scene(SB_WRAPUP_MANDATORY, 0);
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_WRAP_UP, 10, 0, 9000), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 0);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_wrapup_done(s, 1, 3);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
}

/* The agent's state is kept: a not-ready agent stays so with its reason
 * while connected, and returns to it after a restored wrap-up. */
static void agent_state_kept(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_OPTIONAL, 0);
    sc_not_ready(s, 10, 7);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_OK);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 7);
    assert_int_equal(restore(s, 2, 1, SB_CH_CHAT, SB_IX_WRAP_UP, 10, 0, 0), SB_OK);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    sc_at(s, 6000);
    sc_mark(s);
    sc_wrapup_done(s, 2, 0);
    SC_EXPECT(s, 6000, {SB_EV_IX_COMPLETED, 2, 10}, {SB_EV_AGENT_STATE, 0, 10});
    ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 7);
    assert_int_equal(ai.count[SB_CH_CHAT], 1); /* the connected chat */
}

/* A restored connected interaction transfers like an accepted one: the
 * agent is released (and re-matched), keep_arrival keeps the original
 * arrival. */
static void transfer_after_restore(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_OPTIONAL, 0);
    sc_queue(s, 2, "");
    sc_agent(s, 11, "queues=2");
    assert_int_equal(restore(s, 1, 1, SB_CH_VOICE, SB_IX_CONNECTED, 10, 1500, 0), SB_OK);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 6000);
    sc_mark(s);
    SC_OK(s, sb_interaction_transfer_queue(s->c, s->now, 1, 2, true));
    SC_EXPECT(s, 6000, {SB_EV_IX_TRANSFERRED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0},
              {SB_EV_IX_OFFERED, 1, 11}, {SB_EV_IX_OFFERED, 2, 10});
    assert_int_equal(sc_ix_info(s, 1).arrived_at, 1500);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY); /* no wrap-up */
}

/* The customer's last agent is the restored one, as after an accept. */
static void last_agent_after_restore(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.last_agent_ms = 30000;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1"); /* less idle: not the longest-idle pick */
    sc_at(s, 5000);
    sb_interaction_def ix = {
        .id = 1, .queue = 1, .channel = SB_CH_CHAT, .customer = sb_core_sym(s->c, "ann")};
    SC_OK(s, sb_interaction_restore(s->c, s->now, &ix, SB_IX_CONNECTED, 11, 0));
    sc_end(s, 1);
    ix.id = 2;
    sc_mark(s);
    assert_int_equal(sc_ix_def(s, &ix), SB_OK);
    sc_collect(s);
    assert_non_null(sc_find(s, SB_EV_IX_PREFERRED, 2, 0));
    assert_int_equal(sc_offered(s, 2), 11);
}

/* Refusals: each leaves no event, no interaction and no capacity taken. */
static void errors(void **state) {
    (void)state;
    sc *s = scene(SB_WRAPUP_NONE, 0);
    assert_int_equal(sc_agent_spec(s, 12, "queues=1"), SB_OK); /* logged out */
    sc_voice(s, 5, 1, 0); /* live and queued: offered to agent 10 */
    sc_at(s, 6000);
    sc_mark(s);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 12, 0, 0), SB_ESTATE);
    assert_int_equal(restore(s, 1, 9, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_ENOENT);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 99, 0, 0), SB_ENOENT);
    assert_int_equal(restore(s, 5, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_EEXIST);
    assert_int_equal(restore(s, 0, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_EINVAL);
    assert_int_equal(restore(s, 1, 1, SB_CH_COUNT, SB_IX_CONNECTED, 10, 0, 0), SB_EINVAL);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_WRAP_UP, 10, 0, -1), SB_EINVAL);
    const int bad[] = {0,
                       SB_IX_QUEUED,
                       SB_IX_OFFERED,
                       SB_IX_COMPLETED,
                       SB_IX_ABANDONED,
                       SB_IX_CANCELED,
                       SB_IX_ENDED,
                       99};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, bad[i], 10, 0, 0), SB_EINVAL);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), 0);
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.interactions, 1);
    assert_int_equal(sc_agent_info(s, 12).units_used, 0);
    assert_int_equal(sc_agent_info(s, 10).count[SB_CH_CHAT], 0);
    /* A restored id is live too.  Capacity is taken, not checked: the
     * work exists, so agent 10 (holding the voice offer) takes the chat
     * over its capacity and is offered nothing more. */
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_OK);
    assert_int_equal(restore(s, 1, 1, SB_CH_CHAT, SB_IX_CONNECTED, 10, 0, 0), SB_EEXIST);
    assert_int_equal(sc_ix_def(s, &(sb_interaction_def){.id = 1, .queue = 1}), SB_EEXIST);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.avail_mask, 0);
}

SB_TEST_GROUP(scenario_restore, SC_TEST(connected_then_end),
              SC_TEST(connected_then_end_with_wrapup), SC_TEST(capacity_taken),
              SC_TEST(restored_chat_leaves_room), SC_TEST(wrapup_deadline_fires),
              SC_TEST(wrapup_deadline_default_and_past), SC_TEST(agent_state_kept),
              SC_TEST(transfer_after_restore), SC_TEST(last_agent_after_restore), SC_TEST(errors))
