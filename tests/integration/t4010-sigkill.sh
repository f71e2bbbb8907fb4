#!/bin/bash
# Faults: handlers SIGKILLed at random moments under concurrent load.
# KILL_N deliveries (default 400, github and stripe, some bodies of
# 256 KiB so that a kill can land inside a long write) go 16 at a time
# to lighttpd with 4 FastCGI processes per endpoint, while KILLS handler
# processes (children of this test's lighttpd only) are SIGKILLed at
# random.  Then:
#  - every delivery that got a 200 has its ledger row and a log record
#    answering 200;
#  - every log line is whole JSON, except torn lines a killed writer
#    left, which are detected (no closing brace) and skipped, and the
#    next record still starts on a fresh line;
#  - the ledger passes PRAGMA integrity_check;
#  - the sender's retry of every delivery that did not get a 200 is
#    answered 200, and then every delivery is in the ledger exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init sigkill
build_helpers
N=${KILL_N:-400}
KILLS=${KILLS:-8}
port=$(free_port)
busy_pair_start "$port"
lighttpd=$(server_pid lighttpd-fcgi)

# Each request as a curl config; its output line is "STATUS ENDPOINT ID".
mkdir "$T/req"
for i in $(seq 1 "$N"); do
	p=github
	[ $((i % 2)) = 0 ] && p=stripe
	pad=200
	[ $((i % 10)) = 0 ] && pad=$((256 * 1024))
	make_body "$p" "k$i" "$T/req/$i.body" "$pad"
	sign "$p" "$T/req/$i.body" "$(secret_of "$p")" "k$i"
	{
		echo "url = \"http://127.0.0.1:$port/hooks/$p\""
		echo "data-binary = \"@$T/req/$i.body\""
		for h in "${H[@]}"; do
			[ "$h" = -H ] || echo "header = \"$h\""
		done
		echo 'output = "/dev/null"'
		echo "write-out = \"%{http_code} $p $(ledger_id "$p" "k$i")\\n\""
	} >"$T/req/$i.cfg"
done

# handlers: the FastCGI processes of this test's lighttpd.
handlers() {
	ps -o pid=,args= --ppid "$lighttpd" | awk -v d="$CGI_DIR/" \
	    'index($2, d) == 1 { print $1 }'
}

ls "$T/req"/*.cfg | xargs -P 16 -n 1 curl -sS --http1.1 --max-time 60 \
    -K >"$T/codes" 2>"$T/curl.err" &
load=$!
killed=0
for k in $(seq 1 "$KILLS"); do
	sleep "0.$((RANDOM % 6 + 2))"
	pid=$(handlers | shuf -n 1)
	[ -n "$pid" ] || continue
	kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
done
wait "$load" || true
ok "SIGKILLed $killed handler processes during $N deliveries"
sort "$T/codes" | awk '{ print $1 }' | uniq -c | sed 's/^/# status /'
assert_eq "$N" "$(wc -l <"$T/codes")" "every delivery got an answer line"

# Every line of every log file: a line without its closing brace is a
# torn one (readers skip it); all others must be whole JSON.
cat "$T"/log/*.log* | grep -av '^$' >"$T/lines" || true
torn=$(grep -acv '}$' "$T/lines" || true)
grep -a '}$' "$T/lines" >"$T/whole" || true
jq -c . "$T/whole" >"$T/records" 2>"$T/jq.err" ||
	fail "a log line is neither whole JSON nor torn" "$(cat "$T/jq.err")"
assert_eq "$(wc -l <"$T/whole")" "$(wc -l <"$T/records")" \
    "each whole line is one record"
ok "every log line is whole JSON ($torn torn lines detected and skipped)"

jq -r 'select(.status == 200) | "\(.endpoint) \(.id)"' "$T/records" |
    sort -u >"$T/logged200"
lost=0
while read -r code p id; do
	[ "$code" = 200 ] || continue
	if [ "$(rows "$p" "$id")" != 1 ]; then
		echo "# acknowledged but not in the ledger: $p $id"
		lost=$((lost + 1))
	fi
	grep -qxF "$p $id" "$T/logged200" || {
		echo "# acknowledged but not logged: $p $id"
		lost=$((lost + 1))
	}
done <"$T/codes"
acked=$(grep -c '^200 ' "$T/codes" || true)
assert_eq 0 "$lost" "all $acked acknowledged deliveries are in the ledger and the log"
assert_eq ok "$(ledger 'PRAGMA integrity_check')" "the ledger passes integrity_check"

# The provider retries what was not acknowledged.
grep -v '^200 ' "$T/codes" | while read -r code p id; do
	i=${id#evt_}
	i=${i#k}
	curl -sS --http1.1 --max-time 60 -K "$T/req/$i.cfg"
done >"$T/retry"
assert_eq "" "$(grep -v '^200 ' "$T/retry" || true)" \
    "every retry of an unanswered delivery gets 200 ($(wc -l <"$T/retry") retried)"
for p in github stripe; do
	assert_eq "$((N / 2))" "$(ledger "SELECT count(DISTINCT delivery_id)
	    FROM deliveries WHERE endpoint = '$p' AND delivery_id LIKE '%k%'")" \
	    "$p: every delivery in the ledger after the retries"
	assert_eq "$((N / 2))" "$(ledger "SELECT count(*) FROM deliveries
	    WHERE endpoint = '$p' AND delivery_id LIKE '%k%'")" \
	    "$p: and each exactly once"
done
stop_server lighttpd-fcgi
t_done
