/*
 * provider: what a handler says about its provider.  A handler is one
 * `static const struct provider` and a main() that calls serve().
 *
 * Adding a provider, the checklist:
 *  1. handlers/<name>.c: the descriptor below, filled with designated
 *     initializers from the provider's documentation (cite it), plus
 *     named hook functions for any quirk (a handshake, a form body).
 *  2. Makefile: add <name> to HANDLERS.
 *  3. tests/vectors/<name>/: the provider's own examples (cited) and
 *     tampered variants; tests/unit/test-vectors.c runs them all.
 *  4. man/webhook-<name>.8: headers, keys, examples.
 *  5. www/: when www/examples/webhooks.conf gets a section for it, the
 *     URL mapping in every server snippet: each .conf of www/lighttpd
 *     and www/apache, www/nginx/webhook-fcgi.conf (a location) and
 *     www/caddy/Caddyfile (an import line); t1040 checks they agree.
 *  6. README.md: a row in the providers table.
 *  7. tools/samples/<name>/: sample events for webhookctl send.
 *  8. The extern declaration below and webhookctl's table (tools/ctl.c).
 */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <stddef.h>

#include "hmac.h"

struct buf;
struct delivery;
struct request;

/* How the signature header is laid out. */
enum sig_format {
	SIG_NONE,	/* no scheme: the endpoint must configure one */
	SIG_PLAIN,	/* one signature, after an optional prefix */
	SIG_ITEMS,	/* key/value items: Stripe's "t=..,v1=..,v1=.." */
	SIG_TOKEN,	/* a shared token sent as is (GitLab style) */
	SIG_BODY,	/* in body fields: header, ts_header and every
			   PART_HEADER name a field (Mailgun) */
};

enum sig_encoding {
	ENC_HEX,
	ENC_BASE64,
};

enum ts_format {
	TS_NONE,
	TS_UNIX,	/* seconds */
	TS_UNIX_MS,	/* milliseconds */
	TS_ISO8601,	/* 2021-03-25T05:09:27Z */
};

/* One piece of the signed payload; the list ends with PART_END. */
enum part_kind {
	PART_END = 0,
	PART_LITERAL,	/* text */
	PART_TIMESTAMP,	/* the timestamp exactly as sent */
	PART_BODY,	/* the raw body */
	PART_HEADER,	/* a request header's value; text is its name */
	PART_URL,	/* the URL the provider posted to: public_url, or
			   rebuilt from the request (verify_url) */
	PART_METHOD,	/* the request method ("POST") */
	PART_PARAMS,	/* a form body's parameters, decoded and sorted,
			   name + value (Twilio); nothing for other bodies */
};

/*
 * How a configured secret becomes the MAC key.  Standard Webhooks
 * secrets are "whsec_" + base64 of the key and are decoded (unlike
 * Stripe's whsec_ secrets, used verbatim as text).
 */
enum secret_form {
	SECRET_TEXT = 0,	/* the bytes as configured */
	SECRET_WHSEC,		/* base64, "whsec_" optional (standardwebhooks,
				   svix libraries) */
	SECRET_WHSEC_OR_TEXT,	/* "whsec_" + base64, else the text itself
				   (the openai library) */
};

struct signed_part {
	enum part_kind	 kind;
	const char	*text;		/* PART_LITERAL, PART_HEADER */
};

#define SCHEME_MAX_PARTS	6

