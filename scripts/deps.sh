#!/bin/sh
# Installs the Debian 12 packages webhook-fcgi needs, when any is missing.
# usage: scripts/deps.sh run|check|bench|sdk|deb
#   run    what `make run` needs: compiler, libraries, lighttpd
#   check  what `make check` needs on top: Apache, nginx, Caddy,
#          systemd's tools, cmocka, fuzzing, tools,
#          promtool (of prometheus) for the metrics test, chromium for
#          the console's browser test (tests/browser), what the
#          package test (t1060) needs to build the package,
#          and the SDK harness: node and npm (Debian's nodejs and npm when
#          there is no node at all), then `npm ci` in tests/sdk when its
#          node_modules is missing or older than package-lock.json
#   bench  what `make bench` needs on top: wrk, the peer (adnanh/webhook)
#   sdk    only the `npm ci` in tests/sdk and tests/browser
#   deb    what `make deb` needs on top of run: the Debian packaging tools
# Needs root to install; without root it prints the command to run.
set -eu

run_pkgs="gcc make pkg-config libc6-dev libfcgi-dev libssl-dev libjson-c-dev
libsqlite3-dev libinih-dev libcurl4-openssl-dev libseccomp-dev libnats-dev
lighttpd curl openssl sqlite3 jq nats-server"
check_pkgs="$run_pkgs lighttpd-mod-openssl libcmocka-dev apache2 libapache2-mod-fcgid spawn-fcgi
nginx caddy systemd clang libclang-rt-14-dev valgrind mandoc iproute2 procps
prometheus chromium debhelper dpkg-dev fakeroot lintian logrotate"
bench_pkgs="$check_pkgs wrk webhook python3"
deb_pkgs="$run_pkgs debhelper dpkg-dev fakeroot lintian"

tests=$(cd "$(dirname "$0")/../tests" && pwd)

# npm_install DIR: `npm ci` in tests/DIR unless node_modules was installed
# from this very package-lock.json (its digest is kept in node_modules).
npm_install() {
	stamp=$tests/$1/node_modules/.webhook-fcgi-lock
	want_sum=$(sha256sum <"$tests/$1/package-lock.json")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_sum" ]; then
		return 0
	fi
	echo "npm ci in tests/$1"
	(cd "$tests/$1" && npm ci --no-audit --no-fund --loglevel=error) ||
		exit 111
	printf '%s\n' "$want_sum" >"$stamp"
}

# sdk_install: the SDK harness (tests/sdk) and the console's browser test
# (tests/browser, puppeteer-core driving Debian's chromium).
sdk_install() {
	npm_install sdk
	npm_install browser
}

case "${1:-check}" in
run) want=$run_pkgs ;;
check) want=$check_pkgs ;;
bench) want=$bench_pkgs ;;
sdk) sdk_install; exit 0 ;;
deb) want=$deb_pkgs ;;
*) echo "usage: $0 run|check|bench|sdk|deb" >&2; exit 100 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
# Any node 18 or later will do (NodeSource's packages ship npm inside
# nodejs); only a machine without one gets Debian's.
case ${1:-check} in check|bench) node=yes ;; *) node=no ;; esac
if [ "$node" = yes ] && { ! command -v node >/dev/null 2>&1 ||
    ! command -v npm >/dev/null 2>&1; }; then
	missing="$missing nodejs npm"
fi
if [ -z "$missing" ]; then
	[ "$node" = no ] || sdk_install
	exit 0
fi

echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: run  sudo apt-get install -y$missing" >&2
	exit 111
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts the packaged web servers; we run our own instances only
# (a fresh machine's nginx or Caddy would hold port 80 otherwise).
for svc in apache2 lighttpd nginx caddy webhook nats-server; do
	if command -v systemctl >/dev/null 2>&1 &&
	    systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
	fi
done
[ "$node" = no ] || sdk_install
exit 0
