#!/bin/bash
# webhookctl explain on deliveries mangled in each of the usual ways,
# posted to the real handlers behind lighttpd: it must name the cause
# (wrong secret, body changed in transit, stale timestamp, SHA-1 only,
# malformed or missing header, a secret used decoded), show the
# signature each secret gives (equal to openssl's) and never a secret.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init ctl-explain

ctl_setup
gh=$(secret_of github)

# explain_json ID: explain's JSON in $j, its exit status in $rc.
explain_json() {
	rc=0
	"$CTL" explain "$1" --json >"$T/explain.json" || rc=$?
	j=$(cat "$T/explain.json")
}

# expect_cause ID CAUSE REGEX MSG: explain names CAUSE, exits 1.
expect_cause() {
	explain_json "$1"
	assert_eq 1 "$rc" "$4: explain exits 1"
	assert_eq "$2" "$(jq -r .cause <<<"$j")" "$4: cause $2"
	assert_match "$3" "$(jq -r .explanation <<<"$j")" "$4: says why"
}

printf '{"ref":"refs/heads/main","commits":[{"id":"1","message":"a\\nb"}]}' \
    >"$T/compact.json"

# --- a good delivery verifies ----------------------------------------
sign github "$T/compact.json" "$gh" good-1
post "$base/github" "$T/compact.json" "${H[@]}" >/dev/null
explain_json good-1
assert_eq 0 "$rc" "good: explain exits 0"
assert_eq ok "$(jq -r .cause <<<"$j")" "good: cause ok"
assert_eq true "$(jq -r '.secrets[1].match' <<<"$j")" \
    "good: the second secret matches"
assert_eq "sha256=$(hmac_hex sha256 gh-old-secret <"$T/compact.json")" \
    "$(jq -r '.secrets[0].expected' <<<"$j")" \
    "good: secret #1's signature equals openssl's"
assert_eq "sha256=$(hmac_hex sha256 "$gh" <"$T/compact.json")" \
    "$(jq -r '.secrets[1].expected' <<<"$j")" \
    "good: secret #2's signature equals openssl's"

# --- wrong secret -----------------------------------------------------
sign github "$T/compact.json" not-the-secret wrong-1
post "$base/github" "$T/compact.json" "${H[@]}" >/dev/null
expect_cause wrong-1 wrong_secret 'none of the 2 configured secrets' \
    "wrong secret"
out=$("$CTL" explain wrong-1 || true)
assert_match 'secret #1 +sha256:[0-9a-f]{8} gives sha256=' "$out" \
    "wrong secret: fingerprints and signatures"
case $out in
*"$gh"* | *gh-old-secret*) fail "explain printed a secret" "$out" ;;
esac
ok "wrong secret: no secret in the output"
assert_match 'received +sha256=[0-9a-f]{64}' "$out" \
    "wrong secret: the received signature"
assert_match "signed +$(wc -c <"$T/compact.json") bytes: " "$out" \
    "wrong secret: what was signed"

# --- body changed in transit ------------------------------------------
printf 'line one\nline two\n' >"$T/lf.txt"
sed 's/$/\r/' "$T/lf.txt" >"$T/crlf.txt"
sign github "$T/lf.txt" "$gh" crlf-1
post "$base/github" "$T/crlf.txt" "${H[@]}" >/dev/null
expect_cause crlf-1 body_changed 'CRLF line endings where LF' \
    "CRLF body"

jq . "$T/compact.json" >"$T/pretty.json"
sign github "$T/compact.json" "$gh" pretty-1
post "$base/github" "$T/pretty.json" "${H[@]}" >/dev/null
expect_cause pretty-1 body_changed 'signed compact JSON.*re-indented' \
    "pretty-printed JSON"

make_body stripe pretty-2 "$T/stripe.json"
jq -c . "$T/stripe.json" >"$T/stripe-compact.json"
sign stripe "$T/stripe.json" "$(secret_of stripe)" x
post "$base/stripe" "$T/stripe-compact.json" "${H[@]}" >/dev/null
expect_cause evt_pretty-2 body_changed 'signed indented JSON' \
    "compacted JSON (stripe)"

{ cat "$T/compact.json"; echo; } >"$T/nl.json"
sign github "$T/compact.json" "$gh" nl-1
post "$base/github" "$T/nl.json" "${H[@]}" >/dev/null
expect_cause nl-1 body_changed 'final newline was added' \
    "a newline added"

