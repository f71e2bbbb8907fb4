// SendGrid against @sendgrid/eventwebhook's verifySignature.  The SDK
// verifies only, so the other direction is signed by node's crypto
// (ECDSA P-256/SHA-256, DER, base64) with the test key pair of
// tests/vectors/keys/, which the SDK is shown to accept too.
import assert from 'node:assert/strict';
import { createPrivateKey, createHash, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import eventwebhook from '@sendgrid/eventwebhook';
import * as h from './lib.mjs';

const { EventWebhook } = eventwebhook;
const keyFile = fileURLToPath(new URL('../vectors/keys/sendgrid-test.pem',
    import.meta.url));
const otherFile = fileURLToPath(new URL('../vectors/keys/sendgrid-other.pem',
    import.meta.url));
const ew = new EventWebhook();
// The very base64 text the endpoint is configured with.
const sdkKey = () => ew.convertPublicKeyToECDSA(h.conf('sendgrid',
    'public_key'));

function batch(id) {
	return JSON.stringify([{ email: 'a@example.com', event: 'delivered',
		sg_event_id: id, timestamp: h.nowSeconds() }]) + '\r\n';
}

function nodeSign(file, ts, body) {
	const key = createPrivateKey(readFileSync(file));
	return sign('sha256', Buffer.from(ts + body), key).toString('base64');
}

const digest = (body) => createHash('sha256').update(body).digest('hex');

test('verifySignature verifies what webhookctl sign --private-key produces', async () => {
	const body = batch(h.unique('sg'));
	const hd = h.ctlSign('sendgrid', body, { args: ['--private-key', keyFile] });
	const sig = h.header(hd, 'X-Twilio-Email-Event-Webhook-Signature');
	const ts = h.header(hd, 'X-Twilio-Email-Event-Webhook-Timestamp');
	assert.equal(ew.verifySignature(sdkKey(), body, sig, ts), true);
	assert.equal(ew.verifySignature(sdkKey(), body.trimEnd(), sig, ts),
	    false, 'the SDK refuses the body without its CRLF');
	await h.deliverTwice('sendgrid', hd, body, digest(body));
});

test('the receiver accepts what verifySignature accepts, signed by node crypto', async () => {
	const body = batch(h.unique('sg'));
	const ts = String(h.nowSeconds());
	const sig = nodeSign(keyFile, ts, body);
	assert.equal(ew.verifySignature(sdkKey(), body, sig, ts), true);
	const hd = { 'Content-Type': 'application/json',
		'X-Twilio-Email-Event-Webhook-Signature': sig,
		'X-Twilio-Email-Event-Webhook-Timestamp': ts };
	await h.deliverTwice('sendgrid', hd, body, digest(body));

	const bad = nodeSign(otherFile, ts, body);
	assert.equal(ew.verifySignature(sdkKey(), body, bad, ts), false);
	h.expectRejected(await h.post('sendgrid',
	    { ...hd, 'X-Twilio-Email-Event-Webhook-Signature': bad }, body),
	    'sendgrid');
});
