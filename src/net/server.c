/* server.c: the listener, the connection list, graceful shutdown. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "net/http-i.h"
#include "net/tls-i.h"

void sb_http_options_default(sb_http_options *o) {
    *o = (sb_http_options){
        .max_body = 1 << 20,
        .max_header = 16 << 10,
        .max_headers = 100,
        .max_connections = 1024,
        .max_pipeline = 16,
        .request_timeout_ms = 30000,
        .idle_timeout_ms = 60000,
        .linger_ms = 2000,
        .shutdown_timeout_ms = 0,
    };
}

static void fill_defaults(sb_http_options *o) {
    sb_http_options d;
    sb_http_options_default(&d);
#define SB__DEFAULT(f)                                                                             \
    if (o->f == 0) o->f = d.f
    SB__DEFAULT(max_body);
    SB__DEFAULT(max_header);
    SB__DEFAULT(max_headers);
    SB__DEFAULT(max_connections);
    SB__DEFAULT(max_pipeline);
    SB__DEFAULT(request_timeout_ms);
    SB__DEFAULT(idle_timeout_ms);
    SB__DEFAULT(linger_ms);
#undef SB__DEFAULT
}

sb_http_server *sb_http_server_new(uv_loop_t *loop, const sb_http_options *opts,
                                   sb_http_request_cb on_request, void *ud) {
    SB_ASSERT(loop != NULL && on_request != NULL);
    sb_http_server *srv = sb_calloc(1, sizeof(*srv));
    srv->loop = loop;
    if (opts != NULL) srv->opts = *opts;
    fill_defaults(&srv->opts);
    if (srv->opts.tls != NULL) sb__tls_ref(srv->opts.tls);
    srv->on_request = on_request;
    srv->ud = ud;
    sb__http_parser_settings(&srv->settings);
    int r = uv_tcp_init(loop, &srv->listener);
    SB_ASSERT(r == 0);
    r = uv_timer_init(loop, &srv->timer);
    SB_ASSERT(r == 0);
    srv->listener.data = srv;
    srv->timer.data = srv;
    srv->handles = 2;
    return srv;
}

static void on_connection(uv_stream_t *listener, int status) {
    sb_http_server *srv = listener->data;
    /* a failed accept (EMFILE...) leaves the client in the backlog */
    if (status < 0 || srv->shutting_down) return;
    sb__http_conn_accept(srv);
}

static int listen_failed(sb_http_server *srv, const char *host, int port, int r) {
    srv->failed = 1;
    snprintf(srv->error, sizeof(srv->error), "listen on %s port %d: %s", host, port,
             uv_strerror(r));
    return r == UV_EADDRINUSE ? SB_EINUSE : SB_ESTATE;
}

int sb_http_server_listen(sb_http_server *srv, const char *host, int port) {
    if (srv->listening || srv->failed || srv->shutting_down) {
        snprintf(srv->error, sizeof(srv->error), "listen: called twice or after shutdown");
        return SB_ESTATE;
    }
    struct sockaddr_storage ss;
    if (host == NULL || port < 0 || port > 65535 ||
        (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
         uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)) {
        snprintf(srv->error, sizeof(srv->error), "listen: bad address %s port %d",
                 host ? host : "(null)", port);
        return SB_EINVAL;
    }
    int r = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
    if (r != 0) return listen_failed(srv, host, port, r);
    struct sockaddr_storage bound;
    int len = (int)sizeof(bound);
    r = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
    if (r != 0) return listen_failed(srv, host, port, r);
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    srv->listening = 1;
    srv->error[0] = '\0';
    return SB_OK;
}

int sb_http_server_port(const sb_http_server *srv) {
    return srv->listening ? srv->port : 0;
}

const char *sb_http_server_error(const sb_http_server *srv) {
    return srv->error;
}

uint32_t sb_http_server_connections(const sb_http_server *srv) {
    return srv->nconns;
}

/* During shutdown: once no connection is left, close the deadline timer;
 * once every handle is closed, report and free. */
static void server_check(sb_http_server *srv);

static void handle_closed_cb(uv_handle_t *h) {
    sb_http_server *srv = h->data;
    srv->handles--;
    server_check(srv);
}

static void server_check(sb_http_server *srv) {
    if (!srv->shutting_down || srv->conns != NULL) return;
    if (!srv->timer_closing) {
        srv->timer_closing = 1;
        uv_close((uv_handle_t *)&srv->timer, handle_closed_cb);
    }
    if (srv->handles > 0) return;
    if (srv->shutdown_cb != NULL) srv->shutdown_cb(srv, srv->shutdown_ud);
    sb_tls_release(srv->opts.tls);
    sb_free(srv);
}

char *sb__http_server_buf_get(sb_http_server *srv) {
    return srv->nspare > 0 ? srv->spare[--srv->nspare] : sb_malloc(SB__HTTP_READ_SIZE);
}

void sb__http_server_buf_put(sb_http_server *srv, char *buf) {
    if (buf == NULL) return;
    if (srv->nspare < SB__HTTP_SPARE_BUFS)
        srv->spare[srv->nspare++] = buf;
    else
        sb_free(buf);
}

void sb__http_server_conn_gone(sb_http_server *srv, sb__http_conn *c) {
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    srv->nconns--;
    if (c->refused) srv->nrefused--;
    if (srv->nconns == 0) /* spares serve connections that come and go; none now */
        while (srv->nspare > 0) sb_free(srv->spare[--srv->nspare]);
    sb_free(c);
    server_check(srv);
}

static void shutdown_timer_cb(uv_timer_t *t) {
    sb_http_server *srv = t->data;
    for (sb__http_conn *c = srv->conns; c != NULL; c = c->next)
        sb__http_conn_close(c);
}

void sb_http_server_shutdown(sb_http_server *srv, sb_http_shutdown_cb cb, void *ud) {
    SB_ASSERT(!srv->shutting_down);
    srv->shutting_down = 1;
    srv->shutdown_cb = cb;
    srv->shutdown_ud = ud;
    uv_close((uv_handle_t *)&srv->listener, handle_closed_cb);
    /* closing only schedules callbacks: the list stays intact here */
    for (sb__http_conn *c = srv->conns; c != NULL; c = c->next)
        sb__http_conn_drain(c);
    if (srv->conns != NULL && srv->opts.shutdown_timeout_ms > 0)
        uv_timer_start(&srv->timer, shutdown_timer_cb, srv->opts.shutdown_timeout_ms, 0);
    server_check(srv);
}

const char *sb__http_date(sb_http_server *srv) {
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != srv->date_sec || srv->date[0] == '\0') {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(srv->date, sizeof(srv->date), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        srv->date_sec = now;
    }
    return srv->date;
}
