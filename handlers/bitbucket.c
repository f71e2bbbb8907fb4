/*
 * Bitbucket Cloud webhooks (with a secret, since 2023).
 * Signature: X-Hub-Signature = "sha256=" + hex HMAC-SHA256(secret, body):
 * GitHub's SHA-1 header name with a SHA-256 value.  No timestamp:
 * deduplication (id and signed bytes) stops replays.
 * Id X-Request-UUID (Cloud), else X-Request-Id (Data Center, same
 * signature format); event X-Event-Key ("repo:push").
 * Ref: Atlassian support "Manage webhooks" (secure webhooks) and "Event
 * payloads" (HTTP headers); Bitbucket Data Center "Event payload".
 */
#include "serve.h"

const struct provider provider_bitbucket = {
	.name = "bitbucket",
	.scheme = {
		.header = "X-Hub-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "sha256=",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .header = "X-Request-UUID", .alt_header = "X-Request-Id" },
	.event = { .header = "X-Event-Key" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_bitbucket, argc, argv);
}
#endif
