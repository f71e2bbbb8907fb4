/*
 * Trello webhooks.
 * Signature: X-Trello-Webhook = base64 HMAC-SHA1(the application's
 * secret, raw body + callback URL), the callbackURL given when the
 * webhook was created: set public_url to it, or it is rebuilt from the
 * request (verify_url).  Trello signs no timestamp; deduplication on the
 * action id stops replays.
 * Trello checks the callback URL with a HEAD request when the webhook
 * is created, and creation fails unless it gets a 200: answered empty,
 * unsigned (Trello signs nothing there), logged, never queued.
 * Id: body action.id; event: action.type ("updateCard").
 * Ref: Trello developer docs "Webhooks" (Webhook Signatures; Creating a
 * Webhook: the HEAD request).
 */
#include "serve.h"

const struct provider provider_trello = {
	.name = "trello",
	.scheme = {
		.header = "X-Trello-Webhook",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA1,
		.encoding = ENC_BASE64,
		.payload = {
			{ PART_BODY, NULL },
			{ PART_URL, NULL },
		},
	},
	.id = { .field = "action.id" },
	.event = { .field = "action.type" },
	.head_ok = 1,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_trello, argc, argv);
}
#endif
