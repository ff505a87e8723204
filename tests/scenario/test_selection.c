/* Scenarios: which agent a queue's selection strategy picks among the
 * eligible, available ones (longest idle, least occupied, most skilled,
 * round robin, random, broadcast). */
#include <stdio.h>
#include <string.h>

#include "scenario/harness.h"

/* Agents first..last (counting up or down) ready in queue 1, each logged
 * in gap ms after the one before: the first is the longest idle. */
/* From a mark: interactions first .. last arrive in queue on channel ch,
 * priority 0 (sc_offers then lists whom they were offered to, in order). */
static void arrivals(sc *s, sb_id first, sb_id last, sb_id queue, int ch) {
    sc_mark(s);
    for (sb_id ix = first; ix <= last; ix++)
        sc_arrive(s, ix, queue, ch, 0);
}

static void agents_in_turn(sc *s, sb_id first, sb_id last, int64_t gap) {
    for (sb_id a = first;; a = first < last ? a + 1 : a - 1) {
        if (a != first) sc_at(s, s->now + gap);
        sc_agent(s, a, "queues=1");
        if (a == last) break;
    }
}

/* ---- longest idle ------------------------------------------------------ */

/* Idle time counts from the end of the agent's last routed interaction;
 * an agent never used counts from its login.  Going not ready and ready
 * again does not make an agent "fresh". */
static void longest_idle_counts_from_last_end(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    agents_in_turn(s, 10, 11, 100); /* idle since 0 and 100 */

    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10);
    sc_voice(s, 101, 1, 0);
    assert_int_equal(sc_offered(s, 101), 11);
    sc_accept(s, 10, 100);
    sc_accept(s, 11, 101);

    sc_at(s, 1500);
    sc_end(s, 101); /* agent 11 idle since 1500 */
    sc_at(s, 1800);
    sc_agent(s, 12, "queues=1"); /* never used: idle since its login, 1800 */
    sc_at(s, 2000);
    sc_end(s, 100); /* agent 10 idle since 2000 */
    sc_at(s, 2500);
    sc_not_ready(s, 11, 0);
    sc_ready(s, 11); /* still idle since 1500 */

    assert_int_equal(sc_agent_info(s, 10).idle_since, 2000);
    assert_int_equal(sc_agent_info(s, 11).idle_since, 1500);
    assert_int_equal(sc_agent_info(s, 12).idle_since, 1800);

    sc_at(s, 3000);
    arrivals(s, 102, 104, 1, SB_CH_VOICE);
    /* finished at 1500; logged in at 1800, never used; finished at 2000 */
    sb_id got[8];
    SC_ASSERT_IDS(got, sc_offers(s, got, 8), 11, 12, 10);
}

/* A rejected offer is not work: the agent's idle time is unchanged, and
 * the next interaction still goes to it first. */
static void longest_idle_reject_keeps_idle_time(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    agents_in_turn(s, 10, 12, 100);
    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10);
    sc_at(s, 1200);
    sc_reject(s, 10, 100);
    assert_int_equal(sc_offered(s, 100), 11);
    assert_int_equal(sc_agent_info(s, 10).idle_since, 0);
    sc_mark(s);
    sc_voice(s, 101, 1, 0); /* 10 (idle since 0) before 12 (since 200) */
    assert_int_equal(sc_offered(s, 101), 10);
}

/* An agent that serves several queues takes work from one of them: in
 * the others it leaves contention, and when it frees up it is the most
 * recently idle there too, behind the agents that stayed idle. */
static void longest_idle_across_queues(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1,2"); /* idle since 0 */
    sc_at(s, 100);
    sc_agent(s, 11, "queues=1,2"); /* since 100 */
    sc_at(s, 200);
    sc_agent(s, 12, "queues=2");   /* since 200 */

    sc_at(s, 1000);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 10);
    sc_accept(s, 10, 100);
    sc_at(s, 1500);
    sc_end(s, 100); /* agent 10 idle since 1500, the latest */

    sc_at(s, 2000);
    arrivals(s, 101, 103, 2, SB_CH_VOICE);
    sb_id got[8];
    SC_ASSERT_IDS(got, sc_offers(s, got, 8), 11, 12, 10);
}

