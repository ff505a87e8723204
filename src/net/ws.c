/* ws.c: a WebSocket connection: wslay's event API driven by libuv.
 *
 * Input: libuv reads into a buffer, wslay_event_recv() pulls it through
 * recv_cb and calls back per complete message (wslay reassembles
 * fragments, answers pings, checks masking, opcodes, reserved bits, UTF-8
 * and max_message, and queues its own close frame on a violation).
 *
 * I/O goes through the upgraded sb_stream (stream.h), plaintext whether
 * the connection is TLS or not.
 *
 * Output: send_cb takes every byte wslay frames into `pending`, so
 * wslay's queue is empty whenever we are not inside it and the only
 * outgoing buffer is ours, measured exactly.  flush() first offers
 * `pending` to the kernel with sb_stream_try_write() (a TLS stream always
 * declines); what the kernel refuses moves to `inflight` for one
 * sb_stream_write() at a time.  max_outbuf bounds pending + inflight.
 *
 * State.  `code` is 0 while open and the close code (see ws.h) as soon
 * as closing is decided: by us (start_close), by the client's close frame
 * or by wslay failing the connection; from then on one timer, which was
 * the heartbeat, is the close deadline.  Our close frame is queued in
 * settle() after the messages queued before it (wslay would send a
 * control frame first and drop what follows).  Every event ends in
 * settle(), which sends what wslay queued, writes, and closes the handles
 * when the closing handshake is over, the client is gone or time is up.
 * Calls made while inside wslay or a callback of ours (`busy`) only queue;
 * the outer settle() does the rest.  The connection is freed once both
 * its handles (the TCP stream from the upgrade, the timer) are closed.
 *
 * Memory.  The connection and its write buffers are sb_malloc'd; a read
 * buffer lives for one read only, so an idle connection holds none.
 * wslay allocates with malloc (it has no allocator hook): its context,
 * the message being reassembled (up to max_message) and, briefly, the
 * copy of a message between sb_ws_send_text() and settle(). */
#include <stdio.h>
#include <string.h>
#include <wslay/wslay.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/ws.h"

#define SB__WS_READ_SIZE 16384 /* per read; allocated for the read only */
#define SB__WS_KEEP      65536 /* an idle write buffer up to this is kept */

enum { SB__WS_PING, SB__WS_PONG, SB__WS_CLOSING };

typedef struct sb__ws_buf {
    char *p;
    size_t len, cap;
} sb__ws_buf;

struct sb_ws {
    sb_stream *stream; /* from sb_http_upgrade(); NULL until then */
    uv_timer_t timer;
    sb_stream_write_req write;
    wslay_event_context_ptr ctx;
    sb_ws_options opts;
    sb_ws_callbacks cb;
    void *ud;
    sb__ws_buf pending;  /* framed, not yet offered to the kernel */
    sb__ws_buf inflight; /* in the sb_stream_write() under way */
    const char *in;      /* input being fed to wslay */
    size_t in_len, in_off;
    int busy;       /* depth of our own calls into wslay and callbacks */
    int handles;    /* open: stream, timer */
    int timer_mode; /* SB__WS_PING, _PONG, _CLOSING */
    int code;       /* 0 while open; then the close code */
    int want_code;  /* of the close frame settle() is to queue */
    char want_reason[124];
    size_t want_reason_len;
    unsigned close_wanted : 1; /* settle() queues our close frame */
    unsigned client_first : 1; /* the client's close frame came first */
    unsigned writing : 1;      /* an sb_stream_write() is under way */
    unsigned waited : 1;       /* ... and the kernel did not take it at once */
    unsigned heard : 1;        /* bytes received since the last ping */
    unsigned eof : 1;          /* the client has finished sending */
    unsigned fatal : 1;        /* I/O failed: close the handles now */
    unsigned close_sent : 1;   /* a close frame is in our buffer or beyond */
    unsigned shut : 1;         /* sb_stream_shutdown() called */
    unsigned corked : 1;       /* in a cork's list, holding one count of busy */
    unsigned gone : 1;         /* handles closing: nothing more happens */
    int fail_code;             /* a close frame wslay let through: fail with this */
    char remote[64];
};

static void settle(sb_ws *ws);
static void timer_cb(uv_timer_t *t);

void sb_ws_options_default(sb_ws_options *o) {
    *o = (sb_ws_options){
        .max_message = 64 * 1024,
        .max_outbuf = 1024 * 1024,
        .ping_interval_ms = 30000,
        .pong_timeout_ms = 10000,
        .close_timeout_ms = 5000,
    };
}

