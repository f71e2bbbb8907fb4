/*
 * GitHub webhooks.
 * Signature: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(secret,
 * body); the legacy X-Hub-Signature ("sha1=") only with allow_sha1 and
 * only when the SHA-256 header is absent, so it cannot be downgraded to.
 * Id X-GitHub-Delivery (kept on redelivery), event X-GitHub-Event.
 * No timestamp: replays are stopped by deduplication.
 * Ref: GitHub Docs, "Validating webhook deliveries"; "Webhook events and
 * payloads", delivery headers.
 */
#include "serve.h"

const struct provider provider_github = {
	.name = "github",
	.scheme = {
		.header = "X-Hub-Signature-256",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "sha256=",
		.payload = { { PART_BODY, NULL } },
	},
	.legacy = {
		.header = "X-Hub-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA1,
		.encoding = ENC_HEX,
		.prefix = "sha1=",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .header = "X-GitHub-Delivery" },
	.event = { .header = "X-GitHub-Event" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_github, argc, argv);
}
#endif
