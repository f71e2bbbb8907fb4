// Resend against the resend package's webhooks.verify.  Resend cannot
// sign; it delivers through Svix, and its verify is svix's, so the other
// direction is signed with the svix library.
import { Resend } from 'resend';
import { Webhook } from 'svix';
import { familyTests } from './stdwh.mjs';
import * as h from './lib.mjs';

const resend = new Resend('re_unused_no_request_is_made');

familyTests({
	name: 'resend',
	prefix: 'svix',
	body: (id) => JSON.stringify({ type: 'email.delivered',
		created_at: new Date().toISOString(), data: { email_id: id,
			to: ['delivered@resend.dev'], subject: 'Sending this example' } }),
	verify: (hd, body) => resend.webhooks.verify({ payload: body,
		headers: { id: hd['svix-id'], timestamp: hd['svix-timestamp'],
			signature: hd['svix-signature'] },
		webhookSecret: h.conf('resend', 'secret') }),
	sign: (secret, id, ts, body) => new Webhook(secret).sign(id, new Date(ts * 1000), body),
});
