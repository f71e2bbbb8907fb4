/*
 * spawn: vfork and exec with pipes, driven by the caller's poll loop.
 *
 * The parent's ends of the pipes are non-blocking and close-on-exec, so
 * a second command started meanwhile never holds the first one's stdin
 * open (it would never see end of file).  Output is not accumulated:
 * only the last SPAWN_TAIL bytes of each stream are kept, so a chatty
 * command costs fixed memory.
 */
/* pipe2(2), close_range(2) */
#define _GNU_SOURCE

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

/* Bytes moved per read(2), and reads per stream per call. */
#define CHUNK		16384
#define READS_PER_CALL	16

struct spawn {
	struct spawn_cmd	 cmd;
	pid_t			 pid;
	int			 in;	/* our ends; -1 once closed */
	int			 out;
	int			 err;
	size_t			 in_off;
	int			 reaped;
	int			 finished;
	int			 term_sent;
	int			 kill_sent;
	long long		 start;
	long long		 deadline;
	long long		 kill_at;
	struct spawn_result	 res;
};

/*
 * Shell syntax in a command means /bin/sh must run it; so does a bare
 * name, which needs a PATH search in the child's own environment.  The
 * character set is git's (run-command.c, prepare_shell_cmd), less the
 * blanks: words split on blanks are executed directly, so that the
 * program itself leads the group and gets PR_SET_PDEATHSIG (Debian's
 * dash forks even for `sh -c 'one command'`).
 */
static int
needs_shell(const char *command)
{
	size_t	 skip = strspn(command, " \t");

	return command[strcspn(command, "|&;<>()$`\\\"'\n*?[#~=%")] !=
	    '\0' || command[skip] != '/';
}

/* Splits a command line without shell syntax on blanks, in place. */
static char **
split_words(char *s)
{
	char	**argv;
	size_t	  n = 0;

	if ((argv = calloc(strlen(s) / 2 + 2, sizeof(*argv))) == NULL)
		return NULL;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		argv[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	argv[n] = NULL;
	return argv;
}

/*
 * The argument vector of a command, made before vfork: the child shares
 * our memory and must not allocate.  argv[0..3] hold "sh -c command";
 * *copy is the writable copy that execve(2) wants.  NULL when out of
 * memory.
 */
static char **
command_argv(const char *command, char *shell[4], char **copy)
{
	static char	 sh[] = "sh", dash_c[] = "-c";

	if ((*copy = strdup(command)) == NULL)
		return NULL;
	if (!needs_shell(*copy))
		return split_words(*copy);
	shell[0] = sh;
	shell[1] = dash_c;
	shell[2] = *copy;
	shell[3] = NULL;
	return shell;
}

/*
 * In the child, before exec: its own group, killed with its parent,
 * default signals, the three pipes as 0, 1 and 2, nothing else open.
 * The child of vfork(2) runs in our memory until it execs, so it only
 * makes system calls: it writes no variable of ours and allocates
 * nothing (strerror of a known errno does not either).  The parent
 * blocked every signal before vfork, so none of its handlers can run
 * here before the dispositions are reset.
 */
static void __attribute__((noreturn))
child(char *const argv[], char *const env[], const int fds[3], pid_t parent)
{
	char		 msg[512];
	sigset_t	 none;
	int		 i, tmp[3], n;

	setpgid(0, 0);
	/* The parent may have died before prctl: then exit at once. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(111);
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Via copies above 2, in case a pipe end is itself 0, 1 or 2. */
	for (i = 0; i < 3; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) == -1)
			_exit(111);
	for (i = 0; i < 3; i++)
		if (dup2(tmp[i], i) == -1)
			_exit(111);
	close_range(3, ~0U, 0);
	execve(argv[0][0] == '/' ? argv[0] : "/bin/sh", argv, env);
	i = errno;
	n = snprintf(msg, sizeof(msg), "webhook-worker: cannot execute"
	    " '%s': %s\n", argv[0], strerror(i));
	if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ?
	    (size_t)n : sizeof(msg) - 1) == -1)
		_exit(126);
	/* The shell's convention: 127 not found, 126 not executable. */
	_exit(i == ENOENT ? 127 : 126);
}

