#!/bin/sh
# Builds the Debian package from a copy of the source tree (dpkg-buildpackage
# writes its results next to the tree it builds, so never in the checkout's
# parent), then checks it with lintian.
# usage: scripts/deb.sh BUILD VERSION
# Leaves BUILD/webhook-fcgi_<version>_<arch>.deb and BUILD/deb/lintian.txt.
set -eu

build=$1
version=$2
root=$(cd "$(dirname "$0")/.." && pwd)

changelog=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
if [ "$changelog" != "$version" ]; then
	echo "deb: debian/changelog is at $changelog, the Makefile at" \
	    "$version: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
arch=$(dpkg --print-architecture)
deb=webhook-fcgi_${version}_$arch.deb

mkdir -p "$build"
out=$(cd "$build" && pwd)/deb
rm -rf "$out"
mkdir -p "$out/webhook-fcgi-$version"
# The tree as it is, uncommitted changes included, without what git
# ignores (build output, tests/sdk/node_modules); a plain copy otherwise.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$root" && git ls-files -co --exclude-standard |
	    while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done |
	    tar -cf - -T -) | tar -xf - -C "$out/webhook-fcgi-$version"
else
	(cd "$root" && tar -cf - --exclude=./build --exclude=./var \
	    --exclude=node_modules --exclude="./$build" .) |
	    tar -xf - -C "$out/webhook-fcgi-$version"
fi

echo "deb: dpkg-buildpackage in $out (log: $out/build.log)"
# Not the calling make's variables (BUILD=... would reach debian/rules'
# make through MAKEFLAGS, and its clean would remove our output).
if ! (cd "$out/webhook-fcgi-$version" &&
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
    DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed" >&2
	exit 1
fi
cp "$out/$deb" "$build/$deb"

# Errors and warnings fail; each override in
# debian/webhook-fcgi.lintian-overrides says why it is there.
if ! lintian --fail-on error,warning --info "$build/$deb" \
    >"$out/lintian.txt" 2>&1; then
	cat "$out/lintian.txt" >&2
	echo "deb: lintian found problems" >&2
	exit 1
fi
grep -v -e '^N:' -e 'running with root' "$out/lintian.txt" || true
echo "deb: $build/$deb"
