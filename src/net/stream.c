/* stream.c: sb_stream (stream.h): a TCP connection, plain or TLS, read
 * and written in plaintext.
 *
 * Plain: libuv's calls, callbacks passed through.
 *
 * TLS: the socket is read into the engine (tls-i.h) whenever the
 * handshake is under way or the owner reads; once the handshake is done
 * and the owner stops reading, so does the socket (what was read stays
 * in the engine: that is the back-pressure).  pump() runs after every
 * read of the socket and from an idle handle after sb_stream_read_start()
 * (so that plaintext the engine holds reaches a new reader without new
 * ciphertext): it advances the handshake, sends the records the engine
 * made, and hands plaintext to the owner for as long as it reads, then
 * the end (UV_EOF or the error) once.  Each owner write is encrypted at
 * once and its records, with any the engine made before, go out in one
 * uv_write whose callback is the owner's.  Writes given before the
 * handshake is done wait in a list, in order, and so does a shutdown. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "net/stream.h"
#include "net/tls-i.h"

#define SB__STREAM_READ 65536 /* ciphertext per socket read, for the read only */

struct sb_stream {
    uv_tcp_t tcp;
    uv_idle_t idle; /* TLS only: a pump after a read start */
    uv_shutdown_t shutdown;
    void *data;
    sb__tls_conn *tls; /* NULL: plain TCP */
    sb_stream_alloc_cb alloc_cb;
    sb_stream_read_cb read_cb;
    sb_stream_shutdown_cb shutdown_cb;
    sb_stream_close_cb close_cb;
    sb_stream_write_req *wait_head, *wait_tail; /* TLS: until the handshake is done */
    int handles;                                /* open: tcp, idle (TLS) */
    int end;                                    /* TLS: the socket's UV_EOF or error, 0 before */
    unsigned reading : 1;                       /* the owner reads */
    unsigned tcp_reading : 1;                   /* TLS: the socket is read */
    unsigned closing : 1;
    unsigned handshaken : 1;
    unsigned failed : 1;    /* TLS is broken: nothing more in or out */
    unsigned ended : 1;     /* the end has been delivered */
    unsigned shut_wait : 1; /* a shutdown waits for the handshake */
    struct sockaddr_storage peer;
    char remote[64];
};

/* ---- accessors ---------------------------------------------------------------- */

void *sb_stream_data(const sb_stream *s) {
    return s->data;
}

void sb_stream_set_data(sb_stream *s, void *data) {
    s->data = data;
}

uv_loop_t *sb_stream_loop(const sb_stream *s) {
    return s->tcp.loop;
}

int sb_stream_is_tls(const sb_stream *s) {
    return s->tls != NULL;
}

const char *sb_stream_remote(const sb_stream *s) {
    return s->remote;
}

const struct sockaddr *sb_stream_peer(const sb_stream *s) {
    return (const struct sockaddr *)&s->peer;
}

/* ---- writing ------------------------------------------------------------------ */

static void write_cb(uv_write_t *u, int status) {
    sb_stream_write_req *w = sb_container_of(u, sb_stream_write_req, uv);
    sb_free(w->cipher);
    w->cipher = NULL;
    if (w->internal)
        sb_free(w);
    else
        w->cb(w, status);
}

/* Write every record the engine has made, as `w` (NULL: one of our own,
 * if there is anything to send). */
static int send_records(sb_stream *s, sb_stream_write_req *w) {
    size_t n = sb__tls_conn_out_pending(s->tls);
    if (w == NULL) {
        if (n == 0) return 0;
        w = sb_calloc(1, sizeof(*w));
        w->internal = 1;
        w->stream = s;
    }
    w->cipher = sb_malloc(n > 0 ? n : 1);
    sb__tls_conn_out_take(s->tls, w->cipher, n);
    uv_buf_t b = uv_buf_init(w->cipher, (unsigned)n);
    int rc = uv_write(&w->uv, (uv_stream_t *)&s->tcp, &b, 1, write_cb);
    if (rc != 0) {
        sb_free(w->cipher);
        w->cipher = NULL;
        if (w->internal) sb_free(w);
    }
    return rc;
}

