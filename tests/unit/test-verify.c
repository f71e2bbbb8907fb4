/*
 * test-verify: the signature verifier.
 *
 * First, a data-driven runner over tests/vectors/<provider>/NNN-name.req
 * and .expect (format in tests/vectors/README.md): each case becomes a
 * struct request and a struct endpoint built by hand, and the verdict's
 * name must be the .expect word.  The descriptors are the handlers' own
 * (provider_github ... provider_iot, built with -DPROVIDER_ONLY), so the
 * vectors test exactly what the binaries run.  The vectors are found in
 * $VECTORS_DIR, else "tests/vectors" from the repository root.
 *
 * Then verify_sign() against verify_request(), the reason texts, the
 * status codes and the scheme overrides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "parse.h"
#include "provider.h"
#include "verify.h"

/* Fewer cases than this means the vectors were not found or lost. */
#define MIN_CASES	150

static const struct {
	const char		*dir;
	const struct provider	*p;
} providers[] = {
	{ "github", &provider_github },
	{ "stripe", &provider_stripe },
	{ "slack", &provider_slack },
	{ "zendesk", &provider_zendesk },
	{ "iot", &provider_iot },
	{ "meta", &provider_meta },
	{ "dropbox", &provider_dropbox },
	{ "zoom", &provider_zoom },
	{ "discord", &provider_discord },
	{ "sendgrid", &provider_sendgrid },
	{ "twitch", &provider_twitch },
	{ "standardwebhooks", &provider_standardwebhooks },
	{ "svix", &provider_svix },
	{ "clerk", &provider_clerk },
	{ "resend", &provider_resend },
	{ "openai", &provider_openai },
	{ "square", &provider_square },
	{ "trello", &provider_trello },
	{ "hubspot", &provider_hubspot },
	{ "twilio", &provider_twilio },
	{ "shopify", &provider_shopify },
	{ "gitlab", &provider_gitlab },
	{ "bitbucket", &provider_bitbucket },
	{ "linear", &provider_linear },
	{ "paddle", &provider_paddle },
	{ "pagerduty", &provider_pagerduty },
	{ "typeform", &provider_typeform },
	{ "intercom", &provider_intercom },
	{ "mux", &provider_mux },
	{ "calendly", &provider_calendly },
	{ "mailgun", &provider_mailgun },
};

/* Reads a whole file, NUL-terminated; NULL when it cannot. */
static char *
slurp(const char *path, size_t *lenp)
{
	struct buf	 b;
	char		 chunk[8192], *s;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	buf_init(&b, 16 * 1024 * 1024);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n) == -1)
			break;
	close(fd);
	if (n != 0 || buf_reserve(&b, 0) == -1) {
		buf_release(&b);
		return NULL;
	}
	*lenp = b.len;
	s = b.data;
	return s;
}

/* One vector case, loaded. */
struct vcase {
	char		*text;		/* the file, cut up */
	struct request	*req;
	struct endpoint	 ep;
	time_t		 now;
	int		 have_now;
};

static void
vcase_free(struct vcase *vc)
{
	if (vc->req != NULL)
		buf_release(&vc->req->body);
	free(vc->req);
	free(vc->text);
	memset(vc, 0, sizeof(*vc));
}

/* Maps "# option: key=value" to the endpoint's field. */
static int
vcase_option(struct vcase *vc, char *kv)
{
	static const struct {
		const char	*key;
		size_t		 offset;
	} strs[] = {
		{ "signature_header", offsetof(struct endpoint,
		    signature_header) },
		{ "algorithm", offsetof(struct endpoint, algorithm) },
		{ "encoding", offsetof(struct endpoint, encoding) },
		{ "signature_prefix", offsetof(struct endpoint,
		    signature_prefix) },
		{ "signed", offsetof(struct endpoint, signed_payload) },
		{ "signed_separator", offsetof(struct endpoint,
		    signed_separator) },
		{ "timestamp_header", offsetof(struct endpoint,
		    timestamp_header) },
		{ "timestamp_format", offsetof(struct endpoint,
		    timestamp_format) },
		{ "public_url", offsetof(struct endpoint, public_url) },
	};
	char	*eq, *v;
	size_t	 i;

	if ((eq = strchr(kv, '=')) == NULL)
		return -1;
	*eq = '\0';
	v = eq + 1;
	if (strcmp(kv, "allow_sha1") == 0) {
		vc->ep.allow_sha1 = strcmp(v, "yes") == 0;
		return 0;
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(kv, strs[i].key) == 0) {
			memcpy((char *)&vc->ep + strs[i].offset, &v,
			    sizeof(v));
			return 0;
		}
	return -1;
}

static int
vcase_meta(struct vcase *vc, char *line, char *why, size_t whylen)
{
	struct secret	*s;
	struct pubkey	*k;
	uint64_t	 n;
	char		*v;

	if ((v = strstr(line, ": ")) == NULL) {
		snprintf(why, whylen, "bad metadata line '%s'", line);
		return -1;
	}
	*v = '\0';
	v += 2;
	if (strcmp(line, "source") == 0)
		return 0;
	if (strcmp(line, "secret") == 0) {
		if (vc->ep.nsecrets == LIMIT_SECRETS) {
			snprintf(why, whylen, "too many secrets");
			return -1;
		}
		s = &vc->ep.secrets[vc->ep.nsecrets++];
		s->data = v;
		s->len = strlen(v);
		return 0;
	}
	/* The request line's URI, and HTTPS=on, for the URL rebuilt. */
	if (strcmp(line, "uri") == 0) {
		vc->req->uri = v;
		return 0;
	}
	if (strcmp(line, "https") == 0) {
		vc->req->https = strcmp(v, "on") == 0;
		return 0;
	}
	if (strcmp(line, "public_key") == 0) {
		if (vc->ep.npubkeys == LIMIT_PUBKEYS)
			return snprintf(why, whylen, "too many keys"), -1;
		k = &vc->ep.pubkeys[vc->ep.npubkeys];
		if (parse_public_key(v, strlen(v), k->der, sizeof(k->der),
		    &k->len) != 0 || (k->kind = hmac_pk_type(k->der,
		    k->len)) == HMAC_PK_NONE) {
			snprintf(why, whylen, "bad public_key '%s'", v);
			return -1;
		}
		vc->ep.npubkeys++;
		return 0;
	}
	if (strcmp(line, "now") == 0 || strcmp(line, "tolerance") == 0) {
		if (parse_uint(v, strlen(v), UINT32_MAX * 4ULL, &n) == -1) {
			snprintf(why, whylen, "bad number '%s'", v);
			return -1;
		}
		if (line[0] == 'n') {
			vc->now = (time_t)n;
			vc->have_now = 1;
		} else
			vc->ep.tolerance = (long)n;
		return 0;
	}
	if (strcmp(line, "option") == 0 && vcase_option(vc, v) == 0)
		return 0;
	snprintf(why, whylen, "unknown metadata '%s: %s'", line, v);
	return -1;
}

