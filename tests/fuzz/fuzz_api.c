/* fuzz_api.c: libFuzzer target for the JSON body decoders of the API's
 * routes (src/api).
 *
 * The real server runs in-process, as `switchboard serve` wires it
 * (src/app/serve.c): a store in a temporary directory (on /dev/shm when
 * there is one: commits fsync), sb_api_new + sb_api_start, and the HTTP
 * server on 127.0.0.1, an ephemeral port, all on one libuv loop in this
 * thread; the client is a loopback TCP connection on the same loop.
 * Before sb_api_start, tenant "default" gets two administrators written
 * straight into the store as `switchboard tenant create` does
 * (src/app/tenant.c), with an Argon2id hash made once here at the lowest
 * cost; one logs in (POST /v1/auth/login) and its bearer token is used by
 * every input but the customer's (below).  A small configuration is made
 * once through the API: a skill, a team, a wrap-up code, a not-ready
 * reason, custom fields, a capacity profile, a queue, an agent (logged in
 * and ready), a user, an API key and an interaction, so that routes have
 * something to act on; then a web chat in queue "billing" (POST
 * /v1/chat/sessions, as the widget starts one), whose customer token
 * ("sbc....") is used by the customer's routes: every /v1/chat/ route but
 * /v1/chat/sessions (which is public and gets the administrator's token,
 * ignored).  That chat is made again, before the next customer route, once
 * it has ended: a customer route answered 409, POST /v1/chat/end answered
 * 200, or the health check below saw it over (an input completed it, or
 * the customer's stream closed while it waited and it was abandoned after
 * ABANDON_MS, short here so that this happens).  The harness makes
 * its chats from addresses no input uses (127.3.x.y; inputs come from
 * 127.0.0.1), the next one whenever one has had its 20 new sessions a
 * minute, so it is never kept out; a fuzzed POST /v1/chat/sessions may
 * well answer 429.  State carries over from input to input (what one
 * input creates, the next may change); the server outlives inputs.
 *
 * Input:
 *   d[0]  the route: sb_api_route_at(d[0] % sb_api_route_count()); 0xFF:
 *         the route is named by the text up to the first newline
 *         ("POST /v1/skills"), the rest follows it (the seed corpus is
 *         written so, to survive changes to the table)
 *   d[1]  options
 *           bits 0-1  {id}: 0 the object made at start in the collection
 *                     named before {id} ("x" if none); 1 the last one a
 *                     fuzzed POST made there (else the first); 2, 3
 *                     fuzzed: the next byte % 65 bytes from the input,
 *                     "$ix" and "$cx" in them replaced as in the body
 *                     (then at most 64 bytes; the administrators' names
 *                     excepted), percent-encoded in the path
 *           bit 2     If-Match: "1"; on GET /v1/chat/stream, the token in
 *                     the Authorization header instead of the query
 *           bit 3     Idempotency-Key: k<bits 4-5>
 *           bits 6-7  Content-Type: 0, 1 application/json; 2
 *                     application/json; charset=utf-8; 3 text/plain
 *   rest  the request body, sent as is; "$ix" in it becomes the id of the
 *         last interaction made, "$cx" that of the harness's chat.  A GET
 *         has no body: the bytes (at most 1024, percent-encoded where the
 *         request line needs it) are its query string.  GET /v1/stream
 *         and GET /v1/chat/stream upgrade (a WebSocket on a connection of
 *         its own) and send the bytes as one text message, then a close
 *         frame; the chat stream's customer token goes in the query
 *         (?token=, as a browser sends it) unless bit 2 says otherwise.
 * The administrators are never an {id} (a fuzzed password or deletion
 * would lock the run out); POST /v1/auth/logout ends a session of the second administrator made
 * for it (logged in from 127.0.0.2, so that fuzzed logins, throttled per
 * address, do not keep it out).
 *
 * Checked, besides sanitizer reports: every request is answered with a
 * status (no crash, no hang: a watchdog of WATCHDOG_MS per request), never
 * 500, with a well-formed JSON body when it says it has one (problems with
 * a "code" and the same status); on the stream, well-formed frames,
 * every text message a JSON object with a "type", a close frame last;
 * every HEALTH_EVERY inputs GET /v1/health answers 200, the token
 * still works (GET /v1/auth/me) and so does the customer token (GET
 * /v1/chat/conversation answers 200, whether the chat is over or not).
 * Everything an input allocates in this file is freed by its end
 * (libFuzzer's leak detection); the server's own state grows with what
 * the inputs make, as it would in service. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "api/api.h"
#include "base/mem.h"
#include "base/status.h"
#include "net/http.h"
#include "fuzz_loop.h"
#include "store/store.h"

#define WATCHDOG_MS  10000
#define HEALTH_EVERY 64
#define RESEED_EVERY 512
#define MAX_QUERY    1024
#define ABANDON_MS   3000 /* --chat-abandon-ms (see the top) */
#define ADMIN        "fz-root-admin"
#define OPS          "fz-ops-admin"
#define PASSWORD     "fuzz-password-0123"
#define NAMED        0xFF /* d[0]: the route is named (see the top) */

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) sb_panic("fuzz_api: check failed at line %d: %s", __LINE__, #cond);           \
    } while (0)

