#!/bin/sh
# The command the webhook-worker tests configure:
#
#	worker-cmd.sh MODE DIR [ARG]
#
# Every mode leaves its side effects in DIR, one line per run with
# O_APPEND (>>), so that runs can be counted afterwards.  Times are Unix
# milliseconds.
set -u
mode=$1
dir=$2
id=$WEBHOOK_ID
now() { date +%s%3N; }

case $mode in
record)	# succeeds; keeps the environment, the body and the start time
	echo "$(now) $id $WEBHOOK_ATTEMPT" >>"$dir/runs"
	env >"$dir/env.$id"
	cat >"$dir/body.$id"
	echo "recorded $id"
	;;
count)	# the side effect the exactly-once test counts
	echo "$id" >>"$dir/count"
	;;
flaky)	# fails the first ARG attempts, then succeeds
	echo "$(now) $id $WEBHOOK_ATTEMPT" >>"$dir/runs"
	if [ "$WEBHOOK_ATTEMPT" -le "$3" ]; then
		echo "flaky: attempt $WEBHOOK_ATTEMPT fails" >&2
		exit 1
	fi
	;;
fail)	# always fails, saying why on standard error
	echo "$(now) $id $WEBHOOK_ATTEMPT" >>"$dir/runs"
	echo "boom: attempt $WEBHOOK_ATTEMPT of $id" >&2
	exit 3
	;;
hang)	# never ends; a grandchild ignores SIGTERM, so only the group's
	# SIGKILL ends it
	(trap '' TERM; exec sleep 60) &
	echo "$$ $(ps -o pgid= -p $$ | tr -d ' ') $!" >"$dir/hang.$id"
	wait
	;;
slow)	# takes ARG seconds
	echo "start $id $WEBHOOK_ATTEMPT" >>"$dir/runs"
	sleep "$3"
	echo "end $id $WEBHOOK_ATTEMPT" >>"$dir/runs"
	;;
latency)	# when it started, to compare with the ledger's received_at
	echo "$id $(now)" >>"$dir/starts"
	;;
*)
	echo "worker-cmd.sh: unknown mode '$mode'" >&2
	exit 100
	;;
esac
