// Mux against @mux/mux-node: webhooks.verifySignature checks
// "t=..,v1=.." over t "." body, 300 s.  The SDK cannot sign: the
// receiver's side signs as verifySignature reads, and the SDK is shown
// to accept that very request.
import assert from 'node:assert/strict';
import test from 'node:test';
import Mux from '@mux/mux-node';
import * as h from './lib.mjs';

// No request ever leaves: only mux.webhooks is used.
const mux = new Mux({ tokenId: 'unused', tokenSecret: 'unused' });
const secret = () => h.conf('mux', 'secret');

function event(id) {
	return JSON.stringify({ type: 'video.asset.ready', id,
		object: { type: 'asset', id: '0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002' },
		data: { status: 'ready' }, created_at: new Date().toISOString() });
}

test('mux.webhooks.verifySignature accepts what webhookctl sign produces', async () => {
	const id = h.unique('mux-ctl');
	const body = event(id);
	const ctl = h.ctlSign('mux', body);
	await mux.webhooks.verifySignature(body, h.lower(ctl), secret());
	await assert.rejects(mux.webhooks.verifySignature(body.replace('ready', 'reads'),
	    h.lower(ctl), secret()), /signature/i, 'the SDK refuses a changed body');
	await h.deliverTwice('mux', { 'Content-Type': 'application/json',
		'Mux-Signature': h.header(ctl, 'Mux-Signature') }, body, id);
});

test('the receiver accepts what the SDK accepts; both refuse 400 s old', async () => {
	const id = h.unique('mux-sdk');
	const body = event(id);
	const sign = (t, k = secret()) => `t=${t},v1=${h.hmac('sha256', k, `${t}.${body}`)}`;
	const hd = { 'Content-Type': 'application/json', 'Mux-Signature': sign(h.nowSeconds()) };
	await mux.webhooks.verifySignature(body, h.lower(hd), secret());
	await h.deliverTwice('mux', hd, body, id);
	const old = { ...hd, 'Mux-Signature': sign(h.nowSeconds() - 400) };
	await assert.rejects(mux.webhooks.verifySignature(body, h.lower(old), secret()),
	    /too old/i);
	h.expectRejected(await h.post('mux', old, body), 'mux');
	h.expectRejected(await h.post('mux', { ...hd, 'Mux-Signature':
	    sign(h.nowSeconds(), 'not the secret') }, body), 'mux');
});
