/*
 * webhookctl: signs and sends test deliveries, reads the delivery logs,
 * explains rejections, replays deliveries, looks after the queue and
 * lints the configuration.  This file is main(), the verb table and the
 * global options, then what the verbs share: the configuration and the
 * providers, log records, and small argument parsers.  Each verb is a
 * tools/ctl-<verb>.c; tools/ctl.h has the checklist for adding one.
 *
 * Exit statuses (STYLE.md rule 9): 0 ok, 1 a negative answer, 100 wrong
 * usage, 111 a system or temporary failure.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "defaults.h"
#include "dlog.h"
#include "hmac.h"
#include "json.h"
#include "ledger.h"
#include "store.h"
#include "log.h"
#include "parse.h"
#include "provider.h"
#include "ctl.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

struct verb {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;		/* synopsis lines, '\n' between */
};

static const struct verb verbs[] = {
	{ "sign", ctl_sign,
	    "sign PROVIDER [--secret-file F | --secret S | --private-key F]\n"
	    "     [--body-file F|-] [--url URL]\n"
	    "     [--timestamp T] [--id ID] [--event E] [--endpoint E]" },
	{ "send", ctl_send,
	    "send URL ENDPOINT [--event E] [--sample NAME] [--body-file F|-]\n"
	    "     [--id ID] [--content-type T] [--private-key F] [--insecure]\n"
	    "     [-v] [--json]" },
	{ "tail", ctl_tail,
	    "tail [-f] [-n N] [ENDPOINT ...] [--verdict V] [--event E]"
	    " [--json]" },
	{ "show", ctl_show,
	    "show ID [--endpoint E] [--body] [--json]" },
	{ "explain", ctl_explain,
	    "explain ID [--endpoint E] [--json]\n"
	    "explain --last-rejected [ENDPOINT] [--json]" },
	{ "replay", ctl_replay,
	    "replay ID [--endpoint E] [--to URL] [--resign] [--id NEW]"
	    " [--insecure]\n"
	    "replay --since T [--endpoint E] [--verdict V] [--to URL]"
	    " [--resign] [--insecure]" },
	{ "queue", ctl_queue,
	    "queue list [--state S] [--endpoint E] [--all] [-n N] [--json]\n"
	    "queue stats [--json]\n"
	    "queue show ID [--endpoint E] [--json]\n"
	    "queue retry ID [--endpoint E]\n"
	    "queue retry --dead [ENDPOINT]\n"
	    "queue purge --done --older-than D [--endpoint E]" },
	{ "check-config", ctl_check_config,
	    "check-config [FILE]" },
};

#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

static const struct provider *const providers[] = {
	&provider_github,
	&provider_stripe,
	&provider_slack,
	&provider_zendesk,
	&provider_iot,
	&provider_meta,
	&provider_dropbox,
	&provider_zoom,
	&provider_discord,
	&provider_sendgrid,
	&provider_twitch,
	&provider_standardwebhooks,
	&provider_svix,
	&provider_clerk,
	&provider_resend,
	&provider_openai,
	&provider_square,
	&provider_trello,
	&provider_hubspot,
	&provider_twilio,
	&provider_shopify,
	&provider_gitlab,
	&provider_bitbucket,
	&provider_linear,
	&provider_paddle,
	&provider_pagerduty,
	&provider_typeform,
	&provider_intercom,
	&provider_mux,
	&provider_calendly,
	&provider_mailgun,
};

#define NPROVIDERS	(sizeof(providers) / sizeof(providers[0]))

/* Bounds of the text fields of a record read back. */
#define FIELD_MAX	(64 * 1024)
#define LINE_MAX_BYTES	(LIMIT_BODY * 6 + LIMIT_HEADER_TOTAL * 6 + \
	    LIMIT_RECORD_EXTRA)

/* --- usage ------------------------------------------------------------ */

static const struct verb *
verb_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