# --- stale timestamp --------------------------------------------------
make_body slack stale-1 "$T/slack.json"
sign slack "$T/slack.json" "$(secret_of slack)" x $(($(date +%s) - 1000))
post "$base/slack" "$T/slack.json" "${H[@]}" >/dev/null
expect_cause Evstale-1 stale_timestamp 'before it arrived.*itself is valid' \
    "stale timestamp (slack)"
explain_json Evstale-1
assert_match '^100[0-9]$' "$(jq -r .skew_at_arrival <<<"$j")" \
    "stale: the skew when it arrived"
make_body stripe stale-2 "$T/stripe2.json"
sign stripe "$T/stripe2.json" "$(secret_of stripe)" x \
    $(($(date +%s) - 4000))
post "$base/stripe" "$T/stripe2.json" "${H[@]}" >/dev/null
expect_cause evt_stale-2 stale_timestamp 'tolerance of 300 s' \
    "stale timestamp (stripe)"

# --- headers ----------------------------------------------------------
mac=$(hmac_hex sha1 "$gh" <"$T/compact.json")
post "$base/github" "$T/compact.json" -H "X-Hub-Signature: sha1=$mac" \
    -H "X-GitHub-Delivery: sha1-1" -H 'Content-Type: application/json' \
    >/dev/null
expect_cause sha1-1 sha1_only 'X-Hub-Signature.*SHA-1.*verifies.*allow_sha1' \
    "SHA-1 only header"

post "$base/github" "$T/compact.json" -H "X-Signature: sha256=00" \
    -H "X-GitHub-Delivery: nosig-1" -H 'Content-Type: application/json' \
    >/dev/null
expect_cause nosig-1 missing_header "'X-Signature' came instead" \
    "missing header, another one sent"

make_body zendesk hex-1 "$T/zd.json"
iso=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mac=$({ printf %s "$iso"; cat "$T/zd.json"; } |
    hmac_hex sha256 "$(secret_of zendesk)")
post "$base/zendesk" "$T/zd.json" -H "X-Zendesk-Webhook-Signature: $mac" \
    -H "X-Zendesk-Webhook-Signature-Timestamp: $iso" \
    -H "X-Zendesk-Webhook-Invocation-Id: hex-1" \
    -H 'Content-Type: application/json' >/dev/null
expect_cause hex-1 malformed_header 'it is hex, the scheme wants base64' \
    "hex where base64 is expected"

mac=$(hmac_hex sha256 "$gh" <"$T/compact.json" | tr a-f A-F)
post "$base/github" "$T/compact.json" \
    -H "X-Hub-Signature-256: sha256=$mac" -H "X-GitHub-Delivery: upper-1" \
    -H 'Content-Type: application/json' >/dev/null
expect_cause upper-1 malformed_header 'uppercase hex' "uppercase hex"

# --- a secret used decoded (Zendesk's looks like base64) ---------------
key=$(printf %s "$(secret_of zendesk)" | base64 -d | od -An -v -tx1 |
    tr -d ' \n')
make_body zendesk dec-1 "$T/zd2.json"
mac=$({ printf %s "$iso"; cat "$T/zd2.json"; } | hmac_b64 sha256 "hex:$key")
post "$base/zendesk" "$T/zd2.json" -H "X-Zendesk-Webhook-Signature: $mac" \
    -H "X-Zendesk-Webhook-Signature-Timestamp: $iso" \
    -H "X-Zendesk-Webhook-Invocation-Id: dec-1" \
    -H 'Content-Type: application/json' >/dev/null
expect_cause dec-1 secret_decoded 'base64-decoded bytes of secret #1' \
    "secret used base64-decoded"

# --- --last-rejected and the text report -------------------------------
rc=0
out=$("$CTL" explain --last-rejected zendesk) || rc=$?
assert_eq 1 "$rc" "--last-rejected: exits 1"
assert_match 'delivery +dec-1' "$out" "--last-rejected: the latest 401"
assert_match 'timestamp +[0-9T:-]+Z: [0-9]+ s old when it arrived' "$out" \
    "--last-rejected: the timestamp and its age"
assert_match 'cause +secret used decoded' "$out" "--last-rejected: the cause"
rc=0
"$CTL" explain no-such-id 2>/dev/null || rc=$?
assert_eq 1 "$rc" "explain: exit 1 for an unknown id"
rc=0
"$CTL" explain 2>/dev/null || rc=$?
assert_eq 100 "$rc" "explain: exit 100 without an id"
t_done
