/*
 * webhookctl send URL ENDPOINT: signs a sample event (or a file) the way
 * the endpoint's provider does, with the endpoint's first secret, a
 * fresh delivery id and the current time, and POSTs it.
 *
 * Samples live in tools/samples/<provider>/<event>.json (.form for a
 * form-encoded body) and may hold placeholders, replaced before
 * signing: {{ID}} the delivery id (where Stripe and Slack carry it),
 * {{TS}} Unix seconds, {{TIME}} RFC 3339 UTC.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "hmac.h"
#include "json.h"
#include "log.h"
#include "send.h"
#include "ctl.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

/* Where samples are looked for, after $WEBHOOK_SAMPLES. */
#ifndef SAMPLES_DIR
#define SAMPLES_DIR	"/usr/local/share/webhook-fcgi/samples"
#endif

/* Seconds a send may take in all. */
#define SEND_TIMEOUT	10

static const char help[] =
    "Signs a sample event like ENDPOINT's provider, with its first secret,\n"
    "a fresh delivery id and the current time, and POSTs it to URL.\n"
    "  --event E        the event; picks the sample of that name too\n"
    "  --sample NAME    the sample (default: push, payment_intent.succeeded,"
    "\n                   app_mention, ticket.created, temperature.alert,\n"
    "                   messages, list_folder, meeting.started,\n"
    "                   channel.follow)\n"
    "  --body-file F    send the bytes of F ('-': standard input) instead\n"
    "  --id ID          the delivery id (default: a fresh one)\n"
    "  --content-type T the Content-Type (default: from the sample)\n"
    "  --private-key F  discord, sendgrid: sign with this PEM private key\n"
    "                   (tests only; see webhookctl sign)\n"
    "  --insecure, -k   do not verify the server's TLS certificate\n"
    "  -v               print the request headers on standard error\n"
    "  --json           print the result as one JSON object\n"
    "  --handshake      meta, dropbox: make the provider's GET handshake\n"
    "                   (with the endpoint's verify_token) instead\n"
    "Exit status: 0 for a 2xx answer, 1 for another status, 111 when no\n"
    "answer came.\n";

struct send_args {
	const char	*url;
	const char	*endpoint;
	const char	*event;
	const char	*sample;
	const char	*body_file;
	const char	*id;
	const char	*content_type;
	const char	*key_file;	/* --private-key: discord, sendgrid */
	int		 insecure;
	int		 verbose;
	int		 json;
	int		 handshake;	/* the provider's GET handshake */
};