/* A removed agent's place in its queues goes with it, also when a new
 * agent is created after it (and may reuse its internal slot). */
static void longest_idle_removed_agent_leaves_no_trace(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_queue(s, 2, "");
    sc_agent(s, 10, "queues=1");
    sc_at(s, 100);
    sc_logout(s, 10);
    SC_OK(s, sb_agent_remove(s->c, s->now, 10));
    sc_agent(s, 20, "queues=2"); /* not a member of queue 1 */
    sc_at(s, 200);
    sc_mark(s);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 0);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    sc_voice(s, 101, 2, 0);
    assert_int_equal(sc_offered(s, 101), 20);
    sc_at(s, 300);
    sc_agent(s, 21, "queues=1");
    assert_int_equal(sc_offered(s, 100), 21);
}

/* Many agents free up and take work again across overlapping queues:
 * each interaction goes to the longest idle agent that serves its queue,
 * as a scan over the members in idle order would pick. */
static void longest_idle_many_cycles(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    enum { NQ = 4, NA = 12 };
    for (sb_id q = 1; q <= NQ; q++) sc_queue(s, q, "");
    int64_t idle[NA];
    bool busy[NA];
    char spec[64];
    for (int a = 0; a < NA; a++) {
        /* agent a serves queues a%NQ+1 and (a+1)%NQ+1 */
        snprintf(spec, sizeof(spec), "queues=%d,%d", a % NQ + 1, (a + 1) % NQ + 1);
        sc_at(s, 10 * a);
        sc_agent(s, (sb_id)(100 + a), spec);
        idle[a] = 10 * a;
        busy[a] = false;
    }
    sb_id next_ix = 1000;
    for (int round = 0; round < 60; round++) {
        sc_at(s, 1000 + 100 * round);
        sb_id q = (sb_id)(round * 7 % NQ + 1);
        /* the expected pick: the longest idle free member of q (ties by id) */
        int want = -1;
        for (int a = 0; a < NA; a++) {
            bool member = (sb_id)(a % NQ + 1) == q || (sb_id)((a + 1) % NQ + 1) == q;
            if (!member || busy[a]) continue;
            if (want < 0 || idle[a] < idle[want]) want = a;
        }
        sc_mark(s);
        sb_id ix = next_ix++;
        sc_voice(s, ix, q, 0);
        if (want < 0) {
            assert_int_equal(sc_offered(s, ix), 0);
            SC_OK(s, sb_interaction_cancel(s->c, s->now, ix));
        } else {
            assert_int_equal(sc_offered(s, ix), 100 + want);
            sc_accept(s, (sb_id)(100 + want), ix);
            busy[want] = true;
        }
        /* every third round, the agent busy longest ends its work */
        if (round % 3 == 2) {
            for (int a = 0; a < NA; a++) {
                if (!busy[a]) continue;
                sb_ix_info info = {0};
                for (sb_id i = 1000; i < next_ix; i++)
                    if (sb_interaction_info(s->c, i, &info) == SB_OK && info.agent == (sb_id)(100 + a) &&
                        info.state == SB_IX_CONNECTED) {
                        sc_end(s, i);
                        busy[a] = false;
                        idle[a] = s->now;
                        break;
                    }
                break;
            }
        }
    }
}

/* ---- least occupied ---------------------------------------------------- */

static void least_occupied_picks_lowest_load(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue_sel(s, 1, SB_SEL_LEAST_OCCUPIED, "");
    agents_in_turn(s, 10, 12, 10);

    /* Equal loads: longest idle breaks the tie; an offer already counts. */
    sc_at(s, 1000);
    arrivals(s, 1, 6, 1, SB_CH_CHAT);
    sb_id got[16];
    SC_ASSERT_IDS(got, sc_offers(s, got, 16), 10, 11, 12, 10, 11, 12);
    for (sb_id ix = 1; ix <= 6; ix++)
        sc_accept(s, sc_offered(s, ix), ix);

    sc_at(s, 2000);
    sc_end(s, 1); /* agent 10: one chat (25 units), idle since 2000 */
    sc_at(s, 2500);
    sc_end(s, 3);
    sc_end(s, 6); /* agent 12: no chat, idle since 2500 */
    const uint32_t units[3] = {25, 50, 0};
    for (sb_id a = 10; a <= 12; a++)
        assert_int_equal(sc_agent_info(s, a).units_used, units[a - 10]);

    /* Loads 25/50/0: the empty agent first although 11 is the longest
     * idle; then 10 (25, idle 2000) before 12 (25, idle 2500); then 12
     * (25 against 50/50); then, all at 50, the longest idle: 11. */
    sc_at(s, 3000);
    arrivals(s, 7, 10, 1, SB_CH_CHAT);
    SC_ASSERT_IDS(got, sc_offers(s, got, 16), 12, 10, 12, 11);
}

