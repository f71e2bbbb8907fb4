/*
 * webhookctl explain: verifies a logged delivery again, against the
 * secrets configured now, and says why it fails.  The request is
 * rebuilt from the record (its headers object and exact body) and run
 * through verify_request() with the record's time as "now", so the
 * verdict is the one the handler reached, unless the configuration has
 * changed since.  What was signed, the signature each secret gives
 * (secrets are only ever shown as fingerprints) and the clock skew are
 * printed; then the likely cause is named, trying the usual accidents:
 * a body rewritten in transit (line endings, JSON re-formatted, a final
 * newline), a stale timestamp, a SHA-1-only sender, a malformed header,
 * a secret the sender decodes first, and finally a wrong secret.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounds.h"
#include "hmac.h"
#include "json.h"
#include "log.h"
#include "parse.h"
#include "verify.h"
#include "ctl.h"

/* Bytes of the signed payload shown. */
#define PREVIEW		64

static const char help[] =
    "Verifies a logged delivery again with the configured secrets, shows\n"
    "what was signed, the signature each secret gives, the clock skew,\n"
    "and names the likely cause of a failure.\n"
    "  --endpoint E     look for ID in endpoint E only\n"
    "  --last-rejected  the latest delivery refused with 401 (of\n"
    "                   ENDPOINT, or of any endpoint)\n"
    "  --json           the analysis as one JSON object\n"
    "Exit status: 0 when it verifies, 1 when it does not.\n";

enum cause {
	CAUSE_NONE,
	CAUSE_CONFIG,
	CAUSE_MISSING_HEADER,
	CAUSE_SHA1_ONLY,
	CAUSE_MALFORMED_HEADER,
	CAUSE_MISSING_TIMESTAMP,
	CAUSE_MALFORMED_TIMESTAMP,
	CAUSE_STALE_TIMESTAMP,
	CAUSE_BODY_CHANGED,
	CAUSE_SECRET_DECODED,
	CAUSE_WRONG_SECRET,
};

static const char *const cause_names[] = {
	"ok", "configuration", "missing_header", "sha1_only",
	"malformed_header", "missing_timestamp", "malformed_timestamp",
	"stale_timestamp", "body_changed", "secret_decoded", "wrong_secret",
};

/* Everything one explanation is made of. */
struct explain {
	const struct ctl	*ctl;
	struct ctl_record	*rec;
	const struct provider	*p;
	struct endpoint		*ep;
	struct scheme		 sc;	/* the scheme that was checked */
	struct ctl_request	 r;
	time_t			 when;	/* the record's time */
	struct verdict		 v;
	const char		*ts;	/* timestamp text, or NULL */
	size_t			 tslen;
	enum cause		 cause;
	struct buf		 why;	/* the cause, in words */
	struct buf		 json;
	int			 as_json;
};

/* --- what was signed and what each secret gives ----------------------- */

/* Finds the timestamp text where the scheme keeps it. */
static void
find_timestamp(struct explain *x)
{
	const struct header	*h;
	struct sig_items	 items;
	size_t			 i;

	x->ts = NULL;
	if (x->sc.ts_key != NULL) {
		if ((h = request_header(&x->r.req, x->sc.header)) == NULL ||
		    parse_sig_items(h->value, h->len, x->sc.item_sep,
		    x->sc.key_sep, &items) == -1)
			return;
		for (i = 0; i < items.count; i++)
			if (items.item[i].key != NULL &&
			    items.item[i].keylen == strlen(x->sc.ts_key) &&
			    memcmp(items.item[i].key, x->sc.ts_key,
			    items.item[i].keylen) == 0) {
				/* Points into h->value: use tslen. */
				x->ts = items.item[i].val;
				x->tslen = items.item[i].vallen;
			}
	} else if (x->sc.ts_header != NULL &&
	    (h = request_header(&x->r.req, x->sc.ts_header)) != NULL) {
		x->ts = h->value;
		x->tslen = h->len;
	}
}

