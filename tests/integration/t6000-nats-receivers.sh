#!/bin/bash
# store = nats: two receiver "hosts" (two lighttpd instances, each with
# its own configuration, log and state folders) on one real 3-node
# nats-server cluster on loopback.
#  - Unique deliveries spread over both hosts, some resent to the other
#    host, while the stream's leader node is kill -9'd and restarted: every delivery is
#    in the stream exactly once, every resent one is "duplicate" on the
#    second host, every answer that was not 200 was a 503 with
#    Retry-After that a retry got through.
#  - Quorum lost (two nodes down): only 503s, nothing stored; nodes back:
#    the same FastCGI processes (no restart) accept again.
#  - The handlers ran under the sandbox all along (no forbidden call).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-receivers
N=${NATS_N_DELIVERIES:-120}
RESEND=${NATS_RESEND:-30}

nats_cluster 3
ok "3-node cluster up with a meta leader"

nats_two_hosts
pa=$NATS_PORT_A
pb=$NATS_PORT_B

# Precomputed, signed requests: curl -K files, one per (delivery, host).
mkdir "$T/req"
# request ID PORT FILE: a curl config posting delivery ID to PORT.
request() {
	make_body github "$1" "$T/req/$1.body"
	sign github "$T/req/$1.body" "$(secret_of github)" "$1"
	{
		echo "url = \"http://127.0.0.1:$2/hooks/github\""
		echo "data-binary = \"@$T/req/$1.body\""
		for h in "${H[@]}"; do
			[ "$h" = -H ] || echo "header = \"$h\""
		done
		echo 'output = "/dev/null"'
		echo 'write-out = "%{http_code} %header{retry-after}\n"'
	} >"$3"
}
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 0 ]; then p=$pa; q=$pb; else p=$pb; q=$pa; fi
	request "n$i" "$p" "$T/req/first.$i"
	[ "$i" -gt "$RESEND" ] || request "n$i" "$q" "$T/req/again.$i"
done

# deliver FILE: posts until 200 (at most 60 tries); prints every answer
# of this delivery on one line: "FILE code[/retry-after] ...".
cat >"$T/deliver.sh" <<'EOF'
f=$1
line=$1
for try in $(seq 1 60); do
	a=$(curl -sS --http1.1 --max-time 20 -K "$f" 2>/dev/null) || a="000 "
	set -- $a
	line="$line $1/${2:-}"
	[ "$1" = 200 ] && break
	sleep 0.5
done
echo "$line"
EOF

# The first delivery makes the stream (a new cluster may need a few
# seconds before it can place one: 503s until then).
request w0 "$pa" "$T/w0"
assert_match ' 200/$' "$(bash "$T/deliver.sh" "$T/w0")" \
    "the first delivery makes the stream"

ls "$T/req" | grep '^first\.' | sed "s|^|$T/req/|" >"$T/first.list"
xargs -P 6 -n 1 bash "$T/deliver.sh" <"$T/first.list" >"$T/first.out" &
senders=$!
# One node dies mid-run, and comes back.
while [ "$(wc -l <"$T/first.out")" -lt $((N / 5)) ]; do
	sleep 0.2
done
# The stream's leader: its followers then elect another (a few seconds
# in which publishes fail, and handlers retry or answer 503).
victim=$(nats_stream_leader webhooks) || victim=1
nats_kill "$victim"
sleep 3
nats_start "$victim"
wait "$senders"
nats_wait_ready 60

assert_eq "$N" "$(wc -l <"$T/first.out")" "$N deliveries sent"
assert_eq "$N" "$(grep -c ' 200/$' "$T/first.out")" \
    "every delivery ended in 200"
bad=$(tr ' ' '\n' <"$T/first.out" | grep -vE '^(/|200/$|503/[0-9]+$)' |
    sort | uniq -c)
assert_eq "" "$bad" "every answer was 200, or 503 with Retry-After"
retried=$(grep -c ' 503/' "$T/first.out" || true)
ok "$retried deliveries got a 503 first (leader n$victim killed) and went through"

# Resent to the other host: duplicate there.
ls "$T/req" | grep '^again\.' | sed "s|^|$T/req/|" |
    xargs -P 6 -n 1 bash "$T/deliver.sh" >"$T/again.out"
assert_eq "$RESEND" "$(grep -c ' 200/$' "$T/again.out")" \
    "$RESEND resends answered 200"
