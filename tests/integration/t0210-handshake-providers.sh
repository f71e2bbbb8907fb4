#!/bin/bash
# The receivers with handshakes or signatures in unusual places (meta,
# dropbox, zoom, twitch, mailgun) behind lighttpd mod_fastcgi: genuine
# deliveries accepted once and then duplicate, each tampered variant
# 401, and each handshake answered exactly as the provider documents it
# (and refused when wrong), logged and never stored.  Signatures are
# computed here with the openssl CLI, independently of the C code.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init handshake-providers

HS_PROVIDERS="meta dropbox zoom twitch mailgun"
META_SECRET=meta-app-secret-5f3c
META_TOKEN=meatyhamhock-$$-$RANDOM
DROPBOX_SECRET=dropbox-app-secret-91ab
ZOOM_SECRET=zoom-secret-token-7d2e
TWITCH_SECRET=twitch-eventsub-secret-4f1a
MAILGUN_KEY=key-3ax6xnjp29jd6fds4gc373sgvjxteol0

test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF

[meta]
provider = meta
secret = $META_SECRET
verify_token = $META_TOKEN

[meta-notoken]
provider = meta
secret = $META_SECRET

[dropbox]
provider = dropbox
secret = $DROPBOX_SECRET

[zoom]
provider = zoom
secret = zoom-old-token
secret = $ZOOM_SECRET

[twitch]
provider = twitch
secret = $TWITCH_SECRET

[mailgun]
provider = mailgun
secret = $MAILGUN_KEY
CONF
export WEBHOOK_CONFIG=$T/webhooks.conf

eps="meta-notoken:$CGI_DIR/meta.fcgi"
for p in $HS_PROVIDERS; do
	eps="$eps $p:$CGI_DIR/$p.fcgi"
done
port=$(free_port)
MAX_PROCS=1 ENDPOINTS=$eps start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port/hooks

# get URL: GETs URL; prints the status, the body in $T/resp.body.
get() {
	curl -sS --http1.1 --max-time 30 -o "$T/resp.body" \
	    -D "$T/resp.headers" -w '%{http_code}' "$1" || true
}

# resp_header NAME: the value of a response header.
resp_header() {
	sed -n "s/^$1: //Ip" "$T/resp.headers" | tr -d '\r'
}

# all_rows ENDPOINT: ledger rows of the endpoint.
all_rows() {
	ledger "SELECT count(*) FROM deliveries WHERE endpoint = '$1'"
}

# digest FILE: the hex SHA-256 of a file, the id of an unnamed delivery.
digest() {
	sha256sum <"$1" | cut -d' ' -f1
}

# accept_twice P FILE ID HEADERS...: genuine -> accepted, again ->
# duplicate, one row under ID.
accept_twice() {
	local p=$1 f=$2 id=$3

	shift 3
	code=$(post "$base/$p" "$f" "$@")
	assert_eq 200 "$code" "$p: genuine delivery accepted"
	assert_match '"status":"accepted"' "$(cat "$T/resp.body")" \
	    "$p: answer says accepted"
	assert_eq 1 "$(rows "$p" "$id")" "$p: one ledger row under its id"
	code=$(post "$base/$p" "$f" "$@")
	assert_eq 200 "$code" "$p: the same delivery again answered 200"
	assert_match '"status":"duplicate"' "$(cat "$T/resp.body")" \
	    "$p: answer says duplicate"
	assert_eq 1 "$(rows "$p" "$id")" "$p: still one ledger row"
}

# handshake_ok P CHALLENGE TYPE: the last answer was the handshake.
handshake_ok() {
	assert_eq 200 "$code" "$1: handshake answered 200"
	assert_eq "$2" "$(cat "$T/resp.body")" \
	    "$1: the answer is exactly the challenge"
	assert_eq "$3" "$(resp_header Content-Type)" "$1: answered as $3"
	assert_eq accepted "$(last_log "$1" verdict)" "$1: handshake logged"
	assert_match 'handshake' "$(last_log "$1" reason)" \
	    "$1: log says it was a handshake"
}

