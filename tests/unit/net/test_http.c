/* test_http.c: src/net's HTTP server over real TCP on loopback.
 *
 * Each test runs the server's uv loop on a thread of its own, on
 * 127.0.0.1 and an ephemeral port, and talks to it from the test thread
 * with plain blocking sockets whose timeouts (TIMEOUT_MS) turn a hang into
 * a failure.  The handler runs on the loop thread; the test reaches that
 * thread only through fx_call() (a uv_async_t mailbox).  At the end the
 * server is shut down, the thread joined, the loop must close cleanly and
 * sb_mem_used() must be back where it started. */
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
#include "unit/test.h"
#include "unit/net/net_fixture.h"

#define TIMEOUT_MS 3000
#define MAX_HELD   16

/* ---- the server side: a loop thread and a mailbox ----------------------- */

typedef struct fx fx;
typedef void (*fx_fn)(fx *f, void *arg);
typedef void (*fx_handler)(fx *f, sb_http_request *req);

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
    fx_handler handler;
    sb_http_request *held[MAX_HELD]; /* requests the handler answers later */
    int nheld;
    atomic_int nrequests;
    atomic_int errors;      /* checks failed on the loop thread */
    atomic_int closed_seen; /* held requests found closed when answered */
    atomic_int shutdown_done;
    atomic_int null_upgrades; /* sb_http_upgrade callbacks without a stream */
    int shutdown_started;
    uint32_t value; /* a result fetched from the loop thread */
    size_t mem_before;
};

NET_FIXTURE_CALL()

static void on_request(sb_http_request *req, void *ud) {
    fx *f = ud;
    atomic_fetch_add(&f->nrequests, 1);
    f->handler(f, req);
}

static void *loop_main(void *arg) {
    fx *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static fx *fx_start(const sb_http_options *o, fx_handler handler) {
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    signal(SIGPIPE, SIG_IGN); /* as any libuv program must */
    f->mem_before = sb_mem_used();
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_async_init(&f->loop, &f->async, async_cb), 0);
    f->async.data = f;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->handler = handler;
    f->srv = sb_http_server_new(&f->loop, o, on_request, f);
    assert_int_equal(sb_http_server_listen(f->srv, "127.0.0.1", 0), SB_OK);
    f->port = sb_http_server_port(f->srv);
    assert_true(f->port > 0);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
    return f;
}

static void respond_text(sb_http_request *req, int status, const char *text) {
    sb_http_respond(req, status, "text/plain", text, strlen(text));
}

static void hold(fx *f, sb_http_request *req) {
    LOOP_CHECK(f, f->nheld < MAX_HELD);
    f->held[f->nheld++] = req;
}

/* Answer every held request with its path, in order (arg NULL) or in
 * reverse order (arg non-NULL). */
static void call_answer_held(fx *f, void *arg) {
    int n = f->nheld;
    f->nheld = 0;
    for (int k = 0; k < n; k++) {
        sb_http_request *req = f->held[arg ? n - 1 - k : k];
        if (sb_http_request_closed(req)) atomic_fetch_add(&f->closed_seen, 1);
        char body[256];
        snprintf(body, sizeof(body), "late %s", sb_http_request_path(req));
        respond_text(req, 200, body);
    }
}

static void call_connections(fx *f, void *arg) {
    f->value = sb_http_server_connections(f->srv);
}

static void shutdown_done_cb(sb_http_server *srv, void *ud) {
    fx *f = ud;
    call_answer_held(f, NULL); /* orphans of a forced close */
    atomic_store(&f->shutdown_done, 1);
    uv_close((uv_handle_t *)&f->async, NULL);
}

static void call_shutdown(fx *f, void *arg) {
    sb_http_server_shutdown(f->srv, shutdown_done_cb, f);
}

static void fx_shutdown(fx *f) {
    f->shutdown_started = 1;
    fx_call(f, call_shutdown, NULL);
}

/* Wait (bounded) until the server has `n` connections. */
static void fx_wait_connections(fx *f, uint32_t n) {
    uint64_t end = now_ms() + TIMEOUT_MS;
    for (;;) {
        fx_call(f, call_connections, NULL);
        if (f->value == n) return;
        assert_true(now_ms() < end);
        sleep_ms(2);
    }
}