dups=$(cat "$T"/a/log/github.log "$T"/b/log/github.log |
    jq -r 'select(.verdict == "duplicate") | .id' | sort -u | wc -l)
assert_eq "$RESEND" "$dups" "each resent delivery is a duplicate on the other host"
accepted=$(cat "$T"/a/log/github.log "$T"/b/log/github.log |
    jq -r 'select(.verdict == "accepted") | .id' | sort | uniq -d | wc -l)
assert_eq 0 "$accepted" "no delivery accepted twice"

msgs=$(nats_stream_msgs webhooks)
assert_eq $((N + 1)) "$msgs" "the stream holds each delivery exactly once"

# --- quorum lost --------------------------------------------------------
handlers_before=$( (server_pids lighttpd-fcgi; server_pids host-b) | sort)
nats_kill 2
nats_kill 3
request q1 "$pa" "$T/q1"
request q2 "$pb" "$T/q2"
for f in q1 q2; do
	a=$(curl -sS --http1.1 --max-time 20 -K "$T/$f")
	assert_match '^503 [0-9]+$' "$a" "$f: no quorum answers 503 with Retry-After"
done
assert_match 'PubAck|cannot' "$(tail -n 1 "$T/a/log/github.log" |
    jq -r .reason)" "the log says why"
nats_start 2
nats_start 3
nats_wait_ready 60
for f in q1 q2; do
	out=$(bash "$T/deliver.sh" "$T/$f")
	assert_match ' 200/$' "$out" "$f: accepted once the cluster is back"
done
handlers_after=$( (server_pids lighttpd-fcgi; server_pids host-b) | sort)
assert_eq "$handlers_before" "$handlers_after" \
    "the same web server and FastCGI processes served throughout"
assert_eq $((N + 3)) "$(nats_stream_msgs webhooks)" \
    "nothing stored without quorum, both stored after"
# --- check-config ----------------------------------------------------
ctl=$BUILD_DIR/bin/webhookctl
# Inline secrets want a file others cannot read.
chmod 600 "$T/a.conf"
out=$("$ctl" check-config "$T/a.conf" 2>&1) ||
	fail "check-config finds a problem in a good setup" "$out"
assert_match "ok +store nats: stream 'webhooks' as configured" "$out" \
    "check-config: the cluster answers and the stream is as configured"
sed 's/^nats_replicas = 3$/nats_replicas = 1/' "$T/a.conf" >"$T/r1.conf"
chmod 600 "$T/r1.conf"
rc=0
out=$("$ctl" check-config "$T/r1.conf" 2>&1) || rc=$?
assert_eq 1 "$rc" "check-config: a stream mismatch is a problem (exit 1)"
assert_match "stream 'webhooks' has 3 replicas, nats_replicas is 1" "$out" \
    "check-config: it says what differs"
grep -v '^nats_url' "$T/a.conf" >"$T/nourl.conf"
chmod 600 "$T/nourl.conf"
rc=0
out=$("$ctl" check-config "$T/nourl.conf" 2>&1) || rc=$?
assert_eq 1 "$rc" "check-config: store = nats without nats_url fails"
assert_match 'store = nats needs nats_url' "$out" "check-config: and says so"

# --- stop signal --------------------------------------------------------
# The kernel may hand SIGTERM to any thread, and nats.c runs several: a
# signal sent to one of them (kill(2) on a thread id prefers that thread)
# must still stop the handler waiting in accept().
victim=
for pid in $(server_pids lighttpd-fcgi); do
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = github.fcgi ] && victim=$pid
done
[ -n "$victim" ] || fail "no github.fcgi process to stop"
tid=$(ls "/proc/$victim/task" | grep -vx "$victim" | head -n 1)
[ -n "$tid" ] || fail "github.fcgi runs no NATS thread"
kill -TERM "$tid"
for i in $(seq 1 50); do
	pid_alive "$victim" || break
	sleep 0.1
done
pid_alive "$victim" &&
	fail "SIGTERM taken by a NATS thread left the handler running"
ok "SIGTERM taken by a NATS thread stops the handler"

errs=$(cat "$T/lighttpd-fcgi/error.log" "$T/b-srv/lighttpd-fcgi/error.log")
case $errs in
*"forbidden system call"*) fail "a handler broke the sandbox" "$errs" ;;
esac
ok "no handler made a forbidden system call while reconnecting"
t_done
