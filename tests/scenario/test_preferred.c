/* Scenarios: preferred-agent and last-agent routing.  While the wait
 * limit runs only the preferred agent may get the interaction; after it,
 * or when that agent cannot take it at all, routing is normal. */
#include "scenario/harness.h"

/* A voice interaction for queue 1 waiting for `pref` for wait_ms. */
static int pref_ix(sc *s, sb_id id, sb_id pref, int64_t wait_ms) {
    sb_interaction_def d = {.id = id,
                            .queue = 1,
                            .channel = SB_CH_VOICE,
                            .preferred_agent = pref,
                            .preferred_wait_ms = wait_ms};
    return sc_ix_def(s, &d);
}

/* A voice interaction of a customer for queue q. */
static int cust_ix(sc *s, sb_id id, sb_id q, const char *customer) {
    sb_interaction_def d = {
        .id = id, .queue = q, .channel = SB_CH_VOICE, .customer = sb_core_sym(s->c, customer)};
    return sc_ix_def(s, &d);
}

/* ---- preferred agent --------------------------------------------------- */

/* Queue 1 (every member) with agent 10 ready and agent 11 logged in but
 * not ready; the clock at 1000. */
static sc *ten_ready_eleven_not(sc *s) {
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    sc_agent_nr(s, 11, "queues=1");
    sc_at(s, 1000);
    return s;
}

static void preferred_only_during_wait(void **state) {
    (void)state;
    sc *s = ten_ready_eleven_not(sc_fresh(1));
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 5000), SB_OK);
    const sb_event *p = sc_find(s, SB_EV_IX_PREFERRED, 100, 0);
    assert_non_null(p);
    assert_int_equal(p->target, 11);
    assert_int_equal(p->value, 6000);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0); /* 10 is ready: not offered */
    sb_explain ex = sc_explain(s, 100);
    assert_int_equal(ex.preferred_agent, 11);
    assert_int_equal(ex.preferred_until, 6000);

    /* other agents coming ready do not get it either */
    sc_at(s, 2000);
    sc_agent(s, 12, "queues=1");
    sc_not_ready(s, 10, 0);
    sc_ready(s, 10);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);

    /* the preferred one does, within the limit (1 ms before it) */
    sc_at(s, 5999);
    sc_ready(s, 11);
    sc_assert_offered_at(s, 100, 11, 5999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sc_at(s, 6000);
    assert_int_equal(sc_count(s, SB_EV_IX_QUEUED, 100, 0), 1); /* no expiry once offered */
}

/* A busy preferred agent gets it when its call ends within the limit. */
static void preferred_gets_it_when_free(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 11, "queues=1");
    sc_at(s, 10);
    sc_agent(s, 10, "queues=1");
    sc_at(s, 500);
    sc_voice(s, 99, 1, 0);
    assert_int_equal(sc_offered(s, 99), 11);
    sc_accept(s, 11, 99);
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 30000), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 4000);
    sc_end(s, 99);
    sc_assert_offered_at(s, 100, 11, 4000);
}

/* At the limit exactly the interaction routes normally. */
static void preferred_wait_expires_exactly(void **state) {
    (void)state;
    sc *s = ten_ready_eleven_not(sc_fresh(1));
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 5000), SB_OK);
    assert_int_equal(sb_core_next_deadline(s->c), 6000);
    sc_at(s, 5999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    assert_int_equal(sc_count(s, SB_EV_IX_QUEUED, 100, 0), 1);
    sc_at(s, 6000);
    const sb_event *q = NULL;
    for (uint32_t i = s->mark; i < s->nlog; i++)
        if (s->log[i].type == SB_EV_IX_QUEUED && s->log[i].ix == 100) q = &s->log[i];
    assert_non_null(q);
    assert_int_equal(q->reason, SB_REASON_PREFERRED_EXPIRED);
    assert_int_equal(q->at, 6000);
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, 100, 10);
    assert_non_null(o);
    assert_int_equal(o->at, 6000);
    assert_true(q < o);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
}

