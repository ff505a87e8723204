/* test_store.c: src/store against real SQLite files in temporary
 * directories: schema and migrations, the journal, documents, idempotency
 * keys, atomic batches, a failure of the storage, group commit, read
 * isolation, an injected commit
 * failure, close draining, and crash safety (kill -9 of a writing child,
 * then every acknowledged event must be on disk). */
/* nftw FTW_DEPTH / FTW_PHYS need _GNU_SOURCE, which the build defines */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "base/mem.h"
#include "store/store-i.h"
#include "store/store.h"
#include "unit/test.h"

/* ---- fixture ---------------------------------------------------------- */

typedef struct fx {
    char root[64]; /* the mkdtemp directory, removed at the end */
    char dir[128]; /* the data directory inside it */
    uv_loop_t loop;
    sb_store *s;
    size_t mem0;
} fx;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    return remove(path);
}

/* cmocka setup: a fresh temporary directory and loop in *state. */
static int fx_setup(void **state) {
    fx *f = calloc(1, sizeof(*f));
    if (f == NULL) return -1;
    snprintf(f->root, sizeof(f->root), "/tmp/sb-store-XXXXXX");
    if (mkdtemp(f->root) == NULL || uv_loop_init(&f->loop) != 0) return -1;
    snprintf(f->dir, sizeof(f->dir), "%s/data", f->root);
    f->mem0 = sb_mem_used();
    *state = f;
    return 0;
}

/* cmocka teardown, which runs after a failed test too: close what is
 * open, remove the directory. */
static int fx_teardown(void **state) {
    fx *f = *state;
    if (f->s) sb_store_close(f->s);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&f->loop);
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void fx_open(fx *f) {
    char err[256];
    int st = sb_store_open(&f->loop, f->dir, &f->s, err, sizeof(err));
    if (st != SB_OK) fail_msg("open %s: %s", f->dir, err);
}

/* Close the store and run the loop until its handles are gone. */
static void fx_close(fx *f) {
    sb_store_close(f->s);
    f->s = NULL;
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
}

/* The end of a test: closed, nothing of the store's memory left. */
static void fx_done(fx *f) {
    if (f->s) fx_close(f);
    assert_int_equal(sb_mem_used(), f->mem0);
}

/* ---- committing ------------------------------------------------------- */

typedef struct outcome {
    int calls, status;
    long failed_op;
    int64_t results[8];
    char error[192];
} outcome;

static void record_cb(void *data, int status, const sb_store_batch *b) {
    outcome *o = data;
    o->calls++;
    o->status = status;
    o->failed_op = sb_store_batch_failed_op(b);
    for (size_t i = 0; i < 8; i++)
        o->results[i] = sb_store_batch_result(b, i);
    snprintf(o->error, sizeof(o->error), "%s", sb_store_batch_error(b));
}

/* Submit b, run the loop until its callback has run; the outcome. */
static outcome commit(fx *f, sb_store_batch *b) {
    outcome o = {0};
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &o), SB_OK);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(o.calls, 1);
    return o;
}

static void put(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                int64_t expect, const char *body) {
    sb_store_batch_put(b, tenant, kind, id, expect, body, strlen(body));
}

static void append(sb_store_batch *b, uint64_t tenant, uint64_t seq, int64_t at) {
    char body[32];
    int n = snprintf(body, sizeof(body), "{\"seq\":%llu}", (unsigned long long)seq);
    sb_store_batch_append(b, tenant, seq, at, seq % 3 + 1, "interaction.queued", body, (size_t)n);
}

/* ---- reading ---------------------------------------------------------- */

typedef struct seqs {
    uint64_t v[2048];
    size_t n;
    int stop_at; /* return 7 after this many, if > 0 */
} seqs;

static int collect_ev(void *data, const sb_store_event *ev) {
    seqs *q = data;
    char want[32];
    int n = snprintf(want, sizeof(want), "{\"seq\":%llu}", (unsigned long long)ev->seq);
    assert_int_equal(ev->len, (size_t)n);
    assert_memory_equal(ev->body, want, (size_t)n);
    assert_string_equal(ev->type, "interaction.queued");
    q->v[q->n++] = ev->seq;
    return q->stop_at > 0 && q->n == (size_t)q->stop_at ? 7 : 0;
}

static seqs *events(fx *f, uint64_t tenant, uint64_t after, size_t limit) {
    static seqs q;
    memset(&q, 0, sizeof(q));
    assert_int_equal(sb_store_events_after(f->s, tenant, after, limit, collect_ev, &q), SB_OK);
    return &q;
}

typedef struct ids {
    char v[16][32];
    int64_t ver[16];
    size_t n;
} ids;

static int collect_doc(void *data, const sb_store_doc *d) {
    ids *l = data;
    assert_null(d->owned);
    snprintf(l->v[l->n], sizeof(l->v[0]), "%s", d->id);
    l->ver[l->n++] = d->version;
    return 0;
}

typedef struct kinds {
    char *out;
    size_t cap;
} kinds;

static int collect_kind(void *data, const sb_store_doc *d) {
    kinds *l = data;
    size_t n = strlen(l->out);
    snprintf(l->out + n, l->cap - n, "%s%s:%s:%.*s", n ? "," : "", d->id, d->kind, (int)d->len,
             (const char *)d->body);
    return 0;
}

