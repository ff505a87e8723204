/* Scenarios: queue limits.  Maximum length (refuse or overflow), maximum
 * wait (end or overflow, keeping the arrival time), closed queues, and
 * the rules on removing a queue. */
#include "base/mem.h"
#include "scenario/harness.h"

/* A refusal creates nothing and says nothing. */
static void assert_refused(sc *s, sb_id ix, int want) {
    sc_mark(s);
    uint64_t seq = sb_core_next_seq(s->c);
    assert_int_equal(sc_ix(s, ix, 1, SB_CH_VOICE, 0, NULL), want);
    sc_expect_none(s);
    assert_int_equal(sb_core_next_seq(s->c), seq);
    sb_ix_info ii = {0};
    assert_int_equal(sb_interaction_info(s->c, ix, &ii), SB_ENOENT);
}

/* e moved its interaction from queue `from` to queue `to` for reason. */
static void assert_overflowed(const sb_event *e, sb_id from, sb_id to, int reason) {
    assert_int_equal(e->type, SB_EV_IX_OVERFLOWED);
    assert_int_equal(e->queue, to);
    assert_int_equal(e->queue2, from);
    assert_int_equal(e->reason, reason);
}

static void max_length_refuses(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_length = 2;
    sc_queue_set(s, 1, &d);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_voice(s, 2, 1, 0);
    assert_refused(s, 3, SB_EFULL);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.interactions, 2);
    /* room again once one leaves */
    SC_OK(s, sb_interaction_abandon(s->c, s->now, 1));
    sc_voice(s, 3, 1, 0);
    assert_refused(s, 4, SB_EFULL);
}

/* Full: arrivals overflow to full_overflow (reason queue_full); when that
 * queue is full too and has no overflow, refused. */
static void max_length_overflows(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_length = 1;
    sc_queue_set(s, 2, &d);
    d.full_overflow = 2;
    sc_queue_set(s, 1, &d);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_mark(s);
    sc_voice(s, 2, 1, 0);
    SC_EXPECT(s, 1000, {SB_EV_IX_CREATED, 2, 0}, {SB_EV_IX_OVERFLOWED, 2, 0},
              {SB_EV_IX_QUEUED, 2, 0});
    const sb_event *e = &s->log[s->mark];
    assert_int_equal(e[0].queue, 1);
    assert_overflowed(&e[1], 1, 2, SB_REASON_FULL);
    assert_int_equal(e[2].queue, 2);
    assert_int_equal(e[2].reason, SB_REASON_NEW);
    assert_int_equal(sc_ix_info(s, 2).queue, 2);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    assert_int_equal(sb_queue_waiting(s->c, 2), 1);
    assert_refused(s, 3, SB_EFULL);
}

/* Max wait without overflow: at exactly queued_at + max_wait the
 * interaction ends (reason max_wait); a reject in between does not
 * restart the clock. */
static void max_wait_ends(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_wait_ms = 60000;
    sc_queue_set(s, 1, &d);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sb_core_next_deadline(s->c), 61000);
    sc_at(s, 30000);
    sc_login_ready(s, 10);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_at(s, 31000);
    sc_reject(s, 10, 1);
    assert_int_equal(sc_ix_info(s, 1).queued_at, 1000);
    sc_mark(s);
    sc_at(s, 60999);
    sc_expect_none(s);
    sc_at(s, 61000);
    SC_EXPECT(s, 61000, {SB_EV_IX_ENDED, 1, 0});
    assert_int_equal(s->log[s->mark].reason, SB_REASON_MAX_WAIT);
    assert_int_equal(s->log[s->mark].queue, 1);
    assert_int_equal(sc_ix_state(s, 1), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
}

/* Max wait does not pull an interaction out of an offer; when the offer
 * is turned down after the deadline, it ends in that same instant. */
static void max_wait_passed_while_offered(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_wait_ms = 5000;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_mark(s);
    sc_at(s, 8000);
    sc_expect_none(s);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_OFFERED);
    sc_reject(s, 10, 1);
    sc_at(s, 8000);
    SC_EXPECT(s, 8000, {SB_EV_IX_REJECTED, 1, 10}, {SB_EV_IX_QUEUED, 1, 0}, {SB_EV_IX_ENDED, 1, 0});
    assert_int_equal(s->log[s->mark + 2].reason, SB_REASON_MAX_WAIT);
    assert_int_equal(sc_ix_state(s, 1), 0);
}

/* Max wait with overflow: moved at exactly the deadline, keeping its
 * arrival time, so it lines up ahead of later arrivals there. */