# --- meta -------------------------------------------------------------
p=meta
b=$T/meta.json
printf '{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","messages":[{"from":"16315551181","id":"wamid.%s","type":"text","text":{"body":"caf\\u00e9"}}]}}]}]}' "$$-$RANDOM" >"$b"
mac=$(hmac_hex sha256 "$META_SECRET" <"$b")
H=(-H 'Content-Type: application/json' -H "X-Hub-Signature-256: sha256=$mac")
accept_twice meta "$b" "$(digest "$b")" "${H[@]}"
assert_eq whatsapp_business_account "$(last_log meta event)" \
    "meta: the event is the body's object"
{ cat "$b"; printf ' '; } >"$T/tampered"
code=$(post "$base/meta" "$T/tampered" "${H[@]}")
expect_reject meta 401 'mismatch' "tampered body"
code=$(post "$base/meta" "$b" -H 'Content-Type: application/json' \
    -H "X-Hub-Signature-256: sha256=$(hmac_hex sha256 wrong <"$b")")
expect_reject meta 401 'mismatch' "wrong app secret"
code=$(post "$base/meta" "$b" -H 'Content-Type: application/json' \
    -H "X-Hub-Signature-256: $mac")
expect_reject meta 401 'malformed' "signature without sha256="
code=$(post "$base/meta" "$b" -H 'Content-Type: application/json')
expect_reject meta 401 'missing signature' "unsigned request"

# The verification request, as Meta's docs show it.
n=$(all_rows meta)
code=$(get "$base/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$META_TOKEN")
handshake_ok meta 1158201444 text/plain
assert_eq "$n" "$(all_rows meta)" "meta: the handshake stored nothing"
assert_eq 0 "$(grep -c -- "$META_TOKEN" "$T/log/meta.log")" \
    "meta: the verify token is not in the delivery log"
assert_match 'hub.verify_token=\[redacted\]' "$(last_log meta uri)" \
    "meta: the logged URI has the token masked"
code=$(get "$base/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${META_TOKEN}x")
expect_reject meta 403 'verify_token' "wrong verify token"
assert_match '^\{"status":"rejected"' "$(cat "$T/resp.body")" \
    "meta: a refused handshake does not echo the challenge"
code=$(get "$base/meta?hub.challenge=1158201444&hub.verify_token=$META_TOKEN")
expect_reject meta 403 'hub.mode' "handshake without hub.mode"
code=$(get "$base/meta?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=$META_TOKEN")
expect_reject meta 403 'hub.mode' "hub.mode other than subscribe"
code=$(get "$base/meta?hub.mode=subscribe&hub.challenge=1")
expect_reject meta 403 'verify_token' "handshake without a token"
code=$(get "$base/meta-notoken?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x")
expect_reject meta-notoken 503 'no verify_token' \
    "handshake on an endpoint without verify_token"
code=$(get "$base/meta?hub.mode=subscribe&hub.verify_token=$META_TOKEN")
expect_reject meta 405 'method' "GET without hub.challenge"
assert_match 'Allow: POST' "$(cat "$T/resp.headers")" "meta: 405 says Allow"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
    "$base/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=$META_TOKEN")
expect_reject meta 405 'method' "PUT with a challenge"
assert_eq "$n" "$(all_rows meta)" "meta: no refused handshake stored"

# --- dropbox ----------------------------------------------------------
p=dropbox
b=$T/dropbox.json
printf '{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRop%s"]}, "delta": {"users": [12345]}}' "$$$RANDOM" >"$b"
mac=$(hmac_hex sha256 "$DROPBOX_SECRET" <"$b")
H=(-H 'Content-Type: application/json' -H "X-Dropbox-Signature: $mac")
accept_twice dropbox "$b" "$(digest "$b")" "${H[@]}"
assert_eq list_folder "$(last_log dropbox event)" "dropbox: event list_folder"
{ cat "$b"; printf ' '; } >"$T/tampered"
code=$(post "$base/dropbox" "$T/tampered" "${H[@]}")
expect_reject dropbox 401 'mismatch' "tampered body"
code=$(post "$base/dropbox" "$b" -H 'Content-Type: application/json' \
    -H "X-Dropbox-Signature: $(hmac_hex sha256 wrong <"$b")")
