/*
 * webhookctl tail [-f]: the last records of the delivery logs, one line
 * each, merged by time across endpoints; with -f it keeps following.
 *
 * Following survives rotation the way dlog rotates (rename, then a new
 * file): every poll drains the descriptor held, then compares the inode
 * at the path with it and reopens when it changed, or starts over when
 * the file shrank (truncated in place).  A torn or edited line is
 * skipped with a warning; an unfinished last line is kept until its
 * newline arrives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "parse.h"
#include "ctl.h"

/* Milliseconds between two looks at the files under -f. */
#define POLL_MS		200
/* Records -n may ask for. */
#define TAIL_MAX	100000
/* Bytes of a line kept while waiting for its end. */
#define PENDING_MAX	(LIMIT_BODY * 6 + LIMIT_HEADER_TOTAL * 6 + \
	    LIMIT_RECORD_EXTRA)

static const char help[] =
    "Prints the last records of the delivery logs (every endpoint of the\n"
    "configuration when none is named): time, endpoint, status, verdict,\n"
    "event, id and reason, merged by time.\n"
    "  -f               keep following, across rotation\n"
    "  -n N             records to print first (default 10)\n"
    "  --verdict V      only accepted, duplicate, rejected or failed\n"
    "  --event E        only events matching the pattern E (fnmatch)\n"
    "  --json           print the records as they are (JSON Lines)\n";

struct tail_opts {
	long		 n;
	int		 follow;
	int		 json;
	const char	*verdict;
	const char	*event;
};

/* One log file being read. */
struct follow {
	char		 path[PATH_MAX];
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 off;
	long		 lineno;
	struct buf	 pending;	/* bytes after the last newline */
};

/* A record kept for the first screen. */
struct kept {
	long long	 time_ms;
	long		 seq;		/* keeps equal times in file order */
	char		*text;		/* the line to print, with '\n' */
};

struct tail {
	struct ctl		*ctl;
	struct tail_opts	*o;
	struct ctl_record	 rec;
	struct buf		 out;	/* the line being formatted */
	struct buf		 id;	/* its delivery id */
	struct kept		*ring;	/* n most recent matches */
	size_t			 nring, head;
	long			 seq;
	int			 initial;	/* still reading the backlog */
};

static int
matches(const struct tail *t, const struct ctl_record *r)
{
	if (t->o->verdict != NULL && strcmp(r->verdict.data,
	    t->o->verdict) != 0)
		return 0;
	if (t->o->event != NULL && fnmatch(t->o->event, r->event.data, 0) != 0)
		return 0;
	return 1;
}

/* The readable line: time endpoint status verdict event id reason. */
static int
format(struct tail *t, const struct ctl_record *r)
{
	struct buf	*b = &t->out;

	buf_reset(b);
	if (t->o->json)
		return buf_add(b, r->line.data, r->line.len) == -1 ||
		    buf_addc(b, '\n') == -1 ? -1 : 0;
	/* A refused delivery has no id yet: show the one it came with. */
	buf_reset(&t->id);
	if (!ctl_record_delivery_id(r, &t->id) || t->id.len == 0)
		buf_adds(&t->id, "-");
	return buf_printf(b, "%s %-10s %3d %s%-9s%s %-24s %s %s\n",
	    r->time.data, r->endpoint.data, r->status,
	    ctl_paint(t->ctl, r->verdict.data), r->verdict.data,
	    ctl_unpaint(t->ctl), r->event.len > 0 ? r->event.data : "-",
	    t->id.data, r->reason.data);
}

static void
keep(struct tail *t, long long time_ms)
{
	struct kept	*k;
	char		*text;

	if (t->o->n == 0 || (text = strdup(t->out.data)) == NULL)
		return;
	k = &t->ring[t->head];
	free(k->text);
	k->text = text;
	k->time_ms = time_ms;
	k->seq = t->seq++;
	t->head = (t->head + 1) % (size_t)t->o->n;
	if (t->nring < (size_t)t->o->n)
		t->nring++;
}

static void
on_line(struct tail *t, struct follow *f, const char *line, size_t len)
{
	f->lineno++;
	if (len == 0)
		return;
	if (ctl_record_parse(&t->rec, line, len, 0) == -1) {
		log_warnx("'%s' line %ld: not a log record (torn or edited),"
		    " skipped", f->path, f->lineno);
		return;
	}
	if (!matches(t, &t->rec) || format(t, &t->rec) == -1)
		return;
	if (t->initial)
		keep(t, t->rec.time_ms);
	else
		fwrite(t->out.data, 1, t->out.len, stdout);
}

/* Hands every complete line of pending to on_line, keeps the rest. */
static void
split_lines(struct tail *t, struct follow *f)
{
	char	*p = f->pending.data, *nl;
	size_t	 left = f->pending.len;

	while (left > 0 && (nl = memchr(p, '\n', left)) != NULL) {
		on_line(t, f, p, (size_t)(nl - p));
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	memmove(f->pending.data, p, left);
	f->pending.len = left;
	f->pending.data[left] = '\0';
}

/* Reads what has been appended since the last call. */
static void
follow_read(struct tail *t, struct follow *f)
{
	ssize_t	 n;

	while (f->fd != -1) {
		if (buf_reserve(&f->pending, 65536) == -1) {
			log_warnx("'%s' line %ld: too long, skipped",
			    f->path, f->lineno + 1);
			buf_reset(&f->pending);
			continue;
		}
		n = read(f->fd, f->pending.data + f->pending.len, 65536);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		f->pending.len += (size_t)n;
		f->off += n;
		split_lines(t, f);
	}
}

static int
follow_open(struct follow *f)
{
	struct stat	 st;

	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("cannot open '%s'", f->path);
		return -1;
	}
	if (fstat(f->fd, &st) == -1) {
		close(f->fd);
		f->fd = -1;
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = 0;
	f->lineno = 0;
	return 0;
}

/* After draining: a new file at the path, or the same one cut short? */
static void
follow_check(struct tail *t, struct follow *f)
{
	struct stat	 st;

	if (f->fd == -1) {
		if (follow_open(f) == 0)
			follow_read(t, f);
		return;
	}
	if (stat(f->path, &st) == -1)
		return;		/* renamed away, not yet made again */
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		if (f->pending.len > 0)
			log_warnx("'%s': the last line before rotation was"
			    " unfinished, skipped", f->path);
		buf_reset(&f->pending);
		close(f->fd);
		if (follow_open(f) == 0)
			follow_read(t, f);
	} else if (st.st_size < f->off) {
		buf_reset(&f->pending);
		lseek(f->fd, 0, SEEK_SET);
		f->off = 0;
		f->lineno = 0;
		follow_read(t, f);
	}
}

