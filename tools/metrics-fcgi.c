/*
 * metrics.fcgi: the collection's numbers in the Prometheus text
 * exposition format 0.0.4, as a FastCGI (or CGI) program behind the same
 * web server as the receivers.
 *
 * Counters come from the shared counter files (common/counters.c) of
 * every state_dir in the configuration, added up per endpoint; gauges
 * come from the ledgers, opened read-only with a short timeout: a busy
 * or broken ledger is answered 503, never waited for.  With store = nats
 * the queue is the cluster's: its gauges come from the stream and the
 * consumer (webhook_stream_deliveries), for every endpoint and host at
 * once.  Labels are the endpoint and fixed words only, never an id, a
 * header or a secret.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "config.h"
#include "counters.h"
#include "defaults.h"
#include "ledger.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "sandbox.h"
#include "store.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define NSTATES		4
#define MAX_SERIES	(LIMIT_ENDPOINTS * 2)
#define MAX_DIRS	(LIMIT_ENDPOINTS + 1)
#define OUT_MAX		(4 * 1024 * 1024)
/* A scrape waits this long for a ledger lock at most, then gives 503. */
#define LEDGER_WAIT_MS	250

static const char *const states[NSTATES] = {
	"queued", "running", "done", "dead",
};

/* Everything known about one endpoint label. */
struct series {
	char			 name[LIMIT_ENDPOINT_NAME + 1];
	struct counters_block	 b;
	long long		 count[NSTATES];
	long long		 attempts[NSTATES];
	long long		 oldest_queued;		/* Unix ms, 0: none */
};

struct scrape {
	struct series	 s[MAX_SERIES];
	size_t		 n;
	long long	 now_ms;
	struct buf	*out;
	int		 nats;			/* store = nats: stream[] */
	long long	 stream[NSTATES];
};

static struct series *
series_get(struct scrape *sc, const char *name)
{
	size_t	 i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->s[i].name, name) == 0)
			return &sc->s[i];
	if (sc->n == MAX_SERIES || strlen(name) > LIMIT_ENDPOINT_NAME)
		return NULL;
	memset(&sc->s[sc->n], 0, sizeof(sc->s[0]));
	memcpy(sc->s[sc->n].name, name, strlen(name) + 1);
	return &sc->s[sc->n++];
}

/* Adds a counter file's slot: an endpoint may have two (handlers, worker). */
static int
take_block(void *arg, const char *name, const struct counters_block *b)
{
	struct series	*s;
	const uint64_t	*p = (const uint64_t *)b;
	uint64_t	*q;
	size_t		 i;

	if ((s = series_get(arg, name)) == NULL)
		return 0;
	q = (uint64_t *)&s->b;
	for (i = 0; i < sizeof(*b) / sizeof(uint64_t); i++)
		q[i] += p[i];
	return 0;
}

static int
take_count(void *arg, const struct ledger_count *c)
{
	struct series	*s;
	size_t		 i;

	if ((s = series_get(arg, c->endpoint)) == NULL)
		return 0;
	for (i = 0; i < NSTATES; i++)
		if (strcmp(states[i], c->state) == 0) {
			s->count[i] += c->count;
			s->attempts[i] += c->attempts;
		}
	if (strcmp(c->state, "queued") == 0 && c->count > 0 &&
	    (s->oldest_queued == 0 || c->oldest < s->oldest_queued))
		s->oldest_queued = c->oldest;
	return 0;
}

/* Reads one state_dir; 0, or -1 with the reason in why. */
static int
read_dir(struct scrape *sc, const char *dir, struct buf *why)
{
	struct counters	*c;
	struct ledger	*l;
	char		 path[PATH_MAX], err[512];
	int		 rc;

	/* An absent file only means nothing was counted yet. */
	if ((c = counters_open(dir, 0, err, sizeof(err))) != NULL) {
		counters_each(c, take_block, sc);
		counters_close(c);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/webhooks.db", dir) >=
	    sizeof(path)) {
		buf_adds(why, "state_dir too long");
		return -1;
	}
	if (access(path, F_OK) == -1)
		return 0;
	if ((l = ledger_open(path, LEDGER_READONLY, LEDGER_WAIT_MS, err,
	    sizeof(err))) == NULL) {
		buf_adds(why, err);
		return -1;
	}
	rc = ledger_gauges(l, take_count, sc, err, sizeof(err));
	ledger_close(l);
	if (rc == -1)
		buf_adds(why, err);
	return rc;
}

