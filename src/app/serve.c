/* serve.c: `switchboard serve`: one libuv loop owning the HTTP server, the
 * API and the store.  SIGTERM or SIGINT: stop accepting, finish the
 * requests in flight, commit what was submitted, exit 0. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "app/app.h"
#include "base/mem.h"
#include "base/status.h"

#define SB_VERSION "0.1.0"

/* docs/openapi.json, built in (build/gen/openapi.c). */
extern const char sb_openapi_json[];
extern const unsigned long sb_openapi_json_len;

static const char usage_text[] =
    "usage: switchboard serve [options]\n"
    "\n"
    "Serve the Switchboard API over HTTP/1.1.  Every option can also be set by\n"
    "the environment variable in brackets; a flag wins over the variable.\n"
    "\n"
    "  --listen ADDR            address to bind, an IP literal [SB_LISTEN] (127.0.0.1)\n"
    "  --port N                 TCP port, 0 for any free one [SB_PORT] (8080)\n"
    "  --data DIR               data directory, created if missing [SB_DATA] (./data)\n"
    "  --max-body BYTES         largest request body, else 413 [SB_MAX_BODY] (1048576)\n"
    "  --max-header BYTES       largest request header section, else 431 [SB_MAX_HEADER] (16384)\n"
    "  --max-connections N      open connections, beyond: 503 [SB_MAX_CONNECTIONS] (1024)\n"
    "  --request-timeout-ms MS  a request must arrive within, else 408 [SB_REQUEST_TIMEOUT_MS] (30000)\n"
    "  --idle-timeout-ms MS     idle keep-alive connections close after [SB_IDLE_TIMEOUT_MS] (60000)\n"
    "  --grace-ms MS            after a restart, logged-in agents whose desktop does not\n"
    "                           reconnect within this are logged out [SB_GRACE_MS] (60000)\n"
    "  --session-ttl-ms MS      how long a login session lasts [SB_SESSION_TTL_MS] (43200000)\n"
    "  --rate-limit N           requests per second per token (bursts of 2N), beyond: 429;\n"
    "                           0 for none [SB_RATE_LIMIT] (100)\n"
    "  --stats-interval-minutes N  length of the stored statistics intervals, minutes\n"
    "                           dividing a day: 1, 5, 15, 30, 60 ... [SB_STATS_INTERVAL_MINUTES] (15)\n"
    "  --seed FILE              import this configuration (docs/api.md, sb_api_seed) into\n"
    "                           the default tenant if it has no queues yet [SB_SEED]\n"
    "  --web DIR                the browser pages (desktop, wallboard, admin, chat widget),\n"
    "                           read once at start [SB_WEB] (the web folder beside the binary)\n"
    "  --chat-abandon-ms MS     a waiting chat customer gone this long abandons [SB_CHAT_ABANDON_MS] (60000)\n"
    "  --tls-cert FILE          serve HTTPS (and WSS) only, with this PEM certificate\n"
    "                           (the server's first, then intermediates) [SB_TLS_CERT]\n"
    "  --tls-key FILE           and its PEM private key, unencrypted [SB_TLS_KEY];\n"
    "                           both or neither.  TLS 1.2 at least, no renegotiation\n"
    "\n"
    "The store in the data directory is rebuilt into memory at start: waiting\n"
    "interactions line up again, connected work returns to its agents.\n"
    "On start it prints \"switchboard: serving http://ADDR:PORT/\" (https:// with TLS)\n"
    "once listening.\n";

typedef struct server {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    sb_http_server *http;
    sb_store *store;
    sb_api *api;
    int stopping;
} server;

static void on_http_down(sb_http_server *srv, void *ud) {
    (void)srv;
    server *s = ud;
    s->http = NULL;
    sb_store_close(s->store); /* commits what was submitted */
    s->store = NULL;
    uv_close((uv_handle_t *)&s->sigterm, NULL);
    uv_close((uv_handle_t *)&s->sigint, NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
    server *s = h->data;
    if (s->stopping++) return;
    fprintf(stderr, "switchboard: %s: shutting down\n", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    sb_api_stop(s->api); /* streams close with 1001 */
    sb_http_server_shutdown(s->http, on_http_down, s);
}

/* --seed: a configuration file for the default tenant (the demo). */
static int seed_from(sb_api *api, const char *path, char *err, size_t errlen) {
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return SB_EINVAL;
    }
    int rc = sb_api_seed(api, "default", doc, err, errlen);
    if (rc == SB_OK) {
        size_t i;
        json_t *u;
        fprintf(stderr, "switchboard: tenant \"default\" has the configuration of %s; its users:\n", path);
        json_array_foreach(json_object_get(doc, "users"), i, u)
            fprintf(stderr, "  %-8s %-11s password: %s\n", json_string_value(json_object_get(u, "id")),
                    json_string_value(json_object_get(u, "role")),
                    json_string_value(json_object_get(u, "password")) ?: "(none)");
        fprintf(stderr, "  log in at the address below (tenant \"default\"), or POST /v1/auth/login\n");
    }
    json_decref(doc);
    return rc;
}

/* A size option from a flag or its environment variable. */
static int opt_size(const char *name, const char *text, uint64_t lo, uint64_t hi, uint64_t *out) {
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *end || v < lo || v > hi || text[0] == '-') {
        fprintf(stderr, "switchboard serve: %s wants a whole number from %llu to %llu, not '%s'\n",
                name, (unsigned long long)lo, (unsigned long long)hi, text);
        return 1;
    }
    *out = v;
    return 0;
}