/*
 * Loads a .req file into vc: metadata, headers, one empty line, then the
 * body up to the end of the file.  Returns 0, or -1 with a reason.
 */
static int
vcase_load(const char *path, struct vcase *vc, char *why, size_t whylen)
{
	struct header	*h;
	char		*p, *end, *nl, *colon;
	size_t		 len;

	memset(vc, 0, sizeof(*vc));
	vc->ep.tolerance = 300;
	snprintf(vc->ep.name, sizeof(vc->ep.name), "vectors");
	if ((vc->text = slurp(path, &len)) == NULL) {
		snprintf(why, whylen, "cannot read");
		return -1;
	}
	if ((vc->req = calloc(1, sizeof(*vc->req))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	vc->req->method = "POST";
	vc->req->uri = "/";
	vc->req->remote_addr = "127.0.0.1";
	vc->req->content_length = -1;
	buf_init(&vc->req->body, LIMIT_BODY);
	p = vc->text;
	end = vc->text + len;
	for (; p < end && strncmp(p, "# ", 2) == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		*nl = '\0';
		if (vcase_meta(vc, p + 2, why, whylen) == -1)
			return -1;
	}
	for (; p < end && *p != '\n'; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    vc->req->nheaders == LIMIT_HEADERS) {
			snprintf(why, whylen, "headers do not end");
			return -1;
		}
		*nl = '\0';
		if ((colon = strstr(p, ": ")) == NULL) {
			snprintf(why, whylen, "bad header line '%s'", p);
			return -1;
		}
		*colon = '\0';
		h = &vc->req->headers[vc->req->nheaders++];
		h->name = p;
		h->value = colon + 2;
		h->len = (size_t)(nl - h->value);
		if (strcasecmp(p, "Content-Type") == 0)
			vc->req->content_type = h->value;
	}
	if (p >= end) {
		snprintf(why, whylen, "no empty line before the body");
		return -1;
	}
	p++;
	if (buf_add(&vc->req->body, p, (size_t)(end - p)) == -1) {
		snprintf(why, whylen, "body too large");
		return -1;
	}
	vc->req->content_length = (long long)vc->req->body.len;
	if (!vc->have_now) {
		snprintf(why, whylen, "no '# now:' line");
		return -1;
	}
	return 0;
}

/* The .expect word: the first line, without white space. */
static int
read_expect(const char *path, char *out, size_t outlen)
{
	char	*s;
	size_t	 len;

	if ((s = slurp(path, &len)) == NULL)
		return -1;
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' ||
	    s[len - 1] == '\r'))
		len--;
	s[len] = '\0';
	snprintf(out, outlen, "%s", s);
	free(s);
	return strchr(out, '\n') != NULL || len == 0 ? -1 : 0;
}

/* The timestamp text of a request, as the scheme reads it; "" if none. */
static void
request_ts(const struct scheme *sc, const struct request *req, char *out,
    size_t outlen)
{
	const struct header	*h;
	struct sig_items	 items;
	size_t			 i;

	out[0] = '\0';
	if (sc->ts_key != NULL) {
		if ((h = request_header(req, sc->header)) == NULL ||
		    parse_sig_items(h->value, h->len, sc->item_sep,
		    sc->key_sep, &items) == -1)
			return;
		for (i = 0; i < items.count; i++)
			if (items.item[i].key != NULL &&
			    items.item[i].keylen == strlen(sc->ts_key) &&
			    memcmp(items.item[i].key, sc->ts_key,
			    items.item[i].keylen) == 0)
				snprintf(out, outlen, "%.*s",
				    (int)items.item[i].vallen,
				    items.item[i].val);
	} else if (sc->ts_header != NULL &&
	    (h = request_header(req, sc->ts_header)) != NULL)
		snprintf(out, outlen, "%.*s", (int)h->len, h->value);
}

/*
 * For an accepted case: signing its body again with the secret that
 * matched must give the very signature the provider sent, which ties
 * verify_sign() to the official vectors.
 */
