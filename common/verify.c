/*
 * verify: signature schemes, driven by the descriptor.  Every decision
 * is recorded in struct verdict so that the reason given to the sender,
 * the log and webhookctl explain can never disagree.
 *
 * Rules kept here (PROVIDERS.md, section 4): MACs are compared on the
 * decoded bytes with a constant-time compare of equal lengths; any one
 * candidate signature matching any one secret accepts (key rotation);
 * items under other keys (Stripe's v0) are never tried, so a weaker
 * scheme cannot be downgraded to; the payload is the body as received.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "parse.h"
#include "verify.h"

/* Standard Webhooks' secret prefix (standard-webhooks spec, "Signing
 * secrets"); Stripe's whsec_ secrets are not decoded (SECRET_TEXT). */
#define WHSEC		"whsec_"
#define WHSEC_LEN	6

/* The longest signature of any scheme: a MAC or a DER ECDSA signature. */
#define SIG_MAX	(HMAC_MAX > HMAC_PK_SIG_MAX ? HMAC_MAX : HMAC_PK_SIG_MAX)

/* Candidate signatures decoded from a header. */
struct candidates {
	unsigned char	 mac[LIMIT_SIGNATURES][SIG_MAX];
	size_t		 len[LIMIT_SIGNATURES];
	size_t		 n;
	size_t		 undecodable;
};

/*
 * Decodes one signature.  MACs and Ed25519 signatures have one length;
 * a DER ECDSA signature varies (8 to 72 bytes), and OpenSSL checks its
 * structure when it verifies.
 */
static int
decode(const struct scheme *sc, const char *s, size_t len,
    unsigned char *out, size_t *outlen)
{
	size_t	 want, cap;

	want = sc->pk == HMAC_PK_ED25519 ? 64 : sc->pk == HMAC_PK_P256 ? 0 :
	    hmac_size(sc->alg);
	cap = want != 0 ? want : HMAC_PK_SIG_MAX;
	if (sc->encoding == ENC_HEX ? parse_hex(s, len, out, cap, outlen) ==
	    -1 : parse_base64(s, len, out, cap, outlen) == -1)
		return -1;
	return want != 0 ? (*outlen == want ? 0 : -1) : (*outlen >= 8 ? 0 :
	    -1);
}

static void
candidate_add(const struct scheme *sc, struct candidates *c, const char *s,
    size_t len)
{
	if (c->n == LIMIT_SIGNATURES) {
		c->undecodable++;
		return;
	}
	if (decode(sc, s, len, c->mac[c->n], &c->len[c->n]) == -1)
		c->undecodable++;
	else
		c->n++;
}

static int
set(struct verdict *v, enum verdict_code code, const char *header,
    const char *detail)
{
	v->code = code;
	v->header = header;
	v->detail = detail;
	return 0;
}

/*
 * Reads the candidates and the timestamp text out of the signature
 * header.  Returns 0, or -1 with the verdict set.
 */
static int
read_header(const struct scheme *sc, const struct header *h,
    struct candidates *c, const char **ts, size_t *tslen, struct verdict *v)
{
	struct sig_items	 items;
	const struct sig_item	*it;
	size_t			 i, plen;

	if (sc->format == SIG_PLAIN || sc->format == SIG_BODY) {
		plen = sc->prefix != NULL ? strlen(sc->prefix) : 0;
		if (h->len < plen || strncmp(h->value, sc->prefix != NULL ?
		    sc->prefix : "", plen) != 0)
			return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
			    "the expected prefix is missing"), -1;
		candidate_add(sc, c, h->value + plen, h->len - plen);
		if (c->n == 0)
			return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
			    sc->encoding == ENC_HEX ? "not hex of the"
			    " expected length" : "not base64 of the expected"
			    " length"), -1;
		return 0;
	}
	if (parse_sig_items(h->value, h->len, sc->item_sep, sc->key_sep,
	    &items) == -1)
		return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
		    "not a list of key=value items"), -1;
	for (i = 0; i < items.count; i++) {
		it = &items.item[i];
		if (it->key == NULL)
			continue;
		if (sc->ts_key != NULL && it->keylen == strlen(sc->ts_key) &&
		    memcmp(it->key, sc->ts_key, it->keylen) == 0) {
			/* Two timestamps: which one was signed? Refuse. */
			if (*ts != NULL)
				return set(v, VERDICT_MALFORMED_SIGNATURE,
				    sc->header, "more than one timestamp"), -1;
			*ts = it->val;
			*tslen = it->vallen;
		} else if (it->keylen == strlen(sc->sig_key) &&
		    memcmp(it->key, sc->sig_key, it->keylen) == 0)
			candidate_add(sc, c, it->val, it->vallen);
	}
	if (sc->ts_key != NULL && *ts == NULL)
		return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
		    "no timestamp item"), -1;
	if (c->n == 0)
		return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
		    c->undecodable > 0 ? "no signature decodes to the expected"
		    " length" : "no signature item of the scheme"), -1;
	return 0;
}

static int
read_time(enum ts_format fmt, const char *s, size_t len, time_t *t)
{
	switch (fmt) {
	case TS_UNIX:
		return parse_unix_time(s, len, 0, t);
	case TS_UNIX_MS:
		return parse_unix_time(s, len, 1, t);
	case TS_ISO8601:
		return parse_iso8601(s, len, t);
	case TS_NONE:
		break;
	}
	return -1;
}

/* The header of that name among hdrs, case-insensitively, or NULL. */
static const struct header *
find_header(const struct header *hdrs, size_t nhdrs, const char *name)
{
	size_t	 i;

	for (i = 0; i < nhdrs; i++)
		if (strcasecmp(hdrs[i].name, name) == 0)
			return &hdrs[i];
	return NULL;
}

