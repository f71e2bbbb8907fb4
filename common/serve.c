/*
 * serve: one request through the whole pipeline (see serve.h).  Per
 * process we parse the configuration once, resolve each endpoint once,
 * and keep its log and ledger open; per request we only read, verify,
 * insert and write.  Every answer, accepted or not, leaves exactly one
 * log record, written by conclude().
 */
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "counters.h"
#include "defaults.h"
#include "dlog.h"
#include "hmac.h"
#include "json.h"
#include "bounds.h"
#include "log.h"
#include "parse.h"
#include "redact.h"
#include "respond.h"
#include "sandbox.h"
#include "serve.h"
#include "store.h"
#include "verify.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

/* An endpoint this process serves, resolved on its first request. */
struct site {
	char		 name[LIMIT_ENDPOINT_NAME + 1];
	struct endpoint	 ep;
	struct scheme	 sc;
	struct dlog	*log;
	struct store	*store;
	struct counters	*counters;	/* metrics.fcgi's numbers, or NULL */
};

/* How a request ends: status, verdict word and reason. */
struct outcome {
	int		 status;
	const char	*verdict;	/* accepted|duplicate|rejected|failed */
	struct buf	 reason;
	const char	*extra;		/* extra response header lines */
	long long	 rowid;		/* ledger row made, or 0 */
	int		 vcode;		/* verify's verdict code, or -1 */
	char		 earlier[LIMIT_ID_LEN + 1]; /* duplicate of, or "" */
};

struct server {
	const struct provider	*p;
	struct request_src	*src;
	const char		*cfg_path;
	char			*cfg_own;	/* cfg_path from a request */
	struct config		*cfg;
	struct site		 sites[LIMIT_ENDPOINTS];
	size_t			 nsites;
	struct request		 req;
	struct delivery		 d;
	struct outcome		 out;
	struct buf		 headers;	/* redacted headers JSON */
	struct buf		 record;	/* one log line */
	struct buf		 scratch;	/* response bytes */
	char			 sha256[65];
	char			 signed_sha256[65]; /* or "": unsigned */
	struct timespec		 start;
	long long		 now_ms;
};

static long long
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
elapsed_us(const struct timespec *start)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)((ts.tv_sec - start->tv_sec) * 1000000 +
	    (ts.tv_nsec - start->tv_nsec) / 1000);
}

const struct json_doc *
delivery_json(struct delivery *d)
{
	if (!d->doc_tried) {
		d->doc_tried = 1;
		d->doc = json_parse(d->req->body.data != NULL ?
		    d->req->body.data : "", d->req->body.len, d->doc_err,
		    sizeof(d->doc_err));
	}
	return d->doc;
}

static void
hex_encode(const unsigned char *p, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

int
delivery_digest_id(struct delivery *d, const char *p, size_t len)
{
	unsigned char	 md[32];
	char		 hex[65];

	if (hmac_sha256(p, len, md) == -1)
		return -1;
	hex_encode(md, sizeof(md), hex);
	buf_reset(&d->id);
	return buf_adds(&d->id, hex);
}

int
delivery_echo(struct delivery *d, const char *p, size_t len)
{
	size_t	 i;

	if (len == 0 || len > LIMIT_CHALLENGE) {
		d->reason = "challenge empty or longer than LIMIT_CHALLENGE"
		    " (1024 bytes)";
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e) {
			d->reason = "challenge is not printable ASCII";
			return -1;
		}
	buf_reset(&d->hs_body);
	if (buf_add(&d->hs_body, p, len) == -1)
		return -1;
	d->handshake = 1;
	d->hs_status = 200;
	d->hs_type = "text/plain";
	d->hs_extra = "X-Content-Type-Options: nosniff\r\n";
	return 0;
}

int
delivery_mac_hex(const struct delivery *d, const char *p, size_t len,
    struct buf *out)
{
	struct hmac_part	 part = { p, len };
	unsigned char		 mac[32];
	char			 hex[65];
	int			 rc;

	if (d->secret == NULL || hmac_compute(HMAC_SHA256, d->secret->data,
	    d->secret->len, &part, 1, mac) == -1)
		return -1;
	hex_encode(mac, sizeof(mac), hex);
	rc = buf_adds(out, hex);
	hmac_cleanse(mac, sizeof(mac));
	return rc;
}

static void
outcome_set(struct outcome *o, int status, const char *verdict,
    const char *reason)
{
	o->status = status;
	o->verdict = verdict;
	buf_reset(&o->reason);
	if (reason != NULL)
		buf_adds(&o->reason, reason);
}

/* Finds or resolves an endpoint; NULL with the reason in why. */
static struct site *
site_get(struct server *s, const char *name, struct buf *why)
{
	struct site	*site;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < s->nsites; i++)
		if (strcmp(s->sites[i].name, name) == 0)
			return &s->sites[i];
	if (s->nsites == LIMIT_ENDPOINTS) {
		buf_adds(why, "too many endpoints in one process");
		return NULL;
	}
	site = &s->sites[s->nsites];
	memset(site, 0, sizeof(*site));
	if (config_endpoint(s->cfg, name, &site->ep, why) == -1)
		return NULL;
	if (site->ep.provider != NULL &&
	    strcmp(site->ep.provider, s->p->name) != 0) {
		buf_printf(why, "endpoint '%s' is for provider '%s', this"
		    " handler serves '%s'", name, site->ep.provider,
		    s->p->name);
		goto fail;
	}
	if (verify_scheme(s->p, &site->ep, &site->sc, err,
	    sizeof(err)) == -1) {
		buf_printf(why, "endpoint '%s': %s", name, err);
		goto fail;
	}
	if ((site->log = dlog_open(site->ep.log_dir, name,
	    site->ep.log_max_size, site->ep.log_keep, err,
	    sizeof(err))) == NULL) {
		buf_printf(why, "endpoint '%s': %s", name, err);
		goto fail;
	}
	/* Without the counter file the receiver still receives. */
	if ((site->counters = counters_open(site->ep.state_dir, 1, err,
	    sizeof(err))) == NULL)
		log_warnx("endpoint '%s': %s", name, err);
	snprintf(site->name, sizeof(site->name), "%s", name);
	s->nsites++;
	return site;
fail:
	config_endpoint_release(&site->ep);
	return NULL;
}

