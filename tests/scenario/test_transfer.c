/* Scenarios: transfers (to a queue, keeping or not the arrival time; to
 * one agent, with and without a wait limit), abandon and cancel from
 * queued and offered, and the transitions that are refused. */
#include <stdio.h>

#include "base/status.h"
#include "scenario/harness.h"
#include "unit/test.h"

#define OK(call)                                                                                   \
    do {                                                                                           \
        assert_int_equal((call), SB_OK);                                                           \
        sc_collect(s);                                                                             \
    } while (0)

/* The scenario of the running test, freed by the teardown even when the
 * test fails half-way. */
static sc *live_sc;
static sc *fresh(uint64_t seed) {
    assert_null(live_sc);
    return live_sc = sc_new(seed);
}
static int cleanup(void **state) {
    (void)state;
    if (live_sc) sc_free(live_sc);
    live_sc = NULL;
    return 0;
}
#define TEST(f) cmocka_unit_test_teardown(f, cleanup)

typedef struct exp_ev {
    int type;
    sb_id ix, agent; /* 0 = any */
} exp_ev;

static void expect(const sc *s, int64_t t, const exp_ev *e, uint32_t n) {
    uint32_t got = s->nlog - s->mark;
    bool ok = got == n;
    for (uint32_t i = 0; ok && i < n; i++) {
        const sb_event *x = &s->log[s->mark + i];
        ok = x->type == e[i].type && (!e[i].ix || x->ix == e[i].ix) &&
             (!e[i].agent || x->agent == e[i].agent) && x->at == t;
    }
    if (!ok) {
        char buf[256];
        for (uint32_t i = s->mark; i < s->nlog; i++) {
            sb_event_format(&s->log[i], buf, sizeof(buf));
            fprintf(stderr, "  %s\n", buf);
        }
        fail_msg("unexpected events (%u, wanted %u)", got, n);
    }
}
#define EXPECT(s, t, ...)                                                                          \
    do {                                                                                           \
        const exp_ev e_[] = {__VA_ARGS__};                                                         \
        expect((s), (t), e_, (uint32_t)(sizeof(e_) / sizeof(e_[0])));                              \
    } while (0)

static sb_ix_info ixinfo(sc *s, sb_id ix) {
    sb_ix_info ii;
    assert_int_equal(sb_interaction_info(s->c, ix, &ii), SB_OK);
    return ii;
}

static sb_agent_info info(sc *s, sb_id agent) {
    sb_agent_info ai;
    assert_int_equal(sb_agent_info_get(s->c, agent, &ai), SB_OK);
    return ai;
}

static sb_explain explain(sc *s, sb_id ix) {
    sb_explain x;
    assert_int_equal(sb_interaction_explain(s->c, s->now, ix, &x), SB_OK);
    sc_collect(s);
    return x;
}

static void ready(sc *s, sb_id agent) {
    assert_int_equal(sb_agent_login(s->c, s->now, agent), SB_OK);
    assert_int_equal(sb_agent_ready(s->c, s->now, agent), SB_OK);
    sc_collect(s);
}

/* From connected: the agent is freed at once (no wrap-up, even in a
 * wrap-up queue) and takes its next work; the interaction lines up in
 * the new queue as a new arrival. */
static void transfer_connected_to_queue(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.wrapup = SB_WRAPUP_MANDATORY;
    assert_int_equal(sb_queue_set(s->c, s->now, 1, &d, NULL, NULL), SB_OK);
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    sc_at(s, 2000);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 5000);
    sc_mark(s);
    OK(sb_interaction_transfer_queue(s->c, s->now, 1, 2, false));
    EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0},
           {SB_EV_IX_OFFERED, 2, 10});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].queue, 2);
    assert_int_equal(e[0].queue2, 1);
    assert_int_equal(e[0].target, 0);
    assert_int_equal(e[0].value, 0);
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].reason, SB_REASON_TRANSFER);
    assert_int_equal(e[1].value, 5000);
    sb_ix_info ii = ixinfo(s, 1);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.queue, 2);
    assert_int_equal(ii.agent, 0);
    assert_int_equal(ii.arrived_at, 5000);
    assert_int_equal(ii.queued_at, 5000);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.idle_since, 5000);
    assert_int_equal(ai.count[SB_CH_VOICE], 1); /* the new offer only */
    sc_at(s, 6000);
    ready(s, 20);
    assert_int_equal(sc_offered(s, 1), 20);
}