static void fx_wait_requests(fx *f, int n) {
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (atomic_load(&f->nrequests) < n) {
        assert_true(now_ms() < end);
        sleep_ms(2);
    }
}

static void fx_finish(fx *f) {
    if (!f->shutdown_started) fx_shutdown(f);
    struct timespec dl = deadline_in(TIMEOUT_MS);
    assert_int_equal(pthread_timedjoin_np(f->thread, NULL, &dl), 0);
    assert_true(atomic_load(&f->shutdown_done));
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(atomic_load(&f->errors), 0);
    assert_int_equal(sb_mem_used(), f->mem_before);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

/* ---- the client side: blocking sockets ------------------------------------ */

typedef struct cli {
    int fd;
    size_t len;
    char buf[1 << 16];
} cli;

typedef struct response {
    int status;
    char head[4096];
    char body[16384];
    size_t body_len;
} response;

static cli *cli_open(int port) {
    cli *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->fd = net_connect(port, 0, TIMEOUT_MS);
    assert_true(c->fd >= 0);
    return c;
}

/* Close; with `reset`, abortively (RST instead of FIN). */
static void cli_close(cli *c, int reset) {
    net_close(c->fd, reset);
    free(c);
}

static void cli_send(cli *c, const void *p, size_t n) { assert_int_equal(net_send_all(c->fd, p, n), 0); }

static void cli_sends(cli *c, const char *s) {
    cli_send(c, s, strlen(s));
}

static int cli_fill(cli *c) {
    if (c->len == sizeof(c->buf)) return -1;
    ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (k <= 0) return -1;
    c->len += (size_t)k;
    return 0;
}

static void cli_consume(cli *c, size_t n) {
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static const char *resp_header(const response *r, const char *name) { return net_header(r->head, name); }

/* Read one response (its body by Content-Length, none if `no_body`).
 * Returns 0, or -1 on end of stream or timeout first. */
static int cli_read_as(cli *c, response *r, int no_body) {
    memset(r, 0, sizeof(*r));
    long h;
    size_t cl = 0;
    while ((h = net_head(c->buf, c->len, r->head, sizeof(r->head), &r->status, &cl)) == 0)
        if (cli_fill(c) != 0) return -1;
    if (h < 0) return -1;
    size_t hlen = (size_t)h, blen = no_body ? 0 : cl;
    if (blen >= sizeof(r->body)) return -1;
    while (c->len < hlen + blen)
        if (cli_fill(c) != 0) return -1;
    memcpy(r->body, c->buf + hlen, blen);
    r->body_len = blen;
    cli_consume(c, hlen + blen);
    return 0;
}

static int cli_read(cli *c, response *r) {
    return cli_read_as(c, r, 0);
}

/* 1 if the server closed cleanly (FIN, nothing more to read), 0 if data
 * came, -1 on reset or timeout. */
static int cli_eof(cli *c) {
    if (c->len > 0) return 0;
    char ch;
    ssize_t k = recv(c->fd, &ch, 1, 0);
    return k == 0 ? 1 : k > 0 ? 0 : -1;
}

static void expect_body(const response *r, const char *text) {
    assert_int_equal(r->body_len, strlen(text));
    assert_memory_equal(r->body, text, r->body_len);
}

/* One request, one response on a fresh connection. */
static void roundtrip(fx *f, const char *request, int status) {
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, request);
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, status);
    cli_close(c, 0);
}

/* ---- handlers --------------------------------------------------------------- */

