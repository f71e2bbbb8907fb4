#!/bin/bash
# Caddy as the docs deploy it: the shipped www/caddy/Caddyfile and
# www/examples/webhooks.conf, only their paths moved under $T, with the
# site name hooks.example.org replaced by https://127.0.0.1:PORT and
# `tls internal`, since no public CA can issue for loopback.  Caddy's
# automatic HTTPS does the rest as it would for a real name: the
# certificate (from its own local CA here), HTTPS, and plain HTTP
# redirected, never reaching a handler.  The test trusts that CA's root
# explicitly (curl --cacert, no -k) and checks the issuer.  Caddy runs as
# server_user, like Debian's caddy user in group www-data, and keeps all
# its files in $T: HOME and XDG_* point there, the admin endpoint is off,
# and its CA never goes into the system's trust store.
# Handlers: spawn-fcgi on a unix socket and, edited as the Caddyfile's
# comment says, over TCP.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init caddy-deploy
cd "$ROOT"
touch "$T/.start"

C=$T/caddy
R=$T/run
server_dir "$C" "$R"
example_config
# shellcheck disable=SC2046
export $(caddy_env caddy)

out=$(timeout -k 1 30 caddy validate --adapter caddyfile \
    --config www/caddy/Caddyfile 2>&1) ||
	fail "caddy validate refuses www/caddy/Caddyfile" "$out"
ok "caddy validate accepts www/caddy/Caddyfile as shipped"

port=$(free_port)
http_port=$(free_port)
acme_port=$(free_port)
sed -e "s|/etc/webhook-fcgi/webhooks.conf|$T/webhooks.conf|" \
    -e "s|unix//run/webhook-fcgi/|unix/$R/|" \
    -e "s#^	import webhook github-\(acme\|widgets\) .*#	import webhook github-\1 127.0.0.1:$acme_port#" \
    -e "s|^hooks\.example\.org {|https://127.0.0.1:$port {\n\ttls internal|" \
    -e "s|^	email .*|&\n\tadmin off\n\tskip_install_trust\n\tstorage file_system $C/data\n\thttp_port $http_port\n\thttps_port $port\n\tdefault_bind 127.0.0.1\n\tservers {\n\t\tprotocols h1 h2\n\t}|" \
    www/caddy/Caddyfile >"$C/Caddyfile"
grep -q "tls internal" "$C/Caddyfile" && grep -q "admin off" "$C/Caddyfile" ||
	fail "the Caddyfile's site or global options moved" "$(cat "$C/Caddyfile")"
as_user=()
[ "$(id -u)" != 0 ] || as_user=(setpriv --reuid="$(server_user)" \
    --regid="$(server_group)" --clear-groups)

# The handlers, as for nginx: spawn-fcgi with the docs' command line,
# but without WEBHOOK_CONFIG, which the Caddyfile's env passes.
owner=()
who=()
if [ "$(id -u)" = 0 ]; then
	owner=(-U "$(server_user)" -G "$(server_group)")
	who=(-u "$(server_user)" -g "$(server_group)")
fi
for ep in github stripe; do
	server_dir "$T/spawn-$ep"
	spawn_bg "spawn-$ep" env -u WEBHOOK_CONFIG WEBHOOK_ENDPOINT="$ep" \
	    spawn-fcgi -n \
	    -s "$R/$ep.sock" -M 0660 "${owner[@]}" "${who[@]}" \
	    -- "$CGI_DIR/$ep.fcgi"
done
server_dir "$T/spawn-github-acme"
spawn_bg spawn-github-acme env -u WEBHOOK_CONFIG WEBHOOK_ENDPOINT=github-acme \
    spawn-fcgi -n -a 127.0.0.1 -p "$acme_port" "${who[@]}" -- "$CGI_DIR/github.fcgi"

server_dir "$T/caddy"
spawn_bg caddy "${as_user[@]}" caddy run --adapter caddyfile \
    --config "$C/Caddyfile"
CA=$C/data/pki/authorities/local/root.crt
for i in $(seq 1 150); do
	[ -s "$CA" ] && [ "$(curl -s --max-time 2 --cacert "$CA" -o /dev/null \
	    -w '%{http_code}' "https://127.0.0.1:$port/")" = 404 ] && break
	pid_alive "$(server_pid caddy)" || fail "caddy exited"
	[ "$i" -lt 150 ] || fail "caddy: no HTTPS answer on $port within 15 s"
	sleep 0.1
done
ok "Caddy answers over HTTPS with a certificate its local CA signed"
assert_eq "" "$(ss -Hltnu | awk '{ print $5 }' | grep -E ":($port|$http_port)\$" |
    grep -v '^127\.0\.0\.1:')" "Caddy listens on loopback only"
