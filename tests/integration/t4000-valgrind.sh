#!/bin/bash
# Memory: three handlers (github, stripe, slack) each run in FastCGI mode
# under valgrind memcheck, one process for many requests, fed a mix of
# good and bad requests straight over their socket: genuine, duplicate,
# forged, malformed, unsigned, oversized, header floods, NUL bytes,
# invalid UTF-8, deep JSON, handshakes, unknown endpoints.  Then SIGTERM:
# zero errors and zero leaks (definite, indirect, possible).  Without
# valgrind, a fourth process shows no growth: its resident size after
# VG_GROWTH_N more requests stays within 512 KiB of what it was after a
# warm-up.  The ledger is left out of that run (SQLite's page cache
# grows with the database up to its fixed cap) and is covered by the
# leak check instead.
#
# Valgrind cannot run a process under a seccomp filter, so the sandbox
# skips its filter there (common/sandbox.c); every other test has it on.
# Skipped in the ASan run: ASan and valgrind do not mix.
# Knobs: VG_ROUNDS (default 12 rounds of ~14 requests per handler),
# VG_GROWTH_N (default 1200).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init valgrind
if [ -n "${WEBHOOK_SAN:-}" ]; then
	ok "skipped under $WEBHOOK_SAN: valgrind runs the plain build only"
	t_done
	exit 0
fi
build_helpers
contract_config
ROUNDS=${VG_ROUNDS:-12}
GROWTH_N=${VG_GROWTH_N:-1200}

# Nothing is suppressed: libfcgi, OpenSSL, SQLite and json-c run clean.
vg=("$(command -v valgrind)" --quiet --error-exitcode=99 --leak-check=full
    --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible
    --track-fds=no "--log-file=$T/vg-logs/vg.%p.log")
server_dir "$T/vg-logs"
for p in github stripe slack; do
	handler_start "vg-$p" "$p" "$CGI_DIR/$p.fcgi" "${vg[@]}"
done

# A fixed set of hostile variants, sent to every handler each round.
head -c 3000 /dev/zero | tr '\0' '[' >"$T/deep.json"
printf '{"a":"\377\376 bad utf-8"}' >"$T/bad-utf8.json"
head -c 70000 /dev/urandom | base64 -w 0 >"$T/flood.params"
: >"$T/many.params"
for i in $(seq 1 300); do
	echo "HTTP_X_FILLER_$i=v$i" >>"$T/many.params"
done
printf '{"type":"url_verification","challenge":"c-%s"}' "$$" >"$T/hs.json"

# send P KIND ID: one round of requests to the handler of provider P.
send() {
	local p=$1 kind=$2 id=$3 b=$T/$2.body s codes=""

	s=$(secret_of "$p")
	make_body "$p" "$id" "$b"
	sign "$p" "$b" "$s" "$id"
	h_params
	codes+=" $(fcgi_post "$kind" "$p" "$b" "${P[@]}")"	# genuine
	codes+=" $(fcgi_post "$kind" "$p" "$b" "${P[@]}")"	# duplicate
	sign "$p" "$b" "wrong-secret" "$id"
	h_params
	codes+=" $(fcgi_post "$kind" "$p" "$b" "${P[@]}")"	# forged
	codes+=" $(fcgi_post "$kind" "$p" "$b" "${P[@]/=*/=x}")" # malformed
	codes+=" $(fcgi_post "$kind" "$p" "$b")"		# unsigned
	codes+=" $(fcgi_post "$kind" "$p" "$b" CONTENT_LENGTH=99999999)"
	codes+=" $(fcgi_post "$kind" "$p" "$b" -c)"		# no length
	codes+=" $(fcgi_post "$kind" "$p" "$b" CONTENT_LENGTH=12x)"
	codes+=" $(fcgi_post "$kind" "$p" "$b" -p "$T/many.params")"
	codes+=" $(fcgi_post "$kind" "$p" "$b" \
	    "HTTP_X_BIG=$(cut -c1-9000 "$T/flood.params")")"
	codes+=" $(fcgi_post "$kind" "$p" "$b" 'HTTP_X_NUL=a\x00b\r\nc')"
	codes+=" $(fcgi_post "$kind" "../../etc" "$b" "${P[@]}")"
	sign "$p" "$T/bad-utf8.json" "$s" "$id-u"
	h_params
	codes+=" $(fcgi_post "$kind" "$p" "$T/bad-utf8.json" "${P[@]}")"
	sign "$p" "$T/deep.json" "$s" "$id-d"
	h_params
	codes+=" $(fcgi_post "$kind" "$p" "$T/deep.json" "${P[@]}")"
	if [ "$p" = slack ]; then
		sign slack "$T/hs.json" "$s" "$id-h"
		h_params
		codes+=" $(fcgi_post "$kind" "$p" "$T/hs.json" "${P[@]}")"
	fi
	echo "$codes"
}

