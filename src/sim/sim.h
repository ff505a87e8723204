/* sim.h: discrete-event simulation of a contact center over the real
 * routing core, under a virtual clock.
 *
 * A scenario is a configuration document (config.h: profiles, queues,
 * agents) plus a "simulation" member: duration, intervals, agent groups,
 * shifts and traffic (docs/simulation.md).  Each replication runs a fresh
 * core with its own seed; agents answer offers at once; arrivals,
 * patience, handle and wrap-up times are drawn from the traffic's
 * distributions.  Figures are assigned to the interval in which the
 * interaction arrived; time-weighted figures (occupancy, queue length) to
 * the interval in which the time passed. */
#ifndef SB_SIM_SIM_H
#define SB_SIM_SIM_H

#include <stdio.h>

#include "config/config.h"
#include "sim/dist.h"

typedef struct sb_sim_traffic {
    uint32_t queue;         /* index into cfg.queues */
    uint8_t channel;
    int32_t priority;
    double *per_interval;   /* expected arrivals per interval, cycled; owned */
    uint32_t nper_interval;
    double *replay;         /* arrival times (s), sorted; owned; replaces per_interval */
    uint32_t nreplay;
    sb_dist handle, patience, wrapup;
} sb_sim_traffic;

typedef struct sb_sim_shift {
    uint32_t *agents;       /* indices into agents; owned */
    uint32_t nagents;
    int64_t start_ms, end_ms;
} sb_sim_shift;

typedef struct sb_sim_scenario {
    sb_core *names;         /* holds the symbol table the names were parsed into */
    sb_config cfg;
    sb_config_agent *agents; /* cfg.agents then the generated ones; owned */
    uint32_t nagents;
    sb_sim_shift *shifts;
    uint32_t nshifts;       /* 0: everyone works the whole run */
    sb_sim_traffic *traffic;
    uint32_t ntraffic;
    int64_t duration_ms, interval_ms, warmup_ms;
    double short_abandon_s;
    uint64_t seed;
} sb_sim_scenario;

/* Read a scenario file (JSON).  base_dir resolves relative replay paths.
 * SB_OK, or SB_EINVAL with *err naming the field. */
int sb_sim_load(const char *path, sb_sim_scenario *out, sb_config_error *err);
int sb_sim_parse(json_t *doc, const char *base_dir, sb_sim_scenario *out, sb_config_error *err);
void sb_sim_scenario_free(sb_sim_scenario *s);

/* Sums over one interval (or a total). */
typedef struct sb_sim_figures {
    double offered, answered, answered_in_sl, abandoned, short_abandoned, ended;
    double wait_answered_s, wait_max_s, handle_s;
    double busy_agent_s, logged_agent_s, waiting_s, span_s;
} sb_sim_figures;

/* Derived figures (NAN when undefined, e.g. no calls). */
double sb_sim_service_level(const sb_sim_figures *f); /* in SL / (answered + abandoned - short) */
double sb_sim_asa(const sb_sim_figures *f);           /* s */
double sb_sim_abandon_rate(const sb_sim_figures *f);  /* abandoned / offered */
double sb_sim_occupancy(const sb_sim_figures *f);     /* busy / logged-in agent time */
double sb_sim_queue_length(const sb_sim_figures *f);  /* time-average waiting */
double sb_sim_aht(const sb_sim_figures *f);           /* s, talk + wrap-up */

typedef struct sb_sim_result {
    uint32_t nintervals, nqueues;
    sb_sim_figures *intervals; /* [nintervals] */
    sb_sim_figures *queues;    /* [nqueues], after warm-up */
    sb_sim_figures *queue_intervals; /* [nqueues * nintervals]: queue q, interval k at q * nintervals + k;
                                      * counts only (time-weighted figures are per interval) */
    sb_sim_figures total;      /* after warm-up */
    uint64_t routed, core_events;
} sb_sim_result;

/* One replication with the given seed. */
int sb_sim_run(const sb_sim_scenario *s, uint64_t seed, sb_sim_result *out);
void sb_sim_result_free(sb_sim_result *r);

/* Mean and 95 % confidence half-width of per-replication values. */
void sb_sim_ci95(const double *v, uint32_t n, double *mean, double *half);

/* Output of n replications: JSON, CSV (one row per interval, averaged)
 * and an SVG chart of offered volume and service level per interval. */
void sb_sim_write_json(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n);
void sb_sim_write_csv(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n);
void sb_sim_write_svg(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n);

#endif
