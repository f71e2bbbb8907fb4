/*
 * OpenAI webhooks: Standard Webhooks headers webhook-id,
 * webhook-timestamp, webhook-signature, the secret "whsec_..." from the
 * dashboard.  As the openai library does, a secret without the whsec_
 * prefix is used as its UTF-8 text rather than base64-decoded.  Events
 * ("response.completed", "batch.completed", ...) are the body's "type".
 * Ref: OpenAI docs, "Webhooks"; openai/openai-node
 * src/resources/webhooks.ts (verifySignature, tolerance 300).
 */
#include "standardwebhooks.h"

const struct provider provider_openai =
    STANDARD_WEBHOOKS_PROVIDER("openai", "webhook", SECRET_WHSEC_OR_TEXT);

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_openai, argc, argv);
}
#endif
