#!/bin/bash
# The examples of the README's "Processing deliveries" section, taken
# from it and run for real: Stripe payments into a SQLite table, GitHub
# pushes into a chat file.  Each is run twice for one delivery, as the
# worker may, and must leave one result.
. "$(dirname "$0")/../lib.sh"
t_init worker-examples
. "$ROOT/tests/helpers/worker-lib.sh"

# example NAME: the script after "<!-- example: NAME -->" in the README
# (or docs/worker.md until it is merged), into $T/bin/NAME.
example() {
	local f

	mkdir -p "$T/bin"
	for f in "$ROOT/README.md" "$ROOT/docs/worker.md"; do
		grep -q "^<!-- example: $1 -->" "$f" 2>/dev/null || continue
		awk -v m="<!-- example: $1 -->" '
			$0 == m { on = 1; next }
			on && /^```sh$/ { copy = 1; next }
			copy && /^```$/ { exit }
			copy { print }' "$f" >"$T/bin/$1"
		chmod +x "$T/bin/$1"
		[ -s "$T/bin/$1" ] || fail "example $1 is empty in $f"
		ok "example $1 taken from ${f#"$ROOT"/}"
		return 0
	done
	fail "no example $1 in README.md or docs/worker.md"
}
example stripe-payments
example push-to-chat

worker_config <<CONF
[stripe]
provider = stripe
secret = whsec_$W_SECRET
on.payment_intent.succeeded = $T/bin/stripe-payments $T/out/payments.db
on.* = -

[github]
provider = github
secret = $W_SECRET
on.push = $T/bin/push-to-chat $T/out/chat.jsonl
on.* = -
CONF

# stripe_deliver FILE: FILE through stripe.fcgi, signed as Stripe does.
stripe_deliver() {
	local ts mac out

	ts=$(date +%s)
	mac=$({ printf '%s.' "$ts"; cat "$1"; } |
	    hmac_hex sha256 "whsec_$W_SECRET")
	out=$(timeout -s KILL 30 env -i PATH="$PATH" \
	    ASAN_OPTIONS=detect_leaks=0 WEBHOOK_CONFIG="$WEBHOOK_CONFIG" \
	    WEBHOOK_ENDPOINT=stripe GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD=POST REQUEST_URI=/hooks/stripe \
	    REMOTE_ADDR=127.0.0.1 CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(wc -c <"$1")" \
	    HTTP_STRIPE_SIGNATURE="t=$ts,v1=$mac" \
	    "$W_BUILD/cgi-bin/stripe.fcgi" <"$1" 2>&1) || true
	case $out in
	*'"status":"accepted"'*) ;;
	*) fail "stripe delivery $1 not accepted" "$out" ;;
	esac
}

cat >"$T/pi.json" <<'JSON'
{
  "id": "evt_3PqT1",
  "object": "event",
  "type": "payment_intent.succeeded",
  "data": {"object": {"id": "pi_3PqT1", "object": "payment_intent",
    "amount": 2000, "currency": "eur", "status": "succeeded"}}
}
JSON
sed 's/evt_3PqT1/evt_3PqT2/; s/succeeded",$/created",/' "$T/pi.json" \
    >"$T/created.json"
stripe_deliver "$T/pi.json"
stripe_deliver "$T/created.json"
cat >"$T/push.json" <<'JSON'
{"ref": "refs/heads/main", "pusher": {"name": "octocat"},
 "repository": {"full_name": "octo/hello"},
 "commits": [{"id": "a1"}, {"id": "b2"}]}
JSON
deliver github push-1 push "$T/push.json"
deliver github ping-1 ping

"$WORKER" --once -c "$WEBHOOK_CONFIG" >"$T/once.out" 2>&1 ||
	fail "--once exited $?" "$(cat "$T/once.out")"
assert_eq "done done done done" "$(q "SELECT state FROM deliveries
    ORDER BY id" | tr '\n' ' ' | sed 's/ $//')" "all four done"
assert_eq "evt_3PqT1|pi_3PqT1|2000|eur" "$(sqlite3 "$T/out/payments.db" \
    "SELECT event_id, payment_id, amount, currency FROM payments")" \
    "the payment is in the table, the other event filtered"
msg='octocat pushed 2 commit(s) to octo/hello refs/heads/main'
assert_eq "{\"text\":\"$msg\",\"delivery\":\"push-1\"}" \
    "$(cat "$T/out/chat.jsonl")" "the push became one chat message"

# Run again, as after a worker crash: still one result each.
env -i PATH="$PATH" WEBHOOK_ID=evt_3PqT1 \
    WEBHOOK_RECEIVED_AT=2026-01-01T00:00:00.000Z \
    "$T/bin/stripe-payments" "$T/out/payments.db" <"$T/pi.json" ||
	fail "stripe-payments failed on its second run"
assert_eq 1 "$(sqlite3 "$T/out/payments.db" \
    "SELECT count(*) FROM payments")" "stripe-payments: idempotent"
env -i PATH="$PATH" WEBHOOK_ID=push-1 \
    "$T/bin/push-to-chat" "$T/out/chat.jsonl" <"$T/push.json" ||
	fail "push-to-chat failed on its second run"
assert_eq 1 "$(wc -l <"$T/out/chat.jsonl")" "push-to-chat: idempotent"
# A malformed payment fails, so it is retried instead of lost.
rc=0
echo '{"id":"evt_bad"}' | env -i PATH="$PATH" WEBHOOK_ID=evt_bad \
    WEBHOOK_RECEIVED_AT=2026-01-01T00:00:00.000Z \
    "$T/bin/stripe-payments" "$T/out/payments.db" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "a malformed payment was accepted"
ok "a malformed payment fails (exit $rc)"
t_done
