/* fuzz_http.c: libFuzzer target for the HTTP/1.1 server of src/net.
 *
 * Every input is sent over a real loopback TCP connection to a real
 * server (sb_http_server on 127.0.0.1, an ephemeral port), all on one
 * libuv loop in this thread: the request parser with its limits, the
 * request queue, pipelining with responses given out of order, Expect,
 * upgrades, lingering closes and graceful shutdown run as in production.
 * Servers outlive inputs (one per set of options; a listen per input
 * would cost more than the rest), except those an input shuts down.
 *
 * Input: a 4-byte control prefix, then the bytes the client sends.
 *   c[0], c[1]  where the bytes are cut into up to three writes; the loop
 *               runs between writes, so the server parses each apart
 *   c[2]        the handler's action for request i: bits (2*(i%4))..+1
 *                 0 answer at once
 *                 1 answer from a 0 ms timer, the held ones in reverse
 *                   order (an upgrade request: upgrade from the timer)
 *                 2 answer at once with a varied status and headers
 *                   (odd i: request headers copied back; a request
 *                   body is echoed straight from the request)
 *                 3 upgrade request: sb_http_upgrade() at once; other:
 *                   answer from the second timer round
 *   c[3]        bits 0-1 max_pipeline 16/4/2/1; bit 2 max_headers 8
 *               (else 100); bits 3-5 the run: 4 request_timeout_ms 1
 *               and a 2 ms pause after the first write (408s), 5 a
 *               server of its own shut down after the first write
 *               (draining), 6 the same with shutdown_timeout_ms 1 (forced
 *               closes, orphaned requests), 7 the same with
 *               max_connections 1 taken by an idle connection (503),
 *               else plain; bit 6 some responses ask for "Connection:
 *               close"; bit 7 the client ends with a reset (SO_LINGER 0)
 *               instead of shutting down its write side
 * Limits are max_body 4096 and max_header 2048.  After the bytes the
 * client shuts down its write side (or resets) and reads until the
 * server closes.
 *
 * Checked, besides sanitizer reports:
 *   - each request's limits as the handler sees it (header count, header
 *     bytes, body size, NUL-terminated body, trimmed values) and that
 *     every accessor's result is readable;
 *   - the response stream, parsed with llhttp: well-formed, responses in
 *     request order (an X-Seq header numbers them: 0, 1, 2... with no
 *     gap), nothing after a "Connection: close" response, server-made
 *     answers only errors with "Connection: close";
 *   - the connection ends without the server waiting on any timer (its
 *     timeouts are set far beyond a watchdog of WATCHDOG_MS);
 *   - sb_mem_used() and the loop's handles back where they were (a
 *     draining server freed). */
#include <arpa/inet.h>
#include <errno.h>
#include <llhttp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http.h"
#include "fuzz_loop.h"

#define WATCHDOG_MS 5000
#define FAR_MS      60000 /* server timeouts the run must never need */
#define MAX_BODY    4096
#define MAX_HEADER  2048

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) sb_panic("fuzz_http: check failed at line %d: %s", __LINE__, #cond);          \
    } while (0)

/* A request the handler keeps for later. */
typedef struct held {
    sb_http_request *req;
    unsigned seq;
    int rounds; /* timer rounds to wait */
} held;

/* Everything one input needs; the loop and a few handles outlive inputs. */
static struct {
    uv_loop_t loop;
    uv_timer_t defer;    /* answers held requests */
    uv_timer_t watchdog; /* unreferenced: a run that takes too long */
    uv_timer_t pause;    /* the 2 ms pause between writes (referenced) */
    int pause_done;

    /* per input */
    sb_http_options opts;
    sb_http_server *srv;
    int srv_shutdown, srv_freed;
    uint8_t modes, flags;
    unsigned nreq;           /* requests given to the handler */
    unsigned char *was_head; /* per request: a HEAD (the response has no body) */
    size_t was_head_cap;
    held *held;
    size_t nheld, held_cap;

