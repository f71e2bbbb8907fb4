/*
 * fuzz-signature: each provider's signature header, through the real
 * descriptors (handlers/<name>.c) and verify.c: prefixes, Stripe's t=/v1=
 * items, hex and base64, timestamps in every format, the legacy SHA-1
 * header, the generic receiver's schemes and shared token, and Meta,
 * Dropbox, Zoom and Twitch (whose signature covers a header too: its
 * message id, always "msg-1" here), Standard Webhooks (standardwebhooks
 * and openai: space-separated "v1,<base64>" lists over id.ts.body, keyed
 * with the decoded whsec_ secret, or openai's text), Linear (its time
 * in the JSON body), Paddle (';' items), PagerDuty (a v1= list),
 * Shopify (bare base64), and Mailgun, whose signature block is read
 * from the body, JSON or a form (the signature and timestamp lines are
 * unused there).
 *
 * Input, lines ending in '\n', the last field taking the rest:
 *   variant   its first byte: '0'-'9' pick an endpoint below (others
 *             mod 32: 'J'-'N' are 10-14, 'O'-'T' 15-20)
 *   now       Unix seconds of the verifier's clock
 *   secret    the endpoint's first secret (a second, "old", is tried too)
 *   signature the signature header's value (any byte); absent when empty
 *   timestamp the timestamp header's value; absent when empty
 *   body      the rest
 * tests/vectors/ cases become seeds this way (tests/fuzz/seed.sh).
 *
 * Properties: the verdict and its HTTP status agree; the reason text is
 * always made; and an acceptance is never a forgery: the signature
 * header must hold the MAC that verify_sign computes for the secret
 * that matched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hmac.h"
#include "parse.h"
#include "provider.h"
#include "verify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 32, not 21: 'J'-'N' stay 10-14 as with 15 (74 - 10 = 64 = 2 x 32). */
#define NVARIANTS	32

/* The value of every header a scheme signs besides its own. */
#define SIGNED_HEADER	"msg-1"

/* Splits off the next line; the last field takes the rest. */
static const char *
field(const char **p, const char *end, size_t *len, int last)
{
	const char	*s = *p, *nl;

	nl = last ? NULL : memchr(s, '\n', (size_t)(end - s));
	if (nl == NULL)
		nl = end;
	*len = (size_t)(nl - s);
	*p = nl < end ? nl + 1 : end;
	return s;
}

/* The endpoint of a variant: the provider and the keys that shape it. */
static const struct provider *
variant(int v, struct endpoint *ep)
{
	ep->tolerance = -1;
	switch (v) {
	case 0:
		return &provider_github;
	case 1:
		ep->allow_sha1 = 1;
		return &provider_github;
	case 2:
		return &provider_stripe;
	case 3:
		return &provider_slack;
	case 4:
		return &provider_zendesk;
	case 5:
		ep->signature_header = "X-Signature";
		ep->signature_prefix = "sha256=";
		ep->signed_payload = "timestamp+body";
		ep->signed_separator = ".";
		ep->timestamp_header = "X-Timestamp";
		return &provider_iot;
	case 6:
		ep->signature_header = "X-Signature";
		ep->signature_prefix = "sha256=";
		ep->encoding = "base64";
		ep->signed_payload = "body";
		return &provider_iot;
	case 7:
		ep->token_header = "X-Token";
		return &provider_iot;
	case 9:
		return &provider_twitch;
	case 10:
		return &provider_meta;
	case 11:
		return &provider_dropbox;
	case 12:
		return &provider_zoom;
	case 13:
		return &provider_standardwebhooks;
	case 14:
		return &provider_openai;
	case 15:
		return &provider_linear;	/* time in the JSON body */
	case 16:
		return &provider_paddle;	/* ts=;h1=;h1= */
	case 17:
		return &provider_pagerduty;	/* v1= list, no time */
	case 18:
		return &provider_shopify;	/* base64, no prefix */
	case 19:
	case 20:
		return &provider_mailgun;	/* in the body: JSON, form */
	default:
		ep->signature_header = "X-Sig";
		ep->algorithm = "sha512";
		ep->timestamp_header = "X-Ts";
		ep->timestamp_format = "unix_ms";
		ep->signed_payload = "timestamp+body";
		return &provider_iot;
	}
}

