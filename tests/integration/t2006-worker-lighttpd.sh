#!/bin/bash
# End to end: a signed delivery POSTed to a real lighttpd, through the
# FastCGI handler into the ledger, picked up by the worker running as
# the same user as the handlers, reaches the command's side effect
# within a second.
. "$(dirname "$0")/../lib.sh"
t_init worker-lighttpd
. "$ROOT/tests/helpers/worker-lib.sh"

worker_config <<CONF
durability = full

[github]
provider = github
secret = $W_SECRET
command = $WCMD record $T/out
CONF
port=$(free_port)
# ASan builds: the handlers' seccomp filter refuses LeakSanitizer's
# exit-time ptrace and they would spin at SIGTERM; the contract tests
# cover their leaks.  The worker keeps leak detection.
ASAN_OPTIONS=detect_leaks=0 ENDPOINTS="github:$GITHUB_CGI" \
    start_server lighttpd-fcgi "$port"

# The worker shares the ledger with the handlers, so it runs as their
# user (as a systemd unit would, User=).
mkdir -p "$T/worker"
if [ "$(id -u)" = 0 ]; then
	spawn_bg worker setpriv --reuid="$(server_user)" \
	    --regid="$(server_group)" --clear-groups \
	    "$WORKER" -c "$WEBHOOK_CONFIG"
else
	spawn_bg worker "$WORKER" -c "$WEBHOOK_CONFIG"
fi
wait_for 5 "the worker is up" grep -q "serving 1 endpoints" \
    "$T/worker/stdout.log"

printf '{"ref":"refs/heads/main","after":"e2e"}' >"$T/e2e.json"
mac=$(hmac_hex sha256 "$W_SECRET" <"$T/e2e.json")
t0=$(date +%s%3N)
code=$(post "http://127.0.0.1:$port/hooks/github" "$T/e2e.json" \
    -H 'Content-Type: application/json' \
    -H "X-Hub-Signature-256: sha256=$mac" \
    -H 'X-GitHub-Delivery: e2e-1' -H 'X-GitHub-Event: push')
assert_eq 200 "$code" "lighttpd answers 200"
wait_for 10 "the command ran" test -s "$T/out/runs"
read -r started id attempt <"$T/out/runs"
elapsed=$((started - t0))
echo "# POST to command start: $elapsed ms"
assert_eq "e2e-1 1" "$id $attempt" "the command ran for e2e-1, attempt 1"
cmp -s "$T/e2e.json" "$T/out/body.e2e-1" ||
	fail "the command did not get the body as posted"
ok "the command got the body as posted"
limit=1000
# Sanitizers slow every process down several times.
[ -z "${WEBHOOK_SAN:-}" ] || limit=3000
[ "$elapsed" -le "$limit" ] ||
	fail "side effect $elapsed ms after the POST (limit $limit ms)"
ok "side effect within $limit ms of the POST ($elapsed ms)"
wait_for 5 "e2e-1 done" is_state github e2e-1 done
t_done
