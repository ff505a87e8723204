/* store.h: the durable store: per tenant, an event journal, versioned
 * documents and idempotency keys, in SQLite.
 *
 * Threads.  A store belongs to one libuv loop thread, which makes every
 * call below.  Writes are batches: the loop submits them and goes on; at
 * the end of the loop turn the turn's batches go to the store's writer
 * thread, which commits everything queued in ONE transaction (group
 * commit: many batches, one fsync) and then wakes the loop, which runs each
 * batch's callback in submission order.  A callback with SB_OK means the
 * batch is durable (WAL, synchronous=FULL: the commit was fsynced); only
 * then may the caller acknowledge the mutation.  Reads run on the loop
 * thread through a separate read-only connection: they do not wait for
 * the writer and see only committed data (never a batch in flight).
 *
 * Tenants are integers 0..INT64_MAX chosen by the caller; the store gives
 * them no meaning.  Convention: tenant 0 is the installation itself (for
 * example the tenant registry as documents of kind "tenant"), so start-up
 * can find every tenant without scanning the journal.
 *
 * Bodies are opaque bytes (the API puts JSON text in them); the store never
 * looks inside.  Times are milliseconds on the caller's clock; the store
 * only compares them (pruning).
 *
 * Return values: SB_OK, a negative sb_status (base/status.h), or
 * SB_STORE_EIO for a failure of the storage itself. */
#ifndef SB_STORE_STORE_H
#define SB_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/status.h"

/* The storage failed (SQLite or I/O error, disk full, not a database). */
#define SB_STORE_EIO SB_EIO

/* The schema version this build writes; opening a database of a newer
 * version fails with SB_ESTATE. */
#define SB_STORE_SCHEMA_VERSION 2

/* The database file inside the data directory. */
#define SB_STORE_DB_FILE "switchboard.db"

/* put / delete without a version check. */
#define SB_STORE_ANY_VERSION (-1)

typedef struct sb_store sb_store;
typedef struct sb_store_batch sb_store_batch;

/* ---- open and close --------------------------------------------------- */

/* Open the store in data directory `dir` (created, with its parents, if
 * missing; the database is dir/switchboard.db, with SQLite's -wal and -shm
 * files beside it, and dir/switchboard.lock is flock'ed while open), apply
 * pending schema migrations and start the writer thread.  `loop` is the loop whose thread
 * owns the store.  On failure returns SB_EINVAL (bad arguments, not a
 * Switchboard database), SB_ESTATE (schema newer than this build) or
 * SB_EINUSE (another store has the directory open), SB_STORE_EIO, writes a
 * reason into err (when errlen > 0) and leaves *out NULL. */
int sb_store_open(uv_loop_t *loop, const char *dir, sb_store **out, char *err, size_t errlen);

/* Close: commit every batch already submitted (each callback runs, in
 * order, before this returns; submitting from them fails with SB_ESTATE),
 * stop the writer thread and close the database.  The store's memory is
 * released by its libuv handles' close callbacks: run the loop after this
 * (uv_run) before closing the loop.  Must not be called from a completion
 * callback.  NULL is ignored. */
void sb_store_close(sb_store *s);

/* Reason for the latest failed call on the loop thread (a read, or a
 * submit), "" if none failed yet.  Valid until the next call. */
const char *sb_store_errmsg(const sb_store *s);

/* ---- batches (writes) ------------------------------------------------- */

/* A new empty batch.  `now` (ms) stamps the documents' updated_at and the
 * idempotency keys' created_at.  The batch copies every argument given to
 * the adders below, so the caller's buffers may be reused at once. */
sb_store_batch *sb_store_batch_new(int64_t now);

/* Free a batch that was not submitted.  NULL is ignored. */
void sb_store_batch_free(sb_store_batch *b);

/* Append event `seq` of `tenant` to the journal: time `at`, what it is
 * about (`subject`, e.g. an interaction id, for sb_store_events_of; 0 for
 * nothing), type name (non-empty), body.  seq must be greater than every seq of the tenant
 * already in the journal or earlier in the transaction (SB_ESTATE). */
void sb_store_batch_append(sb_store_batch *b, uint64_t tenant, uint64_t seq, int64_t at,
                           uint64_t subject, const char *type, const void *body, size_t len);

