/* read.c: reads on the loop thread.
 *
 * The read connection is read-only and in WAL mode, so a read neither
 * waits for the writer's transaction nor sees it: each statement reads
 * the last committed snapshot as of its first step.  Every statement is
 * reset as soon as it is done, so no read keeps an old snapshot (or holds
 * back checkpoints) between calls. */
#include <string.h>

#include "base/mem.h"
#include "store/store-i.h"

const char *const sb__store_rsql[SB__R_COUNT] = {
    [SB__R_EV_AFTER] = "SELECT seq, at, type, body FROM events"
                       " WHERE tenant = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    /* one statement, so both come from the same snapshot */
    [SB__R_EV_BOUNDS] = "SELECT (SELECT min(seq) FROM events WHERE tenant = ?1),"
                        " (SELECT max(seq) FROM events WHERE tenant = ?1)",
    /* Without statistics the planner prefers scanning the tenant's whole
     * journal by primary key; one subject's events are few: the index. */
    [SB__R_EV_SUBJECT] = "SELECT seq, at, type, body FROM events INDEXED BY events_subject"
                         " WHERE tenant = ?1 AND subject = ?2 AND subject IS NOT NULL ORDER BY seq",
    [SB__R_DOC_GET] = "SELECT version, updated_at, body FROM documents"
                      " WHERE tenant = ?1 AND kind = ?2 AND id = ?3",
    [SB__R_DOC_LIST] = "SELECT id, version, updated_at, body FROM documents"
                       " WHERE tenant = ?1 AND kind = ?2 AND id > ?3 ORDER BY id LIMIT ?4",
    /* Two kinds merged by id (SQLite merges the two index ranges, no
     * sort); for an id in both, the row of kind ?5 comes first. */
    [SB__R_DOC_LIST_OVER] =
        "SELECT id, version, updated_at, body, kind, 1 FROM documents"
        " WHERE tenant = ?1 AND kind = ?2 AND id > ?3"
        " UNION ALL SELECT id, version, updated_at, body, kind, 0 FROM documents"
        " WHERE tenant = ?1 AND kind = ?5 AND id > ?3 ORDER BY 1, 6 LIMIT ?4",
    /* newest first: before ?3, or from the end when it is empty */
    [SB__R_DOC_LIST_DESC] = "SELECT id, version, updated_at, body FROM documents"
                            " WHERE tenant = ?1 AND kind = ?2 AND (?3 = '' OR id < ?3)"
                            " ORDER BY id DESC LIMIT ?4",
    [SB__R_IDEM_GET] = "SELECT status, created_at, body FROM idempotency"
                       " WHERE tenant = ?1 AND key = ?2",
};

/* The statement, bindings cleared; NULL (and the reason recorded) when it
 * is already running, i.e. a visitor called the read it is visiting. */
static sqlite3_stmt *begin(sb_store *s, sb__store_rstmt i) {
    sqlite3_stmt *st = s->rs[i];
    if (sqlite3_stmt_busy(st)) {
        sb__store_fail(s, SB_ESTATE, "read already in progress: %s", sb__store_rsql[i]);
        return NULL;
    }
    sqlite3_clear_bindings(st);
    return st;
}

static int finish(sb_store *s, sb__store_rstmt i, int rc, int ret) {
    sqlite3_reset(s->rs[i]);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return sb__store_fail(s, SB_STORE_EIO, "read: %s", sqlite3_errmsg(s->rdb));
    return ret;
}

static int check_args(sb_store *s, uint64_t tenant, const char *a, const char *b) {
    if (tenant > INT64_MAX) return sb__store_fail(s, SB_EINVAL, "tenant out of range");
    if (a == NULL || b == NULL) return sb__store_fail(s, SB_EINVAL, "missing name");
    return SB_OK;
}

