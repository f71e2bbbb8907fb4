# shellcheck shell=bash
# tests/nats.sh: a real NATS JetStream cluster on loopback for the tests
# of store = nats.  Sourced after lib.sh.  Every node is a nats-server
# process with its own config, store_dir and log under $T/nats-N; each is
# recorded in $T/.servers like the web servers, so t_cleanup stops it by
# PID.  Ports come from free_port.
#
#	nats_cluster 3		# writes configs, starts, waits for a leader
#	nats_cluster 1		# one plain server (no cluster block)
#	nats_kill 2		# kill -9 of node 2
#	nats_start 2		# the same node again, same store_dir
#	nats_wait_ready		# every running node sees a meta leader
#	$NATS_URLS		# "nats://127.0.0.1:p1,nats://127.0.0.1:p2,..."
#
# NATS_EXTRA, when set, is added to every node's configuration (e.g. an
# authorization block).

NATS_N=0
NATS_URLS=

# nats_cluster N: configures and starts N nodes; waits until ready.
nats_cluster() {
	local n=$1 i routes= c r m

	command -v nats-server >/dev/null ||
		fail "nats-server is not installed (scripts/deps.sh check)"
	NATS_N=$n
	NATS_URLS=
	for i in $(seq 1 "$n"); do
		c=$(free_port)
		r=$(free_port)
		m=$(free_port)
		mkdir -p "$T/nats-$i/store"
		echo "$c $r $m" >"$T/nats-$i/ports"
		routes="$routes nats-route://127.0.0.1:$r"
		NATS_URLS="$NATS_URLS${NATS_URLS:+,}nats://127.0.0.1:$c"
	done
	for i in $(seq 1 "$n"); do
		read -r c r m <"$T/nats-$i/ports"
		cat >"$T/nats-$i/nats.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:$c
http: 127.0.0.1:$m
jetstream { store_dir: "$T/nats-$i/store" }
${NATS_EXTRA:-}
CONF
		# One node is a plain server: a cluster of one never forms.
		[ "$n" -eq 1 ] || cat >>"$T/nats-$i/nats.conf" <<CONF
cluster {
	name: webhooks-test
	listen: 127.0.0.1:$r
	routes: [ $(echo "$routes" | sed 's/^ //; s/ /, /g') ]
}
CONF
	done
	for i in $(seq 1 "$n"); do
		nats_start "$i"
	done
	nats_wait_ready
}

# nats_test_config FILE: test_config's [global] head (lib.sh), with
# store = nats on this cluster; the test appends the rest with cat >>.
nats_test_config() {
	test_config "$1"
	printf 'store = nats\nnats_url = %s\n' "$NATS_URLS" >>"$1"
}

# nats_start I: starts node I (again).
nats_start() {
	[ ! -e "$T/.servers/nats-$1.pids" ] ||
		fail "nats_start: node $1 is already running"
	spawn_bg "nats-$1" nats-server -c "$T/nats-$1/nats.conf" \
	    -l "$T/nats-$1/nats.log"
}

# nats_kill I: SIGKILL of node I, as a crash would do.
nats_kill() {
	local pid

	pid=$(server_pid "nats-$1")
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$T/.servers/nats-$1.pids"
}

# nats_monitor I PATH: GETs a monitoring page of node I.
nats_monitor() {
	local c r m

	read -r c r m <"$T/nats-$1/ports"
	curl -s --max-time 2 "http://127.0.0.1:$m$2"
}

# nats_wait_ready [SECONDS]: waits (default 30 s) until every running
# node's /jsz names a meta leader (/healthz says ok too early).
nats_wait_ready() {
	local limit=${1:-30} i t leader pending

	for t in $(seq 1 $((limit * 5))); do
		pending=
		for i in $(seq 1 "$NATS_N"); do
			[ -e "$T/.servers/nats-$i.pids" ] || continue
			if [ "$NATS_N" -eq 1 ]; then
				# No meta group without a cluster.
				leader=$(nats_monitor "$i" /healthz |
				    jq -r 'select(.status == "ok") | .status' \
				    2>/dev/null) || true
			else
				leader=$(nats_monitor "$i" /jsz | jq -r \
				    '.meta_cluster.leader // empty' 2>/dev/null) ||
					true
			fi
			[ -n "$leader" ] || pending="$pending $i"
		done
		[ -z "$pending" ] && return 0
		sleep 0.2
	done
	fail "nats: nodes$pending have no meta leader after ${limit}s" \
	    "$(tail -n 5 "$T"/nats-*/nats.log)"
}

# nats_stream_msgs [STREAM]: messages in the stream, as a node sees it.
nats_stream_msgs() {
	local i

	for i in $(seq 1 "$NATS_N"); do
		[ -e "$T/.servers/nats-$i.pids" ] || continue
		nats_monitor "$i" "/jsz?streams=true" | jq -r --arg s \
		    "${1:-webhooks}" '[.account_details[]?.stream_detail[]? |
		    select(.name == $s) | .state.messages] | first // empty'
		return 0
	done
}

# nats_stream_leader [STREAM]: the number of the node leading the stream.
nats_stream_leader() {
	local i name

	for i in $(seq 1 "$NATS_N"); do
		[ -e "$T/.servers/nats-$i.pids" ] || continue
		name=$(nats_monitor "$i" "/jsz?streams=true" | jq -r --arg s \
		    "${1:-webhooks}" '[.account_details[]?.stream_detail[]? |
		    select(.name == $s) | .cluster.leader] | first // empty')
		[ -n "$name" ] && echo "${name#n}" && return 0
	done
	return 1
}

