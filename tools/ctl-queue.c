/*
 * webhookctl queue: the ledger seen as the worker's queue.  list and
 * stats read; show prints one delivery; retry puts dead (or done)
 * deliveries back in the queue; purge forgets old done ones.  Every
 * change is one statement in ledger.c, safe while workers run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "dlog.h"
#include "json.h"
#include "ledger.h"
#include "store.h"
#include "log.h"
#include "parse.h"
#include "ctl.h"

/* Rows list prints unless -n says otherwise. */
#define LIST_DEFAULT	50

static const char help[] =
    "The ledger as the worker's queue (every endpoint unless --endpoint):\n"
    "  list             deliveries not done yet, newest first\n"
    "    --state S      only queued, running, done or dead\n"
    "    --all          done ones too\n"
    "    -n N           at most N rows (default 50, 0: all)\n"
    "  stats            per endpoint: how many in each state, oldest"
    " waiting\n"
    "  show ID          everything the ledger has about a delivery\n"
    "  retry ID         run a dead or done delivery again\n"
    "  retry --dead [ENDPOINT]  run every dead delivery again\n"
    "  purge --done --older-than D  delete done deliveries finished more\n"
    "                   than D ago (90m, 12h, 30d); their ids stop\n"
    "                   deduplicating\n"
    "  --json           data as JSON (list, stats, show)\n"
    "Exit status 1: nothing matched, or retry was refused.\n";

struct queue_args {
	const char	*sub;
	const char	*arg;		/* ID or ENDPOINT */
	const char	*endpoint;
	const char	*state;
	const char	*older_than;
	long		 limit;
	int		 all;
	int		 dead;
	int		 done;
	int		 json;
};

/* --- rows, shared with show ------------------------------------------- */

static void
print_time(const char *label, const char *indent, long long ms)
{
	char	 when[32];

	if (ms <= 0)
		return;
	dlog_time(ms, when);
	printf("%s%-12s%s\n", indent, label, when);
}

/* A command's stderr tail, a line each, escaped. */
static void
print_lines(const char *indent, const char *label, const char *s)
{
	const char	*nl;
	size_t		 n;

	printf("%s%s\n", indent, label);
	for (; *s != '\0'; s = nl != NULL ? nl + 1 : s + n) {
		nl = strchr(s, '\n');
		n = nl != NULL ? (size_t)(nl - s) : strlen(s);
		printf("%s  | ", indent);
		ctl_print_bytes(s, n, 1000);
		putchar('\n');
	}
}

void
ctl_row_print(const struct ctl *ctl, const struct ledger_row *r,
    const char *indent)
{
	const char	*s = r->state != NULL ? r->state : "?";

	printf("%s%-12s%s%s%s, %ld attempt%s", indent, "state",
	    ctl_paint(ctl, strcmp(s, "dead") == 0 ? "rejected" :
	    strcmp(s, "done") == 0 ? "accepted" : "duplicate"), s,
	    ctl_unpaint(ctl), r->attempts, r->attempts == 1 ? "" : "s");
	if (r->has_exit)
		printf(", last exit %d", r->last_exit);
	printf("\n%s%-12s%s (%s, row %lld)\n", indent, "endpoint",
	    r->endpoint, r->provider, r->rowid);
	printf("%s%-12s%s\n", indent, "delivery", r->delivery_id);
	printf("%s%-12s%s\n", indent, "event", r->event != NULL &&
	    r->event[0] != '\0' ? r->event : "-");
	print_time("received", indent, r->received_at);
	if (strcmp(s, "queued") == 0)
		print_time("next try", indent, r->next_attempt_at);
	if (r->lease_owner != NULL) {
		printf("%s%-12s%s\n", indent, "leased to", r->lease_owner);
		print_time("lease until", indent, r->lease_until);
	}
	print_time("finished", indent, r->finished_at);
	printf("%s%-12s%zu bytes%s, sha256 %s\n", indent, "body", r->body_len,
	    r->body_pruned ? " (pruned: retention dropped it)" : "",
	    r->body_sha256 != NULL ? r->body_sha256 : "?");
	if (r->last_error != NULL && r->last_error[0] != '\0')
		print_lines(indent, "last error", r->last_error);
}

static int
add_time(struct buf *out, const char *key, long long ms)
{
	char	 when[32];

	if (ms <= 0)
		return buf_printf(out, ",\"%s\":null", key);
	dlog_time(ms, when);
	return json_add_kv(out, 0, key, when, strlen(when));
}

