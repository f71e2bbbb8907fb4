#!/bin/bash
# The Debian package, built, installed, used and purged:
#  - `make deb` builds webhook-fcgi_<version>_<arch>.deb, lintian passes
#    it (no error, no warning), and it holds exactly the files, with the
#    modes, of `make install` with the paths debian/rules gives it;
#  - `apt-get install ./webhook-fcgi_*.deb` into a throwaway copy of this
#    system (an overlay over /, in a mount namespace of its own, so the
#    real system never sees it) creates the www-data folders;
#  - Apache with the packaged snippet enabled by a2enconf serves a signed
#    GitHub delivery to the installed handler: 200, a ledger row, a log
#    record; after the packaged logrotate configuration rotates the log,
#    the next delivery goes to a fresh log with no signal sent;
#  - lighty-enable-mod enables the lighttpd snippet, and lighttpd -tt
#    accepts it;
#  - `apt-get remove` removes the programs and disables both snippets,
#    keeping conffiles and data; `apt-get purge` then removes the
#    conffiles, ledger and logs, keeps what the user made (webhooks.conf,
#    secrets, a file of their own in the state folder), and nothing named
#    webhook is left anywhere in the copy but those.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init deb

if [ -n "${WEBHOOK_SAN:-}" ]; then
	ok "skipped under $WEBHOOK_SAN: the package is built without sanitizers"
	t_done
	exit 0
fi
start=$SECONDS
R=$T/root
NS=

# --- build, lintian, one list of files ---------------------------------

make -C "$ROOT" -s deb BUILD="$T/pkg" >"$T/deb.out" 2>&1 ||
	fail "make deb" "$(tail -n 30 "$T/deb.out")"
deb=$(ls "$T"/pkg/webhook-fcgi_*_"$(dpkg --print-architecture)".deb)
version=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
assert_eq "webhook-fcgi_${version}_$(dpkg --print-architecture).deb" \
    "${deb##*/}" "make deb builds webhook-fcgi_<version>_<arch>.deb"
# make deb fails unless lintian passes; here its report says so too.
[ -f "$T/pkg/deb/lintian.txt" ] || fail "make deb left no lintian report"
assert_eq "" "$(grep -E '^[EW]:' "$T/pkg/deb/lintian.txt" || true)" \
    "lintian: no error, no warning ($((SECONDS - start)) s to build and check)"

# The same files with the same modes as make install with the package's
# paths; the package adds only what Debian requires of every package.
vars=$(sed -n 's/^INSTALL_VARS *= *//p' "$ROOT/debian/rules")
[ -n "$vars" ] || fail "no INSTALL_VARS in debian/rules"
# shellcheck disable=SC2086
make -C "$ROOT" -s -o all install BUILD="${WEBHOOK_BUILD:-build}" \
    DESTDIR="$T/dest" $vars >"$T/install.out" 2>&1 ||
	fail "make install $vars" "$(tail -n 20 "$T/install.out")"
dpkg-deb -x "$deb" "$T/x"
(cd "$T/dest" && find . \( -type f -o -type l \) -printf '%m %P\n') |
    sort >"$T/make.list"
(cd "$T/x" && find . \( -type f -o -type l \) -printf '%m %P\n') |
    sed -e 's|^\([0-9]* usr/share/man/.*\)\.gz$|\1|' \
    -e '\|^644 usr/share/doc/webhook-fcgi/copyright$|d' \
    -e '\|^644 usr/share/doc/webhook-fcgi/changelog\.gz$|d' |
    sort >"$T/deb.list"
assert_eq "$(cat "$T/make.list")" "$(cat "$T/deb.list")" \
    "the package installs what make install installs ($(wc -l \
    <"$T/make.list") files)"
assert_match ' usr/lib/cgi-bin/webhook-fcgi/github\.fcgi' \
    "$(cat "$T/deb.list")" "among them the handlers, in /usr/lib/cgi-bin"
# The copies of the tree and of the files, not to be kept as artifacts.
rm -rf "$T/pkg/deb/webhook-fcgi-$version" "$T/x" "$T/dest"

# --- a throwaway system ------------------------------------------------

# The namespace lives as long as this sleep; every command in the copy
# runs through nsenter and chroot.  Mounts made in it are invisible
# outside, and die with it.
if ! mkdir "$T/upper" "$T/work" "$R" ||
    ! unshare -m --propagation private true 2>/dev/null; then
	ok "skipped the installation: no mount namespaces here (not root?)"
	t_done
	exit 0
