#!/bin/bash
# The signed-URL receivers behind a real lighttpd (FastCGI): Square,
# Trello, HubSpot (v3) and Twilio sign the URL they post to.  Requests
# are signed here with the openssl CLI, independently of the C code.
# Square and HubSpot have public_url; Trello and Twilio rebuild the URL
# from the request (http, Host, REQUEST_URI), and a rejection says which
# URL was tried.  Genuine -> 200 accepted, again -> 200 duplicate, each
# one-fault variant (body, signature, secret, URL, timestamp) -> 401;
# Trello's HEAD check -> 200; Twilio's JSON body is checked against the
# bodySHA256 of its URL; webhookctl sign --url is accepted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init signed-urls
build_helpers

CTL=$BUILD_DIR/bin/webhookctl
port=$(free_port)
base=http://127.0.0.1:$port/hooks
SQ_KEY=Ibxx_5AKakO-3qeNVR61Dw
TR_SECRET=trello-app-secret-for-tests
HS_SECRET=yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy
TW_TOKEN=12345
test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF

[square]
provider = square
secret = $SQ_KEY
public_url = $base/square

[trello]
provider = trello
secret = $TR_SECRET

[hubspot]
provider = hubspot
secret = $HS_SECRET
public_url = $base/hubspot

[twilio]
provider = twilio
secret = $TW_TOKEN
CONF
export WEBHOOK_CONFIG=$T/webhooks.conf
eps=
for p in square trello hubspot twilio; do
	eps="$eps $p:$CGI_DIR/$p.fcgi"
done
MAX_PROCS=1 ENDPOINTS=$eps start_server lighttpd-fcgi "$port"

# mac ALG KEY TEXT...: base64 HMAC of the texts, then the body file $B.
mac() {
	local alg=$1 key=$2

	shift 2
	{ printf '%s' "$@"; cat "$B"; } | hmac_b64 "$alg" "$key"
}

# --- square: notification URL + body -----------------------------------
B=$T/sq.json
id=sq-$$-$RANDOM
printf '{"merchant_id":"M1","type":"payment.created","event_id":"%s","data":{"id":"p1"}}' \
    "$id" >"$B"
sig=$({ printf '%s' "$base/square"; cat "$B"; } | hmac_b64 sha256 "$SQ_KEY")
H=(-H 'Content-Type: application/json' -H "X-Square-HmacSha256-Signature: $sig")
code=$(post "$base/square" "$B" "${H[@]}")
assert_eq 200 "$code" "square: genuine accepted"
assert_eq payment.created "$(last_log square event)" "square: event is type"
assert_eq 1 "$(rows square "$id")" "square: one row, id event_id"
code=$(post "$base/square" "$B" "${H[@]}")
assert_eq duplicate "$(last_log square verdict)" "square: again a duplicate"
code=$(post "$base/square?x=1" "$B" "${H[@]}")
expect_reject square 401 "signed URL tried: $base/square\\?x=1 \\(public_url\\)" \
    "a URL with another query"
out=$("$CTL" explain --last-rejected square 2>&1) || true
assert_match "url +$base/square\\?x=1 +\\(public_url\\)" "$out" \
    "square: explain names the URL it tried"
assert_match 'scheme .* url body' "$out" "square: explain's scheme line"
assert_match '"url":"[^"]*/square[?]x=1","url_rebuilt":false' \
    "$("$CTL" explain --last-rejected square --json 2>&1 || true)" \
    "square: explain --json names the URL"
sed 's/p1/p2/' "$B" >"$T/tampered"
code=$(post "$base/square" "$T/tampered" "${H[@]}")
expect_reject square 401 'mismatch' "a body byte changed"
code=$(post "$base/square" "$B" -H 'Content-Type: application/json' \
    -H "X-Square-HmacSha256-Signature: $({ printf '%s' "$base/square"; \
    cat "$B"; } | hmac_b64 sha256 not-the-key)")
expect_reject square 401 'mismatch' "another signature key"
code=$(post "$base/square" "$B" -H 'Content-Type: application/json' \
    -H "X-Square-Signature: $({ printf '%s' "$base/square"; cat "$B"; } |
    hmac_b64 sha1 "$SQ_KEY")")
