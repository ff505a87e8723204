/* ws-fanout.c: event-stream fan-out benchmark (build/bench-ws-fanout,
 * bench/ws.sh).
 *
 *   bench-ws-fanout http://127.0.0.1:PORT [--subscribers S] [--queues Q]
 *                   [--tenant] [--rate R] [--seconds D] [--json] ...
 *
 * Opens S WebSocket connections (default 5000) to the server's /v1/stream
 * (docs/api.md).  Subscriber i subscribes to "queue:bench-(i mod Q)"
 * (Q = 50 by default, so S/Q = 100 subscribers per queue), or with
 * --tenant to "tenant" (every subscriber gets every event).  Once every
 * subscriber has its "subscribed" answer, a producer on P keep-alive HTTP
 * connections (default 16, one request in flight each) creates
 * interactions with POST /v1/interactions {"queue":"bench-K",
 * "channel":"chat"}, K round-robin, at R/2 per second: with no agent
 * logged in, each creation makes two events (interaction.created and
 * interaction.queued), so about R events per second (default 1000) and, at
 * the defaults, R x S/Q = 100,000 deliveries per second.  The queues
 * bench-0 .. bench-(Q-1) must exist (bench/ws.sh creates them).  The first
 * --warmup seconds (2) are not measured, then --seconds (10) are.
 *
 * Latency.  Primary figure: from the moment the producer writes the
 * request that creates interaction X (CLOCK_MONOTONIC, just before
 * uv_write) to the moment a subscriber's read callback returns bytes that
 * hold an event about X (the "interaction" field; CLOCK_MONOTONIC once per
 * read callback), one sample per delivery.  Producer and subscribers are
 * in this one process, so both ends use the same clock with ns resolution
 * and no clock skew.  The id is known only from the 201, which may come
 * after the first events: deliveries of an id not yet known are kept and
 * matched once the 201 arrives, so no sample is dropped or biased.  The
 * samples are the deliveries of the interactions whose request was sent
 * inside the measured window, wherever the deliveries fall in time (the
 * tail is not cut at the end of the window).  This measures what a client
 * of the API sees: HTTP parsing, the core, the durable commit (a 2xx, and
 * presumably the event, follow the fsync), the fan-out to every
 * subscriber's socket, loopback, and this program's own loop, which
 * serves every subscriber on one thread and competes with the server for
 * the CPUs: its queueing is included, so the figure is an upper bound on
 * the server's share.  Both events of a creation are measured from the
 * same request.  The producer is paced by a 1 ms timer with at most one
 * request in flight per connection; when the server cannot keep up, the
 * creations fall behind schedule and the time they waited for a free
 * connection is not in the figure (the achieved rate is printed next to
 * the target, with a warning below 95%).
 * Secondary figure: the client's wall clock (CLOCK_REALTIME, us) at receipt
 * minus the event's "at" (server time, ms since the epoch, same machine so
 * the same clock).  It has 1 ms resolution and reads high by up to 1 ms if
 * "at" is truncated; if the server takes "at" from a loop time cached at
 * the start of a loop iteration it reads higher still.  It leaves out the
 * HTTP request before the event.  It is printed for comparison only.
 *
 * Correctness is counted as well: events must arrive in seq order on each
 * connection, never on a topic the connection did not subscribe to, each
 * subscriber that stayed open must get every event of its topic (counted
 * per seq: expected = subscribers of the event's topic that stayed open),
 * and every interaction created must have been seen by at least one
 * subscriber (when its queue had one).  The program exits 1, after
 * printing its figures, when a connection failed or was closed by the
 * server, a creation failed, or a delivery was missing, duplicated, out of
 * order or on a wrong topic; 2 for bad arguments or set-up failures.  It
 * never fails because a figure is slow.
 *
 * Limits: it raises RLIMIT_NOFILE to the hard limit itself.  The server
 * counts connections still in the HTTP phase against --max-connections
 * (default 1024; an upgraded WebSocket no longer counts), and this program
 * keeps at most --connect-concurrency (256) handshakes in flight; bench/ws.sh
 * starts the server with --max-connections S + 1024 anyway. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define PROG "bench-ws-fanout"

/* ---- options ---------------------------------------------------------- */

typedef struct opts {
    const char *url;
    char host[128]; /* for the Host header: "127.0.0.1:8080" */
    struct sockaddr_storage addr;
    const char *path;         /* /v1/stream */
    const char *prefix;       /* queue ids: prefix + index */
    uint32_t subscribers;     /* 5000 */
    uint32_t queues;          /* 50 */
    bool tenant;              /* subscribe to "tenant" instead of a queue */
    double rate;              /* target events/s: 1000 */
    uint32_t per_create;      /* events per creation: 2 */
    double seconds, warmup;   /* 10, 2 */
    uint32_t producers;       /* 16 */
    uint32_t concurrency;     /* handshakes in flight: 256 */
    double setup_timeout;     /* s: 120 */
    double drain_quiet;       /* s without a delivery that ends the drain: 2 */
    double drain_max;         /* s: 20 */
    bool json;
    int server_pid;           /* > 0: report its CPU time in the window */
    char auth[600];           /* "Authorization: Bearer T\r\n" or "" */
} opts;

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

_Noreturn static void oom(void) {
    fprintf(stderr, PROG ": out of memory\n");
    exit(2);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) oom();
    return p;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) oom();
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (p == NULL) oom();
    return p;
}

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_append(buf *b, const void *d, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n) cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void buf_consume(buf *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->p, b->p + n, b->len - n);
        b->len -= n;
    }
}

static void buf_free(buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Growable arrays of samples. */
typedef struct u64vec {
    uint64_t *v;
    size_t n, cap;
} u64vec;

static void u64_push(u64vec *a, uint64_t x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = x;
}

typedef struct i64vec {
    int64_t *v;
    size_t n, cap;
} i64vec;

static void i64_push(i64vec *a, int64_t x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = x;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array (p in 0..100). */
static double pct_u64(const uint64_t *v, size_t n, double p) {
    if (n == 0) return NAN;
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1) k = 1;
    return (double)v[k - 1];
}

static double pct_i64(const int64_t *v, size_t n, double p) {
    if (n == 0) return NAN;
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1) k = 1;
    return (double)v[k - 1];
}

/* Random bytes: the kernel's for keys, xorshift64* (seeded from the
 * kernel) for frame masks. */
static uint64_t rng_state;

static void random_bytes(void *p, size_t n) {
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = getrandom(b, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror(PROG ": getrandom");
            exit(2);
        }
        b += r;
        n -= (size_t)r;
    }
}