/* A: queued in 1 since 1000; B queued in 2 at 2000, C at 6000.  A moves
 * to 2 at 5000.  keep_arrival: A first; else between B and C. */
static void transfer_queued(bool keep) {
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 2000);
    assert_int_equal(sc_ix(s, 2, 2, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 5000);
    sc_mark(s);
    OK(sb_interaction_transfer_queue(s->c, s->now, 1, 2, keep));
    EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 0}, {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(s->log[s->mark].agent, 0);
    assert_int_equal(s->log[s->mark].value, keep);
    assert_int_equal(s->log[s->mark + 1].value, keep ? 1000 : 5000);
    sc_at(s, 6000);
    assert_int_equal(sc_ix(s, 3, 2, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 2), 3);
    sb_ix_info ii = ixinfo(s, 1);
    assert_int_equal(ii.arrived_at, keep ? 1000 : 5000);
    assert_int_equal(ii.queued_at, 5000);
    assert_int_equal(explain(s, 1).position, keep ? 1 : 2);
    assert_int_equal(explain(s, 2).position, keep ? 2 : 1);
    assert_int_equal(explain(s, 3).position, 3);
    /* the agent takes them in that order */
    sc_at(s, 7000);
    ready(s, 20);
    sb_id first = keep ? 1 : 2, second = keep ? 2 : 1;
    assert_int_equal(sc_offered(s, first), 20);
    OK(sb_offer_accept(s->c, s->now, 20, first));
    OK(sb_interaction_end(s->c, s->now, first));
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
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_agent(s, 30, "queues=1");
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    assert_int_equal(sb_agent_login(s->c, s->now, 20), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    sc_at(s, 5000);
    sc_mark(s);
    OK(sb_interaction_transfer_agent(s->c, s->now, 1, 20, wait_ms));
    EXPECT(s, 5000, {SB_EV_IX_TRANSFERRED, 1, 10}, {SB_EV_IX_PREFERRED, 1, 0},
           {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].target, 20);
    assert_int_equal(e[0].queue, 1);
    assert_int_equal(e[1].target, 20);
    assert_int_equal(e[1].value, wait_ms ? 5000 + wait_ms : 0);
    assert_int_equal(e[2].reason, SB_REASON_TRANSFER);
    sb_ix_info ii = ixinfo(s, 1);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.agent, 0);
    assert_false(info(s, 10).busy);
    sb_explain x = explain(s, 1);
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
    OK(sb_agent_ready(s->c, s->now, 20));
    EXPECT(s, 10000, {SB_EV_AGENT_STATE, 0, 20}, {SB_EV_IX_OFFERED, 1, 20});
    OK(sb_offer_accept(s->c, s->now, 20, 1));
    assert_int_equal(ixinfo(s, 1).agent, 20);
    assert_int_equal(ixinfo(s, 1).queue, 1);
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
    EXPECT(s, 25000, {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_OFFERED, 1, 30});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_PREFERRED_EXPIRED);
    assert_int_equal(s->log[s->mark].queue, 1);
    /* P going ready later no longer matters */
    OK(sb_offer_reject(s->c, s->now, 30, 1));
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
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 20, "queues=1"), SB_OK);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    sc_mark(s);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 1, 20, 0), SB_ESTATE);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 1, 99, 0), SB_ENOENT);
    assert_int_equal(sb_interaction_transfer_agent(s->c, s->now, 9, 10, 0), SB_ENOENT);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    sb_ix_info ii = ixinfo(s, 1);
    assert_int_equal(ii.state, SB_IX_CONNECTED);
    assert_int_equal(ii.agent, 10);
}

/* The target queue's rules apply to a transfer: closed or full refuses,
 * and the interaction stays where it was. */