expect_reject dropbox 401 'mismatch' "wrong app secret"
code=$(post "$base/dropbox" "$b" -H 'Content-Type: application/json')
expect_reject dropbox 401 'missing signature' "unsigned request"

n=$(all_rows dropbox)
code=$(get "$base/dropbox?challenge=HsKxU2mTzT4pQ5fE9dRVaX8hXn")
handshake_ok dropbox HsKxU2mTzT4pQ5fE9dRVaX8hXn text/plain
assert_eq nosniff "$(resp_header X-Content-Type-Options)" \
    "dropbox: X-Content-Type-Options: nosniff, as Dropbox asks"
code=$(get "$base/dropbox?challenge=a%3Cb%3E")
handshake_ok dropbox 'a<b>' text/plain
code=$(get "$base/dropbox?challenge=a+b")
expect_reject dropbox 400 'printable' "challenge with a space"
code=$(get "$base/dropbox?challenge=")
expect_reject dropbox 400 'empty' "empty challenge"
code=$(get "$base/dropbox?challenge=$(head -c 1100 /dev/zero | tr '\0' a)")
expect_reject dropbox 400 'longer' "challenge over 1024 bytes"
code=$(get "$base/dropbox")
expect_reject dropbox 405 'method' "GET without a challenge"
assert_eq "$n" "$(all_rows dropbox)" "dropbox: handshakes stored nothing"

# --- zoom -------------------------------------------------------------
# zoom_sign FILE SECRET [TS]: sets H as Zoom signs FILE.
zoom_sign() {
	local ts=${3:-$(date +%s)} mac

	mac=$({ printf 'v0:%s:' "$ts"; cat "$1"; } | hmac_hex sha256 "$2")
	H=(-H 'Content-Type: application/json; charset=utf-8'
	    -H "x-zm-request-timestamp: $ts" -H "x-zm-signature: v0=$mac")
}
b=$T/zoom.json
printf '{"event":"meeting.started","event_ts":%s,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","topic":"My Meeting","type":8}}}' "$(date +%s)$RANDOM" >"$b"
zoom_sign "$b" "$ZOOM_SECRET"
accept_twice zoom "$b" "$(digest "$b")" "${H[@]}"
assert_eq meeting.started "$(last_log zoom event)" "zoom: event from the body"
{ cat "$b"; printf ' '; } >"$T/tampered"
code=$(post "$base/zoom" "$T/tampered" "${H[@]}")
expect_reject zoom 401 'mismatch' "tampered body"
zoom_sign "$b" wrong-token
code=$(post "$base/zoom" "$b" "${H[@]}")
expect_reject zoom 401 'mismatch' "wrong secret token"
printf '{"event":"meeting.ended","event_ts":1,"n":"%s"}' "$RANDOM$$" >"$T/zs.json"
zoom_sign "$T/zs.json" "$ZOOM_SECRET" $(($(date +%s) - 7300))
code=$(post "$base/zoom" "$T/zs.json" "${H[@]}")
expect_reject zoom 401 'outside tolerance.*valid' "timestamp 7300 s old"
code=$(post "$base/zoom" "$b" -H 'Content-Type: application/json')
expect_reject zoom 401 'missing signature' "unsigned request"

