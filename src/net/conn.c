/* conn.c: one client connection: reading, parsing, timers, closing.
 *
 * Bytes are read into conn->in and parsed there; each complete request is
 * queued and handed to the handler from outside llhttp.  Parsing pauses
 * while max_pipeline requests wait and stops for good after an upgrade
 * request, a request that closes the connection, or an error answer;
 * reading goes on meanwhile (to notice a reset) until the buffer is full.
 * Responses leave in queue order (write.c).
 *
 * One timer serves three purposes, one at a time: the request deadline
 * while a request is half received, the idle deadline while nothing is
 * pending, the lingering-close deadline after an error answer; it is off
 * while the handler or the socket has the next move.
 *
 * Everything that changes a connection's state ends in
 * sb__http_conn_settle(), which parses what may be parsed, closes a
 * finished connection, and sets reading and the timer. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "net/http-i.h"

static void timer_cb(uv_timer_t *t);

/* ---- queue ------------------------------------------------------------- */

static void enqueue(sb__http_conn *c, sb_http_request *req) {
    req->next = NULL;
    if (c->tail)
        c->tail->next = req;
    else
        c->head = req;
    c->tail = req;
    c->nqueue++;
}

/* ---- closing ----------------------------------------------------------- */

static void handle_closed(sb__http_conn *c) {
    if (--c->handles > 0) return;
    SB_ASSERT(c->head == NULL && c->nwriting == 0);
    sb__http_server_buf_put(c->srv, c->in);
    sb__http_server_conn_gone(c->srv, c);
}

static void stream_closed_cb(sb_stream *s) {
    handle_closed(sb_stream_data(s));
}

static void timer_closed_cb(uv_handle_t *h) {
    handle_closed(sb_container_of((uv_timer_t *)h, sb__http_conn, timer));
}

/* Close now.  Requests being written stay queued: libuv calls their
 * write callbacks (cancelled) before the close callbacks.  Requests the
 * handler holds become orphans; answered ones are dropped. */
void sb__http_conn_close(sb__http_conn *c) {
    if (c->closing) return;
    c->closing = 1;
    sb__http_request_free(c->cur);
    c->cur = NULL;
    sb_http_request **link = &c->head, *last = NULL;
    while (*link != NULL && (*link)->state == SB__REQ_WRITING) {
        last = *link;
        link = &last->next;
    }
    sb_http_request *rest = *link;
    *link = NULL;
    c->tail = last;
    while (rest != NULL) {
        sb_http_request *req = rest;
        rest = req->next;
        req->next = NULL;
        req->conn = NULL;
        c->nqueue--;
        if (req->state == SB__REQ_UPGRADE) {
            req->upgrade_cb(req, NULL, NULL, 0, req->upgrade_ud);
            sb__http_request_free(req);
        } else if (req->state != SB__REQ_HANDLER) {
            sb__http_request_free(req);
        }
    }
    if (c->stream != NULL) sb_stream_close(c->stream, stream_closed_cb);
    uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}

static void shutdown_cb(sb_stream *s, int status) {
    sb__http_conn *c = sb_stream_data(s);
    if (status < 0) sb__http_conn_close(c);
}

static void read_cb(sb_stream *s, ssize_t nread, const uv_buf_t *buf);
static void alloc_cb(sb_stream *s, size_t hint, uv_buf_t *buf);

/* After an error answer: send FIN, then read and drop what the client
 * still sends until it closes or linger_ms pass.  Closing with unread
 * input would send a reset that can destroy the answer in flight. */
void sb__http_conn_linger(sb__http_conn *c) {
    c->lingering = 1;
    c->in_off = c->in_len = 0;
    if (c->eof || sb_stream_shutdown(c->stream, shutdown_cb) != 0) {
        sb__http_conn_close(c);
        return;
    }
    if (!c->reading && sb_stream_read_start(c->stream, alloc_cb, read_cb) != 0) {
        sb__http_conn_close(c);
        return;
    }
    c->reading = 1;
    c->timer_mode = SB__TIMER_LINGER;
    uv_timer_start(&c->timer, timer_cb, c->srv->opts.linger_ms, 0);
}

