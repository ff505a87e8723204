/* metrics.c: GET /metrics, the process's figures in the Prometheus text
 * format (version 0.0.4): requests and their latency by route, WebSocket
 * clients, the store's batches and commits, the time the routing core
 * takes on the write path, the event loop's lag.  Counted on the loop
 * thread as things happen (api.c, commit.c, figures.c); nothing is sampled.
 * The figures are the process's, summed over tenants: no tenant's names or
 * ids appear. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"

const double sb__lat_bounds[SB__HIST_N] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                           0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
_Static_assert(SB_STORE_COMMIT_BUCKETS == SB__HIST_N,
               "the store's commit buckets are sb__lat_bounds in microseconds");
const double sb__size_bounds[SB__HIST_N] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

void sb__hist_add(sb__hist *h, const double *bounds, double v) {
    int i = 0;
    while (i < SB__HIST_N && v > bounds[i]) i++;
    h->n[i]++;
    h->count++;
    h->sum += v;
}

sb__metrics *sb__metrics_new(size_t nroutes) {
    sb__metrics *m = sb_calloc(1, sizeof(*m));
    m->nroute = nroutes + 1;
    m->route = sb_calloc(m->nroute, sizeof(*m->route));
    m->cur_route = -1;
    return m;
}

void sb__metrics_free(sb__metrics *m) {
    if (m == NULL) return;
    sb_free(m->route);
    sb_free(m);
}

void sb__metric_decision(sb_api *api, uint64_t t0) {
    sb__hist_add(&api->metrics->decision, sb__lat_bounds, (double)(uv_hrtime() - t0) / 1e9);
}

static void hist_out(FILE *f, const char *name, const char *labels, const sb__hist *h, const double *bounds) {
    uint64_t cum = 0;
    const char *sep = *labels ? "," : "";
    for (int i = 0; i < SB__HIST_N; i++) {
        cum += h->n[i];
        fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i], (unsigned long long)cum);
    }
    fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)h->count);
    fprintf(f, "%s_sum%s%s%s %.9g\n", name, *labels ? "{" : "", labels, *labels ? "}" : "", h->sum);
    fprintf(f, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
            (unsigned long long)h->count);
}

static void head(FILE *f, const char *name, const char *type, const char *help) {
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* GET /metrics (admins and API keys with stats:read). */
void sb__metrics_get(sb__req *r) {
    sb_api *api = r->api;
    sb__metrics *m = api->metrics;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        sb__problem(r->http, 503, "unavailable", NULL, "out of memory");
        return;
    }
    char labels[400];
    head(f, "switchboard_http_requests_total", "counter", "Requests routed, by route (unmatched: 404/405).");
    for (size_t i = 0; i < m->nroute; i++) {
        if (m->route[i].count == 0) continue;
        const char *method = "", *path = "unmatched";
        if (i + 1 < m->nroute) sb_api_route_at(i, &method, &path);
        fprintf(f, "switchboard_http_requests_total{method=\"%s\",route=\"%s\"} %llu\n", method, path,
                (unsigned long long)m->route[i].count);
    }
    head(f, "switchboard_http_request_duration_seconds", "histogram",
         "From routing to the answer: for writes, until the change is durable.");
    for (size_t i = 0; i < m->nroute; i++) {
        if (m->route[i].count == 0) continue;
        const char *method = "", *path = "unmatched";
        if (i + 1 < m->nroute) sb_api_route_at(i, &method, &path);
        snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"", method, path);
        hist_out(f, "switchboard_http_request_duration_seconds", labels, &m->route[i], sb__lat_bounds);
    }
    head(f, "switchboard_websocket_clients", "gauge", "Open /v1/stream connections.");
    fprintf(f, "switchboard_websocket_clients %u\n", sb__stream_clients(api));

    sb_store_stats st;
    sb_store_stats_get(api->env.store, &st);
    head(f, "switchboard_store_batches_total", "counter", "Batches the store's writer has finished.");
    fprintf(f, "switchboard_store_batches_total %llu\n", (unsigned long long)st.batches);
    head(f, "switchboard_store_transactions_total", "counter", "Transactions (group commits) the writer has run.");
    fprintf(f, "switchboard_store_transactions_total %llu\n", (unsigned long long)st.transactions);
    head(f, "switchboard_store_failed_transactions_total", "counter", "Transactions that failed.");
    fprintf(f, "switchboard_store_failed_transactions_total %llu\n", (unsigned long long)st.failed);
    head(f, "switchboard_store_in_flight_batches", "gauge", "Batches submitted and not yet done.");
    fprintf(f, "switchboard_store_in_flight_batches %llu\n", (unsigned long long)st.in_flight);
    head(f, "switchboard_store_last_commit_seconds", "gauge", "The last transaction, BEGIN to COMMIT, fsync included.");
    fprintf(f, "switchboard_store_last_commit_seconds %.9g\n", (double)st.last_commit_us / 1e6);
    head(f, "switchboard_store_max_commit_seconds", "gauge", "The slowest transaction since start.");
    fprintf(f, "switchboard_store_max_commit_seconds %.9g\n", (double)st.max_commit_us / 1e6);
    head(f, "switchboard_store_transaction_duration_seconds", "histogram",
         "Transactions (group commits) by duration, BEGIN to COMMIT, fsync included.");
    sb__hist tx = {.count = st.transactions, .sum = (double)st.commit_sum_us / 1e6};
    memcpy(tx.n, st.commit_hist, sizeof(tx.n));
    hist_out(f, "switchboard_store_transaction_duration_seconds", "", &tx, sb__lat_bounds);
    head(f, "switchboard_store_batch_operations", "histogram", "Operations per submitted batch.");
    hist_out(f, "switchboard_store_batch_operations", "", &m->batch_ops, sb__size_bounds);
    head(f, "switchboard_store_commit_duration_seconds", "histogram", "A batch from submission until durable.");
    hist_out(f, "switchboard_store_commit_duration_seconds", "", &m->commit, sb__lat_bounds);
    head(f, "switchboard_routing_decision_duration_seconds", "histogram",
         "Time in the routing core's calls on the write path (requests and timers).");
    hist_out(f, "switchboard_routing_decision_duration_seconds", "", &m->decision, sb__lat_bounds);
    head(f, "switchboard_event_loop_lag_seconds", "histogram", "How late the 1 s timer fires.");
    hist_out(f, "switchboard_event_loop_lag_seconds", "", &m->loop_lag, sb__lat_bounds);
    head(f, "switchboard_event_loop_lag_last_seconds", "gauge", "The last measured lateness of the 1 s timer.");
    fprintf(f, "switchboard_event_loop_lag_last_seconds %.6f\n", (double)m->lag_last_us / 1e6);
    uint64_t live = 0;
    for (sb__tenant *t = api->tenants; t; t = t->next) live += sb_map_len(&t->live);
    head(f, "switchboard_live_interactions", "gauge", "Unfinished interactions (every tenant).");
    fprintf(f, "switchboard_live_interactions %llu\n", (unsigned long long)live);
    fclose(f);
    sb_http_respond(r->http, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}
