/*
 * Square webhooks.
 * Signature: x-square-hmacsha256-signature = base64 HMAC-SHA256(the
 * subscription's signature key, notification URL + raw body).  The URL
 * is the one in the subscription, byte for byte: set public_url, or it
 * is rebuilt from the request (verify_url).  The legacy SHA-1 header
 * x-square-signature is never tried.  Square signs no timestamp and
 * retries for up to 24 hours: deduplication on event_id stops replays.
 * Id: body event_id; event: body type.
 * Ref: Square docs "Validate webhook notifications" (Webhooks overview);
 * square/square-python-sdk tests/utilities/test_webhooks_helper.py.
 */
#include "serve.h"

const struct provider provider_square = {
	.name = "square",
	.scheme = {
		.header = "X-Square-HmacSha256-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_BASE64,
		.payload = {
			{ PART_URL, NULL },
			{ PART_BODY, NULL },
		},
	},
	.id = { .field = "event_id" },
	.event = { .field = "type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_square, argc, argv);
}
#endif
