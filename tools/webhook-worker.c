/*
 * webhook-worker: takes queued deliveries from the ledger and runs the
 * configured command for each, up to `workers` at once, in one poll(2)
 * loop: claim -> spawn -> done, or retry with backoff, or dead.
 *
 * Invariants:
 * - A delivery runs only under a lease (ledger_claim): several workers on
 *   one ledger never run it at the same time, and one that dies leaves
 *   it to be run again once the lease expires.  The lease is the longest
 *   timeout + the kill grace + a margin, and a command never outlives
 *   its timeout plus the kill grace, so a live worker never loses one.
 * - Handlers do not notify us: while a slot is free we read PRAGMA
 *   data_version every TICK_MS (shared memory, no I/O) and otherwise
 *   sleep until the next due time, a child's deadline or a signal.
 * - Commands get the body on stdin and a fresh environment: a few
 *   harmless variables of ours plus WEBHOOK_*; never a secret.
 * - Each finished attempt is one JSON Lines record in <log_dir>/worker.log
 *   (one write(2), through dlog).
 */
#include <sys/signalfd.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
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
#include "dlog.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "parse.h"
#include "spawn.h"
#include "store.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

/* How often an idle worker looks for new rows (pickup well under 200 ms). */
#define TICK_MS		50
/* After a timeout, SIGTERM to the group, then SIGKILL this much later. */
#define KILL_GRACE_MS	2000
#define PRUNE_EVERY_MS	60000
/* and again after this while it finds work (a backlog, after a stop). */
#define PRUNE_AGAIN_MS	1000
/* Pause after a ledger error or a failed fork. */
#define RETRY_LEDGER_MS	1000
#define DEF_GRACE	10	/* seconds for running commands at SIGTERM */
#define MAX_GRACE	86400
#define DEF_MARGIN	30	/* lease seconds beyond timeout + grace */
#define MAX_MARGIN	86400
/* Linux refuses one environment string over 128 KiB (MAX_ARG_STRLEN). */
#define ENV_HEADERS_MAX	65536
#define NENV		16

/* The configuration in use; replaced whole on SIGHUP. */
struct setup {
	struct config	*cfg;
	struct endpoint	 global;	/* rows of endpoints with no section */
	struct endpoint	*eps;		/* each section, in file order */
	size_t		 neps;
	long long	 lease_ms;
};

/* A slot: one running command. */
struct job {
	struct spawn		*sp;	/* NULL: the slot is free */
	struct ledger_job	 d;
	char			*command;
	char			*env[NENV];
	long			 max_attempts;
	long			 retry_base;	/* seconds */
	long			 retry_max;
	long			 timeout;	/* seconds */
	int			 abandon;	/* killed at shutdown */
};

struct worker {
	const char	*cfg_path;
	struct setup	 s;
	struct store	*store;
	struct dlog	*log;
	struct counters	*counters;	/* for metrics.fcgi, or NULL */
	struct job	 jobs[MAX_WORKERS];
	long		 nrunning;
	int		 sigfd;
	char		 owner[300];	/* lease owner: host:pid */
	long		 grace;		/* seconds */
	long		 margin;	/* seconds */
	int		 once;
	int		 stopping;
	long long	 stop_at;	/* monotonic ms */
	int		 reload;
	int		 look;		/* claim at the next chance */
	int		 drained;	/* the last claim found nothing */
	int		 failed;	/* a claim failed: --once exits 111 */
	long long	 version;	/* PRAGMA data_version last seen */
	long long	 last_tick;	/* monotonic ms */
	long long	 next_due;	/* wall ms; -1: nothing waits */
	long long	 next_prune;	/* wall ms */
	struct buf	 rec;		/* one log record */
	struct buf	 text;		/* scratch for cleaned output */
	struct buf	 error;		/* last_error of this attempt */
};

static long long
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Information for the operator of a daemon; with --once (cron mails
 * whatever a job prints) only with -v.
 */
static void note(const struct worker *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(const struct worker *w, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->once)
		log_debug("%s", msg);
	else
		log_info("%s", msg);
}

/* ---- configuration ------------------------------------------------ */

