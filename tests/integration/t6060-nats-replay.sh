#!/bin/bash
# store = nats: the same signed bytes under a new delivery id (a replay of
# a captured request) are queued once across hosts, as with the SQLite
# ledger's signed_sha256.  Two receiver "hosts" (two lighttpd instances,
# their own configuration and logs) on a real 3-node nats-server cluster,
# real signed GitHub deliveries, one worker:
#  - a signed body resent with its signature under a new X-GitHub-Delivery
#    to the other host: 200 duplicate, "duplicate_of" the first id; the
#    replay's own retry (same new id) on either host: duplicate again;
#  - the original's own retry: duplicate (its id);
#  - a distinct body: accepted;
#  - the same bytes under six ids sent at once to both hosts: exactly one
#    accepted, the others duplicates of that one;
#  - the deliveries' stream holds each once, and the worker ran each once
#    and no replay at all.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-replay
WORKER=$BUILD_DIR/bin/webhook-worker

nats_cluster 3
mkdir -p "$T/out"
chmod 777 "$T/out"
printf '#!/bin/sh\necho "$WEBHOOK_ID" >>%s/out/runs\n' "$T" >"$T/cmd.sh"
chmod 755 "$T/cmd.sh"
nats_two_hosts "command = $T/cmd.sh"
pa=$NATS_PORT_A
pb=$NATS_PORT_B

# send PORT BODY ID: posts BODY (signed as GitHub does: the body only)
# with X-GitHub-Delivery ID until it is not a 503 (a new cluster may need
# a few seconds to place the streams); prints "code status".
send() {
	local i code

	sign github "$2" "$(secret_of github)" "$3"
	for i in $(seq 1 40); do
		code=$(post "http://127.0.0.1:$1/hooks/github" "$2" "${H[@]}")
		[ "$code" = 503 ] || break
		sleep 0.5
	done
	echo "$code $(jq -r .status "$T/resp.body" 2>/dev/null)"
}
# record ID: the last log record of delivery ID on either host.
record() {
	cat "$T"/a/log/github.log "$T"/b/log/github.log |
	    jq -c --arg id "$1" 'select(.id == $id)' | tail -n 1
}

make_body github r1 "$T/r1.body"
assert_eq "200 accepted" "$(send "$pa" "$T/r1.body" r1)" \
    "host a accepts r1"
assert_eq "200 duplicate" "$(send "$pb" "$T/r1.body" r1-replay)" \
    "r1's signed bytes under a new id on host b: duplicate"
assert_eq r1 "$(record r1-replay | jq -r .duplicate_of)" \
    "its log record says duplicate_of r1"
assert_match 'signed bytes seen before' "$(record r1-replay |
    jq -r .reason)" "and why"
for p in "$pb" "$pa"; do
	assert_eq "200 duplicate" "$(send "$p" "$T/r1.body" r1-replay)" \
	    "the replay's retry (same id) on port $p: duplicate again"
	assert_eq r1 "$(record r1-replay | jq -r .duplicate_of)" \
	    "still duplicate_of r1"
done
assert_eq "200 duplicate" "$(send "$pb" "$T/r1.body" r1)" \
    "r1's own retry on host b: duplicate"
assert_match 'delivery id seen before' "$(record r1 | jq -r .reason)" \
    "as a repeated id"
make_body github r2 "$T/r2.body"
assert_eq "200 accepted" "$(send "$pb" "$T/r2.body" r2)" \
    "a distinct body is accepted"

# A race: the same bytes under six ids, all at once, on both hosts.
make_body github r3 "$T/r3.body"
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 0 ]; then p=$pa; else p=$pb; fi
	(
		T=$T/race.$i
		mkdir -p "$T"
		send "$p" "$T/../r3.body" "r3-$i" >"$T/answer"
	) &
	racers="${racers:-} $!"
done
for pid in $racers; do
	wait "$pid"
done
assert_eq "1" "$(cat "$T"/race.*/answer | grep -c '^200 accepted$')" \
    "racing replays: one accepted"
assert_eq "5" "$(cat "$T"/race.*/answer | grep -c '^200 duplicate$')" \
    "the other five are duplicates"
winner=$(cat "$T"/a/log/github.log "$T"/b/log/github.log |
    jq -r 'select(.verdict == "accepted" and (.id | startswith("r3-"))) |
    .id')
of=$(cat "$T"/a/log/github.log "$T"/b/log/github.log |
    jq -r 'select(.verdict == "duplicate" and (.id | startswith("r3-"))) |
    .duplicate_of' | sort -u)
assert_eq "$winner" "$of" "each a duplicate_of the one accepted"

assert_eq 3 "$(nats_stream_msgs webhooks)" \
    "the stream holds r1, r2 and one r3, once each"
assert_eq 3 "$(nats_stream_msgs webhooks_signed)" \
    "one claim per signed body"

mkdir -p "$T/worker"
spawn_bg worker env WEBHOOK_CONFIG="$T/a.conf" "$WORKER" -v
for i in $(seq 1 100); do
	[ "$(wc -l <"$T/out/runs" 2>/dev/null || echo 0)" -ge 3 ] && break
	sleep 0.2
done
sleep 1
assert_eq "r1 r2 $winner" "$(sort "$T/out/runs" | tr '\n' ' ' |
    sed 's/ $//')" "the worker ran r1, r2 and $winner once each, no replay"

# check-config sees the claims' stream as configured too.
chmod 600 "$T/a.conf"
out=$("$BUILD_DIR/bin/webhookctl" check-config "$T/a.conf" 2>&1) ||
	fail "check-config finds a problem in a good setup" "$out"
assert_match "ok +store nats: stream 'webhooks' as configured" "$out" \
    "check-config: the three streams are as configured"
t_done