static uint32_t rng32(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* ---- SHA-1 and base64, for Sec-WebSocket-Key/Accept ------------------- */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    uint8_t *m = xcalloc(1, total);
    memcpy(m, msg, len);
    m[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
                   (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = rol(b, 30);
            b = a;
            a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(m);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static void base64(const uint8_t *in, size_t n, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* base64(SHA-1(key GUID)), RFC 6455 section 4.2.2. */
static void ws_accept_for(const char *key, char out[29]) {
    char cat[128];
    int n = snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    uint8_t dig[20];
    sha1((const uint8_t *)cat, (size_t)n, dig);
    base64(dig, 20, out);
}

/* ---- a flat JSON reader: the top-level members of one object ---------- */

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* Past a JSON string starting at p (at the opening quote); NULL if cut. */
static const char *skip_string(const char *p, const char *end) {
    for (p++; p < end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Past one JSON value at p; NULL if malformed or cut. */
static const char *skip_value(const char *p, const char *end) {
    if (p >= end) return NULL;
    if (*p == '"') return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = skip_string(p, end);
                if (p == NULL) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
           *p != '\r' && *p != '\t')
        p++;
    return p;
}

/* The value of top-level member `key` of the object in [p, end): its
 * bounds in *v, *vend; false if absent or the text is not an object. */
static bool json_get(const char *p, const char *end, const char *key, const char **v,
                     const char **vend) {
    size_t klen = strlen(key);
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return false;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p == '}') return false;
        if (*p != '"') return false;
        const char *ks = p + 1, *ke = skip_string(p, end);
        if (ke == NULL) return false;
        p = skip_ws(ke, end);
        if (p >= end || *p != ':') return false;
        p = skip_ws(p + 1, end);
        const char *ve = skip_value(p, end);
        if (ve == NULL) return false;
        if ((size_t)(ke - 1 - ks) == klen && memcmp(ks, key, klen) == 0) {
            *v = p;
            *vend = ve;
            return true;
        }
        p = skip_ws(ve, end);
        if (p < end && *p == ',') p++;
    }
}

/* A member that is a string (contents without quotes; no unescaping). */
static bool json_str(const char *p, const char *end, const char *key, const char **s, size_t *n) {
    const char *v, *ve;
    if (!json_get(p, end, key, &v, &ve) || *v != '"' || ve - v < 2) return false;
    *s = v + 1;
    *n = (size_t)(ve - v - 2);
    return true;
}

/* A member that is an integer, or a string of digits (ids are strings). */
static bool json_int(const char *p, const char *end, const char *key, int64_t *out) {
    const char *v, *ve;
    if (!json_get(p, end, key, &v, &ve)) return false;
    if (*v == '"') v++, ve--;
    bool neg = v < ve && *v == '-';
    if (neg) v++;
    if (v >= ve) return false;
    int64_t x = 0;
    for (; v < ve; v++) {
        if (*v < '0' || *v > '9') return false;
        x = x * 10 + (*v - '0');
    }
    *out = neg ? -x : x;
    return true;
}

static bool str_is(const char *s, size_t n, const char *lit) {
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* ---- state ------------------------------------------------------------- */

enum sub_state { SUB_IDLE, SUB_CONNECTING, SUB_UPGRADING, SUB_SUBSCRIBING, SUB_OPEN, SUB_CLOSING,
                 SUB_CLOSED };

typedef struct sub {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uint32_t idx;
    int32_t topic; /* queue index; -1 for the tenant */
    uint8_t state;
    bool handle_open;
    bool we_closed;     /* we sent a close frame first */
    bool lost;          /* closed by the server (or reset) while open */
    bool settled;       /* counted as subscribed or failed */
    bool opened;        /* got its "subscribed" */
    uint8_t msg_op;     /* opcode of the fragmented message being reassembled */
    uint16_t close_code;
    char accept[29];    /* the Sec-WebSocket-Accept we expect */
    buf in, msg;
    uint64_t last_seq;
    uint64_t delivered;      /* events with seq >= base */
    uint64_t t_start;
} sub;

typedef struct prod {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uint32_t idx;
    bool connected, busy, dead, handle_open;
    buf in;
    char req[1024];
    uint64_t send_ns;
    uint32_t queue;
} prod;

/* The producer's interactions: id -> send time, queue, seen. */
typedef struct ixrec {
    uint64_t id; /* 0: empty slot */
    uint64_t send_ns;
    uint32_t queue;
    bool seen;
} ixrec;

/* A delivery whose interaction id was not known yet when it arrived. */
typedef struct pending {
    uint64_t id, recv_ns;
    int64_t at_lat_us;
    bool has_at;
} pending;

/* Per seq (>= base): deliveries and the topic. */
typedef struct seqrec {
    uint32_t count;
    int32_t topic; /* -2: not seen */
} seqrec;

enum phase { PH_SETUP, PH_PRODUCERS, PH_RUN, PH_DRAIN, PH_CLOSING, PH_DONE };

static struct {
    opts o;
    uv_loop_t *loop;
    uv_timer_t tick;
    int phase;
    sub *subs;
    prod *prods;
    uint32_t next_sub, connecting, settled, subscribed, open_handles;
    /* failures */
    uint32_t fail_connect, fail_handshake, fail_subscribe, fail_protocol, fail_timeout;
    uint32_t lost, lost_1008, lost_1011, lost_1001, lost_1006, lost_other;
    uint64_t error_msgs, unknown_msgs, early_events;
    int first_handshake_status;
    char first_failure[512];
    /* times */
    uint64_t t_setup_start, t_setup_end, t_prod_start, t_win_start, t_win_end, t_drain_start,
        t_close_start, t_last_delivery;
    u64vec handshake_ns;
    /* producer */
    double create_rate;
    uint32_t prod_connected, prod_dead;
    uint64_t issued, created, created_window, prod_failed, max_behind;
    prod **idle;
    uint32_t nidle;
    char first_prod_failure[512];
    /* the id map */
    ixrec *ix;
    size_t ix_cap, ix_n;
    /* deliveries */
    uint64_t base;      /* first seq after every subscription */
    bool base_set;
    uint64_t delivered, delivered_base, delivered_window, events_window, out_of_order,
        wrong_topic, pre_base;
    seqrec *seqs;
    size_t nseqs;
    pending *pend;
    size_t npend, pend_cap;
    u64vec lat_ns;
    i64vec at_us;
    bool at_seen;
    uint64_t recv_ns;   /* of the read callback running */
    int64_t recv_wall_us;
    /* CPU seconds (this process; the server) at the window's ends */
    bool cpu_started, cpu_done;
    bool aborted;       /* the run stopped before the end of the window */
    uint64_t t_win_stop; /* the window's actual end */
    double cpu_self[2], cpu_server[2];
} G;

/* ---- the id map (open addressing, ids are non-zero) ------------------- */

static size_t ix_slot(uint64_t id, size_t cap) {
    uint64_t h = id * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 17) & (cap - 1);
}

static ixrec *ix_find(uint64_t id) {
    if (G.ix_cap == 0) return NULL;
    for (size_t i = ix_slot(id, G.ix_cap);; i = (i + 1) & (G.ix_cap - 1)) {
        if (G.ix[i].id == id) return &G.ix[i];
        if (G.ix[i].id == 0) return NULL;
    }
}

static ixrec *ix_put(uint64_t id) {
    if ((G.ix_n + 1) * 2 > G.ix_cap) {
        size_t cap = G.ix_cap ? G.ix_cap * 2 : 4096;
        ixrec *old = G.ix;
        size_t ocap = G.ix_cap;
        G.ix = xcalloc(cap, sizeof(ixrec));
        G.ix_cap = cap;
        for (size_t i = 0; i < ocap; i++) {
            if (old[i].id == 0) continue;
            size_t j = ix_slot(old[i].id, cap);
            while (G.ix[j].id) j = (j + 1) & (cap - 1);
            G.ix[j] = old[i];
        }
        free(old);
    }
    size_t i = ix_slot(id, G.ix_cap);
    while (G.ix[i].id && G.ix[i].id != id) i = (i + 1) & (G.ix_cap - 1);
    if (G.ix[i].id == 0) G.ix_n++;
    G.ix[i].id = id;
    return &G.ix[i];
}

/* ---- writing ------------------------------------------------------------ */

typedef struct wr {
    uv_write_t req;
    char data[];
} wr;

static void on_written(uv_write_t *req, int status) {
    (void)status; /* a failed write shows up as a read error */
    free(req);
}

/* Each write has its own request: a uv_write_t may not be reused before
 * its callback has run, which can come after the answer has been read. */
static int write_copy(uv_stream_t *st, const char *p, size_t n) {
    wr *w = xmalloc(sizeof(wr) + n);
    memcpy(w->data, p, n);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    int rc = uv_write(&w->req, st, &b, 1, on_written);
    if (rc != 0) free(w);
    return rc;
}

/* One masked client frame (RFC 6455 5.3): FIN, opcode, payload. */
static void ws_send(sub *s, int op, const char *payload, size_t n) {
    if (!s->handle_open || uv_is_closing((uv_handle_t *)&s->tcp)) return;
    char hdr[14];
    size_t h = 0;
    hdr[h++] = (char)(0x80 | op);
    if (n < 126) {
        hdr[h++] = (char)(0x80 | n);
    } else if (n < 65536) {
        hdr[h++] = (char)(0x80 | 126);
        hdr[h++] = (char)(n >> 8);
        hdr[h++] = (char)n;
    } else {
        hdr[h++] = (char)(0x80 | 127);
        for (int i = 7; i >= 0; i--) hdr[h++] = (char)((uint64_t)n >> (8 * i));
    }
    uint32_t m = rng32();
    uint8_t mask[4] = {(uint8_t)m, (uint8_t)(m >> 8), (uint8_t)(m >> 16), (uint8_t)(m >> 24)};
    memcpy(hdr + h, mask, 4);
    h += 4;
    wr *w = xmalloc(sizeof(wr) + h + n);
    memcpy(w->data, hdr, h);
    for (size_t i = 0; i < n; i++) w->data[h + i] = (char)(payload[i] ^ mask[i & 3]);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)(h + n));
    if (uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written) != 0) free(w);
}

