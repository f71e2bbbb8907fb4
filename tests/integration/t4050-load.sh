#!/bin/bash
# Load and reconciliation.  LOAD_N genuine deliveries (default 2,000;
# `make soak` sends 20,000), half GitHub and half Stripe, each with its
# own body and signature, go through lighttpd to 4 FastCGI processes per
# endpoint, LOAD_P at a time (default 32), mixed in random order with a
# slice of forged (5 %), unsigned (1 %) and duplicate (5 %) ones.  The
# log rotates by size all along (log_max_size = 256k) and is also renamed
# away from outside every half second, as a logrotate would.  Then the
# figures must reconcile exactly:
#  - every genuine and duplicate delivery answered 200, every forged and
#    unsigned one 401, no other status, no 5xx;
#  - one ledger row per genuine delivery, no more;
#  - one log line per request, all whole JSON: as many "accepted" records
#    as genuine deliveries (each id once), as many "duplicate" records as
#    resends, as many 401 records as forgeries and unsigned requests.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init load
build_helpers
N=${LOAD_N:-2000}
PAR=${LOAD_P:-32}
port=$(free_port)
busy_pair_start "$port"
base=http://127.0.0.1:$port/hooks
ts=$(date +%s)

# Bodies, then all signatures of an endpoint in one hmac-sign run.
mkdir "$T/b"
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then
		make_body github "L$i" "$T/b/g$i"
	else
		make_body stripe "L$i" "$T/b/s$i"
	fi
done
(cd "$T/b" && ls g* >../g.list && ls s* >../s.list)
(cd "$T/b" && xargs "$HELPERS/hmac-sign" -k "$(secret_of github)" \
    <../g.list) | paste -d' ' "$T/g.list" - >"$T/g.sigs"
(cd "$T/b" && xargs "$HELPERS/hmac-sign" -k "$(secret_of stripe)" \
    -p "$ts." <../s.list) | paste -d' ' "$T/s.list" - >"$T/s.sigs"

# req KIND FILE SIG: one transfer of curl's config; the write-out line is
# "STATUS KIND ENDPOINT ID".
req() {
	local kind=$1 f=$2 sig=$3 ep id

	case $f in
	g*) ep=github id=L${f#g} ;;
	s*) ep=stripe id=evt_L${f#s} ;;
	esac
	echo "next"
	echo "url = \"$base/$ep\""
	echo "data-binary = \"@$T/b/$f\""
	echo 'header = "Content-Type: application/json"'
	case $ep:$kind in
	*:unsigned) ;;
	github:*)
		echo "header = \"X-Hub-Signature-256: sha256=$sig\""
		echo "header = \"X-GitHub-Delivery: $id\""
		echo 'header = "X-GitHub-Event: push"' ;;
	stripe:*) echo "header = \"Stripe-Signature: t=$ts,v1=$sig\"" ;;
	esac
	echo 'output = "/dev/null"'
	echo "write-out = \"%{http_code} $kind $ep $id\\n\""
}

cat "$T/g.sigs" "$T/s.sigs" >"$T/all.sigs"
{
	while read -r f sig; do
		req genuine "$f" "$sig"
	done <"$T/all.sigs"
	# Forged: every hex digit of the genuine signature changed.
	shuf -n $((N / 20)) "$T/all.sigs" | while read -r f sig; do
		req forged "$f" "$(printf '%s' "$sig" | tr 0-9a-f 1-9a-f0)"
	done
	shuf -n $((N / 100)) "$T/all.sigs" | while read -r f sig; do
		req unsigned "$f" ""
	done
	shuf -n $((N / 20)) "$T/all.sigs" | while read -r f sig; do
		req duplicate "$f" "$sig"
	done
} >"$T/reqs"
# Shuffle whole transfers (10 lines each at most), then drop the first
# "next": curl's config starts with the global options.
awk 'BEGIN { RS = "next\n"; ORS = "" } NF { gsub(/\n/, "\t"); print $0 "\n" }' \
    "$T/reqs" | shuf | awk 'NR > 1 { print "next" } { gsub(/\t/, "\n");
    printf "%s", $0 }' >"$T/body.cfg"
{
	echo "parallel"
	echo "parallel-max = $PAR"
	cat "$T/body.cfg"
} >"$T/load.cfg"
total=$(grep -c '^url' "$T/load.cfg")

# Outside rotation while the load runs.
rotator() {
	local k=0

	while :; do
		sleep 0.5
		k=$((k + 1))
		mv "$T/log/github.log" "$T/log/github.log.ext$k" 2>/dev/null ||
			true
		mv "$T/log/stripe.log" "$T/log/stripe.log.ext$k" 2>/dev/null ||
			true
	done
}
rotator &
rot=$!
start=$(date +%s%N)
curl -sS --no-progress-meter --http1.1 --max-time 120 -K "$T/load.cfg" \
    >"$T/codes" 2>"$T/curl.err" || true
ms=$((($(date +%s%N) - start) / 1000000))
kill "$rot" 2>/dev/null || true
wait "$rot" 2>/dev/null || true
[ "$(ls "$T"/log/*.ext* | wc -l)" -gt 0 ] || fail "nothing was renamed"

echo "# $total requests in $ms ms: $((total * 1000 / (ms + 1))) requests/s" \
    "at concurrency $PAR, 8 FastCGI processes"
awk '{ print $1, $2 }' "$T/codes" | sort | uniq -c | sed 's/^/#   /'
assert_eq "$total" "$(wc -l <"$T/codes")" "an answer for each of $total requests"
assert_eq "" "$(awk '($2 == "genuine" || $2 == "duplicate") && $1 != 200 ||
    ($2 == "forged" || $2 == "unsigned") && $1 != 401' "$T/codes")" \
    "every status as expected: 200 genuine and duplicate, 401 the rest"
assert_eq 0 "$(grep -c '^5' "$T/codes" || true)" "no 5xx"

for ep in github stripe; do
	want=$(grep -c " genuine $ep " "$T/codes")
	assert_eq "$want" "$(ledger "SELECT count(*) FROM deliveries
	    WHERE endpoint = '$ep'")" "$ep: $want ledger rows"
	assert_eq "$want" "$(ledger "SELECT count(DISTINCT delivery_id)
	    FROM deliveries WHERE endpoint = '$ep'")" "$ep: each id once"
done

files=$(ls "$T"/log/*.log* | grep -v '\.lock$')
cat $files | jq -c '{endpoint, status, verdict, id}' >"$T/records" ||
	fail "a log line is not whole JSON"
assert_eq "$total" "$(wc -l <"$T/records")" \
    "$total log lines across $(echo "$files" | wc -l) files"
count() {
	jq -r "select($1) | .id" "$T/records" | wc -l
}
genuine=$(grep -c ' genuine ' "$T/codes")
assert_eq "$genuine" "$(count '.verdict == "accepted"')" \
    "accepted records: one per genuine delivery"
assert_eq "$genuine" "$(jq -r 'select(.verdict == "accepted") | .id' \
    "$T/records" | sort -u | wc -l)" "each id accepted once"
assert_eq "$(grep -c ' duplicate ' "$T/codes")" \
    "$(count '.verdict == "duplicate"')" "duplicate records: one per resend"
assert_eq "$(grep -c ' forged \| unsigned ' "$T/codes")" \
    "$(count '.status == 401')" "401 records: one per forgery or unsigned"
assert_eq 0 "$(count '.status >= 500')" "no 5xx record"
echo "# log files at the end: $(echo "$files" | wc -l)" \
    "(size rotation and $(echo "$files" | grep -c ext) renamed from outside)"
stop_server lighttpd-fcgi
t_done