static int
resign_matches(const struct provider *p, const struct scheme *sc,
    const struct vcase *vc, const struct verdict *v, char *why,
    size_t whylen)
{
	const struct scheme	*use = v->legacy ? &p->legacy : sc;
	const struct secret	*s = &vc->ep.secrets[v->secret_index];
	const struct header	*h;
	struct buf		 out, url;
	char			 ts[128], *colon, *nl, *val;
	int			 rc = -1;

	buf_init(&out, 4096);
	buf_init(&url, LIMIT_URL + 1);
	/* Mailgun: the signature is a field of the body it signs into. */
	if (use->format == SIG_BODY) {
		if (verify_sign_body(use, s->data, s->len, vc->req->body.data,
		    vc->req->body.len, vc->req->content_type, &out) == -1 ||
		    out.len == 0 || strstr(vc->req->body.data, out.data) ==
		    NULL)
			snprintf(why, whylen, "verify_sign_body gave '%s', not"
			    " in the body", out.data != NULL ? out.data : "");
		else
			rc = 0;
		goto out;
	}
	request_ts(use, vc->req, ts, sizeof(ts));
	/* A signed URL: the one verify_request tried first. */
	if (v->url[0] != '\0' && buf_adds(&url, v->url) == -1) {
		snprintf(why, whylen, "no URL");
		goto out;
	}
	if ((v->url[0] != '\0' ? verify_sign_url(use, s->data, s->len,
	    ts[0] != '\0' ? ts : NULL, vc->req->method, url.data,
	    vc->req->content_type != NULL && strncmp(vc->req->content_type,
	    "application/x-www-form", 22) == 0, vc->req->body.data,
	    vc->req->body.len, &out) : verify_sign_headers(use, s->data,
	    s->len, ts[0] != '\0' ? ts : NULL, vc->req->headers,
	    vc->req->nheaders, vc->req->body.data, vc->req->body.len,
	    &out)) == -1) {
		snprintf(why, whylen, "verify_sign failed");
		goto out;
	}
	/* The first line is the signature header. */
	if ((nl = strchr(out.data, '\n')) == NULL ||
	    (colon = strstr(out.data, ": ")) == NULL || colon > nl) {
		snprintf(why, whylen, "verify_sign wrote '%s'", out.data);
		goto out;
	}
	*colon = '\0';
	*nl = '\0';
	val = colon + 2;
	/* Stripe's "t=..,v1=.." signs one v1 of possibly several. */
	if (use->format == SIG_ITEMS)
		val = strstr(val, use->sig_key);
	/* Twilio's port spellings: the match may be another one. */
	if ((h = request_header(vc->req, out.data)) == NULL || val == NULL ||
	    (strstr(h->value, val) == NULL && !use->url_ports)) {
		snprintf(why, whylen, "re-signed '%s: %s' not in the request",
		    out.data, val != NULL ? val : "");
		goto out;
	}
	rc = 0;
out:
	buf_release(&out);
	buf_release(&url);
	return rc;
}

/* Runs one case; returns 0 when it passed, printing a line if not. */
static int
run_case(const char *dir, const char *name, const struct provider *p)
{
	struct vcase	 vc;
	struct scheme	 sc;
	struct verdict	 v;
	struct buf	 reason;
	char		 path[1024], want[64], why[256], err[256];
	const char	*got;
	size_t		 n;
	int		 ok, rc = -1;

	memset(&vc, 0, sizeof(vc));
	buf_init(&reason, 4096);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) - 8) {
		print_error("FAIL %s/%s: path too long\n", dir, name);
		goto out;
	}
	n = strlen(path);
	if (vcase_load(path, &vc, why, sizeof(why)) == -1) {
		print_error("FAIL %s: cannot load: %s\n", path, why);
		goto out;
	}
	snprintf(path + n - 4, sizeof(path) - (n - 4), ".expect");
	if (read_expect(path, want, sizeof(want)) == -1) {
		print_error("FAIL %s: no usable .expect file\n", path);
		goto out;
	}
	path[n - 4] = '\0';
	if (verify_scheme(p, &vc.ep, &sc, err, sizeof(err)) == -1) {
		print_error("FAIL %s: verify_scheme: %s\n", path, err);
		goto out;
	}
	ok = verify_request(p, &sc, &vc.ep, vc.req, vc.now, &v);
	got = verify_code_name(v.code);
	if (verify_reason(&v, &reason) == -1 || reason.len == 0) {
		print_error("FAIL %s: no reason\n", path);
		goto out;
	}
	if (strcmp(got, want) != 0) {
		print_error("FAIL %s.req: expected %s, got %s (%s)\n", path,
		    want, got, reason.data);
		goto out;
	}
	/* The return value agrees with the code. */
	if (ok != (strcmp(want, "ok") == 0) || (ok && (!v.signature_ok ||
	    v.secret_index < 0 || (size_t)v.secret_index >= (sc.pk !=
	    HMAC_PK_NONE ? vc.ep.npubkeys : vc.ep.nsecrets)))) {
		print_error("FAIL %s.req: returned %d for %s\n", path, ok, got);
		goto out;
	}
	/* Without the provider's private key there is nothing to re-sign. */
	if (ok && sc.pk == HMAC_PK_NONE &&
	    resign_matches(p, &sc, &vc, &v, why, sizeof(why)) == -1) {
		print_error("FAIL %s.req: %s\n", path, why);
		goto out;
	}
	rc = 0;
out:
	buf_release(&reason);
	vcase_free(&vc);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every case of one provider; adds to *ran and *failed. */
static void
run_provider(const char *root, const char *sub, const struct provider *p,
    size_t *ran, size_t *failed)
{
	struct dirent	*de;
	DIR		*d;
	char		 dir[1024], *names[1000], path[2048];
	size_t		 n = 0, i, len;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	if ((d = opendir(dir)) == NULL)
		fail_msg("cannot open '%s' (set VECTORS_DIR, or run from the"
		    " repository root)", dir);
	while ((de = readdir(d)) != NULL && n < 1000) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".req") == 0)
			names[n++] = strdup(de->d_name);
		else if (len > 7 &&
		    strcmp(de->d_name + len - 7, ".expect") == 0) {
			/* An .expect without its .req is a lost case. */
			snprintf(path, sizeof(path), "%s/%.*s.req", dir,
			    (int)(len - 7), de->d_name);
			if (access(path, R_OK) == -1) {
				print_error("FAIL %s/%s: no .req file\n", dir,
				    de->d_name);
				(*failed)++;
			}
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++) {
		assert_non_null(names[i]);
		(*ran)++;
		if (run_case(dir, names[i], p) == -1)
			(*failed)++;
		free(names[i]);
	}
}

static void
test_vectors(void **state)
{
	const char	*root;
	size_t		 i, ran = 0, failed = 0;

	(void)state;
	if ((root = getenv("VECTORS_DIR")) == NULL || root[0] == '\0')
		root = "tests/vectors";
	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		run_provider(root, providers[i].dir, providers[i].p, &ran,
		    &failed);
	print_message("vectors: %zu cases, %zu failed\n", ran, failed);
	if (failed > 0)
		fail_msg("%zu of %zu vector cases failed", failed, ran);
	if (ran < MIN_CASES)
		fail_msg("only %zu vector cases ran, want at least %d", ran,
		    MIN_CASES);
}