/* The store is opened on first use and again after a failure. */
static struct store *
site_store(struct server *s, struct site *site, struct buf *why)
{
	char	 err[256];

	if (site->store != NULL)
		return site->store;
	if ((site->store = store_open(&site->ep, s->p->name, err,
	    sizeof(err))) == NULL)
		buf_adds(why, err);
	else if (request_is_cgi(s->src))
		store_one_request(site->store);
	return site->store;
}

/*
 * allow_from judges the peer, or behind a trusted proxy the client its
 * X-Forwarded-For names.  Returns 0, or -1 with the outcome set.
 */
static int
check_source(struct server *s, const struct endpoint *ep)
{
	const struct header	*h;
	const char		*client = s->req.remote_addr;
	char			 named[INET6_ADDRSTRLEN];
	size_t			 i;

	if (ep->nallow_from == 0)
		return 0;
	if ((h = request_header(&s->req, "X-Forwarded-For")) != NULL &&
	    verify_trusted_proxy(&s->req, ep)) {
		if (parse_forwarded_for(h->value, h->len, ep->trusted_proxies,
		    ep->ntrusted_proxies, named, sizeof(named)) == -1) {
			outcome_set(&s->out, 403, "rejected", "source address"
			    " unknown: X-Forwarded-For from a trusted proxy"
			    " is not a list of addresses");
			return -1;
		}
		client = named;
	}
	for (i = 0; i < ep->nallow_from; i++)
		if (parse_net_contains(&ep->allow_from[i], client))
			return 0;
	outcome_set(&s->out, 403, "rejected", "source address not in"
	    " allow_from: ");
	buf_adds(&s->out.reason, client);
	if (client == named)
		buf_adds(&s->out.reason, " (X-Forwarded-For)");
	return -1;
}

/* A provider's HEAD check of the URL (Trello): an empty 200. */
static void
answer_head(struct server *s)
{
	s->d.handshake = 1;
	s->d.hs_status = 200;
	s->d.hs_type = "text/plain";
	outcome_set(&s->out, 200, "accepted", "HEAD check of the URL"
	    " answered, not queued");
}

/* A GET carrying the provider's challenge parameter. */
static int
is_get_handshake(struct server *s)
{
	const struct get_handshake	*g = &s->p->get;
	struct buf			 v;
	int				 rc;

	if (g->challenge == NULL || strcmp(s->req.method, "GET") != 0)
		return 0;
	buf_init(&v, LIMIT_CHALLENGE + 1);
	rc = parse_query_field(s->req.uri, strlen(s->req.uri), g->challenge,
	    &v);
	buf_release(&v);
	/* Present, even when badly encoded: answer_get says why. */
	return rc != 0;
}

/* Constant-time: both sides are hashed to equal-length digests. */
static int
token_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char	 da[32], db[32];

	if (hmac_sha256(a, alen, da) == -1 || hmac_sha256(b, blen, db) == -1)
		return 0;
	return hmac_equal(da, db, sizeof(da));
}

