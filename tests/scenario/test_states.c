/* Scenarios: agent states and wrap-up modes.  Login, ready, not-ready
 * with a reason, logout (withdrawing offers; refused while holding work),
 * wrap-up none / optional / mandatory / mandatory with timeout, and the
 * state requested during wrap-up taking effect when it ends. */
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

static sb_agent_info info(sc *s, sb_id agent) {
    sb_agent_info ai;
    assert_int_equal(sb_agent_info_get(s->c, agent, &ai), SB_OK);
    return ai;
}

/* A queue with one empty step and the given wrap-up mode. */
static void wq(sc *s, sb_id id, int mode, int64_t timeout) {
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.wrapup = (uint8_t)mode;
    d.wrapup_timeout_ms = timeout;
    assert_int_equal(sb_queue_set(s->c, s->now, id, &d, NULL, NULL), SB_OK);
    sc_collect(s);
}

/* An agent connected to interaction ix at the current time. */
static void connect(sc *s, sb_id agent, sb_id ix, sb_id queue, int ch) {
    assert_int_equal(sc_ix(s, ix, queue, ch, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, ix), agent);
    OK(sb_offer_accept(s->c, s->now, agent, ix));
}

static void login_ready_not_ready(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_LOGGED_OUT);
    assert_int_equal(sb_agent_ready(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_agent_not_ready(s->c, s->now, 10, 3), SB_ESTATE);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    assert_int_equal(sb_agent_login(s->c, s->now, 99), SB_ENOENT);
    sc_at(s, 1000);
    sc_mark(s);
    OK(sb_agent_login(s->c, s->now, 10));
    EXPECT(s, 1000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark].code, 0);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.state_since, 1000);
    assert_int_equal(sb_agent_login(s->c, s->now, 10), SB_ESTATE);
    /* not ready: an arrival waits */
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_agent_ready(s->c, s->now, 10));
    EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_OFFERED, 1, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_READY);
    assert_int_equal(info(s, 10).state_since, 2000);
}

static void not_ready_reason_in_event(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    OK(sb_agent_not_ready(s->c, s->now, 10, 42));
    EXPECT(s, 1000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark].code, 42);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 42);
    /* the same reason again changes nothing; another reason is an event */
    sc_mark(s);
    OK(sb_agent_not_ready(s->c, s->now, 10, 42));
    assert_int_equal(s->nlog, s->mark);
    sc_at(s, 2000);
    OK(sb_agent_not_ready(s->c, s->now, 10, 7));
    EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].code, 7);
    assert_int_equal(info(s, 10).reason, 7);
    sc_mark(s);
    OK(sb_agent_ready(s->c, s->now, 10));
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(info(s, 10).reason, 0);
}

/* Logout withdraws pending offers: the interaction is requeued and offered
 * to another agent at once. */
static void logout_withdraws_offers(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_agent_logout(s->c, s->now, 10));
    EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WITHDRAWN, 1, 10},
           {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_OFFERED, 1, 11});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_LOGGED_OUT);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 1, 0);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->value, 1000);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_LOGGED_OUT);
    assert_false(ai.busy);
    assert_int_equal(ai.units_used, 0);
}

/* Logout is refused while the agent holds connected or wrap-up work. */
static void logout_refused_with_work(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_mark(s);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_CONNECTED);
    OK(sb_interaction_end(s->c, s->now, 1));
    sc_mark(s);
    assert_int_equal(sb_agent_logout(s->c, s->now, 10), SB_ESTATE);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    OK(sb_agent_logout(s->c, s->now, 10));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_LOGGED_OUT);
}

static void wrapup_none(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_NONE, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 5), SB_ESTATE); /* not in wrap-up */
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_IX_COMPLETED, 1, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_NONE);
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

static void wrapup_optional(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    assert_int_equal(s->log[s->mark].state, SB_AGENT_WRAP_UP);
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 0);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    assert_int_equal(sb_interaction_end(s->c, s->now, 1), SB_ESTATE);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0)); /* code optional */
    EXPECT(s, 3000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_READY);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

static void wrapup_mandatory(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_MANDATORY, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 500000);
    sc_mark(s);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_collect(s);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    OK(sb_wrapup_complete(s->c, s->now, 1, 77));
    EXPECT(s, 500000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].code, 77);
    assert_int_equal(s->log[s->mark].reason, SB_REASON_NONE);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 77), SB_ENOENT);
}

/* Mandatory with timeout: the code is required before the deadline; at
 * exactly the deadline it completes without one (reason wrapup_timeout). */
static void wrapup_mandatory_timeout(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_MANDATORY_TIMEOUT, 30000);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    sc_at(s, 5000);
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sc_find(s, SB_EV_IX_WRAP_UP, 1, 10)->value, 35000);
    assert_int_equal(sb_core_next_deadline(s->c), 35000);
    assert_int_equal(sb_wrapup_complete(s->c, s->now, 1, 0), SB_EWRAPUP);
    sc_mark(s);
    sc_at(s, 34999);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_WRAP_UP);
    sc_at(s, 35000);
    EXPECT(s, 35000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_WRAPUP_TIMEOUT);
    assert_int_equal(s->log[s->mark].code, 0);
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_READY);
    assert_int_equal(info(s, 10).idle_since, 35000);
}

