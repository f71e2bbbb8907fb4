/*
 * Twilio webhooks (Messaging, Voice and other status callbacks).
 * Signature: X-Twilio-Signature = base64 HMAC-SHA1(the auth token, the
 * full URL Twilio requested + for a form body every POST parameter,
 * decoded, sorted by name, as name + value with nothing between).  A
 * JSON body is not signed as such: Twilio appends bodySHA256=<hex
 * SHA-256 of the body> to the URL and signs the URL alone, so both the
 * signature and that digest are checked.  The URL is public_url (its
 * query replaced by the request's, where bodySHA256 arrives), or rebuilt
 * from the request.  Twilio is inconsistent about ports: as its SDKs do,
 * the URL is also tried without its port and with the default port.
 * Twilio signs no timestamp: deduplication stops replays.
 * Id: the I-Twilio-Idempotency-Token header, else the body's digest;
 * event: the callback's status field (MessageStatus, CallStatus ...).
 * Ref: Twilio docs "Webhooks security" (Validating signatures from
 * Twilio); twilio/twilio-python twilio/request_validator.py and
 * tests/unit/test_request_validator.py.
 */
#include <strings.h>

#include "parse.h"
#include "serve.h"

/* The status field of a form callback, first found, as the event. */
static int
twilio_hook(const struct request *req, struct delivery *d)
{
	static const char *const fields[] = {
		"MessageStatus", "SmsStatus", "CallStatus", "EventType",
	};
	size_t	 i;

	if (req->content_type == NULL || strncasecmp(req->content_type,
	    "application/x-www-form-urlencoded", 33) != 0 || d->event.len > 0)
		return 0;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		buf_reset(&d->event);
		if (parse_form_field(req->body.data, req->body.len, fields[i],
		    &d->event) == 1 && d->event.len > 0)
			return 0;
	}
	buf_reset(&d->event);
	return 0;
}

const struct provider provider_twilio = {
	.name = "twilio",
	.scheme = {
		.header = "X-Twilio-Signature",
		.format = SIG_PLAIN,
		.alg = HMAC_SHA1,
		.encoding = ENC_BASE64,
		.payload = {
			{ PART_URL, NULL },
			{ PART_PARAMS, NULL },
		},
		.url_ports = 1,
		.body_digest_param = "bodySHA256",
	},
	.id = { .header = "I-Twilio-Idempotency-Token", .digest = 1 },
	.event = { .field = "type" },
	.hook = twilio_hook,
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_twilio, argc, argv);
}
#endif
