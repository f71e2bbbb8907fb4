/*
 * Meta webhooks: WhatsApp Business, Messenger, Instagram (Graph API).
 * Signature: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(app
 * secret, body), the payload exactly as sent (Meta escapes non-ASCII
 * as \uXXXX: never re-encode it).  No delivery id and no timestamp:
 * the id is the body's digest, so a replay is a duplicate.  The event
 * is the body's "object" (whatsapp_business_account, page, instagram).
 *
 * Verification request: GET ?hub.mode=subscribe&hub.verify_token=T&
 * hub.challenge=C, answered 200 with exactly C as text/plain when T
 * equals the endpoint's verify_token (compared in constant time), 403
 * otherwise.  Meta does not sign it: the token is the proof.
 * Ref: Meta for Developers, Graph API "Webhooks: Getting Started",
 * sections "Verification Requests" and "Validating Payloads"
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 */
#include "serve.h"

const struct provider provider_meta = {
	.name = "meta",
	.scheme = {
		.header = "X-Hub-Signature-256",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "sha256=",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .digest = 1 },
	.event = { .field = "object" },
	.get = {
		.challenge = "hub.challenge",
		.mode = "hub.mode",
		.mode_value = "subscribe",
		.token = "hub.verify_token",
	},
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_meta, argc, argv);
}
#endif
