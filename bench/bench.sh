#!/usr/bin/env bash
# bench/bench.sh: `make bench`.  Every target side by side on loopback,
# behind the same lighttpd with the same process count, in rounds that
# alternate the targets (so drift of a noisy machine hits all alike);
# the median of the rounds goes to a table on stdout and to
# bench/RESULTS.md.  Speed is reported, never asserted: the run fails
# only when a genuine delivery is not answered 2xx, or when the logs
# show a delivery lost, failed or counted twice.  One exception, for
# the store = nats targets only: a few answers that are an honest "not
# now" (503 with Retry-After, logged with its reason) are reported but
# do not fail the run; see nats_retryable.
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_SECONDS (5),
# BENCH_THREADS (2), BENCH_CONNECTIONS (16), BENCH_PROCS (2, the
# max-procs of www/lighttpd/fastcgi.conf, as a user would run it),
# BENCH_ONLY (a space-separated subset of target names),
# BENCH_STEADY_RATE (the paced targets' rate in req/s, 2000),
# BENCH_IDS (new signed deliveries made per run, 60000 per second),
# BENCH_RESULTS (where the report goes; bench/RESULTS.md),
# BENCH_LEDGER_10M=1 (also the targets on a ledger of 10 M rows: about
# 17 GB generated once into build/bench-cache/, then a few minutes per
# run), BENCH_MEMLIMIT (the memory limit of the -memlimit targets, 64M:
# a 5 s run touches less than 100 MiB of the ledger, 256M never binds),
# BENCH_SETTLE (seconds to wait after the page cache gave back a GiB or
# more, 60: see ledger_drop).

. "$(dirname "$0")/../tests/lib.sh"
. "$ROOT/bench/peer.sh"
. "$ROOT/tests/nats.sh"

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
# Two, as shipped, not four: on this 2-CPU machine four processes
# spent 187 to 226 us of CPU a relaxed request against 142 to 162, and
# waited 2.3 times as long for a CPU (bench/rounds.sh, 2026-12-05).
PROCS=${BENCH_PROCS:-2}
STEADY_RATE=${BENCH_STEADY_RATE:-2000}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
IDS=${BENCH_IDS:-$((SECONDS_PER_RUN * 60000))}
MEMLIMIT=${BENCH_MEMLIMIT:-64M}
SETTLE=${BENCH_SETTLE:-60}
CACHE=$ROOT/build/bench-cache
CGI=$ROOT/build/cgi-bin
PAYLOADS=$ROOT/bench/payloads

# name|what is measured: the targets, in the order of the table.
TARGETS="
floor|floor: fcgi-echo, 7.3 KiB
github-relaxed|github 7.3 KiB push, relaxed
github-durable|github 7.3 KiB push, durable (default)
github-nats-r1|github 7.3 KiB push, store = nats, R1 stream (3-node cluster)
github-nats-r3|github 7.3 KiB push, store = nats, R3 stream (3-node cluster)
stripe-relaxed|stripe 3.1 KiB event, relaxed
stripe-durable|stripe 3.1 KiB event, durable (default)
github-mixed|github, 20 % duplicates + 20 % bad signatures, durable
github-durable-ledger1m|github 7.3 KiB push, durable, ledger of 1 M past deliveries, warm
github-durable-ledger1m-memlimit|github 7.3 KiB push, durable, ledger of 1 M, memory limited to MEMLIMIT
github-durable-ledger1m-sweep|github 7.3 KiB push, durable, ledger of 1 M, retention sweeping a day per second
github-durable-ledger10m|github 7.3 KiB push, durable, ledger of 10 M past deliveries, warm
github-durable-ledger10m-memlimit|github 7.3 KiB push, durable, ledger of 10 M, memory limited to MEMLIMIT
github-relaxed-steady|github 7.3 KiB push, relaxed, paced to STEADY req/s
github-durable-steady|github 7.3 KiB push, durable, paced to STEADY req/s
floor-1m|floor: fcgi-echo, 1 MiB
github-1m-relaxed|github 1 MiB body, relaxed
github-1m-durable|github 1 MiB body, durable
peer-nocmd|adnanh/webhook 2.8.0, HMAC rule, no command
peer-true|adnanh/webhook 2.8.0, HMAC rule, /bin/true
floor-cgi|floor as CGI: fcgi-echo, 7.3 KiB
github-cgi|github as CGI, 7.3 KiB, durable
github-cgi-static|github as CGI, libraries linked statically (STATIC_LIBS=1)
"

selected() {
	if [ -z "${BENCH_ONLY:-}" ]; then
		case $1 in
		*ledger10m*) [ "${BENCH_LEDGER_10M:-0}" = 1 ]; return ;;
		esac
		return 0
	fi
	case " $BENCH_ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# --- setup ------------------------------------------------------------