/* Everything a payload may be made of; text borrowed from the request. */
struct signed_input {
	const char		*ts;
	size_t			 tslen;
	const char		*body;
	size_t			 bodylen;
	const struct header	*hdrs;		/* PART_HEADER */
	size_t			 nhdrs;
	const char		*method;	/* PART_METHOD */
	const char		*url;		/* PART_URL, as the scheme
						   reads it */
	size_t			 urllen;
	const char		*params;	/* PART_PARAMS, sorted */
	size_t			 paramslen;
};

static void
part_text(struct hmac_part *part, const char *s, size_t len)
{
	part->data = s != NULL ? s : "";
	part->len = s != NULL ? len : 0;
}

/*
 * The signed parts; a PART_HEADER takes its value from in->hdrs.
 * Returns the number of parts, or 0 when a header the scheme signs is
 * absent (*missing names it).
 */
static size_t
payload(const struct scheme *sc, const struct signed_input *in,
    struct hmac_part *parts, size_t *total, const char **missing)
{
	const struct signed_part	*sp;
	const struct header		*h;
	size_t				 n = 0;

	*total = 0;
	for (sp = sc->payload; n < SCHEME_MAX_PARTS && sp->kind != PART_END;
	    sp++, n++) {
		switch (sp->kind) {
		case PART_LITERAL:
			part_text(&parts[n], sp->text, strlen(sp->text));
			break;
		case PART_TIMESTAMP:
			part_text(&parts[n], in->ts, in->tslen);
			break;
		case PART_HEADER:
			if ((h = find_header(in->hdrs, in->nhdrs,
			    sp->text)) == NULL) {
				*missing = sp->text;
				return 0;
			}
			part_text(&parts[n], h->value, h->len);
			break;
		case PART_URL:
			part_text(&parts[n], in->url, in->urllen);
			break;
		case PART_METHOD:
			part_text(&parts[n], in->method, in->method != NULL ?
			    strlen(in->method) : 0);
			break;
		case PART_PARAMS:
			part_text(&parts[n], in->params, in->paramslen);
			break;
		default:
			part_text(&parts[n], in->body, in->bodylen);
			break;
		}
		*total += parts[n].len;
	}
	return n;
}

static int
scheme_has(const struct scheme *sc, enum part_kind kind)
{
	size_t	 i;

	for (i = 0; i < SCHEME_MAX_PARTS && sc->payload[i].kind != PART_END;
	    i++)
		if (sc->payload[i].kind == kind)
			return 1;
	return 0;
}

static int
is_form(const char *content_type)
{
	return content_type != NULL && strncasecmp(content_type,
	    "application/x-www-form-urlencoded", 33) == 0;
}

/*
 * The URL as the scheme signs it (HubSpot decodes some escapes), into
 * out, and the form parameters when the scheme signs them.  Twilio
 * signs a JSON body's digest as bodySHA256 in the URL instead, so a URL
 * carrying the parameter means no form parameters.  Returns 0, or -1.
 */
static int
url_input(const struct scheme *sc, const char *url, size_t len, int form,
    const char *body, size_t bodylen, struct buf *u, struct buf *params,
    struct signed_input *in)
{
	struct buf	 digest;
	int		 has_digest = 0;

	buf_reset(u);
	buf_reset(params);
	if (sc->url_hubspot ? parse_url_hubspot(url, len, u) == -1 :
	    buf_add(u, url, len) == -1)
		return -1;
	if (sc->body_digest_param != NULL) {
		buf_init(&digest, 128);
		has_digest = parse_query_field(url, len, sc->body_digest_param,
		    &digest) == 1;
		buf_release(&digest);
	}
	if (scheme_has(sc, PART_PARAMS) && form && !has_digest &&
	    parse_form_sorted(body, bodylen, params) == -1)
		return -1;
	in->url = u->data;
	in->urllen = u->len;
	in->params = params->data;
	in->paramslen = params->len;
	return 0;
}

/*
 * Twilio: a bodySHA256 query parameter must be the body's hex SHA-256,
 * compared in constant time.  1 when it holds or is absent, else 0.
 */
static int
body_digest_ok(const struct scheme *sc, const char *url, size_t len,
    const char *body, size_t bodylen)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[32];
	char			 want[64];
	struct buf		 got;
	size_t			 i;
	int			 ok = 1;

	if (sc->body_digest_param == NULL)
		return 1;
	buf_init(&got, 128);
	if (parse_query_field(url, len, sc->body_digest_param, &got) == 1) {
		ok = got.len == sizeof(want) && hmac_sha256(body != NULL ?
		    body : "", bodylen, md) == 0;
		for (i = 0; ok && i < sizeof(md); i++) {
			want[2 * i] = hex[md[i] >> 4];
			want[2 * i + 1] = hex[md[i] & 15];
		}
		ok = ok && hmac_equal(want, got.data, sizeof(want));
	}
	buf_release(&got);
	return ok;
}

/* Tries every candidate with every public key; sets signature_ok. */
static int
match_pk(const struct scheme *sc, const struct endpoint *ep,
    const struct hmac_part *parts, size_t nparts,
    const struct candidates *c, struct verdict *v)
{
	const struct pubkey	*k;
	size_t			 s, i;
	int			 r;

	v->sigs_tried = c->n;
	v->secrets_tried = ep->npubkeys;
	for (s = 0; s < ep->npubkeys; s++) {
		k = &ep->pubkeys[s];
		for (i = 0; i < c->n; i++) {
			r = hmac_pk_verify(sc->pk, k->der, k->len, parts,
			    nparts, c->mac[i], c->len[i]);
			if (r == -1)
				return -1;
			if (r == 1 && !v->signature_ok) {
				v->signature_ok = 1;
				v->secret_index = (int)s;
			}
		}
	}
	return 0;
}

