/*
 * sandbox: no_new_privs, so nothing the handler could be tricked into
 * executing gains privileges (setuid binaries, file capabilities).
 *
 * XXX no seccomp filter yet: the allowlist has to cover SQLite's,
 * OpenSSL's and libfcgi's system calls, and a wrong one kills requests
 * in production; it lands with its own tests (issue 6).
 */
#include <sys/prctl.h>

#include "sandbox.h"

int
sandbox_enter(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ? -1 : 0;
}

const char *
sandbox_describe(void)
{
	return "sandbox: no_new_privs, no seccomp";
}
