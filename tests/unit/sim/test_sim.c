/* Tests for src/sim: scenarios, the engine's bookkeeping, reports. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/status.h"
#include "sim/sim.h"
#include "unit/test.h"

static int load(const char *text, sb_sim_scenario *s, sb_config_error *err) {
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (doc == NULL) fail_msg("bad test JSON: %s", je.text);
    int rc = sb_sim_parse(doc, "/tmp", s, err);
    json_decref(doc);
    return rc;
}

static const char *two_queues =
    "{\"queues\": [{\"id\": \"a\", \"steps\": [{\"expression\": \"agent.skills.a > 0\"}]},"
    "              {\"id\": \"b\", \"steps\": [{\"expression\": \"agent.skills.b > 0\"}],"
    "               \"wrapup\": {\"mode\": \"mandatory\"}}],"
    " \"simulation\": {\"duration_hours\": 4, \"interval_minutes\": 30, \"seed\": 3,"
    "  \"agent_groups\": [{\"name\": \"x\", \"count\": 6, \"template\": {\"skills\": {\"a\": 1, \"b\": 1},"
    "                      \"queues\": [\"a\", \"b\"]}}],"
    "  \"shifts\": [{\"group\": \"x\", \"start_minutes\": 0, \"end_minutes\": 180}],"
    "  \"traffic\": [{\"queue\": \"a\", \"channel\": \"voice\", \"arrivals\": {\"per_hour\": 60},"
    "                \"handle\": {\"exponential\": {\"mean_seconds\": 240}},"
    "                \"patience\": {\"exponential\": {\"mean_seconds\": 60}}},"
    "               {\"queue\": \"b\", \"channel\": \"chat\", \"arrivals\": {\"per_interval\": [10, 30]},"
    "                \"handle\": {\"lognormal\": {\"mean_seconds\": 300, \"sd_seconds\": 100}},"
    "                \"wrapup\": {\"fixed\": {\"seconds\": 20}}}]}}";

static void conservation_and_determinism(void **state) {
    (void)state;
    sb_sim_scenario s;
    sb_config_error err;
    assert_int_equal(load(two_queues, &s, &err), SB_OK);
    assert_int_equal(s.nagents, 6);
    sb_sim_result r1, r2, r3;
    assert_int_equal(sb_sim_run(&s, 3, &r1), SB_OK);
    assert_int_equal(sb_sim_run(&s, 3, &r2), SB_OK);
    assert_int_equal(sb_sim_run(&s, 4, &r3), SB_OK);
    assert_int_equal(r1.nintervals, 8);
    /* Same seed, same figures to the bit; another seed differs. */
    assert_memory_equal(r1.intervals, r2.intervals, r1.nintervals * sizeof(sb_sim_figures));
    assert_true(r1.total.offered != r3.total.offered || r1.total.answered != r3.total.answered);
    /* Nothing is counted twice: each arrival ends at most one way. */
    const sb_sim_figures *t = &r1.total;
    assert_true(t->offered > 200);
    assert_true(t->answered + t->abandoned + t->ended <= t->offered);
    assert_true(t->answered_in_sl <= t->answered && t->short_abandoned <= t->abandoned);
    double sum_offered = 0;
    for (uint32_t k = 0; k < r1.nintervals; k++) sum_offered += r1.intervals[k].offered;
    assert_true(sum_offered == t->offered);
    assert_true(r1.queues[0].offered + r1.queues[1].offered == t->offered);
    /* Agents log out after 180 minutes: the last intervals have no one logged in,
     * and whatever arrives then waits (chat has no patience) or abandons. */
    assert_true(r1.intervals[7].logged_agent_s == 0);
    assert_true(r1.intervals[0].logged_agent_s > 0);
    assert_true(r1.intervals[7].answered == 0);
    /* AHT includes the 20 s wrap-up of the chats. */
    assert_true(sb_sim_aht(&r1.queues[1]) > 300);
    double occ = sb_sim_occupancy(t);
    assert_true(occ > 0 && occ <= 1);
    sb_sim_result_free(&r1);
    sb_sim_result_free(&r2);
    sb_sim_result_free(&r3);
    sb_sim_scenario_free(&s);
}

static void scenario_errors_name_the_field(void **state) {
    (void)state;
    sb_sim_scenario s;
    sb_config_error err;
    assert_int_equal(load("{\"queues\": [{\"id\": \"a\", \"steps\": [{}]}], \"simulation\": {\"traffic\": "
                          "[{\"queue\": \"zz\", \"arrivals\": {\"per_hour\": 1}, \"handle\": {\"fixed\": "
                          "{\"seconds\": 1}}}]}}",
                          &s, &err),
                     SB_EINVAL);
    assert_string_equal(err.path, "simulation.traffic[0]");
    assert_int_equal(load("{\"queues\": [{\"id\": \"a\", \"steps\": [{}]}], \"simulation\": {\"traffic\": "
                          "[{\"queue\": \"a\", \"arrivals\": {\"per_hour\": 1}, \"handle\": {\"gamma\": {}}}]}}",
                          &s, &err),
                     SB_EINVAL);
    assert_string_equal(err.path, "simulation.traffic[0].handle");
    assert_int_equal(load("{\"queues\": [{\"id\": \"a\", \"steps\": [{}]}], \"simulation\": {\"speed\": 2}}",
                          &s, &err),
                     SB_EINVAL);
    assert_string_equal(err.path, "simulation");
    assert_non_null(strstr(err.reason, "speed"));
}

static void replay_arrivals_from_csv(void **state) {
    (void)state;
    char path[] = "/tmp/sb-replay-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("seconds\n10\n20\n30.5\n4000\n", f);
    fclose(f);
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"queues\": [{\"id\": \"a\", \"steps\": [{}]}], \"agents\": [{\"id\": \"x\", \"queues\": [\"a\"]}],"
             " \"simulation\": {\"duration_hours\": 1, \"traffic\": [{\"queue\": \"a\", \"arrivals\": "
             "{\"replay_csv\": \"%s\"}, \"handle\": {\"fixed\": {\"seconds\": 5}}}]}}", path);
    sb_sim_scenario s;
    sb_config_error err;
    assert_int_equal(load(text, &s, &err), SB_OK);
    sb_sim_result r;
    assert_int_equal(sb_sim_run(&s, 1, &r), SB_OK);
    /* 4000 s is past the one-hour run: three arrivals, none waits. */
    assert_true(r.total.offered == 3 && r.total.answered == 3);
    assert_true(r.total.wait_answered_s == 0);
    assert_true(fabs(r.total.handle_s - 15) < 1e-9);
    sb_sim_result_free(&r);
    sb_sim_scenario_free(&s);
    unlink(path);
}

static void ci95_matches_student_t(void **state) {
    (void)state;
    const double v[] = {1, 2, 3, 4, 5};
    double mean, half;
    sb_sim_ci95(v, 5, &mean, &half);
    assert_true(fabs(mean - 3) < 1e-12);
    /* sd = sqrt(2.5), t(4) = 2.776 */
    assert_true(fabs(half - 2.776 * sqrt(2.5) / sqrt(5)) < 1e-9);
    sb_sim_ci95(v, 1, &mean, &half);
    assert_true(isnan(half));
}

SB_TEST_GROUP(sim, cmocka_unit_test(conservation_and_determinism),
              cmocka_unit_test(scenario_errors_name_the_field),
              cmocka_unit_test(replay_arrivals_from_csv), cmocka_unit_test(ci95_matches_student_t))
