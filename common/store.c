/*
 * store: the SQLite ledger or a JetStream stream behind one interface
 * (see store.h).  Nothing here knows either library: ledger.c and
 * jetstream.c do.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "defaults.h"
#include "jetstream.h"
#include "ledger.h"
#include "store.h"

struct store {
	char			 path[PATH_MAX];	/* SQLite */
	int			 flags;
	long			 timeout_ms;
	struct ledger		*ledger;
	struct jetstream	*js;			/* NATS */
};

int
store_is_nats(const struct endpoint *ep)
{
	return ep->store != NULL && strcmp(ep->store, "nats") == 0;
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
	enum ledger_result	 rc;

	*rowid = 0;
	if (st->js != NULL) {
		switch (jetstream_publish(st->js, n, DEF_NATS_BUDGET_MS, err,
		    errlen)) {
		case JETSTREAM_QUEUED:
			return LEDGER_INSERTED;
		case JETSTREAM_DUPLICATE:
			return LEDGER_DUPLICATE;
		case JETSTREAM_FAILED:
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
	*same_id = 1;
	snprintf(out, outlen, "%s", n->delivery_id);
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
store_idle(struct store *st)
{
	if (st != NULL && st->ledger != NULL)
		ledger_idle(st->ledger);
}
