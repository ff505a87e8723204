/* test_ws.c: src/net's WebSocket layer over real TCP on loopback.
 *
 * As in test_http.c: the HTTP server and its uv loop run on a thread of
 * their own (127.0.0.1, an ephemeral port), the test thread is the
 * client, with blocking sockets whose timeouts (TIMEOUT_MS) turn a hang
 * into a failure, and reaches the loop thread only through fx_call().
 * The client speaks RFC 6455 by hand: it does the handshake, masks its
 * frames and parses the server's.  Every test ends with every accepted
 * connection's on_close called once, a clean loop close and
 * sb_mem_used() back where it started. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http.h"
#include "net/ws.h"
#include "unit/test.h"
#include "unit/net/net_fixture.h"

#define TIMEOUT_MS 3000
#define KEY        "dGhlIHNhbXBsZSBub25jZQ==" /* RFC 6455 section 1.3 */
#define ACCEPT     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define FIN      0x80
#define RSV1     0x40
#define OP_CONT  0x0
#define OP_TEXT  0x1
#define OP_BIN   0x2
#define OP_CLOSE 0x8
#define OP_PING  0x9
#define OP_PONG  0xA

/* ---- the server side: a loop thread, a mailbox, the callbacks ----------- */

typedef struct fx fx;
typedef void (*fx_fn)(fx *f, void *arg);

struct fx {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fx_fn fn; /* the mailbox: fn(f, arg) to run on the loop thread */
    void *arg;
    int done;
    sb_http_server *srv;
    int port;
    sb_ws_options wo;
    int close_on_open;     /* on_open closes with 1001 at once */
    sb_ws *ws;             /* the last connection opened, NULL once closed */
    sb_http_request *held; /* /hold and /hold-ws wait here */
    atomic_int requests;
    atomic_int accepts_ok; /* sb_ws_accept() == SB_OK */
    atomic_int accept_rc;  /* the last sb_ws_accept() result */
    atomic_int opens, texts, closes, last_code;
    atomic_int errors; /* checks failed on the loop thread */
    atomic_int shutdown_done;
    uint32_t value; /* a result fetched from the loop thread */
    /* flooding (loop thread) */
    char *chunk;
    size_t chunk_len;
    int flood_rc, after_rc;
    size_t flood_sent, mem_base, mem_peak, buf_peak;
    size_t mem_before;
};

NET_FIXTURE_CALL()

static void ws_open(sb_ws *ws, void *ud) {
    fx *f = ud;
    f->ws = ws;
    atomic_fetch_add(&f->opens, 1);
    LOOP_CHECK(f, strncmp(sb_ws_remote(ws), "127.0.0.1:", 10) == 0);
    if (f->close_on_open) {
        LOOP_CHECK(f, sb_ws_close(ws, 1001, "going away") == SB_OK);
        LOOP_CHECK(f, sb_ws_send_text(ws, "x", 1) == SB_ESTATE);
    }
}

/* Echo, except "close-me": "bye", then a close 4000 from inside on_text. */
static void ws_text(sb_ws *ws, const char *data, size_t len, void *ud) {
    fx *f = ud;
    atomic_fetch_add(&f->texts, 1);
    if (len == 8 && memcmp(data, "close-me", 8) == 0) {
        LOOP_CHECK(f, sb_ws_send_text(ws, "bye", 3) == SB_OK);
        LOOP_CHECK(f, sb_ws_close(ws, 4000, "asked") == SB_OK);
        LOOP_CHECK(f, sb_ws_close(ws, 1001, "again") == SB_ESTATE);
        LOOP_CHECK(f, sb_ws_send_text(ws, "late", 4) == SB_ESTATE);
        return;
    }
    LOOP_CHECK(f, sb_ws_send_text(ws, data, len) == SB_OK);
}

static void ws_closed(sb_ws *ws, int code, void *ud) {
    fx *f = ud;
    if (f->ws == ws) f->ws = NULL;
    atomic_store(&f->last_code, code);
    atomic_fetch_add(&f->closes, 1);
}

static const sb_ws_callbacks callbacks = {ws_open, ws_text, ws_closed};

static void accept_ws(fx *f, sb_http_request *req) {
    int rc = sb_ws_accept(req, &f->wo, &callbacks, f);
    atomic_store(&f->accept_rc, rc);
    if (rc == SB_OK) atomic_fetch_add(&f->accepts_ok, 1);
}

static void on_request(sb_http_request *req, void *ud) {
    fx *f = ud;
    const char *path = sb_http_request_path(req);
    if (strcmp(path, "/hold") == 0 || strcmp(path, "/hold-ws") == 0) {
        LOOP_CHECK(f, f->held == NULL);
        f->held = req;
    } else {
        accept_ws(f, req);
    }
    atomic_fetch_add(&f->requests, 1);
}

/* Answer the held request: /hold-ws is accepted as a WebSocket now. */
static void call_answer_held(fx *f, void *arg) {
    sb_http_request *req = f->held;
    f->held = NULL;
    if (req == NULL) return;
    if (strcmp(sb_http_request_path(req), "/hold-ws") == 0)
        accept_ws(f, req);
    else
        sb_http_respond(req, 200, "text/plain", "late", 4);
}