setup() {
	local big_max=$((2 * 1024 * 1024))

	server_dir "$T/log" "$T/state"
	mkdir -p "$T/runs" "$T/wrk" "$T/in"
	# A random secret, in files only: never on a command line.
	random_secret "$T/in/secret"
	SECRET=$(cat "$T/in/secret")
	cat >"$T/webhooks.conf" <<EOF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no
log_max_size = 512M
log_keep = 1
secret_file = $T/in/secret

[github-relaxed]
provider = github
durability = relaxed
[github-durable]
provider = github
[github-mixed]
provider = github
[github-relaxed-steady]
provider = github
durability = relaxed
[github-durable-steady]
provider = github
[github-cgi]
provider = github
[github-cgi-static]
provider = github
[stripe-relaxed]
provider = stripe
durability = relaxed
[stripe-durable]
provider = stripe
[github-1m-relaxed]
provider = github
durability = relaxed
max_body = $big_max
[github-1m-durable]
provider = github
max_body = $big_max
EOF
	chmod 644 "$T/webhooks.conf"
	# The handlers run as the server user when we are root.
	[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/in/secret"
	export WEBHOOK_CONFIG=$T/webhooks.conf

	cp "$PAYLOADS/github-push.json" "$T/in/push.json"
	# 1 MiB: the push with its first commit's message padded, still valid
	# JSON, the placeholder (head_commit's id) after the padding.
	python3 - "$PAYLOADS/github-push.json" "$T/in/big.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
raw = json.dumps(doc, separators=(",", ":"))
doc["commits"][0]["message"] += "x" * (1024 * 1024 - len(raw))
open(sys.argv[2], "w").write(json.dumps(doc, separators=(",", ":")))
EOF

	FCGI_PORT=$(free_port)
	MAX_PROCS=$PROCS MAX_BODY_BYTES=$big_max ENDPOINTS="
	    floor:$HELPERS/fcgi-echo floor-1m:$HELPERS/fcgi-echo
	    github-relaxed:$CGI/github.fcgi github-durable:$CGI/github.fcgi
	    github-mixed:$CGI/github.fcgi
	    github-relaxed-steady:$CGI/github.fcgi
	    github-durable-steady:$CGI/github.fcgi
	    stripe-relaxed:$CGI/stripe.fcgi stripe-durable:$CGI/stripe.fcgi
	    github-1m-relaxed:$CGI/github.fcgi
	    github-1m-durable:$CGI/github.fcgi" \
	    start_server lighttpd-fcgi "$FCGI_PORT"
	CGI_PORT=$(free_port)
	make -s -C "$ROOT" BUILD=build/static STATIC_LIBS=1 \
	    build/static/cgi-bin/github.fcgi >&2
	ENDPOINTS="floor-cgi:$HELPERS/fcgi-echo github-cgi:$CGI/github.fcgi
	    github-cgi-static:$ROOT/build/static/cgi-bin/github.fcgi" \
	    start_server lighttpd-cgi "$CGI_PORT"
	PEER_PORT=$(free_port)
	if selected github-nats-r1 || selected github-nats-r3; then
		nats_setup
	fi
	# The copy first: ledger_cache opens the cached file by its own
	# name, and must not while a host serves it under another (each
	# name would get its own write-ahead log).
	if selected github-durable-ledger1m-sweep; then
		ledger_host 1msweep 1000000 copy
	fi
	if selected github-durable-ledger1m ||
	    selected github-durable-ledger1m-memlimit; then
		ledger_host 1m 1000000
	fi
	if selected github-durable-ledger10m ||
	    selected github-durable-ledger10m-memlimit; then
		ledger_host 10m 10000000
	fi
}

# --- ledgers of millions ----------------------------------------------

# ledger_cache ROWS: prints the path of a ledger pre-filled with ROWS
# past deliveries (tests/helpers/ledger-fill: a month of them, bodies
# pruned after 7 days as retention does), made once and kept in
# build/bench-cache/ under the layout and generator versions.  Most
# rows belong to the endpoint "github", the one the bench posts to.
# A run adds rows: those past the generated ones are deleted first.
ledger_cache() {
	local rows=$1 db

	db=$CACHE/ledger-$("$HELPERS/ledger-fill" -v)-$rows.db
	if [ ! -e "$db" ]; then
		# Those of older layouts or generators are of no more use.
		find "$CACHE" -name "ledger-*-$rows.db*" -delete 2>/dev/null
		mkdir -p "$CACHE"
		rm -f "$db.tmp"
		echo "generating $db ($rows rows)" >&2
		"$HELPERS/ledger-fill" -n "$rows" \
		    -b "$PAYLOADS/stripe-event.json" "$db.tmp" \
		    github github stripe-events >&2 ||
			fail "ledger-fill failed"
		mv "$db.tmp" "$db"
	fi
	sqlite3 -cmd '.timeout 10000' "$db" \
	    "DELETE FROM deliveries WHERE id > $rows" >&2 ||
		fail "cannot reset $db: remove it, the next run makes it again"
	echo "$db"
}

# ledger_release: the cached ledgers given back whole.  A host serves
# one under a name in $T, with its write-ahead log beside it, and the
# last handler to close leaves that log in place (ledger.c).  A file
# that needs its log (a copy into it cut short, say) is damaged without
# it, and removing $T removes the log: the 10 M ledger was found damaged
# after such runs (2026-12-04; how exactly was not traced).  So once the
# hosts have stopped, SQLite copies the log into the file under the name
# it was written for (the rows a run added go with it, and ledger_cache
# deletes them before the next run).
ledger_release() {
	local tag db

	for tag in 1m 10m; do
		db=$T/ledger-$tag/state/webhooks.db
		[ -e "$db" ] || continue
		stop_server "ledger-$tag-host"
		sqlite3 -cmd '.timeout 10000' "$db" \
		    "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null ||
			echo "bench: cannot checkpoint $db: its cached file" \
			    "may be damaged; remove it" >&2
	done
}

# ledger_host TAG ROWS [copy]: a lighttpd "host" of its own (state_dir
# is a [global] key) whose ledger is the cached one of ROWS rows, linked
# in (the file is gigabytes) or, for a run that deletes rows, copied,
# serving endpoint "github".
ledger_host() {
	local tag=$1 rows=$2 dir=$T/ledger-$1 db port

	db=$(ledger_cache "$rows")
	server_dir "$dir" "$dir/log" "$dir/state"
	if [ "${3:-}" = copy ]; then
		cp "$db" "$dir/state/webhooks.db"
	else
		ln "$db" "$dir/state/webhooks.db"
	fi
	# The time of the last delivery the generator made.
	eval "LEDGER_${tag}_END=$(sqlite3 "$db" \
	    "SELECT received_at FROM deliveries WHERE id = $rows")"
	[ "$(id -u)" != 0 ] ||
		chown "$(server_user):$(server_group)" "$dir/state/webhooks.db"
	sed -n '/^\[github-relaxed\]/q; p' "$T/webhooks.conf" |
	    sed "s|^log_dir = .*|log_dir = $dir/log|;
		 s|^state_dir = .*|state_dir = $dir/state|" >"$dir/webhooks.conf"
	printf '[github]\nprovider = github\n' >>"$dir/webhooks.conf"
	chmod 644 "$dir/webhooks.conf"
	mkdir -p "$dir/srv/.servers"
	port=$(free_port)
	eval "LEDGER_${tag}_PORT=$port"
	# Its pages in use: runs leave free pages behind (their rows deleted).
	eval "LEDGER_${tag}_BYTES=$(sqlite3 "$db" "SELECT (p.page_count -
	    f.freelist_count) * s.page_size FROM pragma_page_count() p,
	    pragma_freelist_count() f, pragma_page_size() s")"
	eval "LEDGER_${tag}_ROWS=$rows"
	T=$dir/srv WEBHOOK_CONFIG=$dir/webhooks.conf MAX_PROCS=$PROCS \
	    ENDPOINTS="github:$CGI/github.fcgi" \
	    start_server lighttpd-fcgi "$port"
	mv "$dir/srv/.servers/lighttpd-fcgi.pids" \
	    "$T/.servers/ledger-$tag-host.pids"
}

# The memory limit: a cgroup of our own (v1's memory controller, else
# v2), made for one run and holding the web server and its handlers.
# Pages already cached stay charged to whoever read them, so the
# ledger's are dropped from the page cache first (that file only).
CG= CG_N=0
cg_make() {
	local v1=/sys/fs/cgroup/memory v2=/sys/fs/cgroup

	CG_N=$((CG_N + 1))
	if [ -w "$v1/cgroup.procs" ] &&
	    mkdir "$v1/webhook-bench-$$-$CG_N"; then
		CG=$v1/webhook-bench-$$-$CG_N CG_ROOT=$v1
		echo "$MEMLIMIT" >"$CG/memory.limit_in_bytes"
	elif [ -e "$v2/cgroup.controllers" ] &&
	    grep -qw memory "$v2/cgroup.subtree_control" &&
	    mkdir "$v2/webhook-bench-$$-$CG_N"; then
		CG=$v2/webhook-bench-$$-$CG_N CG_ROOT=$v2
		echo "$MEMLIMIT" >"$CG/memory.max"
	else
		fail "no writable cgroup memory controller for the -memlimit targets"
	fi
}

cg_enter() {
	local pid

	cg_make
	for pid in "$@"; do
		echo "$pid" >"$CG/cgroup.procs" 2>/dev/null
	done
}

# cg_leave: the processes back to the root group, and ours removed (its
# page cache charges go to the parent).
cg_leave() {
	local pid

	[ -n "${CG:-}" ] || return 0
	for pid in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		echo "$pid" >"$CG_ROOT/cgroup.procs" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null || true
	CG=
}

mem_free_kib() {
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

# ledger_drop DB: DB's pages out of the page cache, and a pause when
# that gave back a GiB or more.  On this kind of VM (Firecracker, the
# kernel reporting free pages to the host: page_reporting on its command
# line, a virtio balloon) the minute after 17 GB left the page cache was
# slow for every server: a paced durable run that has a p99 of 10 to 15
# ms had 190 to 300 ms, its first round still 240 ms 45 s after the
# drop, fine after 50 s and after 60 s idle (2026-12-04).  That was the
# tail of the memory-limited targets, which ran right after dropping
# what the warm target had read, and of the targets after them.
ledger_drop() {
	local before after

	before=$(mem_free_kib)
	dd of="$1" oflag=nocache conv=notrunc,fdatasync count=0 status=none
	after=$(mem_free_kib)
	if [ $((after - before)) -ge 1048576 ]; then
		echo "  page cache: $(((after - before) / 1048576)) GiB" \
		    "given back, waiting ${SETTLE}s for the machine to settle" >&2
		sleep "$SETTLE"
	fi
}

# ledger_run OUT TAG MEMLIMIT: one run on the ledger host TAG, warm (the
# whole ledger read into the page cache first) or memory-limited.
ledger_run() {
	local out=$1 db=$T/ledger-$2/state/webhooks.db port

	eval "port=\$LEDGER_${2}_PORT"
	if [ "$3" = 1 ]; then
		ledger_drop "$db"
		cg_enter $(server_pids "ledger-$2-host")
	else
		cat "$db" >/dev/null
	fi
	github_run "$out" "http://127.0.0.1:$port/hooks/github" \
	    "$T/in/push.json" "$prefix"
	if [ "$3" = 1 ]; then
		[ ! -e "$CG/memory.max_usage_in_bytes" ] ||
			echo "  memory: peak $(($(cat "$CG/memory.max_usage_in_bytes") / 1048576)) MiB," \
			    "limit hits $(cat "$CG/memory.failcnt")" >&2
		cg_leave
	fi
}

# nats_setup: a 3-node NATS cluster on loopback and, for each of R1 and
# R3, a lighttpd "host" of its own (store is a [global] key) whose
# handlers publish to a stream of that many replicas.
nats_setup() {
	local r conf port

	nats_cluster 3
	for r in 1 3; do
		conf=$T/nats-r$r.conf
		sed -n '/^\[github-relaxed\]/q; p' "$T/webhooks.conf" >"$conf"
		cat >>"$conf" <<EOF
store = nats
nats_url = $NATS_URLS
nats_stream = bench_r$r
nats_replicas = $r

[github-nats-r$r]
provider = github
EOF
		chmod 644 "$conf"
		mkdir -p "$T/nats-r$r-srv/.servers"
		port=$(free_port)
		eval "NATS_R${r}_PORT=$port"
		T=$T/nats-r$r-srv WEBHOOK_CONFIG=$conf MAX_PROCS=$PROCS \
		    ENDPOINTS="github-nats-r$r:$CGI/github.fcgi" \
		    start_server lighttpd-fcgi "$port"
		mv "$T/nats-r$r-srv/.servers/lighttpd-fcgi.pids" \
		    "$T/.servers/nats-r$r-host.pids"
	done
}

# sweep_run OUT ROUND: a run on the copied 1 M ledger while retention
# (tests/helpers/ledger-sweep, ledger_prune as the worker calls it)
# sweeps on a clock running a day per second from the ledger's last
# delivery on, each round going on where the last stopped: in three
# 5 s rounds half the month expires.
sweep_run() {
	local out=$1 db=$T/ledger-1msweep/state/webhooks.db start pid

	start=$((LEDGER_1msweep_END + ($2 - 1) * SECONDS_PER_RUN * 86400000))
	"$HELPERS/ledger-sweep" -x 86400 -t "$start" -s "$SECONDS_PER_RUN" \
	    "$db" >"$T/runs/sweep.$2" 2>&1 &
	pid=$!
	github_run "$out" "http://127.0.0.1:$LEDGER_1msweep_PORT/hooks/github" \
	    "$T/in/push.json" "$prefix"
	wait "$pid" || fail "ledger-sweep failed: $(cat "$T/runs/sweep.$2")"
	# The slowest request of the run, for the 100 ms bound.
	awk '$1 == "Latency" { print $4 }' "$T/wrk/${out##*/}" \
	    >>"$T/runs/sweep.$2"
	echo "  sweep: $(awk 'NR == 1 { printf "%d bodies pruned, %d rows" \
	    " deleted, %d calls, longest %d ms", $1, $2, $3, $4 }
	    NR == 2 { printf "; slowest request %s", $1 }' \
	    "$T/runs/sweep.$2")" >&2
}

# --- one run ----------------------------------------------------------

# to_ms VALUE: wrk's "1.23ms", "456.00us" or "1.02s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) n /= 1000
		else if (v ~ /ms$/) n += 0
		else if (v ~ /m$/) n *= 60000
		else if (v ~ /s$/) n *= 1000
		printf "%.2f", n
	}'
}