fi
unshare -m --propagation private sleep 900 &
NS=$!
apache_pid=
# unshare(1) makes the namespace only once it runs: an nsenter before
# that would mount in ours (seen on a loaded machine, with the overlay of
# / then walked by the artifact copy).  Wait until its namespace differs.
for i in $(seq 1 100); do
	[ "$(readlink "/proc/$NS/ns/mnt" 2>/dev/null)" != \
	    "$(readlink /proc/self/ns/mnt)" ] && break
	sleep 0.1
done
[ "$(readlink "/proc/$NS/ns/mnt" 2>/dev/null)" != \
    "$(readlink /proc/self/ns/mnt)" ] ||
	fail "no mount namespace of its own after 10 s"

# in_root CMD...: runs CMD in the copy, with a clean environment.
in_root() {
	nsenter -t "$NS" -m -- chroot "$R" env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	    DEBIAN_FRONTEND=noninteractive "$@"
}

deb_cleanup() {
	local rc=$?

	set +e
	[ -n "$apache_pid" ] && stop_pid "$apache_pid"
	[ -n "$NS" ] && kill "$NS" 2>/dev/null && wait "$NS" 2>/dev/null
	# Never walk or delete a copy of / still mounted here.
	if mountpoint -q "$R" 2>/dev/null; then
		umount -R -l "$R" || { echo "# cannot unmount $R: kept"; \
		    trap - EXIT; exit 1; }
	fi
	(exit "$rc")
	t_cleanup
}
trap deb_cleanup EXIT

# stop_apache: stops the Apache of the copy and its FastCGI processes.
stop_apache() {
	[ -n "$apache_pid" ] || return 0
	stop_pid "$apache_pid"
	apache_pid=
}

if ! nsenter -t "$NS" -m -- mount -t overlay overlay \
    -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$R"; then
	ok "skipped the installation: no overlay of / can be mounted here"
	t_done
	exit 0
fi
! mountpoint -q "$R" || fail "the copy of / is mounted outside its namespace"
nsenter -t "$NS" -m -- mount -t proc proc "$R/proc"
nsenter -t "$NS" -m -- mount --rbind /dev "$R/dev"
# As in any chroot: maintainer scripts start and reload no service, and
# man-db does not rebuild its index.
printf '#!/bin/sh\nexit 101\n' >"$T/policy-rc.d"
in_root sh -c 'cat >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d &&
    rm -f /var/lib/man-db/auto-update' <"$T/policy-rc.d"
for d in /etc/webhook-fcgi /var/lib/webhook-fcgi /var/log/webhook-fcgi \
    /usr/lib/cgi-bin/webhook-fcgi; do
	in_root test ! -e "$d" || fail "$d exists before the installation"
done

in_root sh -c "cat >/tmp/${deb##*/}" <"$deb"
in_root apt-get install -y -q --no-install-recommends "/tmp/${deb##*/}" \
    >"$T/apt-install.out" 2>&1 ||
	fail "apt-get install ./${deb##*/}" "$(tail -n 20 "$T/apt-install.out")"
in_root rm "/tmp/${deb##*/}"
assert_match '^install ok installed' \
    "$(in_root dpkg-query -W -f='${Status}' webhook-fcgi)" \
    "apt-get install ./${deb##*/} in a copy of this system ($((SECONDS - start)) s)"
assert_eq "www-data:www-data 750
www-data:www-data 750" "$(in_root stat -c '%U:%G %a' /var/lib/webhook-fcgi \
    /var/log/webhook-fcgi)" "state and log folders: www-data, mode 750"
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' webhook-fcgi)
for f in /etc/webhook-fcgi/webhooks.conf.example \
    /etc/apache2/conf-available/webhook-fcgi.conf \
    /etc/lighttpd/conf-available/50-webhook-fcgi.conf \
    /etc/logrotate.d/webhook-fcgi; do
	assert_match " $f " "$conffiles " "conffile $f"
done
assert_eq "" "$(in_root systemctl is-enabled webhook-worker.service \
    2>/dev/null | grep -x enabled || true)" "the worker is not enabled"

# --- the user's configuration, Apache, a signed delivery ----------------

secret=$(secret_of github)
in_root sh -c 'umask 077 && mkdir -p /etc/webhook-fcgi/secrets &&
    cat >/etc/webhook-fcgi/secrets/github.secret &&
    chown -R www-data:www-data /etc/webhook-fcgi/secrets' <<EOF
