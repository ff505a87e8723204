/* harness.h: scripted-time scenarios over the routing core.
 *
 * A scenario owns a core and a clock.  sc_at() moves the clock, firing
 * every timer at its own deadline; every event the core emits is copied
 * into the scenario's log, where the sc_* queries look.  Agents and
 * interactions are described with short specs so a test reads like the
 * rule it pins:
 *
 *   sc_agent(s, 7, "skills=billing:5,sales:2 langs=en,de teams=gold queues=1,2");
 *   sc_ix(s, 100, 1, SB_CH_CHAT, 0, "language=de vip=true amount=30");
 *
 * The action helpers (sc_accept, sc_end, ...) act at the scenario's
 * current time (s->now), assert that the core said SB_OK and copy the
 * events they caused into the log.  A test registered with SC_TEST and
 * holding its scenario from sc_fresh() has it freed by the teardown even
 * when it fails half-way. */
#ifndef SB_TESTS_SCENARIO_HARNESS_H
#define SB_TESTS_SCENARIO_HARNESS_H

#include "base/status.h"
#include "core/core.h"
#include "unit/test.h"

typedef struct sc {
    sb_core *c;
    int64_t now;
    sb_event *log;
    uint32_t nlog, cap, mark;
} sc;

/* ---- lifetime ----------------------------------------------------------- */

sc *sc_new(uint64_t seed);
void sc_free(sc *s);
/* The scenario of the running test (at most one at a time), freed by the
 * SC_TEST teardown if the test has not freed it itself. */
sc *sc_fresh(uint64_t seed);
/* The usual start: sc_fresh(1), queue 1 (one step, every member) and
 * agent 10 ready in it, at time 0. */
sc *sc_fresh_simple(void);
/* cmocka teardown: frees the sc_fresh() scenario still alive, if any. */
int sc_teardown(void **state);
#define SC_TEST(f) cmocka_unit_test_teardown(f, sc_teardown)

/* ---- clock and log ------------------------------------------------------ */

/* Copy the core's pending events into the log. */
void sc_collect(sc *s);
/* Advance to t (>= now), firing timers at their deadlines. */
void sc_at(sc *s, int64_t t);
/* Later queries look only at events logged after this call. */
void sc_mark(sc *s);

/* Assert that call returned SB_OK, then collect the events it caused. */
#define SC_OK(s, call)                                                                             \
    do {                                                                                           \
        assert_int_equal((call), SB_OK);                                                           \
        sc_collect(s);                                                                             \
    } while (0)

/* ---- queues and profiles ------------------------------------------------ */

/* A queue definition with sensible test defaults: the given steps,
 * longest idle, offer timeout 10 s, no wrap-up, no limits. */
sb_queue_def sc_qdef(sb_step_def *steps, uint32_t nsteps);
/* The same with one step that takes every member (the step is static:
 * the definition may be kept and changed between sc_queue_set calls). */
sb_queue_def sc_qdef_all(void);
/* Create a queue with one step; asserts success. */
void sc_queue(sc *s, sb_id id, const char *expr);
/* Create or replace a queue from a full definition; asserts success and
 * reports the failing step and the expression error otherwise. */
void sc_queue_set(sc *s, sb_id id, const sb_queue_def *d);
/* A one-step queue ("" = every member) with the given selection. */
void sc_queue_sel(sc *s, sb_id id, int selection, const char *expr);
/* A one-step queue (every member) that offers each interaction to the n
 * longest idle agents at once. */
void sc_queue_broadcast(sc *s, sb_id id, uint32_t n);
/* Create or replace a capacity profile; asserts success. */
void sc_profile(sc *s, sb_id id, const sb_profile_def *d);

/* ---- agents ------------------------------------------------------------- */

/* Create or update an agent from a spec (skills= langs= teams= queues=
 * profile= attrs=name:value,...; attr values: numbers, true/false, else
 * strings); returns the core's status. */
int sc_agent_spec(sc *s, sb_id id, const char *spec);
/* Same, asserting success, then login + ready. */
void sc_agent(sc *s, sb_id id, const char *spec);
/* Same, asserting success, then login only: logged in but not ready. */
void sc_agent_nr(sc *s, sb_id id, const char *spec);
void sc_login(sc *s, sb_id agent);
/* Login, then ready. */
void sc_login_ready(sc *s, sb_id agent);
void sc_ready(sc *s, sb_id agent);
void sc_not_ready(sc *s, sb_id agent, sb_id reason);
void sc_logout(sc *s, sb_id agent);

/* ---- interactions ------------------------------------------------------- */

