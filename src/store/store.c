/* store.c: open, close, submit; the loop side of the writer handoff.
 *
 * Batches submitted during a loop turn wait in the loop-only staged list;
 * a uv_prepare_t, which runs when the loop has finished the turn's work
 * and is about to poll, hands them all to the writer under one lock and
 * one signal.  So a turn's batches reach the writer together and share a
 * transaction (group commit per loop turn), and the loop never takes the
 * lock per batch.
 *
 * The async handle is referenced only while batches are in flight: an
 * idle store does not keep the loop alive, a busy one does until its
 * callbacks have run.
 *
 * A data directory is used by one store at a time: an exclusive flock on
 * switchboard.lock, held while open, refuses a second server (two
 * in-memory states over one journal would diverge). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "store/store-i.h"

#define SB__STORE_LOCK_FILE "switchboard.lock"

int sb__store_fail(sb_store *s, int st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
    return st;
}

const char *sb_store_errmsg(const sb_store *s) {
    return s->errmsg;
}

/* mkdir -p */
static int make_dirs(const char *dir, char *err, size_t errlen) {
    char *p = sb_strdup(dir);
    int st = SB_OK;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0') continue;
        char saved = *c;
        *c = '\0';
        struct stat sb;
        if (mkdir(p, 0750) != 0 && errno != EEXIST) {
            if (errlen) snprintf(err, errlen, "create %s: %s", p, strerror(errno));
            st = SB_STORE_EIO;
        } else if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            if (errlen) snprintf(err, errlen, "%s is not a directory", p);
            st = SB_STORE_EIO;
        }
        *c = saved;
        if (st != SB_OK || saved == '\0') break;
    }
    sb_free(p);
    return st;
}

static char *join(const char *dir, const char *file) {
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = sb_malloc(n);
    snprintf(p, n, "%s/%s", dir, file);
    return p;
}

static int lock_dir(sb_store *s, const char *dir, int *fd, char *err, size_t errlen) {
    char *path = join(dir, SB__STORE_LOCK_FILE);
    int st = SB_OK;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (*fd < 0) {
        if (errlen) snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        st = SB_STORE_EIO;
    } else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (errlen)
            snprintf(err, errlen, "%s: %s", dir,
                     e == EWOULDBLOCK ? "data directory in use by another store" : strerror(e));
        st = e == EWOULDBLOCK ? SB_EINUSE : SB_STORE_EIO;
        close(*fd);
        *fd = -1;
    }
    sb_free(path);
    return st;
}

/* Statements, connections (the writer's last: closing the last connection
 * checkpoints the WAL into the database), the lock. */
static void release_db(sb_store *s) {
    sb__store_ckpt_stop(s);
    sb__store_finalize(s->rs, SB__R_COUNT);
    sb__store_finalize(s->ws, SB__W_COUNT);
    sqlite3_close(s->rdb);
    sqlite3_close(s->wdb);
    s->rdb = s->wdb = NULL;
    if (s->lockfd >= 0) close(s->lockfd);
    s->lockfd = -1;
}

static void on_close(uv_handle_t *h) {
    sb_store *s = h->data;
    if (--s->handles == 0) sb_free(s);
}

static void on_async(uv_async_t *h) {
    sb__store_deliver(h->data);
}

/* Hand the staged batches to the writer. */
static void flush_staged(sb_store *s) {
    if (s->staged == NULL) return;
    uv_mutex_lock(&s->mu);
    *s->pending_tail = s->staged;
    s->pending_tail = s->staged_tail;
    uv_cond_signal(&s->cv);
    uv_mutex_unlock(&s->mu);
    s->staged = NULL;
    s->staged_tail = &s->staged;
}

static void on_prepare(uv_prepare_t *h) {
    flush_staged(h->data);
    uv_prepare_stop(h);
}

/* Make the new files' directory entries durable: SQLite syncs the
 * directory for its journals, not for a database file it just created. */
static int sync_dir(const char *dir, char *err, size_t errlen) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        if (errlen) snprintf(err, errlen, "sync %s: %s", dir, strerror(errno));
        if (fd >= 0) close(fd);
        return SB_STORE_EIO;
    }
    close(fd);
    return SB_OK;
}

static int open_db(sb_store *s, const char *dir, char *err, size_t errlen) {
    if (sqlite3_threadsafe() == 0) {
        if (errlen) snprintf(err, errlen, "SQLite is built without thread support");
        return SB_STORE_EIO;
    }
    int st = make_dirs(dir, err, errlen);
    if (st == SB_OK) st = lock_dir(s, dir, &s->lockfd, err, errlen);
    if (st != SB_OK) return st;
    char *path = join(dir, SB_STORE_DB_FILE);
    st = sb__store_db_open(path, 0, &s->wdb, err, errlen);
    if (st == SB_OK) st = sb__store_migrate(s->wdb, err, errlen);
    if (st == SB_OK) st = sync_dir(dir, err, errlen);
    if (st == SB_OK)
        st = sb__store_prepare(s->wdb, sb__store_wsql, s->ws, SB__W_COUNT, err, errlen);
    /* the read connection and the checkpointer's open after the writer
     * has made the file WAL */
    if (st == SB_OK) st = sb__store_db_open(path, 1, &s->rdb, err, errlen);
    if (st == SB_OK) st = sb__store_ckpt_start(s, path, err, errlen);
    if (st == SB_OK)
        st = sb__store_prepare(s->rdb, sb__store_rsql, s->rs, SB__R_COUNT, err, errlen);
    sb_free(path);
    return st;
}

