/* request.c: request objects, their accessors, and byte strings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "net/http-i.h"

/* ---- byte strings ------------------------------------------------------ */

static void buf_reserve(sb__http_buf *b, size_t more) {
    if (b->cap - b->len >= more) return;
    size_t cap = b->cap ? b->cap : 512; /* the response headers fit */
    while (cap - b->len < more)
        cap *= 2;
    b->p = sb_realloc(b->p, cap);
    b->cap = cap;
}

void sb__http_buf_add(sb__http_buf *b, const void *p, size_t n) {
    buf_reserve(b, n);
    if (n && p) memcpy(b->p + b->len, p, n);
    b->len += n;
}

void sb__http_buf_addf(sb__http_buf *b, const char *fmt, ...) {
    buf_reserve(b, 128); /* most fit at the first try */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    SB_ASSERT(n >= 0);
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void sb__http_buf_free(sb__http_buf *b) {
    sb_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- requests ---------------------------------------------------------- */

sb_http_request *sb__http_request_new(sb__http_conn *c) {
    sb_http_request *req = sb_calloc(1, sizeof(*req));
    req->conn = c;
    req->state = SB__REQ_PARSING;
    req->http_minor = 1;
    req->keep_alive = 1;
    req->method = HTTP_GET;
    req->peer = c->peer;
    req->tls = c->stream != NULL && sb_stream_is_tls(c->stream);
    memcpy(req->remote, c->remote, sizeof(req->remote));
    /* the target is at offset 0 even when empty */
    sb__http_buf_add(&req->text, "", 1);
    return req;
}

/* The input half is no longer needed once answered. */
static void free_input(sb_http_request *req) {
    sb__http_buf_free(&req->text);
    sb__http_buf_free(&req->body);
    sb_free(req->fields);
    req->fields = NULL;
    req->nfields = req->fields_cap = 0;
}

void sb__http_request_free(sb_http_request *req) {
    if (req == NULL) return;
    free_input(req);
    sb__http_buf_free(&req->headers);
    sb__http_buf_free(&req->out);
    sb_free(req->out_body);
    sb_free(req);
}

/* ---- accessors --------------------------------------------------------- */

const char *sb_http_request_method(const sb_http_request *req) {
    return llhttp_method_name((llhttp_method_t)req->method);
}

const char *sb_http_request_path(const sb_http_request *req) {
    if (req->path == UINT32_MAX || req->text.p == NULL) return "/";
    return req->text.p + req->path;
}

const char *sb_http_request_query(const sb_http_request *req) {
    if (req->text.p == NULL) return "";
    return req->text.p + req->query;
}

const char *sb_http_request_header(const sb_http_request *req, const char *name) {
    for (uint32_t i = 0; i < req->nfields; i++)
        if (strcasecmp(req->text.p + req->fields[i].name, name) == 0)
            return req->text.p + req->fields[i].value;
    return NULL;
}

size_t sb_http_request_header_count(const sb_http_request *req) {
    return req->nfields;
}

void sb_http_request_header_at(const sb_http_request *req, size_t i, const char **name,
                               const char **value) {
    SB_ASSERT(i < req->nfields);
    *name = req->text.p + req->fields[i].name;
    *value = req->text.p + req->fields[i].value;
}

const char *sb_http_request_body(const sb_http_request *req, size_t *len) {
    if (len) *len = req->body.len;
    return req->body.p ? req->body.p : "";
}

const char *sb_http_request_remote(const sb_http_request *req) {
    return req->remote;
}

const struct sockaddr *sb_http_request_peer(const sb_http_request *req) {
    return (const struct sockaddr *)&req->peer;
}

int sb_http_request_version_minor(const sb_http_request *req) {
    return req->http_minor;
}

int sb_http_request_is_upgrade(const sb_http_request *req) {
    return req->upgrade;
}

int sb_http_request_is_tls(const sb_http_request *req) {
    return req->tls;
}

int sb_http_request_closed(const sb_http_request *req) {
    return req->conn == NULL;
}

void sb__http_request_answered(sb_http_request *req) {
    free_input(req);
}
