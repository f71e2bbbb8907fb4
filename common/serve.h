/*
 * serve: the pipeline every handler runs, request after request:
 *
 *   endpoint -> method -> https -> source address -> headers -> size ->
 *   body -> verify -> id and event (and the provider's hook) ->
 *   ledger -> log -> respond
 *
 * Nothing is acknowledged before the ledger commit and the log write
 * both succeeded; any failure there is answered 503 with Retry-After
 * and leaves no accepted record, so the sender retries.
 */
#ifndef SERVE_H
#define SERVE_H

#include "buf.h"
#include "provider.h"
#include "request.h"

struct json_doc;
struct secret;

/* What a hook sees and may change about one verified delivery. */
struct delivery {
	const struct request	*req;
	struct buf		 id;		/* delivery id */
	struct buf		 event;		/* event type, may be empty */
	const char		*reason;	/* why the body is unusable */
	/* A handshake is answered here and never queued. */
	int			 handshake;
	int			 hs_status;
	const char		*hs_type;	/* Content-Type */
	const char		*hs_extra;	/* header lines, or NULL */
	struct buf		 hs_body;
	/* The secret that verified the request, or NULL (unsigned). */
	const struct secret	*secret;
	/* Private to serve.c: the body parsed once, on first use. */
	struct json_doc		*doc;
	int			 doc_tried;
	char			 doc_err[128];
};

/*
 * The body as JSON, parsed on first use and kept for the request.
 * Returns NULL when it is not JSON (the reason is in doc_err).
 */
const struct json_doc	*delivery_json(struct delivery *);

/* Replaces the id with the hex SHA-256 of bytes; 0 or -1. */
int	delivery_digest_id(struct delivery *, const char *, size_t);

/*
 * Answers the request with bytes echoed as text/plain (Dropbox's, Meta's
 * and Twitch's challenges), with X-Content-Type-Options: nosniff.
 * Returns 0, or -1 with the reason set when they are empty, longer than
 * LIMIT_CHALLENGE or not printable ASCII: an echo must not carry markup
 * sniffing or a line break anywhere.
 */
int	delivery_echo(struct delivery *, const char *, size_t);

/*
 * Appends the hex HMAC-SHA256 of bytes under the secret that verified
 * the request (Zoom's encryptedToken).  Returns 0, or -1 when there is
 * no such secret or the crypto library fails.
 */
int	delivery_mac_hex(const struct delivery *, const char *, size_t,
	    struct buf *out);

/*
 * Runs the handler for a provider until there are no more requests (CGI:
 * after one).  The configuration file is WEBHOOK_CONFIG from the
 * request's variables, else from the environment, else the default; it
 * is read once per file.  Returns the exit status.
 */
int	serve(const struct provider *, int argc, char **argv);

#endif /* SERVE_H */
