/*
 * ledger: deliveries in SQLite.  Statements are prepared once per
 * connection and reused, since a FastCGI process inserts thousands of
 * rows over its life and preparing costs more than the insert.
 */
#define _GNU_SOURCE		/* F_OFD_SETLKW */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/*
 * Valgrind runs one thread at a time and lets another run during a call
 * only if it knows the call may block; it does not know F_OFD_SETLKW, so
 * a thread waiting there for the writer lock would keep the one holding
 * it from running.  Under it, checkpoints stay in the serving thread.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

#include "ledger.h"

/* Statements of the worker's functions (end of file), made on first use. */
#define NCACHED	12

/* LEDGER_DEFER: checkpoint every this many new pages of log (16 MiB), */
#define CHECKPOINT_FRAMES	4000
/*
 * or this many (256 KiB) in a process that serves one request (CGI): the
 * first process to open the database after all others closed it reads
 * the whole log to rebuild its index (5,500 instructions a page), and
 * without checkpoints at close (see ledger_open) a sequence of CGI
 * requests would each read up to CHECKPOINT_FRAMES pages.
 */
#define CHECKPOINT_FRAMES_ONE	64
/* in at most this many passes without holding the writers back, */
#define CHECKPOINT_PASSES	2
/* and hold them back once a pass finds fewer new pages than this, */
#define CHECKPOINT_TAIL		256
/* (relaxed mode: only once the log holds this many pages, 64 MiB). */
#define CHECKPOINT_RESTART	16000

/*
 * Retention sweeps in batches of PRUNE_BATCH_MIN to PRUNE_BATCH_MAX rows,
 * each holding the write lock for about PRUNE_BATCH_US, with a pause of
 * PRUNE_PAUSE_US between them, for at most PRUNE_BUDGET_US per call.
 */
#define PRUNE_BATCH_MIN		16
#define PRUNE_BATCH_MAX		1024
#define PRUNE_BATCH_US		5000
#define PRUNE_PAUSE_US		2000
#define PRUNE_BUDGET_US		200000

/*
 * Inserts read their index pages ahead of the writer lock once the ledger
 * holds this many rows (ids, rather: they only grow).  See read_ahead().
 */
#define READ_AHEAD_ROWS		1000000

/* Bytes of the -sync file locked (F_OFD_SETLK) for the handlers' turns. */
#define WRITER_LOCK_BYTE	1	/* at writing */
#define CHECKPOINT_LOCK_BYTE	2	/* at checkpointing, never waited for */

struct ledger {
	sqlite3		*db;
	sqlite3_stmt	*insert;
	sqlite3_stmt	*look;		/* read_ahead(): made on first use */
	long long	 read_aheads;	/* how many it made */
	int		 read_ahead;	/* the ledger is large enough */
	sqlite3_stmt	*forget;
	sqlite3_stmt	*cached[NCACHED];
	long		 timeout_ms;
	struct timespec	 busy_since;
	int		 wal_frames;	/* LEDGER_DEFER: WAL size seen last */
	int		 wal_checkpointed; /* its frames known checkpointed */
	int		 wal_limit;	/* checkpoint at this many new frames */
	int		 one_request;	/* CGI: see ledger_one_request() */
	int		 group_fd;	/* DEFER or GROUP: <db>-sync, or -1 */
	uint64_t	*group_seq;	/* its shared counters, see group_sync */
	int		 group;		/* LEDGER_GROUP: sync in ledger_insert */
	long long	 prune_batch;	/* rows per retention batch, adapted */
	char		*path;		/* LEDGER_DEFER: for the checkpointer */
	int		 flags;
	struct checkpointer *ckpt;	/* LEDGER_DEFER, FastCGI: or NULL */
};