/* Create an interaction; attrs spec "name=value ..." (may be NULL);
 * returns the core's status. */
int sc_ix(sc *s, sb_id id, sb_id queue, int channel, int priority, const char *attrs);
/* Create an interaction from a full definition (id, queue, channel, ...);
 * returns the core's status. */
int sc_ix_def(sc *s, const sb_interaction_def *d);
/* An interaction with no attributes; asserts it was accepted. */
void sc_arrive(sc *s, sb_id id, sb_id queue, int channel, int priority);
/* A voice interaction with no attributes; asserts it was accepted. */
void sc_voice(sc *s, sb_id id, sb_id queue, int priority);
void sc_accept(sc *s, sb_id agent, sb_id ix);
void sc_reject(sc *s, sb_id agent, sb_id ix);
void sc_end(sc *s, sb_id ix);
/* Complete the wrap-up of ix with a code (0 = none). */
void sc_wrapup_done(sc *s, sb_id ix, sb_id code);
/* Interaction ix (priority 0, no attributes) arrives in queue, is offered
 * to agent at once and accepted. */
void sc_connect(sc *s, sb_id agent, sb_id ix, sb_id queue, int channel);

/* ---- state -------------------------------------------------------------- */

/* State of an interaction (0 if gone) / agent. */
int sc_ix_state(const sc *s, sb_id ix);
int sc_agent_state(const sc *s, sb_id agent);
/* The core's view of an interaction / agent; asserts it exists. */
sb_ix_info sc_ix_info(const sc *s, sb_id ix);
sb_agent_info sc_agent_info(const sc *s, sb_id agent);
/* sb_interaction_explain at the current time; asserts success and
 * collects the events of any timers it fired. */
sb_explain sc_explain(sc *s, sb_id ix);

/* ---- the log ------------------------------------------------------------ */

/* The first logged event (after the mark) of this type for ix / agent
 * (0 = any), or NULL. */
const sb_event *sc_find(const sc *s, int type, sb_id ix, sb_id agent);
/* Its index in the whole log, or -1. */
int sc_index(const sc *s, int type, sb_id ix, sb_id agent);
/* How many logged events (after the mark) match. */
uint32_t sc_count(const sc *s, int type, sb_id ix, sb_id agent);
/* The agent of the latest offer of ix since the mark, or 0. */
sb_id sc_offered(const sc *s, sb_id ix);
/* The latest offer of ix since the mark went to agent, and the first
 * offer of ix to agent since the mark was made at t. */
void sc_assert_offered_at(const sc *s, sb_id ix, sb_id agent, int64_t t);
/* Whether the only offer since the mark is ix to agent; if not, prints
 * "wrong pick (<fmt, ...>):" and the log since the mark.  For tests that
 * run several scenarios and count the failures before asserting. */
bool sc_only_offer(const sc *s, sb_id ix, sb_id agent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The agents / the interactions of the offers since the mark, in event
 * order; return how many (at most max). */
uint32_t sc_offers(const sc *s, sb_id *out, uint32_t max);
uint32_t sc_offered_ixs(const sc *s, sb_id *out, uint32_t max);

/* An expected event: type, and ix / agent (0 = any). */
typedef struct sc_ev {
    int type;
    sb_id ix, agent;
} sc_ev;
/* The events since the mark are exactly these, in this order, all at t;
 * otherwise prints them and fails. */
void sc_expect(const sc *s, int64_t t, const sc_ev *e, uint32_t n);
#define SC_EXPECT(s, t, ...)                                                                       \
    do {                                                                                           \
        const sc_ev e_[] = {__VA_ARGS__};                                                          \
        sc_expect((s), (t), e_, (uint32_t)(sizeof(e_) / sizeof(e_[0])));                           \
    } while (0)
/* Collect, then assert that nothing was logged since the mark. */
void sc_expect_none(sc *s);

/* got[0..n) is exactly want[0..nwant), in this order; otherwise prints
 * both and fails. */
void sc_assert_ids(const sb_id *got, uint32_t n, const sb_id *want, uint32_t nwant);
#define SC_ASSERT_IDS(got, n, ...)                                                                 \
    do {                                                                                           \
        const sb_id w_[] = {__VA_ARGS__};                                                          \
        sc_assert_ids((got), (n), w_, (uint32_t)(sizeof(w_) / sizeof(w_[0])));                     \
    } while (0)

/* The whole log as text, one event a line (for comparisons and messages);
 * returns its length. */
size_t sc_log_text(const sc *s, char *buf, size_t size);
/* Print the log since the mark (debugging aid for a failing test). */
void sc_dump(const sc *s);

#endif
