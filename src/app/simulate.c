/* simulate.c: `switchboard simulate SCENARIO`: run the routing core under
 * a virtual clock and report service level, ASA, abandonment, occupancy
 * and queue length per interval and in total. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "base/mem.h"
#include "base/status.h"
#include "sim/sim.h"

static const char usage_text[] =
    "usage: switchboard simulate SCENARIO.json [options]\n"
    "\n"
    "Runs the routing engine over the scenario's queues, agents, shifts and\n"
    "traffic with a virtual clock (see docs/simulation.md).\n"
    "\n"
    "  -n, --replications N   independent runs (seeds seed..seed+N-1); totals get\n"
    "                         95%% confidence half-widths (default 1)\n"
    "  -s, --seed S           first seed (default: the scenario's, else 1)\n"
    "  -j, --json FILE        write results as JSON ('-' for standard output)\n"
    "  -c, --csv FILE         write per-interval results as CSV\n"
    "  -g, --svg FILE         write a chart of volume and service level\n"
    "  -q, --quiet            no summary on standard output\n";

static FILE *open_out(const char *path) {
    if (!strcmp(path, "-")) return stdout;
    FILE *f = fopen(path, "w");
    if (f == NULL) perror(path);
    return f;
}

static void close_out(FILE *f) {
    if (f && f != stdout) fclose(f);
}

static void summary(const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n, double secs) {
    double *v = sb_malloc(n * sizeof(double));
    const struct {
        const char *label;
        double (*fn)(const sb_sim_figures *);
        double scale;
    } rows[] = {{"service level %", sb_sim_service_level, 100}, {"ASA s", sb_sim_asa, 1},
                {"abandon rate %", sb_sim_abandon_rate, 100},   {"occupancy %", sb_sim_occupancy, 100},
                {"avg queue length", sb_sim_queue_length, 1},   {"AHT s", sb_sim_aht, 1}};
    double offered = 0;
    uint64_t routed = 0;
    for (uint32_t i = 0; i < n; i++) {
        offered += r[i].total.offered;
        routed += r[i].routed;
    }
    printf("%u replication%s, %u agents, %u queues, %.0f interactions offered per run (after warm-up)\n",
           n, n == 1 ? "" : "s", s->nagents, s->cfg.nqueues, offered / n);
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        for (uint32_t i = 0; i < n; i++) v[i] = rows[k].fn(&r[i].total);
        double mean, half;
        sb_sim_ci95(v, n, &mean, &half);
        if (isnan(half))
            printf("  %-18s %10.3f\n", rows[k].label, mean * rows[k].scale);
        else
            printf("  %-18s %10.3f  +- %.3f (95%%)\n", rows[k].label, mean * rows[k].scale,
                   half * rows[k].scale);
    }
    printf("simulated in %.2f s (%.0f routed interactions/s)\n", secs, routed / secs);
    sb_free(v);
}

int sb_app_simulate(int argc, char **argv) {
    static const struct option opts[] = {
        {"replications", required_argument, 0, 'n'}, {"seed", required_argument, 0, 's'},
        {"json", required_argument, 0, 'j'},          {"csv", required_argument, 0, 'c'},
        {"svg", required_argument, 0, 'g'},           {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
    long reps = 1;
    long long seed = -1;
    const char *json = NULL, *csv = NULL, *svg = NULL;
    int quiet = 0, o;
    while ((o = getopt_long(argc, argv, "n:s:j:c:g:qh", opts, NULL)) != -1) {
        char *end;
        switch (o) {
        case 'n':
            reps = strtol(optarg, &end, 10);
            if (*end || reps < 1 || reps > 10000) {
                fprintf(stderr, "switchboard simulate: --replications wants 1..10000\n");
                return 2;
            }
            break;
        case 's':
            seed = strtoll(optarg, &end, 10);
            if (*end || seed < 0) {
                fprintf(stderr, "switchboard simulate: --seed wants a number >= 0\n");
                return 2;
            }
            break;
        case 'j': json = optarg; break;
        case 'c': csv = optarg; break;
        case 'g': svg = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(usage_text, stderr);
        return 2;
    }
    sb_sim_scenario s;
    sb_config_error err;
    if (sb_sim_load(argv[optind], &s, &err)) {
        fprintf(stderr, "switchboard simulate: %s: %s: %s\n", argv[optind], err.path, err.reason);
        return 1;
    }
    uint64_t first = seed >= 0 ? (uint64_t)seed : s.seed;
    sb_sim_result *r = sb_calloc((size_t)reps, sizeof(*r));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    for (long i = 0; i < reps && rc == 0; i++) rc = sb_sim_run(&s, first + (uint64_t)i, &r[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) {
        fprintf(stderr, "switchboard simulate: the configuration was refused: %s\n", sb_status_name(rc));
    } else {
        s.seed = first;
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (!quiet) summary(&s, r, (uint32_t)reps, secs);
        FILE *f;
        if (json && (f = open_out(json))) sb_sim_write_json(f, &s, r, (uint32_t)reps), close_out(f);
        if (csv && (f = open_out(csv))) sb_sim_write_csv(f, &s, r, (uint32_t)reps), close_out(f);
        if (svg && (f = open_out(svg))) sb_sim_write_svg(f, &s, r, (uint32_t)reps), close_out(f);
    }
    for (long i = 0; i < reps; i++) sb_sim_result_free(&r[i]);
    sb_free(r);
    sb_sim_scenario_free(&s);
    return rc ? 1 : 0;
}
