// Stripe against the official stripe package: constructEvent verifies,
// generateTestHeaderString signs (tests/sdk/README.md).
import assert from 'node:assert/strict';
import test from 'node:test';
import Stripe from 'stripe';
import * as h from './lib.mjs';

// No request ever leaves: only stripe.webhooks is used.
const stripe = new Stripe('sk_test_unused');
const secret = () => h.conf('stripe', 'secret');

function event(id) {
	return JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded',
		data: { object: { id: 'pi_sdk', amount: 2000 } } }, null, 2);
}

test('stripe.webhooks.constructEvent verifies what webhookctl sign produces', async () => {
	const id = h.unique('evt_ctl');
	const body = event(id);
	const hd = h.ctlSign('stripe', body);
	const got = stripe.webhooks.constructEvent(body,
	    h.header(hd, 'Stripe-Signature'), secret());
	assert.equal(got.id, id);
	assert.throws(() => stripe.webhooks.constructEvent(body + ' ',
	    h.header(hd, 'Stripe-Signature'), secret()),
	    /signature/i, 'stripe refuses a changed body');
	await h.deliverTwice('stripe', hd, body, id);
});

test('the receiver accepts what generateTestHeaderString signs', async () => {
	const id = h.unique('evt_sdk');
	const body = event(id);
	const sig = stripe.webhooks.generateTestHeaderString({ payload: body,
		secret: secret(), timestamp: h.nowSeconds() });
	const hd = { 'Content-Type': 'application/json', 'Stripe-Signature': sig };
	await h.deliverTwice('stripe', hd, body, id);

	// Older than the 300 s both sides default to.
	const oldId = h.unique('evt_old');
	const old = stripe.webhooks.generateTestHeaderString({ payload: event(oldId),
		secret: secret(), timestamp: h.nowSeconds() - 400 });
	h.expectRejected(await h.post('stripe', { ...hd, 'Stripe-Signature': old },
	    event(oldId)), 'stripe');
	const wrong = stripe.webhooks.generateTestHeaderString({ payload: body,
		secret: 'whsec_not-the-secret' });
	h.expectRejected(await h.post('stripe', { ...hd, 'Stripe-Signature': wrong },
	    body), 'stripe');
});
