#!/bin/bash
# make run (scripts/run.sh): it serves, a genuinely signed delivery is
# accepted and logged, SIGTERM stops lighttpd, its FastCGI processes and
# the worker, and a second start keeps the secrets.  The secrets live in
# 0600 files, never in the configuration.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init make-run

VAR=$T/var
OUT=$T/run.out
RUN_PID=
t_cleanup_rc=0

# Safety net: whatever run.sh left behind is in its process group (it
# runs under setsid, its PID is the group's id), and goes with it.
# The exit status is kept for t_cleanup, which reads it from $?.
run_cleanup() {
	if [ -n "$RUN_PID" ]; then
		kill -KILL -- "-$RUN_PID" 2>/dev/null
		wait "$RUN_PID" 2>/dev/null
	fi
}
trap 't_cleanup_rc=$?; set +e; run_cleanup; (exit $t_cleanup_rc)
    t_cleanup' EXIT

# group_pids PGID: the processes left in the process group.
group_pids() {
	ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'
}

# run_start: starts run.sh in its own session and waits up to 15 s for
# "serving" in its output.  A background job of a script starts with
# SIGINT ignored, and a shell cannot trap a signal ignored on entry:
# env puts back the default, as in a terminal where Ctrl-C works.
run_start() {
	local i

	: >"$OUT"
	PORT=$PORT VAR=$VAR WEBHOOK_BUILD=$BUILD_DIR \
	    setsid env --default-signal=INT sh "$ROOT/scripts/run.sh" \
	    </dev/null >"$OUT" 2>&1 &
	RUN_PID=$!
	for i in $(seq 1 150); do
		grep -q 'is serving on' "$OUT" && break
		kill -0 "$RUN_PID" 2>/dev/null ||
			fail "run.sh exited early" "$(cat "$OUT")"
		sleep 0.1
	done
	assert_match "serving on http://127.0.0.1:$PORT/" "$(cat "$OUT")" \
	    "run.sh says it is serving on port $PORT"
}

# run_stop SIG [group]: sends SIG to run.sh only, or with "group" to
# its whole process group as Ctrl-C in a terminal does, and checks that
# lighttpd, the FastCGI processes and the worker go down with it.  The
# group case is the race: a FastCGI process gets the signal itself, at
# any moment, and must not miss it on its way into accept().
run_stop() {
	local sig=$1 target=$RUN_PID before i left=

	before=$(descendants "$RUN_PID")
	assert_match 'lighttpd' "$(ps -o comm= -p "$(echo "$before" |
	    paste -sd, -)")" "lighttpd runs under run.sh"
	[ "${2:-}" = group ] && target=-$RUN_PID
	kill "-$sig" -- "$target"
	for i in $(seq 1 100); do
		pid_alive "$RUN_PID" || break
		sleep 0.1
	done
	pid_alive "$RUN_PID" && fail "run.sh still runs 10 s after SIG$sig"
	wait "$RUN_PID" 2>/dev/null || true
	assert_match 'stopped' "$(tail -n 1 "$OUT")" "run.sh says stopped ($sig)"
	for i in $(seq 1 50); do
		left=
		for pid in $before $(group_pids "$RUN_PID"); do
			pid_alive "$pid" && left="$left $pid"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	# What is left, and where it waits, for the failure message.
	[ -z "$left" ] || echo "# left: $(ps -o pid=,stat=,wchan:20=,args= \
	    -p "$(echo $left | tr ' ' ,)")"
	assert_eq "" "$left" "SIG$sig: lighttpd and its children are gone"
	RUN_PID=
}