# nats_post URL ID [TRIES]: posts a signed GitHub delivery ID (its body
# in $T/b.ID) to URL, up to TRIES times (default 1) 0.5 s apart until one
# is a 200; prints the last status.  Needs contract.sh.  The first
# delivery also makes the stream, a moment's work on a new cluster.
nats_post() {
	local url=$1 id=$2 i code

	make_body github "$id" "$T/b.$id"
	sign github "$T/b.$id" "$(secret_of github)" "$id"
	for i in $(seq 1 "${3:-1}"); do
		code=$(post "$url" "$T/b.$id" "${H[@]}")
		[ "$code" = 200 ] && break
		[ "$i" = "${3:-1}" ] || sleep 0.5
	done
	echo "$code"
}

# nats_consumer_leader [STREAM [CONSUMER]]: the number of the node leading
# the consumer (default webhooks, workers).
nats_consumer_leader() {
	local i name

	for i in $(seq 1 "$NATS_N"); do
		[ -e "$T/.servers/nats-$i.pids" ] || continue
		name=$(nats_monitor "$i" "/jsz?consumers=true" | jq -r --arg s \
		    "${1:-webhooks}" --arg c "${2:-workers}" \
		    '[.account_details[]?.stream_detail[]? | select(.name ==
		    $s) | .consumer_detail[]? | select(.name == $c) |
		    .cluster.leader] | first // empty')
		[ -n "$name" ] && echo "${name#n}" && return 0
	done
	return 1
}

# nats_consumer_elections: how many times a node took the lead of the
# workers' consumer so far, from every node's log.
nats_consumer_elections() {
	cat "$T"/nats-*/nats.log 2>/dev/null |
	    grep -c "new consumer leader for '.* > workers'" || true
}

# nats_two_hosts [GLOBAL_LINES]: two receiver "hosts" on the cluster, each
# a lighttpd with its own configuration ($T/a.conf, $T/b.conf: GLOBAL_LINES
# added to [global]) and its own log and state folders ($T/a, $T/b),
# serving /hooks/github; sets NATS_PORT_A and NATS_PORT_B.  Host b's
# web server is recorded as "host-b" in $T/.servers.
nats_two_hosts() {
	local h bconf

	for h in a b; do
		server_dir "$T/$h/log" "$T/$h/state"
		cat >"$T/$h.conf" <<CONF
[global]
log_dir = $T/$h/log
state_dir = $T/$h/state
require_https = no
store = nats
nats_url = $NATS_URLS
nats_replicas = 3
${1:-}

[github]
provider = github
secret = It's a Secret to Everybody
CONF
	done
	NATS_PORT_A=$(free_port)
	NATS_PORT_B=$(free_port)
	WEBHOOK_CONFIG=$T/a.conf MAX_PROCS=2 \
	    ENDPOINTS="github:$CGI_DIR/github.fcgi" \
	    start_server lighttpd-fcgi "$NATS_PORT_A"
	# The second host: the same harness under its own directory.
	mkdir -p "$T/b-srv/.servers"
	bconf=$T/b.conf
	T=$T/b-srv WEBHOOK_CONFIG=$bconf MAX_PROCS=2 \
	    ENDPOINTS="github:$CGI_DIR/github.fcgi" \
	    start_server lighttpd-fcgi "$NATS_PORT_B"
	cp "$T/b-srv/.servers/lighttpd-fcgi.pids" "$T/.servers/host-b.pids"
	rm "$T/b-srv/.servers/lighttpd-fcgi.pids"
}

# nats_split_workers CONF WORKER: for a consumer leader change under a
# running delivery (bench/nats-attempt.sh, t6070).  Worker "wa" talks to
# the workers' consumer leader L only, "wb" to the other nodes F; CONF is
# a function writing a configuration: CONF FILE URLS.  Sets L, F (node
# numbers) and A, B (the workers' PIDs), after 2 s to settle.
nats_split_workers() {
	local conf=$1 worker=$2 i c urls=

	L=$(nats_consumer_leader) || fail "no consumer leader"
	read -r c _ <"$T/nats-$L/ports"
	"$conf" "$T/a.conf" "nats://127.0.0.1:$c"
	F=
	for i in $(seq 1 "$NATS_N"); do
		[ "$i" != "$L" ] || continue
		F="$F $i"
		read -r c _ <"$T/nats-$i/ports"
		urls="$urls${urls:+,}nats://127.0.0.1:$c"
	done
	"$conf" "$T/b.conf" "$urls"
	mkdir -p "$T/wa" "$T/wb"
	WEBHOOK_CONFIG=$T/a.conf spawn_bg wa "$worker" -v --lease-margin 1 \
	    --grace 2
	WEBHOOK_CONFIG=$T/b.conf spawn_bg wb "$worker" -v --lease-margin 1 \
	    --grace 2
	sleep 2
	A=$(server_pid wa)
	B=$(server_pid wb)
}

# nats_worker_conf FILE URLS: a configuration with store = nats on URLS,
# one github endpoint, command $T/cmd.sh with a timeout of 4 s, 4 at
# once (bench/nats-attempt.sh, t6070).
nats_worker_conf() {
	test_config "$1"
	cat >>"$1" <<CONF
store = nats
nats_url = $2
command = $T/cmd.sh
timeout = 4s
workers = 4

[github]
provider = github
secret = $(secret_of github)
CONF
}
