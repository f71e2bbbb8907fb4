/*
 * Svix (and any sender built on it): svix-id, svix-timestamp,
 * svix-signature; the Standard Webhooks scheme of standardwebhooks.h
 * under the svix- header names, whsec_ secrets decoded.
 * Ref: Svix docs, "Verifying Webhooks Manually"; svix/svix-webhooks
 * javascript/src/webhook.ts.
 */
#include "standardwebhooks.h"

const struct provider provider_svix =
    STANDARD_WEBHOOKS_PROVIDER("svix", "svix", SECRET_WHSEC);

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_svix, argc, argv);
}
#endif
