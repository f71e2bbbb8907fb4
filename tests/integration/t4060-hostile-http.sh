#!/bin/bash
# Hostile input catalogue, through lighttpd (FastCGI, 2 processes per
# endpoint).  Each case gets a clear status; where the request reaches a
# handler, one log record that says why; never a crash (the FastCGI
# processes are the same at the end), a hang (curl's 30 s limit) or an
# acceptance.  Inputs lighttpd itself refuses (NUL or CR in a header,
# thousands of headers, a 1 MiB header, a 100 MiB body) are answered by
# lighttpd and never reach a handler: checked by the log not growing.
# tests/integration/t4061 sends those straight to a handler.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init hostile-http
build_helpers
contract_config
port=$(free_port)
ep=""
for p in github stripe slack zendesk; do
	ep="$ep $p:$CGI_DIR/$p.fcgi"
done
ENDPOINTS=$ep start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port/hooks
lighttpd=$(server_pid lighttpd-fcgi)
procs() {
	ps -o pid= --ppid "$lighttpd" | sort | tr '\n' ' '
}
before=$(procs)
now=$(date +%s)

# lines P: records in the endpoint's log so far.
lines() {
	cat "$T/log/$1.log" 2>/dev/null | wc -l
}

# raw REQUEST: sends the bytes as they are (printf escapes allowed) on a
# fresh connection; prints the status of the first answer.
raw() {
	local status

	exec 3<>"/dev/tcp/127.0.0.1/$port"
	# shellcheck disable=SC2059 # the request is a printf format on purpose
	printf "$1" >&3
	status=$(timeout 10 head -n 1 <&3 | cut -d' ' -f2)
	exec 3<&- 3>&-
	echo "${status:-000}"
}

# raw_file FILE: as raw, with the request's bytes in FILE.  The server
# may answer and close before it has read them all.
raw_file() {
	local status

	exec 3<>"/dev/tcp/127.0.0.1/$port"
	cat "$1" >&3 2>/dev/null || true
	status=$(timeout 10 head -n 1 <&3 | cut -d' ' -f2)
	exec 3<&- 3>&-
	echo "${status:-000}"
}

# refused_by_server CODE-REGEX MSG P: lighttpd answered, no record added.
refused_by_server() {
	assert_match "$1" "$code" "$2: lighttpd answers $code"
	assert_eq "$n" "$(lines "$3")" "$2: never reached the handler"
}

b=$T/body
s=$(secret_of github)
make_body github h1 "$b"
mac=$(hmac_hex sha256 "$s" <"$b")
gh=(-H 'Content-Type: application/json' -H 'X-GitHub-Delivery: h1'
    -H 'X-GitHub-Event: push')

# --- signature headers -------------------------------------------------
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=$mac" -H "X-Hub-Signature-256: sha256=$mac")
expect_reject github 401 'malformed signature' "the signature header twice"
sign stripe "$b" "$(secret_of stripe)" h1
code=$(post "$base/stripe" "$b" "${H[@]}" -H "${H[3]}")
expect_reject stripe 401 'malformed signature' "Stripe-Signature twice"
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=${mac:0:62}")
expect_reject github 401 'not hex of the expected length' "signature too short"
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=${mac}00")
expect_reject github 401 'not hex of the expected length' "signature too long"
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=${mac:1}")
expect_reject github 401 'not hex of the expected length' "odd-length hex"
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=$(echo "$mac" | tr a-f A-F)")
expect_reject github 401 'malformed signature' "uppercase hex"
code=$(post "$base/github" "$b" "${gh[@]}" \
    -H "X-Hub-Signature-256: sha256=$(printf '%s' "$mac" | tr 0-9a-f g-v)")
expect_reject github 401 'malformed signature' "not hex at all"

# Zendesk: base64.  Without its padding the MAC is the same bytes, so a
# genuine signature stays genuine; anything else is refused.
iso=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
zmac=$({ printf '%s' "$iso"; cat "$b"; } | hmac_b64 sha256 "$(secret_of zendesk)")
zh=(-H 'Content-Type: application/json'
    -H "X-Zendesk-Webhook-Signature-Timestamp: $iso")
