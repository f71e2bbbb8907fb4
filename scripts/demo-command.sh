#!/bin/sh
# The command make run's demo configuration gives the worker: it appends
# one line per delivery to var/processed.log.  A real command reads the
# body from standard input and uses WEBHOOK_ID to stay idempotent.
set -eu
out=${WEBHOOK_DEMO_OUT:-$(dirname "$0")/../var/processed.log}
bytes=$(wc -c)
printf '%s %s %s %s %s bytes\n' "$(date -u +%FT%TZ)" "$WEBHOOK_ENDPOINT" \
    "$WEBHOOK_EVENT" "$WEBHOOK_ID" "$bytes" >>"$out"
