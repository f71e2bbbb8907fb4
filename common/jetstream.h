/*
 * jetstream: the only user of nats.c.  With store = nats, deliveries go
 * to a NATS JetStream stream shared by every receiver host and worker
 * instead of the local SQLite ledger.
 *
 * Stream <stream> (file storage, nats_replicas copies, limits retention)
 * takes one subject per delivery, <stream>.d.<sha256 of "endpoint/id">,
 * with MaxMsgsPerSubject = 1, DiscardNew and DiscardNewPerSubject, and
 * MaxAge = dedupe_window: a second publish of the same delivery is
 * refused by the stream for as long as the first is kept, on any host,
 * across restarts and leader changes.  (The Nats-Msg-Id window alone
 * forgets ids once their message is gone or the leader changes, see
 * /work/shared/JETSTREAM.md; it is set too, for the quick "Duplicate"
 * answer to a resend within two minutes.)  Stream <stream>_signed, made
 * the same way, keeps one claim per endpoint and signed bytes,
 * <stream>_signed.<sha256 of "endpoint/signed_sha256"> = the delivery id
 * that has them, so that a replay under a new id is a duplicate too, as
 * with SQLite's signed_sha256.  Nothing is ever deleted from
 * the stream: what the worker did is tracked by its consumer, and what
 * died by records in <stream>_dead (see the worker's functions below).
 *
 * Stream <stream>_run keeps each delivery's run record (the last one of
 * <stream>_run.<seq>, for dedupe_window): which worker runs it and till
 * when, or that it is done; a worker runs a delivery only under a
 * record it wrote with compare-and-set (see jetstream.c).
 *
 * Message: headers Webhook-Endpoint, Webhook-Id, Webhook-Provider,
 * Webhook-Event, Webhook-Received-At (Unix ms), Webhook-Body-Sha256;
 * payload the request headers as one line of JSON, "\n", then the
 * body's exact bytes.
 */
#ifndef JETSTREAM_H
#define JETSTREAM_H

#include <stddef.h>

struct jetstream;
struct ledger_new;

/* How to reach the cluster.  Borrowed for jetstream_open(). */
struct jetstream_conf {
	const char	*urls;		/* comma-separated */
	const char	*stream;
	long		 replicas;
	long		 dedupe_window;	/* seconds: the stream's MaxAge */
	const char	*creds;		/* or NULL */
	const char	*user;		/* or NULL */
	const char	*password_file;	/* with user */
	const char	*tls_ca;	/* or NULL */
	const char	*tls_cert;	/* with tls_key, or NULL */
	const char	*tls_key;
	const char	*name;		/* client name the servers show */
};

/*
 * Connects to the cluster.  No server answering is not an error: the
 * connection keeps trying in the background (as it does after losing a
 * server), and calls fail until it is up.  Returns NULL with a reason in
 * err for a bad configuration (URL, credentials, TLS files).  Caller
 * closes with jetstream_close().
 */
/*
 * Loads the NATS client library (libnats, dlopen), once; jetstream_open()
 * does it too.  A sandboxed program calls it before sandbox_enter(),
 * which forbids mapping code.  0, or -1 with the reason in err.
 */
int		 jetstream_load(char *err, size_t errlen);
struct jetstream *jetstream_open(const struct jetstream_conf *, char *err,
		    size_t errlen);
void		 jetstream_close(struct jetstream *);

enum jetstream_check {
	JETSTREAM_OK,		/* the stream is as configured */
	JETSTREAM_MISSING,	/* not there, and create was 0 */
	JETSTREAM_MISMATCH,	/* there, configured otherwise: err says how */
	JETSTREAM_ERROR,	/* cannot tell (no server, no quorum, ...) */
};

/*
 * Looks at the stream (and the dead-letter and claims streams); with
 * create, makes
 * missing ones with the configured replicas.  A stream configured
 * otherwise is never changed.  Reasons go to err.
 */
enum jetstream_check jetstream_check(struct jetstream *, int create,
		    char *err, size_t errlen);

/*
 * When the connection is down, appends to err what the servers last
 * said about it ("Authorization Violation", a TLS handshake error):
 * nats.c connects in the background, so a request made meanwhile only
 * fails with "Connection Closed" or a timeout.  Nothing when connected.
 */
void		 jetstream_explain(struct jetstream *, char *err,
		    size_t errlen);

/*
 * True when nats.c gave up the connection for good (the same
 * authorization error twice in a row): only a new jetstream_open(),
 * which reads nats_password_file again, can connect.
 */
int		 jetstream_closed(struct jetstream *);

