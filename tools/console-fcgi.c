/*
 * console.fcgi: the delivery console, a FastCGI (or CGI) program behind
 * the same web server as the receivers.  Pages, chosen by ?p=:
 *
 *   list (default)  recent deliveries of every endpoint, with filters
 *   detail          one delivery: headers, body, reason, the
 *                   explanation of webhookctl explain, the ledger row
 *                   and the worker's attempts, with retry and replay
 *   queue           the ledger per endpoint and state, dead deliveries
 *   charts          deliveries per minute by verdict, last hour and day
 *   asset           console.css and console.js from the assets folder
 *
 * Reading is done by webhookctl (tail, explain, replay: the same code
 * and the same answers as on the command line), run without a shell,
 * and by the ledger opened read-only with a short timeout: a busy
 * ledger gives 503, never a wait.  Actions are POST with a CSRF token
 * (a cookie that must equal a form field, SameSite=Strict), and are
 * logged with the user who made them.
 *
 * Access: the web server authenticated the user (REMOTE_USER), or the
 * client is in console_allow_from; require_https applies.  Every value
 * shown is HTML-escaped, and the Content-Security-Policy forbids inline
 * script, so a delivery's bytes stay text.
 */
#define _GNU_SOURCE	/* pipe2, memmem */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "config.h"
#include "defaults.h"
#include "dlog.h"
#include "hmac.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "parse.h"
#include "request.h"
#include "respond.h"

#ifndef VERSION
#define VERSION "0.1"
#endif
#ifndef CTL_PATH
#define CTL_PATH	"/usr/local/bin/webhookctl"
#endif
#ifndef ASSETS_DIR
#define ASSETS_DIR	"/usr/local/share/webhook-fcgi/console"
#endif

#define PAGE_MAX	(32 * 1024 * 1024)
#define CHILD_MAX	(64 * 1024 * 1024)	/* webhookctl's output */
#define CHILD_SECONDS	10
#define LEDGER_WAIT_MS	250
#define LIST_TAIL	"1000"			/* records read for a list */
#define LIST_SHOWN	200
#define CHART_BYTES	(16L * 1024 * 1024)	/* log read per endpoint */
#define FIELD_MAX	4096

static const char csp[] =
    "Content-Security-Policy: default-src 'none'; script-src 'self';"
    " style-src 'self'; img-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
    "X-Frame-Options: DENY\r\n";

static const char *const verdicts[] = {
	"accepted", "duplicate", "rejected", "failed",
};
#define NVERDICTS	4

/* One request being answered. */
struct page {
	struct request_src	*src;
	const struct request	*req;
	const char		*cfg_path;
	struct config		*cfg;
	struct endpoint		 g;		/* [global] */
	const char		*user;		/* REMOTE_USER or "-" */
	char			 csrf[65];	/* the token of this client */
	int			 new_csrf;	/* set the cookie */
	struct buf		 out;		/* the HTML */
	struct buf		 scratch;	/* the response */
	struct buf		 child;		/* webhookctl's output */
	struct buf		 form;		/* the POST body */
};

/* --- output --------------------------------------------------------- */

/* Appends bytes escaped for HTML text and attribute values. */
static void
h(struct buf *out, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		switch (s[i]) {
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '&': buf_adds(out, "&amp;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		case '\'': buf_adds(out, "&#39;"); break;
		default: buf_addc(out, s[i]); break;
		}
}

static void
hs(struct buf *out, const char *s)
{
	if (s != NULL)
		h(out, s, strlen(s));
}

/* Appends s percent-encoded for a query string value. */
static void
u(struct buf *out, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";

	for (; s != NULL && *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s) != NULL)
			buf_addc(out, *s);
		else {
			buf_addc(out, '%');
			buf_addc(out, hex[(unsigned char)*s >> 4]);
			buf_addc(out, hex[*s & 15]);
		}
	}
}

static void
head(struct page *pg, const char *title)
{
	struct buf	*o = &pg->out;

	buf_reset(o);
	buf_adds(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta"
	    " charset=\"utf-8\"><meta name=\"viewport\" content=\"width="
	    "device-width\"><title>");
	hs(o, title);
	buf_adds(o, " - webhook console</title><link rel=\"stylesheet\""
	    " href=\"?p=asset&amp;f=console.css\"><script src=\"?p=asset&amp;"
	    "f=console.js\" defer></script></head><body><header><b>webhook"
	    " console</b><nav><a href=\"?p=list\">Deliveries</a> <a href=\"?p="
	    "queue\">Queue</a> <a href=\"?p=charts\">Charts</a></nav><span"
	    " class=\"user\">");
	hs(o, pg->user);
	buf_adds(o, "</span></header><main><h1>");
	hs(o, title);
	buf_adds(o, "</h1>\n");
}

static void
send_page(struct page *pg, int status)
{
	char	 extra[1024];

	buf_adds(&pg->out, "</main></body></html>\n");
	snprintf(extra, sizeof(extra), "%s%s%s%s", csp, pg->new_csrf ?
	    "Set-Cookie: console_csrf=" : "", pg->new_csrf ? pg->csrf : "",
	    pg->new_csrf ? (pg->req->https ? "; Path=/; HttpOnly; Secure;"
	    " SameSite=Strict\r\n" : "; Path=/; HttpOnly; SameSite=Strict\r\n")
	    : "");
	respond_send(pg->src, &pg->scratch, status, "text/html; charset=utf-8",
	    extra, pg->out.data != NULL ? pg->out.data : "", pg->out.len);
}

static void
send_text(struct page *pg, int status, const char *extra, const char *text)
{
	char	 hdr[1024];

	snprintf(hdr, sizeof(hdr), "%s%s", csp, extra != NULL ? extra : "");
	respond_send(pg->src, &pg->scratch, status,
	    "text/plain; charset=utf-8", hdr, text, strlen(text));
}

/* --- input ---------------------------------------------------------- */

/* A query string parameter into out (reset first); 1, 0 absent. */
static int
param(const struct page *pg, const char *key, struct buf *out)
{
	buf_reset(out);
	return parse_form_field(pg->req->query, strlen(pg->req->query), key,
	    out) == 1 && out->len > 0;
}

/* A POST form field into out (reset first); 1, 0 absent. */
static int
field(const struct page *pg, const char *key, struct buf *out)
{
	buf_reset(out);
	return parse_form_field(pg->form.data != NULL ? pg->form.data : "",
	    pg->form.len, key, out) == 1 && out->len > 0;
}

