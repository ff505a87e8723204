/* store-i.h: the store's internal types and the functions its files share.
 *
 * Who touches what:
 *  - loop thread: staged list, in_flight, closing, the read connection and
 *    its statements, errmsg;
 *  - writer thread: the write connection and its statements (the loop
 *    thread uses them only before the thread starts and after it joins);
 *  - both, under mu: pending and done lists, stop, stats, the test hook. */
#ifndef SB_STORE_STORE_I_H
#define SB_STORE_STORE_I_H

#include <sqlite3.h>
#include <uv.h>

#include "store/store.h"

typedef enum sb__store_op_type {
    SB__OP_APPEND,
    SB__OP_PUT,
    SB__OP_SET,
    SB__OP_DELETE,
    SB__OP_IDEM,
    SB__OP_PRUNE_EVENTS,
    SB__OP_PRUNE_IDEM
} sb__store_op_type;

/* One op.  Strings and bodies live in the batch's byte buffer (offsets,
 * since the buffer moves as it grows); strings are NUL-terminated there. */
typedef struct sb__store_op {
    sb__store_op_type type;
    uint64_t tenant;
    int64_t a;     /* APPEND seq; PUT/DELETE expect; SET version; IDEM status; PRUNE before */
    int64_t b;     /* APPEND at; PRUNE max */
    size_t s1, n1; /* APPEND type; PUT/SET/DELETE kind; IDEM key */
    size_t s2, n2; /* PUT/SET/DELETE id */
    size_t body, nbody;
    uint64_t subject; /* APPEND: what the event is about, 0 none */
    int64_t result;
} sb__store_op;

struct sb_store_batch {
    sb_store_batch *next;
    int64_t now;
    sb__store_op *ops;
    size_t nops, capops;
    char *bytes;
    size_t nbytes, capbytes;
    int invalid; /* first validation failure (error has the reason) */
    int status;
    long failed_op;
    sb_store_done_cb cb;
    void *data;
    char error[192];
};

/* Statements of the write connection. */
typedef enum {
    SB__W_BEGIN,
    SB__W_COMMIT,
    SB__W_ROLLBACK,
    SB__W_SAVEPOINT,
    SB__W_RELEASE,
    SB__W_ROLLBACK_TO,
    SB__W_EV_LAST,
    SB__W_EV_INSERT,
    SB__W_EV_SCAN,
    SB__W_EV_DELETE,
    SB__W_DOC_VERSION,
    SB__W_DOC_UPSERT,
    SB__W_DOC_BUMP,
    SB__W_DOC_DELETE,
    SB__W_IDEM_INSERT,
    SB__W_IDEM_PRUNE,
    SB__W_COUNT
} sb__store_wstmt;

/* Statements of the read connection. */
typedef enum {
    SB__R_EV_AFTER,
    SB__R_EV_BOUNDS,
    SB__R_EV_SUBJECT,
    SB__R_DOC_GET,
    SB__R_DOC_LIST,
    SB__R_DOC_LIST_OVER,
    SB__R_DOC_LIST_DESC,
    SB__R_IDEM_GET,
    SB__R_COUNT
} sb__store_rstmt;

/* Test hook: run on the writer thread after a transaction's batches are
 * applied and before COMMIT; a non-zero return makes the transaction fail
 * as if COMMIT had. */
typedef int (*sb__store_hook_fn)(void *data);

struct sb_store {
    uv_loop_t *loop;
    uv_async_t async;   /* writer -> loop: finished batches to deliver */
    uv_prepare_t flush; /* end of a loop turn: staged batches -> writer */
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cv;
    int handles; /* libuv handles still open; the last close frees */
    int lockfd;  /* holds the data directory's flock */

    /* loop thread */
    sb_store_batch *staged, **staged_tail;
    uint64_t in_flight;
    int closing, delivering, thread_running;
    sqlite3 *rdb;
    sqlite3_stmt *rs[SB__R_COUNT];
    char errmsg[256];

    /* writer thread */
    sqlite3 *wdb;
    sqlite3_stmt *ws[SB__W_COUNT];
    /* The last journal seq of recently written tenants, as the open
     * transaction sees it (saves a query per appended event).  Cleared
     * whenever a batch or a transaction rolls back. */
    struct sb__store_seq {
        uint64_t tenant;
        int64_t last;
    } seqs[16];
    int nseqs;

    /* under mu */
    sb_store_batch *pending, **pending_tail;
    sb_store_batch *done, **done_tail;
    int stop;
    sb_store_stats stats; /* in_flight is filled from the loop's count */
    sb__store_hook_fn hook;
    void *hook_data;

    /* the checkpointer (checkpoint.c): its connection, under cmu its wake-ups */
    sqlite3 *cdb;
    uv_thread_t cthread;
    uv_mutex_t cmu;
    uv_cond_t ccv;
    int ckpt_want, ckpt_stop;
    int wal_full;          /* writer thread: the WAL passed its bound */
    uint64_t checkpoints;  /* finished by the checkpointer (atomic) */
};

/* schema.c: open a connection to `path` with the store's pragmas (the
 * write connection creates the file, sets WAL and runs the migrations; the
 * read one is read-only) and prepare `n` statements.  Returns SB_OK or an
 * error with the reason in err. */
int sb__store_db_open(const char *path, int readonly, sqlite3 **out, char *err, size_t errlen);
int sb__store_migrate(sqlite3 *db, char *err, size_t errlen);
int sb__store_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **out, int n, char *err,
                      size_t errlen);
void sb__store_finalize(sqlite3_stmt **stmts, int n);

/* writer.c */
extern const char *const sb__store_wsql[SB__W_COUNT];
void sb__store_writer_main(void *arg);
/* Run the callbacks of the batches the writer has finished, in order. */
void sb__store_deliver(sb_store *s);

/* checkpoint.c: start the checkpointer (after the writer's connection is
 * open, before its thread starts); stop it (after the writer's thread has
 * joined); on the writer thread between transactions, checkpoint there if
 * the WAL has grown past its bound. */
int sb__store_ckpt_start(sb_store *s, const char *path, char *err, size_t errlen);
void sb__store_ckpt_stop(sb_store *s);
void sb__store_ckpt_if_full(sb_store *s);

/* read.c */
extern const char *const sb__store_rsql[SB__R_COUNT];

/* batch.c: the NUL-terminated string at offset off. */
static inline const char *sb__store_str(const sb_store_batch *b, size_t off) {
    return b->bytes + off;
}

/* store.c: record the reason for a failed loop-thread call and return st. */
int sb__store_fail(sb_store *s, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Set the writer's test hook (tests only; NULL removes it). */
void sb__store_set_hook(sb_store *s, sb__store_hook_fn fn, void *data);

#endif