    /* the client */
    uv_tcp_t client;
    int client_open, client_eof;
    uv_tcp_t squatter; /* an idle connection that takes the only slot */
    int squatter_open;
    uv_write_t writes[3];
    uv_shutdown_t shut;
    llhttp_t rp;
    llhttp_settings_t rs;
    int rp_stopped; /* upgraded, or nothing more is parsed */
    unsigned next_seq;
    int saw_close; /* a "Connection: close" response has been read */
    long cur_seq;  /* X-Seq of the response being parsed, -1 none */
    int cur_close;
    char hname[32], hval[32];
    size_t hname_len, hval_len;
    size_t received;
} F;

/* ---- the client's view: the response stream ---------------------------- */

static int r_message_begin(llhttp_t *p) {
    /* nothing may follow a response that closes the connection */
    CHECK(!F.saw_close);
    F.cur_seq = -1;
    F.cur_close = 0;
    F.hname_len = F.hval_len = 0;
    return 0;
}

static int r_header_field(llhttp_t *p, const char *at, size_t n) {
    size_t k = n < sizeof(F.hname) - 1 - F.hname_len ? n : sizeof(F.hname) - 1 - F.hname_len;
    memcpy(F.hname + F.hname_len, at, k);
    F.hname_len += k;
    return 0;
}

static int r_header_value(llhttp_t *p, const char *at, size_t n) {
    size_t k = n < sizeof(F.hval) - 1 - F.hval_len ? n : sizeof(F.hval) - 1 - F.hval_len;
    memcpy(F.hval + F.hval_len, at, k);
    F.hval_len += k;
    return 0;
}

static int r_header_value_complete(llhttp_t *p) {
    F.hname[F.hname_len] = F.hval[F.hval_len] = '\0';
    if (strcasecmp(F.hname, "x-seq") == 0) {
        CHECK(F.cur_seq == -1);
        F.cur_seq = strtol(F.hval, NULL, 10);
    } else if (strcasecmp(F.hname, "connection") == 0 && strcasecmp(F.hval, "close") == 0) {
        F.cur_close = 1;
    }
    F.hname_len = F.hval_len = 0;
    return 0;
}

static int r_headers_complete(llhttp_t *p) {
    int status = p->status_code;
    if (status == 100) return 0; /* "100 Continue", numbered by nobody */
    if (F.cur_seq < 0) {
        /* the server's own answer: an error that closes */
        CHECK(status >= 400 && status != 404);
        CHECK(F.cur_close);
        return 0;
    }
    /* in request order, none skipped */
    CHECK((unsigned long)F.cur_seq == F.next_seq);
    CHECK(F.cur_seq < (long)F.nreq);
    F.next_seq++;
    return F.was_head[F.cur_seq] ? 1 : 0; /* a HEAD's response has no body */
}

static int r_message_complete(llhttp_t *p) {
    if (p->status_code != 100 && F.cur_close) F.saw_close = 1;
    return 0;
}

static void client_closed_cb(uv_handle_t *h) {
    F.client_open = 0;
}

static void squatter_closed_cb(uv_handle_t *h) {
    F.squatter_open = 0;
}

static void squatter_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    if (nread < 0 && !uv_is_closing((uv_handle_t *)s))
        uv_close((uv_handle_t *)s, squatter_closed_cb);
}

static void srv_shutdown_cb(sb_http_server *srv, void *ud) {
    F.srv_freed = 1;
}

static void server_shutdown(void) {
    if (F.srv_shutdown) return;
    F.srv_shutdown = 1;
    sb_http_server_shutdown(F.srv, srv_shutdown_cb, NULL);
}

static void client_close(void) {
    if (F.client_eof) return;
    F.client_eof = 1;
    uv_close((uv_handle_t *)&F.client, client_closed_cb);
}

static void client_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    static char in[65536];
    *buf = uv_buf_init(in, sizeof(in));
}

static void client_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    if (nread == 0) return;
    if (nread < 0) { /* the server's close (or a reset): the end */
        client_close();
        return;
    }
    F.received += (size_t)nread;
    if (F.rp_stopped) return; /* past an upgrade: not HTTP */
    /* nothing may follow a response that closes the connection */
    CHECK(!F.saw_close);
    llhttp_errno_t e = llhttp_execute(&F.rp, buf->base, (size_t)nread);
    if (e == HPE_PAUSED_UPGRADE) {
        F.rp_stopped = 1;
    } else if (e != HPE_OK) {
        sb_panic("fuzz_http: bad response stream: %s (%s) at offset %zu", llhttp_errno_name(e),
                 llhttp_get_error_reason(&F.rp), F.received - (size_t)nread);
    }
}

