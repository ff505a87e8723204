/* test_tls.c: HTTPS and WSS: src/net's TLS streams over real TCP on
 * loopback.
 *
 * As in test_http.c and test_ws.c, the server and its uv loop run on a
 * thread of their own (127.0.0.1, an ephemeral port) and the test thread
 * is the client, reaching the loop thread only through fx_call().  The
 * certificate is made at test time with the OpenSSL C API (an EC P-256
 * key, self-signed, for 127.0.0.1).  The client is OpenSSL too, between
 * memory BIOs, so that it can hand its records to the socket a few bytes
 * at a time (`dribble`): records then arrive split across reads, and
 * reads join records.  Every blocking call has a timeout (TIMEOUT_MS).
 * Every test ends with a clean loop close and sb_mem_used() back where it
 * started. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
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

#define TIMEOUT_MS 5000

/* ---- a certificate, made once ------------------------------------------------ */

typedef struct pem {
    char *cert, *key;
    size_t cert_len, key_len;
    X509 *x509; /* for the client's trust store */
} pem;

static char *bio_text(BIO *b, size_t *len) {
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

static EVP_PKEY *new_key(void) {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static char *key_pem(EVP_PKEY *k, size_t *len) {
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    char *text = bio_text(b, len);
    BIO_free(b);
    return text;
}

static void make_pem(pem *out) {
    EVP_PKEY *k = new_key();
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    assert_non_null(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(b, x), 1);
    out->cert = bio_text(b, &out->cert_len);
    BIO_free(b);
    out->key = key_pem(k, &out->key_len);
    out->x509 = x;
    EVP_PKEY_free(k);
}

static const pem *the_pem(void) {
    static pem p;
    if (p.cert == NULL) make_pem(&p);
    return &p;
}

/* ---- the server side --------------------------------------------------------- */

typedef struct fx fx;
typedef void (*fx_fn)(fx *f, void *arg);

struct fx {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fx_fn fn;
    void *arg;
    int done;
    sb_http_server *srv;
    sb_tls *tls;
    int port;
    atomic_int requests, opens, texts, closes, last_code, accepts_ok;
    atomic_int errors;
    atomic_int shutdown_done;
    uint32_t value;
    size_t mem_before;
};

NET_FIXTURE_CALL()

static void ws_text(sb_ws *ws, const char *data, size_t len, void *ud) {
    fx *f = ud;
    atomic_fetch_add(&f->texts, 1);
    LOOP_CHECK(f, sb_ws_send_text(ws, data, len) == SB_OK);
}

static void ws_open(sb_ws *ws, void *ud) {
    atomic_fetch_add(&((fx *)ud)->opens, 1);
}

static void ws_closed(sb_ws *ws, int code, void *ud) {
    fx *f = ud;
    atomic_store(&f->last_code, code);
    atomic_fetch_add(&f->closes, 1);
}

static const sb_ws_callbacks callbacks = {ws_open, ws_text, ws_closed};

/* /ws-keep: the same, remembering the connection (loop thread only). */
static sb_ws *kept_ws;

static void ws_open_keep(sb_ws *ws, void *ud) {
    kept_ws = ws;
    ws_open(ws, ud);
}

static void ws_closed_keep(sb_ws *ws, int code, void *ud) {
    kept_ws = NULL;
    ws_closed(ws, code, ud);
}

static const sb_ws_callbacks keep_callbacks = {ws_open_keep, ws_text, ws_closed_keep};

/* /echo: the body back; /ws: a WebSocket echo; else "tls=1 PATH". */
static void on_request(sb_http_request *req, void *ud) {
    fx *f = ud;
    atomic_fetch_add(&f->requests, 1);
    LOOP_CHECK(f, sb_http_request_is_tls(req));
    const char *path = sb_http_request_path(req);
    if (strcmp(path, "/ws") == 0 || strcmp(path, "/ws-keep") == 0) {
        const sb_ws_callbacks *cb = path[3] == '\0' ? &callbacks : &keep_callbacks;
        if (sb_ws_accept(req, NULL, cb, f) == SB_OK) atomic_fetch_add(&f->accepts_ok, 1);
        return;
    }
    if (strcmp(path, "/echo") == 0) {
        size_t n;
        const char *body = sb_http_request_body(req, &n);
        sb_http_respond(req, 200, "application/octet-stream", body, n);
        return;
    }
    char text[256];
    int n = snprintf(text, sizeof(text), "tls=%d %s", sb_http_request_is_tls(req), path);
    sb_http_respond(req, 200, "text/plain", text, (size_t)n);
}

static void *loop_main(void *arg) {
    fx *f = arg;
    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static fx *fx_start(const sb_http_options *given) {
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    signal(SIGPIPE, SIG_IGN);
    const pem *p = the_pem();
    f->mem_before = sb_mem_used();
    char err[256];
    assert_int_equal(
        sb_tls_load_pem(&f->tls, p->cert, p->cert_len, p->key, p->key_len, err, sizeof(err)),
        SB_OK);
    sb_http_options o = {0};
    if (given != NULL) o = *given;
    o.tls = f->tls;
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_async_init(&f->loop, &f->async, async_cb), 0);
    f->async.data = f;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->srv = sb_http_server_new(&f->loop, &o, on_request, f);
    assert_int_equal(sb_http_server_listen(f->srv, "127.0.0.1", 0), SB_OK);
    f->port = sb_http_server_port(f->srv);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_main, f), 0);
    return f;
}