# wrk_run OUT URL MODE TEMPLATE SIGS PREFIX [TIMESTAMP [PAUSE_MS
# [COUNT]]]: one wrk run; OUT gets "req/s p50_ms p99_ms non2xx requests
# retryable", the last the 503s with Retry-After among the non-2xx when
# COUNT is "count" (post.lua), else 0.
wrk_run() {
	local out=$1 url=$2 log=$T/wrk/${1##*/} rps p50 p99 bad reqs retry

	shift 2
	wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_PER_RUN}s" \
	    --timeout 10s --latency -s "$ROOT/bench/post.lua" "$url" \
	    -- "$1" "$2" "$3" "$4" "${5:--}" "$THREADS" "${6:-0}" "${7:-}" \
	    >"$log" 2>&1 ||
	    fail "wrk failed on $url: $(tail -n 3 "$log")"
	grep -q 'ran out of signatures' "$log" &&
	    fail "$url: too few precomputed signatures, ids repeated"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
	p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$log")")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$log")")
	bad=$(awk '/Non-2xx/ { print $NF }' "$log")
	reqs=$(awk '/requests in/ { print $1 }' "$log")
	bad=${bad:-0}
	# Socket errors are answers that never came: count them as failures.
	bad=$((bad + $(awk '/Socket errors/ { gsub(",", "");
	    n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$log")))
	retry=$(awk '/^post.lua: non-2xx:/ { print $3 }' "$log")
	echo "$rps $p50 $p99 $bad $reqs ${retry:-0}" >"$out"
}

# signatures SCHEME TEMPLATE PREFIX [TIMESTAMP]: precomputes into
# $T/in/sigs enough new signed deliveries for one run ("id hmac" lines,
# see post.lua).
signatures() {
	"$HELPERS/sign-many" "$@" >"$T/in/sigs" 2>"$T/in/sigs.err" ||
	    fail "sign-many failed: $(cat "$T/in/sigs.err")"
}

# github_run OUT URL TEMPLATE PREFIX [MODE [PAUSE_MS [COUNT]]]: a wrk run
# of new GitHub deliveries made from TEMPLATE.
github_run() {
	signatures github "$T/in/secret" "$3" "$IDS" "$4"
	wrk_run "$1" "$2" "${5:-github}" "$3" "$T/in/sigs" "$4" - "${6:-0}" \
	    "${7:-}"
}

# run_target NAME ROUND: measures NAME once into $T/runs/NAME.ROUND.
run_target() {
	local name=$1 round=$2 out=$T/runs/$1.$2 prefix=r$2$1 ts
	local base=http://127.0.0.1:$FCGI_PORT/hooks

	# Each run starts with the disk idle: without this, the writeback
	# of the run before (gigabytes after a 1 MiB run) delayed the syncs
	# of the next, and a paced durable run's p99 went from 7 to 40 ms.
	sync
	case $name in
	floor | github-relaxed | github-durable)
		github_run "$out" "$base/$name" "$T/in/push.json" "$prefix" ;;
	github-mixed)
		github_run "$out" "$base/$name" "$T/in/push.json" "$prefix" \
		    mixed ;;
	*-steady)
		# Each connection waits its share of the rate between requests.
		github_run "$out" "$base/$name" "$T/in/push.json" "$prefix" \
		    github "$(awk -v c="$CONNECTIONS" -v r="$STEADY_RATE" \
		    'BEGIN { printf "%d", c * 1000 / r }')" ;;
	stripe-*)
		ts=$(date +%s)
		signatures stripe "$T/in/secret" "$PAYLOADS/stripe-event.json" \
		    "$IDS" "$prefix" "$ts"
		wrk_run "$out" "$base/$name" stripe \
		    "$PAYLOADS/stripe-event.json" "$T/in/sigs" "$prefix" "$ts" ;;
	floor-1m | github-1m-*)
		github_run "$out" "$base/$name" "$T/in/big.json" "$prefix" ;;
	peer-*)
		peer_start "$PEER_PORT" "${name#peer-}" "$SECRET"
		github_run "$out" "http://127.0.0.1:$PEER_PORT/hooks/github" \
		    "$T/in/push.json" "$prefix"
		peer_stop ;;
	*-cgi | *-cgi-static)
		github_run "$out" "http://127.0.0.1:$CGI_PORT/hooks/$name" \
		    "$T/in/push.json" "$prefix" ;;
	# Their non-2xx answers sorted by post.lua: see nats_retryable.
	github-nats-r1)
		github_run "$out" "http://127.0.0.1:$NATS_R1_PORT/hooks/$name" \
		    "$T/in/push.json" "$prefix" github 0 count ;;
	github-nats-r3)
		github_run "$out" "http://127.0.0.1:$NATS_R3_PORT/hooks/$name" \
		    "$T/in/push.json" "$prefix" github 0 count ;;
	github-durable-ledger1m-sweep)
		sweep_run "$out" "$round" ;;
	github-durable-ledger*-memlimit)
		ts=${name%-memlimit}
		ledger_run "$out" "${ts#github-durable-ledger}" 1 ;;
	github-durable-ledger*)
		ledger_run "$out" "${name#github-durable-ledger}" 0 ;;
	esac
	# The 1 MiB runs write gigabytes: drop their rows between runs,
	# once the requests wrk left in flight are done (a delete holding
	# the lock past db_timeout would fail them).
	case $name in
	github-1m-*)
		sleep 3
		sqlite3 -cmd '.timeout 5000' "$T/state/webhooks.db" \
		    "DELETE FROM deliveries WHERE endpoint = '$name'" ;;
	esac
	printf '  %-20s round %s: %s\n' "$name" "$round" "$(cat "$out")" >&2
}

