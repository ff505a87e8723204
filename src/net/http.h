/* http.h: an HTTP/1.1 server on a libuv loop.
 *
 * One sb_http_server lives on one uv_loop_t and is used from that loop's
 * thread only.  It accepts TCP connections, parses requests with llhttp
 * (keep-alive, pipelining, chunked request bodies, HTTP/1.0) and hands
 * each complete request, body buffered, to one callback.  It knows
 * nothing of routes, JSON or WebSocket: those live above it.  As in any
 * libuv program, the process must ignore SIGPIPE (a write to a reset
 * connection would otherwise kill it).
 *
 * Ownership of a request: the callback receives an sb_http_request and
 * must eventually call sb_http_respond() (or sb_http_upgrade()) on it,
 * exactly once, either before returning or later from the same loop (for
 * example after a durable write commits).  That call gives the request
 * back; touching it afterwards is a use-after-free.  Responses go out in
 * request order even when pipelined requests are answered out of order.
 * If the client goes away first the request stays valid: it is only
 * marked closed (sb_http_request_closed()) and the late response is
 * discarded and the request freed.
 *
 * Protocol errors and limits are answered by the server itself, without
 * the callback: 400 malformed, 408 request timeout, 413 body too large,
 * 414 request target too long, 417 unknown expectation, 431 header
 * section too large, 501 unsupported transfer coding, 505 HTTP version,
 * 503 too many connections (at once, on accepting).  After such an
 * answer the connection is shut down for writing and what the client
 * still sends is read and dropped for a short while (a "lingering close",
 * so the client reads the answer instead of a TCP reset); then it is
 * closed.
 *
 * HTTPS: with opts.tls set (an sb_tls: certificate, key and policy, see
 * the end of this file) every connection on the listener speaks TLS; the
 * server reads and writes plaintext through sb_stream (stream.h), so
 * everything above is the same over TLS, upgraded connections included.
 * A connection whose handshake fails (plain HTTP sent to the TLS port, a
 * bad ClientHello, no common version) is closed without an answer; the
 * sb_tls counts it and logs it, at most one line per 10 seconds. */
#ifndef SB_NET_HTTP_H
#define SB_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "net/stream.h"

/* A server certificate and key with the TLS policy (see the end). */
typedef struct sb_tls sb_tls;

/* A listening server and its connections. */
typedef struct sb_http_server sb_http_server;

/* One request, from its parse until its response has been written. */
typedef struct sb_http_request sb_http_request;

/* Limits and timeouts.  A zero field means "the default" given in its
 * comment, so `sb_http_options o = {.max_body = 4096};` is complete.
 * Timeouts are in milliseconds of loop time (uv_now). */
typedef struct sb_http_options {
    size_t max_body;              /* request body bytes; 1 MiB.  Over: 413 */
    size_t max_header;            /* bytes of the target and the header fields
                                   * (name + value + 4 each, trailers too);
                                   * 16 KiB.  Over: 431 (414 if the target
                                   * alone is over) */
    uint32_t max_headers;         /* header fields per request; 100.  Over: 431 */
    uint32_t max_connections;     /* open connections; 1024.  Over: 503 */
    uint32_t max_pipeline;        /* requests a connection may have waiting for
                                   * their responses before the server stops
                                   * parsing more (it reads on until its 64 KiB
                                   * buffer is full); 16 */
    uint64_t request_timeout_ms;  /* from the first byte of a request to its
                                   * last; 30000.  Over: 408 */
    uint64_t idle_timeout_ms;     /* a connection with no request in progress
                                   * is closed silently after this; 60000 */
    uint64_t linger_ms;           /* how long an error answer waits for the
                                   * client's end of stream before closing; 2000 */
    uint64_t shutdown_timeout_ms; /* sb_http_server_shutdown() closes connections
                                   * still busy after this; 0 = wait for them */
    sb_tls *tls;                  /* NULL: plain HTTP.  Else HTTPS: every
                                   * connection is TLS with this certificate;
                                   * sb_http_server_new() takes a reference
                                   * of its own (each connection too), so the
                                   * caller may sb_tls_release() its own at
                                   * once */
} sb_http_options;

/* Called once per complete request, on the loop thread.  `ud` is the
 * pointer given to sb_http_server_new().  The callback owns `req` until
 * it responds (see the top of this file). */
typedef void (*sb_http_request_cb)(sb_http_request *req, void *ud);