static int
add_str(struct buf *out, const char *key, const char *v)
{
	if (v == NULL)
		return buf_printf(out, ",\"%s\":null", key);
	/* Not UTF-8 (a command's stderr may not be): escape it lossily. */
	if (json_add_kv(out, 0, key, v, strlen(v)) == 0)
		return 0;
	return json_add_kv(out, 0, key, "(not UTF-8)", 11);
}

int
ctl_row_json(const struct ledger_row *r, struct buf *out)
{
	if (buf_printf(out, "{\"rowid\":%lld", r->rowid) == -1 ||
	    add_str(out, "endpoint", r->endpoint) == -1 ||
	    add_str(out, "delivery_id", r->delivery_id) == -1 ||
	    add_str(out, "provider", r->provider) == -1 ||
	    add_str(out, "event", r->event) == -1 ||
	    add_str(out, "state", r->state) == -1 ||
	    json_add_kv_int(out, "attempts", r->attempts) == -1 ||
	    add_time(out, "received_at", r->received_at) == -1 ||
	    add_time(out, "next_attempt_at", r->next_attempt_at) == -1 ||
	    add_time(out, "lease_until", r->lease_until) == -1 ||
	    add_str(out, "lease_owner", r->lease_owner) == -1 ||
	    (r->has_exit ? json_add_kv_int(out, "last_exit", r->last_exit) :
	    buf_adds(out, ",\"last_exit\":null")) == -1 ||
	    add_str(out, "last_error", r->last_error) == -1 ||
	    add_time(out, "finished_at", r->finished_at) == -1 ||
	    json_add_kv_int(out, "body_bytes", (long long)r->body_len) == -1 ||
	    buf_printf(out, ",\"body_pruned\":%s", r->body_pruned ? "true" :
	    "false") == -1 ||
	    add_str(out, "body_sha256", r->body_sha256) == -1)
		return -1;
	if (r->headers != NULL && (buf_adds(out, ",\"headers\":") == -1 ||
	    buf_add(out, r->headers, r->headers_len) == -1))
		return -1;
	return buf_addc(out, '}');
}

/* --- list and show ---------------------------------------------------- */

struct lister {
	const struct ctl	*ctl;
	struct queue_args	*a;
	struct ledger_query	 q;
	long			 rows;
	int			 full;	/* show: every field */
};

static int
list_row(void *arg, const struct ledger_row *r)
{
	struct lister	*l = arg;
	struct buf	 j;
	char		 when[32];

	l->rows++;
	if (l->a->json) {
		buf_init(&j, LIMIT_HEADER_TOTAL * 6 + 64 * 1024);
		if (ctl_row_json(r, &j) == 0)
			printf("%s\n", j.data);
		buf_release(&j);
	} else if (l->full) {
		if (l->rows > 1)
			putchar('\n');
		ctl_row_print(l->ctl, r, "");
	} else {
		dlog_time(r->received_at, when);
		printf("%s %-10s %-7s %3ld %-24s %s", when, r->endpoint,
		    r->state, r->attempts, r->event[0] != '\0' ? r->event :
		    "-", r->delivery_id);
		if (r->has_exit)
			printf(" exit %d", r->last_exit);
		putchar('\n');
	}
	return l->q.limit > 0 && l->rows >= l->q.limit;
}