/*
 * Prints a synopsis, "usage:" on the first line only; a line starting
 * with a space continues the one before.
 */
static void
print_synopsis(FILE *fp, const char *usage, int first)
{
	const char	*p = usage, *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(fp, "%s%-21s%.*s\n", first ? "usage: " : "       ",
		    *p == ' ' ? "" : "webhookctl [-c FILE] ",
		    (int)(nl != NULL ? nl - p : (long)strlen(p)), p);
		first = 0;
		if (nl == NULL)
			break;
	}
}

static int
usage_all(FILE *fp)
{
	size_t	 i;

	fprintf(fp, "usage: webhookctl [-c FILE] VERB [ARGS]"
	    "   (webhookctl VERB --help)\n");
	for (i = 0; i < NVERBS; i++)
		print_synopsis(fp, verbs[i].usage, 0);
	return fp == stdout ? CTL_OK : CTL_USAGE;
}

int
ctl_usage(const struct ctl *ctl)
{
	const struct verb	*v = verb_find(ctl->verb);

	if (v == NULL)
		return usage_all(stderr);
	print_synopsis(stderr, v->usage, 1);
	return CTL_USAGE;
}

int
ctl_help(const struct ctl *ctl, const char *help)
{
	const struct verb	*v = verb_find(ctl->verb);

	if (v != NULL)
		print_synopsis(stdout, v->usage, 1);
	fputs(help, stdout);
	printf("Global option: -c, --config FILE (default $WEBHOOK_CONFIG,"
	    " else %s).\nSee webhookctl(1).\n", DEF_CONFIG_PATH);
	return CTL_OK;
}

void
ctl_getopt_reset(void)
{
	/* 0, not 1: glibc then also forgets its scanning state. */
	optind = 0;
}

/* --- small parsers ---------------------------------------------------- */

int
ctl_duration(const char *s, long long *secs)
{
	size_t		 len = strlen(s);
	uint64_t	 n, mul = 1;

	if (len > 1) {
		switch (s[len - 1]) {
		case 's': mul = 1; len--; break;
		case 'm': mul = 60; len--; break;
		case 'h': mul = 3600; len--; break;
		case 'd': mul = 86400; len--; break;
		case 'w': mul = 7 * 86400; len--; break;
		default: break;
		}
	}
	if (parse_uint(s, len, (uint64_t)1 << 40, &n) == -1)
		return -1;
	*secs = (long long)(n * mul);
	return 0;
}

long long
ctl_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The milliseconds of an RFC 3339 time ("...:05.123Z"), else 0. */
static long
time_fraction_ms(const char *s, size_t len)
{
	long	 ms = 0;
	size_t	 i;

	if (len < 21 || s[19] != '.')
		return 0;
	for (i = 20; i < 23; i++)
		ms = ms * 10 + (i < len && s[i] >= '0' && s[i] <= '9' ?
		    s[i] - '0' : 0);
	return ms;
}

int
ctl_time_arg(const char *s, long long *ms)
{
	uint64_t	 n;
	long long	 secs;
	time_t		 t;
	size_t		 len = strlen(s);

	if (strchr(s, 'T') != NULL) {
		if (parse_iso8601(s, len, &t) == -1)
			return -1;
		*ms = (long long)t * 1000 + time_fraction_ms(s, len);
		return 0;
	}
	if (parse_uint(s, len, (uint64_t)1 << 40, &n) == 0) {
		*ms = (long long)n * 1000;
		return 0;
	}
	if (ctl_duration(s, &secs) == -1)
		return -1;
	*ms = ctl_now_ms() - secs * 1000;
	return 0;
}

