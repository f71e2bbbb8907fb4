#!/bin/sh
# Runs each unit test binary given as an argument; prints ok or FAIL per
# binary and stops at the first failure (cmocka prints the details).
set -u
pass=0
for t in "$@"; do
	name=$(basename "$t")
	if out=$("$t" 2>&1); then
		echo "ok   unit/$name"
		pass=$((pass + 1))
	else
		printf '%s\n' "$out"
		echo "FAIL unit/$name"
		echo "$pass passed, 1 failed"
		exit 1
	fi
done
echo "unit: $pass passed, 0 failed"
