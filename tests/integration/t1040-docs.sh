#!/bin/bash
# The documentation tells the truth:
#  - every key of keys[] in common/config.c is described in
#    man/webhooks.conf.5 and listed in README.md, and the man page
#    describes no key that does not exist;
#  - the man pages pass mandoc -Tlint, have the sections STYLE.md asks
#    for, one per handler, and refer only to pages that exist;
#  - www/ (lighttpd, Apache, nginx, Caddy), www/examples/webhooks.conf,
#    dist/systemd name the same endpoints and sockets, and the servers
#    accept the snippets (nginx and Caddy: t1065, t1071);
#  - the shipped lighttpd fastcgi.conf and example webhooks.conf, with
#    only their paths moved under $T, serve signed deliveries over TLS.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init docs
cd "$ROOT"

CONF5=man/webhooks.conf.5

# --- configuration keys -----------------------------------------------

keys=$(sed -n '/^static const struct key keys\[\] = {/,/^};/p' \
    common/config.c | grep -oE '^[[:space:]]*\{ "[a-z0-9_]+"' |
    grep -oE '[a-z0-9_]+')
nkeys=$(echo "$keys" | wc -w)
[ "$nkeys" -ge 30 ] || fail "read only $nkeys keys from common/config.c"
man_missing=
readme_missing=
for k in $keys; do
	grep -qE "^\.It Ic $k( |$)" "$CONF5" || man_missing="$man_missing $k"
	grep -qF "\`$k\`" README.md || readme_missing="$readme_missing $k"
done
assert_eq "" "$man_missing" "webhooks.conf.5 describes all $nkeys keys"
assert_eq "" "$readme_missing" "README.md lists all $nkeys keys"
grep -qE '^\.It Ic on\. Ns Ar glob' "$CONF5" ||
	fail "webhooks.conf.5 does not describe on.<glob>"
grep -qF '`on.<event-glob>`' README.md ||
	fail "README.md does not list on.<event-glob>"
ok "on.<glob> is documented in both"
stale=
for k in $(grep -oE '^\.It Ic [a-z0-9_]+' "$CONF5" | awk '{ print $3 }'); do
	echo "$keys" | grep -qx "$k" || stale="$stale $k"
done
# "on." is the route prefix, not a key of the table.
assert_eq "" "${stale/ on/}" "webhooks.conf.5 describes no unknown key"

# --- man pages --------------------------------------------------------

out=$(mandoc -Tlint -Wwarning man/*.[1-9] 2>&1) || true
assert_eq "" "$out" "mandoc -Tlint -Wwarning is clean"
for p in $(cd handlers && ls *.c | sed 's/\.c$//'); do
	[ -f "man/webhook-$p.8" ] || fail "no man/webhook-$p.8 for $p"
done
ok "every handler has its page"
for f in man/*.[1-9]; do
	for s in ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "\.Sh $s" "$f" || fail "$f has no $s section"
	done
done
ok "every page has ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES, SEE ALSO"
missing=
for ref in $(grep -hoE '^\.Xr webhook[a-z.-]* [1-9]' man/*.[1-9] |
    awk '{ print $2 "." $3 }' | sort -u); do
	[ -f "man/$ref" ] || missing="$missing $ref"
done
for ref in $missing; do
	# The tools' pages come with the tools.
	case $ref in
	webhookctl.1 | webhook-worker.8)
		echo "# note: man/$ref is referred to but not written yet" ;;
	*) fail "man/$ref is referred to but does not exist" ;;
	esac
done
ok "cross-references point at existing pages"

# --- www/, the example configuration, dist/systemd ----------------------

# names FILE...: the endpoint names the files map or define, sorted.
lighttpd_names() {
	grep -hoE '"url"\] == "/hooks/[^"]+"' "$@" |
	    sed 's|.*/hooks/||; s|"$||' | sort -u
}
apache_names() {
	grep -hoE '^[A-Za-z]+Match "\^/hooks/[^$"]+\$"' "$@" |
	    sed 's|.*/hooks/||; s|\$"$||' | sort -u
}
nginx_names() {
	grep -hoE '^[[:space:]]*location = /hooks/[^ ]+' "$@" |
	    sed 's|.*/hooks/||' | sort -u
}
caddy_names() {
	grep -hoE '^[[:space:]]*import webhook [^ ]+' "$@" |
	    awk '{ print $3 }' | sort -u
}
sections=$(grep -oE '^\[[^]]+\]' www/examples/webhooks.conf | tr -d '[]' |
    grep -vx global | sort)
