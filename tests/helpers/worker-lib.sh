# shellcheck shell=bash
# tests/helpers/worker-lib.sh: what the webhook-worker tests share.
# Sourced after tests/lib.sh, once t_init has run:
#
#	worker_config <<CONF          [global] basics, then these lines
#	command = $WCMD record $T/out
#	[github]
#	provider = github
#	secret = $W_SECRET
#	CONF
#	deliver github d1 push        through the real handler, as CGI
#	start_worker w1 --grace 5     in the background, PID via server_pid
#	wait_for 10 "d1 done" is_state github d1 done
#
# Workers are started with spawn_bg, so t_cleanup stops them (and their
# commands) by PID, and their output is in $T/<name>/stdout.log.

W_BUILD=$ROOT/${WEBHOOK_BUILD:-build}
WORKER=$W_BUILD/bin/webhook-worker
GITHUB_CGI=$W_BUILD/cgi-bin/github.fcgi
WCMD=$ROOT/tests/helpers/worker-cmd.sh
W_SECRET="worker-test-secret"
DB=$T/state/webhooks.db

[ -x "$WORKER" ] || fail "no $WORKER: run make first"

# worker_config: writes $T/webhooks.conf, a [global] section for the
# tests followed by standard input, and exports WEBHOOK_CONFIG.
worker_config() {
	server_dir "$T/log" "$T/state" "$T/out"
	{
		cat <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no
durability = relaxed
retry_base = 1
CONF
		cat
	} >"$T/webhooks.conf"
	export WEBHOOK_CONFIG=$T/webhooks.conf
}

# deliver ENDPOINT ID EVENT [BODYFILE]: one signed GitHub-style delivery
# through the handler binary in CGI mode; fails unless it is accepted.
deliver() {
	local ep=$1 id=$2 event=$3 body=${4:-} sig out

	if [ -z "$body" ]; then
		body=$T/deliver.body
		printf '{"id":"%s","event":"%s"}' "$id" "$event" >"$body"
	fi
	sig=$(hmac_hex sha256 "$W_SECRET" <"$body")
	# ASan builds: LeakSanitizer's exit-time scan needs ptrace, which
	# the handler's seccomp filter refuses, and a CGI handler then
	# spins at exit; the contract tests cover the handlers' leaks.
	out=$(timeout -s KILL 30 env -i PATH="$PATH" \
	    ASAN_OPTIONS=detect_leaks=0 WEBHOOK_CONFIG="$WEBHOOK_CONFIG" \
	    WEBHOOK_ENDPOINT="$ep" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD=POST REQUEST_URI="/hooks/$ep" \
	    REMOTE_ADDR=127.0.0.1 CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(wc -c <"$body")" \
	    HTTP_X_HUB_SIGNATURE_256="sha256=$sig" \
	    HTTP_X_GITHUB_DELIVERY="$id" HTTP_X_GITHUB_EVENT="$event" \
	    "$GITHUB_CGI" <"$body" 2>&1) || true
	case $out in
	*'"status":"accepted"'*) ;;
	*) fail "deliver $ep/$id: not accepted" "$out" ;;
	esac
}

# start_worker NAME [ARGS...]: runs webhook-worker -c $WEBHOOK_CONFIG.
start_worker() {
	local name=$1

	shift
	mkdir -p "$T/$name"
	spawn_bg "$name" "$WORKER" -c "$WEBHOOK_CONFIG" "$@"
}

# q SQL: runs SQL on the ledger, waiting for locks like a worker does.
q() {
	sqlite3 -cmd '.timeout 5000' "$DB" "$1"
}

# is_state ENDPOINT ID STATE: true when the delivery is in that state.
is_state() {
	[ "$(q "SELECT state FROM deliveries WHERE endpoint = '$1'
	    AND delivery_id = '$2'")" = "$3" ]
}

# count_state STATE: how many deliveries are in that state.
count_state() {
	q "SELECT count(*) FROM deliveries WHERE state = '$1'"
}

# wait_for SECONDS WHAT CMD...: polls CMD every 50 ms until it succeeds;
# fails the test after SECONDS.
wait_for() {
	local limit=$1 what=$2 end

	shift 2
	end=$(($(date +%s%3N) + limit * 1000))
	until "$@"; do
		[ "$(date +%s%3N)" -lt "$end" ] ||
			fail "$what: not within $limit s" \
			    "$(q 'SELECT endpoint, delivery_id, state, attempts,
			    last_exit, last_error FROM deliveries' | tail -n 5)"
		sleep 0.05
	done
	ok "$what"
}

# worker_records: the worker log as one JSON object per line (jq fails
# on any torn or interleaved line).
worker_records() {
	jq -c . "$T/log/worker.log"
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# stopped_within SECONDS PID: waits for PID (a child of this shell) to
# exit; sets W_RC to its status, or fails.
stopped_within() {
	local i

	for i in $(seq 1 $(($1 * 20))); do
		pid_alive "$2" || break
		sleep 0.05
	done
	pid_alive "$2" && fail "worker $2 still running after $1 s"
	W_RC=0
	wait "$2" || W_RC=$?
}

# prefill URL KEYFILE TEMPLATE N PREFIX: POSTs N new GitHub push
# deliveries to URL, eight at a time, and checks that every one was
# answered 200.  Delivery i has the id PREFIXi, also put in the body in
# place of TEMPLATE's BENCHID, and is signed with the key in KEYFILE:
# each is a distinct delivery (the receivers deduplicate on the signed
# bytes too), as a real push is.
prefill() {
	local url=$1 n=$4

	mkdir -p "$T/prefill"
	"$HELPERS/sign-many" -o "$T/prefill" github "$2" "$3" "$n" "$5" \
	    >"$T/prefill.sigs" || fail "sign-many failed"
	awk -v url="$url" -v dir="$T/prefill" '
	    BEGIN { print "parallel"; print "parallel-max = 8" }
	    NR > 1 { print "next" }
	    { print "url = \"" url "\""
	      print "data-binary = \"@" dir "/" $1 "\""
	      print "header = \"Content-Type: application/json\""
	      print "header = \"X-Hub-Signature-256: sha256=" $2 "\""
	      print "header = \"X-GitHub-Event: push\""
	      print "header = \"X-GitHub-Delivery: " $1 "\""
	      print "output = \"/dev/null\""
	      print "write-out = \"%{http_code} " $1 "\\n\"" }' \
	    "$T/prefill.sigs" >"$T/prefill.cfg"
	timeout 300 curl -sS --http1.1 --max-time 30 -K "$T/prefill.cfg" \
	    >"$T/prefill.codes" 2>"$T/prefill.err" || true
	assert_eq "$n" "$(grep -c '^200 ' "$T/prefill.codes" || true)" \
	    "all $n prefill POSTs answered 200"
}