static void
setup_free(struct setup *s)
{
	free(s->eps);
	config_free(s->cfg);
	memset(s, 0, sizeof(*s));
}

/* Resolves one endpoint; its secrets are dropped at once (not ours). */
static int
resolve(const struct config *cfg, const char *name, struct endpoint *ep,
    struct buf *errors)
{
	if (config_endpoint(cfg, name, ep, errors) == -1)
		return -1;
	config_endpoint_release(ep);
	return 0;
}

/*
 * Reads the file and resolves [global] and every section, so that a
 * mistake shows at start or reload, not at the first delivery.
 * Returns 0, or -1 with the problems logged.
 */
static int
setup_load(const char *path, long margin, struct setup *s)
{
	struct buf	 errors;
	long		 longest;
	size_t		 i;

	memset(s, 0, sizeof(*s));
	buf_init(&errors, 65536);
	if ((s->cfg = config_load(path, &errors)) == NULL ||
	    resolve(s->cfg, "global", &s->global, &errors) == -1)
		goto fail;
	s->neps = config_nendpoints(s->cfg);
	if ((s->eps = calloc(s->neps + 1, sizeof(*s->eps))) == NULL) {
		buf_adds(&errors, "out of memory");
		goto fail;
	}
	longest = s->global.timeout;
	for (i = 0; i < s->neps; i++) {
		if (resolve(s->cfg, config_endpoint_name(s->cfg, i),
		    &s->eps[i], &errors) == -1)
			goto fail;
		if (s->eps[i].timeout > longest)
			longest = s->eps[i].timeout;
	}
	s->lease_ms = longest * 1000LL + KILL_GRACE_MS + margin * 1000LL;
	buf_release(&errors);
	return 0;
fail:
	log_warnx("configuration '%s' unusable:\n%s", path,
	    errors.data != NULL ? errors.data : "");
	buf_release(&errors);
	setup_free(s);
	return -1;
}

/* The settings for a row: its section, else [global] as handlers do. */
static const struct endpoint *
setup_endpoint(const struct setup *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->neps; i++)
		if (strcmp(s->eps[i].name, name) == 0)
			return &s->eps[i];
	return &s->global;
}

/*
 * XXX One ledger per worker: claims do not span databases, so an
 * endpoint with a state_dir of its own needs a worker of its own.
 */
static void
setup_warn_dirs(const struct setup *s)
{
	size_t	 i;

	for (i = 0; i < s->neps; i++)
		if (strcmp(s->eps[i].state_dir, s->global.state_dir) != 0)
			log_warnx("endpoint '%s' keeps its ledger in '%s':"
			    " this worker serves '%s' only", s->eps[i].name,
			    s->eps[i].state_dir, s->global.state_dir);
}

static void
reload(struct worker *w)
{
	struct setup	 ns;

	w->reload = 0;
	if (setup_load(w->cfg_path, w->margin, &ns) == -1) {
		log_warnx("reload failed: keeping the configuration in use");
		return;
	}
	if (strcmp(ns.global.state_dir, w->s.global.state_dir) != 0 ||
	    strcmp(ns.global.log_dir, w->s.global.log_dir) != 0)
		log_warnx("state_dir or log_dir changed: restart to apply");
	/* Running jobs copied what they need: the old file can go. */
	setup_free(&w->s);
	w->s = ns;
	setup_warn_dirs(&w->s);
	w->look = 1;
	log_info("configuration reloaded: %zu endpoints, workers = %ld",
	    w->s.neps, w->s.global.workers);
}

/* ---- the worker log ----------------------------------------------- */

/*
 * Appends the bytes with what is not UTF-8 (a tail cut inside a
 * character, binary output) and NUL replaced by U+FFFD, so that they
 * fit a JSON string and a TEXT column.  Returns 0 or -1 when full.
 */
static int
utf8_clean(struct buf *out, const char *p, size_t n)
{
	size_t	 i = 0, k;

	while (i < n) {
		for (k = 1; k <= 4 && i + k <= n; k++)
			if (json_utf8_valid(p + i, k))
				break;
		if (p[i] == '\0' || k > 4 || i + k > n) {
			if (buf_adds(out, "\xef\xbf\xbd") == -1)
				return -1;
			i++;
		} else {
			if (buf_add(out, p + i, k) == -1)
				return -1;
			i += k;
		}
	}
	return 0;
}