/*
 * Answers a GET handshake (Meta, Dropbox): the mode and the verify
 * token when the provider sends them, then the challenge echoed as
 * text/plain.  Nothing is stored or queued; the log records it.
 */
static void
answer_get(struct server *s, struct site *site)
{
	const struct get_handshake	*g = &s->p->get;
	const struct endpoint		*ep = &site->ep;
	const char			*uri = s->req.uri;
	struct delivery			*d = &s->d;
	struct buf			 v;
	size_t				 ulen = strlen(uri);

	buf_init(&v, LIMIT_CHALLENGE + 1);
	if (g->mode != NULL && (parse_query_field(uri, ulen, g->mode,
	    &v) != 1 || strcmp(v.data, g->mode_value) != 0)) {
		outcome_set(&s->out, 403, "rejected", NULL);
		buf_printf(&s->out.reason, "handshake refused: %s is not"
		    " '%s'", g->mode, g->mode_value);
		goto out;
	}
	buf_reset(&v);
	if (g->token != NULL && ep->verify_token == NULL) {
		outcome_set(&s->out, 503, "failed", "endpoint has no"
		    " verify_token configured");
		goto out;
	}
	if (g->token != NULL && (parse_query_field(uri, ulen, g->token,
	    &v) != 1 || !token_equal(v.data, v.len, ep->verify_token,
	    strlen(ep->verify_token)))) {
		outcome_set(&s->out, 403, "rejected", NULL);
		buf_printf(&s->out.reason, "handshake refused: %s does not"
		    " match verify_token", g->token);
		goto out;
	}
	buf_reset(&v);
	if (parse_query_field(uri, ulen, g->challenge, &v) != 1) {
		outcome_set(&s->out, 400, "rejected", NULL);
		buf_printf(&s->out.reason, "handshake refused: %s is badly"
		    " encoded or longer than %d bytes", g->challenge,
		    LIMIT_CHALLENGE);
		goto out;
	}
	if (delivery_echo(d, v.data, v.len) == -1) {
		outcome_set(&s->out, 400, "rejected", "handshake refused: ");
		buf_adds(&s->out.reason, d->reason);
		goto out;
	}
	outcome_set(&s->out, 200, "accepted", "handshake answered, not"
	    " queued");
out:
	buf_release(&v);
}

/*
 * Everything decided before the body is read.  Returns 0 to go on, or
 * -1 with the outcome set.
 */
static int
check_transport(struct server *s, struct site *site)
{
	struct request	*req = &s->req;
	struct outcome	*o = &s->out;

	if (strcmp(req->method, "POST") != 0 && !is_get_handshake(s) &&
	    !(s->p->head_ok && strcmp(req->method, "HEAD") == 0)) {
		o->extra = "Allow: POST\r\n";
		outcome_set(o, 405, "rejected", "method not allowed: only"
		    " POST is accepted");
		return -1;
	}
	if (site->ep.require_https && !verify_https(req, &site->ep)) {
		outcome_set(o, 403, "rejected", "plain HTTP refused:"
		    " require_https is set");
		return -1;
	}
	if (check_source(s, &site->ep) == -1)
		return -1;
	switch (req->problem) {
	case REQUEST_TOO_MANY_HEADERS:
		outcome_set(o, 431, "rejected", "too many headers");
		return -1;
	case REQUEST_HEADER_TOO_LARGE:
		outcome_set(o, 431, "rejected", "a header value is too large");
		return -1;
	case REQUEST_NO_LENGTH:
		outcome_set(o, 411, "rejected", "no Content-Length");
		return -1;
	case REQUEST_BAD_LENGTH:
		outcome_set(o, 400, "rejected", "Content-Length is not a"
		    " number");
		return -1;
	case REQUEST_OK:
		break;
	}
	if (req->content_length > site->ep.max_body) {
		outcome_set(o, 413, "rejected", NULL);
		buf_printf(&o->reason, "body of %lld bytes exceeds max_body"
		    " (%ld)", req->content_length, site->ep.max_body);
		return -1;
	}
	return 0;
}

/* Copies a value found for the id or event, refusing unusable ones. */
static int
take_value(struct buf *out, const char *v, size_t len)
{
	size_t	 i;

	if (len == 0 || len > LIMIT_ID_LEN || !json_utf8_valid(v, len))
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	buf_reset(out);
	return buf_add(out, v, len);
}

/*
 * Finds a value from its sources: a header, else a JSON field, else the
 * body digest when allowed.  Returns 1 found, 0 absent, -1 unusable.
 */
