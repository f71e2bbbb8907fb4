#!/bin/bash
# Process life: a worker killed with SIGKILL mid-command leaves its
# delivery to run again once the lease expires, and nothing is lost;
# SIGTERM stops claiming, lets running commands finish within the grace,
# and puts those still running after it back in the queue uncounted;
# SIGHUP reloads the configuration.
. "$(dirname "$0")/../lib.sh"
t_init worker-signals
. "$ROOT/tests/helpers/worker-lib.sh"
mkdir -p "$T/out2"

# conf HUP_DIR: the configuration, with the hup endpoint writing there.
conf() {
	worker_config <<CONF
workers = 4

[slow]
provider = github
secret = $W_SECRET
command = $WCMD slow $T/out 1
timeout = 2

[slow4]
provider = github
secret = $W_SECRET
command = $WCMD slow $T/out 4
timeout = 10

[late]
provider = github
secret = $W_SECRET
command = $WCMD record $T/out

[hup]
provider = github
secret = $W_SECRET
command = $WCMD record $1
CONF
}
started() {
	grep -qx "start $1" "$T/out/runs" 2>/dev/null
}

# --- SIGKILL mid-command ---
# The lease is the longest timeout in the file (2 s here) + the kill
# grace (2 s) + the margin (1 s).
worker_config <<CONF
timeout = 2

[slow]
provider = github
secret = $W_SECRET
command = $WCMD slow $T/out 1
CONF
start_worker w1 --lease-margin 1
deliver slow k1 push
wait_for 5 "k1 started" started "k1 1"
kill -KILL "$(server_pid w1)"
ok "worker SIGKILLed mid-command"
assert_eq running "$(q "SELECT state FROM deliveries
    WHERE delivery_id = 'k1'")" "k1 is left running, under its lease"
killed_at=$(date +%s%3N)
start_worker w2
wait_for 10 "k1 ran again after the lease and is done" is_state slow k1 done
echo "# taken over $(($(date +%s%3N) - killed_at)) ms after the SIGKILL"
assert_eq 2 "$(q "SELECT attempts FROM deliveries
    WHERE delivery_id = 'k1'")" "attempts = 2"
grep -qx "end k1 2" "$T/out/runs" || fail "attempt 2 did not finish"
ok "attempt 2 ran to its end"
grep -qx "end k1 1" "$T/out/runs" &&
	fail "attempt 1 outlived its worker (PR_SET_PDEATHSIG)"
ok "attempt 1 died with its worker"
stop_server w2
conf "$T/out"

# --- SIGTERM: running commands finish within the grace ---
start_worker w3 --grace 5
w3=$(server_pid w3)
deliver slow g1 push
wait_for 5 "g1 started" started "g1 1"
kill -TERM "$w3"
deliver late g2 push
stopped_within 5 "$w3"
assert_eq 0 "$W_RC" "SIGTERM: exit 0"
is_state slow g1 done || fail "g1 was not let finish"
ok "the running command finished within the grace: done"
assert_eq "queued|0" "$(q "SELECT state, attempts FROM deliveries
    WHERE delivery_id = 'g2'")" "nothing claimed after SIGTERM"

# --- SIGTERM: grace over, the command is killed and requeued ---
start_worker w4 --grace 1
w4=$(server_pid w4)
deliver slow4 s1 push
wait_for 5 "s1 started" started "s1 1"
sleep 0.2
kill -TERM "$w4"
stopped_within 4 "$w4"
assert_eq 0 "$W_RC" "SIGTERM after the grace: exit 0"
assert_eq "queued|0||" "$(q "SELECT state, attempts, lease_owner,
    lease_until FROM deliveries WHERE delivery_id = 's1'")" \
    "s1 back in the queue, the attempt not counted, no lease"
grep -q "^end s1" "$T/out/runs" && fail "s1 was not killed"
ok "s1 was killed"
assert_eq requeued "$(worker_records | jq -r \
    'select(.id == "s1") | .outcome')" "log: requeued"
is_state late g2 done || fail "g2 not run by the next worker"
ok "g2 ran once a worker was there to claim it"

# --- SIGHUP: the new configuration applies to the next delivery ---
start_worker w5
deliver hup r1 push
wait_for 5 "r1 done with the first command" is_state hup r1 done
[ -e "$T/out/env.r1" ] || fail "r1 not recorded in out"
conf "$T/out2"
kill -HUP "$(server_pid w5)"
wait_for 5 "the worker reloaded" \
    grep -q "configuration reloaded" "$T/w5/stdout.log"
deliver hup r2 push
wait_for 5 "r2 done" is_state hup r2 done
[ -e "$T/out2/env.r2" ] || fail "r2 did not use the new command"
ok "r2 ran the command of the reloaded configuration"
# A broken file is refused and the old configuration kept.
echo "this is not a config line" >>"$WEBHOOK_CONFIG"
kill -HUP "$(server_pid w5)"
wait_for 5 "a broken configuration is refused" \
    grep -q "reload failed" "$T/w5/stdout.log"
# The handlers refuse the broken file too: queue r3 by hand.
now=$(date +%s%3N)
q "INSERT INTO deliveries (endpoint, delivery_id, provider, event,
    received_at, next_attempt_at, headers, body, body_sha256)
    VALUES ('hup', 'r3', 'github', 'push', $now, $now, '{}', 'x', '')"
wait_for 5 "r3 done with the kept configuration" is_state hup r3 done
[ -e "$T/out2/env.r3" ] || fail "r3 did not use the kept command"
ok "r3 ran the command of the kept configuration"
t_done
