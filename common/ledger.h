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
 *   headers (JSON), body (exact bytes; NULL once pruned), body_sha256.
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
};

enum ledger_result {
	LEDGER_INSERTED,
	LEDGER_DUPLICATE,
	LEDGER_ERROR,		/* nothing was stored */
};

/*
 * Opens (creating if needed) the database at path.  durable selects
 * synchronous=FULL, so a commit is on disk before it returns; otherwise
 * NORMAL.  timeout_ms bounds waiting on another writer's lock.  Returns
 * NULL with a reason in err.  Caller closes with ledger_close().
 */
struct ledger	*ledger_open(const char *path, int durable, long timeout_ms,
		    char *err, size_t errlen);
void		 ledger_close(struct ledger *);

/*
 * Stores a delivery as 'queued'.  Returns LEDGER_INSERTED with its row id
 * in *rowid, LEDGER_DUPLICATE, or LEDGER_ERROR with a reason in err.
 */
enum ledger_result ledger_insert(struct ledger *, const struct ledger_new *,
		    long long *rowid, char *err, size_t errlen);

/*
 * Removes a row just inserted, when the acknowledgement cannot be made
 * (the log write failed): the sender retries and nothing is half-kept.
 * Returns 0 or -1.
 */
int		 ledger_forget(struct ledger *, long long rowid);

#endif /* LEDGER_H */
