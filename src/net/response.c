/* response.c: answering a request, the response head, upgrades. */
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http-i.h"

const char *sb_http_status_text(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* RFC 9110 token characters. */
static int is_token(const char *s) {
    if (*s == '\0') return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= '0' && ch <= '9') continue;
        if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') continue;
        if (strchr("!#$%&'*+-.^_`|~", ch) == NULL) return 0;
    }
    return 1;
}

/* Visible characters, blanks and obs-text; no controls (CR, LF above all). */
static int is_field_value(const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return 0;
    }
    return 1;
}

int sb_http_response_header(sb_http_request *req, const char *name, const char *value) {
    SB_ASSERT(req->state == SB__REQ_HANDLER);
    if (!is_token(name) || !is_field_value(value)) return SB_EINVAL;
    if (strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0)
        return SB_EINVAL;
    if (strcasecmp(name, "connection") == 0) {
        /* the server writes Connection itself; "close" is a wish */
        if (strcasecmp(value, "close") == 0) req->close = 1;
        return SB_OK;
    }
    size_t n = strlen(name), v = strlen(value);
    sb__http_buf *h = &req->headers;
    sb__http_buf_add(h, NULL, n + v + 4); /* one reservation: then fill it in */
    char *p = h->p + h->len - (n + v + 4);
    memcpy(p, name, n);
    memcpy(p + n, ": ", 2);
    memcpy(p + n + 2, value, v);
    memcpy(p + n + 2 + v, "\r\n", 2);
    return SB_OK;
}

void sb_http_respond(sb_http_request *req, int status, const char *content_type, const void *body,
                     size_t len) {
    SB_ASSERT(status >= 200 && status <= 599);
    SB_ASSERT(req->state == SB__REQ_HANDLER);
    SB_ASSERT(body != NULL || len == 0);
    SB_ASSERT(len < UINT32_MAX); /* one uv_buf_t */
    if (req->conn == NULL) {     /* the client is gone: nobody to tell */
        sb__http_request_free(req);
        return;
    }
    req->status = status;
    if (status == 204 || status == 304) len = 0;
    if (content_type != NULL && len > 0 && is_field_value(content_type))
        sb_http_response_header(req, "Content-Type", content_type);
    req->out_body_len = len;
    if (len > 0 && !req->head) {
        req->out_body = sb_malloc(len);
        memcpy(req->out_body, body, len);
    }
    if (req->upgrade) req->close = req->linger = 1; /* the rest is not HTTP */
    /* only now: body and content_type may point into the request */
    sb__http_request_answered(req);
    req->state = SB__REQ_RESPONDED;
    sb__http_conn_flush(req->conn);
}

void sb__http_response_head(sb_http_request *req, int close) {
    sb__http_conn *c = req->conn;
    sb__http_buf *o = &req->out;
    o->len = 0;
    sb__http_buf_addf(o, "HTTP/1.1 %d %s\r\nDate: %s\r\n", req->status,
                      sb_http_status_text(req->status), sb__http_date(c->srv));
    /* RFC 9110 8.6: none in a 204; in a 304 it would describe the
     * representation not sent, which the server does not know */
    if (req->status != 204 && req->status != 304)
        sb__http_buf_addf(o, "Content-Length: %zu\r\n", req->out_body_len);
    if (close)
        sb__http_buf_add(o, "Connection: close\r\n", 19);
    else if (req->http_minor == 0)
        sb__http_buf_add(o, "Connection: keep-alive\r\n", 24);
    sb__http_buf_add(o, req->headers.p, req->headers.len);
    sb__http_buf_add(o, "\r\n", 2);
}

int sb_http_upgrade(sb_http_request *req, sb_http_upgrade_cb cb, void *ud) {
    SB_ASSERT(req->state == SB__REQ_HANDLER);
    if (!req->upgrade) return SB_EINVAL;
    req->upgrade_cb = cb;
    req->upgrade_ud = ud;
    if (req->conn == NULL) {
        cb(req, NULL, NULL, 0, ud);
        sb__http_request_free(req);
        return SB_OK;
    }
    req->state = SB__REQ_UPGRADE;
    sb__http_conn_flush(req->conn);
    return SB_OK;
}
