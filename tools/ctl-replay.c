/*
 * webhookctl replay: sends logged deliveries again.  By default the
 * exact bytes and headers recorded (so a receiver that already has the
 * delivery answers "duplicate"); with --resign, signed afresh with the
 * endpoint's first secret and the current time, and with --id under a
 * new delivery id.  Headers that belong to one connection (Host,
 * Content-Length, Connection, ...) or that proxies add are not resent,
 * nor values the log redacted.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounds.h"
#include "json.h"
#include "log.h"
#include "send.h"
#include "redact.h"
#include "ctl.h"

#define REPLAY_TIMEOUT	10

static const char help[] =
    "Sends a logged delivery again: the exact bytes and headers, or\n"
    "re-signed.  The URL is the one it came to (http for a loopback Host,\n"
    "else https) unless --to says otherwise.\n"
    "  --endpoint E     look in endpoint E only\n"
    "  --to URL         send there instead\n"
    "  --resign         sign again with the first secret and the current"
    " time\n"
    "  --id NEW         under a new delivery id (with --resign where the\n"
    "                   id is in the signed body: stripe, slack)\n"
    "  --since T        every delivery logged since T (RFC 3339, Unix\n"
    "                   seconds, or a duration ago: 10m, 2h), oldest first\n"
    "  --verdict V      with --since: only accepted, duplicate, rejected"
    " or failed\n"
    "  --insecure, -k   do not verify the server's TLS certificate\n"
    "Exit status: 0 when every answer was 2xx, 1 when one was not, 111\n"
    "when one got no answer.\n";

struct replay_args {
	const char	*endpoint;
	const char	*to;
	const char	*new_id;
	const char	*since;
	const char	*verdict;
	int		 resign;
	int		 insecure;
};

/* Headers of one connection or one hop, never replayed. */
static int
hop_header(const char *name)
{
	static const char *const	 hop[] = {
		"Host", "Content-Length", "Connection", "Keep-Alive",
		"Transfer-Encoding", "TE", "Upgrade", "Expect",
		"Proxy-Connection", "Accept-Encoding", "X-Forwarded-For",
		"X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded",
	};
	size_t				 i;

	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strcasecmp(name, hop[i]) == 0)
			return 1;
	return 0;
}

/* Collects the recorded headers to send, less those dropped. */
struct collect {
	struct buf	*out;
	const char	*drop[4];	/* resigned or replaced headers */
	int		 redacted;
};

static int
collect_cb(void *arg, const char *name, const char *value, size_t len)
{
	struct collect	*c = arg;
	size_t		 i;

	if (hop_header(name))
		return 0;
	for (i = 0; i < 4; i++)
		if (c->drop[i] != NULL && strcasecmp(name, c->drop[i]) == 0)
			return 0;
	if (strcmp(value, REDACTED) == 0) {
		log_warnx("header '%s' was redacted in the log: not resent",
		    name);
		c->redacted++;
		return 0;
	}
	/* A line break in a value would end the header. */
	if (memchr(value, '\n', len) != NULL || memchr(value, '\r', len) !=
	    NULL)
		return 0;
	if (buf_printf(c->out, "%s: ", name) == -1 ||
	    buf_add(c->out, value, len) == -1 || buf_addc(c->out, '\n') == -1)
		return -1;
	return 0;
}

/* The URL the delivery came to: its Host and path. */
static int
default_url(const struct ctl_record *rec, struct buf *url)
{
	struct buf	 host;
	int		 loopback;

	buf_init(&host, LIMIT_HEADER_VALUE);
	if (ctl_record_header(rec, "Host", &host) != 1 || rec->uri.len == 0) {
		log_warnx("the record has no Host or URI: give --to URL");
		buf_release(&host);
		return -1;
	}
	/* make run and the tests serve plain HTTP on loopback only. */
	loopback = strncmp(host.data, "127.", 4) == 0 ||
	    strncmp(host.data, "localhost", 9) == 0 ||
	    strncmp(host.data, "[::1]", 5) == 0;
	buf_printf(url, "%s://%s%s", loopback ? "http" : "https", host.data,
	    rec->uri.data);
	buf_release(&host);
	return 0;
}