/*
 * vfork, not fork: the worker's address space is several megabytes
 * (SQLite's cache, libraries), and copying its page tables for every
 * command was a third of the worker's time at a thousand commands a
 * second.  Returns the child's PID, or -1.
 */
static pid_t
start_child(char *const argv[], char *const env[], const int fds[3])
{
	sigset_t	 all, old;
	pid_t		 parent = getpid(), pid;
	int		 saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0)
		child(argv, env, fds, parent);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

static int
nonblock(int fd)
{
	int	 fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct spawn *
spawn_start(const struct spawn_cmd *c, long long now_ms, char *err,
    size_t errlen)
{
	struct spawn	*sp;
	int		 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int		 er[2] = { -1, -1 }, fds[3];
	char		*shell[4], *copy = NULL, **argv = NULL;

	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sp->cmd = *c;
	sp->in = sp->out = sp->err = -1;
	if ((argv = command_argv(c->command, shell, &copy)) == NULL ||
	    pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(er, O_CLOEXEC) == -1)
		goto fail;
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = er[1];
	if ((sp->pid = start_child(argv, c->env, fds)) == -1)
		goto fail;
	if (argv != shell)
		free(argv);
	free(copy);
	/* Also here, so that kill(-pid) works as soon as we return. */
	setpgid(sp->pid, sp->pid);
	close(in[0]);
	close(out[1]);
	close(er[1]);
	sp->in = in[1];
	sp->out = out[0];
	sp->err = er[0];
	nonblock(sp->in);
	nonblock(sp->out);
	nonblock(sp->err);
	if (c->input_len == 0)
		close_fd(&sp->in);
	sp->start = now_ms;
	sp->deadline = now_ms + c->timeout_ms;
	return sp;
fail:
	snprintf(err, errlen, "cannot start '%s': %s", c->command,
	    strerror(errno));
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&er[0]);
	close_fd(&er[1]);
	if (argv != shell)
		free(argv);
	free(copy);
	free(sp);
	return NULL;
}

size_t
spawn_pollfds(const struct spawn *sp, struct pollfd *fds)
{
	size_t	 n = 0;

	if (sp->in != -1) {
		fds[n].fd = sp->in;
		fds[n++].events = POLLOUT;
	}
	if (sp->out != -1) {
		fds[n].fd = sp->out;
		fds[n++].events = POLLIN;
	}
	if (sp->err != -1) {
		fds[n].fd = sp->err;
		fds[n++].events = POLLIN;
	}
	return n;
}

