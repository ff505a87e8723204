/* parse.c: llhttp callbacks that build a request and enforce the limits.
 *
 * The callbacks run inside llhttp_execute() (conn.c).  They copy the
 * target, header names and values into the request's text, NUL after
 * each, and the body into its body buffer.  A limit hit stores the answer
 * in conn->error and returns -1, which stops the parser; the connection
 * then answers with that status.  A finished message is left in
 * conn->ready and the parser paused, so the handler runs outside llhttp. */
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "net/http-i.h"

static sb__http_conn *conn_of(llhttp_t *p) {
    return p->data;
}

static int refuse(sb__http_conn *c, int status) {
    c->error = status;
    return -1;
}

/* Count header-section bytes; over the limit is a 431. */
static int count(sb__http_conn *c, size_t n) {
    c->header_bytes += n;
    return c->header_bytes > c->srv->opts.max_header ? refuse(c, 431) : 0;
}

static int on_message_begin(llhttp_t *p) {
    sb__http_conn *c = conn_of(p);
    SB_ASSERT(c->cur == NULL);
    c->cur = sb__http_request_new(c);
    c->header_bytes = 0;
    c->error = 0;
    return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n) {
    sb__http_conn *c = conn_of(p);
    c->header_bytes += n;
    if (c->header_bytes > c->srv->opts.max_header) return refuse(c, 414);
    /* overwrite the NUL put there by sb__http_request_new */
    c->cur->text.len--;
    sb__http_buf_add(&c->cur->text, at, n);
    sb__http_buf_add(&c->cur->text, "", 1);
    return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n) {
    sb__http_conn *c = conn_of(p);
    sb_http_request *req = c->cur;
    if (count(c, n)) return -1;
    if (req->headers_done) return 0; /* a trailer: counted, not kept */
    if (!req->in_field) {
        if (req->nfields >= c->srv->opts.max_headers) return refuse(c, 431);
        if (count(c, 4)) return -1; /* ": " and CRLF */
        req->in_field = 1;
        req->field.name = (uint32_t)req->text.len;
    }
    sb__http_buf_add(&req->text, at, n);
    return 0;
}

static int on_header_field_complete(llhttp_t *p) {
    sb__http_conn *c = conn_of(p);
    sb_http_request *req = c->cur;
    if (req->headers_done) return 0;
    /* a name is a token, never empty; llhttp 8 lets ": x" through */
    if (!req->in_field || req->text.len == req->field.name) return refuse(c, 400);
    sb__http_buf_add(&req->text, "", 1);
    req->in_field = 0;
    req->in_value = 0;
    req->field.value = (uint32_t)req->text.len;
    return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n) {
    sb__http_conn *c = conn_of(p);
    if (count(c, n)) return -1;
    if (c->cur->headers_done) return 0;
    c->cur->in_value = 1;
    sb__http_buf_add(&c->cur->text, at, n);
    return 0;
}

static int on_header_value_complete(llhttp_t *p) {
    sb_http_request *req = conn_of(p)->cur;
    if (req->headers_done) return 0;
    /* llhttp drops leading blanks; trailing ones are ours to drop */
    while (req->text.len > req->field.value &&
           (req->text.p[req->text.len - 1] == ' ' || req->text.p[req->text.len - 1] == '\t'))
        req->text.len--;
    sb__http_buf_add(&req->text, "", 1);
    if (req->nfields == req->fields_cap) {
        req->fields_cap = req->fields_cap ? req->fields_cap * 2 : 8;
        req->fields = sb_realloc(req->fields, req->fields_cap * sizeof(*req->fields));
    }
    req->fields[req->nfields++] = req->field;
    req->in_value = 0;
    return 0;
}

/* Split the target into path and query, in place. */
static void split_target(sb_http_request *req) {
    char *t = req->text.p;
    size_t n = strlen(t);
    char *hash = strchr(t, '#');
    if (hash) *hash = '\0', n = (size_t)(hash - t);
    char *q = strchr(t, '?');
    req->query = q ? (uint32_t)(q - t + 1) : (uint32_t)n;
    if (q) *q = '\0';
    req->path = 0;
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        char *slash = strchr(strstr(t, "//") + 2, '/');
        req->path = slash ? (uint32_t)(slash - t) : UINT32_MAX;
    }
}

/* Every Transfer-Encoding field must be exactly "chunked": llhttp
 * de-chunks, and no other coding is supported. */
static int transfer_coding_ok(const sb_http_request *req) {
    for (uint32_t i = 0; i < req->nfields; i++) {
        if (strcasecmp(req->text.p + req->fields[i].name, "transfer-encoding") != 0) continue;
        if (strcasecmp(req->text.p + req->fields[i].value, "chunked") != 0) return 0;
    }
    return 1;
}

static int on_headers_complete(llhttp_t *p) {
    sb__http_conn *c = conn_of(p);
    sb_http_request *req = c->cur;
    const sb_http_options *o = &c->srv->opts;
    req->headers_done = 1;
    req->method = p->method;
    req->http_minor = p->http_minor;
    if (p->http_major != 1) return refuse(c, 505);
    split_target(req);
    if ((p->flags & F_TRANSFER_ENCODING) && !transfer_coding_ok(req)) return refuse(c, 501);
    if ((p->flags & F_CONTENT_LENGTH) && !(p->flags & F_TRANSFER_ENCODING)) {
        if (p->content_length > o->max_body) return refuse(c, 413);
        req->body.p = sb_malloc((size_t)p->content_length + 1);
        req->body.cap = (size_t)p->content_length + 1;
    }
    req->keep_alive = llhttp_should_keep_alive(p) != 0;
    req->upgrade = p->upgrade != 0;
    req->head = p->method == HTTP_HEAD;
    const char *expect = sb_http_request_header(req, "expect");
    if (expect != NULL) {
        if (strcasecmp(expect, "100-continue") != 0) return refuse(c, 417);
        int body = (p->flags & F_CHUNKED) || p->content_length > 0;
        if (body && p->http_minor >= 1) sb__http_conn_continue(c);
    }
    return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n) {
    sb__http_conn *c = conn_of(p);
    sb_http_request *req = c->cur;
    if (n > c->srv->opts.max_body - req->body.len) return refuse(c, 413);
    sb__http_buf_add(&req->body, at, n);
    return 0;
}

static int on_message_complete(llhttp_t *p) {
    sb__http_conn *c = conn_of(p);
    sb_http_request *req = c->cur;
    /* NUL-terminate without counting it */
    sb__http_buf_add(&req->body, "", 1);
    req->body.len--;
    c->cur = NULL;
    c->ready = req;
    /* an upgrade makes llhttp return HPE_PAUSED_UPGRADE by itself */
    return p->upgrade ? 0 : HPE_PAUSED;
}

void sb__http_parser_settings(llhttp_settings_t *s) {
    llhttp_settings_init(s);
    s->on_message_begin = on_message_begin;
    s->on_url = on_url;
    s->on_header_field = on_header_field;
    s->on_header_field_complete = on_header_field_complete;
    s->on_header_value = on_header_value;
    s->on_header_value_complete = on_header_value_complete;
    s->on_headers_complete = on_headers_complete;
    s->on_body = on_body;
    s->on_message_complete = on_message_complete;
}