/* Replaces the first "old" JSON string in body with "new". */
static int
replace_id(struct buf *body, const char *old, const char *new)
{
	struct buf	 q, out;
	const char	*p = NULL, *s;
	size_t		 left;

	buf_init(&q, strlen(old) * 6 + 3);
	if (json_add_string(&q, old, strlen(old)) == -1) {
		buf_release(&q);
		return -1;
	}
	for (s = body->data, left = body->len; left >= q.len;
	    s++, left--)
		if (memcmp(s, q.data, q.len) == 0) {
			p = s;
			break;
		}
	buf_init(&out, body->max);
	if (p == NULL || buf_add(&out, body->data,
	    (size_t)(p - body->data)) == -1 ||
	    json_add_string(&out, new, strlen(new)) == -1 ||
	    buf_add(&out, p + q.len, body->len - (size_t)(p - body->data) -
	    q.len) == -1) {
		buf_release(&q);
		buf_release(&out);
		return -1;
	}
	buf_release(&q);
	buf_release(body);
	*body = out;
	return 0;
}

/* Signs afresh; drops what it replaces from the recorded headers. */
static int
resign(struct ctl *ctl, const struct replay_args *a,
    const struct ctl_record *rec, struct buf *body, struct collect *c,
    struct buf *signed_headers)
{
	const struct provider	*p;
	struct ctl_signer	 s;
	struct endpoint		 ep;
	char			 ts[64];
	const char		*idh;
	int			 rc = -1;

	if (ctl_endpoint(ctl, rec->endpoint.data, 1, &ep) == -1)
		return -1;
	if ((p = ctl_provider(rec->provider.data)) == NULL ||
	    ep.nsecrets == 0 || ctl_signer_init(&s, p, &ep,
	    ep.secrets[0].data, ep.secrets[0].len) == -1) {
		if (p != NULL && ep.nsecrets == 0)
			log_warnx("endpoint '%s' has no secret", ep.name);
		goto out;
	}
	idh = ctl_id_header(&s);
	c->drop[0] = s.sc.header;
	c->drop[1] = p->legacy.header;
	c->drop[2] = s.sc.ts_header;
	c->drop[3] = a->new_id != NULL ? idh : NULL;
	if (a->new_id != NULL && idh == NULL && replace_id(body,
	    rec->id.data, a->new_id) == -1) {
		log_warnx("cannot find the id '%s' in the body to replace",
		    rec->id.data);
		goto out;
	}
	ctl_sign_timestamp(&s.sc, time(NULL), ts, sizeof(ts));
	rc = ctl_sign_headers(&s, body->data, body->len, NULL,
	    ts[0] != '\0' ? ts : NULL, idh != NULL ? a->new_id : NULL, NULL,
	    signed_headers);
out:
	config_endpoint_release(&ep);
	return rc;
}

/* A new id without re-signing: only where the id is not signed. */
static int
new_id_unsigned(const struct ctl_record *rec, const char *id,
    struct collect *c, struct buf *headers)
{
	const struct provider	*p = ctl_provider(rec->provider.data);

	if (p == NULL || p->id.header == NULL) {
		log_warnx("the id of %s deliveries is in the signed body:"
		    " add --resign", rec->provider.data);
		return -1;
	}
	c->drop[0] = p->id.header;
	return buf_printf(headers, "%s: %s\n", p->id.header, id);
}

