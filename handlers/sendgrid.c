/*
 * Twilio SendGrid Event Webhook, signed.
 * Signature: X-Twilio-Email-Event-Webhook-Signature = base64 of an ASN.1
 * DER ECDSA P-256/SHA-256 signature of X-Twilio-Email-Event-Webhook-
 * Timestamp + raw body (nothing in between; the body's final CRLF is
 * signed too), verified with the public key from Mail Settings > Signed
 * Event Webhook Requests (public_key = that base64 DER text).
 * SendGrid documents no timestamp window; the house default of 300 s
 * applies because the timestamp is signed.
 * The body is a JSON array of events, each with its own sg_event_id:
 * a batch is one delivery, identified by the body's digest (a retried
 * batch is the same bytes), and its event is the first event's "event".
 * Ref: SendGrid docs "Getting Started with the Event Webhook Security
 * Features"; sendgrid/sendgrid-python sendgrid/helpers/eventwebhook and
 * test/unit/test_eventwebhook.py (the vector in tests/vectors/sendgrid).
 */
#include "serve.h"

const struct provider provider_sendgrid = {
	.name = "sendgrid",
	.scheme = {
		.header = "X-Twilio-Email-Event-Webhook-Signature",
		.format = SIG_PLAIN,
		.pk = HMAC_PK_P256,
		.encoding = ENC_BASE64,
		.ts_header = "X-Twilio-Email-Event-Webhook-Timestamp",
		.ts_format = TS_UNIX,
		.payload = {
			{ PART_TIMESTAMP, NULL },
			{ PART_BODY, NULL },
		},
	},
	.tolerance = 300,
	.id = { .digest = 1 },
	.event = { .field = "0.event" },
};

/* Built a second time without main() for webhookctl's provider table. */
#ifndef PROVIDER_ONLY
int
main(int argc, char **argv)
{
	return serve(&provider_sendgrid, argc, argv);
}
#endif
