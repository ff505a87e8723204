/* fuzz_ws.c: libFuzzer target for WebSocket connections (src/net/ws.c).
 *
 * Every input is one real WebSocket connection over loopback TCP: a real
 * HTTP server (sb_http_server on 127.0.0.1, an ephemeral port) whose
 * handler calls sb_ws_accept() on a valid opening handshake, and a client
 * that sends the handshake and then the fuzzer's bytes as they are: masked
 * or unmasked frames, fragments, control frames, close codes, invalid
 * UTF-8, oversized messages.  Everything runs on one libuv loop in this
 * thread.  The server outlives inputs (a listen per input would cost more
 * than the rest); the connection does not.
 *
 * Input: a 4-byte control prefix, then the bytes the client sends after
 * the handshake.
 *   c[0], c[1]  where the bytes are cut into up to three writes; the loop
 *               runs between writes, so the server reads each apart
 *   c[2]        bit 0: the handshake and the first part go in one write
 *                 (the bytes reach ws.c as the upgrade's "rest"); else
 *                 the client waits for the 101 first
 *               bit 1: the server echoes every text message
 *               bit 2: commands in text messages (the first byte):
 *                 '#' the server closes: sb_ws_close() with a code from
 *                     a table indexed by the second byte (some codes may
 *                     not be sent: SB_EINVAL) and the rest as the reason
 *                 '*' the server sends the message 64 times (slow
 *                     consumer with a small outgoing buffer)
 *               bit 3: max_message 125 (else 2048): oversized messages
 *               bit 4: max_outbuf 256 (else the default): 1008
 *               bit 5: heartbeat every 2 ms, pong timeout 1 ms: 1011
 *               bits 6-7: how the client ends
 *                 0 shuts its write side down after the bytes (EOF)
 *                 1 polite: answers the server's close frame with one
 *                   of its own, or after 10 ms of quiet sends close 1000;
 *                   then shuts down
 *                 2 a reset (SO_LINGER 0) right after the bytes
 *                 3 silent: neither a close frame nor an EOF (the fast
 *                   heartbeat and a 5 ms close timeout end it)
 *   c[3]        bit 0: on_open sends a greeting; bit 1: close timeout
 *               1 ms (else 100 ms)
 *
 * Checked, besides sanitizer reports:
 *   - on_close exactly once, after on_open, with a code the server may
 *     report (ws.h); never on_text once the server has started closing;
 *     each message valid UTF-8 and within max_message;
 *   - the server's byte stream as the client reads it: a 101 with the
 *     right Sec-WebSocket-Accept, then well-formed frames (unmasked, no
 *     reserved bits, known opcodes, control frames final and short,
 *     minimal lengths), text valid UTF-8, a close frame with a sendable
 *     code and a UTF-8 reason, nothing after the close frame;
 *   - on_close's code is that close frame's (1005 when it has none), or
 *     1006 when the server sent none;
 *   - the connection ends without waiting for any timer the run does not
 *     set (a watchdog of WATCHDOG_MS), and sb_mem_used() and the loop's
 *     handles are back where they were. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http.h"
#include "fuzz_loop.h"
#include "net/ws.h"

#define WATCHDOG_MS 5000
#define FAR_MS      60000
#define QUIET_MS    10        /* polite: the client closes after this much silence */
#define MAX_IN      (4 << 20) /* what the client keeps of the server's bytes */

/* The RFC 6455 example key and its answer. */
#define WS_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) sb_panic("fuzz_ws: check failed at line %d: %s", __LINE__, #cond);            \
    } while (0)

enum { END_EOF, END_POLITE, END_RESET, END_SILENT };

static const char handshake[] = "GET /ws HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: " WS_KEY "\r\n"
                                "Sec-WebSocket-Version: 13\r\n"
                                "\r\n";

static struct {
    uv_loop_t loop;
    sb_http_server *srv;
    uv_timer_t watchdog; /* unreferenced */
    uv_timer_t quiet;    /* polite: close after silence */

    /* per input */
    uint8_t flags, flags2;
    int end;
    sb_ws_options opts;

    /* the server side */
    int requests;  /* requests the handler saw */
    int accept_rc; /* of sb_ws_accept() */
    int opened, closed, code;
    int closing; /* the handler made the server close */
    int messages;

