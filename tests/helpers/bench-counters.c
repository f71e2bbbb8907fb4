/*
 * bench-counters: what counting one answer costs a receiver, the figure
 * `make bench` prints.  Times counters_answer() (the call serve.c makes
 * once per request) in a loop on a real counter file in a temporary
 * folder, with 4 endpoints claimed as a busy process would have them.
 *
 * usage: bench-counters [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"

static double
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	static const char *const eps[] = { "github", "stripe", "slack", "iot" };
	struct counters_answer	 a;
	struct counters		*c;
	char			 dir[] = "/tmp/bench-counters.XXXXXX";
	char			 err[512], path[512];
	long			 i, n = argc > 1 ? strtol(argv[1], NULL, 10) :
				    2000000;
	double			 t0, t1;

	if (n <= 0 || mkdtemp(dir) == NULL) {
		fprintf(stderr, "usage: bench-counters [iterations]\n");
		return 100;
	}
	if ((c = counters_open(dir, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench-counters: %s\n", err);
		return 111;
	}
	memset(&a, 0, sizeof(a));
	a.verdict = "accepted";
	a.status = 200;
	a.duration_us = 800;
	a.bytes = 1500;
	for (i = 0; i < 4; i++) {
		a.endpoint = eps[i];
		counters_answer(c, &a);
	}
	a.endpoint = "iot";	/* the last slot: the longest search */
	t0 = now_ns();
	for (i = 0; i < n; i++)
		counters_answer(c, &a);
	t1 = now_ns();
	printf("counting one answer: %.0f ns (%ld calls)\n", (t1 - t0) / n, n);
	counters_close(c);
	snprintf(path, sizeof(path), "%s/%s", dir, COUNTERS_FILE);
	unlink(path);
	rmdir(dir);
	return 0;
}