# --- figures ----------------------------------------------------------

# median NAME COLUMN: the median over the rounds of one column.
median() {
	cat "$T"/runs/"$1".* | awk -v c="$2" '{ print $c }' | sort -g |
	    awk '{ v[NR] = $1 } END { printf "%s", v[int((NR + 1) / 2)] }'
}

# total NAME COLUMN: the sum over the rounds of one column.
total() {
	cat "$T"/runs/"$1".* | awk -v c="$2" '{ s += $c } END { print s + 0 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b;
	    else printf "-" }'
}

# floor_of NAME: the target NAME is compared with.
floor_of() {
	case $1 in
	*ledger*) echo floor ;;
	*-cgi | *-cgi-static) echo floor-cgi ;;
	*1m*) echo floor-1m ;;
	*) echo floor ;;
	esac
}

# peak_rss NAME: "VmHWM RssAnon" (KiB) of the FastCGI process of endpoint
# NAME with the largest VmHWM; the environment tells them apart.  Most
# of VmHWM is library code shared by every process; RssAnon is what the
# process holds of its own.
peak_rss() {
	local pid max=0 anon=0 kb

	for pid in $(server_pids lighttpd-fcgi); do
		grep -qs "^WEBHOOK_ENDPOINT=$1\$" <(tr '\0' '\n' \
		    <"/proc/$pid/environ" 2>/dev/null) || continue
		kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
		if [ "${kb:-0}" -gt "$max" ]; then
			max=$kb
			anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status")
		fi
	done
	echo "$max $anon"
}

