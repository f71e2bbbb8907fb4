#!/bin/bash
# The HTTP contract of all five handlers behind nginx, fastcgi_pass over
# TCP to 127.0.0.1:PORT: one spawn-fcgi -a/-p process per port, several
# ports per endpoint in an upstream block.  The FastCGI parameters are
# those of the shipped www/nginx/webhook-fcgi.conf.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-nginx-fcgi-tcp
contract_run nginx-fcgi-tcp
t_done
