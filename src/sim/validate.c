/* validate.c: one cell of the simulator's validation grid.  See
 * validate.h and docs/simulation.md. */
#include "sim/validate.h"

#include <math.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "sim/erlang.h"
#include "sim/sim.h"

/* The scenario, as a user would write it. */
static json_t *scenario(const sb_sim_check *k, double hours, double lambda) {
    json_t *traffic = json_pack("{s:s, s:s, s:{s:f}, s:{s:{s:f}}}", "queue", "q", "channel", "voice",
                                "arrivals", "per_hour", lambda * 3600, "handle", "exponential",
                                "mean_seconds", SB_SIM_CHECK_HANDLE_S);
    if (k->patience_s > 0)
        json_object_set_new(traffic, "patience",
                            json_pack("{s:{s:f}}", "exponential", "mean_seconds", k->patience_s));
    return json_pack("{s:[{s:s, s:[{}], s:{s:f}}], s:{s:f, s:f, s:f, s:i, s:[{s:s, s:i, s:{s:[s]}}], s:[o]}}",
                     "queues", "id", "q", "steps", "service_level", "threshold_seconds",
                     SB_SIM_CHECK_THRESHOLD_S, "simulation", "duration_hours", hours * 1.1,
                     "warmup_minutes", hours * 6, "interval_minutes", 60.0, "short_abandon_seconds", 0,
                     "agent_groups", "name", "a", "count", k->c, "template", "queues", "q",
                     "traffic", traffic);
}

/* The least tolerance for a share p of outcomes: see sb_sim_check_run. */
static double rare_floor(double p, double per_rep, double total) {
    double floor = 3 / total;
    if (p * per_rep < 5) floor = fmax(floor, 3 * p);
    return floor;
}

double sb_sim_check_hours(int c, double load) {
    /* Relaxation time of M/M/c is about 1 / (c mu (1 - sqrt(rho))^2). */
    double mu = 1 / SB_SIM_CHECK_HANDLE_S;
    double relax_h = 1 / (c * mu * pow(1 - sqrt(load), 2)) / 3600;
    double for_calls_h = 1.2e5 / (load * c * mu) / 3600;
    return fmax(60 * relax_h, for_calls_h);
}

int sb_sim_check_run(sb_sim_check *k, int reps, double hours, uint64_t seed) {
    double mu = 1 / SB_SIM_CHECK_HANDLE_S, lambda = k->load * k->c * mu;
    double theta = k->patience_s > 0 ? 1 / k->patience_s : 0;
    sb_erlang_a ea;
    int rc = sb_erlang_a_solve(&ea, k->c, lambda, mu, theta);
    if (rc) return rc;
    k->sl = sb_erlang_a_sl(&ea, SB_SIM_CHECK_THRESHOLD_S, 0);
    k->asa = ea.asa;
    k->abandon = ea.p_abandon;

    json_t *doc = scenario(k, hours, lambda);
    sb_sim_scenario s;
    sb_config_error err;
    rc = sb_sim_parse(doc, NULL, &s, &err);
    json_decref(doc);
    if (rc) return rc;
    double *sl = sb_malloc(reps * sizeof(double)), *asa = sb_malloc(reps * sizeof(double)),
           *ab = sb_malloc(reps * sizeof(double));
    k->arrivals = 0;
    for (int i = 0; i < reps && rc == SB_OK; i++) {
        sb_sim_result r;
        if ((rc = sb_sim_run(&s, seed + (uint64_t)i, &r))) break;
        sl[i] = sb_sim_service_level(&r.total);
        asa[i] = sb_sim_asa(&r.total);
        ab[i] = sb_sim_abandon_rate(&r.total);
        k->arrivals += r.total.offered / reps;
        sb_sim_result_free(&r);
    }
    if (rc == SB_OK) {
        sb_sim_ci95(sl, (uint32_t)reps, &k->sim_sl, &k->sim_sl_ci);
        sb_sim_ci95(asa, (uint32_t)reps, &k->sim_asa, &k->sim_asa_ci);
        sb_sim_ci95(ab, (uint32_t)reps, &k->sim_abandon, &k->sim_abandon_ci);
        /* A 95 % half-width is about 2 standard errors: allow 3.  Rare
         * outcomes (fewer than 5 expected per replication) come in bursts
         * within busy periods, so replications that see none are to be
         * expected: there the tolerance is 3 x the theory's share (and at
         * least 3 / arrivals); ASA gets at least 10 ms. */
        double z = 1.5, n = k->arrivals * reps;
        double tol_sl = rare_floor(1 - k->sl, k->arrivals, n),
               tol_ab = rare_floor(k->abandon, k->arrivals, n);
        double d_sl = fabs(k->sim_sl - k->sl), d_ab = fabs(k->sim_abandon - k->abandon);
        k->ok = d_sl <= fmax(z * k->sim_sl_ci, tol_sl) && d_sl <= 0.01 &&
                fabs(k->sim_asa - k->asa) <= fmax(z * k->sim_asa_ci, 0.01) &&
                d_ab <= fmax(z * (isnan(k->sim_abandon_ci) ? 0 : k->sim_abandon_ci), tol_ab);
    }
    sb_free(sl);
    sb_free(asa);
    sb_free(ab);
    sb_sim_scenario_free(&s);
    return rc;
}
