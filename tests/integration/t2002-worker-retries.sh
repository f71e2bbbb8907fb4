#!/bin/bash
# Failures: a command that fails twice then succeeds is retried with
# exponential backoff (retry_base = 1 s, equal jitter: the first wait is
# 0.5 to 1 s, the second 1 to 2 s) and ends done after 3 attempts; one
# that always fails is dead after max_attempts with its exit status and
# stderr kept; one that hangs is killed at the timeout, its whole
# process group with it, and counts as a failed attempt.
. "$(dirname "$0")/../lib.sh"
t_init worker-retries
. "$ROOT/tests/helpers/worker-lib.sh"

worker_config <<CONF
workers = 4
retry_max = 1h
max_attempts = 3

[flaky]
provider = github
secret = $W_SECRET
command = $WCMD flaky $T/out 2

[fail]
provider = github
secret = $W_SECRET
command = $WCMD fail $T/out

[hang]
provider = github
secret = $W_SECRET
command = $WCMD hang $T/out
timeout = 1
max_attempts = 1
CONF
start_worker worker
deliver flaky f1 push
deliver fail x1 push
deliver hang h1 push

# --- hang: killed at the timeout, the whole group gone ---
wait_for 10 "hanging command: dead after its one attempt" \
    is_state hang h1 dead
read -r leader pgid grandchild <"$T/out/hang.h1"
assert_eq "$leader" "$pgid" "the command led its own process group"
wait_for 3 "the process group is gone" \
    eval '[ -z "$(pgrep -g "$pgid" || true)" ]'
pid_alive "$grandchild" && fail "the TERM-ignoring grandchild survived"
ok "the grandchild that ignored SIGTERM was killed too"
assert_match "^timed out after 1 s" "$(q "SELECT last_error FROM
    deliveries WHERE delivery_id = 'h1'")" "last_error says timed out"
rec=$(worker_records | jq -c 'select(.id == "h1")')
assert_eq "dead true" "$(jq -r '"\(.outcome) \(.timed_out)"' <<<"$rec")" \
    "the log record says timed_out"
ms=$(jq -r .duration_ms <<<"$rec")
[ "$ms" -ge 1000 ] && [ "$ms" -lt 4000 ] ||
	fail "killed after $ms ms, not at the 1 s timeout"
ok "killed after $ms ms (timeout 1 s)"

# --- flaky: fails twice, then done ---
wait_for 10 "flaky command: done" is_state flaky f1 done
assert_eq 3 "$(q "SELECT attempts FROM deliveries
    WHERE delivery_id = 'f1'")" "attempts = 3"
mapfile -t t < <(awk '$2 == "f1" { print $1 }' "$T/out/runs")
assert_eq 3 "${#t[@]}" "the command ran 3 times"
gap1=$((t[1] - t[0]))
gap2=$((t[2] - t[1]))
echo "# backoff observed: ${gap1} ms, then ${gap2} ms"
[ "$gap1" -ge 500 ] || fail "first retry after $gap1 ms, before 500 ms"
[ "$gap2" -ge 1000 ] || fail "second retry after $gap2 ms, before 1 s"
ok "backoff: $gap1 ms >= 0.5 s, then $gap2 ms >= 1 s"
assert_eq "retry retry done" "$(worker_records | jq -r \
    'select(.id == "f1") | .outcome' | tr '\n' ' ' | sed 's/ $//')" \
    "log: retry, retry, done"
assert_eq 2 "$(worker_records | jq -r 'select(.id == "f1" and
    .outcome == "retry") | .next_attempt_at // empty' | grep -c T)" \
    "retry records say when the next attempt is"

# --- always fails: dead after max_attempts, stderr kept ---
wait_for 10 "failing command: dead" is_state fail x1 dead
assert_eq "3|3" "$(q "SELECT attempts, last_exit FROM deliveries
    WHERE delivery_id = 'x1'")" "dead after 3 attempts, exit status 3"
assert_match "boom: attempt 3 of x1" "$(q "SELECT last_error FROM
    deliveries WHERE delivery_id = 'x1'")" "the last stderr is kept"
assert_eq 3 "$(grep -c ' x1 ' "$T/out/runs")" "it ran exactly 3 times"
assert_eq "boom: attempt 3 of x1" "$(worker_records | jq -r \
    'select(.id == "x1" and .outcome == "dead") | .stderr' |
    head -n 1)" "the log record has its stderr"
t_done