/* A thread that checkpoints with a connection of its own: see ledger_idle. */
struct checkpointer {
	pthread_t	 thread;
	pthread_mutex_t	 mutex;
	pthread_cond_t	 wake;
	int		 due;		/* a checkpoint was asked for */
	int		 busy;		/* one is running */
	int		 stop;
	struct ledger	*own;		/* the thread's connection */
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

/*
 * How many done rows each endpoint has, kept by triggers, so that
 * metrics.fcgi counts a million-row ledger without reading it (a full
 * count took 0.2 s of CPU).  The triggers fire on the worker's updates
 * and on deletes; a handler's insert only tests a WHEN clause (rows
 * arrive queued).  Made once, under the write lock, by the first
 * read-write open of a ledger without it, and filled from its rows.
 */
static const char done_counts[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS done_counts ("
	" endpoint TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS done_counts_ins AFTER INSERT"
	" ON deliveries WHEN new.state = 'done' BEGIN"
	" INSERT INTO done_counts VALUES (new.endpoint, 1)"
	" ON CONFLICT (endpoint) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER IF NOT EXISTS done_counts_up AFTER UPDATE OF state"
	" ON deliveries WHEN new.state = 'done' AND old.state <> 'done' BEGIN"
	" INSERT INTO done_counts VALUES (new.endpoint, 1)"
	" ON CONFLICT (endpoint) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER IF NOT EXISTS done_counts_down AFTER UPDATE OF state"
	" ON deliveries WHEN old.state = 'done' AND new.state <> 'done' BEGIN"
	" UPDATE done_counts SET n = n - 1 WHERE endpoint = old.endpoint; END;"
	"CREATE TRIGGER IF NOT EXISTS done_counts_del AFTER DELETE"
	" ON deliveries WHEN old.state = 'done' BEGIN"
	" UPDATE done_counts SET n = n - 1 WHERE endpoint = old.endpoint; END;"
	"INSERT OR IGNORE INTO done_counts SELECT endpoint, count(*)"
	" FROM deliveries WHERE state = 'done' GROUP BY endpoint;"
	"COMMIT;";

/*
 * Layout changes since the first release, in order; PRAGMA user_version
 * counts those applied.  Databases made before version 1 hold the table
 * above and user_version 0, so every database starts there and climbs.
 *
 * 1: signed_sha256, the SHA-256 of the bytes the signature covers, unique
 *    per endpoint: a captured request resent under a new delivery id is
 *    a duplicate (providers that sign neither id nor time, issue 12).
 *    NULL where nothing is signed (tokens, unsigned), never a conflict.
 * 2: two partial indexes for retention, on finished_at of the done rows
 *    and of the done rows still holding a body, so that the sweep finds
 *    what expired in small batches without reading the ledger (it read
 *    every done row, under the write lock, in one statement).  Rows
 *    arrive queued: a handler's insert writes neither.  Made by the
 *    first read-write open after an upgrade: on a ledger of millions
 *    of rows that reads the whole file once (about a minute for 10 M).
 */
static const char *const migrations[] = {
	"ALTER TABLE deliveries ADD COLUMN signed_sha256 TEXT;"
	"CREATE UNIQUE INDEX deliveries_signed ON deliveries"
	" (endpoint, signed_sha256) WHERE signed_sha256 IS NOT NULL;",
	"CREATE INDEX deliveries_done ON deliveries (finished_at)"
	" WHERE state = 'done';"
	"CREATE INDEX deliveries_bodies ON deliveries (finished_at)"
	" WHERE state = 'done' AND body IS NOT NULL;",
};

#define SCHEMA_VERSION	((int)(sizeof(migrations) / sizeof(migrations[0])))

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

/*
 * SQLite's own busy_timeout sleeps 1, 2, 5, 10 ... 100 ms between tries,
 * made for locks held for long.  Our writers hold the lock for tens of
 * microseconds, so a request that lost the race would sleep a hundred
 * times longer than needed: poll briefly instead, and give up after
 * timeout_ms as before.
 */
static int
on_busy(void *arg, int count)
{
	struct ledger	*l = arg;
	struct timespec	 now, pause = { 0, 0 };
	long long	 waited_us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		l->busy_since = now;
	waited_us = (long long)(now.tv_sec - l->busy_since.tv_sec) * 1000000 +
	    (now.tv_nsec - l->busy_since.tv_nsec) / 1000;
	if (waited_us >= (long long)l->timeout_ms * 1000)
		return 0;
	pause.tv_nsec = count < 20 ? 20000 : count < 200 ? 200000 : 2000000;
	nanosleep(&pause, NULL);
	return 1;
}

/* LEDGER_DEFER: notes the log's size after each commit of ours. */
static int
on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct ledger	*l = arg;

	(void)db;
	(void)name;
	l->wal_frames = frames;
	return SQLITE_OK;
}

/*
 * Group commit.  Handlers commit with synchronous=NORMAL, which writes
 * the transaction to the write-ahead log without syncing it, and then
 * sync the log themselves before answering.  One sync covers every
 * commit written before it starts, so the processes share them: a file
 * next to the database, <db>-sync, holds two counters in shared memory,
 * commits announced and commits known synced, and its flock lets one
 * process sync at a time.  A process announces its commit after it is
 * written, takes the lock, and syncs only if no sync that started after
 * its announcement has finished meanwhile; while one process syncs, the
 * others' commits pile up, and the next sync takes them all.
 *
 * Checkpoints under NORMAL sync the log before copying it into the
 * database, and the database before the log is reused, so a commit is
 * safe from the moment the log is synced after it.
 */
static int
group_open(struct ledger *l, const char *dbpath, char *err, size_t errlen)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	void		*p;

	if ((size_t)snprintf(path, sizeof(path), "%s-sync", dbpath) >=
	    sizeof(path)) {
		snprintf(err, errlen, "database path too long");
		return -1;
	}
	if ((l->group_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || fstat(l->group_fd, &st) == -1 ||
	    (st.st_size < 4096 && ftruncate(l->group_fd, 4096) == -1) ||
	    (p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
	    l->group_fd, 0)) == MAP_FAILED) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	l->group_seq = p;
	return 0;
}

/* Locks or unlocks one byte of the -sync file, waiting for it or not. */
static int
sync_file_lock(struct ledger *l, off_t byte, short type, int wait)
{
	struct flock	 fl;

	if (l->group_fd == -1)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	while (fcntl(l->group_fd, wait ? F_OFD_SETLKW : F_OFD_SETLK,
	    &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/*
 * Handlers take turns at writing through a blocking lock on a byte of
 * the -sync file: the kernel wakes the next one the moment the lock is
 * free.  SQLite's own lock can only be polled, and with several busy
 * processes polling costs more than the insert.  The lock is held for
 * an insert, which waits for a foreign writer (the worker, a webhookctl)
 * at most timeout_ms, and for the last pass of a checkpoint.
 */
static int
writer_lock(struct ledger *l, short type)
{
	return sync_file_lock(l, WRITER_LOCK_BYTE, type, 1);
}

static int
group_sync(struct ledger *l)
{
	sqlite3_file	*wal = NULL;
	uint64_t	 mine, target;
	int		 rc = 0;

	/* Our commit is written: a sync that starts from now covers it. */
	mine = __atomic_add_fetch(&l->group_seq[0], 1, __ATOMIC_SEQ_CST);
	while (flock(l->group_fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	if (__atomic_load_n(&l->group_seq[1], __ATOMIC_SEQ_CST) < mine) {
		target = __atomic_load_n(&l->group_seq[0], __ATOMIC_SEQ_CST);
		/* In WAL mode the "journal" is the write-ahead log. */
		if (sqlite3_file_control(l->db, "main",
		    SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
		    wal == NULL || wal->pMethods == NULL ||
		    wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
			rc = -1;
		else
			__atomic_store_n(&l->group_seq[1], target,
			    __ATOMIC_SEQ_CST);
	}
	flock(l->group_fd, LOCK_UN);
	return rc;
}

/* PRAGMA user_version into *v; 0 or -1. */
static int
schema_version(struct ledger *l, int *v, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (prepare(l, "PRAGMA user_version", &st, err, errlen) == -1)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "cannot read the schema version: %s",
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/*
 * Brings the database to SCHEMA_VERSION.  The common case, a database
 * already there, costs one read; otherwise one write transaction makes
 * the table and applies what is missing, looking again under the lock
 * since another process may have done it meanwhile.  A database from a
 * newer release is refused rather than written with the wrong layout.
 */
static int
layout_migrate(struct ledger *l, char *err, size_t errlen)
{
	char	 sql[48];
	int	 v;

	if (schema_version(l, &v, err, errlen) == -1)
		return -1;
	if (v == SCHEMA_VERSION)
		return 0;
	if (exec(l, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (exec(l, schema, err, errlen) == -1 ||
	    schema_version(l, &v, err, errlen) == -1)
		goto fail;
	if (v > SCHEMA_VERSION) {
		snprintf(err, errlen, "database layout %d is newer than this"
		    " program's (%d)", v, SCHEMA_VERSION);
		goto fail;
	}
	for (; v < SCHEMA_VERSION; v++)
		if (exec(l, migrations[v], err, errlen) == -1)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	if (exec(l, sql, err, errlen) == -1 ||
	    exec(l, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Does the database have table name?  1, 0, or -1. */
static int
has_table(struct ledger *l, const char *name)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Brings an older database up to date; 0, or -1 with err set. */
static int
migrate(struct ledger *l, char *err, size_t errlen)
{
	switch (has_table(l, "done_counts")) {
	case 1:
		return 0;
	case 0:
		if (exec(l, done_counts, err, errlen) == 0)
			return 0;
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	default:
		snprintf(err, errlen, "%s", sqlite3_errmsg(l->db));
		return -1;
	}
}

/*
 * Write-ahead log writes, gathered.  SQLite writes each page of a commit
 * to the log as two pwrite(2)s, its 24-byte frame header and then the
 * page: a delivery (row, body overflow, three index leaves, page 1) cost
 * 18 system calls, which on a virtual machine cost more than the rest of
 * the insert (bench/profile.sh).  A thin VFS over the default one keeps
 * the log's consecutive writes in memory and hands them to the file as
 * one write when the commit frame is complete, that is when the page
 * following a frame header with a non-zero "database size after commit"
 * field is written (SQLite file format, "WAL Frame Format": that field is
 * zero in every frame but the last of a transaction).  So a commit is in
 * the file, or its error returned to SQLite, before SQLite publishes it
 * in the WAL index, which comes after the frames are written
 * (sqlite3WalFrames); every other operation on the log (read, sync,
 * size, truncate, file control, close) first writes out what is held.
 * Writes that are not consecutive, or would hold more than WALBUF_MAX,
 * write out first.  Only the log is wrapped: the database and the
 * shared-memory index are the default VFS's own files.
 */
/* Under 128 KiB: the unix VFS writes no more than 0x1ffff bytes a call. */
#define WALBUF_MAX	(120 * 1024)
#define WALBUF_VFS	"webhook-walbuf"
/* Bytes of the log read through a mapping; beyond, with pread(2). */
#define WALBUF_WINDOW	((size_t)256 * 1024 * 1024)

struct walbuf {
	sqlite3_file	 base;		/* pMethods: walbuf_methods */
	sqlite3_file	*real;		/* the default VFS's file, after us */
	unsigned char	*data;		/* writes held, from file offset off */
	size_t		 len;
	size_t		 cap;
	sqlite3_int64	 off;
	int		 commit;	/* the last write was a commit header */
	const unsigned char *map;	/* the log's first WALBUF_WINDOW bytes */
};

static sqlite3_vfs	*walbuf_parent;

static int
walbuf_flush(struct walbuf *w)
{
	int	 rc;

	if (w->len == 0)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->data, (int)w->len, w->off);
	w->len = 0;
	return rc;
}

static int
walbuf_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct walbuf		*w = (struct walbuf *)f;
	const unsigned char	*b = p;
	unsigned char		*np;
	int			 commit = w->commit, rc;

	w->commit = 0;
	if (w->len > 0 && (off != w->off + (sqlite3_int64)w->len ||
	    (size_t)n > WALBUF_MAX - w->len) &&
	    (rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	if (n < 0 || (size_t)n > WALBUF_MAX)
		return w->real->pMethods->xWrite(w->real, p, n, off);
	if (w->len + (size_t)n > w->cap) {
		if ((np = realloc(w->data, WALBUF_MAX)) == NULL) {
			if ((rc = walbuf_flush(w)) != SQLITE_OK)
				return rc;
			return w->real->pMethods->xWrite(w->real, p, n, off);
		}
		w->data = np;
		w->cap = WALBUF_MAX;
	}
	if (w->len == 0)
		w->off = off;
	memcpy(w->data + w->len, p, (size_t)n);
	w->len += (size_t)n;
	/* Frame header: page number, then the size after a commit. */
	w->commit = n == 24 && (b[4] | b[5] | b[6] | b[7]) != 0;
	return commit ? walbuf_flush(w) : SQLITE_OK;
}

static int
walbuf_close(sqlite3_file *f)
{
	struct walbuf	*w = (struct walbuf *)f;
	int		 rc, rc2;

	rc = walbuf_flush(w);
	rc2 = w->real->pMethods->xClose(w->real);
	free(w->data);
	w->data = NULL;
	if (w->map != NULL)
		munmap((void *)(uintptr_t)w->map, WALBUF_WINDOW);
	w->map = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* The rest write out what is held, then do as the default VFS. */
#define WALBUF_FLUSHED(w, call) do {					\
	int	 rc_;							\
									\
	if ((rc_ = walbuf_flush(w)) != SQLITE_OK)			\
		return rc_;						\
	return (call);							\
} while (0)

/*
 * Reads.  With several processes, a commit of one empties the page cache
 * of the others, and each insert read back about ten pages of the log
 * with pread(2): under a mapping of the log they cost no system call.
 * SQLite reads only frames that are in the file (those of its snapshot,
 * which a truncating checkpoint waits for, or below the size it has just
 * asked for when recovering), so the mapping is never read past the end
 * of the file, which would fault.
 */
static int
walbuf_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct walbuf	*w = (struct walbuf *)f;
	int		 rc;

	if ((rc = walbuf_flush(w)) != SQLITE_OK)
		return rc;
	if (w->map != NULL && n > 0 && off >= 0 &&
	    (size_t)off <= WALBUF_WINDOW - (size_t)n) {
		memcpy(p, w->map + off, (size_t)n);
		return SQLITE_OK;
	}
	return w->real->pMethods->xRead(w->real, p, n, off);
}

static int
walbuf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct walbuf	*w = (struct walbuf *)f;

	WALBUF_FLUSHED(w, w->real->pMethods->xTruncate(w->real, size));
}

static int
walbuf_sync(sqlite3_file *f, int flags)
{
	struct walbuf	*w = (struct walbuf *)f;

	WALBUF_FLUSHED(w, w->real->pMethods->xSync(w->real, flags));
}

static int
walbuf_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct walbuf	*w = (struct walbuf *)f;

	WALBUF_FLUSHED(w, w->real->pMethods->xFileSize(w->real, size));
}

static int
walbuf_control(sqlite3_file *f, int op, void *arg)
{
	struct walbuf	*w = (struct walbuf *)f;

	WALBUF_FLUSHED(w, w->real->pMethods->xFileControl(w->real, op, arg));
}

static int
walbuf_lock(sqlite3_file *f, int lock)
{
	struct walbuf	*w = (struct walbuf *)f;

	return w->real->pMethods->xLock(w->real, lock);
}

static int
walbuf_unlock(sqlite3_file *f, int lock)
{
	struct walbuf	*w = (struct walbuf *)f;

	return w->real->pMethods->xUnlock(w->real, lock);
}

static int
walbuf_reserved(sqlite3_file *f, int *out)
{
	struct walbuf	*w = (struct walbuf *)f;

	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int
walbuf_sector(sqlite3_file *f)
{
	struct walbuf	*w = (struct walbuf *)f;

	return w->real->pMethods->xSectorSize(w->real);
}

static int
walbuf_device(sqlite3_file *f)
{
	struct walbuf	*w = (struct walbuf *)f;

	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/* Version 1: a log is never memory-mapped nor used as shared memory. */
static const sqlite3_io_methods walbuf_methods = {
	1, walbuf_close, walbuf_read, walbuf_write, walbuf_truncate,
	walbuf_sync, walbuf_size, walbuf_lock, walbuf_unlock,
	walbuf_reserved, walbuf_control, walbuf_sector, walbuf_device,
	NULL, NULL, NULL, NULL, NULL, NULL
};

/* Maps the log for reading; without a mapping reads use pread(2). */
static void
walbuf_map(struct walbuf *w, const char *name)
{
	void	*m;
	int	 fd;

	if (name == NULL || (fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	m = mmap(NULL, WALBUF_WINDOW, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m != MAP_FAILED)
		w->map = m;
}

static int
walbuf_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct walbuf	*w = (struct walbuf *)f;
	int		 rc;

	(void)vfs;
	/* Anything but a log is the default VFS's file, in our space. */
	if (!(flags & SQLITE_OPEN_WAL))
		return walbuf_parent->xOpen(walbuf_parent, name, f, flags,
		    out);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	rc = walbuf_parent->xOpen(walbuf_parent, name, w->real, flags, out);
	if (rc != SQLITE_OK) {
		if (w->real->pMethods != NULL)
			w->real->pMethods->xClose(w->real);
		return rc;
	}
	w->base.pMethods = &walbuf_methods;
	walbuf_map(w, name);
	return SQLITE_OK;
}

static int
walbuf_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	return walbuf_parent->xDelete(walbuf_parent, name, sync);
}

static int
walbuf_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return walbuf_parent->xAccess(walbuf_parent, name, flags, out);
}

static int
walbuf_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return walbuf_parent->xFullPathname(walbuf_parent, name, n, out);
}

static int
walbuf_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walbuf_parent->xRandomness(walbuf_parent, n, out);
}

static int
walbuf_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return walbuf_parent->xSleep(walbuf_parent, us);
}

static int
walbuf_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return walbuf_parent->xCurrentTime(walbuf_parent, out);
}

static int
walbuf_lasterror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walbuf_parent->xGetLastError(walbuf_parent, n, out);
}

static int
walbuf_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return walbuf_parent->xCurrentTimeInt64(walbuf_parent, out);
}

/*
 * Registers the VFS (not as the default) once per process; returns its
 * name, or NULL (then the default VFS is used, one write per piece).
 * Not thread-safe: ledgers are opened by one thread.
 */
static const char *
walbuf_vfs_name(void)
{
	static sqlite3_vfs	 vfs;

	if (walbuf_parent != NULL)
		return WALBUF_VFS;
	/*
	 * Before SQLite initialises (sqlite3_vfs_find does): no bulk page
	 * cache.  By default each cache starts with room for 20 pages and
	 * writes a header into every slot, 20 page faults although an
	 * insert reads a handful of pages; now each page is allocated when
	 * it is read.  Fails harmlessly if SQLite is already initialised.
	 */
	sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((walbuf_parent = sqlite3_vfs_find(NULL)) == NULL ||
	    walbuf_parent->iVersion < 2)
		return NULL;
	vfs.iVersion = 2;
	vfs.szOsFile = (int)sizeof(struct walbuf) + walbuf_parent->szOsFile;
	vfs.mxPathname = walbuf_parent->mxPathname;
	vfs.zName = WALBUF_VFS;
	vfs.xOpen = walbuf_open;
	vfs.xDelete = walbuf_delete;
	vfs.xAccess = walbuf_access;
	vfs.xFullPathname = walbuf_fullpath;
	vfs.xRandomness = walbuf_random;
	vfs.xSleep = walbuf_sleep;
	vfs.xCurrentTime = walbuf_time;
	vfs.xGetLastError = walbuf_lasterror;
	vfs.xCurrentTimeInt64 = walbuf_time64;
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) {
		walbuf_parent = NULL;
		return NULL;
	}
	return WALBUF_VFS;
}

/*
 * LEDGER_READONLY: a reader that never writes and never creates
 * (metrics.fcgi, console.fcgi).  In WAL mode it does not block writers.
 */
static struct ledger *
open_readonly(struct ledger *l, const char *path, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "out of memory");
		ledger_close(l);
		return NULL;
	}
	sqlite3_busy_handler(l->db, on_busy, l);
	return l;
}

struct ledger *
ledger_open(const char *path, int flags, long timeout_ms, char *err,
    size_t errlen)
{
	struct ledger	*l;
	int		 full = (flags & LEDGER_FULL) && !(flags & LEDGER_GROUP);

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->group_fd = -1;
	l->timeout_ms = timeout_ms;
	l->wal_limit = CHECKPOINT_FRAMES;
	l->flags = flags;
	if (flags & LEDGER_READONLY)
		return open_readonly(l, path, err, errlen);
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, walbuf_vfs_name()) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_handler(l->db, on_busy, l);
	/* The handlers' modes share the -sync file (its lock and counters). */
	if ((flags & (LEDGER_DEFER | LEDGER_GROUP)) &&
	    group_open(l, path, err, errlen) == -1)
		goto fail;
	l->group = (flags & LEDGER_FULL) && (flags & LEDGER_GROUP);
	/*
	 * WAL lets the worker read while handlers write.  FULL makes every
	 * commit reach the disk before the 200; NORMAL survives a process
	 * crash but not a power cut; group commit syncs after NORMAL.
	 */
	if (exec(l, "PRAGMA journal_mode=WAL", err, errlen) == -1 ||
	    exec(l, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", err, errlen) == -1 ||
	    layout_migrate(l, err, errlen) == -1 ||
	    migrate(l, err, errlen) == -1 ||
	    prepare(l, "INSERT INTO deliveries (endpoint, delivery_id,"
	    " provider, event, received_at, next_attempt_at, headers, body,"
	    " body_sha256, signed_sha256)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT DO NOTHING", &l->insert, err, errlen) == -1)
		goto fail;
	/* A hook of our own replaces SQLite's automatic checkpoints. */
	if (flags & LEDGER_DEFER) {
		sqlite3_wal_hook(l->db, on_wal_commit, l);
		if ((l->path = strdup(path)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	/*
	 * Nor does the last connection to close checkpoint: in CGI mode every
	 * request is a process, and its close would copy the log into the
	 * database, sync both, delete the log, and the next request would
	 * create it again and sync the directory: five syncs a request where
	 * one is needed.  ledger_idle() checkpoints as in FastCGI mode, and
	 * more often in CGI mode (ledger_one_request).
	 */
	if ((flags & LEDGER_DEFER) && sqlite3_db_config(l->db,
	    SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot keep the log at close: %s",
		    sqlite3_errmsg(l->db));
		goto fail;
	}
	return l;
fail:
	ledger_close(l);
	return NULL;
}

/* One PASSIVE checkpoint, which never waits; -1 if another is running. */
static int
checkpoint(struct ledger *l, int *frames)
{
	int	 done = -1;

	*frames = -1;
	if (sqlite3_wal_checkpoint_v2(l->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    frames, &done) != SQLITE_OK || done < 0)
		return -1;
	return 0;
}

/*
 * Under load the log often cannot start over after a checkpoint (other
 * processes still read from it), so its size alone would ask for a
 * checkpoint after every request: count the frames added since the last
 * checkpoint this process made or saw being made.
 *
 * SQLite starts the log over only when a commit finds all of it copied
 * into the database, and under steady load other commits land while a
 * checkpoint copies: the log grew by gigabytes a minute, and every new
 * page of it cost the kernel a zeroed page.  So the copying runs in
 * passes nobody waits for, until a pass finds little new, and one last
 * pass holds the handlers at the writer lock: the next commit then
 * starts the log over.  That last pass waits for two syncs, a few ms,
 * as long as they have only its own pages to write: see sync_copied.
 * One handler at a time checkpoints; the others go on serving.
 *
 * Relaxed mode holds the writers only once the log holds
 * CHECKPOINT_RESTART pages, every fourth checkpoint under full load; the
 * checkpoints between copy and sync without holding anyone, and the log
 * starts over less often.  Its answers never wait for the disk, so the
 * hold (6 to 8 ms at the median, five times a second when every
 * checkpoint held) was the slowest moment of a saturated relaxed
 * endpoint: rounds alternating the two, relaxed GitHub, 4 processes
 * (2026-12-05), p99 11 to 17 ms against 14 to 20, lower in every
 * round, at the same req/s.  A quiet log starts over without a hold: a
 * pass that copies all of it lets the next commit begin again.  Durable
 * mode, whose answers wait for syncs anyway, keeps the log short (16
 * MiB) for a server with little memory to spare for its pages.
 */
/*
 * CGI: the log emptied, so that the next process has nothing to read.
 * A checkpoint is not enough: the process that opens the database after
 * all others closed it rebuilds the log's index from the log and forgets
 * what was copied, so the log would never start over and every process
 * would read all of it.  TRUNCATE empties it when nobody else reads it;
 * without a busy handler it waits for no one, and with others at work
 * it copies what it can, and their next commit starts the log over.
 */
static void
truncate_log(struct ledger *l)
{
	l->wal_checkpointed = l->wal_frames;
	sqlite3_busy_handler(l->db, NULL, NULL);
	(void)sqlite3_wal_checkpoint_v2(l->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_handler(l->db, on_busy, l);
}

/*
 * SQLite syncs the database only in a pass that copies the whole log, so
 * the passes that fall behind leave their pages unwritten, and the last
 * one, which holds the writers back, wrote all of them: 16 MiB and more
 * before the next 200, 12 to 23 ms a checkpoint at several checkpoints a
 * second under full load, the slowest requests of the relaxed mode
 * (measured 2026-12-04).  Written out before the writers are held, they
 * leave the last pass its own few pages: 5 ms (10 ms at p90).  The log
 * is synced too, for the same reason.  A failure is left to the last
 * pass, whose own syncs report it.
 */
static void
sync_copied(struct ledger *l)
{
	/* The database file, then the log (the "journal" in WAL mode). */
	static const int	 files[] = { SQLITE_FCNTL_FILE_POINTER,
				    SQLITE_FCNTL_JOURNAL_POINTER };
	sqlite3_file		*f;
	size_t			 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		f = NULL;
		if (sqlite3_file_control(l->db, "main", files[i], &f) ==
		    SQLITE_OK && f != NULL && f->pMethods != NULL)
			(void)f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
	}
}

/* A checkpoint in passes (see above), by whichever connection l is. */
static void
checkpoint_passes(struct ledger *l)
{
	struct timespec	 pause = { 0, 100000 };
	int		 frames, seen = 0, pass;

	if (sync_file_lock(l, CHECKPOINT_LOCK_BYTE, F_WRLCK, 0) == -1)
		return;
	for (pass = 0; pass < CHECKPOINT_PASSES; pass++) {
		if (checkpoint(l, &frames) == -1)
			goto out;	/* the worker is at it */
		if (frames - seen < CHECKPOINT_TAIL)
			break;
		seen = frames;
	}
	sync_copied(l);
	/*
	 * Relaxed mode holds only past CHECKPOINT_RESTART.  Before it does,
	 * it copies and syncs what was committed during those syncs (13 to
	 * 36 ms at the median at full load, up to 82): left to the held
	 * pass, there was more of it the larger the ledger, as each commit
	 * lands on pages of its own; now the held pass has what came during
	 * a shorter sync.  Relaxed GitHub, 4 processes, 8 rounds on a ledger
	 * growing to 2 GB (2026-12-05): held 5.7 ms at the median, 12 at
	 * p90, 29 at most, against 9.9, 20 and 47 without, at the same
	 * req/s.  Durable mode's holds are 1 to 2 ms (it holds at every
	 * checkpoint, with fewer commits a second): the extra pass gained it
	 * nothing, and the one full run with it there put 10 M rows under
	 * 64 MiB at 0.72 of the empty ledger (0.96 and 0.99 before), so
	 * durable mode goes without.
	 */
	if (!(l->flags & LEDGER_FULL)) {
		if (frames < CHECKPOINT_RESTART ||
		    checkpoint(l, &frames) == -1)
			goto out;
		sync_copied(l);
	}
	if (writer_lock(l, F_WRLCK) == -1)
		goto out;
	/* The worker may checkpoint too: wait for it a moment. */
	for (pass = 0; pass < 20 && checkpoint(l, &frames) == -1; pass++)
		nanosleep(&pause, NULL);
	writer_lock(l, F_UNLCK);
out:
	sync_file_lock(l, CHECKPOINT_LOCK_BYTE, F_UNLCK, 0);
}

/*
 * The checkpointer.  A checkpoint copies megabytes and syncs twice: run
 * by the handler between requests, it kept that process from accepting
 * for tens of milliseconds, and lighttpd, which counts a process free
 * once it has answered, queued the next requests at its socket all the
 * same: those were the slowest requests at full load.  A thread of the
 * handler does it now, with a connection and -sync file of its own (so
 * that its writer lock excludes its own process's inserts as any
 * other's), while the main thread goes on serving.
 */
static void *
checkpointer_main(void *arg)
{
	struct checkpointer	*c = arg;

	pthread_mutex_lock(&c->mutex);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->wake, &c->mutex);
		if (c->stop)
			break;
		c->due = 0;
		c->busy = 1;
		pthread_mutex_unlock(&c->mutex);
		checkpoint_passes(c->own);
		pthread_mutex_lock(&c->mutex);
		c->busy = 0;
	}
	pthread_mutex_unlock(&c->mutex);
	return NULL;
}

/*
 * Starts l's checkpointer: 0, or -1 (no memory, no thread, the database
 * cannot be opened again), in which case checkpoints stay in ledger_idle.
 * Signals sent to the process are blocked in the thread: they are the
 * main thread's.
 */
static int
checkpointer_start(struct ledger *l)
{
	struct checkpointer	*c;
	sigset_t		 all, old;
	char			 err[256];
	int			 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((c->own = ledger_open(l->path, l->flags, l->timeout_ms, err,
	    sizeof(err))) == NULL) {
		free(c);
		return -1;
	}
	pthread_mutex_init(&c->mutex, NULL);
	pthread_cond_init(&c->wake, NULL);
	/* Faults stay deliverable: the sandbox's SIGSYS names a call. */
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGABRT);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, checkpointer_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		ledger_close(c->own);
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->mutex);
		free(c);
		return -1;
	}
	/* Shown by ps -L and in /proc/PID/task: what the thread is for. */
	(void)pthread_setname_np(c->thread, "checkpoint");
	l->ckpt = c;
	return 0;
}

/* Waits for a running checkpoint to end, and for the thread. */
static void
checkpointer_stop(struct ledger *l)
{
	struct checkpointer	*c = l->ckpt;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mutex);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->mutex);
	pthread_join(c->thread, NULL);
	ledger_close(c->own);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->mutex);
	free(c);
	l->ckpt = NULL;
}