/* Hand-built requests for the tests below. */

static struct request *
req_new(const char *body)
{
	struct request	*req;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		fail();
	req->method = "POST";
	buf_init(&req->body, LIMIT_BODY);
	if (buf_adds(&req->body, body) == -1)
		fail();
	return req;
}

static void
req_free(struct request *req)
{
	buf_release(&req->body);
	free(req);
}

static void
req_header(struct request *req, const char *name, const char *value)
{
	struct header	*h = &req->headers[req->nheaders++];

	h->name = name;
	h->value = value;
	h->len = strlen(value);
}

/* Adds the "Name: value\n" lines verify_sign wrote; cuts lines up. */
static void
req_lines(struct request *req, char *lines)
{
	char	*nl, *colon;

	for (; *lines != '\0'; lines = nl + 1) {
		nl = strchr(lines, '\n');
		colon = strstr(lines, ": ");
		if (nl == NULL || colon == NULL || colon > nl)
			fail_msg("bad line from verify_sign: %s", lines);
		*colon = '\0';
		*nl = '\0';
		req_header(req, lines, colon + 2);
	}
}

static void
ep_init(struct endpoint *ep, const char *const *secrets)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->name, sizeof(ep->name), "test");
	ep->tolerance = -1;
	for (; *secrets != NULL; secrets++) {
		ep->secrets[ep->nsecrets].data = (char *)(uintptr_t)*secrets;
		ep->secrets[ep->nsecrets++].len = strlen(*secrets);
	}
}

struct sign_case {
	int			 line;
	const struct provider	*p;
	const char		*ts;		/* timestamp signed */
	time_t			 now;
	const char		*first_line;	/* how it starts */
	/* iot overrides */
	const char		*sig_header, *alg, *enc, *prefix, *sign;
	const char		*sep, *ts_header, *ts_format, *token;
};

static const struct sign_case sign_cases[] = {
	{ __LINE__, &provider_github, NULL, 1700000000,
	    "X-Hub-Signature-256: sha256=",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, &provider_stripe, "1700000000", 1700000000,
	    "Stripe-Signature: t=1700000000,v1=",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, &provider_slack, "1700000000", 1700000100,
	    "X-Slack-Signature: v0=",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, &provider_zendesk, "2023-11-14T22:13:20Z", 1700000000,
	    "X-Zendesk-Webhook-Signature: ",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ __LINE__, &provider_iot, NULL, 1700000000, "X-Signature: sha256=",
	    "X-Signature", NULL, NULL, "sha256=", NULL, NULL, NULL, NULL,
	    NULL },
	{ __LINE__, &provider_iot, "1700000000123", 1700000000,
	    "X-Sig: ",
	    "X-Sig", "sha512", "base64", NULL, "timestamp+body", ".",
	    "X-Time", "unix_ms", NULL },
	{ __LINE__, &provider_iot, "2023-11-14T22:13:20.5Z", 1700000000,
	    "X-Sig: sha1=",
	    "X-Sig", "sha1", "hex", "sha1=", "timestamp+body", NULL,
	    "X-Time", "iso8601", NULL },
	{ __LINE__, &provider_iot, NULL, 1700000000, "X-Token: ",
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "X-Token" },
};

static void
sign_ep(const struct sign_case *c, struct endpoint *ep,
    const char *const *secrets)
{
	ep_init(ep, secrets);
	ep->signature_header = c->sig_header;
	ep->algorithm = c->alg;
	ep->encoding = c->enc;
	ep->signature_prefix = c->prefix;
	ep->signed_payload = c->sign;
	ep->signed_separator = c->sep;
	ep->timestamp_header = c->ts_header;
	ep->timestamp_format = c->ts_format;
	ep->token_header = c->token;
}

/* Signs body with secret; returns the verdict of verifying it. */
static enum verdict_code
sign_and_verify(const struct sign_case *c, const char *const *secrets,
    const char *secret, const char *body, const char *sent_body,
    struct verdict *v)
{
	struct endpoint	 ep;
	struct scheme	 sc;
	struct request	*req;
	struct buf	 lines;
	char		 err[256];
	int		 ok;

	sign_ep(c, &ep, secrets);
	if (verify_scheme(c->p, &ep, &sc, err, sizeof(err)) == -1)
		fail_msg("line %d: verify_scheme: %s", c->line, err);
	buf_init(&lines, 4096);
	if (verify_sign(&sc, secret, strlen(secret), c->ts, body,
	    strlen(body), &lines) == -1)
		fail_msg("line %d: verify_sign failed", c->line);
	if (strncmp(lines.data, c->first_line, strlen(c->first_line)) != 0)
		fail_msg("line %d: verify_sign wrote '%s'", c->line,
		    lines.data);
	req = req_new(sent_body);
	req_header(req, "User-Agent", "test");
	req_lines(req, lines.data);
	ok = verify_request(c->p, &sc, &ep, req, c->now, v);
	if (ok != (v->code == VERDICT_OK))
		fail_msg("line %d: returned %d with %s", c->line, ok,
		    verify_code_name(v->code));
	req_free(req);
	buf_release(&lines);
	return v->code;
}

