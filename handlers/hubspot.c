/*
 * HubSpot webhooks, signature v3.
 * Signature: X-HubSpot-Signature-v3 = base64 HMAC-SHA256(the app's
 * client secret, method + URI + raw body + X-HubSpot-Request-Timestamp),
 * where the URI is the full URL the request went to (public_url, or
 * rebuilt from the request) with the escapes %3A %2F %3F %40 %21 %24 %27
 * %28 %29 %2A %2C %3B decoded (parse_url_hubspot).  The timestamp is in
 * milliseconds; HubSpot says to reject requests older than 5 minutes,
 * hence a tolerance of 300 s.  The v1/v2 X-HubSpot-Signature is never
 * tried.
 * The body is a JSON array of events: a batch is one delivery, its id
 * the body's digest, its event the first event's subscriptionType.
 * Ref: HubSpot developer docs "Validating requests" (Validate the v3
 * request signature).
 */
#include "serve.h"

const struct provider provider_hubspot = {
	.name = "hubspot",
	.scheme = {
		.header = "X-HubSpot-Signature-v3",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_BASE64,
		.ts_header = "X-HubSpot-Request-Timestamp",
		.ts_format = TS_UNIX_MS,
		.payload = {
			{ PART_METHOD, NULL },
			{ PART_URL, NULL },
			{ PART_BODY, NULL },
			{ PART_TIMESTAMP, NULL },
		},
		.url_hubspot = 1,
	},
	.tolerance = 300,
	.id = { .digest = 1 },
	.event = { .field = "0.subscriptionType" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_hubspot, argc, argv);
}
#endif
