/* harness_extra.h: small helpers over the scenario harness for the
 * routing-rule scenarios (selection, ordering, steps, preferred agent).
 *
 * Every helper acts at the scenario's current time (s->now), asserts the
 * core's answer and copies the events it caused into the log. */
#ifndef SB_TESTS_SCENARIO_HARNESS_EXTRA_H
#define SB_TESTS_SCENARIO_HARNESS_EXTRA_H

#include <stdio.h>
#include <string.h>

#include "base/status.h"
#include "scenario/harness.h"
#include "unit/test.h"

/* Create or replace a queue from a full definition; asserts success. */
static inline void sx_queue(sc *s, sb_id id, const sb_queue_def *d) {
    sb_expr_error err = {0};
    uint32_t step = 0;
    int rc = sb_queue_set(s->c, s->now, id, d, &err, &step);
    if (rc)
        fail_msg("queue %llu: %s (step %u at %u: %s)", (unsigned long long)id, sb_status_name(rc),
                 step, err.pos, err.reason);
    sc_collect(s);
}

/* A one-step queue ("" = every member) with the given selection. */
static inline void sx_queue_sel(sc *s, sb_id id, int selection, const char *expr) {
    sb_step_def step = {expr, 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.selection = (uint8_t)selection;
    sx_queue(s, id, &d);
}

/* An agent that is logged in but not ready. */
static inline void sx_agent_nr(sc *s, sb_id id, const char *spec) {
    assert_int_equal(sc_agent_spec(s, id, spec), SB_OK);
    assert_int_equal(sb_agent_login(s->c, s->now, id), SB_OK);
    sc_collect(s);
}

static inline void sx_ready(sc *s, sb_id agent) {
    assert_int_equal(sb_agent_ready(s->c, s->now, agent), SB_OK);
    sc_collect(s);
}

static inline void sx_not_ready(sc *s, sb_id agent) {
    assert_int_equal(sb_agent_not_ready(s->c, s->now, agent, 0), SB_OK);
    sc_collect(s);
}

static inline void sx_accept(sc *s, sb_id agent, sb_id ix) {
    assert_int_equal(sb_offer_accept(s->c, s->now, agent, ix), SB_OK);
    sc_collect(s);
}

static inline void sx_reject(sc *s, sb_id agent, sb_id ix) {
    assert_int_equal(sb_offer_reject(s->c, s->now, agent, ix), SB_OK);
    sc_collect(s);
}

static inline void sx_end(sc *s, sb_id ix) {
    assert_int_equal(sb_interaction_end(s->c, s->now, ix), SB_OK);
    sc_collect(s);
}

/* Create an interaction from a full definition (id, queue, channel, ...);
 * returns the core's status. */
static inline int sx_ix_def(sc *s, const sb_interaction_def *d) {
    int rc = sb_interaction_create(s->c, s->now, d);
    sc_collect(s);
    return rc;
}

/* A voice interaction with no attributes; asserts it was accepted. */
static inline void sx_voice(sc *s, sb_id id, sb_id queue, int priority) {
    assert_int_equal(sc_ix(s, id, queue, SB_CH_VOICE, priority, NULL), SB_OK);
}

/* Index in the whole log of the first event (after the mark) matching
 * type / ix / agent (0 = any), or -1. */
static inline int sx_index(const sc *s, int type, sb_id ix, sb_id agent) {
    const sb_event *e = sc_find(s, type, ix, agent);
    return e ? (int)(e - s->log) : -1;
}

/* The agents of the offers since the mark, in event order; returns how
 * many (at most max). */
static inline uint32_t sx_offers(const sc *s, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = s->mark; i < s->nlog && n < max; i++)
        if (s->log[i].type == SB_EV_IX_OFFERED) out[n++] = s->log[i].agent;
    return n;
}

/* The interactions offered since the mark, in event order. */
static inline uint32_t sx_offered_ixs(const sc *s, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = s->mark; i < s->nlog && n < max; i++)
        if (s->log[i].type == SB_EV_IX_OFFERED) out[n++] = s->log[i].ix;
    return n;
}

/* The whole log as text, one event a line (for comparisons and messages). */
static inline size_t sx_log_text(const sc *s, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < s->nlog && n + 1 < size; i++) {
        int k = sb_event_format(&s->log[i], buf + n, size - n);
        if (k < 0) break;
        n += (size_t)k;
        if (n + 1 >= size) {
            n = size - 1;
            break;
        }
        buf[n++] = '\n';
        buf[n] = '\0';
    }
    return n;
}

/* Print the log since the mark (debugging aid for a failing test). */
static inline void sx_dump(const sc *s) {
    char line[256];
    for (uint32_t i = s->mark; i < s->nlog; i++) {
        sb_event_format(&s->log[i], line, sizeof(line));
        print_message("  %s\n", line);
    }
}

#endif