/* "q1,q2" for one page of documents. */
static const char *page(fx *f, uint64_t tenant, const char *kind, const char *after, size_t limit,
                        int *more) {
    static char out[256];
    ids l = {0};
    assert_int_equal(sb_store_doc_list(f->s, tenant, kind, after, limit, collect_doc, &l, more),
                     SB_OK);
    out[0] = '\0';
    for (size_t i = 0; i < l.n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", l.v[i]);
    return out;
}

/* "id:kind,..." for one page of the documents of two kinds merged. */
static const char *page_over(fx *f, const char *after, size_t limit, int *more) {
    static char out[256];
    out[0] = '\0';
    kinds l = {out, sizeof(out)};
    assert_int_equal(
        sb_store_doc_list_over(f->s, 1, "ix", "live", after, limit, collect_kind, &l, more), SB_OK);
    return out;
}

static int64_t doc_version(fx *f, uint64_t tenant, const char *kind, const char *id) {
    sb_store_doc d;
    int st = sb_store_doc_get(f->s, tenant, kind, id, &d);
    if (st == SB_ENOENT) return 0;
    assert_int_equal(st, SB_OK);
    int64_t v = d.version;
    sb_store_doc_free(&d);
    return v;
}

static int64_t sql_int(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* ---- schema ----------------------------------------------------------- */

static void test_store_schema(void **state) {
    fx *f = *state;
    snprintf(f->dir, sizeof(f->dir), "%s/nested/data", f->root); /* parents missing */
    fx_open(f);
    char db[256], err[256];
    snprintf(db, sizeof(db), "%s/%s", f->dir, SB_STORE_DB_FILE);
    assert_int_equal(access(db, F_OK), 0);
    assert_int_equal(sql_int(db, "SELECT max(version) FROM schema_version"),
                     SB_STORE_SCHEMA_VERSION);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                 " ('events', 'documents', 'idempotency')"),
                     3);

    /* one store per directory */
    uv_loop_t other;
    sb_store *s2 = (sb_store *)1;
    uv_loop_init(&other);
    assert_int_equal(sb_store_open(&other, f->dir, &s2, err, sizeof(err)), SB_EINUSE);
    assert_null(s2);
    assert_non_null(strstr(err, "in use"));
    uv_loop_close(&other);

    sb_store_batch *b = sb_store_batch_new(5);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{}");
    append(b, 1, 1, 5);
    assert_int_equal(commit(f, b).status, SB_OK);
    fx_close(f);

    /* reopen: the data is there, WAL mode persisted, no migration re-run */
    fx_open(f);
    assert_int_equal(doc_version(f, 1, "queue", "q1"), 1);
    assert_int_equal(events(f, 1, 0, 0)->n, 1);
    fx_close(f);
    assert_int_equal(sql_int(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM schema_version"), SB_STORE_SCHEMA_VERSION);

    /* from a newer build: refused, untouched */
    assert_int_equal(sql_int(db, "INSERT INTO schema_version VALUES (999, 0) RETURNING version"),
                     999);
    assert_int_equal(sb_store_open(&f->loop, f->dir, &f->s, err, sizeof(err)), SB_ESTATE);
    assert_non_null(strstr(err, "newer"));
    assert_null(f->s);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM documents"), 1);

    /* some other SQLite database */
    char other_dir[160];
    snprintf(other_dir, sizeof(other_dir), "%s/foreign", f->root);
    snprintf(db, sizeof(db), "%s/%s", other_dir, SB_STORE_DB_FILE);
    mkdir(other_dir, 0700);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE foo (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    assert_int_equal(sb_store_open(&f->loop, other_dir, &f->s, err, sizeof(err)), SB_EINVAL);
    assert_non_null(strstr(err, "not a Switchboard database"));

    /* not a database at all */
    FILE *fp = fopen(db, "w");
    fputs("this is not a database, just some text long enough to have a header", fp);
    fclose(fp);
    assert_int_equal(sb_store_open(&f->loop, other_dir, &f->s, err, sizeof(err)), SB_STORE_EIO);

    /* the data directory is a file */
    assert_int_equal(sb_store_open(&f->loop, db, &f->s, err, sizeof(err)), SB_STORE_EIO);
    assert_int_equal(sb_store_open(&f->loop, "", &f->s, err, sizeof(err)), SB_EINVAL);
    fx_done(f);
}

/* ---- journal ---------------------------------------------------------- */

static void test_store_events(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_batch *b = sb_store_batch_new(0);
    for (uint64_t seq = 1; seq <= 10; seq++)
        append(b, 1, seq, (int64_t)seq * 1000);
    append(b, 2, 1, 500); /* tenants number on their own */
    assert_int_equal(commit(f, b).status, SB_OK);

    /* read after a seq, with a limit: pages of a resumed stream */
    seqs *q = events(f, 1, 0, 4);
    assert_int_equal(q->n, 4);
    assert_int_equal(q->v[0], 1);
    assert_int_equal(q->v[3], 4);
    q = events(f, 1, 4, 4);
    assert_int_equal(q->n, 4);
    assert_int_equal(q->v[0], 5);
    q = events(f, 1, 8, 0);
    assert_int_equal(q->n, 2);
    assert_int_equal(q->v[1], 10);
    assert_int_equal(events(f, 1, 10, 0)->n, 0);
    assert_int_equal(events(f, 3, 0, 0)->n, 0);
    seqs stop = {.stop_at = 3};
    assert_int_equal(sb_store_events_after(f->s, 1, 0, 0, collect_ev, &stop), 7);
    assert_int_equal(stop.n, 3);

    /* one subject's events (append() makes subject seq % 3 + 1) */
    seqs about = {0};
    assert_int_equal(sb_store_events_of(f->s, 1, 2, collect_ev, &about), SB_OK);
    assert_int_equal(about.n, 4);
    assert_int_equal(about.v[0], 1);
    assert_int_equal(about.v[3], 10);
    seqs none = {0};
    assert_int_equal(sb_store_events_of(f->s, 2, 1, collect_ev, &none), SB_OK);
    assert_int_equal(none.n, 0);
    assert_int_equal(sb_store_events_of(f->s, 1, 0, collect_ev, &none), SB_EINVAL);

    uint64_t first, last;
    assert_int_equal(sb_store_event_bounds(f->s, 1, &first, &last), SB_OK);
    assert_int_equal(first, 1);
    assert_int_equal(last, 10);
    assert_int_equal(sb_store_event_bounds(f->s, 9, &first, &last), SB_OK);
    assert_int_equal(first + last, 0);

    /* sequence numbers only grow: a repeat or a step back fails the batch */
    b = sb_store_batch_new(0);
    append(b, 1, 10, 0);
    outcome o = commit(f, b);
    assert_int_equal(o.status, SB_ESTATE);
    assert_int_equal(o.failed_op, 0);
    assert_non_null(strstr(o.error, "not after 10"));
    b = sb_store_batch_new(0);
    append(b, 1, 11, 0);
    append(b, 1, 11, 0);
    o = commit(f, b);
    assert_int_equal(o.status, SB_ESTATE);
    assert_int_equal(o.failed_op, 1);
    assert_int_equal(events(f, 1, 10, 0)->n, 0); /* 11 not applied either */

    /* an empty body is a body */
    b = sb_store_batch_new(0);
    sb_store_batch_append(b, 2, 2, 600, 0, "agent.state", NULL, 0);
    assert_int_equal(commit(f, b).status, SB_OK);

    /* prune: the old prefix, bounded, never the latest */
    b = sb_store_batch_new(0);
    sb_store_batch_prune_events(b, 1, 5500, 100); /* at < 5500: 1..5 */
    o = commit(f, b);
    assert_int_equal(o.status, SB_OK);
    assert_int_equal(o.results[0], 5);
    sb_store_event_bounds(f->s, 1, &first, &last);
    assert_int_equal(first, 6);
    b = sb_store_batch_new(0);
    sb_store_batch_prune_events(b, 1, INT64_MAX, 2); /* bounded: 6, 7 */
    assert_int_equal(commit(f, b).results[0], 2);
    b = sb_store_batch_new(0);
    sb_store_batch_prune_events(b, 1, INT64_MAX, 100); /* 8, 9; 10 stays */
    sb_store_batch_prune_events(b, 1, INT64_MAX, 100);
    o = commit(f, b);
    assert_int_equal(o.results[0], 2);
    assert_int_equal(o.results[1], 0);
    sb_store_event_bounds(f->s, 1, &first, &last);
    assert_int_equal(first, 10);
    assert_int_equal(last, 10);
    /* the latest seq survived, so numbering goes on from it */
    b = sb_store_batch_new(0);
    append(b, 1, 10, 0);
    assert_int_equal(commit(f, b).status, SB_ESTATE);
    b = sb_store_batch_new(0);
    append(b, 1, 11, 0);
    assert_int_equal(commit(f, b).status, SB_OK);
    fx_done(f);
}

/* ---- documents -------------------------------------------------------- */

static void test_store_documents(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_batch *b = sb_store_batch_new(1000);
    const char *order[] = {"q3", "q1", "q5", "q2", "q4"};
    for (int i = 0; i < 5; i++)
        put(b, 1, "queue", order[i], SB_STORE_ANY_VERSION, "{\"v\":1}");
    put(b, 1, "agent", "a1", SB_STORE_ANY_VERSION, "{}");
    put(b, 2, "queue", "q0", SB_STORE_ANY_VERSION, "{}");
    outcome o = commit(f, b);
    assert_int_equal(o.status, SB_OK);
    for (int i = 0; i < 7; i++)
        assert_int_equal(o.results[i], 1);

    b = sb_store_batch_new(2000);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{\"v\":2}");
    assert_int_equal(commit(f, b).results[0], 2);
    sb_store_doc d;
    assert_int_equal(sb_store_doc_get(f->s, 1, "queue", "q1", &d), SB_OK);
    assert_int_equal(d.version, 2);
    assert_int_equal(d.updated_at, 2000);
    assert_int_equal(d.len, 7);
    assert_string_equal(d.body, "{\"v\":2}"); /* NUL-terminated copy */
    assert_string_equal(d.id, "q1");
    sb_store_doc_free(&d);
    assert_null(d.owned);
    assert_int_equal(sb_store_doc_get(f->s, 1, "queue", "nope", &d), SB_ENOENT);
    assert_int_equal(sb_store_doc_get(f->s, 3, "queue", "q1", &d), SB_ENOENT);

    /* pages in id order, other kinds and tenants apart */
    int more;
    assert_string_equal(page(f, 1, "queue", NULL, 2, &more), "q1,q2");
    assert_int_equal(more, 1);
    assert_string_equal(page(f, 1, "queue", "q2", 2, &more), "q3,q4");
    assert_int_equal(more, 1);
    assert_string_equal(page(f, 1, "queue", "q4", 2, &more), "q5");
    assert_int_equal(more, 0);
    assert_string_equal(page(f, 1, "queue", "", 5, &more), "q1,q2,q3,q4,q5");
    assert_int_equal(more, 0);
    assert_string_equal(page(f, 1, "queue", "", 0, &more), "q1,q2,q3,q4,q5");
    assert_string_equal(page(f, 1, "agent", "", 0, &more), "a1");
    assert_string_equal(page(f, 2, "queue", "", 0, &more), "q0");
    assert_string_equal(page(f, 1, "skill", "", 0, &more), "");

    /* delete; deleting what is gone is fine without a version */
    b = sb_store_batch_new(3000);
    sb_store_batch_delete(b, 1, "queue", "q3", SB_STORE_ANY_VERSION);
    sb_store_batch_delete(b, 1, "queue", "never", SB_STORE_ANY_VERSION);
    o = commit(f, b);
    assert_int_equal(o.status, SB_OK);
    assert_int_equal(o.results[0], 1);
    assert_int_equal(o.results[1], 0);
    assert_int_equal(doc_version(f, 1, "queue", "q3"), 0);
    assert_string_equal(page(f, 1, "queue", "", 0, &more), "q1,q2,q4,q5");

    /* expected versions */
    b = sb_store_batch_new(0);
    put(b, 1, "queue", "q1", 2, "{}"); /* right: 2 -> 3 */
    put(b, 1, "queue", "q6", 0, "{}"); /* must not exist: new */
    sb_store_batch_delete(b, 1, "queue", "q2", 1);
    o = commit(f, b);
    assert_int_equal(o.status, SB_OK);
    assert_int_equal(o.results[0], 3);
    assert_int_equal(o.results[1], 1);
    assert_int_equal(o.results[2], 1);
    b = sb_store_batch_new(0);
    put(b, 1, "queue", "q6", 0, "{}"); /* exists now */
    o = commit(f, b);
    assert_int_equal(o.status, SB_ESTATE);
    assert_non_null(strstr(o.error, "queue/q6 is at version 1, not 0"));
    b = sb_store_batch_new(0);
    sb_store_batch_delete(b, 1, "queue", "q2", 1); /* gone */
    o = commit(f, b);
    assert_int_equal(o.status, SB_ESTATE);
    assert_non_null(strstr(o.error, "does not exist"));

    /* an empty body, and a body with NUL bytes */
    b = sb_store_batch_new(0);
    sb_store_batch_put(b, 1, "blob", "empty", SB_STORE_ANY_VERSION, NULL, 0);
    sb_store_batch_put(b, 1, "blob", "bin", SB_STORE_ANY_VERSION, "a\0b", 3);
    assert_int_equal(commit(f, b).status, SB_OK);
    assert_int_equal(sb_store_doc_get(f->s, 1, "blob", "empty", &d), SB_OK);
    assert_int_equal(d.len, 0);
    assert_string_equal(d.body, "");
    sb_store_doc_free(&d);
    assert_int_equal(sb_store_doc_get(f->s, 1, "blob", "bin", &d), SB_OK);
    assert_int_equal(d.len, 3);
    assert_memory_equal(d.body, "a\0b", 3);
    sb_store_doc_free(&d);
    fx_done(f);
}

/* A visitor that reads again: other reads work, its own read refuses. */
static int nested_cb(void *data, const sb_store_doc *d) {
    fx *f = data;
    assert_int_equal(doc_version(f, 1, "queue", d->id), d->version);
    int more;
    assert_int_equal(sb_store_doc_list(f->s, 1, "queue", NULL, 0, collect_doc, NULL, &more),
                     SB_ESTATE);
    return 0;
}

/* ---- atomic batches --------------------------------------------------- */

static void test_store_batch_atomic(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_batch *b = sb_store_batch_new(0);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{}");
    assert_int_equal(commit(f, b).status, SB_OK);
    assert_int_equal(sb_store_doc_list(f->s, 1, "queue", NULL, 0, nested_cb, f, NULL), SB_OK);

    /* three batches in one turn, so in one transaction; the middle one
     * has a stale version: it fails whole, its neighbours commit */
    sb_store_stats before, after;
    sb_store_stats_get(f->s, &before);
    outcome o[3] = {{0}};
    b = sb_store_batch_new(0);
    append(b, 1, 1, 0);
    put(b, 1, "queue", "a", SB_STORE_ANY_VERSION, "{}");
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &o[0]), SB_OK);
    b = sb_store_batch_new(0);
    append(b, 1, 2, 0);
    put(b, 1, "queue", "b", SB_STORE_ANY_VERSION, "{}");
    sb_store_batch_idem(b, 1, "key-b", 201, "{}", 2);
    put(b, 1, "queue", "q1", 7, "{}"); /* q1 is at 1 */
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &o[1]), SB_OK);
    b = sb_store_batch_new(0);
    append(b, 1, 2, 0); /* 2 is free again: the failed batch left nothing */
    put(b, 1, "queue", "c", SB_STORE_ANY_VERSION, "{}");
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &o[2]), SB_OK);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    sb_store_stats_get(f->s, &after);
    assert_int_equal(after.transactions - before.transactions, 1);
    assert_int_equal(after.batches - before.batches, 3);
    assert_int_equal(o[0].status, SB_OK);
    assert_int_equal(o[1].status, SB_ESTATE);
    assert_int_equal(o[1].failed_op, 3);
    assert_int_equal(o[1].results[1], 0); /* no results from a failed batch */
    assert_non_null(strstr(o[1].error, "queue/q1 is at version 1, not 7"));
    assert_int_equal(o[2].status, SB_OK);
    assert_int_equal(doc_version(f, 1, "queue", "a"), 1);
    assert_int_equal(doc_version(f, 1, "queue", "b"), 0);
    assert_int_equal(doc_version(f, 1, "queue", "c"), 1);
    sb_store_idem r;
    assert_int_equal(sb_store_idem_get(f->s, 1, "key-b", &r), SB_ENOENT);
    seqs *q = events(f, 1, 0, 0);
    assert_int_equal(q->n, 2);
    assert_int_equal(q->v[1], 2);

    /* batches that no check can refuse run without a savepoint; next to
     * them, one whose event sequence does not grow is refused alone */
    outcome p[3] = {{0}};
    b = sb_store_batch_new(0);
    append(b, 1, 3, 0);
    sb_store_batch_set(b, 1, "ix", "x1", 5, "{\"v\":5}", 7);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &p[0]), SB_OK);
    b = sb_store_batch_new(0);
    sb_store_batch_set(b, 1, "ix", "x2", 1, "{}", 2);
    append(b, 1, 3, 0); /* 3 is taken by the batch before */
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &p[1]), SB_OK);
    b = sb_store_batch_new(0);
    append(b, 1, 4, 0);
    sb_store_batch_set(b, 1, "ix", "x1", 2, "{}", 2); /* whatever it had */
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &p[2]), SB_OK);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(p[0].status, SB_OK);
    assert_int_equal(p[0].results[1], 5);
    assert_int_equal(p[1].status, SB_ESTATE);
    assert_int_equal(p[1].failed_op, 1);
    assert_int_equal(p[2].status, SB_OK);
    assert_int_equal(p[2].results[1], 2);
    assert_int_equal(doc_version(f, 1, "ix", "x1"), 2);
    assert_int_equal(doc_version(f, 1, "ix", "x2"), 0);
    q = events(f, 1, 0, 0);
    assert_int_equal(q->n, 4);
    assert_int_equal(q->v[3], 4);

    /* malformed ops: refused at submit, no callback */
    outcome none = {0};
    b = sb_store_batch_new(0);
    put(b, 1, "queue", "ok", SB_STORE_ANY_VERSION, "{}");
    put(b, 1, "", "x", SB_STORE_ANY_VERSION, "{}");
    assert_int_equal(sb_store_batch_ops(b), 1);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &none), SB_EINVAL);
    assert_non_null(strstr(sb_store_errmsg(f->s), "op 1: empty document kind"));
    b = sb_store_batch_new(0);
    sb_store_batch_append(b, 1, 0, 0, 0, "x", "", 0);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &none), SB_EINVAL);
    b = sb_store_batch_new(0);
    sb_store_batch_append(b, (uint64_t)INT64_MAX + 1, 5, 0, 0, "x", "", 0);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &none), SB_EINVAL);
    b = sb_store_batch_new(0);
    sb_store_batch_prune_events(b, 1, 0, 0);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &none), SB_EINVAL);
    b = sb_store_batch_new(0);
    sb_store_batch_set(b, 1, "ix", "x3", 0, "{}", 2);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &none), SB_EINVAL);
    assert_non_null(strstr(sb_store_errmsg(f->s), "version 0 must be positive"));
    sb_store_batch_free(sb_store_batch_new(0)); /* never submitted */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(none.calls, 0);
    assert_int_equal(doc_version(f, 1, "queue", "ok"), 0);

    /* an empty batch is a barrier */
    assert_int_equal(commit(f, sb_store_batch_new(0)).status, SB_OK);
    fx_done(f);
}