static int encrypt_send(sb_stream *s, sb_stream_write_req *w, const uv_buf_t bufs[], unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        if (sb__tls_conn_write(s->tls, bufs[i].base, bufs[i].len) != 0) {
            s->failed = 1;
            return UV_EPROTO;
        }
    }
    return send_records(s, w);
}

int sb_stream_write(sb_stream_write_req *w, sb_stream *s, const uv_buf_t bufs[], unsigned n,
                    sb_stream_write_cb cb) {
    SB_ASSERT(n >= 1 && n <= SB_STREAM_MAX_BUFS && cb != NULL);
    w->cb = cb;
    w->stream = s;
    w->next = NULL;
    w->internal = 0;
    w->cipher = NULL;
    if (s->closing) return UV_EPIPE;
    if (s->tls == NULL) return uv_write(&w->uv, (uv_stream_t *)&s->tcp, bufs, n, write_cb);
    if (s->failed) return UV_EPROTO;
    if (!s->handshaken && s->end != 0) return UV_EPIPE;
    if (s->handshaken && s->wait_head == NULL) return encrypt_send(s, w, bufs, n);
    memcpy(w->bufs, bufs, n * sizeof(*bufs));
    w->nbufs = n;
    if (s->wait_tail != NULL)
        s->wait_tail->next = w;
    else
        s->wait_head = w;
    s->wait_tail = w;
    return 0;
}

int sb_stream_try_write(sb_stream *s, const uv_buf_t bufs[], unsigned n) {
    if (s->closing) return UV_EPIPE;
    if (s->tls != NULL) return UV_EAGAIN;
    return uv_try_write((uv_stream_t *)&s->tcp, bufs, n);
}

size_t sb_stream_write_queue_size(const sb_stream *s) {
    size_t n = uv_stream_get_write_queue_size((const uv_stream_t *)&s->tcp);
    for (const sb_stream_write_req *w = s->wait_head; w != NULL; w = w->next)
        for (unsigned i = 0; i < w->nbufs; i++)
            n += w->bufs[i].len;
    return n;
}

static void shutdown_cb(uv_shutdown_t *r, int status) {
    sb_stream *s = sb_container_of(r, sb_stream, shutdown);
    s->shutdown_cb(s, status);
}

static int do_shutdown(sb_stream *s) {
    if (s->tls != NULL) {
        sb__tls_conn_close_notify(s->tls);
        send_records(s, NULL);
    }
    return uv_shutdown(&s->shutdown, (uv_stream_t *)&s->tcp, shutdown_cb);
}

int sb_stream_shutdown(sb_stream *s, sb_stream_shutdown_cb cb) {
    SB_ASSERT(cb != NULL);
    if (s->closing) return UV_EPIPE;
    s->shutdown_cb = cb;
    if (s->tls != NULL && s->failed) return UV_EPROTO;
    if (s->tls != NULL && !s->handshaken && s->end != 0) return UV_EPIPE;
    if (s->tls != NULL && (!s->handshaken || s->wait_head != NULL)) {
        s->shut_wait = 1;
        return 0;
    }
    return do_shutdown(s);
}

/* The handshake is over, or cannot finish: the writes that waited go
 * out (or fail), then the shutdown that waited.  Their callbacks may
 * close the stream. */
static void release_waiting(sb_stream *s) {
    while (s->wait_head != NULL && !s->closing) {
        sb_stream_write_req *w = s->wait_head;
        s->wait_head = w->next;
        if (s->wait_head == NULL) s->wait_tail = NULL;
        w->next = NULL;
        int rc = s->failed        ? UV_EPROTO
                 : !s->handshaken ? UV_EPIPE
                                  : encrypt_send(s, w, w->bufs, w->nbufs);
        if (rc != 0) w->cb(w, rc);
    }
    if (s->shut_wait && !s->closing) {
        s->shut_wait = 0;
        int rc = s->failed ? UV_EPROTO : !s->handshaken ? UV_EPIPE : do_shutdown(s);
        if (rc != 0) s->shutdown_cb(s, rc);
    }
}