static int
kept_cmp(const void *a, const void *b)
{
	const struct kept	*x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The first screen: each file's last n matches were kept in one ring
 * per file; merging them by time gives the last n overall.
 */
static void
print_kept(struct kept *all, size_t nall, long n)
{
	size_t	 i;

	qsort(all, nall, sizeof(*all), kept_cmp);
	for (i = nall > (size_t)n ? nall - (size_t)n : 0; i < nall; i++)
		fputs(all[i].text, stdout);
}

/* Reads each file to its end, then prints the merged last n. */
static int
backlog(struct tail *t, struct follow *fs, size_t nf)
{
	struct kept	*all;
	size_t		 i, j, nall = 0;

	if ((all = calloc(nf * (size_t)t->o->n + 1, sizeof(*all))) == NULL)
		return -1;
	t->initial = 1;
	for (i = 0; i < nf; i++) {
		t->nring = t->head = 0;
		if (fs[i].fd != -1)
			follow_read(t, &fs[i]);
		for (j = 0; j < t->nring; j++) {
			all[nall++] = t->ring[j];
			t->ring[j].text = NULL;
		}
	}
	t->initial = 0;
	print_kept(all, nall, t->o->n);
	for (i = 0; i < nall; i++)
		free(all[i].text);
	free(all);
	return 0;
}

static int
tail_run(struct ctl *ctl, struct tail_opts *o, const char **names,
    size_t nnames)
{
	struct tail	 t;
	struct follow	*fs;
	struct endpoint	 ep;
	struct timespec	 pause = { 0, POLL_MS * 1000000L };
	size_t		 i;
	int		 rc = CTL_FAIL;

	memset(&t, 0, sizeof(t));
	t.ctl = ctl;
	t.o = o;
	ctl_record_init(&t.rec);
	buf_init(&t.out, PENDING_MAX + 2);
	buf_init(&t.id, LIMIT_HEADER_VALUE + 1);
	fs = calloc(nnames, sizeof(*fs));
	t.ring = calloc((size_t)o->n + 1, sizeof(*t.ring));
	if (fs == NULL || t.ring == NULL)
		goto out;
	for (i = 0; i < nnames; i++) {
		buf_init(&fs[i].pending, PENDING_MAX);
		fs[i].fd = -1;
		if (ctl_endpoint(ctl, names[i], 0, &ep) == -1)
			goto out;
		snprintf(fs[i].path, sizeof(fs[i].path), "%s/%s.log",
		    ep.log_dir, names[i]);
		config_endpoint_release(&ep);
		follow_open(&fs[i]);
	}
	if (backlog(&t, fs, nnames) == -1)
		goto out;
	while (o->follow) {
		fflush(stdout);
		nanosleep(&pause, NULL);
		for (i = 0; i < nnames; i++) {
			follow_read(&t, &fs[i]);
			follow_check(&t, &fs[i]);
		}
	}
	rc = CTL_OK;
out:
	for (i = 0; fs != NULL && i < nnames; i++) {
		if (fs[i].fd != -1)
			close(fs[i].fd);
		buf_release(&fs[i].pending);
	}
	for (i = 0; t.ring != NULL && i < (size_t)o->n; i++)
		free(t.ring[i].text);
	free(t.ring);
	free(fs);
	buf_release(&t.out);
	buf_release(&t.id);
	ctl_record_release(&t.rec);
	return rc;
}

int
ctl_tail(struct ctl *ctl, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "event", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tail_opts		 o;
	const char			*names[LIMIT_ENDPOINTS];
	uint64_t			 n;
	int				 c, nn, i;

	memset(&o, 0, sizeof(o));
	o.n = 10;
	while ((c = getopt_long(argc, argv, "fhn:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.follow = 1;
			break;
		case 'n':
			if (parse_uint(optarg, strlen(optarg), TAIL_MAX,
			    &n) == -1) {
				log_warnx("-n: a number from 0 to %d",
				    TAIL_MAX);
				return ctl_usage(ctl);
			}
			o.n = (long)n;
			break;
		case 'V':
			o.verdict = optarg;
			break;
		case 'e':
			o.event = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			return ctl_help(ctl, help);
		default:
			return ctl_usage(ctl);
		}
	}
	if (argc - optind > LIMIT_ENDPOINTS)
		return ctl_usage(ctl);
	if (argc == optind) {
		if ((nn = ctl_endpoint_names(ctl, NULL, names,
		    LIMIT_ENDPOINTS)) <= 0)
			return CTL_FAIL;
	} else {
		for (i = optind; i < argc; i++)
			if (ctl_endpoint_names(ctl, argv[i], &names[i - optind],
			    1) == -1)
				return CTL_USAGE;
		nn = argc - optind;
	}
	return tail_run(ctl, &o, names, (size_t)nn);
}