expect_reject square 401 'missing signature' "the legacy SHA-1 header alone"

# --- trello: body + callback URL, rebuilt from the request ---------------
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$base/trello")
assert_eq 200 "$code" "trello: the HEAD check on creation is answered 200"
assert_match 'HEAD check' "$(last_log trello reason)" "trello: HEAD logged"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/trello")
assert_eq 405 "$code" "trello: a GET is still 405"
B=$T/tr.json
id=tr$$$RANDOM
printf '{"action":{"id":"%s","type":"updateCard","data":{"card":{"name":"x"}}},"model":{"id":"b1"}}' \
    "$id" >"$B"
sig=$({ cat "$B"; printf '%s' "$base/trello"; } | hmac_b64 sha1 "$TR_SECRET")
H=(-H 'Content-Type: application/json' -H "X-Trello-Webhook: $sig")
code=$(post "$base/trello" "$B" "${H[@]}")
assert_eq 200 "$code" "trello: genuine accepted (URL rebuilt from the request)"
assert_eq updateCard "$(last_log trello event)" "trello: event is action.type"
code=$(post "$base/trello" "$B" "${H[@]}")
assert_eq duplicate "$(last_log trello verdict)" "trello: again a duplicate"
sig2=$({ cat "$B"; printf '%s' "https://127.0.0.1:$port/hooks/trello"; } |
    hmac_b64 sha1 "$TR_SECRET")
code=$(post "$base/trello" "$B" -H 'Content-Type: application/json' \
    -H "X-Trello-Webhook: $sig2")
expect_reject trello 401 \
    "signed URL tried: http://127.0.0.1:$port/hooks/trello \\(rebuilt from the request" \
    "a signature over the https URL"
code=$(post "$base/trello" "$B" -H 'Content-Type: application/json' \
    -H "X-Trello-Webhook: $(other_char "$sig" 5)")
assert_eq 401 "$code" "trello: a signature character changed answers 401"

# --- hubspot v3: method + URI + body + timestamp (ms) --------------------
B=$T/hs.json
printf '[{"eventId":%s,"subscriptionType":"contact.creation","objectId":1}]' \
    "$$$RANDOM" >"$B"
ts=$(($(date +%s) * 1000))
hsig() {
	{ printf '%s%s' "$1" "$2"; cat "$B"; printf '%s' "$3"; } |
	    hmac_b64 sha256 "$HS_SECRET"
}
H=(-H 'Content-Type: application/json'
    -H "X-HubSpot-Signature-v3: $(hsig POST "$base/hubspot" "$ts")"
    -H "X-HubSpot-Request-Timestamp: $ts")
code=$(post "$base/hubspot" "$B" "${H[@]}")
assert_eq 200 "$code" "hubspot: genuine accepted"
assert_eq contact.creation "$(last_log hubspot event)" \
    "hubspot: event is the first subscriptionType"
code=$(post "$base/hubspot" "$B" "${H[@]}")
assert_eq duplicate "$(last_log hubspot verdict)" "hubspot: again a duplicate"
code=$(post "$base/hubspot" "$B" -H 'Content-Type: application/json' \
    -H "X-HubSpot-Signature-v3: $(hsig POST "$base/hubspot" "$ts")" \
    -H "X-HubSpot-Request-Timestamp: $((ts + 1))")
expect_reject hubspot 401 'mismatch' "the timestamp changed"
old=$((ts - 400000))
code=$(post "$base/hubspot" "$B" -H 'Content-Type: application/json' \
    -H "X-HubSpot-Signature-v3: $(hsig POST "$base/hubspot" "$old")" \
    -H "X-HubSpot-Request-Timestamp: $old")
expect_reject hubspot 401 'outside tolerance.*valid' "older than 5 minutes"
# The query's %3A is signed decoded, as HubSpot's docs say.
printf '[{"eventId":%s,"subscriptionType":"deal.creation"}]' "$$$RANDOM" >"$B"
H=(-H 'Content-Type: application/json'
    -H "X-HubSpot-Signature-v3: $(hsig POST "$base/hubspot?a=b:c" "$ts")"
    -H "X-HubSpot-Request-Timestamp: $ts")
