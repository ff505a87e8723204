/* Scenarios: bullseye steps.  An interaction first reaches only the
 * agents of step 0; each later step widens the set at queued_at + after_ms
 * exactly; the rings are cumulative; expressions may read the
 * interaction's attributes. */
#include "base/mem.h"
#include "scenario/harness.h"

/* Queue id with n steps: exprs[i] applies after after[i] ms. */
static void steps_queue(sc *s, sb_id id, const char *const *exprs, const int64_t *after,
                        uint32_t n) {
    sb_step_def steps[SB_MAX_STEPS];
    for (uint32_t i = 0; i < n; i++)
        steps[i] = (sb_step_def){exprs[i], after[i]};
    sb_queue_def d = sc_qdef(steps, n);
    sc_queue_set(s, id, &d);
}

static const char *const rings[3] = {"agent.teams has 'gold'", "agent.teams has 'silver'",
                                     "agent.teams has 'bronze'"};
static const int64_t ring_after[3] = {0, 5000, 12000};

/* Since the mark, ix moved to `step` at t; returns that event. */
static const sb_event *assert_step(const sc *s, sb_id ix, int64_t t, int step) {
    const sb_event *e = sc_find(s, SB_EV_IX_STEP, ix, 0);
    assert_non_null(e);
    assert_int_equal(e->at, t);
    assert_int_equal(e->step, step);
    return e;
}

/* Voice interaction id (attributes attrs, may be NULL) arrives in queue 1;
 * returns the agent it was offered to at once, or 0. */
static sb_id arrive_offered(sc *s, sb_id id, int priority, const char *attrs) {
    assert_int_equal(sc_ix(s, id, 1, SB_CH_VOICE, priority, attrs), SB_OK);
    return sc_offered(s, id);
}

/* Step 0 only reaches step-0 agents; at queued_at + 5000 exactly the
 * interaction moves to step 1 (interaction.step) and is offered to the
 * step-1 agent at that same time, in that order. */
static void step_one_applies_at_exact_time(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sc_agent_nr(s, 10, "teams=gold queues=1");
    sc_agent(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1"); /* in no step of this queue */

    sc_at(s, 1000);
    sc_mark(s);
    sc_voice(s, 100, 1, 0);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 100, 0);
    assert_non_null(q);
    assert_int_equal(q->step, 0);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    sb_explain ex = sc_explain(s, 100);
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
    int st = sc_index(s, SB_EV_IX_STEP, 100, 0);
    int of = sc_index(s, SB_EV_IX_OFFERED, 100, 11);
    assert_true(st >= 0 && of >= 0);
    assert_true(st < of);
    assert_int_equal(s->log[st].at, 6000);
    assert_int_equal(s->log[st].step, 1);
    assert_int_equal(s->log[st].queue, 1);
    assert_int_equal(s->log[of].at, 6000);
    assert_int_equal(s->log[of].value, 16000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    assert_int_equal(sc_ix_info(s, 100).step, 1);
}

/* Three steps; only the step-2 agent is ready: nothing until 13000. */
static void three_steps(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sc_agent_nr(s, 10, "teams=gold queues=1");
    sc_agent_nr(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    sc_voice(s, 100, 1, 0);

    sc_at(s, 6000);
    assert_step(s, 100, 6000, 1);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sb_explain ex = sc_explain(s, 100);
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
    const sb_event *e = assert_step(s, 100, 13000, 2);
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, 100, 12);
    assert_non_null(o);
    assert_int_equal(o->at, 13000);
    assert_true(e < o);
}

/* The steps count from queued_at, not from the queue's creation or the
 * clock: two interactions queued at different times move separately. */
static void steps_count_from_each_queued_at(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sc_agent_nr(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    sc_at(s, 3500);
    sc_voice(s, 101, 1, 0);
    sc_mark(s);
    sc_at(s, 20000);
    assert_step(s, 100, 6000, 1);
    assert_step(s, 101, 8500, 1);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2); /* the last step has no timer */
}

/* Rings are cumulative.  Agent side: a step-0 agent freeing up after the
 * interaction reached step 1 still gets it.  Interaction side: an
 * interaction at step 1 declined by the step-1 agent goes to the step-0
 * agent. */
static void rings_are_cumulative(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 2);
    sc_agent_nr(s, 10, "teams=gold queues=1");
    sc_agent_nr(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    sc_voice(s, 101, 1, 0);
    sc_at(s, 6000);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2);

    sc_at(s, 7000);
    sc_mark(s);
    sc_ready(s, 10); /* gold: step 0, the interactions are at step 1 */
    sc_assert_offered_at(s, 100, 10, 7000);

    sc_at(s, 7100);
    sc_mark(s);
    sc_ready(s, 11);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_at(s, 7200);
    sc_accept(s, 10, 100);
    sc_end(s, 100); /* 10 free again; 101 is offered to 11 */
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 10), 0);
    sc_at(s, 7300);
    sc_mark(s);
    sc_reject(s, 11, 101);
    sc_assert_offered_at(s, 101, 10, 7300);
}

