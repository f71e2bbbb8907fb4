// Square against the square package's WebhooksHelper.verifySignature.
// The SDK verifies only, so the other direction is signed as its verify
// code reads: base64 HMAC-SHA256(key, notification URL + body).
import assert from 'node:assert/strict';
import test from 'node:test';
import { WebhooksHelper } from 'square';
import * as h from './lib.mjs';

const key = () => h.conf('square', 'secret');
const url = () => h.conf('square', 'public_url');

function event(id) {
	return JSON.stringify({ merchant_id: 'M1', type: 'payment.created',
		event_id: id, data: { type: 'payment', id: 'p1' } });
}

const sdkVerify = (body, sig, u = url()) => WebhooksHelper.verifySignature({
	requestBody: body, signatureHeader: sig, signatureKey: key(),
	notificationUrl: u });

test('WebhooksHelper verifies what webhookctl sign produces', async () => {
	const id = h.unique('sq');
	const body = event(id);
	const hd = h.ctlSign('square', body);
	const sig = h.header(hd, 'X-Square-HmacSha256-Signature');
	assert.equal(await sdkVerify(body, sig), true);
	assert.equal(await sdkVerify(body, sig, url() + '/'), false,
	    'the SDK refuses another URL');
	await h.deliverTwice('square', hd, body, id);
});

test('the receiver accepts what WebhooksHelper accepts', async () => {
	const id = h.unique('sq');
	const body = event(id);
	const sig = h.hmac('sha256', key(), url() + body, 'base64');
	assert.equal(await sdkVerify(body, sig), true);
	const hd = { 'Content-Type': 'application/json',
		'X-Square-HmacSha256-Signature': sig };
	await h.deliverTwice('square', hd, body, id);
	const other = h.hmac('sha256', key(), url() + '?x=1' + body, 'base64');
	h.expectRejected(await h.post('square',
	    { ...hd, 'X-Square-HmacSha256-Signature': other }, body), 'square');
});