void
ledger_idle(struct ledger *l)
{
	struct checkpointer	*c;

	if (l == NULL)
		return;
	if (l->wal_frames < l->wal_checkpointed)	/* started over */
		l->wal_checkpointed = 0;
	if (l->wal_frames - l->wal_checkpointed < l->wal_limit)
		return;
	if (l->one_request) {
		truncate_log(l);
		return;
	}
	/* Done now, or being done by another process. */
	l->wal_checkpointed = l->wal_frames;
	if (l->ckpt == NULL && (l->path == NULL || RUNNING_ON_VALGRIND ||
	    checkpointer_start(l) == -1)) {
		checkpoint_passes(l);
		return;
	}
	c = l->ckpt;
	pthread_mutex_lock(&c->mutex);
	if (!c->busy)
		c->due = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->mutex);
}

void
ledger_one_request(struct ledger *l)
{
	if (l != NULL) {
		l->wal_limit = CHECKPOINT_FRAMES_ONE;
		l->one_request = 1;
	}
}

void
ledger_close(struct ledger *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	checkpointer_stop(l);
	sqlite3_finalize(l->insert);
	sqlite3_finalize(l->look);
	sqlite3_finalize(l->forget);
	for (i = 0; i < NCACHED; i++)
		sqlite3_finalize(l->cached[i]);
	sqlite3_close(l->db);
	if (l->group_seq != NULL)
		munmap(l->group_seq, 4096);
	if (l->group_fd != -1)
		close(l->group_fd);
	free(l->path);
	free(l);
}