static int
find_value(struct delivery *d, const char *header, const char *alt,
    const char *field, int digest, struct buf *out)
{
	const struct header	*h;
	const struct json_doc	*doc;
	struct buf		 tmp;
	int			 rc;

	if ((header != NULL && (h = request_header(d->req, header)) != NULL) ||
	    (alt != NULL && (h = request_header(d->req, alt)) != NULL))
		return take_value(out, h->value, h->len) == -1 ? -1 : 1;
	if (field != NULL && (doc = delivery_json(d)) != NULL) {
		buf_init(&tmp, LIMIT_ID_LEN + 1);
		rc = json_get(doc, field, &tmp);
		if (rc == 1)
			rc = take_value(out, tmp.data, tmp.len) == -1 ? -1 : 1;
		buf_release(&tmp);
		if (rc != 0)
			return rc;
	}
	if (digest)
		return delivery_digest_id(d, d->req->body.data,
		    d->req->body.len) == -1 ? -1 : 1;
	return 0;
}

static int
identify(struct server *s, struct site *site)
{
	const struct provider	*p = s->p;
	const struct endpoint	*ep = &site->ep;
	struct delivery		*d = &s->d;
	const char		*ih, *ia = NULL, *ifd, *eh, *efd;
	int			 digest;

	/* Endpoint keys replace the provider's sources as a pair. */
	ih = ep->id_header != NULL || ep->id_field != NULL ? ep->id_header :
	    p->id.header;
	if (ep->id_header == NULL && ep->id_field == NULL)
		ia = p->id.alt_header;
	ifd = ep->id_header != NULL || ep->id_field != NULL ? ep->id_field :
	    p->id.field;
	digest = p->id.digest || (ih == NULL && ifd == NULL);
	eh = ep->event_header != NULL || ep->event_field != NULL ?
	    ep->event_header : p->event.header;
	efd = ep->event_header != NULL || ep->event_field != NULL ?
	    ep->event_field : p->event.field;
	switch (find_value(d, ih, ia, ifd, digest, &d->id)) {
	case -1:
		d->reason = "delivery id is empty, too long or not text";
		return -1;
	case 0:
		d->reason = ifd != NULL && delivery_json(d) == NULL ?
		    d->doc_err : "no delivery id in the request";
		return -1;
	}
	if (find_value(d, eh, NULL, efd, 0, &d->event) == -1) {
		d->reason = "event type is too long or not text";
		return -1;
	}
	if (p->hook != NULL && p->hook(&s->req, d) == -1) {
		if (d->reason == NULL)
			d->reason = "the body cannot be understood";
		return -1;
	}
	return 0;
}

/*
 * Says which delivery this one repeats.  The same id is a retry; the
 * same signed bytes under another id are a replay of a captured request
 * (the provider signs neither id nor time), answered the same way: 200,
 * so a genuine sender stops, and nothing queued.
 */
static void
duplicate(struct server *s, struct store *st, const struct ledger_new *n)
{
	struct outcome	*o = &s->out;
	int		 same_id = 1;

	if (store_earlier(st, n, &same_id, o->earlier,
	    sizeof(o->earlier)) == -1)
		o->earlier[0] = '\0';
	if (same_id) {
		outcome_set(o, 200, "duplicate", "delivery id seen before:"
		    " acknowledged, not queued again");
		return;
	}
	outcome_set(o, 200, "duplicate", "signed bytes seen before in"
	    " delivery '");
	buf_adds(&o->reason, o->earlier);
	buf_adds(&o->reason, "' (a replay under a new id): acknowledged,"
	    " not queued again");
}

static void
enqueue(struct server *s, struct site *site)
{
	struct ledger_new	 n;
	struct store		*st;
	char			 err[512];

	outcome_set(&s->out, 503, "failed", "store unavailable: ");
	if ((st = site_store(s, site, &s->out.reason)) == NULL)
		return;
	memset(&n, 0, sizeof(n));
	n.endpoint = site->name;
	n.delivery_id = s->d.id.data;
	n.provider = s->p->name;
	n.event = s->d.event.data != NULL ? s->d.event.data : "";
	n.received_at = s->now_ms;
	n.headers = s->headers.data;
	n.headers_len = s->headers.len;
	n.body = s->req.body.data;
	n.body_len = s->req.body.len;
	n.body_sha256 = s->sha256;
	n.signed_sha256 = s->signed_sha256[0] != '\0' ? s->signed_sha256 :
	    NULL;
	switch (store_insert(st, &n, &s->out.rowid, err, sizeof(err))) {
	case LEDGER_INSERTED:
		outcome_set(&s->out, 200, "accepted", "queued");
		break;
	case LEDGER_DUPLICATE:
		duplicate(s, st, &n);
		break;
	case LEDGER_ERROR:
		outcome_set(&s->out, 503, "failed", err);
		break;
	}
}