static void options_fill(sb_ws_options *o, const sb_ws_options *given) {
    sb_ws_options d;
    sb_ws_options_default(&d);
    *o = given != NULL ? *given : d;
    if (o->max_message == 0) o->max_message = d.max_message;
    if (o->max_outbuf == 0) o->max_outbuf = d.max_outbuf;
    if (o->ping_interval_ms == 0) o->ping_interval_ms = d.ping_interval_ms;
    if (o->pong_timeout_ms == 0) o->pong_timeout_ms = d.pong_timeout_ms;
    if (o->close_timeout_ms == 0) o->close_timeout_ms = d.close_timeout_ms;
}

/* ---- buffers ------------------------------------------------------------ */

static void buf_add(sb_ws *ws, sb__ws_buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t need = b->len + n, cap = b->cap ? b->cap * 2 : 4096;
        size_t limit = ws->opts.max_outbuf + 256; /* pending's own bound */
        if (limit > ws->opts.max_outbuf && cap > limit) cap = limit;
        if (cap < need) cap = need;
        b->p = sb_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_free(sb__ws_buf *b) {
    sb_free(b->p);
    *b = (sb__ws_buf){0};
}

/* ---- closing the handles -------------------------------------------------- */

static void handle_closed(sb_ws *ws) {
    if (--ws->handles > 0) return;
    if (ws->cb.on_close) ws->cb.on_close(ws, ws->code, ws->ud);
    wslay_event_context_free(ws->ctx);
    buf_free(&ws->pending);
    buf_free(&ws->inflight);
    sb_free(ws);
}

static void stream_closed_cb(sb_stream *s) {
    handle_closed(sb_stream_data(s));
}

static void timer_closed_cb(uv_handle_t *h) {
    handle_closed(sb_container_of((uv_timer_t *)h, sb_ws, timer));
}

/* Close both handles now; a write under way is cancelled (its callback
 * runs first).  on_close follows from the last close callback. */
static void teardown(sb_ws *ws) {
    if (ws->gone) return;
    ws->gone = 1;
    if (ws->code == 0) ws->code = WSLAY_CODE_ABNORMAL_CLOSURE;
    sb_stream_close(ws->stream, stream_closed_cb);
    uv_close((uv_handle_t *)&ws->timer, timer_closed_cb);
}

/* ---- wslay callbacks --------------------------------------------------------- */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud) {
    sb_ws *ws = ud;
    size_t n = ws->in_len - ws->in_off;
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (n > len) n = len;
    memcpy(buf, ws->in + ws->in_off, n);
    ws->in_off += n;
    return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *ud) {
    sb_ws *ws = ud;
    buf_add(ws, &ws->pending, data, len);
    return (ssize_t)len;
}

/* Decide to close with `code` (0: a close frame without one) unless the
 * connection is closing already.  The frame is queued by settle(), after
 * the messages queued before it: wslay would send a control frame ahead
 * of them, and stop sending after it. */