/* A late caller (one advance far past the limit) sees the same: the
 * expiry and the offer happen at the limit, not at the call. */
static void preferred_wait_expiry_fires_on_time(void **state) {
    (void)state;
    sc *s = ten_ready_eleven_not(sc_fresh(1));
    assert_int_equal(pref_ix(s, 100, 11, 5000), SB_OK);
    sc_mark(s);
    sb_core_advance(s->c, 9000);
    s->now = 9000;
    sc_collect(s);
    const sb_event *o = sc_find(s, SB_EV_IX_OFFERED, 100, 10);
    assert_non_null(o);
    assert_int_equal(o->at, 6000);
    assert_int_equal(o->value, 16000);
}

/* Without a limit it waits for the preferred agent for good. */
static void preferred_without_limit_waits(void **state) {
    (void)state;
    sc *s = ten_ready_eleven_not(sc_fresh(1));
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 0), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_PREFERRED, 100, 0)->value, 0);
    sc_at(s, 10000000);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_ready(s, 11);
    assert_int_equal(sc_offered(s, 100), 11);
}

/* A logged-out preferred agent: normal routing at once, whether it is
 * logged out at arrival or logs out while the interaction waits. */
static void preferred_logged_out_routes_normally(void **state) {
    (void)state;
    sc *s = sc_fresh_simple();
    assert_int_equal(sc_agent_spec(s, 11, "queues=1"), SB_OK); /* never logged in */
    sc_agent_nr(s, 12, "queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 60000), SB_OK);
    sc_assert_offered_at(s, 100, 10, 1000);

    sc_at(s, 1500);
    sc_accept(s, 10, 100);
    sc_end(s, 100);
    sc_mark(s);
    assert_int_equal(pref_ix(s, 101, 12, 60000), SB_OK); /* 12 logged in, not ready */
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 2000);
    sc_logout(s, 12);
    sc_assert_offered_at(s, 101, 10, 2000);
}

/* A reject (or a timeout) by the preferred agent: normal routing at once,
 * and the preferred agent is not offered it again. */
static void preferred_reject_routes_normally(void **state) {
    (void)state;
    sc *s = sc_fresh_simple(); /* agent 10: the longest idle */
    sc_at(s, 10);
    sc_agent(s, 11, "queues=1");
    sc_at(s, 1000);
    sc_mark(s);
    assert_int_equal(pref_ix(s, 100, 11, 60000), SB_OK);
    assert_int_equal(sc_offered(s, 100), 11); /* not 10, the longest idle */
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
    sc_at(s, 1500);
    sc_mark(s);
    sc_reject(s, 11, 100);
    sc_assert_offered_at(s, 100, 10, 1500);
    sc_at(s, 1600);
    sc_reject(s, 10, 100); /* everyone declined: it waits */
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 1);

    /* timeout */
    sc_at(s, 2000);
    assert_int_equal(pref_ix(s, 101, 11, 60000), SB_OK);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_mark(s);
    sc_at(s, 12000);
    assert_non_null(sc_find(s, SB_EV_IX_TIMED_OUT, 101, 11));
    sc_assert_offered_at(s, 101, 10, 12000);
}

/* Two interactions wait for the same preferred agent and are released at
 * the same instant to one free agent: the better one (priority) gets it,
 * both when the limits expire together and when the preferred agent
 * logs out. */