/* ---- idempotency keys ------------------------------------------------- */

/* Run SQL on the store's database through a connection of the test's
 * own (as another process would). */
static void foreign_exec(fx *f, const char *sql) {
    char path[192];
    snprintf(path, sizeof(path), "%s/%s", f->dir, SB_STORE_DB_FILE);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

/* A failure of the storage itself (here a trigger that another
 * connection put on the documents): the batch gets SB_STORE_EIO with
 * SQLite's reason and the statement, nothing of it is applied, and the
 * store commits again once the cause is gone. */
static void test_store_storage_failure(void **state) {
    fx *f = *state;
    fx_open(f);
    foreign_exec(f, "CREATE TRIGGER refuse BEFORE INSERT ON documents"
                    " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    sb_store_batch *b = sb_store_batch_new(0);
    append(b, 1, 1, 0);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{}");
    outcome o = commit(f, b);
    assert_int_equal(o.status, SB_STORE_EIO);
    assert_int_equal(o.failed_op, -1);
    assert_non_null(strstr(o.error, "refused by the test (in: INSERT INTO documents"));
    assert_true(strlen(o.error) < 192);
    assert_int_equal(events(f, 1, 0, 100)->n, 0); /* the append went with it */
    assert_int_equal(doc_version(f, 1, "queue", "q1"), 0);

    foreign_exec(f, "DROP TRIGGER refuse");
    b = sb_store_batch_new(0);
    append(b, 1, 1, 0);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{}");
    assert_int_equal(commit(f, b).status, SB_OK);
    assert_int_equal(events(f, 1, 0, 100)->n, 1);
    assert_int_equal(doc_version(f, 1, "queue", "q1"), 1);
    fx_done(f);
}

static void test_store_idempotency(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_batch *b = sb_store_batch_new(1000);
    put(b, 1, "interaction", "i1", SB_STORE_ANY_VERSION, "{}");
    sb_store_batch_idem(b, 1, "k1", 201, "{\"id\":\"i1\"}", 11);
    assert_int_equal(commit(f, b).status, SB_OK);
    sb_store_idem r;
    assert_int_equal(sb_store_idem_get(f->s, 1, "k1", &r), SB_OK);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.created_at, 1000);
    assert_int_equal(r.len, 11);
    assert_string_equal(r.body, "{\"id\":\"i1\"}");
    sb_store_idem_free(&r);
    assert_null(r.owned);
    assert_int_equal(sb_store_idem_get(f->s, 1, "k2", &r), SB_ENOENT);
    assert_int_equal(sb_store_idem_get(f->s, 2, "k1", &r), SB_ENOENT);

    /* the key is taken: the whole batch fails */
    b = sb_store_batch_new(1500);
    put(b, 1, "interaction", "i2", SB_STORE_ANY_VERSION, "{}");
    sb_store_batch_idem(b, 1, "k1", 201, "{}", 2);
    outcome o = commit(f, b);
    assert_int_equal(o.status, SB_EEXIST);
    assert_int_equal(o.failed_op, 1);
    assert_int_equal(doc_version(f, 1, "interaction", "i2"), 0);
    assert_int_equal(sb_store_idem_get(f->s, 1, "k1", &r), SB_OK);
    assert_int_equal(r.created_at, 1000);
    sb_store_idem_free(&r);

    /* the same key in another tenant is another key */
    b = sb_store_batch_new(2000);
    sb_store_batch_idem(b, 2, "k1", 409, "", 0);
    sb_store_batch_idem(b, 1, "k2", 200, "", 0);
    assert_int_equal(commit(f, b).status, SB_OK);
    b = sb_store_batch_new(3000);
    sb_store_batch_idem(b, 1, "k3", 200, "", 0);
    assert_int_equal(commit(f, b).status, SB_OK);

    /* expiry: keys created before 2500 */
    b = sb_store_batch_new(0);
    sb_store_batch_prune_idem(b, 1, 2500, 100);
    o = commit(f, b);
    assert_int_equal(o.results[0], 2);
    assert_int_equal(sb_store_idem_get(f->s, 1, "k1", &r), SB_ENOENT);
    assert_int_equal(sb_store_idem_get(f->s, 1, "k3", &r), SB_OK);
    sb_store_idem_free(&r);
    assert_int_equal(sb_store_idem_get(f->s, 2, "k1", &r), SB_OK);
    assert_int_equal(r.status, 409);
    sb_store_idem_free(&r);
    fx_done(f);
}

/* ---- group commit ----------------------------------------------------- */

typedef struct order_rec {
    int n, bad;
    int seen[1000];
} order_rec;

typedef struct order_arg {
    order_rec *rec;
    int i;
} order_arg;

static void order_cb(void *data, int status, const sb_store_batch *b) {
    order_arg *a = data;
    if (status != SB_OK) a->rec->bad++;
    a->rec->seen[a->rec->n++] = a->i;
}

static void test_store_group_commit(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_stats before, after;
    sb_store_stats_get(f->s, &before);
    static order_rec rec;
    static order_arg args[1000];
    memset(&rec, 0, sizeof(rec));
    /* one loop turn: all submitted before the loop runs */
    for (int i = 0; i < 1000; i++) {
        sb_store_batch *b = sb_store_batch_new(i);
        append(b, 1, (uint64_t)i + 1, i);
        char id[16];
        snprintf(id, sizeof(id), "d%04d", i);
        put(b, 1, "doc", id, SB_STORE_ANY_VERSION, "{}");
        args[i] = (order_arg){&rec, i};
        assert_int_equal(sb_store_submit(f->s, b, order_cb, &args[i]), SB_OK);
    }
    sb_store_stats_get(f->s, &after);
    assert_int_equal(after.in_flight, 1000);
    assert_int_equal(events(f, 1, 0, 0)->n, 0); /* nothing acknowledged yet */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(rec.n, 1000);
    assert_int_equal(rec.bad, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rec.seen[i], i);
    sb_store_stats_get(f->s, &after);
    uint64_t tx = after.transactions - before.transactions;
    print_message("group commit: 1000 batches in %llu transaction(s), last %llu us\n",
                  (unsigned long long)tx, (unsigned long long)after.last_commit_us);
    assert_int_equal(after.batches - before.batches, 1000);
    assert_true(tx >= 1 && tx <= 10);
    assert_int_equal(after.in_flight, 0);
    assert_int_equal(after.failed, 0);
    assert_true(after.max_commit_us >= after.last_commit_us);
    uint64_t in_hist = 0;
    for (int i = 0; i <= SB_STORE_COMMIT_BUCKETS; i++)
        in_hist += after.commit_hist[i];
    assert_int_equal(in_hist, after.transactions);
    assert_true(after.commit_sum_us >= after.max_commit_us);
    for (int i = 0; i < SB_STORE_COMMIT_BUCKETS; i++) /* sb__lat_bounds, in us */
        assert_true(i == 0 || SB_STORE_COMMIT_BOUNDS_US[i] > SB_STORE_COMMIT_BOUNDS_US[i - 1]);
    assert_int_equal(events(f, 1, 0, 0)->n, 1000);
    fx_done(f);
}

/* ---- isolation and failure -------------------------------------------- */

typedef struct gate {
    uv_sem_t applied, go;
    int fail;
} gate;

/* On the writer thread, between applying and COMMIT. */
static int gate_hook(void *data) {
    gate *g = data;
    uv_sem_post(&g->applied);
    uv_sem_wait(&g->go);
    return g->fail;
}

static void test_store_read_isolation(void **state) {
    fx *f = *state;
    fx_open(f);
    gate g = {0};
    uv_sem_init(&g.applied, 0);
    uv_sem_init(&g.go, 0);
    sb__store_set_hook(f->s, gate_hook, &g);

    outcome o = {0};
    sb_store_batch *b = sb_store_batch_new(0);
    append(b, 1, 1, 0);
    put(b, 1, "queue", "q1", SB_STORE_ANY_VERSION, "{}");
    sb_store_batch_idem(b, 1, "k", 200, "", 0);
    assert_int_equal(sb_store_submit(f->s, b, record_cb, &o), SB_OK);
    uv_run(&f->loop, UV_RUN_NOWAIT); /* end of turn: the writer takes it */
    uv_sem_wait(&g.applied);
    /* the writer holds an open transaction with the batch applied: reads
     * neither wait for it nor see it */
    uint64_t first, last;
    assert_int_equal(sb_store_event_bounds(f->s, 1, &first, &last), SB_OK);
    assert_int_equal(last, 0);
    assert_int_equal(events(f, 1, 0, 0)->n, 0);
    assert_int_equal(doc_version(f, 1, "queue", "q1"), 0);
    sb_store_idem r;
    assert_int_equal(sb_store_idem_get(f->s, 1, "k", &r), SB_ENOENT);
    assert_int_equal(o.calls, 0);
    uv_sem_post(&g.go);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, SB_OK);
    assert_int_equal(doc_version(f, 1, "queue", "q1"), 1); /* committed: visible */

    /* a transaction that fails: every batch in it fails, none applied */
    g.fail = 1;
    outcome fo[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        b = sb_store_batch_new(0);
        append(b, 1, (uint64_t)i + 2, 0);
        put(b, 1, "queue", "q2", SB_STORE_ANY_VERSION, "{}");
        assert_int_equal(sb_store_submit(f->s, b, record_cb, &fo[i]), SB_OK);
    }
    uv_run(&f->loop, UV_RUN_NOWAIT);
    uv_sem_wait(&g.applied);
    uv_sem_post(&g.go);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fo[i].calls, 1);
        assert_int_equal(fo[i].status, SB_STORE_EIO);
        assert_int_equal(fo[i].failed_op, -1);
        assert_non_null(strstr(fo[i].error, "injected"));
    }
    assert_int_equal(doc_version(f, 1, "queue", "q2"), 0);
    assert_int_equal(events(f, 1, 0, 0)->n, 1);
    sb_store_stats st;
    sb_store_stats_get(f->s, &st);
    assert_int_equal(st.failed, 1);

    /* and the store goes on */
    sb__store_set_hook(f->s, NULL, NULL);
    b = sb_store_batch_new(0);
    append(b, 1, 2, 0);
    assert_int_equal(commit(f, b).status, SB_OK);
    uv_sem_destroy(&g.applied);
    uv_sem_destroy(&g.go);
    fx_done(f);
}