static void
test_sign_round_trip(void **state)
{
	static const char *const one[] = { "s3cret", NULL };
	static const char *const two[] = { "old-secret", "new-secret", NULL };
	static const char	 body[] =
	    "{\"id\":\"evt_1\",\"type\":\"ping\"}";
	const struct sign_case	*c;
	struct verdict		 v;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(sign_cases) / sizeof(sign_cases[0]); i++) {
		c = &sign_cases[i];
		if (sign_and_verify(c, one, "s3cret", body, body, &v) !=
		    VERDICT_OK)
			fail_msg("line %d: signed request verdict %s", c->line,
			    verify_code_name(v.code));
		assert_int_equal(v.secret_index, 0);
		assert_int_equal(v.signature_ok, 1);
		/* Rotation: the second configured secret signed it. */
		if (sign_and_verify(c, two, "new-secret", body, body, &v) !=
		    VERDICT_OK)
			fail_msg("line %d: rotation verdict %s", c->line,
			    verify_code_name(v.code));
		assert_int_equal(v.secret_index, 1);
		/* Another secret, or one byte of the body changed. */
		if (sign_and_verify(c, one, "other", body, body, &v) !=
		    VERDICT_MISMATCH)
			fail_msg("line %d: wrong secret verdict %s", c->line,
			    verify_code_name(v.code));
		assert_int_equal(v.signature_ok, 0);
		if (c->token == NULL && sign_and_verify(c, one, "s3cret", body,
		    "{\"id\":\"evt_1\",\"type\":\"pinG\"}", &v) !=
		    VERDICT_MISMATCH)
			fail_msg("line %d: tampered verdict %s", c->line,
			    verify_code_name(v.code));
	}
}

static void
test_sign_known(void **state)
{
	struct endpoint	 ep;
	struct scheme	 sc;
	struct buf	 out;
	char		 err[128];
	static const char *const secrets[] = { "x", NULL };

	(void)state;
	/* GitHub Docs, "Testing the webhook payload validation". */
	ep_init(&ep, secrets);
	assert_int_equal(verify_scheme(&provider_github, &ep, &sc, err,
	    sizeof(err)), 0);
	buf_init(&out, 1024);
	assert_int_equal(verify_sign(&sc, "It's a Secret to Everybody", 26,
	    NULL, "Hello, World!", 13, &out), 0);
	assert_string_equal(out.data, "X-Hub-Signature-256: sha256="
	    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	    "\n");
	buf_release(&out);
	/* A scheme without a header cannot sign. */
	assert_int_equal(verify_scheme(&provider_iot, &ep, &sc, err,
	    sizeof(err)), 0);
	buf_init(&out, 1024);
	assert_int_equal(verify_sign(&sc, "k", 1, NULL, "b", 1, &out), -1);
	buf_release(&out);
}

static void
test_legacy_sha1(void **state)
{
	static const char *const secrets[] = { "mysecret", NULL };
	struct endpoint	 ep;
	struct scheme	 sc;
	struct request	*req;
	struct verdict	 v;
	struct buf	 lines, reason;
	char		 err[128];

	(void)state;
	ep_init(&ep, secrets);
	assert_int_equal(verify_scheme(&provider_github, &ep, &sc, err,
	    sizeof(err)), 0);
	buf_init(&lines, 1024);
	assert_int_equal(verify_sign(&provider_github.legacy, "mysecret", 8,
	    NULL, "{\"foo\":\"bar\"}", 13, &lines), 0);
	/* octokit/webhooks-methods.js README, sign() with sha1. */
	assert_string_equal(lines.data, "X-Hub-Signature: sha1="
	    "d03207e4b030cf234e3447bac4d93add4c6643d8\n");
	req = req_new("{\"foo\":\"bar\"}");
	req_lines(req, lines.data);
	/* Not allowed: as if there were no signature at all. */
	assert_int_equal(verify_request(&provider_github, &sc, &ep, req, 0,
	    &v), 0);
	assert_int_equal(v.code, VERDICT_MISSING_SIGNATURE);
	ep.allow_sha1 = 1;
	assert_int_equal(verify_request(&provider_github, &sc, &ep, req, 0,
	    &v), 1);
	assert_int_equal(v.code, VERDICT_OK);
	assert_int_equal(v.legacy, 1);
	buf_init(&reason, 1024);
	assert_int_equal(verify_reason(&v, &reason), 0);
	assert_non_null(strstr(reason.data, "legacy SHA-1"));
	assert_non_null(strstr(reason.data, "secret #1"));
	buf_release(&reason);
	req_free(req);
	buf_release(&lines);
}

/* A request and endpoint for the reason tests: Stripe, two secrets. */
struct fixture {
	struct endpoint	 ep;
	struct scheme	 sc;
	struct request	*req;
	struct verdict	 v;
	struct buf	 reason;
	int		 ok;
};

static void
fx_run(struct fixture *fx, const struct provider *p, const char *sig,
    const char *ts_header, const char *ts, time_t now)
{
	static const char *const secrets[] = { "one", "two", "three", NULL };
	char		 err[128];

	ep_init(&fx->ep, secrets);
	if (verify_scheme(p, &fx->ep, &fx->sc, err, sizeof(err)) == -1)
		fail_msg("verify_scheme: %s", err);
	fx->req = req_new("0123456789");
	if (sig != NULL)
		req_header(fx->req, fx->sc.header, sig);
	if (ts_header != NULL)
		req_header(fx->req, ts_header, ts);
	fx->ok = verify_request(p, &fx->sc, &fx->ep, fx->req, now, &fx->v);
	buf_init(&fx->reason, 4096);
	assert_int_equal(verify_reason(&fx->v, &fx->reason), 0);
}

static void
fx_done(struct fixture *fx)
{
	req_free(fx->req);
	buf_release(&fx->reason);
}

static void
expect_reason(const struct fixture *fx, enum verdict_code code,
    const char *const *parts)
{
	if (fx->v.code != code)
		fail_msg("verdict %s, want %s (%s)",
		    verify_code_name(fx->v.code), verify_code_name(code),
		    fx->reason.data);
	for (; *parts != NULL; parts++)
		if (strstr(fx->reason.data, *parts) == NULL)
			fail_msg("reason '%s' lacks '%s'", fx->reason.data,
			    *parts);
}

/* Hex HMAC-SHA256 of "0123456789" under a secret, for GitHub's header. */
static void
github_sig(const char *secret, char *out, size_t outlen)
{
	struct hmac_part	 part = { "0123456789", 10 };
	unsigned char		 mac[32];
	struct buf		 hex;

	assert_int_equal(hmac_compute(HMAC_SHA256, secret, strlen(secret),
	    &part, 1, mac), 0);
	buf_init(&hex, 64);
	assert_int_equal(verify_encode(ENC_HEX, mac, 32, &hex), 0);
	snprintf(out, outlen, "%s", hex.data);
	buf_release(&hex);
}

