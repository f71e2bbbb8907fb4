/*
 * PagerDuty v3 webhook subscriptions.
 * Signature: X-PagerDuty-Signature = "v1=<hex>[,v1=<hex>...]", one entry
 * per active secret, each hex HMAC-SHA256(subscription secret, body); any
 * one matching accepts.  No timestamp: deduplication (id and signed
 * bytes) stops replays.  Id X-Webhook-Id (repeated on every attempt);
 * event the body's "event.event_type" ("incident.triggered").
 * Ref: PagerDuty/developer-docs docs/webhooks/04-Signatures.md ("Verifying
 * Signatures"), 01-Overview.md (headers, payload).
 */
#include "serve.h"

const struct provider provider_pagerduty = {
	.name = "pagerduty",
	.scheme = {
		.header = "X-PagerDuty-Signature",
		.format = SIG_ITEMS,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.item_sep = ',',
		.key_sep = '=',
		.sig_key = "v1",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .header = "X-Webhook-Id" },
	.event = { .field = "event.event_type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_pagerduty, argc, argv);
}
#endif