/* ---- reading (TLS) ------------------------------------------------------------- */

static void tls_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    *buf = uv_buf_init(sb_malloc(SB__STREAM_READ), SB__STREAM_READ);
}

static void pump(sb_stream *s);
static void idle_cb(uv_idle_t *h);

static void tls_read_cb(uv_stream_t *u, ssize_t nread, const uv_buf_t *buf) {
    sb_stream *s = u->data;
    if (nread > 0) sb__tls_conn_feed(s->tls, buf->base, (size_t)nread);
    sb_free(buf->base);
    if (nread < 0) {
        uv_read_stop(u);
        s->tcp_reading = 0;
        if (s->end == 0) s->end = (int)nread;
    }
    pump(s);
}

/* Read the socket while the handshake needs it or the owner reads. */
static void tcp_update(sb_stream *s) {
    int want =
        !s->closing && s->end == 0 && !s->failed && !s->ended && (!s->handshaken || s->reading);
    if (want && !s->tcp_reading) {
        int rc = uv_read_start((uv_stream_t *)&s->tcp, tls_alloc_cb, tls_read_cb);
        if (rc == 0)
            s->tcp_reading = 1;
        else if (s->end == 0)
            s->end = rc, uv_idle_start(&s->idle, idle_cb);
    } else if (!want && s->tcp_reading) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->tcp_reading = 0;
    }
}

/* Something to hand the owner: plaintext, or the end. */
static int has_more(const sb_stream *s) {
    if (s->ended) return 0;
    if (s->failed || s->end != 0) return 1;
    return s->handshaken && sb__tls_conn_has_input(s->tls);
}

/* Plaintext to the owner while it reads, then the end, once. */
static void deliver(sb_stream *s) {
    while (s->reading && !s->closing && has_more(s)) {
        uv_buf_t b = uv_buf_init(NULL, 0);
        s->alloc_cb(s, SB__STREAM_READ, &b);
        ssize_t n;
        if (b.base == NULL || b.len == 0) {
            n = UV_ENOBUFS;
        } else if (s->failed) {
            n = UV_EPROTO;
        } else if (s->handshaken) {
            n = sb__tls_conn_read(s->tls, b.base, b.len);
            if (n == UV_EPROTO) s->failed = 1;
            if (n == 0 && s->end != 0) n = s->end; /* no more is coming */
        } else {
            n = s->end; /* the socket ended during the handshake */
        }
        if (n < 0) s->ended = 1;
        s->read_cb(s, n, &b);
        if (n == 0) return; /* a partial record: wait for the rest */
    }
}

/* After a socket read or a read start: see the top of this file. */
static void pump(sb_stream *s) {
    uv_idle_stop(&s->idle);
    if (s->closing) return;
    if (!s->handshaken && !s->failed) {
        int r = sb__tls_conn_has_input(s->tls) ? sb__tls_conn_handshake(s->tls, s->remote) : 0;
        if (r < 0) s->failed = 1;
        if (r == 1) s->handshaken = 1;
        send_records(s, NULL); /* our flight, or an alert */
        if (r != 0 || s->end != 0) release_waiting(s);
    }
    if (!s->closing) deliver(s);
    if (!s->closing && !s->failed) send_records(s, NULL); /* e.g. a KeyUpdate answered */
    tcp_update(s);
}

static void idle_cb(uv_idle_t *h) {
    pump(h->data);
}

static void plain_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
    sb_stream *s = h->data;
    s->alloc_cb(s, hint, buf);
}

static void plain_read_cb(uv_stream_t *u, ssize_t nread, const uv_buf_t *buf) {
    sb_stream *s = u->data;
    s->read_cb(s, nread, buf);
}