/* Hex HMAC-SHA256 of "t.0123456789" under a secret, for Stripe headers. */
static void
stripe_sig(const char *secret, const char *t, char *out, size_t outlen)
{
	struct hmac_part	 parts[3];
	unsigned char		 mac[32];
	struct buf		 hex;

	parts[0].data = t;
	parts[0].len = strlen(t);
	parts[1].data = ".";
	parts[1].len = 1;
	parts[2].data = "0123456789";
	parts[2].len = 10;
	assert_int_equal(hmac_compute(HMAC_SHA256, secret, strlen(secret),
	    parts, 3, mac), 0);
	buf_init(&hex, 64);
	assert_int_equal(verify_encode(ENC_HEX, mac, 32, &hex), 0);
	snprintf(out, outlen, "%s", hex.data);
	buf_release(&hex);
}

/*
 * The digest of the signed bytes (the ledger's replay key): set once a
 * signature matched, equal to SHA-256("t" "." body), independent of
 * which secret or how many candidates; not set on a mismatch.
 */
static void
test_signed_digest(void **state)
{
	struct fixture	 fx;
	unsigned char	 want[32];
	char		 good[65], old[65], hdr[300];

	(void)state;
	assert_int_equal(hmac_sha256("1700000000.0123456789", 21, want), 0);
	stripe_sig("two", "1700000000", good, sizeof(good));
	stripe_sig("one", "1700000000", old, sizeof(old));
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.v.have_signed, 1);
	assert_memory_equal(fx.v.signed_sha256, want, 32);
	/* Not the body alone: serve.c must hash the body itself. */
	assert_int_equal(fx.v.signed_is_body, 0);
	fx_done(&fx);
	/* Signed with another secret of the endpoint: the same key. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s,v1=%s", good, old);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.v.have_signed, 1);
	assert_memory_equal(fx.v.signed_sha256, want, 32);
	fx_done(&fx);
	stripe_sig("nope", "1700000000", good, sizeof(good));
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.v.have_signed, 0);
	fx_done(&fx);
	/*
	 * GitHub signs the body alone: the digest is the body's, which
	 * serve.c then takes instead of hashing the body again.
	 */
	assert_int_equal(hmac_sha256("0123456789", 10, want), 0);
	github_sig("two", good, sizeof(good));
	snprintf(hdr, sizeof(hdr), "sha256=%s", good);
	fx_run(&fx, &provider_github, hdr, NULL, NULL, 0);
	assert_int_equal(fx.v.have_signed, 1);
	assert_int_equal(fx.v.signed_is_body, 1);
	assert_memory_equal(fx.v.signed_sha256, want, 32);
	fx_done(&fx);
}

static void
test_reason_texts(void **state)
{
	struct fixture	 fx;
	char		 good[65], bad[65], hdr[300];

	(void)state;
	stripe_sig("two", "1700000000", good, sizeof(good));
	stripe_sig("nope", "1700000000", bad, sizeof(bad));

	/* Accepted: which secret. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.ok, 1);
	expect_reason(&fx, VERDICT_OK, (const char *[]){ "signature verified",
	    "secret #2", NULL });
	fx_done(&fx);

	/* Mismatch: the header, 2 signatures x 3 secrets, bytes signed. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s,v1=%s", bad, bad);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.ok, 0);
	assert_int_equal(fx.v.sigs_tried, 2);
	assert_int_equal(fx.v.secrets_tried, 3);
	assert_int_equal(fx.v.signed_len, 21);
	assert_int_equal(fx.v.secret_index, -1);
	expect_reason(&fx, VERDICT_MISMATCH, (const char *[]){
	    "'Stripe-Signature'", "2 signatures x 3 secrets",
	    "over 21 bytes", NULL });
	/* What the first secret would have signed, for explain. */
	assert_int_equal(fx.v.expected_len, 32);
	fx_done(&fx);

	/* A digest of the wrong length is malformed, not a mismatch. */
	fx_run(&fx, &provider_github, "sha256=00", NULL, NULL, 0);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "'X-Hub-Signature-256'", "expected length", NULL });
	assert_int_equal(fx.v.sigs_tried, 0);
	fx_done(&fx);

	/* One of each: singular. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", bad);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	fx.ep.nsecrets = 1;
	assert_int_equal(verify_request(&provider_stripe, &fx.sc, &fx.ep,
	    fx.req, 1700000000, &fx.v), 0);
	buf_reset(&fx.reason);
	assert_int_equal(verify_reason(&fx.v, &fx.reason), 0);
	expect_reason(&fx, VERDICT_MISMATCH, (const char *[]){
	    "1 signature x 1 secret tried", NULL });
	fx_done(&fx);

	/* Stale, with a signature that matched: say so. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000301);
	assert_int_equal(fx.ok, 0);
	assert_int_equal(fx.v.signature_ok, 1);
	assert_int_equal(fx.v.skew, 301);
	assert_int_equal(fx.v.tolerance, 300);
	expect_reason(&fx, VERDICT_STALE_TIMESTAMP, (const char *[]){
	    "old by 301 s", "tolerance 300 s", "signature valid", NULL });
	fx_done(&fx);

	/* Stale and not signed by us: the signature is called invalid. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", bad);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000301);
	expect_reason(&fx, VERDICT_STALE_TIMESTAMP, (const char *[]){
	    "signature invalid", NULL });
	fx_done(&fx);

	/* Future. */
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1699999000);
	assert_int_equal(fx.v.skew, -1000);
	expect_reason(&fx, VERDICT_FUTURE_TIMESTAMP, (const char *[]){
	    "ahead by 1000 s", "signature valid", NULL });
	fx_done(&fx);

	/* Missing signature header: named. */
	fx_run(&fx, &provider_slack, NULL, NULL, NULL, 0);
	expect_reason(&fx, VERDICT_MISSING_SIGNATURE, (const char *[]){
	    "missing signature header 'X-Slack-Signature'", NULL });
	fx_done(&fx);

	/* Missing timestamp header: named. */
	snprintf(hdr, sizeof(hdr), "v0=%s", good);
	fx_run(&fx, &provider_slack, hdr, NULL, NULL, 0);
	expect_reason(&fx, VERDICT_MISSING_TIMESTAMP, (const char *[]){
	    "'X-Slack-Request-Timestamp'", NULL });
	fx_done(&fx);

	/* Malformed timestamp: named. */
	fx_run(&fx, &provider_slack, hdr, "X-Slack-Request-Timestamp",
	    "yesterday", 0);
	expect_reason(&fx, VERDICT_MALFORMED_TIMESTAMP, (const char *[]){
	    "'X-Slack-Request-Timestamp'", NULL });
	assert_int_equal(fx.v.have_skew, 0);
	fx_done(&fx);

	/* Malformed signatures: the header and what is wrong. */
	fx_run(&fx, &provider_slack, "sha256=00", "X-Slack-Request-Timestamp",
	    "1", 1);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "'X-Slack-Signature'", "prefix", NULL });
	fx_done(&fx);
	fx_run(&fx, &provider_slack, "v0=ABCD", "X-Slack-Request-Timestamp",
	    "1", 1);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "'X-Slack-Signature'", "hex", NULL });
	fx_done(&fx);
	fx_run(&fx, &provider_zendesk, "not base64!",
	    "X-Zendesk-Webhook-Signature-Timestamp", "2023-11-14T22:13:20Z",
	    1700000000);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "'X-Zendesk-Webhook-Signature'", "base64", NULL });
	fx_done(&fx);
	snprintf(hdr, sizeof(hdr), "t=1,t=2,v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "more than one timestamp", NULL });
	fx_done(&fx);
	fx_run(&fx, &provider_stripe, "t=1,,v1=ab", NULL, NULL, 1);
	expect_reason(&fx, VERDICT_MALFORMED_SIGNATURE, (const char *[]){
	    "'Stripe-Signature'", NULL });
	fx_done(&fx);
}

