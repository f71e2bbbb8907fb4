#!/bin/bash
# Hostile input catalogue, straight to a handler: what no web server
# passes on.  A GitHub handler runs in FastCGI mode (spawn-fcgi, one
# process for everything below) and is fed by tests/helpers/fcgi-client;
# the same binary then runs as plain CGI with an environment set by hand.
# Each case gets a clear status and a log record (or, for an endpoint
# name that is not one, a line in the error log), and the FastCGI process
# is the same one at the end: no crash, no hang, no acceptance.
#
# NUL: FastCGI carries it, but libfcgi hands over C strings, so a value
# ends at its first NUL before the handler sees it.  Web servers refuse
# NUL in headers outright (t4060).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init hostile-direct
build_helpers
contract_config
GH=$CGI_DIR/github.fcgi
handler_start fc github "$GH"
pid=$(handler_pid fc)

b=$T/body
make_body github d1 "$b"
sign github "$b" "$(secret_of github)" d1
h_params
good=("${P[@]}")
len=$(stat -c %s "$b")
sig=${good[1]#*=}

# with NAME=VALUE: the genuine variables in Q, with NAME's value (a
# fcgi-client value: \xHH is a byte) replaced, or added.
with() {
	local v found=0

	Q=()
	for v in "${good[@]}"; do
		if [ "${v%%=*}" = "${1%%=*}" ]; then
			Q+=("$1")
			found=1
		else
			Q+=("$v")
		fi
	done
	[ "$found" = 1 ] || Q+=("$1")
}

# send WHAT CODE REASON [CLIENT-ARGS...]: one request over FastCGI; the
# status and the log record must say CODE and match REASON.
send() {
	local what=$1 want=$2 why=$3

	shift 3
	code=$(fcgi_post fc github "${BODY:-$b}" "$@")
	expect_reject github "$want" "$why" "fastcgi: $what"
}

# --- headers -----------------------------------------------------------
send "signature header twice" 401 'sent more than once' \
    "${good[@]}" "HTTP_X_HUB_SIGNATURE_256=$sig"
with "HTTP_X_HUB_SIGNATURE_256=\x00$sig"
send "NUL before the signature" 401 'malformed signature' "${Q[@]}"
with 'HTTP_X_GITHUB_DELIVERY=d1\x0d\x0aX-Evil: 1'
send "CR LF in the delivery id" 400 'delivery id' "${Q[@]}"
with "HTTP_X_GITHUB_DELIVERY=d2"
code=$(fcgi_post fc github "$b" "${Q[@]}" \
    'HTTP_X_NOTE=line one\x0d\x0aX-Injected: yes\x00after the NUL' \
    'HTTP_X_LATIN1=caf\xe9')
assert_eq 200 "$code" "fastcgi: CR, LF, NUL and Latin-1 in other headers: accepted"
assert_eq 1 "$(grep -c '"id":"d2"' "$T/log/github.log")" \
    "fastcgi: in one record"
assert_eq $'line one\r\nX-Injected: yes' \
    "$(last_log github 'headers["X-Note"]')" \
    "fastcgi: CR LF kept, escaped, and the value cut at the NUL"
assert_eq $'caf\xef\xbf\xbd' "$(last_log github 'headers["X-Latin1"]')" \
    "fastcgi: a byte that is not UTF-8 logged as U+FFFD"
assert_eq "" "$(sed -n '/^X-Injected/p' "$T/fresp")" \
    "fastcgi: nothing injected into the answer's headers"
# A URI that is not UTF-8 (nginx passes raw bytes on) once made the
# record impossible to write, and every delivery was refused with 503.
# A body of its own: d2's signed bytes under a new id would be a replay.
make_body github d3 "$T/body.d3"
sign github "$T/body.d3" "$(secret_of github)" d3
h_params
code=$(fcgi_post fc github "$T/body.d3" "${P[@]}" \
    'REQUEST_URI=/hooks/github?x=\xff\xfe')
assert_eq 200 "$code" "fastcgi: a URI that is not UTF-8: accepted"
assert_eq $'/hooks/github?x=\xef\xbf\xbd\xef\xbf\xbd' "$(last_log github uri)" \
    "fastcgi: and logged, with U+FFFD for the bad bytes"
: >"$T/many"
for i in $(seq 1 5000); do
	echo "HTTP_X_FILLER_$i=v" >>"$T/many"
done
send "5,000 headers" 431 'too many headers' "${good[@]}" -p "$T/many"
{ printf 'HTTP_X_BIG='; head -c $((1024 * 1024)) /dev/zero | tr '\0' a;
    echo; } >"$T/big"
send "a header of 1 MiB" 431 'header value is too large' "${good[@]}" \
    -p "$T/big"
sed 's/^HTTP_X_BIG=/HTTP_X_HUB_SIGNATURE_256=sha256=/' "$T/big" >"$T/bigsig"
with HTTP_X_HUB_SIGNATURE_256=
send "a signature of 1 MiB" 431 'header value is too large' "${Q[@]}" \
    -p "$T/bigsig"

# --- Content-Length ------------------------------------------------------
send "Content-Length smaller than the body" 401 'mismatch' \
    "${good[@]}" CONTENT_LENGTH=$((len - 3))
send "Content-Length larger than the body" 400 'shorter than Content-Length' \
    "${good[@]}" CONTENT_LENGTH=$((len + 100))
send "no Content-Length" 411 'no Content-Length' -c "${good[@]}"
for cl in 12ab -5 +5 ' 5' 99999999999999999999 0x10 ''; do
	send "Content-Length '$cl'" 400 'not a number' "${good[@]}" \
	    "CONTENT_LENGTH=$cl"
done
head -c $((100 * 1024 * 1024)) /dev/zero >"$T/huge"
BODY=$T/huge send "a 100 MiB body" 413 'exceeds max_body' "${good[@]}"
rm -f "$T/huge"

# --- endpoint names from the environment ---------------------------------
for name in ../../etc/passwd .. .hidden 'a/b' "$(printf 'x%.0s' $(seq 1 80))"; do
	code=$(fcgi_post fc "$name" "$b" "${good[@]}")
	assert_eq 503 "$code" "fastcgi: endpoint '${name:0:20}': 503"
	assert_match "bad endpoint name" "$(tail -n 1 "$T/fc/stdout.log")" \
	    "fastcgi: endpoint '${name:0:20}': the error log says why"
done
[ ! -e "$T/etc" ] && [ ! -e "$T/log/../../etc" ] ||
	fail "a file was made outside the log folder"
ok "no file made outside log_dir"

assert_eq "$pid" "$(handler_pid fc)" "fastcgi: still the same process"
pid_alive "$pid" || fail "fastcgi: the handler died"
ok "fastcgi: the process survived all of it"
stop_server fc

# --- CGI: the body on stdin, the variables in the environment ------------
cgi() {
	local what=$1 want=$2 why=$3

	shift 3
	code=$(cgi_run github "$GH" "${BODY:-$b}" "$@")
	expect_reject github "$want" "$why" "cgi: $what"
}
b=$T/body.c1
make_body github c1 "$b"
len=$(stat -c %s "$b")
sign github "$b" "$(secret_of github)" c1
h_params
good=("${P[@]}")
code=$(cgi_run github "$GH" "$b" "${good[@]}" CONTENT_LENGTH="$len")
assert_eq 200 "$code" "cgi: a genuine delivery"
cgi "Content-Length smaller than the body" 401 'mismatch' \
    "${good[@]}" CONTENT_LENGTH=$((len - 3))
cgi "Content-Length larger than the body" 400 'shorter than Content-Length' \
    "${good[@]}" CONTENT_LENGTH=$((len + 100))
cgi "no Content-Length" 411 'no Content-Length' "${good[@]}"
cgi "Content-Length not a number" 400 'not a number' "${good[@]}" \
    CONTENT_LENGTH=1e3
BODY=/dev/null cgi "100 MiB announced, nothing sent" 413 'exceeds max_body' \
    "${good[@]}" CONTENT_LENGTH=104857600
code=$(cgi_run ../../x "$GH" "$b" "${good[@]}" CONTENT_LENGTH="$len")
assert_eq 503 "$code" "cgi: endpoint '../../x': 503"
assert_match "bad endpoint name '../../x'" "$(cat "$T/cgi.err")" \
    "cgi: the error log says why"
jq -c . "$T/log/github.log" >/dev/null || fail "a log line is not JSON"
ok "every log line is whole JSON"
assert_eq "c1,d2,d3" "$(ledger "SELECT group_concat(delivery_id) FROM
    (SELECT delivery_id FROM deliveries ORDER BY delivery_id)")" \
    "only the three genuine deliveries are stored"
t_done
