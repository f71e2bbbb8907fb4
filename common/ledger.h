/*
 * ledger: the only user of SQLite.  One database, <state_dir>/webhooks.db
 * in WAL mode, holds every accepted delivery.  Inserting is also the
 * deduplication: (endpoint, delivery_id) is unique, so a delivery seen
 * before is reported, not stored twice.  The worker claims rows with a
 * lease, so several workers never run one delivery at the same time.
 *
 * Table deliveries (times are Unix milliseconds):
 *   id, endpoint, delivery_id, provider, event, received_at, state
 *   ('queued' | 'running' | 'done' | 'dead'), attempts, next_attempt_at,
 *   lease_until, lease_owner, last_exit, last_error, finished_at,
 *   headers (JSON), body (exact bytes; NULL once pruned), body_sha256,
 *   signed_sha256 (the signed bytes' digest, unique per endpoint too).
 * The layout is versioned (PRAGMA user_version) and older databases are
 * migrated when opened.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>

struct ledger;

/* A delivery to record.  Everything is borrowed for the call. */
struct ledger_new {
	const char	*endpoint;
	const char	*delivery_id;
	const char	*provider;
	const char	*event;
	long long	 received_at;	/* Unix ms */
	const char	*headers;	/* JSON object */
	size_t		 headers_len;
	const char	*body;
	size_t		 body_len;
	const char	*body_sha256;	/* hex */
	/*
	 * Hex SHA-256 of the bytes the signature covers, or NULL when
	 * nothing is signed.  Unique per endpoint like delivery_id: the
	 * same signed bytes under a new id are a replay, a duplicate.
	 */
	const char	*signed_sha256;
};

enum ledger_result {
	LEDGER_INSERTED,
	LEDGER_DUPLICATE,
	LEDGER_ERROR,		/* nothing was stored */
};

/* How ledger_open() makes commits durable; flags, or-ed. */
#define LEDGER_FULL	0x1	/* each commit on disk before it returns */
#define LEDGER_GROUP	0x2	/* with FULL: one sync serves many commits */
#define LEDGER_DEFER	0x4	/* checkpoints wait for ledger_idle() */
#define LEDGER_READONLY	0x8	/* never writes: metrics and console */

/*
 * Opens (creating if needed) the database at path.  Without LEDGER_FULL
 * a commit survives a crash of the process but not of the machine
 * (synchronous=NORMAL).  LEDGER_READONLY opens an existing database
 * for reading only, ignoring the other flags.  LEDGER_FULL alone is SQLite's synchronous=FULL,
 * one sync per commit.  LEDGER_FULL | LEDGER_GROUP gives the same
 * guarantee to ledger_insert() with syncs shared among all processes on
 * the database (group commit, see ledger.c): the handlers' mode.
 * LEDGER_DEFER moves checkpoints out of commits into ledger_idle(), for
 * a caller that has idle moments between requests.  timeout_ms bounds
 * waiting on another writer's lock.  Returns NULL with a reason in err.
 * Caller closes with ledger_close().
 */
struct ledger	*ledger_open(const char *path, int flags, long timeout_ms,
		    char *err, size_t errlen);
void		 ledger_close(struct ledger *);
/*
 * For a process that serves one request (CGI): ledger_idle() keeps the
 * log short, since the next process may have to read all of it.
 */
void		 ledger_one_request(struct ledger *);

/*
 * Stores a delivery as 'queued'.  Returns LEDGER_INSERTED with its row id
 * in *rowid, LEDGER_DUPLICATE, or LEDGER_ERROR with a reason in err.
 * With LEDGER_FULL, the row (for a duplicate, the row first stored) is
 * on disk when the call returns.
 */
enum ledger_result ledger_insert(struct ledger *, const struct ledger_new *,
		    long long *rowid, char *err, size_t errlen);

/*
 * Inserts into a ledger whose row ids have reached rows (1,000,000 unless
 * set) first look the delivery up without the writer lock, so that the
 * index pages they need are read while others write (ledger.c,
 * read_ahead).  For tests and benchmarks: the setting is the process's,
 * and a ledger learns the size from its next insert.
 * ledger_read_aheads() says how many lookups a ledger made.
 */
void		 ledger_set_read_ahead(long long rows);
long long	 ledger_read_aheads(const struct ledger *);

/*
 * After LEDGER_DUPLICATE: copies into out the delivery id of the row
 * that made d a duplicate, the one with d's id if any (*same_id = 1),
 * else the one with d's signed bytes (*same_id = 0).  Returns 0, or -1
 * when there is none (pruned meanwhile) or the query failed.
 */
int		 ledger_earlier(struct ledger *, const struct ledger_new *d,
		    int *same_id, char *out, size_t outlen);

/*
 * Removes a row just inserted, when the acknowledgement cannot be made
 * (the log write failed): the sender retries and nothing is half-kept.
 * Returns 0 or -1.
 */
int		 ledger_forget(struct ledger *, long long rowid);

