/*
 * Discord interactions (the "Interactions Endpoint URL").
 * Signature: X-Signature-Ed25519 = hex Ed25519 signature, by Discord's
 * private key, of X-Signature-Timestamp + raw body, nothing in between;
 * verified with the application's public key from the Developer Portal
 * (public_key = its 64 hex digits).  Every failure is 401: Discord sends
 * deliberately bad signatures and drops endpoints that accept them.
 * Discord documents no timestamp window and its libraries check none;
 * the house default of 300 s applies because the timestamp is signed
 * (an interaction must be answered within 3 s anyway).
 * PING (type 1) is answered 200 {"type":1} as application/json once
 * verified, logged and never queued.  Other interactions are queued and
 * acknowledged 200; a bot that must answer with content in the 3 s
 * window needs a synchronous responder, which this is not.
 * Id: the interaction "id"; event: the type's name (APPLICATION_COMMAND).
 * XXX Discord's separate "webhook events" endpoint (envelope without
 * an id, PING type 0 answered 204) is not served here.
 * Ref: Discord docs "Interactions: Receiving and Responding" (security
 * and authorization; interaction types); discord/discord-interactions-js
 * src/index.ts verifyKey.
 */
#include <string.h>

#include "json.h"
#include "serve.h"

/* Interaction types, Discord docs "Interaction Type". */
static const char *const type_names[] = {
	NULL, "PING", "APPLICATION_COMMAND", "MESSAGE_COMPONENT",
	"APPLICATION_COMMAND_AUTOCOMPLETE", "MODAL_SUBMIT",
};

static int
discord_hook(const struct request *req, struct delivery *d)
{
	size_t	 i;

	(void)req;
	for (i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (d->event.len == 1 && d->event.data[0] == (char)('0' + i))
			break;
	if (i == sizeof(type_names) / sizeof(type_names[0]))
		return 0;
	buf_reset(&d->event);
	buf_adds(&d->event, type_names[i]);
	if (i == 1) {
		d->handshake = 1;
		d->hs_type = "application/json";
		buf_adds(&d->hs_body, "{\"type\":1}");
	}
	return 0;
}

const struct provider provider_discord = {
	.name = "discord",
	.scheme = {
		.header = "X-Signature-Ed25519",
		.format = SIG_PLAIN,
		.pk = HMAC_PK_ED25519,
		.encoding = ENC_HEX,
		.ts_header = "X-Signature-Timestamp",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 300,
	.id = { .field = "id" },
	.event = { .field = "type" },
	.hook = discord_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_discord, argc, argv);
}
#endif
