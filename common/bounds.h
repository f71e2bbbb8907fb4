/*
 * Hard limits on untrusted input (named bounds.h, not limits.h, which
 * would shadow the C library's <limits.h>).  Every parser checks against these
 * before it copies or loops, so a hostile request costs bounded memory
 * and time.  Each may be overridden at compile time (-DLIMIT_X=...).
 */
#ifndef BOUNDS_H
#define BOUNDS_H

/* Request headers kept per request; more is answered 431. */
#ifndef LIMIT_HEADERS
#define LIMIT_HEADERS		128
#endif

/* Bytes of one header value (lighttpd's default line limit is 8 KiB). */
#ifndef LIMIT_HEADER_VALUE
#define LIMIT_HEADER_VALUE	8192
#endif

/* Bytes of all header names and values together. */
#ifndef LIMIT_HEADER_TOTAL
#define LIMIT_HEADER_TOTAL	65536
#endif

/* Hard ceiling of max_body, whatever the configuration says. */
#ifndef LIMIT_BODY
#define LIMIT_BODY		(64UL * 1024 * 1024)
#endif

/* Bytes of a handshake challenge echoed back (Meta, Dropbox, Twitch). */
#ifndef LIMIT_CHALLENGE
#define LIMIT_CHALLENGE		1024
#endif

/* Bytes of a signed field read from a body (Mailgun's token). */
#ifndef LIMIT_BODY_FIELD
#define LIMIT_BODY_FIELD	1024
#endif

/* Candidate signatures taken from one signature header. */
#ifndef LIMIT_SIGNATURES
#define LIMIT_SIGNATURES	8
#endif

/* Secrets per endpoint (rotation keeps two or three at a time). */
#ifndef LIMIT_SECRETS
#define LIMIT_SECRETS		8
#endif

/* Bytes of one secret. */
#ifndef LIMIT_SECRET_LEN
#define LIMIT_SECRET_LEN	1024
#endif

/*
 * Public keys per endpoint (public_key, repeatable for rotation), and the
 * largest DER SubjectPublicKeyInfo kept: an Ed25519 key is 44 bytes, a
 * P-256 key 91.  LIMIT_PUBKEY_TEXT bounds the text of one key, PEM
 * armour included.
 */
/*
 * The URL a signed-URL scheme covers (Twilio, Square, Trello, HubSpot),
 * public_url or rebuilt from the request, and the form parameters
 * Twilio's signature sorts.
 */
#ifndef LIMIT_URL
#define LIMIT_URL		2048
#endif
#ifndef LIMIT_FORM_PARAMS
#define LIMIT_FORM_PARAMS	256
#endif

#ifndef LIMIT_PUBKEYS
#define LIMIT_PUBKEYS		4
#endif
#ifndef LIMIT_PUBKEY_DER
#define LIMIT_PUBKEY_DER	128
#endif
#ifndef LIMIT_PUBKEY_TEXT
#define LIMIT_PUBKEY_TEXT	1024
#endif

/* Nesting depth accepted by the JSON parser. */
#ifndef LIMIT_JSON_DEPTH
#define LIMIT_JSON_DEPTH	64
#endif

/* Bytes of a delivery id or event name taken from a request. */
#ifndef LIMIT_ID_LEN
#define LIMIT_ID_LEN		200
#endif

/* Endpoints in one configuration file. */
#ifndef LIMIT_ENDPOINTS
#define LIMIT_ENDPOINTS		64
#endif

/* Bytes of an endpoint name: [A-Za-z0-9_.-], not starting with '.'. */
#ifndef LIMIT_ENDPOINT_NAME
#define LIMIT_ENDPOINT_NAME	64
#endif

/* Source-address allowlist and trusted proxy entries per endpoint. */
#ifndef LIMIT_NETS
#define LIMIT_NETS		32
#endif

/* Per-event command overrides ("on.<glob> = cmd") per endpoint. */
#ifndef LIMIT_ROUTES
#define LIMIT_ROUTES		32
#endif

/*
 * Bytes of a CGI request body left unread (refused before reading, as
 * with 413 or 403) that are read and dropped after the answer.  Apache's
 * mod_cgi(d) writes the whole body before it reads the answer, and
 * answers nothing at all when the program stops taking it.  Beyond this
 * the program exits anyway; cap the server's own body limit below it.
 */
#ifndef LIMIT_DRAIN
#define LIMIT_DRAIN		(256UL * 1024 * 1024)
#endif

/* Bytes of a log record's fixed part beyond headers and body. */
#define LIMIT_RECORD_EXTRA	4096

#endif /* BOUNDS_H */
