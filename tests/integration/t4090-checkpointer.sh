#!/bin/bash
# Checkpoints off the serving thread.  A handler copies the write-ahead
# log into the database every few megabytes; done between requests by
# the thread that accepts them, it kept lighttpd's next requests waiting
# at that process's socket for tens of milliseconds (the p99 of a
# saturated relaxed endpoint).  One FastCGI process takes enough 50 KB
# deliveries, one after another on one connection, for several
# checkpoints and past the 64 MiB of log at which relaxed mode holds
# the writers so that the log starts over (ledger.c, CHECKPOINT_RESTART);
# then:
#  - every delivery answered 200 and is in the ledger once;
#  - the process has a second thread named "checkpoint", and that thread
#    wrote the megabytes a checkpoint writes (its /proc/PID/task/TID/io),
#    while it is the accepting thread that answered;
#  - the write-ahead log started over (what the checkpoints are for);
#  - SIGTERM still ends the handler at once (the thread is joined).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init checkpointer
build_helpers
N=${CHECKPOINT_N:-1500}
BODY=50000
test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<EOF
[github]
provider = github
secret = $(secret_of github)
durability = relaxed
EOF
export WEBHOOK_CONFIG=$T/webhooks.conf
port=$(free_port)
MAX_PROCS=1 ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"

# N bodies of BODY bytes, their signatures, and one curl config for all.
mkdir "$T/b"
for i in $(seq 1 "$N"); do
	make_body github "C$i" "$T/b/$i" "$BODY"
done
(cd "$T/b" && seq 1 "$N" | xargs "$HELPERS/hmac-sign" \
    -k "$(secret_of github)") | paste -d' ' <(seq 1 "$N") - >"$T/sigs"
while read -r i sig; do
	echo "next"
	echo "url = \"http://127.0.0.1:$port/hooks/github\""
	echo "data-binary = \"@$T/b/$i\""
	echo 'header = "Content-Type: application/json"'
	echo "header = \"X-Hub-Signature-256: sha256=$sig\""
	echo "header = \"X-GitHub-Delivery: C$i\""
	echo 'header = "X-GitHub-Event: push"'
	echo 'output = "/dev/null"'
	echo 'write-out = "%{http_code}\n"'
done <"$T/sigs" >"$T/curl.conf"
curl -s --config "$T/curl.conf" | sort | uniq -c >"$T/codes"
assert_eq "$N 200" "$(awk '{ print $1, $2 }' "$T/codes")" \
    "every delivery answered 200"
assert_eq "$N" "$(sqlite3 "$T/state/webhooks.db" \
    "SELECT count(DISTINCT delivery_id) FROM deliveries")" \
    "every delivery in the ledger once"

pid=
for p in $(server_pids lighttpd-fcgi); do
	tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
	    grep -qx 'WEBHOOK_ENDPOINT=github' && pid=$p
done
[ -n "$pid" ] || fail "no handler process found"
# wchar THREAD: bytes the thread wrote, or 0.
wchar() {
	awk '/^wchar:/ { print $2 }' "/proc/$pid/task/$1/io" 2>/dev/null ||
	    echo 0
}
ckpt=
for task in /proc/"$pid"/task/*; do
	[ "$(cat "$task/comm")" = checkpoint ] && ckpt=${task##*/}
done
[ -n "$ckpt" ] || fail "no checkpoint thread in handler $pid:" \
    "$(cat /proc/"$pid"/task/*/comm | tr '\n' ' ')"
ok "the handler has a checkpoint thread"
written=$(wchar "$ckpt")
[ "$written" -gt $((2 * 1024 * 1024)) ] ||
	fail "the checkpoint thread wrote $written bytes, not a checkpoint's"
ok "the checkpoint thread copied the log ($written bytes)"
# The answers, the log and the ledger's log are the main thread's.
[ "$(wchar "$pid")" -gt $((N * BODY)) ] ||
	fail "the main thread wrote only $(wchar "$pid") bytes"
ok "the accepting thread wrote the answers and the log"
# The log's header counts its restarts (its checkpoint sequence number,
# bytes 12-15, big-endian: SQLite file format, "WAL File Format").
restarts=$(od -An -tu1 -j12 -N4 "$T/state/webhooks.db-wal" |
    awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
[ "$restarts" -ge 1 ] ||
	fail "the write-ahead log never started over (sequence $restarts)"
ok "the write-ahead log started over $restarts times"

kill -TERM "$pid"
gone_within "$pid" 3 || fail "handler $pid still runs 3 s after SIGTERM"
ok "SIGTERM ends the handler and its checkpoint thread"
stop_server lighttpd-fcgi
t_done
