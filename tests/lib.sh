# shellcheck shell=bash
# tests/lib.sh: the shell harness sourced by tests/integration/tNNNN-*.sh.
#
# It starts real web servers (lighttpd, Apache, nginx, Caddy, and
# spawn-fcgi for the servers that start no FastCGI program) on 127.0.0.1
# with configs generated into a per-test temporary directory, posts
# requests with curl and checks the answers.  Nothing here touches the system-wide services:
# every server gets its own ServerRoot, PID file, logs and sockets under
# $T, and every process it starts is stopped by PID when the test exits.
#
# Typical test:
#
#	. "$(dirname "$0")/../lib.sh"
#	t_init mytest
#	build_helpers
#	port=$(free_port)
#	ENDPOINTS="alpha:$HELPERS/fcgi-echo" start_server lighttpd-fcgi "$port"
#	code=$(post "http://127.0.0.1:$port/hooks/alpha" body.json)
#	assert_eq 200 "$code" "alpha answers"
#	t_done
#
# Call start_server, stop_server and the assertions from the test's main
# shell, never inside $(...): they keep state in shell variables and use
# `wait`, which only works for children of the calling shell.
#
# Bash and Linux (ss, ps) only; paths must not contain spaces, double
# quotes, backslashes or newlines (they go into server config files).

set -eu

# Repository root and where helper programs are built.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPERS=$ROOT/build/helpers

# Apache modules directory (Debian layout).
APACHE_MODULES=/usr/lib/apache2/modules

# Every server kind start_server knows.
SERVER_KINDS="lighttpd-fcgi lighttpd-cgi apache-fcgid apache-proxy-fcgi"
SERVER_KINDS="$SERVER_KINDS apache-proxy-fcgi-tcp apache-cgi"
SERVER_KINDS="$SERVER_KINDS nginx-fcgi-unix nginx-fcgi-tcp caddy-fcgi"

T=
T_NAME=
T_PASS=0

# --- test life cycle --------------------------------------------------