/* Called once when sb_http_server_shutdown() has finished: the listener
 * and every connection are closed.  The server is freed right after this
 * callback returns. */
typedef void (*sb_http_shutdown_cb)(sb_http_server *srv, void *ud);

/* Called once for sb_http_upgrade().  On success `stream` is the client's
 * connection (plaintext, over TLS or not), detached from the server:
 * reading is stopped, its data pointer is NULL and the callee now owns
 * it (close it with sb_stream_close()).  `rest` holds the bytes the
 * client sent after the request, already read (and decrypted); they are
 * valid during the call only; a TLS stream may hold more, which its next
 * reader gets.  `req` is still readable during the call
 * (for Sec-WebSocket-Key and friends) and is freed after it.  If the
 * client went away first, `stream` is NULL and `rest_len` 0. */
typedef void (*sb_http_upgrade_cb)(sb_http_request *req, sb_stream *stream, const char *rest,
                                   size_t rest_len, void *ud);

/* ---- server ------------------------------------------------------------ */

/* Fill `o` with the defaults (what zero fields mean). */
void sb_http_options_default(sb_http_options *o);

/* A server on `loop` that calls `on_request(req, ud)` per request.  `opts`
 * may be NULL for the defaults; it is copied.  Nothing is bound yet. */
sb_http_server *sb_http_server_new(uv_loop_t *loop, const sb_http_options *opts,
                                   sb_http_request_cb on_request, void *ud);

/* Bind and listen on `host` (an IPv4 or IPv6 literal such as "127.0.0.1",
 * "::1", "0.0.0.0" or "::"; no name lookup) and `port` (0: an ephemeral
 * port, see sb_http_server_port()).  Once per server.  Returns SB_OK,
 * SB_EINVAL for a bad host or port, SB_EINUSE when the address is taken,
 * SB_ESTATE when already listening, shut down or for any other socket
 * error; sb_http_server_error() then says which. */
int sb_http_server_listen(sb_http_server *srv, const char *host, int port);

/* The port the server is bound to, 0 before a successful listen. */
int sb_http_server_port(const sb_http_server *srv);

/* Text of the last listen failure ("" if none).  Owned by the server. */
const char *sb_http_server_error(const sb_http_server *srv);

/* Connections currently open (answering, idle, or being refused with
 * 503), not counting upgraded ones, which the server no longer owns. */
uint32_t sb_http_server_connections(const sb_http_server *srv);

/* Graceful shutdown: stop accepting, close idle connections at once, let
 * requests already received be answered (their responses carry
 * "Connection: close"), close each connection when its last response is
 * written, then call `cb(srv, ud)` and free the server.  With
 * opts.shutdown_timeout_ms set, connections still busy by then are closed
 * and their requests marked closed.  Streams already handed away by
 * sb_http_upgrade() are not the server's: their owner closes them.  Call
 * once; the loop must keep running until `cb` has been called.  This is
 * also the only way to free a server. */
void sb_http_server_shutdown(sb_http_server *srv, sb_http_shutdown_cb cb, void *ud);

/* ---- request ----------------------------------------------------------- */

/* The method name in upper case ("GET", "POST", ...).  Static storage. */
const char *sb_http_request_method(const sb_http_request *req);

/* The request target's path as sent, still percent-encoded, without the
 * query ("/v1/agents/7").  For an absolute-form target
 * ("http://host/p?q") it is the path part ("/p"); for CONNECT the
 * authority; "*" for "OPTIONS *".  Never NULL. */
const char *sb_http_request_path(const sb_http_request *req);

/* The query string without the '?' ("a=1&b=2"), "" when there is none.
 * Never NULL.  A fragment ("#...") is dropped. */
const char *sb_http_request_query(const sb_http_request *req);

/* The value of the first header named `name` (compared without regard to
 * case), or NULL.  Leading and trailing blanks are trimmed. */
const char *sb_http_request_header(const sb_http_request *req, const char *name);

/* The number of header fields, in the order received. */
size_t sb_http_request_header_count(const sb_http_request *req);

/* The i-th header field (i < sb_http_request_header_count()): its name as
 * sent into *name and its value into *value. */
void sb_http_request_header_at(const sb_http_request *req, size_t i, const char **name,
                               const char **value);

/* The complete request body (de-chunked) and its length in *len (which
 * may be NULL).  Never NULL; NUL-terminated for convenience, although the
 * body may itself hold NUL bytes. */
