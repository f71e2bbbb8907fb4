#!/bin/sh
# Installs the Debian 12 packages webhook-fcgi needs, when any is missing.
# usage: scripts/deps.sh run|check|bench
#   run    what `make run` needs: compiler, libraries, lighttpd
#   check  what `make check` needs on top: Apache, cmocka, fuzzing, tools
#   bench  what `make bench` needs on top: wrk, the peer (adnanh/webhook)
# Needs root to install; without root it prints the command to run.
set -eu

run_pkgs="gcc make pkg-config libc6-dev libfcgi-dev libssl-dev libjson-c-dev
libsqlite3-dev libinih-dev libcurl4-openssl-dev libseccomp-dev lighttpd
curl openssl sqlite3 jq"
check_pkgs="$run_pkgs libcmocka-dev apache2 libapache2-mod-fcgid spawn-fcgi
clang libclang-rt-14-dev valgrind mandoc iproute2 procps"
bench_pkgs="$check_pkgs wrk webhook python3"

case "${1:-check}" in
run) want=$run_pkgs ;;
check) want=$check_pkgs ;;
bench) want=$bench_pkgs ;;
*) echo "usage: $0 run|check|bench" >&2; exit 100 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: run  sudo apt-get install -y$missing" >&2
	exit 111
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts the packaged web servers; we run our own instances only.
for svc in apache2 lighttpd webhook; do
	if command -v systemctl >/dev/null 2>&1 &&
	    systemctl is-active --quiet "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
	fi
done
exit 0
