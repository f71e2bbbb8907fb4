#!/bin/bash
# t0000-harness: proves tests/lib.sh itself.  For each server kind, two
# endpoints served by the fcgi-echo fixture must get whole bodies and
# their own WEBHOOK_ENDPOINT, run as server_user, and every process must
# be gone after stop_server.  One HTTPS run checks that HTTPS=on reaches
# the program.
set -eu
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

t_init t0000
build_helpers

echo_bin=$HELPERS/fcgi-echo
# Inputs of start_server (read by lib.sh in this shell).
# shellcheck disable=SC2034
ENDPOINTS="alpha:$echo_bin beta:$echo_bin"
# fcgi-echo only echoes it back; the file need not exist.
WEBHOOK_CONFIG=$T/webhooks.conf
handler_uid=$(id -u "$(server_user)")

head -c 1048576 /dev/urandom >"$T/big"
head -c "$(max_body)" /dev/urandom >"$T/limit"
printf '{"hello":"beta"}' >"$T/small"

# check_post KIND URL FILE ENDPOINT WHAT: POSTs FILE and checks what
# fcgi-echo reports about it.
check_post() {
	local kind=$1 url=$2 file=$3 ep=$4 what=$5 size code body

	size=$(wc -c <"$file")
	code=$(post "$url/hooks/$ep" "$file" -H 'Content-Type: application/json')
	assert_eq 200 "$code" "$kind: $what to $ep: status"
	body=$(cat "$T/resp.body")
	assert_match "\"body_length\":$size," "$body" \
	    "$kind: $what to $ep: whole body read"
	assert_match "\"webhook_endpoint\":\"$ep\"" "$body" \
	    "$kind: $what to $ep: WEBHOOK_ENDPOINT"
	assert_match "\"webhook_config\":\"$WEBHOOK_CONFIG\"" "$body" \
	    "$kind: $what to $ep: WEBHOOK_CONFIG"
	assert_match "\"uid\":$handler_uid}" "$body" \
	    "$kind: $what to $ep: runs as $(server_user)"
}

# check_stopped KIND PIDS: every PID of the stopped server is gone.
check_stopped() {
	local kind=$1 main pid left=

	main=${2%% *}
	# The server is our child and was reaped: kill -0 must fail.
	if kill -0 "$main" 2>/dev/null; then
		fail "$kind: server PID $main still exists after stop_server"
	fi
	ok "$kind: server PID $main gone"
	for pid in $2; do
		if pid_alive "$pid"; then
			left="$left $pid"
		fi
	done
	assert_eq "" "$left" "$kind: no process of the server left"
}

# check_kind KIND: one server of KIND through its paces.
check_kind() {
	local kind=$1 scheme=http port url pids

	[ "${TLS:-0}" != 1 ] || scheme=https
	port=$(free_port)
	url=$scheme://127.0.0.1:$port
	start_server "$kind" "$port"

	check_post "$kind" "$url" "$T/big" alpha "1 MiB"
	if [ "$scheme" = https ]; then
		assert_match '"https":"on"' "$(cat "$T/resp.body")" \
		    "$kind: HTTPS=on reaches the program"
	else
		assert_match '"https":null' "$(cat "$T/resp.body")" \
		    "$kind: no HTTPS over plain HTTP"
	fi
	check_post "$kind" "$url" "$T/small" beta "small body"
	check_post "$kind" "$url" "$T/limit" alpha "MAX_BODY_BYTES body"

	# Not an endpoint: /hooks/alphabet must not reach alpha.
	assert_eq 404 "$(post "$url/hooks/alphabet" "$T/small")" \
	    "$kind: /hooks/alphabet is not /hooks/alpha"

	pids=$(server_pids "$kind" | tr '\n' ' ')
	stop_server "$kind"
	check_stopped "$kind" "$pids"
}

for kind in $SERVER_KINDS; do
	check_kind "$kind"
done
TLS=1 check_kind lighttpd-fcgi

t_done
