/* staff.c: `switchboard staff`: agents needed per interval for a
 * service-level target, by Erlang C and by Erlang A, and a check of the
 * proposed staffing by simulation. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/mem.h"
#include "base/status.h"
#include "sim/erlang.h"
#include "sim/sim.h"

static const char usage_text[] =
    "usage: switchboard staff SCENARIO.json [options]\n"
    "       switchboard staff --per-hour R --aht S [--patience S] [options]\n"
    "\n"
    "Agents needed per interval for each traffic source of a scenario (or for\n"
    "one stream given by flags), by Erlang C (callers wait forever) and by\n"
    "Erlang A (exponential patience).  Each source is staffed as if its agents\n"
    "served it alone.  Handle time is the mean handle time plus the mean wrap-up.\n"
    "\n"
    "  --target P        service-level target, 0..1 (default: the queue's, else 0.8)\n"
    "  --threshold S     service-level threshold in seconds (default: the queue's, else 20)\n"
    "  --per-hour R      arrivals per hour (instead of a scenario)\n"
    "  --aht S           mean handle time in seconds (with --per-hour)\n"
    "  --patience S      mean patience in seconds (with --per-hour; omit: none)\n"
    "  --intervals N     intervals to print with --per-hour (default 1)\n"
    "  --check           simulate the Erlang A staffing (Erlang C without patience)\n"
    "                    and print the simulated service level per interval\n"
    "  -n, --replications N  replications for --check (default 5)\n";

typedef struct source {
    const char *queue;
    const char *channel;
    double threshold, target;
    double aht, patience; /* s; patience 0 = none */
    double *rate;         /* arrivals per second, per interval */
} source;

typedef struct plan {
    source *src;
    uint32_t nsrc, nintervals;
    double interval_s;
    int *agents_c, *agents_a; /* [nsrc * nintervals] */
} plan;

static double mean_of(const sb_dist *d) { return d->kind ? sb_dist_mean(d) : 0; }

static int compute(plan *p, int max_agents) {
    p->agents_c = sb_calloc((size_t)p->nsrc * p->nintervals, sizeof(int));
    p->agents_a = sb_calloc((size_t)p->nsrc * p->nintervals, sizeof(int));
    for (uint32_t i = 0; i < p->nsrc; i++) {
        const source *s = &p->src[i];
        double mu = 1 / s->aht, theta = s->patience > 0 ? 1 / s->patience : 0;
        for (uint32_t k = 0; k < p->nintervals; k++) {
            double lambda = s->rate[k];
            int *c = &p->agents_c[i * p->nintervals + k], *a = &p->agents_a[i * p->nintervals + k];
            if (lambda <= 0) continue;
            *c = sb_erlang_c_staff_sl(lambda, mu, s->threshold, s->target, max_agents);
            *a = theta > 0 ? sb_erlang_a_staff_sl(lambda, mu, theta, s->threshold, s->target, max_agents)
                           : *c;
            if (*c < 0 || *a < 0) {
                fprintf(stderr, "switchboard staff: %s: no staffing up to %d agents meets %.0f%% in %.0f s\n",
                        s->queue, max_agents, s->target * 100, s->threshold);
                return 1;
            }
        }
    }
    return 0;
}

