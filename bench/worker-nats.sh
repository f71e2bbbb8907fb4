#!/bin/bash
# bench/worker-nats.sh: webhook-worker's throughput with store = nats.
# A 3-node cluster on loopback, one lighttpd host publishing to an R3
# stream: N genuine signed deliveries are queued while no worker runs,
# then one worker with `command = /bin/true` is timed until its log has
# N "done" records (each delivery once).  Prints "name value" lines.
#
# Environment: BENCH_WORKER_N (1000), BENCH_WORKER_JOBS (4).
set -eu
exec 3>&1 1>&2
. "$(dirname "$0")/../tests/lib.sh"
. "$ROOT/tests/nats.sh"
t_init bench-worker-nats
. "$ROOT/tests/helpers/worker-lib.sh"
N=${BENCH_WORKER_N:-1000}
JOBS=${BENCH_WORKER_JOBS:-4}
BODY=$ROOT/tools/samples/github/push.json
cd "$T"

nats_cluster 3
server_dir "$T/log" "$T/state"
random_secret "$T/secret"
[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/secret"
nats_test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF
nats_replicas = 3
workers = $JOBS
secret_file = $T/secret

[bulk]
provider = github
command = /bin/true
CONF
chmod 644 "$T/webhooks.conf"
export WEBHOOK_CONFIG=$T/webhooks.conf
port=$(free_port)
MAX_PROCS=4 ENDPOINTS="bulk:$GITHUB_CGI" \
    start_server lighttpd-fcgi "$port"
mac=$(hmac_hex sha256 "$(cat "$T/secret")" <"$BODY")
# The first delivery makes the stream (503 until the cluster can).
for i in $(seq 1 60); do
	code=$(post "http://127.0.0.1:$port/hooks/bulk" "$BODY" \
	    -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: sha256=$mac" -H 'X-GitHub-Delivery: b0')
	[ "$code" = 200 ] && break
	sleep 0.5
done
# Ids d0 ... : b0 above is the probe, which a prefilled b0 would repeat.
echo "# prefilling $N deliveries (no worker running)"
prefill "http://127.0.0.1:$port/hooks/bulk" "$T/secret" \
    "$ROOT/bench/payloads/github-push.json" "$N" d
echo "# timing webhook-worker, workers = $JOBS, command = /bin/true"
mkdir -p "$T/worker"
t0=${EPOCHREALTIME//[.,]/}
spawn_bg worker "$WORKER"
SECONDS=0
done_count() {
	local n

	n=$(grep -c '"outcome":"done"' "$T/log/worker.log" 2>/dev/null) || true
	echo "${n:-0}"
}
while [ "$(done_count)" -lt $((N + 1)) ]; do
	[ "$SECONDS" -lt 300 ] || fail "not done after 300 s"
	sleep 0.05
done
t1=${EPOCHREALTIME//[.,]/}
ms=$(((t1 - t0) / 1000))
tput=$(awk -v n="$((N + 1))" -v ms="$ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
assert_eq "$((N + 1))" "$(jq -r .id "$T/log/worker.log" | sort -u |
    wc -l)" "every delivery ran"
assert_eq "" "$(jq -r .id "$T/log/worker.log" | sort | uniq -d)" \
    "no delivery ran twice"
echo "# $((N + 1)) deliveries in $ms ms: $tput deliveries/s"
printf '%s %s\n' nats_worker_throughput_per_s "$tput" worker_jobs "$JOBS" \
    worker_n "$((N + 1))" >&3
