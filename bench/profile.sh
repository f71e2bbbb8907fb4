#!/usr/bin/env bash
# bench/profile.sh: what one request costs, measured so that a shared
# machine does not change the figure.  One GitHub handler process behind
# lighttpd (max-procs 1) serves new signed deliveries, one at a time on a
# keep-alive connection, under
#   callgrind  instructions per request (user space only; OpenSSL's
#              SHA-NI code is not used under valgrind, so SHA-256 shows
#              several times its real weight), and
#   strace     system calls per request, by name;
# each from the difference between a run of PROFILE_WARM requests and
# one of PROFILE_WARM + PROFILE_N, so that start-up cancels out.
#   perf       (PROFILE_TOOLS=perf) cpu-clock samples of the whole
#              machine while wrk loads PROFILE_PROCS handlers as
#              bench.sh does, reported by program and by function,
#              and the handlers' brk calls and page faults per request.
#
#   bench/profile.sh [relaxed|durable]   (relaxed by default)
#
# Knobs: PROFILE_N (2000), PROFILE_WARM (200), PROFILE_TOOLS
# ("callgrind strace"), PROFILE_SECONDS (8, perf), PROFILE_PROCS (4,
# perf), PROFILE_OUT (a folder that keeps the tools' output and the
# annotated profiles; by default they go with the test folder).

. "$(dirname "$0")/../tests/lib.sh"

MODE=${1:-relaxed}
N=${PROFILE_N:-2000}
WARM=${PROFILE_WARM:-200}
TOOLS=${PROFILE_TOOLS:-callgrind strace}
CGI=$ROOT/build/cgi-bin

# drive PORT ENDPOINT PREFIX COUNT: COUNT new deliveries, each a new id
# in body and header with its signature, over one connection; prints
# how many got a 200.
drive() {
	python3 - "$1" "$2" "$3" "$4" "$T/in/secret" \
	    "$ROOT/bench/payloads/github-push.json" <<'EOF'
import hashlib, hmac, http.client, sys
port, ep, prefix, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
key = open(sys.argv[5], "rb").read().strip()
tmpl = open(sys.argv[6], "rb").read()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=60)
ok = 0
for i in range(n):
    did = "%s%d" % (prefix, i)
    body = tmpl.replace(b"BENCHID", did.encode())
    sig = hmac.new(key, body, hashlib.sha256).hexdigest()
    c.request("POST", "/hooks/" + ep, body, {
        "Content-Type": "application/json", "X-GitHub-Event": "push",
        "X-GitHub-Delivery": did, "X-Hub-Signature-256": "sha256=" + sig})
    r = c.getresponse()
    r.read()
    ok += r.status == 200
print(ok)
EOF
}

# serve TOOL COUNT: a server whose one handler runs under TOOL takes
# COUNT requests and stops; the tool's output goes to $OUT/TOOL.COUNT.
serve() {
	local tool=$1 count=$2 port wrap=$T/wrap-$1 out=$OUT/$1.$2 ok

	case $tool in
	callgrind)
		printf '#!/bin/sh\nexec valgrind --tool=callgrind -q %s %s\n' \
		    "--callgrind-out-file=$out" "$CGI/github.fcgi" >"$wrap" ;;
	strace)
		printf '#!/bin/sh\nexec strace -f -qq -o %s %s\n' "$out" \
		    "$CGI/github.fcgi" >"$wrap" ;;
	esac
	chmod 755 "$wrap"
	port=$(free_port)
	MAX_PROCS=1 ENDPOINTS="prof:$wrap" start_server lighttpd-fcgi "$port"
	ok=$(drive "$port" prof "$tool-$count-$$-" "$count")
	stop_server lighttpd-fcgi
	[ "$ok" = "$count" ] || fail "$tool: $ok of $count requests got 200"
}

# callgrind_total FILE: the instructions counted in a callgrind output.
callgrind_total() {
	awk '/^summary:|^totals:/ { print $2; exit }' "$1"
}

# syscalls FILE: "name count" per system call in a raw strace log.
syscalls() {
	awk '$2 !~ /^(\+\+\+|---|<\.\.\.)/ { sub(/\(.*/, "", $2); n[$2]++ }
	    END { for (s in n) print s, n[s] }' "$1" | sort
}

