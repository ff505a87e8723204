/* fixture.h: a real routing core (the scenario harness) whose every event
 * is fed to an sb_stats, for the tests of src/stats.
 *
 *   fx_start(NULL);                  core + stats with the default config
 *   fx_at(HMS(10, 0, 5));            move both clocks (timers fire)
 *   sc_voice(F.s, 1, 1, 0); fx_feed();
 *
 * Actions go through the harness (sc_*) at F.s->now; fx_feed() hands the
 * events they caused to the stats.  Register tests with FX_TEST so the
 * teardown frees both even when a test fails half-way. */
#ifndef SB_TESTS_UNIT_STATS_FIXTURE_H
#define SB_TESTS_UNIT_STATS_FIXTURE_H

#include "scenario/harness.h"
#include "stats/stats.h"

#define HMS(h, m, s) ((int64_t)((((h) * 60 + (m)) * 60) + (s)) * 1000)

typedef struct fx {
    sc *s;
    sb_stats *st;
    uint32_t fed; /* log entries already given to the stats */
} fx;

static fx F;

static inline void fx_start(const sb_stats_config *cfg) {
    F.s = sc_fresh(1);
    F.st = sb_stats_new(cfg);
    assert_non_null(F.st);
    F.fed = 0;
}

static inline int fx_teardown(void **state) {
    sb_stats_free(F.st);
    F.st = NULL;
    return sc_teardown(state);
}

#define FX_TEST(f) cmocka_unit_test_teardown(f, fx_teardown)

/* Give the stats every event logged since the last call. */
static inline void fx_feed(void) {
    sc_collect(F.s);
    sb_stats_events(F.st, F.s->log + F.fed, F.s->nlog - F.fed);
    F.fed = F.s->nlog;
}

static inline void fx_at(int64_t t) {
    sc_at(F.s, t);
    fx_feed();
    sb_stats_advance(F.st, t);
}

static inline sb_stats_queue_view fx_queue(sb_id q) {
    sb_stats_queue_view v;
    assert_int_equal(sb_stats_queue_view_get(F.st, q, F.s->now, &v), SB_OK);
    return v;
}

static inline sb_stats_agent_view fx_agent(sb_id a) {
    sb_stats_agent_view v;
    assert_int_equal(sb_stats_agent_view_get(F.st, a, F.s->now, &v), SB_OK);
    return v;
}

static inline sb_stats_group_view fx_team(sb_id t) {
    sb_stats_group_view v;
    assert_int_equal(sb_stats_team_view_get(F.st, t, F.s->now, &v), SB_OK);
    return v;
}

static inline sb_stats_group_view fx_tenant(void) {
    sb_stats_group_view v;
    sb_stats_tenant_view_get(F.st, F.s->now, &v);
    return v;
}

/* A queue of the core (every member, longest idle, offer timeout 10 s)
 * with a wrap-up mode, and its service-level threshold in the stats. */
static inline void fx_queue_new(sb_id id, int wrapup, int64_t sl_ms) {
    sb_queue_def d = sc_qdef_all();
    d.wrapup = (uint8_t)wrapup;
    sc_queue_set(F.s, id, &d);
    assert_int_equal(sb_stats_set_queue(F.st, id, sl_ms), SB_OK);
    fx_feed();
}

/* An agent serving queues (core and stats) in teams (stats), logged in
 * and not ready. */
static inline void fx_agent_new(sb_id id, const sb_id *queues, uint32_t nq, const sb_id *teams,
                                uint32_t nt) {
    sb_agent_def d = {.queues = queues, .nqueues = nq};
    SC_OK(F.s, sb_agent_set(F.s->c, F.s->now, id, &d));
    assert_int_equal(sb_stats_set_agent(F.st, id, teams, nt, queues, nq), SB_OK);
    sc_login(F.s, id);
    fx_feed();
}

/* Call a core function at the scenario's time, assert SB_OK, feed. */
#define FX_OK(call)                                                                                \
    do {                                                                                           \
        SC_OK(F.s, call);                                                                          \
        fx_feed();                                                                                 \
    } while (0)

/* The closed rows of a kind handed out so far (and cleared). */
static inline uint32_t fx_rows(int kind, sb_stats_interval *out, uint32_t max) {
    uint32_t n, k = 0;
    const sb_stats_interval *r = sb_stats_intervals(F.st, &n);
    for (uint32_t i = 0; i < n; i++)
        if (r[i].kind == kind) {
            assert_true(k < max);
            out[k++] = r[i];
        }
    sb_stats_intervals_clear(F.st);
    return k;
}

#endif