static void call_connections(fx *f, void *arg) {
    f->value = sb_http_server_connections(f->srv);
}

static void *loop_main(void *arg) {
    fx *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static fx *fx_start(const sb_ws_options *wo) {
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    signal(SIGPIPE, SIG_IGN); /* as any libuv program must */
    f->mem_before = sb_mem_used();
    if (wo != NULL) f->wo = *wo;
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_async_init(&f->loop, &f->async, async_cb), 0);
    f->async.data = f;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->srv = sb_http_server_new(&f->loop, NULL, on_request, f);
    assert_int_equal(sb_http_server_listen(f->srv, "127.0.0.1", 0), SB_OK);
    f->port = sb_http_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
    return f;
}

/* Wait (bounded) until *a >= n. */
static void wait_count(atomic_int *a, int n) {
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (atomic_load(a) < n) {
        assert_true(now_ms() < end);
        sleep_ms(1);
    }
}

/* Wait for the n-th on_close and check its code. */
static void expect_closed(fx *f, int n, int code) {
    wait_count(&f->closes, n);
    assert_int_equal(atomic_load(&f->closes), n);
    assert_int_equal(atomic_load(&f->last_code), code);
}

static void shutdown_done_cb(sb_http_server *srv, void *ud) {
    fx *f = ud;
    atomic_store(&f->shutdown_done, 1);
    uv_close((uv_handle_t *)&f->async, NULL);
}

static void call_shutdown(fx *f, void *arg) {
    LOOP_CHECK(f, f->ws == NULL && f->held == NULL);
    sb_http_server_shutdown(f->srv, shutdown_done_cb, f);
}

static void fx_finish(fx *f) {
    /* on_close exactly once per accepted connection */
    wait_count(&f->closes, atomic_load(&f->accepts_ok));
    sleep_ms(5); /* a second on_close would show here */
    assert_int_equal(atomic_load(&f->closes), atomic_load(&f->accepts_ok));
    fx_call(f, call_shutdown, NULL);
    struct timespec dl = deadline_in(TIMEOUT_MS);
    assert_int_equal(pthread_timedjoin_np(f->thread, NULL, &dl), 0);
    assert_true(atomic_load(&f->shutdown_done));
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(atomic_load(&f->errors), 0);
    assert_int_equal(sb_mem_used(), f->mem_before);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->chunk);
    free(f);
}

/* ---- the client side: blocking sockets, frames by hand -------------------- */

typedef struct cli {
    int fd;
    size_t len;
    unsigned char buf[1 << 17];
} cli;

typedef struct response {
    int status;
    char head[4096];
    char body[1024];
} response;

typedef struct frame {
    int fin, rsv, op;
    size_t len;
    unsigned char *data; /* malloc'd, NUL-terminated */
} frame;

/* Connect; `rcvbuf` > 0 shrinks the receive buffer first. */
static cli *cli_open(int port, int rcvbuf) {
    cli *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->fd = net_connect(port, rcvbuf, TIMEOUT_MS);
    assert_true(c->fd >= 0);
    return c;
}

/* Close; with `reset`, abortively (RST instead of FIN). */
static void cli_close(cli *c, int reset) {
    net_close(c->fd, reset);
    free(c);
}

static void cli_send(cli *c, const void *p, size_t n) { assert_int_equal(net_send_all(c->fd, p, n), 0); }

static int cli_fill(cli *c) {
    if (c->len == sizeof(c->buf)) return -1;
    ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (k <= 0) return -1;
    c->len += (size_t)k;
    return 0;
}

static int cli_need(cli *c, size_t n) {
    while (c->len < n)
        if (cli_fill(c) != 0) return -1;
    return 0;
}

