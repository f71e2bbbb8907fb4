#!/bin/bash
# Faults: the disk fills up.  state_dir and log_dir live on a 4 MiB tmpfs
# mounted for this test (root only); it is filled to the last page while
# lighttpd serves, deliveries are answered 503 with Retry-After and
# nothing is recorded as accepted; once the filler is removed the same
# deliveries (the provider's retries) are accepted at once, each exactly
# once, and every log line is whole.
#
# Second part, which needs no mount: RLIMIT_FSIZE on a handler run as
# CGI (ulimit -f, SIGXFSZ ignored as a web server would), so that every
# write past the limit fails with EFBIG: 503, nothing accepted, and 200
# again without the limit.  When mounting is not permitted, only this
# part runs and the first says so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init disk-full
build_helpers
contract_config
DISK=$T/disk
mkdir "$DISK"
mounted=0
# Servers first (they hold files on the tmpfs), then the mount, then $T.
disk_cleanup() {
	local f

	set +e
	for f in "$T"/.servers/*.pids; do
		[ -e "$f" ] && stop_server "$(basename "$f" .pids)"
	done
	[ "$mounted" = 0 ] || disk_umount
}

# disk_umount: keeps the logs (for t4099's search), then unmounts.
disk_umount() {
	cp -r "$DISK/log" "$T/disk-log" 2>/dev/null
	umount "$DISK" && mounted=0
}
trap 'rc=$?; disk_cleanup; (exit $rc); t_cleanup' EXIT
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m,mode=0755 tmpfs "$DISK" \
    2>/dev/null; then
	mounted=1
fi

# deliver ID [PAD]: a genuine GitHub delivery through lighttpd.
deliver() {
	make_body github "$1" "$T/$1.body" "${2:-}"
	sign github "$T/$1.body" "$(secret_of github)" "$1"
	post "http://127.0.0.1:$port/hooks/github" "$T/$1.body" "${H[@]}"
}

# disk_rows ID: ledger rows of a GitHub delivery on the tmpfs.
disk_rows() {
	sqlite3 -cmd '.timeout 5000' "$DISK/state/webhooks.db" "SELECT count(*)
	    FROM deliveries WHERE endpoint = 'github' AND delivery_id = '$1'"
}

# accepted_lines ID: log records that say ID was accepted.
accepted_lines() {
	cat "$1"/*.log* 2>/dev/null | grep -a "\"id\":\"$2\"" |
	    grep -ac '"verdict":"accepted"' || true
}

if [ "$mounted" = 1 ]; then
	server_dir "$DISK/log" "$DISK/state"
	cat >>"$T/webhooks.conf" <<CONF
[global]
log_dir = $DISK/log
state_dir = $DISK/state
CONF
	port=$(free_port)
	MAX_PROCS=2 ENDPOINTS="github:$CGI_DIR/github.fcgi" \
	    start_server lighttpd-fcgi "$port"
	assert_eq 200 "$(deliver full-0)" "tmpfs: a delivery before the disk fills"
	# Fill every page; tmpfs keeps nothing back for root.
	dd if=/dev/zero of="$DISK/filler" bs=4k 2>/dev/null || true
	assert_eq 0 "$(df --output=avail "$DISK" | tail -n 1 | tr -d ' ')" \
	    "tmpfs: the disk is full"
	for i in 1 2 3 4 5; do
		code=$(deliver "full-$i" $((i * 30000)))
		assert_eq 503 "$code" "tmpfs: delivery $i on a full disk answers 503"
		assert_match 'Retry-After: [0-9]+' "$(cat "$T/resp.headers")" \
		    "tmpfs: 503 $i carries Retry-After"
		assert_eq 0 "$(disk_rows "full-$i")" \
		    "tmpfs: delivery $i is not in the ledger"
	done
	rm -f "$DISK/filler"
	for i in 1 2 3 4 5; do
		assert_eq 200 "$(deliver "full-$i" $((i * 30000)))" \
		    "tmpfs: space is back: the retry of $i is accepted"
		assert_eq 1 "$(disk_rows "full-$i")" "tmpfs: $i stored once"
		assert_eq 1 "$(accepted_lines "$DISK/log" "full-$i")" \
		    "tmpfs: $i logged as accepted exactly once"
	done
	cat "$DISK"/log/github.log* | grep -a '}$' | jq -c . >/dev/null ||
		fail "tmpfs: a log line is not whole JSON"
	assert_eq 0 "$(cat "$DISK"/log/github.log* | grep -acv '}$' || true)" \
	    "tmpfs: no partial record was left in the log"
	assert_eq ok "$(sqlite3 "$DISK/state/webhooks.db" \
	    'PRAGMA integrity_check')" "tmpfs: the ledger passes integrity_check"
	assert_match 'cannot write the delivery log|disk is full|No space' \
	    "$(cat "$T"/lighttpd-fcgi/*.log)" \
	    "tmpfs: the server error log says why"
	stop_server lighttpd-fcgi
	disk_umount
else
	ok "tmpfs part skipped: mounting a tmpfs is not permitted here"
fi

# RLIMIT_FSIZE: every file the CGI handler writes is already past 8 KiB.
sed -i "s|^log_dir = $DISK/log|log_dir = $T/log|;
    s|^state_dir = $DISK/state|state_dir = $T/state|" "$T/webhooks.conf"
head -c 20000 /dev/zero | tr '\0' 'x' >"$T/log/pad"
gh_delivery fsize-0 "$T/fsize-0.body"
h_params
assert_eq 200 "$(cgi_run github "$CGI_DIR/github.fcgi" "$T/fsize-0.body" \
    CONTENT_LENGTH="$(stat -c %s "$T/fsize-0.body")" "${P[@]}")" \
    "fsize: a CGI delivery without a limit"
cat "$T/log/pad" >>"$T/log/github.log"
gh_delivery fsize-1 "$T/fsize-1.body"
make_body github fsize-1 "$T/fsize-1.body" 50000
sign github "$T/fsize-1.body" "$(secret_of github)" fsize-1
h_params
# As a web server would, the wrapper leaves SIGXFSZ ignored: writes fail.
CGI_WRAP=(bash -c 'trap "" XFSZ; ulimit -f 8; exec "$0"')
code=$(cgi_run github "$CGI_DIR/github.fcgi" "$T/fsize-1.body" \
    CONTENT_LENGTH="$(stat -c %s "$T/fsize-1.body")" "${P[@]}")
CGI_WRAP=()
assert_eq 503 "$code" "fsize: writes past RLIMIT_FSIZE answer 503"
assert_match 'Retry-After' "$(cat "$T/cresp")" "fsize: with Retry-After"
assert_eq 0 "$(rows github fsize-1)" "fsize: nothing in the ledger"
assert_eq 0 "$(accepted_lines "$T/log" fsize-1)" "fsize: nothing logged as accepted"
code=$(cgi_run github "$CGI_DIR/github.fcgi" "$T/fsize-1.body" \
    CONTENT_LENGTH="$(stat -c %s "$T/fsize-1.body")" "${P[@]}")
assert_eq 200 "$code" "fsize: without the limit the retry is accepted"
assert_eq 1 "$(rows github fsize-1)" "fsize: stored once"
t_done
