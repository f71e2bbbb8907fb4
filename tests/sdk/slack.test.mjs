// Slack against @slack/bolt's verifySlackRequest.  Bolt verifies only,
// so the other direction signs as its verify code reads: HMAC-SHA256
// over "v0:" + X-Slack-Request-Timestamp + ":" + body, "v0=" + hex.
import assert from 'node:assert/strict';
import test from 'node:test';
import { verifySlackRequest } from '@slack/bolt';
import * as h from './lib.mjs';

const secret = () => h.conf('slack', 'secret');

function callback(id) {
	return JSON.stringify({ token: 'x', team_id: 'T1', type: 'event_callback',
		event_id: id, event: { type: 'app_mention', text: 'hi' } });
}

function boltVerify(hd, body) {
	verifySlackRequest({ signingSecret: secret(), body,
		headers: { 'x-slack-signature': h.header(hd, 'X-Slack-Signature'),
			'x-slack-request-timestamp':
			    Number(h.header(hd, 'X-Slack-Request-Timestamp')) } });
}

test('bolt verifies what webhookctl sign produces', async () => {
	const id = h.unique('Ev');
	const body = callback(id);
	const hd = h.ctlSign('slack', body);
	boltVerify(hd, body);
	assert.throws(() => boltVerify(hd, body.replace('hi', 'ho')),
	    /signature mismatch/, 'bolt refuses a changed body');
	await h.deliverTwice('slack', hd, body, id);
});

test('the receiver accepts what bolt verifies', async () => {
	const id = h.unique('Ev');
	const body = callback(id);
	const ts = String(h.nowSeconds());
	const hd = { 'Content-Type': 'application/json',
		'X-Slack-Request-Timestamp': ts,
		'X-Slack-Signature': 'v0=' + h.hmac('sha256', secret(),
		    `v0:${ts}:${body}`) };
	boltVerify(hd, body);
	await h.deliverTwice('slack', hd, body, id);

	// The docs example: a slash command form, fixed timestamp 1531420618
	// (long stale), signature a2114d57...; bolt and the receiver agree it
	// is stale.
	const form = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
	const docs = { 'Content-Type': 'application/x-www-form-urlencoded',
		'X-Slack-Request-Timestamp': '1531420618',
		'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' };
	assert.equal(h.hmac('sha256', secret(), `v0:1531420618:${form}`),
	    'a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
	    'the docs example signs as documented');
	assert.throws(() => boltVerify(docs, form), /stale/);
	h.expectRejected(await h.post('slack', docs, form), 'slack');
	assert.match(h.lastLog('slack').reason, /stale|timestamp/);
});
