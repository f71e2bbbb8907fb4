/*
 * Paddle Billing notifications.
 * Signature: Paddle-Signature = "ts=<unix>;h1=<hex>[;h1=...]", each h1 a
 * hex HMAC-SHA256(endpoint secret key, ts ":" body), the pdl_ntfset_
 * secret used verbatim.  Every h1 is tried (secret rotation; the Node SDK
 * keeps only the last), other keys (h2) never.  Tolerance 5 s, as the
 * SDKs (they reject now > ts + 5); we check both ways.
 * Id the body's "event_id" (evt_...); event "event_type".
 * Ref: Paddle developer docs "Verify webhook signatures";
 * PaddleHQ/paddle-node-sdk src/notifications/helpers/webhooks-validator.ts
 * and src/__tests__/notifications/webhooks-validator.node.test.ts.
 */
#include "serve.h"

const struct provider provider_paddle = {
	.name = "paddle",
	.scheme = {
		.header = "Paddle-Signature",
		.format = SIG_ITEMS,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.item_sep = ';',
		.key_sep = '=',
		.sig_key = "h1",
		.ts_key = "ts",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_LITERAL, ":" },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 5,
	.id = { .field = "event_id" },
	.event = { .field = "event_type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_paddle, argc, argv);
}
#endif
