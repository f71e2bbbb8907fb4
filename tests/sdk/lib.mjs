// tests/sdk/lib.mjs: what every tests/sdk/<name>.test.mjs shares.
//
// tests/integration/t1100-sdk.sh starts one lighttpd with every
// endpoint that has a <name>.conf fragment and runs the tests with:
//   SDK_BASE_URL    http://127.0.0.1:PORT/hooks (endpoint URL: BASE/<name>)
//   SDK_WEBHOOKCTL  the webhookctl binary under test
//   WEBHOOK_CONFIG  the configuration: [global] plus every fragment
//   SDK_LOG_DIR     the receivers' log_dir (<endpoint>.log, JSON Lines)
//   SDK_LEDGER      the SQLite ledger (state_dir/webhooks.db)
// See tests/sdk/README.md for the convention.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function need(name) {
	const v = process.env[name];
	if (v === undefined || v === '')
		throw new Error(`${name} is not set: run tests/integration/t1100-sdk.sh`);
	return v;
}

export const env = {
	get base() { return need('SDK_BASE_URL'); },
	get ctl() { return need('SDK_WEBHOOKCTL'); },
	get config() { return need('WEBHOOK_CONFIG'); },
	get logDir() { return need('SDK_LOG_DIR'); },
	get ledger() { return need('SDK_LEDGER'); },
};

// conf(section, key): every value of key in [section] of the test
// configuration, in order (secret and public_key repeat).
export function confAll(section, key) {
	const out = [];
	let cur = null;
	for (const raw of readFileSync(env.config, 'utf8').split('\n')) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#') || line.startsWith(';'))
			continue;
		const m = /^\[(.+)\]$/.exec(line);
		if (m) {
			cur = m[1];
			continue;
		}
		const eq = line.indexOf('=');
		if (cur === section && eq > 0 && line.slice(0, eq).trim() === key)
			out.push(line.slice(eq + 1).trim());
	}
	return out;
}

// conf(section, key): the first value; fails the test when absent.
export function conf(section, key) {
	const v = confAll(section, key);
	assert.ok(v.length > 0, `no ${key} in [${section}] of the test config`);
	return v[0];
}

// unique(prefix): an id no other test of this run uses.
export function unique(prefix = 'sdk') {
	return `${prefix}-${Date.now()}-${randomBytes(4).toString('hex')}`;
}

export function nowSeconds() {
	return Math.floor(Date.now() / 1000);
}

// ctlSign(provider, body, opts): the headers `webhookctl sign` prints,
// as an object keyed by the header name as printed.  The secret comes
// from the endpoint's configuration (--endpoint, default the provider),
// so it never appears in a process listing.  opts: endpoint, timestamp,
// id, event, contentType, args (more arguments).
export function ctlSign(provider, body, opts = {}) {
	const args = ['-c', env.config, 'sign', provider, '--body-file', '-',
		'--endpoint', opts.endpoint ?? provider];
	if (opts.timestamp !== undefined)
		args.push('--timestamp', String(opts.timestamp));
	if (opts.id !== undefined)
		args.push('--id', opts.id);
	if (opts.event !== undefined)
		args.push('--event', opts.event);
	if (opts.contentType !== undefined)
		args.push('--content-type', opts.contentType);
	args.push(...(opts.args ?? []));
	const out = execFileSync(env.ctl, args, { input: body });
	const headers = {};
	for (const line of out.toString('utf8').split('\n')) {
		if (line === '')
			continue;
		const i = line.indexOf(': ');
		assert.ok(i > 0, `webhookctl sign printed a non-header line: ${line}`);
		headers[line.slice(0, i)] = line.slice(i + 2);
	}
	return headers;
}

// header(headers, name): a header's value, whatever its case.
export function header(headers, name) {
	const want = name.toLowerCase();
	for (const [k, v] of Object.entries(headers))
		if (k.toLowerCase() === want)
			return v;
	return undefined;
}