code=$(post "$base/hubspot?a=b%3Ac" "$B" "${H[@]}")
assert_eq 200 "$code" "hubspot: a query escape is signed decoded"

# --- twilio: URL + sorted form parameters; JSON via bodySHA256 ----------
B=$T/tw.form
sid=SM$$$RANDOM
printf 'MessageSid=%s&MessageStatus=delivered&To=%%2B15558675310&From=%%2B15017122661&Body=hello+world' \
    "$sid" >"$B"
twsig() {
	printf '%s%s' "$1" "$2" | hmac_b64 sha1 "$TW_TOKEN"
}
# Sorted by name, decoded: Body From MessageSid MessageStatus To.
params="Bodyhello worldFrom+15017122661MessageSid${sid}MessageStatusdeliveredTo+15558675310"
H=(-H 'Content-Type: application/x-www-form-urlencoded'
    -H "X-Twilio-Signature: $(twsig "$base/twilio?c=1" "$params")")
code=$(post "$base/twilio?c=1" "$B" "${H[@]}")
assert_eq 200 "$code" "twilio: genuine form accepted"
assert_eq delivered "$(last_log twilio event)" "twilio: event is the status"
code=$(post "$base/twilio?c=1" "$B" "${H[@]}")
assert_eq duplicate "$(last_log twilio verdict)" "twilio: again a duplicate"
sed 's/hello/hellp/' "$B" >"$T/tampered"
code=$(post "$base/twilio?c=1" "$T/tampered" "${H[@]}")
expect_reject twilio 401 'mismatch' "a parameter changed"
code=$(post "$base/twilio?c=2" "$B" "${H[@]}")
expect_reject twilio 401 "signed URL tried: $base/twilio\\?c=2" \
    "the query changed"
# The default port added (Twilio's SDKs accept both spellings).
sed 's/delivered/sent/' "$B" >"$T/sent"
params2=${params/delivered/sent}
H=(-H 'Content-Type: application/x-www-form-urlencoded'
    -H "X-Twilio-Signature: $(twsig "http://127.0.0.1:80/hooks/twilio?c=3" "$params2")"
    -H 'Host: 127.0.0.1')
code=$(post "$base/twilio?c=3" "$T/sent" "${H[@]}")
assert_eq 200 "$code" "twilio: signed with the default port, Host without"
# JSON: the URL carries bodySHA256, the URL alone is signed.
B=$T/tw.json
printf '{"type":"com.twilio.test","id":"%s"}' "$sid" >"$B"
sum=$(sha256sum <"$B" | cut -d' ' -f1)
url="$base/twilio?bodySHA256=$sum"
H=(-H 'Content-Type: application/json' -H "X-Twilio-Signature: $(twsig "$url" "")")
code=$(post "$url" "$B" "${H[@]}")
assert_eq 200 "$code" "twilio: a JSON body with its bodySHA256 accepted"
sed 's/test/tesT/' "$B" >"$T/tampered"
code=$(post "$url" "$T/tampered" "${H[@]}")
expect_reject twilio 401 'bodySHA256 is not the body' \
    "a JSON body that is not the URL's digest"

# --- webhookctl sign --url ----------------------------------------------
B=$T/sq2.json
printf '{"type":"payment.updated","event_id":"ctl-%s"}' "$$$RANDOM" >"$B"
out=$("$CTL" sign square --endpoint square --body-file "$B")
hs=()
while IFS= read -r line; do
	hs+=(-H "$line")
done <<<"$out"
code=$(post "$base/square" "$B" "${hs[@]}")
assert_eq 200 "$code" "square: what webhookctl sign printed is accepted"
if "$CTL" sign square --secret x --body-file "$B" 2>"$T/err"; then
	fail "square: sign without a URL succeeded"
fi
assert_match 'give --url' "$(cat "$T/err")" "square: sign asks for --url"
# webhookctl send: each sample, signed for public_url or the URL posted to.
for p in square trello hubspot twilio; do
	out=$("$CTL" send "$base/$p" "$p" 2>&1) || fail "$p: send failed" "$out"
	assert_match 'HTTP 200' "$out" "$p: webhookctl send's sample is accepted"
	assert_eq accepted "$(last_log "$p" verdict)" "$p: send logged accepted"
done
stop_server lighttpd-fcgi
t_done
