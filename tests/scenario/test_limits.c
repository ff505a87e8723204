/* Scenarios: queue limits.  Maximum length (refuse or overflow), maximum
 * wait (end or overflow, keeping the arrival time), closed queues, and
 * the rules on removing a queue. */
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

static sb_queue_def qdef(void) {
    static sb_step_def step = {"", 0};
    return sc_qdef(&step, 1);
}

static void qset(sc *s, sb_id id, const sb_queue_def *d) {
    assert_int_equal(sb_queue_set(s->c, s->now, id, d, NULL, NULL), SB_OK);
    sc_collect(s);
}

static sb_ix_info ixinfo(sc *s, sb_id ix) {
    sb_ix_info ii;
    assert_int_equal(sb_interaction_info(s->c, ix, &ii), SB_OK);
    return ii;
}

/* A refusal creates nothing and says nothing. */
static void assert_refused(sc *s, sb_id ix, int want) {
    sc_mark(s);
    uint64_t seq = sb_core_next_seq(s->c);
    assert_int_equal(sc_ix(s, ix, 1, SB_CH_VOICE, 0, NULL), want);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sb_core_next_seq(s->c), seq);
    sb_ix_info ii;
    assert_int_equal(sb_interaction_info(s->c, ix, &ii), SB_ENOENT);
}

static void max_length_refuses(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    d.max_length = 2;
    qset(s, 1, &d);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_refused(s, 3, SB_EFULL);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.interactions, 2);
    /* room again once one leaves */
    OK(sb_interaction_abandon(s->c, s->now, 1));
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_refused(s, 4, SB_EFULL);
}

/* Full: arrivals overflow to full_overflow (reason queue_full); when that
 * queue is full too and has no overflow, refused. */
static void max_length_overflows(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    d.max_length = 1;
    qset(s, 2, &d);
    d.full_overflow = 2;
    qset(s, 1, &d);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    EXPECT(s, 1000, {SB_EV_IX_CREATED, 2, 0}, {SB_EV_IX_OVERFLOWED, 2, 0}, {SB_EV_IX_QUEUED, 2, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].queue, 1);
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].queue2, 1);
    assert_int_equal(e[1].reason, SB_REASON_FULL);
    assert_int_equal(e[2].queue, 2);
    assert_int_equal(e[2].reason, SB_REASON_NEW);
    assert_int_equal(ixinfo(s, 2).queue, 2);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    assert_int_equal(sb_queue_waiting(s->c, 2), 1);
    assert_refused(s, 3, SB_EFULL);
}

/* Max wait without overflow: at exactly queued_at + max_wait the
 * interaction ends (reason max_wait); a reject in between does not
 * restart the clock. */
static void max_wait_ends(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    d.max_wait_ms = 60000;
    qset(s, 1, &d);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sb_core_next_deadline(s->c), 61000);
    sc_at(s, 30000);
    assert_int_equal(sb_agent_login(s->c, s->now, 10), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 10));
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 31000);
    OK(sb_offer_reject(s->c, s->now, 10, 1));
    assert_int_equal(ixinfo(s, 1).queued_at, 1000);
    sc_mark(s);
    sc_at(s, 60999);
    assert_int_equal(s->nlog, s->mark);
    sc_at(s, 61000);
    EXPECT(s, 61000, {SB_EV_IX_ENDED, 1, 0});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_MAX_WAIT);
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sc_ix_state(s, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
}

/* Max wait does not pull an interaction out of an offer; when the offer
 * is turned down after the deadline, it ends in that same instant. */
static void max_wait_passed_while_offered(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    d.max_wait_ms = 5000;
    qset(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_mark(s);
    sc_at(s, 8000);
    assert_int_equal(s->nlog, s->mark);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    OK(sb_offer_reject(s->c, s->now, 10, 1));
    sc_at(s, 8000);
    EXPECT(s, 8000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_ENDED, 1, 0});
    assert_int_equal(s->log[s->mark + 2].reason, SB_REASON_MAX_WAIT);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

/* Max wait with overflow: moved at exactly the deadline, keeping its
 * arrival time, so it lines up ahead of later arrivals there. */
static void max_wait_overflows_keeping_arrival(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    qset(s, 2, &d);
    d.max_wait_ms = 10000;
    d.max_wait_overflow = 2;
    qset(s, 1, &d);
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_at(s, 5000);
    assert_int_equal(sc_ix(s, 2, 2, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    sc_at(s, 10999);
    assert_int_equal(s->nlog, s->mark);
    sc_at(s, 11000);
    EXPECT(s, 11000, {SB_EV_IX_OVERFLOWED, 1, 0}, {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].queue, 2);
    assert_int_equal(e[0].queue2, 1);
    assert_int_equal(e[0].reason, SB_REASON_MAX_WAIT);
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].reason, SB_REASON_OVERFLOW);
    assert_int_equal(e[1].value, 1000);
    sb_ix_info ii = ixinfo(s, 1);
    assert_int_equal(ii.queue, 2);
    assert_int_equal(ii.arrived_at, 1000);
    assert_int_equal(ii.queued_at, 11000);
    sb_explain x;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 1, &x), SB_OK);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.waiting, 2);
    /* queue 2 has no max wait: nothing more happens */
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 12000);
    assert_int_equal(sb_agent_login(s->c, s->now, 20), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 20));
    assert_int_equal(sc_offered(s, 1), 20);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Closed: arrivals refused (nothing created, no events), those waiting
 * stay and are still routed, a requeue after a reject is not an arrival;
 * reopened: arrivals accepted. */