/* The first bytes of the signed payload, built as verify.c does. */
static void
preview(const struct explain *x, struct buf *out)
{
	const struct signed_part	*sp;
	const struct request		*req = &x->r.req;
	size_t				 n;

	for (sp = x->sc.payload, n = 0; n < SCHEME_MAX_PARTS &&
	    sp->kind != PART_END && out->len < PREVIEW; sp++, n++) {
		if (sp->kind == PART_LITERAL)
			buf_adds(out, sp->text);
		else if (sp->kind == PART_TIMESTAMP && x->ts != NULL)
			buf_add(out, x->ts, x->tslen);
		else if (sp->kind == PART_BODY)
			buf_add(out, req->body.data, req->body.len < PREVIEW ?
			    req->body.len : PREVIEW);
	}
}

/* A payload part's name in the scheme line ("url"). */
static const char *
part_name(enum part_kind kind)
{
	switch (kind) {
	case PART_BODY:
		return " body";
	case PART_TIMESTAMP:
		return " timestamp";
	case PART_URL:
		return " url";
	case PART_METHOD:
		return " method";
	case PART_PARAMS:
		return " sorted-form-params";
	default:
		return " ?";
	}
}

/* How the scheme reads, for people. */
static void
describe_scheme(const struct scheme *sc, struct buf *out)
{
	const struct signed_part	*sp;
	size_t				 n;

	if (sc->format == SIG_TOKEN) {
		buf_printf(out, "%s: a shared token, compared as is",
		    sc->header);
		return;
	}
	if (sc->format == SIG_ITEMS)
		buf_printf(out, "%s: \"%s%c\" +", sc->header, sc->sig_key,
		    sc->key_sep);
	else if (sc->prefix != NULL)
		buf_printf(out, "%s: \"%s\" +", sc->header, sc->prefix);
	else
		buf_printf(out, "%s:", sc->header);
	if (sc->pk != HMAC_PK_NONE)
		buf_printf(out, " %s %s signature of", sc->encoding ==
		    ENC_HEX ? "hex" : "base64", hmac_pk_name(sc->pk));
	else
		buf_printf(out, " %s HMAC-%s of", sc->encoding == ENC_HEX ?
		    "hex" : "base64", hmac_name(sc->alg));
	for (sp = sc->payload, n = 0; n < SCHEME_MAX_PARTS &&
	    sp->kind != PART_END; sp++, n++) {
		if (sp->kind == PART_LITERAL)
			buf_printf(out, " \"%s\"", sp->text);
		else if (sp->kind == PART_HEADER)
			buf_printf(out, " %s", sp->text);
		else
			buf_adds(out, part_name(sp->kind));
	}
	if (sc->secret_form == SECRET_WHSEC)
		buf_adds(out, ", keyed with the base64 bytes of the whsec_"
		    " secret");
	else if (sc->secret_form == SECRET_WHSEC_OR_TEXT)
		buf_adds(out, ", keyed with the base64 bytes of a whsec_"
		    " secret, else its text");
}

/* The signature value secret s gives, as the header would carry it. */
static int
expected(const struct explain *x, size_t s, struct buf *out)
{
	struct buf	 lines;
	char		 ts[128];
	const char	*p, *nl;
	int		 rc = -1;

	if (x->sc.format == SIG_ITEMS &&
	    buf_printf(out, "%s%c", x->sc.sig_key, x->sc.key_sep) == -1)
		return -1;
	if (x->sc.format == SIG_PLAIN && x->sc.prefix != NULL &&
	    buf_adds(out, x->sc.prefix) == -1)
		return -1;
	/* verify_request() kept what the first secret gives. */
	if (s == 0 && x->v.expected_len > 0)
		return verify_encode(x->sc.encoding, x->v.expected,
		    x->v.expected_len, out);
	buf_reset(out);
	buf_init(&lines, 64 * 1024);
	snprintf(ts, sizeof(ts), "%.*s", (int)x->tslen, x->ts != NULL ?
	    x->ts : "");
	if (verify_sign_headers(&x->sc, x->ep->secrets[s].data,
	    x->ep->secrets[s].len, x->ts != NULL ? ts : NULL,
	    x->r.req.headers, x->r.req.nheaders, x->r.req.body.data,
	    x->r.req.body.len, &lines) == 0 && (p = strchr(lines.data, ':')) != NULL &&
	    (nl = strchr(p, '\n')) != NULL) {
		p += 2;
		/* Stripe's "t=...,v1=...": keep the signature item. */
		if (x->sc.format == SIG_ITEMS && x->sc.ts_key != NULL &&
		    (p = memchr(p, x->sc.item_sep, (size_t)(nl - p))) != NULL)
			p++;
		rc = p != NULL ? buf_add(out, p, (size_t)(nl - p)) : -1;
	}
	buf_release(&lines);
	return rc;
}

