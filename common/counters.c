/*
 * counters: the shared counter file (see counters.h).  Layout, native
 * byte order (the file never leaves the machine):
 *
 *   struct file_head, then COUNTERS_SLOTS struct slot
 *
 * A slot below head.nused is complete: its name was written before
 * nused was raised (release store, acquire load), so readers and adders
 * need no lock.  Claiming a slot takes flock(LOCK_EX) on the file, so
 * two processes never claim one name twice.  Numbers are added with
 * relaxed atomic adds on the shared mapping: each is exact, and a
 * reader may see one answer's numbers half added, which a scrape
 * tolerates.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "counters.h"
#include "log.h"

#define COUNTERS_MAGIC		"WHCOUNT1"
#define COUNTERS_SLOTS		LIMIT_ENDPOINTS

struct file_head {
	char		 magic[8];
	uint32_t	 slot_size;	/* sizeof(struct slot) when made */
	uint32_t	 nslots;
	uint32_t	 nused;		/* slots claimed, see above */
	uint32_t	 pad;
};

struct slot {
	char			 name[LIMIT_ENDPOINT_NAME + 8];
	struct counters_block	 b;
};

struct file_map {
	struct file_head	 head;
	struct slot		 slots[COUNTERS_SLOTS];
};

struct counters {
	int			 fd;
	struct file_map		*map;
	int			 writable;
	int			 warned;	/* slot table full, said once */
};

const char *const counters_verdicts[COUNTERS_VERDICTS] = {
	"accepted", "duplicate", "rejected", "failed",
};
const int counters_statuses[COUNTERS_STATUSES - 1] = {
	200, 204, 400, 401, 403, 405, 411, 413, 431, 500, 503,
};
const char *const counters_reasons[COUNTERS_REASONS] = {
	"method", "https", "source", "headers", "length", "size", "body",
	"signature", "timestamp", "config", "payload", "ledger", "log",
	"other",
};
/* Seconds; a FastCGI handler answers in well under a millisecond. */
const double counters_latency_le[COUNTERS_LATENCY - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
};
/* Seconds; commands are scripts, from milliseconds to the timeout. */
const double counters_duration_le[COUNTERS_DURATION - 1] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};
const char *const counters_outcomes[COUNTERS_OUTCOMES] = {
	"done", "retry", "dead", "filtered",
};

/* Makes a new or foreign file ours; under LOCK_EX.  0 or -1. */
static int
file_init(int fd)
{
	struct file_head	 h;
	struct stat		 st;

	if (fstat(fd, &st) == -1)
		return -1;
	if ((size_t)st.st_size >= sizeof(h) &&
	    pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    memcmp(h.magic, COUNTERS_MAGIC, 8) == 0 &&
	    h.slot_size == sizeof(struct slot) && h.nslots == COUNTERS_SLOTS &&
	    (size_t)st.st_size >= sizeof(struct file_map))
		return 0;
	/*
	 * Absent, torn or of another layout: start again from zero.
	 * XXX a process still mapping the old layout (an upgrade without a
	 * restart of every handler) would fault on the shrunk file: the
	 * layout changes only with a new COUNTERS_MAGIC, and an upgrade
	 * restarts the web server and the worker.
	 */
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, COUNTERS_MAGIC, 8);
	h.slot_size = sizeof(struct slot);
	h.nslots = COUNTERS_SLOTS;
	if (ftruncate(fd, 0) == -1 ||
	    ftruncate(fd, sizeof(struct file_map)) == -1 ||
	    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -1;
	return 0;
}

/* A reader checks what it maps; 0 or -1 with errno set. */
static int
file_check(int fd)
{
	struct file_head	 h;
	struct stat		 st;

	if (fstat(fd, &st) == -1)
		return -1;
	if ((size_t)st.st_size < sizeof(struct file_map) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, COUNTERS_MAGIC, 8) != 0 ||
	    h.slot_size != sizeof(struct slot) || h.nslots != COUNTERS_SLOTS) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

struct counters *
counters_open(const char *state_dir, int writable, char *err, size_t errlen)
{
	struct counters	*c;
	char		 path[PATH_MAX];
	int		 rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
	    COUNTERS_FILE) >= sizeof(path)) {
		snprintf(err, errlen, "state_dir too long");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->writable = writable;
	c->fd = open(path, writable ? O_RDWR | O_CREAT | O_CLOEXEC :
	    O_RDONLY | O_CLOEXEC, 0660);
	if (c->fd == -1)
		goto fail;
	if (writable) {
		if (flock(c->fd, LOCK_EX) == -1)
			goto fail;
		rc = file_init(c->fd);
		flock(c->fd, LOCK_UN);
	} else
		rc = file_check(c->fd);
	if (rc == -1)
		goto fail;
	c->map = mmap(NULL, sizeof(struct file_map), writable ? PROT_READ |
	    PROT_WRITE : PROT_READ, MAP_SHARED, c->fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		goto fail;
	}
	return c;
fail:
	snprintf(err, errlen, "cannot open '%s': %s", path, errno == EPROTO ?
	    "not a counter file of this version" : strerror(errno));
	counters_close(c);
	return NULL;
}