/* ---- reading and parsing ------------------------------------------------ */

/* Answer `status` after whatever is queued, then close (lingering). */
static void conn_fail(sb__http_conn *c, int status) {
    sb__http_request_free(c->cur);
    c->cur = NULL;
    c->stopped = 1;
    sb_http_request *req = sb__http_request_new(c);
    req->keep_alive = 0;
    req->linger = 1;
    req->state = SB__REQ_HANDLER;
    enqueue(c, req);
    if (status == 503) sb_http_response_header(req, "Retry-After", "1");
    char body[64];
    int n = snprintf(body, sizeof(body), "%s\n", sb_http_status_text(status));
    sb_http_respond(req, status, "text/plain; charset=utf-8", body, (size_t)n);
}

static void conn_dispatch(sb__http_conn *c, sb_http_request *req) {
    req->state = SB__REQ_HANDLER;
    enqueue(c, req);
    uv_timer_stop(&c->timer);
    c->timer_mode = SB__TIMER_NONE;
    if (!req->keep_alive || req->upgrade || c->draining) c->stopped = 1;
    c->srv->on_request(req, c->srv->ud);
}

/* Parse buffered input while allowed; run the handler per request. */
static void conn_process(sb__http_conn *c) {
    if (c->processing) return;
    c->processing = 1;
    while (!c->closing && !c->lingering && !c->stopped && c->in_off < c->in_len &&
           c->nqueue < c->srv->opts.max_pipeline && (c->cur != NULL || !c->draining)) {
        const char *at = c->in + c->in_off;
        llhttp_errno_t e = llhttp_execute(&c->parser, at, c->in_len - c->in_off);
        if (e == HPE_OK) {
            c->in_off = c->in_len;
        } else if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
            c->in_off += (size_t)(llhttp_get_error_pos(&c->parser) - at);
            if (e == HPE_PAUSED) llhttp_resume(&c->parser);
            sb_http_request *req = c->ready;
            c->ready = NULL;
            SB_ASSERT(req != NULL);
            conn_dispatch(c, req);
        } else {
            conn_fail(c, c->error ? c->error : e == HPE_INVALID_TRANSFER_ENCODING ? 501 : 400);
        }
    }
    c->processing = 0;
    if (c->in_off == c->in_len) c->in_off = c->in_len = 0;
}

/* Read or not, and arm the timer, for the connection's present state. */
static void conn_update_io(sb__http_conn *c) {
    const sb_http_options *o = &c->srv->opts;
    if (c->closing || c->lingering) return;
    /* Read even when not parsing, so that a client's reset is seen while
     * its requests wait; what arrives is kept (an upgrade's new owner
     * gets it) until the buffer is full, which is the back-pressure. */
    int want = !c->eof && c->in_len < SB__HTTP_READ_SIZE;
    if (want && !c->reading) {
        if (sb_stream_read_start(c->stream, alloc_cb, read_cb) != 0) {
            sb__http_conn_close(c);
            return;
        }
        c->reading = 1;
    } else if (!want && c->reading) {
        sb_stream_read_stop(c->stream);
        c->reading = 0;
    }
    if (c->cur != NULL) {
        if (c->timer_mode != SB__TIMER_REQUEST) {
            c->timer_mode = SB__TIMER_REQUEST;
            uv_timer_start(&c->timer, timer_cb, o->request_timeout_ms, 0);
        }
    } else if (c->head != NULL) {
        uv_timer_stop(&c->timer);
        c->timer_mode = SB__TIMER_NONE;
    } else if (c->timer_mode != SB__TIMER_IDLE) {
        c->timer_mode = SB__TIMER_IDLE;
        uv_timer_start(&c->timer, timer_cb, o->idle_timeout_ms, 0);
    }
    /* Only unparsed bytes need the buffer: a connection whose requests
     * wait for a commit, or whose answer is being written, holds none. */
    if (c->in != NULL && c->in_off == c->in_len) {
        sb__http_server_buf_put(c->srv, c->in);
        c->in = NULL;
        c->in_off = c->in_len = 0;
    }
}