static void print_plan(const plan *p) {
    printf("%-8s %-14s %-8s %8s %7s %8s %7s %8s %7s %9s\n", "start", "queue", "channel", "calls",
           "AHT s", "Erlang C", "SL C", "Erlang A", "SL A", "abandon A");
    for (uint32_t k = 0; k < p->nintervals; k++)
        for (uint32_t i = 0; i < p->nsrc; i++) {
            const source *s = &p->src[i];
            double lambda = s->rate[k], mu = 1 / s->aht, theta = s->patience > 0 ? 1 / s->patience : 0;
            int c = p->agents_c[i * p->nintervals + k], a = p->agents_a[i * p->nintervals + k];
            double minutes = k * p->interval_s / 60;
            printf("%02d:%02d    %-14s %-8s %8.1f %7.0f ", (int)(minutes / 60), (int)fmod(minutes, 60),
                   s->queue, s->channel, lambda * p->interval_s, s->aht);
            if (lambda <= 0) {
                printf("%8d %7s %8d %7s %9s\n", 0, "-", 0, "-", "-");
                continue;
            }
            sb_erlang_a ea;
            double sla = NAN, ab = NAN;
            if (sb_erlang_a_solve(&ea, a, lambda, mu, theta) == SB_OK) {
                sla = sb_erlang_a_sl(&ea, s->threshold, 0);
                ab = ea.p_abandon;
            }
            printf("%8d %6.1f%% %8d %6.1f%% %8.2f%%\n", c, 100 * sb_erlang_c_sl(c, lambda, mu, s->threshold),
                   a, 100 * sla, 100 * ab);
        }
}

/* The proposed staffing as a scenario: one queue and one group of
 * dedicated agents per source, agent j on shift while the plan has at
 * least j agents, each taking one interaction at a time. */
static json_t *check_scenario(const sb_sim_scenario *orig, const plan *p) {
    json_t *queues = json_array(), *groups = json_array(), *shifts = json_array(), *traffic = json_array();
    for (uint32_t i = 0; i < p->nsrc; i++) {
        const source *s = &p->src[i];
        char q[64], g[64];
        snprintf(q, sizeof(q), "source-%u", i);
        snprintf(g, sizeof(g), "staff%u", i);
        json_array_append_new(queues, json_pack("{s:s, s:[{}], s:{s:f, s:f}}", "id", q, "steps",
                                                "service_level", "threshold_seconds", s->threshold,
                                                "target", s->target));
        int max = 0;
        for (uint32_t k = 0; k < p->nintervals; k++) max = fmax(max, p->agents_a[i * p->nintervals + k]);
        if (max == 0) max = 1;
        json_array_append_new(groups, json_pack("{s:s, s:i, s:{s:[s], s:s}}", "name", g, "count", max,
                                                "template", "queues", q, "capacity_profile", "one"));
        for (int j = 1; j <= max; j++) {
            uint32_t k = 0;
            while (k < p->nintervals) {
                if (p->agents_a[i * p->nintervals + k] < j) {
                    k++;
                    continue;
                }
                uint32_t end = k;
                while (end < p->nintervals && p->agents_a[i * p->nintervals + end] >= j) end++;
                char name[80];
                snprintf(name, sizeof(name), "%s-%d", g, j);
                json_array_append_new(shifts, json_pack("{s:[s], s:f, s:f}", "agents", name,
                                                        "start_minutes", k * p->interval_s / 60,
                                                        "end_minutes", end * p->interval_s / 60));
                k = end;
            }
        }
        /* The source's own traffic, pointed at its queue. */
        json_t *t = json_deep_copy(json_array_get(json_object_get(json_object_get(orig->cfg.doc, "simulation"),
                                                                  "traffic"), i));
        json_object_set_new(t, "queue", json_string(q));
        json_array_append_new(traffic, t);
    }
    json_t *sim = json_deep_copy(json_object_get(orig->cfg.doc, "simulation"));
    json_object_del(sim, "agent_groups");
    json_object_set_new(sim, "agent_groups", groups);
    json_object_set_new(sim, "shifts", shifts);
    json_object_set_new(sim, "traffic", traffic);
    /* One interaction at a time, as the Erlang models assume. */
    json_t *one = json_pack("{s:s, s:{}}", "id", "one", "channels");
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        json_object_set_new(json_object_get(one, "channels"), sb_channel_name(ch),
                            json_pack("{s:i, s:i}", "cost", 100, "max", 1));
    return json_pack("{s:[o], s:o, s:o}", "capacity_profiles", one, "queues", queues, "simulation", sim);
}