static void preferred_release_respects_priority(void **state) {
    (void)state;
    int failures = 0;
    for (int logout = 0; logout < 2; logout++) {
        for (int better_first = 0; better_first < 2; better_first++) {
            sc *s = ten_ready_eleven_not(sc_new(1));
            sb_interaction_def lo = {.id = 100,
                                     .queue = 1,
                                     .channel = SB_CH_VOICE,
                                     .priority = 0,
                                     .preferred_agent = 11,
                                     .preferred_wait_ms = 5000};
            sb_interaction_def hi = lo;
            hi.id = 101;
            hi.priority = 5;
            assert_int_equal(sc_ix_def(s, better_first ? &hi : &lo), SB_OK);
            assert_int_equal(sc_ix_def(s, better_first ? &lo : &hi), SB_OK);
            sc_mark(s);
            if (logout) {
                sc_at(s, 2000);
                sc_logout(s, 11);
            } else {
                sc_at(s, 6000);
            }
            failures +=
                !sc_only_offer(s, 101, 10, "%s, better one created %s",
                               logout ? "preferred agent logs out" : "limits expire together",
                               better_first ? "first" : "second");
            sc_free(s);
        }
    }
    assert_int_equal(failures, 0);
}

/* ---- last agent -------------------------------------------------------- */

/* Queue 1 (every member) preferring the customer's last agent for 30 s,
 * with queue 2 (an ordinary one) too if asked; agents 10 (idle since 0)
 * and 11 (since 100) serve them all; the clock at 1000. */
static sc *last_agent_scene(bool with_queue_2) {
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.last_agent_ms = 30000;
    sc_queue_set(s, 1, &d);
    if (with_queue_2) sc_queue(s, 2, "");
    const char *spec = with_queue_2 ? "queues=1,2" : "queues=1";
    sc_agent(s, 10, spec);
    sc_at(s, 100);
    sc_agent(s, 11, spec);
    sc_at(s, 1000);
    return s;
}

/* The customer's next interaction goes to the agent who last accepted
 * one of theirs (not the one merely offered), other customers' to the
 * longest idle; a queue without the rule ignores the history. */
static void last_agent_routing(void **state) {
    (void)state;
    sc *s = last_agent_scene(true);
    assert_int_equal(cust_ix(s, 100, 1, "cust-a"), SB_OK); /* no history yet */
    assert_int_equal(sc_count(s, SB_EV_IX_PREFERRED, 100, 0), 0);
    assert_int_equal(sc_offered(s, 100), 10);
    sc_reject(s, 10, 100);
    assert_int_equal(sc_offered(s, 100), 11);
    sc_accept(s, 11, 100);
    sc_at(s, 2000);
    sc_end(s, 100); /* 11 idle since 2000; 10 since 0 */

    sc_at(s, 3000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 101, 1, "cust-a"), SB_OK);
    const sb_event *p = sc_find(s, SB_EV_IX_PREFERRED, 101, 0);
    assert_non_null(p);
    assert_int_equal(p->target, 11);
    assert_int_equal(p->value, 33000);
    assert_int_equal(sc_offered(s, 101), 11); /* not 10, the longest idle */
    sc_accept(s, 11, 101);
    sc_at(s, 3500);
    sc_end(s, 101);

    /* another customer: normal routing */
    sc_at(s, 4000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 102, 1, "cust-b"), SB_OK);
    assert_int_equal(sc_offered(s, 102), 10);
    assert_int_equal(sc_count(s, SB_EV_IX_PREFERRED, 0, 0), 0);
    sc_reject(s, 10, 102);
    sc_accept(s, 11, 102);
    sc_end(s, 102);

    /* a queue without the rule: longest idle (10), history ignored */
    sc_at(s, 5000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 103, 2, "cust-a"), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_PREFERRED, 0, 0), 0);
    assert_int_equal(sc_offered(s, 103), 10);
    sc_accept(s, 10, 103); /* 10 now last accepted cust-a */
    sc_end(s, 103);

    sc_at(s, 6000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 104, 1, "cust-a"), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_PREFERRED, 104, 0)->target, 10);
    assert_int_equal(sc_offered(s, 104), 10);
}

/* The last agent is busy: it waits for it within the window, goes to it
 * when it frees up in time, and routes normally at the end of the window
 * exactly otherwise. */