static void client_write_cb(uv_write_t *w, int status) {
    /* a failed write (the server closed) changes nothing: the read side
     * sees the end */
}

static void client_shutdown_cb(uv_shutdown_t *s, int status) {}

/* Send `n` bytes: synchronously if the socket takes them, the rest queued. */
static void client_write(int k, const uint8_t *p, size_t n) {
    if (n == 0 || F.client_eof) return;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int r = uv_try_write((uv_stream_t *)&F.client, &b, 1);
    if (r == (int)n) return;
    if (r < 0 && r != UV_EAGAIN) return; /* the server has gone */
    if (r > 0) b = uv_buf_init((char *)p + r, (unsigned)(n - (size_t)r));
    if (uv_write(&F.writes[k], (uv_stream_t *)&F.client, &b, 1, client_write_cb) != 0) return;
}

/* ---- the handler -------------------------------------------------------- */

static size_t checksum(const char *s, size_t n) {
    size_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + (unsigned char)s[i];
    return h;
}

/* Read everything the request offers; check its limits. */
static void inspect(const sb_http_request *req) {
    volatile size_t sink = 0;
    const char *method = sb_http_request_method(req);
    CHECK(method != NULL);
    sink += checksum(method, strlen(method));
    const char *path = sb_http_request_path(req), *query = sb_http_request_query(req);
    CHECK(path != NULL && query != NULL);
    size_t bytes = strlen(path) + strlen(query);
    sink += checksum(path, strlen(path)) + checksum(query, strlen(query));
    size_t n = sb_http_request_header_count(req);
    CHECK(n <= F.opts.max_headers);
    for (size_t i = 0; i < n; i++) {
        const char *name, *value;
        sb_http_request_header_at(req, i, &name, &value);
        CHECK(name != NULL && value != NULL);
        size_t nl = strlen(name), vl = strlen(value);
        CHECK(nl > 0);
        /* trimmed */
        CHECK(vl == 0 || (value[0] != ' ' && value[0] != '\t'));
        CHECK(vl == 0 || (value[vl - 1] != ' ' && value[vl - 1] != '\t'));
        bytes += nl + vl + 4;
        sink += checksum(name, nl) + checksum(value, vl);
        /* the first of its name is what a lookup finds */
        const char *first = sb_http_request_header(req, name);
        CHECK(first != NULL);
        if (first == value) continue;
        size_t j = 0;
        for (; j < i; j++) {
            const char *nj, *vj;
            sb_http_request_header_at(req, j, &nj, &vj);
            if (strcasecmp(nj, name) == 0) break;
        }
        CHECK(j < i);
    }
    CHECK(bytes <= F.opts.max_header);
    size_t blen = 12345;
    const char *body = sb_http_request_body(req, &blen);
    CHECK(body != NULL && blen <= F.opts.max_body && body[blen] == '\0');
    sink += checksum(body, blen);
    const char *remote = sb_http_request_remote(req);
    CHECK(strncmp(remote, "127.0.0.1:", 10) == 0);
    CHECK(sb_http_request_peer(req)->sa_family == AF_INET);
    int minor = sb_http_request_version_minor(req);
    CHECK(minor == 0 || minor == 1);
    (void)sink;
}

static void add_seq(sb_http_request *req, unsigned seq) {
    char v[16];
    snprintf(v, sizeof(v), "%u", seq);
    CHECK(sb_http_response_header(req, "X-Seq", v) == SB_OK);
}

/* Answer with a body naming the request; `varied` tries statuses and the
 * header API's refusals. */