static void wait_count(atomic_int *a, int n) {
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (atomic_load(a) < n) {
        assert_true(now_ms() < end);
        sleep_ms(1);
    }
}

static void call_connections(fx *f, void *arg) {
    f->value = sb_http_server_connections(f->srv);
}

static void fx_wait_connections(fx *f, uint32_t n) {
    uint64_t end = now_ms() + TIMEOUT_MS;
    for (;;) {
        fx_call(f, call_connections, NULL);
        if (f->value == n) return;
        assert_true(now_ms() < end);
        sleep_ms(2);
    }
}

static void shutdown_done_cb(sb_http_server *srv, void *ud) {
    fx *f = ud;
    atomic_store(&f->shutdown_done, 1);
    uv_close((uv_handle_t *)&f->async, NULL);
}

static void call_shutdown(fx *f, void *arg) {
    sb_http_server_shutdown(f->srv, shutdown_done_cb, f);
}

static void fx_finish(fx *f) {
    wait_count(&f->closes, atomic_load(&f->accepts_ok));
    fx_call(f, call_shutdown, NULL);
    struct timespec dl = deadline_in(TIMEOUT_MS);
    assert_int_equal(pthread_timedjoin_np(f->thread, NULL, &dl), 0);
    assert_true(atomic_load(&f->shutdown_done));
    assert_int_equal(uv_loop_close(&f->loop), 0);
    assert_int_equal(atomic_load(&f->errors), 0);
    sb_tls_release(f->tls); /* the last reference */
    assert_int_equal(sb_mem_used(), f->mem_before);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

/* ---- the client: OpenSSL between memory BIOs over a blocking socket ---------- */

typedef struct cli {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
    size_t dribble; /* > 0: records go to the socket this many bytes at a time */
    unsigned char *buf;
    size_t len, cap;
} cli;

static int tcp_open(int port) {
    int fd = net_connect(port, 0, TIMEOUT_MS);
    assert_true(fd >= 0);
    return fd;
}

static void raw_send(int fd, const void *p, size_t n) { assert_int_equal(net_send_all(fd, p, n), 0); }

/* Move the client's records to the socket. */
static void cli_flush(cli *c) {
    char tmp[16384];
    int n;
    while ((n = BIO_read(c->wbio, tmp, sizeof(tmp))) > 0) {
        if (c->dribble == 0) {
            raw_send(c->fd, tmp, (size_t)n);
            continue;
        }
        for (size_t off = 0; off < (size_t)n; off += c->dribble) {
            size_t k = (size_t)n - off < c->dribble ? (size_t)n - off : c->dribble;
            raw_send(c->fd, tmp + off, k);
            sleep_ms(1); /* most likely a read of its own on the server */
        }
    }
}

/* Ciphertext from the socket into the client: 0, or -1 at EOF/error. */
static int cli_pull(cli *c) {
    char tmp[16384];
    ssize_t k = recv(c->fd, tmp, sizeof(tmp), 0);
    if (k <= 0) return -1;
    assert_int_equal(BIO_write(c->rbio, tmp, (int)k), (int)k);
    return 0;
}

static SSL_CTX *client_ctx(int max_version) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), the_pem()->x509);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (max_version != 0) {
        SSL_CTX_set_min_proto_version(ctx, max_version < TLS1_2_VERSION ? TLS1_VERSION : 0);
        SSL_CTX_set_max_proto_version(ctx, max_version);
        if (max_version < TLS1_2_VERSION) SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    return ctx;
}

