#!/bin/bash
# Wake-up without busy polling: a delivery accepted while the worker is
# idle starts within a fraction of a second (printed: acceptance, the
# ledger's received_at, to the command's first instruction), and an idle
# worker uses next to no CPU (printed; asserted below 0.5 s over 3 s).
. "$(dirname "$0")/../lib.sh"
t_init worker-latency
. "$ROOT/tests/helpers/worker-lib.sh"

N=${N:-20}
worker_config <<CONF
durability = full

[github]
provider = github
secret = $W_SECRET
command = $WCMD latency $T/out
CONF
deliver github warm-up push
start_worker worker
wait_for 5 "the worker is up" is_state github warm-up done

for i in $(seq 1 "$N"); do
	# Arrive at random points of the worker's 50 ms poll period.
	sleep "0.$((RANDOM % 200 + 100))"
	deliver github "l$i" push
done
wait_for 10 "all $N done" eval \
    '[ "$(q "SELECT count(*) FROM deliveries WHERE state = '"'done'"'")" \
    = $((N + 1)) ]'

q "SELECT delivery_id, received_at FROM deliveries WHERE delivery_id
    LIKE 'l%'" | tr '|' ' ' | sort >"$T/received"
sort "$T/out/starts" | join "$T/received" - |
    awk '{ print $3 - $2 }' >"$T/latency"
assert_eq "$N" "$(wc -l <"$T/latency")" "a start time for each delivery"
read -r avg max < <(awk '{ s += $1; if ($1 > m) m = $1 }
    END { printf "%d %d\n", s / NR, m }' "$T/latency")
echo "# pickup latency over $N deliveries: average $avg ms, max $max ms" \
    "(acceptance to command start)"
ok "pickup latency measured: average $avg ms"

pid=$(server_pid worker)
sleep 0.5
before=$(cpu_ticks "$pid")
sleep 3
after=$(cpu_ticks "$pid")
hz=$(getconf CLK_TCK)
ms=$(((after - before) * 1000 / hz))
echo "# idle worker: $ms ms of CPU over 3 s ($((after - before)) ticks of" \
    "1/$hz s)"
[ "$ms" -lt 500 ] || fail "idle worker used $ms ms of CPU in 3 s"
ok "idle CPU $ms ms over 3 s"
t_done
