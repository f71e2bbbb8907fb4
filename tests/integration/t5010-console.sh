#!/bin/bash
# console.fcgi in a real browser: Debian's chromium, headless, driven by
# puppeteer-core (tests/browser), against lighttpd with Basic auth.  The
# list shows the deliveries just sent, the filters work, a rejection's
# detail has its reason and webhookctl explain's report, a delivery body
# with markup stays inert text, a dead delivery retried from the queue
# page runs again; without credentials, or without REMOTE_USER and
# outside console_allow_from, the console refuses.  Screenshots of each
# page are kept in $BUILD_DIR/screenshots for review.
. "$(dirname "$0")/../lib.sh"
t_init console
. "$ROOT/tests/contract.sh"

# The browser is slow under the sanitizers and tests no C code of ours
# that the other checks here do not; the C side still runs below.
browser=1
[ -z "${WEBHOOK_SAN:-}" ] || browser=0
[ -x /usr/bin/chromium ] || fail "chromium missing: make deps-check"
[ -d "$ROOT/tests/browser/node_modules/puppeteer-core" ] ||
	fail "puppeteer-core missing: sh scripts/deps.sh check"
CTL=$BUILD_DIR/bin/webhookctl
WORKER=$BUILD_DIR/bin/webhook-worker
CONSOLE=$CGI_DIR/console.fcgi
test_config "$T/webhooks.conf"
cat >>"$T/webhooks.conf" <<CONF

[github]
provider = github
secret = It's a Secret to Everybody
command = /bin/true

[stripe]
provider = stripe
secret = whsec_console-test
command = /bin/false
max_attempts = 1
CONF
chmod 644 "$T/webhooks.conf"
export WEBHOOK_CONFIG=$T/webhooks.conf
export WEBHOOK_CTL=$CTL WEBHOOK_CONSOLE_ASSETS=$ROOT/www/console
printf 'ops:console-pass\n' >"$T/users"
chmod 644 "$T/users"

