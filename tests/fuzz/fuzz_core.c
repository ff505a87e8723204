/* libFuzzer target: the routing core driven by arbitrary call sequences.
 *
 * The input is a byte program: each op is an opcode byte and argument
 * bytes, applied to a small center (queues with steps, an interaction-
 * dependent expression, broadcast, limits and overflow, wrap-up modes,
 * a chat-heavy capacity profile).  Time moves forward by what the input
 * says.  After every op the core's counters must agree with what it
 * reports object by object; any crash, sanitizer report or leak is a
 * finding.  Every call's status is allowed: bad calls must be refused
 * cleanly, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core.h"

#define NAG 6
#define NQ 4
#define NIX 64

static sb_core *setup(void) {
    sb_core *c = sb_core_new(7);
    sb_profile_def chatty;
    sb_profile_default(&chatty);
    chatty.cost[SB_CH_CHAT] = 20;
    chatty.max[SB_CH_CHAT] = 5;
    chatty.interruptible_by[SB_CH_EMAIL] = SB_CH_BIT(SB_CH_VOICE);
    sb_profile_set(c, 0, 1, &chatty);
    sb_step_def s1[] = {{"agent.skills.a >= 3", 0}, {"agent.skills.a >= 1", 500}, {"", 2000}};
    sb_step_def s2[] = {{"agent.languages has interaction.lang or interaction.vip = true", 0}};
    sb_step_def s3[] = {{"", 0}};
    sb_queue_def q1 = {.steps = s1, .nsteps = 3, .offer_timeout_ms = 300, .aging_per_s = 1,
                       .wrapup = SB_WRAPUP_MANDATORY_TIMEOUT, .wrapup_timeout_ms = 400,
                       .max_wait_ms = 5000};
    sb_queue_def q2 = {.steps = s2, .nsteps = 1, .offer_timeout_ms = 200, .selection = SB_SEL_LEAST_OCCUPIED,
                       .wrapup = SB_WRAPUP_OPTIONAL, .last_agent_ms = 300};
    sb_queue_def q3 = {.steps = s3, .nsteps = 1, .offer_timeout_ms = 250, .selection = SB_SEL_BROADCAST,
                       .broadcast_n = 3, .max_length = 4};
    sb_queue_def q4 = {.steps = s3, .nsteps = 1, .offer_timeout_ms = 250, .selection = SB_SEL_ROUND_ROBIN,
                       .max_length = 3, .full_overflow = 3, .max_wait_ms = 900, .max_wait_overflow = 1};
    sb_queue_set(c, 0, 1, &q1, NULL, NULL);
    sb_queue_set(c, 0, 2, &q2, NULL, NULL);
    sb_queue_set(c, 0, 3, &q3, NULL, NULL);
    sb_queue_set(c, 0, 4, &q4, NULL, NULL);
    sb_sym a = sb_core_sym(c, "a"), en = sb_core_sym(c, "en"), de = sb_core_sym(c, "de");
    for (sb_id i = 1; i <= NAG; i++) {
        sb_skill sk = {a, (int32_t)(i % 5)};
        sb_sym langs[] = {i % 2 ? en : de};
        sb_id queues[] = {1, 2, 3, 4};
        sb_agent_def d = {.skills = &sk, .nskills = 1, .languages = langs, .nlanguages = 1,
                          .queues = queues, .nqueues = (uint32_t)(1 + i % 4), .profile = i % 3 ? 1 : 0};
        sb_agent_set(c, 0, i, &d);
    }
    return c;
}

/* Counters against objects: waiting and offers add up. */
static void check(sb_core *c) {
    sb_core_stats st;
    sb_core_stats_get(c, &st);
    int64_t waiting = 0;
    for (sb_id q = 1; q <= NQ; q++) waiting += sb_queue_waiting(c, q);
    if (waiting != st.waiting) abort();
    uint32_t live = 0, offers = 0, queued = 0;
    for (sb_id ix = 1; ix < NIX; ix++) {
        sb_ix_info info;
        if (sb_interaction_info(c, ix, &info) != SB_OK) continue;
        live++;
        offers += info.offers;
        queued += info.state == SB_IX_QUEUED;
        if (info.state < SB_IX_QUEUED || info.state > SB_IX_WRAP_UP) abort();
        if ((info.state == SB_IX_OFFERED) != (info.offers > 0)) abort();
        if ((info.state == SB_IX_CONNECTED || info.state == SB_IX_WRAP_UP) != (info.agent != 0)) abort();
    }
    if (live != st.interactions || offers != st.offers || queued != st.waiting) abort();
    for (sb_id a = 1; a <= NAG; a++) {
        sb_agent_info ai;
        if (sb_agent_info_get(c, a, &ai) != SB_OK) abort();
        if (ai.state == SB_AGENT_LOGGED_OUT && ai.busy) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sb_core *c = setup();
    int64_t now = 0;
    sb_sym lang = sb_core_sym(c, "lang"), vip = sb_core_sym(c, "vip");
    sb_sym langs[] = {sb_core_sym(c, "en"), sb_core_sym(c, "de")};
    for (size_t i = 0; i + 3 <= size; i += 3) {
        uint8_t op = data[i] % 16, x = data[i + 1], y = data[i + 2];
        sb_id ix = 1 + x % (NIX - 1), ag = 1 + y % NAG, q = 1 + y % NQ;
        switch (op) {
        case 0: now += x * 7; sb_core_advance(c, now); break;
        case 1: {
            sb_attr at[] = {{lang, sb_val_str(langs[y & 1])}, {vip, sb_val_bool(y & 2)}};
            sb_interaction_def d = {.id = ix, .queue = q, .channel = (uint8_t)(y % SB_CH_COUNT),
                                    .priority = (int32_t)(x % 3), .attrs = at, .nattrs = 2,
                                    .customer = (y & 4) ? langs[0] : 0,
                                    .preferred_agent = (y & 8) ? ag : 0, .preferred_wait_ms = x % 4 * 100};
            sb_interaction_create(c, now, &d);
            break;
        }
        case 2: sb_agent_login(c, now, ag); break;
        case 3: sb_agent_ready(c, now, ag); break;
        case 4: sb_agent_not_ready(c, now, ag, x % 3); break;
        case 5: sb_agent_logout(c, now, ag); break;
        case 6: sb_offer_accept(c, now, ag, ix); break;
        case 7: sb_offer_reject(c, now, ag, ix); break;
        case 8: sb_interaction_end(c, now, ix); break;
        case 9: sb_wrapup_complete(c, now, ix, y % 2); break;
        case 10: sb_interaction_abandon(c, now, ix); break;
        case 11: sb_interaction_transfer_queue(c, now, ix, q, y & 16); break;
        case 12: sb_interaction_transfer_agent(c, now, ix, ag, (y & 3) * 150); break;
        case 13: sb_queue_set_open(c, now, q, x & 1); break;
        case 14: {
            sb_explain e;
            sb_interaction_explain(c, now, ix, &e);
            break;
        }
        case 15: {
            sb_attr at[] = {{lang, sb_val_str(langs[x & 1])}};
            sb_interaction_set_attrs(c, now, ix, at, 1);
            break;
        }
        }
        uint32_t n;
        sb_core_events(c, &n);
        sb_core_events_clear(c);
        check(c);
    }
    sb_core_free(c);
    return 0;
}