/* A rule that tightens with the step: step 0 wants level >= 8, step 1
 * level >= 5; the step-0 agent (level 9) is in both. */
static void nested_rings_pick_by_selection(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    const char *const ex[2] = {"agent.skills.x >= 8", "agent.skills.x >= 5"};
    const int64_t after[2] = {0, 3000};
    steps_queue(s, 1, ex, after, 2);
    sc_agent(s, 11, "skills=x:6 queues=1"); /* idle since 0: longest */
    sc_at(s, 100);
    sc_agent(s, 10, "skills=x:9 queues=1");
    sc_agent(s, 12, "skills=x:4 queues=1"); /* never */

    sc_at(s, 1000);
    sc_mark(s);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10); /* 11 is idle longer, but not yet eligible */
    sc_voice(s, 101, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 3999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 4000);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_at(s, 60000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 12), 0);
}

/* ---- expressions over the interaction ---------------------------------- */

/* Interaction side: the longest idle agents cannot take it; the walk finds
 * the first one that can. */
static void interaction_attrs_pick_agent(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
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
    assert_int_equal(arrive_offered(s, 100, 0, "language=de"), 13);
    assert_int_equal(arrive_offered(s, 101, 0, "language=de"), 14);
    assert_int_equal(arrive_offered(s, 102, 0, "language=fr"), 11);
    assert_int_equal(arrive_offered(s, 103, 0, "language=es"), 0);
    assert_int_equal(sc_ix_state(s, 103), SB_IX_QUEUED);
    assert_int_equal(arrive_offered(s, 104, 0, NULL), 0); /* no language */
    assert_int_equal(sc_ix_state(s, 104), SB_IX_QUEUED);
    assert_int_equal(arrive_offered(s, 105, 0, "language=en"), 10);
    assert_int_equal(arrive_offered(s, 106, 0, "language=de"), 15);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 5);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 12), 0);

    /* a changed attribute re-matches the waiting one */
    sc_at(s, 2000);
    sc_mark(s);
    sb_attr at = {sb_core_sym(s->c, "language"), sb_val_str(sb_core_sym(s->c, "it"))};
    SC_OK(s, sb_interaction_set_attrs(s->c, s->now, 103, &at, 1));
    assert_int_equal(sc_offered(s, 103), 12);
}

/* Agent side: the best waiting interactions cannot go to this agent; it
 * gets the best one it may take, deep in the heap. */
static void agent_finds_eligible_below_top(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "agent.languages has interaction.language");
    sc_agent_nr(s, 10, "langs=de queues=1");
    sc_agent_nr(s, 11, "langs=fr,de queues=1");
    sc_at(s, 1000);
    /* ten French ones with higher priorities, two German ones */
    for (int i = 0; i < 10; i++)
        assert_int_equal(arrive_offered(s, 100 + (sb_id)i, 5 + i, "language=fr"), 0);
    assert_int_equal(arrive_offered(s, 200, 1, "language=de"), 0);
    assert_int_equal(arrive_offered(s, 201, 2, "language=de"), 0);
    sc_at(s, 2000);
    sc_mark(s);
    sc_ready(s, 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    assert_int_equal(sc_offered(s, 201), 10); /* the better German one */
    sc_accept(s, 10, 201);
    sc_end(s, 201);
    assert_int_equal(sc_offered(s, 200), 10);
    sc_at(s, 3000);
    sc_mark(s);
    sc_ready(s, 11);
    assert_int_equal(sc_offered(s, 109), 11); /* the top: French, priority 14 */
}