/* ---- subscribers ------------------------------------------------------- */

static void pump(void);
static void setup_done(void);
static void begin_close(void);

static void on_sub_closed(uv_handle_t *h) {
    sub *s = h->data;
    s->handle_open = false;
    buf_free(&s->in);
    buf_free(&s->msg);
    G.open_handles--;
}

static void sub_close_handle(sub *s) {
    if (s->handle_open && !uv_is_closing((uv_handle_t *)&s->tcp))
        uv_close((uv_handle_t *)&s->tcp, on_sub_closed);
    s->state = SUB_CLOSED;
}

static void note_failure(const char *fmt, uint32_t idx, const char *what) {
    if (G.first_failure[0]) return;
    snprintf(G.first_failure, sizeof(G.first_failure), fmt, idx, what);
}

/* The subscriber is done with the set-up phase (subscribed or failed). */
static void settle(sub *s) {
    if (s->settled) return;
    s->settled = true;
    G.settled++;
    G.connecting--;
    if (G.phase == PH_SETUP) {
        if (G.settled == G.o.subscribers) setup_done();
        else pump();
    }
}

/* Failed before being subscribed. */
static void sub_fail(sub *s, uint32_t *counter, const char *what) {
    if (s->settled || s->state == SUB_CLOSED) {
        sub_close_handle(s);
        return;
    }
    (*counter)++;
    note_failure("subscriber %u: %s", s->idx, what);
    sub_close_handle(s);
    settle(s);
}

/* The server broke the protocol: counted, the connection dropped. */
static void sub_protocol_error(sub *s, const char *what) {
    if (s->state == SUB_CLOSED) return;
    G.fail_protocol++;
    note_failure("subscriber %u: %s", s->idx, what);
    sub_close_handle(s);
    settle(s);
}

/* Closed by the server (close frame `code`, or 1006: no close frame). */
static void sub_lost(sub *s, int code) {
    if (s->state == SUB_CLOSED) return;
    if (s->state < SUB_OPEN) {
        char why[96];
        snprintf(why, sizeof(why), "closed before the subscription was confirmed (code %d)", code);
        sub_fail(s, &G.fail_subscribe, why);
        return;
    }
    if (!s->we_closed && !s->lost) {
        s->lost = true;
        G.lost++;
        if (code == 1008) G.lost_1008++;
        else if (code == 1011) G.lost_1011++;
        else if (code == 1001) G.lost_1001++;
        else if (code == 1006) G.lost_1006++;
        else G.lost_other++;
        char why[64];
        snprintf(why, sizeof(why), "closed by the server with code %d", code);
        note_failure("subscriber %u: %s", s->idx, why);
    }
    sub_close_handle(s);
}

static void seq_note(uint64_t seq, int32_t topic) {
    uint64_t k = seq - G.base;
    if (k > 100000000u) {
        fprintf(stderr, PROG ": event seq %" PRIu64 " is implausibly far past %" PRIu64 "\n", seq,
                G.base);
        exit(2);
    }
    if (k >= G.nseqs) {
        size_t n = G.nseqs ? G.nseqs : 65536;
        while (n <= k) n *= 2;
        G.seqs = xrealloc(G.seqs, n * sizeof(seqrec));
        for (size_t i = G.nseqs; i < n; i++) G.seqs[i] = (seqrec){0, -2};
        G.nseqs = n;
    }
    seqrec *r = &G.seqs[k];
    if (r->count++ == 0) {
        r->topic = topic;
        if (G.recv_ns >= G.t_win_start && G.recv_ns < G.t_win_end && G.t_win_end) G.events_window++;
    }
}

static bool in_window(uint64_t t) { return G.t_win_end && t >= G.t_win_start && t < G.t_win_end; }

static void on_event(sub *s, const char *p, const char *end) {
    int64_t seq = 0, at = 0, ixid = 0;
    if (!json_int(p, end, "seq", &seq) || seq <= 0) {
        sub_protocol_error(s, "an event without a positive seq");
        return;
    }
    if (s->state != SUB_OPEN && s->state != SUB_CLOSING) {
        G.early_events++; /* before "subscribed": not counted */
        return;
    }
    if ((uint64_t)seq <= s->last_seq) G.out_of_order++;
    else s->last_seq = (uint64_t)seq;
    G.delivered++;
    G.t_last_delivery = G.recv_ns;
    if (in_window(G.recv_ns)) G.delivered_window++;
    /* The topic: the event's queue must be the subscriber's. */
    const char *q;
    size_t qn;
    if (s->topic >= 0 && json_str(p, end, "queue", &q, &qn)) {
        size_t pl = strlen(G.o.prefix);
        int64_t k = -1;
        if (qn > pl && memcmp(q, G.o.prefix, pl) == 0) {
            k = 0;
            for (size_t i = pl; i < qn; i++) {
                if (q[i] < '0' || q[i] > '9') {
                    k = -1;
                    break;
                }
                k = k * 10 + (q[i] - '0');
            }
        }
        if (k != s->topic) G.wrong_topic++;
    }
    if (!G.base_set || (uint64_t)seq < G.base) {
        G.pre_base++;
    } else {
        s->delivered++;
        G.delivered_base++;
        seq_note((uint64_t)seq, s->topic);
    }
    bool has_at = json_int(p, end, "at", &at);
    int64_t at_lat = has_at ? G.recv_wall_us - at * 1000 : 0;
    if (has_at) G.at_seen = true;
    if (!json_int(p, end, "interaction", &ixid) || ixid <= 0) return;
    ixrec *r = ix_find((uint64_t)ixid);
    if (r) {
        r->seen = true;
        if (in_window(r->send_ns)) {
            u64_push(&G.lat_ns, G.recv_ns - r->send_ns);
            if (has_at) i64_push(&G.at_us, at_lat);
        }
    } else {
        if (G.npend == G.pend_cap) {
            G.pend_cap = G.pend_cap ? G.pend_cap * 2 : 4096;
            G.pend = xrealloc(G.pend, G.pend_cap * sizeof(pending));
        }
        G.pend[G.npend++] = (pending){(uint64_t)ixid, G.recv_ns, at_lat, has_at};
    }
}

static void on_message(sub *s, const char *p, size_t n) {
    const char *end = p + n, *t;
    size_t tn;
    if (!json_str(p, end, "type", &t, &tn)) {
        G.unknown_msgs++;
        return;
    }
    if (str_is(t, tn, "event")) {
        on_event(s, p, end);
    } else if (str_is(t, tn, "subscribed")) {
        int64_t seq = 0;
        json_int(p, end, "seq", &seq);
        if (s->state != SUB_SUBSCRIBING) return; /* only one subscribe is sent */
        s->state = SUB_OPEN;
        s->opened = true;
        if (!G.base_set && (uint64_t)seq + 1 > G.base) G.base = (uint64_t)seq + 1;
        u64_push(&G.handshake_ns, G.recv_ns - s->t_start);
        G.subscribed++;
        settle(s);
    } else if (str_is(t, tn, "error")) {
        G.error_msgs++;
        if (s->state == SUB_SUBSCRIBING) {
            char why[300];
            snprintf(why, sizeof(why), "subscribe answered with an error: %.*s",
                     (int)(n > 250 ? 250 : n), p);
            sub_fail(s, &G.fail_subscribe, why);
        } else {
            note_failure("subscriber %u: %s", s->idx, "an error message from the server");
        }
    } else {
        G.unknown_msgs++;
    }
}

