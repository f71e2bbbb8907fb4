#!/bin/bash
# store = nats: two receiver "hosts" (two lighttpd instances, each with
# its own configuration, log and state folders) on one real 3-node
# nats-server cluster on loopback.
#  - Unique deliveries spread over both hosts, some resent to the other
#    host, while the stream's leader node is kill -9'd and restarted:
#    every delivery is in the stream exactly once, every resent one is
#    "duplicate" on the second host, every answer that was not 200 was a
#    503 with Retry-After that a retry got through (and any other
#    duplicate is one whose PubAck was lost: 503 first).
#  - Quorum lost (two nodes down): only 503s, nothing stored; nodes back:
#    the same FastCGI processes (no restart) accept again.
#  - The handlers ran under the sandbox all along (no forbidden call).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-receivers
# The issue asks for 2,000 deliveries with 300 resent: that took 97 to
# 141 s here (2-core machine shared with other test runs, load 8-10),
# past the 90 s a test of make check may take, so the default is half
# of it, 1,000 and 150 (73 s), and 500 and 75 under ASan (73 s; 2,000
# would be about 160 s).  NATS_N_DELIVERIES=2000 NATS_RESEND=300 runs
# the full scale.  (The requests are signed in one openssl run and sent
# in batches, one curl each: a process or three per request took 10
# minutes for 2,000.)
if [ -n "${WEBHOOK_SAN:-}" ]; then
	N=${NATS_N_DELIVERIES:-500}
	RESEND=${NATS_RESEND:-75}
else
	N=${NATS_N_DELIVERIES:-1000}
	RESEND=${NATS_RESEND:-150}
fi

nats_cluster 3
ok "3-node cluster up with a meta leader"

nats_two_hosts
pa=$NATS_PORT_A
pb=$NATS_PORT_B

# Precomputed, signed requests: curl configs, one per (delivery, host).
# GitHub signs the body alone (X-Hub-Signature-256, as sign() in
# contract.sh does); all bodies are signed in one openssl run, since a few
# processes per request took minutes at 2,000 deliveries.
mkdir "$T/req"
for id in w0 q1 q2 $(seq -f 'n%.0f' 1 "$N"); do
	make_body github "$id" "$T/req/$id.body"
done
(cd "$T/req" && ls | grep '\.body$' |
    xargs openssl dgst -sha256 -hmac "$(secret_of github)" -r) \
    >"$T/macs"
# request ID PORT FILE MAC: a curl config posting delivery ID to PORT.
request() {
	cat >"$3" <<CFG
url = "http://127.0.0.1:$2/hooks/github"
data-binary = "@$T/req/$1.body"
header = "Content-Type: application/json"
header = "X-Hub-Signature-256: sha256=$4"
header = "X-GitHub-Delivery: $1"
header = "X-GitHub-Event: push"
http1.1
max-time = 20
output = "/dev/null"
write-out = "%{http_code} %header{retry-after}\\n"
CFG
}
while read -r mac f; do
	id=${f#\*}
	id=${id%.body}
	i=${id#n}
	case $id in
	w0 | q1) request "$id" "$pa" "$T/$id" "$mac"; continue ;;
	q2) request "$id" "$pb" "$T/$id" "$mac"; continue ;;
	esac
	if [ $((i % 2)) = 0 ]; then p=$pa; q=$pb; else p=$pb; q=$pa; fi
	request "$id" "$p" "$T/req/first.$i" "$mac"
	[ "$i" -gt "$RESEND" ] || request "$id" "$q" "$T/req/again.$i" "$mac"
done <"$T/macs"

# deliver FILE...: posts them all in one curl run (one process, one
# connection), then each one not answered 200 again until it is (at most
# 60 tries); prints every answer of each delivery on one line: "FILE
# code[/retry-after] ...".
cat >"$T/deliver.sh" <<'EOF'
all=
for f; do
	all="$all${all:+next
}$(cat "$f")
"
done
mapfile -t first < <(curl -sS -K - <<<"$all" 2>/dev/null)
n=0
for f; do
	read -r code ra <<<"${first[n]:-000}"
	n=$((n + 1))
	line="$f $code/${ra:-}"
	try=1
	while [ "$code" != 200 ] && [ "$try" -lt 60 ]; do
		sleep 0.5
		try=$((try + 1))
		a=$(curl -sS -K "$f" 2>/dev/null) || a="000 "
		read -r code ra <<<"$a"
		line="$line $code/${ra:-}"
	done
	echo "$line"
done
EOF

# The first delivery makes the stream (a new cluster may need a few
# seconds before it can place one: 503s until then).
assert_match ' 200/$' "$(bash "$T/deliver.sh" "$T/w0")" \
    "the first delivery makes the stream"

# In some 60 batches, six at a time.
chunk=$((N / 60 > 5 ? N / 60 : 5))
ls "$T/req" | grep '^first\.' | sed "s|^|$T/req/|" >"$T/first.list"
: >"$T/first.out"
xargs -P 6 -n "$chunk" bash "$T/deliver.sh" <"$T/first.list" \
    >>"$T/first.out" &
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
    xargs -P 6 -n "$chunk" bash "$T/deliver.sh" >"$T/again.out"
assert_eq "$RESEND" "$(grep -c ' 200/$' "$T/again.out")" \
    "$RESEND resends answered 200"
# dups HOST: the delivery ids answered duplicate on host a or b.
dups() {
	jq -r 'select(.verdict == "duplicate") | .id' "$T/$1/log/github.log" |
	    sort -u
}
# Odd ones went first to b and again to a, even ones the other way.
want_a=$(seq -f 'n%.0f' 1 2 "$RESEND" | sort)
want_b=$(seq -f 'n%.0f' 2 2 "$RESEND" | sort)
assert_eq "$want_a" "$(comm -12 <(dups a) <(echo "$want_a"))" \
    "each resent delivery is a duplicate on the other host (a)"
assert_eq "$want_b" "$(comm -12 <(dups b) <(echo "$want_b"))" \
    "each resent delivery is a duplicate on the other host (b)"
# Any other duplicate is a delivery stored whose PubAck was lost: it was
# answered 503 first, and its retry "duplicate".
for id in $(comm -23 <(sort -u <(dups a) <(dups b)) \
    <(sort <(echo "$want_a") <(echo "$want_b"))); do
	grep -q "/first\.${id#n} 503/" "$T/first.out" ||
		fail "$id: duplicate, but neither resent nor refused first" \
		    "$(grep -h "\"$id\"" "$T"/a/log/github.log \
		    "$T"/b/log/github.log)"
	ok "$id: a PubAck lost at the leader's death, 503, then duplicate"
done
accepted=$(cat "$T"/a/log/github.log "$T"/b/log/github.log |
    jq -r 'select(.verdict == "accepted") | .id' | sort | uniq -d | wc -l)
assert_eq 0 "$accepted" "no delivery accepted twice"

msgs=$(nats_stream_msgs webhooks)
assert_eq $((N + 1)) "$msgs" "the stream holds each delivery exactly once"

# --- quorum lost --------------------------------------------------------
handlers_before=$( (server_pids lighttpd-fcgi; server_pids host-b) | sort)
nats_kill 2
nats_kill 3
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
victim=$(server_programs lighttpd-fcgi github.fcgi | tail -n 1)
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
