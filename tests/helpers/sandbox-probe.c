/*
 * sandbox-probe: a test fixture, not part of the product.  Enters the
 * handlers' sandbox exactly as serve() does (sandbox_enter() from
 * libwebhook.a), then makes one system call named on the command line,
 * so that tests/integration/t4080-sandbox.sh can show that a forbidden
 * call is stopped and that the calls a handler needs still work.
 *
 * usage: sandbox-probe allowed|nodelay|execve|socket|sockopt|fork|
 *            mmap-exec|mprotect-exec|kill-init|describe
 *
 * "allowed" writes, opens, stats, locks, renames and unlinks a file in
 * the current directory, maps memory and reads the clock, then prints
 * "survived".  Each other word makes the forbidden call and, should it
 * return, prints "survived: <call> returned ..." and exits 0; the
 * sandbox is expected to end the process with status 111 first.
 * "nodelay" and "sockopt" open a TCP socket before the filter, as
 * libfcgi's accepted connection is: TCP_NODELAY on it must work (libfcgi
 * sets it on every TCP connection), any other option must not.
 *
 * With SANDBOX_PROBE_NET=1 in the environment the probe first calls
 * sandbox_allow_network(), as a handler with store = nats does; then
 * "tcp" (a TCP socket, connect to 127.0.0.1:1, TCP_NODELAY and
 * SO_KEEPALIVE) and "thread" (a thread started and joined) must work,
 * while "unix" (an AF_UNIX socket), execve and fork must still not.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

static int
survived(const char *what, long rc)
{
	printf("survived: %s returned %ld (%s)\n", what, rc,
	    rc == -1 ? strerror(errno) : "no error");
	return 0;
}

/* The file and clock calls of a handler, after the filter. */
static int
allowed(void)
{
	struct timespec	 ts;
	struct stat	 st;
	char		*p;
	int		 fd;

	if ((fd = open("probe.tmp", O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || write(fd, "x\n", 2) != 2 ||
	    flock(fd, LOCK_EX) == -1 || fsync(fd) == -1 ||
	    fstat(fd, &st) == -1 || stat("probe.tmp", &st) == -1 ||
	    rename("probe.tmp", "probe.old") == -1 ||
	    unlink("probe.old") == -1 || close(fd) == -1) {
		perror("sandbox-probe: file calls");
		return 1;
	}
	if ((p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED ||
	    munmap(p, 65536) == -1) {
		perror("sandbox-probe: mmap");
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("survived\n");
	return 0;
}

/* What a NATS client does from the sandbox: connect, options, thread. */
static void *
idle(void *arg)
{
	return arg;
}

static int
network(const char *what)
{
	struct sockaddr_in	 sin;
	pthread_t		 t;
	int			 fd, one = 1;

	if (strcmp(what, "thread") == 0) {
		if (pthread_create(&t, NULL, idle, NULL) != 0 ||
		    pthread_join(t, NULL) != 0) {
			perror("sandbox-probe: thread");
			return 1;
		}
		printf("survived\n");
		return 0;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ==
	    -1 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one,
	    sizeof(one)) == -1) {
		perror("sandbox-probe: tcp");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Refused, most likely: what counts is that the call returns. */
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	printf("survived\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static char	 prog[] = "/bin/true";
	char		*args[] = { prog, NULL };
	void		*p;
	int		 one = 1, sock = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: sandbox-probe call\n");
		return 100;
	}
	if (strcmp(argv[1], "describe") == 0) {
		printf("%s\n", sandbox_describe());
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((strcmp(argv[1], "nodelay") == 0 ||
	    strcmp(argv[1], "sockopt") == 0) &&
	    (sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("sandbox-probe: socket");
		return 1;
	}
	if (getenv("SANDBOX_PROBE_NET") != NULL)
		sandbox_allow_network();
	if (sandbox_enter() == -1) {
		perror("sandbox-probe: sandbox_enter");
		return 111;
	}
	if (strcmp(argv[1], "allowed") == 0)
		return allowed();
	if (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "thread") == 0)
		return network(argv[1]);
	if (strcmp(argv[1], "unix") == 0)
		return survived("socket", socket(AF_UNIX, SOCK_STREAM, 0));
	if (strcmp(argv[1], "nodelay") == 0) {
		if (setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one)) == -1) {
			perror("sandbox-probe: TCP_NODELAY");
			return 1;
		}
		printf("survived\n");
		return 0;
	}
	if (strcmp(argv[1], "sockopt") == 0)
		return survived("setsockopt", setsockopt(sock, SOL_SOCKET,
		    SO_REUSEADDR, &one, sizeof(one)));
	if (strcmp(argv[1], "execve") == 0)
		return survived("execve", execve(args[0], args, NULL));
	if (strcmp(argv[1], "socket") == 0)
		return survived("socket", socket(AF_INET, SOCK_STREAM, 0));
	if (strcmp(argv[1], "fork") == 0)
		return survived("fork", (long)fork());
	if (strcmp(argv[1], "kill-init") == 0)
		return survived("kill", kill(1, 0));
	if (strcmp(argv[1], "mmap-exec") == 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return survived("mmap", p == MAP_FAILED ? -1 : 0);
	}
	if (strcmp(argv[1], "mprotect-exec") == 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return survived("mprotect", p == MAP_FAILED ? -1 :
		    mprotect(p, 4096, PROT_READ | PROT_EXEC));
	}
	fprintf(stderr, "sandbox-probe: unknown call '%s'\n", argv[1]);
	return 100;
}