/* Tries every candidate with every secret; sets signature_ok. */
static int
match(const struct scheme *sc, const struct endpoint *ep,
    const struct hmac_part *parts, size_t nparts,
    const struct candidates *c, struct verdict *v)
{
	unsigned char	 mac[HMAC_MAX], key[LIMIT_SECRET_LEN];
	size_t		 s, i, keylen, len = hmac_size(sc->alg);
	int		 rc;

	if (sc->pk != HMAC_PK_NONE)
		return match_pk(sc, ep, parts, nparts, c, v);
	v->sigs_tried = c->n;
	v->secrets_tried = ep->nsecrets;
	for (s = 0; s < ep->nsecrets; s++) {
		if (verify_secret_key(sc->secret_form, ep->secrets[s].data,
		    ep->secrets[s].len, key, &keylen) == -1) {
			/* Never which secret, nor any of its bytes. */
			v->detail = "a configured secret is not whsec_ +"
			    " base64, as the scheme needs";
			return -1;
		}
		rc = hmac_compute(sc->alg, key, keylen, parts, nparts, mac);
		hmac_cleanse(key, keylen);
		if (rc == -1) {
			v->detail = "HMAC computation failed";
			return -1;
		}
		if (s == 0) {
			memcpy(v->expected, mac, len);
			v->expected_len = len;
		}
		/* Compare with all candidates: the time does not tell which. */
		for (i = 0; i < c->n; i++)
			if (c->len[i] == len &&
			    hmac_equal(mac, c->mac[i], len) &&
			    !v->signature_ok) {
				v->signature_ok = 1;
				v->secret_index = (int)s;
			}
	}
	hmac_cleanse(mac, sizeof(mac));
	return 0;
}

/* A shared token: compare digests, so length is not leaked either. */
static void
match_token(const struct endpoint *ep, const struct header *h,
    struct verdict *v)
{
	unsigned char	 want[32], got[32];
	size_t		 s;

	v->sigs_tried = 1;
	v->secrets_tried = ep->nsecrets;
	if (hmac_sha256(h->value, h->len, got) == -1)
		return;
	for (s = 0; s < ep->nsecrets; s++)
		if (hmac_sha256(ep->secrets[s].data, ep->secrets[s].len,
		    want) == 0 && hmac_equal(want, got, sizeof(got)) &&
		    !v->signature_ok) {
			v->signature_ok = 1;
			v->secret_index = (int)s;
		}
}

/*
 * A header the request holds more than once.  Web servers join repeated
 * headers into one value (which then fails to parse); only a broken or
 * hostile gateway passes two, and then which one was signed is unclear.
 */
static int
repeated(const struct header *hdrs, size_t nhdrs, const char *name)
{
	size_t	 i, n = 0;

	for (i = 0; i < nhdrs; i++)
		if (strcasecmp(hdrs[i].name, name) == 0)
			n++;
	return n > 1;
}

/* A header the scheme signs, sent more than once: which one counts? */
static int
repeated_part(const struct scheme *sc, const struct header *hdrs,
    size_t nhdrs, const char **which)
{
	const struct signed_part	*sp;
	size_t				 n;

	for (sp = sc->payload, n = 0; n < SCHEME_MAX_PARTS &&
	    sp->kind != PART_END; sp++, n++)
		if (sp->kind == PART_HEADER && repeated(hdrs, nhdrs,
		    sp->text)) {
			*which = sp->text;
			return 1;
		}
	return 0;
}

/*
 * The payload of in, matched against the candidates; on a match the
 * SHA-256 of the signed bytes is kept (deduplication on them).
 * Returns 0, or -1 with the verdict set.
 */
static int
match_parts(const struct scheme *sc, const struct endpoint *ep,
    const struct signed_input *in, const struct candidates *c,
    struct verdict *v)
{
	struct hmac_part	 parts[SCHEME_MAX_PARTS];
	const char		*missing = NULL;
	size_t			 nparts;

	if ((nparts = payload(sc, in, parts, &v->signed_len, &missing)) == 0)
		return set(v, VERDICT_MALFORMED_SIGNATURE, missing,
		    "absent, and the signature covers it"), -1;
	if (match(sc, ep, parts, nparts, c, v) == -1)
		return set(v, VERDICT_ERROR, NULL, sc->pk != HMAC_PK_NONE ?
		    "signature verification failed" : v->detail), -1;
	if (v->signature_ok && !v->have_signed) {
		if (hmac_sha256_parts(parts, nparts, v->signed_sha256) == -1)
			return set(v, VERDICT_ERROR, NULL,
			    "SHA-256 computation failed"), -1;
		v->have_signed = 1;
		/* GitHub and most others: the body's digest is this one. */
		v->signed_is_body = nparts == 1 && parts[0].data == in->body &&
		    parts[0].len == in->bodylen;
	}
	return 0;
}

/*
 * Matches the candidates over the payload, for each spelling of the URL
 * a signed-URL scheme allows (Twilio: with and without the default port,
 * as its SDKs accept).  Returns 0, or -1 with the verdict set.
 */
