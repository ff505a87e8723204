/* report.c: simulation results as JSON, CSV and an SVG chart.
 * With several replications, interval figures are averaged and totals
 * carry 95 % confidence half-widths across replications. */
#include <math.h>
#include <string.h>

#include "base/mem.h"
#include "sim/sim.h"

typedef double (*figure_fn)(const sb_sim_figures *f);

static const struct {
    const char *name;
    figure_fn fn;
} figures[] = {
    {"service_level", sb_sim_service_level}, {"asa_seconds", sb_sim_asa},
    {"abandon_rate", sb_sim_abandon_rate},   {"occupancy", sb_sim_occupancy},
    {"avg_queue_length", sb_sim_queue_length}, {"aht_seconds", sb_sim_aht},
};
#define NFIG (sizeof(figures) / sizeof(figures[0]))

/* Sum the counts of n figure sets into one (for averaged intervals). */
static void add(sb_sim_figures *to, const sb_sim_figures *f) {
    double *a = (double *)to;
    const double *b = (const double *)f;
    for (size_t i = 0; i < sizeof(*f) / sizeof(double); i++) a[i] += b[i];
}

static void json_num(FILE *f, double v) {
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

/* Counts averaged over replications, then the derived figures. */
static void json_figures(FILE *f, const sb_sim_figures *sum, uint32_t n) {
    fprintf(f, "\"offered\": %.6g, \"answered\": %.6g, \"abandoned\": %.6g, \"short_abandoned\": %.6g, "
               "\"refused_or_ended\": %.6g, \"max_wait_seconds\": ",
            sum->offered / n, sum->answered / n, sum->abandoned / n, sum->short_abandoned / n,
            sum->ended / n);
    json_num(f, sum->wait_max_s);
    for (size_t k = 0; k < NFIG; k++) {
        fprintf(f, ", \"%s\": ", figures[k].name);
        json_num(f, figures[k].fn(sum));
    }
}

static void json_total(FILE *f, const sb_sim_result *r, uint32_t n, const sb_sim_figures *(*pick)(const sb_sim_result *, uint32_t), uint32_t q) {
    sb_sim_figures sum = {0};
    for (uint32_t i = 0; i < n; i++) {
        const sb_sim_figures *one = pick(&r[i], q);
        double m = fmax(sum.wait_max_s, one->wait_max_s);
        add(&sum, one);
        sum.wait_max_s = m;
    }
    json_figures(f, &sum, n);
    double *v = sb_malloc(n * sizeof(double));
    for (size_t k = 0; k < NFIG; k++) {
        for (uint32_t i = 0; i < n; i++) v[i] = figures[k].fn(pick(&r[i], q));
        double mean, half;
        sb_sim_ci95(v, n, &mean, &half);
        fprintf(f, ", \"%s_ci95\": ", figures[k].name);
        json_num(f, half);
    }
    sb_free(v);
}

static const sb_sim_figures *pick_total(const sb_sim_result *r, uint32_t q) {
    (void)q;
    return &r->total;
}
static const sb_sim_figures *pick_queue(const sb_sim_result *r, uint32_t q) { return &r->queues[q]; }

static sb_sim_figures interval_sum(const sb_sim_result *r, uint32_t n, uint32_t k) {
    sb_sim_figures sum = {0};
    for (uint32_t i = 0; i < n; i++) {
        double m = fmax(sum.wait_max_s, r[i].intervals[k].wait_max_s);
        add(&sum, &r[i].intervals[k]);
        sum.wait_max_s = m;
    }
    return sum;
}

void sb_sim_write_json(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n) {
    fprintf(f, "{\n  \"replications\": %u,\n  \"seed\": %llu,\n  \"duration_hours\": %.6g,\n"
               "  \"interval_minutes\": %.6g,\n  \"warmup_minutes\": %.6g,\n",
            n, (unsigned long long)s->seed, (double)s->duration_ms / 3600000,
            (double)s->interval_ms / 60000, (double)s->warmup_ms / 60000);
    fputs("  \"total\": {", f);
    json_total(f, r, n, pick_total, 0);
    fputs("},\n  \"queues\": [", f);
    for (uint32_t q = 0; q < s->cfg.nqueues; q++) {
        fprintf(f, "%s\n    {\"queue\": \"%s\", ", q ? "," : "", s->cfg.queues[q].name);
        json_total(f, r, n, pick_queue, q);
        fputc('}', f);
    }
    fputs("\n  ],\n  \"intervals\": [", f);
    for (uint32_t k = 0; k < r[0].nintervals; k++) {
        sb_sim_figures sum = interval_sum(r, n, k);
        fprintf(f, "%s\n    {\"start_minutes\": %.6g, ", k ? "," : "",
                (double)k * (double)s->interval_ms / 60000);
        json_figures(f, &sum, n);
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
}

static void csv_num(FILE *f, double v) {
    if (!isnan(v) && !isinf(v)) fprintf(f, "%.6g", v);
}

void sb_sim_write_csv(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n) {
    fputs("start_minutes,offered,answered,abandoned,short_abandoned", f);
    for (size_t k = 0; k < NFIG; k++) fprintf(f, ",%s", figures[k].name);
    fputc('\n', f);
    for (uint32_t k = 0; k < r[0].nintervals; k++) {
        sb_sim_figures sum = interval_sum(r, n, k);
        fprintf(f, "%.6g,%.6g,%.6g,%.6g,%.6g", (double)k * (double)s->interval_ms / 60000,
                sum.offered / n, sum.answered / n, sum.abandoned / n, sum.short_abandoned / n);
        for (size_t j = 0; j < NFIG; j++) {
            fputc(',', f);
            csv_num(f, figures[j].fn(&sum));
        }
        fputc('\n', f);
    }
}

/* Bars: offered per interval (left axis); line: service level (right
 * axis, 0-100 %); a dashed line at the first queue's target. */
void sb_sim_write_svg(FILE *f, const sb_sim_scenario *s, const sb_sim_result *r, uint32_t n) {
    const double W = 960, H = 420, L = 60, R = 60, T = 40, B = 50;
    uint32_t m = r[0].nintervals;
    double maxv = 1;
    for (uint32_t k = 0; k < m; k++) maxv = fmax(maxv, interval_sum(r, n, k).offered / n);
    double bw = (W - L - R) / m;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
               "<text x=\"%.0f\" y=\"24\" font-size=\"15\">Offered per interval (bars) and service "
               "level (line), %u replication%s</text>\n", L, n, n == 1 ? "" : "s");
    for (uint32_t k = 0; k < m; k++) {
        double v = interval_sum(r, n, k).offered / n, h = v / maxv * (H - T - B);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#9ecae1\"/>\n",
                L + k * bw, H - B - h, fmax(bw - 1, 0.5), h);
    }
    fputs("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"", f);
    for (uint32_t k = 0; k < m; k++) {
        sb_sim_figures sum = interval_sum(r, n, k);
        double sl = sb_sim_service_level(&sum);
        if (!isnan(sl)) fprintf(f, "%.1f,%.1f ", L + (k + 0.5) * bw, H - B - sl * (H - T - B));
    }
    fputs("\"/>\n", f);
    if (s->cfg.nqueues) {
        double y = H - B - s->cfg.queues[0].sl_target * (H - T - B);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#d62728\" "
                   "stroke-dasharray=\"4 4\"/>\n", L, y, W - R, y);
    }
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    for (int i = 0; i <= 4; i++) {
        double y = H - B - i * (H - T - B) / 4;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", L - 6, y + 4, maxv * i / 4);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\">%d%%</text>\n", W - R + 6, y + 4, i * 25);
    }
    uint32_t step = m > 12 ? m / 12 : 1;
    for (uint32_t k = 0; k < m; k += step) {
        double minutes = (double)k * (double)s->interval_ms / 60000;
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%02d:%02d</text>\n",
                L + k * bw, H - B + 18, (int)(minutes / 60) % 24, (int)minutes % 60);
    }
    fputs("</svg>\n", f);
}