static int
add_text(struct worker *w, const char *key, const char *p, size_t n)
{
	if (json_add_kv(&w->rec, 0, key, p, n) == 0)
		return 0;
	buf_reset(&w->text);
	if (utf8_clean(&w->text, p, n) == -1)
		return -1;
	return json_add_kv(&w->rec, 0, key, w->text.data, w->text.len);
}

static int
add_str(struct worker *w, const char *key, const char *s)
{
	return add_text(w, key, s, strlen(s));
}

/* What the log says about one attempt. */
struct attempt {
	const struct ledger_job		*d;
	const char			*outcome;	/* done, retry... */
	const char			*command;	/* NULL: none ran */
	const struct spawn_result	*r;		/* NULL: none ran */
	long long			 next_at;	/* retry: wall ms */
	const char			*reason;	/* NULL: none */
};

static int
add_result(struct worker *w, const struct spawn_result *r)
{
	struct buf	*out = &w->rec;

	/* The shell's convention for a killed command: 128 + signal. */
	if (json_add_kv_int(out, "exit", r->exited ? r->code :
	    128 + r->signal) == -1)
		return -1;
	if (!r->exited && json_add_kv_int(out, "signal", r->signal) == -1)
		return -1;
	if (r->timed_out && buf_adds(out, ",\"timed_out\":true") == -1)
		return -1;
	if (json_add_kv_int(out, "duration_ms", r->duration_ms) == -1 ||
	    add_text(w, "stdout", r->out.data, r->out.len) == -1 ||
	    json_add_kv_int(out, "stdout_bytes", (long long)r->out.total) ||
	    add_text(w, "stderr", r->err.data, r->err.len) == -1 ||
	    json_add_kv_int(out, "stderr_bytes", (long long)r->err.total))
		return -1;
	return 0;
}

/* One JSON Lines record per attempt, written whole with one write(2). */
static void
log_attempt(struct worker *w, const struct attempt *a)
{
	struct buf	*out = &w->rec;
	char		 when[32], next[32];

	buf_reset(out);
	dlog_time(wall_ms(), when);
	if (buf_addc(out, '{') == -1 ||
	    json_add_kv(out, 1, "time", when, strlen(when)) == -1 ||
	    add_str(w, "endpoint", a->d->endpoint) == -1 ||
	    add_str(w, "provider", a->d->provider) == -1 ||
	    add_str(w, "id", a->d->delivery_id) == -1 ||
	    add_str(w, "event", a->d->event) == -1 ||
	    json_add_kv_int(out, "attempt", a->d->attempt) == -1 ||
	    add_str(w, "outcome", a->outcome) == -1 ||
	    add_str(w, "worker", w->owner) == -1 ||
	    (a->reason != NULL && add_str(w, "reason", a->reason) == -1) ||
	    (a->command != NULL && add_str(w, "command", a->command) == -1) ||
	    (a->r != NULL && add_result(w, a->r) == -1))
		goto fail;
	if (a->next_at != -1) {
		dlog_time(a->next_at, next);
		if (add_str(w, "next_attempt_at", next) == -1)
			goto fail;
	}
	if (buf_adds(out, "}\n") == -1)
		goto fail;
	if (dlog_write(w->log, out->data, out->len) == -1)
		log_warn("cannot write the worker log");
	/* A worker has no idle moment to wait for: sync a rotation now. */
	dlog_idle(w->log);
	return;
fail:
	log_warnx("delivery '%s': log record too large or out of memory",
	    a->d->delivery_id);
}

/* ---- settling attempts -------------------------------------------- */

/*
 * Exponential backoff with "equal jitter": half of the delay is fixed,
 * half random, so retries spread out yet never come sooner than half
 * the nominal delay: min(retry_max, retry_base * 2^(attempt - 1)).
 */