static void answer(sb_http_request *req, unsigned seq, int varied) {
    add_seq(req, seq);
    int status = 200;
    if (varied) {
        static const int statuses[] = {200, 201, 204, 304, 404, 500, 503, 599};
        status = statuses[seq % 8];
        CHECK(sb_http_response_header(req, "Bad Name", "x") == SB_EINVAL);
        CHECK(sb_http_response_header(req, "X-Split", "a\r\nb") == SB_EINVAL);
        CHECK(sb_http_response_header(req, "content-length", "1") == SB_EINVAL);
        CHECK(sb_http_response_header(req, "Transfer-Encoding", "chunked") == SB_EINVAL);
        CHECK(sb_http_response_header(req, "", "x") == SB_EINVAL);
        CHECK(sb_http_response_header(req, "X-Tab", "a\tb") == SB_OK);
        if ((F.flags & 0x40) && seq % 3 == 2)
            CHECK(sb_http_response_header(req, "Connection", "close") == SB_OK);
        else
            CHECK(sb_http_response_header(req, "Connection", "keep-alive") == SB_OK);
    }
    if (varied && seq % 2) {
        /* copy some request headers back: values as sent may be refused */
        size_t n = sb_http_request_header_count(req);
        for (size_t i = 0; i < n && i < 4; i++) {
            const char *name, *value;
            sb_http_request_header_at(req, i, &name, &value);
            if (strcasecmp(name, "x-seq") == 0) continue; /* ours */
            int r = sb_http_response_header(req, name, value);
            CHECK(r == SB_OK || r == SB_EINVAL);
        }
    }
    char body[160];
    size_t blen = 0;
    const char *rbody = sb_http_request_body(req, &blen);
    int n = snprintf(body, sizeof(body), "%s %.60s?%.40s %zu\n", sb_http_request_method(req),
                     sb_http_request_path(req), sb_http_request_query(req), blen);
    if (varied && blen > 0) {
        /* an echo: the body and its type straight from the request, which
         * the response takes away (sb_http_respond must copy first) */
        sb_http_respond(req, status, sb_http_request_header(req, "content-type"), rbody, blen);
        return;
    }
    sb_http_respond(req, status, varied ? sb_http_request_header(req, "accept") : "text/plain",
                    body, (size_t)n);
}

static void stream_closed_cb(sb_stream *s) {
    CHECK(sb_stream_data(s) == NULL);
}

static void upgrade_cb(sb_http_request *req, sb_stream *stream, const char *rest, size_t rest_len,
                       void *ud) {
    unsigned seq = (unsigned)(uintptr_t)ud;
    /* the request is still readable */
    inspect(req);
    CHECK(sb_http_request_is_upgrade(req));
    if (stream == NULL) {
        CHECK(rest_len == 0);
        return;
    }
    CHECK(sb_stream_data(stream) == NULL);
    CHECK(rest_len <= 65536); /* what the read buffer holds at most */
    volatile size_t sink = checksum(rest, rest_len);
    (void)sink;
    /* the new owner's own answer, then close */
    char msg[96];
    int n = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 101 Switching Protocols\r\nX-Seq: %u\r\nConnection: upgrade\r\n"
                     "Upgrade: x\r\n\r\n",
                     seq);
    uv_buf_t b = uv_buf_init(msg, (unsigned)n);
    sb_stream_try_write(stream, &b, 1);
    if (seq % 2)
        sb_stream_close(stream, NULL);
    else /* with a close callback */
        sb_stream_close(stream, stream_closed_cb);
}

static void defer_cb(uv_timer_t *t);

static void hold(sb_http_request *req, unsigned seq, int rounds) {
    if (F.nheld == F.held_cap) {
        F.held_cap = F.held_cap ? F.held_cap * 2 : 16;
        F.held = realloc(F.held, F.held_cap * sizeof(*F.held));
        CHECK(F.held != NULL);
    }
    F.held[F.nheld++] = (held){req, seq, rounds};
    if (!uv_is_active((uv_handle_t *)&F.defer)) uv_timer_start(&F.defer, defer_cb, 0, 0);
}

static void release(sb_http_request *req, unsigned seq) {
    if (sb_http_request_is_upgrade(req) && (F.modes >> (2 * (seq % 4)) & 3) == 1) {
        CHECK(sb_http_upgrade(req, upgrade_cb, (void *)(uintptr_t)seq) == SB_OK);
        return;
    }
    answer(req, seq, 0);
}