static void
test_no_scheme_secret_unsigned(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const one[] = { "k", NULL };
	struct endpoint	 ep;
	struct scheme	 sc;
	struct request	*req;
	struct verdict	 v;
	struct buf	 reason;
	char		 err[128];

	(void)state;
	req = req_new("{}");
	buf_init(&reason, 1024);
	/* The generic receiver with nothing configured. */
	ep_init(&ep, one);
	assert_int_equal(verify_scheme(&provider_iot, &ep, &sc, err,
	    sizeof(err)), 0);
	assert_int_equal(verify_request(&provider_iot, &sc, &ep, req, 0, &v),
	    0);
	assert_int_equal(v.code, VERDICT_NO_SCHEME);
	assert_int_equal(verify_reason(&v, &reason), 0);
	assert_non_null(strstr(reason.data, "signature_header"));
	assert_int_equal(verify_status(v.code), 503);
	/* A scheme but no secret. */
	ep_init(&ep, none);
	assert_int_equal(verify_scheme(&provider_github, &ep, &sc, err,
	    sizeof(err)), 0);
	req_header(req, "X-Hub-Signature-256", "sha256=00");
	assert_int_equal(verify_request(&provider_github, &sc, &ep, req, 0,
	    &v), 0);
	assert_int_equal(v.code, VERDICT_NO_SECRET);
	assert_int_equal(verify_status(v.code), 503);
	/* Unsigned by explicit configuration: accepted, and says why. */
	ep.allow_unsigned = 1;
	assert_int_equal(verify_request(&provider_github, &sc, &ep, req, 0,
	    &v), 1);
	assert_int_equal(v.code, VERDICT_UNSIGNED);
	buf_reset(&reason);
	assert_int_equal(verify_reason(&v, &reason), 0);
	assert_non_null(strstr(reason.data, "insecure_allow_unsigned"));
	assert_int_equal(verify_status(v.code), 200);
	buf_release(&reason);
	req_free(req);
}

static void
test_tolerance_source(void **state)
{
	struct fixture	 fx;
	char		 good[65], hdr[128];

	(void)state;
	stripe_sig("one", "1700000000", good, sizeof(good));
	snprintf(hdr, sizeof(hdr), "t=1700000000,v1=%s", good);
	/* tolerance -1: the provider's 300 s. */
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000300);
	assert_int_equal(fx.v.code, VERDICT_OK);
	assert_int_equal(fx.v.tolerance, 300);
	fx.ep.tolerance = 0;
	/* tolerance 0: no window at all. */
	assert_int_equal(verify_request(&provider_stripe, &fx.sc, &fx.ep,
	    fx.req, 1800000000, &fx.v), 1);
	assert_int_equal(fx.v.tolerance, 0);
	assert_int_equal(fx.v.have_skew, 1);
	assert_int_equal(fx.v.skew, 100000000);
	/* A tighter window of the endpoint's own. */
	fx.ep.tolerance = 10;
	assert_int_equal(verify_request(&provider_stripe, &fx.sc, &fx.ep,
	    fx.req, 1700000011, &fx.v), 0);
	assert_int_equal(fx.v.code, VERDICT_STALE_TIMESTAMP);
	assert_int_equal(verify_request(&provider_stripe, &fx.sc, &fx.ep,
	    fx.req, 1700000010, &fx.v), 1);
	fx_done(&fx);
}

