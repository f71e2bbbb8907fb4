// GitHub against @octokit/webhooks-methods, the verifier of GitHub's
// official Octokit SDK (tests/sdk/README.md has the convention).
import assert from 'node:assert/strict';
import test from 'node:test';
import { sign, verify } from '@octokit/webhooks-methods';
import * as h from './lib.mjs';

const secret = () => h.conf('github', 'secret');

function push(id) {
	return JSON.stringify({ ref: 'refs/heads/main', after: id,
		repository: { full_name: 'octo/sdk' } }) + '\n';
}

test('octokit verifies what webhookctl sign produces', async () => {
	const id = h.unique('gh-ctl');
	const body = push(id);
	const hd = h.ctlSign('github', body, { id, event: 'push' });
	const sig = h.header(hd, 'X-Hub-Signature-256');
	assert.equal(await verify(secret(), body, sig), true);
	assert.equal(await verify(secret(), body.replace('main', 'mair'), sig),
	    false, 'octokit refuses a changed body: the check is not vacuous');
	await h.deliverTwice('github', hd, body, id);
});

test('the receiver accepts what octokit signs', async () => {
	const id = h.unique('gh-sdk');
	const body = push(id);
	const hd = { 'Content-Type': 'application/json',
		'X-Hub-Signature-256': await sign(secret(), body),
		'X-GitHub-Delivery': id, 'X-GitHub-Event': 'push' };
	await h.deliverTwice('github', hd, body, id);

	const other = { ...hd, 'X-GitHub-Delivery': h.unique('gh-bad'),
		'X-Hub-Signature-256': await sign('not the secret', body) };
	h.expectRejected(await h.post('github', other, body), 'github');
});

test('the docs example: octokit and webhookctl agree', async () => {
	// GitHub Docs, "Validating webhook deliveries", "Testing the
	// webhook payload validation": secret "It's a Secret to Everybody",
	// payload "Hello, World!".
	const want = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
	assert.equal(await sign("It's a Secret to Everybody", 'Hello, World!'), want);
	const hd = h.ctlSign('github', 'Hello, World!', { id: 'docs-1' });
	assert.equal(h.header(hd, 'X-Hub-Signature-256'), want);
});
