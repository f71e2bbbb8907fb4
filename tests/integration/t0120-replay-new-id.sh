#!/bin/bash
# No replay is queued twice (issue 12).  GitHub signs neither the
# delivery id nor a time, so a captured request resent under a new
# X-GitHub-Delivery verifies: it must be answered 200 duplicate, stay
# out of the queue, and its log record must name the first delivery.
# Zendesk signs its timestamp but not its invocation id: the same holds
# within the (default) window, and outside it the replay is stale.
# Behind lighttpd (FastCGI); signatures from the openssl CLI.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init replay
contract_config
# Zendesk without the contract's explicit tolerance: the default holds.
sed -i '/^\[zendesk\]/,/^\[/{/^tolerance/d}' "$T/webhooks.conf"
port=$(free_port)
MAX_PROCS=1 ENDPOINTS="github:$CGI_DIR/github.fcgi \
zendesk:$CGI_DIR/zendesk.fcgi" start_server lighttpd-fcgi "$port"
base=http://127.0.0.1:$port/hooks

# replay P FIRST-ID NEW-ID: the signed request of FIRST-ID, sent again
# with only its id header changed, is a duplicate naming FIRST-ID.
replay() {
	local p=$1 id=$2 new=$3 b=$T/$1.body

	make_body "$p" "$id" "$b"
	sign "$p" "$b" "$(secret_of "$p")" "$id"
	code=$(post "$base/$p" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: genuine delivery accepted"
	assert_eq accepted "$(last_log "$p" verdict)" "$p: logged accepted"
	H=("${H[@]/$id/$new}")
	code=$(post "$base/$p" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: replay under a new id answered 200"
	assert_match '"status":"duplicate"' "$(cat "$T/resp.body")" \
	    "$p: the answer says duplicate"
	assert_eq duplicate "$(last_log "$p" verdict)" \
	    "$p: logged as duplicate"
	assert_eq "$new" "$(last_log "$p" id)" "$p: logged under its own id"
	assert_eq "$id" "$(last_log "$p" duplicate_of)" \
	    "$p: the record names the first delivery"
	assert_match "signed bytes seen before in delivery '$id'" \
	    "$(last_log "$p" reason)" "$p: the reason says replay"
	assert_eq 0 "$(rows "$p" "$new")" "$p: nothing queued for the replay"
	assert_eq 1 "$(ledger "SELECT count(*) FROM deliveries
	    WHERE endpoint = '$p'")" "$p: one row in all"
}

replay github "gh-$$-1" "gh-$$-2"
# A retry (same id) is still named by its own id.
code=$(post "$base/github" "$T/github.body" "${H[@]/gh-$$-2/gh-$$-1}")
assert_eq duplicate "$(last_log github verdict)" "github: retry duplicate"
assert_eq "gh-$$-1" "$(last_log github duplicate_of)" \
    "github: retry names its delivery"
# Another body under the replayed id is a new delivery after all.
make_body github "gh-$$-2" "$T/other.body"
sign github "$T/other.body" "$(secret_of github)" "gh-$$-2"
code=$(post "$base/github" "$T/other.body" "${H[@]}")
assert_eq accepted "$(last_log github verdict)" \
    "github: new signed bytes under the new id are accepted"

replay zendesk "zd-$$-1" "zd-$$-2"
# Outside the default window (300 s) the replay is refused as stale.
make_body zendesk "zd-$$-3" "$T/old.body"
sign zendesk "$T/old.body" "$(secret_of zendesk)" "zd-$$-3" \
    $(($(date +%s) - 400))
code=$(post "$base/zendesk" "$T/old.body" "${H[@]}")
expect_reject zendesk 401 'outside tolerance: old.*tolerance 300 s' \
    "a request signed 400 s ago (default window)"

stop_server lighttpd-fcgi
t_done