static int
match_urls(const struct scheme *sc, const struct endpoint *ep,
    const struct request *req, struct signed_input *in,
    const struct candidates *c, struct verdict *v)
{
	struct buf		 url, alt[2], u, params;
	const struct buf	*try[3];
	size_t			 i, ntry = 0;
	int			 rc = -1;

	if (!scheme_has(sc, PART_URL))
		return match_parts(sc, ep, in, c, v);
	buf_init(&url, LIMIT_URL + 1);
	buf_init(&alt[0], LIMIT_URL + 16);
	buf_init(&alt[1], LIMIT_URL + 16);
	buf_init(&u, LIMIT_URL + 1);
	buf_init(&params, req->body.len + 1);
	if (verify_url(ep, req, &url) == -1) {
		set(v, VERDICT_MALFORMED_SIGNATURE, "Host", "no Host header (or"
		    " a URL over the limit) to rebuild the signed URL from:"
		    " set public_url");
		goto out;
	}
	snprintf(v->url, sizeof(v->url), "%s", url.data);
	v->url_rebuilt = ep->public_url == NULL;
	try[ntry++] = &url;
	if (sc->url_ports && parse_url_ports(url.data, url.len, &alt[0],
	    &alt[1]) == 0) {
		try[ntry++] = &alt[0];
		try[ntry++] = &alt[1];
	}
	for (i = 0; i < ntry && !v->signature_ok; i++) {
		if (url_input(sc, try[i]->data, try[i]->len,
		    is_form(req->content_type), req->body.data,
		    req->body.len, &u, &params, in) == -1) {
			set(v, VERDICT_MISMATCH, sc->header, "the form body"
			    " cannot be decoded");
			goto out;
		}
		if (match_parts(sc, ep, in, c, v) == -1)
			goto out;
	}
	if (v->signature_ok && !body_digest_ok(sc, url.data, url.len,
	    req->body.data, req->body.len)) {
		v->signature_ok = 0;
		set(v, VERDICT_MISMATCH, sc->header, "the URL's signature is"
		    " valid, but its bodySHA256 is not the body's digest");
		goto out;
	}
	rc = 0;
out:
	buf_release(&url);
	buf_release(&alt[0]);
	buf_release(&alt[1]);
	buf_release(&u);
	buf_release(&params);
	return rc;
}

/*
 * The timestamp of a scheme that keeps it in the JSON body (Linear):
 * its text, copied into out.  Returns 0, or -1 with the verdict set.
 */
static int
body_time(const struct scheme *sc, const struct request *req,
    struct buf *out, struct verdict *v)
{
	struct json_doc	*doc;
	char		 err[128];
	int		 rc;

	if ((doc = json_parse(req->body.data != NULL ? req->body.data : "",
	    req->body.len, err, sizeof(err))) == NULL)
		return set(v, VERDICT_MISSING_TIMESTAMP, sc->ts_field,
		    "the body is not JSON"), -1;
	rc = json_get(doc, sc->ts_field, out);
	json_doc_free(doc);
	if (rc != 1)
		return set(v, VERDICT_MISSING_TIMESTAMP, sc->ts_field, NULL),
		    -1;
	return 0;
}

/*
 * Checks a signature found in h against the scheme.  The other values
 * the scheme reads (timestamp, signed headers) are looked up in hdrs:
 * the request's headers, or for SIG_BODY the fields of the body.
 */
static int
check(const struct scheme *sc, long tolerance, const struct endpoint *ep,
    const struct request *req, const struct header *hdrs, size_t nhdrs,
    const struct header *h, time_t now, struct verdict *v)
{
	struct candidates	 c;
	struct signed_input	 in;
	const struct header	*th;
	struct buf		 bts;
	const char		*ts = NULL, *missing = NULL;
	size_t			 tslen = 0;
	time_t			 t;
	int			 rc, in_body = 0;

	if (repeated(hdrs, nhdrs, sc->header))
		return set(v, VERDICT_MALFORMED_SIGNATURE, sc->header,
		    "sent more than once");
	if (sc->format == SIG_TOKEN) {
		match_token(ep, h, v);
		if (!v->signature_ok)
			set(v, VERDICT_MISMATCH, sc->header, NULL);
		return v->signature_ok;
	}
	memset(&c, 0, sizeof(c));
	if (read_header(sc, h, &c, &ts, &tslen, v) == -1)
		return 0;
	if (sc->ts_key == NULL && sc->ts_header != NULL) {
		if ((th = find_header(hdrs, nhdrs, sc->ts_header)) == NULL)
			return set(v, VERDICT_MISSING_TIMESTAMP, sc->ts_header,
			    NULL);
		if (repeated(hdrs, nhdrs, sc->ts_header))
			return set(v, VERDICT_MALFORMED_TIMESTAMP,
			    sc->ts_header, "sent more than once");
		ts = th->value;
		tslen = th->len;
	}
	if (sc->ts_key == NULL && sc->ts_header == NULL &&
	    sc->ts_field != NULL) {
		buf_init(&bts, 64);
		if (body_time(sc, req, &bts, v) == -1) {
			buf_release(&bts);
			return 0;
		}
		rc = read_time(sc->ts_format, bts.data, bts.len, &t);
		buf_release(&bts);
		if (rc == -1)
			return set(v, VERDICT_MALFORMED_TIMESTAMP, sc->ts_field,
			    "not a timestamp in the expected format");
		v->have_skew = 1;
		v->skew = (long long)now - (long long)t;
		/* The body holds it: nothing more to sign, but a window. */
		ts = "";
		in_body = 1;
	}
	if (ts != NULL && !in_body) {
		if (read_time(sc->ts_format, ts, tslen, &t) == -1)
			return set(v, VERDICT_MALFORMED_TIMESTAMP,
			    sc->ts_header != NULL ? sc->ts_header : sc->header,
			    "not a timestamp in the expected format");
		v->have_skew = 1;
		v->skew = (long long)now - (long long)t;
	}
	if (repeated_part(sc, hdrs, nhdrs, &missing))
		return set(v, VERDICT_MALFORMED_SIGNATURE, missing,
		    "sent more than once");
	memset(&in, 0, sizeof(in));
	in.ts = ts;
	in.tslen = tslen;
	in.body = req->body.data;
	in.bodylen = req->body.len;
	in.hdrs = hdrs;
	in.nhdrs = nhdrs;
	in.method = req->method;
	if (match_urls(sc, ep, req, &in, &c, v) == -1)
		return 0;
	v->tolerance = ts != NULL ? tolerance : 0;
	if (v->tolerance > 0 && v->skew > v->tolerance)
		return set(v, VERDICT_STALE_TIMESTAMP, sc->ts_header != NULL ?
		    sc->ts_header : sc->header, NULL);
	if (v->tolerance > 0 && v->skew < -v->tolerance)
		return set(v, VERDICT_FUTURE_TIMESTAMP, sc->ts_header != NULL ?
		    sc->ts_header : sc->header, NULL);
	if (!v->signature_ok)
		return set(v, VERDICT_MISMATCH, sc->header, v->detail);
	v->code = VERDICT_OK;
	v->header = sc->header;
	return 1;
}

