/* Scenarios: capacity profiles.  Units and per-channel costs, per-channel
 * maxima, the default profile, blocking and interruptible channels, and
 * capacity freed by a completion leading straight to the next offer. */
#include <string.h>

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

static sb_agent_info info(sc *s, sb_id agent) {
    sb_agent_info ai;
    assert_int_equal(sb_agent_info_get(s->c, agent, &ai), SB_OK);
    return ai;
}

static void profile(sc *s, sb_id id, const sb_profile_def *d) {
    assert_int_equal(sb_profile_set(s->c, s->now, id, d), SB_OK);
    sc_collect(s);
}

/* Events logged since the mark. */
static uint32_t since_mark(const sc *s) {
    return s->nlog - s->mark;
}
static const sb_event *ev(const sc *s, uint32_t i) {
    return &s->log[s->mark + i];
}

/* 100 units, chat costs 20: five chats fill the agent, a sixth waits. */
static void units_and_costs(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = 100;
    p.cost[SB_CH_CHAT] = 20;
    p.max[SB_CH_CHAT] = 10; /* the units, not the maximum, are the limit */
    profile(s, 1, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1 profile=1");
    sc_at(s, 1000);
    for (sb_id id = 1; id <= 6; id++)
        assert_int_equal(sc_ix(s, id, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    for (sb_id id = 1; id <= 5; id++) {
        assert_int_equal(sc_offered(s, id), 10);
        OK(sb_offer_accept(s->c, s->now, 10, id));
    }
    assert_int_equal(sc_offered(s, 6), 0);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.units_used, 100);
    assert_int_equal(ai.count[SB_CH_CHAT], 5);
    assert_int_equal(ai.avail_mask, 0);
    assert_true(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_READY);
}

/* The per-channel maximum binds before the units do; other channels still
 * fit in the remaining units. */
static void per_channel_max(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = 100;
    p.cost[SB_CH_CHAT] = 10;
    p.max[SB_CH_CHAT] = 3;
    p.cost[SB_CH_EMAIL] = 50;
    p.max[SB_CH_EMAIL] = 1;
    profile(s, 1, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1 profile=1");
    sc_at(s, 1000);
    for (sb_id id = 1; id <= 4; id++)
        assert_int_equal(sc_ix(s, id, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    for (sb_id id = 1; id <= 3; id++)
        assert_int_equal(sc_offered(s, id), 10);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.units_used, 30);
    assert_int_equal(ai.count[SB_CH_CHAT], 3);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_EMAIL));
    /* an email still fits: 30 + 50 <= 100 */
    assert_int_equal(sc_ix(s, 5, 1, SB_CH_EMAIL, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 5), 10);
    ai = info(s, 10);
    assert_int_equal(ai.units_used, 80);
    assert_int_equal(ai.count[SB_CH_EMAIL], 1);
    assert_int_equal(ai.avail_mask, 0);
    /* the fourth chat goes to the next agent with room */
    sc_at(s, 2000);
    sc_agent(s, 11, "queues=1");
    assert_int_equal(sc_offered(s, 4), 11);
}

static void default_profile_values(void **state) {
    (void)state;
    sb_profile_def d;
    memset(&d, 0xab, sizeof(d));
    sb_profile_default(&d);
    assert_int_equal(d.units, 100);
    assert_int_equal(d.cost[SB_CH_VOICE], 100);
    assert_int_equal(d.max[SB_CH_VOICE], 1);
    assert_int_equal(d.cost[SB_CH_CHAT], 25);
    assert_int_equal(d.max[SB_CH_CHAT], 4);
    for (int ch = SB_CH_EMAIL; ch < SB_CH_COUNT; ch++)
        assert_int_equal(d.max[ch], 1);
    assert_int_equal(d.blocks[SB_CH_VOICE], 0x3f);
    assert_int_equal(d.blocks[SB_CH_CALLBACK], 0x3f);
    assert_int_equal(d.blocks[SB_CH_CHAT], 0);
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        assert_int_equal(d.interruptible_by[ch], 0);
}

/* Default profile: four chats; a fifth waits. */
static void default_profile_four_chats(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    for (sb_id id = 1; id <= 5; id++)
        assert_int_equal(sc_ix(s, id, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    for (sb_id id = 1; id <= 4; id++)
        assert_int_equal(sc_offered(s, id), 10);
    assert_int_equal(sc_offered(s, 5), 0);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.units_used, 100);
    assert_int_equal(ai.count[SB_CH_CHAT], 4);
    assert_int_equal(ai.avail_mask, 0);
}

/* Default profile: a voice call blocks chats; one chat leaves no room for
 * a call (25 + 100 > 100) but more chats still fit. */
static void default_profile_voice_blocks_chat(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    assert_int_equal(info(s, 10).avail_mask, 0);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 2000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 1));
    /* capacity freed: the chat is offered in the same instant */
    assert_int_equal(since_mark(s), 2);
    assert_int_equal(ev(s, 0)->type, SB_EV_IX_COMPLETED);
    assert_int_equal(ev(s, 1)->type, SB_EV_IX_OFFERED);
    assert_int_equal(ev(s, 1)->ix, 2);
    assert_int_equal(ev(s, 1)->agent, 10);
    assert_int_equal(ev(s, 1)->at, 2000);
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.units_used, 25);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    /* a call now waits: one chat leaves 75 units */
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
}