/* Answer the held requests, last first; some wait one more round. */
static void defer_cb(uv_timer_t *t) {
    size_t n = F.nheld;
    held *list = malloc((n ? n : 1) * sizeof(*list));
    CHECK(list != NULL);
    memcpy(list, F.held, n * sizeof(*list));
    F.nheld = 0;
    for (size_t k = n; k-- > 0;) {
        if (list[k].rounds > 1) {
            hold(list[k].req, list[k].seq, list[k].rounds - 1);
            continue;
        }
        /* closed or not, it must be answered to be freed */
        release(list[k].req, list[k].seq);
    }
    free(list);
    uv_stop(&F.loop); /* see pause_cb */
}

static void on_request(sb_http_request *req, void *ud) {
    unsigned seq = F.nreq++;
    if (seq >= F.was_head_cap) {
        F.was_head_cap = F.was_head_cap ? F.was_head_cap * 2 : 64;
        F.was_head = realloc(F.was_head, F.was_head_cap);
        CHECK(F.was_head != NULL);
    }
    F.was_head[seq] = strcmp(sb_http_request_method(req), "HEAD") == 0;
    CHECK(!sb_http_request_closed(req));
    inspect(req);
    int upgrade = sb_http_request_is_upgrade(req);
    switch (F.modes >> (2 * (seq % 4)) & 3) {
    case 0: answer(req, seq, 0); break;
    case 1: hold(req, seq, 1); break;
    case 2: answer(req, seq, 1); break;
    default:
        if (upgrade) {
            CHECK(sb_http_upgrade(req, upgrade_cb, (void *)(uintptr_t)seq) == SB_OK);
        } else {
            CHECK(sb_http_upgrade(req, upgrade_cb, NULL) == SB_EINVAL);
            hold(req, seq, 2);
        }
    }
}

/* ---- one run ------------------------------------------------------------ */

static void watchdog_cb(uv_timer_t *t) {
    sb_panic("fuzz_http: no end after %d ms: server %s, %u connections, client %s, %zu bytes "
             "received, %u requests, %zu held",
             WATCHDOG_MS,
             F.srv_freed      ? "freed"
             : F.srv_shutdown ? "shutting down"
                              : "running",
             F.srv_freed ? 0 : sb_http_server_connections(F.srv), F.client_open ? "open" : "closed",
             F.received, F.nreq, F.nheld);
}

/* uv_stop() in a timer callback that may end a wait: UV_RUN_ONCE runs
 * timers before it polls, and would otherwise block in the poll for an
 * event that is not coming (until the watchdog). */
static void pause_cb(uv_timer_t *t) {
    F.pause_done = 1;
    uv_stop(&F.loop);
}

/* Let the server take what was just written. */
static void settle(int pause) {
    if (pause) { /* past the 1 ms request timeout */
        F.pause_done = 0;
        uv_update_time(&F.loop);
        uv_timer_start(&F.pause, pause_cb, 2, 0);
        while (!F.pause_done)
            uv_run(&F.loop, UV_RUN_ONCE);
    } else {
        uv_run(&F.loop, UV_RUN_NOWAIT);
        uv_run(&F.loop, UV_RUN_NOWAIT);
    }
}

static int handles(void) { return fuzz_handles(&F.loop); }

/* Has everything of this input ended? */
static int finished(int handles_before) {
    if (F.client_open || F.squatter_open || F.nheld > 0 || uv_is_active((uv_handle_t *)&F.defer))
        return 0;
    if (F.srv_shutdown) return F.srv_freed && handles() == handles_before;
    return sb_http_server_connections(F.srv) == 0 && handles() == handles_before;
}

static sb_http_server *new_server(void) {
    sb_http_server *srv = sb_http_server_new(&F.loop, &F.opts, on_request, NULL);
    if (sb_http_server_listen(srv, "127.0.0.1", 0) != SB_OK)
        sb_panic("fuzz_http: listen: %s", sb_http_server_error(srv));
    return srv;
}

