/* Scenarios: the basic path of one interaction, end to end. */
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

SB_TEST_GROUP(scenario_basic, SC_TEST(arrival_offer_accept_complete),
              SC_TEST(unqualified_agent_is_not_offered))