assert_match 'Caddy Local Authority' "$(openssl x509 -noout -subject \
    -in "$CA")" "the CA is Caddy's own, in \$T"
issuer=$(openssl s_client -connect "127.0.0.1:$port" -CAfile "$CA" \
    -verify_return_error </dev/null 2>/dev/null |
    openssl x509 -noout -issuer) || fail "openssl s_client: no certificate"
assert_match 'Caddy Local Authority' "$issuer" \
    "the site's certificate is issued by it"

# From here on, post checks the certificate with Caddy's CA, never -k.
CACERT=$CA

# deliver ENDPOINT PROVIDER WANT WHAT: a signed delivery over HTTPS.
deliver() {
	example_deliver "https://127.0.0.1:$port" "$@"
}
deliver github github 200 "spawn-fcgi, unix socket"
assert_eq "" "$(grep -i '^status:' "$T/resp.headers")" \
    "no Status: header in Caddy's answer"
deliver stripe stripe 200 "spawn-fcgi, unix socket"
# A chunked body: Caddy 2.6 says CONTENT_LENGTH=-1, refused and logged
# (the README says so; a later Caddy may pass the length).
make_body github "caddy-chunked" "$T/body"
sign github "$T/body" "$(cat "$S/github.secret")" "caddy-chunked"
code=$(post "https://127.0.0.1:$port/hooks/github" "$T/body" "${H[@]}" \
    -H 'Transfer-Encoding: chunked')
expect_reject github 400 'Content-Length' "a chunked body"
deliver github-acme github 200 "spawn-fcgi, TCP"
# The same process serves /hooks/github-widgets (the Caddyfile edited
# so): the endpoint is the one Caddy's env names, with its own secret.
deliver github-widgets github 200 "github-acme's process"
make_body github "caddy-w" "$T/body"
sign github "$T/body" "$(cat "$S/github-acme.secret")" "caddy-w"
code=$(post "https://127.0.0.1:$port/hooks/github-widgets" "$T/body" "${H[@]}")
expect_reject github-widgets 401 'mismatch' "github-acme's secret"

# Plain HTTP is redirected by Caddy; no handler sees it.
lines=$(wc -l <"$T/log/github.log")
code=$(post "http://127.0.0.1:$http_port/hooks/github" "$T/body" "${H[@]}")
assert_eq 308 "$code" "plain HTTP is redirected"
assert_match "Location: https://127.0.0.1(:$port)?/hooks/github" \
    "$(cat "$T/resp.headers")" "to the HTTPS URL"
assert_eq "$lines" "$(wc -l <"$T/log/github.log")" \
    "the plain HTTP request reached no handler"

# Exact paths: a near name is Caddy's 404, no handler involved.
lines=$(wc -l <"$T/log/github-acme.log")
code=$(post "https://127.0.0.1:$port/hooks/github-acmex" "$T/body" "${H[@]}")
assert_eq 404 "$code" "/hooks/github-acmex answers 404"
assert_eq "$lines" "$(wc -l <"$T/log/github-acme.log")" \
    "/hooks/github-acmex reached no handler"

# max_body = 5M in the example; request_body's max_size is above it, so
# a body just under it is accepted, and the handler answers an
# oversized one itself, and logs it.
deliver_big() {
	make_body github "$1" "$T/body" "$2"
	sign github "$T/body" "$(cat "$S/github.secret")" "$1"
	code=$(post "https://127.0.0.1:$port/hooks/github" "$T/body" "${H[@]}")
}
deliver_big caddy-almost $((5 * 1024 * 1024 - 1024))
assert_eq 200 "$code" "a body just under max_body is accepted"
assert_eq 1 "$(rows github caddy-almost)" "and stored"
deliver_big caddy-big $((5 * 1024 * 1024))
expect_reject github 413 'max_body' "a body over max_body"

for k in caddy spawn-github spawn-stripe spawn-github-acme; do
	stop_server "$k"
done
# Nothing outside $T: where Caddy keeps its files by default is
# untouched (the CA checked above is in $T).
home=$(getent passwd "$(id -un)" | cut -d: -f6)
assert_eq "" "$(find /var/lib/caddy "$home/.local/share/caddy" \
    "$home/.config/caddy" /etc/caddy -newer "$T/.start" 2>/dev/null)" \
    "Caddy wrote nothing outside the test's folder"
t_done
