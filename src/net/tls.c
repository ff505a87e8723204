/* tls.c: everything OpenSSL: the server's certificate, key and policy
 * (sb_tls, http.h) and the per-connection engine over memory BIOs
 * (tls-i.h), which stream.c feeds from libuv.
 *
 * Policy: TLS 1.2 at least; OpenSSL's default cipher suites and groups,
 * in the server's order of preference; no renegotiation (TLS 1.2
 * clients asking get a no_renegotiation alert; TLS 1.3 has none); no
 * compression; record buffers released while a connection is idle.
 *
 * OpenSSL keeps a per-thread error queue: every call here clears it
 * before and after, so one connection's error never shows up as
 * another's. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http.h"
#include "net/tls-i.h"

#define SB__TLS_MAX_PEM   (1 << 20) /* a certificate or key file, at most */
#define SB__TLS_LOG_EVERY 10        /* seconds between two failure lines */

struct sb_tls {
    SSL_CTX *ctx;
    atomic_int refs;
    atomic_ullong failures;
    atomic_llong logged_at; /* time() of the last failure line, 0 none */
};

struct sb__tls_conn {
    struct sb_tls *tls;
    SSL *ssl;
    BIO *in, *out; /* owned by ssl */
};

/* ---- loading ----------------------------------------------------------------- */

/* OpenSSL's reason for the last error, or `dflt`; clears the queue. */
static const char *ssl_reason(const char *dflt) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r != NULL ? r : dflt;
}

/* Never prompt for a passphrase: encrypted keys are refused. */
static int no_password(char *buf, int size, int rwflag, void *ud) {
    (void)buf, (void)size, (void)rwflag, (void)ud;
    return -1;
}

static int load_failed(SSL_CTX *ctx, char *err, size_t errlen, const char *fmt, const char *a,
                       const char *b) {
    snprintf(err, errlen, fmt, a, b);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return SB_EINVAL;
}

/* The certificate chain (leaf first) and key from PEM text; `cname` and
 * `kname` name them in errors. */
static int load_pem(sb_tls **out, const char *cert, size_t cert_len, const char *key,
                    size_t key_len, const char *cname, const char *kname, char *err,
                    size_t errlen) {
    *out = NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        return load_failed(ctx, err, errlen, "TLS: %s%s", ssl_reason("no context"), "");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

    BIO *bio = BIO_new_mem_buf(cert, (int)cert_len);
    X509 *leaf = bio != NULL ? PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL) : NULL;
    int ok = leaf != NULL && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    if (!ok) {
        BIO_free(bio);
        return load_failed(ctx, err, errlen, "%s: no usable PEM certificate (%s)", cname,
                           ssl_reason("unreadable"));
    }
    X509 *extra; /* intermediates, in order */
    while ((extra = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
            X509_free(extra);
            BIO_free(bio);
            return load_failed(ctx, err, errlen, "%s: bad chain certificate (%s)", cname,
                               ssl_reason("rejected"));
        }
    }
    BIO_free(bio);
    ERR_clear_error(); /* the end of the PEM text */

    bio = BIO_new_mem_buf(key, (int)key_len);
    EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
    BIO_free(bio);
    if (pkey == NULL)
        return load_failed(ctx, err, errlen,
                           "%s: no usable PEM private key (%s; encrypted keys are not supported)",
                           kname, ssl_reason("unreadable"));
    ok = SSL_CTX_use_PrivateKey(ctx, pkey) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(pkey);
    if (!ok)
        return load_failed(ctx, err, errlen,
                           "the private key in %s does not match the certificate in %s", kname,
                           cname);
    ERR_clear_error();
    sb_tls *tls = sb_calloc(1, sizeof(*tls));
    tls->ctx = ctx;
    atomic_init(&tls->refs, 1);
    *out = tls;
    return SB_OK;
}

int sb_tls_load_pem(sb_tls **out, const char *cert_pem, size_t cert_len, const char *key_pem,
                    size_t key_len, char *err, size_t errlen) {
    return load_pem(out, cert_pem, cert_len, key_pem, key_len, "certificate", "private key", err,
                    errlen);
}

/* A whole file, NUL-terminated, into *text (sb_free it); 0 or errno. */
static int read_file(const char *path, char **text, size_t *len) {
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return errno;
    char *p = sb_malloc(SB__TLS_MAX_PEM + 1);
    size_t n = fread(p, 1, SB__TLS_MAX_PEM + 1, f);
    int e = ferror(f) ? (errno ? errno : EIO) : n > SB__TLS_MAX_PEM ? EFBIG : 0;
    fclose(f);
    if (e != 0) {
        sb_free(p);
        return e;
    }
    p[n] = '\0';
    *text = p;
    *len = n;
    return 0;
}