/* The token of the console_csrf cookie, or a new one. */
static void
csrf_token(struct page *pg)
{
	const struct header	*c = request_header(pg->req, "Cookie");
	const char		*p, *end;
	unsigned char		 rnd[32];
	size_t			 i;

	if (c != NULL && (p = strstr(c->value, "console_csrf=")) != NULL) {
		p += 13;
		for (end = p; (*end >= '0' && *end <= '9') ||
		    (*end >= 'a' && *end <= 'f'); end++)
			;
		if (end - p == 64) {
			memcpy(pg->csrf, p, 64);
			pg->csrf[64] = '\0';
			return;
		}
	}
	if (hmac_random(rnd, sizeof(rnd)) == -1)
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(pg->csrf + 2 * i, 3, "%02x", rnd[i]);
	pg->new_csrf = 1;
}

/* --- webhookctl ----------------------------------------------------- */

/* Which webhookctl: $WEBHOOK_CTL, the installed one, else PATH's. */
static const char *
ctl_path(void)
{
	const char	*p = getenv("WEBHOOK_CTL");

	if (p != NULL && p[0] != '\0')
		return p;
	return access(CTL_PATH, X_OK) == 0 ? CTL_PATH : "webhookctl";
}

/*
 * Runs webhookctl -c CONFIG args... without a shell; its standard output
 * goes to pg->child (standard error too when merge).  Returns its exit
 * status, or -1 when it could not run or ran past CHILD_SECONDS.
 */
