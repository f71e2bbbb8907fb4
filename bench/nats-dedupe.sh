#!/bin/bash
# What remembering delivery ids costs a NATS node with store = nats: one
# nats-server (R1, file storage) on loopback, COUNT deliveries of BYTES
# bytes published as a handler does (tests/helpers/nats-fill), then the
# server's resident memory and store_dir size, before and after a restart
# (a restart rebuilds the per-subject index from disk).  Each id stays a
# message for dedupe_window, so per-id cost = (after - before) / COUNT.
#
# usage: bench/nats-dedupe.sh [COUNT] [BYTES]   (defaults 100000, 200)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${1:-100000}
BYTES=${2:-200}
FILL=$ROOT/build/helpers/nats-fill
[ -x "$FILL" ] || make -s -C "$ROOT" build/helpers/nats-fill
D=$(mktemp -d /tmp/nats-dedupe.XXXXXX)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
c=$(port)
m=$(port)
cat >"$D/nats.conf" <<CONF
listen: 127.0.0.1:$c
http: 127.0.0.1:$m
jetstream { store_dir: "$D/store" }
CONF
start() {
	nats-server -c "$D/nats.conf" -l "$D/nats.log" &
	pid=$!
	for _ in $(seq 1 100); do
		curl -s "http://127.0.0.1:$m/healthz" | grep -q ok && return 0
		sleep 0.1
	done
	echo "nats-server did not start" >&2
	exit 111
}
rss_kib() { ps -o rss= -p "$pid" | tr -d ' '; }
start
sleep 1
rss0=$(rss_kib)
t0=$(date +%s.%N)
"$FILL" "nats://127.0.0.1:$c" dedupe 1 "$COUNT" "$BYTES"
t1=$(date +%s.%N)
rss1=$(rss_kib)
disk=$(du -sk "$D/store" | cut -f1)
kill "$pid"
wait "$pid" 2>/dev/null || true
start
sleep 2
curl -s "http://127.0.0.1:$m/jsz?streams=true" >"$D/jsz"
msgs=$(jq '[.account_details[]?.stream_detail[]? | select(.name == "dedupe") | .state.messages] | first' "$D/jsz")
rss2=$(rss_kib)
awk -v n="$COUNT" -v b="$BYTES" -v r0="$rss0" -v r1="$rss1" -v r2="$rss2" \
    -v d="$disk" -v t="$(echo "$t1 - $t0" | bc)" -v msgs="$msgs" 'BEGIN {
	printf "ids %d (body %d B), %d kept after restart, %.0f publishes/s\n", n, b, msgs, n / t
	printf "memory: %d KiB idle, %d KiB after publishing, %d KiB after a restart\n", r0, r1, r2
	printf "per million ids: %.0f MB memory while the Msg-Id window holds them, %.0f MB after (index only), %.0f MB disk\n", (r1 - r0) * 1024 / n, (r2 - r0) * 1024 / n, d * 1024 / n
}'
