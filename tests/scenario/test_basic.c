/* Scenarios: the basic path of one interaction, end to end. */
#include <string.h>

#include "scenario/harness.h"

static void arrival_offer_accept_complete(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "agent.skills.billing > 0");
    sc_agent(s, 10, "skills=billing:3 queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_OFFERED);
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, 100, 10);
    assert_int_equal(o->value, 1000 + 10000);
    sc_at(s, 2000);
    sc_accept(s, 10, 100);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_CONNECTED);
    assert_int_equal(sb_interaction_end(s->c, 5000, 100), SB_OK);
    sc_at(s, 5000);
    assert_non_null(sc_find(s, SB_EV_IX_COMPLETED, 100, 10));
    assert_int_equal(sc_ix_state(s, 100), 0);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.idle_since, 5000);
    assert_false(ai.busy);
    /* events are numbered without gaps */
    for (uint32_t i = 1; i < s->nlog; i++)
        assert_int_equal(s->log[i].seq, s->log[i - 1].seq + 1);
}

static void unqualified_agent_is_not_offered(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "agent.skills.billing >= 5");
    sc_agent(s, 10, "skills=billing:3 queues=1");
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 0);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    sc_agent(s, 11, "skills=billing:5 queues=1");
    assert_int_equal(sc_offered(s, 100), 11);
}

/* The slot every event about ix carries; asserts they all agree. */
static uint32_t slot_of(const sc *s, sb_id ix) {
    uint32_t n = 0, slot = 0;
    for (uint32_t i = 0; i < s->nlog; i++) {
        if (s->log[i].ix != ix) continue;
        if (n++ == 0) slot = s->log[i].slot;
        assert_int_equal(s->log[i].slot, slot);
    }
    assert_true(n > 0);
    return slot;
}

/* sb_interaction_end_hint: the slot from the events reaches the
 * interaction; any other number (stale, another's, made up) changes
 * nothing but the way it is found. */
static void end_with_slot_hint(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    sc_connect(s, 10, 100, 1, SB_CH_VOICE);
    uint32_t s100 = slot_of(s, 100);
    sc_agent(s, 11, "queues=1");
    sc_connect(s, 11, 101, 1, SB_CH_VOICE);
    uint32_t s101 = slot_of(s, 101);
    assert_int_not_equal(s100, s101);
    /* Another's slot, and numbers that name no slot: found by id. */
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 100, s101), SB_OK);
    sc_collect(s);
    assert_non_null(sc_find(s, SB_EV_IX_COMPLETED, 100, 10));
    assert_int_equal(sc_ix_state(s, 101), SB_IX_CONNECTED);
    /* 100's slot, recycled but not reused yet, still holds its id: it is
     * gone all the same. */
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 100, s100), SB_ENOENT);
    /* The recycled slot goes to the next arrival: 100's hint is stale. */
    sc_connect(s, 10, 102, 1, SB_CH_VOICE);
    assert_int_equal(slot_of(s, 102), s100);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 100, s100), SB_ENOENT);
    assert_int_equal(sc_ix_state(s, 102), SB_IX_CONNECTED);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 999, s101), SB_ENOENT);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 101, UINT32_MAX), SB_OK);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 102, s100), SB_OK);
    sc_collect(s);
    assert_non_null(sc_find(s, SB_EV_IX_COMPLETED, 101, 11));
    assert_non_null(sc_find(s, SB_EV_IX_COMPLETED, 102, 10));
    /* Through the hint the state is checked as by id: a queued one. */
    sc_not_ready(s, 10, 0);
    sc_not_ready(s, 11, 0);
    sc_voice(s, 103, 1, 0);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 103, slot_of(s, 103)), SB_ESTATE);
}

/* Slots stay distinct and valid past one slab block (8192 interactions). */
static void slots_past_one_slab(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    enum { N = 9000 };
    static uint8_t seen[2 * N];
    memset(seen, 0, sizeof(seen));
    for (sb_id id = 1; id <= N; id++) {
        sc_voice(s, id, 1, 0);
        uint32_t slot = s->log[s->nlog - 1].slot;
        assert_true(slot < 2 * N);
        assert_int_equal(seen[slot]++, 0);
    }
    /* The last ones live in the second slab: reached through it. */
    sc_agent(s, 10, "queues=1");
    sc_ready(s, 10);
    sc_accept(s, 10, 1);
    assert_int_equal(sb_interaction_cancel(s->c, s->now, N), SB_OK);
    sc_collect(s);
    sc_mark(s);
    sc_voice(s, N + 1, 1, 0); /* takes the slot N left */
    uint32_t slot = slot_of(s, N + 1);
    assert_true(slot >= 8192);
    assert_int_equal(sb_interaction_end_hint(s->c, s->now, 1, slot_of(s, 1)), SB_OK);
    sc_collect(s);
    assert_non_null(sc_find(s, SB_EV_IX_COMPLETED, 1, 10));
}

SB_TEST_GROUP(scenario_basic, SC_TEST(arrival_offer_accept_complete),
              SC_TEST(unqualified_agent_is_not_offered), SC_TEST(end_with_slot_hint),
              SC_TEST(slots_past_one_slab))