/* A copy of a blob column followed by a NUL byte. */
static void *copy_blob(sqlite3_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *c = sb_malloc(n + 1);
    if (n) memcpy(c, p, n);
    c[n] = '\0';
    *len = n;
    return c;
}

/* Bytes of a blob column: never NULL (SQLite gives NULL for empty ones). */
static const void *blob(sqlite3_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    return p ? p : "";
}

static int64_t sql_limit(size_t limit) {
    return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

/* Step a bound event query, visiting each row. */
static int visit_events(sb_store *s, sb__store_rstmt i, uint64_t tenant, sb_store_event_cb cb,
                        void *data) {
    sqlite3_stmt *q = s->rs[i];
    int rc, ret = SB_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        sb_store_event ev = {
            .tenant = tenant,
            .seq = (uint64_t)sqlite3_column_int64(q, 0),
            .at = sqlite3_column_int64(q, 1),
            .type = (const char *)sqlite3_column_text(q, 2),
        };
        ev.body = blob(q, 3, &ev.len);
        if ((ret = cb(data, &ev)) != 0) break;
    }
    return finish(s, i, rc, ret);
}

int sb_store_events_after(sb_store *s, uint64_t tenant, uint64_t after, size_t limit,
                          sb_store_event_cb cb, void *data) {
    int st = check_args(s, tenant, "", "");
    if (st != SB_OK) return st;
    sqlite3_stmt *q = begin(s, SB__R_EV_AFTER);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    sqlite3_bind_int64(q, 2, after > INT64_MAX ? INT64_MAX : (int64_t)after);
    sqlite3_bind_int64(q, 3, sql_limit(limit));
    return visit_events(s, SB__R_EV_AFTER, tenant, cb, data);
}

int sb_store_events_of(sb_store *s, uint64_t tenant, uint64_t subject, sb_store_event_cb cb,
                       void *data) {
    int st = check_args(s, tenant, "", "");
    if (st != SB_OK) return st;
    if (subject == 0 || subject > INT64_MAX)
        return sb__store_fail(s, SB_EINVAL, "subject out of range");
    sqlite3_stmt *q = begin(s, SB__R_EV_SUBJECT);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    sqlite3_bind_int64(q, 2, (int64_t)subject);
    return visit_events(s, SB__R_EV_SUBJECT, tenant, cb, data);
}

int sb_store_event_bounds(sb_store *s, uint64_t tenant, uint64_t *first, uint64_t *last) {
    *first = *last = 0;
    int st = check_args(s, tenant, "", "");
    if (st != SB_OK) return st;
    sqlite3_stmt *q = begin(s, SB__R_EV_BOUNDS);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *first = (uint64_t)sqlite3_column_int64(q, 0);
        *last = (uint64_t)sqlite3_column_int64(q, 1);
    }
    return finish(s, SB__R_EV_BOUNDS, rc, SB_OK);
}

int sb_store_doc_get(sb_store *s, uint64_t tenant, const char *kind, const char *id,
                     sb_store_doc *out) {
    memset(out, 0, sizeof(*out));
    int st = check_args(s, tenant, kind, id);
    if (st != SB_OK) return st;
    sqlite3_stmt *q = begin(s, SB__R_DOC_GET);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q), ret = SB_ENOENT;
    if (rc == SQLITE_ROW) {
        out->kind = kind;
        out->id = id;
        out->version = sqlite3_column_int64(q, 0);
        out->updated_at = sqlite3_column_int64(q, 1);
        out->owned = copy_blob(q, 2, &out->len);
        out->body = out->owned;
        ret = SB_OK;
    }
    return finish(s, SB__R_DOC_GET, rc, ret);
}

void sb_store_doc_free(sb_store_doc *d) {
    if (d == NULL) return;
    sb_free(d->owned);
    memset(d, 0, sizeof(*d));
}

/* Documents of kind (and of kind `over`, when not NULL: SB__R_DOC_LIST_OVER)
 * in the statement's order.  With `over`, an id that has a document of
 * both kinds is visited once, as its `over` one, which the statement puts
 * first: the row after it with the same id is skipped. */
