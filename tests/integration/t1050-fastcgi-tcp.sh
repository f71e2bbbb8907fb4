#!/bin/bash
# FastCGI over TCP, as spawn-fcgi -a/-p, nginx's fastcgi_pass host:port,
# Apache's fcgi://host:port and systemd's ListenStream=host:port run it.
# libfcgi sets TCP_NODELAY on every TCP connection it accepts; the seccomp
# filter once stopped that call, and every handler died on its first
# request (issue 13).  Here one handler process per address family,
# 127.0.0.1 and [::1], serves several deliveries (genuine, duplicate,
# unsigned) in the same process, still under its filter.  That a
# forbidden socket option still stops the process is in t4080.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init fastcgi-tcp
build_helpers
contract_config
GH=$CGI_DIR/github.fcgi
owner=()
[ "$(id -u)" != 0 ] || owner=(-u "$(server_user)" -g "$(server_group)")

# tcp_start KIND ADDR PORT: the GitHub handler listening on ADDR:PORT.
tcp_start() {
	local i

	server_dir "$T/$1"
	spawn_bg "$1" env WEBHOOK_CONFIG="$WEBHOOK_CONFIG" \
	    WEBHOOK_ENDPOINT=github spawn-fcgi -n -a "$2" -p "$3" \
	    "${owner[@]}" -- "$GH"
	for i in $(seq 1 100); do
		[ -z "$(ss -Htln "sport = :$3")" ] || return 0
		pid_alive "$(server_pid "$1")" || break
		sleep 0.1
	done
	fail "$1: nothing listens on $2 port $3" "$(cat "$T/$1/stdout.log")"
}

# tcp_post TARGET BODY [NAME=VALUE...]: one request; prints the status.
tcp_post() {
	local target=$1 body=$2

	shift 2
	"$FCGI_CLIENT" -o "$T/fresp" -b "$body" "$target" \
	    REQUEST_METHOD=POST REQUEST_URI=/hooks/github \
	    REMOTE_ADDR=127.0.0.1 SERVER_PROTOCOL=HTTP/1.1 \
	    WEBHOOK_ENDPOINT=github "$@" 2>>"$T/tcp.err" || true
}

for family in 4 6; do
	kind=tcp$family
	port=$(free_port)
	if [ "$family" = 4 ]; then
		addr=127.0.0.1 target=tcp:127.0.0.1:$port
	else
		addr=::1 target=tcp:[::1]:$port
	fi
	tcp_start "$kind" "$addr" "$port"
	pid=$(server_pid "$kind")

	id=tcp-$family-$$
	gh_delivery "$id" "$T/$id.body"
	h_params
	assert_eq 200 "$(tcp_post "$target" "$T/$id.body" "${P[@]}")" \
	    "$kind: a signed delivery over TCP is accepted"
	assert_eq accepted "$(last_log github verdict)" "$kind: logged accepted"
	assert_eq 1 "$(rows github "$id")" "$kind: stored once in the ledger"
	assert_eq 200 "$(tcp_post "$target" "$T/$id.body" "${P[@]}")" \
	    "$kind: the same delivery again is answered 200"
	assert_eq duplicate "$(last_log github verdict)" \
	    "$kind: and logged as a duplicate"
	assert_eq 1 "$(rows github "$id")" "$kind: still one ledger row"
	code=$(tcp_post "$target" "$T/$id.body" \
	    "HTTP_X_GITHUB_DELIVERY=$id-unsigned" CONTENT_TYPE=application/json)
	expect_reject github 401 'signature' "$kind: an unsigned request"

	pid_alive "$pid" || fail "$kind: the handler died" \
	    "$(cat "$T/$kind/stdout.log")"
	ok "$kind: one process served all three ($pid)"
	assert_eq 2 "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" \
	    "$kind: under its seccomp filter"
	if grep -q 'forbidden system call' "$T/$kind/stdout.log"; then
		fail "$kind: the handler hit the filter" \
		    "$(cat "$T/$kind/stdout.log")"
	fi
	# SIGTERM ends it at once (the listening socket is non-blocking
	# there too; t4015 for the rest of the stop signals).
	kill -TERM "$pid"
	gone_within "$pid" 5 ||
		fail "$kind: the handler still runs 5 s after SIGTERM"
	ok "$kind: SIGTERM ends the handler"
	stop_server "$kind"
done
t_done
