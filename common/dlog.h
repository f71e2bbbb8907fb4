/*
 * dlog: the delivery log, <log_dir>/<endpoint>.log, one JSON Lines record
 * per request whatever its outcome.  A record is built whole in memory
 * and appended with a single write(2) to an O_APPEND descriptor, so
 * records from many processes never interleave.  Files rotate by size
 * to <endpoint>.log.1 .. .<log_keep> under a lock; a file renamed or
 * removed from outside (logrotate) is noticed and reopened.
 */
#ifndef DLOG_H
#define DLOG_H

#include <stddef.h>

#include "buf.h"

struct dlog;

/* What one record says.  Strings are borrowed; NULL writes nothing. */
struct dlog_entry {
	long long	 time_ms;	/* Unix ms, written as RFC 3339 */
	const char	*endpoint;
	const char	*provider;
	int		 status;	/* HTTP status sent */
	const char	*verdict;	/* accepted|duplicate|rejected|failed */
	const char	*reason;
	const char	*id;
	const char	*event;
	const char	*duplicate_of;	/* id of the delivery repeated */
	const char	*remote_addr;
	const char	*method;
	const char	*uri;
	const char	*headers;	/* a JSON object, written as is */
	size_t		 headers_len;
	const char	*body;
	size_t		 body_len;
	const char	*body_sha256;	/* hex */
	long		 duration_us;
};

/*
 * Opens the log of an endpoint in dir, creating dir and file if needed.
 * max_size and keep drive rotation.  Returns NULL with a reason in err.
 * Caller closes with dlog_close().
 */
struct dlog	*dlog_open(const char *dir, const char *endpoint,
		    long max_size, long keep, char *err, size_t errlen);
/* Syncs and closes a file rotated by dlog_write(), if any. */
void		 dlog_idle(struct dlog *);
/* Does the same, then closes the log. */
void		 dlog_close(struct dlog *);

/*
 * Appends the entry as one line to out (cleared first): the body as a
 * JSON string when it is UTF-8, else as "body_base64".  0, or -1 when
 * out is full.
 */
int		 dlog_format(struct buf *out, const struct dlog_entry *);

/*
 * Appends one whole line (ending in '\n') to the log, rotating first
 * when due.  Returns 0, or -1 with errno set; after a short write (disk
 * full) the partial record is cut off again, or its line ended when
 * another record already follows it.  A record always starts on a fresh
 * line, even after a writer was killed in the middle of one.
 */
int		 dlog_write(struct dlog *, const char *line, size_t len);

/* Formats an RFC 3339 UTC time with milliseconds into out[32]. */
void		 dlog_time(long long time_ms, char *out);

#endif /* DLOG_H */