static void cli_consume(cli *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* 1 if the server closed cleanly (FIN, nothing more to read), 0 if data
 * came, -1 on reset or timeout. */
static int cli_eof(cli *c) {
    if (c->len > 0) return 0;
    char ch;
    ssize_t k = recv(c->fd, &ch, 1, 0);
    return k == 0 ? 1 : k > 0 ? 0 : -1;
}

static const char *resp_header(const response *r, const char *name) { return net_header(r->head, name); }

/* Read a response head, and its body by Content-Length unless 101; what
 * follows a 101 stays in the buffer (frames). */
static void cli_read_response(cli *c, response *r) {
    memset(r, 0, sizeof(*r));
    long h;
    size_t cl = 0;
    while ((h = net_head(c->buf, c->len, r->head, sizeof(r->head), &r->status, &cl)) == 0)
        assert_int_equal(cli_fill(c), 0);
    assert_true(h > 0);
    size_t hlen = (size_t)h, blen = r->status != 101 ? cl : 0;
    assert_true(blen < sizeof(r->body));
    assert_int_equal(cli_need(c, hlen + blen), 0);
    memcpy(r->body, c->buf + hlen, blen);
    cli_consume(c, hlen + blen);
}

/* A client frame (masked unless `unmasked`) into `out`; its size. */
static size_t frame_build(unsigned char *out, int b0, int unmasked, const void *p, size_t n) {
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t k = 0;
    unsigned char m = unmasked ? 0 : 0x80;
    out[k++] = (unsigned char)b0;
    if (n < 126) {
        out[k++] = m | (unsigned char)n;
    } else if (n < 65536) {
        out[k++] = m | 126;
        out[k++] = (unsigned char)(n >> 8);
        out[k++] = (unsigned char)n;
    } else {
        out[k++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[k++] = (unsigned char)((uint64_t)n >> (8 * i));
    }
    if (!unmasked) memcpy(out + k, key, 4), k += 4;
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        out[k + i] = unmasked ? s[i] : s[i] ^ key[i % 4];
    return k + n;
}

static void cli_frame(cli *c, int b0, const void *p, size_t n) {
    unsigned char *out = malloc(n + 14);
    assert_non_null(out);
    cli_send(c, out, frame_build(out, b0, 0, p, n));
    free(out);
}

static void cli_text(cli *c, const char *s) {
    cli_frame(c, FIN | OP_TEXT, s, strlen(s));
}

/* A close frame's payload: the code (none if 0) and the reason. */
static size_t close_payload(unsigned char *out, int code, const char *reason) {
    if (code == 0) return 0;
    out[0] = (unsigned char)(code >> 8);
    out[1] = (unsigned char)code;
    size_t n = reason != NULL ? strlen(reason) : 0;
    if (n > 0) memcpy(out + 2, reason, n);
    return 2 + n;
}

static void cli_close_frame(cli *c, int code, const char *reason) {
    unsigned char p[125] = {0};
    cli_frame(c, FIN | OP_CLOSE, p, close_payload(p, code, reason));
}

/* Read one server frame (which must be unmasked).  -1 on EOF/timeout. */
static int cli_read_frame(cli *c, frame *fr) {
    memset(fr, 0, sizeof(*fr));
    if (cli_need(c, 2) != 0) return -1;
    fr->fin = c->buf[0] >> 7;
    fr->rsv = (c->buf[0] >> 4) & 7;
    fr->op = c->buf[0] & 15;
    assert_int_equal(c->buf[1] & 0x80, 0);
    size_t hl = 2;
    uint64_t len = c->buf[1] & 0x7f;
    if (len == 126) {
        if (cli_need(c, 4) != 0) return -1;
        len = (uint64_t)c->buf[2] << 8 | c->buf[3];
        hl = 4;
    } else if (len == 127) {
        if (cli_need(c, 10) != 0) return -1;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | c->buf[2 + i];
        hl = 10;
    }
    assert_true(len < sizeof(c->buf) - hl);
    if (cli_need(c, hl + (size_t)len) != 0) return -1;
    fr->len = (size_t)len;
    fr->data = malloc(fr->len + 1);
    assert_non_null(fr->data);
    memcpy(fr->data, c->buf + hl, fr->len);
    fr->data[fr->len] = '\0';
    cli_consume(c, hl + fr->len);
    return 0;
}

static void expect_frame(cli *c, int op, const void *p, size_t n) {
    frame fr;
    assert_int_equal(cli_read_frame(c, &fr), 0);
    assert_int_equal(fr.fin, 1);
    assert_int_equal(fr.rsv, 0);
    assert_int_equal(fr.op, op);
    assert_int_equal(fr.len, n);
    assert_memory_equal(fr.data, p, n);
    free(fr.data);
}

static void expect_text(cli *c, const char *s) {
    expect_frame(c, OP_TEXT, s, strlen(s));
}

/* The server's close frame: `code` (0: none) and, unless NULL, `reason`. */
static void expect_close(cli *c, int code, const char *reason) {
    frame fr;
    assert_int_equal(cli_read_frame(c, &fr), 0);
    assert_int_equal(fr.op, OP_CLOSE);
    assert_int_equal(fr.fin, 1);
    if (code == 0) {
        assert_int_equal(fr.len, 0);
    } else {
        assert_true(fr.len >= 2);
        assert_int_equal(fr.data[0] << 8 | fr.data[1], code);
        if (reason != NULL) {
            assert_int_equal(fr.len - 2, strlen(reason));
            assert_memory_equal(fr.data + 2, reason, fr.len - 2);
        }
    }
    free(fr.data);
}

/* Handshake on a fresh connection, with `extra` bytes in the same send. */
static cli *ws_connect_with(fx *f, int rcvbuf, const void *extra, size_t extra_len) {
    cli *c = cli_open(f->port, rcvbuf);
    static const char req[] = "GET /v1/stream HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    size_t n = sizeof(req) - 1;
    char *all = malloc(n + extra_len);
    assert_non_null(all);
    memcpy(all, req, n);
    if (extra_len > 0) memcpy(all + n, extra, extra_len);
    cli_send(c, all, n + extra_len);
    free(all);
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, 101);
    assert_string_equal(resp_header(&r, "sec-websocket-accept"), ACCEPT);
    assert_string_equal(resp_header(&r, "upgrade"), "websocket");
    assert_string_equal(resp_header(&r, "connection"), "Upgrade");
    return c;
}

static cli *ws_connect(fx *f) {
    return ws_connect_with(f, 0, NULL, 0);
}

/* The client closes with `code`, reads the echo and the server's FIN. */
static void client_close(cli *c, int code, const char *reason) {
    cli_close_frame(c, code, reason);
    expect_close(c, code, reason);
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
}

/* The client answers the server's close and reads its FIN. */
static void answer_close(cli *c, int code) {
    cli_close_frame(c, code, NULL);
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
}

/* Send `n` bytes of frames; the server must close with `code`, deliver
 * no message, and report `code` in the n-th on_close. */
static void expect_refused(fx *f, int nclose, const void *frames, size_t n, int code) {
    int texts = atomic_load(&f->texts);
    cli *c = ws_connect(f);
    cli_send(c, frames, n);
    expect_close(c, code, NULL);
    answer_close(c, code);
    expect_closed(f, nclose, code);
    assert_int_equal(atomic_load(&f->texts), texts);
}

/* ---- handshake ------------------------------------------------------------- */

static void test_ws_accept_key(void **state) {
    (void)state;
    char out[29];
    sb_ws_accept_key(KEY, out);
    assert_string_equal(out, ACCEPT);
    sb_ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out);
    assert_string_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    sb_ws_accept_key("AAAAAAAAAAAAAAAAAAAAAA==", out);
    assert_string_equal(out, "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
    sb_ws_options o;
    sb_ws_options_default(&o);
    assert_int_equal(o.max_message, 64 * 1024);
    assert_int_equal(o.max_outbuf, 1024 * 1024);
    assert_int_equal(o.ping_interval_ms, 30000);
    /* and on the wire (ws_connect checks Sec-WebSocket-Accept) */
    fx *f = fx_start(NULL);
    cli *c = ws_connect(f);
    assert_int_equal(atomic_load(&f->accept_rc), SB_OK);
    client_close(c, 1000, "done");
    expect_closed(f, 1, 1000);
    fx_finish(f);
}

static void test_ws_bad_handshakes(void **state) {
    (void)state;
#define UP "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define K  "Sec-WebSocket-Key: " KEY "\r\n"
#define V  "Sec-WebSocket-Version: 13\r\n"
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP V "\r\n", 400}, /* no key */
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP K "Sec-WebSocket-Version: 8\r\n\r\n", 426},
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP K "\r\n", 426}, /* no version */
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP V "Sec-WebSocket-Key: abc\r\n\r\n", 400},
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP V
         "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\n\r\n",
         400},
        {"GET /s HTTP/1.1\r\nHost: t\r\n" UP V "Sec-WebSocket-Key: " KEY "AAAA\r\n\r\n", 400},
        {"POST /s HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n" UP K V "\r\n", 400},
        {"GET /s HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" K V "\r\n", 400},
        {"GET /s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n" K V "\r\n",
         400}, /* no Connection */
        {"GET /s HTTP/1.0\r\nHost: t\r\n" UP K V "\r\n", 400},
    };
    fx *f = fx_start(NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cli *c = cli_open(f->port, 0);
        cli_send(c, cases[i].req, strlen(cases[i].req));
        response r;
        cli_read_response(c, &r);
        assert_int_equal(r.status, cases[i].status);
        if (r.status == 426) assert_string_equal(resp_header(&r, "sec-websocket-version"), "13");
        assert_null(resp_header(&r, "sec-websocket-accept"));
        wait_count(&f->requests, (int)i + 1);
        assert_int_equal(atomic_load(&f->accept_rc), SB_EINVAL);
        cli_close(c, 0);
    }
    assert_int_equal(atomic_load(&f->accepts_ok), 0);
    assert_int_equal(atomic_load(&f->opens), 0);
    /* token lists and case are accepted */
    cli *c = cli_open(f->port, 0);
    const char *ok = "GET /s HTTP/1.1\r\nHost: t\r\nUpgrade: WebSocket\r\n"
                     "Connection: keep-alive, Upgrade\r\n" K V "\r\n";
    cli_send(c, ok, strlen(ok));
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, 101);
    assert_string_equal(resp_header(&r, "sec-websocket-accept"), ACCEPT);
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    fx_finish(f);
#undef UP
#undef K
#undef V
}