/* Connect and start the handshake; 1 once done, 0 if it failed. */
static int cli_handshake(cli *c) {
    for (;;) {
        int r = SSL_do_handshake(c->ssl);
        cli_flush(c);
        if (r == 1) return 1;
        if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
            ERR_clear_error();
            return 0;
        }
        if (cli_pull(c) != 0) return 0;
    }
}

static cli *cli_new(int port, int max_version, size_t dribble) {
    cli *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->fd = tcp_open(port);
    c->ctx = client_ctx(max_version);
    c->ssl = SSL_new(c->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    c->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(c->rbio, -1);
    SSL_set_bio(c->ssl, c->rbio, c->wbio);
    SSL_set_connect_state(c->ssl);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1");
    c->dribble = dribble;
    c->cap = 65536;
    c->buf = malloc(c->cap);
    assert_non_null(c->buf);
    return c;
}

static cli *cli_open(int port) {
    cli *c = cli_new(port, 0, 0);
    assert_int_equal(cli_handshake(c), 1);
    assert_int_equal(SSL_get_verify_result(c->ssl), X509_V_OK);
    assert_true(SSL_version(c->ssl) >= TLS1_2_VERSION);
    return c;
}

static void cli_close(cli *c) {
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
    free(c->buf);
    free(c);
}

/* Plaintext out, in records of at most `record` bytes (0: one write). */
static void cli_send_records(cli *c, const void *p, size_t n, size_t record) {
    const char *s = p;
    while (n > 0) {
        size_t k = record == 0 || record > n ? n : record;
        assert_int_equal(SSL_write(c->ssl, s, (int)k), (int)k);
        cli_flush(c);
        s += k;
        n -= k;
    }
}

static void cli_send(cli *c, const void *p, size_t n) {
    cli_send_records(c, p, n, 0);
}

static void cli_sends(cli *c, const char *s) {
    cli_send(c, s, strlen(s));
}

/* More plaintext into c->buf: 0, or -1 at the end (close_notify, EOF). */
static int cli_fill(cli *c) {
    if (c->cap - c->len < 16384) {
        c->cap *= 2;
        c->buf = realloc(c->buf, c->cap);
        assert_non_null(c->buf);
    }
    for (;;) {
        int r = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
        if (r > 0) {
            c->len += (size_t)r;
            cli_flush(c); /* a KeyUpdate's answer, say */
            return 0;
        }
        if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
            ERR_clear_error();
            return -1;
        }
        if (cli_pull(c) != 0) return -1;
    }
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

typedef struct response {
    int status;
    char head[4096];
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
} response;

static const char *resp_header(const response *r, const char *name) { return net_header(r->head, name); }

/* A response head and, unless 101, its body by Content-Length. */
static void cli_read_response(cli *c, response *r) {
    memset(r, 0, sizeof(*r));
    long h;
    size_t cl = 0;
    while ((h = net_head(c->buf, c->len, r->head, sizeof(r->head), &r->status, &cl)) == 0)
        assert_int_equal(cli_fill(c), 0);
    assert_true(h > 0);
    size_t hlen = (size_t)h;
    r->body_len = r->status != 101 ? cl : 0;
    assert_int_equal(cli_need(c, hlen + r->body_len), 0);
    r->body = malloc(r->body_len + 1);
    assert_non_null(r->body);
    memcpy(r->body, c->buf + hlen, r->body_len);
    r->body[r->body_len] = '\0';
    cli_consume(c, hlen + r->body_len);
}

static void expect_text(cli *c, int status, const char *body) {
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, status);
    assert_string_equal(r.body, body);
    free(r.body);
}

