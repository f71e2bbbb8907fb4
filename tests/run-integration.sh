#!/bin/sh
# Runs tests/integration/t*.sh in order; prints ok or FAIL per script and
# stops at the first failure, showing its output.  With "asan" as the
# argument the scripts test the sanitizer build ($WEBHOOK_BUILD).
# ONLY=t01 runs the scripts whose names start with that.
set -u
cd "$(dirname "$0")/.." || exit 111
export WEBHOOK_BUILD="${WEBHOOK_BUILD:-build}"
export WEBHOOK_SAN="${1:-}"
# Every test leaves its logs and configurations here (lib.sh,
# t_keep_artifacts) for t4099, which searches them all for secrets.
if [ -z "${WEBHOOK_ARTIFACTS:-}" ]; then
	WEBHOOK_ARTIFACTS=$(mktemp -d "${TMPDIR:-/tmp}/webhook-fcgi-artifacts.XXXXXX") ||
		exit 111
	trap 'rm -rf "$WEBHOOK_ARTIFACTS"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
export WEBHOOK_ARTIFACTS
pass=0
for t in tests/integration/t[0-9]*.sh; do
	name=$(basename "$t" .sh)
	case "$name" in "${ONLY:-}"*) ;; *) continue ;; esac
	log=$(mktemp)
	start=$(date +%s)
	if bash "$t" >"$log" 2>&1; then
		echo "ok   integration/$name ($(( $(date +%s) - start )) s)"
		pass=$((pass + 1))
		rm -f "$log"
	else
		cat "$log"
		rm -f "$log"
		echo "FAIL integration/$name"
		echo "$pass passed, 1 failed"
		exit 1
	fi
done
echo "integration${WEBHOOK_SAN:+ ($WEBHOOK_SAN)}: $pass passed, 0 failed"