assert_match 'github-acme' "$sections" "the example has [github-acme]"
assert_match 'github-widgets' "$sections" "the example has [github-widgets]"
for f in www/lighttpd/*.conf; do
	assert_eq "$sections" "$(lighttpd_names "$f")" \
	    "$f maps the endpoints of the example configuration"
done
for f in www/apache/*.conf; do
	assert_eq "$sections" "$(apache_names "$f")" \
	    "$f maps the endpoints of the example configuration"
done
assert_eq "$sections" "$(nginx_names www/nginx/webhook-fcgi.conf)" \
    "www/nginx/webhook-fcgi.conf maps the endpoints of the example configuration"
assert_eq "$sections" "$(caddy_names www/caddy/Caddyfile)" \
    "www/caddy/Caddyfile maps the endpoints of the example configuration"
bad=$(awk '$1 == "import" && $2 == "webhook" &&
	$4 != "unix//run/webhook-fcgi/" $3 ".sock"' www/caddy/Caddyfile)
assert_eq "" "$bad" \
    "Caddyfile: /hooks/NAME goes to /run/webhook-fcgi/NAME.sock"
# Each location names its own endpoint and socket.
bad=$(awk '/^[[:space:]]*#/ { next }
	/location = \/hooks\// { n = $3; sub(/.*\//, "", n) }
	/set \$webhook_endpoint/ { e = $3; sub(/;$/, "", e) }
	/fastcgi_pass/ { s = $2; sub(/;$/, "", s)
		if (e != n || s != "unix:/run/webhook-fcgi/" n ".sock")
			print n, e, s }' www/nginx/webhook-fcgi.conf)
assert_eq "" "$bad" \
    "webhook-fcgi.conf: /hooks/NAME sets NAME and passes to /run/webhook-fcgi/NAME.sock"
bad=$(grep -E '^ProxyPassMatch' www/apache/proxy-fcgi.conf |
    sed -nE 's#^ProxyPassMatch "\^/hooks/([^$]+)\$" "unix:([^|]+)\|.*#\1 \2#p' |
    awk '$2 != "/run/webhook-fcgi/" $1 ".sock"')
[ "$(grep -c '^ProxyPassMatch' www/apache/proxy-fcgi.conf)" -gt 0 ] ||
	fail "no ProxyPassMatch in proxy-fcgi.conf"
assert_eq "" "$bad" \
    "proxy-fcgi.conf: /hooks/NAME goes to /run/webhook-fcgi/NAME.sock"
assert_match '^ListenStream=/run/webhook-fcgi/%i\.sock$' \
    "$(grep "^ListenStream" dist/systemd/webhook@.socket)" \
    "webhook@.socket listens where proxy-fcgi.conf connects"

# Apache accepts each snippet as it is shipped.
M=$APACHE_MODULES
mkdir "$T/apache"
for f in www/apache/*.conf; do
	cat >"$T/apache/httpd.conf" <<EOF
ServerRoot "$T/apache"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$T/apache/httpd.pid"
DefaultRuntimeDir "$T/apache"
ErrorLog "$T/apache/error.log"
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule alias_module $M/mod_alias.so
LoadModule env_module $M/mod_env.so
LoadModule fcgid_module $M/mod_fcgid.so
LoadModule cgid_module $M/mod_cgid.so
LoadModule proxy_module $M/mod_proxy.so
LoadModule proxy_fcgi_module $M/mod_proxy_fcgi.so
Include "$ROOT/$f"
EOF
	out=$(timeout -k 1 20 /usr/sbin/apache2 -t \
	    -f "$T/apache/httpd.conf" 2>&1) ||
		fail "apache2 -t refuses $f" "$out"
	ok "apache2 -t accepts $f"
done

# The units, when systemd-analyze is there.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$T/units"
	for u in socket service; do
		cp "dist/systemd/webhook@.$u" "$T/units/webhook@github-acme.$u"
	done
	# With the drop-ins of the docs: HANDLER, and FastCGI over TCP.
	mkdir "$T/units/webhook@github-acme.service.d" \
	    "$T/units/webhook@github-acme.socket.d"
	printf '[Service]\nEnvironment=HANDLER=github\n' \
	    >"$T/units/webhook@github-acme.service.d/handler.conf"
	printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:9000\n' \
	    >"$T/units/webhook@github-acme.socket.d/tcp.conf"
	out=$(timeout -k 1 20 systemd-analyze verify --man=no \
	    "$T/units/webhook@github-acme.socket" \
	    "$T/units/webhook@github-acme.service" 2>&1) ||
		fail "systemd-analyze verify" "$out"
	assert_eq "" "$out" "systemd-analyze verify: webhook@.socket, webhook@.service, TCP and HANDLER drop-ins"
else
	echo "# note: no systemd-analyze, dist/systemd not verified"
fi

# --- the shipped lighttpd and webhooks.conf, served for real ------------

# Only the paths move: programs to the build, /etc and /var under $T.
W=$T/www-lighttpd
server_dir "$W" "$W/run" "$W/www"
echo "webhook-fcgi docs test" >"$W/www/index.html"
example_config
sed -e "s|/usr/lib/cgi-bin/webhook-fcgi|$CGI_DIR|" \
    -e "s|/etc/webhook-fcgi/webhooks.conf|$T/webhooks.conf|" \
    -e "s|/run/lighttpd|$W/run|" \
    www/lighttpd/fastcgi.conf >"$W/fastcgi.conf"
if [ -x "$BUILD_DIR/bin/webhookctl" ]; then
	rc=0
	out=$(timeout -k 1 20 "$BUILD_DIR/bin/webhookctl" -c "$T/webhooks.conf" \
	    check-config 2>&1) || rc=$?
	[ "$rc" = 0 ] || fail "webhookctl check-config: exit $rc" "$out"
	ok "webhookctl check-config accepts the example"
fi
chmod 644 "$T/secrets/stripe.secret"
make_cert "$T/tls"
port=$(free_port)
{
	cat <<EOF
server.modules = ( "mod_access", "mod_alias", "mod_openssl" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$W/www"
index-file.names = ( "index.html" )
server.errorlog = "$W/error.log"
ssl.engine = "enable"
ssl.pemfile = "$T/tls/cert.pem"
ssl.privkey = "$T/tls/key.pem"
EOF
	if [ "$(id -u)" = 0 ]; then
		echo "server.username = \"$(server_user)\""
		echo "server.groupname = \"$(server_group)\""
	fi
	echo "include \"$W/fastcgi.conf\""
} >"$W/lighttpd.conf"
out=$(timeout -k 1 20 lighttpd -tt -f "$W/lighttpd.conf" 2>&1) ||
	fail "lighttpd -tt refuses www/lighttpd/fastcgi.conf" "$out"
ok "lighttpd -tt accepts www/lighttpd/fastcgi.conf"
spawn_bg www-lighttpd lighttpd -D -f "$W/lighttpd.conf"
for i in $(seq 1 100); do
	[ "$(curl -sk --max-time 2 "https://127.0.0.1:$port/")" = \
	    "webhook-fcgi docs test" ] && break
	pid_alive "$(server_pid www-lighttpd)" || fail "lighttpd exited"
	[ "$i" -lt 100 ] || fail "lighttpd: no answer on $port within 10 s"
	sleep 0.1
done

# deliver ENDPOINT SECRET-FILE WANT WHAT: a signed GitHub delivery.
deliver() {
	local id="docs-$1-$RANDOM"

	make_body github "$id" "$T/body"
	sign github "$T/body" "$(cat "$2")" "$id"
	code=$(post "https://127.0.0.1:$port/hooks/$1" "$T/body" "${H[@]}")
	assert_eq "$3" "$code" "$1: $4 answers $3"
	if [ "$3" = 200 ]; then
		assert_eq 1 "$(rows "$1" "$id")" "$1: $4 stored"
	fi
}
deliver github-acme "$S/github-acme.secret" 200 "its own secret"
deliver github-widgets "$S/github-widgets.secret" 200 "the current secret"
deliver github-widgets "$S/github-widgets.next.secret" 200 "the next secret"
deliver github-acme "$S/github-widgets.secret" 401 "the other org's secret"
deliver github "$S/github.secret" 200 "[github]"

# iot accepts only its office network.
make_body iot "docs-iot" "$T/body"
sign iot "$T/body" "$(cat "$S/iot.secret")" "docs-iot"
code=$(post "https://127.0.0.1:$port/hooks/iot" "$T/body" "${H[@]}")
assert_eq 403 "$code" "iot: from outside allow_from answers 403"
assert_match 'allow_from' "$(last_log iot reason)" "iot: the log says why"

# A secret file others can read is refused, loudly (made so before the
# start, since FastCGI processes read their secrets once).
make_body stripe "docs-stripe" "$T/body"
sign stripe "$T/body" "$(cat "$S/stripe.secret")" "docs-stripe"
code=$(post "https://127.0.0.1:$port/hooks/stripe" "$T/body" "${H[@]}")
assert_eq 503 "$code" "stripe: a world-readable secret_file answers 503"
# The handlers' standard error: lighttpd -D passes its own on.
for i in $(seq 1 20); do
	grep -qs 'readable by group' "$W/error.log" "$W/stdout.log" && break
	sleep 0.1
done
assert_match "secret_file '$S/stripe.secret' is readable by group or others" \
    "$(cat "$W/error.log" "$W/stdout.log" | grep 'readable by group' |
    tail -n 1)" "the error log names the file and the reason"
stop_server www-lighttpd

t_done
