/*
 * webhookctl sign PROVIDER: prints the headers a provider would send
 * with a body, computed by verify_sign() from the very descriptor the
 * handler verifies with.  The signing helpers here serve send and
 * replay --resign too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "hmac.h"
#include "log.h"
#include "parse.h"
#include "verify.h"
#include "ctl.h"

static const char help[] =
    "Prints the headers PROVIDER would send with the body: Content-Type,\n"
    "the signature (and timestamp), the delivery id and event headers.\n"
    "  --secret-file F  read the secret from F (else $WEBHOOK_SECRET, else\n"
    "                   the first secret of --endpoint)\n"
    "  --secret S       the secret itself: visible in process listings\n"
    "  --private-key F  discord, sendgrid: the PEM private key to sign\n"
    "                   with; for tests only, the provider holds the real\n"
    "                   one (openssl genpkey makes a pair)\n"
    "  --body-file F    the body; '-' or none: standard input\n"
    "  --timestamp T    Unix seconds, or the exact text to sign"
    " (default now)\n"
    "  --id ID          delivery id for providers sending it in a header\n"
    "  --event E        event for providers sending it in a header"
    " (github: push)\n"
    "  --endpoint E     sign as endpoint E of the configuration (its\n"
    "                   scheme: required for iot)\n"
    "  --config F       the configuration (as -c)\n"
    "  --content-type T the Content-Type (default: guessed from the body)\n"
    "  --url URL        twilio, square, trello, hubspot: the URL the\n"
    "                   provider posts to (default: the endpoint's\n"
    "                   public_url)\n"
    "mailgun: the signature is a body field over its timestamp and token\n"
    "fields; sign prints 'signature: <hex>', the value it must hold.\n";

int
ctl_signer_init(struct ctl_signer *s, const struct provider *p,
    const struct endpoint *ep, const char *secret, size_t secretlen)
{
	char	 err[256];

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->ep = ep;
	s->secret = secret;
	s->secretlen = secretlen;
	s->url = ep != NULL ? ep->public_url : NULL;
	if (ep == NULL)
		s->sc = p->scheme;
	else if (verify_scheme(p, ep, &s->sc, err, sizeof(err)) == -1) {
		log_warnx("endpoint '%s': %s", ep->name, err);
		return -1;
	}
	if (s->sc.format == SIG_NONE || s->sc.header == NULL) {
		log_warnx("%s has no built-in signature scheme: name an"
		    " endpoint that configures one (signature_header or"
		    " token_header)", p->name);
		return -1;
	}
	return 0;
}

const char *
ctl_id_header(const struct ctl_signer *s)
{
	/* Endpoint keys replace the provider's sources as a pair. */
	if (s->ep != NULL && (s->ep->id_header != NULL ||
	    s->ep->id_field != NULL))
		return s->ep->id_header;
	return s->p->id.header;
}

const char *
ctl_event_header(const struct ctl_signer *s)
{
	if (s->ep != NULL && (s->ep->event_header != NULL ||
	    s->ep->event_field != NULL))
		return s->ep->event_header;
	return s->p->event.header;
}

void
ctl_sign_timestamp(const struct scheme *sc, time_t t, char *out,
    size_t len)
{
	struct tm	 tm;

	out[0] = '\0';
	if (sc->ts_header == NULL && sc->ts_key == NULL)
		return;
	switch (sc->ts_format) {
	case TS_UNIX_MS:
		snprintf(out, len, "%lld000", (long long)t);
		break;
	case TS_ISO8601:
		gmtime_r(&t, &tm);
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		break;
	default:
		snprintf(out, len, "%lld", (long long)t);
		break;
	}
}