for r in $(seq 1 "$ROUNDS"); do
	for p in github stripe slack; do
		send "$p" "vg-$p" "vg$r-$$" >>"$T/codes.$p"
	done
done
for p in github stripe slack; do
	# 000 would mean the process died or hung on a request.
	if grep -q '000' "$T/codes.$p"; then
		fail "$p: a request under valgrind got no answer" \
		    "$(sort "$T/codes.$p" | uniq -c)" "$(cat "$T"/vg-logs/*)"
	fi
	assert_match '^ 200 200 401 401 401 413 411 400 431 431 401 503 ' \
	    "$(head -n 1 "$T/codes.$p")" "$p: every variant gets its status"
	n=$(wc -w <"$T/codes.$p")
	ok "$p: $n requests in one process under valgrind"
	assert_eq "$ROUNDS" "$(ledger "SELECT count(*) FROM deliveries
	    WHERE endpoint = '$p' AND delivery_id LIKE '%vg%-$$'")" \
	    "$p: one ledger row per genuine delivery"
done
assert_match '"challenge":"c-' "$(cat "$T/fresp")" \
    "slack: the handshake answer holds the challenge"

for p in github stripe slack; do
	pid=$(handler_pid "vg-$p")
	stop_server "vg-$p"
	log=$T/vg-logs/vg.$pid.log
	[ -e "$log" ] || fail "$p: no valgrind log" "$(ls "$T")"
	# --quiet: the log holds only errors and leak reports.
	if [ -s "$log" ]; then
		fail "$p: valgrind reports" "$(head -n 60 "$log")"
	fi
	ok "$p: valgrind: 0 errors, 0 leaks after $(wc -w <"$T/codes.$p") requests"
done

# Growth: every path but a ledger insert: handshakes, forgeries, header
# floods, 1 MiB bodies.
handler_start grow slack "$CGI_DIR/slack.fcgi"
pid=$(handler_pid grow)
head -c $((1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T/big.body"
sign slack "$T/hs.json" "$(secret_of slack)" g
h_params
burst() {
	local i

	for i in $(seq 1 "$1"); do
		fcgi_post grow slack "$T/hs.json" "${P[@]}"
		fcgi_post grow slack "$T/bad-utf8.json" "${P[@]}"
		fcgi_post grow slack "$T/hs.json" -p "$T/many.params"
		[ $((i % 50)) != 0 ] || fcgi_post grow slack "$T/big.body"
	done >>"$T/grow.codes"
}
rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"
}
burst 200
before=$(rss)
burst "$((GROWTH_N / 3))"
after=$(rss)
[ -z "$(grep -v '^200$\|^401$\|^431$\|^413$' "$T/grow.codes")" ] ||
	fail "growth run: unexpected statuses" \
	    "$(sort "$T/grow.codes" | uniq -c)"
echo "# resident size after warm-up ${before} kB, after $(wc -l \
    <"$T/grow.codes") requests ${after} kB"
[ "$((after - before))" -le 512 ] ||
	fail "the FastCGI process grew by $((after - before)) kB"
ok "no growth: ${before} kB -> ${after} kB over $(wc -l <"$T/grow.codes") requests"
stop_server grow
t_done