/* ---- close ------------------------------------------------------------ */

typedef struct drain {
    fx *f;
    int n, bad, refused;
} drain;

static void drain_cb(void *data, int status, const sb_store_batch *b) {
    drain *d = data;
    if (status != SB_OK) d->bad++;
    d->n++;
    /* while closing, nothing new is taken */
    sb_store_batch *nb = sb_store_batch_new(0);
    if (sb_store_submit(d->f->s, nb, drain_cb, d) == SB_ESTATE) d->refused++;
}

static void test_store_close_drains(void **state) {
    fx *f = *state;
    fx_open(f);
    drain d = {.f = f};
    for (uint64_t i = 1; i <= 100; i++) {
        sb_store_batch *b = sb_store_batch_new(0);
        append(b, 7, i, 0);
        assert_int_equal(sb_store_submit(f->s, b, drain_cb, &d), SB_OK);
    }
    sb_store_close(f->s); /* the loop never ran: close commits them */
    assert_int_equal(d.n, 100);
    assert_int_equal(d.bad, 0);
    assert_int_equal(d.refused, 100);
    f->s = NULL;
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    fx_open(f);
    seqs *q = events(f, 7, 0, 0);
    assert_int_equal(q->n, 100);
    assert_int_equal(q->v[99], 100);
    fx_done(f);
}