/* ---- messages -------------------------------------------------------------- */

static void test_ws_echo(void **state) {
    (void)state;
    sb_ws_options o = {.max_message = 128 * 1024};
    fx *f = fx_start(&o);
    /* a first message in the same packet as the handshake ("rest" bytes) */
    unsigned char first[64];
    size_t n1 = frame_build(first, FIN | OP_TEXT, 0, "first", 5);
    cli *c = ws_connect_with(f, 0, first, n1);
    expect_text(c, "first");
    cli_text(c, "hello");
    expect_text(c, "hello");
    cli_frame(c, FIN | OP_TEXT, "", 0);
    expect_text(c, "");
    /* three in one send come back in order */
    unsigned char three[64];
    size_t k = frame_build(three, FIN | OP_TEXT, 0, "a", 1);
    k += frame_build(three + k, FIN | OP_TEXT, 0, "bb", 2);
    k += frame_build(three + k, FIN | OP_TEXT, 0, "ccc", 3);
    cli_send(c, three, k);
    expect_text(c, "a");
    expect_text(c, "bb");
    expect_text(c, "ccc");
    /* UTF-8 split inside a character across fragments */
    const char *u = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac";
    cli_frame(c, OP_TEXT, u, 2);
    cli_frame(c, FIN | OP_CONT, u + 2, strlen(u) - 2);
    expect_text(c, u);
    /* 70 KB in five fragments with a ping between two of them */
    size_t big = 70 * 1024, part = 16384;
    char *msg = malloc(big);
    assert_non_null(msg);
    for (size_t i = 0; i < big; i++)
        msg[i] = (char)('a' + i % 26);
    for (size_t off = 0; off < big; off += part) {
        size_t len = big - off < part ? big - off : part;
        int fin = off + len == big ? FIN : 0;
        cli_frame(c, fin | (off == 0 ? OP_TEXT : OP_CONT), msg + off, len);
        if (off == part) cli_frame(c, FIN | OP_PING, "p1", 2);
    }
    expect_frame(c, OP_PONG, "p1", 2); /* the pong does not wait for the message */
    expect_frame(c, OP_TEXT, msg, big);
    free(msg);
    assert_int_equal(atomic_load(&f->texts), 8);
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    fx_finish(f);
}

