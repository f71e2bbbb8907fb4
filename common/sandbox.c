/*
 * sandbox: what a handler gives up once its configuration is read and
 * its log and ledger are open (the order of slowcgi and kcgi: set up,
 * then drop).  Two steps, each on its own:
 *
 *  1. no_new_privs, so that nothing the process could be tricked into
 *     running gains privileges (setuid binaries, file capabilities);
 *  2. a seccomp filter, built with libseccomp, that allows only the
 *     system calls a handler makes while serving: reading requests from
 *     the FastCGI socket or stdin, SQLite in WAL mode (pread/pwrite,
 *     fcntl locks, the mmap of -shm, fsync, unlink of a journal), the
 *     delivery log and its rotation (flock, rename, stat, open, mkdir),
 *     memory, time and signals.  Everything else, in particular execve,
 *     socket, connect, fork and ptrace, is stopped; so is mapping or
 *     re-protecting memory as executable.
 *
 * A forbidden call traps (SCMP_ACT_TRAP) rather than killing outright or
 * failing with EPERM.  EPERM would let a subverted process probe the
 * filter and carry on; a silent SIGSYS kill (SCMP_ACT_KILL_PROCESS)
 * would leave only "child exited on signal 31" in the web server's log.
 * The trap handler below names the call in the error log and exits at
 * once with 111, so the effect is a kill with a reason.  The request in
 * flight gets no answer from us, the web server answers 5xx, and the
 * sender retries: nothing acknowledged is lost, and the web server starts
 * a fresh process.  The kernel forces SIGSYS delivery even when it is
 * blocked or ignored, and the call itself never runs in any case.
 *
 * Seccomp cannot look at paths, so open and rename stay unrestricted by
 * name.  XXX Landlock (Linux 5.13+) could confine writes to log_dir and
 * state_dir; not done yet because older kernels lack it.
 *
 * Builds with AddressSanitizer need more: LeakSanitizer stops the world
 * at exit with a clone()d thread that ptrace()s the others, found in
 * /proc/self/task.  Those calls are allowed only when the compiler says
 * ASan is on (see SANDBOX_ASAN); a production build never allows them.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <linux/sched.h>	/* CLONE_THREAD, CLONE_VM */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

/*
 * Valgrind runs a program through its own translator, which maps
 * executable memory and makes calls of its own that no allowlist can
 * foresee, and it cannot run under a filter at all.  Under it the filter
 * is skipped (t4000 tests memory, every other test runs with the filter).
 * RUNNING_ON_VALGRIND is an instruction sequence that yields 0 on real
 * hardware, so nothing outside Valgrind can turn the filter off.  Builds
 * without valgrind.h always apply it.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SANDBOX_VALGRIND	1
#endif
#endif

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif

/* The calls a handler makes after sandbox_enter(), as strace shows. */
static const char *const allowed[] = {
	/* Requests and responses: libfcgi on a socket, or CGI stdio. */
	"read", "write", "readv", "writev", "close", "accept", "accept4",
	"shutdown", "poll", "ppoll", "select", "pselect6", "getpeername",
	"getsockname",
	/* SQLite (WAL) and the delivery log, rotation included. */
	"open", "openat", "pread64", "pwrite64", "preadv", "pwritev",
	"lseek", "stat", "fstat", "lstat", "newfstatat", "statx", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getcwd",
	"fcntl", "flock", "fsync", "fdatasync", "sync_file_range",
	"ftruncate", "fchown", "fchmod", "rename", "renameat", "renameat2",
	"unlink", "unlinkat", "mkdir", "mkdirat",
	/* Memory (mmap and mprotect are added below, never executable). */
	"brk", "munmap", "mremap", "madvise",
	/* Time, sleeping (SQLite's busy handler), threads' futexes. */
	"clock_gettime", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep", "futex", "sched_yield",
	/*
	 * A thread starting (the ledger's checkpointer; clone is below);
	 * ASan's interceptor also asks for the thread's CPU set.
	 */
	"set_robust_list", "rseq", "sched_getaffinity",
	/* OpenSSL's random numbers. */
	"getrandom",
	/* Signals: a stop signal ends the accept loop; abort() resets. */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "restart_syscall",
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"exit", "exit_group",
};

#ifdef SANDBOX_ASAN
/*
 * What the ASan/LSan runtime needs besides: LeakSanitizer's tracer at
 * exit (clone, prctl, getppid, ptrace, wait4, sigaltstack, getdents of
 * /proc/self/task) and isatty() on reports.  Each one was found needed by
 * taking it out and watching the leak check hang or die.
 */
static const char *const allowed_asan[] = {
	"clone", "prctl", "getppid", "ptrace", "wait4", "sigaltstack",
	"getdents", "getdents64", "ioctl",
};
#endif

/*
 * With store = nats, the NATS client (nats.c) keeps a connection to the
 * cluster from threads of its own and reconnects when a server goes
 * away: that is new sockets, connect, socket options, send and receive,
 * and a thread for each reconnect.  These are added only when a handler
 * asked for them with sandbox_allow_network(), and narrowed below:
 * sockets only of the Internet families (no raw or netlink sockets).
 * The filter is applied to every thread of the process (TSYNC), the
 * client's included.
 * getdents64: a connection refused at startup (a wrong password or CA)
 * is opened again per request, and with TLS natsOptions_SetSecure()
 * lists OpenSSL's default CA folder (SSL_CTX_set_default_verify_paths).
 */
