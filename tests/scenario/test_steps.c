/* Scenarios: bullseye steps.  An interaction first reaches only the
 * agents of step 0; each later step widens the set at queued_at + after_ms
 * exactly; the rings are cumulative; expressions may read the
 * interaction's attributes. */
#include "scenario/harness_extra.h"

/* Queue id with n steps: exprs[i] applies after after[i] ms. */
static void steps_queue(sc *s, sb_id id, const char *const *exprs, const int64_t *after,
                        uint32_t n) {
    sb_step_def steps[SB_MAX_STEPS];
    for (uint32_t i = 0; i < n; i++)
        steps[i] = (sb_step_def){exprs[i], after[i]};
    sb_queue_def d = sc_qdef(steps, n);
    sx_queue(s, id, &d);
}

static const char *const rings[3] = {"agent.teams has 'gold'", "agent.teams has 'silver'",
                                     "agent.teams has 'bronze'"};
static const int64_t ring_after[3] = {0, 5000, 12000};

/* Step 0 only reaches step-0 agents; at queued_at + 5000 exactly the
 * interaction moves to step 1 (interaction.step) and is offered to the
 * step-1 agent at that same time, in that order. */
static void step_one_applies_at_exact_time(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sx_agent_nr(s, 10, "teams=gold queues=1");
    sc_agent(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1"); /* in no step of this queue */

    sc_at(s, 1000);
    sc_mark(s);
    sx_voice(s, 100, 1, 0);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 100, 0);
    assert_non_null(q);
    assert_int_equal(q->step, 0);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    sb_explain ex;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 100, &ex), SB_OK);
    assert_int_equal(ex.step, 0);
    assert_int_equal(ex.nsteps, 2);
    assert_int_equal(ex.next_step_at, 6000);
    assert_int_equal(ex.eligible, 1); /* gold only */
    assert_int_equal(ex.available, 0);
    assert_int_equal(sb_core_next_deadline(s->c), 6000);

    sc_at(s, 5999);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);

    sc_at(s, 6000);
    int st = sx_index(s, SB_EV_IX_STEP, 100, 0);
    int of = sx_index(s, SB_EV_IX_OFFERED, 100, 11);
    assert_true(st >= 0 && of >= 0);
    assert_true(st < of);
    assert_int_equal(s->log[st].at, 6000);
    assert_int_equal(s->log[st].step, 1);
    assert_int_equal(s->log[st].queue, 1);
    assert_int_equal(s->log[of].at, 6000);
    assert_int_equal(s->log[of].value, 16000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sb_ix_info info;
    assert_int_equal(sb_interaction_info(s->c, 100, &info), SB_OK);
    assert_int_equal(info.step, 1);
    sc_free(s);
}

/* Three steps; only the step-2 agent is ready: nothing until 13000. */
static void three_steps(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sx_agent_nr(s, 10, "teams=gold queues=1");
    sx_agent_nr(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    sx_voice(s, 100, 1, 0);

    sc_at(s, 6000);
    const sb_event *e = sc_find(s, SB_EV_IX_STEP, 100, 0);
    assert_non_null(e);
    assert_int_equal(e->at, 6000);
    assert_int_equal(e->step, 1);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sb_explain ex;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 100, &ex), SB_OK);
    assert_int_equal(ex.step, 1);
    assert_int_equal(ex.eligible, 2);
    assert_int_equal(ex.not_ready, 2);
    assert_int_equal(ex.next_step_at, 13000);

    sc_at(s, 12999);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 1);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);

    sc_mark(s);
    sc_at(s, 13000);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 100, 0), 1);
    e = sc_find(s, SB_EV_IX_STEP, 100, 0);
    assert_int_equal(e->at, 13000);
    assert_int_equal(e->step, 2);
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, 100, 12);
    assert_non_null(o);
    assert_int_equal(o->at, 13000);
    assert_true(e < o);
    sc_free(s);
}

/* The steps count from queued_at, not from the queue's creation or the
 * clock: two interactions queued at different times move separately. */