# endpoint.url_validation, as Zoom's docs show it: answered once
# verified, with the token's HMAC under the secret that verified it.
n=$(all_rows zoom)
plain=qgg8vlvZRS6UYooatFL8Aw$RANDOM
printf '{"payload":{"plainToken":"%s"},"event_ts":1654503849680,"event":"endpoint.url_validation"}' "$plain" >"$T/uv.json"
zoom_sign "$T/uv.json" "$ZOOM_SECRET"
code=$(post "$base/zoom" "$T/uv.json" "${H[@]}")
want=$(printf '%s' "$plain" | hmac_hex sha256 "$ZOOM_SECRET")
handshake_ok zoom "{\"plainToken\":\"$plain\",\"encryptedToken\":\"$want\"}" \
    application/json
assert_eq "$n" "$(all_rows zoom)" "zoom: the validation stored nothing"
code=$(post "$base/zoom" "$T/uv.json" "${H[@]}")
assert_eq 200 "$code" "zoom: validated again (every 72 h) answered 200"
assert_match '"encryptedToken"' "$(cat "$T/resp.body")" \
    "zoom: a repeated validation is answered, not a duplicate"
zoom_sign "$T/uv.json" zoom-old-token
code=$(post "$base/zoom" "$T/uv.json" "${H[@]}")
want=$(printf '%s' "$plain" | hmac_hex sha256 zoom-old-token)
assert_match "\"encryptedToken\":\"$want\"" "$(cat "$T/resp.body")" \
    "zoom: answered with the secret that verified the request"
zoom_sign "$T/uv.json" wrong-token
code=$(post "$base/zoom" "$T/uv.json" "${H[@]}")
expect_reject zoom 401 'mismatch' "url_validation signed wrongly"
assert_eq 0 "$(grep -c encryptedToken "$T/resp.body")" \
    "zoom: no encryptedToken for a forged validation"
printf '{"payload":{},"event_ts":1,"event":"endpoint.url_validation"}' \
    >"$T/uv2.json"
zoom_sign "$T/uv2.json" "$ZOOM_SECRET"
code=$(post "$base/zoom" "$T/uv2.json" "${H[@]}")
expect_reject zoom 400 'plainToken' "url_validation without plainToken"
assert_eq "$n" "$(all_rows zoom)" "zoom: no handshake stored"

# --- twitch -----------------------------------------------------------
# twitch_sign FILE SECRET ID TYPE [TS]: sets H as Twitch signs FILE.
twitch_sign() {
	local ts=${5:-$(date -u +%Y-%m-%dT%H:%M:%S.123456789Z)} mac

	mac=$({ printf '%s%s' "$3" "$ts"; cat "$1"; } | hmac_hex sha256 "$2")
	H=(-H 'Content-Type: application/json'
	    -H "Twitch-Eventsub-Message-Id: $3"
	    -H "Twitch-Eventsub-Message-Retry: 0"
	    -H "Twitch-Eventsub-Message-Type: $4"
	    -H "Twitch-Eventsub-Message-Signature: sha256=$mac"
	    -H "Twitch-Eventsub-Message-Timestamp: $ts"
	    -H 'Twitch-Eventsub-Subscription-Type: channel.follow'
	    -H 'Twitch-Eventsub-Subscription-Version: 2')
}
b=$T/twitch.json
id=befa7b53-d79d-478f-86b9-$$$RANDOM
printf '{"subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","type":"channel.follow","version":"2","status":"enabled","cost":0},"event":{"user_id":"1234","user_login":"cool_user","broadcaster_user_id":"1337"}}' >"$b"
twitch_sign "$b" "$TWITCH_SECRET" "$id" notification
accept_twice twitch "$b" "$id" "${H[@]}"
assert_eq channel.follow "$(last_log twitch event)" \
    "twitch: the event is the subscription type"
{ cat "$b"; printf ' '; } >"$T/tampered"
code=$(post "$base/twitch" "$T/tampered" "${H[@]}")
expect_reject twitch 401 'mismatch' "tampered body"
# The same signed body under a new message id: the id is signed.
h2=("${H[@]/Twitch-Eventsub-Message-Id: $id/Twitch-Eventsub-Message-Id: $id-2}")
code=$(post "$base/twitch" "$b" "${h2[@]}")
expect_reject twitch 401 'mismatch' "replay under a new message id"
twitch_sign "$b" wrong-secret-0123456789 "$id-w" notification
code=$(post "$base/twitch" "$b" "${H[@]}")
expect_reject twitch 401 'mismatch' "wrong secret"
twitch_sign "$b" "$TWITCH_SECRET" "$id-s" notification \
    "$(date -u -d @$(($(date +%s) - 660)) +%Y-%m-%dT%H:%M:%S.5Z)"