# github_delivery ID: a genuine GitHub delivery to /hooks/github.
github_delivery() {
	local id=$1 line secret code rc
	local -a cmd

	line=$(grep -E '^  test: .*/hooks/github github$' "$OUT" || true)
	if [ -n "$line" ] && [ -x "$BUILD_DIR/bin/webhookctl" ]; then
		# The exact command run.sh printed.
		read -ra cmd <<<"${line#*test:}"
		rc=0
		code=$(timeout -k 1 30 "${cmd[@]}" 2>&1) || rc=$?
		assert_eq 0 "$rc" "the printed webhookctl send exits 0"
		assert_match '200|accepted' "$code" "webhookctl send: accepted"
		assert_eq accepted "$(tail -n 1 "$VAR/log/github.log" |
		    jq -r .verdict)" "github.log: the last record is accepted"
		return 0
	fi
	# No webhookctl: sign with openssl, from the secret file.
	secret=$(cat "$VAR/secrets/github.secret")
	make_body github "$id" "$T/body"
	sign github "$T/body" "$secret" "$id"
	code=$(post "http://127.0.0.1:$PORT/hooks/github" "$T/body" "${H[@]}")
	assert_eq 200 "$code" "signed delivery to /hooks/github: 200"
	assert_match '"status":"accepted"' "$(cat "$T/resp.body")" \
	    "the answer says accepted"
	assert_match "\"id\":\"$id\"" "$(grep -F "\"$id\"" \
	    "$VAR/log/github.log" | grep '"verdict":"accepted"')" \
	    "github.log has the accepted record"
}

PORT=$(free_port)
run_start
github_delivery "run-1-$$"
assert_match '"verdict":"accepted"' "$(cat "$VAR/log/github.log")" \
    "github.log holds an accepted record"
if [ -x "$BUILD_DIR/bin/webhook-worker" ]; then
	# The worker runs the demo command for it.
	for i in $(seq 1 100); do
		grep -qs ' github ' "$VAR/processed.log" && break
		sleep 0.1
	done
	assert_match ' github push ' "$(cat "$VAR/processed.log" 2>&1)" \
	    "the worker ran the demo command for the delivery"
	[ "$(id -u)" != 0 ] || assert_eq nobody \
	    "$(ps -o user= -p "$(pgrep -f -s "$RUN_PID" webhook-worker)")" \
	    "as root, the worker runs as nobody"
fi
# The operators' programs, at the URLs it prints.
for p in metrics console; do
	assert_match "$p: http://127.0.0.1:$PORT/$p" "$(cat "$OUT")" \
	    "run.sh prints the $p URL"
done
assert_match 'webhook_deliveries_total\{endpoint="github",verdict="accepted"\} [1-9]' \
    "$(curl -s "http://127.0.0.1:$PORT/metrics")" "metrics count the delivery"
id=$(tail -n 1 "$VAR/log/github.log" | jq -r .id)
assert_match ">$id<" "$(curl -s "http://127.0.0.1:$PORT/console")" \
    "the console lists the delivery (loopback in console_allow_from)"

# Secrets: 0600 files, none of them in the configuration.
conf=$VAR/webhooks.conf
for e in github stripe slack zendesk iot; do
	f=$VAR/secrets/$e.secret
	assert_eq 600 "$(stat -c %a "$f")" "$e.secret is mode 600"
	assert_match '^[0-9a-f]{64}$' "$(cat "$f")" "$e.secret is 32 random bytes"
	if grep -qF "$(cat "$f")" "$conf"; then
		fail "the $e secret is in $conf"
	fi
	ok "the $e secret is not in the configuration"
	assert_match "secret_file = $f" "$(cat "$conf")" \
	    "[$e] reads secret_file"
done
if grep -qE '^[[:space:]]*secret[[:space:]]*=' "$conf"; then
	fail "webhooks.conf has an inline secret"
fi
ok "webhooks.conf has no inline secret"
sums=$(sha256sum "$VAR"/secrets/*.secret)
run_stop TERM

# A second start keeps the secrets and the configuration.
PORT=$(free_port)
run_start
assert_eq "$sums" "$(sha256sum "$VAR"/secrets/*.secret)" \
    "the second start keeps every secret"
github_delivery "run-2-$$"
run_stop INT

# Ctrl-C: SIGINT to the whole group, a few times, since a lost signal
# shows only when it lands between the stop check and accept().
for round in 1 2 3; do
	PORT=$(free_port)
	run_start
	curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"
	run_stop INT group
done

t_done