/* --- trying the usual accidents --------------------------------------- */

/* Does the body, changed into b, verify with a configured secret? */
static int
verifies_with(struct explain *x, const struct buf *b, int *secret)
{
	struct verdict	 v;
	struct buf	 saved = x->r.req.body;
	int		 ok;

	x->r.req.body = *b;
	verify_request(x->p, &x->sc, x->ep, &x->r.req, x->when, &v);
	x->r.req.body = saved;
	ok = v.signature_ok;
	*secret = v.secret_index;
	return ok;
}

/* Line endings turned one way or the other. */
static void
variant_eol(const struct buf *in, int to_crlf, struct buf *out)
{
	size_t	 i;

	for (i = 0; i < in->len; i++) {
		if (!to_crlf && in->data[i] == '\r' && i + 1 < in->len &&
		    in->data[i + 1] == '\n')
			continue;
		if (to_crlf && in->data[i] == '\n' && (i == 0 ||
		    in->data[i - 1] != '\r'))
			buf_addc(out, '\r');
		buf_addc(out, in->data[i]);
	}
}

/* The body changed in one of the ways proxies and tools change it. */
static int
variant(const struct buf *body, int which, struct buf *out)
{
	struct json_doc	*doc;
	char		 err[128];
	int		 rc = 0;

	buf_reset(out);
	buf_add(out, "", 0);
	switch (which) {
	case 0:
		variant_eol(body, 0, out);
		break;
	case 1:
		variant_eol(body, 1, out);
		break;
	case 2:
		if (body->len > 0 && body->data[body->len - 1] == '\n')
			buf_add(out, body->data, body->len - (body->len > 1 &&
			    body->data[body->len - 2] == '\r' ? 2 : 1));
		break;
	case 3:
		buf_add(out, body->data, body->len);
		buf_addc(out, '\n');
		break;
	default:
		if ((doc = json_parse(body->data, body->len, err,
		    sizeof(err))) == NULL)
			return -1;
		rc = which == 4 || which == 5 ? json_compact(doc, out) :
		    json_pretty(doc, out);
		if (which == 5 || which == 7)
			buf_addc(out, '\n');
		json_doc_free(doc);
		break;
	}
	/* Only a real change is worth a try. */
	if (rc == -1 || (out->len == body->len && memcmp(out->data,
	    body->data, body->len) == 0))
		return -1;
	return 0;
}

static const char *const variant_words[] = {
	"the body arrived with CRLF line endings where LF was signed:"
	    " something on the way (a proxy, a form post, a Windows tool)"
	    " rewrote the line endings",
	"the body arrived with LF line endings where CRLF was signed:"
	    " something on the way rewrote the line endings",
	"a final newline was added to the body after it was signed",
	"the final newline of the signed body was removed on the way",
	"the body was re-formatted: the sender signed compact JSON and it"
	    " arrived re-indented (a proxy or tool parsed and re-serialised"
	    " it)",
	"the body was re-formatted: the sender signed compact JSON ending in"
	    " a newline and it arrived re-indented",
	"the body was re-serialised: the sender signed indented JSON and it"
	    " arrived compacted (a proxy or tool parsed and re-wrote it)",
	"the body was re-serialised: the sender signed indented JSON ending"
	    " in a newline",
};

#define NVARIANTS	(sizeof(variant_words) / sizeof(variant_words[0]))

static int
try_variants(struct explain *x)
{
	struct buf	 b;
	size_t		 i;
	int		 secret;

	buf_init(&b, LIMIT_BODY * 4);
	for (i = 0; i < NVARIANTS; i++) {
		if (variant(&x->r.req.body, (int)i, &b) == -1 ||
		    !verifies_with(x, &b, &secret))
			continue;
		x->cause = CAUSE_BODY_CHANGED;
		buf_printf(&x->why, "body changed in transit: %s.  With that"
		    " undone the signature matches secret #%d, so the secret"
		    " is right; fix whatever handles the body between the"
		    " sender and the handler", variant_words[i], secret + 1);
		buf_release(&b);
		return 1;
	}
	buf_release(&b);
	return 0;
}

