// Clerk delivers through Svix and documents verifying with the svix
// library (Clerk docs, "Webhooks overview"); there is no Clerk package
// in the harness, svix is what @clerk/backend's verifyWebhook wraps.
import { Webhook } from 'svix';
import { familyTests } from './stdwh.mjs';
import * as h from './lib.mjs';

familyTests({
	name: 'clerk',
	prefix: 'svix',
	body: (id) => JSON.stringify({ data: { id: `user_${id}`, object: 'user',
		first_name: 'Example' }, object: 'event', type: 'user.created',
		timestamp: Date.now() }),
	verify: (hd, body) => new Webhook(h.conf('clerk', 'secret')).verify(body, hd),
	sign: (secret, id, ts, body) => new Webhook(secret).sign(id, new Date(ts * 1000), body),
});