code=$(post "$base/twitch" "$b" "${H[@]}")
expect_reject twitch 401 'outside tolerance.*600 s.*valid' \
    "message 11 minutes old"

# webhook_callback_verification: the raw challenge, once verified.
n=$(all_rows twitch)
printf '{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387","status":"webhook_callback_verification_pending","type":"channel.follow","version":"1"}}' >"$T/tv.json"
twitch_sign "$T/tv.json" "$TWITCH_SECRET" "v-$id" webhook_callback_verification
code=$(post "$base/twitch" "$T/tv.json" "${H[@]}")
handshake_ok twitch pogchamp-kappa-360noscope-vohiyo text/plain
assert_eq "$n" "$(all_rows twitch)" "twitch: the verification stored nothing"
twitch_sign "$T/tv.json" wrong-secret-0123456789 "v2-$id" \
    webhook_callback_verification
code=$(post "$base/twitch" "$T/tv.json" "${H[@]}")
expect_reject twitch 401 'mismatch' "verification signed wrongly"
assert_eq 0 "$(grep -c pogchamp "$T/resp.body")" \
    "twitch: no challenge echoed for a forged verification"
assert_eq "$n" "$(all_rows twitch)" "twitch: no verification stored"

# revocation: queued as its own event.
printf '{"subscription":{"id":"f1c2a387-%s","status":"authorization_revoked","type":"channel.follow","version":"1"}}' "$$" >"$T/tr.json"
twitch_sign "$T/tr.json" "$TWITCH_SECRET" "r-$id" revocation
accept_twice twitch "$T/tr.json" "r-$id" "${H[@]}"
assert_eq revocation "$(last_log twitch event)" \
    "twitch: a revocation is queued as event revocation"

# --- mailgun ----------------------------------------------------------
# mailgun_json FILE TOKEN EVENT [TS [KEY]]: a JSON body signed in place.
mailgun_json() {
	local ts=${4:-$(date +%s)} sig

	sig=$(printf '%s%s' "$ts" "$2" | hmac_hex sha256 "${5:-$MAILGUN_KEY}")
	printf '{"signature":{"token":"%s","timestamp":"%s","signature":"%s"},"event-data":{"event":"%s","id":"CPgfbmQMTCKtHW6uIWtuVe","recipient":"alice@example.com"}}' \
	    "$2" "$ts" "$sig" "$3" >"$1"
}
tok=$(head -c 25 /dev/urandom | od -An -tx1 | tr -d ' \n')
H=(-H 'Content-Type: application/json')
b=$T/mailgun.json
mailgun_json "$b" "$tok" delivered
accept_twice mailgun "$b" "$tok" "${H[@]}"
assert_eq delivered "$(last_log mailgun event)" "mailgun: event-data.event"
# The signature does not cover event-data: the same block on another
# body is the same delivery, answered duplicate and not queued.
sed 's/"delivered"/"opened"/' "$b" >"$T/mg-other.json"
code=$(post "$base/mailgun" "$T/mg-other.json" "${H[@]}")
assert_eq 200 "$code" "mailgun: a reused signature block answered 200"
assert_match '"status":"duplicate"' "$(cat "$T/resp.body")" \
    "mailgun: a reused signature block is a duplicate, not queued"
