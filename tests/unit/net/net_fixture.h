/* net_fixture.h: what the loop-thread tests of src/net share.
 *
 * Each test file runs a uv loop on its own thread and a blocking client
 * on the test thread.  Its fixture type `fx` must have: `uv_async_t
 * async`, `pthread_mutex_t mu`, `pthread_cond_t cv`, `fx_fn fn`, `void
 * *arg`, `int done` and `atomic_int errors`; NET_FIXTURE_CALL() then
 * defines async_cb() (to give the async handle) and fx_call(). */
#ifndef SB_TESTS_UNIT_NET_NET_FIXTURE_H
#define SB_TESTS_UNIT_NET_NET_FIXTURE_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uv.h>

/* cmocka's assertions belong to the test thread; the loop thread counts. */
#define LOOP_CHECK(f, cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: loop-thread check failed: %s\n", __FILE__, __LINE__, #cond);   \
            atomic_fetch_add(&(f)->errors, 1);                                                     \
        }                                                                                          \
    } while (0)

static inline struct timespec deadline_in(int ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
    return t;
}

static inline uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}


/* ---- the blocking client's socket (test thread) ---------------------- */

/* A loopback TCP connection to port, with send and receive timeouts of
 * timeout_ms and TCP_NODELAY; rcvbuf > 0 shrinks the receive buffer first.
 * -1 when it cannot connect. */
static inline int net_connect(int port, int rcvbuf, int timeout_ms) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Close fd; with `reset`, abortively (RST instead of FIN). */
static inline void net_close(int fd, int reset) {
    if (reset) {
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    close(fd);
}

/* Send all n bytes: 0, or -1 on an error or a timeout. */
static inline int net_send_all(int fd, const void *p, size_t n) {
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The value of header `name` in a response head (the status line and
 * header lines, "\r\n"-terminated), or NULL; a static buffer. */
static inline const char *net_header(const char *head, const char *name) {
    static char value[512];
    size_t n = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) != 0 || line[2 + n] != ':') continue;
        const char *v = line + 3 + n, *end = strstr(v, "\r\n");
        while (*v == ' ') v++;
        snprintf(value, sizeof(value), "%.*s", (int)(end - v), v);
        return value;
    }
    return NULL;
}

/* A response head at the start of buf[0..len): 0 while incomplete, -1
 * when malformed or not under head_size; else its length, with the head
 * copied into head (NUL-terminated), its status into *status and its
 * Content-Length into *clen (0 when absent). */
static inline long net_head(const void *buf, size_t len, char *head, size_t head_size, int *status,
                            size_t *clen) {
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL) return len + 1 >= head_size ? -1 : 0;
    size_t n = (size_t)(end + 4 - (const char *)buf);
    if (n >= head_size) return -1;
    memcpy(head, buf, n);
    head[n] = '\0';
    if (sscanf(head, "HTTP/1.1 %d", status) != 1) return -1;
    const char *cl = net_header(head, "content-length");
    *clen = cl ? strtoul(cl, NULL, 10) : 0;
    return (long)n;
}

/* async_cb() runs the pending fn on the loop thread; fx_call(f, fn, arg)
 * runs fn(f, arg) there and waits for it (at most TIMEOUT_MS). */
#define NET_FIXTURE_CALL() \
static void async_cb(uv_async_t *a) {                                                             \
    fx *f = a->data;                                                                              \
    pthread_mutex_lock(&f->mu);                                                                   \
    fx_fn fn = f->fn;                                                                             \
    void *arg = f->arg;                                                                           \
    pthread_mutex_unlock(&f->mu);                                                                 \
    if (fn == NULL) return;                                                                       \
    fn(f, arg);                                                                                   \
    pthread_mutex_lock(&f->mu);                                                                   \
    f->fn = NULL;                                                                                 \
    f->done = 1;                                                                                  \
    pthread_cond_broadcast(&f->cv);                                                               \
    pthread_mutex_unlock(&f->mu);                                                                 \
}                                                                                                 \
                                                                                                  \
/* Run fn(f, arg) on the loop thread and wait for it. */                                          \
static void fx_call(fx *f, fx_fn fn, void *arg) {                                                 \
    pthread_mutex_lock(&f->mu);                                                                   \
    f->fn = fn;                                                                                   \
    f->arg = arg;                                                                                 \
    f->done = 0;                                                                                  \
    pthread_mutex_unlock(&f->mu);                                                                 \
    uv_async_send(&f->async);                                                                     \
    struct timespec dl = deadline_in(TIMEOUT_MS);                                                 \
    pthread_mutex_lock(&f->mu);                                                                   \
    while (!f->done)                                                                              \
        if (pthread_cond_timedwait(&f->cv, &f->mu, &dl) == ETIMEDOUT) break;                      \
    int done = f->done;                                                                           \
    pthread_mutex_unlock(&f->mu);                                                                 \
    assert_true(done);                                                                            \
}                                                                                                 

#endif