# t_init NAME: creates the test's temporary directory, sets $T to it and
# arranges for every server started through this file to be stopped and
# for $T to be removed (unless KEEP_TMP=1) when the test exits.
t_init() {
	T_NAME=$1
	# The name is cut short: unix socket paths below $T must stay under
	# 108 bytes.
	T=$(mktemp -d "${TMPDIR:-/tmp}/webhook-fcgi-${T_NAME:0:20}.XXXXXX")
	# Servers run as server_user and must traverse $T to their own dirs.
	chmod 755 "$T"
	mkdir "$T/.servers"
	trap t_cleanup EXIT
	# Turn signals into a normal exit so that the EXIT trap runs.
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# t_cleanup: the EXIT trap.  Stops what is still running, then removes $T.
# Keeps the test's exit status.
t_cleanup() {
	local rc=$? f

	set +e
	for f in "$T"/.servers/*.pids; do
		[ -e "$f" ] && stop_server "$(basename "$f" .pids)"
	done
	t_keep_artifacts
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# $T_NAME: kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

# t_keep_artifacts: when WEBHOOK_ARTIFACTS names a folder (the runner
# sets one for the whole suite), copies every log, error output, answer,
# configuration and secret file of $T there, so that t4099 can search all
# the suite's logs for every configured secret.
t_keep_artifacts() {
	local dest

	[ -n "${WEBHOOK_ARTIFACTS:-}" ] && [ -d "$WEBHOOK_ARTIFACTS" ] ||
		return 0
	dest=$WEBHOOK_ARTIFACTS/$(basename "$T")
	mkdir -p "$dest"
	(cd "$T" && find . -type f \( -name '*.log' -o -name '*.log.*' \
	    -o -name '*.err' -o -name '*.out' -o -name 'resp.*' -o \
	    -name '*resp' -o -name '*.conf' -o -name '*.secret' \) \
	    -size -200M -exec cp --parents {} "$dest" \; 2>/dev/null)
	return 0
}

# t_done: prints the closing line; call it last.
t_done() {
	echo "$T_PASS passed, 0 failed"
}

# --- assertions -------------------------------------------------------

# ok MSG: records and prints a passed check.
ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $1"
}

# fail MSG [DETAIL...]: prints the failure, each DETAIL line, where it
# happened and the tails of the server logs, then exits 1 at once.
fail() {
	local line

	echo "FAIL - $1"
	shift
	for line in "$@"; do
		echo "#   $line"
	done
	t_where
	t_dump_logs
	exit 1
}

# assert_eq WANT GOT MSG: passes when the two strings are equal.
assert_eq() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		fail "$3" "want: $(t_clip "$1")" "got:  $(t_clip "$2")"
	fi
}

# assert_match REGEX TEXT MSG: passes when TEXT matches the bash ERE.
assert_match() {
	if [[ $2 =~ $1 ]]; then
		ok "$3"
	else
		fail "$3" "regex: $1" "text:  $(t_clip "$2")"
	fi
}

# t_clip TEXT: TEXT cut to 300 characters, so a 1 MiB body stays readable.
t_clip() {
	if [ "${#1}" -gt 300 ]; then
		printf '%s... (%d chars)' "${1:0:300}" "${#1}"
	else
		printf '%s' "$1"
	fi
}

# t_where: the first caller outside this file, as "at FILE:LINE".
t_where() {
	local i=0 line _ file

	while read -r line _ file < <(caller "$i"); do
		case $file in
		*lib.sh) ;;
		*)
			echo "#   at $file:$line"
			return 0
			;;
		esac
		i=$((i + 1))
	done
}

# t_dump_logs: the last lines of every server log and of the last
# response, because $T and its logs are gone once the test exits.
t_dump_logs() {
	local f

	[ -n "$T" ] || return 0
	for f in "$T"/*/error.log "$T"/*/stdout.log "$T/resp.body"; do
		[ -s "$f" ] || continue
		echo "# --- tail ${f#"$T"/}"
		# The echo ends a last line that has no newline.
		{ tail -n 15 "$f"; echo; } | head -c 4000 |
		    sed '/^$/d; s/^/#   /'
	done
}

# --- environment helpers ----------------------------------------------

# build_helpers: builds tests/helpers/*.c into $HELPERS when missing or
# older than the source, through the Makefile (some link libwebhook.a
# or libcrypto).
build_helpers() {
	local src bin

	mkdir -p "$HELPERS"
	for src in "$ROOT"/tests/helpers/*.c; do
		bin=$HELPERS/$(basename "$src" .c)
		[ -x "$bin" ] && [ "$bin" -nt "$src" ] && continue
		make -s -C "$ROOT" --no-print-directory BUILD=build \
		    "build/helpers/$(basename "$src" .c)" >"$T/build.log" 2>&1 ||
			fail "build $src" "$(tail -n 20 "$T/build.log")"
	done
}

# server_user: the user handlers run as.  Never root, so that tests which
# chmod files away from the handler mean something.
server_user() {
	if [ "$(id -u)" = 0 ]; then
		echo nobody
	else
		id -un
	fi
}

# server_group: the primary group of server_user.
server_group() {
	id -gn "$(server_user)"
}

# server_dir DIR...: creates each DIR and, when root, gives it to
# server_user so servers and handlers can write there.
server_dir() {
	mkdir -p "$@"
	if [ "$(id -u)" = 0 ]; then
		chown "$(server_user):$(server_group)" "$@"
	fi
}

# random_secret FILE: a new random secret in FILE, readable by its owner
# only; in files only, never on a command line.
random_secret() {
	(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$1")
}

# other_char S POS: S with the character at POS replaced by the next one
# of its kind (digit, lower or upper case letter; anything else becomes
# A), so that a forgery made from a random genuine value can never be
# that value again by chance.  f and F wrap to a and A: a hex value
# stays hex, so a test meant to reach the signature check never stops
# at the parser instead (f -> g did, one run in sixteen).
other_char() {
	local s=$1 pos=$2 c r

	c=${s:pos:1}
	case $c in
	9) r=0 ;;
	f) r=a ;;
	F) r=A ;;
	z) r=a ;;
	Z) r=A ;;
	[0-8a-eg-yA-EG-Y]) r=$(printf "\\$(printf '%03o' $(($(printf '%d' "'$c") + 1)))") ;;
	*) r=A ;;
	esac
	printf '%s%s%s' "${s:0:pos}" "$r" "${s:pos+1}"
}

# test_config FILE: $T/log and $T/state made for the server, and FILE
# begun with their [global] section, plain HTTP allowed (loopback
# tests); the test appends its own lines and sections with cat >>.
test_config() {
	server_dir "$T/log" "$T/state"
	printf '[global]\nlog_dir = %s\nstate_dir = %s\nrequire_https = no\n' \
	    "$T/log" "$T/state" >"$1"
}

# github_config DIR NAME MODE: DIR/webhooks.conf with one GitHub
# endpoint NAME (durability MODE: relaxed, or durable for the default),
# its logs and ledger in DIR/log and DIR/state, and the secret in
# $T/in/secret; readable by the web server's user.
github_config() {
	server_dir "$1/log" "$1/state"
	printf '[global]\nlog_dir = %s\nstate_dir = %s\nrequire_https = no\n' \
	    "$1/log" "$1/state" >"$1/webhooks.conf"
	printf 'secret_file = %s\n\n[%s]\nprovider = github\n' \
	    "$T/in/secret" "$2" >>"$1/webhooks.conf"
	[ "$3" = durable ] || echo "durability = relaxed" >>"$1/webhooks.conf"
	chmod 644 "$1/webhooks.conf"
}

# free_port: prints a TCP port on 127.0.0.1 that nothing uses.  Ports
# already handed out in this test are skipped, because the caller may ask
# twice before either server has bound its port.
free_port() {
	local i p

	for i in $(seq 1 200); do
		p=$((${SRANDOM:-$((RANDOM * 32768 + RANDOM))} % 40001 + 20000))
		if [ -n "$(ss -Htan "sport = :$p")" ]; then
			continue
		fi
		if [ -n "$T" ]; then
			grep -qx "$p" "$T/.ports" 2>/dev/null && continue
			echo "$p" >>"$T/.ports"
		fi
		echo "$p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

# make_cert DIR: writes a self-signed DIR/cert.pem and DIR/key.pem for
# 127.0.0.1 and localhost, valid two days; keeps an existing pair.
make_cert() {
	local dir=$1

	[ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=localhost \
	    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
	    -keyout "$dir/key.pem" -out "$dir/cert.pem" \
	    >"$dir/openssl.log" 2>&1 ||
		fail "make_cert $dir" "$(cat "$dir/openssl.log")"
}

# hmac_key_hex KEY: KEY as hex for `openssl mac -macopt hexkey:`.  A KEY
# written "hex:<digits>" is taken as those bytes (binary secrets).
hmac_key_hex() {
	case $1 in
	hex:*)
		printf '%s' "${1#hex:}"
		;;
	*)
		printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
		;;
	esac
}

# hmac_hex ALG KEY: prints the lowercase hex HMAC-ALG (sha1, sha256,
# sha512...) of stdin.  Test secrets on the command line are acceptable
# here; the product must never do this.
hmac_hex() {
	openssl mac -digest "$1" -macopt "hexkey:$(hmac_key_hex "$2")" HMAC |
	    tr 'A-F' 'a-f'
}

# hmac_b64 ALG KEY: as hmac_hex, in standard base64.
hmac_b64() {
	openssl mac -binary -digest "$1" \
	    -macopt "hexkey:$(hmac_key_hex "$2")" HMAC | base64 -w 0
	echo
}

# post URL BODYFILE [CURL-ARGS...]: POSTs the file's bytes as they are and
# prints the HTTP status (000 when no answer).  HTTPS certificates are
# not checked (-k), unless CACERT names the CA file to check them with.  The response body goes to
# $T/resp.body and its headers to $T/resp.headers.  Extra arguments go to
# curl before the URL, e.g. -H 'X-Hub-Signature-256: sha256=...'.  curl's
# default Content-Type is application/x-www-form-urlencoded: pass one.
# HTTP/1.1 like the webhook senders (and because lighttpd 1.4.69 resets
# an HTTP/2 stream it answers before reading the body, which curl 7.88
# reports as error 92); pass --http2 to override.
post() {
	local url=$1 file=$2
	local -a tls=()

	shift 2
	case $url in
	https:*) tls=(-k) ;;
	esac
	[ -z "${CACERT:-}" ] || tls=(--cacert "$CACERT")
	curl -sS "${tls[@]}" --http1.1 --max-time 30 -o "$T/resp.body" \
	    -D "$T/resp.headers" -w '%{http_code}' \
	    -X POST --data-binary "@$file" "$@" "$url" || true
}

# --- process control --------------------------------------------------

# pid_alive PID: true while PID runs; a zombie counts as gone.
pid_alive() {
	local stat

	stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $stat in
	Z*) return 1 ;;
	esac
	return 0
}

# gone_within PID SECONDS: true once PID has exited (and says after how
# long), false after SECONDS.
gone_within() {
	local i start=$(date +%s%N)

	for i in $(seq 1 $(($2 * 100))); do
		if ! pid_alive "$1"; then
			echo "# $1 gone after $((($(date +%s%N) - start) / 1000000)) ms"
			return 0
		fi
		sleep 0.01
	done
	return 1
}

# descendants PID: prints the PIDs of all children of PID, recursively.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				for (q = parent[p]; q > 1; q = parent[q])
					if (q == root) { print p; break }
			}
		}'
}

# stop_pid PID: SIGTERM, up to 5 s of grace, then SIGKILL; reaps PID when
# it is a child of this shell.
stop_pid() {
	local pid=$1 i

	if pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			echo "# stop_pid: $pid ignored SIGTERM for 5 s, SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# spawn_bg KIND CMD...: runs CMD in the background, its output appended
# to $T/KIND/stdout.log, and records its PID for stop_server.
spawn_bg() {
	local kind=$1

	shift
	"$@" </dev/null >>"$T/$kind/stdout.log" 2>&1 &
	echo "$!" >>"$T/.servers/$kind.pids"
}

# server_pid KIND: prints the PID of the running server of that kind
# (the web server itself, not its FastCGI processes).
server_pid() {
	head -n 1 "$T/.servers/$1.pids"
}

# server_pids KIND: prints every PID of the server of that kind: those
# start_server started (the web server first, then any spawn-fcgi
# pools), then all their descendants (workers, FastCGI processes).
server_pids() {
	local f=$T/.servers/$1.pids pid

	[ -e "$f" ] || return 0
	cat "$f"
	while read -r pid; do
		descendants "$pid"
	done <"$f"
}

# server_programs KIND NAME: the processes of the server of KIND that run
# the program NAME (matched as the kernel keeps it, cut to 15 bytes),
# one PID a line.
server_programs() {
	local pid

	for pid in $(server_pids "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "${2:0:15}" ] ||
		    echo "$pid"
	done
}

# stop_server KIND: stops the server of that kind and everything it
# started, by PID, in server_pids order: the web server first, so that
# it does not log errors about vanished pools.
stop_server() {
	local pid pids

	# Collect descendants now: once a parent dies they are reparented.
	pids=$(server_pids "$1")
	for pid in $pids; do
		stop_pid "$pid"
	done
	rm -f "$T/.servers/$1.pids"
}

# --- server configuration ---------------------------------------------

# conf_safe WHAT VALUE: refuses values that would break a quoted string
# in a lighttpd or Apache config file.
conf_safe() {
	case $2 in
	*\"* | *\\* | *[[:space:]]*)
		fail "start_server: unsupported characters in $1: $2"
		;;
	esac
}

# endpoints FILE: writes "NAME BINARY" lines to FILE, one per entry of
# $ENDPOINTS after checking it; fails the test on a malformed entry.
endpoints() {
	local ep name bin

	: >"$1"
	[ -n "${ENDPOINTS:-}" ] || fail "start_server: ENDPOINTS is empty"
	for ep in $ENDPOINTS; do
		name=${ep%%:*}
		bin=${ep#*:}
		[[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] ||
			fail "start_server: bad endpoint name '$name'"
		case $bin in
		/*) ;;
		*) fail "start_server: $name: binary must be absolute: $bin" ;;
		esac
		[ -x "$bin" ] || fail "start_server: $name: not executable: $bin"
		conf_safe "$name binary" "$bin"
		# Socket paths (run/NAME.N.sock) must fit in sun_path.
		[ $((${#T} + ${#name} + 40)) -lt 108 ] ||
			fail "start_server: $name: socket paths too long under $T"
		echo "$name $bin" >>"$1"
	done
}

# re_escape NAME: NAME with regex metacharacters (only '.' is allowed in
# endpoint names) escaped, for ^/hooks/NAME$ patterns.
re_escape() {
	printf '%s' "$1" | sed 's/\./\\./g'
}

# max_body: the request body size servers must accept, in bytes.
max_body() {
	echo "${MAX_BODY_BYTES:-$((2 * 1024 * 1024 + 64 * 1024))}"
}

# start_server KIND PORT: starts a web server of KIND on 127.0.0.1:PORT
# and returns once it answers.  Inputs (environment):
#   ENDPOINTS="name:/abs/binary ..."  served at /hooks/<name>; each program
#                 gets WEBHOOK_ENDPOINT=<name> and WEBHOOK_CONFIG
#   WEBHOOK_CONFIG  passed through when set (left out when unset)
#   MAX_PROCS     FastCGI processes per endpoint (default 2); with
#                 apache-fcgid per program, as endpoints sharing one
#                 share its process class; unused by the CGI kinds
#   TLS=1         HTTPS with make_cert's certificate (caddy-fcgi: with
#                 one of Caddy's internal CA); HTTPS=on reaches the program
#   MAX_BODY_BYTES  bodies the server must accept (default 2 MiB + 64 KiB)
#   LIGHTTPD_MODULES  more modules, as '"mod_auth", ' (before the FastCGI
#                 or CGI one); LIGHTTPD_EXTRA  more lighttpd.conf lines
# KIND is one of $SERVER_KINDS.  One server per KIND at a time; its files
# are in $T/KIND (config, www/, run/, error.log, access.log, stdout.log).
start_server() {
	local kind=$1 port=$2 dir=$T/$1

	case " $SERVER_KINDS " in
	*" $kind "*) ;;
	*) fail "start_server: unknown kind $kind" ;;
	esac
	[ ! -e "$T/.servers/$kind.pids" ] ||
		fail "start_server: $kind is already running"
	[[ ${MAX_PROCS:-2} =~ ^[1-9][0-9]*$ ]] ||
		fail "start_server: MAX_PROCS must be a positive number"
	[[ $(max_body) =~ ^[1-9][0-9]*$ ]] ||
		fail "start_server: MAX_BODY_BYTES must be a positive number"
	conf_safe "\$T" "$T"
	conf_safe WEBHOOK_CONFIG "${WEBHOOK_CONFIG:-}"
	endpoints "$T/.servers/$kind.endpoints"

	rm -rf "$dir"
	server_dir "$dir" "$dir/www" "$dir/run" "$dir/tmp"
	server_banner "$kind" >"$dir/www/index.html"
	[ "${TLS:-0}" != 1 ] || make_cert "$T/tls"

	case $kind in
	lighttpd-*)
		lighttpd_conf "$kind" "$port" >"$dir/lighttpd.conf"
		spawn_bg "$kind" lighttpd -D -f "$dir/lighttpd.conf"
		;;
	apache-*)
		[[ $kind != apache-proxy-fcgi* ]] || pools_plan "$kind"
		apache_conf "$kind" "$port" >"$dir/httpd.conf"
		spawn_bg "$kind" /usr/sbin/apache2 -f "$dir/httpd.conf" \
		    -DFOREGROUND
		# The pools come after Apache: server_pid is the first PID.
		[[ $kind != apache-proxy-fcgi* ]] || start_pools "$kind"
		;;
	nginx-*)
		pools_plan "$kind"
		nginx_conf "$kind" "$port" >"$dir/nginx.conf"
		spawn_bg "$kind" /usr/sbin/nginx -p "$dir/" -e "$dir/error.log" \
		    -c "$dir/nginx.conf"
		start_pools "$kind"
		;;
	caddy-*)
		pools_plan "$kind"
		caddy_conf "$kind" "$port" >"$dir/Caddyfile"
		# shellcheck disable=SC2046
		spawn_bg "$kind" env $(caddy_env "$kind") caddy run \
		    --adapter caddyfile --config "$dir/Caddyfile"
		start_pools "$kind"
		;;
	esac
	wait_ready "$kind" "$port"
}

# server_banner KIND: the index page of this test's server of KIND.
server_banner() {
	echo "webhook-fcgi test server: $1 in $T"
}

# wait_ready KIND PORT: waits up to 10 s until the server answers its
# index page; fails early when the server dies.  The page must be this
# server's: another process may hold the port, and then this one exits.
wait_ready() {
	local kind=$1 scheme=http page i

	[ "${TLS:-0}" != 1 ] || scheme=https
	for i in $(seq 1 100); do
		pid_alive "$(server_pid "$kind")" ||
			fail "start_server $kind: server exited"
		page=$(curl -sk --max-time 2 "$scheme://127.0.0.1:$2/") || true
		[ "$page" = "$(server_banner "$kind")" ] && return 0
		sleep 0.1
	done
	fail "start_server $kind: no answer on port $2 within 10 s"
}

# --- lighttpd ---------------------------------------------------------

# lighttpd_conf KIND PORT: prints a complete lighttpd.conf.
lighttpd_conf() {
	local kind=$1 port=$2 dir=$T/$1 mod name bin

	case $kind in
	lighttpd-fcgi) mod=mod_fastcgi ;;
	lighttpd-cgi) mod=mod_cgi ;;
	esac
	cat <<EOF
# Generated by tests/lib.sh ($kind); www/lighttpd/ holds the product's
# examples built on the same ideas.
server.modules = ( "mod_access", "mod_alias", "mod_setenv",
    "mod_accesslog", ${LIGHTTPD_MODULES:-}"$mod" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$dir/www"
index-file.names = ( "index.html" )
server.errorlog = "$dir/error.log"
accesslog.filename = "$dir/access.log"
server.upload-dirs = ( "$dir/tmp" )
# In KiB; must not refuse what the handler is configured to accept.
server.max-request-size = $((($(max_body) + 1023) / 1024))
EOF
	if [ "$(id -u)" = 0 ]; then
		echo "server.username = \"$(server_user)\""
		echo "server.groupname = \"$(server_group)\""
	fi
	if [ "${TLS:-0}" = 1 ]; then
		cat <<EOF
server.modules += ( "mod_openssl" )
ssl.engine = "enable"
ssl.pemfile = "$T/tls/cert.pem"
ssl.privkey = "$T/tls/key.pem"
EOF
	fi
	while read -r name bin; do
		"lighttpd_${kind#lighttpd-}_endpoint" "$dir" "$name" "$bin"
	done <"$T/.servers/$kind.endpoints"
	[ -z "${LIGHTTPD_EXTRA:-}" ] || printf '%s\n' "$LIGHTTPD_EXTRA"
}

# lighttpd_env NAME: the WEBHOOK_* pairs of a lighttpd array.
lighttpd_env() {
	printf '"WEBHOOK_ENDPOINT" => "%s"' "$1"
	if [ -n "${WEBHOOK_CONFIG+set}" ]; then
		printf ', "WEBHOOK_CONFIG" => "%s"' "$WEBHOOK_CONFIG"
	fi
}

# lighttpd_fcgi_endpoint DIR NAME BINARY: one FastCGI pool per endpoint.
# An exact-URL conditional, because fastcgi.server keys are prefixes
# (/hooks/github would also catch /hooks/github-acme).
lighttpd_fcgi_endpoint() {
	cat <<EOF
\$HTTP["url"] == "/hooks/$2" {
	fastcgi.server = ( "/hooks/$2" => ((
		"socket" => "$1/run/$2.sock",
		"bin-path" => "$3",
		"max-procs" => ${MAX_PROCS:-2},
		"bin-environment" => ( $(lighttpd_env "$2") ),
		"check-local" => "disable",
	)) )
}
EOF
}

# lighttpd_cgi_endpoint DIR NAME BINARY: the URL aliased to the program
# itself, run as CGI, the variables set per request.
lighttpd_cgi_endpoint() {
	cat <<EOF
\$HTTP["url"] == "/hooks/$2" {
	alias.url = ( "/hooks/$2" => "$3" )
	cgi.assign = ( "" => "" )
	setenv.add-environment = ( $(lighttpd_env "$2") )
}
EOF
}

# --- Apache -----------------------------------------------------------

# apache_conf KIND PORT: prints a self-contained httpd.conf (no Debian
# apache2.conf, envvars or /etc/apache2 involved).
apache_conf() {
	local kind=$1 port=$2 dir=$T/$1 listen=

	[ "${TLS:-0}" != 1 ] || listen=" https"
	cat <<EOF
# Generated by tests/lib.sh ($kind); www/apache/ holds the product's
# examples built on the same ideas.
ServerRoot "$dir"
ServerName localhost
Listen 127.0.0.1:$port$listen
PidFile "$dir/run/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/error.log"
LogLevel warn
LogFormat "%h %t \"%r\" %>s %b %D" short
CustomLog "$dir/access.log" short
Timeout 30

LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule dir_module $APACHE_MODULES/mod_dir.so
LoadModule alias_module $APACHE_MODULES/mod_alias.so
LoadModule env_module $APACHE_MODULES/mod_env.so
StartServers 1
ServerLimit 4
ThreadsPerChild 25
MinSpareThreads 5
MaxSpareThreads 50
MaxRequestWorkers 100

# Must not refuse what the handler is configured to accept.
LimitRequestBody $(max_body)

DocumentRoot "$dir/www"
DirectoryIndex index.html
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory "$dir/www">
	Require all granted
</Directory>
EOF
	if [ "$(id -u)" = 0 ]; then
		echo "User $(server_user)"
		echo "Group $(server_group)"
	fi
	if [ "${TLS:-0}" = 1 ]; then
		cat <<EOF
LoadModule ssl_module $APACHE_MODULES/mod_ssl.so
SSLEngine on
SSLCertificateFile "$T/tls/cert.pem"
SSLCertificateKeyFile "$T/tls/key.pem"
EOF
	fi
	case $kind in
	apache-fcgid) apache_fcgid_conf "$kind" ;;
	apache-proxy-fcgi*) apache_proxy_fcgi_conf "$kind" ;;
	apache-cgi) apache_cgi_conf "$kind" ;;
	esac
}

# apache_bindirs KIND [DIRECTIVE...]: a <Directory> granting each
# endpoint binary's folder, with the extra directives inside.
apache_bindirs() {
	local f=$T/.servers/$1.endpoints d

	shift
	awk '{ sub(/\/[^\/]*$/, "", $2); print $2 }' "$f" | sort -u |
	    while read -r d; do
		printf '<Directory "%s">\n' "$d"
		[ $# -eq 0 ] || printf '\t%s\n' "$@"
		printf '\tRequire all granted\n</Directory>\n'
	done
}

# apache_env NAME: the SetEnv lines of an endpoint, applied per request.
# LocationMatch on the exact path: <Location /hooks/github> would also
# match /hooks/github-acme.
apache_env() {
	printf '<LocationMatch "^/hooks/%s$">\n' "$(re_escape "$1")"
	[ -z "${2:-}" ] || printf '\t%s\n' "$2"
	printf '\tSetEnv WEBHOOK_ENDPOINT "%s"\n' "$1"
	if [ -n "${WEBHOOK_CONFIG+set}" ]; then
		printf '\tSetEnv WEBHOOK_CONFIG "%s"\n' "$WEBHOOK_CONFIG"
	fi
	printf '</LocationMatch>\n'
}

# apache_fcgid_conf KIND: mod_fcgid spawns and manages the processes.
# WEBHOOK_* arrive as request params (SetEnv); endpoints sharing a
# binary share its process class.
apache_fcgid_conf() {
	local dir=$T/$1 name bin

	server_dir "$dir/fcgid"
	cat <<EOF
LoadModule fcgid_module $APACHE_MODULES/mod_fcgid.so
FcgidIPCDir "$dir/fcgid"
FcgidProcessTableFile "$dir/fcgid/shm"
# The default, 128 KiB, would refuse ordinary webhook bodies.
FcgidMaxRequestLen $(max_body)
FcgidMinProcessesPerClass 0
FcgidMaxProcessesPerClass ${MAX_PROCS:-2}
FcgidIOTimeout 30
EOF
	apache_bindirs "$1" "Options +ExecCGI"
	while read -r name bin; do
		printf 'AliasMatch "^/hooks/%s$" "%s"\n' "$(re_escape "$name")" \
		    "$bin"
		apache_env "$name" "SetHandler fcgid-script"
	done <"$T/.servers/$1.endpoints"
}

# apache_cgi_conf KIND: mod_cgid (the CGI module for threaded MPMs).
apache_cgi_conf() {
	local dir=$T/$1 name bin

	cat <<EOF
LoadModule cgid_module $APACHE_MODULES/mod_cgid.so
ScriptSock "$dir/run/cgid.sock"
EOF
	apache_bindirs "$1"
	while read -r name bin; do
		printf 'ScriptAliasMatch "^/hooks/%s$" "%s"\n' \
		    "$(re_escape "$name")" "$bin"
		apache_env "$name"
	done <"$T/.servers/$1.endpoints"
}

# apache_proxy_fcgi_conf KIND: mod_proxy_fcgi to the MAX_PROCS spawn-fcgi
# processes per endpoint of pools_plan, behind a balancer.
apache_proxy_fcgi_conf() {
	local name bin i addr

	cat <<EOF
LoadModule proxy_module $APACHE_MODULES/mod_proxy.so
LoadModule proxy_fcgi_module $APACHE_MODULES/mod_proxy_fcgi.so
LoadModule proxy_balancer_module $APACHE_MODULES/mod_proxy_balancer.so
LoadModule slotmem_shm_module $APACHE_MODULES/mod_slotmem_shm.so
LoadModule lbmethod_byrequests_module $APACHE_MODULES/mod_lbmethod_byrequests.so
EOF
	while read -r name bin; do
		printf '<Proxy "balancer://%s">\n' "$name"
		while read -r i addr; do
			# A distinct host per member: Apache keys balancer
			# members by the URL after '|', so identical ones
			# collapse into one worker.  retry=0: a restarted
			# process is used at once.
			case $addr in
			unix:*)
				printf '\tBalancerMember "%s|fcgi://%s/" retry=0\n' \
				    "$addr" "$name.$i" ;;
			*)
				printf '\tBalancerMember "fcgi://%s/" retry=0\n' \
				    "$addr" ;;
			esac
		done < <(pool_addrs "$1" "$name")
		printf '</Proxy>\n'
		printf 'ProxyPassMatch "^/hooks/%s$" "balancer://%s"\n' \
		    "$(re_escape "$name")" "$name"
		apache_env "$name"
	done <"$T/.servers/$1.endpoints"
}

# --- nginx ------------------------------------------------------------

# nginx_conf KIND PORT: prints a complete nginx.conf (no /etc/nginx
# involved).  The FastCGI parameters are those of the shipped
# www/nginx/webhook-fcgi.conf, so the contract runs through them; the
# locations are built the same way: exact, nested in /hooks/, each
# naming its endpoint with `set`.
nginx_conf() {
	local kind=$1 port=$2 dir=$T/$1 ssl= name bin i addr

	[ "${TLS:-0}" != 1 ] || ssl=" ssl"
	[ "$(id -u)" != 0 ] ||
		echo "user $(server_user) $(server_group);"
	cat <<EOF
# Generated by tests/lib.sh ($kind); www/nginx/webhook-fcgi.conf is the
# product's snippet built on the same ideas.
daemon off;
master_process on;
worker_processes 1;
pid $dir/run/nginx.pid;
error_log $dir/error.log warn;
events {
	worker_connections 512;
}
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/tmp/body;
	fastcgi_temp_path $dir/tmp/fastcgi;
	proxy_temp_path $dir/tmp/proxy;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
EOF
	while read -r name bin; do
		printf '\tupstream webhook_%s {\n' "$name"
		while read -r i addr; do
			printf '\t\tserver %s;\n' "$addr"
		done < <(pool_addrs "$kind" "$name")
		printf '\t}\n'
	done <"$T/.servers/$kind.endpoints"
	cat <<EOF
	server {
		listen 127.0.0.1:$port$ssl;
		server_name localhost;
		root $dir/www;
		index index.html;
EOF
	[ "${TLS:-0}" != 1 ] || cat <<EOF
		ssl_certificate $T/tls/cert.pem;
		ssl_certificate_key $T/tls/key.pem;
EOF
	cat <<EOF
		location /hooks/ {
			# Must not refuse what the handler accepts.
			client_max_body_size $(max_body);
EOF
	nginx_params | sed 's/^/\t\t\t/'
	while read -r name bin; do
		printf '\t\t\tlocation = /hooks/%s {\n' "$name"
		printf '\t\t\t\tset $webhook_endpoint %s;\n' "$name"
		printf '\t\t\t\tfastcgi_pass webhook_%s;\n\t\t\t}\n' "$name"
	done <"$T/.servers/$kind.endpoints"
	printf '\t\t\treturn 404;\n\t\t}\n\t}\n}\n'
}

# nginx_params: the fastcgi_* lines of the shipped snippet's /hooks/
# block, WEBHOOK_CONFIG replaced by the test's (left out when unset).
nginx_params() {
	local f=$ROOT/www/nginx/webhook-fcgi.conf

	grep -E '^	fastcgi_' "$f" | sed 's/^\t//' | grep -v WEBHOOK_CONFIG ||
		fail "nginx_params: no fastcgi_param in $f"
	[ -z "${WEBHOOK_CONFIG+set}" ] ||
		echo "fastcgi_param WEBHOOK_CONFIG $WEBHOOK_CONFIG;"
}

# --- Caddy ------------------------------------------------------------

# caddy_conf KIND PORT: prints a complete Caddyfile: reverse_proxy with
# transport fastcgi to the pools, as www/caddy/Caddyfile does.  TLS=1
# serves https://127.0.0.1:PORT with a certificate of Caddy's own
# internal CA (tls internal), kept in $T/KIND/data like everything else
# Caddy writes (caddy_env); the admin endpoint is off and no CA goes
# into the system's trust store.
caddy_conf() {
	local kind=$1 port=$2 dir=$T/$1 scheme=http name bin i addr
	local http=$2 https

	# The port of the other scheme is unused, but must be free.
	https=$(free_port)
	if [ "${TLS:-0}" = 1 ]; then
		scheme=https http=$https https=$port
	fi
	cat <<EOF
# Generated by tests/lib.sh ($kind); www/caddy/Caddyfile is the
# product's example built on the same ideas.
{
	admin off
	skip_install_trust
	storage file_system $dir/data
	# Loopback only, and no HTTP/3 (UDP).
	default_bind 127.0.0.1
	servers {
		protocols h1 h2
	}
	http_port $http
	https_port $https
	auto_https disable_redirects
	log {
		output file $dir/error.log
		level WARN
	}
}

$scheme://127.0.0.1:$port {
EOF
	[ "$scheme" = http ] || printf '\ttls internal\n'
	cat <<EOF
	root * $dir/www
	request_body {
		max_size $(max_body)
	}
EOF
	while read -r name bin; do
		printf '\thandle /hooks/%s {\n\t\treverse_proxy' "$name"
		while read -r i addr; do
			printf ' %s' "${addr/unix:/unix\/\/}"
		done < <(pool_addrs "$kind" "$name")
		printf ' {\n\t\t\ttransport fastcgi {\n'
		printf '\t\t\t\tenv WEBHOOK_ENDPOINT %s\n' "$name"
		[ -z "${WEBHOOK_CONFIG+set}" ] ||
			printf '\t\t\t\tenv WEBHOOK_CONFIG %s\n' "$WEBHOOK_CONFIG"
		printf '\t\t\t}\n\t\t\theader_down -Status\n\t\t}\n\t}\n'
	done <"$T/.servers/$kind.endpoints"
	cat <<EOF
	handle /hooks/* {
		respond 404
	}
	handle {
		file_server
	}
}
EOF
}

# caddy_env KIND: the environment that keeps Caddy's files in $T/KIND.
caddy_env() {
	echo "HOME=$T/$1" "XDG_DATA_HOME=$T/$1/data" \
	    "XDG_CONFIG_HOME=$T/$1/config"
}

# --- FastCGI pools the web server does not start ------------------------

# pools_plan KIND: where each of the MAX_PROCS processes per endpoint
# listens, one "NAME I ADDRESS" line each in $T/KIND/pools:
# unix:$T/KIND/run/NAME.I.sock, or 127.0.0.1:PORT for the *-tcp kinds.
# The server's configuration is written from it, then start_pools.
pools_plan() {
	local kind=$1 name bin i

	while read -r name bin; do
		for i in $(seq 1 "${MAX_PROCS:-2}"); do
			case $kind in
			*-tcp) echo "$name $i 127.0.0.1:$(free_port)" ;;
			*) echo "$name $i unix:$T/$kind/run/$name.$i.sock" ;;
			esac
		done
	done <"$T/.servers/$kind.endpoints" >"$T/$kind/pools"
}

# pool_addrs KIND NAME: "I ADDRESS" for each process of endpoint NAME.
pool_addrs() {
	awk -v n="$2" '$1 == n { print $2, $3 }' "$T/$1/pools"
}

# start_pools KIND: one `spawn-fcgi -n` per process of the plan, its
# environment carrying WEBHOOK_*; waits until every one listens.
# (spawn-fcgi -n runs a single process; its forking mode would leave
# orphans this harness cannot wait for.)
start_pools() {
	local kind=$1 name bin i addr
	local -a env user=() owner=() where

	if [ "$(id -u)" = 0 ]; then
		user=(-u "$(server_user)" -g "$(server_group)")
		owner=(-U "$(server_user)" -G "$(server_group)")
	fi
	while read -r name bin; do
		env=(WEBHOOK_ENDPOINT="$name")
		[ -z "${WEBHOOK_CONFIG+set}" ] ||
			env+=(WEBHOOK_CONFIG="$WEBHOOK_CONFIG")
		while read -r i addr; do
			case $addr in
			unix:*)
				where=(-s "${addr#unix:}" -M 0660 "${owner[@]}") ;;
			*)
				where=(-a "${addr%:*}" -p "${addr##*:}") ;;
			esac
			spawn_bg "$kind" env "${env[@]}" spawn-fcgi -n \
			    "${where[@]}" "${user[@]}" -- "$bin"
		done < <(pool_addrs "$kind" "$name")
	done <"$T/.servers/$kind.endpoints"
	for i in $(seq 1 100); do
		pools_ready "$kind" && return 0
		sleep 0.1
	done
	fail "start_server $kind: spawn-fcgi not listening after 10 s"
}

# pools_ready KIND: true once every address of the plan listens.
pools_ready() {
	local name i addr

	while read -r name i addr; do
		case $addr in
		unix:*) [ -S "${addr#unix:}" ] || return 1 ;;
		*) [ -n "$(ss -Htln "sport = :${addr##*:}")" ] || return 1 ;;
		esac
	done <"$T/$1/pools"
}
