/*
 * The Standard Webhooks scheme, shared by the thin descriptors of
 * standardwebhooks.c, svix.c, clerk.c, resend.c and openai.c.
 *
 * Headers <P>-id, <P>-timestamp, <P>-signature, where <P> is "webhook"
 * (the spec, OpenAI) or "svix" (Svix, Clerk, Resend).  The signature
 * header holds space-separated "v1,<base64>" entries (several while a
 * secret is rotated); entries of other versions ("v1a," Ed25519) are
 * ignored, never tried.  Each v1 is base64 HMAC-SHA256 over
 * id "." timestamp "." body, keyed with the base64-decoded bytes of the
 * "whsec_" secret.  Timestamps are Unix seconds, 300 s both ways: the
 * reference libraries' WEBHOOK_TOLERANCE_IN_SECONDS = 5 * 60.
 * Ref: standard-webhooks/standard-webhooks spec/standard-webhooks.md,
 * "Verifying webhook authenticity"; libraries/javascript/src/index.ts;
 * Svix docs "Verifying Webhooks Manually".
 */
#ifndef STANDARDWEBHOOKS_H
#define STANDARDWEBHOOKS_H

#include "serve.h"

#define STANDARD_WEBHOOKS_TOLERANCE	300

/* The scheme under header prefix P ("webhook" or "svix"). */
#define STANDARD_WEBHOOKS_SCHEME(P, FORM) {				\
	.header = P "-signature",					\
	.format = SIG_ITEMS,						\
	.alg = HMAC_SHA256,						\
	.encoding = ENC_BASE64,						\
	.item_sep = ' ',						\
	.key_sep = ',',							\
	.sig_key = "v1",						\
	.ts_header = P "-timestamp",					\
	.ts_format = TS_UNIX,						\
	.secret_form = FORM,						\
	.payload = {							\
		{ PART_HEADER, P "-id" },				\
		{ PART_LITERAL, "." },					\
		{ PART_TIMESTAMP, NULL },				\
		{ PART_LITERAL, "." },					\
		{ PART_BODY, NULL },					\
	},								\
}

/*
 * A whole descriptor: the signed id is the delivery id, the event the
 * body's "type" (the spec's payload structure; Clerk, Resend and OpenAI
 * events all carry it).
 */
#define STANDARD_WEBHOOKS_PROVIDER(NAME, P, FORM) {			\
	.name = NAME,							\
	.scheme = STANDARD_WEBHOOKS_SCHEME(P, FORM),			\
	.tolerance = STANDARD_WEBHOOKS_TOLERANCE,			\
	.id = { .header = P "-id" },					\
	.event = { .field = "type" },					\
}

#endif /* STANDARDWEBHOOKS_H */
