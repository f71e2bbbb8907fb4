/*
 * Slack: Events API, slash commands and interactivity.
 * Signature: X-Slack-Signature = "v0=" + hex HMAC-SHA256(signing secret,
 * "v0:" + X-Slack-Request-Timestamp + ":" + body), 300 s both ways as the
 * official SDK checks.  Events API bodies are JSON with an event_id that
 * retries (X-Slack-Retry-Num) keep, so retries deduplicate; commands and
 * interactivity are forms, signed raw, identified by their digest.  The
 * url_verification handshake is answered with its challenge once the
 * request is verified, and not queued.
 * Ref: Slack docs "Verifying requests from Slack", "Events API";
 * slackapi/python-slack-sdk slack_sdk/signature/__init__.py.
 */
#include <string.h>
#include <strings.h>

#include "json.h"
#include "parse.h"
#include "serve.h"

static int
is_form(const struct request *req)
{
	return req->content_type != NULL && strncasecmp(req->content_type,
	    "application/x-www-form-urlencoded", 33) == 0;
}

/* Interactivity wraps JSON in payload=; commands carry command=. */
static int
slack_form(const struct request *req, struct delivery *d)
{
	struct json_doc	*doc;
	struct buf	 payload;
	char		 err[128];
	int		 rc = 0;

	buf_reset(&d->event);
	buf_init(&payload, req->body.len + 1);
	if (parse_form_field(req->body.data, req->body.len, "payload",
	    &payload) == 1) {
		if ((doc = json_parse(payload.data, payload.len, err,
		    sizeof(err))) == NULL) {
			d->reason = "interactivity payload is not JSON";
			rc = -1;
		} else if (json_get(doc, "type", &d->event) != 1)
			buf_adds(&d->event, "interactivity");
		json_doc_free(doc);
	} else
		buf_adds(&d->event, "slash_command");
	buf_release(&payload);
	return rc;
}

static int
slack_hook(const struct request *req, struct delivery *d)
{
	const struct json_doc	*doc;
	struct buf		 v;
	int			 rc = 0;

	if (is_form(req))
		return slack_form(req, d);
	if ((doc = delivery_json(d)) == NULL) {
		d->reason = "body is neither JSON nor a form";
		return -1;
	}
	buf_init(&v, 4096);
	if (json_get(doc, "type", &v) == 1 &&
	    strcmp(v.data, "url_verification") == 0) {
		buf_reset(&v);
		if (json_get(doc, "challenge", &v) != 1) {
			d->reason = "url_verification without a challenge";
			rc = -1;
		} else {
			d->handshake = 1;
			buf_addc(&d->hs_body, '{');
			json_add_kv(&d->hs_body, 1, "challenge", v.data, v.len);
			buf_adds(&d->hs_body, "}\n");
		}
	} else if (v.data != NULL && strcmp(v.data, "event_callback") == 0) {
		buf_reset(&v);
		/* The inner event type is what people route on. */
		if (json_get(doc, "event.type", &v) == 1 && v.len > 0) {
			buf_reset(&d->event);
			buf_add(&d->event, v.data, v.len);
		}
	}
	buf_release(&v);
	return rc;
}

const struct provider provider_slack = {
	.name = "slack",
	.scheme = {
		.header = "X-Slack-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "v0=",
		.ts_header = "X-Slack-Request-Timestamp",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_LITERAL, "v0:" },
			{ PART_TIMESTAMP, NULL },
			{ PART_LITERAL, ":" },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 300,
	.id = { .field = "event_id", .digest = 1 },
	.event = { .field = "type" },
	.hook = slack_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_slack, argc, argv);
}
#endif
