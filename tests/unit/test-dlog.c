/*
 * test-dlog: delivery log records are one line of valid JSON whatever
 * the request held; rotation keeps log_keep whole files; a log renamed
 * or removed from outside, or its folder, is noticed; and four processes
 * writing at once through rotation lose and tear nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlog.h"
#include "json.h"
#include "parse.h"
#include "redact.h"

/* Reads a whole file, NUL-terminated; NULL when it does not exist. */
static char *
slurp(const char *path, size_t *lenp)
{
	struct buf	 b;
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	buf_init(&b, 64 * 1024 * 1024);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n) == -1)
			fail_msg("'%s' too large", path);
	close(fd);
	if (buf_reserve(&b, 0) == -1)
		fail();
	*lenp = b.len;
	return b.data;
}

static struct json_doc *
parse_line(const char *s, size_t len)
{
	struct json_doc	*doc;
	char		 err[128];

	if ((doc = json_parse(s, len, err, sizeof(err))) == NULL)
		fail_msg("not JSON (%s): %.*s", err, (int)len, s);
	if (!json_is_object(doc))
		fail_msg("not an object: %.*s", (int)len, s);
	return doc;
}

/* The value at path as a string; "" when absent. */
static void
get(const struct json_doc *doc, const char *path, struct buf *out)
{
	buf_reset(out);
	if (json_get(doc, path, out) == -1)
		fail_msg("%s: value too large", path);
	if (out->data == NULL && buf_add(out, "", 0) == -1)
		fail();
}

/*
 * Calls fn for every line of a log file; each must end in '\n' and be
 * one JSON object.  Returns the number of lines.
 */
static size_t
each_line(const char *path, void (*fn)(struct json_doc *, void *),
    void *arg)
{
	struct json_doc	*doc;
	char		*s, *p, *nl;
	size_t		 len, n = 0;

	if ((s = slurp(path, &len)) == NULL)
		fail_msg("cannot read '%s'", path);
	if (len > 0 && s[len - 1] != '\n')
		fail_msg("'%s' ends in the middle of a line", path);
	for (p = s; p < s + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(s + len - p));
		if (nl == p)
			fail_msg("'%s' has an empty line", path);
		doc = parse_line(p, (size_t)(nl - p));
		if (fn != NULL)
			fn(doc, arg);
		json_doc_free(doc);
		n++;
	}
	free(s);
	return n;
}

static int
exists(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0;
}

static void
make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test-dlog-XXXXXX");
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp: cannot make a folder under /tmp");
}

