/* writer.c: the writer thread and group commit.
 *
 * The thread sleeps until batches are pending, takes ALL of them, and
 * commits them in one transaction: one fsync however many batches (group
 * commit).  A batch that a check could refuse (version mismatch, sequence
 * not growing, idempotency key taken) runs inside a savepoint, so that it
 * is rolled back alone while its neighbours commit; the others (most: an
 * interaction's events and documents) need none.  A failure of the
 * storage itself (or of COMMIT) rolls the whole transaction back and every
 * batch in it gets SB_STORE_EIO: nothing of any of them is applied.
 *
 * Finished batches go, in the order they were taken, to the done list, and
 * a uv_async_t wakes the loop, whose callback (sb__store_deliver) runs the
 * completion callbacks in submission order. */
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "base/mem.h"
#include "store/store-i.h"

const char *const sb__store_wsql[SB__W_COUNT] = {
    [SB__W_BEGIN] = "BEGIN IMMEDIATE",
    [SB__W_COMMIT] = "COMMIT",
    [SB__W_ROLLBACK] = "ROLLBACK",
    [SB__W_SAVEPOINT] = "SAVEPOINT batch",
    [SB__W_RELEASE] = "RELEASE batch",
    [SB__W_ROLLBACK_TO] = "ROLLBACK TO batch",
    [SB__W_EV_LAST] = "SELECT max(seq) FROM events WHERE tenant = ?1",
    [SB__W_EV_INSERT] = "INSERT INTO events (tenant, seq, at, type, body, subject)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SB__W_EV_SCAN] = "SELECT seq, at FROM events WHERE tenant = ?1 AND seq < ?2"
                      " ORDER BY seq LIMIT ?3",
    [SB__W_EV_DELETE] = "DELETE FROM events WHERE tenant = ?1 AND seq <= ?2",
    [SB__W_DOC_VERSION] = "SELECT version FROM documents"
                          " WHERE tenant = ?1 AND kind = ?2 AND id = ?3",
    [SB__W_DOC_UPSERT] = "INSERT INTO documents (tenant, kind, id, version, updated_at, body)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                         " ON CONFLICT (tenant, kind, id) DO UPDATE SET"
                         " version = excluded.version, updated_at = excluded.updated_at,"
                         " body = excluded.body",
    /* a put without a version check: one statement */
    [SB__W_DOC_BUMP] = "INSERT INTO documents (tenant, kind, id, version, updated_at, body)"
                       " VALUES (?1, ?2, ?3, 1, ?4, ?5)"
                       " ON CONFLICT (tenant, kind, id) DO UPDATE SET"
                       " version = version + 1, updated_at = excluded.updated_at,"
                       " body = excluded.body RETURNING version",
    [SB__W_DOC_DELETE] = "DELETE FROM documents WHERE tenant = ?1 AND kind = ?2 AND id = ?3",
    [SB__W_IDEM_INSERT] = "INSERT INTO idempotency (tenant, key, created_at, status, body)"
                          " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    [SB__W_IDEM_PRUNE] = "DELETE FROM idempotency WHERE tenant = ?1 AND key IN"
                         " (SELECT key FROM idempotency WHERE tenant = ?1 AND created_at < ?2"
                         " ORDER BY created_at LIMIT ?3)",
};

