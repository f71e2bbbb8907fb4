/*
 * Twitch EventSub over webhooks.
 * Signature: Twitch-Eventsub-Message-Signature = "sha256=" + hex
 * HMAC-SHA256(subscription secret, Twitch-Eventsub-Message-Id +
 * Twitch-Eventsub-Message-Timestamp + body), nothing between them; the
 * timestamp is RFC 3339 with nanoseconds.  Messages older than 10
 * minutes are refused, as the docs ask; the message id is the delivery
 * id (a resend keeps it), the subscription type header the event.
 *
 * Twitch-Eventsub-Message-Type says what the message is (the header is
 * not signed, but the body it describes is):
 *   notification                  queued, event = subscription type;
 *   webhook_callback_verification answered 200 with the raw "challenge"
 *                                 as text/plain once verified, logged,
 *                                 never queued;
 *   revocation                    queued as its own event "revocation"
 *                                 (the body says which subscription and
 *                                 why), so a worker can subscribe again.
 * Without the header, a body with "challenge" is a verification.
 * Ref: Twitch Developers, EventSub "Handling Webhook Events": "List of
 * request headers", "Verifying the event message", "Responding to a
 * challenge request", "Revoking your subscription", "Guarding against
 * replay attacks"
 * (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/).
 */
#include <string.h>

#include "json.h"
#include "serve.h"

static int
twitch_hook(const struct request *req, struct delivery *d)
{
	const struct header	*type;
	const struct json_doc	*doc;
	struct buf		 ch;
	int			 rc;

	type = request_header(req, "Twitch-Eventsub-Message-Type");
	if (type != NULL && type->len == 10 &&
	    memcmp(type->value, "revocation", 10) == 0) {
		buf_reset(&d->event);
		return buf_adds(&d->event, "revocation");
	}
	if ((doc = delivery_json(d)) == NULL)
		return -1;
	buf_init(&ch, LIMIT_CHALLENGE + 1);
	rc = json_get(doc, "challenge", &ch);
	if (type != NULL ? type->len == 29 && memcmp(type->value,
	    "webhook_callback_verification", 29) == 0 : rc == 1) {
		if (rc != 1) {
			d->reason = "webhook_callback_verification without a"
			    " usable challenge";
			rc = -1;
		} else
			rc = delivery_echo(d, ch.data, ch.len);
	} else
		rc = 0;
	buf_release(&ch);
	return rc;
}

const struct provider provider_twitch = {
	.name = "twitch",
	.scheme = {
		.header = "Twitch-Eventsub-Message-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "sha256=",
		.ts_header = "Twitch-Eventsub-Message-Timestamp",
		.ts_format = TS_ISO8601,
		.payload = {
			{ PART_HEADER, "Twitch-Eventsub-Message-Id" },
			{ PART_TIMESTAMP, NULL },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 600,
	.id = { .header = "Twitch-Eventsub-Message-Id" },
	.event = { .header = "Twitch-Eventsub-Subscription-Type" },
	.hook = twitch_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_twitch, argc, argv);
}
#endif
