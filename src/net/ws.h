/* ws.h: WebSocket (RFC 6455) server connections on top of the HTTP
 * server's upgrade hook.
 *
 * A request handler that wants a WebSocket calls sb_ws_accept() on the
 * request (after its own checks: path, authorization, Origin).  The
 * handshake is validated and refused with 400 or 426 when wrong; else the
 * stream is taken from the HTTP server, "101 Switching Protocols" is
 * written and the connection (sb_ws) belongs to this layer until its
 * on_close callback.  Framing is wslay's (event API, server context);
 * this layer does the I/O on libuv, the limits and the heartbeat.  Only
 * text messages are accepted; nothing is negotiated (no subprotocol, no
 * extension).  Everything runs on the loop thread of the HTTP server.
 *
 * Lifetime.  After sb_ws_accept() returns SB_OK, on_close is called
 * exactly once, on_open at most once before it (never if the client went
 * away while the upgrade waited behind earlier responses).  The sb_ws is
 * valid from on_open until on_close returns; it is freed right after, so
 * it must not be used from then on (inside on_close every call is a
 * harmless no-op).  on_close runs from a libuv close callback (or, for a
 * connection that never opened, from the HTTP server's upgrade callback),
 * never from inside a call of this file, so calling any function here
 * from any callback, for any connection, is safe.  The server's shutdown
 * does not reach upgraded streams: the owner closes its connections
 * (sb_ws_close(ws, 1001, "going away")) and keeps the loop running until
 * their on_close calls.
 *
 * Close codes.  on_close receives the code of the closing handshake:
 * the server's when the server closed first, the client's when the
 * client did (1005 if its close frame had none), 1006 when the
 * connection ended without any close frame (reset, end of stream, write
 * error, or never opened).  The server closes on its own with:
 *   1002  protocol error: unmasked frame, unknown opcode, reserved bits,
 *         fragmented or oversized control frame, continuation without a
 *         start, invalid close code (detected by wslay), a close
 *         frame with a 1-byte body (by ws.c)
 *   1003  a binary message
 *   1007  a text message (or close reason) that is not UTF-8 (wslay;
 *         close reasons checked again by ws.c)
 *   1008  "slow consumer": sb_ws_send_text() would take the outgoing
 *         buffer over max_outbuf (see there)
 *   1009  an incoming message over max_message (wslay, reassembled size)
 *   1011  "ping timeout": nothing received within pong_timeout_ms of a
 *         ping (nor any sign that the client reads: a backlog the kernel
 *         had held back being taken counts as one, since the ping waits
 *         behind it).  1011 rather than 1001 so that on_close can tell a
 *         dead client from a server shutdown, for which sb_ws_close(ws,
 *         1001, "going away") is meant.
 * After sending a close frame the server waits up to close_timeout_ms for
 * the client's (reading on, without delivering messages), then closes
 * the TCP connection.  When it failed the connection (1002, 1003, 1007,
 * 1009) it reads no more frames: once its close frame is out it shuts
 * the stream down for writing and closes at the client's end of stream. */
#ifndef SB_NET_WS_H
#define SB_NET_WS_H

#include <stddef.h>
#include <stdint.h>

#include "net/http.h"

/* One WebSocket connection. */
typedef struct sb_ws sb_ws;

/* Limits and timeouts.  A zero field means "the default" given in its
 * comment, so `sb_ws_options o = {.max_message = 4096};` is complete.
 * Times are in milliseconds of loop time (uv_now). */
typedef struct sb_ws_options {
    size_t max_message;        /* incoming message bytes, fragments
                                * reassembled; 64 KiB.  Over: close 1009 */
    size_t max_outbuf;         /* outgoing bytes the kernel has not taken
                                * yet; 1 MiB.  Over: close 1008 */
    uint64_t ping_interval_ms; /* a ping every this often; 30000 */
    uint64_t pong_timeout_ms;  /* nothing received this long after a
                                * ping: close 1011; 10000.  Should be
                                * below ping_interval_ms */
    uint64_t close_timeout_ms; /* wait for the client's close frame (or
                                * its end of stream) after ours; 5000 */
} sb_ws_options;

/* The connection is open: the 101 has been queued and messages may be
 * sent.  May run before sb_ws_accept() returns. */
typedef void (*sb_ws_open_cb)(sb_ws *ws, void *ud);

/* One complete text message (fragments reassembled, valid UTF-8), `len`
 * bytes at `data`, valid during the call only; not NUL-terminated.  Not
 * called once the server has started closing. */
