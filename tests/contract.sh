# shellcheck shell=bash
# tests/contract.sh: the HTTP contract of every handler, against a real
# web server of any kind tests/lib.sh starts.  Sourced after lib.sh;
# contract_run KIND runs it all.  Signatures are computed here with the
# openssl CLI, independently of the C code under test.
#
# The contract (README, "The HTTP contract"): accepted 200, duplicate 200,
# bad or missing signature or stale timestamp 401, not POST 405 with
# Allow, body over max_body 413, plain HTTP under require_https 403, the
# ledger or log unwritable 503 with Retry-After and nothing accepted.

BUILD_DIR=$ROOT/${WEBHOOK_BUILD:-build}
CGI_DIR=$BUILD_DIR/cgi-bin
PROVIDERS="github stripe slack zendesk iot"

# contract_config: writes $T/webhooks.conf, secrets and folders.
contract_config() {
	server_dir "$T/log" "$T/state"
	printf 'whsec_stripe-file-secret\n' >"$T/stripe.secret"
	chmod 600 "$T/stripe.secret"
	[ "$(id -u)" != 0 ] || chown "$(server_user)" "$T/stripe.secret"
	cat >"$T/webhooks.conf" <<CONF
[global]
log_dir = $T/log
state_dir = $T/state
require_https = no
max_body = 1536k
log_max_size = 64M

[github]
provider = github
secret = gh-old-secret
secret = It's a Secret to Everybody

[github-strict]
provider = github
secret = It's a Secret to Everybody
require_https = yes

[stripe]
provider = stripe
secret_file = $T/stripe.secret

[slack]
provider = slack
secret = 8f742231b10e8888abcd99yyyzzz85a5

[zendesk]
provider = zendesk
secret = dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==
tolerance = 300

[iot]
provider = iot
secret = iot-device-key
signature_header = X-Signature
signature_prefix = sha256=
signed = timestamp+body
signed_separator = .
timestamp_header = X-Timestamp
id_header = X-Request-Id
event_field = type
CONF
	export WEBHOOK_CONFIG=$T/webhooks.conf
}

# secret_of ENDPOINT: the secret the contract signs with.
secret_of() {
	case $1 in
	github*) echo "It's a Secret to Everybody" ;;
	stripe) echo whsec_stripe-file-secret ;;
	slack) echo 8f742231b10e8888abcd99yyyzzz85a5 ;;
	zendesk) echo dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ== ;;
	iot) echo iot-device-key ;;
	esac
}

# make_body PROVIDER ID FILE [PAD]: a realistic body carrying ID where
# the provider puts it, padded with PAD bytes of filler when given.
make_body() {
	local pad=""

	[ -z "${4:-}" ] || pad=$(head -c "$4" /dev/zero | tr '\0' 'x')
	case $1 in
	github) printf '{"ref":"refs/heads/main","after":"%s","pad":"%s"}' \
	    "$2" "$pad" ;;
	stripe) printf '{\n  "id": "evt_%s",\n  "object": "event",\n  "type": "payment_intent.succeeded",\n  "pad": "%s"\n}' "$2" "$pad" ;;
	slack) printf '{"token":"x","type":"event_callback","event_id":"Ev%s","event":{"type":"app_mention","text":"hi"},"pad":"%s"}' "$2" "$pad" ;;
	zendesk) printf '{"type":"zen:event-type:ticket.created","id":"%s","pad":"%s"}' "$2" "$pad" ;;
	iot) printf '{"type":"temperature.alert","celsius":81.5,"pad":"%s"}' "$pad" ;;
	esac >"$3"
}

# ledger_id PROVIDER ID: the delivery id the ledger keeps for ID.
ledger_id() {
	case $1 in
	stripe) echo "evt_$2" ;;
	slack) echo "Ev$2" ;;
	*) echo "$2" ;;
	esac
}

