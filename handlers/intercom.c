/*
 * Intercom webhooks.
 * Signature: X-Hub-Signature = "sha1=" + hex HMAC-SHA1(app client_secret,
 * body).  SHA-1 is all Intercom offers.  No timestamp: deduplication
 * (id and signed bytes) stops replays.  Id the body's "id" (notif_...);
 * event "topic" ("conversation.user.created"; "ping" on setup, queued
 * like any other).
 * Ref: Intercom developer docs "Webhooks" (signed notifications,
 * X-Hub-Signature), "Delivering webhook notifications".
 */
#include "serve.h"

const struct provider provider_intercom = {
	.name = "intercom",
	.scheme = {
		.header = "X-Hub-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA1,
		.encoding = ENC_HEX,
		.prefix = "sha1=",
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .field = "id" },
	.event = { .field = "topic" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_intercom, argc, argv);
}
#endif