static void steps_count_from_each_queued_at(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sx_agent_nr(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    sc_at(s, 3500);
    sx_voice(s, 101, 1, 0);
    sc_mark(s);
    sc_at(s, 20000);
    const sb_event *a = sc_find(s, SB_EV_IX_STEP, 100, 0);
    const sb_event *b = sc_find(s, SB_EV_IX_STEP, 101, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->at, 6000);
    assert_int_equal(b->at, 8500);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2); /* the last step has no timer */
    sc_free(s);
}

/* Rings are cumulative.  Agent side: a step-0 agent freeing up after the
 * interaction reached step 1 still gets it.  Interaction side: an
 * interaction at step 1 declined by the step-1 agent goes to the step-0
 * agent. */
static void rings_are_cumulative(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sx_agent_nr(s, 10, "teams=gold queues=1");
    sx_agent_nr(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    sx_voice(s, 101, 1, 0);
    sc_at(s, 6000);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2);

    sc_at(s, 7000);
    sc_mark(s);
    sx_ready(s, 10); /* gold: step 0, the interactions are at step 1 */
    assert_int_equal(sc_offered(s, 100), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 10)->at, 7000);

    sc_at(s, 7100);
    sc_mark(s);
    sx_ready(s, 11);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_at(s, 7200);
    sx_accept(s, 10, 100);
    sx_end(s, 100); /* 10 free again; 101 is offered to 11 */
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 10), 0);
    sc_at(s, 7300);
    sc_mark(s);
    sx_reject(s, 11, 101);
    assert_int_equal(sc_offered(s, 101), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 101, 10)->at, 7300);
    sc_free(s);
}

/* A rule that tightens with the step: step 0 wants level >= 8, step 1
 * level >= 5; the step-0 agent (level 9) is in both. */
static void nested_rings_pick_by_selection(void **state) {
    (void)state;
    sc *s = sc_new(1);
    const char *const ex[2] = {"agent.skills.x >= 8", "agent.skills.x >= 5"};
    const int64_t after[2] = {0, 3000};
    steps_queue(s, 1, ex, after, 2);
    sc_agent(s, 11, "skills=x:6 queues=1"); /* idle since 0: longest */
    sc_at(s, 100);
    sc_agent(s, 10, "skills=x:9 queues=1");
    sc_agent(s, 12, "skills=x:4 queues=1"); /* never */

    sc_at(s, 1000);
    sc_mark(s);
    sx_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10); /* 11 is idle longer, but not yet eligible */
    sx_voice(s, 101, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 3999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 4000);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_at(s, 60000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 12), 0);
    sc_free(s);
}

/* ---- expressions over the interaction ---------------------------------- */

/* Interaction side: the longest idle agents cannot take it; the walk finds
 * the first one that can. */
static void interaction_attrs_pick_agent(void **state) {
    (void)state;
    sc *s = sc_new(1);
    sc_queue(s, 1, "agent.languages has interaction.language");
    /* longest idle first: 10, 11, 12, 13, 14, 15 */
    const char *specs[6] = {"langs=en queues=1", "langs=en,fr queues=1", "langs=it queues=1",
                            "langs=de queues=1", "langs=fr,de queues=1", "langs=de queues=1"};
    for (int i = 0; i < 6; i++) {
        sc_at(s, i * 10);
        sc_agent(s, 10 + (sb_id)i, specs[i]);
    }
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(sc_ix(s, 100, 1, SB_CH_VOICE, 0, "language=de"), SB_OK);
    assert_int_equal(sc_offered(s, 100), 13);
    assert_int_equal(sc_ix(s, 101, 1, SB_CH_VOICE, 0, "language=de"), SB_OK);
    assert_int_equal(sc_offered(s, 101), 14);
    assert_int_equal(sc_ix(s, 102, 1, SB_CH_VOICE, 0, "language=fr"), SB_OK);
    assert_int_equal(sc_offered(s, 102), 11);
    assert_int_equal(sc_ix(s, 103, 1, SB_CH_VOICE, 0, "language=es"), SB_OK);
    assert_int_equal(sc_ix_state(s, 103), SB_IX_QUEUED);
    assert_int_equal(sc_ix(s, 104, 1, SB_CH_VOICE, 0, NULL), SB_OK); /* no language */
    assert_int_equal(sc_ix_state(s, 104), SB_IX_QUEUED);
    assert_int_equal(sc_ix(s, 105, 1, SB_CH_VOICE, 0, "language=en"), SB_OK);
    assert_int_equal(sc_offered(s, 105), 10);
    assert_int_equal(sc_ix(s, 106, 1, SB_CH_VOICE, 0, "language=de"), SB_OK);
    assert_int_equal(sc_offered(s, 106), 15);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 5);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 12), 0);

    /* a changed attribute re-matches the waiting one */
    sc_at(s, 2000);
    sc_mark(s);
    sb_attr at = {sb_core_sym(s->c, "language"), sb_val_str(sb_core_sym(s->c, "it"))};
    assert_int_equal(sb_interaction_set_attrs(s->c, s->now, 103, &at, 1), SB_OK);
    sc_collect(s);
    assert_int_equal(sc_offered(s, 103), 12);
    sc_free(s);
}