/* Write document (tenant, kind, id) with a body; its version becomes the
 * previous one plus 1 (1 for a new document).  `expect` is
 * SB_STORE_ANY_VERSION, 0 (the document must not exist) or the version the
 * document must have now; a mismatch fails the batch with SB_ESTATE.  The
 * op's result (sb_store_batch_result) is the new version.  A deleted and
 * re-created document starts again at version 1. */
void sb_store_batch_put(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                        int64_t expect, const void *body, size_t len);

/* Write document (tenant, kind, id) at `version` (> 0), whatever it had:
 * for a caller that keeps the versions itself (one statement, no read).
 * Result: the version. */
void sb_store_batch_set(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                        int64_t version, const void *body, size_t len);

/* Delete document (tenant, kind, id).  With SB_STORE_ANY_VERSION a missing
 * document is not an error; otherwise its version must be `expect` (0: it
 * must not exist), else SB_ESTATE.  Result: the deleted version, 0 if none. */
void sb_store_batch_delete(sb_store_batch *b, uint64_t tenant, const char *kind, const char *id,
                           int64_t expect);

/* Record the response to idempotency key (tenant, key): a status (what the
 * API answered, e.g. an HTTP status) and a body.  The key must be new
 * (SB_EEXIST fails the batch). */
void sb_store_batch_idem(sb_store_batch *b, uint64_t tenant, const char *key, int status,
                         const void *body, size_t len);

/* Prune the tenant's journal: delete the oldest events, in seq order, while
 * their time is before `before`, at most `max` of them (max > 0: a bound on
 * the work of one transaction), never the latest event (so the last seq
 * survives).  The journal stays a contiguous run of seqs.  Result: the
 * number deleted; call again while it equals max. */
void sb_store_batch_prune_events(sb_store_batch *b, uint64_t tenant, int64_t before, int64_t max);

/* Delete at most `max` (> 0) idempotency keys of the tenant created before
 * `before`.  Result: the number deleted. */
void sb_store_batch_prune_idem(sb_store_batch *b, uint64_t tenant, int64_t before, int64_t max);

/* Number of ops added so far. */
size_t sb_store_batch_ops(const sb_store_batch *b);

/* Called on the loop thread once the batch's transaction has committed
 * (status SB_OK: durable) or failed.  The batch is atomic: on any error
 * none of its ops is applied.  Statuses: SB_ESTATE (version or sequence
 * check), SB_EEXIST (idempotency key taken), SB_STORE_EIO (the whole
 * transaction failed: every batch in it gets this).  `b` is valid during
 * the call only (the store frees it after). */
typedef void (*sb_store_done_cb)(void *data, int status, const sb_store_batch *b);

/* Submit a batch; the store owns it from now on.  Returns SB_OK and later
 * calls cb exactly once, or returns an error at once (SB_EINVAL for a
 * malformed op, SB_ESTATE while closing) with the batch freed, cb never
 * called and the reason in sb_store_errmsg().  cb may be NULL (nobody waits
 * for the outcome).  An empty batch is valid: its callback says that
 * everything submitted before it is durable. */
int sb_store_submit(sb_store *s, sb_store_batch *b, sb_store_done_cb cb, void *data);

/* In a completion callback: op i's result (see each adder), 0 when the
 * batch failed. */
int64_t sb_store_batch_result(const sb_store_batch *b, size_t i);

/* In a completion callback of a failed batch: the index of the op that
 * failed it, or -1 (the transaction failed as a whole). */
long sb_store_batch_failed_op(const sb_store_batch *b);

/* In a completion callback: why the batch failed, "" on success. */
const char *sb_store_batch_error(const sb_store_batch *b);

/* ---- reads (loop thread, committed data only) ------------------------ */

/* One journal event, valid during the visit only. */
typedef struct sb_store_event {
    uint64_t tenant, seq;
    int64_t at;
    const char *type; /* NUL-terminated */
    const void *body;
    size_t len;
} sb_store_event;

/* A visitor: return 0 to go on, anything else to stop; the read then
 * returns that value.  A visitor may make other reads, but not the one
 * that is visiting (SB_ESTATE). */
typedef int (*sb_store_event_cb)(void *data, const sb_store_event *ev);

/* Visit the tenant's events with seq > after, in seq order, at most
 * `limit` (0: all).  Returns SB_OK, a visitor's stop value or an error. */
int sb_store_events_after(sb_store *s, uint64_t tenant, uint64_t after, size_t limit,
                          sb_store_event_cb cb, void *data);

