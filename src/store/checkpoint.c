/* checkpoint.c: the WAL checkpointer, a thread with its own connection.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses its
 * threshold: it copies the WAL's pages into the database and fsyncs both,
 * and every batch of that transaction waits for it.  Here the writer's
 * connection has no automatic checkpoint; its WAL hook wakes this thread
 * instead, which checkpoints PASSIVE (never blocking the writer, which
 * goes on appending to the WAL meanwhile).  Once the WAL has been copied
 * entirely, the writer's next transaction starts it again from the top.
 *
 * Should the WAL still grow past WAL_MAX_PAGES (the writer outrunning the
 * copies without pause), the writer checkpoints itself between two
 * transactions, as SQLite would have, so it stays bounded. */
#include <pthread.h>
#include <stdio.h>

#include "base/mem.h"
#include "store/store-i.h"

#define WAL_PAGES 1000       /* wake the checkpointer (SQLite's own default) */
#define WAL_MAX_PAGES 16384  /* the writer does it itself (64 MiB of 4 KiB pages) */

/* On the writer thread, after each commit: pages now in the WAL. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages) {
    sb_store *s = arg;
    (void)db;
    (void)name;
    if (pages >= WAL_MAX_PAGES) s->wal_full = 1; /* writer thread only */
    if (pages >= WAL_PAGES) {
        uv_mutex_lock(&s->cmu);
        s->ckpt_want = 1;
        uv_cond_signal(&s->ccv);
        uv_mutex_unlock(&s->cmu);
    }
    return SQLITE_OK;
}

static void ckpt_main(void *arg) {
    sb_store *s = arg;
    pthread_setname_np(pthread_self(), "sb-ckpt");
    uv_mutex_lock(&s->cmu);
    for (;;) {
        while (!s->ckpt_want && !s->ckpt_stop) uv_cond_wait(&s->ccv, &s->cmu);
        if (s->ckpt_stop) break;
        s->ckpt_want = 0;
        uv_mutex_unlock(&s->cmu);
        int log = 0, done = 0;
        /* SQLITE_BUSY (the writer checkpointing itself) is fine: later */
        if (sqlite3_wal_checkpoint_v2(s->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK)
            __atomic_add_fetch(&s->checkpoints, 1, __ATOMIC_RELAXED);
        uv_mutex_lock(&s->cmu);
    }
    uv_mutex_unlock(&s->cmu);
}

int sb__store_ckpt_start(sb_store *s, const char *path, char *err, size_t errlen) {
    int st = sb__store_db_open(path, 0, &s->cdb, err, errlen);
    if (st != SB_OK) return st;
    if (uv_mutex_init(&s->cmu) != 0 || uv_cond_init(&s->ccv) != 0)
        sb_panic("store: cannot create a mutex or condition variable");
    sqlite3_wal_hook(s->wdb, wal_hook, s); /* replaces the automatic checkpoint */
    int rc = uv_thread_create(&s->cthread, ckpt_main, s);
    if (rc != 0) {
        sqlite3_wal_autocheckpoint(s->wdb, WAL_PAGES); /* back to SQLite's own */
        sqlite3_close(s->cdb);
        s->cdb = NULL;
        uv_mutex_destroy(&s->cmu);
        uv_cond_destroy(&s->ccv);
        if (errlen) snprintf(err, errlen, "checkpoint thread: %s", uv_strerror(rc));
        return SB_STORE_EIO;
    }
    return SB_OK;
}

void sb__store_ckpt_stop(sb_store *s) {
    if (s->cdb == NULL) return;
    sqlite3_wal_hook(s->wdb, NULL, NULL); /* the writer's thread has ended or never began */
    uv_mutex_lock(&s->cmu);
    s->ckpt_stop = 1;
    uv_cond_signal(&s->ccv);
    uv_mutex_unlock(&s->cmu);
    uv_thread_join(&s->cthread);
    sqlite3_close(s->cdb);
    s->cdb = NULL;
    uv_mutex_destroy(&s->cmu);
    uv_cond_destroy(&s->ccv);
}

void sb__store_ckpt_if_full(sb_store *s) {
    if (!s->wal_full) return;
    s->wal_full = 0;
    sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}
