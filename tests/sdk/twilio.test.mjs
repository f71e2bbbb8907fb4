// Twilio against the twilio package: validateRequest and
// validateRequestWithBody verify, getExpectedTwilioSignature signs, so
// both directions are the SDK's.  The endpoint has no public_url: the
// URL the receiver rebuilds from the request must be the one signed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import test from 'node:test';
import twilio from 'twilio';
import * as h from './lib.mjs';

const token = () => h.conf('twilio', 'secret');
const url = (q = '') => `${h.env.base}/twilio${q}`;

function form(sid, status = 'delivered') {
	return { MessageSid: sid, MessageStatus: status, From: '+15017122661',
		To: '+15558675310', Body: 'hello world' };
}
const encode = (params) => new URLSearchParams(params).toString();
const digest = (body) => createHash('sha256').update(body).digest('hex');
const FORM = 'application/x-www-form-urlencoded';

test('validateRequest verifies what webhookctl sign produces', async () => {
	const params = form(h.unique('SM'));
	const body = encode(params);
	const hd = h.ctlSign('twilio', body, { contentType: FORM,
		args: ['--url', url('?c=1')] });
	const sig = h.header(hd, 'X-Twilio-Signature');
	assert.equal(twilio.validateRequest(token(), sig, url('?c=1'), params),
	    true);
	assert.equal(twilio.validateRequest(token(), sig, url('?c=1'),
	    { ...params, Body: 'hello World' }), false,
	    'the SDK refuses a changed parameter');
	// webhookctl sends Twilio's I-Twilio-Idempotency-Token: the id.
	const id = h.header(hd, 'I-Twilio-Idempotency-Token');
	assert.ok(id);
	const res = await h.post('twilio', hd, body, { query: '?c=1' });
	h.expectAccepted(res, 'twilio', id);
	h.expectDuplicate(await h.post('twilio', hd, body, { query: '?c=1' }),
	    'twilio', id);
});

test('the receiver accepts what getExpectedTwilioSignature signs', async () => {
	const params = form(h.unique('SM'), 'sent');
	const body = encode(params);
	const sig = twilio.getExpectedTwilioSignature(token(), url('?c=2'),
	    params);
	const hd = { 'Content-Type': FORM, 'X-Twilio-Signature': sig };
	h.expectAccepted(await h.post('twilio', hd, body, { query: '?c=2' }),
	    'twilio', digest(body));
	assert.equal(h.lastLog('twilio').event, 'sent');
	// The same signature on another query: refused, the URL named.
	h.expectRejected(await h.post('twilio', hd, body, { query: '?c=3' }),
	    'twilio');
	assert.match(h.lastLog('twilio').reason, /signed URL tried: .*\?c=3/);
});

test('a JSON body: bodySHA256 in the URL, as validateRequestWithBody', async () => {
	const body = JSON.stringify({ type: 'com.twilio.test', id: h.unique('j') });
	const q = `?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
	const sig = twilio.getExpectedTwilioSignature(token(), url(q), {});
	assert.equal(twilio.validateRequestWithBody(token(), sig, url(q), body),
	    true);
	const hd = { 'Content-Type': 'application/json', 'X-Twilio-Signature': sig };
	h.expectAccepted(await h.post('twilio', hd, body, { query: q }),
	    'twilio', digest(body));
	// webhookctl signs the same URL the same way.
	const ctl = h.ctlSign('twilio', body, { args: ['--url', url(q)] });
	assert.equal(h.header(ctl, 'X-Twilio-Signature'), sig);
	const changed = body.replace('test', 'tesT');
	assert.equal(twilio.validateRequestWithBody(token(), sig, url(q),
	    changed), false);
	h.expectRejected(await h.post('twilio', hd, changed, { query: q }),
	    'twilio');
});
