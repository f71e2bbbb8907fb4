/*
 * verify: decides whether a request was signed by the provider.  Builds
 * the signed payload from the scheme, tries every candidate signature
 * against every secret in constant time, checks the timestamp window,
 * and records exactly why it said no.  The 401 body, the log record and
 * webhookctl explain are all made from that one struct verdict.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "hmac.h"
#include "provider.h"
#include "request.h"

enum verdict_code {
	VERDICT_OK,
	VERDICT_UNSIGNED,		/* accepted: insecure_allow_unsigned */
	VERDICT_NO_SCHEME,		/* endpoint has no signature scheme */
	VERDICT_NO_SECRET,		/* endpoint has no secret */
	VERDICT_MISSING_SIGNATURE,
	VERDICT_MALFORMED_SIGNATURE,
	VERDICT_MISSING_TIMESTAMP,
	VERDICT_MALFORMED_TIMESTAMP,
	VERDICT_STALE_TIMESTAMP,
	VERDICT_FUTURE_TIMESTAMP,
	VERDICT_MISMATCH,
	VERDICT_ERROR,			/* the crypto library failed */
};

struct verdict {
	enum verdict_code code;
	const char	*header;	/* the header concerned, or NULL */
	const char	*detail;	/* static text on a malformed header */
	size_t		 sigs_tried;	/* candidate signatures compared */
	size_t		 secrets_tried;	/* secrets each was compared with */
	int		 have_skew;	/* a timestamp was read */
	long long	 skew;		/* now - timestamp, in seconds */
	long		 tolerance;	/* window applied, 0 = none */
	int		 signature_ok;	/* a signature matched (even if stale) */
	int		 secret_index;	/* which secret matched, or -1 */
	int		 legacy;	/* matched by the weaker legacy scheme */
	int		 in_body;	/* header names a body field (SIG_BODY) */
	int		 pk;		/* public keys were tried, not secrets */
	size_t		 signed_len;	/* bytes covered by the signature */
	/*
	 * SHA-256 of those bytes, set when a signature matched: the same
	 * signed bytes again are a replay, whatever id they come under.
	 * Not set for a shared token, which signs nothing.
	 */
	int		 have_signed;
	unsigned char	 signed_sha256[32];
	int		 signed_is_body; /* those bytes are the body alone */
	/* A signed-URL scheme: the URL tried first, and where it came from. */
	char		 url[LIMIT_URL + 1];
	int		 url_rebuilt;	/* from the request: no public_url */
	/* What the first secret gives, for webhookctl explain. */
	unsigned char	 expected[HMAC_MAX];
	size_t		 expected_len;
};

/*
 * Builds the scheme an endpoint uses: the provider's, with the keys an
 * endpoint may override (signature_header, algorithm, ...) applied.
 * Returns 0, or -1 with a message in err when the result is unusable.
 */
int	verify_scheme(const struct provider *, const struct endpoint *,
	    struct scheme *out, char *err, size_t errlen);

/*
 * Verifies req against the scheme and the endpoint's secrets at time
 * now.  Fills v; returns 1 when the request is authentic (or accepted
 * unsigned by explicit configuration), else 0.
 */
int	verify_request(const struct provider *, const struct scheme *,
	    const struct endpoint *, const struct request *, time_t now,
	    struct verdict *v);

/*
 * The URL a provider signed: the endpoint's public_url (scheme, host and
 * path) with the request's query, or when unset rebuilt from the request:
 * https when it came over HTTPS or a trusted proxy says so
 * (X-Forwarded-Proto), the Host header, REQUEST_URI.  Appends it to out;
 * returns 0, or -1 when there is no Host header or it is too long.
 */
int	verify_url(const struct endpoint *, const struct request *,
	    struct buf *out);

/* Is the web server's peer one of trusted_proxies?  1 or 0. */
int	verify_trusted_proxy(const struct request *, const struct endpoint *);
/* Did the request come over HTTPS, directly or via a trusted proxy? */
int	verify_https(const struct request *, const struct endpoint *);

/* Short machine name of a verdict code ("stale_timestamp"). */
const char *verify_code_name(enum verdict_code);
/* Appends the human reason ("signature mismatch: ...") to out. */
int	verify_reason(const struct verdict *, struct buf *out);
/* HTTP status for a verdict code that was not accepted. */
int	verify_status(enum verdict_code);

/* Encodes a MAC the way a scheme sends it (hex or base64) into out. */
int	verify_encode(enum sig_encoding, const unsigned char *, size_t,
	    struct buf *out);

/*
 * Computes the signature headers a provider would send for body, for
 * webhookctl sign and send: appends "Name: value\n" lines to out.
 * ts is the timestamp text to sign, or NULL when the scheme has none.
 * For a public-key scheme (sc->pk) the secret is a PEM private key:
 * webhookctl and the tests sign that way, a receiver never does.
 */
int	verify_sign(const struct scheme *, const char *secret, size_t,
	    const char *ts, const char *body, size_t bodylen,
	    struct buf *out);
/*
 * As verify_sign, for schemes that also sign request headers
 * (PART_HEADER, Twitch's message id): their values are taken from hdrs.
 * Fails when one of them is not there.
 */
int	verify_sign_headers(const struct scheme *, const char *secret,
	    size_t, const char *ts, const struct header *hdrs, size_t nhdrs,
	    const char *body, size_t bodylen, struct buf *out);
/*
 * For SIG_BODY schemes (Mailgun): appends the encoded signature of a
 * body whose other signed fields (timestamp, token) are already in it,
 * as the body's signature field must hold it.  Returns 0, or -1 when a
 * field is missing or the body is neither JSON nor a form.
 */
int	verify_sign_body(const struct scheme *, const char *secret, size_t,
	    const char *body, size_t bodylen, const char *content_type,
	    struct buf *out);

/*
 * The MAC key a secret stands for under the scheme's secret_form: the
 * text itself, or the bytes a "whsec_" + base64 secret encodes.  key
 * must hold LIMIT_SECRET_LEN bytes.  Returns 0, or -1 when the secret
 * is not in the form the scheme needs.
 */
int	verify_secret_key(enum secret_form, const char *secret, size_t len,
	    unsigned char *key, size_t *keylen);

/*
 * verify_sign for signed-URL schemes: url is the URL the request goes
 * to (for Twilio with a JSON body it must carry bodySHA256 already),
 * method the request method, form set when the body is a form.
 */
int	verify_sign_url(const struct scheme *, const char *secret, size_t,
	    const char *ts, const char *method, const char *url, int form,
	    const char *body, size_t bodylen, struct buf *out);

#endif /* VERIFY_H */
