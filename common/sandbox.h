/*
 * sandbox: after a handler has read its configuration and opened its
 * files, it gives up what it does not need.  Each mechanism is its own
 * step here; a build without one says so in --version.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/*
 * Sets no_new_privs and loads the seccomp allowlist; from then on a
 * forbidden system call ends the process with status 111 and a line on
 * standard error naming the call.  Call once, after the configuration is
 * read and the files are open.  Returns 0, or -1 with errno set, when
 * the process runs with no filter (and maybe without no_new_privs).
 */
int		 sandbox_enter(void);
/*
 * Before sandbox_enter(): also allow what a NATS connection needs to
 * reconnect by itself (Internet sockets, connect, socket options, send,
 * receive, threads).  For handlers with store = nats only.
 */
void		 sandbox_allow_network(void);
/* Names what sandbox_enter applies, for --version. */
const char	*sandbox_describe(void);

#endif /* SANDBOX_H */
