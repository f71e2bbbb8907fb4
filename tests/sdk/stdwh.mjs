// tests/sdk/stdwh.mjs: the tests every Standard Webhooks receiver
// (standardwebhooks, svix, clerk, resend, openai) runs, given its SDK.
// Not a test file itself: <name>.test.mjs calls familyTests().
import assert from 'node:assert/strict';
import test from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import * as h from './lib.mjs';

// familyTests(o): o.name the endpoint and provider; o.prefix "webhook" or
// "svix"; o.body(id) a realistic body; o.verify(headers, body) the SDK's
// verification (throws or rejects on failure); o.sign(id, ts, body) the
// signature header value an SDK signs with (or its verify code reads).
export function familyTests(o) {
	const P = o.prefix;
	const secret = () => h.conf(o.name, 'secret');
	const verifies = async (hd, body) => {
		try {
			await o.verify(h.lower(hd), body);
			return true;
		} catch {
			return false;
		}
	};

	test(`${o.name}: the SDK verifies what webhookctl sign produces`, async () => {
		const id = h.unique('msg');
		const body = o.body(id);
		const hd = h.ctlSign(o.name, body, { id });
		assert.equal(h.header(hd, `${P}-id`), id);
		assert.match(h.header(hd, `${P}-signature`), /^v1,[A-Za-z0-9+/]{43}=$/);
		assert.equal(await verifies(hd, body), true, 'the SDK accepts it');
		assert.equal(await verifies(hd, body.replace('"', "'")), false,
		    'the SDK refuses it once a byte changes');
		await h.deliverTwice(o.name, hd, body, id);
	});

	test(`${o.name}: the receiver accepts what the SDK signs`, async () => {
		const id = h.unique('msg');
		const body = o.body(id);
		const ts = h.nowSeconds();
		const hd = { 'Content-Type': 'application/json', [`${P}-id`]: id,
			[`${P}-timestamp`]: String(ts),
			[`${P}-signature`]: await o.sign(secret(), id, ts, body) };
		assert.equal(await verifies(hd, body), true, 'the SDK accepts its own');
		await h.deliverTwice(o.name, hd, body, id);

		// A rotation: an unknown version and a wrong v1 before the right one.
		const id2 = h.unique('msg');
		const body2 = o.body(id2);
		const good = await o.sign(secret(), id2, ts, body2);
		const wrong = await o.sign('whsec_' + Buffer.from('an old key of 24 bytes..').toString('base64'), id2, ts, body2);
		const many = { ...hd, [`${P}-id`]: id2,
			[`${P}-signature`]: `${wrong} v1a,${good.slice(3)} ${good}` };
		assert.equal(await verifies(many, body2), true, 'the SDK takes the list');
		h.expectAccepted(await h.post(o.name, many, body2), o.name, id2);
	});

	test(`${o.name}: each tampered variant is refused 401 and logged why`, async () => {
		const id = h.unique('msg');
		const body = o.body(id);
		const ts = h.nowSeconds();
		const hd = h.ctlSign(o.name, body, { id, timestamp: ts });
		const sig = h.header(hd, `${P}-signature`);
		const flip = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
		const other = await o.sign('whsec_' + Buffer.from('not the configured key!!').toString('base64'), id, ts, body);
		const variants = [
			['a body byte', hd, body.replace('"', ' '), /mismatch/],
			['a signature character', { ...hd, [`${P}-signature`]: flip }, body, /mismatch/],
			['the timestamp', { ...hd, [`${P}-timestamp`]: String(ts - 1) }, body, /mismatch/],
			['a stale timestamp', { ...hd, [`${P}-timestamp`]: String(ts - 400),
				[`${P}-signature`]: await o.sign(secret(), id, ts - 400, body) }, body, /tolerance/],
			['another secret', { ...hd, [`${P}-signature`]: other }, body, /mismatch/],
			['the id', { ...hd, [`${P}-id`]: id + 'x' }, body, /mismatch/],
		];
		for (const [what, vh, vb, why] of variants) {
			assert.equal(await verifies(vh, vb), false, `the SDK refuses ${what}`);
			const res = await h.post(o.name, vh, vb);
			h.expectRejected(res, o.name);
			assert.match(h.lastLog(o.name).reason, why, `${what}: the reason`);
		}
		// explain re-verifies the last refusal and shows the signed id.
		const ex = spawnSync(h.env.ctl, ['-c', h.env.config, 'explain',
			'--last-rejected', o.name]);
		assert.equal(ex.status, 1, 'explain: it does not verify');
		assert.match(ex.stdout.toString(), new RegExp(`${P}-id "\\." timestamp "\\." body`),
		    'explain: the scheme names the signed id');
		// The genuine one still goes through after all that.
		h.expectAccepted(await h.post(o.name, hd, body), o.name, id);
	});

	test(`${o.name}: webhookctl send delivers the default sample`, () => {
		const out = execFileSync(h.env.ctl, ['-c', h.env.config, 'send',
			`${h.env.base}/${o.name}`, o.name]).toString();
		assert.match(out, /"status":"accepted"/);
		assert.equal(h.lastLog(o.name).verdict, 'accepted');
	});
}
