/* write.c: responses leave a connection in request order.
 *
 * flush walks the queue from its head and hands each answered request to
 * uv_write; it stops at the first request still with the handler, so a
 * response given early waits for the ones before it.  An upgrade waits
 * until it is at the head and nothing is being written, then takes the
 * stream away. */
#include "base/mem.h"
#include "net/http-i.h"

static void dequeue_head(sb__http_conn *c) {
    sb_http_request *req = c->head;
    c->head = req->next;
    if (c->head == NULL) c->tail = NULL;
    req->next = NULL;
    c->nqueue--;
}

static void write_cb(sb_stream_write_req *w, int status) {
    sb_http_request *req = sb_container_of(w, sb_http_request, write);
    sb__http_conn *c = req->conn;
    c->nwriting--;
    SB_ASSERT(c->head == req);
    dequeue_head(c);
    int close = req->close, linger = req->linger;
    sb__http_request_free(req);
    if (c->closing) return;
    if (status < 0) {
        sb__http_conn_close(c);
    } else if (close) {
        if (linger)
            sb__http_conn_linger(c);
        else
            sb__http_conn_close(c);
    } else {
        sb__http_conn_flush(c);
        sb__http_conn_settle(c);
    }
}

static void cont_cb(sb_stream_write_req *w, int status) {
    sb__http_conn *c = sb_container_of(w, sb__http_conn, cont);
    c->nwriting--;
    c->cont_busy = 0;
    if (c->closing) return;
    if (status < 0)
        sb__http_conn_close(c);
    else
        sb__http_conn_flush(c); /* an upgrade may wait for this write */
}

/* "100 Continue" for a request that expects it, unless a response to an
 * earlier request still has to go first (the client then sends its body
 * after its own wait, as RFC 9110 allows). */
void sb__http_conn_continue(sb__http_conn *c) {
    static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
    for (sb_http_request *req = c->head; req != NULL; req = req->next)
        if (req->state != SB__REQ_WRITING) return;
    if (c->cont_busy) return;
    uv_buf_t b = uv_buf_init((char *)msg, sizeof(msg) - 1);
    if (sb_stream_write(&c->cont, c->stream, &b, 1, cont_cb) != 0) return;
    c->cont_busy = 1;
    c->nwriting++;
}

/* Give the stream to the sb_http_upgrade() callback and close the rest. */
static void conn_detach(sb__http_conn *c, sb_http_request *req) {
    sb_stream *stream = c->stream;
    if (c->reading) sb_stream_read_stop(stream);
    c->reading = 0;
    sb_stream_set_data(stream, NULL);
    c->stream = NULL;
    c->handles--;
    dequeue_head(c);
    req->conn = NULL;
    const char *rest = c->in != NULL ? c->in + c->in_off : "";
    req->upgrade_cb(req, stream, rest, c->in_len - c->in_off, req->upgrade_ud);
    sb__http_request_free(req);
    c->in_off = c->in_len = 0;
    sb__http_conn_close(c);
}

/* Write every answered request at the head of the queue, in order. */
void sb__http_conn_flush(sb__http_conn *c) {
    if (c->closing) return;
    for (sb_http_request *req = c->head; req != NULL; req = req->next) {
        if (req->state == SB__REQ_WRITING) continue;
        if (req->state == SB__REQ_UPGRADE) {
            if (req == c->head && c->nwriting == 0) conn_detach(c, req);
            return;
        }
        if (req->state != SB__REQ_RESPONDED) return;
        req->close =
            req->close || !req->keep_alive || (c->draining && req->next == NULL && c->cur == NULL);
        sb__http_response_head(req, req->close);
        uv_buf_t bufs[2] = {uv_buf_init(req->out.p, (unsigned)req->out.len),
                            uv_buf_init(req->out_body, (unsigned)req->out_body_len)};
        unsigned n = req->out_body != NULL ? 2 : 1;
        if (sb_stream_write(&req->write, c->stream, bufs, n, write_cb) != 0) {
            sb__http_conn_close(c);
            return;
        }
        req->state = SB__REQ_WRITING;
        c->nwriting++;
        if (req->close) {
            c->stopped = 1;
            return;
        }
    }
}