$secret
EOF
# Plain HTTP on loopback; a real server has TLS (README).
in_root sh -c 'cp /etc/webhook-fcgi/webhooks.conf.example \
    /etc/webhook-fcgi/webhooks.conf &&
    sed -i "s/^require_https = yes/require_https = no/" \
    /etc/webhook-fcgi/webhooks.conf'
in_root sh -c 'echo mine >/var/lib/webhook-fcgi/notes.txt'
port=$(free_port)
in_root sh -c "a2enmod -q fcgid && a2enconf -q webhook-fcgi &&
    a2dissite -q 000-default &&
    echo 'Listen 127.0.0.1:$port' >/etc/apache2/ports.conf" \
    >"$T/a2en.out" 2>&1 || fail "a2enconf webhook-fcgi" "$(cat "$T/a2en.out")"
assert_eq /etc/apache2/conf-available/webhook-fcgi.conf \
    "$(in_root readlink -f /etc/apache2/conf-enabled/webhook-fcgi.conf)" \
    "a2enconf webhook-fcgi enables the packaged snippet"
in_root sh -c '. /etc/apache2/envvars &&
    mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR" &&
    apache2 -k start' >"$T/apache.out" 2>&1 ||
	fail "apache2 -k start in the copy" "$(cat "$T/apache.out")"
for _ in $(seq 100); do
	apache_pid=$(in_root cat /run/apache2/apache2.pid 2>/dev/null) &&
	    [ -n "$apache_pid" ] && break
	sleep 0.1
done
[ -n "$apache_pid" ] || fail "Apache wrote no PID file"
for _ in $(seq 100); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
	    "http://127.0.0.1:$port/") || true
	[ "$code" != 000 ] && break
	sleep 0.1
done
[ "$code" != 000 ] || fail "Apache in the copy does not answer" \
    "$(in_root tail -n 20 /var/log/apache2/error.log)"

# deliver ID: a signed GitHub delivery through Apache; prints the status.
deliver() {
	make_body github "$1" "$T/$1.body"
	sign github "$T/$1.body" "$secret" "$1"
	post "http://127.0.0.1:$port/hooks/github" "$T/$1.body" "${H[@]}"
}

code=$(deliver deb-1)
[ "$code" = 200 ] || fail "a signed delivery through Apache: $code" \
    "$(cat "$T/resp.body")" "$(in_root tail -n 5 /var/log/apache2/error.log)"
ok "a signed delivery through Apache: 200"
assert_match '"status":"accepted"' "$(cat "$T/resp.body")" "accepted"
assert_eq 1 "$(in_root sqlite3 -cmd '.timeout 5000' \
    /var/lib/webhook-fcgi/webhooks.db \
    "SELECT count(*) FROM deliveries WHERE delivery_id = 'deb-1'")" \
    "the installed handler stored it in /var/lib/webhook-fcgi/webhooks.db"
assert_eq "deb-1 accepted" "$(in_root cat /var/log/webhook-fcgi/github.log |
    jq -r '"\(.id) \(.verdict)"')" "and logged it in /var/log/webhook-fcgi"

# The packaged logrotate configuration, forced: the log is renamed, and
# the running handler writes its next record to a new file by itself.
in_root logrotate -f /etc/logrotate.d/webhook-fcgi >"$T/logrotate.out" 2>&1 ||
	fail "logrotate -f /etc/logrotate.d/webhook-fcgi" "$(cat "$T/logrotate.out")"
rotated=$(in_root sh -c 'ls /var/log/webhook-fcgi/github.log-*')
assert_match '^/var/log/webhook-fcgi/github\.log-[0-9]{8}$' "$rotated" \
    "logrotate renamed the log to a dated name"
assert_eq 200 "$(deliver deb-2)" "the next delivery: 200"
assert_eq "deb-2" "$(in_root cat /var/log/webhook-fcgi/github.log |
    jq -r .id)" "its record is in a new github.log, without a signal"
assert_eq "deb-1" "$(in_root cat "$rotated" | jq -r .id)" \
    "the earlier one stays in the rotated file"
stop_apache

# lighttpd: the packaged snippet enabled as the README says, and the
# configuration with it passes lighttpd's own test.
in_root lighty-enable-mod webhook-fcgi >"$T/lighty.out" 2>&1 ||
	fail "lighty-enable-mod webhook-fcgi" "$(cat "$T/lighty.out")"