port=$(free_port)
base=http://127.0.0.1:$port/hooks
export ASAN_OPTIONS=detect_leaks=0
LIGHTTPD_MODULES='"mod_auth", "mod_authn_file", ' LIGHTTPD_EXTRA="
auth.backend = \"plain\"
auth.backend.plain.userfile = \"$T/users\"
auth.require = ( \"/hooks/console\" => ( \"method\" => \"basic\",
    \"realm\" => \"console\", \"require\" => \"valid-user\" ) )" \
ENDPOINTS="github:$CGI_DIR/github.fcgi stripe:$CGI_DIR/stripe.fcgi
    console:$CONSOLE" start_server lighttpd-fcgi "$port"

for id in g-1 g-2; do
	"$CTL" send "$base/github" github --id "$id" >/dev/null ||
		fail "send $id"
done
printf '{"x":"<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"}' \
    >"$T/xss.json"
"$CTL" send "$base/github" github --id xss-1 --body-file "$T/xss.json" \
    >/dev/null || fail "send xss-1"
make_body github bad "$T/bad.json"
code=$(post "$base/github" "$T/bad.json" -H 'X-GitHub-Delivery: bad-1' \
    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$(printf \
    '%064d' 0)")
assert_eq 401 "$code" "a bad signature is rejected"
"$CTL" send "$base/stripe" stripe >/dev/null || fail "send stripe"
sid=$(last_log stripe id)

run_worker() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid="$(server_user)" --regid="$(server_group)" \
		    --clear-groups "$WORKER" --once -c "$WEBHOOK_CONFIG"
	else
		"$WORKER" --once -c "$WEBHOOK_CONFIG"
	fi
}
run_worker >"$T/worker.out" 2>&1 || fail "worker --once" \
    "$(tail -n 5 "$T/worker.out")"
assert_eq dead "$(ledger "SELECT state FROM deliveries
    WHERE delivery_id = '$sid'")" "the stripe delivery is dead"

# --- access ------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/console")
assert_eq 401 "$code" "no credentials: refused by the web server"
code=$(curl -s -o /dev/null -w '%{http_code}' -u ops:wrong "$base/console")
assert_eq 401 "$code" "a wrong password: refused"
code=$(curl -s -o "$T/page.html" -w '%{http_code}' -u ops:console-pass \
    "$base/console")
assert_eq 200 "$code" "with credentials: the list"
assert_match 'xss-1' "$(cat "$T/page.html")" "the list names xss-1"
if grep -q '<script>window' "$T/page.html"; then
	fail "unescaped markup in the list"
fi
ok "the list escapes what it shows"
# The time range, in UTC minutes as a datetime-local input sends them.
range() {
	curl -s -u ops:console-pass "$base/console?p=list&from=$(date -u -d "$1" \
	    +%Y-%m-%dT%H%%3A%M)&to=$(date -u -d "$2" +%Y-%m-%dT%H%%3A%M)" |
	    grep -o '[0-9]* shown'
}
assert_eq "5 shown" "$(range '-10 min' '+10 min')" \
    "a time range around now: every record"
assert_eq "0 shown" "$(range '+1 hour' '+2 hours')" \
    "a time range in the future: none"
assert_eq "0 shown" "$(range '-2 hours' '-1 hour')" \
    "a time range that ended an hour ago: none"
# Without the web server's login, only console_allow_from lets one in
# (the program run as CGI, as a server without auth would run it).
cgi() {
	env -i REQUEST_METHOD=GET QUERY_STRING="p=queue" REMOTE_ADDR=10.1.2.3 \
	    WEBHOOK_CONFIG="$1" WEBHOOK_CTL="$CTL" "$CONSOLE" 2>/dev/null
}
assert_match '^Status: 403' "$(cgi "$WEBHOOK_CONFIG")" \
    "no REMOTE_USER, no console_allow_from: 403"
sed 's|^require_https = no|&\nconsole_allow_from = 10.1.0.0/16|' \
    "$WEBHOOK_CONFIG" >"$T/allow.conf"
assert_match '^Status: 200' "$(cgi "$T/allow.conf")" \
    "a client in console_allow_from: 200"
sed 's|^require_https = no|require_https = yes\nconsole_allow_from = 10.1.0.0/16|' \
    "$WEBHOOK_CONFIG" >"$T/https.conf"
assert_match '^Status: 403' "$(cgi "$T/https.conf")" \
    "require_https applies to the console"
# console_show_bodies = no hides them.
sed 's|^require_https = no|&\nconsole_show_bodies = no\nconsole_allow_from = 10.1.0.0/16|' \
    "$WEBHOOK_CONFIG" >"$T/nobody.conf"
t=$(grep '"id":"xss-1"' "$T/log/github.log" | jq -r .time)
out=$(env -i REQUEST_METHOD=GET QUERY_STRING="p=detail&ep=github&t=$t" \
    REMOTE_ADDR=10.1.2.3 WEBHOOK_CONFIG="$T/nobody.conf" \
    WEBHOOK_CTL="$CTL" "$CONSOLE" 2>/dev/null)
assert_match 'hidden: console_show_bodies = no' "$out" \
    "console_show_bodies = no: the body is hidden"
if grep -q 'window.__xss' <<<"$out"; then
	fail "the hidden body shows"
fi
ok "the hidden body is nowhere in the page"
# An action without the CSRF token of its cookie is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -u ops:console-pass \
    -b 'console_csrf=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' \
    --data "csrf=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&action=retry&ep=stripe&id=$sid" \
    "$base/console?p=action")
assert_eq 403 "$code" "an action with a forged CSRF token: 403"
assert_eq dead "$(ledger "SELECT state FROM deliveries
    WHERE delivery_id = '$sid'")" "the forged action changed nothing"

# --- the browser -------------------------------------------------------
if [ "$browser" = 1 ]; then
	shots=$BUILD_DIR/screenshots
	mkdir -p "$shots"
	node "$ROOT/tests/browser/console.mjs" "$base/console" ops \
	    console-pass "$shots" >"$T/browser.out" 2>&1 || true
	cat "$T/browser.out"
	grep -q '^FAIL' "$T/browser.out" && fail "the browser test failed"
	grep -q 'ok - no Content-Security-Policy violation' \
	    "$T/browser.out" || fail "the browser test did not finish" \
	    "$(tail -n 5 "$T/browser.out")"
	T_PASS=$((T_PASS + $(grep -c '^ok' "$T/browser.out")))
	echo "# screenshots in $shots"
	assert_eq queued "$(ledger "SELECT state FROM deliveries
	    WHERE delivery_id = '$sid'")" "the retried delivery is queued"
	run_worker >>"$T/worker.out" 2>&1 || true
	assert_eq 2 "$(grep -c "\"id\":\"$sid\"" "$T/log/worker.log")" \
	    "the retried delivery ran again"
	assert_match '"user":"ops".*"action":"retry".*"result":"requeued"' \
	    "$(cat "$T/log/console.log")" "the retry is logged with who"
	assert_eq duplicate "$(grep '"id":"g-1"' "$T/log/github.log" |
	    tail -n 1 | jq -r .verdict)" "the replay reached the receiver"
	assert_match '"user":"ops".*"action":"replay".*"result":"replayed"' \
	    "$(cat "$T/log/console.log")" "the replay is logged with who"
fi
t_done
