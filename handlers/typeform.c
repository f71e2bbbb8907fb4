/*
 * Typeform webhooks.
 * Signature: Typeform-Signature = "sha256=" + base64 HMAC-SHA256(secret,
 * body): base64, not hex, despite the GitHub-like prefix.  Sent only
 * when the webhook has a secret.  No timestamp: deduplication (id and
 * signed bytes) stops replays.  Id the body's "event_id"; event
 * "event_type" ("form_response").
 * Ref: Typeform developer docs "Secure your webhooks" (validate payload
 * from Typeform).
 */
#include "serve.h"

const struct provider provider_typeform = {
	.name = "typeform",
	.scheme = {
		.header = "Typeform-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_BASE64,
		.prefix = "sha256=",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .field = "event_id" },
	.event = { .field = "event_type" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_typeform, argc, argv);
}
#endif