static void max_wait_overflows_keeping_arrival(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    sc_queue_set(s, 2, &d);
    d.max_wait_ms = 10000;
    d.max_wait_overflow = 2;
    sc_queue_set(s, 1, &d);
    assert_int_equal(sc_agent_spec(s, 20, "queues=2"), SB_OK);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_at(s, 5000);
    sc_voice(s, 2, 2, 0);
    sc_mark(s);
    sc_at(s, 10999);
    sc_expect_none(s);
    sc_at(s, 11000);
    SC_EXPECT(s, 11000, {SB_EV_IX_OVERFLOWED, 1, 0}, {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_overflowed(&e[0], 1, 2, SB_REASON_MAX_WAIT);
    assert_int_equal(e[1].queue, 2);
    assert_int_equal(e[1].reason, SB_REASON_OVERFLOW);
    assert_int_equal(e[1].value, 1000);
    sb_ix_info ii = sc_ix_info(s, 1);
    assert_int_equal(ii.queue, 2);
    assert_int_equal(ii.arrived_at, 1000);
    assert_int_equal(ii.queued_at, 11000);
    sb_explain x = sc_explain(s, 1);
    assert_int_equal(x.position, 1);
    assert_int_equal(x.waiting, 2);
    /* queue 2 has no max wait: nothing more happens */
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
    sc_at(s, 12000);
    sc_login_ready(s, 20);
    assert_int_equal(sc_offered(s, 1), 20);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
}

/* Closed: arrivals refused (nothing created, no events), those waiting
 * stay and are still routed, a requeue after a reject is not an arrival;
 * reopened: arrivals accepted. */
static void closed_queue_refuses(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK);
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK);
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0);
    sc_mark(s);
    SC_OK(s, sb_queue_set_open(s->c, s->now, 1, false));
    SC_EXPECT(s, 1000, {SB_EV_QUEUE_CLOSED, 0, 0});
    assert_int_equal(s->log[s->mark].queue, 1);
    sc_mark(s);
    SC_OK(s, sb_queue_set_open(s->c, s->now, 1, false)); /* already closed: no event */
    sc_expect_none(s);
    assert_refused(s, 2, SB_ECLOSED);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    sc_at(s, 2000);
    sc_login_ready(s, 10);
    assert_int_equal(sc_offered(s, 1), 10);
    sc_reject(s, 10, 1);
    assert_int_equal(sc_ix_state(s, 1), SB_IX_QUEUED);
    assert_int_equal(sb_queue_set_open(s->c, s->now, 99, true), SB_ENOENT);
    sc_at(s, 3000);
    sc_mark(s);
    SC_OK(s, sb_queue_set_open(s->c, s->now, 1, true));
    SC_EXPECT(s, 3000, {SB_EV_QUEUE_OPEN, 0, 0});
    sc_voice(s, 2, 1, 0);
    assert_int_equal(sc_offered(s, 2), 10); /* 10 is excluded only for 1 */
}

static void closed_queue_overflows(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    sc_queue_set(s, 2, &d);
    d.closed_overflow = 2;
    sc_queue_set(s, 1, &d);
    SC_OK(s, sb_queue_set_open(s->c, s->now, 1, false));
    sc_at(s, 1000);
    sc_mark(s);
    sc_voice(s, 1, 1, 0);
    SC_EXPECT(s, 1000, {SB_EV_IX_CREATED, 1, 0}, {SB_EV_IX_OVERFLOWED, 1, 0},
              {SB_EV_IX_QUEUED, 1, 0});
    const sb_event *e = &s->log[s->mark];
    assert_overflowed(&e[1], 1, 2, SB_REASON_CLOSED);
    assert_int_equal(e[2].queue, 2);
    assert_int_equal(sc_ix_info(s, 1).queue, 2);
    /* the overflow queue closed too, without its own overflow: refused */
    SC_OK(s, sb_queue_set_open(s->c, s->now, 2, false));
    assert_refused(s, 2, SB_ECLOSED);
}

/* A queue cannot be removed while interactions are in it (queued or
 * connected) or while another queue overflows into it. */
static void queue_remove_in_use(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    sc_queue_set(s, 2, &d);
    sc_queue_set(s, 3, &d);
    d.full_overflow = 2;
    d.max_wait_overflow = 3;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    assert_int_equal(sb_queue_remove(s->c, s->now, 9), SB_ENOENT);
    assert_int_equal(sb_queue_remove(s->c, s->now, 2), SB_EINUSE);
    assert_int_equal(sb_queue_remove(s->c, s->now, 3), SB_EINUSE);
    sc_voice(s, 1, 1, 0); /* offered */
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE);
    sc_accept(s, 10, 1);
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE); /* connected */
    sc_end(s, 1);
    sc_voice(s, 2, 1, 0); /* offered again */
    SC_OK(s, sb_interaction_cancel(s->c, s->now, 2));
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
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_voice(s, 1, 1, 0);
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_EINUSE);
    SC_OK(s, sb_interaction_abandon(s->c, s->now, 1));
    assert_int_equal(sb_queue_remove(s->c, s->now, 1), SB_OK);
    assert_int_equal(sb_queue_waiting(s->c, 1), -1);
}

