/*
 * parse: every parser of untrusted text lives here.  They are pure
 * functions: bytes and a length in, a result out, no I/O, no globals, no
 * allocation unless a struct buf is passed in.  Each returns 0 on success
 * and -1 on malformed or oversized input, and never reads past the
 * length it was given.  tests/unit/test-parse.c and tests/fuzz/ cover
 * every one of them.
 */
#ifndef PARSE_H
#define PARSE_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "bounds.h"

/*
 * Decimal digits only: no sign, no space, no empty string.  Fails on a
 * value above max.
 */
int	parse_uint(const char *, size_t, uint64_t max, uint64_t *);

/*
 * Lowercase hex of even length, as every provider sends it; uppercase is
 * refused so that one MAC has exactly one accepted spelling.  Writes at
 * most cap bytes.
 */
int	parse_hex(const char *, size_t, unsigned char *, size_t cap,
	    size_t *outlen);

/*
 * Standard base64 (RFC 4648 section 4); the '=' padding may be left out,
 * as Standard Webhooks senders do.  Writes at most cap bytes.
 */
int	parse_base64(const char *, size_t, unsigned char *, size_t cap,
	    size_t *outlen);

/*
 * A public key as a provider's console shows it, into DER
 * SubjectPublicKeyInfo bytes (at most cap): 64 hex digits are a raw
 * Ed25519 key (Discord's Developer Portal), "-----BEGIN PUBLIC KEY-----"
 * armour is PEM, anything else must be base64 DER (SendGrid's Mail
 * Settings).  Whitespace inside PEM is ignored.  Returns 0, -1 when
 * the text is none of these, and -2 when it is a private key, which
 * is never wanted here.  Whether the DER is a usable key is for
 * hmac_pk_type() to say.
 */
int	parse_public_key(const char *, size_t, unsigned char *der, size_t cap,
	    size_t *derlen);

/*
 * Twilio's form signature input: every parameter of a form body,
 * decoded, sorted by name and then value (bytewise), repeated pairs
 * once, appended to out as name then value with nothing between.  At
 * most LIMIT_FORM_PARAMS parameters.  0 or -1 (bad escape, too many,
 * out full).
 */
int	parse_form_sorted(const char *, size_t, struct buf *out);

/*
 * The two spellings of an http(s) URL Twilio's SDKs accept: without
 * any port, and with the port (the scheme's default when none is
 * given).  Appends them to without and with; 0, or -1 when the URL is
 * not http(s), has no host, carries user information or a bad port.
 */
int	parse_url_ports(const char *, size_t, struct buf *without,
	    struct buf *with);

/*
 * HubSpot's v3 URI: the URL with the escapes %3A %2F %3F %40 %21 %24 %27
 * %28 %29 %2A %2C %3B (either case) decoded, every other byte as is,
 * appended to out.  0 or -1 when out is full.
 */
int	parse_url_hubspot(const char *, size_t, struct buf *out);

/* Unix seconds, or milliseconds when ms is set, as a time_t. */
int	parse_unix_time(const char *, size_t, int ms, time_t *);

/*
 * ISO-8601 / RFC 3339 UTC time as Zendesk sends it:
 * YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00).
 */
int	parse_iso8601(const char *, size_t, time_t *);

/* One key/value item of a signature header; both point into the input. */
struct sig_item {
	const char	*key;	/* "v1", "t", "sha256"; NULL when no key */
	size_t		 keylen;
	const char	*val;	/* the value after the key separator */
	size_t		 vallen;
};

struct sig_items {
	size_t		 count;
	struct sig_item	 item[LIMIT_SIGNATURES * 2];
};

/*
 * Splits a header such as Stripe's "t=1,v1=ab,v1=cd" (item separator ',',
 * key separator '=') or Standard Webhooks' "v1,AAA v1,BBB" (' ', ',')
 * into items.  Spaces around items are dropped; an item without the key
 * separator gets key NULL.  Fails on an empty item or too many items.
 */
int	parse_sig_items(const char *, size_t, char item_sep, char key_sep,
	    struct sig_items *);

/*
 * Looks up a field of an application/x-www-form-urlencoded body and
 * appends its decoded value to out.  Returns 1 when found, 0 when absent,
 * -1 on bad percent-encoding or when out is full.
 */
int	parse_form_field(const char *, size_t, const char *key,
	    struct buf *out);

/*
 * Looks up a parameter of the query string of a request URI ("/hook?
 * hub.mode=subscribe&hub.challenge=1158201444") as parse_form_field
 * does.  Returns 1 when found, 0 when absent (or no query), -1 on bad
 * percent-encoding or when out is full.
 */
int	parse_query_field(const char *uri, size_t, const char *key,
	    struct buf *out);

/*
 * Appends the URI to out with the value of every key= parameter of its
 * query replaced by mask, for logging a URI that carries a token.
 * Returns 0, or -1 when out is full.
 */
int	parse_query_mask(const char *uri, size_t, const char *key,
	    const char *mask, struct buf *out);

/*
 * Turns a CGI variable name ("HTTP_X_HUB_SIGNATURE_256") into the header
 * name it came from, in canonical case ("X-Hub-Signature-256").  The
 * server folded the original case and '-', so this is the best that
 * CGI allows.  Writes a NUL-terminated name of at most cap bytes.
 */
int	parse_cgi_header_name(const char *var, char *out, size_t cap);

/* An endpoint name: 1..LIMIT_ENDPOINT_NAME of [A-Za-z0-9_.-], no '.' first. */
int	parse_endpoint_name(const char *);

/* An address or a network in CIDR notation, IPv4 or IPv6. */
struct net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network address, big endian */
	unsigned int	 prefix;	/* bits that must match */
};

int	parse_net(const char *, size_t, struct net *);
/* Returns 1 when the textual address lies in the network, else 0. */
int	parse_net_contains(const struct net *, const char *addr);

/*
 * The value a trusted proxy put last into X-Forwarded-Proto ("https" in
 * "http, https"): each proxy appends, so only the nearest one's is
 * trusted.  Returns 1 for https, 0 otherwise.
 */
int	parse_forwarded_https(const char *, size_t);

/*
 * The client named by X-Forwarded-For ("client, proxy1, proxy2"), which
 * a trusted proxy sent: every proxy appends the address it got the
 * request from, so the list is read from the right, passing over the
 * addresses of trusted proxies, and the first other one is the client.
 * What lies left of it came from that client and is never believed.
 * Writes the address, NUL-terminated, to out (cap at least
 * INET6_ADDRSTRLEN).  Returns 0, or -1 when an element read is not a
 * bare IPv4 or IPv6 address.
 */
int	parse_forwarded_for(const char *, size_t, const struct net *trusted,
	    size_t ntrusted, char *out, size_t cap);

#endif /* PARSE_H */