// lower(headers): the same headers with lowercase names, as Node's
// http module hands them to an SDK.
export function lower(headers) {
	const out = {};
	for (const [k, v] of Object.entries(headers))
		out[k.toLowerCase()] = v;
	return out;
}

// post(endpoint, headers, body, opts): POSTs the exact bytes to the
// endpoint behind lighttpd.  Returns { status, text, json }.  opts:
// method, query (appended to the URL as is), url (instead).
export async function post(endpoint, headers, body, opts = {}) {
	const url = opts.url ?? `${env.base}/${endpoint}${opts.query ?? ''}`;
	const res = await fetch(url, {
		method: opts.method ?? 'POST',
		headers,
		body: (opts.method ?? 'POST') === 'GET' ? undefined : body,
		redirect: 'manual',
	});
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		// not JSON: a handshake answer, say
	}
	return { status: res.status, text, json, headers: res.headers };
}

// logs(endpoint): the endpoint's log records, oldest first.
export function logs(endpoint) {
	let text;
	try {
		text = readFileSync(join(env.logDir, `${endpoint}.log`), 'utf8');
	} catch {
		return [];
	}
	return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

export function lastLog(endpoint) {
	const all = logs(endpoint);
	assert.ok(all.length > 0, `no log record for ${endpoint}`);
	return all[all.length - 1];
}

// ledgerRows(endpoint, id): how many ledger rows hold that delivery id.
export function ledgerRows(endpoint, id) {
	const q = (s) => `'${String(s).replaceAll("'", "''")}'`;
	const out = execFileSync('sqlite3', ['-cmd', '.timeout 5000',
		env.ledger, `SELECT count(*) FROM deliveries WHERE endpoint = ` +
		`${q(endpoint)} AND delivery_id = ${q(id)}`]);
	return Number(out.toString().trim());
}

// expectAccepted(res, endpoint, id): answered 200 accepted, logged
// accepted, one ledger row (id: the delivery id the receiver derives;
// omit it when the provider has none and the receiver uses a digest).
export function expectAccepted(res, endpoint, id) {
	assert.equal(res.status, 200, `accepted: ${res.text}`);
	assert.equal(res.json?.status, 'accepted', `accepted: ${res.text}`);
	const rec = lastLog(endpoint);
	assert.equal(rec.verdict, 'accepted', 'logged accepted');
	if (id !== undefined) {
		assert.equal(res.json.id, id, 'the delivery id');
		assert.equal(ledgerRows(endpoint, id), 1, 'one ledger row');
	}
	return rec;
}

// expectDuplicate(res, endpoint, id): answered 200 duplicate, not queued
// again.
export function expectDuplicate(res, endpoint, id) {
	assert.equal(res.status, 200, `duplicate: ${res.text}`);
	assert.equal(res.json?.status, 'duplicate', `duplicate: ${res.text}`);
	assert.equal(lastLog(endpoint).verdict, 'duplicate', 'logged duplicate');
	if (id !== undefined)
		assert.equal(ledgerRows(endpoint, id), 1, 'still one ledger row');
}

// expectRejected(res, endpoint, status = 401): refused and logged so.
export function expectRejected(res, endpoint, status = 401) {
	assert.equal(res.status, status, `rejected: ${res.text}`);
	assert.equal(lastLog(endpoint).status, status, 'logged as refused');
}

// deliverTwice(endpoint, headers, body, id): the genuine delivery is
// accepted, the very same request again is a duplicate.
export async function deliverTwice(endpoint, headers, body, id) {
	expectAccepted(await post(endpoint, headers, body), endpoint, id);
	expectDuplicate(await post(endpoint, headers, body), endpoint, id);
}

// hmac(alg, key, data, enc): a MAC computed here, for providers whose
// SDK verifies but cannot sign (signed as that SDK's verify code reads).
export function hmac(alg, key, data, enc = 'hex') {
	return createHmac(alg, key).update(data).digest(enc);
}