/*
 * The body's SHA-256, for the log and the ledger.  When verification
 * already hashed exactly the body (the signed bytes are the body alone)
 * that digest is taken: one pass over the body fewer.
 */
static void
body_digest(struct server *s, const struct verdict *v)
{
	unsigned char	 md[32];

	if (v->have_signed && v->signed_is_body)
		hex_encode(v->signed_sha256, sizeof(v->signed_sha256),
		    s->sha256);
	else if (hmac_sha256(s->req.body.data != NULL ? s->req.body.data :
	    "", s->req.body.len, md) == -1)
		s->sha256[0] = '\0';
	else
		hex_encode(md, sizeof(md), s->sha256);
}

/*
 * Writes the one log record of the request and sends the answer.  An
 * acceptance whose record cannot be written is withdrawn: the row goes,
 * the answer becomes 503, and the sender will retry.
 */
static void
conclude(struct server *s, struct site *site)
{
	struct dlog_entry	 e;
	struct outcome		*o = &s->out;
	struct delivery		*d = &s->d;
	struct buf		 body, uri;
	int			 handshake = d->handshake && o->status == 200;
	int			 built;

	memset(&e, 0, sizeof(e));
	e.time_ms = s->now_ms;
	e.endpoint = site->name;
	e.provider = s->p->name;
	e.status = handshake ? d->hs_status : o->status;
	e.verdict = o->verdict;
	e.reason = o->reason.data != NULL ? o->reason.data : "";
	e.id = d->id.len > 0 ? d->id.data : NULL;
	e.event = d->event.len > 0 ? d->event.data : NULL;
	e.duplicate_of = o->earlier[0] != '\0' ? o->earlier : NULL;
	e.remote_addr = s->req.remote_addr;
	e.method = s->req.method;
	e.uri = s->req.uri;
	/* Meta's verify token travels in the query: never log it. */
	buf_init(&uri, LIMIT_HEADER_VALUE + 64);
	if (s->p->get.token != NULL && strchr(s->req.uri, '?') != NULL &&
	    parse_query_mask(s->req.uri, strlen(s->req.uri), s->p->get.token,
	    REDACTED, &uri) == 0)
		e.uri = uri.data;
	else if (s->p->get.token != NULL && strchr(s->req.uri, '?') != NULL)
		e.uri = "(query left out: too long to redact)";
	e.headers = s->headers.data;
	e.headers_len = s->headers.len;
	if (s->req.body.data != NULL) {
		e.body = s->req.body.data;
		e.body_len = s->req.body.len;
		e.body_sha256 = s->sha256;
	}
	e.duration_us = elapsed_us(&s->start);
	if ((built = dlog_format(&s->record, &e)) == -1 ||
	    dlog_write(site->log, s->record.data, s->record.len) == -1) {
		/* Only a failed write has an errno worth showing. */
		if (built == -1)
			log_warnx("endpoint '%s': cannot build the log record"
			    " (larger than its buffer, or out of memory)",
			    site->name);
		else
			log_warn("endpoint '%s': cannot write the delivery"
			    " log", site->name);
		if (o->status == 200) {
			if (o->rowid != 0 && store_forget(site->store,
			    o->rowid) == -1)
				log_warnx("endpoint '%s': row %lld kept after"
				    " the log failed; a retry will be a"
				    " duplicate", site->name, o->rowid);
			outcome_set(o, 503, "failed", "delivery log cannot be"
			    " written");
			handshake = 0;
		}
	}
	buf_release(&uri);
	if (handshake) {
		respond_send(s->src, &s->scratch, d->hs_status, d->hs_type,
		    d->hs_extra, d->hs_body.data != NULL ? d->hs_body.data : "",
		    d->hs_body.len);
		return;
	}
	buf_init(&body, 4096);
	respond_json(&body, o->verdict, e.id, o->status == 200 ? NULL :
	    o->reason.data);
	if (o->status == 503 && o->extra == NULL)
		o->extra = "Retry-After: 30\r\n";
	respond_send(s->src, &s->scratch, o->status, "application/json",
	    o->extra, body.data != NULL ? body.data : "", body.len);
	buf_release(&body);
}

/*
 * The class of a refusal for metrics.fcgi, one of counters_reasons[]:
 * verify's code when verification said no, else what the status and
 * the stage that refused tell.  NULL for an acceptance.
 */