/* Echo the request's parts, then its body; a few paths do more. */
static void h_echo(fx *f, sb_http_request *req) {
    const char *path = sb_http_request_path(req);
    if (strcmp(path, "/hold") == 0) {
        hold(f, req);
        return;
    }
    if (strcmp(path, "/bye") == 0) {
        LOOP_CHECK(f, sb_http_response_header(req, "Connection", "close") == SB_OK);
        respond_text(req, 200, "bye");
        return;
    }
    if (strcmp(path, "/huge") == 0) {
        size_t n = 8u << 20;
        char *big = malloc(n);
        memset(big, 'h', n);
        sb_http_respond(req, 200, "application/octet-stream", big, n);
        free(big);
        return;
    }
    if (strcmp(path, "/empty") == 0) {
        sb_http_respond(req, 204, "text/plain", "ignored", 7);
        return;
    }
    LOOP_CHECK(f, strncmp(sb_http_request_remote(req), "127.0.0.1:", 10) == 0);
    LOOP_CHECK(f, sb_http_request_peer(req)->sa_family == AF_INET);
    LOOP_CHECK(f, !sb_http_request_closed(req));
    LOOP_CHECK(f, sb_http_upgrade(req, NULL, NULL) == SB_EINVAL);
    LOOP_CHECK(f, sb_http_response_header(req, "X-Bad", "a\r\nInjected: 1") == SB_EINVAL);
    LOOP_CHECK(f, sb_http_response_header(req, "Bad Name", "v") == SB_EINVAL);
    LOOP_CHECK(f, sb_http_response_header(req, "Content-Length", "5") == SB_EINVAL);
    LOOP_CHECK(f, sb_http_response_header(req, "X-Echo", "yes") == SB_OK);
    size_t n = sb_http_request_header_count(req), blen;
    if (n > 0) {
        const char *name, *value;
        sb_http_request_header_at(req, 0, &name, &value);
        LOOP_CHECK(f, strcmp(name, "Host") == 0 && strcmp(value, "t") == 0);
    }
    const char *x = sb_http_request_header(req, "x-TEST");
    const char *body = sb_http_request_body(req, &blen);
    LOOP_CHECK(f, body[blen] == '\0');
    char *out = malloc(blen + 512);
    int k =
        snprintf(out, 512, "%s %s ?%s x-test=%s 1.%d len=%zu\n", sb_http_request_method(req), path,
                 sb_http_request_query(req), x ? x : "-", sb_http_request_version_minor(req), blen);
    memcpy(out + k, body, blen);
    sb_http_respond(req, 200, "text/plain", out, (size_t)k + blen);
    free(out);
}

/* Hold every request. */
static void h_hold(fx *f, sb_http_request *req) {
    hold(f, req);
}