/* Every state_dir of the configuration, once each; the endpoints too. */
static int
read_all(struct scrape *sc, const struct config *cfg, struct buf *why)
{
	const char	*dirs[MAX_DIRS];
	char		*own[MAX_DIRS];
	struct endpoint	 ep;
	size_t		 i, j, ndirs = 0, n = config_nendpoints(cfg);
	int		 rc = 0;

	for (i = 0; i <= n && rc == 0 && i < MAX_DIRS; i++) {
		const char *name = i == 0 ? "global" :
		    config_endpoint_name(cfg, i - 1);

		memset(&ep, 0, sizeof(ep));
		if (config_endpoint(cfg, name, &ep, why) == -1)
			return -1;
		if (i > 0)
			series_get(sc, name);
		for (j = 0; j < ndirs; j++)
			if (strcmp(dirs[j], ep.state_dir) == 0)
				break;
		if (j == ndirs && (own[ndirs] = strdup(ep.state_dir)) != NULL)
			dirs[ndirs] = own[ndirs], ndirs++;
		config_endpoint_release(&ep);
	}
	for (j = 0; j < ndirs; j++) {
		if (rc == 0)
			rc = read_dir(sc, dirs[j], why);
		free(own[j]);
	}
	return rc;
}

static int
take_stream_count(void *arg, const struct ledger_count *c)
{
	struct scrape	*sc = arg;
	size_t		 i;

	for (i = 0; i < NSTATES; i++)
		if (strcmp(states[i], c->state) == 0)
			sc->stream[i] += c->count;
	return 0;
}

/* store = nats: the shared queue's counts, from the stream's server. */
static int
read_stream(struct scrape *sc, const struct endpoint *g, struct buf *why)
{
	struct store	*st = NULL;
	char		 err[512];
	int		 rc;

	sc->nats = 1;
	if (store_open_ctl(g, &st, err, sizeof(err)) != 1) {
		buf_adds(why, err);
		return -1;
	}
	rc = store_stats(st, take_stream_count, sc, err, sizeof(err));
	store_close(st);
	if (rc == -1)
		buf_adds(why, err);
	return rc;
}

/* "# HELP" and "# TYPE" of a family. */
static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/*
 * One sample: name{endpoint="..."[,key="value"]} value.  Endpoint names
 * are [A-Za-z0-9_.-] (parse_endpoint_name), so they need no escaping.
 */
static void
sample(struct buf *out, const char *name, const char *ep, const char *key,
    const char *value, unsigned long long v)
{
	if (key != NULL)
		buf_printf(out, "%s{endpoint=\"%s\",%s=\"%s\"} %llu\n", name,
		    ep, key, value, v);
	else
		buf_printf(out, "%s{endpoint=\"%s\"} %llu\n", name, ep, v);
}

/* A histogram; buckets are per bucket in the file, cumulative here. */
static void
histogram(struct buf *out, const char *name, const char *ep,
    const uint64_t *b, const double *le, size_t n, double sum)
{
	unsigned long long	 cum = 0;
	char			 bound[32];
	size_t			 i;

	for (i = 0; i < n; i++) {
		cum += b[i];
		if (i < n - 1)
			snprintf(bound, sizeof(bound), "%g", le[i]);
		else
			snprintf(bound, sizeof(bound), "+Inf");
		buf_printf(out, "%s_bucket{endpoint=\"%s\",le=\"%s\"} %llu\n",
		    name, ep, bound, cum);
	}
	buf_printf(out, "%s_sum{endpoint=\"%s\"} %.6f\n", name, ep, sum);
	buf_printf(out, "%s_count{endpoint=\"%s\"} %llu\n", name, ep, cum);
}