/* With a code before the deadline it completes then, and the timer is
 * gone. */
static void wrapup_mandatory_timeout_completed_early(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_MANDATORY_TIMEOUT, 30000);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    OK(sb_interaction_end(s->c, s->now, 1));
    sc_at(s, 2000);
    OK(sb_wrapup_complete(s->c, s->now, 1, 9));
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_mark(s);
    sc_at(s, 40000);
    assert_int_equal(s->nlog, s->mark);
}

/* During wrap-up the agent gets no offers even with spare capacity; when
 * it ends, the waiting work is offered in that instant. */
static void no_offers_during_wrapup(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_CHAT);
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(info(s, 10).avail_mask, SB_CH_BIT(SB_CH_CHAT)); /* room for chats */
    sc_at(s, 2000);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_agent_ready(s->c, s->now, 10)); /* recorded for after wrap-up: no event */
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 4000);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    EXPECT(s, 4000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10},
           {SB_EV_IX_OFFERED, 2, 10});
}

/* With two chats, the agent stays in wrap-up until the last wrap-up is
 * done; only then is it offered more. */
static void wrapup_of_several_interactions(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_CHAT);
    connect(s, 10, 2, 1, SB_CH_CHAT);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 1));
    EXPECT(s, 2000, {SB_EV_AGENT_STATE, 0, 10}, {SB_EV_IX_WRAP_UP, 1, 10});
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 2));
    EXPECT(s, 3000, {SB_EV_IX_WRAP_UP, 2, 10});
    sc_at(s, 4000);
    sc_mark(s);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    EXPECT(s, 4000, {SB_EV_IX_COMPLETED, 1, 10});
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    sc_at(s, 5000);
    sc_mark(s);
    OK(sb_wrapup_complete(s->c, s->now, 2, 0));
    EXPECT(s, 5000, {SB_EV_IX_COMPLETED, 2, 10}, {SB_EV_AGENT_STATE, 0, 10},
           {SB_EV_IX_OFFERED, 3, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_READY);
}

/* Not-ready requested during wrap-up applies when wrap-up ends (with its
 * reason); nothing is offered then. */
static void not_ready_during_wrapup_applies_after(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_MANDATORY_TIMEOUT, 20000);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    OK(sb_interaction_end(s->c, s->now, 1)); /* deadline 21000 */
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_agent_not_ready(s->c, s->now, 10, 5));
    assert_int_equal(s->nlog, s->mark);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_int_equal(ai.reason, 0);
    sc_at(s, 21000);
    EXPECT(s, 21000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark + 1].code, 5);
    ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
    assert_int_equal(ai.reason, 5);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Not-ready taken while connected survives the wrap-up that follows. */
static void not_ready_while_connected_kept_after_wrapup(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_VOICE);
    OK(sb_agent_not_ready(s->c, s->now, 10, 8));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_READY);
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    EXPECT(s, 2000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_NOT_READY);
    assert_int_equal(s->log[s->mark + 1].code, 8);
}

/* An offer that times out during wrap-up makes the agent not responding
 * when wrap-up ends, like a timeout outside wrap-up: with reason 0, even
 * if not-ready with a reason had been requested before. */
static void timeout_during_wrapup(void **state) {
    (void)state;
    sc *s = fresh(1);
    wq(s, 1, SB_WRAPUP_OPTIONAL, 0);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_CHAT);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10); /* deadline 11000 */
    OK(sb_agent_not_ready(s->c, s->now, 10, 5));
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_at(s, 11000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 2, 10));
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_WRAP_UP);
    sc_at(s, 12000);
    sc_mark(s);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    EXPECT(s, 12000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_AGENT_STATE, 0, 10});
    assert_int_equal(s->log[s->mark + 1].state, SB_AGENT_NOT_RESPONDING);
    assert_int_equal(s->log[s->mark + 1].code, 0);
    assert_int_equal(info(s, 10).reason, 0);
}

/* busy is derived from capacity in use, not a state: a ready agent with
 * one chat is busy and still routable for chats. */
static void busy_is_derived(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    assert_false(info(s, 10).busy);
    sc_at(s, 1000);
    connect(s, 10, 1, 1, SB_CH_CHAT);
    sb_agent_info ai = info(s, 10);
    assert_true(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10);
    OK(sb_agent_not_ready(s->c, s->now, 10, 1));
    assert_true(info(s, 10).busy); /* not ready, still holding work */
    OK(sb_offer_reject(s->c, s->now, 10, 2));
    OK(sb_interaction_end(s->c, s->now, 1));
    ai = info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_NOT_READY);
}

SB_TEST_GROUP(scenario_states, TEST(login_ready_not_ready), TEST(not_ready_reason_in_event),
              TEST(logout_withdraws_offers), TEST(logout_refused_with_work), TEST(wrapup_none),
              TEST(wrapup_optional), TEST(wrapup_mandatory), TEST(wrapup_mandatory_timeout),
              TEST(wrapup_mandatory_timeout_completed_early), TEST(no_offers_during_wrapup),
              TEST(wrapup_of_several_interactions), TEST(not_ready_during_wrapup_applies_after),
              TEST(not_ready_while_connected_kept_after_wrapup), TEST(timeout_during_wrapup),
              TEST(busy_is_derived))
