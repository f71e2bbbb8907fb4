#!/bin/bash
# nginx as the docs deploy it: the shipped www/nginx/webhook-fcgi.conf
# and www/examples/webhooks.conf, only their paths moved under $T,
# included in an HTTPS server, in front of both process managers the
# docs offer, since nginx starts no FastCGI program itself:
#  - the shipped systemd units, dist/systemd/webhook@.socket and
#    webhook@.service.  systemd is not PID 1 here, so
#    systemd-socket-activate stands in for it: it listens where the
#    socket unit says (ListenStream=, or the TCP drop-in of the docs),
#    starts the unit's ExecStart with its Environment= on the first
#    connection, not before, and setpriv gives it the unit's User= (the
#    test's server_user) and the listening socket as standard input
#    (StandardInput=socket).  Not emulated: the sandboxing directives
#    (ProtectSystem=, RestrictAddressFamilies=, ...) and Restart=;
#    t1040 has systemd-analyze verify them.
#  - spawn-fcgi, with the command line of the snippet's comment.
# Each over a unix socket and over TCP (fastcgi_pass 127.0.0.1:PORT, the
# edit the snippet describes).  Also: client_max_body_size lets a body
# over max_body through to the handler, which answers 413 and logs it;
# /hooks/github-acmex is not /hooks/github-acme.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init nginx-deploy
cd "$ROOT"

N=$T/nginx
R=$T/run
server_dir "$N" "$N/www" "$N/tmp" "$R"
echo "webhook-fcgi nginx test" >"$N/www/index.html"
example_config
stripe_port=$(free_port)
zendesk_port=$(free_port)
port=$(free_port)
sed -e "s|/etc/webhook-fcgi/webhooks.conf|$T/webhooks.conf|" \
    -e "s|/run/webhook-fcgi/|$R/|" \
    -e "s|unix:$R/stripe.sock|127.0.0.1:$stripe_port|" \
    -e "s|unix:$R/zendesk.sock|127.0.0.1:$zendesk_port|" \
    -e "s|unix:$R/github-widgets.sock|unix:$R/github-acme.sock|" \
    www/nginx/webhook-fcgi.conf >"$N/webhook-fcgi.conf"
make_cert "$T/tls"
{
	[ "$(id -u)" != 0 ] ||
		echo "user $(server_user) $(server_group);"
	cat <<EOF
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log warn;
events {
	worker_connections 64;
}
http {
	access_log $N/access.log;
	client_body_temp_path $N/tmp/body;
	fastcgi_temp_path $N/tmp/fastcgi;
	proxy_temp_path $N/tmp/proxy;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		server_name localhost;
		ssl_certificate $T/tls/cert.pem;
		ssl_certificate_key $T/tls/key.pem;
		root $N/www;
		include $N/webhook-fcgi.conf;
	}
}
EOF
} >"$N/nginx.conf"
out=$(timeout -k 1 20 nginx -t -p "$N/" -e "$N/error.log" \
    -c "$N/nginx.conf" 2>&1) ||
	fail "nginx -t refuses www/nginx/webhook-fcgi.conf" "$out"
ok "nginx -t accepts www/nginx/webhook-fcgi.conf"

# --- the systemd units, under systemd-socket-activate -------------------

# unit_value FILE... KEY: the value KEY has after FILE and its drop-ins
# (the last assignment wins; an empty one resets a list such as
# ListenStream=, as in systemd).
unit_value() {
	local key=${*: -1}

	cat "${@:1:$#-1}" | sed -n "s/^$key=//p" | tail -n 1
}