typedef void (*sb_ws_text_cb)(sb_ws *ws, const char *data, size_t len, void *ud);

/* The connection is gone; `code` as described at the top of this file.
 * `ws` is freed when this returns. */
typedef void (*sb_ws_close_cb)(sb_ws *ws, int code, void *ud);

/* What the owner of a connection hears.  on_open and on_text may be
 * NULL; on_close too, though an owner with per-connection state needs it. */
typedef struct sb_ws_callbacks {
    sb_ws_open_cb on_open;
    sb_ws_text_cb on_text;
    sb_ws_close_cb on_close;
} sb_ws_callbacks;

/* Fill `o` with the defaults (what zero fields mean). */
void sb_ws_options_default(sb_ws_options *o);

/* Accept `req` as a WebSocket opening handshake.  Always gives `req`
 * back (it must not be used after this call).  Returns:
 *   SB_OK      the upgrade is under way; `cb` and `ud` (and `o`, copied;
 *              NULL for the defaults) now belong to the connection, whose
 *              on_open/on_close follow (see the top of this file);
 *   SB_EINVAL  the handshake is wrong and has been answered: 400 (not a
 *              GET, not HTTP/1.1, no "Upgrade: websocket", no "Connection:
 *              upgrade", a Sec-WebSocket-Key that is not 16 bytes of
 *              base64) or 426 with "Sec-WebSocket-Version: 13" (a missing
 *              or other version); no callback is called;
 *   SB_ESTATE  the client has already gone (sb_http_request_closed());
 *              no callback is called. */
int sb_ws_accept(sb_http_request *req, const sb_ws_options *o, const sb_ws_callbacks *cb, void *ud);

/* Queue a text message of `len` bytes (copied; the caller guarantees
 * UTF-8).  Returns SB_OK; SB_ESTATE once the connection is closing (a
 * close frame queued, sent or received, or the client gone); SB_ELIMIT
 * when sb_ws_buffered() + len would exceed max_outbuf: the message is
 * dropped and the connection closed with 1008 "slow consumer" (so a
 * message longer than max_outbuf can never be sent).  The outgoing
 * buffer stays under max_outbuf plus a frame header or two. */
int sb_ws_send_text(sb_ws *ws, const char *data, size_t len);

/* Corking: messages queued through a cork are framed but not written
 * until sb_ws_uncork(), which writes each connection's messages at once
 * (one write instead of one per message).  For a burst of messages to
 * many connections from code that does not return to the loop between
 * them (the events of one commit).  A cork is a plain struct, zeroed. */
typedef struct sb_ws_cork {
    sb_ws **v;
    size_t n, cap;
} sb_ws_cork;
/* sb_ws_send_text(), the writing held back until sb_ws_uncork(cork). */
int sb_ws_send_text_corked(sb_ws *ws, sb_ws_cork *cork, const char *data, size_t len);
void sb_ws_uncork(sb_ws_cork *cork);
void sb_ws_cork_free(sb_ws_cork *cork);

/* Start the closing handshake with `code` and a UTF-8 `reason` (NULL for
 * none; cut to 123 bytes at a character boundary).  `code` 0 sends a
 * close frame without a code (on_close then gets 1005); otherwise it
 * must be one a server may send: 1000-1003, 1007-1014, 3000-4999.  Text
 * already queued goes out first.  Returns SB_OK, SB_EINVAL for a code
 * that may not be sent (nothing happens), SB_ESTATE when the connection
 * is already closing (nothing happens: it is closing anyway).  Safe at
 * any time between on_open and on_close, including from inside them and
 * from on_text. */
int sb_ws_close(sb_ws *ws, int code, const char *reason);

/* Outgoing bytes not yet taken by the kernel: queued messages, frame
 * headers, the 101 response while it is unsent. */
size_t sb_ws_buffered(const sb_ws *ws);

/* The peer's address as "127.0.0.1:54321" or "[::1]:54321" (copied from
 * the request).  Owned by the connection. */
const char *sb_ws_remote(const sb_ws *ws);

/* ---- the handshake (ws-handshake.c) ------------------------------------ */

/* 0 when `req` is a valid WebSocket opening handshake; else the status to
 * refuse it with (400 or 426, see sb_ws_accept()) and, in *why, a short
 * static reason for the response body. */
int sb_ws_handshake_check(const sb_http_request *req, const char **why);

/* Sec-WebSocket-Accept for `key` (a Sec-WebSocket-Key value as sent):
 * base64(SHA-1(key "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), 28
 * characters and a NUL written to `out`. */
void sb_ws_accept_key(const char *key, char out[29]);

#endif