/* A secret the sender uses decoded (base64 or hex) rather than as typed. */
static int
try_decoded_secrets(struct explain *x)
{
	struct endpoint	*copy;
	struct verdict	 v;
	unsigned char	 raw[LIMIT_SECRET_LEN];
	size_t		 s, n;
	int		 how, found = 0;

	if ((copy = malloc(sizeof(*copy))) == NULL)
		return 0;
	for (how = 0; how < 2 && !found; how++) {
		*copy = *x->ep;
		for (s = 0; s < copy->nsecrets; s++) {
			if ((how == 0 ? parse_base64(x->ep->secrets[s].data,
			    x->ep->secrets[s].len, raw, sizeof(raw), &n) :
			    parse_hex(x->ep->secrets[s].data,
			    x->ep->secrets[s].len, raw, sizeof(raw), &n)) == -1)
				continue;
			copy->secrets[0].data = (char *)raw;
			copy->secrets[0].len = n;
			copy->nsecrets = 1;
			verify_request(x->p, &x->sc, copy, &x->r.req, x->when,
			    &v);
			if (v.signature_ok) {
				x->cause = CAUSE_SECRET_DECODED;
				buf_printf(&x->why, "secret used decoded: the"
				    " sender signs with the %s-decoded bytes"
				    " of secret #%zu, this endpoint uses"
				    " secrets as typed; configure the secret"
				    " the way the sender uses it", how == 0 ?
				    "base64" : "hex", s + 1);
				found = 1;
				break;
			}
		}
	}
	hmac_cleanse(raw, sizeof(raw));
	hmac_cleanse(copy, sizeof(*copy));
	free(copy);
	return found;
}

