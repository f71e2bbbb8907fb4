/*
 * Linear webhooks.
 * Signature: Linear-Signature = hex HMAC-SHA256(signing secret, body).
 * The time is the body's "webhookTimestamp" (Unix ms), signed with the
 * body; the SDK refuses more than 60 s either way, and so do we (whole
 * seconds here).  Id Linear-Delivery (a UUID per delivery); event the
 * body's "type" ("Issue").
 * Ref: linear/linear packages/sdk/src/webhooks/client.ts
 * (LINEAR_WEBHOOK_SIGNATURE_HEADER, LINEAR_WEBHOOK_TS_FIELD, verify():
 * timeDiff > 1000 * 60); Linear developers "Webhooks" (securing webhooks).
 */
#include "serve.h"

const struct provider provider_linear = {
	.name = "linear",
	.scheme = {
		.header = "Linear-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.ts_field = "webhookTimestamp",
		.ts_format = TS_UNIX_MS,
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 60,
	.id = { .header = "Linear-Delivery" },
	.event = { .field = "type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_linear, argc, argv);
}
#endif
