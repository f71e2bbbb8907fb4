#!/bin/bash
# The HMAC receivers of issue 12 behind lighttpd (FastCGI): shopify,
# gitlab, bitbucket, linear, paddle, pagerduty, typeform, intercom, mux,
# calendly.  For each: a genuine delivery is accepted, the same again is
# a duplicate, a tampered body and a wrong secret are 401 and store
# nothing; where the id travels outside the signed bytes, the same
# signed bytes under a new id are a duplicate naming the first.  Then
# webhookctl send signs each provider's sample, and explain re-verifies
# it (not GitLab's: its token is redacted from the log).
# Signatures here come from the openssl CLI, not from the C code.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init hmac-providers
contract_config
P="shopify gitlab bitbucket linear paddle pagerduty typeform intercom mux
calendly"
for p in $P; do
	printf '\n[%s]\nprovider = %s\nsecret = %s-secret-1f2e\n' "$p" "$p" \
	    "$p" >>"$T/webhooks.conf"
done
eps=
for p in $P; do
	eps="$eps $p:$CGI_DIR/$p.fcgi"
done
port=$(free_port)
MAX_PROCS=1 ENDPOINTS=$eps start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port/hooks

# body P ID FILE: a realistic body carrying ID where P puts it, and the
# time where P signs it inside the body (Linear).
body() {
	local now ms

	now=$(date +%s)
	ms=$((now * 1000 + 123))
	case $1 in
	shopify) printf '{"id":820982911946154508,"name":"#%s","total_price":"403.00"}' "$2" ;;
	gitlab) printf '{"object_kind":"push","ref":"refs/heads/main","after":"%s"}' "$2" ;;
	bitbucket) printf '{"push":{"changes":[{"new":{"name":"main"}}]},"n":"%s"}' "$2" ;;
	linear) printf '{"action":"create","type":"Issue","data":{"title":"%s"},"webhookTimestamp":%s}' "$2" "$ms" ;;
	paddle) printf '{"event_id":"evt_%s","event_type":"transaction.completed","data":{}}' "$2" ;;
	pagerduty) printf '{"event":{"id":"%s","event_type":"incident.triggered","data":{"title":"café"}}}' "$2" ;;
	typeform) printf '{"event_id":"%s","event_type":"form_response","form_response":{}}' "$2" ;;
	intercom) printf '{"type":"notification_event","id":"notif_%s","topic":"ping"}' "$2" ;;
	mux) printf '{"type":"video.asset.ready","id":"%s","data":{}}' "$2" ;;
	calendly) printf '{"event":"invitee.created","payload":{"uri":"%s"}}' "$2" ;;
	esac >"$3"
}

# id_of P ID: the delivery id the ledger keeps.
id_of() {
	case $1 in
	paddle) echo "evt_$2" ;;
	intercom) echo "notif_$2" ;;
	calendly) sha256sum <"$T/$1.body" | cut -d' ' -f1 ;;
	*) echo "$2" ;;
	esac
}

# hsign P FILE SECRET ID [TS]: sets H to the headers P sends for FILE.
hsign() {
	local p=$1 f=$2 s=$3 id=$4 ts=${5:-$(date +%s)} mac

	H=(-H 'Content-Type: application/json')
	case $p in
	shopify)
		mac=$(hmac_b64 sha256 "$s" <"$f")
		H+=(-H "X-Shopify-Hmac-Sha256: $mac" -H "X-Shopify-Webhook-Id: $id"
		    -H "X-Shopify-Topic: orders/create") ;;
	gitlab)
		H+=(-H "X-Gitlab-Token: $s" -H "Idempotency-Key: $id"
		    -H "X-Gitlab-Event: Push Hook") ;;
	bitbucket)
		mac=$(hmac_hex sha256 "$s" <"$f")
		H+=(-H "X-Hub-Signature: sha256=$mac" -H "X-Request-UUID: $id"
		    -H "X-Event-Key: repo:push") ;;
	linear)
		mac=$(hmac_hex sha256 "$s" <"$f")
		H+=(-H "Linear-Signature: $mac" -H "Linear-Delivery: $id") ;;
	paddle)
		mac=$({ printf '%s:' "$ts"; cat "$f"; } | hmac_hex sha256 "$s")
		H+=(-H "Paddle-Signature: ts=$ts;h1=$mac") ;;
	pagerduty)
		mac=$(hmac_hex sha256 "$s" <"$f")
		H+=(-H "X-PagerDuty-Signature: v1=$mac" -H "X-Webhook-Id: $id") ;;
	typeform)
		mac=$(hmac_b64 sha256 "$s" <"$f")
		H+=(-H "Typeform-Signature: sha256=$mac") ;;
	intercom)
		mac=$(hmac_hex sha1 "$s" <"$f")
		H+=(-H "X-Hub-Signature: sha1=$mac") ;;
	mux)
		mac=$({ printf '%s.' "$ts"; cat "$f"; } | hmac_hex sha256 "$s")
		H+=(-H "Mux-Signature: t=$ts,v1=$mac") ;;
	calendly)
		mac=$({ printf '%s.' "$ts"; cat "$f"; } | hmac_hex sha256 "$s")
		H+=(-H "Calendly-Webhook-Signature: t=$ts,v1=$mac") ;;
	esac
}