/* Removes what a test left in dir, then dir. */
static void
remove_dir(const char *dir)
{
	char	 path[512];
	int	 i;

	snprintf(path, sizeof(path), "%s/ep.log", dir);
	unlink(path);
	for (i = 1; i <= 1000; i++) {
		snprintf(path, sizeof(path), "%s/ep.log.%d", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/ep.log.moved", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.ep.lock", dir);
	unlink(path);
	rmdir(dir);
}

static void
entry_init(struct dlog_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->time_ms = 1700000000123LL;
	e->endpoint = "github";
	e->provider = "github";
	e->status = 200;
	e->verdict = "accepted";
	e->reason = "signature verified (secret #1)";
	e->id = "5f0c9f60-2749-11ef";
	e->event = "push";
	e->remote_addr = "192.0.2.1";
	e->method = "POST";
	e->uri = "/hooks/github";
	e->headers = "{\"X-GitHub-Event\":\"push\"}";
	e->headers_len = strlen(e->headers);
	e->body = "{\"zen\":\"caf\xc3\xa9\"}";
	e->body_len = strlen(e->body);
	e->body_sha256 = "abc123";
	e->duration_us = 1234;
}

static void
expect_field(const struct json_doc *doc, const char *path, const char *want)
{
	struct buf	 v;

	buf_init(&v, 1 << 20);
	get(doc, path, &v);
	if (strcmp(v.data, want) != 0)
		fail_msg("%s = '%s', want '%s'", path, v.data, want);
	buf_release(&v);
}

static void
test_format_fields(void **state)
{
	struct dlog_entry	 e;
	struct json_doc		*doc;
	struct buf		 out, v;

	(void)state;
	entry_init(&e);
	buf_init(&out, 1 << 20);
	assert_int_equal(dlog_format(&out, &e), 0);
	/* One line, ending in its only newline. */
	assert_int_equal(out.data[out.len - 1], '\n');
	assert_ptr_equal(memchr(out.data, '\n', out.len),
	    out.data + out.len - 1);
	doc = parse_line(out.data, out.len - 1);
	expect_field(doc, "time", "2023-11-14T22:13:20.123Z");
	expect_field(doc, "endpoint", "github");
	expect_field(doc, "provider", "github");
	expect_field(doc, "status", "200");
	expect_field(doc, "verdict", "accepted");
	expect_field(doc, "reason", "signature verified (secret #1)");
	expect_field(doc, "id", "5f0c9f60-2749-11ef");
	expect_field(doc, "event", "push");
	expect_field(doc, "remote_addr", "192.0.2.1");
	expect_field(doc, "method", "POST");
	expect_field(doc, "uri", "/hooks/github");
	expect_field(doc, "headers.X-GitHub-Event", "push");
	/* UTF-8 bodies are kept as a string. */
	expect_field(doc, "body", "{\"zen\":\"caf\xc3\xa9\"}");
	expect_field(doc, "body_sha256", "abc123");
	expect_field(doc, "bytes", "15");
	expect_field(doc, "duration_us", "1234");
	buf_init(&v, 64);
	assert_int_equal(json_get(doc, "body_base64", &v), 0);
	buf_release(&v);
	json_doc_free(doc);

	/* NULL fields are left out, not written as null or "". */
	e.reason = e.id = e.event = e.headers = e.body = e.body_sha256 = NULL;
	e.body_len = 0;
	assert_int_equal(dlog_format(&out, &e), 0);
	doc = parse_line(out.data, out.len - 1);
	buf_init(&v, 64);
	assert_int_equal(json_get(doc, "reason", &v), 0);
	assert_int_equal(json_get(doc, "id", &v), 0);
	assert_int_equal(json_get(doc, "body", &v), 0);
	assert_int_equal(json_get(doc, "body_base64", &v), 0);
	assert_null(strstr(out.data, "\"headers\""));
	buf_release(&v);
	expect_field(doc, "bytes", "0");
	json_doc_free(doc);
	buf_release(&out);
}

static void
test_format_binary_body(void **state)
{
	static const char	 body[] = "\x89PNG\r\n\x1a\n\0\xff\xfe";
	struct dlog_entry	 e;
	struct json_doc		*doc;
	struct buf		 out, v;
	unsigned char		 back[64];
	size_t			 n;

	(void)state;
	entry_init(&e);
	e.body = body;
	e.body_len = sizeof(body) - 1;
	buf_init(&out, 1 << 20);
	assert_int_equal(dlog_format(&out, &e), 0);
	assert_ptr_equal(memchr(out.data, '\n', out.len),
	    out.data + out.len - 1);
	doc = parse_line(out.data, out.len - 1);
	buf_init(&v, 1024);
	/* Not UTF-8: base64 of the exact bytes, and no "body". */
	assert_int_equal(json_get(doc, "body", &v), 0);
	assert_int_equal(json_get(doc, "body_base64", &v), 1);
	assert_int_equal(parse_base64(v.data, v.len, back, sizeof(back), &n),
	    0);
	assert_int_equal(n, sizeof(body) - 1);
	assert_memory_equal(back, body, n);
	expect_field(doc, "bytes", "11");
	buf_release(&v);
	json_doc_free(doc);

	/* UTF-8 with NUL and control bytes stays a string, escaped. */
	e.body = "a\0b\r\nc\x1b";
	e.body_len = 7;
	assert_int_equal(dlog_format(&out, &e), 0);
	assert_ptr_equal(memchr(out.data, '\n', out.len),
	    out.data + out.len - 1);
	assert_null(memchr(out.data, '\r', out.len));
	assert_null(memchr(out.data, '\0', out.len));
	doc = parse_line(out.data, out.len - 1);
	buf_init(&v, 1024);
	assert_int_equal(json_get(doc, "body", &v), 1);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.data, "a\0b\r\nc\x1b", 7);
	buf_release(&v);
	json_doc_free(doc);
	buf_release(&out);
}

