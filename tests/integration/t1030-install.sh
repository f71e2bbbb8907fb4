#!/bin/bash
# make install: DESTDIR and PREFIX are honoured, every file lands where
# the man pages and www/ say with its mode, nothing else is installed,
# and an installed handler serves a signed delivery as CGI.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init install

BUILD=${WEBHOOK_BUILD:-build}
DEST=$T/dest
for p in $PROVIDERS; do
	[ -x "$CGI_DIR/$p.fcgi" ] || fail "build first: $CGI_DIR/$p.fcgi"
done

umask 022
# -o all: install what is built, never rebuild it here (an ASan build
# would be rebuilt without its flags).
make -C "$ROOT" -s -o all install BUILD="$BUILD" DESTDIR="$DEST" \
    PREFIX=/usr >"$T/make.log" 2>&1 ||
	fail "make install" "$(tail -n 20 "$T/make.log")"
ok "make install DESTDIR=... PREFIX=/usr"

# want PATH MODE: one expected file.
want() {
	echo "$2 $1" >>"$T/want"
}
: >"$T/want"
# Every handlers/<name>.c is a handler (Makefile), and the two tools
# served like one.
for f in "$ROOT"/handlers/*.c; do
	f=${f##*/}
	want "/usr/lib/cgi-bin/webhook-fcgi/${f%.c}.fcgi" 755
done
for p in metrics console; do
	want "/usr/lib/cgi-bin/webhook-fcgi/$p.fcgi" 755
done
for f in "$BUILD_DIR"/bin/webhook-worker "$BUILD_DIR"/bin/webhookctl; do
	[ -x "$f" ] && want "/usr/bin/${f##*/}" 755
done
for f in "$ROOT"/man/*.[158]; do
	want "/usr/share/man/man${f##*.}/${f##*/}" 644
done
want /etc/webhook-fcgi/webhooks.conf.example 644
want /usr/share/webhook-fcgi/console/console.css 644
want /usr/share/webhook-fcgi/console/console.js 644
for f in "$ROOT"/tools/samples/*/*; do
	want "/usr/share/webhook-fcgi/samples/${f#"$ROOT"/tools/samples/}" 644
done
for f in "$ROOT"/dist/systemd/*.socket "$ROOT"/dist/systemd/*.service; do
	[ -e "$f" ] && want "/usr/lib/systemd/system/${f##*/}" 644
done
want /etc/logrotate.d/webhook-fcgi 644
want /etc/apache2/conf-available/webhook-fcgi.conf 644
want /etc/lighttpd/conf-available/50-webhook-fcgi.conf 644
[ -e "$ROOT/www/nginx/webhook-fcgi.conf" ] &&
	want /etc/nginx/snippets/webhook-fcgi.conf 644
for f in "$ROOT"/www/apache/* "$ROOT"/www/lighttpd/* "$ROOT"/www/nginx/* \
    "$ROOT"/www/caddy/*; do
	[ -f "$f" ] && want "/usr/share/webhook-fcgi/www/${f#"$ROOT"/www/}" 644
done
(cd "$DEST" && find . -type f -printf '%m /%P\n') | sed 's| /\./| /|' |
    sort >"$T/got"
sort -o "$T/want" "$T/want"
assert_eq "$(cat "$T/want")" "$(cat "$T/got")" \
    "installed files and modes: $(wc -l <"$T/want") files"
assert_eq "" "$(cd "$DEST" && find . -type d ! -perm 755)" \
    "every installed folder is mode 755"
# The installed webhookctl finds the installed samples, far from the
# source tree; port 1 is closed, so it gets as far as trying to send.
if [ -x "$DEST/usr/bin/webhookctl" ]; then
	(umask 077; printf '[github]\nsecret = install-test\n' >"$T/ctl.conf")
	env -u WEBHOOK_SAMPLES "$DEST/usr/bin/webhookctl" -c "$T/ctl.conf" \
	    send -v http://127.0.0.1:1/hooks/github github 2>"$T/ctl.err" ||
	    true
	assert_match '^> POST http://127.0.0.1:1/hooks/github' \
	    "$(head -n 1 "$T/ctl.err")" \
	    "installed webhookctl send finds the installed push sample"
fi
for f in "$ROOT"/man/*.[158]; do
	cmp -s "$f" "$DEST/usr/share/man/man${f##*.}/${f##*/}" ||
		fail "${f##*/} installed differs from man/"