void
counters_close(struct counters *c)
{
	if (c == NULL)
		return;
	if (c->map != NULL)
		munmap(c->map, sizeof(struct file_map));
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

static uint32_t
nused(const struct counters *c)
{
	uint32_t	 n;

	n = __atomic_load_n(&c->map->head.nused, __ATOMIC_ACQUIRE);
	return n > COUNTERS_SLOTS ? COUNTERS_SLOTS : n;
}

static struct slot *
slot_find(const struct counters *c, const char *name)
{
	uint32_t	 i, n = nused(c);

	for (i = 0; i < n; i++)
		if (strcmp(c->map->slots[i].name, name) == 0)
			return &c->map->slots[i];
	return NULL;
}

/* The slot of an endpoint, claimed on first use; NULL when full. */
static struct slot *
slot_get(struct counters *c, const char *name)
{
	struct slot	*s;
	uint32_t	 n;

	if (c == NULL || !c->writable || name == NULL ||
	    strlen(name) > LIMIT_ENDPOINT_NAME)
		return NULL;
	if ((s = slot_find(c, name)) != NULL)
		return s;
	if (flock(c->fd, LOCK_EX) == -1)
		return NULL;
	if ((s = slot_find(c, name)) == NULL &&
	    (n = nused(c)) < COUNTERS_SLOTS) {
		s = &c->map->slots[n];
		memset(s, 0, sizeof(*s));
		memcpy(s->name, name, strlen(name) + 1);
		__atomic_store_n(&c->map->head.nused, n + 1, __ATOMIC_RELEASE);
	}
	flock(c->fd, LOCK_UN);
	if (s == NULL && !c->warned) {
		c->warned = 1;
		log_warnx("counters: more than %d endpoints, '%s' is not"
		    " counted", COUNTERS_SLOTS, name);
	}
	return s;
}

static void
add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

/* Index of word in a table, or n when it is not there. */
static size_t
word_index(const char *const *table, size_t n, const char *word)
{
	size_t	 i;

	for (i = 0; word != NULL && i < n; i++)
		if (strcmp(table[i], word) == 0)
			return i;
	return n;
}

/* The histogram bucket of v (seconds); the last is +Inf. */
static size_t
bucket(const double *le, size_t n, double v)
{
	size_t	 i;

	for (i = 0; i < n - 1; i++)
		if (v <= le[i])
			return i;
	return n - 1;
}

void
counters_answer(struct counters *c, const struct counters_answer *a)
{
	struct slot	*s;
	size_t		 i;

	if ((s = slot_get(c, a->endpoint)) == NULL)
		return;
	if ((i = word_index(counters_verdicts, COUNTERS_VERDICTS,
	    a->verdict)) < COUNTERS_VERDICTS)
		add(&s->b.verdict[i], 1);
	for (i = 0; i < COUNTERS_STATUSES - 1; i++)
		if (counters_statuses[i] == a->status)
			break;
	add(&s->b.status[i], 1);
	/* An unknown class counts as the last, "other". */
	if (a->reason != NULL && (i = word_index(counters_reasons,
	    COUNTERS_REASONS, a->reason)) <= COUNTERS_REASONS)
		add(&s->b.reason[i < COUNTERS_REASONS ? i :
		    COUNTERS_REASONS - 1], 1);
	add(&s->b.latency[bucket(counters_latency_le, COUNTERS_LATENCY,
	    a->duration_us / 1e6)], 1);
	add(&s->b.latency_sum_us, a->duration_us > 0 ?
	    (uint64_t)a->duration_us : 0);
	add(&s->b.bytes, a->bytes);
}

void
counters_attempt(struct counters *c, const struct counters_attempt *a)
{
	struct slot	*s;
	size_t		 code, i;

	if ((s = slot_get(c, a->endpoint)) == NULL)
		return;
	/* A lost lease is no outcome: the row's next owner counts it. */
	if ((i = word_index(counters_outcomes, COUNTERS_OUTCOMES,
	    a->outcome)) < COUNTERS_OUTCOMES)
		add(&s->b.outcome[i], 1);
	if (!a->ran)
		return;
	add(&s->b.commands, 1);
	if (!a->exited)
		code = COUNTERS_EXITS - 1;
	else if (a->code >= 0 && a->code < COUNTERS_EXITS - 2)
		code = (size_t)a->code;
	else
		code = COUNTERS_EXITS - 2;
	add(&s->b.exit_code[code], 1);
	add(&s->b.duration[bucket(counters_duration_le, COUNTERS_DURATION,
	    a->duration_ms / 1e3)], 1);
	add(&s->b.duration_sum_ms, a->duration_ms > 0 ?
	    (uint64_t)a->duration_ms : 0);
}

/* Copies a block number by number, each read atomically. */
static void
snapshot(const struct counters_block *from, struct counters_block *to)
{
	const uint64_t	*p = (const uint64_t *)from;
	uint64_t	*q = (uint64_t *)to;
	size_t		 i;

	for (i = 0; i < sizeof(*from) / sizeof(uint64_t); i++)
		q[i] = __atomic_load_n(&p[i], __ATOMIC_RELAXED);
}

int
counters_each(struct counters *c, int (*fn)(void *, const char *,
    const struct counters_block *), void *arg)
{
	struct counters_block	 b;
	char			 name[LIMIT_ENDPOINT_NAME + 1];
	uint32_t		 i, n;
	int			 rc;

	if (c == NULL)
		return 0;
	n = nused(c);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s", c->map->slots[i].name);
		snapshot(&c->map->slots[i].b, &b);
		if ((rc = fn(arg, name, &b)) != 0)
			return rc;
	}
	return 0;
}