static void closed_queue_refuses(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    sc_mark(s);
    OK(sb_queue_set_open(s->c, s->now, 1, false));
    EXPECT(s, 1000, {SB_EV_QUEUE_CLOSED, 0, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    sc_mark(s);
    OK(sb_queue_set_open(s->c, s->now, 1, false)); /* already closed: no event */
    assert_int_equal(s->nlog, s->mark);
    assert_refused(s, 2, SB_ECLOSED);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    sc_at(s, 2000);
    assert_int_equal(sb_agent_login(s->c, s->now, 10), SB_OK);
    OK(sb_agent_ready(s->c, s->now, 10));
    assert_int_equal(sc_offered(s, 1), 10);
    OK(sb_offer_reject(s->c, s->now, 10, 1));
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    assert_int_equal(sb_queue_set_open(s->c, s->now, 99, true), SB_ENOENT);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_queue_set_open(s->c, s->now, 1, true));
    EXPECT(s, 3000, {SB_EV_QUEUE_OPEN, 0, 0});
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10); /* 10 is excluded only for 1 */
}

static void closed_queue_overflows(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    qset(s, 2, &d);
    d.closed_overflow = 2;
    qset(s, 1, &d);
    OK(sb_queue_set_open(s->c, s->now, 1, false));
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    EXPECT(s, 1000, {SB_EV_IX_CREATED, 1, 0}, {SB_EV_IX_OVERFLOWED, 1, 0}, {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].queue2, 1);
    assert_int_equal(e[1].reason, SB_REASON_CLOSED);
    assert_int_equal(e[2].queue, 2);
    assert_int_equal(ixinfo(s, 1).queue, 2);
    /* the overflow queue closed too, without its own overflow: refused */
    OK(sb_queue_set_open(s->c, s->now, 2, false));
    assert_refused(s, 2, SB_ECLOSED);
}

/* A queue cannot be removed while interactions are in it (queued or
 * connected) or while another queue overflows into it. */
static void queue_remove_in_use(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_queue_def d = qdef();
    qset(s, 2, &d);
    qset(s, 3, &d);
    d.full_overflow = 2;
    d.max_wait_overflow = 3;
    qset(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sb_queue_remove(s->c, s->now, 9), SB_ENOENT);
    assert_int_equal(sb_queue_remove(s->c, s->now, 2), SB_EINUSE);
    assert_int_equal(sb_queue_remove(s->c, s->now, 3), SB_EINUSE);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK); /* offered */
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE); /* connected */
    OK(sb_interaction_end(s->c, s->now, 1));
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK); /* offered again */
    OK(sb_interaction_cancel(s->c, s->now, 2));
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_OK);
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_ENOENT);
    /* the member lost the queue; 2 and 3 are free now */
    assert_int_equal(sb_queue_remove(s->c, s->now, 2), SB_OK);
    assert_int_equal(sb_queue_remove(s->c, s->now, 3), SB_OK);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);
}

/* A queued interaction in a queue blocks its removal until it leaves. */
static void queue_remove_with_waiting(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE);
    OK(sb_interaction_abandon(s->c, s->now, 1));
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_OK);
    assert_int_equal(sb_queue_waiting(s->c, 1), -1);
}

SB_TEST_GROUP(scenario_limits, TEST(max_length_refuses), TEST(max_length_overflows),
              TEST(max_wait_ends), TEST(max_wait_passed_while_offered),
              TEST(max_wait_overflows_keeping_arrival), TEST(closed_queue_refuses),
              TEST(closed_queue_overflows), TEST(queue_remove_in_use),
              TEST(queue_remove_with_waiting))
