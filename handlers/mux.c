/*
 * Mux webhooks.
 * Signature: Mux-Signature = "t=<unix>,v1=<hex>[,v1=...]", each v1 a hex
 * HMAC-SHA256(signing secret, t "." body); other schemes are ignored.
 * Tolerance 300 s, the SDK's DEFAULT_TOLERANCE (it checks age only; we
 * check both ways).  Id the body's "id"; event "type"
 * ("video.asset.ready").  Not Standard Webhooks despite the look.
 * Ref: muxinc/mux-node-sdk src/webhooks/resources/verify_header.ts;
 * Mux docs "Verify webhook signatures".
 */
#include "serve.h"

const struct provider provider_mux = {
	.name = "mux",
	.scheme = {
		.header = "Mux-Signature",
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
	return serve(&provider_mux, argc, argv);
}
#endif
