/*
 * GitLab webhooks.
 * No signature: X-Gitlab-Token carries the configured secret token in
 * clear, compared here in constant time (on digests, so its length is
 * not leaked either) and redacted from every log.  Nothing binds the
 * body, so the token is the whole defence: serve it over HTTPS only.
 * Id Idempotency-Key (GitLab 17.4+, the same on retries and manual
 * resends), else X-Gitlab-Event-UUID on older instances; event
 * X-Gitlab-Event ("Push Hook").  No timestamp.  A token signs no bytes,
 * so only the id deduplicates.
 * Ref: GitLab docs "Webhooks" (delivery headers, "Validate payloads by
 * using a secret token"); gitlab-org/gitlab MR 160952 (Idempotency-Key).
 */
#include "serve.h"

const struct provider provider_gitlab = {
	.name = "gitlab",
	.scheme = {
		.header = "X-Gitlab-Token",
		.format = SIG_TOKEN,
		.alg = HMAC_SHA256,
	},
	.tolerance = 0,
	.id = { .header = "Idempotency-Key",
	    .alt_header = "X-Gitlab-Event-UUID" },
	.event = { .header = "X-Gitlab-Event" },
	.extra_redact = "X-Gitlab-Token",
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_gitlab, argc, argv);
}
#endif