static void start_close(sb_ws *ws, int code, const char *reason) {
    if (ws->code != 0 || ws->gone) return;
    size_t n = reason != NULL ? strlen(reason) : 0;
    if (n > 123) { /* a control frame holds 125 bytes; cut at a character */
        n = 123;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    if (n > 0) memcpy(ws->want_reason, reason, n);
    ws->want_reason_len = n;
    ws->want_code = code;
    ws->close_wanted = 1;
    ws->code = code != 0 ? code : WSLAY_CODE_NO_STATUS_RCVD;
}

static void frame_start_cb(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *arg, void *ud) {
    sb_ws *ws = ud;
    if (arg->opcode == WSLAY_BINARY_FRAME) {
        start_close(ws, WSLAY_CODE_UNSUPPORTED_DATA, "binary messages are not accepted");
        wslay_event_shutdown_read(ctx);
    }
}

/* Is p[0..n) UTF-8 (shortest forms, no surrogates, up to U+10FFFF)? */
static int utf8_ok(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t c = p[i], min;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            k = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return 0;
            c = c << 6 | (p[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

static void msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *ud) {
    sb_ws *ws = ud;
    if (arg->opcode == WSLAY_TEXT_FRAME) {
        if (ws->code == 0 && ws->cb.on_text != NULL)
            ws->cb.on_text(ws, arg->msg != NULL ? (const char *)arg->msg : "", arg->msg_length,
                           ws->ud);
    } else if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
        /* wslay (1.1.1) accepts, and echoes, two close frames RFC 6455
         * says to fail: a 1-byte body, and a reason that is not UTF-8 when
         * the frame came in several reads (it checks each read's bytes
         * after the first two only); feed() fails those instead */
        if (arg->msg_length == 1)
            ws->fail_code = WSLAY_CODE_PROTOCOL_ERROR;
        else if (arg->msg_length > 2 && !utf8_ok(arg->msg + 2, arg->msg_length - 2))
            ws->fail_code = WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA;
        /* wslay has queued the echo; the client closed first unless we did */
        if (ws->code == 0 && ws->fail_code == 0) {
            ws->code = arg->status_code != 0 ? arg->status_code : WSLAY_CODE_NO_STATUS_RCVD;
            ws->client_first = 1;
        }
    }
}

/* ---- output ------------------------------------------------------------------ */

static void write_cb(sb_stream_write_req *w, int status) {
    sb_ws *ws = sb_container_of(w, sb_ws, write);
    ws->writing = 0;
    ws->inflight.len = 0;
    if (ws->inflight.cap > SB__WS_KEEP) buf_free(&ws->inflight);
    if (ws->gone) return;
    if (status < 0)
        ws->fatal = 1;
    else if (ws->waited)
        ws->heard = 1; /* the kernel had held these back: the client is reading */
    settle(ws);
}

/* Offer pending bytes to the kernel; hand what it refuses to sb_stream_write(). */
static void flush(sb_ws *ws) {
    if (ws->writing || ws->pending.len == 0) return;
    uv_buf_t b = uv_buf_init(ws->pending.p, (unsigned)ws->pending.len);
    int n = sb_stream_try_write(ws->stream, &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        ws->fatal = 1;
        return;
    }
    size_t done = n > 0 ? (size_t)n : 0;
    if (done == ws->pending.len) {
        ws->pending.len = 0;
        return;
    }
    memmove(ws->pending.p, ws->pending.p + done, ws->pending.len - done);
    ws->pending.len -= done;
    sb__ws_buf t = ws->inflight;
    ws->inflight = ws->pending;
    ws->pending = t;
    b = uv_buf_init(ws->inflight.p, (unsigned)ws->inflight.len);
    if (sb_stream_write(&ws->write, ws->stream, &b, 1, write_cb) != 0) {
        ws->fatal = 1;
        return;
    }
    ws->writing = 1;
    /* did the kernel take it all at once (TLS writes come this way)? */
    ws->waited = sb_stream_write_queue_size(ws->stream) > 0;
}

static void shutdown_cb(sb_stream *s, int status) {
    sb_ws *ws = sb_stream_data(s);
    if (ws->gone) return;
    if (status < 0) ws->fatal = 1;
    settle(ws);
}

/* Move wslay's queue to our buffer, then our close frame if one is
 * wanted.  Unless the client closed first, the code is the one sent (it
 * is wslay's when wslay failed the connection first). */
static void frame_out(sb_ws *ws) {
    for (int pass = 0; pass < 2; pass++) {
        int r = wslay_event_send(ws->ctx);
        if (r == WSLAY_ERR_NOMEM) sb_panic("wslay: out of memory");
        if (pass == 1 || !ws->close_wanted) break;
        ws->close_wanted = 0;
        r = wslay_event_queue_close(ws->ctx, (uint16_t)ws->want_code,
                                    (const uint8_t *)ws->want_reason, ws->want_reason_len);
        if (r == WSLAY_ERR_NOMEM) sb_panic("wslay: out of memory");
    }
    if (!ws->close_sent && wslay_event_get_close_sent(ws->ctx)) {
        ws->close_sent = 1;
        if (!ws->client_first) ws->code = wslay_event_get_status_code_sent(ws->ctx);
    }
}

static void timer_arm(sb_ws *ws, int mode, uint64_t ms) {
    ws->timer_mode = mode;
    uv_timer_start(&ws->timer, timer_cb, ms, 0);
}

/* After any event: send, write, and close the handles if it is over. */
static void settle(sb_ws *ws) {
    if (ws->busy > 0 || ws->gone) return;
    if (!ws->fatal) {
        frame_out(ws);
        flush(ws);
    }
    if (ws->fatal) {
        teardown(ws);
        return;
    }
    int drained = !ws->writing && ws->pending.len == 0;
    int close_received = wslay_event_get_close_received(ws->ctx);
    if (ws->eof && (drained || !close_received)) {
        /* the client is done: finish our answer to its close, if any */
        teardown(ws);
        return;
    }
    if (ws->code == 0 && !ws->eof) return;
    if (ws->timer_mode != SB__WS_CLOSING) timer_arm(ws, SB__WS_CLOSING, ws->opts.close_timeout_ms);
    if (!drained || !ws->close_sent) return;
    if (close_received) {
        teardown(ws); /* both close frames exchanged: the server closes TCP */
    } else if (!wslay_event_get_read_enabled(ws->ctx) && !ws->shut) {
        /* a failed connection: its close frame will not be parsed, so
         * end the stream and read (dropping) until the client does */
        if (sb_stream_shutdown(ws->stream, shutdown_cb) != 0)
            teardown(ws);
        else
            ws->shut = 1;
    }
}

/* ---- input ------------------------------------------------------------------- */

/* Run `n` received bytes through wslay (or drop them once it reads no more). */
static void feed(sb_ws *ws, const char *p, size_t n) {
    ws->heard = 1;
    if (!wslay_event_get_read_enabled(ws->ctx)) return;
    ws->in = p;
    ws->in_len = n;
    ws->in_off = 0;
    ws->busy++;
    int r = wslay_event_recv(ws->ctx);
    ws->busy--;
    ws->in = NULL;
    ws->in_len = ws->in_off = 0;
    if (r == WSLAY_ERR_NOMEM) sb_panic("wslay: out of memory");
    if ((r != 0 || ws->fail_code != 0) && !ws->close_sent) {
        /* wslay_frame_recv() rejected a header (a fragmented or oversized
         * control frame, a non-minimal length) and queued a close frame
         * without a code, or msg_cb() found a malformed close frame whose
         * echo wslay queued: send 1002 (or fail_code) instead, and nothing
         * else queued */
        int code = r != 0 ? WSLAY_CODE_PROTOCOL_ERROR : ws->fail_code;
        const char frame[] = {(char)0x88, 0x02, (char)(code >> 8), (char)(code & 0xFF)};
        wslay_event_shutdown_write(ws->ctx);
        buf_add(ws, &ws->pending, frame, sizeof(frame));
        ws->close_sent = 1;
        ws->close_wanted = 0;
        ws->code = code;
    }
}

static void alloc_cb(sb_stream *s, size_t hint, uv_buf_t *buf) {
    *buf = uv_buf_init(sb_malloc(SB__WS_READ_SIZE), SB__WS_READ_SIZE);
}

static void read_cb(sb_stream *s, ssize_t nread, const uv_buf_t *buf) {
    sb_ws *ws = sb_stream_data(s);
    if (nread > 0 && !ws->gone) feed(ws, buf->base, (size_t)nread);
    sb_free(buf->base);
    if (nread == UV_EOF)
        ws->eof = 1;
    else if (nread < 0)
        ws->fatal = 1;
    settle(ws);
}

static void timer_cb(uv_timer_t *t) {
    sb_ws *ws = sb_container_of(t, sb_ws, timer);
    uint64_t every = ws->opts.ping_interval_ms, wait = ws->opts.pong_timeout_ms;
    switch (ws->timer_mode) {
    case SB__WS_PING: {
        struct wslay_event_msg ping = {WSLAY_PING, NULL, 0};
        if (wslay_event_queue_msg(ws->ctx, &ping) == WSLAY_ERR_NOMEM)
            sb_panic("wslay: out of memory");
        ws->heard = 0;
        timer_arm(ws, SB__WS_PONG, wait);
        break;
    }
    case SB__WS_PONG:
        if (!ws->heard)
            start_close(ws, WSLAY_CODE_INTERNAL_SERVER_ERROR, "ping timeout");
        else
            timer_arm(ws, SB__WS_PING, every > wait ? every - wait : 0);
        break;
    default: teardown(ws); return; /* the client did not finish closing */
    }
    settle(ws);
}

/* ---- the upgrade ----------------------------------------------------------- */

static void upgraded_cb(sb_http_request *req, sb_stream *stream, const char *rest, size_t rest_len,
                        void *ud) {
    sb_ws *ws = ud;
    if (stream == NULL) { /* the client went away first: no handle to close */
        ws->gone = 1;
        ws->code = WSLAY_CODE_ABNORMAL_CLOSURE;
        if (ws->cb.on_close) ws->cb.on_close(ws, ws->code, ws->ud);
        sb_free(ws);
        return;
    }
    ws->stream = stream;
    sb_stream_set_data(stream, ws);
    uv_timer_init(sb_stream_loop(stream), &ws->timer);
    ws->handles = 2;
    timer_arm(ws, SB__WS_PING, ws->opts.ping_interval_ms);
    static const struct wslay_event_callbacks callbacks = {
        .recv_callback = recv_cb,
        .send_callback = send_cb,
        .on_frame_recv_start_callback = frame_start_cb,
        .on_msg_recv_callback = msg_cb,
    };
    if (wslay_event_context_server_init(&ws->ctx, &callbacks, ws) != 0)
        sb_panic("wslay: out of memory");
    wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->opts.max_message);

    char accept[29], head[160];
    sb_ws_accept_key(sb_http_request_header(req, "sec-websocket-key"), accept);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    buf_add(ws, &ws->pending, head, (size_t)n);

    ws->busy++;
    if (ws->cb.on_open) ws->cb.on_open(ws, ws->ud);
    if (rest_len > 0) feed(ws, rest, rest_len);
    ws->busy--;
    if (sb_stream_read_start(stream, alloc_cb, read_cb) != 0) ws->fatal = 1;
    settle(ws);
}

int sb_ws_accept(sb_http_request *req, const sb_ws_options *o, const sb_ws_callbacks *cb,
                 void *ud) {
    const char *why;
    int status = sb_ws_handshake_check(req, &why);
    if (status != 0) {
        if (status == 426) sb_http_response_header(req, "Sec-WebSocket-Version", "13");
        sb_http_respond(req, status, "text/plain", why, strlen(why));
        return SB_EINVAL;
    }
    if (sb_http_request_closed(req)) {
        sb_http_respond(req, 400, NULL, NULL, 0); /* discarded: frees req */
        return SB_ESTATE;
    }
    sb_ws *ws = sb_calloc(1, sizeof(*ws));
    options_fill(&ws->opts, o);
    if (cb != NULL) ws->cb = *cb;
    ws->ud = ud;
    snprintf(ws->remote, sizeof(ws->remote), "%s", sb_http_request_remote(req));
    int r = sb_http_upgrade(req, upgraded_cb, ws);
    SB_ASSERT(r == SB_OK); /* sb_ws_handshake_check() saw an upgrade request */
    return SB_OK;
}

/* ---- the connection's API ------------------------------------------------- */

int sb_ws_send_text(sb_ws *ws, const char *data, size_t len) {
    if (ws->gone || ws->code != 0 || ws->eof) return SB_ESTATE;
    if (len > ws->opts.max_outbuf || sb_ws_buffered(ws) > ws->opts.max_outbuf - len) {
        start_close(ws, WSLAY_CODE_POLICY_VIOLATION, "slow consumer");
        settle(ws);
        return SB_ELIMIT;
    }
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)data, len};
    int r = wslay_event_queue_msg(ws->ctx, &m);
    if (r == WSLAY_ERR_NOMEM) sb_panic("wslay: out of memory");
    if (r != 0) return SB_ESTATE; /* wslay has queued a close of its own */
    settle(ws);
    return SB_OK;
}