/* Keeps the last SPAWN_TAIL bytes of everything appended. */
static void
tail_add(struct spawn_tail *t, const char *p, size_t n)
{
	size_t	 drop;

	t->total += n;
	if (n >= SPAWN_TAIL) {
		memcpy(t->data, p + n - SPAWN_TAIL, SPAWN_TAIL);
		t->len = SPAWN_TAIL;
		return;
	}
	if (t->len + n > SPAWN_TAIL) {
		drop = t->len + n - SPAWN_TAIL;
		memmove(t->data, t->data + drop, t->len - drop);
		t->len -= drop;
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
}

/*
 * Reads what is there, a bounded number of times so that a command
 * writing without pause cannot starve the others.  Closes at EOF.
 */
static void
read_stream(int *fd, struct spawn_tail *t)
{
	char	 buf[CHUNK];
	ssize_t	 n;
	int	 i;

	for (i = 0; i < READS_PER_CALL && *fd != -1; i++) {
		n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			tail_add(t, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			close_fd(fd);
		return;
	}
}

/*
 * A command need not read its input: EPIPE (SIGPIPE is ignored in the
 * worker) just ends the writing.
 */
static void
write_input(struct spawn *sp)
{
	ssize_t	 n;

	while (sp->in != -1 && sp->in_off < sp->cmd.input_len) {
		n = write(sp->in, sp->cmd.input + sp->in_off,
		    sp->cmd.input_len - sp->in_off);
		if (n > 0) {
			sp->in_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(&sp->in);
	}
	close_fd(&sp->in);
}

void
spawn_io(struct spawn *sp, const struct pollfd *fds, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (fds[i].revents == 0)
			continue;
		if (fds[i].fd == sp->in)
			write_input(sp);
		else if (fds[i].fd == sp->out)
			read_stream(&sp->out, &sp->res.out);
		else if (fds[i].fd == sp->err)
			read_stream(&sp->err, &sp->res.err);
	}
}

static void
group_signal(struct spawn *sp, int sig)
{
	/* ESRCH: the whole group is gone already, which is the goal. */
	if (kill(-sp->pid, sig) == -1 && errno != ESRCH)
		kill(sp->pid, sig);
}

static void
reap(struct spawn *sp, long long now_ms)
{
	int	 status;
	pid_t	 r;

	do
		r = waitpid(sp->pid, &status, WNOHANG);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return;
	sp->reaped = 1;
	sp->res.duration_ms = (long)(now_ms - sp->start);
	if (r == -1) {
		/* Reaped by someone else: report it as killed. */
		sp->res.signal = SIGKILL;
		return;
	}
	if (WIFEXITED(status)) {
		sp->res.exited = 1;
		sp->res.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		sp->res.signal = WTERMSIG(status);
}

/* After the reap: take what is left in the pipes, close everything. */
static void
finish(struct spawn *sp)
{
	int	 i;

	/* A process left in the background may still hold the pipes. */
	for (i = 0; i < 4 && sp->out != -1; i++)
		read_stream(&sp->out, &sp->res.out);
	for (i = 0; i < 4 && sp->err != -1; i++)
		read_stream(&sp->err, &sp->res.err);
	close_fd(&sp->in);
	close_fd(&sp->out);
	close_fd(&sp->err);
	sp->res.input_written = sp->in_off;
	/* A timeout kills the whole group: the first process and all. */
	if (sp->res.timed_out)
		group_signal(sp, SIGKILL);
	sp->finished = 1;
}

int
spawn_check(struct spawn *sp, long long now_ms)
{
	if (sp->finished)
		return 1;
	reap(sp, now_ms);
	if (sp->reaped) {
		finish(sp);
		return 1;
	}
	if (!sp->term_sent && now_ms >= sp->deadline) {
		group_signal(sp, SIGTERM);
		sp->term_sent = 1;
		sp->res.timed_out = 1;
		sp->kill_at = now_ms + sp->cmd.grace_ms;
	} else if (sp->term_sent && !sp->kill_sent && now_ms >= sp->kill_at) {
		group_signal(sp, SIGKILL);
		sp->kill_sent = 1;
	}
	return 0;
}

long long
spawn_deadline(const struct spawn *sp)
{
	if (sp->finished || sp->kill_sent)
		return -1;
	return sp->term_sent ? sp->kill_at : sp->deadline;
}

void
spawn_kill(struct spawn *sp)
{
	if (sp->reaped || sp->kill_sent)
		return;
	group_signal(sp, SIGKILL);
	sp->kill_sent = 1;
}

pid_t
spawn_pid(const struct spawn *sp)
{
	return sp->pid;
}

const struct spawn_result *
spawn_result(const struct spawn *sp)
{
	return &sp->res;
}

void
spawn_free(struct spawn *sp)
{
	if (sp == NULL)
		return;
	if (!sp->reaped) {
		group_signal(sp, SIGKILL);
		while (waitpid(sp->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	close_fd(&sp->in);
	close_fd(&sp->out);
	close_fd(&sp->err);
	free(sp);
}