static const char *
reason_class(const struct server *s)
{
	const struct outcome	*o = &s->out;
	const char		*why = o->reason.data != NULL ?
				    o->reason.data : "";

	if (o->status == 200)
		return NULL;
	switch (o->vcode) {
	case VERDICT_NO_SCHEME:
	case VERDICT_NO_SECRET:
		return "config";
	case VERDICT_MISSING_TIMESTAMP:
	case VERDICT_MALFORMED_TIMESTAMP:
	case VERDICT_STALE_TIMESTAMP:
	case VERDICT_FUTURE_TIMESTAMP:
		return "timestamp";
	case VERDICT_MISSING_SIGNATURE:
	case VERDICT_MALFORMED_SIGNATURE:
	case VERDICT_MISMATCH:
		return "signature";
	default:
		break;
	}
	switch (o->status) {
	case 405: return "method";
	case 403: return strncmp(why, "plain HTTP", 10) == 0 ? "https" :
	    "source";
	case 431: return "headers";
	case 411: return "length";
	case 413: return "size";
	case 400: return s->d.reason != NULL ? "payload" :
	    s->req.problem == REQUEST_BAD_LENGTH ? "length" : "body";
	case 503: return strncmp(why, "delivery log", 12) == 0 ? "log" :
	    o->vcode == -1 ? "ledger" : "other";
	default: return "other";
	}
}

/* Counts the answer in the shared counter file: a few atomic adds. */
static void
count(struct server *s, struct site *site)
{
	struct counters_answer	 a;

	a.endpoint = site->name;
	a.verdict = s->out.verdict;
	a.status = s->d.handshake && s->out.status == 200 ? s->d.hs_status :
	    s->out.status;
	a.reason = reason_class(s);
	a.duration_us = elapsed_us(&s->start);
	a.bytes = s->req.body.len;
	counters_answer(site->counters, &a);
}

/* Answers 503 when there is nowhere to log: the error log says why. */
static void
refuse_unconfigured(struct server *s, struct buf *why)
{
	static const char	 body[] =
	    "{\"status\":\"failed\",\"reason\":\"receiver not"
	    " configured, see the server error log\"}\n";

	log_warnx("cannot serve '%s': %s", s->req.uri,
	    why->data != NULL ? why->data : "unknown error");
	respond_send(s->src, &s->scratch, 503, "application/json",
	    "Retry-After: 60\r\n", body, sizeof(body) - 1);
}

static const char *
endpoint_name(const struct server *s)
{
	const char	*name;

	if (s->req.endpoint != NULL && s->req.endpoint[0] != '\0')
		return s->req.endpoint;
	if ((name = getenv("WEBHOOK_ENDPOINT")) != NULL && name[0] != '\0')
		return name;
	return s->p->name;
}

/* After the transport checks: body, verification, id, ledger. */
static void
process(struct server *s, struct site *site)
{
	struct verdict	 v;
	int		 verified;

	if (request_read_body(s->src, &s->req) == -1) {
		outcome_set(&s->out, 400, "rejected", "body shorter than"
		    " Content-Length");
		return;
	}
	verified = verify_request(s->p, &site->sc, &site->ep, &s->req,
	    (time_t)(s->now_ms / 1000), &v);
	body_digest(s, &v);
	if (!verified) {
		s->out.vcode = v.code;
		outcome_set(&s->out, verify_status(v.code),
		    verify_status(v.code) == 503 ? "failed" : "rejected",
		    NULL);
		verify_reason(&v, &s->out.reason);
		return;
	}
	s->d.secret = v.secret_index >= 0 ?
	    &site->ep.secrets[v.secret_index] : NULL;
	if (v.have_signed)
		hex_encode(v.signed_sha256, sizeof(v.signed_sha256),
		    s->signed_sha256);
	if (identify(s, site) == -1) {
		outcome_set(&s->out, 400, "rejected", s->d.reason);
		return;
	}
	if (s->d.handshake) {
		outcome_set(&s->out, 200, "accepted", "handshake answered,"
		    " not queued");
		return;
	}
	enqueue(s, site);
}

/* Between requests, once the answer is gone. */
static void
sites_idle(struct server *s)
{
	size_t	 i;

	for (i = 0; i < s->nsites; i++) {
		dlog_idle(s->sites[i].log);
		store_idle(s->sites[i].store);
	}
}

static void
sites_release(struct server *s)
{
	size_t	 i;

	for (i = 0; i < s->nsites; i++) {
		dlog_close(s->sites[i].log);
		store_close(s->sites[i].store);
		counters_close(s->sites[i].counters);
		config_endpoint_release(&s->sites[i].ep);
	}
	s->nsites = 0;
}

