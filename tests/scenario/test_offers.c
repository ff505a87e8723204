/* Scenarios: offers are leases.  A reject or a timeout puts the
 * interaction back at its original place and excludes the agent for it;
 * a timeout also makes the agent not-responding until it goes ready. */
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

/* The events since the mark are exactly these, in this order, all at t. */
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

static sb_explain explain(sc *s, sb_id ix) {
    sb_explain x;
    assert_int_equal(sb_interaction_explain(s->c, s->now, ix, &x), SB_OK);
    sc_collect(s);
    return x;
}

/* Reject: back at the original place (ahead of a later arrival), the
 * rejecting agent excluded for it but given other work at once. */
static void reject_returns_to_original_place(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK); /* logged out for now */
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_offer_reject(s->c, s->now, 10, 1));
    EXPECT(s, 3000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_OFFERED, 2, 10});
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    assert_int_equal(q->queue, 1);
    sb_ix_info ii;
    assert_int_equal(sb_interaction_info(s->c, 1, &ii), SB_OK);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.arrived_at, 1000);
    assert_int_equal(ii.queued_at, 1000);
    assert_int_equal(ii.offers, 0);
    sc_at(s, 4000);
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sb_explain x = explain(s, 1);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.waiting, 2);
    assert_int_equal(x.excluded, 1);
    assert_int_equal(explain(s, 3).position, 2);
    sc_at(s, 5000);
    sc_mark(s);
    assert_int_equal(sb_agent_login(s->c, s->now, 11), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 11));
    assert_int_equal(sc_offered(s, 1), 11);
    assert_int_equal(sc_offered(s, 3), 0);
}

/* The rejecting agent never gets it back, even as the only ready agent
 * and after finishing other work. */
static void rejecting_agent_is_excluded(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_offer_reject(s->c, s->now, 10, 1));
    EXPECT(s, 2000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    sb_agent_info ai;
    assert_int_equal(sb_agent_info_get(s->c, 10, &ai), SB_OK);
    assert_false(ai.busy);
    assert_int_equal(ai.avail_mask, 0x3f);
    /* other work still comes to it */
    sc_at(s, 3000);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 2));
    sc_at(s, 4000);
    OK(sb_interaction_end(s->c, s->now, 2));
    OK(sb_agent_not_ready(s->c, s->now, 10, 0));
    OK(sb_agent_ready(s->c, s->now, 10));
    sc_at(s, 1000000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 1, 0), 0);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    assert_int_equal(explain(s, 1).excluded, 1);
    assert_int_equal(explain(s, 1).eligible, 0);
}

/* Timeout at exactly offer_timeout_ms: timed_out, agent not responding,
 * the interaction back at its place; no offers until the agent is ready. */
static void timeout_at_exact_deadline(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 1, 10)->value, 11000);
    assert_int_equal(sb_core_next_deadline(s->c), 11000);
    sc_at(s, 5000);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    sc_at(s, 10999);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    sc_at(s, 11000);
    EXPECT(s, 11000, {SB_EV_IX_TIMED_OUT, 1, 10}, {SB_EV_AGENT_STATE, 0, 10},
           {SB_EV_IX_QUEUED, 1, 0});
    assert_int_equal(sc_find(s, SB_EV_AGENT_STATE, 0, 10)->state, SB_AGENT_NOT_RESPONDING);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    sb_explain x = explain(s, 1);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.excluded, 1);
    assert_int_equal(explain(s, 2).position, 2);
    /* not responding: nothing is offered to it */
    sc_at(s, 20000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    /* another agent gets the timed-out one first (earlier arrival) */
    sc_mark(s);
    assert_int_equal(sb_agent_login(s->c, s->now, 11), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 11));
    assert_int_equal(sc_offered(s, 1), 11);
    /* ready again: offers resume */
    sc_at(s, 21000);
    sc_mark(s);
    OK(sb_agent_ready(s->c, s->now, 10));
    EXPECT(s, 21000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 2, 10});
}

/* An agent that times out keeps its connected work, gets nothing new
 * even as capacity frees up, until it goes ready; the missed one is
 * never offered to it again. */
static void timeout_with_connected_work(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10);
    sc_at(s, 11000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 2, 10));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    sc_at(s, 12000);
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 13000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 1));
    EXPECT(s, 13000, {SB_EV_IX_COMPLETED, 1, 10});
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    sc_at(s, 14000);
    sc_mark(s);
    OK(sb_agent_ready(s->c, s->now, 10));
    EXPECT(s, 14000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 3, 10});
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Accept after the timeout is refused, also once another agent has it. */
static void accept_after_timeout_is_refused(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 10000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 1, 10));
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 1), SB_ESTATE);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    assert_int_equal(sb_agent_login(s->c, s->now, 11), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 11));
    assert_int_equal(sc_offered(s, 1), 11);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    sb_ix_info ii;
    assert_int_equal(sb_interaction_info(s->c, 1, &ii), SB_OK);
    assert_int_equal(ii.state, SB_IX_OFFERED);
    assert_int_equal(ii.offers, 1);
    OK(sb_offer_accept(s->c, s->now, 11, 1));
    assert_int_equal(sb_interaction_info(s->c, 1, &ii), SB_OK);
    assert_int_equal(ii.agent, 11);
}

/* Accept or reject by an agent holding no offer for it: SB_ESTATE and no
 * change, whether the interaction is offered to another or queued. */
static void accept_without_offer_is_refused(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 11);
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 11, 1), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 11, 1), SB_ESTATE);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 3), SB_ESTATE);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 3), SB_ESTATE);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_OFFERED);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    /* connected: a second accept by the same agent is refused too */
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ESTATE);
}

static void unknown_ids(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    assert_int_equal(sb_offer_accept(s->c, s->now, 99, 1), SB_ENOENT);
    assert_int_equal(sb_offer_reject(s->c, s->now, 99, 1), SB_ENOENT);
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 999), SB_ENOENT);
    assert_int_equal(sb_offer_reject(s->c, s->now, 10, 999), SB_ENOENT);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    OK(sb_interaction_end(s->c, s->now, 1));
    /* completed interactions are gone */
    assert_int_equal(sb_offer_accept(s->c, s->now, 10, 1), SB_ENOENT);
}

SB_TEST_GROUP(scenario_offers, TEST(reject_returns_to_original_place),
              TEST(rejecting_agent_is_excluded), TEST(timeout_at_exact_deadline),
              TEST(timeout_with_connected_work), TEST(accept_after_timeout_is_refused),
              TEST(accept_without_offer_is_refused), TEST(unknown_ids))