# sign PROVIDER FILE SECRET ID [TS]: sets the array H to the headers the
# provider sends for FILE (TS: Unix seconds, default now).
sign() {
	local p=$1 f=$2 s=$3 id=$4 ts=${5:-$(date +%s)} iso mac

	H=(-H 'Content-Type: application/json')
	case $p in
	github)
		mac=$(hmac_hex sha256 "$s" <"$f")
		H+=(-H "X-Hub-Signature-256: sha256=$mac"
		    -H "X-GitHub-Delivery: $id" -H "X-GitHub-Event: push") ;;
	stripe)
		mac=$({ printf '%s.' "$ts"; cat "$f"; } | hmac_hex sha256 "$s")
		H+=(-H "Stripe-Signature: t=$ts,v1=$mac") ;;
	slack)
		mac=$({ printf 'v0:%s:' "$ts"; cat "$f"; } |
		    hmac_hex sha256 "$s")
		H+=(-H "X-Slack-Signature: v0=$mac"
		    -H "X-Slack-Request-Timestamp: $ts") ;;
	zendesk)
		iso=$(date -u -d "@$ts" +%Y-%m-%dT%H:%M:%SZ)
		mac=$({ printf '%s' "$iso"; cat "$f"; } | hmac_b64 sha256 "$s")
		H+=(-H "X-Zendesk-Webhook-Signature: $mac"
		    -H "X-Zendesk-Webhook-Signature-Timestamp: $iso"
		    -H "X-Zendesk-Webhook-Invocation-Id: $id") ;;
	iot)
		mac=$({ printf '%s.' "$ts"; cat "$f"; } | hmac_hex sha256 "$s")
		H+=(-H "X-Signature: sha256=$mac" -H "X-Timestamp: $ts"
		    -H "X-Request-Id: $id") ;;
	esac
}

# ledger SQL: runs SQL on the ledger.  A CGI handler may still be closing
# the database (its last connection checkpoints the WAL) after it has
# answered; a reader without a busy timeout would get "database is
# locked" then, as the worker and webhookctl do not.
ledger() {
	sqlite3 -cmd '.timeout 5000' "$T/state/webhooks.db" "$1"
}

# rows ENDPOINT ID: how many ledger rows hold that delivery.
rows() {
	ledger "SELECT count(*) FROM deliveries
	    WHERE endpoint = '$1' AND delivery_id = '$2'"
}

# last_log ENDPOINT FIELD: FIELD of the endpoint's last log record.
last_log() {
	tail -n 1 "$T/log/$1.log" | jq -r ".$2"
}

# expect_reject P CODE REASON-REGEX MSG: the last post was refused.
expect_reject() {
	assert_eq "$2" "$code" "$1: $4 answers $2"
	assert_eq "$2" "$(last_log "$1" status)" "$1: $4 logged as $2"
	assert_match "$3" "$(last_log "$1" reason)" "$1: $4 logged why"
}