const uint64_t SB_STORE_COMMIT_BOUNDS_US[SB_STORE_COMMIT_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

/* What the writer knows about the transaction in progress. */
typedef struct wtx {
    sb_store *s;
    sqlite3 *db;
    char err[192]; /* the storage failure, for every batch */
} wtx;

/* The message names SQLite's reason first, then the statement's start
 * (a statement's whole text would not fit). */
static int hard(wtx *w, const char *what) {
    snprintf(w->err, sizeof(w->err), "%s (in: %.96s)", sqlite3_errmsg(w->db), what);
    return SB_STORE_EIO;
}

static int refuse(sb_store_batch *b, size_t i, int st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(sb_store_batch *b, size_t i, int st, const char *fmt, ...) {
    b->failed_op = (long)i;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof(b->error), fmt, ap);
    va_end(ap);
    return st;
}

static sqlite3_stmt *stmt(wtx *w, sb__store_wstmt i) {
    return w->s->ws[i];
}

/* Run a statement to its end: SB_OK or a storage failure.  Always reset,
 * so no statement stays open past its use. */
static int run(wtx *w, sb__store_wstmt i) {
    sqlite3_stmt *st = stmt(w, i);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SB_OK : hard(w, sb__store_wsql[i]);
}

/* A one-value query: *out = the integer in the first row (0 if none or
 * NULL). */
static int query_int(wtx *w, sb__store_wstmt i, int64_t *out) {
    sqlite3_stmt *st = stmt(w, i);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SB_OK : hard(w, sb__store_wsql[i]);
}

static void bind_text(sqlite3_stmt *st, int col, const sb_store_batch *b, size_t off, size_t n) {
    sqlite3_bind_text(st, col, b->bytes + off, (int)n, SQLITE_STATIC);
}

/* Never NULL (the buffer holds at least the NUL after it), so an empty
 * body is stored as an empty blob, not as NULL. */
static void bind_body(sqlite3_stmt *st, int col, const sb_store_batch *b, const sb__store_op *op) {
    sqlite3_bind_blob(st, col, b->bytes + op->body, (int)op->nbody, SQLITE_STATIC);
}

static struct sb__store_seq *seq_cached(sb_store *s, uint64_t tenant) {
    for (int i = 0; i < s->nseqs; i++)
        if (s->seqs[i].tenant == tenant) return &s->seqs[i];
    return NULL;
}

static int last_seq(wtx *w, uint64_t tenant, int64_t *out) {
    struct sb__store_seq *c = seq_cached(w->s, tenant);
    if (c) {
        *out = c->last;
        return SB_OK;
    }
    sqlite3_bind_int64(stmt(w, SB__W_EV_LAST), 1, (int64_t)tenant);
    int st = query_int(w, SB__W_EV_LAST, out);
    if (st == SB_OK) {
        sb_store *s = w->s;
        if (s->nseqs == (int)(sizeof(s->seqs) / sizeof(s->seqs[0]))) s->nseqs = 0;
        s->seqs[s->nseqs++] = (struct sb__store_seq){tenant, *out};
    }
    return st;
}

static int op_append(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    int64_t last;
    int st = last_seq(w, op->tenant, &last);
    if (st != SB_OK) return st;
    if (op->a <= last)
        return refuse(b, i, SB_ESTATE, "event seq %lld of tenant %llu is not after %lld",
                      (long long)op->a, (unsigned long long)op->tenant, (long long)last);
    sqlite3_stmt *q = stmt(w, SB__W_EV_INSERT);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    sqlite3_bind_int64(q, 2, op->a);
    sqlite3_bind_int64(q, 3, op->b);
    bind_text(q, 4, b, op->s1, op->n1);
    bind_body(q, 5, b, op);
    if (op->subject)
        sqlite3_bind_int64(q, 6, (int64_t)op->subject);
    else
        sqlite3_bind_null(q, 6);
    st = run(w, SB__W_EV_INSERT);
    struct sb__store_seq *c = seq_cached(w->s, op->tenant);
    if (st == SB_OK && c) c->last = op->a;
    return st;
}

static int doc_version(wtx *w, const sb_store_batch *b, const sb__store_op *op, int64_t *out) {
    sqlite3_stmt *q = stmt(w, SB__W_DOC_VERSION);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    bind_text(q, 2, b, op->s1, op->n1);
    bind_text(q, 3, b, op->s2, op->n2);
    return query_int(w, SB__W_DOC_VERSION, out);
}

static int check_version(sb_store_batch *b, size_t i, int64_t cur) {
    const sb__store_op *op = &b->ops[i];
    if (op->a == SB_STORE_ANY_VERSION || op->a == cur) return SB_OK;
    const char *kind = sb__store_str(b, op->s1), *id = sb__store_str(b, op->s2);
    if (cur == 0)
        return refuse(b, i, SB_ESTATE, "document %s/%s does not exist (expected version %lld)",
                      kind, id, (long long)op->a);
    return refuse(b, i, SB_ESTATE, "document %s/%s is at version %lld, not %lld", kind, id,
                  (long long)cur, (long long)op->a);
}

static int op_put(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    if (op->a == SB_STORE_ANY_VERSION) {
        sqlite3_stmt *q = stmt(w, SB__W_DOC_BUMP);
        sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
        bind_text(q, 2, b, op->s1, op->n1);
        bind_text(q, 3, b, op->s2, op->n2);
        sqlite3_bind_int64(q, 4, b->now);
        bind_body(q, 5, b, op);
        return query_int(w, SB__W_DOC_BUMP, &op->result);
    }
    int64_t cur;
    int st = doc_version(w, b, op, &cur);
    if (st == SB_OK) st = check_version(b, i, cur);
    if (st != SB_OK) return st;
    sqlite3_stmt *q = stmt(w, SB__W_DOC_UPSERT);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    bind_text(q, 2, b, op->s1, op->n1);
    bind_text(q, 3, b, op->s2, op->n2);
    sqlite3_bind_int64(q, 4, cur + 1);
    sqlite3_bind_int64(q, 5, b->now);
    bind_body(q, 6, b, op);
    op->result = cur + 1;
    return run(w, SB__W_DOC_UPSERT);
}

static int op_set(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    sqlite3_stmt *q = stmt(w, SB__W_DOC_UPSERT);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    bind_text(q, 2, b, op->s1, op->n1);
    bind_text(q, 3, b, op->s2, op->n2);
    sqlite3_bind_int64(q, 4, op->a);
    sqlite3_bind_int64(q, 5, b->now);
    bind_body(q, 6, b, op);
    op->result = op->a;
    return run(w, SB__W_DOC_UPSERT);
}

static int op_delete(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    int64_t cur;
    int st = doc_version(w, b, op, &cur);
    if (st == SB_OK) st = check_version(b, i, cur);
    if (st != SB_OK || cur == 0) return st;
    sqlite3_stmt *q = stmt(w, SB__W_DOC_DELETE);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    bind_text(q, 2, b, op->s1, op->n1);
    bind_text(q, 3, b, op->s2, op->n2);
    op->result = cur;
    return run(w, SB__W_DOC_DELETE);
}

static int op_idem(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    sqlite3_stmt *q = stmt(w, SB__W_IDEM_INSERT);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    bind_text(q, 2, b, op->s1, op->n1);
    sqlite3_bind_int64(q, 3, b->now);
    sqlite3_bind_int64(q, 4, op->a);
    bind_body(q, 5, b, op);
    int st = run(w, SB__W_IDEM_INSERT);
    if (st == SB_OK && sqlite3_changes(w->db) == 0)
        return refuse(b, i, SB_EEXIST, "idempotency key %s exists", sb__store_str(b, op->s1));
    return st;
}

/* Delete the longest prefix (by seq) of events older than `before`, at
 * most max, never the last.  Walking from the oldest costs what is
 * deleted, not the journal's size, and needs no index on time. */
static int op_prune_events(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    int64_t last, cut = 0;
    int st = last_seq(w, op->tenant, &last);
    if (st != SB_OK || last == 0) return st;
    sqlite3_stmt *q = stmt(w, SB__W_EV_SCAN);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    sqlite3_bind_int64(q, 2, last);
    sqlite3_bind_int64(q, 3, op->b);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && sqlite3_column_int64(q, 1) < op->a)
        cut = sqlite3_column_int64(q, 0);
    if (rc == SQLITE_ROW) rc = SQLITE_DONE;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc != SQLITE_DONE) return hard(w, sb__store_wsql[SB__W_EV_SCAN]);
    if (cut == 0) return SB_OK;
    q = stmt(w, SB__W_EV_DELETE);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    sqlite3_bind_int64(q, 2, cut);
    st = run(w, SB__W_EV_DELETE);
    op->result = sqlite3_changes(w->db);
    return st;
}