# profile TOOL: the per-request figure of TOOL, from the difference of
# a run of WARM requests and one of WARM + N (start-up and warm-up cancel
# out), into $OUT/TOOL.figure.
profile() {
	local tool=$1 a b

	serve "$tool" "$WARM"
	serve "$tool" "$((WARM + N))"
	a=$OUT/$tool.$WARM
	b=$OUT/$tool.$((WARM + N))
	case $tool in
	callgrind)
		echo "$(callgrind_total "$a") $(callgrind_total "$b")" |
		    awk -v n="$N" '{ printf "%.0f instructions per request\n",
		    ($2 - $1) / n }' >"$OUT/$tool.figure"
		callgrind_annotate --inclusive=yes "$b" 2>/dev/null |
		    sed -n '1,80p' >"$OUT/callgrind-inclusive.txt"
		callgrind_annotate "$b" 2>/dev/null |
		    sed -n '1,80p' >"$OUT/callgrind-self.txt" ;;
	strace)
		join -a 2 -e 0 -o 0,1.2,2.2 <(syscalls "$a") <(syscalls "$b") |
		    awk -v n="$N" '{ d = ($3 - $2) / n; t += d
		    if (d >= 0.005) printf "%s %.2f, ", $1, d }
		    END { printf "total %.2f system calls per request\n", t }' \
		    >"$OUT/$tool.figure" ;;
	esac
}

# perf_load: cpu-clock samples of the whole machine (hardware counters
# are not there in this VM) while wrk loads PROCS handlers the way
# bench.sh does; the report by program and by function goes to
# $OUT/perf-*.txt.  Other users of the machine show up under their own
# names.
perf_load() {
	local port secs=${PROFILE_SECONDS:-8} pids stat_pid record_pid

	port=$(free_port)
	cp "$ROOT/bench/payloads/github-push.json" "$T/in/push.json"
	"$HELPERS/sign-many" github "$T/in/secret" "$T/in/push.json" \
	    "$((secs * 30000))" "p$$-" >"$T/in/sigs"
	MAX_PROCS=${PROFILE_PROCS:-4} ENDPOINTS="prof:$CGI/github.fcgi" \
	    start_server lighttpd-fcgi "$port"
	perf record -q -F 999 -e cpu-clock -a -g -o "$OUT/perf.data" \
	    -- sleep "$((secs + 1))" 2>/dev/null &
	record_pid=$!
	# The handlers' heap growing and shrinking (each brk that gives
	# memory back flushes the TLB of every CPU the process runs on) and
	# their page faults, counted per request below.
	pids=$(server_programs lighttpd-fcgi github.fcgi | paste -sd,)
	perf stat -x, -e syscalls:sys_enter_brk,page-faults -p "$pids" \
	    -o "$OUT/perf-stat.txt" -- sleep "$secs" 2>/dev/null &
	stat_pid=$!
	wrk -t 2 -c 16 -d "${secs}s" --latency -s "$ROOT/bench/post.lua" \
	    "http://127.0.0.1:$port/hooks/prof" -- github "$T/in/push.json" \
	    "$T/in/sigs" "p$$-" - 2 0 >"$OUT/wrk.txt"
	wait "$stat_pid" "$record_pid"
	stop_server lighttpd-fcgi
	perf report -i "$OUT/perf.data" --no-children --sort comm -q \
	    2>/dev/null | head -n 20 >"$OUT/perf-comm.txt"
	perf report -i "$OUT/perf.data" --no-children --comm github.fcgi \
	    --sort dso,sym -q -g none 2>/dev/null | head -n 60 \
	    >"$OUT/perf-handler.txt"
	perf report -i "$OUT/perf.data" --no-children --comm lighttpd \
	    --sort dso,sym -q -g none 2>/dev/null | head -n 30 \
	    >"$OUT/perf-lighttpd.txt"
	awk -F, 'FNR == NR { if ($0 ~ /requests in/) { split($0, w, " ")
		n = w[1] } if ($0 ~ /Requests\/sec/) { split($0, w, " ")
		rps = w[2] } next }
	    $3 ~ /brk/ { brk = $1 } $3 ~ /page-faults/ { pf = $1 }
	    END { printf "%s req/s (rough: the machine is shared); handlers," \
		" per request: brk %.3f, page faults %.2f\n", rps,
		brk / n, pf / n }' "$OUT/wrk.txt" "$OUT/perf-stat.txt" \
	    >"$OUT/perf.figure"
}

main() {
	t_init profile
	server_dir "$T/in"
	OUT=${PROFILE_OUT:-$T/out}
	server_dir "$OUT"
	random_secret "$T/in/secret"
	[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/in/secret"
	github_config "$T" prof "$MODE"
	export WEBHOOK_CONFIG=$T/webhooks.conf
	for tool in $TOOLS; do
		if [ "$tool" = perf ]; then
			build_helpers
			perf_load
		else
			profile "$tool"
		fi
		echo "$MODE, $tool: $(cat "$OUT/$tool.figure")"
	done
}

main "$@"
