/* tls-i.h: the TLS engine of one connection (tls.c), as stream.c drives
 * it.  Not for use outside src/net.
 *
 * The engine is an OpenSSL server SSL between two memory BIOs: ciphertext
 * the socket delivered goes in with feed(), plaintext comes out of read();
 * plaintext goes in with write(), and the records it makes (handshake
 * messages, alerts, application data, close_notify) come out with
 * out_take(), to be written to the socket in that order.  It does no I/O
 * and never blocks.  Results use libuv's error codes. */
#ifndef SB_NET_TLS_I_H
#define SB_NET_TLS_I_H

#include <stddef.h>
#include <sys/types.h>

struct sb_tls;
typedef struct sb__tls_conn sb__tls_conn;

/* A server-side engine using `tls` (it holds a reference); freed with
 * sb__tls_conn_free() (NULL is fine). */
sb__tls_conn *sb__tls_conn_new(struct sb_tls *tls);
void sb__tls_conn_free(sb__tls_conn *t);

/* Ciphertext from the peer, copied in. */
void sb__tls_conn_feed(sb__tls_conn *t, const char *p, size_t n);

/* Advance the handshake with what was fed: 1 done, 0 more ciphertext
 * needed, UV_EPROTO failed (counted and logged once by the sb_tls, with
 * `remote` for the peer; an alert may wait in the output). */
int sb__tls_conn_handshake(sb__tls_conn *t, const char *remote);

/* Nonzero while fed ciphertext or decrypted plaintext waits to be read. */
int sb__tls_conn_has_input(const sb__tls_conn *t);

/* Up to `len` bytes of plaintext into `buf` (after the handshake): the
 * count, 0 when more ciphertext is needed, UV_EOF after the peer's
 * close_notify, UV_EPROTO on a bad record. */
ssize_t sb__tls_conn_read(sb__tls_conn *t, char *buf, size_t len);

/* Encrypt `n` bytes (after the handshake): 0 or UV_EPROTO. */
int sb__tls_conn_write(sb__tls_conn *t, const void *p, size_t n);

/* Queue close_notify (after the handshake; once). */
void sb__tls_conn_close_notify(sb__tls_conn *t);

/* Bytes of records waiting to be sent, and taking exactly that many. */
size_t sb__tls_conn_out_pending(const sb__tls_conn *t);
void sb__tls_conn_out_take(sb__tls_conn *t, char *buf, size_t n);

/* References to an sb_tls (sb_tls_release() drops one). */
void sb__tls_ref(struct sb_tls *tls);

#endif