/* The sample each provider sends by default. */
static const char *
default_sample(const struct provider *p)
{
	static const struct {
		const char	*provider;
		const char	*sample;
	} defaults[] = {
		{ "github", "push" },
		{ "stripe", "payment_intent.succeeded" },
		{ "slack", "app_mention" },
		{ "zendesk", "ticket.created" },
		{ "iot", "temperature.alert" },
		{ "meta", "messages" },
		{ "dropbox", "list_folder" },
		{ "zoom", "meeting.started" },
		{ "discord", "APPLICATION_COMMAND" },
		{ "sendgrid", "delivered" },
		{ "twitch", "channel.follow" },
		{ "standardwebhooks", "contact.created" },
		{ "svix", "contact.created" },
		{ "clerk", "user.created" },
		{ "resend", "email.delivered" },
		{ "openai", "response.completed" },
		{ "square", "payment.created" },
		{ "trello", "updateCard" },
		{ "hubspot", "contact.creation" },
		{ "twilio", "delivered" },
		{ "shopify", "orders.create" },
		{ "gitlab", "push" },
		{ "bitbucket", "repo.push" },
		{ "linear", "Issue.create" },
		{ "paddle", "transaction.completed" },
		{ "pagerduty", "incident.triggered" },
		{ "typeform", "form_response" },
		{ "intercom", "conversation.user.created" },
		{ "mux", "video.asset.ready" },
		{ "calendly", "invitee.created" },
		{ "mailgun", "delivered" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (strcmp(defaults[i].provider, p->name) == 0)
			return defaults[i].sample;
	return "sample";
}

/* Tries dir/provider/name.ext; 0 with path set when it exists. */
static int
try_sample(const char *dir, const char *provider, const char *name,
    char *path, size_t len)
{
	static const char *const	 exts[] = { "json", "form" };
	size_t				 i;

	for (i = 0; i < 2; i++)
		if ((size_t)snprintf(path, len, "%s/%s/%s.%s", dir, provider,
		    name, exts[i]) < len && access(path, R_OK) == 0)
			return 0;
	return -1;
}

/*
 * Finds a sample: $WEBHOOK_SAMPLES, the source tree next to the binary
 * (build/bin or build/asan/bin), the installed share folder.
 */
static int
find_sample(const char *provider, const char *name, char *path,
    size_t len)
{
	char		 exe[PATH_MAX], dir[PATH_MAX + 32];
	const char	*env = getenv("WEBHOOK_SAMPLES");
	char		*slash;
	ssize_t		 n;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return -1;
	if (env != NULL && env[0] != '\0')
		return try_sample(env, provider, name, path, len);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(dir, sizeof(dir), "%s/../../tools/samples", exe);
		if (try_sample(dir, provider, name, path, len) == 0)
			return 0;
		snprintf(dir, sizeof(dir), "%s/../../../tools/samples", exe);
		if (try_sample(dir, provider, name, path, len) == 0)
			return 0;
		snprintf(dir, sizeof(dir), "%s/../share/webhook-fcgi/samples",
		    exe);
		if (try_sample(dir, provider, name, path, len) == 0)
			return 0;
	}
	return try_sample(SAMPLES_DIR, provider, name, path, len);
}

/* Replaces every {{KEY}} of the table in body; 0 or -1. */
static int
fill_placeholders(struct buf *body, const char *id, time_t now)
{
	struct buf	 out;
	struct tm	 tm;
	char		 ts[32], iso[32], ms[32];
	/* {{TS_MS}}: Linear's webhookTimestamp, Unix milliseconds. */
	const char	*keys[4] = { "{{ID}}", "{{TS}}", "{{TIME}}", "{{TS_MS}}" };
	const char	*vals[4];
	size_t		 i = 0, k;
	int		 hit;

	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	gmtime_r(&now, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vals[0] = id;
	vals[1] = ts;
	vals[2] = iso;
	snprintf(ms, sizeof(ms), "%lld000", (long long)now);
	vals[3] = ms;
	buf_init(&out, body->max);
	while (i < body->len) {
		hit = 0;
		for (k = 0; k < 4 && body->data[i] == '{'; k++)
			if (body->len - i >= strlen(keys[k]) &&
			    memcmp(body->data + i, keys[k],
			    strlen(keys[k])) == 0) {
				if (buf_adds(&out, vals[k]) == -1)
					goto fail;
				i += strlen(keys[k]);
				hit = 1;
				break;
			}
		if (!hit && buf_addc(&out, body->data[i++]) == -1)
			goto fail;
	}
	buf_release(body);
	*body = out;
	return buf_add(body, "", 0);
fail:
	buf_release(&out);
	return -1;
}

/* The body: a file as it is, or a sample with its placeholders filled. */
static int
load_body(const struct send_args *a, const struct provider *p,
    const char *id, const char **sample, const char **ctype,
    struct buf *body)
{
	char	 path[PATH_MAX];

	if (a->body_file != NULL)
		return ctl_read_file(a->body_file, body);
	*sample = a->sample != NULL ? a->sample : a->event != NULL ?
	    a->event : default_sample(p);
	if (find_sample(p->name, *sample, path, sizeof(path)) == -1) {
		log_warnx("no sample '%s' for %s (tools/samples/%s/, or set"
		    " WEBHOOK_SAMPLES): give --sample or --body-file",
		    *sample, p->name, p->name);
		return -1;
	}
	if (strlen(path) > 5 && strcmp(path + strlen(path) - 5, ".form") == 0)
		*ctype = "application/x-www-form-urlencoded";
	else
		*ctype = "application/json";
	if (ctl_read_file(path, body) == -1 ||
	    fill_placeholders(body, id, time(NULL)) == -1)
		return -1;
	return 0;
}

/*
 * The delivery id as the handler will read it, for the report: from the
 * body for Stripe and Slack, else the body's digest where the provider
 * falls back to it (Slack's forms).
 */
static void
id_in_body(const struct ctl_signer *s, const struct buf *body,
    char *id, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	struct json_doc		*doc;
	struct buf		 v;
	unsigned char		 md[32];
	char			 err[128];
	size_t			 i;
	int			 found = 0;

	if (ctl_id_header(s) != NULL ||
	    (s->p->id.field == NULL && !s->p->id.digest))
		return;
	if (s->p->id.field != NULL && (doc = json_parse(body->data,
	    body->len, err, sizeof(err))) != NULL) {
		buf_init(&v, LIMIT_ID_LEN + 1);
		if ((found = json_get(doc, s->p->id.field, &v) == 1))
			snprintf(id, len, "%s", v.data);
		buf_release(&v);
		json_doc_free(doc);
	}
	if (found || !s->p->id.digest || len < 65 ||
	    hmac_sha256(body->data, body->len, md) == -1)
		return;
	for (i = 0; i < 32; i++) {
		id[2 * i] = hex[md[i] >> 4];
		id[2 * i + 1] = hex[md[i] & 15];
	}
	id[64] = '\0';
}

static int
report(const struct send_args *a, const char *id, const char *event,
    size_t bytes, const struct send_reply *r)
{
	struct buf	 j;

	if (a->json) {
		buf_init(&j, SEND_MAX_REPLY * 6 + 4096);
		buf_addc(&j, '{');
		json_add_kv(&j, 1, "url", a->url, strlen(a->url));
		json_add_kv(&j, 0, "endpoint", a->endpoint,
		    strlen(a->endpoint));
		json_add_kv(&j, 0, "id", id, strlen(id));
		if (event != NULL)
			json_add_kv(&j, 0, "event", event, strlen(event));
		json_add_kv_int(&j, "bytes", (long long)bytes);
		json_add_kv_int(&j, "status", r->status);
		if (json_add_kv(&j, 0, "response", r->body.data != NULL ?
		    r->body.data : "", r->body.len) == -1)
			json_add_kv(&j, 0, "response", "(not UTF-8)", 11);
		buf_adds(&j, "}\n");
		fwrite(j.data, 1, j.len, stdout);
		buf_release(&j);
	} else {
		printf("sent %s%sdelivery %s to %s (%zu bytes)\nHTTP %ld\n",
		    event != NULL ? event : "", event != NULL ? " " : "", id,
		    a->url, bytes, r->status);
		if (r->body.len > 0) {
			fwrite(r->body.data, 1, r->body.len, stdout);
			if (r->body.data[r->body.len - 1] != '\n')
				putchar('\n');
		}
	}
	return r->status >= 200 && r->status < 300 ? CTL_OK : CTL_NO;
}

/* Signs and posts, once the endpoint is known. */
static int
send_run(const struct send_args *a, const struct endpoint *ep,
    const struct provider *p, const char *secret, size_t secretlen)
{
	struct ctl_signer	 s;
	struct send_opts	 o;
	struct send_reply	 r;
	struct buf		 body, headers, sig;
	const char		*sample = NULL, *ctype = NULL, *event;
	char			 id[LIMIT_ID_LEN + 1], ts[64], err[512];
	int			 rc = CTL_FAIL;

	buf_init(&body, LIMIT_BODY);
	buf_init(&headers, 64 * 1024);
	send_reply_init(&r);
	if (ctl_signer_init(&s, p, ep, secret, secretlen) == -1)
		goto out;
	/* Signed URLs: public_url when set, else the URL posted to. */
	if (s.url == NULL)
		s.url = a->url;
	if (a->id != NULL)
		snprintf(id, sizeof(id), "%s", a->id);
	else if (ctl_new_id(p, id, sizeof(id)) == -1)
		goto out;
	if (load_body(a, p, id, &sample, &ctype, &body) == -1)
		goto out;
	event = a->event != NULL ? a->event : sample != NULL ? sample :
	    ctl_event_header(&s) != NULL ? default_sample(p) : NULL;
	if (a->content_type != NULL)
		ctype = a->content_type;
	else if (ctype == NULL)
		ctype = body.len > 0 && (body.data[0] == '{' ||
		    body.data[0] == '[') ? "application/json" :
		    "application/x-www-form-urlencoded";
	ctl_sign_timestamp(&s.sc, time(NULL), ts, sizeof(ts));
	/* Mailgun: the signature goes into the body, at {{SIG}}. */
	buf_init(&sig, 256);
	if (s.sc.format == SIG_BODY &&
	    ctl_sign_body(&s, &body, ctype, &sig) == -1) {
		log_warnx("cannot sign the body: it needs its %s, timestamp"
		    " and token fields", s.sc.header);
		buf_release(&sig);
		goto out;
	}
	buf_release(&sig);
	id_in_body(&s, &body, id, sizeof(id));
	if (ctl_sign_headers(&s, body.data, body.len, ctype,
	    ts[0] != '\0' ? ts : NULL, id, event, &headers) == -1 ||
	    buf_printf(&headers, "User-Agent: webhookctl/%s\n", VERSION) ==
	    -1) {
		log_warnx("cannot sign the delivery");
		goto out;
	}
	if (a->verbose)
		fprintf(stderr, "> POST %s\n%s", a->url, headers.data);
	o.insecure = a->insecure;
	o.timeout = SEND_TIMEOUT;
	if (send_post(a->url, headers.data, headers.len, body.data, body.len,
	    &o, &r, err, sizeof(err)) == -1) {
		log_warnx("cannot POST to '%s': %s", a->url, err);
		goto out;
	}
	rc = report(a, id, event, body.len, &r);
out:
	send_reply_release(&r);
	buf_release(&headers);
	buf_release(&body);
	return rc;
}

/* Providers that sign with a private key: the test key of --private-key. */
static int
send_pk(const struct send_args *a, const struct endpoint *ep,
    const struct provider *p)
{
	struct buf	 key;
	int		 rc;

	if (p->scheme.pk == HMAC_PK_NONE) {
		log_warnx("%s signs with a shared secret, not a private key",
		    p->name);
		return CTL_USAGE;
	}
	if (a->key_file == NULL) {
		log_warnx("%s signs with an %s private key: give"
		    " --private-key FILE (PEM; for tests only)", p->name,
		    hmac_pk_name(p->scheme.pk));
		return CTL_USAGE;
	}
	if (ctl_read_secret(a->key_file, &key) == -1)
		return CTL_FAIL;
	rc = send_run(a, ep, p, key.data, key.len);
	ctl_wipe(&key);
	return rc;
}

/* Appends s percent-encoded for a query value (RFC 3986 unreserved). */
static int
add_query_value(struct buf *out, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((isalnum(*p) || strchr("-._~", *p) != NULL) ?
		    buf_addc(out, (char)*p) == -1 :
		    buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]) == -1)
			return -1;
	return 0;
}