static void
test_format_hostile_strings(void **state)
{
	struct request		*req;
	struct dlog_entry	 e;
	struct json_doc		*doc;
	struct buf		 out, hdrs, v;

	(void)state;
	/* Header values as a server may pass them: CR, LF, NUL inside. */
	if ((req = calloc(1, sizeof(*req))) == NULL)
		fail();
	req->headers[0].name = "X-Evil";
	req->headers[0].value = "a\r\nX-Injected: 1\0tail";
	req->headers[0].len = 21;
	req->headers[1].name = "X-Quote\"Name";
	req->headers[1].value = "\"}\n{\"verdict\":\"accepted\"";
	req->headers[1].len = strlen(req->headers[1].value);
	req->nheaders = 2;
	buf_init(&hdrs, 4096);
	assert_int_equal(redact_headers(&hdrs, req, NULL), 0);
	entry_init(&e);
	e.headers = hdrs.data;
	e.headers_len = hdrs.len;
	e.reason = "line one\nline two\r";
	e.id = "id\"with\\quotes";
	e.uri = "/x?\x01\x7f";
	buf_init(&out, 1 << 20);
	assert_int_equal(dlog_format(&out, &e), 0);
	assert_ptr_equal(memchr(out.data, '\n', out.len),
	    out.data + out.len - 1);
	assert_null(memchr(out.data, '\r', out.len));
	assert_null(memchr(out.data, '\0', out.len));
	doc = parse_line(out.data, out.len - 1);
	buf_init(&v, 1024);
	assert_int_equal(json_get(doc, "headers.X-Evil", &v), 1);
	assert_int_equal(v.len, 21);
	assert_memory_equal(v.data, "a\r\nX-Injected: 1\0tail", 21);
	buf_release(&v);
	expect_field(doc, "reason", "line one\nline two\r");
	expect_field(doc, "id", "id\"with\\quotes");
	expect_field(doc, "uri", "/x?\x01\x7f");
	/* The injected text did not become a field. */
	expect_field(doc, "verdict", "accepted");
	json_doc_free(doc);
	buf_release(&out);
	buf_release(&hdrs);
	free(req);
}

static void
test_format_full(void **state)
{
	struct dlog_entry	 e;
	struct buf		 out;

	(void)state;
	entry_init(&e);
	buf_init(&out, 64);
	assert_int_equal(dlog_format(&out, &e), -1);
	buf_release(&out);
}

static void
test_time(void **state)
{
	static const struct {
		int		 line;
		long long	 ms;
		const char	*want;
	} cases[] = {
		{ __LINE__, 0, "1970-01-01T00:00:00.000Z" },
		{ __LINE__, 999, "1970-01-01T00:00:00.999Z" },
		{ __LINE__, 1000, "1970-01-01T00:00:01.000Z" },
		{ __LINE__, 1700000000123LL, "2023-11-14T22:13:20.123Z" },
		{ __LINE__, 1700000000007LL, "2023-11-14T22:13:20.007Z" },
		{ __LINE__, 951782400000LL, "2000-02-29T00:00:00.000Z" },
	};
	char	 out[32];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dlog_time(cases[i].ms, out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("line %d: %s, want %s", cases[i].line, out,
			    cases[i].want);
	}
}

/* Splits an id "<child>-<seq>" as record() writes it. */
static void
split_id(const char *id, int *child, int *seq)
{
	const char	*dash;
	uint64_t	 a, b;

	if ((dash = strchr(id, '-')) == NULL ||
	    parse_uint(id, (size_t)(dash - id), 1000, &a) == -1 ||
	    parse_uint(dash + 1, strlen(dash + 1), 100000, &b) == -1)
		fail_msg("odd id '%s'", id);
	*child = (int)a;
	*seq = (int)b;
}

/* The sequence number of the first record of a file. */
static int
first_seq(const char *path)
{
	struct json_doc	*doc;
	struct buf	 v;
	char		*s;
	size_t		 len;
	int		 child, seq;

	if ((s = slurp(path, &len)) == NULL || strchr(s, '\n') == NULL)
		fail_msg("cannot read '%s'", path);
	doc = parse_line(s, (size_t)(strchr(s, '\n') - s));
	buf_init(&v, 64);
	get(doc, "id", &v);
	split_id(v.data, &child, &seq);
	assert_int_equal(child, 0);
	buf_release(&v);
	json_doc_free(doc);
	free(s);
	return seq;
}

/* A record of about 200 bytes carrying a sequence number. */
static void
record(struct buf *out, int child, int seq)
{
	struct dlog_entry	 e;
	char			 id[64];

	entry_init(&e);
	snprintf(id, sizeof(id), "%d-%d", child, seq);
	e.id = id;
	e.body = "{\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
	e.body_len = strlen(e.body);
	if (dlog_format(out, &e) == -1)
		fail();
}