/* Steps mixing agent and interaction parts. */
static void mixed_steps(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    const char *const ex[2] = {"agent.languages has interaction.language and agent.skills.x >= 5",
                               "agent.languages has interaction.language"};
    const int64_t after[2] = {0, 4000};
    steps_queue(s, 1, ex, after, 2);
    sc_agent(s, 10, "langs=de skills=x:2 queues=1"); /* step 1 for German */
    sc_agent(s, 11, "langs=fr skills=x:9 queues=1"); /* step 0 for French */
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(arrive_offered(s, 100, 0, "language=de"), 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 4999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 5000);
    sc_assert_offered_at(s, 100, 10, 5000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 11), 0);
}

/* ---- eligibility changed by configuration ------------------------------ */

static void agent_set_makes_agent_eligible(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "agent.skills.billing >= 5");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "skills=billing:3 queues=1");
    sc_agent(s, 11, "skills=billing:9 queues=2"); /* not a member of 1 */
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    sc_voice(s, 101, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);

    sc_at(s, 2000);
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 10, "skills=billing:6 queues=1"), SB_OK);
    sc_assert_offered_at(s, 100, 10, 2000);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY); /* state kept */

    sc_at(s, 3000);
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 11, "skills=billing:9 queues=2,1"), SB_OK);
    assert_int_equal(sc_offered(s, 101), 11);

    /* and the other way: no longer eligible, no longer offered */
    sc_at(s, 4000);
    sc_accept(s, 10, 100);
    sc_end(s, 100);
    assert_int_equal(sc_agent_spec(s, 10, "skills=billing:1 queues=1"), SB_OK);
    sc_mark(s);
    sc_voice(s, 102, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
}

/* A configuration change that puts the agent in a later ring only: it gets
 * the interaction at once if that ring applies already, else when it does. */
static void agent_set_into_later_ring(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sc_agent(s, 10, "teams=none queues=1");
    sc_agent(s, 11, "teams=none queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    sc_voice(s, 101, 1, 0);
    sc_at(s, 7000); /* both at step 1 */
    sc_mark(s);
    assert_int_equal(sc_agent_spec(s, 10, "teams=silver queues=1"), SB_OK);
    sc_assert_offered_at(s, 100, 10, 7000);
    assert_int_equal(sc_agent_spec(s, 11, "teams=bronze queues=1"), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 12999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 0);
    sc_at(s, 13000);
    sc_assert_offered_at(s, 101, 11, 13000);
}

/* ---- steps replaced while interactions wait ---------------------------- */

/* Replacing the queue's steps re-evaluates the waiting interactions: the
 * new steps count from each one's original queued_at, and the queue still
 * holds each interaction once. */
static void queue_replace_applies_new_steps(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 1); /* gold only */
    sc_agent(s, 11, "teams=silver queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    sc_at(s, 2000);
    sc_voice(s, 101, 1, 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);

    /* at 3000: silver applies after 5000 ms of waiting */
    sc_at(s, 3000);
    sc_mark(s);
    steps_queue(s, 1, rings, ring_after, 2);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    assert_int_equal(sb_queue_waiting(s->c, 1), 2);
    sb_explain ex = sc_explain(s, 101);
    assert_int_equal(ex.waiting, 2);
    assert_int_equal(ex.position, 2);
    assert_int_equal(ex.next_step_at, 7000);
    sb_core_stats st;
    sb_core_stats_get(s->c, &st);
    assert_int_equal(st.waiting, 2);

    sc_at(s, 5999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 6000);
    sc_assert_offered_at(s, 100, 11, 6000);
    assert_int_equal(sb_queue_waiting(s->c, 1), 1);
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
        sc_voice(s, 100, 1, better_first ? 5 : 0);
        sc_voice(s, 101, 1, better_first ? 0 : 5);
        sb_id best = better_first ? 100 : 101;
        sc_at(s, 5999);
        sc_mark(s);
        sc_at(s, 6000);
        assert_int_equal(sc_count(s, SB_EV_IX_STEP, 0, 0), 2);
        failures +=
            !sc_only_offer(s, best, 11, "better one armed %s", better_first ? "first" : "second");
        sc_free(s);
    }
    assert_int_equal(failures, 0);
}

