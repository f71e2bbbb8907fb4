#!/bin/bash
# webhook-worker --once: a command gets the exact body on stdin and only
# WEBHOOK_* plus a few harmless variables in its environment (never a
# secret); a filtered event is done without running; a delivery with no
# command is dead; the log has one record per attempt; retention prunes
# bodies after keep_done and forgets ids after dedupe_window.
. "$(dirname "$0")/../lib.sh"
t_init worker-basics
. "$ROOT/tests/helpers/worker-lib.sh"

worker_config <<CONF
keep_done = 10m
dedupe_window = 1h

[github]
provider = github
secret = $W_SECRET
command = $WCMD record $T/out
on.ping = -
on.team.* = -

[nocmd]
provider = github
secret = $W_SECRET
CONF

# A body with every byte value, NUL and invalid UTF-8 included.
printf "$(printf '\\%03o' $(seq 0 255))" >"$T/binary.body"
assert_eq 256 "$(wc -c <"$T/binary.body")" "binary body has 256 bytes"
deliver github d-binary push "$T/binary.body"
deliver github d-json push
deliver github d-ping ping
deliver github d-team team.added
deliver nocmd d-nocmd push

# Must not reach a command: the parent's environment is not inherited.
FOO_SECRET=do-not-leak "$WORKER" --once -c "$WEBHOOK_CONFIG" \
    >"$T/once.out" 2>&1 || fail "--once exited $?" "$(cat "$T/once.out")"
ok "--once ran what was due and exited 0"

assert_eq done "$(q "SELECT state FROM deliveries
    WHERE delivery_id = 'd-binary'")" "binary delivery done"
cmp -s "$T/binary.body" "$T/out/body.d-binary" ||
	fail "the command did not get the exact body bytes"
ok "the command got the exact 256 body bytes on stdin"
cmp -s <(printf '{"id":"d-json","event":"push"}') "$T/out/body.d-json" ||
	fail "JSON body differs"
ok "JSON body exact"

env_of() {
	sed -n "s/^$1=//p" "$T/out/env.d-json"
}
assert_eq github "$(env_of WEBHOOK_ENDPOINT)" "WEBHOOK_ENDPOINT"
assert_eq github "$(env_of WEBHOOK_PROVIDER)" "WEBHOOK_PROVIDER"
assert_eq push "$(env_of WEBHOOK_EVENT)" "WEBHOOK_EVENT"
assert_eq d-json "$(env_of WEBHOOK_ID)" "WEBHOOK_ID"
assert_eq 1 "$(env_of WEBHOOK_ATTEMPT)" "WEBHOOK_ATTEMPT"
assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$' \
    "$(env_of WEBHOOK_RECEIVED_AT)" "WEBHOOK_RECEIVED_AT is RFC 3339"
assert_eq d-json "$(env_of WEBHOOK_HEADERS |
    jq -r '."X-Github-Delivery"')" "WEBHOOK_HEADERS is the JSON headers"
grep -q "$W_SECRET" "$T/out/env.d-json" &&
	fail "the secret reached the command's environment"
ok "no secret in the command's environment"
grep -Eq '^(FOO_SECRET|WEBHOOK_CONFIG)=' "$T/out/env.d-json" &&
	fail "the worker's own environment leaked" "$(cat "$T/out/env.d-json")"
ok "the worker's environment is not inherited wholesale"
extra=$(cut -d= -f1 "$T/out/env.d-json" | grep -v '^WEBHOOK_' |
    grep -Ev '^(PATH|HOME|LANG|LC_ALL|LC_CTYPE|TZ|TMPDIR|PWD)$' || true)
assert_eq "" "$extra" "nothing but PATH, HOME, locale, TZ, TMPDIR"

assert_eq "done|1|1" "$(q "SELECT state, attempts, last_exit IS NULL
    FROM deliveries WHERE delivery_id = 'd-ping'")" \
    "on.ping = - marks a ping done, no exit status"
is_state github d-team done || fail "team.added not filtered"
ok "on.team.* = - is a glob"
grep -Eq 'd-(ping|team)' "$T/out/runs" &&
	fail "a filtered event ran the command"
ok "filtered events did not run anything"
assert_eq 2 "$(wc -l <"$T/out/runs")" "the command ran twice in all"

assert_eq dead "$(q "SELECT state FROM deliveries
    WHERE delivery_id = 'd-nocmd'")" "no command: dead"
assert_match "no command for event 'push'" "$(q "SELECT last_error
    FROM deliveries WHERE delivery_id = 'd-nocmd'")" "and says why"

worker_records >"$T/records" || fail "worker.log is not JSON Lines"
assert_eq 5 "$(wc -l <"$T/records")" "one log record per attempt"
rec=$(jq -c 'select(.id == "d-json")' "$T/records")
assert_eq "done 1 0 github push" "$(jq -r '"\(.outcome) \(.attempt)
    \(.exit) \(.endpoint) \(.event)"' <<<"$rec" | tr -s ' \n' '  ' |
    sed 's/ $//')" "record: outcome, attempt, exit, endpoint, event"
assert_match '^[0-9]+$' "$(jq -r .duration_ms <<<"$rec")" \
    "record: duration_ms"
assert_eq "recorded d-json" "$(jq -r .stdout <<<"$rec" | head -n 1)" \
    "record: the command's output"
assert_eq filtered "$(jq -r 'select(.id == "d-ping") | .outcome' \
    "$T/records")" "record: filtered"

# Retention: bodies of done rows after keep_done (10m), done rows after
# dedupe_window (1h); dead rows stay.
now=$(date +%s%3N)
for row in "old-done done $((now - 7200000))" \
    "mid-done done $((now - 1200000))" "new-done done $((now - 60000))" \
    "old-dead dead $((now - 7200000))"; do
	set -- $row
	q "INSERT INTO deliveries (endpoint, delivery_id, provider, event,
	    received_at, state, attempts, next_attempt_at, finished_at,
	    headers, body, body_sha256) VALUES ('github', '$1', 'github',
	    'push', $3, '$2', 1, $3, $3, '{}', 'body', '')"
done
"$WORKER" --once -c "$WEBHOOK_CONFIG" >"$T/once.out" 2>&1 ||
	fail "--once exited $?" "$(cat "$T/once.out")"
assert_eq "" "$(q "SELECT id FROM deliveries
    WHERE delivery_id = 'old-done'")" "done after dedupe_window: forgotten"
assert_eq "1" "$(q "SELECT body IS NULL FROM deliveries
    WHERE delivery_id = 'mid-done'")" "done after keep_done: body pruned"
assert_eq "0" "$(q "SELECT body IS NULL FROM deliveries
    WHERE delivery_id = 'new-done'")" "recently done: body kept"
assert_eq "0" "$(q "SELECT body IS NULL FROM deliveries
    WHERE delivery_id = 'old-dead'")" "dead: kept whole"

# Usage errors are 100, an unusable configuration 111.
rc=0
"$WORKER" --no-such-option >/dev/null 2>&1 || rc=$?
assert_eq 100 "$rc" "unknown option: exit 100"
rc=0
"$WORKER" -c "$T/missing.conf" --once >/dev/null 2>&1 || rc=$?
assert_eq 111 "$rc" "missing configuration: exit 111"
t_done
