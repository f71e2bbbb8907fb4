/*
 * store: the SQLite ledger or a JetStream stream behind one interface
 * (see store.h).  Nothing here knows either library: ledger.c and
 * jetstream.c do.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "defaults.h"
#include "jetstream.h"
#include "ledger.h"
#include "log.h"
#include "store.h"

struct store {
	char			 path[PATH_MAX];	/* SQLite */
	int			 flags;
	long			 timeout_ms;
	struct ledger		*ledger;
	struct jetstream	*js;			/* NATS */
	const struct endpoint	*ep;		/* NATS handler: to reconnect */
	const char		*client;
	long long		 lease_ms;
	int			 slots;			/* worker's `workers` */
	long long		 version;		/* for data_version */
	char			 earlier[256];	/* NATS: replay of */
	char			 name[PATH_MAX + 32];
};

/* How long an idle NATS worker's fetch waits for a message. */
#define STORE_FETCH_MS	50

int
store_is_nats(const struct endpoint *ep)
{
	return ep->store != NULL && strcmp(ep->store, "nats") == 0;
}

int
store_load_nats(char *err, size_t errlen)
{
	return jetstream_load(err, errlen);
}

/* The jetstream configuration of an endpoint's [global] keys. */
static void
nats_conf(const struct endpoint *ep, const char *client,
    struct jetstream_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->urls = ep->nats_url;
	c->stream = ep->nats_stream;
	c->replicas = ep->nats_replicas;
	c->dedupe_window = ep->dedupe_window;
	c->creds = ep->nats_creds;
	c->user = ep->nats_user;
	c->password_file = ep->nats_password_file;
	c->tls_ca = ep->nats_tls_ca;
	c->tls_cert = ep->nats_tls_cert;
	c->tls_key = ep->nats_tls_key;
	c->name = client;
}

struct store *
store_open(const struct endpoint *ep, const char *client, char *err,
    size_t errlen)
{
	struct jetstream_conf	 c;
	struct store		*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_is_nats(ep)) {
		nats_conf(ep, client, &c);
		if ((st->js = jetstream_open(&c, err, errlen)) == NULL)
			goto fail;
		st->ep = ep;
		st->client = client;
		return st;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/webhooks.db",
	    ep->state_dir) >= sizeof(st->path)) {
		snprintf(err, errlen, "state_dir too long");
		goto fail;
	}
	/* Group commit and checkpoints between requests: see ledger.c. */
	st->flags = LEDGER_DEFER | (ep->durability == DURABILITY_FULL ?
	    LEDGER_FULL | LEDGER_GROUP : 0);
	st->timeout_ms = ep->db_timeout;
	if ((st->ledger = ledger_open(st->path, st->flags, st->timeout_ms,
	    err, errlen)) == NULL)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

int
store_check(const struct endpoint *ep, char *err, size_t errlen)
{
	struct jetstream_conf	 c;
	struct jetstream	*js;
	int			 rc;

	if (!store_is_nats(ep))
		return 0;
	nats_conf(ep, "webhookctl check-config", &c);
	if ((js = jetstream_open(&c, err, errlen)) == NULL)
		return -1;
	switch (jetstream_check(js, 0, err, errlen)) {
	case JETSTREAM_OK:
		rc = 0;
		break;
	case JETSTREAM_MISSING:
		rc = 2;
		break;
	case JETSTREAM_MISMATCH:
		rc = 1;
		break;
	default:
		jetstream_explain(js, err, errlen);
		rc = -1;
		break;
	}
	jetstream_close(js);
	return rc;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	ledger_close(st->ledger);
	jetstream_close(st->js);
	free(st);
}

