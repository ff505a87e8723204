/* schema.c: connections, pragmas and schema migrations.
 *
 * The schema is a list of migrations; migration v takes the database from
 * version v - 1 to v.  schema_version records each one applied, so the
 * current version is its largest row.  Migrations only ever get appended:
 * a released one is never edited.  A database whose version is above this
 * build's is refused rather than written by code that does not know it. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store-i.h"

/* PRAGMA application_id of a Switchboard database: "SwBd". */
#define SB__STORE_APP_ID 0x53774264

static const char *const migrations[] = {
    /* 1: journal, documents, idempotency keys.  WITHOUT ROWID: the primary
     * key is the table, so a row is stored once and read in key order. */
    "CREATE TABLE events ("
    "  tenant INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL CHECK (seq > 0),"
    "  at INTEGER NOT NULL,"
    "  type TEXT NOT NULL CHECK (type <> ''),"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, seq)"
    ") WITHOUT ROWID;"
    "CREATE TABLE documents ("
    "  tenant INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind <> ''),"
    "  id TEXT NOT NULL CHECK (id <> ''),"
    "  version INTEGER NOT NULL CHECK (version > 0),"
    "  updated_at INTEGER NOT NULL,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, kind, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE idempotency ("
    "  tenant INTEGER NOT NULL,"
    "  key TEXT NOT NULL CHECK (key <> ''),"
    "  created_at INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, key)"
    ") WITHOUT ROWID;"
    "CREATE INDEX idempotency_created ON idempotency (tenant, created_at);",
    /* 2: events say what they are about (an interaction), so one
     * interaction's history is an index range, not a scan. */
    "ALTER TABLE events ADD COLUMN subject INTEGER;"
    "CREATE INDEX events_subject ON events (tenant, subject, seq) WHERE subject IS NOT NULL;",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SB_STORE_SCHEMA_VERSION,
               "one migration per schema version");

static int db_error(sqlite3 *db, const char *what, char *err, size_t errlen) {
    if (errlen) snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return SB_STORE_EIO;
}

static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(db, what, err, errlen);
    return SB_OK;
}

/* The first column of the first row of sql, an integer (0 if no row). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, sql, err, errlen);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, sql, err, errlen);
    return SB_OK;
}

int sb__store_db_open(const char *path, int readonly, sqlite3 **out, char *err, size_t errlen) {
    *out = NULL;
    /* NOMUTEX: each connection is used by one thread at a time (the store
     * hands the write connection to its thread), so SQLite's per-connection
     * mutex would be pure cost. */
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        if (errlen)
            snprintf(err, errlen, "open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return SB_STORE_EIO;
    }
    sqlite3_extended_result_codes(db, 1);
    int st;
    if (readonly) {
        /* Readers in WAL mode do not wait for the writer; the short
         * timeout covers the rare moments SQLite itself asks them to
         * retry (another connection recovering the WAL index). */
        sqlite3_busy_timeout(db, 100);
        st = exec(db, "PRAGMA query_only = ON", "pragma", err, errlen);
    } else {
        sqlite3_busy_timeout(db, 5000);
        int64_t wal = 0;
        st = exec(db,
                  "PRAGMA synchronous = FULL;"
                  "PRAGMA foreign_keys = ON;"
                  "PRAGMA journal_size_limit = 67108864;",
                  "pragma", err, errlen);
        /* journal_mode answers the mode it is now in: check it took. */
        if (st == SB_OK) {
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &q, NULL) != SQLITE_OK) {
                st = db_error(db, "journal_mode", err, errlen);
            } else {
                if (sqlite3_step(q) == SQLITE_ROW)
                    wal = sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal") == 0;
                sqlite3_finalize(q);
                if (!wal) {
                    if (errlen)
                        snprintf(err, errlen, "%s: cannot switch to WAL mode: %s", path,
                                 sqlite3_errmsg(db));
                    st = SB_STORE_EIO;
                }
            }
        }
    }
    if (st != SB_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return SB_OK;
}

static int migrate_in_tx(sqlite3 *db, char *err, size_t errlen) {
    int64_t app = 0, cur = 0, others = 0;
    int st = exec(db,
                  "CREATE TABLE IF NOT EXISTS schema_version ("
                  "  version INTEGER PRIMARY KEY,"
                  "  applied_at INTEGER NOT NULL)",
                  "create schema_version", err, errlen);
    if (st == SB_OK) st = query_int(db, "PRAGMA application_id", &app, err, errlen);
    if (st == SB_OK)
        st = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_version", &cur, err,
                       errlen);
    if (st == SB_OK)
        st = query_int(db,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                       " AND name NOT LIKE 'sqlite_%' AND name <> 'schema_version'",
                       &others, err, errlen);
    if (st != SB_OK) return st;
    if ((app != 0 && app != SB__STORE_APP_ID) || (cur == 0 && others > 0)) {
        if (errlen) snprintf(err, errlen, "not a Switchboard database");
        return SB_EINVAL;
    }
    if (cur > SB_STORE_SCHEMA_VERSION) {
        if (errlen)
            snprintf(err, errlen,
                     "database schema version %lld is newer than this build's (%d):"
                     " upgrade Switchboard",
                     (long long)cur, SB_STORE_SCHEMA_VERSION);
        return SB_ESTATE;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    for (int64_t v = cur + 1; v <= SB_STORE_SCHEMA_VERSION; v++) {
        char what[64], sql[128];
        snprintf(what, sizeof(what), "migration %lld", (long long)v);
        if ((st = exec(db, migrations[v - 1], what, err, errlen)) != SB_OK) return st;
        snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%lld, %lld)", (long long)v,
                 (long long)now);
        if ((st = exec(db, sql, what, err, errlen)) != SB_OK) return st;
    }
    if (app == 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", SB__STORE_APP_ID);
        st = exec(db, sql, "application_id", err, errlen);
    }
    return st;
}

int sb__store_migrate(sqlite3 *db, char *err, size_t errlen) {
    int st = exec(db, "BEGIN IMMEDIATE", "begin migration", err, errlen);
    if (st != SB_OK) return st;
    st = migrate_in_tx(db, err, errlen);
    if (st == SB_OK) st = exec(db, "COMMIT", "commit migration", err, errlen);
    if (st != SB_OK) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

int sb__store_prepare(sqlite3 *db, const char *const *sql, sqlite3_stmt **out, int n, char *err,
                      size_t errlen) {
    for (int i = 0; i < n; i++) {
        /* PERSISTENT: these live as long as the store */
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &out[i], NULL) !=
            SQLITE_OK) {
            db_error(db, sql[i], err, errlen);
            sb__store_finalize(out, i);
            return SB_STORE_EIO;
        }
    }
    return SB_OK;
}

void sb__store_finalize(sqlite3_stmt **stmts, int n) {
    for (int i = 0; i < n; i++) {
        sqlite3_finalize(stmts[i]);
        stmts[i] = NULL;
    }
}
