#!/bin/bash
# The HTTP contract of all five handlers behind lighttpd mod_cgi: the same
# binaries, one process per request.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-lighttpd-cgi
contract_run lighttpd-cgi
t_done