static void test_ws_ping(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = ws_connect(f);
    cli_frame(c, FIN | OP_PING, "abc", 3);
    expect_frame(c, OP_PONG, "abc", 3);
    cli_frame(c, FIN | OP_PING, "", 0);
    expect_frame(c, OP_PONG, "", 0);
    cli_frame(c, FIN | OP_PONG, "unsolicited", 11); /* ignored */
    cli_text(c, "still here");
    expect_text(c, "still here");
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    fx_finish(f);
}

/* ---- corking ---------------------------------------------------------------- */

/* On the loop: three messages through a cork (the third not corked, sent
 * while the connection is held) are framed but not written; uncorking
 * writes them; then a corked message followed by a close. */
static void call_corked(fx *f, void *arg) {
    (void)arg;
    LOOP_CHECK(f, f->ws != NULL);
    if (f->ws == NULL) return;
    sb_ws_cork k = {0};
    LOOP_CHECK(f, sb_ws_send_text_corked(f->ws, &k, "c1", 2) == SB_OK);
    LOOP_CHECK(f, sb_ws_send_text_corked(f->ws, &k, "c2", 2) == SB_OK);
    LOOP_CHECK(f, k.n == 1); /* listed once */
    LOOP_CHECK(f, sb_ws_send_text(f->ws, "c3", 2) == SB_OK);
    f->value = (uint32_t)sb_ws_buffered(f->ws); /* all three still here */
    sb_ws_uncork(&k);
    LOOP_CHECK(f, k.n == 0);
    LOOP_CHECK(f, sb_ws_buffered(f->ws) == 0); /* the kernel took them */
    LOOP_CHECK(f, sb_ws_send_text_corked(f->ws, &k, "last", 4) == SB_OK);
    LOOP_CHECK(f, sb_ws_close(f->ws, 1001, "going away") == SB_OK);
    sb_ws_uncork(&k);
    sb_ws_cork_free(&k);
}

static void test_ws_cork(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = ws_connect(f);
    cli_text(c, "ping?");
    expect_text(c, "ping?"); /* so f->ws is this connection */
    fx_call(f, call_corked, NULL);
    assert_true(f->value >= 3 * 2); /* the three texts, not yet written */
    expect_text(c, "c1");
    expect_text(c, "c2");
    expect_text(c, "c3");
    expect_text(c, "last");
    expect_close(c, 1001, "going away");
    answer_close(c, 1001);
    expect_closed(f, 1, 1001);
    fx_finish(f);
}

/* ---- closing ---------------------------------------------------------------- */

static void call_going_away(fx *f, void *arg) {
    LOOP_CHECK(f, f->ws != NULL);
    if (f->ws == NULL) return;
    LOOP_CHECK(f, sb_ws_close(f->ws, 1005, NULL) == SB_EINVAL); /* may not be sent */
    LOOP_CHECK(f, sb_ws_close(f->ws, 999, NULL) == SB_EINVAL);
    LOOP_CHECK(f, sb_ws_send_text(f->ws, "e1", 2) == SB_OK);
    LOOP_CHECK(f, sb_ws_send_text(f->ws, "e2", 2) == SB_OK);
    LOOP_CHECK(f, sb_ws_close(f->ws, 1001, "going away") == SB_OK);
    LOOP_CHECK(f, sb_ws_close(f->ws, 1001, "going away") == SB_ESTATE);
    LOOP_CHECK(f, sb_ws_send_text(f->ws, "e3", 2) == SB_ESTATE);
}

static void call_close_arg(fx *f, void *arg) {
    LOOP_CHECK(f, f->ws != NULL);
    if (f->ws != NULL) LOOP_CHECK(f, sb_ws_close(f->ws, 0, arg) == SB_OK);
}

static void call_close_long(fx *f, void *arg) {
    char reason[301];
    for (int i = 0; i < 300; i += 2)
        reason[i] = (char)0xc3, reason[i + 1] = (char)0xa9; /* é */
    reason[300] = '\0';
    LOOP_CHECK(f, f->ws != NULL);
    if (f->ws != NULL) LOOP_CHECK(f, sb_ws_close(f->ws, 3000, reason) == SB_OK);
}