/* 1 when the server ends the connection (close_notify or EOF). */
static int cli_ended(cli *c) {
    return c->len == 0 && cli_fill(c) == -1;
}

/* ---- HTTPS -------------------------------------------------------------------------- */

static void test_tls_keepalive_pipelining(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = cli_open(f->port);
    /* three at once, in one record */
    cli_sends(c, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /b HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_text(c, 200, "tls=1 /a");
    expect_text(c, 200, "tls=1 /b");
    expect_text(c, 200, "tls=1 /c");
    /* two more, in records that split them anywhere */
    const char *two = "GET /d HTTP/1.1\r\nHost: t\r\n\r\nGET /e HTTP/1.1\r\nHost: t\r\n\r\n";
    cli_send_records(c, two, strlen(two), 7);
    expect_text(c, 200, "tls=1 /d");
    expect_text(c, 200, "tls=1 /e");
    fx_wait_connections(f, 1);
    /* a request, then the client's close_notify: answered, then closed */
    cli_sends(c, "GET /last HTTP/1.1\r\nHost: t\r\n\r\n");
    SSL_shutdown(c->ssl);
    cli_flush(c);
    expect_text(c, 200, "tls=1 /last");
    assert_true(cli_ended(c));
    cli_close(c);
    assert_int_equal(atomic_load(&f->requests), 6);
    /* a TLS 1.2 client is served too */
    c = cli_new(f->port, TLS1_2_VERSION, 0);
    assert_int_equal(cli_handshake(c), 1);
    assert_int_equal(SSL_version(c->ssl), TLS1_2_VERSION);
    cli_sends(c, "GET /v12 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    expect_text(c, 200, "tls=1 /v12");
    assert_true(cli_ended(c));
    cli_close(c);
    fx_wait_connections(f, 0);
    assert_int_equal(sb_tls_failures(f->tls), 0);
    fx_finish(f);
}

/* More pipelined requests than the server reads at once: it stops
 * reading with plaintext still in the TLS engine, and must resume. */
static void test_tls_pipeline_flood(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = cli_open(f->port);
    enum { N = 5000 };
    size_t cap = (size_t)N * 48, len = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(all + len, cap - len, "GET /r%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
    assert_true(len > 2 * 65536);
    cli_send(c, all, len);
    free(all);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "tls=1 /r%d", i);
        expect_text(c, 200, want);
    }
    cli_close(c);
    fx_wait_connections(f, 0);
    assert_int_equal(atomic_load(&f->requests), N);
    fx_finish(f);
}

/* The handshake and a request reach the server 3 bytes at a time. */
static void test_tls_dribble(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = cli_new(f->port, 0, 3);
    assert_int_equal(cli_handshake(c), 1);
    const char *req = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world";
    cli_send_records(c, req, strlen(req), 10);
    expect_text(c, 200, "hello world");
    cli_close(c);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

static void test_tls_large_bodies(void **state) {
    (void)state;
    sb_http_options o = {.max_body = 4 << 20};
    fx *f = fx_start(&o);
    cli *c = cli_open(f->port);
    size_t n = (3 << 20) / 2 + 12345; /* about 100 records each way */
    char *body = malloc(n);
    assert_non_null(body);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    char head[128];
    snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n",
             n);
    cli_sends(c, head);
    cli_send_records(c, body, n, 100000); /* records of the client's size */
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, body, n);
    free(r.body);
    /* the connection goes on, and in chunked form too */
    cli_sends(c, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    expect_text(c, 200, "hello world");
    free(body);
    cli_close(c);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

/* ---- handshake failures ------------------------------------------------------------- */

/* Send `data` over plain TCP; 1 if the server closed without a word. */
static int closed_without_answer(int port, const void *data, size_t n) {
    int fd = tcp_open(port);
    raw_send(fd, data, n);
    char buf[256];
    ssize_t k = recv(fd, buf, sizeof(buf), 0);
    int ok = k == 0 || (k < 0 && errno == ECONNRESET);
    if (k > 0) ok = memmem(buf, (size_t)k, "HTTP/", 5) == NULL && buf[0] == 0x15; /* an alert */
    close(fd);
    return ok;
}

static void test_tls_handshake_failures(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    /* plain HTTP to the TLS port */
    const char *plain = "GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_true(closed_without_answer(f->port, plain, strlen(plain)));
    assert_int_equal(sb_tls_failures(f->tls), 1);
    /* a handshake record that is no ClientHello */
    static const unsigned char bad[] = {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00,
                                        0x00, 0x04, 0xde, 0xad, 0xbe, 0xef};
    assert_true(closed_without_answer(f->port, bad, sizeof(bad)));
    assert_int_equal(sb_tls_failures(f->tls), 2);
    /* no common version: a TLS 1.1 client */
    cli *c = cli_new(f->port, TLS1_1_VERSION, 0);
    assert_int_equal(cli_handshake(c), 0);
    cli_close(c);
    fx_wait_connections(f, 0);
    assert_int_equal(sb_tls_failures(f->tls), 3);
    /* a client that connects and goes away: no failure of the server's */
    close(tcp_open(f->port));
    fx_wait_connections(f, 0);
    assert_int_equal(sb_tls_failures(f->tls), 3);
    /* and the server is fine */
    c = cli_open(f->port);
    cli_sends(c, "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_text(c, 200, "tls=1 /after");
    cli_close(c);
    fx_wait_connections(f, 0);
    assert_int_equal(sb_tls_failures(f->tls), 3);
    fx_finish(f);
}

/* Over max_connections the 503 waits for the handshake, then goes out. */
static void test_tls_refused(void **state) {
    (void)state;
    sb_http_options o = {.max_connections = 1};
    fx *f = fx_start(&o);
    cli *a = cli_open(f->port);
    fx_wait_connections(f, 1);
    cli *b = cli_new(f->port, 0, 5);
    assert_int_equal(cli_handshake(b), 1);
    response r;
    cli_read_response(b, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(resp_header(&r, "connection"), "close");
    free(r.body);
    assert_true(cli_ended(b));
    cli_close(b);
    cli_sends(a, "GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_text(a, 200, "tls=1 /a");
    cli_close(a);
    fx_wait_connections(f, 0);
    fx_finish(f);
}

/* ---- WSS -------------------------------------------------------------------------------- */

static void cli_frame(cli *c, int b0, const void *p, size_t n, size_t record) {
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    unsigned char *out = malloc(n + 14);
    assert_non_null(out);
    size_t k = 0;
    out[k++] = (unsigned char)b0;
    if (n < 126) {
        out[k++] = 0x80 | (unsigned char)n;
    } else {
        assert_true(n < 65536);
        out[k++] = 0x80 | 126;
        out[k++] = (unsigned char)(n >> 8);
        out[k++] = (unsigned char)n;
    }
    memcpy(out + k, key, 4);
    k += 4;
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        out[k + i] = s[i] ^ key[i % 4];
    cli_send_records(c, out, k + n, record);
    free(out);
}

/* One server frame: its opcode, its payload into *data (malloc'd). */
static int cli_read_frame(cli *c, char **data, size_t *len) {
    assert_int_equal(cli_need(c, 2), 0);
    int op = c->buf[0] & 15;
    assert_int_equal(c->buf[1] & 0x80, 0);
    size_t hl = 2, n = c->buf[1] & 0x7f;
    if (n == 126) {
        assert_int_equal(cli_need(c, 4), 0);
        n = (size_t)c->buf[2] << 8 | c->buf[3];
        hl = 4;
    }
    assert_true(n < 126 || hl == 4);
    assert_int_equal(cli_need(c, hl + n), 0);
    *data = malloc(n + 1);
    assert_non_null(*data);
    memcpy(*data, c->buf + hl, n);
    (*data)[n] = '\0';
    *len = n;
    cli_consume(c, hl + n);
    return op;
}

static void expect_frame(cli *c, int op, const char *text, size_t n) {
    char *data;
    size_t len;
    assert_int_equal(cli_read_frame(c, &data, &len), op);
    assert_int_equal(len, n);
    assert_memory_equal(data, text, n);
    free(data);
}

static void test_tls_websocket(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    cli *c = cli_open(f->port);
    /* a request first, then the upgrade with a message in the same record */
    cli_sends(c, "GET /first HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_text(c, 200, "tls=1 /first");
    const char *up =
        "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    /* "early", then more frames than the HTTP server's buffer holds: some
     * reach the WebSocket as the upgrade's `rest`, the others from the
     * TLS engine */
    enum { K = 30, KLEN = 4000 };
    size_t uplen = strlen(up), cap = uplen + 11 + K * (KLEN + 8), len = uplen;
    unsigned char *both = malloc(cap);
    assert_non_null(both);
    memcpy(both, up, uplen);
    static const unsigned char mask[4] = {1, 2, 3, 4};
    unsigned char *fr = both + len;
    fr[0] = 0x81, fr[1] = 0x80 | 5;
    memcpy(fr + 2, mask, 4);
    for (int i = 0; i < 5; i++)
        fr[6 + i] = (unsigned char)("early"[i] ^ mask[i % 4]);
    len += 11;
    for (int k = 0; k < K; k++) {
        fr = both + len;
        fr[0] = 0x81, fr[1] = 0x80 | 126, fr[2] = KLEN >> 8, fr[3] = KLEN & 0xff;
        memcpy(fr + 4, mask, 4);
        for (int i = 0; i < KLEN; i++)
            fr[8 + i] = (unsigned char)(('a' + (k + i) % 26) ^ mask[i % 4]);
        len += 8 + KLEN;
    }
    cli_send(c, both, len);
    free(both);
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, 101);
    assert_string_equal(resp_header(&r, "sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    free(r.body);
    expect_frame(c, 1, "early", 5);
    char text[KLEN];
    for (int k = 0; k < K; k++) {
        for (int i = 0; i < KLEN; i++)
            text[i] = (char)('a' + (k + i) % 26);
        expect_frame(c, 1, text, KLEN);
    }
    fx_wait_connections(f, 0); /* the HTTP server no longer has it */
    /* messages, one of them across many records */
    cli_frame(c, 0x81, "one", 3, 0);
    cli_frame(c, 0x81, "two", 3, 0);
    expect_frame(c, 1, "one", 3);
    expect_frame(c, 1, "two", 3);
    size_t n = 40000;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('A' + i % 23);
    cli_frame(c, 0x81, big, n, 1000);
    expect_frame(c, 1, big, n);
    free(big);
    /* the closing handshake */
    unsigned char code[2] = {0x03, 0xe8};
    cli_frame(c, 0x88, code, 2, 0);
    expect_frame(c, 8, (const char *)code, 2);
    assert_true(cli_ended(c));
    cli_close(c);
    wait_count(&f->closes, 1);
    assert_int_equal(atomic_load(&f->last_code), 1000);
    assert_int_equal(atomic_load(&f->texts), 4 + K);
    fx_finish(f);
}

/* The server closes first (as at shutdown: 1001), over TLS as over TCP;
 * then a client that vanishes gets 1006. */
static void call_close_ws(fx *f, void *arg) {
    LOOP_CHECK(f, kept_ws != NULL);
    if (kept_ws != NULL) LOOP_CHECK(f, sb_ws_close(kept_ws, 1001, "going away") == SB_OK);
}

static void test_tls_websocket_server_close(void **state) {
    (void)state;
    fx *f = fx_start(NULL);
    const char *up = "GET /ws-keep HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n";
    cli *c = cli_open(f->port);
    cli_sends(c, up);
    response r;
    cli_read_response(c, &r);
    assert_int_equal(r.status, 101);
    free(r.body);
    wait_count(&f->opens, 1);
    fx_call(f, call_close_ws, NULL);
    expect_frame(c, 8, "\x03\xe9going away", 12);
    unsigned char code[2] = {0x03, 0xe9};
    cli_frame(c, 0x88, code, 2, 0);
    assert_true(cli_ended(c));
    cli_close(c);
    wait_count(&f->closes, 1);
    assert_int_equal(atomic_load(&f->last_code), 1001);

    c = cli_open(f->port);
    cli_sends(c, up);
    cli_read_response(c, &r);
    assert_int_equal(r.status, 101);
    free(r.body);
    wait_count(&f->opens, 2);
    cli_close(c); /* gone without a close frame */
    wait_count(&f->closes, 2);
    assert_int_equal(atomic_load(&f->last_code), 1006);
    fx_finish(f);
}

/* ---- loading ------------------------------------------------------------------------------ */

static void test_tls_load_errors(void **state) {
    (void)state;
    const pem *p = the_pem();
    size_t before = sb_mem_used();
    sb_tls *tls = NULL;
    char err[256];
    assert_int_equal(
        sb_tls_load(&tls, "/nonexistent/cert.pem", "/nonexistent/key.pem", err, sizeof(err)),
        SB_EINVAL);
    assert_null(tls);
    assert_non_null(strstr(err, "/nonexistent/cert.pem"));
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(sb_tls_load_pem(&tls, "junk", 4, p->key, p->key_len, err, sizeof(err)),
                     SB_EINVAL);
    assert_non_null(strstr(err, "certificate"));
    assert_int_equal(
        sb_tls_load_pem(&tls, p->cert, p->cert_len, p->cert, p->cert_len, err, sizeof(err)),
        SB_EINVAL);
    assert_non_null(strstr(err, "private key"));
    EVP_PKEY *other = new_key();
    size_t other_len;
    char *other_pem = key_pem(other, &other_len);
    assert_int_equal(
        sb_tls_load_pem(&tls, p->cert, p->cert_len, other_pem, other_len, err, sizeof(err)),
        SB_EINVAL);
    assert_non_null(strstr(err, "does not match"));
    free(other_pem);
    EVP_PKEY_free(other);
    assert_null(tls);
    assert_int_equal(
        sb_tls_load_pem(&tls, p->cert, p->cert_len, p->key, p->key_len, err, sizeof(err)), SB_OK);
    assert_int_equal(sb_tls_failures(tls), 0);
    sb_tls_release(tls);
    assert_int_equal(sb_mem_used(), before);
}

#define T(name) cmocka_unit_test(test_tls_##name)
SB_TEST_GROUP(tls, T(keepalive_pipelining), T(pipeline_flood), T(dribble), T(large_bodies),
              T(handshake_failures), T(refused), T(websocket), T(websocket_server_close),
              T(load_errors))
