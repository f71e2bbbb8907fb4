/*
 * Zendesk webhooks.
 * Signature: X-Zendesk-Webhook-Signature = base64 HMAC-SHA256(secret,
 * timestamp + body), no separator, with the timestamp exactly as sent in
 * X-Zendesk-Webhook-Signature-Timestamp (ISO-8601).  The secret looks
 * like base64 but is used as typed.  Zendesk documents no freshness
 * window, but the timestamp is signed and the invocation id is not, so
 * the window is the only defence against a replay under a new id: 300 s
 * by default, as Slack and Standard Webhooks (issue 12); an endpoint
 * may set tolerance.
 * Id X-Zendesk-Webhook-Invocation-Id; event from the JSON "type" of event
 * subscriptions (trigger payloads are free-form and may have none).
 * Ref: Zendesk developer docs, "Verifying webhook authenticity".
 */
#include "serve.h"

const struct provider provider_zendesk = {
	.name = "zendesk",
	.scheme = {
		.header = "X-Zendesk-Webhook-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_BASE64,
		.ts_header = "X-Zendesk-Webhook-Signature-Timestamp",
		.ts_format = TS_ISO8601,
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 300,
	.id = { .header = "X-Zendesk-Webhook-Invocation-Id" },
	.event = { .field = "type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_zendesk, argc, argv);
}
#endif