assert_eq 1 "$(all_rows mailgun)" "mailgun: still one ledger row"
sed "s/$tok/${tok%?}0/" "$b" >"$T/tampered"
[ "${tok%?}0" != "$tok" ] || sed -i "s/${tok}\"/${tok%?}1\"/" "$T/tampered"
code=$(post "$base/mailgun" "$T/tampered" "${H[@]}")
expect_reject mailgun 401 'mismatch' "altered token"
mailgun_json "$T/mg.json" "x$tok" delivered "" key-private-api-key
code=$(post "$base/mailgun" "$T/mg.json" "${H[@]}")
expect_reject mailgun 401 'mismatch' "wrong signing key"
mailgun_json "$T/mg.json" "s$tok" delivered $(($(date +%s) - 33000))
code=$(post "$base/mailgun" "$T/mg.json" "${H[@]}")
expect_reject mailgun 401 'outside tolerance.*32400 s.*valid' \
    "signature block 9 h 10 min old"
printf '{"event-data":{"event":"delivered"}}' >"$T/mg.json"
code=$(post "$base/mailgun" "$T/mg.json" "${H[@]}")
expect_reject mailgun 401 'missing signature field' "no signature block"
printf -- '--x\r\nContent-Disposition: form-data; name="token"\r\n\r\n%s\r\n--x--\r\n' \
    "$tok" >"$T/mg.multipart"
code=$(post "$base/mailgun" "$T/mg.multipart" \
    -H 'Content-Type: multipart/form-data; boundary=x')
expect_reject mailgun 401 'neither JSON nor a form' "multipart body"
# The legacy form body: fields timestamp, token, signature.
ts=$(date +%s)
ftok=f$tok
sig=$(printf '%s%s' "$ts" "$ftok" | hmac_hex sha256 "$MAILGUN_KEY")
printf 'timestamp=%s&token=%s&signature=%s&event=delivered&recipient=alice%%40example.com' \
    "$ts" "$ftok" "$sig" >"$T/mg.form"
accept_twice mailgun "$T/mg.form" "$ftok" \
    -H 'Content-Type: application/x-www-form-urlencoded'
assert_eq delivered "$(last_log mailgun event)" "mailgun: form event"

# --- webhookctl send knows them --------------------------------------
CTL=$BUILD_DIR/bin/webhookctl
for p in $HS_PROVIDERS; do
	out=$("$CTL" send "$base/$p" "$p") ||
		fail "webhookctl send $p" "$out"
	assert_match '"status":"accepted"' "$out" \
	    "$p: webhookctl send's default sample accepted"
done
for p in meta dropbox; do
	out=$("$CTL" send "$base/$p" "$p" --handshake) ||
		fail "webhookctl send $p --handshake" "$out"
	assert_match 'HTTP 200' "$out" \
	    "$p: webhookctl send --handshake is answered with the challenge"
	assert_eq accepted "$(last_log "$p" verdict)" \
	    "$p: the handshake from webhookctl is logged"
done
assert_eq 0 "$(grep -c -- "$META_TOKEN" "$T/log/meta.log")" \
    "meta: webhookctl's handshake left no token in the log"
rc=0
"$CTL" send "$base/zoom" zoom --handshake >/dev/null 2>&1 || rc=$?
assert_eq 100 "$rc" "zoom: --handshake is a usage error (no GET handshake)"
out=$("$CTL" send "$base/zoom" zoom --sample endpoint.url_validation)
want=$(printf qgg8vlvZRS6UYooatFL8Aw | hmac_hex sha256 zoom-old-token)
assert_match "\"encryptedToken\":\"$want\"" "$out" \
    "zoom: webhookctl send --sample endpoint.url_validation is answered"

out=$("$CTL" send "$base/twitch" twitch \
    --sample webhook_callback_verification)
assert_eq pogchamp-kappa-360noscope-vohiyo "$(printf '%s\n' "$out" | tail -n 1)" \
    "twitch: webhookctl send --sample webhook_callback_verification"

stop_server lighttpd-fcgi
t_done
