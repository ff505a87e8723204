/* Scenarios: transfers (to a queue, keeping or not the arrival time; to
 * one agent, with and without a wait limit), abandon and cancel from
 * queued and offered, and the transitions that are refused. */
#include "scenario/harness.h"

/* A one-step queue (every member) with mandatory wrap-up. */
static void wrapup_queue(sc *s, sb_id id) {
    sb_queue_def d = sc_qdef_all();
    d.wrapup = SB_WRAPUP_MANDATORY;
    sc_queue_set(s, id, &d);
}

/* From connected: the agent is freed at once (no wrap-up, even in a
 * wrap-up queue) and takes its next work; the interaction lines up in
 * the new queue as a new arrival. */
static void transfer_connected_to_queue(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    wrapup_queue(s, 1);
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    sc_connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_at(s, 2000);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 5000);
    sc_mark(s);
    SC_OK(s, sb_interaction_transfer_queue(s->c, s->now, 1, 2, false));
    SC_EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0},
              {SB_EV_IX_OFFERED, 2, 10});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].queue, 2);
    assert_int_equal(e[0].queue2, 1);
    assert_int_equal(e[0].target, 0);
    assert_int_equal(e[0].value, 0);
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].reason, SB_REASON_TRANSFER);
    assert_int_equal(e[1].value, 5000);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.queue, 2);
    assert_int_equal(ii.agent, 0);
    assert_int_equal(ii.arrived_at, 5000);
    assert_int_equal(ii.queued_at, 5000);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.idle_since, 5000);
    assert_int_equal(ai.count[SB_CH_VOICE], 1); /* the new offer only */
    sc_at(s, 6000);
    sc_login_ready(s, 20);
    assert_int_equal(sc_offered(s, 1), 20);
}

/* A: queued in 1 since 1000; B queued in 2 at 2000, C at 6000.  A moves
 * to 2 at 5000.  keep_arrival: A first; else between B and C. */
static void transfer_queued(bool keep) {
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 2000);
    sc_voice(s, 2, 2, 0);
    sc_at(s, 5000);
    sc_mark(s);
    SC_OK(s, sb_interaction_transfer_queue(s->c, s->now, 1, 2, keep));
    SC_EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 0}, {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(s->log[s->mark].agent, 0);
    assert_int_equal(s->log[s->mark].value, keep);
    assert_int_equal(s->log[s->mark + 1].value, keep ? 1000 : 5000);
    sc_at(s, 6000);
    sc_voice(s, 3, 2, 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 2), 3);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.arrived_at, keep ? 1000 : 5000);
    assert_int_equal(ii.queued_at, 5000);
    assert_int_equal(sc_explain(s, 1).position, keep ? 1 : 2);
    assert_int_equal(sc_explain(s, 2).position, keep ? 2 : 1);
    assert_int_equal(sc_explain(s, 3).position, 3);
    /* the agent takes them in that order */
    sc_at(s, 7000);
    sc_login_ready(s, 20);
    sb_id first = keep ? 1 : 2, second = keep ? 2 : 1;
    assert_int_equal(sc_offered(s, first), 20);
    sc_accept(s, 20, first);
    sc_end(s, first);
    assert_int_equal(sc_offered(s, second), 20);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
}

static void transfer_queued_keep_arrival(void **state) {
    (void)state;
    transfer_queued(true);
}

static void transfer_queued_new_arrival(void **state) {
    (void)state;
    transfer_queued(false);
}

/* Queues 1 (A=10, C=30) and 2 (P=20).  An interaction connected to A is
 * transferred to P, who serves another queue and is not ready. */
static sc *agent_transfer_scene(int64_t wait_ms) {
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_agent(s, 30, "queues=1");
    sc_agent_nr(s, 20, "queues=2");
    sc_at(s, 1000);
    sc_connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_at(s, 5000);
    sc_mark(s);
    SC_OK(s, sb_interaction_transfer_agent(s->c, s->now, 1, 20, wait_ms));
    SC_EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 10}, {SB_EV_IX_PREFERRED, 1, 0},
              {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].target, 20);
    assert_int_equal(e[0].queue, 1);
    assert_int_equal(e[1].target, 20);
    assert_int_equal(e[1].value, wait_ms ? 5000 + wait_ms : 0);
    assert_int_equal(e[2].reason, SB_REASON_TRANSFER);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.agent, 0);
    assert_false(sc_agent_info(s, 10).busy);
    sb_explain x = sc_explain(s, 1);
    assert_int_equal(x.preferred_agent, 20);
    assert_int_equal(x.preferred_until, wait_ms ? 5000 + wait_ms : 0);
    assert_int_equal(x.available, 2); /* A and C are free, yet it waits for P */
    return s;
}