    /* the client */
    uv_tcp_t client;
    int client_open, client_eof;
    uv_write_t writes[8]; /* at most 5: handshake, 3 parts, a close frame */
    int nwrites;
    uv_shutdown_t shut;
    int shut_done;
    int close_out; /* the client has sent its close frame */
    uint8_t close_frame[8 + 125];
    unsigned char *in; /* what the server sent */
    size_t in_len, in_cap, in_off;
    int got_101;
    int server_close_seen, server_close_code;
    int frames_after_close;
} F;

/* ---- UTF-8 ---------------------------------------------------------------- */

static int utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned min;
        if ((c & 0xE0) == 0xC0)
            k = 1, min = 0x80, c &= 0x1F;
        else if ((c & 0xF0) == 0xE0)
            k = 2, min = 0x800, c &= 0x0F;
        else if ((c & 0xF8) == 0xF0)
            k = 3, min = 0x10000, c &= 0x07;
        else
            return 0;
        if (i + k >= n) return 0; /* cut short */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            c = c << 6 | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

static int code_sendable(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* ---- the server's side: the handler and the connection's callbacks ------- */

static void on_open(sb_ws *ws, void *ud) {
    CHECK(F.opened == 0 && F.closed == 0);
    F.opened = 1;
    CHECK(strncmp(sb_ws_remote(ws), "127.0.0.1:", 10) == 0);
    if (F.flags2 & 1) CHECK(sb_ws_send_text(ws, "hello", 5) == SB_OK);
}

/* A send from a callback: sent, refused as closing, or over the buffer
 * (which closes with 1008). */
static int ws_send(sb_ws *ws, const char *p, size_t n) {
    int r = sb_ws_send_text(ws, p, n);
    CHECK(r == SB_OK || r == SB_ESTATE || r == SB_ELIMIT);
    if (r == SB_ELIMIT) {
        CHECK(n > F.opts.max_outbuf || sb_ws_buffered(ws) + n > F.opts.max_outbuf);
        F.closing = 1;
    }
    CHECK(sb_ws_buffered(ws) <= F.opts.max_outbuf + 4096);
    return r;
}

static void on_text(sb_ws *ws, const char *data, size_t len, void *ud) {
    CHECK(F.opened && !F.closed);
    CHECK(!F.closing); /* never once the server has started closing */
    CHECK(len <= F.opts.max_message);
    CHECK(data != NULL);
    CHECK(utf8_valid((const unsigned char *)data, len));
    F.messages++;
    if ((F.flags & 4) && len > 0 && data[0] == '#') {
        static const int codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1011, 1014, 3000, 4999,
                                    0,    1004, 1005, 1006, 1015, 2999, 5000, 999,  -1,   65535};
        enum { NCODES = sizeof(codes) / sizeof(codes[0]) };
        int code;
        const char *reason;
        if (len > 1 && (unsigned char)data[1] < 0x80) {
            code = codes[(unsigned char)data[1] % NCODES];
            reason = data + 2;
        } else {
            code = codes[0];
            reason = data + 1;
        }
        size_t rl = (size_t)(data + len - reason);
        char *r = malloc(rl + 1);
        CHECK(r != NULL);
        memcpy(r, reason, rl);
        r[rl] = '\0';
        int rc = sb_ws_close(ws, code, (F.messages & 1) ? r : NULL);
        free(r);
        if (code == 0 || code_sendable(code)) {
            CHECK(rc == SB_OK);
            F.closing = 1;
            CHECK(sb_ws_close(ws, 1000, NULL) == SB_ESTATE);
            CHECK(sb_ws_send_text(ws, "x", 1) == SB_ESTATE);
        } else {
            CHECK(rc == SB_EINVAL);
        }
        return;
    }
    if ((F.flags & 4) && len > 0 && data[0] == '*') {
        for (int i = 0; i < 64; i++)
            if (ws_send(ws, data, len) != SB_OK) break;
        return;
    }
    if (F.flags & 2) ws_send(ws, data, len);
}