/* Frames in s->in (RFC 6455 5.2); server frames are never masked. */
static void ws_frames(sub *s) {
    size_t off = 0;
    while (s->state != SUB_CLOSED) {
        const uint8_t *p = (const uint8_t *)s->in.p + off;
        size_t avail = s->in.len - off;
        if (avail < 2) break;
        bool fin = p[0] & 0x80;
        int op = p[0] & 0x0f;
        uint64_t len = p[1] & 0x7f;
        size_t h = 2;
        if ((p[0] & 0x70) || (p[1] & 0x80)) {
            sub_protocol_error(s, "a masked frame or reserved bits from the server");
            return;
        }
        if (len == 126) {
            if (avail < 4) break;
            len = (uint64_t)p[2] << 8 | p[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
            h = 10;
        }
        if (len > (16u << 20)) {
            sub_protocol_error(s, "a frame over 16 MiB");
            return;
        }
        if (avail < h + len) break;
        const char *pl = (const char *)p + h;
        off += h + (size_t)len;
        switch (op) {
        case 0x0: /* continuation */
        case 0x1: /* text */
        case 0x2: /* binary */
            if (op == 0x0 && s->msg_op == 0) goto bad;
            if (op != 0x0 && s->msg_op != 0) goto bad;
            if (op != 0x0) s->msg_op = (uint8_t)op;
            if (fin && s->msg.len == 0) {
                if (s->msg_op == 0x1) on_message(s, pl, (size_t)len);
                else G.unknown_msgs++;
                s->msg_op = 0;
            } else {
                buf_append(&s->msg, pl, (size_t)len);
                if (fin) {
                    if (s->msg_op == 0x1) on_message(s, s->msg.p, s->msg.len);
                    else G.unknown_msgs++;
                    s->msg.len = 0;
                    s->msg_op = 0;
                }
            }
            break;
        case 0x8: { /* close */
            int code = len >= 2 ? ((uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 1005;
            s->close_code = (uint16_t)code;
            if (!s->we_closed) {
                char c[2] = {(char)(code >> 8), (char)code};
                ws_send(s, 0x8, c, len >= 2 ? 2 : 0);
                sub_lost(s, code);
            } else {
                sub_close_handle(s);
            }
            break;
        }
        case 0x9: /* ping */
            ws_send(s, 0xA, pl, (size_t)len);
            break;
        case 0xA: /* pong */
            break;
        default:
        bad:
            sub_protocol_error(s, "an unexpected frame opcode or fragment");
            return;
        }
    }
    if (s->state != SUB_CLOSED) buf_consume(&s->in, off);
}

/* The 101 answer to the upgrade request, in s->in. */
static void ws_upgrade_answer(sub *s) {
    char *end = memmem(s->in.p, s->in.len, "\r\n\r\n", 4);
    if (end == NULL) {
        if (s->in.len > 16384) sub_fail(s, &G.fail_handshake, "upgrade answer header over 16 KiB");
        return;
    }
    size_t hlen = (size_t)(end - s->in.p) + 4;
    int status = 0;
    if (s->in.len < 12 || sscanf(s->in.p, "HTTP/1.1 %3d", &status) != 1 || status != 101) {
        if (!G.first_handshake_status) G.first_handshake_status = status;
        char why[300];
        snprintf(why, sizeof(why), "upgrade answered %d: %.*s", status,
                 (int)(s->in.len > 200 ? 200 : s->in.len), s->in.p);
        for (char *c = why; *c; c++)
            if (*c == '\r' || *c == '\n') *c = ' ';
        sub_fail(s, &G.fail_handshake, why);
        return;
    }
    /* Upgrade: websocket and the right Sec-WebSocket-Accept. */
    bool upgrade = false, accept = false;
    for (char *line = memmem(s->in.p, hlen, "\r\n", 2) + 2; line < end;) {
        char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
        char *colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            size_t nl = (size_t)(colon - line), vl = (size_t)(ve - v);
            if (nl == 7 && !strncasecmp(line, "upgrade", 7) && vl == 9 &&
                !strncasecmp(v, "websocket", 9))
                upgrade = true;
            if (nl == 20 && !strncasecmp(line, "sec-websocket-accept", 20) && vl == 28 &&
                !memcmp(v, s->accept, 28))
                accept = true;
        }
        line = eol + 2;
    }
    if (!upgrade || !accept) {
        sub_fail(s, &G.fail_handshake,
                 !upgrade ? "101 without Upgrade: websocket" : "wrong Sec-WebSocket-Accept");
        return;
    }
    buf_consume(&s->in, hlen);
    s->state = SUB_SUBSCRIBING;
    char m[256];
    int n;
    if (s->topic < 0)
        n = snprintf(m, sizeof(m), "{\"type\":\"subscribe\",\"topics\":[\"tenant\"]}");
    else
        n = snprintf(m, sizeof(m), "{\"type\":\"subscribe\",\"topics\":[\"queue:%s%d\"]}",
                     G.o.prefix, s->topic);
    ws_send(s, 0x1, m, (size_t)n);
    if (s->in.len) ws_frames(s);
}

static char readbuf[1 << 16];

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *b) {
    (void)h;
    (void)size;
    *b = uv_buf_init(readbuf, sizeof(readbuf));
}

static void on_sub_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b) {
    sub *s = st->data;
    if (nread == 0) return;
    G.recv_ns = now_ns();
    G.recv_wall_us = wall_us();
    if (nread < 0) {
        if (s->state == SUB_CLOSING || s->we_closed) {
            sub_close_handle(s);
        } else if (s->state < SUB_SUBSCRIBING) {
            char why[128];
            snprintf(why, sizeof(why), "connection ended during the upgrade: %s",
                     uv_strerror((int)nread));
            sub_fail(s, &G.fail_handshake, why);
        } else {
            sub_lost(s, 1006);
        }
        return;
    }
    buf_append(&s->in, b->base, (size_t)nread);
    if (s->state == SUB_UPGRADING) ws_upgrade_answer(s);
    else if (s->state != SUB_CLOSED) ws_frames(s);
}

static void on_sub_connect(uv_connect_t *req, int status) {
    sub *s = req->data;
    if (status < 0) {
        char why[128];
        snprintf(why, sizeof(why), "connect: %s", uv_strerror(status));
        sub_fail(s, &G.fail_connect, why);
        return;
    }
    uint8_t raw[16];
    char key[25];
    random_bytes(raw, sizeof(raw));
    base64(raw, sizeof(raw), key);
    ws_accept_for(key, s->accept);
    char req_text[1024];
    int n = snprintf(req_text, sizeof(req_text),
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     G.o.path, G.o.host, key, G.o.auth);
    s->state = SUB_UPGRADING;
    write_copy((uv_stream_t *)&s->tcp, req_text, (size_t)n);
    int rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_sub_read);
    if (rc) {
        char why[128];
        snprintf(why, sizeof(why), "read: %s", uv_strerror(rc));
        sub_fail(s, &G.fail_connect, why);
    }
}

static void sub_start(sub *s) {
    s->t_start = now_ns();
    s->state = SUB_CONNECTING;
    G.connecting++;
    uv_tcp_init(G.loop, &s->tcp);
    s->tcp.data = s;
    s->handle_open = true;
    G.open_handles++;
    uv_tcp_nodelay(&s->tcp, 1);
    s->creq.data = s;
    int rc = uv_tcp_connect(&s->creq, &s->tcp, (struct sockaddr *)&G.o.addr, on_sub_connect);
    if (rc) {
        char why[128];
        snprintf(why, sizeof(why), "connect: %s", uv_strerror(rc));
        sub_fail(s, &G.fail_connect, why);
    }
}

/* Start connections while fewer than --connect-concurrency are in flight. */
static void pump(void) {
    while (G.phase == PH_SETUP && G.next_sub < G.o.subscribers &&
           G.connecting < G.o.concurrency) {
        sub_start(&G.subs[G.next_sub++]);
    }
}

/* ---- the producer ------------------------------------------------------- */

static void prod_fail(prod *p, const char *what) {
    G.prod_failed++;
    if (!G.first_prod_failure[0])
        snprintf(G.first_prod_failure, sizeof(G.first_prod_failure), "producer %u: %s", p->idx,
                 what);
}

