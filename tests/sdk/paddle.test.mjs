// Paddle Billing against @paddle/paddle-node-sdk: webhooks.isSignatureValid
// (what unmarshal runs first) checks "ts=..;h1=.." over ts ":" body, 5 s.  The SDK
// cannot sign: the receiver's side signs as the validator reads, and
// the SDK is shown to accept that very request.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Paddle } from '@paddle/paddle-node-sdk';
import * as h from './lib.mjs';

// No request ever leaves: only paddle.webhooks is used.
const paddle = new Paddle('pdl_sdbx_apikey_unused');
const secret = () => h.conf('paddle', 'secret');

function event(id) {
	return JSON.stringify({ event_id: id, event_type: 'transaction.completed',
		occurred_at: new Date().toISOString(),
		notification_id: 'ntf_01h8bkrfe7w1vwf8xmytwn51e7',
		data: { id: 'txn_01h8bkrf6yxyyzwgs2h3p5fzcb', status: 'completed' } });
}

test('paddle.webhooks.isSignatureValid accepts what webhookctl sign produces', async () => {
	const id = h.unique('evt_ctl');
	const body = event(id);
	const ctl = h.ctlSign('paddle', body);
	const sig = h.header(ctl, 'Paddle-Signature');
	// unmarshal would also build the typed event, which needs a full
	// transaction; isSignatureValid is the very check it runs first.
	assert.equal(await paddle.webhooks.isSignatureValid(body, secret(), sig), true);
	assert.equal(await paddle.webhooks.isSignatureValid(body + ' ', secret(), sig),
	    false, 'the SDK refuses a changed body');
	await h.deliverTwice('paddle', { 'Content-Type': 'application/json',
		'Paddle-Signature': sig }, body, id);
});

test('the receiver accepts what the SDK accepts, two h1 included', async () => {
	const id = h.unique('evt_sdk');
	const body = event(id);
	const ts = h.nowSeconds();
	const mac = (k) => h.hmac('sha256', k, `${ts}:${body}`);
	// Rotation: the old secret's h1, then the current one's.
	const sig = `ts=${ts};h1=${mac('pdl_ntfset_old')};h1=${mac(secret())}`;
	assert.equal(await paddle.webhooks.isSignatureValid(body, secret(),
	    `ts=${ts};h1=${mac(secret())}`), true);
	await h.deliverTwice('paddle', { 'Content-Type': 'application/json',
		'Paddle-Signature': sig }, body, id);
	const old = `ts=${ts - 60};h1=${h.hmac('sha256', secret(), `${ts - 60}:${body}`)}`;
	assert.equal(await paddle.webhooks.isSignatureValid(body, secret(), old), false,
	    'the SDK refuses a ts a minute old');
	h.expectRejected(await h.post('paddle', { 'Content-Type': 'application/json',
		'Paddle-Signature': old }, body), 'paddle');
	h.expectRejected(await h.post('paddle', { 'Content-Type': 'application/json',
		'Paddle-Signature': `ts=${ts};h1=${mac('not the secret')}` }, body),
	    'paddle');
});
