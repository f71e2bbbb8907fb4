/*
 * Clerk webhooks, delivered by Svix: svix-id, svix-timestamp,
 * svix-signature, the signing secret "whsec_..." from the Clerk
 * Dashboard; events "user.created" etc. in the body's "type".
 * Ref: Clerk docs, "Webhooks overview" and "Sync data"
 * (verifyWebhook from @clerk/backend, built on svix).
 */
#include "standardwebhooks.h"

const struct provider provider_clerk =
    STANDARD_WEBHOOKS_PROVIDER("clerk", "svix", SECRET_WHSEC);

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_clerk, argc, argv);
}
#endif