/* ---- crash safety ----------------------------------------------------- */

/* The child: keep 32 batches in flight, each appending the next event of
 * tenant 1 and setting document counter/c to that seq; write each
 * acknowledged seq to the pipe from the completion callback.  It runs
 * until killed. */
typedef struct child {
    sb_store *s;
    int fd;
    uint64_t next;
} child;

typedef struct child_batch {
    child *c;
    uint64_t seq;
} child_batch;

static void child_cb(void *data, int status, const sb_store_batch *b);

static void child_submit(child *c) {
    child_batch *cb = sb_malloc(sizeof(*cb));
    cb->c = c;
    cb->seq = c->next++;
    sb_store_batch *b = sb_store_batch_new((int64_t)cb->seq);
    append(b, 1, cb->seq, (int64_t)cb->seq);
    char body[32];
    snprintf(body, sizeof(body), "%llu", (unsigned long long)cb->seq);
    put(b, 1, "counter", "c", SB_STORE_ANY_VERSION, body);
    if (sb_store_submit(c->s, b, child_cb, cb) != SB_OK) _exit(3);
}

static void child_cb(void *data, int status, const sb_store_batch *b) {
    child_batch *cb = data;
    child *c = cb->c;
    uint64_t seq = cb->seq;
    sb_free(cb);
    if (status != SB_OK) _exit(4);
    if (write(c->fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq)) _exit(5);
    child_submit(c);
}