static void test_ws_server_close(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    /* from inside on_text, after a last message */
    cli *c = ws_connect(f);
    cli_text(c, "close-me");
    expect_text(c, "bye");
    expect_close(c, 4000, "asked");
    answer_close(c, 4000);
    expect_closed(f, 1, 4000);
    /* from outside, "going away", behind the messages already queued */
    c = ws_connect(f);
    cli_text(c, "ping?");
    expect_text(c, "ping?"); /* so f->ws is this connection */
    fx_call(f, call_going_away, NULL);
    expect_text(c, "e1");
    expect_text(c, "e2");
    expect_close(c, 1001, "going away");
    answer_close(c, 1001);
    expect_closed(f, 2, 1001);
    /* from inside on_open */
    f->close_on_open = 1;
    c = ws_connect(f);
    expect_close(c, 1001, "going away");
    answer_close(c, 1001);
    expect_closed(f, 3, 1001);
    f->close_on_open = 0;
    /* without a code: on_close gets 1005 */
    c = ws_connect(f);
    cli_text(c, "x");
    expect_text(c, "x");
    fx_call(f, call_close_arg, NULL);
    expect_close(c, 0, NULL);
    cli_close_frame(c, 0, NULL);
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    expect_closed(f, 4, 1005);
    /* a long reason is cut at a character boundary */
    c = ws_connect(f);
    cli_text(c, "x");
    expect_text(c, "x");
    fx_call(f, call_close_long, NULL);
    frame fr;
    assert_int_equal(cli_read_frame(c, &fr), 0);
    assert_int_equal(fr.op, OP_CLOSE);
    assert_int_equal(fr.len, 2 + 122);
    assert_int_equal(fr.data[0] << 8 | fr.data[1], 3000);
    free(fr.data);
    answer_close(c, 3000);
    expect_closed(f, 5, 3000);
    fx_finish(f);
}

static void test_ws_client_close(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = ws_connect(f);
    cli_text(c, "hi");
    expect_text(c, "hi");
    client_close(c, 4001, "bye");
    expect_closed(f, 1, 4001);
    c = ws_connect(f);
    cli_close_frame(c, 0, NULL);
    expect_close(c, 0, NULL);
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    expect_closed(f, 2, 1005);
    fx_finish(f);
}

/* ---- heartbeat ------------------------------------------------------------- */

static void test_ws_heartbeat_answered(void **state) {
    (void)state;
    sb_ws_options o = {.ping_interval_ms = 40, .pong_timeout_ms = 30};
    fx *f = fx_start(&o);
    cli *c = ws_connect(f);
    for (int pings = 0; pings < 4; pings++) {
        frame fr;
        assert_int_equal(cli_read_frame(c, &fr), 0);
        assert_int_equal(fr.op, OP_PING);
        cli_frame(c, FIN | OP_PONG, fr.data, fr.len);
        free(fr.data);
    }
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    fx_finish(f);
}

static void test_ws_heartbeat_timeout(void **state) {
    (void)state;
    sb_ws_options o = {.ping_interval_ms = 50, .pong_timeout_ms = 50, .close_timeout_ms = 100};
    fx *f = fx_start(&o);
    uint64_t t0 = now_ms();
    cli *c = ws_connect(f);
    frame fr;
    assert_int_equal(cli_read_frame(c, &fr), 0);
    assert_int_equal(fr.op, OP_PING);
    free(fr.data);
    expect_close(c, 1011, "ping timeout"); /* the client stays silent */
    assert_true(now_ms() - t0 >= 100);
    assert_int_equal(cli_eof(c), 1); /* dropped after close_timeout_ms */
    assert_true(now_ms() - t0 >= 200);
    expect_closed(f, 1, 1011);
    cli_close(c, 0);
    fx_finish(f);
}

/* ---- refusals ---------------------------------------------------------------- */

static void test_ws_max_message(void **state) {
    (void)state;
    sb_ws_options o = {.max_message = 1000};
    fx *f = fx_start(&o);
    char *p = malloc(1200);
    assert_non_null(p);
    memset(p, 'm', 1200);
    unsigned char *buf = malloc(4096);
    assert_non_null(buf);
    /* exactly the limit passes */
    cli *c = ws_connect(f);
    cli_frame(c, FIN | OP_TEXT, p, 1000);
    expect_frame(c, OP_TEXT, p, 1000);
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    /* one frame over it */
    size_t n = frame_build(buf, FIN | OP_TEXT, 0, p, 1001);
    expect_refused(f, 2, buf, n, 1009);
    /* fragments that add up over it */
    n = frame_build(buf, OP_TEXT, 0, p, 600);
    n += frame_build(buf + n, FIN | OP_CONT, 0, p, 600);
    expect_refused(f, 3, buf, n, 1009);
    free(buf);
    free(p);
    fx_finish(f);
}