static long long
backoff_ms(long attempt, long base, long max)
{
	long long	 d = base * 1000LL, cap = max * 1000LL;
	long		 i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d / 2 + arc4random_uniform((uint32_t)(d / 2) + 1);
}

/* last_error: why it failed, then the end of its standard error. */
static const char *
error_text(struct worker *w, const struct job *j,
    const struct spawn_result *r)
{
	struct buf	*e = &w->error;

	buf_reset(e);
	if (r->timed_out)
		buf_printf(e, "timed out after %ld s: process group killed\n",
		    j->timeout);
	else if (!r->exited)
		buf_printf(e, "killed by signal %d\n", r->signal);
	utf8_clean(e, r->err.data, r->err.len);
	return e->data != NULL ? e->data : "";
}

/* Counts an attempt in the shared counter file, for metrics.fcgi. */
static void
count(struct worker *w, const struct attempt *a)
{
	struct counters_attempt	 c;

	memset(&c, 0, sizeof(c));
	c.endpoint = a->d->endpoint;
	c.outcome = a->outcome;
	if (a->r != NULL) {
		c.ran = 1;
		c.exited = a->r->exited;
		c.code = a->r->code;
		c.duration_ms = a->r->duration_ms;
	}
	counters_attempt(w->counters, &c);
}

/* Writes the outcome to the ledger, then the log record. */
static void
record(struct worker *w, const struct ledger_outcome *o, struct attempt *a)
{
	char	 err[256];

	switch (store_finish(w->store, a->d->rowid, w->owner, o, err,
	    sizeof(err))) {
	case -1:
		log_warnx("delivery '%s' of '%s': %s", a->d->delivery_id,
		    a->d->endpoint, err);
		a->reason = "the ledger could not be updated: it runs again"
		    " once its lease expires";
		break;
	case 1:
		log_warnx("delivery '%s' of '%s': lease lost",
		    a->d->delivery_id, a->d->endpoint);
		a->outcome = "lost";
		a->reason = "lease lost: another worker took it over";
		break;
	}
	if (o->state == LEDGER_QUEUED &&
	    (w->next_due == -1 || o->at_ms < w->next_due))
		w->next_due = o->at_ms;
	count(w, a);
	log_attempt(w, a);
}

/* A command ended: done, retry later, or dead after the last attempt. */
static void
settle(struct worker *w, struct job *j, const struct spawn_result *r)
{
	struct ledger_outcome	 o;
	struct attempt		 a;
	long long		 now = wall_ms();

	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	a.d = &j->d;
	a.command = j->command;
	a.r = r;
	a.next_at = -1;
	o.has_exit = 1;
	o.exit_status = r->exited ? r->code : 128 + r->signal;
	o.at_ms = now;
	if (r->exited && r->code == 0) {
		o.state = LEDGER_DONE;
		a.outcome = "done";
		record(w, &o, &a);
		return;
	}
	o.error = error_text(w, j, r);
	if (j->d.attempt >= j->max_attempts) {
		o.state = LEDGER_DEAD;
		a.outcome = "dead";
	} else {
		o.state = LEDGER_QUEUED;
		o.at_ms = a.next_at = now + backoff_ms(j->d.attempt,
		    j->retry_base, j->retry_max);
		a.outcome = "retry";
	}
	record(w, &o, &a);
}

/* Filtered (on.<event> = -) or nothing to run: settled at once. */
static void
settle_unrun(struct worker *w, struct ledger_job *d, int no_command)
{
	struct ledger_outcome	 o;
	struct attempt		 a;
	char			 why[LIMIT_ID_LEN + 128];

	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.next_at = -1;
	o.at_ms = wall_ms();
	if (no_command) {
		snprintf(why, sizeof(why), "no command for event '%s':"
		    " set command or on.<event>", d->event);
		o.state = LEDGER_DEAD;
		o.error = a.reason = why;
		a.outcome = "dead";
	} else {
		o.state = LEDGER_DONE;
		a.outcome = "filtered";
	}
	record(w, &o, &a);
	ledger_job_release(d);
}

