#!/bin/bash
# store = nats, the worker's side: two webhook-worker processes share the
# one durable consumer of a real 3-node nats-server cluster.
#  - Every delivery a lighttpd receiver accepted runs its command exactly
#    once (no worker died), with the body on stdin and WEBHOOK_*; both
#    workers take part.
#  - A failing command is retried after retry_base (WEBHOOK_ATTEMPT 2),
#    then dead after max_attempts; the dead delivery is recorded in the
#    <stream>_dead stream.
#  - SIGTERM to a worker mid-command: after its grace the command is
#    killed and the delivery given back; it runs on the other worker.
#  - A worker kill -9'd mid-command: the delivery runs again on the other
#    worker once the lease (the consumer's AckWait) expires, and
#    WEBHOOK_ATTEMPT says 2: it is counted in the delivery's run record
#    (<stream>_run), not by the consumer, so it is exact.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-workers
N=${NATS_N_DELIVERIES:-60}
WORKER=$BUILD_DIR/bin/webhook-worker

nats_cluster 3
server_dir "$T/log" "$T/state" "$T/out"
chmod 777 "$T/out"
cat >"$T/cmd.sh" <<'EOF'
#!/bin/sh
# Records who ran what; "fail*" fails, "slow*" hangs on its 1st attempt.
body=$(cat)
echo "$WEBHOOK_ID $WEBHOOK_ATTEMPT $PPID $$ $WEBHOOK_ENDPOINT $WEBHOOK_EVENT ${#body}" >>"$OUT/runs"
case $WEBHOOK_ID in
fail*) exit 3 ;;
slow*) [ "$WEBHOOK_ATTEMPT" = 1 ] && exec sleep 60 ;;
esac
exit 0
EOF
sed -i "s|\$OUT|$T/out|" "$T/cmd.sh"
chmod 755 "$T/cmd.sh"
nats_test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF
command = $T/cmd.sh
timeout = 4s
retry_base = 1s
retry_max = 1s
max_attempts = 2
workers = 4

[github]
provider = github
secret = It's a Secret to Everybody
CONF
export WEBHOOK_CONFIG=$T/webhooks.conf
port=$(free_port)
MAX_PROCS=2 ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"

# deliver ID: posts until 200 (the first one also makes the stream).
deliver() {
	local i code

	make_body github "$1" "$T/b.$1"
	sign github "$T/b.$1" "$(secret_of github)" "$1"
	for i in $(seq 1 40); do
		code=$(post "http://127.0.0.1:$port/hooks/github" "$T/b.$1" \
		    "${H[@]}")
		[ "$code" = 200 ] && return 0
		sleep 0.5
	done
	fail "delivery $1 not accepted" "$code $(cat "$T/resp.body")"
}

# Two workers, each as on its own host: short lease margin for the test.
mkdir -p "$T/worker-a" "$T/worker-b"
spawn_bg worker-a "$WORKER" -v --lease-margin 1 --grace 2
spawn_bg worker-b "$WORKER" -v --lease-margin 1 --grace 2

for i in $(seq 1 "$N"); do
	deliver "w$i"
done
ok "$N deliveries accepted"

# runs_of ID: how many times ID's command ran.
runs_of() {
	awk -v id="$1" '$1 == id' "$T/out/runs" 2>/dev/null | wc -l
}
# wait_runs COUNT: waits up to 30 s until the runs file has COUNT lines.
wait_runs() {
	local i

	for i in $(seq 1 150); do
		[ "$(wc -l <"$T/out/runs" 2>/dev/null || echo 0)" -ge "$1" ] &&
			return 0
		sleep 0.2
	done
	fail "only $(wc -l <"$T/out/runs") of $1 runs" \
	    "$(tail -n 5 "$T"/worker-*/stdout.log)"
}
wait_runs "$N"
sleep 1
assert_eq "$N" "$(awk '$1 ~ /^w/' "$T/out/runs" | wc -l)" \
    "$N commands ran, none twice"
assert_eq "$N" "$(awk '$1 ~ /^w/ { print $1 }' "$T/out/runs" | sort -u |
    wc -l)" "each delivery ran once"
assert_eq 1 "$(awk '$1 ~ /^w/ { print $2 }' "$T/out/runs" | sort -u)" \
    "all on their first attempt"
[ "$(awk '{ print $3 }' "$T/out/runs" | sort -u | wc -l)" = 2 ] ||
	fail "only one worker ran commands" "$(cat "$T/out/runs")"
ok "both workers took part"
len=$(wc -c <"$T/b.w1")
assert_eq "w1 1 github push $len" "$(awk '$1 == "w1" {
    print $1, $2, $5, $6, $7 }' "$T/out/runs")" \
    "the command got WEBHOOK_* and the body on stdin"

