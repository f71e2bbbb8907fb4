#!/bin/bash
# bench/worker.sh: two figures of webhook-worker, end to end through
# lighttpd, the real FastCGI handler and the ledger on disk.
#
#  1. Throughput: N genuine signed deliveries are queued while no worker
#     runs, then a worker with `command = /bin/true` is started and timed
#     until every row is done.
#  2. Pickup latency: with a worker running and idle, M deliveries are
#     POSTed one by one; for each, the command's start minus the ledger's
#     received_at (acceptance, ms since the epoch).
#
# Environment: BENCH_WORKER_N (3000), BENCH_WORKER_JOBS (the `workers`
# setting, 4), BENCH_PICKUP_N (200).  Progress goes to stderr; stdout
# gets only the "name value" lines at the end, for a driver to parse.
# Exits non-zero when a POST is not answered 200, a delivery is not done
# or runs other than once, or a bound is reached.
set -eu
# The harness prints ok/FAIL lines on stdout: keep it for the figures.
exec 3>&1 1>&2
. "$(dirname "$0")/../tests/lib.sh"
t_init bench-worker
. "$ROOT/tests/helpers/worker-lib.sh"
# The worker and its commands run as the handlers' user, who may not be
# able to enter the caller's directory.
cd "$T"

N=${BENCH_WORKER_N:-3000}
JOBS=${BENCH_WORKER_JOBS:-4}
M=${BENCH_PICKUP_N:-200}
for v in "$N" "$JOBS" "$M"; do
	[[ $v =~ ^[1-9][0-9]{0,5}$ ]] || fail "not a positive count: '$v'"
done
# Every delivery is a new push: the bench's template with its own id
# (the receivers deduplicate on the signed bytes too).
TEMPLATE=$ROOT/bench/payloads/github-push.json
printf '%s' "$W_SECRET" >"$T/key"

# The command of the pickup endpoint: when it started, and for which id.
printf '#!/bin/sh\necho "$(date +%%s%%3N) $WEBHOOK_ID" >>%s\n' \
    "$T/out/starts" >"$T/stamp"
chmod 755 "$T/stamp"
# durability = full, the default: the handlers that queue the deliveries
# run as deployed (the worker syncs none of its own commits either way).
worker_config <<CONF
durability = full
workers = $JOBS

[bulk]
provider = github
secret = $W_SECRET
command = /bin/true

[pickup]
provider = github
secret = $W_SECRET
command = $T/stamp
CONF

port=$(free_port)
url=http://127.0.0.1:$port/hooks
# ASAN_OPTIONS: see t2006 (the handlers' seccomp filter and LeakSanitizer).
ASAN_OPTIONS=detect_leaks=0 ENDPOINTS="bulk:$GITHUB_CGI pickup:$GITHUB_CGI" \
    start_server lighttpd-fcgi "$port"

# run_worker NAME: a worker in the background, as the handlers' user since
# both write the ledger; t_cleanup stops it by PID if this script fails.
run_worker() {
	local -a as=()

	mkdir -p "$T/$1"
	[ "$(id -u)" != 0 ] || as=(setpriv --reuid="$(server_user)" \
	    --regid="$(server_group)" --clear-groups)
	spawn_bg "$1" "${as[@]}" "$WORKER" -c "$WEBHOOK_CONFIG"
}

# --- 1. throughput ----------------------------------------------------

echo "# prefilling $N deliveries through lighttpd (no worker running)"
prefill "$url/bulk" "$T/key" "$TEMPLATE" "$N" b
assert_eq "$N" "$(q "SELECT count(*) FROM deliveries WHERE endpoint = 'bulk'
    AND state = 'queued' AND attempts = 0")" "$N deliveries queued"