/* Start-up failed after the store opened: close everything, exit 1. */
static int give_up(server *s, sb_tls *tls) {
    sb_api_stop(s->api);
    sb_store_close(s->store);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    sb_api_free(s->api);
    sb_tls_release(tls);
    uv_loop_close(&s->loop);
    return 1;
}

/* The web folder beside the binary (build/web next to build/switchboard),
 * or NULL when there is none. */
static const char *default_web(char *buf, size_t size) {
    ssize_t n = readlink("/proc/self/exe", buf, size - 5);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL) return NULL;
    strcpy(slash + 1, "web");
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

int sb_app_serve(int argc, char **argv) {
    enum { O_LISTEN = 1000, O_PORT, O_DATA, O_BODY, O_HEADER, O_CONNS, O_REQTO, O_IDLETO, O_GRACE, O_SEED, O_RATE, O_TTL, O_STATS_IV };
    enum { O_TLS_CERT = 2000, O_TLS_KEY, O_WEB, O_CHAT_ABANDON };
    static const struct option opts[] = {
        {"listen", required_argument, 0, O_LISTEN},        {"port", required_argument, 0, O_PORT},
        {"data", required_argument, 0, O_DATA},            {"max-body", required_argument, 0, O_BODY},
        {"max-header", required_argument, 0, O_HEADER},    {"max-connections", required_argument, 0, O_CONNS},
        {"request-timeout-ms", required_argument, 0, O_REQTO},
        {"idle-timeout-ms", required_argument, 0, O_IDLETO}, {"help", no_argument, 0, 'h'},
        {"grace-ms", required_argument, 0, O_GRACE},        {"seed", required_argument, 0, O_SEED},
        {"rate-limit", required_argument, 0, O_RATE},
        {"session-ttl-ms", required_argument, 0, O_TTL},
        {"stats-interval-minutes", required_argument, 0, O_STATS_IV},
        {"tls-cert", required_argument, 0, O_TLS_CERT}, {"tls-key", required_argument, 0, O_TLS_KEY},
        {"web", required_argument, 0, O_WEB}, {"chat-abandon-ms", required_argument, 0, O_CHAT_ABANDON},
        {0, 0, 0, 0}};
    static const struct {
        int opt;
        const char *env, *flag;
        uint64_t lo, hi;
    } sizes[] = {{O_PORT, "SB_PORT", "--port", 0, 65535},
                 {O_BODY, "SB_MAX_BODY", "--max-body", 1, 1ull << 30},
                 {O_HEADER, "SB_MAX_HEADER", "--max-header", 256, 1u << 20},
                 {O_CONNS, "SB_MAX_CONNECTIONS", "--max-connections", 1, 1000000},
                 {O_REQTO, "SB_REQUEST_TIMEOUT_MS", "--request-timeout-ms", 1, 3600000},
                 {O_IDLETO, "SB_IDLE_TIMEOUT_MS", "--idle-timeout-ms", 1, 86400000},
                 {O_GRACE, "SB_GRACE_MS", "--grace-ms", 1, 86400000},
                 {O_RATE, "SB_RATE_LIMIT", "--rate-limit", 0, 1000000},
                 {O_TTL, "SB_SESSION_TTL_MS", "--session-ttl-ms", 1000, 30LL * 86400000},
                 {O_STATS_IV, "SB_STATS_INTERVAL_MINUTES", "--stats-interval-minutes", 1, 1440},
                 {O_CHAT_ABANDON, "SB_CHAT_ABANDON_MS", "--chat-abandon-ms", 1, 86400000}};
    enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
    uint64_t val[NSIZES] = {8080, 0, 0, 0, 0, 0, 60000, 100, 12 * 3600 * 1000, 15, 60000};
    char web_default[4096];
    const char *web = getenv("SB_WEB") ? getenv("SB_WEB") : default_web(web_default, sizeof(web_default));
    const char *seed = getenv("SB_SEED");
    const char *tls_cert = getenv("SB_TLS_CERT"), *tls_key = getenv("SB_TLS_KEY");
    const char *listen = getenv("SB_LISTEN") ? getenv("SB_LISTEN") : "127.0.0.1";
    const char *data = getenv("SB_DATA") ? getenv("SB_DATA") : "./data";
    for (int i = 0; i < NSIZES; i++) {
        const char *e = getenv(sizes[i].env);
        if (e && opt_size(sizes[i].env, e, sizes[i].lo, sizes[i].hi, &val[i])) return 2;
    }
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (o == O_LISTEN) {
            listen = optarg;
            continue;
        }
        if (o == O_DATA) {
            data = optarg;
            continue;
        }
        if (o == O_WEB) {
            web = optarg;
            continue;
        }
        if (o == O_SEED) {
            seed = optarg;
            continue;
        }
        if (o == O_TLS_CERT || o == O_TLS_KEY) {
            *(o == O_TLS_CERT ? &tls_cert : &tls_key) = optarg;
            continue;
        }
        int i = 0;
        while (i < NSIZES && sizes[i].opt != o) i++;
        if (i == NSIZES) {
            fputs(usage_text, stderr);
            return 2;
        }
        if (opt_size(sizes[i].flag, optarg, sizes[i].lo, sizes[i].hi, &val[i])) return 2;
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return 2;
    }

    if (1440 % val[9]) {
        fprintf(stderr, "switchboard serve: --stats-interval-minutes must divide a day (1440 minutes)\n");
        return 2;
    }
    char err[256] = "";
    sb_tls *tls = NULL; /* HTTPS: loaded before anything else, to fail fast */
    if ((tls_cert && *tls_cert) != (tls_key && *tls_key)) {
        fprintf(stderr, "switchboard serve: --tls-cert and --tls-key (SB_TLS_CERT, SB_TLS_KEY) go together\n");
        return 2;
    }
    if (tls_cert && *tls_cert && sb_tls_load(&tls, tls_cert, tls_key, err, sizeof(err)) != SB_OK) {
        fprintf(stderr, "switchboard serve: TLS: %s\n", err);
        return 1;
    }
    server s = {0};
    uv_loop_init(&s.loop);
    int rc = sb_store_open(&s.loop, data, &s.store, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "switchboard serve: data directory %s: %s\n", data, err);
        sb_tls_release(tls);
        uv_loop_close(&s.loop);
        return 1;
    }
    sb_api_env env = {.store = s.store, .version = SB_VERSION, .started_ms = uv_now(&s.loop),
                      .loop = &s.loop, .openapi = sb_openapi_json,
                      .openapi_len = sb_openapi_json_len, .grace_ms = (int64_t)val[6],
                      .rate = (double)val[7], .session_ms = (int64_t)val[8],
                      .stats_interval_min = (int)val[9], .web_dir = web && *web ? web : NULL,
                      .chat_abandon_ms = (int64_t)val[10]};
    s.api = sb_api_new(&env);
    uint64_t t0 = uv_hrtime();
    if ((rc = sb_api_start(s.api, err, sizeof(err))) == SB_OK && seed) rc = seed_from(s.api, seed, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "switchboard serve: %s\n", err);
        return give_up(&s, tls);
    }
    fprintf(stderr, "switchboard: state rebuilt from %s in %.1f ms\n", data, (double)(uv_hrtime() - t0) / 1e6);
    sb_http_options ho = {.max_body = val[1], .max_header = val[2], .max_connections = (uint32_t)val[3],
                          .request_timeout_ms = val[4], .idle_timeout_ms = val[5]};
    ho.tls = tls;
    s.http = sb_http_server_new(&s.loop, &ho, sb_api_handle, s.api);
    if ((rc = sb_http_server_listen(s.http, listen, (int)val[0]))) {
        fprintf(stderr, "switchboard serve: cannot listen on %s port %llu: %s\n", listen,
                (unsigned long long)val[0], sb_http_server_error(s.http));
        sb_http_server_shutdown(s.http, NULL, NULL);
        return give_up(&s, tls);
    }
    uv_signal_init(&s.loop, &s.sigterm);
    uv_signal_init(&s.loop, &s.sigint);
    s.sigterm.data = s.sigint.data = &s;
    uv_signal_start(&s.sigterm, on_signal, SIGTERM);
    uv_signal_start(&s.sigint, on_signal, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    int v6 = strchr(listen, ':') != NULL;
    printf("switchboard: serving %s://%s%s%s:%d/ (data: %s)\n", tls ? "https" : "http", v6 ? "[" : "",
           listen, v6 ? "]" : "",
           sb_http_server_port(s.http), data);
    fflush(stdout);
    if (web && *web)
        fprintf(stderr,
                "switchboard: open that address in a browser: agents land on their desktop, supervisors on\n"
                "  the wallboard, administrators on the admin pages; the chat widget on an example page:\n"
                "  %s://%s%s%s:%d/chat-demo.html\n",
                tls ? "https" : "http", v6 ? "[" : "", listen, v6 ? "]" : "", sb_http_server_port(s.http));
    /* The routing cores take their interactions 2 MiB at a time: those
     * pages are faulted in ahead, off the loop. */
    sb_mem_huge_reserve(2);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    sb_mem_huge_reserve(0);
    sb_api_free(s.api);
    sb_tls_release(tls);
    rc = uv_loop_close(&s.loop);
    fprintf(stderr, "switchboard: stopped\n");
    return rc ? 1 : 0;
}
