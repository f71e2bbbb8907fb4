#!/bin/bash
# webhookctl queue against a ledger the handlers filled under lighttpd:
# list, stats, show; retry --dead puts a dead row (inserted with the
# sqlite3 CLI, as the worker leaves them) back in the queue; retry ID
# refuses an active one; purge forgets old done rows only.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init ctl-queue

CTL=$BUILD_DIR/bin/webhookctl
[ -x "$CTL" ] || fail "no $CTL: build it first"
contract_config
db=$T/state/webhooks.db
rc=0
out=$("$CTL" queue list 2>&1) || rc=$?
assert_eq 0 "$rc" "queue list without a ledger yet: exit 0"
[ ! -e "$db" ] || fail "webhookctl created the ledger"
ok "webhookctl never creates the ledger"

port=$(free_port)
base=http://127.0.0.1:$port/hooks
MAX_PROCS=1 ENDPOINTS="github:$CGI_DIR/github.fcgi stripe:$CGI_DIR/stripe.fcgi" \
    start_server lighttpd-fcgi "$port"
"$CTL" send "$base/github" github --id q-1 >/dev/null
"$CTL" send "$base/stripe" stripe >/dev/null
sid=$(last_log stripe id)

# sql STATEMENT: runs it on the ledger, waiting for the handlers' locks.
sql() {
	sqlite3 -cmd '.timeout 5000' "$db" "$1"
}
now=$(($(date +%s) * 1000))
day=$((86400 * 1000))
sql "INSERT INTO deliveries (endpoint, delivery_id, provider, event,
    received_at, state, attempts, next_attempt_at, last_exit, last_error,
    finished_at, headers, body, body_sha256) VALUES ('github', 'dead-1',
    'github', 'push', $now - 60000, 'dead', 8, $now, 1,
    'curl: (7) Failed to connect
exit 1', $now, '{\"X-GitHub-Event\":\"push\"}', X'7b7d', 'x')"
sql "INSERT INTO deliveries (endpoint, delivery_id, provider, event,
    received_at, state, attempts, next_attempt_at, last_exit, finished_at,
    headers, body, body_sha256) VALUES ('github', 'old-done', 'github',
    'push', $now - 10 * $day, 'done', 1, $now - 10 * $day, 0,
    $now - 10 * $day, '{}', X'7b7d', 'x'), ('github', 'new-done',
    'github', 'push', $now, 'done', 1, $now, 0, $now, '{}', X'7b7d', 'x')"

# --- reading ----------------------------------------------------------
out=$("$CTL" queue list)
assert_match 'github +queued +0 push +q-1' "$out" "list: the queued delivery"
assert_match 'github +dead +8 push +dead-1 exit 1' "$out" \
    "list: the dead one, its attempts and exit"
assert_eq 0 "$(grep -c 'old-done' <<<"$out" || true)" \
    "list: done rows only with --all"
assert_match 'old-done' "$("$CTL" queue list --all)" "list --all"
assert_eq 1 "$("$CTL" queue list --state dead --json | jq -s length)" \
    "list --state dead --json"
out=$("$CTL" queue stats)
assert_match 'github +1 +0 +2 +1 ' "$out" \
    "stats: github queued running done dead"
j=$("$CTL" queue stats --json)
assert_eq 1 "$(jq '.endpoints[] | select(.endpoint == "stripe") | .queued' \
    <<<"$j")" "stats --json"
out=$("$CTL" queue show dead-1)
assert_match 'state +dead, 8 attempts, last exit 1' "$out" "show: the state"
assert_match 'Failed to connect' "$out" "show: the last error"
assert_eq dead "$("$CTL" queue show dead-1 --json | jq -r .state)" \
    "show --json"
rc=0
"$CTL" queue show nope 2>/dev/null || rc=$?
assert_eq 1 "$rc" "show: exit 1 for an unknown id"

# --- retry ------------------------------------------------------------
out=$("$CTL" queue retry --dead github)
assert_eq "requeued 1 dead delivery" "$out" "retry --dead: one requeued"
assert_eq "queued|0" "$(sql "SELECT state, attempts FROM deliveries
    WHERE delivery_id = 'dead-1'")" "retry --dead: queued, attempts 0"
sql "UPDATE deliveries SET state = 'dead' WHERE delivery_id = '$sid'"
out=$("$CTL" queue retry "$sid")
assert_eq "requeued $sid" "$out" "retry ID: requeued"
assert_eq queued "$(sql "SELECT state FROM deliveries
    WHERE delivery_id = '$sid'")" "retry ID: queued again"
rc=0
err=$("$CTL" queue retry q-1 2>&1) || rc=$?
assert_eq 1 "$rc" "retry of a queued delivery: exit 1"
assert_match 'queued or running already' "$err" "retry: says why"
rc=0
"$CTL" queue retry nope 2>/dev/null || rc=$?
assert_eq 1 "$rc" "retry of an unknown id: exit 1"

# --- purge ------------------------------------------------------------
rc=0
"$CTL" queue purge --older-than 1d 2>/dev/null || rc=$?
assert_eq 100 "$rc" "purge without --done: usage"
out=$("$CTL" queue purge --done --older-than 7d)
assert_eq "purged 1 done delivery" "$out" "purge: the old done row"
assert_eq "new-done" "$(sql "SELECT group_concat(delivery_id) FROM
    deliveries WHERE state = 'done'")" "purge: the recent one stays"
t_done