static _Noreturn void child_main(const char *dir, int fd) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    child c = {.fd = fd};
    char err[256];
    if (sb_store_open(&loop, dir, &c.s, err, sizeof(err)) != SB_OK) _exit(2);
    uint64_t first, last;
    if (sb_store_event_bounds(c.s, 1, &first, &last) != SB_OK) _exit(2);
    c.next = last + 1;
    for (int i = 0; i < 32; i++)
        child_submit(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
    _exit(6);
}

typedef struct acks {
    uint64_t *v;
    size_t n, cap;
    unsigned char carry[8];
    size_t ncarry;
} acks;

/* Read what the pipe has; 0 at end of file. */
static ssize_t read_acks(int fd, acks *a) {
    unsigned char buf[4096];
    ssize_t got = read(fd, buf, sizeof(buf));
    for (ssize_t i = 0; i < got; i++) {
        a->carry[a->ncarry++] = buf[i];
        if (a->ncarry < 8) continue;
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 1024;
            a->v = sb_realloc(a->v, a->cap * sizeof(*a->v));
        }
        memcpy(&a->v[a->n++], a->carry, 8);
        a->ncarry = 0;
    }
    return got;
}

/* Every seq 1..last is in the journal, in order. */
static void check_journal(fx *f, uint64_t last) {
    static seqs q;
    uint64_t want = 1;
    do {
        memset(&q, 0, sizeof(q));
        assert_int_equal(sb_store_events_after(f->s, 1, want - 1, 2048, collect_ev, &q), SB_OK);
        for (size_t i = 0; i < q.n; i++)
            assert_int_equal(q.v[i], want++);
    } while (q.n == 2048);
    assert_int_equal(want - 1, last);
}

