#!/bin/bash
# The HTTP contract of all five handlers behind Caddy, reverse_proxy with
# transport fastcgi to unix sockets (one spawn-fcgi process per socket,
# several per endpoint), over HTTPS with a certificate of Caddy's
# internal CA (tls internal): require_https endpoints accept, since
# Caddy passes HTTPS=on.  Everything Caddy writes stays in $T.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init contract-caddy-fcgi
TLS=1 contract_run caddy-fcgi
t_done