/* Puts a row back unrun, its attempt uncounted. */
static void
unclaim(struct worker *w, const struct ledger_job *d)
{
	char	 err[256];

	if (store_unclaim(w->store, d->rowid, w->owner, err,
	    sizeof(err)) == -1)
		log_warnx("delivery '%s' of '%s': %s; it runs again once its"
		    " lease expires", d->delivery_id, d->endpoint, err);
}

/* ---- running commands --------------------------------------------- */

static int
env_add(struct job *j, size_t *n, const char *key, const char *value)
{
	size_t	 len = strlen(key) + strlen(value) + 2;

	if (*n + 1 >= NENV || (j->env[*n] = malloc(len)) == NULL)
		return -1;
	snprintf(j->env[*n], len, "%s=%s", key, value);
	(*n)++;
	return 0;
}

/*
 * A fresh environment: what a program needs to run sensibly, then the
 * delivery.  Nothing else of ours passes, so no secret can.
 */
static int
env_build(struct job *j)
{
	static const char *const	 pass[] = {
		"HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	};
	const struct ledger_job		*d = &j->d;
	const char			*v;
	char				 num[24], when[32];
	size_t				 i, n = 0;

	v = getenv("PATH");
	if (env_add(j, &n, "PATH", v != NULL && v[0] != '\0' ? v :
	    "/usr/local/bin:/usr/bin:/bin") == -1)
		return -1;
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++)
		if ((v = getenv(pass[i])) != NULL &&
		    env_add(j, &n, pass[i], v) == -1)
			return -1;
	snprintf(num, sizeof(num), "%ld", d->attempt);
	dlog_time(d->received_at, when);
	if (env_add(j, &n, "WEBHOOK_ENDPOINT", d->endpoint) == -1 ||
	    env_add(j, &n, "WEBHOOK_PROVIDER", d->provider) == -1 ||
	    env_add(j, &n, "WEBHOOK_EVENT", d->event) == -1 ||
	    env_add(j, &n, "WEBHOOK_ID", d->delivery_id) == -1 ||
	    env_add(j, &n, "WEBHOOK_ATTEMPT", num) == -1 ||
	    env_add(j, &n, "WEBHOOK_RECEIVED_AT", when) == -1)
		return -1;
	/* Too big for one environment string: left out (see the man page). */
	if (d->headers_len <= ENV_HEADERS_MAX &&
	    env_add(j, &n, "WEBHOOK_HEADERS", d->headers) == -1)
		return -1;
	j->env[n] = NULL;
	return 0;
}

static void
job_clear(struct job *j)
{
	size_t	 i;

	spawn_free(j->sp);
	for (i = 0; i < NENV; i++)
		free(j->env[i]);
	free(j->command);
	ledger_job_release(&j->d);
	memset(j, 0, sizeof(*j));
}

static struct job *
free_slot(struct worker *w)
{
	size_t	 i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (w->jobs[i].sp == NULL)
			return &w->jobs[i];
	return NULL;
}

/* Runs a claimed delivery's command; takes ownership of d. */
static void
job_start(struct worker *w, struct ledger_job *d)
{
	const struct endpoint	*ep = setup_endpoint(&w->s, d->endpoint);
	const char		*cmd = config_route(ep, d->event);
	struct spawn_cmd	 sc;
	struct job		*j = free_slot(w);
	char			 err[256];

	if (cmd == NULL || strcmp(cmd, "-") == 0) {
		settle_unrun(w, d, cmd == NULL);
		return;
	}
	memset(j, 0, sizeof(*j));
	j->d = *d;
	j->max_attempts = ep->max_attempts;
	j->retry_base = ep->retry_base;
	j->retry_max = ep->retry_max;
	j->timeout = ep->timeout;
	snprintf(err, sizeof(err), "out of memory");
	if ((j->command = strdup(cmd)) == NULL || env_build(j) == -1)
		goto fail;
	memset(&sc, 0, sizeof(sc));
	sc.command = j->command;
	sc.env = j->env;
	sc.input = j->d.body;
	sc.input_len = j->d.body_len;
	sc.timeout_ms = ep->timeout * 1000;
	sc.grace_ms = KILL_GRACE_MS;
	if ((j->sp = spawn_start(&sc, mono_ms(), err, sizeof(err))) == NULL)
		goto fail;
	w->nrunning++;
	log_debug("delivery '%s' of '%s', attempt %ld: started '%s' as %d",
	    j->d.delivery_id, j->d.endpoint, j->d.attempt, j->command,
	    (int)spawn_pid(j->sp));
	return;
fail:
	/* Not the command's fault: give the row back, uncounted, later. */
	log_warnx("delivery '%s' of '%s': %s", j->d.delivery_id,
	    j->d.endpoint, err);
	unclaim(w, &j->d);
	job_clear(j);
	w->look = 0;
	w->next_due = wall_ms() + RETRY_LEDGER_MS;
}