/* Compares two encodings, ignoring base64 padding. */
static int
same_mac(const char *a, size_t alen, const char *b, size_t blen)
{
	while (alen > 0 && a[alen - 1] == '=')
		alen--;
	while (blen > 0 && b[blen - 1] == '=')
		blen--;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * An acceptance must rest on the MAC of the secret that matched,
 * recomputed here from the scheme: the header holds exactly it.
 */
static void
check_genuine(const struct scheme *sc, const struct endpoint *ep,
    const struct verdict *v, const char *sig, size_t siglen,
    const char *ts, size_t tslen, const char *body, size_t bodylen)
{
	const struct signed_part	*sp;
	const struct secret		*s;
	struct hmac_part		 parts[SCHEME_MAX_PARTS];
	struct sig_items		 items;
	unsigned char			 mac[HMAC_MAX], key[LIMIT_SECRET_LEN];
	struct buf			 enc;
	size_t				 n = 0, i, plen, keylen;
	int				 found = 0;

	if (!v->signature_ok || v->secret_index < 0 ||
	    (size_t)v->secret_index >= ep->nsecrets)
		abort();
	s = &ep->secrets[v->secret_index];
	if (sc->format == SIG_TOKEN) {
		if (siglen != s->len || memcmp(sig, s->data, siglen) != 0)
			abort();
		return;
	}
	for (sp = sc->payload; n < SCHEME_MAX_PARTS && sp->kind != PART_END;
	    sp++, n++) {
		parts[n].data = sp->kind == PART_LITERAL ? sp->text :
		    sp->kind == PART_TIMESTAMP ? ts :
		    sp->kind == PART_HEADER ? SIGNED_HEADER : body;
		parts[n].len = sp->kind == PART_LITERAL ? strlen(sp->text) :
		    sp->kind == PART_TIMESTAMP ? tslen :
		    sp->kind == PART_HEADER ? strlen(SIGNED_HEADER) : bodylen;
	}
	buf_init(&enc, 4 * HMAC_MAX);
	if (verify_secret_key(sc->secret_form, s->data, s->len, key,
	    &keylen) == -1 ||
	    hmac_compute(sc->alg, key, keylen, parts, n, mac) == -1 ||
	    verify_encode(sc->encoding, mac, hmac_size(sc->alg), &enc) == -1)
		abort();
	if (sc->format == SIG_PLAIN) {
		plen = sc->prefix != NULL ? strlen(sc->prefix) : 0;
		found = siglen >= plen && same_mac(sig + plen, siglen - plen,
		    enc.data, enc.len);
	} else if (parse_sig_items(sig, siglen, sc->item_sep, sc->key_sep,
	    &items) == 0) {
		for (i = 0; i < items.count; i++)
			if (items.item[i].key != NULL &&
			    items.item[i].keylen == strlen(sc->sig_key) &&
			    memcmp(items.item[i].key, sc->sig_key,
			    items.item[i].keylen) == 0 &&
			    same_mac(items.item[i].val, items.item[i].vallen,
			    enc.data, enc.len))
				found = 1;
	}
	if (!found)
		abort();
	buf_release(&enc);
}

/* Stripe's timestamp is the item under ts_key in the header itself. */
/* Does the body hold these bytes? (Not memmem: C11 only.) */
static int
holds(const char *hay, size_t haylen, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; len > 0 && i + len <= haylen; i++)
		if (memcmp(hay + i, s, len) == 0)
			return 1;
	return 0;
}

/*
 * Mailgun: an acceptance must rest on a signature field holding exactly
 * the MAC of the body's own timestamp and token under the secret.
 */
static void
check_body_genuine(const struct scheme *sc, const struct endpoint *ep,
    const struct verdict *v, const struct request *req)
{
	const struct secret	*s;
	struct buf		 sig;

	if (!v->signature_ok || v->secret_index < 0 ||
	    (size_t)v->secret_index >= ep->nsecrets)
		abort();
	s = &ep->secrets[v->secret_index];
	buf_init(&sig, 256);
	if (verify_sign_body(sc, s->data, s->len, req->body.data,
	    req->body.len, req->content_type, &sig) == -1 ||
	    !holds(req->body.data, req->body.len, sig.data, sig.len))
		abort();
	buf_release(&sig);
}