static int op_prune_idem(wtx *w, sb_store_batch *b, size_t i) {
    sb__store_op *op = &b->ops[i];
    sqlite3_stmt *q = stmt(w, SB__W_IDEM_PRUNE);
    sqlite3_bind_int64(q, 1, (int64_t)op->tenant);
    sqlite3_bind_int64(q, 2, op->a);
    sqlite3_bind_int64(q, 3, op->b);
    int st = run(w, SB__W_IDEM_PRUNE);
    op->result = sqlite3_changes(w->db);
    return st;
}

/* Could a check refuse this batch?  Only a version check, an idempotency
 * key or an event sequence that does not grow can; the sequences are
 * checked here, against the journal's last, before anything is written.
 * *refusable is false when none can: the batch then needs no savepoint. */
static int refusable(wtx *w, const sb_store_batch *b, bool *out) {
    uint64_t tenant = 0;
    int64_t last = 0;
    *out = true;
    for (size_t i = 0; i < b->nops; i++) {
        const sb__store_op *op = &b->ops[i];
        switch (op->type) {
        case SB__OP_APPEND:
            if (tenant == 0) {
                int st = last_seq(w, op->tenant, &last);
                if (st != SB_OK) return st;
                tenant = op->tenant;
            }
            if (op->tenant != tenant || op->a <= last) return SB_OK;
            last = op->a;
            break;
        case SB__OP_PUT:
        case SB__OP_DELETE:
            if (op->a != SB_STORE_ANY_VERSION) return SB_OK;
            break;
        case SB__OP_IDEM: return SB_OK;
        case SB__OP_SET:
        case SB__OP_PRUNE_EVENTS:
        case SB__OP_PRUNE_IDEM: break;
        }
    }
    *out = false;
    return SB_OK;
}

/* Apply one batch, inside a savepoint if a check could refuse it.
 * Returns SB_OK (applied, or refused and rolled back alone: b->status
 * says which) or SB_STORE_EIO (the transaction is lost). */
