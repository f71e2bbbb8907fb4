// Shopify against @shopify/shopify-api: shopify.webhooks.validate checks
// the HMAC and the required headers (tests/sdk/README.md has the
// convention).  The SDK cannot sign a webhook: the receiver's side signs
// as validate reads (base64 HMAC-SHA256 of the body), and validate is
// shown to accept that very request.
import assert from 'node:assert/strict';
import test from 'node:test';
import '@shopify/shopify-api/adapters/node';
import { shopifyApi, ApiVersion, LogSeverity } from '@shopify/shopify-api';
import * as h from './lib.mjs';

const secret = () => h.conf('shopify', 'secret');

function api() {
	return shopifyApi({ apiKey: 'sdk-test', apiSecretKey: secret(),
		scopes: ['read_orders'], hostName: 'hooks.example.org',
		apiVersion: ApiVersion.January25, isEmbeddedApp: false,
		logger: { level: LogSeverity.Error } });
}

// What validate wants: the raw body and a Node request's headers.
async function validate(hd, body) {
	return api().webhooks.validate({ rawBody: body,
		rawRequest: { headers: h.lower(hd), method: 'POST', url: '/hooks/shopify' },
		rawResponse: {} });
}

function order(id) {
	return JSON.stringify({ id: 820982911946154508, name: `#${id}`,
		total_price: '403.00', currency: 'USD' });
}

function headers(id, hmac) {
	return { 'Content-Type': 'application/json', 'X-Shopify-Hmac-Sha256': hmac,
		'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': id,
		'X-Shopify-Shop-Domain': 'shop1.myshopify.io',
		'X-Shopify-API-Version': '2025-01' };
}

test('shopify.webhooks.validate accepts what webhookctl sign produces', async () => {
	const id = h.unique('shop-ctl');
	const body = order(id);
	const ctl = h.ctlSign('shopify', body, { id, event: 'orders/create' });
	const hd = headers(id, h.header(ctl, 'X-Shopify-Hmac-Sha256'));
	const ok = await validate(hd, body);
	assert.equal(ok.valid, true, JSON.stringify(ok));
	assert.equal(ok.webhookId, id);
	const bad = await validate(hd, body.replace('403', '404'));
	assert.equal(bad.valid, false, 'the SDK refuses a changed body');
	await h.deliverTwice('shopify', hd, body, id);
});

test('the receiver accepts what validate accepts, and the docs vector', async () => {
	const id = h.unique('shop-sdk');
	const body = order(id);
	const hd = headers(id, h.hmac('sha256', secret(), body, 'base64'));
	assert.equal((await validate(hd, body)).valid, true);
	await h.deliverTwice('shopify', hd, body, id);
	// The same signed bytes under a new webhook id: a replay.
	const again = { ...hd, 'X-Shopify-Webhook-Id': h.unique('shop-replay') };
	h.expectDuplicate(await h.post('shopify', again, body), 'shopify');
	assert.equal(h.lastLog('shopify').duplicate_of, id);
	// shopify-api-js validate.test.ts: {"foo": "bar"} under test_secret_key.
	const docs = '{"foo": "bar"}';
	const dh = headers(h.unique('shop-docs'), 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=');
	assert.equal((await validate(dh, docs)).valid, true);
	h.expectAccepted(await h.post('shopify', dh, docs), 'shopify');
	const wrong = headers(h.unique('shop-bad'),
	    h.hmac('sha256', 'not the secret', body, 'base64'));
	assert.equal((await validate(wrong, body)).valid, false);
	h.expectRejected(await h.post('shopify', wrong, body), 'shopify');
});
