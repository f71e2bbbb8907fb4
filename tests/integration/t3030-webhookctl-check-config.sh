#!/bin/bash
# webhookctl check-config: passes a good configuration with "ok" lines
# and exit 0, and catches each class of mistake with exit 1: syntax and
# unknown keys (with their line), values out of range, endpoints without
# a secret, a provider or a scheme, secret files missing or readable by
# others, inline secrets in a file others can read, folders that cannot
# be written, settings that contradict each other.
. "$(dirname "$0")/../lib.sh"
t_init ctl-check-config

CTL=$ROOT/${WEBHOOK_BUILD:-build}/bin/webhookctl
[ -x "$CTL" ] || fail "no $CTL: build it first"
mkdir -p "$T/log" "$T/state"
umask 022
printf 'github-secret\n' >"$T/github.secret"
printf 'stripe-secret\n' >"$T/stripe.secret"
chmod 600 "$T/github.secret" "$T/stripe.secret"

# good: a configuration with no problem, readable by everyone.
good() {
	cat <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no

[github]
provider = github
secret_file = $T/github.secret

[stripe-live]
provider = stripe
secret_file = $T/stripe.secret
tolerance = 5m

[iot]
provider = iot
secret_file = $T/github.secret
signature_header = X-Signature
signature_prefix = sha256=
CONF
}

# check NAME: runs check-config on $T/NAME.conf; output in $out, status
# in $rc.
check() {
	rc=0
	out=$("$CTL" check-config "$T/$1.conf" 2>&1) || rc=$?
}

# expect_problem NAME REGEX MSG: check-config exits 1 and says REGEX.
expect_problem() {
	check "$1"
	assert_eq 1 "$rc" "$3: exit 1"
	assert_match "$2" "$out" "$3: reported"
}

good >"$T/good.conf"
check good
assert_eq 0 "$rc" "a good configuration: exit 0"
assert_match 'ok +\[github\] provider github, 1 secret \(sha256:[0-9a-f]{8}\)' \
    "$out" "a good configuration: an ok line per endpoint"
assert_match 'ok +\[stripe-live\] provider stripe' "$out" "ok stripe-live"
assert_match "ok +$T/good.conf: no problems" "$out" "ok: the summary"
rc=0
WEBHOOK_CONFIG=$T/good.conf "$CTL" check-config >/dev/null || rc=$?
assert_eq 0 "$rc" "the file from WEBHOOK_CONFIG"

{ good; printf 'colour = blue\n'; } >"$T/unknown.conf"
line=$(grep -n '^colour' "$T/unknown.conf" | cut -d: -f1)
expect_problem unknown "unknown.conf:$line: unknown key 'colour'" \
    "an unknown key, with its line"

{ good; printf 'this is not ini\n'; } >"$T/syntax.conf"
expect_problem syntax 'syntax error' "a syntax error"

{ good; printf 'max_body = 1\n'; } >"$T/range.conf"
line=$(grep -n '^max_body' "$T/range.conf" | cut -d: -f1)
expect_problem range "range.conf:$line: 'max_body' must be a number from" \
    "a value out of range, with its line"

{ good; printf '\n[bare]\nprovider = github\n'; } >"$T/nosecret.conf"
expect_problem nosecret '\[bare\] has no secret' "an endpoint without a secret"

{ good; printf '\n[gone]\nprovider = github\nsecret_file = %s\n' \
    "$T/missing.secret"; } >"$T/missing.conf"
expect_problem missing "cannot open secret_file '$T/missing.secret'" \
    "a secret file that is missing"

printf 'leaky\n' >"$T/open.secret"
chmod 644 "$T/open.secret"
{ good; printf '\n[leak]\nprovider = github\nsecret_file = %s\n' \
    "$T/open.secret"; } >"$T/open.conf"
expect_problem open 'readable by group or others.*chmod 600' \
    "a secret file readable by others"

{ good; printf '\n[inline]\nprovider = github\nsecret = in-the-file\n'; } \
    >"$T/inline.conf"
chmod 644 "$T/inline.conf"
line=$(grep -n '^secret = in-the-file' "$T/inline.conf" | cut -d: -f1)
expect_problem inline "inline.conf:$line: an inline secret in a file everyone can read" \
    "an inline secret in a world-readable file"
chmod 600 "$T/inline.conf"
check inline
assert_eq 0 "$rc" "the same inline secret in a 600 file is fine"

{ good; printf '\n[acme]\nsecret = x\n'; } >"$T/noprov.conf"
chmod 600 "$T/noprov.conf"
expect_problem noprov '\[acme\] names no provider' \
    "an endpoint naming no provider"
{ good; printf '\n[mine]\nprovider = acme\nsecret = x\n'; } \
    >"$T/badprov.conf"
chmod 600 "$T/badprov.conf"
expect_problem badprov "\[mine\] unknown provider 'acme'" \
    "an unknown provider"

{ good; printf '\n[svix]\nprovider = svix\nsecret = whsec_not*base64\n'; } \
    >"$T/whsec.conf"
chmod 600 "$T/whsec.conf"
expect_problem whsec '\[svix\] secret #1 is not whsec_ \+ base64' \
    "a Standard Webhooks secret that does not decode"
{ good; printf '\n[svix]\nprovider = svix\nsecret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n'; } \
    >"$T/whsec-ok.conf"
chmod 600 "$T/whsec-ok.conf"
check whsec-ok
assert_eq 0 "$rc" "a whsec_ secret that decodes is fine"

{ good; printf '\n[sensor]\nprovider = iot\nsecret_file = %s\n' \
    "$T/github.secret"; } >"$T/noscheme.conf"
expect_problem noscheme '\[sensor\] has no signature scheme' \
    "an iot endpoint without a scheme"

: >"$T/a-file"
good | sed "s|^log_dir = .*|log_dir = $T/a-file|" >"$T/logdir.conf"
expect_problem logdir "log_dir '$T/a-file' is not a folder" \
    "log_dir that is a file"
good | sed "s|^state_dir = .*|state_dir = $T/no/such/dir|" >"$T/statedir.conf"
expect_problem statedir "state_dir '$T/no/such/dir' does not exist" \
    "state_dir that does not exist"
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro"
	chmod 555 "$T/ro"
	good | sed "s|^state_dir = .*|state_dir = $T/ro|" >"$T/ro.conf"
	expect_problem ro "state_dir '$T/ro' cannot be written" \
	    "state_dir without write permission"
fi

{ good; printf 'retry_base = 2h\nretry_max = 1h\n'; } >"$T/retry.conf"
expect_problem retry 'retry_base \(7200 s\) is above retry_max \(3600 s\)' \
    "retry_base above retry_max"

{ good; printf 'workers = 4\n'; } >"$T/globalonly.conf"
expect_problem globalonly "'workers' belongs in \[global\]" \
    "a [global]-only key in an endpoint"

rc=0
"$CTL" check-config "$T/none.conf" >/dev/null 2>&1 || rc=$?
assert_eq 111 "$rc" "a file that cannot be read: exit 111"
rc=0
"$CTL" check-config a b >/dev/null 2>&1 || rc=$?
assert_eq 100 "$rc" "two files: usage"
t_done
