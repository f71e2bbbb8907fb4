#!/bin/bash
# metrics.fcgi with store = nats: behind lighttpd, in its sandbox, a
# scrape reports the shared stream's deliveries by state
# (webhook_stream_deliveries), which promtool accepts; the per-endpoint
# counters are there as with SQLite; with the cluster gone a scrape is a
# 503, not a hang.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-metrics
command -v promtool >/dev/null || fail "promtool is not installed"

nats_cluster 1
nats_test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF
nats_replicas = 1

[github]
secret = It's a Secret to Everybody
CONF
chmod 644 "$T/webhooks.conf"

port=$(free_port)
# ASan: see t2006 (the handlers' filter and LeakSanitizer's ptrace).
export ASAN_OPTIONS=detect_leaks=0
WEBHOOK_CONFIG=$T/webhooks.conf ENDPOINTS="github:$CGI_DIR/github.fcgi
    metrics:$CGI_DIR/metrics.fcgi" start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port
for i in 1 2 3; do
	make_body github "m$i" "$T/b$i"
	sign github "$T/b$i" "$(secret_of github)" "m$i"
	for j in $(seq 1 40); do
		code=$(post "$base/hooks/github" "$T/b$i" "${H[@]}")
		[ "$code" = 200 ] && break
		sleep 0.5
	done
	assert_eq 200 "$code" "delivery m$i accepted into the stream"
done

code=$(curl -sS -o "$T/scrape.txt" -w '%{http_code}' --max-time 20 \
    "$base/hooks/metrics")
assert_eq 200 "$code" "a scrape with store = nats answers 200"
promtool check metrics <"$T/scrape.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool check metrics refuses the scrape" \
	    "$(cat "$T/promtool.out")"
ok "promtool check metrics accepts it"
assert_eq 3 "$(sed -n 's/^webhook_stream_deliveries{state="queued"} //p' \
    "$T/scrape.txt")" "the stream's three deliveries are queued (no worker)"
assert_eq 0 "$(sed -n 's/^webhook_stream_deliveries{state="done"} //p' \
    "$T/scrape.txt")" "none is done"
assert_eq 3 "$(sed -n \
    's/^webhook_deliveries_total{endpoint="github",verdict="accepted"} //p' \
    "$T/scrape.txt")" "the receivers' counters are there as with SQLite"

nats_kill 1
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 20 "$base/hooks/metrics")
assert_eq 503 "$code" "with the cluster gone a scrape is a 503"
errs=$(cat "$T/lighttpd-fcgi/error.log" "$T/lighttpd-fcgi/stdout.log")
assert_match 'metrics: cannot scrape: .*stream' "$errs" \
    "the server's log says why"
case $errs in
*"forbidden system call"*) fail "metrics.fcgi broke the sandbox" ;;
esac
ok "metrics.fcgi stayed inside its sandbox"
t_done