/* A client connection to the server. */
typedef struct client {
    uv_tcp_t tcp;
    int open, closing;
    const char *from; /* the address it binds to, NULL: any */
    llhttp_t parser;
    /* the response being read */
    int status, done, upgraded;
    char ctype[64];
    char hname[32];
    size_t hname_len;
    int in_ctype;
    char *body;
    size_t body_len, body_cap;
} client;

static struct {
    uv_loop_t loop;
    char dir[512];
    sb_store *store;
    sb_api *api;
    sb_http_server *srv;
    uv_timer_t watchdog; /* unreferenced */
    llhttp_settings_t rs;
    client main, ctl, ws, chat;
    char auth[200]; /* "Bearer ..." */
    /* the harness's chat session: its customer token, its interaction */
    char cust_token[160], cust[200], cust_ix[32];
    int cust_over;      /* it has ended: a new one before the next use */
    unsigned chat_addr; /* the address it is made from: 127.3.x.y */
    char chat_from[20];
    unsigned long sessions; /* made so far */
    char *req;              /* the request being built */
    size_t req_len, req_cap;
    unsigned long inputs;
    int verbose;
    /* ids to put in {id}: the one made at start, the last made by a fuzzed POST */
    struct coll {
        const char *prefix; /* "/v1/skills/" */
        char first[72], last[72];
    } colls[16];
    size_t ncolls;
    struct coll *ix; /* the interactions' */
} G;

/* ---- the client ------------------------------------------------------------------ */

static int r_message_begin(llhttp_t *p) {
    client *c = p->data;
    c->status = 0;
    c->ctype[0] = '\0';
    c->body_len = 0;
    c->hname_len = 0;
    c->in_ctype = 0;
    return 0;
}

static int r_header_field(llhttp_t *p, const char *at, size_t n) {
    client *c = p->data;
    size_t k = n < sizeof(c->hname) - 1 - c->hname_len ? n : sizeof(c->hname) - 1 - c->hname_len;
    memcpy(c->hname + c->hname_len, at, k);
    c->hname_len += k;
    return 0;
}

static int r_header_field_complete(llhttp_t *p) {
    client *c = p->data;
    c->hname[c->hname_len] = '\0';
    c->in_ctype = strcasecmp(c->hname, "content-type") == 0;
    c->hname_len = 0;
    return 0;
}

static int r_header_value(llhttp_t *p, const char *at, size_t n) {
    client *c = p->data;
    if (!c->in_ctype) return 0;
    size_t have = strlen(c->ctype);
    size_t k = n < sizeof(c->ctype) - 1 - have ? n : sizeof(c->ctype) - 1 - have;
    memcpy(c->ctype + have, at, k);
    c->ctype[have + k] = '\0';
    return 0;
}

static int r_headers_complete(llhttp_t *p) {
    client *c = p->data;
    c->status = p->status_code;
    return 0;
}

static int r_body(llhttp_t *p, const char *at, size_t n) {
    client *c = p->data;
    if (c->body_len + n + 1 > c->body_cap) {
        c->body_cap = (c->body_len + n + 1) * 2;
        c->body = realloc(c->body, c->body_cap);
        CHECK(c->body != NULL);
    }
    memcpy(c->body + c->body_len, at, n);
    c->body_len += n;
    c->body[c->body_len] = '\0';
    return 0;
}

static int r_message_complete(llhttp_t *p) {
    client *c = p->data;
    c->done = 1;
    if (p->status_code == 101) return 0; /* llhttp stops with HPE_PAUSED_UPGRADE */
    return HPE_PAUSED;                   /* one response at a time */
}

static void closed_cb(uv_handle_t *h) {
    client *c = h->data;
    c->open = 0;
    c->closing = 0;
}

static void client_close(client *c) {
    if (!c->open || c->closing) return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, closed_cb);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    static char in[65536];
    *buf = uv_buf_init(in, sizeof(in));
}

/* After an upgrade: the server's WebSocket bytes, kept in c->body. */
static void ws_bytes(client *c, const char *p, size_t n) {
    CHECK(c->body_len + n <= (16u << 20));
    if (n > 0) r_body(&c->parser, p, n);
}

/* The server's frames on the stream so far: whole ones unmasked, text
 * ones JSON objects with a "type", nothing after a close frame.  Returns
 * the number of whole frames; at the end (`last`) there is no partial
 * one and a close frame came. */