/* n random characters from set into out. */
static int
random_chars(const char *set, size_t n, char *out)
{
	unsigned char	 r[64];
	size_t		 i, m = strlen(set);

	if (n > sizeof(r) || hmac_random(r, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = set[r[i] % m];
	out[n] = '\0';
	return 0;
}

/* An RFC 4122 version 4 UUID, as GitHub's delivery GUIDs. */
static int
uuid4(char *out, size_t len)
{
	unsigned char	 r[16];

	if (len < 37 || hmac_random(r, sizeof(r)) == -1)
		return -1;
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
	return 0;
}

int
ctl_new_id(const struct provider *p, char *out, size_t len)
{
	static const char	 alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char	 upper[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	if (len < 40)
		return -1;
	/* The shapes the providers use: evt_..., Ev..., numbers, GUIDs. */
	if (strcmp(p->name, "stripe") == 0) {
		memcpy(out, "evt_", 4);
		return random_chars(alnum, 24, out + 4);
	}
	if (strcmp(p->name, "slack") == 0) {
		memcpy(out, "Ev", 2);
		return random_chars(upper, 10, out + 2);
	}
	if (strcmp(p->name, "zendesk") == 0)
		return random_chars("0123456789", 12, out);
	/* Standard Webhooks (whsec_ secrets): Svix's "msg_" + 27 characters. */
	if (p->scheme.secret_form != SECRET_TEXT) {
		memcpy(out, "msg_", 4);
		return random_chars(alnum, 27, out + 4);
	}
	/* Mailgun's signature token: 50 characters, hex. */
	if (strcmp(p->name, "mailgun") == 0 && len > 50)
		return random_chars("0123456789abcdef", 50, out);
	return uuid4(out, len);
}

/*
 * A signed-URL scheme needs the URL, and Twilio signs a JSON body by
 * its digest in that URL: say what to use when it is not there yet.
 * Returns 1 for a signed-URL scheme ready to sign, 0 for another
 * scheme, -1 after saying what is missing.
 */
static int
sign_url_ok(const struct ctl_signer *s, const char *body, size_t len,
    const char *content_type)
{
	const struct signed_part	*sp;
	unsigned char			 md[32];
	size_t				 i;

	for (sp = s->sc.payload; sp < s->sc.payload + SCHEME_MAX_PARTS &&
	    sp->kind != PART_END && sp->kind != PART_URL; sp++)
		;
	if (sp == s->sc.payload + SCHEME_MAX_PARTS || sp->kind != PART_URL)
		return 0;
	if (s->url != NULL && (s->sc.body_digest_param == NULL ||
	    (content_type != NULL && strncmp(content_type,
	    "application/x-www-form-urlencoded", 33) == 0) ||
	    strstr(s->url, s->sc.body_digest_param) != NULL))
		return 1;
	if (s->url == NULL) {
		log_warnx("%s signs the URL it posts to: give --url (or an"
		    " --endpoint with public_url)", s->p->name);
		return -1;
	}
	if (hmac_sha256(body, len, md) == -1)
		return -1;
	fprintf(stderr, "webhookctl: %s signs a JSON body's digest in the"
	    " URL: use --url '%s%c%s=", s->p->name, s->url,
	    strchr(s->url, '?') != NULL ? '&' : '?', s->sc.body_digest_param);
	for (i = 0; i < sizeof(md); i++)
		fprintf(stderr, "%02x", md[i]);
	fprintf(stderr, "'\n");
	return -1;
}

int
ctl_sign_headers(const struct ctl_signer *s, const char *body, size_t len,
    const char *content_type, const char *ts, const char *id,
    const char *event, struct buf *out)
{
	struct header	 idh;
	const char	*h;
	int		 signs_url;

	if (content_type != NULL &&
	    buf_printf(out, "Content-Type: %s\n", content_type) == -1)
		return -1;
	/* Twitch signs its message id header: the id sent is the one signed. */
	memset(&idh, 0, sizeof(idh));
	if ((idh.name = ctl_id_header(s)) != NULL && id != NULL) {
		idh.value = id;
		idh.len = strlen(id);
	}
	if ((signs_url = sign_url_ok(s, body, len, content_type)) == -1)
		return -1;
	/* Mailgun's signature is in the body: see ctl_sign_body. */
	if (s->sc.format != SIG_BODY && (signs_url ?
	    verify_sign_url(&s->sc, s->secret, s->secretlen,
	    ts, "POST", s->url, content_type != NULL && strncmp(content_type,
	    "application/x-www-form-urlencoded", 33) == 0, body, len, out) :
	    verify_sign_headers(&s->sc, s->secret, s->secretlen, ts, &idh,
	    idh.value != NULL ? 1 : 0, body, len, out)) == -1)
		return -1;
	/* GitHub sends its SHA-1 header too, unless the scheme was changed. */
	if (s->p->legacy.header != NULL &&
	    s->sc.header == s->p->scheme.header &&
	    verify_sign(&s->p->legacy, s->secret, s->secretlen, ts, body,
	    len, out) == -1)
		return -1;
	if ((h = ctl_id_header(s)) != NULL && id != NULL &&
	    buf_printf(out, "%s: %s\n", h, id) == -1)
		return -1;
	if ((h = ctl_event_header(s)) != NULL && event != NULL &&
	    buf_printf(out, "%s: %s\n", h, event) == -1)
		return -1;
	return 0;
}

int
ctl_sign_body(const struct ctl_signer *s, struct buf *body,
    const char *content_type, struct buf *sig)
{
	struct buf	 out;
	char		*at;
	size_t		 off;
	int		 rc;

	if (verify_sign_body(&s->sc, s->secret, s->secretlen, body->data,
	    body->len, content_type, sig) == -1)
		return -1;
	if (body->data == NULL ||
	    (at = strstr(body->data, CTL_SIG_PLACEHOLDER)) == NULL)
		return 0;
	off = (size_t)(at - body->data);
	buf_init(&out, body->max);
	rc = buf_add(&out, body->data, off) == -1 ||
	    buf_add(&out, sig->data, sig->len) == -1 ||
	    buf_add(&out, at + strlen(CTL_SIG_PLACEHOLDER), body->len - off -
	    strlen(CTL_SIG_PLACEHOLDER)) == -1 ? -1 : 0;
	if (rc == 0) {
		buf_release(body);
		*body = out;
	} else
		buf_release(&out);
	return rc;
}

/* JSON when it looks like JSON, else a form, as providers send them. */
static const char *
guess_type(const char *body, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			break;
	if (i == len || body[i] == '{' || body[i] == '[')
		return "application/json";
	return "application/x-www-form-urlencoded";
}

/* The timestamp to sign: Unix seconds made the scheme's, or as given. */
static void
timestamp_arg(const struct scheme *sc, const char *arg, char *out,
    size_t len)
{
	uint64_t	 n;

	if (arg == NULL)
		ctl_sign_timestamp(sc, time(NULL), out, len);
	else if (parse_uint(arg, strlen(arg), (uint64_t)1 << 40, &n) == 0)
		ctl_sign_timestamp(sc, (time_t)n, out, len);
	else
		snprintf(out, len, "%s", arg);
}

/* Where the secret comes from, in order of preference. */
struct secret_args {
	const char	*file;
	const char	*value;
	const char	*key_file;	/* --private-key */
	enum hmac_pk	 pk;		/* the provider's public-key scheme */
};

static int
get_secret(struct ctl *ctl, const struct secret_args *a,
    const struct endpoint *ep, struct buf *out)
{
	const char	*env = getenv("WEBHOOK_SECRET");
	const char	*v = NULL;

	if (a->pk != HMAC_PK_NONE) {
		/* Only a file: a PEM key does not fit a command line. */
		if (a->key_file == NULL) {
			log_warnx("the provider signs with an %s private key:"
			    " give --private-key FILE (PEM; for tests only)",
			    hmac_pk_name(a->pk));
			return -1;
		}
		return ctl_read_secret(a->key_file, out);
	}
	if (a->file != NULL)
		return ctl_read_secret(a->file, out);
	if (a->value != NULL) {
		log_warnx("%s: warning: --secret is visible to other users"
		    " in process listings; prefer --secret-file or"
		    " WEBHOOK_SECRET", ctl->verb);
		v = a->value;
	} else if (env != NULL && env[0] != '\0')
		v = env;
	buf_init(out, LIMIT_SECRET_LEN + 1);
	if (v != NULL)
		return buf_adds(out, v) == -1 ? (log_warnx("secret too long"),
		    -1) : 0;
	if (ep != NULL && ep->nsecrets > 0)
		return buf_add(out, ep->secrets[0].data, ep->secrets[0].len);
	log_warnx("no secret: give --secret-file, WEBHOOK_SECRET or"
	    " --endpoint");
	return -1;
}

struct sign_args {
	struct secret_args	 secret;
	const char		*body_file;
	const char		*ts;
	const char		*id;
	const char		*event;
	const char		*endpoint;
	const char		*content_type;
	const char		*url;
};

static int
sign_run(struct ctl *ctl, const struct provider *p, struct sign_args *a)
{
	struct ctl_signer	 s;
	struct endpoint		 ep;
	struct buf		 secret, body, out, sig;
	char			 ts[64], id[64];
	const char		*event = a->event;
	int			 rc = CTL_FAIL, have_ep = 0;

	buf_init(&body, LIMIT_BODY);
	buf_init(&out, 64 * 1024);
	buf_init(&secret, 1);
	if (a->endpoint != NULL) {
		if (ctl_endpoint(ctl, a->endpoint, 1, &ep) == -1)
			goto out;
		have_ep = 1;
	}
	if (have_ep && ctl_endpoint_provider(&ep) != p) {
		log_warnx("endpoint '%s' is not a %s endpoint", ep.name,
		    p->name);
		goto out;
	}
	if (get_secret(ctl, &a->secret, have_ep ? &ep : NULL, &secret) == -1)
		goto out;
	if (ctl_signer_init(&s, p, have_ep ? &ep : NULL, secret.data,
	    secret.len) == -1)
		goto out;
	if (a->url != NULL)
		s.url = a->url;
	if (a->body_file == NULL && isatty(STDIN_FILENO))
		log_warnx("reading the body from standard input (end it with"
		    " Ctrl-D), or give --body-file");
	if (ctl_read_file(a->body_file != NULL ? a->body_file : "-",
	    &body) == -1)
		goto out;
	timestamp_arg(&s.sc, a->ts, ts, sizeof(ts));
	if (a->id == NULL && ctl_new_id(p, id, sizeof(id)) == -1)
		goto out;
	if (event == NULL && strcmp(p->name, "github") == 0)
		event = "push";
	if (s.sc.format == SIG_BODY) {
		buf_init(&sig, 256);
		if (ctl_sign_body(&s, &body, a->content_type != NULL ?
		    a->content_type : guess_type(body.data, body.len),
		    &sig) == -1 || buf_printf(&out, "%s: %s\n", s.sc.header,
		    sig.data) == -1) {
			log_warnx("cannot sign: the body needs its %s and the"
			    " fields it signs", s.sc.header);
			buf_release(&sig);
			goto out;
		}
		buf_release(&sig);
	}
	if (ctl_sign_headers(&s, body.data, body.len, a->content_type !=
	    NULL ? a->content_type : guess_type(body.data, body.len),
	    ts[0] != '\0' ? ts : NULL, a->id != NULL ? a->id : id, event,
	    &out) == -1) {
		log_warnx("cannot sign");
		goto out;
	}
	fwrite(out.data, 1, out.len, stdout);
	rc = CTL_OK;
out:
	if (have_ep)
		config_endpoint_release(&ep);
	ctl_wipe(&secret);
	ctl_wipe(&out);
	buf_release(&body);
	return rc;
}

int
ctl_sign(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "secret-file", required_argument, NULL, 'f' },
		{ "secret", required_argument, NULL, 's' },
		{ "private-key", required_argument, NULL, 'k' },
		{ "body-file", required_argument, NULL, 'b' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "id", required_argument, NULL, 'i' },
		{ "event", required_argument, NULL, 'e' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "config", required_argument, NULL, 'c' },
		{ "content-type", required_argument, NULL, 'T' },
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct provider		*p;
	struct sign_args		 a;
	int				 c;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a.secret.file = optarg;
			break;
		case 's':
			a.secret.value = optarg;
			break;
		case 'k':
			a.secret.key_file = optarg;
			break;
		case 'b':
			a.body_file = optarg;
			break;
		case 't':
			a.ts = optarg;
			break;
		case 'i':
			a.id = optarg;
			break;
		case 'e':
			a.event = optarg;
			break;
		case 'E':
			a.endpoint = optarg;
			break;
		case 'c':
			ctl->config_path = optarg;
			break;
		case 'T':
			a.content_type = optarg;
			break;
		case 'u':
			a.url = optarg;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind != 1)
		return ctl_usage(ctl);
	if ((p = ctl_provider(argv[optind])) == NULL) {
		log_warnx("unknown provider '%s' (one of %s)", argv[optind],
		    ctl_provider_names());
		return CTL_USAGE;
	}
	a.secret.pk = p->scheme.pk;
	if (a.secret.key_file != NULL && a.secret.pk == HMAC_PK_NONE) {
		log_warnx("%s signs with a shared secret, not a private key",
		    p->name);
		return ctl_usage(ctl);
	}
	if (a.secret.file != NULL && a.secret.value != NULL) {
		log_warnx("give --secret-file or --secret, not both");
		return ctl_usage(ctl);
	}
	return sign_run(ctl, p, &a);
}