enum jetstream_result {
	JETSTREAM_QUEUED,
	JETSTREAM_DUPLICATE,
	JETSTREAM_FAILED,	/* no PubAck within the budget: not queued */
};

/*
 * Publishes a delivery and waits for its PubAck (a quorum of servers
 * holds it), retrying through leader elections and reconnects for at
 * most budget_ms.  JETSTREAM_FAILED sets err; the delivery may still
 * have been stored if its PubAck alone was lost, in which case a resend
 * is a duplicate.  A delivery with signed_sha256 first claims its signed
 * bytes in <stream>_signed (see jetstream.c): bytes claimed by another
 * delivery id give JETSTREAM_DUPLICATE with that id in earlier (else
 * earlier is "").
 */
enum jetstream_result jetstream_publish(struct jetstream *,
		    const struct ledger_new *, long budget_ms, char *earlier,
		    size_t earlierlen, char *err, size_t errlen);

/*
 * The worker's side: one durable pull consumer, "workers", shared by
 * every worker on every host; the server hands each message to one of
 * them at a time.  Its AckWait is the lease: a worker that dies leaves
 * its message to be delivered again to another once it expires.  The
 * worker decides about retries (NakWithDelay with its own backoff) and
 * dead letters (a record in <stream>_dead, then Term), so the
 * consumer's MaxDeliver is unlimited.
 */
struct ledger_job;
struct ledger_outcome;

/*
 * Binds to (making if missing) the consumer with AckWait = lease_ms;
 * slots is how many commands the worker runs at once (a pull fetches at
 * most the free ones).  Returns 0, or -1 with err set (no cluster yet:
 * try again later).
 */
int		 jetstream_consume(struct jetstream *, long long lease_ms,
		    int slots, char *err, size_t errlen);

/*
 * Waits at most wait_ms for a delivery (now_ms: the wall clock at the
 * call, for the lease), and takes its run record for
 * owner (<stream>_run.<seq>, compare-and-set; see jetstream.c): a
 * delivery another worker runs, or that is done or dead already, is
 * settled here and never returned.  Returns 1 with job filled (rowid is
 * the stream sequence, attempt the runs started, from the record), 0
 * when none came, or -1 with err set (then nothing runs).  The message
 * stays ours until jetstream_finish() or jetstream_unclaim() names its
 * rowid.
 */
int		 jetstream_claim(struct jetstream *, long long now_ms,
		    long wait_ms, const char *owner, struct ledger_job *job,
		    char *err, size_t errlen);

/* Done: run record "done", Ack; queued: "wait", NakWithDelay until
 * at_ms; dead: dead record, "dead", Term.
 * Returns 0, 1 when the message is not ours, or -1 with err set. */
int		 jetstream_finish(struct jetstream *, long long rowid,
		    const struct ledger_outcome *, long long now_ms, char *err,
		    size_t errlen);
/* Gives a message back at once (shutdown, a failed fork). */
int		 jetstream_unclaim(struct jetstream *, long long rowid,
		    char *err, size_t errlen);

/*
 * webhookctl's view (queue list/stats/show/retry), with the ledger's
 * meanings (ledger.h).  A delivery's state comes from the consumer and
 * the dead stream: dead when <stream>_dead has it, done when the
 * consumer's ack floor has passed it, else queued (waiting, running or
 * acknowledged out of order).  Rows are read newest first, one request
 * each, at most JETSTREAM_SCAN of them per call.
 */
#define JETSTREAM_SCAN	100000
struct ledger_query;
struct ledger_row;
struct ledger_count;

int		 jetstream_list(struct jetstream *, const struct ledger_query *,
		    int (*fn)(void *, const struct ledger_row *), void *arg,
		    char *err, size_t errlen);
/* One count per state, for endpoint "*" (the stream does not split). */
int		 jetstream_stats(struct jetstream *,
		    int (*fn)(void *, const struct ledger_count *), void *arg,
		    char *err, size_t errlen);
/*
 * Runs a dead delivery again: a copy of it goes to the stream under a
 * subject of its own (<stream>.r.<seq>.<now>) and its dead record goes.
 * endpoint NULL: any.  Returns 1 requeued, 0 no such dead delivery, or
 * -1 with err set.
 */
int		 jetstream_requeue(struct jetstream *, const char *endpoint,
		    const char *delivery_id, long long now_ms, char *err,
		    size_t errlen);
/* Every dead delivery (of endpoint, or all); sets *count.  0 or -1. */
int		 jetstream_requeue_dead(struct jetstream *, const char *endpoint,
		    long long now_ms, long long *count, char *err,
		    size_t errlen);

#endif /* JETSTREAM_H */
