#!/bin/bash
# Where WEBHOOK_ATTEMPT comes from with store = nats, shown on a real
# 3-node cluster (not part of make check; about 40 s a mode):
#
#   bench/nats-attempt.sh stall     # followers SIGSTOPped meanwhile
#   bench/nats-attempt.sh control   # the same without that
#
# Worker A, connected to the consumer leader only, takes a delivery whose
# command hangs (attempt 1 = the server's NumDelivered); A is killed -9,
# then the consumer leader node too; worker B, on the other two nodes,
# gets the delivery again.  The consumer leader records a delivery in
# its raft log only after handing the message out.  With "stall" that
# record cannot reach the followers (stopped), so the leader elected
# after the kill has no trace of the delivery and hands it out again at
# once, as new: B runs it with attempt 1 again.  With "control" the
# record is replicated, and B runs it after the lease with attempt 2.
# nats-server 2.9.10: stall gave "1 1", control "1 2" (see README,
# "Scaling out").  That was before the run records: now A must write
# slow1's run record through a quorum before starting it, so with
# "stall" A runs nothing and slow1 runs once, on B (t6070 tests it).
. "$(dirname "$0")/../tests/lib.sh"
. "$(dirname "$0")/../tests/contract.sh"
. "$(dirname "$0")/../tests/nats.sh"
t_init nats-attempt
MODE=${1:-stall}
case $MODE in stall | control) ;; *) echo "usage: $0 [stall|control]" >&2; exit 100 ;; esac
WORKER=$BUILD_DIR/bin/webhook-worker
nats_cluster 3
server_dir "$T/log" "$T/state" "$T/out"
chmod 777 "$T/out"
cat >"$T/cmd.sh" <<'X'
#!/bin/sh
cat >/dev/null
echo "$WEBHOOK_ID $WEBHOOK_ATTEMPT $PPID $$" >>OUT/runs
case $WEBHOOK_ID in slow*) exec sleep 60 ;; esac
exit 0
X
sed -i "s|OUT|$T/out|" "$T/cmd.sh"; chmod 755 "$T/cmd.sh"
nats_worker_conf "$T/all.conf" "$NATS_URLS"
export WEBHOOK_CONFIG=$T/all.conf
port=$(free_port)
ENDPOINTS="github:$CGI_DIR/github.fcgi" start_server lighttpd-fcgi "$port"
mkdir -p "$T/w0"
# A first delivery makes the stream and the consumer.
spawn_bg w0 "$WORKER" -v --lease-margin 1 --grace 2
[ "$(nats_post "http://127.0.0.1:$port/hooks/github" w0 40)" = 200 ] ||
	fail "w0 not accepted"
for i in $(seq 1 50); do [ -s "$T/out/runs" ] && break; sleep 0.2; done
stop_server w0

# A talks to the consumer leader L only, B to the two others (F).
nats_split_workers nats_worker_conf "$WORKER"

# slow1 is stored while both workers are stopped; then only A runs.
kill -STOP "$A" "$B"
[ "$(nats_post "http://127.0.0.1:$port/hooks/github" slow1 40)" = 200 ] ||
	fail "slow1 not accepted"
if [ "$MODE" = stall ]; then
	for i in $F; do kill -STOP "$(server_pid "nats-$i")"; done
fi
kill -CONT "$A"
for i in $(seq 1 150); do
	grep -q '^slow1' "$T/out/runs" && break
	sleep 0.1
done
grep -q '^slow1' "$T/out/runs" || fail "slow1 did not start on A" \
    "$(tail -n 3 "$T/wa/stdout.log")"
read -r _ _ _ cpid <<<"$(grep '^slow1' "$T/out/runs")"
kill -KILL "$A" "$cpid"
rm -f "$T/.servers/wa.pids"
sleep 0.5
nats_kill "$L"
if [ "$MODE" = stall ]; then
	for i in $F; do kill -CONT "$(server_pid "nats-$i")"; done
fi
kill -CONT "$B"
for i in $(seq 1 150); do
	[ "$(grep -c '^slow1' "$T/out/runs")" -ge 2 ] && break
	sleep 0.2
done
echo "$MODE: slow1 ran with WEBHOOK_ATTEMPT $(awk '$1 == "slow1" {
    print $2 }' "$T/out/runs" | tr '\n' ' ')(on A, then on B)"
