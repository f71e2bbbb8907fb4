#!/bin/bash
# The HTTP contract of all five handlers behind Apache mod_fcgid, which
# spawns and supervises the FastCGI processes itself.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-apache-fcgid
MAX_PROCS=3 contract_run apache-fcgid
t_done