# contract_provider URL P: every per-handler case against one endpoint.
contract_provider() {
	local base=$1 p=$2 url=$1/hooks/$2 id s now b

	s=$(secret_of "$p")
	id="$p-$RANDOM-$$"
	b=$T/$p.body
	make_body "$p" "$id" "$b"
	sign "$p" "$b" "$s" "$id"

	code=$(post "$url" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: genuine delivery accepted"
	assert_match '"status":"accepted"' "$(cat "$T/resp.body")" \
	    "$p: answer says accepted"
	assert_eq 1 "$(rows "$p" "$(ledger_id "$p" "$id")")" \
	    "$p: one ledger row"
	assert_eq accepted "$(last_log "$p" verdict)" "$p: log says accepted"
	assert_eq "$(sha256sum <"$b" | cut -d' ' -f1)" \
	    "$(last_log "$p" body_sha256)" "$p: log holds the exact body"
	# lighttpd, nginx and Caddy pass Content-Length (nginx and Caddy
	# Content-Type too) both as CONTENT_ and as HTTP_ variables; jq's
	# stream form keeps the keys a parsed object would fold.
	assert_eq "" "$(tail -n 1 "$T/log/$p.log" | jq -r --stream \
	    'select(length == 2 and .[0][0] == "headers") | .[0][1]' |
	    sort | uniq -d)" "$p: log names each header once"
	assert_eq "$(wc -c <"$b")" \
	    "$(last_log "$p" 'headers["Content-Length"]')" \
	    "$p: log holds the body's length"

	code=$(post "$url" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: same delivery again answered 200"
	assert_match '"status":"duplicate"' "$(cat "$T/resp.body")" \
	    "$p: answer says duplicate"
	assert_eq 1 "$(rows "$p" "$(ledger_id "$p" "$id")")" \
	    "$p: still one ledger row"

	# One byte added after signing.
	{ cat "$b"; printf ' '; } >"$T/tampered"
	code=$(post "$url" "$T/tampered" "${H[@]}")
	expect_reject "$p" 401 'mismatch' "tampered body"

	make_body "$p" "$id-w" "$b"
	sign "$p" "$b" "not-the-secret" "$id-w"
	code=$(post "$url" "$b" "${H[@]}")
	expect_reject "$p" 401 'mismatch' "wrong secret"
	assert_eq 0 "$(rows "$p" "$(ledger_id "$p" "$id-w")")" \
	    "$p: nothing stored for the forgery"

	if [ "$p" != github ]; then
		now=$(date +%s)
		make_body "$p" "$id-s" "$b"
		sign "$p" "$b" "$s" "$id-s" $((now - 1000))
		code=$(post "$url" "$b" "${H[@]}")
		expect_reject "$p" 401 'outside tolerance.*valid' \
		    "stale timestamp"
		sign "$p" "$b" "$s" "$id-s" $((now + 1000))
		code=$(post "$url" "$b" "${H[@]}")
		expect_reject "$p" 401 'outside tolerance: ahead' \
		    "future timestamp"
	fi

	code=$(post "$url" "$b" -H 'Content-Type: application/json')
	expect_reject "$p" 401 'missing signature' "unsigned request"

	code=$(curl -s -o /dev/null -D "$T/resp.headers" -w '%{http_code}' \
	    -k "$url")
	expect_reject "$p" 405 'method' "GET"
	# Any case: over HTTP/2 (curl -k to an HTTPS server) it is "allow".
	assert_match '[Aa]llow: POST' "$(cat "$T/resp.headers")" \
	    "$p: 405 says Allow: POST"

	make_body "$p" "$id-big" "$b" $((1536 * 1024))
	sign "$p" "$b" "$s" "$id-big"
	code=$(post "$url" "$b" "${H[@]}")
	expect_reject "$p" 413 'max_body' "body over max_body"

	# A 1 MiB body is accepted, and stored byte for byte.
	make_body "$p" "$id-1m" "$b" $((1024 * 1024))
	sign "$p" "$b" "$s" "$id-1m"
	code=$(post "$url" "$b" "${H[@]}")
	assert_eq 200 "$code" "$p: 1 MiB body accepted"
	assert_eq "$(sha256sum <"$b" | cut -d' ' -f1)" \
	    "$(ledger "SELECT body_sha256 FROM
	    deliveries WHERE endpoint = '$p' AND
	    delivery_id = '$(ledger_id "$p" "$id-1m")'")" \
	    "$p: ledger digest of the 1 MiB body matches"
	assert_eq "$(stat -c %s "$b")" "$(ledger \
	    "SELECT length(body) FROM deliveries WHERE endpoint = '$p' AND
	    delivery_id = '$(ledger_id "$p" "$id-1m")'")" \
	    "$p: 1 MiB body stored whole"
}

# contract_run KIND: the whole contract against a server of KIND.
contract_run() {
	local kind=$1 port scheme=http p id b ep=""

	[ "${TLS:-0}" != 1 ] || scheme=https
	contract_config
	for p in $PROVIDERS; do
		ep="$ep $p:$CGI_DIR/$p.fcgi"
	done
	CONTRACT_ENDPOINTS="$ep github-strict:$CGI_DIR/github.fcgi"
	port=$(free_port)
	ENDPOINTS=$CONTRACT_ENDPOINTS start_server "$kind" "$port"
	base=$scheme://127.0.0.1:$port

	for p in $PROVIDERS; do
		contract_provider "$base" "$p"
	done

	# require_https = yes: plain HTTP is refused (TLS runs accept it).
	id="strict-$RANDOM"
	b=$T/strict.body
	make_body github "$id" "$b"
	sign github "$b" "$(secret_of github)" "$id"
	code=$(post "$base/hooks/github-strict" "$b" "${H[@]}")
	if [ "$scheme" = https ]; then
		assert_eq 200 "$code" "github-strict: accepted over TLS"
	else
		expect_reject github-strict 403 'plain HTTP' "plain HTTP"
	fi

	contract_unwritable "$kind" "$port" "$base"
	stop_server "$kind"
}

# contract_unwritable KIND PORT BASE: the state folder made unwritable
# (the handlers do not run as root) gives 503 and no accepted record.
contract_unwritable() {
	local id b

	stop_server "$1"
	chmod 0555 "$T/state"
	chmod 0444 "$T/state"/webhooks.db*
	ENDPOINTS=$CONTRACT_ENDPOINTS start_server "$1" "$2"
	id="ro-$RANDOM"
	b=$T/ro.body
	make_body github "$id" "$b"
	sign github "$b" "$(secret_of github)" "$id"
	code=$(post "$3/hooks/github" "$b" "${H[@]}")
	assert_eq 503 "$code" "read-only state folder answers 503"
	assert_match 'Retry-After' "$(cat "$T/resp.headers")" \
	    "503 carries Retry-After"
	assert_eq failed "$(last_log github verdict)" "log says failed"
	chmod 0755 "$T/state"
	chmod 0644 "$T/state"/webhooks.db*
	assert_eq 0 "$(rows github "$id")" "nothing stored as accepted"
	code=$(post "$3/hooks/github" "$b" "${H[@]}")
	assert_eq 200 "$code" "the provider's retry is accepted once writable"
}

# ctl_setup: the setup of the webhookctl tests: $CTL, $port, the contract
# configuration, and lighttpd (FastCGI, one process each) serving every
# provider at $base/<provider>.
ctl_setup() {
	local p eps=

	CTL=$BUILD_DIR/bin/webhookctl
	[ -x "$CTL" ] || fail "no $CTL: build it first"
	contract_config
	port=$(free_port)
	base=http://127.0.0.1:$port/hooks
	for p in $PROVIDERS; do
		eps="$eps $p:$CGI_DIR/$p.fcgi"
	done
	MAX_PROCS=1 ENDPOINTS=$eps start_server lighttpd-fcgi "$port"
}

# example_config: the shipped www/examples/webhooks.conf as
# $T/webhooks.conf, only its paths moved under $T (secrets in $T/secrets,
# log_dir $T/log, state_dir $T/state), each secret_file filled with a
# random secret, mode 0600, owned by server_user.  Sets WEBHOOK_CONFIG
# and S (the secrets folder).
example_config() {
	local f

	S=$T/secrets
	server_dir "$T/log" "$T/state" "$S"
	sed -e "s|/etc/webhook-fcgi/secrets|$S|" \
	    -e "s|/var/log/webhook-fcgi|$T/log|" \
	    -e "s|/var/lib/webhook-fcgi|$T/state|" \
	    "$ROOT/www/examples/webhooks.conf" >"$T/webhooks.conf"
	for f in $(sed -n 's/^secret_file = //p' "$T/webhooks.conf"); do
		openssl rand -hex 20 >"$f"
		chmod 600 "$f"
		[ "$(id -u)" != 0 ] || chown "$(server_user)" "$f"
	done
	export WEBHOOK_CONFIG=$T/webhooks.conf
}

# example_deliver BASE ENDPOINT PROVIDER WANT WHAT: a delivery signed
# with the secret example_config gave ENDPOINT, POSTed to
# BASE/hooks/ENDPOINT; answered WANT, and when that is 200, stored and
# logged accepted (require_https = yes in the example: over HTTPS only).
example_deliver() {
	local ep=$2 p=$3 id="$2-$RANDOM-$$"

	make_body "$p" "$id" "$T/body"
	sign "$p" "$T/body" "$(cat "$S/$ep.secret")" "$id"
	code=$(post "$1/hooks/$ep" "$T/body" "${H[@]}")
	assert_eq "$4" "$code" "$ep: $5 answers $4"
	[ "$4" = 200 ] || return 0
	assert_eq 1 "$(rows "$ep" "$(ledger_id "$p" "$id")")" "$ep: $5 stored"
	assert_eq accepted "$(last_log "$ep" verdict)" \
	    "$ep: $5 logged accepted"
}