/*
 * Binds a delivery's fields but its body to ?1-?6, ?8 and ?9: endpoint,
 * delivery_id, provider, event, received_at, headers, (body),
 * body_sha256, signed_sha256.
 */
static void
bind_new(sqlite3_stmt *st, const struct ledger_new *d)
{
	sqlite3_bind_text(st, 1, d->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->delivery_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, d->received_at);
	sqlite3_bind_text(st, 6, d->headers, (int)d->headers_len,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 8, d->body_sha256, -1, SQLITE_STATIC);
	if (d->signed_sha256 != NULL)
		sqlite3_bind_text(st, 9, d->signed_sha256, -1, SQLITE_STATIC);
}

static long long read_ahead_rows = READ_AHEAD_ROWS;

void
ledger_set_read_ahead(long long rows)
{
	read_ahead_rows = rows;
}

long long
ledger_read_aheads(const struct ledger *l)
{
	return l->read_aheads;
}

/*
 * An insert updates both unique indexes at a random place (random ids,
 * random digests), reading a leaf page of each.  A ledger of millions of
 * rows on a small server keeps few of those leaves in the page cache, so
 * most inserts read two pages from the disk, and under the writer lock
 * the other processes wait for each read in turn.  Looking the delivery
 * up first, without the lock, reads the same pages while another
 * process writes: the processes' reads overlap, and the insert then
 * finds its pages in memory.  On the 10 M ledger under 64 MiB (README,
 * "Cost at scale") that took durable GitHub deliveries from 0.64 to
 * 0.78 of the empty ledger's rate.  The lookup's answer is not used:
 * the insert's conflict clause decides, under the lock, as before.
 *
 * It costs two fcntl(2) (the read lock on the write-ahead log) and 14 k
 * instructions a request, for nothing while the indexes are in memory,
 * so smaller ledgers go without: the two indexes take 160 MB per
 * million rows.  The row id tells the size for free (ids only grow,
 * retention leaves gaps), so a process starts without and switches on
 * after its first insert into a large ledger; a CGI process, with one
 * request, never does.  Any failure here only skips the look.
 */
