#!/bin/bash
# make run STORE=nats (scripts/run.sh): a 3-node NATS cluster comes up
# with the demo, the paste-able send command it prints gets a delivery
# accepted, the worker runs the demo command for it from the stream, the
# printed queue stats command counts it done, and SIGTERM stops
# lighttpd, its FastCGI processes, the worker and every nats-server.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init make-run-nats

VAR=$T/var
OUT=$T/run.out
RUN_PID=
t_cleanup_rc=0
command -v nats-server >/dev/null || fail "nats-server is not installed"

# Whatever run.sh left behind is in its process group: it goes too.
run_cleanup() {
	if [ -n "$RUN_PID" ]; then
		kill -KILL -- "-$RUN_PID" 2>/dev/null
		wait "$RUN_PID" 2>/dev/null
	fi
}
trap 't_cleanup_rc=$?; set +e; run_cleanup; (exit $t_cleanup_rc)
    t_cleanup' EXIT

PORT=$(free_port)
: >"$OUT"
PORT=$PORT VAR=$VAR WEBHOOK_BUILD=$BUILD_DIR STORE=nats \
    setsid env --default-signal=INT sh "$ROOT/scripts/run.sh" \
    </dev/null >"$OUT" 2>&1 &
RUN_PID=$!
for i in $(seq 1 600); do
	grep -q 'Follow the deliveries' "$OUT" && break
	kill -0 "$RUN_PID" 2>/dev/null || fail "run.sh exited early" "$(cat "$OUT")"
	sleep 0.1
done
assert_match "serving on http://127.0.0.1:$PORT/" "$(cat "$OUT")" \
    "run.sh STORE=nats says it is serving"
assert_match 'store: +NATS JetStream cluster nats://127.0.0.1:[0-9]+, ' \
    "$(cat "$OUT")" "it names the cluster"
assert_eq 2 "$(grep -c '^store = nats$\|^nats_url = nats://' \
    "$VAR/webhooks-nats.conf")" \
    "var/webhooks-nats.conf has store = nats and nats_url"

# The printed command, as a user would paste it (the cluster may need
# a few seconds before it can make the stream: 503 until then).
send=$(sed -n 's/^  test:  //p' "$OUT" | grep '/hooks/github ')
for i in $(seq 1 40); do
	out=$($send 2>&1) && break
	sleep 0.5
done
assert_match 'HTTP 200' "$out" "the printed send command is accepted"
for i in $(seq 1 100); do
	[ -s "$VAR/processed.log" ] && break
	sleep 0.2
done
assert_match 'github push' "$(cat "$VAR/processed.log" 2>/dev/null)" \
    "the worker ran the demo command from the stream"
stats=$(sed -n 's/^ *node logs .*; //p' "$OUT")
for i in $(seq 1 25); do
	out=$($stats --json 2>&1) || true
	[ "$(echo "$out" | jq '.endpoints[0].done' 2>/dev/null)" = 1 ] && break
	sleep 0.2
done
assert_eq 1 "$(echo "$out" | jq '.endpoints[0].done')" \
    "the printed queue stats command counts it done"

before=$(descendants "$RUN_PID")
assert_eq 3 "$(ps -o comm= -p "$(echo "$before" | paste -sd, -)" |
    grep -c nats-server)" "three nats-server processes run under run.sh"
kill -TERM "$RUN_PID"
for i in $(seq 1 100); do
	pid_alive "$RUN_PID" || break
	sleep 0.1
done
wait "$RUN_PID" 2>/dev/null || true
left=
for i in $(seq 1 50); do
	left=
	for pid in $before; do
		pid_alive "$pid" && left="$left $pid"
	done
	[ -z "$left" ] && break
	sleep 0.1
done
assert_eq "" "$left" "SIGTERM: lighttpd, the worker and the cluster are gone"
RUN_PID=
t_done