static void on_prod_closed(uv_handle_t *h) {
    prod *p = h->data;
    p->handle_open = false;
    buf_free(&p->in);
    G.open_handles--;
}

static void prod_dead(prod *p, const char *what) {
    if (!p->dead) {
        p->dead = true;
        G.prod_dead++;
        if (p->busy || G.phase < PH_DRAIN) prod_fail(p, what);
        p->busy = false;
    }
    if (p->handle_open && !uv_is_closing((uv_handle_t *)&p->tcp))
        uv_close((uv_handle_t *)&p->tcp, on_prod_closed);
}

static void prod_send(prod *p) {
    uint32_t q = (uint32_t)(G.issued % G.o.queues);
    char body[160];
    int n = snprintf(body, sizeof(body), "{\"queue\":\"%s%u\",\"channel\":\"chat\"}", G.o.prefix, q);
    int hn = snprintf(p->req, sizeof(p->req),
                      "POST /v1/interactions HTTP/1.1\r\nHost: %s\r\n%s"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%.*s",
                      G.o.host, G.o.auth, n, n, body);
    p->queue = q;
    p->busy = true;
    G.issued++;
    p->send_ns = now_ns();
    int rc = write_copy((uv_stream_t *)&p->tcp, p->req, (size_t)hn);
    if (rc) prod_dead(p, uv_strerror(rc));
}

static uint64_t creations_due(uint64_t now) {
    if (G.phase != PH_RUN) return 0;
    uint64_t due = (uint64_t)((double)(now - G.t_prod_start) / 1e9 * G.create_rate) + 1;
    return due > G.issued ? due - G.issued : 0;
}

static void dispatch(uint64_t now) {
    uint64_t due = creations_due(now);
    while (due > 0 && G.nidle > 0) {
        prod *p = G.idle[--G.nidle];
        if (p->dead) continue;
        prod_send(p);
        due--;
    }
    if (due > G.max_behind) G.max_behind = due;
}

/* One response in p->in, if complete: handled and consumed; true if so. */
static bool prod_response(prod *p) {
    char *hend = memmem(p->in.p, p->in.len, "\r\n\r\n", 4);
    if (hend == NULL) {
        if (p->in.len > 65536) prod_dead(p, "response header over 64 KiB");
        return false;
    }
    size_t hlen = (size_t)(hend - p->in.p) + 4;
    int status = 0;
    if (sscanf(p->in.p, "HTTP/1.1 %3d", &status) != 1) {
        prod_dead(p, "not an HTTP/1.1 response");
        return false;
    }
    long clen = -1;
    bool close_after = false;
    for (char *line = memmem(p->in.p, hlen, "\r\n", 2) + 2; line < hend;) {
        char *eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
        if (!strncasecmp(line, "content-length:", 15)) clen = strtol(line + 15, NULL, 10);
        if (!strncasecmp(line, "transfer-encoding:", 18)) {
            prod_dead(p, "a chunked response (not supported here)");
            return false;
        }
        if (!strncasecmp(line, "connection:", 11) && memmem(line, (size_t)(eol - line), "close", 5))
            close_after = true;
        line = eol + 2;
    }
    if (clen < 0) {
        prod_dead(p, "a response without Content-Length");
        return false;
    }
    if (p->in.len < hlen + (size_t)clen) return false;
    const char *body = p->in.p + hlen, *bend = body + clen;
    p->busy = false;
    if (status == 201) {
        int64_t id = 0;
        if (json_int(body, bend, "id", &id) && id > 0) {
            ixrec *r = ix_put((uint64_t)id);
            r->send_ns = p->send_ns;
            r->queue = p->queue;
            G.created++;
            if (in_window(p->send_ns)) G.created_window++;
        } else {
            prod_fail(p, "a 201 without an interaction id");
        }
    } else {
        char why[400];
        snprintf(why, sizeof(why), "POST /v1/interactions answered %d: %.*s", status,
                 (int)(clen > 300 ? 300 : clen), body);
        prod_fail(p, why);
    }
    buf_consume(&p->in, hlen + (size_t)clen);
    if (close_after) {
        prod_dead(p, "the server closed the connection");
        return false;
    }
    return true;
}

static void on_prod_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b) {
    prod *p = st->data;
    if (nread == 0) return;
    if (nread < 0) {
        prod_dead(p, nread == UV_EOF ? "connection closed by the server" : uv_strerror((int)nread));
        return;
    }
    if (!p->busy) {
        prod_dead(p, "bytes from the server with no request in flight");
        return;
    }
    buf_append(&p->in, b->base, (size_t)nread);
    while (!p->dead && p->busy && p->in.len && prod_response(p)) {
    }
    if (p->dead || p->busy) return;
    if (creations_due(now_ns()) > 0) prod_send(p);
    else G.idle[G.nidle++] = p;
}

static void start_run(void);

static void on_prod_connect(uv_connect_t *req, int status) {
    prod *p = req->data;
    if (status < 0) {
        prod_dead(p, uv_strerror(status));
        fprintf(stderr, PROG ": producer connection failed: %s\n", uv_strerror(status));
        begin_close();
        return;
    }
    p->connected = true;
    uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_prod_read);
    G.idle[G.nidle++] = p;
    if (++G.prod_connected == G.o.producers) start_run();
}

static void connect_producers(void) {
    G.phase = PH_PRODUCERS;
    for (uint32_t i = 0; i < G.o.producers; i++) {
        prod *p = &G.prods[i];
        p->idx = i;
        uv_tcp_init(G.loop, &p->tcp);
        p->tcp.data = p;
        p->handle_open = true;
        G.open_handles++;
        uv_tcp_nodelay(&p->tcp, 1);
        p->creq.data = p;
        int rc = uv_tcp_connect(&p->creq, &p->tcp, (struct sockaddr *)&G.o.addr, on_prod_connect);
        if (rc) {
            prod_dead(p, uv_strerror(rc));
            begin_close();
            return;
        }
    }
}

/* ---- CPU time ------------------------------------------------------------ */

static double cpu_self_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* user + system seconds of process `pid` from /proc; NAN if unreadable. */
static double cpu_pid_s(int pid) {
    if (pid <= 0) return NAN;
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return NAN;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')'); /* the command name may hold spaces */
    unsigned long long ut, st;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                            &st) != 2)
        return NAN;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void cpu_mark(int k) {
    G.cpu_self[k] = cpu_self_s();
    G.cpu_server[k] = cpu_pid_s(G.o.server_pid);
}

/* ---- phases ------------------------------------------------------------- */

static void setup_done(void) {
    if (G.phase != PH_SETUP) return;
    G.t_setup_end = now_ns();
    if (G.subscribed == 0) {
        fprintf(stderr, PROG ": no subscriber could subscribe\n");
        begin_close();
        return;
    }
    G.base_set = true;
    if (G.base == 0) G.base = 1;
    fprintf(stderr, PROG ": %u of %u subscribed in %.2f s; producing for %.1f + %.1f s\n",
            G.subscribed, G.o.subscribers, (double)(G.t_setup_end - G.t_setup_start) / 1e9,
            G.o.warmup, G.o.seconds);
    connect_producers();
}

static void start_run(void) {
    G.phase = PH_RUN;
    G.t_prod_start = now_ns();
    G.t_win_start = G.t_prod_start + (uint64_t)(G.o.warmup * 1e9);
    G.t_win_end = G.t_win_start + (uint64_t)(G.o.seconds * 1e9);
    dispatch(G.t_prod_start);
}