static int
list_ledger(void *arg, struct store *led)
{
	struct lister	*l = arg;
	char		 err[512];

	if (store_list(led, &l->q, list_row, l, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static int
queue_list(struct ctl *ctl, struct queue_args *a, int full)
{
	struct lister	 l;
	int		 opened, rc;

	memset(&l, 0, sizeof(l));
	l.ctl = ctl;
	l.a = a;
	l.full = full;
	l.q.endpoint = a->endpoint;
	l.q.state = a->state;
	l.q.not_done = !a->all && a->state == NULL && !full;
	l.q.limit = full ? 0 : a->limit;
	l.q.delivery_id = full ? a->arg : NULL;
	rc = ctl_ledgers(ctl, a->endpoint, list_ledger, &l, &opened);
	if (rc == -1)
		return CTL_FAIL;
	if (full && l.rows == 0) {
		log_warnx("no delivery '%s' in the ledger%s", a->arg,
		    opened == 0 ? " (there is no ledger yet)" : "");
		return CTL_NO;
	}
	return CTL_OK;
}

/* --- stats ------------------------------------------------------------ */

static const char *const states[] = { "queued", "running", "done", "dead" };

struct stat_row {
	char		 endpoint[LIMIT_ENDPOINT_NAME + 1];
	long long	 n[4];
	long long	 oldest_queued;
};

struct stats {
	struct stat_row	 rows[LIMIT_ENDPOINTS * 4];
	size_t		 nrows;
};

static int
stats_count(void *arg, const struct ledger_count *c)
{
	struct stats	*s = arg;
	struct stat_row	*r = NULL;
	size_t		 i;

	for (i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].endpoint, c->endpoint) == 0)
			r = &s->rows[i];
	if (r == NULL) {
		if (s->nrows == sizeof(s->rows) / sizeof(s->rows[0]))
			return 0;
		r = &s->rows[s->nrows++];
		snprintf(r->endpoint, sizeof(r->endpoint), "%s", c->endpoint);
	}
	for (i = 0; i < 4; i++)
		if (strcmp(states[i], c->state) == 0)
			r->n[i] += c->count;
	if (strcmp(c->state, "queued") == 0)
		r->oldest_queued = c->oldest;
	return 0;
}

static int
stats_ledger(void *arg, struct store *l)
{
	char	 err[512];

	if (store_stats(l, stats_count, arg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static void
stats_print(const struct stats *s, int json)
{
	const struct stat_row	*r;
	char			 when[32];
	size_t			 i, k;

	if (!json)
		printf("%-16s %8s %8s %8s %8s  %s\n", "endpoint", "queued",
		    "running", "done", "dead", "oldest queued");
	else
		printf("{\"endpoints\":[");
	for (i = 0; i < s->nrows; i++) {
		r = &s->rows[i];
		if (r->oldest_queued > 0)
			dlog_time(r->oldest_queued, when);
		if (json) {
			printf("%s{\"endpoint\":\"%s\"", i > 0 ? "," : "",
			    r->endpoint);
			for (k = 0; k < 4; k++)
				printf(",\"%s\":%lld", states[k], r->n[k]);
			if (r->oldest_queued > 0)
				printf(",\"oldest_queued\":\"%s\"}", when);
			else
				printf(",\"oldest_queued\":null}");
			continue;
		}
		printf("%-16s %8lld %8lld %8lld %8lld  %s\n", r->endpoint,
		    r->n[0], r->n[1], r->n[2], r->n[3], r->oldest_queued > 0 ?
		    when : "-");
	}
	if (json)
		printf("]}\n");
}

static int
queue_stats(struct ctl *ctl, struct queue_args *a)
{
	struct stats	*s;
	int		 opened, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CTL_FAIL;
	rc = ctl_ledgers(ctl, a->endpoint, stats_ledger, s, &opened);
	if (rc != -1)
		stats_print(s, a->json);
	free(s);
	return rc == -1 ? CTL_FAIL : CTL_OK;
}

/* --- retry and purge -------------------------------------------------- */

struct retry {
	struct queue_args	*a;
	enum ledger_requeue	 r;
	long long		 count;
};

static int
retry_one(void *arg, struct store *l)
{
	struct retry	*t = arg;
	char		 err[512];

	t->r = store_requeue(l, t->a->endpoint, t->a->arg, ctl_now_ms(),
	    err, sizeof(err));
	if (t->r == LEDGER_REQUEUE_ERROR)
		log_warnx("%s", err);
	/* Unknown here: the next ledger may have it. */
	return t->r == LEDGER_REQUEUE_UNKNOWN ? 0 : 1;
}

static int
retry_dead(void *arg, struct store *l)
{
	struct retry	*t = arg;
	char		 err[512];
	long long	 n;

	if (store_requeue_dead(l, t->a->arg, ctl_now_ms(), &n, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	t->count += n;
	return 0;
}

static int
queue_retry(struct ctl *ctl, struct queue_args *a)
{
	struct retry	 t;
	int		 opened, rc;

	memset(&t, 0, sizeof(t));
	t.a = a;
	t.r = LEDGER_REQUEUE_UNKNOWN;
	if (a->dead) {
		if (ctl_ledgers(ctl, a->arg, retry_dead, &t, &opened) == -1)
			return CTL_FAIL;
		printf("requeued %lld dead deliver%s\n", t.count,
		    t.count == 1 ? "y" : "ies");
		return CTL_OK;
	}
	rc = ctl_ledgers(ctl, a->endpoint, retry_one, &t, &opened);
	if (rc == -1)
		return CTL_FAIL;
	switch (t.r) {
	case LEDGER_REQUEUED:
		printf("requeued %s\n", a->arg);
		return CTL_OK;
	case LEDGER_REQUEUE_UNKNOWN:
		log_warnx("no delivery '%s' in the ledger", a->arg);
		return CTL_NO;
	case LEDGER_REQUEUE_AMBIGUOUS:
		log_warnx("'%s' is in several endpoints: give --endpoint",
		    a->arg);
		return CTL_NO;
	case LEDGER_REQUEUE_ACTIVE:
		log_warnx("'%s' is queued or running already", a->arg);
		return CTL_NO;
	case LEDGER_REQUEUE_PRUNED:
		log_warnx("'%s' is done and its body was pruned: nothing to"
		    " run again", a->arg);
		return CTL_NO;
	case LEDGER_REQUEUE_ERROR:
		break;
	}
	return CTL_FAIL;
}

struct purge {
	struct queue_args	*a;
	long long		 before_ms;
	long long		 count;
};

static int
purge_ledger(void *arg, struct store *l)
{
	struct purge	*p = arg;
	char		 err[512];
	long long	 n;

	if (store_purge_done(l, p->a->endpoint, p->before_ms, &n, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	p->count += n;
	return 0;
}

static int
queue_purge(struct ctl *ctl, struct queue_args *a)
{
	struct purge	 p;
	long long	 secs;
	int		 opened;

	if (!a->done || a->older_than == NULL) {
		log_warnx("purge needs --done and --older-than: only done"
		    " deliveries are ever purged");
		return ctl_usage(ctl);
	}
	if (ctl_duration(a->older_than, &secs) == -1) {
		log_warnx("--older-than: a duration such as 90m, 12h or 30d");
		return ctl_usage(ctl);
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.before_ms = ctl_now_ms() - secs * 1000;
	if (ctl_ledgers(ctl, a->endpoint, purge_ledger, &p, &opened) == -1)
		return CTL_FAIL;
	printf("purged %lld done deliver%s\n", p.count, p.count == 1 ? "y" :
	    "ies");
	return CTL_OK;
}

/* --- the verb ------------------------------------------------------------ */

static int
queue_dispatch(struct ctl *ctl, struct queue_args *a, int npos)
{
	const char	*s = a->sub;

	if (strcmp(s, "list") == 0 && npos == 1)
		return queue_list(ctl, a, 0);
	if (strcmp(s, "stats") == 0 && npos == 1)
		return queue_stats(ctl, a);
	if (strcmp(s, "show") == 0 && npos == 2)
		return queue_list(ctl, a, 1);
	if (strcmp(s, "retry") == 0 && ((a->dead && npos <= 2) ||
	    (!a->dead && npos == 2)))
		return queue_retry(ctl, a);
	if (strcmp(s, "purge") == 0 && npos == 1)
		return queue_purge(ctl, a);
	return ctl_usage(ctl);
}

int
ctl_queue(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "dead", no_argument, NULL, 'D' },
		{ "done", no_argument, NULL, 'd' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_args		 a;
	uint64_t			 n;
	int				 c;

	memset(&a, 0, sizeof(a));
	a.limit = LIST_DEFAULT;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			a.state = optarg;
			break;
		case 'E':
			a.endpoint = optarg;
			break;
		case 'a':
			a.all = 1;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'D':
			a.dead = 1;
			break;
		case 'd':
			a.done = 1;
			break;
		case 'o':
			a.older_than = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, strlen(optarg), 1000000,
			    &n) == -1)
				return ctl_usage(ctl);
			a.limit = (long)n;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return ctl_usage(ctl);
	a.sub = argv[optind];
	a.arg = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (a.state != NULL && strcmp(a.state, "queued") != 0 &&
	    strcmp(a.state, "running") != 0 && strcmp(a.state, "done") != 0 &&
	    strcmp(a.state, "dead") != 0) {
		log_warnx("--state: queued, running, done or dead");
		return ctl_usage(ctl);
	}
	return queue_dispatch(ctl, &a, argc - optind);
}
