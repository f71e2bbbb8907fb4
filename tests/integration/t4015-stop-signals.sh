#!/bin/bash
# Stop signals reach a FastCGI handler at any moment, and none is lost:
#  - during a request (the body still on its way) the request is finished
#    and answered, and the process exits after it;
#  - idle, SIGTERM, SIGINT and SIGUSR1 each end it at once;
#  - two processes on one listening socket (spawn-fcgi -F 2) share the
#    connections, answer every request, and both stop on SIGTERM.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init stop-signals
build_helpers
contract_config
GH=$CGI_DIR/github.fcgi

# post_args ID: a genuine GitHub delivery ID in $T/ID.body, its signed
# headers as FastCGI variables in the array P (for fcgi_post).
post_args() {
	gh_delivery "$1" "$T/$1.body"
	h_params
}

# A signal while the body is still on its way.  A first delivery makes
# sure the handler is in its accept loop, however slow its start.
handler_start mid github "$GH"
pid=$(handler_pid mid)
post_args mid-0
assert_eq 200 "$(fcgi_post mid github "$T/mid-0.body" "${P[@]}")" \
    "the handler serves"
post_args mid-1
rm -f "$T/go"
fcgi_post mid github "$T/mid-1.body" -w "$T/go" "${P[@]}" >"$T/mid.status" &
client=$!
# Time for the handler to take the parameters and wait for the body.
sleep 0.5
kill -TERM "$pid"
sleep 0.3
pid_alive "$pid" || fail "SIGTERM during a request ended the process before it answered"
ok "SIGTERM during a request: the process finishes it first"
touch "$T/go"
wait "$client" || true
assert_eq 200 "$(cat "$T/mid.status")" "the request in progress is answered 200"
assert_eq accepted "$(last_log github verdict)" "and logged as accepted"
assert_eq mid-1 "$(last_log github id)" "with its delivery id"
assert_eq 1 "$(rows github mid-1)" \
    "and queued once"
gone_within "$pid" 5 || fail "the process still runs 5 s after answering"
ok "then it exits"
stop_server mid

# Idle: each stop signal ends the process at once.
for sig in TERM INT USR1; do
	handler_start "idle-$sig" github "$GH"
	pid=$(handler_pid "idle-$sig")
	post_args "idle-$sig"
	assert_eq 200 "$(fcgi_post "idle-$sig" github "$T/idle-$sig.body" \
	    "${P[@]}")" "SIG$sig case: a delivery first"
	kill "-$sig" "$pid"
	gone_within "$pid" 5 || fail "SIG$sig: an idle handler still runs after 5 s"
	ok "SIG$sig ends an idle handler"
	stop_server "idle-$sig"
done

# Two processes on one socket: each connection wakes both, one takes it.
server_dir "$T/pair"
owner=()
[ "$(id -u)" != 0 ] || owner=(-u "$(server_user)" -g "$(server_group)")
env WEBHOOK_CONFIG="$WEBHOOK_CONFIG" WEBHOOK_ENDPOINT=github \
    spawn-fcgi -F 2 -s "$T/pair/sock" -M 0666 "${owner[@]}" -- "$GH" \
    >"$T/pair/spawn.log" 2>&1 || fail "spawn-fcgi -F 2" "$(cat "$T/pair/spawn.log")"
pids=$(sed -n 's/.*PID: *\([0-9]*\).*/\1/p' "$T/pair/spawn.log")
echo "$pids" >"$T/.servers/pair.pids"	# for t_cleanup, whatever happens
assert_eq 2 "$(echo "$pids" | wc -w)" "spawn-fcgi started two processes"
post_args pair-1
codes=$(fcgi_post pair github "$T/pair-1.body" -n 40 "${P[@]}" |
    sort | uniq -c | awk '{ print $2 "x" $1 }')
assert_eq 200x40 "$codes" "40 requests on the shared socket: all answered 200"
assert_eq 1 "$(rows github pair-1)" \
    "the delivery is queued once"
for p in $pids; do
	pid_alive "$p" || fail "process $p of the pair died"
done
ok "both processes still serve"
for p in $pids; do
	kill -TERM "$p"
done
for p in $pids; do
	gone_within "$p" 5 || fail "process $p of the pair still runs 5 s after SIGTERM"
done
ok "both stop on SIGTERM"
rm -f "$T/.servers/pair.pids"

t_done