/* Checks ids "0-<seq>" follow each other; arg is the next expected. */
static void
check_seq(struct json_doc *doc, void *arg)
{
	int		*next = arg;
	struct buf	 v;
	char		 want[32];

	buf_init(&v, 64);
	get(doc, "id", &v);
	snprintf(want, sizeof(want), "0-%d", *next);
	if (strcmp(v.data, want) != 0)
		fail_msg("record %s where %s was due", v.data, want);
	(*next)++;
	buf_release(&v);
}

static void
test_rotation(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	struct stat	 st;
	char		 dir[64], path[128], err[256];
	size_t		 total = 0, i;
	int		 seq, next;

	(void)state;
	make_dir(dir, sizeof(dir));
	assert_non_null(l = dlog_open(dir, "ep", 4096, 3, err, sizeof(err)));
	buf_init(&line, 4096);
	for (seq = 0; seq < 400; seq++) {
		record(&line, 0, seq);
		if (dlog_write(l, line.data, line.len) != 0)
			fail_msg("dlog_write %d failed", seq);
	}
	/* The log and three rotated files, not a fourth. */
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	assert_true(exists(path));
	for (i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/ep.log.%zu", dir, i);
		if (!exists(path))
			fail_msg("'%s' missing", path);
		/* A file is rotated once it reached max_size, not before. */
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size >= 4096);
		assert_true(st.st_size < 4096 + (off_t)line.len);
	}
	snprintf(path, sizeof(path), "%s/ep.log.4", dir);
	assert_false(exists(path));
	/* Oldest to newest, the kept records follow each other whole. */
	snprintf(path, sizeof(path), "%s/ep.log.3", dir);
	next = first_seq(path);
	assert_true(next > 0);
	for (i = 3; i >= 1; i--) {
		snprintf(path, sizeof(path), "%s/ep.log.%zu", dir, i);
		total += each_line(path, check_seq, &next);
	}
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	total += each_line(path, check_seq, &next);
	assert_int_equal(next, 400);
	assert_true(total > 0);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