static void test_ws_broken_frames(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    unsigned char buf[512], big[126] = {0};
    unsigned char bad_code[2] = {0x03, 0xED}; /* 1005 may not be sent */
    struct {
        int b0, unmasked;
        const void *p;
        size_t n;
    } cases[] = {
        {FIN | OP_TEXT, 1, "plain", 5},    /* unmasked */
        {FIN | RSV1 | OP_TEXT, 0, "r", 1}, /* reserved bit, nothing negotiated */
        {FIN | 0x3, 0, "op", 2},           /* reserved data opcode */
        {FIN | 0xB, 0, "op", 2},           /* reserved control opcode */
        {FIN | OP_CONT, 0, "c", 1},        /* continuation without a start */
        {OP_PING, 0, "p", 1},              /* fragmented control frame */
        {FIN | OP_PING, 0, big, 126},      /* control frame over 125 bytes */
        {FIN | OP_CLOSE, 0, bad_code, 2},  /* a close code that may not be sent */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = frame_build(buf, cases[i].b0, cases[i].unmasked, cases[i].p, cases[i].n);
        expect_refused(f, (int)i + 1, buf, n, 1002);
    }
    /* a text message interrupted by another */
    size_t n = frame_build(buf, OP_TEXT, 0, "a", 1);
    n += frame_build(buf + n, FIN | OP_TEXT, 0, "b", 1);
    expect_refused(f, 9, buf, n, 1002);
    fx_finish(f);
}

static void test_ws_binary(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    unsigned char buf[64];
    size_t n = frame_build(buf, FIN | OP_BIN, 0, "\x00\x01\x02", 3);
    int texts = atomic_load(&f->texts);
    cli *c = ws_connect(f);
    cli_send(c, buf, n);
    expect_close(c, 1003, "binary messages are not accepted");
    answer_close(c, 1003);
    expect_closed(f, 1, 1003);
    assert_int_equal(atomic_load(&f->texts), texts);
    /* fragmented binary, after a text that still gets its echo */
    c = ws_connect(f);
    cli_text(c, "t");
    expect_text(c, "t");
    cli_frame(c, OP_BIN, "\xff", 1);
    expect_close(c, 1003, NULL);
    answer_close(c, 1003);
    expect_closed(f, 2, 1003);
    fx_finish(f);
}

static void test_ws_invalid_utf8(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    unsigned char buf[64];
    size_t n = frame_build(buf, FIN | OP_TEXT, 0, "\xc3\x28", 2);
    expect_refused(f, 1, buf, n, 1007);
    n = frame_build(buf, FIN | OP_TEXT, 0, "ok\xe2\x82", 4); /* ends inside a character */
    expect_refused(f, 2, buf, n, 1007);
    n = frame_build(buf, OP_TEXT, 0, "fine", 4);
    n += frame_build(buf + n, FIN | OP_CONT, 0, "\xed\xa0\x80", 3); /* a surrogate */
    expect_refused(f, 3, buf, n, 1007);
    fx_finish(f);
}

/* ---- a slow consumer, a vanishing client ----------------------------------- */

/* Send chunks until one is refused (at most 64 per loop turn). */
static void call_flood(fx *f, void *arg) {
    if (f->ws == NULL || f->flood_rc != SB_OK) return;
    if (f->mem_base == 0) f->mem_base = f->mem_peak = sb_mem_used();
    for (int i = 0; i < 64 && f->flood_rc == SB_OK; i++) {
        f->flood_rc = sb_ws_send_text(f->ws, f->chunk, f->chunk_len);
        if (f->flood_rc == SB_OK) f->flood_sent++;
        size_t used = sb_mem_used(), buffered = sb_ws_buffered(f->ws);
        if (used > f->mem_peak) f->mem_peak = used;
        if (buffered > f->buf_peak) f->buf_peak = buffered;
    }
    if (f->flood_rc != SB_OK) f->after_rc = sb_ws_send_text(f->ws, "x", 1);
}

static void test_ws_slow_consumer(void **state) {
    (void)state;
    size_t limit = 256 * 1024;
    sb_ws_options o = {.max_outbuf = limit, .close_timeout_ms = 200};
    fx *f = fx_start(&o);
    f->chunk_len = 16 * 1024;
    f->chunk = malloc(f->chunk_len);
    assert_non_null(f->chunk);
    memset(f->chunk, 's', f->chunk_len);
    cli *c = ws_connect_with(f, 4096, NULL, 0); /* and it never reads */
    cli_text(c, "go");
    wait_count(&f->texts, 1); /* so f->ws is set */
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (f->flood_rc == SB_OK) {
        assert_true(now_ms() < end);
        fx_call(f, call_flood, NULL);
    }
    assert_int_equal(f->flood_rc, SB_ELIMIT);
    assert_int_equal(f->after_rc, SB_ESTATE);
    assert_true(f->flood_sent > 0);
    assert_true(f->buf_peak <= limit + 64);
    assert_true(f->mem_peak - f->mem_base <= 2 * limit + 64 * 1024);
    expect_closed(f, 1, 1008); /* after close_timeout_ms: the close frame is stuck */
    /* what the kernel had taken still arrives, then the end of the stream */
    size_t got = 0;
    for (;;) {
        ssize_t k = recv(c->fd, c->buf, sizeof(c->buf), 0);
        assert_true(k >= 0);
        if (k == 0) break;
        got += (size_t)k;
    }
    assert_true(got > 0);
    cli_close(c, 0);
    fx_finish(f);
}