static void
test_too_many_candidates(void **state)
{
	struct fixture	 fx;
	char		 good[65], bad[65], hdr[2048];
	size_t		 len, i;

	(void)state;
	stripe_sig("one", "1700000000", good, sizeof(good));
	stripe_sig("nope", "1700000000", bad, sizeof(bad));
	/* The good one among LIMIT_SIGNATURES is found... */
	len = (size_t)snprintf(hdr, sizeof(hdr), "t=1700000000");
	for (i = 0; i < LIMIT_SIGNATURES - 1; i++)
		len += (size_t)snprintf(hdr + len, sizeof(hdr) - len,
		    ",v1=%s", bad);
	snprintf(hdr + len, sizeof(hdr) - len, ",v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.v.code, VERDICT_OK);
	assert_int_equal(fx.v.sigs_tried, LIMIT_SIGNATURES);
	fx_done(&fx);
	/* ...but no more candidates than that are ever compared. */
	len = (size_t)snprintf(hdr, sizeof(hdr), "t=1700000000");
	for (i = 0; i < LIMIT_SIGNATURES; i++)
		len += (size_t)snprintf(hdr + len, sizeof(hdr) - len,
		    ",v1=%s", bad);
	snprintf(hdr + len, sizeof(hdr) - len, ",v1=%s", good);
	fx_run(&fx, &provider_stripe, hdr, NULL, NULL, 1700000000);
	assert_int_equal(fx.ok, 0);
	assert_true(fx.v.sigs_tried <= LIMIT_SIGNATURES);
	fx_done(&fx);
}

static void
test_scheme_overrides(void **state)
{
	static const char *const one[] = { "k", NULL };
	struct endpoint	 ep;
	struct scheme	 sc;
	char		 err[128];

	(void)state;
	ep_init(&ep, one);
	ep.signature_header = "X-Sig";
	ep.algorithm = "sha512";
	ep.encoding = "base64";
	ep.signature_prefix = "v1=";
	ep.timestamp_header = "X-Ts";
	ep.signed_payload = "timestamp+body";
	ep.signed_separator = ":";
	assert_int_equal(verify_scheme(&provider_iot, &ep, &sc, err,
	    sizeof(err)), 0);
	assert_string_equal(sc.header, "X-Sig");
	assert_int_equal(sc.format, SIG_PLAIN);
	assert_int_equal(sc.alg, HMAC_SHA512);
	assert_int_equal(sc.encoding, ENC_BASE64);
	assert_string_equal(sc.prefix, "v1=");
	assert_string_equal(sc.ts_header, "X-Ts");
	assert_int_equal(sc.ts_format, TS_UNIX);
	assert_int_equal(sc.payload[0].kind, PART_TIMESTAMP);
	assert_int_equal(sc.payload[1].kind, PART_LITERAL);
	assert_string_equal(sc.payload[1].text, ":");
	assert_int_equal(sc.payload[2].kind, PART_BODY);
	assert_int_equal(sc.payload[3].kind, PART_END);
	/* The provider's descriptor is left alone. */
	assert_null(provider_iot.scheme.header);
	/* timestamp+body without a timestamp header is unusable. */
	ep.timestamp_header = NULL;
	err[0] = '\0';
	assert_int_equal(verify_scheme(&provider_iot, &ep, &sc, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "timestamp_header"));
	/* An algorithm nobody knows. */
	ep.signed_payload = NULL;
	ep.algorithm = "md5";
	assert_int_equal(verify_scheme(&provider_iot, &ep, &sc, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'md5'"));
	/* A token header turns any provider into a shared token. */
	ep_init(&ep, one);
	ep.token_header = "X-Gitlab-Token";
	assert_int_equal(verify_scheme(&provider_github, &ep, &sc, err,
	    sizeof(err)), 0);
	assert_int_equal(sc.format, SIG_TOKEN);
	assert_string_equal(sc.header, "X-Gitlab-Token");
	/* Without overrides a provider's scheme is kept as is. */
	ep_init(&ep, one);
	assert_int_equal(verify_scheme(&provider_slack, &ep, &sc, err,
	    sizeof(err)), 0);
	assert_memory_equal(&sc, &provider_slack.scheme, sizeof(sc));
}

static void
test_names_and_status(void **state)
{
	static const struct {
		enum verdict_code	 code;
		const char		*name;
		int			 status;
	} codes[] = {
		{ VERDICT_OK, "ok", 200 },
		{ VERDICT_UNSIGNED, "unsigned", 200 },
		{ VERDICT_NO_SCHEME, "no_scheme", 503 },
		{ VERDICT_NO_SECRET, "no_secret", 503 },
		{ VERDICT_MISSING_SIGNATURE, "missing_signature", 401 },
		{ VERDICT_MALFORMED_SIGNATURE, "malformed_signature", 401 },
		{ VERDICT_MISSING_TIMESTAMP, "missing_timestamp", 401 },
		{ VERDICT_MALFORMED_TIMESTAMP, "malformed_timestamp", 401 },
		{ VERDICT_STALE_TIMESTAMP, "stale_timestamp", 401 },
		{ VERDICT_FUTURE_TIMESTAMP, "future_timestamp", 401 },
		{ VERDICT_MISMATCH, "mismatch", 401 },
		{ VERDICT_ERROR, "error", 503 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_string_equal(verify_code_name(codes[i].code),
		    codes[i].name);
		assert_int_equal(verify_status(codes[i].code),
		    codes[i].status);
	}
	assert_string_equal(verify_code_name((enum verdict_code)99), "error");
}

static void
test_encode(void **state)
{
	static const unsigned char	 mac[] = { 0x00, 0xab, 0xff, 0x10 };
	struct buf			 out;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(verify_encode(ENC_HEX, mac, sizeof(mac), &out), 0);
	assert_string_equal(out.data, "00abff10");
	buf_reset(&out);
	assert_int_equal(verify_encode(ENC_BASE64, mac, sizeof(mac), &out),
	    0);
	assert_string_equal(out.data, "AKv/EA==");
	buf_release(&out);
	buf_init(&out, 7);
	assert_int_equal(verify_encode(ENC_HEX, mac, sizeof(mac), &out), -1);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_sign_round_trip),
		cmocka_unit_test(test_sign_known),
		cmocka_unit_test(test_legacy_sha1),
		cmocka_unit_test(test_reason_texts),
		cmocka_unit_test(test_signed_digest),
		cmocka_unit_test(test_no_scheme_secret_unsigned),
		cmocka_unit_test(test_tolerance_source),
		cmocka_unit_test(test_too_many_candidates),
		cmocka_unit_test(test_scheme_overrides),
		cmocka_unit_test(test_names_and_status),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