static int ws_check(client *c, int last) {
    const uint8_t *b = (const uint8_t *)c->body;
    size_t off = 0;
    int closed = 0, frames = 0;
    while (off < c->body_len) {
        const uint8_t *f = b + off;
        size_t avail = c->body_len - off, h = 2;
        CHECK(!closed);
        if (avail < 2) break;
        CHECK((f[0] & 0xF0) == 0x80 && (f[1] & 0x80) == 0); /* final, no RSV, unmasked */
        uint64_t len = f[1] & 127;
        if (len == 126) {
            if (avail < 4) break;
            len = (uint64_t)f[2] << 8 | f[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | f[2 + i];
            h = 10;
        }
        if (len > avail - h) break;
        int op = f[0] & 15;
        if (op == 1) {
            json_error_t e;
            json_t *doc = json_loadb((const char *)f + h, (size_t)len, 0, &e);
            if (doc == NULL || !json_is_string(json_object_get(doc, "type")))
                sb_panic("fuzz_api: stream message is not a JSON object with a type: %.200s",
                         doc ? "(no type)" : e.text);
            json_decref(doc);
        } else if (op == 8) {
            closed = 1;
        } else {
            CHECK(op == 9 || op == 10);
        }
        off += h + (size_t)len;
        frames++;
    }
    if (last) CHECK(closed && off == c->body_len);
    return frames;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    client *c = s->data;
    if (nread == 0) return;
    if (nread < 0) {
        client_close(c);
        return;
    }
    if (c->upgraded) {
        ws_bytes(c, buf->base, (size_t)nread);
        return;
    }
    CHECK(!c->done); /* nothing before it is asked for */
    llhttp_errno_t e = llhttp_execute(&c->parser, buf->base, (size_t)nread);
    if (e == HPE_PAUSED_UPGRADE) {
        c->upgraded = 1;
        c->done = 1;
        const char *rest = llhttp_get_error_pos(&c->parser);
        ws_bytes(c, rest, (size_t)(buf->base + nread - rest));
    } else if (e == HPE_PAUSED) {
        /* one response complete; nothing may follow it unasked */
        const char *rest = llhttp_get_error_pos(&c->parser);
        CHECK(rest == buf->base + nread);
        llhttp_resume(&c->parser);
    } else if (e != HPE_OK) {
        sb_panic("fuzz_api: bad response: %s (%s)", llhttp_errno_name(e),
                 llhttp_get_error_reason(&c->parser));
    }
}

static void connect_client(client *c) {
    int bound;
    int fd = fuzz_connect("fuzz_api", sb_http_server_port(G.srv), c->from, &bound);
    if (!bound) c->from = NULL; /* any address did */
    CHECK(uv_tcp_init(&G.loop, &c->tcp) == 0);
    c->tcp.data = c;
    CHECK(uv_tcp_open(&c->tcp, fd) == 0);
    CHECK(uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb) == 0);
    c->open = 1;
    c->upgraded = 0;
    llhttp_init(&c->parser, HTTP_RESPONSE, &G.rs);
    c->parser.data = c;
}

static void write_all(client *c, const char *p, size_t n) {
    /* on loopback, with the server reading on the same loop: a blocking
     * write could wait for a read that only this thread can do */
    while (n > 0 && c->open && !c->closing) {
        uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
        int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r == UV_EAGAIN) {
            uv_run(&G.loop, UV_RUN_NOWAIT);
        } else {
            return; /* the server has gone: the read side says so */
        }
    }
}

static void watchdog_cb(uv_timer_t *t) {
    sb_panic("fuzz_api: no answer after %d ms (input %lu: %.200s)", WATCHDOG_MS, G.inputs, G.req);
}

/* Send G.req on `c` and wait for the answer: its status, or -1 if the
 * server closed the connection first. */
static int exchange(client *c) {
    if (!c->open) connect_client(c);
    c->done = 0;
    c->status = 0;
    uv_update_time(&G.loop);
    uv_timer_start(&G.watchdog, watchdog_cb, WATCHDOG_MS, 0);
    write_all(c, G.req, G.req_len);
    while (!c->done && c->open)
        uv_run(&G.loop, UV_RUN_ONCE);
    uv_timer_stop(&G.watchdog);
    if (!c->done) {
        while (c->open)
            uv_run(&G.loop, UV_RUN_ONCE);
        return -1;
    }
    return c->status;
}

/* ---- requests ------------------------------------------------------------------ */

static void req_add(const void *p, size_t n) {
    if (G.req_len + n + 1 > G.req_cap) {
        G.req_cap = (G.req_len + n + 1) * 2;
        G.req = realloc(G.req, G.req_cap);
        CHECK(G.req != NULL);
    }
    memcpy(G.req + G.req_len, p, n);
    G.req_len += n;
    G.req[G.req_len] = '\0';
}

static void req_addf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void req_addf(const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    CHECK(n >= 0 && (size_t)n < sizeof(tmp));
    req_add(tmp, (size_t)n);
}

