#!/bin/bash
# webhookctl sign and send against all five handlers behind a real
# lighttpd (FastCGI): what sign prints equals an independent openssl
# computation and is accepted; send delivers every sample and reports
# the answer with the documented exit statuses.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init ctl-sign-send

ctl_setup

# hdr NAME TEXT: the value of header NAME in "Name: value" lines.
hdr() {
	printf '%s\n' "$2" | sed -n "s/^$1: //p"
}

# h_value NAME: the value of header NAME in the array H (contract.sh).
h_value() {
	local h

	for h in "${H[@]}"; do
		case $h in
		"$1: "*) printf '%s' "${h#"$1: "}" ;;
		esac
	done
}

# --- sign: equal to openssl, accepted by the handler ------------------
for p in $PROVIDERS; do
	s=$(secret_of "$p")
	printf '%s\n' "$s" >"$T/$p.key"
	chmod 600 "$T/$p.key"
	id="sign-$p-$RANDOM$$"
	make_body "$p" "$id" "$T/body"
	now=$(date +%s)
	extra=()
	[ "$p" != iot ] || extra=(--endpoint iot)
	out=$("$CTL" sign "$p" --secret-file "$T/$p.key" --body-file \
	    "$T/body" --timestamp "$now" --id "$id" "${extra[@]}")
	sign "$p" "$T/body" "$s" "$id" "$now"
	case $p in
	github) name=X-Hub-Signature-256 ;;
	stripe) name=Stripe-Signature ;;
	slack) name=X-Slack-Signature ;;
	zendesk) name=X-Zendesk-Webhook-Signature ;;
	iot) name=X-Signature ;;
	esac
	assert_eq "$(h_value "$name")" "$(hdr "$name" "$out")" \
	    "$p: sign's $name equals openssl's"
	hs=()
	while IFS= read -r line; do
		hs+=(-H "$line")
	done <<<"$out"
	code=$(post "$base/$p" "$T/body" "${hs[@]}")
	assert_eq 200 "$code" "$p: the handler accepts what sign printed"
	assert_eq accepted "$(last_log "$p" verdict)" "$p: logged accepted"
done

# The secret from the environment, the body from standard input.
make_body github env-1 "$T/github.body"
out=$(WEBHOOK_SECRET="It's a Secret to Everybody" "$CTL" sign github \
    --id env-1 <"$T/github.body" 2>&1)
assert_eq "sha256=$(hmac_hex sha256 "It's a Secret to Everybody" \
    <"$T/github.body")" "$(hdr X-Hub-Signature-256 "$out")" \
    "sign: WEBHOOK_SECRET and standard input"
assert_eq env-1 "$(hdr X-GitHub-Delivery "$out")" "sign: --id"
err=$("$CTL" sign github --secret x --body-file "$T/github.body" 2>&1 \
    >/dev/null)
assert_match 'process listings' "$err" "sign: --secret warns"
iso=$("$CTL" sign zendesk --secret x --timestamp 1700000000 \
    --body-file "$T/github.body")
assert_eq 2023-11-14T22:13:20Z \
    "$(hdr X-Zendesk-Webhook-Signature-Timestamp "$iso")" \
    "sign: zendesk timestamps are ISO-8601"
rc=0
"$CTL" sign iot --secret x --body-file "$T/github.body" 2>/dev/null ||
    rc=$?
assert_eq 111 "$rc" "sign iot without an endpoint: no scheme"
rc=0
"$CTL" sign 2>/dev/null || rc=$?
assert_eq 100 "$rc" "sign without a provider: usage"

# --- send: every default sample ---------------------------------------
for p in $PROVIDERS; do
	out=$("$CTL" send "$base/$p" "$p")
	assert_match '^HTTP 200$' "$(sed -n 2p <<<"$out")" "send $p: HTTP 200"
	assert_match '"status":"accepted"' "$out" "send $p: accepted"
	id=$(sed -n 's/^sent .*delivery \([^ ]*\) to .*/\1/p' <<<"$out")
	assert_eq "$id" "$(last_log "$p" id)" "send $p: the id it reports"
	assert_eq 1 "$(rows "$p" "$id")" "send $p: one ledger row"
done

for s in ping pull_request; do
	out=$("$CTL" -c "$WEBHOOK_CONFIG" send "$base/github" github \
	    --event "$s")
	assert_match '"status":"accepted"' "$out" "send github $s: accepted"
	assert_eq "$s" "$(last_log github event)" "send github $s: its event"
done
out=$("$CTL" send "$base/stripe" stripe --sample invoice.paid --json)
assert_eq 200 "$(jq -r .status <<<"$out")" "send --json: the status"
assert_eq invoice.paid "$(last_log stripe event)" "stripe invoice.paid"
assert_eq "$(jq -r .id <<<"$out")" "$(last_log stripe id)" \
    "send --json: the id"
out=$("$CTL" send "$base/slack" slack --sample slash_command)
assert_match '"status":"accepted"' "$out" "slack slash command accepted"
assert_eq slash_command "$(last_log slack event)" "slash command event"
assert_match 'x-www-form-urlencoded' \
    "$(tail -n 1 "$T/log/slack.log" | jq -r '.headers["Content-Type"]')" \
    "slash command sent as a form"
out=$("$CTL" send "$base/slack" slack --sample url_verification)
assert_match '"challenge":"3eZbrw' "$out" "url_verification: the challenge"
out=$("$CTL" send "$base/zendesk" zendesk --event ticket.comment_added)
assert_eq zen:event-type:ticket.comment_added "$(last_log zendesk event)" \
    "zendesk ticket.comment_added"

# The exact bytes of a file, and a chosen id.
printf '{"zen":"Keep it logically awesome.","hook_id":1}\n' >"$T/mine.json"
out=$("$CTL" send "$base/github" github --body-file "$T/mine.json" \
    --id mine-1 --event ping)
assert_match '"id":"mine-1"' "$out" "send --id"
assert_eq "$(sha256sum <"$T/mine.json" | cut -d' ' -f1)" \
    "$(last_log github body_sha256)" "send --body-file: the exact bytes"

# --- exit statuses ----------------------------------------------------
rc=0
"$CTL" send "$base/github" github --body-file "$T/mine.json" \
    --id mine-1 >/dev/null || rc=$?
assert_eq 0 "$rc" "a duplicate is still a 2xx"
rc=0
out=$("$CTL" send "http://127.0.0.1:$port/nowhere" github) || rc=$?
assert_eq 1 "$rc" "send: exit 1 on a 404"
assert_match 'HTTP 404' "$out" "send: prints the 404"
rc=0
"$CTL" send "$base/stripe" github >/dev/null || rc=$?
assert_eq 1 "$rc" "send: exit 1 on a 401 (wrong handler)"
dead=$(free_port)
rc=0
err=$("$CTL" send "http://127.0.0.1:$dead/hooks/github" github 2>&1) ||
    rc=$?
assert_eq 111 "$rc" "send: exit 111 when nothing listens"
assert_match 'cannot POST' "$err" "send: says why"
rc=0
"$CTL" send "$base/github" 2>/dev/null || rc=$?
assert_eq 100 "$rc" "send: exit 100 on bad usage"
rc=0
"$CTL" send "$base/github" nosuch 2>/dev/null || rc=$?
assert_eq 111 "$rc" "send: unknown endpoint (no provider)"

# --- the command make run prints --------------------------------------
out=$("$CTL" -c "$WEBHOOK_CONFIG" send "$base/github" github 2>&1)
assert_match '200|accepted' "$out" "the make run line works"
t_done
