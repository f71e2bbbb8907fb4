#!/bin/bash
# HTTPS and the source of a request: require_https accepts TLS and
# refuses plain HTTP (403); X-Forwarded-Proto counts only when it comes
# from one of trusted_proxies; allow_from limits the source address,
# which behind a trusted proxy is the client its X-Forwarded-For names.
# Four servers at once, one per kind (tests/lib.sh runs one server per
# kind): lighttpd-fcgi and apache-fcgid over TLS, lighttpd-cgi and
# apache-cgi over plain HTTP, all on the same configuration.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
t_init https

server_dir "$T/log" "$T/state"
secret=$(secret_of github)
cat >"$T/webhooks.conf" <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
provider = github
secret = $secret

# require_https = yes is the default; these endpoints rely on it.
[strict]

[proxied]
trusted_proxies = 127.0.0.1

[proxied-lan]
trusted_proxies = 10.0.0.0/8

[allow-other]
require_https = no
allow_from = 127.0.0.2

[allow-lo]
require_https = no
allow_from = 127.0.0.0/8, ::1

# Behind a proxy on 127.0.0.1 (the test client plays it), for clients
# of 203.0.113.0/24 only.
[allow-forwarded]
require_https = no
trusted_proxies = 127.0.0.1
allow_from = 203.0.113.0/24
CONF
export WEBHOOK_CONFIG=$T/webhooks.conf

eps=
for e in strict proxied proxied-lan allow-other allow-lo allow-forwarded; do
	eps="$eps $e:$CGI_DIR/github.fcgi"
done

declare -A url
for kind in lighttpd-fcgi apache-fcgid; do
	port=$(free_port)
	TLS=1 ENDPOINTS=$eps start_server "$kind" "$port"
	url[$kind]=https://127.0.0.1:$port
done
for kind in lighttpd-cgi apache-cgi; do
	port=$(free_port)
	ENDPOINTS=$eps start_server "$kind" "$port"
	url[$kind]=http://127.0.0.1:$port
done

n=0
# deliver KIND ENDPOINT WANT WHAT [CURL-ARGS...]: a genuine delivery,
# answered WANT; an accepted one must be in the ledger, a refused one
# must not.
deliver() {
	local kind=$1 ep=$2 want=$3 what=$4 id

	shift 4
	n=$((n + 1))
	id="$kind-$ep-$n-$$"
	make_body github "$id" "$T/body"
	sign github "$T/body" "$secret" "$id"
	code=$(post "${url[$kind]}/hooks/$ep" "$T/body" "${H[@]}" "$@")
	assert_eq "$want" "$code" "$kind: $ep: $what answers $want"
	if [ "$want" = 200 ]; then
		assert_eq 1 "$(rows "$ep" "$id")" "$kind: $ep: $what stored"
		assert_eq accepted "$(last_log "$ep" verdict)" \
		    "$kind: $ep: $what logged as accepted"
	else
		assert_eq 0 "$(rows "$ep" "$id")" \
		    "$kind: $ep: $what not stored"
		assert_eq "$want" "$(last_log "$ep" status)" \
		    "$kind: $ep: $what logged as $want"
	fi
}

xfp=(-H 'X-Forwarded-Proto: https')

for kind in lighttpd-fcgi apache-fcgid; do
	deliver "$kind" strict 200 "TLS"
	# Over TLS the header is irrelevant, even from an untrusted peer.
	deliver "$kind" proxied-lan 200 "TLS with X-Forwarded-Proto"
done

for kind in lighttpd-cgi apache-cgi; do
	deliver "$kind" strict 403 "plain HTTP"
	assert_match 'plain HTTP' "$(last_log strict reason)" \
	    "$kind: strict: the log says plain HTTP"
	deliver "$kind" strict 403 "plain HTTP claiming https, no proxies" \
	    "${xfp[@]}"
	deliver "$kind" proxied 200 "X-Forwarded-Proto from a trusted proxy" \
	    "${xfp[@]}"
	deliver "$kind" proxied 403 "X-Forwarded-Proto: http" \
	    -H 'X-Forwarded-Proto: http'
	deliver "$kind" proxied 403 "plain HTTP without X-Forwarded-Proto"
	deliver "$kind" proxied-lan 403 "X-Forwarded-Proto from elsewhere" \
	    "${xfp[@]}"
	assert_match 'plain HTTP' "$(last_log proxied-lan reason)" \
	    "$kind: proxied-lan: the log says plain HTTP"

	deliver "$kind" allow-other 403 "from 127.0.0.1"
	assert_match 'allow_from' "$(last_log allow-other reason)" \
	    "$kind: allow-other: the log names allow_from"
	# The servers listen on 127.0.0.1; the client may still speak
	# from another loopback address.
	deliver "$kind" allow-other 200 "from 127.0.0.2" \
	    --interface 127.0.0.2
	deliver "$kind" allow-lo 200 "from 127.0.0.1"

	deliver "$kind" allow-forwarded 200 "for an allowed client" \
	    -H 'X-Forwarded-For: 203.0.113.9'
	# The proxy appends: what lies left of the client is the client's.
	deliver "$kind" allow-forwarded 200 "for a client claiming another" \
	    -H 'X-Forwarded-For: 198.51.100.7, 203.0.113.9'
	deliver "$kind" allow-forwarded 403 "for another client" \
	    -H 'X-Forwarded-For: 203.0.113.9, 198.51.100.7'
	assert_match 'not in allow_from: 198[.]51[.]100[.]7 [(]X-Forwarded-For[)]' \
	    "$(last_log allow-forwarded reason)" \
	    "$kind: allow-forwarded: the log names the client refused"
	deliver "$kind" allow-forwarded 403 "without X-Forwarded-For"
	assert_match 'not in allow_from: 127[.]0[.]0[.]1$' \
	    "$(last_log allow-forwarded reason)" \
	    "$kind: allow-forwarded: the log names the proxy refused"
	deliver "$kind" allow-forwarded 403 "for a client not an address" \
	    -H 'X-Forwarded-For: unknown'
	assert_match 'not a list of addresses' \
	    "$(last_log allow-forwarded reason)" \
	    "$kind: allow-forwarded: the log says the header is unusable"
	# From a peer that is no trusted proxy, the header means nothing.
	deliver "$kind" allow-forwarded 403 "X-Forwarded-For from elsewhere" \
	    -H 'X-Forwarded-For: 203.0.113.9' --interface 127.0.0.2
done

t_done