static int check(const sb_sim_scenario *orig, const plan *p, long reps) {
    json_t *doc = check_scenario(orig, p);
    sb_sim_scenario s;
    sb_config_error err;
    int rc = sb_sim_parse(doc, NULL, &s, &err);
    json_decref(doc);
    if (rc) {
        fprintf(stderr, "switchboard staff: check scenario: %s: %s\n", err.path, err.reason);
        return 1;
    }
    sb_sim_result *r = sb_calloc((size_t)reps, sizeof(*r));
    for (long i = 0; i < reps && rc == 0; i++) rc = sb_sim_run(&s, s.seed + (uint64_t)i, &r[i]);
    if (rc == 0) {
        printf("\nCheck by simulation (%ld replication%s), Erlang A staffing:\n", reps, reps == 1 ? "" : "s");
        printf("%-8s %-14s %8s %9s %9s %9s\n", "start", "queue", "agents", "target", "SL sim", "abandon");
        for (uint32_t k = 0; k < p->nintervals; k++)
            for (uint32_t i = 0; i < p->nsrc; i++) {
                sb_sim_figures sum = {0};
                for (long n = 0; n < reps; n++) {
                    const sb_sim_figures *f = &r[n].queue_intervals[i * r[n].nintervals + k];
                    sum.offered += f->offered;
                    sum.answered += f->answered;
                    sum.answered_in_sl += f->answered_in_sl;
                    sum.abandoned += f->abandoned;
                    sum.short_abandoned += f->short_abandoned;
                }
                double minutes = k * p->interval_s / 60;
                printf("%02d:%02d    %-14s %8d %8.1f%% %8.1f%% %8.2f%%\n", (int)(minutes / 60),
                       (int)fmod(minutes, 60), p->src[i].queue, p->agents_a[i * p->nintervals + k],
                       100 * p->src[i].target, 100 * sb_sim_service_level(&sum),
                       100 * sb_sim_abandon_rate(&sum));
            }
    } else {
        fprintf(stderr, "switchboard staff: simulation failed: %s\n", sb_status_name(rc));
    }
    for (long i = 0; i < reps; i++) sb_sim_result_free(&r[i]);
    sb_free(r);
    sb_sim_scenario_free(&s);
    return rc ? 1 : 0;
}

static int from_scenario(plan *p, const sb_sim_scenario *s, double target, double threshold) {
    p->nsrc = s->ntraffic;
    p->nintervals = (uint32_t)((s->duration_ms + s->interval_ms - 1) / s->interval_ms);
    p->interval_s = (double)s->interval_ms / 1000;
    p->src = sb_calloc(p->nsrc, sizeof(*p->src));
    for (uint32_t i = 0; i < p->nsrc; i++) {
        const sb_sim_traffic *t = &s->traffic[i];
        const sb_config_queue *q = &s->cfg.queues[t->queue];
        source *src = &p->src[i];
        src->queue = q->name;
        src->channel = sb_channel_name(t->channel);
        src->threshold = threshold >= 0 ? threshold : q->sl_threshold_s;
        src->target = target >= 0 ? target : q->sl_target;
        src->aht = mean_of(&t->handle) + mean_of(&t->wrapup);
        if (t->patience.kind == SB_DIST_EXPONENTIAL) {
            src->patience = t->patience.mean;
        } else if (t->patience.kind != SB_DIST_NONE) {
            fprintf(stderr, "switchboard staff: %s: Erlang A needs exponential patience; using its mean\n", src->queue);
            src->patience = mean_of(&t->patience);
        }
        if (t->nreplay) {
            fprintf(stderr, "switchboard staff: %s: replayed arrivals are not a rate; give per_interval or per_hour\n", src->queue);
            return 1;
        }
        if (!(src->aht > 0)) {
            fprintf(stderr, "switchboard staff: %s: handle time must be positive\n", src->queue);
            return 1;
        }
        src->rate = sb_malloc(p->nintervals * sizeof(double));
        for (uint32_t k = 0; k < p->nintervals; k++)
            src->rate[k] = t->per_interval[k % t->nper_interval] / p->interval_s;
    }
    return 0;
}

