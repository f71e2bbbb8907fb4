#!/bin/bash
# Faults: the delivery log changed behind the handlers' backs, between
# requests, while two FastCGI processes hold it open:
#  - renamed away (logrotate's default): the next record goes to a new
#    file under the old name;
#  - copied and truncated (copytruncate): records go on at the start;
#  - its folder removed: the handler makes folder and file again;
#  - its folder removed where the handler may not make it again: 503,
#    nothing acknowledged, never a record written into a deleted file;
#    accepted again once the folder is back;
#  - a torn last line (a writer killed mid-record): the next record
#    starts on a fresh line and every reader skips the torn one.
# Afterwards every acknowledged delivery has its record in one of the
# files, exactly once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init logrotate
build_helpers
contract_config
# The log folder's parent belongs to the handlers' user, so that they may
# make the folder again; [github-ro] logs where they may not.
server_dir "$T/logs"
cat >>"$T/webhooks.conf" <<CONF
[github]
log_dir = $T/logs/github

[github-ro]
provider = github
secret = It's a Secret to Everybody
CONF
port=$(free_port)
MAX_PROCS=2 ENDPOINTS="github:$CGI_DIR/github.fcgi \
github-ro:$CGI_DIR/github.fcgi" start_server lighttpd-fcgi "$port"
L=$T/logs/github
acked=()

# deliver EP ID: a genuine delivery to endpoint EP, twice, so that both
# FastCGI processes meet the change; prints the statuses.
deliver() {
	local ep=$1 id=$2 code

	gh_delivery "$id" "$T/$id.body"
	code=$(post "http://127.0.0.1:$port/hooks/$ep" "$T/$id.body" "${H[@]}")
	gh_delivery "$id-b" "$T/$id.body"
	echo "$code $(post "http://127.0.0.1:$port/hooks/$ep" "$T/$id.body" \
	    "${H[@]}")"
}

# in_logs DIR ID: records of ID as accepted, in every file under DIR.
in_logs() {
	find "$1" -type f -name '*.log*' -exec cat {} + 2>/dev/null |
	    grep -a '}$' | jq -r "select(.id == \"$2\" and
	    .verdict == \"accepted\") | .id" | wc -l
}

assert_eq "200 200" "$(deliver github r0)" "before any change"
acked+=(r0 r0-b)

mv "$L/github.log" "$L/github.log.rotated"
assert_eq "200 200" "$(deliver github r1)" "log renamed away: accepted"
assert_eq 2 "$(grep -c '"id":"r1' "$L/github.log")" \
    "renamed: the new records are in a new github.log"
acked+=(r1 r1-b)

cp "$L/github.log" "$L/github.log.copy"
: >"$L/github.log"
assert_eq "200 200" "$(deliver github r2)" "log truncated: accepted"
assert_eq 2 "$(wc -l <"$L/github.log")" \
    "truncated: the records start the emptied file"
assert_eq 0 "$(head -c 1 "$L/github.log" | tr -d '{' | wc -c)" \
    "truncated: no hole of zeros before them"
acked+=(r2 r2-b)

mkdir "$T/saved"
mv "$L" "$T/saved/github"
assert_eq "200 200" "$(deliver github r3)" "folder removed: accepted"
assert_eq 2 "$(grep -c '"id":"r3' "$L/github.log")" \
    "folder removed: made again, records in it"
acked+=(r3 r3-b)

# A writer killed in the middle of a record leaves a torn last line.
printf '{"time":"2026-01-01T00:00:00.000Z","endpoint":"github","stat' \
    >>"$L/github.log"
assert_eq "200 200" "$(deliver github r4)" "after a torn line: accepted"
acked+=(r4 r4-b)
assert_eq 1 "$(grep -acv '}$' "$L/github.log")" "the torn line is still there"
jq -c . <(grep -a '}$' "$L/github.log") >/dev/null ||
	fail "a record ran into the torn line"
ok "the next record started on a fresh line"
assert_eq 2 "$(grep -a '}$' "$L/github.log" | jq -r 'select(.id |
    startswith("r4")) | .id' | wc -l)" "readers skip the torn line"
if [ -x "$BUILD_DIR/bin/webhookctl" ]; then
	"$BUILD_DIR/bin/webhookctl" -c "$WEBHOOK_CONFIG" tail -n 1000 --json \
	    github >"$T/tail.out" 2>"$T/tail.err" ||
		fail "webhookctl tail failed" "$(cat "$T/tail.err")"
	assert_eq 2 "$(jq -r 'select(.id | startswith("r4")) | .id' \
	    "$T/tail.out" | wc -l)" "webhookctl tail shows the records after it"
	assert_match 'torn' "$(cat "$T/tail.err")" \
	    "webhookctl tail skips the torn line with a warning"
fi

# Not allowed to make the folder again: refuse rather than lose.  The
# handlers' user must not own $T: run as root (they run as nobody).
if [ "$(id -u)" != 0 ]; then
	ok "github-ro: skipped, needs root (the handlers could write to \$T)"
else
assert_eq "200 200" "$(deliver github-ro q0)" "github-ro: before"
rm -rf "$T/log"
assert_eq "503 503" "$(deliver github-ro q1)" \
    "github-ro: folder gone for good: 503, not acknowledged"
assert_eq 0 "$(rows github-ro q1)" "github-ro: nothing kept in the ledger"
assert_match 'cannot reopen' "$(cat "$T"/lighttpd-fcgi/*.log)" \
    "github-ro: the error log says why"
server_dir "$T/log"
assert_eq "200 200" "$(deliver github-ro q1)" "github-ro: folder back: accepted"
assert_eq 2 "$(grep -c '"id":"q1' "$T/log/github-ro.log")" \
    "github-ro: its records are in the new folder"
fi

# Every acknowledged record, somewhere, exactly once.
for id in "${acked[@]}"; do
	[ "$(in_logs "$T/logs" "$id")$(in_logs "$T/saved" "$id")" = 10 ] ||
	[ "$(in_logs "$T/logs" "$id")$(in_logs "$T/saved" "$id")" = 01 ] ||
		fail "record of $id: $(in_logs "$T/logs" "$id") in logs," \
		    "$(in_logs "$T/saved" "$id") in the removed folder"
done
ok "all ${#acked[@]} acknowledged deliveries have exactly one record"
stop_server lighttpd-fcgi
t_done
