/* batch.c: building batches on the loop thread.
 *
 * A batch is two allocations that grow: its ops and one byte buffer with
 * every string and body copied in, so a batch of any size costs the
 * caller no lifetime to manage.  Adders never fail: a bad argument marks
 * the batch invalid (the first reason wins) and sb_store_submit refuses
 * it, so callers check once. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "store/store-i.h"

/* Longest kind, id, key or type name (bytes). */
#define SB__STORE_NAME_MAX 1024
/* Longest body: SQLite's default SQLITE_MAX_LENGTH. */
#define SB__STORE_BODY_MAX 1000000000u

sb_store_batch *sb_store_batch_new(int64_t now) {
    sb_store_batch *b = sb_calloc(1, sizeof(*b));
    b->now = now;
    b->failed_op = -1;
    return b;
}

void sb_store_batch_free(sb_store_batch *b) {
    if (b == NULL) return;
    sb_free(b->ops);
    sb_free(b->bytes);
    sb_free(b);
}

size_t sb_store_batch_ops(const sb_store_batch *b) {
    return b->nops;
}

static void invalid(sb_store_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void invalid(sb_store_batch *b, const char *fmt, ...) {
    if (b->invalid) return;
    b->invalid = SB_EINVAL;
    int n = snprintf(b->error, sizeof(b->error), "op %zu: ", b->nops);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error + n, sizeof(b->error) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Copy n bytes (plus a NUL) into the buffer; the offset. */
static size_t copy(sb_store_batch *b, const void *p, size_t n) {
    if (b->nbytes + n + 1 > b->capbytes) {
        size_t cap = b->capbytes ? b->capbytes * 2 : 2048; /* a request's changes, mostly */
        while (cap < b->nbytes + n + 1)
            cap *= 2;
        b->bytes = sb_realloc(b->bytes, cap);
        b->capbytes = cap;
    }
    size_t off = b->nbytes;
    if (n) memcpy(b->bytes + off, p, n);
    b->bytes[off + n] = '\0';
    b->nbytes += n + 1;
    return off;
}

static sb__store_op *add(sb_store_batch *b, sb__store_op_type type, uint64_t tenant) {
    if (b->nops == b->capops) {
        b->capops = b->capops ? b->capops * 2 : 8;
        b->ops = sb_realloc(b->ops, b->capops * sizeof(*b->ops));
    }
    sb__store_op *op = &b->ops[b->nops++];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->tenant = tenant;
    return op;
}

static int check_tenant(sb_store_batch *b, uint64_t tenant) {
    if (tenant <= INT64_MAX) return 1;
    invalid(b, "tenant %llu out of range", (unsigned long long)tenant);
    return 0;
}

/* A name (kind, id, key, type): non-empty, bounded. */
static int check_name(sb_store_batch *b, const char *what, const char *s) {
    if (s == NULL || s[0] == '\0') {
        invalid(b, "empty %s", what);
        return 0;
    }
    if (strnlen(s, SB__STORE_NAME_MAX + 1) > SB__STORE_NAME_MAX) {
        invalid(b, "%s longer than %d bytes", what, SB__STORE_NAME_MAX);
        return 0;
    }
    return 1;
}

static int check_body(sb_store_batch *b, const void *body, size_t len) {
    if (len > SB__STORE_BODY_MAX) {
        invalid(b, "body of %zu bytes is too large", len);
        return 0;
    }
    if (body == NULL && len > 0) {
        invalid(b, "NULL body of %zu bytes", len);
        return 0;
    }
    return 1;
}

static void set_body(sb_store_batch *b, sb__store_op *op, const void *body, size_t len) {
    op->body = copy(b, body, len);
    op->nbody = len;
}

static void set_name(sb_store_batch *b, size_t *off, size_t *n, const char *s) {
    *n = strlen(s);
    *off = copy(b, s, *n);
}

void sb_store_batch_append(sb_store_batch *b, uint64_t tenant, uint64_t seq, int64_t at,
                           uint64_t subject, const char *type, const void *body, size_t len) {
    if (!check_tenant(b, tenant) || !check_name(b, "event type", type) || !check_body(b, body, len))
        return;
    if (seq == 0 || seq > INT64_MAX || subject > INT64_MAX) {
        invalid(b, "event seq %llu or subject %llu out of range", (unsigned long long)seq,
                (unsigned long long)subject);
        return;
    }
    sb__store_op *op = add(b, SB__OP_APPEND, tenant);
    op->a = (int64_t)seq;
    op->subject = subject;
    op->b = at;
    set_name(b, &op->s1, &op->n1, type);
    set_body(b, op, body, len);
}

static sb__store_op *doc_op(sb_store_batch *b, sb__store_op_type type, uint64_t tenant,
                            const char *kind, const char *id, int64_t expect) {
    if (!check_tenant(b, tenant) || !check_name(b, "document kind", kind) ||
        !check_name(b, "document id", id))
        return NULL;
    if (expect < SB_STORE_ANY_VERSION) {
        invalid(b, "expected version %lld out of range", (long long)expect);
        return NULL;
    }
    sb__store_op *op = add(b, type, tenant);
    op->a = expect;
    set_name(b, &op->s1, &op->n1, kind);
    set_name(b, &op->s2, &op->n2, id);
    return op;
}

void sb_store_batch_put(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                        int64_t expect, const void *body, size_t len) {
    if (!check_body(b, body, len)) return;
    sb__store_op *op = doc_op(b, SB__OP_PUT, tenant, kind, id, expect);
    if (op) set_body(b, op, body, len);
}

void sb_store_batch_set(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                        int64_t version, const void *body, size_t len) {
    if (!check_body(b, body, len)) return;
    if (version <= 0) {
        invalid(b, "version %lld must be positive", (long long)version);
        return;
    }
    sb__store_op *op = doc_op(b, SB__OP_SET, tenant, kind, id, SB_STORE_ANY_VERSION);
    if (op == NULL) return;
    op->a = version;
    set_body(b, op, body, len);
}

void sb_store_batch_delete(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                           int64_t expect) {
    doc_op(b, SB__OP_DELETE, tenant, kind, id, expect);
}

void sb_store_batch_idem(sb_store_batch *b, uint64_t tenant, const char *key, int status,
                         const void *body, size_t len) {
    if (!check_tenant(b, tenant) || !check_name(b, "idempotency key", key) ||
        !check_body(b, body, len))
        return;
    sb__store_op *op = add(b, SB__OP_IDEM, tenant);
    op->a = status;
    set_name(b, &op->s1, &op->n1, key);
    set_body(b, op, body, len);
}

static void prune(sb_store_batch *b, sb__store_op_type type, uint64_t tenant, int64_t before,
                  int64_t max) {
    if (!check_tenant(b, tenant)) return;
    if (max <= 0) {
        invalid(b, "prune bound %lld must be positive", (long long)max);
        return;
    }
    sb__store_op *op = add(b, type, tenant);
    op->a = before;
    op->b = max;
}

void sb_store_batch_prune_events(sb_store_batch *b, uint64_t tenant, int64_t before, int64_t max) {
    prune(b, SB__OP_PRUNE_EVENTS, tenant, before, max);
}

void sb_store_batch_prune_idem(sb_store_batch *b, uint64_t tenant, int64_t before, int64_t max) {
    prune(b, SB__OP_PRUNE_IDEM, tenant, before, max);
}

int64_t sb_store_batch_result(const sb_store_batch *b, size_t i) {
    return i < b->nops && b->status == SB_OK ? b->ops[i].result : 0;
}

long sb_store_batch_failed_op(const sb_store_batch *b) {
    return b->failed_op;
}

const char *sb_store_batch_error(const sb_store_batch *b) {
    return b->error;
}