static void test_store_crash_safety(void **state) {
    fx *f = *state;
    acks a = {0};
    for (int round = 0; round < 3; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_main(f->dir, p[1]);
        }
        close(p[1]);
        size_t start = a.n;
        uint64_t t0 = uv_hrtime();
        /* at least 300 ms and 200 acknowledgements, then kill mid-flight */
        for (;;) {
            uint64_t ms = (uv_hrtime() - t0) / 1000000;
            if (ms >= 5000 || (ms >= 300 && a.n - start >= 200)) break;
            struct pollfd pfd = {.fd = p[0], .events = POLLIN};
            if (poll(&pfd, 1, 50) > 0 && read_acks(p[0], &a) == 0)
                fail_msg("the child exited early");
        }
        assert_int_equal(kill(pid, SIGKILL), 0);
        int ws;
        assert_int_equal(waitpid(pid, &ws, 0), pid);
        assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
        /* what is still in the pipe was acknowledged before the kill */
        while (read_acks(p[0], &a) > 0) {
        }
        close(p[0]);
        assert_int_equal(a.ncarry, 0);
        assert_true(a.n - start >= 1);
        for (size_t i = start + 1; i < a.n; i++)
            assert_int_equal(a.v[i], a.v[i - 1] + 1);

        fx_open(f);
        uint64_t first, last;
        assert_int_equal(sb_store_event_bounds(f->s, 1, &first, &last), SB_OK);
        assert_int_equal(first, 1);
        assert_true(last >= a.v[a.n - 1]); /* every acknowledged seq survived */
        check_journal(f, last);
        /* the document went with its event, atomically */
        sb_store_doc d;
        assert_int_equal(sb_store_doc_get(f->s, 1, "counter", "c", &d), SB_OK);
        assert_int_equal(strtoull(d.body, NULL, 10), last);
        assert_int_equal(d.version, last);
        sb_store_doc_free(&d);
        print_message("crash round %d: %zu acknowledged (seq %llu..%llu), journal ends at %llu\n",
                      round + 1, a.n - start, (unsigned long long)a.v[start],
                      (unsigned long long)a.v[a.n - 1], (unsigned long long)last);
        fx_close(f);
    }
    sb_free(a.v);
    fx_done(f);
}

