/*
 * webhookctl show ID: one delivery, from its latest log record and its
 * ledger row: verdict and reason, headers, body (re-indented when it is
 * JSON), queue state, attempts and the last error.  --body writes the
 * exact bytes received and nothing else.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "json.h"
#include "ledger.h"
#include "store.h"
#include "log.h"
#include "ctl.h"

static const char help[] =
    "Shows a delivery: its latest log record (verdict, reason, headers,\n"
    "body) and its ledger row (state, attempts, last error).  ID is the\n"
    "delivery id, a header value such as X-GitHub-Delivery, or the body's\n"
    "SHA-256.\n"
    "  --endpoint E     look in endpoint E only\n"
    "  --body           write the exact body bytes and nothing else\n"
    "  --json           {\"log\": record, \"ledger\": [rows]}\n"
    "Exit status 1: no such delivery.\n";

struct show {
	const struct ctl	*ctl;
	int			 json;
	int			 want_body;	/* copy the ledger's body */
	int			 rows;
	struct buf		 ledger;	/* JSON rows, comma separated */
	struct buf		 body;		/* first row's body */
	struct buf		 headers;	/* first row's headers */
	int			 has_body;
};

static int
show_row(void *arg, const struct ledger_row *r)
{
	struct show	*s = arg;

	if (s->rows++ > 0 && s->json)
		buf_addc(&s->ledger, ',');
	if (s->json)
		ctl_row_json(r, &s->ledger);
	else {
		printf("ledger\n");
		ctl_row_print(s->ctl, r, "  ");
	}
	if (s->rows == 1 && s->want_body) {
		buf_add(&s->headers, r->headers, r->headers_len);
		if (r->body != NULL) {
			s->has_body = 1;
			buf_add(&s->body, r->body, r->body_len);
		}
	}
	return 0;
}

struct show_query {
	struct show		*s;
	struct ledger_query	 q;
};

