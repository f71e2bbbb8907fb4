/*
 * counters: the shared counter file, <state_dir>/metrics.counters, that
 * every handler process and the worker add to and metrics.fcgi reads.
 * The file is mapped MAP_SHARED; adding is one relaxed atomic add per
 * number, so the delivery path pays well under a microsecond and takes
 * no lock.  A slot per endpoint is claimed once per process under
 * flock(2).  The numbers only grow and survive restarts (Prometheus
 * counters); deleting the file resets them, which Prometheus tolerates.
 *
 * Labels stay low-cardinality by construction: every dimension below is
 * a fixed table, never an id, a header or a secret.
 */
#ifndef COUNTERS_H
#define COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define COUNTERS_FILE		"metrics.counters"

#define COUNTERS_VERDICTS	4	/* accepted duplicate rejected failed */
#define COUNTERS_STATUSES	12	/* counters_statuses[], then other */
#define COUNTERS_REASONS	14	/* counters_reasons[] */
#define COUNTERS_LATENCY	12	/* counters_latency_le[], then +Inf */
#define COUNTERS_EXITS		18	/* 0-15, other, signal */
#define COUNTERS_DURATION	12	/* counters_duration_le[], then +Inf */
#define COUNTERS_OUTCOMES	4	/* done retry dead filtered */

/* One endpoint's numbers.  Histogram buckets are not cumulative here. */
struct counters_block {
	uint64_t	 verdict[COUNTERS_VERDICTS];
	uint64_t	 status[COUNTERS_STATUSES];
	uint64_t	 reason[COUNTERS_REASONS];
	uint64_t	 latency[COUNTERS_LATENCY];
	uint64_t	 latency_sum_us;
	uint64_t	 bytes;
	uint64_t	 commands;
	uint64_t	 exit_code[COUNTERS_EXITS];
	uint64_t	 duration[COUNTERS_DURATION];
	uint64_t	 duration_sum_ms;
	uint64_t	 outcome[COUNTERS_OUTCOMES];
	uint64_t	 spare[32];	/* room to grow within one version */
};

/* The label values, index for index. */
extern const char *const	counters_verdicts[COUNTERS_VERDICTS];
extern const int		counters_statuses[COUNTERS_STATUSES - 1];
extern const char *const	counters_reasons[COUNTERS_REASONS];
extern const double		counters_latency_le[COUNTERS_LATENCY - 1];
extern const double		counters_duration_le[COUNTERS_DURATION - 1];
extern const char *const	counters_outcomes[COUNTERS_OUTCOMES];

struct counters;

/*
 * Maps <state_dir>/metrics.counters, creating it when writable is set;
 * read-only otherwise (metrics.fcgi).  Returns NULL with a reason in
 * err.  Caller closes with counters_close(); counters_close(NULL) does
 * nothing.
 */
struct counters	*counters_open(const char *state_dir, int writable,
		    char *err, size_t errlen);
void		 counters_close(struct counters *);

/* A handler's answer; strings borrowed for the call. */
struct counters_answer {
	const char	*endpoint;
	const char	*verdict;	/* accepted|duplicate|rejected|failed */
	int		 status;	/* HTTP status sent */
	const char	*reason;	/* a counters_reasons[] word, or NULL */
	long		 duration_us;	/* handler latency */
	size_t		 bytes;		/* body bytes received */
};

/*
 * Counts one answer.  Never fails the caller: a full slot table or a
 * closed file (NULL) loses the count, with one warning per process.
 */
void		 counters_answer(struct counters *,
		    const struct counters_answer *);

/* A worker's attempt; strings borrowed for the call. */
struct counters_attempt {
	const char	*endpoint;
	int		 ran;		/* a command ran (not filtered) */
	int		 exited;	/* it exited: code holds the status */
	int		 code;
	long		 duration_ms;
	const char	*outcome;	/* done|retry|dead|filtered */
};

void		 counters_attempt(struct counters *,
		    const struct counters_attempt *);

/*
 * Calls fn once per endpoint with a copy of its numbers, in the order
 * the slots were claimed; a non-zero return of fn stops.  Returns 0 or
 * fn's value.
 */
int		 counters_each(struct counters *, int (*fn)(void *,
		    const char *endpoint, const struct counters_block *),
		    void *arg);

#endif /* COUNTERS_H */