/* 200 units; voice (100) blocks chat, chat (25) blocks nothing: an agent
 * with a chat takes a call, an agent with a call takes no chat although
 * the units would fit. */
static void voice_blocks_chat_not_the_reverse(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = 200;
    p.cost[SB_CH_VOICE] = 100;
    p.max[SB_CH_VOICE] = 1;
    p.blocks[SB_CH_VOICE] = SB_CH_BIT(SB_CH_CHAT);
    p.cost[SB_CH_CHAT] = 25;
    p.max[SB_CH_CHAT] = 4;
    profile(s, 1, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1 profile=1");
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    assert_int_equal(info(s, 10).avail_mask, SB_CH_BIT(SB_CH_VOICE) | SB_CH_BIT(SB_CH_CHAT));
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 2), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 2));
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.units_used, 125);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.avail_mask, 0); /* 150 would fit; the call blocks it */
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 2));
    assert_int_equal(sc_offered(s, 3), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 3, 10)->at, 3000);
    assert_int_equal(info(s, 10).units_used, 50);
}

/* Email interruptible by voice: an agent with an email still gets a call;
 * one without that rule does not, although it has been idle longer. */
static void interruptible_email(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_profile_def p;
    sb_profile_default(&p);
    p.interruptible_by[SB_CH_EMAIL] = SB_CH_BIT(SB_CH_VOICE);
    profile(s, 2, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 20, "queues=1"); /* default profile, idle since 0 */
    sc_at(s, 100);
    sc_agent(s, 10, "queues=1 profile=2"); /* idle since 100 */
    sc_at(s, 200);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_EMAIL, 0, NULL), SB_OK);
    assert_int_equal(sc_ix(s, 2, 1, SB_CH_EMAIL, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 1), 20);
    assert_int_equal(sc_offered(s, 2), 10);
    OK(sb_offer_accept(s->c, s->now, 20, 1));
    OK(sb_offer_accept(s->c, s->now, 10, 2));
    assert_int_equal(info(s, 20).avail_mask, 0);
    assert_int_equal(info(s, 10).avail_mask, SB_CH_BIT(SB_CH_VOICE));
    sc_at(s, 300);
    assert_int_equal(sc_ix(s, 3, 1, SB_CH_VOICE, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 3), 10);
    OK(sb_offer_accept(s->c, s->now, 10, 3));
    sb_agent_info ai = info(s, 10);
    assert_int_equal(ai.count[SB_CH_EMAIL], 1);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.units_used, 200);
    assert_int_equal(ai.avail_mask, 0);
    /* a chat is not an interrupter: it waits */
    assert_int_equal(sc_ix(s, 4, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
}

/* Freed capacity is offered at once, to the best work across all the
 * agent's queues (here the earlier arrival, in the other queue). */
static void freed_capacity_offers_next_at_once(void **state) {
    (void)state;
    sc *s = fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1,2");
    sc_at(s, 100);
    for (sb_id id = 1; id <= 4; id++) {
        assert_int_equal(sc_ix(s, id, 1, SB_CH_CHAT, 0, NULL), SB_OK);
        OK(sb_offer_accept(s->c, s->now, 10, id));
    }
    sc_at(s, 500);
    assert_int_equal(sc_ix(s, 5, 2, SB_CH_CHAT, 0, NULL), SB_OK);
    sc_at(s, 600);
    assert_int_equal(sc_ix(s, 6, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_ix_state(s, 5), SB_IX_QUEUED);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    OK(sb_interaction_end(s->c, s->now, 2));
    assert_int_equal(since_mark(s), 2);
    assert_int_equal(ev(s, 0)->type, SB_EV_IX_COMPLETED);
    assert_int_equal(ev(s, 0)->ix, 2);
    assert_int_equal(ev(s, 1)->type, SB_EV_IX_OFFERED);
    assert_int_equal(ev(s, 1)->ix, 5);
    assert_int_equal(ev(s, 1)->queue, 2);
    assert_int_equal(ev(s, 1)->at, 3000);
    assert_int_equal(ev(s, 1)->value, 3000 + 10000);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    /* a reject frees it too: the next chat is offered in that instant */
    sc_at(s, 4000);
    sc_mark(s);
    OK(sb_offer_reject(s->c, s->now, 10, 5));
    assert_int_equal(sc_offered(s, 6), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 6, 10)->at, 4000);
}

/* Offered, connected and wrap-up work all hold capacity and show in the
 * counts; completion gives it back. */
static void agent_info_counts(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_step_def step = {"", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.wrapup = SB_WRAPUP_OPTIONAL;
    assert_int_equal(sb_queue_set(s->c, s->now, 1, &d, NULL, NULL), SB_OK);
    sc_agent(s, 10, "queues=1");
    sb_agent_info ai = info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.units_used, 0);
    assert_int_equal(ai.avail_mask, 0x3f);
    sc_at(s, 1000);
    assert_int_equal(sc_ix(s, 1, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    ai = info(s, 10); /* offered */
    assert_true(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    OK(sb_offer_accept(s->c, s->now, 10, 1));
    ai = info(s, 10); /* connected */
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    sc_at(s, 2000);
    OK(sb_interaction_end(s->c, s->now, 1));
    ai = info(s, 10); /* wrap-up */
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_true(ai.busy);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    sc_at(s, 3000);
    OK(sb_wrapup_complete(s->c, s->now, 1, 0));
    ai = info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_false(ai.busy);
    assert_int_equal(ai.count[SB_CH_CHAT], 0);
    assert_int_equal(ai.units_used, 0);
    assert_int_equal(ai.avail_mask, 0x3f);
    assert_int_equal(ai.idle_since, 3000);
}

/* Changing a profile re-checks its agents at once; a profile in use
 * cannot be removed. */
static void profile_change_applies_at_once(void **state) {
    (void)state;
    sc *s = fresh(1);
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = 50;
    p.cost[SB_CH_CHAT] = 25;
    p.max[SB_CH_CHAT] = 4;
    profile(s, 3, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1 profile=3");
    sc_at(s, 1000);
    for (sb_id id = 1; id <= 3; id++)
        assert_int_equal(sc_ix(s, id, 1, SB_CH_CHAT, 0, NULL), SB_OK);
    assert_int_equal(sc_offered(s, 3), 0);
    sc_at(s, 2000);
    sc_mark(s);
    p.units = 75;
    profile(s, 3, &p);
    assert_int_equal(sc_offered(s, 3), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 3, 10)->at, 2000);
    assert_int_equal(sb_profile_remove(s->c, 3), SB_EINUSE);
    assert_int_equal(sb_profile_remove(s->c, 4), SB_ENOENT);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1 profile=4"), SB_ENOENT);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK); /* back to the default */
    assert_int_equal(sb_profile_remove(s->c, 3), SB_OK);
}

SB_TEST_GROUP(scenario_capacity, TEST(units_and_costs), TEST(per_channel_max),
              TEST(default_profile_values), TEST(default_profile_four_chats),
              TEST(default_profile_voice_blocks_chat), TEST(voice_blocks_chat_not_the_reverse),
              TEST(interruptible_email), TEST(freed_capacity_offers_next_at_once),
              TEST(agent_info_counts), TEST(profile_change_applies_at_once))