/*
 * A WEBHOOK_CONFIG among the request's variables wins over the process
 * environment: Apache's SetEnv reaches mod_fcgid and mod_proxy_fcgi
 * processes per request, never in their environment.  Another file
 * than the one loaded drops the configuration and every resolved
 * endpoint; in practice that happens once, on the first request.
 */
static void
config_select(struct server *s)
{
	const char	*path = s->req.config;
	char		*own;

	if (path == NULL || path[0] == '\0' || strcmp(path, s->cfg_path) == 0)
		return;
	if ((own = strdup(path)) == NULL)
		return;
	sites_release(s);
	config_free(s->cfg);
	s->cfg = NULL;
	free(s->cfg_own);
	s->cfg_path = s->cfg_own = own;
}

static void
handle(struct server *s)
{
	struct site	*site;
	struct buf	 why;
	const char	*name = endpoint_name(s);

	clock_gettime(CLOCK_MONOTONIC, &s->start);
	s->now_ms = wall_ms();
	s->out.extra = NULL;
	s->out.rowid = 0;
	s->out.vcode = -1;
	s->sha256[0] = '\0';
	s->signed_sha256[0] = '\0';
	s->out.earlier[0] = '\0';
	buf_init(&why, 4096);
	config_select(s);
	if (s->cfg == NULL)
		s->cfg = config_load(s->cfg_path, &why);
	if (s->cfg == NULL || parse_endpoint_name(name) == -1 ||
	    (site = site_get(s, name, &why)) == NULL) {
		if (s->cfg != NULL && parse_endpoint_name(name) == -1)
			buf_printf(&why, "bad endpoint name '%s'", name);
		refuse_unconfigured(s, &why);
		buf_release(&why);
		return;
	}
	buf_release(&why);
	buf_reset(&s->headers);
	if (redact_headers(&s->headers, &s->req, site->ep.token_header) == -1)
		buf_reset(&s->headers);
	if (check_transport(s, site) == 0) {
		if (strcmp(s->req.method, "GET") == 0)
			answer_get(s, site);
		else if (strcmp(s->req.method, "HEAD") == 0)
			answer_head(s);
		else
			process(s, site);
	}
	conclude(s, site);
	count(s, site);
}

static void
delivery_reset(struct delivery *d, const struct request *req)
{
	d->req = req;
	buf_reset(&d->id);
	buf_reset(&d->event);
	buf_reset(&d->hs_body);
	d->reason = NULL;
	d->handshake = 0;
	d->hs_status = 200;
	d->hs_type = "application/json";
	d->hs_extra = NULL;
	d->secret = NULL;
	json_doc_free(d->doc);
	d->doc = NULL;
	d->doc_tried = 0;
}

/*
 * s is in static storage, so already zero: no memset.  The struct is
 * 340 KiB (64 sites), and clearing it wrote every page of it, 85 page
 * faults of a CGI request that touches one site (a fault costs about
 * 17 us of CPU on a PVM guest like the benchmark's, README).
 */
static void
server_init(struct server *s, const struct provider *p)
{
	s->p = p;
	s->cfg_path = getenv("WEBHOOK_CONFIG");
	if (s->cfg_path == NULL || s->cfg_path[0] == '\0')
		s->cfg_path = DEF_CONFIG_PATH;
	buf_init(&s->req.body, LIMIT_BODY);
	buf_init(&s->d.id, LIMIT_ID_LEN + 1);
	buf_init(&s->d.event, LIMIT_ID_LEN + 1);
	buf_init(&s->d.hs_body, 64 * 1024);
	buf_init(&s->out.reason, 4096);
	buf_init(&s->headers, LIMIT_HEADER_TOTAL * 6 + 1024);
	buf_init(&s->record, LIMIT_BODY * 6 + LIMIT_HEADER_TOTAL * 6 +
	    LIMIT_RECORD_EXTRA);
	buf_init(&s->scratch, 128 * 1024);
}

static void
server_release(struct server *s)
{
	sites_release(s);
	config_free(s->cfg);
	free(s->cfg_own);
	json_doc_free(s->d.doc);
	buf_release(&s->req.body);
	buf_release(&s->d.id);
	buf_release(&s->d.event);
	buf_release(&s->d.hs_body);
	buf_release(&s->out.reason);
	buf_release(&s->headers);
	buf_release(&s->record);
	buf_release(&s->scratch);
	request_close(s->src);
}

/*
 * Will this process speak TLS (store = nats, a [global] key)?  Read
 * before OpenSSL starts, which then keeps what TLS needs: hmac_init().
 */
