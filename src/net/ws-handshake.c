/* ws-handshake.c: the WebSocket opening handshake (RFC 6455 section 4.2):
 * checking the client's request and computing Sec-WebSocket-Accept.
 *
 * SHA-1 is here rather than taken from libcrypto: the handshake is its
 * only use (not a security one: it only proves the server speaks
 * WebSocket), and 60 lines cost less than a library to link. */
#include <string.h>
#include <strings.h>

#include "net/ws.h"

/* ---- SHA-1 (FIPS 180-4) ------------------------------------------------- */

static uint32_t rol32(uint32_t x, int n) {
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5A827999u;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ED9EBA1u;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
        else
            f = b ^ c ^ d, k = 0xCA62C1D6u;
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

static void sha1(const void *data, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    const unsigned char *p = data;
    size_t n = len;
    for (; n >= 64; p += 64, n -= 64)
        sha1_block(h, p);
    /* the tail, 0x80, zeros, the length in bits (big-endian): 1 or 2 blocks */
    unsigned char last[128] = {0};
    memcpy(last, p, n);
    last[n] = 0x80;
    size_t total = n + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        last[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha1_block(h, last);
    if (total == 128) sha1_block(h, last + 64);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (unsigned char)(h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(h[i] >> 8);
        out[4 * i + 3] = (unsigned char)h[i];
    }
}

/* ---- base64 --------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sb_ws_accept_key(const char *key, char out[29]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char text[128];
    size_t klen = strnlen(key, sizeof(text) - sizeof(guid));
    memcpy(text, key, klen);
    memcpy(text + klen, guid, sizeof(guid) - 1);
    unsigned char d[21] = {0}; /* one zero byte past the digest for the last group */
    sha1(text, klen + sizeof(guid) - 1, d);
    char *o = out;
    for (int i = 0; i < 21; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = b64[v >> 6 & 63];
        *o++ = b64[v & 63];
    }
    out[27] = '='; /* 20 bytes: the last group holds two */
    out[28] = '\0';
}

/* A Sec-WebSocket-Key must decode to 16 bytes: 22 base64 characters and "==". */
static int key_valid(const char *key) {
    if (key == NULL || strlen(key) != 24 || strcmp(key + 22, "==") != 0) return 0;
    for (int i = 0; i < 22; i++)
        if (key[i] == '\0' || strchr(b64, key[i]) == NULL) return 0;
    return 1;
}

/* ---- the request ---------------------------------------------------------- */

/* Does some header field `name` hold `token` in its comma-separated list
 * (compared without regard to case)? */
static int has_token(const sb_http_request *req, const char *name, const char *token) {
    size_t tlen = strlen(token);
    for (size_t i = 0, n = sb_http_request_header_count(req); i < n; i++) {
        const char *fname, *value;
        sb_http_request_header_at(req, i, &fname, &value);
        if (strcasecmp(fname, name) != 0) continue;
        for (const char *s = value; *s;) {
            while (*s == ' ' || *s == '\t' || *s == ',')
                s++;
            const char *end = s;
            while (*end && *end != ',')
                end++;
            const char *e = end;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if ((size_t)(e - s) == tlen && strncasecmp(s, token, tlen) == 0) return 1;
            s = end;
        }
    }
    return 0;
}

int sb_ws_handshake_check(const sb_http_request *req, const char **why) {
    const char *reason = NULL;
    int status = 400;
    const char *version = sb_http_request_header(req, "sec-websocket-version");
    if (strcmp(sb_http_request_method(req), "GET") != 0)
        reason = "a WebSocket handshake is a GET";
    else if (sb_http_request_version_minor(req) < 1)
        reason = "a WebSocket handshake needs HTTP/1.1";
    else if (!has_token(req, "upgrade", "websocket"))
        reason = "no \"Upgrade: websocket\"";
    else if (!has_token(req, "connection", "upgrade") || !sb_http_request_is_upgrade(req))
        reason = "no \"Connection: upgrade\"";
    else if (version == NULL || strcmp(version, "13") != 0)
        reason = "only Sec-WebSocket-Version 13 is supported", status = 426;
    else if (!key_valid(sb_http_request_header(req, "sec-websocket-key")))
        reason = "Sec-WebSocket-Key must be 16 bytes in base64";
    if (why != NULL) *why = reason != NULL ? reason : "";
    return reason != NULL ? status : 0;
}