static int apply_batch(wtx *w, sb_store_batch *b) {
    bool savepoint;
    int st = refusable(w, b, &savepoint);
    if (st == SB_OK && savepoint) st = run(w, SB__W_SAVEPOINT);
    for (size_t i = 0; i < b->nops && st == SB_OK; i++) {
        switch (b->ops[i].type) {
        case SB__OP_APPEND: st = op_append(w, b, i); break;
        case SB__OP_PUT: st = op_put(w, b, i); break;
        case SB__OP_SET: st = op_set(w, b, i); break;
        case SB__OP_DELETE: st = op_delete(w, b, i); break;
        case SB__OP_IDEM: st = op_idem(w, b, i); break;
        case SB__OP_PRUNE_EVENTS: st = op_prune_events(w, b, i); break;
        case SB__OP_PRUNE_IDEM: st = op_prune_idem(w, b, i); break;
        }
    }
    if (st != SB_OK) w->s->nseqs = 0; /* what this batch appended is undone */
    if (st == SB_STORE_EIO) return st;
    if (!savepoint) {
        /* refusable() said no check could fail: nothing to roll back alone */
        if (st != SB_OK) return hard(w, "a check failed that was checked before");
        b->status = SB_OK;
        return SB_OK;
    }
    b->status = st;
    if (st != SB_OK && (st = run(w, SB__W_ROLLBACK_TO)) != SB_OK) return st;
    return run(w, SB__W_RELEASE);
}

/* One transaction over the list; sets every batch's status.  Returns the
 * number of batches and whether the transaction failed. */
static size_t commit_list(sb_store *s, sb_store_batch *list, sb__store_hook_fn hook,
                          void *hook_data, int *failed) {
    wtx w = {.s = s, .db = s->wdb};
    size_t n = 0;
    int st = run(&w, SB__W_BEGIN);
    for (sb_store_batch *b = list; b && st == SB_OK; b = b->next)
        st = apply_batch(&w, b);
    if (st == SB_OK && hook && hook(hook_data) != 0) {
        snprintf(w.err, sizeof(w.err), "commit failed (injected)");
        st = SB_STORE_EIO;
    }
    if (st == SB_OK) st = run(&w, SB__W_COMMIT);
    if (st != SB_OK) {
        s->nseqs = 0;
        /* a storage error may already have rolled back: ignore the answer */
        sqlite3_step(s->ws[SB__W_ROLLBACK]);
        sqlite3_reset(s->ws[SB__W_ROLLBACK]);
    }
    for (sb_store_batch *b = list; b; b = b->next, n++) {
        if (st == SB_OK) continue;
        b->status = SB_STORE_EIO;
        b->failed_op = -1;
        snprintf(b->error, sizeof(b->error), "%s", w.err);
    }
    *failed = st != SB_OK;
    return n;
}

void sb__store_writer_main(void *arg) {
    sb_store *s = arg;
    pthread_setname_np(pthread_self(), "sb-store"); /* for top and perf */
    uv_mutex_lock(&s->mu);
    for (;;) {
        while (s->pending == NULL && !s->stop)
            uv_cond_wait(&s->cv, &s->mu);
        if (s->pending == NULL) break; /* stopping, and nothing left */
        sb_store_batch *list = s->pending, **tail = s->pending_tail;
        s->pending = NULL;
        s->pending_tail = &s->pending;
        sb__store_hook_fn hook = s->hook;
        void *hook_data = s->hook_data;
        uv_mutex_unlock(&s->mu);

        uint64_t t0 = uv_hrtime();
        int failed;
        size_t n = commit_list(s, list, hook, hook_data, &failed);
        uint64_t us = (uv_hrtime() - t0) / 1000;

        uv_mutex_lock(&s->mu);
        *s->done_tail = list;
        s->done_tail = tail;
        s->stats.batches += n;
        s->stats.transactions++;
        s->stats.failed += (uint64_t)failed;
        s->stats.last_commit_us = us;
        if (us > s->stats.max_commit_us) s->stats.max_commit_us = us;
        int k = 0;
        while (k < SB_STORE_COMMIT_BUCKETS && us > SB_STORE_COMMIT_BOUNDS_US[k]) k++;
        s->stats.commit_hist[k]++;
        s->stats.commit_sum_us += us;
        uv_async_send(&s->async);
        uv_mutex_unlock(&s->mu);
        sb__store_ckpt_if_full(s); /* after the batches are on their way */
        uv_mutex_lock(&s->mu);
    }
    uv_mutex_unlock(&s->mu);
}

void sb__store_deliver(sb_store *s) {
    uv_mutex_lock(&s->mu);
    sb_store_batch *list = s->done;
    s->done = NULL;
    s->done_tail = &s->done;
    uv_mutex_unlock(&s->mu);
    s->delivering++;
    while (list) {
        sb_store_batch *b = list;
        list = b->next;
        s->in_flight--;
        if (b->cb) b->cb(b->data, b->status, b);
        sb_store_batch_free(b);
    }
    s->delivering--;
    /* with nothing in flight the store does not keep the loop alive */
    if (s->in_flight == 0 && !s->closing) uv_unref((uv_handle_t *)&s->async);
}
