/*
 * Mailgun webhooks (delivered, opened, failed, ...).
 * The signature is in the body, not a header: JSON bodies carry
 * {"signature":{"timestamp","token","signature"},"event-data":{...}},
 * legacy form bodies the fields timestamp, token and signature.
 * signature = hex HMAC-SHA256(HTTP webhook signing key, timestamp +
 * token), nothing between them.  It does NOT cover event-data: what
 * proves a delivery is the signature block, so the token (50 random
 * characters, one per signature) is the delivery id, and a block seen
 * before is a duplicate whatever body carries it; Mailgun's docs ask
 * receivers to cache tokens for this.  Event: event-data.event (form:
 * event).
 * Window: Mailgun names none ("not too far from the current time") and
 * retries for 8 h 5 min (10 min, 10, 15, 30 min, 1, 2, 4 h) with the
 * original signature block, so 9 h; a replay inside it is a duplicate.
 * Ref: Mailgun docs "Securing Webhooks"
 * (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks),
 * "Webhooks" (retry schedule); retries resend the signature: Hookdeck
 * webhook-skills mailgun-webhooks references/verification.md.
 */
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "serve.h"

/* Legacy form bodies: the id and event are fields too. */
static int
mailgun_hook(const struct request *req, struct delivery *d)
{
	struct buf	 v;
	int		 rc = 0;

	if (req->content_type == NULL || strncasecmp(req->content_type,
	    "application/x-www-form-urlencoded", 33) != 0)
		return 0;
	buf_init(&v, LIMIT_ID_LEN + 1);
	if (parse_form_field(req->body.data, req->body.len, "token",
	    &v) != 1 || v.len == 0) {
		d->reason = "form body without a token";
		rc = -1;
	} else {
		buf_reset(&d->id);
		buf_add(&d->id, v.data, v.len);
		buf_reset(&v);
		buf_reset(&d->event);
		if (parse_form_field(req->body.data, req->body.len, "event",
		    &v) == 1)
			buf_add(&d->event, v.data, v.len);
	}
	buf_release(&v);
	return rc;
}

const struct provider provider_mailgun = {
	.name = "mailgun",
	.scheme = {
		.header = "signature",
		.format = SIG_BODY,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.ts_header = "timestamp",
		.ts_format = TS_UNIX,
		.body_object = "signature",
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_HEADER, "token" },
		},
	},
	.tolerance = 9 * 3600,
	.id = { .field = "signature.token", .digest = 1 },
	.event = { .field = "event-data.event" },
	.hook = mailgun_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_mailgun, argc, argv);
}
#endif