static int
ctl_run(struct page *pg, const char *const *args, int merge)
{
	const char	*argv[24];
	struct pollfd	 pfd;
	char		 tmp[65536];
	pid_t		 pid;
	ssize_t		 n;
	size_t		 i;
	time_t		 end = time(NULL) + CHILD_SECONDS;
	int		 fds[2], st, devnull;

	buf_reset(&pg->child);
	argv[0] = "webhookctl";
	argv[1] = "-c";
	argv[2] = pg->cfg_path;
	for (i = 0; args[i] != NULL && i < 20; i++)
		argv[3 + i] = args[i];
	argv[3 + i] = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(fds[1], 1);
		dup2(merge ? fds[1] : devnull, 2);
		execvp(ctl_path(), (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if (time(NULL) >= end || poll(&pfd, 1, 1000) == -1) {
			if (errno == EINTR && time(NULL) < end)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if ((n = read(fds[0], tmp, sizeof(tmp))) <= 0)
			break;
		if (buf_add(&pg->child, tmp, (size_t)n) == -1) {
			kill(pid, SIGKILL);
			break;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* --- records ---------------------------------------------------------- */

/*
 * Reads the last max bytes of a file into out (reset first), from the
 * start of a line.  Returns 0, or -1 when it cannot be read.
 */
static int
read_tail(const char *path, off_t max, struct buf *out)
{
	struct stat	 st;
	char		*nl;
	off_t		 from;
	ssize_t		 n;
	int		 fd, rc = -1;

	buf_reset(out);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (from = st.st_size - max) < 0)
		from = 0;
	if (buf_reserve(out, (size_t)(st.st_size - from) + 1) == 0 &&
	    (n = pread(fd, out->data, (size_t)(st.st_size - from), from)) >=
	    0) {
		out->len = (size_t)n;
		out->data[n] = '\0';
		/* A partial first line is dropped. */
		if (from > 0 && (nl = memchr(out->data, '\n', out->len)) !=
		    NULL) {
			memmove(out->data, nl + 1, out->len - (size_t)(nl + 1 -
			    out->data) + 1);
			out->len -= (size_t)(nl + 1 - out->data);
		}
		rc = 0;
	}
	close(fd);
	return rc;
}

/* A string field of a record into out (reset); "" when absent. */
static const char *
rec(const struct json_doc *doc, const char *key, struct buf *out)
{
	buf_reset(out);
	if (json_get(doc, key, out) != 1 || out->data == NULL)
		return "";
	return out->data;
}

/* "2026-12-03T18:46:02.123Z" as Unix ms; -1 when not that. */
static long long
record_ms(const char *s, size_t len)
{
	static const int	 at[] = { 0, 5, 8, 11, 14, 17, 20 };
	static const int	 width[] = { 4, 2, 2, 2, 2, 2, 3 };
	int			 v[7], i, j;
	struct tm		 tm;

	if (len < 24)
		return -1;
	for (i = 0; i < 7; i++)
		for (v[i] = 0, j = 0; j < width[i]; j++) {
			if (s[at[i] + j] < '0' || s[at[i] + j] > '9')
				return -1;
			v[i] = v[i] * 10 + s[at[i] + j] - '0';
		}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	return (long long)timegm(&tm) * 1000 + v[6];
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The filters of the list, from the query string. */
struct filter {
	struct buf	 endpoint, verdict, event, since, q, from, to;
	long long	 from_ms;	/* 0: any time */
	long long	 to_ms;		/* 0: until now */
};

/* "2026-12-03T18:46" (a datetime-local input), UTC, as Unix ms; 0. */
static long long
minute_ms(const struct buf *b)
{
	char	 t[32];

	if (b->len < 16 || (size_t)snprintf(t, sizeof(t), "%.16s:00.000Z",
	    b->data) >= sizeof(t) || t[10] != 'T')
		return 0;
	return record_ms(t, strlen(t)) == -1 ? 0 : record_ms(t, strlen(t));
}

static void
filter_read(struct page *pg, struct filter *f)
{
	static const struct { const char *w; long long ms; } spans[] = {
		{ "15m", 900000 }, { "1h", 3600000 }, { "24h", 86400000 },
		{ "7d", 604800000 },
	};
	size_t	 i;

	buf_init(&f->endpoint, LIMIT_ENDPOINT_NAME + 1);
	buf_init(&f->verdict, 16);
	buf_init(&f->event, FIELD_MAX);
	buf_init(&f->since, 16);
	buf_init(&f->q, FIELD_MAX);
	buf_init(&f->from, 32);
	buf_init(&f->to, 32);
	param(pg, "from", &f->from);
	param(pg, "to", &f->to);
	param(pg, "endpoint", &f->endpoint);
	param(pg, "verdict", &f->verdict);
	param(pg, "event", &f->event);
	param(pg, "since", &f->since);
	param(pg, "q", &f->q);
	f->from_ms = 0;
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
		if (f->since.data != NULL && strcmp(f->since.data,
		    spans[i].w) == 0)
			f->from_ms = now_ms() - spans[i].ms;
	if (minute_ms(&f->from) > f->from_ms)
		f->from_ms = minute_ms(&f->from);
	/* The end of the minute named: "to 18:46" includes 18:46:59. */
	f->to_ms = minute_ms(&f->to) > 0 ? minute_ms(&f->to) + 59999 : 0;
}

static void
filter_release(struct filter *f)
{
	buf_release(&f->endpoint);
	buf_release(&f->verdict);
	buf_release(&f->event);
	buf_release(&f->since);
	buf_release(&f->q);
	buf_release(&f->from);
	buf_release(&f->to);
}

/* A <select> of words; the first option is "any". */
static void
select_words(struct buf *o, const char *name, const char *label,
    const char *const *words, size_t n, const char *chosen)
{
	size_t	 i;

	buf_printf(o, "<label>%s <select name=\"%s\"><option value=\"\">any"
	    "</option>", label, name);
	for (i = 0; i < n; i++) {
		buf_adds(o, "<option");
		if (chosen != NULL && strcmp(words[i], chosen) == 0)
			buf_adds(o, " selected");
		buf_adds(o, ">");
		hs(o, words[i]);
		buf_adds(o, "</option>");
	}
	buf_adds(o, "</select></label>\n");
}

static void
filter_form(struct page *pg, const struct filter *f)
{
	static const char *const spans[] = { "15m", "1h", "24h", "7d" };
	const char	*eps[LIMIT_ENDPOINTS];
	struct buf	*o = &pg->out;
	size_t		 i, n = config_nendpoints(pg->cfg);

	for (i = 0; i < n && i < LIMIT_ENDPOINTS; i++)
		eps[i] = config_endpoint_name(pg->cfg, i);
	buf_adds(o, "<form class=\"filters\" method=\"get\"><input type="
	    "\"hidden\" name=\"p\" value=\"list\">\n");
	select_words(o, "endpoint", "Endpoint", eps, i, f->endpoint.data);
	select_words(o, "verdict", "Verdict", verdicts, NVERDICTS,
	    f->verdict.data);
	buf_adds(o, "<label>Event <input name=\"event\" size=\"14\" value=\"");
	hs(o, f->event.data);
	buf_adds(o, "\"></label>\n");
	select_words(o, "since", "Since", spans, 4, f->since.data);
	buf_adds(o, "<label>From (UTC) <input type=\"datetime-local\""
	    " name=\"from\" value=\"");
	hs(o, f->from.data);
	buf_adds(o, "\"></label>\n<label>To (UTC) <input type=\"datetime-local\""
	    " name=\"to\" value=\"");
	hs(o, f->to.data);
	buf_adds(o, "\"></label>\n");
	buf_adds(o, "<label>Id contains <input name=\"q\" size=\"14\" value=\"");
	hs(o, f->q.data);
	buf_adds(o, "\"></label> <button>Filter</button></form>\n");
}

/* A link to a record's detail page. */
static void
detail_link(struct buf *o, const char *ep, const char *time, const char *text)
{
	buf_adds(o, "<a href=\"?p=detail&amp;ep=");
	u(o, ep);
	buf_adds(o, "&amp;t=");
	u(o, time);
	buf_adds(o, "\">");
	hs(o, text);
	buf_adds(o, "</a>");
}

/* Calls fn for each JSON line of pg->child, last line first. */
static void
each_line_reverse(struct page *pg, int (*fn)(void *, const struct json_doc *),
    void *arg)
{
	const char	*data = pg->child.data, *end, *p;
	struct json_doc	*doc;
	char		 err[128];

	if (data == NULL)
		return;
	end = data + pg->child.len;
	while (end > data) {
		if (end[-1] == '\n')
			end--;
		for (p = end; p > data && p[-1] != '\n'; p--)
			;
		if (end > p && (doc = json_parse(p, (size_t)(end - p), err,
		    sizeof(err))) != NULL) {
			if (fn(arg, doc) != 0) {
				json_doc_free(doc);
				return;
			}
			json_doc_free(doc);
		} else if (end > p)
			log_debug("a record that is not JSON: %s", err);
		end = p;
	}
}

struct list_ctx {
	struct page		*pg;
	const struct filter	*f;
	struct buf		 v[8];
	size_t			 shown;
};

static int
list_row(void *arg, const struct json_doc *doc)
{
	struct list_ctx	*x = arg;
	struct buf	*o = &x->pg->out;
	const char	*time = rec(doc, "time", &x->v[0]);
	const char	*ep = rec(doc, "endpoint", &x->v[1]);
	const char	*verdict = rec(doc, "verdict", &x->v[2]);
	const char	*event = rec(doc, "event", &x->v[3]);
	const char	*id = rec(doc, "id", &x->v[4]);
	const char	*reason = rec(doc, "reason", &x->v[5]);
	const char	*status = rec(doc, "status", &x->v[6]);

	long long	 t = record_ms(time, strlen(time));

	if (x->f->from_ms > 0 && t < x->f->from_ms)
		return 1;	/* newest first: the rest is older */
	if (x->f->to_ms > 0 && t > x->f->to_ms)
		return 0;
	if (x->f->q.len > 0 && strstr(id, x->f->q.data) == NULL)
		return 0;
	buf_adds(o, "<tr class=\"");
	hs(o, verdict);
	buf_adds(o, "\"><td><time datetime=\"");
	hs(o, time);
	buf_adds(o, "\">");
	hs(o, time);
	buf_adds(o, "</time></td><td>");
	hs(o, ep);
	buf_adds(o, "</td><td>");
	hs(o, status);
	buf_adds(o, "</td><td class=\"verdict\">");
	hs(o, verdict);
	buf_adds(o, "</td><td>");
	hs(o, event);
	buf_adds(o, "</td><td class=\"id\">");
	detail_link(o, ep, time, id[0] != '\0' ? id : "(no id)");
	buf_adds(o, "</td><td class=\"reason\">");
	h(o, reason, strlen(reason) > 160 ? 160 : strlen(reason));
	buf_adds(o, "</td></tr>\n");
	return ++x->shown >= LIST_SHOWN;
}

static void
page_list(struct page *pg)
{
	struct filter	 f;
	struct list_ctx	 x;
	const char	*args[12];
	size_t		 n = 0, i;
	int		 rc;

	filter_read(pg, &f);
	args[n++] = "tail";
	args[n++] = "-n";
	args[n++] = LIST_TAIL;
	if (f.endpoint.len > 0)
		args[n++] = f.endpoint.data;
	if (f.verdict.len > 0) {
		args[n++] = "--verdict";
		args[n++] = f.verdict.data;
	}
	if (f.event.len > 0) {
		args[n++] = "--event";
		args[n++] = f.event.data;
	}
	args[n++] = "--json";
	args[n] = NULL;
	head(pg, "Deliveries");
	filter_form(pg, &f);
	if ((rc = ctl_run(pg, args, 0)) != 0)
		buf_printf(&pg->out, "<p class=\"error\">webhookctl tail"
		    " failed (exit %d)</p>", rc);
	memset(&x, 0, sizeof(x));
	x.pg = pg;
	x.f = &f;
	for (i = 0; i < 8; i++)
		buf_init(&x.v[i], FIELD_MAX);
	buf_adds(&pg->out, "<table class=\"deliveries\"><thead><tr><th>Time"
	    "</th><th>Endpoint</th><th>Status</th><th>Verdict</th><th>Event"
	    "</th><th>Id</th><th>Reason</th></tr></thead><tbody>\n");
	each_line_reverse(pg, list_row, &x);
	buf_printf(&pg->out, "</tbody></table><p class=\"count\">%zu"
	    " shown</p>\n", x.shown);
	for (i = 0; i < 8; i++)
		buf_release(&x.v[i]);
	filter_release(&f);
	send_page(pg, 200);
}

/* --- detail ----------------------------------------------------------- */

/* The line of the record logged at time t in pg->child, parsed. */
static struct json_doc *
find_record(struct page *pg, const char *t)
{
	const char	*data = pg->child.data, *p, *hit = NULL, *e;
	char		 needle[96], err[128];
	size_t		 n;

	if (data == NULL || (size_t)snprintf(needle, sizeof(needle),
	    "{\"time\":\"%s\"", t) >= sizeof(needle))
		return NULL;
	n = strlen(needle);
	/* The newest record of that time, at the start of a line. */
	for (p = data; (p = memmem(p, (size_t)(data + pg->child.len - p),
	    needle, n)) != NULL; p += n)
		if (p == data || p[-1] == '\n')
			hit = p;
	if (hit == NULL)
		return NULL;
	e = memchr(hit, '\n', (size_t)(data + pg->child.len - hit));
	return json_parse(hit, e != NULL ? (size_t)(e - hit) :
	    (size_t)(data + pg->child.len - hit), err, sizeof(err));
}

static int
header_row(void *arg, const char *key, const char *v, size_t len)
{
	struct buf	*o = arg;

	buf_adds(o, "<tr><th>");
	hs(o, key);
	buf_adds(o, "</th><td>");
	h(o, v, len);
	buf_adds(o, "</td></tr>\n");
	return 0;
}

/* The body as text, pretty-printed when it is JSON. */
static void
show_body(struct page *pg, const char *body, size_t len)
{
	struct json_doc	*doc;
	struct buf	 pretty;
	char		 err[128];

	buf_adds(&pg->out, "<h2>Body</h2>");
	if (!pg->g.console_show_bodies) {
		buf_adds(&pg->out, "<p class=\"note\">hidden:"
		    " console_show_bodies = no</p>\n");
		return;
	}
	buf_init(&pretty, LIMIT_BODY * 4);
	if ((doc = json_parse(body, len, err, sizeof(err))) != NULL &&
	    json_pretty(doc, &pretty) == 0) {
		body = pretty.data;
		len = pretty.len;
	}
	buf_adds(&pg->out, "<pre class=\"body\">");
	h(&pg->out, body, len);
	buf_adds(&pg->out, "</pre>\n");
	json_doc_free(doc);
	buf_release(&pretty);
}

/* The ledger's rows of a delivery; -1 when the ledger cannot be read. */
static int
row_show(void *arg, const struct ledger_row *r)
{
	struct page	*pg = arg;
	struct buf	*o = &pg->out;

	buf_printf(o, "<table class=\"kv ledger\"><tr><th>State</th><td"
	    " class=\"state\">%s</td></tr><tr><th>Attempts</th><td>%ld</td>"
	    "</tr>", r->state, r->attempts);
	if (r->has_exit)
		buf_printf(o, "<tr><th>Last exit</th><td>%d</td></tr>",
		    r->last_exit);
	if (r->last_error != NULL) {
		buf_adds(o, "<tr><th>Stderr tail</th><td><pre>");
		hs(o, r->last_error);
		buf_adds(o, "</pre></td></tr>");
	}
	buf_adds(o, "</table>\n");
	if (strcmp(r->state, "dead") == 0 || strcmp(r->state, "done") == 0) {
		buf_adds(o, "<form method=\"post\" action=\"?p=action\""
		    " class=\"action\"><input type=\"hidden\" name=\"csrf\""
		    " value=\"");
		hs(o, pg->csrf);
		buf_adds(o, "\"><input type=\"hidden\" name=\"ep\" value=\"");
		hs(o, r->endpoint);
		buf_adds(o, "\"><input type=\"hidden\" name=\"id\" value=\"");
		hs(o, r->delivery_id);
		buf_adds(o, "\"><button name=\"action\" value=\"retry\">Retry"
		    " (run the command again)</button></form>\n");
	}
	return 0;
}

static struct ledger *
ledger_of(struct page *pg, const char *endpoint)
{
	struct endpoint	 ep;
	struct buf	 why;
	struct ledger	*l = NULL;
	char		 path[PATH_MAX], err[512];

	buf_init(&why, 4096);
	memset(&ep, 0, sizeof(ep));
	if (config_endpoint(pg->cfg, endpoint, &ep, &why) == 0) {
		if ((size_t)snprintf(path, sizeof(path), "%s/webhooks.db",
		    ep.state_dir) < sizeof(path) && access(path, F_OK) == 0 &&
		    (l = ledger_open(path, LEDGER_READONLY, LEDGER_WAIT_MS,
		    err, sizeof(err))) == NULL)
			log_warnx("%s", err);
		config_endpoint_release(&ep);
	}
	buf_release(&why);
	return l;
}

static void
show_ledger(struct page *pg, const char *endpoint, const char *id)
{
	struct ledger_query	 q;
	struct ledger		*l;
	char			 err[512];

	buf_adds(&pg->out, "<h2>Ledger and worker</h2>\n");
	if ((l = ledger_of(pg, endpoint)) == NULL) {
		buf_adds(&pg->out, "<p class=\"note\">no ledger</p>\n");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.endpoint = endpoint;
	q.delivery_id = id;
	q.limit = 5;
	if (ledger_list(l, &q, row_show, pg, err, sizeof(err)) == -1)
		buf_adds(&pg->out, "<p class=\"error\">ledger busy, try"
		    " again</p>\n");
	ledger_close(l);
}

struct attempts_ctx {
	struct page	*pg;
	const char	*endpoint, *id;
	struct buf	 v[5];
	int		 n;
};

static int
attempt_row(void *arg, const struct json_doc *doc)
{
	struct attempts_ctx	*x = arg;
	struct buf		*o = &x->pg->out;

	if (strcmp(rec(doc, "endpoint", &x->v[0]), x->endpoint) != 0 ||
	    strcmp(rec(doc, "id", &x->v[1]), x->id) != 0)
		return 0;
	buf_adds(o, "<tr><td><time datetime=\"");
	hs(o, rec(doc, "time", &x->v[2]));
	buf_adds(o, "\">");
	hs(o, x->v[2].data);
	buf_adds(o, "</time></td><td>");
	hs(o, rec(doc, "attempt", &x->v[3]));
	buf_adds(o, "</td><td>");
	hs(o, rec(doc, "outcome", &x->v[3]));
	buf_adds(o, "</td><td>");
	hs(o, rec(doc, "exit", &x->v[4]));
	buf_adds(o, "</td><td><pre>");
	hs(o, rec(doc, "stderr", &x->v[4]));
	buf_adds(o, "</pre></td></tr>\n");
	return ++x->n >= 50;
}

/*
 * The worker's log records of the delivery, newest first, from the end
 * of <log_dir>/worker.log (webhookctl tail reads delivery logs only).
 */
static void
show_attempts(struct page *pg, const char *endpoint, const char *id)
{
	struct attempts_ctx	 x;
	char			 path[PATH_MAX];
	size_t			 i;

	if ((size_t)snprintf(path, sizeof(path), "%s/worker.log",
	    pg->g.log_dir) >= sizeof(path) ||
	    read_tail(path, CHART_BYTES, &pg->child) == -1)
		return;
	memset(&x, 0, sizeof(x));
	x.pg = pg;
	x.endpoint = endpoint;
	x.id = id;
	for (i = 0; i < 5; i++)
		buf_init(&x.v[i], LIMIT_BODY);
	buf_adds(&pg->out, "<table class=\"attempts\"><thead><tr><th>Time"
	    "</th><th>Attempt</th><th>Outcome</th><th>Exit</th><th>Stderr</th>"
	    "</tr></thead>"
	    "<tbody>\n");
	each_line_reverse(pg, attempt_row, &x);
	buf_adds(&pg->out, "</tbody></table>\n");
	for (i = 0; i < 5; i++)
		buf_release(&x.v[i]);
}

/* webhookctl explain's report on a refused delivery. */
static void
show_explain(struct page *pg, const char *endpoint, const char *id)
{
	const char	*args[] = { "explain", "--endpoint", endpoint, id,
	    NULL };

	buf_adds(&pg->out, "<h2>Verification (webhookctl explain)</h2>\n");
	ctl_run(pg, args, 1);
	buf_adds(&pg->out, "<pre class=\"explain\">");
	h(&pg->out, pg->child.data != NULL ? pg->child.data : "",
	    pg->child.len);
	buf_adds(&pg->out, "</pre>\n");
}

static void
summary_row(struct buf *o, const char *key, const char *v)
{
	header_row(o, key, v, strlen(v));
}

static void
page_detail(struct page *pg)
{
	static const char *const keys[] = { "time", "endpoint", "provider",
	    "status", "verdict", "reason", "id", "event", "remote_addr",
	    "method", "uri", "bytes", "body_sha256", NULL };
	struct buf	 ep, t, v, id, body;
	const char	*args[] = { "tail", "-n", "5000", NULL, "--json",
	    NULL };
	struct json_doc	*doc = NULL;
	size_t		 i;

	buf_init(&ep, LIMIT_ENDPOINT_NAME + 1);
	buf_init(&t, 64);
	buf_init(&v, FIELD_MAX);
	buf_init(&id, FIELD_MAX);
	buf_init(&body, LIMIT_BODY + 1);
	if (!param(pg, "ep", &ep) || parse_endpoint_name(ep.data) == -1 ||
	    !param(pg, "t", &t)) {
		send_text(pg, 400, NULL, "which delivery? ep and t\n");
		goto out;
	}
	args[3] = ep.data;
	ctl_run(pg, args, 0);
	doc = find_record(pg, t.data);
	if (doc == NULL) {
		head(pg, "No such delivery");
		buf_adds(&pg->out, "<p>Not in the recent log records.</p>");
		send_page(pg, 404);
		goto out;
	}
	head(pg, "Delivery");
	buf_adds(&pg->out, "<table class=\"kv summary\">\n");
	for (i = 0; keys[i] != NULL; i++)
		summary_row(&pg->out, keys[i], rec(doc, keys[i], &v));
	buf_adds(&pg->out, "</table>\n<h2>Headers</h2><table class=\"kv"
	    " headers\">\n");
	json_members(doc, "headers", header_row, &pg->out);
	buf_adds(&pg->out, "</table>\n");
	if (json_get(doc, "body", &body) == 1)
		show_body(pg, body.data != NULL ? body.data : "", body.len);
	rec(doc, "id", &id);
	if (id.len == 0)
		rec(doc, "body_sha256", &id);
	if (strcmp(rec(doc, "verdict", &v), "rejected") == 0 && id.len > 0)
		show_explain(pg, ep.data, id.data);
	if (strcmp(v.data != NULL ? v.data : "", "rejected") != 0 &&
	    id.len > 0) {
		show_ledger(pg, ep.data, id.data);
		show_attempts(pg, ep.data, id.data);
		buf_adds(&pg->out, "<form method=\"post\" action=\"?p=action\""
		    " class=\"action\"><input type=\"hidden\" name=\"csrf\""
		    " value=\"");
		hs(&pg->out, pg->csrf);
		buf_adds(&pg->out, "\"><input type=\"hidden\" name=\"ep\""
		    " value=\"");
		hs(&pg->out, ep.data);
		buf_adds(&pg->out, "\"><input type=\"hidden\" name=\"id\""
		    " value=\"");
		hs(&pg->out, id.data);
		buf_adds(&pg->out, "\"><button name=\"action\" value=\"replay\">"
		    "Replay to the endpoint (byte-exact)</button></form>\n");
	}
	send_page(pg, 200);
out:
	json_doc_free(doc);
	buf_release(&ep);
	buf_release(&t);
	buf_release(&v);
	buf_release(&id);
	buf_release(&body);
}

/* --- queue ------------------------------------------------------------ */

static int
stats_row(void *arg, const struct ledger_count *c)
{
	struct page	*pg = arg;
	struct buf	*o = &pg->out;

	buf_adds(o, "<tr><td>");
	hs(o, c->endpoint);
	buf_adds(o, "</td><td class=\"state\">");
	hs(o, c->state);
	buf_printf(o, "</td><td>%lld</td><td>", c->count);
	if (strcmp(c->state, "done") != 0) {
		char when[32];

		dlog_time(c->oldest, when);
		buf_printf(o, "<time datetime=\"%s\">%s</time>", when, when);
	}
	buf_adds(o, "</td></tr>\n");
	return 0;
}

static int
dead_row(void *arg, const struct ledger_row *r)
{
	struct page	*pg = arg;
	struct buf	*o = &pg->out;
	char		 when[32];

	dlog_time(r->received_at, when);
	buf_adds(o, "<tr><td>");
	hs(o, r->endpoint);
	buf_adds(o, "</td><td class=\"id\">");
	hs(o, r->delivery_id);
	buf_printf(o, "</td><td>%ld</td><td>%d</td><td>", r->attempts,
	    r->has_exit ? r->last_exit : -1);
	buf_printf(o, "<time datetime=\"%s\">%s</time></td><td>", when, when);
	buf_adds(o, "<form method=\"post\" action=\"?p=action\"><input"
	    " type=\"hidden\" name=\"csrf\" value=\"");
	hs(o, pg->csrf);
	buf_adds(o, "\"><input type=\"hidden\" name=\"ep\" value=\"");
	hs(o, r->endpoint);
	buf_adds(o, "\"><input type=\"hidden\" name=\"id\" value=\"");
	hs(o, r->delivery_id);
	buf_adds(o, "\"><button name=\"action\" value=\"retry\">Retry</button>"
	    "</form></td></tr>\n");
	return 0;
}

static void
page_queue(struct page *pg)
{
	struct ledger_query	 q;
	struct ledger		*l;
	char			 err[512];
	int			 rc;

	if ((l = ledger_of(pg, "global")) == NULL) {
		head(pg, "Queue");
		buf_adds(&pg->out, "<p class=\"note\">no ledger yet</p>");
		send_page(pg, 200);
		return;
	}
	head(pg, "Queue");
	buf_adds(&pg->out, "<table class=\"queue\"><thead><tr><th>Endpoint"
	    "</th><th>State</th><th>Deliveries</th><th>Oldest</th></tr>"
	    "</thead><tbody>\n");
	rc = ledger_gauges(l, stats_row, pg, err, sizeof(err));
	buf_adds(&pg->out, "</tbody></table>\n<h2>Dead deliveries</h2>"
	    "<table class=\"dead\"><thead><tr><th>Endpoint</th><th>Id</th>"
	    "<th>Attempts</th><th>Last exit</th><th>Received</th><th></th>"
	    "</tr></thead><tbody>\n");
	memset(&q, 0, sizeof(q));
	q.state = "dead";
	q.limit = 100;
	if (rc == 0)
		rc = ledger_list(l, &q, dead_row, pg, err, sizeof(err));
	buf_adds(&pg->out, "</tbody></table>\n");
	ledger_close(l);
	if (rc == -1) {
		log_warnx("console: %s", err);
		send_text(pg, 503, "Retry-After: 5\r\n", "ledger busy, try"
		    " again\n");
		return;
	}
	send_page(pg, 200);
}

/* --- charts ----------------------------------------------------------- */

#define DAY_BINS	1440
#define HOUR_BINS	60

struct bins {
	unsigned	 hour[HOUR_BINS][NVERDICTS];
	unsigned	 day[DAY_BINS][NVERDICTS];
};

/*
 * Counts one log line.  dlog writes "time" first and "verdict" before
 * any field a sender controls, so a plain search finds the real ones.
 */
static void
bin_line(struct bins *b, const char *p, size_t len, long long now)
{
	const char	*v;
	long long	 t, age;
	size_t		 k;

	if (len < 40 || memcmp(p, "{\"time\":\"", 9) != 0 ||
	    (t = record_ms(p + 9, len - 9)) == -1 ||
	    (v = memmem(p, len, "\"verdict\":\"", 11)) == NULL)
		return;
	v += 11;
	for (k = 0; k < NVERDICTS; k++)
		if (strncmp(v, verdicts[k], strlen(verdicts[k])) == 0 &&
		    v[strlen(verdicts[k])] == '"')
			break;
	if (k == NVERDICTS || (age = (now - t) / 60000) < 0 ||
	    age >= DAY_BINS)
		return;
	b->day[DAY_BINS - 1 - age][k]++;
	if (age < HOUR_BINS)
		b->hour[HOUR_BINS - 1 - age][k]++;
}

/* Reads the end of one endpoint's log into the bins. */
static void
bin_log(struct page *pg, struct bins *b, const char *dir, const char *name,
    long long now)
{
	char	 path[PATH_MAX], *p, *nl, *end;

	/* XXX only the newest CHART_BYTES of the current file are read. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.log", dir, name) >=
	    sizeof(path) || read_tail(path, CHART_BYTES, &pg->child) == -1)
		return;
	end = pg->child.data + pg->child.len;
	for (p = pg->child.data; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		bin_line(b, p, (size_t)(nl - p), now);
	}
}

/* A stacked bar chart of bins, in SVG, with its axis labels. */
static void
chart(struct buf *o, const char *title, unsigned (*bins)[NVERDICTS],
    size_t n, const char *left)
{
	static const char *const fill[] = { "#2e7d32", "#7e8f9a", "#c62828",
	    "#ef6c00" };
	unsigned	 max = 1, sum;
	size_t		 i, k;
	double		 w = 720.0 / n, y, hgt;

	for (i = 0; i < n; i++) {
		for (sum = 0, k = 0; k < NVERDICTS; k++)
			sum += bins[i][k];
		if (sum > max)
			max = sum;
	}
	buf_printf(o, "<h2>%s</h2><svg class=\"chart\" viewBox=\"0 0 760 190\""
	    " width=\"760\" height=\"190\" role=\"img\"><line x1=\"30\""
	    " y1=\"160\" x2=\"750\" y2=\"160\" stroke=\"#999\"/><text x=\"0\""
	    " y=\"18\" font-size=\"11\">%u/min</text><text x=\"30\" y=\"176\""
	    " font-size=\"11\">%s</text><text x=\"720\" y=\"176\""
	    " font-size=\"11\">now</text>\n", title, max, left);
	for (i = 0; i < n; i++) {
		y = 160;
		for (k = 0; k < NVERDICTS; k++) {
			if (bins[i][k] == 0)
				continue;
			hgt = 140.0 * bins[i][k] / max;
			y -= hgt;
			buf_printf(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\""
			    " height=\"%.2f\" fill=\"%s\"><title>%u %s</title>"
			    "</rect>", 30 + i * w, y, w > 2 ? w - 0.5 : w,
			    hgt, fill[k], bins[i][k], verdicts[k]);
		}
	}
	buf_adds(o, "</svg>\n<p class=\"legend\">");
	for (k = 0; k < NVERDICTS; k++)
		buf_printf(o, "<span class=\"%s\">&#9632; %s</span> ",
		    verdicts[k], verdicts[k]);
	buf_adds(o, "</p>\n");
}

static void
page_charts(struct page *pg)
{
	struct bins	*b;
	struct endpoint	 ep;
	struct buf	 why;
	size_t		 i, n = config_nendpoints(pg->cfg);
	long long	 now = now_ms();

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		send_text(pg, 503, "Retry-After: 5\r\n", "out of memory\n");
		return;
	}
	buf_init(&why, 4096);
	for (i = 0; i < n; i++) {
		memset(&ep, 0, sizeof(ep));
		if (config_endpoint(pg->cfg, config_endpoint_name(pg->cfg, i),
		    &ep, &why) == -1)
			continue;
		bin_log(pg, b, ep.log_dir, ep.name, now);
		config_endpoint_release(&ep);
	}
	buf_release(&why);
	head(pg, "Deliveries per minute");
	chart(&pg->out, "Last hour", b->hour, HOUR_BINS, "-60 min");
	chart(&pg->out, "Last day", b->day, DAY_BINS, "-24 h");
	free(b);
	send_page(pg, 200);
}

/* --- actions ---------------------------------------------------------- */

/* Appends one JSON line to <log_dir>/console.log: who did what. */
static void
audit(struct page *pg, const char *action, const char *ep, const char *id,
    const char *result)
{
	struct dlog	*d;
	struct buf	 line;
	char		 when[32], err[256];

	log_info("%s from %s: %s '%s' of '%s': %s", pg->user,
	    pg->req->remote_addr, action, id, ep, result);
	if ((d = dlog_open(pg->g.log_dir, "console", pg->g.log_max_size,
	    pg->g.log_keep, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return;
	}
	dlog_time(now_ms(), when);
	buf_init(&line, 16384);
	if (buf_addc(&line, '{') == 0 &&
	    json_add_kv(&line, 1, "time", when, strlen(when)) == 0 &&
	    json_add_kv(&line, 0, "user", pg->user, strlen(pg->user)) == 0 &&
	    json_add_kv(&line, 0, "remote_addr", pg->req->remote_addr,
	    strlen(pg->req->remote_addr)) == 0 &&
	    json_add_kv(&line, 0, "action", action, strlen(action)) == 0 &&
	    json_add_kv(&line, 0, "endpoint", ep, strlen(ep)) == 0 &&
	    buf_adds(&line, ",\"id\":") == 0 &&
	    json_add_string_lossy(&line, id, strlen(id)) == 0 &&
	    json_add_kv(&line, 0, "result", result, strlen(result)) == 0 &&
	    buf_adds(&line, "}\n") == 0)
		dlog_write(d, line.data, line.len);
	buf_release(&line);
	dlog_close(d);
}

static const char *
retry(struct page *pg, const char *endpoint, const char *id)
{
	struct endpoint	 ep;
	struct ledger	*l;
	struct buf	 why;
	char		 path[PATH_MAX], err[512];
	const char	*r = "ledger unavailable";

	buf_init(&why, 4096);
	memset(&ep, 0, sizeof(ep));
	if (config_endpoint(pg->cfg, endpoint, &ep, &why) == -1) {
		buf_release(&why);
		return "no such endpoint";
	}
	buf_release(&why);
	snprintf(path, sizeof(path), "%s/webhooks.db", ep.state_dir);
	config_endpoint_release(&ep);
	if (access(path, F_OK) == -1 ||
	    (l = ledger_open(path, 0, LEDGER_WAIT_MS * 4, err,
	    sizeof(err))) == NULL)
		return r;
	switch (ledger_requeue(l, endpoint, id, now_ms(), err, sizeof(err))) {
	case LEDGER_REQUEUED: r = "requeued"; break;
	case LEDGER_REQUEUE_UNKNOWN: r = "no such delivery"; break;
	case LEDGER_REQUEUE_AMBIGUOUS: r = "ambiguous id"; break;
	case LEDGER_REQUEUE_ACTIVE: r = "already queued or running"; break;
	case LEDGER_REQUEUE_PRUNED: r = "its body was pruned"; break;
	case LEDGER_REQUEUE_ERROR: r = "ledger busy, try again"; break;
	}
	ledger_close(l);
	return r;
}

static void
page_action(struct page *pg)
{
	struct buf	 token, action, ep, id;
	const char	*result;
	const char	*args[] = { "replay", "--endpoint", NULL, NULL, NULL };
	int		 rc;

	buf_init(&token, 128);
	buf_init(&action, 16);
	buf_init(&ep, LIMIT_ENDPOINT_NAME + 1);
	buf_init(&id, LIMIT_ID_LEN + 1);
	if (strcmp(pg->req->method, "POST") != 0) {
		send_text(pg, 405, "Allow: POST\r\n", "actions are POST\n");
		goto out;
	}
	if (pg->new_csrf || !field(pg, "csrf", &token) || token.len != 64 ||
	    hmac_equal(token.data, pg->csrf, 64) == 0) {
		audit(pg, "refused", "-", "-", "bad or missing CSRF token");
		send_text(pg, 403, NULL, "bad or missing CSRF token: reload"
		    " the page\n");
		goto out;
	}
	if (!field(pg, "action", &action) || !field(pg, "ep", &ep) ||
	    parse_endpoint_name(ep.data) == -1 || !field(pg, "id", &id)) {
		send_text(pg, 400, NULL, "action, ep and id are needed\n");
		goto out;
	}
	if (strcmp(action.data, "retry") == 0)
		result = retry(pg, ep.data, id.data);
	else if (strcmp(action.data, "replay") == 0) {
		args[2] = ep.data;
		args[3] = id.data;
		rc = ctl_run(pg, args, 1);
		result = rc == 0 ? "replayed" : "replay failed";
	} else {
		send_text(pg, 400, NULL, "unknown action\n");
		goto out;
	}
	audit(pg, action.data, ep.data, id.data, result);
	head(pg, "Done");
	buf_adds(&pg->out, "<p class=\"result\">");
	hs(&pg->out, action.data);
	buf_adds(&pg->out, " of <span class=\"id\">");
	hs(&pg->out, id.data);
	buf_adds(&pg->out, "</span>: <b>");
	hs(&pg->out, result);
	buf_adds(&pg->out, "</b></p>");
	if (strcmp(action.data, "replay") == 0) {
		buf_adds(&pg->out, "<pre>");
		h(&pg->out, pg->child.data != NULL ? pg->child.data : "",
		    pg->child.len);
		buf_adds(&pg->out, "</pre>");
	}
	buf_adds(&pg->out, "<p><a href=\"?p=queue\">Queue</a></p>");
	send_page(pg, 200);
out:
	buf_release(&token);
	buf_release(&action);
	buf_release(&ep);
	buf_release(&id);
}

/* --- assets, access, dispatch ---------------------------------------- */

/* Reads a whole file into out; 0 or -1. */
static int
slurp(const char *path, struct buf *out)
{
	char	 tmp[65536];
	ssize_t	 n;
	int	 fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_add(out, tmp, (size_t)n) == -1) {
			rc = -1;
			break;
		}
	close(fd);
	return n < 0 ? -1 : rc;
}

static void
page_asset(struct page *pg)
{
	static const struct { const char *name, *type; } assets[] = {
		{ "console.css", "text/css; charset=utf-8" },
		{ "console.js", "text/javascript; charset=utf-8" },
	};
	const char	*dir = getenv("WEBHOOK_CONSOLE_ASSETS");
	struct buf	 f;
	char		 path[PATH_MAX], extra[1024];
	size_t		 i;

	if (dir == NULL || dir[0] == '\0')
		dir = ASSETS_DIR;
	buf_init(&f, 64);
	param(pg, "f", &f);
	for (i = 0; i < 2; i++)
		if (f.data != NULL && strcmp(f.data, assets[i].name) == 0)
			break;
	buf_release(&f);
	if (i == 2) {
		send_text(pg, 404, NULL, "no such asset\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, assets[i].name);
	buf_reset(&pg->child);
	if (slurp(path, &pg->child) == -1) {
		log_warn("cannot read '%s'", path);
		send_text(pg, 404, NULL, "asset missing\n");
		return;
	}
	snprintf(extra, sizeof(extra), "%sCache-Control: max-age=300\r\n", csp);
	respond_send(pg->src, &pg->scratch, 200, assets[i].type, extra,
	    pg->child.data != NULL ? pg->child.data : "", pg->child.len);
}

/* REMOTE_USER, or a client in console_allow_from; 1 when allowed. */
static int
allowed(struct page *pg)
{
	size_t	 i;

	if (pg->g.require_https && !pg->req->https) {
		send_text(pg, 403, NULL, "plain HTTP refused: require_https"
		    " is set\n");
		return 0;
	}
	if (pg->req->remote_user != NULL) {
		pg->user = pg->req->remote_user;
		return 1;
	}
	for (i = 0; i < pg->g.nconsole_allow_from; i++)
		if (parse_net_contains(&pg->g.console_allow_from[i],
		    pg->req->remote_addr)) {
			pg->user = pg->req->remote_addr;
			return 1;
		}
	log_warnx("console refused to %s: no REMOTE_USER and not in"
	    " console_allow_from", pg->req->remote_addr);
	send_text(pg, 403, NULL, "the console needs a login (REMOTE_USER"
	    " from the web server) or an address in console_allow_from\n");
	return 0;
}

static void
dispatch(struct page *pg)
{
	struct buf	 p;

	buf_init(&p, 32);
	param(pg, "p", &p);
	if (p.data != NULL && strcmp(p.data, "asset") == 0)
		page_asset(pg);
	else if (strcmp(pg->req->method, "GET") != 0 &&
	    strcmp(pg->req->method, "POST") != 0)
		send_text(pg, 405, "Allow: GET, POST\r\n", "GET or POST\n");
	else if (p.data != NULL && strcmp(p.data, "action") == 0)
		page_action(pg);
	else if (strcmp(pg->req->method, "GET") != 0)
		send_text(pg, 405, "Allow: GET\r\n", "pages are GET\n");
	else if (p.data != NULL && strcmp(p.data, "detail") == 0)
		page_detail(pg);
	else if (p.data != NULL && strcmp(p.data, "queue") == 0)
		page_queue(pg);
	else if (p.data != NULL && strcmp(p.data, "charts") == 0)
		page_charts(pg);
	else
		page_list(pg);
	buf_release(&p);
}

static void
handle(struct page *pg, struct request *req)
{
	struct buf	 why;

	pg->req = req;
	pg->user = "-";
	pg->new_csrf = 0;
	pg->cfg_path = req->config != NULL && req->config[0] != '\0' ?
	    req->config : getenv("WEBHOOK_CONFIG");
	if (pg->cfg_path == NULL || pg->cfg_path[0] == '\0')
		pg->cfg_path = DEF_CONFIG_PATH;
	buf_init(&why, 4096);
	memset(&pg->g, 0, sizeof(pg->g));
	if ((pg->cfg = config_load(pg->cfg_path, &why)) == NULL ||
	    config_endpoint(pg->cfg, "global", &pg->g, &why) == -1) {
		log_warnx("%s", why.data != NULL ? why.data : "config");
		send_text(pg, 503, "Retry-After: 30\r\n", "console not"
		    " configured, see the server error log\n");
		config_free(pg->cfg);
		buf_release(&why);
		return;
	}
	buf_release(&why);
	if (allowed(pg)) {
		csrf_token(pg);
		buf_reset(&pg->form);
		if (strcmp(req->method, "POST") == 0 &&
		    req->content_length > 0 &&
		    req->content_length <= 65536 &&
		    request_read_body(pg->src, req) == 0)
			buf_add(&pg->form, req->body.data, req->body.len);
		dispatch(pg);
	}
	config_endpoint_release(&pg->g);
	config_free(pg->cfg);
}

int
main(int argc, char *argv[])
{
	static struct page	 pg;
	struct request		 req;
	int			 rc;

	log_init("console", getenv("WEBHOOK_DEBUG") != NULL);
	if (argc > 1) {
		if (strcmp(argv[1], "-V") == 0) {
			printf("webhook-fcgi %s console\n", VERSION);
			return 0;
		}
		fprintf(stderr, "usage: %s [-V]\n"
		    "A FastCGI or CGI program: run it from a web server.\n",
		    argv[0]);
		return 100;
	}
	request_signals();
	if ((pg.src = request_open()) == NULL)
		fatalx("cannot initialise FastCGI");
	memset(&req, 0, sizeof(req));
	buf_init(&req.body, 65536);
	buf_init(&pg.out, PAGE_MAX);
	buf_init(&pg.scratch, PAGE_MAX + 8192);
	buf_init(&pg.child, CHILD_MAX);
	buf_init(&pg.form, 65536);
	while ((rc = request_accept(pg.src, &req)) == 1) {
		handle(&pg, &req);
		request_finish(pg.src, &req);
	}
	if (rc == -1)
		log_warn("accept failed");
	buf_release(&pg.out);
	buf_release(&pg.scratch);
	buf_release(&pg.child);
	buf_release(&pg.form);
	buf_release(&req.body);
	request_close(pg.src);
	return rc == -1 ? 111 : 0;
}
