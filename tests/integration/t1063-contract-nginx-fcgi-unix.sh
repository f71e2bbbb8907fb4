#!/bin/bash
# The HTTP contract of all five handlers behind nginx, fastcgi_pass to
# unix sockets: one spawn-fcgi process per socket, several sockets per
# endpoint in an upstream block.  The FastCGI parameters are those of
# the shipped www/nginx/webhook-fcgi.conf.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-nginx-fcgi-unix
contract_run nginx-fcgi-unix
t_done