/* Start a request: method, target (as given), Host, Authorization. */
static void req_start(const char *method, const char *target, const char *auth) {
    G.req_len = 0;
    req_add(method, strlen(method));
    req_add(" ", 1);
    req_add(target, strlen(target));
    req_add(" HTTP/1.1\r\nHost: 127.0.0.1\r\n", strlen(" HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    if (auth && *auth) req_addf("Authorization: %s\r\n", auth);
}

/* End the header section with a body (none when body is NULL). */
static void req_end(const char *ctype, const void *body, size_t len) {
    if (body) {
        if (ctype) req_addf("Content-Type: %s\r\n", ctype);
        req_addf("Content-Length: %zu\r\n", len);
    }
    req_add("\r\n", 2);
    if (body) req_add(body, len);
}

/* A whole JSON request from this harness; the status. */
static int call(client *c, const char *method, const char *target, const char *auth,
                const char *json) {
    req_start(method, target, auth);
    req_end("application/json", json, json ? strlen(json) : 0);
    return exchange(c);
}

/* The same, which must answer `want`. */
static void must(client *c, int want, const char *method, const char *target, const char *json) {
    int st = call(c, method, target, G.auth, json);
    if (st != want)
        sb_panic("fuzz_api: set-up: %s %s answered %d, not %d: %.400s", method, target, st, want,
                 c->body ? c->body : "");
}

/* A string member of the last response's JSON body into out. */
static int body_string(client *c, const char *key, char *out, size_t size) {
    json_t *doc = json_loadb(c->body ? c->body : "", c->body_len, 0, NULL);
    const char *v = json_string_value(json_object_get(doc, key));
    int ok = v != NULL && strlen(v) < size;
    if (ok) snprintf(out, size, "%s", v);
    json_decref(doc);
    return ok;
}

/* Log in as `user` from the ctl connection; the "Bearer ..." into out. */
static int login(const char *user, char *out, size_t size) {
    char body[160];
    snprintf(body, sizeof(body), "{\"tenant\":\"default\",\"user\":\"%s\",\"password\":\"%s\"}",
             user, PASSWORD);
    int st = call(&G.ctl, "POST", "/v1/auth/login", NULL, body);
    char token[160];
    if (st != 200 || !body_string(&G.ctl, "token", token, sizeof(token)))
        return st == 200 ? -1 : st;
    snprintf(out, size, "Bearer %s", token);
    return 200;
}

/* ---- the WebSocket route ------------------------------------------------------- */

/* A masked frame (mask 0, so the payload goes as is). */
static void ws_frame(int op, const void *p, size_t n) {
    uint8_t h[14];
    size_t k = 0;
    h[k++] = (uint8_t)(0x80 | op);
    if (n < 126) {
        h[k++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        h[k++] = 0x80 | 126;
        h[k++] = (uint8_t)(n >> 8);
        h[k++] = (uint8_t)n;
    } else {
        h[k++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            h[k++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    memset(h + k, 0, 4);
    k += 4;
    req_add(h, k);
    req_add(p, n);
}

/* GET /v1/stream, GET /v1/chat/stream: upgrade, one text message, a
 * close frame; read until the server closes. */
static int stream_input(const char *target, const char *auth, const uint8_t *body, size_t len) {
    client *c = &G.ws;
    req_start("GET", target, auth);
    req_add(
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        strlen("Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    int st = exchange(c);
    CHECK(st == 101 || st == -1 || (st >= 400 && st < 500));
    if (st != 101) {
        client_close(c);
        while (c->open)
            uv_run(&G.loop, UV_RUN_ONCE);
        return st;
    }
    /* the message; every one is answered (or the connection closed) */
    G.req_len = 0;
    ws_frame(1, body, len);
    uv_update_time(&G.loop);
    uv_timer_start(&G.watchdog, watchdog_cb, WATCHDOG_MS, 0);
    write_all(c, G.req, G.req_len);
    while (c->open && ws_check(c, 0) == 0)
        uv_run(&G.loop, UV_RUN_ONCE);
    /* then our close, and the server's */
    G.req_len = 0;
    static const uint8_t normal[2] = {0x03, 0xE8};
    ws_frame(8, normal, 2);
    write_all(c, G.req, G.req_len);
    while (c->open)
        uv_run(&G.loop, UV_RUN_ONCE);
    uv_timer_stop(&G.watchdog);
    ws_check(c, 1);
    if (G.verbose) fprintf(stderr, "fuzz_api: stream: %zu bytes of frames\n", c->body_len);
    return st;
}

/* ---- set-up -------------------------------------------------------------------- */

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void cleanup(void) {
    if (G.dir[0]) nftw(G.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Directories of earlier runs that crashed (no atexit then): their
 * process is gone. */
static void remove_stale(const char *base) {
    DIR *d = opendir(base);
    if (d == NULL) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid;
        char path[sizeof(G.dir) + 256];
        if (sscanf(e->d_name, "sb-fuzz-api.%ld.", &pid) != 1 || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
        nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

typedef struct done {
    int finished, status;
} done;

static void on_done(void *data, int status, const sb_store_batch *b) {
    done *d = data;
    d->finished = 1;
    d->status = status;
}

/* Tenant "default" (id 1) with two administrators, as `switchboard
 * tenant create` writes them. */
static void make_tenant(void) {
    char hash[crypto_pwhash_STRBYTES], body[512];
    if (crypto_pwhash_str(hash, PASSWORD, strlen(PASSWORD), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0)
        sb_panic("fuzz_api: crypto_pwhash_str failed");
    sb_store_batch *b = sb_store_batch_new((int64_t)uv_now(&G.loop));
    snprintf(body, sizeof(body), "{\"id\":1,\"name\":\"default\"}");
    sb_store_batch_put(b, 0, "tenant", "default", 0, body, strlen(body));
    const char *users[2] = {ADMIN, OPS};
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"role\":\"admin\",\"display_name\":\"%s\"}",
                 users[i], users[i]);
        sb_store_batch_put(b, 1, "user", users[i], 0, body, strlen(body));
        snprintf(body, sizeof(body), "{\"hash\":\"%s\"}", hash);
        sb_store_batch_put(b, 1, "password", users[i], 0, body, strlen(body));
    }
    done d = {0};
    CHECK(sb_store_submit(G.store, b, on_done, &d) == SB_OK);
    while (!d.finished)
        uv_run(&G.loop, UV_RUN_ONCE);
    CHECK(d.status == SB_OK);
}

static struct coll *coll_add(const char *prefix, const char *first) {
    CHECK(G.ncolls < sizeof(G.colls) / sizeof(G.colls[0]));
    struct coll *k = &G.colls[G.ncolls++];
    k->prefix = prefix;
    snprintf(k->first, sizeof(k->first), "%s", first);
    return k;
}

/* The collection whose objects a route's {id} names: by the path segment
 * before "{id}" ("/v1/queues/{id}/...", "/v1/stats/queues/{id}": queues). */
static struct coll *coll_of(const char *path) {
    const char *hole = strstr(path, "/{id}"), *seg = hole;
    if (hole == NULL) return NULL;
    while (seg > path && seg[-1] != '/')
        seg--;
    size_t n = (size_t)(hole - seg);
    for (size_t i = 0; i < G.ncolls; i++) {
        const char *pre = G.colls[i].prefix; /* "/v1/queues/" */
        size_t pl = strlen(pre);
        if (pl > n + 1 && pre[pl - n - 2] == '/' && memcmp(pre + pl - n - 1, seg, n) == 0)
            return &G.colls[i];
    }
    return NULL;
}

/* The configuration made once (and again every RESEED_EVERY inputs, in
 * case inputs deleted it: PUT creates). */
static const struct {
    const char *coll, *id, *json;
} seed[] = {
    {"skills", "billing", "{\"id\":\"billing\",\"name\":\"Billing\"}"},
    {"teams", "blue", "{\"id\":\"blue\",\"name\":\"Blue\"}"},
    {"wrapup-codes", "resolved", "{\"id\":\"resolved\",\"name\":\"Resolved\"}"},
    {"not-ready-reasons", "break", "{\"id\":\"break\",\"name\":\"Break\"}"},
    {"custom-fields", "language",
     "{\"id\":\"language\",\"entity\":\"interaction\",\"type\":\"enum\",\"values\":[\"en\",\"de\"]"
     "}"},
    {"custom-fields", "tenure",
     "{\"id\":\"tenure\",\"entity\":\"agent\",\"type\":\"number\",\"min\":0,\"max\":60}"},
    {"capacity-profiles", "blended",
     "{\"id\":\"blended\",\"units\":100,\"channels\":{\"voice\":{\"cost\":100,\"max\":1},"
     "\"chat\":{\"cost\":25,\"max\":3}}}"},
    {"queues", "billing",
     "{\"id\":\"billing\",\"steps\":[{\"expression\":\"agent.skills.billing >= 1\"},"
     "{\"expression\":\"agent.skills.billing >= 0\",\"after_seconds\":30}],"
     "\"wrapup\":{\"mode\":\"optional\"},\"offer_timeout_seconds\":20}"},
    {"agents", "alice",
     "{\"id\":\"alice\",\"skills\":{\"billing\":5},\"languages\":[\"en\"],\"teams\":[\"blue\"],"
     "\"queues\":[\"billing\"],\"capacity_profile\":\"blended\",\"attributes\":{\"tenure\":3}}"},
    {"users", "sam",
     "{\"id\":\"sam\",\"display_name\":\"Sam\",\"role\":\"agent\",\"agent\":\"alice\"}"},
};

static void reseed(void) {
    char target[96];
    for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
        snprintf(target, sizeof(target), "/v1/%s/%s", seed[i].coll, seed[i].id);
        call(&G.main, "PUT", target, G.auth, seed[i].json);
    }
    call(&G.main, "POST", "/v1/agents/alice/login", G.auth, NULL);
    call(&G.main, "POST", "/v1/agents/alice/ready", G.auth, NULL);
}

/* A chat session of the harness's own (POST /v1/chat/sessions, as the
 * widget does): the customer token the /v1/chat/ routes are called with.
 * It is made from an address no input uses (127.3.x.y), and from the next
 * one whenever that one has spent its allowance of new sessions a minute,
 * so that neither fuzzed sessions nor its own keep it out. */
static void new_session(void) {
    static const char body[] = "{\"queue\":\"billing\",\"name\":\"Fuzz\"}";
    int st = 0;
    for (int tries = 0; tries < 8; tries++) {
        if (!G.chat.open) {
            snprintf(G.chat_from, sizeof(G.chat_from), "127.3.%u.%u", (G.chat_addr / 254) % 256,
                     G.chat_addr % 254 + 1);
            G.chat.from = G.chat_from;
        }
        st = call(&G.chat, "POST", "/v1/chat/sessions", NULL, body);
        if (st == 201) break;
        if (st == 404) { /* an input deleted the queue: PUT it back */
            reseed();
        } else if (st == 429 && G.chat.from) { /* that address has had its sessions */
            G.chat_addr++;
            client_close(&G.chat);
            while (G.chat.open)
                uv_run(&G.loop, UV_RUN_ONCE);
        } else {
            break;
        }
    }
    json_t *doc = st == 201 ? json_loadb(G.chat.body, G.chat.body_len, 0, NULL) : NULL;
    const char *token = json_string_value(json_object_get(doc, "token"));
    const char *ix =
        json_string_value(json_object_get(json_object_get(doc, "conversation"), "interaction"));
    if (token == NULL || ix == NULL || strlen(token) >= sizeof(G.cust_token) ||
        strlen(ix) >= sizeof(G.cust_ix))
        sb_panic("fuzz_api: cannot make a chat session (%d, from %s) after %lu inputs: %.300s", st,
                 G.chat.from ? G.chat.from : "any address", G.inputs,
                 G.chat.body ? G.chat.body : "");
    snprintf(G.cust_token, sizeof(G.cust_token), "%s", token);
    snprintf(G.cust, sizeof(G.cust), "Bearer %s", token);
    snprintf(G.cust_ix, sizeof(G.cust_ix), "%s", ix);
    json_decref(doc);
    G.cust_over = 0;
    G.sessions++;
}

static void setup_api(void) {
    char target[96], id[72];
    if (login(ADMIN, G.auth, sizeof(G.auth)) != 200)
        sb_panic("fuzz_api: set-up: cannot log in: %.400s", G.ctl.body ? G.ctl.body : "");
    for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
        snprintf(target, sizeof(target), "/v1/%s", seed[i].coll);
        must(&G.main, 201, "POST", target, seed[i].json);
    }
    must(&G.main, 200, "POST", "/v1/agents/alice/login", NULL);
    must(&G.main, 200, "POST", "/v1/agents/alice/ready", NULL);
    must(&G.main, 201, "POST", "/v1/api-keys", "{\"name\":\"fuzz\",\"scopes\":[\"config:read\"]}");
    CHECK(body_string(&G.main, "id", id, sizeof(id)));
    coll_add("/v1/api-keys/", id);
    /* one offered to alice, one waiting */
    must(&G.main, 201, "POST", "/v1/interactions",
         "{\"queue\":\"billing\",\"channel\":\"chat\",\"attributes\":{\"language\":\"en\"}}");
    must(&G.main, 201, "POST", "/v1/interactions", "{\"queue\":\"billing\",\"channel\":\"voice\"}");
    CHECK(body_string(&G.main, "id", id, sizeof(id)));
    G.ix = coll_add("/v1/interactions/", id);
    coll_add("/v1/skills/", "billing");
    coll_add("/v1/teams/", "blue");
    coll_add("/v1/wrapup-codes/", "resolved");
    coll_add("/v1/not-ready-reasons/", "break");
    coll_add("/v1/custom-fields/", "language");
    coll_add("/v1/capacity-profiles/", "blended");
    coll_add("/v1/queues/", "billing");
    coll_add("/v1/agents/", "alice");
    coll_add("/v1/users/", "sam");
    new_session();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    signal(SIGPIPE, SIG_IGN);
    G.verbose = getenv("FUZZ_API_VERBOSE") != NULL;
    if (sodium_init() < 0) sb_panic("fuzz_api: sodium_init failed");
    CHECK(uv_loop_init(&G.loop) == 0);
    uv_timer_init(&G.loop, &G.watchdog);
    uv_unref((uv_handle_t *)&G.watchdog);
    llhttp_settings_init(&G.rs);
    G.rs.on_message_begin = r_message_begin;
    G.rs.on_header_field = r_header_field;
    G.rs.on_header_field_complete = r_header_field_complete;
    G.rs.on_header_value = r_header_value;
    G.rs.on_headers_complete = r_headers_complete;
    G.rs.on_body = r_body;
    G.rs.on_message_complete = r_message_complete;

    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (base == NULL || *base == '\0') base = "/tmp";
    remove_stale(base);
    int dl = snprintf(G.dir, sizeof(G.dir), "%s/sb-fuzz-api.%ld.XXXXXX", base, (long)getpid());
    CHECK(dl > 0 && (size_t)dl < sizeof(G.dir));
    if (mkdtemp(G.dir) == NULL) sb_panic("fuzz_api: mkdtemp %s: %s", G.dir, strerror(errno));
    atexit(cleanup);
    char err[256] = "";
    if (sb_store_open(&G.loop, G.dir, &G.store, err, sizeof(err)) != SB_OK)
        sb_panic("fuzz_api: store: %s", err);
    make_tenant();

    static const char openapi[] = "{\"openapi\":\"3.1.0\"}";
    sb_api_env env = {.store = G.store,
                      .version = "fuzz",
                      .started_ms = uv_now(&G.loop),
                      .loop = &G.loop,
                      .openapi = openapi,
                      .openapi_len = sizeof(openapi) - 1,
                      .chat_abandon_ms = ABANDON_MS};
    G.api = sb_api_new(&env);
    if (sb_api_start(G.api, err, sizeof(err)) != SB_OK) sb_panic("fuzz_api: start: %s", err);
    sb_http_options ho = {.max_body = 65536};
    G.srv = sb_http_server_new(&G.loop, &ho, sb_api_handle, G.api);
    if (sb_http_server_listen(G.srv, "127.0.0.1", 0) != SB_OK)
        sb_panic("fuzz_api: listen: %s", sb_http_server_error(G.srv));
    G.ctl.from = "127.0.0.2";
    setup_api();
    if (G.verbose) {
        for (size_t i = 0; i < sb_api_route_count(); i++) {
            const char *m, *p;
            sb_api_route_at(i, &m, &p);
            fprintf(stderr, "route %zu: %s %s\n", i, m, p);
        }
    }
    return 0;
}

/* ---- one input ----------------------------------------------------------------- */

/* Bytes that may stand in a request target as they are. */
static int target_safe(unsigned c, int query) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    if (strchr("-._~", (int)c) && c) return 1;
    return query && c && strchr("&=%+,:;!*'()/@$", (int)c) != NULL;
}

static void add_encoded(char *out, size_t *o, const uint8_t *p, size_t n, int query) {
    for (size_t i = 0; i < n; i++) {
        if (target_safe(p[i], query)) {
            out[(*o)++] = (char)p[i];
        } else {
            static const char hexd[] = "0123456789ABCDEF";
            out[(*o)++] = '%';
            out[(*o)++] = hexd[p[i] >> 4];
            out[(*o)++] = hexd[p[i] & 15];
        }
    }
    out[*o] = '\0';
}

/* A response body that says it is JSON must be. */
static void check_answer(client *c, int status) {
    CHECK(status >= 100 && status <= 599);
    CHECK(status != 500);
    if (strncmp(c->ctype, "application/json", 16) &&
        strncmp(c->ctype, "application/problem+json", 24))
        return;
    json_error_t e;
    json_t *doc = json_loadb(c->body ? c->body : "", c->body_len, 0, &e);
    if (doc == NULL)
        sb_panic("fuzz_api: %d answer is not JSON: %s: %.300s", status, e.text, c->body);
    if (strncmp(c->ctype, "application/problem+json", 24) == 0) {
        CHECK(status >= 400);
        CHECK(json_is_string(json_object_get(doc, "code")));
        CHECK(json_integer_value(json_object_get(doc, "status")) == status);
    }
    json_decref(doc);
}

static void health(void) {
    int st = call(&G.main, "GET", "/v1/health", NULL, NULL);
    if (st != 200) sb_panic("fuzz_api: GET /v1/health answered %d after %lu inputs", st, G.inputs);
    st = call(&G.main, "GET", "/v1/auth/me", G.auth, NULL);
    if (st != 200)
        sb_panic("fuzz_api: the token no longer works (%d) after %lu inputs: %.300s", st, G.inputs,
                 G.main.body ? G.main.body : "");
    /* the customer's token opens its conversation, over or not */
    st = call(&G.main, "GET", "/v1/chat/conversation", G.cust, NULL);
    if (st != 200)
        sb_panic("fuzz_api: the customer token no longer works (%d) after %lu inputs: %.300s", st,
                 G.inputs, G.main.body ? G.main.body : "");
    json_t *doc = json_loadb(G.main.body, G.main.body_len, 0, NULL);
    const char *state = json_string_value(json_object_get(doc, "state"));
    CHECK(state != NULL);
    if (strcmp(state, "queued") && strcmp(state, "offered") && strcmp(state, "connected"))
        G.cust_over = 1; /* ended (abandoned, an input completed it, ...) */
    json_decref(doc);
}

/* p[0..n) with "$ix" made the id of the last interaction made and "$cx"
 * that of the harness's chat session; a new buffer of *len bytes. */
static char *expand(const uint8_t *p, size_t n, size_t *len) {
    const char *ixid = G.ix->last[0] ? G.ix->last : G.ix->first;
    size_t most = strlen(ixid) > strlen(G.cust_ix) ? strlen(ixid) : strlen(G.cust_ix);
    char *out = malloc(n + (n / 3 + 1) * most + 1);
    CHECK(out != NULL);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v = NULL;
        if (i + 3 <= n && memcmp(p + i, "$ix", 3) == 0) v = ixid;
        if (i + 3 <= n && memcmp(p + i, "$cx", 3) == 0) v = G.cust_ix;
        if (v) {
            memcpy(out + o, v, strlen(v));
            o += strlen(v);
            i += 2;
        } else {
            out[o++] = (char)p[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return -1;
    const char *method, *path;
    const uint8_t *p = data + 1;
    if (data[0] == NAMED) { /* "METHOD PATH\n": seeds that outlive changes to the table */
        const uint8_t *nl = memchr(data, '\n', size);
        size_t i = 0, count = sb_api_route_count();
        for (; nl && i < count; i++) {
            sb_api_route_at(i, &method, &path);
            size_t ml = strlen(method), pl = strlen(path);
            if ((size_t)(nl - data - 1) == ml + 1 + pl && memcmp(data + 1, method, ml) == 0 &&
                data[1 + ml] == ' ' && memcmp(data + 2 + ml, path, pl) == 0)
                break;
        }
        if (nl == NULL || i == count) return -1; /* no such route: not worth keeping */
        p = nl + 1;
    } else {
        sb_api_route_at(data[0] % sb_api_route_count(), &method, &path);
    }
    G.inputs++;
    size_t n = size - (size_t)(p - data);
    uint8_t opt = n > 0 ? *p++ : 0;
    n = n > 0 ? n - 1 : 0;

    /* the {id} */
    char id[3 * 64 + 1] = "";
    const char *hole = strstr(path, "{id}");
    struct coll *k = hole ? coll_of(path) : NULL;
    if (hole) {
        size_t o = 0;
        if ((opt & 3) >= 2 && n > 0) {
            size_t len = p[0] % 65, elen;
            p++, n--;
            if (len > n) len = n;
            char *e = expand(p, len, &elen); /* "$cx": the chat session's interaction */
            if (elen > 64) elen = 64;
            add_encoded(id, &o, (const uint8_t *)e, elen, 0);
            /* the administrators are never the object */
            if (k && strcmp(k->prefix, "/v1/users/") == 0 && /* any route on users */
                ((elen == strlen(ADMIN) && memcmp(e, ADMIN, elen) == 0) ||
                 (elen == strlen(OPS) && memcmp(e, OPS, elen) == 0)))
                snprintf(id, sizeof(id), "sam");
            free(e);
            p += len, n -= len;
        } else if (k) {
            snprintf(id, sizeof(id), "%s", (opt & 3) == 1 && k->last[0] ? k->last : k->first);
        } else {
            snprintf(id, sizeof(id), "x");
        }
    }
    char target[64 + sizeof(id) + 3 * MAX_QUERY + 8];
    size_t t = 0;
    if (hole) {
        size_t pre = (size_t)(hole - path);
        memcpy(target, path, pre);
        t = pre;
        t += (size_t)snprintf(target + t, sizeof(target) - t, "%s%s", id, hole + 4);
    } else {
        t = (size_t)snprintf(target, sizeof(target), "%s", path);
    }

    /* the body, "$ix" and "$cx" made interactions' ids */
    size_t blen;
    char *body = expand(p, n, &blen);

    int get = strcmp(method, "GET") == 0;
    /* the customer's routes go with the customer token */
    int customer = strncmp(path, "/v1/chat/", 9) == 0 && strcmp(path, "/v1/chat/sessions") != 0;
    if (customer && G.cust_over) new_session();
    int status;
    client *c = &G.main;
    if (get && strcmp(path, "/v1/stream") == 0) {
        status = stream_input(target, G.auth, (const uint8_t *)body, blen);
        c = NULL;
    } else if (get && strcmp(path, "/v1/chat/stream") == 0) {
        /* as a browser sends it, in the query; with option bit 2, in the header */
        if (opt & 4) {
            status = stream_input(target, G.cust, (const uint8_t *)body, blen);
        } else {
            t += (size_t)snprintf(target + t, sizeof(target) - t, "?token=");
            add_encoded(target, &t, (const uint8_t *)G.cust_token, strlen(G.cust_token), 1);
            status = stream_input(target, NULL, (const uint8_t *)body, blen);
        }
        c = NULL;
    } else {
        char auth[200];
        snprintf(auth, sizeof(auth), "%s", customer ? G.cust : G.auth);
        if (strcmp(path, "/v1/auth/logout") == 0 && login(OPS, auth, sizeof(auth)) != 200)
            auth[0] = '\0'; /* throttled: anonymous (401) */
        if (get && n > 0) { /* the bytes as the query */
            target[t++] = '?';
            add_encoded(target, &t, (const uint8_t *)body, blen < MAX_QUERY ? blen : MAX_QUERY, 1);
        }
        req_start(method, target, auth);
        if (opt & 4) req_addf("If-Match: \"1\"\r\n");
        if (opt & 8) req_addf("Idempotency-Key: k%d\r\n", (opt >> 4) & 3);
        static const char *const ctypes[4] = {"application/json", "application/json",
                                              "application/json; charset=utf-8", "text/plain"};
        req_end(ctypes[opt >> 6], get ? NULL : body, blen);
        status = exchange(c);
        if (status < 0)
            sb_panic("fuzz_api: %s %.100s: the connection closed unanswered", method, target);
        check_answer(c, status);
    }
    if (G.verbose)
        fprintf(stderr, "fuzz_api: %s %.120s -> %d %.160s\n", method, target, status,
                c && c->body_len ? c->body : "");

    /* the conversation has ended: a new one for the next input */
    if (customer && (status == 409 || (status == 200 && strcmp(path, "/v1/chat/end") == 0)))
        G.cust_over = 1;

    /* remember what a POST made */
    if (c && status == 201 && strcmp(method, "POST") == 0) {
        char made[72];
        struct coll *kk = NULL;
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "%s/", path);
        for (size_t i = 0; i < G.ncolls; i++)
            if (strcmp(G.colls[i].prefix, prefix) == 0) kk = &G.colls[i];
        if (kk && body_string(c, "id", made, sizeof(made)))
            snprintf(kk->last, sizeof(kk->last), "%s", made);
    }
    free(body);

    if (G.inputs % HEALTH_EVERY == 0) health();
    if (G.verbose && G.inputs % 4096 == 0)
        fprintf(stderr, "fuzz_api: %lu inputs, %zu bytes in sb_malloc, %lu chats of its own\n",
                G.inputs, sb_mem_used(), G.sessions);
    if (G.inputs % RESEED_EVERY == 0) reseed();
    return 0;
}