/* Undo a half-done open: the databases, the lock, the synchronisation,
 * and the handles if any (then the last close callback frees s). */
static int abandon(sb_store *s, int st) {
    release_db(s);
    uv_mutex_destroy(&s->mu);
    uv_cond_destroy(&s->cv);
    if (s->handles == 0) {
        sb_free(s);
    } else {
        uv_close((uv_handle_t *)&s->async, on_close);
        uv_close((uv_handle_t *)&s->flush, on_close);
    }
    return st;
}

int sb_store_open(uv_loop_t *loop, const char *dir, sb_store **out, char *err, size_t errlen) {
    *out = NULL;
    if (errlen) err[0] = '\0';
    if (loop == NULL || dir == NULL || dir[0] == '\0') {
        if (errlen) snprintf(err, errlen, "no loop or data directory");
        return SB_EINVAL;
    }
    sb_store *s = sb_calloc(1, sizeof(*s));
    s->loop = loop;
    s->lockfd = -1;
    s->staged_tail = &s->staged;
    s->pending_tail = &s->pending;
    s->done_tail = &s->done;
    if (uv_mutex_init(&s->mu) != 0 || uv_cond_init(&s->cv) != 0)
        sb_panic("store: cannot create a mutex or condition variable");
    int st = open_db(s, dir, err, errlen);
    if (st != SB_OK) return abandon(s, st);
    int rc = uv_async_init(loop, &s->async, on_async);
    if (rc != 0) { /* nothing registered with the loop yet */
        if (errlen) snprintf(err, errlen, "async handle: %s", uv_strerror(rc));
        return abandon(s, SB_STORE_EIO);
    }
    uv_prepare_init(loop, &s->flush);
    s->async.data = s->flush.data = s;
    s->handles = 2;
    uv_unref((uv_handle_t *)&s->async);
    uv_unref((uv_handle_t *)&s->flush);
    rc = uv_thread_create(&s->thread, sb__store_writer_main, s);
    if (rc != 0) {
        if (errlen) snprintf(err, errlen, "writer thread: %s", uv_strerror(rc));
        return abandon(s, SB_STORE_EIO);
    }
    *out = s;
    return SB_OK;
}

void sb_store_close(sb_store *s) {
    if (s == NULL) return;
    SB_ASSERT(!s->delivering && !s->closing);
    s->closing = 1;
    flush_staged(s);
    uv_mutex_lock(&s->mu);
    s->stop = 1;
    uv_cond_signal(&s->cv);
    uv_mutex_unlock(&s->mu);
    uv_thread_join(&s->thread);
    sb__store_deliver(s);
    SB_ASSERT(s->in_flight == 0);
    release_db(s);
    uv_mutex_destroy(&s->mu);
    uv_cond_destroy(&s->cv);
    uv_close((uv_handle_t *)&s->async, on_close);
    uv_close((uv_handle_t *)&s->flush, on_close);
}

int sb_store_submit(sb_store *s, sb_store_batch *b, sb_store_done_cb cb, void *data) {
    int st = SB_OK;
    if (b->invalid)
        st = sb__store_fail(s, b->invalid, "invalid batch: %s", b->error);
    else if (s->closing)
        st = sb__store_fail(s, SB_ESTATE, "store is closing");
    if (st != SB_OK) {
        sb_store_batch_free(b);
        return st;
    }
    b->next = NULL;
    b->cb = cb;
    b->data = data;
    b->status = SB_OK;
    b->failed_op = -1;
    b->error[0] = '\0';
    if (s->staged == NULL) uv_prepare_start(&s->flush, on_prepare);
    *s->staged_tail = b;
    s->staged_tail = &b->next;
    if (s->in_flight++ == 0) uv_ref((uv_handle_t *)&s->async);
    return SB_OK;
}

void sb_store_stats_get(sb_store *s, sb_store_stats *out) {
    uv_mutex_lock(&s->mu);
    *out = s->stats;
    uv_mutex_unlock(&s->mu);
    out->in_flight = s->in_flight;
}

void sb__store_set_hook(sb_store *s, sb__store_hook_fn fn, void *data) {
    uv_mutex_lock(&s->mu);
    s->hook = fn;
    s->hook_data = data;
    uv_mutex_unlock(&s->mu);
}