int
verify_trusted_proxy(const struct request *req, const struct endpoint *ep)
{
	size_t	 i;

	for (i = 0; i < ep->ntrusted_proxies; i++)
		if (parse_net_contains(&ep->trusted_proxies[i],
		    req->remote_addr))
			return 1;
	return 0;
}

int
verify_https(const struct request *req, const struct endpoint *ep)
{
	const struct header	*h;

	if (req->https)
		return 1;
	if ((h = request_header(req, "X-Forwarded-Proto")) == NULL ||
	    !verify_trusted_proxy(req, ep))
		return 0;
	return parse_forwarded_https(h->value, h->len);
}

int
verify_url(const struct endpoint *ep, const struct request *req,
    struct buf *out)
{
	const struct header	*host;
	const char		*uri = req->uri != NULL ? req->uri : "/";
	const char		*q = strchr(uri, '?');
	size_t			 n;

	if (ep->public_url != NULL) {
		/*
		 * The configured scheme, host and path; the query as sent,
		 * since Twilio adds bodySHA256 to the URL it was given.
		 */
		n = strcspn(ep->public_url, "?");
		if (q == NULL)
			q = ep->public_url + n;
		if (buf_add(out, ep->public_url, n) == -1 ||
		    buf_adds(out, q) == -1)
			return -1;
		return out->len > LIMIT_URL ? -1 : 0;
	}
	if ((host = request_header(req, "Host")) == NULL || host->len == 0)
		return -1;
	if (buf_adds(out, verify_https(req, ep) ? "https://" : "http://") ==
	    -1 || buf_add(out, host->value, host->len) == -1 ||
	    buf_adds(out, uri) == -1)
		return -1;
	return out->len > LIMIT_URL ? -1 : 0;
}

/* The fields a SIG_BODY scheme reads, as name/value pairs. */
struct body_fields {
	struct header	 f[SCHEME_MAX_PARTS + 2];
	struct buf	 val[SCHEME_MAX_PARTS + 2];
	size_t		 n;
};

/*
 * Copies one field of the body, if there: from a form, or from the
 * object sc->body_object of a JSON body.  Returns 0, or -1 when the
 * field is badly encoded or does not fit (LIMIT_BODY_FIELD).
 */
static int
body_field(const struct scheme *sc, const char *body, size_t len,
    const struct json_doc *doc, const char *name, struct body_fields *bf)
{
	struct buf	*b = &bf->val[bf->n];
	char		 path[128];
	int		 rc;

	if (find_header(bf->f, bf->n, name) != NULL ||
	    bf->n == sizeof(bf->f) / sizeof(bf->f[0]))
		return 0;
	buf_init(b, LIMIT_BODY_FIELD + 1);
	if (doc == NULL)
		rc = parse_form_field(body, len, name, b);
	else {
		snprintf(path, sizeof(path), "%s%s%s", sc->body_object != NULL ?
		    sc->body_object : "", sc->body_object != NULL ? "." : "",
		    name);
		rc = json_get(doc, path, b);
	}
	if (rc != 1) {
		buf_release(b);
		return rc;
	}
	bf->f[bf->n].name = name;
	bf->f[bf->n].value = b->data != NULL ? b->data : "";
	bf->f[bf->n].len = b->len;
	bf->n++;
	return 0;
}

static void
body_fields_release(struct body_fields *bf)
{
	size_t	 i;

	for (i = 0; i < bf->n; i++)
		buf_release(&bf->val[i]);
	bf->n = 0;
}

/*
 * Reads every field a SIG_BODY scheme needs from a form or a JSON body.
 * Returns 0, 1 when the body is neither JSON nor a form, -1 when a
 * field is badly encoded or too long.  Release with body_fields_release.
 */
static int
body_fields_read(const struct scheme *sc, const char *body, size_t len,
    const char *content_type, struct body_fields *bf)
{
	const struct signed_part	*sp;
	struct json_doc			*doc = NULL;
	char				 err[128];
	size_t				 n;
	int				 rc = 0;

	memset(bf, 0, sizeof(*bf));
	if (body == NULL)
		body = "";
	if (!is_form(content_type) && (doc = json_parse(body, len, err,
	    sizeof(err))) == NULL)
		return 1;
	if (body_field(sc, body, len, doc, sc->header, bf) == -1 ||
	    (sc->ts_header != NULL &&
	    body_field(sc, body, len, doc, sc->ts_header, bf) == -1))
		rc = -1;
	for (sp = sc->payload, n = 0; rc == 0 && n < SCHEME_MAX_PARTS &&
	    sp->kind != PART_END; sp++, n++)
		if (sp->kind == PART_HEADER &&
		    body_field(sc, body, len, doc, sp->text, bf) == -1)
			rc = -1;
	json_doc_free(doc);
	return rc;
}