const char *sb_http_request_body(const sb_http_request *req, size_t *len);

/* The peer's address as "127.0.0.1:54321" or "[::1]:54321". */
const char *sb_http_request_remote(const sb_http_request *req);

/* The peer's socket address (AF_INET or AF_INET6). */
const struct sockaddr *sb_http_request_peer(const sb_http_request *req);

/* The minor HTTP version: 1 for HTTP/1.1, 0 for HTTP/1.0. */
int sb_http_request_version_minor(const sb_http_request *req);

/* Nonzero when the request asks to switch protocols ("Connection:
 * upgrade" with an "Upgrade" header, or CONNECT): only then may
 * sb_http_upgrade() take the connection.  Nothing after such a request is
 * parsed as HTTP; if it is answered with sb_http_respond() instead, the
 * connection closes after that response. */
int sb_http_request_is_upgrade(const sb_http_request *req);

/* Nonzero when the request came over TLS (the server has opts.tls): the
 * API layer then adds Strict-Transport-Security and marks cookies Secure. */
int sb_http_request_is_tls(const sb_http_request *req);

/* Nonzero once the client's connection is gone: a response would be
 * discarded (but must still be given, to free the request). */
int sb_http_request_closed(const sb_http_request *req);

/* ---- response ---------------------------------------------------------- */

/* Add a response header.  Both strings are copied.  Returns SB_OK, or
 * SB_EINVAL (and adds nothing) when the name is not an HTTP token, the
 * value holds a control character (CR, LF...), or the name is
 * Content-Length or Transfer-Encoding (the server writes those).
 * "Connection: close" makes the server close the connection after this
 * response.  Call before sb_http_respond(). */
int sb_http_response_header(sb_http_request *req, const char *name, const char *value);

/* Answer `req` with `status` (200-599; anything else is a programming
 * error and panics), a Content-Type (NULL for none; one with control
 * characters is dropped) and a body of `len` bytes (copied; `body` may be
 * NULL when `len` is 0).  The server adds Content-Length, Date and, when
 * needed, Connection.  A HEAD request gets the headers only; 204 and 304
 * carry neither a body nor Content-Length.  Gives `req` back: it must not
 * be used after this call.  The response waits, if need be, for those of
 * earlier requests on the same connection. */
void sb_http_respond(sb_http_request *req, int status, const char *content_type, const void *body,
                     size_t len);

/* Take the connection of an upgrade request (sb_http_request_is_upgrade())
 * away from the server.  When every earlier response on the connection
 * has been written, `cb` runs with the connection's stream (see
 * sb_http_upgrade_cb); it may run before this call returns.  The server
 * writes nothing for `req`: the new owner writes its own "101" response.
 * Returns SB_OK and gives `req` back, or SB_EINVAL (and `req` stays the
 * caller's, to be answered) when `req` is not an upgrade request. */
int sb_http_upgrade(sb_http_request *req, sb_http_upgrade_cb cb, void *ud);

/* The reason phrase of a status code ("Not Found"), "Unknown" if none. */
const char *sb_http_status_text(int status);

/* ---- TLS (tls.c) ------------------------------------------------------- */

/* An sb_tls is what opts.tls takes: OpenSSL's server context with the
 * certificate chain, the private key and the policy: TLS 1.2 at least,
 * OpenSSL's default cipher suites in the server's order of preference,
 * no renegotiation, no compression.  It is reference-counted and may be
 * shared by servers on several loops; its counter is atomic. */

/* Load a PEM certificate (the leaf first, then any intermediates) and its
 * PEM private key (unencrypted) from files.  Returns SB_OK and *out (one
 * reference), or SB_EINVAL with a sentence in `err`: a file that cannot
 * be read, holds no certificate or key, or a key that does not match the
 * certificate. */
int sb_tls_load(sb_tls **out, const char *cert_file, const char *key_file, char *err,
                size_t errlen);

/* The same from PEM text in memory. */
int sb_tls_load_pem(sb_tls **out, const char *cert_pem, size_t cert_len, const char *key_pem,
                    size_t key_len, char *err, size_t errlen);

/* Drop one reference; the last frees it.  NULL is fine. */
void sb_tls_release(sb_tls *tls);

/* Handshakes that failed so far, on every connection using `tls`. */
uint64_t sb_tls_failures(const sb_tls *tls);

#endif