/* ---- most skilled ------------------------------------------------------ */

static void most_skilled_orders_by_level_then_idle(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_queue_def d = sc_qdef_all();
    d.selection = SB_SEL_MOST_SKILLED;
    d.order_by = "agent.skills.x";
    sc_queue_set(s, 1, &d);
    /* Logged in from the longest idle to the least: 13 (no skill x),
     * 14 (x:0), 10 (x:3), 12 (x:7), 11 (x:7). */
    sc_agent(s, 13, "skills=y:9 queues=1");
    sc_at(s, 10);
    sc_agent(s, 14, "skills=x:0 queues=1");
    sc_at(s, 20);
    sc_agent(s, 10, "skills=x:3 queues=1");
    sc_at(s, 30);
    sc_agent(s, 12, "skills=x:7 queues=1");
    sc_at(s, 40);
    sc_agent(s, 11, "skills=x:7 queues=1");

    sc_at(s, 1000);
    arrivals(s, 100, 104, 1, SB_CH_VOICE);
    /* 12 before 11: equal level, 12 idle longer (not the lower id) */
    sb_id got[8];
    SC_ASSERT_IDS(got, sc_offers(s, got, 8), 12, 11, 10, 14, 13);

    /* The idle tie-break follows the last end, too. */
    for (sb_id ix = 100; ix < 105; ix++)
        sc_accept(s, sc_offered(s, ix), ix);
    sc_at(s, 2000);
    sc_end(s, 100); /* agent 12 idle since 2000 */
    sc_at(s, 2100);
    sc_end(s, 101); /* agent 11 idle since 2100 */
    sc_at(s, 3000);
    sc_mark(s);
    sc_voice(s, 105, 1, 0);
    assert_int_equal(sc_offered(s, 105), 12);
}

