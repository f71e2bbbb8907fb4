#!/bin/bash
# Secrets stay secret: every log and error output the whole integration
# suite produced (delivery logs and their rotations, web server error and
# access logs, handlers' standard error, answers), kept by lib.sh in
# $WEBHOOK_ARTIFACTS, is searched for every secret any test configured:
# each "secret =" value of every webhooks.conf and the content of every
# *.secret file.  None may appear.  The same search makes sure that no
# handler anywhere in the suite hit the seccomp filter, and that no
# ASan, LSan or UBSan report is hiding in a server's log (make asan).
#
# Runs last (t4099).  Started alone (ONLY=t4099), with nothing collected,
# it runs the contract, hostile-input and secret-permission tests itself
# first.  Secrets shorter than 8 bytes are skipped: they would match by
# chance (none of the suite's is that short).
. "$(dirname "$0")/../lib.sh"
t_init no-secrets

A=${WEBHOOK_ARTIFACTS:-}
if [ -z "$A" ] || [ -z "$(ls -A "$A" 2>/dev/null)" ]; then
	A=$T/artifacts
	mkdir "$A"
	for t in t0100-contract-lighttpd-fcgi t4060-hostile-http \
	    t4070-secret-perms; do
		WEBHOOK_ARTIFACTS=$A bash "$ROOT/tests/integration/$t.sh" \
		    >"$T/$t.out" 2>&1 || fail "$t failed" "$(tail -n 20 "$T/$t.out")"
	done
	ok "collected the logs of t0100, t4060 and t4070"
fi

# The secrets: inline values, then secret files.
{
	find "$A" -name '*.conf' -exec sed -n \
	    's/^[[:space:]]*secret[[:space:]]*=[[:space:]]*//p' {} +
	find "$A" -name '*.secret' -exec cat {} +
} | sed 's/[[:space:]]*$//' | awk 'length($0) >= 8' | sort -u >"$T/secrets"
nsecrets=$(wc -l <"$T/secrets")
[ "$nsecrets" -gt 0 ] || fail "no secret found in $A"

# Everything else: logs, error output, answers.
find "$A" -type f ! -name '*.conf' ! -name '*.secret' >"$T/files"
nfiles=$(wc -l <"$T/files")
bytes=$(xargs -d '\n' cat <"$T/files" | wc -c)
[ "$nfiles" -gt 0 ] || fail "no log collected in $A"
if xargs -d '\n' grep -aF -l -f "$T/secrets" <"$T/files" >"$T/hits"; then
	fail "a secret appears in $(wc -l <"$T/hits") file(s)" \
	    "$(head -n 5 "$T/hits")" \
	    "$(xargs -d '\n' grep -aoF -h -f "$T/secrets" <"$T/hits" |
	        sort -u | sed 's/\(...\).*/\1.../' | head -n 5)"
fi
ok "$nsecrets secrets, in none of $nfiles logs and outputs ($bytes bytes)"

if xargs -d '\n' grep -a -l 'forbidden system call' <"$T/files" >"$T/sys"; then
	fail "a handler hit the seccomp filter" "$(head -n 5 "$T/sys")"
fi
ok "no handler hit the seccomp filter in the whole suite"

# Under `make asan` the handlers' reports land in the servers' logs,
# where no other test looks.
if xargs -d '\n' grep -a -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
    <"$T/files" >"$T/san"; then
	fail "a sanitizer report in the suite's logs" "$(head -n 5 "$T/san")" \
	    "$(xargs -d '\n' grep -a -h -A5 -E 'ERROR: |runtime error:' \
	        <"$T/san" | head -n 30)"
fi
ok "no sanitizer report in any log of the suite"
t_done