/* How many of our descriptors are open on the file at path. */
static int
open_on(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	char		 fd[300], target[300];
	ssize_t		 n;
	int		 count = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		fail_msg("cannot list /proc/self/fd");
	while ((de = readdir(d)) != NULL) {
		snprintf(fd, sizeof(fd), "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(fd, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		count += strcmp(target, path) == 0;
	}
	closedir(d);
	return count;
}

/* Writes records numbered from *seq on until path exists (100 at most). */
static void
write_until(struct dlog *l, struct buf *line, const char *path, int *seq)
{
	int	 limit = *seq + 100;

	while (!exists(path) && *seq < limit) {
		record(line, 0, (*seq)++);
		assert_int_equal(dlog_write(l, line->data, line->len), 0);
	}
	if (!exists(path))
		fail_msg("no '%s' after 100 records", path);
}

/*
 * The sync of a rotated file waits for dlog_idle(), after the answer:
 * until then the writer that rotated keeps it open, and never more than
 * one such file.  Synced or not, its records are all there.
 */
static void
test_rotation_sync_deferred(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	char		 dir[64], first[128], second[128], err[256];
	int		 seq = 0, next = 0;

	(void)state;
	make_dir(dir, sizeof(dir));
	snprintf(first, sizeof(first), "%s/ep.log.1", dir);
	snprintf(second, sizeof(second), "%s/ep.log.2", dir);
	assert_non_null(l = dlog_open(dir, "ep", 4096, 3, err, sizeof(err)));
	buf_init(&line, 4096);
	write_until(l, &line, first, &seq);
	assert_int_equal(open_on(first), 1);
	/* A second rotation syncs the first file before it renames. */
	write_until(l, &line, second, &seq);
	assert_int_equal(open_on(second), 0);
	assert_int_equal(open_on(first), 1);
	dlog_idle(l);
	assert_int_equal(open_on(first), 0);
	dlog_idle(l);
	/* The write that filled a file rotated it: ep.log is empty. */
	each_line(second, check_seq, &next);
	each_line(first, check_seq, &next);
	assert_int_equal(next, seq);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

/* The inode of the file at path, or 0. */
static ino_t
inode_of(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Fails unless path is gone within 5 s (deleted by a thread). */
static void
wait_gone(const char *path)
{
	int	 i;

	for (i = 0; i < 500 && exists(path); i++)
		usleep(10000);
	if (exists(path))
		fail_msg("'%s' still there after 5 s", path);
}

/*
 * Rotation does not delete the oldest file with the lock held (freeing
 * the blocks of a large file can take a disk long): it renames it to a
 * hidden name, and dlog_idle(), after the answer, deletes it.
 */
static void
test_rotation_drop_deferred(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	char		 dir[64], kept[128], dropped[128], err[256];
	ino_t		 oldest;
	int		 seq = 0, next;

	(void)state;
	make_dir(dir, sizeof(dir));
	snprintf(kept, sizeof(kept), "%s/ep.log.1", dir);
	snprintf(dropped, sizeof(dropped), "%s/.ep.log.dropped", dir);
	assert_non_null(l = dlog_open(dir, "ep", 4096, 1, err, sizeof(err)));
	buf_init(&line, 4096);
	write_until(l, &line, kept, &seq);
	dlog_idle(l);
	assert_false(exists(dropped));
	oldest = inode_of(kept);
	/* Records until the next rotation replaces ep.log.1. */
	while (inode_of(kept) == oldest && seq < 200) {
		record(&line, 0, seq++);
		assert_int_equal(dlog_write(l, line.data, line.len), 0);
	}
	assert_int_not_equal(inode_of(kept), oldest);
	/* The old file is still there, under the hidden name... */
	assert_int_equal(inode_of(dropped), oldest);
	/* ...until the writer is idle: then a thread deletes it. */
	dlog_idle(l);
	wait_gone(dropped);
	/* What is kept still follows on whole. */
	next = first_seq(kept);
	each_line(kept, check_seq, &next);
	snprintf(kept, sizeof(kept), "%s/ep.log", dir);
	each_line(kept, check_seq, &next);
	assert_int_equal(next, seq);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

static void
test_rotation_keep_zero(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	char		 dir[64], path[128], err[256];
	size_t		 n;
	int		 seq;

	(void)state;
	make_dir(dir, sizeof(dir));
	assert_non_null(l = dlog_open(dir, "ep", 4096, 0, err, sizeof(err)));
	buf_init(&line, 4096);
	for (seq = 0; seq < 100; seq++) {
		record(&line, 0, seq);
		assert_int_equal(dlog_write(l, line.data, line.len), 0);
	}
	/* Nothing kept: the log starts over, under max_size. */
	snprintf(path, sizeof(path), "%s/ep.log.1", dir);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	n = each_line(path, NULL, NULL);
	assert_true(n > 0);
	assert_true(n * line.len < 4096);
	/* What was dropped is deleted once the writer is idle. */
	dlog_idle(l);
	snprintf(path, sizeof(path), "%s/.ep.log.dropped", dir);
	wait_gone(path);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

static void
test_outside_rename(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	char		 dir[64], path[128], moved[128], err[256];
	int		 next;

	(void)state;
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	snprintf(moved, sizeof(moved), "%s/ep.log.moved", dir);
	assert_non_null(l = dlog_open(dir, "ep", 1 << 20, 3, err,
	    sizeof(err)));
	buf_init(&line, 4096);
	record(&line, 0, 0);
	assert_int_equal(dlog_write(l, line.data, line.len), 0);
	/* logrotate moves the file away... */
	assert_int_equal(rename(path, moved), 0);
	record(&line, 0, 1);
	assert_int_equal(dlog_write(l, line.data, line.len), 0);
	/* ...and the next record starts a fresh file. */
	next = 0;
	assert_int_equal(each_line(moved, check_seq, &next), 1);
	assert_int_equal(each_line(path, check_seq, &next), 1);
	/* Removed outright: the same. */
	assert_int_equal(unlink(path), 0);
	record(&line, 0, 2);
	assert_int_equal(dlog_write(l, line.data, line.len), 0);
	next = 2;
	assert_int_equal(each_line(path, check_seq, &next), 1);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

static void
test_dir_removed(void **state)
{
	struct dlog	*l;
	struct buf	 line;
	char		 dir[64], path[128], lock[128], err[256];
	int		 next;

	(void)state;
	make_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	snprintf(lock, sizeof(lock), "%s/.ep.lock", dir);
	assert_non_null(l = dlog_open(dir, "ep", 1 << 20, 3, err,
	    sizeof(err)));
	buf_init(&line, 4096);
	record(&line, 0, 0);
	assert_int_equal(dlog_write(l, line.data, line.len), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(lock), 0);
	assert_int_equal(rmdir(dir), 0);
	/* The folder is made again, and the record lands in it. */
	record(&line, 0, 1);
	assert_int_equal(dlog_write(l, line.data, line.len), 0);
	assert_true(exists(dir));
	next = 1;
	assert_int_equal(each_line(path, check_seq, &next), 1);
	dlog_close(l);
	buf_release(&line);
	remove_dir(dir);
}

static void
test_open_errors(void **state)
{
	struct dlog	*l;
	char		 file[64], dir[128], err[256];
	int		 fd;

	(void)state;
	/* The folder's parent is a plain file: mkdir cannot work. */
	snprintf(file, sizeof(file), "/tmp/test-dlog-XXXXXX");
	assert_true((fd = mkstemp(file)) != -1);
	close(fd);
	snprintf(dir, sizeof(dir), "%s/logs", file);
	err[0] = '\0';
	assert_null(l = dlog_open(dir, "ep", 4096, 3, err, sizeof(err)));
	assert_non_null(strstr(err, dir));
	unlink(file);
	dlog_close(NULL);
}

/* Concurrency: 4 processes, 500 records each, rotating all along. */
#define CHILDREN	4
#define PER_CHILD	500

struct seen {
	unsigned char	 n[CHILDREN][PER_CHILD];
	size_t		 lines;
};

static void
count_ids(struct json_doc *doc, void *arg)
{
	struct seen	*seen = arg;
	struct buf	 v;
	int		 child, seq;

	buf_init(&v, 64);
	get(doc, "id", &v);
	split_id(v.data, &child, &seq);
	if (child < 0 || child >= CHILDREN || seq < 0 || seq >= PER_CHILD)
		fail_msg("odd id '%s'", v.data);
	seen->n[child][seq]++;
	seen->lines++;
	buf_release(&v);
}

static void
writer(const char *dir, int child)
{
	struct dlog	*l;
	struct buf	 line;
	char		 err[256];
	int		 seq;

	/* Each process opens its own, as each FastCGI process does. */
	if ((l = dlog_open(dir, "ep", 4096, 1000, err, sizeof(err))) == NULL)
		_exit(2);
	buf_init(&line, 4096);
	for (seq = 0; seq < PER_CHILD; seq++) {
		record(&line, child, seq);
		if (dlog_write(l, line.data, line.len) != 0)
			_exit(3);
	}
	buf_release(&line);
	dlog_close(l);
	_exit(0);
}

static void
test_concurrent_writers(void **state)
{
	struct seen	*seen;
	char		 dir[64], path[128];
	pid_t		 pids[CHILDREN];
	int		 i, j, status, files = 0;

	(void)state;
	make_dir(dir, sizeof(dir));
	for (i = 0; i < CHILDREN; i++) {
		if ((pids[i] = fork()) == -1)
			fail_msg("fork failed");
		if (pids[i] == 0)
			writer(dir, i);
	}
	for (i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("writer %d failed (status %d)", i, status);
	}
	if ((seen = calloc(1, sizeof(*seen))) == NULL)
		fail();
	snprintf(path, sizeof(path), "%s/ep.log", dir);
	each_line(path, count_ids, seen);
	for (i = 1; i <= 1000; i++) {
		snprintf(path, sizeof(path), "%s/ep.log.%d", dir, i);
		if (!exists(path))
			break;
		each_line(path, count_ids, seen);
		files++;
	}
	/* Rotation did happen during the run, and deleted nothing. */
	assert_true(files > 10);
	assert_true(files < 1000);
	assert_int_equal(seen->lines, CHILDREN * PER_CHILD);
	for (i = 0; i < CHILDREN; i++)
		for (j = 0; j < PER_CHILD; j++)
			if (seen->n[i][j] != 1)
				fail_msg("record %d-%d seen %d times", i, j,
				    seen->n[i][j]);
	free(seen);
	remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_fields),
		cmocka_unit_test(test_format_binary_body),
		cmocka_unit_test(test_format_hostile_strings),
		cmocka_unit_test(test_format_full),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_sync_deferred),
		cmocka_unit_test(test_rotation_drop_deferred),
		cmocka_unit_test(test_rotation_keep_zero),
		cmocka_unit_test(test_outside_rename),
		cmocka_unit_test(test_dir_removed),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_concurrent_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
