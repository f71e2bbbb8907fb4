# shellcheck shell=bash
# bench/peer.sh: the peer of the benchmark, adnanh/webhook (Debian package
# `webhook` 2.8.0, /usr/bin/webhook), receiving the same signed GitHub
# push as our handler.  Sourced by a driver that has sourced tests/lib.sh
# and called t_init ($T, spawn_bg, stop_server, fail).  Call peer_start
# and peer_stop from the driver's main shell, never inside $(...): the
# PID is kept through spawn_bg and reaped with `wait`.
#
#   peer_start PORT MODE SECRET   MODE: nocmd or true
#   peer_stop
#
# URL: http://127.0.0.1:PORT/hooks/github.  What 2.8.0 does (read in its
# webhook.go/hook.go, checked by hand):
#  - payload-hmac-sha256 hashes the raw body and strips an optional
#    "sha256=" prefix from the header value, so GitHub's
#    "X-Hub-Signature-256: sha256=<hex>" is taken as is.
#  - valid signature: 200, empty body, sent at once; the command runs in
#    a goroutine afterwards (include-command-output-in-response is off),
#    so MODE=true adds a fork+exec of /bin/true per request to the CPU
#    load but not to the response's path.
#  - wrong signature: 500 "Error occurred while evaluating hook rules."
#    (2.8.0 treats a signature mismatch as an evaluation error).
#  - no signature header: the rule is merely unsatisfied, which 2.8.0
#    answers 200 by default; trigger-rule-mismatch-http-response-code
#    makes that 403.
#  - no execute-command (MODE=nocmd): the hook still "triggers" and the
#    goroutine calls exec.LookPath(""), which fails without forking
#    (one stat per $PATH entry) and logs "error in exec" to a logger
#    that is discarded without -verbose.  So no process is started and
#    the client already has its 200.

# The peer's PID lives in $T/.servers/webhook-peer.pids (spawn_bg), so
# t_cleanup stops it too when the driver dies early.
PEER_KIND=webhook-peer

# peer_json_string S: S (no control characters) as a JSON string
# literal, built with bash only so that the secret never reaches a
# command line.
peer_json_string() {
	local s=$1

	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# peer_start PORT MODE SECRET: writes $T/webhook-peer/hooks.json (0600,
# the secret inside) and starts webhook on 127.0.0.1:PORT; returns once
# the hook answers, fails the run otherwise.
peer_start() {
	local port=$1 mode=$2 secret=$3 dir=$T/$PEER_KIND cmd body

	[[ $port =~ ^[1-9][0-9]{0,4}$ ]] || fail "peer_start: bad port '$port'"
	case $mode in
	nocmd) cmd= ;;
	true) cmd='"execute-command": "/bin/true",' ;;
	*) fail "peer_start: MODE must be nocmd or true, not '$mode'" ;;
	esac
	[ -n "$secret" ] || fail "peer_start: empty secret"
	case $secret in
	*[[:cntrl:]]*) fail "peer_start: control characters in the secret" ;;
	esac
	[ ! -e "$T/.servers/$PEER_KIND.pids" ] ||
		fail "peer_start: the peer is already running"
	mkdir -p "$dir" "$T/.servers"
	# umask in a subshell: the file is 0600 from its creation on.
	(
		umask 077
		cat >"$dir/hooks.json" <<EOF
[
  {
    "id": "github",
    $cmd
    "trigger-rule-mismatch-http-response-code": 403,
    "trigger-rule": {
      "match": {
        "type": "payload-hmac-sha256",
        "secret": $(peer_json_string "$secret"),
        "parameter": { "source": "header", "name": "X-Hub-Signature-256" }
      }
    }
  }
]
EOF
	)
	# No -verbose (logging costs time per request) and no -hotreload.
	spawn_bg "$PEER_KIND" /usr/bin/webhook -hooks "$dir/hooks.json" \
	    -ip 127.0.0.1 -port "$port"
	# Up to 10 s.  The unsigned probe must get this hook's 403 and its
	# text, so that another server on the port does not pass for it.
	for _ in $(seq 1 100); do
		pid_alive "$(server_pid "$PEER_KIND")" ||
			fail "peer_start: webhook exited" \
			    "$(tail -n 5 "$dir/stdout.log" 2>/dev/null)"
		body=$(curl -s --max-time 1 -w ' %{http_code}' \
		    "http://127.0.0.1:$port/hooks/github") || true
		[ "$body" = "Hook rules were not satisfied. 403" ] && return 0
		sleep 0.1
	done
	fail "peer_start: webhook did not answer on port $port within 10 s"
}

# peer_stop: stops the webhook peer_start started (and any /bin/true it
# still runs), by PID, and waits for it.
peer_stop() {
	[ -e "$T/.servers/$PEER_KIND.pids" ] || return 0
	stop_server "$PEER_KIND"
}
