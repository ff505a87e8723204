/* The simulator against queueing theory (docs/simulation.md).
 *
 * Runs the validation grid: c in {5, 50, 200} agents x load in {0.70,
 * 0.80, 0.90, 0.95}, each without abandonment (Erlang C) and with
 * exponential patience of mean 180 s (Erlang A).  Each cell is 8
 * replications through the real scenario reader and core.  Prints the grid
 * as a Markdown table and "N passed, N failed".
 *
 * usage: validate-sim [--quick]   (--quick: loads 0.70 and 0.95 only) */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/validate.h"

int main(int argc, char **argv) {
    const int cs[] = {5, 50, 200};
    const double all_loads[] = {0.70, 0.80, 0.90, 0.95}, quick_loads[] = {0.70, 0.95};
    int quick = argc > 1 && !strcmp(argv[1], "--quick");
    const double *loads = quick ? quick_loads : all_loads;
    int nloads = quick ? 2 : 4, passed = 0, failed = 0, reps = 8;
    printf("| model | c | load | hours/rep | arrivals/rep | SL theory | SL sim (95%% CI) | "
           "ASA theory s | ASA sim s | abandon theory | abandon sim | ok |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int model = 0; model < 2; model++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < nloads; j++) {
                sb_sim_check k = {.c = cs[i], .load = loads[j], .patience_s = model ? 180 : 0};
                double hours = sb_sim_check_hours(k.c, k.load);
                int rc = sb_sim_check_run(&k, reps, hours, 1000 + 100 * i + j);
                if (rc) {
                    printf("| %s | %d | %.2f | run failed: %d |\n", model ? "Erlang A" : "Erlang C", k.c,
                           k.load, rc);
                    failed++;
                    continue;
                }
                printf("| %s | %d | %.2f | %.0f | %.0f | %.4f | %.4f +- %.4f | %.2f | %.2f +- %.2f | "
                       "%.4f | %.4f +- %.4f | %s |\n",
                       model ? "Erlang A" : "Erlang C", k.c, k.load, hours, k.arrivals, k.sl, k.sim_sl,
                       k.sim_sl_ci, k.asa, k.sim_asa, k.sim_asa_ci, k.abandon, k.sim_abandon,
                       isnan(k.sim_abandon_ci) ? 0 : k.sim_abandon_ci, k.ok ? "yes" : "**NO**");
                fflush(stdout);
                if (k.ok)
                    passed++;
                else
                    failed++;
            }
    printf("validate-sim: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