int sb_ws_send_text_corked(sb_ws *ws, sb_ws_cork *cork, const char *data, size_t len) {
    if (!ws->corked && !ws->gone) { /* busy: settle() leaves the writing to sb_ws_uncork() */
        if (cork->n == cork->cap) {
            cork->cap = cork->cap ? 2 * cork->cap : 64;
            cork->v = sb_realloc(cork->v, cork->cap * sizeof(*cork->v));
        }
        cork->v[cork->n++] = ws;
        ws->corked = 1;
        ws->busy++;
    }
    return sb_ws_send_text(ws, data, len);
}

void sb_ws_uncork(sb_ws_cork *cork) {
    for (size_t i = 0; i < cork->n; i++) {
        sb_ws *ws = cork->v[i]; /* alive: freed only from a close callback of the loop */
        ws->corked = 0;
        ws->busy--;
        settle(ws);
    }
    cork->n = 0;
}

void sb_ws_cork_free(sb_ws_cork *cork) {
    SB_ASSERT(cork->n == 0);
    sb_free(cork->v);
    *cork = (sb_ws_cork){0};
}

static int code_sendable(int code) {
    return code == 0 || (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

int sb_ws_close(sb_ws *ws, int code, const char *reason) {
    if (!code_sendable(code)) return SB_EINVAL;
    if (ws->gone || ws->code != 0 || ws->eof) return SB_ESTATE;
    start_close(ws, code, reason);
    settle(ws);
    return SB_OK;
}

size_t sb_ws_buffered(const sb_ws *ws) {
    size_t queued = ws->ctx != NULL ? wslay_event_get_queued_msg_length(ws->ctx) : 0;
    return ws->pending.len + ws->inflight.len + queued;
}

const char *sb_ws_remote(const sb_ws *ws) {
    return ws->remote;
}
