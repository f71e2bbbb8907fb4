/*
 * Zoom webhooks (meetings, webinars, recordings, phone, ...).
 * Signature: x-zm-signature = "v0=" + hex HMAC-SHA256(secret token,
 * "v0:" + x-zm-request-timestamp + ":" + body), Slack's layout.  No
 * delivery id: the body's digest is the id (its event_ts makes it one
 * per event), so a retry or a replay is a duplicate.  Event: "event".
 * Window: Zoom names none; it retries 5, 25 and 85 minutes after the
 * first attempt (Zoom Developer Support, "Webhook delays"), not said to
 * be signed anew, so 2 h; a replay inside it is a duplicate anyway.
 *
 * endpoint.url_validation (sent when the URL is saved, then every 72
 * hours) is signed like any event; once verified it is answered 200
 * {"plainToken":P,"encryptedToken":hex HMAC-SHA256(secret token, P)}
 * with the secret that verified it, logged and not queued.
 * Ref: Zoom Developer docs, "Using webhooks": "Verify webhook events",
 * "Validate your webhook endpoint"
 * (https://developers.zoom.us/docs/api/webhooks/).
 */
#include <string.h>

#include "json.h"
#include "serve.h"

static int
zoom_hook(const struct request *req, struct delivery *d)
{
	const struct json_doc	*doc;
	struct buf		 plain, mac;
	int			 rc = -1;

	(void)req;
	if (strcmp(d->event.data != NULL ? d->event.data : "",
	    "endpoint.url_validation") != 0)
		return 0;
	if ((doc = delivery_json(d)) == NULL)
		return -1;
	buf_init(&plain, 1024);
	buf_init(&mac, 65);
	if (json_get(doc, "payload.plainToken", &plain) != 1 ||
	    plain.len == 0)
		d->reason = "endpoint.url_validation without"
		    " payload.plainToken";
	else if (delivery_mac_hex(d, plain.data, plain.len, &mac) == -1)
		d->reason = "cannot compute encryptedToken";
	else {
		d->handshake = 1;
		buf_addc(&d->hs_body, '{');
		json_add_kv(&d->hs_body, 1, "plainToken", plain.data,
		    plain.len);
		json_add_kv(&d->hs_body, 0, "encryptedToken", mac.data,
		    mac.len);
		buf_adds(&d->hs_body, "}\n");
		rc = 0;
	}
	buf_release(&plain);
	buf_release(&mac);
	return rc;
}

const struct provider provider_zoom = {
	.name = "zoom",
	.scheme = {
		.header = "x-zm-signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA256,
		.encoding = ENC_HEX,
		.prefix = "v0=",
		.ts_header = "x-zm-request-timestamp",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_LITERAL, "v0:" },
			{ PART_TIMESTAMP, NULL },
			{ PART_LITERAL, ":" },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 7200,
	.id = { .digest = 1 },
	.event = { .field = "event" },
	.hook = zoom_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_zoom, argc, argv);
}
#endif
