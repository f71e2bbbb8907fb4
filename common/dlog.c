/*
 * dlog: JSON Lines delivery log with size rotation.
 *
 * Concurrency: every process appending to a log holds an exclusive flock
 * on <dir>/.<endpoint>.lock while it writes, and so does rotation.  The
 * kernel serialises appends to one file anyway; the lock also makes the
 * torn-line check see only finished records (under a shared lock it saw
 * another writer's record half-way and added an empty line).
 * So a rotation never happens in the middle of someone's write, and a
 * writer that still holds the old descriptor notices the new inode
 * before it writes.  If a reopen fails, the old descriptor is kept and a
 * warning goes to the server's error log.
 *
 * The rotated file is synced once it is renamed, by dlog_idle() after
 * the answer has gone: a sync under the lock held every writer for as
 * long as the disk took to take in up to log_max_size of records, and
 * made the rotating request wait for it.
 *
 * Even after the answer that sync stalled: the kernel keeps written
 * pages in memory for up to 30 s, so at rotation most of the file was
 * still to write.  At 6,000 records a second (about 60 MB/s) the sync of
 * a 512 MiB log took 212 ms, lighttpd gave the process new requests
 * meanwhile, and the disk, taken up by it, held a checkpoint's sync of
 * the ledger as long, with every writer waiting (the relaxed bench's p99
 * at 260 ms in the rounds with a rotation, 15 to 20 ms in the others).
 * So each writer hands the log to the disk as it grows, 8 MiB at a
 * time (sync_file_range starts the writing and does not wait for it,
 * as PostgreSQL's backend_flush_after and RocksDB's bytes_per_sync do);
 * rotation then finds little left to sync (4 to 20 ms).
 *
 * Nor does rotation delete the oldest file under the lock: on a file
 * system mounted with "discard" (cloud VMs, this one), freeing a file's
 * blocks waits for the disk to discard each extent: the other writers
 * waited 244 ms at the lock for a 512 MiB file.  The oldest file is
 * renamed out of the way (.<endpoint>.log.dropped), and after the
 * answer dlog_idle() deletes it from a thread of its own: in the
 * process's own thread the 300 to 400 ms of that unlink held the
 * requests lighttpd gave the process meanwhile.  The thread cuts the
 * file down 32 MiB at a time before the unlink, pausing between cuts:
 * in one go the discards filled the disk's queue for those 400 ms, and
 * a checkpoint's sync of the ledger waited behind them (125 ms).
 */
#define _GNU_SOURCE		/* sync_file_range(2) */

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "json.h"
#include "log.h"

struct dlog {
	char	 path[PATH_MAX];
	char	 dir[PATH_MAX];
	char	 dropped[PATH_MAX];	/* the oldest file, waiting for unlink */
	int	 fd;
	int	 lockfd;
	int	 rotated_fd;	/* the file just rotated, until synced */
	int	 drop_pending;	/* we renamed a file to dropped */
	int	 dropping;	/* the dropper thread runs */
	pthread_t dropper;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 clean_end;	/* size after our last whole line, or -1 */
	off_t	 handed;	/* the file up to here went to writeback */
	long	 max_size;
	long	 keep;
};

/*
 * Opens the file at l->path as the one written to.  The descriptor it
 * replaces is closed, or handed to *previous when previous is not NULL.
 */
