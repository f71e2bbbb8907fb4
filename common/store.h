/*
 * store: where a handler puts the deliveries it accepts, whichever
 * store = says: the local SQLite ledger (the default) or a NATS
 * JetStream cluster shared by several hosts.  serve.c calls only this.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include "ledger.h"

struct store;
struct endpoint;

/*
 * Opens the store an endpoint is configured with: <state_dir>/webhooks.db
 * with group commit (durability = full) and deferred checkpoints, or a
 * connection to nats_url that reconnects by itself.  Returns NULL with a
 * reason in err.  Caller closes with store_close().
 */
struct store	*store_open(const struct endpoint *, const char *client,
		    char *err, size_t errlen);
void		 store_close(struct store *);

/*
 * For check-config: is the store reachable and configured as the
 * endpoint says?  Changes nothing.  Returns 0; 1 with the difference
 * in err; 2 when the stream is not made yet; -1 when it cannot tell
 * (err says why).
 */
int		 store_check(const struct endpoint *, char *err, size_t errlen);

/* Is the endpoint's store a NATS cluster (handlers then need network)? */
int		 store_is_nats(const struct endpoint *);

/*
 * Stores a delivery, as ledger_insert() does.  With NATS, inserted means
 * a quorum of servers acknowledged it; *rowid is then the stream
 * sequence's stand-in 0, since nothing can be taken back.  LEDGER_ERROR
 * means not stored (or, with NATS, an acknowledgement lost: a resend is
 * then a duplicate); the caller answers 503.  A broken SQLite connection
 * is reopened by the next call.
 */
enum ledger_result store_insert(struct store *, const struct ledger_new *,
		    long long *rowid, char *err, size_t errlen);

/*
 * After LEDGER_DUPLICATE, as ledger_earlier(): which delivery this one
 * repeats.  A stream deduplicates by id only, so with NATS that is
 * always the same id (*same_id = 1).  Returns 0 or -1.
 */
int		 store_earlier(struct store *, const struct ledger_new *,
		    int *same_id, char *out, size_t outlen);

/* Takes back what store_insert() just made, when it can; 0 or -1. */
int		 store_forget(struct store *, long long rowid);

/* Work between requests (SQLite checkpoints). */
void		 store_idle(struct store *);

#endif /* STORE_H */
