/* validate.h: the simulator against queueing theory.
 *
 * One cell of the validation grid: a single queue with c identical agents,
 * Poisson arrivals at load rho, exponential handling (mean 180 s), and
 * either no abandonment (compared with Erlang C) or exponential patience
 * (compared with Erlang A).  The simulation is the real scenario reader
 * and the real core; the theory is sim/erlang.h. */
#ifndef SB_SIM_VALIDATE_H
#define SB_SIM_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sb_sim_check {
    /* the cell */
    int c;
    double load;        /* rho = lambda / (c mu) */
    double patience_s;  /* mean patience; 0 = none (Erlang C) */
    /* theory */
    double sl, asa, abandon;
    /* simulation: means over replications and 95 % half-widths */
    double sim_sl, sim_sl_ci, sim_asa, sim_asa_ci, sim_abandon, sim_abandon_ci;
    double arrivals;    /* per replication, after warm-up */
    /* verdict: |sim - theory| within 3 standard errors for each figure
     * (with a floor where nothing happened: 3 / arrivals for shares, 10 ms
     * for ASA), and the service level within 1 percentage point */
    bool ok;
} sb_sim_check;

#define SB_SIM_CHECK_HANDLE_S 180.0
#define SB_SIM_CHECK_THRESHOLD_S 20.0

/* Run one cell: reps replications of `hours` simulated hours each (after a
 * warm-up of a tenth of that), seeds seed..seed+reps-1. */
int sb_sim_check_run(sb_sim_check *chk, int reps, double hours, uint64_t seed);

/* The simulated hours a cell needs for about 1e5+ answered calls and many
 * relaxation times of its queue: long for few agents at high load. */
double sb_sim_check_hours(int c, double load);

#endif