static const char *
item_ts(const struct scheme *sc, const char *sig, size_t siglen,
    size_t *len)
{
	struct sig_items	 items;
	size_t			 i;

	if (parse_sig_items(sig, siglen, sc->item_sep, sc->key_sep,
	    &items) == -1)
		abort();
	for (i = 0; i < items.count; i++)
		if (items.item[i].key != NULL &&
		    items.item[i].keylen == strlen(sc->ts_key) &&
		    memcmp(items.item[i].key, sc->ts_key,
		    items.item[i].keylen) == 0) {
			*len = items.item[i].vallen;
			return items.item[i].val;
		}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request	 req;
	const struct provider	*p;
	const struct scheme	*used;
	struct endpoint		 ep;
	struct scheme		 sc;
	struct verdict		 v;
	struct buf		 reason;
	const char		*in = (const char *)data, *end = in + size;
	const char		*f, *sig, *body;
	char			*copy[3], err[256];
	size_t			 len, siglen, tslen, bodylen, i;
	uint64_t		 now;
	int			 sel, rc;

	f = field(&in, end, &len, 0);
	if (len < 1)
		return 0;
	sel = f[0] >= '0' && f[0] <= '9' ? f[0] - '0' : f[0] >= 'J' &&
	    f[0] <= 'T' ? f[0] - 'J' + 10 : (unsigned char)f[0];
	memset(&ep, 0, sizeof(ep));
	p = variant(sel % NVARIANTS, &ep);
	f = field(&in, end, &len, 0);
	if (parse_uint(f, len, 253402300799ULL, &now) == -1)
		now = 1718000000;
	f = field(&in, end, &len, 0);
	/* Secrets come from a file or the config: NUL-terminated. */
	copy[0] = strndup(f, len);
	/* Standard Webhooks secrets must decode: "whsec_" + base64 "old". */
	copy[1] = strdup(p->scheme.secret_form != SECRET_TEXT ? "whsec_b2xk" :
	    "an-old-secret");
	sig = field(&in, end, &siglen, 0);
	f = field(&in, end, &tslen, 0);
	copy[2] = strndup(f, tslen);
	body = field(&in, end, &bodylen, 1);
	if (copy[0] == NULL || copy[1] == NULL || copy[2] == NULL)
		goto out;
	ep.secrets[0].data = copy[1];
	ep.secrets[0].len = strlen(copy[1]);
	ep.secrets[1].data = copy[0];
	ep.secrets[1].len = strlen(copy[0]);
	ep.nsecrets = ep.secrets[1].len > 0 ? 2 : 1;
	if (verify_scheme(p, &ep, &sc, err, sizeof(err)) == -1)
		abort();
	memset(&req, 0, offsetof(struct request, body));
	req.method = "POST";
	/* An empty line stands for a missing header. */
	if (siglen > 0) {
		req.headers[req.nheaders].name = sc.header != NULL ?
		    sc.header : "X-None";
		if (sel % NVARIANTS == 1)
			req.headers[req.nheaders].name = p->legacy.header;
		req.headers[req.nheaders].value = sig;
		req.headers[req.nheaders++].len = siglen;
	}
	if (tslen > 0 && sc.ts_header != NULL) {
		req.headers[req.nheaders].name = sc.ts_header;
		req.headers[req.nheaders].value = copy[2];
		req.headers[req.nheaders++].len = strlen(copy[2]);
	}
	for (i = 0; i < SCHEME_MAX_PARTS && sc.payload[i].kind != PART_END;
	    i++)
		if (sc.payload[i].kind == PART_HEADER) {
			req.headers[req.nheaders].name = sc.payload[i].text;
			req.headers[req.nheaders].value = SIGNED_HEADER;
			req.headers[req.nheaders++].len =
			    strlen(SIGNED_HEADER);
		}
	req.content_type = sel % NVARIANTS == 20 ?
	    "application/x-www-form-urlencoded" : "application/json";
	req.body.data = (char *)(uintptr_t)body;
	req.body.len = bodylen;
	rc = verify_request(p, &sc, &ep, &req, (time_t)now, &v);
	if ((rc == 1) != (v.code == VERDICT_OK) ||
	    (rc == 1 && verify_status(v.code) != 200) ||
	    (rc == 0 && verify_status(v.code) == 200))
		abort();
	buf_init(&reason, 4096);
	if (verify_reason(&v, &reason) == -1)
		abort();
	buf_release(&reason);
	/* The legacy scheme matched when the main header was absent. */
	used = v.legacy ? &p->legacy : &sc;
	if (rc == 1 && used->format == SIG_BODY)
		check_body_genuine(used, &ep, &v, &req);
	else if (rc == 1 && used->ts_key != NULL) {
		f = item_ts(used, sig, siglen, &len);
		check_genuine(used, &ep, &v, sig, siglen, f, len, body,
		    bodylen);
	} else if (rc == 1)
		check_genuine(used, &ep, &v, sig, siglen, copy[2],
		    used->ts_header != NULL && tslen > 0 ? strlen(copy[2]) : 0,
		    body, bodylen);
out:
	for (i = 0; i < 3; i++)
		free(copy[i]);
	return 0;
}