/* A header whose name suggests a signature, other than the scheme's. */
static int
other_signature_cb(void *arg, const char *name, const char *v, size_t len)
{
	struct explain	*x = arg;
	char		 low[128];
	size_t		 i;

	(void)v;
	(void)len;
	for (i = 0; name[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	if (strstr(low, "sign") == NULL || strcasecmp(name, x->sc.header) == 0)
		return 0;
	buf_printf(&x->why, "; a header '%s' came instead: is"
	    " signature_header right?", name);
	return 1;
}

static void
explain_missing(struct explain *x)
{
	struct endpoint	*copy;
	struct verdict	 v;

	x->cause = CAUSE_MISSING_HEADER;
	if (x->p->legacy.header != NULL && !x->v.legacy &&
	    request_header(&x->r.req, x->p->legacy.header) != NULL) {
		x->cause = CAUSE_SHA1_ONLY;
		buf_printf(&x->why, "SHA-1 only: the request carries '%s'"
		    " (SHA-1) but not '%s' (SHA-256).  GitHub sends both; an"
		    " old integration, a proxy dropping the header or a"
		    " sender computing only SHA-1 sends one",
		    x->p->legacy.header, x->sc.header);
		if ((copy = malloc(sizeof(*copy))) == NULL)
			return;
		*copy = *x->ep;
		copy->allow_sha1 = 1;
		if (verify_request(x->p, &x->sc, copy, &x->r.req, x->when,
		    &v) && v.legacy)
			buf_printf(&x->why, ".  The SHA-1 signature itself"
			    " verifies with secret #%d: allow_sha1 = yes would"
			    " accept it, at SHA-1's strength", v.secret_index +
			    1);
		hmac_cleanse(copy, sizeof(*copy));
		free(copy);
		return;
	}
	buf_printf(&x->why, "missing header: no '%s' in the request",
	    x->sc.header);
	ctl_record_headers(x->rec, other_signature_cb, x);
}

static void
explain_malformed(struct explain *x)
{
	const struct header	*h = request_header(&x->r.req, x->sc.header);
	unsigned char		 raw[HMAC_MAX * 2];
	size_t			 n, plen;
	const char		*val;

	x->cause = CAUSE_MALFORMED_HEADER;
	buf_printf(&x->why, "malformed header '%s': %s", x->sc.header,
	    x->v.detail != NULL ? x->v.detail : "unreadable");
	if (h == NULL || x->sc.format != SIG_PLAIN)
		return;
	plen = x->sc.prefix != NULL ? strlen(x->sc.prefix) : 0;
	val = h->value;
	n = h->len;
	if (n >= plen && plen > 0 && strncmp(val, x->sc.prefix, plen) == 0) {
		val += plen;
		n -= plen;
	} else if (plen > 0)
		buf_printf(&x->why, " (the value should start with '%s')",
		    x->sc.prefix);
	if (x->sc.encoding == ENC_HEX &&
	    strspn(val, "0123456789ABCDEFabcdef") == n &&
	    strspn(val, "0123456789abcdef") != n)
		buf_adds(&x->why, " (uppercase hex: providers send lowercase)");
	else if (x->sc.encoding == ENC_HEX &&
	    parse_base64(val, n, raw, sizeof(raw), &n) == 0 &&
	    n == hmac_size(x->sc.alg))
		buf_adds(&x->why, " (it is base64, the scheme wants hex:"
		    " check encoding)");
	else if (x->sc.encoding == ENC_BASE64 &&
	    parse_hex(val, n, raw, sizeof(raw), &n) == 0 &&
	    n == hmac_size(x->sc.alg))
		buf_adds(&x->why, " (it is hex, the scheme wants base64:"
		    " check encoding)");
}

static void
explain_timestamp(struct explain *x)
{
	long long	 skew = x->v.skew < 0 ? -x->v.skew : x->v.skew;

	x->cause = CAUSE_STALE_TIMESTAMP;
	buf_printf(&x->why, "stale timestamp: signed %lld s %s it arrived,"
	    " beyond the tolerance of %ld s.  ", skew,
	    x->v.skew >= 0 ? "before" : "after (in the future)",
	    x->v.tolerance);
	if (x->v.signature_ok)
		buf_printf(&x->why, "The signature itself is valid (secret"
		    " #%d): a genuine delivery sent or retried late, a replay,"
		    " or a clock off at the sender or here",
		    x->v.secret_index + 1);
	else
		buf_adds(&x->why, "The signature does not match either");
}

/* Names the likely cause from the verdict, trying the accidents. */
static void
diagnose(struct explain *x)
{
	switch (x->v.code) {
	case VERDICT_OK:
	case VERDICT_UNSIGNED:
		x->cause = CAUSE_NONE;
		verify_reason(&x->v, &x->why);
		if (strcmp(x->rec->verdict.data, "rejected") == 0)
			buf_adds(&x->why, " now; it was rejected when it came,"
			    " so the configuration changed since");
		break;
	case VERDICT_NO_SCHEME:
	case VERDICT_NO_SECRET:
	case VERDICT_ERROR:
		x->cause = CAUSE_CONFIG;
		verify_reason(&x->v, &x->why);
		break;
	case VERDICT_MISSING_SIGNATURE:
		explain_missing(x);
		break;
	case VERDICT_MALFORMED_SIGNATURE:
		explain_malformed(x);
		break;
	case VERDICT_MISSING_TIMESTAMP:
		x->cause = CAUSE_MISSING_TIMESTAMP;
		verify_reason(&x->v, &x->why);
		break;
	case VERDICT_MALFORMED_TIMESTAMP:
		x->cause = CAUSE_MALFORMED_TIMESTAMP;
		verify_reason(&x->v, &x->why);
		break;
	case VERDICT_STALE_TIMESTAMP:
	case VERDICT_FUTURE_TIMESTAMP:
		explain_timestamp(x);
		break;
	case VERDICT_MISMATCH:
		if (x->sc.format == SIG_TOKEN) {
			x->cause = CAUSE_WRONG_SECRET;
			buf_adds(&x->why, "wrong token: it matches none of the"
			    " configured secrets");
		} else if (x->sc.pk != HMAC_PK_NONE) {
			if (!try_variants(x)) {
				x->cause = CAUSE_WRONG_SECRET;
				buf_printf(&x->why, "wrong public key: the"
				    " signature is well formed, but none of the"
				    " %zu configured public key%s verifies it"
				    " over these %zu bytes.  Compare the"
				    " fingerprints with the key the provider's"
				    " console shows", x->ep->npubkeys,
				    x->ep->npubkeys == 1 ? "" : "s",
				    x->v.signed_len);
			}
		} else if (!try_variants(x) && !try_decoded_secrets(x)) {
			x->cause = CAUSE_WRONG_SECRET;
			buf_printf(&x->why, "wrong secret: the signature is"
			    " well formed, but none of the %zu configured"
			    " secret%s gives it over these %zu bytes, and no"
			    " usual change to the body explains it.  Compare"
			    " the fingerprints with the sender's secret",
			    x->ep->nsecrets, x->ep->nsecrets == 1 ? "" : "s",
			    x->v.signed_len);
		}
		break;
	}
}

/* --- the report ------------------------------------------------------- */

/* Parses the timestamp text; 0 with *t, or -1. */
static int
timestamp_value(const struct explain *x, time_t *t)
{
	if (x->ts == NULL)
		return -1;
	switch (x->sc.ts_format) {
	case TS_UNIX_MS:
		return parse_unix_time(x->ts, x->tslen, 1, t);
	case TS_ISO8601:
		return parse_iso8601(x->ts, x->tslen, t);
	default:
		return parse_unix_time(x->ts, x->tslen, 0, t);
	}
}

/* Public keys are public: a fingerprint of the DER names each. */
static void
print_pubkeys(const struct explain *x)
{
	char	 fp[16];
	size_t	 s;

	for (s = 0; s < x->ep->npubkeys; s++) {
		hmac_fingerprint(x->ep->pubkeys[s].der, x->ep->pubkeys[s].len,
		    fp);
		printf("public key #%-3zu %s (%s)  %s\n", s + 1, fp,
		    hmac_pk_name((enum hmac_pk)x->ep->pubkeys[s].kind),
		    x->v.signature_ok && x->v.secret_index == (int)s ?
		    "MATCH" : "no match");
	}
}

static void
print_secrets(const struct explain *x)
{
	struct buf	 e;
	char		 fp[16];
	size_t		 s;

	if (x->sc.pk != HMAC_PK_NONE) {
		print_pubkeys(x);
		return;
	}
	buf_init(&e, 1024);
	for (s = 0; s < x->ep->nsecrets; s++) {
		hmac_fingerprint(x->ep->secrets[s].data, x->ep->secrets[s].len,
		    fp);
		buf_reset(&e);
		/* A token is the secret itself: never print what it gives. */
		if (x->sc.format != SIG_TOKEN && expected(x, s, &e) == 0)
			printf("secret #%-3zu %s gives %s  %s\n", s + 1, fp,
			    e.data, x->v.signature_ok &&
			    x->v.secret_index == (int)s ? "MATCH" : "no match");
		else
			printf("secret #%-3zu %s  %s\n", s + 1, fp,
			    x->v.signature_ok && x->v.secret_index == (int)s ?
			    "MATCH" : "no match");
	}
	buf_release(&e);
}

static void
print_report(const struct explain *x, const char *id)
{
	const struct header	*h = request_header(&x->r.req, x->sc.header);
	struct buf		 b;
	time_t			 t;

	buf_init(&b, 64 * 1024);
	printf("delivery    %s  (endpoint %s, provider %s)\n", id,
	    x->rec->endpoint.data, x->p->name);
	printf("logged      %s  %d %s: %s\n", x->rec->time.data,
	    x->rec->status, x->rec->verdict.data, x->rec->reason.data);
	describe_scheme(&x->sc, &b);
	printf("scheme      %s%s\n", b.data, x->v.legacy ?
	    "  (the legacy scheme)" : "");
	/*
	 * The log keeps Host and the URI, not whether TLS was used: a URL
	 * rebuilt here says http, and the receiver's own attempt is the one
	 * in the logged reason.
	 */
	if (x->v.url[0] != '\0')
		printf("url         %s  (%s)\n", x->v.url, x->v.url_rebuilt ?
		    "rebuilt from the logged Host and URI; the receiver's"
		    " try is in the logged reason" : "public_url");
	buf_reset(&b);
	preview(x, &b);
	printf("signed      %zu bytes: \"", x->v.signed_len > 0 ?
	    x->v.signed_len : x->r.req.body.len);
	ctl_print_bytes(b.data != NULL ? b.data : "", b.len, PREVIEW);
	printf("\"\n");
	printf("received    ");
	if (h == NULL)
		printf("no %s header\n", x->sc.header);
	else if (x->sc.format == SIG_TOKEN)
		printf("a token (not shown)\n");
	else {
		ctl_print_bytes(h->value, h->len, 1024);
		putchar('\n');
	}
	print_secrets(x);
	if (timestamp_value(x, &t) == 0) {
		printf("timestamp   %.*s: %lld s old when it arrived",
		    (int)x->tslen, x->ts, (long long)(x->when - t));
		if (x->v.tolerance > 0)
			printf(" (tolerance %ld s)", x->v.tolerance);
		else
			printf(" (no freshness check)");
		printf(", %lld s old now\n", (long long)(time(NULL) - t));
	}
	buf_reset(&b);
	verify_reason(&x->v, &b);
	printf("verdict     %s: %s\n", verify_code_name(x->v.code), b.data);
	printf("cause       %s\n", x->why.data != NULL ? x->why.data : "");
	buf_release(&b);
}

static void
json_secrets(const struct explain *x, struct buf *j)
{
	struct buf	 e;
	char		 fp[16];
	size_t		 s;

	buf_init(&e, 1024);
	buf_adds(j, ",\"secrets\":[");
	for (s = 0; s < x->ep->nsecrets; s++) {
		hmac_fingerprint(x->ep->secrets[s].data, x->ep->secrets[s].len,
		    fp);
		buf_reset(&e);
		buf_printf(j, "%s{\"fingerprint\":\"%s\"", s > 0 ? "," : "",
		    fp);
		if (x->sc.format != SIG_TOKEN && expected(x, s, &e) == 0)
			json_add_kv(j, 0, "expected", e.data, e.len);
		buf_printf(j, ",\"match\":%s}", x->v.signature_ok &&
		    x->v.secret_index == (int)s ? "true" : "false");
	}
	buf_addc(j, ']');
	buf_release(&e);
}

static void
print_json(const struct explain *x, const char *id)
{
	const struct header	*h = request_header(&x->r.req, x->sc.header);
	struct buf		 j, b;
	time_t			 t;

	buf_init(&j, 1024 * 1024);
	buf_init(&b, 64 * 1024);
	buf_addc(&j, '{');
	json_add_kv(&j, 1, "id", id, strlen(id));
	json_add_kv(&j, 0, "endpoint", x->rec->endpoint.data,
	    x->rec->endpoint.len);
	json_add_kv(&j, 0, "provider", x->p->name, strlen(x->p->name));
	json_add_kv(&j, 0, "logged_verdict", x->rec->verdict.data,
	    x->rec->verdict.len);
	json_add_kv(&j, 0, "logged_reason", x->rec->reason.data,
	    x->rec->reason.len);
	json_add_kv(&j, 0, "header", x->sc.header, strlen(x->sc.header));
	if (h != NULL && x->sc.format != SIG_TOKEN)
		json_add_kv(&j, 0, "received", h->value, h->len);
	json_add_kv_int(&j, "signed_bytes", (long long)x->v.signed_len);
	json_secrets(x, &j);
	if (timestamp_value(x, &t) == 0) {
		json_add_kv_int(&j, "skew_at_arrival", (long long)(x->when -
		    t));
		json_add_kv_int(&j, "skew_now", (long long)(time(NULL) - t));
		json_add_kv_int(&j, "tolerance", x->v.tolerance);
	}
	verify_reason(&x->v, &b);
	if (x->v.url[0] != '\0') {
		json_add_kv(&j, 0, "url", x->v.url, strlen(x->v.url));
		buf_printf(&j, ",\"url_rebuilt\":%s", x->v.url_rebuilt ?
		    "true" : "false");
	}
	json_add_kv(&j, 0, "verdict", verify_code_name(x->v.code),
	    strlen(verify_code_name(x->v.code)));
	json_add_kv(&j, 0, "reason", b.data, b.len);
	json_add_kv(&j, 0, "cause", cause_names[x->cause],
	    strlen(cause_names[x->cause]));
	json_add_kv(&j, 0, "explanation", x->why.data != NULL ? x->why.data :
	    "", x->why.len);
	buf_adds(&j, "}\n");
	fwrite(j.data, 1, j.len, stdout);
	buf_release(&b);
	buf_release(&j);
}

static int
explain_record(struct ctl *ctl, struct ctl_record *rec, const char *id,
    int as_json)
{
	struct explain	 x;
	struct endpoint	 ep;
	char		 err[256];
	int		 ok;

	if (ctl_endpoint(ctl, rec->endpoint.data, 1, &ep) == -1)
		return CTL_FAIL;
	memset(&x, 0, sizeof(x));
	x.ctl = ctl;
	x.rec = rec;
	x.ep = &ep;
	if ((x.p = ctl_provider(rec->provider.data)) == NULL &&
	    (x.p = ctl_endpoint_provider(&ep)) == NULL) {
		config_endpoint_release(&ep);
		return CTL_FAIL;
	}
	/* An unusable scheme shows up below as no_scheme. */
	if (verify_scheme(x.p, &ep, &x.sc, err, sizeof(err)) == -1)
		log_warnx("endpoint '%s': %s", ep.name, err);
	if (ctl_record_request(rec, &x.r) == -1) {
		config_endpoint_release(&ep);
		return CTL_FAIL;
	}
	buf_init(&x.why, 64 * 1024);
	x.when = (time_t)(rec->time_ms / 1000);
	ok = verify_request(x.p, &x.sc, &ep, &x.r.req, x.when, &x.v);
	if (x.v.legacy)
		x.sc = x.p->legacy;
	find_timestamp(&x);
	diagnose(&x);
	if (as_json)
		print_json(&x, id);
	else
		print_report(&x, id);
	buf_release(&x.why);
	ctl_request_release(&x.r);
	config_endpoint_release(&ep);
	return ok ? CTL_OK : CTL_NO;
}

/* --last-rejected: the newest 401 of the endpoints looked at. */
struct last {
	struct ctl_record	*best;
	int			 found;
};

static int
last_cb(void *arg, struct ctl_record *rec)
{
	struct last	*l = arg;

	if (rec->status != 401 || strcmp(rec->verdict.data, "rejected") != 0 ||
	    (l->found && rec->time_ms < l->best->time_ms))
		return 0;
	if (ctl_record_parse(l->best, rec->line.data, rec->line.len, 1) == 0) {
		memcpy(l->best->file, rec->file, sizeof(rec->file));
		l->best->lineno = rec->lineno;
		l->found = 1;
	}
	return 0;
}

static int
find_last_rejected(struct ctl *ctl, const char *endpoint,
    struct ctl_record *rec)
{
	struct last	 l;
	struct endpoint	 ep;
	const char	*names[LIMIT_ENDPOINTS];
	int		 i, n;

	if ((n = ctl_endpoint_names(ctl, endpoint, names,
	    LIMIT_ENDPOINTS)) == -1)
		return -1;
	memset(&l, 0, sizeof(l));
	l.best = rec;
	for (i = 0; i < n; i++) {
		if (ctl_endpoint(ctl, names[i], 0, &ep) == -1)
			continue;
		ctl_log_each(&ep, CTL_LOG_BODY, "\"verdict\":\"rejected\"",
		    last_cb, &l);
		config_endpoint_release(&ep);
	}
	return l.found;
}

int
ctl_explain(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "endpoint", required_argument, NULL, 'E' },
		{ "last-rejected", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_record		 rec;
	struct buf			 idb;
	const char			*endpoint = NULL;
	int				 c, last = 0, json = 0, found, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'E':
			endpoint = optarg;
			break;
		case 'l':
			last = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if ((!last && argc - optind != 1) || (last && argc - optind > 1) ||
	    (last && endpoint != NULL))
		return ctl_usage(ctl);
	ctl_record_init(&rec);
	if (last)
		found = find_last_rejected(ctl, argc > optind ? argv[optind] :
		    NULL, &rec);
	else
		found = ctl_find_record(ctl, endpoint, argv[optind], &rec);
	if (found == 1) {
		buf_init(&idb, LIMIT_ID_LEN * 6 + 1);
		if (!last)
			buf_adds(&idb, argv[optind]);
		else if (!ctl_record_delivery_id(&rec, &idb))
			buf_adds(&idb, "(no id)");
		rc = explain_record(ctl, &rec, idb.data, json);
		buf_release(&idb);
	} else {
		if (found == 0 && last)
			log_warnx("no delivery rejected with 401 in the logs");
		else if (found == 0)
			log_warnx("no delivery '%s' in the logs",
			    argv[optind]);
		rc = found == 0 ? CTL_NO : CTL_FAIL;
	}
	ctl_record_release(&rec);
	return rc;
}