static void
read_ahead(struct ledger *l, const struct ledger_new *d)
{
	char	 err[256];

	if (l->look == NULL && prepare(l, "SELECT (SELECT 1 FROM deliveries"
	    " WHERE endpoint = ?1 AND delivery_id = ?2),"
	    " (SELECT 1 FROM deliveries"
	    "  WHERE endpoint = ?1 AND signed_sha256 = ?9)", &l->look, err,
	    sizeof(err)) == -1) {
		l->read_ahead = 0;
		return;
	}
	bind_new(l->look, d);
	(void)sqlite3_step(l->look);
	sqlite3_reset(l->look);
	sqlite3_clear_bindings(l->look);
	l->read_aheads++;
}

enum ledger_result
ledger_insert(struct ledger *l, const struct ledger_new *d, long long *rowid,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st = l->insert;
	int		 rc;

	if (l->read_ahead)
		read_ahead(l, d);
	bind_new(st, d);
	sqlite3_bind_blob(st, 7, d->body_len > 0 ? d->body : "",
	    (int)d->body_len, SQLITE_STATIC);
	if (writer_lock(l, F_WRLCK) == -1) {
		snprintf(err, errlen, "cannot lock the ledger: %s",
		    strerror(errno));
		sqlite3_clear_bindings(st);
		return LEDGER_ERROR;
	}
	rc = sqlite3_step(st);
	writer_lock(l, F_UNLCK);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "ledger insert failed: %s",
		    sqlite3_errstr(rc));
		return LEDGER_ERROR;
	}
	/* A duplicate is acknowledged too: its first row must be on disk. */
	if (l->group && group_sync(l) == -1) {
		snprintf(err, errlen, "cannot sync the ledger to disk: %s",
		    strerror(errno));
		if (sqlite3_changes(l->db) > 0)
			ledger_forget(l, sqlite3_last_insert_rowid(l->db));
		return LEDGER_ERROR;
	}
	if (sqlite3_changes(l->db) == 0)
		return LEDGER_DUPLICATE;
	*rowid = sqlite3_last_insert_rowid(l->db);
	l->read_ahead = *rowid >= read_ahead_rows;
	return LEDGER_INSERTED;
}

/*
 * Prepared when first needed: most processes never take a delivery
 * back, and preparing the DELETE (with the triggers' code) was 0.1 M
 * instructions of every CGI request.
 */