/* The answer: a line per delivery with --since, else in full. */
static void
print_reply(const struct replay_args *a, const struct ctl_record *rec,
    const char *url, const struct send_reply *r, int quiet)
{
	const char	*body = r->body.data != NULL ? r->body.data : "";
	size_t		 len = r->body.len;

	if (quiet) {
		printf("%s %-10s %s -> %ld ", rec->time.data,
		    rec->endpoint.data, rec->id.len > 0 ? rec->id.data : "-",
		    r->status);
		ctl_print_bytes(body, len > 0 && body[len - 1] == '\n' ?
		    len - 1 : len, 200);
		putchar('\n');
		return;
	}
	printf("replayed %s to %s%s\nHTTP %ld\n", rec->id.len > 0 ?
	    rec->id.data : "the delivery", url, a->resign ? " (re-signed)" :
	    "", r->status);
	fwrite(body, 1, len, stdout);
	if (len > 0 && body[len - 1] != '\n')
		putchar('\n');
}

/* Sends one record; returns the exit status it earns. */
static int
replay_one(struct ctl *ctl, const struct replay_args *a,
    const struct ctl_record *rec, int quiet)
{
	struct collect		 c;
	struct send_opts	 o;
	struct send_reply	 r;
	struct buf		 url, body, headers, extra;
	char			 err[512];
	int			 rc = CTL_FAIL;

	buf_init(&url, 16384);
	buf_init(&body, LIMIT_BODY);
	buf_init(&headers, LIMIT_HEADER_TOTAL * 2);
	buf_init(&extra, 64 * 1024);
	send_reply_init(&r);
	memset(&c, 0, sizeof(c));
	c.out = &headers;
	if (!rec->has_body || strcmp(rec->method.data, "POST") != 0) {
		log_warnx("%s line %ld: no POST body logged, nothing to"
		    " replay", rec->file, rec->lineno);
		goto out;
	}
	if ((a->to != NULL ? buf_adds(&url, a->to) : default_url(rec,
	    &url)) == -1 || buf_add(&body, rec->body.data, rec->body.len) == -1)
		goto out;
	if (a->resign && resign(ctl, a, rec, &body, &c, &extra) == -1)
		goto out;
	if (!a->resign && a->new_id != NULL &&
	    new_id_unsigned(rec, a->new_id, &c, &extra) == -1) {
		rc = CTL_USAGE;
		goto out;
	}
	if (ctl_record_headers(rec, collect_cb, &c) == -1 ||
	    buf_add(&headers, extra.data != NULL ? extra.data : "",
	    extra.len) == -1)
		goto out;
	o.insecure = a->insecure;
	o.timeout = REPLAY_TIMEOUT;
	if (send_post(url.data, headers.data, headers.len, body.data,
	    body.len, &o, &r, err, sizeof(err)) == -1) {
		log_warnx("cannot POST to '%s': %s", url.data, err);
		goto out;
	}
	rc = r.status >= 200 && r.status < 300 ? CTL_OK : CTL_NO;
	print_reply(a, rec, url.data, &r, quiet);
out:
	send_reply_release(&r);
	buf_release(&url);
	buf_release(&body);
	buf_release(&headers);
	buf_release(&extra);
	return rc;
}

/* --since: records collected from every log, then sent oldest first. */
struct since {
	const struct replay_args	*a;
	long long			 from_ms;
	struct kept {
		long long	 time_ms;
		char		*line;
		size_t		 len;
	}				*v;
	size_t				 n, cap;
};

static int
since_cb(void *arg, struct ctl_record *rec)
{
	struct since	*s = arg;
	struct kept	*nv;

	if (rec->time_ms < s->from_ms || !rec->has_body ||
	    strcmp(rec->method.data, "POST") != 0 || (s->a->verdict != NULL &&
	    strcmp(rec->verdict.data, s->a->verdict) != 0))
		return 0;
	if (s->n == s->cap) {
		if ((nv = reallocarray(s->v, s->cap == 0 ? 64 : s->cap * 2,
		    sizeof(*nv))) == NULL)
			return -1;
		s->v = nv;
		s->cap = s->cap == 0 ? 64 : s->cap * 2;
	}
	if ((s->v[s->n].line = malloc(rec->line.len + 1)) == NULL)
		return -1;
	memcpy(s->v[s->n].line, rec->line.data, rec->line.len + 1);
	s->v[s->n].len = rec->line.len;
	s->v[s->n++].time_ms = rec->time_ms;
	return 0;
}

