// Svix against the svix library (svix-* headers).
import { Webhook } from 'svix';
import { familyTests } from './stdwh.mjs';
import * as h from './lib.mjs';

familyTests({
	name: 'svix',
	prefix: 'svix',
	body: (id) => JSON.stringify({ type: 'order.created', data: { order: id } }),
	verify: (hd, body) => new Webhook(h.conf('svix', 'secret')).verify(body, hd),
	sign: (secret, id, ts, body) => new Webhook(secret).sign(id, new Date(ts * 1000), body),
});
