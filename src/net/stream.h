/* stream.h: the byte stream under HTTP and WebSocket: plain TCP or TLS.
 *
 * An sb_stream is one accepted TCP connection, read and written in
 * plaintext whatever it carries.  The calls mirror libuv's (read_start /
 * read_stop, write, try_write, shutdown, close) and keep their rules:
 * callbacks run from the loop, never from inside a call of this file;
 * writes complete in order, each callback once, with UV_ECANCELED after
 * sb_stream_close(); buffers given to sb_stream_write() stay valid until
 * its callback; the read callback gets nread > 0 (data), 0 (nothing,
 * free the buffer), UV_EOF (the peer has finished sending) or another
 * negative error, and the stream is still the caller's to close.
 *
 * Plain streams are libuv's TCP stream under a thin wrapper.  TLS streams
 * (tls.c holds everything OpenSSL) read ciphertext into the engine and
 * hand plaintext to the read callback; the handshake runs by itself from
 * the first byte, reading the socket whatever the owner does, and
 * writes given before it completes wait for it.  A failed handshake
 * (plain HTTP on the TLS port, a bad ClientHello, no common protocol
 * version) is counted and logged by the sb_tls (http.h) and reaches the
 * owner as one read error (UV_EPROTO) or write error; the owner closes.
 * The peer's close_notify, or its end of stream after the last complete
 * record, reads as UV_EOF.  sb_stream_shutdown() sends close_notify before
 * the TCP FIN.  sb_stream_try_write() on a TLS stream always answers
 * UV_EAGAIN: its plaintext becomes ciphertext at once, so only
 * sb_stream_write() can say when the kernel has it.
 *
 * Ownership: the HTTP server creates a stream per connection and hands it
 * on with sb_http_upgrade() (http.h); the owner of the moment sets its
 * `data` and closes it with sb_stream_close(), which frees it after the
 * close callback. */
#ifndef SB_NET_STREAM_H
#define SB_NET_STREAM_H

#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

typedef struct sb_stream sb_stream;
typedef struct sb_stream_write_req sb_stream_write_req;

typedef void (*sb_stream_alloc_cb)(sb_stream *s, size_t hint, uv_buf_t *buf);
typedef void (*sb_stream_read_cb)(sb_stream *s, ssize_t nread, const uv_buf_t *buf);
typedef void (*sb_stream_write_cb)(sb_stream_write_req *w, int status);
typedef void (*sb_stream_shutdown_cb)(sb_stream *s, int status);
typedef void (*sb_stream_close_cb)(sb_stream *s);

/* At most this many buffers per sb_stream_write(). */
#define SB_STREAM_MAX_BUFS 4

/* A write request, embedded by the caller (its fields are private); it
 * must stay put until its callback. */
struct sb_stream_write_req {
    uv_write_t uv;
    sb_stream_write_cb cb;
    sb_stream *stream;
    sb_stream_write_req *next;         /* waiting for the TLS handshake */
    uv_buf_t bufs[SB_STREAM_MAX_BUFS]; /* the plaintext, while it waits */
    unsigned nbufs;
    unsigned internal : 1; /* the stream's own (TLS records), freed by it */
    char *cipher;          /* TLS: the records being written */
};

/* The owner's pointer (NULL when handed over by sb_http_upgrade()). */
void *sb_stream_data(const sb_stream *s);
void sb_stream_set_data(sb_stream *s, void *data);

uv_loop_t *sb_stream_loop(const sb_stream *s);

/* Nonzero for a TLS stream. */
int sb_stream_is_tls(const sb_stream *s);

/* The peer, as "127.0.0.1:54321" or "[::1]:54321", and its address. */
const char *sb_stream_remote(const sb_stream *s);
const struct sockaddr *sb_stream_peer(const sb_stream *s);

/* Start or stop delivering plaintext, as uv_read_start / uv_read_stop.
 * Plaintext that a TLS stream holds already is delivered from the loop
 * soon after a start. */
int sb_stream_read_start(sb_stream *s, sb_stream_alloc_cb alloc_cb, sb_stream_read_cb read_cb);
void sb_stream_read_stop(sb_stream *s);

/* Write `n` (1..SB_STREAM_MAX_BUFS) buffers in order after earlier
 * writes; `cb(w, status)` once they are with the kernel (or failed).
 * Returns 0, or a libuv error (no callback then). */
int sb_stream_write(sb_stream_write_req *w, sb_stream *s, const uv_buf_t bufs[], unsigned n,
                    sb_stream_write_cb cb);

/* As uv_try_write(): bytes the kernel took now, or UV_EAGAIN (always, on
 * TLS), or another error. */
int sb_stream_try_write(sb_stream *s, const uv_buf_t bufs[], unsigned n);

/* Bytes written and not yet taken by the kernel (TLS: records, and the
 * plaintext of writes waiting for the handshake).  Right after
 * sb_stream_write(), 0 means the kernel took that write at once. */
size_t sb_stream_write_queue_size(const sb_stream *s);

/* End our direction once every write is out (TLS: close_notify first);
 * `cb(s, status)` then.  At most once per stream. */
int sb_stream_shutdown(sb_stream *s, sb_stream_shutdown_cb cb);

/* Close now: writes under way complete with UV_ECANCELED, then `cb(s)`
 * (may be NULL) runs and the stream is freed.  Once. */
void sb_stream_close(sb_stream *s, sb_stream_close_cb cb);

/* ---- for the HTTP server (conn.c) ---------------------------------------- */

struct sb_tls;

/* A stream on `loop`, TLS if `tls` is not NULL (the stream holds a
 * reference).  Close it with sb_stream_close() even if the accept fails. */
sb_stream *sb__stream_new(uv_loop_t *loop, struct sb_tls *tls);

/* Accept a connection from `listener` into `s`: TCP_NODELAY, the peer's
 * address; a TLS stream starts reading for its handshake.  0 or a libuv
 * error. */
int sb__stream_accept(sb_stream *s, uv_stream_t *listener);

#endif