enum ledger_result
store_insert(struct store *st, const struct ledger_new *n, long long *rowid,
    char *err, size_t errlen)
{
	struct jetstream_conf	 c;
	enum ledger_result	 rc;

	*rowid = 0;
	if (st->ep != NULL) {
		/*
		 * nats.c closes for good after the same authorization error
		 * twice (the servers' password changed): a new connection
		 * reads nats_password_file again, as SQLite is reopened.
		 */
		if (jetstream_closed(st->js)) {
			jetstream_close(st->js);
			st->js = NULL;
		}
		if (st->js == NULL) {
			nats_conf(st->ep, st->client, &c);
			if ((st->js = jetstream_open(&c, err, errlen)) == NULL)
				return LEDGER_ERROR;
		}
		switch (jetstream_publish(st->js, n, DEF_NATS_BUDGET_MS,
		    st->earlier, sizeof(st->earlier), err, errlen)) {
		case JETSTREAM_QUEUED:
			return LEDGER_INSERTED;
		case JETSTREAM_DUPLICATE:
			return LEDGER_DUPLICATE;
		case JETSTREAM_FAILED:
			jetstream_explain(st->js, err, errlen);
			return LEDGER_ERROR;
		}
		return LEDGER_ERROR;
	}
	if (st->ledger == NULL && (st->ledger = ledger_open(st->path,
	    st->flags, st->timeout_ms, err, errlen)) == NULL)
		return LEDGER_ERROR;
	rc = ledger_insert(st->ledger, n, rowid, err, errlen);
	if (rc == LEDGER_ERROR) {
		/* A broken connection is reopened on the next request. */
		ledger_close(st->ledger);
		st->ledger = NULL;
	}
	return rc;
}

int
store_earlier(struct store *st, const struct ledger_new *n, int *same_id,
    char *out, size_t outlen)
{
	if (st->ledger != NULL)
		return ledger_earlier(st->ledger, n, same_id, out, outlen);
	/* NATS: the claim on the signed bytes named another id, or not. */
	*same_id = st->earlier[0] == '\0';
	snprintf(out, outlen, "%s", *same_id ? n->delivery_id : st->earlier);
	return 0;
}

int
store_forget(struct store *st, long long rowid)
{
	/* A stream keeps what a quorum acknowledged. */
	if (st->ledger == NULL || rowid == 0)
		return -1;
	return ledger_forget(st->ledger, rowid);
}

void
store_one_request(struct store *st)
{
	if (st != NULL && st->ledger != NULL)
		ledger_one_request(st->ledger);
}

void
store_idle(struct store *st)
{
	if (st != NULL && st->ledger != NULL)
		ledger_idle(st->ledger);
}

/* ---- the worker's side ------------------------------------------------ */

struct store *
store_open_worker(const struct endpoint *g, long long lease_ms, char *err,
    size_t errlen)
{
	struct jetstream_conf	 c;
	struct store		*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->lease_ms = lease_ms;
	if (store_is_nats(g)) {
		nats_conf(g, "webhook-worker", &c);
		if ((st->js = jetstream_open(&c, err, errlen)) == NULL)
			goto fail;
		snprintf(st->name, sizeof(st->name), "NATS stream '%s'",
		    g->nats_stream);
		/* A cluster not up yet is retried by store_claim(). */
		st->slots = (int)g->workers;
		if (jetstream_consume(st->js, lease_ms, st->slots, err,
		    errlen) == -1) {
			jetstream_explain(st->js, err, errlen);
			log_warnx("%s; retrying", err);
		}
		return st;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/webhooks.db",
	    g->state_dir) >= sizeof(st->path)) {
		snprintf(err, errlen, "state_dir too long");
		goto fail;
	}
	snprintf(st->name, sizeof(st->name), "ledger '%s'", st->path);
	/*
	 * The worker's own commits (claims, outcomes) are not synced one
	 * by one: a power cut can only take back its latest changes, and
	 * then a delivery runs again, as at-least-once allows.  What a
	 * handler acknowledged was synced by the handler.
	 */
	if ((st->ledger = ledger_open(st->path, 0, g->db_timeout, err,
	    errlen)) == NULL)
		goto fail;
	return st;
fail:
	free(st);
	return NULL;
}

const char *
store_name(const struct store *st)
{
	return st->name;
}

int
store_claim(struct store *st, long long now_ms, long long lease_ms,
    const char *owner, struct ledger_job *job, char *err, size_t errlen)
{
	int	 rc;

	if (st->js == NULL)
		return ledger_claim(st->ledger, now_ms, lease_ms, owner, job,
		    err, errlen);
	if (jetstream_consume(st->js, st->lease_ms, st->slots, err,
	    errlen) == -1 || (rc = jetstream_claim(st->js, now_ms,
	    STORE_FETCH_MS, owner, job, err, errlen)) == -1) {
		jetstream_explain(st->js, err, errlen);
		return -1;
	}
	return rc;
}

int
store_finish(struct store *st, long long rowid, const char *owner,
    const struct ledger_outcome *o, char *err, size_t errlen)
{
	struct timespec	 ts;

	if (st->js == NULL)
		return ledger_finish(st->ledger, rowid, owner, o, err, errlen);
	clock_gettime(CLOCK_REALTIME, &ts);
	return jetstream_finish(st->js, rowid, o, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, err, errlen);
}