# Flush the prefill now, or its writeback competes with the worker's
# fsyncs for the disk while it is timed.
sync "$T"/state/webhooks.db*
# The poll must not take the CPU of a 2-core machine from the worker it
# times: a sqlite3 every 20 ms would cost some 15 % of a core.  So one
# sqlite3 answers every query, times come from $EPOCHREALTIME and
# SECONDS, and the pause is a read timing out on a FIFO nobody writes:
# no process per poll.
mkfifo "$T/never"
exec 4<>"$T/never"
coproc POLL { exec sqlite3 -cmd '.timeout 5000' "$DB"; }
echo "# timing webhook-worker, workers = $JOBS, command = /bin/true"
t0=${EPOCHREALTIME//[.,]/}
SECONDS=0
run_worker bulk-worker
wpid=$(server_pid bulk-worker)
for i in $(seq 1 6000); do
	echo "SELECT count(*) FROM deliveries WHERE endpoint = 'bulk'
	    AND state != 'done';" >&"${POLL[1]}"
	read -rt 10 left <&"${POLL[0]}" || fail "no answer from sqlite3"
	[ "$left" != 0 ] || break
	kill -0 "$wpid" 2>/dev/null || fail "the worker exited" \
	    "$(tail -n 3 "$T/bulk-worker/stdout.log")"
	[ "$SECONDS" -lt 120 ] || fail "timeout: $left of $N not done" \
	    "after 120 s" "$(tail -n 3 "$T/bulk-worker/stdout.log")"
	read -rt 0.02 -u 4 _ || true
done
t1=${EPOCHREALTIME//[.,]/}
[ "$left" = 0 ] || fail "$left of $N not done after 6000 polls"
# Bash unsets POLL_PID as soon as the coprocess ends.
pid=$POLL_PID
echo .quit >&"${POLL[1]}"
wait "$pid"
stop_server bulk-worker
ms=$(((t1 - t0) / 1000 + 1))
tput=$(awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
echo "# $N deliveries in $ms ms: $tput deliveries/s"
# Exactly once: one attempt recorded in the ledger, one "done" record in
# the worker log, per delivery.
assert_eq "$N" "$(q "SELECT count(*) FROM deliveries WHERE endpoint = 'bulk'
    AND state = 'done' AND attempts = 1")" "each done after one attempt"
jq -r 'select(.endpoint == "bulk") | "\(.outcome) \(.id)"' \
    "$T/log/worker.log" | sort >"$T/bulk.runs"
assert_eq "$N $N" "$(grep -c '^done ' "$T/bulk.runs") $(wc -l \
    <"$T/bulk.runs")" "$N worker log records, all done"
assert_eq "" "$(uniq -d "$T/bulk.runs")" "no delivery ran twice"

# --- 2. pickup latency ------------------------------------------------

run_worker pickup-worker
wait_for 5 "the worker is up" grep -q "serving" "$T/pickup-worker/stdout.log"
# Past its start-up, so that the first deliveries find it idle.
sleep 0.3
mkdir -p "$T/pickup"
"$HELPERS/sign-many" -o "$T/pickup" github "$T/key" "$TEMPLATE" "$M" p \
    >"$T/pickup.sigs" || fail "sign-many failed"
echo "# posting $M deliveries one by one, 20-30 ms apart"
SECONDS=0
while read -r id sig; do
	code=$(post "$url/pickup" "$T/pickup/$id" \
	    -H 'Content-Type: application/json' \
	    -H "X-Hub-Signature-256: sha256=$sig" -H 'X-GitHub-Event: push' \
	    -H "X-GitHub-Delivery: $id")
	[ "$code" = 200 ] ||
		fail "POST $id answered $code" "$(cat "$T/resp.body")"
	[ "$SECONDS" -lt 120 ] || fail "posting took over 120 s"
	sleep "0.0$((RANDOM % 11 + 20))"
done <"$T/pickup.sigs"
ok "$M POSTs answered 200"
pickup_done() {
	[ "$(q "SELECT count(*) FROM deliveries WHERE endpoint = 'pickup'
	    AND state = 'done' AND attempts = 1")" = "$M" ]
}
wait_for 30 "all $M done after one attempt" pickup_done
stop_server pickup-worker

awk '{ print $2 }' "$T/out/starts" | sort >"$T/ran"
assert_eq "$M" "$(wc -l <"$T/ran")" "$M command runs"
assert_eq "$M" "$(sort -u "$T/ran" | wc -l)" "each delivery ran exactly once"
q "SELECT delivery_id, received_at FROM deliveries WHERE endpoint = 'pickup'" |
    tr '|' ' ' | sort >"$T/received"
awk '{ print $2, $1 }' "$T/out/starts" | sort | join "$T/received" - |
    awk '{ print $3 - $2 }' | sort -n >"$T/latency"
assert_eq "$M" "$(wc -l <"$T/latency")" "a latency for each delivery"
# Nearest rank: the smallest value with at least p % of them at or below.
pct() {
	awk -v p="$1" '{ v[NR] = $1 } END { r = int((NR * p + 99) / 100);
	    print v[r < 1 ? 1 : r] }' "$T/latency"
}
p50=$(pct 50)
p99=$(pct 99)
echo "# pickup latency over $M deliveries: p50 $p50 ms, p99 $p99 ms," \
    "max $(tail -n 1 "$T/latency") ms"

printf '%s %s\n' worker_throughput_per_s "$tput" worker_jobs "$JOBS" \
    worker_n "$N" pickup_p50_ms "$p50" pickup_p99_ms "$p99" \
    pickup_n "$M" >&3