/* A skill level changed by configuration moves the agent in the order. */
static void most_skilled_follows_level_change(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_step_def step = {"agent.skills.x > 0", 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.selection = SB_SEL_MOST_SKILLED;
    d.order_by = "agent.skills.x";
    sc_queue_set(s, 1, &d);
    sc_agent(s, 10, "skills=x:5 queues=1");
    sc_agent(s, 11, "skills=x:4 queues=1");
    sc_at(s, 500);
    assert_int_equal(sc_agent_spec(s, 11, "skills=x:6 queues=1"), SB_OK);
    sc_at(s, 1000);
    sc_mark(s);
    sc_voice(s, 100, 1, 0);
    assert_int_equal(sc_offered(s, 100), 11);
}

/* ---- round robin ------------------------------------------------------- */

static void round_robin_rotates(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sc_queue_sel(s, 1, SB_SEL_ROUND_ROBIN, "");
    agents_in_turn(s, 12, 10, 10);

    sb_id order[3];
    sb_id ix = 100;
    for (int round = 0; round < 3; round++) {
        int64_t t0 = 1000 + round * 10000;
        sc_at(s, t0);
        sc_mark(s);
        for (int k = 0; k < 3; k++)
            sc_voice(s, ix + (sb_id)k, 1, 0);
        sb_id got[8];
        assert_int_equal(sc_offers(s, got, 8), 3);
        if (round == 0) {
            /* every agent once, in some order */
            for (int k = 0; k < 3; k++)
                order[k] = got[k];
            assert_true(order[0] != order[1] && order[1] != order[2] && order[0] != order[2]);
            for (int k = 0; k < 3; k++)
                assert_true(order[k] >= 10 && order[k] <= 12);
        } else {
            for (int k = 0; k < 3; k++)
                assert_int_equal(got[k], order[k]);
        }
        for (int k = 0; k < 3; k++)
            sc_accept(s, got[k], ix + (sb_id)k);
        /* End in reverse order: longest idle would now start with the
         * last agent of the round; round robin starts with the first. */
        for (int k = 2; k >= 0; k--) {
            sc_at(s, t0 + 1000 + (2 - k) * 100);
            sc_end(s, ix + (sb_id)k);
        }
        ix += 3;
    }

    /* One at a time, each finished at once: still the same rotation. */
    for (int k = 0; k < 6; k++) {
        sc_at(s, 50000 + k * 1000);
        sc_mark(s);
        sc_voice(s, ix, 1, 0);
        assert_int_equal(sc_offered(s, ix), order[k % 3]);
        sc_accept(s, order[k % 3], ix);
        sc_end(s, ix);
        ix++;
    }
}

/* ---- random ------------------------------------------------------------ */

#define NPICKS 12

/* The picks of a random queue over NPICKS interactions, with seed. */
static void random_picks(uint64_t seed, sb_id *picks) {
    sc *s = sc_new(seed);
    sc_queue_sel(s, 1, SB_SEL_RANDOM, "agent.skills.x > 0");
    sc_agent(s, 10, "skills=x:1 queues=1");
    sc_agent(s, 11, "skills=x:1 queues=1");
    sc_agent(s, 12, "skills=x:1 queues=1");
    sc_agent(s, 13, "skills=y:1 queues=1");    /* member, not eligible */
    sc_agent_nr(s, 14, "skills=x:1 queues=1"); /* eligible, not ready */
    for (int i = 0; i < NPICKS; i++) {
        sb_id ix = 100 + (sb_id)i;
        sc_at(s, 1000 + i * 100);
        sc_mark(s);
        sc_voice(s, ix, 1, 0);
        assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, ix, 0), 1);
        picks[i] = sc_offered(s, ix);
        assert_true(picks[i] >= 10 && picks[i] <= 12);
        sc_accept(s, picks[i], ix);
        sc_end(s, ix);
    }
    sc_free(s);
}

static void random_is_seeded_and_reproducible(void **state) {
    (void)state;
    sb_id a[NPICKS], b[NPICKS];
    random_picks(42, a);
    random_picks(42, b);
    assert_memory_equal(a, b, sizeof(a));

    bool differs = false, seen[3] = {false, false, false};
    for (int i = 0; i < NPICKS; i++)
        seen[a[i] - 10] = true;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        sb_id o[NPICKS];
        random_picks(seed, o);
        differs |= memcmp(a, o, sizeof(a)) != 0;
        for (int i = 0; i < NPICKS; i++)
            seen[o[i] - 10] = true;
    }
    assert_true(differs);
    /* every eligible agent is picked at some point */
    assert_true(seen[0] && seen[1] && seen[2]);
}

/* ---- broadcast --------------------------------------------------------- */

/* Broadcast queue 1 offering to n agents at once, agents 10..last ready
 * in it, logged in gap ms apart; at 1000 (after the mark) interaction 100
 * arrives on channel ch. */
static sc *broadcast(uint32_t n, sb_id last, int64_t gap, int ch) {
    sc *s = sc_fresh(1);
    sc_queue_broadcast(s, 1, n);
    agents_in_turn(s, 10, last, gap);
    sc_at(s, 1000);
    sc_mark(s);
    sc_arrive(s, 100, 1, ch, 0);
    return s;
}

/* Interaction ix is offered, to n agents at once. */
static void assert_offered_to_n(const sc *s, sb_id ix, uint32_t n) {
    sb_ix_info info = sc_ix_info(s, ix);
    assert_int_equal(info.state, SB_IX_OFFERED);
    assert_int_equal(info.offers, n);
}

/* Offered to the n longest idle at once; the first accept wins, the other
 * offers are withdrawn and those agents are free again. */
