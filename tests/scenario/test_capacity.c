/* Scenarios: capacity profiles.  Units and per-channel costs, per-channel
 * maxima, the default profile, blocking and interruptible channels, and
 * capacity freed by a completion leading straight to the next offer. */
#include <stdio.h>
#include <string.h>

#include "scenario/harness.h"

/* A profile of n units where every cost and maximum is still 0. */
static sb_profile_def units(uint32_t n) {
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = n;
    return p;
}

/* Queue 1 (every member) and agent 10 ready in it, with the default
 * profile (profile 0) or with p set as that profile first; the clock at
 * 1000. */
static sc *scene(sb_id profile, const sb_profile_def *p) {
    sc *s = sc_fresh(1);
    char spec[64] = "queues=1";
    if (profile) {
        sc_profile(s, profile, p);
        snprintf(spec, sizeof(spec), "queues=1 profile=%llu", (unsigned long long)profile);
    }
    sc_queue(s, 1, "");
    sc_agent(s, 10, spec);
    sc_at(s, 1000);
    return s;
}

/* Chats first..last arrive in queue 1. */
static void chats(sc *s, sb_id first, sb_id last) {
    for (sb_id id = first; id <= last; id++)
        sc_arrive(s, id, 1, SB_CH_CHAT, 0);
}

/* 100 units, chat costs 20: five chats fill the agent, a sixth waits. */
static void units_and_costs(void **state) {
    (void)state;
    sb_profile_def p = units(100);
    p.cost[SB_CH_CHAT] = 20;
    p.max[SB_CH_CHAT] = 10; /* the units, not the maximum, are the limit */
    sc *s = scene(1, &p);
    chats(s, 1, 6);
    for (sb_id id = 1; id <= 5; id++) {
        assert_int_equal(sc_offered(s, id), 10);
        sc_accept(s, 10, id);
    }
    assert_int_equal(sc_offered(s, 6), 0);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    sb_agent_info ai = sc_agent_info(s, 10);
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
    sb_profile_def p = units(100);
    p.cost[SB_CH_CHAT] = 10;
    p.max[SB_CH_CHAT] = 3;
    p.cost[SB_CH_EMAIL] = 50;
    p.max[SB_CH_EMAIL] = 1;
    sc *s = scene(1, &p);
    chats(s, 1, 4);
    for (sb_id id = 1; id <= 3; id++)
        assert_int_equal(sc_offered(s, id), 10);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.units_used, 30);
    assert_int_equal(ai.count[SB_CH_CHAT], 3);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_EMAIL));
    /* an email still fits: 30 + 50 <= 100 */
    sc_arrive(s, 5, 1, SB_CH_EMAIL, 0);
    assert_int_equal(sc_offered(s, 5), 10);
    ai = sc_agent_info(s, 10);
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
    sc *s = scene(0, NULL);
    chats(s, 1, 5);
    for (sb_id id = 1; id <= 4; id++)
        assert_int_equal(sc_offered(s, id), 10);
    assert_int_equal(sc_offered(s, 5), 0);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.units_used, 100);
    assert_int_equal(ai.count[SB_CH_CHAT], 4);
    assert_int_equal(ai.avail_mask, 0);
}

/* Default profile: a voice call blocks chats; one chat leaves no room for
 * a call (25 + 100 > 100) but more chats still fit. */
static void default_profile_voice_blocks_chat(void **state) {
    (void)state;
    sc *s = scene(0, NULL);
    sc_connect(s, 10, 1, 1, SB_CH_VOICE);
    assert_int_equal(sc_agent_info(s, 10).avail_mask, 0);
    sc_arrive(s, 2, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 2), SB_IX_QUEUED);
    sc_at(s, 2000);
    sc_mark(s);
    sc_end(s, 1);
    /* capacity freed: the chat is offered in the same instant */
    SC_EXPECT(s, 2000, {SB_EV_IX_COMPLETED, 1, 10}, {SB_EV_IX_OFFERED, 2, 10});
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.units_used, 25);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    /* a call now waits: one chat leaves 75 units */
    sc_voice(s, 3, 1, 0);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
}

/* 200 units; voice (100) blocks chat, chat (25) blocks nothing: an agent
 * with a chat takes a call, an agent with a call takes no chat although
 * the units would fit. */
static void voice_blocks_chat_not_the_reverse(void **state) {
    (void)state;
    sb_profile_def p = units(200);
    p.cost[SB_CH_VOICE] = 100;
    p.max[SB_CH_VOICE] = 1;
    p.blocks[SB_CH_VOICE] = SB_CH_BIT(SB_CH_CHAT);
    p.cost[SB_CH_CHAT] = 25;
    p.max[SB_CH_CHAT] = 4;
    sc *s = scene(1, &p);
    sc_connect(s, 10, 1, 1, SB_CH_CHAT);
    assert_int_equal(sc_agent_info(s, 10).avail_mask,
                     SB_CH_BIT(SB_CH_VOICE) | SB_CH_BIT(SB_CH_CHAT));
    sc_connect(s, 10, 2, 1, SB_CH_VOICE);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.units_used, 125);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.avail_mask, 0); /* 150 would fit; the call blocks it */
    sc_arrive(s, 3, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 3), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    sc_end(s, 2);
    sc_assert_offered_at(s, 3, 10, 3000);
    assert_int_equal(sc_agent_info(s, 10).units_used, 50);
}

/* Email interruptible by voice: an agent with an email still gets a call;
 * one without that rule does not, although it has been idle longer. */