/* A signature scheme: where the signature is and what it covers. */
struct scheme {
	const char		*header;	/* signature header */
	enum sig_format		 format;
	enum hmac_alg		 alg;
	enum hmac_pk		 pk;		/* signed with a private key:
						   verified with public_key */
	enum sig_encoding	 encoding;
	const char		*prefix;	/* "sha256=", "v0=" or NULL */
	char			 item_sep;	/* SIG_ITEMS: ',' */
	char			 key_sep;	/* SIG_ITEMS: '=' */
	const char		*sig_key;	/* SIG_ITEMS: "v1" */
	const char		*ts_key;	/* SIG_ITEMS: "t", or NULL */
	const char		*ts_header;	/* timestamp header, or NULL */
	/*
	 * A timestamp inside the signed JSON body (Linear's
	 * "webhookTimestamp"), dotted path; used when ts_header and ts_key
	 * are NULL.  It is covered by the signature since the body is.
	 */
	const char		*ts_field;
	const char		*body_object;	/* SIG_BODY: the JSON object
						   holding the fields */
	enum ts_format		 ts_format;
	enum secret_form	 secret_form;	/* how a secret is keyed */
	struct signed_part	 payload[SCHEME_MAX_PARTS];
	/* Signed URLs: see the PART_URL kinds above. */
	int			 url_ports;	/* also try the URL with its
						   default port toggled */
	int			 url_hubspot;	/* decode as parse_url_hubspot */
	const char		*body_digest_param; /* a query parameter with
						   the body's hex SHA-256:
						   Twilio's bodySHA256 */
};

/* Where a value (delivery id, event type) comes from, first match wins. */
struct source {
	const char	*header;	/* request header, or NULL */
	const char	*alt_header;	/* tried when header is absent */
	const char	*field;		/* dotted JSON path, or NULL */
	int		 digest;	/* else the body's SHA-256 */
};

/*
 * A provider hook runs after verification, with the id and event found
 * so far.  It may change them, or answer a handshake itself by filling
 * the delivery's handshake fields.  Returns 0, or -1 with a reason in
 * the delivery when the body cannot be understood (answered 400).
 */
typedef int	 (*provider_hook)(const struct request *, struct delivery *);

/*
 * A GET handshake: the provider proves the URL with a GET whose query
 * carries a challenge to echo back as text/plain (the one request a
 * receiver answers that is not a POST).  A GET without the challenge
 * parameter is refused 405 like any other method.
 */
struct get_handshake {
	const char	*challenge;	/* query parameter echoed, or NULL */
	const char	*mode;		/* parameter that must equal ... */
	const char	*mode_value;	/* ... this ("subscribe"), or NULL */
	const char	*token;		/* parameter compared in constant time
					   with the endpoint's verify_token */
};

struct provider {
	const char	*name;		/* default endpoint name too */
	struct scheme	 scheme;
	/*
	 * A weaker scheme tried only when the endpoint allows it (allow_sha1)
	 * and the main signature header is absent: GitHub's SHA-1 header.
	 */
	struct scheme	 legacy;
	long		 tolerance;	/* seconds, 0 = no check */
	struct source	 id;
	struct source	 event;
	const char	*extra_redact;	/* one more secret-bearing header */
	provider_hook	 hook;
	struct get_handshake get;
	/*
	 * Answer a HEAD with an empty 200, unsigned: Trello checks the
	 * callback URL so when a webhook is created.  Logged, not queued.
	 */
	int		 head_ok;
};

/*
 * The descriptors, defined in handlers/<name>.c.  Handlers are compiled
 * once with their main() and once more with -DPROVIDER_ONLY, so that
 * webhookctl signs and explains with the very same descriptions.
 */
extern const struct provider provider_github;
extern const struct provider provider_stripe;
extern const struct provider provider_slack;
extern const struct provider provider_zendesk;
extern const struct provider provider_iot;
extern const struct provider provider_meta;
extern const struct provider provider_dropbox;
extern const struct provider provider_zoom;
extern const struct provider provider_discord;
extern const struct provider provider_sendgrid;
extern const struct provider provider_twitch;
extern const struct provider provider_standardwebhooks;
extern const struct provider provider_svix;
extern const struct provider provider_clerk;
extern const struct provider provider_resend;
extern const struct provider provider_openai;
extern const struct provider provider_square;
extern const struct provider provider_trello;
extern const struct provider provider_hubspot;
extern const struct provider provider_twilio;
extern const struct provider provider_shopify;
extern const struct provider provider_gitlab;
extern const struct provider provider_bitbucket;
extern const struct provider provider_linear;
extern const struct provider provider_paddle;
extern const struct provider provider_pagerduty;
extern const struct provider provider_typeform;
extern const struct provider provider_intercom;
extern const struct provider provider_mux;
extern const struct provider provider_calendly;
extern const struct provider provider_mailgun;

#endif /* PROVIDER_H */