# mixed_duplicates: github-mixed's duplicates are exactly its repeats:
# each repeats a delivery accepted once under the same id, and there is
# one in five requests (from the 15th of each thread), give or take what
# was in flight when wrk stopped.  A genuine delivery answered duplicate
# (a new id, a new body) fails it.
mixed_duplicates() {
	local reqs lo hi odd dup

	read -r dup odd < <(cat "$T/log/github-mixed".log* |
	    jq -r 'select(.verdict == "accepted" or .verdict == "duplicate") |
	    "\(.verdict) \(.id)"' | awk '
	    $1 == "accepted" { acc[$2]++ }
	    $1 == "duplicate" { dup[$2]++; n++ }
	    END { for (i in acc) if (acc[i] > 1) odd++
		  for (i in dup) if (!(i in acc)) odd++
		  print n + 0, odd + 0 }')
	reqs=$(total github-mixed 5)
	lo=$(((reqs - CONNECTIONS * ROUNDS) / 5 - 3 * THREADS * ROUNDS))
	hi=$(((reqs + CONNECTIONS * ROUNDS) / 5 + THREADS * ROUNDS))
	if [ "$odd" != 0 ] || [ "$dup" -lt "$lo" ] || [ "$dup" -gt "$hi" ]; then
		echo "FAIL: github-mixed: $dup duplicates for $reqs requests" \
		    "(expected $lo to $hi), $odd ids accepted twice or" \
		    "answered duplicate unsent before" >&2
		return 1
	fi
}

# check_logs: what the handlers' logs say must match what wrk saw.
check_logs() {
	local name failed dup rejected late problems=0 tag n

	for name in github-relaxed github-durable github-nats-r1 \
	    github-nats-r3 stripe-relaxed \
	    stripe-durable github-1m-relaxed github-1m-durable github-mixed \
	    github-relaxed-steady github-durable-steady github-cgi \
	    github-cgi-static; do
		selected "$name" || continue
		failed=$(cat "$T/log/$name".log* 2>/dev/null |
		    grep -c '"verdict":"failed"' || true)
		dup=$(cat "$T/log/$name".log* 2>/dev/null |
		    grep -c '"verdict":"duplicate"' || true)
		rejected=$(cat "$T/log/$name".log* 2>/dev/null |
		    grep -c '"verdict":"rejected"' || true)
		# A NATS target's logged 503s are judged by nats_retryable.
		case $name in
		github-nats-*)
			failed=$(cat "$T/log/$name".log* 2>/dev/null | jq -c \
			    'select(.verdict == "failed" and .status != 503)' |
			    wc -l) ;;
		esac
		if [ "$failed" != 0 ]; then
			echo "FAIL: $name: $failed deliveries failed:" >&2
			cat "$T/log/$name".log* | grep '"verdict":"failed"' |
			    grep -o '"reason":"[^"]*"' | sort | uniq -c >&2
			problems=1
		fi
		if [ "$name" = github-mixed ]; then
			# Every non-2xx answer is a bad signature, nothing else.
			# wrk does not count answers still in flight when it stops.
			late=$((rejected - $(total "$name" 4)))
			if [ "$late" -lt 0 ] || [ "$late" -gt $((CONNECTIONS * ROUNDS)) ] ||
			    [ "$dup" = 0 ]; then
				echo "FAIL: $name: $rejected rejected in the log," \
				    "$(total "$name" 4) non-2xx seen, $dup duplicates" >&2
				problems=1
			fi
			mixed_duplicates || problems=1
		elif [ "$dup" != 0 ] || [ "$rejected" != 0 ]; then
			echo "FAIL: $name: $dup duplicates, $rejected rejected" \
			    "among unique genuine deliveries" >&2
			problems=1
		fi
	done
	for tag in 1m 1msweep 10m; do
		[ -d "$T/ledger-$tag/log" ] || continue
		n=$(cat "$T/ledger-$tag/log/github".log* 2>/dev/null |
		    grep -c '"verdict":"\(failed\|duplicate\|rejected\)"' || true)
		if [ "$n" != 0 ]; then
			echo "FAIL: ledger of $tag rows: $n deliveries failed," \
			    "rejected or duplicate" >&2
			problems=1
		fi
	done
	return "$problems"
}

