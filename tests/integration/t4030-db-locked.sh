#!/bin/bash
# Faults: the ledger locked by another process.  With db_timeout = 500
# (ms), a sqlite3 process holding BEGIN EXCLUSIVE far longer makes a
# delivery answer 503 with Retry-After within a second or two, not hang,
# and store nothing; once the lock goes, the retry is accepted.  A lock
# released before the timeout is simply waited for: 200.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init db-locked
build_helpers
contract_config
printf '[global]\ndb_timeout = 500\n' >>"$T/webhooks.conf"
port=$(free_port)
MAX_PROCS=2 ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"
url=http://127.0.0.1:$port/hooks/github

# deliver ID: a genuine GitHub delivery; prints the status.
deliver() {
	gh_delivery "$1" "$T/$1.body"
	post "$url" "$T/$1.body" "${H[@]}"
}

# lock_hold: a sqlite3 process (as the handlers' user) that takes the
# write lock and keeps it until lock_release; returns once it holds it.
lock_hold() {
	local i
	local -a user=()

	[ "$(id -u)" != 0 ] || user=(setpriv "--reuid=$(server_user)" \
	    "--regid=$(server_group)" --clear-groups)
	rm -f "$T/lock.in" "$T/lock.out"
	mkfifo "$T/lock.in"
	"${user[@]}" sqlite3 "$T/state/webhooks.db" <"$T/lock.in" \
	    >"$T/lock.out" 2>&1 &
	LOCK_PID=$!
	exec 7>"$T/lock.in"
	echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&7
	for i in $(seq 1 50); do
		grep -q locked "$T/lock.out" && return 0
		sleep 0.1
	done
	fail "sqlite3 did not take the lock" "$(cat "$T/lock.out")"
}

# lock_release: ends the transaction (if still open) and sqlite3.
lock_release() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$LOCK_PID" || true
}

assert_eq 200 "$(deliver lock-0)" "a delivery before the lock"

lock_hold
start=$(date +%s%N)
code=$(deliver lock-1)
ms=$((($(date +%s%N) - start) / 1000000))
assert_eq 503 "$code" "locked past db_timeout: 503"
assert_match 'Retry-After: [0-9]+' "$(cat "$T/resp.headers")" \
    "the 503 carries Retry-After"
[ "$ms" -lt 3000 ] || fail "the 503 took $ms ms (db_timeout is 500 ms)"
ok "answered in $ms ms, not a hang"
assert_eq failed "$(last_log github verdict)" "the log records the failure"
assert_match 'locked|busy' "$(last_log github reason)" \
    "and says the database is locked"
code=$(deliver lock-2)
assert_eq 503 "$code" "still locked: 503 again"
lock_release
assert_eq 0 "$(rows github lock-1)" "nothing stored while locked"
assert_eq 200 "$(deliver lock-1)" "lock gone: the retry is accepted"
assert_eq 1 "$(rows github lock-1)" "stored once"

# A lock shorter than db_timeout is waited for.
lock_hold
(sleep 0.2; echo "COMMIT;" >&7) &
committer=$!
assert_eq 200 "$(deliver lock-3)" "a lock held 200 ms: waited for, 200"
wait "$committer"
lock_release
assert_eq ok "$(ledger 'PRAGMA integrity_check')" "integrity_check"
stop_server lighttpd-fcgi
t_done