/* Replacing a queue makes a waiting interaction eligible for two ready
 * agents: the queue's selection (longest idle) picks, not the order in
 * which the agents joined the queue. */
static void queue_replace_routes_by_selection(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "agent.skills.x > 5");
    assert_int_equal(sc_agent_spec(s, 10, "skills=x:1 queues=1"), SB_OK); /* joins first */
    sc_at(s, 100);
    sc_agent(s, 11, "skills=x:1 queues=1"); /* idle since 100 */
    sc_at(s, 500);
    sc_login_ready(s, 10); /* idle since 500 */
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 2000);
    sc_mark(s);
    sc_queue(s, 1, "agent.skills.x > 0");
    uint32_t n = sc_count(s, SB_EV_IX_OFFERED, 0, 0);
    sb_id got = sc_offered(s, 100);
    if (got != 11) sc_dump(s);
    assert_int_equal(n, 1);
    assert_int_equal(got, 11);
}

/* An offer that times out after the next step's time: the interaction
 * comes back at the step its wait has reached (counted from its first
 * queued_at) and the later steps keep their times. */
static void requeue_resumes_at_reached_step(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    steps_queue(s, 1, rings, ring_after, 3);
    sc_agent(s, 10, "teams=gold queues=1");
    sc_agent(s, 11, "teams=silver queues=1");
    sc_agent(s, 12, "teams=bronze queues=1");
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
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
    sc_assert_offered_at(s, 100, 11, 11000);
    sc_at(s, 12000);
    sc_mark(s);
    sc_reject(s, 11, 100); /* 10 not responding, 11 excluded, 12 not yet */
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sb_explain ex = sc_explain(s, 100);
    assert_int_equal(ex.step, 1);
    assert_int_equal(ex.next_step_at, 13000);
    sc_at(s, 13000);
    assert_step(s, 100, 13000, 2);
    sc_assert_offered_at(s, 100, 12, 13000);
}

/* An "or" with an interaction part: the agent-only part decides for some
 * agents; for the others the interaction decides, per interaction. */
static void interaction_part_or_agent_part(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1,
             "agent.teams has 'gold' or (interaction.priority >= 5 and interaction.vip = true)");
    sc_agent(s, 10, "teams=silver queues=1"); /* longest idle, not gold */
    sc_at(s, 10);
    sc_agent(s, 11, "teams=gold queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(arrive_offered(s, 100, 9, "vip=false"),
                     11); /* 10 fails the interaction part */
    assert_int_equal(arrive_offered(s, 101, 4, "vip=true"), 0);
    assert_int_equal(sc_ix_state(s, 101), SB_IX_QUEUED);
    assert_int_equal(arrive_offered(s, 102, 5, "vip=true"), 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 2);
}

/* Timers with one deadline fire in the order they were armed, wherever
 * they wait: queues 1 and 2 (same steps) share a timer lane, queue 3's
 * step timers (another step time) another, and a preferred wait is in
 * the heap.  The first of the shared lane is abandoned before it fires,
 * leaving a hole at the lane's head. */