static void transfer_refused_by_target_queue(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.max_length = 1;
    assert_int_equal(sb_queue_set(s->c, s->now, 2, &d, NULL, NULL), SB_OK);
    sc_queue(s, 3, "");
    OK(sb_queue_set_open(s->c, s->now, 3, false));
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    assert_int_equal(sc_ix(s, 2, 2, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 2, true), SB_EFULL);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 3, true), SB_ECLOSED);
    assert_int_equal(sb_interaction_transfer_queue(s->c, s->now, 1, 9, true), SB_ENOENT);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(ixinfo(s, 1).agent, 10);
    assert_int_equal(ixinfo(s, 1).state, SB_IX_CONNECTED);
    /* moving the one waiting in 2 back into 2 is not blocked by itself */
    OK(sb_interaction_transfer_queue(s->c, s->now, 2, 2, false));
}

static void abandon_and_cancel_from_queued(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_abandon(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_IX_ABANDONED, 1, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sc_ix_state(s, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    sc_mark(s);
    OK(sb_interaction_cancel(s->c, s->now, 2));
    EXPECT(s, 2000, {SB_EV_IX_CANCELED, 2, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
    assert_int_equal(sb_interaction_abandon(s->c, s->now, 1), SB_ENOENT);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, 2), SB_ENOENT);
}

/* From offered (broadcast to two): both offers withdrawn, both agents
 * freed, their leases gone (no timeout later). */
static void abandon_from_offered(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.selection = SB_SEL_BROADCAST;
    d.broadcast_n = 2;
    assert_int_equal(sb_queue_set(s->c, s->now, 1, &d, NULL, NULL), SB_OK);
    sc_agent(s, 10, "queues=1");
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 1, 0), 2);
    assert_int_equal(ixinfo(s, 1).offers, 2);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_abandon(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_IX_WITHDRAWN, 1, 0}, {SB_EV_IX_WITHDRAWN, 1, 0},
           {SB_EV_IX_ABANDONED, 1, 0});
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 1, 10), 1);
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 1, 11), 1);
    assert_false(info(s, 10).busy);
    assert_false(info(s, 11).busy);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 20000);
    assert_int_equal(sc_count(s, SB_EV_IX_TIMED_OUT, 0, 0), 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_agent_state(s, 11), SB_AGENT_READY);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 2, 0), 2);
}

/* Cancel from offered: the freed agent is offered the next work at once. */
static void cancel_from_offered(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_cancel(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_IX_WITHDRAWN, 1, 10}, {SB_EV_IX_CANCELED, 1, 0},
           {SB_EV_IX_OFFERED, 2, 10});
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 2, 10)->value, 12000);
    assert_int_equal(sb_core_next_deadline(s->c), 12000);
}

/* Every refused transition returns SB_ESTATE and changes nothing. */
static void invalid_transitions(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.wrapup = SB_WRAPUP_MANDATORY;
    assert_int_equal(sb_queue_set(s->c, s->now, 1, &d, NULL, NULL), SB_OK);
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    sc_agent(s, 11, "queues=1");
    sc_agent(s, 12, "queues=1");
    /* 1 wrap-up (agent 10), 2 connected (11), 3 offered (12), 4 queued */
    for (sb_id id = 1; id <= 4; id++)
        assert_int_equal(sc_ix(s, id, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    OK(sb_offer_accept(s->c, s->now, 11, 2));
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_CONNECTED);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
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
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_CONNECTED);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
}

SB_TEST_GROUP(scenario_transfer, TEST(transfer_connected_to_queue),
              TEST(transfer_queued_keep_arrival), TEST(transfer_queued_new_arrival),
              TEST(transfer_to_agent_waits_for_it), TEST(transfer_to_agent_wait_expires),
              TEST(transfer_to_agent_without_limit), TEST(transfer_to_logged_out_agent),
              TEST(transfer_refused_by_target_queue), TEST(abandon_and_cancel_from_queued),
              TEST(abandon_from_offered), TEST(cancel_from_offered), TEST(invalid_transitions))