static void on_close(sb_ws *ws, int code, void *ud) {
    CHECK(F.closed == 0);
    F.closed = 1;
    F.code = code;
    /* every call is a harmless no-op in here */
    CHECK(sb_ws_send_text(ws, "x", 1) == SB_ESTATE);
    CHECK(sb_ws_close(ws, 1000, NULL) == SB_ESTATE);
}

static const sb_ws_callbacks callbacks = {on_open, on_text, on_close};

static void on_request(sb_http_request *req, void *ud) {
    F.requests++;
    CHECK(F.requests == 1);
    CHECK(strcmp(sb_http_request_path(req), "/ws") == 0);
    F.accept_rc = sb_ws_accept(req, &F.opts, &callbacks, NULL);
    /* the handshake is valid; the client may have gone already */
    CHECK(F.accept_rc == SB_OK || (F.accept_rc == SB_ESTATE && F.end == END_RESET));
}

/* ---- the client ------------------------------------------------------------- */

static void client_closed_cb(uv_handle_t *h) {
    F.client_open = 0;
}

static void client_close(void) {
    if (F.client_eof) return;
    F.client_eof = 1;
    uv_timer_stop(&F.quiet);
    uv_close((uv_handle_t *)&F.client, client_closed_cb);
}

static void client_write_cb(uv_write_t *w, int status) {}

static void client_shutdown_cb(uv_shutdown_t *s, int status) {}

/* Send `n` bytes: synchronously if the socket takes them, the rest queued. */
static void client_write(const uint8_t *p, size_t n) {
    if (n == 0 || F.client_eof || F.shut_done) return;
    CHECK(F.nwrites < (int)(sizeof(F.writes) / sizeof(F.writes[0])));
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int r = uv_try_write((uv_stream_t *)&F.client, &b, 1);
    if (r == (int)n) return;
    if (r < 0 && r != UV_EAGAIN) return; /* the server has gone */
    if (r > 0) b = uv_buf_init((char *)p + r, (unsigned)(n - (size_t)r));
    uv_write(&F.writes[F.nwrites++], (uv_stream_t *)&F.client, &b, 1, client_write_cb);
}

static void client_shutdown(void) {
    if (F.client_eof || F.shut_done) return;
    F.shut_done = 1;
    uv_shutdown(&F.shut, (uv_stream_t *)&F.client, client_shutdown_cb);
}

/* A masked close frame (mask 0x01020304) with `payload` of `n` bytes. */
static void client_send_close(const uint8_t *payload, size_t n) {
    if (F.close_out || F.client_eof || F.shut_done) return;
    F.close_out = 1;
    static const uint8_t mask[4] = {1, 2, 3, 4};
    uint8_t *f = F.close_frame;
    f[0] = 0x88;
    f[1] = (uint8_t)(0x80 | n);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = payload[i] ^ mask[i % 4];
    client_write(f, 6 + n);
    client_shutdown();
}

