#!/bin/sh
# Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/,
# from the signature vectors the unit tests run (tests/vectors/) plus a
# few hand-made cases per parser, mirroring tests/unit.  The corpora are
# kept in the repository; run this again only to add seeds.  Existing
# files (findings kept as regression inputs) are never touched.
#
# usage: tests/fuzz/seed.sh
set -eu
cd "$(dirname "$0")/../.."
C=tests/fuzz/corpus
mkdir -p "$C/signature" "$C/hex" "$C/base64" "$C/form" "$C/json" \
    "$C/request" "$C/config" "$C/parse"

# put PARSER NAME: stdin becomes corpus/PARSER/seed-NAME.
put() {
	cat >"$C/$1/seed-$2"
}

# hdr FILE NAME: the value of header NAME (case-insensitive) in a vector.
hdr() {
	sed '/^$/q' "$1" | grep -i "^$2: " | head -n 1 | sed 's/^[^:]*: //' |
	    tr -d '\n'
}

# meta FILE KEY: the first "# KEY: value" of a vector.
meta() {
	grep "^# $2: " "$1" | head -n 1 | sed "s/^# $2: //" | tr -d '\n'
}

# body FILE: the exact body bytes of a vector (after the first blank line).
body() {
	tail -c +$(($(sed '/^$/q' "$1" | wc -c) + 1)) "$1"
}

