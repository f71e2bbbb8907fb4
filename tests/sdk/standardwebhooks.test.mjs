// Standard Webhooks against the spec's reference library, standardwebhooks.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Webhook } from 'standardwebhooks';
import { familyTests } from './stdwh.mjs';
import * as h from './lib.mjs';

familyTests({
	name: 'standardwebhooks',
	prefix: 'webhook',
	body: (id) => JSON.stringify({ type: 'invoice.paid', timestamp: new Date().toISOString(),
		data: { id, amount: 1250 } }),
	verify: (hd, body) => new Webhook(h.conf('standardwebhooks', 'secret')).verify(body, hd),
	sign: (secret, id, ts, body) => new Webhook(secret).sign(id, new Date(ts * 1000), body),
});

test('standardwebhooks: the library\'s sign example; webhookctl signs it alike', () => {
	// standard-webhooks libraries/javascript/src/webhook.test.ts, "sign
	// function works"; standardwebhooks.conf holds its secret.
	const want = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
	const body = '{"test": 2432232314}';
	assert.equal(new Webhook(h.conf('standardwebhooks', 'secret'))
	    .sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), body), want);
	const out = h.ctlSign('standardwebhooks', body,
	    { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330 });
	assert.equal(h.header(out, 'webhook-signature'), want);
});
