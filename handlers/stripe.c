/*
 * Stripe webhooks.
 * Signature: Stripe-Signature = "t=<unix>,v1=<hex>[,v1=...]"; every v1 is
 * HMAC-SHA256(secret, t "." body) with the whsec_ secret used verbatim.
 * Several v1 appear while a secret is rolled; v0 and other schemes are
 * ignored, never tried.  Tolerance 300 s, as the official libraries.
 * Id and type come from the event JSON ("id": "evt_...", "type").
 * Ref: stripe/stripe-python stripe/_webhook.py; Stripe docs "Check the
 * webhook signatures".
 */
#include "serve.h"

const struct provider provider_stripe = {
	.name = "stripe",
	.scheme = {
		.header = "Stripe-Signature",
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
	.tolerance = 300,
	.id = { .field = "id" },
	.event = { .field = "type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_stripe, argc, argv);
}
#endif