# --- retries, then dead -------------------------------------------------
deliver fail1
wait_runs $((N + 2))
assert_eq "1 2" "$(awk '$1 == "fail1" { print $2 }' "$T/out/runs" |
    tr '\n' ' ' | sed 's/ $//')" "a failing command is retried once (attempt 2)"
for i in $(seq 1 50); do
	grep -q '"outcome":"dead"' "$T/log/worker.log" 2>/dev/null && break
	sleep 0.2
done
assert_match '"id":"fail1".*"outcome":"dead"|"outcome":"dead".*"id":"fail1"' \
    "$(grep fail1 "$T/log/worker.log" | tail -n 1)" \
    "after max_attempts the delivery is dead"
dead=$(nats_stream_msgs webhooks_dead)
assert_eq 1 "$dead" "the dead delivery is recorded in webhooks_dead"

# --- webhookctl queue with store = nats -----------------------------------
ctl=$BUILD_DIR/bin/webhookctl
out=$("$ctl" queue list --state dead 2>&1) || fail "queue list failed" "$out"
assert_match ' github +dead +2 +push +fail1 exit 3' "$out" \
    "queue list --state dead finds it, with attempts and exit status"
out=$("$ctl" queue stats --json 2>&1) || fail "queue stats failed" "$out"
assert_eq 1 "$(echo "$out" | jq '.endpoints[0].dead')" "queue stats counts it"
assert_eq "$N" "$(echo "$out" | jq '.endpoints[0].done')" \
    "queue stats counts the done ones"
out=$("$ctl" queue show fail1 2>&1) || fail "queue show failed" "$out"
assert_match 'dead' "$out" "queue show says dead"
out=$("$ctl" queue retry fail1 2>&1) || fail "queue retry failed" "$out"
assert_eq "requeued fail1" "$out" "queue retry requeues it"
wait_runs $((N + 4))
assert_eq "1 2 1 2" "$(awk '$1 == "fail1" { print $2 }' "$T/out/runs" |
    tr '\n' ' ' | sed 's/ $//')" "the retried delivery ran again from attempt 1"
rc=0
"$ctl" queue retry nosuch >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "queue retry of an unknown id: exit 1"

# --- SIGTERM: the grace, then the delivery goes back ------------------------
# which_worker PID: the kind (worker-a, worker-b) of a worker PID.
which_worker() {
	case $1 in
	"$(server_pid worker-a)") echo worker-a ;;
	"$(server_pid worker-b)") echo worker-b ;;
	*) fail "no known worker has PID $1" ;;
	esac
}
deliver slow2
wait_runs $((N + 5))
read -r _ attempt wpid _ <<<"$(awk '$1 == "slow2"' "$T/out/runs")"
kind=$(which_worker "$wpid")
kill -TERM "$wpid"
SECONDS=0
wait "$wpid" 2>/dev/null || true
[ "$SECONDS" -le 6 ] || fail "the worker took ${SECONDS}s to stop (grace 2 s)"
ok "SIGTERM: the worker stopped after its grace"
rm -f "$T/.servers/$kind.pids"
wait_runs $((N + 6))
read -r _ attempt wpid2 _ <<<"$(awk '$1 == "slow2"' "$T/out/runs" | tail -n 1)"
assert_eq 2 "$attempt" "the delivery it gave back ran on the other worker"
[ "$wpid2" != "$wpid" ] || fail "slow2 ran again on the stopped worker"
spawn_bg "$kind" "$WORKER" -v --lease-margin 1 --grace 2

# --- a worker dies mid-command ---------------------------------------------
deliver slow1
wait_runs $((N + 7))
read -r _ attempt wpid cpid _ <<<"$(awk '$1 == "slow1"' "$T/out/runs")"
assert_eq 1 "$attempt" "slow1 started (attempt 1)"
dead_kind=$(which_worker "$wpid")
kill -KILL "$wpid"
wait "$wpid" 2>/dev/null || true
rm -f "$T/.servers/$dead_kind.pids"
kill -KILL "$cpid" 2>/dev/null || true
wait_runs $((N + 8))
read -r _ attempt wpid2 _ <<<"$(awk '$1 == "slow1"' "$T/out/runs" |
    tail -n 1)"
[ "$wpid2" != "$wpid" ] || fail "slow1 ran again on the dead worker?"
ok "slow1 ran again on the other worker after its worker died"
# The run record counts the runs started, whatever the consumer's lead
# did meanwhile (README, "Scaling out").
assert_eq 2 "$attempt" "and WEBHOOK_ATTEMPT said 2"
# One run record per delivery: N, fail1 twice (requeued: a new message),
# slow2, slow1.
assert_eq $((N + 4)) "$(nats_stream_msgs webhooks_run)" \
    "webhooks_run keeps one record per delivery"
t_done