static int
wants_tls(const struct config *cfg)
{
	struct endpoint	 g;
	struct buf	 why;
	int		 nats = 0;

	if (cfg == NULL)
		return 0;
	buf_init(&why, 1024);
	memset(&g, 0, sizeof(g));
	if (config_endpoint(cfg, "global", &g, &why) == 0) {
		nats = store_is_nats(&g);
		config_endpoint_release(&g);
	}
	buf_release(&why);
	return nats;
}

/*
 * A FastCGI process keeps the heap it has grown.  glibc gives the top of
 * the heap back (brk) once 128 KiB or more of it is free, and requests
 * grow it again: under load about one request in ten did, each time
 * page faults to grow it and, to shrink it, a TLB flush on every CPU
 * that runs the process (the checkpointer is a second thread), 80 us
 * on this kind of VM: 4 % of the handlers' CPU time (perf, 2026-12-05).
 * Bodies up to 1 MiB come from the heap too; larger ones are mapped and
 * given back as before.
 */
static void
keep_heap(void)
{
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-V]\n"
	    "A FastCGI or CGI program: run it from a web server.\n", prog);
	return 100;
}

int
serve(const struct provider *p, int argc, char **argv)
{
	static struct server	 s;
	struct buf		 why;
	char			 err[256];
	int			 rc, quiet;

	log_init(p->name, getenv("WEBHOOK_DEBUG") != NULL);
	if (argc > 1) {
		if (strcmp(argv[1], "-V") == 0 ||
		    strcmp(argv[1], "--version") == 0) {
			printf("webhook-fcgi %s handler %s (%s)\n", VERSION,
			    p->name, sandbox_describe());
			return 0;
		}
		return usage(argv[0]);
	}
	server_init(&s, p);
	request_signals();
	if ((s.src = request_open()) == NULL)
		fatalx("cannot initialise FastCGI");
	if (request_is_cgi(s.src) && getenv("REQUEST_METHOD") == NULL) {
		server_release(&s);
		return usage(argv[0]);
	}
	if (!request_is_cgi(s.src))
		keep_heap();
	/*
	 * Parse the configuration and open files before the sandbox.  When
	 * the environment names no file (mod_fcgid passes WEBHOOK_CONFIG
	 * per request), this is only a guess: stay quiet, and let the
	 * first request report what is wrong.
	 */
	quiet = getenv("WEBHOOK_CONFIG") == NULL;
	buf_init(&why, 4096);
	s.cfg = config_load(s.cfg_path, &why);
	/* OpenSSL's start-up, before site_get() parses public keys. */
	if (hmac_init(wants_tls(s.cfg)) == -1)
		log_warnx("cannot initialise the crypto library");
	if (s.cfg == NULL) {
		if (!quiet)
			log_warnx("%s", why.data != NULL ? why.data : "config");
	} else if (site_get(&s, endpoint_name(&s), &why) == NULL &&
	    why.len > 0 && !quiet)
		log_warnx("%s", why.data);
	buf_release(&why);
	/* Open the database now too; a failure is retried per request. */
	if (s.nsites > 0) {
		/* The NATS client's TLS follows the system's OpenSSL policy. */
		if (store_is_nats(&s.sites[0].ep) &&
		    hmac_system_config() == -1)
			log_warnx("cannot load OpenSSL's configuration");
		buf_init(&why, 1024);
		if (site_store(&s, &s.sites[0], &why) == NULL && !quiet)
			log_warnx("%s", why.data);
		buf_release(&why);
		/*
		 * A NATS connection reconnects from inside the sandbox, and
		 * a store that failed to open opens again there: the client
		 * library is mapped now (if the open has not done it).
		 */
		if (store_is_nats(&s.sites[0].ep)) {
			sandbox_allow_network();
			if (store_load_nats(err, sizeof(err)) == -1)
				log_warnx("%s", err);
		}
	}
	/*
	 * What would load lazily on the first request (OpenSSL's providers,
	 * loaded by hmac_init() above, and the time zone) loads now, before
	 * the filter forbids what it may need, such as an executable
	 * mapping for a module.
	 */
	tzset();
	if (sandbox_enter() == -1)
		log_warn("cannot enter the sandbox");
	while ((rc = request_accept(s.src, &s.req)) == 1) {
		delivery_reset(&s.d, &s.req);
		handle(&s);
		request_finish(s.src, &s.req);
		sites_idle(&s);
	}
	if (rc == -1)
		log_warn("accept failed");
	server_release(&s);
	return rc == -1 ? 111 : 0;
}