/* Parse what the server sent so far: the 101, then frames. */
static void parse_input(void) {
    if (!F.got_101) {
        const char *end = memmem(F.in, F.in_len, "\r\n\r\n", 4);
        if (end == NULL) {
            CHECK(F.in_len < 4096);
            return;
        }
        size_t n = (size_t)(end - (const char *)F.in) + 4;
        static const char status[] = "HTTP/1.1 101 ";
        CHECK(n > sizeof(status) && memcmp(F.in, status, sizeof(status) - 1) == 0);
        CHECK(memmem(F.in, n, "\r\nSec-WebSocket-Accept: " WS_ACCEPT "\r\n",
                     strlen("\r\nSec-WebSocket-Accept: " WS_ACCEPT "\r\n")) != NULL);
        CHECK(memmem(F.in, n, "\r\nUpgrade: websocket\r\n", 22) != NULL);
        F.got_101 = 1;
        F.in_off = n;
    }
    for (;;) {
        const unsigned char *p = F.in + F.in_off;
        size_t avail = F.in_len - F.in_off;
        if (avail < 2) return;
        int fin = p[0] >> 7, rsv = (p[0] >> 4) & 7, op = p[0] & 15;
        int masked = p[1] >> 7;
        uint64_t len = p[1] & 127;
        size_t hdr = 2;
        if (len == 126) {
            if (avail < 4) return;
            len = (uint64_t)p[2] << 8 | p[3];
            CHECK(len >= 126);
            hdr = 4;
        } else if (len == 127) {
            if (avail < 10) return;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | p[2 + i];
            CHECK(len > 65535 && len < MAX_IN);
            hdr = 10;
        }
        if (avail < hdr + len) return;
        const unsigned char *pl = p + hdr;
        /* a server frame: unmasked, no extension, whole messages */
        CHECK(!masked && rsv == 0 && fin);
        CHECK(op == 1 || op == 8 || op == 9 || op == 10);
        if (op >= 8) CHECK(len <= 125);
        CHECK(!F.server_close_seen); /* nothing after the close frame */
        if (op == 1) CHECK(utf8_valid(pl, (size_t)len));
        if (op == 8) {
            CHECK(len != 1);
            F.server_close_seen = 1;
            F.server_close_code = 1005;
            if (len >= 2) {
                int code = pl[0] << 8 | pl[1];
                CHECK(code_sendable(code));
                CHECK(utf8_valid(pl + 2, (size_t)len - 2));
                F.server_close_code = code;
            }
            if (F.end == END_POLITE) client_send_close(pl, (size_t)len);
        }
        F.in_off += hdr + (size_t)len;
    }
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
    CHECK(F.in_len + (size_t)nread <= MAX_IN);
    if (F.in_len + (size_t)nread > F.in_cap) {
        F.in_cap = (F.in_len + (size_t)nread) * 2;
        F.in = realloc(F.in, F.in_cap);
        CHECK(F.in != NULL);
    }
    memcpy(F.in + F.in_len, buf->base, (size_t)nread);
    F.in_len += (size_t)nread;
    parse_input();
    uv_stop(&F.loop);
}

static void quiet_cb(uv_timer_t *t) {
    static const uint8_t normal[2] = {0x03, 0xE8};
    client_send_close(normal, sizeof(normal));
    uv_stop(&F.loop);
}

/* ---- one run ------------------------------------------------------------------ */

static void watchdog_cb(uv_timer_t *t) {
    sb_panic("fuzz_ws: no end after %d ms: %d requests, opened %d, closed %d (code %d), "
             "client %s, %zu bytes received, 101 %d, server close %d, %u connections",
             WATCHDOG_MS, F.requests, F.opened, F.closed, F.code, F.client_open ? "open" : "closed",
             F.in_len, F.got_101, F.server_close_seen, sb_http_server_connections(F.srv));
}

static int handles(void) { return fuzz_handles(&F.loop); }

static int finished(int handles_before) {
    if (F.client_open) return 0;
    if (F.requests > 0 && F.accept_rc == SB_OK && !F.closed) return 0;
    return sb_http_server_connections(F.srv) == 0 && handles() == handles_before;
}

/* Let the server take what was just written. */
static void settle(void) {
    uv_run(&F.loop, UV_RUN_NOWAIT);
    uv_run(&F.loop, UV_RUN_NOWAIT);
}