static const char *const allowed_net[] = {
	"connect", "sendto", "recvfrom", "sendmsg", "recvmsg", "getsockopt",
	"uname",
	"epoll_create1", "epoll_ctl", "epoll_wait", "pipe", "pipe2",
	"getdents64",
};
static int	 network;

/* Names of calls an attacker would try, resolved before the filter. */
static const char *const suspects[] = {
	"execve", "execveat", "socket", "connect", "bind", "listen",
	"setsockopt",
	"fork", "vfork", "clone", "clone3", "ptrace", "kill", "mmap",
	"mprotect", "chmod", "prctl", "setuid", "seccomp",
};

static struct {
	int		 nr;
	const char	*name;
} known[sizeof(suspects) / sizeof(suspects[0])];

/* Appends a decimal number to p; async-signal-safe. */
static char *
put_num(char *p, long v)
{
	char	 tmp[24];
	size_t	 n = 0;

	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < sizeof(tmp));
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static char *
put_str(char *p, const char *s)
{
	size_t	 n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* SIGSYS from the filter: name the call in the error log and exit. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char	 msg[160], *p = msg;
	size_t	 i;

	(void)sig;
	(void)uc;
	p = put_str(p, "webhook-fcgi: sandbox: forbidden system call ");
	p = put_num(p, si->si_syscall);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].name != NULL && known[i].nr == si->si_syscall) {
			p = put_str(p, " (");
			p = put_str(p, known[i].name);
			p = put_str(p, ")");
			break;
		}
	p = put_str(p, ", exiting\n");
	/* Exit either way: there is nowhere else to report to. */
	if (write(STDERR_FILENO, msg, (size_t)(p - msg)) == -1)
		_exit(111);
	_exit(111);
}

void
sandbox_allow_network(void)
{
	network = 1;
}

/* Internet stream sockets and their options; see above. */
static int
allow_network(scmp_filter_ctx ctx)
{
	static const int	 families[] = { AF_INET, AF_INET6 };
	size_t			 i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i], 0)) != 0)
			return -1;
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
	    SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
	    SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP, 0)) != 0)
		return -1;
	return 0;
}

/*
 * Threads, never a new process: the NATS client's, and the ledger's
 * checkpointer, started on the first checkpoint (inside the filter).
 * A thread shares the address space and gets the same filter.
 */
static int
allow_threads(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM,
	    CLONE_THREAD | CLONE_VM)) != 0)
		return -1;
	/* clone3's flags sit behind a pointer: make glibc use clone. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) != 0)
		return -1;
	return 0;
}

static int
allow_list(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t	 i;
	int	 nr, rc;

	for (i = 0; i < n; i++) {
		/* A call this architecture lacks (open on arm64) is skipped. */
		if ((nr = seccomp_syscall_resolve_name(names[i])) < 0)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			errno = -rc;
			return -1;
		}
	}
	return 0;
}

/*
 * mmap and mprotect without PROT_EXEC, setsockopt for TCP_NODELAY only,
 * tgkill only at ourselves.
 */
static int
allow_guarded(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * libfcgi sets TCP_NODELAY on every connection it accepts on a TCP
	 * listener (spawn-fcgi -a/-p, systemd ListenStream=host:port); that
	 * one option and no other, so no socket can be re-purposed.
	 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
	    SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP, 0),
	    SCMP_A2(SCMP_CMP_EQ, TCP_NODELAY, 0)) != 0) {
		errno = EINVAL;
		return -1;
	}
	/* raise() and abort() signal the calling process only. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0)) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void
name_suspects(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(suspects) / sizeof(suspects[0]); i++) {
		known[i].nr = seccomp_syscall_resolve_name(suspects[i]);
		known[i].name = suspects[i];
	}
}

int
sandbox_enter(void)
{
	struct sigaction	 sa;
	scmp_filter_ctx		 ctx;
	int			 rc = -1, saved;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
#ifdef SANDBOX_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return 0;
#endif
	name_suspects();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		return -1;
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/*
	 * Every system call runs the filter: a binary search over the
	 * allowed numbers instead of a linear walk through them.  Older
	 * libseccomp lacks the attribute and keeps the linear filter.
	 */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	/* Threads started before the filter (the NATS client's) get it. */
	if ((saved = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		errno = -saved;
		goto out;
	}
	if (allow_list(ctx, allowed, sizeof(allowed) / sizeof(allowed[0])) ==
	    -1 || allow_guarded(ctx) == -1 || allow_threads(ctx) == -1)
		goto out;
	if (network && (allow_list(ctx, allowed_net, sizeof(allowed_net) /
	    sizeof(allowed_net[0])) == -1 || allow_network(ctx) == -1)) {
		errno = EINVAL;
		goto out;
	}
#ifdef SANDBOX_ASAN
	if (allow_list(ctx, allowed_asan,
	    sizeof(allowed_asan) / sizeof(allowed_asan[0])) == -1)
		goto out;
#endif
	/* libseccomp returns -errno. */
	if ((saved = seccomp_load(ctx)) != 0) {
		errno = -saved;
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	seccomp_release(ctx);
	errno = saved;
	return rc;
}

const char *
sandbox_describe(void)
{
#ifdef SANDBOX_ASAN
	return "sandbox: no_new_privs, seccomp allowlist (relaxed for ASan)";
#else
	return "sandbox: no_new_privs, seccomp allowlist";
#endif
}
