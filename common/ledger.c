/*
 * ledger: deliveries in SQLite.  Statements are prepared once per
 * connection and reused, since a FastCGI process inserts thousands of
 * rows over its life and preparing costs more than the insert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ledger.h"

struct ledger {
	sqlite3		*db;
	sqlite3_stmt	*insert;
	sqlite3_stmt	*forget;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS deliveries ("
	" id INTEGER PRIMARY KEY,"
	" endpoint TEXT NOT NULL,"
	" delivery_id TEXT NOT NULL,"
	" provider TEXT NOT NULL,"
	" event TEXT NOT NULL DEFAULT '',"
	" received_at INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'queued'"
	"  CHECK (state IN ('queued', 'running', 'done', 'dead')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at INTEGER NOT NULL,"
	" lease_until INTEGER,"
	" lease_owner TEXT,"
	" last_exit INTEGER,"
	" last_error TEXT,"
	" finished_at INTEGER,"
	" headers TEXT NOT NULL,"
	" body BLOB,"
	" body_sha256 TEXT NOT NULL,"
	" UNIQUE (endpoint, delivery_id));"
	"CREATE INDEX IF NOT EXISTS deliveries_due"
	" ON deliveries (state, next_attempt_at);";

static int
exec(struct ledger *l, const char *sql, char *err, size_t errlen)
{
	char	*msg = NULL;

	if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(l->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
prepare(struct ledger *l, const char *sql, sqlite3_stmt **st, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

struct ledger *
ledger_open(const char *path, int durable, long timeout_ms, char *err,
    size_t errlen)
{
	struct ledger	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(l->db, (int)timeout_ms);
	/*
	 * WAL lets the worker read while handlers write.  FULL makes every
	 * commit reach the disk before the 200; NORMAL survives a process
	 * crash but not a power cut.
	 */
	if (exec(l, "PRAGMA journal_mode=WAL", err, errlen) == -1 ||
	    exec(l, durable ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", err, errlen) == -1 ||
	    exec(l, schema, err, errlen) == -1 ||
	    prepare(l, "INSERT INTO deliveries (endpoint, delivery_id,"
	    " provider, event, received_at, next_attempt_at, headers, body,"
	    " body_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (endpoint, delivery_id) DO NOTHING",
	    &l->insert, err, errlen) == -1 ||
	    prepare(l, "DELETE FROM deliveries WHERE id = ?1", &l->forget,
	    err, errlen) == -1)
		goto fail;
	return l;
fail:
	ledger_close(l);
	return NULL;
}

void
ledger_close(struct ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_finalize(l->insert);
	sqlite3_finalize(l->forget);
	sqlite3_close(l->db);
	free(l);
}

enum ledger_result
ledger_insert(struct ledger *l, const struct ledger_new *d, long long *rowid,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st = l->insert;
	int		 rc;

	sqlite3_bind_text(st, 1, d->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->delivery_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, d->received_at);
	sqlite3_bind_text(st, 6, d->headers, (int)d->headers_len,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, d->body_len > 0 ? d->body : "",
	    (int)d->body_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, d->body_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "ledger insert failed: %s",
		    sqlite3_errstr(rc));
		return LEDGER_ERROR;
	}
	if (sqlite3_changes(l->db) == 0)
		return LEDGER_DUPLICATE;
	*rowid = sqlite3_last_insert_rowid(l->db);
	return LEDGER_INSERTED;
}

int
ledger_forget(struct ledger *l, long long rowid)
{
	int	 rc;

	sqlite3_bind_int64(l->forget, 1, rowid);
	rc = sqlite3_step(l->forget);
	sqlite3_reset(l->forget);
	return rc == SQLITE_DONE ? 0 : -1;
}
