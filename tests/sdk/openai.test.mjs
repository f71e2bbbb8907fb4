// OpenAI against the openai package's webhooks.unwrap.  The SDK cannot
// sign; its verify code (src/resources/webhooks.ts) is HMAC-SHA256 over
// id.timestamp.body keyed with the base64 bytes after whsec_, which is
// what the standardwebhooks library's sign computes.
import assert from 'node:assert/strict';
import test from 'node:test';
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { familyTests } from './stdwh.mjs';
import * as h from './lib.mjs';

const client = () => new OpenAI({ apiKey: 'sk-unused-no-request-is-made',
	webhookSecret: h.conf('openai', 'secret') });

familyTests({
	name: 'openai',
	prefix: 'webhook',
	body: (id) => JSON.stringify({ id: `evt_${id}`, object: 'event',
		created_at: h.nowSeconds(), type: 'response.completed',
		data: { id: 'resp_123' } }),
	verify: (hd, body) => client().webhooks.unwrap(body, hd),
	sign: (secret, id, ts, body) => new Webhook(secret).sign(id, new Date(ts * 1000), body),
});

test('openai: the SDKs\' shared test vector; webhookctl signs it alike', async () => {
	// openai/openai-python tests/api_resources/test_webhooks.py (also in
	// the Node, Go, Java and Ruby SDKs' tests); openai.conf holds its secret.
	const body = '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1750861210, "type": "response.completed", "data": {"id": "resp_123"}}';
	const want = 'v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=';
	const hd = { 'webhook-id': 'wh_685c059ae39c8190af8c71ed1022a24d',
		'webhook-timestamp': '1750861210', 'webhook-signature': want };
	await client().webhooks.verifySignature(body, hd, undefined,
	    Math.floor(Date.now() / 1000) - 1750861210 + 60);
	const out = h.ctlSign('openai', body, { id: hd['webhook-id'],
		timestamp: 1750861210 });
	assert.equal(h.header(out, 'webhook-signature'), want);
	// Long stale: the receiver says so.
	h.expectRejected(await h.post('openai', hd, body), 'openai');
	assert.match(h.lastLog('openai').reason, /tolerance/);
});
