/*
 * Calendly webhooks.
 * Signature: Calendly-Webhook-Signature = "t=<unix>,v1=<hex>", v1 a hex
 * HMAC-SHA256(webhook signing key, t "." body).  Tolerance 180 s, the
 * three minutes of the docs' example.  The payload has no delivery id,
 * so the body's SHA-256 is the id (a retry re-sends the same body);
 * event the body's "event" ("invitee.created").
 * Ref: Calendly developer docs "Webhook signatures"
 * (developer.calendly.com/api-docs/overview/webhooks/webhook-signatures).
 */
#include "serve.h"

const struct provider provider_calendly = {
	.name = "calendly",
	.scheme = {
		.header = "Calendly-Webhook-Signature",
		.format = SIG_ITEMS,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.item_sep = ',',
		.key_sep = '=',
		.sig_key = "v1",
		.ts_key = "t",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_LITERAL, "." },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 180,
	.id = { .digest = 1 },
	.event = { .field = "event" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_calendly, argc, argv);
}
#endif