/*
 * Mailgun: the signature, its timestamp and what else it signs are
 * fields of the body (JSON, or a form).  They are read into name/value
 * pairs, then checked like headers.
 */
static int
check_body(const struct scheme *sc, long tolerance,
    const struct endpoint *ep, const struct request *req, time_t now,
    struct verdict *v)
{
	const struct header		*h;
	struct body_fields		 bf;
	int				 rc, ok = 0;

	v->in_body = 1;
	rc = body_fields_read(sc, req->body.data, req->body.len,
	    req->content_type, &bf);
	if (rc == 1)
		set(v, VERDICT_MALFORMED_SIGNATURE, sc->header, "the body is"
		    " neither JSON nor a form, so it holds no signature");
	else if (rc == -1)
		set(v, VERDICT_MALFORMED_SIGNATURE, sc->header, "a signed field"
		    " is badly encoded or too long");
	else if ((h = find_header(bf.f, bf.n, sc->header)) == NULL)
		set(v, VERDICT_MISSING_SIGNATURE, sc->header, NULL);
	else
		ok = check(sc, tolerance, ep, req, bf.f, bf.n, h, now, v);
	body_fields_release(&bf);
	return ok;
}

int
verify_request(const struct provider *p, const struct scheme *sc,
    const struct endpoint *ep, const struct request *req, time_t now,
    struct verdict *v)
{
	const struct header	*h;
	long			 tolerance;

	memset(v, 0, sizeof(*v));
	v->secret_index = -1;
	if (ep->allow_unsigned) {
		v->code = VERDICT_UNSIGNED;
		return 1;
	}
	if (sc->format == SIG_NONE || sc->header == NULL)
		return set(v, VERDICT_NO_SCHEME, NULL, NULL);
	v->pk = sc->pk != HMAC_PK_NONE;
	if (v->pk ? ep->npubkeys == 0 : ep->nsecrets == 0)
		return set(v, VERDICT_NO_SECRET, NULL, NULL);
	tolerance = ep->tolerance >= 0 ? ep->tolerance : p->tolerance;
	if (sc->format == SIG_BODY)
		return check_body(sc, tolerance, ep, req, now, v);
	if ((h = request_header(req, sc->header)) != NULL)
		return check(sc, tolerance, ep, req, req->headers,
		    req->nheaders, h, now, v);
	/* The legacy scheme only stands in when the main one is absent. */
	if (ep->allow_sha1 && p->legacy.header != NULL &&
	    (h = request_header(req, p->legacy.header)) != NULL) {
		v->legacy = 1;
		return check(&p->legacy, tolerance, ep, req, req->headers,
		    req->nheaders, h, now, v);
	}
	return set(v, VERDICT_MISSING_SIGNATURE, sc->header, NULL);
}

static int
override_payload(struct scheme *out, const struct endpoint *ep, char *err,
    size_t errlen)
{
	memset(out->payload, 0, sizeof(out->payload));
	if (ep->signed_payload == NULL ||
	    strcmp(ep->signed_payload, "body") == 0) {
		out->payload[0].kind = PART_BODY;
		return 0;
	}
	if (out->ts_header == NULL) {
		snprintf(err, errlen, "signed = timestamp+body needs"
		    " timestamp_header");
		return -1;
	}
	out->payload[0].kind = PART_TIMESTAMP;
	out->payload[1].kind = PART_LITERAL;
	out->payload[1].text = ep->signed_separator != NULL ?
	    ep->signed_separator : "";
	out->payload[2].kind = PART_BODY;
	return 0;
}

/* Every public_key must be of the kind the provider signs with. */
static int
check_pubkeys(const struct provider *p, const struct endpoint *ep,
    char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; i < ep->npubkeys; i++)
		if (p->scheme.pk == HMAC_PK_NONE ||
		    ep->pubkeys[i].kind != (int)p->scheme.pk) {
			snprintf(err, errlen, "public_key (line %d) is an %s"
			    " key, but %s %s%s", ep->pubkeys[i].line,
			    hmac_pk_name((enum hmac_pk)ep->pubkeys[i].kind),
			    p->name, p->scheme.pk == HMAC_PK_NONE ?
			    "uses secrets, not public keys" : "signs with ",
			    p->scheme.pk == HMAC_PK_NONE ? "" :
			    hmac_pk_name(p->scheme.pk));
			return -1;
		}
	return 0;
}

int
verify_scheme(const struct provider *p, const struct endpoint *ep,
    struct scheme *out, char *err, size_t errlen)
{
	*out = p->scheme;
	if (ep->token_header != NULL) {
		out->header = ep->token_header;
		out->format = SIG_TOKEN;
		return 0;
	}
	if (ep->signature_header != NULL) {
		out->header = ep->signature_header;
		if (out->format == SIG_NONE || out->format == SIG_TOKEN)
			out->format = SIG_PLAIN;
	}
	if (ep->algorithm != NULL &&
	    hmac_parse_alg(ep->algorithm, &out->alg) == -1) {
		snprintf(err, errlen, "unknown algorithm '%s'", ep->algorithm);
		return -1;
	}
	if (ep->encoding != NULL)
		out->encoding = strcmp(ep->encoding, "base64") == 0 ?
		    ENC_BASE64 : ENC_HEX;
	if (ep->signature_prefix != NULL)
		out->prefix = ep->signature_prefix;
	if (ep->timestamp_header != NULL) {
		out->ts_header = ep->timestamp_header;
		if (out->ts_format == TS_NONE)
			out->ts_format = TS_UNIX;
	}
	if (ep->timestamp_format != NULL)
		out->ts_format = strcmp(ep->timestamp_format, "unix_ms") == 0 ?
		    TS_UNIX_MS : strcmp(ep->timestamp_format, "iso8601") == 0 ?
		    TS_ISO8601 : TS_UNIX;
	if (check_pubkeys(p, ep, err, errlen) == -1)
		return -1;
	/* The payload is the descriptor's unless the endpoint names one. */
	if (ep->signed_payload != NULL || p->scheme.format == SIG_NONE)
		return override_payload(out, ep, err, errlen);
	return 0;
}