static void
job_end(struct worker *w, struct job *j)
{
	const struct spawn_result	*r = spawn_result(j->sp);
	struct attempt			 a;

	if (j->abandon) {
		unclaim(w, &j->d);
		memset(&a, 0, sizeof(a));
		a.d = &j->d;
		a.outcome = "requeued";
		a.reason = "stopped at shutdown: runs again, this attempt"
		    " not counted";
		a.command = j->command;
		a.r = r;
		a.next_at = -1;
		log_attempt(w, &a);
	} else
		settle(w, j, r);
	job_clear(j);
	w->nrunning--;
	w->look = 1;
}

/* ---- the loop ----------------------------------------------------- */

/* Claims due deliveries while a slot is free and there may be some. */
static void
fill(struct worker *w)
{
	struct ledger_job	 d;
	char			 err[256];
	long long		 now;
	int			 r;

	while (!w->stopping && w->nrunning < w->s.global.workers) {
		now = wall_ms();
		if (!w->look && (w->next_due == -1 || w->next_due > now))
			return;
		r = store_claim(w->store, now, w->s.lease_ms, w->owner, &d,
		    err, sizeof(err));
		if (r == 1) {
			w->drained = 0;
			job_start(w, &d);
			continue;
		}
		w->look = 0;
		if (r == -1) {
			log_warnx("%s", err);
			w->failed = 1;
			w->next_due = now + RETRY_LEDGER_MS;
			return;
		}
		w->drained = 1;
		if (store_next_due(w->store, &w->next_due) == -1)
			w->next_due = now + RETRY_LEDGER_MS;
		else if (w->next_due != -1 && w->next_due <= now)
			w->next_due = now + 1;
		return;
	}
}

static long long
min_ms(long long a, long long b)
{
	return a < b ? a : b;
}

/* Until the next thing to do: a deadline, a due row, the next tick. */
static int
poll_timeout(const struct worker *w)
{
	long long	 now = mono_ms(), wall = wall_ms(), t = LLONG_MAX, d;
	size_t		 i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (w->jobs[i].sp != NULL &&
		    (d = spawn_deadline(w->jobs[i].sp)) != -1)
			t = min_ms(t, d - now);
	if (w->stopping) {
		if (w->stop_at != -1)
			t = min_ms(t, w->stop_at - now);
	} else {
		if (w->nrunning < w->s.global.workers) {
			t = min_ms(t, w->last_tick + TICK_MS - now);
			if (w->next_due != -1)
				t = min_ms(t, w->next_due - wall);
		}
		t = min_ms(t, w->next_prune - wall);
	}
	if (t == LLONG_MAX)
		return -1;
	return t < 0 ? 0 : t > INT_MAX ? INT_MAX : (int)t;
}

static void
stop(struct worker *w)
{
	/* A second signal means now. */
	if (w->stopping) {
		if (w->stop_at != -1)
			w->stop_at = mono_ms();
		return;
	}
	w->stopping = 1;
	w->stop_at = mono_ms() + w->grace * 1000LL;
	log_info("stopping: %ld commands running, %ld s to finish",
	    w->nrunning, w->grace);
}

static void
read_signals(struct worker *w)
{
	struct signalfd_siginfo	 si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			stop(w);
			break;
		case SIGHUP:
			w->reload = 1;
			break;
		default:	/* SIGCHLD: every wake-up reaps */
			break;
		}
	}
}