/* Agent side: the best waiting interactions cannot go to this agent; it
 * gets the best one it may take, deep in the heap. */
static void agent_finds_eligible_below_top(void **state) {
    (void)state;
    sc *s = sc_new(1);
    sc_queue(s, 1, "agent.languages has interaction.language");
    sx_agent_nr(s, 10, "langs=de queues=1");
    sx_agent_nr(s, 11, "langs=fr,de queues=1");
    sc_at(s, 1000);
    /* ten French ones with higher priorities, two German ones */
    for (int i = 0; i < 10; i++)
        assert_int_equal(sc_ix(s, 100 + (sb_id)i, 1, SB_CH_VOICE, 5 + i, "language=fr"), SB_OK);
    assert_int_equal(sc_ix(s, 200, 1, SB_CH_VOICE, 1, "language=de"), SB_OK);
    assert_int_equal(sc_ix(s, 201, 1, SB_CH_VOICE, 2, "language=de"), SB_OK);
    sc_at(s, 2000);
    sc_mark(s);
    sx_ready(s, 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    assert_int_equal(sc_offered(s, 201), 10); /* the better German one */
    sx_accept(s, 10, 201);
    sx_end(s, 201);
    assert_int_equal(sc_offered(s, 200), 10);
    sc_at(s, 3000);
    sc_mark(s);
    sx_ready(s, 11);
    assert_int_equal(sc_offered(s, 109), 11); /* the top: French, priority 14 */
    sc_free(s);
}

/* Steps mixing agent and interaction parts. */
static void mixed_steps(void **state) {
    (void)state;
    sc *s = sc_new(1);
    const char *const ex[2] = {"agent.languages has interaction.language and agent.skills.x >= 5",
                               "agent.languages has interaction.language"};
    const int64_t after[2] = {0, 4000};
    steps_queue(s, 1, ex, after, 2);
    sc_agent(s, 10, "langs=de skills=x:2 queues=1"); /* step 1 for German */
    sc_agent(s, 11, "langs=fr skills=x:9 queues=1"); /* step 0 for French */
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(sc_ix(s, 100, 1, SB_CH_VOICE, 0, "language=de"), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 4999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 5000);
    assert_int_equal(sc_offered(s, 100), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 10)->at, 5000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 11), 0);
    sc_free(s);
}

/* ---- eligibility changed by configuration ------------------------------ */

static void agent_set_makes_agent_eligible(void **state) {
    (void)state;
    sc *s = sc_new(1);
    sc_queue(s, 1, "agent.skills.billing >= 5");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "skills=billing:3 queues=1");
    sc_agent(s, 11, "skills=billing:9 queues=2"); /* not a member of 1 */
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    sx_voice(s, 101, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);

    sc_at(s, 2000);
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 10, "skills=billing:6 queues=1"), SB_OK);
    assert_int_equal(sc_offered(s, 100), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 10)->at, 2000);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY); /* state kept */

    sc_at(s, 3000);
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 11, "skills=billing:9 queues=2,1"), SB_OK);
    assert_int_equal(sc_offered(s, 101), 11);

    /* and the other way: no longer eligible, no longer offered */
    sc_at(s, 4000);
    sx_accept(s, 10, 100);
    sx_end(s, 100);
    assert_int_equal(sc_agent_spec(s, 10, "skills=billing:1 queues=1"), SB_OK);
    sc_mark(s);
    sx_voice(s, 102, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_free(s);
}

