/* demo.c: `switchboard demo`, a small scripted day over the routing core
 * that prints every offer and assignment as it happens.  Until the server
 * exists, this is what `make run` shows. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "base/status.h"
#include "core/core.h"

static void drain(sb_core *c) {
    uint32_t n;
    const sb_event *ev = sb_core_events(c, &n);
    char line[256];
    for (uint32_t i = 0; i < n; i++) {
        sb_event_format(&ev[i], line, sizeof(line));
        printf("  %s\n", line);
    }
    sb_core_events_clear(c);
}

static void say(sb_core *c, int64_t t, const char *what, int rc) {
    printf("t=%lld %s%s%s\n", (long long)t, what, rc ? " -> " : "", rc ? sb_status_name(rc) : "");
    drain(c);
}

/* Fire the timers due up to t, one deadline at a time, printing each. */
static void run_until(sb_core *c, int64_t t) {
    int64_t d;
    while ((d = sb_core_next_deadline(c)) <= t) {
        sb_core_advance(c, d);
        printf("t=%lld timers fired\n", (long long)d);
        drain(c);
    }
    sb_core_advance(c, t);
}

int sb_app_demo(int argc, char **argv) {
    (void)argc;
    (void)argv;
    sb_core *c = sb_core_new(42);
    sb_sym billing = sb_core_sym(c, "billing"), en = sb_core_sym(c, "en"),
           de = sb_core_sym(c, "de");
    enum { Q_BILLING = 1, Q_SUPPORT = 2 };
    sb_step_def steps[] = {{"agent.skills.billing >= 5", 0},
                           {"agent.skills.billing >= 1", 10000}};
    sb_queue_def qd = {.steps = steps, .nsteps = 2, .offer_timeout_ms = 8000,
                       .wrapup = SB_WRAPUP_MANDATORY_TIMEOUT, .wrapup_timeout_ms = 5000};
    say(c, 0, "queue 1 (billing): expert step, then any billing skill after 10 s",
        sb_queue_set(c, 0, Q_BILLING, &qd, NULL, NULL));
    sb_step_def any[] = {{"agent.languages has interaction.language", 0}};
    sb_queue_def sd = {.steps = any, .nsteps = 1, .offer_timeout_ms = 8000, .aging_per_s = 0.5};
    say(c, 0, "queue 2 (support): language match, priority aging 0.5/s",
        sb_queue_set(c, 0, Q_SUPPORT, &sd, NULL, NULL));

    sb_skill expert = {billing, 8}, junior = {billing, 2};
    sb_sym langs_a[] = {en}, langs_b[] = {en, de};
    sb_id both[] = {Q_BILLING, Q_SUPPORT};
    sb_agent_def a1 = {.skills = &expert, .nskills = 1, .languages = langs_a, .nlanguages = 1,
                       .queues = both, .nqueues = 2};
    sb_agent_def a2 = {.skills = &junior, .nskills = 1, .languages = langs_b, .nlanguages = 2,
                       .queues = both, .nqueues = 2};
    say(c, 0, "agent 101 (billing 8, en) and 102 (billing 2, en+de) log in",
        sb_agent_set(c, 0, 101, &a1) | sb_agent_set(c, 0, 102, &a2) | sb_agent_login(c, 0, 101) |
            sb_agent_login(c, 0, 102));

    sb_interaction_def ix = {.id = 1, .queue = Q_BILLING, .channel = SB_CH_VOICE};
    say(c, 1000, "call 1 arrives in billing; nobody is ready", sb_interaction_create(c, 1000, &ix));
    say(c, 2000, "agent 102 goes ready (too junior for step 1)", sb_agent_ready(c, 2000, 102));
    run_until(c, 11000);
    say(c, 11500, "agent 102 accepts call 1", sb_offer_accept(c, 11500, 102, 1));

    sb_attr lang = {sb_core_sym(c, "language"), sb_val_str(de)};
    sb_interaction_def chat = {.id = 2, .queue = Q_SUPPORT, .channel = SB_CH_CHAT,
                               .attrs = &lang, .nattrs = 1};
    say(c, 12000, "chat 2 (German) arrives in support; 102 is on a call, which blocks chats",
        sb_interaction_create(c, 12000, &chat));
    say(c, 13000, "agent 101 goes ready: speaks no German, so chat 2 keeps waiting",
        sb_agent_ready(c, 13000, 101));
    sb_explain ex;
    sb_interaction_explain(c, 13000, 2, &ex);
    printf("  explain chat 2: position %u of %u, step %u/%u, eligible %u, available %u, "
           "blocked by capacity %u\n",
           ex.position, ex.waiting, ex.step + 1, ex.nsteps, ex.eligible, ex.available,
           ex.blocked_by_capacity);
    say(c, 20000, "call 1 ends: agent 102 enters mandatory wrap-up", sb_interaction_end(c, 20000, 1));
    say(c, 22000, "agent 102 sends wrap-up code 7: ready again, takes chat 2",
        sb_wrapup_complete(c, 22000, 1, 7));
    say(c, 23000, "agent 102 accepts chat 2", sb_offer_accept(c, 23000, 102, 2));
    ix.id = 3;
    say(c, 24000, "call 3 arrives in billing; expert 101 is ready",
        sb_interaction_create(c, 24000, &ix));
    run_until(c, 33000);
    say(c, 33000, "agent 101 missed it: it is not-responding; 102 has a chat (calls need the whole capacity)",
        0);
    sb_core_stats st;
    sb_core_stats_get(c, &st);
    printf("end: %u agents, %u queues, %u live interactions, %u waiting\n", st.agents, st.queues,
           st.interactions, st.waiting);
    sb_core_free(c);
    return 0;
}
