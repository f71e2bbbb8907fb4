# shellcheck shell=bash
# tests/reliability.sh: helpers of the reliability and security suite
# (tests/integration/t40NN-*.sh, tests/RELIABILITY.md).  Sourced after
# lib.sh and contract.sh.
#
# Besides the web servers of lib.sh, these tests talk to one handler
# directly: started with `spawn-fcgi -n` on a unix socket (FastCGI, many
# requests in one process) and driven by tests/helpers/fcgi-client, or
# run as plain CGI with an environment set by hand.  That is how inputs
# no web server passes on (NUL in a header value, a Content-Length that
# does not match the body) reach the handler.

FCGI_CLIENT=$HELPERS/fcgi-client

# handler_start KIND ENDPOINT BINARY [WRAPPER...]: runs BINARY as a
# FastCGI process for ENDPOINT on $T/KIND/sock, as server_user, with
# WEBHOOK_CONFIG from the environment, under WRAPPER (valgrind ...) when
# given (by absolute path: spawn-fcgi does not search PATH).
# stop_server KIND stops it.  Waits until the socket exists.
handler_start() {
	local kind=$1 ep=$2 bin=$3 i
	local -a owner=()

	shift 3
	server_dir "$T/$kind"
	rm -f "$T/$kind/sock"
	if [ "$(id -u)" = 0 ]; then
		owner=(-u "$(server_user)" -g "$(server_group)")
	fi
	spawn_bg "$kind" env WEBHOOK_CONFIG="$WEBHOOK_CONFIG" \
	    WEBHOOK_ENDPOINT="$ep" spawn-fcgi -n -s "$T/$kind/sock" -M 0666 \
	    "${owner[@]}" -- "$@" "$bin"
	for i in $(seq 1 100); do
		if [ -S "$T/$kind/sock" ]; then
			# spawn-fcgi made the socket; did the exec work?
			sleep 0.2
			pid_alive "$(server_pid "$kind")" && return 0
			break
		fi
		sleep 0.1
	done
	fail "handler_start $kind: no socket after 10 s" \
	    "$(cat "$T/$kind/stdout.log")"
}

# handler_pid KIND: the PID of the handler process handler_start began
# (spawn-fcgi -n execs the program, so it keeps the PID).
handler_pid() {
	server_pid "$1"
}

# h_params: turns the curl header arguments in H (from sign) into FastCGI
# variables in the array P: -H 'X-Hub-Signature-256: v' gives
# HTTP_X_HUB_SIGNATURE_256=v, Content-Type gives CONTENT_TYPE.
h_params() {
	local h name

	P=()
	for h in "${H[@]}"; do
		[ "$h" = -H ] && continue
		name=$(printf '%s' "${h%%: *}" | tr 'a-z-' 'A-Z_')
		case $name in
		CONTENT_TYPE) P+=("CONTENT_TYPE=${h#*: }") ;;
		*) P+=("HTTP_$name=${h#*: }") ;;
		esac
	done
}

# fcgi_post KIND ENDPOINT BODYFILE [CLIENT-ARGS...] [NAME=VALUE...]:
# POSTs the body to the handler of KIND as the web server would, and
# prints the status.  The response goes to $T/fresp, FCGI_STDERR
# records to $T/KIND/stderr.log; the handlers write their diagnostics to
# the process's standard error instead, $T/KIND/stdout.log.
fcgi_post() {
	local kind=$1 ep=$2 body=$3

	shift 3
	"$FCGI_CLIENT" -o "$T/fresp" -b "$body" "$T/$kind/sock" \
	    REQUEST_METHOD=POST "REQUEST_URI=/hooks/$ep" \
	    REMOTE_ADDR=127.0.0.1 SERVER_PROTOCOL=HTTP/1.1 \
	    "WEBHOOK_ENDPOINT=$ep" "$@" 2>>"$T/$kind/stderr.log" || true
}

# cgi_run ENDPOINT BINARY BODYFILE [NAME=VALUE...]: runs BINARY once as
# CGI with exactly these variables (no CONTENT_LENGTH unless given) and
# the body on stdin, as server_user, under the command in the array
# CGI_WRAP when set; prints the status.  Output in $T/cresp, standard
# error appended to $T/cgi.err.
CGI_WRAP=()
cgi_run() {
	local ep=$1 bin=$2 body=$3 status
	local -a user=()

	shift 3
	[ "$(id -u)" != 0 ] || user=(setpriv "--reuid=$(server_user)" \
	    "--regid=$(server_group)" --clear-groups)
	touch "$T/cgi.err"
	"${user[@]}" env -i PATH=/usr/bin:/bin \
	    WEBHOOK_CONFIG="$WEBHOOK_CONFIG" \
	    REQUEST_METHOD=POST "REQUEST_URI=/hooks/$ep" \
	    REMOTE_ADDR=127.0.0.1 GATEWAY_INTERFACE=CGI/1.1 \
	    "WEBHOOK_ENDPOINT=$ep" "$@" "${CGI_WRAP[@]}" "$bin" <"$body" \
	    >"$T/cresp" 2>>"$T/cgi.err" || true
	status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$T/cresp" | head -n 1)
	echo "${status:-000}"
}

# gh_delivery ID FILE: writes a GitHub body for ID and signs it into H.
gh_delivery() {
	make_body github "$1" "$2"
	sign github "$2" "$(secret_of github)" "$1"
}

# busy_pair_start PORT: the setup of the load tests (t4010, t4050): the
# contract configuration with a log rotating every 256 KiB, and lighttpd
# on PORT with 4 FastCGI processes for each of github and stripe.
busy_pair_start() {
	contract_config
	cat >>"$T/webhooks.conf" <<CONF
[global]
log_max_size = 256k
log_keep = 1000
CONF
	MAX_PROCS=4 ENDPOINTS="github:$CGI_DIR/github.fcgi \
stripe:$CGI_DIR/stripe.fcgi" start_server lighttpd-fcgi "$1"
}
