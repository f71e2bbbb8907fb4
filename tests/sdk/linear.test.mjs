// Linear against @linear/sdk: LinearWebhookClient.verify checks the hex
// HMAC of the body and the signed webhookTimestamp (60 s).  The SDK
// cannot sign: the receiver's side signs as verify reads, and verify is
// shown to accept that very request.
import assert from 'node:assert/strict';
import test from 'node:test';
import { LinearWebhookClient, LINEAR_WEBHOOK_SIGNATURE_HEADER }
    from '@linear/sdk/webhooks';
import * as h from './lib.mjs';

const secret = () => h.conf('linear', 'secret');

function issue(title, ms = Date.now()) {
	return JSON.stringify({ action: 'create', type: 'Issue',
		data: { id: '2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9', title },
		webhookTimestamp: ms });
}

function headers(id, sig) {
	return { 'Content-Type': 'application/json', 'Linear-Delivery': id,
		'Linear-Event': 'Issue', [LINEAR_WEBHOOK_SIGNATURE_HEADER]: sig };
}

test('LinearWebhookClient.verify accepts what webhookctl sign produces', async () => {
	const id = h.unique('lin-ctl');
	const body = issue(id);
	const ctl = h.ctlSign('linear', body, { id });
	const sig = h.header(ctl, 'Linear-Signature');
	const client = new LinearWebhookClient(secret());
	assert.equal(client.verify(Buffer.from(body), sig), true);
	assert.throws(() => client.verify(Buffer.from(body.replace('Issue', 'Issuf')),
	    sig), /signature/i, 'the SDK refuses a changed body');
	await h.deliverTwice('linear', headers(id, sig), body, id);
});

test('the receiver accepts what verify accepts; both refuse a stale body', async () => {
	const client = new LinearWebhookClient(secret());
	const id = h.unique('lin-sdk');
	const body = issue(id);
	const sig = h.hmac('sha256', secret(), body);
	assert.equal(client.verify(Buffer.from(body), sig), true);
	await h.deliverTwice('linear', headers(id, sig), body, id);
	const old = issue(h.unique('lin-old'), Date.now() - 120000);
	const osig = h.hmac('sha256', secret(), old);
	assert.throws(() => client.verify(Buffer.from(old), osig), /timestamp/i);
	h.expectRejected(await h.post('linear', headers(h.unique('lin-o'), osig), old),
	    'linear');
	const wrong = h.hmac('sha256', 'not the secret', body);
	h.expectRejected(await h.post('linear', headers(h.unique('lin-w'), wrong),
	    body), 'linear');
});
