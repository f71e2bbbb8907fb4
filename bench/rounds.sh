#!/usr/bin/env bash
# bench/rounds.sh: alternating rounds of GitHub deliveries against one or
# more builds of the handler, with what each request cost the handlers,
# so that two builds (or two process counts) can be compared on a
# shared machine, where req/s alone moves by 10 % from round to round.
#
#   bench/rounds.sh [PROGRAM...]    (build/cgi-bin/github.fcgi by default)
#
# Each round starts lighttpd with ROUNDS_PROCS processes of PROGRAM, runs
# wrk for ROUNDS_SECONDS (new signed deliveries, as bench.sh sends them)
# and prints one line: req/s, p50 and p99, the ledger's and the logs'
# size, and per request the handlers' CPU time (utime + stime of their
# processes, threads included, from /proc/PID/stat; their start-up is
# in it too, a few ms, so rounds shorter than 6 s overstate it), the
# time their threads spent runnable but waiting for a CPU ("runq", the
# scheduler's run_delay in /proc/PID/task/*/schedstat), and their
# pread64, pwrite64 and fcntl calls and page faults (perf stat, when
# perf is there).  A round starts with the disk idle (sync).
#
# Knobs: ROUNDS_N (3), ROUNDS_SECONDS (6), ROUNDS_PROCS (2, the
# max-procs of www/lighttpd/fastcgi.conf), ROUNDS_MODE (relaxed, or
# durable), ROUNDS_KEEP (empty: every round starts on an empty ledger;
# 1: each program keeps its ledger and logs from round to round, to
# watch the cost grow with the ledger).

. "$(dirname "$0")/../tests/lib.sh"

N=${ROUNDS_N:-3}
SECS=${ROUNDS_SECONDS:-6}
PROCS=${ROUNDS_PROCS:-2}
MODE=${ROUNDS_MODE:-relaxed}

# setup DIR: a configuration with an empty ledger and log folder in DIR.
setup() {
	rm -rf "$1"
	github_config "$1" rounds "$MODE"
}

# cpu_ticks PIDS: their user and system time, in clock ticks (a process
# that has exited, which lighttpd would have replaced, counts nothing).
cpu_ticks() {
	local pid sum=0 t

	for pid in ${1//,/ }; do
		t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
		sum=$((sum + ${t:-0}))
	done
	echo "$sum"
}

# run_delay PIDS: the nanoseconds their threads waited for a CPU while
# runnable (threads that have exited count nothing).
run_delay() {
	local pid sum=0 t f

	for pid in ${1//,/ }; do
		for f in /proc/"$pid"/task/*/schedstat; do
			t=$(awk '{ print $2 }' "$f" 2>/dev/null)
			sum=$((sum + ${t:-0}))
		done
	done
	echo "$sum"
}

# round NUMBER PROGRAM DIR: one round, one line.
round() {
	local r=$1 prog=$2 dir=$3 port prefix pids stat_pid='' n rps ticks
	local waited

	[ -n "${ROUNDS_KEEP:-}" ] || setup "$dir"
	prefix="r$$-$r-$RANDOM-"
	"$HELPERS/sign-many" github "$T/in/secret" "$T/in/push.json" \
	    "$((SECS * 15000))" "$prefix" >"$T/in/sigs" ||
	    fail "sign-many failed"
	sync
	port=$(free_port)
	WEBHOOK_CONFIG=$dir/webhooks.conf MAX_PROCS=$PROCS \
	    ENDPOINTS="rounds:$prog" start_server lighttpd-fcgi "$port"
	pids=$(server_programs lighttpd-fcgi "$(basename "$prog")" | paste -sd,)
	rm -f "$T/stat"
	if command -v perf >/dev/null; then
		perf stat -x, -o "$T/stat" -p "$pids" \
		    -e syscalls:sys_enter_pread64,syscalls:sys_enter_pwrite64 \
		    -e syscalls:sys_enter_fcntl,page-faults \
		    -- sleep "$SECS" 2>/dev/null &
		stat_pid=$!
	fi
	waited=$(run_delay "$pids")
	wrk -t 2 -c 16 -d "${SECS}s" --latency -s "$ROOT/bench/post.lua" \
	    "http://127.0.0.1:$port/hooks/rounds" -- github \
	    "$T/in/push.json" "$T/in/sigs" "$prefix" - 2 >"$T/wrk"
	[ -z "$stat_pid" ] || wait "$stat_pid"
	ticks=$(cpu_ticks "$pids")
	waited=$(($(run_delay "$pids") - waited))
	stop_server lighttpd-fcgi
	n=$(awk '/requests in/ { print $1 }' "$T/wrk")
	rps=$(awk '/Requests\/sec/ { print $2 }' "$T/wrk")
	[ "${n:-0}" -gt 0 ] || fail "round $r of $prog: no request answered"
	printf '%-24s round %d: %8.0f req/s  p50 %-7s p99 %-8s %5s ledger %5s logs  cpu %3d us  runq %3d us' \
	    "$(basename "$(dirname "$prog")")/$(basename "$prog")" "$r" \
	    "$rps" "$(awk '$1 == "50%" { print $2 }' "$T/wrk")" \
	    "$(awk '$1 == "99%" { print $2 }' "$T/wrk")" \
	    "$(du -sh "$dir/state" | cut -f1)" \
	    "$(du -sh "$dir/log" | cut -f1)" \
	    "$((ticks * 1000000 / $(getconf CLK_TCK) / n))" \
	    "$((waited / 1000 / n))"
	[ ! -s "$T/stat" ] || awk -F, -v n="$n" '$3 ~ /sys_enter_|faults/ {
		sub("syscalls:sys_enter_", "", $3)
		printf "  %s %.2f", $3, $1 / n }' "$T/stat"
	echo
}

main() {
	local progs i r

	t_init rounds
	build_helpers
	mkdir -p "$T/in"
	random_secret "$T/in/secret"
	[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/in/secret"
	cp "$ROOT/bench/payloads/github-push.json" "$T/in/push.json"
	progs=("$@")
	[ ${#progs[@]} -gt 0 ] || progs=("$ROOT/build/cgi-bin/github.fcgi")
	for i in "${!progs[@]}"; do
		[ -x "${progs[$i]}" ] || fail "not a program: ${progs[$i]}"
		progs[i]=$(realpath "${progs[$i]}")
		setup "$T/p$i"
	done
	echo "$MODE GitHub; processes: $PROCS; rounds of $SECS s${ROUNDS_KEEP:+; one ledger per program throughout}"
	for r in $(seq "$N"); do
		for i in "${!progs[@]}"; do
			round "$r" "${progs[$i]}" "$T/p$i"
		done
	done
}

main "$@"