code=$(post "$base/zendesk" "$b" "${zh[@]}" \
    -H "X-Zendesk-Webhook-Invocation-Id: z1" \
    -H "X-Zendesk-Webhook-Signature: ${zmac%=}")
assert_eq 200 "$code" "zendesk: genuine base64 without padding: the same MAC, accepted"
code=$(post "$base/zendesk" "$b" "${zh[@]}" \
    -H "X-Zendesk-Webhook-Invocation-Id: z2" \
    -H "X-Zendesk-Webhook-Signature: $(other_char "$zmac" 0)")
expect_reject zendesk 401 'mismatch' "forged base64"
code=$(post "$base/zendesk" "$b" "${zh[@]}" \
    -H "X-Zendesk-Webhook-Invocation-Id: z3" \
    -H "X-Zendesk-Webhook-Signature: ${zmac}==")
expect_reject zendesk 401 'malformed signature' "base64 with extra padding"
code=$(post "$base/zendesk" "$b" "${zh[@]}" \
    -H "X-Zendesk-Webhook-Invocation-Id: z4" \
    -H "X-Zendesk-Webhook-Signature: ${zmac:0:42}B=")
expect_reject zendesk 401 'malformed signature|mismatch' \
    "base64 with stray trailing bits"

# --- timestamps: each signed as sent, so only the time is wrong ---------
make_body stripe t1 "$T/sbody"
make_body slack t1 "$T/kbody"
for t in -1 -1700000000 99999999999999999999 12ab 1e9 ' 1700000000' \
    "$now.5" +1700000000; do
	sign stripe "$T/sbody" "$(secret_of stripe)" t1 "$t"
	code=$(post "$base/stripe" "$T/sbody" "${H[@]}")
	expect_reject stripe 401 'malformed' "Stripe t='$t'"
	sign slack "$T/kbody" "$(secret_of slack)" t1 "$t"
	code=$(post "$base/slack" "$T/kbody" "${H[@]}")
	# HTTP drops the space before a value: ' 1700000000' arrives stale.
	expect_reject slack 401 'malformed|outside tolerance: old' \
	    "Slack timestamp '$t'"
done
ts=$(date +%s)
sign stripe "$T/sbody" "$(secret_of stripe)" t1 "$ts"
code=$(post "$base/stripe" "$T/sbody" "${H[@]/t=$ts/t=}")
expect_reject stripe 401 'malformed' "Stripe t= empty"
far=$((now + 10 * 365 * 86400))
sign stripe "$T/sbody" "$(secret_of stripe)" t1 "$far"
code=$(post "$base/stripe" "$T/sbody" "${H[@]}")
expect_reject stripe 401 'outside tolerance: ahead' "Stripe 10 years ahead"
sign slack "$T/kbody" "$(secret_of slack)" t1 "$far"
code=$(post "$base/slack" "$T/kbody" "${H[@]}")
expect_reject slack 401 'outside tolerance: ahead' "Slack 10 years ahead"

# --- bodies ------------------------------------------------------------
# Invalid UTF-8: a genuine body is opaque bytes, kept exactly (base64 in
# the log); in the delivery id it is refused.
printf '{"ref":"\377\376\300\200","after":"u1"}' >"$T/utf8"
sign github "$T/utf8" "$s" u1
code=$(post "$base/github" "$T/utf8" "${H[@]}")
assert_eq 200 "$code" "github: a genuine body that is not UTF-8 is accepted"
assert_match '^[A-Za-z0-9+/=]+$' "$(last_log github body_base64)" \
    "github: and logged as body_base64, the line still JSON"