int
store_unclaim(struct store *st, long long rowid, const char *owner,
    char *err, size_t errlen)
{
	if (st->js == NULL)
		return ledger_unclaim(st->ledger, rowid, owner, err, errlen);
	return jetstream_unclaim(st->js, rowid, err, errlen);
}

int
store_next_due(struct store *st, long long *when_ms)
{
	if (st->js == NULL)
		return ledger_next_due(st->ledger, when_ms);
	/* The server holds what is due: ask again at the next tick. */
	*when_ms = -1;
	return 0;
}

int
store_data_version(struct store *st, long long *version)
{
	if (st->js == NULL)
		return ledger_data_version(st->ledger, version);
	/* Always "changed": every idle tick fetches (a short pull). */
	*version = ++st->version;
	return 0;
}

int
store_prune(struct store *st, long long now_ms, long long keep_done_ms,
    long long dedupe_window_ms, long long *pruned, long long *deleted,
    char *err, size_t errlen)
{
	if (st->js == NULL)
		return ledger_prune(st->ledger, now_ms, keep_done_ms,
		    dedupe_window_ms, pruned, deleted, err, errlen);
	/* The stream's MaxAge (dedupe_window) removes old deliveries. */
	*pruned = *deleted = 0;
	return 0;
}

/* ---- webhookctl's side -------------------------------------------------- */

int
store_open_ctl(const struct endpoint *ep, struct store **out, char *err,
    size_t errlen)
{
	struct jetstream_conf	 c;
	struct store		*st;
	struct stat		 sb;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_is_nats(ep)) {
		nats_conf(ep, "webhookctl", &c);
		if ((st->js = jetstream_open(&c, err, errlen)) == NULL)
			goto fail;
		*out = st;
		return 1;
	}
	if ((size_t)snprintf(st->path, sizeof(st->path), "%s/webhooks.db",
	    ep->state_dir) >= sizeof(st->path)) {
		snprintf(err, errlen, "state_dir '%s' is too long",
		    ep->state_dir);
		goto fail;
	}
	if (stat(st->path, &sb) == -1) {
		if (errno == ENOENT) {
			free(st);
			return 0;
		}
		snprintf(err, errlen, "cannot use '%s': %s", st->path,
		    strerror(errno));
		goto fail;
	}
	if ((st->ledger = ledger_open(st->path, 1, ep->db_timeout, err,
	    errlen)) == NULL)
		goto fail;
	*out = st;
	return 1;
fail:
	free(st);
	return -1;
}

int
store_list(struct store *st, const struct ledger_query *q,
    int (*fn)(void *, const struct ledger_row *), void *arg, char *err,
    size_t errlen)
{
	if (st->js != NULL)
		return jetstream_list(st->js, q, fn, arg, err, errlen);
	return ledger_list(st->ledger, q, fn, arg, err, errlen);
}

int
store_stats(struct store *st, int (*fn)(void *, const struct ledger_count *),
    void *arg, char *err, size_t errlen)
{
	if (st->js != NULL)
		return jetstream_stats(st->js, fn, arg, err, errlen);
	return ledger_stats(st->ledger, fn, arg, err, errlen);
}

enum ledger_requeue
store_requeue(struct store *st, const char *endpoint, const char *delivery_id,
    long long now_ms, char *err, size_t errlen)
{
	if (st->js == NULL)
		return ledger_requeue(st->ledger, endpoint, delivery_id, now_ms,
		    err, errlen);
	switch (jetstream_requeue(st->js, endpoint, delivery_id, now_ms, err,
	    errlen)) {
	case 1:
		return LEDGER_REQUEUED;
	case 0:
		return LEDGER_REQUEUE_UNKNOWN;
	}
	return LEDGER_REQUEUE_ERROR;
}

int
store_requeue_dead(struct store *st, const char *endpoint, long long now_ms,
    long long *count, char *err, size_t errlen)
{
	if (st->js != NULL)
		return jetstream_requeue_dead(st->js, endpoint, now_ms, count,
		    err, errlen);
	return ledger_requeue_dead(st->ledger, endpoint, now_ms, count, err,
	    errlen);
}

int
store_purge_done(struct store *st, const char *endpoint, long long before_ms,
    long long *count, char *err, size_t errlen)
{
	if (st->js == NULL)
		return ledger_purge_done(st->ledger, endpoint, before_ms, count,
		    err, errlen);
	*count = 0;
	return 0;
}
