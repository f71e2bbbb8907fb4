// Discord against discord-interactions' verifyKey.  The SDK verifies
// only (Discord holds the private key), so the other direction is signed
// by node's own crypto (an implementation independent of ours) with the
// test key pair of tests/vectors/keys/, and verifyKey is shown to accept
// it too.
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyKey } from 'discord-interactions';
import * as h from './lib.mjs';

const keyFile = fileURLToPath(new URL('../vectors/keys/discord-test.pem',
    import.meta.url));
const otherFile = fileURLToPath(new URL('../vectors/keys/discord-other.pem',
    import.meta.url));
const publicKey = () => h.conf('discord', 'public_key');

function interaction(id, type = 2) {
	return JSON.stringify({ application_id: '11', id, token: 'tok', type,
		data: { name: 'hello', type: 1 }, version: 1 });
}

// Signs as Discord does: Ed25519 over timestamp + body, hex.
function nodeSign(file, ts, body) {
	const key = createPrivateKey(readFileSync(file));
	return sign(null, Buffer.from(ts + body), key).toString('hex');
}

test('verifyKey verifies what webhookctl sign --private-key produces', async () => {
	const id = h.unique('1');
	const body = interaction(id);
	const hd = h.ctlSign('discord', body, { args: ['--private-key', keyFile] });
	const sig = h.header(hd, 'X-Signature-Ed25519');
	const ts = h.header(hd, 'X-Signature-Timestamp');
	assert.equal(await verifyKey(body, sig, ts, publicKey()), true);
	assert.equal(await verifyKey(body.replace('hello', 'hellp'), sig, ts,
	    publicKey()), false, 'verifyKey refuses a changed body');
	await h.deliverTwice('discord', hd, body, id);
});

test('the receiver accepts what verifyKey accepts, signed by node crypto', async () => {
	const id = h.unique('2');
	const body = interaction(id);
	const ts = String(h.nowSeconds());
	const sig = nodeSign(keyFile, ts, body);
	assert.equal(await verifyKey(body, sig, ts, publicKey()), true);
	const hd = { 'Content-Type': 'application/json',
		'X-Signature-Ed25519': sig, 'X-Signature-Timestamp': ts };
	await h.deliverTwice('discord', hd, body, id);

	// Another key pair: verifyKey and the receiver both refuse it.
	const bad = nodeSign(otherFile, ts, body);
	assert.equal(await verifyKey(body, bad, ts, publicKey()), false);
	h.expectRejected(await h.post('discord',
	    { ...hd, 'X-Signature-Ed25519': bad }, body), 'discord');
});

test('a PING verified by verifyKey is answered {"type":1}', async () => {
	const body = interaction(h.unique('3'), 1);
	const ts = String(h.nowSeconds());
	const sig = nodeSign(keyFile, ts, body);
	assert.equal(await verifyKey(body, sig, ts, publicKey()), true);
	const res = await h.post('discord', { 'Content-Type': 'application/json',
		'X-Signature-Ed25519': sig, 'X-Signature-Timestamp': ts }, body);
	assert.equal(res.status, 200);
	assert.equal(res.text, '{"type":1}');
	assert.match(res.headers.get('content-type'), /^application\/json/);
});