for p in $P; do
	s=$p-secret-1f2e
	id="$p-$$-1"
	b=$T/$p.body
	body "$p" "$id" "$b"
	hsign "$p" "$b" "$s" "$id"
	code=$(post "$base/$p" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: genuine delivery accepted"
	assert_match '"status":"accepted"' "$(cat "$T/resp.body")" \
	    "$p: answer says accepted"
	assert_eq 1 "$(rows "$p" "$(id_of "$p" "$id")")" "$p: one ledger row"
	code=$(post "$base/$p" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: the same again answered 200"
	assert_eq duplicate "$(last_log "$p" verdict)" "$p: logged duplicate"
	assert_eq 1 "$(rows "$p" "$(id_of "$p" "$id")")" "$p: still one row"

	# The id header changed, the signed bytes not: a replay.
	case $p in
	shopify | bitbucket | linear | pagerduty)
		code=$(post "$base/$p" "$b" "${H[@]/$id/$p-$$-new}")
		assert_eq 200 "$code" "$p: replay under a new id answered 200"
		assert_eq duplicate "$(last_log "$p" verdict)" \
		    "$p: the replay is a duplicate"
		assert_eq "$id" "$(last_log "$p" duplicate_of)" \
		    "$p: the record names the first delivery"
		assert_eq 0 "$(rows "$p" "$p-$$-new")" \
		    "$p: nothing queued for the replay" ;;
	esac

	if [ "$p" = gitlab ]; then
		# The token binds nothing else: the one fault is in the token.
		forged=$(other_char "$s" $((${#s} - 1)))
		code=$(post "$base/$p" "$b" "${H[@]/$s/$forged}")
		expect_reject "$p" 401 'mismatch' "a token one character off"
	else
		{ cat "$b"; printf ' '; } >"$T/tampered"
		code=$(post "$base/$p" "$T/tampered" "${H[@]}")
		expect_reject "$p" 401 'mismatch' "tampered body"
	fi

	id="$p-$$-w"
	body "$p" "$id" "$b"
	hsign "$p" "$b" "not-the-secret" "$id"
	code=$(post "$base/$p" "$b" "${H[@]}")
	expect_reject "$p" 401 'mismatch' "wrong secret"
	assert_eq 0 "$(rows "$p" "$(id_of "$p" "$id")")" \
	    "$p: nothing stored for the forgery"
done

# A signed time outside the provider's window (5 s Paddle, 300 s Mux,
# 180 s Calendly; Linear's is in the body: 60 s).
for p in paddle mux calendly; do
	id="$p-$$-old"
	body "$p" "$id" "$T/old.body"
	hsign "$p" "$T/old.body" "$p-secret-1f2e" "$id" $(($(date +%s) - 400))
	code=$(post "$base/$p" "$T/old.body" "${H[@]}")
	expect_reject "$p" 401 'outside tolerance: old' "a stale timestamp"
done
printf '{"action":"create","type":"Issue","webhookTimestamp":%s}' \
    "$((($(date +%s) - 120) * 1000))" >"$T/old.body"
hsign linear "$T/old.body" linear-secret-1f2e linear-$$-old
code=$(post "$base/linear" "$T/old.body" "${H[@]}")
expect_reject linear 401 'outside tolerance: old by 1[12][0-9] s' \
    "a webhookTimestamp 120 s old"

# An instance older than GitLab 17.4 sends no Idempotency-Key: the id is
# X-Gitlab-Event-UUID.  Bitbucket Data Center sends X-Request-Id.
body gitlab gl-old-$$ "$T/gl.body"
code=$(post "$base/gitlab" "$T/gl.body" -H 'Content-Type: application/json' \
    -H 'X-Gitlab-Token: gitlab-secret-1f2e' -H 'X-Gitlab-Event: Push Hook' \
    -H "X-Gitlab-Event-UUID: gl-uuid-$$")
assert_eq 200 "$code" "gitlab: accepted without Idempotency-Key"
assert_eq "gl-uuid-$$" "$(last_log gitlab id)" \
    "gitlab: the id is X-Gitlab-Event-UUID then"
body bitbucket bb-dc-$$ "$T/bb.body"
hsign bitbucket "$T/bb.body" bitbucket-secret-1f2e unused
code=$(post "$base/bitbucket" "$T/bb.body" \
    "${H[@]/X-Request-UUID: unused/X-Request-Id: bb-dc-$$}")
assert_eq 200 "$code" "bitbucket: Data Center's X-Request-Id accepted"
assert_eq "bb-dc-$$" "$(last_log bitbucket id)" \
    "bitbucket: the id is X-Request-Id then"

# webhookctl: send signs each provider's sample; explain re-verifies it.
CTL=$BUILD_DIR/bin/webhookctl
for p in $P; do
	out=$("$CTL" send "$base/$p" "$p" --id "$p-ctl-$$" 2>&1) ||
		fail "$p: webhookctl send failed" "$out"
	assert_match '"status":"accepted"' "$out" "$p: webhookctl send accepted"
	# GitLab's token is redacted from the log: nothing to re-verify.
	[ "$p" != gitlab ] || continue
	rid=$(last_log "$p" id)
	out=$("$CTL" explain "$rid" --endpoint "$p" 2>&1) ||
		fail "$p: explain does not verify its own delivery" "$out"
	ok "$p: webhookctl explain verifies it"
done

stop_server lighttpd-fcgi
t_done