# nats_retryable NAME: true when the non-2xx answers a store = nats
# target got (if any) are all honest "not now"s, which a provider
# retries (GitHub, Stripe and the others resend on a 5xx): the run then
# reports them (table, summary) without failing.  Only for the NATS
# targets, whose store is a cluster of other processes that can be busy
# for a moment (a leader election, a stream still being made); a SQLite
# target has no such excuse.  All of these must hold:
#  - every non-2xx wrk saw was a 503 carrying Retry-After (post.lua
#    counts them), none another status, no socket error or timeout;
#  - the handlers logged at least as many 503s, each with a reason, and
#    not more than the requests wrk left in flight could add;
#  - there were at most 1 per 1,000 requests (at least 1 allowed): more
#    is a receiver that cannot keep up, and fails the run.
nats_retryable() {
	local name=$1 bad retry reqs logged limit

	bad=$(total "$name" 4)
	retry=$(total "$name" 6)
	reqs=$(total "$name" 5)
	logged=$(cat "$T/log/$name".log* 2>/dev/null | jq -c \
	    'select(.verdict == "failed" and .status == 503 and
	    (.reason // "") != "")' | wc -l)
	limit=$((reqs / 1000))
	[ "$limit" -ge 1 ] || limit=1
	[ "$bad" = "$retry" ] && [ "$logged" -ge "$retry" ] &&
	    [ "$logged" -le $((retry + CONNECTIONS * ROUNDS)) ] &&
	    [ "$retry" -le "$limit" ]
}

# retryable_summary: a line per NATS target whose 503s nats_retryable
# let through, with the logged reasons.
retryable_summary() {
	local name

	for name in github-nats-r1 github-nats-r3; do
		selected "$name" && [ "$(total "$name" 4)" != 0 ] ||
			continue
		nats_retryable "$name" || continue
		echo "- $name: $(total "$name" 4) of $(total "$name" 5)" \
		    "requests answered 503 with Retry-After (retryable," \
		    "not counted as a failure), logged as:" \
		    "$(cat "$T/log/$name".log* | jq -r 'select(.verdict ==
		    "failed") | .reason' | sort | uniq -c |
		    awk '{ n = $1; $1 = ""; printf "%s%d x \"%s\"",
		    (NR > 1 ? "; " : ""), n, substr($0, 2) }')."
	done
}