/* The WAL is checkpointed by the checkpointer thread, not inside a
 * commit: after a few MB of commits the thread has run, the WAL stays
 * bounded, and everything reads back after a reopen. */
static void test_store_checkpointer(void **state) {
    fx *f = *state;
    fx_open(f);
    char body[4096 + 64];
    memset(body, 'x', 4096);
    body[4096] = '\0';
    char id[32], path[160];
    for (int i = 0; i < 3000; i++) {
        sb_store_batch *b = sb_store_batch_new(i);
        snprintf(id, sizeof(id), "d%05d", i % 500);
        put(b, 1, "blob", id, SB_STORE_ANY_VERSION, body);
        assert_int_equal(commit(f, b).status, SB_OK);
    }
    /* the thread wakes at 1000 WAL pages; give it time on a loaded machine */
    for (int i = 0; i < 1000 && __atomic_load_n(&f->s->checkpoints, __ATOMIC_RELAXED) == 0; i++)
        usleep(10000);
    assert_true(__atomic_load_n(&f->s->checkpoints, __ATOMIC_RELAXED) >= 1);
    snprintf(path, sizeof(path), "%s/%s-wal", f->dir, SB_STORE_DB_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* 3000 commits of a 4 KiB body: about 9,000 pages (36 MB) without any
     * checkpoint; the WAL is reused once checkpointed */
    if (st.st_size >= 30 * 1024 * 1024) fail_msg("WAL of %lld bytes", (long long)st.st_size);
    fx_close(f);
    fx_open(f);
    assert_int_equal(doc_version(f, 1, "blob", "d00499"), 6);
    fx_done(f);
}

/* Two kinds merged by id: an interaction's document is "live" while
 * unfinished and "ix" after; where an id has both (a database written
 * before they were one), the "live" one is visited, once. */
static void test_store_documents_over(void **state) {
    fx *f = *state;
    fx_open(f);
    sb_store_batch *b = sb_store_batch_new(1000);
    put(b, 1, "ix", "01", SB_STORE_ANY_VERSION, "a");
    put(b, 1, "live", "02", SB_STORE_ANY_VERSION, "b");
    put(b, 1, "ix", "03", SB_STORE_ANY_VERSION, "old");
    put(b, 1, "live", "03", SB_STORE_ANY_VERSION, "new");
    put(b, 1, "ix", "04", SB_STORE_ANY_VERSION, "d");
    put(b, 1, "live", "05", SB_STORE_ANY_VERSION, "e");
    put(b, 1, "live", "06", SB_STORE_ANY_VERSION, "f");
    put(b, 1, "lives", "02", SB_STORE_ANY_VERSION, "other kind");
    put(b, 2, "ix", "00", SB_STORE_ANY_VERSION, "other tenant");
    assert_int_equal(commit(f, b).status, SB_OK);

    int more;
    assert_string_equal(page_over(f, NULL, 0, &more),
                        "01:ix:a,02:live:b,03:live:new,04:ix:d,05:live:e,06:live:f");
    assert_int_equal(more, 0);
    /* pages: the skipped duplicate counts for nothing */
    assert_string_equal(page_over(f, "", 3, &more), "01:ix:a,02:live:b,03:live:new");
    assert_int_equal(more, 1);
    assert_string_equal(page_over(f, "03", 3, &more), "04:ix:d,05:live:e,06:live:f");
    assert_int_equal(more, 0);
    assert_string_equal(page_over(f, "02", 1, &more), "03:live:new");
    assert_int_equal(more, 1);
    assert_string_equal(page_over(f, "06", 0, &more), "");
    assert_int_equal(more, 0);

    /* finishing moves a document from "live" to "ix" in one batch */
    b = sb_store_batch_new(2000);
    sb_store_batch_set(b, 1, "ix", "05", 2, "E", 1);
    sb_store_batch_delete(b, 1, "live", "05", SB_STORE_ANY_VERSION);
    assert_int_equal(commit(f, b).status, SB_OK);
    assert_string_equal(page_over(f, "04", 0, &more), "05:ix:E,06:live:f");

    /* a kind is required */
    assert_int_equal(sb_store_doc_list_over(f->s, 1, "ix", NULL, NULL, 0, collect_kind, NULL, NULL),
                     SB_EINVAL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

SB_TEST_GROUP(store, T(test_store_schema), T(test_store_events), T(test_store_documents),
              T(test_store_documents_over), T(test_store_batch_atomic),
              T(test_store_storage_failure), T(test_store_idempotency), T(test_store_group_commit),
              T(test_store_read_isolation), T(test_store_close_drains), T(test_store_crash_safety),
              T(test_store_checkpointer))