static void interruptible_email(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_profile_def p;
    sb_profile_default(&p);
    p.interruptible_by[SB_CH_EMAIL] = SB_CH_BIT(SB_CH_VOICE);
    sc_profile(s, 2, &p);
    sc_queue(s, 1, "");
    sc_agent(s, 20, "queues=1"); /* default profile, idle since 0 */
    sc_at(s, 100);
    sc_agent(s, 10, "queues=1 profile=2"); /* idle since 100 */
    sc_at(s, 200);
    sc_arrive(s, 1, 1, SB_CH_EMAIL, 0);
    sc_arrive(s, 2, 1, SB_CH_EMAIL, 0);
    assert_int_equal(sc_offered(s, 1), 20);
    assert_int_equal(sc_offered(s, 2), 10);
    sc_accept(s, 20, 1);
    sc_accept(s, 10, 2);
    assert_int_equal(sc_agent_info(s, 20).avail_mask, 0);
    assert_int_equal(sc_agent_info(s, 10).avail_mask, SB_CH_BIT(SB_CH_VOICE));
    sc_at(s, 300);
    sc_voice(s, 3, 1, 0);
    assert_int_equal(sc_offered(s, 3), 10);
    sc_accept(s, 10, 3);
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.count[SB_CH_EMAIL], 1);
    assert_int_equal(ai.count[SB_CH_VOICE], 1);
    assert_int_equal(ai.units_used, 200);
    assert_int_equal(ai.avail_mask, 0);
    /* a chat is not an interrupter: it waits */
    sc_arrive(s, 4, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 4), SB_IX_QUEUED);
}

/* Freed capacity is offered at once, to the best work across all the
 * agent's queues (here the earlier arrival, in the other queue). */
static void freed_capacity_offers_next_at_once(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1,2");
    sc_at(s, 100);
    for (sb_id id = 1; id <= 4; id++) {
        sc_arrive(s, id, 1, SB_CH_CHAT, 0);
        sc_accept(s, 10, id);
    }
    sc_at(s, 500);
    sc_arrive(s, 5, 2, SB_CH_CHAT, 0);
    sc_at(s, 600);
    sc_arrive(s, 6, 1, SB_CH_CHAT, 0);
    assert_int_equal(sc_ix_state(s, 5), SB_IX_QUEUED);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    sc_at(s, 3000);
    sc_mark(s);
    sc_end(s, 2);
    SC_EXPECT(s, 3000, {SB_EV_IX_COMPLETED, 2, 10}, {SB_EV_IX_OFFERED, 5, 10});
    assert_int_equal(s->log[s->mark + 1].queue, 2);
    assert_int_equal(s->log[s->mark + 1].value, 3000 + 10000);
    assert_int_equal(sc_ix_state(s, 6), SB_IX_QUEUED);
    /* a reject frees it too: the next chat is offered in that instant */
    sc_at(s, 4000);
    sc_mark(s);
    sc_reject(s, 10, 5);
    sc_assert_offered_at(s, 6, 10, 4000);
}

/* Offered, connected and wrap-up work all hold capacity and show in the
 * counts; completion gives it back. */
static void agent_info_counts(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.wrapup = SB_WRAPUP_OPTIONAL;
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "queues=1");
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_false(ai.busy);
    assert_int_equal(ai.units_used, 0);
    assert_int_equal(ai.avail_mask, 0x3f);
    sc_at(s, 1000);
    sc_arrive(s, 1, 1, SB_CH_CHAT, 0);
    ai = sc_agent_info(s, 10); /* offered */
    assert_true(ai.busy);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    assert_int_equal(ai.avail_mask, SB_CH_BIT(SB_CH_CHAT));
    sc_accept(s, 10, 1);
    ai = sc_agent_info(s, 10); /* connected */
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    sc_at(s, 2000);
    sc_end(s, 1);
    ai = sc_agent_info(s, 10); /* wrap-up */
    assert_int_equal(ai.state, SB_AGENT_WRAP_UP);
    assert_true(ai.busy);
    assert_int_equal(ai.count[SB_CH_CHAT], 1);
    assert_int_equal(ai.units_used, 25);
    sc_at(s, 3000);
    sc_wrapup_done(s, 1, 0);
    ai = sc_agent_info(s, 10);
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
    sb_profile_def p = units(50);
    p.cost[SB_CH_CHAT] = 25;
    p.max[SB_CH_CHAT] = 4;
    sc *s = scene(3, &p);
    chats(s, 1, 3);
    assert_int_equal(sc_offered(s, 3), 0);
    sc_at(s, 2000);
    sc_mark(s);
    p.units = 75;
    sc_profile(s, 3, &p);
    sc_assert_offered_at(s, 3, 10, 2000);
    assert_int_equal(sb_profile_remove(s->c, 3), SB_EINUSE);
    assert_int_equal(sb_profile_remove(s->c, 4), SB_ENOENT);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1 profile=4"), SB_ENOENT);
    assert_int_equal(sc_agent_spec(s, 10, "queues=1"), SB_OK); /* back to the default */
    assert_int_equal(sb_profile_remove(s->c, 3), SB_OK);
}

SB_TEST_GROUP(scenario_capacity, SC_TEST(units_and_costs), SC_TEST(per_channel_max),
              SC_TEST(default_profile_values), SC_TEST(default_profile_four_chats),
              SC_TEST(default_profile_voice_blocks_chat),
              SC_TEST(voice_blocks_chat_not_the_reverse), SC_TEST(interruptible_email),
              SC_TEST(freed_capacity_offers_next_at_once), SC_TEST(agent_info_counts),
              SC_TEST(profile_change_applies_at_once))
