#!/bin/bash
# At-least-once, never twice at the same time: two worker processes with
# four slots each on one ledger, 500 deliveries (half queued before they
# start, half while they run): every command runs exactly once, counted
# by its side effect, and every delivery ends done after one attempt.
. "$(dirname "$0")/../lib.sh"
t_init worker-concurrency
. "$ROOT/tests/helpers/worker-lib.sh"

worker_config <<CONF
workers = 4

[github]
provider = github
secret = $W_SECRET
command = $WCMD count $T/out
CONF
# The handler creates the ledger; the rest is queued straight in SQL,
# which is what a handler's INSERT does, only faster.
deliver github c0 push

# insert_batch FROM TO: queues deliveries cFROM..cTO in one transaction.
insert_batch() {
	q "INSERT INTO deliveries (endpoint, delivery_id, provider, event,
	    received_at, next_attempt_at, headers, body, body_sha256)
	    WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n
	    WHERE i < $2) SELECT 'github', 'c' || i, 'github', 'push',
	    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
	    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), '{}',
	    '{\"n\":' || i || '}', '' FROM n"
}
insert_batch 1 249
start_worker w1
start_worker w2
for i in $(seq 250 25 475); do
	insert_batch "$i" $((i + 24))
	sleep 0.05
done
assert_eq 500 "$(q 'SELECT count(*) FROM deliveries')" "500 deliveries"
wait_for 30 "all 500 done" eval '[ "$(count_state done)" = 500 ]'

assert_eq 500 "$(wc -l <"$T/out/count")" "500 side effects"
assert_eq "" "$(sort "$T/out/count" | uniq -d | head -n 5)" \
    "no delivery ran twice"
assert_eq 500 "$(sort -u "$T/out/count" | wc -l)" "every delivery ran"
assert_eq 500 "$(q "SELECT count(*) FROM deliveries WHERE state = 'done'
    AND attempts = 1 AND last_exit = 0")" "each done after one attempt"
worker_records >"$T/records" || fail "worker.log is not JSON Lines"
assert_eq 500 "$(wc -l <"$T/records")" "500 log records"
n1=$(grep -c "\"worker\":\"[^\"]*:$(server_pid w1)\"" "$T/records" || true)
n2=$(grep -c "\"worker\":\"[^\"]*:$(server_pid w2)\"" "$T/records" || true)
echo "# worker 1 ran $n1, worker 2 ran $n2"
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] || fail "one worker did nothing"
ok "both workers took part ($n1 + $n2)"
t_done