static void begin_close(void) {
    if (G.phase >= PH_CLOSING) return;
    if (G.phase == PH_RUN) { /* cut short */
        G.aborted = true;
        G.t_win_stop = now_ns();
    }
    G.phase = PH_CLOSING;
    G.t_close_start = now_ns();
    for (uint32_t i = 0; i < G.o.subscribers; i++) {
        sub *s = &G.subs[i];
        if (s->state == SUB_OPEN || s->state == SUB_SUBSCRIBING) {
            s->we_closed = true;
            s->state = SUB_CLOSING;
            ws_send(s, 0x8, "\x03\xe8", 2); /* 1000 */
        } else if (s->state != SUB_CLOSED && s->state != SUB_CLOSING) {
            if (s->state != SUB_IDLE && !s->settled) {
                G.fail_timeout++;
                note_failure("subscriber %u: %s", s->idx, "not subscribed before the set-up timeout");
                s->settled = true;
            }
            sub_close_handle(s);
        }
    }
    for (uint32_t i = 0; i < G.o.producers; i++) {
        prod *p = &G.prods[i];
        if (p->handle_open) {
            p->dead = true;
            if (!uv_is_closing((uv_handle_t *)&p->tcp))
                uv_close((uv_handle_t *)&p->tcp, on_prod_closed);
        }
    }
}

static void on_tick(uv_timer_t *t) {
    uint64_t now = now_ns();
    switch (G.phase) {
    case PH_SETUP:
        if ((double)(now - G.t_setup_start) > G.o.setup_timeout * 1e9) {
            fprintf(stderr, PROG ": set-up timeout: %u of %u subscribed\n", G.subscribed,
                    G.o.subscribers);
            /* The ones still in flight count as failed. */
            for (uint32_t i = 0; i < G.o.subscribers; i++) {
                sub *s = &G.subs[i];
                if (!s->settled && s->state != SUB_IDLE) {
                    G.fail_timeout++;
                    note_failure("subscriber %u: %s", s->idx,
                                 "not subscribed before the set-up timeout");
                    sub_close_handle(s);
                    s->settled = true;
                    G.settled++;
                    G.connecting--;
                }
            }
            if (G.next_sub < G.o.subscribers) {
                G.fail_timeout += G.o.subscribers - G.next_sub;
                G.next_sub = G.o.subscribers;
            }
            setup_done();
        }
        break;
    case PH_PRODUCERS:
        if ((double)(now - G.t_setup_end) > 10e9) {
            fprintf(stderr, PROG ": the producer connections did not connect within 10 s\n");
            begin_close();
        }
        break;
    case PH_RUN:
        if (!G.cpu_started && now >= G.t_win_start) {
            cpu_mark(0);
            G.cpu_started = true;
        }
        if (now >= G.t_win_end) {
            cpu_mark(1);
            G.cpu_done = true;
            G.t_win_stop = G.t_win_end;
            G.phase = PH_DRAIN;
            G.t_drain_start = now;
            break;
        }
        if (G.prod_dead == G.o.producers) {
            fprintf(stderr, PROG ": every producer connection is gone\n");
            begin_close();
            break;
        }
        dispatch(now);
        break;
    case PH_DRAIN: {
        bool busy = false;
        for (uint32_t i = 0; i < G.o.producers; i++) busy |= G.prods[i].busy && !G.prods[i].dead;
        uint64_t last = G.t_last_delivery > G.t_drain_start ? G.t_last_delivery : G.t_drain_start;
        if ((!busy && (double)(now - last) > G.o.drain_quiet * 1e9) ||
            (double)(now - G.t_drain_start) > G.o.drain_max * 1e9)
            begin_close();
        break;
    }
    case PH_CLOSING:
        if (G.open_handles == 0 || (double)(now - G.t_close_start) > 5e9) {
            for (uint32_t i = 0; i < G.o.subscribers; i++) sub_close_handle(&G.subs[i]);
            G.phase = PH_DONE;
            uv_close((uv_handle_t *)t, NULL);
        }
        break;
    default:
        break;
    }
}

/* ---- results ------------------------------------------------------------ */

typedef struct result {
    uint32_t alive, failed;
    double win_s, deliveries_per_s, events_per_s, created_per_s, target_create_per_s;
    uint64_t expected, received_alive, missing, never_delivered, ids_checked;
    double p50, p99, p999, max;           /* ms */
    double at_p50, at_p99, at_p999;       /* ms */
    double hs_p50, hs_p99, setup_s;       /* ms, ms, s */
    size_t samples, at_samples;
    double cpu_client, cpu_server; /* share of one CPU in the window */
    bool behind;                   /* the producer missed its rate by over 5% */
    bool ok;
} result;

static void compute(result *r) {
    memset(r, 0, sizeof(*r));
    /* Deliveries held back for an id unknown at the time. */
    for (size_t i = 0; i < G.npend; i++) {
        ixrec *x = ix_find(G.pend[i].id);
        if (x == NULL) continue; /* not one of ours */
        x->seen = true;
        if (in_window(x->send_ns)) {
            u64_push(&G.lat_ns, G.pend[i].recv_ns - x->send_ns);
            if (G.pend[i].has_at) i64_push(&G.at_us, G.pend[i].at_lat_us);
        }
    }
    uint32_t nq = G.o.queues;
    uint32_t *alive_q = xcalloc(nq + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < G.o.subscribers; i++) {
        sub *s = &G.subs[i];
        bool ok = s->opened && s->we_closed && !s->lost; /* open until we closed it */
        if (!ok) continue;
        r->alive++;
        r->received_alive += s->delivered;
        alive_q[s->topic < 0 ? nq : (uint32_t)s->topic]++;
    }
    for (size_t k = 0; k < G.nseqs; k++) {
        seqrec *x = &G.seqs[k];
        if (x->count == 0) continue;
        r->expected += G.o.tenant ? r->alive : alive_q[x->topic < 0 ? nq : (uint32_t)x->topic];
    }
    r->missing = r->expected > r->received_alive ? r->expected - r->received_alive : 0;
    for (size_t i = 0; i < G.ix_cap; i++) {
        ixrec *x = &G.ix[i];
        if (x->id == 0) continue;
        if (!G.o.tenant && alive_q[x->queue] == 0) continue;
        if (G.o.tenant && r->alive == 0) continue;
        r->ids_checked++;
        if (!x->seen) r->never_delivered++;
    }
    free(alive_q);
    r->failed = G.fail_connect + G.fail_handshake + G.fail_subscribe + G.fail_timeout;
    r->win_s = G.t_win_stop > G.t_win_start ? (double)(G.t_win_stop - G.t_win_start) / 1e9 : NAN;
    r->deliveries_per_s = (double)G.delivered_window / r->win_s;
    r->events_per_s = (double)G.events_window / r->win_s;
    r->created_per_s = (double)G.created_window / r->win_s;
    r->target_create_per_s = G.create_rate;
    r->samples = G.lat_ns.n;
    qsort(G.lat_ns.v, G.lat_ns.n, sizeof(uint64_t), cmp_u64);
    r->p50 = pct_u64(G.lat_ns.v, G.lat_ns.n, 50) / 1e6;
    r->p99 = pct_u64(G.lat_ns.v, G.lat_ns.n, 99) / 1e6;
    r->p999 = pct_u64(G.lat_ns.v, G.lat_ns.n, 99.9) / 1e6;
    r->max = pct_u64(G.lat_ns.v, G.lat_ns.n, 100) / 1e6;
    r->at_samples = G.at_us.n;
    qsort(G.at_us.v, G.at_us.n, sizeof(int64_t), cmp_i64);
    r->at_p50 = pct_i64(G.at_us.v, G.at_us.n, 50) / 1e3;
    r->at_p99 = pct_i64(G.at_us.v, G.at_us.n, 99) / 1e3;
    r->at_p999 = pct_i64(G.at_us.v, G.at_us.n, 99.9) / 1e3;
    qsort(G.handshake_ns.v, G.handshake_ns.n, sizeof(uint64_t), cmp_u64);
    r->hs_p50 = pct_u64(G.handshake_ns.v, G.handshake_ns.n, 50) / 1e6;
    r->hs_p99 = pct_u64(G.handshake_ns.v, G.handshake_ns.n, 99) / 1e6;
    r->setup_s = (double)(G.t_setup_end - G.t_setup_start) / 1e9;
    r->cpu_client = r->cpu_server = NAN;
    if (G.cpu_done) {
        r->cpu_client = (G.cpu_self[1] - G.cpu_self[0]) / r->win_s;
        r->cpu_server = (G.cpu_server[1] - G.cpu_server[0]) / r->win_s;
    }
    r->behind = r->created_per_s < 0.95 * r->target_create_per_s;
    r->ok = G.t_win_end && r->failed == 0 && G.lost == 0 && G.fail_protocol == 0 &&
            G.prod_failed == 0 && r->missing == 0 && r->never_delivered == 0 &&
            G.out_of_order == 0 && G.wrong_topic == 0 && G.error_msgs == 0 && G.created > 0 &&
            !G.aborted;
}

