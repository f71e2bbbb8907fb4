/*
 * ledger-sweep: a measuring fixture, not part of the product.  Runs
 * retention (ledger_prune, as webhook-worker does) on a live ledger for
 * SECONDS seconds on a clock of its own that starts at START (Unix ms)
 * and runs SPEED times faster than the real one, so that a month of
 * expiry can happen while bench/bench.sh loads the handlers.  Calls
 * again as soon as a call returns (10 ms later when it found nothing),
 * and prints what it did and its longest call.
 *
 * usage: ledger-sweep [-k keep_days] [-w window_days] -x speed
 *            -t start_ms -s seconds db
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"

#define DAY_MS	86400000LL

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	struct timespec	 idle = { 0, 10000000 };
	struct ledger	*l;
	char		 err[512];
	long long	 keep = 7, window = 30, speed = 0, start = -1, secs = 0;
	long long	 t0, t, took, longest = 0, pruned, deleted;
	long long	 np = 0, nd = 0, calls = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "k:s:t:w:x:")) != -1) {
		switch (ch) {
		case 'k':
			keep = strtoll(optarg, NULL, 10);
			break;
		case 's':
			secs = strtoll(optarg, NULL, 10);
			break;
		case 't':
			start = strtoll(optarg, NULL, 10);
			break;
		case 'w':
			window = strtoll(optarg, NULL, 10);
			break;
		case 'x':
			speed = strtoll(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || speed <= 0 || start < 0 || secs <= 0)
		goto usage;
	if ((l = ledger_open(argv[optind], 0, 10000, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "ledger-sweep: %s\n", err);
		return 111;
	}
	t0 = now_ms();
	while ((t = now_ms()) - t0 < secs * 1000) {
		if (ledger_prune(l, start + (t - t0) * speed, keep * DAY_MS,
		    window * DAY_MS, &pruned, &deleted, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "ledger-sweep: %s\n", err);
			ledger_close(l);
			return 111;
		}
		calls++;
		if ((took = now_ms() - t) > longest)
			longest = took;
		np += pruned;
		nd += deleted;
		if (pruned + deleted == 0)
			nanosleep(&idle, NULL);
	}
	ledger_close(l);
	printf("%lld %lld %lld %lld\n", np, nd, calls, longest);
	return 0;
usage:
	fprintf(stderr, "usage: ledger-sweep [-k keep_days] [-w window_days]"
	    " -x speed -t start_ms -s seconds db\n");
	return 100;
}