static void transfer_to_agent_waits_for_it(void **state) {
    (void)state;
    sc *s = agent_transfer_scene(20000);
    sc_at(s, 10000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 1, 0), 0);
    sc_mark(s);
    sc_ready(s, 20);
    SC_EXPECT(s, 10000, {SB_EV_AGENT_STATE, 0, 20}, {SB_EV_IX_OFFERED, 1, 20});
    sc_accept(s, 20, 1);
    assert_int_equal(sc_ix_info(s, 1).agent, 20);
    assert_int_equal(sc_ix_info(s, 1).queue, 1);
}

/* At exactly the wait limit it routes normally in its queue (to C, idle
 * longer than A, who was freed by the transfer). */
static void transfer_to_agent_wait_expires(void **state) {
    (void)state;
    sc *s = agent_transfer_scene(20000);
    assert_int_equal(sb_core_next_deadline(s->c), 25000);
    sc_at(s, 24999);
    assert_int_equal(s->nlog, s->mark + 3);
    sc_mark(s);
    sc_at(s, 25000);
    SC_EXPECT(s, 25000, {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_OFFERED, 1, 30});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_PREFERRED_EXPIRED);
    assert_int_equal(s->log[s->mark].queue, 1);
    /* P going ready later no longer matters */
    sc_reject(s, 30, 1);
    assert_int_equal(sc_offered(s, 1), 10);
}

static void transfer_to_agent_without_limit(void **state) {
    (void)state;
    sc *s = agent_transfer_scene(0);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 10000000);
    assert_int_equal(s->nlog, s->mark + 3);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
}

/* To a logged-out agent: refused, nothing changes. */
static void transfer_to_logged_out_agent(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_int_equal(sc_agent_spec(s, 20, "queues=1"), SB_OK);
    sc_connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_mark(s);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 1, 20, 0), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 1, 99, 0), SB_ENOENT);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 9, 10, 0), SB_ENOENT);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    assert_int_equal(sc_ix_info(s, 1).agent, 10);
}

/* The target queue's rules apply to a transfer: closed or full refuses,
 * and the interaction stays where it was. */
static void transfer_refused_by_target_queue(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sb_queue_def d = sc_qdef_all();
    d.max_length = 1;
    sc_queue_set(s, 2, &d);
    sc_queue(s, 3, "");
    SC_OK(s, sb_queue_set_open(s->c, s->now, 3, false));
    sc_agent(s, 10, "queues=1");
    sc_connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_voice(s, 2, 2, 0);
    sc_mark(s);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 2, true), SB_EFULL);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 3, true), SB_ECLOSED);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 9, true), SB_ENOENT);
    sc_expect_none(s);
    assert_int_equal(sc_ix_info(s, 1).agent, 10);
    assert_int_equal(sc_ix_info(s, 1).state, SB_IX_CONNECTED);
    /* moving the one waiting in 2 back into 2 is not blocked by itself */
    SC_OK(s, sb_interaction_transfer_queue(s->c, s->now, 2, 2, false));
}

