/*
 * ledger-fill: a measuring fixture, not part of the product.  Appends
 * ROWS deliveries of the past to a ledger, shaped as a month of real
 * traffic leaves them: random UUID ids, a provider's headers with its
 * signature, done (one in a thousand dead) a moment after arriving,
 * arrival times spread evenly over the last DAYS days up to END, and
 * bodies only on the rows retention has not pruned yet (those done
 * within KEEP days).  Through ledger_fill() (ledger.c): direct SQL,
 * no HTTP, ten million rows in a few minutes.  The rows are the same
 * for the same arguments (a fixed seed), so bench/bench.sh can cache
 * the file.
 *
 * With -S DAYS it then simulates DAYS more days of the same traffic
 * (rows/days a day, through the indexes as a live ledger gets them),
 * each followed by retention's sweep (ledger_prune, keep_days and a
 * 30-day dedupe_window) until it finds nothing, and prints a line per
 * day: "day N rows R bytes B free F" (the file and its free pages).
 *
 * usage: ledger-fill [-d days] [-k keep_days] [-t end_ms] [-b body_file]
 *            [-S days] -n rows db endpoint ...
 *        ledger-fill -v	(prints the layout and generator versions)
 *
 * Each row's endpoint is one of the arguments, drawn evenly (name one
 * twice for twice its share); the provider is the name up to a '-'.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"

/* Bumped whenever the rows' shape changes: the bench's cache key. */
#define FILL_VERSION	1

struct gen {
	uint64_t	  rng;
	long long	  i, n;
	long long	  start, span, keep_from;
	char		**endpoints;
	int		  nendpoints;
	char		  provider[64];
	char		 *body;
	size_t		  body_len;
	char		  id[40], sig1[48], sig256[72], body_hex[72];
	char		  headers[1024];
};

/* xorshift64*: fast, and the same rows for the same seed. */
static uint64_t
rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545F4914F6CDD1DULL;
}

static void
hex(struct gen *g, char *out, size_t bytes)
{
	static const char	 digits[] = "0123456789abcdef";
	uint64_t		 r = 0;
	size_t			 i;

	for (i = 0; i < bytes * 2; i++) {
		if (i % 16 == 0)
			r = rnd(g);
		out[i] = digits[r & 15];
		r >>= 4;
	}
	out[i] = '\0';
}

/* A version 4 UUID, as GitHub's X-GitHub-Delivery. */
static void
uuid(struct gen *g, char *out)
{
	char	 h[33];

	hex(g, h, 16);
	snprintf(out, 40, "%.8s-%.4s-4%.3s-a%.3s-%.12s", h, h + 8, h + 13,
	    h + 17, h + 20);
}

static int
next(void *arg, struct ledger_old *o)
{
	struct gen	*g = arg;
	const char	*ep;
	size_t		 plen;
	long long	 at;
	int		 len;

	if (g->i == g->n)
		return 0;
	ep = g->endpoints[rnd(g) % (uint64_t)g->nendpoints];
	plen = strcspn(ep, "-");
	snprintf(g->provider, sizeof(g->provider), "%.*s", (int)plen, ep);
	at = g->start + g->span * g->i / g->n + (long long)(rnd(g) % 1000);
	g->i++;
	uuid(g, g->id);
	hex(g, g->sig1, 20);
	hex(g, g->sig256, 32);
	hex(g, g->body_hex, 32);
	if (strcmp(g->provider, "stripe") == 0)
		len = snprintf(g->headers, sizeof(g->headers),
		    "{\"Host\":\"hooks.example.com\",\"User-Agent\":"
		    "\"Stripe/1.0 (+https://stripe.com/docs/webhooks)\","
		    "\"Content-Length\":\"%zu\",\"Accept\":\"*/*; q=0.5,"
		    " application/xml\",\"Cache-Control\":\"no-cache\","
		    "\"Content-Type\":\"application/json; charset=utf-8\","
		    "\"Stripe-Signature\":\"t=%lld,v1=%s\"}",
		    g->body_len, at / 1000, g->sig256);
	else
		len = snprintf(g->headers, sizeof(g->headers),
		    "{\"Host\":\"hooks.example.com\",\"User-Agent\":"
		    "\"GitHub-Hookshot/a6f1a4c\",\"Content-Length\":\"%zu\","
		    "\"Accept\":\"*/*\",\"Content-Type\":\"application/json\","
		    "\"X-GitHub-Delivery\":\"%s\",\"X-GitHub-Event\":\"push\","
		    "\"X-GitHub-Hook-ID\":\"412345678\","
		    "\"X-GitHub-Hook-Installation-Target-ID\":\"8123456\","
		    "\"X-GitHub-Hook-Installation-Target-Type\":\"repository\","
		    "\"X-Hub-Signature\":\"sha1=%s\","
		    "\"X-Hub-Signature-256\":\"sha256=%s\"}",
		    g->body_len, g->id, g->sig1, g->sig256);
	o->d.endpoint = ep;
	o->d.delivery_id = g->id;
	o->d.provider = g->provider;
	o->d.event = strcmp(g->provider, "stripe") == 0 ?
	    "payment_intent.succeeded" : "push";
	o->d.received_at = at;
	o->d.headers = g->headers;
	o->d.headers_len = (size_t)len;
	o->d.body_sha256 = g->body_hex;
	o->d.signed_sha256 = g->sig256;
	o->finished_at = at + 20 + (long long)(rnd(g) % 2000);
	if (rnd(g) % 1000 == 0) {
		o->state = "dead";
		o->attempts = 5;
		o->last_exit = 1;
		o->last_error = "Error: connect ECONNREFUSED 127.0.0.1:5432\n";
	} else {
		o->state = "done";
		o->attempts = rnd(g) % 50 == 0 ? 2 : 1;
	}
	/* Retention keeps the bodies of dead rows and recent done ones. */
	if (strcmp(o->state, "dead") == 0 || o->finished_at >= g->keep_from) {
		o->d.body = g->body;
		o->d.body_len = g->body_len;
	}
	return 1;
}