/* 100 KB messages at once until the kernel refuses some, and 8 more: the
 * rest waits in the connection's buffer and goes out as the client reads. */
static void call_burst(fx *f, void *arg) {
    LOOP_CHECK(f, f->ws != NULL);
    if (f->ws == NULL) return;
    for (int extra = -1; extra < 8 && f->flood_sent < 1000; f->flood_sent++) {
        f->chunk[0] = (char)('0' + f->flood_sent % 64);
        LOOP_CHECK(f, sb_ws_send_text(f->ws, f->chunk, f->chunk_len) == SB_OK);
        if (extra >= 0 || sb_ws_buffered(f->ws) > 0) extra++;
    }
    f->buf_peak = sb_ws_buffered(f->ws);
}

static void call_buffered(fx *f, void *arg) {
    f->value = f->ws != NULL ? (uint32_t)sb_ws_buffered(f->ws) : UINT32_MAX;
}

static void test_ws_backpressure(void **state) {
    (void)state;
    sb_ws_options o = {.max_outbuf = 8u << 20};
    fx *f = fx_start(&o);
    f->chunk_len = 100 * 1024;
    f->chunk = malloc(f->chunk_len);
    assert_non_null(f->chunk);
    memset(f->chunk, 'b', f->chunk_len);
    cli *c = ws_connect_with(f, 4096, NULL, 0);
    cli_text(c, "go");
    expect_text(c, "go");
    fx_call(f, call_burst, NULL);
    assert_true(f->buf_peak > 0); /* the kernel did not take it all */
    char *want = malloc(f->chunk_len);
    assert_non_null(want);
    memset(want, 'b', f->chunk_len);
    for (size_t i = 0; i < f->flood_sent; i++) {
        want[0] = (char)('0' + i % 64);
        expect_frame(c, OP_TEXT, want, f->chunk_len);
    }
    free(want);
    fx_call(f, call_buffered, NULL);
    assert_int_equal(f->value, 0);
    client_close(c, 1000, NULL);
    expect_closed(f, 1, 1000);
    fx_finish(f);
}

/* Send 8 small messages while the connection lasts. */
static void call_stream(fx *f, void *arg) {
    for (int i = 0; i < 8 && f->ws != NULL; i++)
        if (sb_ws_send_text(f->ws, f->chunk, f->chunk_len) != SB_OK) break;
}

static void test_ws_vanish(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    f->chunk_len = 1024;
    f->chunk = malloc(f->chunk_len);
    assert_non_null(f->chunk);
    memset(f->chunk, 'v', f->chunk_len);
    /* half a frame, then a reset */
    cli *c = ws_connect(f);
    unsigned char buf[256], p[100] = {0};
    size_t n = frame_build(buf, FIN | OP_TEXT, 0, p, sizeof(p));
    cli_send(c, buf, n - 60);
    sleep_ms(5);
    cli_close(c, 1);
    expect_closed(f, 1, 1006);
    /* mid-stream: the server is sending when the client resets */
    c = ws_connect(f);
    cli_text(c, "go");
    expect_text(c, "go");
    fx_call(f, call_stream, NULL);
    frame fr;
    assert_int_equal(cli_read_frame(c, &fr), 0);
    free(fr.data);
    cli_close(c, 1);
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (atomic_load(&f->closes) < 2) {
        assert_true(now_ms() < end);
        fx_call(f, call_stream, NULL);
    }
    expect_closed(f, 2, 1006);
    /* before on_open: the upgrade waits behind a held request */
    c = cli_open(f->port, 0);
    const char *two = "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: " KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    int opens = atomic_load(&f->opens), requests = atomic_load(&f->requests);
    cli_send(c, two, strlen(two));
    wait_count(&f->requests, requests + 2);
    assert_int_equal(atomic_load(&f->accept_rc), SB_OK);
    cli_close(c, 1);
    expect_closed(f, 3, 1006);
    assert_int_equal(atomic_load(&f->opens), opens);
    fx_call(f, call_answer_held, NULL); /* an orphan: the answer is dropped */
    /* before sb_ws_accept(): it finds the client gone */
    c = cli_open(f->port, 0);
    const char *held = "GET /hold-ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: " KEY "\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n";
    cli_send(c, held, strlen(held));
    wait_count(&f->requests, requests + 3);
    cli_close(c, 1);
    for (end = now_ms() + TIMEOUT_MS;; sleep_ms(1)) {
        assert_true(now_ms() < end);
        fx_call(f, call_connections, NULL);
        if (f->value == 0) break;
    }
    fx_call(f, call_answer_held, NULL);
    assert_int_equal(atomic_load(&f->accept_rc), SB_ESTATE);
    assert_int_equal(atomic_load(&f->closes), 3);
    fx_finish(f);
}

#define T(name) cmocka_unit_test(test_ws_##name)
SB_TEST_GROUP(ws, T(accept_key), T(bad_handshakes), T(echo), T(ping), T(server_close),
              T(client_close), T(heartbeat_answered), T(heartbeat_timeout), T(max_message),
              T(broken_frames), T(binary), T(invalid_utf8), T(backpressure), T(slow_consumer),
              T(vanish), T(cork))