done
ok "man pages installed as written"
# With PREFIX=/usr the paths in the snippets are already the installed
# ones: each server's snippet is installed as written.
cmp -s "$ROOT/www/apache/fcgid.conf" \
    "$DEST/etc/apache2/conf-available/webhook-fcgi.conf" ||
	fail "the Apache snippet installed differs from www/apache/fcgid.conf"
cmp -s "$ROOT/www/lighttpd/fastcgi.conf" \
    "$DEST/etc/lighttpd/conf-available/50-webhook-fcgi.conf" ||
	fail "the lighttpd snippet differs from www/lighttpd/fastcgi.conf"
ok "server snippets installed where a2enconf and lighty-enable-mod look"
# Elsewhere the snippets and units name the programs where they are.
make -C "$ROOT" -s -o all install BUILD="$BUILD" DESTDIR="$T/local" \
    PREFIX=/usr/local >"$T/make-local.log" 2>&1 ||
	fail "make install PREFIX=/usr/local" "$(tail -n 20 "$T/make-local.log")"
assert_eq "" "$(grep -rl '/usr/lib/cgi-bin/webhook\|/usr/bin/webhook' \
    "$T/local/etc" "$T/local/usr/local/lib/systemd" || true)" \
    "with PREFIX=/usr/local no snippet or unit names /usr/lib or /usr/bin"
assert_match '/usr/local/lib/cgi-bin/webhook-fcgi/github.fcgi' \
    "$(cat "$T/local/etc/apache2/conf-available/webhook-fcgi.conf")" \
    "the Apache snippet names the handlers under /usr/local"
assert_match 'webhook-fcgi' "$(grep -m1 ExecStart \
    "$DEST/usr/lib/systemd/system/webhook@.service")" \
    "the service runs the handlers where they are installed"

# Every run of a handler is bounded: a process that hangs fails the test.
run() {
	timeout -k 1 20 "$@"
}
bin=$DEST/usr/lib/cgi-bin/webhook-fcgi/github.fcgi
assert_match '^webhook-fcgi [0-9.]+ handler github' "$(run "$bin" --version)" \
    "--version names the handler"
assert_match '^webhook-fcgi [0-9.]+ handler stripe' \
    "$(run "$DEST/usr/lib/cgi-bin/webhook-fcgi/stripe.fcgi" -V)" "-V too"
rc=0
run "$bin" >/dev/null 2>&1 || rc=$?
assert_eq 100 "$rc" "run from a shell outside any server: usage, exit 100"

# One CGI request, as a web server would make it.
mkdir "$T/log" "$T/state"
cat >"$T/webhooks.conf" <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no

[github]
provider = github
secret = $(secret_of github)
CONF
id="install-$$"
make_body github "$id" "$T/body"
mac=$(hmac_hex sha256 "$(secret_of github)" <"$T/body")
rc=0
run env -i PATH=/usr/bin:/bin WEBHOOK_CONFIG="$T/webhooks.conf" \
    GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
    REQUEST_URI=/hooks/github REMOTE_ADDR=127.0.0.1 \
    CONTENT_TYPE=application/json CONTENT_LENGTH="$(stat -c %s "$T/body")" \
    HTTP_X_HUB_SIGNATURE_256="sha256=$mac" HTTP_X_GITHUB_DELIVERY="$id" \
    HTTP_X_GITHUB_EVENT=push \
    "$bin" <"$T/body" >"$T/resp.body" 2>"$T/stderr" || rc=$?
assert_eq 0 "$rc" "the CGI request exits 0"
assert_match '^Status: 200' "$(head -n 1 "$T/resp.body")" \
    "CGI answer: Status: 200"
assert_match '"status":"accepted"' "$(cat "$T/resp.body")" \
    "CGI answer says accepted"
assert_eq 1 "$(rows github "$id")" "one ledger row for the delivery"
assert_eq accepted "$(last_log github verdict)" "the log says accepted"
assert_eq "" "$(cat "$T/stderr")" "nothing on standard error"

t_done