#define DAY_MS	86400000LL

/* -S: a day of new rows, then retention, for days days after end. */
static int
simulate(struct ledger *l, struct gen *g, long long end, long long days,
    long long keep, long long per_day)
{
	char		 err[512];
	long long	 d, rows, pruned, deleted, np, nd, bytes, free;

	rows = g->n;
	for (d = 1; d <= days; d++) {
		g->start = end + (d - 1) * DAY_MS;
		g->span = DAY_MS;
		g->keep_from = 0;	/* new rows all keep their body */
		g->i = 0;
		g->n = per_day;
		if (ledger_fill(l, next, g, err, sizeof(err)) == -1)
			goto fail;
		rows += per_day;
		np = nd = 0;
		do {
			if (ledger_prune(l, end + d * DAY_MS, keep * DAY_MS,
			    30 * DAY_MS, &pruned, &deleted, err,
			    sizeof(err)) == -1)
				goto fail;
			np += pruned;
			nd += deleted;
		} while (pruned + deleted > 0);
		rows -= nd;
		if (ledger_space(l, &bytes, &free) == -1) {
			snprintf(err, sizeof(err), "cannot read the size");
			goto fail;
		}
		printf("day %lld rows %lld bytes %lld free %lld pruned %lld"
		    " deleted %lld\n", d, rows, bytes, free, np, nd);
		fflush(stdout);
	}
	return 0;
fail:
	fprintf(stderr, "ledger-fill: day %lld: %s\n", d, err);
	return -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ledger-fill [-d days] [-k keep_days]"
	    " [-t end_ms] [-b body_file] [-S days] -n rows db endpoint ...\n"
	    "       ledger-fill -v\n");
	exit(100);
}

/* The body file's bytes, or 2 KiB of JSON-ish text. */
static char *
body_read(const char *path, size_t *len)
{
	struct stat	 sb;
	FILE		*f;
	char		*b;

	if (path == NULL) {
		*len = 2048;
		if ((b = malloc(*len)) == NULL)
			return NULL;
		memset(b, 'x', *len);
		b[0] = '{';
		b[*len - 1] = '}';
		return b;
	}
	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) == -1 ||
	    (b = malloc((size_t)sb.st_size + 1)) == NULL ||
	    fread(b, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		fprintf(stderr, "ledger-fill: %s: %s\n", path, strerror(errno));
		exit(111);
	}
	fclose(f);
	*len = (size_t)sb.st_size;
	return b;
}

int
main(int argc, char **argv)
{
	struct gen	 g;
	struct ledger	*l;
	struct timespec	 t0, t1;
	const char	*body_file = NULL;
	char		 err[512];
	long long	 days = 30, keep = 7, end = 0, n, sim = 0;
	int		 ch;

	memset(&g, 0, sizeof(g));
	g.n = -1;
	while ((ch = getopt(argc, argv, "b:d:k:n:S:t:v")) != -1) {
		switch (ch) {
		case 'b':
			body_file = optarg;
			break;
		case 'd':
			days = strtoll(optarg, NULL, 10);
			break;
		case 'k':
			keep = strtoll(optarg, NULL, 10);
			break;
		case 'n':
			g.n = strtoll(optarg, NULL, 10);
			break;
		case 'S':
			sim = strtoll(optarg, NULL, 10);
			break;
		case 't':
			end = strtoll(optarg, NULL, 10);
			break;
		case 'v':
			printf("layout%d-fill%d\n", ledger_layout(),
			    FILL_VERSION);
			return 0;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || g.n < 0 || days <= 0 || keep < 0)
		usage();
	clock_gettime(CLOCK_REALTIME, &t0);
	if (end == 0)
		end = (long long)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
	g.rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)g.n;
	g.span = days * 86400000LL;
	g.start = end - g.span;
	g.keep_from = end - keep * 86400000LL;
	g.endpoints = argv + 1;
	g.nendpoints = argc - 1;
	if ((g.body = body_read(body_file, &g.body_len)) == NULL) {
		fprintf(stderr, "ledger-fill: out of memory\n");
		return 111;
	}
	if ((l = ledger_open(argv[0], 0, 10000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "ledger-fill: %s\n", err);
		return 111;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = ledger_fill(l, next, &g, err, sizeof(err));
	if (n == -1) {
		fprintf(stderr, "ledger-fill: %s\n", err);
		ledger_close(l);
		return 111;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "ledger-fill: %lld rows in %.1f s\n", n,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (sim > 0 && simulate(l, &g, end, sim, keep, g.n / days) == -1) {
		ledger_close(l);
		return 111;
	}
	ledger_close(l);
	free(g.body);
	return 0;
}
