#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz-build`.
#
# usage: tests/fuzz/run.sh smoke|fuzz SECONDS BINDIR TARGET...
#
# For each TARGET it first replays every file of tests/fuzz/corpus/TARGET
# (seeds and findings kept as regression inputs), then fuzzes for SECONDS
# with that corpus, new inputs going to BINDIR/../work/TARGET so that the
# repository is never written to.  A crash, leak, UBSan report, timeout or
# failed property leaves its input in BINDIR/../findings/ and fails the
# run: keep that input as tests/fuzz/corpus/TARGET/regress-<what> once it
# is fixed (tests/fuzz/README.md).  Prints ok or FAIL and the number of
# executions per target, and appends them to BINDIR/../results.tsv.
set -u
cd "$(dirname "$0")/../.." || exit 111
[ $# -ge 4 ] || { echo "usage: $0 smoke|fuzz SECONDS BINDIR TARGET..." >&2; exit 100; }
mode=$1 secs=$2 bin=$3
shift 3
top=$(dirname "$bin")
mkdir -p "$top/findings" "$top/work"
total=0
for t in "$@"; do
	exe=$bin/fuzz-$t corpus=tests/fuzz/corpus/$t work=$top/work/$t
	log=$top/work/$t.log
	mkdir -p "$work"
	[ -x "$exe" ] || { echo "FAIL fuzz/$t: $exe not built"; exit 1; }
	# Replay: each kept input once (-runs=0 runs the corpus only).
	if ! "$exe" -runs=0 -timeout=10 "$corpus" </dev/null >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "FAIL fuzz/$t: a kept input fails again (see above)"
		exit 1
	fi
	# secret_file may name /dev/stdin: give the target nothing to read.
	if ! "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$top/findings/$t-" \
	    "$work" "$corpus" </dev/null >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "FAIL fuzz/$t: finding in $top/findings/ (see above)"
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	size=$(ls "$work" | wc -l)
	total=$((total + ${execs:-0}))
	echo "ok   fuzz/$t: ${execs:-?} runs in $secs s, $(ls "$corpus" |
	    wc -l) kept inputs replayed, $size inputs in $work"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    "$mode" "$t" "$secs" "${execs:-0}" "0" >>"$top/results.tsv"
done
echo "fuzz ($mode): $# targets, $total runs, 0 findings"
