#!/bin/bash
# The HTTP contract of all five handlers behind Apache mod_cgid: the same
# binaries, one process per request.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-apache-cgi
contract_run apache-cgi
t_done