static int
show_ledger(void *arg, struct store *l)
{
	struct show_query	*sq = arg;
	char			 err[512];

	if (store_list(l, &sq->q, show_row, sq->s, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	return 0;
}

static int
print_header(void *arg, const char *name, const char *value, size_t len)
{
	(void)arg;
	printf("  %s: ", name);
	ctl_print_bytes(value, len, LIMIT_HEADER_VALUE);
	putchar('\n');
	return 0;
}

/* The body for people: re-indented JSON, text as it is, else a note. */
static void
print_body(const char *body, size_t len)
{
	struct json_doc	*doc;
	struct buf	 pretty;
	char		 err[128];

	printf("body\n");
	buf_init(&pretty, LIMIT_BODY * 4);
	if ((doc = json_parse(body, len, err, sizeof(err))) != NULL &&
	    json_pretty(doc, &pretty) == 0)
		printf("%s\n", pretty.data);
	else if (json_utf8_valid(body, len) && memchr(body, '\0', len) ==
	    NULL) {
		fwrite(body, 1, len, stdout);
		if (len > 0 && body[len - 1] != '\n')
			putchar('\n');
	} else
		printf("  (%zu bytes, not text: --body writes them)\n", len);
	json_doc_free(doc);
	buf_release(&pretty);
}

static void
print_record(const struct ctl *ctl, const struct ctl_record *r)
{
	struct buf	 id;

	buf_init(&id, LIMIT_HEADER_VALUE + 1);
	if (r->id.len > 0 || !ctl_record_delivery_id(r, &id))
		printf("delivery    %s\n", r->id.len > 0 ? r->id.data :
		    "(none: refused before its id was read)");
	else
		printf("delivery    %s  (as sent: refused before its id was"
		    " read)\n", id.data);
	buf_release(&id);
	printf("endpoint    %s (%s)\n", r->endpoint.data, r->provider.data);
	printf("logged      %s  %d %s%s%s  (%s:%ld)\n", r->time.data,
	    r->status, ctl_paint(ctl, r->verdict.data), r->verdict.data,
	    ctl_unpaint(ctl), r->file, r->lineno);
	printf("reason      %s\n", r->reason.data);
	printf("event       %s\n", r->event.len > 0 ? r->event.data : "-");
	printf("request     %s %s from %s\n", r->method.data, r->uri.data,
	    r->remote_addr.data);
	if (r->has_body)
		printf("body        %zu bytes, sha256 %s\n", r->body.len,
		    r->body_sha256.data);
	printf("headers\n");
	ctl_record_headers(r, print_header, NULL);
}

static int
print_json(const struct ctl_record *r, int found, const struct show *s)
{
	printf("{\"log\":");
	if (found)
		fwrite(r->line.data, 1, r->line.len, stdout);
	else
		printf("null");
	printf(",\"ledger\":[%s]}\n", s->ledger.data != NULL ?
	    s->ledger.data : "");
	return CTL_OK;
}

/* Headers from the ledger, when the log no longer has the record. */
static void
print_ledger_headers(const struct show *s)
{
	struct json_doc	*doc;
	char		 err[128];

	if (s->headers.len == 0 || (doc = json_parse(s->headers.data,
	    s->headers.len, err, sizeof(err))) == NULL)
		return;
	printf("headers (from the ledger)\n");
	json_members(doc, "", print_header, NULL);
	json_doc_free(doc);
}

static int
show_run(struct ctl *ctl, const char *id, const char *endpoint, int json,
    int body_only)
{
	struct ctl_record	 rec;
	struct show		 s;
	struct show_query	 sq;
	int			 found, opened, rc = CTL_OK;

	ctl_record_init(&rec);
	memset(&s, 0, sizeof(s));
	s.ctl = ctl;
	s.json = json;
	buf_init(&s.ledger, LIMIT_HEADER_TOTAL * 6 + 64 * 1024);
	buf_init(&s.body, LIMIT_BODY);
	buf_init(&s.headers, LIMIT_HEADER_TOTAL * 6);
	if ((found = ctl_find_record(ctl, endpoint, id, &rec)) == -1) {
		rc = CTL_FAIL;
		goto out;
	}
	s.want_body = !found;
	if (found && !json && !body_only)
		print_record(ctl, &rec);
	memset(&sq, 0, sizeof(sq));
	sq.s = &s;
	sq.q.endpoint = found ? rec.endpoint.data : endpoint;
	sq.q.delivery_id = found && rec.id.len > 0 ? rec.id.data : id;
	sq.q.with_body = !found;
	/* Printing a row in the middle of --body would spoil the bytes. */
	if (body_only && found)
		s.rows = 0;
	else if (ctl_ledgers(ctl, sq.q.endpoint, show_ledger, &sq,
	    &opened) == -1)
		rc = CTL_FAIL;
	if (!found && s.rows == 0) {
		log_warnx("no delivery '%s' in the logs or the ledger", id);
		rc = CTL_NO;
		goto out;
	}
	if (body_only) {
		if (found)
			fwrite(rec.body.data, 1, rec.body.len, stdout);
		else
			fwrite(s.body.data, 1, s.body.len, stdout);
	} else if (json)
		print_json(&rec, found, &s);
	else if (found && rec.has_body)
		print_body(rec.body.data, rec.body.len);
	else if (!found) {
		print_ledger_headers(&s);
		if (s.has_body)
			print_body(s.body.data, s.body.len);
	}
out:
	buf_release(&s.ledger);
	buf_release(&s.body);
	buf_release(&s.headers);
	ctl_record_release(&rec);
	return rc;
}

int
ctl_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "endpoint", required_argument, NULL, 'E' },
		{ "body", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char			*endpoint = NULL;
	int				 c, json = 0, body = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'E':
			endpoint = optarg;
			break;
		case 'b':
			body = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind != 1 || (json && body))
		return ctl_usage(ctl);
	return show_run(ctl, argv[optind], endpoint, json, body);
}