/* A configuration change that puts the agent in a later ring only: it gets
 * the interaction at once if that ring applies already, else when it does. */
static void agent_set_into_later_ring(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sc_agent(s, 10, "teams=none queues=1");
    sc_agent(s, 11, "teams=none queues=1");
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    sx_voice(s, 101, 1, 0);
    sc_at(s, 7000); /* both at step 1 */
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 10, "teams=silver queues=1"), SB_OK);
    assert_int_equal(sc_offered(s, 100), 10);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 10)->at, 7000);
    assert_int_equal(sc_agent_spec(s, 11, "teams=bronze queues=1"), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 12999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 13000);
    assert_int_equal(sc_offered(s, 101), 11);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 101, 11)->at, 13000);
    sc_free(s);
}

/* ---- steps replaced while interactions wait ---------------------------- */

/* Replacing the queue's steps re-evaluates the waiting interactions: the
 * new steps count from each one's original queued_at, and the queue still
 * holds each interaction once. */
static void queue_replace_applies_new_steps(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 1); /* gold only */
    sc_agent(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    sc_at(s, 2000);
    sx_voice(s, 101, 1, 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);

    /* at 3000: silver applies after 5000 ms of waiting */
    sc_at(s, 3000);
    sc_mark(s);
    steps_queue(s, 1, rings, ring_after, 2);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);
    sb_explain ex;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 101, &ex), SB_OK);
    assert_int_equal(ex.waiting, 2);
    assert_int_equal(ex.position, 2);
    assert_int_equal(ex.next_step_at, 7000);
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.waiting, 2);

    sc_at(s, 5999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 6000);
    assert_int_equal(sc_offered(s, 100), 11);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 11)->at, 6000);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
    sc_free(s);
}

/* Two interactions reach step 1 at the same instant; one step-1 agent is
 * ready: it gets the better one (priority first), whatever the order in
 * which their timers were armed. */
static void simultaneous_step_respects_priority(void **state) {
    (void)state;
    int failures = 0;
    for (int better_first = 0; better_first < 2; better_first++) {
        sc *s = sc_new(1);
        steps_queue(s, 1, rings, ring_after, 2);
        sc_agent(s, 11, "teams=silver queues=1");
        sc_at(s, 1000);
        sx_voice(s, 100, 1, better_first ? 5 : 0);
        sx_voice(s, 101, 1, better_first ? 0 : 5);
        sb_id best = better_first ? 100 : 101;
        sc_at(s, 5999);
        sc_mark(s);
        sc_at(s, 6000);
        assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2);
        if (sc_count(s, SB_EV_IX_OFFERED, 0, 0) != 1 || sc_offered(s, best) != 11) {
            print_message("wrong pick (better one armed %s):\n", better_first ? "first" : "second");
            sx_dump(s);
            failures++;
        }
        sc_free(s);
    }
    assert_int_equal(failures, 0);
}

/* Replacing a queue makes a waiting interaction eligible for two ready
 * agents: the queue's selection (longest idle) picks, not the order in
 * which the agents joined the queue. */
static void queue_replace_routes_by_selection(void **state) {
    (void)state;
    sc *s = sc_new(1);
    sc_queue(s, 1, "agent.skills.x > 5");
    assert_int_equal(sc_agent_spec(s, 10, "skills=x:1 queues=1"), SB_OK); /* joins first */
    sc_at(s, 100);
    sc_agent(s, 11, "skills=x:1 queues=1"); /* idle since 100 */
    sc_at(s, 500);
    assert_int_equal(sb_agent_login(s->c, s->now, 10), SB_OK);
    sx_ready(s, 10); /* idle since 500 */
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 2000);
    sc_mark(s);
    sc_queue(s, 1, "agent.skills.x > 0");
    uint32_t n = sc_count(s, SB_EV_IX_OFFERED, 0, 0);
    sb_id got = sc_offered(s, 100);
    if (got != 11) sx_dump(s);
    sc_free(s); /* before asserting: no leak when it fails */
    assert_int_equal(n, 1);
    assert_int_equal(got, 11);
}