/* Hold requests until the third, then answer the three in reverse. */
static void h_reverse(fx *f, sb_http_request *req) {
    hold(f, req);
    if (f->nheld == 3) call_answer_held(f, (void *)1);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_http_get_echo(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET /echo/x%20y?a=1&b=2#frag HTTP/1.1\r\nHost: t\r\nX-Test:   hello  \r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 200);
    expect_body(&r, "GET /echo/x%20y ?a=1&b=2 x-test=hello 1.1 len=0\n");
    assert_string_equal(resp_header(&r, "x-echo"), "yes");
    assert_string_equal(resp_header(&r, "content-type"), "text/plain");
    assert_string_equal(resp_header(&r, "content-length"), "48");
    assert_non_null(resp_header(&r, "date"));
    assert_null(resp_header(&r, "injected"));
    assert_null(resp_header(&r, "connection"));
    /* one byte at a time: every name, value and the target arrive split */
    const char *slow = "GET /s?q=1 HTTP/1.1\r\nHost: t\r\nX-Test: split value\r\n\r\n";
    for (const char *p = slow; *p; p++) {
        cli_send(c, p, 1);
        sleep_ms(1);
    }
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "GET /s ?q=1 x-test=split value 1.1 len=0\n");
    /* absolute-form target, no query */
    cli_sends(c, "DELETE http://t:80/abs/p HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "DELETE /abs/p ? x-test=- 1.1 len=0\n");
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_post_body(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    cli *c = cli_open(f->port);
    response r;
    char body[5000], head[256], want[5200];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + i % 26);
    body[100] = '\0'; /* bodies are bytes */
    snprintf(head, sizeof(head), "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n",
             sizeof(body));
    cli_sends(c, head);
    cli_send(c, body, 2000); /* in two pieces */
    sleep_ms(20);
    cli_send(c, body + 2000, sizeof(body) - 2000);
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 200);
    int k = snprintf(want, sizeof(want), "POST /p ? x-test=- 1.1 len=%zu\n", sizeof(body));
    memcpy(want + k, body, sizeof(body));
    assert_int_equal(r.body_len, (size_t)k + sizeof(body));
    assert_memory_equal(r.body, want, r.body_len);
    /* chunked, with a trailer */
    cli_sends(c, "PUT /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "PUT /c ? x-test=- 1.1 len=12\nhello, world");
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_keepalive(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    cli *c = cli_open(f->port);
    response r;
    for (int i = 1; i <= 3; i++) {
        char req[128], want[128];
        snprintf(req, sizeof(req), "GET /k%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
        snprintf(want, sizeof(want), "GET /k%d ? x-test=- 1.1 len=0\n", i);
        cli_sends(c, req);
        assert_int_equal(cli_read(c, &r), 0);
        expect_body(&r, want);
        assert_null(resp_header(&r, "connection"));
    }
    /* HEAD: the length of the body that GET would send, and no body */
    cli_sends(c, "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read_as(c, &r, 1), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "content-length"), "29");
    /* 204: neither body nor length */
    cli_sends(c, "GET /empty HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 204);
    assert_null(resp_header(&r, "content-length"));
    /* the handler asks to close */
    cli *d = cli_open(f->port);
    cli_sends(d, "GET /bye HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(d, &r), 0);
    expect_body(&r, "bye");
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(d), 1);
    cli_close(d, 0);
    /* the client asks to close */
    cli_sends(c, "GET /k4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "GET /k4 ? x-test=- 1.1 len=0\n");
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    assert_int_equal(atomic_load(&f->nrequests), 7);
    fx_finish(f);
}

static void test_http_http10(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    response r;
    cli *c = cli_open(f->port);
    cli_sends(c, "GET /a HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "GET /a ? x-test=- 1.0 len=0\n");
    assert_string_equal(resp_header(&r, "connection"), "keep-alive");
    cli_sends(c, "GET /b HTTP/1.0\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "GET /b ? x-test=- 1.0 len=0\n");
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_many_connections(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    enum { N = 64 };
    cli *c[N];
    response r;
    for (int i = 0; i < N; i++)
        c[i] = cli_open(f->port);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            char req[64];
            snprintf(req, sizeof(req), "GET /c%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
            cli_sends(c[i], req);
        }
        for (int i = N - 1; i >= 0; i--) {
            char want[64];
            snprintf(want, sizeof(want), "GET /c%d ? x-test=- 1.1 len=0\n", i);
            assert_int_equal(cli_read(c[i], &r), 0);
            expect_body(&r, want);
        }
    }
    fx_wait_connections(f, N);
    for (int i = 0; i < N; i += 2)
        cli_close(c[i], 0);
    fx_wait_connections(f, N / 2);
    for (int i = 1; i < N; i += 2)
        cli_close(c[i], i % 4 == 1);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

static void test_http_pipeline_reverse(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_reverse);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /3 HTTP/1.1\r\nHost: t\r\n\r\n");
    for (int i = 1; i <= 3; i++) {
        char want[32];
        snprintf(want, sizeof(want), "late /%d", i);
        assert_int_equal(cli_read(c, &r), 0);
        assert_int_equal(r.status, 200);
        expect_body(&r, want);
    }
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_pipeline_backpressure(void **state) {
    (void)state;
    sb_http_options o = {.max_pipeline = 2};
    fx *f = fx_start(&o, h_hold);
    cli *c = cli_open(f->port);
    response r;
    for (int i = 1; i <= 5; i++) {
        char req[64];
        snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
        cli_sends(c, req);
    }
    fx_wait_requests(f, 2);
    sleep_ms(50);
    assert_int_equal(atomic_load(&f->nrequests), 2); /* the rest waits */
    fx_call(f, call_answer_held, NULL);
    fx_wait_requests(f, 4);
    sleep_ms(20);
    assert_int_equal(atomic_load(&f->nrequests), 4);
    fx_call(f, call_answer_held, NULL);
    fx_wait_requests(f, 5);
    fx_call(f, call_answer_held, NULL);
    for (int i = 1; i <= 5; i++) {
        char want[32];
        snprintf(want, sizeof(want), "late /%d", i);
        assert_int_equal(cli_read(c, &r), 0);
        expect_body(&r, want);
    }
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_expect_continue(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c,
              "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 100);
    cli_sends(c, "hello");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "POST /e ? x-test=- 1.1 len=5\nhello");
    cli_sends(c, "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: teapot\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 417);
    cli_close(c, 0);
    fx_finish(f);
}

/* An error answer, then a clean close; the server keeps serving. */
static void expect_refusal(fx *f, const char *request, size_t len, int status) {
    cli *c = cli_open(f->port);
    response r;
    cli_send(c, request, len);
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, status);
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    roundtrip(f, "GET /still HTTP/1.1\r\nHost: t\r\n\r\n", 200);
}

#define REFUSE(f, literal, status) expect_refusal(f, literal, sizeof(literal) - 1, status)

static void test_http_413(void **state) {
    (void)state;
    sb_http_options o = {.max_body = 1024};
    fx *f = fx_start(&o, h_echo);
    /* declared too large: answered after the headers, the body unread */
    char req[4096];
    int n = snprintf(req, sizeof(req),
                     "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    memset(req + n, 'x', sizeof(req) - (size_t)n);
    expect_refusal(f, req, sizeof(req), 413);
    /* chunked, growing past the limit */
    n = snprintf(req, sizeof(req),
                 "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 2; i++) {
        n += snprintf(req + n, sizeof(req) - (size_t)n, "300\r\n");
        memset(req + n, 'y', 0x300);
        n += 0x300;
        n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    }
    expect_refusal(f, req, (size_t)n, 413);
    /* exactly the limit is fine */
    n = snprintf(req, sizeof(req), "POST /ok HTTP/1.1\r\nHost: t\r\nContent-Length: 1024\r\n\r\n");
    memset(req + n, 'z', 1024);
    cli *c = cli_open(f->port);
    response r;
    cli_send(c, req, (size_t)n + 1024);
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 200);
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_431(void **state) {
    (void)state;
    sb_http_options o = {.max_header = 1024, .max_headers = 8};
    fx *f = fx_start(&o, h_echo);
    char req[4096];
    int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + n, 'a', 2000);
    n += 2000;
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
    expect_refusal(f, req, (size_t)n, 431);
    /* too many fields */
    n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 9; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "X-%d: v\r\n", i);
    n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
    expect_refusal(f, req, (size_t)n, 431);
    /* a target longer than the whole header limit */
    n = snprintf(req, sizeof(req), "GET /");
    memset(req + n, 'p', 1100);
    n += 1100;
    n += snprintf(req + n, sizeof(req) - (size_t)n, " HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_refusal(f, req, (size_t)n, 414);
    fx_finish(f);
}

static void test_http_400(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    REFUSE(f, "\x01\x02 garbage\r\n\r\n", 400);
    REFUSE(f, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400);
    REFUSE(f, "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
    REFUSE(f, "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    REFUSE(f, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    REFUSE(f, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    REFUSE(f, "GET / HTTP/2.0\r\n\r\n", 505);
    /* a good request, then garbage: answered in order */
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET /ok HTTP/1.1\r\nHost: t\r\n\r\nNONSENSE\x7f\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 400);
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_408(void **state) {
    (void)state;
    sb_http_options o = {.request_timeout_ms = 200};
    fx *f = fx_start(&o, h_echo);
    cli *c = cli_open(f->port);
    response r;
    uint64_t t0 = now_ms();
    cli_sends(c, "GET /slow HTTP/1.1\r\nHost: t\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    uint64_t waited = now_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(waited >= 150 && waited < 2000);
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    /* a body that stalls counts too */
    c = cli_open(f->port);
    cli_sends(c, "POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 408);
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_idle_timeout(void **state) {
    (void)state;
    sb_http_options o = {.idle_timeout_ms = 200};
    fx *f = fx_start(&o, h_echo);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    uint64_t t0 = now_ms();
    assert_int_equal(cli_eof(c), 1); /* closed without a word */
    uint64_t waited = now_ms() - t0;
    assert_true(waited >= 150 && waited < 2000);
    cli_close(c, 0);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

static void test_http_max_connections(void **state) {
    (void)state;
    sb_http_options o = {.max_connections = 2};
    fx *f = fx_start(&o, h_echo);
    response r;
    cli *a = cli_open(f->port), *b = cli_open(f->port);
    cli_sends(a, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_sends(b, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(a, &r), 0);
    assert_int_equal(cli_read(b, &r), 0);
    cli *c = cli_open(f->port);
    cli_sends(c, "GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(resp_header(&r, "retry-after"), "1");
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    /* the two still work; when one goes, a newcomer is served */
    cli_sends(a, "GET /a2 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(a, &r), 0);
    assert_int_equal(r.status, 200);
    cli_close(a, 0);
    fx_wait_connections(f, 1);
    roundtrip(f, "GET /d HTTP/1.1\r\nHost: t\r\n\r\n", 200);
    cli_close(b, 0);
    assert_int_equal(atomic_load(&f->nrequests), 4); /* /c never reached the handler */
    fx_finish(f);
}

static void test_http_late_response_after_reset(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_hold);
    /* reset: the connection is gone before the answer */
    cli *c = cli_open(f->port);
    cli_sends(c, "GET /r HTTP/1.1\r\nHost: t\r\n\r\nGET /r2 HTTP/1.1\r\nHost: t\r\n\r\n");
    fx_wait_requests(f, 2);
    cli_close(c, 1);
    fx_wait_connections(f, 0);
    fx_call(f, call_answer_held, NULL);
    assert_int_equal(atomic_load(&f->closed_seen), 2);
    /* FIN: the server still answers, into a closed socket */
    c = cli_open(f->port);
    cli_sends(c, "GET /f HTTP/1.1\r\nHost: t\r\n\r\n");
    fx_wait_requests(f, 3);
    cli_close(c, 0);
    sleep_ms(20);
    fx_call(f, call_answer_held, NULL);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

/* The client resets in the middle of a large response: the failed write
 * closes the connection, nothing else. */
static void test_http_reset_mid_response(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    cli *c = cli_open(f->port);
    cli_sends(c, "GET /huge HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_fill(c), 0);
    assert_memory_equal(c->buf, "HTTP/1.1 200 OK\r\n", 17);
    cli_close(c, 1);
    fx_wait_connections(f, 0);
    roundtrip(f, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n", 200);
    fx_finish(f);
}

static void test_http_half_close(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_hold);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET /h1 HTTP/1.1\r\nHost: t\r\n\r\nGET /h2 HTTP/1.1\r\nHost: t\r\n\r\n");
    fx_wait_requests(f, 2);
    shutdown(c->fd, SHUT_WR); /* done sending, still reading */
    sleep_ms(20);
    fx_call(f, call_answer_held, NULL);
    assert_int_equal(atomic_load(&f->closed_seen), 0);
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "late /h1");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "late /h2");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    fx_finish(f);
}

static void test_http_shutdown_inflight(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_echo);
    response r;
    cli *busy = cli_open(f->port), *idle = cli_open(f->port);
    cli_sends(busy, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_sends(idle, "GET /i HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(cli_read(idle, &r), 0);
    fx_wait_requests(f, 2);
    fx_shutdown(f);
    assert_int_equal(cli_eof(idle), 1); /* idle: closed at once */
    cli_close(idle, 0);
    /* no longer listening */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    close(fd);
    sleep_ms(20);
    assert_int_equal(atomic_load(&f->shutdown_done), 0); /* waits for /hold */
    fx_call(f, call_answer_held, NULL);
    assert_int_equal(cli_read(busy, &r), 0);
    assert_int_equal(r.status, 200);
    expect_body(&r, "late /hold");
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(busy), 1);
    cli_close(busy, 0);
    assert_int_equal(atomic_load(&f->closed_seen), 0);
    fx_finish(f);
}

static void test_http_shutdown_timeout(void **state) {
    (void)state;
    sb_http_options o = {.shutdown_timeout_ms = 100};
    fx *f = fx_start(&o, h_hold);
    cli *c = cli_open(f->port);
    cli_sends(c, "GET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    fx_wait_requests(f, 1);
    uint64_t t0 = now_ms();
    fx_shutdown(f);
    assert_true(cli_eof(c) != 0); /* closed without an answer */
    assert_true(now_ms() - t0 >= 80);
    cli_close(c, 0);
    fx_finish(f); /* the done callback answered the orphan */
}

/* ---- upgrade ------------------------------------------------------------------ */

static void echo_alloc(sb_stream *s, size_t hint, uv_buf_t *buf) {
    static char mem[4096]; /* loop thread only */
    *buf = uv_buf_init(mem, sizeof(mem));
}

static void echo_read(sb_stream *s, ssize_t n, const uv_buf_t *buf) {
    if (n > 0) {
        uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
        sb_stream_try_write(s, &b, 1);
    } else if (n < 0) {
        sb_stream_close(s, NULL);
    }
}

static void upgraded_cb(sb_http_request *req, sb_stream *s, const char *rest, size_t n, void *ud) {
    fx *f = ud;
    LOOP_CHECK(f, s != NULL);
    if (s == NULL) return;
    LOOP_CHECK(f, sb_stream_data(s) == NULL);
    LOOP_CHECK(f, !sb_stream_is_tls(s));
    char msg[512];
    const char *key = sb_http_request_header(req, "sec-websocket-key");
    int k = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
                     "\r\nkey=%s;rest=%.*s;\n",
                     key ? key : "-", (int)n, rest);
    uv_buf_t b = uv_buf_init(msg, (unsigned)k);
    LOOP_CHECK(f, sb_stream_try_write(s, &b, 1) == k);
    LOOP_CHECK(f, sb_stream_read_start(s, echo_alloc, echo_read) == 0);
}

static void h_upgrade(fx *f, sb_http_request *req) {
    if (!sb_http_request_is_upgrade(req)) {
        hold(f, req);
        return;
    }
    LOOP_CHECK(f, sb_http_upgrade(req, upgraded_cb, f) == SB_OK);
    call_answer_held(f, NULL); /* the earlier request goes first */
}

static void test_http_upgrade_detach(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_upgrade);
    cli *c = cli_open(f->port);
    response r;
    cli_sends(c, "GET /before HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: k3y\r\n\r\nHELLO");
    assert_int_equal(cli_read(c, &r), 0);
    expect_body(&r, "late /before");
    assert_int_equal(cli_read_as(c, &r, 1), 0);
    assert_int_equal(r.status, 101);
    /* HELLO came with the request (rest) or after it (echoed): either way once */
    const char *prefix = "key=k3y;rest=";
    while (memchr(c->buf, '\n', c->len) == NULL)
        assert_int_equal(cli_fill(c), 0);
    assert_memory_equal(c->buf, prefix, strlen(prefix));
    size_t got = (size_t)((char *)memchr(c->buf, '\n', c->len) - c->buf) - strlen(prefix) - 1;
    assert_true(got <= 5);
    assert_memory_equal(c->buf + strlen(prefix), "HELLO", got);
    cli_consume(c, strlen(prefix) + got + 2);
    while (c->len < 5 - got)
        assert_int_equal(cli_fill(c), 0);
    assert_memory_equal(c->buf, &"HELLO"[got], 5 - got);
    cli_consume(c, 5 - got);
    fx_wait_connections(f, 0); /* the server no longer counts it */
    cli_sends(c, "PING");
    while (c->len < 4)
        assert_int_equal(cli_fill(c), 0);
    assert_memory_equal(c->buf, "PING", 4);
    cli_close(c, 0); /* the echo sees EOF and closes the stream */
    fx_finish(f);
}

static void null_upgrade_cb(sb_http_request *req, sb_stream *s, const char *rest, size_t n,
                            void *ud) {
    fx *f = ud;
    LOOP_CHECK(f, s == NULL && n == 0);
    LOOP_CHECK(f, strncmp(sb_http_request_path(req), "/ws", 3) == 0);
    atomic_fetch_add(&f->null_upgrades, 1);
}

/* /before: held; /ws: upgrade at once, behind /before; /ws-later: held;
 * /ws-deny: answered with a plain 403. */
static void h_upgrade_orphan(fx *f, sb_http_request *req) {
    const char *path = sb_http_request_path(req);
    if (strcmp(path, "/ws") == 0)
        LOOP_CHECK(f, sb_http_upgrade(req, null_upgrade_cb, f) == SB_OK);
    else if (strcmp(path, "/ws-deny") == 0)
        respond_text(req, 403, "no");
    else
        hold(f, req);
}

static void call_upgrade_held(fx *f, void *arg) {
    LOOP_CHECK(f, f->nheld == 1);
    f->nheld = 0;
    LOOP_CHECK(f, sb_http_request_closed(f->held[0]));
    LOOP_CHECK(f, sb_http_upgrade(f->held[0], null_upgrade_cb, f) == SB_OK);
}

static void test_http_upgrade_orphans(void **state) {
    (void)state;
    fx *f = fx_start(NULL, h_upgrade_orphan);
    const char *ws = "Host: t\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\n";
    char req[256];
    /* the client resets while the upgrade waits behind /before */
    cli *c = cli_open(f->port);
    snprintf(req, sizeof(req), "GET /before HTTP/1.1\r\nHost: t\r\n\r\nGET /ws HTTP/1.1\r\n%s", ws);
    cli_sends(c, req);
    fx_wait_requests(f, 2);
    cli_close(c, 1);
    fx_wait_connections(f, 0);
    assert_int_equal(atomic_load(&f->null_upgrades), 1);
    fx_call(f, call_answer_held, NULL);
    /* the client resets before the handler decides to upgrade */
    c = cli_open(f->port);
    snprintf(req, sizeof(req), "GET /ws-later HTTP/1.1\r\n%s", ws);
    cli_sends(c, req);
    fx_wait_requests(f, 3);
    cli_close(c, 1);
    fx_wait_connections(f, 0);
    fx_call(f, call_upgrade_held, NULL);
    assert_int_equal(atomic_load(&f->null_upgrades), 2);
    /* declined: a plain answer, then the connection closes */
    c = cli_open(f->port);
    snprintf(req, sizeof(req), "GET /ws-deny HTTP/1.1\r\n%sFRAMES", ws);
    cli_sends(c, req);
    response r;
    assert_int_equal(cli_read(c, &r), 0);
    assert_int_equal(r.status, 403);
    assert_string_equal(resp_header(&r, "connection"), "close");
    assert_int_equal(cli_eof(c), 1);
    cli_close(c, 0);
    fx_finish(f);
}

/* ---- listening ---------------------------------------------------------------- */

static void count_done(sb_http_server *srv, void *ud) {
    (*(int *)ud)++;
}

static void never_called(sb_http_request *req, void *ud) {
    sb_panic("no request expected");
}

static void test_http_listen_errors(void **state) {
    (void)state;
    size_t before = sb_mem_used();
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sb_http_server *a = sb_http_server_new(&loop, NULL, never_called, NULL);
    sb_http_server *b = sb_http_server_new(&loop, NULL, never_called, NULL);
    sb_http_server *v6 = sb_http_server_new(&loop, NULL, never_called, NULL);
    assert_int_equal(sb_http_server_port(a), 0);
    assert_int_equal(sb_http_server_listen(a, "localhost", 0), SB_EINVAL);
    assert_int_equal(sb_http_server_listen(a, "127.0.0.1", 70000), SB_EINVAL);
    assert_int_equal(sb_http_server_listen(a, "127.0.0.1", 0), SB_OK);
    assert_string_equal(sb_http_server_error(a), "");
    assert_int_equal(sb_http_server_listen(a, "127.0.0.1", 0), SB_ESTATE);
    int port = sb_http_server_port(a);
    assert_true(port > 0);
    assert_int_equal(sb_http_server_listen(b, "127.0.0.1", port), SB_EINUSE);
    assert_non_null(strstr(sb_http_server_error(b), "address already in use"));
    assert_int_equal(sb_http_server_port(b), 0);
    int r6 = sb_http_server_listen(v6, "::1", 0); /* no IPv6 here is not a failure */
    assert_true(r6 == SB_OK ? sb_http_server_port(v6) > 0 : r6 == SB_ESTATE);
    int done = 0;
    sb_http_server_shutdown(a, count_done, &done);
    sb_http_server_shutdown(b, count_done, &done);
    sb_http_server_shutdown(v6, count_done, &done);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(done, 3);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(sb_mem_used(), before);
    assert_string_equal(sb_http_status_text(431), "Request Header Fields Too Large");
    assert_string_equal(sb_http_status_text(299), "Unknown");
}

#define T(name) cmocka_unit_test(test_http_##name)
SB_TEST_GROUP(http, T(get_echo), T(post_body), T(keepalive), T(http10), T(many_connections),
              T(pipeline_reverse), T(pipeline_backpressure), T(expect_continue), T(413), T(431),
              T(400), T(408), T(idle_timeout), T(max_connections), T(late_response_after_reset),
              T(reset_mid_response), T(half_close), T(shutdown_inflight), T(shutdown_timeout),
              T(upgrade_detach), T(upgrade_orphans), T(listen_errors))