const char *
verify_code_name(enum verdict_code code)
{
	static const char *const names[] = {
		"ok", "unsigned", "no_scheme", "no_secret",
		"missing_signature", "malformed_signature",
		"missing_timestamp", "malformed_timestamp",
		"stale_timestamp", "future_timestamp", "mismatch", "error",
	};

	return (size_t)code < sizeof(names) / sizeof(names[0]) ?
	    names[code] : "error";
}

int
verify_status(enum verdict_code code)
{
	switch (code) {
	case VERDICT_OK:
	case VERDICT_UNSIGNED:
		return 200;
	case VERDICT_NO_SCHEME:
	case VERDICT_NO_SECRET:
	case VERDICT_ERROR:
		/* Our configuration, not the sender: let it retry later. */
		return 503;
	default:
		return 401;
	}
}

int
verify_reason(const struct verdict *v, struct buf *out)
{
	const char	*h = v->header != NULL ? v->header : "";
	const char	*where = v->in_body ? "field" : "header";

	switch (v->code) {
	case VERDICT_OK:
		return buf_printf(out, "signature verified%s (%s #%d)",
		    v->legacy ? " by the legacy SHA-1 header" : "",
		    v->pk ? "public key" : "secret", v->secret_index + 1);
	case VERDICT_UNSIGNED:
		return buf_adds(out, "accepted unsigned:"
		    " insecure_allow_unsigned is set");
	case VERDICT_NO_SCHEME:
		return buf_adds(out, "endpoint has no signature scheme:"
		    " set signature_header or token_header");
	case VERDICT_NO_SECRET:
		return buf_adds(out, v->pk ? "endpoint has no public_key"
		    " configured" : "endpoint has no secret configured");
	case VERDICT_MISSING_SIGNATURE:
		return buf_printf(out, "missing signature %s '%s'", where, h);
	case VERDICT_MALFORMED_SIGNATURE:
		return buf_printf(out, "malformed signature %s '%s': %s",
		    where, h, v->detail != NULL ? v->detail : "unreadable");
	case VERDICT_MISSING_TIMESTAMP:
		return buf_printf(out, "missing timestamp %s '%s'", where, h);
	case VERDICT_MALFORMED_TIMESTAMP:
		return buf_printf(out, "malformed timestamp in '%s': %s", h,
		    v->detail);
	case VERDICT_STALE_TIMESTAMP:
	case VERDICT_FUTURE_TIMESTAMP:
		return buf_printf(out, "timestamp outside tolerance: %s by"
		    " %lld s (tolerance %ld s, signature %s)",
		    v->code == VERDICT_STALE_TIMESTAMP ? "old" : "ahead",
		    v->skew < 0 ? -v->skew : v->skew, v->tolerance,
		    v->signature_ok ? "valid" : "invalid");
	case VERDICT_MISMATCH:
		if (buf_printf(out, "signature mismatch in '%s': %zu"
		    " signature%s x %zu %s%s tried over %zu bytes", h,
		    v->sigs_tried, v->sigs_tried == 1 ? "" : "s",
		    v->secrets_tried, v->pk ? "public key" : "secret",
		    v->secrets_tried == 1 ? "" : "s", v->signed_len) == -1 ||
		    (v->detail != NULL && buf_printf(out, "; %s",
		    v->detail) == -1))
			return -1;
		if (v->url[0] != '\0')
			return buf_printf(out, "; signed URL tried: %s (%s)",
			    v->url, v->url_rebuilt ? "rebuilt from the"
			    " request: set public_url to the URL configured"
			    " at the provider" : "public_url");
		return 0;
	case VERDICT_ERROR:
		return buf_printf(out, "internal error: %s", v->detail);
	}
	return -1;
}

int
verify_encode(enum sig_encoding enc, const unsigned char *mac, size_t len,
    struct buf *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	if (enc == ENC_BASE64)
		return json_add_base64(out, mac, len);
	for (i = 0; i < len; i++)
		if (buf_addc(out, hex[mac[i] >> 4]) == -1 ||
		    buf_addc(out, hex[mac[i] & 15]) == -1)
			return -1;
	return 0;
}

int
verify_secret_key(enum secret_form form, const char *secret, size_t len,
    unsigned char *key, size_t *keylen)
{
	int	 whsec = len >= WHSEC_LEN && strncmp(secret, WHSEC,
	    WHSEC_LEN) == 0;

	if (form == SECRET_TEXT || (form == SECRET_WHSEC_OR_TEXT && !whsec)) {
		if (len > LIMIT_SECRET_LEN)
			return -1;
		memcpy(key, secret, len);
		*keylen = len;
		return 0;
	}
	if (whsec) {
		secret += WHSEC_LEN;
		len -= WHSEC_LEN;
	}
	if (parse_base64(secret, len, key, LIMIT_SECRET_LEN, keylen) == -1 ||
	    *keylen == 0)
		return -1;
	return 0;
}

