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
 */
#ifndef SB_TESTS_SCENARIO_HARNESS_H
#define SB_TESTS_SCENARIO_HARNESS_H

#include "core/core.h"

typedef struct sc {
    sb_core *c;
    int64_t now;
    sb_event *log;
    uint32_t nlog, cap, mark;
} sc;

sc *sc_new(uint64_t seed);
void sc_free(sc *s);
/* Copy the core's pending events into the log. */
void sc_collect(sc *s);
/* Advance to t (>= now), firing timers at their deadlines. */
void sc_at(sc *s, int64_t t);
/* Later queries look only at events logged after this call. */
void sc_mark(sc *s);

/* A queue definition with sensible test defaults: one step with expr,
 * longest idle, offer timeout 10 s, no wrap-up, no limits. */
sb_queue_def sc_qdef(sb_step_def *steps, uint32_t nsteps);
/* Create a queue with one step; asserts success. */
void sc_queue(sc *s, sb_id id, const char *expr);
/* Create or update an agent from a spec (skills= langs= teams= queues=
 * profile= attrs=name:value,...; attr values: numbers, true/false, else
 * strings); returns the core's status. */
int sc_agent_spec(sc *s, sb_id id, const char *spec);
/* Same, asserting success, then login + ready. */
void sc_agent(sc *s, sb_id id, const char *spec);
/* Create an interaction; attrs spec "name=value ..." (may be NULL). */
int sc_ix(sc *s, sb_id id, sb_id queue, int channel, int priority, const char *attrs);

/* The first logged event (after the mark) of this type for ix / agent
 * (0 = any), or NULL. */
const sb_event *sc_find(const sc *s, int type, sb_id ix, sb_id agent);
/* How many logged events (after the mark) match. */
uint32_t sc_count(const sc *s, int type, sb_id ix, sb_id agent);
/* The agent of the latest offer of ix since the mark, or 0. */
sb_id sc_offered(const sc *s, sb_id ix);
/* State of an interaction (0 if gone) / agent. */
int sc_ix_state(const sc *s, sb_id ix);
int sc_agent_state(const sc *s, sb_id agent);

#endif