/* JSON numbers: NaN (no samples) as null. */
static void jnum(const char *key, double v, int prec, bool comma) {
    if (isnan(v)) printf("\"%s\":null%s", key, comma ? "," : "");
    else printf("\"%s\":%.*f%s", key, prec, v, comma ? "," : "");
}

static void print_json(const result *r) {
    const opts *o = &G.o;
    printf("{\"benchmark\":\"ws-fanout\",\"url\":\"%s\",\"subscribers\":%u,\"queues\":%u,"
           "\"tenant\":%s,\"rate_events_per_s\":%.1f,\"events_per_creation\":%u,"
           "\"creations_per_s_target\":%.1f,\"seconds\":%.3f,\"warmup\":%.3f,\"producers\":%u,",
           o->url, o->subscribers, o->queues, o->tenant ? "true" : "false", o->rate,
           o->per_create, r->target_create_per_s, o->seconds, o->warmup, o->producers);
    printf("\"subscribed\":%u,\"failed\":%u,\"failed_connect\":%u,\"failed_handshake\":%u,"
           "\"failed_subscribe\":%u,\"failed_timeout\":%u,\"protocol_errors\":%u,"
           "\"closed_by_server\":%u,\"closed_1008\":%u,\"closed_1011\":%u,\"closed_1001\":%u,"
           "\"closed_1006\":%u,\"closed_other\":%u,",
           G.subscribed, r->failed, G.fail_connect, G.fail_handshake, G.fail_subscribe,
           G.fail_timeout, G.fail_protocol, G.lost, G.lost_1008, G.lost_1011, G.lost_1001,
           G.lost_1006, G.lost_other);
    printf("\"setup_s\":%.3f,", r->setup_s);
    jnum("handshake_p50_ms", r->hs_p50, 3, true);
    jnum("handshake_p99_ms", r->hs_p99, 3, true);
    printf("\"created\":%" PRIu64 ",\"created_in_window\":%" PRIu64 ",", G.created,
           G.created_window);
    jnum("created_per_s", r->created_per_s, 1, true);
    printf("\"producer_failed\":%" PRIu64 ",\"producer_max_behind\":%" PRIu64 ",", G.prod_failed,
           G.max_behind);
    printf("\"producer_behind\":%s,\"aborted\":%s,", r->behind ? "true" : "false",
           G.aborted ? "true" : "false");
    jnum("window_s", r->win_s, 3, true);
    jnum("cpu_client", r->cpu_client, 3, true);
    jnum("cpu_server", r->cpu_server, 3, true);
    jnum("events_per_s", r->events_per_s, 1, true);
    jnum("deliveries_per_s", r->deliveries_per_s, 1, true);
    printf("\"delivered\":%" PRIu64 ",\"delivered_in_window\":%" PRIu64
           ",\"expected\":%" PRIu64 ",\"received_by_open\":%" PRIu64
           ",\"missing\":%" PRIu64 ",\"out_of_order\":%" PRIu64 ",\"wrong_topic\":%" PRIu64
           ",\"never_delivered\":%" PRIu64 ",\"error_messages\":%" PRIu64 ",",
           G.delivered, G.delivered_window, r->expected,
           r->received_alive, r->missing, G.out_of_order, G.wrong_topic, r->never_delivered,
           G.error_msgs);
    printf("\"latency_scope\":\"producer request sent -> event read by a subscriber, same "
           "process, CLOCK_MONOTONIC; deliveries of interactions requested in the window\","
           "\"latency_samples\":%zu,",
           r->samples);
    jnum("latency_p50_ms", r->p50, 3, true);
    jnum("latency_p99_ms", r->p99, 3, true);
    jnum("latency_p999_ms", r->p999, 3, true);
    jnum("latency_max_ms", r->max, 3, true);
    printf("\"at_latency_samples\":%zu,", r->at_samples);
    jnum("at_latency_p50_ms", r->at_p50, 3, true);
    jnum("at_latency_p99_ms", r->at_p99, 3, true);
    jnum("at_latency_p999_ms", r->at_p999, 3, true);
    printf("\"unknown_messages\":%" PRIu64 ",\"events_before_subscribed\":%" PRIu64
           ",\"events_before_base\":%" PRIu64 ",",
           G.unknown_msgs, G.early_events, G.pre_base);
    printf("\"ok\":%s}\n", r->ok ? "true" : "false");
}

static void print_human(const result *r) {
    const opts *o = &G.o;
    if (o->tenant)
        printf("ws-fanout: %u subscribers on topic \"tenant\"", o->subscribers);
    else
        printf("ws-fanout: %u subscribers on %u queues (%s0..%s%u, %.1f per queue)", o->subscribers,
               o->queues, o->prefix, o->prefix, o->queues - 1, (double)o->subscribers / o->queues);
    printf("; producer: %.1f creations/s (target %.0f events/s at %u per creation) on %u "
           "connections; %.1f s measured after %.1f s warm-up\n",
           r->target_create_per_s, o->rate, o->per_create, o->producers, o->seconds, o->warmup);
    printf("  connections  %u subscribed in %.2f s (handshake+subscribe p50 %.1f ms, p99 %.1f ms); "
           "failed %u (connect %u, handshake %u, subscribe %u, timeout %u); protocol errors %u\n",
           G.subscribed, r->setup_s, r->hs_p50, r->hs_p99, r->failed, G.fail_connect,
           G.fail_handshake, G.fail_subscribe, G.fail_timeout, G.fail_protocol);
    printf("  closed by the server during the run: %u (1008 slow consumer %u, 1011 %u, 1001 %u, "
           "no close frame %u, other %u)\n",
           G.lost, G.lost_1008, G.lost_1011, G.lost_1001, G.lost_1006, G.lost_other);
    printf("  producer     %" PRIu64 " created in the window (%.1f/s of %.1f/s), %" PRIu64
           " in all; %" PRIu64 " failed; at most %" PRIu64 " creations behind schedule\n",
           G.created_window, r->created_per_s, r->target_create_per_s, G.created, G.prod_failed,
           G.max_behind);
    if (G.aborted)
        printf("  ABORTED      the run stopped %.2f s into the %.1f s window: rates are over that "
               "part, and the figures are partial\n",
               isnan(r->win_s) ? 0.0 : r->win_s, G.o.seconds);
    if (r->behind)
        printf("  WARNING      the producer reached %.1f of %.1f creations/s: the server (or this "
               "machine) did not take the offered load; latency starts at the actual send, so it "
               "leaves out the time creations waited for a free producer connection\n",
               r->created_per_s, r->target_create_per_s);
    printf("  events       %.1f/s distinct in the window\n", r->events_per_s);
    printf("  deliveries   %" PRIu64 " in the window: %.0f/s; %" PRIu64 " in all\n",
           G.delivered_window, r->deliveries_per_s, G.delivered);
    printf("  checks       expected %" PRIu64 " to the %u subscribers open to the end, received %" PRIu64
           ", missing %" PRIu64 "; out of order %" PRIu64 "; wrong topic %" PRIu64
           "; created but never delivered %" PRIu64 " of %" PRIu64 "; error messages %" PRIu64 "\n",
           r->expected, r->alive, r->received_alive, r->missing, G.out_of_order, G.wrong_topic,
           r->never_delivered, r->ids_checked, G.error_msgs);
    printf("  latency      request sent -> delivered: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max "
           "%.2f ms (%zu deliveries)\n",
           r->p50, r->p99, r->p999, r->max, r->samples);
    if (isnan(r->cpu_client))
        printf("  cpu          n/a (the window did not run to its end)\n");
    else if (isnan(r->cpu_server))
        printf("  cpu          in the window, share of one CPU: this client %.2f, the server n/a "
               "(no --server-pid)\n",
               r->cpu_client);
    else
        printf("  cpu          in the window, share of one CPU: this client %.2f, the server %.2f\n",
               r->cpu_client, r->cpu_server);
    if (r->at_samples)
        printf("  latency (at) event \"at\" -> delivered (1 ms resolution): p50 %.2f ms, p99 %.2f "
               "ms, p99.9 %.2f ms\n",
               r->at_p50, r->at_p99, r->at_p999);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: " PROG " URL [options]\n"
            "  URL: http://127.0.0.1:PORT (an IP literal; [::1] for IPv6)\n"
            "  --subscribers S          WebSocket subscribers (5000)\n"
            "  --queues Q               queues PREFIX0..PREFIX(Q-1), one per subscriber round-robin (50)\n"
            "  --tenant                 every subscriber subscribes to \"tenant\" instead\n"
            "  --rate R                 events per second to produce (1000)\n"
            "  --events-per-creation K  events one creation makes (2: created, queued)\n"
            "  --seconds D              measured seconds (10)\n"
            "  --warmup W               seconds of production before measuring (2)\n"
            "  --producers P            producer HTTP connections (16)\n"
            "  --connect-concurrency C  handshakes in flight at once (256)\n"
            "  --setup-timeout T        seconds for every subscriber to subscribe (120)\n"
            "  --prefix P               queue id prefix (bench-)\n"
            "  --path P                 stream path (/v1/stream)\n"
            "  --server-pid PID         report the server's CPU time in the window (/proc)\n"
            "  --token T                send \"Authorization: Bearer T\" (upgrades, creations)\n"
            "  --json                   one JSON object on stdout instead of text\n"
            "Exit status: 0 all delivered, 1 a failure counted (printed), 2 bad use or set-up.\n");
}