/*
 * Work that can wait for a moment without a request: with LEDGER_DEFER,
 * a checkpoint once the write-ahead log has grown past a few megabytes.
 * It runs in a thread of the process, started on first use, and the
 * call returns at once; in CGI mode (ledger_one_request), under
 * valgrind, or when no thread can be started, in the call itself.
 * ledger_close() waits for a checkpoint under way.
 */
void		 ledger_idle(struct ledger *);

/*
 * The worker's side.  A delivery goes queued -> running (claimed under a
 * lease) -> done or dead, or back to queued for a retry.  Every change
 * to a running row names the lease owner, so a worker that lost its
 * lease (its row was taken over after lease_until) changes nothing.
 */

/* A claimed delivery.  Owned: release with ledger_job_release(). */
struct ledger_job {
	long long	 rowid;
	char		*endpoint;
	char		*delivery_id;
	char		*provider;
	char		*event;
	long long	 received_at;	/* Unix ms */
	long		 attempt;	/* this attempt, counted from 1 */
	char		*headers;	/* JSON object */
	size_t		 headers_len;
	char		*body;		/* NULL once pruned */
	size_t		 body_len;
};

/*
 * Claims, in one statement, the delivery that has waited longest among
 * those due at now_ms: a running one whose lease expired (its worker
 * vanished) first, else the queued one with the oldest next_attempt_at.
 * It becomes running, leased to owner until now_ms + lease_ms, with
 * attempts + 1.  Returns 1 with job filled, 0 when nothing is due, or
 * -1 with a reason in err (the lock was busy past the timeout, ...).
 */
int		 ledger_claim(struct ledger *, long long now_ms,
		    long long lease_ms, const char *owner,
		    struct ledger_job *job, char *err, size_t errlen);
/* Frees what a job holds; the struct itself is the caller's. */
void		 ledger_job_release(struct ledger_job *);

/*
 * Sets *when_ms to the earliest time a claim can succeed (a queued row's
 * next_attempt_at or a running row's lease_until), or -1 when there is
 * nothing to wait for.  Returns 0 or -1.
 */
int		 ledger_next_due(struct ledger *, long long *when_ms);

/*
 * Sets *version to a number that changes whenever another connection
 * (a handler, another worker) commits: PRAGMA data_version, which reads
 * shared memory only, so polling it often costs next to nothing.
 * Returns 0 or -1.
 */
int		 ledger_data_version(struct ledger *, long long *version);

enum ledger_state {
	LEDGER_QUEUED,		/* retry at at_ms */
	LEDGER_DONE,
	LEDGER_DEAD,
};

/* How an attempt ended.  Strings are borrowed for the call. */
struct ledger_outcome {
	enum ledger_state	 state;
	long long		 at_ms;		/* next try, or finished_at */
	int			 has_exit;	/* 0: last_exit NULL */
	int			 exit_status;
	const char		*error;		/* last_error, or NULL */
};

/*
 * Records the end of an attempt on a row claimed by owner and drops the
 * lease.  Returns 0, 1 when the row is no longer ours (nothing changed),
 * or -1 with a reason in err.
 */
int		 ledger_finish(struct ledger *, long long rowid,
		    const char *owner, const struct ledger_outcome *,
		    char *err, size_t errlen);

/*
 * Gives a claimed row back unrun (shutdown, a fork that failed): queued
 * again, due as before, and the attempt not counted.  Returns 0, 1 when
 * the row is no longer ours, or -1 with a reason in err.
 */
int		 ledger_unclaim(struct ledger *, long long rowid,
		    const char *owner, char *err, size_t errlen);

/*
 * Retention: drops the bodies of deliveries done before now_ms -
 * keep_done_ms, and deletes done rows finished before now_ms -
 * dedupe_window_ms (their ids then stop deduplicating).  Dead rows are
 * kept.  Works in small transactions, oldest first, each holding the
 * write lock a few ms, and returns after about 200 ms even when more
 * has expired: call again while it finds work.  Sets how many bodies
 * were dropped and rows deleted; 0 or -1.
 */
int		 ledger_prune(struct ledger *, long long now_ms,
		    long long keep_done_ms, long long dedupe_window_ms,
		    long long *pruned, long long *deleted, char *err,
		    size_t errlen);

enum ledger_requeue {
	LEDGER_REQUEUED,
	LEDGER_REQUEUE_UNKNOWN,		/* no such delivery */
	LEDGER_REQUEUE_AMBIGUOUS,	/* endpoint NULL, several match */
	LEDGER_REQUEUE_ACTIVE,		/* queued or running already */
	LEDGER_REQUEUE_PRUNED,		/* done, and its body is gone */
	LEDGER_REQUEUE_ERROR,
};

/*
 * For webhookctl queue retry: puts a dead or done delivery back in the
 * queue, due at now_ms, with attempts reset to 0.  The delivery is
 * delivery_id of endpoint, or of any endpoint when endpoint is NULL.
 * last_exit and last_error stay until the next attempt ends.  Returns
 * LEDGER_REQUEUED or why not; LEDGER_REQUEUE_ERROR with err set.
 */
enum ledger_requeue ledger_requeue(struct ledger *, const char *endpoint,
		    const char *delivery_id, long long now_ms, char *err,
		    size_t errlen);

