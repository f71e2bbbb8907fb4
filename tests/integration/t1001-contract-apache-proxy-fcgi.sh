#!/bin/bash
# The HTTP contract of all five handlers behind Apache mod_proxy_fcgi:
# the handlers run apart from Apache, one spawn-fcgi process per socket,
# several sockets per endpoint behind mod_proxy_balancer.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-apache-proxy-fcgi
contract_run apache-proxy-fcgi
t_done
