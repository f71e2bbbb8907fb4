/*
 * spawn: runs one command in its own process group without blocking the
 * caller, so one event loop can drive many at once.  The caller polls
 * the descriptors spawn_pollfds() gives, passes what poll(2) found to
 * spawn_io(), and calls spawn_check() after SIGCHLD and at
 * spawn_deadline(); spawn_check() reaps the child and enforces the
 * timeout (SIGTERM to the whole group, SIGKILL after the grace).
 *
 * Invariants: the child never inherits another descriptor of ours (all
 * are close-on-exec and the child closes everything above 2); its
 * signal mask and dispositions are the defaults; the environment is
 * exactly the one given.  If the calling process dies, the command's
 * first process gets SIGKILL (PR_SET_PDEATHSIG), so a command never
 * outlives its worker's lease unnoticed.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

/* Bytes kept of the end of standard output and of standard error. */
#define SPAWN_TAIL	4096
/* Descriptors spawn_pollfds() may add per command. */
#define SPAWN_NFDS	3

struct spawn;

/* What to run.  Everything is borrowed until spawn_free(). */
struct spawn_cmd {
	const char	*command;	/* a path, or a shell command line */
	char *const	*env;		/* all of it, NULL-terminated */
	const char	*input;		/* standard input, or NULL */
	size_t		 input_len;
	long		 timeout_ms;	/* then SIGTERM to the group */
	long		 grace_ms;	/* then SIGKILL to the group */
};

/* The last bytes of an output stream, and how many there were. */
struct spawn_tail {
	char			 data[SPAWN_TAIL];
	size_t			 len;
	unsigned long long	 total;
};

/* How the command ended; valid once spawn_check() returned 1. */
struct spawn_result {
	int			 exited;	/* 1: code is the status */
	int			 code;
	int			 signal;	/* or what killed it */
	int			 timed_out;	/* killed at the timeout */
	long			 duration_ms;
	size_t			 input_written;	/* stdin bytes taken */
	struct spawn_tail	 out;
	struct spawn_tail	 err;
};

/*
 * Starts the command: an absolute path, maybe followed by words, with
 * no shell syntax is executed directly (split on blanks); anything else
 * through /bin/sh -c, as git's run-command does.  now_ms is the
 * caller's monotonic clock.  Returns the running
 * command, or NULL with a reason in err when no process could be made
 * (a program that cannot be executed is a child exiting 126 or 127
 * with the reason on its standard error).  Caller frees with
 * spawn_free().
 */
struct spawn	*spawn_start(const struct spawn_cmd *, long long now_ms,
		    char *err, size_t errlen);

/* Writes the descriptors to poll into fds[SPAWN_NFDS]; returns how many. */
size_t		 spawn_pollfds(const struct spawn *, struct pollfd *fds);

/* Moves bytes on the descriptors poll(2) reported, in the same order. */
void		 spawn_io(struct spawn *, const struct pollfd *fds,
		    size_t n);

/*
 * Reaps the child if it ended and enforces the timeout.  Returns 1 once
 * the command has finished (its output read, its descriptors closed),
 * else 0.
 */
int		 spawn_check(struct spawn *, long long now_ms);

/* The monotonic time by which spawn_check() must run again, or -1. */
long long	 spawn_deadline(const struct spawn *);

/* Sends SIGKILL to the whole group now; spawn_check() then reaps. */
void		 spawn_kill(struct spawn *);

/* The process id, which is also the process group id. */
pid_t		 spawn_pid(const struct spawn *);

/* Borrowed, valid until spawn_free(). */
const struct spawn_result *spawn_result(const struct spawn *);

/*
 * Frees a command.  One still running is killed (the whole group) and
 * reaped first, so no zombie is left.  spawn_free(NULL) does nothing.
 */
void		 spawn_free(struct spawn *);

#endif /* SPAWN_H */
