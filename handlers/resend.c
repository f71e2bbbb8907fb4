/*
 * Resend webhooks, delivered by Svix: svix-id, svix-timestamp,
 * svix-signature, the signing secret "whsec_..." from the webhook's
 * page; events "email.sent", "email.delivered", ... in "type".
 * Ref: Resend docs, "Verify Webhooks Requests"; resend-node
 * src/webhooks/webhooks.ts.
 */
#include "standardwebhooks.h"

const struct provider provider_resend =
    STANDARD_WEBHOOKS_PROVIDER("resend", "svix", SECRET_WHSEC);

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_resend, argc, argv);
}
#endif
