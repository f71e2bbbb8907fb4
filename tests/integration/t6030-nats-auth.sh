#!/bin/bash
# store = nats with a password: a cluster that requires a user and
# password (authorization block), a handler given nats_user and
# nats_password_file accepts deliveries; a wrong password is a 503 that
# says why; a password file others can read is refused; credentials in
# nats_url are refused; and the password appears in no log or error
# output of ours.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-auth

pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
NATS_EXTRA="authorization { user: hook, password: \"$pw\" }" nats_cluster 3
server_dir "$T/log" "$T/state"
(umask 077; printf '%s\n' "$pw" >"$T/nats.pw"; echo wrong-password >"$T/bad.pw")
[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/nats.pw" "$T/bad.pw"
# config NAME PASSWORD_FILE: $T/NAME.conf for the github endpoint.
config() {
	nats_test_config "$T/$1.conf"
cat >>"$T/$1.conf" <<CONF
nats_user = hook
nats_password_file = $2

[$1]
provider = github
secret = It's a Secret to Everybody
CONF
	chmod 644 "$T/$1.conf"
}
config good "$T/nats.pw"
config bad "$T/bad.pw"

port=$(free_port)
WEBHOOK_CONFIG=$T/good.conf ENDPOINTS="good:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"
code=$(nats_post "http://127.0.0.1:$port/hooks/good" a1 40)
assert_eq 200 "$code" "with nats_user and nats_password_file: accepted"

cport=$(free_port)
WEBHOOK_CONFIG=$T/bad.conf ENDPOINTS="bad:$CGI_DIR/github.fcgi" \
    start_server lighttpd-cgi "$cport"
code=$(nats_post "http://127.0.0.1:$cport/hooks/bad" a1)
assert_eq 503 "$code" "a wrong password: 503"
assert_match 'Authorization Violation' \
    "$(tail -n 1 "$T/log/bad.log" | jq -r .reason)" "the log says why"

ctl=$BUILD_DIR/bin/webhookctl
cp "$T/good.conf" "$T/cc.conf"
chmod 600 "$T/cc.conf"
out=$("$ctl" check-config "$T/cc.conf" 2>&1) ||
	fail "check-config refuses the good setup" "$out"
assert_match "ok +store nats" "$out" "check-config logs in and checks the stream"
chmod 644 "$T/nats.pw"
rc=0
out=$("$ctl" check-config "$T/cc.conf" 2>&1) || rc=$?
assert_eq 1 "$rc" "a password file others can read is refused"
assert_match "nats_password_file .* readable by group or others" "$out" \
    "check-config says so"
sed "s|^nats_url = nats://|nats_url = nats://hook:$pw@|" "$T/good.conf" \
    >"$T/url.conf"
chmod 600 "$T/url.conf"
rc=0
out=$("$ctl" check-config "$T/url.conf" 2>&1) || rc=$?
assert_eq 1 "$rc" "credentials in nats_url are refused"
case $out in
*"$pw"*) fail "check-config printed the password" ;;
esac
ok "check-config does not print the password"

found=$(grep -rlF -- "$pw" "$T/log" "$T"/lighttpd-*/*.log 2>/dev/null || true)
assert_eq "" "$found" "the password is in no log"
t_done
