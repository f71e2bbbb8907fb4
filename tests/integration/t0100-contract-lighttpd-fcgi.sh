#!/bin/bash
# The HTTP contract of all five handlers behind lighttpd mod_fastcgi,
# several processes per endpoint.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-lighttpd-fcgi
MAX_PROCS=3 contract_run lighttpd-fcgi
t_done
