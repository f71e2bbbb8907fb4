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
 * connection to nats_url that reconnects by itself (and is made again
 * when nats.c gave it up, so the endpoint is borrowed for the store's
 * life).  Returns NULL with a reason in err.  Caller closes with
 * store_close().
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
/* Before the sandbox, with store = nats: see jetstream_load(). */
int		 store_load_nats(char *err, size_t errlen);

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
/* The process serves one request (CGI): see ledger_one_request(). */
void		 store_one_request(struct store *);

/*
 * The worker's side, with the ledger's meaning (see ledger.h); with NATS
 * the lease is the consumer's AckWait, owner is not needed (the server
 * knows whose a message is) and a row id is a stream sequence.
 */
struct store	*store_open_worker(const struct endpoint *global,
		    long long lease_ms, char *err, size_t errlen);
/* What the worker reads from, for its start-up note. */
const char	*store_name(const struct store *);
int		 store_claim(struct store *, long long now_ms,
		    long long lease_ms, const char *owner,
		    struct ledger_job *job, char *err, size_t errlen);
int		 store_finish(struct store *, long long rowid,
		    const char *owner, const struct ledger_outcome *,
		    char *err, size_t errlen);
int		 store_unclaim(struct store *, long long rowid,
		    const char *owner, char *err, size_t errlen);
int		 store_next_due(struct store *, long long *when_ms);
int		 store_data_version(struct store *, long long *version);
int		 store_prune(struct store *, long long now_ms,
		    long long keep_done_ms, long long dedupe_window_ms,
		    long long *pruned, long long *deleted, char *err,
		    size_t errlen);

/*
 * webhookctl's side.  store_open_ctl() opens what an endpoint uses: the
 * ledger when its database exists (else *st = NULL and 0), or the NATS
 * stream.  Returns 1, 0, or -1 with err set.  The rest mean what their
 * ledger_* namesakes do; with NATS see jetstream.h for what a state
 * means, purge does nothing (deliveries leave the stream after
 * dedupe_window) and only dead deliveries can be retried.
 */
int		 store_open_ctl(const struct endpoint *, struct store **st,
		    char *err, size_t errlen);
int		 store_list(struct store *, const struct ledger_query *,
		    int (*fn)(void *, const struct ledger_row *), void *arg,
		    char *err, size_t errlen);
int		 store_stats(struct store *,
		    int (*fn)(void *, const struct ledger_count *), void *arg,
		    char *err, size_t errlen);
enum ledger_requeue store_requeue(struct store *, const char *endpoint,
		    const char *delivery_id, long long now_ms, char *err,
		    size_t errlen);
int		 store_requeue_dead(struct store *, const char *endpoint,
		    long long now_ms, long long *count, char *err,
		    size_t errlen);
int		 store_purge_done(struct store *, const char *endpoint,
		    long long before_ms, long long *count, char *err,
		    size_t errlen);

#endif /* STORE_H */