int
ledger_forget(struct ledger *l, long long rowid)
{
	char	 err[256];
	int	 rc;

	if (l->forget == NULL && prepare(l, "DELETE FROM deliveries WHERE"
	    " id = ?1", &l->forget, err, sizeof(err)) == -1)
		return -1;
	sqlite3_bind_int64(l->forget, 1, rowid);
	rc = sqlite3_step(l->forget);
	sqlite3_reset(l->forget);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The worker's side.  Times are Unix ms from the caller, so tests and
 * several workers agree on one clock.  Every write is one statement in
 * autocommit mode, which SQLite runs as a write transaction from its
 * first step (like BEGIN IMMEDIATE): the claim's SELECT and UPDATE see
 * the same snapshot, and two workers can never claim the same row.
 */
enum cached_stmt {
	C_CLAIM,
	C_DUE,
	C_VERSION,
	C_FINISH,
	C_UNCLAIM,
	C_PRUNE_BODIES,
	C_PRUNE_ROWS,
	C_FIND,
	C_REQUEUE,
	C_REQUEUE_DEAD,
	C_EARLIER,
	C_COUNT
};

_Static_assert(C_COUNT <= NCACHED, "raise NCACHED");

static const char *const cached_sql[C_COUNT] = {
	/*
	 * Each arm of the coalesce is one index lookup on (state,
	 * next_attempt_at), so a long backlog costs no sort per claim.
	 * Expired leases go first: those rows have waited longest.
	 */
	[C_CLAIM] = "UPDATE deliveries SET state = 'running',"
	    " lease_until = ?1 + ?2, lease_owner = ?3,"
	    " attempts = attempts + 1"
	    " WHERE id = coalesce("
	    "  (SELECT id FROM deliveries WHERE state = 'running'"
	    "   AND lease_until < ?1 ORDER BY lease_until LIMIT 1),"
	    "  (SELECT id FROM deliveries WHERE state = 'queued'"
	    "   AND next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT 1))"
	    " RETURNING id, endpoint, delivery_id, provider, event,"
	    " received_at, attempts, headers, body",
	[C_DUE] = "SELECT (SELECT min(next_attempt_at) FROM deliveries"
	    " WHERE state = 'queued'), (SELECT min(lease_until)"
	    " FROM deliveries WHERE state = 'running')",
	[C_VERSION] = "PRAGMA data_version",
	[C_FINISH] = "UPDATE deliveries SET state = ?3,"
	    " next_attempt_at = CASE ?3 WHEN 'queued' THEN ?4"
	    "  ELSE next_attempt_at END,"
	    " finished_at = CASE ?3 WHEN 'queued' THEN NULL ELSE ?4 END,"
	    " last_exit = ?5, last_error = ?6,"
	    " lease_until = NULL, lease_owner = NULL"
	    " WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
	[C_UNCLAIM] = "UPDATE deliveries SET state = 'queued',"
	    " attempts = max(attempts - 1, 0),"
	    " lease_until = NULL, lease_owner = NULL"
	    " WHERE id = ?1 AND state = 'running' AND lease_owner = ?2",
	/* Retention's batches, oldest first, each an index range. */
	[C_PRUNE_BODIES] = "UPDATE deliveries SET body = NULL WHERE id IN"
	    " (SELECT id FROM deliveries INDEXED BY deliveries_bodies"
	    "  WHERE state = 'done' AND body IS NOT NULL"
	    "  AND finished_at < ?1 ORDER BY finished_at LIMIT ?2)",
	[C_PRUNE_ROWS] = "DELETE FROM deliveries WHERE id IN"
	    " (SELECT id FROM deliveries INDEXED BY deliveries_done"
	    "  WHERE state = 'done' AND finished_at < ?1"
	    "  ORDER BY finished_at LIMIT ?2)",
	[C_FIND] = "SELECT id, state, body IS NULL FROM deliveries"
	    " WHERE delivery_id = ?1 AND (?2 IS NULL OR endpoint = ?2)"
	    " LIMIT 2",
	[C_REQUEUE] = "UPDATE deliveries SET state = 'queued',"
	    " attempts = 0, next_attempt_at = ?2, finished_at = NULL,"
	    " lease_until = NULL, lease_owner = NULL"
	    " WHERE id = ?1 AND state IN ('done', 'dead')"
	    " AND body IS NOT NULL",
	[C_REQUEUE_DEAD] = "UPDATE deliveries SET state = 'queued',"
	    " attempts = 0, next_attempt_at = ?2, finished_at = NULL,"
	    " lease_until = NULL, lease_owner = NULL"
	    " WHERE state = 'dead' AND (?1 IS NULL OR endpoint = ?1)",
	/* The row with the same id first, else the one with the same MAC. */
	[C_EARLIER] = "SELECT delivery_id, delivery_id = ?2 FROM deliveries"
	    " WHERE endpoint = ?1 AND (delivery_id = ?2 OR"
	    " (?3 IS NOT NULL AND signed_sha256 = ?3))"
	    " ORDER BY delivery_id = ?2 DESC LIMIT 1",
};

/* The statement, prepared on first use and reset for reuse. */
static sqlite3_stmt *
cached(struct ledger *l, enum cached_stmt which, char *err, size_t errlen)
{
	sqlite3_stmt	**st = &l->cached[which];

	if (*st == NULL && prepare(l, cached_sql[which], st, err,
	    errlen) == -1)
		return NULL;
	return *st;
}

/* Steps a write to its end; returns the rows changed, or -1. */
static long long
run_write(struct ledger *l, sqlite3_stmt *st, char *err, size_t errlen)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		if (err != NULL)
			snprintf(err, errlen, "ledger update failed: %s",
			    sqlite3_errstr(rc));
		return -1;
	}
	return sqlite3_changes64(l->db);
}

static char *
column_dup(sqlite3_stmt *st, int col, size_t *lenp)
{
	const void	*p;
	size_t		 len;
	char		*s;

	p = sqlite3_column_blob(st, col);
	len = (size_t)sqlite3_column_bytes(st, col);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return s;
}

static int
job_fill(sqlite3_stmt *st, struct ledger_job *job)
{
	memset(job, 0, sizeof(*job));
	job->rowid = sqlite3_column_int64(st, 0);
	job->received_at = sqlite3_column_int64(st, 5);
	job->attempt = (long)sqlite3_column_int64(st, 6);
	if ((job->endpoint = column_dup(st, 1, NULL)) == NULL ||
	    (job->delivery_id = column_dup(st, 2, NULL)) == NULL ||
	    (job->provider = column_dup(st, 3, NULL)) == NULL ||
	    (job->event = column_dup(st, 4, NULL)) == NULL ||
	    (job->headers = column_dup(st, 7, &job->headers_len)) == NULL)
		return -1;
	/* A zero-length blob reads as NULL too: ask for the type. */
	if (sqlite3_column_type(st, 8) != SQLITE_NULL &&
	    (job->body = column_dup(st, 8, &job->body_len)) == NULL)
		return -1;
	return 0;
}

