#!/bin/bash
# Many parallel deliveries to several FastCGI processes, with the log
# rotating during the run: every delivery is in the ledger exactly once
# and in the logs as exactly one whole line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init concurrent
contract_config
# Small files so that rotation happens many times during the run; keep
# them all so that every record can be counted afterwards.  Signing all
# requests first takes minutes on a loaded machine, which would make the
# first Stripe timestamps stale: this test is about concurrency, so the
# window is an hour (t0100 tests the 300 s default).
cat >>"$T/webhooks.conf" <<CONF
[global]
log_max_size = 64k
log_keep = 1000

[stripe]
tolerance = 1h
CONF
N=${N:-300}
port=$(free_port)
MAX_PROCS=4 ENDPOINTS="github:$CGI_DIR/github.fcgi \
stripe:$CGI_DIR/stripe.fcgi" start_server lighttpd-fcgi "$port"

# Precompute every request; then 16 curls at a time send them.
mkdir "$T/req"
for i in $(seq 1 "$N"); do
	for p in github stripe; do
		make_body "$p" "c$i" "$T/b.$p.$i" 200
		sign "$p" "$T/b.$p.$i" "$(secret_of "$p")" "c$i"
		{
			echo "url = \"http://127.0.0.1:$port/hooks/$p\""
			echo "data-binary = \"@$T/b.$p.$i\""
			for h in "${H[@]}"; do
				[ "$h" = -H ] || echo "header = \"$h\""
			done
			echo 'output = "/dev/null"'
			echo 'write-out = "%{http_code}\n"'
		} >"$T/req/$p.$i"

	done
done
ls "$T/req" | sed "s|^|$T/req/|" |
    xargs -P 16 -n 1 curl -sS --http1.1 --max-time 30 -K >"$T/codes" || true
assert_eq $((2 * N)) "$(grep -c '^200$' "$T/codes")" \
    "all $((2 * N)) parallel deliveries answered 200"

for p in github stripe; do
	assert_eq "$N" "$(sqlite3 "$T/state/webhooks.db" "SELECT count(*)
	    FROM deliveries WHERE endpoint = '$p'")" "$p: $N ledger rows"
	assert_eq "$N" "$(sqlite3 "$T/state/webhooks.db" "SELECT
	    count(DISTINCT delivery_id) FROM deliveries
	    WHERE endpoint = '$p'")" "$p: $N distinct ids"
	files=$(ls "$T/log/$p.log"*)
	[ "$(echo "$files" | wc -l)" -gt 2 ] ||
		fail "$p: the log did not rotate" "$files"
	ok "$p: the log rotated $(($(echo "$files" | wc -l) - 1)) times"
	# jq fails on any torn or interleaved line.
	cat $files | jq -c . >"$T/$p.all" ||
		fail "$p: a log line is not whole JSON"
	assert_eq "$N" "$(wc -l <"$T/$p.all")" "$p: exactly $N log lines"
	assert_eq "$N" "$(jq -r .id "$T/$p.all" | sort -u | wc -l)" \
	    "$p: each delivery logged once"
	assert_eq "$N" "$(jq -r 'select(.verdict == "accepted") | .id' \
	    "$T/$p.all" | wc -l)" "$p: every record says accepted"
done
t_done