static void abandon_and_cancel_from_queued(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    sc_at(s, 2000);
    sc_mark(s);
    SC_OK(s, sb_interaction_abandon(s->c, s->now, 1));
    SC_EXPECT(s, 2000, {SB_EV_IX_ABANDONED, 1, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sc_ix_state(s, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    sc_mark(s);
    SC_OK(s, sb_interaction_cancel(s->c, s->now, 2));
    SC_EXPECT(s, 2000, {SB_EV_IX_CANCELED, 2, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
    assert_int_equal(sb_interaction_abandon(s->c, s->now, 1), SB_ENOENT);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, 2), SB_ENOENT);
}

/* From offered (broadcast to two): both offers withdrawn, both agents
 * freed, their leases gone (no timeout later). */
static void abandon_from_offered(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue_broadcast(s, 1, 2);
    sc_agent(s, 10, "queues=1");
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 1, 0), 2);
    assert_int_equal(sc_ix_info(s, 1).offers, 2);
    sc_at(s, 2000);
    sc_mark(s);
    SC_OK(s, sb_interaction_abandon(s->c, s->now, 1));
    SC_EXPECT(s, 2000, {SB_EV_IX_WITHDRAWN, 1, 0}, {SB_EV_IX_WITHDRAWN, 1, 0},
              {SB_EV_IX_ABANDONED, 1, 0});
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 1, 10), 1);
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 1, 11), 1);
    assert_false(sc_agent_info(s, 10).busy);
    assert_false(sc_agent_info(s, 11).busy);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 20000);
    assert_int_equal(sc_count(s, SB_EV_IX_TIMED_OUT, 0, 0), 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_agent_state(s, 11), SB_AGENT_READY);
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 2, 0), 2);
}

/* Cancel from offered: the freed agent is offered the next work at once. */
static void cancel_from_offered(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_voice(s, 2, 1, 0);
    sc_at(s, 2000);
    sc_mark(s);
    SC_OK(s, sb_interaction_cancel(s->c, s->now, 1));
    SC_EXPECT(s, 2000, {SB_EV_IX_WITHDRAWN, 1, 10}, {SB_EV_IX_CANCELED, 1, 0},
              {SB_EV_IX_OFFERED, 2, 10});
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 2, 10)->value, 12000);
    assert_int_equal(sb_core_next_deadline(s->c), 12000);
}

/* Interactions 1 to 4 are in wrap-up, connected, offered and queued. */
static void assert_one_in_each_state(const sc *s) {
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_CONNECTED);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
}

/* Every refused transition returns SB_ESTATE and changes nothing. */
static void invalid_transitions(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    wrapup_queue(s, 1);
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    sc_agent(s, 11, "queues=1");
    sc_agent(s, 12, "queues=1");
    /* 1 wrap-up (agent 10), 2 connected (11), 3 offered (12), 4 queued */
    for (sb_id id = 1; id <= 4; id++)
        sc_voice(s, id, 1, 0);
    sc_accept(s, 10, 1);
    sc_accept(s, 11, 2);
    sc_end(s, 1);
    assert_one_in_each_state(s);
    sc_mark(s);
    /* queued */
    assert_int_equal(sb_interaction_end(s->c, s->now, 4), SB_ESTATE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 4, 1), SB_ESTATE);
    /* offered */
    assert_int_equal(sb_interaction_end(s->c, s->now, 3), SB_ESTATE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 3, 1), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 3, 2, true), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 3, 10, 0), SB_ESTATE);
    /* connected */
    assert_int_equal(sb_interaction_abandon(s->c, s->now, 2), SB_ESTATE);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, 2), SB_ESTATE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 2, 1), SB_ESTATE);
    /* wrap-up */
    assert_int_equal(sb_interaction_abandon(s->c, s->now, 1), SB_ESTATE);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, 1), SB_ESTATE);
    assert_int_equal(sb_interaction_end(s->c, s->now, 1), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 2, true), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 1, 12, 0), SB_ESTATE);
    /* unknown */
    assert_int_equal(sb_interaction_end(s->c, s->now, 99), SB_ENOENT);
    assert_int_equal(sb_interaction_abandon(s->c, s->now, 99), SB_ENOENT);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, 99), SB_ENOENT);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 99, 1), SB_ENOENT);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 99, 2, true), SB_ENOENT);
    sc_expect_none(s);
    assert_one_in_each_state(s);
}

SB_TEST_GROUP(scenario_transfer, SC_TEST(transfer_connected_to_queue),
              SC_TEST(transfer_queued_keep_arrival), SC_TEST(transfer_queued_new_arrival),
              SC_TEST(transfer_to_agent_waits_for_it), SC_TEST(transfer_to_agent_wait_expires),
              SC_TEST(transfer_to_agent_without_limit), SC_TEST(transfer_to_logged_out_agent),
              SC_TEST(transfer_refused_by_target_queue), SC_TEST(abandon_and_cancel_from_queued),
              SC_TEST(abandon_from_offered), SC_TEST(cancel_from_offered),
              SC_TEST(invalid_transitions))