static int verbose; /* FUZZ_WS_VERBOSE set: one line per input */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    signal(SIGPIPE, SIG_IGN);
    verbose = getenv("FUZZ_WS_VERBOSE") != NULL;
    CHECK(uv_loop_init(&F.loop) == 0);
    uv_timer_init(&F.loop, &F.watchdog);
    uv_unref((uv_handle_t *)&F.watchdog);
    uv_timer_init(&F.loop, &F.quiet);
    sb_http_options o = {
        .request_timeout_ms = FAR_MS, .idle_timeout_ms = FAR_MS, .linger_ms = FAR_MS};
    F.srv = sb_http_server_new(&F.loop, &o, on_request, NULL);
    if (sb_http_server_listen(F.srv, "127.0.0.1", 0) != SB_OK)
        sb_panic("fuzz_ws: listen: %s", sb_http_server_error(F.srv));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4) return -1;
    const uint8_t *c = data;
    data += 4;
    size -= 4;

    F.flags = c[2];
    F.flags2 = c[3];
    F.end = c[2] >> 6;
    int fast_ping = (c[2] & 0x20) || F.end == END_SILENT;
    sb_ws_options_default(&F.opts);
    F.opts.max_message = (c[2] & 8) ? 125 : 2048;
    if (c[2] & 0x10) F.opts.max_outbuf = 256;
    if (fast_ping) {
        F.opts.ping_interval_ms = 2;
        F.opts.pong_timeout_ms = 1;
    }
    F.opts.close_timeout_ms = (c[3] & 2) ? 1 : F.end == END_SILENT ? 5 : 100;

    F.requests = F.opened = F.closed = F.closing = F.messages = 0;
    F.code = 0;
    F.accept_rc = 1;
    F.nwrites = 0;
    F.shut_done = F.close_out = 0;
    F.in_len = F.in_off = 0;
    F.got_101 = F.server_close_seen = 0;
    F.server_close_code = 0;

    uv_update_time(&F.loop);
    uv_timer_start(&F.watchdog, watchdog_cb, WATCHDOG_MS, 0);
    int handles_before = handles();
    size_t mem_before = sb_mem_used();

    /* connect; on loopback the kernel completes it before the accept */
    int fd = fuzz_connect("fuzz_ws", sb_http_server_port(F.srv), NULL, NULL);
    CHECK(uv_tcp_init(&F.loop, &F.client) == 0);
    CHECK(uv_tcp_open(&F.client, fd) == 0);
    CHECK(uv_read_start((uv_stream_t *)&F.client, client_alloc_cb, client_read_cb) == 0);
    F.client_open = 1;
    F.client_eof = 0;
    uv_run(&F.loop, UV_RUN_NOWAIT); /* the server accepts */

    size_t cut1 = size * c[0] / 256, cut2 = cut1 + (size - cut1) * c[1] / 256;
    uint8_t *first = NULL;
    if (c[2] & 1) { /* the handshake and the first part at once */
        size_t hl = sizeof(handshake) - 1;
        first = malloc(hl + cut1 + 1);
        CHECK(first != NULL);
        memcpy(first, handshake, hl);
        memcpy(first + hl, data, cut1);
        client_write(first, hl + cut1);
    } else {
        client_write((const uint8_t *)handshake, sizeof(handshake) - 1);
        while (!F.got_101 && !F.client_eof)
            uv_run(&F.loop, UV_RUN_ONCE);
        client_write(data, cut1);
    }
    settle();
    client_write(data + cut1, cut2 - cut1);
    settle();
    client_write(data + cut2, size - cut2);
    switch (F.end) {
    case END_EOF: client_shutdown(); break;
    case END_POLITE:
        uv_update_time(&F.loop);
        uv_timer_start(&F.quiet, quiet_cb, QUIET_MS, 0);
        break;
    case END_RESET: {
        uv_os_fd_t ofd;
        if (!F.client_eof && uv_fileno((uv_handle_t *)&F.client, &ofd) == 0) {
            struct linger l = {1, 0};
            setsockopt(ofd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            client_close();
        }
        break;
    }
    default: break; /* silent */
    }

    while (!finished(handles_before))
        uv_run(&F.loop, UV_RUN_ONCE);
    uv_timer_stop(&F.watchdog);
    uv_timer_stop(&F.quiet);
    free(first);

    /* the outcome */
    CHECK(F.requests <= 1);
    if (F.requests == 1 && F.accept_rc == SB_OK) {
        CHECK(F.closed);
        CHECK(code_sendable(F.code) || F.code == 1005 || F.code == 1006);
        if (!F.opened) CHECK(F.code == 1006 && F.end == END_RESET);
    }
    if (F.end != END_RESET) {
        CHECK(F.requests == 1 && F.accept_rc == SB_OK && F.opened);
        CHECK(F.got_101);
        CHECK(F.in_off == F.in_len); /* no partial frame at the end */
        if (F.server_close_seen)
            CHECK(F.code == F.server_close_code);
        else
            CHECK(F.code == 1006);
    }
    if (verbose)
        fprintf(stderr, "fuzz_ws: end %d, %d messages, code %d, server close frame %d (%d)\n",
                F.end, F.messages, F.code, F.server_close_seen, F.server_close_code);
    size_t mem_after = sb_mem_used();
    if (mem_after != mem_before)
        sb_panic("fuzz_ws: leak: %zu bytes in use before, %zu after", mem_before, mem_after);
    return 0;
}