static bool parse_url(opts *o) {
    const char *u = o->url;
    if (!strncmp(u, "http://", 7)) u += 7;
    char host[100];
    const char *colon;
    if (*u == '[') {
        const char *rb = strchr(u, ']');
        if (rb == NULL || rb[1] != ':' || (size_t)(rb - u - 1) >= sizeof(host)) return false;
        memcpy(host, u + 1, (size_t)(rb - u - 1));
        host[rb - u - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = strchr(u, ':');
        if (colon == NULL || (size_t)(colon - u) >= sizeof(host)) return false;
        memcpy(host, u, (size_t)(colon - u));
        host[colon - u] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (port <= 0 || port > 65535 || (*end && strcmp(end, "/"))) return false;
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&o->addr) == 0) {
        snprintf(o->host, sizeof(o->host), "%s:%ld", host, port);
    } else if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&o->addr) == 0) {
        snprintf(o->host, sizeof(o->host), "[%s]:%ld", host, port);
    } else {
        return false;
    }
    return true;
}

static bool parse_num(const char *s, double lo, double hi, double *out) {
    char *end;
    if (s == NULL || *s == '\0') return false;
    double v = strtod(s, &end);
    if (*end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

static void raise_nofile(uint64_t need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        fprintf(stderr,
                PROG ": need %" PRIu64 " file descriptors, the limit is %llu (hard limit %llu)\n",
                need, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
        exit(2);
    }
}

int main(int argc, char **argv) {
    opts *o = &G.o;
    *o = (opts){.path = "/v1/stream",
                .prefix = "bench-",
                .subscribers = 5000,
                .queues = 50,
                .rate = 1000,
                .per_create = 2,
                .seconds = 10,
                .warmup = 2,
                .producers = 16,
                .concurrency = 256,
                .setup_timeout = 120,
                .drain_quiet = 2,
                .drain_max = 20};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--tenant")) {
            o->tenant = true;
        } else if (!strcmp(a, "--subscribers") && parse_num(v, 1, 1000000, &x)) {
            o->subscribers = (uint32_t)x, i++;
        } else if (!strcmp(a, "--queues") && parse_num(v, 1, 100000, &x)) {
            o->queues = (uint32_t)x, i++;
        } else if (!strcmp(a, "--rate") && parse_num(v, 0.001, 1e7, &x)) {
            o->rate = x, i++;
        } else if (!strcmp(a, "--events-per-creation") && parse_num(v, 1, 100, &x)) {
            o->per_create = (uint32_t)x, i++;
        } else if (!strcmp(a, "--seconds") && parse_num(v, 0.1, 86400, &x)) {
            o->seconds = x, i++;
        } else if (!strcmp(a, "--warmup") && parse_num(v, 0, 3600, &x)) {
            o->warmup = x, i++;
        } else if (!strcmp(a, "--producers") && parse_num(v, 1, 10000, &x)) {
            o->producers = (uint32_t)x, i++;
        } else if (!strcmp(a, "--connect-concurrency") && parse_num(v, 1, 100000, &x)) {
            o->concurrency = (uint32_t)x, i++;
        } else if (!strcmp(a, "--setup-timeout") && parse_num(v, 1, 86400, &x)) {
            o->setup_timeout = x, i++;
        } else if (!strcmp(a, "--token") && v && *v && strlen(v) < 500 && !strpbrk(v, "\r\n")) {
            snprintf(o->auth, sizeof(o->auth), "Authorization: Bearer %s\r\n", v), i++;
        } else if (!strcmp(a, "--server-pid") && parse_num(v, 1, 1e9, &x)) {
            o->server_pid = (int)x, i++;
        } else if (!strcmp(a, "--prefix") && v && strlen(v) < 60) {
            o->prefix = v, i++;
        } else if (!strcmp(a, "--path") && v && v[0] == '/' && strlen(v) < 200) {
            o->path = v, i++;
        } else if (a[0] != '-' && o->url == NULL) {
            o->url = a;
        } else {
            fprintf(stderr, PROG ": bad argument: %s%s%s\n", a, v ? " " : "", v ? v : "");
            usage(stderr);
            return 2;
        }
    }
    if (o->url == NULL || !parse_url(o)) {
        fprintf(stderr, PROG ": want the server's URL, http://IP:PORT\n");
        usage(stderr);
        return 2;
    }
    raise_nofile((uint64_t)o->subscribers + o->producers + 64);
    random_bytes(&rng_state, sizeof(rng_state));
    rng_state |= 1;
    G.create_rate = o->rate / o->per_create;
    G.loop = uv_default_loop();
    G.subs = xcalloc(o->subscribers, sizeof(sub));
    G.prods = xcalloc(o->producers, sizeof(prod));
    G.idle = xcalloc(o->producers, sizeof(prod *));
    for (uint32_t i = 0; i < o->subscribers; i++) {
        G.subs[i].idx = i;
        G.subs[i].topic = o->tenant ? -1 : (int32_t)(i % o->queues);
    }
    uv_timer_init(G.loop, &G.tick);
    uv_timer_start(&G.tick, on_tick, 1, 1);
    G.phase = PH_SETUP;
    G.t_setup_start = now_ns();
    pump();
    uv_run(G.loop, UV_RUN_DEFAULT);

    if (G.first_failure[0]) fprintf(stderr, PROG ": first failure: %s\n", G.first_failure);
    if (G.first_prod_failure[0])
        fprintf(stderr, PROG ": first producer failure: %s\n", G.first_prod_failure);
    if (G.t_win_end == 0) {
        fprintf(stderr, PROG ": no measurement (set-up failed)\n");
        return 2;
    }
    result r;
    compute(&r);
    if (o->json) print_json(&r);
    else print_human(&r);
    if (!r.ok) {
        fprintf(stderr, PROG ": FAILED:%s connections failed %u, closed by the server %u, protocol "
                        "errors %u, producer failures %" PRIu64 ", missing %" PRIu64
                        ", out of order %" PRIu64 ", wrong topic %" PRIu64
                        ", never delivered %" PRIu64 ", error messages %" PRIu64 "\n",
                G.aborted ? " run aborted;" : "", r.failed, G.lost, G.fail_protocol, G.prod_failed, r.missing, G.out_of_order,
                G.wrong_topic, r.never_delivered, G.error_msgs);
        return 1;
    }
    return 0;
}