/*
 * For webhookctl queue retry --dead: requeues every dead delivery of
 * endpoint (every endpoint when NULL) as ledger_requeue does.  Sets
 * *count; returns 0, or -1 with a reason in err.
 */
int		 ledger_requeue_dead(struct ledger *, const char *endpoint,
		    long long now_ms, long long *count, char *err,
		    size_t errlen);

/*
 * webhookctl's queries (queue list/stats/show/purge, show ID).
 */

/* One row as webhookctl shows it.  Everything is borrowed for the call. */
struct ledger_row {
	long long	 rowid;
	const char	*endpoint;
	const char	*delivery_id;
	const char	*provider;
	const char	*event;
	const char	*state;		/* queued|running|done|dead */
	long long	 received_at;	/* Unix ms */
	long		 attempts;
	long long	 next_attempt_at;
	long long	 lease_until;	/* 0 when not leased */
	const char	*lease_owner;	/* NULL when not leased */
	int		 has_exit;	/* last_exit is set */
	int		 last_exit;
	const char	*last_error;	/* stderr tail, or NULL */
	long long	 finished_at;	/* 0 when not finished */
	const char	*headers;	/* JSON object */
	size_t		 headers_len;
	int		 body_pruned;	/* dropped by retention */
	size_t		 body_len;	/* bytes, even without with_body */
	const char	*body;		/* with_body and not pruned, else NULL */
	const char	*body_sha256;	/* hex */
};

/* Which rows ledger_list() returns; NULL and 0 mean any. */
struct ledger_query {
	const char	*endpoint;
	const char	*delivery_id;
	const char	*state;
	int		 not_done;	/* leave done rows out */
	long		 limit;		/* at most this many rows */
	int		 with_body;	/* read the bodies too */
};

/*
 * Calls fn for each row matching q, newest first; a non-zero return of
 * fn stops.  Returns 0, fn's value, or -1 with a reason in err.
 */
int		 ledger_list(struct ledger *, const struct ledger_query *q,
		    int (*fn)(void *, const struct ledger_row *), void *arg,
		    char *err, size_t errlen);

/* How many rows an endpoint has in a state.  Borrowed for the call. */
struct ledger_count {
	const char	*endpoint;
	const char	*state;
	long long	 count;
	long long	 oldest;	/* earliest received_at, Unix ms */
	long long	 next_due;	/* earliest next_attempt_at */
	long long	 attempts;	/* ledger_gauges: their sum */
};

/*
 * Calls fn once per endpoint and state that has rows, ordered by
 * endpoint then state.  Returns 0, fn's value, or -1 with err set.
 */
int		 ledger_stats(struct ledger *,
		    int (*fn)(void *, const struct ledger_count *), void *arg,
		    char *err, size_t errlen);

/*
 * For metrics.fcgi: like ledger_stats, with the attempts summed, but
 * reading only the rows not done (the done ones are counted by
 * triggers), so it stays fast on a ledger of millions of rows.  For
 * done rows, oldest and attempts are 0.
 */
int		 ledger_gauges(struct ledger *,
		    int (*fn)(void *, const struct ledger_count *), void *arg,
		    char *err, size_t errlen);

/*
 * For webhookctl queue purge: deletes the done deliveries of endpoint
 * (all when NULL) finished before before_ms; their ids stop
 * deduplicating.  Sets *count; returns 0, or -1 with a reason in err.
 */
int		 ledger_purge_done(struct ledger *, const char *endpoint,
		    long long before_ms, long long *count, char *err,
		    size_t errlen);

/*
 * The database's size in bytes and how much of it is free pages, which
 * new rows reuse before the file grows.  0 or -1.
 */
int		 ledger_space(struct ledger *, long long *bytes,
		    long long *free_bytes);

/* The layout version (PRAGMA user_version) this program writes. */
int		 ledger_layout(void);

/*
 * A delivery of the past, as the worker and retention left it: done or
 * dead, body NULL once pruned.  For ledger_fill().
 */
struct ledger_old {
	struct ledger_new	 d;		/* body NULL: pruned */
	const char		*state;		/* "done" or "dead" */
	long			 attempts;
	long long		 finished_at;	/* Unix ms */
	int			 last_exit;
	const char		*last_error;	/* or NULL */
};

/*
 * For measuring only (tests/helpers/ledger-fill): appends made-up
 * history to a ledger nobody else has open, as fast as SQLite goes:
 * no journal and no sync while loading, done_counts recounted at the
 * end.  Into an empty ledger, the indexes and triggers are dropped
 * meanwhile and made again at the end; into a full one the rows go
 * through them, as over a ledger's life.  Calls
 * next(arg, row) until it returns 0 (-1: stop, an error).  A crash
 * meanwhile leaves a corrupt file: load into a temporary name.
 * Returns the rows added, or -1 with a reason in err.
 */
long long	 ledger_fill(struct ledger *,
		    int (*next)(void *, struct ledger_old *), void *arg,
		    char *err, size_t errlen);

#endif /* LEDGER_H */