static int doc_list(sb_store *s, sb__store_rstmt which, uint64_t tenant, const char *kind,
                    const char *over, const char *after, size_t limit, sb_store_doc_cb cb,
                    void *data, int *more) {
    if (more) *more = 0;
    int st = check_args(s, tenant, kind, over ? over : "");
    if (st != SB_OK) return st;
    sqlite3_stmt *q = begin(s, which);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, after ? after : "", -1, SQLITE_STATIC);
    /* one row beyond the page tells whether there is a next page; with
     * skipped rows the page's end is only known here */
    int64_t lim = sql_limit(limit);
    sqlite3_bind_int64(q, 4, over || lim < 0 || lim == INT64_MAX ? -1 : lim + 1);
    if (over) sqlite3_bind_text(q, 5, over, -1, SQLITE_STATIC);
    int rc, ret = SB_OK;
    size_t seen = 0;
    char *prev = NULL; /* with `over`: the id visited last */
    size_t cap = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        if (prev && strcmp(prev, id) == 0) continue;
        if (limit && seen == limit) {
            if (more) *more = 1;
            break;
        }
        seen++;
        sb_store_doc d = {
            .kind = over ? (const char *)sqlite3_column_text(q, 4) : kind,
            .id = id,
            .version = sqlite3_column_int64(q, 1),
            .updated_at = sqlite3_column_int64(q, 2),
        };
        d.body = blob(q, 3, &d.len);
        if (over) {
            size_t n = strlen(id) + 1;
            if (n > cap) prev = sb_realloc(prev, cap = n);
            memcpy(prev, id, n);
        }
        if ((ret = cb(data, &d)) != 0) break;
    }
    sb_free(prev);
    return finish(s, which, rc, ret);
}

int sb_store_doc_list(sb_store *s, uint64_t tenant, const char *kind, const char *after,
                      size_t limit, sb_store_doc_cb cb, void *data, int *more) {
    return doc_list(s, SB__R_DOC_LIST, tenant, kind, NULL, after, limit, cb, data, more);
}

int sb_store_doc_list_over(sb_store *s, uint64_t tenant, const char *kind, const char *over,
                           const char *after, size_t limit, sb_store_doc_cb cb, void *data,
                           int *more) {
    if (over == NULL) return check_args(s, tenant, NULL, "");
    return doc_list(s, SB__R_DOC_LIST_OVER, tenant, kind, over, after, limit, cb, data, more);
}

int sb_store_doc_list_desc(sb_store *s, uint64_t tenant, const char *kind, const char *before,
                           size_t limit, sb_store_doc_cb cb, void *data, int *more) {
    return doc_list(s, SB__R_DOC_LIST_DESC, tenant, kind, NULL, before, limit, cb, data, more);
}

int sb_store_idem_get(sb_store *s, uint64_t tenant, const char *key, sb_store_idem *out) {
    memset(out, 0, sizeof(*out));
    int st = check_args(s, tenant, key, "");
    if (st != SB_OK) return st;
    sqlite3_stmt *q = begin(s, SB__R_IDEM_GET);
    if (q == NULL) return SB_ESTATE;
    sqlite3_bind_int64(q, 1, (int64_t)tenant);
    sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q), ret = SB_ENOENT;
    if (rc == SQLITE_ROW) {
        out->status = sqlite3_column_int(q, 0);
        out->created_at = sqlite3_column_int64(q, 1);
        out->owned = copy_blob(q, 2, &out->len);
        out->body = out->owned;
        ret = SB_OK;
    }
    return finish(s, SB__R_IDEM_GET, rc, ret);
}

void sb_store_idem_free(sb_store_idem *r) {
    if (r == NULL) return;
    sb_free(r->owned);
    memset(r, 0, sizeof(*r));
}