static void broadcast_first_accept_wins(void **state) {
    (void)state;
    sc *s = broadcast(2, 12, 10, SB_CH_VOICE);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 2);
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 100, 10));
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 100, 11));
    assert_null(sc_find(s, SB_EV_IX_OFFERED, 100, 12));
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 10)->value, 11000);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, 100, 11)->value, 11000);
    assert_offered_to_n(s, 100, 2);

    sc_at(s, 1500);
    sc_mark(s);
    sc_accept(s, 11, 100);
    assert_non_null(sc_find(s, SB_EV_IX_ACCEPTED, 100, 11));
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 100, 0), 1);
    assert_non_null(sc_find(s, SB_EV_IX_WITHDRAWN, 100, 10));
    assert_int_equal(sc_count(s, SB_EV_IX_REJECTED, 0, 0) + sc_count(s, SB_EV_IX_TIMED_OUT, 0, 0),
                     0);
    sb_ix_info info = sc_ix_info(s, 100);
    assert_int_equal(info.state, SB_IX_CONNECTED);
    assert_int_equal(info.agent, 11);
    assert_int_equal(info.offers, 0);
    /* 10 is free again: ready, nothing counted, voice available */
    sb_agent_info ai = sc_agent_info(s, 10);
    assert_int_equal(ai.state, SB_AGENT_READY);
    assert_false(ai.busy);
    assert_int_equal(ai.count[SB_CH_VOICE], 0);
    assert_true(ai.avail_mask & SB_CH_BIT(SB_CH_VOICE));
    /* the withdrawn offer's lease no longer fires */
    sc_at(s, 20000);
    assert_int_equal(sc_count(s, SB_EV_IX_TIMED_OUT, 0, 0), 0);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_READY);

    /* the next one is broadcast to the free ones: 10 and 12 */
    sc_mark(s);
    sc_voice(s, 101, 1, 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 101, 0), 2);
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 101, 10));
    assert_non_null(sc_find(s, SB_EV_IX_OFFERED, 101, 12));
}

/* Chat agents keep room after an offer: a broadcast still offers each
 * agent once, even when n exceeds the agents available. */
static void broadcast_offers_each_agent_once(void **state) {
    (void)state;
    sc *s = broadcast(3, 11, 0, SB_CH_CHAT);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 2);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 10), 1);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 11), 1);
    assert_int_equal(sc_agent_info(s, 10).count[SB_CH_CHAT], 1);
}

/* A withdrawn broadcast agent is re-matched at once with waiting work. */
static void broadcast_withdrawn_agent_takes_waiting_work(void **state) {
    (void)state;
    sc *s = broadcast(2, 11, 10, SB_CH_VOICE);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 2);
    sc_at(s, 1100);
    sc_voice(s, 101, 1, 0); /* both agents hold an offer: it waits */
    assert_int_equal(sc_ix_state(s, 101), SB_IX_QUEUED);
    sc_at(s, 1500);
    sc_mark(s);
    sc_accept(s, 10, 100);
    int acc = sc_index(s, SB_EV_IX_ACCEPTED, 100, 10);
    int wd = sc_index(s, SB_EV_IX_WITHDRAWN, 100, 11);
    int off = sc_index(s, SB_EV_IX_OFFERED, 101, 11);
    assert_true(acc >= 0 && wd >= 0 && off >= 0);
    assert_true(wd < off && acc < off);
    assert_int_equal(s->log[off].at, 1500);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 1);
}

/* A reject by one broadcast agent leaves the other offers in place; when
 * all have declined, the interaction goes back to the queue. */