static void
wait_events(struct worker *w)
{
	struct pollfd	 fds[1 + MAX_WORKERS * SPAWN_NFDS];
	size_t		 i, n = 1, cnt[MAX_WORKERS];

	fds[0].fd = w->sigfd;
	fds[0].events = POLLIN;
	for (i = 0; i < MAX_WORKERS; i++) {
		cnt[i] = 0;
		if (w->jobs[i].sp != NULL) {
			cnt[i] = spawn_pollfds(w->jobs[i].sp, fds + n);
			n += cnt[i];
		}
	}
	if (poll(fds, n, poll_timeout(w)) <= 0)
		return;
	if (fds[0].revents != 0)
		read_signals(w);
	for (i = 0, n = 1; i < MAX_WORKERS; i++)
		if (cnt[i] > 0) {
			spawn_io(w->jobs[i].sp, fds + n, cnt[i]);
			n += cnt[i];
		}
}

static void
reap_jobs(struct worker *w)
{
	long long	 now = mono_ms();
	size_t		 i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (w->jobs[i].sp != NULL &&
		    spawn_check(w->jobs[i].sp, now))
			job_end(w, &w->jobs[i]);
}

/* The grace after SIGTERM is over: kill what still runs, requeue it. */
static void
shutdown_check(struct worker *w)
{
	size_t	 i;

	if (!w->stopping || w->stop_at == -1 || mono_ms() < w->stop_at)
		return;
	w->stop_at = -1;
	if (w->nrunning > 0)
		log_info("killing %ld commands; their deliveries go back to"
		    " the queue", w->nrunning);
	for (i = 0; i < MAX_WORKERS; i++)
		if (w->jobs[i].sp != NULL) {
			w->jobs[i].abandon = 1;
			spawn_kill(w->jobs[i].sp);
		}
}

/* Retention, once a minute, or every second while it finds work. */
static void
prune(struct worker *w)
{
	long long	 now = wall_ms(), pruned, deleted;
	char		 err[256];

	if (now < w->next_prune)
		return;
	w->next_prune = now + PRUNE_EVERY_MS;
	if (store_prune(w->store, now, w->s.global.keep_done * 1000LL,
	    w->s.global.dedupe_window * 1000LL, &pruned, &deleted, err,
	    sizeof(err)) == -1) {
		log_warnx("retention: %s", err);
		return;
	}
	if (pruned > 0 || deleted > 0) {
		note(w, "retention: %lld bodies pruned, %lld done deliveries"
		    " forgotten", pruned, deleted);
		/* A sweep stops after 200 ms: more may have expired. */
		w->next_prune = now + PRUNE_AGAIN_MS;
	}
}

/* Idle work: look for rows other processes committed. */
static void
tick(struct worker *w)
{
	long long	 now = mono_ms(), v;

	if (w->stopping)
		return;
	if (w->nrunning < w->s.global.workers &&
	    now - w->last_tick >= TICK_MS) {
		w->last_tick = now;
		if (store_data_version(w->store, &v) == 0 &&
		    v != w->version) {
			w->version = v;
			w->look = 1;
		}
	}
}

/* Returns the exit status. */
static int
run(struct worker *w)
{
	for (;;) {
		if (w->reload)
			reload(w);
		if (!w->stopping)
			prune(w);
		fill(w);
		if (w->nrunning == 0 && w->once && w->failed)
			return 111;
		if (w->nrunning == 0 && (w->stopping ||
		    (w->once && w->drained && !w->look)))
			return 0;
		wait_events(w);
		reap_jobs(w);
		shutdown_check(w);
		tick(w);
	}
}

/* ---- start-up ----------------------------------------------------- */

static int
usage(void)
{
	fprintf(stderr, "usage: webhook-worker [-Vv] [--once] [-c file]"
	    " [--grace seconds]\n"
	    "                      [--lease-margin seconds]\n");
	return 100;
}

static int
seconds(const char *s, long max, long *out)
{
	uint64_t	 v;

	if (parse_uint(s, strlen(s), (uint64_t)max, &v) == -1)
		return -1;
	*out = (long)v;
	return 0;
}