static void
put_answers(struct scrape *sc)
{
	struct buf	*out = sc->out;
	char		 code[16];
	size_t		 i, k;

	family(out, "webhook_deliveries_total", "counter",
	    "Requests answered by a receiver, by verdict.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < COUNTERS_VERDICTS; k++)
			sample(out, "webhook_deliveries_total", sc->s[i].name,
			    "verdict", counters_verdicts[k],
			    sc->s[i].b.verdict[k]);
	family(out, "webhook_responses_total", "counter",
	    "Requests answered by a receiver, by HTTP status.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < COUNTERS_STATUSES; k++) {
			if (k < COUNTERS_STATUSES - 1)
				snprintf(code, sizeof(code), "%d",
				    counters_statuses[k]);
			else
				snprintf(code, sizeof(code), "other");
			sample(out, "webhook_responses_total", sc->s[i].name,
			    "code", code, sc->s[i].b.status[k]);
		}
	family(out, "webhook_rejections_total", "counter",
	    "Requests refused (rejected or failed), by class of reason.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < COUNTERS_REASONS; k++)
			sample(out, "webhook_rejections_total", sc->s[i].name,
			    "reason", counters_reasons[k],
			    sc->s[i].b.reason[k]);
	family(out, "webhook_request_duration_seconds", "histogram",
	    "Time a receiver took to answer, reading the body included.");
	for (i = 0; i < sc->n; i++)
		histogram(out, "webhook_request_duration_seconds",
		    sc->s[i].name, sc->s[i].b.latency, counters_latency_le,
		    COUNTERS_LATENCY, sc->s[i].b.latency_sum_us / 1e6);
	family(out, "webhook_received_bytes_total", "counter",
	    "Request body bytes received.");
	for (i = 0; i < sc->n; i++)
		sample(out, "webhook_received_bytes_total", sc->s[i].name,
		    NULL, NULL, sc->s[i].b.bytes);
}

static void
put_ledger(struct scrape *sc)
{
	struct buf	*out = sc->out;
	size_t		 i, k;
	double		 age;

	family(out, "webhook_ledger_deliveries", "gauge",
	    "Deliveries in the ledger, by state.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < NSTATES; k++)
			sample(out, "webhook_ledger_deliveries", sc->s[i].name,
			    "state", states[k], sc->s[i].count[k]);
	family(out, "webhook_ledger_attempts", "gauge",
	    "Attempts made so far on the deliveries not done, by state.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < NSTATES; k++)
			if (strcmp(states[k], "done") != 0)
				sample(out, "webhook_ledger_attempts",
				    sc->s[i].name, "state", states[k],
				    sc->s[i].attempts[k]);
	family(out, "webhook_ledger_oldest_queued_age_seconds", "gauge",
	    "Age of the oldest queued delivery, 0 when none is queued.");
	for (i = 0; i < sc->n; i++) {
		age = sc->s[i].oldest_queued == 0 ? 0 :
		    (sc->now_ms - sc->s[i].oldest_queued) / 1e3;
		buf_printf(out, "webhook_ledger_oldest_queued_age_seconds"
		    "{endpoint=\"%s\"} %.3f\n", sc->s[i].name, age < 0 ? 0 :
		    age);
	}
}

static void
put_stream(struct scrape *sc)
{
	size_t	 k;

	if (!sc->nats)
		return;
	family(sc->out, "webhook_stream_deliveries", "gauge",
	    "Deliveries in the shared NATS stream, every endpoint and host,"
	    " by state.");
	for (k = 0; k < NSTATES; k++)
		buf_printf(sc->out, "webhook_stream_deliveries{state=\"%s\"}"
		    " %lld\n", states[k], sc->stream[k]);
}

static void
put_worker(struct scrape *sc)
{
	struct buf	*out = sc->out;
	char		 code[16];
	size_t		 i, k;

	family(out, "webhook_worker_commands_total", "counter",
	    "Commands the worker ran.");
	for (i = 0; i < sc->n; i++)
		sample(out, "webhook_worker_commands_total", sc->s[i].name,
		    NULL, NULL, sc->s[i].b.commands);
	family(out, "webhook_worker_exit_codes_total", "counter",
	    "Commands ended, by exit status (16 and up: other; killed:"
	    " signal).");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < COUNTERS_EXITS; k++) {
			if (k < COUNTERS_EXITS - 2)
				snprintf(code, sizeof(code), "%zu", k);
			else
				snprintf(code, sizeof(code), "%s",
				    k == COUNTERS_EXITS - 2 ? "other" :
				    "signal");
			sample(out, "webhook_worker_exit_codes_total",
			    sc->s[i].name, "code", code,
			    sc->s[i].b.exit_code[k]);
		}
	family(out, "webhook_worker_command_duration_seconds", "histogram",
	    "How long commands ran.");
	for (i = 0; i < sc->n; i++)
		histogram(out, "webhook_worker_command_duration_seconds",
		    sc->s[i].name, sc->s[i].b.duration, counters_duration_le,
		    COUNTERS_DURATION, sc->s[i].b.duration_sum_ms / 1e3);
	family(out, "webhook_worker_retries_total", "counter",
	    "Attempts that failed and were scheduled again.");
	for (i = 0; i < sc->n; i++)
		sample(out, "webhook_worker_retries_total", sc->s[i].name,
		    NULL, NULL, sc->s[i].b.outcome[1]);
	family(out, "webhook_worker_outcomes_total", "counter",
	    "Attempts ended, by outcome.");
	for (i = 0; i < sc->n; i++)
		for (k = 0; k < COUNTERS_OUTCOMES; k++)
			sample(out, "webhook_worker_outcomes_total",
			    sc->s[i].name, "outcome", counters_outcomes[k],
			    sc->s[i].b.outcome[k]);
}

static void
put_build(struct buf *out)
{
	family(out, "webhook_build_info", "gauge",
	    "Always 1; the labels name the build.");
	buf_printf(out, "webhook_build_info{version=\"%s\",sandbox=\"%s\"}"
	    " 1\n", VERSION, sandbox_describe());
}

static long long
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
answer(struct request_src *src, struct buf *scratch, int status,
    const char *extra, const char *text)
{
	respond_send(src, scratch, status, "text/plain; charset=utf-8", extra,
	    text, strlen(text));
}

/* One scrape; the configuration is read again each time. */
static void
handle(struct request_src *src, const struct request *req, struct buf *out,
    struct buf *scratch)
{
	static struct scrape	 sc;
	struct config		*cfg;
	struct endpoint		 g;
	struct buf		 why;
	const char		*path;
	int			 rc = -1, https;

	if (strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "HEAD") != 0) {
		answer(src, scratch, 405, "Allow: GET, HEAD\r\n",
		    "only GET is served\n");
		return;
	}
	path = req->config != NULL && req->config[0] != '\0' ? req->config :
	    getenv("WEBHOOK_CONFIG");
	if (path == NULL || path[0] == '\0')
		path = DEF_CONFIG_PATH;
	buf_init(&why, 4096);
	memset(&sc, 0, sizeof(sc));
	sc.now_ms = wall_ms();
	sc.out = out;
	buf_reset(out);
	memset(&g, 0, sizeof(g));
	if ((cfg = config_load(path, &why)) != NULL &&
	    config_endpoint(cfg, "global", &g, &why) == 0) {
		https = !g.require_https || req->https;
		if (!https) {
			config_endpoint_release(&g);
			answer(src, scratch, 403, NULL, "plain HTTP refused:"
			    " require_https is set\n");
			goto out;
		}
		rc = read_all(&sc, cfg, &why);
		if (rc == 0 && store_is_nats(&g))
			rc = read_stream(&sc, &g, &why);
		config_endpoint_release(&g);
	}
	if (rc == -1) {
		log_warnx("cannot scrape: %s", why.data != NULL ? why.data :
		    "unknown error");
		answer(src, scratch, 503, "Retry-After: 5\r\n", "metrics"
		    " unavailable, see the server error log\n");
		goto out;
	}
	put_answers(&sc);
	put_ledger(&sc);
	put_stream(&sc);
	put_worker(&sc);
	put_build(out);
	respond_send(src, scratch, 200, "text/plain; version=0.0.4;"
	    " charset=utf-8", NULL, out->data != NULL ? out->data : "",
	    strcmp(req->method, "HEAD") == 0 ? 0 : out->len);
out:
	config_free(cfg);
	buf_release(&why);
}

/* Whether the configuration the web server named uses store = nats. */
static int
config_wants_nats(const char *path)
{
	struct config	*cfg;
	struct endpoint	 g;
	struct buf	 why;
	int		 nats = 0;

	if (path == NULL || path[0] == '\0')
		path = DEF_CONFIG_PATH;
	buf_init(&why, 1024);
	memset(&g, 0, sizeof(g));
	if ((cfg = config_load(path, &why)) != NULL &&
	    config_endpoint(cfg, "global", &g, &why) == 0) {
		nats = store_is_nats(&g);
		config_endpoint_release(&g);
	}
	config_free(cfg);
	buf_release(&why);
	return nats;
}

int
main(int argc, char *argv[])
{
	struct request_src	*src;
	struct request		 req;
	struct buf		 out, scratch;
	char			 err[256];
	int			 rc;

	log_init("metrics", getenv("WEBHOOK_DEBUG") != NULL);
	if (argc > 1) {
		if (strcmp(argv[1], "-V") == 0) {
			printf("webhook-fcgi %s metrics\n", VERSION);
			return 0;
		}
		fprintf(stderr, "usage: %s [-V]\n"
		    "A FastCGI or CGI program: run it from a web server.\n",
		    argv[0]);
		return 100;
	}
	request_signals();
	if ((src = request_open()) == NULL)
		fatalx("cannot initialise FastCGI");
	/*
	 * A scrape only reads files and answers, which the receivers'
	 * filter allows: no exec, no new socket.  The time zone and
	 * SQLite load what they need on first use, before it matters.
	 * With store = nats it also asks the cluster, over the sockets and
	 * threads the filter then allows, as in the receivers.
	 */
	if (config_wants_nats(getenv("WEBHOOK_CONFIG"))) {
		sandbox_allow_network();
		/* The client library is mapped now: code, after, cannot be. */
		if (store_load_nats(err, sizeof(err)) == -1)
			log_warnx("%s", err);
	}
	tzset();
	if (sandbox_enter() == -1)
		log_warn("cannot enter the sandbox");
	memset(&req, 0, sizeof(req));
	buf_init(&req.body, 1);
	buf_init(&out, OUT_MAX);
	buf_init(&scratch, OUT_MAX + 4096);
	while ((rc = request_accept(src, &req)) == 1) {
		handle(src, &req, &out, &scratch);
		request_finish(src, &req);
	}
	if (rc == -1)
		log_warn("accept failed");
	buf_release(&out);
	buf_release(&scratch);
	buf_release(&req.body);
	request_close(src);
	return rc == -1 ? 111 : 0;
}