# scale_points: "ROWS KIND REQ/S P99" of the empty and pre-filled
# ledgers' targets that ran, for bench/scale-plot.py.
scale_points() {
	local name rows kind

	for name in github-durable github-durable-ledger1m \
	    github-durable-ledger1m-memlimit github-durable-ledger10m \
	    github-durable-ledger10m-memlimit; do
		selected "$name" && ls "$T"/runs/"$name".* >/dev/null 2>&1 ||
			continue
		case $name in
		*10m*) rows=10000000 ;;
		*1m*) rows=1000000 ;;
		*) rows=0 ;;
		esac
		case $name in
		*-memlimit) kind=memlimit ;;
		*) kind=warm ;;
		esac
		echo "$rows $kind $(median "$name" 1) $(median "$name" 3)"
	done
}

# ledger_sizes: one line on the pre-filled ledgers' size.
ledger_sizes() {
	local tag rows bytes line=

	for tag in 1m 10m; do
		eval "rows=\${LEDGER_${tag}_ROWS:-}"
		eval "bytes=\${LEDGER_${tag}_BYTES:-}"
		[ -n "$rows" ] || continue
		line="$line${line:+; }$tag rows: $(awk -v b="$bytes" -v r="$rows" \
		    'BEGIN { printf "%.2f GB, %.2f GB per million deliveries",
		    b / 1e9, b / 1e9 / (r / 1e6) }')"
	done
	[ -z "$line" ] ||
		echo "Pre-filled ledgers (a month of deliveries, bodies kept 7 days, as made by tests/helpers/ledger-fill): $line."
}

# --- the run ----------------------------------------------------------

machine() {
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- cpu: $(nproc) x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "- kernel: $(uname -sr); memory: $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "- filesystem of the logs and ledger: $(df -T "$T" | awk 'NR == 2 { print $2 }')"
	echo "- $(lighttpd -v 2>&1 | head -n 1); wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }'); $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/SQLite /')"
	echo "- load: wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s, $PROCS FastCGI processes per endpoint, median of $ROUNDS alternating rounds"
}

table() {
	local line name what rps p50 p99 bad floor peer peer_here rss

	peer=$(median peer-nocmd 1)
	echo "| target | req/s | p50 ms | p99 ms | ratio to floor | ratio to adnanh/webhook | non-2xx | peak RSS (private) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	while IFS='|' read -r name what; do
		[ -n "$name" ] && selected "$name" || continue
		rps=$(median "$name" 1)
		p50=$(median "$name" 2)
		p99=$(median "$name" 3)
		bad=$(total "$name" 4)
		floor=$(median "$(floor_of "$name")" 1)
		what=${what/STEADY/$STEADY_RATE}
		what=${what/MEMLIMIT/$MEMLIMIT}
		case $name in
		floor* | peer* | *-cgi | *-cgi-static | *-nats-* | *ledger*)
			rss=- ;;
		*) rss=$(peak_rss "$name" | awk '{ printf "%.1f (%.1f) MiB",
		    $1 / 1024, $2 / 1024 }') ;;
		esac
		# A paced target's rate is ours to choose: no ratio.
		case $name in
		*-steady) floor=0 peer_here=0 ;;
		*) peer_here=$peer ;;
		esac
		printf '| %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$what" \
		    "$rps" "$p50" "$p99" "$(ratio "$rps" "$floor")" \
		    "$(ratio "$rps" "$peer_here")" "$bad" "$rss"
	done <<<"$TARGETS"
}