/* Visit the tenant's events about `subject` (non-zero), in seq order.
 * Returns SB_OK, a visitor's stop value or an error. */
int sb_store_events_of(sb_store *s, uint64_t tenant, uint64_t subject, sb_store_event_cb cb,
                       void *data);

/* The tenant's first and last journal seqs, both 0 when it has none.  A
 * stream resuming after seq a has missed events when a + 1 < first. */
int sb_store_event_bounds(sb_store *s, uint64_t tenant, uint64_t *first, uint64_t *last);

/* A document.  From sb_store_doc_get it is a copy: kind and id are the
 * caller's arguments, body sits in `owned` followed by a NUL byte (not
 * counted in len) and sb_store_doc_free releases it.  In a visitor every
 * field is borrowed for the visit and `owned` is NULL. */
typedef struct sb_store_doc {
    const char *kind, *id;
    int64_t version, updated_at;
    const void *body;
    size_t len;
    void *owned;
} sb_store_doc;

/* Read document (tenant, kind, id) into *out; SB_ENOENT if absent. */
int sb_store_doc_get(sb_store *s, uint64_t tenant, const char *kind, const char *id,
                     sb_store_doc *out);

/* Release a document filled by sb_store_doc_get; clears it. */
void sb_store_doc_free(sb_store_doc *d);

typedef int (*sb_store_doc_cb)(void *data, const sb_store_doc *doc);

/* Visit the tenant's documents of `kind` with id > after (NULL or "": from
 * the start), in id order (bytewise), at most `limit` (0: all).  *more
 * (if not NULL) says whether documents remain after the last one visited:
 * the next page starts after that document's id.  Returns SB_OK, a
 * visitor's stop value or an error. */
int sb_store_doc_list(sb_store *s, uint64_t tenant, const char *kind, const char *after,
                      size_t limit, sb_store_doc_cb cb, void *data, int *more);

/* The same over the documents of two kinds, merged in id order; where an
 * id has a document of both, only its `over` one is visited.  (An
 * interaction's document is "live" while it is unfinished, "ix" after.)
 * doc->kind tells which kind each one is. */
int sb_store_doc_list_over(sb_store *s, uint64_t tenant, const char *kind, const char *over,
                           const char *after, size_t limit, sb_store_doc_cb cb, void *data,
                           int *more);

/* The same newest first: ids < before (NULL or "": from the last one), in
 * descending id order. */
int sb_store_doc_list_desc(sb_store *s, uint64_t tenant, const char *kind, const char *before,
                           size_t limit, sb_store_doc_cb cb, void *data, int *more);

/* A stored idempotent response, a copy: body in `owned` followed by a NUL
 * byte; release with sb_store_idem_free. */
typedef struct sb_store_idem {
    int status;
    int64_t created_at;
    const void *body;
    size_t len;
    void *owned;
} sb_store_idem;

/* Look idempotency key (tenant, key) up; SB_ENOENT if absent. */
int sb_store_idem_get(sb_store *s, uint64_t tenant, const char *key, sb_store_idem *out);

/* Release a response filled by sb_store_idem_get; clears it. */
void sb_store_idem_free(sb_store_idem *r);

/* ---- metrics ---------------------------------------------------------- */

#define SB_STORE_COMMIT_BUCKETS 14
extern const uint64_t SB_STORE_COMMIT_BOUNDS_US[SB_STORE_COMMIT_BUCKETS];

typedef struct sb_store_stats {
    uint64_t batches;        /* batches the writer has finished (committed or failed) */
    uint64_t transactions;   /* transactions the writer has run */
    uint64_t failed;         /* of them, those that failed (all their batches failed) */
    uint64_t last_commit_us; /* the last transaction, BEGIN to COMMIT, fsync included */
    uint64_t max_commit_us;  /* the slowest transaction since open */
    /* transactions by duration (BEGIN to COMMIT): commit_hist[i] counts
     * those of at most SB_STORE_COMMIT_BOUNDS_US[i] and more than the bound
     * before; the last, those above every bound.  commit_sum_us: in all. */
    uint64_t commit_hist[SB_STORE_COMMIT_BUCKETS + 1];
    uint64_t commit_sum_us;
    uint64_t in_flight;      /* batches submitted whose callback has not run yet */
} sb_store_stats;

/* Fill *out with the counters since open. */
void sb_store_stats_get(sb_store *s, sb_store_stats *out);

#endif
