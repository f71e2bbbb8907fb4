#!/bin/bash
# webhookctl round trip under a real lighttpd (FastCGI): send a sample,
# see it accepted, find it with tail and show (the exact body), replay
# it (a duplicate), replay it re-signed under a new id (accepted), and
# follow the log with tail -f across rotation and truncation.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init ctl-roundtrip

CTL=$BUILD_DIR/bin/webhookctl
[ -x "$CTL" ] || fail "no $CTL: build it first"
contract_config
port=$(free_port)
base=http://127.0.0.1:$port/hooks
MAX_PROCS=1 ENDPOINTS="github:$CGI_DIR/github.fcgi stripe:$CGI_DIR/stripe.fcgi" \
    start_server lighttpd-fcgi "$port"

# --- send, tail, show -------------------------------------------------
printf '{"ref":"refs/heads/main","pusher":{"name":"mona"},"n":1}\n' \
    >"$T/push.json"
out=$("$CTL" send "$base/github" github --body-file "$T/push.json" \
    --id rt-1)
assert_match '"status":"accepted"' "$out" "send: accepted"
line=$("$CTL" tail -n 1 github)
assert_match '^[0-9T:.-]+Z github +200 accepted +push +rt-1 queued$' \
    "$line" "tail: time endpoint status verdict event id reason"
"$CTL" show rt-1 --body >"$T/shown.body"
cmp -s "$T/push.json" "$T/shown.body" ||
	fail "show --body: not the exact bytes" "$(od -c "$T/shown.body")"
ok "show --body: the exact bytes sent"
out=$("$CTL" show rt-1)
assert_match 'verdict|accepted' "$out" "show: the verdict"
assert_match 'X-Hub-Signature-256: sha256=[0-9a-f]{64}' "$out" \
    "show: the headers"
assert_match '"pusher": \{' "$out" "show: the body re-indented"
assert_match 'state +queued, 0 attempts' "$out" "show: the ledger state"
json=$("$CTL" show rt-1 --json)
assert_eq rt-1 "$(jq -r .log.id <<<"$json")" "show --json: the record"
assert_eq queued "$(jq -r '.ledger[0].state' <<<"$json")" \
    "show --json: the ledger row"
rc=0
"$CTL" show no-such-delivery 2>/dev/null || rc=$?
assert_eq 1 "$rc" "show: exit 1 for an unknown id"

# --- replay -----------------------------------------------------------
out=$("$CTL" replay rt-1)
assert_match '"status":"duplicate"' "$out" "replay: the same bytes are a duplicate"
assert_eq duplicate "$(last_log github verdict)" "replay: logged duplicate"
assert_eq "$(sha256sum <"$T/push.json" | cut -d' ' -f1)" \
    "$(last_log github body_sha256)" "replay: the exact body again"
# GitHub signs the body only: under a new id it is the same signed
# bytes, a replay, answered duplicate and not queued (issue 12).
out=$("$CTL" replay rt-1 --resign --id rt-2)
assert_match '"status":"duplicate"' "$out" \
    "replay --resign --id: the same signed bytes are a duplicate"
assert_eq rt-2 "$(last_log github id)" "replay --resign --id: the new id"
assert_eq rt-1 "$(last_log github duplicate_of)" \
    "replay --resign --id: the record names the first delivery"
assert_eq 0 "$(rows github rt-2)" "replay --resign --id: no new row"
rc=0
"$CTL" replay rt-1 --to "http://127.0.0.1:$port/nowhere" >/dev/null ||
    rc=$?
assert_eq 1 "$rc" "replay --to a 404: exit 1"

# Stripe keeps the id in the signed body: --id needs --resign.
out=$("$CTL" send "$base/stripe" stripe)
sid=$(last_log stripe id)
rc=0
"$CTL" replay "$sid" --id evt_other 2>/dev/null || rc=$?
assert_eq 100 "$rc" "replay --id without --resign on stripe: usage"
out=$("$CTL" replay "$sid" --resign --id evt_rt_new)
assert_match '"id":"evt_rt_new"' "$out" "stripe replay --resign --id"
assert_eq accepted "$(last_log stripe verdict)" "stripe: new id accepted"
out=$("$CTL" replay --since 10m --endpoint stripe)
assert_match 'replayed 2 deliveries, 2 answered 2xx' "$out" \
    "replay --since: every stripe delivery again"

# --- tail filters and torn lines --------------------------------------
out=$("$CTL" tail -n 20 --verdict duplicate)
assert_eq 0 "$(grep -vc ' duplicate ' <<<"$out" || true)" \
    "tail --verdict: only duplicates"
assert_match 'rt-1' "$out" "tail --verdict: the replayed delivery"
out=$("$CTL" tail -n 20 --event 'payment_intent.*' --json)
assert_eq payment_intent.succeeded "$(jq -r .event <<<"$out" | sort -u)" \
    "tail --event --json: JSON Lines of that event"
printf '{"time":"2026-01-01T00:00:00.000Z","endp' >>"$T/log/github.log"
printf '\n' >>"$T/log/github.log"
err=$("$CTL" tail -n 5 github 2>&1 >/dev/null)
assert_match 'not a log record' "$err" "tail: a torn line is reported"

# --- tail -f across rotation and truncation ----------------------------
"$CTL" tail -f -n 0 github >"$T/follow.out" 2>"$T/follow.err" &
TAIL_PID=$!
# wait_for PATTERN: until tail -f printed it (at most 10 s).
wait_for() {
	local i

	for i in $(seq 1 100); do
		grep -q "$1" "$T/follow.out" && return 0
		sleep 0.1
	done
	fail "tail -f did not print $1" "$(cat "$T/follow.out")"
}
sleep 0.5
"$CTL" send "$base/github" github --id follow-1 >/dev/null
wait_for follow-1
ok "tail -f: a new delivery"
mv "$T/log/github.log" "$T/log/github.log.1"
"$CTL" send "$base/github" github --id follow-2 >/dev/null
wait_for follow-2
ok "tail -f: follows the new file after a rotation"
: >"$T/log/github.log"
# Let a poll see the file shrink (as tail -F, a truncation followed at
# once by more than was there before cannot be told from an append).
sleep 0.5
"$CTL" send "$base/github" github --id follow-3 >/dev/null
wait_for follow-3
ok "tail -f: starts over after truncation"
kill "$TAIL_PID"
wait "$TAIL_PID" 2>/dev/null || true
# The same sample under three ids: the first is accepted, the others
# are replays of its signed bytes (duplicates); each is printed once.
assert_eq 3 "$(grep -cE ' (accepted|duplicate) .*follow-[123]' \
    "$T/follow.out")" "tail -f: each delivery once"
# The rotated file still counts for show and replay.
assert_match 'follow-1' "$("$CTL" show follow-1 | head -1)" \
    "show finds a delivery in a rotated log"
t_done