static int
open_log(struct dlog *l, int *previous)
{
	struct stat	 st;
	int		 fd;

	/* Read too: ends_torn() looks at the last byte. */
	fd = open(l->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	/* The folder was removed from outside: make it again. */
	if (fd == -1 && errno == ENOENT && mkdir(l->dir, 0750) == 0)
		fd = open(l->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (previous != NULL)
		*previous = l->fd;
	else if (l->fd != -1)
		close(l->fd);
	l->fd = fd;
	l->clean_end = -1;
	l->handed = st.st_size;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

struct dlog *
dlog_open(const char *dir, const char *endpoint, long max_size, long keep,
    char *err, size_t errlen)
{
	struct dlog	*l;
	char		 lock[PATH_MAX];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = l->lockfd = l->rotated_fd = -1;
	l->clean_end = -1;
	l->max_size = max_size;
	l->keep = keep;
	if ((size_t)snprintf(l->dir, sizeof(l->dir), "%s", dir) >=
	    sizeof(l->dir) ||
	    (size_t)snprintf(l->path, sizeof(l->path), "%s/%s.log", dir,
	    endpoint) >= sizeof(l->path) ||
	    (size_t)snprintf(lock, sizeof(lock), "%s/.%s.lock", dir,
	    endpoint) >= sizeof(lock) ||
	    (size_t)snprintf(l->dropped, sizeof(l->dropped),
	    "%s/.%s.log.dropped", dir, endpoint) >= sizeof(l->dropped)) {
		snprintf(err, errlen, "log path too long");
		goto fail;
	}
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((l->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) ==
	    -1 || open_log(l, NULL) == -1) {
		snprintf(err, errlen, "cannot open '%s': %s", l->lockfd == -1 ?
		    lock : l->path, strerror(errno));
		goto fail;
	}
	return l;
fail:
	dlog_close(l);
	return NULL;
}

#define DROP_STEP	(32L * 1024 * 1024)

/*
 * Whatever file is at the dropped name is an old log to delete, whoever
 * put it there: another writer's rotation may have replaced ours, or
 * deleted it already.
 */
static void *
delete_dropped(void *arg)
{
	const struct timespec	 pause = { 0, 20 * 1000 * 1000 };
	struct dlog		*l = arg;
	struct stat		 st;
	off_t			 size;
	int			 fd;

	if ((fd = open(l->dropped, O_WRONLY | O_CLOEXEC)) != -1) {
		size = fstat(fd, &st) == 0 ? st.st_size : 0;
		while (size > DROP_STEP) {
			size -= DROP_STEP;
			if (ftruncate(fd, size) == -1)
				break;
			nanosleep(&pause, NULL);
		}
		close(fd);
	}
	if (unlink(l->dropped) == -1 && errno != ENOENT)
		log_warn("cannot delete '%s'", l->dropped);
	return NULL;
}

/* Waits for the last deletion, so that one runs at a time. */
static void
join_dropper(struct dlog *l)
{
	if (l->dropping) {
		pthread_join(l->dropper, NULL);
		l->dropping = 0;
	}
}

void
dlog_idle(struct dlog *l)
{
	if (l == NULL)
		return;
	if (l->rotated_fd != -1) {
		if (fsync(l->rotated_fd) == -1)
			log_warn("fsync of the rotated '%s'", l->path);
		close(l->rotated_fd);
		l->rotated_fd = -1;
	}
	if (l->drop_pending) {
		join_dropper(l);
		l->drop_pending = 0;
		if (pthread_create(&l->dropper, NULL, delete_dropped, l) == 0)
			l->dropping = 1;
		else
			(void)delete_dropped(l);
	}
}

void
dlog_close(struct dlog *l)
{
	if (l == NULL)
		return;
	dlog_idle(l);
	join_dropper(l);
	if (l->fd != -1)
		close(l->fd);
	if (l->lockfd != -1)
		close(l->lockfd);
	free(l);
}

/*
 * Reopens when the file at our path is no longer the one we hold.  When
 * that fails, writing on to a renamed file is fine (the record is still
 * there to read), but a deleted one (its folder removed, and no right to
 * make it again) would swallow the record: returns -1 then, so that the
 * delivery is not acknowledged.  Returns 0 otherwise, with the size of
 * the file we hold in *size when the stat(2) of the path told it, else
 * -1 (one fstat(2) fewer per record in the common case).
 */
static int
follow_rename(struct dlog *l, off_t *size)
{
	struct stat	 st;
	int		 saved;

	*size = -1;
	if (stat(l->path, &st) == 0 && st.st_dev == l->dev &&
	    st.st_ino == l->ino) {
		*size = st.st_size;
		return 0;
	}
	if (open_log(l, NULL) == 0)
		return 0;
	saved = errno;
	if (fstat(l->fd, &st) == 0 && st.st_nlink == 0) {
		log_warn("cannot reopen '%s', and the old file was deleted",
		    l->path);
		errno = saved;
		return -1;
	}
	log_warn("cannot reopen '%s', still writing the old file", l->path);
	return 0;
}

/* Moves path to the dropped name, for dlog_idle() to delete. */
static int
drop(struct dlog *l, const char *path)
{
	if (rename(path, l->dropped) == -1) {
		if (errno != ENOENT)
			log_warn("rename '%s'", path);
		return -1;
	}
	l->drop_pending = 1;
	return 0;
}

static void
rotate(struct dlog *l)
{
	char	 from[PATH_MAX + 32], to[PATH_MAX + 32];
	off_t	 size;
	long	 i;
	int	 moved;

	/* One rotated file waits for its sync, and one for its unlink. */
	dlog_idle(l);
	join_dropper(l);
	if (flock(l->lockfd, LOCK_EX) == -1)
		return;
	(void)follow_rename(l, &size);
	/* Another process may have rotated while we waited for the lock. */
	if (lseek(l->fd, 0, SEEK_END) < l->max_size)
		goto out;
	if (l->keep > 0) {
		snprintf(from, sizeof(from), "%s.%ld", l->path, l->keep);
		(void)drop(l, from);
		for (i = l->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%ld", l->path, i);
			snprintf(to, sizeof(to), "%s.%ld", l->path, i + 1);
			if (rename(from, to) == -1 && errno != ENOENT)
				log_warn("rename '%s'", from);
		}
		snprintf(to, sizeof(to), "%s.1", l->path);
		moved = rename(l->path, to) == 0;
	} else
		moved = drop(l, l->path) == 0;
	if (!moved)
		log_warn("rotate '%s'", l->path);
	else if (open_log(l, &l->rotated_fd) == -1)
		log_warn("cannot reopen '%s' after rotation", l->path);
out:
	flock(l->lockfd, LOCK_UN);
}

/* See the top of the file: the log goes to the disk 8 MiB at a time. */
#define WRITEBACK_STEP	(8 * 1024 * 1024)

static void
start_writeback(struct dlog *l)
{
	if (l->clean_end - l->handed < WRITEBACK_STEP)
		return;
	/* Only a hint: the kernel, or the sync at rotation, writes the rest. */
	(void)sync_file_range(l->fd, l->handed, l->clean_end - l->handed,
	    SYNC_FILE_RANGE_WRITE);
	l->handed = l->clean_end;
}

/*
 * A writer killed in the middle of a record (a fatal signal can cut a
 * large write(2) short) leaves a last line without its newline.  Returns
 * 1 when the file ends that way: the next record must start a new line,
 * so that only the torn one is lost to readers.  *size is the file's
 * size, or -1 when not known yet; a file still as long as our own last
 * whole line left it needs no look (one pread(2) fewer).
 */
static int
ends_torn(const struct dlog *l, off_t *size)
{
	struct stat	 st;
	char		 c;

	if (*size == -1) {
		if (fstat(l->fd, &st) == -1)
			return 0;	/* *size stays unknown */
		*size = st.st_size;
	}
	if (*size == 0 || *size == l->clean_end)
		return 0;
	return pread(l->fd, &c, 1, *size - 1) == 1 && c != '\n';
}

/*
 * After a short write (disk full), takes the partial record back out
 * when nothing was appended after it (redis aof.c does the same), else
 * ends its line.  Called with the log's lock held, so nobody appends
 * between the check and the cut (a process that does not take the lock,
 * an editor say, can still have).
 */
static void
undo_partial(struct dlog *l, ssize_t n)
{
	struct stat	 st;
	off_t		 end;

	/* O_APPEND leaves the offset at the end of our own bytes. */
	end = lseek(l->fd, 0, SEEK_CUR);
	if (end >= n && fstat(l->fd, &st) == 0 && st.st_size == end &&
	    ftruncate(l->fd, end - n) == 0)
		return;
	if (write(l->fd, "\n", 1) == -1)
		log_warn("cannot end a torn line in '%s'", l->path);
}

int
dlog_write(struct dlog *l, const char *line, size_t len)
{
	ssize_t	 n;
	off_t	 end = 0;
	int	 saved;

	if (flock(l->lockfd, LOCK_EX) == -1)
		return -1;
	if (follow_rename(l, &end) == -1)
		goto fail;
	if (ends_torn(l, &end)) {
		if (write(l->fd, "\n", 1) != 1)
			goto fail;
		end++;
	}
	n = write(l->fd, line, len);
	saved = errno;
	if (n > 0 && (size_t)n < len) {
		undo_partial(l, n);
		saved = ENOSPC;
	}
	/* Under the lock nobody else appends: the size is known. */
	l->clean_end = end >= 0 && n > 0 && (size_t)n == len &&
	    line[len - 1] == '\n' ? end + n : -1;
	if (end < 0)
		end = 0;
	if (n > 0)
		end += n;
	flock(l->lockfd, LOCK_UN);
	if (n < 0 || (size_t)n < len) {
		errno = saved;
		return -1;
	}
	if (end >= l->max_size)
		rotate(l);
	else
		start_writeback(l);
	return 0;
fail:
	saved = errno;
	flock(l->lockfd, LOCK_UN);
	errno = saved;
	return -1;
}

void
dlog_time(long long time_ms, char *out)
{
	struct tm	 tm;
	time_t		 t = (time_t)(time_ms / 1000);
	size_t		 n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(time_ms % 1000));
}

/*
 * Appends ,"key":"value".  The value may come from the request (the URI,
 * the method) and hold any byte: bytes that are not UTF-8 are written as
 * U+FFFD, so that the record is always made and always valid JSON.
 */
static int
add_opt(struct buf *out, const char *key, const char *v)
{
	size_t	 start = out->len;

	if (v == NULL)
		return 0;
	if (buf_addc(out, ',') == -1 ||
	    json_add_string(out, key, strlen(key)) == -1 ||
	    buf_addc(out, ':') == -1 ||
	    json_add_string_lossy(out, v, strlen(v)) == -1) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
dlog_format(struct buf *out, const struct dlog_entry *e)
{
	char	 when[32];

	buf_reset(out);
	dlog_time(e->time_ms, when);
	/* Field order is fixed so that people can read raw lines too. */
	if (buf_addc(out, '{') == -1 ||
	    json_add_kv(out, 1, "time", when, strlen(when)) == -1 ||
	    add_opt(out, "endpoint", e->endpoint) == -1 ||
	    add_opt(out, "provider", e->provider) == -1 ||
	    json_add_kv_int(out, "status", e->status) == -1 ||
	    add_opt(out, "verdict", e->verdict) == -1 ||
	    add_opt(out, "reason", e->reason) == -1 ||
	    add_opt(out, "id", e->id) == -1 ||
	    add_opt(out, "event", e->event) == -1 ||
	    add_opt(out, "duplicate_of", e->duplicate_of) == -1 ||
	    add_opt(out, "remote_addr", e->remote_addr) == -1 ||
	    add_opt(out, "method", e->method) == -1 ||
	    add_opt(out, "uri", e->uri) == -1)
		return -1;
	if (e->headers != NULL && (buf_adds(out, ",\"headers\":") == -1 ||
	    buf_add(out, e->headers, e->headers_len) == -1))
		return -1;
	/* Not UTF-8 (json_add_kv refuses it): keep the bytes in base64. */
	if (e->body != NULL && json_add_kv(out, 0, "body", e->body,
	    e->body_len) == -1 && (buf_adds(out, ",\"body_base64\":\"") == -1 ||
	    json_add_base64(out, (const unsigned char *)e->body,
	    e->body_len) == -1 || buf_addc(out, '"') == -1))
		return -1;
	if (add_opt(out, "body_sha256", e->body_sha256) == -1 ||
	    json_add_kv_int(out, "bytes", (long long)e->body_len) == -1 ||
	    json_add_kv_int(out, "duration_us", e->duration_us) == -1 ||
	    buf_adds(out, "}\n") == -1)
		return -1;
	return 0;
}