int sb_stream_read_start(sb_stream *s, sb_stream_alloc_cb alloc_cb, sb_stream_read_cb read_cb) {
    SB_ASSERT(alloc_cb != NULL && read_cb != NULL);
    if (s->closing) return UV_EINVAL;
    s->alloc_cb = alloc_cb;
    s->read_cb = read_cb;
    if (s->tls == NULL) {
        int rc = uv_read_start((uv_stream_t *)&s->tcp, plain_alloc_cb, plain_read_cb);
        if (rc == 0) s->reading = 1;
        return rc;
    }
    s->reading = 1;
    if (has_more(s)) uv_idle_start(&s->idle, idle_cb);
    tcp_update(s);
    return 0;
}

void sb_stream_read_stop(sb_stream *s) {
    s->reading = 0;
    if (s->tls == NULL) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        return;
    }
    uv_idle_stop(&s->idle);
    tcp_update(s);
}

/* ---- life ------------------------------------------------------------------------ */

sb_stream *sb__stream_new(uv_loop_t *loop, struct sb_tls *tls) {
    sb_stream *s = sb_calloc(1, sizeof(*s));
    int r = uv_tcp_init(loop, &s->tcp);
    SB_ASSERT(r == 0);
    s->tcp.data = s;
    s->handles = 1;
    if (tls != NULL) {
        s->tls = sb__tls_conn_new(tls);
        r = uv_idle_init(loop, &s->idle);
        SB_ASSERT(r == 0);
        s->idle.data = s;
        s->handles++;
    }
    snprintf(s->remote, sizeof(s->remote), "?");
    return s;
}

static void format_remote(sb_stream *s) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (s->peer.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&s->peer;
        uv_ip4_name(a, ip, sizeof(ip));
        snprintf(s->remote, sizeof(s->remote), "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (s->peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&s->peer;
        uv_ip6_name(a, ip, sizeof(ip));
        snprintf(s->remote, sizeof(s->remote), "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
    }
}

int sb__stream_accept(sb_stream *s, uv_stream_t *listener) {
    int rc = uv_accept(listener, (uv_stream_t *)&s->tcp);
    if (rc != 0) return rc;
    uv_tcp_nodelay(&s->tcp, 1);
    int len = (int)sizeof(s->peer);
    if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&s->peer, &len) != 0)
        memset(&s->peer, 0, sizeof(s->peer));
    format_remote(s);
    if (s->tls != NULL) tcp_update(s); /* the handshake starts */
    return 0;
}

static void closed_cb(uv_handle_t *h) {
    sb_stream *s = h->data;
    if (--s->handles > 0) return;
    /* libuv has cancelled the writes under way; now those that waited */
    while (s->wait_head != NULL) {
        sb_stream_write_req *w = s->wait_head;
        s->wait_head = w->next;
        w->next = NULL;
        w->cb(w, UV_ECANCELED);
    }
    if (s->shut_wait) s->shutdown_cb(s, UV_ECANCELED);
    if (s->close_cb != NULL) s->close_cb(s);
    sb__tls_conn_free(s->tls);
    sb_free(s);
}

void sb_stream_close(sb_stream *s, sb_stream_close_cb cb) {
    SB_ASSERT(!s->closing);
    if (s->tls != NULL && s->handshaken && !s->failed && s->end == 0) {
        /* close_notify, if the kernel takes it now (libuv refuses while
         * earlier writes wait, which keeps the order) */
        sb__tls_conn_close_notify(s->tls);
        size_t n = sb__tls_conn_out_pending(s->tls);
        if (n > 0 && n <= 1024) {
            char rec[1024];
            sb__tls_conn_out_take(s->tls, rec, n);
            uv_buf_t b = uv_buf_init(rec, (unsigned)n);
            uv_try_write((uv_stream_t *)&s->tcp, &b, 1);
        }
    }
    s->closing = 1;
    s->reading = 0;
    s->close_cb = cb;
    uv_close((uv_handle_t *)&s->tcp, closed_cb);
    if (s->tls != NULL) uv_close((uv_handle_t *)&s->idle, closed_cb);
}
