/*
 * Shopify webhooks (HTTPS deliveries).
 * Signature: X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256(app client secret,
 * body); the secret is used as typed.  No timestamp is signed, and a
 * retry carries the original payload and signature, so replays are
 * stopped by deduplication: the id (X-Shopify-Webhook-Id, kept on
 * retries) and the signed bytes.  Event X-Shopify-Topic ("orders/create").
 * Ref: shopify.dev "Deliver webhooks through HTTPS" (verify the webhook);
 * Shopify/shopify-api-js packages/shopify-api/lib/webhooks/validate.ts
 * and __tests__/validate.test.ts (apiSecretKey test_secret_key, body
 * {"foo": "bar"} -> B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=).
 */
#include "serve.h"

const struct provider provider_shopify = {
	.name = "shopify",
	.scheme = {
		.header = "X-Shopify-Hmac-Sha256",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_BASE64,
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .header = "X-Shopify-Webhook-Id" },
	.event = { .header = "X-Shopify-Topic" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_shopify, argc, argv);
}
#endif
