/* http-i.h: the HTTP server's internal types and the functions its files
 * share (sb__http_ prefix).  Not for use outside src/net.
 *
 * Lifetimes.  A connection (sb__http_conn) owns two handles, its stream
 * (an sb_stream, plain or TLS, allocated apart so sb_http_upgrade() can
 * hand it away) and a timer; it is freed only when both close callbacks have run.  A request
 * lives from its first byte to the end of its response's write; while the
 * handler holds it, it points at its connection, and closing the
 * connection sets that pointer to NULL instead of freeing it, so a late
 * sb_http_respond() finds an orphan and frees it.  Requests sit in their
 * connection's queue in arrival order: those being written first, then
 * those answered but waiting for an earlier one, then those still with
 * the handler. */
#ifndef SB_NET_HTTP_I_H
#define SB_NET_HTTP_I_H

#include <llhttp.h>
#include <time.h>

#include "net/http.h"

/* Read buffer per busy connection; freed while the connection is idle. */
#define SB__HTTP_READ_SIZE 65536
/* Read buffers kept for reuse by the server when their connections go
 * idle (a keep-alive client between two requests): no allocation per
 * request, at most this many idle buffers held, none once no connection
 * is open. */
#define SB__HTTP_SPARE_BUFS 16

/* A growable byte string. */
typedef struct sb__http_buf {
    char *p;
    size_t len, cap;
} sb__http_buf;

/* A header field: offsets of its NUL-terminated name and value in
 * the request's text. */
typedef struct sb__http_field {
    uint32_t name, value;
} sb__http_field;

typedef struct sb__http_conn sb__http_conn;

enum sb__http_req_state {
    SB__REQ_PARSING,   /* in conn->cur */
    SB__REQ_HANDLER,   /* given to on_request, not answered */
    SB__REQ_RESPONDED, /* answered, waiting for earlier responses */
    SB__REQ_UPGRADE,   /* sb_http_upgrade() called, waiting to detach */
    SB__REQ_WRITING    /* response handed to uv_write */
};

struct sb_http_request {
    sb__http_conn *conn; /* NULL once the connection is closed */
    sb_http_request *next;
    int state;
    /* the request */
    uint8_t method, http_minor;
    unsigned keep_alive : 1, upgrade : 1, head : 1, headers_done : 1, tls : 1;
    unsigned in_field : 1, in_value : 1;
    sb__http_buf text;    /* target, then names and values, each NUL-ended */
    uint32_t path, query; /* offsets in text; path UINT32_MAX means "/" */
    sb__http_field *fields;
    uint32_t nfields, fields_cap;
    sb__http_field field; /* the one being parsed */
    sb__http_buf body;
    struct sockaddr_storage peer;
    char remote[64];
    /* the response */
    int status;
    unsigned close : 1;   /* close the connection after it */
    unsigned linger : 1;  /* ... with a lingering close */
    sb__http_buf headers; /* "Name: value\r\n" each, from the handler */
    sb__http_buf out;     /* status line and header section */
    char *out_body;
    size_t out_body_len;
    sb_stream_write_req write;
    sb_http_upgrade_cb upgrade_cb;
    void *upgrade_ud;
};

enum sb__http_timer { SB__TIMER_NONE, SB__TIMER_IDLE, SB__TIMER_REQUEST, SB__TIMER_LINGER };

struct sb__http_conn {
    sb_http_server *srv;
    sb__http_conn *prev, *next; /* the server's list */
    sb_stream *stream;          /* NULL once detached by sb_http_upgrade() */
    uv_timer_t timer;
    sb_stream_write_req cont; /* "100 Continue" */
    int handles;              /* open: stream, timer */
    int timer_mode;
    llhttp_t parser;
    char *in;               /* read buffer, SB__HTTP_READ_SIZE bytes */
    size_t in_off, in_len;  /* unparsed bytes are in[in_off, in_len) */
    sb_http_request *cur;   /* being parsed */
    sb_http_request *ready; /* just completed by the parser */
    sb_http_request *head, *tail;
    uint32_t nqueue, nwriting;
    size_t header_bytes;     /* of the request being parsed */
    int error;               /* status chosen by a parser callback */
    unsigned reading : 1;    /* uv_read_start is on */
    unsigned processing : 1; /* inside the parse loop */
    unsigned closing : 1;    /* uv_close called */
    unsigned eof : 1;        /* the client has finished sending */
    unsigned stopped : 1;    /* parse nothing more */
    unsigned draining : 1;   /* the server is shutting down */
    unsigned lingering : 1;  /* shut down for writing, discarding input */
    unsigned refused : 1;    /* over max_connections: 503 */
    unsigned cont_busy : 1;
    struct sockaddr_storage peer;
    char remote[64];
};

struct sb_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t timer; /* shutdown deadline */
    sb_http_options opts;
    sb_http_request_cb on_request;
    void *ud;
    llhttp_settings_t settings;
    sb__http_conn *conns;
    uint32_t nconns, nrefused;
    int handles; /* open: listener, timer */
    int port;
    unsigned listening : 1, failed : 1, shutting_down : 1, timer_closing : 1;
    sb_http_shutdown_cb shutdown_cb;
    void *shutdown_ud;
    char error[160];
    time_t date_sec;
    char date[40];
    char *spare[SB__HTTP_SPARE_BUFS]; /* read buffers not in use */
    int nspare;
};

/* buffers (request.c); add with p NULL grows len by n, to be filled in */
void sb__http_buf_add(sb__http_buf *b, const void *p, size_t n);
void sb__http_buf_addf(sb__http_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb__http_buf_free(sb__http_buf *b);

/* requests (request.c) */
sb_http_request *sb__http_request_new(sb__http_conn *c);
void sb__http_request_free(sb_http_request *req);
/* Free the parsed input of an answered request (the handler is done). */
void sb__http_request_answered(sb_http_request *req);

/* llhttp callbacks (parse.c) */
void sb__http_parser_settings(llhttp_settings_t *s);

/* responses (response.c): build req->out for the response, to be sent
 * with "Connection: close" when `close` is set. */
void sb__http_response_head(sb_http_request *req, int close);

/* connections (conn.c): accept one from srv's listener; close now;
 * close once what was received is answered (server shutdown); after any
 * event, parse what may be parsed and set reading and the timer; after an
 * error answer, close lingering. */
void sb__http_conn_accept(sb_http_server *srv);
void sb__http_conn_close(sb__http_conn *c);
void sb__http_conn_drain(sb__http_conn *c);
void sb__http_conn_settle(sb__http_conn *c);
void sb__http_conn_linger(sb__http_conn *c);

/* writing (write.c) */
void sb__http_conn_flush(sb__http_conn *c);
void sb__http_conn_continue(sb__http_conn *c);

/* server (server.c) */
void sb__http_server_conn_gone(sb_http_server *srv, sb__http_conn *c);
/* A read buffer (SB__HTTP_READ_SIZE bytes) from the spares or new; back. */
char *sb__http_server_buf_get(sb_http_server *srv);
void sb__http_server_buf_put(sb_http_server *srv, char *buf);
const char *sb__http_date(sb_http_server *srv);

#endif