/* After any event: parse what can be parsed, close if finished, else
 * set reading and the timer. */
void sb__http_conn_settle(sb__http_conn *c) {
    if (c->closing || c->lingering) return;
    conn_process(c);
    if (c->closing || c->lingering) return;
    if (c->eof && c->cur != NULL && c->in_off == c->in_len) { /* cut short */
        sb__http_request_free(c->cur);
        c->cur = NULL;
    }
    if (c->cur == NULL && c->head == NULL && (c->eof || c->stopped || c->draining)) {
        sb__http_conn_close(c);
        return;
    }
    conn_update_io(c);
}

static void alloc_cb(sb_stream *s, size_t hint, uv_buf_t *buf) {
    sb__http_conn *c = sb_stream_data(s);
    if (c->in == NULL) c->in = sb__http_server_buf_get(c->srv);
    if (c->lingering || c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) { /* keep the unparsed bytes, make room */
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(SB__HTTP_READ_SIZE - c->in_len));
}

static void read_cb(sb_stream *s, ssize_t nread, const uv_buf_t *buf) {
    sb__http_conn *c = sb_stream_data(s);
    if (nread == 0) return;
    if (c->lingering) { /* drop input; the client's close ends it */
        if (nread < 0) sb__http_conn_close(c);
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF) {
            sb__http_conn_close(c);
            return;
        }
        /* half-closed: answer what was received, then close */
        c->eof = 1;
        sb_stream_read_stop(s);
        c->reading = 0;
    } else {
        c->in_len += (size_t)nread;
    }
    sb__http_conn_settle(c);
}

static void timer_cb(uv_timer_t *t) {
    sb__http_conn *c = sb_container_of(t, sb__http_conn, timer);
    int mode = c->timer_mode;
    c->timer_mode = SB__TIMER_NONE;
    if (mode == SB__TIMER_REQUEST) {
        conn_fail(c, 408);
        conn_update_io(c);
    } else {
        sb__http_conn_close(c); /* idle, or done lingering */
    }
}

/* ---- accepting and draining --------------------------------------------- */

void sb__http_conn_accept(sb_http_server *srv) {
    sb__http_conn *c = sb_calloc(1, sizeof(*c));
    c->srv = srv;
    c->stream = sb__stream_new(srv->loop, srv->opts.tls);
    sb_stream_set_data(c->stream, c);
    int r = uv_timer_init(srv->loop, &c->timer);
    SB_ASSERT(r == 0);
    c->handles = 2;
    c->next = srv->conns;
    if (srv->conns != NULL) srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    if (sb__stream_accept(c->stream, (uv_stream_t *)&srv->listener) != 0) {
        sb__http_conn_close(c);
        return;
    }
    memcpy(&c->peer, sb_stream_peer(c->stream), sizeof(c->peer));
    snprintf(c->remote, sizeof(c->remote), "%s", sb_stream_remote(c->stream));
    llhttp_init(&c->parser, HTTP_REQUEST, &srv->settings);
    c->parser.data = c;
    if (srv->nconns - srv->nrefused > srv->opts.max_connections) {
        c->refused = 1;
        srv->nrefused++;
        /* refusing politely costs a connection too: not without bound */
        if (srv->nrefused > srv->opts.max_connections) {
            sb__http_conn_close(c);
            return;
        }
        conn_fail(c, 503);
        /* over TLS the answer waits for the handshake: not for ever (once
         * written, the lingering close sets its own deadline) */
        if (!c->closing && !c->lingering) {
            c->timer_mode = SB__TIMER_LINGER;
            uv_timer_start(&c->timer, timer_cb, srv->opts.request_timeout_ms, 0);
        }
        return;
    }
    conn_update_io(c);
}

/* Server shutdown: close if idle, else finish what was received. */
void sb__http_conn_drain(sb__http_conn *c) {
    if (c->closing) return;
    c->draining = 1;
    if (c->lingering) return;
    if (c->cur == NULL && c->head == NULL) {
        sb__http_conn_close(c);
        return;
    }
    conn_update_io(c);
}