/*
 * --handshake: the provider's GET verification request (Meta's
 * hub.mode/hub.verify_token/hub.challenge, Dropbox's challenge), with a
 * fresh challenge and the endpoint's verify_token.  Succeeds when the
 * answer is 2xx and exactly the challenge.
 */
static int
handshake_run(const struct send_args *a, const struct endpoint *ep,
    const struct provider *p)
{
	const struct get_handshake	*g = &p->get;
	struct send_opts		 o;
	struct send_reply		 r;
	struct buf			 url, hdr;
	char				 challenge[32], err[512];
	int				 rc = CTL_FAIL;

	if (g->challenge == NULL) {
		log_warnx("%s has no GET handshake: send its handshake as a"
		    " sample (slack: url_verification, zoom:"
		    " endpoint.url_validation, twitch:"
		    " webhook_callback_verification)", p->name);
		return CTL_USAGE;
	}
	if (g->token != NULL && ep->verify_token == NULL) {
		log_warnx("endpoint '%s' has no verify_token to send",
		    ep->name);
		return CTL_FAIL;
	}
	buf_init(&url, 16 * 1024);
	buf_init(&hdr, 1024);
	send_reply_init(&r);
	if (ctl_new_id(p, challenge, sizeof(challenge)) == -1)
		snprintf(challenge, sizeof(challenge), "%lld",
		    (long long)time(NULL));
	challenge[16] = '\0';
	if (buf_adds(&url, a->url) == -1 || buf_addc(&url,
	    strchr(a->url, '?') != NULL ? '&' : '?') == -1 ||
	    (g->mode != NULL && (buf_printf(&url, "%s=", g->mode) == -1 ||
	    add_query_value(&url, g->mode_value) == -1 ||
	    buf_addc(&url, '&') == -1)) ||
	    buf_printf(&url, "%s=", g->challenge) == -1 ||
	    add_query_value(&url, challenge) == -1 ||
	    (g->token != NULL && (buf_printf(&url, "&%s=", g->token) == -1 ||
	    add_query_value(&url, ep->verify_token) == -1)) ||
	    buf_printf(&hdr, "User-Agent: webhookctl/%s\n", VERSION) == -1) {
		log_warnx("URL too long");
		goto out;
	}
	o.insecure = a->insecure;
	o.timeout = SEND_TIMEOUT;
	if (send_get(url.data, hdr.data, hdr.len, &o, &r, err,
	    sizeof(err)) == -1) {
		log_warnx("cannot GET '%s': %s", a->url, err);
		goto out;
	}
	/* The URL carries the token: print where it went, not the URL. */
	printf("sent %s handshake (challenge %s) to %s\nHTTP %ld\n",
	    p->name, challenge, a->url, r.status);
	if (r.body.len > 0)
		printf("%.*s\n", (int)r.body.len, r.body.data);
	rc = r.status >= 200 && r.status < 300 && r.body.len ==
	    strlen(challenge) && memcmp(r.body.data, challenge,
	    r.body.len) == 0 ? CTL_OK : CTL_NO;
	if (rc == CTL_NO)
		log_warnx("the answer is not the challenge");
out:
	send_reply_release(&r);
	buf_release(&url);
	buf_release(&hdr);
	return rc;
}