/* When an arrival breaks several rules, the first in this order is told:
 * a bad id or channel, an id already live, an unknown queue, bad
 * attributes, then the queue's admission (full, closed). */
static void create_error_precedence(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_length = 1;
    sc_queue_set(s, 1, &d);
    sc_queue_set(s, 2, &d);
    SC_OK(s, sb_queue_set_open(s->c, s->now, 2, false));
    sc_at(s, 1000);
    sc_voice(s, 1, 1, 0); /* queue 1 is full from now on */
    sb_sym k = sb_core_sym(s->c, "k");
    sb_attr dup[2] = {{k, sb_val_num(1)}, {k, sb_val_num(2)}};
    uint64_t seq = sb_core_next_seq(s->c);
    /* live id: in a full queue, a closed one, an unknown one, with bad attributes */
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_EEXIST);
    assert_int_equal(sc_ix(s, 1, 2, SB_CH_VOICE, 0, NULL), SB_EEXIST);
    assert_int_equal(sc_ix(s, 1, 99, SB_CH_VOICE, 0, NULL), SB_EEXIST);
    assert_int_equal(sc_ix_def(s, &(sb_interaction_def){.id = 1, .queue = 1, .attrs = dup, .nattrs = 2}),
                     SB_EEXIST);
    /* a bad channel comes before the live id */
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_COUNT, 0, NULL), SB_EINVAL);
    /* new id: unknown queue, then bad attributes before full or closed */
    assert_int_equal(sc_ix_def(s, &(sb_interaction_def){.id = 2, .queue = 99, .attrs = dup, .nattrs = 2}),
                     SB_ENOENT);
    assert_int_equal(sc_ix_def(s, &(sb_interaction_def){.id = 2, .queue = 1, .attrs = dup, .nattrs = 2}),
                     SB_EINVAL);
    assert_int_equal(sc_ix_def(s, &(sb_interaction_def){.id = 2, .queue = 2, .attrs = dup, .nattrs = 2}),
                     SB_EINVAL);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_EFULL);
    assert_int_equal(sc_ix(s, 2, 2, SB_CH_VOICE, 0, NULL), SB_ECLOSED);
    assert_int_equal(sb_core_next_seq(s->c), seq); /* none said anything */
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.interactions, 1);
}

/* A surge of events in one call (3,000 interactions reaching their
 * maximum wait at the same millisecond) grows the outbox; drains that
 * find it nearly empty give that memory back, and it grows again. */
static void max_wait_surge_outbox_shrinks(void **state) {
    (void)state;
    enum { N = 3000 };
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.max_wait_ms = 60000;
    sc_queue_set(s, 1, &d);
    for (sb_id i = 1; i <= N; i++)
        sc_voice(s, i, 1, 0);
    sc_mark(s);
    sc_at(s, 60000);
    assert_int_equal(sc_count(s, SB_EV_IX_ENDED, 0, 0), N);
    size_t after_surge = sb_mem_used();
    for (int i = 0; i < 8; i++)
        sb_core_events_clear(s->c);
    size_t drained = sb_mem_used();
    assert_true(after_surge - drained >= (size_t)N * sizeof(sb_event) / 2);
    for (int i = 0; i < 8; i++)
        sb_core_events_clear(s->c);
    assert_int_equal(sb_mem_used(), drained); /* down to its floor */
    /* and up again, nothing lost */
    for (sb_id i = N + 1; i <= 2 * N; i++)
        sc_voice(s, i, 1, 0);
    sc_mark(s);
    sc_at(s, 120000);
    assert_int_equal(sc_count(s, SB_EV_IX_ENDED, 0, 0), N);
    assert_int_equal(sb_queue_waiting(s->c, 1), 0);
}

SB_TEST_GROUP(scenario_limits, SC_TEST(create_error_precedence), SC_TEST(max_length_refuses),
              SC_TEST(max_length_overflows), SC_TEST(max_wait_ends),
              SC_TEST(max_wait_passed_while_offered), SC_TEST(max_wait_overflows_keeping_arrival),
              SC_TEST(max_wait_surge_outbox_shrinks), SC_TEST(closed_queue_refuses),
              SC_TEST(closed_queue_overflows), SC_TEST(queue_remove_in_use),
              SC_TEST(queue_remove_with_waiting))