/* A client connection to the server under test, on the loop. */
static void connect_to(uv_tcp_t *h, uv_read_cb read_cb) {
    /* on loopback the kernel completes it before the accept */
    int fd = fuzz_connect("fuzz_http", sb_http_server_port(F.srv), NULL, NULL);
    CHECK(uv_tcp_init(&F.loop, h) == 0);
    CHECK(uv_tcp_open(h, fd) == 0);
    CHECK(uv_read_start((uv_stream_t *)h, client_alloc_cb, read_cb) == 0);
    uv_run(&F.loop, UV_RUN_NOWAIT); /* the server accepts */
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    signal(SIGPIPE, SIG_IGN);
    CHECK(uv_loop_init(&F.loop) == 0);
    uv_timer_init(&F.loop, &F.defer);
    uv_timer_init(&F.loop, &F.watchdog);
    uv_unref((uv_handle_t *)&F.watchdog);
    uv_timer_init(&F.loop, &F.pause);
    llhttp_settings_init(&F.rs);
    F.rs.on_message_begin = r_message_begin;
    F.rs.on_header_field = r_header_field;
    F.rs.on_header_value = r_header_value;
    F.rs.on_header_value_complete = r_header_value_complete;
    F.rs.on_headers_complete = r_headers_complete;
    F.rs.on_message_complete = r_message_complete;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* servers that outlive inputs, one per set of options: a listen per
     * input would cost more than the rest of the run */
    static sb_http_server *pool[16];
    if (size < 4) return -1;
    const uint8_t *c = data;
    data += 4;
    size -= 4;

    F.modes = c[2];
    F.flags = c[3];
    int run = (c[3] >> 3) & 7;
    int slow = run == 4, drain = run == 5 || run == 6, refused = run == 7;
    static const uint32_t pipelines[4] = {16, 4, 2, 1};
    F.opts = (sb_http_options){
        .max_body = MAX_BODY,
        .max_header = MAX_HEADER,
        .max_headers = (c[3] & 4) ? 8 : 100,
        .max_connections = refused ? 1 : 4,
        .max_pipeline = pipelines[c[3] & 3],
        .request_timeout_ms = slow ? 1 : FAR_MS,
        .idle_timeout_ms = FAR_MS,
        .linger_ms = FAR_MS,
        .shutdown_timeout_ms = run == 6 ? 1 : 0,
    };
    F.srv_shutdown = F.srv_freed = 0;
    F.nreq = 0;
    F.nheld = 0;
    F.rp_stopped = 0;
    F.next_seq = 0;
    F.saw_close = 0;
    F.received = 0;
    llhttp_init(&F.rp, HTTP_RESPONSE, &F.rs);
    uv_update_time(&F.loop);
    uv_timer_start(&F.watchdog, watchdog_cb, WATCHDOG_MS, 0);

    size_t mem_before;
    int handles_before;
    if (drain || refused) { /* a server of its own, shut down and freed in the run */
        handles_before = handles();
        mem_before = sb_mem_used();
        F.srv = new_server();
    } else {
        int key = (c[3] & 7) | slow << 3;
        if (pool[key] == NULL) pool[key] = new_server();
        F.srv = pool[key];
        handles_before = handles();
        mem_before = sb_mem_used();
    }

    if (refused) {
        connect_to(&F.squatter, squatter_read_cb);
        F.squatter_open = 1;
    }
    connect_to(&F.client, client_read_cb);
    F.client_open = 1;
    F.client_eof = 0;

    size_t cut1 = size * c[0] / 256, cut2 = cut1 + (size - cut1) * c[1] / 256;
    client_write(0, data, cut1);
    settle(slow);
    if (drain || refused) server_shutdown();
    client_write(1, data + cut1, cut2 - cut1);
    settle(0);
    client_write(2, data + cut2, size - cut2);
    if (c[3] & 0x80) { /* vanish: close with a reset, what was sent may be lost */
        uv_os_fd_t fd;
        if (!F.client_eof && uv_fileno((uv_handle_t *)&F.client, &fd) == 0) {
            struct linger l = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            client_close();
        }
    } else if (!F.client_eof) {
        uv_shutdown(&F.shut, (uv_stream_t *)&F.client, client_shutdown_cb);
    }

    /* until the connection, the client, held requests and upgraded
     * streams are all gone (and a draining server freed); the watchdog
     * ends a run that waits for nothing that will come */
    while (!finished(handles_before))
        uv_run(&F.loop, UV_RUN_ONCE);
    uv_timer_stop(&F.watchdog);
    size_t mem_after = sb_mem_used();
    if (mem_after != mem_before)
        sb_panic("fuzz_http: leak: %zu bytes in use before, %zu after", mem_before, mem_after);
    return 0;
}