assert_eq 1 "$(rows github u1)" "github: stored byte for byte"
code=$(post "$base/github" "$T/utf8" "${H[@]/u1/$'\xff\xfe'}")
expect_reject github 400 'delivery id' "invalid UTF-8 in the delivery id"
printf '{"id":"evt_\377\376","type":"x"}' >"$T/utf8id"
sign stripe "$T/utf8id" "$(secret_of stripe)" u2
code=$(post "$base/stripe" "$T/utf8id" "${H[@]}")
expect_reject stripe 400 'delivery id' "invalid UTF-8 in the JSON id"

# JSON nested 100,000 deep, genuinely signed.
head -c 100000 /dev/zero | tr '\0' '[' >"$T/deep"
head -c 100000 /dev/zero | tr '\0' ']' >>"$T/deep"
sign stripe "$T/deep" "$(secret_of stripe)" d1
code=$(post "$base/stripe" "$T/deep" "${H[@]}")
expect_reject stripe 400 'invalid JSON' "JSON nested 100,000 deep"
sign slack "$T/deep" "$(secret_of slack)" d1
code=$(post "$base/slack" "$T/deep" "${H[@]}")
expect_reject slack 400 'neither JSON' "JSON nested 100,000 deep"

# 100 MiB: beyond lighttpd's own request limit (MAX_BODY_BYTES).
head -c $((100 * 1024 * 1024)) /dev/zero >"$T/huge"
n=$(lines github)
code=$(post "$base/github" "$T/huge" "${gh[@]}" -H "X-Hub-Signature-256: sha256=$mac")
refused_by_server '^413$' "a 100 MiB body" github
rm -f "$T/huge"

# --- headers lighttpd refuses ---------------------------------------------
n=$(lines github)
args=()
for i in $(seq 1 3000); do
	args+=(-H "X-Filler-$i: v")
done
code=$(post "$base/github" "$b" "${gh[@]}" "${args[@]}")
refused_by_server '^4[0-9][0-9]$' "3,000 headers" github
# curl refuses a header this large; send the request by hand.
{
	printf 'POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Big: '
	head -c $((1024 * 1024)) /dev/zero | tr '\0' a
	printf '\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'
} >"$T/big.req"
code=$(raw_file "$T/big.req")
refused_by_server '^4[0-9][0-9]$' "a 1 MiB header" github
code=$(raw 'POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
refused_by_server '^400$' "NUL in a header value" github
code=$(raw 'POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Cr: a\rb\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}')
refused_by_server '^400$' "a bare CR in a header value" github
code=$(raw 'POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 12ab\r\nConnection: close\r\n\r\n{}')
refused_by_server '^400$' "a Content-Length that is not a number" github
code=$(raw 'POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nConnection: close\r\n\r\n{}')
refused_by_server '^400$' "a negative Content-Length" github

# Content-Length smaller than the body: the handler gets the first bytes
# only, which no longer match the signature.
len=$(($(stat -c %s "$b") - 5))
code=$(raw "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=$mac\r\nX-GitHub-Delivery: cl1\r\nContent-Length: $len\r\nConnection: close\r\n\r\n$(cat "$b")")
expect_reject github 401 'mismatch' "Content-Length smaller than the body"
# No Content-Length at all: an empty body for lighttpd.
code=$(raw "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: sha256=$mac\r\nX-GitHub-Delivery: cl2\r\nConnection: close\r\n\r\n")
assert_match '^(401|411)$' "$code" "no Content-Length: $code"

# --- no crash, no acceptance, whole lines ---------------------------------
assert_eq "$before" "$(procs)" "the same FastCGI processes as at the start"
for p in github stripe slack zendesk; do
	jq -c . "$T/log/$p.log" >/dev/null || fail "$p: a log line is not JSON"
done
ok "every log line is whole JSON"
assert_eq "u1" "$(ledger "SELECT group_concat(delivery_id) FROM deliveries
    WHERE endpoint = 'github'")" "github: only the genuine delivery is stored"
assert_eq "" "$(ledger "SELECT group_concat(delivery_id) FROM deliveries
    WHERE endpoint IN ('stripe', 'slack')")" "stripe, slack: nothing stored"
stop_server lighttpd-fcgi
t_done