static int
kept_cmp(const void *x, const void *y)
{
	const struct kept	*a = x, *b = y;

	return a->time_ms < b->time_ms ? -1 : a->time_ms > b->time_ms;
}

static int
replay_since(struct ctl *ctl, const struct replay_args *a)
{
	struct since		 s;
	struct endpoint		 ep;
	struct ctl_record	 rec;
	const char		*names[LIMIT_ENDPOINTS];
	size_t			 i;
	int			 n, k, rc = CTL_OK, one, ok = 0;

	memset(&s, 0, sizeof(s));
	s.a = a;
	if (ctl_time_arg(a->since, &s.from_ms) == -1) {
		log_warnx("--since: RFC 3339, Unix seconds or a duration"
		    " (10m)");
		return ctl_usage(ctl);
	}
	if ((n = ctl_endpoint_names(ctl, a->endpoint, names,
	    LIMIT_ENDPOINTS)) == -1)
		return CTL_FAIL;
	for (k = 0; k < n; k++) {
		if (ctl_endpoint(ctl, names[k], 0, &ep) == -1)
			continue;
		if (ctl_log_each(&ep, 0, NULL, since_cb, &s) == -1)
			rc = CTL_FAIL;
		config_endpoint_release(&ep);
	}
	qsort(s.v, s.n, sizeof(*s.v), kept_cmp);
	ctl_record_init(&rec);
	for (i = 0; i < s.n; i++) {
		if (ctl_record_parse(&rec, s.v[i].line, s.v[i].len, 1) == 0) {
			one = replay_one(ctl, a, &rec, 1);
			ok += one == CTL_OK;
			if (one == CTL_FAIL || (one == CTL_NO && rc == CTL_OK))
				rc = one;
		}
		free(s.v[i].line);
	}
	ctl_record_release(&rec);
	free(s.v);
	printf("replayed %zu deliver%s, %d answered 2xx\n", s.n, s.n == 1 ?
	    "y" : "ies", ok);
	return rc;
}

int
ctl_replay(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "endpoint", required_argument, NULL, 'E' },
		{ "to", required_argument, NULL, 't' },
		{ "resign", no_argument, NULL, 'r' },
		{ "id", required_argument, NULL, 'i' },
		{ "since", required_argument, NULL, 's' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_args		 a;
	struct ctl_record		 rec;
	int				 c, found, rc;

	memset(&a, 0, sizeof(a));
	while ((c = getopt_long(argc, argv, "hk", opts, NULL)) != -1) {
		switch (c) {
		case 'E':
			a.endpoint = optarg;
			break;
		case 't':
			a.to = optarg;
			break;
		case 'r':
			a.resign = 1;
			break;
		case 'i':
			a.new_id = optarg;
			break;
		case 's':
			a.since = optarg;
			break;
		case 'V':
			a.verdict = optarg;
			break;
		case 'k':
			a.insecure = 1;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (a.since != NULL)
		return argc != optind || a.new_id != NULL ? ctl_usage(ctl) :
		    replay_since(ctl, &a);
	if (argc - optind != 1 || a.verdict != NULL)
		return ctl_usage(ctl);
	ctl_record_init(&rec);
	if ((found = ctl_find_record(ctl, a.endpoint, argv[optind],
	    &rec)) == 1)
		rc = replay_one(ctl, &a, &rec, 0);
	else {
		if (found == 0)
			log_warnx("no delivery '%s' in the logs", argv[optind]);
		rc = found == 0 ? CTL_NO : CTL_FAIL;
	}
	ctl_record_release(&rec);
	return rc;
}