/* The signature header lines for in (see verify_sign); 0 or -1. */
static int
sign_input(const struct scheme *sc, const char *secret, size_t secretlen,
    const struct signed_input *in, struct buf *out)
{
	const char		*ts = in->ts;
	struct hmac_part	 parts[SCHEME_MAX_PARTS];
	unsigned char		 mac[SIG_MAX], key[LIMIT_SECRET_LEN];
	const char		*missing = NULL;
	size_t			 nparts, total, keylen;
	size_t			 maclen = hmac_size(sc->alg);
	int			 rc;

	if (sc->format == SIG_TOKEN)
		return buf_printf(out, "%s: ", sc->header) == -1 ||
		    buf_add(out, secret, secretlen) == -1 ||
		    buf_addc(out, '\n') == -1 ? -1 : 0;
	if (sc->format == SIG_NONE || sc->header == NULL)
		return -1;
	if ((nparts = payload(sc, in, parts, &total, &missing)) == 0)
		return -1;
	if (sc->pk != HMAC_PK_NONE) {
		if (hmac_pk_sign(sc->pk, secret, secretlen, parts, nparts, mac,
		    &maclen) == -1)
			return -1;
	} else {
		if (verify_secret_key(sc->secret_form, secret, secretlen, key,
		    &keylen) == -1)
			return -1;
		rc = hmac_compute(sc->alg, key, keylen, parts, nparts, mac);
		hmac_cleanse(key, keylen);
		if (rc == -1)
			return -1;
	}
	if (sc->format == SIG_ITEMS) {
		rc = buf_printf(out, "%s: ", sc->header);
		if (rc == 0 && sc->ts_key != NULL)
			rc = buf_printf(out, "%s%c%s%c", sc->ts_key,
			    sc->key_sep, ts != NULL ? ts : "", sc->item_sep);
		if (rc == 0)
			rc = buf_printf(out, "%s%c", sc->sig_key, sc->key_sep);
	} else
		rc = buf_printf(out, "%s: %s", sc->header,
		    sc->prefix != NULL ? sc->prefix : "");
	if (rc == 0)
		rc = verify_encode(sc->encoding, mac, maclen, out);
	if (rc == 0)
		rc = buf_addc(out, '\n');
	if (rc == 0 && sc->ts_header != NULL && sc->ts_key == NULL)
		rc = buf_printf(out, "%s: %s\n", sc->ts_header,
		    ts != NULL ? ts : "");
	hmac_cleanse(mac, sizeof(mac));
	return rc;
}

int
verify_sign_body(const struct scheme *sc, const char *secret,
    size_t secretlen, const char *body, size_t bodylen,
    const char *content_type, struct buf *out)
{
	struct body_fields	 bf;
	struct signed_input	 in;
	struct hmac_part	 parts[SCHEME_MAX_PARTS];
	unsigned char		 mac[HMAC_MAX];
	const struct header	*th;
	const char		*missing = NULL;
	size_t			 nparts, total;
	int			 rc = -1;

	if (sc->format != SIG_BODY)
		return -1;
	if (body_fields_read(sc, body, bodylen, content_type, &bf) != 0) {
		body_fields_release(&bf);
		return -1;
	}
	th = sc->ts_header != NULL ? find_header(bf.f, bf.n, sc->ts_header) :
	    NULL;
	memset(&in, 0, sizeof(in));
	in.ts = th != NULL ? th->value : NULL;
	in.tslen = th != NULL ? th->len : 0;
	in.body = body;
	in.bodylen = bodylen;
	in.hdrs = bf.f;
	in.nhdrs = bf.n;
	if ((sc->ts_header == NULL || th != NULL) &&
	    (nparts = payload(sc, &in, parts, &total, &missing)) > 0 &&
	    hmac_compute(sc->alg, secret, secretlen, parts, nparts, mac) == 0)
		rc = verify_encode(sc->encoding, mac, hmac_size(sc->alg), out);
	hmac_cleanse(mac, sizeof(mac));
	body_fields_release(&bf);
	return rc;
}

int
verify_sign(const struct scheme *sc, const char *secret, size_t secretlen,
    const char *ts, const char *body, size_t bodylen, struct buf *out)
{
	return verify_sign_headers(sc, secret, secretlen, ts, NULL, 0, body,
	    bodylen, out);
}

int
verify_sign_headers(const struct scheme *sc, const char *secret,
    size_t secretlen, const char *ts, const struct header *hdrs,
    size_t nhdrs, const char *body, size_t bodylen, struct buf *out)
{
	struct signed_input	 in;

	memset(&in, 0, sizeof(in));
	in.ts = ts;
	in.tslen = ts != NULL ? strlen(ts) : 0;
	in.body = body;
	in.bodylen = bodylen;
	in.hdrs = hdrs;
	in.nhdrs = nhdrs;
	in.method = "POST";
	return sign_input(sc, secret, secretlen, &in, out);
}

int
verify_sign_url(const struct scheme *sc, const char *secret,
    size_t secretlen, const char *ts, const char *method, const char *url,
    int form, const char *body, size_t bodylen, struct buf *out)
{
	struct signed_input	 in;
	struct buf		 u, params;
	int			 rc = 0;

	memset(&in, 0, sizeof(in));
	in.ts = ts;
	in.tslen = ts != NULL ? strlen(ts) : 0;
	in.body = body;
	in.bodylen = bodylen;
	in.method = method;
	buf_init(&u, LIMIT_URL + 1);
	buf_init(&params, bodylen + 1);
	if (scheme_has(sc, PART_URL))
		rc = url == NULL ? -1 : url_input(sc, url, strlen(url), form,
		    body, bodylen, &u, &params, &in);
	if (rc == 0)
		rc = sign_input(sc, secret, secretlen, &in, out);
	buf_release(&u);
	buf_release(&params);
	return rc;
}
