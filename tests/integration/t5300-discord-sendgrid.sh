#!/bin/bash
# Discord (Ed25519) and SendGrid (ECDSA P-256) behind a real lighttpd
# (FastCGI).  Requests are signed by the openssl CLI with the test key
# pairs in tests/vectors/keys/, independently of the C code; the
# endpoints know only the public keys, as the providers' consoles show
# them (Discord: 64 hex digits, SendGrid: base64 DER).  Genuine -> 200
# accepted, the same again -> 200 duplicate, each one-fault variant ->
# 401; Discord's PING is answered {"type":1} and never queued; what
# webhookctl sign --private-key prints is accepted; check-config names
# a bad or private key without echoing it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init asym
build_helpers

KEYS=$ROOT/tests/vectors/keys
CTL=$BUILD_DIR/bin/webhookctl
# The raw public key (the DER's last 32 bytes) as the portal shows it.
DISCORD_PUB=$(openssl pkey -pubin -in "$KEYS/discord-test.pub" \
    -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
OTHER_PUB=$(openssl pkey -pubin -in "$KEYS/discord-other.pub" \
    -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
SENDGRID_PUB=$(openssl pkey -pubin -in "$KEYS/sendgrid-test.pub" \
    -outform DER | base64 -w0)

test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF

[discord]
provider = discord
public_key = $OTHER_PUB
public_key = $DISCORD_PUB

[sendgrid]
provider = sendgrid
public_key = $SENDGRID_PUB
CONF
export WEBHOOK_CONFIG=$T/webhooks.conf
port=$(free_port)
MAX_PROCS=1 ENDPOINTS="discord:$CGI_DIR/discord.fcgi \
sendgrid:$CGI_DIR/sendgrid.fcgi" start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port/hooks

# ed_sign KEY TS FILE: hex Ed25519 signature of TS + body.
ed_sign() {
	{ printf '%s' "$2"; cat "$3"; } >"$T/msg"
	openssl pkeyutl -sign -inkey "$1" -rawin -in "$T/msg" |
	    od -An -tx1 | tr -d ' \n'
}

# ec_sign KEY TS FILE: base64 DER ECDSA P-256/SHA-256 of TS + body.
ec_sign() {
	{ printf '%s' "$2"; cat "$3"; } >"$T/msg"
	openssl dgst -sha256 -sign "$1" "$T/msg" | base64 -w0
}

# dpost FILE SIG TS: a Discord request.
dpost() {
	post "$base/discord" "$1" -H 'Content-Type: application/json' \
	    -H "X-Signature-Ed25519: $2" -H "X-Signature-Timestamp: $3"
}

# spost FILE SIG TS: a SendGrid request.
spost() {
	post "$base/sendgrid" "$1" -H 'Content-Type: application/json' \
	    -H "X-Twilio-Email-Event-Webhook-Signature: $2" \
	    -H "X-Twilio-Email-Event-Webhook-Timestamp: $3"
}

# ctl_signed P FILE: posts FILE with the headers webhookctl sign prints
# for it, signed with P's test key.
ctl_signed() {
	local out line hs=()

	out=$("$CTL" sign "$1" --private-key "$KEYS/$1-test.pem" \
	    --body-file "$2")
	while IFS= read -r line; do
		hs+=(-H "$line")
	done <<<"$out"
	post "$base/$1" "$2" "${hs[@]}"
}

# --- discord ----------------------------------------------------------
now=$(date +%s)
printf '{"application_id":"11","id":"21%s","token":"tok","type":1,"version":1}' \
    "$$" >"$T/ping"
sig=$(ed_sign "$KEYS/discord-test.pem" "$now" "$T/ping")
code=$(dpost "$T/ping" "$sig" "$now")
assert_eq 200 "$code" "discord: a signed PING is answered 200"
assert_eq '{"type":1}' "$(cat "$T/resp.body")" \
    "discord: the answer is exactly {\"type\":1}"
assert_match '^Content-Type: application/json' \
    "$(tr -d '\r' <"$T/resp.headers" | grep -i '^content-type')" \
    "discord: as application/json"
assert_eq accepted "$(last_log discord verdict)" "discord: PING logged"
assert_eq PING "$(last_log discord event)" "discord: logged as PING"
assert_eq 0 "$(rows discord "21$$")" "discord: PING never queued"

# Discord probes with bad signatures: the PING must be refused then.
code=$(dpost "$T/ping" "$(other_char "$sig" 10)" "$now")
expect_reject discord 401 'mismatch' "a PING with a bad signature"

id="31$$"
printf '{"application_id":"11","data":{"name":"hello","type":1},"id":"%s","token":"tok","type":2,"version":1}' \
    "$id" >"$T/cmd"
sig=$(ed_sign "$KEYS/discord-test.pem" "$now" "$T/cmd")
code=$(dpost "$T/cmd" "$sig" "$now")
assert_eq 200 "$code" "discord: a signed command is accepted"
assert_eq accepted "$(last_log discord verdict)" "discord: logged accepted"
assert_eq APPLICATION_COMMAND "$(last_log discord event)" \
    "discord: the event is the interaction type's name"
assert_eq 1 "$(rows discord "$id")" "discord: one ledger row"
code=$(dpost "$T/cmd" "$sig" "$now")
assert_eq 200 "$code" "discord: the same again is answered 200"
assert_eq duplicate "$(last_log discord verdict)" "discord: as a duplicate"
assert_eq 1 "$(rows discord "$id")" "discord: still one row"

sed 's/hello/hellp/' "$T/cmd" >"$T/tampered"
code=$(dpost "$T/tampered" "$sig" "$now")
expect_reject discord 401 'mismatch.*public key' "a body byte changed"
code=$(dpost "$T/cmd" "$(other_char "$sig" 10)" "$now")
expect_reject discord 401 'mismatch' "a signature character changed"
code=$(dpost "$T/cmd" "$sig" "$((now + 1))")
expect_reject discord 401 'mismatch' "the timestamp changed"
# A forger without the key: the genuine S under an all-zero R.  (It
# used to zero only the first hex digit, which left one signature in
# sixteen unchanged and the case answered 200.)
code=$(dpost "$T/cmd" "$(printf '%064d%s' 0 "${sig:64}")" "$now")
expect_reject discord 401 'mismatch' "a forged signature"
old=$((now - 1000))
code=$(dpost "$T/cmd" "$(ed_sign "$KEYS/discord-test.pem" "$old" \
    "$T/cmd")" "$old")
expect_reject discord 401 'outside tolerance.*valid' "a stale timestamp"
code=$(post "$base/discord" "$T/cmd" -H 'Content-Type: application/json')
expect_reject discord 401 'missing signature' "an unsigned request"
code=$(dpost "$T/cmd" "${sig:0:100}" "$now")
expect_reject discord 401 'malformed' "a truncated signature"

# A key that is not configured: only the other pair signs this one.
sed -i '/^public_key = '"$OTHER_PUB"'$/d' "$T/webhooks.conf"
stop_server lighttpd-fcgi
MAX_PROCS=1 ENDPOINTS="discord:$CGI_DIR/discord.fcgi \
sendgrid:$CGI_DIR/sendgrid.fcgi" start_server lighttpd-fcgi "$port"
printf '{"application_id":"11","id":"41%s","token":"t","type":2,"version":1}' \
    "$$" >"$T/cmd2"
code=$(dpost "$T/cmd2" "$(ed_sign "$KEYS/discord-other.pem" "$now" \
    "$T/cmd2")" "$now")
expect_reject discord 401 'mismatch.*1 public key' "a key not configured"

# webhookctl sign --private-key: for tests, as the docs say.
code=$(ctl_signed discord "$T/cmd2")
assert_eq 200 "$code" "discord: what webhookctl sign printed is accepted"
if "$CTL" sign discord --secret x --body-file "$T/cmd2" 2>"$T/err"; then
	fail "discord: sign without a private key succeeded"
fi
assert_match 'private-key' "$(cat "$T/err")" \
    "discord: sign asks for --private-key"

# --- sendgrid ---------------------------------------------------------
printf '[{"email":"a@example.com","event":"delivered","sg_event_id":"e%s","timestamp":%s}]\r\n' \
    "$$" "$now" >"$T/sg"
sig=$(ec_sign "$KEYS/sendgrid-test.pem" "$now" "$T/sg")
code=$(spost "$T/sg" "$sig" "$now")
assert_eq 200 "$code" "sendgrid: a signed batch is accepted"
assert_eq accepted "$(last_log sendgrid verdict)" "sendgrid: logged accepted"
assert_eq delivered "$(last_log sendgrid event)" \
    "sendgrid: the event is the first event's"
sgid=$(sha256sum <"$T/sg" | cut -d' ' -f1)
assert_eq 1 "$(rows sendgrid "$sgid")" "sendgrid: one row, id the digest"
code=$(spost "$T/sg" "$sig" "$now")
assert_eq duplicate "$(last_log sendgrid verdict)" \
    "sendgrid: the same again is a duplicate"
head -c -2 "$T/sg" >"$T/tampered"
code=$(spost "$T/tampered" "$sig" "$now")
expect_reject sendgrid 401 'mismatch' "the final CRLF dropped"
code=$(spost "$T/sg" "$(other_char "$sig" 10)" "$now")
assert_eq 401 "$code" "sendgrid: a signature character changed answers 401"
code=$(spost "$T/sg" "$sig" "$((now + 1))")
expect_reject sendgrid 401 'mismatch' "the timestamp changed"
code=$(spost "$T/sg" "$(ec_sign "$KEYS/sendgrid-other.pem" "$now" \
    "$T/sg")" "$now")
expect_reject sendgrid 401 'mismatch' "another key's signature"
code=$(ctl_signed sendgrid "$T/tampered")
assert_eq 200 "$code" "sendgrid: what webhookctl sign printed is accepted"

# webhookctl send: the samples, signed with the test keys.
for p in discord sendgrid; do
	out=$("$CTL" send "$base/$p" "$p" --private-key \
	    "$KEYS/$p-test.pem" 2>&1) || fail "$p: send failed" "$out"
	assert_match 'HTTP 200' "$out" "$p: webhookctl send's sample is accepted"
	assert_eq accepted "$(last_log "$p" verdict)" "$p: send logged accepted"
done
if "$CTL" send "$base/discord" discord >"$T/err" 2>&1; then
	fail "discord: send without a private key succeeded"
fi
assert_match 'private-key' "$(cat "$T/err")" "discord: send asks for a key"

# --- check-config -----------------------------------------------------
cp "$T/webhooks.conf" "$T/bad.conf"
printf '\n[discord-bad]\nprovider = discord\npublic_key = %s\n' \
    "not-a-key" >>"$T/bad.conf"
printf '\n[sendgrid-on-discord]\nprovider = discord\npublic_key = %s\n' \
    "$SENDGRID_PUB" >>"$T/bad.conf"
printf '\n[priv]\nprovider = sendgrid\npublic_key = %s\n' \
    "-----BEGIN PRIVATE KEY----- c2VjcmV0LWJ5dGVz -----END PRIVATE KEY-----" \
    >>"$T/bad.conf"
if "$CTL" check-config "$T/bad.conf" >"$T/check" 2>&1; then
	fail "check-config accepted bad keys" "$(cat "$T/check")"
fi
assert_match "bad.conf:[0-9]+: 'public_key' is not 64 hex" \
    "$(cat "$T/check")" "check-config: a bad key, with its line"
assert_match 'is an ecdsa-p256 key, but discord signs with ed25519' \
    "$(cat "$T/check")" "check-config: a key of the wrong kind"
assert_match 'holds a private key' "$(cat "$T/check")" \
    "check-config: a private key is named"
if grep -q c2VjcmV0LWJ5dGVz "$T/check"; then
	fail "check-config echoed the private key"
fi
ok "check-config does not echo the private key"
stop_server lighttpd-fcgi
t_done
