#!/usr/bin/env bash
# bench/cgi-cost.sh: what one CGI request costs the process that serves
# it, counted so that a busy machine does not change the figures.  Each
# program runs as plain CGI (the CGI variables in its environment, the
# body on stdin; no web server), one new signed durable GitHub delivery
# (7.3 KiB) at a time, as the CGI targets of bench.sh run it:
#   page faults   perf stat's software counter, median of CGI_COST_N
#                 requests (a fault costs 13-17 us of CPU on the PVM
#                 guest the benchmarks ran on: the largest cost left);
#   system calls  strace -f -c of one request, execve included;
#   instructions  callgrind total of one request (the seccomp filter is
#                 skipped under valgrind, see sandbox.c).
# Programs: the CGI floor (fcgi-echo), build/cgi-bin/github.fcgi and,
# when built (bench.sh builds it), build/static/cgi-bin/github.fcgi
# (STATIC_LIBS=1).  Knob: CGI_COST_N (20).

. "$(dirname "$0")/../tests/lib.sh"

N=${CGI_COST_N:-20}

t_init cgi-cost
mkdir -p "$T/in"
random_secret "$T/in/secret"
test_config "$T/webhooks.conf"
printf 'secret_file = %s\n\n[github-cgi]\nprovider = github\n' \
    "$T/in/secret" >>"$T/webhooks.conf"
BODY=$ROOT/bench/payloads/github-push.json
# The signature, with the secret read from its file (never an argument).
SIG=$(python3 -c 'import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read().strip()
print(hmac.new(key, open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' \
    "$T/in/secret" "$BODY") || fail "cannot sign"

# cgi ID PROGRAM [WRAPPER...]: one request, the answer to stdout.
cgi() {
	local id=$1 prog=$2

	shift 2
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD=POST REQUEST_URI=/hooks/github-cgi \
	    CONTENT_LENGTH="$(stat -c %s "$BODY")" \
	    CONTENT_TYPE=application/json REMOTE_ADDR=127.0.0.1 \
	    SERVER_PROTOCOL=HTTP/1.1 HTTP_X_GITHUB_EVENT=push \
	    HTTP_X_GITHUB_DELIVERY="$id" \
	    HTTP_X_HUB_SIGNATURE_256="sha256=$SIG" \
	    WEBHOOK_ENDPOINT=github-cgi WEBHOOK_CONFIG="$T/webhooks.conf" \
	    "$@" "$prog" <"$BODY"
}

# cost NAME PROGRAM: one line of figures.
cost() {
	local name=$1 prog=$2 i faults calls ir

	for i in 1 2 3; do
		cgi "w$name$i" "$prog" >/dev/null
	done
	cgi "c$name" "$prog" | grep -q '^Status: 200' ||
	    fail "$name: no 200"
	faults=$(for i in $(seq "$N"); do
		cgi "p$name$i" "$prog" perf stat -x, -e page-faults \
		    -o "$T/perf" -- >/dev/null
		awk -F, '$3 == "page-faults" { print $1 }' "$T/perf"
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	cgi "s$name" "$prog" strace -f -c -o "$T/strace" >/dev/null
	calls=$(awk '$NF == "total" { print $(NF - 2) }' "$T/strace")
	cgi "v$name" "$prog" valgrind --tool=callgrind \
	    --callgrind-out-file="$T/callgrind" >/dev/null 2>"$T/vg"
	ir=$(sed -n 's/.*refs: *//p' "$T/vg")
	printf '%-22s %12s %12s %14s\n' "$name" "$faults" "$calls" "$ir"
}

printf '%-22s %12s %12s %14s\n' program "page faults" "syscalls" \
    instructions
cost floor-cgi "$HELPERS/fcgi-echo"
cost github-cgi "$ROOT/build/cgi-bin/github.fcgi"
[ ! -x "$ROOT/build/static/cgi-bin/github.fcgi" ] ||
    cost github-cgi-static "$ROOT/build/static/cgi-bin/github.fcgi"
