/*
 * Dropbox webhooks (file changes of the app's users).
 * Signature: X-Dropbox-Signature = hex HMAC-SHA256(app secret, body),
 * no prefix.  No delivery id and no timestamp: the id is the body's
 * digest, so a replay is a duplicate.  Notifications only say which
 * accounts changed ({"list_folder":{"accounts":[...]}}), so the event
 * is "list_folder" when that object is there.
 *
 * Verification request: GET ?challenge=C, answered 200 with exactly C,
 * Content-Type text/plain and X-Content-Type-Options: nosniff, as the
 * docs ask (the echo is unsigned: it proves only that we answer).
 * Ref: Dropbox for Developers, "Webhooks" reference, "Verification
 * request" and "Receiving notifications"
 * (https://www.dropbox.com/developers/reference/webhooks).
 */
#include "json.h"
#include "serve.h"

static int
member(void *arg, const char *k, const char *v, size_t len)
{
	(void)arg, (void)k, (void)v, (void)len;
	return 0;
}

static int
dropbox_hook(const struct request *req, struct delivery *d)
{
	const struct json_doc	*doc;

	(void)req;
	if ((doc = delivery_json(d)) != NULL &&
	    json_members(doc, "list_folder", member, NULL) == 0) {
		buf_reset(&d->event);
		buf_adds(&d->event, "list_folder");
	}
	return 0;
}

const struct provider provider_dropbox = {
	.name = "dropbox",
	.scheme = {
		.header = "X-Dropbox-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.payload = { { PART_BODY, NULL } },
	},
	.tolerance = 0,
	.id = { .digest = 1 },
	.hook = dropbox_hook,
	.get = { .challenge = "challenge" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_dropbox, argc, argv);
}
#endif
