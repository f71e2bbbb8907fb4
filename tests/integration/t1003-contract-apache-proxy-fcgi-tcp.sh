#!/bin/bash
# The HTTP contract of all five handlers behind Apache mod_proxy_fcgi
# over TCP (fcgi://127.0.0.1:PORT/): one spawn-fcgi -a/-p process per
# port, several ports per endpoint behind mod_proxy_balancer.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-apache-proxy-fcgi-tcp
contract_run apache-proxy-fcgi-tcp
t_done