/* An offer that times out after the next step's time: the interaction
 * comes back at the step its wait has reached (counted from its first
 * queued_at) and the later steps keep their times. */
static void requeue_resumes_at_reached_step(void **state) {
    (void)state;
    sc *s = sc_new(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sc_agent(s, 10, "teams=gold queues=1");
    sc_agent(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1");
    sc_at(s, 1000);
    sx_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10);
    sc_mark(s);
    sc_at(s, 10999);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 0); /* no steps while offered */
    sc_at(s, 11000);                                       /* the lease ends: waited 10 s, step 1 */
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 100, 0);
    assert_non_null(q);
    assert_int_equal(q->at, 11000);
    assert_int_equal(q->step, 1);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(sc_offered(s, 100), 11);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 11)->at, 11000);
    sc_at(s, 12000);
    sc_mark(s);
    sx_reject(s, 11, 100); /* 10 not responding, 11 excluded, 12 not yet */
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sb_explain ex;
    assert_int_equal(sb_interaction_explain(s->c, s->now, 100, &ex), SB_OK);
    assert_int_equal(ex.step, 1);
    assert_int_equal(ex.next_step_at, 13000);
    sc_at(s, 13000);
    const sb_event *st = sc_find(s, SB_EV_IX_STEP, 100, 0);
    assert_non_null(st);
    assert_int_equal(st->at, 13000);
    assert_int_equal(st->step, 2);
    assert_int_equal(sc_offered(s, 100), 12);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 12)->at, 13000);
    sc_free(s);
}

/* An "or" with an interaction part: the agent-only part decides for some
 * agents; for the others the interaction decides, per interaction. */
static void interaction_part_or_agent_part(void **state) {
    (void)state;
    sc *s = sc_new(1);
    sc_queue(s, 1,
             "agent.teams has 'gold' or (interaction.priority >= 5 and interaction.vip = true)");
    sc_agent(s, 10, "teams=silver queues=1"); /* longest idle, not gold */
    sc_at(s, 10);
    sc_agent(s, 11, "teams=gold queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(sc_ix(s, 100, 1, SB_CH_VOICE, 9, "vip=false"), SB_OK);
    assert_int_equal(sc_offered(s, 100), 11); /* 10 fails the interaction part */
    assert_int_equal(sc_ix(s, 101, 1, SB_CH_VOICE, 4, "vip=true"), SB_OK);
    assert_int_equal(sc_ix_state(s, 101), SB_IX_QUEUED);
    assert_int_equal(sc_ix(s, 102, 1, SB_CH_VOICE, 5, "vip=true"), SB_OK);
    assert_int_equal(sc_offered(s, 102), 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 2);
    sc_free(s);
}

SB_TEST_GROUP(scenario_steps, cmocka_unit_test(step_one_applies_at_exact_time),
              cmocka_unit_test(three_steps), cmocka_unit_test(steps_count_from_each_queued_at),
              cmocka_unit_test(rings_are_cumulative),
              cmocka_unit_test(nested_rings_pick_by_selection),
              cmocka_unit_test(interaction_attrs_pick_agent),
              cmocka_unit_test(agent_finds_eligible_below_top), cmocka_unit_test(mixed_steps),
              cmocka_unit_test(agent_set_makes_agent_eligible),
              cmocka_unit_test(agent_set_into_later_ring),
              cmocka_unit_test(queue_replace_applies_new_steps),
              cmocka_unit_test(simultaneous_step_respects_priority),
              cmocka_unit_test(queue_replace_routes_by_selection),
              cmocka_unit_test(requeue_resumes_at_reached_step),
              cmocka_unit_test(interaction_part_or_agent_part))
