#!/bin/bash
# The providers' official SDKs against the receivers, behind one real
# lighttpd (FastCGI): every tests/sdk/<name>.conf fragment becomes an
# endpoint [<name>] served by build/cgi-bin/<name>.fcgi, then
# `node --test` runs every tests/sdk/<name>.test.mjs (tests/sdk/README.md).
# SDK_ONLY="github stripe" narrows both to those names.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init sdk

SDK=$ROOT/tests/sdk
CTL=$BUILD_DIR/bin/webhookctl
[ -x "$CTL" ] || fail "no $CTL: build it first"
command -v node >/dev/null || fail "no node: run sh scripts/deps.sh check"
[ -d "$SDK/node_modules" ] ||
	fail "no tests/sdk/node_modules: run sh scripts/deps.sh check"

# Every fragment needs its test and its program, every test its fragment.
names=
for f in "$SDK"/*.conf; do
	n=$(basename "$f" .conf)
	if [ -n "${SDK_ONLY:-}" ]; then
		case " $SDK_ONLY " in *" $n "*) ;; *) continue ;; esac
	fi
	[ -e "$SDK/$n.test.mjs" ] || fail "tests/sdk/$n.conf has no $n.test.mjs"
	[ -x "$CGI_DIR/$n.fcgi" ] || fail "tests/sdk/$n.conf: no $CGI_DIR/$n.fcgi"
	grep -qx "\[$n\]" "$f" || fail "tests/sdk/$n.conf has no [$n] section"
	names="$names $n"
done
for f in "$SDK"/*.test.mjs; do
	n=$(basename "$f" .test.mjs)
	[ -e "$SDK/$n.conf" ] || fail "tests/sdk/$n.test.mjs has no $n.conf"
done
[ -n "$names" ] || fail "no tests/sdk/*.conf matches SDK_ONLY=${SDK_ONLY:-}"

port=$(free_port)
base=http://127.0.0.1:$port/hooks
server_dir "$T/log" "$T/state"
# The fragments may name the endpoint URL (@BASE@, for public_url) and
# files of their own under this test's folder (@DIR@).
{
	cat <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no
CONF
	for n in $names; do
		echo
		sed -e "s|@BASE@|$base|g" -e "s|@DIR@|$T|g" "$SDK/$n.conf"
	done
} >"$T/webhooks.conf"
# Inline secrets: readable by the receivers' group only.
chmod 640 "$T/webhooks.conf"
[ "$(id -u)" != 0 ] || chgrp "$(server_group)" "$T/webhooks.conf"
export WEBHOOK_CONFIG=$T/webhooks.conf
"$CTL" check-config "$WEBHOOK_CONFIG" >"$T/check-config.out" 2>&1 ||
	fail "webhookctl check-config refuses the fragments" \
	    "$(cat "$T/check-config.out")"
ok "check-config accepts the$names fragments"

eps=
for n in $names; do
	eps="$eps $n:$CGI_DIR/$n.fcgi"
done
MAX_PROCS=1 ENDPOINTS="${eps# }" start_server lighttpd-fcgi "$port"

tests=()
for n in $names; do
	tests+=("$SDK/$n.test.mjs")
done
rc=0
SDK_BASE_URL=$base SDK_WEBHOOKCTL=$CTL SDK_LOG_DIR=$T/log \
    SDK_LEDGER=$T/state/webhooks.db \
    node --test --test-reporter=tap "${tests[@]}" >"$T/node.out" 2>&1 ||
    rc=$?
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$T/node.out")
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$T/node.out")
if [ "$rc" != 0 ] || [ "${failed:-1}" != 0 ] || [ "${pass:-0}" = 0 ]; then
	grep -v '^    at \|^      at ' "$T/node.out" | tail -n 80
	fail "node --test: exit $rc, ${pass:-?} passed, ${failed:-?} failed"
fi
grep '^ok \|^    ok ' "$T/node.out" | sed 's/^ *//'
T_PASS=$((T_PASS + pass))
t_done