main() {
	local round line name worker= wnats=

	t_init bench
	# set +e first: under set -e a non-zero status in the trap (the
	# failure being reported) would end it before t_cleanup, leaving
	# every server of the run behind (seen).
	trap 'bench_rc=$?; set +e; cg_leave; ledger_release;
	    (exit $bench_rc); t_cleanup' EXIT
	setup
	for round in $(seq 1 "$ROUNDS"); do
		echo "round $round of $ROUNDS" >&2
		while IFS='|' read -r name _; do
			[ -n "$name" ] && selected "$name" || continue
			run_target "$name" "$round"
		done <<<"$TARGETS"
	done
	if selected worker; then
		echo "worker" >&2
		worker=$(bash "$ROOT/bench/worker.sh") ||
			fail "bench/worker.sh failed"
	fi
	if selected worker-nats; then
		echo "worker-nats" >&2
		wnats=$(bash "$ROOT/bench/worker-nats.sh") ||
			fail "bench/worker-nats.sh failed"
	fi
	{
		echo "# Benchmark results"
		echo
		echo "Written by \`make bench\` (bench/bench.sh); README.md, Benchmark, reads it."
		echo
		machine
		echo
		table
		echo
		cat <<'EOF'
Reproduce: `make bench` (installs wrk and webhook if missing; about
thirteen minutes).  BENCH_ROUNDS, BENCH_SECONDS, BENCH_PROCS,
BENCH_CONNECTIONS and BENCH_ONLY="floor github-relaxed ..." change the
run; BENCH_LEDGER_10M=1 adds the ledger of 10 M rows (17 GB, made once
into build/bench-cache/; the run takes about 26 minutes then),
BENCH_MEMLIMIT (64M) sets the -memlimit targets' cgroup limit, and
BENCH_SETTLE (60) the pause after a memory-limited target dropped a
GiB or more from the page cache.

- Every target gets the same wrk script (bench/post.lua): each request
  a new delivery (its own id, in the body too, so the signed bytes
  differ as between real pushes or events) with a valid signature
  precomputed by tests/helpers/sign-many; bodies from bench/payloads.
- "ratio to floor" compares with fcgi-echo, a libfcgi responder that
  reads the body and answers 200, behind the same lighttpd with the
  same process count (1 MiB and CGI targets with their own floor).
- "ratio to adnanh/webhook" compares with the peer without a command.
- The paced targets send at a steady rate (each connection waits its
  share between requests) instead of as fast as the server answers:
  their p99 is the latency of a server with room to spare, the others'
  that of a saturated one.
- peak RSS is the largest VmHWM among the endpoint's processes; in
  brackets its RssAnon, the memory that is the process's own (the rest
  is library code shared by all processes).
- The run fails if a genuine delivery gets a non-2xx, or if the
  handlers' logs show a failed, duplicate or rejected delivery where
  none was sent (the mixed run must reject exactly its bad signatures).
  Except on the store = nats targets: a 503 with Retry-After that the
  handler logged with its reason (a cluster busy for a moment; the
  provider resends it) is counted in non-2xx and listed below the
  table, and fails the run only beyond 1 per 1,000 requests.
- "ledger of N": the same deliveries into a ledger pre-filled with a
  month of N past ones (tests/helpers/ledger-fill); warm has the file
  in the page cache, "memory limited" runs the server in a cgroup of
  that size with the file's pages dropped first.
EOF
		line=$(retryable_summary)
		if [ -n "$line" ]; then
			echo
			echo "Retryable answers of the store = nats targets" \
			    "(503 with Retry-After; a provider resends them):"
			echo "$line"
		fi
		if [ -n "$worker" ]; then
			echo
			echo "Worker: $(awk '$1 == "worker_throughput_per_s" { print $2 }' <<<"$worker") deliveries/s through /bin/true" \
			    "($(awk '$1 == "worker_n" { print $2 }' <<<"$worker") deliveries, workers = $(awk '$1 == "worker_jobs" { print $2 }' <<<"$worker"));" \
			    "pickup (acceptance to command start) p50 $(awk '$1 == "pickup_p50_ms" { print $2 }' <<<"$worker") ms," \
			    "p99 $(awk '$1 == "pickup_p99_ms" { print $2 }' <<<"$worker") ms over $(awk '$1 == "pickup_n" { print $2 }' <<<"$worker") deliveries."
		fi
		if [ -n "$wnats" ]; then
			echo
			echo "Worker, store = nats (R3, 3-node cluster):" \
			    "$(awk '$1 == "nats_worker_throughput_per_s" { print $2 }' <<<"$wnats") deliveries/s through /bin/true" \
			    "($(awk '$1 == "worker_n" { print $2 }' <<<"$wnats") deliveries, workers = $(awk '$1 == "worker_jobs" { print $2 }' <<<"$wnats"); one synchronous Ack per delivery)."
		fi
		if [ -n "${LEDGER_1m_ROWS:-}${LEDGER_10m_ROWS:-}" ]; then
			echo
			ledger_sizes
		fi
		if selected github-durable-ledger1m-sweep; then
			echo
			echo "Retention during load (github-durable-ledger1m-sweep):" \
			    "$(cat "$T"/runs/sweep.* | awk 'NF == 4 { b += $1;
			    r += $2; c += $3; if ($4 > m) m = $4 }
			    NF == 1 { w = w (w == "" ? "" : ", ") $1 } END {
			    printf "%d bodies pruned and %d rows deleted in %d" \
			    " calls of ledger_prune, the longest %d ms;" \
			    " slowest request of each round %s", b, r, c, m,
			    w }')."
		fi
		# What metrics.fcgi's counters add to every request.
		echo
		echo "Metrics: $("$HELPERS/bench-counters")" \
		    "(common/counters.c, on the delivery path once per request)."
	} >"$T/results.md"
	cat "$T/results.md"
	scale_points >"$T/scale.txt"
	if [ "$(awk '$1 > 0' "$T/scale.txt" | wc -l)" -gt 0 ]; then
		python3 "$ROOT/bench/scale-plot.py" "$T/scale.svg" \
		    <"$T/scale.txt" || fail "bench/scale-plot.py failed"
	fi
	check_logs || fail "the logs do not match the load"
	# Non-2xx for genuine deliveries fail the run; the mixed run's are
	# its bad signatures, checked against the log above; a NATS
	# target's few retryable 503s are reported (nats_retryable).
	while IFS='|' read -r name _; do
		[ -n "$name" ] && selected "$name" || continue
		[ "$name" = github-mixed ] && continue
		[ "$(total "$name" 4)" != 0 ] || continue
		case $name in
		github-nats-*)
			if nats_retryable "$name"; then
				echo "note: $name: $(total "$name" 4) retryable" \
				    "503s with Retry-After, reported, not a failure" >&2
				continue
			fi ;;
		esac
		fail "$name answered non-2xx to genuine deliveries"
	done <<<"$TARGETS"
	cp "$T/results.md" "$RESULTS"
	echo "written to $RESULTS" >&2
	if [ -e "$T/scale.svg" ]; then
		cp "$T/scale.svg" "$(dirname "$RESULTS")/scale.svg"
		echo "written to $(dirname "$RESULTS")/scale.svg" >&2
	fi
}

main "$@"