int
ledger_claim(struct ledger *l, long long now_ms, long long lease_ms,
    const char *owner, struct ledger_job *job, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc, got = 0;

	memset(job, 0, sizeof(*job));
	if ((st = cached(l, C_CLAIM, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, lease_ms);
	sqlite3_bind_text(st, 3, owner, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		got = 1;
		if (job_fill(st, job) == -1)
			got = -1;
		/* The commit happens when the statement runs to its end. */
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE || got == -1) {
		snprintf(err, errlen, "ledger claim failed: %s", got == -1 ?
		    "out of memory" : sqlite3_errstr(rc));
		/* Claimed but not copied: the lease expires, it runs later. */
		ledger_job_release(job);
		return -1;
	}
	return got;
}

void
ledger_job_release(struct ledger_job *job)
{
	if (job == NULL)
		return;
	free(job->endpoint);
	free(job->delivery_id);
	free(job->provider);
	free(job->event);
	free(job->headers);
	free(job->body);
	memset(job, 0, sizeof(*job));
}

int
ledger_next_due(struct ledger *l, long long *when_ms)
{
	sqlite3_stmt	*st;
	long long	 t;
	char		 err[128];
	int		 i, rc;

	*when_ms = -1;
	if ((st = cached(l, C_DUE, err, sizeof(err))) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < 2; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				continue;
			t = sqlite3_column_int64(st, i);
			if (*when_ms == -1 || t < *when_ms)
				*when_ms = t;
		}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
ledger_data_version(struct ledger *l, long long *version)
{
	sqlite3_stmt	*st;
	char		 err[128];
	int		 rc;

	if ((st = cached(l, C_VERSION, err, sizeof(err))) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
ledger_finish(struct ledger *l, long long rowid, const char *owner,
    const struct ledger_outcome *o, char *err, size_t errlen)
{
	static const char *const	 names[] = {
		[LEDGER_QUEUED] = "queued",
		[LEDGER_DONE] = "done",
		[LEDGER_DEAD] = "dead",
	};
	sqlite3_stmt			*st;
	long long			 n;

	if ((st = cached(l, C_FINISH, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, names[o->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, o->at_ms);
	if (o->has_exit)
		sqlite3_bind_int(st, 5, o->exit_status);
	if (o->error != NULL)
		sqlite3_bind_text(st, 6, o->error, -1, SQLITE_STATIC);
	if ((n = run_write(l, st, err, errlen)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

int
ledger_unclaim(struct ledger *l, long long rowid, const char *owner,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	long long	 n;

	if ((st = cached(l, C_UNCLAIM, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	if ((n = run_write(l, st, err, errlen)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

static long long
mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Runs one of retention's statements in batches until it finds nothing
 * more or the sweep's time is up (*budget_us, counted down).  Each batch
 * is its own transaction, sized so that it holds the write lock about
 * PRUNE_BATCH_US: a row costs more when its index pages must be read
 * from the disk.  Between batches the handlers get the lock.  Adds the
 * rows changed to *count; 0, or -1 with err set.
 */
static int
prune_batches(struct ledger *l, enum cached_stmt which, long long before,
    long long *count, long long *budget_us, char *err, size_t errlen)
{
	struct timespec	 pause = { 0, PRUNE_PAUSE_US * 1000 };
	sqlite3_stmt	*st;
	long long	 n, t0, took;

	while (*budget_us > 0) {
		if ((st = cached(l, which, err, errlen)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, before);
		sqlite3_bind_int64(st, 2, l->prune_batch);
		t0 = mono_us();
		if ((n = run_write(l, st, err, errlen)) == -1)
			return -1;
		took = mono_us() - t0;
		*count += n;
		*budget_us -= took + PRUNE_PAUSE_US;
		if (took > PRUNE_BATCH_US && l->prune_batch > PRUNE_BATCH_MIN)
			l->prune_batch /= 2;
		else if (took < PRUNE_BATCH_US / 4 && n == l->prune_batch &&
		    l->prune_batch < PRUNE_BATCH_MAX)
			l->prune_batch *= 2;
		if (n == 0)
			break;
		nanosleep(&pause, NULL);
	}
	return 0;
}

int
ledger_prune(struct ledger *l, long long now_ms, long long keep_done_ms,
    long long dedupe_window_ms, long long *pruned, long long *deleted,
    char *err, size_t errlen)
{
	long long	 budget = PRUNE_BUDGET_US;

	*pruned = *deleted = 0;
	if (l->prune_batch == 0)
		l->prune_batch = PRUNE_BATCH_MIN * 4;
	if (prune_batches(l, C_PRUNE_BODIES, now_ms - keep_done_ms, pruned,
	    &budget, err, errlen) == -1 ||
	    prune_batches(l, C_PRUNE_ROWS, now_ms - dedupe_window_ms, deleted,
	    &budget, err, errlen) == -1)
		return -1;
	return 0;
}

/* Finds the one row a requeue means; fills *rowid or says why not. */
static enum ledger_requeue
requeue_find(struct ledger *l, const char *endpoint, const char *id,
    long long *rowid, char *err, size_t errlen)
{
	enum ledger_requeue	 r = LEDGER_REQUEUE_UNKNOWN;
	sqlite3_stmt		*st;
	const char		*state;
	int			 rc, n = 0;

	if ((st = cached(l, C_FIND, err, errlen)) == NULL)
		return LEDGER_REQUEUE_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (endpoint != NULL)
		sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		*rowid = sqlite3_column_int64(st, 0);
		state = (const char *)sqlite3_column_text(st, 1);
		if (state == NULL || strcmp(state, "queued") == 0 ||
		    strcmp(state, "running") == 0)
			r = LEDGER_REQUEUE_ACTIVE;
		else if (sqlite3_column_int(st, 2))
			r = LEDGER_REQUEUE_PRUNED;
		else
			r = LEDGER_REQUEUED;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "ledger lookup failed: %s",
		    sqlite3_errstr(rc));
		return LEDGER_REQUEUE_ERROR;
	}
	return n > 1 ? LEDGER_REQUEUE_AMBIGUOUS : r;
}

enum ledger_requeue
ledger_requeue(struct ledger *l, const char *endpoint,
    const char *delivery_id, long long now_ms, char *err, size_t errlen)
{
	enum ledger_requeue	 r;
	sqlite3_stmt		*st;
	long long		 rowid = 0, n;

	/* Look and change under one write lock: a worker may be busy. */
	if (exec(l, "BEGIN IMMEDIATE", err, errlen) == -1)
		return LEDGER_REQUEUE_ERROR;
	r = requeue_find(l, endpoint, delivery_id, &rowid, err, errlen);
	if (r == LEDGER_REQUEUED) {
		if ((st = cached(l, C_REQUEUE, err, errlen)) == NULL)
			r = LEDGER_REQUEUE_ERROR;
		else {
			sqlite3_bind_int64(st, 1, rowid);
			sqlite3_bind_int64(st, 2, now_ms);
			n = run_write(l, st, err, errlen);
			if (n == 0)
				snprintf(err, errlen, "row %lld changed"
				    " under the lock", rowid);
			r = n == 1 ? LEDGER_REQUEUED : LEDGER_REQUEUE_ERROR;
		}
	}
	if (exec(l, r == LEDGER_REQUEUED ? "COMMIT" : "ROLLBACK", err,
	    errlen) == -1)
		return LEDGER_REQUEUE_ERROR;
	return r;
}

int
ledger_requeue_dead(struct ledger *l, const char *endpoint,
    long long now_ms, long long *count, char *err, size_t errlen)
{
	sqlite3_stmt	*st;

	*count = 0;
	if ((st = cached(l, C_REQUEUE_DEAD, err, errlen)) == NULL)
		return -1;
	if (endpoint != NULL)
		sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((*count = run_write(l, st, err, errlen)) == -1)
		return -1;
	return 0;
}

/*
 * webhookctl's queries: queue list/stats/show/purge and show ID.  A
 * one-shot tool runs each once, so these statements are prepared per
 * call and finalised, not cached with the worker's.
 */

/* Prepares sql; NULL with the reason in err. */
static sqlite3_stmt *
query_prepare(struct ledger *l, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "ledger query failed: %s",
		    sqlite3_errmsg(l->db));
		return NULL;
	}
	return st;
}

/*
 * Ends a loop of sqlite3_step over st, whose last result was rc: the
 * callback's verdict ret, or -1 when the query itself failed.
 */
static int
query_finish(sqlite3_stmt *st, int rc, int ret, char *err, size_t errlen)
{
	if (ret == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "ledger query failed: %s",
		    sqlite3_errstr(rc));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

/* A text column, or NULL when it is NULL. */
static const char *
column_text(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(st, col);
}

static void
row_fill(sqlite3_stmt *st, struct ledger_row *r)
{
	memset(r, 0, sizeof(*r));
	r->rowid = sqlite3_column_int64(st, 0);
	r->endpoint = column_text(st, 1);
	r->delivery_id = column_text(st, 2);
	r->provider = column_text(st, 3);
	r->event = column_text(st, 4);
	r->state = column_text(st, 5);
	r->received_at = sqlite3_column_int64(st, 6);
	r->attempts = (long)sqlite3_column_int64(st, 7);
	r->next_attempt_at = sqlite3_column_int64(st, 8);
	r->lease_until = sqlite3_column_int64(st, 9);
	r->lease_owner = column_text(st, 10);
	r->has_exit = sqlite3_column_type(st, 11) != SQLITE_NULL;
	r->last_exit = sqlite3_column_int(st, 11);
	r->last_error = column_text(st, 12);
	r->finished_at = sqlite3_column_int64(st, 13);
	r->headers = (const char *)sqlite3_column_text(st, 14);
	r->headers_len = (size_t)sqlite3_column_bytes(st, 14);
	r->body_pruned = sqlite3_column_int(st, 15);
	r->body_len = (size_t)sqlite3_column_int64(st, 16);
	/* A zero-length blob reads as NULL too: the flag says which. */
	if (!r->body_pruned) {
		r->body = sqlite3_column_blob(st, 17);
		if (r->body == NULL)
			r->body = "";
	}
	r->body_sha256 = column_text(st, 18);
}

int
ledger_list(struct ledger *l, const struct ledger_query *q,
    int (*fn)(void *, const struct ledger_row *), void *arg, char *err,
    size_t errlen)
{
	struct ledger_row	 r;
	sqlite3_stmt		*st;
	int			 rc, ret = 0;

	st = query_prepare(l, "SELECT id, endpoint, delivery_id, provider,"
	    " event, state, received_at, attempts, next_attempt_at,"
	    " lease_until, lease_owner, last_exit, last_error, finished_at,"
	    " headers, body IS NULL, length(body),"
	    " CASE WHEN ?6 THEN body END, body_sha256 FROM deliveries"
	    " WHERE (?1 IS NULL OR endpoint = ?1)"
	    " AND (?2 IS NULL OR delivery_id = ?2)"
	    " AND (?3 IS NULL OR state = ?3)"
	    " AND (?4 = 0 OR state <> 'done')"
	    " ORDER BY received_at DESC, id DESC LIMIT ?5", err, errlen);
	if (st == NULL)
		return -1;
	if (q->endpoint != NULL)
		sqlite3_bind_text(st, 1, q->endpoint, -1, SQLITE_STATIC);
	if (q->delivery_id != NULL)
		sqlite3_bind_text(st, 2, q->delivery_id, -1, SQLITE_STATIC);
	if (q->state != NULL)
		sqlite3_bind_text(st, 3, q->state, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->not_done);
	sqlite3_bind_int64(st, 5, q->limit > 0 ? q->limit : -1);
	sqlite3_bind_int(st, 6, q->with_body);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_fill(st, &r);
		ret = fn(arg, &r);
	}
	return query_finish(st, rc, ret, err, errlen);
}

int
ledger_stats(struct ledger *l, int (*fn)(void *, const struct ledger_count *),
    void *arg, char *err, size_t errlen)
{
	struct ledger_count	 c;
	sqlite3_stmt		*st;
	int			 rc, ret = 0;

	st = query_prepare(l, "SELECT endpoint, state, count(*),"
	    " min(received_at), min(next_attempt_at) FROM deliveries"
	    " GROUP BY endpoint, state ORDER BY endpoint, state", err,
	    errlen);
	if (st == NULL)
		return -1;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.endpoint = column_text(st, 0);
		c.state = column_text(st, 1);
		c.count = sqlite3_column_int64(st, 2);
		c.oldest = sqlite3_column_int64(st, 3);
		c.next_due = sqlite3_column_int64(st, 4);
		ret = fn(arg, &c);
	}
	return query_finish(st, rc, ret, err, errlen);
}

int
ledger_gauges(struct ledger *l, int (*fn)(void *, const struct ledger_count *),
    void *arg, char *err, size_t errlen)
{
	struct ledger_count	 c;
	sqlite3_stmt		*st;
	int			 rc, ret = 0, counted;

	/* The not-done rows are few and found by the deliveries_due index. */
	if ((counted = has_table(l, "done_counts")) == -1) {
		snprintf(err, errlen, "ledger query failed: %s",
		    sqlite3_errmsg(l->db));
		return -1;
	}
	st = query_prepare(l, counted ?
	    "SELECT endpoint, state, count(*), min(received_at), sum(attempts)"
	    " FROM deliveries WHERE state IN ('queued', 'running', 'dead')"
	    " GROUP BY endpoint, state UNION ALL SELECT endpoint, 'done', n,"
	    " 0, 0 FROM done_counts WHERE n > 0 ORDER BY 1, 2" :
	    "SELECT endpoint, state, count(*), min(received_at), sum(attempts)"
	    " FROM deliveries GROUP BY endpoint, state ORDER BY 1, 2", err,
	    errlen);
	if (st == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c.endpoint = column_text(st, 0);
		c.state = column_text(st, 1);
		c.count = sqlite3_column_int64(st, 2);
		c.oldest = sqlite3_column_int64(st, 3);
		c.attempts = sqlite3_column_int64(st, 4);
		ret = fn(arg, &c);
	}
	return query_finish(st, rc, ret, err, errlen);
}

int
ledger_purge_done(struct ledger *l, const char *endpoint, long long before_ms,
    long long *count, char *err, size_t errlen)
{
	sqlite3_stmt	*st;

	*count = 0;
	st = query_prepare(l, "DELETE FROM deliveries WHERE state = 'done'"
	    " AND finished_at < ?1 AND (?2 IS NULL OR endpoint = ?2)", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before_ms);
	if (endpoint != NULL)
		sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, errlen, "ledger purge failed: %s",
		    sqlite3_errmsg(l->db));
		sqlite3_finalize(st);
		return -1;
	}
	*count = sqlite3_changes64(l->db);
	sqlite3_finalize(st);
	return 0;
}

int
ledger_earlier(struct ledger *l, const struct ledger_new *d, int *same_id,
    char *out, size_t outlen)
{
	sqlite3_stmt	*st;
	int		 rc, ret = -1;

	if ((st = cached(l, C_EARLIER, NULL, 0)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, d->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->delivery_id, -1, SQLITE_STATIC);
	if (d->signed_sha256 != NULL)
		sqlite3_bind_text(st, 3, d->signed_sha256, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(out, outlen, "%s", (const char *)
		    sqlite3_column_text(st, 0));
		*same_id = sqlite3_column_int(st, 1);
		ret = 0;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* One integer a PRAGMA returns, or -1. */
static long long
pragma_int(struct ledger *l, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
ledger_space(struct ledger *l, long long *bytes, long long *free_bytes)
{
	long long	 size, pages, free;

	if ((size = pragma_int(l, "PRAGMA page_size")) == -1 ||
	    (pages = pragma_int(l, "PRAGMA page_count")) == -1 ||
	    (free = pragma_int(l, "PRAGMA freelist_count")) == -1)
		return -1;
	*bytes = pages * size;
	*free_bytes = free * size;
	return 0;
}

int
ledger_layout(void)
{
	return SCHEMA_VERSION;
}

/* ledger_fill: the indexes and triggers of deliveries, dropped meanwhile. */
struct fill_saved {
	char	**sql;
	size_t	  n;
};

static void
fill_saved_free(struct fill_saved *sv)
{
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		free(sv->sql[i]);
	free(sv->sql);
}

/*
 * Saves the CREATE statements of deliveries' own indexes and triggers
 * (not the UNIQUE constraint's, which is part of the table) and drops
 * them.
 */
static int
fill_drop(struct ledger *l, struct fill_saved *sv, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	char		 drop[160], **p;
	const char	*type, *name;
	int		 rc;

	memset(sv, 0, sizeof(*sv));
	if (prepare(l, "SELECT type, name, sql FROM sqlite_master"
	    " WHERE tbl_name = 'deliveries' AND type IN ('index', 'trigger')"
	    " AND sql IS NOT NULL", &st, err, errlen) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		type = (const char *)sqlite3_column_text(st, 0);
		name = (const char *)sqlite3_column_text(st, 1);
		if ((p = reallocarray(sv->sql, sv->n + 1,
		    sizeof(*p))) == NULL ||
		    (p[sv->n] = strdup((const char *)
		    sqlite3_column_text(st, 2))) == NULL) {
			if (p != NULL)
				sv->sql = p;
			snprintf(err, errlen, "out of memory");
			sqlite3_finalize(st);
			return -1;
		}
		sv->sql = p;
		sv->n++;
		snprintf(drop, sizeof(drop), "DROP %s \"%s\"",
		    strcmp(type, "index") == 0 ? "INDEX" : "TRIGGER", name);
		sqlite3_reset(st);
		if (exec(l, drop, err, errlen) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* Steps the fill's insert of one row; 0 or -1. */
static int
fill_row(struct ledger *l, sqlite3_stmt *st, const struct ledger_old *o,
    char *err, size_t errlen)
{
	const struct ledger_new	*d = &o->d;
	int			 rc;

	bind_new(st, d);
	if (d->body != NULL)
		sqlite3_bind_blob(st, 7, d->body, (int)d->body_len,
		    SQLITE_STATIC);
	sqlite3_bind_text(st, 10, o->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, o->attempts);
	sqlite3_bind_int(st, 12, o->last_exit);
	if (o->last_error != NULL)
		sqlite3_bind_text(st, 13, o->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 14, o->finished_at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "ledger fill failed: %s",
		    sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

/* Does deliveries hold a row?  1, 0, or -1. */
static int
has_rows(struct ledger *l)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM deliveries LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Rows per transaction while filling. */
#define FILL_BATCH	100000

long long
ledger_fill(struct ledger *l, int (*next)(void *, struct ledger_old *),
    void *arg, char *err, size_t errlen)
{
	struct fill_saved	 sv;
	struct ledger_old	 o;
	sqlite3_stmt		*st = NULL;
	long long		 n = 0;
	size_t			 i;
	int			 rc = 0, full;

	memset(&sv, 0, sizeof(sv));
	if (exec(l, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	    " PRAGMA cache_size=-262144", err, errlen) == -1 ||
	    (full = has_rows(l)) == -1 ||
	    (full == 0 && fill_drop(l, &sv, err, errlen) == -1) ||
	    prepare(l, "INSERT INTO deliveries (endpoint, delivery_id,"
	    " provider, event, received_at, next_attempt_at, headers, body,"
	    " body_sha256, signed_sha256, state, attempts, last_exit,"
	    " last_error, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14)", &st, err, errlen) == -1 ||
	    exec(l, "BEGIN", err, errlen) == -1)
		goto fail;
	for (;;) {
		memset(&o, 0, sizeof(o));
		if ((rc = next(arg, &o)) <= 0)
			break;
		if (fill_row(l, st, &o, err, errlen) == -1)
			goto fail;
		if (++n % FILL_BATCH == 0 && (exec(l, "COMMIT", err,
		    errlen) == -1 || exec(l, "BEGIN", err, errlen) == -1))
			goto fail;
	}
	if (rc == -1) {
		snprintf(err, errlen, "the rows' source failed");
		goto fail;
	}
	for (i = 0; i < sv.n; i++)
		if (exec(l, sv.sql[i], err, errlen) == -1)
			goto fail;
	if (exec(l, "DELETE FROM done_counts;"
	    "INSERT INTO done_counts SELECT endpoint, count(*)"
	    " FROM deliveries WHERE state = 'done' GROUP BY endpoint;"
	    "COMMIT; PRAGMA journal_mode=WAL;"
	    " PRAGMA synchronous=NORMAL", err, errlen) == -1)
		goto fail;
	sqlite3_finalize(st);
	fill_saved_free(&sv);
	return n;
fail:
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(st);
	fill_saved_free(&sv);
	return -1;
}