int
ctl_read_file(const char *path, struct buf *out)
{
	size_t	 want;
	ssize_t	 n;
	char	 c;
	int	 fd, rc = -1;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("cannot open '%s'", path);
		return -1;
	}
	for (;;) {
		want = out->max - out->len < 65536 ? out->max - out->len :
		    65536;
		if (want == 0) {
			/* Full: one more byte would be one too many. */
			if ((n = read(fd, &c, 1)) == 0)
				break;
			log_warnx("'%s' is larger than %zu bytes", path,
			    out->max);
			goto out;
		}
		if (buf_reserve(out, want) == -1) {
			log_warnx("'%s': out of memory", path);
			goto out;
		}
		n = read(fd, out->data + out->len, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	rc = buf_add(out, "", 0);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int
ctl_read_secret(const char *path, struct buf *out)
{
	buf_init(out, LIMIT_SECRET_LEN + 2);
	if (ctl_read_file(path, out) == -1) {
		ctl_wipe(out);
		return -1;
	}
	/* Editors add a final newline that is not part of the secret. */
	while (out->len > 0 && (out->data[out->len - 1] == '\n' ||
	    out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	if (out->len == 0 || out->len > LIMIT_SECRET_LEN) {
		log_warnx("secret file '%s' is %s", path, out->len == 0 ?
		    "empty" : "too long");
		ctl_wipe(out);
		return -1;
	}
	return 0;
}

void
ctl_wipe(struct buf *b)
{
	if (b->data != NULL)
		hmac_cleanse(b->data, b->cap);
	buf_release(b);
}

void
ctl_print_bytes(const char *s, size_t len, size_t max)
{
	unsigned char	 c;
	size_t		 i;

	for (i = 0; i < len && i < max; i++) {
		c = (unsigned char)s[i];
		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	if (len > max)
		fputs("...", stdout);
}

const char *
ctl_paint(const struct ctl *ctl, const char *verdict)
{
	if (!ctl->color)
		return "";
	if (strcmp(verdict, "accepted") == 0)
		return "\033[32m";
	if (strcmp(verdict, "duplicate") == 0)
		return "\033[33m";
	if (strcmp(verdict, "rejected") == 0)
		return "\033[31m";
	if (strcmp(verdict, "failed") == 0)
		return "\033[1;31m";
	return "";
}

const char *
ctl_unpaint(const struct ctl *ctl)
{
	return ctl->color ? "\033[0m" : "";
}

/* --- configuration and providers -------------------------------------- */

struct config *
ctl_config(struct ctl *ctl)
{
	struct buf	 errors;

	if (ctl->cfg != NULL)
		return ctl->cfg;
	buf_init(&errors, 64 * 1024);
	if ((ctl->cfg = config_load(ctl->config_path, &errors)) == NULL)
		fprintf(stderr, "%s", errors.data != NULL ? errors.data :
		    "cannot load the configuration\n");
	buf_release(&errors);
	return ctl->cfg;
}

int
ctl_endpoint(struct ctl *ctl, const char *name, int need_secrets,
    struct endpoint *ep)
{
	struct config	*cfg;
	struct buf	 errors;
	int		 rc;

	memset(ep, 0, sizeof(*ep));
	if ((cfg = ctl_config(ctl)) == NULL)
		return -1;
	if (parse_endpoint_name(name) == -1) {
		log_warnx("bad endpoint name '%s'", name);
		return -1;
	}
	buf_init(&errors, 64 * 1024);
	rc = config_endpoint(cfg, name, ep, &errors);
	if (rc == -1 && need_secrets)
		fprintf(stderr, "%s", errors.data != NULL ? errors.data :
		    "cannot resolve the endpoint\n");
	buf_release(&errors);
	/* Folders are plain strings: they are set even when rc is -1. */
	return need_secrets ? rc : 0;
}

const struct provider *
ctl_provider(const char *name)
{
	size_t	 i;

	for (i = 0; i < NPROVIDERS; i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}

const char *
ctl_provider_names(void)
{
	static char	 names[1024];
	size_t		 i, len = 0;

	/* Made from the table, so that a new provider is named at once. */
	if (names[0] != '\0')
		return names;
	for (i = 0; i < NPROVIDERS && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		    "%s%s", i > 0 ? ", " : "", providers[i]->name);
	return names;
}

const struct provider *
ctl_endpoint_provider(const struct endpoint *ep)
{
	const struct provider	*p;

	p = ctl_provider(ep->provider != NULL ? ep->provider : ep->name);
	if (p == NULL && ep->provider != NULL)
		log_warnx("endpoint '%s': unknown provider '%s' (one of %s)",
		    ep->name, ep->provider, ctl_provider_names());
	else if (p == NULL)
		log_warnx("endpoint '%s' names no provider: set 'provider ='"
		    " (one of %s)", ep->name, ctl_provider_names());
	return p;
}

int
ctl_ledger(const struct endpoint *ep, struct ledger **l)
{
	struct stat	 st;
	char		 path[PATH_MAX], err[512];

	*l = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/webhooks.db",
	    ep->state_dir) >= sizeof(path)) {
		log_warnx("state_dir '%s' is too long", ep->state_dir);
		return -1;
	}
	if (stat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("cannot use '%s'", path);
		return -1;
	}
	if ((*l = ledger_open(path, 1, ep->db_timeout, err, sizeof(err))) ==
	    NULL) {
		log_warnx("%s", err);
		return -1;
	}
	return 1;
}

int
ctl_endpoint_names(struct ctl *ctl, const char *name, const char **names,
    size_t max)
{
	struct config	*cfg;
	size_t		 i, n;

	if (name != NULL) {
		if (parse_endpoint_name(name) == -1) {
			log_warnx("bad endpoint name '%s'", name);
			return -1;
		}
		names[0] = name;
		return 1;
	}
	if ((cfg = ctl_config(ctl)) == NULL)
		return -1;
	n = config_nendpoints(cfg);
	for (i = 0; i < n && i < max; i++)
		names[i] = config_endpoint_name(cfg, i);
	if (i == 0)
		log_warnx("'%s' defines no endpoint", config_path(cfg));
	return (int)i;
}

int
ctl_ledgers(struct ctl *ctl, const char *endpoint,
    int (*fn)(void *, struct store *), void *arg, int *opened)
{
	struct endpoint	 ep;
	struct store	*l;
	char		 err[512], key[PATH_MAX];
	const char	*names[LIMIT_ENDPOINTS];
	char		 seen[LIMIT_ENDPOINTS][PATH_MAX];
	int		 i, j, n, nseen = 0, rc = 0, r;

	*opened = 0;
	if ((n = ctl_endpoint_names(ctl, endpoint, names,
	    LIMIT_ENDPOINTS)) == -1)
		return -1;
	for (i = 0; rc == 0 && i < n; i++) {
		if (ctl_endpoint(ctl, names[i], 0, &ep) == -1)
			return -1;
		/* With store = nats every endpoint shares the stream. */
		snprintf(key, sizeof(key), "%s", store_is_nats(&ep) ?
		    "\001nats" : ep.state_dir);
		for (j = 0; j < nseen; j++)
			if (strcmp(seen[j], key) == 0)
				break;
		if (j < nseen) {
			config_endpoint_release(&ep);
			continue;
		}
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
		r = store_open_ctl(&ep, &l, err, sizeof(err));
		config_endpoint_release(&ep);
		if (r == -1) {
			log_warnx("%s", err);
			rc = -1;
		} else if (r == 1) {
			(*opened)++;
			rc = fn(arg, l);
			store_close(l);
		}
	}
	return rc;
}

/* --- log records ------------------------------------------------------ */

void
ctl_record_init(struct ctl_record *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->line, LINE_MAX_BYTES);
	buf_init(&r->time, FIELD_MAX);
	buf_init(&r->endpoint, FIELD_MAX);
	buf_init(&r->provider, FIELD_MAX);
	buf_init(&r->verdict, FIELD_MAX);
	buf_init(&r->reason, FIELD_MAX);
	buf_init(&r->id, FIELD_MAX);
	buf_init(&r->event, FIELD_MAX);
	buf_init(&r->method, FIELD_MAX);
	buf_init(&r->uri, FIELD_MAX);
	buf_init(&r->remote_addr, FIELD_MAX);
	buf_init(&r->body_sha256, FIELD_MAX);
	buf_init(&r->body, LIMIT_BODY);
}

void
ctl_record_release(struct ctl_record *r)
{
	json_doc_free(r->doc);
	r->doc = NULL;
	buf_release(&r->line);
	buf_release(&r->time);
	buf_release(&r->endpoint);
	buf_release(&r->provider);
	buf_release(&r->verdict);
	buf_release(&r->reason);
	buf_release(&r->id);
	buf_release(&r->event);
	buf_release(&r->method);
	buf_release(&r->uri);
	buf_release(&r->remote_addr);
	buf_release(&r->body_sha256);
	buf_release(&r->body);
}

/* Copies a text field into b, "" when absent; -1 when it is too long. */
static int
field(const struct json_doc *doc, const char *key, struct buf *b)
{
	buf_reset(b);
	if (json_get(doc, key, b) == -1)
		return -1;
	/* Never NULL afterwards: the fields are used as strings. */
	return buf_add(b, "", 0);
}

static int
record_body(struct ctl_record *r)
{
	struct buf	 b64;
	size_t		 n;
	int		 rc;

	buf_reset(&r->body);
	if ((rc = json_get(r->doc, "body", &r->body)) != 0)
		return rc == 1 ? 0 : -1;
	buf_init(&b64, LIMIT_BODY / 3 * 4 + 8);
	rc = json_get(r->doc, "body_base64", &b64);
	if (rc == 1 && (buf_reserve(&r->body, b64.len / 4 * 3 + 3) == -1 ||
	    parse_base64(b64.data, b64.len, (unsigned char *)r->body.data,
	    b64.len / 4 * 3 + 3, &n) == -1))
		rc = -1;
	else if (rc == 1) {
		r->body.len = n;
		r->body.data[n] = '\0';
	}
	buf_release(&b64);
	return rc == -1 ? -1 : 0;
}

int
ctl_record_parse(struct ctl_record *r, const char *line, size_t len,
    int with_body)
{
	struct buf	 num;
	char		 err[128];
	uint64_t	 n;
	time_t		 t;

	json_doc_free(r->doc);
	r->doc = NULL;
	r->status = 0;
	r->has_body = 0;
	buf_reset(&r->line);
	buf_reset(&r->body);
	if (buf_add(&r->line, line, len) == -1 ||
	    (r->doc = json_parse(line, len, err, sizeof(err))) == NULL ||
	    !json_is_object(r->doc))
		return -1;
	if (field(r->doc, "time", &r->time) == -1 ||
	    field(r->doc, "endpoint", &r->endpoint) == -1 ||
	    field(r->doc, "provider", &r->provider) == -1 ||
	    field(r->doc, "verdict", &r->verdict) == -1 ||
	    field(r->doc, "reason", &r->reason) == -1 ||
	    field(r->doc, "id", &r->id) == -1 ||
	    field(r->doc, "event", &r->event) == -1 ||
	    field(r->doc, "method", &r->method) == -1 ||
	    field(r->doc, "uri", &r->uri) == -1 ||
	    field(r->doc, "remote_addr", &r->remote_addr) == -1 ||
	    field(r->doc, "body_sha256", &r->body_sha256) == -1)
		return -1;
	/* What makes a record: its time, endpoint and verdict. */
	if (parse_iso8601(r->time.data, r->time.len, &t) == -1 ||
	    r->endpoint.len == 0 || r->verdict.len == 0)
		return -1;
	r->time_ms = (long long)t * 1000 + time_fraction_ms(r->time.data,
	    r->time.len);
	buf_init(&num, 32);
	if (json_get(r->doc, "status", &num) == 1 &&
	    parse_uint(num.data, num.len, 999, &n) == 0)
		r->status = (int)n;
	buf_release(&num);
	r->has_body = r->body_sha256.len > 0;
	if (with_body && r->has_body && record_body(r) == -1)
		return -1;
	return 0;
}

/* json_members() callback looking for one header, case-insensitively. */
struct header_find {
	const char	*name;
	struct buf	*out;
	int		 found;
};

static int
header_find_cb(void *arg, const char *name, const char *value, size_t len)
{
	struct header_find	*f = arg;

	if (strcasecmp(name, f->name) != 0)
		return 0;
	f->found = buf_add(f->out, value, len) == 0;
	return 1;
}

int
ctl_record_header(const struct ctl_record *r, const char *name,
    struct buf *out)
{
	struct header_find	 f;

	f.name = name;
	f.out = out;
	f.found = 0;
	json_members(r->doc, "headers", header_find_cb, &f);
	return f.found;
}

int
ctl_record_headers(const struct ctl_record *r,
    int (*fn)(void *, const char *, const char *, size_t), void *arg)
{
	return json_members(r->doc, "headers", fn, arg);
}

static int
header_is_cb(void *arg, const char *name, const char *value, size_t len)
{
	const char	*id = arg;

	(void)name;
	return strlen(id) == len && memcmp(id, value, len) == 0;
}

int
ctl_record_is(const struct ctl_record *r, const char *id)
{
	const struct provider	*p;
	struct json_doc		*doc;
	struct buf		 v;
	char			 err[128];
	int			 rc = 0;

	if (strcmp(r->id.data, id) == 0 ||
	    strcmp(r->body_sha256.data, id) == 0 ||
	    ctl_record_headers(r, header_is_cb, (void *)(uintptr_t)id) == 1)
		return 1;
	/* Stripe's and Slack's ids are in the body. */
	p = ctl_provider(r->provider.data);
	if (p == NULL || p->id.field == NULL || r->body.len == 0 ||
	    (doc = json_parse(r->body.data, r->body.len, err,
	    sizeof(err))) == NULL)
		return 0;
	buf_init(&v, LIMIT_ID_LEN + 1);
	rc = json_get(doc, p->id.field, &v) == 1 && strcmp(v.data, id) == 0;
	buf_release(&v);
	json_doc_free(doc);
	return rc;
}

int
ctl_record_delivery_id(const struct ctl_record *r, struct buf *out)
{
	const struct provider	*p;
	struct json_doc		*doc;
	char			 err[128];
	int			 rc = 0;

	if (r->id.len > 0)
		return buf_add(out, r->id.data, r->id.len) == 0;
	if ((p = ctl_provider(r->provider.data)) == NULL)
		return 0;
	if (p->id.header != NULL && ctl_record_header(r, p->id.header, out))
		return 1;
	if (p->id.field == NULL || r->body.len == 0 ||
	    (doc = json_parse(r->body.data, r->body.len, err,
	    sizeof(err))) == NULL)
		return 0;
	rc = json_get(doc, p->id.field, out) == 1;
	json_doc_free(doc);
	return rc;
}

static int
request_header_cb(void *arg, const char *name, const char *value,
    size_t len)
{
	struct ctl_request	*r = arg;
	struct header		*h;
	size_t			 nlen = strlen(name) + 1;

	if (r->req.nheaders == LIMIT_HEADERS ||
	    r->names_used + nlen > sizeof(r->req.names))
		return 0;
	if ((r->values[r->req.nheaders] = malloc(len + 1)) == NULL)
		return -1;
	memcpy(r->values[r->req.nheaders], value, len);
	r->values[r->req.nheaders][len] = '\0';
	memcpy(r->req.names + r->names_used, name, nlen);
	h = &r->req.headers[r->req.nheaders];
	h->name = r->req.names + r->names_used;
	h->value = r->values[r->req.nheaders];
	h->len = len;
	r->names_used += nlen;
	r->req.nheaders++;
	return 0;
}

int
ctl_record_request(const struct ctl_record *rec, struct ctl_request *r)
{
	const struct header	*ct;

	memset(r, 0, sizeof(*r));
	buf_init(&r->req.body, LIMIT_BODY);
	r->req.method = rec->method.data;
	r->req.uri = rec->uri.data;
	r->req.remote_addr = rec->remote_addr.data;
	r->req.endpoint = rec->endpoint.data;
	r->req.content_length = (long long)rec->body.len;
	if (ctl_record_headers(rec, request_header_cb, r) == -1 ||
	    buf_add(&r->req.body, rec->body.data != NULL ? rec->body.data :
	    "", rec->body.len) == -1) {
		ctl_request_release(r);
		return -1;
	}
	if ((ct = request_header(&r->req, "Content-Type")) != NULL)
		r->req.content_type = ct->value;
	return 0;
}

void
ctl_request_release(struct ctl_request *r)
{
	size_t	 i;

	for (i = 0; i < r->req.nheaders; i++)
		free(r->values[i]);
	r->req.nheaders = 0;
	buf_release(&r->req.body);
}

static int
contains(const char *hay, size_t len, const char *needle)
{
	size_t		 n = strlen(needle);
	const char	*p = hay, *end = hay + len;

	if (n == 0)
		return 1;
	while ((size_t)(end - p) >= n &&
	    (p = memchr(p, needle[0], (size_t)(end - p) - n + 1)) != NULL) {
		if (memcmp(p, needle, n) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* The log file of an endpoint, the current one (n = 0) or rotated n. */
static int
log_path(const struct endpoint *ep, long n, char *out, size_t len)
{
	size_t	 w;

	w = n == 0 ? (size_t)snprintf(out, len, "%s/%s.log", ep->log_dir,
	    ep->name) : (size_t)snprintf(out, len, "%s/%s.log.%ld",
	    ep->log_dir, ep->name, n);
	return w < len ? 0 : -1;
}

/*
 * Reads one file line by line; see ctl_log_each().  A missing file is
 * no error: an endpoint that never got a request has no log.
 */
static int
log_file_each(const char *path, int flags, const char *needle,
    int (*fn)(void *, struct ctl_record *), void *arg,
    struct ctl_record *rec)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	long	 lineno = 0;
	int	 rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("cannot open '%s'", path);
		return 0;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || (needle != NULL && !contains(line, (size_t)n,
		    needle)))
			continue;
		if (ctl_record_parse(rec, line, (size_t)n,
		    flags & CTL_LOG_BODY) == -1) {
			log_warnx("'%s' line %ld: not a log record (torn or"
			    " edited), skipped", path, lineno);
			continue;
		}
		snprintf(rec->file, sizeof(rec->file), "%s", path);
		rec->lineno = lineno;
		rc = fn(arg, rec);
	}
	free(line);
	fclose(fp);
	return rc;
}

int
ctl_log_each(const struct endpoint *ep, int flags, const char *needle,
    int (*fn)(void *, struct ctl_record *), void *arg)
{
	struct ctl_record	 rec;
	char			 path[PATH_MAX];
	long			 n;
	int			 rc = 0;

	ctl_record_init(&rec);
	for (n = ep->log_keep; rc == 0 && n >= 0; n--) {
		if (log_path(ep, n, path, sizeof(path)) == -1) {
			log_warnx("log path of '%s' too long", ep->name);
			break;
		}
		rc = log_file_each(path, flags, needle, fn, arg, &rec);
	}
	ctl_record_release(&rec);
	return rc;
}

/* ctl_find_record() state: the best match so far. */
struct finder {
	const char		*id;
	struct ctl_record	*best;
	int			 found;	/* in any file */
	int			 here;	/* in the file being read */
};

static int
finder_cb(void *arg, struct ctl_record *rec)
{
	struct finder	*f = arg;

	if (!ctl_record_is(rec, f->id))
		return 0;
	f->here = 1;
	if (f->found && rec->time_ms < f->best->time_ms)
		return 0;
	/* Parsing the line again copies the record into best. */
	if (ctl_record_parse(f->best, rec->line.data, rec->line.len, 1) == 0) {
		memcpy(f->best->file, rec->file, sizeof(rec->file));
		f->best->lineno = rec->lineno;
		f->found = 1;
	}
	return 0;
}

/* Searches one endpoint's files, newest first, stopping at a match. */
static void
find_in_endpoint(const struct endpoint *ep, const char *needle,
    struct finder *f)
{
	struct ctl_record	 rec;
	char			 path[PATH_MAX];
	long			 n;

	ctl_record_init(&rec);
	for (n = 0; n <= ep->log_keep; n++) {
		if (log_path(ep, n, path, sizeof(path)) == -1)
			break;
		f->here = 0;
		log_file_each(path, CTL_LOG_BODY, needle, finder_cb, f, &rec);
		if (f->here)
			break;
	}
	ctl_record_release(&rec);
}

int
ctl_find_record(struct ctl *ctl, const char *endpoint, const char *id,
    struct ctl_record *rec)
{
	struct finder		 f;
	struct endpoint		 ep;
	struct buf		 needle;
	const char		*names[LIMIT_ENDPOINTS];
	int			 i, n;

	if ((n = ctl_endpoint_names(ctl, endpoint, names,
	    LIMIT_ENDPOINTS)) == -1)
		return -1;
	/* The id as it appears inside a JSON string: escaped, unquoted. */
	buf_init(&needle, strlen(id) * 6 + 3);
	if (json_add_string(&needle, id, strlen(id)) == -1) {
		log_warnx("the id is not valid UTF-8");
		buf_release(&needle);
		return -1;
	}
	needle.data[needle.len - 1] = '\0';
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.best = rec;
	for (i = 0; i < n; i++) {
		if (ctl_endpoint(ctl, names[i], 0, &ep) == -1)
			continue;
		find_in_endpoint(&ep, needle.data + 1, &f);
		config_endpoint_release(&ep);
	}
	buf_release(&needle);
	return f.found;
}

/* --- main ------------------------------------------------------------- */

static int
version(void)
{
	printf("webhookctl %s (webhook-fcgi)\n", VERSION);
	return CTL_OK;
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char			 prog[64];
	const struct verb		*v;
	struct ctl			 ctl;
	const char			*env, *term;
	int				 c, rc, first;

	log_init("webhookctl", 0);
	memset(&ctl, 0, sizeof(ctl));
	env = getenv("WEBHOOK_CONFIG");
	ctl.config_path = env != NULL && env[0] != '\0' ? env :
	    DEF_CONFIG_PATH;
	/* '+': stop at the verb, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'h':
			return usage_all(stdout);
		case 'V':
			return version();
		default:
			return usage_all(stderr);
		}
	}
	if (optind >= argc)
		return usage_all(stderr);
	if (strcmp(argv[optind], "help") == 0)
		return usage_all(stdout);
	if ((v = verb_find(argv[optind])) == NULL) {
		log_warnx("unknown verb '%s'", argv[optind]);
		return usage_all(stderr);
	}
	term = getenv("TERM");
	ctl.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL &&
	    (term == NULL || strcmp(term, "dumb") != 0);
	ctl.verb = v->name;
	/* getopt's messages then name the verb: "webhookctl send: ...". */
	snprintf(prog, sizeof(prog), "webhookctl %s", v->name);
	argv[optind] = prog;
	first = optind;
	ctl_getopt_reset();
	rc = v->fn(&ctl, argc - first, argv + first);
	config_free(ctl.cfg);
	if (fflush(stdout) == EOF && rc == CTL_OK) {
		log_warn("cannot write the output");
		rc = CTL_FAIL;
	}
	return rc;
}
