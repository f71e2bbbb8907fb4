#!/bin/bash
# Secrets: a secret_file that group or others may read is refused, end
# to end.  Behind lighttpd (FastCGI and CGI) the endpoint answers 503
# with Retry-After, stores nothing, and the server's error log names the
# file, its mode and the fix; once the file is chmod 600 the provider's
# retry is accepted, without restarting anything.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init secret-perms
build_helpers
contract_config

# check KIND MODE: one round against a server of KIND.
check() {
	local kind=$1 mode=$2 port id=perm-$1-$2 b=$T/perm.body

	chmod "$mode" "$T/stripe.secret"
	port=$(free_port)
	MAX_PROCS=1 ENDPOINTS="stripe:$CGI_DIR/stripe.fcgi" \
	    start_server "$kind" "$port"
	make_body stripe "$id" "$b"
	sign stripe "$b" "$(secret_of stripe)" "$id"
	code=$(post "http://127.0.0.1:$port/hooks/stripe" "$b" "${H[@]}")
	assert_eq 503 "$code" "$kind: secret_file mode $mode: 503"
	assert_match 'Retry-After' "$(cat "$T/resp.headers")" \
	    "$kind: mode $mode: with Retry-After"
	assert_match 'not configured' "$(cat "$T/resp.body")" \
	    "$kind: mode $mode: the answer points to the error log"
	assert_match "secret_file '$T/stripe.secret' is readable by group or others \\(mode $mode\\); chmod 600 it" \
	    "$(cat "$T/$kind"/*.log)" \
	    "$kind: mode $mode: the server error log names file, mode and fix"
	# Never let sqlite3 (root) create the database the handlers need.
	[ ! -e "$T/state/webhooks.db" ] ||
		assert_eq 0 "$(rows stripe "evt_$id")" \
		    "$kind: mode $mode: nothing stored"
	if grep -rqF "$(secret_of stripe)" "$T/$kind" "$T/log" 2>/dev/null; then
		fail "$kind: the secret itself appears in a log"
	fi
	ok "$kind: mode $mode: the secret is in no log"
	chmod 600 "$T/stripe.secret"
	code=$(post "http://127.0.0.1:$port/hooks/stripe" "$b" "${H[@]}")
	assert_eq 200 "$code" "$kind: chmod 600: the retry is accepted"
	assert_eq 1 "$(rows stripe "evt_$id")" "$kind: and stored once"
	stop_server "$kind"
}

check lighttpd-fcgi 644
check lighttpd-fcgi 640
check lighttpd-cgi 604
t_done