static void last_agent_window(void **state) {
    (void)state;
    sc *s = last_agent_scene(false);
    assert_int_equal(cust_ix(s, 100, 1, "cust-a"), SB_OK);
    sc_accept(s, 10, 100); /* last agent of cust-a: 10, busy from now */

    sc_at(s, 2000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 101, 1, "cust-a"), SB_OK);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0); /* 11 ready, not offered */
    sc_at(s, 9000);
    sc_end(s, 100);
    sc_assert_offered_at(s, 101, 10, 9000);
    sc_accept(s, 10, 101);

    sc_at(s, 10000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 102, 1, "cust-a"), SB_OK);
    assert_int_equal(sc_find(s, SB_EV_IX_PREFERRED, 102, 0)->value, 40000);
    sc_at(s, 39999);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    sc_at(s, 40000);
    sc_assert_offered_at(s, 102, 11, 40000);
}

/* The last agent logged out: normal routing at once. */
static void last_agent_logged_out(void **state) {
    (void)state;
    sc *s = last_agent_scene(false);
    assert_int_equal(cust_ix(s, 100, 1, "cust-a"), SB_OK);
    sc_accept(s, 10, 100);
    sc_end(s, 100);
    sc_logout(s, 10);
    sc_at(s, 2000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 101, 1, "cust-a"), SB_OK);
    sc_assert_offered_at(s, 101, 11, 2000);
}

/* Last-agent routing is a preference among the agents who may take the
 * interaction: a last agent who does not serve this queue (or fails its
 * rule) is not waited for and never offered it. */
static void last_agent_must_serve_the_queue(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_step_def step = {"agent.skills.billing > 0", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.last_agent_ms = 30000;
    sc_queue_set(s, 1, &d);
    sc_queue(s, 2, "");
    sc_agent(s, 12, "queues=2");                  /* sales only */
    sc_agent(s, 13, "skills=billing:0 queues=1"); /* member, fails the rule */
    sc_at(s, 100);
    sc_agent(s, 10, "skills=billing:5 queues=1");
    sc_at(s, 1000);
    assert_int_equal(cust_ix(s, 100, 2, "cust-a"), SB_OK);
    assert_int_equal(sc_offered(s, 100), 12);
    sc_accept(s, 12, 100);
    sc_end(s, 100);
    sb_interaction_def tr = {.id = 101,
                             .queue = 2,
                             .channel = SB_CH_VOICE,
                             .customer = sb_core_sym(s->c, "cust-b"),
                             .preferred_agent = 13,
                             .preferred_wait_ms = 1000};
    assert_int_equal(sc_ix_def(s, &tr), SB_OK); /* explicit preference: 13 takes it */
    assert_int_equal(sc_offered(s, 101), 13);
    sc_accept(s, 13, 101);
    sc_end(s, 101);

    sc_at(s, 2000);
    sc_mark(s);
    assert_int_equal(cust_ix(s, 102, 1, "cust-a"), SB_OK);
    assert_int_equal(cust_ix(s, 103, 1, "cust-b"), SB_OK);
    sb_id got102 = sc_offered(s, 102), got103 = sc_offered(s, 103);
    if (got102 != 10 || got103 != 0) sc_dump(s);
    assert_int_equal(got102, 10); /* at once; not 12, who does not serve queue 1 */
    assert_int_equal(got103, 0);  /* not 13, who fails the queue's rule */
}

SB_TEST_GROUP(scenario_preferred, SC_TEST(preferred_only_during_wait),
              SC_TEST(preferred_gets_it_when_free), SC_TEST(preferred_wait_expires_exactly),
              SC_TEST(preferred_wait_expiry_fires_on_time), SC_TEST(preferred_without_limit_waits),
              SC_TEST(preferred_logged_out_routes_normally),
              SC_TEST(preferred_reject_routes_normally),
              SC_TEST(preferred_release_respects_priority), SC_TEST(last_agent_routing),
              SC_TEST(last_agent_window), SC_TEST(last_agent_logged_out),
              SC_TEST(last_agent_must_serve_the_queue))