/* Returns -1 to go on, or the exit status. */
static int
options(struct worker *w, int argc, char *argv[], int *verbose)
{
	static const struct option	 longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "grace", required_argument, NULL, 'g' },
		{ "lease-margin", required_argument, NULL, 'm' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int				 c;

	while ((c = getopt_long(argc, argv, "c:vV", longopts, NULL)) != -1)
		switch (c) {
		case 'c':
			w->cfg_path = optarg;
			break;
		case 'g':
			if (seconds(optarg, MAX_GRACE, &w->grace) == -1)
				return usage();
			break;
		case 'm':
			if (seconds(optarg, MAX_MARGIN, &w->margin) == -1 ||
			    w->margin == 0)
				return usage();
			break;
		case 'o':
			w->once = 1;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'V':
			printf("webhook-worker %s (no sandbox: it runs the"
			    " configured commands)\n", VERSION);
			return 0;
		default:
			return usage();
		}
	return optind == argc ? -1 : usage();
}

/* A closed 0, 1 or 2 would be taken by the next open, then by a pipe. */
static void
std_fds(void)
{
	int	 fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) == -1)
			fatal("cannot open '/dev/null'");
}

static int
signals_open(void)
{
	struct sigaction	 sa;
	sigset_t		 set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int
open_files(struct worker *w)
{
	const struct endpoint	*g = &w->s.global;
	char			 err[512];

	if ((w->store = store_open_worker(g, w->s.lease_ms, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	if ((w->log = dlog_open(g->log_dir, "worker", g->log_max_size,
	    g->log_keep, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	/* Without the counter file the worker still works. */
	if ((w->counters = counters_open(g->state_dir, 1, err,
	    sizeof(err))) == NULL)
		log_warnx("%s", err);
	note(w, "serving %zu endpoints from '%s': %s, %ld at once, lease"
	    " %lld s", w->s.neps, w->cfg_path, store_name(w->store),
	    g->workers, w->s.lease_ms / 1000);
	return 0;
}

static int
start(struct worker *w)
{
	char	 host[256];

	if (w->cfg_path == NULL && ((w->cfg_path = getenv("WEBHOOK_CONFIG")) ==
	    NULL || w->cfg_path[0] == '\0'))
		w->cfg_path = DEF_CONFIG_PATH;
	if (setup_load(w->cfg_path, w->margin, &w->s) == -1)
		return -1;
	setup_warn_dirs(&w->s);
	if (open_files(w) == -1)
		return -1;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(w->owner, sizeof(w->owner), "%s:%ld", host, (long)getpid());
	if ((w->sigfd = signals_open()) == -1) {
		log_warn("cannot set up signals");
		return -1;
	}
	if (store_data_version(w->store, &w->version) == -1)
		log_warnx("cannot read the ledger's data_version");
	if (geteuid() == 0 && !w->once)
		log_warnx("running as root: so do the commands");
	return 0;
}

static void
cleanup(struct worker *w)
{
	size_t	 i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (w->jobs[i].sp != NULL)
			job_clear(&w->jobs[i]);
	store_close(w->store);
	dlog_close(w->log);
	counters_close(w->counters);
	setup_free(&w->s);
	if (w->sigfd != -1)
		close(w->sigfd);
	buf_release(&w->rec);
	buf_release(&w->text);
	buf_release(&w->error);
}

int
main(int argc, char *argv[])
{
	static struct worker	 w;
	int			 rc, verbose = 0;

	w.grace = DEF_GRACE;
	w.margin = DEF_MARGIN;
	w.sigfd = -1;
	w.next_due = -1;
	w.look = 1;
	buf_init(&w.rec, 256 * 1024);
	buf_init(&w.text, 64 * 1024);
	buf_init(&w.error, 64 * 1024);
	if ((rc = options(&w, argc, argv, &verbose)) != -1)
		return rc;
	log_init("webhook-worker", verbose);
	std_fds();
	if (start(&w) == -1) {
		cleanup(&w);
		return 111;
	}
	rc = run(&w);
	note(&w, "stopped");
	cleanup(&w);
	return rc;
}