static void plan_free(plan *p) {
    for (uint32_t i = 0; i < p->nsrc; i++) sb_free(p->src[i].rate);
    sb_free(p->src);
    sb_free(p->agents_c);
    sb_free(p->agents_a);
}

static int number(const char *opt, const char *arg, double lo, double hi, double *out) {
    char *end;
    *out = strtod(arg, &end);
    if (*end || !(*out >= lo && *out <= hi)) {
        fprintf(stderr, "switchboard staff: %s wants a number from %g to %g\n", opt, lo, hi);
        return 1;
    }
    return 0;
}

int sb_app_staff(int argc, char **argv) {
    enum { O_TARGET = 1000, O_THRESHOLD, O_PER_HOUR, O_AHT, O_PATIENCE, O_INTERVALS, O_CHECK, O_MAX };
    static const struct option opts[] = {
        {"target", required_argument, 0, O_TARGET},     {"threshold", required_argument, 0, O_THRESHOLD},
        {"per-hour", required_argument, 0, O_PER_HOUR}, {"aht", required_argument, 0, O_AHT},
        {"patience", required_argument, 0, O_PATIENCE}, {"intervals", required_argument, 0, O_INTERVALS},
        {"check", no_argument, 0, O_CHECK},             {"max-agents", required_argument, 0, O_MAX},
        {"replications", required_argument, 0, 'n'},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    double target = -1, threshold = -1, per_hour = -1, aht = -1, patience = 0, intervals = 1, reps = 5,
           max_agents = 10000;
    int do_check = 0, o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        int bad = 0;
        switch (o) {
        case O_TARGET: bad = number("--target", optarg, 0.001, 0.999, &target); break;
        case O_THRESHOLD: bad = number("--threshold", optarg, 0, 1e7, &threshold); break;
        case O_PER_HOUR: bad = number("--per-hour", optarg, 0, 1e8, &per_hour); break;
        case O_AHT: bad = number("--aht", optarg, 0.001, 1e7, &aht); break;
        case O_PATIENCE: bad = number("--patience", optarg, 0.001, 1e7, &patience); break;
        case O_INTERVALS: bad = number("--intervals", optarg, 1, 10000, &intervals); break;
        case O_MAX: bad = number("--max-agents", optarg, 1, 100000, &max_agents); break;
        case O_CHECK: do_check = 1; break;
        case 'n': bad = number("--replications", optarg, 1, 1000, &reps); break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
        if (bad) return 2;
    }
    plan p = {0};
    sb_sim_scenario s = {0};
    int rc = 0;
    if (optind == argc - 1) {
        sb_config_error err;
        if (sb_sim_load(argv[optind], &s, &err)) {
            fprintf(stderr, "switchboard staff: %s: %s: %s\n", argv[optind], err.path, err.reason);
            return 1;
        }
        rc = from_scenario(&p, &s, target, threshold);
    } else if (optind == argc && per_hour >= 0 && aht > 0) {
        if (do_check) {
            fprintf(stderr, "switchboard staff: --check needs a scenario\n");
            return 2;
        }
        p.nsrc = 1;
        p.nintervals = (uint32_t)intervals;
        p.interval_s = 900;
        p.src = sb_calloc(1, sizeof(*p.src));
        p.src[0] = (source){"(flags)", "-", threshold >= 0 ? threshold : 20, target >= 0 ? target : 0.8,
                            aht, patience, sb_malloc(p.nintervals * sizeof(double))};
        for (uint32_t k = 0; k < p.nintervals; k++) p.src[0].rate[k] = per_hour / 3600;
    } else {
        fputs(usage_text, stderr);
        return 2;
    }
    if (rc == 0) rc = compute(&p, (int)max_agents);
    if (rc == 0) print_plan(&p);
    if (rc == 0 && do_check) rc = check(&s, &p, (long)reps);
    plan_free(&p);
    if (s.names) sb_sim_scenario_free(&s);
    return rc;
}