# unit_start INSTANCE [DROPIN]: webhook@INSTANCE.socket and .service as
# systemd would run them, DROPIN a file of [Socket] and [Service]
# overrides.  Returns once the socket listens; the handler starts later.
unit_start() {
	local inst=$1 drop=${2:-/dev/null} kind=unit-$1 listen exec line
	local -a env=() argv
	local i
	local sock=dist/systemd/webhook@.socket svc=dist/systemd/webhook@.service

	listen=$(unit_value "$sock" "$drop" ListenStream | sed \
	    -e "s|%i|$inst|g" -e "s|^/run/webhook-fcgi/|$R/|")
	[ -n "$listen" ] || fail "$inst: no ListenStream"
	# Environment= lines, a later one for a variable replacing the
	# earlier (the drop-in's HANDLER).
	while read -r line; do
		env+=(-E "${line//%i/$inst}")
	done < <(cat "$svc" "$drop" | sed -n 's/^Environment=//p' |
	    sed "s|/etc/webhook-fcgi/webhooks.conf|$T/webhooks.conf|" |
	    tac | awk -F= '!seen[$1]++')
	assert_eq www-data "$(unit_value "$svc" User)" \
	    "$inst: the unit runs as www-data (here: $(server_user))"
	assert_eq socket "$(unit_value "$svc" StandardInput)" \
	    "$inst: the unit takes the socket as standard input"
	exec=$(unit_value "$svc" ExecStart |
	    sed "s|/usr/lib/cgi-bin/webhook-fcgi|$CGI_DIR|")
	eval "argv=($exec)"
	server_dir "$T/$kind"
	# The socket is fd 3 (LISTEN_FDS); the unit's StandardInput=socket
	# makes it fd 0.
	spawn_bg "$kind" systemd-socket-activate -l "$listen" "${env[@]}" -- \
	    setpriv --reuid="$(server_user)" --regid="$(server_group)" \
	    --clear-groups /bin/sh -c 'exec <&3 3<&- "$@"' sh "${argv[@]}"
	for i in $(seq 1 100); do
		case $listen in
		/*) [ -S "$listen" ] && break ;;
		*) [ -n "$(ss -Htln "sport = :${listen##*:}")" ] && break ;;
		esac
		sleep 0.1
	done
	case $listen in
	/*)
		# SocketUser=, SocketGroup=, SocketMode= of the unit.
		chmod "$(unit_value "$sock" SocketMode)" "$listen"
		[ "$(id -u)" != 0 ] ||
			chown "$(server_user):$(server_group)" "$listen"
		;;
	esac
	[ "$i" -lt 100 ] || fail "$inst: nothing listens on $listen"
	ok "$inst: webhook@$inst.socket listens on $listen"
}

# comm PID: the program PID runs now.
comm() {
	cat "/proc/$1/comm" 2>/dev/null || echo gone
}

# github: the units as shipped, a unix socket.
unit_start github
# stripe: over TCP, with the drop-in of the docs.
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' \
    "$stripe_port" >"$T/tcp.conf"
unit_start stripe "$T/tcp.conf"
# github-acme: the program named by HANDLER in a drop-in, since the
# endpoint is not a provider.  It also serves /hooks/github-widgets
# (the snippet edited so): one process serves every endpoint of its
# provider, the endpoint named by nginx's WEBHOOK_ENDPOINT.
printf '[Service]\nEnvironment=HANDLER=github\n' >"$T/handler.conf"
unit_start github-acme "$T/handler.conf"

# --- spawn-fcgi, as the snippet's comment runs it -------------------------

# spawn_start ENDPOINT PROGRAM WHERE...: the snippet's command line, the
# paths moved and the test's user for www-data.
spawn_start() {
	local ep=$1 prog=$2 i
	local -a who=()

	shift 2
	[ "$(id -u)" != 0 ] || who=(-u "$(server_user)" -g "$(server_group)")
	server_dir "$T/spawn-$ep"
	spawn_bg "spawn-$ep" env -u WEBHOOK_CONFIG WEBHOOK_ENDPOINT="$ep" \
	    ${CFG:+WEBHOOK_CONFIG="$CFG"} spawn-fcgi -n "$@" "${who[@]}" \
	    -- "$CGI_DIR/$prog.fcgi"
}
owner=()
[ "$(id -u)" != 0 ] ||
	owner=(-U "$(server_user)" -G "$(server_group)")
CFG=$T/webhooks.conf spawn_start slack slack -s "$R/slack.sock" -M 0660 \
    "${owner[@]}"
# zendesk without WEBHOOK_CONFIG: nginx's fastcgi_param names the file.
CFG= spawn_start zendesk zendesk -a 127.0.0.1 -p "$zendesk_port"

spawn_bg nginx nginx -p "$N/" -e "$N/error.log" -c "$N/nginx.conf"
for i in $(seq 1 100); do
	[ "$(curl -sk --max-time 2 "https://127.0.0.1:$port/")" = \
	    "webhook-fcgi nginx test" ] && break
	pid_alive "$(server_pid nginx)" || fail "nginx exited"
	[ "$i" -lt 100 ] || fail "nginx: no answer on $port within 10 s"
	sleep 0.1
done
ok "nginx serves the snippet over HTTPS"

# --- deliveries ---------------------------------------------------------

unit_pid=$(server_pid unit-github)
assert_eq systemd-socket- "$(comm "$unit_pid")" \
    "webhook@github: no handler before the first request"

# deliver ENDPOINT PROVIDER WANT WHAT: a signed delivery over HTTPS.
deliver() {
	example_deliver "https://127.0.0.1:$port" "$@"
}
deliver github github 200 "unit, unix socket"
assert_eq github.fcgi "$(comm "$unit_pid")" \
    "webhook@github: the first request started the handler in its place"
assert_eq "$(id -u "$(server_user)")" "$(stat -c %u "/proc/$unit_pid")" \
    "webhook@github: the handler runs as $(server_user)"
assert_eq "socket:" "$(readlink "/proc/$unit_pid/fd/0" | cut -c1-7)" \
    "webhook@github: its standard input is the socket"
deliver github github 200 "unit, unix socket, a second delivery"
# A chunked body: nginx reads it whole and passes the length it counted.
make_body github "nginx-chunked" "$T/body"
sign github "$T/body" "$(cat "$S/github.secret")" "nginx-chunked"
code=$(post "https://127.0.0.1:$port/hooks/github" "$T/body" "${H[@]}" \
    -H 'Transfer-Encoding: chunked')
assert_eq 200 "$code" "github: a chunked body is accepted"
assert_eq 1 "$(rows github nginx-chunked)" "github: the chunked body stored"
assert_eq github.fcgi "$(comm "$unit_pid")" \
    "webhook@github: the same process serves again"
deliver stripe stripe 200 "unit, TCP drop-in"
deliver github-acme github 200 "unit, HANDLER drop-in"
assert_eq github.fcgi "$(comm "$(server_pid unit-github-acme)")" \
    "webhook@github-acme: HANDLER=github ran github.fcgi"
deliver github-widgets github 200 "github-acme's process"
# Served by the process started as github-acme, yet with the secret and
# the log of [github-widgets]: WEBHOOK_ENDPOINT came with the request.
make_body github "nginx-w" "$T/body"
sign github "$T/body" "$(cat "$S/github-acme.secret")" "nginx-w"
code=$(post "https://127.0.0.1:$port/hooks/github-widgets" "$T/body" "${H[@]}")
expect_reject github-widgets 401 'mismatch' "github-acme's secret"
deliver slack slack 200 "spawn-fcgi, unix socket"
deliver zendesk zendesk 200 "spawn-fcgi, TCP, WEBHOOK_CONFIG from nginx"

# Exact locations: a near name is nginx's 404, no handler involved.
make_body github "nginx-x" "$T/body"
sign github "$T/body" "$(cat "$S/github-acme.secret")" "nginx-x"
lines=$(cat "$T/log/github-acme.log" | wc -l)
code=$(post "https://127.0.0.1:$port/hooks/github-acmex" "$T/body" "${H[@]}")
assert_eq 404 "$code" "/hooks/github-acmex answers 404"
assert_eq "$lines" "$(cat "$T/log/github-acme.log" | wc -l)" \
    "/hooks/github-acmex reached no handler"

# max_body = 5M in the example; client_max_body_size is above it, so
# the handler answers the oversized body itself, and logs it.
make_body github "nginx-big" "$T/body" $((5 * 1024 * 1024))
sign github "$T/body" "$(cat "$S/github.secret")" "nginx-big"
code=$(post "https://127.0.0.1:$port/hooks/github" "$T/body" "${H[@]}")
expect_reject github 413 'max_body' "a body over max_body"
assert_match '"status":' "$(cat "$T/resp.body")" \
    "the 413 is the handler's JSON, not nginx's page"

for k in nginx unit-github unit-stripe unit-github-acme spawn-slack \
    spawn-zendesk; do
	stop_server "$k"
done
if grep -h 'forbidden system call' "$T"/*/stdout.log; then
	fail "a handler hit its seccomp filter"
fi
t_done