int
ctl_send(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "sample", required_argument, NULL, 's' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "id", required_argument, NULL, 'i' },
		{ "content-type", required_argument, NULL, 'T' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "private-key", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "handshake", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct provider		*p;
	struct send_args		 a;
	struct endpoint			 ep;
	int				 c, rc;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "hkv", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			a.event = optarg;
			break;
		case 's':
			a.sample = optarg;
			break;
		case 'b':
			a.body_file = optarg;
			break;
		case 'i':
			a.id = optarg;
			break;
		case 'T':
			a.content_type = optarg;
			break;
		case 'k':
			a.insecure = 1;
			break;
		case 'P':
			a.key_file = optarg;
			break;
		case 'v':
			a.verbose = 1;
			break;
		case 'H':
			a.handshake = 1;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind != 2 || (a.body_file != NULL && a.sample != NULL))
		return ctl_usage(ctl);
	a.url = argv[optind];
	a.endpoint = argv[optind + 1];
	if (ctl_endpoint(ctl, a.endpoint, 1, &ep) == -1)
		return CTL_FAIL;
	if ((p = ctl_endpoint_provider(&ep)) == NULL)
		rc = CTL_FAIL;
	else if (a.handshake)
		rc = handshake_run(&a, &ep, p);
	else if (p->scheme.pk != HMAC_PK_NONE || a.key_file != NULL)
		rc = send_pk(&a, &ep, p);
	else if (ep.nsecrets == 0) {
		log_warnx("endpoint '%s' has no secret to sign with",
		    ep.name);
		rc = CTL_FAIL;
	} else
		rc = send_run(&a, &ep, p, ep.secrets[0].data,
		    ep.secrets[0].len);
	config_endpoint_release(&ep);
	return rc;
}
