/*
 * Standard Webhooks (standardwebhooks.com): any sender that follows the
 * spec.  webhook-id, webhook-timestamp, webhook-signature; the scheme is
 * in standardwebhooks.h.  The secret is "whsec_" + base64 (the prefix
 * optional, as the reference libraries take it), decoded to the key.
 * Ref: standard-webhooks/standard-webhooks spec/standard-webhooks.md.
 */
#include "standardwebhooks.h"

const struct provider provider_standardwebhooks =
    STANDARD_WEBHOOKS_PROVIDER("standardwebhooks", "webhook", SECRET_WHSEC);

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_standardwebhooks, argc, argv);
}
#endif
