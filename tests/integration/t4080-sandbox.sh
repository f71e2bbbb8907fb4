#!/bin/bash
# Sandbox: every handler says in --version that it runs under a seccomp
# allowlist; tests/helpers/sandbox-probe enters the very same sandbox
# (sandbox_enter() from libwebhook.a) and shows that the calls a handler
# needs still work while forbidden ones (execve, socket, any socket
# option but TCP_NODELAY, fork, kill of another process, executable
# memory) stop the process with status 111
# and a line naming the call.  FastCGI processes serving under lighttpd
# show NoNewPrivs 1 and Seccomp 2 (filter) in /proc.  Every other
# integration test runs the handlers with the filter on as well.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../contract.sh"
. "$(dirname "$0")/../reliability.sh"
t_init sandbox
build_helpers
contract_config
probe=$BUILD_DIR/helpers/sandbox-probe
[ -x "$probe" ] || make -s -C "$ROOT" BUILD=build build/helpers/sandbox-probe
[ -x "$probe" ] || fail "no $probe: run make integration"

for p in $PROVIDERS; do
	assert_match 'seccomp' "$("$CGI_DIR/$p.fcgi" --version)" \
	    "$p --version names the seccomp sandbox"
done

cd "$T" || exit 1
desc=$("$probe" describe)
assert_match 'no_new_privs, seccomp' "$desc" "the probe uses the same sandbox"
out=$("$probe" allowed 2>&1) || fail "allowed calls stopped" "$out"
assert_eq survived "$out" "files, locks, rename, mmap and the clock still work"
out=$("$probe" nodelay 2>&1) || fail "TCP_NODELAY stopped" "$out"
assert_eq survived "$out" "TCP_NODELAY, which libfcgi sets on TCP, still works"

# ASan builds allow the clone() of LeakSanitizer's tracer.
forbidden="execve:execve socket:socket sockopt:setsockopt kill-init:kill"
forbidden="$forbidden mmap-exec:mmap"
forbidden="$forbidden mprotect-exec:mprotect"
case $desc in
*ASan*) ok "fork not checked: the ASan runtime needs clone()" ;;
*) forbidden="$forbidden fork:clone" ;;
esac
for f in $forbidden; do
	rc=0
	out=$("$probe" "${f%%:*}" 2>&1) || rc=$?
	assert_eq 111 "$rc" "${f%%:*}: the process is stopped (exit 111)"
	assert_match "sandbox: forbidden system call [0-9]+ \\(${f#*:}\\)" \
	    "$out" "${f%%:*}: the error log names the call"
	case $out in
	*survived*) fail "${f%%:*}: the call returned" "$out" ;;
	esac
done
# store = nats: what a NATS client needs to reconnect from inside the
# sandbox is allowed only when asked for, and nothing else comes with it.
rc=0
out=$("$probe" tcp 2>&1) || rc=$?
assert_eq 111 "$rc" "without store = nats a TCP connect is stopped"
for f in tcp thread; do
	out=$(SANDBOX_PROBE_NET=1 "$probe" "$f" 2>&1) ||
		fail "store = nats: $f stopped" "$out"
	assert_eq survived "$out" "store = nats: $f works in the sandbox"
done
forbidden="unix:socket execve:execve"
case $desc in
*ASan*) ;;
*) forbidden="$forbidden fork:clone" ;;
esac
for f in $forbidden; do
	rc=0
	out=$(SANDBOX_PROBE_NET=1 "$probe" "${f%%:*}" 2>&1) || rc=$?
	assert_eq 111 "$rc" "store = nats: ${f%%:*} is still stopped"
	assert_match "forbidden system call [0-9]+ \\(${f#*:}\\)" "$out" \
	    "store = nats: ${f%%:*} is named"
done
cd "$ROOT" || exit 1

port=$(free_port)
MAX_PROCS=2 ENDPOINTS="github:$CGI_DIR/github.fcgi" \
    start_server lighttpd-fcgi "$port"
gh_delivery sb1 "$T/sb1.body"
assert_eq 200 "$(post "http://127.0.0.1:$port/hooks/github" "$T/sb1.body" \
    "${H[@]}")" "a delivery through the sandboxed handler"
n=0
for pid in $(ps -o pid= --ppid "$(server_pid lighttpd-fcgi)"); do
	st=/proc/$pid/status
	[ "$(awk '/^NoNewPrivs:/ { print $2 }' "$st")" = 1 ] &&
	[ "$(awk '/^Seccomp:/ { print $2 }' "$st")" = 2 ] ||
		fail "process $pid is not sandboxed" "$(grep -E \
		    'NoNewPrivs|Seccomp' "$st")"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no FastCGI process found"
ok "all $n FastCGI processes run with no_new_privs and a seccomp filter"
if grep -q 'forbidden system call' "$T"/lighttpd-fcgi/*.log; then
	fail "a handler hit the filter" "$(grep forbidden "$T"/lighttpd-fcgi/*.log)"
fi
ok "no handler hit the filter"
stop_server lighttpd-fcgi
t_done