static void equal_deadlines_fire_in_arming_order(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    static const char *const all[2] = {"", ""};
    static const int64_t after5[2] = {0, 5000}, after3[2] = {0, 3000};
    steps_queue(s, 1, all, after5, 2);
    steps_queue(s, 2, all, after5, 2);
    steps_queue(s, 3, all, after3, 2);
    steps_queue(s, 4, all, after5, 1);
    sc_agent_nr(s, 20, "queues=4");
    sc_at(s, 1000);
    sc_voice(s, 106, 1, 0); /* due at 6000, abandoned at 4000 */
    sc_voice(s, 100, 1, 0); /* due at 6000 */
    sc_voice(s, 101, 2, 0); /* due at 6000, same lane */
    sc_at(s, 2500);
    sb_interaction_def d = {.id = 105,
                            .queue = 4,
                            .channel = SB_CH_VOICE,
                            .preferred_agent = 20,
                            .preferred_wait_ms = 3500};
    assert_int_equal(sc_ix_def(s, &d), SB_OK); /* parked until 6000 */
    sc_at(s, 3000);
    sc_voice(s, 102, 3, 0); /* due at 6000, its own lane */
    sc_at(s, 4000);
    SC_OK(s, sb_interaction_abandon(s->c, s->now, 106));
    assert_int_equal(sb_core_next_deadline(s->c), 6000);
    sc_mark(s);
    sc_at(s, 7000);
    const int at[4] = {sc_index(s, SB_EV_IX_STEP, 100, 0), sc_index(s, SB_EV_IX_STEP, 101, 0),
                       sc_index(s, SB_EV_IX_QUEUED, 105, 0), sc_index(s, SB_EV_IX_STEP, 102, 0)};
    for (int i = 0; i < 4; i++) {
        assert_true(at[i] >= 0);
        assert_int_equal(s->log[at[i]].at, 6000);
        if (i) assert_true(at[i - 1] < at[i]); /* in arming order */
    }
    assert_int_equal(s->log[at[2]].reason, SB_REASON_PREFERRED_EXPIRED);
    assert_int_equal(sc_count(s, SB_EV_IX_STEP, 106, 0), 0);
    assert_int_equal(sb_core_next_deadline(s->c), INT64_MAX);
}

/* A burst's step timers fill a lane's ring; the core gives that memory
 * back as the burst drains (the ring halves while its span is an eighth
 * of it), and the timers still armed fire at their times.  The core is
 * driven directly, its events dropped, so that only its own memory is
 * counted (sb_mem_used). */
static void lane_ring_shrinks_after_burst(void **state) {
    (void)state;
    enum { N = 20000, KEEP = 10 };
    sb_core *c = sb_core_new(1);
    sb_step_def steps[2] = {{"agent.teams has 'gold'", 0}, {"", 20000}};
    sb_queue_def d = {.steps = steps, .nsteps = 2, .offer_timeout_ms = 10000};
    assert_int_equal(sb_queue_set(c, 0, 1, &d, NULL, NULL), SB_OK);
    for (sb_id id = 1; id <= N; id++) {
        sb_interaction_def ix = {.id = id, .queue = 1, .channel = SB_CH_CHAT};
        assert_int_equal(sb_interaction_create(c, 0, &ix), SB_OK);
        sb_core_events_clear(c);
    }
    size_t burst = sb_mem_used();
    for (sb_id id = 1; id <= N - KEEP; id++) { /* they hang up, first first */
        assert_int_equal(sb_interaction_abandon(c, 1000, id), SB_OK);
        sb_core_events_clear(c);
    }
    /* The lane's ring (32,768 entries of 24 bytes) and the waiting
     * queue's (32,768 slots of 32) are back to 64 each: 1.8 MB. */
    size_t drained = sb_mem_used();
    assert_true(burst > drained && burst - drained >= 1700000);
    sb_core_advance(c, 20000);
    uint32_t n;
    const sb_event *ev = sb_core_events(c, &n);
    uint32_t stepped = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ev[i].type != SB_EV_IX_STEP) continue;
        assert_true(ev[i].ix > N - KEEP);
        assert_int_equal(ev[i].at, 20000);
        assert_int_equal(ev[i].step, 1);
        stepped++;
    }
    assert_int_equal(stepped, KEEP);
    assert_int_equal(sb_queue_waiting(c, 1), KEEP);
    sb_core_free(c);
}

SB_TEST_GROUP(scenario_steps, SC_TEST(step_one_applies_at_exact_time), SC_TEST(three_steps),
              SC_TEST(steps_count_from_each_queued_at), SC_TEST(rings_are_cumulative),
              SC_TEST(nested_rings_pick_by_selection), SC_TEST(interaction_attrs_pick_agent),
              SC_TEST(agent_finds_eligible_below_top), SC_TEST(mixed_steps),
              SC_TEST(agent_set_makes_agent_eligible), SC_TEST(agent_set_into_later_ring),
              SC_TEST(queue_replace_applies_new_steps),
              SC_TEST(simultaneous_step_respects_priority),
              SC_TEST(queue_replace_routes_by_selection), SC_TEST(requeue_resumes_at_reached_step),
              SC_TEST(equal_deadlines_fire_in_arming_order),
              SC_TEST(interaction_part_or_agent_part),
              cmocka_unit_test(lane_ring_shrinks_after_burst))
