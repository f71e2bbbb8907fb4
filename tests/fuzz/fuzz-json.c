/*
 * fuzz-json: the JSON reader (strict, depth-bounded json-c: the id and
 * type of Stripe, Slack and Zendesk events, the generic id_field) and
 * the writer behind every log record.  Properties checked:
 *  - json_get on any document returns -1, 0 or 1 and stays in bounds;
 *  - json_add_string accepts exactly the valid UTF-8 inputs, and what it
 *    writes parses back to the same bytes;
 *  - a delivery log record made from these bytes, in every field, is
 *    always made, and is one line of valid JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dlog.h"
#include "json.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
read_fields(const char *s, size_t len)
{
	static const char *const paths[] = { "id", "type", "event.type",
	    "event_id", "a.b.c.d", "", ".", "data.object.id" };
	struct json_doc	*doc;
	struct buf	 out;
	char		 err[128];
	size_t		 i;
	int		 rc;

	if ((doc = json_parse(s, len, err, sizeof(err))) == NULL)
		return;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		buf_init(&out, i % 2 == 0 ? 201 : 8);
		rc = json_get(doc, paths[i], &out);
		if (rc < -1 || rc > 1 || out.len > out.max)
			abort();
		buf_release(&out);
	}
	(void)json_is_object(doc);
	buf_init(&out, 1 << 20);
	(void)json_pretty(doc, &out);
	buf_release(&out);
	json_doc_free(doc);
}

/* What the writer escapes must read back as the very same bytes. */
static void
round_trip(const char *s, size_t len)
{
	struct json_doc	*doc;
	struct buf	 w, r;
	char		 err[128];
	int		 valid = json_utf8_valid(s, len);

	buf_init(&w, len * 6 + 16);
	if (buf_adds(&w, "{\"k\":") == -1)
		abort();
	if ((json_add_string(&w, s, len) == 0) != valid)
		abort();
	if (!valid) {
		buf_release(&w);
		return;
	}
	if (buf_addc(&w, '}') == -1 || memchr(w.data, '\n', w.len) != NULL)
		abort();
	if ((doc = json_parse(w.data, w.len, err, sizeof(err))) == NULL)
		abort();
	buf_init(&r, len + 1);
	/* Numbers and nested values are not strings; the key holds one. */
	if (json_get(doc, "k", &r) != 1 || r.len != len ||
	    memcmp(r.data != NULL ? r.data : "", s, len) != 0)
		abort();
	buf_release(&r);
	json_doc_free(doc);
	buf_release(&w);
}

/* A log record holding these bytes everywhere is one line of JSON. */
static void
record(const char *s, size_t len)
{
	struct dlog_entry	 e;
	struct json_doc		*doc;
	struct buf		 line;
	char			 err[128], *z;

	if ((z = malloc(len + 1)) == NULL)
		return;
	memcpy(z, s, len);
	z[len] = '\0';
	memset(&e, 0, sizeof(e));
	e.time_ms = 1718000000123LL;
	e.endpoint = "fuzz";
	e.provider = "github";
	e.status = 401;
	e.verdict = "rejected";
	/* Strings from a request are NUL-terminated: cut at the first. */
	e.reason = e.id = e.event = e.uri = e.remote_addr = z;
	e.method = "POST";
	e.headers = "{}";
	e.headers_len = 2;
	e.body = s;
	e.body_len = len;
	e.body_sha256 = "00";
	/* Six fields of up to six bytes per input byte, and the rest. */
	buf_init(&line, len * 40 + 8192);
	/*
	 * Whatever the bytes, the record is made (regression: a URI that was
	 * not UTF-8 made it fail, and the delivery was refused with 503).
	 */
	if (dlog_format(&line, &e) == -1)
		abort();
	if (line.len < 2 || line.data[line.len - 1] != '\n' ||
	    memchr(line.data, '\n', line.len - 1) != NULL)
		abort();
	if ((doc = json_parse(line.data, line.len, err,
	    sizeof(err))) == NULL || !json_is_object(doc))
		abort();
	json_doc_free(doc);
	buf_release(&line);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;

	read_fields(s, size);
	round_trip(s, size);
	record(s, size);
	return 0;
}
