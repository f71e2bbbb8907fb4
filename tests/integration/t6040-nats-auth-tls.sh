#!/bin/bash
# store = nats over TLS with a password: a 3-node cluster whose client
# port requires TLS with a client certificate (verify) and a user and
# password, with a throwaway CA made here.
#  (a) nats_tls_ca + nats_tls_cert/key + nats_user/nats_password_file:
#      a signed delivery through lighttpd is a 200 and the worker runs
#      its command;
#  (b) a wrong password file: 503 with Retry-After, the log record says
#      "authorization" and holds neither password; a worker exits 111
#      saying so;
#  (c) the password is in no process listing (handlers, worker) and in
#      no log under the test's folder;
#  (d) a CA that did not sign the servers' certificate: 503 saying TLS;
#  (e) webhookctl check-config says which of the two is wrong, exit 1;
#  (f) the servers' password changed: a running FastCGI handler answers
#      503, and 200 again once the file has the new one (no restart).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../nats.sh"
t_init nats-auth-tls
WORKER=$BUILD_DIR/bin/webhook-worker
ctl=$BUILD_DIR/bin/webhookctl

# pki NAME CN [SAN]: NAME.key and NAME.pem signed by ca (or, for a CA,
# self-signed).
pki() {
	local d=$T/pki

	mkdir -p "$d"
	case $1 in
	ca | otherca)
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
		    -keyout "$d/$1.key" -out "$d/$1.pem" >>"$d/openssl.log" 2>&1
		;;
	*)
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
		    -keyout "$d/$1.key" -out "$d/$1.csr" >>"$d/openssl.log" 2>&1 &&
		printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" >"$d/$1.ext" &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.pem" \
		    -CAkey "$d/ca.key" -CAcreateserial -days 2 \
		    -extfile "$d/$1.ext" -out "$d/$1.pem" >>"$d/openssl.log" 2>&1
		;;
	esac || fail "openssl: cannot make $1" "$(cat "$d/openssl.log")"
}
pki ca "webhook-fcgi test CA"
pki otherca "some other CA"
pki server localhost "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
pki client webhook-fcgi
chmod 755 "$T/pki"
chmod 644 "$T"/pki/*.pem
chmod 600 "$T"/pki/*.key
[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/pki/client.key"

pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
badpw=wrong-$(head -c 9 /dev/urandom | base64 | tr -d '/+=\n')
(umask 077; printf '%s\n' "$pw" >"$T/nats.pw"; printf '%s\n' "$badpw" >"$T/bad.pw")
[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/nats.pw" "$T/bad.pw"
NATS_EXTRA="tls {
	cert_file: \"$T/pki/server.pem\"
	key_file: \"$T/pki/server.key\"
	ca_file: \"$T/pki/ca.pem\"
	verify: true
	timeout: 2
}
authorization { user: hook, password: \"$pw\" }" nats_cluster 3
server_dir "$T/log" "$T/state" "$T/out"
chmod 777 "$T/out"
printf '#!/bin/sh\necho "$WEBHOOK_ID $WEBHOOK_ATTEMPT" >>%s/out/runs\n' "$T" \
    >"$T/cmd.sh"
chmod 755 "$T/cmd.sh"

# config FILE PASSWORD_FILE CA: a configuration for the github endpoint.
config() {
	nats_test_config "$1"
cat >>"$1" <<CONF
nats_user = hook
nats_password_file = $2
nats_tls_ca = $3
nats_tls_cert = $T/pki/client.pem
nats_tls_key = $T/pki/client.key
command = $T/cmd.sh
timeout = 5s

[github]
provider = github
secret = It's a Secret to Everybody
CONF
	chmod 644 "$1"
}
config "$T/good.conf" "$T/nats.pw" "$T/pki/ca.pem"

# --- (a) all right: 200, and the worker runs the command ------------------
port=$(free_port)
WEBHOOK_CONFIG=$T/good.conf ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"
code=$(nats_post "http://127.0.0.1:$port/hooks/github" t1 40)
assert_eq 200 "$code" "TLS with a client certificate and a password: 200"
mkdir -p "$T/worker"
WEBHOOK_CONFIG=$T/good.conf spawn_bg worker "$WORKER" -v
for i in $(seq 1 100); do
	[ -s "$T/out/runs" ] && break
	sleep 0.2
done
assert_eq "t1 1" "$(cat "$T/out/runs" 2>/dev/null)" \
    "the worker, over TLS too, ran the command"

# --- (b) a wrong password -------------------------------------------------
config "$T/bad.conf" "$T/bad.pw" "$T/pki/ca.pem"
cport=$(free_port)
WEBHOOK_CONFIG=$T/bad.conf ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-cgi "$cport"
code=$(nats_post "http://127.0.0.1:$cport/hooks/github" t2)
assert_eq 503 "$code" "a wrong password: 503"
assert_match '^Retry-After: [0-9]+' "$(tr -d '\r' <"$T/resp.headers" |
    grep -i '^retry-after')" "with Retry-After"
rec=$(grep '"t2"' "$T/log/github.log" | tail -n 1)
assert_match '[Aa]uthoriz' "$(echo "$rec" | jq -r .reason)" \
    "the log record says authorization"
case $rec in
*"$pw"* | *"$badpw"*) fail "the log record holds a password" "$rec" ;;
esac
ok "the log record holds neither password"
rc=0
out=$(WEBHOOK_CONFIG=$T/bad.conf timeout 30 "$WORKER" 2>&1) || rc=$?
assert_eq 111 "$rc" "a worker with the wrong password exits 111"
assert_match 'Authorization Violation' "$out" "saying why"
case $out in
*"$pw"* | *"$badpw"*) fail "the worker printed a password" "$out" ;;
esac

# --- (c) the password in no process listing ---------------------------------
procs=$(ps -eww -o pid=,args=)
assert_match 'webhook-worker' "$procs" "the worker is listed"
assert_match 'github.fcgi' "$procs" "the FastCGI handlers are listed"
case $procs in
*"$pw"*) fail "a process listing shows the password" ;;
esac
ok "the password is in no process listing"

# --- (d) the wrong CA -----------------------------------------------------
config "$T/bad.conf" "$T/nats.pw" "$T/pki/otherca.pem"
code=$(nats_post "http://127.0.0.1:$cport/hooks/github" t3)
assert_eq 503 "$code" "a CA that did not sign the servers' certificate: 503"
assert_match 'TLS|[Cc]ertificate' "$(grep '"t3"' "$T/log/github.log" |
    tail -n 1 | jq -r .reason)" "the log record says TLS"

# --- (e) check-config -----------------------------------------------------
# check FILE PATTERN WHAT: check-config of FILE exits 1 saying PATTERN.
check() {
	local rc=0 out

	cp "$1" "$T/cc.conf"
	chmod 600 "$T/cc.conf"
	out=$("$ctl" check-config "$T/cc.conf" 2>&1) || rc=$?
	assert_eq 1 "$rc" "check-config, $3: exit 1"
	assert_match "FAIL.*store nats: .*$2" "$out" "check-config says $3"
	case $out in
	*"$pw"* | *"$badpw"*) fail "check-config printed a password" "$out" ;;
	esac
}
cp "$T/good.conf" "$T/cc.conf"
chmod 600 "$T/cc.conf"
out=$("$ctl" check-config "$T/cc.conf" 2>&1) ||
	fail "check-config refuses the good setup" "$out"
assert_match "ok +store nats" "$out" "check-config connects over TLS"
check "$T/bad.conf" 'TLS|[Cc]ertificate' "the wrong CA"
config "$T/bad.conf" "$T/bad.pw" "$T/pki/ca.pem"
check "$T/bad.conf" '[Aa]uthoriz' "a wrong password"

# --- (f) the servers' password changes under a running FastCGI handler ----
# nats.c gives up a connection after the same authorization error twice;
# once the file has the new password, the next request connects again.
pw2=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
for i in 1 2 3; do
	sed -i "s|password: \"$pw\"|password: \"$pw2\"|" "$T/nats-$i/nats.conf"
	kill -HUP "$(server_pid "nats-$i")"
done
code=$(nats_post "http://127.0.0.1:$port/hooks/github" t4)
assert_eq 503 "$code" "the servers' password changed: 503"
(umask 077; printf '%s\n' "$pw2" >"$T/nats.pw")
code=$(nats_post "http://127.0.0.1:$port/hooks/github" t5 20)
assert_eq 200 "$code" "the new password in the file: 200, no restart"

found=$(grep -rlF -e "$pw" -e "$badpw" -e "$pw2" "$T" --include='*.log' \
    --include='*.err' 2>/dev/null || true)
assert_eq "" "$found" "neither password is in any log"
t_done