int sb_tls_load(sb_tls **out, const char *cert_file, const char *key_file, char *err,
                size_t errlen) {
    *out = NULL;
    char *cert, *key;
    size_t cert_len, key_len;
    int e = read_file(cert_file, &cert, &cert_len);
    if (e != 0) {
        snprintf(err, errlen, "cannot read the certificate %s: %s", cert_file, strerror(e));
        return SB_EINVAL;
    }
    e = read_file(key_file, &key, &key_len);
    if (e != 0) {
        snprintf(err, errlen, "cannot read the private key %s: %s", key_file, strerror(e));
        sb_free(cert);
        return SB_EINVAL;
    }
    int rc = load_pem(out, cert, cert_len, key, key_len, cert_file, key_file, err, errlen);
    OPENSSL_cleanse(key, key_len);
    sb_free(cert);
    sb_free(key);
    return rc;
}

void sb__tls_ref(sb_tls *tls) {
    atomic_fetch_add(&tls->refs, 1);
}

void sb_tls_release(sb_tls *tls) {
    if (tls == NULL || atomic_fetch_sub(&tls->refs, 1) != 1) return;
    SSL_CTX_free(tls->ctx);
    sb_free(tls);
}

uint64_t sb_tls_failures(const sb_tls *tls) {
    return atomic_load(&((sb_tls *)tls)->failures);
}

/* One failed handshake: counted, and logged unless another was in the
 * last SB__TLS_LOG_EVERY seconds (a scanner must not flood the log). */
static void handshake_failed(sb_tls *tls, const char *remote, const char *why) {
    unsigned long long n = atomic_fetch_add(&tls->failures, 1) + 1;
    long long now = (long long)time(NULL), last = atomic_load(&tls->logged_at);
    if (last != 0 && now - last < SB__TLS_LOG_EVERY) return;
    if (!atomic_compare_exchange_strong(&tls->logged_at, &last, now)) return;
    fprintf(stderr, "switchboard: TLS handshake with %s failed: %s (%llu failed so far)\n",
            remote != NULL ? remote : "?", why, n);
}

/* ---- the engine -------------------------------------------------------------- */

sb__tls_conn *sb__tls_conn_new(sb_tls *tls) {
    ERR_clear_error();
    sb__tls_conn *t = sb_calloc(1, sizeof(*t));
    t->ssl = SSL_new(tls->ctx);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->in == NULL || t->out == NULL) sb_panic("OpenSSL: out of memory");
    BIO_set_mem_eof_return(t->in, -1); /* empty: "retry", not end of file */
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_accept_state(t->ssl);
    t->tls = tls;
    sb__tls_ref(tls);
    return t;
}

void sb__tls_conn_free(sb__tls_conn *t) {
    if (t == NULL) return;
    SSL_free(t->ssl); /* and both BIOs */
    sb_tls_release(t->tls);
    sb_free(t);
    ERR_clear_error();
}

void sb__tls_conn_feed(sb__tls_conn *t, const char *p, size_t n) {
    while (n > 0) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        if (BIO_write(t->in, p, k) != k) sb_panic("OpenSSL: out of memory");
        p += k;
        n -= (size_t)k;
    }
}

int sb__tls_conn_handshake(sb__tls_conn *t, const char *remote) {
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) return 1;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return 0;
    }
    handshake_failed(t->tls, remote, ssl_reason("protocol error"));
    return UV_EPROTO;
}

int sb__tls_conn_has_input(const sb__tls_conn *t) {
    return SSL_has_pending(t->ssl) || BIO_ctrl_pending(t->in) > 0;
}

ssize_t sb__tls_conn_read(sb__tls_conn *t, char *buf, size_t len) {
    ERR_clear_error();
    int r = SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
    if (r > 0) return r;
    int e = SSL_get_error(t->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_WANT_READ) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) return UV_EOF;
    return UV_EPROTO;
}

int sb__tls_conn_write(sb__tls_conn *t, const void *p, size_t n) {
    const char *s = p;
    ERR_clear_error();
    while (n > 0) { /* without partial writes: all of each call, or an error */
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        if (SSL_write(t->ssl, s, k) != k) {
            ERR_clear_error();
            return UV_EPROTO;
        }
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

void sb__tls_conn_close_notify(sb__tls_conn *t) {
    ERR_clear_error();
    if (!(SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)) SSL_shutdown(t->ssl);
    ERR_clear_error();
}

size_t sb__tls_conn_out_pending(const sb__tls_conn *t) {
    return BIO_ctrl_pending(t->out);
}

void sb__tls_conn_out_take(sb__tls_conn *t, char *buf, size_t n) {
    while (n > 0) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n;
        int r = BIO_read(t->out, buf, k);
        SB_ASSERT(r == k);
        buf += k;
        n -= (size_t)k;
    }
}