in_root lighttpd -tt -f /etc/lighttpd/lighttpd.conf >"$T/lighty.out" 2>&1 ||
	fail "lighttpd -tt with the snippet enabled" "$(cat "$T/lighty.out")"
ok "lighty-enable-mod webhook-fcgi; lighttpd -tt accepts the configuration"

# nginx, when the package has its snippet: included in a server block of
# the user's, as the README says, and nginx -t accepts it.
nginx_site=
if in_root test -f /etc/nginx/snippets/webhook-fcgi.conf; then
	nginx_site=/etc/nginx/sites-enabled/webhooks
	in_root sh -c "printf '%s\n' 'server {' \
	    '	listen 127.0.0.1:$(free_port);' \
	    '	include snippets/webhook-fcgi.conf;' '}' >$nginx_site"
	in_root nginx -t >"$T/nginx.out" 2>&1 ||
		fail "nginx -t with the snippet included" "$(cat "$T/nginx.out")"
	ok "nginx -t accepts snippets/webhook-fcgi.conf in a server block"
fi

# --- remove, then purge ----------------------------------------------------

in_root apt-get remove -y -q webhook-fcgi >"$T/apt-remove.out" 2>&1 ||
	fail "apt-get remove webhook-fcgi" "$(tail -n 20 "$T/apt-remove.out")"
in_root test ! -e /usr/lib/cgi-bin/webhook-fcgi/github.fcgi ||
	fail "github.fcgi is still there after apt-get remove"
for link in /etc/apache2/conf-enabled/webhook-fcgi.conf \
    /etc/lighttpd/conf-enabled/50-webhook-fcgi.conf; do
	in_root test ! -L "$link" ||
		fail "$link still enabled after apt-get remove"
done
in_root test -f /etc/apache2/conf-available/webhook-fcgi.conf ||
	fail "apt-get remove took the Apache snippet (a conffile)"
in_root test -f /var/lib/webhook-fcgi/webhooks.db ||
	fail "apt-get remove took the ledger"
ok "remove: programs gone, both snippets disabled, conffiles and ledger kept"

in_root apt-get purge -y -q webhook-fcgi >"$T/apt-purge.out" 2>&1 ||
	fail "apt-get purge webhook-fcgi" "$(tail -n 20 "$T/apt-purge.out")"
assert_eq "" "$(in_root dpkg-query -W -f='${Status}' webhook-fcgi \
    2>/dev/null | grep installed || true)" "purged ($((SECONDS - start)) s)"
for p in /usr/lib/cgi-bin/webhook-fcgi /usr/bin/webhookctl \
    /etc/webhook-fcgi/webhooks.conf.example /etc/logrotate.d/webhook-fcgi \
    /etc/apache2/conf-available/webhook-fcgi.conf \
    /var/lib/webhook-fcgi/webhooks.db /var/lib/webhook-fcgi/webhooks.db-sync \
    /etc/lighttpd/conf-available/50-webhook-fcgi.conf \
    /var/log/webhook-fcgi; do
	in_root test ! -e "$p" || fail "$p is still there after the purge"
done
ok "purge: conffiles, ledger and logs are gone"
assert_eq "mine" "$(in_root cat /var/lib/webhook-fcgi/notes.txt)" \
    "a file of the user's in /var/lib/webhook-fcgi stays"
assert_eq "$secret" "$(in_root cat /etc/webhook-fcgi/secrets/github.secret)" \
    "the user's secret stays"
in_root test -f /etc/webhook-fcgi/webhooks.conf ||
	fail "the user's webhooks.conf is gone"
if [ -n "$nginx_site" ]; then
	assert_match 'still includes' "$(cat "$T/apt-purge.out")" \
	    "purge warns that nginx still includes the snippet"
	in_root test -f "$nginx_site" || fail "the user's nginx site is gone"
	in_root rm "$nginx_site"
fi
# Everything the copy changed is in the overlay's upper folder: of it,
# only the user's files may still be named webhook.
assert_eq "etc/webhook-fcgi
etc/webhook-fcgi/secrets
etc/webhook-fcgi/secrets/github.secret
etc/webhook-fcgi/webhooks.conf
var/lib/webhook-fcgi
var/lib/webhook-fcgi/notes.txt" "$(cd "$T/upper" && find . -path '*webhook*' \
    -printf '%P\n' | sort)" "nothing else named webhook is left"

ok "$((SECONDS - start)) s in all"
t_done