# Signature headers: "variant\nnow\nsecret\nsignature\ntimestamp\nbody".
for f in tests/vectors/*/*.req; do
	p=$(basename "$(dirname "$f")")
	n=$(basename "$f" .req)
	ts=
	case $p in
	github)
		v=0 sig=$(hdr "$f" X-Hub-Signature-256)
		if [ -z "$sig" ]; then
			v=1 sig=$(hdr "$f" X-Hub-Signature)
		fi ;;
	stripe) v=2 sig=$(hdr "$f" Stripe-Signature) ;;
	slack)
		v=3 sig=$(hdr "$f" X-Slack-Signature)
		ts=$(hdr "$f" X-Slack-Request-Timestamp) ;;
	zendesk)
		v=4 sig=$(hdr "$f" X-Zendesk-Webhook-Signature)
		ts=$(hdr "$f" X-Zendesk-Webhook-Signature-Timestamp) ;;
	iot)
		v=5 sig=$(hdr "$f" X-Signature) ts=$(hdr "$f" X-Timestamp)
		grep -q '^# option: encoding=base64' "$f" && v=6 ;;
	linear) v=O sig=$(hdr "$f" Linear-Signature) ;;
	paddle) v=P sig=$(hdr "$f" Paddle-Signature) ;;
	pagerduty) v=Q sig=$(hdr "$f" X-PagerDuty-Signature) ;;
	shopify) v=R sig=$(hdr "$f" X-Shopify-Hmac-Sha256) ;;
	*) continue ;;
	esac
	{
		printf '%s\n%s\n%s\n%s\n%s\n' "$v" "$(meta "$f" now)" \
		    "$(meta "$f" secret)" "$sig" "$ts"
		body "$f"
	} | put signature "$p-$n"
	# The decoders see the signature without its prefix.
	case $sig in
	*=*) mac=${sig#*=} ;;
	*) mac=$sig ;;
	esac
	[ "$p" = stripe ] && mac=$(printf '%s' "$sig" | sed 's/.*v1=//')
	[ "$p" = paddle ] && mac=$(printf '%s' "$sig" | sed 's/.*h1=//')
	if [ "$v" = 4 ] || [ "$v" = 6 ] || [ "$v" = R ]; then
		printf '%s' "$mac" | put base64 "$p-$n"
	else
		printf '%s' "$mac" | put hex "$p-$n"
	fi
	# The request as a FastCGI environment: NUL-separated variables.
	{
		printf 'REQUEST_METHOD=POST\0REQUEST_URI=/hooks/%s\0' "$p"
		printf 'CONTENT_LENGTH=%s\0' "$(body "$f" | wc -c)"
		sed '/^$/q' "$f" | grep -v '^#' | grep ': ' |
		    while IFS= read -r line; do
			name=$(printf '%s' "${line%%: *}" | tr 'a-z-' 'A-Z_')
			case $name in
			CONTENT_TYPE) printf 'CONTENT_TYPE=%s\0' "${line#*: }" ;;
			*) printf 'HTTP_%s=%s\0' "$name" "${line#*: }" ;;
			esac
		done
	} | put request "$p-$n"
	case $(body "$f" | head -c 1) in
	'{' | '[') body "$f" | put json "$p-$n" ;;
	*) body "$f" | put form "$p-$n" ;;
	esac
done

# Hand-made cases, as in tests/unit/test-parse.c and test-json.c.
printf '0\n1718000000\ns\nsha256=%s\n\n{}' \
    "$(printf '%064d' 0)" | put signature github-zero-mac
printf '2\n1718000000\ns\nt=1,t=2,v1=00\n\n{}' | put signature stripe-two-t
printf '7\n1718000000\ntok\ntok\n\n{}' | put signature iot-token
printf '8\n1718000000\nk\n%s\n1718000000000\n{}' \
    "$(printf '%0128d' 0)" | put signature iot-sha512-ms
printf 'ABCDEF0123' | put hex uppercase
printf 'abc' | put hex odd
printf 'zz' | put hex not-hex
printf 'YWJj' | put base64 full
printf 'YWI' | put base64 unpadded
printf 'YWI=' | put base64 padded
printf 'YW==' | put base64 nonzero-bits
printf 'payload=%%7B%%22type%%22%%3A%%22block_actions%%22%%7D&x=1' |
    put form payload
printf 'command=%%2Fdeploy&text=a+b&bad=%%zz&end=%%4' | put form escapes
printf '{"id":"evt_1","type":"a.b","event":{"type":"x"},"n":1.5e3}' |
    put json nested
printf '{"a":"\\u0000\\ud83d\\ude00\\n","b":[1,2,{"c":null}],"t":true}' |
    put json escapes
printf '{"a":"\377\376"}' | put json invalid-utf8
printf '{"id":1} x' | put json trailing
printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]' |
    put json deep
printf 'REQUEST_METHOD=POST\0HTTP_X_A=1\0HTTP_X_A=2\0CONTENT_LENGTH=abc\0' |
    put request twice-bad-length
printf 'REQUEST_METHOD=POST\0HTTP_=x\0HTTP_A__B=y\0NOEQUALS\0=\0' |
    put request odd-names
printf 'REQUEST_METHOD=POST\0WEBHOOK_ENDPOINT=../../etc\0HTTPS=on\0' |
    put request endpoint-dots
cat >"$C/config/seed-contract" <<'CONF'
[global]
log_dir = /tmp/log
state_dir = /tmp/state
require_https = no
max_body = 1536k
log_max_size = 64M
db_timeout = 500
allow_from = 10.0.0.0/8, ::1
trusted_proxies = 127.0.0.1
on.push = /bin/true
on.* = -

[github]
provider = github
secret = gh-old-secret
secret = It's a Secret to Everybody
tolerance = 5m

[iot]
provider = iot
signature_header = X-Signature
signature_prefix = sha256=
signed = timestamp+body
signed_separator = .
timestamp_header = X-Timestamp
timestamp_format = unix_ms
durability = relaxed
CONF
printf '[global]\nmax_body = 99G\n[a]\nsecret =\n[../x]\nk\n' |
    put config errors
printf '[g]\nsecret_file = /nonexistent\nworkers = 3\n' | put config keys
if [ -f www/examples/webhooks.conf ]; then
	put config example <www/examples/webhooks.conf
fi
for s in '012345' '0-1' '018446744073709551616' '11718000000' \
    '1-5' '11718000000000' '22021-03-25T05:09:27Z' \
    '22021-03-25T05:09:27.123+00:00' '22021-02-30T25:00:00Z' \
    '3t=1,v1=ab,v1=cd' '3v1,AAA v1,BBB' '3,,' '410.0.0.0/8' \
    '4::ffff:10.1.2.3' '42001:db8::/129' '5HTTP_X_HUB_SIGNATURE_256' \
    '5CONTENT_TYPE' '5HTTP_X__Y' '6github-acme' '6../etc' '6.hidden' \
    '7http, https' '7https ,http'; do
	printf '%s' "$s" | put parse "$(printf '%s' "$s" | tr -c 'A-Za-z0-9.-' '_')"
done
echo "seeds: $(find "$C" -type f | wc -l) files in $C"