static void broadcast_rejects(void **state) {
    (void)state;
    sc *s = broadcast(3, 12, 0, SB_CH_VOICE);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 3);

    sc_at(s, 1200);
    sc_mark(s);
    sc_reject(s, 11, 100);
    assert_non_null(sc_find(s, SB_EV_IX_REJECTED, 100, 11));
    assert_int_equal(sc_count(s, SB_EV_IX_WITHDRAWN, 0, 0), 0);
    assert_int_equal(sc_count(s, SB_EV_IX_QUEUED, 0, 0), 0);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    assert_offered_to_n(s, 100, 2);
    /* the others can still accept ... */
    sc_at(s, 1300);
    sc_reject(s, 10, 100);
    assert_offered_to_n(s, 100, 1);
    /* ... until the last one declines too: back to the queue */
    sc_at(s, 1400);
    sc_mark(s);
    sc_reject(s, 12, 100);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 100, 0);
    assert_non_null(q);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(q->at, 1400);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 0, 0), 0);
    assert_int_equal(sc_explain(s, 100).excluded, 3);
    for (sb_id a = 10; a <= 12; a++)
        assert_int_equal(sc_agent_state(s, a), SB_AGENT_READY);

    /* a new agent gets it at once */
    sc_at(s, 2000);
    sc_mark(s);
    sc_agent(s, 13, "queues=1");
    assert_int_equal(sc_offered(s, 100), 13);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 1);
}

/* A broadcast agent logging out takes back only its own offer; the others
 * stay, and the interaction does not go back to the queue meanwhile. */
static void broadcast_logout_keeps_other_offers(void **state) {
    (void)state;
    sc *s = broadcast(2, 11, 0, SB_CH_VOICE);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 2);
    sc_at(s, 1200);
    sc_mark(s);
    sc_logout(s, 10);
    assert_non_null(sc_find(s, SB_EV_IX_WITHDRAWN, 100, 10));
    assert_int_equal(sc_count(s, SB_EV_IX_QUEUED, 100, 0), 0);
    assert_offered_to_n(s, 100, 1);
    sc_accept(s, 11, 100);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_CONNECTED);
}

/* When every broadcast offer times out, it is back in the queue at the
 * lease deadline exactly, and the silent agents are not responding. */
static void broadcast_all_time_out(void **state) {
    (void)state;
    sc *s = broadcast(2, 11, 0, SB_CH_VOICE);
    assert_int_equal(sc_count(s, SB_EV_IX_OFFERED, 100, 0), 2);
    sc_mark(s);
    sc_at(s, 10999);
    assert_int_equal(sc_count(s, SB_EV_IX_TIMED_OUT, 0, 0), 0);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_OFFERED);
    sc_at(s, 11000);
    const sb_event *t10 = sc_find(s, SB_EV_IX_TIMED_OUT, 100, 10);
    const sb_event *t11 = sc_find(s, SB_EV_IX_TIMED_OUT, 100, 11);
    const sb_event *q = sc_find(s, SB_EV_IX_QUEUED, 100, 0);
    assert_non_null(t10);
    assert_non_null(t11);
    assert_non_null(q);
    assert_int_equal(t10->at, 11000);
    assert_int_equal(t11->at, 11000);
    assert_int_equal(q->at, 11000);
    assert_int_equal(q->reason, SB_REASON_REQUEUE);
    assert_int_equal(sc_count(s, SB_EV_IX_QUEUED, 100, 0), 1);
    assert_true(q > t10 && q > t11);
    assert_int_equal(sc_ix_state(s, 100), SB_IX_QUEUED);
    assert_int_equal(sc_agent_state(s, 10), SB_AGENT_NOT_RESPONDING);
    assert_int_equal(sc_agent_state(s, 11), SB_AGENT_NOT_RESPONDING);
}

SB_TEST_GROUP(scenario_selection, SC_TEST(longest_idle_counts_from_last_end),
              SC_TEST(longest_idle_reject_keeps_idle_time), SC_TEST(longest_idle_across_queues),
              SC_TEST(longest_idle_removed_agent_leaves_no_trace),
              SC_TEST(longest_idle_many_cycles),
              SC_TEST(least_occupied_picks_lowest_load),
              SC_TEST(most_skilled_orders_by_level_then_idle),
              SC_TEST(most_skilled_follows_level_change), SC_TEST(round_robin_rotates),
              SC_TEST(random_is_seeded_and_reproducible), SC_TEST(broadcast_first_accept_wins),
              SC_TEST(broadcast_offers_each_agent_once),
              SC_TEST(broadcast_withdrawn_agent_takes_waiting_work), SC_TEST(broadcast_rejects),
              SC_TEST(broadcast_logout_keeps_other_offers), SC_TEST(broadcast_all_time_out))
